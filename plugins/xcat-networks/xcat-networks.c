/* xcat-networks plugin: the provision network's mgtifname in xCAT's networks table set to the VIP's
 * label while this node is active, the previous value restored after. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "xcat.h"

static const struct xhafw_option networks_options[] = {
        { .name = "network",
          .type = XHAFW_OPT_STRING,
          .required = true,
          .help = "the xCAT network object (lsdef -t network), e.g. 10_0_0_0-255_0_0_0" },
        { .name = "mgtifname",
          .type = XHAFW_OPT_STRING,
          .required = true,
          .help = "the interface xCAT serves the network on while active: the VIP's label, e.g. eth0:0" },
        { .name = "fallback_mgtifname",
          .type = XHAFW_OPT_STRING,
          .help = "optional: what deactivate sets when activate found mgtifname already set (the other node "
                  "failed while active) and so replaced nothing; default: the interface the label belongs "
                  "to (eth0 for eth0:0)" },
        { .name = NULL },
};

/* State: "previous_mgtifname" the value apply replaced, "applied" that this node set the table (or
 * found it set and took it over). The table is shared by both nodes: without this node's record, the
 * label in it is the other node's work (or the admin's), not this node's. */
#define STATE_PREVIOUS "previous_mgtifname"
#define STATE_APPLIED "applied"

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

/* This node holds the step: it set the table, or took over a value found set. A record from before
 * "applied" existed (only the replaced value) counts too. */
static bool held(struct xhafw_step *step)
{
        return xhafw_state_get(step, STATE_APPLIED) || xhafw_state_get(step, STATE_PREVIOUS);
}

enum restore_source {
        RESTORE_NONE,
        RESTORE_REMEMBERED,
        RESTORE_FALLBACK,
        RESTORE_LABEL
};

/* What deactivate sets mgtifname back to, into *ret (NULL: nothing sensible): the value activate
 * replaced; else fallback_mgtifname; else the interface the label belongs to (a label is its
 * interface's name, ':' and a suffix: eth0:0 is eth0's). Never the label itself, which would leave
 * xCAT serving the network on a VIP this node no longer holds. 0 or -ENOMEM. */
static int restore_value(struct xhafw_step *step, char **ret, enum restore_source *ret_source)
{
        const char *prev = xhafw_state_get(step, STATE_PREVIOUS);
        const char *fb = xhafw_opt_string(step, "fallback_mgtifname");
        const char *colon = strchr(wanted(step), ':');
        enum restore_source src = RESTORE_NONE;
        char *v = NULL;

        if (prev && strcmp(prev, wanted(step)) != 0) {
                src = RESTORE_REMEMBERED;
                v = strdup(prev);
        } else if (fb && strcmp(fb, wanted(step)) != 0) {
                src = RESTORE_FALLBACK;
                v = strdup(fb);
        } else if (colon && colon > wanted(step)) {
                src = RESTORE_LABEL;
                v = strndup(wanted(step), (size_t) (colon - wanted(step)));
        }
        if (src != RESTORE_NONE && !v)
                return -ENOMEM;
        *ret = v;
        *ret_source = src;
        return 0;
}

