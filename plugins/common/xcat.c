/* Helpers the xCAT plugins share: running xCAT commands, reading lsdef, managing services. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "lsdef.h"
#include "preflight.h"
#include "xcat.h"

int xc_run(struct xhafw_step *step, const char *const argv[], unsigned flags, char **ret_output)
{
        /* the host API formats the failure (the command, its status, the tail of its output) */
        int r = xhafw_run_logged(step, argv, flags & ~XC_RUN_QUIET, (flags & XC_RUN_QUIET) ? LOG_INFO : LOG_ERR,
                                 ret_output);
        if (r != 0 && ret_output) {
                /* callers look at the output of a success only */
                free(*ret_output);
                *ret_output = NULL;
        }
        return r > 0 ? -EIO : r;
}

void xc_log_warnings(struct xhafw_step *step, const char *argv0, const char *output)
{
        const char *p = output ? output : "";

        while (*p) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                const char *w = p;
                while (w < p + len && (*w == ' ' || *w == '\t'))
                        w++;
                if ((size_t) (p + len - w) >= 7 && strncasecmp(w, "warning", 7) == 0)
                        xhafw_log(step, LOG_WARNING, "%s: %.*s", argv0, (int) (p + len - w), w);
                if (!nl)
                        break;
                p = nl + 1;
        }
}

int xc_lsdef_get(struct xhafw_step *step, const char *const argv[], const char *object, const char *attr,
                 unsigned flags, char **ret_value)
{
        struct lsdef_result res;
        char *output = NULL, *copy = NULL;
        const char *v;
        int r;

        r = xc_run(step, argv, flags | XHAFW_RUN_READONLY, &output);
        if (r < 0)
                return r;
        r = lsdef_parse(output, strlen(output), &res);
        free(output);
        if (r < 0) {
                xhafw_log(step, (flags & XC_RUN_QUIET) ? LOG_NOTICE : LOG_ERR, "cannot parse the output of %s: %s",
                          argv[0], strerror(-r));
                return r;
        }
        v = lsdef_find(&res, object, attr);
        if (v) {
                copy = strdup(v);
                if (!copy) {
                        lsdef_result_free(&res);
                        return -ENOMEM;
                }
        }
        lsdef_result_free(&res);
        *ret_value = copy;
        return 0;
}

int xc_service_active(struct xhafw_step *step, const char *unit)
{
        int r = xhafw_service(step, "is-active", unit);

        if (r < 0) {
                xhafw_log(step, LOG_NOTICE, "cannot ask the service manager about %s: %s", unit, strerror(-r));
                return r;
        }
        /* systemctl is-active: 0 active; 3 not active (inactive, failed, activating); 4 no such
         * unit, which is not running here either. Anything else is the service manager failing
         * (no bus, no permission): that cannot tell, and a check must not guess. */
        if (r == 0)
                return 1;
        if (r == 3 || r == 4)
                return 0;
        xhafw_log(step, LOG_NOTICE, "cannot tell whether %s is active: the service manager exited with status %d", unit,
                  r);
        return -EIO;
}

int xc_validate_unit(struct xhafw_step *step, const char *name, bool empty_ok)
{
        const char *v = xhafw_opt_string(step, name);

        if (!v || !*v) {
                if (empty_ok)
                        return 0;
                xhafw_log(step, LOG_ERR, "%s is empty: name the unit (or remove the line for the default)", name);
                return -EINVAL;
        }
        for (const char *p = v; *p; p++)
                if (*p <= ' ' || *p == '/' || *p == 0x7f) {
                        xhafw_log(step, LOG_ERR, "%s = '%s': a unit name has no blanks or '/'", name, v);
                        return -EINVAL;
                }
        return 0;
}

int xc_service_state(struct xhafw_step *step, const char *unit)
{
        int r = xc_service_active(step, unit);
        return r < 0 ? r : r ? XHAFW_ACTIVE : XHAFW_INACTIVE;
}

