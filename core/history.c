/* xhafw history: the past runs read from the journal, one run step by step, and its timeline as a
 * text Gantt chart or an SVG report. It only reads: no lock, no journal line, nothing to syslog. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "history.h"
#include "journal.h"
#include "lock.h"
#include "log.h"
#include "util.h"

#define MAX_JOURNAL_FILE (256 * 1024 * 1024) /* one journal file read; rotation keeps them near 1 MiB */
#define MAX_LINE_WARNINGS 10                 /* damaged lines named one by one; the rest are counted */
#define NO_EVENT SIZE_MAX

static const char usage_history[] =
        "usage: xhafw history [RUN] [--since T] [--svg FILE]\n"
        "The past runs of activate and deactivate, from the journal (state_dir/journal and journal.1, ...).\n"
        "Without RUN: one line per run: start, command, node, result, duration, failed step.\n"
        "With RUN (its number as listed, 1 the latest, or its start time): the run step by step with\n"
        "times, and its timeline: the steps as bars on one time axis, the critical path marked.\n"
        "  --since T   runs started since T: a date and time (2026-12-01, 2026-12-01T14:30, 14:30:05;\n"
        "              local time, Z for UTC), a duration ago (30s, 15m, 2h, 7d, 2w), today or yesterday\n"
        "  --svg FILE  also write the timeline of RUN (without RUN: of the latest run) to FILE as SVG\n"
        "Times are local. The journal keeps the last journal_runs runs (xhafw.conf(5)).\n";

struct event {
        double t;   /* seconds since the epoch */
        char *time; /* as the journal has it (UTC) */
        char *event;
        char *step; /* NULL: an event of the run itself */
        char *detail;
};

struct run {
        long pid;
        char *mode;        /* activate, deactivate */
        char *host;        /* NULL: not recorded (a journal of an older xhafw) */
        double start, end; /* end: of run-end, else of the last event */
        bool ended, running, rolled_back, hangup;
        int exit_code;                           /* when ended */
        const char *failed_step, *failed_reason; /* the first step that failed or refused; borrowed */
        struct event *ev;
        size_t n_ev, cap_ev;
        struct json_object *after; /* run-start's step graph: step -> the steps it is after */
        unsigned jobs;             /* run-start's jobs; 0: not recorded */
        char *file;
        unsigned line;
        unsigned index; /* as listed: 1 is the latest */
};

struct history {
        struct run *runs;
        size_t n, cap;
        unsigned n_bad;   /* lines that are not journal events (torn, damaged) */
        unsigned n_stray; /* events outside a run */
        size_t n_files;
};

enum bar_kind {
        BAR_APPLY,
        BAR_REVERT,
        BAR_ROLLBACK
};

/* One action of a step on the time axis: from its start event to the event that ended it. */
struct bar {
        const char *step;
        enum bar_kind kind;
        double start, end;
        const char *outcome;
        char mark; /* the bar's last column: X failed, ! refused, > never ended; 0: none */
        const char *reason;
        bool open, critical;
        size_t start_ev, end_ev; /* NO_EVENT: none */
};

struct timeline {
        struct bar *bars; /* in order of their start */
        size_t n;
        double t0, t1;
        size_t *path; /* the critical path, chronological */
        size_t n_path;
        size_t *ev_bar; /* per event: the bar it started or ended, or NO_EVENT */
};

/* ---- times ---- */

static double timespec_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int digits(const char *s, int n, int *ret)
{
        int v = 0;
        for (int i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (s[i] - '0');
        }
        *ret = v;
        return 0;
}

/* "2026-12-01", "2026-12-01T14:30", "2026-12-01 14:30:05", "...:05.123", "14:30" (today), each
 * local unless it ends in Z (UTC, as the journal writes). *ret_precision: the span the text names
 * (a day, a minute, a second, a millisecond), for matching a run by its start. */
static int parse_when(const char *s, double *ret, double *ret_precision)
{
        struct tm tm = { 0 };
        int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
        double frac = 0, prec = 86400;
        bool utc = false, have_date = false;
        const char *p = s;
        time_t t;

        if (strlen(p) >= 10 && p[4] == '-' && p[7] == '-') {
                if (digits(p, 4, &y) < 0 || digits(p + 5, 2, &mo) < 0 || digits(p + 8, 2, &d) < 0)
                        return -EINVAL;
                have_date = true;
                p += 10;
                if (*p == 'T' || *p == ' ')
                        p++;
                else if (*p && *p != 'Z')
                        return -EINVAL;
        }
        if (*p && *p != 'Z') {
                if (digits(p, 2, &h) < 0 || p[2] != ':' || digits(p + 3, 2, &mi) < 0)
                        return -EINVAL;
                p += 5;
                prec = 60;
                if (*p == ':') {
                        if (digits(p + 1, 2, &sec) < 0)
                                return -EINVAL;
                        p += 3;
                        prec = 1;
                        if (*p == '.') {
                                double scale = 0.1;
                                if (!(p[1] >= '0' && p[1] <= '9'))
                                        return -EINVAL;
                                for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10) {
                                        frac += (*p - '0') * scale;
                                        prec = scale;
                                }
                        }
                }
        } else if (!have_date)
                return -EINVAL;
        if (*p == 'Z') {
                utc = true;
                p++;
        }
        if (*p || mo < 1 || mo > 12 || d > 31 || h > 23 || mi > 59 || sec > 60 || (have_date && d < 1))
                return -EINVAL;
        if (!have_date) {
                time_t now = time(NULL);
                if (utc)
                        gmtime_r(&now, &tm);
                else
                        localtime_r(&now, &tm);
                y = tm.tm_year + 1900;
                mo = tm.tm_mon + 1;
                d = tm.tm_mday;
                memset(&tm, 0, sizeof tm);
        }
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = sec;
        tm.tm_isdst = -1;
        t = utc ? timegm(&tm) : mktime(&tm);
        if (t == (time_t) -1 || tm.tm_mday != d || tm.tm_mon != mo - 1)
                return -EINVAL; /* 2026-02-30 */
        *ret = (double) t + frac;
        if (ret_precision)
                *ret_precision = prec;
        return 0;
}

/* --since: a time as parse_when() takes it, a duration ago, today or yesterday. */
static int parse_since(const char *s, double *ret)
{
        static const struct {
                const char *unit;
                double seconds;
        } units[] = {
                { "s", 1 }, { "min", 60 }, { "m", 60 }, { "h", 3600 }, { "d", 86400 }, { "w", 7 * 86400 },
        };
        char *end;
        double v;

        if (strcmp(s, "today") == 0 || strcmp(s, "yesterday") == 0) {
                time_t now = time(NULL);
                struct tm tm;
                localtime_r(&now, &tm);
                tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
                tm.tm_mday -= strcmp(s, "yesterday") == 0;
                tm.tm_isdst = -1;
                *ret = (double) mktime(&tm);
                return 0;
        }
        if (parse_when(s, ret, NULL) == 0)
                return 0;
        if (*s < '0' || *s > '9')
                return -EINVAL;
        errno = 0;
        v = strtod(s, &end);
        if (errno || end == s)
                return -EINVAL;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
                if (strcmp(end, units[i].unit) == 0) {
                        *ret = timespec_now() - v * units[i].seconds;
                        return 0;
                }
        return -EINVAL;
}

