/* dns plugin: xCAT's DNS zones regenerated (makedns -n), named started, optionally this node's
 * resolv.conf pointed at the cluster's name server. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "lines.h"
#include "preflight.h"
#include "xcat.h"

static const struct xhafw_option dns_options[] = {
        { .name = "service",
          .type = XHAFW_OPT_STRING,
          .default_value = "named",
          .help = "the DNS server unit (named, bind9)" },
        { .name = "nameserver",
          .type = XHAFW_OPT_ADDRESS,
          .help = "optional: an address this node's resolv_conf must list as a nameserver while active, IPv4 "
                  "or IPv6, e.g. 10.5.106.7 or 2001:db8::7 (the line is added before the other nameserver lines "
                  "and removed on deactivate, unless it was there before)" },
        { .name = "resolv_conf",
          .type = XHAFW_OPT_PATH,
          .default_value = "/etc/resolv.conf",
          .help = "the resolver configuration that gets the nameserver line" },
        { .name = NULL },
};

/* The resolv.conf line this step added, and that the file did not end with a newline, so one was
 * added before the line (revert takes both back). */
#define STATE_LINE "resolv_conf_line"
#define STATE_NEWLINE_ADDED "resolv_conf_newline_added"

static const char *unit(struct xhafw_step *step)
{
        return xhafw_opt_string(step, "service");
}

/* "nameserver ADDRESS", or NULL when no nameserver is configured. An IPv6 address in its usual
 * form (RFC 5952: 2001:DB8:0::7 is written 2001:db8::7), as other tools write it. */
static char *resolv_line(struct xhafw_step *step)
{
        const char *ns = xhafw_opt_string(step, "nameserver");
        char *line = NULL, text[INET6_ADDRSTRLEN];
        struct in6_addr a6;

        if (!ns || !*ns)
                return NULL;
        if (inet_pton(AF_INET6, ns, &a6) == 1 && inet_ntop(AF_INET6, &a6, text, sizeof text))
                ns = text;
        if (asprintf(&line, "nameserver %s", ns) < 0)
                return NULL;
        return line;
}

static int dns_validate(struct xhafw_step *step)
{
        const char *ns = xhafw_opt_string(step, "nameserver");
        struct in6_addr a6;

        if (xc_validate_unit(step, "service", false) < 0)
                return -EINVAL;
        if (ns && strchr(ns, '/')) {
                xhafw_log(step, LOG_ERR, "nameserver = %s: a resolv.conf nameserver is an address without a /prefix",
                          ns);
                return -EINVAL;
        }
        /* glibc reaches a link-local nameserver only with its interface (fe80::1%eth0), which this
         * option cannot hold; the VIP never is one. */
        if (ns && inet_pton(AF_INET6, ns, &a6) == 1 &&
            (IN6_IS_ADDR_LINKLOCAL(&a6) || IN6_IS_ADDR_MULTICAST(&a6) || IN6_IS_ADDR_UNSPECIFIED(&a6))) {
                xhafw_log(step, LOG_ERR,
                          "nameserver = %s: not an address a resolver can use without an interface; "
                          "give the IPv6 VIP (a global or unique-local address)",
                          ns);
                return -EINVAL;
        }
        return 0;
}

static int dns_describe(struct xhafw_step *step, FILE *out)
{
        char *line = resolv_line(step);

        fprintf(out, "needs the xCAT site table's domain; runs makedns -n, then starts %s; deactivate stops %s\n",
                unit(step), unit(step));
        if (line)
                fprintf(out, "line \"%s\" in %s while active (removed on deactivate if this step added it)\n", line,
                        xhafw_opt_string(step, "resolv_conf"));
        free(line);
        return 0;
}

/* 1 when the resolv.conf line is present, 0 when not, -errno when the file cannot be read. */
static int has_line(struct xhafw_step *step, const char *line)
{
        const char *path = xhafw_opt_string(step, "resolv_conf");
        char *text = NULL;
        int r = xc_read_text(path, true, &text);

        if (r < 0) {
                xhafw_log(step, LOG_NOTICE, "cannot read %s: %s", path, strerror(-r));
                return r;
        }
        r = lines_contains(text, line);
        free(text);
        return r;
}

static int dns_check(struct xhafw_step *step)
{
        char *line = resolv_line(step);
        int active = xc_service_state(step, unit(step)), present;

        if (active < 0 || !line) {
                free(line);
                return active;
        }
        present = has_line(step, line);
        free(line);
        if (present < 0)
                return present;
        if (active == XHAFW_ACTIVE)
                return present ? XHAFW_ACTIVE : XHAFW_PARTIAL;
        /* A line that was there before this step is not its work: only its own line left behind
         * makes the step partial. */
        return present && xhafw_state_get(step, STATE_LINE) ? XHAFW_PARTIAL : XHAFW_INACTIVE;
}

