/* A host API for a plugin's unit tests, in place of the xhafw binary's: see hostapi-mock.h. */
#include <arpa/inet.h>
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "hostapi-mock.h"

/* The core's bound on background work (XHAFW_MAX_BACKGROUND_MS in core/): 10 min. */
#define MOCK_MAX_BACKGROUND_MS (10u * 60 * 1000)
#define MOCK_MAX_LOG_LINE 4096

struct mock_opt {
        const struct xhafw_option *schema;
        char *value;  /* NULL: unset */
        char **items; /* split on first use by xhafw_opt_list */
        size_t n_items;
};

struct mock_pair {
        char *key, *value;
};

struct mock_fail {
        char *path;
        int err;
};

struct mock_bg {
        char *what;
        uint64_t max_ms;
};

/* A growing array: items, how many, room for how many. */
#define ARRAY(type) \
        struct { \
                type *v; \
                size_t n, cap; \
        }

struct xhafw_step {
        char *name;
        const struct xhafw_plugin *plugin;
        char *dir;
        struct mock_opt *opts;
        size_t n_opts;
        bool dry_run, force, node_active;
        char *service_manager;

        const struct mock_command *commands;
        bool *used;
        int (*handler)(struct xhafw_step *step, const char *const argv[], char **ret_output, void *arg);
        void *handler_arg;

        ARRAY(struct mock_run) runs;
        ARRAY(struct mock_file) files;
        ARRAY(struct mock_fail) fails;
        ARRAY(struct mock_log) logs;
        ARRAY(struct mock_report) reports;
        ARRAY(struct mock_pair) facts;
        ARRAY(struct mock_pair) state;
        ARRAY(struct mock_bg) background;
        ARRAY(char *) hangs;
        ARRAY(char *) paths; /* what mock_path() handed out */
        int state_err;
        char *log_text;
};

static uint64_t mock_clock = 1000000;

/* ---- small helpers ---- */

static void *xrealloc(void *p, size_t n, size_t size)
{
        void *r = realloc(p, n * size);
        if (!r)
                ck_abort_msg("mock: out of memory");
        return r;
}

static char *xstrdup(const char *s)
{
        char *r = strdup(s ? s : "");
        if (!r)
                ck_abort_msg("mock: out of memory");
        return r;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
        char *r = NULL;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vasprintf(&r, fmt, ap);
        va_end(ap);
        if (n < 0)
                ck_abort_msg("mock: out of memory");
        return r;
}

/* The next free slot of an ARRAY, zeroed. */
#define PUSH(a) ((a).v = grow((a).v, &(a).n, &(a).cap, sizeof *(a).v), &(a).v[(a).n - 1])
static void *grow(void *v, size_t *n, size_t *cap, size_t size)
{
        if (*n == *cap) {
                *cap = *cap ? *cap * 2 : 8;
                v = xrealloc(v, *cap, size);
        }
        memset((char *) v + *n * size, 0, size);
        (*n)++;
        return v;
}

/* S with every "@TMP@" replaced by DIR. */
static char *expand(const char *s, const char *dir)
{
        static const char tmp[] = "@TMP@";
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        const char *p = s, *at;

        if (!f)
                ck_abort_msg("mock: out of memory");
        while ((at = strstr(p, tmp))) {
                fwrite(p, 1, (size_t) (at - p), f);
                fputs(dir, f);
                p = at + sizeof tmp - 1;
        }
        fputs(p, f);
        if (fclose(f) != 0 || !buf)
                ck_abort_msg("mock: out of memory");
        return buf;
}

static char *join_argv(const char *const argv[])
{
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                ck_abort_msg("mock: out of memory");
        for (size_t i = 0; argv[i]; i++)
                fprintf(f, "%s%s", i ? " " : "", argv[i]);
        if (fclose(f) != 0 || !buf)
                ck_abort_msg("mock: out of memory");
        return buf;
}

static void strv_free(char **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

/* Comma-separated items, trimmed, empty ones dropped: what the core's split_list gives. */
static size_t split(const char *s, char ***ret)
{
        char **v = xrealloc(NULL, strlen(s) + 2, sizeof *v);
        size_t n = 0;

        for (const char *p = s;;) {
                size_t len = strcspn(p, ",");
                const char *b = p, *e = p + len;
                while (b < e && (*b == ' ' || *b == '\t'))
                        b++;
                while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
                        e--;
                if (e > b) {
                        v[n] = strndup(b, (size_t) (e - b));
                        if (!v[n++])
                                ck_abort_msg("mock: out of memory");
                }
                if (!p[len])
                        break;
                p += len + 1;
        }
        v[n] = NULL;
        *ret = v;
        return n;
}

/* ---- option values, typed as the configuration loader types them ---- */

static bool parse_ll(const char *s, long long *ret)
{
        char *end;

        if (!s || !*s || *s == ' ' || *s == '\t')
                return false;
        errno = 0;
        *ret = strtoll(s, &end, 10);
        return !errno && !*end;
}

static bool parse_boolean(const char *s, bool *ret)
{
        static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };

        for (size_t i = 0; s && i < 4; i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return true;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return true;
                }
        }
        return false;
}