static void fmt_local(double t, bool ms, char *buf, size_t n)
{
        time_t s = (time_t) t;
        struct tm tm;
        int milli = (int) ((t - (double) s) * 1000 + 0.5);
        if (milli >= 1000) {
                s++;
                milli -= 1000;
        }
        localtime_r(&s, &tm);
        if (ms)
                snprintf(buf, n, "%04d-%02d-%02d %02d:%02d:%02d.%03d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                         tm.tm_hour, tm.tm_min, tm.tm_sec, milli);
        else
                snprintf(buf, n, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                         tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void fmt_iso_utc(double t, char *buf, size_t n)
{
        time_t s = (time_t) t;
        struct tm tm;
        int milli = (int) ((t - (double) s) * 1000 + 0.5);
        if (milli >= 1000) {
                s++;
                milli -= 1000;
        }
        gmtime_r(&s, &tm);
        snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec, milli);
}

static void fmt_duration(double s, char *buf, size_t n)
{
        if (s < 0)
                s = 0;
        if (s < 60)
                snprintf(buf, n, "%.3fs", s);
        else if (s < 3600)
                snprintf(buf, n, "%dm%04.1fs", (int) (s / 60), s - 60 * (int) (s / 60));
        else
                snprintf(buf, n, "%dh%02dm%02ds", (int) (s / 3600), (int) (s / 60) % 60, (int) s % 60);
}

/* ---- reading the journal ---- */

static void run_free(struct run *r)
{
        for (size_t i = 0; i < r->n_ev; i++) {
                free(r->ev[i].time);
                free(r->ev[i].event);
                free(r->ev[i].step);
                free(r->ev[i].detail);
        }
        free(r->ev);
        free(r->mode);
        free(r->host);
        free(r->file);
        json_object_put(r->after);
}

static void history_free(struct history *h)
{
        for (size_t i = 0; i < h->n; i++)
                run_free(&h->runs[i]);
        free(h->runs);
}

static const char *jget(struct json_object *o, const char *key)
{
        struct json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
                       json_object_get_string(v) :
                       NULL;
}

static char *dup_or_null(const char *s)
{
        return s ? strdup_or_die(s) : NULL;
}

static bool is_step_failure(const char *e)
{
        return strcmp(e, "step-failed") == 0 || strcmp(e, "step-refused") == 0 ||
               strcmp(e, "step-rollback-failed") == 0;
}

static void bad_line(struct history *h, const char *file, unsigned line, bool torn)
{
        if (++h->n_bad <= MAX_LINE_WARNINGS) {
                if (torn)
                        log_warning("%s:%u: the last line is torn (xhafw was killed or the node went down while "
                                    "it was written), ignoring it",
                                    file, line);
                else
                        log_warning("%s:%u: not a journal event (a line torn by a crash, or damaged), ignoring it",
                                    file, line);
        }
}

static void add_event(struct history *h, struct json_object *o, const char *file, unsigned line, double t)
{
        const char *e = jget(o, "event"), *step = jget(o, "step"), *detail = jget(o, "detail");
        struct json_object *v;
        long pid = json_object_object_get_ex(o, "pid", &v) ? (long) json_object_get_int64(v) : 0;
        struct run *r = h->n ? &h->runs[h->n - 1] : NULL;
        struct event *ev;

        if (strcmp(e, "run-start") == 0) {
                if (h->n == h->cap) {
                        h->cap = h->cap ? h->cap * 2 : 16;
                        h->runs = realloc(h->runs, h->cap * sizeof *h->runs);
                        if (!h->runs)
                                abort();
                }
                r = &h->runs[h->n++];
                memset(r, 0, sizeof *r);
                r->pid = pid;
                r->mode = strdup_or_die(detail ? detail : "?");
                r->host = dup_or_null(jget(o, "host"));
                r->start = r->end = t;
                r->file = strdup_or_die(file);
                r->line = line;
                if (json_object_object_get_ex(o, "after", &v) && json_object_is_type(v, json_type_object))
                        r->after = json_object_get(v);
                if (json_object_object_get_ex(o, "jobs", &v) && json_object_get_int(v) > 0)
                        r->jobs = (unsigned) json_object_get_int(v);
        } else if (!r || r->ended || r->pid != pid) {
                /* not part of the run that started last: a journal edited by hand, or lines of a run
                 * whose start was lost */
                h->n_stray++;
                return;
        }
        if (r->n_ev == r->cap_ev) {
                r->cap_ev = r->cap_ev ? r->cap_ev * 2 : 32;
                r->ev = realloc(r->ev, r->cap_ev * sizeof *r->ev);
                if (!r->ev)
                        abort();
        }
        ev = &r->ev[r->n_ev++];
        ev->t = t;
        ev->time = strdup_or_die(jget(o, "time"));
        ev->event = strdup_or_die(e);
        ev->step = dup_or_null(step);
        ev->detail = dup_or_null(detail);
        if (t > r->end)
                r->end = t;
        if (strcmp(e, "run-end") == 0) {
                const char *x = detail ? strstr(detail, "exit=") : NULL;
                long long code;
                r->ended = true;
                r->exit_code = x && parse_int(x + 5, &code) == 0 && code >= 0 && code < 256 ? (int) code : -1;
        } else if (strcmp(e, "rollback-start") == 0)
                r->rolled_back = true;
        else if (strcmp(e, "hangup") == 0)
                r->hangup = true;
        else if (is_step_failure(e) && !r->failed_step) {
                r->failed_step = ev->step;
                r->failed_reason = ev->detail;
        }
}

static void read_journal_text(struct history *h, const char *file, char *text, size_t n)
{
        unsigned line = 0;

        for (char *p = text, *nl; p < text + n; p = nl + 1) {
                struct json_object *o;
                const char *when, *e;
                double t;
                bool torn;

                line++;
                nl = memchr(p, '\n', (size_t) (text + n - p));
                torn = !nl;
                if (!nl)
                        nl = text + n;
                *nl = 0;
                if (!*p)
                        continue;
                o = json_tokener_parse(p);
                when = o && json_object_is_type(o, json_type_object) ? jget(o, "time") : NULL;
                e = when ? jget(o, "event") : NULL;
                if (!e || parse_when(when, &t, NULL) < 0)
                        bad_line(h, file, line, torn);
                else
                        add_event(h, o, file, line, t);
                json_object_put(o);
        }
}

/* Every journal file of state_dir, oldest first, as one stream of runs. */
static int history_read(struct history *h, const struct settings *s)
{
        char **paths;
        size_t n;
        int r = 0;

        memset(h, 0, sizeof *h);
        /* Not "no run recorded" for a directory we may not look into. */
        if (access(s->state_dir, R_OK | X_OK) < 0 && errno != ENOENT) {
                r = -errno;
                log_error("cannot read the state directory %s: %s%s", s->state_dir, strerror(-r),
                          r == -EACCES ? " (the journal is root's: run as root)" : "");
                return r;
        }
        n = journal_files(s->state_dir, &paths);
        h->n_files = n;
        for (size_t i = n; i-- > 0;) {
                char *text = NULL;
                size_t len = 0;
                int e = read_file(paths[i], MAX_JOURNAL_FILE, &text, &len);
                if (e < 0) {
                        log_error("cannot read the journal %s: %s%s", paths[i], strerror(-e),
                                  e == -EACCES ? " (the journal is root's: run as root)" : "");
                        r = e;
                        continue;
                }
                read_journal_text(h, paths[i], text, len);
                free(text);
        }
        if (h->n_bad > MAX_LINE_WARNINGS)
                log_warning("%u more lines of the journal are not journal events, ignoring them",
                            h->n_bad - MAX_LINE_WARNINGS);
        if (h->n_stray)
                log_warning("%u journal event%s outside any run (a run's start line lost?), ignoring them", h->n_stray,
                            h->n_stray == 1 ? "" : "s");
        for (size_t i = 0; i < h->n; i++)
                h->runs[i].index = (unsigned) (h->n - i);
        /* The last run without an end is either running now or was interrupted. */
        if (h->n && !h->runs[h->n - 1].ended) {
                long holder = 0;
                if (lock_held(s, &holder) && holder == h->runs[h->n - 1].pid)
                        h->runs[h->n - 1].running = true;
        }
        strv_free(paths);
        return r;
}

static const char *run_result(const struct run *r, char *buf, size_t n)
{
        if (r->running)
                snprintf(buf, n, "running (pid %ld)", r->pid);
        else if (!r->ended)
                snprintf(buf, n, "interrupted");
        else if (r->exit_code < 0)
                snprintf(buf, n, "ended (exit unknown)");
        else
                snprintf(buf, n, "%d %s%s", r->exit_code, exit_meaning(r->exit_code),
                         r->rolled_back ? ", rolled back" : "");
        return buf;
}

static const char *run_result_word(const struct run *r)
{
        return r->running       ? "running" :
               !r->ended        ? "interrupted" :
               r->exit_code < 0 ? "unknown" :
                                  exit_meaning(r->exit_code);
}

/* ---- one run's timeline ---- */

static const struct {
        const char *event, *outcome;
        char mark;
} closing[] = {
        { "step-applied", "applied", 0 },         { "step-reverted", "reverted", 0 },
        { "step-rolled-back", "rolled back", 0 }, { "step-failed", "FAILED", 'X' },
        { "step-refused", "REFUSED", '!' },       { "step-rollback-failed", "ROLLBACK FAILED", 'X' },
};

static size_t bar_add(struct timeline *tl, const char *step, enum bar_kind kind, double t, size_t ev)
{
        struct bar *b;
        tl->bars = realloc(tl->bars, (tl->n + 1) * sizeof *tl->bars);
        if (!tl->bars)
                abort();
        b = &tl->bars[tl->n];
        *b = (struct bar){
                .step = step, .kind = kind, .start = t, .end = t, .open = true, .start_ev = ev, .end_ev = NO_EVENT
        };
        return tl->n++;
}

/* Whether dep is in the after list of step in the run's recorded graph. */
static bool is_after(const struct run *r, const char *step, const char *dep)
{
        struct json_object *a;
        if (!r->after || !json_object_object_get_ex(r->after, step, &a) || !json_object_is_type(a, json_type_array))
                return false;
        for (size_t i = 0; i < json_object_array_length(a); i++) {
                const char *s = json_object_get_string(json_object_array_get_idx(a, i));
                if (s && strcmp(s, dep) == 0)
                        return true;
        }
        return false;
}

/* c must end before b can start: apply waits for the steps b is after, revert for the steps
 * after b; both in the same phase. */
static bool waits_for(const struct run *r, const struct bar *b, const struct bar *c)
{
        if (b->kind != c->kind)
                return false;
        return b->kind == BAR_APPLY ? is_after(r, b->step, c->step) : is_after(r, c->step, b->step);
}

/* Actions of b's phase that were running when b started (ending just then counts). */
static unsigned busy_at(const struct timeline *tl, const struct bar *b, double tol)
{
        unsigned n = 0;
        for (size_t i = 0; i < tl->n; i++)
                n += &tl->bars[i] != b && tl->bars[i].kind == b->kind && tl->bars[i].start < b->start - tol &&
                     tl->bars[i].end >= b->start - tol;
        return n;
}

/* The critical path: the chain of actions that held the run's end. From the action that ended
 * last, back through the one it waited for: of the steps it depends on (for a revert: the steps
 * after it) that acted in this run, the one that ended last. Where none did, the action whose end
 * let it start, if that ended just before: the end of the applying before a rollback, or a job
 * slot when all `jobs` were taken. A journal without the graph (an older xhafw) leaves only
 * that rule. */
static void critical_path(const struct run *r, struct timeline *tl)
{
        double gap = (tl->t1 - tl->t0) / 100, tol = 0.0015;
        size_t cur = 0, n = 0;

        if (!tl->n)
                return;
        if (gap < 0.05)
                gap = 0.05;
        for (size_t i = 1; i < tl->n; i++)
                if (tl->bars[i].end >= tl->bars[cur].end)
                        cur = i;
        tl->path = xcalloc(tl->n, sizeof *tl->path);
        for (;;) {
                const struct bar *b = &tl->bars[cur];
                size_t graph = NO_EVENT, phase = NO_EVENT, slot = NO_EVENT;
                bool full = r->jobs && busy_at(tl, b, tol) >= r->jobs;
                tl->bars[cur].critical = true;
                tl->path[n++] = cur;
                for (size_t i = 0; i < tl->n; i++) {
                        const struct bar *c = &tl->bars[i];
                        if (i == cur || c->critical || c->end > b->start + tol)
                                continue;
                        if (waits_for(r, b, c) && (graph == NO_EVENT || c->end >= tl->bars[graph].end))
                                graph = i;
                        if (b->start - c->end > gap)
                                continue;
                        if ((c->kind != b->kind || !r->after) && (phase == NO_EVENT || c->end >= tl->bars[phase].end))
                                phase = i;
                        if ((full || !r->after) && (slot == NO_EVENT || c->end >= tl->bars[slot].end))
                                slot = i;
                }
                cur = graph != NO_EVENT ? graph : phase != NO_EVENT ? phase : slot;
                if (cur == NO_EVENT)
                        break;
        }
        for (size_t i = 0; i < n / 2; i++) {
                size_t x = tl->path[i];
                tl->path[i] = tl->path[n - 1 - i];
                tl->path[n - 1 - i] = x;
        }
        tl->n_path = n;
}

static void timeline_build(const struct run *r, struct timeline *tl)
{
        bool rolling_back = false;

        memset(tl, 0, sizeof *tl);
        tl->t0 = r->start;
        tl->t1 = r->running ? timespec_now() : r->end;
        tl->ev_bar = xcalloc(r->n_ev + 1, sizeof *tl->ev_bar);
        for (size_t k = 0; k < r->n_ev; k++) {
                const struct event *e = &r->ev[k];
                size_t c, b = NO_EVENT;

                tl->ev_bar[k] = NO_EVENT;
                if (strcmp(e->event, "rollback-start") == 0)
                        rolling_back = true;
                if (!e->step)
                        continue;
                if (strcmp(e->event, "step-apply") == 0 || strcmp(e->event, "step-revert") == 0) {
                        tl->ev_bar[k] = bar_add(tl, e->step,
                                                strcmp(e->event, "step-apply") == 0 ? BAR_APPLY :
                                                rolling_back                        ? BAR_ROLLBACK :
                                                                                      BAR_REVERT,
                                                e->t, k);
                        continue;
                }
                for (c = 0; c < sizeof closing / sizeof closing[0]; c++)
                        if (strcmp(e->event, closing[c].event) == 0)
                                break;
                if (c == sizeof closing / sizeof closing[0])
                        continue;
                for (size_t i = tl->n; i-- > 0;)
                        if (tl->bars[i].open && strcmp(tl->bars[i].step, e->step) == 0) {
                                b = i;
                                break;
                        }
                if (b == NO_EVENT) {
                        /* an end without a start: a step that failed before acting (its check) */
                        enum bar_kind kind = strcmp(e->event, "step-applied") == 0  ? BAR_APPLY :
                                             strcmp(e->event, "step-reverted") == 0 ? BAR_REVERT :
                                             rolling_back                           ? BAR_ROLLBACK :
                                             strcmp(r->mode, "deactivate") == 0     ? BAR_REVERT :
                                                                                      BAR_APPLY;
                        b = bar_add(tl, e->step, kind, e->t, NO_EVENT);
                }
                tl->bars[b].end = e->t;
                tl->bars[b].outcome = closing[c].outcome;
                tl->bars[b].mark = closing[c].mark;
                tl->bars[b].reason = e->detail;
                tl->bars[b].open = false;
                tl->bars[b].end_ev = k;
                tl->ev_bar[k] = b;
        }
        for (size_t i = 0; i < tl->n; i++)
                if (tl->bars[i].open) {
                        tl->bars[i].end = tl->t1;
                        tl->bars[i].outcome = r->running ? "running" : "never ended";
                        tl->bars[i].mark = '>';
                }
        critical_path(r, tl);
}

static void timeline_free(struct timeline *tl)
{
        free(tl->bars);
        free(tl->path);
        free(tl->ev_bar);
}

static const char *kind_name(enum bar_kind k)
{
        return k == BAR_APPLY ? "apply" : k == BAR_REVERT ? "revert" : "rollback";
}

static void bar_label(const struct bar *b, char *buf, size_t n)
{
        snprintf(buf, n, "%s%s", b->step, b->kind == BAR_ROLLBACK ? " (rollback)" : "");
}

/* A step on the axis: 1, 2 or 5 times a power of ten below a minute, then minutes and hours. */
static double nice_step(double span, int columns)
{
        static const double steps[] = { 0.001, 0.002, 0.005, 0.01, 0.02, 0.05,  0.1,   0.2,   0.5,
                                        1,     2,     5,     10,   15,   30,    60,    120,   300,
                                        600,   900,   1800,  3600, 7200, 10800, 21600, 43200, 86400 };
        double want = span / (columns / 10 > 1 ? columns / 10 : 1);
        for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
                if (steps[i] >= want)
                        return steps[i];
        return 86400 * (double) (int) (want / 86400 + 1);
}

static void tick_label(double t, char *buf, size_t n)
{
        if (t < 0.0005)
                snprintf(buf, n, "0");
        else if (t < 1)
                snprintf(buf, n, "%dms", (int) (t * 1000 + 0.5));
        else if (t < 60)
                snprintf(buf, n, "%gs", t);
        else if (t < 3600)
                snprintf(buf, n, "%gm", t / 60);
        else
                snprintf(buf, n, "%gh", t / 3600);
}

/* ---- text ---- */

static int terminal_columns(void)
{
        struct winsize ws;
        const char *e = getenv("COLUMNS");
        long long v;

        if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 40)
                return ws.ws_col > 300 ? 300 : ws.ws_col;
        if (e && parse_int(e, &v) == 0 && v >= 40)
                return v > 300 ? 300 : (int) v;
        return 100;
}

static void print_list(const struct history *h, double since, bool have_since)
{
        size_t wn = 4, shown = 0;
        for (size_t i = 0; i < h->n; i++)
                if (h->runs[i].host && strlen(h->runs[i].host) > wn)
                        wn = strlen(h->runs[i].host) > 24 ? 24 : strlen(h->runs[i].host);
        printf("%4s  %-19s  %-10s  %-*s  %-24s  %9s  %s\n", "RUN", "START", "COMMAND", (int) wn, "NODE", "RESULT",
               "DURATION", "FAILED STEP");
        for (size_t i = 0; i < h->n; i++) {
                const struct run *r = &h->runs[i];
                char start[64], dur[32], res[64];
                if (have_since && r->start < since)
                        continue;
                fmt_local(r->start, false, start, sizeof start);
                fmt_duration((r->running ? timespec_now() : r->end) - r->start, dur, sizeof dur);
                if (!r->ended && strlen(dur) + 1 < sizeof dur)
                        memcpy(dur + strlen(dur), "+", 2);
                printf("%4u  %-19s  %-10s  %-*.*s  %-24s  %9s  %s\n", r->index, start, r->mode, (int) wn, (int) wn,
                       r->host ? r->host : "-", run_result(r, res, sizeof res), dur,
                       r->failed_step ? r->failed_step : "-");
                shown++;
        }
        if (!shown)
                printf("(no run%s)\n", have_since ? " since then" : "");
}

static void describe_event(const struct run *r, const struct timeline *tl, size_t k, char *buf, size_t n)
{
        const struct event *e = &r->ev[k];
        const struct bar *b = tl->ev_bar[k] != NO_EVENT ? &tl->bars[tl->ev_bar[k]] : NULL;
        char dur[32] = "";

        if (b && b->start_ev != NO_EVENT && b->start_ev != k)
                fmt_duration(b->end - b->start, dur, sizeof dur);
        if (strcmp(e->event, "run-start") == 0)
                snprintf(buf, n, "run started: %s on %s (pid %ld)", r->mode, r->host ? r->host : "this node", r->pid);
        else if (strcmp(e->event, "run-end") == 0)
                snprintf(buf, n, "run ended: exit %d (%s)%s", r->exit_code, run_result_word(r),
                         r->rolled_back ? ", rolled back" : "");
        else if (strcmp(e->event, "step-apply") == 0)
                snprintf(buf, n, "applying");
        else if (strcmp(e->event, "step-revert") == 0)
                snprintf(buf, n, "%s", b && b->kind == BAR_ROLLBACK ? "rolling back" : "reverting");
        else if (strcmp(e->event, "rollback-start") == 0)
                snprintf(buf, n, "rollback started");
        else if (strcmp(e->event, "hangup") == 0)
                snprintf(buf, n, "terminal lost%s%s", e->detail ? ": " : "", e->detail ? e->detail : "");
        else if (b)
                snprintf(buf, n, "%s%s%s%s%s", b->outcome, *dur ? " after " : "", dur, e->detail ? ": " : "",
                         e->detail ? e->detail : "");
        else
                snprintf(buf, n, "%s%s%s", e->event, e->detail ? ": " : "", e->detail ? e->detail : "");
}

static void print_gantt(const struct timeline *tl)
{
        int cols = terminal_columns(), lw = 4, w;
        double span = tl->t1 - tl->t0, step, on_path = 0;
        char *axis, *ruler, *row, label[160];
        int last_end = -1;

        if (span < 0.001)
                span = 0.001;
        for (size_t i = 0; i < tl->n; i++) {
                bar_label(&tl->bars[i], label, sizeof label);
                if ((int) strlen(label) > lw)
                        lw = strlen(label) > 28 ? 28 : (int) strlen(label);
        }
        w = cols - lw - 2 - 26;
        if (w < 20)
                w = 20;
        step = nice_step(span, w);
        axis = xcalloc((size_t) w + 32, 1);
        ruler = xcalloc((size_t) w + 2, 1);
        row = xcalloc((size_t) w + 2, 1);
        memset(axis, ' ', (size_t) w + 30);
        memset(ruler, '-', (size_t) w);
        for (int k = 0; k * step <= span * (1 + 1e-9); k++) {
                int c = (int) (k * step / span * (w - 1) + 0.5);
                char tick[32];
                size_t len;
                ruler[c] = '+';
                tick_label(k * step, tick, sizeof tick);
                len = strlen(tick);
                if (c > last_end && c + (int) len <= w + 30) {
                        memcpy(axis + c, tick, len);
                        last_end = c + (int) len;
                }
        }
        for (int i = w + 29; i >= 0 && axis[i] == ' '; i--)
                axis[i] = 0;
        printf("timeline (%s; # critical path, = other steps, X failed, ! refused, > never ended):\n",
               span < 60 ? "seconds from the start" : "from the start");
        printf("%-*s  %s\n%-*s  %s\n", lw, "", axis, lw, "", ruler);
        for (size_t i = 0; i < tl->n; i++) {
                const struct bar *b = &tl->bars[i];
                int c0 = (int) ((b->start - tl->t0) / span * (w - 1) + 0.5);
                int c1 = (int) ((b->end - tl->t0) / span * (w - 1) + 0.5);
                char dur[32];
                c0 = c0 < 0 ? 0 : c0 > w - 1 ? w - 1 : c0;
                c1 = c1 < c0 ? c0 : c1 > w - 1 ? w - 1 : c1;
                memset(row, ' ', (size_t) w);
                row[w] = 0;
                memset(row + c0, b->critical ? '#' : '=', (size_t) (c1 - c0 + 1));
                if (b->mark)
                        row[c1] = b->mark;
                for (int k = w - 1; k >= 0 && row[k] == ' '; k--)
                        row[k] = 0;
                bar_label(b, label, sizeof label);
                fmt_duration(b->end - b->start, dur, sizeof dur);
                printf("%-*.*s  %-*s  %8s %s\n", lw, lw, label, w, row, dur, b->outcome);
        }
        if (tl->n_path) {
                char total[32], sum[32];
                printf("critical path:");
                for (size_t i = 0; i < tl->n_path; i++) {
                        const struct bar *b = &tl->bars[tl->path[i]];
                        bar_label(b, label, sizeof label);
                        printf("%s%s", i ? " > " : " ", label);
                        on_path += b->end - b->start;
                }
                fmt_duration(on_path, sum, sizeof sum);
                fmt_duration(tl->t1 - tl->t0, total, sizeof total);
                printf(" (its steps took %s of the run's %s)\n", sum, total);
        }
        free(axis);
        free(ruler);
        free(row);
}

static void print_run(const struct run *r, const struct timeline *tl, const struct history *h)
{
        char start[64], end[64], dur[32], res[64];

        fmt_local(r->start, true, start, sizeof start);
        fmt_local(r->end, true, end, sizeof end);
        fmt_duration(tl->t1 - r->start, dur, sizeof dur);
        printf("run %u of %zu: %s on %s (pid %ld, %s:%u)\n", r->index, h->n, r->mode, r->host ? r->host : "?", r->pid,
               r->file, r->line);
        printf("  started  %s\n", start);
        if (r->ended)
                printf("  ended    %s, after %s\n", end, dur);
        else if (r->running)
                printf("  running  for %s so far\n", dur);
        else
                printf("  ended    never: the last event was at %s (%s after the start); the node may be half-way\n",
                       end, dur);
        printf("  result   %s", run_result(r, res, sizeof res));
        if (r->failed_step)
                printf("; %s failed%s%s", r->failed_step, r->failed_reason ? ": " : "",
                       r->failed_reason ? r->failed_reason : "");
        if (r->hangup)
                printf("; the terminal was lost and the run went on");
        printf("\n\n");
        printf("  %-12s  %9s  %-20s  %s\n", "TIME", "+ELAPSED", "STEP", "EVENT");
        for (size_t k = 0; k < r->n_ev; k++) {
                const struct event *e = &r->ev[k];
                char when[64], off[32], what[4300];
                fmt_local(e->t, true, when, sizeof when);
                fmt_duration(e->t - r->start, off, sizeof off);
                describe_event(r, tl, k, what, sizeof what);
                printf("  %-12s  %9s  %-20s  %s\n", when + 11, off, e->step ? e->step : "", what);
        }
        if (!r->ended && !r->running)
                printf("  %-12s  %9s  %-20s  %s\n", "", "", "",
                       "(no run-end: interrupted; run `xhafw status`, then "
                       "activate or deactivate to converge)");
        printf("\n");
        if (tl->n)
                print_gantt(tl);
        else
                printf("no step was applied or reverted in this run (every step was already where it had to be)\n");
}

/* ---- SVG ---- */

/* Text for XML: markup escaped, and nothing XML 1.0 forbids even escaped (control characters,
 * malformed UTF-8, U+FFFE/U+FFFF): a plugin's failure reason can hold anything. */
static void xml_text(FILE *f, const char *s)
{
        const unsigned char *p = (const unsigned char *) (s ? s : "");
        while (*p) {
                unsigned char c = *p;
                size_t len = 0;
                if (c == '&')
                        fputs("&amp;", f);
                else if (c == '<')
                        fputs("&lt;", f);
                else if (c == '>')
                        fputs("&gt;", f);
                else if (c == '"')
                        fputs("&quot;", f);
                else if (c == '\'')
                        fputs("&apos;", f);
                else if (c < 0x20)
                        fputc(c == '\t' || c == '\n' || c == '\r' ? ' ' : '?', f);
                else if (c < 0x80)
                        fputc(c, f);
                else {
                        unsigned char lo = 0x80, hi = 0xbf;
                        if (c >= 0xc2 && c <= 0xdf)
                                len = 2;
                        else if (c >= 0xe0 && c <= 0xef) {
                                len = 3;
                                lo = c == 0xe0 ? 0xa0 : 0x80;
                                hi = c == 0xed ? 0x9f : 0xbf;
                        } else if (c >= 0xf0 && c <= 0xf4) {
                                len = 4;
                                lo = c == 0xf0 ? 0x90 : 0x80;
                                hi = c == 0xf4 ? 0x8f : 0xbf;
                        }
                        for (size_t i = 1; i < len; i++)
                                if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xbf))
                                        len = 0;
                        if (len == 3 && c == 0xef && p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf))
                                len = 0;
                        if (len) {
                                fwrite(p, 1, len, f);
                                p += len;
                                continue;
                        }
                        fputc('?', f);
                }
                p++;
        }
}

