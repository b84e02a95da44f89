/* xhafw preflight: can this node take the role over, and does it match the peer? It changes
 * nothing: the core's own checks, every step's preflight() (in forked, dry-run children, all at
 * once), the facts compared with the peer's over ssh, then a table, JSON, a Nagios line or a
 * node_exporter textfile. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "commands.h"
#include "config-build.h"
#include "engine.h"
#include "framing.h"
#include "journal.h"
#include "loader.h"
#include "lock.h"
#include "log.h"
#include "util.h"

/* A small exit code ("exit=N" in the journal), or -1. */
static int atoi_bounded(const char *s)
{
        long long v;
        char digits[8];
        size_t n = strspn(s, "0123456789");
        if (n == 0 || n >= sizeof digits)
                return -1;
        memcpy(digits, s, n);
        digits[n] = 0;
        return parse_int(digits, &v) < 0 ? -1 : (int) v;
}

/* ---- the host API side ---- */

/* A field of a framed line: no tab or newline may split it. */
static void field(char *dst, size_t size, const char *src)
{
        size_t n = 0;
        for (; src && *src && n + 1 < size; src++)
                dst[n++] = *src == '\t' || *src == '\n' || *src == '\r' ? ' ' : *src;
        dst[n] = 0;
}

XHAFW_API void xhafw_preflight_check(struct xhafw_step *step, const char *check, enum xhafw_check_result result,
                                     const char *detail, const char *fix)
{
        char c[256], d[1536], f[1536], line[3400];

        if (!step || !check || (unsigned) result > XHAFW_CHECK_FAIL)
                return;
        field(c, sizeof c, check);
        field(d, sizeof d, detail);
        field(f, sizeof f, fix);
        snprintf(line, sizeof line, "%d\t%s\t%s\t%s", (int) result, c, d, f);
        if (step->action && step->action->msg_fd >= 0)
                msg_send(step->action->msg_fd, FRAME_CHECK, line);
        else
                log_full(step->name,
                         result == XHAFW_CHECK_FAIL ? LOG_ERR :
                         result == XHAFW_CHECK_WARN ? LOG_WARNING :
                                                      LOG_INFO,
                         "preflight: %s: %s", c, d);
}

XHAFW_API void xhafw_preflight_fact(struct xhafw_step *step, const char *key, const char *value)
{
        char k[256], v[3200], line[3500];

        if (!step || !key || !value || !step->action || step->action->msg_fd < 0)
                return;
        field(k, sizeof k, key);
        field(v, sizeof v, value);
        snprintf(line, sizeof line, "%s\t%s", k, v);
        msg_send(step->action->msg_fd, FRAME_FACT, line);
}

XHAFW_API bool xhafw_node_active(const struct xhafw_step *step)
{
        return step && step->action && step->action->node_active;
}

/* ---- the report ---- */

static const char *const result_names[] = { "pass", "warn", "fail" };

struct report {
        struct json_object *checks; /* [{step, check, result, detail, fix}] */
        struct json_object *facts;  /* {"STEP/KEY": value}; the core's under "xhafw/..." */
        unsigned n[3];
};

static void add(struct report *rp, const char *step, const char *check, int result, const char *detail, const char *fix)
{
        struct json_object *c = json_object_new_object();
        json_object_object_add(c, "step", json_object_new_string(step));
        json_object_object_add(c, "check", json_object_new_string(check));
        json_object_object_add(c, "result", json_object_new_string(result_names[result]));
        json_object_object_add(c, "detail", json_object_new_string(detail ? detail : ""));
        json_object_object_add(c, "fix", fix && result != XHAFW_CHECK_PASS ? json_object_new_string(fix) : NULL);
        json_object_array_add(rp->checks, c);
        rp->n[result]++;
}

static void fact(struct report *rp, const char *key, const char *value)
{
        json_object_object_add(rp->facts, key, json_object_new_string(value));
}

/* ---- the core's own checks ---- */

