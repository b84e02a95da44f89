/* Unit tests of the postgres plugin against the host-API mock, beyond test-pgconf's text functions: the
 * places the split-brain guard asks and what it decides, validate, the plan of a dry-run apply and its
 * refusals, a real apply's edits and state in a temporary data directory, revert's stop. No server
 * runs: what "answers" is a Unix socket that listens and never speaks. */
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "hostapi-mock.h"

/* Included rather than linked: pg_guard(), pg_edit() and the list helpers are static. */
#include "postgres.c"

#define N(a) ((int) (sizeof(a) / sizeof((a)[0])))
#define MAX_LINES 8
/* A pid no process has (pid_max is at most 2^22): a postmaster.pid left by the other node. */
#define DEAD_PID "2147483000"

static const struct mock_command services[] = {
        { "systemctl start postgresql", 0, NULL, false },
        { "systemctl stop postgresql", 0, NULL, false },
        { .argv = NULL },
};

static struct xhafw_step *new_step(const struct mock_option *extra)
{
        struct mock_option opts[24] = {
                { "data_dir", "@TMP@/data" },
                { "listen_addresses", "localhost, 192.0.2.7" },
                { "check_host", "@TMP@/sock" },
                { "guard_timeout", "100ms" },
        };
        size_t n = 4;
        struct xhafw_step *step;

        for (size_t i = 0; extra && extra[i].name && n < N(opts) - 1; i++)
                opts[n++] = extra[i];
        step = mock_step_new(&xhafw_plugin_v1, "postgres", opts);
        mock_set_commands(step, services);
        return step;
}

/* A data directory with PG_VERSION, pg_hba.conf and postgresql.conf, as initdb leaves it. */
static void make_cluster(struct xhafw_step *step)
{
        ck_assert_int_eq(mkdir(mock_path(step, "data"), 0700), 0);
        mock_write_file(step, "data/PG_VERSION", "16\n");
        mock_write_file(step, "data/pg_hba.conf", "local all all peer\nhost all all 127.0.0.1/32 scram-sha-256\n");
        mock_write_file(step, "data/postgresql.conf",
                        "listen_addresses = 'localhost'\t# what to listen on\n"
                        "port = 5432\n");
}

static void write_pidfile(struct xhafw_step *step, const char *pid, const char *port, const char *socket_dir,
                          const char *listen)
{
        char text[4096];

        snprintf(text, sizeof text, "%s\n%s\n1700000000\n%s\n%s\n%s\n  5432001     32768\nready   \n", pid,
                 mock_path(step, "data"), port, mock_expand(step, socket_dir), mock_expand(step, listen));
        mock_write_file(step, "data/postmaster.pid", text);
}

/* A Unix socket that listens for PostgreSQL in DIR (of the temporary directory) at PORT, and never answers. */
static int listen_in(struct xhafw_step *step, const char *dir, const char *port)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        ck_assert_int_ge(fd, 0);
        mkdir(mock_path(step, dir), 0700);
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s/.s.PGSQL.%s", mock_dir(step), dir, port);
        ck_assert_int_eq(bind(fd, (struct sockaddr *) &sa, sizeof sa), 0);
        ck_assert_int_eq(listen(fd, 8), 0);
        return fd;
}

/* A TCP port of 127.0.0.1 that is bound and not listening: it stays ours, and a connection to it is
 * refused at once, whatever else runs on this machine. *ret_fd: close it when done. */
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

/* ---- the guard: where it asks, and what it concludes ---- */

struct guard_case {
        const char *port_line, *socket_dir, *listen_addr; /* of postmaster.pid */
        const char *step_listen, *step_port, *conf, *check_host;
        const char *listening; /* a directory where something listens, or NULL */
        bool force;
        int want;
        bool stale;
        int priority;
        const char *log;
};

