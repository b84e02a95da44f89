/* The commands: activate, deactivate, status, list-plugins, describe, validate; text and JSON. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "commands.h"
#include "config-build.h"
#include "engine.h"
#include "journal.h"
#include "loader.h"
#include "lock.h"
#include "log.h"
#include "util.h"

/* Under --json a command hands its document here; json_finish() prints it once, whatever the exit
 * path, with the exit code, its meaning and the messages. */
static struct json_object *json_doc;

void json_print(struct json_object *o)
{
        json_object_put(json_doc);
        json_doc = o;
}

void commands_json(struct json_object *o)
{
        json_print(o);
}

const char *exit_meaning(int rc)
{
        switch (rc) {
        case XHAFW_EXIT_OK: return "ok";
        case XHAFW_EXIT_FAILED: return "failed";
        case XHAFW_EXIT_CONFIG: return "usage-or-configuration-error";
        case XHAFW_EXIT_INACTIVE: return "inactive";
        case XHAFW_EXIT_MIXED: return "mixed";
        case XHAFW_EXIT_LOCKED: return "locked";
        case XHAFW_EXIT_REFUSED: return "refused";
        default: return "unknown";
        }
}

void json_finish(const char *command, int rc)
{
        struct json_object *o = json_doc ? json_doc : json_object_new_object(), *v;
        const char *text;

        json_doc = NULL;
        if (!json_object_object_get_ex(o, "command", &v))
                json_object_object_add(o, "command", json_object_new_string(command ? command : ""));
        json_object_object_add(o, "exit", json_object_new_int(rc));
        json_object_object_add(o, "result", json_object_new_string(exit_meaning(rc)));
        json_object_object_add(o, "messages", log_collected_take());
        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (puts(text) == EOF || fflush(stdout) == EOF)
                output_lost(STDOUT_FILENO, errno);
        json_object_put(o);
}

void json_usage(const char *usage)
{
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "usage", json_object_new_string(usage));
        json_print(o);
}

static struct json_object *jstr(const char *s)
{
        return s ? json_object_new_string(s) : NULL;
}

struct overrides commands_overrides(const struct global_options *g)
{
        return (struct overrides){
                .config_file = g->config_file,
                .conf_d = g->conf_d,
                .plugin_path = g->plugin_path,
                .state_dir = g->state_dir,
                .jobs = g->jobs,
        };
}

/* Load the configuration and run every plugin's validate(): the gate before anything changes. */
int commands_load(struct config *cfg, const struct global_options *g, bool lenient)
{
        struct overrides ov = commands_overrides(g);
        struct run_options ro = { .mode = RUN_VALIDATE, .quiet = true };
        struct run_report rep;
        int r;

        ov.lenient_plugins = lenient;

        if (config_load(cfg, &ov) < 0) {
                log_error("%u configuration error%s: nothing was changed; fix %s and run `xhafw validate`",
                          cfg->n_errors, cfg->n_errors == 1 ? "" : "s", cfg->n_errors == 1 ? "it" : "them");
                return XHAFW_EXIT_CONFIG;
        }
        r = engine_run(cfg, &ro, &rep);
        if (r == 0 && rep.n_failed) {
                for (size_t i = 0; i < cfg->n_steps; i++)
                        if (rep.steps[i].outcome == OUT_FAILED)
                                config_error(cfg, cfg->steps[i]->file, cfg->steps[i]->line, cfg->steps[i]->name,
                                             "plugin %s refused the configuration%s%s", cfg->steps[i]->plugin_name,
                                             rep.steps[i].reason ? ": " : "",
                                             rep.steps[i].reason ? rep.steps[i].reason : "");
                log_error("%u configuration error%s: nothing was changed", cfg->n_errors,
                          cfg->n_errors == 1 ? "" : "s");
                r = XHAFW_EXIT_CONFIG;
        } else if (r < 0)
                r = XHAFW_EXIT_FAILED;
        run_report_free(&rep, cfg->n_steps);
        return r;
}

/* The plan: the selected steps grouped by level of the graph, in topological order within a level
 * (a counting sort: linear, where a scan per level would be quadratic for a long chain). The
 * text and the JSON are rendered from it. */
struct plan {
        size_t *steps; /* by level */
        size_t *start; /* level l's steps are steps[start[l]] .. steps[start[l + 1] - 1] */
        unsigned n_levels;
};

static void plan_build(const struct config *cfg, const bool *sel, bool reverse, struct plan *p)
{
        size_t *fill;

        p->n_levels = cfg->n_levels;
        p->start = xcalloc(cfg->n_levels + 2, sizeof *p->start);
        p->steps = xcalloc(cfg->n_steps + 1, sizeof *p->steps);
        for (size_t i = 0; i < cfg->n_steps; i++)
                if (!sel || sel[i])
                        p->start[(reverse ? cfg->n_levels - 1 - cfg->level[i] : cfg->level[i]) + 1]++;
        for (unsigned l = 0; l < cfg->n_levels; l++)
                p->start[l + 1] += p->start[l];
        fill = xcalloc(cfg->n_levels + 1, sizeof *fill);
        memcpy(fill, p->start, cfg->n_levels * sizeof *fill);
        for (size_t k = 0; k < cfg->n_steps; k++) {
                size_t i = cfg->order[k];
                if (!sel || sel[i])
                        p->steps[fill[reverse ? cfg->n_levels - 1 - cfg->level[i] : cfg->level[i]]++] = i;
        }
        free(fill);
}

static void plan_free(struct plan *p)
{
        free(p->steps);
        free(p->start);
}

static void print_plan(const struct config *cfg, const bool *sel, bool reverse, FILE *f)
{
        struct plan p;
        unsigned shown = 0;

        plan_build(cfg, sel, reverse, &p);
        for (unsigned l = 0; l < p.n_levels; l++) {
                if (p.start[l] == p.start[l + 1])
                        continue;
                fprintf(f, "  %u:", ++shown);
                for (size_t k = p.start[l]; k < p.start[l + 1]; k++) {
                        const struct xhafw_step *st = cfg->steps[p.steps[k]];
                        fprintf(f, " %s%s%s", st->name, st->enabled ? "" : " (disabled)",
                                st->critical ? "" : " (non-critical)");
                }
                fputc('\n', f);
        }
        plan_free(&p);
}