static void core_checks(const struct config *cfg, struct report *rp)
{
        const struct settings *s = &cfg->settings;
        char *reason = NULL, *line, buf[512];
        struct stat st;
        long holder = 0;

        if (stat(s->state_dir, &st) < 0)
                snprintf(buf, sizeof buf, "%s: %s", s->state_dir, strerror(errno)),
                        add(rp, "xhafw", "state directory", errno == ENOENT ? XHAFW_CHECK_WARN : XHAFW_CHECK_FAIL, buf,
                            errno == ENOENT ? "it is created by the first activate or deactivate" :
                                              "make it a directory of root's, mode 0700");
        else if (!S_ISDIR(st.st_mode) || check_owner_mode(s->state_dir, &reason) < 0 ||
                 access(s->state_dir, W_OK) < 0) {
                snprintf(buf, sizeof buf, "%s: %s", s->state_dir,
                         reason               ? reason :
                         !S_ISDIR(st.st_mode) ? "not a directory" :
                                                strerror(errno));
                add(rp, "xhafw", "state directory", XHAFW_CHECK_FAIL, buf, "chown root: and chmod 0700 it");
        } else
                add(rp, "xhafw", "state directory", XHAFW_CHECK_PASS, s->state_dir, NULL);
        free(reason);

        if (lock_held(s, &holder)) {
                snprintf(buf, sizeof buf, "a run is in progress (pid %ld)", holder);
                add(rp, "xhafw", "no run in progress", XHAFW_CHECK_WARN, buf,
                    "wait for it to end, then run preflight again");
        } else if ((line = journal_unfinished_run(s))) {
                snprintf(buf, sizeof buf, "the journal has a run that never ended: %.400s", line);
                add(rp, "xhafw", "no interrupted run", XHAFW_CHECK_FAIL, buf,
                    "the node may be half-way: run `xhafw status`, then `xhafw deactivate` (standby) or "
                    "`xhafw activate` to converge");
                free(line);
        } else
                add(rp, "xhafw", "no interrupted run", XHAFW_CHECK_PASS, "the journal's last run ended", NULL);

        fact(rp, "xhafw/version", XHAFW_VERSION);
        for (size_t i = 0; i < cfg->n_plugins; i++) {
                const struct plugin *p = cfg->plugins[i];
                snprintf(buf, sizeof buf, "xhafw/plugin %s", p->name);
                fact(rp, buf, p->def && p->def->version ? p->def->version : "unusable");
        }
}

/* The resolved configuration as one fact per step: the peer must run the same steps with the same
 * options (an interface renamed on one node shows here). */
static void config_facts(const struct config *cfg, struct report *rp)
{
        for (size_t k = 0; k < cfg->n_steps; k++) {
                const struct xhafw_step *st = cfg->steps[cfg->order[k]];
                char *text = xasprintf("plugin=%s enabled=%d critical=%d", st->plugin_name, st->enabled, st->critical);
                char key[128];
                for (size_t a = 0; a < st->n_after; a++) {
                        char *t = xasprintf("%s%s%s", text, a ? "," : " after=", st->after[a]);
                        free(text);
                        text = t;
                }
                for (size_t o = 0; o < st->n_opts; o++) {
                        char *t = xasprintf("%s %s=%s", text, st->opts[o].schema->name,
                                            st->opts[o].value ? st->opts[o].value : "");
                        free(text);
                        text = t;
                }
                snprintf(key, sizeof key, "xhafw/config %s", st->name);
                fact(rp, key, text);
                free(text);
        }
}

/* ---- the peer ---- */

/* Ask the peer's xhafw for its facts: ssh in batch mode (the admin's keys, no prompt), a bounded
 * connect time, through the runner (argv, no shell here; the remote side's is ssh's). */
static uint64_t realtime_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

