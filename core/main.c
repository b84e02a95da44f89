/* xhafw: command-line parsing and dispatch. */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "config-build.h"
#include "history.h"
#include "log.h"
#include "util.h"

static const char usage_main[] =
        "usage: xhafw [GLOBAL OPTIONS] COMMAND [OPTIONS]\n"
        "Move the role of the active xCAT management node to this host, or away from it.\n"
        "\n"
        "commands:\n"
        "  activate     apply every step in dependency order; roll back on failure\n"
        "  deactivate   revert every step in reverse dependency order\n"
        "  status       check every step; exit 0 active, 3 inactive, 4 mixed\n"
        "  list-plugins the plugins on the plugin path, and the steps using them\n"
        "  describe     a step's resolved configuration, or a plugin's options\n"
        "  validate     load and check everything, print the plan; change nothing\n"
        "  preflight    can this node take over, does it match the peer? change nothing\n"
        "  cat-config   the resolved configuration, each key with the file and line it came from\n"
        "  history      past runs from the journal; `history RUN`: one run step by step, as a timeline\n"
        "\n"
        "global options:\n"
        "  --config FILE       instead of " XHAFW_CONFIG_FILE "\n"
        "  --conf-d DIR        step directory (conf_d)\n"
        "  --plugin-path PATH  colon-separated plugin directories (plugin_path)\n"
        "  --state-dir DIR     journal, lock and step state (state_dir)\n"
        "  --json              machine-readable output\n"
        "  -v, --verbose       more log output (twice: debug)\n"
        "  -q, --quiet         errors only\n"
        "  -h, --help          this help; `xhafw COMMAND --help` for a command's options\n"
        "  --version\n"
        "\n"
        "exit codes: 0 done (status: active), 1 a step failed, 2 usage or configuration error (nothing\n"
        "changed), 3 status: inactive, 4 status: mixed, 5 another run holds the lock, 6 refused by a\n"
        "safety check. See xhafw(8).\n";

static const char usage_activate[] =
        "usage: xhafw activate [--dry-run [--inject STEP[=MODE]]] [-y|--yes] [--only STEP,...] [--jobs N] [--no-rollback] [--force]\n"
        "Apply every enabled step in dependency order, verifying each; on a critical failure start nothing\n"
        "new, then revert what this run applied, in reverse order.\n"
        "  --dry-run      run the checks, print what apply would do; change nothing\n"
        "  -y, --yes      do not ask on a terminal\n"
        "  --only LIST    only these steps (the others are checked, never touched)\n"
        "  --jobs N       steps run at once when the graph allows\n"
        "  --no-rollback  leave applied steps in place after a failure\n"
        "  --force        skip safety refusals (a VIP answering elsewhere, a foreign postmaster)\n"
        "  --inject STEP[=fail|hang|crash]\n"
        "                 with --dry-run: rehearse a failure at STEP and print the rollback that would follow\n";

static const char usage_deactivate[] =
        "usage: xhafw deactivate [--dry-run [--inject STEP[=MODE]]] [-y|--yes] [--only STEP,...] [--jobs N]\n"
        "Revert every active step in reverse dependency order, verifying each. A step that fails to revert\n"
        "keeps the steps it depends on in place (storage is never unmounted under a running database).\n"
        "  --dry-run      run the checks, print what revert would do; change nothing\n"
        "  -y, --yes      do not ask on a terminal\n"
        "  --only LIST    only these steps\n"
        "  --jobs N       steps run at once when the graph allows\n"
        "  --inject STEP[=fail|hang|crash]\n"
        "                 with --dry-run: rehearse a failed revert at STEP and what stays active\n";

static const char usage_status[] =
        "usage: xhafw status\nRun every step's check in parallel and print the state of each.\n"
        "Exit 0: all critical steps ACTIVE; 3: all INACTIVE; 4: mixed or unknown.\n";
static const char usage_validate[] = "usage: xhafw validate\nLoad the configuration and the plugins, check every "
                                     "option, print the plan; run nothing.\n";
static const char usage_describe[] = "usage: xhafw describe STEP|PLUGIN\nA step's resolved configuration and what "
                                     "it manages, or a plugin's options.\n";
static const char usage_cat[] =
        "usage: xhafw cat-config\nThe resolved configuration: xhafw.conf and every step, each key with the "
        "file and line it came from (the shipped conf.d, the site's, a drop-in, a default).\n";
static const char usage_list[] = "usage: xhafw list-plugins\nEvery plugin on the plugin path: name, version, ABI, "
                                 "file, summary, the steps using it; broken ones with the reason.\n";

