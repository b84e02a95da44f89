/* Pure text functions of the mariadb plugin (the server's option file, its pid file): text in, text out. */

/*
 * Nothing here touches the system or the host API, so the same code is unit-tested and fuzzed on
 * its own: mariadb.c and the tests #include this file, which keeps every function static.
 * The option file is read as MariaDB's mysys/my_default.c reads it: leading blanks skipped; a line
 * starting with '#' or ';' is a comment; `[group]`; `!include`/`!includedir` (not followed here);
 * otherwise `name[ = value]`, where '#' outside quotes starts a comment, blanks around name and
 * value are dropped and one pair of matching quotes around the value is removed. Option names
 * take '-' and '_' alike and may carry the `loose-` prefix. A line longer than MYCNF_MAX_LINE is
 * never one of ours and is left alone.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MYCNF_MAX_LINE 4096
#define MYCNF_ADDED "# added by xhafw"

/* A growing string; on allocation failure it stays failed and mycnf_buf_steal returns NULL. */
struct mycnf_buf {
        char *data;
        size_t len, size;
        bool failed;
};

static void mycnf_buf_add(struct mycnf_buf *b, const char *s, size_t n)
{
        if (b->failed)
                return;
        if (b->len + n + 1 > b->size) {
                size_t size = b->size ? b->size : 256;
                char *p;

                while (size < b->len + n + 1)
                        size *= 2;
                p = realloc(b->data, size);
                if (!p) {
                        b->failed = true;
                        return;
                }
                b->data = p;
                b->size = size;
        }
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
}

static void mycnf_buf_str(struct mycnf_buf *b, const char *s)
{
        mycnf_buf_add(b, s, strlen(s));
}

static char *mycnf_buf_steal(struct mycnf_buf *b)
{
        char *p;

        if (!b->data)
                mycnf_buf_add(b, "", 0);
        p = b->failed ? NULL : b->data;
        if (!p)
                free(b->data);
        *b = (struct mycnf_buf){ 0 };
        return p;
}