static const struct guard_case guard_cases[] = {
        /* every place a server of this cluster could answer, in order: the file's socket directory and
         * address, the step's listen addresses, the configuration's, check_host */
        { "5432", "@TMP@/s1", "@TMP@/s2", "@TMP@/s3", NULL, "listen_addresses = '@TMP@/s4'\n", "@TMP@/s5", NULL, false,
          0, true, LOG_NOTICE, "nothing answers at @TMP@/s1,@TMP@/s2,@TMP@/s3,@TMP@/s4,@TMP@/s5 port 5432 " },
        /* each place once */
        { "5432", "@TMP@/s1", "@TMP@/s1", "@TMP@/s2, @TMP@/s1", NULL, "listen_addresses = '@TMP@/s2, @TMP@/s3'\n",
          "@TMP@/s3", NULL, false, 0, true, LOG_NOTICE, "nothing answers at @TMP@/s1,@TMP@/s2,@TMP@/s3 port 5432 " },
        /* a socket directory that is no absolute path is no place; the file's port wins over the step's */
        { "6543", "sockets", "@TMP@/s2", "@TMP@/s3", "5433", "port = 5433\nlisten_addresses = '@TMP@/s3'\n", "@TMP@/s3",
          NULL, false, 0, true, LOG_NOTICE, "nothing answers at @TMP@/s2,@TMP@/s3 port 6543 " },
        /* a file without a port: the step's */
        { "", "@TMP@/s1", "@TMP@/s1", "@TMP@/s1", "5433", "listen_addresses='@TMP@/s1'", "@TMP@/s1", NULL, false, 0,
          true, LOG_NOTICE, "nothing answers at @TMP@/s1 port 5433 " },
        /* the last listen_addresses of the configuration counts, commented ones do not */
        { "5432", "@TMP@/s1", "@TMP@/s1", "@TMP@/s1", NULL,
          "#listen_addresses = '@TMP@/x'\nlisten_addresses = '@TMP@/y'\nlisten_addresses = '@TMP@/s2'\n", "@TMP@/s1",
          NULL, false, 0, true, LOG_NOTICE, "nothing answers at @TMP@/s1,@TMP@/s2 port 5432 " },
        /* something answers at one of them: another node runs this cluster */
        { "5432", "@TMP@/s1", "@TMP@/s2", "@TMP@/s3", NULL, "", "@TMP@/s5", "s3", false, XHAFW_REFUSED, false, LOG_ERR,
          "refusing to start: a server answers at @TMP@/s3 port 5432, but pid " DEAD_PID
          " in @TMP@/data/postmaster.pid is no postgres of this node" },
        { "5432", "@TMP@/s1", "@TMP@/s2", "@TMP@/s3", NULL, "", "@TMP@/s5", "s5", false, XHAFW_REFUSED, false, LOG_ERR,
          "a server answers at @TMP@/s5 port 5432" },
        /* the file's own socket directory, at the file's port */
        { "6000", "@TMP@/s1", "@TMP@/s2", "@TMP@/s3", NULL, "", "@TMP@/s5", "s1", false, XHAFW_REFUSED, false, LOG_ERR,
          "a server answers at @TMP@/s1 port 6000" },
        /* --force goes on, and says so */
        { "5432", "@TMP@/s1", "@TMP@/s2", "@TMP@/s3", NULL, "", "@TMP@/s5", "s2", true, 0, false, LOG_WARNING,
          "a server answers at @TMP@/s2 port 5432; going on because of --force" },
};

START_TEST(guard_table)
{
        const struct guard_case *c = &guard_cases[_i];
        const struct mock_option extra[] = {
                { "listen_addresses", c->step_listen },
                { "check_host", c->check_host },
                { "port", c->step_port },
                { NULL, NULL },
        };
        struct xhafw_step *step = new_step(extra);
        const char *port = *c->port_line ? c->port_line : c->step_port;
        char *stale = NULL;
        size_t len;
        struct pg_cfg cfg;
        long pid = -1;
        int fd = -1, r;

        make_cluster(step);
        write_pidfile(step, DEAD_PID, c->port_line, c->socket_dir, c->listen_addr);
        if (c->listening)
                fd = listen_in(step, c->listening, port);
        mock_set_force(step, c->force);
        ck_assert_int_eq(pg_cfg_load(step, &cfg), 0);
        r = pg_guard(step, &cfg, mock_expand(step, c->conf), &pid, &stale, &len);
        ck_assert_msg(r == c->want, "case %d: guard returned %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        ck_assert_int_eq(pid, 0);
        ck_assert_msg(!!stale == c->stale, "case %d: stale %s", _i, stale ? "yes" : "no");
        if (stale)
                ck_assert_ptr_nonnull(strstr(stale, DEAD_PID "\n"));
        ck_assert_msg(mock_log_find(step, c->priority, c->log), "case %d: no '%s' in\n%s", _i,
                      mock_expand(step, c->log), mock_log_text(step));
        /* the guard only asks: no command, no file */
        ck_assert_uint_eq(mock_runs(step, &(const struct mock_run *){ NULL }), 0);
        ck_assert_uint_eq(mock_files(step, &(const struct mock_file *){ NULL }), 0);
        free(stale);
        pg_cfg_free(&cfg);
        if (fd >= 0)
                close(fd);
        mock_step_free(step);
}
END_TEST

/* Places at TCP addresses, at a port where nothing listens: "*" in postmaster.pid stands for localhost
 * (and is no place itself), and so does a configuration without listen_addresses. */
struct tcp_case {
        const char *listen_addr, *conf, *want;
};

static const struct tcp_case tcp_cases[] = {
        { "*", "listen_addresses = '*'\n", "nothing answers at @TMP@/s1,localhost,192.0.2.7,*,@TMP@/sock port " },
        { "@TMP@/s2", "port = 1\n", "nothing answers at @TMP@/s1,@TMP@/s2,localhost,192.0.2.7,@TMP@/sock port " },
};

START_TEST(guard_tcp_table)
{
        const struct tcp_case *c = &tcp_cases[_i];
        struct xhafw_step *step = new_step(NULL);
        char port[16], want[256];
        char *stale = NULL;
        size_t len;
        struct pg_cfg cfg;
        long pid = -1;
        int fd;

        reserve_port(port, sizeof port, &fd);
        make_cluster(step);
        write_pidfile(step, DEAD_PID, port, "@TMP@/s1", c->listen_addr);
        ck_assert_int_eq(pg_cfg_load(step, &cfg), 0);
        ck_assert_int_eq(pg_guard(step, &cfg, c->conf, &pid, &stale, &len), 0);
        ck_assert_ptr_nonnull(stale);
        snprintf(want, sizeof want, "%s%s ", c->want, port);
        ck_assert_msg(mock_log_find(step, LOG_NOTICE, want), "case %d: no '%s' in\n%s", _i, mock_expand(step, want),
                      mock_log_text(step));
        free(stale);
        pg_cfg_free(&cfg);
        close(fd);
        mock_step_free(step);
}
END_TEST

/* No postmaster.pid: nothing to ask. One that names a pid but is otherwise no postmaster.pid:
 * postgres judges it. */
START_TEST(guard_no_pidfile)
{
        struct xhafw_step *step = new_step(NULL);
        char *stale = NULL;
        size_t len;
        struct pg_cfg cfg;
        long pid = -1;

        make_cluster(step);
        ck_assert_int_eq(pg_cfg_load(step, &cfg), 0);
        ck_assert_int_eq(pg_guard(step, &cfg, "", &pid, &stale, &len), 0);
        ck_assert_int_eq(pid, 0);
        ck_assert_ptr_null(stale);
        ck_assert_uint_eq(mock_log_count(step, -1, NULL), 0);

        mock_write_file(step, "data/postmaster.pid", DEAD_PID "\n/d\n0\n70000\n");
        ck_assert_int_eq(pg_guard(step, &cfg, "", &pid, &stale, &len), 0);
        ck_assert_ptr_null(stale);
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_WARNING,
                                            "cannot read @TMP@/data/postmaster.pid (Invalid "
                                            "argument); leaving it to postgres to judge"));
        pg_cfg_free(&cfg);
        mock_step_free(step);
}
END_TEST

