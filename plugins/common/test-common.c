/* Unit tests of the xCAT plugins' pure helpers: the lsdef parser and the line edits. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"
#include "lsdef.h"

struct lsdef_case {
        const char *text, *object, *attr, *want; /* want NULL: not found */
};

static const struct lsdef_case lsdef_cases[] = {
        { "Object name: 10_0_0_0-255_0_0_0\n    mgtifname=eth0:0\n", "10_0_0_0-255_0_0_0", "mgtifname", "eth0:0" },
        { "Object name: 10_0_0_0-255_0_0_0\n    mgtifname=eth0:0\n", NULL, "mgtifname", "eth0:0" },
        { "Object name: clustersite\n    domain=cluster.com\n", NULL, "domain", "cluster.com" },
        /* not listed: unset */
        { "Object name: net1\n", "net1", "mgtifname", NULL },
        { "Object name: net1\n    mgtifname=\n", "net1", "mgtifname", "" },
        /* extra lines, attributes, blank lines, CRLF, trailing blanks, no final newline */
        { "Warning: something\n\nObject name: net1\r\n    usercomment=a = b\r\n    mgtifname=eth0 \r\n\n", "net1",
          "mgtifname", "eth0" },
        { "Object name: net1\n    usercomment=x=y, z\n", "net1", "usercomment", "x=y, z" },
        { "Object name: net1\n\tmgtifname=eth1", "net1", "mgtifname", "eth1" },
        /* an attribute line before any object, or not indented, belongs to nothing */
        { "    mgtifname=eth0\nObject name: net1\nmgtifname=eth9\n", "net1", "mgtifname", NULL },
        /* several objects: the right one */
        { "Object name: a\n    mgtifname=ea\nObject name: b\n    mgtifname=eb\n", "b", "mgtifname", "eb" },
        { "Object name: a\n    net=1\nObject name: b\n    mgtifname=eb\n", NULL, "mgtifname", NULL },
        /* the first value of a repeated attribute */
        { "Object name: a\n    mgtifname=one\n    mgtifname=two\n", "a", "mgtifname", "one" },
        /* not attribute names */
        { "Object name: a\n    bad name=1\n    =2\n", "a", "bad name", NULL },
        { "Could not find any object definitions to display.\n", NULL, "domain", NULL },
        { "", NULL, "domain", NULL },
};

START_TEST(lsdef_table)
{
        const struct lsdef_case *c = &lsdef_cases[_i];
        struct lsdef_result r;
        const char *v;

        ck_assert_int_eq(lsdef_parse(c->text, strlen(c->text), &r), 0);
        v = lsdef_find(&r, c->object, c->attr);
        if (c->want)
                ck_assert_msg(v && strcmp(v, c->want) == 0, "case %d: got '%s', want '%s'", _i, v ? v : "(null)",
                              c->want);
        else
                ck_assert_msg(!v, "case %d: got '%s', want nothing", _i, v);
        lsdef_result_free(&r);
}
END_TEST

START_TEST(lsdef_binary_and_limits)
{
        static const char bin[] = "Object name: a\n    x=1\0\n    y=2\n\xff\xfe\n";
        struct lsdef_result r;
        size_t n = (LSDEF_MAX_OBJECTS + 1) * 16;
        char *big = malloc(n + 1), *p = big;

        ck_assert_int_eq(lsdef_parse(bin, sizeof bin - 1, &r), 0);
        ck_assert_str_eq(lsdef_find(&r, "a", "y"), "2");
        lsdef_result_free(&r);
        ck_assert_int_eq(lsdef_parse(NULL, 0, &r), 0);
        ck_assert_uint_eq(r.n_objects, 0);
        lsdef_result_free(&r);
        ck_assert_ptr_nonnull(big);
        for (size_t i = 0; i <= LSDEF_MAX_OBJECTS; i++)
                p += snprintf(p, 17, "Object name: o\n");
        ck_assert_int_eq(lsdef_parse(big, (size_t) (p - big), &r), -E2BIG);
        free(big);
}
END_TEST

