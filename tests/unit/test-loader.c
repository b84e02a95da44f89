/* The plugin loader (core/loader.c), called directly on the test plugins of tests/plugins: each
 * broken one is refused with the reason, the good ones load, and the plugin path is searched in
 * order. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "loader.h"
#include "testlib.h"

static char *dir;

static void setup(void)
{
        dir = tl_mkdtemp();
}

static void teardown(void)
{
        tl_rmtree(dir);
        free(dir);
}

/* The test plugin NAME.so as built. */
static char *built(const char *name)
{
        const char *pd = getenv("XHAFW_TEST_PLUGIN_DIR");
        ck_assert_msg(pd != NULL, "XHAFW_TEST_PLUGIN_DIR is not set: run through meson test");
        return xasprintf("%s/%s.so", pd, name);
}

/* Copy the built NAME.so to DIR/SUBDIR/AS.so with MODE; returns the copy's path. */
static char *copy_plugin(const char *name, const char *subdir, const char *as, int mode)
{
        char *from = built(name), *d = xasprintf("%s/%s", dir, subdir), *to = xasprintf("%s/%s.so", d, as);
        char *data = NULL;
        size_t n = 0;

        ck_assert_int_eq(read_file(from, 64 * 1024 * 1024, &data, &n), 0);
        ck_assert_int_eq(mkdir_p(d, 0755), 0);
        ck_assert_int_eq(write_file_atomic(to, data, n, mode), 0);
        ck_assert_int_eq(chmod(to, (mode_t) mode), 0);
        free(data);
        free(from);
        free(d);
        return to;
}

static const struct {
        const char *plugin;
        int rc;
        const char *expect[3]; /* substrings of p->error */
} load_cases[] = {
        { "fake", 0, { NULL } },
        { "oldsize", 0, { NULL } },
        { "badabi", -EPROTO, { "badabi.so has plugin ABI 99", "speaks ABI", "rebuild the plugin" } },
        { "nosym", -ENOEXEC, { "nosym.so does not export xhafw_plugin_v1", "XHAFW_PLUGIN_DEFINE" } },
        { "notelf", -ENOEXEC, { "cannot load ", "notelf.so", "is it a plugin built for this xhafw" } },
        { "small", -EPROTO, { "small.so declares a plugin struct of 8 bytes", "at least", "rebuild it" } },
        { "nothere", -ENOENT, { "nothere.so: ", "No such file or directory" } },
};

START_TEST(test_load_file)
{
        struct plugin *p = xcalloc(1, sizeof *p);
        char *file = built(load_cases[_i].plugin);
        int rc = plugin_load_file(file, p);
        char abi[32];

        ck_assert_msg(rc == load_cases[_i].rc, "%s: %d, expected %d (%s)", load_cases[_i].plugin, rc, load_cases[_i].rc,
                      p->error ? p->error : "no error");
        ck_assert_str_eq(p->file, file);
        if (rc == 0) {
                ck_assert_msg(p->error == NULL, "%s: %s", load_cases[_i].plugin, p->error);
                ck_assert_ptr_nonnull(p->def);
                ck_assert_ptr_nonnull(p->dl);
                ck_assert_str_eq(p->name, load_cases[_i].plugin);
                ck_assert_str_eq(p->def->name, load_cases[_i].plugin);
        } else {
                ck_assert_ptr_nonnull(p->error);
                ck_assert_ptr_null(p->def);
                ck_assert_ptr_null(p->dl);
                ck_assert_ptr_null(plugin_validate_fn(p));
                ck_assert_ptr_null(plugin_preflight_fn(p));
                for (size_t e = 0; e < 3 && load_cases[_i].expect[e]; e++)
                        ck_assert_msg(strstr(p->error, load_cases[_i].expect[e]), "%s: no '%s' in: %s",
                                      load_cases[_i].plugin, load_cases[_i].expect[e], p->error);
        }
        snprintf(abi, sizeof abi, "speaks ABI %d", XHAFW_PLUGIN_ABI);
        if (rc == -EPROTO && strstr(p->error, "ABI"))
                ck_assert_ptr_nonnull(strstr(p->error, abi));
        free(file);
        plugin_free(p);
}
END_TEST

