/* Unit tests of the xcat-networks plugin against the host-API mock: what deactivate restores, and what
 * check, apply and revert do for each state of the networks table, which a fake lsdef/chdef keeps. */
#include <check.h>
#include <stdlib.h>

#include "hostapi-mock.h"

/* Included rather than linked: restore_value() is static. */
#include "xcat-networks.c"

#define NET "10_0_0_0-255_0_0_0"
#define LSDEF "lsdef -t network -o " NET " -i mgtifname"
#define CHDEF "chdef -t network -o " NET " mgtifname="

/* The networks table as the fake lsdef and chdef see it. */
struct table {
        const char *value; /* NULL: mgtifname unset */
        int lsdef_status;  /* non-zero: lsdef fails so (xcatd down: 1; not installed: -ENOENT) */
        int chdef_status;
        char buf[64];
};

static int fake_xcat(struct xhafw_step *step, const char *const argv[], char **ret_output, void *arg)
{
        struct table *t = arg;
        const char *prefix = "mgtifname=";
        size_t n = 0;

        (void) step;
        while (argv[n])
                n++;
        if (n == 7 && strcmp(argv[0], "lsdef") == 0 && strcmp(argv[4], NET) == 0) {
                if (t->lsdef_status) {
                        if (t->lsdef_status > 0 && asprintf(ret_output, "Error: [fake] xcatd is not running\n") < 0)
                                *ret_output = NULL;
                        return t->lsdef_status;
                }
                if (asprintf(ret_output, "Object name: %s\n%s%s%s", NET, t->value ? "    mgtifname=" : "",
                             t->value ? t->value : "", t->value ? "\n" : "") < 0)
                        *ret_output = NULL;
                return 0;
        }
        if (n == 6 && strcmp(argv[0], "chdef") == 0 && strncmp(argv[5], prefix, strlen(prefix)) == 0) {
                if (t->chdef_status) {
                        if (asprintf(ret_output, "Error: [fake] chdef failed\n") < 0)
                                *ret_output = NULL;
                        return t->chdef_status;
                }
                snprintf(t->buf, sizeof t->buf, "%s", argv[5] + strlen(prefix));
                t->value = t->buf;
                return 0;
        }
        return MOCK_PASS;
}

static struct xhafw_step *net_step(const char *mgtifname, const char *fallback, struct table *t)
{
        const struct mock_option opts[] = {
                { "network", NET },
                { "mgtifname", mgtifname },
                { "fallback_mgtifname", fallback },
                { NULL, NULL },
        };
        struct xhafw_step *step = mock_step_new(&xhafw_plugin_v1, "xcat-networks", opts);

        if (t)
                mock_set_handler(step, fake_xcat, t);
        return step;
}

static void record(struct xhafw_step *step, bool applied, const char *previous)
{
        if (applied)
                mock_state_set(step, STATE_APPLIED, "yes");
        if (previous)
                mock_state_set(step, STATE_PREVIOUS, previous);
}

/* ---- what deactivate restores ---- */

struct restore_case {
        const char *mgtifname, *fallback, *previous;
        enum restore_source source;
        const char *value; /* NULL: nothing */
};

static const struct restore_case restore_cases[] = {
        /* the value activate replaced comes first */
        { "eth0:0", "eth9", "eth1", RESTORE_REMEMBERED, "eth1" },
        /* a remembered unset mgtifname is restored as unset */
        { "eth0:0", NULL, "", RESTORE_REMEMBERED, "" },
        /* nothing remembered (activate found the label set): fallback_mgtifname */
        { "eth0:0", "eth2", NULL, RESTORE_FALLBACK, "eth2" },
        /* then the interface the label belongs to */
        { "eth0:0", NULL, NULL, RESTORE_LABEL, "eth0" },
        { "bond0.100:vip", NULL, NULL, RESTORE_LABEL, "bond0.100" },
        /* our own value remembered (an old record) is not worth restoring */
        { "eth0:0", NULL, "eth0:0", RESTORE_LABEL, "eth0" },
        { "eth0:0", "eth0:0", "eth0:0", RESTORE_LABEL, "eth0" },
        { "eth0:0", "eth3", "eth0:0", RESTORE_FALLBACK, "eth3" },
        /* no label, no fallback: nothing sensible, never the label itself */
        { "br0", NULL, NULL, RESTORE_NONE, NULL },
        { ":0", NULL, NULL, RESTORE_NONE, NULL },
        { "br0", "br0", NULL, RESTORE_NONE, NULL },
};

