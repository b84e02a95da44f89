/* The host API's internals the core needs: the per-step state store (state_dir/steps/STEP.json). */
#ifndef XHAFW_HOSTAPI_H
#define XHAFW_HOSTAPI_H

#include "core.h"

void action_state_free(struct action *a);
char *step_state_path(const struct settings *s, const char *step);

#endif
