/* libFuzzer harness: xhafw.conf and a conf.d file through config_load (iniparser, the checks of
 * every value against the plugins' schemas, the step graph). The input is the conf.d file, or
 * "XHAFW_CONF\n%%\nCONF_D_FILE": the part before the separator is added under [xhafw]. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/xhafw-fuzz-config.XXXXXX";
static char conf_file[sizeof dir + 16], conf_d[sizeof dir + 16], conf_d_file[sizeof dir + 32], state_dir[sizeof dir + 16];
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
        (void) config_load(&cfg, &ov);
        config_free(&cfg);
        return 0;
}