/* The report's layout, in pixels: the step names on the left, the bars, each bar's duration and
 * outcome on the right. */
enum {
        SVG_WIDTH = 1100,
        SVG_ROW_H = 22,
        SVG_TOP = 78,
        SVG_LABEL_W = 200,
        SVG_ANNEX_W = 230,
        SVG_CHART_X = 10 + SVG_LABEL_W,
        SVG_CHART_W = SVG_WIDTH - SVG_CHART_X - SVG_ANNEX_W
};

/* The prolog, the title, the style sheet and the heading: what ran where, and how it ended. */
static void svg_heading(FILE *f, const struct run *r, const struct timeline *tl, int height)
{
        char start[64], dur[32], res[64];

        fmt_local(r->start, true, start, sizeof start);
        fmt_duration(tl->t1 - tl->t0, dur, sizeof dur);
        fprintf(f,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                "font-family=\"sans-serif\" font-size=\"12\">\n",
                SVG_WIDTH, height, SVG_WIDTH, height);
        fprintf(f, "<title>xhafw %s on ", r->mode);
        xml_text(f, r->host ? r->host : "?");
        fprintf(f, ", %s</title>\n", start);
        fputs("<style>\n"
              ".bar{fill:#4c78a8}.rollback{fill:#9aa5b1}.critical{fill:#d9480f}\n"
              ".failed{stroke:#7a0000;stroke-width:2}.grid{stroke:#dddddd}.axis{fill:#555555;font-size:11px}\n"
              ".bad{fill:#b00020;font-weight:bold}.zebra{fill:#f6f6f6}\n"
              "</style>\n"
              "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n",
              f);
        fprintf(f, "<text x=\"10\" y=\"22\" font-size=\"16\" font-weight=\"bold\">xhafw %s on ", r->mode);
        xml_text(f, r->host ? r->host : "?");
        fprintf(f, "</text>\n<text x=\"10\" y=\"42\">started %s, %s%s, result: ", start, dur,
                r->ended ? "" : " (no end)");
        xml_text(f, run_result(r, res, sizeof res));
        if (r->failed_step) {
                fputs("; failed: ", f);
                xml_text(f, r->failed_step);
                if (r->failed_reason) {
                        fputs(": ", f);
                        xml_text(f, r->failed_reason);
                }
        }
        fputs("</text>\n", f);
}

