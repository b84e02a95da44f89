/* The journal (state_dir/journal): one fsync'd JSON line per state change of a run. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "journal.h"
#include "log.h"
#include "util.h"

static int journal_fd = -1;
static bool journal_dirty;

void journal_sync(void)
{
        if (journal_fd >= 0 && journal_dirty && fdatasync(journal_fd) < 0)
                log_warning("cannot sync the journal: %m, ignoring");
        journal_dirty = false;
}

int journal_open(const struct settings *s)
{
        char *path = xasprintf("%s/journal", s->state_dir);
        int r = 0;

        journal_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (journal_fd < 0) {
                r = -errno;
                log_error("cannot open the journal %s: %m", path);
        }
        free(path);
        return r;
}

void journal_close(void)
{
        journal_sync();
        if (journal_fd >= 0)
                close(journal_fd);
        journal_fd = -1;
}

void journal_event(const char *event, const char *step, const char *detail)
{
        struct json_object *o;
        struct timespec ts;
        struct tm tm;
        char when[64];
        const char *line;

        if (journal_fd < 0)
                return;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
        o = json_object_new_object();
        json_object_object_add(o, "time", json_object_new_string(when));
        json_object_object_add(o, "pid", json_object_new_int((int) getpid()));
        json_object_object_add(o, "event", json_object_new_string(event));
        if (step)
                json_object_object_add(o, "step", json_object_new_string(step));
        if (detail)
                json_object_object_add(o, "detail", json_object_new_string(detail));
        line = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        /* One write per line (O_APPEND) and fdatasync: a crash loses at most the line being written. */
        {
                size_t n = strlen(line);
                char *buf = xcalloc(n + 2, 1);
                memcpy(buf, line, n);
                buf[n] = '\n';
                if (write_all(journal_fd, buf, n + 1) < 0)
                        log_warning("cannot write the journal: %m, ignoring");
                journal_dirty = true;
                /* The start and end of a run are synced at once; step lines are synced by
                 * journal_sync() before the engine waits again (group commit). */
                if (strcmp(event, "run-start") == 0 || strcmp(event, "run-end") == 0)
                        journal_sync();
                free(buf);
        }
        json_object_put(o);
}

char *journal_unfinished_run(const struct settings *s)
{
        char *path = xasprintf("%s/journal", s->state_dir), *text = NULL, *last_start = NULL;
        struct stat st;
        off_t from = 0;
        int fd;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        free(path);
        if (fd < 0)
                return NULL;
        /* Only the tail matters: the last run. */
        if (fstat(fd, &st) == 0 && st.st_size > 1024 * 1024)
                from = st.st_size - 1024 * 1024;
        text = xcalloc(1024 * 1024 + 1, 1);
        {
                ssize_t n = pread(fd, text, 1024 * 1024, from);
                if (n < 0)
                        n = 0;
                text[n] = 0;
        }
        close(fd);
        for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
                struct json_object *o, *ev;
                nl = strchr(line, '\n');
                if (nl)
                        *nl = 0;
                o = json_tokener_parse(line);
                if (o && json_object_object_get_ex(o, "event", &ev)) {
                        const char *e = json_object_get_string(ev);
                        if (strcmp(e, "run-start") == 0) {
                                free(last_start);
                                last_start = strdup_or_die(line);
                        } else if (strcmp(e, "run-end") == 0) {
                                free(last_start);
                                last_start = NULL;
                        }
                }
                if (o)
                        json_object_put(o);
        }
        free(text);
        return last_start;
}

void journal_close_in_child(void)
{
        if (journal_fd >= 0)
                close(journal_fd);
        journal_fd = -1;
}
