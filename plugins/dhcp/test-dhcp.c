/* Unit tests of the dhcp plugin against the host-API mock: the commands apply and revert run, in
 * order (a fake makedhcp and service manager answer), a makedhcp failure with the tail of its
 * output, makedhcp's warnings, what check says for each answer of the service manager, dry-run,
 * validate, describe and preflight. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "hostapi-mock.h"

/* dhcp.c is linked: only its ABI is used, as the core uses it. */
extern const struct xhafw_plugin xhafw_plugin_v1;

#define N(a) ((int) (sizeof(a) / sizeof((a)[0])))
#define MAX_RUNS 8
#define NEW "makedhcp -n"
#define ADD "makedhcp -a"
#define IS_ACTIVE "systemctl is-active dhcpd"
#define START "systemctl start dhcpd"
#define STOP "systemctl stop dhcpd"
#define FAILED_OUTPUT "Processing 12 nodes\nError: [xcatmn1]: cannot write\n/etc/dhcp/dhcpd.conf\nError: no space\n"
#define FAILED_TAIL "Error: [xcatmn1]: cannot write | /etc/dhcp/dhcpd.conf | Error: no space"
#define WARNINGS "Processing 2 nodes\n  Warning: [xcatmn1]: cn5: no MAC address\nwarning: cn6: no IP\n"

/* xCAT and the service manager, as the fake commands see them. */
struct fake {
        int new_status, add_status; /* makedhcp -n, -a (or -errno: not installed) */
        const char *add_output;
        int active; /* is-active's exit status: 0 active, 3 inactive, 4 no such unit, 1 broken; or -errno */
        int start, stop;
};

static int fake_commands(struct xhafw_step *step, const char *const argv[], char **ret_output, void *arg)
{
        struct fake *f = arg;
        bool new = argv[1] && strcmp(argv[1], "-n") == 0;

        (void) step;
        if (strcmp(argv[0], "makedhcp") == 0) {
                int status = new ? f->new_status : f->add_status;
                if (status > 0)
                        *ret_output = strdup(FAILED_OUTPUT);
                else if (status == 0 && !new && f->add_output)
                        *ret_output = strdup(f->add_output);
                return status;
        }
        if (strcmp(argv[0], "systemctl") != 0 || !argv[1])
                return MOCK_PASS;
        if (strcmp(argv[1], "is-active") == 0)
                return f->active;
        if (strcmp(argv[1], "start") == 0) {
                if (f->start == 0)
                        f->active = 0;
                return f->start;
        }
        if (strcmp(argv[1], "stop") == 0) {
                if (f->stop == 0)
                        f->active = 3;
                return f->stop;
        }
        return MOCK_PASS;
}

static struct xhafw_step *dhcp_step(const char *service, struct fake *f)
{
        const struct mock_option opts[] = { { "service", service }, { NULL, NULL } };
        struct xhafw_step *step = mock_step_new(&xhafw_plugin_v1, "dhcp", opts);

        if (f)
                mock_set_handler(step, fake_commands, f);
        return step;
}

/* The commands run, in order, against WANT (NULL-terminated); only queries run for real in a dry-run. */
static void assert_runs(struct xhafw_step *step, int i, const char *const *want, bool dry_run)
{
        const struct mock_run *runs;
        size_t n = mock_runs(step, &runs), k;

        for (k = 0; k < n; k++) {
                ck_assert_msg(k < MAX_RUNS && want[k], "case %d: ran '%s', not expected\n%s", i, runs[k].argv,
                              mock_log_text(step));
                ck_assert_msg(strcmp(runs[k].argv, want[k]) == 0, "case %d: run %zu is '%s', want '%s'", i, k,
                              runs[k].argv, want[k]);
                ck_assert_msg(runs[k].executed == (!dry_run || (runs[k].flags & XHAFW_RUN_READONLY)),
                              "case %d: '%s' executed %d in a %s", i, runs[k].argv, runs[k].executed,
                              dry_run ? "dry-run" : "run");
        }
        ck_assert_msg(k == MAX_RUNS || !want[k], "case %d: '%s' did not run\n%s", i, want[k], mock_log_text(step));
}

