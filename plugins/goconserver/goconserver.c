/* goconserver plugin: console server configuration regenerated (makegocons) and goconserver started. */
#include <errno.h>
#include <stdio.h>
#include <syslog.h>

#include "preflight.h"
#include "xcat.h"

static const struct xhafw_option goconserver_options[] = {
        { .name = "service",
          .type = XHAFW_OPT_STRING,
          .default_value = "goconserver",
          .help = "the console server unit" },
        { .name = "other_service",
          .type = XHAFW_OPT_STRING,
          .default_value = "conserver",
          .help = "the other console service: while it is active this step refuses to start (none: do not look; "
                  "empty: the default)" },
        { .name = NULL },
};

static const struct xc_console console = { .name = "goconserver", .generator = "makegocons" };

static const char *unit(struct xhafw_step *step)
{
        return xhafw_opt_string(step, "service");
}

static int goconserver_describe(struct xhafw_step *step, FILE *out)
{
        const char *other = xc_console_other(step);

        fprintf(out, "runs makegocons, then starts %s; deactivate stops %s\n", unit(step), unit(step));
        if (other)
                fprintf(out, "refuses to start while %s is active (--force overrides)\n", other);
        else
                fprintf(out, "does not look at another console service (other_service = none)\n");
        return 0;
}

static int goconserver_check(struct xhafw_step *step)
{
        return xc_service_state(step, unit(step));
}

static int goconserver_apply(struct xhafw_step *step)
{
        return xc_console_apply(step, &console);
}

static int goconserver_revert(struct xhafw_step *step)
{
        return xc_service_stop(step, unit(step));
}

/* The console server: installed, not started at boot, not running on a standby; makegocons here. */
static int goconserver_preflight(struct xhafw_step *step)
{
        static const char *const cmds[] = { "makegocons", NULL };

        pf_service(step, unit(step));
        xc_preflight_commands(step, cmds);
        return 0;
}

XHAFW_PLUGIN_DEFINE(.name = "goconserver", .version = "1.1",
                    .summary = "console service: makegocons, goconserver started", .options = goconserver_options,
                    .describe = goconserver_describe, .check = goconserver_check, .apply = goconserver_apply,
                    .revert = goconserver_revert, .validate = xc_console_validate, .preflight = goconserver_preflight);
