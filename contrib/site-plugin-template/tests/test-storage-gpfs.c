/* storage-gpfs's logic against xhafw's host-API mock (installed with xhafw's development files):
 * what validate refuses, what check makes of mmlsmount's answers, what a dry-run apply and revert
 * would do. Nothing runs: the mock answers the commands from tables. The mounts themselves are
 * left to tests/gpfs.sh, which drives the installed xhafw in a mount namespace. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "hostapi-mock.h"

extern const struct xhafw_plugin xhafw_plugin_v1;

#define N(a) ((int) (sizeof(a) / sizeof((a)[0])))
#define HEADER "mmlsmount::HEADER:version:reserved:reserved:localDevName:realDevName:owningCluster:nodeName:\n"
#define MOUNTED_ON(node) "mmlsmount::0:1:::gpfs0:gpfs0:c1:" node ":\n"

static size_t n_runs(const struct xhafw_step *step)
{
        const struct mock_run *runs;
        return mock_runs(step, &runs);
}

static struct xhafw_step *gpfs_step(const char *paths, const char *extra_name, const char *extra_value)
{
        const struct mock_option opts[] = {
                { "device", "gpfs0" }, { "mountpoint", "@TMP@/gpfs" }, { "paths", paths },
                { "node", "mn1" },     { extra_name, extra_value },    { NULL, NULL },
        };
        return mock_step_new(&xhafw_plugin_v1, "storage", opts);
}

/* ---- validate: configuration only ---- */

static const struct {
        const char *paths, *key, *value;
        int result;
        const char *message;
} validate_cases[] = {
        { "/install, /tftpboot", NULL, NULL, 0, NULL },
        { "/install", "link", "symlink", -EINVAL, "link = symlink: storage-gpfs only binds" },
        { "/install", "kill_holders", "yes", -EINVAL, "kill_holders = yes: not supported" },
        { "/", NULL, NULL, -EINVAL, "'/' must be an absolute path other than /" },
        { "install", NULL, NULL, -EINVAL, "'install' must be an absolute path" },
        { "/install/../etc", NULL, NULL, -EINVAL, "'/install/../etc' must be an absolute path" },
};

START_TEST(test_validate)
{
        struct xhafw_step *step = gpfs_step(validate_cases[_i].paths, validate_cases[_i].key, validate_cases[_i].value);

        ck_assert_int_eq(mock_validate(step), validate_cases[_i].result);
        if (validate_cases[_i].message)
                ck_assert_msg(mock_log_find(step, LOG_ERR, validate_cases[_i].message), "case %d: %s", _i,
                              mock_log_text(step));
        ck_assert_int_eq(n_runs(step), 0); /* validate never asks the machine */
        mock_step_free(step);
}
END_TEST

/* ---- check: mmlsmount's answer, this node's name, and what this step remembers ---- */

static const struct {
        int status;
        const char *output;
        bool remembered; /* the state says this step mounted GPFS */
        int result;
        const char *message;
} check_cases[] = {
        { 0, HEADER, false, XHAFW_INACTIVE, NULL },                          /* mounted nowhere */
        { 0, HEADER MOUNTED_ON("mn2"), false, XHAFW_INACTIVE, NULL },        /* on the other node only */
        { 0, HEADER MOUNTED_ON("mn1"), false, XHAFW_INACTIVE, NULL },        /* here, no path bound */
        { 0, HEADER MOUNTED_ON("mn1"), true, XHAFW_PARTIAL, NULL },          /* here by this step, no bind */
        { 0, MOUNTED_ON("mn1"), false, -EIO, "printed no nodeName column" }, /* no header: unreadable */
        { 1, "mmlsmount: GPFS is down\n", false, -EIO, "is GPFS up on this node?" },
};

