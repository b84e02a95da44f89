/* Pure text functions of the postgres plugin (pg_hba.conf, postgresql.conf, postmaster.pid): text in, text out. */

/*
 * Nothing here touches the system or the host API, so the same code can be unit-tested and fuzzed
 * on its own: postgres.c and the tests #include this file, which keeps every function static.
 * Limits: a line longer than PGCONF_MAX_LINE is never one of ours and is left alone; texts come
 * from files that xhafw_file_replace bounds in size.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PGCONF_MAX_LINE 8192
#define PGCONF_MARK "# managed by xhafw"
#define PGCONF_ADDED "# added by xhafw"

/* A growing string; on allocation failure it stays failed and pgconf_buf_steal returns NULL. */
struct pgconf_buf {
        char *data;
        size_t len, size;
        bool failed;
};

static void pgconf_buf_add(struct pgconf_buf *b, const char *s, size_t n)
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

static void pgconf_buf_str(struct pgconf_buf *b, const char *s)
{
        pgconf_buf_add(b, s, strlen(s));
}

static char *pgconf_buf_steal(struct pgconf_buf *b)
{
        char *p;

        if (!b->data)
                pgconf_buf_add(b, "", 0);
        p = b->failed ? NULL : b->data;
        if (!p)
                free(b->data);
        *b = (struct pgconf_buf){ 0 };
        return p;
}

/* An IPv4 or IPv6 network: the address bytes as written and a prefix length. */
struct pgconf_net {
        int family;
        unsigned char addr[16];
        int prefix; /* -1: none given */
};

static int pgconf_parse_prefix(const char *s, int max)
{
        char *end;
        long v;

        if (!isdigit((unsigned char) s[0]))
                return -EINVAL;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno || *end || v < 0 || v > max)
                return -EINVAL;
        return (int) v;
}

/* "ADDR" or "ADDR/PREFIX" of either family; the text must hold nothing else. */
static int pgconf_net_parse(const char *s, struct pgconf_net *ret)
{
        char a[INET6_ADDRSTRLEN + 8];
        const char *slash = strchr(s, '/');
        size_t n = slash ? (size_t) (slash - s) : strlen(s);
        struct pgconf_net net = { .prefix = -1 };

        if (n == 0 || n >= sizeof a)
                return -EINVAL;
        memcpy(a, s, n);
        a[n] = '\0';
        if (inet_pton(AF_INET, a, net.addr) == 1)
                net.family = AF_INET;
        else if (inet_pton(AF_INET6, a, net.addr) == 1)
                net.family = AF_INET6;
        else
                return -EINVAL;
        if (slash) {
                net.prefix = pgconf_parse_prefix(slash + 1, net.family == AF_INET ? 32 : 128);
                if (net.prefix < 0)
                        return -EINVAL;
        }
        *ret = net;
        return 0;
}

/* A netmask such as 255.255.255.0 as a prefix length, or -EINVAL when it is not contiguous. */
static int pgconf_mask_prefix(const char *s, int family)
{
        unsigned char m[16];
        int len = family == AF_INET ? 4 : 16, prefix = 0, i;
        bool zero = false;

        if (inet_pton(family, s, m) != 1)
                return -EINVAL;
        for (i = 0; i < len * 8; i++) {
                bool bit = m[i / 8] & (0x80 >> (i % 8));

                if (bit && zero)
                        return -EINVAL;
                if (bit)
                        prefix++;
                else
                        zero = true;
        }
        return prefix;
}

/*
 * The same network: same family and prefix, and the same address bits under the prefix (all of
 * them without one). PostgreSQL masks both sides when it matches a client, so 192.0.2.7/24 grants
 * what 192.0.2.0/24 grants; the spelling of an IPv6 address does not matter either.
 */
static bool pgconf_net_equal(const struct pgconf_net *a, const struct pgconf_net *b)
{
        int bits = a->family == AF_INET ? 32 : 128;

        if (a->family != b->family || a->prefix != b->prefix)
                return false;
        if (a->prefix >= 0)
                bits = a->prefix;
        if (memcmp(a->addr, b->addr, (size_t) bits / 8) != 0)
                return false;
        return bits % 8 == 0 || ((a->addr[bits / 8] ^ b->addr[bits / 8]) & (0xff00 >> (bits % 8))) == 0;
}