static int peer_facts(const struct config *cfg, const char *peer, struct json_object **ret, uint64_t *ret_asked_ms,
                      uint64_t *ret_rtt_ms, char **ret_error)
{
        struct action a = { .settings = &cfg->settings, .msg_fd = -1 };
        struct xhafw_step st = {
                .name = (char *) "peer", .plugin_name = (char *) "xhafw", .timeout_ms = 20000, .action = &a
        };
        const char *argv[] = { "ssh",
                               "-o",
                               "BatchMode=yes",
                               "-o",
                               "ConnectTimeout=5",
                               "-o",
                               "ServerAliveInterval=5",
                               "-o",
                               "ServerAliveCountMax=2",
                               "--",
                               peer,
                               "xhafw",
                               "--json",
                               "preflight",
                               "--facts",
                               NULL };
        const char *port = getenv("XHAFW_PEER_SSH_PORT"), *cfgfile = getenv("XHAFW_PEER_SSH_CONFIG");
        const char *with[24];
        char *out = NULL;
        size_t n = 0;
        uint64_t t0;
        int r;

        /* The tests' own sshd listens on its own port with its own client configuration. */
        for (size_t i = 0; argv[i]; i++) {
                if (strcmp(argv[i], "--") == 0) {
                        if (port) {
                                with[n++] = "-p";
                                with[n++] = port;
                        }
                        if (cfgfile) {
                                with[n++] = "-F";
                                with[n++] = cfgfile;
                        }
                }
                with[n++] = argv[i];
        }
        with[n] = NULL;
        *ret_asked_ms = realtime_ms();
        t0 = now_ms();
        r = xhafw_run(&st, with, XHAFW_RUN_READONLY, &out);
        *ret_rtt_ms = now_ms() - t0;
        if (r != 0 && r != 1) { /* the peer's preflight exits 1 when something fails there: still an answer */
                *ret_error = xasprintf("ssh %s exited %d%s%.300s", peer, r, out && *out ? ": " : "", out ? out : "");
                free(out);
                return -EHOSTUNREACH;
        }
        *ret = out ? json_tokener_parse(strchr(out, '{') ? strchr(out, '{') : out) : NULL;
        free(out);
        if (!*ret) {
                *ret_error = xasprintf("the answer of xhafw on %s is not JSON (is xhafw installed there?)", peer);
                return -EPROTO;
        }
        return 0;
}

static void compare_peer(const struct config *cfg, const char *peer, struct report *rp)
{
        struct json_object *doc = NULL, *facts, *v;
        char *error = NULL, buf[1024];
        uint64_t rtt = 0, asked_ms = 0;
        unsigned same = 0;

        if (peer_facts(cfg, peer, &doc, &asked_ms, &rtt, &error) < 0) {
                add(rp, "xhafw", "peer reachable", XHAFW_CHECK_WARN, error,
                    "check `ssh -o BatchMode=yes PEER true` as root: passwordless ssh between the nodes is a "
                    "prerequisite; the peer was not compared");
                free(error);
                return;
        }
        snprintf(buf, sizeof buf, "%s answered in %llu ms", peer, (unsigned long long) rtt);
        add(rp, "xhafw", "peer reachable", XHAFW_CHECK_PASS, buf, NULL);
        if (!json_object_object_get_ex(doc, "facts", &facts) || !json_object_is_type(facts, json_type_object)) {
                add(rp, "xhafw", "peer facts", XHAFW_CHECK_WARN, "the peer's answer has no facts",
                    "upgrade xhafw on the peer");
                json_object_put(doc);
                return;
        }
        /* The clock: the peer's time against the middle of our round trip. */
        if (json_object_object_get_ex(doc, "time_ms", &v)) {
                int64_t peer_ms = json_object_get_int64(v), mid = (int64_t) (asked_ms + rtt / 2);
                int64_t off = peer_ms - mid, abs_off = off < 0 ? -off : off;
                snprintf(buf, sizeof buf, "offset %+lld ms (± %llu ms), limit %llu ms (max_clock_offset)",
                         (long long) off, (unsigned long long) (rtt / 2),
                         (unsigned long long) cfg->settings.max_clock_offset_ms);
                add(rp, "xhafw", "clock matches the peer",
                    (uint64_t) abs_off > cfg->settings.max_clock_offset_ms + rtt / 2 ? XHAFW_CHECK_FAIL :
                                                                                       XHAFW_CHECK_PASS,
                    buf, "synchronise both clocks (chronyd or ntpd against the same servers)");
        }
        json_object_object_foreach(rp->facts, key, mine)
        {
                struct json_object *theirs;
                const char *a = json_object_get_string(mine), *b;
                bool config = strncmp(key, "xhafw/config ", 13) == 0;
                if (!json_object_object_get_ex(facts, key, &theirs)) {
                        snprintf(buf, sizeof buf, "%s: %.400s here, nothing on %s", key, a, peer);
                        add(rp, "xhafw", "matches the peer", XHAFW_CHECK_WARN, buf,
                            "the same steps, plugins and versions on both nodes");
                        continue;
                }
                b = json_object_get_string(theirs);
                if (strcmp(a, b) == 0) {
                        same++;
                        continue;
                }
                snprintf(buf, sizeof buf, "%s: '%.300s' here, '%.300s' on %s", key, a, b, peer);
                /* a configuration may differ on purpose (a node's own address); versions may not */
                add(rp, "xhafw", "matches the peer", config ? XHAFW_CHECK_WARN : XHAFW_CHECK_FAIL, buf,
                    config ? "make the step's options the same on both nodes unless the difference is meant" :
                             "install the same version on both nodes");
        }
        snprintf(buf, sizeof buf, "%u facts the same on both nodes", same);
        add(rp, "xhafw", "peer compared", XHAFW_CHECK_PASS, buf, NULL);
        json_object_put(doc);
}

