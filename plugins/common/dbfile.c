/* The small files and values a database plugin reads (see dbfile.h). */
#include "dbfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

char *db_path_join(const char *dir, const char *name)
{
        size_t n = strlen(dir) + strlen(name) + 2;
        char *p = malloc(n);

        if (p)
                snprintf(p, n, "%s%s%s", dir, *dir && dir[strlen(dir) - 1] == '/' ? "" : "/", name);
        return p;
}

int db_read_bytes(const char *path, char **ret, size_t *ret_len)
{
        FILE *f = fopen(path, "re");
        char chunk[8192], *data = NULL;
        size_t n, len = 0, size = 0;
        int r = 0;

        if (!f)
                return -errno;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
                if (len + n > DB_MAX_FILE) {
                        r = -EFBIG;
                        break;
                }
                if (len + n + 1 > size) {
                        size_t want = size ? size : 256;
                        char *p;

                        while (want < len + n + 1)
                                want *= 2;
                        p = realloc(data, want);
                        if (!p) {
                                r = -ENOMEM;
                                break;
                        }
                        data = p;
                        size = want;
                }
                memcpy(data + len, chunk, n);
                len += n;
                data[len] = '\0';
        }
        if (r == 0 && ferror(f))
                r = -EIO;
        fclose(f);
        if (r == 0 && !data && !(data = strdup("")))
                r = -ENOMEM;
        if (r < 0) {
                free(data);
                return r;
        }
        *ret = data;
        *ret_len = len;
        return 0;
}

int db_read_file(const char *path, char **ret)
{
        char *data;
        size_t len;
        int r = db_read_bytes(path, &data, &len);

        if (r < 0)
                return r;
        if (strlen(data) != len) {
                free(data);
                return -EINVAL; /* a NUL byte: not a text file */
        }
        *ret = data;
        return 0;
}

int db_first_line(const char *text, size_t max, char **ret)
{
        size_t n = strcspn(text, "\r\n");

        if (n == 0 || n > max)
                return -EINVAL;
        *ret = strndup(text, n);
        return *ret ? 0 : -ENOMEM;
}

void db_free_password(char *p)
{
        if (p) {
                explicit_bzero(p, strlen(p));
                free(p);
        }
}

uint64_t db_poll_ms(const char *value, uint64_t def)
{
        char *end;
        long v;

        if (!value || !*value)
                return def;
        errno = 0;
        v = strtol(value, &end, 10);
        if (errno || *end || v < 1 || v > 1000)
                return def;
        return (uint64_t) v;
}

void db_print_list(FILE *out, const char *const *items, size_t n)
{
        for (size_t i = 0; i < n; i++)
                fprintf(out, "%s%s", i ? ", " : "", items[i]);
        if (n == 0)
                fprintf(out, "(none)");
}