/* A postmaster.pid that names no process (a crash while a server started, a full disk): stale when
 * nothing answers at the step's places and port, refused when something does; then moved aside, unless
 * it changed since it was judged. */
struct no_pid_case {
        const char *text;
        size_t len;
        const char *why;
};

static const struct no_pid_case no_pid_cases[] = {
        { "", 0, "it is empty" },
        { " \n\t\n", 4, "it holds only blanks" },
        { "\0\0\0\0\0\0\0\0", 8, "it holds NUL bytes where the pid should be" },
        { "abc\n/srv/pg\n", 12, "its first line is no pid" },
        { "0\n", 2, "its first line is no pid" },
        { "99999999999999999999\n", 21, "its first line is no pid" },
};

static void write_bytes(struct xhafw_step *step, const char *name, const char *data, size_t len)
{
        FILE *f = fopen(mock_path(step, name), "we");

        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(data, 1, len, f), len);
        ck_assert_int_eq(fclose(f), 0);
}

/* The names postmaster.pid.stale-* in data_dir. */
static size_t count_aside(struct xhafw_step *step)
{
        DIR *d = opendir(mock_path(step, "data"));
        struct dirent *e;
        size_t n = 0;

        ck_assert_ptr_nonnull(d);
        while ((e = readdir(d)))
                n += strncmp(e->d_name, "postmaster.pid.stale-", 21) == 0;
        closedir(d);
        return n;
}

START_TEST(guard_no_pid_table)
{
        const struct no_pid_case *c = &no_pid_cases[_i];
        /* no TCP place: a server of this machine at localhost port 5432 must not answer for the cluster */
        const struct mock_option extra[] = { { "listen_addresses", "@TMP@/s3" }, { NULL, NULL } };
        struct xhafw_step *step = new_step(extra);
        char *stale = NULL, why[128], *now;
        size_t len = 99;
        struct pg_cfg cfg;
        long pid = -1;
        int fd;

        ck_assert(pgconf_pidfile_no_pid(c->text, c->len, why, sizeof why));
        ck_assert_str_eq(why, c->why);
        make_cluster(step);
        write_bytes(step, "data/postmaster.pid", c->text, c->len);
        ck_assert_int_eq(pg_cfg_load(step, &cfg), 0);
        /* nothing answers at check_host: stale, and the bytes judged come back */
        ck_assert_int_eq(pg_guard(step, &cfg, "", &pid, &stale, &len), 0);
        ck_assert_int_eq(pid, 0);
        ck_assert_ptr_nonnull(stale);
        ck_assert_uint_eq(len, c->len);
        ck_assert_mem_eq(stale, c->text, c->len);
        ck_assert_msg(mock_log_find(step, LOG_NOTICE, "@TMP@/data/postmaster.pid is stale: it names no process"),
                      "case %d:\n%s", _i, mock_log_text(step));
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_NOTICE, why));
        /* a server answers at check_host: another node runs the cluster */
        fd = listen_in(step, "sock", "5432");
        mock_clear(step);
        free(stale);
        ck_assert_int_eq(pg_guard(step, &cfg, "", &pid, &stale, &len), XHAFW_REFUSED);
        ck_assert_ptr_null(stale);
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_ERR,
                                            "refusing to start: a server answers at @TMP@/sock port 5432, but "
                                            "@TMP@/data/postmaster.pid names no process ("));
        close(fd);

        /* dry-run: only says so */
        mock_clear(step);
        mock_set_dry_run(step, true);
        ck_assert_int_eq(pg_set_aside_pidfile(step, &cfg, c->text, c->len), 0);
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_NOTICE,
                                            "would move @TMP@/data/postmaster.pid aside to "
                                            "postmaster.pid.stale-"));
        ck_assert_uint_eq(count_aside(step), 0);
        /* changed since it was judged: refused, left in place */
        mock_set_dry_run(step, false);
        mock_clear(step);
        ck_assert_int_eq(pg_set_aside_pidfile(step, &cfg, "x", 1), XHAFW_REFUSED);
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_ERR, "changed after the guard found it stale"));
        ck_assert_uint_eq(count_aside(step), 0);
        /* for real: moved aside, byte for byte, and said so */
        mock_clear(step);
        ck_assert_int_eq(pg_set_aside_pidfile(step, &cfg, c->text, c->len), 0);
        ck_assert_msg(mock_log_find(step, LOG_NOTICE, "it is stale (it names no process: "), "case %d:\n%s", _i,
                      mock_log_text(step));
        ck_assert_uint_eq(count_aside(step), 1);
        ck_assert_int_eq(access(mock_path(step, "data/postmaster.pid"), F_OK), -1);
        now = NULL;
        {
                DIR *d = opendir(mock_path(step, "data"));
                struct dirent *e;
                char name[PATH_MAX];

                while ((e = readdir(d)))
                        if (strncmp(e->d_name, "postmaster.pid.stale-", 21) == 0)
                                snprintf(name, sizeof name, "data/%s", e->d_name);
                closedir(d);
                ck_assert_int_eq(db_read_bytes(mock_path(step, name), &now, &len), 0);
        }
        ck_assert_uint_eq(len, c->len);
        ck_assert_mem_eq(now, c->text, c->len);
        free(now);
        pg_cfg_free(&cfg);
        mock_step_free(step);
}
END_TEST

