/* Unit tests of the host-API mock itself, through a plugin defined here: options typed and defaulted
 * as the schema says, canned commands, dry-run, files kept inside the temporary directory, the state
 * store's dry-run changes ending with the action, the clock, bounded stats, background work. (What it
 * refuses, it refuses with ck_abort_msg(): a failing test, which a test here cannot expect.) */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "hostapi-mock.h"

static const struct xhafw_option options[] = {
        { "text", XHAFW_OPT_STRING, false, "default text", "" },
        { "count", XHAFW_OPT_INT, false, "3", "" },
        { "flag", XHAFW_OPT_BOOL, false, "no", "" },
        { "items", XHAFW_OPT_LIST, false, NULL, "" },
        { "file", XHAFW_OPT_PATH, false, NULL, "" },
        { "wait", XHAFW_OPT_DURATION, false, "2m", "" },
        { "address", XHAFW_OPT_ADDRESS, false, NULL, "" },
        { .name = NULL },
};

/* What the plugin's members do: set by each test. */
static int (*script)(struct xhafw_step *step);

static int run_script(struct xhafw_step *step)
{
        return script ? script(step) : 0;
}

static int describe(struct xhafw_step *step, FILE *out)
{
        fprintf(out, "%s: %s\n", xhafw_step_name(step), xhafw_opt_string(step, "text"));
        return 0;
}

static const struct xhafw_plugin plugin = {
        .abi = XHAFW_PLUGIN_ABI,
        .size = sizeof(struct xhafw_plugin),
        .name = "mocked",
        .version = "1",
        .summary = "a plugin for the mock's own test",
        .options = options,
        .describe = describe,
        .check = run_script,
        .apply = run_script,
        .revert = run_script,
};

START_TEST(option_values)
{
        const struct mock_option opts[] = {
                { "count", "42" },     { "flag", "Yes" }, { "items", " a, b ,c " },
                { "file", "@TMP@/x" }, { "wait", "" },    { NULL, NULL },
        };
        struct xhafw_step *step = mock_step_new(&plugin, "one", opts);
        const char *const *items;
        char *text = NULL;

        ck_assert_str_eq(xhafw_step_name(step), "one");
        ck_assert_str_eq(xhafw_opt_string(step, "text"), "default text");
        ck_assert_int_eq(xhafw_opt_int(step, "count"), 42);
        ck_assert(xhafw_opt_bool(step, "flag"));
        ck_assert_uint_eq(xhafw_opt_list(step, "items", &items), 3);
        ck_assert_str_eq(items[0], "a");
        ck_assert_str_eq(items[2], "c");
        ck_assert_ptr_null(items[3]);
        ck_assert_str_eq(xhafw_opt_string(step, "file"), mock_path(step, "x"));
        /* empty is unset: the default */
        ck_assert_uint_eq(xhafw_opt_duration_ms(step, "wait"), 120000);
        ck_assert_ptr_null(xhafw_opt_string(step, "address"));
        ck_assert_uint_eq(xhafw_opt_list(step, "address", &items), 0);
        mock_set_option(step, "text", "other");
        ck_assert_int_eq(mock_describe(step, &text), 0);
        ck_assert_str_eq(text, "one: other\n");
        free(text);
        mock_step_free(step);
}
END_TEST

static int run_three(struct xhafw_step *step)
{
        const char *const q[] = { "query", xhafw_opt_string(step, "file"), NULL };
        const char *const change[] = { "change", "it", NULL };
        char *out = NULL;
        int a, b, c;

        a = xhafw_run(step, q, XHAFW_RUN_READONLY, &out);
        xhafw_log(step, LOG_INFO, "first: %d %s", a, out);
        free(out);
        b = xhafw_run(step, q, XHAFW_RUN_READONLY, &out);
        xhafw_log(step, LOG_INFO, "second: %d %s", b, out);
        free(out);
        c = xhafw_run_logged(step, change, 0, LOG_ERR, NULL);
        return c;
}