/* ---- output ---- */

static void print_table(const struct report *rp, bool ready)
{
        size_t n = json_object_array_length(rp->checks);
        printf("%-14s %-30s %-5s %s\n", "STEP", "CHECK", "", "SEEN / FIX");
        for (size_t i = 0; i < n; i++) {
                struct json_object *c = json_object_array_get_idx(rp->checks, i), *v;
                const char *step = json_object_object_get_ex(c, "step", &v) ? json_object_get_string(v) : "";
                const char *check = json_object_object_get_ex(c, "check", &v) ? json_object_get_string(v) : "";
                const char *res = json_object_object_get_ex(c, "result", &v) ? json_object_get_string(v) : "";
                const char *detail = json_object_object_get_ex(c, "detail", &v) ? json_object_get_string(v) : "";
                const char *fix = json_object_object_get_ex(c, "fix", &v) ? json_object_get_string(v) : NULL;
                printf("%-14s %-30s %-5s %s\n", step, check, res, detail);
                if (fix)
                        printf("%-14s %-30s %-5s   fix: %s\n", "", "", "", fix);
        }
        printf("preflight: %s (%u pass, %u warn, %u fail)\n", ready ? "READY" : "NOT READY", rp->n[0], rp->n[1],
               rp->n[2]);
}

/* Monitoring Plugins: one line, "SERVICE STATUS - text | perfdata", exit 0/1/2/3. */
static int print_nagios(const struct report *rp)
{
        int code = rp->n[XHAFW_CHECK_FAIL] ? 2 : rp->n[XHAFW_CHECK_WARN] ? 1 : 0;
        static const char *const words[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };
        char first[512] = "";
        size_t n = json_object_array_length(rp->checks);

        /* the worst check first, in words; the others are in the long output */
        for (size_t i = 0; i < n && !*first && code; i++) {
                struct json_object *c = json_object_array_get_idx(rp->checks, i), *r, *st, *ck, *d;
                if (json_object_object_get_ex(c, "result", &r) &&
                    strcmp(json_object_get_string(r), code == 2 ? "fail" : "warn") == 0 &&
                    json_object_object_get_ex(c, "step", &st) && json_object_object_get_ex(c, "check", &ck) &&
                    json_object_object_get_ex(c, "detail", &d))
                        snprintf(first, sizeof first, "; %s: %s: %s", json_object_get_string(st),
                                 json_object_get_string(ck), json_object_get_string(d));
        }
        for (char *q = first; *q; q++)
                if (*q == '|')
                        *q = '/'; /* '|' starts the performance data */
        printf("XHAFW PREFLIGHT %s - %u pass, %u warn, %u fail%s | pass=%u warn=%u;0;0 fail=%u;0;0\n", words[code],
               rp->n[0], rp->n[1], rp->n[2], first, rp->n[0], rp->n[1], rp->n[2]);
        for (size_t i = 0; i < n; i++) {
                struct json_object *c = json_object_array_get_idx(rp->checks, i), *r, *st, *ck, *d;
                if (json_object_object_get_ex(c, "result", &r) && strcmp(json_object_get_string(r), "pass") != 0 &&
                    json_object_object_get_ex(c, "step", &st) && json_object_object_get_ex(c, "check", &ck) &&
                    json_object_object_get_ex(c, "detail", &d))
                        printf("%s %s: %s: %s\n", json_object_get_string(r), json_object_get_string(st),
                               json_object_get_string(ck), json_object_get_string(d));
        }
        return code;
}