static int parse_jobs(const char *s, unsigned *ret)
{
        long long v;
        if (parse_int(s, &v) < 0 || v < 1 || v > XHAFW_MAX_JOBS) {
                log_error("--jobs %s: expected a number from 1 to %d", s, XHAFW_MAX_JOBS);
                return -1;
        }
        *ret = (unsigned) v;
        return 0;
}

static int bad_usage(const char *usage)
{
        fputs(usage, stderr);
        return XHAFW_EXIT_CONFIG;
}

static const char usage_preflight[] =
        "usage: xhafw preflight [--peer HOST] [--nagios] [--prometheus FILE]\n"
        "Can this node take the role over, and does it match the peer? Changes nothing. One line per check:\n"
        "step, check, pass/warn/fail, what was seen and the fix. Exit 0 ready (warnings allowed), 1 not\n"
        "ready, 2 configuration error.\n"
        "  --peer HOST        compare with the other node over ssh (BatchMode; default: peer of xhafw.conf)\n"
        "  --nagios           one Monitoring Plugins status line; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN\n"
        "  --prometheus FILE  also write the node_exporter textfile FILE (atomically)\n";

static int preflight_command(struct global_options *g, int argc, char **argv)
{
        enum {
                OPT_PEER = 256,
                OPT_NAGIOS,
                OPT_PROM,
                OPT_FACTS,
                OPT_JSON
        };
        static const struct option opts[] = {
                { "peer", required_argument, NULL, OPT_PEER },
                { "nagios", no_argument, NULL, OPT_NAGIOS },
                { "prometheus", required_argument, NULL, OPT_PROM },
                { "facts", no_argument, NULL, OPT_FACTS },
                { "json", no_argument, NULL, OPT_JSON },
                { "help", no_argument, NULL, 'h' },
                { "verbose", no_argument, NULL, 'v' },
                { "quiet", no_argument, NULL, 'q' },
                { 0 },
        };
        struct preflight_command pc = { 0 };
        int c;

        optind = 0;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "hvq", opts, NULL)) != -1) {
                switch (c) {
                case OPT_PEER:
                        if (!*optarg || optarg[0] == '-' || strpbrk(optarg, " \t/")) {
                                log_error("--peer '%s': expected the other node's host name or address", optarg);
                                return bad_usage(usage_preflight);
                        }
                        pc.peer = optarg;
                        break;
                case OPT_NAGIOS: pc.nagios = true; break;
                case OPT_PROM:
                        if (optarg[0] != '/') {
                                log_error("--prometheus '%s': expected an absolute path", optarg);
                                return bad_usage(usage_preflight);
                        }
                        pc.prometheus = optarg;
                        break;
                case OPT_FACTS: pc.facts_only = true; break;
                case OPT_JSON: g->json = true; break;
                case 'q':
                        g->quiet = true;
                        log_max_priority = LOG_ERR;
                        break;
                case 'v': log_max_priority = log_max_priority >= LOG_INFO ? LOG_DEBUG : LOG_INFO; break;
                case 'h':
                        if (g->json)
                                json_usage(usage_preflight);
                        else
                                fputs(usage_preflight, stdout);
                        return XHAFW_EXIT_OK;
                default:
                        log_error("preflight %s: unknown option or missing argument", argv[optind - 1]);
                        return bad_usage(usage_preflight);
                }
        }
        if (optind != argc) {
                log_error("preflight: unexpected argument '%s'", argv[optind]);
                return bad_usage(usage_preflight);
        }
        return cmd_preflight(g, &pc);
}

/* The commands run_command parses: their usage and, for those that take nothing but the global
 * options, the function that runs them. */
static const struct plain_command {
        const char *name, *usage;
        int (*run)(const struct global_options *g); /* NULL: activate, deactivate, describe */
} plain_commands[] = {
        { "activate", usage_activate, NULL },
        { "deactivate", usage_deactivate, NULL },
        { "status", usage_status, cmd_status },
        { "validate", usage_validate, cmd_validate },
        { "describe", usage_describe, NULL },
        { "cat-config", usage_cat, cmd_cat_config },
        { "list-plugins", usage_list, cmd_list_plugins },
};

static const struct plain_command *plain_command(const char *cmd)
{
        size_t n = sizeof plain_commands / sizeof plain_commands[0];
        for (size_t i = 0; i < n; i++)
                if (strcmp(plain_commands[i].name, cmd) == 0)
                        return &plain_commands[i];
        return &plain_commands[n - 1]; /* dispatch sends no other name */
}

enum {
        CMD_OPT_DRY = 256,
        CMD_OPT_ONLY,
        CMD_OPT_JOBS,
        CMD_OPT_NO_ROLLBACK,
        CMD_OPT_FORCE,
        CMD_OPT_JSON,
        CMD_OPT_INJECT
};

