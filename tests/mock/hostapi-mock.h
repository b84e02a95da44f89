/* A host API for a plugin's unit tests: what the xhafw binary gives a plugin, from tables a test fills.
 *
 * A plugin's test links the plugin's source with this library instead of the xhafw binary. It builds
 * a step from a table of option values (typed and defaulted as the plugin's schema says, refused as
 * the configuration loader would refuse them), tells xhafw_run and xhafw_service what each command
 * answers, runs the plugin's check/apply/revert/describe/validate/preflight through the wrappers
 * below, then asserts on what the plugin did: the messages it logged, the commands it ran, the files
 * it replaced (only ever inside the step's temporary directory), its state store, its preflight
 * reports. Nothing reaches the system: no command runs, the clock and sleeps are the mock's own.
 *
 * Mistakes in a test (an option the schema lacks, a value the loader would refuse) fail the test
 * with ck_abort_msg(); so does a plugin asking for an option it did not declare. */
#ifndef XHAFW_HOSTAPI_MOCK_H
#define XHAFW_HOSTAPI_MOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xhafw/plugin.h"

/* One option value of a step; a table of them ends with { NULL, NULL }. "@TMP@" in a value stands
 * for the step's temporary directory, so a static table can name files in it. An empty value is
 * unset, as "key =" is in a configuration file: the default applies. */
struct mock_option {
        const char *name, *value;
};

/* What a command answers: ARGV is the command line, its words joined by single blanks ("lsdef -t
 * network -o net1 -i mgtifname"); STATUS its exit status (or a -errno: it could not be run); OUTPUT
 * its stdout and stderr (NULL: none). "@TMP@" in ARGV and OUTPUT is the step's temporary directory,
 * as in option values. ONCE: used up by the first run it answers, so that a later entry for the
 * same line answers the next one. A table ends with { .argv = NULL }. */
struct mock_command {
        const char *argv;
        int status;
        const char *output;
        bool once;
};

/* What a plugin's command did, in the order it ran. */
struct mock_run {
        char *argv;     /* its words joined by single blanks */
        unsigned flags; /* as given to xhafw_run */
        bool executed;  /* false: dry-run only said "would run" */
};

/* What a plugin handed xhafw_file_replace. */
struct mock_file {
        char *path, *content;
        bool changed; /* the content differed from the file's */
        bool written; /* it is in the file now (not dry-run, not refused) */
};

/* The priority of what the core prints on stdout for a dry-run ("would run: ...", a file's change),
 * which the mock keeps in the log with the plugin's messages. */
#define MOCK_PRINTED 8

struct mock_log {
        int priority; /* LOG_ERR ... LOG_DEBUG, or MOCK_PRINTED */
        char *text;
};

/* One xhafw_preflight_check() report. */
struct mock_report {
        char *check, *detail, *fix;
        enum xhafw_check_result result;
};

/* A step of PLUGIN named NAME with the options OPTS (may be NULL) and a new temporary directory.
 * Free it with mock_step_free(), which removes the directory. */
struct xhafw_step *mock_step_new(const struct xhafw_plugin *plugin, const char *name, const struct mock_option *opts);
struct xhafw_step *mock_step_free(struct xhafw_step *step);

/* The step's temporary directory, NAME in it, and TEXT with "@TMP@" replaced by it (owned by the step). */
const char *mock_dir(const struct xhafw_step *step);
const char *mock_path(struct xhafw_step *step, const char *name);
const char *mock_expand(struct xhafw_step *step, const char *text);
/* Writes and reads a file of the temporary directory (NAME relative to it, or an absolute path in it,
 * "@TMP@" standing for it, as for every NAME and PATH of these functions);
 * mock_read_file returns NULL when it does not exist (free() the text). */
void mock_write_file(struct xhafw_step *step, const char *name, const char *content);
char *mock_read_file(struct xhafw_step *step, const char *name);

