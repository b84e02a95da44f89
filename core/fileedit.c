/* Editing files that others own: atomic replacement keeping mode and owner, backup, dry-run diff. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"
#include "hostapi.h"
#include "log.h"
#include "util.h"

#define DIFF_CONTEXT 3
/* Beyond this many cells the LCS table would cost too much memory and time: the changed middle
 * is then shown as deleted and added whole, still a correct diff. */
#define DIFF_MAX_CELLS (4u * 1024 * 1024)

/* Fault injection for the crash-safety tests. XHAFW_FAULT=<stage> makes the write fail with EIO
 * at that stage, XHAFW_FAULT=kill:<stage> makes the process die there by SIGKILL, as a power cut
 * or the engine's timeout would. Stages, in order: after-write (data written to the temporary
 * file), before-fsync, before-rename, before-dirsync (the rename is done). secure_getenv: a
 * setuid caller's environment cannot trigger it. */
static int fault_point(struct xhafw_step *step, const char *stage)
{
        const char *f = secure_getenv("XHAFW_FAULT");

        if (!f)
                return 0;
        if (strncmp(f, "kill:", 5) == 0 && strcmp(f + 5, stage) == 0)
                raise(SIGKILL);
        if (strcmp(f, stage) == 0) {
                xhafw_log(step, LOG_WARNING, "XHAFW_FAULT: failing at %s", stage);
                return -EIO;
        }
        return 0;
}

/* ---- diff ---- */

struct line {
        const char *p;
        size_t n; /* without the newline */
        bool nl;  /* ends with a newline */
};

static size_t split_lines(const char *buf, size_t n, struct line **ret)
{
        size_t count = 0, k = 0;
        struct line *v;

        for (size_t i = 0; i < n; i++)
                count += buf[i] == '\n';
        if (n > 0 && buf[n - 1] != '\n')
                count++;
        v = xcalloc(count, sizeof *v);
        for (size_t i = 0; i < n; k++) {
                const char *nl = memchr(buf + i, '\n', n - i);
                size_t len = nl ? (size_t) (nl - (buf + i)) : n - i;
                v[k] = (struct line){ .p = buf + i, .n = len, .nl = nl != NULL };
                i += len + (nl != NULL);
        }
        *ret = v;
        return count;
}

static bool line_eq(const struct line *a, const struct line *b)
{
        return a->n == b->n && a->nl == b->nl && memcmp(a->p, b->p, a->n) == 0;
}

enum op {
        OP_EQ,
        OP_DEL,
        OP_ADD
};

/* The edit script turning A into B: common prefix and suffix trimmed, LCS of the middle. */
static size_t edit_script(const struct line *a, size_t na, const struct line *b, size_t nb, enum op **ret)
{
        size_t pre = 0, suf = 0, n, m, k = 0;
        enum op *ops = xcalloc(na + nb, sizeof *ops);

        while (pre < na && pre < nb && line_eq(&a[pre], &b[pre]))
                pre++;
        while (suf < na - pre && suf < nb - pre && line_eq(&a[na - 1 - suf], &b[nb - 1 - suf]))
                suf++;
        n = na - pre - suf;
        m = nb - pre - suf;
        for (size_t i = 0; i < pre; i++)
                ops[k++] = OP_EQ;

        if (n > 0 && m > 0 && (n + 1) <= DIFF_MAX_CELLS / (m + 1)) {
                const struct line *x = a + pre, *y = b + pre;
                /* L[i][j]: length of the LCS of x[i..] and y[j..]. */
                uint32_t *L = xcalloc((n + 1) * (m + 1), sizeof *L);
#define CELL(i, j) L[(i) * (m + 1) + (j)]
                for (size_t i = n; i-- > 0;)
                        for (size_t j = m; j-- > 0;)
                                CELL(i, j) = line_eq(&x[i], &y[j])            ? CELL(i + 1, j + 1) + 1 :
                                             CELL(i + 1, j) >= CELL(i, j + 1) ? CELL(i + 1, j) :
                                                                                CELL(i, j + 1);
                size_t i = 0, j = 0;
                while (i < n || j < m) {
                        if (i < n && j < m && line_eq(&x[i], &y[j])) {
                                ops[k++] = OP_EQ;
                                i++, j++;
                        } else if (i < n && (j == m || CELL(i + 1, j) >= CELL(i, j + 1))) {
                                ops[k++] = OP_DEL;
                                i++;
                        } else {
                                ops[k++] = OP_ADD;
                                j++;
                        }
                }
#undef CELL
                free(L);
        } else {
                for (size_t i = 0; i < n; i++)
                        ops[k++] = OP_DEL;
                for (size_t j = 0; j < m; j++)
                        ops[k++] = OP_ADD;
        }
        for (size_t i = 0; i < suf; i++)
                ops[k++] = OP_EQ;
        *ret = ops;
        return k;
}