static struct json_object *plan_json(const struct config *cfg, const bool *sel, bool reverse)
{
        struct json_object *levels = json_object_new_array();
        struct plan p;

        plan_build(cfg, sel, reverse, &p);
        for (unsigned l = 0; l < p.n_levels; l++) {
                struct json_object *a = json_object_new_array();
                for (size_t k = p.start[l]; k < p.start[l + 1]; k++)
                        if (cfg->steps[p.steps[k]]->enabled)
                                json_object_array_add(a, json_object_new_string(cfg->steps[p.steps[k]]->name));
                if (json_object_array_length(a))
                        json_object_array_add(levels, a);
                else
                        json_object_put(a);
        }
        plan_free(&p);
        return levels;
}

static int parse_only(struct config *cfg, const char *only, bool **ret)
{
        char **items;
        size_t n;
        bool *sel;
        int r = 0;

        *ret = NULL;
        if (!only)
                return 0;
        if (list_problem(only, false)) {
                log_error("--only %s: expected step names as %s", only, list_problem(only, false));
                return XHAFW_EXIT_CONFIG;
        }
        split_list(only, &items, &n);
        sel = xcalloc(cfg->n_steps, sizeof *sel);
        for (size_t k = 0; k < n; k++) {
                ssize_t i = config_step_index(cfg, items[k]);
                if (i < 0) {
                        log_error("--only %s: no step is named '%s' (see `xhafw validate` for the steps)", items[k],
                                  items[k]);
                        r = XHAFW_EXIT_CONFIG;
                } else
                        sel[i] = true;
        }
        if (n == 0) {
                log_error("--only needs step names");
                r = XHAFW_EXIT_CONFIG;
        }
        strv_free(items);
        if (r)
                free(sel);
        else
                *ret = sel;
        return r;
}

/* --inject STEP[=fail|hang|crash]: a step of the plan, enabled and selected. */
static int parse_inject(const struct config *cfg, const char *arg, struct run_options *ro)
{
        static char mode[16];
        const char *eq = strchr(arg, '=');
        char name[128];
        ssize_t i;

        snprintf(name, sizeof name, "%.*s", eq ? (int) (eq - arg) : (int) strlen(arg), arg);
        snprintf(mode, sizeof mode, "%s", eq ? eq + 1 : "fail");
        if (strcmp(mode, "fail") != 0 && strcmp(mode, "hang") != 0 && strcmp(mode, "crash") != 0) {
                log_error("--inject %s: the failure is fail, hang or crash", arg);
                return XHAFW_EXIT_CONFIG;
        }
        i = config_step_index(cfg, name);
        if (i < 0 || !cfg->steps[i]->enabled || (ro->selected && !ro->selected[i])) {
                log_error("--inject %s: '%s' is %s", arg, name,
                          i < 0                   ? "not a step (see `xhafw validate`)" :
                          !cfg->steps[i]->enabled ? "a disabled step: it would not run" :
                                                    "not in --only");
                return XHAFW_EXIT_CONFIG;
        }
        ro->inject = (size_t) i + 1;
        ro->inject_mode = mode;
        return 0;
}

/* A run that started and never ended (a crash, SIGKILL, a reboot). `ours`: we hold the lock, so
 * no other run can be in progress. */
static void report_unfinished(const struct config *cfg, struct json_object *j, bool ours)
{
        char *line;
        long holder = 0;
        struct json_object *o, *v;

        /* Whoever holds the lock is running now, whatever the journal says. */
        if (!ours && lock_held(&cfg->settings, &holder)) {
                if (j)
                        json_object_object_add(j, "run_in_progress", json_object_new_int64(holder));
                else
                        log_notice("a run is in progress (pid %ld)", holder);
                return;
        }
        line = journal_unfinished_run(&cfg->settings);
        if (!line)
                return;
        o = json_tokener_parse(line);
        if (o) {
                const char *mode = json_object_object_get_ex(o, "detail", &v) ? json_object_get_string(v) : "?";
                const char *when = json_object_object_get_ex(o, "time", &v) ? json_object_get_string(v) : "?";
                if (j)
                        json_object_object_add(j, "interrupted_run", json_object_get(o));
                else
                        log_warning("the last run (%s, started %s) was interrupted and never finished: the node may be "
                                    "half-way; run `xhafw activate` or `xhafw deactivate` to converge",
                                    mode, when);
        }
        if (o)
                json_object_put(o);
        free(line);
}

/* The plan and the question, on the terminal: stdout when it is one, else stderr (stdout may be a
 * pipe to tee, or the --json document). Anything but yes or dry-run is no; an unanswerable
 * question (EOF) is no. Bounded: a terminal that keeps sending other words is asked 100 times. */
static bool ask(const struct config *cfg, const bool *sel, bool reverse, bool json, bool *ret_dry)
{
        FILE *t = !json && isatty(STDOUT_FILENO) ? stdout : stderr;
        char buf[64];

        fprintf(t, "%s plan (steps on one line run in parallel):\n", reverse ? "Deactivate" : "Activate");
        print_plan(cfg, sel, reverse, t);
        for (int tries = 0; tries < 100; tries++) {
                char *a;
                fprintf(t, "Continue? [y]es/[N]o/[d]ry-run ");
                fflush(t);
                if (!fgets(buf, sizeof buf, stdin))
                        return false;
                a = strip(buf);
                if (strcasecmp(a, "y") == 0 || strcasecmp(a, "yes") == 0)
                        return true;
                if (strcasecmp(a, "d") == 0 || strcasecmp(a, "dry-run") == 0) {
                        *ret_dry = true;
                        return true;
                }
                if (!*a || strcasecmp(a, "n") == 0 || strcasecmp(a, "no") == 0)
                        return false;
                fprintf(t, "please answer y, n or d\n");
        }
        return false;
}

