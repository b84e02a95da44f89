/* Small helpers: time, parsing of option values, string vectors, safe file I/O. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

uint64_t now_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

uint64_t now_ms(void)
{
        return now_us() / 1000u;
}

int parse_duration_ms(const char *s, uint64_t *ret)
{
        static const struct {
                const char *suffix;
                uint64_t ms;
        } units[] = {
                { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "", 1000 },
        };
        const char *p = s;
        uint64_t v = 0;

        if (!s || !isdigit((unsigned char) *p))
                return -EINVAL;
        for (; isdigit((unsigned char) *p); p++) {
                if (v > UINT64_MAX / 10 - 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t) (*p - '0');
        }
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
                if (strcmp(p, units[i].suffix) == 0) {
                        if (v > UINT64_MAX / units[i].ms / 2)
                                return -ERANGE;
                        *ret = v * units[i].ms;
                        return 0;
                }
        return -EINVAL;
}

int parse_int(const char *s, long long *ret)
{
        char *end;
        long long v;

        if (!s || !*s || isspace((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno)
                return -errno;
        if (*end)
                return -EINVAL;
        *ret = v;
        return 0;
}

int parse_bool(const char *s, bool *ret)
{
        static const char *const yes[] = { "yes", "true", "on", "1" }, *const no[] = { "no", "false", "off", "0" };
        if (!s)
                return -EINVAL;
        for (size_t i = 0; i < 4; i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

int parse_address(const char *s, bool *ret_has_prefix)
{
        char buf[INET6_ADDRSTRLEN + 8];
        unsigned char bin[16];
        const char *slash;
        int family;
        long long prefix;

        if (!s || strlen(s) >= sizeof buf)
                return -EINVAL;
        memcpy(buf, s, strlen(s) + 1);
        slash = strchr(s, '/');
        if (slash)
                buf[slash - s] = 0;
        family = strchr(buf, ':') ? AF_INET6 : AF_INET;
        if (inet_pton(family, buf, bin) != 1)
                return -EINVAL;
        if (slash) {
                if (parse_int(slash + 1, &prefix) < 0 || prefix < 0 || prefix > (family == AF_INET ? 32 : 128))
                        return -EINVAL;
        }
        if (ret_has_prefix)
                *ret_has_prefix = slash != NULL;
        return family;
}

bool valid_interface_name(const char *s)
{
        size_t n = s ? strlen(s) : 0;
        if (n == 0 || n >= IFNAMSIZ || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return false;
        for (const char *p = s; *p; p++)
                if (*p == '/' || isspace((unsigned char) *p) || !isprint((unsigned char) *p))
                        return false;
        return true;
}

bool valid_step_name(const char *s)
{
        size_t n = s ? strlen(s) : 0;
        if (n == 0 || n > 64 || s[0] == '.' || s[0] == '-')
                return false;
        for (const char *p = s; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr("-_.", *p))
                        return false;
        return true;
}

char *strip(char *s)
{
        char *e;
        while (isspace((unsigned char) *s))
                s++;
        e = s + strlen(s);
        while (e > s && isspace((unsigned char) e[-1]))
                *--e = 0;
        return s;
}

int split_list(const char *s, char ***ret_items, size_t *ret_n)
{
        char *copy, *tok, *save = NULL;
        char **v;
        size_t n = 0, cap = 1;

        for (const char *p = s; p && *p; p++)
                cap += *p == ',';
        v = xcalloc(cap + 1, sizeof *v);
        copy = strdup_or_die(s ? s : "");
        for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                char *t = strip(tok);
                if (*t)
                        v[n++] = strdup_or_die(t);
        }
        free(copy);
        *ret_items = v;
        if (ret_n)
                *ret_n = n;
        return 0;
}

void strv_free(char **v)
{
        if (!v)
                return;
        for (char **p = v; *p; p++)
                free(*p);
        free(v);
}

size_t strv_length(char *const *v)
{
        size_t n = 0;
        while (v && v[n])
                n++;
        return n;
}

static void oom(void)
{
        static const char msg[] = "xhafw: error: out of memory\n";
        (void) write(STDERR_FILENO, msg, sizeof msg - 1);
        abort();
}

char *strdup_or_die(const char *s)
{
        char *r = strdup(s);
        if (!r)
                oom();
        return r;
}

void *xcalloc(size_t n, size_t size)
{
        void *p = calloc(n ? n : 1, size ? size : 1);
        if (!p)
                oom();
        return p;
}

char *xasprintf(const char *fmt, ...)
{
        char *r;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&r, fmt, ap) < 0)
                oom();
        va_end(ap);
        return r;
}

int check_owner_mode(const char *path, char **ret_reason)
{
        struct stat st;
        if (stat(path, &st) < 0) {
                if (ret_reason)
                        *ret_reason = xasprintf("cannot stat: %s", strerror(errno));
                return -errno;
        }
        if (st.st_uid != 0 && st.st_uid != geteuid()) {
                if (ret_reason)
                        *ret_reason =
                                xasprintf("owned by uid %u, not by root or the invoking user", (unsigned) st.st_uid);
                return -EPERM;
        }
        if (st.st_mode & (S_IWGRP | S_IWOTH)) {
                if (ret_reason)
                        *ret_reason =
                                xasprintf("%s-writable (mode %04o): run chmod go-w on it",
                                          (st.st_mode & S_IWOTH) ? "world" : "group", (unsigned) (st.st_mode & 07777));
                return -EPERM;
        }
        return 0;
}

int write_all(int fd, const void *buf, size_t n)
{
        const char *p = buf;
        while (n > 0) {
                ssize_t w = write(fd, p, n);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += w;
                n -= (size_t) w;
        }
        return 0;
}

int read_file(const char *path, size_t max, char **ret, size_t *ret_n)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        size_t n = 0, cap = 4096;
        char *buf;

        if (fd < 0)
                return -errno;
        buf = xcalloc(cap + 1, 1);
        for (;;) {
                ssize_t r;
                if (n == cap) {
                        if (cap >= max) {
                                free(buf);
                                close(fd);
                                return -EFBIG;
                        }
                        cap = cap * 2 > max ? max : cap * 2;
                        buf = realloc(buf, cap + 1);
                        if (!buf)
                                oom();
                }
                r = read(fd, buf + n, cap - n);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        free(buf);
                        close(fd);
                        return (int) r;
                }
                if (r == 0)
                        break;
                n += (size_t) r;
        }
        close(fd);
        buf[n] = 0;
        *ret = buf;
        if (ret_n)
                *ret_n = n;
        return 0;
}

static int fsync_dir(const char *dir)
{
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int r = 0;

        if (fd < 0)
                return -errno;
        if (fsync(fd) < 0)
                r = -errno;
        close(fd);
        return r;
}

static int stage(const struct atomic_replace *how, const char *name)
{
        return how->fault ? how->fault(how->fault_ctx, name) : 0;
}

int replace_file_atomic(const char *path, const void *data, size_t n, struct atomic_replace *how)
{
        const char *slash = strrchr(path, '/');
        char *dir, *tmp;
        int fd, r;

        if (!*path || (slash && !slash[1]))
                return -EINVAL;
        if (!slash) /* a name in the working directory (history --svg run.svg) */
                dir = strdup_or_die(".");
        else
                dir = slash == path ? strdup_or_die("/") : xasprintf("%.*s", (int) (slash - path), path);
        tmp = xasprintf("%s/.%s" ATOMIC_TEMP_INFIX "XXXXXX", slash == path ? "" : dir, slash ? slash + 1 : path);
        how->failed = "create a temporary file to replace";
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                goto out;
        }
        how->failed = "write the new content of";
        r = write_all(fd, data, n);
        if (r == 0)
                r = stage(how, "after-write");
        /* Owner before mode: fchown() clears the set-id bits that fchmod() then restores. A new
         * file keeps what the kernel gave it (the group of a setgid directory). */
        if (r == 0 && how->set_owner) {
                how->failed = "give the owner and group of the old file to the new content of";
                r = fchown(fd, how->uid, how->gid) < 0 ? -errno : 0;
        }
        if (r == 0) {
                how->failed = "give the mode to the new content of";
                r = fchmod(fd, (mode_t) how->mode) < 0 ? -errno : 0;
        }
        if (r == 0) {
                how->failed = "sync the new content of";
                r = stage(how, "before-fsync");
        }
        if (r == 0)
                r = fsync(fd) < 0 ? -errno : 0;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0) {
                how->failed = "rename the new content over";
                r = stage(how, "before-rename");
        }
        if (r == 0)
                r = rename(tmp, path) < 0 ? -errno : 0;
        if (r < 0) {
                (void) unlink(tmp);
                goto out;
        }
        /* From here on the new content is in place; a failure means it may not survive a crash. */
        how->failed = "sync the directory after replacing";
        r = stage(how, "before-dirsync");
        if (r == 0)
                r = fsync_dir(dir);
        if (r == 0)
                how->failed = NULL;
