/* Check suite for the command runner: xhafw_run() and xhafw_service(). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

static char *dir;
static struct settings settings;
static struct xhafw_step *step;

static void setup(void)
{
        dir = tl_mkdtemp();
        tl_settings(&settings, dir);
        step = tl_step("runner", &settings, false);
}

static void teardown(void)
{
        tl_step_free(step);
        tl_settings_free(&settings);
        tl_rmtree(dir);
        free(dir);
        tl_capture_end();
}

static void write_script(const char *name, const char *body)
{
        char *p = xasprintf("%s/%s", dir, name);
        tl_write(dir, name, body);
        ck_assert_int_eq(chmod(p, 0755), 0);
        free(p);
}

/* Run ARGV, check the result; the captured output, for the caller to check and free. */
static char *run_ok(const char *const argv[], unsigned flags, int expect)
{
        char *out = NULL;
        int r = xhafw_run(step, argv, flags, &out);
        ck_assert_msg(r == expect, "%s: got %d, expected %d", argv[0], r, expect);
        ck_assert_ptr_nonnull(out);
        return out;
}

static const struct {
        const char *script;
        int status;
} status_cases[] = {
        { "exit 0", 0 },
        { "exit 1", 1 },
        { "exit 7", 7 },
        { "exit 255", 255 },
        { "kill -TERM $$", 128 + SIGTERM },
        { "kill -KILL $$", 128 + SIGKILL },
        { "kill -SEGV $$", 128 + SIGSEGV },
};

START_TEST(exit_status)
{
        const char *argv[] = { "sh", "-c", status_cases[_i].script, NULL };
        free(run_ok(argv, 0, status_cases[_i].status));
}
END_TEST

START_TEST(output_captured)
{
        const char *argv[] = { "sh", "-c", "echo out; echo err >&2; printf last", NULL };
        char *out = run_ok(argv, 0, 0);
        ck_assert_str_eq(out, "out\nerr\nlast");
        free(out);
}
END_TEST

START_TEST(output_optional)
{
        const char *argv[] = { "sh", "-c", "echo ignored; exit 3", NULL };
        ck_assert_int_eq(xhafw_run(step, argv, 0, NULL), 3);
}
END_TEST

START_TEST(output_logged)
{
        const char *argv[] = { "sh", "-c", "echo one; echo two >&2; exit 4", NULL };
        char *m;

        tl_capture(step);
        ck_assert_int_eq(xhafw_run(step, argv, 0, NULL), 4);
        m = tl_messages();
        ck_assert_str_eq(m, "6running: sh -c 'echo one; echo two >&2; exit 4'\n"
                            "7  one\n"
                            "7  two\n"
                            "6sh exited with status 4\n");
        free(m);
}
END_TEST

START_TEST(output_truncated)
{
        const char *argv[] = { "sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' x; echo end >&2", NULL };
        char *out = run_ok(argv, 0, 0);
        ck_assert_uint_eq(strlen(out), XHAFW_MAX_OUTPUT);
        ck_assert_int_eq(out[XHAFW_MAX_OUTPUT - 1], 'x');
        free(out);
}
END_TEST

START_TEST(stdin_is_dev_null)
{
        const char *argv[] = { "cat", NULL };
        char *out = run_ok(argv, 0, 0);
        ck_assert_str_eq(out, "");
        free(out);
}
END_TEST

START_TEST(path_from_settings)
{
        const char *argv[] = { "xhafw-unit-cmd", "a b", NULL };
        char *out;

        char *own = xasprintf("%s/bin:/usr/bin:/bin", dir);

        write_script("bin/xhafw-unit-cmd", "#!/bin/sh\necho \"found $1\"\n");
        /* Not on the configured PATH yet; xhafw's own PATH does not count either. */
        setenv("PATH", own, 1);
        free(own);
        ck_assert_int_eq(xhafw_run(step, argv, 0, NULL), -ENOENT);

        free(settings.path);
        settings.path = xasprintf("/nonexistent::%s/bin:/usr/bin:/bin", dir);
        out = run_ok(argv, 0, 0);
        ck_assert_str_eq(out, "found a b\n");
        free(out);
}
END_TEST

