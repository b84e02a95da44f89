/* Test-only plugin: a step whose actions succeed, fail, hang, crash, lie or refuse on demand. Its
 * state is a marker file (`target`) or, without one, a key of its state store. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <xhafw/plugin.h>

static const struct xhafw_option fake_options[] = {
        { "target", XHAFW_OPT_PATH, false, NULL, "marker file: the step is active while it exists" },
        { "check_mode", XHAFW_OPT_STRING, false, "ok",
          "ok, fail (-EIO, silent), logfail (logs an error, then -EIO), crash, hang, noisy (a flood of log "
          "lines and output, then ok)" },
        { "apply_mode", XHAFW_OPT_STRING, false, "ok",
          "ok, fail (logs, -EIO), logfail, partial (does the change, logs, then -EIO), hang, crash, lie "
          "(success without effect), refuse, exit, noisy" },
        { "revert_mode", XHAFW_OPT_STRING, false, "ok", "as apply_mode" },
        { "validate_mode", XHAFW_OPT_STRING, false, "ok", "ok, logfail (logs an error, then -EINVAL), crash, noisy" },
        { "trigger", XHAFW_OPT_PATH, false, NULL, "the modes apply only while this file exists" },
        { "ignore_term", XHAFW_OPT_BOOL, false, "no", "a hang ignores SIGTERM" },
        { "sleep", XHAFW_OPT_DURATION, false, "0ms", "apply takes this long" },
        { "revert_sleep", XHAFW_OPT_DURATION, false, "0ms", "revert takes this long" },
        { "command", XHAFW_OPT_ARGV, false, NULL, "argv run by apply through xhafw_run" },
        { "file", XHAFW_OPT_PATH, false, NULL, "file apply writes `content` to through xhafw_file_replace" },
        { "content", XHAFW_OPT_STRING, false, "", "see file" },
        { "count", XHAFW_OPT_INT, false, "0", "unused: an int option for the schema tests" },
        { "address", XHAFW_OPT_ADDRESS, false, NULL, "unused: an address option for the schema tests" },
        { "interface", XHAFW_OPT_INTERFACE, false, NULL, "unused: an interface option for the schema tests" },
        { "invalid", XHAFW_OPT_BOOL, false, "no", "validate() refuses the step" },
        { "preflight_mode", XHAFW_OPT_STRING, false, "pass",
          "pass, warn, fail (one check of that result), crash, error (-EIO), none (reports nothing)" },
        { "fact", XHAFW_OPT_STRING, false, NULL, "preflight reports fact 'value' with this value" },
        { "background", XHAFW_OPT_DURATION, false, "0ms",
          "apply leaves background work (xhafw_background) that takes this long" },
        { "background_bound", XHAFW_OPT_DURATION, false, "5s", "the bound it declares" },
        { "background_file", XHAFW_OPT_PATH, false, NULL,
          "the work writes its pid here when it starts and appends 'done' when it ends" },
        { .name = NULL },
};

static const char *mode(struct xhafw_step *step, const char *name)
{
        const char *trigger = xhafw_opt_string(step, "trigger");
        if (trigger && access(trigger, F_OK) < 0)
                return "ok";
        return xhafw_opt_string(step, name);
}

static void sleep_ms(uint64_t ms)
{
        struct timespec ts = { .tv_sec = (time_t) (ms / 1000), .tv_nsec = (long) (ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static bool active(struct xhafw_step *step)
{
        const char *target = xhafw_opt_string(step, "target");
        if (target)
                return access(target, F_OK) == 0;
        return xhafw_state_get(step, "active") != NULL;
}

static int set_active(struct xhafw_step *step, bool on)
{
        const char *target = xhafw_opt_string(step, "target");
        if (xhafw_dry_run(step)) {
                xhafw_log(step, LOG_NOTICE, "would %s %s", on ? "create" : "remove", target ? target : "the marker");
                return 0;
        }
        if (!target)
                return xhafw_state_set(step, "active", on ? "1" : NULL);
        if (on) {
                int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
                if (fd < 0)
                        return -errno;
                close(fd);
        } else if (unlink(target) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

/* What real plugins do before they fail or succeed: many lines, at every priority, through the
 * host API and on stdout and stderr (a library that prints). */
static void flood(struct xhafw_step *step)
{
        static const char chunk[] = "stray output of a library that prints instead of logging ..........\n";
        for (int i = 0; i < 400; i++)
                xhafw_log(step, i % 8, "noisy line %d of 400 at priority %d: %s", i, i % 8,
                          "a long message that fills the framing buffer a little more than usual");
        for (int i = 0; i < 1000; i++)
                if (write(i % 2 ? STDOUT_FILENO : STDERR_FILENO, chunk, sizeof chunk - 1) < 0)
                        break;
}

static int misbehave(struct xhafw_step *step, const char *m)
{
        if (strcmp(m, "noisy") == 0) {
                flood(step);
                return 1;
        }
        if (strcmp(m, "logfail") == 0) {
                xhafw_log(step, LOG_WARNING, "injected: something looks wrong");
                xhafw_log(step, LOG_ERR, "injected: logged failure of %s", xhafw_step_name(step));
                return -EIO;
        }
        if (strcmp(m, "fail") == 0) {
                xhafw_log(step, LOG_ERR, "injected failure");
                return -EIO;
        }
        if (strcmp(m, "refuse") == 0) {
                xhafw_log(step, LOG_ERR, "injected refusal: the resource answers elsewhere");
                return XHAFW_REFUSED;
        }
        if (strcmp(m, "crash") == 0) {
                raise(SIGSEGV);
                return -EIO;
        }
        if (strcmp(m, "exit") == 0)
                _exit(7);
        if (strcmp(m, "hang") == 0) {
                if (xhafw_opt_bool(step, "ignore_term"))
                        signal(SIGTERM, SIG_IGN);
                for (int i = 0; i < 36000; i++)
                        sleep_ms(100);
                return -ETIMEDOUT;
        }
        return 1; /* ok or lie: go on */
}

