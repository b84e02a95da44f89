/* Engine semantics of DESIGN §5, through the built binary with the test-only `fake` plugin:
 * order, parallelism, verification, rollback, timeouts, crashes, refusals, non-critical steps,
 * deactivate failures, the lock, dry-run, signals and a SIGKILL mid-run. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static char *dir, *cd;

static void setup(void)
{
        dir = tl_mkdtemp();
        cd = xasprintf("%s/conf.d", dir);
        tl_conf(dir, NULL);
}

static void teardown(void)
{
        tl_rmtree(dir);
        free(dir);
        free(cd);
}

/* A step of the fake plugin with marker DIR/NAME.on and extra lines. */
static void step(const char *name, const char *extra)
{
        char *file = xasprintf("10-%s.conf", name);
        char *text = xasprintf("[%s]\nplugin = fake\ntarget = %s/%s.on\n%s\n", name, dir, name, extra ? extra : "");
        tl_write(cd, file, text);
        free(file);
        free(text);
}

static bool on(const char *name)
{
        char *p = xasprintf("%s/%s.on", dir, name);
        bool r = access(p, F_OK) == 0;
        free(p);
        return r;
}

static int ev(const char *event, const char *name)
{
        return tl_journal_index(dir, event, name);
}

START_TEST(test_activate_deactivate_order)
{
        char *out;
        step("a", NULL);
        step("b", "after = a");
        step("c", "after = b");
        ck_assert_int_eq(tl_xhafw(dir, &out, "activate", "--yes", NULL), 0);
        ck_assert(on("a") && on("b") && on("c"));
        ck_assert(ev("step-applied", "a") < ev("step-apply", "b"));
        ck_assert(ev("step-applied", "b") < ev("step-apply", "c"));
        ck_assert_msg(strstr(out, "3 steps applied"), "%s", out);
        free(out);
        /* again: nothing to do */
        ck_assert_int_eq(tl_xhafw(dir, &out, "activate", "--yes", NULL), 0);
        ck_assert_msg(strstr(out, "0 steps applied, 3 already active"), "%s", out);
        free(out);
        ck_assert_int_eq(tl_xhafw(dir, &out, "status", NULL), 0);
        free(out);
        ck_assert_int_eq(tl_xhafw(dir, &out, "deactivate", "--yes", NULL), 0);
        ck_assert(!on("a") && !on("b") && !on("c"));
        free(out);
        {
                /* deactivate runs in reverse: c before b before a (the second run's events) */
                char *j = xasprintf("%s/state/journal", dir), *t = tl_read(j);
                char *p = strstr(t, "\"detail\":\"deactivate\"");
                ck_assert_ptr_nonnull(p);
                ck_assert(strstr(p, "\"step-reverted\",\"step\":\"c\"") < strstr(p, "\"step-revert\",\"step\":\"b\""));
                ck_assert(strstr(p, "\"step-reverted\",\"step\":\"b\"") < strstr(p, "\"step-revert\",\"step\":\"a\""));
                free(t);
                free(j);
        }
        ck_assert_int_eq(tl_xhafw(dir, &out, "status", NULL), 3);
        free(out);
}
END_TEST

/* Independent steps run at once: all four started before any ended (jobs = 4). */
START_TEST(test_parallel)
{
        char *out;
        for (int i = 0; i < 4; i++) {
                char name[8];
                snprintf(name, sizeof name, "p%d", i);
                step(name, "sleep = 300ms");
        }
        ck_assert_int_eq(tl_xhafw(dir, &out, "activate", "--yes", NULL), 0);
        for (int i = 0; i < 4; i++) {
                char name[8];
                snprintf(name, sizeof name, "p%d", i);
                ck_assert_int_lt(ev("step-apply", name), ev("step-applied", NULL));
        }
        free(out);
        /* and with --jobs 1 one at a time: the second starts after the first ended */
        ck_assert_int_eq(tl_xhafw(dir, &out, "deactivate", "--yes", "--jobs", "1", NULL), 0);
        free(out);
        {
                char *j = xasprintf("%s/state/journal", dir);
                ck_assert_int_eq(unlink(j), 0);
                free(j);
        }
        ck_assert_int_eq(tl_xhafw(dir, &out, "activate", "--yes", "--jobs", "1", NULL), 0);
        ck_assert_int_gt(ev("step-apply", "p1"), ev("step-applied", "p0"));
        free(out);
}
END_TEST

