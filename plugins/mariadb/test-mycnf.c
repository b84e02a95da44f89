/* Unit tests of the mariadb plugin's pure text functions: a golden file and tables of cases. */

#include <check.h>
#include <stdlib.h>

#include "mycnf.c"

static const char *const golden_bind[] = { "127.0.0.1", "192.0.2.7", "192.0.2.70", "192.0.2.7" };

static char *slurp(const char *name)
{
        const char *dir = getenv("MYCNF_TESTDATA");
        char path[4096];
        FILE *f;
        char *text;
        long n;

        ck_assert_ptr_nonnull(dir);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        f = fopen(path, "re");
        ck_assert_msg(f != NULL, "cannot open %s", path);
        ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
        n = ftell(f);
        rewind(f);
        text = calloc(1, (size_t) n + 1);
        ck_assert_ptr_nonnull(text);
        ck_assert_int_eq(fread(text, 1, (size_t) n, f), (size_t) n);
        fclose(f);
        return text;
}

/* Both edits, as apply makes them: bind-address, then pid-file. */
static int edit(const char *in, const char *const *bind, size_t n, const char *pid, char **ret, char **ret_added)
{
        char *t1 = NULL;
        int a, b;

        a = mycnf_bind_add(in, "mysqld", bind, n, &t1, ret_added);
        if (a < 0)
                return a;
        b = mycnf_set(t1, "mysqld", "pid_file", pid, ret);
        free(t1);
        if (b < 0) {
                free(*ret_added);
                return b;
        }
        return a + b;
}

START_TEST(golden)
{
        char *in = slurp("my.cnf.in"), *want = slurp("my.cnf.golden"), *out, *added, *out2, *added2;

        ck_assert_int_eq(edit(in, golden_bind, 4, "/var/lib/mysql/mariadb.pid", &out, &added), 2);
        ck_assert_str_eq(out, want);
        ck_assert_str_eq(added, "192.0.2.7");
        /* editing twice changes nothing */
        ck_assert_int_eq(edit(out, golden_bind, 4, "/var/lib/mysql/mariadb.pid", &out2, &added2), 0);
        ck_assert_str_eq(out2, want);
        ck_assert_str_eq(added2, "");
        free(in), free(want), free(out), free(added), free(out2), free(added2);
}
END_TEST

static const struct {
        const char *in, *want;
        int added;
} bind_cases[] = {
        /* no setting at all: the server binds every address, which covers everything */
        { "", "", 0 },
        { "[mysqld]\nport = 3306\n", "[mysqld]\nport = 3306\n", 0 },
        { "[mysqld]\n#bind-address = 127.0.0.1\n", "[mysqld]\n#bind-address = 127.0.0.1\n", 0 },
        { "[mysqld]\n;bind-address = 127.0.0.1\n", "[mysqld]\n;bind-address = 127.0.0.1\n", 0 },
        /* only server groups count: a client's bind-address or one before any group is not the server's */
        { "bind-address = 127.0.0.1\n[client]\nbind-address=127.0.0.1\n",
          "bind-address = 127.0.0.1\n[client]\nbind-address=127.0.0.1\n", 0 },
        { "[mysqld-10.11]\nbind-address=127.0.0.1\n", "[mysqld-10.11]\nbind-address=127.0.0.1\n", 0 },
        /* extended in place, comment and blanks kept; '-' and '_' alike, the loose- prefix */
        { "[mysqld]\nbind-address = 127.0.0.1 # local\n", "[mysqld]\nbind-address = 127.0.0.1,192.0.2.7 # local\n", 1 },
        { "[mysqld]\nbind_address=127.0.0.1\n", "[mysqld]\nbind_address=127.0.0.1,192.0.2.7\n", 1 },
        { "[server]\nLOOSE_BIND-ADDRESS=127.0.0.1\n", "[server]\nLOOSE_BIND-ADDRESS=127.0.0.1,192.0.2.7\n", 1 },
        { "[ mariadbd ]\n  bind-address\t=\t127.0.0.1\t\r\n",
          "[ mariadbd ]\n  bind-address\t=\t127.0.0.1,192.0.2.7\t\r\n", 1 },
        /* quoted: inside the quotes */
        { "[mysqld]\nbind-address = '127.0.0.1'\n", "[mysqld]\nbind-address = '127.0.0.1,192.0.2.7'\n", 1 },
        { "[mysqld]\nbind-address = \"127.0.0.1\" # \"x\"\n",
          "[mysqld]\nbind-address = \"127.0.0.1,192.0.2.7\" # \"x\"\n", 1 },
        /* a '#' inside quotes is no comment */
        { "[mysqld]\nbind-address = \"a#b\"\n", "[mysqld]\nbind-address = \"a#b,127.0.0.1,192.0.2.7\"\n", 2 },
        /* the last setting in any server group wins and is the one edited */
        { "[mysqld]\nbind-address=127.0.0.1\n[client]\nbind-address=1.2.3.4\n[mariadb]\nbind-address=::1\n",
          "[mysqld]\nbind-address=127.0.0.1\n[client]\nbind-address=1.2.3.4\n[mariadb]\nbind-address=::1,127.0.0.1,192.0.2.7\n",
          2 },
        /* empty, or a trailing comma */
        { "[mysqld]\nbind-address=\n", "[mysqld]\nbind-address=127.0.0.1,192.0.2.7\n", 2 },
        { "[mysqld]\nbind-address=127.0.0.1,\n", "[mysqld]\nbind-address=127.0.0.1,192.0.2.7\n", 1 },
        /* wildcards as MariaDB 10.11 binds them: '*' both families, 0.0.0.0 IPv4, '::' IPv6 only */
        { "[mysqld]\nbind-address=*\n", "[mysqld]\nbind-address=*\n", 0 },
        { "[mysqld]\nbind-address=0.0.0.0\n", "[mysqld]\nbind-address=0.0.0.0\n", 0 },
        { "[mysqld]\nbind-address=::\n", "[mysqld]\nbind-address=::,127.0.0.1,192.0.2.7\n", 2 },
        { "[mysqld]\nbind-address=0.0.0.0,::\n", "[mysqld]\nbind-address=0.0.0.0,::\n", 0 },
        /* the same address written otherwise */
        { "[mysqld]\nbind-address=127.0.0.1,192.0.2.007\n", "[mysqld]\nbind-address=127.0.0.1,192.0.2.007,192.0.2.7\n",
          1 },
        /* a last line without a newline keeps its bytes */
        { "[mysqld]\nbind-address=127.0.0.1", "[mysqld]\nbind-address=127.0.0.1,192.0.2.7", 1 },
        /* a semicolon after a value is part of it, as the server reads it */
        { "[mysqld]\nbind-address=127.0.0.1 ; c\n", "[mysqld]\nbind-address=127.0.0.1 ; c,127.0.0.1,192.0.2.7\n", 2 },
        /* an option without '=' takes no value: not a setting; an unclosed group header is no group */
        { "[mysqld]\nbind-address\n", "[mysqld]\nbind-address\n", 0 },
        { "[client]\n[mysqld\nbind-address=127.0.0.1\n", "[client]\n[mysqld\nbind-address=127.0.0.1\n", 0 },
};

