/* The engine: walks the step graph, runs each action (check, apply, revert, describe, validate) in
 * a forked child with its own process group and timeout, verifies every change, rolls back on a
 * critical failure and journals every state change. The core stays single-threaded: one poll()
 * loop over the children's pipes and a signalfd. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "action.h"
#include "background.h"
#include "engine.h"
#include "framing.h"
#include "graph.h"
#include "hostapi.h"
#include "journal.h"
#include "loader.h"
#include "lock.h"
#include "log.h"
#include "outcome.h"
#include "util.h"



/* What a step is doing in this run. */
enum phase {
        PH_WAIT,     /* not started */
        PH_RUNNING,  /* an action of it runs now */
        PH_DONE,     /* outcome final */
        PH_DEFERRED, /* a rehearsal's failing step: fails once nothing else runs */
};

struct child {
        pid_t pid; /* 0: slot free */
        size_t step;
        enum action_kind kind;
        bool dry_run;
        int msg_fd, out_fd;
        struct line_reader msg, out;
        uint64_t start_us;
        uint64_t deadline_ms, kill_ms;
        bool term_sent, timed_out;
        bool deadline_passed; /* timed_out because of the deadline, not an interruption */
};

struct engine {
        struct config *cfg;
        const struct run_options *o;
        struct run_report *rep;
        enum phase *phase;
        int *stage;         /* per step: which action runs or ran last (enum action_kind) */
        bool *attempted;    /* per step: apply (or revert) was started in this run */
        bool *rollback_set; /* per step: to be reverted by the rollback */
        bool *validating;   /* per step: validated by the one validate child */
        size_t *done_order; /* steps in the order their apply was verified */
        size_t n_done_order;
        struct child *children;
        unsigned n_children; /* slots = jobs */
        unsigned running;
        int sigfd;
        bool aborting; /* a critical step failed or a signal came: start nothing new */
        bool rolling_back;
        bool verbose_progress;
        uint64_t t0;
        pid_t core_pid;
        size_t deferred; /* rehearsal: 1 + the failing step waiting in PH_DEFERRED; 0 none */
        enum action_kind deferred_kind;
        enum run_mode mode; /* of the current pass: RUN_ACTIVATE, RUN_DEACTIVATE (also rollback), ... */
};

const char *step_outcome_name(enum step_outcome o)
{
        static const char *const names[] = {
                [OUT_NONE] = "not-selected",
                [OUT_DISABLED] = "disabled",
                [OUT_ACTIVE] = "active",
                [OUT_INACTIVE] = "inactive",
                [OUT_PARTIAL] = "partial",
                [OUT_UNKNOWN] = "unknown",
                [OUT_APPLIED] = "applied",
                [OUT_REVERTED] = "reverted",
                [OUT_WOULD_APPLY] = "would-apply",
                [OUT_WOULD_REVERT] = "would-revert",
                [OUT_FAILED] = "failed",
                [OUT_REFUSED] = "refused",
                [OUT_BLOCKED] = "not-started",
                [OUT_ROLLED_BACK] = "rolled-back",
                [OUT_ROLLBACK_FAILED] = "rollback-failed",
        };
        return (unsigned) o < sizeof names / sizeof names[0] ? names[o] : "?";
}

static bool selected(const struct engine *e, size_t i)
{
        return !e->o->selected || e->o->selected[i];
}

static bool enabled(const struct engine *e, size_t i)
{
        return e->cfg->steps[i]->enabled;
}

/* Takes ownership of reason; giving back the string already stored keeps it. */
static void set_reason(struct step_report *r, char *reason)
{
        if (reason == r->reason)
                return;
        free(r->reason);
        r->reason = reason;
}

/* ---- the core side ---- */

static void progress(struct engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(struct engine *e, const char *fmt, ...)
{
        char line[1024];
        va_list ap;
        if (e->o->quiet || e->o->json || !e->verbose_progress)
                return;
        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        /* Without a reader the progress goes on in syslog, where the admin can follow the run. */
        if (stdout_is_lost()) {
                syslog(LOG_NOTICE, "%s", line);
                return;
        }
        fprintf(stdout, "[%7.3fs] %s\n", (double) (now_us() - e->t0) / 1e6, line);
        if (fflush(stdout) == EOF || ferror(stdout)) {
                output_lost(STDOUT_FILENO, errno);
                syslog(LOG_NOTICE, "%s", line);
        }
}

/* In the forked child: only its own pipes' write ends stay open, then the action runs (action.c);
 * never returns. */
static _Noreturn void child_start(struct engine *e, const struct child *c, int msg_w, int out_w, int msg_r, int out_r)
{
        close(msg_r);
        close(out_r);
        close(e->sigfd);
        for (unsigned k = 0; k < e->n_children; k++)
                if (e->children[k].pid && &e->children[k] != c) {
                        close(e->children[k].msg_fd);
                        close(e->children[k].out_fd);
                }
        struct action_request rq = {
                .cfg = e->cfg,
                .step = c->step,
                .kind = c->kind,
                .dry_run = c->dry_run,
                .force = e->o->force,
                .node_active = e->o->node_active,
                .msg_fd = msg_w,
                .out_fd = out_w,
                .core_pid = e->core_pid,
                .validate = e->validating,
        };
        action_child_run(&rq);
}

static int start_action(struct engine *e, size_t i, enum action_kind kind, bool dry_run)
{
        struct xhafw_step *st = e->cfg->steps[i];
        struct child *c = NULL;
        int msg[2], out[2];
        pid_t pid;

        for (unsigned k = 0; k < e->n_children; k++)
                if (!e->children[k].pid) {
                        c = &e->children[k];
                        break;
                }
        if (!c)
                return -EAGAIN;
        if (pipe2(msg, O_CLOEXEC) < 0)
                return -errno;
        if (pipe2(out, O_CLOEXEC) < 0) {
                int r = -errno;
                close(msg[0]);
                close(msg[1]);
                return r;
        }
        memset(c, 0, sizeof *c);
        c->step = i;
        c->kind = kind;
        /* check, describe and validate are read-only by contract: run them as dry-run so that a
         * plugin's slip (a command not flagged read-only) cannot change anything */
        c->dry_run = dry_run || (kind != ACT_APPLY && kind != ACT_REVERT);
        c->start_us = now_us();
        c->deadline_ms = now_ms() + st->timeout_ms;
        fflush(stdout);
        fflush(stderr);
        pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(msg[0]), close(msg[1]), close(out[0]), close(out[1]);
                log_full(st->name, LOG_ERR, "cannot fork for %s: %m", action_name(kind));
                return r;
        }
        if (pid == 0)
                child_start(e, c, msg[1], out[1], msg[0], out[0]);
        setpgid(pid, pid); /* also in the child: whichever runs first, the group exists before a kill */
        close(msg[1]);
        close(out[1]);
        fcntl(msg[0], F_SETFL, O_NONBLOCK);
        fcntl(out[0], F_SETFL, O_NONBLOCK);
        c->pid = pid;
        c->msg_fd = msg[0];
        c->out_fd = out[0];
        e->running++;
        e->phase[i] = PH_RUNNING;
        e->stage[i] = (int) kind;
        if (kind == ACT_APPLY || kind == ACT_REVERT) {
                if (!dry_run) {
                        e->attempted[i] = true;
                        if (kind == ACT_APPLY)
                                e->rep->steps[i].changed = true;
                        journal_event(kind == ACT_APPLY ? "step-apply" : "step-revert", st->name, NULL);
                }
                progress(e, "%s: %s", st->name,
                         kind == ACT_APPLY ? "applying" :
                         e->rolling_back   ? "rolling back" :
                                             "reverting");
        }
        return 0;
}

