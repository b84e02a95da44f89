/* storage: the shared filesystem and the local directories served from it, through libmount. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libmount.h>

#include <xhafw/plugin.h>

/* A dead NFS server makes stat() wait forever: paths on the shared filesystem are only looked at
 * from a child process that is abandoned after this long. */
#define PROBE_TIMEOUT_MS 5000
/* check only says why the shared filesystem is not mounted, and must not hold status up */
#define CHECK_PROBE_TIMEOUT_MS 1000
/* kill_holders: how long holders get to exit after SIGTERM, then after SIGKILL. */
#define TERM_WAIT_MS 5000
#define KILL_WAIT_MS 2000
#define MAX_PATHS 256
#define MAX_HOLDERS 64
#define MAX_PROCESSES 1000000
#define LOCAL_SUFFIX ".xhafw-local"

static const struct xhafw_option storage_options[] = {
        { "device", XHAFW_OPT_STRING, false, NULL,
          "what to mount at mountpoint (an NFS export, a block device, a directory with options = bind); "
          "unset: the shared filesystem is mounted by someone else and only checked" },
        { "fstype", XHAFW_OPT_STRING, false, "auto", "filesystem type of device" },
        { "options", XHAFW_OPT_STRING, false, "", "mount options of device" },
        { "mountpoint", XHAFW_OPT_PATH, true, NULL, "where the shared filesystem is" },
        { "paths", XHAFW_OPT_LIST, true, NULL,
          "local directories served from the shared filesystem: local P is connected to mountpoint + P" },
        { "link", XHAFW_OPT_STRING, false, "bind",
          "bind or symlink: how each path is connected; symlink moves the local directory aside to "
          "P" LOCAL_SUFFIX " and restores it on revert" },
        { "kill_holders", XHAFW_OPT_BOOL, false, "no",
          "on revert, end processes that keep a path busy (SIGTERM, then SIGKILL)" },
        { "fstab", XHAFW_OPT_PATH, false, "/etc/fstab",
          "preflight: the file whose entries must not mount the shared filesystem or a path at boot" },
        { .name = NULL },
};

enum link_mode {
        LINK_BIND,
        LINK_SYMLINK
};

struct storage_conf {
        const char *device; /* NULL: mounted by someone else */
        const char *fstype; /* NULL: auto */
        const char *options;
        char *mountpoint; /* normalized */
        char **paths;     /* normalized local paths */
        char **sources;   /* mountpoint + path */
        size_t n_paths;
        enum link_mode link;
        bool kill_holders;
};

/* Where directories of the shared filesystem show up in the mount table: a bind mount of
 * mountpoint + P has the device number of the filesystem holding the mount point and the root
 * "root + P". Comparing with these needs no stat(), so it cannot hang on a dead server. */
struct shared_loc {
        dev_t devno;
        char *root;         /* root of mountpoint inside its filesystem */
        const char *target; /* mount point of the filesystem holding mountpoint */
};

enum path_state {
        PATH_ABSENT,
        PATH_LINKED,
        PATH_FOREIGN
};

struct holder {
        pid_t pid;
        char comm[32];
        const char *how; /* "cwd", "root", "open file", "mapped file" */
        bool ours;       /* xhafw itself or its ancestors: never killed */
};

/* ---- small helpers ---- */

static char *join(const char *a, const char *b)
{
        size_t la = strlen(a), lb;
        char *r;

        while (la > 0 && a[la - 1] == '/')
                la--;
        while (*b == '/')
                b++;
        lb = strlen(b);
        r = malloc(la + lb + 2);
        if (!r)
                return NULL;
        memcpy(r, a, la);
        if (lb == 0 && la > 0) {
                r[la] = '\0';
                return r;
        }
        r[la] = '/';
        memcpy(r + la + 1, b, lb + 1);
        return r;
}

static char *suffixed(const char *s, const char *suffix)
{
        size_t ls = strlen(s), lx = strlen(suffix);
        char *r = malloc(ls + lx + 1);

        if (!r)
                return NULL;
        memcpy(r, s, ls);
        memcpy(r + ls, suffix, lx + 1);
        return r;
}

/* An absolute path with "//" and trailing slashes removed; "." and ".." are refused because the
 * mount table only knows canonical paths. */
static int normalize_path(const char *in, char **ret)
{
        size_t n = strlen(in), i, o = 0;
        char *r;

        if (in[0] != '/' || n >= PATH_MAX)
                return -EINVAL;
        r = malloc(n + 1);
        if (!r)
                return -ENOMEM;
        for (i = 0; i < n; i++) {
                if (in[i] == '/' && o > 0 && r[o - 1] == '/')
                        continue;
                r[o++] = in[i];
        }
        while (o > 1 && r[o - 1] == '/')
                o--;
        r[o] = '\0';
        if (strstr(r, "/./") || strstr(r, "/../") || (o >= 2 && strcmp(r + o - 2, "/.") == 0) ||
            (o >= 3 && strcmp(r + o - 3, "/..") == 0)) {
                free(r);
                return -EINVAL;
        }
        *ret = r;
        return 0;
}

