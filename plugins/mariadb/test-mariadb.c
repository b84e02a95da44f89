/* Unit tests of the mariadb plugin against the host-API mock, beyond test-mycnf's text functions: the
 * record of where this node's server answers, the places the split-brain guard asks and what it
 * decides, validate, the option file's edit and its state, the plan of a dry-run apply and its
 * refusals, revert's stop. No server runs: what "answers" is a Unix socket that listens and never
 * speaks; TCP places are loopback addresses at a port this test holds bound without listening. */
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "hostapi-mock.h"

/* Included rather than linked: the guard, the record and the edit are static. */
#include "mariadb.c"

#define N(a) ((int) (sizeof(a) / sizeof((a)[0])))
#define MAX_LINES 8
/* A pid no process has (pid_max is at most 2^22): a pid file left by the other node. */
#define DEAD_PID "2147483000"
#define PLACES_HEADER \
        "# Written by xhafw's mariadb step on the node that activated last: where its server\n" \
        "# answers. The other node's split-brain guard asks there before starting a server.\n"

static const struct mock_command services[] = {
        { "systemctl start mariadb", 0, NULL, false },
        { "systemctl stop mariadb", 0, NULL, false },
        { .argv = NULL },
};

/* A TCP port of 127.0.0.1 bound and not listening: nothing on this machine can answer at it. */
static void reserve_port(char *port, size_t size, int *ret_fd)
{
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof sa;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(bind(fd, (struct sockaddr *) &sa, sizeof sa), 0);
        ck_assert_int_eq(getsockname(fd, (struct sockaddr *) &sa, &len), 0);
        snprintf(port, size, "%u", (unsigned) ntohs(sa.sin_port));
        *ret_fd = fd;
}

/* A step of the temporary directory; EXTRA's options override the first ones. */
static struct xhafw_step *new_step(const struct mock_option *extra)
{
        struct mock_option opts[32] = {
                { "data_dir", "@TMP@/data" },      { "option_file", "@TMP@/my.cnf" },
                { "socket", "@TMP@/mysqld.sock" }, { "bind_addresses", "127.0.0.1, 192.0.2.7" },
                { "guard_timeout", "100ms" },
        };
        size_t n = 5;
        struct xhafw_step *step;

        for (size_t i = 0; extra && extra[i].name && n < N(opts) - 1; i++)
                opts[n++] = extra[i];
        step = mock_step_new(&xhafw_plugin_v1, "mariadb", opts);
        mock_set_commands(step, services);
        return step;
}

/* A data directory with its system tables, and an option file. */
static void make_server(struct xhafw_step *step)
{
        ck_assert_int_eq(mkdir(mock_path(step, "data"), 0700), 0);
        ck_assert_int_eq(mkdir(mock_path(step, "data/mysql"), 0700), 0);
        mock_write_file(step, "my.cnf", "[client]\nport = 3306\n\n[mysqld]\nbind-address = 127.0.0.1\n");
}

/* A Unix socket that listens at PATH (of the temporary directory) and never answers. */
static int listen_at(struct xhafw_step *step, const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        ck_assert_int_ge(fd, 0);
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", mock_path(step, path));
        ck_assert_int_eq(bind(fd, (struct sockaddr *) &sa, sizeof sa), 0);
        ck_assert_int_eq(listen(fd, 8), 0);
        return fd;
}

/* TEXT with @PORT@ replaced by PORT and @TMP@ by the temporary directory (owned by the step). */
static const char *expand_port(struct xhafw_step *step, const char *text, const char *port)
{
        char buf[4096];
        const char *at = strstr(text, "@PORT@");

        if (!at)
                return mock_expand(step, text);
        snprintf(buf, sizeof buf, "%.*s%s%s", (int) (at - text), text, port, at + 6);
        return expand_port(step, buf, port);
}

/* The lines of the log at PRIORITY, in order, each containing its WANT (NULL-terminated). */
static void assert_lines(struct xhafw_step *step, int i, int priority, const char *const *want, const char *port)
{
        const struct mock_log *logs;
        size_t n = mock_logs(step, &logs), k = 0;

        for (size_t j = 0; j < n; j++) {
                if (logs[j].priority != priority)
                        continue;
                ck_assert_msg(want[k], "case %d: '%s' not expected\n%s", i, logs[j].text, mock_log_text(step));
                ck_assert_msg(strstr(logs[j].text, expand_port(step, want[k], port)), "case %d: '%s', want '%s'", i,
                              logs[j].text, expand_port(step, want[k], port));
                k++;
        }
        ck_assert_msg(!want[k], "case %d: no '%s'\n%s", i, want[k] ? expand_port(step, want[k], port) : "",
                      mock_log_text(step));
}

