/* xhafw plugin ABI and host API: the one header a plugin needs. See xhafw-plugin(7). */
#ifndef XHAFW_PLUGIN_H
#define XHAFW_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XHAFW_PLUGIN_ABI 1

/* Opaque: one configured step, as seen by the action that runs now. */
struct xhafw_step;

enum xhafw_state {
        XHAFW_INACTIVE = 0,
        XHAFW_ACTIVE = 1,
        XHAFW_PARTIAL = 2
};

enum xhafw_option_type {
        XHAFW_OPT_STRING,
        XHAFW_OPT_INT,
        XHAFW_OPT_BOOL,
        XHAFW_OPT_LIST,
        XHAFW_OPT_PATH,      /* absolute path */
        XHAFW_OPT_ADDRESS,   /* IPv4/IPv6, optional /prefix */
        XHAFW_OPT_INTERFACE, /* a network interface name (syntax only: whether it exists is for apply and check) */
        XHAFW_OPT_DURATION,  /* "500ms", "30s", "2m" */
        /* Appended (ABI 1): a command line, comma-separated argv items that may hold blanks
         * ("psql, -c, select 1"). Items of XHAFW_OPT_LIST may not: "a b" there is a mistake. */
        XHAFW_OPT_ARGV
};

struct xhafw_option {
        const char *name;
        enum xhafw_option_type type;
        bool required;
        const char *default_value; /* NULL: none */
        const char *help;
};

struct xhafw_plugin {
        uint32_t abi;  /* XHAFW_PLUGIN_ABI; first, so any later ABI can be told apart */
        uint32_t size; /* sizeof(struct xhafw_plugin) at build time: the struct may grow */
        const char *name, *version, *summary;
        const struct xhafw_option *options; /* ends with { .name = NULL } */
        /* What this step manages; no side effects. */
        int (*describe)(struct xhafw_step *step, FILE *out);
        /* enum xhafw_state, or -errno when it cannot tell; read-only. */
        int (*check)(struct xhafw_step *step);
        /* 0, -errno or XHAFW_REFUSED; idempotent. */
        int (*apply)(struct xhafw_step *step);
        /* 0, -errno or XHAFW_REFUSED; idempotent. */
        int (*revert)(struct xhafw_step *step);
        /* Optional: checks of the configuration beyond the option schema, never of the machine (it runs
         * before deactivate and status too); 0 or -EINVAL after logging why.
         * Run for every step before anything changes. */
        int (*validate)(struct xhafw_step *step);
        /* Appended (ABI 1; read only when `size` covers it): can this node take the role over, and
         * does it match the peer? Report each check with xhafw_preflight_check() and what must
         * match the other node with xhafw_preflight_fact(). Read-only, like check. 0 or -errno
         * (a preflight that cannot run at all). */
        int (*preflight)(struct xhafw_step *step);
};

/* In a plugin:
 *   XHAFW_PLUGIN_DEFINE(.name = "vip", .version = "1.0", .summary = "...",
 *                       .options = vip_options, .describe = ..., .check = ..., ...);
 */
#define XHAFW_PLUGIN_DEFINE(...) \
        __attribute__((visibility("default"))) const struct xhafw_plugin xhafw_plugin_v1 = { \
                .abi = XHAFW_PLUGIN_ABI, .size = sizeof(struct xhafw_plugin), __VA_ARGS__ \
        }

/* apply/revert return this (not an errno) when a safety check refuses to act, for example the VIP
 * answers from another host: the run rolls back and exits 6. xhafw_force() is true when the admin
 * said --force; the plugin then skips that check. */
#define XHAFW_REFUSED (-1000)

/* xhafw_run() flags */
#define XHAFW_RUN_READONLY (1u << 0) /* a query: runs for real in dry-run too */

/* Host API: what the core gives a plugin. Every side effect goes through it or checks xhafw_dry_run().
 * The xhafw binary exports these; a plugin leaves them undefined and the loader resolves them. */
