/*
 * reconnect.c - dialing: for each connection generation a new direct ipc
 * connection (ipc_direct.h: ipc:// unless $SYNCMGR_IPC_NNG is set) or a new
 * REQ socket and its dialer, the handshake (hello, auth) and re-dialing after the broker
 * restarts or the pipe drops -- again and again until it works or the
 * reconnect time has passed, then SM_ECONN; sm_connect(), sm_disconnect().
 * Session state (held locks, parked requests, temporary objects) belonged to
 * the old pipe and does not come back; handles are opened again by name on
 * their next use (handle.c).  The connection's state is conn.c's.
 */
#include <errno.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "conn.h"
#include "errors.h"
#include "paths.h"

/* How long the handshake may take on a fresh pipe: sm_connect(), or a
 * re-dial with more time left than this. */
#define SM_HANDSHAKE_MS 10000

/* Re-dial pauses: from the first, doubling up to the last. */
#define REDIAL_PAUSE_MS 10
#define REDIAL_PAUSE_MAX_MS 250

/* nng 1.5.2 aborts ("not fork-reentrant safe") when a child forked after
 * the parent used it touches it.  The process that first used nng: a forked
 * child gets SM_ENOTSUP from sm_connect() and SM_ECONN from an inherited
 * client instead of an abort. */
static _Atomic pid_t g_nng_pid;

static void pause_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

/* ---- handshake ----------------------------------------------------------- */

/* handshake_call() - send @rq as part of the handshake on generation @gen
 * and expect a bin field of @len bytes, copied to @out. */
static int handshake_call(sm_client *c, struct smc_req *rq, uint64_t gen, uint8_t *out, size_t len)
{
    struct smc_reply rep;
    const void *p;
    uint32_t n;
    rq->gen = gen;
    rq->handshake = true;
    int rc = smc_call(c, rq, &rep);
    if (rc == SM_OK && (rep.nfields < 1 || mp_read_bin(&rep.r, &p, &n) || n != len))
        rc = SM_EPROTO;
    if (rc == SM_OK)
        memcpy(out, p, len);
    smc_reply_free(&rep);
    return rc;
}

/* hello() - [hello, version, name] -> [0, broker nonce, broker version]. */
static int hello(sm_client *c, uint64_t gen, uint8_t nonce[SM_NONCE_LEN])
{
    char name[128];
    struct smc_req rq;
    snprintf(name, sizeof(name), "%s[%d]", program_invocation_short_name, (int)getpid());
    int rc = smc_req(&rq, SMOP_hello, 0, "us", (uint64_t)SM_PROTO_VERSION, name);
    return rc ? rc : handshake_call(c, &rq, gen, nonce, SM_NONCE_LEN);
}

/* prove() - [auth, client proof, client nonce] -> [0, broker proof]; checks
 * the broker's proof (SM_EAUTH when it does not know our key). */
static int prove(sm_client *c, uint64_t gen, const uint8_t bnonce[SM_NONCE_LEN])
{
    uint8_t cnonce[SM_NONCE_LEN], mac[SM_MAC_LEN], theirs[SM_MAC_LEN];
    struct smc_req rq;
    auth_nonce(cnonce);
    auth_proof(c->key_bytes, c->keylen, AUTH_CLIENT, bnonce, cnonce, mac);
    int rc =
        smc_req(&rq, SMOP_auth, 0, "xx", mac, (size_t)SM_MAC_LEN, cnonce, (size_t)SM_NONCE_LEN);
    if (rc || (rc = handshake_call(c, &rq, gen, theirs, SM_MAC_LEN)))
        return rc;
    auth_proof(c->key_bytes, c->keylen, AUTH_BROKER, bnonce, cnonce, mac);
    return auth_check(mac, theirs, SM_MAC_LEN) ? SM_OK : SM_EAUTH; /* a broker without our key */
}

/* handshake_ms() - how long each handshake reply may take: at most
 * SM_HANDSHAKE_MS or until @deadline (0: none), but at least 1 s: a broker
 * that accepted the connection but never answers must not hang the call;
 * later calls wait as long as the broker makes them. */
static int handshake_ms(int64_t deadline)
{
    int64_t ms = deadline ? deadline - conn_now_ms() : SM_HANDSHAKE_MS;
    return ms < 1000 ? 1000 : ms > SM_HANDSHAKE_MS ? SM_HANDSHAKE_MS : (int)ms;
}

/* handshake() - hello and auth on generation @gen (direct: @d), each reply
 * awaited at most @ms. */
static int handshake(sm_client *c, uint64_t gen, struct ipcd *d, int ms)
{
    struct smc_thread *t = NULL;
    uint8_t nonce[SM_NONCE_LEN];
    int rc = d ? SM_OK : conn_thread(c, &t);
    if (rc)
        return rc;
    if (d)
        ipcd_set_timeout(d, ms);
    else
        nng_aio_set_timeout(t->aio, (nng_duration)ms);
    if (!(rc = hello(c, gen, nonce)))
        rc = prove(c, gen, nonce);
    if (d)
        ipcd_set_timeout(d, -1);
    else
        nng_aio_set_timeout(t->aio, NNG_DURATION_INFINITE);
    return rc;
}

/* ---- sockets ------------------------------------------------------------- */