/* Every other row shaded, and the time axis: a grid line and a label per tick. */
static void svg_axes(FILE *f, const struct timeline *tl, double span)
{
        double step = nice_step(span, SVG_CHART_W / 8);

        for (size_t i = 1; i < tl->n; i += 2)
                fprintf(f, "<rect class=\"zebra\" x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\"/>\n",
                        SVG_TOP + (int) i * SVG_ROW_H, SVG_WIDTH, SVG_ROW_H);
        for (int k = 0; k * step <= span * (1 + 1e-9); k++) {
                double x = SVG_CHART_X + k * step / span * SVG_CHART_W;
                char tick[32];
                tick_label(k * step, tick, sizeof tick);
                fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n", x, SVG_TOP - 8, x,
                        SVG_TOP + (int) tl->n * SVG_ROW_H);
                fprintf(f, "<text class=\"axis\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", x,
                        SVG_TOP - 12, tick);
        }
}

/* One row per bar: the step's name, the bar with its details as a tooltip, duration and outcome. */
static void svg_bars(FILE *f, const struct timeline *tl, double span)
{
        for (size_t i = 0; i < tl->n; i++) {
                const struct bar *b = &tl->bars[i];
                int y = SVG_TOP + (int) i * SVG_ROW_H;
                double x0 = SVG_CHART_X + (b->start - tl->t0) / span * SVG_CHART_W;
                double bw = (b->end - b->start) / span * SVG_CHART_W;
                char label[160], bd[32];
                if (bw < 2)
                        bw = 2;
                if (x0 + bw > SVG_CHART_X + SVG_CHART_W + 2)
                        bw = SVG_CHART_X + SVG_CHART_W + 2 - x0;
                bar_label(b, label, sizeof label);
                fmt_duration(b->end - b->start, bd, sizeof bd);
                fprintf(f, "<text x=\"10\" y=\"%d\">", y + 15);
                xml_text(f, label);
                fprintf(f,
                        "</text>\n<rect class=\"%s%s\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" rx=\"2\">"
                        "<title>",
                        b->critical             ? "critical" :
                        b->kind == BAR_ROLLBACK ? "rollback" :
                                                  "bar",
                        b->mark == 'X' || b->mark == '!' ? " failed" : "", x0, y + 4, bw, SVG_ROW_H - 8);
                xml_text(f, label);
                fprintf(f, ": %s: %s after %s", kind_name(b->kind), b->outcome, bd);
                if (b->reason) {
                        fputs(": ", f);
                        xml_text(f, b->reason);
                }
                fprintf(f, "</title></rect>\n<text x=\"%d\" y=\"%d\"%s>%s ", SVG_CHART_X + SVG_CHART_W + 10, y + 15,
                        b->mark ? " class=\"bad\"" : "", bd);
                xml_text(f, b->outcome);
                fputs("</text>\n", f);
        }
}

