/* mariadb plugin: bind addresses and pid file in the option file, start and stop, ready by a real query, split-brain guard, grants. */

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include "xhafw/plugin.h"

#include "dbfile.h"
#include "dbguard.h"
#include "preflight.h"

/* Included rather than linked so that its functions stay static here and in its unit test. */
#include "mycnf.c"

/*
 * Readiness is polled, as for postgres: a refused connection to the socket costs well under a
 * millisecond, so 10 ms keeps the lag small. XHAFW_MARIADB_POLL_MS (1-1000) overrides it, only so
 * that tests/bench/mariadb.sh can show the effect.
 */
#define MY_POLL_MS 10
/* A query's connection and its reads: a busy node should not make check flap; the step's timeout still applies. */
#define MY_QUERY_TIMEOUT_S 10u
/* Readiness attempts and stop verification: the socket or a local address answers at once or not at all. */
#define MY_PING_TIMEOUT_S 2u
/* How often the readiness poll looks at the pid file and /proc. */
#define MY_PIDCHECK_MS 100
/* The guard's fresh attempts at a place still silent (Linux resends a lost SYN only after 1 s); see postgres. */
#define MY_GUARD_RETRY_MS 150
#define MY_GUARD_ATTEMPTS 8
/* A host name may stand for a few addresses; each is asked. */
#define MY_MAX_ADDRS_PER_NAME 4

static const struct xhafw_option my_options[] = {
        { "data_dir", XHAFW_OPT_PATH, true, NULL,
          "the server's data directory on the shared storage, e.g. /var/lib/mysql" },
        { "option_file", XHAFW_OPT_PATH, false, "/etc/my.cnf",
          "the server's option file where bind-address and pid-file are kept (Debian: /etc/mysql/mariadb.conf.d/50-server.cnf)" },
        { "option_group", XHAFW_OPT_STRING, false, "mysqld",
          "group of option_file where a setting missing from every server group is added" },
        { "service", XHAFW_OPT_STRING, false, "mariadb", "unit started and stopped through the service manager" },
        { "port", XHAFW_OPT_INT, false, "3306", "the server's TCP port" },
        { "socket", XHAFW_OPT_PATH, false, "/run/mysqld/mysqld.sock", "the server's Unix socket" },
        { "bind_addresses", XHAFW_OPT_LIST, true, NULL,
          "addresses the server's bind-address must cover (e.g. 127.0.0.1, the VIP, this node's address)" },
        { "pid_file", XHAFW_OPT_PATH, false, NULL,
          "a pid-file for the server, set in option_file, on the shared storage (default: the file is left alone; "
          "the server's own *.pid files in data_dir are read)" },
        { "guard_addresses", XHAFW_OPT_LIST, false, "",
          "where else a server of this data directory could answer: the other node's static address; asked by the split-brain guard" },
        { "check_host", XHAFW_OPT_STRING, false, "localhost",
          "where the readiness query connects: localhost (the socket) or an address" },
        { "check_user", XHAFW_OPT_STRING, false, "root", "account of the readiness query" },
        { "password_file", XHAFW_OPT_PATH, false, NULL,
          "file whose first line is check_user's password; read at run time, never logged" },
        { "ready_timeout", XHAFW_OPT_DURATION, false, "60s",
          "how long apply waits for a query to succeed (and revert for the server to go)" },
        { "guard_timeout", XHAFW_OPT_DURATION, false, "500ms",
          "how long the split-brain guard waits for an answer from each place a server of this data directory could answer at, all asked at once" },
        { "grant_hosts", XHAFW_OPT_LIST, false, "",
          "client hosts (the VIP, both nodes' addresses) that get ALL on grant_database as grant_user" },
        { "grant_user", XHAFW_OPT_STRING, false, "xcatadmin", "the account xCAT connects as" },
        { "grant_database", XHAFW_OPT_STRING, false, "xcatdb", "the database xCAT uses" },
        { "grant_password_file", XHAFW_OPT_PATH, false, NULL,
          "first line: grant_user's password, for an account that does not exist yet" },
        { "grant_revert", XHAFW_OPT_BOOL, false, "no",
          "whether revert removes the accounts and grants this step added (recorded in its state)" },
        { .name = NULL },
};

/* A step's options, resolved. */
struct my_cfg {
        const char *data_dir, *option_file, *group, *service, *socket, *check_host, *user, *password_file;
        const char *grant_user, *grant_db, *grant_password_file;
        char *pid_file;
        unsigned port;
        long long port_num;
        const char *const *bind;
        size_t n_bind;
        const char *const *guard;
        size_t n_guard;
        const char *const *grant_hosts;
        size_t n_grant;
        bool grant_revert;
        uint64_t ready_timeout_ms, guard_timeout_ms;
};

static void my_cfg_free(struct my_cfg *c)
{
        free(c->pid_file);
}

static int my_cfg_load(struct xhafw_step *step, struct my_cfg *c)
{
        const char *s;

        *c = (struct my_cfg){ 0 };
        c->data_dir = xhafw_opt_string(step, "data_dir");
        c->option_file = xhafw_opt_string(step, "option_file");
        c->group = xhafw_opt_string(step, "option_group");
        c->service = xhafw_opt_string(step, "service");
        c->socket = xhafw_opt_string(step, "socket");
        c->check_host = xhafw_opt_string(step, "check_host");
        c->user = xhafw_opt_string(step, "check_user");
        c->password_file = xhafw_opt_string(step, "password_file");
        c->grant_user = xhafw_opt_string(step, "grant_user");
        c->grant_db = xhafw_opt_string(step, "grant_database");
        c->grant_password_file = xhafw_opt_string(step, "grant_password_file");
        c->grant_revert = xhafw_opt_bool(step, "grant_revert");
        c->port_num = xhafw_opt_int(step, "port");
        c->port = c->port_num > 0 && c->port_num < 65536 ? (unsigned) c->port_num : 0;
        c->n_bind = xhafw_opt_list(step, "bind_addresses", &c->bind);
        c->n_guard = xhafw_opt_list(step, "guard_addresses", &c->guard);
        c->n_grant = xhafw_opt_list(step, "grant_hosts", &c->grant_hosts);
        c->ready_timeout_ms = xhafw_opt_duration_ms(step, "ready_timeout");
        c->guard_timeout_ms = xhafw_opt_duration_ms(step, "guard_timeout");
        if (!c->data_dir || !*c->data_dir || !c->option_file || !c->group || !c->service || !c->socket ||
            !c->check_host || !c->user || !c->grant_user || !c->grant_db)
                return -EINVAL;
        s = xhafw_opt_string(step, "pid_file");
        c->pid_file = s && *s ? strdup(s) : NULL;
        return !s || !*s || c->pid_file ? 0 : -ENOMEM;
}

static uint64_t my_poll_ms(void)
{
        return db_poll_ms(secure_getenv("XHAFW_MARIADB_POLL_MS"), MY_POLL_MS);
}

/*
 * Whether pid is a live MariaDB (or MySQL) server of this node whose working directory is
 * data_dir: the server chdirs to its data directory, and a pid recorded by the other node (or in
 * another PID namespace) names, here, either nothing or a process that fails this test. A server
 * in another network or PID namespace (a container, or the other node as the tests simulate it) is
 * not this node's either: its /proc entry is visible only because PID namespaces nest, it records
 * its pid as that namespace sees it, and it does not answer at this node's addresses.
 */
static bool my_same_ns(long pid, const char *ns)
{
        char self[64], path[64];
        struct stat a, b;

        snprintf(self, sizeof self, "/proc/self/ns/%s", ns);
        snprintf(path, sizeof path, "/proc/%ld/ns/%s", pid, ns);
        if (stat(self, &a) < 0)
                return true; /* no namespaces to tell apart */
        return stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static bool my_is_local_server(long pid, const char *data_dir)
{
        char exe[256];

        if (!db_cwd_is(pid, data_dir))
                return false;
        if (!my_same_ns(pid, "net") || !my_same_ns(pid, "pid"))
                return false;
        db_exe_name(pid, exe, sizeof exe);
        return strcmp(exe, "mariadbd") == 0 || strcmp(exe, "mysqld") == 0;
}

/* The first server of this node working in data_dir, whatever its pid file says, or 0. */
static long my_any_local_server(const char *data_dir)
{
        return db_find_process(my_is_local_server, data_dir);
}

/* The pid a pid file records: 0, -ENOENT when there is none, -EINVAL when it holds no pid. */
static int my_read_pidfile(const char *path, long *ret_pid)
{
        char *text = NULL;
        int r = db_read_file(path, &text);

        if (r < 0)
                return r;
        r = mycnf_pidfile_parse(text, ret_pid);
        free(text);
        return r;
}

/*
 * The pid files that may be the server's: pid_file when set; else every regular *.pid file in
 * data_dir, where MariaDB writes HOSTNAME.pid by default (a name per node, on the shared storage).
 * For each, fn(path, pid or -errno, arg); it returns true to stop.
 */
#define MY_MAX_PIDFILES 16
static void my_each_pidfile(const struct my_cfg *c, bool (*fn)(const char *path, long pid, void *arg), void *arg)
{
        DIR *d;
        struct dirent *e;
        unsigned seen = 0;

        if (c->pid_file) {
                long pid = 0;
                int r = my_read_pidfile(c->pid_file, &pid);

                fn(c->pid_file, r < 0 ? r : pid, arg);
                return;
        }
        d = opendir(c->data_dir);
        if (!d)
                return;
        while ((e = readdir(d)) && seen < MY_MAX_PIDFILES) {
                size_t n = strlen(e->d_name);
                struct stat st;
                char *path;
                long pid = 0;
                int r;
                bool stop;

                if (n < 5 || strcmp(e->d_name + n - 4, ".pid") != 0 || e->d_name[0] == '.')
                        continue;
                path = db_path_join(c->data_dir, e->d_name);
                if (!path)
                        break;
                if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
                        free(path);
                        continue;
                }
                seen++;
                r = my_read_pidfile(path, &pid);
                stop = fn(path, r < 0 ? r : pid, arg);
                free(path);
                if (stop)
                        break;
        }
        closedir(d);
}

