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

#include "config-build.h"
#include "config.h"
#include "graph.h"
#include "loader.h"
#include "util.h"

#ifdef HAVE_INIPARSER_SUBDIR
#include <iniparser/iniparser.h>
#else
#include <iniparser.h>
#endif

#define MAX_CONF_FILES 1024

static const char *const step_keys[STEP_CORE_KEYS + 1] = { "plugin",  "after",     "timeout", "critical",
                                                           "enabled", "conflicts", NULL };
static const char *const global_keys[] = { "conf_d",
                                           "plugin_path",
                                           "state_dir",
                                           "jobs",
                                           "timeout",
                                           "grace",
                                           "path",
                                           "service_manager",
                                           "pass_env",
                                           "peer",
                                           "max_clock_offset",
                                           "journal_runs",
                                           "vendor_conf_d",
                                           NULL };

static size_t global_index(const char *key)
{
        size_t k = 0;
        while (global_keys[k] && strcmp(global_keys[k], key) != 0)
                k++;
        return k;
}

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


/* ---- where things are: iniparser does not keep line numbers, so find them for messages ---- */

struct located {
        char *section; /* lowercased, as iniparser keys them */
        char *key;     /* NULL for a section header */
        unsigned line;
        bool quoted_tail;   /* key = "a", "b": iniparser keeps the quoted part and drops the rest */
        bool glued_comment; /* key = a;b: iniparser reads 'a' (a comment begins at ; or #) */
        bool open_quote;    /* key = "a: no closing quote */
};

struct locations {
        struct located *v;
        size_t n, cap;
        struct strmap values; /* "section:key" -> value, iniparser's entries indexed once */
        dictionary **extra;   /* the dictionaries of a file parsed in chunks, but the first */
        size_t n_extra;
        size_t from, to; /* the window line_of() searches: one section's entries, or all */
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
                        l->v[l->n++] = (struct located){ strdup_or_die(section), NULL, line, false, false, false };
                } else if (*s && *s != '#' && *s != ';' && (e = strchr(s, '='))) {
                        char *value = strip(e + 1), *close, *c;
                        bool tail = false, glued = false, open = false;
                        /* iniparser reads a value that starts with a quote up to the closing quote */
                        if ((*value == '"' || *value == '\'') && (close = strchr(value + 1, *value))) {
                                close += 1 + strspn(close + 1, " \t");
                                tail = *close && *close != ';' && *close != '#';
                        } else if (*value == '"' || *value == '\'')
                                open = true;
                        else if ((c = strpbrk(value, ";#")) && c > value && c[-1] != ' ' && c[-1] != '\t')
                                glued = true; /* "a ; comment" is a comment; "a;b" a mistake */
                        *e = 0;
                        s = strip(s);
                        lower(s);
                        located_reserve(l);
                        l->v[l->n++] =
                                (struct located){ strdup_or_die(section), strdup_or_die(s), line, tail, glued, open };
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
                if (k->glued_comment)
                        config_error(cfg, file, k->line, global ? NULL : k->section,
                                     "%s: a ';' or '#' right after a word starts a comment, and iniparser would "
                                     "drop the rest of the line; separate items with commas (%s = a, b), or put a "
                                     "blank before a comment",
                                     k->key, k->key);
                if (k->open_quote)
                        config_error(cfg, file, k->line, global ? NULL : k->section,
                                     "%s: the value opens a quote that is never closed; close it or write the value "
                                     "without quotes",
                                     k->key);
                if (k->quoted_tail)
                        config_error(cfg, file, k->line, global ? NULL : k->section,
                                     "%s: text follows the closing quote, and iniparser keeps only the quoted part; "
                                     "write the value without quotes (a list is plain: %s = a, b)",
                                     k->key, k->key);
        }
        qsort(keys, n, sizeof *keys, by_section_key_line);
        for (size_t i = 1; i < n; i++)
                if (strcmp(keys[i]->section, keys[i - 1]->section) == 0 && strcmp(keys[i]->key, keys[i - 1]->key) == 0)
                        config_error(
                                cfg, file, keys[i]->line, global ? NULL : keys[i]->section,
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
                             at ? "syntax error: " : "",
                             at ? at :
                             *e ? e :
                                  "syntax error");
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
/* What iniparser would misread without a word: refused as the admin's to fix. 0 or -EINVAL. */
static int text_refused(struct config *cfg, const char *file, const char *text, size_t size)
{
        size_t n = strlen(text);

        if (n != size) {
                config_error(cfg, file, 0, NULL, "contains NUL bytes: not a text file");
                return -EINVAL;
        }
        if (strncmp(text, "\xef\xbb\xbf", 3) == 0) {
                config_error(cfg, file, 1, NULL,
                             "starts with a UTF-8 byte-order mark (bytes EF BB BF), which "
                             "iniparser would read as part of the first line; save the file without it");
                return -EINVAL;
        }
        for (const char *p = text; (p = strchr(p, '\r')); p++)
                if (p[1] != '\n') {
                        config_error(cfg, file, 0, NULL,
                                     "has a carriage return that does not end a line: "
                                     "convert it with dos2unix or an editor");
                        return -EINVAL;
                }
        while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ' || text[n - 1] == '\t'))
                n--;
        if (n > 0 && text[n - 1] == '\\') {
                config_error(cfg, file, 0, NULL,
                             "the last line ends with a backslash (a continuation "
                             "with nothing to continue): remove it");
                return -EINVAL;
        }
        return 0;
}