START_TEST(commands)
{
        const struct mock_command table[] = {
                { "query @TMP@/q", 0, "in @TMP@", true },
                { "query @TMP@/q", 1, "then not", false },
                { "change it", 2, "line 1\n\nline 2\r\nline 3\nline 4\n", false },
                { .argv = NULL },
        };
        const struct mock_option opts[] = { { "file", "@TMP@/q" }, { NULL, NULL } };
        struct xhafw_step *step = mock_step_new(&plugin, "one", opts);
        const struct mock_run *runs;

        script = run_three;
        mock_set_commands(step, table);
        ck_assert_int_eq(mock_apply(step), 2);
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_INFO, "first: 0 in @TMP@"));
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_INFO, "second: 1 then not"));
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_ERR,
                                            "change it failed with exit status 2: line 2 | line 3 | "
                                            "line 4"));
        ck_assert_uint_eq(mock_runs(step, &runs), 3);
        ck_assert(runs[2].executed);
        ck_assert_uint_eq(mock_ran(step, "change it"), 1);

        /* dry-run: queries run, the rest is said */
        mock_clear(step);
        mock_set_commands(step, table);
        mock_set_dry_run(step, true);
        ck_assert_int_eq(mock_apply(step), 0);
        ck_assert_uint_eq(mock_runs(step, &runs), 3);
        ck_assert(runs[0].executed && runs[1].executed && !runs[2].executed);
        ck_assert_ptr_nonnull(mock_log_find(step, MOCK_PRINTED, "would run: change it"));

        /* no answer: as a command that is not installed */
        mock_clear(step);
        mock_set_commands(step, NULL);
        mock_set_dry_run(step, false);
        ck_assert_int_eq(mock_apply(step), -ENOENT);
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_ERR, "command query not found"));
        mock_step_free(step);
}
END_TEST

static int service_calls(struct xhafw_step *step)
{
        int a = xhafw_service(step, "is-active", "unit"), b = xhafw_service(step, "start", "unit");
        return a * 10 + b;
}

START_TEST(services)
{
        const struct mock_command table[] = {
                { "svc --user is-active unit", 3, NULL, false },
                { "svc --user start unit", 1, NULL, false },
                { .argv = NULL },
        };
        struct xhafw_step *step = mock_step_new(&plugin, "one", NULL);
        const struct mock_run *runs;

        script = service_calls;
        mock_set_service_manager(step, "svc --user");
        mock_set_commands(step, table);
        ck_assert_int_eq(mock_apply(step), 31);
        ck_assert_uint_eq(mock_runs(step, &runs), 2);
        ck_assert(runs[0].flags & XHAFW_RUN_READONLY);
        ck_assert(!(runs[1].flags & XHAFW_RUN_READONLY));
        mock_step_free(step);
}
END_TEST

static int replace_files(struct xhafw_step *step)
{
        int a = xhafw_file_replace(step, xhafw_opt_string(step, "file"), "new\n");
        int b = xhafw_file_replace(step, "/etc/passwd", "not really\n");
        int c = xhafw_file_replace(step, "relative", "x");

        return a == 0 && b == -EPERM && c == -EINVAL ? 0 : -1;
}

START_TEST(files)
{
        const struct mock_option opts[] = { { "file", "@TMP@/f" }, { NULL, NULL } };
        struct xhafw_step *step = mock_step_new(&plugin, "one", opts);
        const struct mock_file *f;
        char *text;

        script = replace_files;
        mock_write_file(step, "f", "old\n");
        mock_set_dry_run(step, true);
        ck_assert_int_eq(mock_apply(step), 0);
        text = mock_read_file(step, "f");
        ck_assert_str_eq(text, "old\n");
        free(text);
        ck_assert_ptr_nonnull(mock_log_find(step, MOCK_PRINTED, "-old\n+new\n"));
        ck_assert_uint_eq(mock_files(step, &f), 2);
        ck_assert(f[0].changed && !f[0].written);
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_ERR, "cannot replace /etc/passwd: outside the test's directory"));

        mock_clear(step);
        mock_set_dry_run(step, false);
        ck_assert_int_eq(mock_apply(step), 0);
        ck_assert_uint_eq(mock_files(step, &f), 2);
        ck_assert(f[0].changed && f[0].written);
        text = mock_read_file(step, "f");
        ck_assert_str_eq(text, "new\n");
        free(text);
        /* the same content again: no change */
        mock_clear(step);
        ck_assert_int_eq(mock_apply(step), 0);
        mock_files(step, &f);
        ck_assert(!f[0].changed && !f[0].written);
        /* a write that fails */
        mock_clear(step);
        mock_write_file(step, "f", "old\n");
        mock_file_fail(step, "@TMP@/f", -EIO);
        ck_assert_int_eq(mock_apply(step), -1);
        text = mock_read_file(step, "f");
        ck_assert_str_eq(text, "old\n");
        free(text);
        mock_step_free(step);
}
END_TEST

static int remember(struct xhafw_step *step)
{
        int r = xhafw_state_set(step, "key", "value");

        if (r == 0)
                r = xhafw_state_set(step, "gone", NULL);
        /* the action sees its own changes, dry-run or not */
        return r == 0 && strcmp(xhafw_state_get(step, "key"), "value") == 0 && !xhafw_state_get(step, "gone") ? 0 : r;
}