struct failure_case {
        const char *name;
        const char *c_extra; /* how step c misbehaves */
        int exit_code;
        const char *expect; /* in the output */
        bool c_reverted;    /* the failed step itself is reverted */
        int status_after;   /* 0: 3 (all inactive) */
};

/* The hanging cases time out after 1 s: short enough for a quick suite, long enough that the
 * check before the apply (under ASan, on a loaded machine) never reaches the timeout itself. */
static const struct failure_case failure_cases[] = {
        { "fail", "apply_mode = fail", 1, "injected failure", true, 0 },
        { "lie", "apply_mode = lie", 1, "did not take effect", true, 0 },
        { "crash", "apply_mode = crash", 1, "crashed with signal", true, 0 },
        { "hang", "apply_mode = hang\ntimeout = 1s", 1, "timed out after 1.000s", true, 0 },
        { "hang ignoring TERM", "apply_mode = hang\nignore_term = yes\ntimeout = 1s", 1, "timed out", true, 0 },
        { "exit", "apply_mode = exit", 1, "must return, not exit()", true, 0 },
        { "refuse", "apply_mode = refuse", 6, "REFUSED", false, 0 },
        { "check crash", "check_mode = crash", 1, "crashed", false, 4 },
};

/* a, b after a, c after b misbehaves, d independent: everything applied is rolled back, in reverse. */
START_TEST(test_failure_rolls_back)
{
        const struct failure_case *fc = &failure_cases[_i];
        char *out;
        step("a", NULL);
        step("b", "after = a");
        step("c", fc->c_extra);
        tl_write(cd, "10-c.conf", "");
        {
                char *text = xasprintf("[c]\nplugin = fake\ntarget = %s/c.on\nafter = b\n%s\n", dir, fc->c_extra);
                tl_write(cd, "10-c.conf", text);
                free(text);
        }
        step("d", NULL);
        ck_assert_int_eq(tl_xhafw(dir, &out, "activate", "--yes", NULL), fc->exit_code);
        ck_assert_msg(strstr(out, fc->expect), "%s: output lacks '%s':\n%s", fc->name, fc->expect, out);
        ck_assert_msg(!on("a") && !on("b") && !on("c") && !on("d"), "%s: not rolled back:\n%s", fc->name, out);
        ck_assert(ev("step-rolled-back", "b") >= 0 && ev("step-rolled-back", "a") > ev("step-rolled-back", "b"));
        ck_assert_msg((ev("step-revert", "c") >= 0) == fc->c_reverted, "%s: failed step reverted: %d", fc->name,
                      ev("step-revert", "c"));
        ck_assert(ev("step-rolled-back", "d") >= 0);
        free(out);
        ck_assert_int_eq(tl_xhafw(dir, &out, "status", NULL), fc->status_after ? fc->status_after : 3);
        free(out);
}
END_TEST

START_TEST(test_no_rollback)
{
        char *out;
        step("a", NULL);
        step("b", "after = a\napply_mode = fail");
        ck_assert_int_eq(tl_xhafw(dir, &out, "activate", "--yes", "--no-rollback", NULL), 1);
        ck_assert(on("a"));
        ck_assert_msg(strstr(out, "still changed on this node: a (applied)"), "%s", out);
        free(out);
        ck_assert_int_eq(tl_xhafw(dir, &out, "status", NULL), 4);
        free(out);
}
END_TEST

/* A non-critical failure is reported; its non-critical dependents do not start; the rest goes
 * on; exit 0. */
START_TEST(test_non_critical)
{
        char *out;
        step("a", "critical = no\napply_mode = fail");
        step("b", "after = a\ncritical = no");
        step("c", NULL);
        ck_assert_int_eq(tl_xhafw(dir, &out, "activate", "--yes", NULL), 0);
        ck_assert(!on("a") && !on("b") && on("c"));
        ck_assert_msg(strstr(out, "non-critical"), "%s", out);
        free(out);
        ck_assert_int_eq(tl_xhafw(dir, &out, "--json", "activate", "--yes", NULL), 0);
        ck_assert_msg(strstr(out, "\"outcome\":\"not-started\"") || strstr(out, "\"outcome\": \"not-started\""), "%s",
                      out);
        free(out);
}
END_TEST

/* Exit 0 means the node holds the role: a critical step that cannot start because a non-critical
 * step it is after failed is a critical failure (exit 1, rollback of what was applied). */