static void print_dry_run(const struct config *cfg, const struct run_report *rep, bool reverse)
{
        for (size_t k = 0; k < cfg->n_steps; k++) {
                size_t i = cfg->order[reverse ? cfg->n_steps - 1 - k : k];
                const struct xhafw_step *st = cfg->steps[i];
                const struct step_report *r = &rep->steps[i];
                const char *blocked_by = NULL;

                if (r->outcome == OUT_NONE)
                        continue;
                if (r->outcome == OUT_DISABLED) {
                        printf("%s (%s): disabled\n", st->name, st->plugin_name);
                        continue;
                }
                if (!reverse && r->check_result < 0)
                        for (size_t a = 0; a < st->n_after; a++)
                                if (rep->steps[st->after_idx[a]].outcome == OUT_WOULD_APPLY)
                                        blocked_by = cfg->steps[st->after_idx[a]]->name;
                printf("%s (%s): ", st->name, st->plugin_name);
                if (blocked_by)
                        printf("INACTIVE (cannot be checked while %s is inactive)", blocked_by);
                else if (r->outcome == OUT_INACTIVE && r->reason)
                        printf("INACTIVE (%s)", r->reason);
                else
                        printf("%s", state_name(r->check_result));
                switch (r->outcome) {
                case OUT_WOULD_APPLY: printf(" -> would apply:\n"); break;
                case OUT_WOULD_REVERT: printf(" -> would revert:\n"); break;
                case OUT_ACTIVE: printf(reverse ? "\n" : ": nothing to do\n"); break;
                case OUT_INACTIVE: printf(reverse ? ": nothing to do\n" : "\n"); break;
                case OUT_BLOCKED: printf(" -> %s\n", r->reason ? r->reason : "not started"); break;
                default:
                        printf(" -> %s%s%s\n", step_outcome_name(r->outcome), r->reason ? ": " : "",
                               r->reason ? r->reason : "");
                }
                if (r->output)
                        for (const char *p = r->output; *p;) {
                                const char *nl = strchr(p, '\n');
                                int len = nl ? (int) (nl - p) : (int) strlen(p);
                                printf("    %.*s\n", len, p);
                                p = nl ? nl + 1 : p + len;
                        }
                else if (r->outcome == OUT_WOULD_APPLY || r->outcome == OUT_WOULD_REVERT)
                        printf("    (no command, file or address change announced by the plugin)\n");
        }
}

/* After a rehearsed failure: what a real run would do next, and what it would leave. */
static void print_rehearsal(const struct config *cfg, const struct run_options *ro, const struct run_report *rep,
                            bool deactivate)
{
        const struct xhafw_step *failed = cfg->steps[ro->inject - 1];

        if (!rep->inject_reached) {
                const struct step_report *r = &rep->steps[ro->inject - 1];
                printf("rehearsal: %s is never reached in this run (%s%s%s): it would not %s, so a failure there "
                       "cannot happen now; the run is the plan above\n",
                       failed->name, step_outcome_name(r->outcome), r->reason ? ": " : "", r->reason ? r->reason : "",
                       deactivate ? "revert" : "apply");
                return;
        }
        printf("rehearsal: %s (%s) fails: %s\n", failed->name, ro->inject_mode,
               rep->steps[ro->inject - 1].reason ? rep->steps[ro->inject - 1].reason : "injected");
        if (deactivate) {
                bool any = false;
                printf("  then the steps %s is after stay active (never unmount storage under a running database):",
                       failed->name);
                for (size_t k = 0; k < cfg->n_steps; k++) {
                        size_t i = cfg->order[k];
                        if (rep->steps[i].outcome == OUT_BLOCKED) {
                                printf(" %s", cfg->steps[i]->name);
                                any = true;
                        }
                }
                printf("%s\n  and deactivate exits 1, naming what is still active\n", any ? "" : " none");
                return;
        }
        if (!failed->critical) {
                printf("  %s is not critical: the activation goes on; steps after it are not started%s\n", failed->name,
                       rep->n_rehearsed_rollback ? ", and a critical one among them fails the activation:" : "");
        }
        if (!rep->n_rehearsed_rollback) {
                printf("  nothing would be rolled back\n");
                return;
        }
        printf("  starting nothing new, the run would roll back %u step%s, in this order:\n", rep->n_rehearsed_rollback,
               rep->n_rehearsed_rollback == 1 ? "" : "s");
        for (unsigned seq = 1; seq <= rep->n_rehearsed_rollback; seq++)
                for (size_t i = 0; i < cfg->n_steps; i++) {
                        const struct step_report *r = &rep->steps[i];
                        if (r->rollback_seq != seq)
                                continue;
                        printf("  %u. revert %s (%s)%s\n", seq, cfg->steps[i]->name, cfg->steps[i]->plugin_name,
                               i == ro->inject - 1 ? ": the failed step itself, which may have done part of its work" :
                                                     "");
                        if (r->output)
                                for (const char *p = r->output; *p;) {
                                        const char *nl = strchr(p, '\n');
                                        int len = nl ? (int) (nl - p) : (int) strlen(p);
                                        printf("       undoing: %.*s\n", len, p);
                                        p = nl ? nl + 1 : p + len;
                                }
                }
        printf("  and activate exits 1; the node is left as it was\n");
}

/* A step's state as status shows it: the check's answer, or DISABLED, or INACTIVE for a step whose
 * check was not needed. */
static const char *step_state(const struct step_report *r)
{
        return r->outcome == OUT_DISABLED ? "DISABLED" :
               r->outcome == OUT_INACTIVE ? "INACTIVE" :
                                            state_name(r->check_result);
}