out:
        free(tmp);
        free(dir);
        return r;
}

int write_file_atomic(const char *path, const void *data, size_t n, int mode)
{
        struct atomic_replace how = { .mode = mode };
        return replace_file_atomic(path, data, n, &how);
}

int mkdir_p(const char *path, int mode)
{
        char *copy = strdup_or_die(path);
        int r = 0;

        for (char *p = copy + 1;; p++) {
                if (*p == '/' || *p == 0) {
                        char c = *p;
                        *p = 0;
                        if (mkdir(copy, (mode_t) mode) < 0 && errno != EEXIST) {
                                r = -errno;
                                break;
                        }
                        *p = c;
                        if (!c)
                                break;
                }
        }
        free(copy);
        return r;
}

/* ---- strmap: open addressing, FNV-1a; keys are borrowed, not copied ---- */

static uint64_t fnv1a(const char *s)
{
        uint64_t h = 14695981039346656037ull;
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ull;
        return h;
}

static void strmap_grow(struct strmap *m)
{
        struct strmap bigger = { .cap = m->cap ? 2 * m->cap : 64 };
        bigger.keys = xcalloc(bigger.cap, sizeof *bigger.keys);
        bigger.values = xcalloc(bigger.cap, sizeof *bigger.values);
        for (size_t i = 0; i < m->cap; i++)
                if (m->keys[i])
                        strmap_put(&bigger, m->keys[i], m->values[i]);
        free(m->keys);
        free(m->values);
        *m = bigger;
}

void strmap_put(struct strmap *m, const char *key, void *value)
{
        size_t i;
        if (2 * (m->n + 1) > m->cap)
                strmap_grow(m);
        for (i = fnv1a(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
                if (strcmp(m->keys[i], key) == 0) {
                        m->values[i] = value;
                        return;
                }
        m->keys[i] = key;
        m->values[i] = value;
        m->n++;
}

bool strmap_get(const struct strmap *m, const char *key, void **ret_value)
{
        if (!m->cap)
                return false;
        for (size_t i = fnv1a(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
                if (strcmp(m->keys[i], key) == 0) {
                        if (ret_value)
                                *ret_value = m->values[i];
                        return true;
                }
        return false;
}

void strmap_free(struct strmap *m)
{
        free(m->keys);
        free(m->values);
        memset(m, 0, sizeof *m);
}
