/* The step graph (core/graph.c), called directly on configurations built by hand: the order
 * respects every `after`, levels are longest paths, the reverse edges mirror `after`, and unknown
 * names and cycles are reported with the steps they involve. */
#include <errno.h>
#include <string.h>

#include "config.h"
#include "graph.h"
#include "testlib.h"

/* ck_assert records every assertion that passes, which costs a write each: the loops over
 * thousands of steps check with this instead, and only a failure reaches Check. */
#define REQUIRE(cond, ...) \
        do { \
                if (!(cond)) \
                        ck_abort_msg(__VA_ARGS__); \
        } while (0)

/* What config_error() said during the test, one message per line. */
static char *said;
static size_t said_len;

static void sink(void *ctx, int priority, const char *message)
{
        size_t n = strlen(message);
        (void) ctx, (void) priority;
        said = realloc(said, said_len + n + 2);
        ck_assert_ptr_nonnull(said);
        memcpy(said + said_len, message, n);
        said_len += n;
        said[said_len++] = '\n';
        said[said_len] = 0;
}

static void said_reset(void)
{
        free(said);
        said = NULL;
        said_len = 0;
}

/* One step NAME after the comma-separated AFTER (may be NULL or empty), from step file FILE line
 * LINE, appended to cfg and its name index as config_load() would. */
static void add_step(struct config *cfg, const char *name, const char *after, unsigned line)
{
        struct xhafw_step *st = xcalloc(1, sizeof *st);
        struct xhafw_step **grown = realloc(cfg->steps, (cfg->n_steps + 1) * sizeof *grown);
        size_t n = 0;

        REQUIRE(grown, "out of memory");
        st->name = strdup_or_die(name);
        st->plugin_name = strdup_or_die("fake");
        st->file = strdup_or_die("10-graph.conf");
        st->line = line;
        st->enabled = st->critical = true;
        if (after && *after)
                split_list(after, &st->after, &n);
        else
                st->after = xcalloc(1, sizeof *st->after);
        st->n_after = n;
        cfg->steps = grown;
        cfg->steps[cfg->n_steps++] = st;
        strmap_put(&cfg->step_index, st->name, (void *) (uintptr_t) cfg->n_steps);
}

static void cfg_init(struct config *cfg)
{
        memset(cfg, 0, sizeof *cfg);
        cfg->sink = sink;
        said_reset();
}

static void cfg_done(struct config *cfg)
{
        config_free(cfg);
        said_reset();
}

static size_t index_of(const struct config *cfg, const char *name)
{
        ssize_t i = config_step_index(cfg, name);
        REQUIRE(i >= 0, "no step %s", name);
        return (size_t) i;
}

/* The longest path from a step with no `after` to step i, computed the slow way (memo: level + 1). */
static unsigned longest(const struct config *cfg, size_t i, unsigned *memo)
{
        if (memo[i] == 0) {
                unsigned level = 0;
                for (size_t k = 0; k < cfg->steps[i]->n_after; k++) {
                        unsigned l = longest(cfg, index_of(cfg, cfg->steps[i]->after[k]), memo) + 1;
                        if (l > level)
                                level = l;
                }
                memo[i] = level + 1;
        }
        return memo[i] - 1;
}

/* Everything graph_build() promises of an acyclic graph, checked against the `after` names. */
static void check_graph(const struct config *cfg)
{
        size_t n = cfg->n_steps;
        size_t *pos = xcalloc(n, sizeof *pos);
        unsigned char *placed = xcalloc(n, 1);
        unsigned *memo = xcalloc(n, sizeof *memo), max = 0;

        REQUIRE(cfg->order, "no order");
        REQUIRE(cfg->level, "no levels");
        /* the order is a permutation */
        for (size_t k = 0; k < n; k++) {
                REQUIRE(cfg->order[k] < n, "order[%zu] = %zu", k, cfg->order[k]);
                REQUIRE(!placed[cfg->order[k]], "step %s twice in the order", cfg->steps[cfg->order[k]]->name);
                placed[cfg->order[k]] = 1;
                pos[cfg->order[k]] = k;
        }
        for (size_t i = 0; i < n; i++) {
                const struct xhafw_step *st = cfg->steps[i];
                REQUIRE(st->after_idx, "%s: no after_idx", st->name);
                for (size_t k = 0; k < st->n_after; k++) {
                        size_t j = index_of(cfg, st->after[k]);
                        REQUIRE(st->after_idx[k] == j, "%s: after_idx[%zu] is %zu, not %zu", st->name, k,
                                st->after_idx[k], j);
                        REQUIRE(pos[j] < pos[i], "%s is after %s but comes first in the order", st->name, st->after[k]);
                        REQUIRE(cfg->level[i] > cfg->level[j], "%s (level %u) is after %s (level %u)", st->name,
                                cfg->level[i], st->after[k], cfg->level[j]);
                }
                REQUIRE(cfg->level[i] == longest(cfg, i, memo), "%s: level %u, longest path %u", st->name,
                        cfg->level[i], longest(cfg, i, memo));
                if (cfg->level[i] > max)
                        max = cfg->level[i];
        }
        ck_assert_uint_eq(cfg->n_levels, (n ? max + 1 : 0));
        /* the reverse edges are `after` turned round, multiplicity included */
        for (size_t i = 0; i < n; i++) {
                const size_t *rev;
                size_t m = graph_after_me(cfg, i, &rev), expect = 0;
                for (size_t j = 0; j < n; j++) {
                        size_t edges = 0, listed = 0;
                        for (size_t k = 0; k < cfg->steps[j]->n_after; k++)
                                edges += strcmp(cfg->steps[j]->after[k], cfg->steps[i]->name) == 0;
                        for (size_t k = 0; k < m; k++)
                                listed += rev[k] == j;
                        REQUIRE(edges == listed, "%s after %s %zu times, after_me lists it %zu times",
                                cfg->steps[j]->name, cfg->steps[i]->name, edges, listed);
                        expect += edges;
                }
                REQUIRE(m == expect, "%s: %zu steps after it, expected %zu", cfg->steps[i]->name, m, expect);
        }
        free(pos);
        free(placed);
        free(memo);
}