static const char *node_state(int status_rc)
{
        return status_rc == XHAFW_EXIT_OK ? "ACTIVE" : status_rc == XHAFW_EXIT_INACTIVE ? "INACTIVE" : "MIXED";
}

static struct json_object *steps_json(const struct config *cfg, const struct run_report *rep, bool with_state)
{
        struct json_object *a = json_object_new_array();
        for (size_t k = 0; k < cfg->n_steps; k++) {
                size_t i = cfg->order[k];
                const struct step_report *r = &rep->steps[i];
                struct json_object *o = json_object_new_object();
                json_object_object_add(o, "name", jstr(cfg->steps[i]->name));
                json_object_object_add(o, "plugin", jstr(cfg->steps[i]->plugin_name));
                json_object_object_add(o, "outcome", jstr(step_outcome_name(r->outcome)));
                if (with_state)
                        json_object_object_add(o, "state", jstr(step_state(r)));
                if (r->was_failed)
                        json_object_object_add(o, "failed", json_object_new_boolean(true));
                if (r->rollback_seq)
                        json_object_object_add(o, "rollback_order", json_object_new_int((int) r->rollback_seq));
                if (r->reason)
                        json_object_object_add(o, "reason", jstr(r->reason));
                if (r->output)
                        json_object_object_add(o, "output", jstr(r->output));
                json_object_object_add(o, "critical", json_object_new_boolean(cfg->steps[i]->critical));
                json_object_object_add(o, "seconds", json_object_new_double((double) r->elapsed_us / 1e6));
                json_object_array_add(a, o);
        }
        return a;
}

static int run_exit_code(const struct run_options *ro, const struct run_report *rep)
{
        if (ro->mode == RUN_ACTIVATE) {
                if (rep->interrupted)
                        return XHAFW_EXIT_FAILED;
                if (rep->aborted)
                        return rep->n_refused ? XHAFW_EXIT_REFUSED : XHAFW_EXIT_FAILED;
                return XHAFW_EXIT_OK;
        }
        return rep->interrupted || rep->n_failed || rep->n_left ? XHAFW_EXIT_FAILED : XHAFW_EXIT_OK;
}

static void print_summary(const struct config *cfg, const struct run_options *ro, const struct run_report *rep, int rc)
{
        bool act = ro->mode == RUN_ACTIVATE;
        unsigned already = 0, blocked = 0;

        for (size_t i = 0; i < cfg->n_steps; i++) {
                enum step_outcome o = rep->steps[i].outcome;
                already += o == (act ? OUT_ACTIVE : OUT_INACTIVE);
                blocked += o == OUT_BLOCKED && !rep->steps[i].changed; /* a step the rollback kept was started */
        }
        if (rc == XHAFW_EXIT_OK)
                printf("%s: done in %.3fs: %u step%s %s, %u already %s%s\n", act ? "activate" : "deactivate",
                       (double) rep->elapsed_us / 1e6, rep->n_changed, rep->n_changed == 1 ? "" : "s",
                       act ? "applied" : "reverted", already, act ? "active" : "inactive",
                       rep->n_failed ? " (some non-critical steps failed: see above)" : "");
        else {
                printf("%s: %s after %.3fs: %u failed, %u not started\n", act ? "activate" : "deactivate",
                       rc == XHAFW_EXIT_REFUSED ? "REFUSED by a safety check" :
                       rep->interrupted         ? "INTERRUPTED" :
                                                  "FAILED",
                       (double) rep->elapsed_us / 1e6, rep->n_failed, blocked);
                if (act && rep->n_rolled_back)
                        printf("  rolled back %u step%s\n", rep->n_rolled_back, rep->n_rolled_back == 1 ? "" : "s");
                if (rep->n_left) {
                        printf("  still %s on this node:", act ? "changed" : "active");
                        for (size_t k = 0; k < cfg->n_steps; k++) {
                                size_t i = cfg->order[k];
                                enum step_outcome o = rep->steps[i].outcome;
                                if (act ? rep->steps[i].changed :
                                          (o == OUT_FAILED || o == OUT_ROLLBACK_FAILED || o == OUT_BLOCKED ||
                                           o == OUT_ACTIVE || o == OUT_PARTIAL || o == OUT_UNKNOWN))
                                        /* a step the rollback had to leave says so: "applied, kept" */
                                        printf(" %s (%s)", cfg->steps[i]->name,
                                               act && o == OUT_BLOCKED ? "applied, kept: a step after it could not be "
                                                                         "reverted" :
                                                                         step_outcome_name(o));
                        }
                        printf("\n  check with `xhafw status`; fix the cause and run %s again\n",
                               act ? "activate (or deactivate)" : "deactivate");
                }
                if (rc == XHAFW_EXIT_REFUSED)
                        printf("  nothing was forced: resolve the conflict, or use --force if you are sure\n");
        }
}

/* Before a real run changes anything: the lock (one run at a time) and the journal's run-start. */
static int run_begin(struct config *cfg, bool deactivate)
{
        long holder = 0;
        int r = lock_take(&cfg->settings, &holder);

        if (r == -EBUSY) {
                log_error("another xhafw run holds the lock %s/lock (pid %ld): wait for it to end",
                          cfg->settings.state_dir, holder);
                return XHAFW_EXIT_LOCKED;
        }
        if (r < 0) /* a state directory others could write is the admin's to fix: nothing changed */
                return r == -EPERM ? XHAFW_EXIT_CONFIG : XHAFW_EXIT_FAILED;
        if (journal_open(&cfg->settings) < 0)
                return XHAFW_EXIT_FAILED;
        report_unfinished(cfg, NULL, true);
        journal_run_start(cfg, deactivate ? "deactivate" : "activate");
        return 0;
}

