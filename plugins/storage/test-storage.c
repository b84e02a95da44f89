/* Unit tests of the storage plugin against the host-API mock: its path plans (which local directory is
 * bound or linked to which shared one), the validation of paths that contain one another, and what
 * apply (in dry-run), check and revert do in a temporary directory, with nothing mounted. */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "hostapi-mock.h"

/* storage.c is linked: only its ABI is used, as the core uses it. */
extern const struct xhafw_plugin xhafw_plugin_v1;

#define N(a) ((int) (sizeof(a) / sizeof((a)[0])))
#define MAX_LINES 8

/* The notices of the log, in order, against WANT (NULL-terminated; "@TMP@" expanded). */
static void assert_notices(struct xhafw_step *step, int i, const char *const *want)
{
        const struct mock_log *logs;
        size_t n = mock_logs(step, &logs), k = 0;

        for (size_t j = 0; j < n; j++) {
                if (logs[j].priority != LOG_NOTICE)
                        continue;
                ck_assert_msg(want[k], "case %d: notice '%s' not expected\n%s", i, logs[j].text, mock_log_text(step));
                ck_assert_msg(strcmp(logs[j].text, mock_expand(step, want[k])) == 0, "case %d: notice '%s', want '%s'",
                              i, logs[j].text, mock_expand(step, want[k]));
                k++;
        }
        ck_assert_msg(!want[k], "case %d: no notice '%s'\n%s", i, want[k] ? mock_expand(step, want[k]) : "",
                      mock_log_text(step));
}

/* ---- the plans, as describe tells them ---- */

struct plan_case {
        const char *device, *fstype, *options, *mountpoint, *paths, *link, *kill_holders;
        const char *lines[MAX_LINES]; /* describe's lines, in order */
};

static const struct plan_case plan_cases[] = {
        { NULL,
          NULL,
          NULL,
          "/shared",
          "/install, /etc/xcat",
          NULL,
          NULL,
          { "shared filesystem: at /shared, mounted by someone else (only checked)\n", "paths (bind mounts):\n",
            "  /install <- bind of /shared/install\n", "  /etc/xcat <- bind of /shared/etc/xcat\n",
            "busy paths on revert: the step fails and names the holders\n" } },
        /* doubled and trailing slashes go; the mount table knows only canonical paths */
        { "nfs1:/export/xcat",
          "nfs",
          "vers=4,hard",
          "/shared//",
          "//install/, /var//lib/pgsql",
          "bind",
          "yes",
          { "shared filesystem: nfs1:/export/xcat (type nfs, options \"vers=4,hard\") mounted at /shared by this "
            "step\n",
            "paths (bind mounts):\n", "  /install <- bind of /shared/install\n",
            "  /var/lib/pgsql <- bind of /shared/var/lib/pgsql\n",
            "busy paths on revert: holders are ended (SIGTERM, then SIGKILL)\n" } },
        { "/dev/mapper/xcat",
          "auto",
          NULL,
          "/mnt/ha",
          "/tftpboot, /root/.xcat",
          "symlink",
          "no",
          { "shared filesystem: /dev/mapper/xcat (type auto, options \"\") mounted at /mnt/ha by this step\n",
            "paths (symbolic links):\n",
            "  /tftpboot -> /mnt/ha/tftpboot (local directory kept as /tftpboot.xhafw-local)\n",
            "  /root/.xcat -> /mnt/ha/root/.xcat (local directory kept as /root/.xcat.xhafw-local)\n",
            "busy paths on revert: the step fails and names the holders\n" } },
        /* the xCAT HA documentation's five */
        { "/srv/shared",
          NULL,
          "bind",
          "/HA",
          "/install,/etc/xcat,/root/.xcat,/var/lib/pgsql,/tftpboot",
          NULL,
          NULL,
          { "shared filesystem: /srv/shared (type auto, options \"bind\") mounted at /HA by this step\n",
            "paths (bind mounts):\n", "  /install <- bind of /HA/install\n", "  /etc/xcat <- bind of /HA/etc/xcat\n",
            "  /root/.xcat <- bind of /HA/root/.xcat\n", "  /var/lib/pgsql <- bind of /HA/var/lib/pgsql\n",
            "  /tftpboot <- bind of /HA/tftpboot\n", "busy paths on revert: the step fails and names the holders\n" } },
};