/* A configuration file's text, if it is a regular file root could trust, of at most 4 MiB, and
 * text that iniparser reads as written; else NULL, with the error recorded. */
static char *config_text(struct config *cfg, const char *file)
{
        char *reason = NULL, *text = NULL;
        struct stat st;
        size_t n = 0;
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
        r = read_file(file, 4 * 1024 * 1024, &text, &n);
        if (r < 0) {
                config_error(cfg, file, 0, NULL, "cannot read: %s%s", strerror(-r), r == -EFBIG ? " (over 4 MiB)" : "");
                return NULL;
        }
        if (text_refused(cfg, file, text, n) < 0) {
                free(text);
                return NULL;
        }
        return text;
}

static dictionary *ini_open(struct config *cfg, const char *file, struct locations *loc)
{
        char *text = config_text(cfg, file);
        size_t headers = 0;
        dictionary *d;

        if (!text)
                return NULL;
        /* iniparser inserts each key with a scan of all the keys before it: count the sections
         * first, so that a file of ten thousand steps is refused at once, not parsed in seconds */
        locate(text, loc);
        for (size_t i = 0; i < loc->n; i++)
                headers += !loc->v[i].key;
        if (headers > XHAFW_MAX_STEPS) {
                config_error(cfg, file, 0, NULL, "%zu sections: more than %d steps are not supported", headers,
                             XHAFW_MAX_STEPS);
                free(text);
                return NULL;
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
        s->vendor_conf_d = strdup_or_die(XHAFW_VENDOR_CONF_D);
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
                        config_error(cfg, file, line, NULL,
                                     "journal_runs = '%s': expected a number from 1 to "
                                     "100000",
                                     v);
                else
                        s->journal_runs = (unsigned) n;
        } else if (strcmp(key, "timeout") == 0 || strcmp(key, "grace") == 0 || strcmp(key, "max_clock_offset") == 0) {
                uint64_t ms;
                if (parse_duration_ms(v, &ms) < 0 || ms == 0)
                        config_error(cfg, file, line, NULL, "%s = '%s': expected a duration such as 500ms, 30s or 2m",
                                     key, v);
                else
                        *(strcmp(key, "timeout") == 0 ? &s->timeout_ms :
                          strcmp(key, "grace") == 0   ? &s->grace_ms :
                                                        &s->max_clock_offset_ms) = ms;
        } else if (strcmp(key, "peer") == 0) {
                /* a host name or address for ssh: no option of ssh's may hide in it */
                if (!*v || v[0] == '-' || strpbrk(v, " \t/"))
                        config_error(cfg, file, line, NULL,
                                     "peer = '%s': expected the other node's host name or "
                                     "address (as ssh takes it)",
                                     v);
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
                char **dst = strcmp(key, "conf_d") == 0        ? &s->conf_d :
                             strcmp(key, "vendor_conf_d") == 0 ? &s->vendor_conf_d :
                             strcmp(key, "plugin_path") == 0   ? &s->plugin_path :
                             strcmp(key, "state_dir") == 0     ? &s->state_dir :
                                                                 &s->path;
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
                        config_error(cfg, file, k->line, NULL, "key '%s' outside a section: put it under [xhafw]",
                                     k->key);
                else if (strcmp(k->section, "xhafw") == 0 && !in_list(global_keys, k->key))
                        config_error(cfg, file, k->line, NULL,
                                     "unknown key '%s' in [xhafw] (known: conf_d, plugin_path, "
                                     "state_dir, jobs, timeout, grace, path, service_manager, pass_env, peer, "
                                     "max_clock_offset, journal_runs, vendor_conf_d)",
                                     k->key);
        }
        for (const char *const *key = global_keys; *key; key++) {
                const char *v = ini_get(&loc, "xhafw", *key);
                if (!v)
                        continue;
                cfg->setting_line[key - global_keys] = line_of(&loc, "xhafw", *key);
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
        strv_free(st->conflicts);
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
const char *list_problem(const char *v, bool argv)
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
        case XHAFW_OPT_STRING: return NULL;
        case XHAFW_OPT_LIST:
        case XHAFW_OPT_ARGV: return list_problem(v, t == XHAFW_OPT_ARGV);
        case XHAFW_OPT_INT: return parse_int(v, &n) < 0 ? "an integer" : NULL;
        case XHAFW_OPT_BOOL: return parse_bool(v, &b) < 0 ? "yes or no" : NULL;
        case XHAFW_OPT_PATH: return v[0] != '/' ? "an absolute path" : NULL;
        case XHAFW_OPT_ADDRESS:
                return parse_address(v, NULL) < 0 ? "an IPv4 or IPv6 address, optionally with /prefix" : NULL;
        case XHAFW_OPT_INTERFACE:
                return !valid_interface_name(v) ? "a network interface name (at most 15 characters, no '/' or blanks)" :
                                                  NULL;
        case XHAFW_OPT_DURATION: return parse_duration_ms(v, &ms) < 0 ? "a duration such as 500ms, 30s or 2m" : NULL;
        }
        return "a known type";
}