/* Where the guard asks, IPv4 and IPv6 alike: each place once whatever its spelling, a family's wildcard
 * as its loopback address, guard_addresses before check_host. Built only: nothing is asked here. */
struct places_case {
        const char *listen_addr; /* of postmaster.pid */
        const char *step_listen, *conf, *guard, *check_host, *want;
};

static const struct places_case places_cases[] = {
        { "::", "localhost, 2001:db8::100, 2001:DB8::1", "listen_addresses = '0.0.0.0, 2001:db8:0::1'\n",
          "2001:db8::2, 192.0.2.8", "2001:db8:0:0::100",
          "@TMP@/s1,::1,localhost,2001:db8::100,2001:DB8::1,127.0.0.1,2001:db8::2,192.0.2.8" },
        /* PostgreSQL records the first listen address as written */
        { "2001:DB8::100", "2001:db8::100, 0:0::0", "listen_addresses = '::, *'\n", "", "::1",
          "@TMP@/s1,2001:DB8::100,::1,*" },
        { "*", "192.0.2.7, 2001:db8::7", "", "2001:db8:0::7, 192.0.2.7", "localhost",
          "@TMP@/s1,localhost,192.0.2.7,2001:db8::7" },
        /* an IPv4-mapped address is an address of its own, not the IPv4 one */
        { "192.0.2.7", "::ffff:192.0.2.7", "listen_addresses = '192.0.2.7'\n", "", "127.0.0.1",
          "@TMP@/s1,192.0.2.7,::ffff:192.0.2.7,127.0.0.1" },
};

START_TEST(guard_places_table)
{
        const struct places_case *c = &places_cases[_i];
        const struct mock_option extra[] = {
                { "listen_addresses", c->step_listen },
                { "guard_addresses", c->guard },
                { "check_host", c->check_host },
                { NULL, NULL },
        };
        struct xhafw_step *step = new_step(extra);
        struct pgconf_pidfile pf = { .pid = 4242 };
        struct pg_cfg cfg;
        char *where = NULL;

        snprintf(pf.socket_dir, sizeof pf.socket_dir, "%s", mock_expand(step, "@TMP@/s1"));
        snprintf(pf.listen_addr, sizeof pf.listen_addr, "%s", c->listen_addr);
        ck_assert_int_eq(pg_cfg_load(step, &cfg), 0);
        ck_assert_int_eq(pg_guard_places(&cfg, &pf, c->conf, &where), 0);
        ck_assert_msg(strcmp(where, mock_expand(step, c->want)) == 0, "case %d: '%s', want '%s'", _i, where,
                      mock_expand(step, c->want));
        free(where);
        pg_cfg_free(&cfg);
        mock_step_free(step);
}
END_TEST

/* ---- the list helpers behind the guard's places and the state's records ---- */

struct list_case {
        const char *start, *add, *want;
};

static const struct list_case list_cases[] = {
        { "", "a", "a" },
        { "a", "b", "a,b" },
        { "a,b", "b, a ,c", "a,b,c" },
        { "a", " , ,", "a" },
        { "", "x ,  y,x", "x,y" },
        /* items, not substrings */
        { "192.0.2.70", "192.0.2.7", "192.0.2.70,192.0.2.7" },
        { "/run/postgresql", "/run/postgresql,/run", "/run/postgresql,/run" },
        /* one address or network in two spellings is one item */
        { "2001:db8::7/128", "2001:DB8:0::7/128,2001:db8::7", "2001:db8::7/128,2001:db8::7" },
        { "2001:db8::/64", "2001:db8::5/64, 2001:db8::70/128", "2001:db8::/64,2001:db8::70/128" },
};

START_TEST(list_table)
{
        const struct list_case *c = &list_cases[_i];
        struct pgconf_buf b = { 0 };
        char *v;

        pg_list_add_all(&b, c->start);
        pg_list_add_all(&b, c->add);
        v = pgconf_buf_steal(&b);
        ck_assert_msg(v && strcmp(v, c->want) == 0, "case %d: '%s', want '%s'", _i, v ? v : "(null)", c->want);
        free(v);
}
END_TEST

