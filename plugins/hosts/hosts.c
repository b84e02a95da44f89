/* hosts plugin: the management node's name line (VIP and its names) in /etc/hosts, and optionally
 * the node's hostname, while this node is active. */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "lines.h"
#include "preflight.h"
#include "xcat.h"

static const struct xhafw_option hosts_options[] = {
        { .name = "file", .type = XHAFW_OPT_PATH, .default_value = "/etc/hosts",
          .help = "the hosts file that gets the line" },
        { .name = "address", .type = XHAFW_OPT_ADDRESS, .required = true,
          .help = "the management node's address (the VIP, without /prefix), e.g. 10.5.106.7" },
        { .name = "names", .type = XHAFW_OPT_LIST, .required = true,
          .help = "its names, e.g. xcatmn1, xcatmn1.cluster.com" },
        { .name = "hostname", .type = XHAFW_OPT_STRING,
          .help = "optional: the hostname this node takes while active (the kernel's, not /etc/hostname: "
                  "after a reboot the node has its own name again); the old one is restored on deactivate" },
        { .name = NULL },
};

/* State: "line" is the line this step added (absent when it found it there), "newline_added" that
 * the file did not end with a newline and one was added before the line, "old_hostname" the name
 * it replaced, "applied" that this node holds the step, so a line that is on both nodes
 * permanently does not make the standby look active. */
#define STATE_LINE "line"
#define STATE_NEWLINE_ADDED "newline_added"
#define STATE_OLD_HOSTNAME "old_hostname"
#define STATE_APPLIED "applied"

#ifndef HOST_NAME_MAX
#define HOST_NAME_MAX 64
#endif

static bool valid_hostname(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > HOST_NAME_MAX || s[0] == '-' || s[0] == '.')
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                      *s == '-' || *s == '.' || *s == '_'))
                        return false;
        return true;
}

