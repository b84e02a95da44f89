/* The framing protocol on the message pipe from an action's child to the core. */
#ifndef XHAFW_FRAMING_H
#define XHAFW_FRAMING_H

#include <stdbool.h>
#include <stddef.h>

/* One message per line: "<kind><text>\n". A text with newlines is sent as one message per line;
 * a line longer than FRAME_MAX is cut there. The kinds:
 *
 *   '0'..'7'  a log message at that syslog priority (xhafw_log); in a dry-run apply or revert a
 *             LOG_NOTICE is a line of the plan
 *   'O'       output for the user (describe text, dry-run diffs): kept in the step's report
 *   'B'       "PID MAX_MS WHAT": background work started by xhafw_background (background.h)
 *   'S'       "INDEX": the validate child validates step INDEX now (what follows is its)
 *   'R'       "INDEX RESULT": step INDEX's validate() returned RESULT (0 or -errno)
 *   'P'       "RESULT\tCHECK\tDETAIL\tFIX": a preflight check (xhafw_preflight_check; RESULT 0..2)
 *   'F'       "KEY\tVALUE": a preflight fact to compare with the peer (xhafw_preflight_fact)
 *
 * The action's stdout and stderr are a second pipe of plain lines, logged at LOG_INFO. The action's
 * result is its exit status (engine's child side). */
#define FRAME_MAX 4096

enum frame_kind {
        FRAME_OUTPUT = 'O',
        FRAME_BACKGROUND = 'B',
        FRAME_VALIDATING = 'S',
        FRAME_VALIDATED = 'R',
        FRAME_CHECK = 'P',
        FRAME_FACT = 'F',
};

void msg_send(int fd, char kind, const char *text);

/* Splitting a nonblocking pipe's bytes into lines. */
struct line_reader {
        char buf[FRAME_MAX];
        size_t len;
};

/* Read what fd has: each whole line (and a line cut at FRAME_MAX - 1 bytes) goes to on_line,
 * NUL-terminated, without its newline. Returns 0 while fd stays open, 1 at its end (EOF or an
 * error other than EAGAIN: the last partial line has been passed on too). */
int line_reader_feed(struct line_reader *lr, int fd, void (*on_line)(void *ctx, char *line, size_t len), void *ctx);

#endif
