/* Line edits of files others own (/etc/hosts, /etc/resolv.conf): pure functions on the text, so
 * the plugins change only their own line and leave every other byte as it was. */
#ifndef XHAFW_LINES_H
#define XHAFW_LINES_H

#include <stdbool.h>
#include <stddef.h>

/* True when LINE (one line, no newline) says the same as WANT: the same blank-separated words
 * before any '#' comment. "192.0.2.7  mn1\tmn1.example.com # vip" equals "192.0.2.7 mn1 mn1.example.com".
 * An IPv6 address is the same word however it is written: "2001:DB8:0::7 mn1" equals "2001:db8::7 mn1". */
bool lines_equal(const char *line, size_t n, const char *want);

/* True when CONTENT has a line equal to WANT. */
bool lines_contains(const char *content, const char *want);

/* A new text: CONTENT with WANT added as its own line. When BEFORE_WORD is not NULL, WANT goes
 * before the first line whose first word is BEFORE_WORD (so "nameserver" lines keep their order
 * of preference), else at the end. Appended at the end, WANT ends with a newline, and a missing
 * final newline is added before it: *ret_newline_added (when not NULL) says whether it was, for
 * lines_remove() to take it back. NULL on allocation failure. */
char *lines_add(const char *content, const char *want, const char *before_word, bool *ret_newline_added);

/* A new text: CONTENT without the lines equal to WANT; *ret_removed counts them. NEWLINE_ADDED is
 * what lines_add() said when it added WANT: when the last line of CONTENT is one removed, the
 * newline lines_add() added before it goes too, so that adding then removing a line gives back
 * every byte of a file that did not end with a newline. (A line appended after WANT since keeps
 * it: it is that line's separator now.) NULL on allocation failure. */
char *lines_remove(const char *content, const char *want, bool newline_added, size_t *ret_removed);

#endif