/* ---- check ---- */

struct check_case {
        const char *service;
        int active;
        int want;
        const char *log;
};

static const struct check_case check_cases[] = {
        { NULL, 0, XHAFW_ACTIVE, NULL },
        { NULL, 3, XHAFW_INACTIVE, NULL },
        { NULL, 4, XHAFW_INACTIVE, NULL },
        /* the unit configured, not the default */
        { "isc-dhcp-server", 0, XHAFW_ACTIVE, NULL },
        /* the service manager cannot tell: neither can check */
        { NULL, 1, -EIO, "cannot tell whether dhcpd is active: the service manager exited with status 1" },
        { NULL, -ENOENT, -ENOENT, "cannot ask the service manager about dhcpd" },
};

START_TEST(check_table)
{
        const struct check_case *c = &check_cases[_i];
        struct fake f = { .active = c->active };
        struct xhafw_step *step = dhcp_step(c->service, &f);
        const char *const ran[] = { c->service ? "systemctl is-active isc-dhcp-server" : IS_ACTIVE, NULL };
        const struct mock_run *runs;
        int r;

        r = mock_check(step);
        ck_assert_msg(r == c->want, "case %d: check says %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        assert_runs(step, _i, ran, false);
        mock_runs(step, &runs);
        ck_assert(runs[0].flags & XHAFW_RUN_READONLY);
        if (c->log)
                ck_assert_msg(mock_log_find(step, LOG_NOTICE, c->log), "case %d: no '%s' in\n%s", _i, c->log,
                              mock_log_text(step));
        ck_assert_uint_eq(mock_state_count(step), 0);
        mock_step_free(step);
}
END_TEST

/* ---- apply ---- */

struct apply_case {
        const char *service;
        struct fake fake;
        bool dry_run;
        int want;
        const char *runs[MAX_RUNS];
        bool active_after;
        int priority;
        const char *log;
};

static const struct apply_case apply_cases[] = {
        { NULL, { 0, 0, NULL, 3, 0, 0 }, false, 0, { NEW, ADD, IS_ACTIVE, START }, true, -1, NULL },
        /* nodes makedhcp could not add: said, and the role moves all the same */
        { NULL,
          { 0, 0, WARNINGS, 3, 0, 0 },
          false,
          0,
          { NEW, ADD, IS_ACTIVE, START },
          true,
          LOG_WARNING,
          "makedhcp: Warning: [xcatmn1]: cn5: no MAC address" },
        { NULL,
          { 0, 0, WARNINGS, 3, 0, 0 },
          false,
          0,
          { NEW, ADD, IS_ACTIVE, START },
          true,
          LOG_WARNING,
          "makedhcp: warning: cn6: no IP" },
        /* running already: the configuration is still regenerated, the server not started again */
        { NULL, { 0, 0, NULL, 0, 0, 0 }, false, 0, { NEW, ADD, IS_ACTIVE }, true, LOG_INFO, "dhcpd is already active" },
        /* another unit */
        { "isc-dhcp-server",
          { 0, 0, NULL, 3, 0, 0 },
          false,
          0,
          { NEW, ADD, "systemctl is-active isc-dhcp-server", "systemctl start isc-dhcp-server" },
          true,
          -1,
          NULL },
        /* makedhcp fails: the command, its status and the tail of its output; nothing after it runs */
        { NULL,
          { 1, 0, NULL, 3, 0, 0 },
          false,
          -EIO,
          { NEW },
          false,
          LOG_ERR,
          "makedhcp -n failed with exit status 1: " FAILED_TAIL },
        { NULL,
          { 0, 2, NULL, 3, 0, 0 },
          false,
          -EIO,
          { NEW, ADD },
          false,
          LOG_ERR,
          "makedhcp -a failed with exit status 2: " FAILED_TAIL },
        { NULL,
          { -ENOENT, 0, NULL, 3, 0, 0 },
          false,
          -ENOENT,
          { NEW },
          false,
          LOG_ERR,
          "cannot run makedhcp -n: No such file or directory" },
        /* the server does not start */
        { NULL,
          { 0, 0, NULL, 3, 1, 0 },
          false,
          -EIO,
          { NEW, ADD, IS_ACTIVE, START },
          false,
          LOG_ERR,
          "start dhcpd failed: the service manager exited with status 1" },
        { NULL,
          { 0, 0, NULL, 3, -EACCES, 0 },
          false,
          -EACCES,
          { NEW, ADD, IS_ACTIVE, START },
          false,
          LOG_ERR,
          "cannot start dhcpd: Permission denied" },
        /* the service manager cannot tell: nothing is started on a guess */
        { NULL,
          { 0, 0, NULL, 1, 0, 0 },
          false,
          -EIO,
          { NEW, ADD, IS_ACTIVE },
          false,
          LOG_NOTICE,
          "cannot tell whether dhcpd is active" },
        /* dry-run: the query runs, the rest is said */
        { NULL,
          { 0, 0, NULL, 3, 0, 0 },
          true,
          0,
          { NEW, ADD, IS_ACTIVE, START },
          false,
          MOCK_PRINTED,
          "would run: " ADD },
        { NULL,
          { 0, 0, NULL, 3, 0, 0 },
          true,
          0,
          { NEW, ADD, IS_ACTIVE, START },
          false,
          MOCK_PRINTED,
          "would run: " START },
};

START_TEST(apply_table)
{
        const struct apply_case *c = &apply_cases[_i];
        struct fake f = c->fake;
        struct xhafw_step *step = dhcp_step(c->service, &f);
        int r;

        mock_set_dry_run(step, c->dry_run);
        r = mock_apply(step);
        ck_assert_msg(r == c->want, "case %d: apply returned %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        assert_runs(step, _i, c->runs, c->dry_run);
        ck_assert_msg((f.active == 0) == c->active_after, "case %d: active %d", _i, f.active);
        if (c->log)
                ck_assert_msg(mock_log_find(step, c->priority, c->log), "case %d: no '%s' in\n%s", _i, c->log,
                              mock_log_text(step));
        if (c->want == 0)
                ck_assert_uint_eq(mock_log_count(step, LOG_ERR, NULL), 0);
        else
                ck_assert_uint_ge(mock_log_count(step, -1, NULL), 1);
        /* warnings only from what makedhcp said */
        ck_assert_uint_eq(mock_log_count(step, LOG_WARNING, NULL), c->fake.add_output && r == 0 ? 2 : 0);
        ck_assert_uint_eq(mock_state_count(step), 0);
        mock_step_free(step);
}
END_TEST

/* ---- revert ---- */

struct revert_case {
        struct fake fake;
        bool dry_run;
        int want;
        const char *runs[MAX_RUNS];
        bool active_after;
        int priority;
        const char *log;
};

static const struct revert_case revert_cases[] = {
        { { 0, 0, NULL, 0, 0, 0 }, false, 0, { IS_ACTIVE, STOP }, false, -1, NULL },
        /* stopped already: nothing to do, and revert says so */
        { { 0, 0, NULL, 3, 0, 0 }, false, 0, { IS_ACTIVE }, false, LOG_INFO, "dhcpd is already inactive" },
        { { 0, 0, NULL, 4, 0, 0 }, false, 0, { IS_ACTIVE }, false, LOG_INFO, "dhcpd is already inactive" },
        { { 0, 0, NULL, 0, 0, 1 },
          false,
          -EIO,
          { IS_ACTIVE, STOP },
          true,
          LOG_ERR,
          "stop dhcpd failed: the service manager exited with status 1" },
        { { 0, 0, NULL, 1, 0, 0 },
          false,
          -EIO,
          { IS_ACTIVE },
          false,
          LOG_NOTICE,
          "cannot tell whether dhcpd is active" },
        /* dry-run: said, not done */
        { { 0, 0, NULL, 0, 0, 0 }, true, 0, { IS_ACTIVE, STOP }, true, MOCK_PRINTED, "would run: " STOP },
};

START_TEST(revert_table)
{
        const struct revert_case *c = &revert_cases[_i];
        struct fake f = c->fake;
        struct xhafw_step *step = dhcp_step(NULL, &f);
        int r;

        mock_set_dry_run(step, c->dry_run);
        r = mock_revert(step);
        ck_assert_msg(r == c->want, "case %d: revert returned %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        assert_runs(step, _i, c->runs, c->dry_run);
        ck_assert_msg((f.active == 0) == c->active_after, "case %d: active %d", _i, f.active);
        if (c->log)
                ck_assert_msg(mock_log_find(step, c->priority, c->log), "case %d: no '%s' in\n%s", _i, c->log,
                              mock_log_text(step));
        /* revert never regenerates anything */
        ck_assert_uint_eq(mock_ran(step, NEW) + mock_ran(step, ADD), 0);
        mock_step_free(step);
}
END_TEST

/* The cycle the engine drives, twice each way: apply and revert converge and are idempotent. */
START_TEST(cycle)
{
        struct fake f = { 0, 0, NULL, 3, 0, 0 };
        struct xhafw_step *step = dhcp_step(NULL, &f);

        ck_assert_int_eq(mock_check(step), XHAFW_INACTIVE);
        ck_assert_int_eq(mock_apply(step), 0);
        ck_assert_int_eq(mock_check(step), XHAFW_ACTIVE);
        ck_assert_int_eq(mock_apply(step), 0);
        ck_assert_int_eq(mock_revert(step), 0);
        ck_assert_int_eq(mock_check(step), XHAFW_INACTIVE);
        ck_assert_int_eq(mock_revert(step), 0);
        ck_assert_int_eq(mock_check(step), XHAFW_INACTIVE);
        ck_assert_uint_eq(mock_ran(step, START), 1);
        ck_assert_uint_eq(mock_ran(step, STOP), 1);
        ck_assert_uint_eq(mock_ran(step, NEW), 2);
        ck_assert_uint_eq(mock_log_count(step, LOG_ERR, NULL), 0);
        mock_step_free(step);
}
END_TEST

/* ---- validate, describe ---- */

struct validate_case {
        const char *service;
        int want;
        const char *log;
};

static const struct validate_case validate_cases[] = {
        { NULL, 0, NULL },
        { "isc-dhcp-server", 0, NULL },
        { "dhcpd.service", 0, NULL },
        { "dhcp d", -EINVAL, "service = 'dhcp d': a unit name has no blanks or '/'" },
        { "/usr/sbin/dhcpd", -EINVAL, "service = '/usr/sbin/dhcpd': a unit name has no blanks or '/'" },
        { "dhcpd\t-4", -EINVAL, "service = 'dhcpd\t-4'" },
};

START_TEST(validate_table)
{
        const struct validate_case *c = &validate_cases[_i];
        struct xhafw_step *step = dhcp_step(c->service, NULL);
        int r = mock_validate(step);

        ck_assert_msg(r == c->want, "case %d: validate returned %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        if (c->log)
                ck_assert_msg(mock_log_find(step, LOG_ERR, c->log), "case %d: no '%s' in\n%s", _i, c->log,
                              mock_log_text(step));
        else
                ck_assert_uint_eq(mock_log_count(step, -1, NULL), 0);
        /* validate runs before anything changes: it runs nothing */
        ck_assert_uint_eq(mock_runs(step, &(const struct mock_run *){ NULL }), 0);
        mock_step_free(step);
}
END_TEST

START_TEST(describe)
{
        struct xhafw_step *step = dhcp_step("isc-dhcp-server", NULL);
        char *text = NULL;

        ck_assert_int_eq(mock_describe(step, &text), 0);
        ck_assert_str_eq(text,
                         "runs makedhcp -n (new dhcpd configuration) and makedhcp -a (every node's lease entry),\n"
                         "then starts isc-dhcp-server; deactivate stops isc-dhcp-server\n");
        free(text);
        ck_assert_uint_eq(mock_runs(step, &(const struct mock_run *){ NULL }), 0);
        mock_step_free(step);
}
END_TEST

/* ---- preflight ---- */

struct preflight_case {
        bool tool, node_active;
        int enabled, active;
        enum xhafw_check_result commands, boot, standby;
        const char *fix;
};

static const struct preflight_case preflight_cases[] = {
        { true, false, 1, 3, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, NULL },
        { false, false, 1, 3, XHAFW_CHECK_FAIL, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, "install xCAT on this node" },
        { true, false, 0, 3, XHAFW_CHECK_PASS, XHAFW_CHECK_FAIL, XHAFW_CHECK_PASS, "systemctl disable dhcpd" },
        { true, false, 1, 0, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, XHAFW_CHECK_FAIL, "systemctl stop dhcpd" },
        { true, true, 1, 0, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, NULL },
};

START_TEST(preflight_table)
{
        const struct preflight_case *c = &preflight_cases[_i];
        const struct mock_command commands[] = {
                { "/usr/bin/printenv PATH", 0, "@TMP@/bin\n", false },
                { "systemctl status dhcpd", 3, NULL, false },
                { "systemctl is-enabled dhcpd", c->enabled, NULL, false },
                { "systemctl is-active dhcpd", c->active, NULL, false },
                { .argv = NULL },
        };
        const struct {
                const char *check;
                enum xhafw_check_result want;
        } want[] = {
                { "unit exists", XHAFW_CHECK_PASS },
                { "commands on the path", c->commands },
                { "not enabled at boot", c->boot },
                { "not running on a standby", c->standby },
        };
        struct xhafw_step *step = dhcp_step(NULL, NULL);
        const struct mock_report *rep;
        const struct mock_run *runs;

        ck_assert_int_eq(mkdir(mock_path(step, "bin"), 0755), 0);
        if (c->tool) {
                mock_write_file(step, "bin/makedhcp", "#!/bin/sh\nexit 99\n");
                ck_assert_int_eq(chmod(mock_path(step, "bin/makedhcp"), 0755), 0);
        }
        mock_set_commands(step, commands);
        mock_set_node_active(step, c->node_active);
        ck_assert_int_eq(mock_preflight(step), 0);
        for (int k = 0; k < N(want); k++) {
                rep = mock_report_find(step, want[k].check);
                ck_assert_msg(rep, "case %d: no report '%s'", _i, want[k].check);
                ck_assert_msg(rep->result == want[k].want, "case %d: '%s' is %d, want %d: %s", _i, want[k].check,
                              rep->result, want[k].want, rep->detail);
                ck_assert((rep->result == XHAFW_CHECK_PASS) == !rep->fix);
                if (c->fix && rep->result != XHAFW_CHECK_PASS)
                        ck_assert_msg(strstr(rep->fix, c->fix), "case %d: fix '%s', want '%s'", _i, rep->fix, c->fix);
        }
        rep = mock_report_find(step, "commands on the path");
        ck_assert_ptr_nonnull(strstr(rep->detail, c->tool ? "/bin/makedhcp" : "makedhcp not found along path"));
        for (size_t k = 0; k < mock_runs(step, &runs); k++)
                ck_assert_msg(runs[k].flags & XHAFW_RUN_READONLY, "case %d: '%s' is not a query", _i, runs[k].argv);
        mock_step_free(step);
}
END_TEST

static Suite *dhcp_suite(void)
{
        Suite *s = suite_create("dhcp");
        TCase *tc = tcase_create("dhcp");

        tcase_add_loop_test(tc, check_table, 0, N(check_cases));
        tcase_add_loop_test(tc, apply_table, 0, N(apply_cases));
        tcase_add_loop_test(tc, revert_table, 0, N(revert_cases));
        tcase_add_test(tc, cycle);
        tcase_add_loop_test(tc, validate_table, 0, N(validate_cases));
        tcase_add_test(tc, describe);
        tcase_add_loop_test(tc, preflight_table, 0, N(preflight_cases));
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(dhcp_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