START_TEST(plan_table)
{
        const struct plan_case *c = &plan_cases[_i];
        const struct mock_option opts[] = {
                { "device", c->device },
                { "fstype", c->fstype },
                { "options", c->options },
                { "mountpoint", c->mountpoint },
                { "paths", c->paths },
                { "link", c->link },
                { "kill_holders", c->kill_holders },
                { NULL, NULL },
        };
        struct xhafw_step *step = mock_step_new(&xhafw_plugin_v1, "storage", opts);
        char *text = NULL;
        const char *p;

        ck_assert_int_eq(mock_validate(step), 0);
        ck_assert_int_eq(mock_describe(step, &text), 0);
        p = text;
        for (int i = 0; i < MAX_LINES && c->lines[i]; i++) {
                ck_assert_msg(strncmp(p, c->lines[i], strlen(c->lines[i])) == 0, "case %d: line %d is\n%.*s\nwant\n%s",
                              _i, i, (int) strcspn(p, "\n"), p, c->lines[i]);
                p += strlen(c->lines[i]);
        }
        ck_assert_msg(!*p, "case %d: more than expected: %s", _i, p);
        free(text);
        mock_step_free(step);
}
END_TEST

/* ---- validate ---- */

struct validate_case {
        const char *mountpoint, *paths, *link;
        int want;
        const char *log;
};

static const struct validate_case validate_cases[] = {
        { "/shared", "/install, /etc/xcat", NULL, 0, NULL },
        /* a common prefix is no containment */
        { "/shared", "/install, /install2, /shared2", NULL, 0, NULL },
        { "/shared", "/var/lib/pgsql, /var/lib/pgsql-old", "symlink", 0, NULL },
        /* paths that contain one another, or the mount point */
        { "/shared", "/shared/install", NULL, -EINVAL,
          "paths: /shared/install and mountpoint /shared must not contain "
          "one another" },
        { "/data/shared", "/install, /data", NULL, -EINVAL,
          "paths: /data and mountpoint /data/shared must not "
          "contain one another" },
        { "/shared", "/shared", NULL, -EINVAL, "paths: /shared and mountpoint /shared must not contain one another" },
        { "/shared", "/install, /install/postscripts", NULL, -EINVAL,
          "paths: /install and /install/postscripts must not contain one another" },
        { "/shared", "/etc/xcat/cert, /tftpboot, /etc/xcat", NULL, -EINVAL,
          "paths: /etc/xcat/cert and /etc/xcat must not contain one another" },
        /* the same path twice, spelt differently */
        { "/shared", "/install, /install/", NULL, -EINVAL,
          "paths: /install and /install must not contain one another" },
        /* / and . or .. components */
        { "/", "/install", NULL, -EINVAL, "mountpoint = /: must be an absolute path other than /" },
        { "//", "/install", NULL, -EINVAL, "mountpoint = //: must be an absolute path other than /" },
        { "/shared/../x", "/install", NULL, -EINVAL, "without . or .. components" },
        { "/shared", "/", NULL, -EINVAL, "paths: '/' must be an absolute path other than /" },
        { "/shared", "/install, /a/./b", NULL, -EINVAL, "paths: '/a/./b' must be an absolute path other than /" },
        { "/shared", "/a/..", NULL, -EINVAL, "paths: '/a/..' must be" },
        { "/shared", "install", NULL, -EINVAL, "paths: 'install' must be an absolute path" },
        { "/shared", "/install", "hardlink", -EINVAL, "link = hardlink: must be bind or symlink" },
};

START_TEST(validate_table)
{
        const struct validate_case *c = &validate_cases[_i];
        const struct mock_option opts[] = {
                { "mountpoint", c->mountpoint },
                { "paths", c->paths },
                { "link", c->link },
                { NULL, NULL },
        };
        struct xhafw_step *step = mock_step_new(&xhafw_plugin_v1, "storage", opts);

        ck_assert_msg(mock_validate(step) == c->want, "case %d: validate returned %d\n%s", _i, mock_validate(step),
                      mock_log_text(step));
        if (c->log)
                ck_assert_msg(mock_log_find(step, LOG_ERR, c->log), "case %d: no '%s' in\n%s", _i, c->log,
                              mock_log_text(step));
        else
                ck_assert_uint_eq(mock_log_count(step, -1, NULL), 0);
        mock_step_free(step);
}
END_TEST

