/* One action of one step (check, apply, revert, describe, validate) in its forked child: what the
 * child does, and how the core reads its end. */
#ifndef XHAFW_ACTION_H
#define XHAFW_ACTION_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"

enum action_kind {
        ACT_CHECK,
        ACT_APPLY,
        ACT_REVERT,
        ACT_DESCRIBE,
        ACT_VALIDATE,
        ACT_PREFLIGHT
};

const char *action_name(enum action_kind k);

struct action_request {
        const struct config *cfg;
        size_t step;
        enum action_kind kind;
        bool dry_run, force;
        bool node_active;   /* ACT_PREFLIGHT */
        int msg_fd, out_fd; /* framing.h's message pipe; stdout and stderr */
        pid_t core_pid;
        const bool *validate; /* ACT_VALIDATE: the steps to validate, all in this one child */
};

/* In the child, after fork(): die with the core, own process group, a clean environment, run the
 * plugin's function and exit with its result encoded. Never returns. */
_Noreturn void action_child_run(const struct action_request *rq);

/* How the core saw the child end. */
enum action_end {
        END_EXITED,
        END_TIMED_OUT,
        END_INTERRUPTED
};

/* The plugin's result from the child's wait status: an enum xhafw_state, 0, XHAFW_REFUSED or
 * -errno; -ETIME (timed out), -ECHILD (crashed), -EPROTO (broke the contract) and -EINTR (ended
 * by an interruption) with *ret_why saying what happened (free it; NULL otherwise). */
int action_decode(enum action_kind kind, const struct xhafw_step *st, int status, enum action_end end, char **ret_why);

#endif
