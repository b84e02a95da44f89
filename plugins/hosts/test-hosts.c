/* Unit tests of the hosts plugin against the host-API mock: the lines apply adds to a hosts file of a
 * temporary directory (through xhafw_file_replace), what revert takes back (every other byte as it
 * was), what check says for each state, the dry-run's diff, validate and preflight. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "hostapi-mock.h"

/* hosts.c is linked: only its ABI is used, as the core uses it. */
extern const struct xhafw_plugin xhafw_plugin_v1;

#define N(a) ((int) (sizeof(a) / sizeof((a)[0])))
#define NAMES "xcatmn1, xcatmn1.cluster.com"
#define LINE4 "10.5.106.7 xcatmn1 xcatmn1.cluster.com"
#define LINE6 "2001:db8::7 xcatmn1 xcatmn1.cluster.com"
#define LOCAL "127.0.0.1 localhost\n::1 localhost ip6-localhost\n"

static struct xhafw_step *hosts_step(const char *address, const char *address6, const char *hostname)
{
        const struct mock_option opts[] = {
                { "file", "@TMP@/hosts" }, { "address", address },   { "address6", address6 },
                { "names", NAMES },        { "hostname", hostname }, { NULL, NULL },
        };

        return mock_step_new(&xhafw_plugin_v1, "hosts", opts);
}

/* The hosts file now ("(none)" when there is none), owned by the step. */
static const char *hosts_text(struct xhafw_step *step)
{
        char *text = mock_read_file(step, "hosts");
        const char *r = mock_expand(step, text ? text : "(none)");

        free(text);
        return r;
}

/* ---- apply ---- */

struct apply_case {
        const char *before; /* NULL: no file */
        const char *address, *address6;
        bool dry_run;
        int file_err, state_err;
        int want;
        const char *after;        /* NULL: as before */
        const char *line, *line6; /* the lines the state says this step added */
        bool newline_added, applied;
        int priority;
        const char *log;
};

static const struct apply_case apply_cases[] = {
        { LOCAL, "10.5.106.7", NULL, false, 0, 0, 0, LOCAL LINE4 "\n", LINE4, NULL, false, true, LOG_INFO,
          "replaced the content of @TMP@/hosts" },
        /* a file without a final newline gets one before the line, and the state says so */
        { "127.0.0.1 localhost", "10.5.106.7", NULL, false, 0, 0, 0, "127.0.0.1 localhost\n" LINE4 "\n", LINE4, NULL,
          true, true, -1, NULL },
        { NULL, "10.5.106.7", NULL, false, 0, 0, 0, LINE4 "\n", LINE4, NULL, false, true, -1, NULL },
        { "", "10.5.106.7", NULL, false, 0, 0, 0, LINE4 "\n", LINE4, NULL, false, true, -1, NULL },
        /* there already, however spaced or commented: not this step's to remove */
        { LOCAL "10.5.106.7\txcatmn1   xcatmn1.cluster.com  # the VIP\n", "10.5.106.7", NULL, false, 0, 0, 0, NULL,
          NULL, NULL, false, true, LOG_INFO, "@TMP@/hosts already has \"" LINE4 "\"; deactivate will leave it" },
        /* other names or another address are another line */
        { LOCAL "10.5.106.7 xcatmn1\n", "10.5.106.7", NULL, false, 0, 0, 0, LOCAL "10.5.106.7 xcatmn1\n" LINE4 "\n",
          LINE4, NULL, false, true, -1, NULL },
        /* dual stack: both lines, the IPv6 one in its usual form */
        { LOCAL, "10.5.106.7", "2001:DB8:0:0::7", false, 0, 0, 0, LOCAL LINE4 "\n" LINE6 "\n", LINE4, LINE6, false,
          true, -1, NULL },
        /* the IPv6 line there in another spelling */
        { LOCAL "2001:0db8:0000::0007 xcatmn1 xcatmn1.cluster.com\n", "10.5.106.7", "2001:db8::7", false, 0, 0, 0,
          LOCAL "2001:0db8:0000::0007 xcatmn1 xcatmn1.cluster.com\n" LINE4 "\n", LINE4, NULL, false, true, LOG_INFO,
          "already has \"" LINE6 "\"" },
        /* an IPv6 VIP alone */
        { LOCAL, "2001:db8:0::7", NULL, false, 0, 0, 0, LOCAL LINE6 "\n", LINE6, NULL, false, true, -1, NULL },
        /* dry-run: the diff, nothing written, nothing remembered */
        { LOCAL, "10.5.106.7", NULL, true, 0, 0, 0, NULL, NULL, NULL, false, false, MOCK_PRINTED, "+" LINE4 "\n" },
        /* the write fails: the line is remembered all the same, so that revert takes back a half-done write */
        { LOCAL, "10.5.106.7", NULL, false, -EIO, 0, -EIO, NULL, LINE4, NULL, false, false, LOG_ERR,
          "cannot write @TMP@/hosts: Input/output error" },
        /* nothing can be remembered: nothing is written */
        { LOCAL, "10.5.106.7", NULL, false, 0, -ENOSPC, -ENOSPC, NULL, NULL, NULL, false, false, LOG_ERR,
          "cannot write state file" },
};

