/* One action of one step in its forked child (action.h): the child's side, and the decoding of its
 * end by the core. The result travels as the exit status: a state (0..2), EXIT_REFUSED, or
 * EXIT_ERRNO_BASE + errno. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "action.h"
#include "framing.h"
#include "hostapi.h"
#include "journal.h"
#include "loader.h"
#include "lock.h"
#include "log.h"
#include "util.h"

static const char *const action_names[] = { "check", "apply", "revert", "describe", "validate", "preflight" };

#define EXIT_REFUSED 99
#define EXIT_BAD_RESULT 98
#define EXIT_ERRNO_BASE 100

const char *action_name(enum action_kind k)
{
        return (unsigned) k < sizeof action_names / sizeof action_names[0] ? action_names[k] : "?";
}

static int encode_result(int r)
{
        if (r >= 0 && r <= 2)
                return r;
        if (r == XHAFW_REFUSED)
                return EXIT_REFUSED;
        if (r < 0 && -r < 255 - EXIT_ERRNO_BASE)
                return EXIT_ERRNO_BASE - r;
        if (r < 0)
                return EXIT_ERRNO_BASE + EIO;
        return EXIT_BAD_RESULT;
}

/* The plugin's code (and the libraries it calls: libpq reads PGHOST, PGPASSFILE, PGSSLMODE...)
 * sees what commands see: PATH from the configuration, LC_ALL=C, the pass_env variables, and
 * xhafw's own XHAFW_* hooks; not the environment of whoever started xhafw. */
static void clean_environment(const struct settings *s)
{
        size_t n = 0, cap = 8;
        char **keep = xcalloc(cap, sizeof *keep);

        for (char **v = environ; v && *v; v++) {
                bool wanted = strncmp(*v, "XHAFW_", 6) == 0;
                for (char **p = s->pass_env; p && *p && !wanted; p++) {
                        size_t len = strlen(*p);
                        wanted = strncmp(*v, *p, len) == 0 && (*v)[len] == '=' && strcmp(*p, "PATH") != 0;
                }
                if (!wanted)
                        continue;
                if (n + 1 >= cap) {
                        char **grown = realloc(keep, (cap *= 2) * sizeof *keep);
                        if (!grown)
                                abort();
                        keep = grown;
                }
                keep[n++] = strdup_or_die(*v);
        }
        clearenv();
        for (size_t i = 0; i < n; i++)
                putenv(keep[i]); /* the strings become the environment: not freed */
        free(keep);
        setenv("PATH", s->path, 1);
        if (!getenv("LC_ALL"))
                setenv("LC_ALL", "C", 1);
}

