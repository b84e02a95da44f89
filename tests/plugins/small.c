/* Test-only plugin whose struct is too small to hold check, apply and revert. */
#include <xhafw/plugin.h>

__attribute__((visibility("default"))) const struct xhafw_plugin xhafw_plugin_v1 = {
        .abi = XHAFW_PLUGIN_ABI,
        .size = 8,
        .name = "small",
};
