/* The journal: state_dir/journal, one fsync'd JSON line per state change of a run. */
#ifndef XHAFW_JOURNAL_H
#define XHAFW_JOURNAL_H

#include <sys/types.h>

#include "core.h"

struct config;

/* Runs kept when xhafw.conf does not say (journal_runs), and the size at which the journal is
 * rotated to journal.1 (journal.1 to journal.2, ...). */
#define XHAFW_JOURNAL_RUNS 1000
#define XHAFW_JOURNAL_ROTATE_SIZE ((off_t) 1024 * 1024)

int journal_open(const struct settings *s);
/* Sync and close; then rotate by size and drop the runs beyond the number kept. */
void journal_close(void);
/* fdatasync what was written since the last sync: the engine calls it before it waits. */
void journal_sync(void);
void journal_event(const char *event, const char *step, const char *detail);
/* The run-start line: the mode (detail), this node's hostname and the step graph. */
void journal_run_start(const struct config *cfg, const char *detail);
/* The journal files of state_dir, newest first: journal, journal.1, journal.2, ... (those that
 * exist; the rotated ones in the order of their numbers). Returns how many; *ret_paths is a
 * NULL-terminated vector to strv_free(). */
size_t journal_files(const char *state_dir, char ***ret_paths);
/* Rotate state_dir/journal when it has reached rotate_size, then keep the newest `keep` runs
 * across the files (the file where the count is reached loses its older runs, atomically). */
int journal_rotate(const char *state_dir, unsigned keep, off_t rotate_size);
/* The last run recorded in the journal that started but never ended: its start line, or NULL. */
char *journal_unfinished_run(const struct settings *s);
/* In an action's child: drop our descriptor of the journal (the core's keeps it). */
void journal_close_in_child(void);

#endif