struct lines_case {
        const char *content, *line, *before, *added, *removed;
        size_t n_removed;
        bool newline_added; /* what lines_add says */
};

static const struct lines_case lines_cases[] = {
        { "127.0.0.1 localhost\n", "192.0.2.7 mn mn.example", NULL, "127.0.0.1 localhost\n192.0.2.7 mn mn.example\n",
          "127.0.0.1 localhost\n", 0, false },
        /* no final newline: added before appending (and said so), kept when removing nothing */
        { "127.0.0.1 localhost", "192.0.2.7 mn", NULL, "127.0.0.1 localhost\n192.0.2.7 mn\n", "127.0.0.1 localhost", 0,
          true },
        { "# hosts\n127.0.0.1 localhost\n# last, no newline", "192.0.2.7 mn", NULL,
          "# hosts\n127.0.0.1 localhost\n# last, no newline\n192.0.2.7 mn\n",
          "# hosts\n127.0.0.1 localhost\n# last, no newline", 0, true },
        /* empty file, a file of one empty line, an empty last line */
        { "", "192.0.2.7 mn", NULL, "192.0.2.7 mn\n", "", 0, false },
        { "\n", "192.0.2.7 mn", NULL, "\n192.0.2.7 mn\n", "\n", 0, false },
        { "a\n\n", "192.0.2.7 mn", NULL, "a\n\n192.0.2.7 mn\n", "a\n\n", 0, false },
        /* CRLF lines: the CR is the line's, a blank for equality; with and without a final CRLF */
        { "127.0.0.1 localhost\r\n::1 localhost\r\n", "192.0.2.7 mn", NULL,
          "127.0.0.1 localhost\r\n::1 localhost\r\n192.0.2.7 mn\n", "127.0.0.1 localhost\r\n::1 localhost\r\n", 0,
          false },
        { "127.0.0.1 localhost\r\n::1 localhost", "192.0.2.7 mn", NULL,
          "127.0.0.1 localhost\r\n::1 localhost\n192.0.2.7 mn\n", "127.0.0.1 localhost\r\n::1 localhost", 0, true },
        { "a\r\n192.0.2.7 mn\r\nb\r\n", "192.0.2.7 mn", NULL, "a\r\n192.0.2.7 mn\r\nb\r\n192.0.2.7 mn\n", "a\r\nb\r\n",
          1, false },
        /* only the managed line, with and without its newline, with a CR */
        { "192.0.2.7 mn\n", "192.0.2.7 mn", NULL, "192.0.2.7 mn\n192.0.2.7 mn\n", "", 1, false },
        { "192.0.2.7 mn", "192.0.2.7 mn", NULL, "192.0.2.7 mn\n192.0.2.7 mn\n", "", 1, true },
        { "192.0.2.7 mn\r\n", "192.0.2.7 mn", NULL, "192.0.2.7 mn\r\n192.0.2.7 mn\n", "", 1, false },
        /* blanks and comments do not matter for equality; only equal lines go */
        { "a\n192.0.2.7\tmn  # vip\n192.0.2.7 mn other\nb\n", "192.0.2.7 mn", NULL,
          "a\n192.0.2.7\tmn  # vip\n192.0.2.7 mn other\nb\n192.0.2.7 mn\n", "a\n192.0.2.7 mn other\nb\n", 1, false },
        /* resolv.conf: before the first nameserver line */
        { "search example\nnameserver 198.51.100.53\nnameserver 198.51.100.54\n", "nameserver 192.0.2.7", "nameserver",
          "search example\nnameserver 192.0.2.7\nnameserver 198.51.100.53\nnameserver 198.51.100.54\n",
          "search example\nnameserver 198.51.100.53\nnameserver 198.51.100.54\n", 0, false },
        { "search example\nnameserver 198.51.100.53", "nameserver 192.0.2.7", "nameserver",
          "search example\nnameserver 192.0.2.7\nnameserver 198.51.100.53", "search example\nnameserver 198.51.100.53",
          0, false },
        { "search example\n", "nameserver 192.0.2.7", "nameserver", "search example\nnameserver 192.0.2.7\n",
          "search example\n", 0, false },
        { "search example", "nameserver 192.0.2.7", "nameserver", "search example\nnameserver 192.0.2.7\n",
          "search example", 0, true },
        /* "#nameserver" is a comment, not a nameserver line */
        { "#nameserver 1.2.3.4\n", "nameserver 192.0.2.7", "nameserver", "#nameserver 1.2.3.4\nnameserver 192.0.2.7\n",
          "#nameserver 1.2.3.4\n", 0, false },
        /* a prefix of a word is another word */
        { "192.0.2.70 mn\n", "192.0.2.7 mn", NULL, "192.0.2.70 mn\n192.0.2.7 mn\n", "192.0.2.70 mn\n", 0, false },
};

