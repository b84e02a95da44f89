/* The step graph: `after` resolved to indexes, a topological order, levels, the reverse edges. */
#ifndef XHAFW_GRAPH_H
#define XHAFW_GRAPH_H

#include "config.h"

/* Resolve `after` names, order the steps and compute levels; reports unknown names and cycles. */
int graph_build(struct config *cfg);
/* The steps that are after step i (deactivate waits for them): built by graph_build(). */
size_t graph_after_me(const struct config *cfg, size_t i, const size_t **ret);
void graph_free(struct config *cfg);

#endif
