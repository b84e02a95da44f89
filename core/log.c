/* Logging: stderr for the admin, syslog (ident "xhafw") for the record, framed lines from actions. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "framing.h"
#include "log.h"
#include "util.h"

int log_max_priority = LOG_NOTICE;
static bool log_syslog;
static bool stderr_lost, stdout_lost;
/* --json: the messages shown on stderr are also kept for the one JSON document of the run. */
static struct json_object *collected;
#define MAX_COLLECTED 1000

void log_open(bool use_syslog)
{
        log_syslog = use_syslog;
        if (use_syslog)
                openlog("xhafw", LOG_PID, LOG_DAEMON);
}

void log_collect(bool on)
{
        if (on && !collected)
                collected = json_object_new_array();
}

struct json_object *log_collected_take(void)
{
        struct json_object *a = collected;
        collected = NULL;
        return a ? a : json_object_new_array();
}

/* A lost terminal (EPIPE once the reader is gone, EIO after a hangup) is not a request to stop: a
 * run goes on to its end. Say so once, where it can still be read. */
void output_lost(int fd, int err)
{
        bool *lost = fd == STDOUT_FILENO ? &stdout_lost : &stderr_lost;
        if (*lost)
                return;
        *lost = true;
        syslog(LOG_NOTICE, "%s is gone (%s): going on; messages go to syslog and the journal",
               fd == STDOUT_FILENO ? "standard output" : "standard error", strerror(err));
}

bool stdout_is_lost(void)
{
        return stdout_lost;
}

static const char *prio_word(int priority)
{
        switch (priority) {
        case LOG_EMERG:
        case LOG_ALERT:
        case LOG_CRIT:
        case LOG_ERR: return "error: ";
        case LOG_WARNING: return "warning: ";
        default: return "";
        }
}

void log_fullv(const char *step, int priority, const char *fmt, va_list ap)
{
        char buf[4096];
        int saved = errno;

        vsnprintf(buf, sizeof buf, fmt, ap);
        if (collected && priority <= log_max_priority && json_object_array_length(collected) < MAX_COLLECTED) {
                struct json_object *m = json_object_new_object();
                static const char *const names[] = { "emerg",   "alert",  "crit", "error",
                                                     "warning", "notice", "info", "debug" };
                json_object_object_add(m, "priority", json_object_new_string(names[priority & 7]));
                if (step)
                        json_object_object_add(m, "step", json_object_new_string(step));
                json_object_object_add(m, "message", json_object_new_string(buf));
                json_object_array_add(collected, m);
        }
        /* Once stderr is gone, what the admin would have read there goes to syslog. */
        if (log_syslog && (priority <= LOG_INFO || (stderr_lost && priority <= log_max_priority))) {
                if (step)
                        syslog(priority, "%s: %s", step, buf);
                else
                        syslog(priority, "%s", buf);
        }
        if (priority <= log_max_priority) {
                /* One write per line keeps lines from parallel steps whole. */
                char line[4400];
                int n = snprintf(line, sizeof line, "xhafw: %s%s%s%s\n", step ? step : "", step ? ": " : "",
                                 prio_word(priority), buf);
                if (n > (int) sizeof line - 1)
                        n = sizeof line - 1, line[n - 1] = '\n';
                int r = stderr_lost ? 0 : write_all(STDERR_FILENO, line, (size_t) n);
                if (r < 0)
                        output_lost(STDERR_FILENO, -r);
        }
        errno = saved;
}

void log_full(const char *step, int priority, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        log_fullv(step, priority, fmt, ap);
        va_end(ap);
}

XHAFW_API void xhafw_log(struct xhafw_step *step, int priority, const char *fmt, ...)
{
        char buf[4096];
        va_list ap;

        if (priority < 0 || priority > LOG_DEBUG)
                priority = LOG_INFO;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        if (step && step->action && step->action->msg_fd >= 0)
                msg_send(step->action->msg_fd, (char) ('0' + priority), buf);
        else
                log_full(step ? step->name : NULL, priority, "%s", buf);
}

void action_print(struct xhafw_step *step, const char *fmt, ...)
{
        char *buf = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&buf, fmt, ap);
        va_end(ap);
        if (r < 0)
                return;
        if (step && step->action && step->action->msg_fd >= 0)
                msg_send(step->action->msg_fd, 'O', buf);
        else {
                fputs(buf, stdout);
                if (r == 0 || buf[r - 1] != '\n')
                        fputc('\n', stdout);
        }
        free(buf);
}