/* What apply records is merged with what earlier runs recorded: revert-time tools read it. */
START_TEST(state_merge_table)
{
        const struct list_case *c = &list_cases[_i];
        struct xhafw_step *step = new_step(NULL);

        if (*c->start)
                mock_state_set(step, "hba_added", c->start);
        ck_assert_int_eq(pg_state_merge(step, "hba_added", c->add), 0);
        ck_assert_pstr_eq(mock_state_get(step, "hba_added"), c->want);
        mock_step_free(step);
}
END_TEST

/* ---- validate ---- */

struct validate_case {
        const char *name, *value;
        int want;
        const char *log;
};

static const struct validate_case validate_cases[] = {
        { NULL, NULL, 0, NULL },
        { "port", "0", -EINVAL, "port 0 is not a TCP port (1-65535)" },
        { "port", "65536", -EINVAL, "port 65536 is not a TCP port (1-65535)" },
        { "port", "65535", 0, NULL },
        { "listen_addresses", "localhost, a'b", -EINVAL, "listen_addresses: \"a'b\" is not a host name or address" },
        { "listen_addresses", "x#y", -EINVAL, "listen_addresses: \"x#y\" is not a host name or address" },
        { "allow", "192.0.2.7, 198.51.100.0/24, 2001:db8::7", 0, NULL },
        { "allow", "2001:db8:1::/48, ::1, 2001:DB8::7/128", 0, NULL },
        { "allow", "2001:db8::7/129", -EINVAL, "allow: \"2001:db8::7/129\" is not an address (ADDR or ADDR/PREFIX)" },
        { "listen_addresses", "localhost, 2001:db8::7, ::", 0, NULL },
        { "listen_addresses", "localhost, 2001:db8::7/64", -EINVAL,
          "listen_addresses: \"2001:db8::7/64\" is a network: write the address alone (2001:db8::7)" },
        { "listen_addresses", "[2001:db8::7]", -EINVAL,
          "listen_addresses: \"[2001:db8::7]\": write 2001:db8::7 without brackets" },
        { "guard_addresses", "2001:db8::2, 192.0.2.8, mn2.example", 0, NULL },
        { "guard_addresses", "192.0.2.0/24", -EINVAL,
          "guard_addresses: \"192.0.2.0/24\" is a network: write the address alone (192.0.2.0)" },
        { "guard_addresses", "a'b", -EINVAL, "guard_addresses: \"a'b\" is not a host name or address" },
        { "allow", "192.0.2.7/33", -EINVAL, "allow: \"192.0.2.7/33\" is not an address (ADDR or ADDR/PREFIX)" },
        { "allow", "xcatmn1", -EINVAL, "allow: \"xcatmn1\" is not an address" },
        { "auth_method", "scram-sha-256", 0, NULL },
        { "auth_method", "md5 trust", -EINVAL, "auth_method \"md5 trust\" is not a pg_hba.conf method name" },
        { "ready_timeout", "0s", -EINVAL, "ready_timeout must be longer than 0" },
        { "guard_timeout", "0ms", -EINVAL, "guard_timeout must be longer than 0" },
};

START_TEST(validate_table)
{
        const struct validate_case *c = &validate_cases[_i];
        const struct mock_option extra[] = { { c->name, c->value }, { NULL, NULL } };
        struct xhafw_step *step = new_step(c->name ? extra : NULL);
        int r = mock_validate(step);

        ck_assert_msg(r == c->want, "case %d: validate returned %d\n%s", _i, r, mock_log_text(step));
        if (c->log)
                ck_assert_msg(mock_log_find(step, LOG_ERR, c->log), "case %d: no '%s' in\n%s", _i, c->log,
                              mock_log_text(step));
        else
                ck_assert_uint_eq(mock_log_count(step, -1, NULL), 0);
        /* the configuration only: data_dir (not even created here) is not looked at */
        ck_assert_uint_eq(mock_runs(step, &(const struct mock_run *){ NULL }), 0);
        mock_step_free(step);
}
END_TEST

/* ---- apply in dry-run: the plan, and each refusal before anything changes ---- */

enum {
        NO_CLUSTER = 1 << 0,
        NO_PG_VERSION = 1 << 1,
        DATA_FILE = 1 << 2,
        NO_CONF = 1 << 3,
        STALE_DEAD = 1 << 4,   /* postmaster.pid of a pid that names nothing */
        STALE_LIVE = 1 << 5,   /* postmaster.pid of a live process that is no postgres (this test) */
        ANSWERS = 1 << 6,      /* and a server answers at its socket directory */
        PASSWORD_BAD = 1 << 7, /* password_file with an empty first line */
        EDITED = 1 << 8,       /* the files have what the step adds already */
};

struct apply_case {
        unsigned setup;
        bool force;
        int want;
        const char *printed[MAX_LINES]; /* what the dry-run prints (diffs, commands), in order */
        const char *notices[MAX_LINES];
        const char *error;
};

#define HBA_DIFF "--- @TMP@/data/pg_hba.conf"
#define HBA_LINE "+host\tall\tall\t192.0.2.7/32\tmd5\t# managed by xhafw"
#define CONF_DIFF "--- @TMP@/data/postgresql.conf"
#define CONF_LINE "+listen_addresses = 'localhost, 192.0.2.7'\t# what to listen on"
#define WAIT "would wait up to 60000 ms for SELECT 1 to succeed at @TMP@/sock port @PORT@"

