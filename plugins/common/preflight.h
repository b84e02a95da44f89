/* Preflight checks the plugins share: a unit's boot and run state, commands on the configured path,
 * a TCP port's listener. Each reports through xhafw_preflight_check(); nothing here changes anything. */
#ifndef XHAFW_PF_H
#define XHAFW_PF_H

#include <stdbool.h>
#include <stddef.h>

#include "xhafw/plugin.h"

/* xhafw_preflight_check() with a formatted detail. */
void pf_report(struct xhafw_step *step, const char *check, enum xhafw_check_result result, const char *fix,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The PATH that the runner gives commands (path = in xhafw.conf), asked of the runner itself.
 * *ret: free() it. 0 or -errno. */
int pf_path(struct xhafw_step *step, char **ret);

/* The executable file CMD resolves to along PATH, the way the runner resolves it (no empty item,
 * never the current directory). *ret: free() it. 0 or -ENOENT (-ENOMEM). */
int pf_which(const char *path, const char *cmd, char **ret);

/* One check, "commands on the path": each of CMDS (NULL-terminated) must resolve along the
 * configured path. FIX says what to install when one does not. */
void pf_commands(struct xhafw_step *step, const char *const cmds[], const char *fix);

/* The unit as the service manager sees it, three checks: "unit exists" (status does not say 4,
 * no such unit), "not enabled at boot" (is-enabled does not exit 0) and "not running on a
 * standby" (is-active, on a standby only; the active node runs it). */
void pf_service(struct xhafw_step *step, const char *unit);

/* Whether a socket listens on TCP PORT in this network namespace (/proc/net/tcp and tcp6): 1 with
 * WHO set to "pid N (COMM)" (or "a process of another namespace" when no process here holds it),
 * 0 when none does, -errno when it cannot tell. */
int pf_tcp_listener(unsigned port, char *who, size_t size);

#endif