/* ---- raw steps: every layer's keys of a step, before its plugin's schema applies ---- */

struct raw_entry {
        char *key, *value;
        const char *file; /* the config's own copy */
        unsigned line;
};

struct raw_step {
        char *name;
        const char *file; /* where it is defined */
        unsigned line;
        int layer; /* 0 shipped (vendor), 1 the site's */
        struct raw_entry *e;
        size_t n, cap;
};

struct raw_steps {
        struct raw_step *v;
        size_t n, cap;
        struct strmap index; /* name -> index + 1 */
};

/* The config's own copy of a file name: values and steps point at it for their messages. */
static const char *file_keep(struct config *cfg, const char *file)
{
        char **grown = realloc(cfg->files, (cfg->n_files + 1) * sizeof *grown);
        if (!grown)
                abort();
        cfg->files = grown;
        cfg->files[cfg->n_files] = strdup_or_die(file);
        return cfg->files[cfg->n_files++];
}

static void raw_add(struct raw_step *rs, const char *key, const char *value, const char *file, unsigned line)
{
        if (rs->n == rs->cap) {
                struct raw_entry *grown;
                rs->cap = rs->cap ? 2 * rs->cap : 8;
                grown = realloc(rs->e, rs->cap * sizeof *grown);
                if (!grown)
                        abort();
                rs->e = grown;
        }
        rs->e[rs->n++] = (struct raw_entry){ strdup_or_die(key), strdup_or_die(value ? value : ""), file, line };
}

/* The winning entry of a key: the last layer's (drop-ins after the file, the site after the
 * vendor); NULL when no layer sets it. */
static const struct raw_entry *raw_get(const struct raw_step *rs, const char *key)
{
        for (size_t i = rs->n; i > 0; i--)
                if (strcmp(rs->e[i - 1].key, key) == 0)
                        return &rs->e[i - 1];
        return NULL;
}

static void raw_steps_free(struct raw_steps *r)
{
        for (size_t i = 0; i < r->n; i++) {
                for (size_t k = 0; k < r->v[i].n; k++) {
                        free(r->v[i].e[k].key);
                        free(r->v[i].e[k].value);
                }
                free(r->v[i].e);
                free(r->v[i].name);
        }
        free(r->v);
        strmap_free(&r->index);
        memset(r, 0, sizeof *r);
}

static struct raw_step *raw_find(struct raw_steps *r, const char *name)
{
        void *v;
        return strmap_get(&r->index, name, &v) ? &r->v[(uintptr_t) v - 1] : NULL;
}

static struct raw_step *raw_new(struct raw_steps *r, const char *name, const char *file, unsigned line, int layer)
{
        struct raw_step *rs;
        if (r->n == r->cap) {
                struct raw_step *grown;
                r->cap = r->cap ? 2 * r->cap : 16;
                grown = realloc(r->v, r->cap * sizeof *grown);
                if (!grown)
                        abort();
                r->v = grown;
                /* the index stores positions, not pointers: nothing to redo */
        }
        rs = &r->v[r->n++];
        *rs = (struct raw_step){ .name = strdup_or_die(name), .file = file, .line = line, .layer = layer };
        strmap_put(&r->index, rs->name, (void *) (uintptr_t) r->n);
        return rs;
}

/* ---- steps: the raw keys resolved against the plugin's schema ---- */

static void step_options(struct config *cfg, struct xhafw_step *st, const struct raw_step *rs)
{
        const struct xhafw_option *schema = st->plugin->def->options;
        size_t n = 0;

        while (schema && schema[n].name)
                n++;
        st->opts = xcalloc(n, sizeof *st->opts);
        st->n_opts = n;
        for (size_t i = 0; i < n; i++) {
                struct step_option *o = &st->opts[i];
                const struct raw_entry *e = raw_get(rs, schema[i].name);
                const char *v = e ? e->value : NULL, *file = e ? e->file : st->file;
                unsigned line = e ? e->line : 0;
                const char *problem;

                o->schema = &schema[i];
                if (v && !*v)
                        v = NULL; /* "key =" with nothing: the default (or, for a required one, an error) */
                o->line = v ? line : 0;
                o->file = v ? file : NULL;
                if (!v && schema[i].default_value)
                        v = schema[i].default_value;
                if (!v) {
                        if (schema[i].required && st->enabled)
                                config_error(
                                        cfg, file, line ? line : st->line, st->name,
                                        "required option '%s' (%s) is %s: set it (`xhafw describe %s` explains it)",
                                        schema[i].name, option_type_name(schema[i].type), line ? "empty" : "missing",
                                        st->plugin_name);
                        continue;
                }
                problem = type_problem(schema[i].type, v);
                if (problem && st->enabled) {
                        config_error(cfg, o->file ? o->file : st->file, o->line ? o->line : st->line, st->name,
                                     "%s = '%s': expected %s", schema[i].name, v, problem);
                        continue;
                }
                o->value = strdup_or_die(v);
        }
}

