/* The engine's state machine (core/outcome.c), called directly: every (stage, result) pair that can
 * happen has exactly one row, and the rows say what DESIGN §5 says. */
#include <errno.h>

#include "outcome.h"
#include "testlib.h"

/* The results each stage can see: checks answer a state or cannot tell; actions succeed, refuse
 * or fail; any of them can time out or crash. */
static bool possible(enum stage s, enum result_class r)
{
        bool check = s == STAGE_STATUS || s == STAGE_PRECHECK || s == STAGE_VERIFY_UP || s == STAGE_VERIFY_DOWN;
        if (r == RES_BROKEN)
                return true;
        if (check)
                return r == RES_ACTIVE || r == RES_INACTIVE || r == RES_PARTIAL || r == RES_CANNOT_TELL;
        return r == RES_DONE || r == RES_REFUSED || r == RES_ERROR;
}

START_TEST(test_table_complete)
{
        size_t n;
        const struct transition *t = outcome_table(&n);
        for (int s = 0; s < STAGE_COUNT; s++)
                for (int r = 0; r < RES_COUNT; r++) {
                        unsigned rows = 0;
                        for (size_t k = 0; k < n; k++)
                                rows += t[k].stage == (enum stage) s && t[k].result == (enum result_class) r;
                        ck_assert_msg(rows == (possible(s, r) ? 1u : 0u), "%s x %s: %u rows", stage_name(s),
                                      result_class_name(r), rows);
                }
}
END_TEST

static const struct {
        enum stage stage;
        int result;
        bool rolling_back, dry_run;
        enum next next;
        enum step_outcome outcome;
} cases[] = {
        /* status believes a check that answers; one that cannot tell is unknown (graph order may
         * still derive INACTIVE) */
        { STAGE_STATUS, XHAFW_ACTIVE, false, false, NEXT_OUTCOME, OUT_ACTIVE },
        { STAGE_STATUS, XHAFW_PARTIAL, false, false, NEXT_OUTCOME, OUT_PARTIAL },
        { STAGE_STATUS, -ENOENT, false, false, NEXT_OUTCOME, OUT_UNKNOWN },
        { STAGE_STATUS, -ETIME, false, false, NEXT_OUTCOME, OUT_UNKNOWN },
        /* activate: nothing to do when active; apply when it cannot tell (idempotent); a crashed
         * check is a failure */
        { STAGE_PRECHECK, XHAFW_ACTIVE, false, false, NEXT_OUTCOME, OUT_ACTIVE },
        { STAGE_PRECHECK, XHAFW_INACTIVE, false, false, NEXT_APPLY, OUT_NONE },
        { STAGE_PRECHECK, -EIO, false, false, NEXT_APPLY, OUT_NONE },
        { STAGE_PRECHECK, -ECHILD, false, false, NEXT_OUTCOME, OUT_FAILED },
        /* apply that succeeds is verified; in a dry-run it would apply */
        { STAGE_APPLY, 0, false, false, NEXT_VERIFY, OUT_NONE },
        { STAGE_APPLY, 0, false, true, NEXT_OUTCOME, OUT_WOULD_APPLY },
        { STAGE_APPLY, XHAFW_REFUSED, false, false, NEXT_OUTCOME, OUT_REFUSED },
        { STAGE_APPLY, -EIO, false, false, NEXT_OUTCOME, OUT_FAILED },
        { STAGE_APPLY, 7, false, false, NEXT_OUTCOME, OUT_FAILED },
        /* verification: "succeeded" without effect is a failure */
        { STAGE_VERIFY_UP, XHAFW_ACTIVE, false, false, NEXT_OUTCOME, OUT_APPLIED },
        { STAGE_VERIFY_UP, XHAFW_INACTIVE, false, false, NEXT_OUTCOME, OUT_FAILED },
        { STAGE_VERIFY_UP, XHAFW_PARTIAL, false, false, NEXT_OUTCOME, OUT_FAILED },
        { STAGE_VERIFY_DOWN, XHAFW_INACTIVE, false, false, NEXT_OUTCOME, OUT_REVERTED },
        { STAGE_VERIFY_DOWN, XHAFW_ACTIVE, false, false, NEXT_OUTCOME, OUT_FAILED },
        /* in a rollback the same ends read rolled back / rollback failed */
        { STAGE_VERIFY_DOWN, XHAFW_INACTIVE, true, false, NEXT_OUTCOME, OUT_ROLLED_BACK },
        { STAGE_VERIFY_DOWN, -EIO, true, false, NEXT_OUTCOME, OUT_ROLLBACK_FAILED },
        { STAGE_REVERT, XHAFW_REFUSED, true, false, NEXT_OUTCOME, OUT_ROLLBACK_FAILED },
        { STAGE_REVERT, 0, false, true, NEXT_OUTCOME, OUT_WOULD_REVERT },
        { STAGE_DESCRIBE, 0, false, true, NEXT_OUTCOME, OUT_NONE },
        { STAGE_DESCRIBE, -EIO, false, true, NEXT_OUTCOME, OUT_FAILED },
};

START_TEST(test_transitions)
{
        struct transition t = outcome_next(cases[_i].stage, result_class_of(cases[_i].stage, cases[_i].result),
                                           cases[_i].rolling_back, cases[_i].dry_run);
        ck_assert_msg(t.next == cases[_i].next && t.outcome == cases[_i].outcome,
                      "case %d (%s, %d): next %d outcome %s", _i, stage_name(cases[_i].stage), cases[_i].result,
                      (int) t.next, step_outcome_name(t.outcome));
}
END_TEST

int main(void)
{
        Suite *s = suite_create("outcome");
        TCase *tc = tcase_create("table");
        tcase_add_test(tc, test_table_complete);
        tcase_add_loop_test(tc, test_transitions, 0, (int) (sizeof cases / sizeof cases[0]));
        suite_add_tcase(s, tc);
        return tl_run(s);
}