/* Under the bars: what the colours mean, and the critical path with the time its steps took. */
static void svg_legend(FILE *f, const struct timeline *tl)
{
        int y = SVG_TOP + (int) tl->n * SVG_ROW_H + 24;
        double on_path = 0;
        char label[160], dur[32];

        fprintf(f,
                "<rect class=\"critical\" x=\"10\" y=\"%d\" width=\"14\" height=\"10\"/>"
                "<text x=\"30\" y=\"%d\">critical path</text>\n",
                y - 9, y);
        fprintf(f,
                "<rect class=\"bar\" x=\"130\" y=\"%d\" width=\"14\" height=\"10\"/>"
                "<text x=\"150\" y=\"%d\">other steps</text>\n",
                y - 9, y);
        fprintf(f,
                "<rect class=\"rollback\" x=\"250\" y=\"%d\" width=\"14\" height=\"10\"/>"
                "<text x=\"270\" y=\"%d\">rollback</text>\n",
                y - 9, y);
        fprintf(f,
                "<rect class=\"bar failed\" x=\"350\" y=\"%d\" width=\"14\" height=\"10\"/>"
                "<text x=\"370\" y=\"%d\">failed or refused</text>\n",
                y - 9, y);
        fprintf(f, "<text x=\"10\" y=\"%d\">critical path:", y + 22);
        for (size_t i = 0; i < tl->n_path; i++) {
                const struct bar *b = &tl->bars[tl->path[i]];
                bar_label(b, label, sizeof label);
                fputs(i ? " &gt; " : " ", f);
                xml_text(f, label);
                on_path += b->end - b->start;
        }
        fmt_duration(on_path, label, sizeof label);
        fmt_duration(tl->t1 - tl->t0, dur, sizeof dur);
        fprintf(f, " (its steps took %s of %s)</text>\n", label, dur);
}

