/* postgres plugin: access configuration, start and stop, readiness by a real libpq query, split-brain guard. */

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "xhafw/plugin.h"

#include "dbfile.h"
#include "dbguard.h"
#include "preflight.h"

/* Included rather than linked so that its functions stay static here and in its unit test. */
#include "pgconf.c"

/*
 * Readiness is polled: a refused local connection costs well under a millisecond, so 10 ms keeps
 * the detection lag small (pg_ctl -w polls every 100 ms) for a few percent of one CPU while waiting
 * (a refused PQping costs about 0.25 ms; tests/bench/postgres.sh measures both).
 * XHAFW_POSTGRES_POLL_MS overrides it, only so that the benchmark can show the effect.
 */
#define PG_POLL_MS 10
/* libpq's smallest connect timeout, for blocking pings (readiness, revert): an unreachable address costs
 * this much per attempt. The guard does not block: it asks all its places at once (guard_timeout). */
#define PG_CONNECT_TIMEOUT "2"
/* For a query's connection, which includes authentication (SCRAM is slow on purpose) on a node that
 * may be busy: a flapping check is worse than a slow one, and the step's timeout still applies. */
#define PG_QUERY_CONNECT_TIMEOUT "10"
/* How long a postmaster that says "ready" may stay unreachable at check_host before we give up. */
#define PG_READY_GRACE_MS 1000
/* How long after service start a postmaster may take to appear: it writes postmaster.pid first thing. */
#define PG_APPEAR_MS 5000
/* How often the readiness poll looks at postmaster.pid and /proc: dying servers are rare, pings are not. */
#define PG_PIDCHECK_MS 100
/*
 * The guard sends a fresh connection attempt to a numeric address that has neither answered nor
 * refused this often within guard_timeout: Linux resends a lost SYN only after a second, so one lost
 * packet would otherwise make a live server look silent. At most PG_GUARD_ATTEMPTS per address.
 */
#define PG_GUARD_RETRY_MS 150
#define PG_GUARD_ATTEMPTS 8

static const struct xhafw_option pg_options[] = {
        { "data_dir", XHAFW_OPT_PATH, true, NULL, "the cluster's data directory, e.g. /var/lib/pgsql/data" },
        { "service", XHAFW_OPT_STRING, false, "postgresql", "unit started and stopped through the service manager" },
        { "port", XHAFW_OPT_INT, false, "5432", "the server's TCP port" },
        { "listen_addresses", XHAFW_OPT_LIST, true, NULL,
          "addresses that postgresql.conf's listen_addresses must contain (e.g. localhost, the VIP, this node's address)" },
        { "allow", XHAFW_OPT_LIST, false, "",
          "client addresses, IPv4 or IPv6 (prefix kept if given), that get a `host all all ADDR/32 METHOD` (ADDR/128 for IPv6) line in pg_hba.conf" },
        { "auth_method", XHAFW_OPT_STRING, false, "md5", "METHOD of the pg_hba.conf lines added for allow" },
        { "pg_hba", XHAFW_OPT_PATH, false, NULL, "pg_hba.conf to edit (default: in data_dir)" },
        { "postgresql_conf", XHAFW_OPT_PATH, false, NULL, "postgresql.conf to edit (default: in data_dir)" },
        { "check_host", XHAFW_OPT_STRING, false, "localhost",
          "host or socket directory where the readiness query connects" },
        { "check_user", XHAFW_OPT_STRING, false, "postgres", "role of the readiness query" },
        { "check_dbname", XHAFW_OPT_STRING, false, "postgres", "database of the readiness query" },
        { "password_file", XHAFW_OPT_PATH, false, NULL,
          "file whose first line is check_user's password; read at run time, never logged" },
        { "ready_timeout", XHAFW_OPT_DURATION, false, "60s",
          "how long apply waits for a query to succeed (and revert for the server to go)" },
        { "guard_timeout", XHAFW_OPT_DURATION, false, "500ms",
          "how long the split-brain guard waits for an answer from the places a server of this cluster could answer at, all asked at once" },
        { "guard_addresses", XHAFW_OPT_LIST, false, "",
          "where else a server of this cluster could answer (the other node's static addresses, IPv4 or IPv6); asked by the split-brain guard" },
        { .name = NULL },
};

/* A step's options, resolved. */
struct pg_cfg {
        const char *data_dir, *service, *method, *check_host, *user, *dbname, *password_file;
        char *hba, *conf, *auto_conf;
        char port[16];
        long port_num;
        const char *const *listen;
        size_t n_listen;
        const char *const *allow;
        size_t n_allow;
        const char *const *guard;
        size_t n_guard;
        uint64_t ready_timeout_ms, guard_timeout_ms;
};

static void pg_cfg_free(struct pg_cfg *c)
{
        free(c->hba);
        free(c->conf);
        free(c->auto_conf);
}

static int pg_cfg_load(struct xhafw_step *step, struct pg_cfg *c)
{
        const char *s;

        *c = (struct pg_cfg){ 0 };
        c->data_dir = xhafw_opt_string(step, "data_dir");
        c->service = xhafw_opt_string(step, "service");
        c->method = xhafw_opt_string(step, "auth_method");
        c->check_host = xhafw_opt_string(step, "check_host");
        c->user = xhafw_opt_string(step, "check_user");
        c->dbname = xhafw_opt_string(step, "check_dbname");
        c->password_file = xhafw_opt_string(step, "password_file");
        c->port_num = (long) xhafw_opt_int(step, "port");
        snprintf(c->port, sizeof c->port, "%ld", c->port_num);
        c->n_listen = xhafw_opt_list(step, "listen_addresses", &c->listen);
        c->n_allow = xhafw_opt_list(step, "allow", &c->allow);
        c->n_guard = xhafw_opt_list(step, "guard_addresses", &c->guard);
        c->ready_timeout_ms = xhafw_opt_duration_ms(step, "ready_timeout");
        c->guard_timeout_ms = xhafw_opt_duration_ms(step, "guard_timeout");
        if (!c->data_dir || !*c->data_dir || !c->service || !c->method || !c->check_host || !c->user || !c->dbname)
                return -EINVAL;
        s = xhafw_opt_string(step, "pg_hba");
        c->hba = s ? strdup(s) : db_path_join(c->data_dir, "pg_hba.conf");
        s = xhafw_opt_string(step, "postgresql_conf");
        c->conf = s ? strdup(s) : db_path_join(c->data_dir, "postgresql.conf");
        /* where ALTER SYSTEM writes, always in the data directory, wherever postgresql.conf is */
        c->auto_conf = db_path_join(c->data_dir, "postgresql.auto.conf");
        if (!c->hba || !c->conf || !c->auto_conf) {
                pg_cfg_free(c);
                return -ENOMEM;
        }
        return 0;
}

static uint64_t pg_poll_ms(void)
{
        return db_poll_ms(secure_getenv("XHAFW_POSTGRES_POLL_MS"), PG_POLL_MS);
}

static void pg_notice_ignore(void *arg, const char *message)
{
}

/* Connection parameters as keyword arrays: never a conninfo string, which would need quoting. */
static PGconn *pg_connect(const struct pg_cfg *c, const char *host, const char *port, const char *password,
                          const char *timeout)
{
        const char *k[8], *v[8];
        size_t n = 0;
        PGconn *conn;

        k[n] = "host", v[n++] = host;
        k[n] = "port", v[n++] = port;
        k[n] = "dbname", v[n++] = c->dbname;
        k[n] = "user", v[n++] = c->user;
        k[n] = "connect_timeout", v[n++] = timeout;
        k[n] = "application_name", v[n++] = "xhafw";
        if (password)
                k[n] = "password", v[n++] = password;
        k[n] = NULL, v[n] = NULL;
        conn = PQconnectdbParams(k, v, 0);
        if (conn)
                PQsetNoticeProcessor(conn, pg_notice_ignore, NULL);
        return conn;
}

static PGPing pg_ping(const struct pg_cfg *c, const char *host, const char *port)
{
        const char *k[] = { "host", "port", "dbname", "user", "connect_timeout", NULL };
        const char *v[] = { host, port, c->dbname, c->user, PG_CONNECT_TIMEOUT, NULL };

        return PQpingParams(k, v, 0);
}

/* A libpq message ("...\n\tHint...\n") on one line: blanks squeezed, no trailing newline. */
static void pg_one_line(char *buf)
{
        char *w = buf;
        bool blank = false;

        for (char *r = buf; *r; r++) {
                if (*r == '\n' || *r == '\r' || *r == '\t' || *r == ' ') {
                        blank = true;
                        continue;
                }
                if (blank && w != buf)
                        *w++ = ' ';
                blank = false;
                *w++ = *r;
        }
        *w = '\0';
}

/* libpq's message on one line. */
static void pg_error_line(PGconn *conn, char *buf, size_t size)
{
        const char *m = conn ? PQerrorMessage(conn) : "out of memory";

        snprintf(buf, size, "%s", m && *m ? m : "no message");
        pg_one_line(buf);
}

