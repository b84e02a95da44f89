/* conserver plugin: console server configuration regenerated (makeconservercf) and conserver started. */
#include <errno.h>
#include <stdio.h>
#include <syslog.h>

#include "preflight.h"
#include "xcat.h"

static const struct xhafw_option conserver_options[] = {
        { .name = "service",
          .type = XHAFW_OPT_STRING,
          .default_value = "conserver",
          .help = "the console server unit" },
        { .name = "other_service",
          .type = XHAFW_OPT_STRING,
          .default_value = "goconserver",
          .help = "the other console service: while it is active this step refuses to start (none: do not look; "
                  "empty: the default)" },
        { .name = NULL },
};

static const struct xc_console console = { .name = "conserver", .generator = "makeconservercf" };

static const char *unit(struct xhafw_step *step)
{
        return xhafw_opt_string(step, "service");
}

static int conserver_describe(struct xhafw_step *step, FILE *out)
{
        const char *other = xc_console_other(step);

        fprintf(out, "runs makeconservercf, then starts %s; deactivate stops %s\n", unit(step), unit(step));
        if (other)
                fprintf(out, "refuses to start while %s is active (--force overrides)\n", other);
        else
                fprintf(out, "does not look at another console service (other_service = none)\n");
        return 0;
}

static int conserver_check(struct xhafw_step *step)
{
        return xc_service_state(step, unit(step));
}

static int conserver_apply(struct xhafw_step *step)
{
        return xc_console_apply(step, &console);
}

static int conserver_revert(struct xhafw_step *step)
{
        return xc_service_stop(step, unit(step));
}

/* The console server: installed, not started at boot, not running on a standby; makeconservercf here. */
static int conserver_preflight(struct xhafw_step *step)
{
        static const char *const cmds[] = { "makeconservercf", NULL };

        pf_service(step, unit(step));
        xc_preflight_commands(step, cmds);
        return 0;
}

XHAFW_PLUGIN_DEFINE(.name = "conserver", .version = "1.1",
                    .summary = "console service: makeconservercf, conserver started", .options = conserver_options,
                    .describe = conserver_describe, .check = conserver_check, .apply = conserver_apply,
                    .revert = conserver_revert, .validate = xc_console_validate, .preflight = conserver_preflight);
