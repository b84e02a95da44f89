/* Running commands for steps: fork + execve of an argv with a clean environment, output captured. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "framing.h"
#include "log.h"
#include "util.h"

#define DEFAULT_PATH "/usr/sbin:/usr/bin:/sbin:/bin"

/* Verbs of the service manager that only ask, so they run for real in dry-run too. */
static const char *const readonly_verbs[] = { "is-active", "is-enabled", "is-failed", "status", "show", NULL };

static bool needs_quoting(const char *w)
{
        if (!*w)
                return true;
        for (const char *p = w; *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                      strchr("@%+=:,./_-", *p)))
                        return true;
        return false;
}

/* For messages only: the words joined, quoted the way a shell would need them, so an admin can
 * copy a "would run" line. Nothing here is ever given to a shell. */
static char *argv_display(const char *const argv[])
{
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        if (!f)
                abort();
        for (size_t i = 0; argv[i]; i++) {
                if (i)
                        fputc(' ', f);
                if (!needs_quoting(argv[i])) {
                        fputs(argv[i], f);
                        continue;
                }
                fputc('\'', f);
                for (const char *p = argv[i]; *p; p++) {
                        if (*p == '\'')
                                fputs("'\\''", f);
                        else
                                fputc(*p, f);
                }
                fputc('\'', f);
        }
        if (fclose(f) != 0 || !buf)
                abort();
        return buf;
}

/* 0 when PATH is a regular file we may execute, else -errno. */
static int executable_file(const char *path)
{
        struct stat st;
        if (stat(path, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) < 0)
                return -EACCES;
        return 0;
}

/* execvpe would search the PATH of xhafw itself; commands must be found along the configured one. */
static int resolve_command(struct xhafw_step *step, const char *cmd, const char *path, char **ret)
{
        const char *p = path;

        if (strchr(cmd, '/')) {
                int r = executable_file(cmd);
                if (r < 0) {
                        xhafw_log(step, LOG_ERR, "command %s cannot be run: %s", cmd,
                                  r == -EACCES ? "not an executable file" : strerror(-r));
                        return r;
                }
                *ret = strdup_or_die(cmd);
                return 0;
        }
        while (*p) {
                const char *colon = strchr(p, ':');
                size_t n = colon ? (size_t) (colon - p) : strlen(p);
                /* An empty item would mean the current directory: never search there. */
                if (n > 0) {
                        char *cand = xasprintf("%.*s/%s", (int) n, p, cmd);
                        if (executable_file(cand) == 0) {
                                *ret = cand;
                                return 0;
                        }
                        free(cand);
                }
                if (!colon)
                        break;
                p = colon + 1;
        }
        xhafw_log(step, LOG_ERR, "command %s not found in PATH %s", cmd, path);
        return -ENOENT;
}

/* Commands get only what they need: what xhafw inherited (sudo's, Pacemaker's) is no concern of
 * theirs and would make a run depend on who started it. */
static char **build_env(const struct settings *s, const char *path)
{
        size_t n_pass = strv_length(s->pass_env), n = 0;
        char **env = xcalloc(n_pass + 3, sizeof *env);
        bool have_lc_all = false;

        env[n++] = xasprintf("PATH=%s", path);
        for (size_t i = 0; i < n_pass; i++) {
                const char *name = s->pass_env[i], *v;
                if (!*name || strchr(name, '=') || strcmp(name, "PATH") == 0)
                        continue;
                v = getenv(name);
                if (!v)
                        continue;
                if (strcmp(name, "LC_ALL") == 0)
                        have_lc_all = true;
                env[n++] = xasprintf("%s=%s", name, v);
        }
        if (!have_lc_all)
                env[n++] = strdup_or_die("LC_ALL=C");
        env[n] = NULL;
        return env;
}

/* An fd for the child at a number >= 3, so that dup2() onto 0..2 never meets itself (which would
 * leave O_CLOEXEC set and the fd closed by execve). */
