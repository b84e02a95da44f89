/* Helpers the xCAT plugins share: running xCAT commands, reading lsdef, managing services. */
#ifndef XHAFW_XCAT_H
#define XHAFW_XCAT_H

#include <stdbool.h>
#include <stddef.h>

#include "xhafw/plugin.h"

/* xc_run() flag, next to XHAFW_RUN_*: a failure is only worth an info line (a check that cannot
 * tell, a query whose answer is optional), not an error. */
#define XC_RUN_QUIET (1u << 16)

/* xhafw_run() that turns a failure into one message naming the command line, its exit status and
 * its last output lines (stderr is captured with stdout), logged as an error unless XC_RUN_QUIET.
 * 0 on exit status 0, else -errno (-EIO for a non-zero exit status). */
int xc_run(struct xhafw_step *step, const char *const argv[], unsigned flags, char **ret_output);

/* Logs the lines of OUTPUT that are xCAT warnings ("Warning: ...") as warnings. */
void xc_log_warnings(struct xhafw_step *step, const char *argv0, const char *output);

/* Runs the lsdef query ARGV (read-only, so it runs in dry-run too) and finds ATTR of OBJECT
 * (NULL: the first object listed). *ret_value is a copy of the value, or NULL when lsdef does
 * not list it. 0 or -errno. */
int xc_lsdef_get(struct xhafw_step *step, const char *const argv[], const char *object, const char *attr,
                 unsigned flags, char **ret_value);

/* 1 when the service manager says UNIT is active (is-active exits 0), 0 when it says it is not
 * (3, or 4: no such unit), -errno when it cannot tell. Read-only. */
int xc_service_active(struct xhafw_step *step, const char *unit);
/* Start/stop UNIT unless it already is/is not active; dry-run aware. 0 or -errno after logging. */
int xc_service_start(struct xhafw_step *step, const char *unit);
int xc_service_stop(struct xhafw_step *step, const char *unit);

/* validate(): the option NAME names a unit: not empty, no blanks or '/'. 0 or -EINVAL after
 * logging why. */
int xc_validate_unit(struct xhafw_step *step, const char *name, bool empty_ok);

/* For check(): ACTIVE/INACTIVE from xc_service_active(), or its -errno. */
int xc_service_state(struct xhafw_step *step, const char *unit);

/* The whole text file PATH into *ret (NUL-terminated; free() it); a missing file reads as empty
 * when MISSING_OK. 0 or -errno, without logging. */
int xc_read_text(const char *path, bool missing_ok, char **ret);

/* conserver and goconserver: one console service per site; each refuses to start while the other
 * runs (both would open the same consoles). */
struct xc_console {
        const char *name;      /* its consoleservice value in the site table: "conserver" */
        const char *generator; /* the command that writes its configuration: "makeconservercf" */
};
int xc_console_apply(struct xhafw_step *step, const struct xc_console *c);
int xc_console_validate(struct xhafw_step *step);
/* other_service = none: no other console service is looked at. (An empty value is the default, as
 * for every option: the core applies it before the plugin sees the step.) */
#define XC_CONSOLE_NONE "none"
/* The other console service's unit, or NULL for other_service = none. */
const char *xc_console_other(struct xhafw_step *step);

/* preflight: the xCAT commands a step runs (CMDS, NULL-terminated) are on the configured path. */
void xc_preflight_commands(struct xhafw_step *step, const char *const cmds[]);

/* preflight: xCAT's version, reported as the fact "xcat version" for the peer comparison: from
 * lsxcatd -v where xcatd answers, else from the package database (rpm, dpkg), so that a standby
 * (whose xcatd is stopped) has one too. Only the version number, as every source gives it. */
void xc_preflight_version(struct xhafw_step *step);

#endif