START_TEST(lines_table)
{
        const struct lines_case *c = &lines_cases[_i];
        bool nl = !c->newline_added;
        char *added = lines_add(c->content, c->line, c->before, &nl), *removed, *back;
        size_t n = 99;

        ck_assert_ptr_nonnull(added);
        ck_assert_str_eq(added, c->added);
        ck_assert_msg(nl == c->newline_added, "case %d: lines_add says newline_added=%d", _i, nl);
        ck_assert(lines_contains(added, c->line));
        ck_assert(lines_contains(c->content, c->line) == (c->n_removed > 0));
        removed = lines_remove(c->content, c->line, false, &n);
        ck_assert_ptr_nonnull(removed);
        ck_assert_str_eq(removed, c->removed);
        ck_assert_uint_eq(n, c->n_removed);
        /* add then remove gives back every byte of a text that lacked the line */
        if (c->n_removed == 0) {
                back = lines_remove(added, c->line, nl, &n);
                ck_assert_ptr_nonnull(back);
                ck_assert_msg(strcmp(back, c->content) == 0, "case %d: add + remove gave back \"%s\"", _i, back);
                ck_assert_uint_eq(n, 1);
                free(back);
        }
        free(added);
        free(removed);
}
END_TEST

/* lines_remove() with newline_added: the newline before the line goes only when the line is last. */
struct remove_case {
        const char *content, *line, *removed;
};

static const struct remove_case remove_cases[] = {
        { "a\n192.0.2.7 mn\n", "192.0.2.7 mn", "a" },
        { "a\r\n192.0.2.7 mn\n", "192.0.2.7 mn", "a\r" },
        /* a line appended after ours since: the newline separates it now */
        { "a\n192.0.2.7 mn\nb\n", "192.0.2.7 mn", "a\nb\n" },
        { "a\n192.0.2.7 mn\n\n", "192.0.2.7 mn", "a\n\n" },
        /* ours lost its own newline since (an editor): the one before it still goes */
        { "a\n192.0.2.7 mn", "192.0.2.7 mn", "a" },
        /* nothing of ours left, or only ours */
        { "a\n", "192.0.2.7 mn", "a\n" },
        { "192.0.2.7 mn\n", "192.0.2.7 mn", "" },
        { "", "192.0.2.7 mn", "" },
};

START_TEST(lines_remove_added_newline)
{
        const struct remove_case *c = &remove_cases[_i];
        char *removed = lines_remove(c->content, c->line, true, NULL);

        ck_assert_ptr_nonnull(removed);
        ck_assert_msg(strcmp(removed, c->removed) == 0, "case %d: got \"%s\", want \"%s\"", _i, removed, c->removed);
        free(removed);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("xcat-common");
        TCase *tc = tcase_create("pure");
        SRunner *sr;
        int failed;

        tcase_add_loop_test(tc, lsdef_table, 0, (int) (sizeof lsdef_cases / sizeof lsdef_cases[0]));
        tcase_add_test(tc, lsdef_binary_and_limits);
        tcase_add_loop_test(tc, lines_table, 0, (int) (sizeof lines_cases / sizeof lines_cases[0]));
        tcase_add_loop_test(tc, lines_remove_added_newline, 0, (int) (sizeof remove_cases / sizeof remove_cases[0]));
        suite_add_tcase(s, tc);
        sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? 1 : 0;
}