/* Sets (value NULL: unsets) one option after the step was made, typed as at mock_step_new(). */
void mock_set_option(struct xhafw_step *step, const char *name, const char *value);
void mock_set_dry_run(struct xhafw_step *step, bool dry_run);
void mock_set_force(struct xhafw_step *step, bool force);
void mock_set_node_active(struct xhafw_step *step, bool active);

/* Commands: the table is consulted in order after the handler, which may answer first (return an
 * exit status or -errno, and set *ret_output to a malloc()ed text or leave it NULL) or pass with
 * MOCK_PASS. A command nothing answers fails as a missing one does (-ENOENT, logged). */
#define MOCK_PASS (-100000)
void mock_set_commands(struct xhafw_step *step, const struct mock_command *table);
void mock_set_handler(struct xhafw_step *step,
                      int (*fn)(struct xhafw_step *step, const char *const argv[], char **ret_output, void *arg),
                      void *arg);
size_t mock_runs(const struct xhafw_step *step, const struct mock_run **ret);
/* How many runs had exactly the command line ARGV (executed or not). */
size_t mock_ran(const struct xhafw_step *step, const char *argv);
/* The service manager's argv prefix (default "systemctl"), as service_manager = in xhafw.conf. */
void mock_set_service_manager(struct xhafw_step *step, const char *argv0);

/* Files: what xhafw_file_replace was given; a path in FAIL (with mock_file_fail) fails with ERR. */
size_t mock_files(const struct xhafw_step *step, const struct mock_file **ret);
void mock_file_fail(struct xhafw_step *step, const char *path, int err);

/* The state store, as the next action would see it. */
const char *mock_state_get(const struct xhafw_step *step, const char *key);
void mock_state_set(struct xhafw_step *step, const char *key, const char *value);
size_t mock_state_count(const struct xhafw_step *step);
/* Every xhafw_state_set() from now on fails with ERR (a full or read-only state_dir); 0 ends it. */
void mock_state_fail(struct xhafw_step *step, int err);

/* The log: every xhafw_log line with its priority, and what a dry-run printed. PRIORITY -1 matches
 * any; TEXT is a substring (NULL matches any), "@TMP@" in it the step's temporary directory. */
size_t mock_logs(const struct xhafw_step *step, const struct mock_log **ret);
const char *mock_log_find(const struct xhafw_step *step, int priority, const char *text);
size_t mock_log_count(const struct xhafw_step *step, int priority, const char *text);
/* The log, one "PRIORITY: text" line each, for a failure message (owned by the step). */
const char *mock_log_text(struct xhafw_step *step);
/* Forget the log, the runs and the files recorded so far (the state store stays). */
void mock_clear(struct xhafw_step *step);

/* Preflight reports. */
size_t mock_reports(const struct xhafw_step *step, const struct mock_report **ret);
/* The last report of the check named CHECK, or NULL. */
const struct mock_report *mock_report_find(const struct xhafw_step *step, const char *check);
const char *mock_fact(const struct xhafw_step *step, const char *key);

/* The clock (one for the process, as xhafw_now_ms() takes no step): it starts at 1000000 ms and
 * moves only by xhafw_sleep_ms(), a bounded stat that times out, and this. */
void mock_clock_advance(uint64_t ms);
/* xhafw_stat_bounded: real stat() in this process, but PATH does not answer (-ETIMEDOUT). */
void mock_stat_hang(struct xhafw_step *step, const char *path);
/* xhafw_background: what was started (fn ran at once, unless dry-run); 0 when nothing. */
size_t mock_background_count(const struct xhafw_step *step, const char *what);

/* The plugin's members, each as one action of the core: the state store's dry-run changes are gone
 * when the action ends, as they are when the core's action process exits. mock_describe captures
 * what describe wrote (free() it); ret_text may be NULL. A member the plugin lacks returns
 * -EOPNOTSUPP (validate and preflight: 0, as the core treats them). */
int mock_check(struct xhafw_step *step);
int mock_apply(struct xhafw_step *step);
int mock_revert(struct xhafw_step *step);
int mock_validate(struct xhafw_step *step);
int mock_preflight(struct xhafw_step *step);
int mock_describe(struct xhafw_step *step, char **ret_text);

#endif