/* path is dir or below it */
static bool path_under(const char *path, const char *dir)
{
        size_t n = strlen(dir);

        if (strcmp(dir, "/") == 0)
                return true;
        return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static void storage_conf_free(struct storage_conf *c)
{
        for (size_t i = 0; i < c->n_paths; i++) {
                free(c->paths[i]);
                free(c->sources[i]);
        }
        free(c->paths);
        free(c->sources);
        free(c->mountpoint);
        memset(c, 0, sizeof(*c));
}

/* Options as the plugin uses them; -EINVAL after logging when they cannot be used at all. */
static int storage_conf_load(struct xhafw_step *step, struct storage_conf *c)
{
        const char *const *items;
        const char *s;
        size_t n;
        int r;

        memset(c, 0, sizeof(*c));
        c->device = xhafw_opt_string(step, "device");
        if (c->device && !*c->device)
                c->device = NULL;
        c->fstype = xhafw_opt_string(step, "fstype");
        if (c->fstype && (!*c->fstype || strcmp(c->fstype, "auto") == 0))
                c->fstype = NULL;
        c->options = xhafw_opt_string(step, "options");
        if (c->options && !*c->options)
                c->options = NULL;
        c->kill_holders = xhafw_opt_bool(step, "kill_holders");

        s = xhafw_opt_string(step, "link");
        if (!s || strcmp(s, "bind") == 0)
                c->link = LINK_BIND;
        else if (strcmp(s, "symlink") == 0)
                c->link = LINK_SYMLINK;
        else {
                xhafw_log(step, LOG_ERR, "link = %s: must be bind or symlink", s);
                return -EINVAL;
        }

        s = xhafw_opt_string(step, "mountpoint");
        if (!s || normalize_path(s, &c->mountpoint) < 0 || strcmp(c->mountpoint, "/") == 0) {
                xhafw_log(step, LOG_ERR,
                          "mountpoint = %s: must be an absolute path other than /, "
                          "without . or .. components",
                          s ? s : "(unset)");
                storage_conf_free(c);
                return -EINVAL;
        }

        n = xhafw_opt_list(step, "paths", &items);
        if (n == 0 || n > MAX_PATHS) {
                xhafw_log(step, LOG_ERR, "paths: between 1 and %d directories expected, got %zu", MAX_PATHS, n);
                storage_conf_free(c);
                return -EINVAL;
        }
        c->paths = calloc(n, sizeof(char *));
        c->sources = calloc(n, sizeof(char *));
        if (!c->paths || !c->sources) {
                storage_conf_free(c);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                r = normalize_path(items[i], &c->paths[i]);
                if (r == -ENOMEM) {
                        storage_conf_free(c);
                        return r;
                }
                c->n_paths = i + 1;
                if (r < 0 || strcmp(c->paths[i], "/") == 0) {
                        xhafw_log(step, LOG_ERR,
                                  "paths: '%s' must be an absolute path other than /, "
                                  "without . or .. components",
                                  items[i]);
                        storage_conf_free(c);
                        return -EINVAL;
                }
                c->sources[i] = join(c->mountpoint, c->paths[i]);
                if (!c->sources[i]) {
                        storage_conf_free(c);
                        return -ENOMEM;
                }
        }
        return 0;
}

/* ---- the mount table ---- */

static struct libmnt_table *table_read(struct xhafw_step *step)
{
        struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");

        if (!tb)
                xhafw_log(step, LOG_ERR, "cannot read the mount table /proc/self/mountinfo");
        return tb;
}

static void loc_free(struct shared_loc *l)
{
        free(l->root);
        l->root = NULL;
}

/* The filesystem that holds path: the topmost mount at path or at its nearest ancestor. Done on
 * the strings of the table, unlike mnt_table_find_mountpoint(), which stat()s the path. */
static struct libmnt_fs *containing_fs(struct libmnt_table *tb, const char *path)
{
        struct libmnt_fs *fs = NULL;
        char *p = strdup(path), *slash;

        if (!p)
                return NULL;
        while (!(fs = mnt_table_find_target(tb, p, MNT_ITER_BACKWARD))) {
                slash = strrchr(p, '/');
                if (!slash || p[1] == '\0')
                        break;
                if (slash == p)
                        slash[1] = '\0';
                else
                        *slash = '\0';
        }
        free(p);
        return fs;
}

static int shared_locate(struct libmnt_table *tb, const char *mountpoint, struct shared_loc *ret)
{
        struct libmnt_fs *fs = containing_fs(tb, mountpoint);
        const char *target, *root;

        if (!fs)
                return -ENOENT;
        target = mnt_fs_get_target(fs);
        root = mnt_fs_get_root(fs);
        if (!target || !root)
                return -ENOENT;
        ret->devno = mnt_fs_get_devno(fs);
        ret->target = target;
        ret->root = join(root, strcmp(target, "/") == 0 ? mountpoint : mountpoint + strlen(target));
        return ret->root ? 0 : -ENOMEM;
}

static bool fs_is_source(struct libmnt_fs *fs, const struct shared_loc *loc, const char *path)
{
        const char *root = mnt_fs_get_root(fs);
        char *want;
        bool r;

        if (!root || mnt_fs_get_devno(fs) != loc->devno)
                return false;
        want = join(loc->root, path);
        r = want && strcmp(want, root) == 0;
        free(want);
        return r;
}

static void describe_fs(struct libmnt_fs *fs, char *buf, size_t len)
{
        const char *src = mnt_fs_get_source(fs), *type = mnt_fs_get_fstype(fs), *root = mnt_fs_get_root(fs);

        snprintf(buf, len, "%s%s%s (%s) mounted on it", src ? src : "?", root && strcmp(root, "/") != 0 ? ":" : "",
                 root && strcmp(root, "/") != 0 ? root : "", type ? type : "?");
}

/* Is the shared filesystem there? With a device: that device is mounted at mountpoint (libmount's
 * own comparison, which understands bind mounts). Without: mountpoint is on some filesystem other
 * than the root one, mounted by whoever owns it. */
static bool shared_present(const struct storage_conf *c, struct libmnt_table *tb)
{
        if (c->device) {
                struct libmnt_fs *fs = mnt_new_fs();
                bool r;

                if (!fs)
                        return false;
                mnt_fs_set_source(fs, c->device);
                mnt_fs_set_target(fs, c->mountpoint);
                mnt_fs_set_options(fs, c->options ? c->options : "defaults");
                if (c->fstype)
                        mnt_fs_set_fstype(fs, c->fstype);
                r = mnt_table_is_fs_mounted(tb, fs) == 1;
                mnt_unref_fs(fs);
                if (!r) {
                        /* libmount matches a mount by its device, which it can no longer name when
                         * the device (a bind's directory, a device node) has gone while mounted:
                         * then whatever the table has on the mountpoint is ours, still mounted,
                         * and revert must unmount it rather than call it gone. */
                        struct libmnt_fs *on = mnt_table_find_target(tb, c->mountpoint, MNT_ITER_BACKWARD);
                        struct stat st;
                        r = on && stat(c->device, &st) < 0 && errno == ENOENT && c->device[0] == '/';
                }
                return r;
        } else {
                struct libmnt_fs *fs = containing_fs(tb, c->mountpoint);
                const char *t = fs ? mnt_fs_get_target(fs) : NULL;

                return t && strcmp(t, "/") != 0;
        }
}

/* The mount table as the actions see it: *ret_tb (the caller unrefs it, also on failure), where
 * mountpoint's filesystem is (*ret_loc, the caller frees it) and, with ret_shared, whether the
 * shared filesystem is there. 0, -EIO when the table cannot be read, or shared_locate's error. */
static int mount_view_read(struct xhafw_step *step, const struct storage_conf *c, struct libmnt_table **ret_tb,
                           struct shared_loc *ret_loc, bool *ret_shared)
{
        *ret_tb = table_read(step);
        if (!*ret_tb)
                return -EIO;
        if (ret_shared)
                *ret_shared = shared_present(c, *ret_tb);
        return shared_locate(*ret_tb, c->mountpoint, ret_loc);
}

static enum path_state path_state(const struct storage_conf *c, struct libmnt_table *tb, const struct shared_loc *loc,
                                  size_t i, char *why, size_t len)
{
        const char *p = c->paths[i];
        struct libmnt_fs *fs = mnt_table_find_target(tb, p, MNT_ITER_BACKWARD);
        char link[PATH_MAX];
        ssize_t k;

        if (fs && c->link == LINK_BIND) {
                if (fs_is_source(fs, loc, p))
                        return PATH_LINKED;
                describe_fs(fs, why, len);
                return PATH_FOREIGN;
        }
        if (fs) {
                describe_fs(fs, why, len);
                return PATH_FOREIGN;
        }
        /* p itself is not a mount point, so its parent directory answers: a local lookup */
        k = readlink(p, link, sizeof(link) - 1);
        if (k >= 0) {
                link[k] = '\0';
                if (c->link == LINK_SYMLINK && strcmp(link, c->sources[i]) == 0)
                        return PATH_LINKED;
                snprintf(why, len, "a symbolic link to %s", link);
                return PATH_FOREIGN;
        }
        return PATH_ABSENT;
}

/* ---- mounting through libmount ---- */

static struct libmnt_context *context_new(bool helpers)
{
        struct libmnt_context *cxt = mnt_new_context();

        if (!cxt)
                return NULL;
        /* No canonicalization (it stats, which hangs on a dead server), no fstab, no utab: the
         * mount table of the kernel is the only truth. mount.nfs and friends stay allowed for the
         * shared filesystem, as NFS needs them; binds never need one. */
        mnt_context_disable_canonicalize(cxt, 1);
        mnt_context_disable_mtab(cxt, 1);
        mnt_context_set_optsmode(cxt, MNT_OMODE_IGNORE | MNT_OMODE_NOTAB);
        mnt_context_disable_helpers(cxt, !helpers);
        return cxt;
}

static int context_error(struct libmnt_context *cxt, int rc, char *buf, size_t len)
{
        int err = 0;

        if (mnt_context_syscall_called(cxt))
                err = mnt_context_get_syscall_errno(cxt);
        else if (mnt_context_helper_executed(cxt))
                err = mnt_context_get_helper_status(cxt) == 0 ? 0 : EIO;
        if (!err)
                err = rc < 0 ? -rc : rc > 0 ? rc : EIO;
        if (err > 4095)
                err = EIO;
        buf[0] = '\0';
        mnt_context_get_excode(cxt, rc, buf, len);
        if (!buf[0])
                snprintf(buf, len, "%s", strerror(err));
        return -err;
}

static int do_mount(struct xhafw_step *step, const char *source, const char *target, const char *fstype,
                    const char *options, bool helpers)
{
        struct libmnt_context *cxt = context_new(helpers);
        char msg[512];
        int rc;

        if (!cxt)
                return -ENOMEM;
        mnt_context_set_source(cxt, source);
        mnt_context_set_target(cxt, target);
        if (fstype)
                mnt_context_set_fstype(cxt, fstype);
        if (options)
                mnt_context_set_options(cxt, options);
        rc = mnt_context_mount(cxt);
        if (rc != 0 || mnt_context_get_status(cxt) != 1) {
                rc = context_error(cxt, rc, msg, sizeof(msg));
                xhafw_log(step, LOG_ERR, "cannot mount %s on %s: %s", source, target, msg);
        } else
                rc = 0;
        mnt_free_context(cxt);
        return rc;
}

static int do_umount(const char *target, bool helpers, char *msg, size_t len)
{
        struct libmnt_context *cxt = context_new(helpers);
        int rc;

        if (!cxt)
                return -ENOMEM;
        mnt_context_set_target(cxt, target);
        rc = mnt_context_umount(cxt);
        if (rc != 0 || mnt_context_get_status(cxt) != 1)
                rc = context_error(cxt, rc, msg, len);
        else
                rc = 0;
        mnt_free_context(cxt);
        return rc;
}

/* ---- processes that keep a path busy ---- */

static bool link_under(const char *link, const char *path)
{
        size_t n = strlen(link);
        static const char deleted[] = " (deleted)";

        if (n > sizeof(deleted) - 1 && strcmp(link + n - (sizeof(deleted) - 1), deleted) == 0) {
                char tmp[PATH_MAX];

                n -= sizeof(deleted) - 1;
                if (n >= sizeof(tmp))
                        return false;
                memcpy(tmp, link, n);
                tmp[n] = '\0';
                return path_under(tmp, path);
        }
        return path_under(link, path);
}

static bool proc_link_under(int dirfd, const char *name, const char *path)
{
        char buf[PATH_MAX];
        ssize_t k = readlinkat(dirfd, name, buf, sizeof(buf) - 1);

        if (k <= 0)
                return false;
        buf[k] = '\0';
        return link_under(buf, path);
}

/* What in /proc/PID keeps path busy; NULL if nothing. Only readlink and reads of /proc: nothing
 * here looks at the filesystem itself, so a dead server cannot block it (unlike fuser). */
static const char *proc_holds(int pdir, const char *path)
{
        const char *how = NULL;
        char line[PATH_MAX + 256];
        DIR *d;
        FILE *f;
        int fd;

        if (proc_link_under(pdir, "cwd", path))
                return "cwd";
        if (proc_link_under(pdir, "root", path))
                return "root";
        fd = openat(pdir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
                d = fdopendir(fd);
                if (!d)
                        close(fd);
                else {
                        struct dirent *de;

                        while (!how && (de = readdir(d)))
                                if (de->d_name[0] != '.' && proc_link_under(dirfd(d), de->d_name, path))
                                        how = "open file";
                        closedir(d);
                }
        }
        if (how)
                return how;
        fd = openat(pdir, "maps", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                f = fdopen(fd, "r");
                if (!f)
                        close(fd);
                else {
                        while (!how && fgets(line, sizeof(line), f)) {
                                /* address perms offset dev inode pathname */
                                char *s = line;
                                for (int field = 0; field < 5 && s; field++) {
                                        s = strchr(s, ' ');
                                        if (s)
                                                s++;
                                }
                                if (!s)
                                        continue;
                                s += strspn(s, " ");
                                s[strcspn(s, "\n")] = '\0';
                                if (*s == '/' && link_under(s, path))
                                        how = "mapped file";
                        }
                        fclose(f);
                }
        }
        return how;
}

static pid_t parent_of(pid_t pid)
{
        char name[64], buf[512], *p;
        long long ppid;
        ssize_t k;
        int fd;

        snprintf(name, sizeof(name), "/proc/%d/stat", (int) pid);
        fd = open(name, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        k = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (k <= 0)
                return 0;
        buf[k] = '\0';
        /* comm may hold spaces and parentheses: the state follows the last ')' */
        p = strrchr(buf, ')');
        if (!p || sscanf(p + 1, " %*c %lld", &ppid) != 1)
                return 0;
        return (pid_t) ppid;
}

static bool is_ancestor(pid_t pid)
{
        pid_t p = getpid();

        for (int i = 0; i < 64 && p > 1; i++) {
                if (p == pid)
                        return true;
                p = parent_of(p);
        }
        return false;
}

static size_t find_holders(const char *path, struct holder *ret, size_t max)
{
        char my_ns[64] = "", ns[64];
        struct dirent *de;
        size_t n = 0, seen = 0;
        ssize_t k;
        DIR *d = opendir("/proc");

        if (!d)
                return 0;
        /* a process in another mount namespace sees other mounts (the same path names maybe)
         * and cannot keep ours busy */
        k = readlink("/proc/self/ns/mnt", my_ns, sizeof(my_ns) - 1);
        my_ns[k > 0 ? k : 0] = '\0';
        while (n < max && seen < MAX_PROCESSES && (de = readdir(d))) {
                char *end;
                long pid;
                const char *how;
                int pdir;

                errno = 0;
                pid = strtol(de->d_name, &end, 10);
                if (errno || *end || pid <= 0)
                        continue;
                seen++;
                if ((pid_t) pid == getpid())
                        continue;
                pdir = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (pdir < 0)
                        continue;
                k = readlinkat(pdir, "ns/mnt", ns, sizeof(ns) - 1);
                ns[k > 0 ? k : 0] = '\0';
                if (my_ns[0] && ns[0] && strcmp(ns, my_ns) != 0) {
                        close(pdir);
                        continue;
                }
                how = proc_holds(pdir, path);
                if (how) {
                        struct holder *h = &ret[n++];
                        int cfd = openat(pdir, "comm", O_RDONLY | O_CLOEXEC);
                        ssize_t c = cfd >= 0 ? read(cfd, h->comm, sizeof(h->comm) - 1) : -1;

                        if (cfd >= 0)
                                close(cfd);
                        if (c <= 0)
                                c = 0;
                        h->comm[c] = '\0';
                        h->comm[strcspn(h->comm, "\n")] = '\0';
                        h->pid = (pid_t) pid;
                        h->how = how;
                        h->ours = is_ancestor(h->pid);
                }
                close(pdir);
        }
        closedir(d);
        return n;
}

static void holders_text(const struct holder *h, size_t n, char *buf, size_t len)
{
        size_t o = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < n && o < len; i++) {
                int k = snprintf(buf + o, len - o, "%spid %d (%s, %s%s)", i ? ", " : "", (int) h[i].pid, h[i].comm,
                                 h[i].how, h[i].ours ? ", xhafw itself" : "");
                if (k < 0)
                        break;
                o += (size_t) k;
        }
}

static bool process_gone(pid_t pid)
{
        char name[64], buf[512], *p;
        ssize_t k;
        int fd;

        if (kill(pid, 0) < 0 && errno == ESRCH)
                return true;
        /* a zombie holds nothing any more */
        snprintf(name, sizeof(name), "/proc/%d/stat", (int) pid);
        fd = open(name, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return true;
        k = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (k <= 0)
                return true;
        buf[k] = '\0';
        p = strrchr(buf, ')');
        return p && (p[2] == 'Z' || p[2] == 'X');
}

static bool wait_gone(const struct holder *h, size_t n, unsigned ms)
{
        uint64_t deadline = xhafw_now_ms() + ms;

        for (;;) {
                bool all = true;

                for (size_t i = 0; i < n; i++)
                        if (!h[i].ours && !process_gone(h[i].pid))
                                all = false;
                if (all)
                        return true;
                if (xhafw_now_ms() >= deadline)
                        return false;
                xhafw_sleep_ms(20);
        }
}

static void kill_holders(struct xhafw_step *step, const char *path, const struct holder *h, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!h[i].ours) {
                        xhafw_log(step, LOG_NOTICE, "%s: sending SIGTERM to pid %d (%s)", path, (int) h[i].pid,
                                  h[i].comm);
                        kill(h[i].pid, SIGTERM);
                }
        if (wait_gone(h, n, TERM_WAIT_MS))
                return;
        for (size_t i = 0; i < n; i++)
                if (!h[i].ours && !process_gone(h[i].pid)) {
                        xhafw_log(step, LOG_WARNING, "%s: pid %d (%s) ignored SIGTERM, sending SIGKILL", path,
                                  (int) h[i].pid, h[i].comm);
                        kill(h[i].pid, SIGKILL);
                }
        wait_gone(h, n, KILL_WAIT_MS);
}

/* Unmount target; when it is busy, name the holders, or end them with kill_holders and retry.
 * Never lazy: a lazy unmount "succeeds" while the data stays in use. */
static int umount_busy_aware(struct xhafw_step *step, const struct storage_conf *c, struct libmnt_table *tb,
                             const char *target, bool helpers)
{
        struct holder h[MAX_HOLDERS];
        char msg[512], list[2048];
        size_t n;
        int r;

        r = do_umount(target, helpers, msg, sizeof(msg));
        if (r != -EBUSY) {
                if (r < 0)
                        xhafw_log(step, LOG_ERR, "cannot unmount %s: %s", target, msg);
                return r;
        }
        n = find_holders(target, h, MAX_HOLDERS);
        if (n > 0 && c->kill_holders) {
                kill_holders(step, target, h, n);
                r = do_umount(target, helpers, msg, sizeof(msg));
                if (r != -EBUSY) {
                        if (r < 0)
                                xhafw_log(step, LOG_ERR, "cannot unmount %s: %s", target, msg);
                        return r;
                }
                n = find_holders(target, h, MAX_HOLDERS);
        }
        if (n > 0) {
                holders_text(h, n, list, sizeof(list));
                xhafw_log(step, LOG_ERR, "cannot unmount %s: busy, held by %s; %s", target, list,
                          c->kill_holders ? "they survived SIGKILL" :
                                            "stop them, or set kill_holders = yes to have them ended");
        } else {
                /* no process: something is mounted below it */
                struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
                struct libmnt_fs *fs;
                const char *below = NULL;

                while (it && mnt_table_next_fs(tb, it, &fs) == 0) {
                        const char *t = mnt_fs_get_target(fs);
                        if (t && strcmp(t, target) != 0 && path_under(t, target)) {
                                below = t;
                                break;
                        }
                }
                if (below)
                        xhafw_log(step, LOG_ERR, "cannot unmount %s: busy, %s is mounted below it", target, below);
                else
                        xhafw_log(step, LOG_ERR,
                                  "cannot unmount %s: busy, but no process holds it "
                                  "(a kernel user such as an NFS export or a loop device?)",
                                  target);
                mnt_free_iter(it);
        }
        return -EBUSY;
}

/* ---- state ---- */

static char *state_key(const char *what, const char *path)
{
        size_t lw = strlen(what), lp = strlen(path);
        char *k = malloc(lw + lp + 2);

        if (!k)
                return NULL;
        memcpy(k, what, lw);
        k[lw] = ':';
        memcpy(k + lw + 1, path, lp + 1);
        return k;
}

static const char *state_get_path(struct xhafw_step *step, const char *what, const char *path)
{
        char *k = state_key(what, path);
        const char *v = k ? xhafw_state_get(step, k) : NULL;

        free(k);
        return v;
}

static int state_set_path(struct xhafw_step *step, const char *what, const char *path, const char *value)
{
        char *k = state_key(what, path);
        int r;

        if (!k)
                return -ENOMEM;
        r = xhafw_state_set(step, k, value);
        free(k);
        if (r < 0)
                xhafw_log(step, LOG_ERR, "cannot record %s %s in the state store: %s", what, path, strerror(-r));
        return r;
}

/* mkdir -p path; the topmost directory created is recorded under "created:PATH" so that revert
 * removes exactly what apply made. */
static int make_dir(struct xhafw_step *step, const char *path)
{
        char *top = NULL, *tmp = strdup(path);
        int r = 0;

        if (!tmp)
                return -ENOMEM;
        for (char *s = tmp + 1;; s++) {
                if (*s != '/' && *s != '\0')
                        continue;
                char save = *s;
                *s = '\0';
                if (mkdir(tmp, 0755) == 0) {
                        if (!top && !(top = strdup(tmp))) {
                                r = -ENOMEM;
                                break;
                        }
                } else if (errno != EEXIST) {
                        r = -errno;
                        xhafw_log(step, LOG_ERR, "cannot create directory %s: %s", tmp, strerror(-r));
                        break;
                }
                *s = save;
                if (!save)
                        break;
        }
        if (top) {
                int k = state_set_path(step, "created", path, top);
                if (k < 0 && r == 0)
                        r = k;
        }
        free(top);
        free(tmp);
        return r;
}

/* rmdir path and its parents up to the topmost directory that apply created; only empty ones. */
static void remove_created(struct xhafw_step *step, const char *path)
{
        const char *top = state_get_path(step, "created", path);
        char *tmp;

        if (!top)
                return;
        tmp = strdup(path);
        if (!tmp)
                return;
        if (path_under(tmp, top)) {
                for (;;) {
                        if (rmdir(tmp) < 0 && errno != ENOENT) {
                                xhafw_log(step, LOG_WARNING, "leaving directory %s: %s", tmp, strerror(errno));
                                break;
                        }
                        if (strcmp(tmp, top) == 0)
                                break;
                        *strrchr(tmp, '/') = '\0';
                }
        }
        free(tmp);
        state_set_path(step, "created", path, NULL);
}

/* ---- the actions ---- */

static int storage_describe(struct xhafw_step *step, FILE *out)
{
        struct storage_conf c;
        int r = storage_conf_load(step, &c);

        if (r < 0)
                return r;
        if (c.device)
                fprintf(out, "shared filesystem: %s (type %s, options \"%s\") mounted at %s by this step\n", c.device,
                        c.fstype ? c.fstype : "auto", c.options ? c.options : "", c.mountpoint);
        else
                fprintf(out, "shared filesystem: at %s, mounted by someone else (only checked)\n", c.mountpoint);
        fprintf(out, "paths (%s):\n", c.link == LINK_BIND ? "bind mounts" : "symbolic links");
        for (size_t i = 0; i < c.n_paths; i++) {
                if (c.link == LINK_BIND)
                        fprintf(out, "  %s <- bind of %s\n", c.paths[i], c.sources[i]);
                else
                        fprintf(out, "  %s -> %s (local directory kept as %s%s)\n", c.paths[i], c.sources[i],
                                c.paths[i], LOCAL_SUFFIX);
        }
        fprintf(out, "busy paths on revert: %s\n",
                c.kill_holders ? "holders are ended (SIGTERM, then SIGKILL)" : "the step fails and names the holders");
        storage_conf_free(&c);
        return 0;
}

/* The configuration only. Whether the device, the mount point or a path exists and what it is
 * belongs to this node's state, which changes (a SAN path lost, a standby without the LUN):
 * refusing the configuration for it would refuse deactivate and status too (exit 2), and giving
 * the role up must always work. apply looks at them before it changes anything. */
static int storage_validate(struct xhafw_step *step)
{
        struct storage_conf c;
        int r = storage_conf_load(step, &c);

        if (r < 0)
                return r;
        for (size_t i = 0; i < c.n_paths && r == 0; i++) {
                if (path_under(c.paths[i], c.mountpoint) || path_under(c.mountpoint, c.paths[i])) {
                        xhafw_log(step, LOG_ERR, "paths: %s and mountpoint %s must not contain one another", c.paths[i],
                                  c.mountpoint);
                        r = -EINVAL;
                }
                for (size_t j = 0; j < i && r == 0; j++)
                        if (path_under(c.paths[i], c.paths[j]) || path_under(c.paths[j], c.paths[i])) {
                                xhafw_log(step, LOG_ERR, "paths: %s and %s must not contain one another", c.paths[j],
                                          c.paths[i]);
                                r = -EINVAL;
                        }
        }
        storage_conf_free(&c);
        return r;
}

static int storage_check(struct xhafw_step *step)
{
        struct shared_loc loc = { 0 };
        struct libmnt_table *tb;
        size_t linked = 0;
        bool shared, ours;
        struct storage_conf c;
        char why[PATH_MAX + 64];
        int r = storage_conf_load(step, &c);

        if (r < 0)
                return r;
        r = mount_view_read(step, &c, &tb, &loc, &shared);
        if (r < 0)
                goto out;
        for (size_t i = 0; i < c.n_paths; i++) {
                switch (path_state(&c, tb, &loc, i, why, sizeof(why))) {
                case PATH_LINKED: linked++; break;
                case PATH_FOREIGN:
                        xhafw_log(step, LOG_WARNING, "%s is occupied by something else: %s", c.paths[i], why);
                        break;
                case PATH_ABSENT: break;
                }
        }
        /* A missing device is no error here: the mount table has the last word, and without the
         * device mounted the shared filesystem is simply not on this node (a standby without the
         * LUN). Said at INFO, as apply will fail on it. */
        if (c.device && c.device[0] == '/' && !shared) {
                struct xhafw_stat_result res;
                const char *p = c.device;

                if (xhafw_stat_bounded(step, &p, 1, CHECK_PROBE_TIMEOUT_MS, &res, NULL) == 0 && res.err == ENOENT)
                        xhafw_log(step, LOG_INFO,
                                  "device %s does not exist on this node: the shared filesystem "
                                  "is not mounted on %s",
                                  c.device, c.mountpoint);
        }
        /* a device mounted by someone else (at boot, say) is not this step's doing */
        ours = c.device && shared && xhafw_state_get(step, "mounted");
        if (shared && linked == c.n_paths)
                r = XHAFW_ACTIVE;
        else if (linked == 0 && !ours)
                r = XHAFW_INACTIVE;
        else
                r = XHAFW_PARTIAL;
out:
        loc_free(&loc);
        mnt_unref_table(tb);
        storage_conf_free(&c);
        return r;
}

/* What is about to be mounted, and where: the mount point, if it exists, is a directory; a device
 * that is a path exists and is a directory exactly when options has bind. Looked at from a child
 * that is abandoned after PROBE_TIMEOUT_MS, as either may be on a server that died. */
static int device_preflight(struct xhafw_step *step, const struct storage_conf *c)
{
        bool bind_device = c->options && mnt_optstr_get_option(c->options, "bind", NULL, NULL) == 0;
        struct xhafw_stat_result res[2];
        const char *probes[2];
        size_t np = 0, stuck = 0;
        int r;

        probes[np++] = c->mountpoint;
        if (c->device[0] == '/')
                probes[np++] = c->device;
        r = xhafw_stat_bounded(step, probes, np, PROBE_TIMEOUT_MS, res, &stuck);
        if (r == -ETIMEDOUT) {
                xhafw_log(step, LOG_ERR,
                          "%s does not answer within %d ms: refusing to mount %s on %s (is the "
                          "server it is on down?)",
                          probes[stuck], PROBE_TIMEOUT_MS, c->device, c->mountpoint);
                return r;
        }
        if (r < 0) {
                xhafw_log(step, LOG_ERR, "cannot look at %s: %s", c->mountpoint, strerror(-r));
                return r;
        }
        if (res[0].err == 0 && !S_ISDIR(res[0].mode)) {
                xhafw_log(step, LOG_ERR,
                          "mountpoint %s exists and is not a directory: refusing to mount %s on "
                          "it; move it away or set mountpoint to a directory",
                          c->mountpoint, c->device);
                r = -ENOTDIR;
        }
        if (np > 1) {
                if (res[1].err == ENOENT) {
                        xhafw_log(step, LOG_ERR,
                                  "device %s does not exist on this node: cannot mount it on %s; "
                                  "attach the shared storage (its SAN paths, iSCSI session or multipath map) "
                                  "or correct device",
                                  c->device, c->mountpoint);
                        r = -ENODEV;
                } else if (res[1].err) {
                        xhafw_log(step, LOG_ERR, "device %s: %s: cannot mount it on %s", c->device,
                                  strerror(res[1].err), c->mountpoint);
                        r = -res[1].err;
                } else if (bind_device && !S_ISDIR(res[1].mode)) {
                        xhafw_log(step, LOG_ERR, "device %s: options has bind, but it is not a directory", c->device);
                        r = -ENOTDIR;
                } else if (!bind_device && S_ISDIR(res[1].mode)) {
                        xhafw_log(step, LOG_ERR, "device %s is a directory: add bind to options to mount it",
                                  c->device);
                        r = -EISDIR;
                }
        }
        return r;
}

/* Everything that would make apply fail half-way is looked at before anything changes. */
static int apply_preflight(struct xhafw_step *step, const struct storage_conf *c, struct libmnt_table *tb,
                           const struct shared_loc *loc, bool shared)
{
        char why[PATH_MAX + 64];
        int r = 0;

        if (c->device && !shared) {
                struct libmnt_fs *fs = mnt_table_find_target(tb, c->mountpoint, MNT_ITER_BACKWARD);

                if (fs) {
                        describe_fs(fs, why, sizeof(why));
                        xhafw_log(step, LOG_ERR, "mountpoint %s has %s, not %s: refusing to mount over it",
                                  c->mountpoint, why, c->device);
                        return -EBUSY;
                }
                r = device_preflight(step, c);
                if (r < 0)
                        return r;
        }
        if (!c->device && !shared) {
                xhafw_log(step, LOG_ERR,
                          "no filesystem is mounted at or above %s: the shared filesystem must "
                          "be mounted by its own service first (or set device)",
                          c->mountpoint);
                return -ENXIO;
        }
        for (size_t i = 0; i < c->n_paths; i++) {
                struct stat st;
                bool exists = lstat(c->paths[i], &st) == 0;

                if (path_state(c, tb, loc, i, why, sizeof(why)) == PATH_FOREIGN) {
                        xhafw_log(step, LOG_ERR, "%s has %s: refusing to %s it", c->paths[i], why,
                                  c->link == LINK_BIND ? "bind over" : "replace");
                        r = -EBUSY;
                } else if (exists && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) {
                        xhafw_log(step, LOG_ERR, "%s exists and is not a directory", c->paths[i]);
                        r = -ENOTDIR;
                } else if (exists && c->link == LINK_SYMLINK && S_ISDIR(st.st_mode)) {
                        char *aside = suffixed(c->paths[i], LOCAL_SUFFIX);

                        if (!aside)
                                return -ENOMEM;
                        if (lstat(aside, &st) == 0) {
                                xhafw_log(step, LOG_ERR,
                                          "%s exists already: refusing to move %s aside over it "
                                          "(restore or remove it first)",
                                          aside, c->paths[i]);
                                r = -EEXIST;
                        }
                        free(aside);
                }
        }
        return r;
}

/* The shared directories must answer, and exist, before anything is bound to them. */
static int probe_sources(struct xhafw_step *step, const struct storage_conf *c)
{
        struct xhafw_stat_result *res = calloc(c->n_paths + 1, sizeof(*res));
        const char **p = calloc(c->n_paths + 1, sizeof(char *));
        size_t stuck = 0;
        int r;

        if (!res || !p) {
                free(res);
                free(p);
                return -ENOMEM;
        }
        p[0] = c->mountpoint;
        for (size_t i = 0; i < c->n_paths; i++)
                p[i + 1] = c->sources[i];
        r = xhafw_stat_bounded(step, p, c->n_paths + 1, PROBE_TIMEOUT_MS, res, &stuck);
        if (r == -ETIMEDOUT)
                xhafw_log(step, LOG_ERR,
                          "%s does not answer within %d ms: is the server of the shared "
                          "filesystem down?",
                          p[stuck], PROBE_TIMEOUT_MS);
        else if (r < 0)
                xhafw_log(step, LOG_ERR, "cannot look at %s: %s", c->mountpoint, strerror(-r));
        for (size_t i = 0; r == 0 && i <= c->n_paths; i++) {
                if (res[i].err) {
                        xhafw_log(step, LOG_ERR, "%s on the shared filesystem: %s%s", p[i], strerror(res[i].err),
                                  res[i].err == ENOENT ? " (create it there, with the data, first)" : "");
                        r = -res[i].err;
                } else if (!S_ISDIR(res[i].mode)) {
                        xhafw_log(step, LOG_ERR, "%s on the shared filesystem is not a directory", p[i]);
                        r = -ENOTDIR;
                }
        }
        free(res);
        free(p);
        return r;
}

static int link_path(struct xhafw_step *step, const struct storage_conf *c, size_t i)
{
        const char *path = c->paths[i], *src = c->sources[i];
        struct stat st;
        bool dry = xhafw_dry_run(step);
        bool exists = lstat(path, &st) == 0;
        int r;

        if (c->link == LINK_BIND) {
                if (dry) {
                        if (!exists)
                                xhafw_log(step, LOG_NOTICE, "would create directory %s", path);
                        xhafw_log(step, LOG_NOTICE, "would bind %s on %s", src, path);
                        return 0;
                }
                if (!exists) {
                        r = make_dir(step, path);
                        if (r < 0)
                                return r;
                }
                r = do_mount(step, src, path, NULL, "bind", false);
                if (r == 0)
                        xhafw_log(step, LOG_INFO, "bound %s on %s", src, path);
                return r;
        }

        if (exists) {
                char *aside = suffixed(path, LOCAL_SUFFIX);
                struct stat st2;

                if (!aside)
                        return -ENOMEM;
                if (lstat(aside, &st2) == 0) {
                        xhafw_log(step, LOG_ERR, "%s exists already: refusing to move %s aside over it", aside, path);
                        free(aside);
                        return -EEXIST;
                }
                if (dry)
                        xhafw_log(step, LOG_NOTICE, "would move %s aside to %s", path, aside);
                else {
                        /* recorded first: a crash between the two leaves a note to restore from */
                        r = state_set_path(step, "moved", path, aside);
                        if (r == 0 && rename(path, aside) < 0) {
                                r = -errno;
                                xhafw_log(step, LOG_ERR, "cannot move %s aside to %s: %s", path, aside, strerror(-r));
                                state_set_path(step, "moved", path, NULL);
                        }
                        if (r < 0) {
                                free(aside);
                                return r;
                        }
                }
                free(aside);
        }
        if (dry) {
                xhafw_log(step, LOG_NOTICE, "would link %s -> %s", path, src);
                return 0;
        }
        if (symlink(src, path) < 0) {
                r = -errno;
                xhafw_log(step, LOG_ERR, "cannot link %s -> %s: %s", path, src, strerror(-r));
                return r;
        }
        xhafw_log(step, LOG_INFO, "linked %s -> %s", path, src);
        return 0;
}

static int storage_apply(struct xhafw_step *step)
{
        struct shared_loc loc = { 0 };
        struct libmnt_table *tb;
        bool dry = xhafw_dry_run(step), shared;
        char why[PATH_MAX + 64];
        struct storage_conf c;
        int r = storage_conf_load(step, &c);

        if (r < 0)
                return r;
        r = mount_view_read(step, &c, &tb, &loc, &shared);
        if (r < 0)
                goto out;
        r = apply_preflight(step, &c, tb, &loc, shared);
        if (r < 0)
                goto out;

        if (c.device && !shared) {
                struct stat st;
                bool exists = lstat(c.mountpoint, &st) == 0;

                if (dry) {
                        if (!exists)
                                xhafw_log(step, LOG_NOTICE, "would create directory %s", c.mountpoint);
                        xhafw_log(step, LOG_NOTICE, "would mount %s on %s (type %s, options \"%s\")", c.device,
                                  c.mountpoint, c.fstype ? c.fstype : "auto", c.options ? c.options : "");
                        for (size_t i = 0; i < c.n_paths; i++)
                                link_path(step, &c, i);
                        goto out;
                }
                if (!exists && (r = make_dir(step, c.mountpoint)) < 0)
                        goto out;
                r = do_mount(step, c.device, c.mountpoint, c.fstype, c.options, true);
                if (r < 0)
                        goto out;
                /* recorded at once, so that revert unmounts it even if the rest fails */
                r = xhafw_state_set(step, "mounted", c.device);
                if (r < 0) {
                        xhafw_log(step, LOG_ERR, "cannot record the mount of %s in the state store: %s", c.device,
                                  strerror(-r));
                        goto out;
                }
                xhafw_log(step, LOG_INFO, "mounted %s on %s", c.device, c.mountpoint);
                mnt_unref_table(tb);
                loc_free(&loc);
                r = mount_view_read(step, &c, &tb, &loc, NULL);
                if (r < 0)
                        goto out;
        }

        r = probe_sources(step, &c);
        if (r < 0)
                goto out;
        for (size_t i = 0; i < c.n_paths; i++) {
                switch (path_state(&c, tb, &loc, i, why, sizeof(why))) {
                case PATH_LINKED: continue;
                case PATH_FOREIGN:
                        /* it appeared since the preflight */
                        xhafw_log(step, LOG_ERR, "%s has %s: refusing to touch it", c.paths[i], why);
                        r = -EBUSY;
                        goto out;
                case PATH_ABSENT: break;
                }
                r = link_path(step, &c, i);
                if (r < 0)
                        goto out;
        }
out:
        loc_free(&loc);
        mnt_unref_table(tb);
        storage_conf_free(&c);
        return r;
}

static int unlink_path(struct xhafw_step *step, const struct storage_conf *c, struct libmnt_table *tb,
                       const struct shared_loc *loc, size_t i)
{
        const char *path = c->paths[i];
        bool dry = xhafw_dry_run(step);
        char why[PATH_MAX + 64];
        enum path_state st = path_state(c, tb, loc, i, why, sizeof(why));
        int r = 0;

        if (c->link == LINK_BIND) {
                if (st == PATH_FOREIGN) {
                        /* not ours; but ours may be hidden under it */
                        struct libmnt_iter *it = mnt_new_iter(MNT_ITER_FORWARD);
                        struct libmnt_fs *fs;
                        bool hidden = false;

                        while (it && mnt_table_next_fs(tb, it, &fs) == 0)
                                if (mnt_fs_streq_target(fs, path) && fs_is_source(fs, loc, path))
                                        hidden = true;
                        mnt_free_iter(it);
                        if (hidden) {
                                xhafw_log(step, LOG_ERR, "cannot unmount the bind on %s: %s over it", path, why);
                                return -EBUSY;
                        }
                        xhafw_log(step, LOG_INFO, "%s has %s: not this step's, left alone", path, why);
                } else if (st == PATH_LINKED) {
                        if (dry)
                                xhafw_log(step, LOG_NOTICE, "would unmount %s", path);
                        else {
                                r = umount_busy_aware(step, c, tb, path, false);
                                if (r < 0)
                                        return r;
                                xhafw_log(step, LOG_INFO, "unmounted %s", path);
                        }
                }
                if (state_get_path(step, "created", path)) {
                        if (dry)
                                xhafw_log(step, LOG_NOTICE, "would remove directory %s (created by apply)", path);
                        else
                                remove_created(step, path);
                }
                return 0;
        }

        if (st == PATH_LINKED) {
                if (dry)
                        xhafw_log(step, LOG_NOTICE, "would remove link %s -> %s", path, c->sources[i]);
                else if (unlink(path) < 0 && errno != ENOENT) {
                        r = -errno;
                        xhafw_log(step, LOG_ERR, "cannot remove link %s: %s", path, strerror(-r));
                        return r;
                }
        } else if (st == PATH_FOREIGN)
                xhafw_log(step, LOG_INFO, "%s is %s: not this step's, left alone", path, why);

        /* the local directory comes back whenever it was moved aside and its place is free */
        {
                char *aside = suffixed(path, LOCAL_SUFFIX);
                struct stat sa, sp;

                if (!aside)
                        return -ENOMEM;
                if (lstat(aside, &sa) == 0) {
                        bool free_place = dry ? st == PATH_LINKED || lstat(path, &sp) < 0 : lstat(path, &sp) < 0;

                        if (!free_place)
                                xhafw_log(step, LOG_WARNING, "%s exists: leaving %s where it is", path, aside);
                        else if (dry)
                                xhafw_log(step, LOG_NOTICE, "would move %s back to %s", aside, path);
                        else if (rename(aside, path) < 0) {
                                r = -errno;
                                xhafw_log(step, LOG_ERR, "cannot move %s back to %s: %s", aside, path, strerror(-r));
                        } else
                                state_set_path(step, "moved", path, NULL);
                }
                free(aside);
        }
        return r;
}

static int storage_revert(struct xhafw_step *step)
{
        struct shared_loc loc = { 0 };
        struct libmnt_table *tb;
        const char *mounted;
        bool dry = xhafw_dry_run(step);
        struct storage_conf c;
        int r = storage_conf_load(step, &c), failed = 0;

        if (r < 0)
                return r;
        r = mount_view_read(step, &c, &tb, &loc, NULL);
        if (r < 0)
                goto out;
        /* every path is tried, so that one busy path does not keep the others */
        for (size_t i = c.n_paths; i-- > 0;) {
                r = unlink_path(step, &c, tb, &loc, i);
                if (r < 0 && !failed)
                        failed = r;
        }
        if (failed) {
                if (c.device && xhafw_state_get(step, "mounted"))
                        xhafw_log(step, LOG_NOTICE, "%s stays mounted on %s while a path is in use", c.device,
                                  c.mountpoint);
                r = failed;
                goto out;
        }

        /* the shared filesystem last, and only if this step mounted it */
        mounted = c.device ? xhafw_state_get(step, "mounted") : NULL;
        if (mounted) {
                mnt_unref_table(tb);
                tb = table_read(step);
                if (!tb) {
                        r = -EIO;
                        goto out;
                }
                if (shared_present(&c, tb)) {
                        if (dry)
                                xhafw_log(step, LOG_NOTICE, "would unmount %s from %s", c.device, c.mountpoint);
                        else {
                                r = umount_busy_aware(step, &c, tb, c.mountpoint, true);
                                if (r < 0)
                                        goto out;
                                /* Forget that this step mounted it only once the mount table agrees:
                                 * after an unmount that did not happen, a re-run must still unmount. */
                                mnt_unref_table(tb);
                                tb = table_read(step);
                                if (!tb) {
                                        r = -EIO;
                                        goto out;
                                }
                                if (shared_present(&c, tb)) {
                                        xhafw_log(step, LOG_ERR, "%s is still mounted on %s after unmounting it",
                                                  c.device, c.mountpoint);
                                        r = -EBUSY;
                                        goto out;
                                }
                                xhafw_log(step, LOG_INFO, "unmounted %s from %s", c.device, c.mountpoint);
                        }
                } else
                        xhafw_log(step, LOG_INFO,
                                  "%s is not mounted on %s (so says the mount table): nothing to "
                                  "unmount",
                                  c.device, c.mountpoint);
                if (!dry) {
                        r = xhafw_state_set(step, "mounted", NULL);
                        if (r < 0)
                                goto out;
                }
        }
        if (state_get_path(step, "created", c.mountpoint)) {
                if (dry)
                        xhafw_log(step, LOG_NOTICE, "would remove directory %s (created by apply)", c.mountpoint);
                else
                        remove_created(step, c.mountpoint);
        }
        r = 0;
out:
        loc_free(&loc);
        mnt_unref_table(tb);
        storage_conf_free(&c);
        return r;
}

/* ---- preflight ---- */

static void report(struct xhafw_step *step, const char *check, enum xhafw_check_result result, const char *fix,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void report(struct xhafw_step *step, const char *check, enum xhafw_check_result result, const char *fix,
                   const char *fmt, ...)
{
        char detail[PATH_MAX + 512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(detail, sizeof(detail), fmt, ap);
        va_end(ap);
        xhafw_preflight_check(step, check, result, detail, result == XHAFW_CHECK_PASS ? NULL : fix);
}

/* A TCP connection to host:port within timeout_ms (the NFS server of an export that is not mounted
 * here): 0, or -errno with why in err. Non-blocking, so a silent server costs timeout_ms at most. */
static int tcp_reachable(const char *host, unsigned port, unsigned timeout_ms, char *err, size_t len)
{
        struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
        uint64_t deadline = xhafw_now_ms() + timeout_ms;
        char service[16];
        int r, last = -ETIMEDOUT;

        snprintf(service, sizeof(service), "%u", port);
        r = getaddrinfo(host, service, &hints, &res);
        if (r != 0) {
                snprintf(err, len, "cannot resolve %s: %s", host, gai_strerror(r));
                return -EHOSTUNREACH;
        }
        for (ai = res; ai; ai = ai->ai_next) {
                int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), e = 0;
                socklen_t elen = sizeof(e);

                if (fd < 0) {
                        last = -errno;
                        continue;
                }
                if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
                        e = errno;
                else {
                        struct pollfd pfd = { .fd = fd, .events = POLLOUT };
                        uint64_t now = xhafw_now_ms();
                        int w = now < deadline ? poll(&pfd, 1, (int) (deadline - now)) : 0;

                        if (w <= 0)
                                e = w == 0 ? ETIMEDOUT : errno;
                        else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0)
                                e = errno;
                }
                close(fd);
                if (e == 0) {
                        freeaddrinfo(res);
                        return 0;
                }
                last = -e;
        }
        freeaddrinfo(res);
        snprintf(err, len, "%s", strerror(-last));
        return last;
}

/* The host of an NFS export ("nfs1:/export", "[2001:db8::1]:/export") or of a CIFS share
 * ("//host/share"), with its port; false when device is neither. */
static bool export_host(const char *device, char *host, size_t len, unsigned *ret_port)
{
        const char *end;

        if (strncmp(device, "//", 2) == 0) {
                end = strchr(device + 2, '/');
                if (!end || end == device + 2 || (size_t) (end - device - 2) >= len)
                        return false;
                snprintf(host, len, "%.*s", (int) (end - device - 2), device + 2);
                *ret_port = 445;
                return true;
        }
        if (device[0] == '[') {
                end = strchr(device, ']');
                if (!end || end[1] != ':' || (size_t) (end - device) >= len)
                        return false;
                snprintf(host, len, "%.*s", (int) (end - device - 1), device + 1);
        } else {
                end = strchr(device, ':');
                if (!end || end == device || end[1] != '/' || (size_t) (end - device) >= len)
                        return false;
                snprintf(host, len, "%.*s", (int) (end - device), device);
        }
        *ret_port = 2049;
        return true;
}

/* The device node of a tag (LABEL=, UUID=, PARTUUID=, PARTLABEL=): where udev links it. */
static char *tag_path(const char *device)
{
        static const char *const tags[][2] = { { "LABEL=", "by-label" },
                                               { "UUID=", "by-uuid" },
                                               { "PARTUUID=", "by-partuuid" },
                                               { "PARTLABEL=", "by-partlabel" } };
        char *p = NULL;

        for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
                size_t n = strlen(tags[i][0]);
                if (strncmp(device, tags[i][0], n) == 0 && device[n] && !strchr(device + n, '/')) {
                        if (asprintf(&p, "/dev/disk/%s/%s", tags[i][1], device + n) < 0)
                                return NULL;
                        return p;
                }
        }
        return NULL;
}