/* fake has validate and preflight; oldsize's struct ends before preflight, so what lies where
 * preflight would be is never read. */
START_TEST(test_members)
{
        struct plugin *fake = xcalloc(1, sizeof *fake), *old = xcalloc(1, sizeof *old);
        char *f = built("fake"), *o = built("oldsize");

        ck_assert_int_eq(plugin_load_file(f, fake), 0);
        ck_assert_ptr_nonnull(fake->def->validate);
        ck_assert_ptr_nonnull(fake->def->preflight);
        ck_assert(plugin_validate_fn(fake) == fake->def->validate);
        ck_assert(plugin_preflight_fn(fake) == fake->def->preflight);
        ck_assert_ptr_nonnull(fake->def->options);

        ck_assert_int_eq(plugin_load_file(o, old), 0);
        ck_assert_uint_eq(old->def->size, offsetof(struct xhafw_plugin, preflight));
        ck_assert_ptr_null(plugin_preflight_fn(old));
        ck_assert_ptr_null(plugin_validate_fn(old)); /* within its size, but it has none */
        ck_assert_ptr_nonnull(old->def->check);

        ck_assert_ptr_null(plugin_validate_fn(NULL));
        ck_assert_ptr_null(plugin_preflight_fn(NULL));
        free(f);
        free(o);
        plugin_free(fake);
        plugin_free(old);
        plugin_free(NULL);
}
END_TEST

/* What is refused before dlopen: not a file, files and directories others could write. */
START_TEST(test_refused)
{
        struct plugin *p = xcalloc(1, sizeof *p);
        char *sub = xasprintf("%s/sub", dir), *file, *open_dir;

        ck_assert_int_eq(mkdir(sub, 0755), 0);
        ck_assert_int_eq(plugin_load_file(sub, p), -EINVAL);
        ck_assert_ptr_nonnull(strstr(p->error, "is not a regular file"));
        plugin_free(p);

        p = xcalloc(1, sizeof *p);
        file = copy_plugin("fake", "gw", "fake", 0664);
        ck_assert_int_eq(plugin_load_file(file, p), -EPERM);
        ck_assert_msg(strstr(p->error, "refused") && strstr(p->error, "group-writable"), "%s", p->error);
        ck_assert_ptr_null(p->def);
        plugin_free(p);
        free(file);

        p = xcalloc(1, sizeof *p);
        file = copy_plugin("fake", "ww", "fake", 0646);
        ck_assert_int_eq(plugin_load_file(file, p), -EPERM);
        ck_assert_msg(strstr(p->error, "world-writable"), "%s", p->error);
        plugin_free(p);
        free(file);

        /* a good file in a directory anyone can write to */
        p = xcalloc(1, sizeof *p);
        file = copy_plugin("fake", "open", "fake", 0644);
        open_dir = xasprintf("%s/open", dir);
        ck_assert_int_eq(chmod(open_dir, 01777), 0);
        ck_assert_int_eq(plugin_load_file(file, p), -EPERM);
        ck_assert_msg(strstr(p->error, "its directory") && strstr(p->error, open_dir), "%s", p->error);
        plugin_free(p);
        free(file);
        free(open_dir);

        /* the same file, mode fixed: loads */
        p = xcalloc(1, sizeof *p);
        file = copy_plugin("fake", "fixed", "fake", 0644);
        ck_assert_int_eq(plugin_load_file(file, p), 0);
        plugin_free(p);
        free(file);
        free(sub);
}
END_TEST

static const struct {
        const char *name;
        bool valid;
} name_cases[] = {
        { "fake", true },
        { "service", true },
        { "a", true },
        { "Ab-9_x.y", true },
        { "a.b.c", true },
        { "x-", true },
        { "", false },
        { ".", false },
        { "..", false },
        { ".hidden", false },
        { "a..b", false },
        { "-a", false },
        { "a/b", false },
        { "/etc/passwd", false },
        { "../fake", false },
        { "a b", false },
        { "a\tb", false },
        { "a:b", false },
        { "a$b", false },
        { "é", false },
        { "0123456789012345678901234567890123456789012345678901234567890123", true },   /* 64 */
        { "01234567890123456789012345678901234567890123456789012345678901234", false }, /* 65 */
};

