/* Unit tests of the dns plugin against the host-API mock: the commands apply and revert run (a fake
 * lsdef, makedns and service manager answer), the nameserver line they edit in a resolv.conf of a
 * temporary directory, what check says for each state, the dry-run's notices, validate. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "hostapi-mock.h"

/* dns.c is linked: only its ABI is used, as the core uses it. */
extern const struct xhafw_plugin xhafw_plugin_v1;

#define N(a) ((int) (sizeof(a) / sizeof((a)[0])))
#define MAX_RUNS 8
#define LSDEF "lsdef -t site -i domain"
#define RESOLV "search cluster.com\nnameserver 192.0.2.53\n"

/* xCAT and the service manager, as the fake commands see them. */
struct fake {
        const char *domain; /* NULL: the site table has none */
        int lsdef_status, makedns_status, start_status, stop_status;
        int active; /* is-active's exit status: 0 active, 3 inactive, 4 no such unit, 1 broken */
};

static int fake_commands(struct xhafw_step *step, const char *const argv[], char **ret_output, void *arg)
{
        struct fake *f = arg;
        const char *what = argv[0];

        (void) step;
        if (strcmp(what, "lsdef") == 0) {
                if (f->lsdef_status) {
                        *ret_output = strdup("Error: [fake] xcatd is not running\n");
                        return f->lsdef_status;
                }
                if (asprintf(ret_output, "Object name: clustersite\n%s%s%s", f->domain ? "    domain=" : "",
                             f->domain ? f->domain : "", f->domain ? "\n" : "") < 0)
                        *ret_output = NULL;
                return 0;
        }
        if (strcmp(what, "makedns") == 0) {
                if (f->makedns_status)
                        *ret_output = strdup("Error: [fake] cannot write the zones\n");
                return f->makedns_status;
        }
        if (strcmp(what, "systemctl") == 0 && strcmp(argv[1], "is-active") == 0)
                return f->active;
        if (strcmp(what, "systemctl") == 0 && strcmp(argv[1], "start") == 0) {
                if (f->start_status == 0)
                        f->active = 0;
                return f->start_status;
        }
        if (strcmp(what, "systemctl") == 0 && strcmp(argv[1], "stop") == 0) {
                if (f->stop_status == 0)
                        f->active = 3;
                return f->stop_status;
        }
        return MOCK_PASS;
}

static struct xhafw_step *dns_step(const char *nameserver, const char *service, struct fake *f)
{
        const struct mock_option opts[] = {
                { "resolv_conf", "@TMP@/resolv.conf" },
                { "nameserver", nameserver },
                { "service", service },
                { NULL, NULL },
        };
        struct xhafw_step *step = mock_step_new(&xhafw_plugin_v1, "dns", opts);

        if (f)
                mock_set_handler(step, fake_commands, f);
        return step;
}

static const char *resolv_text(struct xhafw_step *step)
{
        char *text = mock_read_file(step, "resolv.conf");
        const char *r = mock_expand(step, text ? text : "(none)");

        free(text);
        return r;
}

/* The commands run, in order, against WANT (NULL-terminated); EXECUTED says which ran for real. */
static void assert_runs(struct xhafw_step *step, int i, const char *const *want, bool dry_run)
{
        const struct mock_run *runs;
        size_t n = mock_runs(step, &runs), k;

        for (k = 0; k < n; k++) {
                ck_assert_msg(k < MAX_RUNS && want[k], "case %d: ran '%s', not expected", i, runs[k].argv);
                ck_assert_msg(strcmp(runs[k].argv, want[k]) == 0, "case %d: run %zu is '%s', want '%s'", i, k,
                              runs[k].argv, want[k]);
                /* only queries run in a dry-run */
                ck_assert(runs[k].executed == (!dry_run || (runs[k].flags & XHAFW_RUN_READONLY)));
        }
        ck_assert_msg(k == MAX_RUNS || !want[k], "case %d: '%s' did not run\n%s", i, want[k], mock_log_text(step));
}

/* ---- check ---- */

struct check_case {
        int active;
        const char *nameserver, *resolv;
        bool ours; /* the state says this step added the line */
        int want;
        int priority;
        const char *log;
};

