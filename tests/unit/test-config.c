/* Configuration errors of DESIGN §3: each gives exit 2, names the file (and line, and step) and
 * changes nothing; and what a valid configuration resolves to. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

struct bad_case {
        const char *name;
        const char *file; /* conf.d file name */
        const char *content;
        const char *expect[3]; /* substrings of the output */
        const char *global;    /* extra xhafw.conf lines */
};

static const struct bad_case bad_cases[] = {
        { "duplicate section",
          "10-a.conf",
          "[a]\nplugin = fake\n\n[a]\nplugin = fake\n",
          { "10-a.conf:4", "step a", "defined twice" },
          NULL },
        { "unknown key",
          "10-a.conf",
          "[a]\nplugin = fake\ntagret = /tmp/x\n",
          { "10-a.conf:3", "unknown key 'tagret'", "target" },
          NULL },
        { "missing required",
          "10-a.conf",
          "[a]\nplugin = service\n",
          { "10-a.conf:1", "required option 'unit'", "missing" },
          NULL },
        { "empty required",
          "10-a.conf",
          "[a]\nplugin = service\nunit =\n",
          { "10-a.conf:3", "required option 'unit'", "empty" },
          NULL },
        { "wrong int",
          "10-a.conf",
          "[a]\nplugin = fake\ncount = many\n",
          { "10-a.conf:3", "count = 'many'", "integer" },
          NULL },
        { "wrong bool",
          "10-a.conf",
          "[a]\nplugin = fake\ncritical = perhaps\n",
          { "10-a.conf:3", "critical", "yes or no" },
          NULL },
        { "wrong duration",
          "10-a.conf",
          "[a]\nplugin = fake\ntimeout = 5 parsecs\n",
          { "10-a.conf:3", "timeout", "duration" },
          NULL },
        { "wrong address",
          "10-a.conf",
          "[a]\nplugin = fake\naddress = 300.1.2.3/8\n",
          { "10-a.conf:3", "address", "IPv4" },
          NULL },
        { "wrong path",
          "10-a.conf",
          "[a]\nplugin = fake\ntarget = relative/path\n",
          { "10-a.conf:3", "target", "absolute" },
          NULL },
        { "shell in interface",
          "10-a.conf",
          "[a]\nplugin = fake\ninterface = eth0 $(reboot)\n",
          { "10-a.conf:3", "interface", "interface name" },
          NULL },
        { "after unknown",
          "10-a.conf",
          "[a]\nplugin = fake\nafter = nothere\n",
          { "10-a.conf:3", "step a", "no step is named 'nothere'" },
          NULL },
        { "self dependency", "10-a.conf", "[a]\nplugin = fake\nafter = a\n", { "10-a.conf", "step a", "cycle" }, NULL },
        { "cycle",
          "10-a.conf",
          "[a]\nplugin = fake\nafter = c\n[b]\nplugin = fake\nafter = a\n[c]\nplugin = fake\nafter = b\n",
          { "10-a.conf", "dependency cycle", " after " },
          NULL },
        { "plugin validate refuses",
          "10-a.conf",
          "[a]\nplugin = fake\ninvalid = yes\n",
          { "10-a.conf:1", "step a", "refused the configuration" },
          NULL },
        { "plugin not found",
          "10-a.conf",
          "[a]\nplugin = nosuchplugin\n",
          { "10-a.conf:2", "step a", "not found" },
          NULL },
        { "plugin name with slash",
          "10-a.conf",
          "[a]\nplugin = ../fake\n",
          { "10-a.conf:2", "step a", "not a valid plugin name" },
          NULL },
        { "bad abi", "10-a.conf", "[a]\nplugin = badabi\n", { "10-a.conf:2", "ABI 99", "rebuild" }, NULL },
        { "missing symbol",
          "10-a.conf",
          "[a]\nplugin = nosym\n",
          { "10-a.conf:2", "xhafw_plugin_v1", "not an xhafw plugin" },
          NULL },
        { "not an ELF", "10-a.conf", "[a]\nplugin = notelf\n", { "10-a.conf:2", "cannot load", "notelf.so" }, NULL },
        { "struct too small", "10-a.conf", "[a]\nplugin = small\n", { "10-a.conf:2", "8 bytes", "rebuild" }, NULL },
        { "bad step name",
          "10-a.conf",
          "[a$b]\nplugin = fake\n",
          { "10-a.conf:1", "not a valid step name", "a$b" },
          NULL },
        { "key outside section",
          "10-a.conf",
          "plugin = fake\n[a]\nplugin = fake\n",
          { "10-a.conf:1", "outside a section", "plugin" },
          NULL },
        { "no steps", "10-a.conf", "; nothing\n", { "conf.d", "no steps", "" }, NULL },
        { "syntax error",
          "10-a.conf",
          "[a]\nplugin = fake\nthis line has no equals sign\n",
          { "10-a.conf", "cannot parse", "" },
          NULL },
        { "unknown global key",
          "10-a.conf",
          "[a]\nplugin = fake\n",
          { "xhafw.conf:8", "unknown key 'jbos'", "" },
          "jbos = 3" },
        { "bad global jobs",
          "10-a.conf",
          "[a]\nplugin = fake\n",
          { "xhafw.conf", "jobs = '0'", "1 to 256" },
          "jobs = 0" },
        { "relative command path",
          "10-a.conf",
          "[a]\nplugin = fake\n",
          { "xhafw.conf", "path = 'rel:/bin'", "absolute" },
          "path = rel:/bin" },
        { "bare carriage return", "10-a.conf", "[a]\rplugin = fake\n", { "10-a.conf", "carriage return", "" }, NULL },
        { "trailing continuation", "10-a.conf", "[a]\nplugin = fake\\\n", { "10-a.conf", "backslash", "" }, NULL },
        { "binary junk", "10-a.conf", "[a]\nplugin = fake\n\x01\x02\xff\xfe garbage\n", { "10-a.conf", "", "" }, NULL },
};