static const struct apply_case apply_cases[] = {
        /* both files edited, the server started, the query awaited */
        { 0, false, 0, { HBA_DIFF, CONF_DIFF, "would run: systemctl start postgresql" }, { WAIT }, NULL },
        /* nothing to add: only the start */
        { EDITED, false, 0, { "would run: systemctl start postgresql" }, { WAIT }, NULL },
        /* a pid file nobody answers for, naming nothing: left for postgres */
        { STALE_DEAD,
          false,
          0,
          { HBA_DIFF, CONF_DIFF, "would run: systemctl start postgresql" },
          { "@TMP@/data/postmaster.pid is stale: pid " DEAD_PID " is no postgres of this node and nothing answers",
            WAIT },
          NULL },
        /* naming a live process, which postgres would take for a postmaster: moved aside */
        { STALE_LIVE,
          false,
          0,
          { HBA_DIFF, CONF_DIFF, "would run: systemctl start postgresql" },
          { "is stale", "would move @TMP@/data/postmaster.pid aside to postmaster.pid.stale-", WAIT },
          NULL },
        /* refusals: nothing edited, nothing started */
        { STALE_DEAD | ANSWERS,
          false,
          XHAFW_REFUSED,
          { NULL },
          { NULL },
          "refusing to start: a server answers at @TMP@/s1 port @PORT@" },
        { NO_CLUSTER,
          false,
          -ENOENT,
          { NULL },
          { NULL },
          "data directory @TMP@/data: No such file or directory (is the shared storage mounted?)" },
        { NO_PG_VERSION,
          false,
          -ENOENT,
          { NULL },
          { NULL },
          "@TMP@/data is not a PostgreSQL data directory: it has no PG_VERSION" },
        { DATA_FILE, false, -ENOTDIR, { NULL }, { NULL }, "data directory @TMP@/data is not a directory" },
        { NO_CONF, false, -ENOENT, { NULL }, { NULL }, "cannot read @TMP@/data/postgresql.conf" },
        { PASSWORD_BAD,
          false,
          -EINVAL,
          { NULL },
          { NULL },
          "password_file @TMP@/password: the first line must hold the password" },
};

static void setup(struct xhafw_step *step, unsigned what, const char *port)
{
        char pid[32];

        if (what & DATA_FILE) {
                mock_write_file(step, "data", "not a directory\n");
                return;
        }
        if (what & NO_CLUSTER)
                return;
        make_cluster(step);
        if (what & NO_PG_VERSION)
                ck_assert_int_eq(unlink(mock_path(step, "data/PG_VERSION")), 0);
        if (what & NO_CONF)
                ck_assert_int_eq(unlink(mock_path(step, "data/postgresql.conf")), 0);
        snprintf(pid, sizeof pid, "%ld", (long) getpid());
        if (what & (STALE_DEAD | STALE_LIVE))
                write_pidfile(step, what & STALE_LIVE ? pid : DEAD_PID, port, "@TMP@/s1", "localhost");
        if (what & PASSWORD_BAD)
                mock_write_file(step, "password", "\nsecret\n");
        if (what & EDITED) {
                mock_write_file(step, "data/pg_hba.conf", "host all all 192.0.2.7/32 md5\n");
                mock_write_file(step, "data/postgresql.conf", "listen_addresses = '192.0.2.7,localhost'\n");
        }
}

static const char *const watched[] = { "data/pg_hba.conf", "data/postgresql.conf", "data/postmaster.pid" };

