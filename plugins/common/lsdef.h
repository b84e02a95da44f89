/* Parser of xCAT's lsdef output: pure, no host API, so it can be unit-tested and fuzzed alone. */
#ifndef XHAFW_LSDEF_H
#define XHAFW_LSDEF_H

#include <stddef.h>

/* Limits on what a command may hand us: more is refused (-E2BIG), never truncated silently. */
#define LSDEF_MAX_OBJECTS 65536
#define LSDEF_MAX_ATTRS 4096 /* per object */
#define LSDEF_MAX_LINE 65536 /* bytes; longer lines are not attribute lines and are skipped */

struct lsdef_attr {
        char *name;
        char *value;
};

struct lsdef_object {
        char *name;
        struct lsdef_attr *attrs;
        size_t n_attrs, n_alloc;
};

struct lsdef_result {
        struct lsdef_object *objects;
        size_t n_objects, n_alloc;
};

/* Parse TEXT (LEN bytes, need not be NUL-terminated) as lsdef prints it:
 *
 *     Object name: 10_0_0_0-255_0_0_0
 *         mgtifname=eth0
 *
 * Lines that are neither an "Object name:" header nor an indented attr=value line under one
 * (warnings, "Could not find any object definitions", stderr mixed in) are skipped. An attribute
 * listed twice keeps its first value. On success fills *ret (free with lsdef_result_free) and
 * returns 0; -ENOMEM or -E2BIG otherwise, *ret untouched. */
int lsdef_parse(const char *text, size_t len, struct lsdef_result *ret);
void lsdef_result_free(struct lsdef_result *r);

/* The value of ATTR of OBJECT (NULL: the first object), or NULL when either is not listed. */
const char *lsdef_find(const struct lsdef_result *r, const char *object, const char *attr);

#endif