/* ---- a temporary directory: the device, the mount point and two local paths in it ---- */

enum {
        DEV_DIR = 1 << 0, /* @TMP@/dev, a directory (bound with options = bind) */
        DEV_FILE = 1 << 1,
        MP_DIR = 1 << 2, /* @TMP@/shared */
        MP_FILE = 1 << 3,
        INSTALL_DIR = 1 << 4, /* @TMP@/install, a local directory */
        INSTALL_FILE = 1 << 5,
        INSTALL_ELSEWHERE = 1 << 6, /* a link to /elsewhere */
        INSTALL_LINKED = 1 << 7,    /* a link to its shared directory */
        INSTALL_ASIDE = 1 << 8,     /* @TMP@/install.xhafw-local, with a file "marker" */
        XCAT_LINKED = 1 << 9,       /* @TMP@/etc/xcat, a link to its shared directory */
};

#define PATHS "@TMP@/install, @TMP@/etc/xcat"
#define INSTALL_SOURCE "@TMP@/shared@TMP@/install"
#define XCAT_SOURCE "@TMP@/shared@TMP@/etc/xcat"

static void make_dir(struct xhafw_step *step, const char *name)
{
        ck_assert_msg(mkdir(mock_path(step, name), 0755) == 0, "mkdir %s: %s", name, strerror(errno));
}

static void make_link(struct xhafw_step *step, const char *target, const char *name)
{
        ck_assert_msg(symlink(mock_expand(step, target), mock_path(step, name)) == 0, "symlink %s: %s", name,
                      strerror(errno));
}

static void setup(struct xhafw_step *step, unsigned what)
{
        if (what & DEV_DIR)
                make_dir(step, "dev");
        if (what & DEV_FILE)
                mock_write_file(step, "dev", "a file\n");
        if (what & MP_DIR)
                make_dir(step, "shared");
        if (what & MP_FILE)
                mock_write_file(step, "shared", "a file\n");
        if (what & INSTALL_DIR)
                make_dir(step, "install");
        if (what & INSTALL_FILE)
                mock_write_file(step, "install", "a file\n");
        if (what & INSTALL_ELSEWHERE)
                make_link(step, "/elsewhere", "install");
        if (what & INSTALL_LINKED)
                make_link(step, INSTALL_SOURCE, "install");
        if (what & INSTALL_ASIDE) {
                make_dir(step, "install.xhafw-local");
                mock_write_file(step, "install.xhafw-local/marker", "local data\n");
        }
        if (what & XCAT_LINKED) {
                make_dir(step, "etc");
                make_link(step, XCAT_SOURCE, "etc/xcat");
        }
}

/* What a name of the temporary directory is now, as a word: absent, dir, file, or "-> TARGET". */
static const char *kind(struct xhafw_step *step, const char *name)
{
        const char *path = mock_path(step, name);
        char target[4096];
        struct stat st;
        ssize_t n;

        if (lstat(path, &st) < 0)
                return "absent";
        if (S_ISDIR(st.st_mode))
                return "dir";
        if (S_ISREG(st.st_mode))
                return "file";
        n = readlink(path, target, sizeof target - 1);
        ck_assert_int_ge(n, 0);
        target[n] = '\0';
        return mock_expand(step, n > 0 ? target : "?");
}

static struct xhafw_step *tmp_step(const char *link, const char *options, bool device)
{
        const struct mock_option opts[] = {
                { "device", device ? "@TMP@/dev" : NULL },
                { "options", options },
                { "mountpoint", "@TMP@/shared" },
                { "paths", PATHS },
                { "link", link },
                { NULL, NULL },
        };
        struct xhafw_step *step = mock_step_new(&xhafw_plugin_v1, "storage", opts);

        ck_assert_int_eq(mock_validate(step), 0);
        return step;
}

/* ---- apply in dry-run: what it would do, or why it refuses, and nothing changed ---- */