/* The allow entry with the host prefix made explicit (/32, /128), which is how pg_hba.conf wants it. */
static int pgconf_allow_cidr(const char *entry, struct pgconf_net *ret_net, char *ret_text, size_t size)
{
        struct pgconf_net net;
        int n;

        if (pgconf_net_parse(entry, &net) < 0)
                return -EINVAL;
        if (net.prefix < 0) {
                net.prefix = net.family == AF_INET ? 32 : 128;
                n = snprintf(ret_text, size, "%s/%d", entry, net.prefix);
        } else
                n = snprintf(ret_text, size, "%s", entry);
        if (n < 0 || (size_t) n >= size)
                return -EINVAL;
        *ret_net = net;
        return 0;
}

/*
 * pg_hba.conf: fields are separated by blanks, '#' outside double quotes starts a comment, a
 * quoted "all" names a database or role called all (not the keyword). Up to 8 fields per line.
 */
#define PGCONF_HBA_FIELDS 8
#define PGCONF_FIELD 256

struct pgconf_hba_line {
        size_t n;
        char field[PGCONF_HBA_FIELDS][PGCONF_FIELD];
        bool quoted[PGCONF_HBA_FIELDS];
};

static void pgconf_hba_split(const char *line, size_t len, struct pgconf_hba_line *ret)
{
        size_t i = 0;

        ret->n = 0;
        while (i < len && ret->n < PGCONF_HBA_FIELDS) {
                size_t k = 0;
                bool in_quotes = false, quoted = false;

                while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
                        i++;
                if (i >= len || line[i] == '#')
                        return;
                while (i < len) {
                        char c = line[i];

                        if (!in_quotes && (c == ' ' || c == '\t' || c == '\r' || c == '#'))
                                break;
                        if (c == '"') {
                                in_quotes = !in_quotes;
                                quoted = true;
                        } else if (k + 1 < PGCONF_FIELD)
                                ret->field[ret->n][k++] = c;
                        i++;
                }
                ret->field[ret->n][k] = '\0';
                ret->quoted[ret->n] = quoted;
                ret->n++;
        }
}

/* Whether this line already gives `host all all` access to exactly that network, whatever its method. */
static bool pgconf_hba_line_grants(const struct pgconf_hba_line *l, const struct pgconf_net *want)
{
        struct pgconf_net net;
        int prefix;

        if (l->n < 5 || strcmp(l->field[0], "host") != 0 || l->quoted[0])
                return false;
        if (strcmp(l->field[1], "all") != 0 || l->quoted[1] || strcmp(l->field[2], "all") != 0 || l->quoted[2])
                return false;
        if (pgconf_net_parse(l->field[3], &net) < 0)
                return false;
        if (net.prefix < 0) {
                /* ADDRESS NETMASK METHOD */
                if (l->n < 6)
                        return false;
                prefix = pgconf_mask_prefix(l->field[4], net.family);
                if (prefix < 0)
                        return false;
                net.prefix = prefix;
        }
        return pgconf_net_equal(&net, want);
}

static bool pgconf_hba_has(const char *text, const struct pgconf_net *want)
{
        const char *p = text;

        while (*p) {
                const char *eol = strchr(p, '\n');
                size_t len = eol ? (size_t) (eol - p) : strlen(p);
                struct pgconf_hba_line l;

                if (len <= PGCONF_MAX_LINE) {
                        pgconf_hba_split(p, len, &l);
                        if (pgconf_hba_line_grants(&l, want))
                                return true;
                }
                p += len;
                if (*p == '\n')
                        p++;
        }
        return false;
}

/* An auth method is one bare word: it goes into a line unquoted. */
static bool pgconf_word_ok(const char *s)
{
        if (!s || !*s || strlen(s) >= PGCONF_FIELD)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && *s != '-' && *s != '_')
                        return false;
        return true;
}

