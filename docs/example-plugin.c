/* motd: an example xhafw plugin. Activate writes a line to a file, deactivate removes it.
 * Built by docs/meson.build so that the example in xhafw-plugin(7) always compiles. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <xhafw/plugin.h>

static const struct xhafw_option motd_options[] = {
        { "file", XHAFW_OPT_PATH, false, "/etc/motd", "file that announces the active node" },
        { "text", XHAFW_OPT_STRING, false, "This is the active xCAT management node.", "the line" },
        { .name = NULL },
};

static char *read_all(const char *path)
{
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        size_t len = 0;
        if (!f)
                return errno == ENOENT ? strdup("") : NULL;
        if (getdelim(&buf, &len, '\0', f) < 0) {
                free(buf);
                buf = strdup("");
        }
        fclose(f);
        return buf;
}

static int motd_check(struct xhafw_step *step)
{
        char *text = read_all(xhafw_opt_string(step, "file"));
        int r;
        if (!text)
                return -errno;
        r = strstr(text, xhafw_opt_string(step, "text")) ? XHAFW_ACTIVE : XHAFW_INACTIVE;
        free(text);
        return r;
}

/* Both actions rewrite the file through the core: atomic, mode and owner kept, a diff in dry-run. */
static int motd_set(struct xhafw_step *step, bool on)
{
        const char *file = xhafw_opt_string(step, "file"), *line = xhafw_opt_string(step, "text");
        char *text = read_all(file), *pos, *next;
        int r;
        if (!text)
                return -errno;
        if (on && !strstr(text, line)) {
                size_t n = strlen(text);
                char *grown = realloc(text, n + strlen(line) + 3);
                if (!grown) {
                        free(text);
                        return -ENOMEM;
                }
                text = grown;
                snprintf(text + n, strlen(line) + 3, "%s%s\n", n && text[n - 1] != '\n' ? "\n" : "", line);
        } else if (!on && (pos = strstr(text, line))) {
                next = pos + strlen(line);
                if (*next == '\n')
                        next++;
                memmove(pos, next, strlen(next) + 1);
        }
        r = xhafw_file_replace(step, file, text);
        free(text);
        if (r < 0)
                xhafw_log(step, LOG_ERR, "cannot update %s: %s", file, strerror(-r));
        return r;
}

static int motd_apply(struct xhafw_step *step)
{
        return motd_set(step, true);
}

static int motd_revert(struct xhafw_step *step)
{
        return motd_set(step, false);
}

static int motd_describe(struct xhafw_step *step, FILE *out)
{
        fprintf(out, "line \"%s\" in %s\n", xhafw_opt_string(step, "text"), xhafw_opt_string(step, "file"));
        return 0;
}

XHAFW_PLUGIN_DEFINE(.name = "motd", .version = "1.0", .summary = "a line in /etc/motd on the active node",
                    .options = motd_options, .describe = motd_describe, .check = motd_check, .apply = motd_apply,
                    .revert = motd_revert);