START_TEST(test_critical_after_non_critical)
{
        char *out;
        step("a", "critical = no\napply_mode = fail");
        step("b", "after = a");
        step("c", "sleep = 200ms");
        ck_assert_int_eq(tl_xhafw(dir, &out, "activate", "--yes", NULL), 1);
        ck_assert_msg(!on("a") && !on("b") && !on("c"), "%s", out);
        ck_assert_msg(strstr(out, "b: FAILED") && strstr(out, "a, which it is after, is not active"), "%s", out);
        free(out);
        ck_assert_int_eq(tl_xhafw(dir, &out, "status", NULL), 3);
        free(out);
}
END_TEST

/* Real plugins log before they fail. A check that logs an error and then fails must be reported
 * with that error as its reason by every command, never crash the core (the reason string was
 * once freed while being stored), and a run must still roll back and end in the journal. */
static const char *const misbehaviours[] = { "check_mode = logfail",  "check_mode = noisy",     "apply_mode = logfail",
                                             "apply_mode = partial",  "apply_mode = noisy",     "revert_mode = logfail",
                                             "revert_mode = partial", "validate_mode = logfail" };

START_TEST(test_plugin_misbehaves_like_real_ones)
{
        const char *m = misbehaviours[_i];
        bool check_fails = strstr(m, "check_mode = logfail") != NULL;
        bool apply_fails = strstr(m, "apply_mode = logfail") || strstr(m, "apply_mode = partial");
        bool revert_fails = strstr(m, "revert_mode") && !strstr(m, "noisy");
        bool invalid = strstr(m, "validate_mode") != NULL;
        char *out;
        int rc;

        step("a", NULL);
        char *extra = xasprintf("after = a\n%s", m);
        step("b", extra);
        free(extra);
        step("c", "after = b");

        /* status does not gate on validate(): it must always tell */
        rc = tl_xhafw(dir, &out, "status", NULL);
        ck_assert_msg(rc == 3, "%s: status exited %d: %s", m, rc, out);
        ck_assert_msg(!strstr(out, "double free") && !strstr(out, "Aborted"), "%s", out);
        free(out);
        rc = tl_xhafw(dir, &out, "--json", "status", NULL);
        ck_assert_msg(rc == 3 && strstr(out, "\"exit\":3"), "%s: %d %s", m, rc, out);
        free(out);
        /* a dry-run exits as the run would: 1 when apply would fail */
        rc = tl_xhafw(dir, &out, "activate", "--dry-run", NULL);
        ck_assert_msg(rc == (invalid ? 2 : apply_fails ? 1 : 0), "%s: dry-run exited %d: %s", m, rc, out);
        free(out);

        rc = tl_xhafw(dir, &out, "activate", "--yes", NULL);
        if (invalid) {
                ck_assert_msg(rc == 2 && strstr(out, "validate refuses after logging"), "%s", out);
                ck_assert(!on("a") && !on("b") && !on("c"));
        } else if (check_fails) {
                /* b can never be verified, neither up nor down: a, which b is after, is kept, and
                 * the summary says so */
                ck_assert_msg(rc == 1 && !on("c") && on("a"), "%s: activate exited %d: %s", m, rc, out);
                ck_assert_msg(strstr(out, "injected") && strstr(out, "still changed on this node:"), "%s", out);
                ck_assert_int_ge(ev("run-end", NULL), 0);
        } else if (apply_fails) {
                ck_assert_msg(rc == 1, "%s: activate exited %d: %s", m, rc, out);
                ck_assert_msg(strstr(out, "injected"), "%s: the plugin's error is not the reason: %s", m, out);
                ck_assert_msg(!on("a") && !on("b") && !on("c"), "%s: not rolled back: %s", m, out);
                ck_assert_int_ge(ev("run-end", NULL), 0);
        } else {
                ck_assert_msg(rc == 0, "%s: activate exited %d: %s", m, rc, out);
                ck_assert(on("a") && on("b") && on("c"));
        }
        free(out);
        if (invalid || check_fails || apply_fails)
                return;
        rc = tl_xhafw(dir, &out, "deactivate", "--yes", NULL);
        if (revert_fails) {
                /* b stays, and so does a, which b is after; c, after b, is reverted */
                ck_assert_msg(rc == 1 && !on("c") && on("a") && strstr(out, "injected"), "%s: %d %s", m, rc, out);
        } else
                ck_assert_msg(rc == 0 && !on("a") && !on("b") && !on("c"), "%s: %d %s", m, rc, out);
        free(out);
}
END_TEST