/* activate's and deactivate's options */
static const struct option run_opts[] = {
        { "dry-run", no_argument, NULL, CMD_OPT_DRY },
        { "yes", no_argument, NULL, 'y' },
        { "only", required_argument, NULL, CMD_OPT_ONLY },
        { "jobs", required_argument, NULL, CMD_OPT_JOBS },
        { "no-rollback", no_argument, NULL, CMD_OPT_NO_ROLLBACK },
        { "force", no_argument, NULL, CMD_OPT_FORCE },
        { "inject", required_argument, NULL, CMD_OPT_INJECT },
        { "help", no_argument, NULL, 'h' },
        { "json", no_argument, NULL, CMD_OPT_JSON },
        { "verbose", no_argument, NULL, 'v' },
        { "quiet", no_argument, NULL, 'q' },
        { 0 },
};

/* the other commands': -v, -q and --json are global options, also accepted after the command */
static const struct option no_opts[] = { { "help", no_argument, NULL, 'h' },
                                         { "json", no_argument, NULL, CMD_OPT_JSON },
                                         { "verbose", no_argument, NULL, 'v' },
                                         { "quiet", no_argument, NULL, 'q' },
                                         { 0 } };

#define COMMAND_GO_ON (-1) /* parse_command_options: the options are good, go on */

/* The command's options into g and rc. Returns COMMAND_GO_ON, or the exit code when the command
 * ends here (--help, a usage error, said on stderr with the usage). */
static int parse_command_options(struct global_options *g, const char *cmd, const char *usage, int argc, char **argv,
                                 struct run_command *rc)
{
        bool is_run = strcmp(cmd, "activate") == 0 || strcmp(cmd, "deactivate") == 0;
        int c;

        optind = 0; /* 0, not 1: GNU getopt then forgets the global parse (and permutes afresh) */
        opterr = 0;
        while ((c = getopt_long(argc, argv, is_run ? "yhvq" : "hvq", is_run ? run_opts : no_opts, NULL)) != -1) {
                switch (c) {
                case CMD_OPT_JSON: g->json = true; break;
                case 'q':
                        g->quiet = true;
                        log_max_priority = LOG_ERR;
                        break;
                case 'v': log_max_priority = log_max_priority >= LOG_INFO ? LOG_DEBUG : LOG_INFO; break;
                case CMD_OPT_DRY: rc->dry_run = true; break;
                case 'y': rc->yes = true; break;
                case CMD_OPT_ONLY: rc->only = optarg; break;
                case CMD_OPT_INJECT:
                        if (rc->inject) {
                                log_error("--inject given twice (%s, %s): a rehearsal fails one step", rc->inject,
                                          optarg);
                                return bad_usage(usage);
                        }
                        rc->inject = optarg;
                        break;
                case CMD_OPT_JOBS:
                        if (parse_jobs(optarg, &g->jobs) < 0)
                                return XHAFW_EXIT_CONFIG;
                        break;
                case CMD_OPT_NO_ROLLBACK:
                        if (rc->deactivate) {
                                log_error("deactivate has no --no-rollback: it never rolls back");
                                return bad_usage(usage);
                        }
                        rc->no_rollback = true;
                        break;
                case CMD_OPT_FORCE:
                        if (rc->deactivate) {
                                log_error("--force is an option of activate only");
                                return bad_usage(usage);
                        }
                        rc->force = true;
                        break;
                case 'h':
                        if (g->json)
                                json_usage(usage);
                        else
                                fputs(usage, stdout);
                        return XHAFW_EXIT_OK;
                default:
                        log_error("%s %s: unknown option or missing argument", cmd, argv[optind - 1]);
                        return bad_usage(usage);
                }
        }
        return COMMAND_GO_ON;
}

static int run_command(struct global_options *g, const char *cmd, int argc, char **argv)
{
        const struct plain_command *pc = plain_command(cmd);
        struct run_command rc = { .deactivate = strcmp(cmd, "deactivate") == 0 };
        int r = parse_command_options(g, cmd, pc->usage, argc, argv, &rc);

        if (r != COMMAND_GO_ON)
                return r;
        if (strcmp(cmd, "describe") == 0) {
                if (optind != argc - 1) {
                        log_error("describe needs exactly one STEP or PLUGIN name");
                        return bad_usage(pc->usage);
                }
                return cmd_describe(g, argv[optind]);
        }
        if (optind != argc) {
                log_error("%s: unexpected argument '%s'", cmd, argv[optind]);
                return bad_usage(pc->usage);
        }
        if (rc.inject && !rc.dry_run) {
                log_error("--inject rehearses a failure and needs --dry-run: a real run cannot be failed on purpose");
                return bad_usage(pc->usage);
        }
        return pc->run ? pc->run(g) : cmd_run(g, &rc);
}