/*
 * Append a `host all all CIDR METHOD` line, marked as managed, for every allow entry that no line
 * grants yet; everything else stays byte for byte. *ret_text gets the new text (equal to text when
 * nothing is missing), *ret_added the CIDRs added, comma-separated ("" for none). Returns how many
 * lines were added, or -EINVAL (an entry is not an address, the method is not a word) / -ENOMEM.
 */
static int pgconf_hba_add(const char *text, const char *const *allow, size_t n_allow, const char *method,
                          char **ret_text, char **ret_added)
{
        struct pgconf_buf out = { 0 }, added = { 0 };
        size_t len = strlen(text);
        int count = 0;

        if (!pgconf_word_ok(method))
                return -EINVAL;
        pgconf_buf_add(&out, text, len);
        for (size_t i = 0; i < n_allow; i++) {
                struct pgconf_net net;
                char cidr[INET6_ADDRSTRLEN + 8];
                bool dup = false;

                if (pgconf_allow_cidr(allow[i], &net, cidr, sizeof cidr) < 0) {
                        free(out.data);
                        free(added.data);
                        return -EINVAL;
                }
                /* A repeated entry, or one this call already added, is looked up in the output. */
                for (size_t j = 0; j < i; j++) {
                        struct pgconf_net other;
                        char c2[INET6_ADDRSTRLEN + 8];

                        if (pgconf_allow_cidr(allow[j], &other, c2, sizeof c2) == 0 && pgconf_net_equal(&net, &other))
                                dup = true;
                }
                if (dup || pgconf_hba_has(text, &net))
                        continue;
                if (out.len > 0 && out.data[out.len - 1] != '\n')
                        pgconf_buf_str(&out, "\n");
                pgconf_buf_str(&out, "host\tall\tall\t");
                pgconf_buf_str(&out, cidr);
                pgconf_buf_str(&out, "\t");
                pgconf_buf_str(&out, method);
                pgconf_buf_str(&out, "\t" PGCONF_MARK "\n");
                if (added.len)
                        pgconf_buf_str(&added, ",");
                pgconf_buf_str(&added, cidr);
                count++;
        }
        *ret_text = pgconf_buf_steal(&out);
        *ret_added = pgconf_buf_steal(&added);
        if (!*ret_text || !*ret_added) {
                free(*ret_text);
                free(*ret_added);
                *ret_text = *ret_added = NULL;
                return -ENOMEM;
        }
        return count;
}

/*
 * postgresql.conf: `name [=] value [# comment]` per line, names case-insensitive, the last setting
 * of a name wins; a value is a single-quoted string ('' or \' for a quote) or a bare word.
 */
struct pgconf_setting {
        bool found;
        size_t line_start; /* offsets into the text of the last active line */
        size_t value_start, value_end;
        bool quoted;
        char value[PGCONF_MAX_LINE]; /* decoded */
};

static bool pgconf_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Parse one line; true when it sets `name`, with the value's position and decoded text. */
static bool pgconf_line_sets(const char *line, size_t len, const char *name, struct pgconf_setting *s, size_t base)
{
        size_t i = 0, start, k = 0;

        while (i < len && pgconf_blank(line[i]))
                i++;
        start = i;
        if (i >= len || !(isalpha((unsigned char) line[i]) || line[i] == '_'))
                return false;
        while (i < len && (isalnum((unsigned char) line[i]) || line[i] == '_' || line[i] == '$' || line[i] == '.'))
                i++;
        if (i - start != strlen(name) || strncasecmp(line + start, name, i - start) != 0)
                return false;
        while (i < len && pgconf_blank(line[i]))
                i++;
        if (i < len && line[i] == '=')
                i++;
        while (i < len && pgconf_blank(line[i]))
                i++;
        s->value_start = base + i;
        if (i < len && line[i] == '\'') {
                bool closed = false;

                i++;
                while (i < len) {
                        char c = line[i];

                        if (c == '\'' && i + 1 < len && line[i + 1] == '\'') {
                                c = '\'';
                                i += 2;
                        } else if (c == '\'') {
                                i++;
                                closed = true;
                                break;
                        } else if (c == '\\' && i + 1 < len) {
                                c = line[i + 1];
                                i += 2;
                        } else
                                i++;
                        if (k + 1 < sizeof s->value)
                                s->value[k++] = c;
                }
                if (!closed)
                        return false; /* the server refuses such a file; not ours to repair */
                s->quoted = true;
        } else {
                while (i < len && !pgconf_blank(line[i]) && line[i] != '#') {
                        unsigned char c = (unsigned char) line[i];

                        /* what the server's lexer takes unquoted; anything else is a line it rejects */
                        if (!(isalnum(c) || c >= 0x80 || strchr("_-.:/$+", c)))
                                return false;
                        if (k + 1 < sizeof s->value)
                                s->value[k++] = line[i];
                        i++;
                }
                if (k == 0)
                        return false;
                s->quoted = false;
        }
        s->value[k] = '\0';
        s->value_end = base + i;
        return true;
}

