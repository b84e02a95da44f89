/* The small files and values a database plugin (postgres, mariadb) reads: whole text files, the first
 * line of a password file, paths in the data directory. Pure: no host API, no logging. */
#ifndef XHAFW_DBFILE_H
#define XHAFW_DBFILE_H

#include <stdint.h>
#include <stdio.h>

/* What db_read_file reads at the most, and the longest password. */
#define DB_MAX_FILE (16 * 1024 * 1024)
#define DB_MAX_PASSWORD 1024

/* dir/name, with one slash between; NULL when out of memory. */
char *db_path_join(const char *dir, const char *name);

/* A whole file into *ret (free() it), NUL bytes and all, with a NUL after its *ret_len bytes: 0, or
 * -errno of open/read, -EFBIG beyond DB_MAX_FILE, -ENOMEM. *ret is untouched on failure. */
int db_read_bytes(const char *path, char **ret, size_t *ret_len);

/* A whole text file into *ret (free() it): 0, or -errno of open/read, -EFBIG beyond DB_MAX_FILE,
 * -EINVAL when it holds a NUL byte (not a text file), -ENOMEM. *ret is untouched on failure. */
int db_read_file(const char *path, char **ret);

/* The first line of text (ended by CR or LF) as a new string in *ret: 0, -EINVAL when that line is
 * empty or longer than max bytes, -ENOMEM. */
int db_first_line(const char *text, size_t max, char **ret);

/* Wipe and free a password (NULL is fine). */
void db_free_password(char *p);

/* A poll interval in ms from value (an environment variable's text): 1 to 1000, or def when value
 * is unset, empty or anything else. */
uint64_t db_poll_ms(const char *value, uint64_t def);

/* "a, b, c", or "(none)". */
void db_print_list(FILE *out, const char *const *items, size_t n);

#endif