struct my_local_find {
        const char *data_dir;
        long pid;
};

static bool my_local_find_one(const char *path, long pid, void *arg)
{
        struct my_local_find *f = arg;

        if (pid > 0 && my_is_local_server(pid, f->data_dir))
                f->pid = pid;
        return f->pid > 0;
}

/* The pid of this node's server for data_dir as a pid file (see my_each_pidfile) records it, or 0. */
static long my_local_server(const struct my_cfg *c)
{
        struct my_local_find f = { .data_dir = c->data_dir };

        my_each_pidfile(c, my_local_find_one, &f);
        return f.pid;
}

/* What the pid files say, for the guard's messages: "pid 4242 in /var/lib/mysql/mn1.pid". */
struct my_pid_info {
        struct mycnf_buf text;
        bool any; /* a pid file holding a pid */
};

static bool my_pid_info_one(const char *path, long pid, void *arg)
{
        struct my_pid_info *pi = arg;
        char line[PATH_MAX + 64];

        if (pid > 0) {
                snprintf(line, sizeof line, "pid %ld in %s", pid, path);
                pi->any = true;
        } else if (pid == -ENOENT)
                return false;
        else
                snprintf(line, sizeof line, "%s holding no pid (%s)", path, strerror((int) -pid));
        if (pi->text.len)
                mycnf_buf_str(&pi->text, ", ");
        mycnf_buf_str(&pi->text, line);
        return false;
}

/* A connection to check_host: "localhost" is the Unix socket (as for the mysql client), anything else TCP. */
static MYSQL *my_connect(const struct my_cfg *c, const char *password, unsigned timeout_s, char *err, size_t err_size,
                         unsigned *ret_errno)
{
        MYSQL *m = mysql_init(NULL);
        bool tcp = strcmp(c->check_host, "localhost") != 0;
        unsigned proto = tcp ? MYSQL_PROTOCOL_TCP : MYSQL_PROTOCOL_SOCKET;

        *ret_errno = 0;
        if (!m) {
                snprintf(err, err_size, "out of memory");
                *ret_errno = CR_OUT_OF_MEMORY;
                return NULL;
        }
        mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout_s);
        mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &timeout_s);
        mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &timeout_s);
        mysql_options(m, MYSQL_OPT_PROTOCOL, &proto);
        if (!mysql_real_connect(m, c->check_host, c->user, password, NULL, c->port, tcp ? NULL : c->socket, 0)) {
                *ret_errno = mysql_errno(m);
                snprintf(err, err_size, "%s", mysql_error(m));
                mysql_close(m);
                return NULL;
        }
        return m;
}

/* Errors that mean "not up (yet)", as opposed to a server that answers and says no. */
static bool my_not_up(unsigned e)
{
        return e == CR_CONNECTION_ERROR || e == CR_CONN_HOST_ERROR || e == CR_SERVER_LOST ||
               e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST_EXTENDED || e == ER_SERVER_SHUTDOWN ||
               e == ER_CON_COUNT_ERROR;
}

/* One text query; the first row's first n columns (NULL as ""), or -EIO with the reason. */
static int my_query_row(MYSQL *m, const char *sql, char (*vals)[1024], size_t n, bool *ret_null, char *err,
                        size_t err_size)
{
        MYSQL_RES *res;
        MYSQL_ROW row;
        int r = 0;

        if (mysql_query(m, sql) != 0 || !(res = mysql_store_result(m))) {
                snprintf(err, err_size, "%s", mysql_error(m));
                return -EIO;
        }
        row = mysql_fetch_row(res);
        if (!row || mysql_num_fields(res) < n) {
                snprintf(err, err_size, "the query returned no row");
                r = -EIO;
        } else
                for (size_t i = 0; i < n; i++) {
                        snprintf(vals[i], sizeof vals[i], "%s", row[i] ? row[i] : "");
                        if (ret_null)
                                ret_null[i] = !row[i];
                }
        mysql_free_result(res);
        return r;
}

/*
 * A prepared statement with string parameters; with ret_count, its one integer result. Account
 * names and the password go in only as bound parameters.
 */
static int my_stmt(MYSQL *m, const char *sql, const char *const *params, size_t n, long long *ret_count, char *err,
                   size_t err_size)
{
        MYSQL_STMT *st = mysql_stmt_init(m);
        MYSQL_BIND bind[8], out;
        unsigned long lens[8];
        long long count = 0;
        int r = 0;

        if (!st) {
                snprintf(err, err_size, "out of memory");
                return -ENOMEM;
        }
        if (n > 8 || mysql_stmt_prepare(st, sql, strlen(sql)) != 0 || mysql_stmt_param_count(st) != n) {
                snprintf(err, err_size, "%s", mysql_stmt_error(st));
                r = -EIO;
                goto out;
        }
        memset(bind, 0, sizeof bind);
        for (size_t i = 0; i < n; i++) {
                lens[i] = strlen(params[i]);
                bind[i].buffer_type = MYSQL_TYPE_STRING;
                bind[i].buffer = (void *) params[i];
                bind[i].buffer_length = lens[i];
                bind[i].length = &lens[i];
        }
        if ((n && mysql_stmt_bind_param(st, bind)) || mysql_stmt_execute(st) != 0) {
                snprintf(err, err_size, "%s", mysql_stmt_error(st));
                r = -EIO;
                goto out;
        }
        if (ret_count) {
                memset(&out, 0, sizeof out);
                out.buffer_type = MYSQL_TYPE_LONGLONG;
                out.buffer = &count;
                if (mysql_stmt_bind_result(st, &out) || mysql_stmt_fetch(st) != 0) {
                        snprintf(err, err_size, "%s", *mysql_stmt_error(st) ? mysql_stmt_error(st) : "no row");
                        r = -EIO;
                        goto out;
                }
                *ret_count = count;
        }
out:
        mysql_stmt_close(st);
        return r;
}

/* The server's end of the connection is on this node: the Unix socket, or a local address. */
static bool my_peer_is_local(MYSQL *m, char *peer, size_t size)
{
        struct sockaddr_storage ss;
        socklen_t len = sizeof ss;
        struct ifaddrs *ifa = NULL;
        bool local = false;
        int fd = (int) mysql_get_socket(m);

        snprintf(peer, size, "?");
        if (fd < 0 || getpeername(fd, (struct sockaddr *) &ss, &len) < 0)
                return false;
        if (ss.ss_family == AF_UNIX) {
                snprintf(peer, size, "the Unix socket");
                return true;
        }
        if (ss.ss_family == AF_INET)
                inet_ntop(AF_INET, &((struct sockaddr_in *) &ss)->sin_addr, peer, (socklen_t) size);
        else if (ss.ss_family == AF_INET6)
                inet_ntop(AF_INET6, &((struct sockaddr_in6 *) &ss)->sin6_addr, peer, (socklen_t) size);
        else
                return false;
        if (getifaddrs(&ifa) < 0)
                return false;
        for (struct ifaddrs *i = ifa; i && !local; i = i->ifa_next) {
                if (!i->ifa_addr || i->ifa_addr->sa_family != ss.ss_family)
                        continue;
                if (ss.ss_family == AF_INET)
                        local = memcmp(&((struct sockaddr_in *) i->ifa_addr)->sin_addr,
                                       &((struct sockaddr_in *) &ss)->sin_addr, 4) == 0;
                else
                        local = memcmp(&((struct sockaddr_in6 *) i->ifa_addr)->sin6_addr,
                                       &((struct sockaddr_in6 *) &ss)->sin6_addr, 16) == 0;
        }
        freeifaddrs(ifa);
        /* 127.0.0.0/8 is this node's whatever lo holds */
        if (!local && ss.ss_family == AF_INET)
                local = (ntohl(((struct sockaddr_in *) &ss)->sin_addr.s_addr) >> 24) == 127;
        return local;
}