START_TEST(apply_table)
{
        const struct apply_case *c = &apply_cases[_i];
        struct xhafw_step *step = hosts_step(c->address, c->address6, NULL);
        int r;

        if (c->before)
                mock_write_file(step, "hosts", c->before);
        if (c->file_err)
                mock_file_fail(step, "hosts", c->file_err);
        mock_state_fail(step, c->state_err);
        mock_set_dry_run(step, c->dry_run);
        r = mock_apply(step);
        ck_assert_msg(r == c->want, "case %d: apply returned %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        ck_assert_str_eq(hosts_text(step), c->after ? c->after : c->before ? c->before : "(none)");
        ck_assert_pstr_eq(mock_state_get(step, "line"), c->line);
        ck_assert_pstr_eq(mock_state_get(step, "line6"), c->line6);
        ck_assert(!!mock_state_get(step, "newline_added") == c->newline_added);
        ck_assert(!!mock_state_get(step, "applied") == c->applied);
        if (c->log)
                ck_assert_msg(mock_log_find(step, c->priority, c->log), "case %d: no '%s' in\n%s", _i,
                              mock_expand(step, c->log), mock_log_text(step));
        if (c->want == 0)
                ck_assert_uint_eq(mock_log_count(step, LOG_ERR, NULL), 0);
        mock_step_free(step);
}
END_TEST

/* ---- apply, then revert: every byte of the file as it was ---- */

struct round_case {
        const char *before;
        const char *address6;
        const char *added_since; /* appended by someone between apply and revert */
        const char *after;       /* NULL: as before */
};

static const struct round_case round_cases[] = {
        { LOCAL, NULL, NULL, NULL },
        { "127.0.0.1 localhost", NULL, NULL, NULL },
        { "127.0.0.1 localhost", "2001:db8::7", NULL, NULL },
        { "", NULL, NULL, NULL },
        { "\n\n# a comment\n\n", "2001:db8::7", NULL, NULL },
        { "# no newline at the end", "2001:db8::7", NULL, NULL },
        /* a line appended after ours keeps its separator: only our line goes */
        { "127.0.0.1 localhost", NULL, "192.0.2.9 other\n", "127.0.0.1 localhost\n192.0.2.9 other\n" },
        { LOCAL, "2001:db8::7", "192.0.2.9 other\n", LOCAL "192.0.2.9 other\n" },
};

START_TEST(round_table)
{
        const struct round_case *c = &round_cases[_i];
        struct xhafw_step *step = hosts_step("10.5.106.7", c->address6, NULL);
        char buf[4096];

        mock_write_file(step, "hosts", c->before);
        ck_assert_int_eq(mock_apply(step), 0);
        ck_assert_int_eq(mock_check(step), XHAFW_ACTIVE);
        if (c->added_since) {
                snprintf(buf, sizeof buf, "%s%s", hosts_text(step), c->added_since);
                mock_write_file(step, "hosts", buf);
        }
        ck_assert_int_eq(mock_revert(step), 0);
        ck_assert_str_eq(hosts_text(step), c->after ? c->after : c->before);
        ck_assert_uint_eq(mock_state_count(step), 0);
        ck_assert_int_eq(mock_check(step), XHAFW_INACTIVE);
        mock_step_free(step);
}
END_TEST

/* ---- revert on its own ---- */

struct revert_case {
        const char *before;
        const char *line, *line6; /* the state's record of what apply added */
        bool newline_added, dry_run;
        int file_err;
        int want;
        const char *after; /* NULL: as before */
        size_t state_after;
        int priority;
        const char *log;
};

static const struct revert_case revert_cases[] = {
        { LOCAL LINE4 "\n", LINE4, NULL, false, false, 0, 0, LOCAL, 0, -1, NULL },
        /* a line this step did not add stays */
        { LOCAL LINE4 "\n", NULL, NULL, false, false, 0, 0, NULL, 0, -1, NULL },
        /* gone already (the admin took it out): nothing to write */
        { LOCAL, LINE4, NULL, false, false, 0, 0, NULL, 0, -1, NULL },
        /* the line as an admin may have re-spaced it is still ours */
        { LOCAL "10.5.106.7  xcatmn1\txcatmn1.cluster.com\n", LINE4, NULL, false, false, 0, 0, LOCAL, 0, -1, NULL },
        /* dual stack: the IPv6 line first, then the IPv4 one and the newline added before it */
        { "127.0.0.1 localhost\n" LINE4 "\n" LINE6 "\n", LINE4, LINE6, true, false, 0, 0, "127.0.0.1 localhost", 0, -1,
          NULL },
        /* dry-run: the diff, nothing written, the record kept */
        { LOCAL LINE4 "\n", LINE4, NULL, false, true, 0, 0, NULL, 2, MOCK_PRINTED, "-" LINE4 "\n" },
        /* the write fails: the record stays for the next revert */
        { LOCAL LINE4 "\n", LINE4, NULL, false, false, -EROFS, -EROFS, NULL, 2, LOG_ERR,
          "cannot write @TMP@/hosts: Read-only file system" },
};

START_TEST(revert_table)
{
        const struct revert_case *c = &revert_cases[_i];
        struct xhafw_step *step = hosts_step("10.5.106.7", c->line6 ? "2001:db8::7" : NULL, NULL);
        int r;

        mock_write_file(step, "hosts", c->before);
        mock_state_set(step, "applied", "yes");
        if (c->line)
                mock_state_set(step, "line", c->line);
        if (c->line6)
                mock_state_set(step, "line6", c->line6);
        if (c->newline_added)
                mock_state_set(step, "newline_added", "yes");
        if (c->file_err)
                mock_file_fail(step, "hosts", c->file_err);
        mock_set_dry_run(step, c->dry_run);
        r = mock_revert(step);
        ck_assert_msg(r == c->want, "case %d: revert returned %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        ck_assert_str_eq(hosts_text(step), c->after ? c->after : c->before);
        ck_assert_uint_eq(mock_state_count(step), c->state_after);
        if (c->log)
                ck_assert_msg(mock_log_find(step, c->priority, c->log), "case %d: no '%s' in\n%s", _i,
                              mock_expand(step, c->log), mock_log_text(step));
        /* nothing to take back: the file is not even rewritten */
        if (!c->after && c->want == 0 && !c->dry_run)
                ck_assert_uint_eq(mock_files(step, &(const struct mock_file *){ NULL }), 0);
        mock_step_free(step);
}
END_TEST

/* ---- check ---- */

struct check_case {
        const char *text;
        const char *address6;
        bool applied;
        int want;
};

static const struct check_case check_cases[] = {
        /* a line on both nodes for good: the standby is not active for it */
        { LOCAL LINE4 "\n", NULL, false, XHAFW_INACTIVE },
        { LOCAL, NULL, false, XHAFW_INACTIVE },
        { LOCAL LINE4 "\n", NULL, true, XHAFW_ACTIVE },
        { LOCAL "10.5.106.7 xcatmn1.cluster.com xcatmn1\n", NULL, true, XHAFW_PARTIAL },
        { LOCAL, NULL, true, XHAFW_PARTIAL },
        { LOCAL LINE4 "\n" LINE6 "\n", "2001:db8::7", true, XHAFW_ACTIVE },
        { LOCAL LINE4 "\n"
                      "2001:db8:0:0:0:0:0:7 xcatmn1 xcatmn1.cluster.com\n",
          "2001:db8::7", true, XHAFW_ACTIVE },
        { LOCAL LINE4 "\n", "2001:db8::7", true, XHAFW_PARTIAL },
        { NULL, NULL, true, XHAFW_PARTIAL },
};

START_TEST(check_table)
{
        const struct check_case *c = &check_cases[_i];
        struct xhafw_step *step = hosts_step("10.5.106.7", c->address6, NULL);

        if (c->text)
                mock_write_file(step, "hosts", c->text);
        if (c->applied)
                mock_state_set(step, "applied", "yes");
        ck_assert_msg(mock_check(step) == c->want, "case %d: check says %d, want %d", _i, mock_check(step), c->want);
        ck_assert_uint_eq(mock_files(step, &(const struct mock_file *){ NULL }), 0);
        mock_step_free(step);
}
END_TEST

START_TEST(check_unreadable)
{
        struct xhafw_step *step = hosts_step("10.5.106.7", NULL, NULL);

        ck_assert_int_eq(mkdir(mock_path(step, "hosts"), 0755), 0);
        ck_assert_int_lt(mock_check(step), 0);
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_ERR, "cannot read @TMP@/hosts: "));
        mock_step_free(step);
}
END_TEST

