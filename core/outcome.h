/* The engine's state machine as one table: where the end of an action takes its step. */
#ifndef XHAFW_OUTCOME_H
#define XHAFW_OUTCOME_H

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"

/* Which action ended, and why it ran. */
enum stage {
        STAGE_STATUS,   /* a check for status (and deactivate's first pass)  */
        STAGE_PRECHECK, /* activate's first check: is there anything to do?  */
        STAGE_APPLY,
        STAGE_REVERT,
        STAGE_VERIFY_UP,   /* the check after apply: it must say ACTIVE          */
        STAGE_VERIFY_DOWN, /* the check after revert: it must say INACTIVE       */
        STAGE_DESCRIBE,
        STAGE_PREFLIGHT, /* a preflight: its checks are its report */
        STAGE_COUNT
};

/* What the action's result means. */
enum result_class {
        RES_ACTIVE,
        RES_INACTIVE,
        RES_PARTIAL,     /* a check's answer */
        RES_CANNOT_TELL, /* a check's -errno: it cannot tell */
        RES_BROKEN,      /* timed out, crashed, broke the contract */
        RES_DONE,        /* apply, revert or describe returned 0 */
        RES_REFUSED,     /* XHAFW_REFUSED */
        RES_ERROR,       /* apply, revert or describe failed */
        RES_COUNT
};

enum next {
        NEXT_OUTCOME,
        NEXT_APPLY,
        NEXT_VERIFY
};

struct transition {
        enum stage stage;
        enum result_class result;
        enum next next; /* NEXT_OUTCOME: the step ends at outcome */
        enum step_outcome outcome;
};

enum result_class result_class_of(enum stage stage, int result);
/* The one row for (stage, result); rolling back and dry-run adjust the outcome as the table's
 * comment in outcome.c says. */
struct transition outcome_next(enum stage stage, enum result_class result, bool rolling_back, bool dry_run);
/* The rows themselves (for the docs and the tests). */
const struct transition *outcome_table(size_t *ret_n);
const char *stage_name(enum stage s);
const char *result_class_name(enum result_class r);

#endif