START_TEST(apply_table)
{
        const struct apply_case *c = &apply_cases[_i];
        char port[16];
        int reserved, fd = -1, r;
        const struct mock_option extra[] = {
                { "allow", "192.0.2.7" },
                { "password_file", c->setup & PASSWORD_BAD ? "@TMP@/password" : NULL },
                { "port", (reserve_port(port, sizeof port, &reserved), port) },
                { NULL, NULL },
        };
        struct xhafw_step *step = new_step(extra);
        char *before[N(watched)], *after;

        /* the guard asks at localhost too, at this port: no server of this machine can answer there */
        setup(step, c->setup, port);
        if (c->setup & ANSWERS)
                fd = listen_in(step, "s1", port);
        for (int i = 0; i < N(watched); i++)
                before[i] = mock_read_file(step, watched[i]);
        mock_set_dry_run(step, true);
        mock_set_force(step, c->force);
        r = mock_apply(step);
        ck_assert_msg(r == c->want, "case %d: apply returned %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        assert_lines(step, _i, MOCK_PRINTED, c->printed, port);
        assert_lines(step, _i, LOG_NOTICE, c->notices, port);
        if (c->printed[0] && strcmp(c->printed[0], HBA_DIFF) == 0) {
                ck_assert_ptr_nonnull(mock_log_find(step, MOCK_PRINTED, HBA_LINE));
                ck_assert_ptr_nonnull(mock_log_find(step, MOCK_PRINTED, CONF_LINE));
        }
        if (c->error)
                ck_assert_msg(mock_log_find(step, LOG_ERR, expand_port(step, c->error, port)),
                              "case %d: no '%s' in\n%s", _i, expand_port(step, c->error, port), mock_log_text(step));
        else
                ck_assert_uint_eq(mock_log_count(step, LOG_ERR, NULL), 0);
        /* a dry-run changes nothing, a refusal not even in the plan */
        for (int i = 0; i < N(watched); i++) {
                after = mock_read_file(step, watched[i]);
                ck_assert_msg((!after && !before[i]) || (after && before[i] && strcmp(after, before[i]) == 0),
                              "case %d: %s changed", _i, watched[i]);
                free(after);
                free(before[i]);
        }
        ck_assert_uint_eq(mock_state_count(step), 0);
        if (fd >= 0)
                close(fd);
        close(reserved);
        mock_step_free(step);
}
END_TEST

/* ---- apply and revert for real, with no server coming up ---- */

START_TEST(apply_for_real)
{
        const struct mock_option extra[] = {
                { "allow", "192.0.2.7, 198.51.100.0/24" },
                { "ready_timeout", "1ms" },
                { NULL, NULL },
        };
        struct xhafw_step *step = new_step(extra);
        char *hba, *conf;

        make_cluster(step);
        mock_state_set(step, "hba_added", "192.0.2.9/32");
        /* the edits and the start happen; no postmaster appears within ready_timeout */
        ck_assert_int_eq(mock_apply(step), -ETIMEDOUT);
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_ERR,
                                            "no query succeeded at check_host @TMP@/sock port 5432 "
                                            "within ready_timeout (1 ms)"));
        ck_assert_uint_eq(mock_ran(step, "systemctl start postgresql"), 1);
        hba = mock_read_file(step, "data/pg_hba.conf");
        conf = mock_read_file(step, "data/postgresql.conf");
        ck_assert_str_eq(hba, "local all all peer\nhost all all 127.0.0.1/32 scram-sha-256\n"
                              "host\tall\tall\t192.0.2.7/32\tmd5\t# managed by xhafw\n"
                              "host\tall\tall\t198.51.100.0/24\tmd5\t# managed by xhafw\n");
        ck_assert_str_eq(conf, "listen_addresses = 'localhost, 192.0.2.7'\t# what to listen on\nport = 5432\n");
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_NOTICE,
                                            "added access for 192.0.2.7/32,198.51.100.0/24 to "
                                            "@TMP@/data/pg_hba.conf"));
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_NOTICE,
                                            "added 192.0.2.7 to listen_addresses in "
                                            "@TMP@/data/postgresql.conf"));
        /* merged with what an earlier run added */
        ck_assert_pstr_eq(mock_state_get(step, "hba_added"), "192.0.2.9/32,192.0.2.7/32,198.51.100.0/24");
        ck_assert_pstr_eq(mock_state_get(step, "listen_added"), "192.0.2.7");

        /* again: nothing more to add, the files not even rewritten */
        mock_clear(step);
        ck_assert_int_eq(mock_apply(step), -ETIMEDOUT);
        for (size_t i = 0; i < mock_files(step, &(const struct mock_file *){ NULL }); i++) {
                const struct mock_file *f;
                mock_files(step, &f);
                ck_assert(!f[i].changed);
        }
        ck_assert_pstr_eq(mock_state_get(step, "hba_added"), "192.0.2.9/32,192.0.2.7/32,198.51.100.0/24");
        free(hba);
        free(conf);
        mock_step_free(step);
}
END_TEST

/* listen_addresses set by ALTER SYSTEM (postgresql.auto.conf) overrides postgresql.conf: that is the
 * file extended, and postgresql.conf stays as it was; describe names it. */
START_TEST(apply_auto_conf)
{
        const struct mock_option extra[] = { { "ready_timeout", "1ms" }, { NULL, NULL } };
        struct xhafw_step *step = new_step(extra);
        static const char auto_head[] = "# Do not edit this file manually!\n"
                                        "# It will be overwritten by the ALTER SYSTEM command.\n";
        char *conf_before, *conf, *auto_text, *text = NULL, want[512];

        make_cluster(step);
        snprintf(want, sizeof want, "%slisten_addresses = '127.0.0.1'\nwork_mem = '8MB'\n", auto_head);
        mock_write_file(step, "data/postgresql.auto.conf", want);
        conf_before = mock_read_file(step, "data/postgresql.conf");
        ck_assert_int_eq(mock_describe(step, &text), 0);
        ck_assert_ptr_nonnull(strstr(text, mock_expand(step, "listen_addresses in @TMP@/data/postgresql.auto.conf must "
                                                             "contain: localhost, 192.0.2.7\n")));
        ck_assert_ptr_nonnull(strstr(text, "would add to listen_addresses '127.0.0.1' now: localhost,192.0.2.7\n"));
        free(text);
        ck_assert_int_eq(mock_apply(step), -ETIMEDOUT);
        conf = mock_read_file(step, "data/postgresql.conf");
        auto_text = mock_read_file(step, "data/postgresql.auto.conf");
        ck_assert_str_eq(conf, conf_before);
        snprintf(want, sizeof want, "%slisten_addresses = '127.0.0.1, localhost, 192.0.2.7'\nwork_mem = '8MB'\n",
                 auto_head);
        ck_assert_str_eq(auto_text, want);
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_NOTICE,
                                            "added localhost,192.0.2.7 to listen_addresses in "
                                            "@TMP@/data/postgresql.auto.conf (set there by ALTER SYSTEM"));
        free(conf);
        free(auto_text);

        /* an auto.conf without listen_addresses leaves postgresql.conf the file that counts */
        mock_clear(step);
        mock_write_file(step, "data/postgresql.auto.conf", auto_head);
        ck_assert_int_eq(mock_apply(step), -ETIMEDOUT);
        conf = mock_read_file(step, "data/postgresql.conf");
        ck_assert_str_eq(conf, "listen_addresses = 'localhost, 192.0.2.7'\t# what to listen on\nport = 5432\n");
        auto_text = mock_read_file(step, "data/postgresql.auto.conf");
        ck_assert_str_eq(auto_text, auto_head);
        free(conf);
        free(auto_text);
        free(conf_before);
        mock_step_free(step);
}
END_TEST