static bool parse_ms(const char *s, uint64_t *ret)
{
        static const struct {
                const char *suffix;
                uint64_t ms;
        } units[] = {
                { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "", 1000 },
        };
        uint64_t v = 0;
        const char *p = s;

        if (!s || *p < '0' || *p > '9')
                return false;
        for (; *p >= '0' && *p <= '9'; p++) {
                if (v > UINT64_MAX / 10 - 10)
                        return false;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
                if (strcmp(p, units[i].suffix) == 0 && v <= UINT64_MAX / units[i].ms / 2) {
                        *ret = v * units[i].ms;
                        return true;
                }
        return false;
}

static bool address_ok(const char *s)
{
        char buf[INET6_ADDRSTRLEN + 8];
        unsigned char bin[16];
        const char *slash = strchr(s, '/');
        bool v6 = strchr(s, ':') != NULL;
        long long prefix;

        if (strlen(s) >= sizeof buf)
                return false;
        snprintf(buf, sizeof buf, "%.*s", slash ? (int) (slash - s) : (int) strlen(s), s);
        if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, bin) != 1)
                return false;
        return !slash || (parse_ll(slash + 1, &prefix) && prefix >= 0 && prefix <= (v6 ? 128 : 32));
}

/* NULL when the loader takes V for an option of type T, else what it expects. */
static const char *type_problem(enum xhafw_option_type t, const char *v)
{
        long long n;
        bool b;
        uint64_t ms;
        char **items;
        size_t k, commas = 0;
        const char *problem = NULL;

        switch (t) {
        case XHAFW_OPT_STRING: return NULL;
        case XHAFW_OPT_INT: return parse_ll(v, &n) ? NULL : "an integer";
        case XHAFW_OPT_BOOL: return parse_boolean(v, &b) ? NULL : "yes or no";
        case XHAFW_OPT_PATH: return v[0] == '/' ? NULL : "an absolute path";
        case XHAFW_OPT_ADDRESS: return address_ok(v) ? NULL : "an IPv4 or IPv6 address, optionally with /prefix";
        case XHAFW_OPT_INTERFACE:
                if (strlen(v) >= 16 || strcmp(v, ".") == 0 || strcmp(v, "..") == 0)
                        return "a network interface name";
                for (const char *p = v; *p; p++)
                        if (*p == '/' || isspace((unsigned char) *p) || !isprint((unsigned char) *p))
                                return "a network interface name";
                return NULL;
        case XHAFW_OPT_DURATION: return parse_ms(v, &ms) ? NULL : "a duration such as 500ms, 30s or 2m";
        case XHAFW_OPT_LIST:
        case XHAFW_OPT_ARGV:
                k = split(v, &items);
                for (const char *p = v; *p; p++)
                        commas += *p == ',';
                if (k != commas + 1 && v[strspn(v, " \t")])
                        problem = "items separated by single commas, with no empty item";
                for (size_t i = 0; i < k && !problem && t == XHAFW_OPT_LIST; i++)
                        if (strpbrk(items[i], " \t") || strchr("\"'", items[i][0]) ||
                            strchr("\"'", items[i][strlen(items[i]) - 1]))
                                problem = "items without blanks or quotes";
                strv_free(items, k);
                return problem;
        }
        return "a known type";
}

static struct mock_opt *opt_of(const struct xhafw_step *step, const char *name)
{
        for (size_t i = 0; name && i < step->n_opts; i++)
                if (strcmp(step->opts[i].schema->name, name) == 0)
                        return &step->opts[i];
        return NULL;
}

static void opt_set(struct xhafw_step *step, struct mock_opt *o, const char *value)
{
        const char *problem;
        char *v = NULL;

        free(o->value);
        strv_free(o->items, o->n_items);
        o->items = NULL;
        o->n_items = 0;
        o->value = NULL;
        if (value && *value)
                v = expand(value, step->dir);
        else if (o->schema->default_value)
                v = xstrdup(o->schema->default_value);
        if (!v)
                return;
        problem = type_problem(o->schema->type, v);
        if (problem)
                ck_abort_msg("mock: option %s = '%s' of plugin %s: the configuration loader expects %s",
                             o->schema->name, v, step->plugin->name, problem);
        o->value = v;
}

/* ---- the step ---- */

struct xhafw_step *mock_step_new(const struct xhafw_plugin *plugin, const char *name, const struct mock_option *opts)
{
        struct xhafw_step *step = calloc(1, sizeof *step);
        const char *tmpdir = getenv("TMPDIR");
        size_t n = 0;

