/* The journal (core/journal.c), called directly on a temporary state dir: what a run writes, how an
 * unfinished run is found, how the files rotate and are pruned, and what a damaged file does. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"
#include "journal.h"
#include "testlib.h"

static char *dir, *state;
static struct settings settings;

static void setup(void)
{
        dir = tl_mkdtemp();
        tl_settings(&settings, dir);
        state = xasprintf("%s/state", dir);
        ck_assert_int_eq(mkdir_p(state, 0700), 0);
}

static void teardown(void)
{
        tl_settings_free(&settings);
        tl_rmtree(dir);
        free(dir);
        free(state);
}

static char *state_file(const char *name)
{
        return xasprintf("%s/%s", state, name);
}

static char *read_state(const char *name)
{
        char *p = state_file(name), *t = tl_read(p);
        free(p);
        return t;
}

static bool exists(const char *name)
{
        char *p = state_file(name);
        bool r = access(p, F_OK) == 0;
        free(p);
        return r;
}

/* The lines of TEXT (without their newlines), NULL-terminated; the count in *ret_n. */
static char **lines_of(const char *text, size_t *ret_n)
{
        char **v = xcalloc(1, sizeof *v);
        size_t n = 0;
        for (const char *p = text, *nl; p && *p; p = nl ? nl + 1 : NULL) {
                nl = strchr(p, '\n');
                v = realloc(v, (n + 2) * sizeof *v);
                ck_assert_ptr_nonnull(v);
                v[n++] = nl ? strndup(p, (size_t) (nl - p)) : strdup_or_die(p);
                v[n] = NULL;
        }
        *ret_n = n;
        return v;
}

/* A run as the journal writes it, by hand: its start (detail TAG), a step line, and its end. */
static char *run_lines(const char *tag, bool ended)
{
        return xasprintf("{\"time\":\"2024-01-01T00:00:00.000Z\",\"pid\":1,\"event\":\"run-start\",\"detail\":\"%s\"}\n"
                         "{\"time\":\"2024-01-01T00:00:01.000Z\",\"pid\":1,\"event\":\"step-applied\",\"step\":\"a\"}\n"
                         "%s",
                         tag,
                         ended ? "{\"time\":\"2024-01-01T00:00:02.000Z\",\"pid\":1,\"event\":\"run-end\",\"detail\":"
                                 "\"ok\"}\n" :
                                 "");
}

/* Write state/NAME holding the ended runs TAGS (comma-separated), oldest first. */
static void write_runs(const char *name, const char *tags)
{
        char **v = NULL, *text = strdup_or_die("");
        size_t n = 0;
        split_list(tags, &v, &n);
        for (size_t i = 0; i < n; i++) {
                char *run = run_lines(v[i], true), *t = xasprintf("%s%s", text, run);
                free(run);
                free(text);
                text = t;
        }
        tl_write(state, name, text);
        free(text);
        strv_free(v);
}

static const char *get_string(struct json_object *o, const char *key)
{
        struct json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string) ?
                       json_object_get_string(v) :
                       NULL;
}

/* The details of the run-start lines of state/NAME, comma-separated ("" if none, NULL if no file). */
static char *runs_in(const char *name)
{
        char *t = read_state(name), *out;
        char **lines;
        size_t n;

        if (!t)
                return NULL;
        out = strdup_or_die("");
        lines = lines_of(t, &n);
        for (size_t i = 0; i < n; i++) {
                struct json_object *o = json_tokener_parse(lines[i]), *d;
                const char *e = o ? get_string(o, "event") : NULL;
                if (e && strcmp(e, "run-start") == 0 && json_object_object_get_ex(o, "detail", &d)) {
                        char *grown = xasprintf("%s%s%s", out, *out ? "," : "", json_object_get_string(d));
                        free(out);
                        out = grown;
                }
                if (o)
                        json_object_put(o);
        }
        strv_free(lines);
        free(t);
        return out;
}

