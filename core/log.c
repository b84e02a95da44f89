/* Logging: stderr for the admin, syslog (ident "xhafw") for the record, framed lines from actions. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core.h"

int log_max_priority = LOG_NOTICE;
static bool log_syslog;

void log_open(bool use_syslog)
{
        log_syslog = use_syslog;
        if (use_syslog)
                openlog("xhafw", LOG_PID, LOG_DAEMON);
}

static const char *prio_word(int priority)
{
        switch (priority) {
        case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: case LOG_ERR: return "error: ";
        case LOG_WARNING: return "warning: ";
        default: return "";
        }
}

void log_fullv(const char *step, int priority, const char *fmt, va_list ap)
{
        char buf[4096];
        int saved = errno;

        vsnprintf(buf, sizeof buf, fmt, ap);
        if (log_syslog && priority <= LOG_INFO) {
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
                (void) write_all(STDERR_FILENO, line, (size_t) n);
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

void msg_send(int fd, char kind, const char *text)
{
        const char *p = text;
        do {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                char buf[4096];
                if (len > sizeof buf - 3)
                        len = sizeof buf - 3;
                buf[0] = kind;
                memcpy(buf + 1, p, len);
                buf[len + 1] = '\n';
                (void) write_all(fd, buf, len + 2);
                if (!nl)
                        break;
                p = nl + 1;
        } while (*p);
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
