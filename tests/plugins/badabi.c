/* Test-only plugin built for an ABI this xhafw does not speak. */
#include <xhafw/plugin.h>

static int nop(struct xhafw_step *step)
{
        (void) step;
        return 0;
}

__attribute__((visibility("default"))) const struct xhafw_plugin xhafw_plugin_v1 = {
        .abi = 99,
        .size = sizeof(struct xhafw_plugin),
        .name = "badabi",
        .check = nop,
        .apply = nop,
        .revert = nop,
};