/* A core key's value and, for messages, where it was set. */
static const char *core_key(const struct raw_step *rs, const char *key, const char **ret_file, unsigned *ret_line)
{
        const struct raw_entry *e = raw_get(rs, key);
        *ret_file = e ? e->file : rs->file;
        *ret_line = e ? e->line : rs->line;
        return e ? e->value : NULL;
}

/* Every key must be the core's or in the plugin's schema: a typo must not pass silently. */
static void unknown_keys(struct config *cfg, const struct xhafw_step *st, const struct raw_step *rs)
{
        for (size_t i = 0; i < rs->n; i++) {
                const struct raw_entry *k = &rs->e[i];
                const struct xhafw_option *o;
                bool known = false;
                if (in_list(step_keys, k->key))
                        continue;
                for (o = st->plugin->def->options; o && o->name; o++)
                        if (strcmp(o->name, k->key) == 0)
                                known = true;
                if (!known) {
                        char list[1024] = "";
                        size_t used = 0;
                        for (o = st->plugin->def->options; o && o->name && used < sizeof list - 70; o++)
                                used += (size_t) snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "",
                                                          o->name);
                        config_error(cfg, k->file, k->line, rs->name,
                                     "unknown key '%s' for plugin %s (its options: %s; "
                                     "core keys: plugin, after, timeout, critical, enabled, conflicts)",
                                     k->key, st->plugin_name, *list ? list : "none");
                }
        }
}

static void step_load(struct config *cfg, const struct raw_step *rs)
{
        const char *sec = rs->name, *file, *v;
        struct xhafw_step *st, **grown;
        unsigned line;

        if (cfg->n_steps >= XHAFW_MAX_STEPS) {
                if (cfg->n_ignored++ == 0)
                        config_error(cfg, rs->file, rs->line, sec, "more than %d steps: not supported",
                                     XHAFW_MAX_STEPS);
                return;
        }
        st = xcalloc(1, sizeof *st);
        st->name = strdup_or_die(sec);
        st->file = strdup_or_die(rs->file);
        st->line = rs->line;
        st->critical = st->enabled = true;
        st->timeout_ms = cfg->settings.timeout_ms;
        grown = realloc(cfg->steps, (cfg->n_steps + 1) * sizeof *grown);
        if (!grown)
                abort();
        cfg->steps = grown;
        cfg->steps[cfg->n_steps++] = st;
        strmap_put(&cfg->step_index, st->name, (void *) (uintptr_t) cfg->n_steps);
        for (size_t k = 0; k < STEP_CORE_KEYS; k++) {
                const struct raw_entry *e = raw_get(rs, step_keys[k]);
                if (e)
                        st->key_file[k] = e->file, st->key_line[k] = e->line;
        }

        v = core_key(rs, "plugin", &file, &line);
        st->plugin_name = strdup_or_die(v && *v ? v : sec);
        if ((v = core_key(rs, "enabled", &file, &line)) && parse_bool(v, &st->enabled) < 0)
                config_error(cfg, file, line, sec, "enabled = '%s': expected yes or no", v);
        if ((v = core_key(rs, "critical", &file, &line)) && parse_bool(v, &st->critical) < 0)
                config_error(cfg, file, line, sec, "critical = '%s': expected yes or no", v);
        if ((v = core_key(rs, "timeout", &file, &line)) &&
            (parse_duration_ms(v, &st->timeout_ms) < 0 || st->timeout_ms == 0))
                config_error(cfg, file, line, sec, "timeout = '%s': expected a duration such as 500ms, 30s or 2m", v);
        if ((v = core_key(rs, "after", &file, &line)) && list_problem(v, false))
                config_error(cfg, file, line, sec, "after = '%s': expected step names as %s", v,
                             list_problem(v, false));
        split_list(v, &st->after, &st->n_after);
        if ((v = core_key(rs, "conflicts", &file, &line)) && list_problem(v, false))
                config_error(cfg, file, line, sec, "conflicts = '%s': expected step names as %s", v,
                             list_problem(v, false));
        split_list(v, &st->conflicts, NULL);

        v = core_key(rs, "plugin", &file, &line);
        if (!valid_plugin_name(st->plugin_name)) {
                config_error(cfg, file, line, sec,
                             "plugin = '%s': not a valid plugin name "
                             "(letters, digits, '-', '_', '.'; no '/' or '..')",
                             st->plugin_name);
                return;
        }
        st->plugin = plugin_get(cfg, st->plugin_name);
        if (st->plugin->error) {
                if (st->enabled && cfg->lenient_plugins)
                        config_say(cfg, LOG_WARNING, "%s: %s:%u: %s", sec, file, line, st->plugin->error);
                else if (st->enabled)
                        config_error(cfg, file, line, sec, "%s", st->plugin->error);
                return;
        }
        unknown_keys(cfg, st, rs);
        step_options(cfg, st, rs);
}

