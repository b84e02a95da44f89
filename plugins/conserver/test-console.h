/* The body of the conserver and goconserver tests against the host-API mock: the two plugins are one
 * logic (xc_console_apply, xc_console_validate) under two names. The including file defines CONSOLE
 * (the plugin and its default unit), OTHER (the other console service), GENERATOR (the command that
 * writes its configuration), UNSET_WARNING (what apply says when the site table has no
 * consoleservice, which xCAT reads as conserver; NULL: nothing) and UNSET_WARNINGS (1 or 0). Tested: check for each answer of
 * the service manager, apply's commands in order, the refusal while the other service runs and
 * --force, other_service = none, the site table's consoleservice, a generator that fails with the
 * tail of its output, revert, dry-run, validate, describe, preflight. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "hostapi-mock.h"

/* The plugin's source is linked: only its ABI is used, as the core uses it. */
extern const struct xhafw_plugin xhafw_plugin_v1;

#define N(a) ((int) (sizeof(a) / sizeof((a)[0])))
#define MAX_RUNS 10
#define OTHER_ACTIVE "systemctl is-active " OTHER
#define LSDEF "lsdef -t site -i consoleservice"
#define IS_ACTIVE "systemctl is-active " CONSOLE
#define START "systemctl start " CONSOLE
#define STOP "systemctl stop " CONSOLE
#define FAILED_OUTPUT "reading nodes\nError: [xcatmn1]: cn1: no cons attribute\nError: cn2: no conserver\n"
#define FAILED_TAIL "reading nodes | Error: [xcatmn1]: cn1: no cons attribute | Error: cn2: no conserver"
#define ALL \
        { \
                OTHER_ACTIVE, LSDEF, GENERATOR, IS_ACTIVE, START \
        }

/* xCAT and the service manager, as the fake commands see them. */
struct fake {
        int other, active; /* is-active's exit status for OTHER and CONSOLE: 0 active, 3 not, 1 broken */
        const char *site;  /* the site table's consoleservice; NULL: unset */
        int lsdef, generator, start, stop;
};

