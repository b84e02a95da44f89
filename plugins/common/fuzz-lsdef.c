/* libFuzzer entry for the lsdef parser and the line edits:
 *   clang -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE fuzz-lsdef.c lsdef.c lines.c */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"
#include "lsdef.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct lsdef_result r;
        char *text = malloc(size + 1), *a, *b;

        if (lsdef_parse((const char *) data, size, &r) == 0) {
                (void) lsdef_find(&r, NULL, "mgtifname");
                if (r.n_objects > 0)
                        (void) lsdef_find(&r, r.objects[0].name, "domain");
                lsdef_result_free(&r);
        }
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;
        a = lines_add(text, "nameserver 192.0.2.7", "nameserver");
        b = a ? lines_remove(a, "nameserver 192.0.2.7", NULL) : NULL;
        free(a);
        free(b);
        free(text);
        return 0;
}