/* Whether two paths name the same directory or file. */
static bool my_same_file(const char *a, const char *b)
{
        struct stat sa, sb;

        return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/*
 * What the server at check_host says of itself, proven to be this node's server for data_dir: the
 * connection ends on this node (its socket or a local address) and the server's datadir is ours,
 * which on one node only one server can hold (InnoDB locks it). 0, or -ECONNREFUSED (no
 * connection; *ret_errno says why) / -EIO (the query failed) / -EXDEV (another server answered).
 * vals: @@pid_file, @@bind_address; bind_null when bind-address is unset.
 */
static int my_ask_server(const struct my_cfg *c, const char *password, char vals[2][1024], bool *bind_null, char *err,
                         size_t err_size, unsigned *ret_errno)
{
        char row[3][1024], peer[INET6_ADDRSTRLEN + 32];
        bool nulls[3];
        MYSQL *m = my_connect(c, password, MY_QUERY_TIMEOUT_S, err, err_size, ret_errno);
        int r;

        if (!m)
                return -ECONNREFUSED;
        r = my_query_row(m, "SELECT @@datadir, @@pid_file, @@bind_address", row, 3, nulls, err, err_size);
        if (r == 0 && !my_peer_is_local(m, peer, sizeof peer)) {
                snprintf(err, err_size, "the query at %s was answered at %s, which is not an address of this node",
                         c->check_host, peer);
                r = -EXDEV;
        } else if (r == 0 && !my_same_file(row[0], c->data_dir)) {
                snprintf(err, err_size, "the server that answered at %s serves %.200s, not %s", c->check_host, row[0],
                         c->data_dir);
                r = -EXDEV;
        }
        if (r == 0) {
                memcpy(vals[0], row[1], sizeof vals[0]);
                memcpy(vals[1], row[2], sizeof vals[1]);
                *bind_null = nulls[2];
        }
        mysql_close(m);
        return r;
}

/* ---- where the active node's server answers, recorded on the shared storage ---- */

/*
 * MariaDB's pid file holds only a pid, where PostgreSQL's postmaster.pid records an address to ask.
 * So the node that activates records, in data_dir, the addresses its server answers at (beside
 * the VIP: its own static address), and the other node's guard asks there too, with no need to
 * configure guard_addresses for it.
 */
#define MY_PLACES_FILE "xhafw-mariadb.places"
#define MY_MAX_RECORDED 16

static bool my_loopback(const char *a)
{
        return strcasecmp(a, "localhost") == 0 || strncmp(a, "127.", 4) == 0 || strcmp(a, "::1") == 0;
}

static void my_places_add(struct mycnf_buf *b, unsigned *n, const char *a)
{
        char line[300];

        if (*n >= MY_MAX_RECORDED || my_loopback(a) || strcmp(a, "*") == 0 || strcmp(a, "0.0.0.0") == 0 ||
            strcmp(a, "::") == 0 || !mycnf_item_ok(a, false) || strlen(a) > 255)
                return;
        snprintf(line, sizeof line, "address %s\n", a);
        if (b->data && strstr(b->data, line))
                return;
        mycnf_buf_str(b, line);
        (*n)++;
}

/* The record's text: bind_addresses, or this node's interface addresses when a wildcard stands. */
static char *my_places_text(const struct my_cfg *c)
{
        struct mycnf_buf b = { 0 };
        unsigned n = 0;
        bool wildcard = false;

        mycnf_buf_str(&b, "# Written by xhafw's mariadb step on the node that activated last: where its server\n"
                          "# answers. The other node's split-brain guard asks there before starting a server.\n");
        for (size_t i = 0; i < c->n_bind; i++) {
                if (strcmp(c->bind[i], "*") == 0 || strcmp(c->bind[i], "0.0.0.0") == 0 || strcmp(c->bind[i], "::") == 0)
                        wildcard = true;
                my_places_add(&b, &n, c->bind[i]);
        }
        if (wildcard) {
                struct ifaddrs *ifa = NULL;

                if (getifaddrs(&ifa) == 0) {
                        for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
                                char a[INET6_ADDRSTRLEN];
                                const void *p;

                                if (!i->ifa_addr ||
                                    (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6))
                                        continue;
                                p = i->ifa_addr->sa_family == AF_INET ?
                                            (const void *) &((struct sockaddr_in *) i->ifa_addr)->sin_addr :
                                            (const void *) &((struct sockaddr_in6 *) i->ifa_addr)->sin6_addr;
                                if (i->ifa_addr->sa_family == AF_INET6 &&
                                    IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *) p))
                                        continue;
                                if (inet_ntop(i->ifa_addr->sa_family, p, a, sizeof a))
                                        my_places_add(&b, &n, a);
                        }
                        freeifaddrs(ifa);
                }
        }
        return mycnf_buf_steal(&b);
}

/* Record where this node's server answers, unless the record already says so. */
static int my_places_record(struct xhafw_step *step, const struct my_cfg *c)
{
        char *path = db_path_join(c->data_dir, MY_PLACES_FILE), *want = my_places_text(c), *have = NULL;
        int r = 0;

        if (!path || !want) {
                r = -ENOMEM;
                goto out;
        }
        if (db_read_file(path, &have) == 0 && strcmp(have, want) == 0)
                goto out;
        if (xhafw_dry_run(step)) {
                xhafw_log(step, LOG_NOTICE, "would record in %s where this node's server answers", path);
                goto out;
        }
        r = xhafw_file_replace(step, path, want);
        if (r < 0)
                xhafw_log(step, LOG_WARNING, "cannot record in %s where this node's server answers: %s, ignoring", path,
                          strerror(-r));
        r = 0;
out:
        free(path);
        free(want);
        free(have);
        return r;
}

/* ---- the split-brain guard ---- */

/* One address the guard asks: a name's addresses are places of their own. */
struct my_place {
        char name[256]; /* as configured, for messages */
        struct sockaddr_storage addr;
        socklen_t addr_len;
};

static void my_place_text(const struct my_place *q, char *buf, size_t size)
{
        char a[INET6_ADDRSTRLEN];

        if (q->addr.ss_family == AF_UNIX)
                snprintf(buf, size, "%s", q->name);
        else {
                const void *p = q->addr.ss_family == AF_INET ?
                                        (const void *) &((const struct sockaddr_in *) &q->addr)->sin_addr :
                                        (const void *) &((const struct sockaddr_in6 *) &q->addr)->sin6_addr;
                inet_ntop(q->addr.ss_family, p, a, sizeof a);
                if (strcmp(a, q->name) == 0)
                        snprintf(buf, size, "%s", q->name);
                else
                        snprintf(buf, size, "%.200s (%s)", q->name, a);
        }
}

/* Add the places of one name: a socket path, an address, or a host name looked up now (blocking). */
static size_t my_add_places(struct my_place *pl, size_t n, size_t max, const char *name, unsigned port, char *err,
                            size_t err_size)
{
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
        char service[16];
        int rc;

        if (!*name || strcmp(name, "*") == 0 || strlen(name) >= sizeof pl[0].name)
                return n;
        for (size_t i = 0; i < n; i++)
                if (strcmp(pl[i].name, name) == 0)
                        return n;
        if (name[0] == '/') {
                struct sockaddr_un *un = (struct sockaddr_un *) &pl[n].addr;

                if (n >= max || strlen(name) >= sizeof un->sun_path)
                        return n;
                pl[n] = (struct my_place){ .addr_len = sizeof *un };
                snprintf(pl[n].name, sizeof pl[n].name, "%s", name);
                un->sun_family = AF_UNIX;
                memcpy(un->sun_path, name, strlen(name) + 1);
                return n + 1;
        }
        snprintf(service, sizeof service, "%u", port);
        rc = getaddrinfo(name, service, &hints, &res);
        if (rc != 0) {
                snprintf(err, err_size, "%s: %s", name, gai_strerror(rc));
                return n;
        }
        for (struct addrinfo *a = res, *b; a; a = a->ai_next) {
                size_t k = 0;
                bool dup = false;

                for (b = res; b != a; b = b->ai_next)
                        if (b->ai_addrlen == a->ai_addrlen && memcmp(b->ai_addr, a->ai_addr, a->ai_addrlen) == 0)
                                dup = true;
                for (size_t i = 0; i < n; i++)
                        if (pl[i].addr_len == a->ai_addrlen && memcmp(&pl[i].addr, a->ai_addr, a->ai_addrlen) == 0)
                                dup = true;
                if (dup || (a->ai_family != AF_INET && a->ai_family != AF_INET6) || n >= max ||
                    a->ai_addrlen > sizeof pl[n].addr || ++k > MY_MAX_ADDRS_PER_NAME)
                        continue;
                pl[n] = (struct my_place){ .addr_len = a->ai_addrlen };
                snprintf(pl[n].name, sizeof pl[n].name, "%s", name);
                memcpy(&pl[n].addr, a->ai_addr, a->ai_addrlen);
                n++;
        }
        freeaddrinfo(res);
        return n;
}

/* Start one attempt: a non-blocking connect(). The place's new state. */
static enum db_probe_state my_probe_start(void *arg, size_t i, struct db_place *g, struct db_attempt *a)
{
        const struct my_place *q = (const struct my_place *) arg + i;
        int fd = socket(q->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

        if (fd < 0) {
                snprintf(g->why, sizeof g->why, "socket: %s", strerror(errno));
                return DB_PROBE_REFUSED;
        }
        if (connect(fd, (const struct sockaddr *) &q->addr, q->addr_len) == 0) {
                a->fd = fd;
                a->open = true;
                return DB_PROBE_ANSWERED;
        }
        if (errno == EAGAIN && q->addr.ss_family == AF_UNIX) {
                /* a listener whose queue is full: it is there */
                snprintf(g->why, sizeof g->why, "its socket's queue is full");
                close(fd);
                return DB_PROBE_ANSWERED;
        }
        if (errno == EINPROGRESS) {
                a->fd = fd;
                a->open = true;
                return DB_PROBE_PENDING;
        }
        snprintf(g->why, sizeof g->why, "%s", strerror(errno));
        close(fd);
        return DB_PROBE_REFUSED;
}

static int my_probe_fd(const struct db_attempt *a, short *ret_events)
{
        *ret_events = POLLOUT;
        return a->fd;
}

static enum db_probe_state my_probe_advance(struct db_attempt *a, char *why, size_t why_size)
{
        int soerr = 0;
        socklen_t sl = sizeof soerr;