static void pgconf_find_setting(const char *text, const char *name, struct pgconf_setting *ret)
{
        size_t off = 0, len = strlen(text);

        ret->found = false;
        while (off < len) {
                const char *eol = memchr(text + off, '\n', len - off);
                size_t n = eol ? (size_t) (eol - (text + off)) : len - off;
                struct pgconf_setting s;

                if (n <= PGCONF_MAX_LINE && pgconf_line_sets(text + off, n, name, &s, off)) {
                        s.found = true;
                        s.line_start = off;
                        *ret = s;
                }
                off += n + (eol ? 1 : 0);
        }
}

/* Whether a configuration text has an active line setting name (as the server reads it). */
static bool pgconf_sets(const char *text, const char *name)
{
        struct pgconf_setting *s = calloc(1, sizeof *s);
        bool found;

        if (!s)
                return false;
        pgconf_find_setting(text, name, s);
        found = s->found;
        free(s);
        return found;
}

/* Trim blanks at both ends of [*s, *s + *n). */
static void pgconf_trim(const char **s, size_t *n)
{
        while (*n && pgconf_blank(**s)) {
                (*s)++;
                (*n)--;
        }
        while (*n && pgconf_blank((*s)[*n - 1]))
                (*n)--;
}

/*
 * Whether one listen_addresses item makes the server reachable at addr: the same name or address,
 * or a wildcard. '*' covers everything. 0.0.0.0 and :: are the wildcards of one family each: they
 * cover every address of that family but not of the other (PostgreSQL binds :: with IPV6_V6ONLY,
 * so '::' alone takes no IPv4 connection), and every host name, localhost included: a name is not
 * looked up here, and a wildcard the admin wrote stands rather than being extended by guess.
 */
static bool pgconf_item_covers(const char *item, size_t n, const char *addr)
{
        char buf[INET6_ADDRSTRLEN + 8];
        struct pgconf_net a, b;
        bool wildcard = true;

        if (n == 1 && item[0] == '*')
                return true;
        if (n == strlen(addr) && strncasecmp(item, addr, n) == 0)
                return true;
        if (n >= sizeof buf)
                return false;
        memcpy(buf, item, n);
        buf[n] = '\0';
        if (pgconf_net_parse(buf, &a) < 0 || a.prefix >= 0)
                return false;
        for (int i = 0; i < (a.family == AF_INET ? 4 : 16); i++)
                if (a.addr[i])
                        wildcard = false;
        if (pgconf_net_parse(addr, &b) < 0)
                return wildcard && !strchr(addr, '/'); /* a host name */
        if (b.prefix >= 0 || a.family != b.family)
                return false;
        return wildcard || memcmp(a.addr, b.addr, a.family == AF_INET ? 4 : 16) == 0;
}

/* Whether a listen_addresses value (comma-separated) covers addr. */
static bool pgconf_listen_covers(const char *value, const char *addr)
{
        const char *p = value;

        for (;;) {
                const char *comma = strchr(p, ',');
                size_t n = comma ? (size_t) (comma - p) : strlen(p);
                const char *item = p;

                pgconf_trim(&item, &n);
                if (n && pgconf_item_covers(item, n, addr))
                        return true;
                if (!comma)
                        return false;
                p = comma + 1;
        }
}

