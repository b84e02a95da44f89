/* The commands of the xhafw binary, called by main() after option parsing. */
#ifndef XHAFW_COMMANDS_H
#define XHAFW_COMMANDS_H

#include "core.h"

struct json_object;

/* Exit codes: DESIGN §6; public, scripts and the OCF agent depend on them. */
enum {
        XHAFW_EXIT_OK = 0,
        XHAFW_EXIT_FAILED = 1,
        XHAFW_EXIT_CONFIG = 2,
        XHAFW_EXIT_INACTIVE = 3,
        XHAFW_EXIT_MIXED = 4,
        XHAFW_EXIT_LOCKED = 5,
        XHAFW_EXIT_REFUSED = 6,
};

struct global_options {
        const char *config_file;
        const char *conf_d;
        const char *plugin_path;
        const char *state_dir;
        unsigned jobs;
        bool json;
        bool quiet;
};

struct run_command {
        bool deactivate;
        bool dry_run;
        bool yes;
        bool no_rollback;
        bool force;
        const char *only;
        const char *inject; /* --inject STEP[=fail|hang|crash] (with --dry-run) */
};

/* --json: every exit path prints exactly one document (json_finish, called by main). */
const char *exit_meaning(int rc);
void json_finish(const char *command, int rc);
void json_usage(const char *usage);     /* the document of --help under --json */
void json_print(struct json_object *o); /* hand over the command's document (json_finish prints it) */

struct preflight_command {
        const char *peer; /* --peer; NULL: xhafw.conf's peer, if any */
        bool nagios;
        const char *prometheus; /* --prometheus FILE */
        bool facts_only;        /* --facts: the peer's side of a comparison (no peer of its own) */
};

struct config;
struct run_report;
/* The command line's say over the configuration (--config, --conf-d, --plugin-path, --state-dir,
 * --jobs), for config_load(); a command adds its leniency and message sink. */
struct overrides commands_overrides(const struct global_options *g);
/* Load the configuration and run every plugin's validate(): 0 or an exit code (errors reported). */
int commands_load(struct config *cfg, const struct global_options *g, bool lenient);
/* status's exit code from a status run's report: 0 active, 3 inactive, 4 mixed. */
int status_exit_code(const struct config *cfg, const struct run_report *rep);
/* Under --json: the command's document (printed once, by json_finish). */
void commands_json(struct json_object *o);

int cmd_preflight(const struct global_options *g, const struct preflight_command *pc);
int cmd_run(const struct global_options *g, const struct run_command *rc);
int cmd_status(const struct global_options *g);
int cmd_validate(const struct global_options *g);
int cmd_describe(const struct global_options *g, const char *name);
int cmd_list_plugins(const struct global_options *g);
int cmd_cat_config(const struct global_options *g);

#endif