START_TEST(bind_table)
{
        const char *const want[] = { "127.0.0.1", "192.0.2.7" };
        char *out, *added;

        ck_assert_int_eq(mycnf_bind_add(bind_cases[_i].in, "mysqld", want, 2, &out, &added), bind_cases[_i].added);
        ck_assert_str_eq(out, bind_cases[_i].want);
        free(out), free(added);
}
END_TEST

static const struct {
        const char *in, *group, *want;
        int changed;
} pid_cases[] = {
        { "[mysqld]\npid-file = /d/mariadb.pid\n", "mysqld", "[mysqld]\npid-file = /d/mariadb.pid\n", 0 },
        { "[mysqld]\npid-file = \"/d/mariadb.pid\" # x\n", "mysqld", "[mysqld]\npid-file = \"/d/mariadb.pid\" # x\n",
          0 },
        { "[mysqld]\npid_file=/run/mysqld/mysqld.pid # x\n", "mysqld", "[mysqld]\npid_file=/d/mariadb.pid # x\n", 1 },
        { "[mysqld]\npid-file='/run/m.pid'\n", "mysqld", "[mysqld]\npid-file='/d/mariadb.pid'\n", 1 },
        /* none: after the group's first header */
        { "# c\n[mysqld]\nport=1\n[mysqld]\n", "mysqld",
          "# c\n[mysqld]\npid-file = /d/mariadb.pid\t# added by xhafw\nport=1\n[mysqld]\n", 1 },
        { "[mysqld]", "mysqld", "[mysqld]\npid-file = /d/mariadb.pid\t# added by xhafw\n", 1 },
        /* no such group: a new one at the end */
        { "[client]\nport=1", "mysqld", "[client]\nport=1\n[mysqld]\npid-file = /d/mariadb.pid\t# added by xhafw\n",
          1 },
        { "", "mariadb", "[mariadb]\npid-file = /d/mariadb.pid\t# added by xhafw\n", 1 },
        /* the client's pid-file is not the server's */
        { "[mysqld_safe]\npid-file=/x\n", "mysqld",
          "[mysqld_safe]\npid-file=/x\n[mysqld]\npid-file = /d/mariadb.pid\t# added by xhafw\n", 1 },
        /* a setting in another server group is edited where it is */
        { "[mysqld]\n[server]\npid-file=/x\n", "mysqld", "[mysqld]\n[server]\npid-file=/d/mariadb.pid\n", 1 },
        /* option_group names a group of its own (mysqld_multi, a suffix): it counts as a server group */
        { "[mysqld1]\npid-file=/x\n", "mysqld1", "[mysqld1]\npid-file=/d/mariadb.pid\n", 1 },
};