        if (getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
                soerr = errno;
        if (soerr == 0)
                return DB_PROBE_ANSWERED;
        if (soerr == EINPROGRESS)
                return DB_PROBE_PENDING;
        /* refused, unreachable: the place has its answer */
        snprintf(why, why_size, "%s", strerror(soerr));
        return DB_PROBE_REFUSED;
}

static void my_probe_close(struct db_attempt *a)
{
        close(a->fd);
        a->fd = -1;
}

/*
 * What the server that accepted the connection says first, for the log: MariaDB greets with its
 * version, or sends an error packet (too many connections, host not allowed) at once.
 */
static void my_probe_greeting(int fd, uint64_t deadline, char *how, size_t size)
{
        unsigned char buf[512];
        size_t got = 0;
        uint64_t now;

        snprintf(how, size, "it accepted the connection and said nothing more within guard_timeout");
        while (got < 5 && (now = xhafw_now_ms()) < deadline) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                ssize_t n;
                int rc = poll(&pfd, 1, (int) (deadline - now));

                if (rc <= 0) {
                        if (rc < 0 && errno == EINTR)
                                continue;
                        return;
                }
                n = read(fd, buf + got, sizeof buf - 1 - got);
                if (n <= 0) {
                        snprintf(how, size, "it accepted the connection and closed it");
                        return;
                }
                got += (size_t) n;
                /* the rest of a short greeting may come in the next segment */
                if (got >= 5 && got < sizeof buf - 1 && got < 4 + (size_t) (buf[0] | buf[1] << 8 | buf[2] << 16)) {
                        pfd.events = POLLIN;
                        if (poll(&pfd, 1, 50) > 0 && (n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
                                got += (size_t) n;
                }
        }
        if (got < 5)
                return;
        buf[got] = '\0';
        if (buf[4] == 10) {
                char version[128];
                size_t k = 0;

                for (size_t i = 5; i < got && buf[i] && k + 1 < sizeof version; i++)
                        version[k++] = buf[i] >= ' ' && buf[i] < 0x7f ? (char) buf[i] : '?';
                version[k] = '\0';
                snprintf(how, size, "a server greets as version %s", version);
        } else if (buf[4] == 0xff && got >= 7) {
                char msg[256];
                size_t k = 0, i = 7;

                if (i < got && buf[i] == '#')
                        i += 6; /* SQL state */
                for (; i < got && buf[i] && k + 1 < sizeof msg; i++)
                        msg[k++] = buf[i] >= ' ' && buf[i] < 0x7f ? (char) buf[i] : '?';
                msg[k] = '\0';
                snprintf(how, size, "a server answers with error %u: %s", (unsigned) (buf[5] | buf[6] << 8), msg);
        } else
                snprintf(how, size, "something answers, but not with MariaDB's greeting");
}

/* What the place that answered said: its greeting, or why it counts as an answer without one. */
static void my_probe_finish(struct db_attempt *a, const struct db_place *g, uint64_t deadline, char *how, size_t size)
{
        if (a->open)
                my_probe_greeting(a->fd, deadline, how, size);
        else
                snprintf(how, size, "%s", g->why);
}

static const struct db_probe_ops my_probe_ops = {
        .start = my_probe_start,
        .poll_fd = my_probe_fd,
        .advance = my_probe_advance,
        .finish = my_probe_finish,
        .close = my_probe_close,
};

/* Add each item of a comma-separated bind-address value, wildcards left out: they are no place to ask. */
static size_t my_add_value_places(struct my_place *pl, size_t n, size_t max, const char *value, unsigned port,
                                  char *err, size_t err_size)
{
        const char *p = value;

        while (p && *p) {
                const char *comma = strchr(p, ',');
                size_t len = comma ? (size_t) (comma - p) : strlen(p);
                const char *item = p;
                char buf[256];

                mycnf_trim(&item, &len);
                if (len > 0 && len < sizeof buf) {
                        memcpy(buf, item, len);
                        buf[len] = '\0';
                        if (strcmp(buf, "0.0.0.0") != 0 && strcmp(buf, "::") != 0)
                                n = my_add_places(pl, n, max, buf, port, err, err_size);
                }
                p = comma ? comma + 1 : p + strlen(p);
        }
        return n;
}

/*
 * The split-brain guard. The pid file names this node's server for data_dir: *ret_pid = its pid,
 * 0. A server of this node works in data_dir under another pid file: *ret_pid too (the edit of
 * pid-file restarts it). Otherwise every place a server of this data directory could answer at is
 * asked at once (the socket, check_host, bind_addresses, the option file's bind-address,
 * guard_addresses, at port) for at most guard_timeout each: an answer means another node runs it:
 * XHAFW_REFUSED unless --force; none means the pid file, if any, is stale: 0.
 */
static int my_guard(struct xhafw_step *step, const struct my_cfg *c, const char *conf_text, long *ret_pid)
{
        struct mycnf_buf where = { 0 }, silent = { 0 };
        struct my_place *pl = NULL;
        struct db_place *gp = NULL;
        struct my_pid_info pi = { 0 };
        char how[512], err[512] = "", pidinfo[2048], *value = NULL;
        size_t n = 0, max, answered;
        uint64_t start, took;
        long pid, other;
        int r;

        *ret_pid = 0;
        pid = my_local_server(c);
        if (pid > 0) {
                xhafw_log(step, LOG_INFO, "server pid %ld of this node already runs for %s", pid, c->data_dir);
                *ret_pid = pid;
                return 0;
        }
        other = my_any_local_server(c->data_dir);
        if (other > 0) {
                xhafw_log(step, LOG_NOTICE, "server pid %ld of this node runs for %s, but no pid file names it", other,
                          c->data_dir);
                *ret_pid = other;
                return 0;
        }
        my_each_pidfile(c, my_pid_info_one, &pi);
        if (pi.text.len)
                snprintf(pidinfo, sizeof pidinfo, "%s %s no server of this node", pi.text.data,
                         strchr(pi.text.data, ',') ? "are" : "is");
        else if (c->pid_file)
                snprintf(pidinfo, sizeof pidinfo, "there is no %s", c->pid_file);
        else
                snprintf(pidinfo, sizeof pidinfo, "there is no pid file in %s", c->data_dir);
        free(pi.text.data);

        max = 4 + (c->n_bind + c->n_guard + MY_MAX_RECORDED) * MY_MAX_ADDRS_PER_NAME + 16 * MY_MAX_ADDRS_PER_NAME;
        pl = calloc(max, sizeof *pl);
        if (!pl)
                return -ENOMEM;
        n = my_add_places(pl, n, max, c->socket, c->port, err, sizeof err);
        if (strcmp(c->check_host, "localhost") != 0)
                n = my_add_places(pl, n, max, c->check_host, c->port, err, sizeof err);
        for (size_t i = 0; i < c->n_bind; i++)
                n = my_add_value_places(pl, n, max, c->bind[i], c->port, err, sizeof err);
        value = mycnf_value(conf_text, "bind_address", c->group);
        n = my_add_value_places(pl, n, max, value, c->port, err, sizeof err);
        free(value);
        for (size_t i = 0; i < c->n_guard; i++)
                n = my_add_places(pl, n, max, c->guard[i], c->port, err, sizeof err);
        {
                char *path = db_path_join(c->data_dir, MY_PLACES_FILE), *text = NULL;
                unsigned k = 0;

                if (path && db_read_file(path, &text) == 0)
                        for (char *line = text, *next; line && *line && k < MY_MAX_RECORDED; line = next) {
                                next = strchr(line, '\n');
                                if (next)
                                        *next++ = '\0';
                                if (strncmp(line, "address ", 8) == 0 && mycnf_item_ok(line + 8, false)) {
                                        n = my_add_places(pl, n, max, line + 8, c->port, err, sizeof err);
                                        k++;
                                }
                        }
                free(text);
                free(path);
        }
        if (err[0])
                xhafw_log(step, LOG_WARNING, "the guard cannot ask %s, ignoring", err);
        for (size_t i = 0; i < n; i++) {
                char t[300];

                my_place_text(&pl[i], t, sizeof t);
                if (where.len)
                        mycnf_buf_str(&where, ", ");
                mycnf_buf_str(&where, t);
        }
        start = xhafw_now_ms();
        gp = calloc(n ? n : 1, sizeof *gp);
        if (!gp) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < n; i++)
                gp[i].retry = pl[i].addr.ss_family != AF_UNIX;
        answered = db_probe_all(gp, n, MY_GUARD_ATTEMPTS, MY_GUARD_RETRY_MS, c->guard_timeout_ms, &my_probe_ops, pl,
                                how, sizeof how, &r);
        took = xhafw_now_ms() - start;
        if (r < 0) {
                xhafw_log(step, LOG_ERR, "cannot ask whether a server answers: %s", strerror(-r));
                goto out;
        }
        if (answered != SIZE_MAX) {
                char t[300];

                my_place_text(&pl[answered], t, sizeof t);
                xhafw_log(step, LOG_INFO, "asked %zu place%s at once in %llu ms; %s port %u answered: %s", n,
                          n == 1 ? "" : "s", (unsigned long long) took, t, c->port, how);
                if (xhafw_force(step)) {
                        xhafw_log(step, LOG_WARNING,
                                  "a server answers at %s port %u and %s; going on because of --force", t, c->port,
                                  pidinfo);
                        goto out;
                }
                xhafw_log(step, LOG_ERR,
                          "refusing to start: a server answers at %s port %u (%s), but %s: another node is running "
                          "this data directory (%s). Stop it there first (--force skips this check)",
                          t, c->port, how, pidinfo, c->data_dir);
                r = XHAFW_REFUSED;
                goto out;
        }
        for (size_t i = 0; i < n; i++) {
                char t[300];

                my_place_text(&pl[i], t, sizeof t);
                if (gp[i].state == DB_PROBE_SILENT) {
                        if (silent.len)
                                mycnf_buf_str(&silent, ", ");
                        mycnf_buf_str(&silent, t);
                } else
                        xhafw_log(step, LOG_INFO, "%s port %u: %s", t, c->port, gp[i].why);
        }
        xhafw_log(step, pi.any ? LOG_NOTICE : LOG_INFO,
                  "%s%s and nothing answers at %s port %u (asked at once in %llu ms%s%s%s); going on",
                  pi.any ? "the pid file is stale: " : "", pidinfo, where.data ? where.data : "(nowhere)", c->port,
                  (unsigned long long) took, silent.data ? "; no reply from " : "", silent.data ? silent.data : "",
                  silent.data ? " within guard_timeout" : "");
out:
        free(pl);
        free(gp);
        free(where.data);
        free(silent.data);
        return r;
}

/* ---- the option file ---- */

/* Remember what apply added, merged with what earlier runs added. */
static int my_state_merge(struct xhafw_step *step, const char *key, const char *added)
{
        struct mycnf_buf b = { 0 };
        const char *old = xhafw_state_get(step, key);
        char *v;
        int r;

        if (!added || !*added)
                return 0;
        if (old && *old)
                mycnf_buf_str(&b, old);
        for (const char *p = added; *p;) {
                const char *comma = strchr(p, ',');
                size_t n = comma ? (size_t) (comma - p) : strlen(p);
                bool have = false;

                for (const char *q = b.data; q && *q;) {
                        const char *c2 = strchr(q, ',');
                        size_t m = c2 ? (size_t) (c2 - q) : strlen(q);

                        if (m == n && strncmp(q, p, n) == 0)
                                have = true;
                        q = c2 ? c2 + 1 : q + m;
                }
                if (!have && n) {
                        if (b.len)
                                mycnf_buf_str(&b, ",");
                        mycnf_buf_add(&b, p, n);
                }
                p = comma ? comma + 1 : p + n;
        }
        v = mycnf_buf_steal(&b);
        if (!v)
                return -ENOMEM;
        r = xhafw_state_set(step, key, v);
        free(v);
        return r;
}

/* The option file with bind-address covering bind_addresses (and pid-file = pid_file when set): 0/1 changed, or -errno. */
static int my_conf_edit(const struct my_cfg *c, const char *text, char **ret_text, char **ret_added, bool *ret_bind,
                        bool *ret_pid)
{
        char *t1 = NULL, *t2 = NULL, *added = NULL;
        int nb, np;

        nb = mycnf_bind_add(text, c->group, c->bind, c->n_bind, &t1, &added);
        if (nb < 0)
                return nb;
        if (c->pid_file) {
                np = mycnf_set(t1, c->group, "pid_file", c->pid_file, &t2);
                free(t1);
                if (np < 0) {
                        free(added);
                        return np;
                }
        } else {
                t2 = t1;
                np = 0;
        }
        *ret_text = t2;
        *ret_added = added;
        *ret_bind = nb > 0;
        *ret_pid = np > 0;
        return nb > 0 || np > 0;
}

static int my_edit(struct xhafw_step *step, const struct my_cfg *c, const char *conf_text, bool *ret_changed)
{
        char *new_text = NULL, *added = NULL;
        bool bind, pid;
        int r;

        *ret_changed = false;
        r = my_conf_edit(c, conf_text, &new_text, &added, &bind, &pid);
        if (r < 0) {
                xhafw_log(step, LOG_ERR, "cannot edit %s: %s", c->option_file,
                          r == -EINVAL ? "an address, the pid file or option_group cannot go into it as it is" :
                                         strerror(-r));
                return r;
        }
        if (r > 0) {
                r = xhafw_file_replace(step, c->option_file, new_text);
                if (r == 0 && !xhafw_dry_run(step)) {
                        if (bind)
                                xhafw_log(step, LOG_NOTICE, "added %s to bind-address in %s", added, c->option_file);
                        if (pid)
                                xhafw_log(step, LOG_NOTICE, "set pid-file = %s in %s", c->pid_file, c->option_file);
                        r = my_state_merge(step, "bind_added", added);
                }
                *ret_changed = true;
        }
        free(new_text);
        free(added);
        return r;
}

/* ---- start, ready, stop ---- */

static int my_start(struct xhafw_step *step, const struct my_cfg *c)
{
        return db_start_service(step, c->service);
}

/* Poll until a real query succeeds at check_host, the server dies, or ready_timeout passes. */
static int my_wait_ready(struct xhafw_step *step, const struct my_cfg *c, const char *password, uint64_t start)
{
        uint64_t deadline = start + c->ready_timeout_ms, poll_ms = my_poll_ms(), pidcheck = 0, now;
        long seen = 0;
        char err[1024] = "";

        for (;;) {
                unsigned e;
                MYSQL *m = my_connect(c, password, MY_PING_TIMEOUT_S, err, sizeof err, &e);

                if (m) {
                        char v[1][1024];
                        int r = my_query_row(m, "SELECT 1", v, 1, NULL, err, sizeof err);

                        mysql_close(m);
                        if (r == 0) {
                                xhafw_log(step, LOG_INFO, "ready after %llu ms: SELECT 1 answered at %s port %u",
                                          (unsigned long long) (xhafw_now_ms() - start), c->check_host, c->port);
                                return 0;
                        }
                        xhafw_log(step, LOG_ERR, "the server takes connections at %s, but SELECT 1 as %s failed: %s",
                                  c->check_host, c->user, err);
                        return -EIO;
                }
                if (!my_not_up(e)) {
                        /* It answers and says no (a wrong password, an account not allowed): waiting does not fix that. */
                        xhafw_log(step, LOG_ERR, "the server at %s refuses the readiness query as %s: %s",
                                  c->check_host, c->user, err);
                        return -EACCES;
                }
                now = xhafw_now_ms();
                if (!pidcheck || now - pidcheck >= MY_PIDCHECK_MS) {
                        long pid = my_local_server(c);

                        if (!pid)
                                pid = my_any_local_server(c->data_dir);

                        pidcheck = now;
                        if (pid > 0)
                                seen = pid;
                        else if (seen && !my_is_local_server(seen, c->data_dir)) {
                                xhafw_log(step, LOG_ERR,
                                          "the server (pid %ld) exited while starting; see its error log", seen);
                                return -ESRCH;
                        }
                }
                if (now >= deadline) {
                        xhafw_log(step, LOG_ERR,
                                  "no query succeeded at check_host %s within ready_timeout (%llu ms): %s%s",
                                  c->check_host, (unsigned long long) c->ready_timeout_ms, err,
                                  seen ? "" : "; no server of this node wrote its pid file (see its error log)");
                        return -ETIMEDOUT;
                }
                xhafw_sleep_ms(deadline - now < poll_ms ? deadline - now : poll_ms);
        }
}

/* Whether anything accepts a connection at check_host or the socket now. */
static const char *my_answering(const struct my_cfg *c)
{
        char err[256];
        unsigned e;
        MYSQL *m = my_connect(c, NULL, MY_PING_TIMEOUT_S, err, sizeof err, &e);

        if (m) {
                mysql_close(m);
                return c->check_host;
        }
        /* an access error is an answer too: a server is there */
        return my_not_up(e) ? NULL : c->check_host;
}

/* Stop through the service manager and wait until the server is gone and nothing answers. */
static int my_stop(struct xhafw_step *step, const struct my_cfg *c, long pid)
{
        uint64_t start = xhafw_now_ms(), now;
        int rc = xhafw_service(step, "stop", c->service);

        if (rc < 0)
                return rc;
        if (xhafw_dry_run(step))
                return 0;
        for (;;) {
                bool alive = pid > 0 && my_is_local_server(pid, c->data_dir);
                long other = alive ? pid : my_any_local_server(c->data_dir);
                const char *answering = other ? NULL : my_answering(c);

                if (!other && !answering) {
                        if (rc != 0)
                                xhafw_log(step, LOG_WARNING, "service stop %s exited %d, but the server is down",
                                          c->service, rc);
                        xhafw_log(step, LOG_INFO,
                                  "stopped after %llu ms: no server of this node runs for %s, nothing answers at %s",
                                  (unsigned long long) (xhafw_now_ms() - start), c->data_dir, c->check_host);
                        return 0;
                }
                now = xhafw_now_ms();
                if (now - start >= c->ready_timeout_ms || (rc != 0 && now - start >= 2000)) {
                        if (other)
                                xhafw_log(step, LOG_ERR,
                                          "the server is still running after service stop %s (exit %d): pid %ld",
                                          c->service, rc, other);
                        else
                                xhafw_log(step, LOG_ERR, "a server still answers at %s after service stop %s (exit %d)",
                                          answering, c->service, rc);
                        return rc != 0 ? -EIO : -ETIMEDOUT;
                }
                xhafw_sleep_ms(20);
        }
}

/* data_dir must be a MariaDB data directory: on a standby it is usually the shared storage that is missing. */
static int my_need_data_dir(struct xhafw_step *step, const struct my_cfg *c)
{
        struct stat st;
        char *sys = db_path_join(c->data_dir, "mysql");
        int r = 0;

        if (!sys)
                return -ENOMEM;
        r = db_need_dir(step, c->data_dir);
        if (r == 0 && (stat(sys, &st) < 0 || !S_ISDIR(st.st_mode))) {
                r = -ENOENT;
                xhafw_log(step, LOG_ERR, "%s is not a MariaDB data directory: it has no mysql/ (system tables)",
                          c->data_dir);
        }
        free(sys);
        return r;
}

/* ---- grants ---- */

#define MY_SET_VARS "SET @xhafw_user = ?, @xhafw_host = ?, @xhafw_db = ?"
#define MY_HAS_USER "SELECT COUNT(*) FROM mysql.user WHERE User = ? AND Host = ?"
#define MY_HAS_GRANT \
        "SELECT COUNT(*) FROM mysql.db WHERE User = ? AND Host = ? AND Db = ? AND Select_priv = 'Y' " \
        "AND Insert_priv = 'Y' AND Update_priv = 'Y' AND Delete_priv = 'Y' AND Create_priv = 'Y' " \
        "AND Drop_priv = 'Y' AND Alter_priv = 'Y' AND Index_priv = 'Y'"
/* Account names cannot be placeholders: the server quotes the bound values itself (QUOTE, backticks). */
#define MY_DB_IDENT "CONCAT('`', REPLACE(@xhafw_db, '`', '``'), '`')"
#define MY_ACCOUNT "QUOTE(@xhafw_user), '@', QUOTE(@xhafw_host)"
#define MY_CREATE_USER "EXECUTE IMMEDIATE CONCAT('CREATE USER ', " MY_ACCOUNT ", ' IDENTIFIED BY ', QUOTE(@xhafw_pw))"
#define MY_GRANT "EXECUTE IMMEDIATE CONCAT('GRANT ALL PRIVILEGES ON ', " MY_DB_IDENT ", '.* TO ', " MY_ACCOUNT ")"
#define MY_REVOKE "EXECUTE IMMEDIATE CONCAT('REVOKE ALL PRIVILEGES ON ', " MY_DB_IDENT ", '.* FROM ', " MY_ACCOUNT ")"
#define MY_DROP_USER "EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS ', " MY_ACCOUNT ")"
#define MY_CLEAR_VARS "SET @xhafw_user = NULL, @xhafw_host = NULL, @xhafw_db = NULL, @xhafw_pw = NULL"

/* Whether grant_user@host exists and has ALL on grant_database. */
static int my_grant_state(MYSQL *m, const struct my_cfg *c, const char *host, bool *ret_user, bool *ret_grant,
                          char *err, size_t err_size)
{
        const char *p[] = { c->grant_user, host, c->grant_db };
        long long n = 0;
        int r = my_stmt(m, MY_HAS_USER, p, 2, &n, err, err_size);

        if (r < 0)
                return r;
        *ret_user = n > 0;
        r = my_stmt(m, MY_HAS_GRANT, p, 3, &n, err, err_size);
        if (r < 0)
                return r;
        *ret_grant = n > 0;
        return 0;
}

/* The hosts lacking the account or its grant, comma-separated into missing; 0 or -errno. */
static int my_grants_missing(MYSQL *m, const struct my_cfg *c, struct mycnf_buf *missing, char *err, size_t err_size)
{
        for (size_t i = 0; i < c->n_grant; i++) {
                bool user, grant;
                int r = my_grant_state(m, c, c->grant_hosts[i], &user, &grant, err, err_size);

                if (r < 0)
                        return r;
                if (!user || !grant) {
                        if (missing->len)
                                mycnf_buf_str(missing, ",");
                        mycnf_buf_str(missing, c->grant_hosts[i]);
                }
        }
        return 0;
}

static int my_exec(MYSQL *m, const char *sql, char *err, size_t err_size)
{
        if (mysql_real_query(m, sql, strlen(sql)) != 0) {
                snprintf(err, err_size, "%s", mysql_error(m));
                return -EIO;
        }
        return 0;
}

/* Create the accounts and grants that are missing; what was added goes into the step's state. */
static int my_grants_apply(struct xhafw_step *step, const struct my_cfg *c, const char *password)
{
        struct mycnf_buf users = { 0 }, grants = { 0 };
        char err[1024], *grant_pw = NULL;
        unsigned e;
        MYSQL *m;
        int r = 0;

        if (c->n_grant == 0)
                return 0;
        m = my_connect(c, password, MY_QUERY_TIMEOUT_S, err, sizeof err, &e);
        if (!m) {
                xhafw_log(step, LOG_ERR, "cannot connect at %s to add the grants: %s", c->check_host, err);
                return -EIO;
        }
        for (size_t i = 0; i < c->n_grant && r == 0; i++) {
                const char *host = c->grant_hosts[i];
                const char *p[] = { c->grant_user, host, c->grant_db };
                bool user, grant;

                if ((r = my_grant_state(m, c, host, &user, &grant, err, sizeof err)) < 0)
                        break;
                if (user && grant)
                        continue;
                if (xhafw_dry_run(step)) {
                        xhafw_log(step, LOG_NOTICE, "would %sgrant ALL PRIVILEGES ON `%s`.* TO '%s'@'%s'",
                                  user ? "" : "create the account and ", c->grant_db, c->grant_user, host);
                        continue;
                }
                if ((r = my_stmt(m, MY_SET_VARS, p, 3, NULL, err, sizeof err)) < 0)
                        break;
                if (!user) {
                        const char *pw[1];

                        if (!grant_pw &&
                            (r = db_read_password(step, "grant_password_file", c->grant_password_file, &grant_pw)) < 0)
                                break;
                        if (!grant_pw) {
                                xhafw_log(step, LOG_ERR,
                                          "account '%s'@'%s' does not exist and no grant_password_file is set "
                                          "to create it with",
                                          c->grant_user, host);
                                r = -EINVAL;
                                break;
                        }
                        pw[0] = grant_pw;
                        if ((r = my_stmt(m, "SET @xhafw_pw = ?", pw, 1, NULL, err, sizeof err)) < 0 ||
                            (r = my_exec(m, MY_CREATE_USER, err, sizeof err)) < 0)
                                break;
                        if (users.len)
                                mycnf_buf_str(&users, ",");
                        mycnf_buf_str(&users, host);
                }
                if ((r = my_exec(m, MY_GRANT, err, sizeof err)) < 0)
                        break;
                if (grants.len)
                        mycnf_buf_str(&grants, ",");
                mycnf_buf_str(&grants, host);
                xhafw_log(step, LOG_NOTICE, "%sgranted ALL PRIVILEGES ON `%s`.* TO '%s'@'%s'",
                          user ? "" : "created and ", c->grant_db, c->grant_user, host);
        }
        if (r == -EIO)
                xhafw_log(step, LOG_ERR, "cannot add the grants for '%s' on `%s`: %s", c->grant_user, c->grant_db, err);
        my_exec(m, MY_CLEAR_VARS, err, sizeof err);
        mysql_close(m);
        db_free_password(grant_pw);
        if (r == 0 && !users.failed && !grants.failed) {
                r = my_state_merge(step, "users_created", users.data);
                if (r == 0)
                        r = my_state_merge(step, "grants_added", grants.data);
        }
        free(users.data);
        free(grants.data);
        return r;
}

/* With grant_revert: remove what this step's state says it added, while the server still runs here. */
static int my_grants_revert(struct xhafw_step *step, const struct my_cfg *c, const char *password)
{
        const char *users = xhafw_state_get(step, "users_created"), *grants = xhafw_state_get(step, "grants_added");
        char err[1024];
        unsigned e;
        MYSQL *m;
        int r = 0;

        if (!c->grant_revert || ((!users || !*users) && (!grants || !*grants)))
                return 0;
        if (xhafw_dry_run(step)) {
                xhafw_log(step, LOG_NOTICE,
                          "would drop the accounts '%s'@{%s} and revoke the grants to {%s} that this step added",
                          c->grant_user, users ? users : "", grants ? grants : "");
                return 0;
        }
        m = my_connect(c, password, MY_QUERY_TIMEOUT_S, err, sizeof err, &e);
        if (!m) {
                xhafw_log(step, LOG_ERR, "cannot connect at %s to remove the grants this step added: %s", c->check_host,
                          err);
                return -EIO;
        }
        for (int pass = 0; pass < 2 && r == 0; pass++) {
                const char *list = pass == 0 ? users : grants;

                for (const char *p = list; p && *p && r == 0;) {
                        const char *comma = strchr(p, ',');
                        size_t n = comma ? (size_t) (comma - p) : strlen(p);
                        char host[256];
                        const char *params[] = { c->grant_user, host, c->grant_db };
                        bool in_users = false;

                        snprintf(host, sizeof host, "%.*s", (int) (n < sizeof host ? n : sizeof host - 1), p);
                        p = comma ? comma + 1 : p + n;
                        if (pass == 1)
                                for (const char *q = users; q && *q;) {
                                        const char *c2 = strchr(q, ',');
                                        size_t m2 = c2 ? (size_t) (c2 - q) : strlen(q);

                                        if (m2 == strlen(host) && strncmp(q, host, m2) == 0)
                                                in_users = true;
                                        q = c2 ? c2 + 1 : q + m2;
                                }
                        if (in_users || !*host)
                                continue; /* dropped with its account */
                        if ((r = my_stmt(m, MY_SET_VARS, params, 3, NULL, err, sizeof err)) < 0 ||
                            (r = my_exec(m, pass == 0 ? MY_DROP_USER : MY_REVOKE, err, sizeof err)) < 0)
                                break;
                        xhafw_log(step, LOG_NOTICE,
                                  pass == 0 ? "dropped the account '%s'@'%s' this step created" :
                                              "revoked the grant to '%s'@'%s' this step added",
                                  c->grant_user, host);
                }
        }
        if (r < 0)
                xhafw_log(step, LOG_ERR, "cannot remove the grants this step added: %s", err);
        my_exec(m, MY_CLEAR_VARS, err, sizeof err);
        mysql_close(m);
        if (r == 0) {
                xhafw_state_set(step, "users_created", NULL);
                xhafw_state_set(step, "grants_added", NULL);
        }
        return r;
}

/* ---- the actions ---- */

/*
 * Whether the running server needs a restart to serve as configured: it reads bind-address only at
 * start. (A pid-file edit restarts it anyway; a server that runs under another pid file although
 * the file says ours was started by something that ignores the file, and a restart would not help.)
 */
static bool my_needs_restart(struct xhafw_step *step, const struct my_cfg *c, const char *password)
{
        char vals[2][1024], err[1024];
        bool bind_null = false;
        unsigned e;
        int r = my_ask_server(c, password, vals, &bind_null, err, sizeof err, &e);

        if (r < 0) {
                xhafw_log(step, LOG_INFO, "cannot ask the running server for its bind-address and pid-file: %s", err);
                return false;
        }
        for (size_t i = 0; i < c->n_bind; i++)
                if (!mycnf_bind_covers(bind_null ? NULL : vals[1], c->bind[i])) {
                        xhafw_log(step, LOG_NOTICE, "the running server's bind-address '%s' lacks %s", vals[1],
                                  c->bind[i]);
                        return true;
                }
        return false;
}

static int my_apply(struct xhafw_step *step)
{
        struct my_cfg c;
        char *password = NULL, *conf_text = NULL;
        bool changed;
        long pid = 0;
        uint64_t start = xhafw_now_ms();
        int r;

        r = my_cfg_load(step, &c);
        if (r < 0)
                return r;
        if ((r = my_need_data_dir(step, &c)) < 0 ||
            (r = db_read_password(step, "password_file", c.password_file, &password)) < 0)
                goto out;
        r = db_read_file(c.option_file, &conf_text);
        if (r < 0) {
                xhafw_log(step, LOG_ERR, "cannot read %s: %s", c.option_file, strerror(-r));
                goto out;
        }
        /* The guard comes first: a refused step must have changed nothing, not even the option file. */
        r = my_guard(step, &c, conf_text, &pid);
        if (r < 0)
                goto out;
        r = my_edit(step, &c, conf_text, &changed);
        if (r < 0)
                goto out;
        if (pid > 0) {
                if (changed || my_needs_restart(step, &c, password)) {
                        xhafw_log(step, LOG_NOTICE, "%s the server: bind-address and pid-file change only at start",
                                  xhafw_dry_run(step) ? "would restart" : "restarting");
                        r = my_stop(step, &c, pid);
                        if (r == 0)
                                r = my_start(step, &c);
                }
        } else
                r = my_start(step, &c);
        if (r < 0)
                goto out;
        if (xhafw_dry_run(step)) {
                xhafw_log(step, LOG_NOTICE, "would wait up to %llu ms for SELECT 1 to succeed at %s",
                          (unsigned long long) c.ready_timeout_ms, c.check_host);
                if (c.n_grant)
                        xhafw_log(step, LOG_NOTICE, "would then make sure '%s'@{each of grant_hosts} has ALL on `%s`",
                                  c.grant_user, c.grant_db);
                goto out;
        }
        r = my_wait_ready(step, &c, password, start);
        if (r == 0)
                r = my_grants_apply(step, &c, password);
        if (r == 0)
                r = my_places_record(step, &c);
out:
        db_free_password(password);
        free(conf_text);
        my_cfg_free(&c);
        return r;
}

static int my_revert(struct xhafw_step *step)
{
        struct my_cfg c;
        char *password = NULL;
        long pid;
        int r;

        r = my_cfg_load(step, &c);
        if (r < 0)
                return r;
        pid = my_local_server(&c);
        if (!pid)
                pid = my_any_local_server(c.data_dir);
        if (pid > 0 && c.grant_revert) {
                r = db_read_password(step, "password_file", c.password_file, &password);
                if (r == 0)
                        r = my_grants_revert(step, &c, password);
                db_free_password(password);
                if (r < 0)
                        goto out;
        }
        /* bind-address and pid-file stay: both nodes' servers need them, and they change nothing while it is down. */
        r = my_stop(step, &c, pid);
out:
        my_cfg_free(&c);
        return r;
}

/*
 * ACTIVE only when this node's server for data_dir runs (its pid file names it) and answers the
 * query at check_host, proven local, as configured: through the VIP a query may reach the other
 * node's server.
 */
static int my_check(struct xhafw_step *step)
{
        struct my_cfg c;
        struct mycnf_buf missing = { 0 };
        char vals[2][1024], err[1024], *password = NULL;
        bool bind_null = false;
        long pid, other;
        unsigned e;
        int r, state = XHAFW_PARTIAL;

        r = my_cfg_load(step, &c);
        if (r < 0)
                return r;
        pid = my_local_server(&c);
        other = pid ? 0 : my_any_local_server(c.data_dir);
        if (pid == 0 && other == 0) {
                if (my_answering(&c))
                        xhafw_log(step, LOG_INFO,
                                  "a server answers at %s, but no server of this node runs for %s: "
                                  "it is not this node's",
                                  c.check_host, c.data_dir);
                state = XHAFW_INACTIVE;
                goto out;
        }
        r = db_read_password(step, "password_file", c.password_file, &password);
        if (r < 0) {
                state = r;
                goto out;
        }
        r = my_ask_server(&c, password, vals, &bind_null, err, sizeof err, &e);
        if (r < 0) {
                xhafw_log(step, LOG_NOTICE, "server pid %ld runs for %s, but the query at %s failed: %s",
                          pid ? pid : other, c.data_dir, c.check_host, err);
                goto out;
        }
        if (pid == 0) {
                /* Started with another pid file (by a unit that ignores the option file): the one it names must be it. */
                char *text = NULL;
                long named = 0;

                if (db_read_file(vals[0], &text) < 0 || mycnf_pidfile_parse(text, &named) < 0 ||
                    !my_is_local_server(named, c.data_dir)) {
                        xhafw_log(step, LOG_NOTICE,
                                  "server pid %ld of this node runs for %s, but no pid file names it, "
                                  "not even its own (%s)",
                                  other, c.data_dir, vals[0]);
                        free(text);
                        goto out;
                }
                free(text);
                xhafw_log(step, LOG_INFO, "server pid %ld of this node runs for %s with the pid file %s%s%s", named,
                          c.data_dir, vals[0], c.pid_file ? ", not " : "", c.pid_file ? c.pid_file : "");
        }
        for (size_t i = 0; i < c.n_bind; i++)
                if (!mycnf_bind_covers(bind_null ? NULL : vals[1], c.bind[i])) {
                        xhafw_log(step, LOG_NOTICE, "the server's bind-address '%s' lacks %s", vals[1], c.bind[i]);
                        goto out;
                }
        if (c.n_grant) {
                MYSQL *m = my_connect(&c, password, MY_QUERY_TIMEOUT_S, err, sizeof err, &e);

                if (!m || my_grants_missing(m, &c, &missing, err, sizeof err) < 0) {
                        xhafw_log(step, LOG_NOTICE, "cannot look at the grants: %s", err);
                        if (m)
                                mysql_close(m);
                        goto out;
                }
                mysql_close(m);
                if (missing.len) {
                        xhafw_log(step, LOG_NOTICE, "'%s' lacks ALL on `%s` from %s", c.grant_user, c.grant_db,
                                  missing.data);
                        goto out;
                }
        }
        state = XHAFW_ACTIVE;
out:
        free(missing.data);
        db_free_password(password);
        my_cfg_free(&c);
        return state;
}

static int my_describe(struct xhafw_step *step, FILE *out)
{
        struct my_cfg c;
        char *text = NULL, *new_text = NULL, *added = NULL, *value;
        bool bind, pid;
        int r;

        r = my_cfg_load(step, &c);
        if (r < 0)
                return r;
        fprintf(out, "MariaDB server of %s, service %s, port %u, socket %s\n", c.data_dir, c.service, c.port, c.socket);
        fprintf(out, "bind-address in %s (server groups; new settings go to [%s]) must cover: ", c.option_file,
                c.group);
        db_print_list(out, c.bind, c.n_bind);
        if (c.pid_file)
                fprintf(out, "\npid-file must be %s (on the shared storage, where the other node sees it)\n",
                        c.pid_file);
        else
                fprintf(out, "\npid-file: left as the file has it; the server's *.pid files in %s are read\n",
                        c.data_dir);
        fprintf(out, "ready when SELECT 1 succeeds at %s as %s, polled every %llu ms, within %llu ms; password %s%s\n",
                c.check_host, c.user, (unsigned long long) my_poll_ms(), (unsigned long long) c.ready_timeout_ms,
                c.password_file ? "from " : "none", c.password_file ? c.password_file : "");
        fprintf(out,
                "before starting: refuses (exit 6) when no server of this node runs for %s while a server answers at "
                "the socket, check_host, bind_addresses, the option file's bind-address or guard_addresses (",
                c.data_dir);
        db_print_list(out, c.guard, c.n_guard);
        fprintf(out, "), all asked at once, each for up to %llu ms\n", (unsigned long long) c.guard_timeout_ms);
        if (c.n_grant) {
                fprintf(out, "grants: ALL PRIVILEGES ON `%s`.* TO '%s'@ each of: ", c.grant_db, c.grant_user);
                db_print_list(out, c.grant_hosts, c.n_grant);
                fprintf(out, "; accounts created with the password from %s; %s\n",
                        c.grant_password_file ? c.grant_password_file : "(none: they must exist)",
                        c.grant_revert ? "revert removes those this step added" : "revert leaves them");
        }
        fprintf(out,
                "revert: service stop %s, then waits until the server is gone and nothing answers; the option file "
                "stays as edited\n",
                c.service);
        if ((r = db_read_file(c.option_file, &text)) == 0 &&
            (r = my_conf_edit(&c, text, &new_text, &added, &bind, &pid)) >= 0) {
                value = mycnf_value(text, "bind_address", c.group);
                fprintf(out, "would add to bind-address '%s' now: %s%s\n", value ? value : "(unset: every address)",
                        *added ? added : "nothing", pid ? "; would set pid-file" : "");
                free(value);
        } else
                fprintf(out, "cannot tell what it would change in %s now: %s\n", c.option_file, strerror(-r));
        free(text);
        free(new_text);
        free(added);
        my_cfg_free(&c);
        return 0;
}

/* An identifier xCAT would use: letters, digits, '_' and '$' (no pattern characters beyond '_'). */
static bool my_name_ok(const char *s, size_t max)
{
        if (!s || !*s || strlen(s) > max)
                return false;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
                      *s == '$' || *s == '-' || *s == '.'))
                        return false;
        return true;
}

