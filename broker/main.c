/* main.c - syncmgrd: settings, keys, signals and the core's own loop. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "blob.h"
#include "config.h"
#include "core.h"
#include "ipc_server.h"
#include "listener.h"
#include "log.h"
#include "notify.h"
#include "persist.h"
#include "server.h"
#include "tls.h"
#include "wait.h"

#define STATUS_EVERY_MS 3000 /* systemd's STATUS= line */

/* What the main loop works with. */
struct broker {
    struct core core;
    struct server *srv;
    struct config cfg;
    struct config_flags flags;
    int sigfd;
    int64_t watchdog_ms, watchdog_due; /* watchdog_ms 0: not watched */
    int64_t status_due, status_at;
    uint64_t status_ops;
    int64_t persist_due;          /* next persist_tick() */
    uid_t allow[CONFIG_MAX_UIDS]; /* --allow-uids, parsed */
    nng_tls_config *tls;          /* for tls+tcp:// listeners, or NULL */
};

/* apply_limits() - the settings the core enforces; caller holds core->lock
 * once the server runs. */
static void apply_limits(struct broker *b)
{
    b->core.limits.max_parked = b->cfg.max_parked;
    b->core.limits.max_depth = (unsigned)b->cfg.max_depth;
    b->core.limits.max_objects = b->cfg.max_objects;
    b->core.limits.max_name = b->cfg.max_name_bytes;
    b->core.limits.max_sessions = b->cfg.max_sessions;
    b->core.limits.max_parked_session = b->cfg.max_parked_per_session;
    b->core.limits.max_message_bytes = b->cfg.max_message_bytes;
    blob_set_limit(b->cfg.max_memory);
    ipcsrv_busy_poll((unsigned)b->cfg.busy_poll_us);
    /* checked when the settings were read: the list parses and fits */
    int n = b->cfg.allow_uids ? config_uids(b->cfg.allow_uids, b->allow, CONFIG_MAX_UIDS) : 0;
    b->core.limits.allow_uids = b->allow;
    b->core.limits.nallow = n > 0 ? (size_t)n : 0;
}

/* limits_check() - say so when the data loaded is already past a limit:
 * writes that add to it are refused until enough is deleted. */
static void limits_check(struct broker *b)
{
    size_t objects = HASH_CNT(hh, b->core.by_name), used = blob_bytes_used();
    if (objects > b->cfg.max_objects)
        log_warn("SM-LIMIT-OVER", "%zu objects loaded, max_objects is %zu: none can be created",
                 objects, b->cfg.max_objects);
    if (used > b->cfg.max_memory)
        log_warn("SM-LIMIT-OVER", "%zu bytes loaded, max_memory is %zu: writes are refused", used,
                 b->cfg.max_memory);
}

/* status() - live figures for systemd's STATUS= line; caller holds core->lock. */
static void status(struct broker *b, int64_t now, char *buf, size_t len)
{
    uint64_t ops = b->core.ops;
    int64_t dt = now - b->status_at;
    snprintf(buf, len, "%u sessions, %u objects, %llu ops/s", HASH_COUNT(b->core.sessions),
             HASH_CNT(hh, b->core.by_name),
             dt > 0 ? (unsigned long long)((ops - b->status_ops) * 1000 / (uint64_t)dt) : 0ull);
    b->status_ops = ops;
    b->status_at = now;
    b->status_due = now + STATUS_EVERY_MS;
}

/* reload() - SIGHUP: the settings file again; live values applied. */
static void reload(struct broker *b)
{
    char why[512], st[128];
    notify_reloading();
    if (config_reload(&b->cfg, &b->flags, why, sizeof(why)))
        log_err("SM-RELOAD-FAIL", "%s; keeping the running settings", why);
    log_set_level(b->cfg.log_level);
    pthread_mutex_lock(&b->core.lock);
    apply_limits(b);
    limits_check(b);
    status(b, now_ms(), st, sizeof(st));
    pthread_mutex_unlock(&b->core.lock);
    notify_ready(st);
}

/* signal_arrived() - handle one signal; false to stop. */
static bool signal_arrived(struct broker *b)
{
    struct signalfd_siginfo si;
    if (read(b->sigfd, &si, sizeof(si)) != (ssize_t)sizeof(si))
        return true;
    if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
        notify_stopping();
        log_info("SM-STOP", "signal %u: shutting down", si.ssi_signo);
        return false;
    }
    if (si.ssi_signo == SIGHUP)
        reload(b);
    return true;
}