/* A rollback that cannot revert a step keeps what that step is after: the summary names every
 * step still changed (the kept one too), and only those. */
START_TEST(test_summary_after_failed_rollback)
{
        char *out;
        step("a", NULL);
        step("b", "after = a\napply_mode = partial\nrevert_mode = fail");
        step("c", "after = b");
        ck_assert_int_eq(tl_xhafw(dir, &out, "activate", "--yes", NULL), 1);
        ck_assert(on("a") && on("b") && !on("c"));
        ck_assert_msg(strstr(out, "still changed on this node: a (applied, kept") &&
                              strstr(out, " b (rollback-failed)") && !strstr(out, " c ("),
                      "%s", out);
        ck_assert_msg(strstr(out, "1 failed, 1 not started"), "%s", out);
        free(out);
}
END_TEST

/* Deactivate: a step that fails to revert keeps what it is after; others go on. */
START_TEST(test_deactivate_failure)
{
        char *out, *trigger = xasprintf("%s/trigger", dir);
        char *extra = xasprintf("after = a\nrevert_mode = fail\ntrigger = %s", trigger);
        step("a", NULL);
        step("b", extra);
        step("c", NULL);
        ck_assert_int_eq(tl_xhafw(dir, &out, "activate", "--yes", NULL), 0);
        free(out);
        tl_write(dir, "trigger", "");
        ck_assert_int_eq(tl_xhafw(dir, &out, "deactivate", "--yes", NULL), 1);
        ck_assert(on("a") && on("b") && !on("c"));
        ck_assert_msg(strstr(out, "a (not-started)") && strstr(out, "b (failed)"), "%s", out);
        free(out);
        unlink(trigger);
        ck_assert_int_eq(tl_xhafw(dir, &out, "deactivate", "--yes", NULL), 0);
        ck_assert(!on("a") && !on("b"));
        free(out);
        free(extra);
        free(trigger);
}
END_TEST

/* A standby's deactivate (Pacemaker's stop of an inactive resource): every step already inactive,
 * whichever the engine looks at last. Nothing to do, and nothing that looks like an engine fault. */
START_TEST(test_deactivate_standby)
{
        char *out;
        step("a", NULL);
        step("b", "after = a");
        step("c", "after = a");
        step("d", "after = b, c");
        for (int round = 0; round < 2; round++) { /* all inactive; then only the last step active */
                ck_assert_int_eq(tl_xhafw(dir, &out, "deactivate", "--yes", NULL), 0);
                ck_assert_msg(!strstr(out, "internal error"), "round %d:\n%s", round, out);
                ck_assert_msg(strstr(out, round ? "1 step reverted, 3 already inactive" :
                                                  "0 steps reverted, 4 already inactive"),
                              "round %d:\n%s", round, out);
                free(out);
                tl_write(dir, "d.on", "");
        }
}
END_TEST

START_TEST(test_lock)
{
        char *out, *lock = xasprintf("%s/state/lock", dir);
        int fd;
        step("a", NULL);
        ck_assert_int_eq(mkdir_p(lock, 0700), 0);
        rmdir(lock);
        fd = open(lock, O_RDWR | O_CREAT, 0600);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, "4242\n", 5), 5);
        ck_assert_int_eq(flock(fd, LOCK_EX), 0);
        ck_assert_int_eq(tl_xhafw(dir, &out, "activate", "--yes", NULL), 5);
        ck_assert_msg(strstr(out, "pid 4242"), "%s", out);
        ck_assert(!on("a"));
        free(out);
        close(fd);
        ck_assert_int_eq(tl_xhafw(dir, &out, "activate", "--yes", NULL), 0);
        free(out);
        free(lock);
}
END_TEST

/* A listing of every file under DIR with its size, mode and content hash: a byte-level snapshot. */
static char *snapshot(const char *root)
{
        char *cmd_out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&cmd_out, &len);
        DIR *d = opendir(root);
        struct dirent *de;
        ck_assert_ptr_nonnull(d);
        while ((de = readdir(d))) {
                char *p;
                struct stat st;
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
                    strcmp(de->d_name, ".xhafw-out") == 0)
                        continue;
                p = xasprintf("%s/%s", root, de->d_name);
                ck_assert_int_eq(lstat(p, &st), 0);
                fprintf(f, "%s %o %lld %ld.%09ld\n", p, st.st_mode, (long long) st.st_size, st.st_mtim.tv_sec,
                        st.st_mtim.tv_nsec);
                if (S_ISDIR(st.st_mode)) {
                        char *sub = snapshot(p);
                        fputs(sub, f);
                        free(sub);
                } else if (S_ISREG(st.st_mode)) {
                        char *t = tl_read(p);
                        fprintf(f, "%s\n", t ? t : "");
                        free(t);
                }
                free(p);
        }
        closedir(d);
        fclose(f);
        return cmd_out;
}