struct revert_case {
        int stop_status;
        bool dry_run;
        int want;
        int priority;
        const char *log;
};

static const struct revert_case revert_cases[] = {
        { 0, false, 0, LOG_INFO, "stopped after " },
        /* a failed stop of a server that is down anyway is a warning */
        { 5, false, 0, LOG_WARNING, "service stop postgresql exited 5, but the server is down" },
        { 0, true, 0, MOCK_PRINTED, "would run: systemctl stop postgresql" },
        { -ENOENT, false, -ENOENT, -1, NULL },
};

START_TEST(revert_table)
{
        const struct revert_case *c = &revert_cases[_i];
        const struct mock_command stop[] = {
                { "systemctl stop postgresql", c->stop_status, "", false },
                { .argv = NULL },
        };
        struct xhafw_step *step = new_step(NULL);
        char *hba_before, *hba_after;

        make_cluster(step);
        hba_before = mock_read_file(step, "data/pg_hba.conf");
        mock_set_commands(step, stop);
        mock_set_dry_run(step, c->dry_run);
        ck_assert_int_eq(mock_revert(step), c->want);
        ck_assert_uint_eq(mock_ran(step, "systemctl stop postgresql"), 1);
        if (c->log)
                ck_assert_msg(mock_log_find(step, c->priority, c->log), "case %d: no '%s' in\n%s", _i, c->log,
                              mock_log_text(step));
        /* the access lines stay: the configuration is shared */
        hba_after = mock_read_file(step, "data/pg_hba.conf");
        ck_assert_str_eq(hba_after, hba_before);
        free(hba_before);
        free(hba_after);
        mock_step_free(step);
}
END_TEST

/* check on a node where nothing answers: INACTIVE, whatever postmaster.pid says */
START_TEST(check_standby)
{
        struct xhafw_step *step = new_step(NULL);

        make_cluster(step);
        ck_assert_int_eq(mock_check(step), XHAFW_INACTIVE);
        write_pidfile(step, DEAD_PID, "5432", "@TMP@/s1", "localhost");
        ck_assert_int_eq(mock_check(step), XHAFW_INACTIVE);
        ck_assert_uint_eq(mock_log_count(step, LOG_ERR, NULL), 0);
        ck_assert_uint_eq(mock_runs(step, &(const struct mock_run *){ NULL }), 0);
        mock_step_free(step);
}
END_TEST

/* describe: where the files are (in data_dir unless set), and what apply would add now */
START_TEST(describe_paths)
{
        const struct mock_option extra[] = { { "data_dir", "@TMP@/data/" }, { "allow", "192.0.2.7" }, { NULL, NULL } };
        struct xhafw_step *step = new_step(extra);
        char *text = NULL;

        make_cluster(step);
        ck_assert_int_eq(mock_describe(step, &text), 0);
        ck_assert_ptr_nonnull(strstr(text, mock_expand(step, "listen_addresses in @TMP@/data/postgresql.conf must "
                                                             "contain: localhost, 192.0.2.7\n")));
        ck_assert_ptr_nonnull(strstr(text, mock_expand(step, "would add to @TMP@/data/pg_hba.conf now: "
                                                             "192.0.2.7/32\n")));
        ck_assert_ptr_nonnull(strstr(text, "would add to listen_addresses 'localhost' now: 192.0.2.7\n"));
        free(text);
        mock_set_option(step, "pg_hba", "@TMP@/elsewhere/hba.conf");
        ck_assert_int_eq(mock_describe(step, &text), 0);
        ck_assert_ptr_nonnull(strstr(text, mock_expand(step, "cannot tell what it would add to "
                                                             "@TMP@/elsewhere/hba.conf now: No such file or "
                                                             "directory\n")));
        free(text);
        mock_step_free(step);
}
END_TEST

static Suite *postgres_suite(void)
{
        Suite *s = suite_create("postgres");
        TCase *tc = tcase_create("postgres");

        tcase_add_loop_test(tc, guard_table, 0, N(guard_cases));
        tcase_add_loop_test(tc, guard_tcp_table, 0, N(tcp_cases));
        tcase_add_test(tc, guard_no_pidfile);
        tcase_add_loop_test(tc, guard_no_pid_table, 0, N(no_pid_cases));
        tcase_add_loop_test(tc, guard_places_table, 0, N(places_cases));
        tcase_add_loop_test(tc, list_table, 0, N(list_cases));
        tcase_add_loop_test(tc, state_merge_table, 0, N(list_cases));
        tcase_add_loop_test(tc, validate_table, 0, N(validate_cases));
        tcase_add_loop_test(tc, apply_table, 0, N(apply_cases));
        tcase_add_test(tc, apply_for_real);
        tcase_add_test(tc, apply_auto_conf);
        tcase_add_loop_test(tc, revert_table, 0, N(revert_cases));
        tcase_add_test(tc, check_standby);
        tcase_add_test(tc, describe_paths);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(postgres_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