static int service_change(struct xhafw_step *step, const char *verb, const char *unit, int want_active)
{
        int r = xc_service_active(step, unit);

        if (r < 0)
                return r;
        if (r == want_active) {
                xhafw_log(step, LOG_INFO, "%s is already %s", unit, want_active ? "active" : "inactive");
                return 0;
        }
        r = xhafw_service(step, verb, unit);
        if (r < 0) {
                xhafw_log(step, LOG_ERR, "cannot %s %s: %s", verb, unit, strerror(-r));
                return r;
        }
        if (r > 0) {
                xhafw_log(step, LOG_ERR, "%s %s failed: the service manager exited with status %d", verb, unit, r);
                return -EIO;
        }
        return 0;
}

int xc_service_start(struct xhafw_step *step, const char *unit)
{
        return service_change(step, "start", unit, 1);
}

int xc_service_stop(struct xhafw_step *step, const char *unit)
{
        return service_change(step, "stop", unit, 0);
}

/* A warning only: the site table decides what xCAT's rcons and makeconservercf/makegocons
 * expect, and a mismatch is the admin's choice to fix, not a reason to leave the consoles down. */
static void warn_site_consoleservice(struct xhafw_step *step, const struct xc_console *c)
{
        const char *const argv[] = { "lsdef", "-t", "site", "-i", "consoleservice", NULL };
        char *v = NULL;

        if (xc_lsdef_get(step, argv, NULL, "consoleservice", XC_RUN_QUIET, &v) < 0) {
                xhafw_log(step, LOG_NOTICE, "cannot read the site table's consoleservice, not comparing it with %s",
                          c->name);
                return;
        }
        /* Unset means conserver in xCAT. */
        if (strcmp(v && *v ? v : "conserver", c->name) != 0)
                xhafw_log(step, LOG_WARNING,
                          "the site table's consoleservice is %s, not %s: rcons will not use the consoles this step "
                          "serves (chdef -t site consoleservice=%s)",
                          v && *v ? v : "unset (conserver)", c->name, c->name);
        free(v);
}

const char *xc_console_other(struct xhafw_step *step)
{
        const char *other = xhafw_opt_string(step, "other_service");

        return other && *other && strcmp(other, XC_CONSOLE_NONE) != 0 ? other : NULL;
}

/* What someone may write meaning "none" (the core reads an empty value as the default, so "none" is
 * the only way to say it): refused rather than asked of the service manager as a unit. */
static bool means_none(const char *v)
{
        static const char *const words[] = { "none", "no", "off", "false", "null", "nothing", "-", NULL };

        if (strcmp(v, XC_CONSOLE_NONE) == 0)
                return false;
        for (size_t i = 0; words[i]; i++)
                if (strcasecmp(v, words[i]) == 0)
                        return true;
        return false;
}

int xc_console_validate(struct xhafw_step *step)
{
        const char *unit = xhafw_opt_string(step, "service");
        const char *other = xhafw_opt_string(step, "other_service");

        if (xc_validate_unit(step, "service", false) < 0)
                return -EINVAL;
        if (strcmp(unit, XC_CONSOLE_NONE) == 0) {
                xhafw_log(step, LOG_ERR,
                          "service = none: service is the console server unit this step starts; to not look at "
                          "another console service write other_service = none");
                return -EINVAL;
        }
        if (other && means_none(other)) {
                xhafw_log(step, LOG_ERR,
                          "other_service = '%s': write other_service = none to not look at another console "
                          "service, or name its unit",
                          other);
                return -EINVAL;
        }
        if (xc_validate_unit(step, "other_service", true) < 0)
                return -EINVAL;
        other = xc_console_other(step);
        if (other && strcmp(unit, other) == 0) {
                xhafw_log(step, LOG_ERR,
                          "service and other_service are both %s: other_service is the console "
                          "service that must not run at the same time",
                          unit);
                return -EINVAL;
        }
        return 0;
}

int xc_console_apply(struct xhafw_step *step, const struct xc_console *c)
{
        const char *unit = xhafw_opt_string(step, "service");
        const char *other = xc_console_other(step);
        const char *const argv[] = { c->generator, NULL };
        int r;

        if (other) {
                r = xc_service_active(step, other);
                if (r < 0)
                        return r;
                if (r > 0) {
                        if (!xhafw_force(step)) {
                                xhafw_log(step, LOG_ERR,
                                          "refusing to start %s: %s is active and both would take the same consoles; "
                                          "stop %s (a site runs one console service) or use --force",
                                          unit, other, other);
                                return XHAFW_REFUSED;
                        }
                        xhafw_log(step, LOG_WARNING, "%s is active; starting %s anyway (--force)", other, unit);
                }
        }
        warn_site_consoleservice(step, c);
        r = xc_run(step, argv, 0, NULL);
        if (r < 0)
                return r;
        return xc_service_start(step, unit);
}

