/* The types every part of the xhafw core shares: settings, plugins, steps, the running action;
 * and the limits on what a user controls. Not installed. */
#ifndef XHAFW_CORE_H
#define XHAFW_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>

#include "xhafw/plugin.h"

struct json_object;

/* Limits on what a user controls. */
#define XHAFW_MAX_STEPS 4096
#define XHAFW_MAX_JOBS 256                /* steps run at once (jobs, --jobs) */
#define XHAFW_MAX_OUTPUT (1024 * 1024)    /* bytes of command output kept by xhafw_run */
#define XHAFW_MAX_FILE (16 * 1024 * 1024) /* bytes xhafw_file_replace reads or writes */

/* The global settings: xhafw.conf plus command-line overrides. */
struct settings {
        char *config_file;
        char *conf_d;        /* the site's step files */
        char *vendor_conf_d; /* the shipped step files, layered under conf_d; NULL: none */
        char *plugin_path;
        char *state_dir;
        unsigned jobs;
        uint64_t timeout_ms;          /* default per action */
        uint64_t grace_ms;            /* between SIGTERM and SIGKILL of a timed-out action */
        char *path;                   /* PATH for commands that steps run */
        char **service_manager;       /* argv prefix, NULL-terminated */
        char **pass_env;              /* names of variables passed to commands, NULL-terminated */
        unsigned journal_runs;        /* runs the journal keeps; 0: XHAFW_JOURNAL_RUNS */
        char *peer;                   /* preflight: the other node, for ssh; NULL: none */
        uint64_t max_clock_offset_ms; /* preflight: the clock offset from the peer allowed */
};

/* A loaded plugin. */
struct plugin {
        char *name;
        char *file; /* NULL when not found */
        void *dl;
        const struct xhafw_plugin *def;
        char *error; /* why it cannot be used; NULL when it can */
};

/* One option value of a step, schema applied. */
struct step_option {
        const struct xhafw_option *schema;
        char *value;      /* NULL: unset and no default */
        const char *file; /* where the value comes from (the config's own copy); NULL: default */
        unsigned line;    /* 0: from the default */
        char **items;     /* XHAFW_OPT_LIST: the parsed items, NULL-terminated */
        size_t n_items;
};

/* The context of the action that runs now, in the child that runs it. */
struct action {
        const struct settings *settings;
        bool dry_run;
        bool force;
        bool node_active;          /* preflight: status found the node ACTIVE */
        int msg_fd;                /* framed lines to the parent; -1: log directly */
        struct json_object *state; /* the step's state store, loaded on first use */
};

/* The keys every step has: plugin, after, timeout, critical, enabled, conflicts. */
#define STEP_CORE_KEYS 6

struct xhafw_step {
        char *name;
        char *plugin_name;
        char *file;
        unsigned line; /* line of the section header */
        struct plugin *plugin;
        char **after;     /* NULL-terminated */
        char **conflicts; /* steps that must not be enabled with this one, NULL-terminated */
        size_t n_after;
        size_t *after_idx; /* indexes into the step array */
        uint64_t timeout_ms;
        bool critical;
        bool enabled;
        struct step_option *opts; /* one per schema entry, in schema order */
        size_t n_opts;
        struct action *action; /* set while an action runs */
        /* Where each core key's value was read, in the order of config.c's step_keys: the
         * config's own copy of the file name (NULL: a default) and the line. For cat-config. */
        const char *key_file[STEP_CORE_KEYS];
        unsigned key_line[STEP_CORE_KEYS];
};

#endif