START_TEST(test_valid_name)
{
        ck_assert_msg(valid_plugin_name(name_cases[_i].name) == name_cases[_i].valid, "'%s' should be %s",
                      name_cases[_i].name, name_cases[_i].valid ? "valid" : "refused");
}
END_TEST

START_TEST(test_valid_name_null)
{
        ck_assert(!valid_plugin_name(NULL));
}
END_TEST

static const struct {
        int type;
        const char *name;
} type_cases[] = {
        { XHAFW_OPT_STRING, "string" },
        { XHAFW_OPT_INT, "int" },
        { XHAFW_OPT_BOOL, "bool" },
        { XHAFW_OPT_LIST, "list" },
        { XHAFW_OPT_PATH, "path" },
        { XHAFW_OPT_ADDRESS, "address" },
        { XHAFW_OPT_INTERFACE, "interface" },
        { XHAFW_OPT_DURATION, "duration" },
        { XHAFW_OPT_ARGV, "argv" },
        { XHAFW_OPT_ARGV + 1, "unknown" },
        { -1, "unknown" },
        { 1000, "unknown" },
};

START_TEST(test_option_type_name)
{
        ck_assert_str_eq(option_type_name((enum xhafw_option_type) type_cases[_i].type), type_cases[_i].name);
}
END_TEST

/* Every value of the enum has a name of its own. */
START_TEST(test_option_type_names_distinct)
{
        for (int a = 0; a <= XHAFW_OPT_ARGV; a++)
                for (int b = 0; b < a; b++)
                        ck_assert_str_ne(option_type_name((enum xhafw_option_type) a),
                                         option_type_name((enum xhafw_option_type) b));
}
END_TEST

static void cfg_with_path(struct config *cfg, const char *path)
{
        memset(cfg, 0, sizeof *cfg);
        cfg->settings.plugin_path = path ? strdup_or_die(path) : NULL;
}

/* The first directory of the path that has NAME.so wins, whichever comes first. */
START_TEST(test_path_order)
{
        struct config cfg;
        char *one = copy_plugin("oldsize", "one", "alpha", 0644), *two = copy_plugin("fake", "two", "alpha", 0644);
        char *path = xasprintf("%s/none:%s/one:%s/two", dir, dir, dir);
        char *rev = xasprintf("::%s/two::%s/one:", dir, dir);
        struct plugin *p;

        cfg_with_path(&cfg, path);
        p = plugin_get(&cfg, "alpha");
        ck_assert_msg(p->error == NULL, "%s", p->error);
        ck_assert_str_eq(p->file, one);
        ck_assert_str_eq(p->name, "alpha");
        ck_assert_str_eq(p->def->name, "oldsize");
        /* asked again: the same plugin, not loaded twice */
        ck_assert(plugin_get(&cfg, "alpha") == p);
        ck_assert_uint_eq(cfg.n_plugins, 1);
        config_free(&cfg);

        /* empty entries are skipped */
        cfg_with_path(&cfg, rev);
        p = plugin_get(&cfg, "alpha");
        ck_assert_msg(p->error == NULL, "%s", p->error);
        ck_assert_str_eq(p->file, two);
        ck_assert_str_eq(p->def->name, "fake");
        config_free(&cfg);

        /* the first match wins even when it cannot be used: no falling through to the next */
        free(copy_plugin("badabi", "bad", "alpha", 0644));
        free(path);
        path = xasprintf("%s/bad:%s/two", dir, dir);
        cfg_with_path(&cfg, path);
        p = plugin_get(&cfg, "alpha");
        ck_assert_ptr_nonnull(p->error);
        ck_assert_ptr_nonnull(strstr(p->error, "plugin ABI 99"));
        ck_assert_ptr_null(p->def);
        config_free(&cfg);

        free(one);
        free(two);
        free(path);
        free(rev);
}
END_TEST

