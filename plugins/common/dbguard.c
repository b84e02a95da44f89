/* What the database plugins' split-brain guards share (see dbguard.h). */
#include "dbguard.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "dbfile.h"

int db_read_password(struct xhafw_step *step, const char *option, const char *path, char **ret)
{
        char *text = NULL;
        struct stat st;
        int r;

        *ret = NULL;
        if (!path)
                return 0;
        if (stat(path, &st) == 0 && (st.st_mode & 0077))
                xhafw_log(step, LOG_WARNING, "%s %s can be read by others than its owner (mode %04o)", option, path,
                          (unsigned) (st.st_mode & 07777));
        r = db_read_file(path, &text);
        if (r < 0) {
                xhafw_log(step, LOG_ERR, "cannot read %s %s: %s", option, path, strerror(-r));
                return r;
        }
        r = db_first_line(text, DB_MAX_PASSWORD, ret);
        if (r == -EINVAL)
                xhafw_log(step, LOG_ERR, "%s %s: the first line must hold the password (1 to %d bytes)", option, path,
                          DB_MAX_PASSWORD);
        /* the whole file: its other lines may be secrets too */
        explicit_bzero(text, strlen(text));
        free(text);
        return r;
}

bool db_cwd_is(long pid, const char *dir)
{
        char path[64];
        struct stat dir_st, st;

        if (pid <= 0 || pid > INT32_MAX || stat(dir, &dir_st) < 0)
                return false;
        snprintf(path, sizeof path, "/proc/%ld/cwd", pid);
        return stat(path, &st) == 0 && st.st_dev == dir_st.st_dev && st.st_ino == dir_st.st_ino;
}

void db_exe_name(long pid, char *buf, size_t size)
{
        char path[64], exe[PATH_MAX];
        const char *base;
        ssize_t n;

        buf[0] = '\0';
        snprintf(path, sizeof path, "/proc/%ld/exe", pid);
        n = readlink(path, exe, sizeof exe - 1);
        if (n <= 0)
                return;
        exe[n] = '\0';
        if (n > 10 && strcmp(exe + n - 10, " (deleted)") == 0)
                exe[n - 10] = '\0';
        base = strrchr(exe, '/');
        base = base ? base + 1 : exe;
        if (strlen(base) < size)
                memcpy(buf, base, strlen(base) + 1);
}

long db_find_process(bool (*is_server)(long pid, const char *dir), const char *dir)
{
        DIR *d = opendir("/proc");
        struct dirent *e;
        long found = 0;

        if (!d)
                return 0;
        while (!found && (e = readdir(d))) {
                char *end;
                long pid;

                errno = 0;
                pid = strtol(e->d_name, &end, 10);
                if (errno || *end || end == e->d_name || pid <= 0)
                        continue;
                if (is_server(pid, dir))
                        found = pid;
        }
        closedir(d);
        return found;
}

int db_start_service(struct xhafw_step *step, const char *service)
{
        int rc = xhafw_service(step, "start", service);

        if (rc < 0)
                return rc;
        if (rc != 0) {
                xhafw_log(step, LOG_ERR, "service start %s exited %d", service, rc);
                return -EIO;
        }
        return 0;
}

int db_need_dir(struct xhafw_step *step, const char *data_dir)
{
        struct stat st;

        if (stat(data_dir, &st) < 0) {
                int r = -errno;

                xhafw_log(step, LOG_ERR, "data directory %s: %s (is the shared storage mounted?)", data_dir,
                          strerror(-r));
                return r;
        }
        if (!S_ISDIR(st.st_mode)) {
                xhafw_log(step, LOG_ERR, "data directory %s is not a directory", data_dir);
                return -ENOTDIR;
        }
        return 0;
}

int db_check_timeouts(struct xhafw_step *step, uint64_t ready_timeout_ms, uint64_t guard_timeout_ms)
{
        int r = 0;

        if (ready_timeout_ms == 0) {
                xhafw_log(step, LOG_ERR, "ready_timeout must be longer than 0");
                r = -EINVAL;
        }
        if (guard_timeout_ms == 0) {
                xhafw_log(step, LOG_ERR, "guard_timeout must be longer than 0");
                r = -EINVAL;
        }
        return r;
}

static void probe_close(const struct db_probe_ops *ops, struct db_attempt *a)
{
        if (a->open) {
                ops->close(a);
                a->open = false;
        }
}