struct apply_case {
        const char *link, *options;
        unsigned setup;
        int want;
        const char *notices[MAX_LINES];
        const char *error;
};

static const struct apply_case apply_cases[] = {
        /* bind: the mount point and both paths created, the shared directories bound on them */
        { "bind",
          "bind",
          DEV_DIR,
          0,
          { "would create directory @TMP@/shared",
            "would mount @TMP@/dev on @TMP@/shared (type auto, options \"bind\")",
            "would create directory @TMP@/install", "would bind " INSTALL_SOURCE " on @TMP@/install",
            "would create directory @TMP@/etc/xcat", "would bind " XCAT_SOURCE " on @TMP@/etc/xcat" },
          NULL },
        /* what exists is not created */
        { "bind",
          "bind",
          DEV_DIR | MP_DIR | INSTALL_DIR,
          0,
          { "would mount @TMP@/dev on @TMP@/shared (type auto, options \"bind\")",
            "would bind " INSTALL_SOURCE " on @TMP@/install", "would create directory @TMP@/etc/xcat",
            "would bind " XCAT_SOURCE " on @TMP@/etc/xcat" },
          NULL },
        /* symlink: a local directory is moved aside, then each path links to its shared directory */
        { "symlink",
          "bind",
          DEV_DIR | MP_DIR | INSTALL_DIR,
          0,
          { "would mount @TMP@/dev on @TMP@/shared (type auto, options \"bind\")",
            "would move @TMP@/install aside to @TMP@/install.xhafw-local",
            "would link @TMP@/install -> " INSTALL_SOURCE, "would link @TMP@/etc/xcat -> " XCAT_SOURCE },
          NULL },
        /* refused before anything changes */
        { "bind",
          "bind",
          MP_DIR,
          -ENODEV,
          { NULL },
          "device @TMP@/dev does not exist on this node: cannot mount it "
          "on @TMP@/shared" },
        { "bind",
          NULL,
          DEV_DIR,
          -EISDIR,
          { NULL },
          "device @TMP@/dev is a directory: add bind to options to mount it" },
        { "bind",
          "bind",
          DEV_FILE,
          -ENOTDIR,
          { NULL },
          "device @TMP@/dev: options has bind, but it is not a directory" },
        { "bind",
          "bind",
          DEV_DIR | MP_FILE,
          -ENOTDIR,
          { NULL },
          "mountpoint @TMP@/shared exists and is not a directory: refusing to mount @TMP@/dev on it" },
        { "bind",
          "bind",
          DEV_DIR | INSTALL_ELSEWHERE,
          -EBUSY,
          { NULL },
          "@TMP@/install has a symbolic link to /elsewhere: refusing to bind over it" },
        { "symlink",
          "bind",
          DEV_DIR | INSTALL_ELSEWHERE,
          -EBUSY,
          { NULL },
          "@TMP@/install has a symbolic link to /elsewhere: refusing to replace it" },
        { "bind", "bind", DEV_DIR | INSTALL_FILE, -ENOTDIR, { NULL }, "@TMP@/install exists and is not a directory" },
        { "symlink",
          "bind",
          DEV_DIR | INSTALL_DIR | INSTALL_ASIDE,
          -EEXIST,
          { NULL },
          "@TMP@/install.xhafw-local exists already: refusing to move @TMP@/install aside over it" },
};

