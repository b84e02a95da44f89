/* Test-only shared object that is not an xhafw plugin: no xhafw_plugin_v1. */
__attribute__((visibility("default"))) int not_a_plugin(void);
int not_a_plugin(void)
{
        return 0;
}
