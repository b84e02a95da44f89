/* Preflight checks the plugins share: a unit's boot and run state, commands on the configured path,
 * a TCP port's listener. Read-only: queries only, through the runner. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preflight.h"

#define PF_MAX_PROCESSES 1000000
#define PF_MAX_FDS 65536

void pf_report(struct xhafw_step *step, const char *check, enum xhafw_check_result result, const char *fix,
               const char *fmt, ...)
{
        char detail[1400];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
        xhafw_preflight_check(step, check, result, detail, result == XHAFW_CHECK_PASS ? NULL : fix);
}

int pf_path(struct xhafw_step *step, char **ret)
{
        /* The plugin is not told the configured path: the runner builds the commands' environment
         * from it, so a command it runs says what it is. */
        const char *const argv[] = { "/usr/bin/printenv", "PATH", NULL };
        char *out = NULL;
        int r = xhafw_run(step, argv, XHAFW_RUN_READONLY, &out);

        if (r != 0) {
                free(out);
                return r < 0 ? r : -EIO;
        }
        out[strcspn(out, "\n")] = '\0';
        *ret = out;
        return 0;
}

static bool executable_file(const char *file)
{
        struct stat st;

        return stat(file, &st) == 0 && S_ISREG(st.st_mode) && faccessat(AT_FDCWD, file, X_OK, AT_EACCESS) == 0;
}

int pf_which(const char *path, const char *cmd, char **ret)
{
        const char *p = path;

        if (strchr(cmd, '/')) {
                if (!executable_file(cmd))
                        return -ENOENT;
                *ret = strdup(cmd);
                return *ret ? 0 : -ENOMEM;
        }
        while (*p) {
                const char *colon = strchr(p, ':');
                size_t n = colon ? (size_t) (colon - p) : strlen(p);
                if (n > 0) {
                        char *cand = NULL;
                        if (asprintf(&cand, "%.*s/%s", (int) n, p, cmd) < 0)
                                return -ENOMEM;
                        if (executable_file(cand)) {
                                *ret = cand;
                                return 0;
                        }
                        free(cand);
                }
                if (!colon)
                        break;
                p = colon + 1;
        }
        return -ENOENT;
}

void pf_commands(struct xhafw_step *step, const char *const cmds[], const char *fix)
{
        char found[1024] = "", missing[512] = "";
        char *path = NULL, *file;
        int r = pf_path(step, &path);

        if (r < 0) {
                pf_report(step, "commands on the path", XHAFW_CHECK_WARN,
                          "check path = in xhafw.conf: it must hold /usr/bin (for printenv)",
                          "cannot tell: the configured path could not be read (%s)", strerror(-r));
                return;
        }
        for (size_t i = 0; cmds[i]; i++) {
                char *buf = found;
                size_t size = sizeof found, len;
                if (pf_which(path, cmds[i], &file) == 0) {
                        len = strlen(buf);
                        snprintf(buf + len, size - len, "%s%s", len ? ", " : "", file);
                        free(file);
                } else {
                        len = strlen(missing);
                        snprintf(missing + len, sizeof missing - len, "%s%s", len ? ", " : "", cmds[i]);
                }
        }
        if (*missing)
                pf_report(step, "commands on the path", XHAFW_CHECK_FAIL, fix, "%s not found along path %s", missing,
                          path);
        else
                pf_report(step, "commands on the path", XHAFW_CHECK_PASS, NULL, "%s", found);
        free(path);
}

