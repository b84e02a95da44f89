/* Unit tests of the ntp plugin against the host-API mock: preflight's reading of chronyc, ntpstat and
 * timedatectl (canned outputs of tools on a PATH of the temporary directory) and the verdict on the
 * clock; check, apply and revert through a canned service manager. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>

#include "hostapi-mock.h"

/* ntp.c is linked: only its ABI is used, as the core uses it. */
extern const struct xhafw_plugin xhafw_plugin_v1;

#define N(a) ((int) (sizeof(a) / sizeof((a)[0])))
#define CLOCK "clock synchronised"
#define TRACKING(leap, offset) \
        "Reference ID    : C0000201 (192.0.2.1)\nStratum         : 3\n" \
        "System time     : " offset " of NTP time\nLast offset     : +0.000001 seconds\n" \
        "Leap status     : " leap "\n"

enum {
        CHRONYC = 1,
        NTPSTAT = 2,
        TIMEDATECTL = 4
};

struct clock_case {
        unsigned tools; /* which are on the path */
        int chronyc_status;
        const char *chronyc, *ntpstat_out;
        int ntpstat_status;
        const char *timedatectl;
        const char *max_offset;
        bool active;
        enum xhafw_check_result result;
        const char *detail, *fix;
};

static const struct clock_case clock_cases[] = {
        { CHRONYC | NTPSTAT | TIMEDATECTL, 0, TRACKING("Normal", "0.000012 seconds fast"), NULL, 0, NULL, NULL, true,
          XHAFW_CHECK_PASS, "chronyc tracking: leap status Normal, system time 0.000012 seconds fast of NTP time",
          NULL },
        /* not synchronised: the active node's service is broken; a standby's is stopped by design */
        { CHRONYC, 0, TRACKING("Not synchronised", "0.000000 seconds fast"), NULL, 0, NULL, NULL, true,
          XHAFW_CHECK_FAIL, "the clock is not synchronised (chronyc tracking: leap status Not synchronised",
          "systemctl restart chronyd" },
        { CHRONYC, 0, TRACKING("Not synchronised", "0.000000 seconds fast"), NULL, 0, NULL, NULL, false,
          XHAFW_CHECK_WARN, "the clock is not synchronised", "chronyd itself runs on the active node only" },
        /* too far from its source, either way */
        { CHRONYC, 0, TRACKING("Normal", "2.500000 seconds slow"), NULL, 0, NULL, NULL, true, XHAFW_CHECK_WARN,
          "synchronised, but -2.500 s from its source, over max_offset 1.000 s", "chronyc makestep" },
        { CHRONYC, 0, TRACKING("Normal", "1.500000 seconds fast"), NULL, 0, NULL, NULL, true, XHAFW_CHECK_WARN,
          "synchronised, but 1.500 s from its source", NULL },
        { CHRONYC, 0, TRACKING("Normal", "2.500000 seconds slow"), NULL, 0, NULL, "5s", true, XHAFW_CHECK_PASS,
          "leap status Normal, system time 2.500000 seconds slow", NULL },
        /* chronyd does not answer (a standby): the next tool on the path */
        { CHRONYC | TIMEDATECTL, 1, "506 Cannot talk to daemon\n", NULL, 0, "yes\n", NULL, false, XHAFW_CHECK_PASS,
          "timedatectl: NTPSynchronized=yes", NULL },
        { CHRONYC | NTPSTAT | TIMEDATECTL, 1, "506 Cannot talk to daemon\n",
          "unsynchronised\n  polling server every "
          "8 s\n",
          1, "yes\n", NULL, false, XHAFW_CHECK_WARN,
          "the clock is not synchronised (ntpstat: "
          "unsynchronised)",
          NULL },
        { NTPSTAT, 0, NULL, "synchronised to NTP server (192.0.2.1) at stratum 3\n", 0, NULL, NULL, true,
          XHAFW_CHECK_PASS, "ntpstat: synchronised to NTP server (192.0.2.1) at stratum 3", NULL },
        /* ntpstat 2: ntpd does not answer, which tells nothing */
        { NTPSTAT | TIMEDATECTL, 0, NULL, "Unable to talk to NTP daemon. Is it running?\n", 2, "no\n", NULL, false,
          XHAFW_CHECK_WARN, "timedatectl: NTPSynchronized=no", NULL },
        /* a tool that is not on the path is not asked */
        { 0, 0, TRACKING("Normal", "0.000012 seconds fast"), NULL, 0, "yes\n", NULL, true, XHAFW_CHECK_WARN,
          "cannot tell: neither chronyc tracking, ntpstat nor timedatectl answered", "install chrony" },
        { TIMEDATECTL, 0, NULL, NULL, 0, "maybe\n", NULL, true, XHAFW_CHECK_WARN, "cannot tell", NULL },
};