START_TEST(test_bad_config)
{
        const struct bad_case *c = &bad_cases[_i];
        char *dir = tl_mkdtemp(), *out = NULL, *state = xasprintf("%s/state", dir), *cd = xasprintf("%s/conf.d", dir);
        int rc;

        tl_conf(dir, c->global);
        tl_write(cd, c->file, c->content);
        rc = tl_xhafw(dir, &out, "activate", "--yes", NULL);
        ck_assert_msg(rc == 2, "%s: exit %d, expected 2; output:\n%s", c->name, rc, out);
        for (int k = 0; k < 3; k++)
                ck_assert_msg(!c->expect[k] || strstr(out, c->expect[k]), "%s: output lacks '%s':\n%s", c->name,
                              c->expect[k], out);
        ck_assert_msg(strstr(out, "nothing was changed") || strstr(out, "configuration"), "%s: %s", c->name, out);
        ck_assert_msg(access(state, F_OK) < 0, "%s: the state dir was created", c->name);
        free(out);
        /* validate agrees */
        rc = tl_xhafw(dir, &out, "validate", NULL);
        ck_assert_msg(rc == 2, "%s: validate exit %d", c->name, rc);
        free(out);
        tl_rmtree(dir);
        free(dir);
        free(state);
        free(cd);
}
END_TEST

/* Two files defining the same step: the second is named with the first's place. */
START_TEST(test_duplicate_across_files)
{
        char *dir = tl_mkdtemp(), *out = NULL, *cd = xasprintf("%s/conf.d", dir);
        tl_conf(dir, NULL);
        tl_write(cd, "10-a.conf", "[a]\nplugin = fake\n");
        tl_write(cd, "20-b.conf", "\n[a]\nplugin = fake\n");
        ck_assert_int_eq(tl_xhafw(dir, &out, "validate", NULL), 2);
        ck_assert_msg(strstr(out, "20-b.conf:2: step a: defined twice: also in") && strstr(out, "10-a.conf:1"), "%s",
                      out);
        free(out);
        tl_rmtree(dir);
        free(dir);
        free(cd);
}
END_TEST

/* Files others could have written are refused: a world-writable conf file, a conf.d that is a file. */
START_TEST(test_unsafe_files)
{
        char *dir = tl_mkdtemp(), *out = NULL, *cd = xasprintf("%s/conf.d", dir), *f = xasprintf("%s/10-a.conf", cd);
        tl_conf(dir, NULL);
        tl_write(cd, "10-a.conf", "[a]\nplugin = fake\n");
        ck_assert_int_eq(chmod(f, 0666), 0);
        ck_assert_int_eq(tl_xhafw(dir, &out, "validate", NULL), 2);
        ck_assert_msg(strstr(out, "10-a.conf") && strstr(out, "world-writable"), "%s", out);
        free(out);
        ck_assert_int_eq(chmod(f, 0644), 0);
        ck_assert_int_eq(chmod(cd, 0777), 0);
        ck_assert_int_eq(tl_xhafw(dir, &out, "validate", NULL), 2);
        ck_assert_msg(strstr(out, "conf.d refused") && strstr(out, "world-writable"), "%s", out);
        free(out);
        tl_rmtree(cd);
        tl_write(dir, "conf.d", "not a directory\n");
        ck_assert_int_eq(tl_xhafw(dir, &out, "validate", NULL), 2);
        ck_assert_msg(strstr(out, "not a directory"), "%s", out);
        free(out);
        tl_rmtree(dir);
        free(dir);
        free(cd);
        free(f);
}
END_TEST

