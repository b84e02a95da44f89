/* The plugin loader: finds NAME.so on the plugin path, checks its ABI, size and option schema. */
#ifndef XHAFW_LOADER_H
#define XHAFW_LOADER_H

#include "config.h"

/* The plugin NAME along cfg's plugin path, loaded once; ->error says why it cannot be used. */
struct plugin *plugin_get(struct config *cfg, const char *name);
/* Load one file as a plugin (for list-plugins); fills p (name from the file), returns 0 or -errno
 * with p->error set. */
int plugin_load_file(const char *file, struct plugin *p);
void plugin_free(struct plugin *p);
bool valid_plugin_name(const char *s);
/* The plugin's validate(), or NULL when it has none or was built before the member existed. */
int (*plugin_validate_fn(const struct plugin *p))(struct xhafw_step *);
/* The plugin's preflight(), or NULL when it has none or was built before the member existed. */
int (*plugin_preflight_fn(const struct plugin *p))(struct xhafw_step *);
const char *option_type_name(enum xhafw_option_type t);

#endif