int xc_read_text(const char *path, bool missing_ok, char **ret)
{
        /* Files this code edits are small; anything larger is not the file we think it is. */
        const size_t max = 16u << 20;
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t n = 0, cap = 0;

        if (!f) {
                if (errno == ENOENT && missing_ok) {
                        *ret = calloc(1, 1);
                        return *ret ? 0 : -ENOMEM;
                }
                return -errno;
        }
        for (;;) {
                size_t got;
                if (cap - n < 4096) {
                        char *nb;
                        cap = cap ? cap * 2 : 8192;
                        if (cap > max + 1)
                                cap = max + 1;
                        nb = realloc(buf, cap);
                        if (!nb) {
                                free(buf);
                                fclose(f);
                                return -ENOMEM;
                        }
                        buf = nb;
                }
                got = fread(buf + n, 1, cap - n - 1, f);
                n += got;
                if (got == 0)
                        break;
                if (n >= max) {
                        free(buf);
                        fclose(f);
                        return -EFBIG;
                }
        }
        if (ferror(f)) {
                int e = errno ? errno : EIO;
                free(buf);
                fclose(f);
                return -e;
        }
        fclose(f);
        buf[n] = 0;
        *ret = buf;
        return 0;
}

void xc_preflight_commands(struct xhafw_step *step, const char *const cmds[])
{
        pf_commands(step, cmds,
                    "install xCAT on this node (the same version as on the other node), or add "
                    "/opt/xcat/bin:/opt/xcat/sbin to path = in xhafw.conf");
}

/* The version number at the start of TEXT after PREFIX ("Version 2.16.5 (git ...)", "2.16.5-snap"):
 * digits and dots. */
static bool version_number(const char *text, const char *prefix, char *buf, size_t size)
{
        const char *p = text ? strstr(text, prefix) : NULL;
        size_t n;

        if (!p)
                return false;
        p += strlen(prefix);
        n = strspn(p, "0123456789.");
        if (n == 0 || n >= size || !strchr("0123456789", p[0]))
                return false;
        memcpy(buf, p, n);
        buf[n] = 0;
        return true;
}

void xc_preflight_version(struct xhafw_step *step)
{
        static const struct {
                const char *argv[7];
                const char *prefix;
        } sources[] = {
                { { "lsxcatd", "-v", NULL }, "Version " },
                { { "rpm", "-q", "--qf", "%{VERSION}\n", "xCAT", NULL }, "" },
                { { "dpkg-query", "-W", "-f=${Version}\n", "xcat", NULL }, "" },
        };
        char version[64], tried[256] = "", *path = NULL, *file;

        if (pf_path(step, &path) < 0)
                path = NULL;
        for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
                char *out = NULL;
                size_t len = strlen(tried);
                int r;

                /* asked only where it is: a missing rpm on Debian is no error worth a line */
                if (!path || pf_which(path, sources[i].argv[0], &file) < 0)
                        continue;
                free(file);
                r = xhafw_run(step, sources[i].argv, XHAFW_RUN_READONLY, &out);
                snprintf(tried + len, sizeof tried - len, "%s%s exited %d", len ? ", " : "", sources[i].argv[0],
                         r < 0 ? -1 : r);
                if (r == 0 && version_number(out, sources[i].prefix, version, sizeof version)) {
                        pf_report(step, "xCAT version", XHAFW_CHECK_PASS, NULL, "xCAT %s (from %s)", version,
                                  sources[i].argv[0]);
                        xhafw_preflight_fact(step, "xcat version", version);
                        free(out);
                        free(path);
                        return;
                }
                free(out);
        }
        pf_report(step, "xCAT version", XHAFW_CHECK_WARN,
                  "compare `lsxcatd -v` on the active node with the xCAT package here (rpm -q xCAT or dpkg -l xcat)",
                  "cannot tell which xCAT is installed: %s",
                  *tried ? tried :
                           "neither lsxcatd, rpm nor dpkg-query is "
                           "on the configured path");
        free(path);
}