static void run_render(const struct config *cfg, const struct run_options *ro, const struct run_report *rep,
                       const struct global_options *g, bool deactivate, int r)
{
        if (g->json) {
                struct json_object *o = json_object_new_object();
                json_object_object_add(o, "command", jstr(deactivate ? "deactivate" : "activate"));
                json_object_object_add(o, "dry_run", json_object_new_boolean(ro->dry_run));
                json_object_object_add(o, "exit", json_object_new_int(r));
                json_object_object_add(o, "seconds", json_object_new_double((double) rep->elapsed_us / 1e6));
                json_object_object_add(o, "interrupted", json_object_new_boolean(rep->interrupted));
                json_object_object_add(o, "rolled_back", json_object_new_int((int) rep->n_rolled_back));
                json_object_object_add(o, "steps", steps_json(cfg, rep, ro->dry_run));
                json_print(o);
        } else if (ro->dry_run) {
                printf("dry-run of %s: nothing is changed; checks ran for real%s\n",
                       deactivate ? "deactivate" : "activate",
                       deactivate ? "" : "; later steps assume earlier ones succeed");
                print_dry_run(cfg, rep, deactivate);
                if (ro->inject)
                        print_rehearsal(cfg, ro, rep, deactivate);
        } else if (!g->quiet || r)
                print_summary(cfg, ro, rep, r);
}

/* The command line's selection (--only, --inject) and the answer at the prompt. */
static int run_prepare(struct config *cfg, const struct global_options *g, const struct run_command *rc_opts,
                       struct run_options *ro, bool **sel)
{
        int r = parse_only(cfg, rc_opts->only, sel);

        if (r)
                return r;
        ro->selected = *sel;
        if (rc_opts->inject && (r = parse_inject(cfg, rc_opts->inject, ro)))
                return r;
        /* On a terminal (stdin: where the answer comes from) without --yes, ask. */
        if (!ro->dry_run && !rc_opts->yes && isatty(STDIN_FILENO) &&
            !ask(cfg, *sel, rc_opts->deactivate, g->json, &ro->dry_run)) {
                /* Not a failed step (1): the admin declined, and nothing was changed. */
                if (g->json)
                        log_notice("cancelled at the prompt: nothing was changed");
                else
                        printf("cancelled: nothing was changed\n");
                return XHAFW_EXIT_CONFIG;
        }
        return 0;
}

int cmd_run(const struct global_options *g, const struct run_command *rc_opts)
{
        struct config cfg;
        struct run_options ro = { .mode = rc_opts->deactivate ? RUN_DEACTIVATE : RUN_ACTIVATE,
                                  .dry_run = rc_opts->dry_run,
                                  .force = rc_opts->force,
                                  .no_rollback = rc_opts->no_rollback,
                                  .json = g->json,
                                  .quiet = g->quiet };
        struct run_report rep;
        bool *sel = NULL;
        int r;

        r = commands_load(&cfg, g, false);
        if (r == 0)
                r = run_prepare(&cfg, g, rc_opts, &ro, &sel);
        if (r == 0 && !ro.dry_run)
                r = run_begin(&cfg, rc_opts->deactivate);
        if (r)
                goto out;
        if (engine_run(&cfg, &ro, &rep) < 0) {
                r = XHAFW_EXIT_FAILED;
                goto out;
        }
        /* A dry-run exits as the run would, as far as it can tell: 6 if a safety check would
         * refuse, 1 if a step would fail; a rehearsal whose failure was reached, as the run with
         * that failure would (a non-critical step's failure is exit 0). */
        if (!ro.dry_run || rep.inject_reached)
                r = run_exit_code(&ro, &rep);
        else
                r = rep.n_refused ? XHAFW_EXIT_REFUSED : rep.n_failed ? XHAFW_EXIT_FAILED : XHAFW_EXIT_OK;
        if (!ro.dry_run) {
                char detail[64];
                snprintf(detail, sizeof detail, "%s exit=%d", rc_opts->deactivate ? "deactivate" : "activate", r);
                journal_event("run-end", NULL, detail);
                journal_close();
        }
        run_render(&cfg, &ro, &rep, g, rc_opts->deactivate, r);
        run_report_free(&rep, cfg.n_steps);
out:
        free(sel);
        config_free(&cfg);
        return r;
}

int status_exit_code(const struct config *cfg, const struct run_report *rep)
{
        unsigned n_active = 0, n_other = 0, n_crit_active = 0, n_crit = 0;

        for (size_t i = 0; i < cfg->n_steps; i++) {
                enum step_outcome o = rep->steps[i].outcome;
                if (o == OUT_DISABLED)
                        continue;
                n_active += o == OUT_ACTIVE;
                n_other += o != OUT_ACTIVE && o != OUT_INACTIVE;
                if (cfg->steps[i]->critical) {
                        n_crit++;
                        n_crit_active += o == OUT_ACTIVE;
                }
        }
        /* All critical steps active is "running" (a non-critical step down is reported, not fatal);
         * all inactive is "not running"; anything else is mixed. */
        return n_crit_active == n_crit && n_crit > 0 ? XHAFW_EXIT_OK :
               n_active == 0 && n_other == 0         ? XHAFW_EXIT_INACTIVE :
                                                       XHAFW_EXIT_MIXED;
}

/* Text and JSON of the commands below are both rendered from one report model: a JSON object
 * built once by the command's *_model() function; under --json it is printed as it is, else
 * the *_text() function renders it. (activate and deactivate render struct run_report, their
 * model, in print_summary/print_dry_run and steps_json.) */
static const char *jget_str(struct json_object *o, const char *key)
{
        struct json_object *v;
        return json_object_object_get_ex(o, key, &v) && v ? json_object_get_string(v) : NULL;
}

static int64_t jget_int(struct json_object *o, const char *key)
{
        struct json_object *v;
        return json_object_object_get_ex(o, key, &v) && v ? json_object_get_int64(v) : 0;
}

static bool jget_bool(struct json_object *o, const char *key)
{
        struct json_object *v;
        return json_object_object_get_ex(o, key, &v) && v && json_object_get_boolean(v);
}

static struct json_object *status_model(const struct config *cfg, const struct run_report *rep, int r)
{
        struct json_object *o = json_object_new_object();

