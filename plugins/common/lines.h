/* Line edits of files others own (/etc/hosts, /etc/resolv.conf): pure functions on the text, so
 * the plugins change only their own line and leave every other byte as it was. */
#ifndef XHAFW_LINES_H
#define XHAFW_LINES_H

#include <stdbool.h>
#include <stddef.h>

/* True when LINE (one line, no newline) says the same as WANT: the same blank-separated words
 * before any '#' comment. "192.0.2.7  mn1\tmn1.example.com # vip" equals "192.0.2.7 mn1 mn1.example.com". */
bool lines_equal(const char *line, size_t n, const char *want);

/* True when CONTENT has a line equal to WANT. */
bool lines_contains(const char *content, const char *want);

/* A new text: CONTENT with WANT added as its own line. When BEFORE_WORD is not NULL, WANT goes
 * before the first line whose first word is BEFORE_WORD (so "nameserver" lines keep their order
 * of preference), else at the end. A missing final newline is added before appending. NULL on
 * allocation failure. */
char *lines_add(const char *content, const char *want, const char *before_word);

/* A new text: CONTENT without the lines equal to WANT; *ret_removed counts them. NULL on
 * allocation failure. */
char *lines_remove(const char *content, const char *want, size_t *ret_removed);

#endif