START_TEST(path_with_slash)
{
        char *script = xasprintf("%s/bin/tool", dir);
        const char *argv[] = { script, NULL };
        char *out;

        write_script("bin/tool", "#!/bin/sh\necho direct\n");
        free(settings.path);
        settings.path = strdup_or_die("/nonexistent");
        out = run_ok(argv, 0, 0);
        ck_assert_str_eq(out, "direct\n");
        free(out);
        free(script);
}
END_TEST

START_TEST(not_found)
{
        const char *argv[] = { "xhafw-no-such-command", NULL };
        const char *argv2[] = { "/nonexistent/tool", NULL };
        char *out = NULL, *m;

        tl_capture(step);
        ck_assert_int_eq(xhafw_run(step, argv, 0, &out), -ENOENT);
        ck_assert_ptr_null(out);
        m = tl_messages();
        ck_assert_str_eq(m, "3command xhafw-no-such-command not found in PATH /usr/sbin:/usr/bin:/sbin:/bin\n");
        free(m);
        ck_assert_int_eq(xhafw_run(step, argv2, 0, &out), -ENOENT);
        ck_assert_ptr_null(out);
}
END_TEST

START_TEST(not_executable)
{
        const char *argv[] = { "garbage", NULL };
        const char *argv2[] = { "plain", NULL };

        /* Executable bit but no format execve knows (no #!): the errno comes back, not 127. */
        write_script("bin/garbage", "\x01\x02\x03 not a program\n");
        tl_write(dir, "bin/plain", "#!/bin/sh\nexit 0\n");
        free(settings.path);
        settings.path = xasprintf("%s/bin", dir);
        ck_assert_int_eq(xhafw_run(step, argv, 0, NULL), -ENOEXEC);
        ck_assert_int_eq(xhafw_run(step, argv2, 0, NULL), -ENOENT);
}
END_TEST

START_TEST(invalid_argv)
{
        const char *empty[] = { "", NULL };
        const char *none[] = { NULL };
        ck_assert_int_eq(xhafw_run(step, NULL, 0, NULL), -EINVAL);
        ck_assert_int_eq(xhafw_run(step, none, 0, NULL), -EINVAL);
        ck_assert_int_eq(xhafw_run(step, empty, 0, NULL), -EINVAL);
}
END_TEST

START_TEST(clean_environment)
{
        const char *argv[] = { "env", NULL };
        char *out;

        setenv("XHAFW_UNIT_SECRET", "s3cret", 1);
        setenv("XHAFW_UNIT_OTHER", "other", 1);
        setenv("HOME", "/root", 1);
        setenv("LC_ALL", "de_DE.UTF-8", 1);
        unsetenv("XHAFW_UNIT_UNSET");
        out = run_ok(argv, 0, 0);
        ck_assert_str_eq(out, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nLC_ALL=C\n");
        free(out);

        settings.pass_env = xcalloc(4, sizeof(char *));
        settings.pass_env[0] = strdup_or_die("XHAFW_UNIT_SECRET");
        settings.pass_env[1] = strdup_or_die("XHAFW_UNIT_UNSET");
        settings.pass_env[2] = strdup_or_die("PATH");
        out = run_ok(argv, 0, 0);
        ck_assert_str_eq(out, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nXHAFW_UNIT_SECRET=s3cret\nLC_ALL=C\n");
        free(out);
}
END_TEST

START_TEST(signals_reset)
{
        const char *argv[] = { "sh", "-c", "kill -TERM $$; exit 0", NULL };
        struct sigaction ign = { .sa_handler = SIG_IGN }, old_term, old_pipe;
        sigset_t mask, old_mask;

        /* The engine may block (signalfd) or ignore signals: commands must not inherit that. */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGCHLD);
        ck_assert_int_eq(sigprocmask(SIG_BLOCK, &mask, &old_mask), 0);
        ck_assert_int_eq(sigaction(SIGPIPE, &ign, &old_pipe), 0);
        free(run_ok(argv, 0, 128 + SIGTERM));
        ck_assert_int_eq(sigaction(SIGTERM, &ign, &old_term), 0);
        free(run_ok(argv, 0, 128 + SIGTERM));
        sigaction(SIGTERM, &old_term, NULL);
        sigaction(SIGPIPE, &old_pipe, NULL);
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
}
END_TEST

START_TEST(fds_closed)
{
        const char *argv[] = { "sh", "-c", "ls /proc/$$/fd", NULL };
        int fd = open("/dev/null", O_RDONLY);
        char *out;

        /* Opened without O_CLOEXEC, as a library might: still not passed on. */
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(dup2(fd, 42), 42);
        out = run_ok(argv, 0, 0);
        ck_assert_msg(strstr(out, "42") == NULL, "fd 42 leaked: %s", out);
        ck_assert_msg(strncmp(out, "0\n1\n2\n", 6) == 0, "unexpected fds: %s", out);
        free(out);
        close(42);
        close(fd);
}
END_TEST

START_TEST(stdio_fds_closed_in_caller)
{
        const char *argv[] = { "sh", "-c", "echo fine; cat", NULL };
        int saved_in = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3), saved_out = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        char *out;

        /* With 0..2 closed the pipe gets the lowest numbers: they must still end up right. */
        close(STDIN_FILENO);
        close(STDOUT_FILENO);
        out = run_ok(argv, 0, 0);
        dup2(saved_in, STDIN_FILENO);
        dup2(saved_out, STDOUT_FILENO);
        close(saved_in);
        close(saved_out);
        ck_assert_str_eq(out, "fine\n");
        free(out);
}
END_TEST