/* The plugin path of the unit env holds every test plugin and the build's own. */
START_TEST(test_env_path)
{
        struct config cfg;
        const char *pp = getenv("XHAFW_TEST_PLUGIN_PATH");
        struct plugin *p;

        ck_assert_msg(pp != NULL, "XHAFW_TEST_PLUGIN_PATH is not set: run through meson test");
        ck_assert_ptr_nonnull(strchr(pp, ':'));
        cfg_with_path(&cfg, pp);
        p = plugin_get(&cfg, "fake");
        ck_assert_msg(p->error == NULL, "%s", p->error);
        ck_assert_ptr_nonnull(plugin_preflight_fn(p));
        p = plugin_get(&cfg, "service");
        ck_assert_msg(p->error == NULL, "%s", p->error);
        ck_assert_str_eq(p->def->name, "service");
        p = plugin_get(&cfg, "small");
        ck_assert_ptr_nonnull(strstr(p->error, "struct of 8 bytes"));
        ck_assert_uint_eq(cfg.n_plugins, 3);
        config_free(&cfg);
}
END_TEST

/* The plugin path: the test dir's one and two, its one, an empty path, or none set. */
enum path_kind {
        TWO_DIRS,
        ONE_DIR,
        EMPTY,
        UNSET
};

static const struct {
        const char *name;
        enum path_kind path;
        const char *expect[3];
} missing_cases[] = {
        { "ghost", TWO_DIRS, { "plugin 'ghost' not found", "no ghost.so in the plugin path ", "/one:" } },
        { "ghost", EMPTY, { "plugin 'ghost' not found", "in the plugin path " } },
        { "ghost", UNSET, { "plugin 'ghost' not found", "the plugin path (empty)" } },
        { "../fake", ONE_DIR, { "'../fake' is not a valid plugin name", "no '/'" } },
        { "", ONE_DIR, { "'' is not a valid plugin name" } },
};

START_TEST(test_missing)
{
        struct config cfg;
        char *path = missing_cases[_i].path == TWO_DIRS ? xasprintf("%s/one:%s/two", dir, dir) :
                     missing_cases[_i].path == ONE_DIR  ? xasprintf("%s/one", dir) :
                     missing_cases[_i].path == EMPTY    ? strdup_or_die("") :
                                                          NULL;
        struct plugin *p;

        free(copy_plugin("fake", "one", "fake", 0644));
        cfg_with_path(&cfg, path);
        p = plugin_get(&cfg, missing_cases[_i].name);
        ck_assert_ptr_nonnull(p->error);
        ck_assert_ptr_null(p->def);
        ck_assert_ptr_null(p->file);
        for (size_t e = 0; e < 3 && missing_cases[_i].expect[e]; e++)
                ck_assert_msg(strstr(p->error, missing_cases[_i].expect[e]), "no '%s' in: %s",
                              missing_cases[_i].expect[e], p->error);
        if (path && *path && missing_cases[_i].name[0] && !strchr(missing_cases[_i].name, '/'))
                ck_assert_msg(strstr(p->error, path), "the path is not named in: %s", p->error);
        /* asked again: the same answer, no second entry */
        ck_assert(plugin_get(&cfg, missing_cases[_i].name) == p);
        ck_assert_uint_eq(cfg.n_plugins, 1);
        config_free(&cfg);
        free(path);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("loader");
        TCase *tc = tcase_create("file");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_loop_test(tc, test_load_file, 0, (int) (sizeof load_cases / sizeof load_cases[0]));
        tcase_add_test(tc, test_members);
        tcase_add_test(tc, test_refused);
        suite_add_tcase(s, tc);

        tc = tcase_create("names");
        tcase_add_loop_test(tc, test_valid_name, 0, (int) (sizeof name_cases / sizeof name_cases[0]));
        tcase_add_test(tc, test_valid_name_null);
        tcase_add_loop_test(tc, test_option_type_name, 0, (int) (sizeof type_cases / sizeof type_cases[0]));
        tcase_add_test(tc, test_option_type_names_distinct);
        suite_add_tcase(s, tc);

        tc = tcase_create("path");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_path_order);
        tcase_add_test(tc, test_env_path);
        tcase_add_loop_test(tc, test_missing, 0, (int) (sizeof missing_cases / sizeof missing_cases[0]));
        suite_add_tcase(s, tc);
        return tl_run(s);
}
