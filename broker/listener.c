/* listener.c - listeners, and the ipc guard against nng's bug 1518. */
#include "listener.h"

#include <errno.h>
#include <fcntl.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/transport/ipc/ipc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "op.h"
#include "tls.h"

#define PROBE_EVERY_MS 2000 /* between two probes */
#define PROBE_WAIT_MS 3000  /* for the reply before the listener counts as stuck */
#define LINGER_MS 30000     /* a timed-out probe stays open, at most this long */
#define BACKOFF_MAX_MS 60000 /* when replacing does not help, e.g. a wedged core */

/*
 * What a probe sends: the SP header of a REQ peer (protocol 0x30), then one
 * request in nng's ipc framing (type 1, 64-bit length, REQ's 32-bit request
 * id, body) whose body is [hello, version, "probe"].  nng negotiates even
 * when its listener no longer hands pipes to the socket, so only the reply
 * (at least header + frame head + id + 1 byte) proves that new clients are
 * served.
 */
static const uint8_t probe_out[] = {
    0x00, 'S', 'P', 0x00, 0x00, 0x30, 0x00, 0x00,                /* SP header */
    0x01, 0, 0, 0, 0, 0, 0, 0, 4 + 9,                            /* frame, length */
    0x80, 0x00, 0x00, 0x01,                                      /* request id */
    0x93, SMOP_hello, SM_PROTO_VERSION, 0xa5, 'p', 'r', 'o', 'b', 'e', /* body */
};
#define PROBE_REPLY_MIN (8 + 9 + 4 + 1)

/* One setting for every listener of the broker (see listener_set_ipc_group()). */
static gid_t ipc_gid = (gid_t)-1;
static nng_tls_config *tls_cfg;

void listener_set_ipc_group(gid_t gid)
{
    ipc_gid = gid;
}

void listener_set_tls(nng_tls_config *cfg)
{
    tls_cfg = cfg;
}

struct listener {
    nng_socket sock;
    char *url;
    char *path;           /* ipc socket file; NULL for tcp */
    int ipc_mode;
    size_t max_message_bytes;
    int probe_fd;         /* -1 when no probe is under way */
    int linger_fd;        /* a timed-out probe, see linger() */
    int64_t linger_until;
    size_t probe_got;     /* reply bytes received */
    int64_t probe_due;    /* next probe (no probe under way) or its deadline */
    unsigned restarts;
    int backoff_ms;       /* after a replacement: the next probe, doubling */
};

static int fail(char *why, size_t whylen, const char *what, const char *url, int rv)
{
    snprintf(why, whylen, "%s %s: %s", what, url, nng_strerror(rv));
    return SM_ECONN;
}

/* Probed with a full SP dial rather than nng's own connect-and-close check,
 * which is exactly what trips bug 1518 in a live broker. */
bool listener_ipc_in_use(const char *url)
{
    nng_socket probe;
    bool used;
    if (access(url + 6, F_OK) != 0 || nng_req0_open(&probe) != 0)
        return false;
    used = nng_dial(probe, url, NULL, 0) == 0;
    nng_close(probe);
    return used;
}

/* bind_url() - create, configure and start one nng listener on @url. */
static int bind_url(struct listener *l, const char *url, char *why, size_t whylen)
{
    nng_listener nl;
    int rv = nng_listener_create(&nl, l->sock, url);
    if (rv)
        return fail(why, whylen, "cannot listen on", url, rv);
    if (l->path && (rv = nng_listener_set_int(nl, NNG_OPT_IPC_PERMISSIONS, l->ipc_mode)))
        return fail(why, whylen, "cannot set permissions on", url, rv);
    if (tls_url(url) && !tls_cfg) {
        snprintf(why, whylen, "%s needs a certificate and key (--tls-cert, --tls-key)", url);
        return SM_EINVAL;
    }
    if (tls_url(url) && (rv = nng_listener_set_ptr(nl, NNG_OPT_TLS_CONFIG, tls_cfg)))
        return fail(why, whylen, "cannot set up TLS on", url, rv);
    if ((rv = nng_listener_set_size(nl, NNG_OPT_RECVMAXSZ, l->max_message_bytes)))
        return fail(why, whylen, "cannot set message limit on", url, rv);
    if ((rv = nng_listener_start(nl, 0)))
        return fail(why, whylen, "cannot listen on", url, rv);
    /* before a replacement is renamed over the path: clients never see it
     * with the wrong group */
    if (l->path && (rv = listener_ipc_group(url + 6, why, whylen))) {
        nng_listener_close(nl);
        unlink(url + 6);
        return rv;
    }
    return SM_OK;
}

int listener_ipc_group(const char *path, char *why, size_t whylen)
{
    if (ipc_gid == (gid_t)-1 || chown(path, (uid_t)-1, ipc_gid) == 0)
        return SM_OK;
    snprintf(why, whylen, "cannot give ipc://%s to group %u: %s", path, (unsigned)ipc_gid,
             strerror(errno));
    return SM_EIO;
}