/* The cycle named in a "dependency cycle: A after B after ... after A;" message: every hop is an
 * `after` edge, it closes, and it goes through exactly the steps in CYCLE (comma-separated). */
static void check_cycle_message(const struct config *cfg, const char *msg, const char *cycle)
{
        const char *from = strstr(msg, "dependency cycle: ");
        char *chain, *end, **names = NULL, **want = NULL;
        size_t n = 0, n_want = 0;

        REQUIRE(from, "no cycle reported: %s", msg);
        chain = strdup_or_die(from + strlen("dependency cycle: "));
        end = strchr(chain, ';');
        REQUIRE(end, "the cycle is not followed by what to do: %s", msg);
        *end = 0;
        for (char *p = chain, *a; p; p = a ? a + strlen(" after ") : NULL) {
                a = strstr(p, " after ");
                if (a)
                        *a = 0;
                names = realloc(names, (n + 2) * sizeof *names);
                REQUIRE(names, "out of memory");
                names[n++] = p;
        }
        REQUIRE(n >= 2 && strcmp(names[0], names[n - 1]) == 0, "the cycle does not close: %s", msg);
        for (size_t k = 0; k + 1 < n; k++) {
                const struct xhafw_step *st = cfg->steps[index_of(cfg, names[k])];
                bool edge = false;
                for (size_t a = 0; a < st->n_after; a++)
                        edge |= strcmp(st->after[a], names[k + 1]) == 0;
                REQUIRE(edge, "%s is not after %s: %s", names[k], names[k + 1], msg);
        }
        split_list(cycle, &want, &n_want);
        REQUIRE(n - 1 == n_want, "%zu steps in the cycle, expected %zu: %s", n - 1, n_want, msg);
        for (size_t w = 0; w < n_want; w++) {
                bool found = false;
                for (size_t k = 0; k + 1 < n; k++)
                        found |= strcmp(names[k], want[w]) == 0;
                REQUIRE(found, "%s missing from the cycle: %s", want[w], msg);
        }
        strv_free(want);
        free(names);
        free(chain);
}

struct graph_case {
        const char *name;
        const char *steps[8][2]; /* name, after */
        int rc;
        const char *levels; /* acyclic: the level of each step, one digit each */
        const char *expect[3];
        const char *cycle; /* the steps of the cycle reported */
};