/* The device (or export) answers here, within PROBE_TIMEOUT_MS, and is what options say. */
static void preflight_device(struct xhafw_step *step, const struct storage_conf *c, struct libmnt_table *tb,
                             bool shared)
{
        static const char check[] = "device reachable";
        bool bind_device = c->options && mnt_optstr_get_option(c->options, "bind", NULL, NULL) == 0;
        char host[256], err[512], why[PATH_MAX + 64];
        struct xhafw_stat_result res;
        uint64_t t0 = xhafw_now_ms();
        char *tag = NULL;
        const char *path;
        unsigned port;
        int r;

        if (!c->device) {
                struct libmnt_fs *fs = containing_fs(tb, c->mountpoint);

                if (shared) {
                        describe_fs(fs, why, sizeof(why));
                        report(step, check, XHAFW_CHECK_PASS, NULL,
                               "device is unset: the shared filesystem at %s is "
                               "mounted by someone else (%s)",
                               c->mountpoint, why);
                } else
                        report(step, check, XHAFW_CHECK_FAIL,
                               "mount the shared filesystem on the mount point by its "
                               "own service first, or set device (and fstype, options) in the step",
                               "device is unset and no filesystem is mounted at or above %s: activate would fail",
                               c->mountpoint);
                return;
        }
        tag = tag_path(c->device);
        path = tag ? tag : c->device;
        if (path[0] != '/') {
                if (!export_host(c->device, host, sizeof(host), &port)) {
                        report(step, check, XHAFW_CHECK_WARN,
                               "mount it by hand once to see that it works (then "
                               "unmount it)",
                               "%s is neither a path, a tag nor an export: not probed", c->device);
                        return;
                }
                r = tcp_reachable(host, port, PROBE_TIMEOUT_MS, err, sizeof(err));
                if (r < 0) {
                        snprintf(why, sizeof(why),
                                 "check the server %s and the network to it: rpcinfo -t %s nfs, "
                                 "or mount %s by hand (then unmount it)",
                                 host, host, c->device);
                        report(step, check, XHAFW_CHECK_FAIL, why,
                               "cannot reach the server of %s (%s port %u, "
                               "within %d ms): %s",
                               c->device, host, port, PROBE_TIMEOUT_MS, err);
                } else
                        report(step, check, XHAFW_CHECK_PASS, NULL, "%s answers on port %u in %llu ms%s", host, port,
                               (unsigned long long) (xhafw_now_ms() - t0), shared ? "; mounted here" : "");
                return;
        }
        r = xhafw_stat_bounded(step, &path, 1, PROBE_TIMEOUT_MS, &res, NULL);
        if (r == -ETIMEDOUT)
                report(step, check, XHAFW_CHECK_FAIL, "check the server or the SAN path the device is on",
                       "%s does not answer within %d ms", path, PROBE_TIMEOUT_MS);
        else if (r < 0)
                report(step, check, XHAFW_CHECK_WARN, "run xhafw preflight again; see the messages above",
                       "cannot look at %s: %s", path, strerror(-r));
        else if (res.err == ENOENT)
                report(step, check, XHAFW_CHECK_FAIL,
                       "attach the shared storage on this node (its SAN paths, iSCSI "
                       "session or multipath map), or correct device in the step",
                       "%s does not exist on this node: activate cannot mount it on %s", path, c->mountpoint);
        else if (res.err)
                report(step, check, XHAFW_CHECK_FAIL, "check the device and its permissions", "%s: %s", path,
                       strerror(res.err));
        else if (bind_device && !S_ISDIR(res.mode))
                report(step, check, XHAFW_CHECK_FAIL,
                       "set device to the directory to bind, or remove bind from "
                       "options",
                       "options has bind, but %s is not a directory", path);
        else if (!bind_device && S_ISDIR(res.mode))
                report(step, check, XHAFW_CHECK_FAIL, "add bind to options in the step",
                       "%s is a directory, and options has no bind", path);
        else
                report(step, check, XHAFW_CHECK_PASS, NULL, "%s is %s here, answered in %llu ms%s", path,
                       S_ISDIR(res.mode) ? "a directory" :
                       S_ISBLK(res.mode) ? "a block device" :
                                           "present",
                       (unsigned long long) (xhafw_now_ms() - t0), shared ? "; mounted on the mount point" : "");
        free(tag);
}

