/* Helpers shared by the Check suites: temporary trees, files, a step with an action context. */
#ifndef XHAFW_TESTLIB_H
#define XHAFW_TESTLIB_H

#include <check.h>

#include "core.h"

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
/* Run a suite, return the process exit status. */
int tl_run(Suite *s);

#endif