static const struct check_case check_cases[] = {
        { 0, NULL, RESOLV, false, XHAFW_ACTIVE, -1, NULL },
        { 3, NULL, RESOLV, false, XHAFW_INACTIVE, -1, NULL },
        { 4, NULL, RESOLV, false, XHAFW_INACTIVE, -1, NULL },
        /* the service manager cannot tell: neither can check */
        { 1, NULL, RESOLV, false, -EIO, LOG_NOTICE,
          "cannot tell whether named is active: the service manager exited "
          "with status 1" },
        { -ENOENT, NULL, RESOLV, false, -ENOENT, LOG_NOTICE, "cannot ask the service manager about named" },
        /* with a nameserver: the line must be there while active */
        { 0, "10.5.106.7", "nameserver 10.5.106.7\n" RESOLV, true, XHAFW_ACTIVE, -1, NULL },
        { 0, "10.5.106.7", RESOLV, false, XHAFW_PARTIAL, -1, NULL },
        { 0, "10.5.106.7", "nameserver  10.5.106.7  # the VIP\n", false, XHAFW_ACTIVE, -1, NULL },
        /* inactive: only this step's own line left behind is partial work */
        { 3, "10.5.106.7", "nameserver 10.5.106.7\n" RESOLV, true, XHAFW_PARTIAL, -1, NULL },
        { 3, "10.5.106.7", "nameserver 10.5.106.7\n" RESOLV, false, XHAFW_INACTIVE, -1, NULL },
        { 3, "10.5.106.7", RESOLV, true, XHAFW_INACTIVE, -1, NULL },
        /* an IPv6 nameserver, however written */
        { 0, "2001:DB8::7", "nameserver 2001:db8:0:0::7\n", true, XHAFW_ACTIVE, -1, NULL },
        { 0, "10.5.106.7", NULL, false, XHAFW_PARTIAL, -1, NULL },
};

