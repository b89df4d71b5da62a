/* main.c - syncmgrd: flags, key, signals and the core's own loop. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "auth.h"
#include "core.h"
#include "log.h"
#include "server.h"
#include "syncmgr.h"
#include "wait.h"

#define MAX_LISTEN 16

struct config {
    const char *urls[MAX_LISTEN];
    size_t nurls;
    const char *keyfile;
    int log_level;
    size_t max_message_bytes;
};

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: syncmgrd [--listen URL]... [--authkey-file PATH] [--log-level LEVEL]\n"
            "                [--max-message-bytes N] [--version] [--help]\n"
            "\n"
            "Serve named shared objects (dicts, lists, locks, ...) to syncmgr clients.\n"
            "\n"
            "  -l, --listen URL            ipc:///path or tcp://host:port; repeatable\n"
            "                              (default: $SYNCMGR_ADDRESS, else %s)\n"
            "  -k, --authkey-file PATH     shared key (default: $SYNCMGR_AUTHKEY_FILE,\n"
            "                              else %s)\n"
            "      --log-level LEVEL       error, warn, info (default) or debug\n"
            "      --max-message-bytes N   largest request accepted (default 16777216)\n"
            "  -V, --version               print the version and exit\n"
            "  -h, --help                  print this help and exit\n",
            SM_DEFAULT_ADDRESS, SM_DEFAULT_AUTHKEY_FILE);
}

/* parse_size() - a positive decimal byte count. */
static int parse_size(const char *s, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || !*s || *end || v == 0 || *s == '-')
        return -1;
    *out = (size_t)v;
    return 0;
}

/* parse_args() - fill @cfg; returns -1 to exit 0 (help/version), 1 on a
 * usage error (message printed), 0 to run. */
static int parse_args(int argc, char **argv, struct config *cfg)
{
    enum { OPT_LOG = 256, OPT_MAXMSG };
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"authkey-file", required_argument, NULL, 'k'},
        {"log-level", required_argument, NULL, OPT_LOG},
        {"max-message-bytes", required_argument, NULL, OPT_MAXMSG},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "l:k:Vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (cfg->nurls == MAX_LISTEN) {
                fprintf(stderr, "syncmgrd: at most %d --listen addresses\n", MAX_LISTEN);
                return 1;
            }
            cfg->urls[cfg->nurls++] = optarg;
            break;
        case 'k':
            cfg->keyfile = optarg;
            break;
        case OPT_LOG:
            if ((cfg->log_level = log_parse_level(optarg)) < 0) {
                fprintf(stderr, "syncmgrd: bad --log-level '%s' (error, warn, info, debug)\n",
                        optarg);
                return 1;
            }
            break;
        case OPT_MAXMSG:
            if (parse_size(optarg, &cfg->max_message_bytes)) {
                fprintf(stderr, "syncmgrd: bad --max-message-bytes '%s'\n", optarg);
                return 1;
            }
            break;
        case 'V':
            printf("syncmgrd %s\n", SM_VERSION);
            return -1;
        case 'h':
            usage(stdout);
            return -1;
        default:
            usage(stderr);
            return 1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "syncmgrd: unexpected argument '%s'\n", argv[optind]);
        return 1;
    }
    return 0;
}

static void defaults(struct config *cfg)
{
    if (cfg->nurls == 0) {
        const char *env = getenv("SYNCMGR_ADDRESS");
        cfg->urls[cfg->nurls++] = env && *env ? env : SM_DEFAULT_ADDRESS;
    }
    if (!cfg->keyfile) {
        const char *env = getenv("SYNCMGR_AUTHKEY_FILE");
        cfg->keyfile = env && *env ? env : SM_DEFAULT_AUTHKEY_FILE;
    }
}

/* run_loop() - the core's own loop: signals, departed pipes, deadlines,
 * listener probes.
 * Returns when SIGTERM or SIGINT arrives. */
static void run_loop(struct core *core, struct server *srv, int sigfd)
{
    for (;;) {
        pthread_mutex_lock(&core->lock);
        int64_t next = wait_next_deadline(core);
        pthread_mutex_unlock(&core->lock);
        int timeout = 1000;
        if (next >= 0) {
            int64_t d = next - now_ms();
            timeout = d < 0 ? 0 : d < 1000 ? (int)d : 1000;
        }
        struct pollfd fds[2 + MAX_LISTEN] = {{.fd = sigfd, .events = POLLIN},
                                             {.fd = server_event_fd(srv), .events = POLLIN}};
        int nextra = server_poll_prepare(srv, fds + 2, MAX_LISTEN, &timeout);
        if (poll(fds, 2 + (nfds_t)nextra, timeout) < 0 && errno != EINTR)
            log_err("SM-POLL", "poll: %s", strerror(errno));
        server_poll_check(srv, fds + 2, (size_t)nextra);
        if (fds[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
                    log_info("SM-STOP", "signal %u: shutting down", si.ssi_signo);
                    return;
                }
                log_info("SM-SIGNAL", "signal %u ignored", si.ssi_signo);
            }
        }
        server_process_events(srv);
    }
}

int main(int argc, char **argv)
{
    struct config cfg = {.log_level = LOG_INFO, .max_message_bytes = 16u << 20};
    struct core core;
    struct server *srv;
    uint8_t *key;
    size_t keylen;
    char why[512];
    sigset_t mask;

    int rc = parse_args(argc, argv, &cfg);
    if (rc)
        return rc < 0 ? 0 : 2;
    defaults(&cfg);
    log_set_level(cfg.log_level);

    /* block the signals before nng starts its threads, so they inherit the
     * mask and the signals arrive only through signalfd */
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sigfd = signalfd(-1, &mask, SFD_CLOEXEC);

    if (auth_init() || sigfd < 0) {
        log_err("SM-INIT", "cannot initialise");
        return 1;
    }
    if (auth_load_key(cfg.keyfile, &key, &keylen, why, sizeof(why))) {
        log_err("SM-KEY", "%s", why);
        return 1;
    }
    core_init(&core);
    core.key = key;
    core.keylen = keylen;
    struct server_opts so = {.urls = cfg.urls, .nurls = cfg.nurls,
                             .max_message_bytes = cfg.max_message_bytes, .ipc_mode = 0660};
    if (server_open(&srv, &core, &so, why, sizeof(why))) {
        log_err("SM-LISTEN-FAIL", "%s", why);
        core_deinit(&core);
        auth_free_key(key, keylen);
        return 1;
    }
    log_info("SM-READY", "syncmgrd %s ready; clients connect with SYNCMGR_ADDRESS=%s "
             "SYNCMGR_AUTHKEY_FILE=%s", SM_VERSION, cfg.urls[0], cfg.keyfile);
    run_loop(&core, srv, sigfd);
    server_close(srv);
    core_deinit(&core);
    auth_free_key(key, keylen);
    close(sigfd);
    log_info("SM-EXIT", "stopped");
    return 0;
}