static void add_step(struct config *cfg, const char *name, const char *after, bool enabled)
{
        struct xhafw_step *st = xcalloc(1, sizeof *st);
        size_t n = 0;
        cfg->steps = realloc(cfg->steps, (cfg->n_steps + 1) * sizeof *cfg->steps);
        ck_assert_ptr_nonnull(cfg->steps);
        st->name = strdup_or_die(name);
        st->enabled = enabled;
        if (after)
                split_list(after, &st->after, &n);
        else
                st->after = xcalloc(1, sizeof *st->after);
        st->n_after = n;
        cfg->steps[cfg->n_steps++] = st;
}


/* A run's lines: one JSON object per line, with the fields each kind of line has. */
START_TEST(test_events)
{
        struct config cfg;
        struct json_object *o, *after, *v;
        char *text, **lines, host[256] = "";
        size_t n;
        struct stat st;
        char *path = state_file("journal");
        const char *detail = "said \"no\"\nthen left\t\\";

        memset(&cfg, 0, sizeof cfg);
        cfg.settings.jobs = 7;
        add_step(&cfg, "a", NULL, true);
        add_step(&cfg, "b", "a", true);
        add_step(&cfg, "off", "a", false);
        add_step(&cfg, "c", "a, b", true);

        ck_assert_int_eq(journal_open(&settings), 0);
        journal_run_start(&cfg, "activate");
        journal_event("step-start", "a", NULL);
        journal_event("step-applied", "a", detail);
        journal_sync();
        journal_event("run-end", NULL, "ok");
        journal_close();
        config_free(&cfg);

        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0600);
        text = tl_read(path);
        ck_assert_ptr_nonnull(text);
        ck_assert_uint_eq(text[strlen(text) - 1], '\n');
        lines = lines_of(text, &n);
        ck_assert_uint_eq(n, 4);
        for (size_t i = 0; i < n; i++) {
                const char *t;
                o = json_tokener_parse(lines[i]);
                ck_assert_msg(o && json_object_is_type(o, json_type_object), "line %zu is not an object: %s", i,
                              lines[i]);
                t = get_string(o, "time");
                ck_assert_msg(t && strlen(t) == 24 && t[10] == 'T' && t[23] == 'Z', "line %zu: time %s", i, t);
                ck_assert(json_object_object_get_ex(o, "pid", &v));
                ck_assert_int_eq(json_object_get_int(v), getpid());
                ck_assert_ptr_nonnull(get_string(o, "event"));
                json_object_put(o);
        }

        o = json_tokener_parse(lines[0]);
        ck_assert_str_eq(get_string(o, "event"), "run-start");
        ck_assert_str_eq(get_string(o, "detail"), "activate");
        ck_assert(!json_object_object_get_ex(o, "step", NULL));
        ck_assert_int_eq(gethostname(host, sizeof host - 1), 0);
        ck_assert_str_eq(get_string(o, "host"), host);
        ck_assert(json_object_object_get_ex(o, "jobs", &v));
        ck_assert_int_eq(json_object_get_int(v), 7);
        /* the graph of the enabled steps, each with its after names */
        ck_assert(json_object_object_get_ex(o, "after", &after));
        ck_assert_int_eq(json_object_object_length(after), 3);
        ck_assert(!json_object_object_get_ex(after, "off", NULL));
        ck_assert(json_object_object_get_ex(after, "a", &v));
        ck_assert_uint_eq(json_object_array_length(v), 0);
        ck_assert(json_object_object_get_ex(after, "c", &v));
        ck_assert_uint_eq(json_object_array_length(v), 2);
        ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(v, 0)), "a");
        ck_assert_str_eq(json_object_get_string(json_object_array_get_idx(v, 1)), "b");
        json_object_put(o);

        o = json_tokener_parse(lines[1]);
        ck_assert_str_eq(get_string(o, "event"), "step-start");
        ck_assert_str_eq(get_string(o, "step"), "a");
        ck_assert(!json_object_object_get_ex(o, "detail", NULL));
        json_object_put(o);

        /* a detail with quotes, a newline and a backslash stays on its line and reads back whole */
        o = json_tokener_parse(lines[2]);
        ck_assert_str_eq(get_string(o, "event"), "step-applied");
        ck_assert_str_eq(get_string(o, "detail"), detail);
        json_object_put(o);

        o = json_tokener_parse(lines[3]);
        ck_assert_str_eq(get_string(o, "event"), "run-end");
        ck_assert(!json_object_object_get_ex(o, "step", NULL));
        json_object_put(o);

        strv_free(lines);
        free(text);
        free(path);
}
END_TEST