/* ---- conf.d: layers, masks, drop-ins ---- */

static int conf_file_filter(const struct dirent *de)
{
        size_t n = strlen(de->d_name);
        return de->d_name[0] != '.' && n > 5 && strcmp(de->d_name + n - 5, ".conf") == 0;
}

static int dropin_dir_filter(const struct dirent *de)
{
        size_t n = strlen(de->d_name);
        return de->d_name[0] != '.' && n > 7 && strcmp(de->d_name + n - 7, ".conf.d") == 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

struct conf_file {
        char *name; /* what masks what: the file name, or "STEP.conf.d/NAME" for a drop-in */
        char *path;
        int layer;
};

struct conf_files {
        struct conf_file *v;
        size_t n;
};

static void conf_files_free(struct conf_files *f)
{
        for (size_t i = 0; i < f->n; i++) {
                free(f->v[i].name);
                free(f->v[i].path);
        }
        free(f->v);
        memset(f, 0, sizeof *f);
}

/* A site file masks the shipped one of its name; an empty one, or a link to /dev/null, also
 * disables it. */
static bool is_mask(const char *path)
{
        char target[64];
        struct stat st;
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n > 0) {
                target[n] = 0;
                if (strcmp(target, "/dev/null") == 0)
                        return true;
        }
        /* the file itself, not what a link points at: /proc files say size 0 too */
        return lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0;
}

/* Add (or, from a later layer, replace) the file NAME at PATH. */
static void conf_files_put(struct conf_files *f, const char *name, const char *path, int layer)
{
        struct conf_file *grown;
        for (size_t i = 0; i < f->n; i++)
                if (strcmp(f->v[i].name, name) == 0) {
                        free(f->v[i].path);
                        f->v[i].path = strdup_or_die(path);
                        f->v[i].layer = layer;
                        return;
                }
        grown = realloc(f->v, (f->n + 1) * sizeof *grown);
        if (!grown)
                abort();
        f->v = grown;
        f->v[f->n++] = (struct conf_file){ strdup_or_die(name), strdup_or_die(path), layer };
}

static int by_conf_name(const void *a, const void *b)
{
        return strcmp(((const struct conf_file *) a)->name, ((const struct conf_file *) b)->name);
}

/* A directory of the layers: refused if others could write it; missing is fine only when
 * optional (the vendor one, or the site's in a layered configuration). */
static bool conf_dir_usable(struct config *cfg, const char *dir, bool optional)
{
        char *reason = NULL;
        struct stat st;

        if (stat(dir, &st) < 0) {
                if (!(optional && errno == ENOENT))
                        config_error(cfg, dir, 0, NULL, "conf.d directory: %s (set conf_d or --conf-d)",
                                     strerror(errno));
                return false;
        }
        if (!S_ISDIR(st.st_mode)) {
                config_error(cfg, dir, 0, NULL, "conf.d is not a directory");
                return false;
        }
        if (check_owner_mode(dir, &reason) < 0) {
                config_error(cfg, dir, 0, NULL, "conf.d refused: %s", reason);
                free(reason);
                return false;
        }
        return true;
}

/* The files of one layer: its .conf files into main, those of its STEP.conf.d directories into dropins. */
static void conf_layer_list(struct config *cfg, const char *dir, int layer, struct conf_files *main,
                            struct conf_files *dropins)
{
        struct dirent **names = NULL;
        int n = scandir(dir, &names, conf_file_filter, by_name);

        if (n < 0) {
                config_error(cfg, dir, 0, NULL, "cannot list: %s", strerror(errno));
                return;
        }
        if (n > MAX_CONF_FILES)
                config_error(cfg, dir, 0, NULL, "more than %d files: not supported", MAX_CONF_FILES);
        for (int i = 0; i < n; i++) {
                char *path = xasprintf("%s/%s", dir, names[i]->d_name);
                if (i < MAX_CONF_FILES)
                        conf_files_put(main, names[i]->d_name, path, layer);
                free(path);
                free(names[i]);
        }
        free(names);
        n = scandir(dir, &names, dropin_dir_filter, by_name);
        for (int i = 0; i < n; i++) {
                char *sub = xasprintf("%s/%s", dir, names[i]->d_name);
                struct dirent **files = NULL;
                int m = conf_dir_usable(cfg, sub, false) ? scandir(sub, &files, conf_file_filter, by_name) : 0;
                for (int k = 0; k < m; k++) {
                        char *name = xasprintf("%s/%s", names[i]->d_name, files[k]->d_name);
                        char *path = xasprintf("%s/%s", sub, files[k]->d_name);
                        if (dropins->n < MAX_CONF_FILES)
                                conf_files_put(dropins, name, path, layer);
                        free(name);
                        free(path);
                        free(files[k]);
                }
                free(files);
                free(sub);
                free(names[i]);
        }
        free(names);
}