/* The effective listen_addresses of a postgresql.conf text: its last active setting, or the built-in default. */
static void pgconf_listen_value(const char *text, char *ret, size_t size)
{
        struct pgconf_setting *s = calloc(1, sizeof *s);

        if (!s) {
                snprintf(ret, size, "localhost");
                return;
        }
        pgconf_find_setting(text, "listen_addresses", s);
        snprintf(ret, size, "%s", s->found ? s->value : "localhost");
        free(s);
}

/*
 * Whether two listen_addresses entries name the same thing: the same text (case-insensitive), or the
 * same IP address however it is spelled (2001:DB8:0::7 and 2001:db8::7).
 */
static bool pgconf_same_listen_item(const char *a, const char *b)
{
        struct pgconf_net na, nb;

        if (strcasecmp(a, b) == 0)
                return true;
        if (pgconf_net_parse(a, &na) < 0 || pgconf_net_parse(b, &nb) < 0 || na.prefix >= 0 || nb.prefix >= 0)
                return false;
        return pgconf_net_equal(&na, &nb);
}

/* An address goes between single quotes as it is: it may not hold a quote, a backslash, a comma or a line break. */
static bool pgconf_listen_item_ok(const char *s)
{
        if (!s || !*s || strlen(s) > 255)
                return false;
        for (; *s; s++)
                if (*s == '\'' || *s == '\\' || *s == ',' || *s == '#' || (unsigned char) *s < ' ' || *s == ' ')
                        return false;
        return true;
}

/*
 * Make the effective listen_addresses cover every address in want: extend the last active line's
 * value in place (its comment and everything else kept), or add a line with the built-in default
 * plus the missing addresses when there is none. *ret_text and *ret_added (the addresses added,
 * comma-separated, "" for none) as in pgconf_hba_add. Returns how many were added, or -errno.
 */
static int pgconf_listen_add(const char *text, const char *const *want, size_t n_want, char **ret_text,
                             char **ret_added)
{
        struct pgconf_buf out = { 0 }, missing = { 0 }, added = { 0 };
        struct pgconf_setting *s;
        size_t len = strlen(text);
        int count = 0;

        s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        pgconf_find_setting(text, "listen_addresses", s);
        for (size_t i = 0; i < n_want; i++) {
                bool dup = false;

                if (!pgconf_listen_item_ok(want[i])) {
                        free(s);
                        free(missing.data);
                        free(added.data);
                        return -EINVAL;
                }
                /* one address spelled twice is added once, as first written */
                for (size_t j = 0; j < i; j++)
                        if (pgconf_same_listen_item(want[i], want[j]))
                                dup = true;
                if (dup || pgconf_listen_covers(s->found ? s->value : "localhost", want[i]))
                        continue;
                if (missing.len)
                        pgconf_buf_str(&missing, ", ");
                pgconf_buf_str(&missing, want[i]);
                if (added.len)
                        pgconf_buf_str(&added, ",");
                pgconf_buf_str(&added, want[i]);
                count++;
        }
        if (count == 0) {
                pgconf_buf_add(&out, text, len);
        } else if (s->found) {
                const char *v = s->value;
                size_t vn = strlen(v);
                const char *sep;

                pgconf_trim(&v, &vn);
                sep = vn == 0 ? "" : v[vn - 1] == ',' ? " " : ", ";
                if (s->quoted) {
                        /* insert before the closing quote: the old value keeps its bytes */
                        pgconf_buf_add(&out, text, s->value_end - 1);
                        pgconf_buf_str(&out, sep);
                        pgconf_buf_add(&out, missing.data, missing.len);
                        pgconf_buf_add(&out, text + s->value_end - 1, len - (s->value_end - 1));
                } else {
                        /* a bare word becomes a quoted list */
                        pgconf_buf_add(&out, text, s->value_start);
                        pgconf_buf_str(&out, "'");
                        pgconf_buf_add(&out, v, vn);
                        pgconf_buf_str(&out, sep);
                        pgconf_buf_add(&out, missing.data, missing.len);
                        pgconf_buf_str(&out, "'");
                        pgconf_buf_add(&out, text + s->value_end, len - s->value_end);
                }
        } else {
                /* At the end, so that no earlier line of this file overrides it. */
                pgconf_buf_add(&out, text, len);
                if (len && text[len - 1] != '\n')
                        pgconf_buf_str(&out, "\n");
                pgconf_buf_str(&out, "listen_addresses = 'localhost, ");
                pgconf_buf_add(&out, missing.data, missing.len);
                pgconf_buf_str(&out, "'\t" PGCONF_ADDED "\n");
        }
        free(s);
        free(missing.data);
        *ret_text = pgconf_buf_steal(&out);
        *ret_added = pgconf_buf_steal(&added);
        if (!*ret_text || !*ret_added) {
                free(*ret_text);
                free(*ret_added);
                *ret_text = *ret_added = NULL;
                return -ENOMEM;
        }
        return count;
}