/* Beyond the schema; nothing here reads data_dir, which may be on storage that is not mounted yet. */
static int my_validate(struct xhafw_step *step)
{
        struct my_cfg c;
        int r = 0;

        if (my_cfg_load(step, &c) < 0) {
                xhafw_log(step, LOG_ERR, "incomplete options");
                return -EINVAL;
        }
        if (c.port == 0) {
                xhafw_log(step, LOG_ERR, "port %lld is not a TCP port (1-65535)", c.port_num);
                r = -EINVAL;
        }
        if (c.n_bind == 0) {
                xhafw_log(step, LOG_ERR, "bind_addresses is empty");
                r = -EINVAL;
        }
        for (size_t i = 0; i < c.n_bind; i++)
                if (!mycnf_item_ok(c.bind[i], false)) {
                        xhafw_log(step, LOG_ERR, "bind_addresses: \"%s\" is not a host name or address", c.bind[i]);
                        r = -EINVAL;
                }
        if (c.pid_file && (!mycnf_item_ok(c.pid_file, true) || strchr(c.pid_file, ',') || c.pid_file[0] != '/')) {
                xhafw_log(step, LOG_ERR,
                          "pid_file \"%s\" cannot go into the option file as it is (no blanks, quotes, '#' "
                          "or backslashes)",
                          c.pid_file);
                r = -EINVAL;
        }
        if (!mycnf_item_ok(c.group, false) || strchr(c.group, ']') || strchr(c.group, '[')) {
                xhafw_log(step, LOG_ERR, "option_group \"%s\" is not a group name", c.group);
                r = -EINVAL;
        }
        if (strlen(c.socket) >= sizeof(((struct sockaddr_un *) 0)->sun_path)) {
                xhafw_log(step, LOG_ERR, "socket %s is longer than a Unix socket path may be", c.socket);
                r = -EINVAL;
        }
        if (!*c.check_host || !*c.service || !*c.user) {
                xhafw_log(step, LOG_ERR, "check_host, service and check_user cannot be empty");
                r = -EINVAL;
        }
        if (db_check_timeouts(step, c.ready_timeout_ms, c.guard_timeout_ms) < 0)
                r = -EINVAL;
        if (c.n_grant && (!my_name_ok(c.grant_user, 80) || strchr(c.grant_user, '$'))) {
                xhafw_log(step, LOG_ERR, "grant_user \"%s\" is not an account name (letters, digits, '_', '-', '.')",
                          c.grant_user);
                r = -EINVAL;
        }
        if (c.n_grant && (!my_name_ok(c.grant_db, 64) || strchr(c.grant_db, '-') || strchr(c.grant_db, '.'))) {
                xhafw_log(step, LOG_ERR, "grant_database \"%s\" is not a database name (letters, digits, '_', '$')",
                          c.grant_db);
                r = -EINVAL;
        }
        for (size_t i = 0; i < c.n_grant; i++)
                if (!mycnf_item_ok(c.grant_hosts[i], false) || strlen(c.grant_hosts[i]) > 255) {
                        xhafw_log(step, LOG_ERR, "grant_hosts: \"%s\" is not a host name or address", c.grant_hosts[i]);
                        r = -EINVAL;
                }
        my_cfg_free(&c);
        return r;
}