        if (!step)
                ck_abort_msg("mock: out of memory");
        ck_assert_msg(plugin && plugin->abi == XHAFW_PLUGIN_ABI, "mock: not a plugin of ABI %d", XHAFW_PLUGIN_ABI);
        step->plugin = plugin;
        step->name = xstrdup(name ? name : plugin->name);
        step->service_manager = xstrdup("systemctl");
        step->dir = xasprintf("%s/xhafw-mock.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
        if (!mkdtemp(step->dir))
                ck_abort_msg("mock: cannot create a temporary directory %s: %s", step->dir, strerror(errno));
        while (plugin->options && plugin->options[n].name)
                n++;
        step->opts = calloc(n ? n : 1, sizeof *step->opts);
        if (!step->opts)
                ck_abort_msg("mock: out of memory");
        step->n_opts = n;
        for (size_t i = 0; i < n; i++)
                step->opts[i].schema = &plugin->options[i];
        for (size_t i = 0; opts && opts[i].name; i++)
                if (!opt_of(step, opts[i].name))
                        ck_abort_msg("mock: plugin %s has no option %s", plugin->name, opts[i].name);
        for (size_t i = 0; i < n; i++) {
                const char *v = NULL;
                for (size_t j = 0; opts && opts[j].name; j++)
                        if (strcmp(opts[j].name, step->opts[i].schema->name) == 0)
                                v = opts[j].value; /* the last one wins, as in a drop-in */
                opt_set(step, &step->opts[i], v);
                if (!step->opts[i].value && step->opts[i].schema->required)
                        ck_abort_msg("mock: required option %s of plugin %s is not set", step->opts[i].schema->name,
                                     plugin->name);
        }
        return step;
}

static void free_runs(struct xhafw_step *step)
{
        for (size_t i = 0; i < step->runs.n; i++)
                free(step->runs.v[i].argv);
        step->runs.n = 0;
}

static void free_files(struct xhafw_step *step)
{
        for (size_t i = 0; i < step->files.n; i++) {
                free(step->files.v[i].path);
                free(step->files.v[i].content);
        }
        step->files.n = 0;
}

static void free_pairs(struct mock_pair *v, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                free(v[i].key);
                free(v[i].value);
        }
}

void mock_clear(struct xhafw_step *step)
{
        free_runs(step);
        free_files(step);
        for (size_t i = 0; i < step->logs.n; i++)
                free(step->logs.v[i].text);
        step->logs.n = 0;
        for (size_t i = 0; i < step->reports.n; i++) {
                free(step->reports.v[i].check);
                free(step->reports.v[i].detail);
                free(step->reports.v[i].fix);
        }
        step->reports.n = 0;
        free_pairs(step->facts.v, step->facts.n);
        step->facts.n = 0;
        for (size_t i = 0; i < step->background.n; i++)
                free(step->background.v[i].what);
        step->background.n = 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void) st;
        (void) flag;
        (void) ftw;
        return remove(path) < 0 ? -1 : 0;
}

