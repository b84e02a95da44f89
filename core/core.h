/* Internal types and helpers shared by the parts of the xhafw core (not installed). */
#ifndef XHAFW_CORE_H
#define XHAFW_CORE_H

#include <stdarg.h>
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
#define XHAFW_MAX_OUTPUT (1024 * 1024)   /* bytes of command output kept by xhafw_run */
#define XHAFW_MAX_FILE (16 * 1024 * 1024) /* bytes xhafw_file_replace reads or writes */

/* The global settings: xhafw.conf plus command-line overrides. */
struct settings {
        char *config_file;
        char *conf_d;
        char *plugin_path;
        char *state_dir;
        unsigned jobs;
        uint64_t timeout_ms;      /* default per action */
        uint64_t grace_ms;        /* between SIGTERM and SIGKILL of a timed-out action */
        char *path;               /* PATH for commands that steps run */
        char **service_manager;   /* argv prefix, NULL-terminated */
        char **pass_env;          /* names of variables passed to commands, NULL-terminated */
};

/* A loaded plugin. */
struct plugin {
        char *name;
        char *file;               /* NULL when not found */
        void *dl;
        const struct xhafw_plugin *def;
        char *error;              /* why it cannot be used; NULL when it can */
};

/* One option value of a step, schema applied. */
struct step_option {
        const struct xhafw_option *schema;
        char *value;              /* NULL: unset and no default */
        unsigned line;            /* 0: from the default */
        char **items;             /* XHAFW_OPT_LIST: the parsed items, NULL-terminated */
        size_t n_items;
};

/* The context of the action that runs now, in the child that runs it. */
struct action {
        const struct settings *settings;
        bool dry_run;
        bool force;
        int msg_fd;               /* framed lines to the parent; -1: log directly */
        struct json_object *state;/* the step's state store, loaded on first use */
};

struct xhafw_step {
        char *name;
        char *plugin_name;
        char *file;
        unsigned line;            /* line of the section header */
        struct plugin *plugin;
        char **after;             /* NULL-terminated */
        size_t n_after;
        size_t *after_idx;        /* indexes into the step array */
        uint64_t timeout_ms;
        bool critical;
        bool enabled;
        struct step_option *opts; /* one per schema entry, in schema order */
        size_t n_opts;
        struct action *action;    /* set while an action runs */
};

/* ---- log.c ---- */
extern int log_max_priority; /* messages above it (less important) are not shown on stderr */
void log_open(bool use_syslog);
/* --json: keep the messages shown (as {priority, step, message}) for the run's JSON document. */
void log_collect(bool on);
struct json_object *log_collected_take(void); /* the kept messages (an array; the caller owns it) */
/* A write to stdout or stderr failed (the terminal or pipe is gone): noted once in syslog; later
 * messages go to syslog. Never a reason to stop a run. */
void output_lost(int fd, int err);
bool stdout_is_lost(void);
void log_full(const char *step, int priority, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void log_fullv(const char *step, int priority, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
#define log_error(...) log_full(NULL, LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_full(NULL, LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_full(NULL, LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_full(NULL, LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_full(NULL, LOG_DEBUG, __VA_ARGS__)
/* Output meant for the user from inside an action (dry-run plans, diffs, describe): framed to the
 * parent when the action runs in a child, else written to stdout. */
void action_print(struct xhafw_step *step, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Framing of the message pipe between an action's child and the core: one line per message,
 * "<kind><text>\n" with kind '0'..'7' (a syslog priority) or 'O' (user output). Text lines are
 * split at newlines. */
void msg_send(int fd, char kind, const char *text);

/* ---- util.c ---- */
uint64_t now_ms(void);
uint64_t now_us(void);
int parse_duration_ms(const char *s, uint64_t *ret);   /* "500ms", "30s", "2m", "1h"; bare: seconds */
int parse_int(const char *s, long long *ret);
int parse_bool(const char *s, bool *ret);
int parse_address(const char *s, bool *ret_has_prefix); /* IPv4/IPv6 with optional /prefix */
bool valid_interface_name(const char *s);
bool valid_step_name(const char *s);
/* Split a comma-separated list, trimming blanks and dropping empty items. */
int split_list(const char *s, char ***ret_items, size_t *ret_n);
void strv_free(char **v);
size_t strv_length(char *const *v);
char *strdup_or_die(const char *s);
void *xcalloc(size_t n, size_t size);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *strip(char *s);
/* Refuse files that others could have written: not owned by root or us, or group/world-writable. */
int check_owner_mode(const char *path, char **ret_reason);
int write_all(int fd, const void *buf, size_t n);
/* Atomic replacement: temporary file in the same directory, fsync, rename, fsync of the directory. */
int write_file_atomic(const char *path, const void *data, size_t n, int mode);
int read_file(const char *path, size_t max, char **ret, size_t *ret_n);
int mkdir_p(const char *path, int mode);

/* ---- hostapi.c: state store (per step, under state_dir/steps) ---- */
void action_state_free(struct action *a);
char *step_state_path(const struct settings *s, const char *step);

#endif
