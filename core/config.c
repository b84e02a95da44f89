/* Configuration: xhafw.conf and the conf.d files through iniparser, checked against each plugin's
 * option schema. Every error names the file, the line, the step and what to do; all errors are
 * reported, not just the first, so that a fresh install lists every value left to fill in. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "graph.h"
#include "loader.h"
#include "util.h"
#include "config-build.h"

#ifdef HAVE_INIPARSER_SUBDIR
#include <iniparser/iniparser.h>
#else
#include <iniparser.h>
#endif

#define MAX_CONF_FILES 1024

static const char *const step_keys[] = { "plugin", "after", "timeout", "critical", "enabled", NULL };
static const char *const global_keys[] = { "conf_d", "plugin_path", "state_dir", "jobs", "timeout", "grace", "path",
                                           "service_manager", "pass_env", "peer", "max_clock_offset", "journal_runs", NULL };

/* Every message of the loader goes through here, to the log or to the caller's sink. */
static void config_say(struct config *cfg, int priority, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void config_say(struct config *cfg, int priority, const char *fmt, ...)
{
        char msg[4096];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (cfg->sink)
                cfg->sink(cfg->sink_ctx, priority, msg);
        else
                log_full(NULL, priority, "%s", msg);
}

void config_error(struct config *cfg, const char *file, unsigned line, const char *step, const char *fmt, ...)
{
        char msg[2048], where[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        if (file && line)
                snprintf(where, sizeof where, "%s:%u: ", file, line);
        else if (file)
                snprintf(where, sizeof where, "%s: ", file);
        else
                where[0] = 0;
        config_say(cfg, LOG_ERR, "%s%s%s%s%s", where, step ? "step " : "", step ? step : "", step ? ": " : "", msg);
        cfg->n_errors++;
}

static const char *list_problem(const char *v, bool argv);

/* ---- where things are: iniparser does not keep line numbers, so find them for messages ---- */

struct located {
        char *section;  /* lowercased, as iniparser keys them */
        char *key;      /* NULL for a section header */
        unsigned line;
        bool quoted_tail; /* key = "a", "b": iniparser keeps the quoted part and drops the rest */
};

struct locations {
        struct located *v;
        size_t n, cap;
        struct strmap values;     /* "section:key" -> value, iniparser's entries indexed once */
        dictionary **extra;       /* the dictionaries of a file parsed in chunks, but the first */
        size_t n_extra;
        size_t from, to;  /* the window line_of() searches: one section's entries, or all */
};

static void locations_free(struct locations *l)
{
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].section);
                free(l->v[i].key);
        }
        free(l->v);
        l->v = NULL;
        l->n = l->cap = 0;
        strmap_free(&l->values);
        for (size_t i = 0; i < l->n_extra; i++)
                iniparser_freedict(l->extra[i]);
        free(l->extra);
        l->extra = NULL;
        l->n_extra = 0;
}

static void lower(char *s)
{
        for (; *s; s++)
                *s = (char) tolower((unsigned char) *s);
}

/* Room for one more entry; doubling, so that a file of many keys is not copied once per key. */
static void located_reserve(struct locations *l)
{
        struct located *grown;
        if (l->n < l->cap)
                return;
        l->cap = l->cap ? 2 * l->cap : 64;
        grown = realloc(l->v, l->cap * sizeof *grown);
        if (!grown)
                abort();
        l->v = grown;
}

/* Record each section header and key with its line. Not a parser: iniparser reads the values. */
static void locate(const char *text, struct locations *l)
{
        char *copy = strdup_or_die(text), *save = NULL, *section = strdup_or_die("");
        unsigned line = 0;
        const char *p = text;

        (void) save;
        while (*p) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                char *buf = strndup(p, len), *s, *e;

                line++;
                if (!buf)
                        abort();
                s = strip(buf);
                /* iniparser's rule: a header is a whole line in brackets; "[b] x = y" is a key */
                if (*s == '[' && s[strlen(s) - 1] == ']') {
                        e = strchr(s, ']'); /* the name ends at the first ']', as iniparser's does */
                        *e = 0;
                        free(section);
                        section = strdup_or_die(strip(s + 1));
                        lower(section);
                        located_reserve(l);
                        l->v[l->n++] = (struct located) { strdup_or_die(section), NULL, line, false };
                } else if (*s && *s != '#' && *s != ';' && (e = strchr(s, '='))) {
                        char *value = strip(e + 1), *close;
                        bool tail = false;
                        /* iniparser reads a value that starts with a quote up to the closing quote */
                        if ((*value == '"' || *value == '\'') && (close = strchr(value + 1, *value))) {
                                close += 1 + strspn(close + 1, " \t");
                                tail = *close && *close != ';' && *close != '#';
                        }
                        *e = 0;
                        s = strip(s);
                        lower(s);
                        located_reserve(l);
                        l->v[l->n++] = (struct located) { strdup_or_die(section), strdup_or_die(s), line, tail };
                }
                free(buf);
                if (!nl)
                        break;
                p = nl + 1;
        }
        free(section);
        free(copy);
}

