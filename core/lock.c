/* The run lock (lock.h): flock on state_dir/lock, which holds the holder's pid. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"
#include "util.h"

static int lock_fd = -1;

static long read_holder(int fd)
{
        char buf[32] = "";
        long long pid = 0;
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        if (n > 0) {
                buf[n] = 0;
                (void) parse_int(strip(buf), &pid);
        }
        return (long) pid;
}

int lock_take(const struct settings *s, long *ret_holder)
{
        char *path;
        char buf[32];
        int r;

        r = mkdir_p(s->state_dir, 0700);
        if (r < 0) {
                log_error("cannot create the state directory %s: %s", s->state_dir, strerror(-r));
                return r;
        }
        /* The journal, the lock and the steps' state are root's: a directory others can write
         * would let them plant links that root then writes through. */
        {
                char *reason = NULL;
                if (check_owner_mode(s->state_dir, &reason) < 0) {
                        log_error("state directory %s refused: %s", s->state_dir, reason);
                        free(reason);
                        return -EPERM;
                }
        }
        path = xasprintf("%s/lock", s->state_dir);
        lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (lock_fd < 0) {
                r = -errno;
                log_error("cannot open the lock %s: %m", path);
                free(path);
                return r;
        }
        free(path);
        if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0) {
                r = errno == EWOULDBLOCK ? -EBUSY : -errno;
                if (ret_holder)
                        *ret_holder = read_holder(lock_fd);
                close(lock_fd);
                lock_fd = -1;
                return r;
        }
        snprintf(buf, sizeof buf, "%ld\n", (long) getpid());
        if (ftruncate(lock_fd, 0) < 0 || pwrite(lock_fd, buf, strlen(buf), 0) < 0)
                log_warning("cannot record our pid in the lock file: %m, ignoring");
        return 0;
}

bool lock_held(const struct settings *s, long *ret_holder)
{
        char *path = xasprintf("%s/lock", s->state_dir);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        bool held = false;

        free(path);
        if (fd < 0)
                return false;
        if (flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
                long pid = read_holder(fd);
                /* The lock outlives a killed core for as long as its actions take to die: only a
                 * live core counts as a run in progress. */
                held = pid <= 0 || kill((pid_t) pid, 0) == 0 || errno != ESRCH;
                if (ret_holder)
                        *ret_holder = pid;
        } else
                flock(fd, LOCK_UN);
        close(fd);
        return held;
}

void lock_close_in_child(void)
{
        if (lock_fd >= 0)
                close(lock_fd);
        lock_fd = -1;
}