static void append(char **dst, const char *text, size_t len)
{
        size_t old = *dst ? strlen(*dst) : 0;
        char *n;
        if (old > XHAFW_MAX_OUTPUT)
                return;
        n = realloc(*dst, old + len + 2);
        if (!n)
                abort();
        memcpy(n + old, text, len);
        n[old + len] = '\n';
        n[old + len + 1] = 0;
        *dst = n;
}

/* FRAME_CHECK "RESULT\tCHECK\tDETAIL\tFIX" and FRAME_FACT "KEY\tVALUE" into the step's report. */
static void preflight_line(struct step_report *r, char *line)
{
        static const char *const results[] = { "pass", "warn", "fail" };
        char *f[4] = { NULL, NULL, NULL, NULL }, *save = NULL, *p = line + 1;
        size_t n = 0;

        for (char *tok = strsep(&p, "\t"); tok && n < 4; tok = strsep(&p, "\t"))
                f[n++] = tok;
        (void) save;
        if (line[0] == FRAME_FACT) {
                if (n < 2)
                        return;
                if (!r->facts)
                        r->facts = json_object_new_object();
                json_object_object_add(r->facts, f[0], json_object_new_string(f[1]));
                return;
        }
        if (n < 2 || f[0][0] < '0' || f[0][0] > '2')
                return;
        if (!r->checks)
                r->checks = json_object_new_array();
        if (json_object_array_length(r->checks) < 256) {
                struct json_object *c = json_object_new_object();
                json_object_object_add(c, "check", json_object_new_string(f[1]));
                json_object_object_add(c, "result", json_object_new_string(results[f[0][0] - '0']));
                json_object_object_add(c, "detail", json_object_new_string(n > 2 ? f[2] : ""));
                json_object_object_add(c, "fix", n > 3 && *f[3] ? json_object_new_string(f[3]) : NULL);
                json_object_array_add(r->checks, c);
        }
}

static void handle_line(struct engine *e, struct child *c, bool is_msg, char *line, size_t len)
{
        struct xhafw_step *st = e->cfg->steps[c->step];
        struct step_report *r = &e->rep->steps[c->step];

        line[len] = 0;
        if (!is_msg) {
                /* A plugin should log through xhafw_log; stray output is kept, not lost. */
                log_full(st->name, LOG_INFO, "%s: %s", action_name(c->kind), line);
                return;
        }
        if (len == 0)
                return;
        if (c->kind == ACT_VALIDATE && (line[0] == 'S' || line[0] == 'R')) {
                unsigned long long idx = strtoull(line + 1, NULL, 10);
                if (idx >= e->cfg->n_steps)
                        return;
                if (line[0] == 'S') {
                        c->step = (size_t) idx;
                } else {
                        const char *sp = strchr(line + 1, ' ');
                        int res = sp ? (int) strtol(sp + 1, NULL, 10) : -EPROTO;
                        struct step_report *vr = &e->rep->steps[idx];
                        vr->check_result = res;
                        e->phase[idx] = PH_DONE;
                        if (res < 0) {
                                vr->outcome = OUT_FAILED;
                                if (!vr->reason)
                                        set_reason(vr, xasprintf("validate failed: %s", strerror(-res)));
                                e->rep->n_failed++;
                        }
                }
                return;
        }
        if (line[0] == FRAME_CHECK || line[0] == FRAME_FACT) {
                preflight_line(r, line);
                return;
        }
        if (line[0] == 'B')
                background_track(st->name, line + 1);
        else if (line[0] == 'O')
                append(e->rolling_back ? &r->rollback_output : &r->output, line + 1, len - 1);
        else if (line[0] >= '0' && line[0] <= '7') {
                int prio = line[0] - '0';
                /* In a dry-run apply or revert, a notice is what the plugin would do: part of the plan. */
                if (prio == LOG_NOTICE && c->dry_run && (c->kind == ACT_APPLY || c->kind == ACT_REVERT)) {
                        append(e->rolling_back ? &r->rollback_output : &r->output, line + 1, len - 1);
                        return;
                }
                log_full(st->name, prio, "%s", line + 1);
                /* The last error a step logged is its reason in the summary. */
                if (prio <= LOG_ERR &&
                    (c->kind == ACT_APPLY || c->kind == ACT_REVERT || c->kind == ACT_CHECK || c->kind == ACT_VALIDATE))
                        set_reason(r, strdup_or_die(line + 1));
        }
}