#define XHAFW_API __attribute__((visibility("default")))
XHAFW_API const char *xhafw_step_name(const struct xhafw_step *step);
XHAFW_API bool xhafw_dry_run(const struct xhafw_step *step);
XHAFW_API bool xhafw_force(const struct xhafw_step *step);
/* Option values, already validated against the plugin's schema; defaults applied. */
XHAFW_API const char *xhafw_opt_string(const struct xhafw_step *step, const char *name); /* NULL if unset */
XHAFW_API long long xhafw_opt_int(const struct xhafw_step *step, const char *name);
XHAFW_API bool xhafw_opt_bool(const struct xhafw_step *step, const char *name);
XHAFW_API uint64_t xhafw_opt_duration_ms(const struct xhafw_step *step, const char *name);
/* XHAFW_OPT_LIST and XHAFW_OPT_ARGV options: the items, trimmed. */
XHAFW_API size_t xhafw_opt_list(const struct xhafw_step *step, const char *name, const char *const **ret_items);
/* syslog priorities (LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG) */
XHAFW_API void xhafw_log(struct xhafw_step *step, int priority, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* fork + execve of argv (never a shell), PATH from the configuration, stdin /dev/null, stdout and
 * stderr captured into *ret_output (may be NULL; free() it) and logged. Returns the exit status
 * (>= 0) or -errno. In dry-run prints "would run: ..." and returns 0 unless XHAFW_RUN_READONLY. */
XHAFW_API int xhafw_run(struct xhafw_step *step, const char *const argv[], unsigned flags, char **ret_output);
/* service_manager + verb ("start", "stop", "is-active") + unit; returns the exit status or -errno.
 * Dry-run aware ("is-active" runs for real). */
XHAFW_API int xhafw_service(struct xhafw_step *step, const char *verb, const char *unit);
/* Atomic replacement of a file's content, keeping mode and owner and the previous content in the
 * state dir; in dry-run prints a unified diff instead. 0 or -errno. */
XHAFW_API int xhafw_file_replace(struct xhafw_step *step, const char *path, const char *content);
/* A small per-step key/value store persisted atomically under state_dir; value NULL deletes. */
XHAFW_API int xhafw_state_set(struct xhafw_step *step, const char *key, const char *value);
XHAFW_API const char *xhafw_state_get(struct xhafw_step *step, const char *key);

/* Appended (ABI 1): what plugins used to rebuild for themselves. */
/* xhafw_run, and on failure one message at priority: the command as an admin would type it, the
 * exit status and the last lines of its output ("chdef -t network ... failed with exit status 1:
 * Error: ..."). Returns what xhafw_run returns; *ret_output (may be NULL) gets the output either way. */
XHAFW_API int xhafw_run_logged(struct xhafw_step *step, const char *const argv[], unsigned flags, int priority,
                               char **ret_output);
/* A monotonic clock (milliseconds since an arbitrary point) and a sleep that an EINTR does not cut
 * short: for deadlines and retries inside an action, which the step's timeout bounds as a whole. */
XHAFW_API uint64_t xhafw_now_ms(void);
XHAFW_API void xhafw_sleep_ms(uint64_t ms);
/* stat() of each path in a child, within timeout_ms: a path on a dead NFS server cannot hang the
 * step. 0 with ret[i] filled (err: 0 or the errno of stat; mode: st_mode), or -ETIMEDOUT when the
 * child did not answer in time (*ret_answered: how many paths it answered first; the child is
 * killed), or -errno. */
struct xhafw_stat_result {
        int err;
        unsigned mode;
};
XHAFW_API int xhafw_stat_bounded(struct xhafw_step *step, const char *const paths[], size_t n, uint64_t timeout_ms,
                                 struct xhafw_stat_result ret[], size_t *ret_answered);

/* Appended (ABI 1): preflight reports (xhafw preflight). */
enum xhafw_check_result {
        XHAFW_CHECK_PASS = 0,
        XHAFW_CHECK_WARN = 1,
        XHAFW_CHECK_FAIL = 2
};
/* One check: a short name ("not enabled at boot"), what was seen, and the fix (a command or the
 * line to change; NULL when it passed). */
XHAFW_API void xhafw_preflight_check(struct xhafw_step *step, const char *check, enum xhafw_check_result result,
                                     const char *detail, const char *fix);
/* A fact that must be the same on both nodes (a version, a file's content): compared with the
 * peer's by `xhafw preflight --peer`. */
XHAFW_API void xhafw_preflight_fact(struct xhafw_step *step, const char *key, const char *value);
/* In preflight: whether this node holds the role now (status found every critical step ACTIVE);
 * a standby must not run what the active node runs. */
XHAFW_API bool xhafw_node_active(const struct xhafw_step *step);

/* Appended (ABI 1): work that must go on after the action returns, such as repeated gratuitous
 * ARPs, while the later steps run. fn(arg) runs in a process of the core's (not a detached one):
 * bounded by max_ms (1 ms to 10 min; then killed), ended with the step's action when that crashes
 * or times out, and with the run: a run that did its job waits for it (up to the bound) before it
 * ends, one that failed or was interrupted ends it at once. Its messages go to syslog. In dry-run
 * it only says what would go on. 0 or -errno. */
XHAFW_API int xhafw_background(struct xhafw_step *step, const char *what, uint64_t max_ms, void (*fn)(void *arg),
                               void *arg);

#ifdef __cplusplus
}
#endif

#endif
