/* hosts plugin: the management node's name line (VIP and its names) in /etc/hosts, a second one for
 * the IPv6 VIP on a dual-stack site, and optionally the node's hostname, while this node is active. */
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
        { .name = "file",
          .type = XHAFW_OPT_PATH,
          .default_value = "/etc/hosts",
          .help = "the hosts file that gets the line" },
        { .name = "address",
          .type = XHAFW_OPT_ADDRESS,
          .required = true,
          .help = "the management node's address (the VIP, without /prefix), e.g. 10.5.106.7 or 2001:db8::7" },
        { .name = "address6",
          .type = XHAFW_OPT_ADDRESS,
          .help = "optional, dual stack: the IPv6 VIP beside an IPv4 address, e.g. 2001:db8::7: a second line "
                  "with the same names, so that they resolve in both families" },
        { .name = "names",
          .type = XHAFW_OPT_LIST,
          .required = true,
          .help = "its names, e.g. xcatmn1, xcatmn1.cluster.com" },
        { .name = "hostname",
          .type = XHAFW_OPT_STRING,
          .help = "optional: the hostname this node takes while active (the kernel's, not /etc/hostname: "
                  "after a reboot the node has its own name again); the old one is restored on deactivate" },
        { .name = NULL },
};

/* State: "line" is the line this step added (absent when it found it there), "newline_added" that
 * the file did not end with a newline and one was added before the line; "line6" and
 * "newline_added6" the same for the address6 line; "old_hostname" the name it replaced, "applied"
 * that this node holds the step, so a line that is on both nodes permanently does not make the
 * standby look active. */
#define STATE_OLD_HOSTNAME "old_hostname"
#define STATE_APPLIED "applied"
/* One line per address: address, then address6. */
#define N_LINES 2
static const char *const state_line[N_LINES] = { "line", "line6" };
static const char *const state_newline_added[N_LINES] = { "newline_added", "newline_added6" };
static const char *const address_option[N_LINES] = { "address", "address6" };

#ifndef HOST_NAME_MAX
#define HOST_NAME_MAX 64
#endif

static bool valid_hostname(const char *s)
{
        size_t n = strlen(s);

        if (n == 0 || n > HOST_NAME_MAX || s[0] == '-' || s[0] == '.')
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
                      *s == '.' || *s == '_'))
                        return false;
        return true;
}

/* "ADDRESS NAME..." for the address option WHICH: an IPv6 address in its usual form (RFC 5952:
 * 2001:DB8:0::7 is written 2001:db8::7), the way other tools write and compare it. NULL with
 * errno ENOENT when the option is unset, ENOMEM on allocation failure. */
static char *wanted_line_of(struct xhafw_step *step, unsigned which)
{
        const char *const *names = NULL;
        const char *addr = xhafw_opt_string(step, address_option[which]);
        size_t n = xhafw_opt_list(step, "names", &names);
        char *buf = NULL, text[INET6_ADDRSTRLEN];
        struct in6_addr a6;
        size_t size = 0;
        FILE *f;

        if (!addr || !*addr) {
                errno = ENOENT;
                return NULL;
        }
        if (inet_pton(AF_INET6, addr, &a6) == 1 && inet_ntop(AF_INET6, &a6, text, sizeof text))
                addr = text;
        f = open_memstream(&buf, &size);
        if (!f)
                return NULL;
        fputs(addr, f);
        for (size_t i = 0; i < n; i++)
                fprintf(f, " %s", names[i]);
        if (fclose(f) != 0) {
                free(buf);
                errno = ENOMEM;
                return NULL;
        }
        return buf;
}

static char *wanted_line(struct xhafw_step *step)
{
        return wanted_line_of(step, 0);
}

/* The lines the step wants, ret[1] NULL without address6; free each. 0 or -ENOMEM. */
static int wanted_lines(struct xhafw_step *step, char *ret[N_LINES])
{
        for (unsigned i = 0; i < N_LINES; i++) {
                ret[i] = wanted_line_of(step, i);
                if (!ret[i] && (i == 0 || errno != ENOENT)) {
                        for (unsigned j = 0; j < i; j++) {
                                free(ret[j]);
                                ret[j] = NULL;
                        }
                        return -ENOMEM;
                }
        }
        return 0;
}

static void free_lines(char *lines[N_LINES])
{
        for (unsigned i = 0; i < N_LINES; i++)
                free(lines[i]);
}

static const char *wanted_hostname(struct xhafw_step *step)
{
        const char *h = xhafw_opt_string(step, "hostname");
        return h && *h ? h : NULL;
}