static int fake_check(struct xhafw_step *step)
{
        const char *m = mode(step, "check_mode");
        if (strcmp(m, "fail") == 0)
                return -EIO;
        if (strcmp(m, "ok") != 0) {
                int r = misbehave(step, m);
                if (r <= 0)
                        return r;
        }
        return active(step) ? XHAFW_ACTIVE : XHAFW_INACTIVE;
}

struct work {
        uint64_t ms;
        const char *file;
};

static void append_line(const char *file, const char *text)
{
        int fd;
        if (!file || (fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) < 0)
                return;
        if (write(fd, text, strlen(text)) < 0) {
                /* a test reads the file: a short one fails it */
        }
        close(fd);
}

static void background_work(void *arg)
{
        const struct work *w = arg;
        char pid[32];
        snprintf(pid, sizeof pid, "%ld\n", (long) getpid());
        append_line(w->file, pid);
        sleep_ms(w->ms);
        append_line(w->file, "done\n");
}

static int start_background(struct xhafw_step *step)
{
        static struct work w; /* the work runs in a copy of this process: it outlives the call */
        w.ms = xhafw_opt_duration_ms(step, "background");
        w.file = xhafw_opt_string(step, "background_file");
        if (!w.ms)
                return 0;
        return xhafw_background(step, "fake background work", xhafw_opt_duration_ms(step, "background_bound"),
                                background_work, &w);
}

static int act(struct xhafw_step *step, const char *mode_name, bool on)
{
        if (on) {
                int r = start_background(step);
                if (r < 0)
                        return r;
        }
        const char *m = mode(step, mode_name);
        int r = misbehave(step, m);
        if (r <= 0)
                return r;
        sleep_ms(xhafw_opt_duration_ms(step, on ? "sleep" : "revert_sleep"));
        if (strcmp(m, "lie") == 0)
                return 0;
        if (strcmp(m, "partial") == 0) {
                /* half the work, then the failure: what revert (or the rollback) must clean up */
                r = set_active(step, on);
                xhafw_log(step, LOG_ERR, "injected: %s failed after doing part of its work", on ? "apply" : "revert");
                return r < 0 ? r : -EIO;
        }
        if (on) {
                const char *const *argv;
                const char *file = xhafw_opt_string(step, "file");
                if (xhafw_opt_list(step, "command", &argv)) {
                        r = xhafw_run(step, argv, 0, NULL);
                        if (r != 0)
                                return r < 0 ? r : -EIO;
                }
                if (file) {
                        r = xhafw_file_replace(step, file, xhafw_opt_string(step, "content"));
                        if (r < 0)
                                return r;
                }
        }
        return set_active(step, on);
}

static int fake_apply(struct xhafw_step *step)
{
        return act(step, "apply_mode", true);
}

static int fake_revert(struct xhafw_step *step)
{
        return act(step, "revert_mode", false);
}

static int fake_describe(struct xhafw_step *step, FILE *out)
{
        const char *target = xhafw_opt_string(step, "target");
        fprintf(out, "fake step, marker %s\n", target ? target : "in the state store");
        return 0;
}

static int fake_validate(struct xhafw_step *step)
{
        const char *m = xhafw_opt_string(step, "validate_mode");
        if (strcmp(m, "logfail") == 0) {
                xhafw_log(step, LOG_ERR, "injected: validate refuses after logging");
                return -EINVAL;
        }
        if (strcmp(m, "crash") == 0 || strcmp(m, "noisy") == 0) {
                int r = misbehave(step, m);
                if (r <= 0)
                        return r;
        }
        if (xhafw_opt_bool(step, "invalid")) {
                xhafw_log(step, LOG_ERR, "invalid = yes: the plugin refuses this step");
                return -EINVAL;
        }
        return 0;
}

static int fake_preflight(struct xhafw_step *step)
{
        const char *m = xhafw_opt_string(step, "preflight_mode"), *f = xhafw_opt_string(step, "fact");
        char detail[128];

        if (f)
                xhafw_preflight_fact(step, "value", f);
        if (strcmp(m, "crash") == 0)
                raise(SIGSEGV);
        if (strcmp(m, "error") == 0)
                return -EIO;
        if (strcmp(m, "none") == 0)
                return 0;
        snprintf(detail, sizeof detail, "the marker is %s; this node is %s", active(step) ? "there" : "absent",
                 xhafw_node_active(step) ? "active" : "a standby");
        xhafw_preflight_check(step, "injected check",
                              strcmp(m, "fail") == 0 ? XHAFW_CHECK_FAIL :
                              strcmp(m, "warn") == 0 ? XHAFW_CHECK_WARN :
                                                       XHAFW_CHECK_PASS,
                              detail, "remove preflight_mode from the step");
        return 0;
}

XHAFW_PLUGIN_DEFINE(.name = "fake", .version = "1.0",
                    .summary = "test plugin: succeeds, fails, hangs or crashes on demand", .options = fake_options,
                    .describe = fake_describe, .check = fake_check, .apply = fake_apply, .revert = fake_revert,
                    .validate = fake_validate, .preflight = fake_preflight);
