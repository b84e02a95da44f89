/* Logging: stderr for the admin, syslog for the record, the messages kept for --json. */
#ifndef XHAFW_LOG_H
#define XHAFW_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <syslog.h>

#include "core.h"

struct json_object;

extern int log_max_priority; /* messages above it (less important) are not shown on stderr */
void log_open(bool use_syslog);
/* --json: keep the messages shown (as {priority, step, message}) for the run's JSON document. */
void log_collect(bool on);
struct json_object *log_collected_take(void); /* the kept messages (an array; the caller owns it) */
/* A write to stdout or stderr failed (the terminal or pipe is gone): noted once in syslog; later
 * messages go to syslog. Never a reason to stop a run. */
void output_lost(int fd, int err);
bool stdout_is_lost(void);
void log_full(const char *step, int priority, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void log_fullv(const char *step, int priority, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
#define log_error(...) log_full(NULL, LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_full(NULL, LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_full(NULL, LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_full(NULL, LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_full(NULL, LOG_DEBUG, __VA_ARGS__)
/* Output meant for the user from inside an action (dry-run plans, diffs, describe): framed to the
 * parent when the action runs in a child, else written to stdout. */
void action_print(struct xhafw_step *step, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
