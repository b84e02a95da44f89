/* storage-gpfs: a site plugin for xhafw: GPFS (IBM Storage Scale) mounted through its own
 * commands (mmlsmount, mmmount, mmumount), then the same directories bound from it as the
 * shipped storage step. Built out of tree against the installed <xhafw/plugin.h>. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <syslog.h>
#include <unistd.h>

#include <libmount.h>

#include <xhafw/plugin.h>

#ifndef PLUGIN_NAME
#define PLUGIN_NAME "storage-gpfs"
#endif

/* mmmount returns before the kernel mount is always visible: wait this long for it. */
#define MOUNT_WAIT_MS 10000
#define MAX_PATHS 256

/* The option names of the shipped storage plugin where they apply, so that this plugin can also
 * shadow it (a storage.so in /etc/xhafw/plugins) under the same configuration. */
static const struct xhafw_option gpfs_options[] = {
        { "device", XHAFW_OPT_STRING, true, NULL, "the GPFS file system device name, as mmlsmount knows it" },
        { "mountpoint", XHAFW_OPT_PATH, true, NULL, "where GPFS mounts it" },
        { "paths", XHAFW_OPT_LIST, true, NULL,
          "local directories served from it: local P is bound from mountpoint + P" },
        { "link", XHAFW_OPT_STRING, false, "bind", "bind (the only mode of this plugin)" },
        { "kill_holders", XHAFW_OPT_BOOL, false, "no", "not supported: a busy path fails the revert" },
        { "node", XHAFW_OPT_STRING, false, NULL,
          "this node's name in mmlsmount -L output (default: the short host name)" },
        { .name = NULL },
};

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
        r[la] = '/';
        memcpy(r + la + 1, b, lb + 1);
        if (lb == 0)
                r[la > 0 ? la : 1] = '\0';
        return r;
}

/* ---- GPFS through its commands ---- */

/* Is the file system mounted on this node, according to `mmlsmount DEVICE -L -Y`? The -Y output
 * is colon-separated with a HEADER line naming the columns; one line per node that mounts it. */
static int gpfs_mounted_here(struct xhafw_step *step)
{
        const char *device = xhafw_opt_string(step, "device"), *node = xhafw_opt_string(step, "node");
        const char *argv[] = { "mmlsmount", device, "-L", "-Y", NULL };
        char *out = NULL, *line, *save = NULL;
        struct utsname u;
        int col = -1, r;

        if (!node || !*node) {
                if (uname(&u) < 0)
                        return -errno;
                u.nodename[strcspn(u.nodename, ".")] = '\0';
                node = u.nodename;
        }
        r = xhafw_run(step, argv, XHAFW_RUN_READONLY, &out);
        if (r != 0) {
                free(out);
                xhafw_log(step, LOG_ERR, "mmlsmount %s failed (%d): is GPFS up on this node?", device, r);
                return r > 0 ? -EIO : r;
        }
        r = 0;
        for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                bool header = strstr(line, ":HEADER:") != NULL;
                char *f, *rest = line;
                int i = 0;

                /* strsep, not strtok: empty fields count */
                for (f = strsep(&rest, ":"); f; f = strsep(&rest, ":"), i++) {
                        if (header && strcmp(f, "nodeName") == 0)
                                col = i;
                        else if (!header && i == col && strcmp(f, node) == 0)
                                r = 1;
                }
        }
        free(out);
        if (col < 0) {
                xhafw_log(step, LOG_ERR, "mmlsmount %s -L -Y printed no nodeName column", device);
                return -EIO;
        }
        return r;
}

/* ---- the mount table (libmount; strings only, no stat: GPFS may hang) ---- */

struct where {
        dev_t devno;
        char *root;
        bool is_mount; /* something is mounted exactly at mountpoint */
};

static int locate(struct libmnt_table *tb, const char *mountpoint, struct where *w)
{
        struct libmnt_fs *fs = mnt_table_find_target(tb, mountpoint, MNT_ITER_BACKWARD);

        w->root = NULL;
        w->is_mount = fs != NULL;
        if (!fs)
                return 0;
        w->devno = mnt_fs_get_devno(fs);
        w->root = strdup(mnt_fs_get_root(fs) ? mnt_fs_get_root(fs) : "/");
        return w->root ? 0 : -ENOMEM;
}

/* 1: path is bound from mountpoint + path; 0: nothing there; -EBUSY: something else is */
static int bound(struct libmnt_table *tb, const struct where *w, const char *path)
{
        struct libmnt_fs *fs = mnt_table_find_target(tb, path, MNT_ITER_BACKWARD);
        char *want;
        int r;

        if (!fs)
                return 0;
        if (!w->is_mount || mnt_fs_get_devno(fs) != w->devno)
                return -EBUSY;
        want = join(w->root, path);
        r = want && mnt_fs_get_root(fs) && strcmp(want, mnt_fs_get_root(fs)) == 0 ? 1 : -EBUSY;
        free(want);
        return r;
}

