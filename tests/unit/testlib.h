/* Helpers shared by the Check suites: temporary trees, files, a step with an action context. */
#ifndef XHAFW_TESTLIB_H
#define XHAFW_TESTLIB_H

#include <check.h>
#include <sys/types.h>

#include "core.h"
#include "hostapi.h"
#include "log.h"
#include "util.h"

/* A fresh 0700 directory under /tmp; removed by tl_rmtree(). */
char *tl_mkdtemp(void);
void tl_rmtree(const char *path);
/* Write a file (mode 0644 unless chmod'ed later), creating parent directories. */
void tl_write(const char *dir, const char *name, const char *content);
char *tl_read(const char *path); /* NULL if missing */
/* Settings pointing at DIR/conf.d, DIR/state, the test plugins; service_manager and path unset. */
void tl_settings(struct settings *s, const char *dir);
void tl_settings_free(struct settings *s);
/* A bare step named NAME with an action context (not dry-run, msg_fd -1). */
struct xhafw_step *tl_step(const char *name, const struct settings *s, bool dry_run);
void tl_step_free(struct xhafw_step *st);
/* Send the framed lines of STEP's action into a pipe, as in an action's child; tl_messages()
 * returns what arrived since (free it), tl_capture_end() closes the pipe. */
void tl_capture(struct xhafw_step *st);
char *tl_messages(void);
void tl_capture_end(void);
/* Run a suite, return the process exit status. */
int tl_run(Suite *s);

#endif

/* ---- driving the built binary (XHAFW_BIN) against a temporary tree ---- */
/* Write DIR/xhafw.conf (conf_d DIR/conf.d, state_dir DIR/state, the test plugins, short timeouts)
 * plus EXTRA lines under [xhafw] (may be NULL). */
void tl_conf(const char *dir, const char *extra);
/* Run xhafw --config DIR/xhafw.conf ARGS... (NULL-terminated); stdout+stderr in *ret_out (may be
 * NULL). Returns the exit status, or 128+N when killed by signal N. */
int tl_xhafw(const char *dir, char **ret_out, ...) __attribute__((sentinel));
/* Start it in the background; returns the pid. */
pid_t tl_xhafw_bg(const char *dir, const char *out_file, ...) __attribute__((sentinel));
/* Whether FILE contains NEEDLE. */
bool tl_contains(const char *path, const char *needle);
/* Index of the first line of the journal with this event (and step, if not NULL); -1 if none. */
int tl_journal_index(const char *dir, const char *event, const char *step);