START_TEST(test_dry_run_changes_nothing)
{
        char *out, *before, *after, *file = xasprintf("%s/managed.txt", dir);
        char *extra = xasprintf("file = %s\ncontent = new line\ncommand = /bin/touch, %s/touched", file, dir);
        tl_write(dir, "managed.txt", "old line\n");
        step("a", extra);
        step("b", NULL);
        /* a first real run creates the state dir, so that dry-run is compared against a used node */
        ck_assert_int_eq(tl_xhafw(dir, &out, "activate", "--yes", "--only", "b", NULL), 0);
        free(out);
        before = snapshot(dir);
        ck_assert_int_eq(tl_xhafw(dir, &out, "activate", "--dry-run", NULL), 0);
        ck_assert_msg(strstr(out, "a (fake): INACTIVE -> would apply") && strstr(out, "would run: /bin/touch") &&
                              strstr(out, "-old line") && strstr(out, "+new line") &&
                              strstr(out, "b (fake): ACTIVE: nothing to do"),
                      "%s", out);
        free(out);
        ck_assert_int_eq(tl_xhafw(dir, &out, "deactivate", "--dry-run", NULL), 0);
        ck_assert_msg(strstr(out, "b (fake): ACTIVE -> would revert"), "%s", out);
        free(out);
        after = snapshot(dir);
        ck_assert_str_eq(before, after);
        free(before);
        free(after);
        free(file);
        free(extra);
}
END_TEST

/* A dry-run exits as the run would: 6 when a safety check would refuse, and shows the whole plan. */
START_TEST(test_dry_run_foresees_refusal)
{
        char *out;
        step("a", "apply_mode = refuse");
        step("b", "after = a");
        ck_assert_int_eq(tl_xhafw(dir, &out, "activate", "--dry-run", NULL), 6);
        ck_assert_msg(strstr(out, "a (fake): INACTIVE -> refused") && strstr(out, "b (fake): INACTIVE -> would apply"),
                      "%s", out);
        free(out);
}
END_TEST

/* The status rule: a check that cannot tell while a step it is after is inactive is INACTIVE. */
START_TEST(test_status_derived_inactive)
{
        char *out;
        step("a", NULL);
        step("b", "after = a\ncheck_mode = fail");
        ck_assert_int_eq(tl_xhafw(dir, &out, "status", NULL), 3);
        ck_assert_msg(strstr(out, "cannot be checked while a is inactive"), "%s", out);
        free(out);
        step("a", NULL);
        tl_write(dir, "a.on", "");
        ck_assert_int_eq(tl_xhafw(dir, &out, "status", NULL), 4);
        free(out);
}
END_TEST

static void wait_for_event(const char *event, const char *name)
{
        for (int i = 0; i < 500 && ev(event, name) < 0; i++)
                usleep(10000);
        ck_assert_int_ge(ev(event, name), 0);
}

/* SIGKILL of xhafw in the middle of a step: status says so, and a re-run converges. */
START_TEST(test_sigkill_mid_step)
{
        char *out, *log = xasprintf("%s/bg.out", dir);
        pid_t pid;
        int status;
        step("a", NULL);
        step("b", "after = a\nsleep = 5s");
        step("c", "after = b");
        pid = tl_xhafw_bg(dir, log, "activate", "--yes", NULL);
        wait_for_event("step-apply", "b");
        kill(pid, SIGKILL);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        /* the action died with the core (it must not go on unsupervised) */
        usleep(100000);
        ck_assert_int_eq(tl_xhafw(dir, &out, "status", NULL), 4);
        ck_assert_msg(strstr(out, "interrupted and never finished"), "%s", out);
        free(out);
        {
                /* the killed run's action dies with it (parent-death signal); wait for its lock */
                char *lock = xasprintf("%s/state/lock", dir);
                int fd = open(lock, O_RDONLY), i;
                for (i = 0; i < 500 && flock(fd, LOCK_EX | LOCK_NB) < 0; i++)
                        usleep(10000);
                ck_assert_int_lt(i, 500);
                close(fd);
                free(lock);
        }
        ck_assert_int_eq(tl_xhafw(dir, &out, "activate", "--yes", NULL), 0);
        ck_assert_msg(strstr(out, "interrupted"), "%s", out);
        free(out);
        ck_assert(on("a") && on("b") && on("c"));
        ck_assert_int_eq(tl_xhafw(dir, &out, "status", NULL), 0);
        ck_assert_msg(!strstr(out, "interrupted"), "%s", out);
        free(out);
        free(log);
}
END_TEST