        json_object_object_add(o, "command", jstr("status"));
        json_object_object_add(o, "state", jstr(node_state(r)));
        json_object_object_add(o, "exit", json_object_new_int(r));
        json_object_object_add(o, "steps", steps_json(cfg, rep, true));
        report_unfinished(cfg, o, false);
        return o;
}

static void status_text(struct json_object *m)
{
        struct json_object *steps = json_object_object_get(m, "steps"), *v;
        unsigned n_active = 0, n_inactive = 0, n_other = 0;

        printf("%-20s %-14s %-9s %s\n", "STEP", "PLUGIN", "STATE", "DETAIL");
        for (size_t k = 0; k < json_object_array_length(steps); k++) {
                struct json_object *st = json_object_array_get_idx(steps, k);
                const char *state = jget_str(st, "state"), *reason = jget_str(st, "reason");
                if (strcmp(state, "DISABLED") == 0)
                        state = "disabled";
                else {
                        const char *out = jget_str(st, "outcome");
                        n_active += strcmp(out, "active") == 0;
                        n_inactive += strcmp(out, "inactive") == 0;
                        n_other += strcmp(out, "active") != 0 && strcmp(out, "inactive") != 0;
                }
                printf("%-20s %-14s %-9s %s%s\n", jget_str(st, "name"), jget_str(st, "plugin"), state,
                       reason ? reason : "", jget_bool(st, "critical") ? "" : " (non-critical)");
        }
        printf("node: %s (%u active, %u inactive, %u other)\n", jget_str(m, "state"), n_active, n_inactive, n_other);
        if (json_object_object_get_ex(m, "run_in_progress", &v))
                log_notice("a run is in progress (pid %" PRId64 ")", json_object_get_int64(v));
        else if (json_object_object_get_ex(m, "interrupted_run", &v)) {
                const char *mode = jget_str(v, "detail"), *when = jget_str(v, "time");
                log_warning("the last run (%s, started %s) was interrupted and never finished: the node may be "
                            "half-way; run `xhafw activate` or `xhafw deactivate` to converge",
                            mode ? mode : "?", when ? when : "?");
        }
}

int cmd_status(const struct global_options *g)
{
        struct overrides ov = commands_overrides(g);
        struct run_options ro = { .mode = RUN_STATUS, .json = g->json, .quiet = true };
        struct config cfg;
        struct run_report rep;
        struct json_object *m;
        int r;

        ov.lenient_plugins = true;

        if (config_load(&cfg, &ov) < 0) {
                log_error("configuration errors: fix them (`xhafw validate`)");
                config_free(&cfg);
                return XHAFW_EXIT_CONFIG;
        }
        if (engine_run(&cfg, &ro, &rep) < 0) {
                config_free(&cfg);
                return XHAFW_EXIT_FAILED;
        }
        r = status_exit_code(&cfg, &rep);
        m = status_model(&cfg, &rep, r);
        if (g->json)
                json_print(m);
        else {
                status_text(m);
                json_object_put(m);
        }
        run_report_free(&rep, cfg.n_steps);
        config_free(&cfg);
        return r;
}

int cmd_validate(const struct global_options *g)
{
        struct config cfg;
        int r = commands_load(&cfg, g, false);

        if (r == 0) {
                unsigned n_enabled = 0;
                for (size_t i = 0; i < cfg.n_steps; i++)
                        n_enabled += cfg.steps[i]->enabled;
                if (g->json) {
                        struct json_object *o = json_object_new_object();
                        json_object_object_add(o, "command", jstr("validate"));
                        json_object_object_add(o, "valid", json_object_new_boolean(true));
                        json_object_object_add(o, "steps", json_object_new_int((int) cfg.n_steps));
                        json_object_object_add(o, "activate_levels", plan_json(&cfg, NULL, false));
                        json_print(o);
                } else {
                        printf("configuration is valid: %zu steps (%u enabled) from %s\n", cfg.n_steps, n_enabled,
                               cfg.settings.conf_d);
                        printf("activate plan (steps on one line run in parallel; deactivate runs it bottom-up):\n");
                        print_plan(&cfg, NULL, false, stdout);
                }
        } else if (g->json) {
                struct json_object *o = json_object_new_object();
                json_object_object_add(o, "command", jstr("validate"));
                json_object_object_add(o, "valid", json_object_new_boolean(false));
                json_object_object_add(o, "errors", json_object_new_int((int) cfg.n_errors));
                json_print(o);
        }
        config_free(&cfg);
        return r;
}

static struct json_object *plugin_model(const struct plugin *p)
{
        struct json_object *j = json_object_new_object(), *a = json_object_new_array();

        json_object_object_add(j, "plugin", jstr(p->name));
        json_object_object_add(j, "version", jstr(p->def->version));
        json_object_object_add(j, "summary", jstr(p->def->summary));
        json_object_object_add(j, "file", jstr(p->file));
        for (const struct xhafw_option *o = p->def->options; o && o->name; o++) {
                struct json_object *x = json_object_new_object();
                json_object_object_add(x, "name", jstr(o->name));
                json_object_object_add(x, "type", jstr(option_type_name(o->type)));
                json_object_object_add(x, "required", json_object_new_boolean(o->required));
                json_object_object_add(x, "default", jstr(o->default_value));
                json_object_object_add(x, "help", jstr(o->help));
                json_object_array_add(a, x);
        }
        json_object_object_add(j, "options", a);
        return j;
}

static const char * or (const char *s, const char *dflt)
{
        return s ? s : dflt;
}

