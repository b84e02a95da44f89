/* One shipped plugin, loaded as the core loads it (dlopen RTLD_NOW against this binary's host API,
 * the entry symbol, ABI, size and option schema checked), then described through its schema: a
 * plugin that cannot load fails the build's tests, not a site's failover. meson adds one test per
 * plugin module of the build. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "loader.h"

int main(int argc, char **argv)
{
        struct plugin p = { 0 };
        const struct xhafw_option *o;
        unsigned n = 0;

        if (argc != 2) {
                fprintf(stderr, "usage: %s PLUGIN.so\n", argv[0]);
                return 2;
        }
        if (plugin_load_file(argv[1], &p) < 0) {
                fprintf(stderr, "FAIL: %s\n", p.error ? p.error : "cannot load");
                return 1;
        }
        /* the module stays loaded (plugins are never dlclose()d); its name and file are ours */
        for (o = p.def->options; o && o->name; o++)
                n++;
        if (!p.def->summary || !*p.def->summary || !p.def->version || !p.def->describe) {
                fprintf(stderr, "FAIL: %s lacks a summary, a version or describe()\n", argv[1]);
                return 1;
        }
        printf("ok - %s %s: %u options, validate %s, preflight %s\n", p.def->name, p.def->version, n,
               plugin_validate_fn(&p) ? "yes" : "no", plugin_preflight_fn(&p) ? "yes" : "no");
        free(p.name);
        free(p.file);
        free(p.error);
        return 0;
}