static int64_t earlier(int64_t timeout, int64_t due, int64_t now)
{
    int64_t d = due - now;
    return d < 0 ? 0 : d < timeout ? d : timeout;
}

/* run_loop() - the core's own loop: signals, departed pipes, deadlines,
 * listener probes, and systemd's watchdog and status.  The watchdog is fed
 * only after this loop has had core->lock, so a wedged core starves it.
 * Returns when SIGTERM or SIGINT arrives. */
static void run_loop(struct broker *b)
{
    struct core *core = &b->core;
    for (;;) {
        char st[128] = "";
        int64_t now = now_ms();
        pthread_mutex_lock(&core->lock);
        int64_t next = wait_next_deadline(core);
        if (now >= b->status_due)
            status(b, now, st, sizeof(st));
        int syncfd = -1;
        if (now >= b->persist_due) {
            syncfd = persist_tick(core);
            b->persist_due = now + 1000;
        }
        pthread_mutex_unlock(&core->lock);
        if (syncfd >= 0) { /* everysec: the disk catches up outside the core lock */
            if (fdatasync(syncfd))
                log_err("SM-PERSIST-EIO", "fdatasync of the journal: %s", strerror(errno));
            close(syncfd);
        }
        if (b->watchdog_ms && now >= b->watchdog_due) {
            notify_watchdog();
            b->watchdog_due = now + b->watchdog_ms;
        }
        if (st[0])
            notify_status(st);

        int64_t timeout = earlier(1000, b->status_due, now);
        if (next >= 0)
            timeout = earlier(timeout, next, now);
        if (b->watchdog_ms)
            timeout = earlier(timeout, b->watchdog_due, now);
        int t = (int)timeout;
        struct pollfd fds[2 + CONFIG_MAX_LISTEN] = {
            {.fd = b->sigfd, .events = POLLIN}, {.fd = server_event_fd(b->srv), .events = POLLIN}};
        int nextra = server_poll_prepare(b->srv, fds + 2, CONFIG_MAX_LISTEN, &t);
        if (poll(fds, 2 + (nfds_t)nextra, t) < 0 && errno != EINTR)
            log_err("SM-POLL", "poll: %s", strerror(errno));
        server_poll_check(b->srv, fds + 2, (size_t)nextra);
        if ((fds[0].revents & POLLIN) && !signal_arrived(b))
            return;
        server_process_events(b->srv);
    }
}

/* load_keys() - the authkey and the optional read-only one into the core. */
static int load_keys(struct broker *b)
{
    char why[512];
    uint8_t *key;
    size_t len;
    if (auth_load_key(b->cfg.authkey_file, &key, &len, why, sizeof(why))) {
        log_err("SM-KEY", "%s", why);
        return -1;
    }
    b->core.key = key;
    b->core.keylen = len;
    if (!b->cfg.readonly_authkey_file)
        return 0;
    if (auth_load_key(b->cfg.readonly_authkey_file, &key, &len, why, sizeof(why))) {
        log_err("SM-KEY", "%s", why);
        return -1;
    }
    b->core.rokey = key;
    b->core.rokeylen = len;
    if (len == b->core.keylen && memcmp(key, b->core.key, len) == 0) {
        log_err("SM-KEY", "read-only authkey file %s holds the same key as %s",
                b->cfg.readonly_authkey_file, b->cfg.authkey_file);
        return -1;
    }
    return 0;
}

static void free_keys(struct broker *b)
{
    auth_free_key((uint8_t *)b->core.key, b->core.keylen);
    auth_free_key((uint8_t *)b->core.rokey, b->core.rokeylen);
}

/* prepare_ipc() - the socket files' group, and the directory of the default
 * socket when missing (a per-user broker's $XDG_RUNTIME_DIR/syncmgr). */