static int by_section_key_line(const void *a, const void *b)
{
        const struct located *x = *(const struct located *const *) a, *y = *(const struct located *const *) b;
        int c = strcmp(x->section, y->section);
        if (!c)
                c = strcmp(x->key, y->key);
        return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* What iniparser would take without a word but the admin cannot have meant: a key given twice in
 * a section (the last silently wins) and a quoted value with text after the closing quote.
 * Sorted, not compared pairwise: a file may hold a hundred thousand keys. */
static void locations_lint(struct config *cfg, const char *file, const struct locations *l)
{
        bool global = cfg->settings.config_file && strcmp(file, cfg->settings.config_file) == 0;
        const struct located **keys = xcalloc(l->n + 1, sizeof *keys);
        size_t n = 0;

        for (size_t i = 0; i < l->n; i++) {
                const struct located *k = &l->v[i];
                if (!k->key)
                        continue;
                keys[n++] = k;
                if (k->quoted_tail)
                        config_error(cfg, file, k->line, global ? NULL : k->section,
                                     "%s: text follows the closing quote, and iniparser keeps only the quoted part; "
                                     "write the value without quotes (a list is plain: %s = a, b)", k->key, k->key);
        }
        qsort(keys, n, sizeof *keys, by_section_key_line);
        for (size_t i = 1; i < n; i++)
                if (strcmp(keys[i]->section, keys[i - 1]->section) == 0 && strcmp(keys[i]->key, keys[i - 1]->key) == 0)
                        config_error(cfg, file, keys[i]->line, global ? NULL : keys[i]->section,
                                     "%s is given twice in [%s] (also line %u), and only the last would count; keep one",
                                     keys[i]->key, keys[i]->section, keys[i - 1]->line);
        free(keys);
}

static unsigned line_of(const struct locations *l, const char *section, const char *key)
{
        unsigned found = 0;
        for (size_t i = l->from; i < l->to && i < l->n; i++)
                if (strcmp(l->v[i].section, section) == 0 &&
                    (key ? l->v[i].key && strcmp(l->v[i].key, key) == 0 : !l->v[i].key))
                        found = l->v[i].line; /* the last one: iniparser keeps the last value */
        return found;
}

/* ---- reading one INI file ---- */

static char ini_error_buf[1024];

static int ini_error_cb(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int ini_error_cb(const char *fmt, ...)
{
        va_list ap;
        size_t used = strlen(ini_error_buf);
        int r;
        va_start(ap, fmt);
        r = vsnprintf(ini_error_buf + used, sizeof ini_error_buf - used, fmt, ap);
        va_end(ap);
        return r;
}

/* iniparser inserts each key with a scan of every key it holds: a file of thousands of steps would
 * load in quadratic time. Such a file is parsed in chunks of CHUNK_SECTIONS sections, each handed
 * to iniparser through a memfd; a chunk begins at a section header (never inside a continued
 * value), so that each is an INI file of its own and the values are the same. */
#define CHUNK_SECTIONS 64

static bool is_header_line(const char *p, size_t len)
{
        while (len && (*p == ' ' || *p == '\t'))
                p++, len--;
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r'))
                len--;
        return len >= 2 && p[0] == '[' && p[len - 1] == ']';
}

static dictionary *load_chunk(struct config *cfg, const char *file, const char *text, size_t n, unsigned first_line)
{
        char path[64];
        dictionary *d = NULL;
        int fd = memfd_create("xhafw-conf", MFD_CLOEXEC);

        if (fd < 0 || write_all(fd, text, n) < 0) {
                if (fd >= 0)
                        close(fd);
                return NULL;
        }
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        ini_error_buf[0] = 0;
        d = iniparser_load(path);
        close(fd);
        if (!d) {
                /* iniparser names the memfd and the chunk's line: name the file and its line */
                int line = 0;
                char *e = strip(ini_error_buf), *at = strstr(e, path);
                if (at && sscanf(at + strlen(path), " (%d)", &line) == 1)
                        at = strchr(at + strlen(path), ')');
                for (char *q = e; *q; q++)
                        if (*q == '\n')
                                *q = ' ';
                if (at)
                        at += strspn(at + 1, ": ") + 1;
                config_error(cfg, file, line > 0 ? first_line + (unsigned) line - 1 : 0, NULL, "cannot parse: %s%s",
                             at ? "syntax error: " : "", at ? at : *e ? e : "syntax error");
        }
        return d;
}

/* The whole file, or its chunks (the first returned, the others kept in loc). NULL after
 * reporting why. */
static dictionary *ini_parse(struct config *cfg, const char *file, const char *text, struct locations *loc)
{
        size_t headers = 0, start = 0;
        unsigned line = 1, chunk_line = 1, in_chunk = 0;
        dictionary *first = NULL;
        bool continued = false;

        for (size_t i = 0; i < loc->n; i++)
                headers += !loc->v[i].key;
        if (headers <= CHUNK_SECTIONS) {
                dictionary *d;
                ini_error_buf[0] = 0;
                d = iniparser_load(file);
                if (!d) {
                        char *e = strip(ini_error_buf);
                        for (char *q = e; *q; q++)
                                if (*q == '\n')
                                        *q = ' ';
                        config_error(cfg, file, 0, NULL, "cannot parse: %s", *e ? e : "syntax error");
                }
                return d;
        }
        for (const char *p = text;; line++) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                bool header = !continued && is_header_line(p, len);
                size_t here = (size_t) (p - text);

                if (header && in_chunk == CHUNK_SECTIONS) {
                        dictionary *d = load_chunk(cfg, file, text + start, here - start, chunk_line);
                        if (!d)
                                goto fail;
                        if (!first)
                                first = d;
                        else {
                                dictionary **grown = realloc(loc->extra, (loc->n_extra + 1) * sizeof *grown);
                                if (!grown)
                                        abort();
                                loc->extra = grown;
                                loc->extra[loc->n_extra++] = d;
                        }
                        start = here;
                        chunk_line = line;
                        in_chunk = 0;
                }
                in_chunk += header;
                continued = len > 0 && p[len - (p[len - 1] == '\r' && len > 1 ? 2 : 1)] == '\\';
                if (!nl)
                        break;
                p = nl + 1;
        }
        {
                dictionary *d = load_chunk(cfg, file, text + start, strlen(text) - start, chunk_line);
                if (!d)
                        goto fail;
                if (!first)
                        return d;
                dictionary **grown = realloc(loc->extra, (loc->n_extra + 1) * sizeof *grown);
                if (!grown)
                        abort();
                loc->extra = grown;
                loc->extra[loc->n_extra++] = d;
        }
        return first;
fail:
        if (first)
                iniparser_freedict(first);
        return NULL;
}

/* Refuse what others could have written, then load with iniparser and locate keys. */
static dictionary *ini_open(struct config *cfg, const char *file, struct locations *loc)
{
        char *reason = NULL, *text = NULL;
        dictionary *d;
        struct stat st;
        int r;

        if (stat(file, &st) < 0) {
                config_error(cfg, file, 0, NULL, "cannot read: %s", strerror(errno));
                return NULL;
        }
        if (!S_ISREG(st.st_mode)) {
                config_error(cfg, file, 0, NULL, "not a regular file");
                return NULL;
        }
        if (check_owner_mode(file, &reason) < 0) {
                config_error(cfg, file, 0, NULL, "refused: %s", reason);
                free(reason);
                return NULL;
        }
        r = read_file(file, 4 * 1024 * 1024, &text, NULL);
        if (r < 0) {
                config_error(cfg, file, 0, NULL, "cannot read: %s%s", strerror(-r),
                             r == -EFBIG ? " (over 4 MiB)" : "");
                return NULL;
        }
        if (memchr(text, 0, strlen(text) + 1) != text + strlen(text) || strlen(text) != (size_t) st.st_size) {
                config_error(cfg, file, 0, NULL, "contains NUL bytes: not a text file");
                free(text);
                return NULL;
        }
        if (strncmp(text, "\xef\xbb\xbf", 3) == 0) {
                config_error(cfg, file, 1, NULL, "starts with a UTF-8 byte-order mark (bytes EF BB BF), which "
                             "iniparser would read as part of the first line; save the file without it");
                free(text);
                return NULL;
        }
        /* iniparser would misread these without a word: refuse them as the admin's to fix */
        for (const char *p = text; (p = strchr(p, '\r')); p++)
                if (p[1] != '\n') {
                        config_error(cfg, file, 0, NULL, "has a carriage return that does not end a line: "
                                     "convert it with dos2unix or an editor");
                        free(text);
                        return NULL;
                }
        {
                size_t n = strlen(text);
                while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ' || text[n - 1] == '\t'))
                        n--;
                if (n > 0 && text[n - 1] == '\\') {
                        config_error(cfg, file, 0, NULL, "the last line ends with a backslash (a continuation "
                                     "with nothing to continue): remove it");
                        free(text);
                        return NULL;
                }
        }
        /* iniparser inserts each key with a scan of all the keys before it: count the sections
         * first, so that a file of ten thousand steps is refused at once, not parsed in seconds */
        locate(text, loc);
        {
                size_t headers = 0;
                for (size_t i = 0; i < loc->n; i++)
                        headers += !loc->v[i].key;
                if (headers > XHAFW_MAX_STEPS) {
                        config_error(cfg, file, 0, NULL, "%zu sections: more than %d steps are not supported",
                                     headers, XHAFW_MAX_STEPS);
                        free(text);
                        return NULL;
                }
        }
        iniparser_set_error_callback(ini_error_cb);
        d = ini_parse(cfg, file, text, loc);
        if (!d) {
                free(text);
                return NULL;
        }
        loc->from = 0;
        loc->to = loc->n;
        /* iniparser's own lookup scans every entry: index them once, so that loading stays
         * linear in the number of steps */
        for (size_t c = 0; c <= loc->n_extra; c++) {
                const dictionary *cd = c == 0 ? d : loc->extra[c - 1];
                for (ssize_t i = 0; i < cd->size; i++)
                        if (cd->key[i] && cd->val[i])
                                strmap_put(&loc->values, cd->key[i], cd->val[i]);
        }
        locations_lint(cfg, file, loc);
        free(text);
        return d;
}

static const char *ini_get(const struct locations *loc, const char *section, const char *key)
{
        char k[512];
        void *v = NULL;
        /* iniparser keys are lowercased "section:key"; ours are already */
        if (snprintf(k, sizeof k, "%s:%s", section, key) >= (int) sizeof k)
                return NULL;
        lower(k);
        return strmap_get(&loc->values, k, &v) ? v : NULL;
}

/* iniparser's lookup is a linear scan of the whole file: ask it only for keys that are there. */
static const char *sec_get(dictionary *d, const struct locations *loc, const char *section, const char *key)
{
        (void) d;
        return line_of(loc, section, key) ? ini_get(loc, section, key) : NULL;
}

static bool in_list(const char *const *list, const char *s)
{
        for (; *list; list++)
                if (strcmp(*list, s) == 0)
                        return true;
        return false;
}

/* ---- xhafw.conf ---- */

static void settings_defaults(struct settings *s)
{
        s->conf_d = strdup_or_die(XHAFW_CONF_D);
        s->plugin_path = strdup_or_die(XHAFW_PLUGIN_PATH);
        s->state_dir = strdup_or_die(XHAFW_STATE_DIR);
        s->jobs = 4;
        s->timeout_ms = 120000;
        s->grace_ms = 5000;
        s->max_clock_offset_ms = 1000;
        s->path = strdup_or_die("/opt/xcat/bin:/opt/xcat/sbin:/usr/sbin:/usr/bin:/sbin:/bin");
        s->service_manager = xcalloc(2, sizeof(char *));
        s->service_manager[0] = strdup_or_die("systemctl");
        s->pass_env = xcalloc(1, sizeof(char *));
}

static void set_str(char **dst, const char *v)
{
        free(*dst);
        *dst = strdup_or_die(v);
}

static bool all_absolute(const char *colon_list)
{
        for (const char *p = colon_list; *p;) {
                const char *end = strchr(p, ':');
                size_t len = end ? (size_t) (end - p) : strlen(p);
                if (len > 0 && p[0] != '/')
                        return false;
                if (!end)
                        break;
                p = end + 1;
        }
        return true;
}

/* The rule for conf_d, state_dir, plugin_path and path, in xhafw.conf and on the command line
 * alike: a relative directory would be looked up from wherever xhafw happens to be started. */
static const char *path_setting_problem(const char *key, const char *v)
{
        bool is_list = strcmp(key, "plugin_path") == 0 || strcmp(key, "path") == 0;
        if (!*v)
                return "empty: remove the line for the default";
        if (!is_list && v[0] != '/')
                return "expected an absolute path";
        if (is_list && !all_absolute(v))
                return "every directory must be an absolute path";
        return NULL;
}

/* One key of [xhafw], checked and set. */
static void settings_key(struct config *cfg, const char *file, unsigned line, const char *key, const char *v)
{
        struct settings *s = &cfg->settings;
        long long n;

        if (strcmp(key, "jobs") == 0) {
                if (parse_int(v, &n) < 0 || n < 1 || n > XHAFW_MAX_JOBS)
                        config_error(cfg, file, line, NULL, "jobs = '%s': expected a number from 1 to %d", v,
                                     XHAFW_MAX_JOBS);
                else
                        s->jobs = (unsigned) n;
        } else if (strcmp(key, "journal_runs") == 0) {
                if (parse_int(v, &n) < 0 || n < 1 || n > 100000)
                        config_error(cfg, file, line, NULL, "journal_runs = '%s': expected a number from 1 to "
                                     "100000", v);
                else
                        s->journal_runs = (unsigned) n;
        } else if (strcmp(key, "timeout") == 0 || strcmp(key, "grace") == 0 ||
                   strcmp(key, "max_clock_offset") == 0) {
                uint64_t ms;
                if (parse_duration_ms(v, &ms) < 0 || ms == 0)
                        config_error(cfg, file, line, NULL, "%s = '%s': expected a duration such as 500ms, 30s or 2m",
                                     key, v);
                else
                        *(strcmp(key, "timeout") == 0 ? &s->timeout_ms : strcmp(key, "grace") == 0 ?
                          &s->grace_ms : &s->max_clock_offset_ms) = ms;
        } else if (strcmp(key, "peer") == 0) {
                /* a host name or address for ssh: no option of ssh's may hide in it */
                if (!*v || v[0] == '-' || strpbrk(v, " \t/"))
                        config_error(cfg, file, line, NULL, "peer = '%s': expected the other node's host name or "
                                     "address (as ssh takes it)", v);
                else
                        set_str(&s->peer, v);
        } else if (strcmp(key, "service_manager") == 0 || strcmp(key, "pass_env") == 0) {
                char **items;
                size_t n_items;
                const char *problem = list_problem(v, strcmp(key, "service_manager") == 0);
                if (problem) {
                        config_error(cfg, file, line, NULL, "%s = '%s': expected %s", key, v, problem);
                        return;
                }
                split_list(v, &items, &n_items);
                if (strcmp(key, "service_manager") == 0 && n_items == 0) {
                        config_error(cfg, file, line, NULL, "service_manager is empty: name a program, e.g. systemctl");
                        strv_free(items);
                        return;
                }
                if (strcmp(key, "service_manager") == 0) {
                        strv_free(s->service_manager);
                        s->service_manager = items;
                } else {
                        strv_free(s->pass_env);
                        s->pass_env = items;
                }
        } else {
                char **dst = strcmp(key, "conf_d") == 0      ? &s->conf_d :
                             strcmp(key, "plugin_path") == 0 ? &s->plugin_path :
                             strcmp(key, "state_dir") == 0   ? &s->state_dir : &s->path;
                const char *problem = path_setting_problem(key, v);
                if (problem)
                        config_error(cfg, file, line, NULL, "%s = '%s': %s", key, v, problem);
                else
                        set_str(dst, v);
        }
}

static void settings_load(struct config *cfg, const char *file, bool explicit)
{
        struct settings *s = &cfg->settings;
        struct locations loc = { 0 };
        dictionary *d;
        int nsec;

        s->config_file = strdup_or_die(file);
        if (!explicit && access(file, F_OK) < 0 && errno == ENOENT)
                return; /* every key is optional, and so is the file */
        d = ini_open(cfg, file, &loc);
        if (!d) {
                locations_free(&loc);
                return;
        }
        nsec = iniparser_getnsec(d);
        for (int i = 0; i < nsec; i++) {
                const char *sec = iniparser_getsecname(d, i);
                if (strcmp(sec, "xhafw") != 0)
                        config_error(cfg, file, line_of(&loc, sec, NULL), NULL,
                                     "unknown section [%s]: xhafw.conf has only [xhafw]; steps go in conf.d", sec);
        }
        for (size_t i = 0; i < loc.n; i++) {
                const struct located *k = &loc.v[i];
                if (!k->key)
                        continue;
                if (!*k->section)
                        config_error(cfg, file, k->line, NULL, "key '%s' outside a section: put it under [xhafw]", k->key);
                else if (strcmp(k->section, "xhafw") == 0 && !in_list(global_keys, k->key))
                        config_error(cfg, file, k->line, NULL, "unknown key '%s' in [xhafw] (known: conf_d, plugin_path, "
                                     "state_dir, jobs, timeout, grace, path, service_manager, pass_env, peer, "
                                     "max_clock_offset, journal_runs)", k->key);
        }
        for (const char *const *key = global_keys; *key; key++) {
                const char *v = ini_get(&loc, "xhafw", *key);
                if (v)
                        settings_key(cfg, file, line_of(&loc, "xhafw", *key), *key, v);
        }
        iniparser_freedict(d);
        locations_free(&loc);
}

/* ---- steps ---- */

void step_free(struct xhafw_step *st)
{
        if (!st)
                return;
        for (size_t i = 0; i < st->n_opts; i++) {
                free(st->opts[i].value);
                strv_free(st->opts[i].items);
        }
        free(st->opts);
        strv_free(st->after);
        free(st->after_idx);
        free(st->name);
        free(st->plugin_name);
        free(st->file);
        free(st);
}

struct xhafw_step *config_find_step(const struct config *cfg, const char *name)
{
        ssize_t i = config_step_index(cfg, name);
        return i < 0 ? NULL : cfg->steps[i];
}

ssize_t config_step_index(const struct config *cfg, const char *name)
{
        void *v;
        /* a map, not a scan: the graph asks once per `after` entry */
        return strmap_get(&cfg->step_index, name, &v) ? (ssize_t) ((uintptr_t) v - 1) : -1;
}

/* Lists are comma-separated. What iniparser hands over unchanged but an admin did not mean is
 * refused: an empty item ("a,,b", "after = , ,"), and in a list of words (not an argv) an item
 * with a blank ("/a /b": a missing comma) or in quotes. NULL if fine, else what is expected. */
static const char *list_problem(const char *v, bool argv)
{
        char **items;
        size_t n, commas = 0;
        const char *problem = NULL;

        split_list(v, &items, &n);
        for (const char *p = v; *p; p++)
                commas += *p == ',';
        if (n != commas + 1 && v[strspn(v, " \t")])
                problem = "items separated by single commas, with no empty item (a, b)";
        for (size_t i = 0; i < n && !problem && !argv; i++) {
                size_t len = strlen(items[i]);
                if (strpbrk(items[i], " \t"))
                        problem = "items separated by commas; an item has a blank in it (a missing comma?)";
                else if (strchr("\"'", items[i][0]) || strchr("\"'", items[i][len - 1]))
                        problem = "items without quotes (a, b)";
        }
        strv_free(items);
        return problem;
}

/* Check one value against its declared type; NULL if fine, else what is expected. */
static const char *type_problem(enum xhafw_option_type t, const char *v)
{
        long long n;
        bool b;
        uint64_t ms;

        switch (t) {
        case XHAFW_OPT_STRING:
                return NULL;
        case XHAFW_OPT_LIST:
        case XHAFW_OPT_ARGV:
                return list_problem(v, t == XHAFW_OPT_ARGV);
        case XHAFW_OPT_INT:
                return parse_int(v, &n) < 0 ? "an integer" : NULL;
        case XHAFW_OPT_BOOL:
                return parse_bool(v, &b) < 0 ? "yes or no" : NULL;
        case XHAFW_OPT_PATH:
                return v[0] != '/' ? "an absolute path" : NULL;
        case XHAFW_OPT_ADDRESS:
                return parse_address(v, NULL) < 0 ? "an IPv4 or IPv6 address, optionally with /prefix" : NULL;
        case XHAFW_OPT_INTERFACE:
                return !valid_interface_name(v) ? "a network interface name (at most 15 characters, no '/' or blanks)" : NULL;
        case XHAFW_OPT_DURATION:
                return parse_duration_ms(v, &ms) < 0 ? "a duration such as 500ms, 30s or 2m" : NULL;
        }
        return "a known type";
}

static void step_options(struct config *cfg, struct xhafw_step *st, dictionary *d, const char *sec,
                         const struct locations *loc)
{
        const struct xhafw_option *schema = st->plugin->def->options;
        size_t n = 0;

        while (schema && schema[n].name)
                n++;
        st->opts = xcalloc(n, sizeof *st->opts);
        st->n_opts = n;
        for (size_t i = 0; i < n; i++) {
                struct step_option *o = &st->opts[i];
                const char *v = sec_get(d, loc, sec, schema[i].name);
                unsigned line = line_of(loc, sec, schema[i].name);
                const char *problem;

                o->schema = &schema[i];
                if (v && !*v)
                        v = NULL; /* "key =" with nothing: the default (or, for a required one, an error) */
                o->line = v ? line : 0;
                if (!v && schema[i].default_value)
                        v = schema[i].default_value;
                if (!v) {
                        if (schema[i].required && st->enabled)
                                config_error(cfg, st->file, line ? line : st->line, st->name,
                                             "required option '%s' (%s) is %s: set it (`xhafw describe %s` explains it)",
                                             schema[i].name, option_type_name(schema[i].type),
                                             line ? "empty" : "missing", st->plugin_name);
                        continue;
                }
                problem = type_problem(schema[i].type, v);
                if (problem && st->enabled) {
                        config_error(cfg, st->file, o->line ? o->line : st->line, st->name,
                                     "%s = '%s': expected %s", schema[i].name, v, problem);
                        continue;
                }
                o->value = strdup_or_die(v);
        }
}

static void step_load(struct config *cfg, dictionary *d, const char *sec, const char *file,
                      const struct locations *loc)
{
        unsigned line = line_of(loc, sec, NULL);
        struct xhafw_step *st, *dup, **grown;
        const char *v;

        if (!valid_step_name(sec)) {
                config_error(cfg, file, line, NULL, "'%s' is not a valid step name: use letters, digits, '-', '_' "
                             "and '.' (at most 64)", sec);
                return;
        }
        dup = config_find_step(cfg, sec);
        if (dup) {
                config_error(cfg, file, line, sec, "defined twice: also in %s:%u; rename one or remove it",
                             dup->file, dup->line);
                return;
        }
        if (cfg->n_steps >= XHAFW_MAX_STEPS) {
                if (cfg->n_ignored++ == 0)
                        config_error(cfg, file, line, sec, "more than %d steps: not supported", XHAFW_MAX_STEPS);
                return;
        }
        st = xcalloc(1, sizeof *st);
        st->name = strdup_or_die(sec);
        st->file = strdup_or_die(file);
        st->line = line;
        st->critical = st->enabled = true;
        st->timeout_ms = cfg->settings.timeout_ms;
        grown = realloc(cfg->steps, (cfg->n_steps + 1) * sizeof *grown);
        if (!grown)
                abort();
        cfg->steps = grown;
        cfg->steps[cfg->n_steps++] = st;
        strmap_put(&cfg->step_index, st->name, (void *) (uintptr_t) cfg->n_steps);

        v = sec_get(d, loc, sec, "plugin");
        st->plugin_name = strdup_or_die(v && *v ? v : sec);
        if ((v = sec_get(d, loc, sec, "enabled")) && parse_bool(v, &st->enabled) < 0)
                config_error(cfg, file, line_of(loc, sec, "enabled"), sec, "enabled = '%s': expected yes or no", v);
        if ((v = sec_get(d, loc, sec, "critical")) && parse_bool(v, &st->critical) < 0)
                config_error(cfg, file, line_of(loc, sec, "critical"), sec, "critical = '%s': expected yes or no", v);
        if ((v = sec_get(d, loc, sec, "timeout")) && (parse_duration_ms(v, &st->timeout_ms) < 0 || st->timeout_ms == 0))
                config_error(cfg, file, line_of(loc, sec, "timeout"), sec,
                             "timeout = '%s': expected a duration such as 500ms, 30s or 2m", v);
        if ((v = sec_get(d, loc, sec, "after")) && list_problem(v, false))
                config_error(cfg, file, line_of(loc, sec, "after"), sec, "after = '%s': expected step names as %s",
                             v, list_problem(v, false));
        split_list(v, &st->after, &st->n_after);

        if (!valid_plugin_name(st->plugin_name)) {
                config_error(cfg, file, line_of(loc, sec, "plugin"), sec, "plugin = '%s': not a valid plugin name "
                             "(letters, digits, '-', '_', '.'; no '/' or '..')", st->plugin_name);
                return;
        }
        st->plugin = plugin_get(cfg, st->plugin_name);
        if (st->plugin->error) {
                if (st->enabled && cfg->lenient_plugins)
                        config_say(cfg, LOG_WARNING, "%s: %s:%u: %s", sec, file, line, st->plugin->error);
                else if (st->enabled)
                        config_error(cfg, file, line_of(loc, sec, "plugin") ? line_of(loc, sec, "plugin") : line, sec,
                                     "%s", st->plugin->error);
                return;
        }
        /* Every key must be the core's or in the plugin's schema: a typo must not pass silently. */
        for (size_t i = loc->from; i < loc->to; i++) {
                const struct located *k = &loc->v[i];
                const struct xhafw_option *o;
                bool known = false;
                if (!k->key || strcmp(k->section, sec) != 0 || in_list(step_keys, k->key))
                        continue;
                for (o = st->plugin->def->options; o && o->name; o++)
                        if (strcmp(o->name, k->key) == 0)
                                known = true;
                if (!known) {
                        char list[1024] = "";
                        size_t used = 0;
                        for (o = st->plugin->def->options; o && o->name && used < sizeof list - 70; o++)
                                used += (size_t) snprintf(list + used, sizeof list - used, "%s%s",
                                                          used ? ", " : "", o->name);
                        config_error(cfg, file, k->line, sec, "unknown key '%s' for plugin %s (its options: %s; "
                                     "core keys: plugin, after, timeout, critical, enabled)",
                                     k->key, st->plugin_name, *list ? list : "none");
                }
        }
        step_options(cfg, st, d, sec, loc);
}

static int conf_file_filter(const struct dirent *de)
{
        size_t n = strlen(de->d_name);
        return de->d_name[0] != '.' && n > 5 && strcmp(de->d_name + n - 5, ".conf") == 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

static void conf_d_load(struct config *cfg)
{
        const char *dir = cfg->settings.conf_d;
        struct dirent **names = NULL;
        char *reason = NULL;
        struct stat st;
        int n;

        if (stat(dir, &st) < 0) {
                config_error(cfg, dir, 0, NULL, "conf.d directory: %s (set conf_d or --conf-d)", strerror(errno));
                return;
        }
        if (!S_ISDIR(st.st_mode)) {
                config_error(cfg, dir, 0, NULL, "conf.d is not a directory");
                return;
        }
        if (check_owner_mode(dir, &reason) < 0) {
                config_error(cfg, dir, 0, NULL, "conf.d refused: %s", reason);
                free(reason);
                return;
        }
        n = scandir(dir, &names, conf_file_filter, by_name);
        if (n < 0) {
                config_error(cfg, dir, 0, NULL, "cannot list: %s", strerror(errno));
                return;
        }
        if (n > MAX_CONF_FILES)
                config_error(cfg, dir, 0, NULL, "more than %d files: not supported", MAX_CONF_FILES);
        for (int i = 0; i < n && i < MAX_CONF_FILES; i++) {
                char *file = xasprintf("%s/%s", dir, names[i]->d_name);
                struct locations loc = { 0 };
                dictionary *d = ini_open(cfg, file, &loc);
                if (d) {
                        /* iniparser merges a section written twice; a step must be defined once. */
                        struct strmap seen = { 0 };
                        for (size_t a = 0; a < loc.n; a++) {
                                void *first;
                                if (loc.v[a].key)
                                        continue;
                                if (strmap_get(&seen, loc.v[a].section, &first))
                                        config_error(cfg, file, loc.v[a].line, loc.v[a].section,
                                                     "defined twice: also on line %u of this file",
                                                     ((const struct located *) first)->line);
                                else
                                        strmap_put(&seen, loc.v[a].section, &loc.v[a]);
                        }
                        for (size_t a = 0; a < loc.n; a++)
                                if (loc.v[a].key && !*loc.v[a].section)
                                        config_error(cfg, file, loc.v[a].line, NULL, "key '%s' outside a section: "
                                                     "each [section] is a step", loc.v[a].key);
                        /* Each section in file order, from the locator (iniparser's section
                         * listing scans every key per call); its keys are the entries up to the
                         * next header, so that a big file stays linear. */
                        for (size_t a = 0; a < loc.n && cfg->n_errors < 1000; a++) {
                                void *first = NULL;
                                if (loc.v[a].key || !*loc.v[a].section)
                                        continue;
                                strmap_get(&seen, loc.v[a].section, &first);
                                if (first != &loc.v[a])
                                        continue; /* a repeated header: reported above */
                                loc.from = a;
                                for (loc.to = a + 1; loc.to < loc.n && loc.v[loc.to].key; loc.to++)
                                        ;
                                step_load(cfg, d, loc.v[a].section, file, &loc);
                        }
                        strmap_free(&seen);
                        iniparser_freedict(d);
                }
                locations_free(&loc);
                free(file);
        }
        for (int i = 0; i < n; i++)
                free(names[i]);
        free(names);
}

int config_load(struct config *cfg, const struct overrides *ov)
{
        const char *file = ov && ov->config_file ? ov->config_file : XHAFW_CONFIG_FILE;

        memset(cfg, 0, sizeof *cfg);
        cfg->lenient_plugins = ov && ov->lenient_plugins;
        cfg->sink = ov ? ov->sink : NULL;
        cfg->sink_ctx = ov ? ov->sink_ctx : NULL;
        settings_defaults(&cfg->settings);
        settings_load(cfg, file, ov && ov->config_file);
        if (ov) {
                const struct { const char *option, *key, *value; char **dst; } given[] = {
                        { "--conf-d", "conf_d", ov->conf_d, &cfg->settings.conf_d },
                        { "--plugin-path", "plugin_path", ov->plugin_path, &cfg->settings.plugin_path },
                        { "--state-dir", "state_dir", ov->state_dir, &cfg->settings.state_dir },
                };
                for (size_t k = 0; k < sizeof given / sizeof given[0]; k++) {
                        const char *problem = given[k].value ? path_setting_problem(given[k].key, given[k].value) : NULL;
                        if (problem) {
                                config_say(cfg, LOG_ERR, "%s '%s': %s", given[k].option, given[k].value, problem);
                                cfg->n_errors++;
                        } else if (given[k].value)
                                set_str(given[k].dst, given[k].value);
                }
                if (ov->jobs)
                        cfg->settings.jobs = ov->jobs;
        }
        if (cfg->n_errors == 0)
                conf_d_load(cfg);
        if (cfg->n_errors == 0 && cfg->n_steps == 0)
                config_error(cfg, cfg->settings.conf_d, 0, NULL, "no steps: add *.conf files with one [section] per step");
        if (cfg->n_errors == 0)
                graph_build(cfg);
        return cfg->n_errors ? -EINVAL : 0;
}

void config_free(struct config *cfg)
{
        struct settings *s = &cfg->settings;
        for (size_t i = 0; i < cfg->n_steps; i++)
                step_free(cfg->steps[i]);
        free(cfg->steps);
        for (size_t i = 0; i < cfg->n_plugins; i++)
                plugin_free(cfg->plugins[i]);
        free(cfg->plugins);
        graph_free(cfg);
        strmap_free(&cfg->step_index);
        settings_free(s);
        memset(cfg, 0, sizeof *cfg);
}

void settings_free(struct settings *s)
{
        free(s->config_file);
        free(s->conf_d);
        free(s->plugin_path);
        free(s->state_dir);
        free(s->path);
        free(s->peer);
        strv_free(s->service_manager);
        strv_free(s->pass_env);
        memset(s, 0, sizeof *s);
}