static void make_tool(struct xhafw_step *step, const char *name)
{
        char path[64];

        snprintf(path, sizeof path, "bin/%s", name);
        mock_write_file(step, path, "#!/bin/sh\nexit 99\n");
        ck_assert_int_eq(chmod(mock_path(step, path), 0755), 0);
}

START_TEST(clock_table)
{
        const struct clock_case *c = &clock_cases[_i];
        const struct mock_option opts[] = { { "max_offset", c->max_offset }, { NULL, NULL } };
        const struct mock_command commands[] = {
                { "/usr/bin/printenv PATH", 0, "@TMP@/bin\n", false },
                { "chronyc -n tracking", c->chronyc_status, c->chronyc, false },
                { "ntpstat", c->ntpstat_status, c->ntpstat_out, false },
                { "timedatectl show -p NTPSynchronized --value", 0, c->timedatectl, false },
                { "systemctl status chronyd", 3, NULL, false },
                { "systemctl is-enabled chronyd", 1, NULL, false },
                { "systemctl is-active chronyd", c->active ? 0 : 3, NULL, false },
                { .argv = NULL },
        };
        struct xhafw_step *step = mock_step_new(&xhafw_plugin_v1, "ntp", opts);
        const struct mock_report *rep;
        const struct mock_run *runs;

        ck_assert_int_eq(mkdir(mock_path(step, "bin"), 0755), 0);
        if (c->tools & CHRONYC)
                make_tool(step, "chronyc");
        if (c->tools & NTPSTAT)
                make_tool(step, "ntpstat");
        if (c->tools & TIMEDATECTL)
                make_tool(step, "timedatectl");
        mock_set_commands(step, commands);
        mock_set_node_active(step, c->active);
        ck_assert_int_eq(mock_preflight(step), 0);
        rep = mock_report_find(step, CLOCK);
        ck_assert_ptr_nonnull(rep);
        ck_assert_msg(rep->result == c->result, "case %d: result %d: %s", _i, rep->result, rep->detail);
        ck_assert_msg(strstr(rep->detail, c->detail), "case %d: detail '%s', want '%s'", _i, rep->detail, c->detail);
        if (c->result == XHAFW_CHECK_PASS)
                ck_assert_ptr_null(rep->fix);
        else
                ck_assert_ptr_nonnull(rep->fix);
        if (c->fix)
                ck_assert_msg(strstr(rep->fix, c->fix), "case %d: fix '%s', want '%s'", _i, rep->fix, c->fix);
        /* queries only, each of a tool on the path */
        for (size_t i = 0; i < mock_runs(step, &runs); i++) {
                ck_assert(runs[i].flags & XHAFW_RUN_READONLY);
                if (strncmp(runs[i].argv, "chronyc", 7) == 0)
                        ck_assert(c->tools & CHRONYC);
                if (strncmp(runs[i].argv, "ntpstat", 7) == 0)
                        ck_assert(c->tools & NTPSTAT);
                if (strncmp(runs[i].argv, "timedatectl", 11) == 0)
                        ck_assert(c->tools & TIMEDATECTL);
        }
        /* the unit's own reports */
        ck_assert_int_eq(mock_report_find(step, "unit exists")->result, XHAFW_CHECK_PASS);
        ck_assert_int_eq(mock_report_find(step, "not enabled at boot")->result, XHAFW_CHECK_PASS);
        mock_step_free(step);
}
END_TEST