START_TEST(background_holder)
{
        const char *argv[] = { "sh", "-c", "sleep 30 & echo $!", NULL };
        uint64_t t0 = now_ms();
        char *out = run_ok(argv, 0, 0);
        long long pid;

        /* A daemon that keeps the output pipe open must not keep us waiting. */
        ck_assert_uint_lt(now_ms() - t0, 5000);
        out[strcspn(out, "\n")] = 0;
        ck_assert_int_eq(parse_int(out, &pid), 0);
        ck_assert_int_eq(kill((pid_t) pid, SIGKILL), 0);
        free(out);
}
END_TEST

START_TEST(dry_run_prints)
{
        char *file = xasprintf("%s/touched", dir);
        const char *argv[] = { "touch", file, NULL };
        const char *argv2[] = { "echo", "a b", "it's", "", "x=1,y/z", "$HOME", NULL };
        char *out = NULL, *m, *expect;

        step->action->dry_run = true;
        tl_capture(step);
        ck_assert_int_eq(xhafw_run(step, argv, 0, &out), 0);
        ck_assert_str_eq(out, "");
        free(out);
        ck_assert_int_eq(access(file, F_OK), -1);
        ck_assert_int_eq(xhafw_run(step, argv2, 0, NULL), 0);
        m = tl_messages();
        expect = xasprintf("Owould run: touch %s\nOwould run: echo 'a b' 'it'\\''s' '' x=1,y/z '$HOME'\n", file);
        ck_assert_str_eq(m, expect);
        free(expect);
        free(m);
        free(file);
}
END_TEST

START_TEST(dry_run_readonly_runs)
{
        const char *argv[] = { "sh", "-c", "echo queried; exit 2", NULL };
        const char *missing[] = { "xhafw-no-such-command", NULL };
        char *out;

        step->action->dry_run = true;
        out = run_ok(argv, XHAFW_RUN_READONLY, 2);
        ck_assert_str_eq(out, "queried\n");
        free(out);
        /* A plan that would run a missing command still shows; a query of one fails. */
        ck_assert_int_eq(xhafw_run(step, missing, 0, NULL), 0);
        ck_assert_int_eq(xhafw_run(step, missing, XHAFW_RUN_READONLY, NULL), -ENOENT);
}
END_TEST

