/* hosts plugin: the management node's name line (VIP and its names) in /etc/hosts, and optionally
 * the node's hostname, while this node is active. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "lines.h"
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

XHAFW_PLUGIN_DEFINE(.name = "hosts", .version = "1.0",
                    .summary = "the VIP's line in /etc/hosts (and optionally the hostname) while active",
                    .options = hosts_options, .describe = hosts_describe, .check = hosts_check,
                    .apply = hosts_apply, .revert = hosts_revert, .validate = hosts_validate);
