/* Unit tests of the database plugins' pure helpers (dbfile.c): paths, whole files, the password line, the poll interval. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbfile.h"

#define N(a) ((int) (sizeof(a) / sizeof((a)[0])))

struct join_case {
        const char *dir, *name, *want;
};

static const struct join_case join_cases[] = {
        { "/var/lib/pgsql/data", "postmaster.pid", "/var/lib/pgsql/data/postmaster.pid" },
        { "/var/lib/mysql/", "mysql", "/var/lib/mysql/mysql" },
        { "/", "x", "/x" },
        { "rel", "x", "rel/x" },
        { "", "x", "/x" },
};

START_TEST(join_table)
{
        const struct join_case *c = &join_cases[_i];
        char *p = db_path_join(c->dir, c->name);

        ck_assert_ptr_nonnull(p);
        ck_assert_str_eq(p, c->want);
        free(p);
}
END_TEST

struct line_case {
        const char *text;
        size_t max;
        int want_r;
        const char *want;
};

static const struct line_case line_cases[] = {
        { "secret\n", 1024, 0, "secret" },
        { "secret", 1024, 0, "secret" },
        { "secret\r\nsecond line\n", 1024, 0, "secret" },
        { "with blanks inside \n", 1024, 0, "with blanks inside " },
        { "\nsecret\n", 1024, -EINVAL, NULL }, /* the first line is empty */
        { "", 1024, -EINVAL, NULL },
        { "\r\n", 1024, -EINVAL, NULL },
        { "12345\n", 5, 0, "12345" }, /* as long as allowed */
        { "123456\n", 5, -EINVAL, NULL },
};

START_TEST(line_table)
{
        const struct line_case *c = &line_cases[_i];
        char *p = NULL;
        int r = db_first_line(c->text, c->max, &p);

        ck_assert_msg(r == c->want_r, "case %d: %d, want %d", _i, r, c->want_r);
        if (c->want)
                ck_assert_str_eq(p, c->want);
        else
                ck_assert_ptr_null(p);
        db_free_password(p);
}
END_TEST

struct poll_case {
        const char *value;
        uint64_t want;
};

static const struct poll_case poll_cases[] = {
        { NULL, 10 },
        { "", 10 },
        { "1", 1 },
        { "1000", 1000 },
        { "250", 250 },
        { "0", 10 },
        { "1001", 10 },
        { "-5", 10 },
        { "5ms", 10 },
        { " 5", 5 },
        { "99999999999999999999", 10 },
};

START_TEST(poll_table)
{
        const struct poll_case *c = &poll_cases[_i];

        ck_assert_msg(db_poll_ms(c->value, 10) == c->want, "case %d (%s): %llu, want %llu", _i,
                      c->value ? c->value : "(null)", (unsigned long long) db_poll_ms(c->value, 10),
                      (unsigned long long) c->want);
}
END_TEST

struct file_case {
        const char *content;
        size_t len;
        int want_r;
};

static const struct file_case file_cases[] = {
        { "text\nlines\n", 11, 0 },
        { "", 0, 0 },             /* empty: "" */
        { "a\0b\n", 4, -EINVAL }, /* a NUL byte: not a text file */
        { "no newline", 10, 0 },
};

START_TEST(file_table)
{
        const struct file_case *c = &file_cases[_i];
        char path[] = "/tmp/test-dbfile.XXXXXX", *text = NULL;
        int fd = mkstemp(path), r;

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, c->content, c->len), (ssize_t) c->len);
        close(fd);
        r = db_read_file(path, &text);
        unlink(path);
        ck_assert_msg(r == c->want_r, "case %d: %d, want %d", _i, r, c->want_r);
        if (r == 0) {
                ck_assert_uint_eq(strlen(text), c->len);
                ck_assert_mem_eq(text, c->content, c->len);
        } else
                ck_assert_ptr_null(text);
        free(text);
}
END_TEST

START_TEST(file_missing_and_large)
{
        char path[] = "/tmp/test-dbfile.XXXXXX", *text = NULL, chunk[65536];
        int fd = mkstemp(path);

        ck_assert_int_eq(db_read_file("/nonexistent/test-dbfile", &text), -ENOENT);
        ck_assert_int_ge(fd, 0);
        memset(chunk, 'x', sizeof chunk);
        for (size_t n = 0; n <= DB_MAX_FILE; n += sizeof chunk)
                ck_assert_int_eq(write(fd, chunk, sizeof chunk), (ssize_t) sizeof chunk);
        close(fd);
        ck_assert_int_eq(db_read_file(path, &text), -EFBIG);
        ck_assert_ptr_null(text);
        unlink(path);
}
END_TEST

START_TEST(print_list)
{
        const char *items[] = { "localhost", "192.0.2.7", "2001:db8::7" };
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        db_print_list(f, items, 3);
        fputc('|', f);
        db_print_list(f, items, 0);
        fclose(f);
        ck_assert_str_eq(buf, "localhost, 192.0.2.7, 2001:db8::7|(none)");
        free(buf);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("db-common");
        TCase *tc = tcase_create("dbfile");
        SRunner *sr;
        int failed;

        tcase_add_loop_test(tc, join_table, 0, N(join_cases));
        tcase_add_loop_test(tc, line_table, 0, N(line_cases));
        tcase_add_loop_test(tc, poll_table, 0, N(poll_cases));
        tcase_add_loop_test(tc, file_table, 0, N(file_cases));
        tcase_add_test(tc, file_missing_and_large);
        tcase_add_test(tc, print_list);
        suite_add_tcase(s, tc);
        sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