/* The hostname: only said in dry-run (setting it needs root); a name someone changed since is left. */
START_TEST(hostname)
{
        char host[256];
        struct xhafw_step *step = hosts_step("10.5.106.7", NULL, "zz-xhafw-test-name");

        ck_assert_int_eq(gethostname(host, sizeof host), 0);
        mock_write_file(step, "hosts", LOCAL);
        mock_set_dry_run(step, true);
        ck_assert_int_eq(mock_apply(step), 0);
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_NOTICE, "would set the hostname to zz-xhafw-test-name (now "));
        ck_assert_ptr_null(mock_state_get(step, "old_hostname"));

        mock_set_dry_run(step, false);
        mock_state_set(step, "old_hostname", "zz-xhafw-old-name");
        mock_state_set(step, "applied", "yes");
        ck_assert_int_eq(mock_revert(step), 0);
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_WARNING, "someone changed it since; leaving it"));
        ck_assert_uint_eq(mock_state_count(step), 0);
        ck_assert_int_eq(gethostname(host + 128, 128), 0);
        ck_assert_str_eq(host, host + 128);
        mock_step_free(step);
}
END_TEST

/* ---- validate, describe, preflight ---- */

struct validate_case {
        const char *address, *address6, *names, *hostname;
        int want;
        const char *log;
};