START_TEST(restore_table)
{
        const struct restore_case *c = &restore_cases[_i];
        struct xhafw_step *step = net_step(c->mgtifname, c->fallback, NULL);
        enum restore_source src = RESTORE_REMEMBERED;
        char *v = NULL;

        record(step, true, c->previous);
        ck_assert_int_eq(restore_value(step, &v, &src), 0);
        ck_assert_msg(src == c->source, "case %d: source %s, want %s", _i, source_text(src), source_text(c->source));
        if (c->value)
                ck_assert_msg(v && strcmp(v, c->value) == 0, "case %d: restores '%s', want '%s'", _i,
                              v ? v : "(nothing)", c->value);
        else
                ck_assert_msg(!v, "case %d: restores '%s', want nothing", _i, v);
        free(v);
        mock_step_free(step);
}
END_TEST

/* The same cases through revert, with the label in the table: the chdef it runs, and the record gone. */
START_TEST(restore_by_revert)
{
        const struct restore_case *c = &restore_cases[_i];
        struct table t = { .value = c->mgtifname };
        struct xhafw_step *step = net_step(c->mgtifname, c->fallback, &t);
        char want[128];

        record(step, true, c->previous);
        ck_assert_int_eq(mock_revert(step), 0);
        if (c->value) {
                snprintf(want, sizeof want, CHDEF "%s", c->value);
                ck_assert_msg(mock_ran(step, want) == 1, "case %d: no '%s' in\n%s", _i, want, mock_log_text(step));
                ck_assert_str_eq(t.value, c->value);
        } else {
                ck_assert_str_eq(t.value, c->mgtifname);
                ck_assert_ptr_nonnull(mock_log_find(step, LOG_WARNING,
                                                    "names no interface to restore; set "
                                                    "fallback_mgtifname"));
        }
        ck_assert_uint_eq(mock_state_count(step), 0);
        mock_step_free(step);
}
END_TEST

/* ---- check, for each state of the table and of this node's record ---- */

struct check_case {
        const char *table; /* NULL: unset */
        int lsdef_status;
        bool applied;
        const char *previous;
        int want;
        int log_priority; /* and a message that must be there (NULL: none) */
        const char *log;
};

static const struct check_case check_cases[] = {
        /* set, but not by this node: the other node's (or the admin's) */
        { "eth0:0", 0, false, NULL, XHAFW_INACTIVE, LOG_INFO, "but this node did not set it" },
        { "eth0", 0, false, NULL, XHAFW_INACTIVE, -1, NULL },
        { NULL, 0, false, NULL, XHAFW_INACTIVE, -1, NULL },
        /* ours and set */
        { "eth0:0", 0, true, "eth0", XHAFW_ACTIVE, -1, NULL },
        { "eth0:0", 0, true, NULL, XHAFW_ACTIVE, -1, NULL },
        /* a record from before "applied" existed */
        { "eth0:0", 0, false, "eth0", XHAFW_ACTIVE, -1, NULL },
        /* ours, and changed since: revert must still run */
        { "eth1", 0, true, "eth0", XHAFW_PARTIAL, -1, NULL },
        { NULL, 0, true, "eth0", XHAFW_PARTIAL, -1, NULL },
        /* cannot tell (xcatd down, xCAT missing): a quiet line, no error */
        { "eth0:0", 1, true, "eth0", -EIO, LOG_INFO,
          LSDEF " failed with exit status 1: Error: [fake] xcatd is not running" },
        { "eth0:0", -ENOENT, false, NULL, -ENOENT, LOG_INFO, "cannot run " LSDEF },
};

