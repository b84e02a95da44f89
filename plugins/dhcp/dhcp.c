/* dhcp plugin: xCAT's DHCP configuration regenerated (makedhcp -n, makedhcp -a) and dhcpd started. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include "preflight.h"
#include "xcat.h"

static const struct xhafw_option dhcp_options[] = {
        { .name = "service",
          .type = XHAFW_OPT_STRING,
          .default_value = "dhcpd",
          .help = "the DHCP server unit (dhcpd, isc-dhcp-server)" },
        { .name = NULL },
};

static const char *unit(struct xhafw_step *step)
{
        return xhafw_opt_string(step, "service");
}

static int dhcp_describe(struct xhafw_step *step, FILE *out)
{
        fprintf(out,
                "runs makedhcp -n (new dhcpd configuration) and makedhcp -a (every node's lease entry),\n"
                "then starts %s; deactivate stops %s\n",
                unit(step), unit(step));
        return 0;
}

static int dhcp_validate(struct xhafw_step *step)
{
        return xc_validate_unit(step, "service", false);
}

static int dhcp_check(struct xhafw_step *step)
{
        return xc_service_state(step, unit(step));
}

/* makedhcp reports nodes it could not add (no MAC, no IP) as warnings and still exits 0: the
 * admin must see them, but they do not stop the role from moving. */
static int makedhcp(struct xhafw_step *step, const char *arg)
{
        const char *const argv[] = { "makedhcp", arg, NULL };
        char *output = NULL;
        int r = xc_run(step, argv, 0, &output);

        if (r == 0)
                xc_log_warnings(step, "makedhcp", output);
        free(output);
        return r;
}

static int dhcp_apply(struct xhafw_step *step)
{
        int r = makedhcp(step, "-n");

        if (r < 0)
                return r;
        r = makedhcp(step, "-a");
        if (r < 0)
                return r;
        return xc_service_start(step, unit(step));
}

static int dhcp_revert(struct xhafw_step *step)
{
        return xc_service_stop(step, unit(step));
}

/* The DHCP server: installed, not started at boot, not running on a standby; makedhcp here. */
static int dhcp_preflight(struct xhafw_step *step)
{
        static const char *const cmds[] = { "makedhcp", NULL };

        pf_service(step, unit(step));
        xc_preflight_commands(step, cmds);
        return 0;
}

XHAFW_PLUGIN_DEFINE(.name = "dhcp", .version = "1.1",
                    .summary = "DHCP for the cluster: makedhcp -n, makedhcp -a, dhcpd started", .options = dhcp_options,
                    .describe = dhcp_describe, .check = dhcp_check, .apply = dhcp_apply, .revert = dhcp_revert,
                    .validate = dhcp_validate, .preflight = dhcp_preflight);
