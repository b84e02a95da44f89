/* The journal: state_dir/journal, one fsync'd JSON line per state change of a run. */
#ifndef XHAFW_JOURNAL_H
#define XHAFW_JOURNAL_H

#include "core.h"

int journal_open(const struct settings *s);
void journal_close(void);
/* fdatasync what was written since the last sync: the engine calls it before it waits. */
void journal_sync(void);
void journal_event(const char *event, const char *step, const char *detail);
/* The last run recorded in the journal that started but never ended: its start line, or NULL. */
char *journal_unfinished_run(const struct settings *s);
/* In an action's child: drop our descriptor of the journal (the core's keeps it). */
void journal_close_in_child(void);

#endif