/* Hang up every attempt at a place but keep: it has its answer. */
static void probe_close_place(const struct db_probe_ops *ops, struct db_attempt *at, size_t na, size_t place,
                              size_t keep)
{
        for (size_t j = 0; j < na; j++)
                if (at[j].place == place && j != keep)
                        probe_close(ops, &at[j]);
}

size_t db_probe_all(struct db_place *pl, size_t n, unsigned max_attempts, uint64_t retry_ms, uint64_t timeout_ms,
                    const struct db_probe_ops *ops, void *ctx, char *how, size_t how_size, int *ret_err)
{
        size_t cap = n * max_attempts + 1, na = 0, answered = SIZE_MAX, r = SIZE_MAX;
        struct db_attempt *at = calloc(cap, sizeof *at);
        struct pollfd *fds = calloc(cap, sizeof *fds);
        size_t *which = calloc(cap, sizeof *which);

        how[0] = '\0';
        *ret_err = 0;
        if (!at || !fds || !which) {
                free(at);
                free(fds);
                free(which);
                *ret_err = -ENOMEM;
                return SIZE_MAX;
        }
        while (answered == SIZE_MAX) {
                uint64_t now = xhafw_now_ms(), wake = UINT64_MAX;
                size_t m = 0;
                int rc;

                for (size_t i = 0; i < n && answered == SIZE_MAX && na < cap; i++) {
                        struct db_place *q = &pl[i];
                        bool again = q->retry && q->attempts < max_attempts;

                        if (q->state != DB_PROBE_PENDING)
                                continue;
                        if (q->attempts > 0 && now - q->first >= timeout_ms) {
                                q->state = DB_PROBE_SILENT;
                                probe_close_place(ops, at, na, i, SIZE_MAX);
                                continue;
                        }
                        /* The first attempt, or a fresh one at a place still silent. */
                        if (q->attempts == 0 || (again && now >= q->first + q->attempts * retry_ms)) {
                                at[na] = (struct db_attempt){ .place = i, .fd = -1 };
                                q->state = ops->start(ctx, i, q, &at[na]);
                                /* a place's time runs from when its first attempt is under way, after any lookup */
                                if (q->attempts++ == 0)
                                        q->first = xhafw_now_ms();
                                if (q->state == DB_PROBE_ANSWERED)
                                        answered = na;
                                else if (q->state == DB_PROBE_REFUSED)
                                        probe_close_place(ops, at, na + 1, i, SIZE_MAX);
                                na++;
                                if (q->state != DB_PROBE_PENDING)
                                        continue;
                                again = q->retry && q->attempts < max_attempts;
                        }
                        if (q->first + timeout_ms < wake)
                                wake = q->first + timeout_ms;
                        if (again && q->first + q->attempts * retry_ms < wake)
                                wake = q->first + q->attempts * retry_ms;
                }
                if (answered != SIZE_MAX || wake == UINT64_MAX)
                        break; /* an answer, or every place has its own */
                for (size_t j = 0; j < na; j++) {
                        short events = 0;
                        int fd = at[j].open ? ops->poll_fd(&at[j], &events) : -1;

                        if (fd < 0)
                                continue;
                        fds[m] = (struct pollfd){ .fd = fd, .events = events };
                        which[m++] = j;
                }
                now = xhafw_now_ms();
                rc = poll(fds, m, wake <= now ? 0 : wake - now > 1000 ? 1000 : (int) (wake - now));
                if (rc < 0 && errno != EINTR) {
                        *ret_err = -errno;
                        break;
                }
                for (size_t k = 0; rc > 0 && k < m && answered == SIZE_MAX; k++) {
                        struct db_attempt *a = &at[which[k]];
                        struct db_place *q = &pl[a->place];

                        if (!fds[k].revents || !a->open)
                                continue;
                        q->state = ops->advance(a, q->why, sizeof q->why);
                        if (q->state == DB_PROBE_ANSWERED)
                                answered = which[k];
                        else if (q->state == DB_PROBE_REFUSED)
                                /* refused, unreachable, no such host: the place has its answer */
                                probe_close_place(ops, at, na, a->place, SIZE_MAX);
                }
        }
        if (answered != SIZE_MAX) {
                r = at[answered].place;
                probe_close_place(ops, at, na, r, answered);
                ops->finish(&at[answered], &pl[r], pl[r].first + timeout_ms, how, how_size);
        }
        for (size_t j = 0; j < na; j++)
                probe_close(ops, &at[j]);
        free(at);
        free(fds);
        free(which);
        return r;
}