START_TEST(test_check)
{
        struct xhafw_step *step = gpfs_step("/install", NULL, NULL);
        const struct mock_command answers[] = {
                { .argv = "mmlsmount gpfs0 -L -Y", .status = check_cases[_i].status, .output = check_cases[_i].output },
                { .argv = NULL },
        };

        mock_set_commands(step, answers);
        if (check_cases[_i].remembered)
                mock_state_set(step, "mounted", "gpfs0");
        ck_assert_int_eq(mock_check(step), check_cases[_i].result);
        if (check_cases[_i].message)
                ck_assert_msg(mock_log_find(step, LOG_ERR, check_cases[_i].message), "case %d: %s", _i,
                              mock_log_text(step));
        ck_assert_int_eq(mock_ran(step, "mmlsmount gpfs0 -L -Y"), 1);
        ck_assert_int_eq(n_runs(step), 1); /* a query only */
        mock_step_free(step);
}
END_TEST

/* ---- apply and revert in a dry-run: said, not done ---- */

START_TEST(test_dry_run_apply_mounts_then_binds)
{
        struct xhafw_step *step = gpfs_step("/install, /tftpboot", NULL, NULL);
        const struct mock_command answers[] = {
                { .argv = "mmlsmount gpfs0 -L -Y", .status = 0, .output = HEADER },
                { .argv = "mmmount gpfs0", .status = 0 },
                { .argv = NULL },
        };
        const struct mock_run *runs;

        mock_set_commands(step, answers);
        mock_set_dry_run(step, true);
        ck_assert_int_eq(mock_apply(step), 0);
        ck_assert_int_eq(mock_runs(step, &runs), 2);
        ck_assert_str_eq(runs[1].argv, "mmmount gpfs0");
        ck_assert(!runs[1].executed);
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_NOTICE, "would bind"));
        ck_assert_uint_eq(mock_state_count(step), 0); /* a dry-run remembers nothing */
        mock_step_free(step);
}
END_TEST

START_TEST(test_apply_mmmount_fails)
{
        struct xhafw_step *step = gpfs_step("/install", NULL, NULL);
        const struct mock_command answers[] = {
                { .argv = "mmlsmount gpfs0 -L -Y", .status = 0, .output = HEADER },
                { .argv = "mmmount gpfs0", .status = 1, .output = "mmmount: No quorum\n" },
                { .argv = NULL },
        };

        mock_set_commands(step, answers);
        ck_assert_int_eq(mock_apply(step), -EIO);
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_ERR, "mmmount gpfs0 failed (1)"));
        ck_assert_uint_eq(mock_state_count(step), 0); /* not mounted: nothing to unmount on revert */
        mock_step_free(step);
}
END_TEST

START_TEST(test_revert_unmounts_only_what_it_mounted)
{
        struct xhafw_step *step = gpfs_step("/install", NULL, NULL);
        const struct mock_command answers[] = {
                { .argv = "mmlsmount gpfs0 -L -Y", .status = 0, .output = HEADER MOUNTED_ON("mn1") },
                { .argv = "mmumount gpfs0", .status = 0 },
                { .argv = NULL },
        };

        mock_set_commands(step, answers);
        ck_assert_int_eq(mock_revert(step), 0);
        ck_assert_int_eq(mock_ran(step, "mmumount gpfs0"), 0); /* mounted by someone else: left alone */
        mock_state_set(step, "mounted", "gpfs0");
        ck_assert_int_eq(mock_revert(step), 0);
        ck_assert_int_eq(mock_ran(step, "mmumount gpfs0"), 1);
        ck_assert_ptr_null(mock_state_get(step, "mounted"));
        mock_step_free(step);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("storage-gpfs");
        TCase *tc = tcase_create("logic");
        SRunner *sr;
        int failed;

        tcase_add_loop_test(tc, test_validate, 0, N(validate_cases));
        tcase_add_loop_test(tc, test_check, 0, N(check_cases));
        tcase_add_test(tc, test_dry_run_apply_mounts_then_binds);
        tcase_add_test(tc, test_apply_mmmount_fails);
        tcase_add_test(tc, test_revert_unmounts_only_what_it_mounted);
        suite_add_tcase(s, tc);
        sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