static void plugin_text(struct json_object *m)
{
        struct json_object *opts = json_object_object_get(m, "options");

        printf("plugin %s %s: %s\n  file: %s\n", jget_str(m, "plugin"), or (jget_str(m, "version"), "?"),
               or (jget_str(m, "summary"), ""), jget_str(m, "file"));
        printf("  %-18s %-10s %-9s %-16s %s\n", "OPTION", "TYPE", "REQUIRED", "DEFAULT", "HELP");
        for (size_t k = 0; k < json_object_array_length(opts); k++) {
                struct json_object *o = json_object_array_get_idx(opts, k);
                printf("  %-18s %-10s %-9s %-16s %s\n", jget_str(o, "name"), jget_str(o, "type"),
                       jget_bool(o, "required") ? "yes" : "no", or (jget_str(o, "default"), "-"),
                       or (jget_str(o, "help"), ""));
        }
        printf("  core keys of every step: plugin, after (list), timeout (duration), critical (bool), enabled (bool)\n");
}

/* A step as configured, and what its plugin's describe() says it manages. "option_origins" says
 * where each option's value comes from: FILE:LINE, "default" or "not set". */
static struct json_object *step_model(const struct xhafw_step *st, const struct step_report *sr)
{
        struct json_object *j = json_object_new_object(), *opts = json_object_new_object(),
                           *origins = json_object_new_object(), *after = json_object_new_array();

        json_object_object_add(j, "step", jstr(st->name));
        json_object_object_add(j, "plugin", jstr(st->plugin_name));
        json_object_object_add(j, "plugin_file", jstr(st->plugin->file));
        json_object_object_add(j, "file", jstr(st->file));
        json_object_object_add(j, "line", json_object_new_int((int) st->line));
        for (size_t a = 0; a < st->n_after; a++)
                json_object_array_add(after, jstr(st->after[a]));
        json_object_object_add(j, "after", after);
        json_object_object_add(j, "timeout_ms", json_object_new_int64((int64_t) st->timeout_ms));
        json_object_object_add(j, "critical", json_object_new_boolean(st->critical));
        json_object_object_add(j, "enabled", json_object_new_boolean(st->enabled));
        for (size_t i = 0; i < st->n_opts; i++) {
                const struct step_option *o = &st->opts[i];
                json_object_object_add(opts, o->schema->name, jstr(o->value));
                char *where = o->line ? xasprintf("%s:%u", o->file ? o->file : st->file, o->line) : NULL;
                json_object_object_add(origins, o->schema->name,
                                       jstr(where    ? where :
                                            o->value ? "default" :
                                                       "not set"));
                free(where);
        }
        json_object_object_add(j, "options", opts);
        json_object_object_add(j, "option_origins", origins);
        json_object_object_add(j, "describe", jstr(sr->output));
        return j;
}

static void step_text(struct json_object *m)
{
        struct json_object *after = json_object_object_get(m, "after"),
                           *origins = json_object_object_get(m, "option_origins");
        size_t n_after = json_object_array_length(after);

        printf("step %s (plugin %s, %s)\n  defined at %s:%" PRId64 "\n", jget_str(m, "step"), jget_str(m, "plugin"),
               jget_str(m, "plugin_file"), jget_str(m, "file"), jget_int(m, "line"));
        printf("  after:    ");
        for (size_t a = 0; a < n_after; a++)
                printf("%s%s", a ? ", " : "", json_object_get_string(json_object_array_get_idx(after, a)));
        printf("%s\n  timeout:  %.3fs\n  critical: %s\n  enabled:  %s\n", n_after ? "" : "-",
               (double) jget_int(m, "timeout_ms") / 1000, jget_bool(m, "critical") ? "yes" : "no",
               jget_bool(m, "enabled") ? "yes" : "no");
        json_object_object_foreach(json_object_object_get(m, "options"), name, value)
        {
                printf("  %-18s = %s    (%s)\n", name, value ? json_object_get_string(value) : "(unset)",
                       jget_str(origins, name));
        }
        if (jget_str(m, "describe"))
                printf("manages:\n%s", jget_str(m, "describe"));
}

static void render(struct json_object *m, bool json, void (*text)(struct json_object *))
{
        if (json)
                json_print(m);
        else {
                text(m);
                json_object_put(m);
        }
}

/* A sink for the loader's messages where a broken configuration is not the point (describe of a
 * plugin, list-plugins). */
static void discard(void *ctx, int priority, const char *message)
{
        (void) ctx, (void) priority, (void) message;
}

/* describe STEP: the step's plugin's describe() through the engine, as for any action. */
static int describe_step(struct config *cfg, struct xhafw_step *st, bool json)
{
        struct run_options ro = { .mode = RUN_DESCRIBE, .quiet = true };
        size_t i = (size_t) config_step_index(cfg, st->name);
        struct run_report rep;
        bool *sel = xcalloc(cfg->n_steps, sizeof *sel);
        int r = XHAFW_EXIT_FAILED;

        sel[i] = true;
        ro.selected = sel;
        if (engine_run(cfg, &ro, &rep) == 0) {
                r = rep.steps[i].outcome == OUT_FAILED ? XHAFW_EXIT_FAILED : XHAFW_EXIT_OK;
                render(step_model(st, &rep.steps[i]), json, step_text);
                run_report_free(&rep, cfg->n_steps);
        }
        free(sel);
        return r;
}

int cmd_describe(const struct global_options *g, const char *name)
{
        struct overrides ov = commands_overrides(g);
        struct config cfg;
        struct xhafw_step *st;
        struct plugin *p;
        int r;

        ov.sink = discard;

        /* A plugin can be described while the configuration is still incomplete. */
        r = config_load(&cfg, &ov);
        ov.sink = NULL;
        st = config_find_step(&cfg, name);
        if (st && r < 0) {
                config_free(&cfg);
                config_load(&cfg, &ov); /* again, to show the errors */
                r = XHAFW_EXIT_CONFIG;
        } else if (st)
                r = describe_step(&cfg, st, g->json);
        else if ((p = plugin_get(&cfg, name))->error) {
                log_error("'%s' is neither a step of %s nor a usable plugin: %s", name, cfg.settings.conf_d, p->error);
                r = XHAFW_EXIT_CONFIG;
        } else {
                render(plugin_model(p), g->json, plugin_text);
                r = XHAFW_EXIT_OK;
        }
        config_free(&cfg);
        return r;
}

