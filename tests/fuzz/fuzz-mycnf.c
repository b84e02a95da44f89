/* libFuzzer harness: the mariadb plugin's edits of the server's option file
 * (plugins/mariadb/mycnf.c, included: its functions are static). The input is the file; the
 * addresses and the pid file are fixed, as a site's configuration would give them. Properties: the
 * bind-address edit only inserts (the input is a subsequence of the result, its first and last
 * bytes in place), the result covers every address, the pid-file setting reads back as set, and
 * a second edit changes nothing. */
#include <stdint.h>

/* Not every function of the included file is used here. */
#pragma GCC diagnostic ignored "-Wunused-function"
#include "mycnf.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const want[] = { "127.0.0.1", "192.0.2.7", "2001:db8::7", "localhost", "192.0.2.7" };
#define N(a) (sizeof a / sizeof a[0])
#define PIDFILE "/var/lib/mysql/mariadb.pid"

static void bind_address(const char *text)
{
        char *out = NULL, *added = NULL, *out2 = NULL, *added2 = NULL, *value;
        size_t n = strlen(text), m;
        int r = mycnf_bind_add(text, "mysqld", want, N(want), &out, &added);

        if (r < 0)
                return;
        m = strlen(out);
        /* one insertion: a common prefix and suffix that together make up the input */
        {
                size_t p = 0, s = 0;

                while (p < n && out[p] == text[p])
                        p++;
                while (s < n - p && out[m - 1 - s] == text[n - 1 - s])
                        s++;
                if (p + s != n)
                        abort();
        }
        value = mycnf_value(out, "bind_address", "mysqld");
        for (size_t i = 0; i < N(want); i++)
                if (!mycnf_bind_covers(value, want[i]))
                        abort();
        free(value);
        if (mycnf_bind_add(out, "mysqld", want, N(want), &out2, &added2) != 0 || strcmp(out, out2) != 0)
                abort(); /* idempotent */
        free(out), free(added), free(out2), free(added2);
}

static void pid_file(const char *text)
{
        char *out = NULL, *out2 = NULL, *value;
        int r = mycnf_set(text, "mysqld", "pid_file", PIDFILE, &out);

        if (r < 0)
                return;
        value = mycnf_value(out, "pid_file", "mysqld");
        if (!value || strcmp(value, PIDFILE) != 0)
                abort();
        free(value);
        if (mycnf_set(out, "mysqld", "pid_file", PIDFILE, &out2) != 0 || strcmp(out, out2) != 0)
                abort(); /* idempotent */
        free(out), free(out2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1);
        long pid;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;
        bind_address(text);
        pid_file(text);
        (void) mycnf_pidfile_parse(text, &pid);
        free(text);
        return 0;
}