/* One file's sections into the raw steps: new steps, or (dropin, or a site file naming a shipped
 * step) keys over a step defined elsewhere. */
static void conf_file_read(struct config *cfg, struct raw_steps *raw, const struct conf_file *cf, bool dropin)
{
        struct locations loc = { 0 };
        const char *file = file_keep(cfg, cf->path);
        dictionary *d = ini_open(cfg, file, &loc);
        struct strmap seen = { 0 };

        if (!d) {
                locations_free(&loc);
                return;
        }
        for (size_t a = 0; a < loc.n; a++)
                if (loc.v[a].key && !*loc.v[a].section)
                        config_error(cfg, file, loc.v[a].line, NULL,
                                     "key '%s' outside a section: each [section] is a "
                                     "step",
                                     loc.v[a].key);
        for (size_t a = 0; a < loc.n && cfg->n_errors < 1000; a++) {
                const struct located *h = &loc.v[a];
                struct raw_step *rs;
                void *first;
                size_t to;

                if (h->key || !*h->section)
                        continue;
                /* iniparser merges a section written twice; a step is defined once per file */
                if (strmap_get(&seen, h->section, &first)) {
                        config_error(cfg, file, h->line, h->section, "defined twice: also on line %u of this file",
                                     ((const struct located *) first)->line);
                        continue;
                }
                strmap_put(&seen, h->section, (void *) h);
                if (!valid_step_name(h->section)) {
                        config_error(cfg, file, h->line, NULL,
                                     "'%s' is not a valid step name: use letters, digits, "
                                     "'-', '_' and '.' (at most 64)",
                                     h->section);
                        continue;
                }
                if (dropin) {
                        /* a drop-in sets keys of its directory's step, and of no other */
                        size_t dl =
                                strstr(cf->name, ".conf.d/") ? (size_t) (strstr(cf->name, ".conf.d/") - cf->name) : 0;
                        if (strlen(h->section) != dl || strncmp(cf->name, h->section, dl) != 0) {
                                config_error(cfg, file, h->line, h->section,
                                             "a drop-in in %.*s.conf.d may set keys of "
                                             "[%.*s] only: put this section in %s.conf.d",
                                             (int) dl, cf->name, (int) dl, cf->name, h->section);
                                continue;
                        }
                }
                rs = raw_find(raw, h->section);
                if (dropin && !rs) {
                        config_error(cfg, file, h->line, h->section,
                                     "a drop-in for a step that is defined nowhere: no "
                                     "conf.d file (%s%s%s) has [%s]; remove the drop-in or define the step",
                                     cfg->layered && cfg->settings.vendor_conf_d ? cfg->settings.vendor_conf_d : "",
                                     cfg->layered && cfg->settings.vendor_conf_d ? ", " : "", cfg->settings.conf_d,
                                     h->section);
                        continue;
                }
                if (!dropin && rs && !(cfg->layered && rs->layer == 0 && cf->layer == 1)) {
                        config_error(cfg, file, h->line, h->section,
                                     "defined twice: also in %s:%u; rename one or "
                                     "remove it",
                                     rs->file, rs->line);
                        continue;
                }
                if (!rs)
                        rs = raw_new(raw, h->section, file, h->line, cf->layer);
                for (to = a + 1; to < loc.n && loc.v[to].key; to++)
                        raw_add(rs, loc.v[to].key, ini_get(&loc, h->section, loc.v[to].key), file, loc.v[to].line);
        }
        strmap_free(&seen);
        iniparser_freedict(d);
        locations_free(&loc);
}

static void conf_d_load(struct config *cfg)
{
        struct conf_files main = { 0 }, dropins = { 0 };
        struct raw_steps raw = { 0 };
        const char *vendor = cfg->layered ? cfg->settings.vendor_conf_d : NULL;
        bool have_vendor = vendor && conf_dir_usable(cfg, vendor, true);
        bool have_site = conf_dir_usable(cfg, cfg->settings.conf_d, have_vendor);

        if (have_vendor)
                conf_layer_list(cfg, vendor, 0, &main, &dropins);
        if (have_site)
                conf_layer_list(cfg, cfg->settings.conf_d, 1, &main, &dropins);
        if (cfg->layered && !have_vendor && !have_site && cfg->n_errors == 0)
                config_error(cfg, cfg->settings.conf_d, 0, NULL, "conf.d directory: neither it nor %s exists",
                             vendor ? vendor : "a shipped conf.d");
        if (main.n)
                qsort(main.v, main.n, sizeof *main.v, by_conf_name);
        if (dropins.n)
                qsort(dropins.v, dropins.n, sizeof *dropins.v, by_conf_name);
        /* the vendor files first (in name order), then the site's: a site file may set keys of a
         * shipped step; a site file of the same name as a shipped one replaced it above */
        for (int layer = 0; layer <= 1; layer++)
                for (size_t i = 0; i < main.n; i++)
                        if (main.v[i].layer == layer && !(cfg->layered && is_mask(main.v[i].path)))
                                conf_file_read(cfg, &raw, &main.v[i], false);
        for (size_t i = 0; i < dropins.n; i++)
                if (!(cfg->layered && is_mask(dropins.v[i].path)))
                        conf_file_read(cfg, &raw, &dropins.v[i], true);
        for (size_t i = 0; i < raw.n && cfg->n_errors < 1000; i++)
                step_load(cfg, &raw.v[i]);
        raw_steps_free(&raw);
        conf_files_free(&main);
        conf_files_free(&dropins);
}

