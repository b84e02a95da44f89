/* Parser of xCAT's lsdef output ("Object name: X" then indented attr=value lines). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lsdef.h"

#define OBJECT_PREFIX "Object name:"

static bool is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r';
}

/* xCAT attribute names are table column names and their aliases: letters, digits, '_', '.', '-'. */
static bool is_attr_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
               c == '-';
}

/* A copy of S[0..N) without leading/trailing blanks; NULL on allocation failure. */
static char *dup_trimmed(const char *s, size_t n)
{
        char *r;

        while (n > 0 && is_blank(*s)) {
                s++;
                n--;
        }
        while (n > 0 && is_blank(s[n - 1]))
                n--;
        r = malloc(n + 1);
        if (!r)
                return NULL;
        memcpy(r, s, n);
        r[n] = 0;
        return r;
}

static void object_free(struct lsdef_object *o)
{
        for (size_t i = 0; i < o->n_attrs; i++) {
                free(o->attrs[i].name);
                free(o->attrs[i].value);
        }
        free(o->attrs);
        free(o->name);
}

void lsdef_result_free(struct lsdef_result *r)
{
        if (!r)
                return;
        for (size_t i = 0; i < r->n_objects; i++)
                object_free(&r->objects[i]);
        free(r->objects);
        r->objects = NULL;
        r->n_objects = r->n_alloc = 0;
}

static int add_object(struct lsdef_result *r, const char *name, size_t n)
{
        struct lsdef_object *objs;

        if (r->n_objects >= LSDEF_MAX_OBJECTS)
                return -E2BIG;
        /* Doubling: a long listing (every node) must not cost quadratic time. */
        if (r->n_objects == r->n_alloc) {
                size_t want = r->n_alloc ? r->n_alloc * 2 : 8;
                objs = realloc(r->objects, want * sizeof *objs);
                if (!objs)
                        return -ENOMEM;
                r->objects = objs;
                r->n_alloc = want;
        }
        objs = r->objects;
        objs[r->n_objects] = (struct lsdef_object){ .name = dup_trimmed(name, n) };
        if (!objs[r->n_objects].name)
                return -ENOMEM;
        r->n_objects++;
        return 0;
}

/* LINE[0..N) is indented; attr=value under the current object, or something else to skip. */
static int add_attr(struct lsdef_object *o, const char *line, size_t n)
{
        const char *eq, *name = line;
        size_t name_len;
        struct lsdef_attr *attrs;

        while (n > 0 && is_blank(*name)) {
                name++;
                n--;
        }
        eq = memchr(name, '=', n);
        if (!eq || eq == name)
                return 0;
        name_len = (size_t) (eq - name);
        for (size_t i = 0; i < name_len; i++)
                if (!is_attr_char(name[i]))
                        return 0;
        for (size_t i = 0; i < o->n_attrs; i++)
                if (strlen(o->attrs[i].name) == name_len && memcmp(o->attrs[i].name, name, name_len) == 0)
                        return 0;
        if (o->n_attrs >= LSDEF_MAX_ATTRS)
                return -E2BIG;
        if (o->n_attrs == o->n_alloc) {
                size_t want = o->n_alloc ? o->n_alloc * 2 : 8;
                attrs = realloc(o->attrs, want * sizeof *attrs);
                if (!attrs)
                        return -ENOMEM;
                o->attrs = attrs;
                o->n_alloc = want;
        }
        attrs = o->attrs;
        attrs[o->n_attrs].name = dup_trimmed(name, name_len);
        /* Values keep inner blanks (a description, a comma list); only the line's ends go. */
        attrs[o->n_attrs].value = dup_trimmed(eq + 1, n - name_len - 1);
        if (!attrs[o->n_attrs].name || !attrs[o->n_attrs].value) {
                free(attrs[o->n_attrs].name);
                free(attrs[o->n_attrs].value);
                return -ENOMEM;
        }
        o->n_attrs++;
        return 0;
}

int lsdef_parse(const char *text, size_t len, struct lsdef_result *ret)
{
        struct lsdef_result r = { 0 };
        size_t pos = 0;
        int e = 0;

        if (!text && len > 0)
                return -EINVAL;
        while (pos < len && e == 0) {
                const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
                size_t n = nl ? (size_t) (nl - line) : len - pos;

                pos += n + (nl ? 1 : 0);
                if (n > LSDEF_MAX_LINE || n == 0)
                        continue;
                if (n >= strlen(OBJECT_PREFIX) && memcmp(line, OBJECT_PREFIX, strlen(OBJECT_PREFIX)) == 0)
                        e = add_object(&r, line + strlen(OBJECT_PREFIX), n - strlen(OBJECT_PREFIX));
                else if (is_blank(line[0]) && r.n_objects > 0)
                        e = add_attr(&r.objects[r.n_objects - 1], line, n);
        }
        if (e < 0) {
                lsdef_result_free(&r);
                return e;
        }
        *ret = r;
        return 0;
}

const char *lsdef_find(const struct lsdef_result *r, const char *object, const char *attr)
{
        if (!r || !attr)
                return NULL;
        for (size_t i = 0; i < r->n_objects; i++) {
                const struct lsdef_object *o = &r->objects[i];
                if (object && strcmp(o->name, object) != 0)
                        continue;
                for (size_t j = 0; j < o->n_attrs; j++)
                        if (strcmp(o->attrs[j].name, attr) == 0)
                                return o->attrs[j].value;
                if (!object)
                        return NULL;
        }
        return NULL;
}
