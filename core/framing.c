/* The framing protocol on the message pipe (framing.h): sending a message, splitting the bytes read
 * back into lines. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "framing.h"
#include "util.h"

void msg_send(int fd, char kind, const char *text)
{
        const char *p = text;
        do {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                char buf[FRAME_MAX];
                if (len > sizeof buf - 3)
                        len = sizeof buf - 3;
                buf[0] = kind;
                memcpy(buf + 1, p, len);
                buf[len + 1] = '\n';
                (void) write_all(fd, buf, len + 2);
                if (!nl)
                        break;
                p = nl + 1;
        } while (*p);
}

int line_reader_feed(struct line_reader *lr, int fd, void (*on_line)(void *ctx, char *line, size_t len), void *ctx)
{
        size_t cap = sizeof lr->buf - 1;

        for (;;) {
                ssize_t n = read(fd, lr->buf + lr->len, cap - lr->len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0 && errno == EAGAIN)
                        return 0;
                if (n <= 0) {
                        if (lr->len) {
                                lr->buf[lr->len] = 0;
                                on_line(ctx, lr->buf, lr->len);
                        }
                        lr->len = 0;
                        return 1;
                }
                lr->len += (size_t) n;
                for (;;) {
                        char *nl = memchr(lr->buf, '\n', lr->len);
                        size_t used;
                        if (!nl) {
                                if (lr->len == cap) { /* an overlong line: cut it */
                                        lr->buf[lr->len] = 0;
                                        on_line(ctx, lr->buf, lr->len);
                                        lr->len = 0;
                                }
                                break;
                        }
                        used = (size_t) (nl - lr->buf);
                        *nl = 0;
                        on_line(ctx, lr->buf, used);
                        memmove(lr->buf, nl + 1, lr->len - used - 1);
                        lr->len -= used + 1;
                }
        }
}