/* SIGTERM during activate: the running step is ended and everything is rolled back. */
START_TEST(test_sigterm_rolls_back)
{
        char *log = xasprintf("%s/bg.out", dir);
        pid_t pid;
        int status;
        step("a", NULL);
        step("b", "after = a\nsleep = 10s");
        pid = tl_xhafw_bg(dir, log, "activate", "--yes", NULL);
        wait_for_event("step-apply", "b");
        kill(pid, SIGTERM);
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
        ck_assert_msg(tl_contains(log, "INTERRUPTED"), "no INTERRUPTED in the output");
        ck_assert(!on("a") && !on("b"));
        ck_assert_int_ge(ev("run-end", NULL), 0);
        free(log);
}
END_TEST

START_TEST(test_only)
{
        char *out;
        step("a", NULL);
        step("b", NULL);
        ck_assert_int_eq(tl_xhafw(dir, &out, "activate", "--yes", "--only", "b", NULL), 0);
        ck_assert(!on("a") && on("b"));
        free(out);
        /* a step outside --only gates the selected ones in its current state, and is not touched */
        step("c", "after = a");
        ck_assert_int_eq(tl_xhafw(dir, &out, "activate", "--yes", "--only", "c", NULL), 1);
        ck_assert_msg(strstr(out, "a, which it is after, is not active and not in --only"), "%s", out);
        ck_assert(!on("a") && !on("c"));
        free(out);
        ck_assert_int_eq(tl_xhafw(dir, &out, "activate", "--yes", "--only", "a,c", NULL), 0);
        ck_assert(on("a") && on("c"));
        free(out);
        ck_assert_int_eq(tl_xhafw(dir, &out, "deactivate", "--yes", "--only", "a", NULL), 1);
        ck_assert_msg(strstr(out, "c, which is after it, is still active and not in --only"), "%s", out);
        ck_assert(on("a") && on("c") && on("b"));
        free(out);
        ck_assert_int_eq(tl_xhafw(dir, &out, "deactivate", "--yes", "--only", "c,a", NULL), 0);
        ck_assert(!on("a") && !on("c") && on("b"));
        free(out);
        ck_assert_int_eq(tl_xhafw(dir, &out, "activate", "--yes", "--only", "nosuch", NULL), 2);
        ck_assert_msg(strstr(out, "no step is named 'nosuch'"), "%s", out);
        free(out);
}
END_TEST

static Suite *suite(void)
{
        Suite *s = suite_create("engine");
        TCase *tc = tcase_create("engine");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_activate_deactivate_order);
        tcase_add_test(tc, test_parallel);
        tcase_add_loop_test(tc, test_failure_rolls_back, 0, (int) (sizeof failure_cases / sizeof failure_cases[0]));
        tcase_add_test(tc, test_no_rollback);
        tcase_add_test(tc, test_non_critical);
        tcase_add_test(tc, test_critical_after_non_critical);
        tcase_add_test(tc, test_summary_after_failed_rollback);
        tcase_add_loop_test(tc, test_plugin_misbehaves_like_real_ones, 0,
                            (int) (sizeof misbehaviours / sizeof misbehaviours[0]));
        tcase_add_test(tc, test_deactivate_failure);
        tcase_add_test(tc, test_deactivate_standby);
        tcase_add_test(tc, test_lock);
        tcase_add_test(tc, test_dry_run_changes_nothing);
        tcase_add_test(tc, test_status_derived_inactive);
        tcase_add_test(tc, test_dry_run_foresees_refusal);
        tcase_add_test(tc, test_sigkill_mid_step);
        tcase_add_test(tc, test_sigterm_rolls_back);
        tcase_add_test(tc, test_only);
        tcase_set_timeout(tc, 60);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        return tl_run(suite());
}