static int prepare_ipc(struct broker *b)
{
    gid_t gid = (gid_t)-1;
    if (b->cfg.socket_group && config_group(b->cfg.socket_group, &gid)) {
        log_err("SM-CONFIG", "no such group '%s' for the ipc socket", b->cfg.socket_group);
        return -1;
    }
    listener_set_ipc_group(gid);
    if (b->cfg.listen_default && !strncmp(b->cfg.listen[0], "ipc://", 6)) {
        char dir[4096], *slash;
        snprintf(dir, sizeof(dir), "%s", b->cfg.listen[0] + 6);
        if ((slash = strrchr(dir, '/')) && slash != dir) {
            *slash = 0;
            if (mkdir(dir, geteuid() == 0 ? 0755 : 0700) == 0)
                log_info("SM-MKDIR", "created %s", dir);
        }
    }
    return 0;
}

/* prepare_tls() - the TLS configuration, when a certificate is given or a
 * tls+tcp:// address is. */
static int prepare_tls(struct broker *b)
{
    char why[512];
    bool tls = b->cfg.tls_cert != NULL;
    for (size_t i = 0; i < b->cfg.nlisten; i++)
        tls = tls || tls_url(b->cfg.listen[i]);
    if (tls && tls_config_new(&b->tls, true, b->cfg.tls_ca, b->cfg.tls_cert, b->cfg.tls_key, why,
                              sizeof(why))) {
        log_err("SM-TLS", "%s", why);
        return -1;
    }
    return 0;
}

/* start() - everything before the loop; 0, or the exit status. */
static int start(struct broker *b)
{
    char why[512], st[128];
    sigset_t mask;
    /* block the signals before nng starts its threads, so they inherit the
     * mask and the signals arrive only through signalfd */
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &mask, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (auth_init() || (b->sigfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
        log_err("SM-INIT", "cannot initialise");
        return 1;
    }
    if (load_keys(b) || prepare_ipc(b) || prepare_tls(b))
        return 1;
    /* the saved data comes back whole: limits (core_init()'s, and no object
     * count) apply from here on, so that lowering one never drops any */
    b->core.limits.max_objects = SIZE_MAX;
    signal(SIGXFSZ, SIG_IGN); /* a file-size limit is a write error, not death */
    if (b->cfg.state_dir && persist_open(&b->core, b->cfg.state_dir, b->cfg.fsync, b->cfg.compact_bytes))
        return 1;
    apply_limits(b);
    limits_check(b);
    struct server_opts so = {.urls = (const char *const *)b->cfg.listen,
                             .nurls = b->cfg.nlisten,
                             .max_message_bytes = b->cfg.max_message_bytes,
                             .ipc_mode = b->cfg.socket_mode,
                             .ipc_direct = b->cfg.ipc_engine == CONFIG_ENGINE_DIRECT,
                             .tls = b->tls};
    if (server_open(&b->srv, &b->core, &so, why, sizeof(why))) {
        log_err("SM-LISTEN-FAIL", "%s", why);
        return 1;
    }
    log_info("SM-READY",
             "syncmgrd %s ready%s%s; clients connect with SYNCMGR_ADDRESS=%s "
             "SYNCMGR_AUTHKEY_FILE=%s",
             SM_VERSION, b->cfg.file ? " with " : "", b->cfg.file ? b->cfg.file : "",
             b->cfg.listen[0], b->cfg.authkey_file);
    b->watchdog_ms = notify_watchdog_ms();
    b->status_at = now_ms();
    pthread_mutex_lock(&b->core.lock);
    status(b, b->status_at, st, sizeof(st));
    pthread_mutex_unlock(&b->core.lock);
    notify_ready(st); /* every listener is up */
    return 0;
}

int main(int argc, char **argv)
{
    static struct broker b = {.sigfd = -1};
    char why[512];
    int rc = config_parse_args(&b.flags, argc, argv);
    if (rc != CONFIG_RUN)
        return rc == CONFIG_EXIT_OK ? 0 : 2;
    if (config_load(&b.cfg, &b.flags, why, sizeof(why))) {
        fprintf(stderr, "syncmgrd: %s\n", why);
        return 2;
    }
    log_set_level(b.cfg.log_level);
    core_init(&b.core);
    if (!(rc = start(&b)))
        run_loop(&b);
    if (b.srv)
        server_close(b.srv);
    persist_close(&b.core);
    core_deinit(&b.core);
    if (b.tls)
        nng_tls_config_free(b.tls);
    free_keys(&b);
    config_free(&b.cfg);
    if (b.sigfd >= 0)
        close(b.sigfd);
    if (!rc)
        log_info("SM-EXIT", "stopped");
    return rc;
}