/* ---- the record of where this node's server answers, for the other node's guard ---- */

struct places_case {
        const char *bind, *want;
};

static const struct places_case places_cases[] = {
        { "127.0.0.1, 192.0.2.7", "address 192.0.2.7\n" },
        /* loopback and wildcards are no place of this node for the other one; each once */
        { "localhost, ::1, 127.0.0.5, 192.0.2.7, 192.0.2.7, 2001:db8::7", "address 192.0.2.7\naddress 2001:db8::7\n" },
        { "LOCALHOST, xcatmn1", "address xcatmn1\n" },
        /* what cannot be a word of the file is left out */
        { "192.0.2.7, a#b, c\"d", "address 192.0.2.7\n" },
        { "127.0.0.1", "" },
        /* at most 16 */
        { "192.0.2.1,192.0.2.2,192.0.2.3,192.0.2.4,192.0.2.5,192.0.2.6,192.0.2.7,192.0.2.8,192.0.2.9,192.0.2.10,"
          "192.0.2.11,192.0.2.12,192.0.2.13,192.0.2.14,192.0.2.15,192.0.2.16,192.0.2.17",
          "address 192.0.2.1\naddress 192.0.2.2\naddress 192.0.2.3\naddress 192.0.2.4\naddress 192.0.2.5\n"
          "address 192.0.2.6\naddress 192.0.2.7\naddress 192.0.2.8\naddress 192.0.2.9\naddress 192.0.2.10\n"
          "address 192.0.2.11\naddress 192.0.2.12\naddress 192.0.2.13\naddress 192.0.2.14\naddress 192.0.2.15\n"
          "address 192.0.2.16\n" },
};

START_TEST(places_table)
{
        const struct places_case *c = &places_cases[_i];
        const struct mock_option extra[] = { { "bind_addresses", c->bind }, { NULL, NULL } };
        struct xhafw_step *step = new_step(extra);
        struct my_cfg cfg;
        char *text;

        ck_assert_int_eq(my_cfg_load(step, &cfg), 0);
        text = my_places_text(&cfg);
        ck_assert_ptr_nonnull(text);
        ck_assert_msg(strncmp(text, PLACES_HEADER, strlen(PLACES_HEADER)) == 0, "case %d: %s", _i, text);
        ck_assert_msg(strcmp(text + strlen(PLACES_HEADER), c->want) == 0, "case %d: '%s', want '%s'", _i,
                      text + strlen(PLACES_HEADER), c->want);
        free(text);
        my_cfg_free(&cfg);
        mock_step_free(step);
}
END_TEST

/* A wildcard bind-address: this node's interface addresses, still without loopback or link-local ones. */
START_TEST(places_wildcard)
{
        const struct mock_option extra[] = { { "bind_addresses", "0.0.0.0" }, { NULL, NULL } };
        struct xhafw_step *step = new_step(extra);
        struct my_cfg cfg;
        char *text;

        ck_assert_int_eq(my_cfg_load(step, &cfg), 0);
        text = my_places_text(&cfg);
        ck_assert_ptr_nonnull(text);
        ck_assert_ptr_null(strstr(text, "address 127."));
        ck_assert_ptr_null(strstr(text, "address ::1\n"));
        ck_assert_ptr_null(strstr(text, "address fe80:"));
        ck_assert_ptr_null(strstr(text, "address 0.0.0.0"));
        free(text);
        my_cfg_free(&cfg);
        mock_step_free(step);
}
END_TEST

/* Written through the host API, only when it changes; in dry-run only said; a failure is no failure. */
START_TEST(places_record)
{
        struct xhafw_step *step = new_step(NULL);
        const struct mock_file *files;
        struct my_cfg cfg;
        char *text;

        make_server(step);
        ck_assert_int_eq(my_cfg_load(step, &cfg), 0);
        mock_set_dry_run(step, true);
        ck_assert_int_eq(my_places_record(step, &cfg), 0);
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_NOTICE,
                                            "would record in @TMP@/data/xhafw-mariadb.places where "
                                            "this node's server answers"));
        ck_assert_uint_eq(mock_files(step, &files), 0);

        mock_set_dry_run(step, false);
        ck_assert_int_eq(my_places_record(step, &cfg), 0);
        ck_assert_uint_eq(mock_files(step, &files), 1);
        ck_assert(files[0].written);
        text = mock_read_file(step, "data/xhafw-mariadb.places");
        ck_assert_str_eq(text, PLACES_HEADER "address 192.0.2.7\n");
        free(text);
        /* the same again: not rewritten */
        ck_assert_int_eq(my_places_record(step, &cfg), 0);
        ck_assert_uint_eq(mock_files(step, &files), 1);
        my_cfg_free(&cfg);

        mock_set_option(step, "bind_addresses", "192.0.2.8");
        ck_assert_int_eq(my_cfg_load(step, &cfg), 0);
        mock_file_fail(step, "data/xhafw-mariadb.places", -EROFS);
        ck_assert_int_eq(my_places_record(step, &cfg), 0);
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_WARNING,
                                            "cannot record in @TMP@/data/xhafw-mariadb.places where "
                                            "this node's server answers: Read-only file system, "
                                            "ignoring"));
        my_cfg_free(&cfg);
        mock_step_free(step);
}
END_TEST