/* Why nothing answers at host: libpq's own words, from one connection attempt. */
static void pg_why_not(const struct pg_cfg *c, const char *host, const char *password, char *buf, size_t size)
{
        PGconn *conn = pg_connect(c, host, c->port, password, PG_CONNECT_TIMEOUT);

        if (conn && PQstatus(conn) == CONNECTION_OK)
                snprintf(buf, size, "it answers now");
        else
                pg_error_line(conn, buf, size);
        PQfinish(conn);
}

/* The parent pid of a process from /proc/PID/stat, or -1. */
static long pg_ppid(long pid)
{
        char path[64], *text = NULL, *p, *end;
        long ppid = -1;

        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        if (db_read_file(path, &text) < 0)
                return -1;
        p = strrchr(text, ')'); /* the command name may hold anything but ends at the last ')' */
        if (p && p[1] == ' ' && p[2] && p[3] == ' ') {
                errno = 0;
                ppid = strtol(p + 4, &end, 10);
                if (errno || end == p + 4)
                        ppid = -1;
        }
        free(text);
        return ppid;
}

/*
 * Whether pid is a live postgres process of this node whose working directory is data_dir: the
 * postmaster and its backends chdir there, and a pid recorded by another node (or another PID
 * namespace) names, here, either nothing or a process that fails this test.
 */
static bool pg_is_local_postgres(long pid, const char *data_dir)
{
        char exe[PATH_MAX], *comm = NULL, path[64];
        bool ok;

        if (!db_cwd_is(pid, data_dir))
                return false;
        db_exe_name(pid, exe, sizeof exe);
        if (exe[0])
                return strcmp(exe, "postgres") == 0 || strcmp(exe, "postmaster") == 0;
        snprintf(path, sizeof path, "/proc/%ld/comm", pid);
        if (db_read_file(path, &comm) < 0)
                return false;
        comm[strcspn(comm, "\n")] = '\0';
        ok = strcmp(comm, "postgres") == 0 || strcmp(comm, "postmaster") == 0;
        free(comm);
        return ok;
}

/*
 * Run one query without parameters at check_host and keep the first row's columns (up to 2).
 * With postmaster > 0 the first column is a backend pid that must be a child of that postmaster for
 * data_dir, checked while the connection (and so the backend) still lives.
 * 0, or -ECONNREFUSED (no connection) / -EIO (the query failed) / -EXDEV (another server answered)
 * with the reason in err.
 */
static int pg_query(const struct pg_cfg *c, const char *password, const char *sql, long postmaster, char vals[2][1024],
                    char *err, size_t err_size)
{
        PGconn *conn = pg_connect(c, c->check_host, c->port, password, PG_QUERY_CONNECT_TIMEOUT);
        PGresult *res;
        int r = 0;

        if (!conn || PQstatus(conn) != CONNECTION_OK) {
                pg_error_line(conn, err, err_size);
                PQfinish(conn);
                return -ECONNREFUSED;
        }
        res = PQexecParams(conn, sql, 0, NULL, NULL, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) < 1) {
                snprintf(err, err_size, "%s", res ? PQresultErrorMessage(res) : "out of memory");
                pg_one_line(err);
                r = -EIO;
        } else if (vals) {
                for (int i = 0; i < 2; i++)
                        snprintf(vals[i], sizeof vals[i], "%s", i < PQnfields(res) ? PQgetvalue(res, 0, i) : "");
                if (postmaster > 0) {
                        char *end;
                        long backend;

                        errno = 0;
                        backend = strtol(vals[0], &end, 10);
                        if (errno || *end || !pg_is_local_postgres(backend, c->data_dir) ||
                            pg_ppid(backend) != postmaster) {
                                snprintf(err, err_size,
                                         "the query was answered by backend pid %s, which is not a "
                                         "child of this node's postmaster pid %ld for %s",
                                         vals[0], postmaster, c->data_dir);
                                r = -EXDEV;
                        }
                }
        }
        PQclear(res);
        PQfinish(conn);
        return r;
}

/* postmaster.pid of the data directory: 0, -ENOENT when there is none, -EINVAL when unreadable as one. */
static int pg_read_pidfile(const struct pg_cfg *c, struct pgconf_pidfile *ret)
{
        char *path = db_path_join(c->data_dir, "postmaster.pid"), *text = NULL;
        int r;

        if (!path)
                return -ENOMEM;
        r = db_read_file(path, &text);
        free(path);
        if (r < 0)
                return r;
        r = pgconf_pidfile_parse(text, ret);
        free(text);
        return r;
}

/*
 * The file whose listen_addresses the server uses, and its text (the caller frees it): the server
 * reads postgresql.auto.conf (what ALTER SYSTEM SET wrote) after postgresql.conf and everything it
 * includes, so a setting there wins; otherwise postgresql.conf. *ret_path is c->conf or
 * c->auto_conf, also when reading it failed. 0 or -errno of reading it.
 */
static int pg_read_listen_conf(const struct pg_cfg *c, const char **ret_path, char **ret_text)
{
        char *text = NULL;
        int r;

        *ret_text = NULL;
        *ret_path = c->auto_conf;
        r = db_read_file(c->auto_conf, &text);
        if (r < 0 && r != -ENOENT)
                return r;
        if (r == 0 && pgconf_sets(text, "listen_addresses")) {
                *ret_text = text;
                return 0;
        }
        free(text);
        *ret_path = c->conf;
        return db_read_file(c->conf, ret_text);
}

/* The pid of this node's postmaster for data_dir, or 0. */
static long pg_local_postmaster(const struct pg_cfg *c, struct pgconf_pidfile *ret_pf)
{
        struct pgconf_pidfile pf;

        if (pg_read_pidfile(c, &pf) < 0 || !pg_is_local_postgres(pf.pid, c->data_dir))
                return 0;
        if (ret_pf)
                *ret_pf = pf;
        return pf.pid;
}

/* Whether two list items are one: the same text, or the same address or network however spelled. */
static bool pg_same_item(const char *a, size_t an, const char *b, size_t bn)
{
        char x[INET6_ADDRSTRLEN + 8], y[INET6_ADDRSTRLEN + 8];
        struct pgconf_net nx, ny;

        if (an == bn && strncmp(a, b, an) == 0)
                return true;
        if (an >= sizeof x || bn >= sizeof y)
                return false;
        memcpy(x, a, an);
        x[an] = '\0';
        memcpy(y, b, bn);
        y[bn] = '\0';
        return pgconf_net_parse(x, &nx) == 0 && pgconf_net_parse(y, &ny) == 0 && pgconf_net_equal(&nx, &ny);
}

/* Add item to a comma-separated list unless it is there, in this or another spelling. */
static void pg_list_add(struct pgconf_buf *b, const char *item, size_t n)
{
        const char *p = b->data;

        if (n == 0)
                return;
        while (p && *p) {
                const char *comma = strchr(p, ',');
                size_t m = comma ? (size_t) (comma - p) : strlen(p);

                if (pg_same_item(p, m, item, n))
                        return;
                p = comma ? comma + 1 : p + m;
        }
        if (b->len)
                pgconf_buf_str(b, ",");
        pgconf_buf_add(b, item, n);
}

static void pg_list_add_all(struct pgconf_buf *b, const char *list)
{
        const char *p = list;

        while (p && *p) {
                const char *comma = strchr(p, ',');
                size_t m = comma ? (size_t) (comma - p) : strlen(p), n = m;
                const char *item = p;

                pgconf_trim(&item, &n);
                pg_list_add(b, item, n);
                p = comma ? comma + 1 : p + m;
        }
}

/*
 * Add a place for the guard. A family's wildcard (0.0.0.0, ::, in any spelling) is where a server
 * listens, not an address to ask: it stands for that family's loopback address, where such a server
 * answers too. "::" asked as it is would reach ::1 on Linux only by the kernel's kindness.
 */
static void pg_place_add(struct pgconf_buf *b, const char *item, size_t n)
{
        char a[INET6_ADDRSTRLEN + 8];
        struct pgconf_net net;
        bool zero = true;

        if (n > 0 && n < sizeof a) {
                memcpy(a, item, n);
                a[n] = '\0';
                if (pgconf_net_parse(a, &net) == 0 && net.prefix < 0) {
                        for (int i = 0; i < (net.family == AF_INET ? 4 : 16); i++)
                                zero = zero && net.addr[i] == 0;
                        if (zero) {
                                item = net.family == AF_INET ? "127.0.0.1" : "::1";
                                n = strlen(item);
                        }
                }
        }
        pg_list_add(b, item, n);
}

/* pg_place_add for each item of a comma-separated list. */
static void pg_place_add_all(struct pgconf_buf *b, const char *list)
{
        const char *p = list;

        while (p && *p) {
                const char *comma = strchr(p, ',');
                size_t m = comma ? (size_t) (comma - p) : strlen(p), n = m;
                const char *item = p;

                pgconf_trim(&item, &n);
                pg_place_add(b, item, n);
                p = comma ? comma + 1 : p + m;
        }
}