/* A second open appends to what is there. */
START_TEST(test_appends)
{
        ck_assert_int_eq(journal_open(&settings), 0);
        journal_event("run-start", NULL, "one");
        journal_close();
        ck_assert_int_eq(journal_open(&settings), 0);
        journal_event("run-start", NULL, "two");
        journal_close();
        char *runs = runs_in("journal");
        ck_assert_str_eq(runs, "one,two");
        free(runs);
}
END_TEST

/* A journal that cannot be opened: the error, and no line goes anywhere afterwards. */
START_TEST(test_open_fails)
{
        char *path = state_file("journal"), *target = xasprintf("%s/elsewhere", dir), *t;

        /* no state dir */
        tl_rmtree(state);
        ck_assert_int_eq(journal_open(&settings), -ENOENT);
        journal_event("run-start", NULL, "lost");
        journal_sync();
        journal_close();
        ck_assert_int_eq(access(path, F_OK), -1);

        /* a symlink is not followed: the file it points at stays as it is */
        ck_assert_int_eq(mkdir_p(state, 0700), 0);
        tl_write(dir, "elsewhere", "keep me\n");
        ck_assert_int_eq(symlink(target, path), 0);
        ck_assert_int_eq(journal_open(&settings), -ELOOP);
        journal_event("run-start", NULL, "lost");
        journal_close();
        t = tl_read(target);
        ck_assert_str_eq(t, "keep me\n");
        free(t);
        ck_assert_int_eq(unlink(path), 0);

        /* a directory */
        ck_assert_int_eq(mkdir(path, 0700), 0);
        ck_assert_int_eq(journal_open(&settings), -EISDIR);
        journal_close();
        ck_assert_ptr_null(journal_unfinished_run(&settings));

        free(path);
        free(target);
}
END_TEST

/* A crash while a line was written leaves it torn: the next open ends it, so the next line is a
 * line of its own, and the torn line counts for nothing. */
START_TEST(test_torn_last_line)
{
        char *start = run_lines("crashed", false), *torn = xasprintf("%s{\"time\":\"2024-01-01T00:00:03", start);
        char *text, **lines, *run;
        size_t n;

        tl_write(state, "journal", torn);
        run = journal_unfinished_run(&settings);
        ck_assert_ptr_nonnull(run);
        ck_assert_ptr_nonnull(strstr(run, "\"detail\":\"crashed\""));
        free(run);

        ck_assert_int_eq(journal_open(&settings), 0);
        journal_event("run-start", NULL, "next");
        journal_close();
        text = read_state("journal");
        ck_assert_uint_eq(strncmp(text, torn, strlen(torn)), 0);
        ck_assert_uint_eq(text[strlen(torn)], '\n');
        lines = lines_of(text, &n);
        ck_assert_uint_eq(n, 4);
        ck_assert_str_eq(lines[2], "{\"time\":\"2024-01-01T00:00:03");
        ck_assert_ptr_nonnull(strstr(lines[3], "\"detail\":\"next\""));
        run = journal_unfinished_run(&settings);
        ck_assert_ptr_nonnull(strstr(run, "\"detail\":\"next\""));
        free(run);

        strv_free(lines);
        free(text);
        free(start);
        free(torn);
}
END_TEST

/* An open on a journal that ends properly adds no blank line. */
START_TEST(test_no_blank_line)
{
        char *text;
        write_runs("journal", "old");
        ck_assert_int_eq(journal_open(&settings), 0);
        journal_close();
        text = read_state("journal");
        ck_assert_ptr_null(strstr(text, "\n\n"));
        free(text);
}
END_TEST

#define START(tag) "{\"event\":\"run-start\",\"detail\":\"" tag "\"}\n"
#define END "{\"event\":\"run-end\"}\n"
#define STEP "{\"event\":\"step-applied\",\"step\":\"a\"}\n"