/* "ADDRESS NAME..." or NULL on allocation failure. */
static char *wanted_line(struct xhafw_step *step)
{
        const char *const *names = NULL;
        size_t n = xhafw_opt_list(step, "names", &names);
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return NULL;
        fputs(xhafw_opt_string(step, "address"), f);
        for (size_t i = 0; i < n; i++)
                fprintf(f, " %s", names[i]);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

static const char *wanted_hostname(struct xhafw_step *step)
{
        const char *h = xhafw_opt_string(step, "hostname");
        return h && *h ? h : NULL;
}

static int hosts_validate(struct xhafw_step *step)
{
        const char *const *names = NULL;
        const char *addr = xhafw_opt_string(step, "address");
        size_t n = xhafw_opt_list(step, "names", &names);

        if (addr && strchr(addr, '/')) {
                xhafw_log(step, LOG_ERR, "address = %s: a hosts line takes an address without /prefix", addr);
                return -EINVAL;
        }
        if (n == 0) {
                xhafw_log(step, LOG_ERR, "names is empty: the line needs at least one name");
                return -EINVAL;
        }
        for (size_t i = 0; i < n; i++)
                if (!valid_hostname(names[i])) {
                        xhafw_log(step, LOG_ERR, "names: \"%s\" is not a host name", names[i]);
                        return -EINVAL;
                }
        if (wanted_hostname(step) && !valid_hostname(wanted_hostname(step))) {
                xhafw_log(step, LOG_ERR, "hostname = \"%s\" is not a host name", wanted_hostname(step));
                return -EINVAL;
        }
        return 0;
}

static int hosts_describe(struct xhafw_step *step, FILE *out)
{
        char *line = wanted_line(step);

        fprintf(out, "line \"%s\" in %s while active (removed on deactivate if this step added it)\n",
                line ? line : "?", xhafw_opt_string(step, "file"));
        if (wanted_hostname(step))
                fprintf(out, "hostname %s while active (the previous one restored on deactivate)\n",
                        wanted_hostname(step));
        free(line);
        return 0;
}

static int get_hostname(struct xhafw_step *step, char *buf, size_t size)
{
        if (gethostname(buf, size) < 0) {
                int e = errno;
                xhafw_log(step, LOG_ERR, "cannot read the hostname: %s", strerror(e));
                return -e;
        }
        buf[size - 1] = 0;
        return 0;
}

static int set_hostname(struct xhafw_step *step, const char *name, const char *old)
{
        if (xhafw_dry_run(step)) {
                xhafw_log(step, LOG_NOTICE, "would set the hostname to %s (now %s)", name, old);
                return 0;
        }
        if (sethostname(name, strlen(name)) < 0) {
                int e = errno;
                xhafw_log(step, LOG_ERR, "cannot set the hostname to %s: %s", name, strerror(e));
                return -e;
        }
        xhafw_log(step, LOG_INFO, "hostname %s -> %s", old, name);
        return 0;
}

static int read_hosts(struct xhafw_step *step, char **ret)
{
        const char *path = xhafw_opt_string(step, "file");
        int r = xc_read_text(path, true, ret);

        if (r < 0)
                xhafw_log(step, LOG_ERR, "cannot read %s: %s", path, strerror(-r));
        return r;
}

static int hosts_check(struct xhafw_step *step)
{
        char *line = wanted_line(step), *text = NULL, host[HOST_NAME_MAX + 1];
        bool present, host_ok = true;
        int r;

        if (!line)
                return -ENOMEM;
        r = read_hosts(step, &text);
        if (r < 0) {
                free(line);
                return r;
        }
        present = lines_contains(text, line);
        free(text);
        free(line);
        if (wanted_hostname(step)) {
                r = get_hostname(step, host, sizeof host);
                if (r < 0)
                        return r;
                host_ok = strcmp(host, wanted_hostname(step)) == 0;
        }
        if (!xhafw_state_get(step, STATE_APPLIED))
                return XHAFW_INACTIVE;
        return present && host_ok ? XHAFW_ACTIVE : XHAFW_PARTIAL;
}

static int hosts_apply(struct xhafw_step *step)
{
        const char *path = xhafw_opt_string(step, "file");
        char *line = wanted_line(step), *text = NULL, *next, host[HOST_NAME_MAX + 1];
        int r;

        if (!line)
                return -ENOMEM;
        r = read_hosts(step, &text);
        if (r < 0)
                goto out;
        if (!lines_contains(text, line)) {
                bool newline_added = false;

                next = lines_add(text, line, NULL, &newline_added);
                if (!next) {
                        r = -ENOMEM;
                        goto out;
                }
                /* Recorded before the write: the line is not in the file now, so whatever copy
                 * of it is there later is ours to remove. A write that fails half-way (renamed,
                 * then the directory sync failed) is then still undone by revert, and one that
                 * never happened leaves revert nothing to remove. */
                r = xhafw_state_set(step, STATE_LINE, line);
                if (r == 0)
                        r = xhafw_state_set(step, STATE_NEWLINE_ADDED, newline_added ? "yes" : NULL);
                if (r < 0) {
                        free(next);
                        goto out;
                }
                r = xhafw_file_replace(step, path, next);
                free(next);
                if (r < 0) {
                        xhafw_log(step, LOG_ERR, "cannot write %s: %s", path, strerror(-r));
                        goto out;
                }
        } else if (!xhafw_state_get(step, STATE_LINE)) {
                xhafw_log(step, LOG_INFO, "%s already has \"%s\"; deactivate will leave it", path, line);
        }
        if (wanted_hostname(step)) {
                r = get_hostname(step, host, sizeof host);
                if (r < 0)
                        goto out;
                if (strcmp(host, wanted_hostname(step)) != 0) {
                        if (!xhafw_state_get(step, STATE_OLD_HOSTNAME)) {
                                r = xhafw_state_set(step, STATE_OLD_HOSTNAME, host);
                                if (r < 0)
                                        goto out;
                        }
                        r = set_hostname(step, wanted_hostname(step), host);
                        if (r < 0)
                                goto out;
                }
        }
        r = xhafw_state_set(step, STATE_APPLIED, "yes");
out:
        free(text);
        free(line);
        return r;
}

static int hosts_revert(struct xhafw_step *step)
{
        const char *path = xhafw_opt_string(step, "file");
        const char *added = xhafw_state_get(step, STATE_LINE);
        const char *old = xhafw_state_get(step, STATE_OLD_HOSTNAME);
        char *text = NULL, *next, host[HOST_NAME_MAX + 1];
        size_t removed = 0;
        int r;

        if (old) {
                r = get_hostname(step, host, sizeof host);
                if (r < 0)
                        return r;
                if (wanted_hostname(step) && strcmp(host, wanted_hostname(step)) == 0) {
                        r = set_hostname(step, old, host);
                        if (r < 0)
                                return r;
                } else if (strcmp(host, old) != 0) {
                        xhafw_log(step, LOG_WARNING, "the hostname is %s, not %s: someone changed it since; leaving it",
                                  host, wanted_hostname(step) ? wanted_hostname(step) : "(none)");
                }
                r = xhafw_state_set(step, STATE_OLD_HOSTNAME, NULL);
                if (r < 0)
                        return r;
        }
        if (added) {
                r = read_hosts(step, &text);
                if (r < 0)
                        return r;
                next = lines_remove(text, added, xhafw_state_get(step, STATE_NEWLINE_ADDED) != NULL, &removed);
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
                r = xhafw_state_set(step, STATE_LINE, NULL);
                if (r == 0)
                        r = xhafw_state_set(step, STATE_NEWLINE_ADDED, NULL);
                if (r < 0)
                        return r;
        }
        return xhafw_state_set(step, STATE_APPLIED, NULL);
}

/* Whether two hosts-file addresses are the same address, however spelled ("2001:db8::7" and
 * "2001:db8:0::7"); words that are no address are compared as text. */
static bool same_address(const char *a, const char *b)
{
        unsigned char x[16], y[16];

        if (inet_pton(AF_INET, a, x) == 1)
                return inet_pton(AF_INET, b, y) == 1 && memcmp(x, y, 4) == 0;
        if (inet_pton(AF_INET6, a, x) == 1)
                return inet_pton(AF_INET6, b, y) == 1 && memcmp(x, y, 16) == 0;
        return strcmp(a, b) == 0;
}

/* No line of the hosts file gives one of the VIP's names another address (the node would resolve
 * its own management name elsewhere); the lines about the VIP or its names, other than this step's
 * own line, are a fact: the two nodes' files must say the same about them. */
static int hosts_preflight(struct xhafw_step *step)
{
        const char *path = xhafw_opt_string(step, "file"), *addr = xhafw_opt_string(step, "address");
        const char *const *names = NULL;
        size_t n_names = xhafw_opt_list(step, "names", &names), lineno = 0, bad = 0;
        char *text = NULL, *line = wanted_line(step), *fact = NULL, fix[PATH_MAX + 256];
        size_t fact_size = 0, n_facts = 0;
        FILE *facts = open_memstream(&fact, &fact_size);
        const char *p;
        int r = xc_read_text(path, true, &text);

        if (r < 0 || !line || !facts) {
                pf_report(step, "names resolve to the VIP", XHAFW_CHECK_FAIL, "make it a readable text file",
                          "cannot read %s: %s", path, strerror(r < 0 ? -r : ENOMEM));
                goto out;
        }
        for (p = text; *p; lineno++) {
                const char *start = p;
                size_t len = strcspn(p, "\n"), keep = strcspn(p, "#\n");
                char buf[1024], norm[1024], *save = NULL, *first, *w;
                bool about, ours = lines_equal(start, len, line);

                p += len + (p[len] == '\n');
                if (keep >= sizeof buf)
                        keep = sizeof buf - 1; /* a hosts line is short; a longer one is not about the VIP */
                memcpy(buf, start, keep);
                buf[keep] = '\0';
                first = strtok_r(buf, " \t\r", &save);
                if (!first)
                        continue;
                about = same_address(first, addr);
                /* the same words, however spaced, for the fact: a tab for a blank is no difference */
                snprintf(norm, sizeof norm, "%s", first);
                while ((w = strtok_r(NULL, " \t\r", &save))) {
                        size_t o = strlen(norm);
                        snprintf(norm + o, sizeof norm - o, " %s", w);
                        for (size_t i = 0; i < n_names; i++) {
                                if (strcasecmp(w, names[i]) != 0)
                                        continue;
                                about = true;
                                if (same_address(first, addr))
                                        continue;
                                snprintf(fix, sizeof fix, "in %s, remove %s from line %zu (or the line): "
                                         "only the VIP %s may have it", path, names[i], lineno + 1, addr);
                                pf_report(step, "names resolve to the VIP", XHAFW_CHECK_FAIL, fix,
                                          "%s line %zu gives %s the address %s, not the VIP %s", path, lineno + 1,
                                          names[i], first, addr);
                                bad++;
                        }
                }
                if (about && !ours)
                        fprintf(facts, "%s%s", n_facts++ ? " | " : "", norm);
        }
        if (!bad)
                pf_report(step, "names resolve to the VIP", XHAFW_CHECK_PASS, NULL, "%s gives no other address for %s",
                          path, n_names ? names[0] : "the names");
out:
        if (facts && fclose(facts) == 0 && fact)
                xhafw_preflight_fact(step, "lines for the VIP", *fact ? fact : "(none besides the step's own)");
        free(fact);
        free(text);
        free(line);
        return 0;
}

XHAFW_PLUGIN_DEFINE(.name = "hosts", .version = "1.1",
                    .summary = "the VIP's line in /etc/hosts (and optionally the hostname) while active",
                    .options = hosts_options, .describe = hosts_describe, .check = hosts_check,
                    .apply = hosts_apply, .revert = hosts_revert, .validate = hosts_validate,
                    .preflight = hosts_preflight);