/* The timeline as an SVG report, built in memory and written to path atomically. */
static int write_svg(const struct run *r, const struct timeline *tl, const char *path)
{
        int height = SVG_TOP + (int) tl->n * SVG_ROW_H + 70;
        double span = tl->t1 - tl->t0;
        char *buf = NULL;
        size_t n = 0;
        mode_t um;
        FILE *f = open_memstream(&buf, &n);
        int rc;

        if (!f)
                return -errno;
        if (span < 0.001)
                span = 0.001;
        svg_heading(f, r, tl, height);
        svg_axes(f, tl, span);
        svg_bars(f, tl, span);
        svg_legend(f, tl);
        fputs("</svg>\n", f);
        if (fclose(f) != 0) {
                free(buf);
                return -ENOMEM;
        }
        um = umask(0);
        umask(um);
        rc = write_file_atomic(path, buf, n, 0666 & ~(int) um);
        free(buf);
        return rc;
}

/* ---- JSON ---- */

/* Seconds to the millisecond the journal has, printed as such (not 0.50500011444091797). */
static struct json_object *jseconds(double v)
{
        char text[64];
        snprintf(text, sizeof text, "%.3f", v);
        return json_object_new_double_s(strtod(text, NULL), text);
}

static struct json_object *jstr_or_null(const char *s)
{
        return s ? json_object_new_string(s) : NULL;
}

