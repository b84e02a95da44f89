/* Small helpers: clocks, parsing of values, string vectors, allocation that cannot fail, files. */
#ifndef XHAFW_UTIL_H
#define XHAFW_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

uint64_t now_ms(void);
uint64_t now_us(void);
int parse_duration_ms(const char *s, uint64_t *ret); /* "500ms", "30s", "2m", "1h"; bare: seconds */
int parse_int(const char *s, long long *ret);
int parse_bool(const char *s, bool *ret);
int parse_address(const char *s, bool *ret_has_prefix); /* IPv4/IPv6 with optional /prefix */
bool valid_interface_name(const char *s);
bool valid_step_name(const char *s);
/* Split a comma-separated list, trimming blanks and dropping empty items. */
int split_list(const char *s, char ***ret_items, size_t *ret_n);
void strv_free(char **v);
size_t strv_length(char *const *v);
char *strdup_or_die(const char *s);
void *xcalloc(size_t n, size_t size);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *strip(char *s);
/* Refuse files that others could have written: not owned by root or us, or group/world-writable. */
int check_owner_mode(const char *path, char **ret_reason);
int write_all(int fd, const void *buf, size_t n);
/* The one atomic writer of the tree (the journal, the state, the reports, the files plugins edit):
 * a temporary ".NAME" ATOMIC_TEMP_INFIX "XXXXXX" in NAME's directory, written, given its owner
 * (set_owner) and mode, fsync'ed, renamed over NAME, and the directory fsync'ed. A failure before
 * the rename removes the temporary and leaves NAME as it was. */
#define ATOMIC_TEMP_INFIX ".xhafw-"
struct atomic_replace {
        int mode;
        bool set_owner;
        uid_t uid;
        gid_t gid;
        /* Called at the stages "after-write", "before-fsync", "before-rename" and "before-dirsync":
         * a negative errno fails the write there (the file editor's fault injection). */
        int (*fault)(void *ctx, const char *stage);
        void *fault_ctx;
        const char *failed; /* out: what could not be done ("write the new content of"), or NULL */
};
int replace_file_atomic(const char *path, const void *data, size_t n, struct atomic_replace *how);
/* replace_file_atomic() with MODE and the owner the kernel gives. */
int write_file_atomic(const char *path, const void *data, size_t n, int mode);
int read_file(const char *path, size_t max, char **ret, size_t *ret_n);
int mkdir_p(const char *path, int mode);

/* A string-keyed map for lookups that must stay linear in big configurations. Keys are borrowed:
 * they must outlive the map. */
struct strmap {
        const char **keys;
        void **values;
        size_t n, cap;
};
void strmap_put(struct strmap *m, const char *key, void *value);
bool strmap_get(const struct strmap *m, const char *key, void **ret_value);
void strmap_free(struct strmap *m);

#endif
