/* libFuzzer harness: the postgres plugin's edits of pg_hba.conf and postgresql.conf
 * (plugins/postgres/pgconf.c, included: its functions are static). The input is the file; the
 * addresses to add are fixed, as a site's configuration would give them. Properties: the edit only
 * appends to pg_hba.conf or changes the listen_addresses line, the result covers every address,
 * and a second edit changes nothing. */
#include <stdint.h>

/* Not every function of the included file is used here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "pgconf.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const allow[] = { "192.0.2.7", "198.51.100.0/24", "2001:db8::7", "192.0.2.7/32", "::1" };
static const char *const listen_want[] = { "localhost", "192.0.2.7", "2001:db8::7" };
#define N(a) (sizeof a / sizeof a[0])

static void hba(const char *text)
{
        char *out = NULL, *added = NULL, *out2 = NULL, *added2 = NULL;
        int r = pgconf_hba_add(text, allow, N(allow), "scram-sha-256", &out, &added);

        if (r < 0)
                return;
        if (strncmp(out, text, strlen(text)) != 0)
                abort(); /* only appends */
        for (size_t i = 0; i < N(allow); i++) {
                struct pgconf_net net;
                char cidr[INET6_ADDRSTRLEN + 8];
                if (pgconf_allow_cidr(allow[i], &net, cidr, sizeof cidr) < 0 || !pgconf_hba_has(out, &net))
                        abort();
        }
        if (pgconf_hba_add(out, allow, N(allow), "scram-sha-256", &out2, &added2) != 0 || strcmp(out, out2) != 0)
                abort(); /* idempotent */
        free(out), free(added), free(out2), free(added2);
}

static void listen_addresses(const char *text)
{
        char *out = NULL, *added = NULL, *out2 = NULL, *added2 = NULL, value[PGCONF_MAX_LINE];
        int r = pgconf_listen_add(text, listen_want, N(listen_want), &out, &added);

        if (r < 0)
                return;
        pgconf_listen_value(out, value, sizeof value);
        for (size_t i = 0; i < N(listen_want); i++)
                if (!pgconf_listen_covers(value, listen_want[i]))
                        abort();
        if (pgconf_listen_add(out, listen_want, N(listen_want), &out2, &added2) != 0 || strcmp(out, out2) != 0)
                abort(); /* idempotent */
        free(out), free(added), free(out2), free(added2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1);

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;
        hba(text);
        listen_addresses(text);
        free(text);
        return 0;
}
