/* The journal (state_dir/journal): one fsync'd JSON line per state change of a run. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "journal.h"
#include "log.h"
#include "util.h"

static int journal_fd = -1;
static bool journal_dirty;
/* Where the journal is and how many runs it keeps: journal_close() rotates and prunes. */
static char *journal_dir;
static unsigned journal_keep;

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

        journal_fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (journal_fd < 0) {
                r = -errno;
                log_error("cannot open the journal %s: %m", path);
        } else {
                struct stat st;
                char last;
                /* A crash while a line was written leaves it torn: end it, or this run's first line
                 * would be glued to it and lost. `xhafw history` reports the torn line. */
                if (fstat(journal_fd, &st) == 0 && st.st_size > 0 && pread(journal_fd, &last, 1, st.st_size - 1) == 1 &&
                    last != '\n') {
                        log_warning("the last line of %s is torn (a crash while it was written): ending it", path);
                        if (write_all(journal_fd, "\n", 1) < 0)
                                log_warning("cannot write the journal: %m, ignoring");
                }
                free(journal_dir);
                journal_dir = strdup_or_die(s->state_dir);
                journal_keep = s->journal_runs ? s->journal_runs : XHAFW_JOURNAL_RUNS;
        }
        free(path);
        return r;
}

void journal_close(void)
{
        bool was_open = journal_fd >= 0;

        journal_sync();
        if (journal_fd >= 0)
                close(journal_fd);
        journal_fd = -1;
        /* Between runs (still under the lock), so that a run never straddles two files and an
         * interrupted run stays in the file that status reads. */
        if (was_open)
                journal_rotate(journal_dir, journal_keep, XHAFW_JOURNAL_ROTATE_SIZE);
        free(journal_dir);
        journal_dir = NULL;
}

static struct json_object *event_new(const char *event, const char *step, const char *detail)
{
        struct json_object *o;
        struct timespec ts;
        struct tm tm;
        char when[64];

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
        return o;
}