void pf_service(struct xhafw_step *step, const char *unit)
{
        char fix[512];
        int r;

        /* systemctl status: 0 running, 1 to 3 not running, 4 no such unit (the LSB codes) */
        r = xhafw_service(step, "status", unit);
        if (r == 4) {
                snprintf(fix, sizeof fix, "install the package that ships %s, or name the right unit in the step",
                         unit);
                pf_report(step, "unit exists", XHAFW_CHECK_FAIL, fix,
                          "the service manager has no unit %s (status exits 4): activate could not start it", unit);
                return;
        }
        if (r < 0 || r > 4) {
                snprintf(fix, sizeof fix, "run `systemctl status %s`; check service_manager in xhafw.conf", unit);
                pf_report(step, "unit exists", XHAFW_CHECK_WARN, fix, "cannot tell: status %s %s %d", unit,
                          r < 0 ? "failed:" : "exited", r < 0 ? -r : r);
        } else
                pf_report(step, "unit exists", XHAFW_CHECK_PASS, NULL, "the service manager knows %s", unit);

        /* is-enabled exits 0 for a unit started at boot (enabled, static, indirect, generated), 1
         * for disabled or masked, 4 for no such unit. */
        r = xhafw_service(step, "is-enabled", unit);
        snprintf(fix, sizeof fix, "systemctl disable %s", unit);
        if (r == 0)
                pf_report(step, "not enabled at boot", XHAFW_CHECK_FAIL, fix,
                          "%s is enabled at boot (is-enabled exits 0): after a reboot it would start without the "
                          "rest of the role",
                          unit);
        else if (r == 1)
                pf_report(step, "not enabled at boot", XHAFW_CHECK_PASS, NULL, "%s is disabled or masked", unit);
        else {
                snprintf(fix, sizeof fix, "run `systemctl is-enabled %s`; if it says enabled: systemctl disable %s",
                         unit, unit);
                pf_report(step, "not enabled at boot", XHAFW_CHECK_WARN, fix, "cannot tell: is-enabled %s %s %d", unit,
                          r < 0 ? "failed:" : "exited", r < 0 ? -r : r);
        }

        r = xhafw_service(step, "is-active", unit);
        if (xhafw_node_active(step)) {
                pf_report(step, "not running on a standby", XHAFW_CHECK_PASS, NULL,
                          "this node holds the role: %s %s here", unit, r == 0 ? "runs" : "does not run");
                return;
        }
        snprintf(fix, sizeof fix, "systemctl stop %s (only the active node runs it)", unit);
        if (r == 0)
                pf_report(step, "not running on a standby", XHAFW_CHECK_FAIL, fix, "%s is active on this standby",
                          unit);
        else if (r == 3 || r == 4)
                pf_report(step, "not running on a standby", XHAFW_CHECK_PASS, NULL, "%s is inactive", unit);
        else {
                snprintf(fix, sizeof fix, "run `systemctl is-active %s`; if it says active: systemctl stop %s", unit,
                         unit);
                pf_report(step, "not running on a standby", XHAFW_CHECK_WARN, fix, "cannot tell: is-active %s %s %d",
                          unit, r < 0 ? "failed:" : "exited", r < 0 ? -r : r);
        }
}

/* The inode of a socket that listens on PORT in the table FILE (/proc/net/tcp, tcp6): 1, 0 none,
 * -errno. */
static int listening_inode(const char *file, unsigned port, unsigned long *ret_inode)
{
        char line[512];
        FILE *f = fopen(file, "re");
        int r = 0;

        if (!f)
                return errno == ENOENT ? 0 : -errno; /* no IPv6 here */
        /* sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode */
        while (r == 0 && fgets(line, sizeof line, f)) {
                unsigned lport, st;
                unsigned long inode;
                if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x %*s %*s %*s %*u %*u %lu", &lport, &st,
                           &inode) == 3 &&
                    st == 0x0A && lport == port) {
                        *ret_inode = inode;
                        r = 1;
                }
        }
        fclose(f);
        return r;
}

/* The process holding socket INODE: the first one found in /proc. */
static bool socket_holder(unsigned long inode, char *who, size_t size)
{
        char want[64], link[64];
        struct dirent *de;
        size_t seen = 0;
        bool found = false;
        DIR *d = opendir("/proc");

        if (!d)
                return false;
        snprintf(want, sizeof want, "socket:[%lu]", inode);
        while (!found && seen < PF_MAX_PROCESSES && (de = readdir(d))) {
                char name[300];
                struct dirent *fe;
                size_t fds = 0;
                DIR *fd_dir;
                int fd;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                seen++;
                snprintf(name, sizeof name, "%s/fd", de->d_name);
                fd = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0 || !(fd_dir = fdopendir(fd))) {
                        if (fd >= 0)
                                close(fd);
                        continue;
                }
                while (!found && fds++ < PF_MAX_FDS && (fe = readdir(fd_dir))) {
                        ssize_t k = readlinkat(dirfd(fd_dir), fe->d_name, link, sizeof link - 1);
                        if (k <= 0)
                                continue;
                        link[k] = '\0';
                        found = strcmp(link, want) == 0;
                }
                closedir(fd_dir);
                if (found) {
                        char comm[64] = "";
                        int cfd;
                        ssize_t k;
                        snprintf(name, sizeof name, "%s/comm", de->d_name);
                        cfd = openat(dirfd(d), name, O_RDONLY | O_CLOEXEC);
                        k = cfd >= 0 ? read(cfd, comm, sizeof comm - 1) : -1;
                        if (cfd >= 0)
                                close(cfd);
                        comm[k > 0 ? k : 0] = '\0';
                        comm[strcspn(comm, "\n")] = '\0';
                        snprintf(who, size, "pid %s (%s)", de->d_name, comm);
                }
        }
        closedir(d);
        return found;
}

int pf_tcp_listener(unsigned port, char *who, size_t size)
{
        static const char *const tables[] = { "/proc/net/tcp", "/proc/net/tcp6" };
        unsigned long inode = 0;

        for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
                int r = listening_inode(tables[i], port, &inode);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                if (!socket_holder(inode, who, size))
                        snprintf(who, size, "a process of another namespace (socket inode %lu)", inode);
                return 1;
        }
        return 0;
}