struct drain_ctx {
        struct engine *e;
        struct child *c;
        bool is_msg;
};

static void on_line(void *ctx, char *line, size_t len)
{
        struct drain_ctx *d = ctx;
        handle_line(d->e, d->c, d->is_msg, line, len);
}

static void drain(struct engine *e, struct child *c, bool is_msg)
{
        int *fd = is_msg ? &c->msg_fd : &c->out_fd;
        struct drain_ctx d = { e, c, is_msg };

        if (*fd < 0)
                return;
        if (line_reader_feed(is_msg ? &c->msg : &c->out, *fd, on_line, &d) > 0) {
                close(*fd);
                *fd = -1;
        }
}

static void action_done(struct engine *e, struct child *c, int status);

static void reap(struct engine *e)
{
        for (;;) {
                int status;
                pid_t pid = waitpid(-1, &status, WNOHANG);
                if (pid <= 0)
                        return;
                for (unsigned k = 0; k < e->n_children; k++) {
                        struct child *c = &e->children[k];
                        if (c->pid != pid)
                                continue;
                        /* What the child wrote is in the pipes; do not wait for EOF: a grandchild
                         * that kept them open must not hold the run. */
                        drain(e, c, true);
                        drain(e, c, false);
                        if (c->msg_fd >= 0)
                                close(c->msg_fd);
                        if (c->out_fd >= 0)
                                close(c->out_fd);
                        /* A crashed or timed-out action's commands are part of it: they must not
                         * go on (a service start finishing after the rollback stopped it). */
                        if (c->timed_out || WIFSIGNALED(status)) {
                                kill(-pid, SIGKILL);
                                background_kill_step(e->cfg->steps[c->step]->name, SIGKILL);
                        }
                        c->pid = 0;
                        e->running--;
                        action_done(e, c, status);
                        pid = 0;
                        break;
                }
                if (pid)
                        background_reaped(pid, status);
        }
}

const char *state_name(int s)
{
        switch (s) {
        case XHAFW_ACTIVE: return "ACTIVE";
        case XHAFW_INACTIVE: return "INACTIVE";
        case XHAFW_PARTIAL: return "PARTIAL";
        default: return "UNKNOWN";
        }
}

static void finish(struct engine *e, size_t i, enum step_outcome out)
{
        struct step_report *r = &e->rep->steps[i];
        struct xhafw_step *st = e->cfg->steps[i];
        const char *ev = NULL;

        e->phase[i] = PH_DONE;
        r->outcome = out;
        if (out == OUT_ROLLED_BACK || out == OUT_REFUSED)
                r->changed = false; /* undone, or (a refusal) never done */
        if (out == OUT_APPLIED)
                e->done_order[e->n_done_order++] = i;
        if (e->mode != RUN_ACTIVATE && e->mode != RUN_DEACTIVATE)
                return;
        switch (out) {
        case OUT_APPLIED: ev = "step-applied"; break;
        case OUT_REVERTED: ev = "step-reverted"; break;
        case OUT_ROLLED_BACK: ev = "step-rolled-back"; break;
        case OUT_FAILED: ev = "step-failed"; break;
        case OUT_ROLLBACK_FAILED: ev = "step-rollback-failed"; break;
        case OUT_REFUSED: ev = "step-refused"; break;
        default: break;
        }
        if (ev && !e->o->dry_run)
                journal_event(ev, st->name,
                              out == OUT_APPLIED || out == OUT_REVERTED || out == OUT_ROLLED_BACK ? NULL : r->reason);
        if (out == OUT_FAILED || out == OUT_REFUSED || out == OUT_ROLLBACK_FAILED)
                progress(e, "%s: %s after %.3fs: %s", st->name,
                         out == OUT_REFUSED ? "REFUSED" :
                         out == OUT_FAILED  ? "FAILED" :
                                              "ROLLBACK FAILED",
                         (double) r->elapsed_us / 1e6, r->reason ? r->reason : "no reason given");
        else if (out == OUT_ACTIVE || out == OUT_INACTIVE)
                progress(e, "%s: already %s (%.3fs)", st->name, out == OUT_ACTIVE ? "active" : "inactive",
                         (double) r->elapsed_us / 1e6);
        else
                progress(e, "%s: %s (%.3fs)", st->name, step_outcome_name(out), (double) r->elapsed_us / 1e6);
}

static void fail_step(struct engine *e, size_t i, enum step_outcome out)
{
        struct xhafw_step *st = e->cfg->steps[i];
        finish(e, i, out);
        if (e->rolling_back)
                return;
        e->rep->steps[i].was_failed = true;
        if (out == OUT_REFUSED)
                e->rep->n_refused++;
        e->rep->n_failed++;
        /* A dry-run goes on: the whole plan is shown, with what would fail; a rehearsal stops
         * as the real run would. */
        if (st->critical && e->mode == RUN_ACTIVATE && !e->aborting && (!e->o->dry_run || e->o->inject)) {
                e->aborting = true;
                progress(e, "  %s failed: starting nothing new%s", st->name,
                         e->running ? ", waiting for the steps that run" : "");
        }
}

/* The rehearsed failure itself, now. */
static void inject_now(struct engine *e, size_t i, enum action_kind kind)
{
        const char *m = e->o->inject_mode ? e->o->inject_mode : "fail";
        struct xhafw_step *st = e->cfg->steps[i];

        set_reason(&e->rep->steps[i],
                   strcmp(m, "hang") == 0 ?
                           xasprintf("injected: %s hangs, and is killed after %llu.%03llus (the step's timeout)",
                                     action_name(kind), (unsigned long long) st->timeout_ms / 1000,
                                     (unsigned long long) st->timeout_ms % 1000) :
                   strcmp(m, "crash") == 0 ?
                           xasprintf("injected: %s crashes with signal 11 (Segmentation fault)", action_name(kind)) :
                           xasprintf("injected: %s fails", action_name(kind)));
        fail_step(e, i, OUT_FAILED);
}