/* ---- cat-config ---- */

/* A step's core keys as resolved, each with where it was read or "default". */
static void print_core_keys(const struct xhafw_step *st, FILE *out)
{
        char after[512] = "", conflicts[512] = "", timeout[32];
        size_t used = 0;

        for (size_t a = 0; a < st->n_after && used < sizeof after - 2; a++)
                used += (size_t) snprintf(after + used, sizeof after - used, "%s%s", a ? ", " : "", st->after[a]);
        used = 0;
        for (size_t a = 0; st->conflicts && st->conflicts[a] && used < sizeof conflicts - 2; a++)
                used += (size_t) snprintf(conflicts + used, sizeof conflicts - used, "%s%s", a ? ", " : "",
                                          st->conflicts[a]);
        snprintf(timeout, sizeof timeout, "%llums", (unsigned long long) st->timeout_ms);
        {
                /* in the order of step_keys */
                const char *values[STEP_CORE_KEYS] = {
                        st->plugin_name, after, timeout, st->critical ? "yes" : "no", st->enabled ? "yes" : "no",
                        conflicts,
                };
                for (size_t k = 0; k < STEP_CORE_KEYS; k++) {
                        fprintf(out, "%-16s = %-40s ; ", step_keys[k], values[k]);
                        if (st->key_file[k])
                                fprintf(out, "%s:%u\n", st->key_file[k], st->key_line[k]);
                        else
                                fprintf(out, "%s\n",
                                        k == 0 ? "default: the section's name" :
                                        k == 2 ? "default: xhafw.conf's timeout" :
                                                 "default");
                }
        }
}