/* The mount point, and the directories on the shared filesystem when it is mounted here. */
static void preflight_shared_paths(struct xhafw_step *step, const struct storage_conf *c, bool shared)
{
        struct xhafw_stat_result *res = calloc(c->n_paths + 1, sizeof(*res));
        const char **p = calloc(c->n_paths + 1, sizeof(char *));
        char missing[1024] = "";
        size_t answered = 0, n = shared ? c->n_paths + 1 : 1;
        int r;

        if (!res || !p) {
                free(res);
                free(p);
                return;
        }
        p[0] = c->mountpoint;
        for (size_t i = 0; i < c->n_paths; i++)
                p[i + 1] = c->sources[i];
        r = xhafw_stat_bounded(step, p, n, PROBE_TIMEOUT_MS, res, &answered);
        if (r == -ETIMEDOUT) {
                report(step, answered == 0 ? "mountpoint" : "shared paths", XHAFW_CHECK_FAIL,
                       "check the server of the shared filesystem", "%s does not answer within %d ms", p[answered],
                       PROBE_TIMEOUT_MS);
                goto out;
        }
        if (r < 0) {
                report(step, "mountpoint", XHAFW_CHECK_WARN, "run xhafw preflight again; see the messages above",
                       "cannot look at %s: %s", c->mountpoint, strerror(-r));
                goto out;
        }
        if (res[0].err == ENOENT) {
                char fix[PATH_MAX + 64];

                snprintf(fix, sizeof(fix),
                         c->device ? "mkdir -p %s" :
                                     "mount the shared filesystem on %s by its own "
                                     "service",
                         c->mountpoint);
                report(step, "mountpoint", c->device ? XHAFW_CHECK_WARN : XHAFW_CHECK_FAIL, fix, "%s does not exist%s",
                       c->mountpoint, c->device ? " (activate would create it)" : "");
        } else if (res[0].err)
                report(step, "mountpoint", XHAFW_CHECK_FAIL, "check the mount point and the directories above it",
                       "%s: %s", c->mountpoint, strerror(res[0].err));
        else if (!S_ISDIR(res[0].mode))
                report(step, "mountpoint", XHAFW_CHECK_FAIL, "move it away, or set mountpoint to a directory",
                       "%s exists and is not a directory", c->mountpoint);
        else
                report(step, "mountpoint", XHAFW_CHECK_PASS, NULL, "%s is a directory", c->mountpoint);
        if (!shared) {
                report(step, "shared paths", XHAFW_CHECK_PASS, NULL,
                       "not looked at: the shared filesystem is not "
                       "mounted here; activate checks %s%s and the others before it binds them",
                       c->mountpoint, c->paths[0]);
                goto out;
        }
        for (size_t i = 1; i < n; i++) {
                size_t len = strlen(missing);
                if (res[i].err == 0 && S_ISDIR(res[i].mode))
                        continue;
                snprintf(missing + len, sizeof(missing) - len, "%s%s (%s)", len ? ", " : "", p[i],
                         res[i].err ? strerror(res[i].err) : "not a directory");
        }
        if (*missing) {
                char fix[PATH_MAX + 128];

                snprintf(fix, sizeof(fix),
                         "create each on the shared filesystem with its data, e.g. mkdir -p %s, "
                         "then copy the local directory's content there",
                         c->sources[0]);
                report(step, "shared paths", XHAFW_CHECK_FAIL, fix, "missing on the shared filesystem: %s", missing);
        } else
                report(step, "shared paths", XHAFW_CHECK_PASS, NULL, "%zu directories under %s", c->n_paths,
                       c->mountpoint);
out:
        free(res);
        free(p);
}