/* A rehearsal (--dry-run --inject STEP): the action that would fail at STEP does not run. Its
 * failure comes once everything already running beside it has ended (and what those let start):
 * what a real run does when the step hangs to its timeout, and the most a real failure can leave
 * to roll back. Deterministic, whatever the order the children end in. */
static bool injected(struct engine *e, size_t i, enum action_kind kind)
{
        if (!e->o->dry_run || e->o->inject != i + 1 || e->rolling_back)
                return false;
        e->rep->inject_reached = true;
        if (e->running > 0) {
                e->phase[i] = PH_DEFERRED;
                e->deferred = i + 1;
                e->deferred_kind = kind;
        } else
                inject_now(e, i, kind);
        return true;
}

/* Which row of the state machine (outcome.c) the end of this action is. */
static enum stage stage_of(const struct engine *e, const struct child *c)
{
        switch (c->kind) {
        case ACT_APPLY: return STAGE_APPLY;
        case ACT_REVERT: return STAGE_REVERT;
        case ACT_DESCRIBE: return STAGE_DESCRIBE;
        case ACT_PREFLIGHT: return STAGE_PREFLIGHT;
        default: break;
        }
        if (!e->attempted[c->step]) /* the first check: the state before anything is done */
                return e->mode == RUN_ACTIVATE ? STAGE_PRECHECK : STAGE_STATUS;
        return e->mode == RUN_ACTIVATE ? STAGE_VERIFY_UP : STAGE_VERIFY_DOWN;
}

/* The one validate child has ended: its results came as FRAME_VALIDATED lines; what is left is a
 * crash in the step being validated. */
static void validate_done(struct engine *e, struct child *c, int res)
{
        size_t i = c->step;
        if (res < 0 && e->phase[i] != PH_DONE) {
                e->rep->steps[i].outcome = OUT_FAILED;
                e->phase[i] = PH_DONE;
                e->rep->n_failed++;
        }
        for (size_t k = 0; k < e->cfg->n_steps; k++)
                if (e->phase[k] == PH_RUNNING || e->phase[k] == PH_WAIT)
                        e->phase[k] = PH_DONE;
}

/* A failure's reason when the plugin logged none and the action's end did not say (why). */
static void explain(struct engine *e, size_t i, enum stage stage, int res)
{
        struct step_report *r = &e->rep->steps[i];
        bool up = stage == STAGE_VERIFY_UP;

        switch (stage) {
        case STAGE_VERIFY_UP:
        case STAGE_VERIFY_DOWN:
                set_reason(r, xasprintf("%s reported success but check then says %s%s%s: %s did not take effect",
                                        up ? "apply" : "revert", state_name(res), res < 0 ? " " : "",
                                        res < 0 ? strerror(-res) : "", up ? "apply" : "revert"));
                log_full(e->cfg->steps[i]->name, LOG_ERR, "%s", r->reason);
                return;
        case STAGE_APPLY:
        case STAGE_REVERT:
                if (!r->reason)
                        set_reason(r, res == XHAFW_REFUSED ?
                                              xasprintf("%s refused by a safety check",
                                                        stage == STAGE_APPLY ? "apply" : "revert") :
                                              xasprintf("%s failed: %s", stage == STAGE_APPLY ? "apply" : "revert",
                                                        res < 0 ? strerror(-res) : "unexpected result"));
                return;
        default:
                if (!r->reason && res < 0)
                        set_reason(r, xasprintf("%s failed: %s",
                                                stage == STAGE_DESCRIBE  ? "describe" :
                                                stage == STAGE_PREFLIGHT ? "preflight" :
                                                                           "check",
                                                strerror(-res)));
                return;
        }
}

static void action_done(struct engine *e, struct child *c, int status)
{
        size_t i = c->step;
        struct step_report *r = &e->rep->steps[i];
        char *why = NULL;
        int res = action_decode(c->kind, e->cfg->steps[i], status,
                                c->timed_out && e->rep->interrupted && !c->deadline_passed ? END_INTERRUPTED :
                                c->timed_out                                               ? END_TIMED_OUT :
                                                                                             END_EXITED,
                                &why);
        enum stage stage;
        enum result_class cls;
        struct transition t;

        r->elapsed_us += now_us() - c->start_us;
        if (why) {
                log_full(e->cfg->steps[i]->name, LOG_ERR, "%s", why);
                set_reason(r, why);
        }
        if (c->kind == ACT_VALIDATE) {
                validate_done(e, c, res);
                return;
        }
        stage = stage_of(e, c);
        cls = result_class_of(stage, res);
        t = outcome_next(stage, cls, e->rolling_back, c->dry_run);
        if (stage == STAGE_STATUS || stage == STAGE_PRECHECK || stage == STAGE_DESCRIBE || stage == STAGE_PREFLIGHT) {
                r->check_result = res;
                if (cls != RES_BROKEN && res != -EINTR)
                        explain(e, i, stage, res);
        }

        switch (t.next) {
        case NEXT_APPLY:
                if (e->aborting) {
                        /* the run is stopping: the step stays as it was */
                        e->phase[i] = PH_WAIT;
                        return;
                }
                if (cls == RES_CANNOT_TELL)
                        log_full(e->cfg->steps[i]->name, LOG_INFO,
                                 "check cannot tell (%s): applying, apply is idempotent", strerror(-res));
                set_reason(r, NULL);
                if (injected(e, i, ACT_APPLY))
                        return;
                if (start_action(e, i, ACT_APPLY, e->o->dry_run) < 0)
                        fail_step(e, i, OUT_FAILED);
                return;
        case NEXT_VERIFY:
                if (start_action(e, i, ACT_CHECK, false) < 0)
                        fail_step(e, i, OUT_FAILED);
                return;
        case NEXT_OUTCOME: break;
        }
        if (t.outcome == OUT_FAILED || t.outcome == OUT_REFUSED || t.outcome == OUT_ROLLBACK_FAILED) {
                if (stage != STAGE_STATUS && stage != STAGE_PRECHECK && stage != STAGE_DESCRIBE &&
                    stage != STAGE_PREFLIGHT && (!why || stage == STAGE_APPLY || stage == STAGE_REVERT))
                        explain(e, i, stage, res);
                if (t.outcome == OUT_REFUSED)
                        e->attempted[i] = false; /* a refusal acted on nothing: it is not reverted */
                fail_step(e, i, t.outcome);
                return;
        }
        if ((stage == STAGE_VERIFY_UP || stage == STAGE_VERIFY_DOWN) && !r->was_failed)
                set_reason(r, NULL);
        finish(e, i, t.outcome);
}