/*
 * Every place a server of this cluster could answer, comma-separated, each once: the socket
 * directory and listen address postmaster.pid records, the step's listen_addresses, those of
 * postgresql.conf, guard_addresses, and check_host. IPv4 and IPv6 alike. -ENOMEM.
 */
static int pg_guard_places(const struct pg_cfg *c, const struct pgconf_pidfile *pf, const char *conf_text,
                           char **ret_where)
{
        struct pgconf_buf where = { 0 };
        char listen[PGCONF_MAX_LINE];

        if (pf->socket_dir[0] == '/')
                pg_list_add(&where, pf->socket_dir, strlen(pf->socket_dir));
        if (strcmp(pf->listen_addr, "*") == 0)
                pg_list_add(&where, "localhost", 9);
        else
                pg_place_add_all(&where, pf->listen_addr);
        for (size_t i = 0; i < c->n_listen; i++)
                pg_place_add(&where, c->listen[i], strlen(c->listen[i]));
        pgconf_listen_value(conf_text, listen, sizeof listen);
        pg_place_add_all(&where, listen);
        for (size_t i = 0; i < c->n_guard; i++)
                pg_place_add(&where, c->guard[i], strlen(c->guard[i]));
        pg_place_add(&where, c->check_host, strlen(c->check_host));
        *ret_where = pgconf_buf_steal(&where);
        return *ret_where ? 0 : -ENOMEM;
}

/*
 * Whether libpq got past connect(): the server's kernel completed the handshake (or the socket
 * accepted), so something listens there; what it says next (authentication wanted or failed, "the
 * database system is starting up") is an answer too, as for PQping.
 */
static bool pg_conn_accepted(PGconn *conn)
{
        ConnStatusType s = PQstatus(conn);

        return s != CONNECTION_BAD && s != CONNECTION_STARTED && s != CONNECTION_NEEDED;
}

/* Only a numeric address is asked again: a host name would be looked up again, and a lookup blocks. */
static bool pg_numeric_host(const char *host)
{
        unsigned char addr[sizeof(struct in6_addr)];

        return inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1;
}

/* What the guard's attempts need: the step's options, the port, the hosts of the places. */
struct pg_probe_ctx {
        const struct pg_cfg *c;
        const char *port;
        char *const *hosts;
};

/* Start one attempt at a place (libpq looks a host name up here, blocking); the place's new state. */
static enum db_probe_state pg_probe_start(void *arg, size_t i, struct db_place *q, struct db_attempt *a)
{
        const struct pg_probe_ctx *ctx = arg;
        /* No TLS: it would only add round trips, and nothing secret is sent (no password). */
        const char *k[] = { "host", "port", "dbname", "user", "sslmode", "application_name", NULL };
        const char *v[] = { ctx->hosts[i], ctx->port, ctx->c->dbname, ctx->c->user, "disable", "xhafw", NULL };
        PGconn *conn = PQconnectStartParams(k, v, 0);

        if (conn && PQstatus(conn) != CONNECTION_BAD) {
                PQsetNoticeProcessor(conn, pg_notice_ignore, NULL);
                a->conn = conn;
                a->open = true;
                a->status = PGRES_POLLING_WRITING;
                return pg_conn_accepted(conn) ? DB_PROBE_ANSWERED : DB_PROBE_PENDING;
        }
        pg_error_line(conn, q->why, sizeof q->why);
        PQfinish(conn);
        return DB_PROBE_REFUSED;
}

static int pg_probe_fd(const struct db_attempt *a, short *ret_events)
{
        *ret_events = a->status == PGRES_POLLING_READING ? POLLIN : POLLOUT;
        return PQsocket(a->conn);
}

static enum db_probe_state pg_probe_advance(struct db_attempt *a, char *why, size_t why_size)
{
        a->status = PQconnectPoll(a->conn);
        if (a->status == PGRES_POLLING_OK || pg_conn_accepted(a->conn))
                return DB_PROBE_ANSWERED;
        if (a->status == PGRES_POLLING_FAILED) {
                pg_error_line(a->conn, why, why_size);
                return DB_PROBE_REFUSED;
        }
        return DB_PROBE_PENDING;
}

/* Let the attempt that answered go on until deadline and say what the server said, for the log. */
static void pg_probe_finish(struct db_attempt *a, const struct db_place *q, uint64_t deadline, char *how, size_t size)
{
        PGconn *conn = a->conn;
        PostgresPollingStatusType last = a->status;
        uint64_t now;

        while (last != PGRES_POLLING_OK && last != PGRES_POLLING_FAILED && (now = xhafw_now_ms()) < deadline) {
                struct pollfd pfd = { .fd = PQsocket(conn),
                                      .events = last == PGRES_POLLING_READING ? POLLIN : POLLOUT };
                int n;

                if (pfd.fd < 0)
                        break;
                n = poll(&pfd, 1, deadline - now > 1000 ? 1000 : (int) (deadline - now));
                if (n < 0 && errno != EINTR)
                        break;
                if (n > 0)
                        last = PQconnectPoll(conn);
        }
        if (PQstatus(conn) == CONNECTION_OK)
                snprintf(how, size, "it accepts connections");
        else if (last == PGRES_POLLING_FAILED)
                pg_error_line(conn, how, size);
        else
                snprintf(how, size, "it accepted the connection and said nothing more within guard_timeout");
}

static void pg_probe_close(struct db_attempt *a)
{
        PQfinish(a->conn);
        a->conn = NULL;
}

static const struct db_probe_ops pg_probe_ops = {
        .start = pg_probe_start,
        .poll_fd = pg_probe_fd,
        .advance = pg_probe_advance,
        .finish = pg_probe_finish,
        .close = pg_probe_close,
};

/*
 * The guard's question: does a server answer at any of the places in the comma-separated list
 * where? All are asked at once, each for at most guard_timeout. XHAFW_REFUSED (or 0 with --force)
 * when one answers, 0 with *ret_stale when none does (the pid file is stale), -errno. no_pid says
 * why the file names no process at all (pgconf_pidfile_no_pid), or is NULL when it names pf->pid.
 */
static int pg_guard_ask(struct xhafw_step *step, const struct pg_cfg *c, const char *where, const char *port,
                        const struct pgconf_pidfile *pf, const char *no_pid, bool *ret_stale)
{
        struct pgconf_buf silent = { 0 };
        struct db_place *pl = NULL;
        char how[1024], **hosts = NULL, what[256], file_what[PATH_MAX + 320];
        size_t n = 0, max = 1, answered;
        uint64_t start = xhafw_now_ms(), took;
        int r = 0;

        if (no_pid) {
                snprintf(what, sizeof what, "it names no process (%s)", no_pid);
                snprintf(file_what, sizeof file_what, "%s/postmaster.pid names no process (%s)", c->data_dir, no_pid);
        } else {
                snprintf(what, sizeof what, "pid %ld is no postgres of this node", pf->pid);
                snprintf(file_what, sizeof file_what, "pid %ld in %s/postmaster.pid is no postgres of this node",
                         pf->pid, c->data_dir);
        }
        for (const char *p = where; *p; p++)
                max += *p == ',';
        pl = calloc(max, sizeof *pl);
        hosts = calloc(max, sizeof *hosts);
        if (!pl || !hosts) {
                free(pl);
                free(hosts);
                return -ENOMEM;
        }
        /* "*" is no host to ask; the addresses it stands for are in the list already */
        for (const char *p = where; *p;) {
                const char *comma = strchr(p, ',');
                size_t m = comma ? (size_t) (comma - p) : strlen(p);

                if (m > 0 && !(m == 1 && *p == '*') && n < max) {
                        if (!(hosts[n] = strndup(p, m))) {
                                r = -ENOMEM;
                                goto out;
                        }
                        pl[n].retry = pg_numeric_host(hosts[n]);
                        n++;
                }
                p = comma ? comma + 1 : p + m;
        }
        answered = db_probe_all(pl, n, PG_GUARD_ATTEMPTS, PG_GUARD_RETRY_MS, c->guard_timeout_ms, &pg_probe_ops,
                                &(struct pg_probe_ctx){ .c = c, .port = port, .hosts = hosts }, how, sizeof how, &r);
        took = xhafw_now_ms() - start;
        if (r < 0) {
                xhafw_log(step, LOG_ERR, "cannot ask whether a server answers: %s", strerror(-r));
                goto out;
        }
        if (answered != SIZE_MAX) {
                xhafw_log(step, LOG_INFO, "asked %zu place%s at once in %llu ms; %s port %s answered: %s", n,
                          n == 1 ? "" : "s", (unsigned long long) took, hosts[answered], port, how);
                if (xhafw_force(step)) {
                        xhafw_log(step, LOG_WARNING,
                                  "%s, and a server answers at %s port %s; going on because of --force", file_what,
                                  hosts[answered], port);
                        goto out;
                }
                xhafw_log(step, LOG_ERR,
                          "refusing to start: a server answers at %s port %s, but %s: another node is running this "
                          "cluster. Stop it there first (--force skips this check)",
                          hosts[answered], port, file_what);
                r = XHAFW_REFUSED;
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                if (pl[i].state == DB_PROBE_SILENT)
                        pg_list_add(&silent, hosts[i], strlen(hosts[i]));
                else
                        xhafw_log(step, LOG_INFO, "%s port %s: %s", hosts[i], port, pl[i].why);
        }
        xhafw_log(step, LOG_NOTICE,
                  "%s/postmaster.pid is stale: %s and nothing answers at %s port %s (asked at once in %llu "
                  "ms%s%s%s); going on",
                  c->data_dir, what, where, port, (unsigned long long) took, silent.data ? "; no reply from " : "",
                  silent.data ? silent.data : "", silent.data ? " within guard_timeout" : "");
        *ret_stale = true;
out:
        for (size_t i = 0; i < n; i++)
                free(hosts[i]);
        free(hosts);
        free(pl);
        free(silent.data);
        return r;
}