START_TEST(check_table)
{
        const struct check_case *c = &check_cases[_i];
        struct table t = { .value = c->table, .lsdef_status = c->lsdef_status };
        struct xhafw_step *step = net_step("eth0:0", NULL, &t);
        const struct mock_run *runs;

        record(step, c->applied, c->previous);
        ck_assert_msg(mock_check(step) == c->want, "case %d: check says %d, want %d\n%s", _i, mock_check(step), c->want,
                      mock_log_text(step));
        if (c->log)
                ck_assert_msg(mock_log_find(step, c->log_priority, c->log), "case %d: no '%s' in\n%s", _i, c->log,
                              mock_log_text(step));
        ck_assert_uint_eq(mock_log_count(step, LOG_ERR, NULL), 0);
        /* read-only: only lsdef, marked so, and the record untouched */
        ck_assert_uint_ge(mock_runs(step, &runs), 1);
        for (size_t i = 0; i < mock_runs(step, &runs); i++) {
                ck_assert_str_eq(runs[i].argv, LSDEF);
                ck_assert(runs[i].flags & XHAFW_RUN_READONLY);
        }
        ck_assert_uint_eq(mock_state_count(step), (c->applied ? 1u : 0u) + (c->previous ? 1u : 0u));
        mock_step_free(step);
}
END_TEST

/* ---- apply ---- */

struct apply_case {
        const char *mgtifname;
        const char *table;
        int lsdef_status, chdef_status, state_err;
        bool applied;
        const char *previous;
        bool dry_run;
        int want;
        const char *chdef; /* the chdef run (or in dry-run said), NULL: none */
        const char *table_after;
        const char *previous_after; /* NULL: none recorded */
        bool applied_after;
        int log_priority;
        const char *log;
};

static const struct apply_case apply_cases[] = {
        /* the usual activate: remember eth0, set the label */
        { "eth0:0", "eth0", 0, 0, 0, false, NULL, false, 0, CHDEF "eth0:0", "eth0:0", "eth0", true, LOG_INFO,
          "network " NET ": mgtifname eth0 -> eth0:0" },
        /* unset before: remembered as unset */
        { "eth0:0", NULL, 0, 0, 0, false, NULL, false, 0, CHDEF "eth0:0", "eth0:0", "", true, LOG_INFO,
          "mgtifname (unset) -> eth0:0" },
        /* left by the other node, which failed while active: taken over, nothing run */
        { "eth0:0", "eth0:0", 0, 0, 0, false, NULL, false, 0, NULL, "eth0:0", NULL, true, LOG_INFO,
          "already has mgtifname=eth0:0 (left by the other node?); deactivate will set mgtifname=eth0 (the "
          "interface of the label eth0:0)" },
        { "br0", "br0", 0, 0, 0, false, NULL, false, 0, NULL, "br0", NULL, true, LOG_WARNING,
          "deactivate will have nothing to restore; set fallback_mgtifname" },
        /* already ours */
        { "eth0:0", "eth0:0", 0, 0, 0, true, "eth0", false, 0, NULL, "eth0:0", "eth0", true, LOG_INFO,
          "already has mgtifname=eth0:0" },
        /* a second apply after a failed one keeps the first value seen */
        { "eth0:0", "eth5", 0, 0, 0, true, "eth1", false, 0, CHDEF "eth0:0", "eth0:0", "eth1", true, -1, NULL },
        /* dry-run: said, not done, nothing recorded */
        { "eth0:0", "eth0", 0, 0, 0, false, NULL, true, 0, CHDEF "eth0:0", "eth0", NULL, false, MOCK_PRINTED,
          "would run: " CHDEF "eth0:0" },
        /* dry-run before xcatd is up (an earlier step): assumes it will be */
        { "eth0:0", "eth0", 1, 0, 0, false, NULL, true, 0, CHDEF "eth0:0", "eth0", NULL, false, LOG_NOTICE,
          "cannot read network " NET " now (is xcatd running?)" },
        /* lsdef fails for real: nothing changed */
        { "eth0:0", "eth0", 1, 0, 0, false, NULL, false, -EIO, NULL, "eth0", NULL, false, LOG_ERR,
          LSDEF " failed with exit status 1" },
        /* chdef fails: the record stays, so that revert undoes whatever chdef did */
        { "eth0:0", "eth0", 0, 1, 0, false, NULL, false, -EIO, CHDEF "eth0:0", "eth0", "eth0", true, LOG_ERR,
          CHDEF "eth0:0 failed with exit status 1: Error: [fake] chdef failed" },
        /* no record, no change: the table is never changed without one */
        { "eth0:0", "eth0", 0, 0, -ENOSPC, false, NULL, false, -ENOSPC, NULL, "eth0", NULL, false, LOG_ERR,
          "cannot write state file" },
};