/* ---- scheduling ---- */

/* A step outside --only is never touched: it satisfies the others only in the state its check
 * found in the run's first pass (activate: ACTIVE; deactivate: INACTIVE). */
static bool satisfied_active(const struct engine *e, size_t j)
{
        enum step_outcome o = e->rep->steps[j].outcome;
        if (!enabled(e, j))
                return true;
        if (!selected(e, j))
                return o == OUT_ACTIVE;
        /* a dry-run of activate assumes earlier steps succeed, so that the whole plan is shown; a
         * rehearsal does not (a failure there blocks what is after it, as in the real run), nor
         * does deactivate (a step that would fail keeps those below it active): dead_end() must
         * see such a step as neither active nor inactive */
        if (e->o->dry_run && !e->o->inject && e->mode == RUN_ACTIVATE && e->phase[j] == PH_DONE &&
            (o == OUT_FAILED || o == OUT_REFUSED))
                return true;
        return e->phase[j] == PH_DONE && (o == OUT_ACTIVE || o == OUT_APPLIED || o == OUT_WOULD_APPLY);
}

static bool satisfied_inactive(const struct engine *e, size_t j)
{
        enum step_outcome o = e->rep->steps[j].outcome;
        if (e->rolling_back)
                return !e->rollback_set[j] ||
                       (e->phase[j] == PH_DONE && (o == OUT_ROLLED_BACK || (e->o->dry_run && o == OUT_WOULD_REVERT)));
        if (!enabled(e, j))
                return true;
        if (!selected(e, j))
                return o == OUT_INACTIVE;
        return e->phase[j] == PH_DONE && (o == OUT_INACTIVE || o == OUT_REVERTED || o == OUT_WOULD_REVERT);
}

static bool dead_end(const struct engine *e, size_t j)
{
        return e->phase[j] == PH_DONE && !satisfied_active(e, j) && !satisfied_inactive(e, j);
}

/* Start what can start; mark as blocked what never can. Returns whether anything is left to do. */
/* Whether step i can start now (*ready), and the step that keeps it from ever starting, if any:
 * in activate the steps it is after, in deactivate those after it. */
static const char *blocker_of(struct engine *e, size_t i, bool *ready)
{
        struct config *cfg = e->cfg;
        const struct xhafw_step *st = cfg->steps[i];
        const char *blocker = NULL;

        *ready = true;
        if (e->mode == RUN_ACTIVATE) {
                for (size_t a = 0; a < st->n_after; a++) {
                        size_t j = st->after_idx[a];
                        if (!satisfied_active(e, j)) {
                                *ready = false;
                                if (dead_end(e, j) || e->rep->steps[j].outcome == OUT_BLOCKED || !selected(e, j))
                                        blocker = cfg->steps[j]->name;
                        }
                }
        } else if (e->mode == RUN_DEACTIVATE) {
                const size_t *after_me;
                size_t n_after_me = graph_after_me(cfg, i, &after_me);
                for (size_t a = 0; a < n_after_me; a++) {
                        size_t j = after_me[a];
                        if (!satisfied_inactive(e, j)) {
                                *ready = false;
                                if (dead_end(e, j) || e->rep->steps[j].outcome == OUT_BLOCKED ||
                                    (!selected(e, j) && !e->rolling_back))
                                        blocker = cfg->steps[j]->name;
                        }
                }
        }
        return blocker;
}

/* Step i will never start because of BLOCKER: say why, and whether that fails the run. */
static void block_step(struct engine *e, size_t i, const char *blocker)
{
        bool outside = !selected(e, (size_t) config_step_index(e->cfg, blocker));

        set_reason(&e->rep->steps[i],
                   xasprintf(e->mode == RUN_ACTIVATE ? "not started: %s, which it is after, is not active%s" :
                                                       "left active: %s, which is after it, is still active%s",
                             blocker, outside ? " and not in --only" : ""));
        if (outside) {
                /* asked for, and impossible: a failure of the run, not a consequence */
                fail_step(e, i, OUT_FAILED);
        } else if (e->mode == RUN_ACTIVATE && e->cfg->steps[i]->critical && !e->aborting && !e->rolling_back) {
                /* A non-critical failure upstream stops a critical step: the node cannot
                 * hold the role, so this is a critical failure (exit 1, rollback). */
                fail_step(e, i, OUT_FAILED);
        } else {
                e->phase[i] = PH_DONE;
                e->rep->steps[i].outcome = OUT_BLOCKED;
        }
}