/* The local paths: free for activate (nothing foreign on them), and on a standby not connected to
 * the shared filesystem; the shared filesystem itself not mounted on a standby. */
static void preflight_local(struct xhafw_step *step, const struct storage_conf *c, struct libmnt_table *tb,
                            const struct shared_loc *loc, bool shared)
{
        bool active = xhafw_node_active(step);
        char why[PATH_MAX + 64], fix[PATH_MAX + 128], created[1024] = "", standby[1024] = "";
        size_t bad = 0, linked = 0;

        for (size_t i = 0; i < c->n_paths; i++) {
                const char *path = c->paths[i];
                enum path_state ps = path_state(c, tb, loc, i, why, sizeof(why));
                struct stat st;
                size_t len;

                if (ps == PATH_LINKED) {
                        linked++;
                        len = strlen(standby);
                        snprintf(standby + len, sizeof(standby) - len, "%s%s", len ? ", " : "", path);
                        continue;
                }
                if (ps == PATH_FOREIGN) {
                        bool mount = mnt_table_find_target(tb, path, MNT_ITER_BACKWARD) != NULL;

                        snprintf(fix, sizeof(fix),
                                 mount ? "umount %s (or mount it elsewhere)" : "rm %s (the link), or move it aside",
                                 path);
                        report(step, "local paths", XHAFW_CHECK_FAIL, fix, "%s has %s: activate would refuse to %s it",
                               path, why, c->link == LINK_BIND ? "bind over" : "replace");
                        bad++;
                        continue;
                }
                if (lstat(path, &st) < 0) {
                        len = strlen(created);
                        snprintf(created + len, sizeof(created) - len, "%s%s", len ? ", " : "", path);
                        continue;
                }
                if (!S_ISDIR(st.st_mode)) {
                        snprintf(fix, sizeof(fix), "move %s aside (it is not a directory)", path);
                        report(step, "local paths", XHAFW_CHECK_FAIL, fix, "%s exists and is not a directory", path);
                        bad++;
                } else if (c->link == LINK_SYMLINK) {
                        char *aside = suffixed(path, LOCAL_SUFFIX);

                        if (aside && lstat(aside, &st) == 0) {
                                snprintf(fix, sizeof(fix), "restore or remove %s", aside);
                                report(step, "local paths", XHAFW_CHECK_FAIL, fix,
                                       "%s exists already: activate would "
                                       "refuse to move %s aside over it",
                                       aside, path);
                                bad++;
                        }
                        free(aside);
                }
        }
        if (!bad)
                report(step, "local paths", XHAFW_CHECK_PASS, NULL, "nothing else on the %zu local paths%s%s",
                       c->n_paths, *created ? "; activate creates " : "", created);

        if (active) {
                report(step, "not mounted on a standby", XHAFW_CHECK_PASS, NULL,
                       "this node holds the role: %s%s, "
                       "%zu of %zu paths connected",
                       c->device ? c->device : "the shared filesystem", shared ? " mounted" : " not mounted", linked,
                       c->n_paths);
                return;
        }
        bad = 0;
        if (c->device && shared) {
                snprintf(fix, sizeof(fix), "umount %s (after unbinding the paths from it)", c->mountpoint);
                report(step, "not mounted on a standby", XHAFW_CHECK_FAIL, fix,
                       "%s is mounted on %s on this standby: both nodes would write to it", c->device, c->mountpoint);
                bad++;
        } else if (c->device && !(c->options && mnt_optstr_get_option(c->options, "bind", NULL, NULL) == 0)) {
                /* mounted somewhere else, where shared_present() does not look */
                struct libmnt_fs *fs = mnt_table_find_source(tb, c->device, MNT_ITER_BACKWARD);

                if (fs && mnt_fs_get_target(fs)) {
                        snprintf(fix, sizeof(fix), "umount %s", mnt_fs_get_target(fs));
                        report(step, "not mounted on a standby", XHAFW_CHECK_FAIL, fix,
                               "%s is mounted on %s on this standby: both nodes would write to it", c->device,
                               mnt_fs_get_target(fs));
                        bad++;
                }
        }
        if (linked) {
                snprintf(fix, sizeof(fix),
                         c->link == LINK_BIND ? "umount each of %s (or xhafw deactivate)" :
                                                "rm each link of %s (or xhafw deactivate)",
                         standby);
                report(step, "not mounted on a standby", XHAFW_CHECK_FAIL, fix,
                       "%s connected to the shared "
                       "filesystem on this standby",
                       standby);
                bad++;
        }
        if (!bad)
                report(step, "not mounted on a standby", XHAFW_CHECK_PASS, NULL,
                       c->device ? "nothing of %s is mounted or connected here" : "no path is connected to %s here",
                       c->device ? c->device : c->mountpoint);
}