static void put_line(FILE *f, char prefix, const struct line *l)
{
        fputc(prefix, f);
        fwrite(l->p, 1, l->n, f);
        fputc('\n', f);
        if (!l->nl)
                fputs("\\ No newline at end of file\n", f);
}

/* GNU diff's form: ",1" is left out, and an empty range names the line before it. */
static void put_range(FILE *f, char sign, size_t start, size_t count)
{
        if (count == 1)
                fprintf(f, "%c%zu", sign, start + 1);
        else
                fprintf(f, "%c%zu,%zu", sign, count ? start + 1 : start, count);
}

/* A unified diff of OLD and NEW (3 lines of context), or NULL when they are equal. */
static char *unified_diff(const char *path, const char *old, size_t old_n, const char *new, size_t new_n)
{
        struct line *a, *b;
        size_t na = split_lines(old, old_n, &a), nb = split_lines(new, new_n, &b);
        enum op *ops;
        size_t n_ops = edit_script(a, na, b, nb, &ops);
        char *out = NULL;
        size_t out_n = 0;
        FILE *f = open_memstream(&out, &out_n);
        bool any = false;

        if (!f)
                abort();
        fprintf(f, "--- %s\n+++ %s (after xhafw)\n", path, path);
        /* ia, ib: the lines (0-based) of A and B where op k starts. */
        for (size_t k = 0, ia = 0, ib = 0; k < n_ops;) {
                size_t first, last, next, sa, sb, ca = 0, cb = 0, ctx_before = 0, ctx_after = 0, end, xa, xb;

                if (ops[k] == OP_EQ) {
                        ia++, ib++, k++;
                        continue;
                }
                any = true;
                /* A hunk: from this change, extended while the next change is at most
                 * 2 * DIFF_CONTEXT equal lines away. */
                first = k;
                last = k;
                for (next = k + 1; next < n_ops && next - last <= 2 * DIFF_CONTEXT + 1; next++)
                        if (ops[next] != OP_EQ)
                                last = next;
                while (ctx_before < DIFF_CONTEXT && ctx_before < first && ops[first - ctx_before - 1] == OP_EQ)
                        ctx_before++;
                end = last + 1;
                while (ctx_after < DIFF_CONTEXT && end + ctx_after < n_ops && ops[end + ctx_after] == OP_EQ)
                        ctx_after++;
                sa = ia - ctx_before;
                sb = ib - ctx_before;
                for (size_t q = first - ctx_before; q < end + ctx_after; q++) {
                        ca += ops[q] != OP_ADD;
                        cb += ops[q] != OP_DEL;
                }
                fputs("@@ ", f);
                put_range(f, '-', sa, ca);
                fputc(' ', f);
                put_range(f, '+', sb, cb);
                fputs(" @@\n", f);
                xa = sa;
                xb = sb;
                for (size_t q = first - ctx_before; q < end + ctx_after; q++) {
                        switch (ops[q]) {
                        case OP_EQ:
                                put_line(f, ' ', &a[xa++]);
                                xb++;
                                break;
                        case OP_DEL: put_line(f, '-', &a[xa++]); break;
                        case OP_ADD: put_line(f, '+', &b[xb++]); break;
                        }
                }
                ia = xa;
                ib = xb;
                k = end + ctx_after;
        }
        if (fclose(f) != 0 || !out)
                abort();
        free(ops);
        free(a);
        free(b);
        if (!any) {
                free(out);
                return NULL;
        }
        return out;
}

/* ---- replacement ---- */

struct current {
        char *data;
        size_t n;
        bool exists;
        uid_t uid;
        gid_t gid;
        mode_t mode;
};

