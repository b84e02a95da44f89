/* The engine's state machine (outcome.h): every (stage, result) pair has exactly one row here, so
 * the docs can quote it and a test can prove it complete (tests/unit/test-outcome.c).
 *
 * In a rollback, REVERTED reads ROLLED_BACK and FAILED or REFUSED read ROLLBACK_FAILED. In a
 * dry-run, NEXT_VERIFY reads WOULD_APPLY or WOULD_REVERT: nothing was changed, so there is
 * nothing to verify. */
#include <errno.h>

#include "outcome.h"

static const struct transition table[] = {
        { STAGE_STATUS, RES_ACTIVE, NEXT_OUTCOME, OUT_ACTIVE },
        { STAGE_STATUS, RES_INACTIVE, NEXT_OUTCOME, OUT_INACTIVE },
        { STAGE_STATUS, RES_PARTIAL, NEXT_OUTCOME, OUT_PARTIAL },
        { STAGE_STATUS, RES_CANNOT_TELL, NEXT_OUTCOME, OUT_UNKNOWN }, /* graph order may derive INACTIVE */
        { STAGE_STATUS, RES_BROKEN, NEXT_OUTCOME, OUT_UNKNOWN },

        { STAGE_PRECHECK, RES_ACTIVE, NEXT_OUTCOME, OUT_ACTIVE }, /* nothing to do */
        { STAGE_PRECHECK, RES_INACTIVE, NEXT_APPLY, OUT_NONE },
        { STAGE_PRECHECK, RES_PARTIAL, NEXT_APPLY, OUT_NONE },
        { STAGE_PRECHECK, RES_CANNOT_TELL, NEXT_APPLY, OUT_NONE }, /* apply is idempotent */
        { STAGE_PRECHECK, RES_BROKEN, NEXT_OUTCOME, OUT_FAILED },

        { STAGE_APPLY, RES_DONE, NEXT_VERIFY, OUT_NONE },
        { STAGE_APPLY, RES_REFUSED, NEXT_OUTCOME, OUT_REFUSED }, /* acted on nothing: no revert */
        { STAGE_APPLY, RES_ERROR, NEXT_OUTCOME, OUT_FAILED },
        { STAGE_APPLY, RES_BROKEN, NEXT_OUTCOME, OUT_FAILED },

        { STAGE_REVERT, RES_DONE, NEXT_VERIFY, OUT_NONE },
        { STAGE_REVERT, RES_REFUSED, NEXT_OUTCOME, OUT_REFUSED },
        { STAGE_REVERT, RES_ERROR, NEXT_OUTCOME, OUT_FAILED },
        { STAGE_REVERT, RES_BROKEN, NEXT_OUTCOME, OUT_FAILED },

        { STAGE_VERIFY_UP, RES_ACTIVE, NEXT_OUTCOME, OUT_APPLIED },
        { STAGE_VERIFY_UP, RES_INACTIVE, NEXT_OUTCOME, OUT_FAILED }, /* apply did not take effect */
        { STAGE_VERIFY_UP, RES_PARTIAL, NEXT_OUTCOME, OUT_FAILED },
        { STAGE_VERIFY_UP, RES_CANNOT_TELL, NEXT_OUTCOME, OUT_FAILED },
        { STAGE_VERIFY_UP, RES_BROKEN, NEXT_OUTCOME, OUT_FAILED },

        { STAGE_VERIFY_DOWN, RES_INACTIVE, NEXT_OUTCOME, OUT_REVERTED },
        { STAGE_VERIFY_DOWN, RES_ACTIVE, NEXT_OUTCOME, OUT_FAILED }, /* revert did not take effect */
        { STAGE_VERIFY_DOWN, RES_PARTIAL, NEXT_OUTCOME, OUT_FAILED },
        { STAGE_VERIFY_DOWN, RES_CANNOT_TELL, NEXT_OUTCOME, OUT_FAILED },
        { STAGE_VERIFY_DOWN, RES_BROKEN, NEXT_OUTCOME, OUT_FAILED },

        { STAGE_DESCRIBE, RES_DONE, NEXT_OUTCOME, OUT_NONE },
        { STAGE_DESCRIBE, RES_ERROR, NEXT_OUTCOME, OUT_FAILED },
        { STAGE_DESCRIBE, RES_REFUSED, NEXT_OUTCOME, OUT_FAILED },

        { STAGE_PREFLIGHT, RES_DONE, NEXT_OUTCOME, OUT_NONE },
        { STAGE_PREFLIGHT, RES_ERROR, NEXT_OUTCOME, OUT_FAILED },
        { STAGE_PREFLIGHT, RES_REFUSED, NEXT_OUTCOME, OUT_FAILED },
        { STAGE_PREFLIGHT, RES_BROKEN, NEXT_OUTCOME, OUT_FAILED },
        { STAGE_DESCRIBE, RES_BROKEN, NEXT_OUTCOME, OUT_FAILED },
};

const struct transition *outcome_table(size_t *ret_n)
{
        *ret_n = sizeof table / sizeof table[0];
        return table;
}

enum result_class result_class_of(enum stage stage, int r)
{
        if (r == -ETIME || r == -ECHILD || r == -EPROTO)
                return RES_BROKEN;
        switch (stage) {
        case STAGE_STATUS:
        case STAGE_PRECHECK:
        case STAGE_VERIFY_UP:
        case STAGE_VERIFY_DOWN:
                return r == XHAFW_ACTIVE   ? RES_ACTIVE :
                       r == XHAFW_INACTIVE ? RES_INACTIVE :
                       r == XHAFW_PARTIAL  ? RES_PARTIAL :
                                             RES_CANNOT_TELL;
        default: return r == 0 ? RES_DONE : r == XHAFW_REFUSED ? RES_REFUSED : RES_ERROR;
        }
}

struct transition outcome_next(enum stage stage, enum result_class result, bool rolling_back, bool dry_run)
{
        struct transition t = { stage, result, NEXT_OUTCOME, OUT_FAILED }; /* a pair with no row: a bug */

        for (size_t k = 0; k < sizeof table / sizeof table[0]; k++)
                if (table[k].stage == stage && table[k].result == result) {
                        t = table[k];
                        break;
                }
        if (t.next == NEXT_VERIFY && dry_run) {
                t.next = NEXT_OUTCOME;
                t.outcome = stage == STAGE_APPLY ? OUT_WOULD_APPLY : OUT_WOULD_REVERT;
        }
        if (rolling_back && t.next == NEXT_OUTCOME) {
                if (t.outcome == OUT_REVERTED)
                        t.outcome = OUT_ROLLED_BACK;
                else if (t.outcome == OUT_FAILED || t.outcome == OUT_REFUSED)
                        t.outcome = OUT_ROLLBACK_FAILED;
        }
        return t;
}

const char *stage_name(enum stage s)
{
        static const char *const names[] = { "status",    "precheck",    "apply",    "revert",
                                             "verify-up", "verify-down", "describe", "preflight" };
        return (unsigned) s < STAGE_COUNT ? names[s] : "?";
}

const char *result_class_name(enum result_class r)
{
        static const char *const names[] = { "active", "inactive", "partial", "cannot-tell",
                                             "broken", "done",     "refused", "error" };
        return (unsigned) r < RES_COUNT ? names[r] : "?";
}
