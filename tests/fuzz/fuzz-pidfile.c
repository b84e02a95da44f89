/* libFuzzer harness: postmaster.pid parsing (pgconf_pidfile_parse in plugins/postgres/pgconf.c,
 * included: it is static). Properties: a parsed file has a nonzero pid, a port in range and
 * NUL-terminated fields. */
#include <stdint.h>

/* Not every function of the included file is used here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "pgconf.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct pgconf_pidfile *pf = calloc(1, sizeof *pf);
        char *text = malloc(size + 1);

        if (!text || !pf)
                goto out;
        memcpy(text, data, size);
        text[size] = 0;
        if (pgconf_pidfile_parse(text, pf) == 0) {
                if (pf->pid == 0 || pf->port < 0 || pf->port > 65535 || !memchr(pf->data_dir, 0, sizeof pf->data_dir) ||
                    !memchr(pf->socket_dir, 0, sizeof pf->socket_dir) ||
                    !memchr(pf->listen_addr, 0, sizeof pf->listen_addr) || !memchr(pf->status, 0, sizeof pf->status))
                        abort();
        }
out:
        free(text);
        free(pf);
        return 0;
}