/* The first postgres process of this node working in data_dir (see pg_is_local_postgres), or 0. */
static long pg_any_local_postgres(const char *data_dir)
{
        return db_find_process(pg_is_local_postgres, data_dir);
}

/*
 * The guard for a postmaster.pid that names no process (pgconf_pidfile_no_pid; why says how): left
 * by a crash while a server started, or by a full disk. PostgreSQL refuses to start over it, so
 * once it is proven stale it is moved aside. Not while a postgres process of this node works in
 * data_dir: the file may be its postmaster's, emptied under it (XHAFW_REFUSED, unless --force,
 * which leaves the file to PostgreSQL). Otherwise every place a server of this cluster could
 * answer at the step's port is asked, as for a pid that is no postgres of this node.
 */
static int pg_guard_no_pid(struct xhafw_step *step, const struct pg_cfg *c, const char *conf_text, const char *why,
                           bool *ret_stale)
{
        struct pgconf_pidfile pf = { 0 };
        char *where = NULL;
        long other = pg_any_local_postgres(c->data_dir);
        int r;

        *ret_stale = false;
        if (other > 0) {
                if (xhafw_force(step)) {
                        xhafw_log(step, LOG_WARNING,
                                  "%s/postmaster.pid names no process (%s), and pid %ld, a postgres process of this "
                                  "node, works in %s; leaving the file to PostgreSQL because of --force",
                                  c->data_dir, why, other, c->data_dir);
                        return 0;
                }
                xhafw_log(step, LOG_ERR,
                          "refusing to start: %s/postmaster.pid names no process (%s), but pid %ld, a postgres "
                          "process of this node, works in %s: the file may be its postmaster's. Stop it first "
                          "(--force skips this check)",
                          c->data_dir, why, other, c->data_dir);
                return XHAFW_REFUSED;
        }
        if (pg_guard_places(c, &pf, conf_text, &where) < 0)
                return -ENOMEM;
        r = pg_guard_ask(step, c, where, c->port, &pf, why, ret_stale);
        free(where);
        return r;
}

/*
 * The split-brain guard. No postmaster.pid: 0. Its pid is this node's postmaster for data_dir:
 * *ret_pid = pid. Otherwise ask every place a server of this cluster could answer (the recorded
 * socket directory and address, the listen addresses of the configuration and the step,
 * guard_addresses and check_host, at the recorded port: pg_guard_places), all at once for at most
 * guard_timeout: an answer means another
 * node runs it, XHAFW_REFUSED (unless --force); no answer means the file is stale: 0, and
 * *ret_stale_text gets the file's bytes as judged (*ret_stale_len of them; the caller frees it).
 * Only then is it stale. A file that names no process at all: pg_guard_no_pid.
 */
static int pg_guard(struct xhafw_step *step, const struct pg_cfg *c, const char *conf_text, long *ret_pid,
                    char **ret_stale_text, size_t *ret_stale_len)
{
        struct pgconf_pidfile pf;
        char port[16], *where = NULL, *text = NULL, *path, why[128];
        size_t len = 0;
        bool stale = false;
        int r;

        *ret_pid = 0;
        *ret_stale_text = NULL;
        *ret_stale_len = 0;
        path = db_path_join(c->data_dir, "postmaster.pid");
        if (!path)
                return -ENOMEM;
        r = db_read_bytes(path, &text, &len);
        free(path);
        if (r == -ENOENT)
                return 0;
        if (r == 0 && pgconf_pidfile_no_pid(text, len, why, sizeof why)) {
                r = pg_guard_no_pid(step, c, conf_text, why, &stale);
                if (r == 0 && stale) {
                        *ret_stale_text = text;
                        *ret_stale_len = len;
                } else
                        free(text);
                return r;
        }
        if (r == 0 && strlen(text) != len)
                r = -EINVAL;
        if (r == 0)
                r = pgconf_pidfile_parse(text, &pf);
        if (r < 0) {
                free(text);
                xhafw_log(step, LOG_WARNING, "cannot read %s/postmaster.pid (%s); leaving it to postgres to judge",
                          c->data_dir, strerror(-r));
                return 0;
        }
        if (pg_is_local_postgres(pf.pid, c->data_dir)) {
                xhafw_log(step, LOG_INFO, "postmaster pid %ld of this node already runs for %s", pf.pid, c->data_dir);
                *ret_pid = pf.pid;
                free(text);
                return 0;
        }
        snprintf(port, sizeof port, "%ld", pf.port > 0 ? pf.port : c->port_num);
        if (pg_guard_places(c, &pf, conf_text, &where) < 0) {
                free(text);
                return -ENOMEM;
        }
        r = pg_guard_ask(step, c, where, port, &pf, NULL, &stale);
        free(where);
        if (r == 0 && stale) {
                *ret_stale_text = text;
                *ret_stale_len = len;
        } else
                free(text);
        return r;
}

/* The command name and user of a live process, for a message: "sleep, user postgres". */
static void pg_describe_process(long pid, char *buf, size_t size)
{
        char path[64], *comm = NULL, pwbuf[1024];
        struct passwd pw, *found = NULL;
        struct stat st;

        snprintf(path, sizeof path, "/proc/%ld/comm", pid);
        if (db_read_file(path, &comm) == 0)
                comm[strcspn(comm, "\n")] = '\0';
        snprintf(path, sizeof path, "/proc/%ld", pid);
        if (stat(path, &st) < 0)
                snprintf(buf, size, "%s", comm ? comm : "?");
        else if (getpwuid_r(st.st_uid, &pw, pwbuf, sizeof pwbuf, &found) == 0 && found)
                snprintf(buf, size, "%s, user %s", comm ? comm : "?", found->pw_name);
        else
                snprintf(buf, size, "%s, uid %u", comm ? comm : "?", (unsigned) st.st_uid);
        free(comm);
}

/*
 * A postmaster.pid the guard proved stale may still name a live process here: the pid came from
 * the other node (or an earlier boot) and was since reused by something unrelated. PostgreSQL's own
 * check is host-local, so it takes such a process for a postmaster and refuses to start ("lock
 * file already exists"). Then the file is moved aside, kept in data_dir for the record, and the
 * server can start. A pid that names nothing is left for PostgreSQL, which replaces the file
 * itself. Never moved: a file that changed since the guard read it (a server may be starting
 * somewhere: XHAFW_REFUSED, unless --force), nor while any postgres of this node works in data_dir
 * (-EBUSY): a single-user backend, which records its pid negated, or a backend left running by a
 * postmaster that died. The file is evidence of those, and PostgreSQL would refuse to start beside
 * them anyway (their shared memory is still attached), saying why only in its own log.
 * A file that names no process at all (empty, blanks, no pid: judged_len bytes) is always moved:
 * PostgreSQL refuses to start over it ("bogus data in lock file"); the same rules keep it in place.
 */
