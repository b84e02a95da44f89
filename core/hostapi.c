/* Host API for plugins: the step's identity, its option values and its persistent state store. */
#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "core.h"
#include "hostapi.h"
#include "log.h"
#include "util.h"

XHAFW_API const char *xhafw_step_name(const struct xhafw_step *step)
{
        return step ? step->name : NULL;
}

XHAFW_API bool xhafw_dry_run(const struct xhafw_step *step)
{
        /* Without an action context nothing may change: err on the safe side. */
        return !step || !step->action || step->action->dry_run;
}

XHAFW_API bool xhafw_force(const struct xhafw_step *step)
{
        return step && step->action && step->action->force;
}

static const struct step_option *find_opt(const struct xhafw_step *step, const char *name)
{
        if (!step || !name)
                return NULL;
        for (size_t i = 0; i < step->n_opts; i++)
                if (strcmp(step->opts[i].schema->name, name) == 0)
                        return &step->opts[i];
        /* A plugin asking for an option it did not declare is a bug in the plugin. */
        log_full(step->name, LOG_WARNING, "plugin %s asked for option '%s' that its schema does not declare",
                 step->plugin_name, name);
        return NULL;
}

XHAFW_API const char *xhafw_opt_string(const struct xhafw_step *step, const char *name)
{
        const struct step_option *o = find_opt(step, name);
        return o ? o->value : NULL;
}

XHAFW_API long long xhafw_opt_int(const struct xhafw_step *step, const char *name)
{
        const struct step_option *o = find_opt(step, name);
        long long v = 0;
        if (o && o->value)
                (void) parse_int(o->value, &v);
        return v;
}

XHAFW_API bool xhafw_opt_bool(const struct xhafw_step *step, const char *name)
{
        const struct step_option *o = find_opt(step, name);
        bool v = false;
        if (o && o->value)
                (void) parse_bool(o->value, &v);
        return v;
}

XHAFW_API uint64_t xhafw_opt_duration_ms(const struct xhafw_step *step, const char *name)
{
        const struct step_option *o = find_opt(step, name);
        uint64_t v = 0;
        if (o && o->value)
                (void) parse_duration_ms(o->value, &v);
        return v;
}

XHAFW_API size_t xhafw_opt_list(const struct xhafw_step *step, const char *name, const char *const **ret_items)
{
        struct step_option *o = (struct step_option *) find_opt(step, name);
        static const char *const empty[] = { NULL };

        if (!o || !o->value) {
                if (ret_items)
                        *ret_items = empty;
                return 0;
        }
        if (!o->items)
                split_list(o->value, &o->items, &o->n_items);
        if (ret_items)
                *ret_items = (const char *const *) o->items;
        return o->n_items;
}

/* ---- state store: state_dir/steps/STEP.json, one JSON object of strings ---- */

char *step_state_path(const struct settings *s, const char *step)
{
        return xasprintf("%s/steps/%s.json", s->state_dir, step);
}

void action_state_free(struct action *a)
{
        if (a && a->state) {
                json_object_put(a->state);
                a->state = NULL;
        }
}

static struct json_object *state_load(struct xhafw_step *step)
{
        struct action *a = step->action;
        char *path, *text = NULL;
        int r;

        if (a->state)
                return a->state;
        path = step_state_path(a->settings, step->name);
        r = read_file(path, XHAFW_MAX_FILE, &text, NULL);
        if (r == 0) {
                a->state = json_tokener_parse(text);
                if (!a->state || !json_object_is_type(a->state, json_type_object)) {
                        log_full(step->name, LOG_WARNING, "state file %s is not a JSON object, starting empty", path);
                        if (a->state)
                                json_object_put(a->state);
                        a->state = NULL;
                }
        } else if (r != -ENOENT)
                log_full(step->name, LOG_WARNING, "cannot read state file %s: %s, starting empty", path, strerror(-r));
        if (!a->state)
                a->state = json_object_new_object();
        free(text);
        free(path);
        return a->state;
}

XHAFW_API const char *xhafw_state_get(struct xhafw_step *step, const char *key)
{
        struct json_object *v;
        if (!step || !step->action || !key)
                return NULL;
        if (!json_object_object_get_ex(state_load(step), key, &v))
                return NULL;
        return json_object_get_string(v);
}

XHAFW_API int xhafw_state_set(struct xhafw_step *step, const char *key, const char *value)
{
        struct json_object *o;
        char *dir, *path;
        const char *text;
        int r;

        if (!step || !step->action || !key || !*key)
                return -EINVAL;
        o = state_load(step);
        if (value)
                json_object_object_add(o, key, json_object_new_string(value));
        else
                json_object_object_del(o, key);
        /* Dry-run keeps the change in memory so the rest of the action sees it; nothing is written. */
        if (step->action->dry_run)
                return 0;
        dir = xasprintf("%s/steps", step->action->settings->state_dir);
        r = mkdir_p(dir, 0700);
        free(dir);
        if (r < 0)
                return r;
        path = step_state_path(step->action->settings, step->name);
        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY);
        r = write_file_atomic(path, text, strlen(text), 0600);
        if (r < 0)
                log_full(step->name, LOG_ERR, "cannot write state file %s: %s", path, strerror(-r));
        free(path);
        return r;
}