START_TEST(pid_table)
{
        char *out;

        ck_assert_int_eq(mycnf_set(pid_cases[_i].in, pid_cases[_i].group, "pid_file", "/d/mariadb.pid", &out),
                         pid_cases[_i].changed);
        ck_assert_str_eq(out, pid_cases[_i].want);
        free(out);
}
END_TEST

START_TEST(refuses)
{
        const char *const blank[] = { "a b" }, *const comma[] = { "a,b" }, *const quote[] = { "a'b" },
                          *const hash[] = { "a#b" };
        char *out = NULL, *added = NULL;

        ck_assert_int_eq(mycnf_bind_add("", "mysqld", blank, 1, &out, &added), -EINVAL);
        ck_assert_int_eq(mycnf_bind_add("", "mysqld", comma, 1, &out, &added), -EINVAL);
        ck_assert_int_eq(mycnf_bind_add("", "mysqld", quote, 1, &out, &added), -EINVAL);
        ck_assert_int_eq(mycnf_bind_add("", "mysqld", hash, 1, &out, &added), -EINVAL);
        ck_assert_int_eq(mycnf_set("", "mysqld", "pid_file", "/a b", &out), -EINVAL);
        ck_assert_int_eq(mycnf_set("", "mysqld", "pid_file", "/a\\b", &out), -EINVAL);
        ck_assert_int_eq(mycnf_set("", "my]sqld", "pid_file", "/a", &out), -EINVAL);
        ck_assert_ptr_null(out);
}
END_TEST

START_TEST(covers)
{
        ck_assert(mycnf_bind_covers(NULL, "192.0.2.7"));
        ck_assert(mycnf_bind_covers("*", "2001:db8::1"));
        ck_assert(mycnf_bind_covers("*", "localhost"));
        ck_assert(mycnf_bind_covers("0.0.0.0", "192.0.2.7"));
        ck_assert(mycnf_bind_covers("0.0.0.0", "localhost"));
        ck_assert(!mycnf_bind_covers("0.0.0.0", "::1"));
        ck_assert(mycnf_bind_covers("::", "::1"));
        ck_assert(!mycnf_bind_covers("::", "127.0.0.1"));
        ck_assert(mycnf_bind_covers("127.0.0.1,192.0.2.7", "192.0.2.7"));
        ck_assert(mycnf_bind_covers("LocalHost", "localhost"));
        ck_assert(!mycnf_bind_covers("127.0.0.1", "localhost"));
        ck_assert(!mycnf_bind_covers("192.0.2.70", "192.0.2.7"));
        ck_assert(!mycnf_bind_covers("", "192.0.2.7"));
        ck_assert(mycnf_bind_covers("2001:DB8:0::1", "2001:db8::1"));
}
END_TEST

START_TEST(values)
{
        char *v = mycnf_value("[mysqld]\nbind-address = \"a,b\" # c\n[client]\nbind-address=x\n", "bind_address",
                              "mysqld");

        ck_assert_str_eq(v, "a,b");
        free(v);
        ck_assert_ptr_null(mycnf_value("[client]\nbind-address=x\n", "bind_address", "mysqld"));
}
END_TEST

START_TEST(pidfile)
{
        long pid = 0;

        ck_assert_int_eq(mycnf_pidfile_parse("4242\n", &pid), 0);
        ck_assert_int_eq(pid, 4242);
        ck_assert_int_eq(mycnf_pidfile_parse(" 7\r\n", &pid), 0);
        ck_assert_int_eq(pid, 7);
        ck_assert_int_eq(mycnf_pidfile_parse("", &pid), -EINVAL);
        ck_assert_int_eq(mycnf_pidfile_parse("0\n", &pid), -EINVAL);
        ck_assert_int_eq(mycnf_pidfile_parse("-5\n", &pid), -EINVAL);
        ck_assert_int_eq(mycnf_pidfile_parse("12 x\n", &pid), -EINVAL);
        ck_assert_int_eq(mycnf_pidfile_parse("99999999999\n", &pid), -EINVAL);
}
END_TEST

static Suite *mycnf_suite(void)
{
        Suite *s = suite_create("mycnf");
        TCase *tc = tcase_create("mycnf");

        tcase_add_test(tc, golden);
        tcase_add_loop_test(tc, bind_table, 0, sizeof bind_cases / sizeof bind_cases[0]);
        tcase_add_loop_test(tc, pid_table, 0, sizeof pid_cases / sizeof pid_cases[0]);
        tcase_add_test(tc, refuses);
        tcase_add_test(tc, covers);
        tcase_add_test(tc, values);
        tcase_add_test(tc, pidfile);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(mycnf_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
