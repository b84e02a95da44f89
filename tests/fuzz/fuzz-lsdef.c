/* libFuzzer harness: the lsdef output parser (plugins/common/lsdef.c), with the property that
 * every attribute it reports can be found again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lsdef.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct lsdef_result r;

        if (lsdef_parse((const char *) data, size, &r) < 0)
                return 0;
        if (r.n_objects > LSDEF_MAX_OBJECTS)
                abort();
        for (size_t i = 0; i < r.n_objects; i++) {
                const struct lsdef_object *o = &r.objects[i];
                if (o->n_attrs > LSDEF_MAX_ATTRS)
                        abort();
                for (size_t j = 0; j < o->n_attrs; j++)
                        if (!lsdef_find(&r, o->name, o->attrs[j].name))
                                abort();
        }
        (void) lsdef_find(&r, NULL, "mgtifname");
        lsdef_result_free(&r);
        return 0;
}