static int fake_commands(struct xhafw_step *step, const char *const argv[], char **ret_output, void *arg)
{
        struct fake *f = arg;

        (void) step;
        if (strcmp(argv[0], "lsdef") == 0) {
                if (f->lsdef) {
                        *ret_output = strdup("Error: [xcatmn1]: Connection failure: xcatd is not running\n");
                        return f->lsdef;
                }
                if (asprintf(ret_output, "Object name: clustersite\n%s%s%s", f->site ? "    consoleservice=" : "",
                             f->site ? f->site : "", f->site ? "\n" : "") < 0)
                        *ret_output = NULL;
                return 0;
        }
        if (strcmp(argv[0], GENERATOR) == 0) {
                if (f->generator > 0)
                        *ret_output = strdup(FAILED_OUTPUT);
                return f->generator;
        }
        if (strcmp(argv[0], "systemctl") != 0 || !argv[1] || !argv[2])
                return MOCK_PASS;
        if (strcmp(argv[1], "is-active") == 0)
                return strcmp(argv[2], OTHER) == 0 ? f->other : strcmp(argv[2], CONSOLE) == 0 ? f->active : 4;
        if (strcmp(argv[2], CONSOLE) != 0)
                return MOCK_PASS; /* the other service is never started or stopped */
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

static struct xhafw_step *console_step(const char *service, const char *other, struct fake *f)
{
        const struct mock_option opts[] = { { "service", service }, { "other_service", other }, { NULL, NULL } };
        struct xhafw_step *step = mock_step_new(&xhafw_plugin_v1, CONSOLE, opts);

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

static void assert_log(struct xhafw_step *step, int i, int priority, const char *text)
{
        if (text)
                ck_assert_msg(mock_log_find(step, priority, text), "case %d: no %d '%s' in\n%s", i, priority, text,
                              mock_log_text(step));
}

/* ---- check: this service only, whatever the other does ---- */

struct check_case {
        int active, other;
        int want;
        const char *log;
};

static const struct check_case check_cases[] = {
        { 0, 3, XHAFW_ACTIVE, NULL },
        { 0, 0, XHAFW_ACTIVE, NULL },
        { 3, 0, XHAFW_INACTIVE, NULL },
        { 4, 3, XHAFW_INACTIVE, NULL },
        { 1, 3, -EIO, "cannot tell whether " CONSOLE " is active: the service manager exited with status 1" },
        { -ENOENT, 3, -ENOENT, "cannot ask the service manager about " CONSOLE },
};

START_TEST(check_table)
{
        const struct check_case *c = &check_cases[_i];
        struct fake f = { .active = c->active, .other = c->other };
        struct xhafw_step *step = console_step(NULL, NULL, &f);
        const char *const ran[] = { IS_ACTIVE, NULL };
        const struct mock_run *runs;
        int r;

        r = mock_check(step);
        ck_assert_msg(r == c->want, "case %d: check says %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        assert_runs(step, _i, ran, false);
        mock_runs(step, &runs);
        ck_assert(runs[0].flags & XHAFW_RUN_READONLY);
        assert_log(step, _i, LOG_NOTICE, c->log);
        ck_assert_uint_eq(mock_state_count(step), 0);
        mock_step_free(step);
}
END_TEST

/* ---- apply ---- */

struct apply_case {
        struct fake fake;
        bool dry_run, force;
        int want;
        const char *runs[MAX_RUNS];
        bool active_after;
        int priority;
        const char *log;
        size_t warnings;
};

static const struct apply_case apply_cases[] = {
        { { 3, 3, CONSOLE, 0, 0, 0, 0 }, false, false, 0, ALL, true, -1, NULL, 0 },
        /* the site table names the other service: said, not refused */
        { { 3, 3, OTHER, 0, 0, 0, 0 },
          false,
          false,
          0,
          ALL,
          true,
          LOG_WARNING,
          "the site table's consoleservice is " OTHER ", not " CONSOLE
          ": rcons will not use the consoles this step serves (chdef -t site consoleservice=" CONSOLE ")",
          1 },
        /* unset is conserver */
        { { 3, 3, NULL, 0, 0, 0, 0 }, false, false, 0, ALL, true, LOG_WARNING, UNSET_WARNING, UNSET_WARNINGS },
        { { 3, 3, "", 0, 0, 0, 0 }, false, false, 0, ALL, true, LOG_WARNING, UNSET_WARNING, UNSET_WARNINGS },
        /* the site table cannot be read (xcatd not running yet): not compared, not an error */
        { { 3, 3, NULL, 1, 0, 0, 0 },
          false,
          false,
          0,
          ALL,
          true,
          LOG_NOTICE,
          "cannot read the site table's consoleservice, not comparing it with " CONSOLE,
          0 },
        /* the other console service runs: refused before anything is done, unless forced */
        { { 0, 3, CONSOLE, 0, 0, 0, 0 },
          false,
          false,
          XHAFW_REFUSED,
          { OTHER_ACTIVE },
          false,
          LOG_ERR,
          "refusing to start " CONSOLE ": " OTHER " is active and both would take the same consoles; stop " OTHER
          " (a site runs one console service) or use --force",
          0 },
        { { 0, 3, CONSOLE, 0, 0, 0, 0 },
          false,
          true,
          0,
          ALL,
          true,
          LOG_WARNING,
          OTHER " is active; starting " CONSOLE " anyway (--force)",
          1 },
        { { 0, 3, CONSOLE, 0, 0, 0, 0 }, true, false, XHAFW_REFUSED, { OTHER_ACTIVE }, false, LOG_ERR, "refusing", 0 },
        /* whether the other runs cannot be told: nothing is done on a guess */
        { { 1, 3, CONSOLE, 0, 0, 0, 0 },
          false,
          false,
          -EIO,
          { OTHER_ACTIVE },
          false,
          LOG_NOTICE,
          "cannot tell whether " OTHER " is active",
          0 },
        /* the generator fails: its status and the tail of its output, and the service is not started */
        { { 3, 3, CONSOLE, 0, 1, 0, 0 },
          false,
          false,
          -EIO,
          { OTHER_ACTIVE, LSDEF, GENERATOR },
          false,
          LOG_ERR,
          GENERATOR " failed with exit status 1: " FAILED_TAIL,
          0 },
        { { 3, 3, CONSOLE, 0, -ENOENT, 0, 0 },
          false,
          false,
          -ENOENT,
          { OTHER_ACTIVE, LSDEF, GENERATOR },
          false,
          LOG_ERR,
          "cannot run " GENERATOR ": No such file or directory",
          0 },
        /* running already: regenerated, not started again */
        { { 3, 0, CONSOLE, 0, 0, 0, 0 },
          false,
          false,
          0,
          { OTHER_ACTIVE, LSDEF, GENERATOR, IS_ACTIVE },
          true,
          LOG_INFO,
          CONSOLE " is already active",
          0 },
        { { 3, 3, CONSOLE, 0, 0, 1, 0 },
          false,
          false,
          -EIO,
          ALL,
          false,
          LOG_ERR,
          "start " CONSOLE " failed: the service manager exited with status 1",
          0 },
        /* dry-run: the queries run, the rest is said */
        { { 3, 3, CONSOLE, 0, 0, 0, 0 }, true, false, 0, ALL, false, MOCK_PRINTED, "would run: " GENERATOR, 0 },
        { { 3, 3, CONSOLE, 0, 0, 0, 0 }, true, false, 0, ALL, false, MOCK_PRINTED, "would run: " START, 0 },
};

START_TEST(apply_table)
{
        const struct apply_case *c = &apply_cases[_i];
        struct fake f = c->fake;
        struct xhafw_step *step = console_step(NULL, NULL, &f);
        int r;

        mock_set_dry_run(step, c->dry_run);
        mock_set_force(step, c->force);
        r = mock_apply(step);
        ck_assert_msg(r == c->want, "case %d: apply returned %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        assert_runs(step, _i, c->runs, c->dry_run);
        ck_assert_msg((f.active == 0) == c->active_after, "case %d: active %d", _i, f.active);
        ck_assert_int_eq(f.other, c->fake.other); /* never touched */
        assert_log(step, _i, c->priority, c->log);
        ck_assert_msg(mock_log_count(step, LOG_WARNING, NULL) == c->warnings, "case %d: warnings:\n%s", _i,
                      mock_log_text(step));
        if (c->want == 0)
                ck_assert_uint_eq(mock_log_count(step, LOG_ERR, NULL), 0);
        ck_assert_uint_eq(mock_state_count(step), 0);
        mock_step_free(step);
}
END_TEST

/* ---- revert: this service only ---- */

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
        { { 3, 0, CONSOLE, 0, 0, 0, 0 }, false, 0, { IS_ACTIVE, STOP }, false, -1, NULL },
        /* the other running is no reason not to stop this one */
        { { 0, 0, CONSOLE, 0, 0, 0, 0 }, false, 0, { IS_ACTIVE, STOP }, false, -1, NULL },
        { { 3, 3, CONSOLE, 0, 0, 0, 0 }, false, 0, { IS_ACTIVE }, false, LOG_INFO, CONSOLE " is already inactive" },
        { { 3, 0, CONSOLE, 0, 0, 0, 1 },
          false,
          -EIO,
          { IS_ACTIVE, STOP },
          true,
          LOG_ERR,
          "stop " CONSOLE " failed: the service manager exited with status 1" },
        { { 3, 1, CONSOLE, 0, 0, 0, 0 }, false, -EIO, { IS_ACTIVE }, false, LOG_NOTICE, "cannot tell" },
        { { 3, 0, CONSOLE, 0, 0, 0, 0 }, true, 0, { IS_ACTIVE, STOP }, true, MOCK_PRINTED, "would run: " STOP },
};

START_TEST(revert_table)
{
        const struct revert_case *c = &revert_cases[_i];
        struct fake f = c->fake;
        struct xhafw_step *step = console_step(NULL, NULL, &f);
        int r;

        mock_set_dry_run(step, c->dry_run);
        r = mock_revert(step);
        ck_assert_msg(r == c->want, "case %d: revert returned %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        assert_runs(step, _i, c->runs, c->dry_run);
        ck_assert_msg((f.active == 0) == c->active_after, "case %d: active %d", _i, f.active);
        assert_log(step, _i, c->priority, c->log);
        mock_step_free(step);
}
END_TEST

/* The cycle the engine drives, twice each way: apply and revert converge and are idempotent. */
START_TEST(cycle)
{
        struct fake f = { 3, 3, CONSOLE, 0, 0, 0, 0 };
        struct xhafw_step *step = console_step(NULL, NULL, &f);

        ck_assert_int_eq(mock_check(step), XHAFW_INACTIVE);
        ck_assert_int_eq(mock_apply(step), 0);
        ck_assert_int_eq(mock_check(step), XHAFW_ACTIVE);
        ck_assert_int_eq(mock_apply(step), 0);
        ck_assert_int_eq(mock_revert(step), 0);
        ck_assert_int_eq(mock_check(step), XHAFW_INACTIVE);
        ck_assert_int_eq(mock_revert(step), 0);
        ck_assert_uint_eq(mock_ran(step, START), 1);
        ck_assert_uint_eq(mock_ran(step, STOP), 1);
        ck_assert_uint_eq(mock_ran(step, GENERATOR), 2);
        ck_assert_uint_eq(mock_log_count(step, LOG_ERR, NULL), 0);
        mock_step_free(step);
}
END_TEST

/* Another pair of units: the ones configured are asked, started, checked and stopped. */
START_TEST(other_units)
{
        const struct mock_command commands[] = {
                { "systemctl is-active site-cons", 3, NULL, false },
                { LSDEF, 0, "Object name: clustersite\n    consoleservice=" CONSOLE "\n", false },
                { GENERATOR, 0, NULL, false },
                { "systemctl is-active my-cons", 3, NULL, true },
                { "systemctl is-active my-cons", 0, NULL, false },
                { "systemctl start my-cons", 0, NULL, false },
                { "systemctl stop my-cons", 0, NULL, false },
                { .argv = NULL },
        };
        const char *const ran[] = { "systemctl is-active site-cons",
                                    LSDEF,
                                    GENERATOR,
                                    "systemctl is-active my-cons",
                                    "systemctl start my-cons",
                                    "systemctl is-active my-cons",
                                    "systemctl is-active my-cons",
                                    "systemctl stop my-cons",
                                    NULL };
        struct xhafw_step *step = console_step("my-cons", "site-cons", NULL);

        mock_set_commands(step, commands);
        ck_assert_int_eq(mock_validate(step), 0);
        ck_assert_int_eq(mock_apply(step), 0);
        ck_assert_int_eq(mock_check(step), XHAFW_ACTIVE);
        ck_assert_int_eq(mock_revert(step), 0);
        assert_runs(step, 0, ran, false);
        mock_step_free(step);
}
END_TEST

/* other_service = none: the other service is never asked about, so its running refuses nothing. */
START_TEST(other_none)
{
        struct fake f = { 0, 3, CONSOLE, 0, 0, 0, 0 };
        const char *const ran[] = { LSDEF, GENERATOR, IS_ACTIVE, START, NULL };
        struct xhafw_step *step = console_step(NULL, "none", &f);
        char *text = NULL;

        ck_assert_int_eq(mock_validate(step), 0);
        ck_assert_int_eq(mock_apply(step), 0);
        assert_runs(step, 0, ran, false);
        ck_assert_uint_eq(mock_ran(step, "systemctl is-active none"), 0);
        ck_assert_int_eq(f.active, 0);
        ck_assert_uint_eq(mock_log_count(step, LOG_ERR, NULL), 0);
        ck_assert_uint_eq(mock_log_count(step, LOG_WARNING, NULL), 0);
        ck_assert_int_eq(mock_describe(step, &text), 0);
        ck_assert_str_eq(text, "runs " GENERATOR ", then starts " CONSOLE "; deactivate stops " CONSOLE "\n"
                               "does not look at another console service (other_service = none)\n");
        free(text);
        /* an empty value is unset: the default, which is looked at again */
        mock_set_option(step, "other_service", "");
        ck_assert_int_eq(mock_apply(step), XHAFW_REFUSED);
        ck_assert_uint_eq(mock_ran(step, OTHER_ACTIVE), 1);
        mock_step_free(step);
}
END_TEST

/* ---- validate, describe ---- */

struct validate_case {
        const char *service, *other;
        int want;
        const char *log;
};

static const struct validate_case validate_cases[] = {
        { NULL, NULL, 0, NULL },
        { "my-cons", "site-cons", 0, NULL },
        { "con server", NULL, -EINVAL, "service = 'con server': a unit name has no blanks or '/'" },
        { "/usr/sbin/" CONSOLE, NULL, -EINVAL, "service = '/usr/sbin/" CONSOLE "': a unit name has no blanks or '/'" },
        { NULL, "go cons", -EINVAL, "other_service = 'go cons': a unit name has no blanks or '/'" },
        /* one service cannot be its own rival */
        { NULL, CONSOLE, -EINVAL,
          "service and other_service are both " CONSOLE
          ": other_service is the console service that must not run at the same time" },
        { OTHER, NULL, -EINVAL, "service and other_service are both " OTHER },
        /* none: no other console service to look at, so no rival either */
        { NULL, "none", 0, NULL },
        { OTHER, "none", 0, NULL },
        { "none", NULL, -EINVAL,
          "service = none: service is the console server unit this step starts; to not look at another console "
          "service write other_service = none" },
        /* what else one may write for "do not look" is not taken for a unit */
        { NULL, "None", -EINVAL,
          "other_service = 'None': write other_service = none to not look at another console service, or name its "
          "unit" },
        { NULL, "off", -EINVAL, "other_service = 'off': write other_service = none" },
        { NULL, "-", -EINVAL, "other_service = '-': write other_service = none" },
        { NULL, "do not look", -EINVAL, "other_service = 'do not look': a unit name has no blanks or '/'" },
};

START_TEST(validate_table)
{
        const struct validate_case *c = &validate_cases[_i];
        struct xhafw_step *step = console_step(c->service, c->other, NULL);
        int r = mock_validate(step);

        ck_assert_msg(r == c->want, "case %d: validate returned %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        if (c->log)
                assert_log(step, _i, LOG_ERR, c->log);
        else
                ck_assert_uint_eq(mock_log_count(step, -1, NULL), 0);
        ck_assert_uint_eq(mock_log_count(step, LOG_ERR, NULL), c->log ? 1 : 0);
        ck_assert_uint_eq(mock_runs(step, &(const struct mock_run *){ NULL }), 0);
        mock_step_free(step);
}
END_TEST

START_TEST(describe)
{
        struct xhafw_step *step = console_step(NULL, NULL, NULL);
        char *text = NULL;

        ck_assert_int_eq(mock_describe(step, &text), 0);
        ck_assert_str_eq(text, "runs " GENERATOR ", then starts " CONSOLE "; deactivate stops " CONSOLE "\n"
                               "refuses to start while " OTHER " is active (--force overrides)\n");
        free(text);
        ck_assert_uint_eq(mock_runs(step, &(const struct mock_run *){ NULL }), 0);
        mock_step_free(step);
}
END_TEST

/* ---- preflight ---- */

struct preflight_case {
        bool tool, node_active;
        int status, enabled, active;
        int exists, commands, boot, standby; /* enum xhafw_check_result; -1: no such report */
        const char *fix;
};

static const struct preflight_case preflight_cases[] = {
        { true, false, 3, 1, 3, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, NULL },
        { false, false, 3, 1, 3, XHAFW_CHECK_PASS, XHAFW_CHECK_FAIL, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS,
          "install xCAT on this node" },
        { true, false, 3, 0, 3, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, XHAFW_CHECK_FAIL, XHAFW_CHECK_PASS,
          "systemctl disable " CONSOLE },
        { true, false, 0, 1, 0, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, XHAFW_CHECK_FAIL,
          "systemctl stop " CONSOLE },
        { true, true, 0, 1, 0, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, XHAFW_CHECK_PASS, NULL },
        /* not installed: nothing more to ask of the unit */
        { true, false, 4, 4, 4, XHAFW_CHECK_FAIL, XHAFW_CHECK_PASS, -1, -1, "install the package that ships " CONSOLE },
};

START_TEST(preflight_table)
{
        const struct preflight_case *c = &preflight_cases[_i];
        const struct mock_command commands[] = {
                { "/usr/bin/printenv PATH", 0, "@TMP@/bin\n", false },
                { "systemctl status " CONSOLE, c->status, NULL, false },
                { "systemctl is-enabled " CONSOLE, c->enabled, NULL, false },
                { "systemctl is-active " CONSOLE, c->active, NULL, false },
                { .argv = NULL },
        };
        const struct {
                const char *check;
                int want;
        } want[] = {
                { "unit exists", c->exists },
                { "commands on the path", c->commands },
                { "not enabled at boot", c->boot },
                { "not running on a standby", c->standby },
        };
        struct xhafw_step *step = console_step(NULL, NULL, NULL);
        const struct mock_report *rep;
        const struct mock_run *runs;

        ck_assert_int_eq(mkdir(mock_path(step, "bin"), 0755), 0);
        if (c->tool) {
                mock_write_file(step, "bin/" GENERATOR, "#!/bin/sh\nexit 99\n");
                ck_assert_int_eq(chmod(mock_path(step, "bin/" GENERATOR), 0755), 0);
        }
        mock_set_commands(step, commands);
        mock_set_node_active(step, c->node_active);
        ck_assert_int_eq(mock_preflight(step), 0);
        for (int k = 0; k < N(want); k++) {
                rep = mock_report_find(step, want[k].check);
                if (want[k].want < 0) {
                        ck_assert_msg(!rep, "case %d: a report '%s'", _i, want[k].check);
                        continue;
                }
                ck_assert_msg(rep, "case %d: no report '%s'", _i, want[k].check);
                ck_assert_msg((int) rep->result == want[k].want, "case %d: '%s' is %d, want %d: %s", _i, want[k].check,
                              rep->result, want[k].want, rep->detail);
                ck_assert((rep->result == XHAFW_CHECK_PASS) == !rep->fix);
                if (c->fix && rep->result == XHAFW_CHECK_FAIL)
                        ck_assert_msg(strstr(rep->fix, c->fix), "case %d: fix '%s', want '%s'", _i, rep->fix, c->fix);
        }
        rep = mock_report_find(step, "commands on the path");
        ck_assert_ptr_nonnull(strstr(rep->detail, c->tool ? "/bin/" GENERATOR : GENERATOR " not found along path"));
        /* the other service is not preflight's business here, and nothing but queries run */
        ck_assert_uint_eq(mock_ran(step, OTHER_ACTIVE), 0);
        for (size_t k = 0; k < mock_runs(step, &runs); k++)
                ck_assert_msg(runs[k].flags & XHAFW_RUN_READONLY, "case %d: '%s' is not a query", _i, runs[k].argv);
        mock_step_free(step);
}
END_TEST

static Suite *console_suite(void)
{
        Suite *s = suite_create(CONSOLE);
        TCase *tc = tcase_create(CONSOLE);

        tcase_add_loop_test(tc, check_table, 0, N(check_cases));
        tcase_add_loop_test(tc, apply_table, 0, N(apply_cases));
        tcase_add_loop_test(tc, revert_table, 0, N(revert_cases));
        tcase_add_test(tc, cycle);
        tcase_add_test(tc, other_units);
        tcase_add_test(tc, other_none);
        tcase_add_loop_test(tc, validate_table, 0, N(validate_cases));
        tcase_add_test(tc, describe);
        tcase_add_loop_test(tc, preflight_table, 0, N(preflight_cases));
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(console_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