/* A state directory others can write is refused before anything is written through it. */
START_TEST(test_unsafe_state_dir)
{
        char *dir = tl_mkdtemp(), *out = NULL, *cd = xasprintf("%s/conf.d", dir), *state = xasprintf("%s/state", dir);
        char *journal = xasprintf("%s/journal", state);
        tl_conf(dir, NULL);
        tl_write(cd, "10-a.conf", "[a]\nplugin = fake\n");
        ck_assert_int_eq(mkdir(state, 0777), 0);
        ck_assert_int_eq(chmod(state, 0777), 0);
        ck_assert_int_eq(tl_xhafw(dir, &out, "activate", "--yes", NULL), 2);
        ck_assert_msg(strstr(out, "state directory") && strstr(out, "world-writable"), "%s", out);
        ck_assert(access(journal, F_OK) < 0);
        free(out);
        tl_rmtree(dir);
        free(dir);
        free(cd);
        free(state);
        free(journal);
}
END_TEST

/* All errors at once: a fresh install learns every line to fill in from one run. */
START_TEST(test_all_errors_reported)
{
        char *dir = tl_mkdtemp(), *out = NULL, *cd = xasprintf("%s/conf.d", dir);
        tl_conf(dir, NULL);
        tl_write(cd, "10-a.conf", "[a]\nplugin = service\nunit =\n\n[b]\nplugin = fake\ncount = x\n");
        tl_write(cd, "20-c.conf", "[c]\nplugin = service\n");
        ck_assert_int_eq(tl_xhafw(dir, &out, "validate", NULL), 2);
        ck_assert_msg(strstr(out, "10-a.conf:3: step a") && strstr(out, "10-a.conf:7: step b") &&
                              strstr(out, "20-c.conf:1: step c") && strstr(out, "3 configuration errors"),
                      "%s", out);
        free(out);
        tl_rmtree(dir);
        free(dir);
        free(cd);
}
END_TEST

/* A valid configuration: defaults applied, a disabled step needs no values, the plan has levels. */
START_TEST(test_valid)
{
        char *dir = tl_mkdtemp(), *out = NULL, *cd = xasprintf("%s/conf.d", dir);
        tl_conf(dir, NULL);
        tl_write(cd, "10-a.conf",
                 "[a]\nplugin = fake\n\n[b]\nplugin = fake\nafter = a\n\n"
                 "[c]\nplugin = fake\nafter = a\n\n[d]\nplugin = service\nenabled = no\n");
        ck_assert_int_eq(tl_xhafw(dir, &out, "validate", NULL), 0);
        ck_assert_msg(strstr(out, "1: a d (disabled)") && strstr(out, "2: b c"), "%s", out);
        free(out);
        ck_assert_int_eq(tl_xhafw(dir, &out, "describe", "b", NULL), 0);
        ck_assert_msg(strstr(out, "after:    a") && strstr(out, "check_mode") && strstr(out, "(default)"), "%s", out);
        free(out);
        ck_assert_int_eq(tl_xhafw(dir, &out, "describe", "service", NULL), 0);
        ck_assert_msg(strstr(out, "unit") && strstr(out, "ready_command") && strstr(out, "60s"), "%s", out);
        free(out);
        tl_rmtree(dir);
        free(dir);
        free(cd);
}
END_TEST

static Suite *suite(void)
{
        Suite *s = suite_create("config");
        TCase *tc = tcase_create("errors");
        tcase_add_loop_test(tc, test_bad_config, 0, (int) (sizeof bad_cases / sizeof bad_cases[0]));
        tcase_add_test(tc, test_duplicate_across_files);
        tcase_add_test(tc, test_unsafe_files);
        tcase_add_test(tc, test_all_errors_reported);
        tcase_add_test(tc, test_unsafe_state_dir);
        tcase_add_test(tc, test_valid);
        tcase_set_timeout(tc, 60);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return tl_run(suite());
}