static struct json_object *run_json(const struct run *r)
{
        struct json_object *o = json_object_new_object();
        char t[64];

        json_object_object_add(o, "run", json_object_new_int((int) r->index));
        json_object_object_add(o, "start", json_object_new_string(r->ev[0].time));
        fmt_iso_utc(r->end, t, sizeof t);
        json_object_object_add(o, "end", r->ended ? json_object_new_string(t) : NULL);
        json_object_object_add(o, "last_event", json_object_new_string(r->ev[r->n_ev - 1].time));
        json_object_object_add(o, "command", json_object_new_string(r->mode));
        json_object_object_add(o, "host", jstr_or_null(r->host));
        json_object_object_add(o, "pid", json_object_new_int64(r->pid));
        json_object_object_add(o, "ended", json_object_new_boolean(r->ended));
        json_object_object_add(o, "running", json_object_new_boolean(r->running));
        json_object_object_add(o, "interrupted", json_object_new_boolean(!r->ended && !r->running));
        json_object_object_add(o, "exit", r->ended && r->exit_code >= 0 ? json_object_new_int(r->exit_code) : NULL);
        json_object_object_add(o, "result", json_object_new_string(run_result_word(r)));
        json_object_object_add(o, "rolled_back", json_object_new_boolean(r->rolled_back));
        json_object_object_add(o, "hangup", json_object_new_boolean(r->hangup));
        json_object_object_add(o, "seconds", jseconds((r->running ? timespec_now() : r->end) - r->start));
        json_object_object_add(o, "failed_step", jstr_or_null(r->failed_step));
        json_object_object_add(o, "failed_reason", jstr_or_null(r->failed_reason));
        json_object_object_add(o, "file", json_object_new_string(r->file));
        json_object_object_add(o, "line", json_object_new_int((int) r->line));
        return o;
}

static void run_detail_json(struct json_object *o, const struct run *r, const struct timeline *tl)
{
        struct json_object *events = json_object_new_array(), *steps = json_object_new_array(),
                           *path = json_object_new_array();
        for (size_t k = 0; k < r->n_ev; k++) {
                const struct event *e = &r->ev[k];
                struct json_object *x = json_object_new_object();
                json_object_object_add(x, "time", json_object_new_string(e->time));
                json_object_object_add(x, "offset", jseconds(e->t - r->start));
                json_object_object_add(x, "event", json_object_new_string(e->event));
                if (e->step)
                        json_object_object_add(x, "step", json_object_new_string(e->step));
                if (e->detail)
                        json_object_object_add(x, "detail", json_object_new_string(e->detail));
                json_object_array_add(events, x);
        }
        for (size_t i = 0; i < tl->n; i++) {
                const struct bar *b = &tl->bars[i];
                struct json_object *x = json_object_new_object();
                json_object_object_add(x, "step", json_object_new_string(b->step));
                json_object_object_add(x, "action", json_object_new_string(kind_name(b->kind)));
                json_object_object_add(x, "offset", jseconds(b->start - tl->t0));
                json_object_object_add(x, "seconds", jseconds(b->end - b->start));
                json_object_object_add(x, "outcome", json_object_new_string(b->outcome));
                if (b->reason)
                        json_object_object_add(x, "reason", json_object_new_string(b->reason));
                json_object_object_add(x, "critical_path", json_object_new_boolean(b->critical));
                json_object_array_add(steps, x);
        }
        for (size_t i = 0; i < tl->n_path; i++) {
                const struct bar *b = &tl->bars[tl->path[i]];
                struct json_object *x = json_object_new_object();
                json_object_object_add(x, "step", json_object_new_string(b->step));
                json_object_object_add(x, "action", json_object_new_string(kind_name(b->kind)));
                json_object_array_add(path, x);
        }
        json_object_object_add(o, "events", events);
        json_object_object_add(o, "steps", steps);
        json_object_object_add(o, "critical_path", path);
}

/* ---- the command ---- */

/* RUN: its number as listed (1: the latest) or its start time, to the precision given. */
static ssize_t find_run(const struct history *h, const char *arg)
{
        double t, prec;
        long long k;
        size_t found = 0, which = 0;

        if (parse_int(arg, &k) == 0) {
                if (k < 1 || (size_t) k > h->n) {
                        log_error("no run %s: the journal holds %zu run%s, numbered 1 (the latest) to %zu", arg, h->n,
                                  h->n == 1 ? "" : "s", h->n);
                        return -1;
                }
                return (ssize_t) (h->n - (size_t) k);
        }
        if (parse_when(arg, &t, &prec) < 0) {
                log_error("run '%s': expected its number as `xhafw history` lists it (1: the latest) or its start "
                          "time, such as 2026-12-01T14:30:05",
                          arg);
                return -1;
        }
        for (size_t i = 0; i < h->n; i++)
                if (h->runs[i].start >= t - 1e-4 && h->runs[i].start < t + prec - 1e-4) {
                        found++;
                        which = i;
                }
        if (found == 1)
                return (ssize_t) which;
        if (found == 0)
                log_error("no run started at %s (local time; Z for UTC): `xhafw history` lists the runs", arg);
        else
                log_error("%zu runs started at %s: give the time more precisely, or the run's number", found, arg);
        return -1;
}

/* Only state_dir matters here: steps still to be filled in do not keep the history from being
 * read, so the loader's messages are not shown. */
static void discard(void *ctx, int priority, const char *message)
{
        (void) ctx, (void) priority, (void) message;
}

static void load_settings(const struct global_options *g, struct config *cfg)
{
        struct overrides ov = commands_overrides(g);

        ov.lenient_plugins = true;
        ov.sink = discard;
        config_load(cfg, &ov);
}

/* What `xhafw history` was asked for. */
struct history_args {
        const char *since_arg; /* NULL: no --since */
        double since;
        const char *svg; /* NULL: no --svg */
        char *run_arg;   /* NULL: no RUN */
};

#define HISTORY_GO_ON (-1) /* parse_history_args: the arguments are good, go on */

/* The options and RUN. Returns HISTORY_GO_ON, or the exit code when the command ends here (--help,
 * a usage error, said on stderr with the usage). */