/* A label value of the text format: backslash, double quote and newline escaped. */
static void prom_label(FILE *f, const char *s)
{
        for (; *s; s++) {
                if (*s == '\\' || *s == '"')
                        fputc('\\', f), fputc(*s, f);
                else if (*s == '\n')
                        fputs("\\n", f);
                else
                        fputc(*s, f);
        }
}

/* The journal's last run, for the textfile: its command, whether and how it ended. */
struct journal_last {
        char command[32];
        bool ended;
        int exit_code;
        double duration_s, end_s;
};

static double iso_seconds(const char *t)
{
        struct tm tm = { 0 };
        const char *rest = t ? strptime(t, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
        double frac = rest && *rest == '.' ? strtod(rest, NULL) : 0;
        return rest ? (double) timegm(&tm) + frac : 0;
}

static int journal_last_run(const struct settings *s, struct journal_last *ret)
{
        char *path = xasprintf("%s/journal", s->state_dir), *text = NULL, *p, *save = NULL;
        size_t n = 0;
        double start = 0;
        int r = read_file(path, 16 * 1024 * 1024, &text, &n);

        free(path);
        memset(ret, 0, sizeof *ret);
        if (r < 0)
                return r;
        r = -ENOENT;
        /* Read forward: a torn last line (a crash) is skipped, not fatal. */
        for (p = strtok_r(text, "\n", &save); p; p = strtok_r(NULL, "\n", &save)) {
                struct json_object *o = json_tokener_parse(p), *ev, *detail, *t;
                const char *e;
                if (!o)
                        continue;
                e = json_object_object_get_ex(o, "event", &ev) ? json_object_get_string(ev) : "";
                json_object_object_get_ex(o, "detail", &detail);
                json_object_object_get_ex(o, "time", &t);
                if (strcmp(e, "run-start") == 0) {
                        memset(ret, 0, sizeof *ret);
                        snprintf(ret->command, sizeof ret->command, "%s",
                                 detail ? json_object_get_string(detail) : "?");
                        start = iso_seconds(t ? json_object_get_string(t) : NULL);
                        r = 0;
                } else if (strcmp(e, "run-end") == 0 && r == 0) {
                        const char *d = detail ? json_object_get_string(detail) : "", *x = strstr(d, "exit=");
                        ret->ended = true;
                        ret->exit_code = x ? atoi_bounded(x + 5) : -1;
                        ret->end_s = iso_seconds(t ? json_object_get_string(t) : NULL);
                        ret->duration_s = ret->end_s > start ? ret->end_s - start : 0;
                }
                json_object_put(o);
        }
        free(text);
        return r;
}

static int write_prometheus(const struct config *cfg, const struct report *rp, bool ready, int status_rc,
                            const char *file)
{
        char *buf = NULL;
        size_t len = 0, n = json_object_array_length(rp->checks);
        FILE *f = open_memstream(&buf, &len);
        struct journal_last last;
        int r;

        if (!f)
                return -ENOMEM;
        fprintf(f,
                "# HELP xhafw_preflight_ready 1 when no preflight check fails on this node\n"
                "# TYPE xhafw_preflight_ready gauge\nxhafw_preflight_ready %d\n",
                ready);
        fprintf(f, "# HELP xhafw_preflight_checks Preflight checks by result\n# TYPE xhafw_preflight_checks gauge\n");
        for (int k = 0; k < 3; k++)
                fprintf(f, "xhafw_preflight_checks{result=\"%s\"} %u\n", result_names[k], rp->n[k]);
        fprintf(f, "# HELP xhafw_preflight_check_result One preflight check: 0 pass, 1 warn, 2 fail\n"
                   "# TYPE xhafw_preflight_check_result gauge\n");
        for (size_t i = 0; i < n; i++) {
                struct json_object *c = json_object_array_get_idx(rp->checks, i), *v;
                const char *res = json_object_object_get_ex(c, "result", &v) ? json_object_get_string(v) : "fail";
                fputs("xhafw_preflight_check_result{step=\"", f);
                prom_label(f, json_object_object_get_ex(c, "step", &v) ? json_object_get_string(v) : "");
                fputs("\",check=\"", f);
                prom_label(f, json_object_object_get_ex(c, "check", &v) ? json_object_get_string(v) : "");
                fprintf(f, "\",index=\"%zu\"} %d\n", i,
                        strcmp(res, "pass") == 0 ? 0 :
                        strcmp(res, "warn") == 0 ? 1 :
                                                   2);
        }
        fprintf(f,
                "# HELP xhafw_role_active 1 when xhafw status says this node holds the role\n"
                "# TYPE xhafw_role_active gauge\nxhafw_role_active %d\n",
                status_rc == XHAFW_EXIT_OK);
        fprintf(f,
                "# HELP xhafw_role_mixed 1 when part of the role is active on this node\n"
                "# TYPE xhafw_role_mixed gauge\nxhafw_role_mixed %d\n",
                status_rc == XHAFW_EXIT_MIXED);
        if (journal_last_run(&cfg->settings, &last) == 0) {
                fprintf(f, "# HELP xhafw_last_run_info The journal's last run\n# TYPE xhafw_last_run_info gauge\n"
                           "xhafw_last_run_info{command=\"");
                prom_label(f, last.command);
                fprintf(f, "\",ended=\"%s\"} 1\n", last.ended ? "yes" : "no");
                if (last.ended)
                        fprintf(f,
                                "# HELP xhafw_last_run_exit_code Exit code of the journal's last run\n"
                                "# TYPE xhafw_last_run_exit_code gauge\nxhafw_last_run_exit_code %d\n"
                                "# HELP xhafw_last_run_duration_seconds Duration of the journal's last run\n"
                                "# TYPE xhafw_last_run_duration_seconds gauge\nxhafw_last_run_duration_seconds %.3f\n"
                                "# HELP xhafw_last_run_end_timestamp_seconds When the journal's last run ended\n"
                                "# TYPE xhafw_last_run_end_timestamp_seconds gauge\n"
                                "xhafw_last_run_end_timestamp_seconds %.3f\n",
                                last.exit_code, last.duration_s, last.end_s);
        }
        fclose(f);
        r = write_file_atomic(file, buf, len, 0644);
        free(buf);
        if (r < 0)
                log_error("cannot write %s: %s", file, strerror(-r));
        return r;
}

/* ---- the command ---- */

/* The role this node holds, from a status run: a standby and the active node need different
 * things. Returns status's exit code. */
static int role_check(struct config *cfg, struct report *rp)
{
        struct run_options ro = { .mode = RUN_STATUS, .quiet = true };
        struct run_report rep;
        int status_rc;

        engine_run(cfg, &ro, &rep);
        status_rc = status_exit_code(cfg, &rep);
        run_report_free(&rep, cfg->n_steps);
        add(rp, "xhafw", "role", XHAFW_CHECK_PASS,
            status_rc == XHAFW_EXIT_OK       ? "this node holds the role (ACTIVE)" :
            status_rc == XHAFW_EXIT_INACTIVE ? "this node is a standby (INACTIVE)" :
                                               "part of the role is active here (MIXED)",
            NULL);
        if (status_rc == XHAFW_EXIT_MIXED)
                add(rp, "xhafw", "not half active", XHAFW_CHECK_FAIL, "xhafw status says MIXED",
                    "run `xhafw status`; then `xhafw deactivate` (standby) or `xhafw activate` (active node)");
        return status_rc;
}

/* One step's preflight, as its checks, a failure of its own if it failed, and its facts. */
static void add_step_report(struct report *rp, const struct xhafw_step *st, const struct step_report *sr)
{
        size_t n = sr->checks ? json_object_array_length(sr->checks) : 0;

        for (size_t c = 0; c < n; c++) {
                struct json_object *o = json_object_array_get_idx(sr->checks, c), *v, *fix;
                const char *res = json_object_object_get_ex(o, "result", &v) ? json_object_get_string(v) : "";
                int result = strcmp(res, "pass") == 0 ? 0 : strcmp(res, "warn") == 0 ? 1 : 2;
                json_object_object_get_ex(o, "fix", &fix);
                add(rp, st->name, json_object_object_get_ex(o, "check", &v) ? json_object_get_string(v) : "", result,
                    json_object_object_get_ex(o, "detail", &v) ? json_object_get_string(v) : "",
                    fix ? json_object_get_string(fix) : NULL);
        }
        if (sr->outcome == OUT_FAILED)
                add(rp, st->name, "preflight ran", XHAFW_CHECK_FAIL, sr->reason ? sr->reason : "it failed",
                    "a bug in the plugin, or something it needs is missing: see the messages above");
        if (sr->facts) {
                json_object_object_foreach(sr->facts, key, val)
                {
                        char *fk = xasprintf("%s/%s", st->name, key);
                        fact(rp, fk, json_object_get_string(val));
                        free(fk);
                }
        }
}

/* Every enabled step's preflight (the engine runs them at once), in the order of the plan. */
static void step_checks(struct config *cfg, struct report *rp, bool node_active)
{
        struct run_options ro = { .mode = RUN_PREFLIGHT, .quiet = true, .node_active = node_active };
        struct run_report rep;

        engine_run(cfg, &ro, &rep);
        for (size_t k = 0; k < cfg->n_steps; k++) {
                size_t i = cfg->order[k];
                if (cfg->steps[i]->enabled)
                        add_step_report(rp, cfg->steps[i], &rep.steps[i]);
        }
        run_report_free(&rep, cfg->n_steps);
}

static void print_json(const struct report *rp, bool ready, int status_rc)
{
        struct json_object *o = json_object_new_object();
        json_object_object_add(o, "command", json_object_new_string("preflight"));
        json_object_object_add(o, "ready", json_object_new_boolean(ready));
        json_object_object_add(o, "checks", json_object_get(rp->checks));
        json_object_object_add(o, "facts", json_object_get(rp->facts));
        json_object_object_add(o, "time_ms", json_object_new_int64((int64_t) realtime_ms()));
        json_object_object_add(o, "node_active", json_object_new_boolean(status_rc == XHAFW_EXIT_OK));
        commands_json(o);
}

int cmd_preflight(const struct global_options *g, const struct preflight_command *pc)
{
        struct config cfg;
        struct report rp = { .checks = json_object_new_array(), .facts = json_object_new_object() };
        const char *peer;
        int status_rc, r;
        bool ready;

        r = commands_load(&cfg, g, false);
        if (r) {
                config_free(&cfg);
                json_object_put(rp.checks);
                json_object_put(rp.facts);
                if (pc->nagios) {
                        printf("XHAFW PREFLIGHT UNKNOWN - configuration errors: run xhafw validate\n");
                        return 3;
                }
                return r;
        }
        core_checks(&cfg, &rp);
        config_facts(&cfg, &rp);
        status_rc = role_check(&cfg, &rp);
        step_checks(&cfg, &rp, status_rc == XHAFW_EXIT_OK);
        peer = pc->peer ? pc->peer : cfg.settings.peer;
        if (peer && !pc->facts_only)
                compare_peer(&cfg, peer, &rp);
        ready = rp.n[XHAFW_CHECK_FAIL] == 0;

        if (pc->prometheus && write_prometheus(&cfg, &rp, ready, status_rc, pc->prometheus) < 0) {
                ready = false;
                r = XHAFW_EXIT_FAILED;
        }
        if (g->json)
                print_json(&rp, ready, status_rc);
        if (pc->nagios && !g->json)
                r = print_nagios(&rp);
        else {
                if (!g->json)
                        print_table(&rp, ready);
                r = r ? r : ready ? XHAFW_EXIT_OK : XHAFW_EXIT_FAILED;
        }
        json_object_put(rp.checks);
        json_object_put(rp.facts);
        config_free(&cfg);
        return r;
}
