/* libFuzzer harness: the line edits of files others own (plugins/common/lines.c). The input's first
 * line is the line to manage, the rest the file. Properties: an added line is found; removing it
 * takes out every line equal to it; adding then removing a line the file did not have gives the
 * file back byte for byte, whether or not it ended with a newline. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool has_word(const char *s)
{
        for (; *s && *s != '#'; s++)
                if (!strchr(" \t\r\v\f", *s))
                        return true;
        return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *buf = malloc(size + 1), *want, *content, *nl, *added = NULL, *removed = NULL;
        const char *before;
        size_t n_removed = 0;
        bool newline_added = false;

        if (!buf)
                return 0;
        memcpy(buf, data, size);
        buf[size] = 0;
        nl = strchr(buf, '\n');
        if (!nl)
                goto out;
        *nl = 0;
        want = buf;
        content = nl + 1;
        before = strncmp(want, "nameserver", 10) == 0 ? "nameserver" : NULL;

        added = lines_add(content, want, before, &newline_added);
        if (!added)
                goto out;
        if (!lines_contains(added, want))
                abort();
        removed = lines_remove(added, want, newline_added, &n_removed);
        if (!removed)
                goto out;
        if (n_removed == 0 || lines_contains(removed, want))
                abort();
        /* A line with no word (blank, a comment) equals every such line: no round trip for it. */
        if (has_word(want) && !lines_contains(content, want) && strcmp(removed, content) != 0)
                abort();
out:
        free(removed);
        free(added);
        free(buf);
        return 0;
}
