/* xcat-networks plugin: the provision network's mgtifname in xCAT's networks table set to the VIP's
 * label while this node is active, the previous value restored after. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "xcat.h"

static const struct xhafw_option networks_options[] = {
        { .name = "network", .type = XHAFW_OPT_STRING, .required = true,
          .help = "the xCAT network object (lsdef -t network), e.g. 10_0_0_0-255_0_0_0" },
        { .name = "mgtifname", .type = XHAFW_OPT_STRING, .required = true,
          .help = "the interface xCAT serves the network on while active: the VIP's label, e.g. eth0:0" },
        { .name = "fallback_mgtifname", .type = XHAFW_OPT_STRING,
          .help = "optional: what deactivate sets when there is no remembered value to restore (activate "
                  "found mgtifname already set, e.g. after the other node failed while active), e.g. eth0" },
        { .name = NULL },
};

#define STATE_PREVIOUS "previous_mgtifname"

static const char *network(struct xhafw_step *step)
{
        return xhafw_opt_string(step, "network");
}

static const char *wanted(struct xhafw_step *step)
{
        return xhafw_opt_string(step, "mgtifname");
}

/* lsdef and chdef take these as words; a blank or '=' would make them other words or attributes. */
static bool plain_value(const char *s, bool empty_ok)
{
        if (!s || (!*s && !empty_ok))
                return false;
        for (; *s; s++)
                if (*s <= ' ' || *s == '=' || *s == ',' || *s == 0x7f)
                        return false;
        return true;
}

static int networks_validate(struct xhafw_step *step)
{
        const char *fb = xhafw_opt_string(step, "fallback_mgtifname");

        if (!plain_value(network(step), false)) {
                xhafw_log(step, LOG_ERR, "network = \"%s\": an xCAT object name has no blanks, '=' or ','",
                          network(step) ? network(step) : "");
                return -EINVAL;
        }
        if (!plain_value(wanted(step), false) || (fb && !plain_value(fb, true))) {
                xhafw_log(step, LOG_ERR, "mgtifname and fallback_mgtifname are interface names: no blanks, '=' or ','");
                return -EINVAL;
        }
        return 0;
}

static int networks_describe(struct xhafw_step *step, FILE *out)
{
        const char *prev = xhafw_state_get(step, STATE_PREVIOUS);
        const char *fb = xhafw_opt_string(step, "fallback_mgtifname");

        fprintf(out, "xCAT network %s: mgtifname=%s while active (chdef -t network -o %s mgtifname=%s)\n",
                network(step), wanted(step), network(step), wanted(step));
        if (prev)
                fprintf(out, "deactivate restores mgtifname=%s (remembered by activate)\n", prev);
        else if (fb)
                fprintf(out, "deactivate restores the value activate finds, or mgtifname=%s\n", fb);
        else
                fprintf(out, "deactivate restores the value activate finds\n");
        return 0;
}

/* The current mgtifname ("" when unset) into *ret. */
static int current(struct xhafw_step *step, unsigned flags, char **ret)
{
        const char *const argv[] = { "lsdef", "-t", "network", "-o", network(step), "-i", "mgtifname", NULL };
        char *v = NULL;
        int r = xc_lsdef_get(step, argv, network(step), "mgtifname", flags, &v);

        if (r < 0)
                return r;
        if (!v) {
                v = strdup("");
                if (!v)
                        return -ENOMEM;
        }
        *ret = v;
        return 0;
}

static int set_value(struct xhafw_step *step, const char *value)
{
        char *attr = NULL;
        int r;

        if (asprintf(&attr, "mgtifname=%s", value) < 0)
                return -ENOMEM;
        {
                const char *const argv[] = { "chdef", "-t", "network", "-o", network(step), attr, NULL };
                r = xc_run(step, argv, 0, NULL);
        }
        free(attr);
        return r;
}

static int networks_check(struct xhafw_step *step)
{
        char *v = NULL;
        int r = current(step, XC_RUN_QUIET, &v);

        if (r < 0)
                return r;
        r = strcmp(v, wanted(step)) == 0 ? XHAFW_ACTIVE : XHAFW_INACTIVE;
        free(v);
        return r;
}

static int networks_apply(struct xhafw_step *step)
{
        char *v = NULL;
        int r = current(step, xhafw_dry_run(step) ? XC_RUN_QUIET : 0, &v);

        if (r < 0) {
                if (!xhafw_dry_run(step))
                        return r;
                /* Dry-run assumes xcatd (an earlier step) is up; it is not yet. */
                xhafw_log(step, LOG_NOTICE, "cannot read network %s now (is xcatd running?)", network(step));
                return set_value(step, wanted(step));
        }
        if (strcmp(v, wanted(step)) == 0) {
                xhafw_log(step, LOG_INFO, "network %s already has mgtifname=%s", network(step), v);
                free(v);
                return 0;
        }
        /* Remember only the first value seen: a second apply (after a failed one) must not
         * remember our own value as the one to restore. */
        if (!xhafw_state_get(step, STATE_PREVIOUS)) {
                r = xhafw_state_set(step, STATE_PREVIOUS, v);
                if (r < 0) {
                        free(v);
                        return r;
                }
        }
        xhafw_log(step, LOG_INFO, "network %s: mgtifname %s -> %s", network(step), *v ? v : "(unset)", wanted(step));
        free(v);
        return set_value(step, wanted(step));
}

static int networks_revert(struct xhafw_step *step)
{
        const char *prev = xhafw_state_get(step, STATE_PREVIOUS);
        const char *fb = xhafw_opt_string(step, "fallback_mgtifname");
        char *v = NULL, *restore = NULL;
        int r = current(step, xhafw_dry_run(step) ? XC_RUN_QUIET : 0, &v);

        if (r < 0) {
                if (!xhafw_dry_run(step))
                        return r;
                xhafw_log(step, LOG_NOTICE, "cannot read network %s now (is xcatd running?)", network(step));
                if (prev || fb)
                        return set_value(step, prev ? prev : fb);
                return 0;
        }
        if (strcmp(v, wanted(step)) != 0) {
                /* Not ours (any more): a failed apply never changed it, or the admin did since. */
                xhafw_log(step, LOG_INFO, "network %s has mgtifname=%s, not %s: nothing to restore",
                          network(step), *v ? v : "(unset)", wanted(step));
                free(v);
                return xhafw_state_set(step, STATE_PREVIOUS, NULL);
        }
        free(v);
        if (prev && strcmp(prev, wanted(step)) != 0)
                restore = strdup(prev);
        else if (fb && strcmp(fb, wanted(step)) != 0)
                restore = strdup(fb);
        else {
                xhafw_log(step, LOG_ERR,
                          "network %s: no value of mgtifname to restore (activate found it already %s, e.g. "
                          "left by the other node): set fallback_mgtifname, or chdef -t network -o %s mgtifname=...",
                          network(step), wanted(step), network(step));
                return -ENODATA;
        }
        if (!restore)
                return -ENOMEM;
        r = set_value(step, restore);
        free(restore);
        if (r < 0)
                return r;
        return xhafw_state_set(step, STATE_PREVIOUS, NULL);
}

XHAFW_PLUGIN_DEFINE(.name = "xcat-networks", .version = "1.0",
                    .summary = "xCAT networks table: mgtifname of the provision network = the VIP's label",
                    .options = networks_options, .describe = networks_describe, .check = networks_check,
                    .apply = networks_apply, .revert = networks_revert, .validate = networks_validate);
