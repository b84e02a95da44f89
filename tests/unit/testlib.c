/* Helpers shared by the Check suites. */
#include <errno.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testlib.h"

char *tl_mkdtemp(void)
{
        char *d = strdup_or_die("/tmp/xhafw-unit.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(d));
        return d;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void) st, (void) flag, (void) ftw;
        return remove(path);
}

void tl_rmtree(const char *path)
{
        if (path)
                (void) nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void tl_write(const char *dir, const char *name, const char *content)
{
        char *p = xasprintf("%s/%s", dir, name);
        char *slash = strrchr(p, '/');
        FILE *f;

        *slash = 0;
        ck_assert_int_eq(mkdir_p(p, 0755), 0);
        *slash = '/';
        f = fopen(p, "we");
        ck_assert_msg(f != NULL, "cannot write %s: %s", p, strerror(errno));
        fputs(content, f);
        ck_assert_int_eq(fclose(f), 0);
        free(p);
}

char *tl_read(const char *path)
{
        char *buf = NULL;
        if (read_file(path, XHAFW_MAX_FILE, &buf, NULL) < 0)
                return NULL;
        return buf;
}

void tl_settings(struct settings *s, const char *dir)
{
        const char *pd = getenv("XHAFW_TEST_PLUGIN_DIR");
        memset(s, 0, sizeof *s);
        s->conf_d = xasprintf("%s/conf.d", dir);
        s->state_dir = xasprintf("%s/state", dir);
        s->plugin_path = strdup_or_die(pd ? pd : ".");
        s->jobs = 4;
        s->timeout_ms = 10000;
        s->grace_ms = 500;
        s->path = strdup_or_die("/usr/sbin:/usr/bin:/sbin:/bin");
}

void tl_settings_free(struct settings *s)
{
        free(s->config_file);
        free(s->conf_d);
        free(s->plugin_path);
        free(s->state_dir);
        free(s->path);
        strv_free(s->service_manager);
        strv_free(s->pass_env);
        memset(s, 0, sizeof *s);
}

struct xhafw_step *tl_step(const char *name, const struct settings *s, bool dry_run)
{
        struct xhafw_step *st = xcalloc(1, sizeof *st);
        st->name = strdup_or_die(name);
        st->plugin_name = strdup_or_die(name);
        st->file = strdup_or_die("test.conf");
        st->timeout_ms = s->timeout_ms;
        st->critical = st->enabled = true;
        st->action = xcalloc(1, sizeof *st->action);
        st->action->settings = s;
        st->action->dry_run = dry_run;
        st->action->msg_fd = -1;
        return st;
}

void tl_step_free(struct xhafw_step *st)
{
        if (!st)
                return;
        if (st->action)
                action_state_free(st->action);
        free(st->action);
        free(st->name);
        free(st->plugin_name);
        free(st->file);
        free(st);
}

int tl_run(Suite *s)
{
        SRunner *sr = srunner_create(s);
        int failed;
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