/* An fstab entry that mounts the shared filesystem or a path at boot would bring it up on both
 * nodes after a reboot. noauto entries are fine unless systemd's automount brings them back. */
static void preflight_fstab(struct xhafw_step *step, const struct storage_conf *c)
{
        static const char check[] = "not mounted at boot";
        const char *fstab = xhafw_opt_string(step, "fstab");
        struct libmnt_table *tb;
        struct libmnt_iter *it;
        struct libmnt_fs *fs;
        size_t bad = 0, quiet = 0;
        char fix[PATH_MAX + 512];
        int r = 0;

        if (!fstab || !*fstab)
                fstab = "/etc/fstab";
        if (access(fstab, F_OK) < 0 && errno == ENOENT) {
                report(step, check, XHAFW_CHECK_PASS, NULL, "there is no %s", fstab);
                return;
        }
        tb = mnt_new_table();
        it = mnt_new_iter(MNT_ITER_FORWARD);
        if (!tb || !it || (r = mnt_table_parse_fstab(tb, fstab)) != 0) {
                report(step, check, XHAFW_CHECK_WARN,
                       "check that it is readable and parses: findmnt --verify "
                       "--tab-file FSTAB",
                       "cannot read %s: %s", fstab, tb && it ? strerror(r < 0 ? -r : EINVAL) : strerror(ENOMEM));
                goto out;
        }
        while (mnt_table_next_fs(tb, it, &fs) == 0) {
                const char *target = mnt_fs_get_target(fs), *source = mnt_fs_get_source(fs);
                const char *type = mnt_fs_get_fstype(fs), *opts = mnt_fs_get_options(fs);
                bool ours = false, noauto, automount;

                if (!target || mnt_fs_is_swaparea(fs))
                        continue;
                /* Without device the shared filesystem is someone else's to mount (at boot, often):
                 * only the paths are this step's. */
                if (c->device)
                        ours = mnt_fs_streq_target(fs, c->mountpoint) || path_under(target, c->mountpoint) ||
                               (source && strcmp(source, c->device) == 0);
                for (size_t i = 0; i < c->n_paths && !ours; i++)
                        ours = mnt_fs_streq_target(fs, c->paths[i]) || path_under(target, c->paths[i]);
                if (!ours)
                        continue;
                noauto = mnt_fs_get_option(fs, "noauto", NULL, NULL) == 0;
                automount = mnt_fs_get_option(fs, "x-systemd.automount", NULL, NULL) == 0;
                if (noauto && !automount) {
                        quiet++;
                        continue;
                }
                if (automount)
                        snprintf(fix, sizeof(fix),
                                 "in %s, remove x-systemd.automount from the options of the line "
                                 "for %s, or remove the line",
                                 fstab, target);
                else
                        snprintf(fix, sizeof(fix),
                                 "in %s, make the line for %s read '%s %s %s %s,noauto', or remove "
                                 "it",
                                 fstab, target, source ? source : "?", target, type ? type : "auto",
                                 opts ? opts : "defaults");
                report(step, check, XHAFW_CHECK_FAIL, fix, "%s: '%s %s %s %s' %s %s at boot", fstab,
                       source ? source : "?", target, type ? type : "auto", opts ? opts : "defaults",
                       automount ? "automounts" : "mounts", target);
                bad++;
        }
        if (!bad)
                report(step, check, XHAFW_CHECK_PASS, NULL, "%s mounts neither %s nor a path at boot%s", fstab,
                       c->device ? c->mountpoint : "(device unset)", quiet ? " (their lines have noauto)" : "");
out:
        mnt_free_iter(it);
        mnt_unref_table(tb);
}

static int storage_preflight(struct xhafw_step *step)
{
        struct shared_loc loc = { 0 };
        struct libmnt_table *tb;
        bool shared;
        struct storage_conf c;
        int r = storage_conf_load(step, &c);

        if (r < 0)
                return r;
        r = mount_view_read(step, &c, &tb, &loc, &shared);
        if (r < 0)
                goto out;
        preflight_device(step, &c, tb, shared);
        preflight_shared_paths(step, &c, shared);
        preflight_local(step, &c, tb, &loc, shared);
        preflight_fstab(step, &c);
out:
        loc_free(&loc);
        mnt_unref_table(tb);
        storage_conf_free(&c);
        return r;
}

XHAFW_PLUGIN_DEFINE(.name = "storage", .version = "1.1",
                    .summary = "shared filesystem and the directories bound or linked from it (libmount)",
                    .options = storage_options, .describe = storage_describe, .check = storage_check,
                    .apply = storage_apply, .revert = storage_revert, .validate = storage_validate,
                    .preflight = storage_preflight);