static const struct {
        const char *name;
        const char *journal;    /* NULL: no file */
        const char *unfinished; /* the detail of the run found, NULL: none */
} unfinished_cases[] = {
        { "no journal", NULL, NULL },
        { "empty journal", "", NULL },
        { "a run that ended", START("one") STEP END, NULL },
        { "a run that did not end", START("one") STEP, "one" },
        { "only a start", START("one"), "one" },
        { "the last of several", START("one") END START("two") STEP END START("three") STEP, "three" },
        { "a crash, then a run that ended", START("one") STEP START("two") END, NULL },
        { "two crashes: the last", START("one") STEP START("two") STEP, "two" },
        { "a torn end does not end it", START("one") STEP "{\"event\":\"run-e", "one" },
        { "a torn start is not a run", START("one") END "{\"event\":\"run-start\",\"deta", NULL },
        { "lines that are not events", START("one") "garbage\n5\n[1,2]\n\"run-end\"\n{}\n{\"event\":5}\n", "one" },
        { "an event that is not a string", START("one") "{\"event\":null}\n{\"event\":[\"run-end\"]}\n", "one" },
        { "no final newline", START("one") "{\"event\":\"run-end\"}", NULL },
        { "blank lines", "\n\n" START("one") "\n\n", "one" },
};

START_TEST(test_unfinished)
{
        char *run, *p = state_file("journal");

        if (unfinished_cases[_i].journal)
                tl_write(state, "journal", unfinished_cases[_i].journal);
        run = journal_unfinished_run(&settings);
        if (!unfinished_cases[_i].unfinished)
                ck_assert_msg(run == NULL, "%s: found %s", unfinished_cases[_i].name, run);
        else {
                char *want = xasprintf("{\"event\":\"run-start\",\"detail\":\"%s\"}", unfinished_cases[_i].unfinished);
                ck_assert_msg(run && strcmp(run, want) == 0, "%s: found %s, not %s", unfinished_cases[_i].name,
                              run ? run : "nothing", want);
                free(want);
        }
        free(run);
        free(p);
}
END_TEST

/* A journal longer than the tail read: the last run is found past a first line cut in half. */
START_TEST(test_unfinished_big)
{
        size_t n = 0, cap = 3 * 1024 * 1024;
        char *text = xcalloc(cap, 1), *run;

        while (n < 2 * 1024 * 1024)
                n += (size_t) snprintf(text + n, cap - n, START("old") STEP STEP END);
        n += (size_t) snprintf(text + n, cap - n, START("last") STEP);
        tl_write(state, "journal", text);
        run = journal_unfinished_run(&settings);
        ck_assert_ptr_nonnull(run);
        ck_assert_str_eq(run, "{\"event\":\"run-start\",\"detail\":\"last\"}");
        free(run);

        /* and one that ended is not reported */
        snprintf(text + n, cap - n, END);
        tl_write(state, "journal", text);
        ck_assert_ptr_null(journal_unfinished_run(&settings));
        free(text);
}
END_TEST

/* The files, newest first: journal, then journal.N by number (not by name); names that are not
 * ours are left out. */
START_TEST(test_files)
{
        static const char *const present[] = { "journal.10", "journal.2",  "journal.9",    "journal.1",
                                               "journal.0",  "journal.01", "journal.1.gz", "journal.old",
                                               "journal.",   "journalx",   "journal.3x",   "journal.99999999" };
        static const char *const expect[] = { "journal", "journal.1", "journal.2", "journal.9", "journal.10" };
        char **paths;
        size_t n;

        /* nothing yet, or no state dir at all */
        ck_assert_uint_eq(journal_files(state, &paths), 0);
        ck_assert_ptr_null(paths[0]);
        strv_free(paths);
        {
                char *missing = xasprintf("%s/missing", dir);
                ck_assert_uint_eq(journal_files(missing, &paths), 0);
                ck_assert_ptr_null(paths[0]);
                strv_free(paths);
                free(missing);
        }

        for (size_t i = 0; i < sizeof present / sizeof present[0]; i++)
                tl_write(state, present[i], "");
        /* rotated files only, while the current one is missing */
        n = journal_files(state, &paths);
        ck_assert_uint_eq(n, 4);
        for (size_t i = 0; i < n; i++) {
                char *want = state_file(expect[i + 1]);
                ck_assert_str_eq(paths[i], want);
                free(want);
        }
        ck_assert_ptr_null(paths[n]);
        strv_free(paths);

        tl_write(state, "journal", "");
        n = journal_files(state, &paths);
        ck_assert_uint_eq(n, 5);
        for (size_t i = 0; i < n; i++) {
                char *want = state_file(expect[i]);
                ck_assert_str_eq(paths[i], want);
                free(want);
        }
        ck_assert_ptr_null(paths[n]);
        strv_free(paths);
}
END_TEST