static int so_filter(const struct dirent *de)
{
        size_t n = strlen(de->d_name);
        return de->d_name[0] != '.' && n > 3 && strcmp(de->d_name + n - 3, ".so") == 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
        return strcmp((*a)->d_name, (*b)->d_name);
}

/* One file of the plugin path: loaded (never called), and the steps that use it unless an earlier
 * directory's file of the same name shadows it. */
static struct json_object *plugin_file_model(const struct config *cfg, const char *dir, const char *d_name,
                                             bool shadowed)
{
        struct json_object *o = json_object_new_object();
        struct plugin p = { 0 };
        char *file = xasprintf("%s/%s", dir, d_name);
        char steps[1024] = "";
        size_t used = 0;

        p.name = xasprintf("%.*s", (int) strlen(d_name) - 3, d_name);
        plugin_load_file(file, &p);
        for (size_t s = 0; s < cfg->n_steps && !shadowed; s++)
                if (strcmp(cfg->steps[s]->plugin_name, p.name) == 0 && used < sizeof steps - 70)
                        used += (size_t) snprintf(steps + used, sizeof steps - used, "%s%s", used ? ", " : "",
                                                  cfg->steps[s]->name);
        json_object_object_add(o, "name", jstr(p.name));
        json_object_object_add(o, "file", jstr(file));
        if (p.def) {
                json_object_object_add(o, "version", jstr(p.def->version));
                json_object_object_add(o, "abi", json_object_new_int((int) p.def->abi));
                json_object_object_add(o, "summary", jstr(p.def->summary));
        }
        json_object_object_add(o, "shadowed", json_object_new_boolean(shadowed));
        json_object_object_add(o, "steps", jstr(steps));
        if (p.error)
                json_object_object_add(o, "error", jstr(p.error));
        free(p.name);
        free(p.file);
        free(p.error);
        free(file);
        return o;
}

static struct json_object *plugins_model(const struct config *cfg)
{
        struct json_object *arr = json_object_new_array(), *o = json_object_new_object();
        char *path = strdup_or_die(cfg->settings.plugin_path ? cfg->settings.plugin_path : ""), *save = NULL;
        struct strmap seen = { 0 }; /* names of the earlier directories' plugins; keys in `kept` */
        char **kept = NULL;
        size_t n_kept = 0;

        for (char *dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                struct dirent **names = NULL;
                int n = *dir ? scandir(dir, &names, so_filter, by_name) : -1;
                for (int k = 0; k < n; k++) {
                        const char *name = names[k]->d_name;
                        bool shadowed = strmap_get(&seen, name, NULL);
                        json_object_array_add(arr, plugin_file_model(cfg, dir, name, shadowed));
                        if (!shadowed) {
                                char **grown = realloc(kept, (n_kept + 1) * sizeof *kept);
                                if (!grown)
                                        abort();
                                kept = grown;
                                kept[n_kept] = strdup_or_die(name);
                                strmap_put(&seen, kept[n_kept++], NULL);
                        }
                        free(names[k]);
                }
                free(names);
        }
        strmap_free(&seen);
        for (size_t k = 0; k < n_kept; k++)
                free(kept[k]);
        free(kept);
        free(path);
        json_object_object_add(o, "command", jstr("list-plugins"));
        json_object_object_add(o, "plugins", arr);
        return o;
}

static void plugins_text(struct json_object *m)
{
        struct json_object *arr = json_object_object_get(m, "plugins");
        int bad = 0;

        printf("%-16s %-8s %-4s %-40s %s\n", "PLUGIN", "VERSION", "ABI", "FILE", "SUMMARY / STEPS");
        for (size_t k = 0; k < json_object_array_length(arr); k++) {
                struct json_object *e = json_object_array_get_idx(arr, k);
                const char *steps = jget_str(e, "steps");
                if (jget_str(e, "error")) {
                        printf("%-16s %-8s %-4s %-40s BROKEN: %s\n", jget_str(e, "name"), "-", "-", jget_str(e, "file"),
                               jget_str(e, "error"));
                        bad++;
                        continue;
                }
                printf("%-16s %-8s %-4" PRId64 " %-40s %s%s%s%s%s\n", jget_str(e, "name"),
                       or (jget_str(e, "version"), "?"), jget_int(e, "abi"), jget_str(e, "file"),
                       or (jget_str(e, "summary"), ""),
                       jget_bool(e, "shadowed") ? " [shadowed by an earlier directory of the plugin path]" : "",
                       *steps ? " [steps: " : "", steps, *steps ? "]" : "");
        }
        if (bad)
                log_warning("%d plugin file%s on the plugin path cannot be used (see BROKEN above)", bad,
                            bad == 1 ? "" : "s");
}

int cmd_list_plugins(const struct global_options *g)
{
        struct overrides ov = commands_overrides(g);
        struct config cfg;

        ov.lenient_plugins = true;
        ov.sink = discard;

        config_load(&cfg, &ov);
        render(plugins_model(&cfg), g->json, plugins_text);
        config_free(&cfg);
        return XHAFW_EXIT_OK;
}

int cmd_cat_config(const struct global_options *g)
{
        struct overrides ov = commands_overrides(g);
        struct config cfg;
        char *buf = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        ov.lenient_plugins = true;
        r = config_load(&cfg, &ov) < 0 ? XHAFW_EXIT_CONFIG : XHAFW_EXIT_OK;
        /* what was read is shown even when it has errors: that is when it is wanted most */
        f = open_memstream(&buf, &len);
        if (!f)
                abort();
        config_print(&cfg, f);
        fclose(f);
        if (g->json) {
                struct json_object *o = json_object_new_object();
                json_object_object_add(o, "command", jstr("cat-config"));
                json_object_object_add(o, "text", jstr(buf));
                json_print(o);
        } else
                fputs(buf, stdout);
        free(buf);
        config_free(&cfg);
        return r;
}
