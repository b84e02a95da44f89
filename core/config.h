/* The loaded configuration: settings, steps, plugins and the step graph. */
#ifndef XHAFW_CONFIG_H
#define XHAFW_CONFIG_H

#include <sys/types.h>

#include "core.h"
#include "log.h"
#include "util.h"

struct config {
        struct settings settings;
        struct xhafw_step **steps;
        size_t n_steps;
        size_t n_ignored;        /* steps beyond XHAFW_MAX_STEPS, reported once */
        struct plugin **plugins; /* loader cache, one per plugin name asked for */
        size_t n_plugins;
        unsigned n_errors; /* configuration errors reported so far */
        bool lenient_plugins;
        void (*sink)(void *ctx, int priority, const char *message);
        void *sink_ctx;
        struct strmap step_index; /* step name -> index + 1 */
        char **files;             /* every file read, owned here: values point at their file's name */
        size_t n_files;
        bool layered;              /* the vendor conf.d under the site's (neither was overridden alone) */
        unsigned setting_line[16]; /* per global key (global_keys order): its line in xhafw.conf; 0 default */
        bool setting_cli[16];      /* given on the command line */
        size_t *order;             /* a topological order of the steps (after first) */
        size_t **after_me;         /* per step: the steps that are after it (graph_after_me) */
        size_t *n_after_me;
        unsigned *level; /* per step: 0 for steps with no after, else 1 + max level of its after */
        unsigned n_levels;
};

/* Command-line overrides of the global settings; NULL: not given. */
struct overrides {
        const char *config_file;
        const char *conf_d;
        const char *plugin_path;
        const char *state_dir;
        unsigned jobs;        /* 0: not given */
        bool lenient_plugins; /* a step's plugin that cannot load is a warning, not an error (status) */
        /* Where the loader's messages go; NULL: the log. */
        void (*sink)(void *ctx, int priority, const char *message);
        void *sink_ctx;
};

/* Report a configuration error (the admin's to fix): "FILE:LINE: step S: message". Counts it. */
/* What is wrong with a comma-separated list as written (an empty item; in a list of words, not an
 * argv, a blank or quotes in an item), or NULL: the configuration's rule, also for --only. */
const char *list_problem(const char *v, bool argv);
void config_error(struct config *cfg, const char *file, unsigned line, const char *step, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

/* Load xhafw.conf and conf.d, load the plugins the enabled steps use, check every option against
 * its plugin's schema and build the graph. Returns 0, or -EINVAL after reporting every error found
 * (cfg->n_errors). */
int config_load(struct config *cfg, const struct overrides *ov);
void config_free(struct config *cfg);
/* The resolved configuration, each key with the file and line it came from (cat-config). */
void config_print(const struct config *cfg, FILE *out);
void settings_free(struct settings *s);
struct xhafw_step *config_find_step(const struct config *cfg, const char *name);
ssize_t config_step_index(const struct config *cfg, const char *name);
void step_free(struct xhafw_step *st);

#endif
