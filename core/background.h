/* Background work a plugin declares (xhafw_background): started from an action, tracked, bounded
 * and ended by the core. */
#ifndef XHAFW_BACKGROUND_H
#define XHAFW_BACKGROUND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The most background processes one run tracks at once; more are refused (-EAGAIN). */
#define XHAFW_MAX_BACKGROUND 64
/* The longest bound a plugin may declare. */
#define XHAFW_MAX_BACKGROUND_MS (10u * 60u * 1000u)

/* Core side. A 'B' message "PID MAX_MS WHAT" from an action's child: track PID, a child of the
 * core (the action forked it with CLONE_PARENT), under the step's name. */
void background_track(const char *step, const char *message);
/* waitpid() gave PID: true if it was background work (its end is logged here). */
bool background_reaped(pid_t pid, int status);
/* Kill what outlived its bound; *ret_timeout_ms (poll's -1: none) lowered to the next bound. */
void background_check(int *ret_timeout_ms);
/* Signal every tracked process (SIGKILL when the run is interrupted). */
void background_kill(int sig);
/* ... or only the work of one step (its action crashed or timed out: what it started goes too). */
void background_kill_step(const char *step, int sig);
unsigned background_count(void);
/* At the end of a run: when it did its job (wait), wait for the work up to each one's bound
 * (SIGINT or SIGTERM on sigfd end it at once); then end what is left. */
void background_finish(int sigfd, bool wait);

#endif
