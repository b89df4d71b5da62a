/*
 * syncmgrctl.c - inspect the objects of a running syncmgrd from the shell.
 *
 *   syncmgrctl [-a URL] [-k KEYFILE] [--json] COMMAND [ARGS]
 *
 * This file holds main(), option parsing, the command table and the shared
 * helpers; the commands themselves live in ctl_cmds.c, ctl_show.c,
 * ctl_admin.c, ctl_write.c and ctl_watch.c.
 * Options come before the command: everything after it is the command's (so
 * "get l -1" works).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "ctl.h"
#include "ctl_json.h"
#include "errors.h"
#include "paths.h"

/* The command table: one row per command, read by dispatch and --help. */
static const struct ctl_cmd commands[] = {
    {.name = "ping", .run = cmd_ping, .help = "one round trip to the broker: version and time"},
    {.name = "ls",
     .max_args = 1,
     .run = cmd_ls,
     .usage = "[GLOB]",
     .help = "list objects (all, or those whose name matches GLOB)"},
    {.name = "get",
     .min_args = 1,
     .max_args = 2,
     .run = cmd_get,
     .usage = "NAME [KEY|INDEX]",
     .help = "a dict's KEY, a list's or array's INDEX, a namespace attribute, or all"},
    {.name = "dump",
     .min_args = 1,
     .max_args = 1,
     .run = cmd_dump,
     .usage = "NAME",
     .help = "the whole object as JSON"},
    {.name = "info",
     .min_args = 1,
     .max_args = 1,
     .run = cmd_info,
     .usage = "NAME",
     .help = "everything about one object: holder, waiters, type figures"},
    {.name = "sessions", .run = cmd_sessions, .help = "connected clients: pid, uid, ops, holds"},
    {.name = "stats", .run = cmd_stats, .help = "broker figures: uptime, objects, ops, parked"},
    {.name = "new",
     .min_args = 2,
     .max_args = 12,
     .run = cmd_new,
     .usage = "TYPE NAME [OPTS]",
     .help = "create an object (see the options below); fails if NAME exists"},
    {.name = "set",
     .min_args = 2,
     .max_args = 3,
     .run = cmd_set,
     .usage = "NAME [KEY] VALUE",
     .help = "dict KEY, namespace attribute, list/array INDEX; a value: no KEY"},
    {.name = "del",
     .min_args = 2,
     .max_args = 2,
     .run = cmd_del,
     .usage = "NAME KEY",
     .help = "remove a dict KEY, a namespace attribute or a list INDEX"},
    {.name = "append",
     .min_args = 2,
     .max_args = 2,
     .run = cmd_append,
     .usage = "NAME VALUE",
     .help = "append VALUE to a list"},
    {.name = "put",
     .min_args = 2,
     .max_args = 2,
     .run = cmd_put,
     .usage = "NAME VALUE",
     .help = "put VALUE in a queue, without waiting (a full queue: EFULL)"},
    {.name = "incr",
     .min_args = 1,
     .max_args = 3,
     .run = cmd_incr,
     .usage = "NAME [KEY] [N]",
     .help = "add N (default 1) to a dict's KEY, or to a value (no KEY); prints the result"},
    {.name = "rm",
     .min_args = 1,
     .max_args = 1,
     .run = cmd_rm,
     .usage = "NAME",
     .help = "unlink an object"},
    {.name = "watch",
     .min_args = 1,
     .max_args = 1,
     .run = cmd_watch,
     .usage = "NAME|--all",
     .help = "print each change to NAME (or any object) as it happens, until interrupted"},
    {.name = "monitor",
     .run = cmd_monitor,
     .help = "print every operation the broker runs (* marks changes), until interrupted"},
    {.name = "keygen",
     .min_args = 1,
     .max_args = 1,
     .run = cmd_keygen,
     .offline = true,
     .usage = "PATH",
     .help = "write a new authkey file (mode 0640); PATH must not exist"},
};