static bool schedule(struct engine *e)
{
        struct config *cfg = e->cfg;
        bool pending = false;

        if (e->deferred && e->running == 0) {
                size_t i = e->deferred - 1;
                e->deferred = 0;
                inject_now(e, i, e->deferred_kind);
        }

        for (size_t k = 0; k < cfg->n_steps; k++) {
                size_t i = e->mode == RUN_DEACTIVATE ? cfg->order[cfg->n_steps - 1 - k] : cfg->order[k];
                const char *blocker;
                bool ready;

                if (e->phase[i] != PH_WAIT)
                        continue;
                blocker = blocker_of(e, i, &ready);
                if (blocker) {
                        block_step(e, i, blocker);
                        continue;
                }
                if (e->aborting)
                        continue;
                /* pending: a step that still waits; one that starts is counted by e->running, one
                 * found done here by nothing (a standby's deactivate must not look stuck) */
                if (!ready || e->running >= e->n_children) {
                        pending = true;
                        continue;
                }
                if (e->mode == RUN_DEACTIVATE) {
                        /* the state is known from the status pass, or this is a rollback */
                        if (e->rolling_back || e->rep->steps[i].outcome != OUT_INACTIVE) {
                                if (e->rolling_back)
                                        e->rep->steps[i].rollback_seq = ++e->rep->n_rehearsed_rollback;
                                if (injected(e, i, ACT_REVERT))
                                        return schedule(e); /* once: the step is done or deferred now */
                                if (start_action(e, i, ACT_REVERT, e->o->dry_run) < 0)
                                        fail_step(e, i, OUT_FAILED);
                        } else {
                                e->phase[i] = PH_DONE;
                        }
                        continue;
                }
                if (start_action(e, i,
                                 e->mode == RUN_DESCRIBE  ? ACT_DESCRIBE :
                                 e->mode == RUN_VALIDATE  ? ACT_VALIDATE :
                                 e->mode == RUN_PREFLIGHT ? ACT_PREFLIGHT :
                                                            ACT_CHECK,
                                 e->mode == RUN_DESCRIBE || e->o->dry_run) < 0)
                        fail_step(e, i, OUT_FAILED);
        }
        return pending || e->running > 0;
}

static void kill_all(struct engine *e, int sig)
{
        for (unsigned k = 0; k < e->n_children; k++)
                if (e->children[k].pid)
                        kill(-e->children[k].pid, sig);
}

static void check_timeouts(struct engine *e, int *ret_timeout)
{
        uint64_t now = now_ms();
        int next = -1;
        for (unsigned k = 0; k < e->n_children; k++) {
                struct child *c = &e->children[k];
                uint64_t at;
                if (!c->pid)
                        continue;
                if (!c->term_sent && now >= c->deadline_ms) {
                        c->term_sent = c->timed_out = c->deadline_passed = true;
                        c->kill_ms = now + e->cfg->settings.grace_ms;
                        log_full(e->cfg->steps[c->step]->name, LOG_WARNING, "%s timed out, sending SIGTERM",
                                 action_name(c->kind));
                        kill(-c->pid, SIGTERM);
                } else if (c->term_sent && now >= c->kill_ms) {
                        kill(-c->pid, SIGKILL);
                        c->kill_ms = now + 1000; /* until it is reaped */
                }
                at = c->term_sent ? c->kill_ms : c->deadline_ms;
                if (next < 0 || at - now < (uint64_t) next)
                        next = at > now ? (int) (at - now) : 0;
        }
        background_check(&next);
        *ret_timeout = next;
}

static void on_signal(struct engine *e)
{
        struct signalfd_siginfo si;
        while (read(e->sigfd, &si, sizeof si) == (ssize_t) sizeof si) {
                if (si.ssi_signo == SIGCHLD)
                        continue;
                if (si.ssi_signo == SIGHUP) {
                        /* The terminal or the ssh session went away: a node half taken over is worse
                         * than one fully taken over, so the run goes on (only INT and TERM stop it). */
                        syslog(LOG_NOTICE, "got SIGHUP (terminal lost): the run goes on to its end");
                        if (!e->o->dry_run && (e->mode == RUN_ACTIVATE || e->mode == RUN_DEACTIVATE))
                                journal_event("hangup", NULL, "terminal lost; the run goes on");
                        continue;
                }
                if (e->rolling_back) {
                        log_warning("got %s during the rollback: finishing the rollback first",
                                    strsignal((int) si.ssi_signo));
                        continue;
                }
                if (!e->rep->interrupted)
                        log_warning("got %s: stopping, ending the running actions%s", strsignal((int) si.ssi_signo),
                                    e->mode == RUN_ACTIVATE && !e->o->no_rollback ? ", then rolling back" : "");
                e->rep->interrupted = true;
                e->aborting = true;
                kill_all(e, SIGTERM);
                background_kill(SIGKILL);
                for (unsigned k = 0; k < e->n_children; k++)
                        if (e->children[k].pid && !e->children[k].term_sent) {
                                e->children[k].term_sent = e->children[k].timed_out = true;
                                e->children[k].kill_ms = now_ms() + e->cfg->settings.grace_ms;
                        }
        }
}

static void loop(struct engine *e)
{
        struct pollfd *pfd = xcalloc(2 * e->n_children + 1, sizeof *pfd);

        while (schedule(e)) {
                nfds_t n = 0;
                if (e->running == 0) {
                        log_error("internal error: steps wait but nothing runs; stopping");
                        e->aborting = true;
                        break;
                }
                int timeout;
                struct child *map[2 * XHAFW_MAX_JOBS + 1];
                bool is_msg[2 * XHAFW_MAX_JOBS + 1];

                pfd[n++] = (struct pollfd){ .fd = e->sigfd, .events = POLLIN };
                for (unsigned k = 0; k < e->n_children; k++) {
                        struct child *c = &e->children[k];
                        if (!c->pid)
                                continue;
                        if (c->msg_fd >= 0) {
                                map[n] = c, is_msg[n] = true;
                                pfd[n++] = (struct pollfd){ .fd = c->msg_fd, .events = POLLIN };
                        }
                        if (c->out_fd >= 0) {
                                map[n] = c, is_msg[n] = false;
                                pfd[n++] = (struct pollfd){ .fd = c->out_fd, .events = POLLIN };
                        }
                }
                check_timeouts(e, &timeout);
                journal_sync();
                if (poll(pfd, n, timeout) < 0 && errno != EINTR) {
                        log_error("poll: %m");
                        break;
                }
                for (nfds_t k = 1; k < n; k++)
                        if (pfd[k].revents)
                                drain(e, map[k], is_msg[k]);
                if (pfd[0].revents)
                        on_signal(e);
                reap(e);
        }
        free(pfd);
}

