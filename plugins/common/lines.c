/* Line edits of files others own: only the managed line changes, every other byte stays. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lines.h"

static bool is_blank(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The next word of S[*pos..n) before a '#' comment, or 0 length at its end. */
static size_t next_word(const char *s, size_t n, size_t *pos, const char **ret_word)
{
        size_t p = *pos, start;

        while (p < n && is_blank(s[p]))
                p++;
        if (p >= n || s[p] == '#') {
                *pos = n;
                return 0;
        }
        start = p;
        while (p < n && !is_blank(s[p]) && s[p] != '#')
                p++;
        *pos = p;
        *ret_word = s + start;
        return p - start;
}

/* Two words that are the same IPv6 address, however written: an IPv6 address has many spellings
 * (2001:db8::7, 2001:DB8:0::7, 2001:0db8:0:0:0:0:0:7), an IPv4 address one (inet_pton takes no
 * leading zeros), a name no ':' at all. */
static bool same_ipv6(const char *a, size_t an, const char *b, size_t bn)
{
        char x[INET6_ADDRSTRLEN], y[INET6_ADDRSTRLEN];
        struct in6_addr ax, bx;

        if (an >= sizeof x || bn >= sizeof y || !memchr(a, ':', an) || !memchr(b, ':', bn))
                return false;
        memcpy(x, a, an);
        x[an] = '\0';
        memcpy(y, b, bn);
        y[bn] = '\0';
        return inet_pton(AF_INET6, x, &ax) == 1 && inet_pton(AF_INET6, y, &bx) == 1 && memcmp(&ax, &bx, sizeof ax) == 0;
}

bool lines_equal(const char *line, size_t n, const char *want)
{
        size_t lp = 0, wp = 0, wn = strlen(want);

        for (;;) {
                const char *lw = NULL, *ww = NULL;
                size_t ll = next_word(line, n, &lp, &lw), wl = next_word(want, wn, &wp, &ww);

                if (ll == 0 || wl == 0)
                        return ll == wl;
                if ((ll != wl || memcmp(lw, ww, ll) != 0) && !same_ipv6(lw, ll, ww, wl))
                        return false;
        }
}

/* Calls FN for each line of CONTENT (without its newline); stops when FN returns true. */
static const char *find_line(const char *content, bool (*fn)(const char *, size_t, const char *), const char *arg)
{
        const char *p = content;

        while (*p) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t) (nl - p) : strlen(p);
                if (fn(p, n, arg))
                        return p;
                if (!nl)
                        break;
                p = nl + 1;
        }
        return NULL;
}

bool lines_contains(const char *content, const char *want)
{
        return find_line(content, lines_equal, want) != NULL;
}

static bool first_word_is(const char *line, size_t n, const char *word)
{
        const char *w = NULL;
        size_t pos = 0, wl = next_word(line, n, &pos, &w);
        return wl > 0 && wl == strlen(word) && memcmp(w, word, wl) == 0;
}

char *lines_add(const char *content, const char *want, const char *before_word, bool *ret_newline_added)
{
        const char *at = before_word ? find_line(content, first_word_is, before_word) : NULL;
        size_t len = strlen(content);
        bool newline_added = false;
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return NULL;
        if (at) {
                fwrite(content, 1, (size_t) (at - content), f);
                fprintf(f, "%s\n", want);
                fputs(at, f);
        } else {
                fputs(content, f);
                if (len > 0 && content[len - 1] != '\n') {
                        fputc('\n', f);
                        newline_added = true;
                }
                fprintf(f, "%s\n", want);
        }
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        if (ret_newline_added)
                *ret_newline_added = newline_added;
        return buf;
}

char *lines_remove(const char *content, const char *want, bool newline_added, size_t *ret_removed)
{
        const char *p = content;
        char *buf = NULL;
        size_t size = 0, removed = 0;
        bool last_removed = false;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                return NULL;
        while (*p) {
                const char *nl = strchr(p, '\n');
                size_t n = nl ? (size_t) (nl - p) : strlen(p);
                last_removed = lines_equal(p, n, want);
                if (last_removed)
                        removed++;
                else
                        fwrite(p, 1, n + (nl ? 1 : 0), f);
                if (!nl)
                        break;
                p = nl + 1;
        }
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        /* The file's last line was ours, and lines_add ended the line before it: that newline was
         * not in the file either. */
        if (newline_added && last_removed && size > 0 && buf[size - 1] == '\n')
                buf[--size] = 0;
        if (ret_removed)
                *ret_removed = removed;
        return buf;
}