static const struct graph_case cases[] = {
        { "one step", { { "a", NULL } }, 0, "0", { NULL }, NULL },
        { "independent steps share level 0", { { "a", NULL }, { "b", "" }, { "c", NULL } }, 0, "000", { NULL }, NULL },
        { "chain", { { "a", NULL }, { "b", "a" }, { "c", "b" } }, 0, "012", { NULL }, NULL },
        { "chain in reverse file order", { { "c", "b" }, { "b", "a" }, { "a", NULL } }, 0, "210", { NULL }, NULL },
        { "diamond: the middle steps share a level",
          { { "a", NULL }, { "b", "a" }, { "c", "a" }, { "d", "b, c" } },
          0,
          "0112",
          { NULL },
          NULL },
        { "level is the longest path, not the shortest",
          { { "d", "a, c" }, { "a", NULL }, { "b", "a" }, { "c", "b" } },
          0,
          "3012",
          { NULL },
          NULL },
        { "two components",
          { { "a", NULL }, { "x", NULL }, { "b", "a" }, { "y", "x" }, { "z", "y" } },
          0,
          "00112",
          { NULL },
          NULL },
        { "the same after twice", { { "a", NULL }, { "b", "a, a" } }, 0, "01", { NULL }, NULL },
        { "unknown after",
          { { "a", NULL }, { "b", "a, nothere" } },
          -EINVAL,
          NULL,
          { "10-graph.conf:2: step b: ", "no step is named 'nothere'" },
          NULL },
        { "two unknown names, both reported",
          { { "a", "ghost" }, { "b", "spook" } },
          -EINVAL,
          NULL,
          { "step a: after = ghost", "step b: after = spook" },
          NULL },
        { "self",
          { { "a", NULL }, { "b", "a, b" } },
          -EINVAL,
          NULL,
          { "10-graph.conf:2: step b: ", "after itself" },
          NULL },
        { "2-cycle", { { "a", "b" }, { "b", "a" } }, -EINVAL, NULL, { "step " }, "a, b" },
        { "long cycle",
          { { "a", "e" }, { "b", "a" }, { "c", "b" }, { "d", "c" }, { "e", "d" } },
          -EINVAL,
          NULL,
          { "step " },
          "a, b, c, d, e" },
        { "a step that leads into a cycle is not part of it",
          { { "z", "a" }, { "ok", NULL }, { "a", "c" }, { "b", "ok, a" }, { "c", "b" }, { "w", "z" } },
          -EINVAL,
          NULL,
          { "step " },
          "a, b, c" },
};

START_TEST(test_graph_table)
{
        const struct graph_case *c = &cases[_i];
        struct config cfg;
        int rc;

        cfg_init(&cfg);
        for (unsigned k = 0; k < 8 && c->steps[k][0]; k++)
                add_step(&cfg, c->steps[k][0], c->steps[k][1], k + 1);
        rc = graph_build(&cfg);
        ck_assert_msg(rc == c->rc, "%s: graph_build %d, expected %d; said: %s", c->name, rc, c->rc, said ? said : "");
        if (rc == 0) {
                ck_assert_msg(said == NULL, "%s: said %s", c->name, said);
                ck_assert_uint_eq(cfg.n_errors, 0);
                check_graph(&cfg);
                for (size_t i = 0; i < cfg.n_steps; i++)
                        ck_assert_msg(cfg.level[i] == (unsigned) (c->levels[i] - '0'), "%s: step %s level %u, not %c",
                                      c->name, cfg.steps[i]->name, cfg.level[i], c->levels[i]);
        } else {
                ck_assert_ptr_nonnull(said);
                ck_assert_uint_gt(cfg.n_errors, 0);
                for (size_t e = 0; e < 3 && c->expect[e]; e++)
                        ck_assert_msg(strstr(said, c->expect[e]), "%s: no '%s' in: %s", c->name, c->expect[e], said);
                if (c->cycle) {
                        ck_assert_uint_eq(cfg.n_errors, 1);
                        check_cycle_message(&cfg, said, c->cycle);
                }
        }
        cfg_done(&cfg);
}
END_TEST

/* 2000 steps, each after the one before, given last first: 2000 levels, one per step. */
START_TEST(test_long_chain)
{
        enum {
                N = 2000
        };
        struct config cfg;

        cfg_init(&cfg);
        for (int k = N - 1; k >= 0; k--) {
                char name[32], after[32];
                snprintf(name, sizeof name, "s%04d", k);
                snprintf(after, sizeof after, "s%04d", k - 1);
                add_step(&cfg, name, k ? after : NULL, (unsigned) (N - k));
        }
        ck_assert_int_eq(graph_build(&cfg), 0);
        ck_assert_uint_eq(cfg.n_levels, N);
        check_graph(&cfg);
        for (size_t k = 0; k < N; k++)
                REQUIRE(cfg.order[k] == N - 1 - k, "order[%zu] = %zu", k, cfg.order[k]);
        cfg_done(&cfg);
}
END_TEST

/* One root, 3000 steps after it, one step after all of them: three levels, and the reverse edges
 * of the root and of each middle step. */
