/* Test-only plugin built as against the header before `preflight` was appended: its struct ends at
 * validate. It must load, work, and be reported as having no preflight. */
#include <stddef.h>

#include <xhafw/plugin.h>

static int old_check(struct xhafw_step *step)
{
        return xhafw_state_get(step, "on") ? XHAFW_ACTIVE : XHAFW_INACTIVE;
}

static int old_apply(struct xhafw_step *step)
{
        return xhafw_dry_run(step) ? 0 : xhafw_state_set(step, "on", "1");
}

static int old_revert(struct xhafw_step *step)
{
        return xhafw_dry_run(step) ? 0 : xhafw_state_set(step, "on", NULL);
}

__attribute__((visibility("default"))) const struct xhafw_plugin xhafw_plugin_v1 = {
        .abi = XHAFW_PLUGIN_ABI,
        .size = offsetof(struct xhafw_plugin, preflight),
        .name = "oldsize",
        .version = "0.9",
        .summary = "test plugin: the struct before preflight existed",
        .check = old_check,
        .apply = old_apply,
        .revert = old_revert,
        /* what an old build would have there is not there: the loader must not read it */
        .preflight = (int (*)(struct xhafw_step *)) 1,
};