static const char *source_text(enum restore_source src)
{
        switch (src) {
        case RESTORE_REMEMBERED: return "the value activate replaced";
        case RESTORE_FALLBACK: return "fallback_mgtifname";
        case RESTORE_LABEL: return "the interface of the label";
        default: return "nothing";
        }
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
        enum restore_source src;
        char *restore = NULL;
        int r = restore_value(step, &restore, &src);

        if (r < 0)
                return r;
        fprintf(out, "xCAT network %s: mgtifname=%s while active (chdef -t network -o %s mgtifname=%s)\n",
                network(step), wanted(step), network(step), wanted(step));
        if (src == RESTORE_REMEMBERED) {
                fprintf(out, "deactivate restores mgtifname=%s (%s)\n", restore, source_text(src));
                goto out;
        }
        if (xhafw_state_get(step, STATE_APPLIED))
                /* Active, and nothing replaced: activate found the label set already. */
                fprintf(out, "activate found mgtifname=%s set already; deactivate restores ", wanted(step));
        else
                fprintf(out,
                        "deactivate restores the value activate replaces; when activate finds mgtifname=%s "
                        "set already (left by the other node), it restores ",
                        wanted(step));
        if (src == RESTORE_NONE)
                fprintf(out, "nothing: %s names no interface (set fallback_mgtifname)\n", wanted(step));
        else if (src == RESTORE_FALLBACK)
                fprintf(out, "mgtifname=%s (fallback_mgtifname)\n", restore);
        else
                fprintf(out, "mgtifname=%s (the interface of the label %s)\n", restore, wanted(step));
out:
        free(restore);
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

static int forget(struct xhafw_step *step)
{
        int r = xhafw_state_set(step, STATE_PREVIOUS, NULL);
        return r < 0 ? r : xhafw_state_set(step, STATE_APPLIED, NULL);
}

static int networks_check(struct xhafw_step *step)
{
        char *v = NULL;
        bool set;
        int r = current(step, XC_RUN_QUIET, &v);

        if (r < 0)
                return r;
        set = strcmp(v, wanted(step)) == 0;
        free(v);
        if (!held(step)) {
                if (set)
                        xhafw_log(step, LOG_INFO,
                                  "network %s has mgtifname=%s, but this node did not set it "
                                  "(the other node did, or the admin): not this node's",
                                  network(step), wanted(step));
                return XHAFW_INACTIVE;
        }
        /* Ours, and changed since by someone else: revert must still run to drop the record. */
        return set ? XHAFW_ACTIVE : XHAFW_PARTIAL;
}

static int networks_apply(struct xhafw_step *step)
{
        enum restore_source src;
        char *v = NULL, *restore = NULL;
        int r = current(step, xhafw_dry_run(step) ? XC_RUN_QUIET : 0, &v);

        if (r < 0) {
                if (!xhafw_dry_run(step))
                        return r;
                /* Dry-run assumes xcatd (an earlier step) is up; it is not yet. */
                xhafw_log(step, LOG_NOTICE, "cannot read network %s now (is xcatd running?)", network(step));
                return set_value(step, wanted(step));
        }
        if (strcmp(v, wanted(step)) == 0) {
                free(v);
                if (!held(step)) {
                        /* Left by the other node, which failed while active: take it over. What to
                         * restore is decided at deactivate, from the configuration then. */
                        r = restore_value(step, &restore, &src);
                        if (r < 0)
                                return r;
                        if (restore)
                                xhafw_log(step, LOG_INFO,
                                          "network %s already has mgtifname=%s (left by the other "
                                          "node?); deactivate will set mgtifname=%s (%s%s%s)",
                                          network(step), wanted(step), restore, source_text(src),
                                          src == RESTORE_LABEL ? " " : "", src == RESTORE_LABEL ? wanted(step) : "");
                        else
                                xhafw_log(step, LOG_WARNING,
                                          "network %s already has mgtifname=%s (left by the other "
                                          "node?) and %s names no interface: deactivate will have "
                                          "nothing to restore; set fallback_mgtifname",
                                          network(step), wanted(step), wanted(step));
                        free(restore);
                } else
                        xhafw_log(step, LOG_INFO, "network %s already has mgtifname=%s", network(step), wanted(step));
                return xhafw_state_set(step, STATE_APPLIED, "yes");
        }
        /* Remember only the first value seen: a second apply (after a failed one) must not
         * remember our own value as the one to restore. Recorded before chdef, so that a chdef that
         * changed the table and then failed is still undone by revert. */
        if (!xhafw_state_get(step, STATE_PREVIOUS))
                r = xhafw_state_set(step, STATE_PREVIOUS, v);
        if (r == 0)
                r = xhafw_state_set(step, STATE_APPLIED, "yes");
        if (r < 0) {
                free(v);
                return r;
        }
        xhafw_log(step, LOG_INFO, "network %s: mgtifname %s -> %s", network(step), *v ? v : "(unset)", wanted(step));
        free(v);
        return set_value(step, wanted(step));
}

static int networks_revert(struct xhafw_step *step)
{
        enum restore_source src;
        char *v = NULL, *restore = NULL;
        bool readable;
        int r;

        /* apply records before it changes the table: without a record, this node changed nothing. */
        if (!held(step)) {
                xhafw_log(step, LOG_INFO, "network %s: this node did not set mgtifname, nothing to restore",
                          network(step));
                return 0;
        }
        r = current(step, xhafw_dry_run(step) ? XC_RUN_QUIET : 0, &v);
        readable = r == 0;
        if (readable && strcmp(v, wanted(step)) != 0) {
                /* Not ours (any more): a failed apply never changed it, or someone did since. */
                xhafw_log(step, LOG_INFO, "network %s has mgtifname=%s, not %s: nothing to restore", network(step),
                          *v ? v : "(unset)", wanted(step));
                free(v);
                return forget(step);
        }
        free(v);
        if (!readable) {
                if (!xhafw_dry_run(step))
                        return r;
                xhafw_log(step, LOG_NOTICE, "cannot read network %s now (is xcatd running?)", network(step));
        }
        r = restore_value(step, &restore, &src);
        if (r < 0)
                return r;
        if (!restore && !readable)
                return 0;
        if (!restore) {
                /* A value in the table must never keep the steps before this one (xcatd, postgres,
                 * the VIP, the storage) up: say what to do, and let the rest of deactivate go on. */
                xhafw_log(step, LOG_WARNING,
                          "network %s: mgtifname stays %s: activate found it set already (left by the other node) "
                          "and %s names no interface to restore; set fallback_mgtifname in this step's "
                          "configuration, and set the value now with chdef -t network -o %s mgtifname=INTERFACE",
                          network(step), wanted(step), wanted(step), network(step));
                return forget(step);
        }
        if (src != RESTORE_REMEMBERED)
                xhafw_log(step, LOG_INFO,
                          "network %s: nothing remembered (activate found mgtifname=%s set "
                          "already); restoring %s (%s%s%s)",
                          network(step), wanted(step), restore, source_text(src), src == RESTORE_LABEL ? " " : "",
                          src == RESTORE_LABEL ? wanted(step) : "");
        r = set_value(step, restore);
        free(restore);
        if (r < 0)
                return r;
        return forget(step);
}

/* The commands this step runs, and xCAT's version for the comparison with the other node. */
static int networks_preflight(struct xhafw_step *step)
{
        static const char *const cmds[] = { "lsdef", "chdef", "lsxcatd", NULL };

        xc_preflight_commands(step, cmds);
        xc_preflight_version(step);
        return 0;
}

XHAFW_PLUGIN_DEFINE(.name = "xcat-networks", .version = "1.1",
                    .summary = "xCAT networks table: mgtifname of the provision network = the VIP's label",
                    .options = networks_options, .describe = networks_describe, .check = networks_check,
                    .apply = networks_apply, .revert = networks_revert, .validate = networks_validate,
                    .preflight = networks_preflight);