START_TEST(apply_table)
{
        const struct apply_case *c = &apply_cases[_i];
        struct table t = { .value = c->table, .lsdef_status = c->lsdef_status, .chdef_status = c->chdef_status };
        struct xhafw_step *step = net_step(c->mgtifname, NULL, &t);
        const struct mock_run *runs;
        size_t n_chdef = 0;
        int r;

        record(step, c->applied, c->previous);
        mock_set_dry_run(step, c->dry_run);
        mock_state_fail(step, c->state_err);
        r = mock_apply(step);
        ck_assert_msg(r == c->want, "case %d: apply returned %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        for (size_t i = 0; i < mock_runs(step, &runs); i++)
                if (strncmp(runs[i].argv, "chdef", 5) == 0) {
                        ck_assert_msg(c->chdef && strcmp(runs[i].argv, c->chdef) == 0, "case %d: ran %s", _i,
                                      runs[i].argv);
                        ck_assert(runs[i].executed == !c->dry_run);
                        n_chdef++;
                }
        ck_assert_msg(n_chdef == (c->chdef ? 1u : 0u), "case %d: %zu chdef runs\n%s", _i, n_chdef, mock_log_text(step));
        if (c->table_after)
                ck_assert_str_eq(t.value, c->table_after);
        if (c->previous_after)
                ck_assert_pstr_eq(mock_state_get(step, STATE_PREVIOUS), c->previous_after);
        else
                ck_assert_ptr_null(mock_state_get(step, STATE_PREVIOUS));
        ck_assert(!!mock_state_get(step, STATE_APPLIED) == c->applied_after);
        if (c->log)
                ck_assert_msg(mock_log_find(step, c->log_priority, c->log), "case %d: no '%s' in\n%s", _i, c->log,
                              mock_log_text(step));
        if (c->want == 0)
                ck_assert_uint_eq(mock_log_count(step, LOG_ERR, NULL), 0);
        mock_step_free(step);
}
END_TEST

/* ---- revert ---- */

struct revert_case {
        const char *mgtifname, *fallback;
        const char *table;
        int lsdef_status, chdef_status;
        bool applied;
        const char *previous;
        bool dry_run;
        int want;
        const char *chdef;
        const char *table_after;
        bool record_after; /* the record is kept (to try again) */
        int log_priority;
        const char *log;
};

static const struct revert_case revert_cases[] = {
        /* no record: this node changed nothing, whatever the table says */
        { "eth0:0", NULL, "eth0:0", 0, 0, false, NULL, false, 0, NULL, "eth0:0", false, LOG_INFO,
          "this node did not set mgtifname, nothing to restore" },
        /* the usual deactivate */
        { "eth0:0", NULL, "eth0:0", 0, 0, true, "eth0", false, 0, CHDEF "eth0", "eth0", false, -1, NULL },
        /* changed by someone since: left alone, the record dropped */
        { "eth0:0", NULL, "eth7", 0, 0, true, "eth0", false, 0, NULL, "eth7", false, LOG_INFO,
          "has mgtifname=eth7, not eth0:0: nothing to restore" },
        /* taken over from the other node: the configuration decides */
        { "eth0:0", "eth4", "eth0:0", 0, 0, true, NULL, false, 0, CHDEF "eth4", "eth4", false, LOG_INFO,
          "restoring eth4 (fallback_mgtifname)" },
        { "eth0:0", NULL, "eth0:0", 0, 0, true, NULL, false, 0, CHDEF "eth0", "eth0", false, LOG_INFO,
          "restoring eth0 (the interface of the label eth0:0)" },
        /* nothing to restore: say what to do, and let deactivate go on */
        { "br0", NULL, "br0", 0, 0, true, NULL, false, 0, NULL, "br0", false, LOG_WARNING,
          "set the value now with chdef -t network -o " NET " mgtifname=INTERFACE" },
        /* lsdef fails: try again later */
        { "eth0:0", NULL, "eth0:0", 1, 0, true, "eth0", false, -EIO, NULL, "eth0:0", true, LOG_ERR,
          LSDEF " failed with exit status 1" },
        /* dry-run before xcatd is up: says what it would restore, keeps the record */
        { "eth0:0", NULL, "eth0:0", 1, 0, true, "eth0", true, 0, CHDEF "eth0", "eth0:0", true, LOG_NOTICE,
          "cannot read network " NET " now (is xcatd running?)" },
        { "eth0:0", NULL, "eth0:0", 0, 0, true, "eth0", true, 0, CHDEF "eth0", "eth0:0", true, MOCK_PRINTED,
          "would run: " CHDEF "eth0" },
        /* chdef fails: the record stays for the next revert */
        { "eth0:0", NULL, "eth0:0", 0, 1, true, "eth0", false, -EIO, CHDEF "eth0", "eth0:0", true, LOG_ERR,
          CHDEF "eth0 failed with exit status 1" },
        /* unset before activate: unset again */
        { "eth0:0", NULL, "eth0:0", 0, 0, true, "", false, 0, CHDEF, "", false, -1, NULL },
};

START_TEST(revert_table)
{
        const struct revert_case *c = &revert_cases[_i];
        struct table t = { .value = c->table, .lsdef_status = c->lsdef_status, .chdef_status = c->chdef_status };
        struct xhafw_step *step = net_step(c->mgtifname, c->fallback, &t);
        const struct mock_run *runs;
        size_t n_chdef = 0, before;
        int r;

        record(step, c->applied, c->previous);
        before = mock_state_count(step);
        mock_set_dry_run(step, c->dry_run);
        r = mock_revert(step);
        ck_assert_msg(r == c->want, "case %d: revert returned %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        for (size_t i = 0; i < mock_runs(step, &runs); i++)
                if (strncmp(runs[i].argv, "chdef", 5) == 0) {
                        ck_assert_msg(c->chdef && strcmp(runs[i].argv, c->chdef) == 0, "case %d: ran %s", _i,
                                      runs[i].argv);
                        n_chdef++;
                }
        ck_assert_msg(n_chdef == (c->chdef ? 1u : 0u), "case %d: %zu chdef runs\n%s", _i, n_chdef, mock_log_text(step));
        ck_assert_str_eq(t.value, c->table_after);
        ck_assert_uint_eq(mock_state_count(step), c->record_after ? before : 0);
        if (c->log)
                ck_assert_msg(mock_log_find(step, c->log_priority, c->log), "case %d: no '%s' in\n%s", _i, c->log,
                              mock_log_text(step));
        mock_step_free(step);
}
END_TEST

/* ---- a failover: node A active and lost, node B takes over and later gives the role up ---- */

START_TEST(failover)
{
        struct table t = { .value = "eth0" };
        struct xhafw_step *a = net_step("eth0:0", NULL, &t), *b = net_step("eth0:0", NULL, &t);

        ck_assert_int_eq(mock_check(a), XHAFW_INACTIVE);
        ck_assert_int_eq(mock_apply(a), 0);
        ck_assert_int_eq(mock_check(a), XHAFW_ACTIVE);
        /* B's check does not claim A's work */
        ck_assert_int_eq(mock_check(b), XHAFW_INACTIVE);
        /* A dies; B activates and finds the label set */
        ck_assert_int_eq(mock_apply(b), 0);
        ck_assert_str_eq(t.value, "eth0:0");
        ck_assert_int_eq(mock_check(b), XHAFW_ACTIVE);
        /* B deactivates: nothing remembered, the label's interface */
        ck_assert_int_eq(mock_revert(b), 0);
        ck_assert_str_eq(t.value, "eth0");
        ck_assert_int_eq(mock_check(b), XHAFW_INACTIVE);
        /* A comes back with its old record: the table is not ours any more, nothing to do */
        ck_assert_int_eq(mock_check(a), XHAFW_PARTIAL);
        ck_assert_int_eq(mock_revert(a), 0);
        ck_assert_str_eq(t.value, "eth0");
        ck_assert_uint_eq(mock_state_count(a), 0);
        mock_step_free(a);
        mock_step_free(b);
}
END_TEST

/* ---- validate and describe ---- */

struct validate_case {
        const char *network, *mgtifname, *fallback;
        int want;
};

static const struct validate_case validate_cases[] = {
        { NET, "eth0:0", NULL, 0 },
        { NET, "eth0:0", "eth0", 0 },
        { "net 1", "eth0:0", NULL, -EINVAL },
        { "net=1", "eth0:0", NULL, -EINVAL },
        { "a,b", "eth0:0", NULL, -EINVAL },
        { NET, "eth0 0", NULL, -EINVAL },
        { NET, "eth0:0", "mgtifname=x", -EINVAL },
        { NET, "eth0\x7f", NULL, -EINVAL },
};

START_TEST(validate_table)
{
        const struct validate_case *c = &validate_cases[_i];
        const struct mock_option opts[] = {
                { "network", c->network },
                { "mgtifname", c->mgtifname },
                { "fallback_mgtifname", c->fallback },
                { NULL, NULL },
        };
        struct xhafw_step *step = mock_step_new(&xhafw_plugin_v1, "xcat-networks", opts);

        ck_assert_int_eq(mock_validate(step), c->want);
        ck_assert_uint_eq(mock_log_count(step, LOG_ERR, NULL), c->want ? 1 : 0);
        /* configuration only: no command */
        ck_assert_uint_eq(mock_runs(step, &(const struct mock_run *){ NULL }), 0);
        mock_step_free(step);
}
END_TEST

struct describe_case {
        const char *mgtifname, *fallback, *previous;
        bool applied;
        const char *want;
};

static const struct describe_case describe_cases[] = {
        { "eth0:0", NULL, "eth1", true, "deactivate restores mgtifname=eth1 (the value activate replaced)" },
        { "eth0:0", NULL, NULL, true,
          "activate found mgtifname=eth0:0 set already; deactivate restores mgtifname=eth0 "
          "(the interface of the label eth0:0)" },
        { "eth0:0", "eth2", NULL, false, "it restores mgtifname=eth2 (fallback_mgtifname)" },
        { "br0", NULL, NULL, false, "it restores nothing: br0 names no interface (set fallback_mgtifname)" },
};

START_TEST(describe_table)
{
        const struct describe_case *c = &describe_cases[_i];
        struct xhafw_step *step = net_step(c->mgtifname, c->fallback, NULL);
        char *text = NULL;

        record(step, c->applied, c->previous);
        ck_assert_int_eq(mock_describe(step, &text), 0);
        ck_assert_msg(strstr(text, c->want), "case %d: no '%s' in\n%s", _i, c->want, text);
        ck_assert_ptr_nonnull(strstr(text, "(chdef -t network -o " NET " mgtifname="));
        free(text);
        /* no side effects */
        ck_assert_uint_eq(mock_runs(step, &(const struct mock_run *){ NULL }), 0);
        mock_step_free(step);
}
END_TEST

#define N(a) ((int) (sizeof(a) / sizeof((a)[0])))

static Suite *networks_suite(void)
{
        Suite *s = suite_create("xcat-networks");
        TCase *tc = tcase_create("xcat-networks");

        tcase_add_loop_test(tc, restore_table, 0, N(restore_cases));
        tcase_add_loop_test(tc, restore_by_revert, 0, N(restore_cases));
        tcase_add_loop_test(tc, check_table, 0, N(check_cases));
        tcase_add_loop_test(tc, apply_table, 0, N(apply_cases));
        tcase_add_loop_test(tc, revert_table, 0, N(revert_cases));
        tcase_add_test(tc, failover);
        tcase_add_loop_test(tc, validate_table, 0, N(validate_cases));
        tcase_add_loop_test(tc, describe_table, 0, N(describe_cases));
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(networks_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