static int pg_set_aside_pidfile(struct xhafw_step *step, const struct pg_cfg *c, const char *judged, size_t judged_len)
{
        struct pgconf_pidfile pf;
        char *path = NULL, *aside = NULL, *now_text = NULL, name[96], stamp[32], who[384], no_pid[128];
        size_t now_len = 0;
        struct tm tm;
        time_t t = time(NULL);
        long pid = 0, other;
        bool empty = pgconf_pidfile_no_pid(judged, judged_len, no_pid, sizeof no_pid);
        int r = 0, fd;

        if (!empty) {
                if (pgconf_pidfile_parse(judged, &pf) < 0 || pf.pid < -INT32_MAX || pf.pid > INT32_MAX)
                        return 0;
                pid = pf.pid < 0 ? -pf.pid : pf.pid;
                if (kill((pid_t) pid, 0) < 0 && errno == ESRCH)
                        return 0;
        }
        other = pid > 0 && pg_is_local_postgres(pid, c->data_dir) ? pid : pg_any_local_postgres(c->data_dir);
        if (other > 0) {
                xhafw_log(step, LOG_ERR,
                          "not starting: pid %ld, a postgres process of this node, still works in %s (%s); "
                          "stop it first. %s/postmaster.pid is left in place",
                          other, c->data_dir,
                          other == pid ? "the single-user backend the file names" : "a backend whose postmaster died?",
                          c->data_dir);
                return -EBUSY;
        }
        if (!empty)
                pg_describe_process(pid, who, sizeof who);
        if (!gmtime_r(&t, &tm) || strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) == 0)
                snprintf(stamp, sizeof stamp, "%lld", (long long) t);
        path = db_path_join(c->data_dir, "postmaster.pid");
        if (!path) {
                r = -ENOMEM;
                goto out;
        }
        /* under the run lock nothing else names files so; a second move within a second gets a suffix */
        for (int i = 0; i < 100; i++) {
                struct stat st;

                if (i == 0)
                        snprintf(name, sizeof name, "postmaster.pid.stale-%s", stamp);
                else
                        snprintf(name, sizeof name, "postmaster.pid.stale-%s.%d", stamp, i);
                free(aside);
                aside = db_path_join(c->data_dir, name);
                if (!aside) {
                        r = -ENOMEM;
                        goto out;
                }
                if (lstat(aside, &st) < 0 && errno == ENOENT)
                        break;
                if (i == 99) {
                        r = -EEXIST;
                        xhafw_log(step, LOG_ERR, "cannot move %s aside: %s and 99 more names like it exist", path,
                                  aside);
                        goto out;
                }
        }
        if (xhafw_dry_run(step)) {
                if (empty)
                        xhafw_log(step, LOG_NOTICE,
                                  "would move %s aside to %s: it is stale, and it names no process (%s), which "
                                  "PostgreSQL would refuse to start over",
                                  path, name, no_pid);
                else
                        xhafw_log(step, LOG_NOTICE,
                                  "would move %s aside to %s: it is stale, but its pid %ld is a live process of "
                                  "this node (%s), which PostgreSQL would take for a postmaster and refuse to start",
                                  path, name, pid, who);
                goto out;
        }
        /* The verdict holds only for the file the guard judged. */
        if (db_read_bytes(path, &now_text, &now_len) < 0 || now_len != judged_len ||
            memcmp(now_text, judged, judged_len) != 0) {
                if (xhafw_force(step)) {
                        xhafw_log(step, LOG_WARNING,
                                  "%s changed after the guard read it; leaving it to PostgreSQL "
                                  "because of --force",
                                  path);
                        goto out;
                }
                xhafw_log(step, LOG_ERR,
                          "refusing to start: %s changed after the guard found it stale, so a server "
                          "may be starting on another node. Check the other node, then activate again "
                          "(--force skips this check)",
                          path);
                r = XHAFW_REFUSED;
                goto out;
        }
        if (rename(path, aside) < 0) {
                r = -errno;
                xhafw_log(step, LOG_ERR, "cannot move stale %s aside to %s: %s", path, aside, strerror(errno));
                goto out;
        }
        fd = open(c->data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) < 0)
                xhafw_log(step, LOG_WARNING, "cannot sync directory %s after moving postmaster.pid aside: %s, ignoring",
                          c->data_dir, strerror(errno));
        if (fd >= 0)
                close(fd);
        if (empty)
                xhafw_log(step, LOG_NOTICE,
                          "moved %s aside to %s: it is stale (it names no process: %s; no postgres of this node "
                          "works in %s and nothing answers for this cluster), and PostgreSQL would refuse to start "
                          "over it",
                          path, name, no_pid, c->data_dir);
        else
                xhafw_log(step, LOG_NOTICE,
                          "moved %s aside to %s: it is stale (pid %ld is no postgres of this node for %s and "
                          "nothing answers for this cluster), but pid %ld is a live process of this node (%s), which "
                          "PostgreSQL would take for a postmaster and refuse to start",
                          path, name, pid, c->data_dir, pid, who);
out:
        free(path);
        free(aside);
        free(now_text);
        return r;
}

/* Remember what apply added, merged with what earlier runs added. */
static int pg_state_merge(struct xhafw_step *step, const char *key, const char *added)
{
        struct pgconf_buf b = { 0 };
        char *v;
        int r;

        if (!added || !*added)
                return 0;
        pg_list_add_all(&b, xhafw_state_get(step, key));
        pg_list_add_all(&b, added);
        v = pgconf_buf_steal(&b);
        if (!v)
                return -ENOMEM;
        r = xhafw_state_set(step, key, v);
        free(v);
        return r;
}

/* Edit pg_hba.conf and postgresql.conf as needed; *ret_listen_changed when listen_addresses was extended. */
static int pg_edit(struct xhafw_step *step, const struct pg_cfg *c, const char *conf_path, const char *conf_text,
                   bool *ret_hba_changed, bool *ret_listen_changed)
{
        char *hba_text = NULL, *new_text = NULL, *added = NULL;
        int n, r;

        *ret_hba_changed = *ret_listen_changed = false;
        r = db_read_file(c->hba, &hba_text);
        if (r < 0) {
                xhafw_log(step, LOG_ERR, "cannot read %s: %s", c->hba, strerror(-r));
                return r;
        }
        n = pgconf_hba_add(hba_text, c->allow, c->n_allow, c->method, &new_text, &added);
        free(hba_text);
        if (n < 0) {
                xhafw_log(step, LOG_ERR, "cannot add the allow lines to %s: %s", c->hba, strerror(-n));
                return n;
        }
        if (n > 0) {
                r = xhafw_file_replace(step, c->hba, new_text);
                if (r == 0 && !xhafw_dry_run(step)) {
                        xhafw_log(step, LOG_NOTICE, "added access for %s to %s", added, c->hba);
                        r = pg_state_merge(step, "hba_added", added);
                }
                *ret_hba_changed = true;
        }
        free(new_text);
        free(added);
        if (r < 0)
                return r;

        n = pgconf_listen_add(conf_text, c->listen, c->n_listen, &new_text, &added);
        if (n < 0) {
                xhafw_log(step, LOG_ERR, "cannot extend listen_addresses in %s: %s", conf_path, strerror(-n));
                return n;
        }
        if (n > 0) {
                r = xhafw_file_replace(step, conf_path, new_text);
                if (r == 0 && !xhafw_dry_run(step)) {
                        xhafw_log(step, LOG_NOTICE, "added %s to listen_addresses in %s%s", added, conf_path,
                                  conf_path == c->auto_conf ? " (set there by ALTER SYSTEM, which overrides "
                                                              "postgresql.conf)" :
                                                              "");
                        r = pg_state_merge(step, "listen_added", added);
                }
                *ret_listen_changed = true;
        }
        free(new_text);
        free(added);
        return r;
}

/* Poll until a real query succeeds at check_host, the postmaster dies, or ready_timeout passes. */
static int pg_wait_ready(struct xhafw_step *step, const struct pg_cfg *c, const char *password, uint64_t start)
{
        uint64_t deadline = start + c->ready_timeout_ms, poll = pg_poll_ms(), ready_since = 0, now;
        uint64_t started = xhafw_now_ms(), pidcheck = 0;
        long seen_pid = 0;
        char err[1024];

        for (;;) {
                struct pgconf_pidfile pf;
                PGPing ping = pg_ping(c, c->check_host, c->port);
                int r;

                if (ping == PQPING_OK) {
                        r = pg_query(c, password, "SELECT 1", 0, NULL, err, sizeof err);
                        if (r == 0) {
                                xhafw_log(step, LOG_INFO, "ready after %llu ms: SELECT 1 answered at %s port %s",
                                          (unsigned long long) (xhafw_now_ms() - start), c->check_host, c->port);
                                return 0;
                        }
                        /* The server takes connections: a refusal now is not going to change by waiting. */
                        xhafw_log(step, LOG_ERR,
                                  "the server accepts connections at %s port %s, but the query as %s on %s failed: %s",
                                  c->check_host, c->port, c->user, c->dbname, err);
                        return r == -ECONNREFUSED ? -EACCES : -EIO;
                }
                if (ping == PQPING_NO_ATTEMPT) {
                        pg_why_not(c, c->check_host, password, err, sizeof err);
                        xhafw_log(step, LOG_ERR, "cannot connect to check_host %s port %s: %s", c->check_host, c->port,
                                  err);
                        return -EINVAL;
                }
                now = xhafw_now_ms();
                if (pidcheck && now - pidcheck < PG_PIDCHECK_MS && now < deadline) {
                        xhafw_sleep_ms(deadline - now < poll ? deadline - now : poll);
                        continue;
                }
                pidcheck = now;
                if (pg_read_pidfile(c, &pf) == 0 && pg_is_local_postgres(pf.pid, c->data_dir)) {
                        seen_pid = pf.pid;
                        if (ping == PQPING_NO_RESPONSE && strcmp(pf.status, "ready") == 0) {
                                if (!ready_since)
                                        ready_since = now;
                                else if (now - ready_since >= PG_READY_GRACE_MS) {
                                        pg_why_not(c, c->check_host, password, err, sizeof err);
                                        xhafw_log(
                                                step, LOG_ERR,
                                                "postmaster pid %ld is ready, but nothing answers at check_host %s port %s: %s "
                                                "(check check_host, port and listen_addresses)",
                                                pf.pid, c->check_host, c->port, err);
                                        return -EHOSTUNREACH;
                                }
                        }
                } else if (seen_pid && !pg_is_local_postgres(seen_pid, c->data_dir)) {
                        xhafw_log(step, LOG_ERR, "the postmaster (pid %ld) exited while starting; see the server's log",
                                  seen_pid);
                        return -ESRCH;
                } else if (!seen_pid && now - started >= PG_APPEAR_MS) {
                        xhafw_log(step, LOG_ERR,
                                  "no postmaster runs for %s %llu ms after service start %s; see the "
                                  "server's log",
                                  c->data_dir, (unsigned long long) (now - started), c->service);
                        return -ESRCH;
                }
                if (now >= deadline) {
                        pg_why_not(c, c->check_host, password, err, sizeof err);
                        xhafw_log(step, LOG_ERR,
                                  "no query succeeded at check_host %s port %s within ready_timeout (%llu ms): %s",
                                  c->check_host, c->port, (unsigned long long) c->ready_timeout_ms, err);
                        return -ETIMEDOUT;
                }
                xhafw_sleep_ms(deadline - now < poll ? deadline - now : poll);
        }
}

