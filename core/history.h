/* xhafw history: the past runs from the journal, one run step by step, and its timeline. */
#ifndef XHAFW_HISTORY_H
#define XHAFW_HISTORY_H

#include "commands.h"

/* `xhafw history [RUN] [--since T] [--svg FILE]`: argv[0] is "history"; parses its own options
 * (and the global -v, -q, --json accepted after the command). Returns the exit code. */
int cmd_history(struct global_options *g, int argc, char **argv);

#endif
