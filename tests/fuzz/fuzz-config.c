/* libFuzzer harness: xhafw.conf and a conf.d file through config_load (iniparser, the checks of
 * every value against the plugins' schemas, the step graph). The input is the conf.d file, or
 * "XHAFW_CONF\n%%\nCONF_D_FILE": the part before the separator is added under [xhafw].
 * Property: a configuration that loads is read as iniparser reads it, with nothing dropped or
 * let through: every section iniparser sees is a step, and every key of an enabled step whose
 * plugin loaded is a core key or in the plugin's schema (a typo must never pass silently); and
 * it holds nothing iniparser misreads without a word (a bare CR, a final continuation line). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-build.h"
#include "config.h"
#include "log.h"
#include "util.h"

#ifdef HAVE_INIPARSER_SUBDIR
#include <iniparser/iniparser.h>
#else
#include <iniparser.h>
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/xhafw-fuzz-config.XXXXXX";
static char conf_file[sizeof dir + 16], conf_d[sizeof dir + 16], conf_d_file[sizeof dir + 32],
        state_dir[sizeof dir + 16];
static const char *plugin_path;

static void cleanup(void)
{
        unlink(conf_d_file);
        unlink(conf_file);
        rmdir(conf_d);
        rmdir(dir);
}

static void write_or_die(const char *path, const char *head, size_t head_n, const void *data, size_t n)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        if (fd < 0 || write_all(fd, head, head_n) < 0 || write_all(fd, data, n) < 0 || close(fd) < 0) {
                perror(path);
                abort();
        }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void) argc;
        (void) argv;
        /* Errors are what the inputs are made of: do not print them, unless asked to (a reproducer). */
        log_max_priority = getenv("XHAFW_FUZZ_VERBOSE") ? LOG_DEBUG : -1;
        plugin_path = getenv("XHAFW_FUZZ_PLUGIN_PATH");
        if (!plugin_path)
                plugin_path = FUZZ_PLUGIN_PATH;
        if (!mkdtemp(dir)) {
                perror("mkdtemp");
                abort();
        }
        snprintf(conf_file, sizeof conf_file, "%s/xhafw.conf", dir);
        snprintf(conf_d, sizeof conf_d, "%s/conf.d", dir);
        snprintf(conf_d_file, sizeof conf_d_file, "%s/conf.d/10-fuzz.conf", dir);
        snprintf(state_dir, sizeof state_dir, "%s/state", dir);
        if (mkdir(conf_d, 0700) < 0) {
                perror(conf_d);
                abort();
        }
        atexit(cleanup);
        return 0;
}

static int quiet(const char *fmt, ...)
{
        (void) fmt;
        return 0;
}

static bool known_key(const struct xhafw_step *st, const char *key)
{
        static const char *const core_keys[] = { "plugin", "after", "timeout", "critical", "enabled" };

        for (size_t i = 0; i < sizeof core_keys / sizeof core_keys[0]; i++)
                if (strcmp(key, core_keys[i]) == 0)
                        return true;
        for (const struct xhafw_option *o = st->plugin->def->options; o && o->name; o++)
                if (strcmp(key, o->name) == 0)
                        return true;
        return false;
}

/* What iniparser drops silently: a loaded file must hold none of it. */
static void check_not_misread(const uint8_t *text, size_t n)
{
        size_t end = n;

        for (size_t i = 0; i < n; i++)
                if (text[i] == '\r' && (i + 1 == n || text[i + 1] != '\n')) {
                        fprintf(stderr, "loaded with a bare carriage return at byte %zu\n", i);
                        abort();
                }
        while (end > 0 && strchr("\n\r \t", text[end - 1]))
                end--;
        if (end > 0 && text[end - 1] == '\\') {
                fprintf(stderr, "loaded with a final continuation line\n");
                abort();
        }
}

/* The loaded configuration against iniparser's own reading of the conf.d file. */
static void check_as_iniparser_reads(const struct config *cfg)
{
        dictionary *d;
        int nsec;

        iniparser_set_error_callback(quiet);
        d = iniparser_load(conf_d_file);
        if (!d)
                abort(); /* loaded, yet iniparser cannot read it */
        nsec = iniparser_getnsec(d);
        if ((size_t) nsec != cfg->n_steps) {
                fprintf(stderr, "iniparser sees %d sections, the configuration has %zu steps\n", nsec, cfg->n_steps);
                abort();
        }
        for (int i = 0; i < nsec; i++) {
                const char *sec = iniparser_getsecname(d, i);
                const struct xhafw_step *st = config_find_step(cfg, sec);
                int nkeys;
                const char **keys;

                if (!st) {
                        fprintf(stderr, "section [%s] is no step\n", sec);
                        abort();
                }
                if (!st->enabled || !st->plugin || st->plugin->error)
                        continue;
                nkeys = iniparser_getsecnkeys(d, sec);
                keys = calloc((size_t) nkeys + 1, sizeof *keys);
                if (!keys)
                        abort();
                iniparser_getseckeys(d, sec, keys);
                for (int k = 0; k < nkeys; k++) {
                        const char *key = strchr(keys[k], ':');
                        if (key && !known_key(st, key + 1)) {
                                fprintf(stderr, "step %s: key '%s' accepted silently\n", sec, key + 1);
                                abort();
                        }
                }
                free(keys);
        }
        iniparser_freedict(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char sep[] = "\n%%\n";
        const uint8_t *body = data;
        size_t body_n = size, global_n = 0;
        struct overrides ov = { 0 };
        struct config cfg;

        for (size_t i = 0; i + sizeof sep - 1 <= size; i++)
                if (memcmp(data + i, sep, sizeof sep - 1) == 0) {
                        global_n = i + 1;
                        body = data + i + sizeof sep - 1;
                        body_n = size - i - (sizeof sep - 1);
                        break;
                }
        write_or_die(conf_file, "[xhafw]\n", 8, data, global_n);
        write_or_die(conf_d_file, "", 0, body, body_n);
        /* The directories are forced: a fuzzed plugin_path must not dlopen what it finds on the system. */
        ov.config_file = conf_file;
        ov.conf_d = conf_d;
        ov.plugin_path = plugin_path;
        ov.state_dir = state_dir;
        if (config_load(&cfg, &ov) == 0) {
                check_not_misread(data, global_n);
                check_not_misread(body, body_n);
                check_as_iniparser_reads(&cfg);
        }
        config_free(&cfg);
        return 0;
}