/* Stop through the service manager and wait until the postmaster is gone and nothing answers. */
static int pg_stop(struct xhafw_step *step, const struct pg_cfg *c, long pid)
{
        struct pgconf_pidfile pf;
        char sock[4096] = "";
        uint64_t start = xhafw_now_ms(), now;
        int rc;

        if (pg_read_pidfile(c, &pf) == 0 && pf.socket_dir[0] == '/')
                snprintf(sock, sizeof sock, "%s", pf.socket_dir);
        rc = xhafw_service(step, "stop", c->service);
        if (rc < 0)
                return rc;
        if (xhafw_dry_run(step))
                return 0;
        for (;;) {
                bool alive = pid > 0 && pg_is_local_postgres(pid, c->data_dir);
                const char *answering = NULL;
                PGPing ping = pg_ping(c, c->check_host, c->port);

                if (ping == PQPING_OK || ping == PQPING_REJECT)
                        answering = c->check_host;
                else if (sock[0]) {
                        ping = pg_ping(c, sock, c->port);
                        if (ping == PQPING_OK || ping == PQPING_REJECT)
                                answering = sock;
                }
                if (!alive && !answering) {
                        if (rc != 0)
                                xhafw_log(step, LOG_WARNING, "service stop %s exited %d, but the server is down",
                                          c->service, rc);
                        xhafw_log(step, LOG_INFO,
                                  "stopped after %llu ms: no postmaster for %s, nothing answers at %s port %s",
                                  (unsigned long long) (xhafw_now_ms() - start), c->data_dir, c->check_host, c->port);
                        return 0;
                }
                now = xhafw_now_ms();
                /* A failed stop gets a short grace, in case the server was on its way down anyway. */
                if (now - start >= c->ready_timeout_ms || (rc != 0 && now - start >= 2000)) {
                        if (alive)
                                xhafw_log(
                                        step, LOG_ERR,
                                        "postgres is still running after service stop %s (exit %d): postmaster pid %ld",
                                        c->service, rc, pid);
                        else
                                xhafw_log(step, LOG_ERR,
                                          "a server still answers at %s port %s after service stop %s (exit %d)",
                                          answering, c->port, c->service, rc);
                        return rc != 0 ? -EIO : -ETIMEDOUT;
                }
                xhafw_sleep_ms(20);
        }
}

static int pg_start(struct xhafw_step *step, const struct pg_cfg *c)
{
        return db_start_service(step, c->service);
}

/* data_dir must be a cluster: on a standby it is usually the shared storage that is missing. */
static int pg_need_data_dir(struct xhafw_step *step, const struct pg_cfg *c)
{
        char *v = db_path_join(c->data_dir, "PG_VERSION");
        int r = 0;

        if (!v)
                return -ENOMEM;
        r = db_need_dir(step, c->data_dir);
        if (r == 0 && access(v, F_OK) < 0) {
                r = -ENOENT;
                xhafw_log(step, LOG_ERR, "%s is not a PostgreSQL data directory: it has no PG_VERSION", c->data_dir);
        }
        free(v);
        return r;
}

/* Whether the running server listens on every required address (it reads listen_addresses only at start). */
static bool pg_server_listens(struct xhafw_step *step, const struct pg_cfg *c, const char *password)
{
        char vals[2][1024], err[1024];

        if (pg_query(c, password, "SELECT current_setting('listen_addresses')", 0, vals, err, sizeof err) < 0) {
                xhafw_log(step, LOG_INFO, "cannot ask the running server for its listen_addresses: %s", err);
                return true;
        }
        for (size_t i = 0; i < c->n_listen; i++)
                if (!pgconf_listen_covers(vals[0], c->listen[i]))
                        return false;
        return true;
}

static int pg_apply(struct xhafw_step *step)
{
        struct pg_cfg c;
        char *password = NULL, *conf_text = NULL, *stale_pidfile = NULL;
        const char *conf_path;
        size_t stale_len = 0;
        bool hba_changed, listen_changed;
        long pid = 0;
        uint64_t start = xhafw_now_ms();
        int r;

        r = pg_cfg_load(step, &c);
        if (r < 0)
                return r;
        if ((r = pg_need_data_dir(step, &c)) < 0 ||
            (r = db_read_password(step, "password_file", c.password_file, &password)) < 0)
                goto out;
        r = pg_read_listen_conf(&c, &conf_path, &conf_text);
        if (r < 0) {
                xhafw_log(step, LOG_ERR, "cannot read %s: %s", conf_path, strerror(-r));
                goto out;
        }
        /* The guard comes first: a refused step must have changed nothing, not even the shared configuration. */
        r = pg_guard(step, &c, conf_text, &pid, &stale_pidfile, &stale_len);
        if (r < 0)
                goto out;
        /* Still before any edit: a refusal here, too, leaves everything as it was. */
        if (stale_pidfile && (r = pg_set_aside_pidfile(step, &c, stale_pidfile, stale_len)) < 0)
                goto out;
        r = pg_edit(step, &c, conf_path, conf_text, &hba_changed, &listen_changed);
        if (r < 0)
                goto out;
        if (pid > 0) {
                if (listen_changed || !pg_server_listens(step, &c, password)) {
                        xhafw_log(step, LOG_NOTICE, "%s postgres: listen_addresses changes only at start",
                                  xhafw_dry_run(step) ? "would restart" : "restarting");
                        r = pg_stop(step, &c, pid);
                        if (r == 0)
                                r = pg_start(step, &c);
                } else if (hba_changed) {
                        if (xhafw_dry_run(step))
                                xhafw_log(step, LOG_NOTICE, "would send SIGHUP to postmaster pid %ld to reload %s", pid,
                                          c.hba);
                        else if (kill((pid_t) pid, SIGHUP) < 0) {
                                r = -errno;
                                xhafw_log(step, LOG_ERR, "cannot make postmaster pid %ld reload %s: %s", pid, c.hba,
                                          strerror(errno));
                        } else
                                xhafw_log(step, LOG_INFO, "postmaster pid %ld reloads %s", pid, c.hba);
                }
        } else
                r = pg_start(step, &c);
        if (r < 0)
                goto out;
        if (xhafw_dry_run(step)) {
                xhafw_log(step, LOG_NOTICE, "would wait up to %llu ms for SELECT 1 to succeed at %s port %s",
                          (unsigned long long) c.ready_timeout_ms, c.check_host, c.port);
                goto out;
        }
        r = pg_wait_ready(step, &c, password, start);
out:
        db_free_password(password);
        free(conf_text);
        free(stale_pidfile);
        pg_cfg_free(&c);
        return r;
}

static int pg_revert(struct xhafw_step *step)
{
        struct pg_cfg c;
        int r;

        r = pg_cfg_load(step, &c);
        if (r < 0)
                return r;
        /* The access lines and listen addresses stay: the configuration is shared and both nodes need them. */
        r = pg_stop(step, &c, pg_local_postmaster(&c, NULL));
        pg_cfg_free(&c);
        return r;
}

/*
 * ACTIVE only when the query is answered by a backend of this node's postmaster for data_dir:
 * through the VIP or a shared socket path a query may reach the other node's server.
 */