static bool mycnf_space(char c)
{
        /* my_isspace() of latin1: blank, tab, CR, LF, VT, FF */
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Trim blanks at both ends of [*s, *s + *n). */
static void mycnf_trim(const char **s, size_t *n)
{
        while (*n && mycnf_space(**s)) {
                (*s)++;
                (*n)--;
        }
        while (*n && mycnf_space((*s)[*n - 1]))
                (*n)--;
}

enum mycnf_kind {
        MYCNF_NONE,
        MYCNF_GROUP,
        MYCNF_OPTION
};

/* One line as the server reads it; offsets are relative to the line. */
struct mycnf_line {
        enum mycnf_kind kind;
        size_t name_start, name_len; /* the group's name, or the option's */
        bool has_value;
        size_t value_start, value_end; /* the value inside its quotes, if any */
        char quote;                    /* '"', '\'' or 0 */
};

static void mycnf_parse_line(const char *line, size_t len, struct mycnf_line *ret)
{
        size_t i = 0, end, eq;
        char quote = 0;
        bool escape = false;

        *ret = (struct mycnf_line){ .kind = MYCNF_NONE };
        while (i < len && mycnf_space(line[i]))
                i++;
        if (i >= len || line[i] == '#' || line[i] == ';' || line[i] == '!')
                return;
        if (line[i] == '[') {
                const char *close = memchr(line + i + 1, ']', len - i - 1);
                const char *name = line + i + 1;
                size_t n;

                if (!close)
                        return; /* the server refuses such a file ("Wrong group definition") */
                n = (size_t) (close - name);
                mycnf_trim(&name, &n);
                ret->kind = MYCNF_GROUP;
                ret->name_start = (size_t) (name - line);
                ret->name_len = n;
                return;
        }
        /* remove_end_comment(): '#' outside quotes; a backslash escapes only inside quotes */
        for (end = i; end < len; end++) {
                char c = line[end];

                if ((c == '\'' || c == '"') && !escape) {
                        if (!quote)
                                quote = c;
                        else if (quote == c)
                                quote = 0;
                }
                if (!quote && c == '#')
                        break;
                escape = quote && c == '\\' && !escape;
        }
        for (eq = i; eq < end && line[eq] != '='; eq++)
                ;
        {
                const char *name = line + i;
                size_t n = eq - i;

                mycnf_trim(&name, &n);
                if (n == 0)
                        return;
                ret->kind = MYCNF_OPTION;
                ret->name_start = (size_t) (name - line);
                ret->name_len = n;
        }
        if (eq < end) {
                const char *v = line + eq + 1;
                size_t n = end - eq - 1;

                mycnf_trim(&v, &n);
                ret->has_value = true;
                if (n > 1 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
                        ret->quote = v[0];
                        v++;
                        n -= 2;
                }
                ret->value_start = (size_t) (v - line);
                ret->value_end = ret->value_start + n;
        }
}

/* Whether an option name is `want` (written with '_'): '-' and '_' alike, an optional loose- prefix. */
static bool mycnf_name_is(const char *name, size_t n, const char *want)
{
        size_t w = strlen(want);

        if (n > 6 && strncasecmp(name, "loose", 5) == 0 && (name[5] == '-' || name[5] == '_')) {
                name += 6;
                n -= 6;
        }
        if (n != w)
                return false;
        for (size_t i = 0; i < n; i++) {
                char a = name[i] == '-' ? '_' : (char) tolower((unsigned char) name[i]);

                if (a != want[i])
                        return false;
        }
        return true;
}

/*
 * The groups MariaDB 10.11's server reads, plus the step's own option_group (for a server started
 * with --defaults-group-suffix or by mysqld_multi). Version-suffixed groups ([mysqld-10.11]) are
 * not counted: which version reads them is not known here, and check asks the running server.
 */
static bool mycnf_server_group(const char *name, size_t n, const char *extra)
{
        static const char *const groups[] = { "mysqld", "server", "mariadb", "mariadbd", "client-server", "galera" };

        for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
                if (n == strlen(groups[i]) && strncmp(name, groups[i], n) == 0)
                        return true;
        return extra && n == strlen(extra) && strncmp(name, extra, n) == 0;
}

/* Where the last setting of an option in a server group is, in offsets into the text. */
struct mycnf_setting {
        bool found;
        size_t line_start, line_end;
        size_t value_start, value_end;
        char quote;
        /* the first [group] header of the step's option_group: where a new line goes */
        bool group_found;
        size_t group_line_end; /* just after the header line's newline */
};

static void mycnf_find(const char *text, const char *name, const char *group, struct mycnf_setting *ret)
{
        size_t off = 0, len = strlen(text);
        bool in_server = false;

        *ret = (struct mycnf_setting){ 0 };
        while (off < len) {
                const char *eol = memchr(text + off, '\n', len - off);
                size_t n = eol ? (size_t) (eol - (text + off)) : len - off;
                struct mycnf_line l;

                if (n <= MYCNF_MAX_LINE) {
                        mycnf_parse_line(text + off, n, &l);
                        if (l.kind == MYCNF_GROUP) {
                                in_server = mycnf_server_group(text + off + l.name_start, l.name_len, group);
                                if (!ret->group_found && l.name_len == strlen(group) &&
                                    strncmp(text + off + l.name_start, group, l.name_len) == 0) {
                                        ret->group_found = true;
                                        ret->group_line_end = off + n + (eol ? 1 : 0);
                                }
                        } else if (l.kind == MYCNF_OPTION && in_server && l.has_value &&
                                   mycnf_name_is(text + off + l.name_start, l.name_len, name)) {
                                ret->found = true;
                                ret->line_start = off;
                                ret->line_end = off + n;
                                ret->value_start = off + l.value_start;
                                ret->value_end = off + l.value_end;
                                ret->quote = l.quote;
                        }
                }
                off += n + (eol ? 1 : 0);
        }
}

/* An IPv4 or IPv6 address. */
struct mycnf_addr {
        int family;
        unsigned char addr[16];
};

static bool mycnf_addr_parse(const char *s, size_t n, struct mycnf_addr *ret)
{
        char buf[INET6_ADDRSTRLEN + 1];

        if (n == 0 || n >= sizeof buf)
                return false;
        memcpy(buf, s, n);
        buf[n] = '\0';
        if (inet_pton(AF_INET, buf, ret->addr) == 1)
                ret->family = AF_INET;
        else if (inet_pton(AF_INET6, buf, ret->addr) == 1)
                ret->family = AF_INET6;
        else
                return false;
        return true;
}

/*
 * Whether one bind-address item makes the server reachable at addr. As MariaDB 10.11 binds them
 * (tried): '*' is every address of both families; 0.0.0.0 every IPv4 address and '::' every IPv6
 * one (it binds with IPV6_V6ONLY: 127.0.0.1 is refused); either wildcard covers every host name,
 * localhost included, which is not looked up here. Otherwise the same text or the same address.
 */
static bool mycnf_item_covers(const char *item, size_t n, const char *addr)
{
        struct mycnf_addr a, b;
        bool wildcard = true;

        if (n == 1 && item[0] == '*')
                return true;
        if (n == strlen(addr) && strncasecmp(item, addr, n) == 0)
                return true;
        if (!mycnf_addr_parse(item, n, &a))
                return false;
        for (int i = 0; i < (a.family == AF_INET ? 4 : 16); i++)
                if (a.addr[i])
                        wildcard = false;
        if (!mycnf_addr_parse(addr, strlen(addr), &b))
                return wildcard && !strchr(addr, '/'); /* a host name */
        if (a.family != b.family)
                return false;
        return wildcard || memcmp(a.addr, b.addr, a.family == AF_INET ? 4 : 16) == 0;
}

/* Whether a bind-address value (comma-separated) covers addr; NULL is the server's default: all. */
static bool mycnf_bind_covers(const char *value, const char *addr)
{
        const char *p = value;

        if (!value)
                return true;
        for (;;) {
                const char *comma = strchr(p, ',');
                size_t n = comma ? (size_t) (comma - p) : strlen(p);
                const char *item = p;

                mycnf_trim(&item, &n);
                if (n && mycnf_item_covers(item, n, addr))
                        return true;
                if (!comma)
                        return false;
                p = comma + 1;
        }
}

/*
 * What goes into a value as it is: no blank (MariaDB does not trim list items: "a, b" fails to
 * bind " b"), no comma inside an address, no quote, backslash, '#' or control character.
 */
static bool mycnf_item_ok(const char *s, bool comma_ok)
{
        if (!s || !*s || strlen(s) > 1024)
                return false;
        for (; *s; s++)
                if (*s == '\'' || *s == '"' || *s == '\\' || *s == '#' || (unsigned char) *s <= ' ' ||
                    (unsigned char) *s == 0x7f || (!comma_ok && *s == ','))
                        return false;
        return true;
}

/* The effective value of an option in the text's server groups, or NULL when no line sets it (the caller frees it). */
static char *mycnf_value(const char *text, const char *name, const char *group)
{
        struct mycnf_setting s;

        mycnf_find(text, name, group, &s);
        if (!s.found)
                return NULL;
        return strndup(text + s.value_start, s.value_end - s.value_start);
}

/* text with [start, end) replaced by the n bytes at with. */
static char *mycnf_splice(const char *text, size_t start, size_t end, const char *with, size_t n)
{
        struct mycnf_buf out = { 0 };

        mycnf_buf_add(&out, text, start);
        mycnf_buf_add(&out, with, n);
        mycnf_buf_str(&out, text + end);
        return mycnf_buf_steal(&out);
}

/* A new `name = value` line in [group]: after its first header, or in a new group at the end. */
static char *mycnf_insert(const char *text, const struct mycnf_setting *s, const char *group, const char *line)
{
        struct mycnf_buf out = { 0 };
        size_t len = strlen(text);

        if (s->group_found) {
                mycnf_buf_add(&out, text, s->group_line_end);
                /* a header on the file's last line, without a newline */
                if (s->group_line_end > 0 && text[s->group_line_end - 1] != '\n')
                        mycnf_buf_str(&out, "\n");
                mycnf_buf_str(&out, line);
                mycnf_buf_str(&out, text + s->group_line_end);
        } else {
                mycnf_buf_add(&out, text, len);
                if (len && text[len - 1] != '\n')
                        mycnf_buf_str(&out, "\n");
                mycnf_buf_str(&out, "[");
                mycnf_buf_str(&out, group);
                mycnf_buf_str(&out, "]\n");
                mycnf_buf_str(&out, line);
        }
        return mycnf_buf_steal(&out);
}

/*
 * Make the server's bind-address cover every address in want. The last setting in a server group
 * (the one the server uses) is extended in place: ",ADDR" before its closing quote or comment,
 * everything else byte for byte. No setting at all: the server listens on every address, which
 * covers everything, and the text is left as it is. *ret_text gets the new text (equal to text
 * when nothing is missing), *ret_added the addresses added, comma-separated ("" for none).
 * Returns how many were added, or -EINVAL (an address that cannot go into the value) / -ENOMEM.
 */
static int mycnf_bind_add(const char *text, const char *group, const char *const *want, size_t n_want, char **ret_text,
                          char **ret_added)
{
        struct mycnf_buf missing = { 0 }, added = { 0 };
        struct mycnf_setting s;
        char *value = NULL, *out = NULL;
        int count = 0;

        for (size_t i = 0; i < n_want; i++)
                if (!mycnf_item_ok(want[i], false))
                        return -EINVAL;
        mycnf_find(text, "bind_address", group, &s);
        if (s.found && !(value = strndup(text + s.value_start, s.value_end - s.value_start)))
                return -ENOMEM;
        for (size_t i = 0; i < n_want; i++) {
                bool dup = false;

                for (size_t j = 0; j < i; j++)
                        if (strcasecmp(want[i], want[j]) == 0)
                                dup = true;
                if (dup || (s.found ? mycnf_bind_covers(value, want[i]) : true))
                        continue;
                if (missing.len || (value && value[0] && value[strlen(value) - 1] != ','))
                        mycnf_buf_str(&missing, ",");
                mycnf_buf_str(&missing, want[i]);
                if (added.len)
                        mycnf_buf_str(&added, ",");
                mycnf_buf_str(&added, want[i]);
                count++;
        }
        free(value);
        if (count == 0)
                out = strdup(text);
        else if (!missing.failed)
                out = mycnf_splice(text, s.value_end, s.value_end, missing.data, missing.len);
        free(missing.data);
        *ret_text = out;
        *ret_added = mycnf_buf_steal(&added);
        if (!*ret_text || !*ret_added) {
                free(*ret_text);
                free(*ret_added);
                *ret_text = *ret_added = NULL;
                return -ENOMEM;
        }
        return count;
}

/*
 * Make the last setting of name (written with '_') in a server group equal value: replaced in
 * place, inside its quotes if it has them; no setting: a line `name = value	# added by xhafw`
 * after the first [group] header, or a new [group] at the end. 1 when the text changed, 0 when
 * it already said so (*ret_text a copy), -EINVAL (a value that cannot go into the file as it is),
 * -ENOMEM.
 */
static int mycnf_set(const char *text, const char *group, const char *name, const char *value, char **ret_text)
{
        struct mycnf_setting s;
        char *out;

        if (!mycnf_item_ok(value, true) || !mycnf_item_ok(name, false) || !mycnf_item_ok(group, false) ||
            strchr(group, ']'))
                return -EINVAL;
        mycnf_find(text, name, group, &s);
        if (s.found && s.value_end - s.value_start == strlen(value) &&
            memcmp(text + s.value_start, value, s.value_end - s.value_start) == 0) {
                out = strdup(text);
                if (!out)
                        return -ENOMEM;
                *ret_text = out;
                return 0;
        }
        if (s.found)
                out = mycnf_splice(text, s.value_start, s.value_end, value, strlen(value));
        else {
                struct mycnf_buf line = { 0 };
                char *l;

                for (const char *p = name; *p; p++)
                        mycnf_buf_add(&line, *p == '_' ? "-" : p, 1);
                mycnf_buf_str(&line, " = ");
                mycnf_buf_str(&line, value);
                mycnf_buf_str(&line, "\t" MYCNF_ADDED "\n");
                l = mycnf_buf_steal(&line);
                if (!l)
                        return -ENOMEM;
                out = mycnf_insert(text, &s, group, l);
                free(l);
        }
        if (!out)
                return -ENOMEM;
        *ret_text = out;
        return 1;
}

/* The pid file MariaDB writes: the server's pid and a newline. 0, or -EINVAL. */
static int mycnf_pidfile_parse(const char *text, long *ret_pid)
{
        char *end;
        long pid;

        while (*text == ' ' || *text == '\t')
                text++;
        if (!isdigit((unsigned char) *text))
                return -EINVAL;
        errno = 0;
        pid = strtol(text, &end, 10);
        while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
                end++;
        if (errno || *end || pid <= 0 || pid > 0x7fffffffL)
                return -EINVAL;
        *ret_pid = pid;
        return 0;
}