START_TEST(apply_table)
{
        const struct apply_case *c = &apply_cases[_i];
        struct xhafw_step *step = tmp_step(c->link, c->options, true);
        const char *before[3];
        static const char *const names[3] = { "shared", "install", "etc" };
        int r;

        setup(step, c->setup);
        for (int i = 0; i < 3; i++)
                before[i] = kind(step, names[i]);
        mock_set_dry_run(step, true);
        r = mock_apply(step);
        ck_assert_msg(r == c->want, "case %d: apply returned %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        assert_notices(step, _i, c->notices);
        if (c->error)
                ck_assert_msg(mock_log_find(step, LOG_ERR, c->error), "case %d: no '%s' in\n%s", _i,
                              mock_expand(step, c->error), mock_log_text(step));
        else
                ck_assert_uint_eq(mock_log_count(step, LOG_ERR, NULL), 0);
        for (int i = 0; i < 3; i++)
                ck_assert_str_eq(kind(step, names[i]), before[i]);
        ck_assert_uint_eq(mock_state_count(step), 0);
        mock_step_free(step);
}
END_TEST

/* ---- check, with the shared filesystem not mounted ---- */

struct check_case {
        const char *link;
        unsigned setup;
        const char *mounted; /* the state's record of a mount */
        int want;
        int log_priority;
        const char *log;
};

static const struct check_case check_cases[] = {
        { "bind", DEV_DIR | MP_DIR, NULL, XHAFW_INACTIVE, -1, NULL },
        /* a device that is not there: said why, still INACTIVE (a standby without the LUN) */
        { "bind", MP_DIR, NULL, XHAFW_INACTIVE, LOG_INFO,
          "device @TMP@/dev does not exist on this node: the shared filesystem is not mounted on @TMP@/shared" },
        /* links in place but nothing mounted under them: half done */
        { "symlink", DEV_DIR | MP_DIR | INSTALL_LINKED | XCAT_LINKED, NULL, XHAFW_PARTIAL, -1, NULL },
        { "symlink", DEV_DIR | MP_DIR | INSTALL_LINKED, NULL, XHAFW_PARTIAL, -1, NULL },
        /* a link of the right name is not a bind */
        { "bind", DEV_DIR | MP_DIR | INSTALL_LINKED, NULL, XHAFW_INACTIVE, LOG_WARNING,
          "@TMP@/install is occupied by something else: a symbolic link to " INSTALL_SOURCE },
        { "symlink", DEV_DIR | MP_DIR | INSTALL_ELSEWHERE, NULL, XHAFW_INACTIVE, LOG_WARNING,
          "@TMP@/install is occupied by something else: a symbolic link to /elsewhere" },
        /* a record of a mount the mount table does not show is no mount */
        { "bind", DEV_DIR | MP_DIR, "@TMP@/dev", XHAFW_INACTIVE, -1, NULL },
};

START_TEST(check_table)
{
        const struct check_case *c = &check_cases[_i];
        struct xhafw_step *step = tmp_step(c->link, "bind", true);
        int r;

        setup(step, c->setup);
        if (c->mounted)
                mock_state_set(step, "mounted", mock_expand(step, c->mounted));
        r = mock_check(step);
        ck_assert_msg(r == c->want, "case %d: check says %d, want %d\n%s", _i, r, c->want, mock_log_text(step));
        if (c->log)
                ck_assert_msg(mock_log_find(step, c->log_priority, c->log), "case %d: no '%s' in\n%s", _i,
                              mock_expand(step, c->log), mock_log_text(step));
        ck_assert_uint_eq(mock_log_count(step, LOG_ERR, NULL), 0);
        mock_step_free(step);
}
END_TEST

/* ---- revert of symbolic links, for real in the temporary directory ---- */

struct revert_case {
        unsigned setup;
        bool moved; /* the state's record of @TMP@/install moved aside */
        bool dry_run;
        const char *install_after; /* kind() of @TMP@/install */
        bool aside_after;
        size_t state_after;
        const char *notices[MAX_LINES];
        int log_priority;
        const char *log;
};

static const struct revert_case revert_cases[] = {
        /* the link goes, the local directory comes back with its data */
        { INSTALL_LINKED | INSTALL_ASIDE | XCAT_LINKED, true, false, "dir", false, 0, { NULL }, -1, NULL },
        { INSTALL_LINKED, false, false, "absent", false, 0, { NULL }, -1, NULL },
        /* a link that is not ours stays, and the local directory cannot come back */
        { INSTALL_ELSEWHERE | INSTALL_ASIDE,
          true,
          false,
          "/elsewhere",
          true,
          1,
          { NULL },
          LOG_WARNING,
          "@TMP@/install exists: leaving @TMP@/install.xhafw-local where it is" },
        { INSTALL_ELSEWHERE,
          false,
          false,
          "/elsewhere",
          false,
          0,
          { NULL },
          LOG_INFO,
          "@TMP@/install is a symbolic link to /elsewhere: not this step's, left alone" },
        /* after a crash between the move and the link: the directory still comes back */
        { INSTALL_ASIDE, true, false, "dir", false, 0, { NULL }, -1, NULL },
        /* dry-run: said in order (the paths in reverse), nothing done */
        { INSTALL_LINKED | INSTALL_ASIDE | XCAT_LINKED,
          true,
          true,
          INSTALL_SOURCE,
          true,
          1,
          { "would remove link @TMP@/etc/xcat -> " XCAT_SOURCE, "would remove link @TMP@/install -> " INSTALL_SOURCE,
            "would move @TMP@/install.xhafw-local back to @TMP@/install" },
          -1,
          NULL },
};

START_TEST(revert_table)
{
        const struct revert_case *c = &revert_cases[_i];
        struct xhafw_step *step = tmp_step("symlink", NULL, false);
        char *marker;
        int r;

        setup(step, c->setup);
        if (c->moved)
                mock_state_set(step, mock_expand(step, "moved:@TMP@/install"),
                               mock_expand(step, "@TMP@/install.xhafw-local"));
        mock_set_dry_run(step, c->dry_run);
        r = mock_revert(step);
        ck_assert_msg(r == 0, "case %d: revert returned %d\n%s", _i, r, mock_log_text(step));
        ck_assert_str_eq(kind(step, "install"), mock_expand(step, c->install_after));
        ck_assert_str_eq(kind(step, "install.xhafw-local"), c->aside_after ? "dir" : "absent");
        if (strcmp(c->install_after, "dir") == 0) {
                marker = mock_read_file(step, "install/marker");
                ck_assert_pstr_eq(marker, "local data\n");
                free(marker);
        }
        if (!c->dry_run && (c->setup & XCAT_LINKED))
                ck_assert_str_eq(kind(step, "etc/xcat"), "absent");
        ck_assert_uint_eq(mock_state_count(step), c->state_after);
        assert_notices(step, _i, c->notices);
        if (c->log)
                ck_assert_msg(mock_log_find(step, c->log_priority, c->log), "case %d: no '%s' in\n%s", _i,
                              mock_expand(step, c->log), mock_log_text(step));
        ck_assert_uint_eq(mock_log_count(step, LOG_ERR, NULL), 0);
        mock_step_free(step);
}
END_TEST

/* revert of a device this step recorded as mounted, which the mount table does not show: the record
 * goes (a re-run must not try again), and the mount point apply created is removed */
START_TEST(revert_unmounted_device)
{
        struct xhafw_step *step = tmp_step("bind", "bind", true);

        setup(step, DEV_DIR | MP_DIR);
        mock_state_set(step, "mounted", mock_path(step, "dev"));
        mock_state_set(step, mock_expand(step, "created:@TMP@/shared"), mock_path(step, "shared"));
        mock_set_dry_run(step, true);
        ck_assert_int_eq(mock_revert(step), 0);
        ck_assert_ptr_nonnull(
                mock_log_find(step, LOG_NOTICE, "would remove directory @TMP@/shared (created by apply)"));
        ck_assert_uint_eq(mock_state_count(step), 2);
        ck_assert_str_eq(kind(step, "shared"), "dir");

        mock_set_dry_run(step, false);
        ck_assert_int_eq(mock_revert(step), 0);
        ck_assert_ptr_nonnull(mock_log_find(step, LOG_INFO,
                                            "@TMP@/dev is not mounted on @TMP@/shared (so says the "
                                            "mount table): nothing to unmount"));
        ck_assert_uint_eq(mock_state_count(step), 0);
        ck_assert_str_eq(kind(step, "shared"), "absent");
        mock_step_free(step);
}
END_TEST

static Suite *storage_suite(void)
{
        Suite *s = suite_create("storage");
        TCase *tc = tcase_create("storage");

        tcase_add_loop_test(tc, plan_table, 0, N(plan_cases));
        tcase_add_loop_test(tc, validate_table, 0, N(validate_cases));
        tcase_add_loop_test(tc, apply_table, 0, N(apply_cases));
        tcase_add_loop_test(tc, check_table, 0, N(check_cases));
        tcase_add_loop_test(tc, revert_table, 0, N(revert_cases));
        tcase_add_test(tc, revert_unmounted_device);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(storage_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