static struct libmnt_context *context_new(void)
{
        struct libmnt_context *cxt = mnt_new_context();

        if (cxt) {
                mnt_context_disable_canonicalize(cxt, 1);
                mnt_context_disable_mtab(cxt, 1);
                mnt_context_disable_helpers(cxt, 1);
                mnt_context_set_optsmode(cxt, MNT_OMODE_IGNORE | MNT_OMODE_NOTAB);
        }
        return cxt;
}

static int finish(struct libmnt_context *cxt, int rc)
{
        int err = 0;

        if (rc == 0 && mnt_context_get_status(cxt) == 1)
                err = 0;
        else if (mnt_context_syscall_called(cxt) && mnt_context_get_syscall_errno(cxt))
                err = -mnt_context_get_syscall_errno(cxt);
        else
                err = rc < 0 ? rc : -EIO;
        mnt_free_context(cxt);
        return err;
}

static int bind_path(const char *source, const char *target)
{
        struct libmnt_context *cxt = context_new();

        if (!cxt)
                return -ENOMEM;
        mnt_context_set_source(cxt, source);
        mnt_context_set_target(cxt, target);
        mnt_context_set_options(cxt, "bind");
        return finish(cxt, mnt_context_mount(cxt));
}

static int unbind_path(const char *target)
{
        struct libmnt_context *cxt = context_new();

        if (!cxt)
                return -ENOMEM;
        mnt_context_set_target(cxt, target);
        return finish(cxt, mnt_context_umount(cxt));
}

/* ---- the actions ---- */

static int gpfs_validate(struct xhafw_step *step)
{
        const char *const *paths;
        size_t n = xhafw_opt_list(step, "paths", &paths);
        const char *link = xhafw_opt_string(step, "link");

        if (link && strcmp(link, "bind") != 0) {
                xhafw_log(step, LOG_ERR, "link = %s: %s only binds", link, PLUGIN_NAME);
                return -EINVAL;
        }
        if (xhafw_opt_bool(step, "kill_holders")) {
                xhafw_log(step, LOG_ERR, "kill_holders = yes: not supported by %s", PLUGIN_NAME);
                return -EINVAL;
        }
        if (n == 0 || n > MAX_PATHS) {
                xhafw_log(step, LOG_ERR, "paths: between 1 and %d directories expected", MAX_PATHS);
                return -EINVAL;
        }
        for (size_t i = 0; i < n; i++)
                if (paths[i][0] != '/' || strcmp(paths[i], "/") == 0 || strstr(paths[i], "/..") ||
                    strstr(paths[i], "/./")) {
                        xhafw_log(step, LOG_ERR, "paths: '%s' must be an absolute path other than /", paths[i]);
                        return -EINVAL;
                }
        return 0;
}

static int gpfs_describe(struct xhafw_step *step, FILE *out)
{
        const char *const *paths;
        size_t n = xhafw_opt_list(step, "paths", &paths);
        const char *mp = xhafw_opt_string(step, "mountpoint");

        fprintf(out,
                "GPFS file system %s at %s (mmlsmount/mmmount/mmumount; unmounted on revert only if "
                "this step mounted it)\n",
                xhafw_opt_string(step, "device"), mp);
        for (size_t i = 0; i < n; i++)
                fprintf(out, "  %s <- bind of %s%s\n", paths[i], mp, paths[i]);
        return 0;
}

static int gpfs_check(struct xhafw_step *step)
{
        const char *const *paths;
        size_t n = xhafw_opt_list(step, "paths", &paths), linked = 0;
        struct libmnt_table *tb;
        struct where w;
        int here, r;

        here = gpfs_mounted_here(step);
        if (here < 0)
                return here;
        tb = mnt_new_table_from_file("/proc/self/mountinfo");
        if (!tb)
                return -EIO;
        r = locate(tb, xhafw_opt_string(step, "mountpoint"), &w);
        for (size_t i = 0; r == 0 && i < n; i++) {
                int b = bound(tb, &w, paths[i]);
                if (b == 1)
                        linked++;
                else if (b == -EBUSY)
                        xhafw_log(step, LOG_WARNING, "%s has a different filesystem mounted on it", paths[i]);
        }
        free(w.root);
        mnt_unref_table(tb);
        if (r < 0)
                return r;
        if (here && w.is_mount && linked == n)
                return XHAFW_ACTIVE;
        if (linked == 0 && !(here && xhafw_state_get(step, "mounted")))
                return XHAFW_INACTIVE;
        return XHAFW_PARTIAL;
}

