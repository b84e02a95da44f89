/* service: a unit started (and answering its readiness command) on apply, stopped on revert. */
#include <errno.h>
#include <stdlib.h>
#include <syslog.h>

#include <xhafw/plugin.h>

#include "preflight.h"

static const struct xhafw_option service_options[] = {
        { "unit", XHAFW_OPT_STRING, true, NULL, "unit the service manager starts and stops, e.g. xcatd" },
        { "ready_command", XHAFW_OPT_ARGV, false, NULL,
          "argv of a read-only query polled after start until it exits 0, e.g. lsxcatd, -a" },
        { "ready_timeout", XHAFW_OPT_DURATION, false, "60s", "how long to wait for ready_command" },
        { "ready_interval", XHAFW_OPT_DURATION, false, "100ms", "between two tries of ready_command" },
        { .name = NULL },
};

static int ready(struct xhafw_step *step)
{
        const char *const *argv;
        if (xhafw_opt_list(step, "ready_command", &argv) == 0)
                return 1;
        return xhafw_run(step, argv, XHAFW_RUN_READONLY, NULL) == 0;
}

static int service_check(struct xhafw_step *step)
{
        const char *unit = xhafw_opt_string(step, "unit");
        int r = xhafw_service(step, "is-active", unit);
        if (r < 0)
                return r;
        /* is-active: 3 not active, 4 no such unit. Anything else is the service manager failing (no
         * bus, no permission): saying inactive then would let an active node's status deny its role. */
        if (r == 3 || r == 4)
                return XHAFW_INACTIVE;
        if (r != 0) {
                xhafw_log(step, LOG_NOTICE,
                          "cannot tell whether %s is active: the service manager exited with status %d", unit, r);
                return -EIO;
        }
        /* Running but not answering is not the role: xcatd up without its port is of no use. */
        return ready(step) ? XHAFW_ACTIVE : XHAFW_PARTIAL;
}

static int service_apply(struct xhafw_step *step)
{
        const char *unit = xhafw_opt_string(step, "unit");
        const char *const *argv;
        uint64_t deadline;
        int r;

        r = xhafw_service(step, "start", unit);
        if (r < 0)
                return r;
        if (r != 0) {
                xhafw_log(step, LOG_ERR, "starting %s failed (service manager exit status %d): see its log", unit, r);
                return -EIO;
        }
        if (xhafw_dry_run(step) || xhafw_opt_list(step, "ready_command", &argv) == 0)
                return 0;
        deadline = xhafw_now_ms() + xhafw_opt_duration_ms(step, "ready_timeout");
        for (;;) {
                if (ready(step))
                        return 0;
                if (xhafw_now_ms() >= deadline)
                        break;
                xhafw_sleep_ms(xhafw_opt_duration_ms(step, "ready_interval"));
        }
        xhafw_log(step, LOG_ERR, "%s started but %s did not answer within ready_timeout (%llums)", unit, argv[0],
                  (unsigned long long) xhafw_opt_duration_ms(step, "ready_timeout"));
        return -ETIMEDOUT;
}

static int service_revert(struct xhafw_step *step)
{
        const char *unit = xhafw_opt_string(step, "unit");
        int r = xhafw_service(step, "stop", unit);
        if (r < 0)
                return r;
        if (r != 0) {
                xhafw_log(step, LOG_ERR, "stopping %s failed (service manager exit status %d)", unit, r);
                return -EIO;
        }
        return 0;
}

static int service_describe(struct xhafw_step *step, FILE *out)
{
        const char *const *argv;
        size_t n = xhafw_opt_list(step, "ready_command", &argv);
        fprintf(out, "service %s", xhafw_opt_string(step, "unit"));
        if (n) {
                fprintf(out, "; ready when");
                for (size_t i = 0; i < n; i++)
                        fprintf(out, " %s", argv[i]);
                fprintf(out, " exits 0 (within %llums)",
                        (unsigned long long) xhafw_opt_duration_ms(step, "ready_timeout"));
        }
        fputc('\n', out);
        return 0;
}

/* Configuration only. The unit goes to the service manager as one argument: blanks or a '/' mean
 * something else was written (a command line, a unit file's path). The rule of the xCAT plugins'
 * xc_validate_unit(), which lives with their helpers this plugin does not link. A pause of 0 would
 * make apply run ready_command back to back until ready_timeout. */
static int service_validate(struct xhafw_step *step)
{
        const char *unit = xhafw_opt_string(step, "unit");

        if (!unit || !*unit) {
                xhafw_log(step, LOG_ERR, "unit is empty: name the unit the service manager starts, e.g. unit = xcatd");
                return -EINVAL;
        }
        for (const char *p = unit; *p; p++)
                if (*p <= ' ' || *p == '/' || *p == 0x7f) {
                        xhafw_log(step, LOG_ERR,
                                  "unit = '%s': a unit name has no blanks or '/'; write the unit's name alone, e.g. "
                                  "unit = xcatd (a readiness query goes in ready_command)",
                                  unit);
                        return -EINVAL;
                }
        if (xhafw_opt_duration_ms(step, "ready_interval") == 0) {
                xhafw_log(step, LOG_ERR,
                          "ready_interval = %s: apply would run ready_command with no pause between tries; write a "
                          "pause, e.g. ready_interval = 100ms (the default) or 1s",
                          xhafw_opt_string(step, "ready_interval"));
                return -EINVAL;
        }
        return 0;
}

/* The unit as the service manager sees it, and the readiness query can run here. */
static int service_preflight(struct xhafw_step *step)
{
        const char *const *argv;

        pf_service(step, xhafw_opt_string(step, "unit"));
        if (xhafw_opt_list(step, "ready_command", &argv) > 0) {
                const char *const cmd[] = { argv[0], NULL };
                pf_commands(step, cmd,
                            "install what provides ready_command, or add its directory to path = in "
                            "xhafw.conf");
        }
        return 0;
}

XHAFW_PLUGIN_DEFINE(.name = "service", .version = "1.1",
                    .summary = "a service started and answering on activate, stopped on deactivate",
                    .options = service_options, .describe = service_describe, .check = service_check,
                    .apply = service_apply, .revert = service_revert, .validate = service_validate,
                    .preflight = service_preflight);
