/* The journal (state_dir/journal: one fsync'd JSON line per state change) and the run lock. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "engine.h"

static int journal_fd = -1;
static bool journal_dirty;

void journal_sync(void)
{
        if (journal_fd >= 0 && journal_dirty && fdatasync(journal_fd) < 0)
                log_warning("cannot sync the journal: %m, ignoring");
        journal_dirty = false;
}
static int lock_fd = -1;

int journal_open(const struct settings *s)
{
        char *path = xasprintf("%s/journal", s->state_dir);
        int r = 0;

        journal_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (journal_fd < 0) {
                r = -errno;
                log_error("cannot open the journal %s: %m", path);
        }
        free(path);
        return r;
}

void journal_close(void)
{
        journal_sync();
        if (journal_fd >= 0)
                close(journal_fd);
        journal_fd = -1;
}

void journal_event(const char *event, const char *step, const char *detail)
{
        struct json_object *o;
        struct timespec ts;
        struct tm tm;
        char when[64];
        const char *line;

        if (journal_fd < 0)
                return;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
        o = json_object_new_object();
        json_object_object_add(o, "time", json_object_new_string(when));
        json_object_object_add(o, "pid", json_object_new_int((int) getpid()));
        json_object_object_add(o, "event", json_object_new_string(event));
        if (step)
                json_object_object_add(o, "step", json_object_new_string(step));
        if (detail)
                json_object_object_add(o, "detail", json_object_new_string(detail));
        line = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        /* One write per line (O_APPEND) and fdatasync: a crash loses at most the line being written. */
        {
                size_t n = strlen(line);
                char *buf = xcalloc(n + 2, 1);
                memcpy(buf, line, n);
                buf[n] = '\n';
                if (write_all(journal_fd, buf, n + 1) < 0)
                        log_warning("cannot write the journal: %m, ignoring");
                journal_dirty = true;
                /* The start and end of a run are synced at once; step lines are synced by
                 * journal_sync() before the engine waits again (group commit). */
                if (strcmp(event, "run-start") == 0 || strcmp(event, "run-end") == 0)
                        journal_sync();
                free(buf);
        }
        json_object_put(o);
}

char *journal_unfinished_run(const struct settings *s)
{
        char *path = xasprintf("%s/journal", s->state_dir), *text = NULL, *last_start = NULL;
        struct stat st;
        off_t from = 0;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        free(path);
        if (fd < 0)
                return NULL;
        /* Only the tail matters: the last run. */
        if (fstat(fd, &st) == 0 && st.st_size > 1024 * 1024)
                from = st.st_size - 1024 * 1024;
        text = xcalloc(1024 * 1024 + 1, 1);
        {
                ssize_t n = pread(fd, text, 1024 * 1024, from);
                if (n < 0)
                        n = 0;
                text[n] = 0;
        }
        close(fd);
        for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
                struct json_object *o, *ev;
                nl = strchr(line, '\n');
                if (nl)
                        *nl = 0;
                o = json_tokener_parse(line);
                if (o && json_object_object_get_ex(o, "event", &ev)) {
                        const char *e = json_object_get_string(ev);
                        if (strcmp(e, "run-start") == 0) {
                                free(last_start);
                                last_start = strdup_or_die(line);
                        } else if (strcmp(e, "run-end") == 0) {
                                free(last_start);
                                last_start = NULL;
                        }
                }
                if (o)
                        json_object_put(o);
        }
        free(text);
        return last_start;
}

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
        if (journal_fd >= 0)
                close(journal_fd);
        journal_fd = -1;
}
