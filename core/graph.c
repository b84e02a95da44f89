/* The step graph: `after` names resolved to indexes, a topological order, levels, cycles reported. */
#include <errno.h>
#include <string.h>

#include "graph.h"
#include "util.h"

/* Report one cycle through step `start` (which is on or leads to a cycle) as "a -> b -> a". */
static void report_cycle(struct config *cfg, size_t start, const unsigned *indeg)
{
        size_t n = cfg->n_steps, cur = start, len = 0;
        size_t *path = xcalloc(n + 1, sizeof *path);
        unsigned char *seen = xcalloc(n, 1);
        /* Well within config_error()'s message, so that what to do is never cut off. */
        char buf[1024];
        size_t used = 0, first, i;

        /* Walk `after` edges among unsorted steps until a step repeats: every unsorted step has one. */
        while (!seen[cur]) {
                struct xhafw_step *st = cfg->steps[cur];
                seen[cur] = 1;
                path[len++] = cur;
                for (size_t k = 0; k < st->n_after; k++)
                        if (indeg[st->after_idx[k]]) {
                                cur = st->after_idx[k];
                                break;
                        }
        }
        for (first = 0; path[first] != cur; first++)
                ;
        buf[0] = 0;
        for (i = first; i < len && used < sizeof buf - 80; i++)
                used += (size_t) snprintf(buf + used, sizeof buf - used, "%s after ", cfg->steps[path[i]]->name);
        if (i < len)
                used += (size_t) snprintf(buf + used, sizeof buf - used, "... after ");
        snprintf(buf + used, sizeof buf - used, "%s", cfg->steps[cur]->name);
        config_error(cfg, cfg->steps[cur]->file, cfg->steps[cur]->line, cfg->steps[cur]->name,
                     "dependency cycle: %s; remove one of these `after` entries", buf);
        free(path);
        free(seen);
}

int graph_build(struct config *cfg)
{
        size_t n = cfg->n_steps, head = 0, tail = 0;
        unsigned *indeg; /* unsorted `after` entries left per step */
        size_t **rdeps;  /* per step: the steps that are after it */
        size_t *n_rdeps;
        unsigned errors = cfg->n_errors;

        for (size_t i = 0; i < n; i++) {
                struct xhafw_step *st = cfg->steps[i];
                /* the `after` line where it was read (a drop-in's, say); else the section's */
                const char *file = st->key_file[1] ? st->key_file[1] : st->file;
                unsigned line = st->key_file[1] ? st->key_line[1] : st->line;
                st->after_idx = xcalloc(st->n_after, sizeof *st->after_idx);
                for (size_t k = 0; k < st->n_after; k++) {
                        ssize_t j = config_step_index(cfg, st->after[k]);
                        if (j < 0)
                                config_error(cfg, file, line, st->name,
                                             "after = %s: no step is named '%s' "
                                             "(steps are the [sections] of conf.d)",
                                             st->after[k], st->after[k]);
                        else if ((size_t) j == i)
                                config_error(cfg, file, line, st->name,
                                             "dependency cycle: the step is after itself; remove it from `after`");
                        st->after_idx[k] = j < 0 ? i : (size_t) j;
                }
        }
        if (cfg->n_errors != errors)
                return -EINVAL;

        indeg = xcalloc(n, sizeof *indeg);
        n_rdeps = xcalloc(n, sizeof *n_rdeps);
        rdeps = xcalloc(n, sizeof *rdeps);
        cfg->order = xcalloc(n, sizeof *cfg->order);
        cfg->level = xcalloc(n, sizeof *cfg->level);
        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < cfg->steps[i]->n_after; k++)
                        n_rdeps[cfg->steps[i]->after_idx[k]]++;
        for (size_t i = 0; i < n; i++) {
                rdeps[i] = xcalloc(n_rdeps[i], sizeof **rdeps);
                n_rdeps[i] = 0;
        }
        for (size_t i = 0; i < n; i++) {
                struct xhafw_step *st = cfg->steps[i];
                indeg[i] = (unsigned) st->n_after;
                for (size_t k = 0; k < st->n_after; k++)
                        rdeps[st->after_idx[k]][n_rdeps[st->after_idx[k]]++] = i;
        }
        /* Kahn's algorithm; the queue is cfg->order itself, so the order is stable (file order). */
        for (size_t i = 0; i < n; i++)
                if (indeg[i] == 0)
                        cfg->order[tail++] = i;
        while (head < tail) {
                size_t i = cfg->order[head++];
                for (size_t k = 0; k < n_rdeps[i]; k++) {
                        size_t j = rdeps[i][k];
                        if (cfg->level[j] < cfg->level[i] + 1)
                                cfg->level[j] = cfg->level[i] + 1;
                        if (--indeg[j] == 0)
                                cfg->order[tail++] = j;
                }
        }
        cfg->n_levels = 0;
        for (size_t i = 0; i < n; i++)
                if (cfg->level[i] + 1 > cfg->n_levels)
                        cfg->n_levels = cfg->level[i] + 1;
        if (tail < n)
                for (size_t i = 0; i < n; i++)
                        if (indeg[i]) {
                                report_cycle(cfg, i, indeg);
                                break;
                        }
        cfg->after_me = rdeps;
        cfg->n_after_me = n_rdeps;
        free(indeg);
        return cfg->n_errors != errors ? -EINVAL : 0;
}

size_t graph_after_me(const struct config *cfg, size_t i, const size_t **ret)
{
        *ret = cfg->after_me ? cfg->after_me[i] : NULL;
        return cfg->n_after_me ? cfg->n_after_me[i] : 0;
}

void graph_free(struct config *cfg)
{
        for (size_t i = 0; cfg->after_me && i < cfg->n_steps; i++)
                free(cfg->after_me[i]);
        free(cfg->after_me);
        free(cfg->n_after_me);
        free(cfg->order);
        free(cfg->level);
        cfg->after_me = NULL;
        cfg->n_after_me = NULL;
        cfg->order = NULL;
        cfg->level = NULL;
}