/* ---- preflight ---- */

/* Where the server is installed: MariaDB's and MySQL's packages (Debian, RHEL, SUSE) and a tarball's. */
static const char *const my_default_servers[] = { "/usr/sbin/mariadbd",          "/usr/sbin/mysqld",
                                                  "/usr/libexec/mariadbd",       "/usr/libexec/mysqld",
                                                  "/usr/local/mysql/bin/mysqld", NULL };
/* The unit test points this at servers of its own. */
static const char *const *my_servers = my_default_servers;
#define MY_PREFLIGHT_STAT_MS 5000

/*
 * The version in what `mariadbd --version` prints ("mariadbd  Ver 10.11.6-MariaDB-0+deb12u1 for
 * debian-linux-gnu ...", "mysqld  Ver 8.0.36 for Linux ..."): the number, with "-MariaDB" when it is
 * MariaDB ("10.11.6-MariaDB", "8.0.36"), without the distribution's build. 0 or -EPROTO.
 */
static int my_parse_version(const char *out, char *buf, size_t size)
{
        const char *p = strstr(out, " Ver ");
        size_t n;

        if (!p)
                return -EPROTO;
        p += 5;
        n = strspn(p, "0123456789.");
        if (n == 0 || n + sizeof "-MariaDB" > size)
                return -EPROTO;
        snprintf(buf, size, "%.*s%s", (int) n, p, strncmp(p + n, "-MariaDB", 8) == 0 ? "-MariaDB" : "");
        return 0;
}