START_TEST(check_table)
{
        const struct check_case *c = &check_cases[_i];
        struct fake f = { .domain = "cluster.com", .active = c->active };
        struct xhafw_step *step = dns_step(c->nameserver, NULL, &f);
        const struct mock_run *runs;
        int r;

        if (c->resolv)
                mock_write_file(step, "resolv.conf", c->resolv);
        if (c->ours)
                mock_state_set(step, "resolv_conf_line", "nameserver 10.5.106.7");
        r = mock_check(step);
        ck_assert_msg(r == c->want, "case %d: check says %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        if (c->log)
                ck_assert_msg(mock_log_find(step, c->priority, c->log), "case %d: no '%s' in\n%s", _i, c->log,
                              mock_log_text(step));
        /* read-only: one query */
        ck_assert_uint_eq(mock_runs(step, &runs), 1);
        ck_assert_str_eq(runs[0].argv, "systemctl is-active named");
        ck_assert(runs[0].flags & XHAFW_RUN_READONLY);
        ck_assert_uint_eq(mock_files(step, &(const struct mock_file *){ NULL }), 0);
        mock_step_free(step);
}
END_TEST

/* ---- apply ---- */

struct apply_case {
        const char *nameserver, *service, *resolv;
        struct fake fake;
        bool dry_run;
        int want;
        const char *runs[MAX_RUNS];
        const char *resolv_after; /* NULL: as before */
        const char *line;         /* the state's record of the line added */
        bool newline_added;
        int priority;
        const char *log;
};

#define RUNS_ALL \
        { \
                LSDEF, "makedns -n", "systemctl is-active named", "systemctl start named" \
        }

static const struct apply_case apply_cases[] = {
        { NULL,
          NULL,
          RESOLV,
          { "cluster.com", 0, 0, 0, 0, 3 },
          false,
          0,
          RUNS_ALL,
          NULL,
          NULL,
          false,
          LOG_INFO,
          "site domain: cluster.com" },
        /* the nameserver goes before the others: it is asked first */
        { "10.5.106.7",
          NULL,
          RESOLV,
          { "cluster.com", 0, 0, 0, 0, 3 },
          false,
          0,
          RUNS_ALL,
          "search cluster.com\nnameserver 10.5.106.7\nnameserver 192.0.2.53\n",
          "nameserver 10.5.106.7",
          false,
          -1,
          NULL },
        { "10.5.106.7",
          NULL,
          "search cluster.com",
          { "cluster.com", 0, 0, 0, 0, 3 },
          false,
          0,
          RUNS_ALL,
          "search cluster.com\nnameserver 10.5.106.7\n",
          "nameserver 10.5.106.7",
          true,
          -1,
          NULL },
        { "10.5.106.7",
          NULL,
          NULL,
          { "cluster.com", 0, 0, 0, 0, 3 },
          false,
          0,
          RUNS_ALL,
          "nameserver 10.5.106.7\n",
          "nameserver 10.5.106.7",
          false,
          -1,
          NULL },
        /* there already: not this step's to take back */
        { "10.5.106.7",
          NULL,
          "nameserver 10.5.106.7\n",
          { "cluster.com", 0, 0, 0, 0, 3 },
          false,
          0,
          RUNS_ALL,
          NULL,
          NULL,
          false,
          LOG_INFO,
          "@TMP@/resolv.conf already has \"nameserver 10.5.106.7\"; deactivate will leave it" },
        /* an IPv6 nameserver in its usual form */
        { "2001:DB8:0::7",
          NULL,
          RESOLV,
          { "cluster.com", 0, 0, 0, 0, 3 },
          false,
          0,
          RUNS_ALL,
          "search cluster.com\nnameserver 2001:db8::7\nnameserver 192.0.2.53\n",
          "nameserver 2001:db8::7",
          false,
          -1,
          NULL },
        /* another unit */
        { NULL,
          "bind9",
          RESOLV,
          { "cluster.com", 0, 0, 0, 0, 3 },
          false,
          0,
          { LSDEF, "makedns -n", "systemctl is-active bind9", "systemctl start bind9" },
          NULL,
          NULL,
          false,
          -1,
          NULL },
        /* running already: not started again */
        { NULL,
          NULL,
          RESOLV,
          { "cluster.com", 0, 0, 0, 0, 0 },
          false,
          0,
          { LSDEF, "makedns -n", "systemctl is-active named" },
          NULL,
          NULL,
          false,
          LOG_INFO,
          "named is already active" },
        /* no domain: makedns would fail late and obscurely, so nothing runs */
        { "10.5.106.7",
          NULL,
          RESOLV,
          { NULL, 0, 0, 0, 0, 3 },
          false,
          -EINVAL,
          { LSDEF },
          NULL,
          NULL,
          false,
          LOG_ERR,
          "the xCAT site table has no domain, which makedns needs: set it (chdef -t site domain=cluster.com)" },
        { "10.5.106.7",
          NULL,
          RESOLV,
          { "", 0, 0, 0, 0, 3 },
          false,
          -EINVAL,
          { LSDEF },
          NULL,
          NULL,
          false,
          LOG_ERR,
          "has no domain" },
        { "10.5.106.7",
          NULL,
          RESOLV,
          { "cluster.com", 1, 0, 0, 0, 3 },
          false,
          -EIO,
          { LSDEF },
          NULL,
          NULL,
          false,
          LOG_ERR,
          LSDEF " failed with exit status 1: Error: [fake] xcatd is not running" },
        { "10.5.106.7",
          NULL,
          RESOLV,
          { "cluster.com", 0, 1, 0, 0, 3 },
          false,
          -EIO,
          { LSDEF, "makedns -n" },
          NULL,
          NULL,
          false,
          LOG_ERR,
          "makedns -n failed with exit status 1: Error: [fake] cannot write the zones" },
        /* the start fails: the line is not added */
        { "10.5.106.7",
          NULL,
          RESOLV,
          { "cluster.com", 0, 0, 1, 0, 3 },
          false,
          -EIO,
          RUNS_ALL,
          NULL,
          NULL,
          false,
          LOG_ERR,
          "start named failed: the service manager exited with status 1" },
        /* dry-run: the queries run, the rest is said */
        { "10.5.106.7",
          NULL,
          RESOLV,
          { "cluster.com", 0, 0, 0, 0, 3 },
          true,
          0,
          RUNS_ALL,
          NULL,
          NULL,
          false,
          MOCK_PRINTED,
          "+nameserver 10.5.106.7\n" },
        /* dry-run before xcatd runs (an earlier step): assumed to come */
        { "10.5.106.7",
          NULL,
          RESOLV,
          { "cluster.com", 1, 0, 0, 0, 3 },
          true,
          0,
          RUNS_ALL,
          NULL,
          NULL,
          false,
          LOG_NOTICE,
          "cannot read the site table's domain now (is xcatd running?); activate will need it" },
};

START_TEST(apply_table)
{
        const struct apply_case *c = &apply_cases[_i];
        struct fake f = c->fake;
        struct xhafw_step *step = dns_step(c->nameserver, c->service, &f);
        int r;

        if (c->resolv)
                mock_write_file(step, "resolv.conf", c->resolv);
        mock_set_dry_run(step, c->dry_run);
        r = mock_apply(step);
        ck_assert_msg(r == c->want, "case %d: apply returned %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        assert_runs(step, _i, c->runs, c->dry_run);
        ck_assert_str_eq(resolv_text(step), c->resolv_after ? c->resolv_after : c->resolv ? c->resolv : "(none)");
        ck_assert_pstr_eq(mock_state_get(step, "resolv_conf_line"), c->line);
        ck_assert(!!mock_state_get(step, "resolv_conf_newline_added") == c->newline_added);
        if (c->log)
                ck_assert_msg(mock_log_find(step, c->priority, c->log), "case %d: no '%s' in\n%s", _i,
                              mock_expand(step, c->log), mock_log_text(step));
        if (c->want == 0)
                ck_assert_uint_eq(mock_log_count(step, LOG_ERR, NULL), 0);
        if (c->dry_run)
                ck_assert_ptr_nonnull(mock_log_find(step, MOCK_PRINTED, "would run: makedns -n"));
        mock_step_free(step);
}
END_TEST

/* ---- revert ---- */

struct revert_case {
        const char *resolv;
        bool ours, newline_added;
        struct fake fake;
        bool dry_run;
        int want;
        const char *runs[MAX_RUNS];
        const char *resolv_after;
        size_t state_after;
        int priority;
        const char *log;
};

static const struct revert_case revert_cases[] = {
        { "search cluster.com\nnameserver 10.5.106.7\nnameserver 192.0.2.53\n",
          true,
          false,
          { "cluster.com", 0, 0, 0, 0, 0 },
          false,
          0,
          { "systemctl is-active named", "systemctl stop named" },
          RESOLV,
          0,
          -1,
          NULL },
        /* the newline apply added before its line goes with it */
        { "search cluster.com\nnameserver 10.5.106.7\n",
          true,
          true,
          { "cluster.com", 0, 0, 0, 0, 0 },
          false,
          0,
          { "systemctl is-active named", "systemctl stop named" },
          "search cluster.com",
          0,
          -1,
          NULL },
        /* a line there before: left */
        { "nameserver 10.5.106.7\n" RESOLV,
          false,
          false,
          { "cluster.com", 0, 0, 0, 0, 0 },
          false,
          0,
          { "systemctl is-active named", "systemctl stop named" },
          NULL,
          0,
          -1,
          NULL },
        { RESOLV,
          false,
          false,
          { "cluster.com", 0, 0, 0, 0, 3 },
          false,
          0,
          { "systemctl is-active named" },
          NULL,
          0,
          LOG_INFO,
          "named is already inactive" },
        { "nameserver 10.5.106.7\n" RESOLV,
          true,
          false,
          { "cluster.com", 0, 0, 0, 5, 0 },
          false,
          -EIO,
          { "systemctl is-active named", "systemctl stop named" },
          RESOLV,
          0,
          LOG_ERR,
          "stop named failed: the service manager exited with status 5" },
        /* dry-run: the diff and the stop said, the record kept */
        { "nameserver 10.5.106.7\n" RESOLV,
          true,
          false,
          { "cluster.com", 0, 0, 0, 0, 0 },
          true,
          0,
          { "systemctl is-active named", "systemctl stop named" },
          NULL,
          1,
          MOCK_PRINTED,
          "-nameserver 10.5.106.7\n" },
};

START_TEST(revert_table)
{
        const struct revert_case *c = &revert_cases[_i];
        struct fake f = c->fake;
        struct xhafw_step *step = dns_step("10.5.106.7", NULL, &f);
        int r;

        mock_write_file(step, "resolv.conf", c->resolv);
        if (c->ours)
                mock_state_set(step, "resolv_conf_line", "nameserver 10.5.106.7");
        if (c->newline_added)
                mock_state_set(step, "resolv_conf_newline_added", "yes");
        mock_set_dry_run(step, c->dry_run);
        r = mock_revert(step);
        ck_assert_msg(r == c->want, "case %d: revert returned %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        assert_runs(step, _i, c->runs, c->dry_run);
        ck_assert_str_eq(resolv_text(step), c->resolv_after ? c->resolv_after : c->resolv);
        ck_assert_uint_eq(mock_state_count(step), c->state_after);
        if (c->log)
                ck_assert_msg(mock_log_find(step, c->priority, c->log), "case %d: no '%s' in\n%s", _i, c->log,
                              mock_log_text(step));
        mock_step_free(step);
}
END_TEST

/* apply, then revert: every byte of resolv.conf as it was */
static const char *const round_cases[] = {
        RESOLV,
        "search cluster.com",
        "",
        "# only a comment\n\n",
        "nameserver 192.0.2.53\nnameserver 192.0.2.54",
        "options rotate\nnameserver 192.0.2.53\nsearch x\n",
};

START_TEST(round_table)
{
        struct fake f = { .domain = "cluster.com", .active = 3 };
        struct xhafw_step *step = dns_step("10.5.106.7", NULL, &f);

        mock_write_file(step, "resolv.conf", round_cases[_i]);
        ck_assert_int_eq(mock_apply(step), 0);
        ck_assert_int_eq(mock_check(step), XHAFW_ACTIVE);
        ck_assert_ptr_nonnull(strstr(resolv_text(step), "nameserver 10.5.106.7\n"));
        ck_assert_int_eq(mock_revert(step), 0);
        ck_assert_str_eq(resolv_text(step), round_cases[_i]);
        ck_assert_int_eq(mock_check(step), XHAFW_INACTIVE);
        ck_assert_uint_eq(mock_state_count(step), 0);
        mock_step_free(step);
}
END_TEST

/* ---- validate and describe ---- */

struct validate_case {
        const char *nameserver, *service;
        int want;
        const char *log;
};

static const struct validate_case validate_cases[] = {
        { NULL, NULL, 0, NULL },
        { "10.5.106.7", "bind9", 0, NULL },
        { "2001:db8::53", NULL, 0, NULL },
        { "fd00::53", NULL, 0, NULL },
        { "10.5.106.7/8", NULL, -EINVAL,
          "nameserver = 10.5.106.7/8: a resolv.conf nameserver is an address without "
          "a /prefix" },
        { "fe80::1", NULL, -EINVAL, "nameserver = fe80::1: not an address a resolver can use without an interface" },
        { "ff02::1", NULL, -EINVAL, "nameserver = ff02::1: not an address a resolver can use" },
        { "::", NULL, -EINVAL, "nameserver = ::: not an address a resolver can use" },
        { NULL, "named/x", -EINVAL, "service = 'named/x': a unit name has no blanks or '/'" },
        { NULL, "named x", -EINVAL, "service = 'named x': a unit name has no blanks or '/'" },
};

START_TEST(validate_table)
{
        const struct validate_case *c = &validate_cases[_i];
        struct xhafw_step *step = dns_step(c->nameserver, c->service, NULL);
        int r = mock_validate(step);

        ck_assert_msg(r == c->want, "case %d: validate returned %d\n%s", _i, r, mock_log_text(step));
        if (c->log)
                ck_assert_msg(mock_log_find(step, LOG_ERR, c->log), "case %d: no '%s' in\n%s", _i, c->log,
                              mock_log_text(step));
        else
                ck_assert_uint_eq(mock_log_count(step, -1, NULL), 0);
        ck_assert_uint_eq(mock_runs(step, &(const struct mock_run *){ NULL }), 0);
        mock_step_free(step);
}
END_TEST

START_TEST(describe_text)
{
        struct xhafw_step *step = dns_step("2001:DB8::7", "bind9", NULL);
        char *text = NULL;

        ck_assert_int_eq(mock_describe(step, &text), 0);
        ck_assert_str_eq(text, mock_expand(step, "needs the xCAT site table's domain; runs makedns -n, then starts "
                                                 "bind9; deactivate stops bind9\nline \"nameserver 2001:db8::7\" in "
                                                 "@TMP@/resolv.conf while active (removed on deactivate if this step "
                                                 "added it)\n"));
        free(text);
        ck_assert_uint_eq(mock_runs(step, &(const struct mock_run *){ NULL }), 0);
        mock_step_free(step);
}
END_TEST

static Suite *dns_suite(void)
{
        Suite *s = suite_create("dns");
        TCase *tc = tcase_create("dns");

        tcase_add_loop_test(tc, check_table, 0, N(check_cases));
        tcase_add_loop_test(tc, apply_table, 0, N(apply_cases));
        tcase_add_loop_test(tc, revert_table, 0, N(revert_cases));
        tcase_add_loop_test(tc, round_table, 0, N(round_cases));
        tcase_add_loop_test(tc, validate_table, 0, N(validate_cases));
        tcase_add_test(tc, describe_text);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(dns_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