/* ---- the guard: where it asks, and what it concludes ---- */

struct guard_case {
        const char *check_host, *bind, *conf, *guard, *record, *pid_file;
        const char *pidfile_name, *pidfile_text; /* a pid file to write (in the temporary directory) */
        const char *listening;                   /* a socket that answers, or NULL */
        bool force;
        int want;
        int priority;
        const char *log;
};

#define CONF(bind) "[mysqld]\nbind-address = " bind "\n"

static const struct guard_case guard_cases[] = {
        /* in order: the socket, check_host (unless localhost: that is the socket), bind_addresses, the
         * option file's bind-address, guard_addresses, the other node's record */
        { NULL, "127.0.0.2", CONF("127.0.0.3"), "127.0.0.4", "address 127.0.0.5\n", NULL, NULL, NULL, NULL, false, 0,
          LOG_INFO,
          "there is no pid file in @TMP@/data and nothing answers at @TMP@/mysqld.sock, 127.0.0.2, "
          "127.0.0.3, 127.0.0.4, 127.0.0.5 port @PORT@ " },
        { "127.0.0.9", "127.0.0.2", CONF("127.0.0.3"), NULL, NULL, NULL, NULL, NULL, NULL, false, 0, LOG_INFO,
          "nothing answers at @TMP@/mysqld.sock, 127.0.0.9, 127.0.0.2, 127.0.0.3 port @PORT@ " },
        /* each place once; wildcards are no place */
        { NULL, "127.0.0.2, 0.0.0.0, ::, *", CONF("127.0.0.2,127.0.0.3,0.0.0.0"), "127.0.0.3",
          "address 127.0.0.2\n# a comment\naddress 127.0.0.6\nnot an address line\n", NULL, NULL, NULL, NULL, false, 0,
          LOG_INFO, "nothing answers at @TMP@/mysqld.sock, 127.0.0.2, 127.0.0.3, 127.0.0.6 port @PORT@ " },
        /* a pid file of the other node's: stale when nothing answers */
        { NULL, "127.0.0.2", CONF("127.0.0.2"), NULL, NULL, NULL, "data/mn1.pid", DEAD_PID "\n", NULL, false, 0,
          LOG_NOTICE,
          "the pid file is stale: pid " DEAD_PID " in @TMP@/data/mn1.pid is no server of this node and "
          "nothing answers at @TMP@/mysqld.sock, 127.0.0.2 port @PORT@ " },
        { NULL, "127.0.0.2", CONF("127.0.0.2"), NULL, NULL, NULL, "data/mn1.pid", "garbage\n", NULL, false, 0, LOG_INFO,
          "@TMP@/data/mn1.pid holding no pid (Invalid argument) is no server of this node and nothing "
          "answers" },
        /* pid_file set: only that one is read */
        { NULL, "127.0.0.2", CONF("127.0.0.2"), NULL, NULL, "@TMP@/run.pid", "data/mn1.pid", DEAD_PID "\n", NULL, false,
          0, LOG_INFO, "there is no @TMP@/run.pid and nothing answers" },
        /* something answers: another node runs this data directory */
        { NULL, "127.0.0.2", CONF("127.0.0.2"), NULL, NULL, NULL, "data/mn1.pid", DEAD_PID "\n", "mysqld.sock", false,
          XHAFW_REFUSED, LOG_ERR, "refusing to start: a server answers at @TMP@/mysqld.sock port @PORT@ (" },
        { NULL, "127.0.0.2", CONF("127.0.0.2"), NULL, NULL, NULL, NULL, NULL, "mysqld.sock", false, XHAFW_REFUSED,
          LOG_ERR, "but there is no pid file in @TMP@/data: another node is running this data directory" },
        { NULL, "127.0.0.2", CONF("127.0.0.2"), NULL, NULL, NULL, NULL, NULL, "mysqld.sock", true, 0, LOG_WARNING,
          "a server answers at @TMP@/mysqld.sock port @PORT@ and there is no pid file in @TMP@/data; going on because "
          "of --force" },
};