/* The installed server that activate's unit would run, and its version as a fact for the peer. */
static void my_preflight_binary(struct xhafw_step *step)
{
        char list[1024] = "", version[64];

        for (size_t i = 0; my_servers[i]; i++) {
                const char *const argv[] = { my_servers[i], "--version", NULL };
                char *out = NULL;
                size_t len = strlen(list);
                int r;

                if (access(my_servers[i], X_OK) < 0)
                        continue;
                r = xhafw_run(step, argv, XHAFW_RUN_READONLY, &out);
                if (r == 0 && my_parse_version(out ? out : "", version, sizeof version) == 0) {
                        pf_report(step, "server binary", XHAFW_CHECK_PASS, NULL, "%s is MariaDB/MySQL %s",
                                  my_servers[i], version);
                        xhafw_preflight_fact(step, "server version", version);
                        free(out);
                        return;
                }
                free(out);
                snprintf(list + len, sizeof list - len, "%s%s (--version %s %d)", len ? ", " : "", my_servers[i],
                         r < 0 ? "failed:" :
                         r > 0 ? "exited" :
                                 "said no version:",
                         r < 0 ? -r : r);
        }
        if (*list)
                pf_report(step, "server binary", XHAFW_CHECK_FAIL,
                          "reinstall the server package (mariadb-server, or mysql-server)",
                          "no installed server says its version: %s", list);
        else
                pf_report(step, "server binary", XHAFW_CHECK_FAIL,
                          "install the server: apt-get install mariadb-server (Debian), dnf install mariadb-server "
                          "(RHEL), zypper install mariadb (SUSE)",
                          "no MariaDB or MySQL server is installed (looked for /usr/sbin/mariadbd, /usr/sbin/mysqld, "
                          "/usr/libexec/mariadbd, /usr/libexec/mysqld, /usr/local/mysql/bin/mysqld)");
}