void config_print(const struct config *cfg, FILE *out)
{
        const struct settings *s = &cfg->settings;

        fprintf(out, "# %s%s\n[xhafw]\n", s->config_file ? s->config_file : "(no xhafw.conf)",
                cfg->layered ? "" : "  (conf.d read alone: no shipped layer)");
        for (const char *const *key = global_keys; *key; key++) {
                size_t k = (size_t) (key - global_keys);
                char where[512];
                if (cfg->setting_cli[k])
                        snprintf(where, sizeof where, "the command line");
                else if (cfg->setting_line[k])
                        snprintf(where, sizeof where, "%s:%u", s->config_file, cfg->setting_line[k]);
                else
                        snprintf(where, sizeof where, "default");
                if (strcmp(*key, "conf_d") == 0)
                        fprintf(out, "%-16s = %-40s ; %s\n", *key, s->conf_d, where);
                else if (strcmp(*key, "vendor_conf_d") == 0)
                        fprintf(out, "%-16s = %-40s ; %s\n", *key,
                                cfg->layered && s->vendor_conf_d ? s->vendor_conf_d : "(not layered)", where);
                else if (strcmp(*key, "plugin_path") == 0)
                        fprintf(out, "%-16s = %-40s ; %s\n", *key, s->plugin_path, where);
                else if (strcmp(*key, "state_dir") == 0)
                        fprintf(out, "%-16s = %-40s ; %s\n", *key, s->state_dir, where);
                else if (strcmp(*key, "jobs") == 0)
                        fprintf(out, "%-16s = %-40u ; %s\n", *key, s->jobs, where);
                else if (strcmp(*key, "timeout") == 0 || strcmp(*key, "grace") == 0 ||
                         strcmp(*key, "max_clock_offset") == 0) {
                        char v[32];
                        snprintf(v, sizeof v, "%llums",
                                 (unsigned long long) (strcmp(*key, "timeout") == 0 ? s->timeout_ms :
                                                       strcmp(*key, "grace") == 0   ? s->grace_ms :
                                                                                      s->max_clock_offset_ms));
                        fprintf(out, "%-16s = %-40s ; %s\n", *key, v, where);
                } else if (strcmp(*key, "path") == 0)
                        fprintf(out, "%-16s = %-40s ; %s\n", *key, s->path, where);
                else if (strcmp(*key, "peer") == 0)
                        fprintf(out, "%-16s = %-40s ; %s\n", *key, s->peer ? s->peer : "", where);
                else if (strcmp(*key, "service_manager") == 0 || strcmp(*key, "pass_env") == 0) {
                        char *const *v = strcmp(*key, "service_manager") == 0 ? s->service_manager : s->pass_env;
                        char buf[512] = "";
                        size_t used = 0;
                        for (size_t i = 0; v && v[i] && used < sizeof buf - 2; i++)
                                used += (size_t) snprintf(buf + used, sizeof buf - used, "%s%s", i ? ", " : "", v[i]);
                        fprintf(out, "%-16s = %-40s ; %s\n", *key, buf, where);
                }
        }
        for (size_t k = 0; k < cfg->n_steps; k++) {
                const struct xhafw_step *st = cfg->steps[k];
                fprintf(out, "\n# step %s, defined at %s:%u\n[%s]\n", st->name, st->file, st->line, st->name);
                print_core_keys(st, out);
                for (size_t i = 0; i < st->n_opts; i++) {
                        const struct step_option *o = &st->opts[i];
                        char where[512];
                        if (o->file)
                                snprintf(where, sizeof where, "%s:%u", o->file, o->line);
                        else
                                snprintf(where, sizeof where, "%s", o->value ? "default" : "not set");
                        fprintf(out, "%-16s = %-40s ; %s\n", o->schema->name, o->value ? o->value : "", where);
                }
        }
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
        /* The shipped layer goes under the site's unless one directory is read alone: --conf-d
         * always, conf_d in xhafw.conf unless vendor_conf_d is named there too (tests, a site that
         * keeps everything in one place). */
        cfg->layered = !(ov && ov->conf_d) &&
                       (!cfg->setting_line[global_index("conf_d")] || cfg->setting_line[global_index("vendor_conf_d")]);
        if (ov) {
                cfg->setting_cli[global_index("conf_d")] = ov->conf_d != NULL;
                cfg->setting_cli[global_index("plugin_path")] = ov->plugin_path != NULL;
                cfg->setting_cli[global_index("state_dir")] = ov->state_dir != NULL;
                cfg->setting_cli[global_index("jobs")] = ov->jobs != 0;
                const struct {
                        const char *option, *key, *value;
                        char **dst;
                } given[] = {
                        { "--conf-d", "conf_d", ov->conf_d, &cfg->settings.conf_d },
                        { "--plugin-path", "plugin_path", ov->plugin_path, &cfg->settings.plugin_path },
                        { "--state-dir", "state_dir", ov->state_dir, &cfg->settings.state_dir },
                };
                for (size_t k = 0; k < sizeof given / sizeof given[0]; k++) {
                        const char *problem =
                                given[k].value ? path_setting_problem(given[k].key, given[k].value) : NULL;
                        if (problem) {
                                config_say(cfg, LOG_ERR, "%s '%s': %s", given[k].option, given[k].value, problem);
                                cfg->n_errors++;
                        } else if (given[k].value)
                                set_str(given[k].dst, given[k].value);
                }
                if (ov->jobs)
                        cfg->settings.jobs = ov->jobs;
        }
        if (cfg->n_errors == 0) {
                conf_d_load(cfg);
                if (cfg->n_errors == 0 && cfg->n_steps == 0)
                        config_error(cfg, cfg->settings.conf_d, 0, NULL,
                                     "no steps: add *.conf files with one [section] per step");
                /* also after errors in the steps: every error is reported in one go, an unknown
                 * `after` name or a cycle with the rest */
                if (cfg->n_steps)
                        graph_build(cfg);
        }
        /* Steps that must not both run (postgres and mariadb would both start on every takeover):
         * both enabled is the admin's to settle. */
        for (size_t i = 0; i < cfg->n_steps && cfg->n_errors == 0; i++) {
                const struct xhafw_step *st = cfg->steps[i];
                for (char **c = st->conflicts; st->enabled && c && *c; c++) {
                        const struct xhafw_step *other = config_find_step(cfg, *c);
                        if (!other)
                                config_error(cfg, st->file, st->line, st->name, "conflicts = %s: no step is named '%s'",
                                             *c, *c);
                        else if (other->enabled)
                                config_error(cfg, st->file, st->line, st->name,
                                             "is enabled, and so is %s (%s:%u), which "
                                             "it conflicts with: disable one (enabled = no)",
                                             other->name, other->file, other->line);
                }
        }
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
        for (size_t i = 0; i < cfg->n_files; i++)
                free(cfg->files[i]);
        free(cfg->files);
        settings_free(s);
        memset(cfg, 0, sizeof *cfg);
}

void settings_free(struct settings *s)
{
        free(s->config_file);
        free(s->conf_d);
        free(s->vendor_conf_d);
        free(s->plugin_path);
        free(s->state_dir);
        free(s->path);
        free(s->peer);
        strv_free(s->service_manager);
        strv_free(s->pass_env);
        memset(s, 0, sizeof *s);
}
