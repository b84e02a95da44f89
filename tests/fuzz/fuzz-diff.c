/* libFuzzer harness: the unified diff that a dry-run of xhafw_file_replace prints (core/fileedit.c).
 * The input is the old content, a NUL byte, the new content. Property: applying the printed diff
 * to the old content gives the new content exactly, so what the admin reads is what would be written. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"
#include "hostapi.h"
#include "log.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/xhafw-fuzz-diff.XXXXXX";
static char path[sizeof dir + 16], out_path[sizeof dir + 16];
static int out_fd = -1;

static void cleanup(void)
{
        unlink(path);
        unlink(out_path);
        rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void) argc;
        (void) argv;
        log_max_priority = -1;
        if (!mkdtemp(dir))
                abort();
        snprintf(path, sizeof path, "%s/file", dir);
        snprintf(out_path, sizeof out_path, "%s/out", dir);
        /* The diff goes to stdout: catch it in a file. */
        out_fd = open(out_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (out_fd < 0 || dup2(out_fd, STDOUT_FILENO) < 0)
                abort();
        atexit(cleanup);
        return 0;
}

struct text {
        const char *p;
        size_t n;
};

/* The next line of T (with its newline, if any), or false at the end. */
static bool next_line(struct text *t, struct text *line)
{
        const char *nl;

        if (t->n == 0)
                return false;
        nl = memchr(t->p, '\n', t->n);
        line->p = t->p;
        line->n = nl ? (size_t) (nl - t->p) + 1 : t->n;
        t->p += line->n;
        t->n -= line->n;
        return true;
}

/* Apply the unified diff to OLD; the result in *ret (malloc'd). False when the diff does not fit OLD. */
static bool apply(const char *diff, size_t diff_n, const char *old, size_t old_n, char **ret, size_t *ret_n)
{
        struct text d = { diff, diff_n }, o = { old, old_n }, line, ol;
        size_t consumed = 0; /* old lines copied or matched so far */
        FILE *f;
        char *buf = NULL;
        size_t buf_n = 0;
        char last = 0; /* the side of the line before a "\ No newline" marker */
        bool ok = true;

        f = open_memstream(&buf, &buf_n);
        if (!f)
                abort();
        if (!next_line(&d, &line) || strncmp(line.p, "--- ", 4) != 0 || !next_line(&d, &line) ||
            strncmp(line.p, "+++ ", 4) != 0)
                ok = false;
        while (ok && next_line(&d, &line)) {
                if (line.n >= 3 && memcmp(line.p, "@@ ", 3) == 0) {
                        unsigned long a, b = 1;
                        char *end;
                        a = strtoul(line.p + 4, &end, 10);
                        if (*end == ',')
                                b = strtoul(end + 1, &end, 10);
                        a = b ? a - 1 : a; /* the index of the first old line of the hunk */
                        if (a < consumed) {
                                ok = false;
                                break;
                        }
                        while (consumed < a && next_line(&o, &ol)) {
                                fwrite(ol.p, 1, ol.n, f);
                                consumed++;
                        }
                        ok = consumed == a;
                        continue;
                }
                if (line.n >= 2 && line.p[0] == '\\') {
                        /* the line before has no newline: take it back from the output */
                        fflush(f);
                        if (last != '-') {
                                if (buf_n == 0 || buf[buf_n - 1] != '\n')
                                        ok = false;
                                else if (fseeko(f, -1, SEEK_END) != 0) /* the size becomes the position */
                                        abort();
                        }
                        continue;
                }
                last = line.p[0];
                if (line.p[0] == ' ' || line.p[0] == '-') {
                        /* must match the next old line (without its newline, which the diff adds) */
                        size_t n = line.n - 2;
                        if (!next_line(&o, &ol) || ol.n < n || memcmp(ol.p, line.p + 1, n) != 0 ||
                            (ol.n != n + 1 && ol.n != n)) {
                                ok = false;
                                break;
                        }
                        consumed++;
                        if (line.p[0] == ' ')
                                fwrite(line.p + 1, 1, line.n - 1, f);
                } else if (line.p[0] == '+')
                        fwrite(line.p + 1, 1, line.n - 1, f);
                else
                        ok = false;
        }
        while (ok && next_line(&o, &ol))
                fwrite(ol.p, 1, ol.n, f);
        if (fclose(f) != 0)
                abort();
        *ret = buf;
        *ret_n = buf_n;
        return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const uint8_t *nul = memchr(data, 0, size);
        struct settings settings = { .state_dir = dir };
        struct action action = { .settings = &settings, .dry_run = true, .msg_fd = -1 };
        struct xhafw_step step = { .name = (char *) "fuzz", .action = &action };
        size_t old_n = nul ? (size_t) (nul - data) : size, new_n, out_n, got_n = 0;
        char *new_text, *out, *got = NULL;
        const char *diff;
        int fd;
        off_t end;

        new_n = nul ? strnlen((const char *) nul + 1, size - old_n - 1) : 0;
        new_text = strndup(nul ? (const char *) nul + 1 : "", new_n);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (!new_text || fd < 0 || write_all(fd, data, old_n) < 0 || close(fd) < 0)
                abort();
        if (ftruncate(out_fd, 0) < 0 || lseek(out_fd, 0, SEEK_SET) < 0)
                abort();
        if (xhafw_file_replace(&step, path, new_text) < 0)
                abort();
        fflush(stdout);
        end = lseek(out_fd, 0, SEEK_END);
        out = calloc(1, (size_t) end + 1);
        if (!out || pread(out_fd, out, (size_t) end, 0) != end)
                abort();
        out_n = (size_t) end;
        /* action_print adds a newline to the diff text, which ends with one already */
        diff = out;
        if (out_n == 0) {
                if (old_n != new_n || memcmp(data, new_text, new_n) != 0)
                        abort(); /* a change with no diff */
        } else if (!apply(diff, out_n, (const char *) data, old_n, &got, &got_n) || got_n != new_n ||
                   memcmp(got, new_text, new_n) != 0) {
                fprintf(stderr, "the diff does not turn the old content into the new one:\n%s", out);
                abort();
        }
        free(got);
        free(out);
        free(new_text);
        return 0;
}