int listener_start(struct listener **out, nng_socket sock, const char *url, int ipc_mode,
                   size_t max_message_bytes, char *why, size_t whylen)
{
    bool ipc = strncmp(url, "ipc://", 6) == 0;
    struct listener *l = calloc(1, sizeof(*l));
    if (!l || !(l->url = strdup(url)) || (ipc && !(l->path = strdup(url + 6)))) {
        listener_free(l);
        snprintf(why, whylen, "out of memory");
        return SM_ENOMEM;
    }
    l->sock = sock;
    l->ipc_mode = ipc_mode;
    l->max_message_bytes = max_message_bytes;
    l->probe_fd = -1;
    l->linger_fd = -1;
    l->backoff_ms = PROBE_EVERY_MS;
    int rc = ipc && listener_ipc_in_use(url)
                 ? fail(why, whylen, "another broker is listening on", url, NNG_EADDRINUSE)
                 : bind_url(l, url, why, whylen);
    if (rc) {
        free(l->path); /* not ours to remove */
        l->path = NULL;
        listener_free(l);
        return rc;
    }
    log_info("SM-LISTEN", "listening on %s", url);
    *out = l;
    return SM_OK;
}

/* probe_end() - close the probe; the next one is due in @next_ms. */
static void probe_end(struct listener *l, int64_t now, int next_ms)
{
    if (l->probe_fd >= 0)
        close(l->probe_fd);
    l->probe_fd = -1;
    l->probe_due = now + next_ms;
}

/*
 * linger() - keep a probe that got no answer open instead of closing it: a
 * slow but healthy listener may be about to negotiate on it, and a peer
 * that closes then is exactly what trips bug 1518.  It is closed once the
 * broker has answered or hung up, or after LINGER_MS (nng gives up
 * negotiating after 10 s with a timeout, which is harmless).
 */
static void linger(struct listener *l, int64_t now)
{
    if (l->linger_fd >= 0)
        close(l->linger_fd);
    l->linger_fd = l->probe_fd;
    l->linger_until = now + LINGER_MS;
    l->probe_fd = -1;
}

static void linger_reap(struct listener *l, int64_t now)
{
    uint8_t buf[64];
    if (l->linger_fd < 0)
        return;
    ssize_t n = recv(l->linger_fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n >= 0 || errno != EAGAIN || now >= l->linger_until) {
        close(l->linger_fd);
        l->linger_fd = -1;
    }
}

/* probe_ok() - answered: new clients are served. */
static void probe_ok(struct listener *l, int64_t now)
{
    l->backoff_ms = PROBE_EVERY_MS;
    probe_end(l, now, PROBE_EVERY_MS);
}

void listener_free(struct listener *l)
{
    if (!l)
        return;
    probe_end(l, 0, 0);
    if (l->linger_fd >= 0)
        close(l->linger_fd);
    if (l->path)
        unlink(l->path);
    free(l->path);
    free(l->url);
    free(l);
}

/* replace() - the probe failed: bind a new listener beside the path and
 * rename it over; probe again later, later still if this keeps failing. */
static void replace(struct listener *l, int64_t now)
{
    if (l->probe_fd >= 0)
        linger(l, now);
    probe_end(l, now, l->backoff_ms);
    l->backoff_ms = l->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : l->backoff_ms * 2;
    char why[256], tmp[sizeof(((struct sockaddr_un *)0)->sun_path) + 16], url[sizeof(tmp) + 8];
    snprintf(tmp, sizeof(tmp), "%s.new", l->path);
    snprintf(url, sizeof(url), "ipc://%s", tmp);
    unlink(tmp);
    if (bind_url(l, url, why, sizeof(why)) != SM_OK) {
        log_err("SM-LISTEN-STUCK", "%s no longer accepts and cannot be replaced: %s", l->url, why);
        return;
    }
    if (rename(tmp, l->path) != 0) {
        log_err("SM-LISTEN-STUCK", "%s no longer accepts and cannot be replaced: %s", l->url,
                strerror(errno));
        unlink(tmp);
        return;
    }
    l->restarts++;
    log_warn("SM-LISTEN-RESTART",
             "%s stopped accepting (nng bug 1518); a new listener took its place (%u so far)",
             l->url, l->restarts);
}

/* probe_start() - connect and send an SP header; nng answers with its own
 * within microseconds while the listener accepts.  A connect that fails
 * (socket file gone, backlog full) means nobody accepts there. */
static void probe_start(struct listener *l, int64_t now)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", l->path);
    l->probe_got = 0;
    l->probe_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (l->probe_fd < 0) {
        probe_end(l, now, PROBE_EVERY_MS); /* out of descriptors: try again later */
        return;
    }
    if (connect(l->probe_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        write(l->probe_fd, probe_out, sizeof(probe_out)) != sizeof(probe_out)) {
        replace(l, now);
        return;
    }
    l->probe_due = now + PROBE_WAIT_MS;
}

int listener_poll(struct listener *l, int64_t now, struct pollfd *pfd, int *timeout_ms)
{
    if (!l->path)
        return 0;
    if (l->probe_fd < 0 && now >= l->probe_due)
        probe_start(l, now);
    int64_t wait = l->probe_due - now;
    if (wait < *timeout_ms)
        *timeout_ms = wait < 0 ? 0 : (int)wait;
    if (l->probe_fd < 0)
        return 0;
    *pfd = (struct pollfd){.fd = l->probe_fd, .events = POLLIN};
    return 1;
}

void listener_check(struct listener *l, short revents, int64_t now)
{
    uint8_t buf[64];
    linger_reap(l, now);
    if (l->probe_fd < 0)
        return;
    if (revents) {
        ssize_t n = read(l->probe_fd, buf, sizeof(buf));
        if (n > 0 && (l->probe_got += (size_t)n) >= PROBE_REPLY_MIN) {
            probe_ok(l, now);
            return;
        }
        if (n == 0 || (n < 0 && errno != EAGAIN)) {
            replace(l, now); /* hung up on us: not served */
            return;
        }
    }
    if (now >= l->probe_due)
        replace(l, now);
}