/* A fake service manager that records its arguments and answers is-active with 3. */
static char *fake_service_manager(void)
{
        char *body = xasprintf("#!/bin/sh\nprintf '%%s\\n' \"$@\" >> %s/calls\n"
                               "[ \"$2\" = is-active ] && exit 3\nexit 0\n",
                               dir);
        write_script("svc", body);
        free(body);
        settings.service_manager = xcalloc(3, sizeof(char *));
        settings.service_manager[0] = xasprintf("%s/svc", dir);
        settings.service_manager[1] = strdup_or_die("--quiet");
        return xasprintf("%s/calls", dir);
}

static const struct {
        bool dry_run;
        const char *verb, *unit;
        int result;
        const char *calls; /* NULL: not run */
} service_cases[] = {
        { false, "start", "xcatd.service", 0, "--quiet\nstart\nxcatd.service\n" },
        { false, "stop", "named", 0, "--quiet\nstop\nnamed\n" },
        { false, "is-active", "dhcpd", 3, "--quiet\nis-active\ndhcpd\n" },
        { true, "start", "xcatd.service", 0, NULL },
        { true, "stop", "named", 0, NULL },
        { true, "is-active", "dhcpd", 3, "--quiet\nis-active\ndhcpd\n" },
        { true, "status", "dhcpd", 0, "--quiet\nstatus\ndhcpd\n" },
};

START_TEST(service_argv)
{
        char *calls = fake_service_manager(), *got, *m;

        step->action->dry_run = service_cases[_i].dry_run;
        tl_capture(step);
        ck_assert_int_eq(xhafw_service(step, service_cases[_i].verb, service_cases[_i].unit), service_cases[_i].result);
        got = tl_read(calls);
        m = tl_messages();
        if (service_cases[_i].calls) {
                ck_assert_ptr_nonnull(got);
                ck_assert_str_eq(got, service_cases[_i].calls);
        } else {
                char *expect = xasprintf("Owould run: %s --quiet %s %s\n", settings.service_manager[0],
                                         service_cases[_i].verb, service_cases[_i].unit);
                ck_assert_ptr_null(got);
                ck_assert_str_eq(m, expect);
                free(expect);
        }
        free(m);
        free(got);
        free(calls);
}
END_TEST

START_TEST(service_manager_empty)
{
        char *m;

        tl_capture(step);
        ck_assert_int_eq(xhafw_service(step, "start", "xcatd"), -EINVAL);
        settings.service_manager = xcalloc(1, sizeof(char *));
        ck_assert_int_eq(xhafw_service(step, "start", "xcatd"), -EINVAL);
        ck_assert_int_eq(xhafw_service(step, NULL, "xcatd"), -EINVAL);
        m = tl_messages();
        ck_assert_ptr_nonnull(strstr(m, "3service_manager is empty"));
        free(m);
}
END_TEST

static Suite *runner_suite(void)
{
        Suite *s = suite_create("runner");
        TCase *tc = tcase_create("run");

        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_loop_test(tc, exit_status, 0, sizeof status_cases / sizeof status_cases[0]);
        tcase_add_test(tc, output_captured);
        tcase_add_test(tc, output_optional);
        tcase_add_test(tc, output_logged);
        tcase_add_test(tc, output_truncated);
        tcase_add_test(tc, stdin_is_dev_null);
        tcase_add_test(tc, path_from_settings);
        tcase_add_test(tc, path_with_slash);
        tcase_add_test(tc, not_found);
        tcase_add_test(tc, not_executable);
        tcase_add_test(tc, invalid_argv);
        tcase_add_test(tc, clean_environment);
        tcase_add_test(tc, signals_reset);
        tcase_add_test(tc, fds_closed);
        tcase_add_test(tc, stdio_fds_closed_in_caller);
        tcase_add_test(tc, background_holder);
        tcase_add_test(tc, dry_run_prints);
        tcase_add_test(tc, dry_run_readonly_runs);
        suite_add_tcase(s, tc);

        tc = tcase_create("service");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_loop_test(tc, service_argv, 0, sizeof service_cases / sizeof service_cases[0]);
        tcase_add_test(tc, service_manager_empty);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return tl_run(runner_suite());
}