/* Without the runner's PATH nothing can be asked. */
START_TEST(clock_no_path)
{
        const struct mock_command commands[] = { { "/usr/bin/printenv PATH", 1, "", false }, { .argv = NULL } };
        struct xhafw_step *step = mock_step_new(&xhafw_plugin_v1, "ntp", NULL);

        mock_set_commands(step, commands);
        ck_assert_int_eq(mock_preflight(step), 0);
        ck_assert_int_eq(mock_report_find(step, CLOCK)->result, XHAFW_CHECK_WARN);
        /* a unit the service manager does not answer for: said, not failed */
        ck_assert_int_eq(mock_report_find(step, "unit exists")->result, XHAFW_CHECK_WARN);
        mock_step_free(step);
}
END_TEST

/* ---- the unit ---- */

struct unit_case {
        int is_active, start, stop;
        int check, apply, revert;
        const char *ran; /* the command apply or revert ran beyond is-active, or NULL */
};

static const struct unit_case unit_cases[] = {
        { 3, 0, 0, XHAFW_INACTIVE, 0, 0, "systemctl start ntpd" },
        { 4, 0, 0, XHAFW_INACTIVE, 0, 0, "systemctl start ntpd" },
        { 0, 0, 0, XHAFW_ACTIVE, 0, 0, "systemctl stop ntpd" },
        { 3, 1, 0, XHAFW_INACTIVE, -EIO, 0, "systemctl start ntpd" },
        { 0, 0, 1, XHAFW_ACTIVE, 0, -EIO, "systemctl stop ntpd" },
        { 1, 0, 0, -EIO, -EIO, -EIO, NULL },
};

START_TEST(unit_table)
{
        const struct unit_case *c = &unit_cases[_i];
        const struct mock_option opts[] = { { "service", "ntpd" }, { NULL, NULL } };
        const struct mock_command commands[] = {
                { "systemctl is-active ntpd", c->is_active, NULL, false },
                { "systemctl start ntpd", c->start, NULL, false },
                { "systemctl stop ntpd", c->stop, NULL, false },
                { .argv = NULL },
        };
        struct xhafw_step *step = mock_step_new(&xhafw_plugin_v1, "ntp", opts);

        mock_set_commands(step, commands);
        ck_assert_int_eq(mock_validate(step), 0);
        ck_assert_int_eq(mock_check(step), c->check);
        ck_assert_int_eq(mock_apply(step), c->apply);
        ck_assert_int_eq(mock_revert(step), c->revert);
        /* apply runs start only when it is not active, revert stop only when it is */
        ck_assert_uint_eq(mock_ran(step, "systemctl start ntpd"), c->ran && strstr(c->ran, "start") ? 1 : 0);
        ck_assert_uint_eq(mock_ran(step, "systemctl stop ntpd"), c->ran && strstr(c->ran, "stop") ? 1 : 0);
        mock_step_free(step);
}
END_TEST

START_TEST(unit_validate)
{
        const struct mock_option opts[] = { { "service", "chrony d" }, { NULL, NULL } };
        struct xhafw_step *step = mock_step_new(&xhafw_plugin_v1, "ntp", opts);
        char *text = NULL;

        ck_assert_int_eq(mock_validate(step), -EINVAL);
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_ERR, "service = 'chrony d': a unit name has no blanks or '/'"));
        mock_set_option(step, "service", NULL);
        ck_assert_int_eq(mock_validate(step), 0);
        ck_assert_int_eq(mock_describe(step, &text), 0);
        ck_assert_str_eq(text, "service chronyd: started on activate, stopped on deactivate (never enabled at boot)\n");
        free(text);
        mock_step_free(step);
}
END_TEST

static Suite *ntp_suite(void)
{
        Suite *s = suite_create("ntp");
        TCase *tc = tcase_create("ntp");

        tcase_add_loop_test(tc, clock_table, 0, N(clock_cases));
        tcase_add_test(tc, clock_no_path);
        tcase_add_loop_test(tc, unit_table, 0, N(unit_cases));
        tcase_add_test(tc, unit_validate);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(ntp_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