/* makedns builds the zones of the site's domain: without one it fails late and obscurely. */
static int need_site_domain(struct xhafw_step *step)
{
        const char *const argv[] = { "lsdef", "-t", "site", "-i", "domain", NULL };
        char *domain = NULL;
        int r = xc_lsdef_get(step, argv, NULL, "domain", xhafw_dry_run(step) ? XC_RUN_QUIET : 0, &domain);

        if (r < 0) {
                if (!xhafw_dry_run(step))
                        return r;
                /* Dry-run assumes the earlier steps (xcatd) succeeded, and they have not run. */
                xhafw_log(step, LOG_NOTICE,
                          "cannot read the site table's domain now (is xcatd running?); "
                          "activate will need it");
                return 0;
        }
        if (!domain || !*domain) {
                xhafw_log(step, LOG_ERR,
                          "the xCAT site table has no domain, which makedns needs: set it "
                          "(chdef -t site domain=cluster.com) and activate again");
                free(domain);
                return -EINVAL;
        }
        xhafw_log(step, LOG_INFO, "site domain: %s", domain);
        free(domain);
        return 0;
}

static int add_resolv_line(struct xhafw_step *step, const char *line)
{
        const char *path = xhafw_opt_string(step, "resolv_conf");
        char *text = NULL, *next;
        bool newline_added = false;
        int r = xc_read_text(path, true, &text);

        if (r < 0) {
                xhafw_log(step, LOG_ERR, "cannot read %s: %s", path, strerror(-r));
                return r;
        }
        if (lines_contains(text, line)) {
                if (!xhafw_state_get(step, STATE_LINE))
                        xhafw_log(step, LOG_INFO, "%s already has \"%s\"; deactivate will leave it", path, line);
                free(text);
                return 0;
        }
        next = lines_add(text, line, "nameserver", &newline_added);
        free(text);
        if (!next)
                return -ENOMEM;
        /* Recorded before the write (the line is not there now, so any copy later is ours): a
         * write that fails after the rename is still undone by revert. */
        r = xhafw_state_set(step, STATE_LINE, line);
        if (r == 0)
                r = xhafw_state_set(step, STATE_NEWLINE_ADDED, newline_added ? "yes" : NULL);
        if (r == 0)
                r = xhafw_file_replace(step, path, next);
        free(next);
        if (r < 0)
                xhafw_log(step, LOG_ERR, "cannot write %s: %s", path, strerror(-r));
        return r;
}

static int remove_resolv_line(struct xhafw_step *step)
{
        const char *path = xhafw_opt_string(step, "resolv_conf");
        const char *line = xhafw_state_get(step, STATE_LINE);
        char *text = NULL, *next;
        size_t removed = 0;
        int r;

        if (!line)
                return 0;
        r = xc_read_text(path, true, &text);
        if (r < 0) {
                xhafw_log(step, LOG_ERR, "cannot read %s: %s", path, strerror(-r));
                return r;
        }
        next = lines_remove(text, line, xhafw_state_get(step, STATE_NEWLINE_ADDED) != NULL, &removed);
        free(text);
        if (!next)
                return -ENOMEM;
        if (removed > 0)
                r = xhafw_file_replace(step, path, next);
        free(next);
        if (r < 0) {
                xhafw_log(step, LOG_ERR, "cannot write %s: %s", path, strerror(-r));
                return r;
        }
        r = xhafw_state_set(step, STATE_NEWLINE_ADDED, NULL);
        return r < 0 ? r : xhafw_state_set(step, STATE_LINE, NULL);
}

static int dns_apply(struct xhafw_step *step)
{
        const char *const makedns[] = { "makedns", "-n", NULL };
        char *line;
        int r = need_site_domain(step);

        if (r < 0)
                return r;
        r = xc_run(step, makedns, 0, NULL);
        if (r < 0)
                return r;
        r = xc_service_start(step, unit(step));
        if (r < 0)
                return r;
        line = resolv_line(step);
        if (line)
                r = add_resolv_line(step, line);
        free(line);
        return r;
}

static int dns_revert(struct xhafw_step *step)
{
        int r = remove_resolv_line(step);

        if (r < 0)
                return r;
        return xc_service_stop(step, unit(step));
}

/* The DNS server: installed, not started at boot, not running on a standby; makedns here. */
static int dns_preflight(struct xhafw_step *step)
{
        static const char *const cmds[] = { "makedns", NULL };

        pf_service(step, unit(step));
        xc_preflight_commands(step, cmds);
        return 0;
}

XHAFW_PLUGIN_DEFINE(.name = "dns", .version = "1.1",
                    .summary = "DNS for the cluster: makedns -n, named started, resolv.conf nameserver line",
                    .options = dns_options, .describe = dns_describe, .check = dns_check, .apply = dns_apply,
                    .revert = dns_revert, .validate = dns_validate, .preflight = dns_preflight);
