/* Background work a plugin declares: the action side (xhafw_background) and the core's table of it.
 *
 * An action that must go on working after it returns (repeated gratuitous ARPs) does not fork a
 * detached process that nobody supervises. xhafw_background() starts it with CLONE_PARENT, so it
 * is the core's own child: the core is told its pid and bound over the message pipe, reaps it,
 * kills it at its bound, when its step's action crashes or times out and when the run is
 * interrupted, and when the run ends. It dies with the core (PR_SET_PDEATHSIG), in its own process
 * group so that the core can end what it runs. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "background.h"
#include "core.h"
#include "framing.h"
#include "log.h"
#include "util.h"

struct background {
        pid_t pid; /* 0: slot free */
        char step[65];
        char what[128];
        uint64_t started_ms, deadline_ms;
        bool killed;
};

static struct background table[XHAFW_MAX_BACKGROUND];

/* pids reaped before their 'B' message was read: the work was over before it was tracked */
static pid_t early[XHAFW_MAX_BACKGROUND];
static unsigned n_early;

/* ---- the action side ---- */

XHAFW_API int xhafw_background(struct xhafw_step *step, const char *what, uint64_t max_ms, void (*fn)(void *arg),
                               void *arg)
{
        char msg[256];
        pid_t core, pid;
        int null_fd;

        if (!step || !what || !*what || !fn)
                return -EINVAL;
        if (max_ms == 0 || max_ms > XHAFW_MAX_BACKGROUND_MS) {
                xhafw_log(step, LOG_ERR,
                          "background work '%s': a bound of %llu ms is outside 1 ms to %u ms (a bug in "
                          "plugin %s)",
                          what, (unsigned long long) max_ms, XHAFW_MAX_BACKGROUND_MS, step->plugin_name);
                return -EINVAL;
        }
        if (xhafw_dry_run(step)) {
                xhafw_log(step, LOG_NOTICE, "would go on in the background: %s (at most %llu ms)", what,
                          (unsigned long long) max_ms);
                return 0;
        }
        if (!step->action || step->action->msg_fd < 0) {
                /* not under the engine (a plugin's own test): nothing to outlive, run it here */
                fn(arg);
                return 0;
        }
        fflush(NULL);
        core = getppid();
        /* A sibling of the action, not its child: the core reaps it and bounds it. */
        pid = (pid_t) syscall(SYS_clone, (unsigned long) (CLONE_PARENT | SIGCHLD), NULL, NULL, NULL, NULL);
        if (pid < 0) {
                int r = -errno;
                xhafw_log(step, LOG_WARNING, "cannot start the background work '%s': %s", what, strerror(-r));
                return r;
        }
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != core)
                        _exit(0); /* the core died meanwhile: nobody would bound us */
                setpgid(0, 0);
                /* Nothing of the action's pipes: the core does not wait for them. Messages go to
                 * syslog (the action's log); stdout and stderr to /dev/null. */
                close(step->action->msg_fd);
                step->action->msg_fd = -1;
                null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
                if (null_fd >= 0) {
                        dup2(null_fd, STDOUT_FILENO);
                        dup2(null_fd, STDERR_FILENO);
                }
                fn(arg);
                _exit(0);
        }
        snprintf(msg, sizeof msg, "%ld %llu %s", (long) pid, (unsigned long long) max_ms, what);
        msg_send(step->action->msg_fd, 'B', msg);
        return 0;
}

/* ---- the core side ---- */

void background_track(const char *step, const char *message)
{
        char *end = NULL;
        long pid = strtol(message, &end, 10);
        unsigned long long max_ms = end && *end == ' ' ? strtoull(end + 1, &end, 10) : 0;
        const char *what = end && *end == ' ' ? end + 1 : "?";
        struct background *b = NULL;

        if (pid <= 0 || max_ms == 0 || max_ms > XHAFW_MAX_BACKGROUND_MS)
                return;
        for (unsigned k = 0; k < n_early; k++)
                if (early[k] == (pid_t) pid) {
                        early[k] = early[--n_early];
                        log_full(step, LOG_DEBUG, "background work '%s' (pid %ld) is over", what, pid);
                        return;
                }
        for (unsigned k = 0; k < XHAFW_MAX_BACKGROUND && !b; k++)
                if (!table[k].pid)
                        b = &table[k];
        if (!b) {
                /* The table is full: the work is ended now, not left unsupervised. */
                log_full(step, LOG_WARNING, "too much background work at once: ending '%s' (pid %ld)", what, pid);
                kill(-(pid_t) pid, SIGKILL);
                kill((pid_t) pid, SIGKILL);
                return;
        }
        memset(b, 0, sizeof *b);
        b->pid = (pid_t) pid;
        snprintf(b->step, sizeof b->step, "%s", step);
        snprintf(b->what, sizeof b->what, "%s", what);
        b->started_ms = now_ms();
        b->deadline_ms = b->started_ms + max_ms;
        log_full(step, LOG_DEBUG, "background work '%s' (pid %ld, at most %llu ms)", what, pid, max_ms);
}

static void end_one(struct background *b, int sig)
{
        kill(-b->pid, sig);
        kill(b->pid, sig);
}