static void event_write(struct json_object *o, const char *event)
{
        const char *line;

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

void journal_event(const char *event, const char *step, const char *detail)
{
        if (journal_fd >= 0)
                event_write(event_new(event, step, detail), event);
}

void journal_run_start(const struct config *cfg, const char *detail)
{
        struct json_object *o, *graph;
        char host[256] = "";

        if (journal_fd < 0)
                return;
        o = event_new("run-start", NULL, detail);
        /* Which node ran it, and the graph, so that `xhafw history` can tell the node and draw
         * the critical path of a run long after the configuration changed. */
        if (gethostname(host, sizeof host - 1) == 0 && *host)
                json_object_object_add(o, "host", json_object_new_string(host));
        graph = json_object_new_object();
        for (size_t i = 0; i < cfg->n_steps; i++) {
                const struct xhafw_step *st = cfg->steps[i];
                struct json_object *after = json_object_new_array();
                if (!st->enabled) {
                        json_object_put(after);
                        continue;
                }
                for (size_t a = 0; a < st->n_after; a++)
                        json_object_array_add(after, json_object_new_string(st->after[a]));
                json_object_object_add(graph, st->name, after);
        }
        json_object_object_add(o, "after", graph);
        json_object_object_add(o, "jobs", json_object_new_int((int) cfg->settings.jobs));
        event_write(o, "run-start");
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
                /* a damaged line may hold any JSON: only a string event counts */
                if (o && json_object_object_get_ex(o, "event", &ev) && json_object_is_type(ev, json_type_string)) {
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

static int by_index(const void *a, const void *b)
{
        unsigned long x = *(const unsigned long *) a, y = *(const unsigned long *) b;
        return x < y ? -1 : x > y;
}

size_t journal_files(const char *state_dir, char ***ret_paths)
{
        unsigned long *idx = NULL;
        size_t n = 0, cap = 0;
        char **paths, *cur = xasprintf("%s/journal", state_dir);
        DIR *d = opendir(state_dir);
        struct dirent *de;
        bool have_current = access(cur, F_OK) == 0;

        while (d && (de = readdir(d))) {
                char *end;
                unsigned long k;
                if (strncmp(de->d_name, "journal.", 8) != 0 || !isdigit((unsigned char) de->d_name[8]) ||
                    de->d_name[8] == '0')
                        continue;
                errno = 0;
                k = strtoul(de->d_name + 8, &end, 10);
                if (*end || errno || k == 0 || k > 1000000)
                        continue; /* not ours: journal.1.gz, journal.old */
                if (n == cap) {
                        cap = cap ? cap * 2 : 8;
                        idx = realloc(idx, cap * sizeof *idx);
                        if (!idx)
                                abort();
                }
                idx[n++] = k;
        }
        if (d)
                closedir(d);
        if (n)
                qsort(idx, n, sizeof *idx, by_index);
        paths = xcalloc(n + 2, sizeof *paths);
        {
                size_t m = 0;
                if (have_current)
                        paths[m++] = strdup_or_die(cur);
                for (size_t i = 0; i < n; i++)
                        paths[m++] = xasprintf("%s/journal.%lu", state_dir, idx[i]);
                n = m;
        }
        free(idx);
        free(cur);
        *ret_paths = paths;
        return n;
}

/* Whether [bol, eol) is a whole run-start line: the needle alone would also match a line torn
 * after it, which is no run to keep. */
static bool whole_run_start(const char *bol, const char *eol)
{
        char *line = xcalloc((size_t) (eol - bol) + 1, 1);
        struct json_object *o, *ev;
        bool r;

        memcpy(line, bol, (size_t) (eol - bol));
        o = json_tokener_parse(line);
        r = o && json_object_object_get_ex(o, "event", &ev) && json_object_is_type(ev, json_type_string) &&
            strcmp(json_object_get_string(ev), "run-start") == 0;
        if (o)
                json_object_put(o);
        free(line);
        return r;
}

/* The offset of the line of the k-th run-start (k from 1) in text, or -1 with *ret_count set to
 * how many there are. The writer is json-c (no blanks), so a run start holds this exact text; a
 * torn or damaged line does not count. One pass: files hold thousands of runs. */
static ssize_t run_start_offset(const char *text, size_t n, size_t k, size_t *ret_count)
{
        static const char needle[] = "\"event\":\"run-start\"";
        const char *p = text, *end = text + n;
        size_t found = 0;
        while (p < end) {
                const char *hit = memmem(p, (size_t) (end - p), needle, sizeof needle - 1);
                const char *bol, *eol;
                if (!hit)
                        break;
                for (bol = hit; bol > text && bol[-1] != '\n'; bol--)
                        ;
                /* one run start per line: skip the rest of this line */
                eol = memchr(hit, '\n', (size_t) (end - hit));
                if (!eol)
                        eol = end;
                p = eol < end ? eol + 1 : end;
                if (!whole_run_start(bol, eol))
                        continue;
                if (++found == k)
                        return bol - text;
        }
        if (ret_count)
                *ret_count = found;
        return -1;
}

static size_t count_runs(const char *text, size_t n)
{
        size_t c = 0;
        run_start_offset(text, n, SIZE_MAX, &c);
        return c;
}

int journal_rotate(const char *state_dir, unsigned keep, off_t rotate_size)
{
        char *cur = xasprintf("%s/journal", state_dir), **paths = NULL;
        size_t n, total = 0;
        struct stat st;
        int r = 0;

        /* By size: journal.N -> journal.N+1, oldest first, then journal -> journal.1. */
        if (stat(cur, &st) == 0 && st.st_size >= rotate_size) {
                n = journal_files(state_dir, &paths);
                for (size_t i = n; i-- > 1;) {
                        const char *dot = strrchr(paths[i], '.');
                        char *to = xasprintf("%s/journal.%lu", state_dir, strtoul(dot + 1, NULL, 10) + 1);
                        if (rename(paths[i], to) < 0) {
                                r = -errno;
                                log_warning("cannot rotate the journal: rename %s to %s: %m, ignoring", paths[i], to);
                        }
                        free(to);
                }
                if (r == 0) {
                        char *to = xasprintf("%s/journal.1", state_dir);
                        if (rename(cur, to) < 0) {
                                r = -errno;
                                log_warning("cannot rotate the journal: rename %s to %s: %m, ignoring", cur, to);
                        }
                        free(to);
                }
                strv_free(paths);
                paths = NULL;
        }
        /* By runs: newest file first, until `keep` runs are counted; the file where the count is
         * reached loses its older runs, the files older than it go. */
        n = journal_files(state_dir, &paths);
        for (size_t i = 0; i < n && r == 0; i++) {
                char *text = NULL;
                size_t len = 0, runs;
                if (total >= keep) {
                        if (unlink(paths[i]) < 0 && errno != ENOENT)
                                log_warning("cannot remove the old journal %s: %m, ignoring", paths[i]);
                        continue;
                }
                int e = read_file(paths[i], 256 * 1024 * 1024, &text, &len);
                if (e < 0) {
                        log_warning("cannot read the journal %s to prune it: %s, ignoring", paths[i], strerror(-e));
                        break;
                }
                runs = count_runs(text, len);
                if (total + runs > keep) {
                        ssize_t from = run_start_offset(text, len, total + runs - keep + 1, NULL);
                        int w = from < 0 ? 0 : write_file_atomic(paths[i], text + from, len - (size_t) from, 0600);
                        if (w < 0)
                                log_warning("cannot prune the journal %s: %s, ignoring", paths[i], strerror(-w));
                }
                total += runs;
                free(text);
        }
        strv_free(paths);
        free(cur);
        return r;
}

void journal_close_in_child(void)
{
        if (journal_fd >= 0)
                close(journal_fd);
        journal_fd = -1;
}