static void help(void)
{
    char dflt_addr[512], dflt_key[512];
    paths_default_for(PATH_ADDRESS, geteuid(), 0, dflt_addr, sizeof(dflt_addr));
    paths_default_for(PATH_AUTHKEY, geteuid(), 0, dflt_key, sizeof(dflt_key));
    printf("usage: syncmgrctl [-a URL] [-k KEYFILE] [--json] COMMAND [ARGS]\n"
           "\n"
           "Inspect and change the shared objects of a running syncmgrd.\n"
           "\n"
           "options (before the command):\n"
           "  -a, --address URL        broker address (default: $SYNCMGR_ADDRESS, else %s)\n"
           "  -k, --authkey-file PATH  key file (default: $SYNCMGR_AUTHKEY_FILE, else %s)\n"
           "      --json               machine-readable output (compact JSON)\n"
           "      --tls-ca PATH        CA (PEM) to verify a tls+tcp:// broker\n"
           "                           (default: $SYNCMGR_TLS_CA_FILE)\n"
           "      --tls-cert PATH      client certificate (PEM) for a broker that asks for\n"
           "                           one (default: $SYNCMGR_TLS_CERT_FILE)\n"
           "      --tls-key PATH       its key (default: $SYNCMGR_TLS_KEY_FILE)\n"
           "  -h, --help               this text\n"
           "      --version            print the version\n"
           "\n"
           "commands:\n",
           dflt_addr, dflt_key);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        char head[64];
        snprintf(head, sizeof(head), "%s %s", commands[i].name,
                 commands[i].usage ? commands[i].usage : "");
        printf("  %-26s %s\n", head, commands[i].help);
    }
    printf("\n"
           "new options: queue --maxsize N --joinable; semaphore --value N --bounded;\n"
           "barrier --parties N; condition --lock NAME; value --value VALUE;\n"
           "array --typecode C --length N --initial VALUE; any type --temp (the object\n"
           "goes when its last session ends: at once, unless another client opens it).\n"
           "\n"
           "VALUE is JSON (a string is written '\"text\"'), @FILE the JSON in FILE, - the JSON\n"
           "on stdin.  Writes print nothing (--json: {\"ok\":true}); incr prints the result.\n"
           "A read-only key (syncmgrd --readonly-authkey-file) may ping, ls, get, dump, info,\n"
           "sessions, stats, watch and monitor; writes get EAUTH (exit status 1).\n"
           "\n"
           "watch and monitor print one line per event as the broker runs it (TIME\n"
           "SESSION/PID OP OBJECT; --json: one object per line) until SIGINT or SIGTERM\n"
           "(exit status 0).  watch shows changes: writes, unlink, lock and other state\n"
           "changes, an open that creates.  Requests that waited are shown by the op that\n"
           "woke them.\n"
           "\n"
           "KEY is read as JSON when it is valid JSON (1 is an integer, '\"1\"' a string),\n"
           "else taken as a plain string; a namespace attribute is always taken as it is.\n"
           "Objects without items show what can be read without changing them, such as\n"
           "{\"qsize\": 2, \"empty\": false, \"full\": false} for a queue.\n"
           "\n"
           "Values print as JSON; bin, ext, maps with non-string keys and other values\n"
           "JSON lacks print as {\"$bin\": \"<base64>\"}, {\"$ext\": [type, \"<base64>\"]},\n"
           "{\"$map\": [[key, value], ...]}, {\"$uint\": \"digits\"},\n"
           "{\"$float\": \"nan\"|\"inf\"|\"-inf\"} and {\"$str\": \"<base64>\"} (non-UTF-8 str).\n"
           "\n"
           "exit status: 0 success, 1 the broker refused (no such object, key, ...),\n"
           "2 usage error, 3 cannot connect or authenticate.\n");
}