static const struct validate_case validate_cases[] = {
        { "10.5.106.7", NULL, NAMES, NULL, 0, NULL },
        { "10.5.106.7", "2001:db8::7", NAMES, "xcatmn", 0, NULL },
        { "2001:db8::7", NULL, NAMES, NULL, 0, NULL },
        { "10.5.106.7/8", NULL, NAMES, NULL, -EINVAL,
          "address = 10.5.106.7/8: a hosts line takes an address without "
          "/prefix" },
        { "10.5.106.7", "2001:db8::7/64", NAMES, NULL, -EINVAL, "address6 = 2001:db8::7/64: a hosts line takes" },
        { "fe80::7", NULL, NAMES, NULL, -EINVAL, "address = fe80::7 is link-local" },
        { "10.5.106.7", "fe80::7", NAMES, NULL, -EINVAL, "address6 = fe80::7 is link-local" },
        /* address6 is the second family */
        { "2001:db8::7", "2001:db8::8", NAMES, NULL, -EINVAL,
          "address6 = 2001:db8::8: address6 is the IPv6 VIP beside "
          "the IPv4 one in address (now 2001:db8::7)" },
        { "10.5.106.7", "10.5.106.8", NAMES, NULL, -EINVAL, "address6 = 10.5.106.8: address6 is the IPv6 VIP" },
        { "10.5.106.7", NULL, "xcatmn1, -bad", NULL, -EINVAL, "names: \"-bad\" is not a host name" },
        { "10.5.106.7", NULL, "xcatmn1, a=b", NULL, -EINVAL, "names: \"a=b\" is not a host name" },
        { "10.5.106.7", NULL, "xcat_mn1, MN1.example.com", NULL, 0, NULL },
        { "10.5.106.7", NULL, NAMES, "bad name", -EINVAL, "hostname = \"bad name\" is not a host name" },
        { "10.5.106.7", NULL, NAMES, "0123456789012345678901234567890123456789012345678901234567890123456789", -EINVAL,
          "is not a host name" },
};

START_TEST(validate_table)
{
        const struct validate_case *c = &validate_cases[_i];
        const struct mock_option opts[] = {
                { "file", "@TMP@/hosts" }, { "address", c->address },   { "address6", c->address6 },
                { "names", c->names },     { "hostname", c->hostname }, { NULL, NULL },
        };
        struct xhafw_step *step = mock_step_new(&xhafw_plugin_v1, "hosts", opts);
        int r = mock_validate(step);

        ck_assert_msg(r == c->want, "case %d: validate returned %d\n%s", _i, r, mock_log_text(step));
        if (c->log)
                ck_assert_msg(mock_log_find(step, LOG_ERR, c->log), "case %d: no '%s' in\n%s", _i, c->log,
                              mock_log_text(step));
        else
                ck_assert_uint_eq(mock_log_count(step, -1, NULL), 0);
        mock_step_free(step);
}
END_TEST

