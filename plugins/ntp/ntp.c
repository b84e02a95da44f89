/* ntp plugin: the time service the compute nodes use (chronyd or ntpd), running on the active node only. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "preflight.h"
#include "xcat.h"

static const struct xhafw_option ntp_options[] = {
        { .name = "service",
          .type = XHAFW_OPT_STRING,
          .default_value = "chronyd",
          .help = "the time service unit (chronyd, ntpd)" },
        { .name = "max_offset",
          .type = XHAFW_OPT_DURATION,
          .default_value = "1s",
          .help = "preflight: how far the clock may be from its time source before it is reported" },
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

/* What one source of the clock's state said. */
struct clock_state {
        int synced;      /* 1, 0, or -1: this source cannot tell */
        double offset_s; /* from the time source, when known (NAN: not) */
        char seen[256];  /* the words it said, for the detail */
};

/* Into BUF the value of "KEY : VALUE" in OUT (chronyc tracking's layout); false when OUT has no KEY. */
static bool field(const char *out, const char *key, char *buf, size_t size)
{
        const char *p = out;
        size_t n = strlen(key);

        for (; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                const char *colon;
                size_t len;
                if (strncmp(p, key, n) != 0 || !(colon = strchr(p, ':')) || colon - p > 40)
                        continue;
                colon++;
                colon += strspn(colon, " \t");
                len = strcspn(colon, "\n");
                snprintf(buf, size, "%.*s", (int) len, colon);
                return true;
        }
        return false;
}

static void chronyc(struct xhafw_step *step, struct clock_state *cs)
{
        const char *const argv[] = { "chronyc", "-n", "tracking", NULL };
        char *out = NULL, leap[64], sys[128], dir[16] = "";
        double v;

        /* 506 Cannot talk to daemon: chronyd does not run here (a standby) */
        if (xhafw_run(step, argv, XHAFW_RUN_READONLY, &out) != 0 || !field(out, "Leap status", leap, sizeof leap)) {
                free(out);
                return;
        }
        cs->synced = strcmp(leap, "Not synchronised") != 0;
        if (field(out, "System time", sys, sizeof sys) && sscanf(sys, "%lf seconds %15s", &v, dir) == 2)
                cs->offset_s = strcmp(dir, "slow") == 0 ? -v : v;
        snprintf(cs->seen, sizeof cs->seen, "chronyc tracking: leap status %s, system time %s", leap,
                 *dir ? sys : "unknown");
        free(out);
}

static void ntpstat(struct xhafw_step *step, struct clock_state *cs)
{
        const char *const argv[] = { "ntpstat", NULL };
        char *out = NULL;
        /* 0 synchronised, 1 not, 2 cannot tell (ntpd does not answer) */
        int r = xhafw_run(step, argv, XHAFW_RUN_READONLY, &out);

        if (r == 0 || r == 1) {
                const char *o = out ? out : "";
                cs->synced = r == 0;
                snprintf(cs->seen, sizeof cs->seen, "ntpstat: %.*s", (int) strcspn(o, "\n"), o);
        }
        free(out);
}

static void timedatectl(struct xhafw_step *step, struct clock_state *cs)
{
        /* The kernel's own flag, whichever service keeps the clock */
        const char *const argv[] = { "timedatectl", "show", "-p", "NTPSynchronized", "--value", NULL };
        char *out = NULL;

        if (xhafw_run(step, argv, XHAFW_RUN_READONLY, &out) == 0 && out) {
                out[strcspn(out, "\n")] = 0;
                if (strcmp(out, "yes") == 0 || strcmp(out, "no") == 0) {
                        cs->synced = strcmp(out, "yes") == 0;
                        snprintf(cs->seen, sizeof cs->seen, "timedatectl: NTPSynchronized=%s", out);
                }
        }
        free(out);
}

/* Is the clock synchronised? Asked of whichever tool is on the path and answers, in this order. */
static void clock_check(struct xhafw_step *step)
{
        static const struct {
                const char *cmd;
                void (*ask)(struct xhafw_step *step, struct clock_state *cs);
        } tools[] = { { "chronyc", chronyc }, { "ntpstat", ntpstat }, { "timedatectl", timedatectl } };
        struct clock_state cs = { .synced = -1, .offset_s = NAN };
        double max_s = (double) xhafw_opt_duration_ms(step, "max_offset") / 1000.0;
        bool active = xhafw_node_active(step);
        char *path = NULL, *file, fix[512];

        if (pf_path(step, &path) == 0)
                for (size_t i = 0; i < sizeof tools / sizeof tools[0] && cs.synced < 0; i++)
                        if (pf_which(path, tools[i].cmd, &file) == 0) {
                                free(file);
                                tools[i].ask(step, &cs);
                        }
        free(path);
        if (cs.synced < 0) {
                pf_report(step, "clock synchronised", XHAFW_CHECK_WARN,
                          "install chrony (chronyc) or make timedatectl answer; compare the clocks with "
                          "`xhafw preflight --peer OTHER`",
                          "cannot tell: neither chronyc tracking, ntpstat nor timedatectl answered");
                return;
        }
        if (!cs.synced) {
                /* On a standby the cluster's time service is stopped by design: what keeps this
                 * clock is the admin's choice, and the peer comparison measures the offset. */
                snprintf(
                        fix, sizeof fix,
                        active ?
                                "systemctl restart %s; then chronyc sources (or ntpq -p) shows why "
                                "it has no usable source" :
                                "keep the standby's clock with a time client against the site's "
                                "servers (%s itself runs on the active node only); compare with `xhafw preflight --peer`",
                        unit(step));
                pf_report(step, "clock synchronised", active ? XHAFW_CHECK_FAIL : XHAFW_CHECK_WARN, fix,
                          "the clock is not synchronised (%s)", cs.seen);
                return;
        }
        if (!isnan(cs.offset_s) && fabs(cs.offset_s) > max_s) {
                snprintf(fix, sizeof fix,
                         "chronyc makestep (steps the clock now), or wait for the slew; max_offset "
                         "in the step sets the limit");
                pf_report(step, "clock synchronised", XHAFW_CHECK_WARN, fix,
                          "synchronised, but %.3f s from its source, over max_offset %.3f s (%s)", cs.offset_s, max_s,
                          cs.seen);
                return;
        }
        pf_report(step, "clock synchronised", XHAFW_CHECK_PASS, NULL, "%s", cs.seen);
}

/* The time service's unit, and whether the clock is right. */
static int ntp_preflight(struct xhafw_step *step)
{
        pf_service(step, unit(step));
        clock_check(step);
        return 0;
}

XHAFW_PLUGIN_DEFINE(.name = "ntp", .version = "1.1",
                    .summary = "time service for the cluster, active on the management node only",
                    .options = ntp_options, .describe = ntp_describe, .check = ntp_check, .apply = ntp_apply,
                    .revert = ntp_revert, .validate = ntp_validate, .preflight = ntp_preflight);
