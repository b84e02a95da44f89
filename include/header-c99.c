/* Compiled with -std=c99 -pedantic-errors: proves <xhafw/plugin.h> is self-contained. */
#include <xhafw/plugin.h>

int xhafw_header_c99_check(void);
int xhafw_header_c99_check(void)
{
        return XHAFW_PLUGIN_ABI + (int) sizeof(struct xhafw_plugin);
}