START_TEST(test_wide_fan)
{
        enum {
                N = 3000
        };
        struct config cfg;
        size_t cap = N * 8, used = 0;
        char *all = xcalloc(cap, 1);
        const size_t *rev;

        cfg_init(&cfg);
        add_step(&cfg, "root", NULL, 1);
        for (int k = 0; k < N; k++) {
                char name[32];
                snprintf(name, sizeof name, "m%04d", k);
                add_step(&cfg, name, "root", (unsigned) k + 2);
                used += (size_t) snprintf(all + used, cap - used, "%s%s", k ? "," : "", name);
        }
        add_step(&cfg, "sink", all, N + 2);
        ck_assert_int_eq(graph_build(&cfg), 0);
        ck_assert_uint_eq(cfg.n_levels, 3);
        ck_assert_uint_eq(graph_after_me(&cfg, 0, &rev), N);
        for (size_t k = 0; k < N; k++)
                REQUIRE(rev[k] == k + 1 && cfg.level[k + 1] == 1, "m%04zu: after_me %zu, level %u", k, rev[k],
                        cfg.level[k + 1]);
        ck_assert_uint_eq(cfg.level[N + 1], 2);
        ck_assert_uint_eq(graph_after_me(&cfg, N + 1, &rev), 0);
        check_graph(&cfg);
        free(all);
        cfg_done(&cfg);
}
END_TEST

/* A cycle through 2000 steps with names of the longest length allowed: reported once, the message
 * cut short but still a message (and, under ASan, without writing past its buffer). */
START_TEST(test_huge_cycle)
{
        enum {
                N = 2000
        };
        struct config cfg;
        char name[80], after[80];

        cfg_init(&cfg);
        for (int k = 0; k < N; k++) {
                snprintf(name, sizeof name, "%059d-%04d", 0, k);
                snprintf(after, sizeof after, "%059d-%04d", 0, (k + 1) % N);
                add_step(&cfg, name, after, (unsigned) k + 1);
        }
        ck_assert_int_eq(graph_build(&cfg), -EINVAL);
        ck_assert_uint_eq(cfg.n_errors, 1);
        ck_assert_ptr_nonnull(strstr(said, "dependency cycle: "));
        ck_assert_ptr_nonnull(strstr(said, "remove one of these `after` entries"));
        ck_assert_ptr_nonnull(strstr(said, "... after "));
        ck_assert_uint_lt(said_len, 4096);
        cfg_done(&cfg);
}
END_TEST

START_TEST(test_empty_and_failed)
{
        struct config cfg;
        const size_t *rev = (const size_t *) &cfg;

        /* no steps: nothing to order, nothing said */
        cfg_init(&cfg);
        ck_assert_int_eq(graph_build(&cfg), 0);
        ck_assert_uint_eq(cfg.n_levels, 0);
        ck_assert_ptr_null(said);
        graph_free(&cfg);
        graph_free(&cfg);
        cfg_done(&cfg);

        /* never built */
        cfg_init(&cfg);
        add_step(&cfg, "a", NULL, 1);
        ck_assert_uint_eq(graph_after_me(&cfg, 0, &rev), 0);
        ck_assert_ptr_null(rev);
        graph_free(&cfg);
        cfg_done(&cfg);

        /* failed on a name: no order, no reverse edges, and freeing twice is harmless */
        cfg_init(&cfg);
        add_step(&cfg, "a", "nothere", 1);
        ck_assert_int_eq(graph_build(&cfg), -EINVAL);
        ck_assert_ptr_null(cfg.order);
        ck_assert_uint_eq(graph_after_me(&cfg, 0, &rev), 0);
        graph_free(&cfg);
        graph_free(&cfg);
        ck_assert_ptr_null(cfg.after_me);
        cfg_done(&cfg);

        /* failed on a cycle: freed like a built one */
        cfg_init(&cfg);
        add_step(&cfg, "a", "b", 1);
        add_step(&cfg, "b", "a", 2);
        ck_assert_int_eq(graph_build(&cfg), -EINVAL);
        graph_free(&cfg);
        ck_assert_ptr_null(cfg.order);
        ck_assert_ptr_null(cfg.level);
        ck_assert_ptr_null(cfg.after_me);
        ck_assert_ptr_null(cfg.n_after_me);
        cfg_done(&cfg);
}
END_TEST

/* Errors reported before the graph was built are not the graph's: it succeeds on its own part. */
START_TEST(test_earlier_errors)
{
        struct config cfg;

        cfg_init(&cfg);
        cfg.n_errors = 3;
        add_step(&cfg, "a", NULL, 1);
        add_step(&cfg, "b", "a", 2);
        ck_assert_int_eq(graph_build(&cfg), 0);
        ck_assert_uint_eq(cfg.n_errors, 3);
        check_graph(&cfg);
        cfg_done(&cfg);
}
END_TEST

int main(void)
{
        Suite *s = suite_create("graph");
        TCase *tc = tcase_create("graph");
        tcase_add_loop_test(tc, test_graph_table, 0, (int) (sizeof cases / sizeof cases[0]));
        tcase_add_test(tc, test_long_chain);
        tcase_add_test(tc, test_wide_fan);
        tcase_add_test(tc, test_huge_cycle);
        tcase_add_test(tc, test_empty_and_failed);
        tcase_add_test(tc, test_earlier_errors);
        suite_add_tcase(s, tc);
        return tl_run(s);
}
