/* The engine: runs check/apply/revert/describe/validate of steps in forked children along the graph. */
#ifndef XHAFW_ENGINE_H
#define XHAFW_ENGINE_H

#include "config.h"

struct json_object;

enum run_mode {
        RUN_ACTIVATE,
        RUN_DEACTIVATE,
        RUN_STATUS,
        RUN_DESCRIBE,
        RUN_VALIDATE,
        RUN_PREFLIGHT
};

/* Where a step ended up in a run. */
enum step_outcome {
        OUT_NONE = 0, /* not looked at (not selected) */
        OUT_DISABLED,
        OUT_ACTIVE,   /* was active already (activate) / status ACTIVE */
        OUT_INACTIVE, /* was inactive already (deactivate) / status INACTIVE */
        OUT_PARTIAL,  /* status PARTIAL */
        OUT_UNKNOWN,  /* status: check could not tell */
        OUT_APPLIED,
        OUT_REVERTED,
        OUT_WOULD_APPLY,  /* dry-run */
        OUT_WOULD_REVERT, /* dry-run */
        OUT_FAILED,
        OUT_REFUSED,
        OUT_BLOCKED,     /* not started: a step it depends on failed (or, deactivate: one after it) */
        OUT_ROLLED_BACK, /* applied, then reverted by the rollback */
        OUT_ROLLBACK_FAILED,
};

const char *step_outcome_name(enum step_outcome o);
/* ACTIVE, INACTIVE, PARTIAL, or UNKNOWN for a check that could not tell: the one mapping. */
const char *state_name(int state);

struct run_options {
        enum run_mode mode;
        bool dry_run;
        bool force;
        bool no_rollback;
        bool json;
        bool quiet;
        const bool *selected;    /* --only: per step; NULL: all */
        bool node_active;        /* preflight: what status found */
        size_t inject;           /* dry-run rehearsal: 1 + the step whose apply (revert) fails; 0: none */
        const char *inject_mode; /* "fail", "hang" or "crash" */
};

struct step_report {
        enum step_outcome outcome;
        int check_result; /* first check: enum xhafw_state or -errno */
        char *reason;     /* why it failed / why its state is derived */
        char *output;     /* 'O' lines: dry-run plan, describe text */
        uint64_t elapsed_us;
        bool was_failed;            /* failed in this run (even if the rollback then reverted it) */
        bool changed;               /* activate: this run applied (or began to apply) it and did not revert it */
        unsigned rollback_seq;      /* rehearsal: 1.. the order its revert would take in the rollback; 0 none */
        char *rollback_output;      /* rehearsal: what that revert says it would do */
        struct json_object *checks; /* preflight: [{check, result, detail, fix}] */
        struct json_object *facts;  /* preflight: {key: value} */
};

struct run_report {
        struct step_report *steps; /* one per cfg step */
        uint64_t elapsed_us;
        unsigned n_failed, n_refused, n_changed, n_rolled_back, n_left;
        unsigned n_rehearsed_rollback; /* rehearsal: the steps the rollback would revert */
        bool inject_reached;           /* rehearsal: the failing step got as far as its apply (revert) */
        bool interrupted;              /* by SIGINT/SIGTERM */
        bool aborted;                  /* a critical step failed (or a signal came): the activation stopped */
        int exit_code;
};

int engine_run(struct config *cfg, const struct run_options *o, struct run_report *rep);
void run_report_free(struct run_report *rep, size_t n_steps);

#endif
