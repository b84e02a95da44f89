/* Helpers shared by the Check suites. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
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
        settings_free(s);
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

void tl_conf(const char *dir, const char *extra)
{
        const char *pp = getenv("XHAFW_TEST_PLUGIN_PATH");
        char *conf = xasprintf("[xhafw]\nconf_d = %s/conf.d\nplugin_path = %s\nstate_dir = %s/state\n"
                               "timeout = 10s\ngrace = 300ms\njobs = 4\n%s\n",
                               dir, pp ? pp : getenv("XHAFW_TEST_PLUGIN_DIR"), dir, extra ? extra : "");
        char *cd = xasprintf("%s/conf.d", dir);
        tl_write(dir, "xhafw.conf", conf);
        ck_assert_int_eq(mkdir_p(cd, 0755), 0);
        free(conf);
        free(cd);
}

static char **build_argv(const char *dir, va_list ap)
{
        size_t n = 0, cap = 8;
        char **argv = xcalloc(cap, sizeof *argv);
        const char *a;
        argv[n++] = strdup_or_die(getenv("XHAFW_BIN"));
        argv[n++] = strdup_or_die("--config");
        argv[n++] = xasprintf("%s/xhafw.conf", dir);
        while ((a = va_arg(ap, const char *))) {
                if (n + 2 >= cap) {
                        cap *= 2;
                        argv = realloc(argv, cap * sizeof *argv);
                        ck_assert_ptr_nonnull(argv);
                }
                argv[n++] = strdup_or_die(a);
        }
        argv[n] = NULL;
        return argv;
}

/* Start the binary with ARGV, stdin /dev/null, stdout and stderr into OUT_FILE. */
static pid_t spawn(const char *out_file, char **argv)
{
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
                int fd = open(out_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
                int nul = open("/dev/null", O_RDONLY);
                dup2(nul, 0);
                dup2(fd, 1);
                dup2(fd, 2);
                execv(argv[0], argv);
                _exit(127);
        }
        return pid;
}

int tl_xhafw(const char *dir, char **ret_out, ...)
{
        char *out_file = xasprintf("%s/.xhafw-out", dir);
        char **argv;
        va_list ap;
        pid_t pid;
        int status;

        ck_assert_ptr_nonnull(getenv("XHAFW_BIN"));
        va_start(ap, ret_out);
        argv = build_argv(dir, ap);
        va_end(ap);
        pid = spawn(out_file, argv);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        if (ret_out) {
                *ret_out = tl_read(out_file);
                if (!*ret_out)
                        *ret_out = strdup_or_die("");
        }
        unlink(out_file);
        free(out_file);
        strv_free(argv);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

pid_t tl_xhafw_bg(const char *dir, const char *out_file, ...)
{
        char **argv;
        va_list ap;
        pid_t pid;

        va_start(ap, out_file);
        argv = build_argv(dir, ap);
        va_end(ap);
        pid = spawn(out_file, argv);
        strv_free(argv);
        return pid;
}

bool tl_contains(const char *path, const char *needle)
{
        char *t = tl_read(path);
        bool r = t && strstr(t, needle);
        free(t);
        return r;
}

int tl_journal_index(const char *dir, const char *event, const char *step)
{
        char *path = xasprintf("%s/state/journal", dir);
        char *t = tl_read(path), *save = NULL;
        char *ev = xasprintf("\"event\":\"%s\"", event), *st = step ? xasprintf("\"step\":\"%s\"", step) : NULL;
        int idx = 0, found = -1;

        free(path);
        for (char *line = t ? strtok_r(t, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save), idx++)
                if (strstr(line, ev) && (!st || strstr(line, st))) {
                        found = idx;
                        break;
                }
        free(t);
        free(ev);
        free(st);
        return found;
}

static int capture_pipe[2] = { -1, -1 };

void tl_capture(struct xhafw_step *st)
{
        ck_assert_int_eq(pipe2(capture_pipe, O_CLOEXEC), 0);
        ck_assert_int_eq(fcntl(capture_pipe[0], F_SETFL, O_NONBLOCK), 0);
        st->action->msg_fd = capture_pipe[1];
}

char *tl_messages(void)
{
        char *buf = xcalloc(1, 1);
        size_t n = 0;
        for (;;) {
                char tmp[4096];
                ssize_t r = read(capture_pipe[0], tmp, sizeof tmp);
                if (r <= 0)
                        break;
                buf = realloc(buf, n + (size_t) r + 1);
                ck_assert_ptr_nonnull(buf);
                memcpy(buf + n, tmp, (size_t) r);
                n += (size_t) r;
                buf[n] = 0;
        }
        return buf;
}

void tl_capture_end(void)
{
        for (int i = 0; i < 2; i++)
                if (capture_pipe[i] >= 0)
                        close(capture_pipe[i]);
        capture_pipe[0] = capture_pipe[1] = -1;
}