static int fd_above_stdio(int fd)
{
        return fd > 2 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

/* Between fork and execve: async-signal-safe calls only. */
static _Noreturn void child_exec(const char *file, const char *const argv[], char **env, int null_fd, int out_fd,
                                 int err_fd, int max_fd)
{
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigset_t none;
        int e;

        /* Ignored signals survive execve; the core ignores SIGPIPE and may ignore others. */
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        (void) sigaction(sig, &sa, NULL);
        sigemptyset(&none);
        (void) sigprocmask(SIG_SETMASK, &none, NULL);

        null_fd = fd_above_stdio(null_fd);
        out_fd = fd_above_stdio(out_fd);
        err_fd = fd_above_stdio(err_fd);
        if (null_fd < 0 || out_fd < 0 || err_fd < 0)
                goto fail;
        if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 || dup2(out_fd, STDERR_FILENO) < 0)
                goto fail;
        /* Nothing else of the core (the lock, the journal, signalfd, other steps' pipes) may leak
         * into a command, even what was opened without O_CLOEXEC. err_fd survives until execve
         * (it is O_CLOEXEC) to report why execve failed. */
        if ((err_fd > 3 && close_range(3, (unsigned) err_fd - 1, 0) < 0) ||
            close_range((unsigned) err_fd + 1, ~0U, 0) < 0) {
                for (int fd = 3; fd < max_fd; fd++)
                        if (fd != err_fd)
                                (void) close(fd);
        }
        execve(file, (char *const *) argv, env);
fail:
        e = errno;
        if (err_fd >= 0)
                (void) !write(err_fd, &e, sizeof e);
        _exit(127);
}

static void log_output(struct xhafw_step *step, const char *out)
{
        const char *p = out;
        while (*p) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t) (nl - p) : strlen(p);
                xhafw_log(step, LOG_DEBUG, "  %.*s", (int) n, p);
                if (!nl)
                        break;
                p = nl + 1;
        }
}

struct capture {
        char *buf;
        size_t n, cap, dropped;
};

/* Read what is available; 1 at end of file, 0 when more may come, -errno on error. */
static int capture_read(struct capture *c, int fd)
{
        for (;;) {
                char tmp[65536];
                ssize_t r = read(fd, tmp, sizeof tmp);
                size_t keep;

                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        return -errno;
                }
                if (r == 0)
                        return 1;
                keep = (size_t) r;
                if (c->n + keep > XHAFW_MAX_OUTPUT)
                        keep = XHAFW_MAX_OUTPUT - c->n;
                if (c->n + keep + 1 > c->cap) {
                        size_t cap = c->cap ? c->cap : 4096;
                        while (cap < c->n + keep + 1)
                                cap *= 2;
                        c->buf = realloc(c->buf, cap);
                        if (!c->buf)
                                abort();
                        c->cap = cap;
                }
                memcpy(c->buf + c->n, tmp, keep);
                c->n += keep;
                c->dropped += (size_t) r - keep;
        }
}

/* Collect the output until the child has exited and the pipe is drained. A command that leaves a
 * daemon behind holding its stdout (pg_ctl without -l, init scripts) must not make us wait for
 * that daemon to end, so once the child itself is gone only what is already written is read. */
