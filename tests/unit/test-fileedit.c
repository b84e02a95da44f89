/* Check suite for xhafw_file_replace(): atomic replacement, backup, dry-run diff, crash safety. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static char *dir;
static struct settings settings;
static struct xhafw_step *step;

static void setup(void)
{
        dir = tl_mkdtemp();
        tl_settings(&settings, dir);
        step = tl_step("edit", &settings, false);
        unsetenv("XHAFW_FAULT");
}

static void teardown(void)
{
        unsetenv("XHAFW_FAULT");
        tl_step_free(step);
        tl_settings_free(&settings);
        tl_rmtree(dir);
        free(dir);
        tl_capture_end();
}

/* The user output among the framed messages, frames removed. */
static char *printed(void)
{
        char *m = tl_messages(), *out = xcalloc(strlen(m) + 1, 1), *q = out;
        for (char *line = m; *line;) {
                char *nl = strchr(line, '\n');
                ck_assert_ptr_nonnull(nl);
                if (line[0] == 'O') {
                        memcpy(q, line + 1, (size_t) (nl - line));
                        q += nl - line;
                }
                line = nl + 1;
        }
        free(m);
        return out;
}

static char *path_of(const char *name)
{
        return xasprintf("%s/etc/%s", dir, name);
}

static char *backup_of(const char *path)
{
        char *esc = xcalloc(strlen(path) * 3 + 1, 1), *q = esc, *r;
        for (const char *p = path; *p; p++) {
                if (*p == '/' || *p == '%') {
                        memcpy(q, *p == '/' ? "%2F" : "%25", 3);
                        q += 3;
                } else
                        *q++ = *p;
        }
        r = xasprintf("%s/state/backup/edit/%s", dir, esc);
        free(esc);
        return r;
}

/* Names in DIR that start with PREFIX. */
static int count_prefixed(const char *d, const char *prefix)
{
        DIR *dp = opendir(d);
        struct dirent *de;
        int n = 0;

        ck_assert_ptr_nonnull(dp);
        while ((de = readdir(dp)))
                n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
        closedir(dp);
        return n;
}

static void assert_content(const char *path, const char *expect)
{
        char *got = tl_read(path);
        ck_assert_msg(got != NULL, "%s missing", path);
        ck_assert_str_eq(got, expect);
        free(got);
}

