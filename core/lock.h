/* The run lock: flock on state_dir/lock, holding the holder's pid; one run at a time. */
#ifndef XHAFW_LOCK_H
#define XHAFW_LOCK_H

#include <stdbool.h>

#include "core.h"

/* Take state_dir/lock or say who holds it: 0, -EBUSY (holder's pid in *ret_holder) or -errno. */
int lock_take(const struct settings *s, long *ret_holder);
/* Whether another process holds the lock now (for status). */
bool lock_held(const struct settings *s, long *ret_holder);
/* In an action's child: drop our descriptor of the lock (the core's keeps it). */
void lock_close_in_child(void);

#endif