START_TEST(guard_table)
{
        const struct guard_case *c = &guard_cases[_i];
        char port[16];
        int reserved, fd = -1, r;
        const struct mock_option extra[] = {
                { "check_host", c->check_host },
                { "bind_addresses", c->bind },
                { "guard_addresses", c->guard },
                { "pid_file", c->pid_file },
                { "port", (reserve_port(port, sizeof port, &reserved), port) },
                { NULL, NULL },
        };
        struct xhafw_step *step = new_step(extra);
        struct my_cfg cfg;
        long pid = -1;

        make_server(step);
        if (c->record)
                mock_write_file(step, "data/xhafw-mariadb.places", c->record);
        if (c->pidfile_name)
                mock_write_file(step, c->pidfile_name, c->pidfile_text);
        if (c->listening)
                fd = listen_at(step, c->listening);
        mock_set_force(step, c->force);
        ck_assert_int_eq(my_cfg_load(step, &cfg), 0);
        r = my_guard(step, &cfg, c->conf, &pid);
        ck_assert_msg(r == c->want, "case %d: guard returned %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        ck_assert_int_eq(pid, 0);
        ck_assert_msg(mock_log_find(step, c->priority, expand_port(step, c->log, port)), "case %d: no '%s' in\n%s", _i,
                      expand_port(step, c->log, port), mock_log_text(step));
        ck_assert_uint_eq(mock_runs(step, &(const struct mock_run *){ NULL }), 0);
        ck_assert_uint_eq(mock_files(step, &(const struct mock_file *){ NULL }), 0);
        my_cfg_free(&cfg);
        if (fd >= 0)
                close(fd);
        close(reserved);
        mock_step_free(step);
}
END_TEST

/* ---- the edit of the option file, and what the state remembers ---- */

struct edit_case {
        const char *conf, *bind, *pid_file;
        bool dry_run;
        const char *want;  /* the file after (NULL: unchanged) */
        const char *state; /* bind_added after (NULL: none) */
        const char *notices[MAX_LINES];
};

static const struct edit_case edit_cases[] = {
        { "[mysqld]\nbind-address = 127.0.0.1\n",
          "127.0.0.1, 192.0.2.7",
          NULL,
          false,
          "[mysqld]\nbind-address = 127.0.0.1,192.0.2.7\n",
          "192.0.2.9,192.0.2.7",
          { "added 192.0.2.7 to bind-address in @TMP@/my.cnf" } },
        /* covered already: nothing written, nothing remembered beyond the earlier run */
        { "[mysqld]\nbind-address = 127.0.0.1,192.0.2.7 # both\n",
          "192.0.2.7",
          NULL,
          false,
          NULL,
          "192.0.2.9",
          { NULL } },
        /* no bind-address: the server listens everywhere, which covers it */
        { "[mysqld]\nport = 3306\n", "192.0.2.7", NULL, false, NULL, "192.0.2.9", { NULL } },
        /* the pid file set too */
        { "[mysqld]\nbind-address = 127.0.0.1\n",
          "127.0.0.1, 192.0.2.7",
          "/srv/shared/mysqld.pid",
          false,
          "[mysqld]\npid-file = /srv/shared/mysqld.pid\t# added by xhafw\nbind-address = 127.0.0.1,192.0.2.7\n",
          "192.0.2.9,192.0.2.7",
          { "added 192.0.2.7 to bind-address in @TMP@/my.cnf",
            "set pid-file = /srv/shared/mysqld.pid in @TMP@/my.cnf" } },
        /* dry-run: a diff, nothing written or remembered */
        { "[mysqld]\nbind-address = 127.0.0.1\n", "127.0.0.1, 192.0.2.7", NULL, true, NULL, "192.0.2.9", { NULL } },
};

START_TEST(edit_table)
{
        const struct edit_case *c = &edit_cases[_i];
        const struct mock_option extra[] = {
                { "bind_addresses", c->bind },
                { "pid_file", c->pid_file },
                { NULL, NULL },
        };
        struct xhafw_step *step = new_step(extra);
        struct my_cfg cfg;
        bool changed = false;
        char *text;

        mock_write_file(step, "my.cnf", c->conf);
        mock_state_set(step, "bind_added", "192.0.2.9");
        mock_set_dry_run(step, c->dry_run);
        ck_assert_int_eq(my_cfg_load(step, &cfg), 0);
        ck_assert_int_eq(my_edit(step, &cfg, c->conf, &changed), 0);
        ck_assert(changed == (c->want || c->dry_run));
        text = mock_read_file(step, "my.cnf");
        ck_assert_str_eq(text, c->want ? c->want : c->conf);
        free(text);
        ck_assert_pstr_eq(mock_state_get(step, "bind_added"), c->state);
        assert_lines(step, _i, LOG_NOTICE, c->notices, "");
        if (c->dry_run)
                ck_assert_ptr_nonnull(mock_log_find(step, MOCK_PRINTED, "+bind-address = 127.0.0.1,192.0.2.7"));
        my_cfg_free(&cfg);
        mock_step_free(step);
}
END_TEST

/* ---- apply in dry-run: the plan, and each refusal before anything changes ---- */

enum {
        T_NO_DATA = 1 << 0,
        T_NO_SYSTEM_TABLES = 1 << 1,
        T_NO_OPTION_FILE = 1 << 2,
        T_ANSWERS = 1 << 3, /* something answers at the socket */
        T_STALE = 1 << 4,   /* a pid file of the other node's */
};

struct apply_case {
        unsigned setup;
        const char *grant_hosts;
        int want;
        const char *printed[MAX_LINES];
        const char *notices[MAX_LINES];
        const char *error;
};

#define WAIT "would wait up to 60000 ms for SELECT 1 to succeed at localhost"

static const struct apply_case apply_cases[] = {
        { 0, NULL, 0, { "--- @TMP@/my.cnf", "would run: systemctl start mariadb" }, { WAIT }, NULL },
        { T_STALE,
          "192.0.2.7, 192.0.2.8",
          0,
          { "--- @TMP@/my.cnf", "would run: systemctl start mariadb" },
          { "the pid file is stale: pid " DEAD_PID " in @TMP@/data/mn1.pid", WAIT,
            "would then make sure 'xcatadmin'@{each of grant_hosts} has ALL on `xcatdb`" },
          NULL },
        { T_ANSWERS,
          NULL,
          XHAFW_REFUSED,
          { NULL },
          { NULL },
          "refusing to start: a server answers at @TMP@/mysqld.sock port @PORT@" },
        { T_NO_DATA,
          NULL,
          -ENOENT,
          { NULL },
          { NULL },
          "data directory @TMP@/data: No such file or directory (is the shared storage mounted?)" },
        { T_NO_SYSTEM_TABLES,
          NULL,
          -ENOENT,
          { NULL },
          { NULL },
          "@TMP@/data is not a MariaDB data directory: it has no mysql/ (system tables)" },
        { T_NO_OPTION_FILE, NULL, -ENOENT, { NULL }, { NULL }, "cannot read @TMP@/my.cnf" },
};

START_TEST(apply_table)
{
        const struct apply_case *c = &apply_cases[_i];
        char port[16], *before, *after;
        int reserved, fd = -1, r;
        const struct mock_option extra[] = {
                { "grant_hosts", c->grant_hosts },
                { "bind_addresses", "127.0.0.1, 127.0.0.2" },
                { "port", (reserve_port(port, sizeof port, &reserved), port) },
                { NULL, NULL },
        };
        struct xhafw_step *step = new_step(extra);

        if (!(c->setup & T_NO_DATA))
                make_server(step);
        if (c->setup & T_NO_SYSTEM_TABLES)
                ck_assert_int_eq(rmdir(mock_path(step, "data/mysql")), 0);
        if (c->setup & T_NO_OPTION_FILE)
                ck_assert_int_eq(unlink(mock_path(step, "my.cnf")), 0);
        if (c->setup & T_STALE)
                mock_write_file(step, "data/mn1.pid", DEAD_PID "\n");
        if (c->setup & T_ANSWERS)
                fd = listen_at(step, "mysqld.sock");
        before = mock_read_file(step, "my.cnf");
        mock_set_dry_run(step, true);
        r = mock_apply(step);
        ck_assert_msg(r == c->want, "case %d: apply returned %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        assert_lines(step, _i, MOCK_PRINTED, c->printed, port);
        assert_lines(step, _i, LOG_NOTICE, c->notices, port);
        if (c->printed[0])
                ck_assert_ptr_nonnull(mock_log_find(step, MOCK_PRINTED, "+bind-address = 127.0.0.1,127.0.0.2"));
        if (c->error)
                ck_assert_msg(mock_log_find(step, LOG_ERR, expand_port(step, c->error, port)),
                              "case %d: no '%s' in\n%s", _i, expand_port(step, c->error, port), mock_log_text(step));
        else
                ck_assert_uint_eq(mock_log_count(step, LOG_ERR, NULL), 0);
        after = mock_read_file(step, "my.cnf");
        ck_assert_pstr_eq(after, before);
        ck_assert_uint_eq(mock_state_count(step), 0);
        free(before);
        free(after);
        if (fd >= 0)
                close(fd);
        close(reserved);
        mock_step_free(step);
}
END_TEST

/* ---- revert, check, validate ---- */

struct revert_case {
        int stop_status;
        bool dry_run;
        int want;
        int priority;
        const char *log;
};

static const struct revert_case revert_cases[] = {
        { 0, false, 0, LOG_INFO, "stopped after " },
        { 5, false, 0, LOG_WARNING, "service stop mariadb exited 5, but the server is down" },
        { 0, true, 0, MOCK_PRINTED, "would run: systemctl stop mariadb" },
        { -ENOENT, false, -ENOENT, -1, NULL },
};

START_TEST(revert_table)
{
        const struct revert_case *c = &revert_cases[_i];
        const struct mock_command stop[] = {
                { "systemctl stop mariadb", c->stop_status, "", false },
                { .argv = NULL },
        };
        struct xhafw_step *step = new_step(NULL);
        char *conf;

        make_server(step);
        mock_set_commands(step, stop);
        mock_set_dry_run(step, c->dry_run);
        ck_assert_int_eq(mock_revert(step), c->want);
        ck_assert_uint_eq(mock_ran(step, "systemctl stop mariadb"), 1);
        if (c->log)
                ck_assert_msg(mock_log_find(step, c->priority, c->log), "case %d: no '%s' in\n%s", _i, c->log,
                              mock_log_text(step));
        /* the option file stays as edited: both nodes' servers need it */
        conf = mock_read_file(step, "my.cnf");
        ck_assert_str_eq(conf, "[client]\nport = 3306\n\n[mysqld]\nbind-address = 127.0.0.1\n");
        free(conf);
        mock_step_free(step);
}
END_TEST

START_TEST(check_standby)
{
        struct xhafw_step *step = new_step(NULL);

        make_server(step);
        ck_assert_int_eq(mock_check(step), XHAFW_INACTIVE);
        mock_write_file(step, "data/mn1.pid", DEAD_PID "\n");
        ck_assert_int_eq(mock_check(step), XHAFW_INACTIVE);
        ck_assert_uint_eq(mock_log_count(step, LOG_ERR, NULL), 0);
        ck_assert_uint_eq(mock_runs(step, &(const struct mock_run *){ NULL }), 0);
        mock_step_free(step);
}
END_TEST

struct validate_case {
        const char *name, *value, *name2, *value2;
        int want;
        const char *log;
};

static const struct validate_case validate_cases[] = {
        { NULL, NULL, NULL, NULL, 0, NULL },
        { "port", "0", NULL, NULL, -EINVAL, "port 0 is not a TCP port (1-65535)" },
        { "port", "65536", NULL, NULL, -EINVAL, "port 65536 is not a TCP port (1-65535)" },
        { "bind_addresses", "127.0.0.1, a#b", NULL, NULL, -EINVAL,
          "bind_addresses: \"a#b\" is not a host name or address" },
        { "pid_file", "/srv/a,b.pid", NULL, NULL, -EINVAL, "pid_file \"/srv/a,b.pid\" cannot go into the option file" },
        { "pid_file", "/srv/\"x\".pid", NULL, NULL, -EINVAL, "cannot go into the option file as it is" },
        { "option_group", "mysqld]", NULL, NULL, -EINVAL, "option_group \"mysqld]\" is not a group name" },
        { "option_group", "mariadb-10.6", NULL, NULL, 0, NULL },
        /* sun_path holds 107 bytes and a NUL */
        { "socket",
          "/run/mysqld/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
          "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.sock",
          NULL, NULL, 0, NULL },
        { "socket",
          "/run/mysqld/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
          "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.sock",
          NULL, NULL, -EINVAL, "is longer than a Unix socket path may be" },
        { "ready_timeout", "0ms", NULL, NULL, -EINVAL, "ready_timeout must be longer than 0" },
        { "guard_timeout", "0s", NULL, NULL, -EINVAL, "guard_timeout must be longer than 0" },
        /* the grant names are checked only when there are grants */
        { "grant_user", "bad$user", NULL, NULL, 0, NULL },
        { "grant_user", "bad$user", "grant_hosts", "192.0.2.7", -EINVAL,
          "grant_user \"bad$user\" is not an account name" },
        { "grant_database", "xcat-db", "grant_hosts", "192.0.2.7", -EINVAL,
          "grant_database \"xcat-db\" is not a database name" },
        { "grant_database", "xcat_db$1", "grant_hosts", "192.0.2.7, %.cluster.com", 0, NULL },
        { "grant_hosts", "192.0.2.7, x'y", NULL, NULL, -EINVAL, "grant_hosts: \"x'y\" is not a host name or address" },
};

START_TEST(validate_table)
{
        const struct validate_case *c = &validate_cases[_i];
        const struct mock_option extra[] = { { c->name, c->value }, { c->name2, c->value2 }, { NULL, NULL } };
        struct xhafw_step *step = new_step(c->name ? extra : NULL);
        int r = mock_validate(step);

        ck_assert_msg(r == c->want, "case %d: validate returned %d\n%s", _i, r, mock_log_text(step));
        if (c->log)
                ck_assert_msg(mock_log_find(step, LOG_ERR, c->log), "case %d: no '%s' in\n%s", _i, c->log,
                              mock_log_text(step));
        else
                ck_assert_uint_eq(mock_log_count(step, -1, NULL), 0);
        ck_assert_uint_eq(mock_runs(step, &(const struct mock_run *){ NULL }), 0);
        mock_step_free(step);
}
END_TEST

/* ---- preflight ---- */

#define DATA_DIR 1    /* data_dir with mysql/ */
#define SERVER 2      /* an installed server that says its version */
#define SERVER_MUTE 4 /* an installed server whose --version says nothing useful */
#define OPTION_FILE 8 /* option_file readable */
#define ENABLED 16    /* the unit is enabled at boot */
#define SOCKET_UP 32  /* something listens at the socket */

struct preflight_case {
        unsigned setup;
        bool active;
        const char *check;
        enum xhafw_check_result result;
        const char *detail, *fix;
};

#define READY (DATA_DIR | SERVER | OPTION_FILE)
static const struct preflight_case preflight_cases[] = {
        { READY, false, "data directory", XHAFW_CHECK_PASS, "@TMP@/data holds a MariaDB data directory", NULL },
        /* a standby without the shared storage mounted: as it should be */
        { READY & ~DATA_DIR, false, "data directory", XHAFW_CHECK_PASS,
          "@TMP@/data is not here (No such file or directory): it is on the shared storage", NULL },
        { READY & ~DATA_DIR, true, "data directory", XHAFW_CHECK_FAIL, "@TMP@/data: No such file or directory",
          "mount the shared storage" },
        { READY, false, "server binary", XHAFW_CHECK_PASS, "@TMP@/bin/mariadbd is MariaDB/MySQL 10.11.6-MariaDB",
          NULL },
        { READY & ~SERVER, false, "server binary", XHAFW_CHECK_FAIL, "no MariaDB or MySQL server is installed",
          "apt-get install mariadb-server" },
        { (READY & ~SERVER) | SERVER_MUTE, false, "server binary", XHAFW_CHECK_FAIL,
          "no installed server says its version: @TMP@/bin/mariadbd (--version exited 1)", "reinstall" },
        { READY & ~OPTION_FILE, false, "option file", XHAFW_CHECK_FAIL,
          "cannot read @TMP@/my.cnf: No such file or directory", "correct option_file" },
        { READY, false, "option file", XHAFW_CHECK_PASS, "@TMP@/my.cnf is readable", NULL },
        { READY, false, "not enabled at boot", XHAFW_CHECK_PASS, "mariadb is disabled or masked", NULL },
        { READY | ENABLED, false, "not enabled at boot", XHAFW_CHECK_FAIL, "mariadb is enabled at boot",
          "systemctl disable mariadb" },
        { READY, false, "socket free", XHAFW_CHECK_PASS, "nothing listens at @TMP@/mysqld.sock", NULL },
        { READY | SOCKET_UP, false, "socket free", XHAFW_CHECK_FAIL,
          "a server listens at @TMP@/mysqld.sock on this standby", "give the step another socket" },
        /* the active node runs its server there */
        { READY | SOCKET_UP, true, "socket free", XHAFW_CHECK_PASS,
          "this node holds the role: @TMP@/mysqld.sock answers", NULL },
        { READY, false, "port free", XHAFW_CHECK_PASS, "TCP port", NULL },
};

START_TEST(preflight_table)
{
        const struct preflight_case *c = &preflight_cases[_i];
        char port[16];
        int reserved, fd = -1;
        const struct mock_option extra[] = { { "port", (reserve_port(port, sizeof port, &reserved), port) },
                                             { NULL, NULL } };
        struct xhafw_step *step = new_step(extra);
        const struct mock_command commands[] = {
                { "@TMP@/bin/mariadbd --version", c->setup & SERVER ? 0 : 1,
                  c->setup & SERVER ? "@TMP@/bin/mariadbd  Ver 10.11.6-MariaDB-0+deb12u1 for debian-linux-gnu on "
                                      "x86_64 (Debian 12)\n" :
                                      "",
                  false },
                { "systemctl status mariadb", c->active ? 0 : 3, NULL, false },
                { "systemctl is-enabled mariadb", c->setup & ENABLED ? 0 : 1, NULL, false },
                { "systemctl is-active mariadb", c->active ? 0 : 3, NULL, false },
                { .argv = NULL },
        };
        const char *servers[] = { mock_path(step, "bin/mariadbd"), NULL };
        const struct mock_report *rep;
        const struct mock_run *runs;

        servers[0] = strdup(servers[0]);
        ck_assert_int_eq(mkdir(mock_path(step, "bin"), 0755), 0);
        if (c->setup & (SERVER | SERVER_MUTE)) {
                mock_write_file(step, "bin/mariadbd", "#!/bin/sh\n");
                ck_assert_int_eq(chmod(mock_path(step, "bin/mariadbd"), 0755), 0);
        }
        if (c->setup & DATA_DIR) {
                ck_assert_int_eq(mkdir(mock_path(step, "data"), 0700), 0);
                ck_assert_int_eq(mkdir(mock_path(step, "data/mysql"), 0700), 0);
        }
        if (c->setup & OPTION_FILE)
                mock_write_file(step, "my.cnf", "[mysqld]\nbind-address = 127.0.0.1\n");
        if (c->setup & SOCKET_UP) {
                struct sockaddr_un sa = { .sun_family = AF_UNIX };

                fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
                ck_assert_int_ge(fd, 0);
                snprintf(sa.sun_path, sizeof sa.sun_path, "%s", mock_path(step, "mysqld.sock"));
                ck_assert_int_eq(bind(fd, (struct sockaddr *) &sa, sizeof sa), 0);
                ck_assert_int_eq(listen(fd, 8), 0);
        }
        mock_set_commands(step, commands);
        mock_set_node_active(step, c->active);
        my_servers = servers;
        ck_assert_int_eq(mock_preflight(step), 0);
        my_servers = my_default_servers;
        rep = mock_report_find(step, c->check);
        ck_assert_msg(rep, "case %d: no report '%s'", _i, c->check);
        ck_assert_msg(rep->result == c->result, "case %d: %s: result %d: %s", _i, c->check, rep->result, rep->detail);
        ck_assert_msg(strstr(rep->detail, mock_expand(step, c->detail)), "case %d: detail '%s', want '%s'", _i,
                      rep->detail, mock_expand(step, c->detail));
        if (c->fix)
                ck_assert_msg(rep->fix && strstr(rep->fix, c->fix), "case %d: fix '%s', want '%s'", _i,
                              rep->fix ? rep->fix : "(none)", c->fix);
        else
                ck_assert_ptr_null(rep->fix);
        if (c->setup & SERVER)
                ck_assert_pstr_eq(mock_fact(step, "server version"), "10.11.6-MariaDB");
        else
                ck_assert_ptr_null(mock_fact(step, "server version"));
        /* queries only */
        for (size_t i = 0; i < mock_runs(step, &runs); i++)
                ck_assert(runs[i].flags & XHAFW_RUN_READONLY);
        ck_assert_uint_eq(mock_files(step, &(const struct mock_file *){ NULL }), 0);
        if (fd >= 0)
                close(fd);
        close(reserved);
        free((char *) servers[0]);
        mock_step_free(step);
}
END_TEST

/* What `mariadbd --version` says, as a version for the peer. */
START_TEST(version_parse)
{
        static const struct {
                const char *out, *want;
        } cases[] = {
                { "/usr/sbin/mariadbd  Ver 10.11.6-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64 (Debian 12)\n",
                  "10.11.6-MariaDB" },
                { "/usr/libexec/mysqld  Ver 10.5.22-MariaDB for Linux on x86_64 (MariaDB Server)\n",
                  "10.5.22-MariaDB" },
                { "/usr/sbin/mysqld  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)\n", "8.0.36" },
                { "mariadbd: unknown option\n", NULL },
                { "x Ver -MariaDB\n", NULL },
        };
        char buf[64];

        for (int i = 0; i < N(cases); i++) {
                int r = my_parse_version(cases[i].out, buf, sizeof buf);

                ck_assert_int_eq(r, cases[i].want ? 0 : -EPROTO);
                if (cases[i].want)
                        ck_assert_str_eq(buf, cases[i].want);
        }
}
END_TEST

static Suite *mariadb_suite(void)
{
        Suite *s = suite_create("mariadb");
        TCase *tc = tcase_create("mariadb");

        tcase_add_loop_test(tc, places_table, 0, N(places_cases));
        tcase_add_test(tc, places_wildcard);
        tcase_add_test(tc, places_record);
        tcase_add_loop_test(tc, guard_table, 0, N(guard_cases));
        tcase_add_loop_test(tc, edit_table, 0, N(edit_cases));
        tcase_add_loop_test(tc, apply_table, 0, N(apply_cases));
        tcase_add_loop_test(tc, revert_table, 0, N(revert_cases));
        tcase_add_test(tc, check_standby);
        tcase_add_loop_test(tc, validate_table, 0, N(validate_cases));
        tcase_add_loop_test(tc, preflight_table, 0, N(preflight_cases));
        tcase_add_test(tc, version_parse);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(mariadb_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