/* Read PATH without blocking on a FIFO and without following anything but a regular file. */
static int read_current(struct xhafw_step *step, const char *path, struct current *c)
{
        struct stat st;
        size_t cap;
        int fd;

        *c = (struct current){ .mode = 0644 };
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                if (errno == ENOENT) {
                        c->data = xcalloc(1, 1);
                        return 0;
                }
                xhafw_log(step, LOG_ERR, "cannot open %s: %s", path, strerror(errno));
                return -errno;
        }
        if (fstat(fd, &st) < 0) {
                int r = -errno;
                xhafw_log(step, LOG_ERR, "cannot stat %s: %s", path, strerror(errno));
                close(fd);
                return r;
        }
        if (!S_ISREG(st.st_mode)) {
                xhafw_log(step, LOG_ERR, "%s is not a regular file: refusing to replace it", path);
                close(fd);
                return -EINVAL;
        }
        if (st.st_size > XHAFW_MAX_FILE) {
                xhafw_log(step, LOG_ERR, "%s is larger than %d bytes: refusing to edit it", path, XHAFW_MAX_FILE);
                close(fd);
                return -EFBIG;
        }
        c->exists = true;
        c->uid = st.st_uid;
        c->gid = st.st_gid;
        c->mode = st.st_mode & 07777;
        cap = (size_t) st.st_size;
        c->data = xcalloc(cap + 1, 1);
        /* The size may change under us; read to the end of file, within the limit. */
        for (;;) {
                ssize_t r;
                if (c->n == cap) {
                        if (cap >= XHAFW_MAX_FILE) {
                                xhafw_log(step, LOG_ERR, "%s grew beyond %d bytes while read", path, XHAFW_MAX_FILE);
                                close(fd);
                                free(c->data);
                                c->data = NULL;
                                return -EFBIG;
                        }
                        cap = cap < 4096 ? 4096 : cap * 2;
                        if (cap > XHAFW_MAX_FILE)
                                cap = XHAFW_MAX_FILE;
                        c->data = realloc(c->data, cap + 1);
                        if (!c->data)
                                abort();
                }
                r = read(fd, c->data + c->n, cap - c->n);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        xhafw_log(step, LOG_ERR, "cannot read %s: %s", path, strerror(errno));
                        close(fd);
                        free(c->data);
                        c->data = NULL;
                        return (int) r;
                }
                if (r == 0)
                        break;
                c->n += (size_t) r;
        }
        c->data[c->n] = 0;
        close(fd);
        return 0;
}

/* The backup name keeps the whole path readable and unambiguous in one file name. */
static char *escape_path(const char *path)
{
        size_t n = 1;
        char *r, *q;

        for (const char *p = path; *p; p++)
                n += (*p == '/' || *p == '%') ? 3 : 1;
        r = q = xcalloc(n, 1);
        for (const char *p = path; *p; p++) {
                if (*p == '/' || *p == '%') {
                        memcpy(q, *p == '/' ? "%2F" : "%25", 3);
                        q += 3;
                } else
                        *q++ = *p;
        }
        *q = 0;
        return r;
}

static int write_backup(struct xhafw_step *step, const char *path, const struct current *c)
{
        const struct settings *s = step->action->settings;
        char *dir, *name, *file;
        int r;

        if (!s->state_dir || !*s->state_dir) {
                xhafw_log(step, LOG_ERR, "no state_dir configured: cannot keep the previous content of %s", path);
                return -EINVAL;
        }
        dir = xasprintf("%s/backup/%s", s->state_dir, step->name);
        name = escape_path(path);
        file = xasprintf("%s/%s", dir, name);
        r = mkdir_p(dir, 0700);
        if (r < 0) {
                xhafw_log(step, LOG_ERR, "cannot create the backup directory %s: %s", dir, strerror(-r));
                goto out;
        }
        if (c->exists) {
                r = write_file_atomic(file, c->data, c->n, 0600);
                if (r < 0)
                        xhafw_log(step, LOG_ERR, "cannot keep the previous content of %s in %s: %s", path, file,
                                  strerror(-r));
        } else if (unlink(file) < 0 && errno != ENOENT) {
                /* No previous content: a backup left from an earlier run would lie about it. */
                r = -errno;
                xhafw_log(step, LOG_ERR, "cannot remove the stale backup %s: %s", file, strerror(errno));
        }
out:
        free(file);
        free(name);
        free(dir);
        return r;
}