/* Rotation by size: below the size nothing moves; at it, every file moves up one number. */
START_TEST(test_rotate_size)
{
        char *runs;

        write_runs("journal", "c");
        write_runs("journal.1", "b");
        write_runs("journal.2", "a");
        {
                char *t = read_state("journal");
                off_t size = (off_t) strlen(t);
                free(t);
                ck_assert_int_eq(journal_rotate(state, 100, size + 1), 0);
                ck_assert(exists("journal") && exists("journal.1") && exists("journal.2") && !exists("journal.3"));
                ck_assert_int_eq(journal_rotate(state, 100, size), 0);
        }
        ck_assert(!exists("journal"));
        runs = runs_in("journal.1");
        ck_assert_str_eq(runs, "c");
        free(runs);
        runs = runs_in("journal.2");
        ck_assert_str_eq(runs, "b");
        free(runs);
        runs = runs_in("journal.3");
        ck_assert_str_eq(runs, "a");
        free(runs);

        /* the next run starts a new journal; nothing to rotate while it is missing */
        ck_assert_int_eq(journal_rotate(state, 100, 1), 0);
        ck_assert(!exists("journal") && exists("journal.3") && !exists("journal.4"));
}
END_TEST

/* Pruning to `keep` runs across the files, newest first. */
static const struct {
        const char *name;
        const char *before[4]; /* journal, journal.1, journal.2, journal.3: the runs in each */
        unsigned keep;
        const char *after[4]; /* NULL: the file is gone */
} prune_cases[] = {
        { "fewer runs than kept", { "a,b", "", NULL, NULL }, 5, { "a,b", "", NULL, NULL } },
        { "exactly as many", { "c,d", "a,b", NULL, NULL }, 4, { "c,d", "a,b", NULL, NULL } },
        { "the current file loses its oldest", { "a,b,c,d,e", NULL, NULL, NULL }, 3, { "c,d,e", NULL, NULL, NULL } },
        { "keep one", { "a,b,c", NULL, NULL, NULL }, 1, { "c", NULL, NULL, NULL } },
        { "the count is reached in an older file", { "e,f", "c,d", "a,b", NULL }, 3, { "e,f", "d", NULL, NULL } },
        { "the count is reached at a file's end", { "e,f", "c,d", "a,b", "z" }, 4, { "e,f", "c,d", NULL, NULL } },
        { "reached in the current file: the rotated ones go",
          { "c,d,e", "b", "a", NULL },
          2,
          { "d,e", NULL, NULL, NULL } },
        { "an empty current file", { "", "c,d", "a,b", NULL }, 3, { "", "c,d", "b", NULL } },
};

START_TEST(test_prune)
{
        static const char *const names[] = { "journal", "journal.1", "journal.2", "journal.3" };
        for (size_t f = 0; f < 4; f++)
                if (prune_cases[_i].before[f])
                        write_runs(names[f], prune_cases[_i].before[f]);
        ck_assert_int_eq(journal_rotate(state, prune_cases[_i].keep, XHAFW_JOURNAL_ROTATE_SIZE), 0);
        for (size_t f = 0; f < 4; f++) {
                char *runs = runs_in(names[f]);
                if (!prune_cases[_i].after[f])
                        ck_assert_msg(runs == NULL, "%s: %s still there, with %s", prune_cases[_i].name, names[f],
                                      runs);
                else
                        ck_assert_msg(runs && strcmp(runs, prune_cases[_i].after[f]) == 0,
                                      "%s: %s has runs '%s', not '%s'", prune_cases[_i].name, names[f],
                                      runs ? runs : "(no file)", prune_cases[_i].after[f]);
                free(runs);
        }
}
END_TEST