START_TEST(state)
{
        struct xhafw_step *step = mock_step_new(&plugin, "one", NULL);

        script = remember;
        mock_state_set(step, "gone", "here");
        mock_set_dry_run(step, true);
        ck_assert_int_eq(mock_apply(step), 0);
        /* a dry-run's changes end with its action */
        ck_assert_ptr_null(mock_state_get(step, "key"));
        ck_assert_pstr_eq(mock_state_get(step, "gone"), "here");
        mock_set_dry_run(step, false);
        mock_state_fail(step, -ENOSPC);
        ck_assert_int_eq(mock_apply(step), -ENOSPC);
        ck_assert_ptr_null(mock_state_get(step, "key"));
        mock_state_fail(step, 0);
        ck_assert_int_eq(mock_apply(step), 0);
        ck_assert_pstr_eq(mock_state_get(step, "key"), "value");
        ck_assert_ptr_null(mock_state_get(step, "gone"));
        ck_assert_uint_eq(mock_state_count(step), 1);
        mock_step_free(step);
}
END_TEST

static int background_ran;

static void work(void *arg)
{
        background_ran += *(int *) arg;
}

static int time_and_work(struct xhafw_step *step)
{
        static int one = 1;
        const char *paths[2] = { "/", NULL };
        struct xhafw_stat_result res[2];
        uint64_t t = xhafw_now_ms();
        size_t answered = 9;
        int r;

        xhafw_sleep_ms(250);
        if (xhafw_now_ms() != t + 250)
                return -1;
        paths[1] = xhafw_opt_string(step, "file");
        r = xhafw_stat_bounded(step, paths, 2, 5000, res, &answered);
        xhafw_log(step, LOG_INFO, "stat %d answered %zu mode %o", r, answered, res[0].mode & 0170000);
        if (xhafw_background(step, "repeat", 0, work, &one) != -EINVAL)
                return -2;
        return xhafw_background(step, "repeat", 1000, work, &one);
}

START_TEST(clock_stat_background)
{
        const struct mock_option opts[] = { { "file", "@TMP@/slow" }, { NULL, NULL } };
        struct xhafw_step *step = mock_step_new(&plugin, "one", opts);

        script = time_and_work;
        background_ran = 0;
        ck_assert_int_eq(mock_apply(step), 0);
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_INFO, "stat 0 answered 2 mode 40000"));
        ck_assert_int_eq(background_ran, 1);
        ck_assert_uint_eq(mock_background_count(step, "repeat"), 1);

        mock_clear(step);
        mock_stat_hang(step, mock_path(step, "slow"));
        mock_set_dry_run(step, true);
        ck_assert_int_eq(mock_apply(step), 0);
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_INFO, "stat -110 answered 1"));
        /* dry-run: only said */
        ck_assert_int_eq(background_ran, 1);
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_NOTICE,
                                            "would go on in the background: repeat (at most "
                                            "1000 ms)"));
        mock_step_free(step);
}
END_TEST

static int report(struct xhafw_step *step)
{
        xhafw_preflight_check(step, "a check", XHAFW_CHECK_WARN, "seen", "do this");
        xhafw_preflight_check(step, "a check", XHAFW_CHECK_PASS, "seen again", NULL);
        xhafw_preflight_check(step, "bad", (enum xhafw_check_result) 7, "ignored", NULL);
        xhafw_preflight_fact(step, "version", "1.0");
        return xhafw_node_active(step) && xhafw_force(step) ? 0 : -1;
}

START_TEST(preflight_reports)
{
        struct xhafw_step *step = mock_step_new(&plugin, "one", NULL);
        const struct mock_report *r;

        script = report;
        mock_set_node_active(step, true);
        mock_set_force(step, true);
        ck_assert_int_eq(mock_apply(step), 0);
        /* the plugin has no preflight member: nothing to run */
        ck_assert_int_eq(mock_preflight(step), 0);
        ck_assert_uint_eq(mock_reports(step, &r), 2);
        ck_assert_int_eq(r[0].result, XHAFW_CHECK_WARN);
        ck_assert_str_eq(r[0].fix, "do this");
        ck_assert_int_eq(mock_report_find(step, "a check")->result, XHAFW_CHECK_PASS);
        ck_assert_pstr_eq(mock_fact(step, "version"), "1.0");
        ck_assert_ptr_null(mock_fact(step, "other"));
        mock_step_free(step);
}
END_TEST

static Suite *mock_suite(void)
{
        Suite *s = suite_create("hostapi-mock");
        TCase *tc = tcase_create("hostapi-mock");

        tcase_add_test(tc, option_values);
        tcase_add_test(tc, commands);
        tcase_add_test(tc, services);
        tcase_add_test(tc, files);
        tcase_add_test(tc, state);
        tcase_add_test(tc, clock_stat_background);
        tcase_add_test(tc, preflight_reports);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(mock_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
