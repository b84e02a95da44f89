/* Plugin loader: finds NAME.so along the plugin path (first match wins), refuses files others could
 * have written, dlopens with RTLD_NOW and checks the entry symbol's ABI and size. */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loader.h"
#include "util.h"

/* The smallest struct a plugin may ship: everything up to and including revert. */
#define PLUGIN_MIN_SIZE (offsetof(struct xhafw_plugin, revert) + sizeof(((struct xhafw_plugin *) 0)->revert))

bool valid_plugin_name(const char *s)
{
        size_t n = s ? strlen(s) : 0;
        if (n == 0 || n > 64 || s[0] == '.' || s[0] == '-')
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr("-_.", *p))
                        return false;
        return strstr(s, "..") == NULL;
}

const char *option_type_name(enum xhafw_option_type t)
{
        switch (t) {
        case XHAFW_OPT_STRING: return "string";
        case XHAFW_OPT_INT: return "int";
        case XHAFW_OPT_BOOL: return "bool";
        case XHAFW_OPT_LIST: return "list";
        case XHAFW_OPT_PATH: return "path";
        case XHAFW_OPT_ADDRESS: return "address";
        case XHAFW_OPT_INTERFACE: return "interface";
        case XHAFW_OPT_DURATION: return "duration";
        case XHAFW_OPT_ARGV: return "argv";
        }
        return "unknown";
}

void plugin_free(struct plugin *p)
{
        if (!p)
                return;
        /* Not dlclose()d: a plugin may have registered atexit handlers or threads (libraries do). */
        free(p->name);
        free(p->file);
        free(p->error);
        free(p);
}

static int fail(struct plugin *p, int r, char *reason)
{
        free(p->error);
        p->error = reason;
        return r;
}

static int check_schema(struct plugin *p)
{
        const struct xhafw_option *o = p->def->options;
        for (size_t i = 0; o && o[i].name; i++) {
                static const char *const reserved[] = { "plugin", "after", "timeout", "critical", "enabled" };
                if ((unsigned) o[i].type > XHAFW_OPT_ARGV)
                        return fail(p, -EINVAL,
                                    xasprintf("option '%s' has an unknown type %d", o[i].name, (int) o[i].type));
                for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++)
                        if (strcmp(o[i].name, reserved[k]) == 0)
                                return fail(p, -EINVAL, xasprintf("option '%s' is reserved for the core", o[i].name));
                if (i > 256)
                        return fail(p, -E2BIG, xasprintf("more than 256 options"));
        }
        return 0;
}

int plugin_load_file(const char *file, struct plugin *p)
{
        char *reason = NULL, *dir, *copy;
        struct stat st;
        const struct xhafw_plugin *def;
        void *dl;

        if (!p->file)
                p->file = strdup_or_die(file);
        if (stat(file, &st) < 0)
                return fail(p, -errno, xasprintf("%s: %s", file, strerror(errno)));
        if (!S_ISREG(st.st_mode))
                return fail(p, -EINVAL, xasprintf("%s is not a regular file", file));
        if (check_owner_mode(file, &reason) < 0) {
                int r = fail(p, -EPERM, xasprintf("%s refused: %s", file, reason));
                free(reason);
                return r;
        }
        copy = strdup_or_die(file);
        dir = dirname(copy);
        if (check_owner_mode(dir, &reason) < 0) {
                int r = fail(p, -EPERM, xasprintf("%s refused: its directory %s is %s", file, dir, reason));
                free(reason);
                free(copy);
                return r;
        }
        free(copy);

        dl = dlopen(file, RTLD_NOW | RTLD_LOCAL);
        if (!dl)
                return fail(p, -ENOEXEC,
                            xasprintf("cannot load %s: %s (is it a plugin built for this xhafw?)", file, dlerror()));
        def = dlsym(dl, "xhafw_plugin_v1");
        if (!def) {
                dlclose(dl);
                return fail(p, -ENOEXEC,
                            xasprintf("%s does not export xhafw_plugin_v1: not an xhafw plugin "
                                      "(define it with XHAFW_PLUGIN_DEFINE)",
                                      file));
        }
        if (def->abi != XHAFW_PLUGIN_ABI) {
                int abi = (int) def->abi;
                dlclose(dl);
                return fail(p, -EPROTO,
                            xasprintf("%s has plugin ABI %d, this xhafw speaks ABI %d: rebuild the "
                                      "plugin against this xhafw's <xhafw/plugin.h>",
                                      file, abi, XHAFW_PLUGIN_ABI));
        }
        if (def->size < PLUGIN_MIN_SIZE) {
                unsigned sz = def->size;
                dlclose(dl);
                return fail(p, -EPROTO,
                            xasprintf("%s declares a plugin struct of %u bytes, at least %zu are "
                                      "needed: rebuild it",
                                      file, sz, (size_t) PLUGIN_MIN_SIZE));
        }
        if (!def->name || !def->check || !def->apply || !def->revert) {
                dlclose(dl);
                return fail(p, -EINVAL, xasprintf("%s lacks a name, check, apply or revert", file));
        }
        p->dl = dl;
        p->def = def;
        if (check_schema(p) < 0) {
                p->def = NULL;
                p->dl = NULL;
                dlclose(dl);
                return -EINVAL;
        }
        if (!p->name)
                p->name = strdup_or_die(def->name);
        return 0;
}

/* The validate member exists only in plugins whose struct is large enough (the struct may grow). */
int (*plugin_validate_fn(const struct plugin *p))(struct xhafw_step *)
{
        if (!p || !p->def || p->def->size < offsetof(struct xhafw_plugin, validate) + sizeof(p->def->validate))
                return NULL;
        return p->def->validate;
}

int (*plugin_preflight_fn(const struct plugin *p))(struct xhafw_step *)
{
        if (!p || !p->def || p->def->size < offsetof(struct xhafw_plugin, preflight) + sizeof(p->def->preflight))
                return NULL;
        return p->def->preflight;
}

struct plugin *plugin_get(struct config *cfg, const char *name)
{
        struct plugin *p, **grown;
        char *path, *save = NULL;

        for (size_t i = 0; i < cfg->n_plugins; i++)
                if (strcmp(cfg->plugins[i]->name, name) == 0)
                        return cfg->plugins[i];
        p = xcalloc(1, sizeof *p);
        p->name = strdup_or_die(name);
        grown = realloc(cfg->plugins, (cfg->n_plugins + 1) * sizeof *grown);
        if (!grown)
                abort();
        cfg->plugins = grown;
        cfg->plugins[cfg->n_plugins++] = p;

        if (!valid_plugin_name(name)) {
                fail(p, -EINVAL,
                     xasprintf("'%s' is not a valid plugin name (letters, digits, '-', '_', '.'; no '/')", name));
                return p;
        }
        path = strdup_or_die(cfg->settings.plugin_path ? cfg->settings.plugin_path : "");
        for (char *dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
                char *file;
                if (!*dir)
                        continue;
                file = xasprintf("%s/%s.so", dir, name);
                if (access(file, F_OK) == 0) {
                        p->file = file;
                        break;
                }
                free(file);
        }
        free(path);
        if (!p->file) {
                fail(p, -ENOENT,
                     xasprintf("plugin '%s' not found: no %s.so in the plugin path %s", name, name,
                               cfg->settings.plugin_path ? cfg->settings.plugin_path : "(empty)"));
                return p;
        }
        if (plugin_load_file(p->file, p) == 0 && strcmp(p->def->name, name) != 0)
                log_warning("%s calls itself '%s'; it is used as plugin '%s'", p->file, p->def->name, name);
        return p;
}