static int nng_to_sm(int rv)
{
    switch (rv) {
    case 0:
        return SM_OK;
    case NNG_ENOMEM:
        return SM_ENOMEM;
    case NNG_EADDRINVAL:
    case NNG_ENOTSUP:
    case NNG_EINVAL:
        return SM_EINVAL;
    default:
        return SM_ECONN;
    }
}

/* socket_open() - a REQ socket that never resends, never re-dials by itself
 * (conn.c does, with a handshake) and reports its pipe's end. */
static int socket_open(sm_client *c, nng_socket *s)
{
    pid_t first = 0;
    if (!atomic_compare_exchange_strong(&g_nng_pid, &first, c->pid) && first != c->pid)
        return SM_ENOTSUP; /* a forked child: nng would abort; exec first */
    int rv = nng_req0_open(s);
    if (rv)
        return nng_to_sm(rv);
    if ((rv = nng_socket_set_ms(*s, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE)) ||
        (rv = nng_socket_set_ms(*s, NNG_OPT_RECONNMINT, INT32_MAX)) ||
        (rv = nng_socket_set_ms(*s, NNG_OPT_RECONNMAXT, 0)) ||
        (rv = nng_socket_set_size(*s, NNG_OPT_RECVMAXSZ, 0)) ||
        (rv = nng_pipe_notify(*s, NNG_PIPE_EV_REM_POST, conn_pipe_gone, c))) {
        nng_close(*s);
        return nng_to_sm(rv);
    }
    return SM_OK;
}

/* drop_socket() - mark the connection down and close its socket or direct
 * connection, if any. */
static void drop_socket(sm_client *c)
{
    pthread_rwlock_wrlock(&c->lock);
    nng_socket old = c->sock;
    struct ipcd *d = c->direct;
    c->sock = (nng_socket)NNG_SOCKET_INITIALIZER;
    c->direct = NULL;
    c->dead = true;
    c->authed = false;
    pthread_rwlock_unlock(&c->lock);
    if (nng_socket_id(old) > 0)
        nng_close(old); /* waits for conn_pipe_gone(); aborts what is left on it */
    if (d)
        ipcd_shutdown(d); /* calls still on it end; the last one frees it */
    ipcd_free(d);
}

/* redial() - a new socket as the next generation, dialed and authenticated
 * (a direct connection is dialed first: it exists only connected).  Caller
 * holds c->redial_mu (or is sm_connect()). */
static int redial(sm_client *c, int64_t deadline)
{
    nng_socket s = NNG_SOCKET_INITIALIZER;
    struct ipcd *d = NULL;
    int ms = handshake_ms(deadline);
    drop_socket(c);
    int rc = c->ipc_path ? ipcd_dial(c->ipc_path, ms, &d) : socket_open(c, &s);
    if (rc)
        return rc;
    if (d)
        ipcd_set_busy_poll(d, c->busy_poll_us);
    pthread_rwlock_wrlock(&c->lock);
    c->sock = s;
    c->direct = d;
    uint64_t gen = ++c->gen;
    c->dead = false; /* from here on conn_pipe_gone() reports this socket */
    pthread_rwlock_unlock(&c->lock);
    if ((!d && (rc = nng_to_sm(smc_dial(s, c->address)))) || (rc = handshake(c, gen, d, ms))) {
        conn_mark_dead(c);
        return rc;
    }
    pthread_rwlock_wrlock(&c->lock);
    c->authed = !c->dead;
    rc = c->authed ? SM_OK : SM_ECONN;
    pthread_rwlock_unlock(&c->lock);
    return rc;
}

/* ---- re-dialing ---------------------------------------------------------- */

int conn_redial_until(sm_client *c, int64_t deadline)
{
    for (int64_t pause = REDIAL_PAUSE_MS;;
         pause = pause * 2 > REDIAL_PAUSE_MAX_MS ? REDIAL_PAUSE_MAX_MS : pause * 2) {
        int rc = redial(c, deadline);
        int64_t left = deadline - conn_now_ms();
        if (rc != SM_ECONN || left <= 0)
            return rc;
        pause_ms(pause < left ? pause : left);
    }
}

/* pick() - @arg, else the default of @kind for this process (paths.h: the
 * environment, else the system or per-user location) formed in @buf. */
static const char *pick(const char *arg, enum path_kind kind, char *buf, size_t len)
{
    return arg ? arg : paths_default(kind, buf, len) == 0 ? buf : NULL;
}

SM_API int sm_connect(sm_client **out, const char *address, const char *authkey_file)
{
    sm_client *c;
    if (!out)
        return SM_EINVAL;
    *out = NULL;
    char abuf[4096], kbuf[4096];
    address = pick(address, PATH_ADDRESS, abuf, sizeof(abuf));
    authkey_file = pick(authkey_file, PATH_AUTHKEY, kbuf, sizeof(kbuf));
    if (!address || !authkey_file)
        return SM_EINVAL;
    int rc = conn_new(address, authkey_file, &c);
    if (rc)
        return rc;
    if ((rc = redial(c, 0))) {
        conn_free(c);
        return rc;
    }
    *out = c;
    return SM_OK;
}

SM_API void sm_disconnect(sm_client *c)
{
    conn_free(c);
}