/* Descriptors 0..2 that are closed would be taken by the first files opened (the journal, the
 * lock), and output meant for the terminal would land in them: point them at /dev/null. */
static void stdio_fill(void)
{
        for (int fd = 0; fd <= 2; fd++)
                if (fcntl(fd, F_GETFD) < 0) {
                        int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
                        if (n >= 0 && n != fd) {
                                dup2(n, fd);
                                close(n);
                        }
                }
}

static void on_hangup(int sig)
{
        (void) sig; /* a lost terminal is not a request to stop: see the engine's signal handling */
}

static int dispatch(struct global_options *g, int argc, char **argv, const char **ret_cmd)
{
        enum {
                OPT_CONFIG = 256,
                OPT_CONF_D,
                OPT_PLUGIN_PATH,
                OPT_STATE_DIR,
                OPT_JSON,
                OPT_VERSION
        };
        static const struct option opts[] = {
                { "config", required_argument, NULL, OPT_CONFIG },
                { "conf-d", required_argument, NULL, OPT_CONF_D },
                { "plugin-path", required_argument, NULL, OPT_PLUGIN_PATH },
                { "state-dir", required_argument, NULL, OPT_STATE_DIR },
                { "json", no_argument, NULL, OPT_JSON },
                { "verbose", no_argument, NULL, 'v' },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, OPT_VERSION },
                { 0 },
        };
        static const char *const commands[] = { "activate",  "deactivate", "status",  "list-plugins", "describe",
                                                "preflight", "validate",   "history", "cat-config",   NULL };
        int c, verbose = 0;
        const char *cmd;

        opterr = 0;
        while ((c = getopt_long(argc, argv, "+vqh", opts, NULL)) != -1) {
                switch (c) {
                case OPT_CONFIG: g->config_file = optarg; break;
                case OPT_CONF_D: g->conf_d = optarg; break;
                case OPT_PLUGIN_PATH: g->plugin_path = optarg; break;
                case OPT_STATE_DIR: g->state_dir = optarg; break;
                case OPT_JSON: g->json = true; break;
                case 'v': verbose++; break;
                case 'q': g->quiet = true; break;
                case 'h':
                        if (g->json)
                                json_usage(usage_main);
                        else
                                fputs(usage_main, stdout);
                        return XHAFW_EXIT_OK;
                case OPT_VERSION:
                        if (g->json) {
                                char v[64];
                                snprintf(v, sizeof v, "xhafw %s (plugin ABI %d)", XHAFW_VERSION, XHAFW_PLUGIN_ABI);
                                json_usage(v);
                        } else
                                printf("xhafw %s (plugin ABI %d)\n", XHAFW_VERSION, XHAFW_PLUGIN_ABI);
                        return XHAFW_EXIT_OK;
                default:
                        log_error("%s: unknown option or missing argument", argv[optind - 1]);
                        fputs(usage_main, stderr);
                        return XHAFW_EXIT_CONFIG;
                }
        }
        log_max_priority = g->quiet ? LOG_ERR : verbose >= 2 ? LOG_DEBUG : verbose ? LOG_INFO : LOG_NOTICE;
        if (optind >= argc) {
                log_error("no command given");
                fputs(usage_main, stderr);
                return XHAFW_EXIT_CONFIG;
        }
        cmd = argv[optind];
        *ret_cmd = cmd;
        for (const char *const *k = commands; *k; k++)
                if (strcmp(*k, cmd) == 0) {
                        log_open(strcmp(cmd, "history") != 0); /* reading the journal is no event for syslog */
                        if (strcmp(cmd, "history") == 0)
                                return cmd_history(g, argc - optind, argv + optind);
                        if (strcmp(cmd, "preflight") == 0)
                                return preflight_command(g, argc - optind, argv + optind);
                        return run_command(g, cmd, argc - optind, argv + optind);
                }
        log_error("unknown command '%s'", cmd);
        fputs(usage_main, stderr);
        return XHAFW_EXIT_CONFIG;
}

int main(int argc, char **argv)
{
        struct global_options g = { 0 };
        struct sigaction sa = { .sa_handler = on_hangup, .sa_flags = SA_RESTART };
        const char *cmd = NULL;
        int rc;

        stdio_fill();
        /* A closed pipe is an error on write (EPIPE), never death half-way through a run. */
        signal(SIGPIPE, SIG_IGN);
        sigemptyset(&sa.sa_mask);
        sigaction(SIGHUP, &sa, NULL);
        /* --json anywhere, even after a word that turns out to be wrong, asks for one document. */
        for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
                if (strcmp(argv[i], "--json") == 0)
                        g.json = true;
        log_collect(g.json);
        rc = dispatch(&g, argc, argv, &cmd);
        if (g.json)
                json_finish(cmd, rc);
        return rc;
}