static int gpfs_apply(struct xhafw_step *step)
{
        const char *device = xhafw_opt_string(step, "device"), *mp = xhafw_opt_string(step, "mountpoint");
        const char *const *paths;
        size_t n = xhafw_opt_list(step, "paths", &paths);
        struct libmnt_table *tb = NULL;
        struct where w = { 0 };
        bool dry = xhafw_dry_run(step);
        int here = gpfs_mounted_here(step), r = 0;

        if (here < 0)
                return here;
        if (!here) {
                const char *argv[] = { "mmmount", device, NULL };

                r = xhafw_run(step, argv, 0, NULL);
                if (r != 0) {
                        xhafw_log(step, LOG_ERR, "mmmount %s failed (%d)", device, r);
                        return r > 0 ? -EIO : r;
                }
                if (!dry && (r = xhafw_state_set(step, "mounted", device)) < 0)
                        return r;
        }
        /* wait, bounded, for the kernel mount at mountpoint */
        for (unsigned waited = 0;; waited += 100) {
                mnt_unref_table(tb);
                free(w.root);
                tb = mnt_new_table_from_file("/proc/self/mountinfo");
                if (!tb)
                        return -EIO;
                r = locate(tb, mp, &w);
                if (r < 0 || w.is_mount || dry)
                        break;
                if (waited >= MOUNT_WAIT_MS) {
                        xhafw_log(step, LOG_ERR, "%s is not mounted at %s %d ms after mmmount", device, mp,
                                  MOUNT_WAIT_MS);
                        r = -ETIMEDOUT;
                        break;
                }
                xhafw_sleep_ms(100); /* the host's clock: a test's mock makes the wait instant */
        }
        for (size_t i = 0; r == 0 && i < n; i++) {
                char *src = join(mp, paths[i]);
                int b = w.is_mount ? bound(tb, &w, paths[i]) : 0;

                if (!src) {
                        r = -ENOMEM;
                        break;
                }
                if (b == -EBUSY) {
                        xhafw_log(step, LOG_ERR,
                                  "%s has a different filesystem mounted on it: refusing to bind over it", paths[i]);
                        r = -EBUSY;
                } else if (b == 0 && dry)
                        xhafw_log(step, LOG_NOTICE, "would bind %s on %s", src, paths[i]);
                else if (b == 0) {
                        if (mkdir(paths[i], 0755) < 0 && errno != EEXIST) {
                                r = -errno;
                                xhafw_log(step, LOG_ERR, "cannot create %s: %s", paths[i], strerror(-r));
                        } else if ((r = bind_path(src, paths[i])) < 0)
                                xhafw_log(step, LOG_ERR, "cannot bind %s on %s: %s", src, paths[i], strerror(-r));
                }
                free(src);
        }
        free(w.root);
        mnt_unref_table(tb);
        return r;
}

static int gpfs_revert(struct xhafw_step *step)
{
        const char *device = xhafw_opt_string(step, "device"), *mp = xhafw_opt_string(step, "mountpoint");
        const char *const *paths;
        size_t n = xhafw_opt_list(step, "paths", &paths);
        struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
        bool dry = xhafw_dry_run(step);
        struct where w;
        int r, failed = 0;

        if (!tb)
                return -EIO;
        r = locate(tb, mp, &w);
        for (size_t i = n; r == 0 && i-- > 0;) {
                if (bound(tb, &w, paths[i]) != 1)
                        continue;
                if (dry) {
                        xhafw_log(step, LOG_NOTICE, "would unmount %s", paths[i]);
                        continue;
                }
                int k = unbind_path(paths[i]);
                if (k < 0) {
                        xhafw_log(step, LOG_ERR, "cannot unmount %s: %s%s", paths[i], strerror(-k),
                                  k == -EBUSY ? " (stop what uses it; the storage plugin names the holders)" : "");
                        failed = k;
                }
        }
        free(w.root);
        mnt_unref_table(tb);
        if (r < 0)
                return r;
        if (failed)
                return failed;
        /* GPFS last, and only if this step mounted it */
        if (xhafw_state_get(step, "mounted")) {
                const char *argv[] = { "mmumount", device, NULL };

                r = gpfs_mounted_here(step);
                if (r > 0) {
                        r = xhafw_run(step, argv, 0, NULL);
                        if (r != 0) {
                                xhafw_log(step, LOG_ERR, "mmumount %s failed (%d)", device, r);
                                return r > 0 ? -EIO : r;
                        }
                }
                if (r < 0)
                        return r;
                if (!dry)
                        return xhafw_state_set(step, "mounted", NULL);
        }
        return 0;
}

XHAFW_PLUGIN_DEFINE(.name = PLUGIN_NAME, .version = "1.0",
                    .summary = "GPFS mounted with mmmount, directories bound from it (site plugin)",
                    .options = gpfs_options, .describe = gpfs_describe, .check = gpfs_check, .apply = gpfs_apply,
                    .revert = gpfs_revert, .validate = gpfs_validate);