static int hosts_validate(struct xhafw_step *step)
{
        const char *const *names = NULL;
        const char *addr = xhafw_opt_string(step, "address"), *addr6 = xhafw_opt_string(step, "address6");
        size_t n = xhafw_opt_list(step, "names", &names);
        struct in6_addr a6;

        for (unsigned i = 0; i < N_LINES; i++) {
                const char *a = xhafw_opt_string(step, address_option[i]);

                if (a && strchr(a, '/')) {
                        xhafw_log(step, LOG_ERR, "%s = %s: a hosts line takes an address without /prefix",
                                  address_option[i], a);
                        return -EINVAL;
                }
                /* a link-local address means something only with its interface, and is no VIP */
                if (a && inet_pton(AF_INET6, a, &a6) == 1 && IN6_IS_ADDR_LINKLOCAL(&a6)) {
                        xhafw_log(step, LOG_ERR,
                                  "%s = %s is link-local: not an address the VIP's names can "
                                  "resolve to; give the IPv6 VIP (a global or unique-local address)",
                                  address_option[i], a);
                        return -EINVAL;
                }
        }
        if (addr6 && (inet_pton(AF_INET6, addr6, &a6) != 1 || !addr || strchr(addr, ':'))) {
                xhafw_log(step, LOG_ERR,
                          "address6 = %s: address6 is the IPv6 VIP beside the IPv4 one in address "
                          "(now %s), for a dual-stack site; with one IPv6 VIP only, put it in address",
                          addr6, addr ? addr : "unset");
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
        char *line = wanted_line(step), *line6 = wanted_line_of(step, 1);

        if (line6)
                fprintf(out,
                        "lines \"%s\" and \"%s\" in %s while active (each removed on deactivate if this step "
                        "added it)\n",
                        line ? line : "?", line6, xhafw_opt_string(step, "file"));
        else
                fprintf(out, "line \"%s\" in %s while active (removed on deactivate if this step added it)\n",
                        line ? line : "?", xhafw_opt_string(step, "file"));
        free(line6);
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
        char *lines[N_LINES], *text = NULL, host[HOST_NAME_MAX + 1];
        bool present = true, host_ok = true;
        int r = wanted_lines(step, lines);

        if (r < 0)
                return r;
        r = read_hosts(step, &text);
        if (r < 0) {
                free_lines(lines);
                return r;
        }
        for (unsigned i = 0; i < N_LINES; i++)
                if (lines[i] && !lines_contains(text, lines[i]))
                        present = false;
        free(text);
        free_lines(lines);
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
        char *lines[N_LINES], *text = NULL, *next, host[HOST_NAME_MAX + 1];
        bool changed = false;
        int r = wanted_lines(step, lines);

        if (r < 0)
                return r;
        r = read_hosts(step, &text);
        if (r < 0)
                goto out;
        /* Both lines in one write, in this order: revert takes them back in the reverse one. */
        for (unsigned i = 0; i < N_LINES; i++) {
                bool newline_added = false;

                if (!lines[i])
                        continue;
                if (lines_contains(text, lines[i])) {
                        if (!xhafw_state_get(step, state_line[i]))
                                xhafw_log(step, LOG_INFO, "%s already has \"%s\"; deactivate will leave it", path,
                                          lines[i]);
                        continue;
                }
                next = lines_add(text, lines[i], NULL, &newline_added);
                if (!next) {
                        r = -ENOMEM;
                        goto out;
                }
                free(text);
                text = next;
                changed = true;
                /* Recorded before the write: the line is not in the file now, so whatever copy
                 * of it is there later is ours to remove. A write that fails half-way (renamed,
                 * then the directory sync failed) is then still undone by revert, and one that
                 * never happened leaves revert nothing to remove. */
                r = xhafw_state_set(step, state_line[i], lines[i]);
                if (r == 0)
                        r = xhafw_state_set(step, state_newline_added[i], newline_added ? "yes" : NULL);
                if (r < 0)
                        goto out;
        }
        if (changed) {
                r = xhafw_file_replace(step, path, text);
                if (r < 0) {
                        xhafw_log(step, LOG_ERR, "cannot write %s: %s", path, strerror(-r));
                        goto out;
                }
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
        free_lines(lines);
        return r;
}

static int hosts_revert(struct xhafw_step *step)
{
        const char *path = xhafw_opt_string(step, "file");
        const char *old = xhafw_state_get(step, STATE_OLD_HOSTNAME);
        char *text = NULL, *next, host[HOST_NAME_MAX + 1];
        size_t removed = 0;
        bool any = false;
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
        for (unsigned i = 0; i < N_LINES; i++)
                any = any || xhafw_state_get(step, state_line[i]);
        if (any) {
                r = read_hosts(step, &text);
                if (r < 0)
                        return r;
                /* The last line added goes first: the newline apply added before the first one (to a
                 * file without a final newline) can only go once that line is the file's last. */
                for (unsigned i = N_LINES; i-- > 0;) {
                        const char *added = xhafw_state_get(step, state_line[i]);
                        size_t n = 0;

                        if (!added)
                                continue;
                        next = lines_remove(text, added, xhafw_state_get(step, state_newline_added[i]) != NULL, &n);
                        free(text);
                        if (!next)
                                return -ENOMEM;
                        text = next;
                        removed += n;
                }
                r = removed > 0 ? xhafw_file_replace(step, path, text) : 0;
                free(text);
                if (r < 0) {
                        xhafw_log(step, LOG_ERR, "cannot write %s: %s", path, strerror(-r));
                        return r;
                }
                for (unsigned i = 0; i < N_LINES && r == 0; i++) {
                        r = xhafw_state_set(step, state_line[i], NULL);
                        if (r == 0)
                                r = xhafw_state_set(step, state_newline_added[i], NULL);
                }
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
        const char *addr6 = xhafw_opt_string(step, "address6");
        const char *const *names = NULL;
        size_t n_names = xhafw_opt_list(step, "names", &names), lineno = 0, bad = 0;
        char *text = NULL, *lines[N_LINES] = { NULL }, *fact = NULL, fix[PATH_MAX + 256];
        char vips[2 * INET6_ADDRSTRLEN + 8];
        size_t fact_size = 0, n_facts = 0;
        FILE *facts = open_memstream(&fact, &fact_size);
        const char *p;
        int r = xc_read_text(path, true, &text), rl = wanted_lines(step, lines);

        /* On a dual-stack site the names have two addresses, both the VIP's. */
        snprintf(vips, sizeof vips, "%s%s%s", addr, addr6 ? " or " : "", addr6 ? addr6 : "");
        if (r < 0 || rl < 0 || !facts) {
                pf_report(step, "names resolve to the VIP", XHAFW_CHECK_FAIL, "make it a readable text file",
                          "cannot read %s: %s", path, strerror(r < 0 ? -r : ENOMEM));
                goto out;
        }
        for (p = text; *p; lineno++) {
                const char *start = p;
                size_t len = strcspn(p, "\n"), keep = strcspn(p, "#\n");
                char buf[1024], norm[1024], *save = NULL, *first, *w;
                bool about, vip;
                bool ours = lines_equal(start, len, lines[0]) || (lines[1] && lines_equal(start, len, lines[1]));

                p += len + (p[len] == '\n');
                if (keep >= sizeof buf)
                        keep = sizeof buf - 1; /* a hosts line is short; a longer one is not about the VIP */
                memcpy(buf, start, keep);
                buf[keep] = '\0';
                first = strtok_r(buf, " \t\r", &save);
                if (!first)
                        continue;
                vip = same_address(first, addr) || (addr6 && same_address(first, addr6));
                about = vip;
                /* the same words, however spaced, for the fact: a tab for a blank is no difference */
                snprintf(norm, sizeof norm, "%s", first);
                while ((w = strtok_r(NULL, " \t\r", &save))) {
                        size_t o = strlen(norm);
                        snprintf(norm + o, sizeof norm - o, " %s", w);
                        for (size_t i = 0; i < n_names; i++) {
                                if (strcasecmp(w, names[i]) != 0)
                                        continue;
                                about = true;
                                if (vip)
                                        continue;
                                snprintf(fix, sizeof fix,
                                         "in %s, remove %s from line %zu (or the line): "
                                         "only the VIP %s may have it",
                                         path, names[i], lineno + 1, vips);
                                pf_report(step, "names resolve to the VIP", XHAFW_CHECK_FAIL, fix,
                                          "%s line %zu gives %s the address %s, not the VIP %s", path, lineno + 1,
                                          names[i], first, vips);
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
        free_lines(lines);
        return 0;
}

XHAFW_PLUGIN_DEFINE(.name = "hosts", .version = "1.1",
                    .summary = "the VIP's line in /etc/hosts (and optionally the hostname) while active",
                    .options = hosts_options, .describe = hosts_describe, .check = hosts_check, .apply = hosts_apply,
                    .revert = hosts_revert, .validate = hosts_validate, .preflight = hosts_preflight);
