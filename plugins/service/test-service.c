/* Unit tests of the service plugin against the host-API mock: what check says for each answer of a
 * fake service manager and readiness query, the commands apply and revert run (in order), the
 * readiness wait on the mock's clock, dry-run, validate, describe and preflight. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "hostapi-mock.h"

/* service.c is linked: only its ABI is used, as the core uses it. */
extern const struct xhafw_plugin xhafw_plugin_v1;

#define N(a) ((int) (sizeof(a) / sizeof((a)[0])))
#define MAX_RUNS 16
#define READY "lsxcatd, -a"
#define IS_ACTIVE "systemctl is-active xcatd"
#define START "systemctl start xcatd"
#define STOP "systemctl stop xcatd"
#define QUERY "lsxcatd -a"

/* The service manager and the readiness query, as the fake commands see them. */
struct fake {
        int active;      /* is-active's exit status: 0 active, 3 inactive, 4 no such unit, 1 broken; or -errno */
        int start, stop; /* their exit statuses (or -errno) */
        int ready_after; /* the query exits 0 from this try on (1: the first); 0: never; -1: not installed */
        int tries;       /* how often the query ran */
};

static int fake_commands(struct xhafw_step *step, const char *const argv[], char **ret_output, void *arg)
{
        struct fake *f = arg;

        (void) step;
        if (strcmp(argv[0], "lsxcatd") == 0) {
                f->tries++;
                if (f->ready_after < 0)
                        return -ENOENT;
                if (f->ready_after == 0 || f->tries < f->ready_after) {
                        *ret_output = strdup("Unable to open socket connection to xcatd daemon on localhost:3001.\n");
                        return 1;
                }
                return 0;
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

static struct xhafw_step *service_step(const char *ready, const char *timeout, struct fake *f)
{
        const struct mock_option opts[] = {
                { "unit", "xcatd" },
                { "ready_command", ready },
                { "ready_timeout", timeout },
                { "ready_interval", "100ms" },
                { NULL, NULL },
        };
        struct xhafw_step *step = mock_step_new(&xhafw_plugin_v1, "xcatd", opts);

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
        const char *ready;
        struct fake fake;
        int want;
        bool queried; /* the readiness query ran */
        const char *log;
};

static const struct check_case check_cases[] = {
        { NULL, { 0, 0, 0, 1, 0 }, XHAFW_ACTIVE, false, NULL },
        { READY, { 0, 0, 0, 1, 0 }, XHAFW_ACTIVE, true, NULL },
        /* running but not answering is not the role */
        { READY, { 0, 0, 0, 0, 0 }, XHAFW_PARTIAL, true, NULL },
        { READY, { 0, 0, 0, -1, 0 }, XHAFW_PARTIAL, true, NULL },
        /* not running: the query is not asked (it would reach the other node through the VIP) */
        { READY, { 3, 0, 0, 1, 0 }, XHAFW_INACTIVE, false, NULL },
        { READY, { 4, 0, 0, 1, 0 }, XHAFW_INACTIVE, false, NULL },
        { NULL, { 3, 0, 0, 1, 0 }, XHAFW_INACTIVE, false, NULL },
        /* the service manager cannot tell (no bus, no permission): neither can check */
        { READY,
          { 1, 0, 0, 1, 0 },
          -EIO,
          false,
          "cannot tell whether xcatd is active: the service manager exited with status 1" },
        { NULL, { 5, 0, 0, 1, 0 }, -EIO, false, "exited with status 5" },
        { READY, { -ENOENT, 0, 0, 1, 0 }, -ENOENT, false, NULL },
};

START_TEST(check_table)
{
        const struct check_case *c = &check_cases[_i];
        struct fake f = c->fake;
        struct xhafw_step *step = service_step(c->ready, NULL, &f);
        const char *const ran[] = { IS_ACTIVE, c->queried ? QUERY : NULL, NULL };
        const struct mock_run *runs;
        int r;

        r = mock_check(step);
        ck_assert_msg(r == c->want, "case %d: check says %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        assert_runs(step, _i, ran, false);
        for (size_t k = 0; k < mock_runs(step, &runs); k++)
                ck_assert(runs[k].flags & XHAFW_RUN_READONLY);
        if (c->log)
                ck_assert_msg(mock_log_find(step, LOG_NOTICE, c->log), "case %d: no '%s' in\n%s", _i, c->log,
                              mock_log_text(step));
        /* read-only: nothing remembered, nothing edited, the service as it was */
        ck_assert_uint_eq(mock_state_count(step), 0);
        ck_assert_uint_eq(mock_files(step, &(const struct mock_file *){ NULL }), 0);
        ck_assert_int_eq(f.active, c->fake.active);
        mock_step_free(step);
}
END_TEST

/* The service manager's argv prefix is the configured one, words and all. */
START_TEST(check_service_manager)
{
        const struct mock_command commands[] = {
                { "svcman @TMP@/svc is-active xcatd", 0, "active\n", false },
                { "lsxcatd -a", 0, NULL, false },
                { .argv = NULL },
        };
        struct xhafw_step *step = service_step(READY, NULL, NULL);

        mock_set_service_manager(step, mock_expand(step, "svcman @TMP@/svc"));
        mock_set_commands(step, commands);
        ck_assert_int_eq(mock_check(step), XHAFW_ACTIVE);
        ck_assert_uint_eq(mock_ran(step, mock_expand(step, "svcman @TMP@/svc is-active xcatd")), 1);
        mock_step_free(step);
}
END_TEST

/* ---- apply ---- */

struct apply_case {
        const char *ready, *timeout;
        struct fake fake;
        bool dry_run;
        int want;
        int tries_min, tries_max; /* of the readiness query, run after the start */
        bool active_after;
        int priority;
        const char *log;
};

static const struct apply_case apply_cases[] = {
        { NULL, NULL, { 3, 0, 0, 1, 0 }, false, 0, 0, 0, true, -1, NULL },
        { READY, NULL, { 3, 0, 0, 1, 0 }, false, 0, 1, 1, true, -1, NULL },
        /* answering on the fourth try: three waits of ready_interval */
        { READY, NULL, { 3, 0, 0, 4, 0 }, false, 0, 4, 4, true, -1, NULL },
        /* never answering: tries every ready_interval until ready_timeout, then fails (the engine
         * reverts it); 1s / 100ms is eleven tries, ten on a slow machine */
        { READY,
          "1s",
          { 3, 0, 0, 0, 0 },
          false,
          -ETIMEDOUT,
          10,
          11,
          true,
          LOG_ERR,
          "xcatd started but lsxcatd did not answer within ready_timeout (1000ms)" },
        { READY,
          "1s",
          { 3, 0, 0, -1, 0 },
          false,
          -ETIMEDOUT,
          10,
          11,
          true,
          LOG_ERR,
          "did not answer within ready_timeout" },
        /* a zero timeout: one try */
        { READY, "0s", { 3, 0, 0, 0, 0 }, false, -ETIMEDOUT, 1, 1, true, LOG_ERR, "within ready_timeout (0ms)" },
        /* running already: start is a no-op for the service manager, readiness still waited for */
        { READY, NULL, { 0, 0, 0, 1, 0 }, false, 0, 1, 1, true, -1, NULL },
        /* the start fails: said with the status, the query never asked */
        { READY,
          NULL,
          { 3, 1, 0, 1, 0 },
          false,
          -EIO,
          0,
          0,
          false,
          LOG_ERR,
          "starting xcatd failed (service manager exit status 1): see its log" },
        { READY, NULL, { 3, 5, 0, 1, 0 }, false, -EIO, 0, 0, false, LOG_ERR, "exit status 5" },
        { READY, NULL, { 3, -ENOENT, 0, 1, 0 }, false, -ENOENT, 0, 0, false, -1, NULL },
        /* dry-run: the start said, nothing waited for */
        { READY, NULL, { 3, 0, 0, 1, 0 }, true, 0, 0, 0, false, MOCK_PRINTED, "would run: " START },
        { NULL, NULL, { 3, 0, 0, 1, 0 }, true, 0, 0, 0, false, MOCK_PRINTED, "would run: " START },
};

START_TEST(apply_table)
{
        const struct apply_case *c = &apply_cases[_i];
        struct fake f = c->fake;
        struct xhafw_step *step = service_step(c->ready, c->timeout, &f);
        const struct mock_run *runs;
        uint64_t t0 = xhafw_now_ms(), waited;
        const char *runs_want[MAX_RUNS + 1] = { NULL };
        int r;

        mock_set_dry_run(step, c->dry_run);
        r = mock_apply(step);
        waited = xhafw_now_ms() - t0;
        ck_assert_msg(r == c->want, "case %d: apply returned %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        ck_assert_msg(f.tries >= c->tries_min && f.tries <= c->tries_max, "case %d: %d tries, want %d to %d", _i,
                      f.tries, c->tries_min, c->tries_max);
        /* the start, then the query as often as it was tried */
        runs_want[0] = START;
        for (int k = 1; k <= f.tries && k < MAX_RUNS; k++)
                runs_want[k] = QUERY;
        assert_runs(step, _i, runs_want, c->dry_run);
        for (size_t k = 1; k < mock_runs(step, &runs); k++)
                ck_assert(runs[k].flags & XHAFW_RUN_READONLY);
        /* between two tries one ready_interval, on the host API's clock */
        if (f.tries > 1)
                ck_assert_msg(waited >= (uint64_t) (f.tries - 1) * 100, "case %d: %d tries in %llu ms", _i, f.tries,
                              (unsigned long long) waited);
        ck_assert((f.active == 0) == c->active_after);
        if (c->log)
                ck_assert_msg(mock_log_find(step, c->priority, c->log), "case %d: no '%s' in\n%s", _i, c->log,
                              mock_log_text(step));
        if (c->want == 0)
                ck_assert_uint_eq(mock_log_count(step, LOG_ERR, NULL), 0);
        ck_assert_uint_eq(mock_state_count(step), 0);
        mock_step_free(step);
}
END_TEST

/* ---- revert ---- */

struct revert_case {
        struct fake fake;
        bool dry_run;
        int want;
        bool active_after;
        const char *log;
};

static const struct revert_case revert_cases[] = {
        { { 0, 0, 0, 1, 0 }, false, 0, false, NULL },
        /* stopped already: the service manager's stop is a no-op */
        { { 3, 0, 0, 1, 0 }, false, 0, false, NULL },
        { { 0, 0, 1, 1, 0 }, false, -EIO, true, "stopping xcatd failed (service manager exit status 1)" },
        { { 0, 0, -ENOENT, 1, 0 }, false, -ENOENT, true, NULL },
        { { 0, 0, 0, 1, 0 }, true, 0, true, "would run: " STOP },
};

START_TEST(revert_table)
{
        const struct revert_case *c = &revert_cases[_i];
        struct fake f = c->fake;
        struct xhafw_step *step = service_step(READY, NULL, &f);
        const char *const ran[] = { STOP, NULL };
        int r;

        mock_set_dry_run(step, c->dry_run);
        r = mock_revert(step);
        ck_assert_msg(r == c->want, "case %d: revert returned %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        assert_runs(step, _i, ran, c->dry_run);
        ck_assert((f.active == 0) == c->active_after);
        ck_assert_int_eq(f.tries, 0);
        if (c->log)
                ck_assert_msg(mock_log_find(step, -1, c->log), "case %d: no '%s' in\n%s", _i, c->log,
                              mock_log_text(step));
        if (c->want == 0)
                ck_assert_uint_eq(mock_log_count(step, LOG_ERR, NULL), 0);
        mock_step_free(step);
}
END_TEST

/* apply, check, revert, revert again, check: the cycle the engine drives, converging both ways. */
START_TEST(cycle)
{
        struct fake f = { 3, 0, 0, 2, 0 };
        struct xhafw_step *step = service_step(READY, NULL, &f);

        ck_assert_int_eq(mock_check(step), XHAFW_INACTIVE);
        ck_assert_int_eq(mock_apply(step), 0);
        ck_assert_int_eq(mock_check(step), XHAFW_ACTIVE);
        ck_assert_int_eq(mock_apply(step), 0);
        ck_assert_int_eq(mock_check(step), XHAFW_ACTIVE);
        ck_assert_int_eq(mock_revert(step), 0);
        ck_assert_int_eq(mock_check(step), XHAFW_INACTIVE);
        ck_assert_int_eq(mock_revert(step), 0);
        ck_assert_int_eq(mock_check(step), XHAFW_INACTIVE);
        ck_assert_uint_eq(mock_ran(step, START), 2);
        ck_assert_uint_eq(mock_ran(step, STOP), 2);
        ck_assert_uint_eq(mock_state_count(step), 0);
        ck_assert_uint_eq(mock_log_count(step, LOG_ERR, NULL), 0);
        mock_step_free(step);
}
END_TEST

/* ---- validate: the configuration only ---- */

struct validate_case {
        const char *unit, *ready, *interval;
        int want;
        const char *log;
};

static const struct validate_case validate_cases[] = {
        { "xcatd", READY, "100ms", 0, NULL },
        { "xcatd.service", NULL, "1s", 0, NULL },
        { "postgresql@15-main", READY, "1ms", 0, NULL },
        /* the unit is one argument of the service manager: not a command line, not a path */
        { "xcatd -f", READY, "100ms", -EINVAL,
          "unit = 'xcatd -f': a unit name has no blanks or '/'; write the unit's name alone, e.g. unit = xcatd (a "
          "readiness query goes in ready_command)" },
        { "/usr/lib/systemd/system/xcatd.service", READY, "100ms", -EINVAL,
          "unit = '/usr/lib/systemd/system/xcatd.service': a unit name has no blanks or '/'" },
        { "xcat\td", READY, "100ms", -EINVAL, "a unit name has no blanks or '/'" },
        /* no pause: apply would run ready_command back to back until ready_timeout */
        { "xcatd", READY, "0s", -EINVAL,
          "ready_interval = 0s: apply would run ready_command with no pause between tries; write a pause, e.g. "
          "ready_interval = 100ms (the default) or 1s" },
        { "xcatd", READY, "0ms", -EINVAL, "ready_interval = 0ms: apply would run ready_command with no pause" },
        { "xcatd", READY, "0", -EINVAL, "ready_interval = 0: apply would run ready_command with no pause" },
        { "xcatd", NULL, "0s", -EINVAL, "ready_interval = 0s" },
        /* empty is unset: the default pause */
        { "xcatd", READY, "", 0, NULL },
};

START_TEST(validate_table)
{
        const struct validate_case *c = &validate_cases[_i];
        struct xhafw_step *step = service_step(c->ready, NULL, NULL);
        int r;

        mock_set_option(step, "unit", c->unit);
        mock_set_option(step, "ready_interval", c->interval);
        r = mock_validate(step);
        ck_assert_msg(r == c->want, "case %d: validate returned %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        if (c->log)
                ck_assert_msg(mock_log_find(step, LOG_ERR, c->log), "case %d: no '%s' in\n%s", _i, c->log,
                              mock_log_text(step));
        ck_assert_uint_eq(mock_log_count(step, LOG_ERR, NULL), c->log ? 1 : 0);
        /* configuration only: nothing run, nothing remembered */
        ck_assert_uint_eq(mock_runs(step, &(const struct mock_run *){ NULL }), 0);
        ck_assert_uint_eq(mock_state_count(step), 0);
        mock_step_free(step);
}
END_TEST

/* ---- describe ---- */

START_TEST(describe)
{
        struct xhafw_step *step = service_step(NULL, NULL, NULL);
        char *text = NULL;

        ck_assert_int_eq(mock_describe(step, &text), 0);
        ck_assert_str_eq(text, "service xcatd\n");
        free(text);
        mock_set_option(step, "ready_command", "lsxcatd, -a");
        mock_set_option(step, "ready_timeout", "2m");
        ck_assert_int_eq(mock_describe(step, &text), 0);
        ck_assert_str_eq(text, "service xcatd; ready when lsxcatd -a exits 0 (within 120000ms)\n");
        free(text);
        /* describe runs nothing */
        ck_assert_uint_eq(mock_runs(step, &(const struct mock_run *){ NULL }), 0);
        mock_step_free(step);
}
END_TEST

/* ---- preflight ---- */

struct preflight_case {
        const char *ready;
        bool tool, node_active;
        int status, enabled, active;
        int exists, boot, standby, commands; /* enum xhafw_check_result; -1: no such report */
        const char *fix;
};

static const struct preflight_case preflight_cases[] = {
        { READY, true, false, 3, 1, 3, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, NULL },
        /* enabled at boot: it would come back after a reboot without the rest of the role */
        { READY, true, false, 3, 0, 3, XHAFW_CHECK_PASS, XHAFW_CHECK_FAIL, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS,
          "systemctl disable xcatd" },
        /* running on a standby fails; on the active node it is the role */
        { READY, true, false, 0, 1, 0, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, XHAFW_CHECK_FAIL, XHAFW_CHECK_PASS,
          "systemctl stop xcatd" },
        { READY, true, true, 0, 1, 0, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, NULL },
        /* no such unit: nothing more to ask of it */
        { READY, true, false, 4, 4, 4, XHAFW_CHECK_FAIL, -1, -1, XHAFW_CHECK_PASS,
          "install the package that ships xcatd" },
        /* the readiness query is not on the path */
        { READY, false, false, 3, 1, 3, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, XHAFW_CHECK_FAIL,
          "install what provides ready_command" },
        /* no readiness query: nothing to look for */
        { NULL, false, false, 3, 1, 3, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, -1, NULL },
};

static void assert_report(struct xhafw_step *step, int i, const char *check, int want)
{
        const struct mock_report *rep = mock_report_find(step, check);

        if (want < 0) {
                ck_assert_msg(!rep, "case %d: a report '%s' (%s)", i, check, rep ? rep->detail : "");
                return;
        }
        ck_assert_msg(rep, "case %d: no report '%s'", i, check);
        ck_assert_msg((int) rep->result == want, "case %d: '%s' is %d, want %d: %s", i, check, rep->result, want,
                      rep->detail);
        /* a fix for what did not pass, none for what did */
        ck_assert_msg((want == XHAFW_CHECK_PASS) == !rep->fix, "case %d: '%s' fix '%s'", i, check,
                      rep->fix ? rep->fix : "(none)");
}

START_TEST(preflight_table)
{
        const struct preflight_case *c = &preflight_cases[_i];
        const struct mock_command commands[] = {
                { "/usr/bin/printenv PATH", 0, "@TMP@/bin\n", false },
                { "systemctl status xcatd", c->status, NULL, false },
                { "systemctl is-enabled xcatd", c->enabled, NULL, false },
                { "systemctl is-active xcatd", c->active, NULL, false },
                { .argv = NULL },
        };
        struct xhafw_step *step = service_step(c->ready, NULL, NULL);
        const struct mock_report *reps;
        const struct mock_run *runs;
        bool fix_found = !c->fix;

        ck_assert_int_eq(mkdir(mock_path(step, "bin"), 0755), 0);
        if (c->tool) {
                mock_write_file(step, "bin/lsxcatd", "#!/bin/sh\nexit 99\n");
                ck_assert_int_eq(chmod(mock_path(step, "bin/lsxcatd"), 0755), 0);
        }
        mock_set_commands(step, commands);
        mock_set_node_active(step, c->node_active);
        ck_assert_int_eq(mock_preflight(step), 0);
        assert_report(step, _i, "unit exists", c->exists);
        assert_report(step, _i, "not enabled at boot", c->boot);
        assert_report(step, _i, "not running on a standby", c->standby);
        assert_report(step, _i, "commands on the path", c->commands);
        for (size_t k = 0; k < mock_reports(step, &reps); k++)
                if (reps[k].fix && c->fix && strstr(reps[k].fix, c->fix))
                        fix_found = true;
        ck_assert_msg(fix_found, "case %d: no report says '%s'", _i, c->fix);
        if (c->commands == XHAFW_CHECK_PASS)
                ck_assert_ptr_nonnull(strstr(mock_report_find(step, "commands on the path")->detail, "/bin/lsxcatd"));
        /* preflight changes nothing: queries only, and the query itself is not run */
        for (size_t k = 0; k < mock_runs(step, &runs); k++) {
                ck_assert_msg(runs[k].flags & XHAFW_RUN_READONLY, "case %d: '%s' is not a query", _i, runs[k].argv);
                ck_assert(strcmp(runs[k].argv, QUERY) != 0);
        }
        ck_assert_uint_eq(mock_state_count(step), 0);
        mock_step_free(step);
}
END_TEST

static Suite *service_suite(void)
{
        Suite *s = suite_create("service");
        TCase *tc = tcase_create("service");

        tcase_add_loop_test(tc, check_table, 0, N(check_cases));
        tcase_add_test(tc, check_service_manager);
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
        SRunner *sr = srunner_create(service_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