static void engine_init(struct engine *e, struct config *cfg, const struct run_options *o, struct run_report *rep)
{
        size_t n = cfg->n_steps;
        memset(e, 0, sizeof *e);
        e->cfg = cfg;
        e->o = o;
        e->rep = rep;
        e->phase = xcalloc(n, sizeof *e->phase);
        e->stage = xcalloc(n, sizeof *e->stage);
        e->attempted = xcalloc(n, sizeof *e->attempted);
        e->rollback_set = xcalloc(n, sizeof *e->rollback_set);
        e->validating = xcalloc(n, sizeof *e->validating);
        e->done_order = xcalloc(n, sizeof *e->done_order);
        e->n_children = cfg->settings.jobs ? cfg->settings.jobs : 1;
        if (e->n_children > XHAFW_MAX_JOBS)
                e->n_children = XHAFW_MAX_JOBS;
        e->children = xcalloc(e->n_children, sizeof *e->children);
        e->sigfd = -1;
        e->core_pid = getpid();
        rep->steps = xcalloc(n, sizeof *rep->steps);
}

static void engine_free(struct engine *e)
{
        free(e->phase);
        free(e->stage);
        free(e->attempted);
        free(e->rollback_set);
        free(e->validating);
        free(e->done_order);
        free(e->children);
}

/* Reset phases for another pass over the same steps (status pass, then deactivate; rollback). */
enum pass_scope {
        SCOPE_SELECTED,
        SCOPE_ALL,
        SCOPE_UNSELECTED
};

static void new_pass(struct engine *e, enum run_mode mode, enum pass_scope scope)
{
        e->mode = mode;
        for (size_t i = 0; i < e->cfg->n_steps; i++) {
                struct xhafw_step *st = e->cfg->steps[i];
                bool in = scope == SCOPE_ALL || (scope == SCOPE_SELECTED) == selected(e, i);
                e->phase[i] = (!enabled(e, i) || !in) ? PH_DONE : PH_WAIT;
                if (e->phase[i] == PH_WAIT && (!st->plugin || st->plugin->error)) {
                        /* only in a lenient load (status): the step cannot be looked at */
                        e->phase[i] = PH_DONE;
                        e->rep->steps[i].outcome = OUT_UNKNOWN;
                        e->rep->steps[i].check_result = -ENOEXEC;
                        set_reason(&e->rep->steps[i], xasprintf("plugin cannot be used: %s",
                                                                st->plugin ? st->plugin->error : "no plugin"));
                }
        }
}

/* The status rule: a check that cannot tell while a step it is after is inactive means inactive. */
static void derive_states(struct engine *e)
{
        struct config *cfg = e->cfg;
        for (size_t k = 0; k < cfg->n_steps; k++) {
                size_t i = cfg->order[k];
                struct step_report *r = &e->rep->steps[i];
                if (r->outcome != OUT_UNKNOWN || r->check_result == -ETIME || r->check_result == -ECHILD)
                        continue;
                for (size_t a = 0; a < cfg->steps[i]->n_after; a++) {
                        size_t j = cfg->steps[i]->after_idx[a];
                        if (enabled(e, j) && e->rep->steps[j].outcome == OUT_INACTIVE) {
                                r->outcome = OUT_INACTIVE;
                                set_reason(r, xasprintf("cannot be checked while %s is inactive", cfg->steps[j]->name));
                                break;
                        }
                }
        }
}

static int setup_signals(struct engine *e, sigset_t *old)
{
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, old) < 0)
                return -errno;
        e->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
        if (e->sigfd < 0) {
                int r = -errno;
                sigprocmask(SIG_SETMASK, old, NULL);
                return r;
        }
        return 0;
}

static void rollback(struct engine *e)
{
        struct config *cfg = e->cfg;
        unsigned n = 0;

        enum step_outcome *before = NULL;

        for (size_t i = 0; i < cfg->n_steps; i++) {
                enum step_outcome o = e->rep->steps[i].outcome;
                /* a rehearsal applied nothing: what the real run would have applied (or tried to) */
                bool would = e->o->dry_run && (o == OUT_WOULD_APPLY ||
                                               (o == OUT_FAILED && e->o->inject == i + 1 && e->rep->inject_reached));
                e->rollback_set[i] = (e->attempted[i] && (o == OUT_APPLIED || o == OUT_FAILED)) || would;
                n += e->rollback_set[i];
        }
        for (size_t i = 0; i < cfg->n_steps; i++)
                if (e->phase[i] == PH_WAIT) {
                        e->rep->steps[i].outcome = OUT_BLOCKED;
                        if (!e->rep->steps[i].reason)
                                set_reason(&e->rep->steps[i],
                                           strdup_or_die(e->rep->interrupted ?
                                                                 "not started: interrupted" :
                                                                 "not started: the run stopped at a failure"));
                }
        if (!n)
                return;
        progress(e, "rolling back %u step%s", n, n == 1 ? "" : "s");
        journal_event("rollback-start", NULL, NULL);
        if (e->o->dry_run) {
                /* the plan keeps what each step would have done; the rollback's part goes beside it */
                before = xcalloc(cfg->n_steps, sizeof *before);
                for (size_t i = 0; i < cfg->n_steps; i++)
                        before[i] = e->rep->steps[i].outcome;
        }
        e->rolling_back = true;
        e->aborting = false;
        e->mode = RUN_DEACTIVATE;
        for (size_t i = 0; i < cfg->n_steps; i++)
                if (e->rollback_set[i]) {
                        e->phase[i] = PH_WAIT;
                        e->attempted[i] = false;
                        e->rep->steps[i].elapsed_us = 0;
                } else
                        e->phase[i] = PH_DONE;
        loop(e);
        journal_sync();
        e->rolling_back = false;
        for (size_t i = 0; i < cfg->n_steps; i++)
                if (e->rollback_set[i] && e->rep->steps[i].outcome == OUT_ROLLED_BACK)
                        e->rep->n_rolled_back++;
        if (before) {
                for (size_t i = 0; i < cfg->n_steps; i++)
                        e->rep->steps[i].outcome = before[i];
                free(before);
        }
}

/* status, describe, validate, preflight: actions that do not depend on each other, all at once
 * (schedule() orders by `after` only for activate and deactivate). */