START_TEST(describe_lines)
{
        struct xhafw_step *step = hosts_step("10.5.106.7", "2001:DB8::7", "xcatmn");
        char *text = NULL;

        ck_assert_int_eq(mock_describe(step, &text), 0);
        ck_assert_str_eq(text, mock_expand(step, "lines \"" LINE4 "\" and \"" LINE6 "\" in @TMP@/hosts while active "
                                                 "(each removed on deactivate if this step added it)\n"
                                                 "hostname xcatmn while active (the previous one restored on "
                                                 "deactivate)\n"));
        free(text);
        mock_step_free(step);
}
END_TEST

struct preflight_case {
        const char *text;
        const char *address6;
        enum xhafw_check_result result;
        const char *detail;
        const char *fact;
};

static const struct preflight_case preflight_cases[] = {
        { LOCAL, NULL, XHAFW_CHECK_PASS, "@TMP@/hosts gives no other address for xcatmn1",
          "(none besides the step's own)" },
        /* the step's own line is no fact: it comes and goes with the role */
        { LOCAL LINE4 "\n", NULL, XHAFW_CHECK_PASS, "gives no other address", "(none besides the step's own)" },
        /* other lines about the VIP or its names are, however spaced */
        { LOCAL "10.5.106.7\tvip  # the VIP\n", NULL, XHAFW_CHECK_PASS, "gives no other address", "10.5.106.7 vip" },
        /* a name of the VIP at another address */
        { LOCAL "192.0.2.99 XCATMN1\n", NULL, XHAFW_CHECK_FAIL,
          "@TMP@/hosts line 3 gives xcatmn1 the address 192.0.2.99, not the VIP 10.5.106.7", "192.0.2.99 XCATMN1" },
        /* dual stack: either address is the VIP's, however written */
        { LOCAL "2001:DB8:0::7 xcatmn1\n", "2001:db8::7", XHAFW_CHECK_PASS, "gives no other address",
          "2001:DB8:0::7 xcatmn1" },
        { LOCAL "2001:db8::8 xcatmn1\n", "2001:db8::7", XHAFW_CHECK_FAIL,
          "gives xcatmn1 the address 2001:db8::8, not the VIP 10.5.106.7 or 2001:db8::7", "2001:db8::8 xcatmn1" },
};

START_TEST(preflight_table)
{
        const struct preflight_case *c = &preflight_cases[_i];
        struct xhafw_step *step = hosts_step("10.5.106.7", c->address6, NULL);
        const struct mock_report *rep;

        mock_write_file(step, "hosts", c->text);
        ck_assert_int_eq(mock_preflight(step), 0);
        rep = mock_report_find(step, "names resolve to the VIP");
        ck_assert_ptr_nonnull(rep);
        ck_assert_msg(rep->result == c->result, "case %d: result %d: %s", _i, rep->result, rep->detail);
        ck_assert_msg(strstr(rep->detail, mock_expand(step, c->detail)), "case %d: detail '%s', want '%s'", _i,
                      rep->detail, mock_expand(step, c->detail));
        ck_assert(c->result == XHAFW_CHECK_PASS ? !rep->fix : rep->fix && strstr(rep->fix, "remove"));
        ck_assert_pstr_eq(mock_fact(step, "lines for the VIP"), c->fact);
        mock_step_free(step);
}
END_TEST

static Suite *hosts_suite(void)
{
        Suite *s = suite_create("hosts");
        TCase *tc = tcase_create("hosts");

        tcase_add_loop_test(tc, apply_table, 0, N(apply_cases));
        tcase_add_loop_test(tc, round_table, 0, N(round_cases));
        tcase_add_loop_test(tc, revert_table, 0, N(revert_cases));
        tcase_add_loop_test(tc, check_table, 0, N(check_cases));
        tcase_add_test(tc, check_unreadable);
        tcase_add_test(tc, hostname);
        tcase_add_loop_test(tc, validate_table, 0, N(validate_cases));
        tcase_add_test(tc, describe_lines);
        tcase_add_loop_test(tc, preflight_table, 0, N(preflight_cases));
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(hosts_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