_Noreturn void action_child_run(const struct action_request *rq)
{
        const struct config *cfg = rq->cfg;
        struct xhafw_step *st = cfg->steps[rq->step];
        const struct xhafw_plugin *p = st->plugin->def;
        int msg_fd = rq->msg_fd, out_fd = rq->out_fd;
        struct action a = {
                .settings = &cfg->settings,
                .dry_run = rq->dry_run,
                .force = rq->force,
                .node_active = rq->node_active,
                .msg_fd = msg_fd,
        };
        int devnull, r = 0;
        sigset_t none;

        /* Die with the core: an action must never go on unsupervised. The core may have died
         * between fork() and prctl(): then we are orphaned already. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != rq->core_pid)
                _exit(EXIT_ERRNO_BASE + ECHILD);
        setpgid(0, 0);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (devnull >= 0)
                dup2(devnull, STDIN_FILENO);
        dup2(out_fd, STDOUT_FILENO);
        dup2(out_fd, STDERR_FILENO);
        lock_close_in_child();
        journal_close_in_child();
        clean_environment(&cfg->settings);
        st->action = &a;
        switch (rq->kind) {
        case ACT_CHECK: r = p->check(st); break;
        case ACT_APPLY: r = p->apply(st); break;
        case ACT_REVERT: r = p->revert(st); break;
        case ACT_VALIDATE:
                /* Every step's validate() in this one child: validation runs before every command
                 * and must stay cheap for big graphs. "S<index>" attributes the lines that follow
                 * (and a crash) to a step; "R<index> <result>" gives its result. */
                for (size_t i = 0; i < cfg->n_steps; i++) {
                        struct xhafw_step *vs = cfg->steps[i];
                        int (*fn)(struct xhafw_step *) = plugin_validate_fn(vs->plugin);
                        char buf[64];
                        if (!rq->validate[i] || !fn)
                                continue;
                        snprintf(buf, sizeof buf, "%zu", i);
                        msg_send(msg_fd, FRAME_VALIDATING, buf);
                        vs->action = &a;
                        r = fn(vs);
                        vs->action = NULL;
                        snprintf(buf, sizeof buf, "%zu %d", i, r < 0 ? r : 0);
                        msg_send(msg_fd, FRAME_VALIDATED, buf);
                        action_state_free(&a);
                }
                r = 0;
                break;
        case ACT_PREFLIGHT: {
                int (*fn)(struct xhafw_step *) = plugin_preflight_fn(st->plugin);
                if (fn)
                        r = fn(st);
                else
                        xhafw_preflight_check(st, "preflight", XHAFW_CHECK_WARN,
                                              "plugin has no preflight checks (built "
                                              "before the member existed, or it declares none)",
                                              "rebuild the plugin against this xhafw's <xhafw/plugin.h>, or check "
                                              "by hand what it needs");
                if (r > 0)
                        r = 0;
                break;
        }
        case ACT_DESCRIBE: {
                char *buf = NULL;
                size_t len = 0;
                FILE *f = open_memstream(&buf, &len);
                if (!f)
                        _exit(EXIT_ERRNO_BASE + ENOMEM);
                r = p->describe ? p->describe(st, f) : 0;
                if (!p->describe)
                        fprintf(f, "(plugin %s has no describe)\n", st->plugin_name);
                fclose(f);
                if (len)
                        msg_send(msg_fd, FRAME_OUTPUT, buf);
                free(buf);
                if (r > 0)
                        r = 0;
                break;
        }
        }
        fflush(stdout);
        fflush(stderr);
        _exit(encode_result(r));
}

/* Decode a child's end: the plugin's result, or why there is none (crash, timeout). */
int action_decode(enum action_kind kind, const struct xhafw_step *st, int status, enum action_end end, char **ret_why)
{
        uint64_t secs_ms = st->timeout_ms;
        *ret_why = NULL;
        if (end == END_INTERRUPTED) {
                *ret_why = xasprintf("%s was ended: xhafw was interrupted", action_names[kind]);
                return -EINTR;
        }
        if (end == END_TIMED_OUT) {
                *ret_why = xasprintf("%s timed out after %llu.%03llus and was killed; raise `timeout` of the step if "
                                     "it needs longer",
                                     action_names[kind], (unsigned long long) secs_ms / 1000,
                                     (unsigned long long) secs_ms % 1000);
                return -ETIME;
        }
        if (WIFSIGNALED(status)) {
                *ret_why = xasprintf("%s crashed with signal %d (%s): a bug in plugin %s", action_names[kind],
                                     WTERMSIG(status), strsignal(WTERMSIG(status)), st->plugin_name);
                return -ECHILD;
        }
        if (!WIFEXITED(status))
                return -ECHILD;
        switch (WEXITSTATUS(status)) {
        case 0:
        case 1:
        case 2: return WEXITSTATUS(status);
        case EXIT_REFUSED: return XHAFW_REFUSED;
        case EXIT_BAD_RESULT:
                *ret_why = xasprintf("%s returned a value outside its contract: a bug in plugin %s", action_names[kind],
                                     st->plugin_name);
                return -EPROTO;
        default:
                if (WEXITSTATUS(status) > EXIT_ERRNO_BASE)
                        return -(WEXITSTATUS(status) - EXIT_ERRNO_BASE);
                *ret_why = xasprintf("%s exited with status %d: a plugin must return, not exit()", action_names[kind],
                                     WEXITSTATUS(status));
                return -EPROTO;
        }
}