static void run_parallel(struct engine *e)
{
        struct config *cfg = e->cfg;

        new_pass(e, e->o->mode, SCOPE_SELECTED);
        if (e->o->mode == RUN_VALIDATE) {
                size_t first = cfg->n_steps;
                for (size_t i = 0; i < cfg->n_steps; i++) {
                        if (e->phase[i] == PH_WAIT && !plugin_validate_fn(cfg->steps[i]->plugin))
                                e->phase[i] = PH_DONE;
                        e->validating[i] = e->phase[i] == PH_WAIT;
                        if (e->validating[i] && first == cfg->n_steps)
                                first = i;
                }
                if (first < cfg->n_steps && start_action(e, first, ACT_VALIDATE, true) == 0)
                        /* the one child validates them all: the loop only waits for it */
                        for (size_t i = 0; i < cfg->n_steps; i++)
                                if (e->validating[i])
                                        e->phase[i] = PH_RUNNING;
        }
        loop(e);
        if (e->o->mode == RUN_STATUS)
                derive_states(e);
}

static void run_activate(struct engine *e)
{
        if (e->o->selected) {
                /* the steps outside --only are looked at, not touched: their state gates */
                new_pass(e, RUN_STATUS, SCOPE_UNSELECTED);
                loop(e);
                derive_states(e);
        }
        new_pass(e, RUN_ACTIVATE, SCOPE_SELECTED);
        loop(e);
        e->rep->aborted = e->aborting;
        if ((!e->o->dry_run || e->o->inject) && e->aborting && !e->o->no_rollback)
                rollback(e);
}

static void run_deactivate(struct engine *e)
{
        struct run_report *rep = e->rep;

        /* The skip test needs the status rule, which needs every check: one parallel pass. */
        new_pass(e, RUN_STATUS, SCOPE_ALL);
        loop(e);
        derive_states(e);
        for (size_t i = 0; i < e->cfg->n_steps; i++) {
                struct step_report *sr = &rep->steps[i];
                if (sr->outcome == OUT_UNKNOWN && (sr->check_result == -ETIME || sr->check_result == -ECHILD)) {
                        /* A check that crashed or hung: the step cannot be trusted to be down. */
                        sr->outcome = OUT_FAILED;
                        rep->n_failed++;
                }
        }
        new_pass(e, RUN_DEACTIVATE, SCOPE_SELECTED);
        for (size_t i = 0; i < e->cfg->n_steps; i++)
                if (rep->steps[i].outcome == OUT_FAILED)
                        e->phase[i] = PH_DONE;
        loop(e);
}

/* The report's last word: what was not selected, never started, changed, and left. */
static void report_close(struct engine *e)
{
        struct run_report *rep = e->rep;

        for (size_t i = 0; i < e->cfg->n_steps; i++) {
                struct step_report *sr = &rep->steps[i];
                enum step_outcome so;
                /* Steps outside --only were looked at only to gate the others: not part of the report. */
                if (!selected(e, i) && sr->outcome != OUT_DISABLED) {
                        sr->outcome = OUT_NONE;
                        set_reason(sr, NULL);
                }
                /* Anything still waiting was never started (abort or interruption). */
                if (e->phase[i] == PH_WAIT && sr->outcome != OUT_DISABLED) {
                        sr->outcome = OUT_BLOCKED;
                        if (!sr->reason)
                                set_reason(sr, strdup_or_die(rep->interrupted ?
                                                                     "not started: interrupted" :
                                                                     "not started: the run stopped at a failure"));
                }
                so = sr->outcome;
                if (so == OUT_APPLIED || so == OUT_REVERTED)
                        rep->n_changed++;
                /* activate: what this run changed and did not undo (a step the rollback could not
                 * reach, held by a failed revert, included; one that never started not);
                 * deactivate: what is still active */
                if (e->o->mode == RUN_ACTIVATE ?
                            sr->changed :
                            e->o->mode == RUN_DEACTIVATE &&
                                    (so == OUT_FAILED || so == OUT_ROLLBACK_FAILED || so == OUT_BLOCKED ||
                                     so == OUT_ACTIVE || so == OUT_PARTIAL || so == OUT_UNKNOWN))
                        rep->n_left++;
        }
}

int engine_run(struct config *cfg, const struct run_options *o, struct run_report *rep)
{
        struct engine e;
        sigset_t old;
        uint64_t t0 = now_us();
        int r;

        memset(rep, 0, sizeof *rep);
        engine_init(&e, cfg, o, rep);
        e.t0 = t0;
        e.verbose_progress = (o->mode == RUN_ACTIVATE || o->mode == RUN_DEACTIVATE) && !o->dry_run;
        r = setup_signals(&e, &old);
        if (r < 0) {
                log_error("cannot set up signal handling: %s", strerror(-r));
                engine_free(&e);
                return r;
        }
        for (size_t i = 0; i < cfg->n_steps; i++)
                if (!cfg->steps[i]->enabled)
                        rep->steps[i].outcome = OUT_DISABLED;
        if (o->mode == RUN_ACTIVATE)
                run_activate(&e);
        else if (o->mode == RUN_DEACTIVATE)
                run_deactivate(&e);
        else
                run_parallel(&e);
        report_close(&e);
        /* Background work ends with the run (DESIGN §5): waited for when the run did its job,
         * ended at once when it failed or was interrupted; never left behind. */
        background_finish(e.sigfd, (o->mode == RUN_ACTIVATE || o->mode == RUN_DEACTIVATE) && !o->dry_run &&
                                           !rep->interrupted && !rep->aborted && rep->n_failed == 0);
        close(e.sigfd);
        sigprocmask(SIG_SETMASK, &old, NULL);
        engine_free(&e);
        rep->elapsed_us = now_us() - t0;
        return 0;
}

void run_report_free(struct run_report *rep, size_t n_steps)
{
        if (!rep->steps)
                return;
        for (size_t i = 0; i < n_steps; i++) {
                free(rep->steps[i].reason);
                free(rep->steps[i].output);
                free(rep->steps[i].rollback_output);
                json_object_put(rep->steps[i].checks);
                json_object_put(rep->steps[i].facts);
        }
        free(rep->steps);
        rep->steps = NULL;
}