bool background_reaped(pid_t pid, int status)
{
        for (unsigned k = 0; k < XHAFW_MAX_BACKGROUND; k++) {
                struct background *b = &table[k];
                if (b->pid != pid)
                        continue;
                kill(-pid, SIGKILL); /* what it started goes with it */
                if (!b->killed && WIFSIGNALED(status))
                        log_full(b->step, LOG_WARNING, "background work '%s' died of signal %d (%s)", b->what,
                                 WTERMSIG(status), strsignal(WTERMSIG(status)));
                else if (!b->killed && WIFEXITED(status) && WEXITSTATUS(status) != 0)
                        log_full(b->step, LOG_WARNING, "background work '%s' exited with status %d", b->what,
                                 WEXITSTATUS(status));
                else
                        log_full(b->step, LOG_DEBUG, "background work '%s' is over after %llu ms", b->what,
                                 (unsigned long long) (now_ms() - b->started_ms));
                b->pid = 0;
                return true;
        }
        /* Perhaps background work whose 'B' message is still in the pipe: remember it. */
        if (n_early < XHAFW_MAX_BACKGROUND)
                early[n_early++] = pid;
        else
                early[n_early - 1] = pid;
        return false;
}

void background_check(int *ret_timeout_ms)
{
        uint64_t now = now_ms();
        for (unsigned k = 0; k < XHAFW_MAX_BACKGROUND; k++) {
                struct background *b = &table[k];
                uint64_t left;
                if (!b->pid)
                        continue;
                if (now >= b->deadline_ms) {
                        if (!b->killed)
                                log_full(b->step, LOG_WARNING,
                                         "background work '%s' outlived its bound of %llu ms: "
                                         "ended",
                                         b->what, (unsigned long long) (b->deadline_ms - b->started_ms));
                        b->killed = true;
                        end_one(b, SIGKILL);
                        b->deadline_ms = now + 1000; /* until it is reaped */
                }
                left = b->deadline_ms - now;
                if (*ret_timeout_ms < 0 || left < (uint64_t) *ret_timeout_ms)
                        *ret_timeout_ms = (int) left;
        }
}

void background_kill_step(const char *step, int sig)
{
        for (unsigned k = 0; k < XHAFW_MAX_BACKGROUND; k++)
                if (table[k].pid && strcmp(table[k].step, step) == 0) {
                        table[k].killed = true;
                        end_one(&table[k], sig);
                }
}

void background_kill(int sig)
{
        for (unsigned k = 0; k < XHAFW_MAX_BACKGROUND; k++)
                if (table[k].pid) {
                        table[k].killed = true;
                        end_one(&table[k], sig);
                }
}

unsigned background_count(void)
{
        unsigned n = 0;
        for (unsigned k = 0; k < XHAFW_MAX_BACKGROUND; k++)
                n += table[k].pid != 0;
        return n;
}

static void reap_background(void)
{
        for (;;) {
                int status;
                pid_t pid = waitpid(-1, &status, WNOHANG);
                if (pid <= 0)
                        return;
                background_reaped(pid, status);
        }
}

/* Wait for the work to finish, each up to its bound; SIGINT or SIGTERM ends it at once. */
static void background_wait(int sigfd)
{
        bool said = false;

        /* Bounded: every pass either reaps, sleeps towards a bound, or kills at one. */
        for (unsigned pass = 0; pass < 100000 && background_count(); pass++) {
                struct pollfd pfd = { .fd = sigfd, .events = POLLIN };
                int timeout = -1;

                if (!said) {
                        for (unsigned k = 0; k < XHAFW_MAX_BACKGROUND; k++)
                                if (table[k].pid)
                                        log_full(table[k].step, LOG_INFO,
                                                 "waiting for the background work '%s' "
                                                 "(at most %llu ms more)",
                                                 table[k].what,
                                                 (unsigned long long) (table[k].deadline_ms > now_ms() ?
                                                                               table[k].deadline_ms - now_ms() :
                                                                               0));
                        said = true;
                }
                background_check(&timeout);
                if (sigfd >= 0 && poll(&pfd, 1, timeout) > 0) {
                        struct signalfd_siginfo si;
                        while (read(sigfd, &si, sizeof si) == (ssize_t) sizeof si)
                                if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM) {
                                        log_warning("got %s: ending the background work",
                                                    strsignal((int) si.ssi_signo));
                                        background_kill(SIGKILL);
                                }
                } else if (sigfd < 0) {
                        struct timespec ts = { 0, 10 * 1000000L };
                        nanosleep(&ts, NULL);
                }
                reap_background();
        }
}

void background_finish(int sigfd, bool wait)
{
        /* A run that did its job waits for its announcements (a VIP moved with --only, or as the
         * last step, must not stop at its first gratuitous ARP); one that failed or was
         * interrupted ends them: what they announced has been rolled back. */
        if (wait && background_count())
                background_wait(sigfd);
        for (unsigned k = 0; k < XHAFW_MAX_BACKGROUND; k++)
                if (table[k].pid && !table[k].killed)
                        log_full(table[k].step, LOG_INFO,
                                 "the run is over: ending the background work '%s' after "
                                 "%llu ms",
                                 table[k].what, (unsigned long long) (now_ms() - table[k].started_ms));
        background_kill(SIGKILL);
        /* Bounded: a killed process is reaped within milliseconds; one in an uninterruptible wait
         * is left to init after a second rather than hold the exit. */
        for (unsigned pass = 0; pass < 200 && background_count(); pass++) {
                struct timespec ts = { 0, 5 * 1000000L };
                reap_background();
                if (background_count())
                        nanosleep(&ts, NULL);
        }
}