static int collect(struct xhafw_step *step, pid_t pid, int out_fd, struct capture *c, int *ret_status)
{
        int pidfd = (int) pidfd_open(pid, 0);
        bool eof = false, exited = false;
        int r = 0, status = 0;

        (void) fcntl(out_fd, F_SETFL, fcntl(out_fd, F_GETFL) | O_NONBLOCK);
        while (!eof && !exited) {
                struct pollfd pfd[2] = {
                        { .fd = out_fd, .events = POLLIN },
                        { .fd = pidfd, .events = POLLIN },
                };
                /* Without pidfds (old kernels, valgrind) look for the exit ten times a second. */
                int k = poll(pfd, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 100);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        break;
                }
                if (pidfd < 0) {
                        siginfo_t si = { 0 };
                        if (waitid(P_PID, (id_t) pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
                                exited = true;
                }
                if (pfd[0].revents) {
                        int q = capture_read(c, out_fd);
                        if (q < 0) {
                                r = q;
                                break;
                        }
                        eof = q == 1;
                }
                if (pidfd >= 0 && pfd[1].revents)
                        exited = true;
        }
        if (r == 0 && !eof) {
                /* The child exited: take what its descendants have written so far. */
                int q = capture_read(c, out_fd);
                if (q == 0)
                        xhafw_log(step, LOG_DEBUG,
                                  "a process started by the command still holds its output open; not waiting for it");
        }
        if (pidfd >= 0)
                close(pidfd);
        /* Reap in every case: no zombie, no pid reused under the engine's feet. */
        while (waitpid(pid, &status, 0) < 0) {
                if (errno != EINTR) {
                        if (r == 0)
                                r = -errno;
                        break;
                }
        }
        *ret_status = status;
        return r;
}

/* What execve() failed with in the child (sent over the close-on-exec pipe), or 0 when it ran. */
static int exec_errno(int fd)
{
        int e = 0;
        for (;;) {
                ssize_t n = read(fd, &e, sizeof e);
                if (n < 0 && errno == EINTR)
                        continue;
                return n == (ssize_t) sizeof e ? e : 0;
        }
}

/* The command's end as xhafw_run returns it: the exit status, 128 + N when killed by signal N, or
 * -errno when it could not be executed. */
static int command_result(struct xhafw_step *step, const char *name, const char *file, int status, int child_errno)
{
        if (child_errno) {
                xhafw_log(step, LOG_ERR, "cannot execute %s: %s", file, strerror(child_errno));
                return -child_errno;
        }
        if (WIFEXITED(status)) {
                if (WEXITSTATUS(status) != 0)
                        xhafw_log(step, LOG_INFO, "%s exited with status %d", name, WEXITSTATUS(status));
                return WEXITSTATUS(status);
        }
        if (WIFSIGNALED(status)) {
                xhafw_log(step, LOG_WARNING, "%s killed by signal %d (%s)", name, WTERMSIG(status),
                          strsignal(WTERMSIG(status)));
                return 128 + WTERMSIG(status);
        }
        return -EIO;
}

XHAFW_API int xhafw_run(struct xhafw_step *step, const char *const argv[], unsigned flags, char **ret_output)
{
        const struct settings *s;
        const char *path;
        char *display = NULL, *file = NULL, **env = NULL;
        int null_fd = -1, out[2] = { -1, -1 }, err[2] = { -1, -1 };
        struct capture cap = { 0 };
        int r, status = 0, child_errno = 0;
        long max_fd;
        pid_t pid;

        if (!step || !step->action || !step->action->settings || !argv || !argv[0] || !argv[0][0])
                return -EINVAL;
        s = step->action->settings;
        path = s->path && *s->path ? s->path : DEFAULT_PATH;
        display = argv_display(argv);

        if (step->action->dry_run && !(flags & XHAFW_RUN_READONLY)) {
                action_print(step, "would run: %s", display);
                free(display);
                if (ret_output)
                        *ret_output = strdup_or_die("");
                return 0;
        }

        r = resolve_command(step, argv[0], path, &file);
        if (r < 0)
                goto out;
        env = build_env(s, path);
        max_fd = sysconf(_SC_OPEN_MAX);
        if (max_fd < 0 || max_fd > 65536)
                max_fd = 65536;

        null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (null_fd < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
                r = -errno;
                xhafw_log(step, LOG_ERR, "cannot prepare to run %s: %s", argv[0], strerror(errno));
                goto out;
        }

        xhafw_log(step, LOG_INFO, "running: %s", display);
        /* The child stays in our process group: the engine ends a timed-out action by killing
         * the group, and that must take the command with it. */
        pid = fork();
        if (pid < 0) {
                r = -errno;
                xhafw_log(step, LOG_ERR, "cannot fork to run %s: %s", argv[0], strerror(errno));
                goto out;
        }
        if (pid == 0)
                child_exec(file, argv, env, null_fd, out[1], err[1], (int) max_fd);

        close(out[1]);
        close(err[1]);
        out[1] = err[1] = -1;
        r = collect(step, pid, out[0], &cap, &status);
        child_errno = exec_errno(err[0]);
        if (r < 0) {
                xhafw_log(step, LOG_ERR, "cannot read the output of %s: %s", argv[0], strerror(-r));
                goto out;
        }
        if (!cap.buf)
                cap.buf = xcalloc(1, 1);
        cap.buf[cap.n] = 0;
        log_output(step, cap.buf);
        if (cap.dropped)
                xhafw_log(step, LOG_INFO, "output of %s truncated: %zu bytes beyond the first %d dropped", argv[0],
                          cap.dropped, XHAFW_MAX_OUTPUT);

        r = command_result(step, argv[0], file, status, child_errno);
        if (r < 0)
                goto out;
        if (ret_output) {
                *ret_output = cap.buf;
                cap.buf = NULL;
        }
out:
        free(cap.buf);
        if (null_fd >= 0)
                close(null_fd);
        for (int i = 0; i < 2; i++) {
                if (out[i] >= 0)
                        close(out[i]);
                if (err[i] >= 0)
                        close(err[i]);
        }
        strv_free(env);
        free(file);
        free(display);
        return r;
}

XHAFW_API int xhafw_service(struct xhafw_step *step, const char *verb, const char *unit)
{
        char *const *sm;
        const char **argv;
        size_t n, i = 0;
        unsigned flags = 0;
        int r;

        if (!step || !step->action || !step->action->settings || !verb || !*verb)
                return -EINVAL;
        sm = step->action->settings->service_manager;
        n = strv_length(sm);
        if (n == 0 || !sm[0][0]) {
                xhafw_log(step, LOG_ERR, "service_manager is empty in the configuration: cannot %s %s", verb,
                          unit ? unit : "");
                return -EINVAL;
        }
        for (const char *const *v = readonly_verbs; *v; v++)
                if (strcmp(verb, *v) == 0)
                        flags |= XHAFW_RUN_READONLY;
        argv = xcalloc(n + 3, sizeof *argv);
        for (; i < n; i++)
                argv[i] = sm[i];
        argv[i++] = verb;
        if (unit && *unit)
                argv[i++] = unit;
        argv[i] = NULL;
        r = xhafw_run(step, argv, flags, NULL);
        free(argv);
        return r;
}

/* The last three non-empty lines of OUTPUT joined with " | ", each cut at 500 bytes: what a
 * one-line message about a failed command shows. */
static char *output_tail(const char *output)
{
        enum {
                TAIL = 3
        };
        const char *starts[TAIL];
        size_t lens[TAIL], n = 0;
        const char *p = output ? output : "";
        char *buf = NULL;
        size_t size = 0;
        FILE *f;

        while (*p) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                while (len > 0 && (p[len - 1] == '\r' || p[len - 1] == ' '))
                        len--;
                if (len > 0) {
                        if (n == TAIL) {
                                memmove(starts, starts + 1, sizeof starts[0] * (TAIL - 1));
                                memmove(lens, lens + 1, sizeof lens[0] * (TAIL - 1));
                                n--;
                        }
                        starts[n] = p;
                        lens[n++] = len;
                }
                if (!nl)
                        break;
                p = nl + 1;
        }
        f = open_memstream(&buf, &size);
        if (!f)
                abort();
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%s%.*s", i ? " | " : "", (int) (lens[i] > 500 ? 500 : lens[i]), starts[i]);
        if (n == 0)
                fputs("(no output)", f);
        if (fclose(f) != 0 || !buf)
                abort();
        return buf;
}