/* A run killed between mkostemp() and rename() leaves ".NAME.xhafw-XXXXXX" behind; the next
 * replacement of NAME removes it. Only our own pattern and only regular files are touched. */
static void remove_stale_temps(struct xhafw_step *step, const char *dir, const char *base)
{
        char *prefix = xasprintf(".%s" ATOMIC_TEMP_INFIX, base);
        size_t plen = strlen(prefix);
        DIR *d = opendir(dir);
        struct dirent *de;

        if (!d) {
                free(prefix);
                return;
        }
        while ((de = readdir(d))) {
                struct stat st;
                if (strncmp(de->d_name, prefix, plen) != 0 || strlen(de->d_name) != plen + 6)
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (unlinkat(dirfd(d), de->d_name, 0) == 0)
                        xhafw_log(step, LOG_INFO, "removed %s/%s, left by an interrupted run", dir, de->d_name);
        }
        closedir(d);
        free(prefix);
}

static int fault_stage(void *step, const char *stage)
{
        return fault_point(step, stage);
}

static int replace_atomically(struct xhafw_step *step, const char *target, const char *content, size_t n,
                              const struct current *c)
{
        struct atomic_replace how = {
                .mode = (int) c->mode,
                .set_owner = c->exists,
                .uid = c->uid,
                .gid = c->gid,
                .fault = fault_stage,
                .fault_ctx = step,
        };
        const char *slash = strrchr(target, '/');
        char *dir = slash == target ? strdup_or_die("/") : xasprintf("%.*s", (int) (slash - target), target);
        int r;

        remove_stale_temps(step, dir, slash + 1);
        free(dir);
        r = replace_file_atomic(target, content, n, &how);
        if (r < 0)
                xhafw_log(step, LOG_ERR, "cannot %s %s: %s", how.failed, target, strerror(-r));
        return r;
}

XHAFW_API int xhafw_file_replace(struct xhafw_step *step, const char *path, const char *content)
{
        struct current cur = { 0 };
        char *target = NULL;
        size_t n;
        struct stat st;
        int r;

        if (!step || !step->action || !step->action->settings || !path || !content)
                return -EINVAL;
        if (path[0] != '/' || path[strlen(path) - 1] == '/') {
                xhafw_log(step, LOG_ERR, "cannot replace %s: not an absolute path to a file", path);
                return -EINVAL;
        }
        n = strlen(content);
        if (n > XHAFW_MAX_FILE) {
                xhafw_log(step, LOG_ERR, "cannot replace %s: the new content is larger than %d bytes", path,
                          XHAFW_MAX_FILE);
                return -EFBIG;
        }
        /* Through a symlink, edit the file it names: replacing the link with a file would cut the
         * admin's setup in two. */
        if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
                struct stat tst;
                target = realpath(path, NULL);
                if (!target) {
                        r = -errno;
                        xhafw_log(step, LOG_ERR, "cannot resolve the symbolic link %s: %s", path, strerror(errno));
                        return r;
                }
                /* The kernel's protected_symlinks rule: whoever can place a link in a directory
                 * (postgres in its data directory) must not make root rewrite a file of someone
                 * else's. Follow a link only when root or the target's owner owns it. */
                if (st.st_uid != 0 && (stat(target, &tst) < 0 || tst.st_uid != st.st_uid)) {
                        xhafw_log(step, LOG_ERR,
                                  "refusing to edit %s: it is a symbolic link owned by uid %u to %s, "
                                  "which that user does not own; replace the link with the file",
                                  path, (unsigned) st.st_uid, target);
                        free(target);
                        return -EPERM;
                }
        } else
                target = strdup_or_die(path);

        r = read_current(step, target, &cur);
        if (r < 0)
                goto out;
        /* A missing file counts as empty: asking for empty content changes nothing. */
        if (cur.n == n && memcmp(cur.data, content, n) == 0)
                goto out;

        if (step->action->dry_run) {
                char *diff = unified_diff(path, cur.data, cur.n, content, n);
                if (diff)
                        action_print(step, "%s", diff);
                free(diff);
                goto out;
        }

        r = write_backup(step, path, &cur);
        if (r < 0)
                goto out;
        r = replace_atomically(step, target, content, n, &cur);
        if (r == 0)
                xhafw_log(step, LOG_INFO, "replaced the content of %s", path);
out:
        free(cur.data);
        free(target);
        return r;
}