int ctl_fail(int rc, const char *fmt, ...)
{
    va_list ap;
    fputs("syncmgrctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, ": %s (%s)\n", sm_strerror(rc), sm_error_name(rc));
    return rc == SM_ECONN ? CTL_ECONN : CTL_EFAIL;
}

int ctl_usage(const char *fmt, ...)
{
    va_list ap;
    fputs("syncmgrctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\ntry 'syncmgrctl --help'\n", stderr);
    return CTL_EUSAGE;
}

int ctl_print_json(const struct ctl *x, json_t *j)
{
    char *s = j ? ctl_json_dumps(j, x->json) : NULL;
    json_decref(j);
    if (!s)
        return ctl_fail(SM_ENOMEM, "%s", x->cmd->name);
    puts(s);
    free(s);
    return CTL_OK;
}

/* pick() - @arg if given, else the default of @kind (environment first,
 * then the system or per-user place: paths.h, shared with the library). */
static const char *pick(const char *arg, enum path_kind kind, char *buf, size_t len)
{
    return arg ? arg : paths_default(kind, buf, len) == 0 ? buf : "";
}

/* ctl_connect() - as sm_connect() would, but with the key file checked first so
 * that its problem (missing, mode, length) can be named. */
static int ctl_connect(struct ctl *x)
{
    char abuf[512], kbuf[512];
    const char *addr = pick(x->address, PATH_ADDRESS, abuf, sizeof(abuf));
    const char *keyfile = pick(x->keyfile, PATH_AUTHKEY, kbuf, sizeof(kbuf));
    char why[512];
    uint8_t *key = NULL;
    size_t len = 0;
    int rc = auth_init();
    if (!rc && (rc = auth_load_key(keyfile, &key, &len, why, sizeof(why)))) {
        fprintf(stderr, "syncmgrctl: %s (%s)\n", why, sm_error_name(rc));
        return CTL_ECONN;
    }
    auth_free_key(key, len);
    if (!rc && !(rc = sm_connect(&x->c, addr, keyfile)))
        return CTL_OK;
    if (rc == SM_EAUTH)
        fprintf(stderr, "syncmgrctl: %s: authentication failed, wrong key? (EAUTH)\n", addr);
    else if (rc == SM_ECONN)
        fprintf(stderr, "syncmgrctl: %s: cannot connect, is syncmgrd running? (ECONN)\n", addr);
    else
        fprintf(stderr, "syncmgrctl: %s: %s (%s)\n", addr, sm_strerror(rc), sm_error_name(rc));
    return CTL_ECONN;
}

static const struct ctl_cmd *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"address", required_argument, NULL, 'a'}, {"authkey-file", required_argument, NULL, 'k'},
        {"json", no_argument, NULL, 'j'},          {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},       {"tls-ca", required_argument, NULL, 'C'},
        {"tls-cert", required_argument, NULL, 'T'}, {"tls-key", required_argument, NULL, 'K'},
        {NULL, 0, NULL, 0},
    };
    struct ctl x = {0};
    int o;
    opterr = 0;
    /* '+': stop at the command, so its arguments ("-1") are left alone */
    while ((o = getopt_long(argc, argv, "+:a:k:h", opts, NULL)) != -1) {
        switch (o) {
        case 'a':
            x.address = optarg;
            break;
        case 'k':
            x.keyfile = optarg;
            break;
        case 'j':
            x.json = true;
            break;
        case 'C': /* the library reads these when it dials tls+tcp:// */
            setenv("SYNCMGR_TLS_CA_FILE", optarg, 1);
            break;
        case 'T':
            setenv("SYNCMGR_TLS_CERT_FILE", optarg, 1);
            break;
        case 'K':
            setenv("SYNCMGR_TLS_KEY_FILE", optarg, 1);
            break;
        case 'h':
            help();
            return CTL_OK;
        case 'V':
            printf("syncmgrctl %s\n", SM_VERSION);
            return CTL_OK;
        case ':':
            return ctl_usage("option '%s' needs an argument", argv[optind - 1]);
        default:
            return optopt ? ctl_usage("unknown option '-%c'", optopt)
                          : ctl_usage("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return ctl_usage("no command given");
    if (!(x.cmd = find_command(argv[optind])))
        return ctl_usage("unknown command '%s'", argv[optind]);
    int nargs = argc - optind - 1;
    if (nargs < x.cmd->min_args || nargs > x.cmd->max_args)
        return ctl_usage("usage: %s%s%s", x.cmd->name, x.cmd->usage ? " " : "",
                         x.cmd->usage ? x.cmd->usage : "");
    int rc = x.cmd->offline ? CTL_OK : ctl_connect(&x);
    if (rc == CTL_OK)
        rc = x.cmd->run(&x, nargs, argv + optind + 1);
    sm_disconnect(x.c);
    if (fflush(stdout) != 0 && rc == CTL_OK) {
        perror("syncmgrctl: stdout");
        rc = CTL_EFAIL;
    }
    return rc;
}