/* postmaster.pid: pid, data directory, start time, port, socket directory, first listen address, shared memory key, status. */
struct pgconf_pidfile {
        long pid; /* negative: a single-user backend */
        char data_dir[4096];
        long port; /* 0: not recorded */
        char socket_dir[4096];
        char listen_addr[256]; /* "" when the server listens on no TCP address */
        char status[32];       /* "starting", "ready", "stopping", or "" */
};

static int pgconf_pidfile_parse(const char *text, struct pgconf_pidfile *ret)
{
        struct pgconf_pidfile pf = { 0 };
        const char *p = text;
        char *end;

        for (int line = 1; line <= 8 && *p; line++) {
                const char *eol = strchr(p, '\n');
                size_t raw = eol ? (size_t) (eol - p) : strlen(p), n = raw;
                char buf[4096];

                if (n >= sizeof buf)
                        return -EINVAL;
                memcpy(buf, p, n);
                buf[n] = '\0';
                while (n && pgconf_blank(buf[n - 1]))
                        buf[--n] = '\0';
                switch (line) {
                case 1:
                        errno = 0;
                        pf.pid = strtol(buf, &end, 10);
                        if (errno || end == buf || *end || pf.pid == 0)
                                return -EINVAL;
                        break;
                case 2: memcpy(pf.data_dir, buf, n + 1); break;
                case 4:
                        if (n) {
                                errno = 0;
                                pf.port = strtol(buf, &end, 10);
                                if (errno || *end || pf.port < 0 || pf.port > 65535)
                                        return -EINVAL;
                        }
                        break;
                case 5: memcpy(pf.socket_dir, buf, n + 1); break;
                case 6:
                        if (n >= sizeof pf.listen_addr)
                                return -EINVAL;
                        memcpy(pf.listen_addr, buf, n + 1);
                        break;
                case 8:
                        if (n >= sizeof pf.status)
                                return -EINVAL;
                        memcpy(pf.status, buf, n + 1);
                        break;
                default: break;
                }
                p += raw + (eol ? 1 : 0);
                if (!eol)
                        break;
        }
        if (pf.pid == 0)
                return -EINVAL;
        *ret = pf;
        return 0;
}

/*
 * Whether a postmaster.pid names no process as PostgreSQL reads it (atoi of its text: blanks
 * skipped, a number, read up to the first NUL byte): it is empty, holds only blanks or NUL bytes,
 * or starts with something that is no pid (0, no digits, beyond any pid). PostgreSQL refuses to start
 * over such a file ("lock file is empty", "bogus data in lock file"), whoever left it; why says
 * what is wrong with it, for a message.
 */
static bool pgconf_pidfile_no_pid(const char *data, size_t len, char *why, size_t size)
{
        const char *p = data;
        char *end;
        long pid;

        while (isspace((unsigned char) *p))
                p++;
        if (*p == '+' || *p == '-')
                p++;
        if (isdigit((unsigned char) *p)) {
                errno = 0;
                pid = strtol(p, &end, 10);
                if (errno == 0 && pid != 0 && pid <= INT32_MAX)
                        return false;
        }
        if (len == 0)
                snprintf(why, size, "it is empty");
        else if (!*p && (size_t) (p - data) == len)
                snprintf(why, size, "it holds only blanks");
        else if (!*p && (size_t) (p - data) < len)
                snprintf(why, size, "it holds NUL bytes where the pid should be");
        else
                snprintf(why, size, "its first line is no pid");
        return true;
}