START_TEST(new_file)
{
        char *p = path_of("new.conf"), *b = backup_of(p);
        struct stat st;

        tl_write(dir, "etc/other", "");
        umask(077);
        ck_assert_int_eq(xhafw_file_replace(step, p, "a\nb\n"), 0);
        assert_content(p, "a\nb\n");
        ck_assert_int_eq(stat(p, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0644);
        ck_assert_uint_eq(st.st_uid, geteuid());
        ck_assert_uint_eq(st.st_gid, getegid());
        /* No previous content, no backup. */
        ck_assert_int_eq(access(b, F_OK), -1);
        free(b);
        free(p);

        /* In a setgid directory a new file takes the directory's group, as any new file would. */
        if (geteuid() == 0) {
                char *sg = path_of("sg"), *f = path_of("sg/file");
                ck_assert_int_eq(mkdir(sg, 0755), 0);
                ck_assert_int_eq(chown(sg, 0, 65534), 0);
                ck_assert_int_eq(chmod(sg, 02775), 0);
                ck_assert_int_eq(xhafw_file_replace(step, f, "x\n"), 0);
                ck_assert_int_eq(stat(f, &st), 0);
                ck_assert_uint_eq(st.st_gid, 65534);
                free(f);
                free(sg);
        }
}
END_TEST

START_TEST(keeps_mode_owner_backup)
{
        char *p = path_of("hosts"), *b = backup_of(p), *bdir = xasprintf("%s/state/backup/edit", dir);
        bool root = geteuid() == 0;
        struct stat st;

        tl_write(dir, "etc/hosts", "127.0.0.1 localhost\n");
        ck_assert_int_eq(chmod(p, 0640), 0);
        if (root)
                ck_assert_int_eq(chown(p, 65534, 65534), 0);
        ck_assert_int_eq(xhafw_file_replace(step, p, "127.0.0.1 localhost\n192.0.2.7 mn\n"), 0);
        assert_content(p, "127.0.0.1 localhost\n192.0.2.7 mn\n");
        ck_assert_int_eq(stat(p, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0640);
        if (root) {
                ck_assert_uint_eq(st.st_uid, 65534);
                ck_assert_uint_eq(st.st_gid, 65534);
        }
        assert_content(b, "127.0.0.1 localhost\n");
        ck_assert_int_eq(stat(b, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0600);
        ck_assert_int_eq(stat(bdir, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0700);

        /* The backup follows the content that was replaced last. */
        ck_assert_int_eq(xhafw_file_replace(step, p, "127.0.0.1 localhost\n"), 0);
        assert_content(b, "127.0.0.1 localhost\n192.0.2.7 mn\n");
        free(bdir);
        free(b);
        free(p);
}
END_TEST

START_TEST(setgid_mode_kept)
{
        char *p = path_of("tool.conf");
        struct stat st;

        if (geteuid() != 0)
                return;
        tl_write(dir, "etc/tool.conf", "x\n");
        ck_assert_int_eq(chown(p, 65534, 65534), 0);
        ck_assert_int_eq(chmod(p, 02755), 0);
        ck_assert_int_eq(xhafw_file_replace(step, p, "y\n"), 0);
        ck_assert_int_eq(stat(p, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 02755);
        free(p);
}
END_TEST

START_TEST(backup_name_escaped)
{
        char *p = path_of("a%2Fb"), *b = xasprintf("%s/state/backup/edit/", dir), *expect_name;
        char *esc_dir = backup_of(dir);

        tl_write(dir, "etc/a%2Fb", "old\n");
        ck_assert_int_eq(xhafw_file_replace(step, p, "new\n"), 0);
        expect_name = xasprintf("%s%%2Fetc%%2Fa%%252Fb", esc_dir);
        assert_content(expect_name, "old\n");
        free(expect_name);
        free(esc_dir);
        free(b);
        free(p);
}
END_TEST

START_TEST(identical_content)
{
        char *p = path_of("same"), *state = xasprintf("%s/state", dir);
        struct timespec past[2] = { { .tv_sec = 1000000000 }, { .tv_sec = 1000000000 } };
        struct stat before, after;

        tl_write(dir, "etc/same", "keep\nme\n");
        ck_assert_int_eq(utimensat(AT_FDCWD, p, past, 0), 0);
        ck_assert_int_eq(stat(p, &before), 0);
        ck_assert_int_eq(xhafw_file_replace(step, p, "keep\nme\n"), 0);
        ck_assert_int_eq(stat(p, &after), 0);
        ck_assert_uint_eq(before.st_ino, after.st_ino);
        ck_assert_int_eq(after.st_mtim.tv_sec, 1000000000);
        ck_assert_int_eq(access(state, F_OK), -1);
        free(state);
        free(p);
}
END_TEST

START_TEST(symlink_followed)
{
        char *p = path_of("link"), *target = path_of("real");
        struct stat st;

        tl_write(dir, "etc/real", "old\n");
        ck_assert_int_eq(symlink("real", p), 0);
        ck_assert_int_eq(xhafw_file_replace(step, p, "new\n"), 0);
        ck_assert_int_eq(lstat(p, &st), 0);
        ck_assert(S_ISLNK(st.st_mode));
        assert_content(target, "new\n");
        free(target);
        free(p);
}
END_TEST

/* A link placed by someone else (postgres in its data directory) to a file of root's is refused. */
START_TEST(foreign_symlink_refused)
{
        char *p = path_of("link"), *target = path_of("real");

        if (geteuid() != 0)
                return; /* lchown to another user needs root */
        tl_write(dir, "etc/real", "root's\n");
        ck_assert_int_eq(symlink("real", p), 0);
        ck_assert_int_eq(lchown(p, 65534, 65534), 0);
        ck_assert_int_eq(xhafw_file_replace(step, p, "planted\n"), -EPERM);
        assert_content(target, "root's\n");
        /* the same link owned by the target's owner is followed */
        ck_assert_int_eq(lchown(p, 0, 0), 0);
        ck_assert_int_eq(xhafw_file_replace(step, p, "new\n"), 0);
        assert_content(target, "new\n");
        free(target);
        free(p);
}
END_TEST

START_TEST(refused)
{
        char *d = path_of("adir"), *fifo = path_of("fifo");

        tl_write(dir, "etc/adir/x", "");
        ck_assert_int_eq(mkfifo(fifo, 0600), 0);
        ck_assert_int_eq(xhafw_file_replace(step, "relative/file", "x"), -EINVAL);
        ck_assert_int_eq(xhafw_file_replace(step, d, "x"), -EINVAL);
        ck_assert_int_eq(xhafw_file_replace(step, fifo, "x"), -EINVAL);
        ck_assert_int_eq(xhafw_file_replace(step, NULL, "x"), -EINVAL);
        ck_assert_int_eq(xhafw_file_replace(step, d, NULL), -EINVAL);
        free(fifo);
        free(d);
}
END_TEST

START_TEST(missing_directory)
{
        char *p = xasprintf("%s/nodir/file", dir);
        ck_assert_int_eq(xhafw_file_replace(step, p, "x\n"), -ENOENT);
        free(p);
}
END_TEST

static const struct {
        const char *old; /* NULL: the file does not exist */
        const char *new;
        const char *diff; /* after the two header lines; NULL: nothing printed */
} diff_cases[] = {
        { "a\nb\nc\n", "a\nB\nc\n", "@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n" },
        { NULL, "x\ny\n", "@@ -0,0 +1,2 @@\n+x\n+y\n" },
        { "a\n", "", "@@ -1 +0,0 @@\n-a\n" },
        { "a\nb", "a\nb\n", "@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n" },
        { "a\nb\n", "a\nb\nc", "@@ -1,2 +1,3 @@\n a\n b\n+c\n\\ No newline at end of file\n" },
        { "same\n", "same\n", NULL },
        /* Two hunks: the changes are more than 6 lines apart. */
        { "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n",
          "1\nTWO\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\nEIGHTEEN\n19\n20\n",
          "@@ -1,5 +1,5 @@\n 1\n-2\n+TWO\n 3\n 4\n 5\n"
          "@@ -15,6 +15,6 @@\n 15\n 16\n 17\n-18\n+EIGHTEEN\n 19\n 20\n" },
        /* Exactly 6 equal lines between changes: one hunk. */
        { "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "1\n2\nX\n4\n5\n6\n7\n8\n9\nY\n11\n12\n",
          "@@ -1,12 +1,12 @@\n 1\n 2\n-3\n+X\n 4\n 5\n 6\n 7\n 8\n 9\n-10\n+Y\n 11\n 12\n" },
        /* An insertion in the middle of a longer file, and a pg_hba-like edit. */
        { "a\nb\nc\nd\ne\nf\ng\nh\n", "a\nb\nc\nd\nnew\ne\nf\ng\nh\n",
          "@@ -2,6 +2,7 @@\n b\n c\n d\n+new\n e\n f\n g\n" },
        { "local all all peer\nhost all all 127.0.0.1/32 md5\n",
          "local all all peer\nhost all all 192.0.2.7/32 md5\nhost all all 127.0.0.1/32 md5\nhost all all 192.0.2.10/32 md5\n",
          "@@ -1,2 +1,4 @@\n local all all peer\n+host all all 192.0.2.7/32 md5\n host all all 127.0.0.1/32 md5\n"
          "+host all all 192.0.2.10/32 md5\n" },
};

START_TEST(dry_run_diff)
{
        char *p = path_of("file.conf"), *state = xasprintf("%s/state", dir), *etc = xasprintf("%s/etc", dir);
        char *got, *expect;
        struct stat before, after;

        tl_write(dir, "etc/keep", "");
        if (diff_cases[_i].old) {
                tl_write(dir, "etc/file.conf", diff_cases[_i].old);
                ck_assert_int_eq(stat(p, &before), 0);
        }
        step->action->dry_run = true;
        tl_capture(step);
        ck_assert_int_eq(xhafw_file_replace(step, p, diff_cases[_i].new), 0);
        got = printed();
        if (diff_cases[_i].diff)
                expect = xasprintf("--- %s\n+++ %s (after xhafw)\n%s", p, p, diff_cases[_i].diff);
        else
                expect = strdup_or_die("");
        ck_assert_str_eq(got, expect);
        /* Nothing changed on disk, not even the state dir. */
        if (diff_cases[_i].old) {
                assert_content(p, diff_cases[_i].old);
                ck_assert_int_eq(stat(p, &after), 0);
                ck_assert_uint_eq(before.st_ino, after.st_ino);
        } else
                ck_assert_int_eq(access(p, F_OK), -1);
        ck_assert_int_eq(access(state, F_OK), -1);
        ck_assert_int_eq(count_prefixed(etc, ""), diff_cases[_i].old ? 4 : 3);
        free(etc);
        free(expect);
        free(got);
        free(state);
        free(p);
}
END_TEST

static char *random_text(unsigned *seed, int max_lines)
{
        static const char *const words[] = { "alpha", "beta", "gamma", "delta", "", "x y" };
        int n = (int) (rand_r(seed) % (unsigned) (max_lines + 1));
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);

        for (int i = 0; i < n; i++)
                fprintf(f, "%s\n", words[rand_r(seed) % 6]);
        fclose(f);
        /* Sometimes no newline at the end. */
        if (len > 0 && rand_r(seed) % 4 == 0)
                buf[len - 1] = 0;
        return buf;
}

/* The diff is real: patch(1) turns the old content into the new with it. */
static void check_with_patch(const char *old, const char *new)
{
        char *p = path_of("f"), *diff_file = xasprintf("%s/d.diff", dir), *result = xasprintf("%s/result", dir);
        char *diff, *got;
        const char *argv[] = { "patch", "-s", "-o", result, p, "-i", diff_file, NULL };

        tl_write(dir, "etc/f", old);
        step->action->dry_run = true;
        tl_capture(step);
        ck_assert_int_eq(xhafw_file_replace(step, p, new), 0);
        diff = printed();
        tl_capture_end();
        step->action->msg_fd = -1;
        if (strcmp(old, new) == 0) {
                ck_assert_str_eq(diff, "");
                goto out;
        }
        tl_write(dir, "d.diff", diff);
        unlink(result);
        ck_assert_msg(xhafw_run(step, argv, XHAFW_RUN_READONLY, NULL) == 0, "patch failed on:\n%s", diff);
        got = tl_read(result);
        ck_assert_ptr_nonnull(got);
        ck_assert_msg(strcmp(got, new) == 0, "old:\n%s\nnew:\n%s\ndiff:\n%s\ngot:\n%s", old, new, diff, got);
        free(got);
out:
        free(diff);
        free(result);
        free(diff_file);
        free(p);
}

START_TEST(diff_applies_random)
{
        unsigned seed = 12345;
        for (int i = 0; i < 200; i++) {
                char *a = random_text(&seed, 30), *b;
                /* Mostly small edits of A, as config changes are. */
                if (rand_r(&seed) % 3) {
                        size_t n = strlen(a), cut = n ? rand_r(&seed) % n : 0;
                        char *mid = random_text(&seed, 3);
                        b = xasprintf("%.*s%s%s", (int) cut, a, mid, a + cut + (n - cut > 5 ? rand_r(&seed) % 5 : 0));
                        free(mid);
                } else
                        b = random_text(&seed, 30);
                check_with_patch(a, b);
                free(a);
                free(b);
        }
}
END_TEST

START_TEST(diff_large_middle)
{
        FILE *fa, *fb;
        char *a = NULL, *b = NULL;
        size_t na = 0, nb = 0;

        /* 3000 x 3000 changed lines is beyond the LCS table's limit: delete all, add all. */
        fa = open_memstream(&a, &na);
        fb = open_memstream(&b, &nb);
        fputs("head\n", fa);
        fputs("head\n", fb);
        for (int i = 0; i < 3000; i++) {
                fprintf(fa, "old %d\n", i);
                fprintf(fb, "new %d\n", i);
        }
        fputs("tail\n", fa);
        fputs("tail\n", fb);
        fclose(fa);
        fclose(fb);
        check_with_patch(a, b);
        free(a);
        free(b);
}
END_TEST

static const char *const stages[] = { "after-write", "before-fsync", "before-rename", "before-dirsync" };

START_TEST(fault_injected)
{
        const char *stage = stages[_i];
        bool renamed = strcmp(stage, "before-dirsync") == 0;
        char *p = path_of("pg_hba.conf"), *etc = xasprintf("%s/etc", dir);

        tl_write(dir, "etc/pg_hba.conf", "old line\n");
        setenv("XHAFW_FAULT", "before-nothing", 1);
        ck_assert_int_eq(xhafw_file_replace(step, p, "first\n"), 0);
        setenv("XHAFW_FAULT", stage, 1);
        ck_assert_int_eq(xhafw_file_replace(step, p, "second\n"), -EIO);
        /* Whole old content, or whole new content once the rename is done; never a temporary file. */
        assert_content(p, renamed ? "second\n" : "first\n");
        ck_assert_int_eq(count_prefixed(etc, ".pg_hba.conf.xhafw-"), 0);
        free(etc);
        free(p);
}
END_TEST

START_TEST(fault_killed)
{
        const char *stage = stages[_i];
        bool renamed = strcmp(stage, "before-dirsync") == 0;
        char *p = path_of("pg_hba.conf"), *etc = xasprintf("%s/etc", dir), *fault = xasprintf("kill:%s", stage);
        int status;
        pid_t pid;

        tl_write(dir, "etc/pg_hba.conf", "old line\n");
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                setenv("XHAFW_FAULT", fault, 1);
                (void) xhafw_file_replace(step, p, "new line\n");
                _exit(0);
        }
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        assert_content(p, renamed ? "new line\n" : "old line\n");
        /* A crash may leave the temporary file; the next replacement removes it. */
        ck_assert_int_eq(count_prefixed(etc, ".pg_hba.conf.xhafw-"), renamed ? 0 : 1);
        ck_assert_int_eq(xhafw_file_replace(step, p, "again\n"), 0);
        assert_content(p, "again\n");
        ck_assert_int_eq(count_prefixed(etc, ".pg_hba.conf.xhafw-"), 0);
        free(fault);
        free(etc);
        free(p);
}
END_TEST

static Suite *fileedit_suite(void)
{
        Suite *s = suite_create("fileedit");
        TCase *tc = tcase_create("replace");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, new_file);
        tcase_add_test(tc, keeps_mode_owner_backup);
        tcase_add_test(tc, setgid_mode_kept);
        tcase_add_test(tc, backup_name_escaped);
        tcase_add_test(tc, identical_content);
        tcase_add_test(tc, symlink_followed);
        tcase_add_test(tc, foreign_symlink_refused);
        tcase_add_test(tc, refused);
        tcase_add_test(tc, missing_directory);
        suite_add_tcase(s, tc);

        tc = tcase_create("diff");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_loop_test(tc, dry_run_diff, 0, sizeof diff_cases / sizeof diff_cases[0]);
        tcase_add_test(tc, diff_applies_random);
        tcase_add_test(tc, diff_large_middle);
        suite_add_tcase(s, tc);

        tc = tcase_create("faults");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_loop_test(tc, fault_injected, 0, sizeof stages / sizeof stages[0]);
        tcase_add_loop_test(tc, fault_killed, 0, sizeof stages / sizeof stages[0]);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return tl_run(fileedit_suite());
}