/* A pruned file keeps its newest runs byte for byte, from the start line on. */
START_TEST(test_prune_bytes)
{
        char *a = run_lines("a", true), *b = run_lines("b", true), *c = run_lines("c", false);
        char *all = xasprintf("%s%s%s", a, b, c), *want = xasprintf("%s%s", b, c), *text;
        struct stat st;
        char *path = state_file("journal");

        tl_write(state, "journal", all);
        ck_assert_int_eq(journal_rotate(state, 2, XHAFW_JOURNAL_ROTATE_SIZE), 0);
        text = read_state("journal");
        ck_assert_str_eq(text, want);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0600);
        free(text);
        free(path);
        free(a);
        free(b);
        free(c);
        free(all);
        free(want);
}
END_TEST

/* A file that cannot be read stops the pruning there, ", ignoring": older files stay. */
START_TEST(test_prune_unreadable)
{
        char *p = state_file("journal.1"), *runs;

        write_runs("journal", "d");
        ck_assert_int_eq(mkdir(p, 0700), 0);
        write_runs("journal.2", "a,b,c");
        ck_assert_int_eq(journal_rotate(state, 2, XHAFW_JOURNAL_ROTATE_SIZE), 0);
        runs = runs_in("journal");
        ck_assert_str_eq(runs, "d");
        free(runs);
        runs = runs_in("journal.2");
        ck_assert_str_eq(runs, "a,b,c");
        free(runs);
        free(p);
}
END_TEST

/* A torn run start (a crash, then the next open ended the line) is not a run to keep. */
START_TEST(test_prune_torn_start)
{
        char *a = run_lines("a", true), *b = run_lines("b", true);
        char *text = xasprintf("%s%s{\"time\":\"x\",\"pid\":1,\"event\":\"run-start\",\"deta\n", a, b), *t;

        tl_write(state, "journal", text);
        ck_assert_int_eq(journal_rotate(state, 1, XHAFW_JOURNAL_ROTATE_SIZE), 0);
        t = read_state("journal");
        ck_assert_msg(strstr(t, "\"detail\":\"b\""), "the last whole run is gone: %s", t);
        ck_assert_ptr_null(strstr(t, "\"detail\":\"a\""));
        free(t);
        free(a);
        free(b);
        free(text);
}
END_TEST

/* journal_close() rotates and keeps settings.journal_runs runs. */
START_TEST(test_close_prunes)
{
        char *runs;
        settings.journal_runs = 2;
        for (int i = 0; i < 4; i++) {
                char tag[8];
                snprintf(tag, sizeof tag, "r%d", i);
                ck_assert_int_eq(journal_open(&settings), 0);
                journal_event("run-start", NULL, tag);
                journal_event("run-end", NULL, NULL);
                journal_close();
        }
        runs = runs_in("journal");
        ck_assert_str_eq(runs, "r2,r3");
        free(runs);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("journal");
        TCase *tc = tcase_create("write");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_events);
        tcase_add_test(tc, test_appends);
        tcase_add_test(tc, test_open_fails);
        tcase_add_test(tc, test_torn_last_line);
        tcase_add_test(tc, test_no_blank_line);
        suite_add_tcase(s, tc);

        tc = tcase_create("unfinished");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_loop_test(tc, test_unfinished, 0, (int) (sizeof unfinished_cases / sizeof unfinished_cases[0]));
        tcase_add_test(tc, test_unfinished_big);
        suite_add_tcase(s, tc);

        tc = tcase_create("rotate");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_files);
        tcase_add_test(tc, test_rotate_size);
        tcase_add_loop_test(tc, test_prune, 0, (int) (sizeof prune_cases / sizeof prune_cases[0]));
        tcase_add_test(tc, test_prune_bytes);
        tcase_add_test(tc, test_prune_unreadable);
        tcase_add_test(tc, test_prune_torn_start);
        tcase_add_test(tc, test_close_prunes);
        suite_add_tcase(s, tc);
        return tl_run(s);
}