/* The data directory: on the shared storage, so here on the active node, and on a standby only
 * when the storage is mounted. Looked at in a bounded child: the storage's server may be dead. */
static void my_preflight_data_dir(struct xhafw_step *step, const struct my_cfg *c)
{
        char *sys = db_path_join(c->data_dir, "mysql");
        const char *paths[2] = { c->data_dir, sys };
        struct xhafw_stat_result res[2];
        int r;

        if (!sys)
                return;
        r = xhafw_stat_bounded(step, paths, 2, MY_PREFLIGHT_STAT_MS, res, NULL);
        if (r < 0)
                pf_report(step, "data directory", XHAFW_CHECK_FAIL, "check the shared storage's server and paths",
                          "%s: %s", c->data_dir, r == -ETIMEDOUT ? "does not answer within 5 s" : strerror(-r));
        else if (res[0].err || res[1].err) {
                const char *what = res[0].err ? c->data_dir : sys;
                int err = res[0].err ? res[0].err : res[1].err;

                if (xhafw_node_active(step))
                        pf_report(step, "data directory", XHAFW_CHECK_FAIL,
                                  "mount the shared storage (the storage step), or correct data_dir; "
                                  "mariadb-install-db only for a new server",
                                  "%s: %s", what, strerror(err));
                else
                        pf_report(step, "data directory", XHAFW_CHECK_PASS, NULL,
                                  "%s is not here (%s): it is on the shared storage, mounted on the active node", what,
                                  strerror(err));
        } else if (!S_ISDIR(res[0].mode) || !S_ISDIR(res[1].mode))
                pf_report(step, "data directory", XHAFW_CHECK_FAIL, "correct data_dir",
                          "%s is not a MariaDB data directory: %s is not a directory", c->data_dir,
                          S_ISDIR(res[0].mode) ? sys : c->data_dir);
        else
                pf_report(step, "data directory", XHAFW_CHECK_PASS, NULL, "%s holds a MariaDB data directory (mysql/)",
                          c->data_dir);
        free(sys);
}

/* Apply edits the option file; the server reads it. */
static void my_preflight_option_file(struct xhafw_step *step, const struct my_cfg *c)
{
        char *text = NULL;
        int r = db_read_file(c->option_file, &text);

        if (r < 0)
                pf_report(step, "option file", XHAFW_CHECK_FAIL,
                          "install the server's option file (the package's my.cnf), or correct option_file",
                          "cannot read %s: %s", c->option_file, strerror(-r));
        else
                pf_report(step, "option file", XHAFW_CHECK_PASS, NULL, "%s is readable", c->option_file);
        free(text);
}

/* Whether a server listens at the Unix socket path: 1, 0 (none: no file, nobody accepts), -errno. */
static int my_socket_listens(const char *path)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd, r;

        if (strlen(path) >= sizeof sa.sun_path)
                return -ENAMETOOLONG;
        memcpy(sa.sun_path, path, strlen(path) + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        r = connect(fd, (struct sockaddr *) &sa, sizeof sa) == 0 || errno == EAGAIN ? 1 :
            errno == ENOENT || errno == ECONNREFUSED                                ? 0 :
                                                                                      -errno;
        close(fd);
        return r;
}

/* The server's port and socket: free on a standby, where activate's server must take them. */
static void my_preflight_listen(struct xhafw_step *step, const struct my_cfg *c)
{
        bool active = xhafw_node_active(step);
        char who[256], fix[512];
        int r = pf_tcp_listener(c->port, who, sizeof who);

        if (active)
                pf_report(step, "port free", XHAFW_CHECK_PASS, NULL,
                          "this node holds the role: %s listens on TCP port %u", r > 0 ? who : "nothing", c->port);
        else if (r > 0) {
                snprintf(fix, sizeof fix, "stop %s (ss -ltnp 'sport = :%u' names it), or give the step another port",
                         who, c->port);
                pf_report(step, "port free", XHAFW_CHECK_FAIL, fix,
                          "%s listens on TCP port %u on this standby: activate's server could not", who, c->port);
        } else if (r < 0)
                pf_report(step, "port free", XHAFW_CHECK_WARN, "ss -ltnp 'sport = :PORT' tells by hand",
                          "cannot tell whether TCP port %u is free: %s", c->port, strerror(-r));
        else
                pf_report(step, "port free", XHAFW_CHECK_PASS, NULL, "nothing listens on TCP port %u", c->port);

        r = my_socket_listens(c->socket);
        if (active)
                pf_report(step, "socket free", XHAFW_CHECK_PASS, NULL, "this node holds the role: %s %s", c->socket,
                          r > 0 ? "answers" : "does not answer");
        else if (r > 0) {
                snprintf(fix, sizeof fix,
                         "stop the server that listens there (ss -lxp names it), or give the step another socket");
                pf_report(step, "socket free", XHAFW_CHECK_FAIL, fix,
                          "a server listens at %s on this standby: activate's server could not, and check_host "
                          "localhost would reach that one",
                          c->socket);
        } else if (r < 0)
                pf_report(step, "socket free", XHAFW_CHECK_WARN, "ss -lxp tells by hand",
                          "cannot tell whether anything listens at %s: %s", c->socket, strerror(-r));
        else
                pf_report(step, "socket free", XHAFW_CHECK_PASS, NULL, "nothing listens at %s", c->socket);
}

static int my_preflight(struct xhafw_step *step)
{
        struct my_cfg c;
        int r = my_cfg_load(step, &c);

        if (r < 0)
                return r;
        my_preflight_data_dir(step, &c);
        my_preflight_binary(step);
        my_preflight_option_file(step, &c);
        pf_service(step, c.service);
        my_preflight_listen(step, &c);
        my_cfg_free(&c);
        return 0;
}

XHAFW_PLUGIN_DEFINE(
                .name = "mariadb", .version = "1.0",
                .summary =
                        "MariaDB/MySQL on shared storage: bind addresses, pid file, start, ready by query, split-brain guard, grants",
                .options = my_options, .describe = my_describe, .check = my_check, .apply = my_apply,
                .revert = my_revert, .validate = my_validate, .preflight = my_preflight);