static int pg_check(struct xhafw_step *step)
{
        struct pg_cfg c;
        struct pgconf_pidfile pf;
        char vals[2][1024], err[1024], *password = NULL, *hba_text = NULL, *new_text = NULL, *added = NULL;
        long pid;
        PGPing ping;
        int r, state = XHAFW_PARTIAL;

        r = pg_cfg_load(step, &c);
        if (r < 0)
                return r;
        pid = pg_local_postmaster(&c, &pf);
        ping = pg_ping(&c, c.check_host, c.port);
        if (ping != PQPING_OK) {
                if (pid > 0) {
                        xhafw_log(step, LOG_NOTICE, "postmaster pid %ld runs for %s (%s), but %s port %s %s", pid,
                                  c.data_dir, pf.status[0] ? pf.status : "status unknown", c.check_host, c.port,
                                  ping == PQPING_REJECT ? "refuses connections" : "does not answer");
                        state = XHAFW_PARTIAL;
                } else
                        state = XHAFW_INACTIVE;
                goto out;
        }
        if (pid == 0) {
                xhafw_log(step, LOG_INFO,
                          "a server answers at %s port %s, but no postmaster of this node runs for %s: "
                          "it is not this node's",
                          c.check_host, c.port, c.data_dir);
                state = XHAFW_INACTIVE;
                goto out;
        }
        r = db_read_password(step, "password_file", c.password_file, &password);
        if (r < 0) {
                state = r;
                goto out;
        }
        r = pg_query(&c, password, "SELECT pg_backend_pid(), current_setting('listen_addresses')", pid, vals, err,
                     sizeof err);
        if (r < 0) {
                xhafw_log(step, LOG_WARNING, "postmaster pid %ld runs, but the query at %s port %s failed: %s", pid,
                          c.check_host, c.port, err);
                goto out;
        }
        for (size_t i = 0; i < c.n_listen; i++)
                if (!pgconf_listen_covers(vals[1], c.listen[i])) {
                        xhafw_log(step, LOG_NOTICE, "the server's listen_addresses '%s' lacks %s", vals[1],
                                  c.listen[i]);
                        goto out;
                }
        r = db_read_file(c.hba, &hba_text);
        if (r < 0) {
                xhafw_log(step, LOG_NOTICE, "cannot read %s: %s", c.hba, strerror(-r));
                goto out;
        }
        r = pgconf_hba_add(hba_text, c.allow, c.n_allow, c.method, &new_text, &added);
        if (r != 0) {
                if (r > 0)
                        xhafw_log(step, LOG_NOTICE, "%s lacks access for %s", c.hba, added);
                goto out;
        }
        state = XHAFW_ACTIVE;
out:
        db_free_password(password);
        free(hba_text);
        free(new_text);
        free(added);
        pg_cfg_free(&c);
        return state;
}

static int pg_describe(struct xhafw_step *step, FILE *out)
{
        struct pg_cfg c;
        char *text = NULL, *new_text = NULL, *added = NULL, *conf_text = NULL, listen[PGCONF_MAX_LINE];
        const char *conf_path;
        int r, conf_r;

        r = pg_cfg_load(step, &c);
        if (r < 0)
                return r;
        fprintf(out, "PostgreSQL cluster in %s, service %s, port %s\n", c.data_dir, c.service, c.port);
        conf_r = pg_read_listen_conf(&c, &conf_path, &conf_text);
        fprintf(out, "listen_addresses in %s must contain: ", conf_path);
        db_print_list(out, c.listen, c.n_listen);
        fprintf(out,
                "\naccess in %s: `host all all ADDR/32 %s` (ADDR/128 for IPv6; a prefix given is kept) "
                "(marked \"%s\") for: ",
                c.hba, c.method, PGCONF_MARK);
        db_print_list(out, c.allow, c.n_allow);
        fprintf(out,
                "\nready when SELECT 1 succeeds at %s port %s as %s on %s, polled with PQping, within %llu ms; "
                "password %s%s\n",
                c.check_host, c.port, c.user, c.dbname, (unsigned long long) c.ready_timeout_ms,
                c.password_file ? "from " : "none", c.password_file ? c.password_file : "");
        fprintf(out,
                "before starting: refuses (exit 6) when %s/postmaster.pid names a postmaster that is not this "
                "node's while a server answers at its recorded port and addresses, the listen addresses, guard_addresses ",
                c.data_dir);
        db_print_list(out, c.guard, c.n_guard);
        fprintf(out,
                " or check_host %s (IPv4 and IPv6, all asked at once, each for up to "
                "%llu ms); a pid file nobody answers for is stale: left for postgres, or moved aside to "
                "postmaster.pid.stale-TIME when its pid is a live (unrelated) process here, which postgres would take "
                "for a postmaster, or when it names no process (empty, blank, no pid) and no postgres of this node "
                "works in the data directory\n",
                c.check_host, (unsigned long long) c.guard_timeout_ms);
        fprintf(out,
                "revert: service stop %s, then waits until the postmaster is gone and nothing answers; the access "
                "lines and listen addresses stay (the configuration is shared: both nodes need them)\n",
                c.service);

        if ((r = db_read_file(c.hba, &text)) == 0 &&
            (r = pgconf_hba_add(text, c.allow, c.n_allow, c.method, &new_text, &added)) >= 0)
                fprintf(out, "would add to %s now: %s\n", c.hba, *added ? added : "nothing");
        else
                fprintf(out, "cannot tell what it would add to %s now: %s\n", c.hba, strerror(-r));
        free(text);
        free(new_text);
        free(added);
        text = new_text = added = NULL;
        if ((r = conf_r) == 0 && (r = pgconf_listen_add(conf_text, c.listen, c.n_listen, &new_text, &added)) >= 0) {
                pgconf_listen_value(conf_text, listen, sizeof listen);
                fprintf(out, "would add to listen_addresses '%s' now: %s\n", listen, *added ? added : "nothing");
        } else
                fprintf(out, "cannot tell what it would add to %s now: %s\n", conf_path, strerror(-r));
        free(conf_text);
        free(text);
        free(new_text);
        free(added);
        pg_cfg_free(&c);
        return 0;
}

/*
 * One entry of listen_addresses or guard_addresses: a host name or an address, as PostgreSQL and
 * libpq take it, which is neither a network (2001:db8::7/64: the VIP option's form, not an address
 * to listen on) nor an IPv6 address in brackets (a URL's form). 0 or -EINVAL after logging why.
 */
static int pg_check_host_item(struct xhafw_step *step, const char *option, const char *item)
{
        struct pgconf_net net;
        char a[INET6_ADDRSTRLEN + 8];
        size_t n = strlen(item);

        if (!pgconf_listen_item_ok(item)) {
                xhafw_log(step, LOG_ERR, "%s: \"%s\" is not a host name or address", option, item);
                return -EINVAL;
        }
        if (pgconf_net_parse(item, &net) == 0 && net.prefix >= 0) {
                xhafw_log(step, LOG_ERR, "%s: \"%s\" is a network: write the address alone (%.*s)", option, item,
                          (int) strcspn(item, "/"), item);
                return -EINVAL;
        }
        if (item[0] == '[' && n >= 2 && item[n - 1] == ']' && n - 2 < sizeof a) {
                memcpy(a, item + 1, n - 2);
                a[n - 2] = '\0';
                xhafw_log(step, LOG_ERR, "%s: \"%s\": write %s without brackets", option, item,
                          pgconf_net_parse(a, &net) == 0 ? a : "the address");
                return -EINVAL;
        }
        return 0;
}

/* Beyond the schema; nothing here reads data_dir, which may be on storage that is not mounted yet. */
static int pg_validate(struct xhafw_step *step)
{
        struct pg_cfg c;
        struct pgconf_net net;
        int r = 0;

        if (pg_cfg_load(step, &c) < 0) {
                xhafw_log(step, LOG_ERR, "incomplete options");
                return -EINVAL;
        }
        if (c.port_num < 1 || c.port_num > 65535) {
                xhafw_log(step, LOG_ERR, "port %ld is not a TCP port (1-65535)", c.port_num);
                r = -EINVAL;
        }
        if (c.n_listen == 0) {
                xhafw_log(step, LOG_ERR, "listen_addresses is empty");
                r = -EINVAL;
        }
        for (size_t i = 0; i < c.n_listen; i++)
                if (pg_check_host_item(step, "listen_addresses", c.listen[i]) < 0)
                        r = -EINVAL;
        for (size_t i = 0; i < c.n_guard; i++)
                if (pg_check_host_item(step, "guard_addresses", c.guard[i]) < 0)
                        r = -EINVAL;
        for (size_t i = 0; i < c.n_allow; i++)
                if (pgconf_net_parse(c.allow[i], &net) < 0) {
                        xhafw_log(step, LOG_ERR, "allow: \"%s\" is not an address (ADDR or ADDR/PREFIX)", c.allow[i]);
                        r = -EINVAL;
                }
        if (!pgconf_word_ok(c.method)) {
                xhafw_log(step, LOG_ERR, "auth_method \"%s\" is not a pg_hba.conf method name", c.method);
                r = -EINVAL;
        }
        if (!*c.check_host || !*c.service || !*c.user || !*c.dbname) {
                xhafw_log(step, LOG_ERR, "check_host, service, check_user and check_dbname cannot be empty");
                r = -EINVAL;
        }
        if (db_check_timeouts(step, c.ready_timeout_ms, c.guard_timeout_ms) < 0)
                r = -EINVAL;
        pg_cfg_free(&c);
        return r;
}

/* ---- preflight ---- */

/* Where PostgreSQL servers are installed: Debian's per-version directories, the PGDG packages',
 * the distribution's one server (RHEL, SUSE) and a source build's. */
static const char *const pg_server_globs[] = { "/usr/lib/postgresql/*/bin/postgres", "/usr/pgsql-*/bin/postgres",
                                               "/usr/bin/postgres", "/usr/local/pgsql/bin/postgres" };
#define PG_PREFLIGHT_STAT_MS 5000
#define PG_MAX_SERVERS 16