static int parse_history_args(struct global_options *g, int argc, char **argv, struct history_args *a)
{
        enum {
                OPT_SINCE = 256,
                OPT_SVG,
                OPT_JSON
        };
        static const struct option opts[] = {
                { "since", required_argument, NULL, OPT_SINCE },
                { "svg", required_argument, NULL, OPT_SVG },
                { "json", no_argument, NULL, OPT_JSON },
                { "help", no_argument, NULL, 'h' },
                { "verbose", no_argument, NULL, 'v' },
                { "quiet", no_argument, NULL, 'q' },
                { 0 },
        };
        double day;
        int c;

        *a = (struct history_args){ 0 };
        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "hvq", opts, NULL)) != -1) {
                switch (c) {
                case OPT_SINCE: a->since_arg = optarg; break;
                case OPT_SVG:
                        if (!*optarg || optarg[0] == '-') {
                                /* `--svg --json`: the next option is no file name (./-x is one) */
                                log_error("--svg needs a file name");
                                fputs(usage_history, stderr);
                                return XHAFW_EXIT_CONFIG;
                        }
                        a->svg = optarg;
                        break;
                case OPT_JSON: g->json = true; break;
                case 'q':
                        g->quiet = true;
                        log_max_priority = LOG_ERR;
                        break;
                case 'v': log_max_priority = log_max_priority >= LOG_INFO ? LOG_DEBUG : LOG_INFO; break;
                case 'h':
                        if (g->json)
                                json_usage(usage_history);
                        else
                                fputs(usage_history, stdout);
                        return XHAFW_EXIT_OK;
                default:
                        log_error("history %s: unknown option or missing argument", argv[optind - 1]);
                        fputs(usage_history, stderr);
                        return XHAFW_EXIT_CONFIG;
                }
        }
        /* A start time copied from the listing is two words: its date and its time. */
        if (argc - optind == 2 && strlen(argv[optind]) == 10 && parse_when(argv[optind], &day, NULL) == 0)
                a->run_arg = xasprintf("%s %s", argv[optind], argv[optind + 1]);
        else if (argc - optind == 1)
                a->run_arg = strdup_or_die(argv[optind]);
        else if (argc - optind > 1) {
                log_error("history: unexpected argument '%s' (one RUN at most)", argv[optind + 1]);
                fputs(usage_history, stderr);
                return XHAFW_EXIT_CONFIG;
        }
        if (a->since_arg && parse_since(a->since_arg, &a->since) < 0) {
                log_error("--since '%s': expected a date and time (2026-12-01, 2026-12-01T14:30, 14:30; Z for UTC), "
                          "a duration ago (30m, 2h, 7d) or today or yesterday",
                          a->since_arg);
                free(a->run_arg);
                a->run_arg = NULL;
                fputs(usage_history, stderr);
                return XHAFW_EXIT_CONFIG;
        }
        return HISTORY_GO_ON;
}

static bool is_since(const struct history_args *a, const struct run *r)
{
        return !a->since_arg || r->start >= a->since;
}

/* The run to show in detail: RUN, or with --svg alone the latest run (since T); -1 (the list)
 * without either. Returns the exit code, XHAFW_EXIT_OK or the error said. */
static int select_run(const struct history *h, const struct history_args *a, const char *state_dir, ssize_t *ret_sel)
{
        *ret_sel = -1;
        if (a->run_arg) {
                *ret_sel = find_run(h, a->run_arg);
                return *ret_sel < 0 ? XHAFW_EXIT_CONFIG : XHAFW_EXIT_OK;
        }
        if (!a->svg)
                return XHAFW_EXIT_OK;
        for (size_t i = h->n; i-- > 0;)
                if (is_since(a, &h->runs[i])) {
                        *ret_sel = (ssize_t) i;
                        return XHAFW_EXIT_OK;
                }
        log_error("--svg: no run%s in the journal of %s to draw", a->since_arg ? " since then" : "", state_dir);
        return XHAFW_EXIT_FAILED;
}

/* The list of runs (since T), as JSON or as text. */
static void show_list(const struct global_options *g, const struct history *h, const struct history_args *a,
                      const char *state_dir)
{
        if (g->json) {
                struct json_object *o = json_object_new_object(), *runs = json_object_new_array();
                for (size_t i = 0; i < h->n; i++)
                        if (is_since(a, &h->runs[i]))
                                json_object_array_add(runs, run_json(&h->runs[i]));
                json_object_object_add(o, "command", json_object_new_string("history"));
                json_object_object_add(o, "state_dir", json_object_new_string(state_dir));
                json_object_object_add(o, "runs", runs);
                json_object_object_add(o, "damaged_lines", json_object_new_int((int) h->n_bad));
                json_print(o);
        } else if (h->n == 0 && h->n_files == 0)
                printf("no run recorded: %s/journal does not exist yet (activate and deactivate write it)\n",
                       state_dir);
        else
                print_list(h, a->since, a->since_arg != NULL);
}

/* One run in detail: its timeline to --svg's file, then the run as JSON or as text (with --svg
 * alone, a line saying where the timeline went). r is the exit code so far; returns it, or
 * XHAFW_EXIT_FAILED when the file cannot be written. */
static int show_run(const struct global_options *g, const struct history *h, const struct run *run,
                    const struct history_args *a, const char *state_dir, int r)
{
        struct timeline tl;

        timeline_build(run, &tl);
        if (a->svg) {
                int e = write_svg(run, &tl, a->svg);
                if (e < 0) {
                        log_error("cannot write the timeline to %s: %s", a->svg, strerror(-e));
                        r = XHAFW_EXIT_FAILED;
                } else if (!g->json)
                        log_info("the timeline of run %u is in %s", run->index, a->svg);
        }
        if (g->json) {
                struct json_object *o = json_object_new_object(), *x = run_json(run);
                run_detail_json(x, run, &tl);
                json_object_object_add(o, "command", json_object_new_string("history"));
                json_object_object_add(o, "state_dir", json_object_new_string(state_dir));
                json_object_object_add(o, "run", x);
                if (a->svg && r == XHAFW_EXIT_OK)
                        json_object_object_add(o, "svg", json_object_new_string(a->svg));
                json_object_object_add(o, "damaged_lines", json_object_new_int((int) h->n_bad));
                json_print(o);
        } else if (!a->svg || a->run_arg)
                print_run(run, &tl, h);
        else if (r == XHAFW_EXIT_OK)
                printf("timeline of run %u (%s on %s) written to %s\n", run->index, run->mode,
                       run->host ? run->host : "?", a->svg);
        timeline_free(&tl);
        return r;
}

int cmd_history(struct global_options *g, int argc, char **argv)
{
        struct history_args a;
        struct history h;
        struct config cfg;
        ssize_t sel;
        int e, r = parse_history_args(g, argc, argv, &a);

        if (r != HISTORY_GO_ON)
                return r;
        r = XHAFW_EXIT_OK;
        load_settings(g, &cfg);
        if (history_read(&h, &cfg.settings) < 0) {
                r = XHAFW_EXIT_FAILED;
                if (!h.n)
                        goto out; /* the error says why: no "no run recorded" */
        }
        e = select_run(&h, &a, cfg.settings.state_dir, &sel);
        if (e != XHAFW_EXIT_OK)
                r = e;
        else if (sel < 0)
                show_list(g, &h, &a, cfg.settings.state_dir);
        else
                r = show_run(g, &h, &h.runs[sel], &a, cfg.settings.state_dir, r);
out:
        history_free(&h);
        config_free(&cfg);
        free(a.run_arg);
        return r;
}