XHAFW_API int xhafw_run_logged(struct xhafw_step *step, const char *const argv[], unsigned flags, int priority,
                               char **ret_output)
{
        char *output = NULL, *line, *tail;
        int r = xhafw_run(step, argv, flags, &output);

        if (r == 0) {
                if (ret_output)
                        *ret_output = output;
                else
                        free(output);
                return 0;
        }
        line = argv_display(argv);
        if (r < 0)
                xhafw_log(step, priority, "cannot run %s: %s", line, strerror(-r));
        else {
                tail = output_tail(output);
                xhafw_log(step, priority, "%s failed with exit status %d: %s", line, r, tail);
                free(tail);
        }
        free(line);
        if (ret_output)
                *ret_output = output;
        else
                free(output);
        return r;
}

XHAFW_API uint64_t xhafw_now_ms(void)
{
        return now_ms();
}

XHAFW_API void xhafw_sleep_ms(uint64_t ms)
{
        struct timespec ts = { .tv_sec = (time_t) (ms / 1000), .tv_nsec = (long) (ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* The child's side of xhafw_stat_bounded: async-signal-safe calls only. */
static _Noreturn void stat_child(int fd, const char *const paths[], size_t n)
{
        for (size_t i = 0; i < n; i++) {
                struct xhafw_stat_result res = { 0, 0 };
                struct stat st;
                if (stat(paths[i], &st) < 0)
                        res.err = errno;
                else
                        res.mode = st.st_mode;
                if (write(fd, &res, sizeof res) != (ssize_t) sizeof res)
                        _exit(1);
        }
        _exit(0);
}

XHAFW_API int xhafw_stat_bounded(struct xhafw_step *step, const char *const paths[], size_t n, uint64_t timeout_ms,
                                 struct xhafw_stat_result ret[], size_t *ret_answered)
{
        size_t got = 0, off = 0;
        uint64_t deadline;
        int p[2], status;
        pid_t pid;

        (void) step;
        if (ret_answered)
                *ret_answered = 0;
        if (pipe2(p, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(p[0]);
                close(p[1]);
                return r;
        }
        if (pid == 0) {
                close(p[0]);
                stat_child(p[1], paths, n);
        }
        close(p[1]);
        deadline = now_ms() + timeout_ms;
        while (got < n) {
                uint64_t now = now_ms();
                struct pollfd pfd = { .fd = p[0], .events = POLLIN };
                ssize_t k;
                int w;
                if (now >= deadline)
                        break;
                w = poll(&pfd, 1, (int) (deadline - now));
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        break;
                k = read(p[0], (char *) ret + got * sizeof *ret + off, sizeof *ret - off);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                off += (size_t) k;
                if (off == sizeof *ret) {
                        got++;
                        off = 0;
                }
        }
        close(p[0]);
        if (ret_answered)
                *ret_answered = got;
        if (got < n) {
                /* A wait on a dead NFS server is killable; one that is not is left behind (it holds
                 * nothing of ours) rather than hang the step. */
                kill(pid, SIGKILL);
                for (int i = 0; i < 20 && waitpid(pid, &status, WNOHANG) == 0; i++)
                        xhafw_sleep_ms(5);
                return -ETIMEDOUT;
        }
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        return 0;
}