struct pg_server {
        char *file;
        char version[32]; /* "15.5" */
};

/* The version a server binary reports (postgres -V: "postgres (PostgreSQL) 15.5 (Debian ...)"), which
 * it answers before its check that it does not run as root. 0 or -errno. */
static int pg_server_version(struct xhafw_step *step, const char *file, char *buf, size_t size)
{
        const char *const argv[] = { file, "-V", NULL };
        char *out = NULL, *p;
        size_t n;
        int r = xhafw_run(step, argv, XHAFW_RUN_READONLY, &out);

        if (r != 0) {
                free(out);
                return r < 0 ? r : -EIO;
        }
        p = strstr(out, "(PostgreSQL) ");
        p = p ? p + strlen("(PostgreSQL) ") : NULL;
        n = p ? strspn(p, "0123456789.") : 0;
        if (n == 0 || n >= size) {
                free(out);
                return -EPROTO;
        }
        snprintf(buf, size, "%.*s", (int) n, p);
        free(out);
        return 0;
}

/* Does server version V ("15.5", "9.6.24") serve clusters of MAJOR (PG_VERSION: "15", "9.6")? */
static bool pg_serves(const char *v, const char *major)
{
        size_t n = strlen(major);
        return strncmp(v, major, n) == 0 && (v[n] == '.' || v[n] == '\0');
}

static size_t pg_find_servers(struct xhafw_step *step, struct pg_server *ret, size_t max)
{
        size_t n = 0;

        for (size_t g = 0; g < sizeof pg_server_globs / sizeof pg_server_globs[0]; g++) {
                glob_t gl;
                if (glob(pg_server_globs[g], 0, NULL, &gl) != 0)
                        continue;
                for (size_t i = 0; i < gl.gl_pathc && n < max; i++) {
                        char real[PATH_MAX];
                        bool dup = false;
                        /* /usr/bin/postgres may be a link to a versioned one */
                        if (!realpath(gl.gl_pathv[i], real))
                                continue;
                        for (size_t k = 0; k < n; k++)
                                dup = dup || strcmp(ret[k].file, real) == 0;
                        if (dup || access(real, X_OK) < 0)
                                continue;
                        ret[n].file = strdup(real);
                        if (ret[n].file && pg_server_version(step, real, ret[n].version, sizeof ret[n].version) == 0)
                                n++;
                        else
                                free(ret[n].file);
                }
                globfree(&gl);
        }
        return n;
}

/* The cluster's PG_VERSION into buf ("" when the data directory is not here). Looked at in a
 * bounded child first: data_dir is on the shared storage, whose server may be dead. */
static void pg_preflight_data_dir(struct xhafw_step *step, const struct pg_cfg *c, char *major, size_t size)
{
        char *v = db_path_join(c->data_dir, "PG_VERSION"), *text = NULL;
        const char *paths[2] = { c->data_dir, v };
        struct xhafw_stat_result res[2];
        bool active = xhafw_node_active(step);
        char fix[PATH_MAX + 128];
        int r;

        major[0] = '\0';
        if (!v)
                return;
        r = xhafw_stat_bounded(step, paths, 2, PG_PREFLIGHT_STAT_MS, res, NULL);
        if (r < 0) {
                pf_report(step, "data directory", XHAFW_CHECK_FAIL, "check the shared storage's server and paths",
                          "%s: %s", c->data_dir, r == -ETIMEDOUT ? "does not answer within 5 s" : strerror(-r));
                goto out;
        }
        if (res[0].err || res[1].err) {
                snprintf(fix, sizeof fix,
                         "mount the shared storage (the storage step), or correct data_dir; "
                         "initdb only for a new cluster");
                if (active)
                        pf_report(step, "data directory", XHAFW_CHECK_FAIL, fix, "%s: %s", res[0].err ? c->data_dir : v,
                                  strerror(res[0].err ? res[0].err : res[1].err));
                else
                        pf_report(step, "data directory", XHAFW_CHECK_PASS, NULL,
                                  "%s is not here (%s): it is on the "
                                  "shared storage, mounted on the active node; the installed servers are compared "
                                  "with the peer's instead",
                                  res[0].err ? c->data_dir : v, strerror(res[0].err ? res[0].err : res[1].err));
                goto out;
        }
        r = db_read_file(v, &text);
        if (r < 0 || !text || strspn(text, "0123456789.") == 0 || strspn(text, "0123456789.") >= size) {
                pf_report(step, "data directory", XHAFW_CHECK_FAIL, "restore PG_VERSION from a backup of the cluster",
                          "%s: %s", v, r < 0 ? strerror(-r) : "not a version number");
                goto out;
        }
        snprintf(major, size, "%.*s", (int) strspn(text, "0123456789."), text);
        pf_report(step, "data directory", XHAFW_CHECK_PASS, NULL, "%s holds a PostgreSQL %s cluster", c->data_dir,
                  major);
        xhafw_preflight_fact(step, "PG_VERSION", major);
out:
        free(text);
        free(v);
}

/* A server for the cluster's version is installed; the installed versions are a fact for the peer. */
static void pg_preflight_binaries(struct xhafw_step *step, const char *major)
{
        struct pg_server s[PG_MAX_SERVERS];
        char list[1024] = "", versions[512] = "", fix[256];
        size_t n = pg_find_servers(step, s, PG_MAX_SERVERS), match = n;

        for (size_t i = 0; i < n; i++) {
                size_t len = strlen(list), vlen = strlen(versions);
                snprintf(list + len, sizeof list - len, "%s%s %s", len ? ", " : "", s[i].version, s[i].file);
                snprintf(versions + vlen, sizeof versions - vlen, "%s%s", vlen ? ", " : "", s[i].version);
                if (*major && match == n && pg_serves(s[i].version, major))
                        match = i;
        }
        if (*versions)
                xhafw_preflight_fact(step, "server versions", versions);
        snprintf(fix, sizeof fix,
                 "install the PostgreSQL %s server: apt-get install postgresql-%s (Debian), "
                 "dnf install postgresql%s-server (PGDG) or the distribution's postgresql-server",
                 *major ? major : "", *major ? major : "VERSION", *major ? major : "VERSION");
        if (n == 0)
                pf_report(step, "server binaries", XHAFW_CHECK_FAIL, fix,
                          "no PostgreSQL server is installed (looked "
                          "for /usr/lib/postgresql/*/bin/postgres, /usr/pgsql-*/bin/postgres, /usr/bin/postgres)");
        else if (!*major)
                pf_report(step, "server binaries", XHAFW_CHECK_PASS, NULL, "installed: %s", list);
        else if (match == n)
                pf_report(step, "server binaries", XHAFW_CHECK_FAIL, fix,
                          "the cluster is PostgreSQL %s, and no server "
                          "of %s is installed (installed: %s)",
                          major, major, list);
        else {
                pf_report(step, "server binaries", XHAFW_CHECK_PASS, NULL,
                          "PostgreSQL %s (%s) serves the cluster's "
                          "PG_VERSION %s",
                          s[match].version, s[match].file, major);
                xhafw_preflight_fact(step, "server version", s[match].version);
        }
        for (size_t i = 0; i < n; i++)
                free(s[i].file);
}

static int pg_preflight(struct xhafw_step *step)
{
        struct pg_cfg c;
        char major[16], who[256], fix[512];
        int r = pg_cfg_load(step, &c);

        if (r < 0)
                return r;
        pg_preflight_data_dir(step, &c, major, sizeof major);
        pg_preflight_binaries(step, major);
        pf_service(step, c.service);
        /* The server would fail to listen, or another one would answer in its place. */
        r = pf_tcp_listener((unsigned) c.port_num, who, sizeof who);
        if (xhafw_node_active(step))
                pf_report(step, "port free", XHAFW_CHECK_PASS, NULL,
                          "this node holds the role: %s listens on TCP port %s", r > 0 ? who : "nothing", c.port);
        else if (r > 0) {
                snprintf(fix, sizeof fix, "stop %s (ss -ltnp 'sport = :%s' names it), or give the step another port",
                         who, c.port);
                pf_report(step, "port free", XHAFW_CHECK_FAIL, fix,
                          "%s listens on TCP port %s on this standby: "
                          "activate's server could not",
                          who, c.port);
        } else if (r < 0)
                pf_report(step, "port free", XHAFW_CHECK_WARN, "ss -ltnp 'sport = :PORT' tells by hand",
                          "cannot tell whether TCP port %s is free: %s", c.port, strerror(-r));
        else
                pf_report(step, "port free", XHAFW_CHECK_PASS, NULL, "nothing listens on TCP port %s", c.port);
        pg_cfg_free(&c);
        return 0;
}

XHAFW_PLUGIN_DEFINE(
                .name = "postgres", .version = "1.1",
                .summary =
                        "PostgreSQL on shared storage: access lines, listen addresses, start, ready by query, split-brain guard",
                .options = pg_options, .describe = pg_describe, .check = pg_check, .apply = pg_apply,
                .revert = pg_revert, .validate = pg_validate, .preflight = pg_preflight);
