/* ntp plugin: the time service the compute nodes use (chronyd or ntpd), running on the active node only. */
#include <errno.h>
#include <stdio.h>
#include <syslog.h>

#include "xcat.h"

static const struct xhafw_option ntp_options[] = {
        { .name = "service", .type = XHAFW_OPT_STRING, .default_value = "chronyd",
          .help = "the time service unit (chronyd, ntpd)" },
        { .name = NULL },
};

static const char *unit(struct xhafw_step *step)
{
        return xhafw_opt_string(step, "service");
}

static int ntp_describe(struct xhafw_step *step, FILE *out)
{
        fprintf(out, "service %s: started on activate, stopped on deactivate (never enabled at boot)\n", unit(step));
        return 0;
}

static int ntp_validate(struct xhafw_step *step)
{
        return xc_validate_unit(step, "service", false);
}

static int ntp_check(struct xhafw_step *step)
{
        return xc_service_state(step, unit(step));
}

static int ntp_apply(struct xhafw_step *step)
{
        return xc_service_start(step, unit(step));
}

static int ntp_revert(struct xhafw_step *step)
{
        return xc_service_stop(step, unit(step));
}

XHAFW_PLUGIN_DEFINE(.name = "ntp", .version = "1.0",
                    .summary = "time service for the cluster, active on the management node only",
                    .options = ntp_options, .describe = ntp_describe, .check = ntp_check,
                    .apply = ntp_apply, .revert = ntp_revert, .validate = ntp_validate);