struct xhafw_step *mock_step_free(struct xhafw_step *step)
{
        if (!step)
                return NULL;
        mock_clear(step);
        free(step->runs.v);
        free(step->files.v);
        free(step->logs.v);
        free(step->reports.v);
        free(step->facts.v);
        free(step->background.v);
        for (size_t i = 0; i < step->fails.n; i++)
                free(step->fails.v[i].path);
        free(step->fails.v);
        free_pairs(step->state.v, step->state.n);
        free(step->state.v);
        strv_free(step->hangs.v, step->hangs.n);
        strv_free(step->paths.v, step->paths.n);
        for (size_t i = 0; i < step->n_opts; i++) {
                free(step->opts[i].value);
                strv_free(step->opts[i].items, step->opts[i].n_items);
        }
        free(step->opts);
        if (step->dir[0])
                (void) nftw(step->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
        free(step->dir);
        free(step->used);
        free(step->service_manager);
        free(step->log_text);
        free(step->name);
        free(step);
        return NULL;
}

const char *mock_dir(const struct xhafw_step *step)
{
        return step->dir;
}

/* NAME in the temporary directory ("@TMP@" in it is that directory); an absolute NAME must be in it. */
static char *in_dir(const struct xhafw_step *step, const char *name)
{
        size_t n = strlen(step->dir);
        char *path = expand(name, step->dir), *r;

        if (path[0] != '/') {
                r = xasprintf("%s/%s", step->dir, path);
                free(path);
                return r;
        }
        if (strncmp(path, step->dir, n) != 0 || path[n] != '/')
                ck_abort_msg("mock: %s is not in the test's directory %s", path, step->dir);
        return path;
}

const char *mock_path(struct xhafw_step *step, const char *name)
{
        char *p = in_dir(step, name);
        *PUSH(step->paths) = p;
        return p;
}

const char *mock_expand(struct xhafw_step *step, const char *text)
{
        char *p = expand(text, step->dir);
        *PUSH(step->paths) = p;
        return p;
}

static int write_text(const char *path, const char *content)
{
        char *tmp = xasprintf("%s.mock-new", path);
        FILE *f = fopen(tmp, "we");
        int r = 0;

        if (!f) {
                r = -errno;
                free(tmp);
                return r;
        }
        if (fputs(content, f) < 0)
                r = -EIO;
        if (fclose(f) != 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                (void) unlink(tmp);
        free(tmp);
        return r;
}

/* The file's text, or NULL when it does not exist. */
static char *read_text(const char *path)
{
        char *buf = NULL;
        size_t size = 0;
        FILE *in = fopen(path, "re"), *out;
        char chunk[4096];
        size_t k;

        if (!in)
                return NULL;
        out = open_memstream(&buf, &size);
        if (!out)
                ck_abort_msg("mock: out of memory");
        while ((k = fread(chunk, 1, sizeof chunk, in)) > 0)
                fwrite(chunk, 1, k, out);
        fclose(in);
        if (fclose(out) != 0 || !buf)
                ck_abort_msg("mock: out of memory");
        return buf;
}

void mock_write_file(struct xhafw_step *step, const char *name, const char *content)
{
        char *path = in_dir(step, name);
        int r = write_text(path, content);

        if (r < 0)
                ck_abort_msg("mock: cannot write %s: %s", path, strerror(-r));
        free(path);
}

char *mock_read_file(struct xhafw_step *step, const char *name)
{
        char *path = in_dir(step, name), *text = read_text(path);

        free(path);
        return text;
}

void mock_set_option(struct xhafw_step *step, const char *name, const char *value)
{
        struct mock_opt *o = opt_of(step, name);

        if (!o)
                ck_abort_msg("mock: plugin %s has no option %s", step->plugin->name, name);
        opt_set(step, o, value);
}

void mock_set_dry_run(struct xhafw_step *step, bool dry_run)
{
        step->dry_run = dry_run;
}

void mock_set_force(struct xhafw_step *step, bool force)
{
        step->force = force;
}

void mock_set_node_active(struct xhafw_step *step, bool active)
{
        step->node_active = active;
}

void mock_set_commands(struct xhafw_step *step, const struct mock_command *table)
{
        size_t n = 0;

        while (table && table[n].argv)
                n++;
        free(step->used);
        step->used = calloc(n + 1, sizeof *step->used);
        if (!step->used)
                ck_abort_msg("mock: out of memory");
        step->commands = table;
}

void mock_set_handler(struct xhafw_step *step,
                      int (*fn)(struct xhafw_step *step, const char *const argv[], char **ret_output, void *arg),
                      void *arg)
{
        step->handler = fn;
        step->handler_arg = arg;
}

void mock_set_service_manager(struct xhafw_step *step, const char *argv0)
{
        free(step->service_manager);
        step->service_manager = xstrdup(argv0);
}

size_t mock_runs(const struct xhafw_step *step, const struct mock_run **ret)
{
        *ret = step->runs.v;
        return step->runs.n;
}

size_t mock_ran(const struct xhafw_step *step, const char *argv)
{
        size_t n = 0;

        for (size_t i = 0; i < step->runs.n; i++)
                n += strcmp(step->runs.v[i].argv, argv) == 0;
        return n;
}

size_t mock_files(const struct xhafw_step *step, const struct mock_file **ret)
{
        *ret = step->files.v;
        return step->files.n;
}

void mock_file_fail(struct xhafw_step *step, const char *path, int err)
{
        struct mock_fail *f = PUSH(step->fails);
        f->path = in_dir(step, path);
        f->err = err;
}

static struct mock_pair *state_find(const struct xhafw_step *step, const char *key)
{
        for (size_t i = 0; key && i < step->state.n; i++)
                if (strcmp(step->state.v[i].key, key) == 0)
                        return &step->state.v[i];
        return NULL;
}

static void state_put(struct xhafw_step *step, const char *key, const char *value)
{
        struct mock_pair *p = state_find(step, key);

        if (!value) {
                if (p) {
                        free(p->key);
                        free(p->value);
                        *p = step->state.v[--step->state.n];
                }
                return;
        }
        if (!p) {
                p = PUSH(step->state);
                p->key = xstrdup(key);
        } else
                free(p->value);
        p->value = xstrdup(value);
}

const char *mock_state_get(const struct xhafw_step *step, const char *key)
{
        struct mock_pair *p = state_find(step, key);
        return p ? p->value : NULL;
}

void mock_state_set(struct xhafw_step *step, const char *key, const char *value)
{
        state_put(step, key, value);
}

size_t mock_state_count(const struct xhafw_step *step)
{
        return step->state.n;
}

void mock_state_fail(struct xhafw_step *step, int err)
{
        step->state_err = err;
}

size_t mock_logs(const struct xhafw_step *step, const struct mock_log **ret)
{
        *ret = step->logs.v;
        return step->logs.n;
}

static bool log_matches(const struct mock_log *l, int priority, const char *text)
{
        return (priority < 0 || l->priority == priority) && (!text || strstr(l->text, text));
}

const char *mock_log_find(const struct xhafw_step *step, int priority, const char *text)
{
        char *want = text ? expand(text, step->dir) : NULL;
        const char *found = NULL;

        for (size_t i = 0; i < step->logs.n && !found; i++)
                if (log_matches(&step->logs.v[i], priority, want))
                        found = step->logs.v[i].text;
        free(want);
        return found;
}

size_t mock_log_count(const struct xhafw_step *step, int priority, const char *text)
{
        char *want = text ? expand(text, step->dir) : NULL;
        size_t n = 0;

        for (size_t i = 0; i < step->logs.n; i++)
                n += log_matches(&step->logs.v[i], priority, want);
        free(want);
        return n;
}

const char *mock_log_text(struct xhafw_step *step)
{
        static const char *const names[] = { "emerg",  "alert", "crit",  "err",    "warning",
                                             "notice", "info",  "debug", "printed" };
        size_t size = 0;
        FILE *f;

        free(step->log_text);
        step->log_text = NULL;
        f = open_memstream(&step->log_text, &size);
        if (!f)
                ck_abort_msg("mock: out of memory");
        for (size_t i = 0; i < step->logs.n; i++)
                fprintf(f, "%s: %s\n", names[step->logs.v[i].priority], step->logs.v[i].text);
        if (fclose(f) != 0 || !step->log_text)
                ck_abort_msg("mock: out of memory");
        return step->log_text;
}

size_t mock_reports(const struct xhafw_step *step, const struct mock_report **ret)
{
        *ret = step->reports.v;
        return step->reports.n;
}

const struct mock_report *mock_report_find(const struct xhafw_step *step, const char *check)
{
        for (size_t i = step->reports.n; i-- > 0;)
                if (strcmp(step->reports.v[i].check, check) == 0)
                        return &step->reports.v[i];
        return NULL;
}

const char *mock_fact(const struct xhafw_step *step, const char *key)
{
        for (size_t i = step->facts.n; i-- > 0;)
                if (strcmp(step->facts.v[i].key, key) == 0)
                        return step->facts.v[i].value;
        return NULL;
}

void mock_clock_advance(uint64_t ms)
{
        mock_clock += ms;
}

void mock_stat_hang(struct xhafw_step *step, const char *path)
{
        *PUSH(step->hangs) = xstrdup(path);
}

size_t mock_background_count(const struct xhafw_step *step, const char *what)
{
        size_t n = 0;

        for (size_t i = 0; i < step->background.n; i++)
                n += !what || strcmp(step->background.v[i].what, what) == 0;
        return n;
}

static void add_log(struct xhafw_step *step, int priority, const char *text)
{
        struct mock_log *l = PUSH(step->logs);

        l->priority = priority;
        l->text = xstrdup(text);
        if (getenv("XHAFW_MOCK_VERBOSE"))
                fprintf(stderr, "[%s] %d: %s\n", step->name, priority, text);
}

/* ---- the plugin's members, one action each ---- */

struct action {
        struct mock_pair *saved;
        size_t n_saved;
        bool dry_run;
};

/* A dry-run's state changes live as long as its action process in the core: keep a copy to put back. */
static void action_begin(struct xhafw_step *step, struct action *a)
{
        *a = (struct action){ .dry_run = step->dry_run };
        if (!a->dry_run)
                return;
        a->saved = xrealloc(NULL, step->state.n + 1, sizeof *a->saved);
        for (size_t i = 0; i < step->state.n; i++)
                a->saved[i] = (struct mock_pair){ xstrdup(step->state.v[i].key), xstrdup(step->state.v[i].value) };
        a->n_saved = step->state.n;
}

static void action_end(struct xhafw_step *step, struct action *a)
{
        if (!a->dry_run)
                return;
        free_pairs(step->state.v, step->state.n);
        step->state.n = 0;
        for (size_t i = 0; i < a->n_saved; i++) {
                state_put(step, a->saved[i].key, a->saved[i].value);
                free(a->saved[i].key);
                free(a->saved[i].value);
        }
        free(a->saved);
}

static int call(struct xhafw_step *step, int (*fn)(struct xhafw_step *), int missing)
{
        struct action a;
        int r;

        if (!fn)
                return missing;
        action_begin(step, &a);
        r = fn(step);
        action_end(step, &a);
        return r;
}

int mock_check(struct xhafw_step *step)
{
        return call(step, step->plugin->check, -EOPNOTSUPP);
}

int mock_apply(struct xhafw_step *step)
{
        return call(step, step->plugin->apply, -EOPNOTSUPP);
}

int mock_revert(struct xhafw_step *step)
{
        return call(step, step->plugin->revert, -EOPNOTSUPP);
}

int mock_validate(struct xhafw_step *step)
{
        return call(step, step->plugin->validate, 0);
}

int mock_preflight(struct xhafw_step *step)
{
        /* a plugin built before preflight was appended has a smaller struct: no preflight */
        if (step->plugin->size < offsetof(struct xhafw_plugin, preflight) + sizeof step->plugin->preflight)
                return 0;
        return call(step, step->plugin->preflight, 0);
}

int mock_describe(struct xhafw_step *step, char **ret_text)
{
        struct action a;
        char *buf = NULL;
        size_t size = 0;
        FILE *f;
        int r;

        if (!step->plugin->describe)
                return -EOPNOTSUPP;
        f = open_memstream(&buf, &size);
        if (!f)
                ck_abort_msg("mock: out of memory");
        action_begin(step, &a);
        r = step->plugin->describe(step, f);
        action_end(step, &a);
        if (fclose(f) != 0 || !buf)
                ck_abort_msg("mock: out of memory");
        if (ret_text)
                *ret_text = buf;
        else
                free(buf);
        return r;
}

/* ---- the host API ---- */

XHAFW_API const char *xhafw_step_name(const struct xhafw_step *step)
{
        return step ? step->name : NULL;
}

XHAFW_API bool xhafw_dry_run(const struct xhafw_step *step)
{
        return !step || step->dry_run;
}

XHAFW_API bool xhafw_force(const struct xhafw_step *step)
{
        return step && step->force;
}

XHAFW_API bool xhafw_node_active(const struct xhafw_step *step)
{
        return step && step->node_active;
}

/* A plugin asking for an option it did not declare has a bug the core only warns about: fail. */
static const struct mock_opt *declared(const struct xhafw_step *step, const char *name)
{
        const struct mock_opt *o = opt_of(step, name);

        if (!o)
                ck_abort_msg("plugin %s asked for option '%s' that its schema does not declare", step->plugin->name,
                             name ? name : "(null)");
        return o;
}

XHAFW_API const char *xhafw_opt_string(const struct xhafw_step *step, const char *name)
{
        return declared(step, name)->value;
}

XHAFW_API long long xhafw_opt_int(const struct xhafw_step *step, const char *name)
{
        long long v = 0;
        const char *s = declared(step, name)->value;

        if (s)
                (void) parse_ll(s, &v);
        return v;
}

XHAFW_API bool xhafw_opt_bool(const struct xhafw_step *step, const char *name)
{
        bool v = false;
        const char *s = declared(step, name)->value;

        if (s)
                (void) parse_boolean(s, &v);
        return v;
}

XHAFW_API uint64_t xhafw_opt_duration_ms(const struct xhafw_step *step, const char *name)
{
        uint64_t v = 0;
        const char *s = declared(step, name)->value;

        if (s)
                (void) parse_ms(s, &v);
        return v;
}

XHAFW_API size_t xhafw_opt_list(const struct xhafw_step *step, const char *name, const char *const **ret_items)
{
        struct mock_opt *o = (struct mock_opt *) declared(step, name);
        static const char *const empty[] = { NULL };

        if (!o->value) {
                if (ret_items)
                        *ret_items = empty;
                return 0;
        }
        if (!o->items)
                o->n_items = split(o->value, &o->items);
        if (ret_items)
                *ret_items = (const char *const *) o->items;
        return o->n_items;
}

XHAFW_API void xhafw_log(struct xhafw_step *step, int priority, const char *fmt, ...)
{
        char buf[MOCK_MAX_LOG_LINE];
        va_list ap;

        if (priority < 0 || priority > LOG_DEBUG)
                priority = LOG_INFO;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        if (step)
                add_log(step, priority, buf);
}

/* What the core prints on stdout in a dry-run. */
static void printed(struct xhafw_step *step, const char *text)
{
        add_log(step, MOCK_PRINTED, text);
}

static int answer(struct xhafw_step *step, const char *const argv[], const char *line, char **ret_output)
{
        char *out = NULL;
        int r;

        if (step->handler) {
                r = step->handler(step, argv, &out, step->handler_arg);
                if (r != MOCK_PASS) {
                        if (ret_output && r >= 0)
                                *ret_output = out ? out : xstrdup("");
                        else
                                free(out);
                        return r;
                }
                free(out);
        }
        for (size_t i = 0; step->commands && step->commands[i].argv; i++) {
                const struct mock_command *c = &step->commands[i];
                char *want = expand(c->argv, step->dir);
                bool match = strcmp(want, line) == 0;

                free(want);
                if (step->used[i] || !match)
                        continue;
                if (c->once)
                        step->used[i] = true;
                if (ret_output && c->status >= 0)
                        *ret_output = expand(c->output ? c->output : "", step->dir);
                return c->status;
        }
        xhafw_log(step, LOG_ERR, "command %s not found in PATH (the test gave no result for: %s)", argv[0], line);
        return -ENOENT;
}

XHAFW_API int xhafw_run(struct xhafw_step *step, const char *const argv[], unsigned flags, char **ret_output)
{
        struct mock_run *run;
        char *line;

        if (!step || !argv || !argv[0] || !argv[0][0])
                return -EINVAL;
        line = join_argv(argv);
        run = PUSH(step->runs);
        run->argv = line;
        run->flags = flags;
        if (step->dry_run && !(flags & XHAFW_RUN_READONLY)) {
                char *msg = xasprintf("would run: %s", line);
                printed(step, msg);
                free(msg);
                if (ret_output)
                        *ret_output = xstrdup("");
                return 0;
        }
        run->executed = true;
        return answer(step, argv, line, ret_output);
}

XHAFW_API int xhafw_service(struct xhafw_step *step, const char *verb, const char *unit)
{
        static const char *const readonly[] = { "is-active", "is-enabled", "is-failed", "status", "show", NULL };
        const char *argv[64];
        char *sm, *save = NULL;
        unsigned flags = 0;
        size_t n = 0;
        int r;

        if (!step || !verb || !*verb)
                return -EINVAL;
        sm = xstrdup(step->service_manager);
        for (char *w = strtok_r(sm, " ", &save); w && n < 60; w = strtok_r(NULL, " ", &save))
                argv[n++] = w;
        if (n == 0) {
                free(sm);
                xhafw_log(step, LOG_ERR, "service_manager is empty in the configuration: cannot %s %s", verb,
                          unit ? unit : "");
                return -EINVAL;
        }
        argv[n++] = verb;
        if (unit && *unit)
                argv[n++] = unit;
        argv[n] = NULL;
        for (size_t i = 0; readonly[i]; i++)
                if (strcmp(verb, readonly[i]) == 0)
                        flags |= XHAFW_RUN_READONLY;
        r = xhafw_run(step, argv, flags, NULL);
        free(sm);
        return r;
}

/* The last three non-empty lines of OUTPUT joined with " | ": the one-line form of a failed command. */
static char *tail3(const char *output)
{
        const char *start[3];
        int len[3], n = 0;
        char *r;

        for (const char *p = output ? output : ""; *p;) {
                size_t k = strcspn(p, "\n");
                size_t m = k;
                while (m > 0 && (p[m - 1] == '\r' || p[m - 1] == ' '))
                        m--;
                if (m > 0) {
                        if (n == 3) {
                                memmove(start, start + 1, sizeof start[0] * 2);
                                memmove(len, len + 1, sizeof len[0] * 2);
                                n--;
                        }
                        start[n] = p;
                        len[n++] = (int) (m > 500 ? 500 : m);
                }
                p += k + (p[k] == '\n');
        }
        if (n == 0)
                return xstrdup("(no output)");
        r = xasprintf("%.*s%s%.*s%s%.*s", len[0], start[0], n > 1 ? " | " : "", n > 1 ? len[1] : 0,
                      n > 1 ? start[1] : "", n > 2 ? " | " : "", n > 2 ? len[2] : 0, n > 2 ? start[2] : "");
        return r;
}

XHAFW_API int xhafw_run_logged(struct xhafw_step *step, const char *const argv[], unsigned flags, int priority,
                               char **ret_output)
{
        char *output = NULL, *line, *tail;
        int r = xhafw_run(step, argv, flags, &output);

        if (r != 0 && step && argv && argv[0]) {
                line = join_argv(argv);
                if (r < 0)
                        xhafw_log(step, priority, "cannot run %s: %s", line, strerror(-r));
                else {
                        tail = tail3(output);
                        xhafw_log(step, priority, "%s failed with exit status %d: %s", line, r, tail);
                        free(tail);
                }
                free(line);
        }
        if (ret_output)
                *ret_output = output;
        else
                free(output);
        return r;
}

/* Each line of A that B lacks, with PREFIX: enough of a diff to see what a dry-run would change. */
static void lines_missing(FILE *f, const char *a, const char *b, char prefix)
{
        for (const char *p = a; *p;) {
                size_t k = strcspn(p, "\n");
                bool found = false;
                for (const char *q = b; *q && !found;) {
                        size_t m = strcspn(q, "\n");
                        found = m == k && memcmp(p, q, k) == 0;
                        q += m + (q[m] == '\n');
                }
                if (!found)
                        fprintf(f, "%c%.*s\n", prefix, (int) k, p);
                p += k + (p[k] == '\n');
        }
}

XHAFW_API int xhafw_file_replace(struct xhafw_step *step, const char *path, const char *content)
{
        size_t n = step ? strlen(step->dir) : 0;
        struct mock_file *rec;
        char *old;
        int r = 0;

        if (!step || !path || !content)
                return -EINVAL;
        if (path[0] != '/' || path[strlen(path) - 1] == '/') {
                xhafw_log(step, LOG_ERR, "cannot replace %s: not an absolute path to a file", path);
                return -EINVAL;
        }
        rec = PUSH(step->files);
        rec->path = xstrdup(path);
        rec->content = xstrdup(content);
        /* Never a file of the system: a test names files of its own directory. */
        if (strncmp(path, step->dir, n) != 0 || path[n] != '/') {
                xhafw_log(step, LOG_ERR,
                          "cannot replace %s: outside the test's directory %s (a default the test "
                          "did not override?)",
                          path, step->dir);
                return -EPERM;
        }
        old = read_text(path);
        rec->changed = !old || strcmp(old, content) != 0;
        if (!old && !*content)
                rec->changed = false; /* a missing file counts as empty */
        if (rec->changed) {
                for (size_t i = 0; i < step->fails.n; i++)
                        if (strcmp(step->fails.v[i].path, path) == 0)
                                r = step->fails.v[i].err;
                if (r < 0)
                        xhafw_log(step, LOG_ERR, "cannot rename the new content over %s: %s", path, strerror(-r));
                else if (step->dry_run) {
                        char *buf = NULL;
                        size_t size = 0;
                        FILE *f = open_memstream(&buf, &size);
                        if (!f)
                                ck_abort_msg("mock: out of memory");
                        fprintf(f, "--- %s\n+++ %s (new)\n", path, path);
                        lines_missing(f, old ? old : "", content, '-');
                        lines_missing(f, content, old ? old : "", '+');
                        if (fclose(f) != 0 || !buf)
                                ck_abort_msg("mock: out of memory");
                        printed(step, buf);
                        free(buf);
                } else {
                        r = write_text(path, content);
                        if (r < 0)
                                xhafw_log(step, LOG_ERR, "cannot replace %s: %s", path, strerror(-r));
                        else {
                                rec->written = true;
                                xhafw_log(step, LOG_INFO, "replaced the content of %s", path);
                        }
                }
        }
        free(old);
        return r;
}

XHAFW_API int xhafw_state_set(struct xhafw_step *step, const char *key, const char *value)
{
        if (!step || !key || !*key)
                return -EINVAL;
        if (step->state_err && !step->dry_run) {
                xhafw_log(step, LOG_ERR, "cannot write state file of %s: %s", step->name, strerror(-step->state_err));
                return step->state_err;
        }
        state_put(step, key, value);
        return 0;
}

XHAFW_API const char *xhafw_state_get(struct xhafw_step *step, const char *key)
{
        return step && key ? mock_state_get(step, key) : NULL;
}

/* The mock's clock is real time plus every sleep and advance so far: a sleep costs the test
 * nothing, and a deadline that a plugin waits for in poll() (a socket that never answers) still
 * passes. */
XHAFW_API uint64_t xhafw_now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return mock_clock + (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

XHAFW_API void xhafw_sleep_ms(uint64_t ms)
{
        mock_clock += ms;
}

XHAFW_API int xhafw_stat_bounded(struct xhafw_step *step, const char *const paths[], size_t n, uint64_t timeout_ms,
                                 struct xhafw_stat_result ret[], size_t *ret_answered)
{
        if (ret_answered)
                *ret_answered = 0;
        for (size_t i = 0; i < n; i++) {
                struct stat st;
                for (size_t j = 0; step && j < step->hangs.n; j++)
                        if (strcmp(step->hangs.v[j], paths[i]) == 0) {
                                mock_clock += timeout_ms;
                                return -ETIMEDOUT;
                        }
                ret[i] = (struct xhafw_stat_result){ 0, 0 };
                if (stat(paths[i], &st) < 0)
                        ret[i].err = errno;
                else
                        ret[i].mode = st.st_mode;
                if (ret_answered)
                        *ret_answered = i + 1;
        }
        return 0;
}

XHAFW_API void xhafw_preflight_check(struct xhafw_step *step, const char *check, enum xhafw_check_result result,
                                     const char *detail, const char *fix)
{
        struct mock_report *c;

        if (!step || !check || (unsigned) result > XHAFW_CHECK_FAIL)
                return;
        c = PUSH(step->reports);
        c->check = xstrdup(check);
        c->detail = xstrdup(detail);
        c->fix = fix ? xstrdup(fix) : NULL;
        c->result = result;
}

XHAFW_API void xhafw_preflight_fact(struct xhafw_step *step, const char *key, const char *value)
{
        struct mock_pair *f;

        if (!step || !key || !value)
                return;
        f = PUSH(step->facts);
        f->key = xstrdup(key);
        f->value = xstrdup(value);
}

XHAFW_API int xhafw_background(struct xhafw_step *step, const char *what, uint64_t max_ms, void (*fn)(void *arg),
                               void *arg)
{
        struct mock_bg *b;

        if (!step || !what || !*what || !fn)
                return -EINVAL;
        if (max_ms == 0 || max_ms > MOCK_MAX_BACKGROUND_MS) {
                xhafw_log(step, LOG_ERR,
                          "background work '%s': a bound of %llu ms is outside 1 ms to %u ms (a bug in "
                          "plugin %s)",
                          what, (unsigned long long) max_ms, MOCK_MAX_BACKGROUND_MS, step->plugin->name);
                return -EINVAL;
        }
        b = PUSH(step->background);
        b->what = xstrdup(what);
        b->max_ms = max_ms;
        if (step->dry_run) {
                xhafw_log(step, LOG_NOTICE, "would go on in the background: %s (at most %llu ms)", what,
                          (unsigned long long) max_ms);
                return 0;
        }
        /* Nothing outlives a test's action: the work runs here, to its end. */
        fn(arg);
        return 0;
}
