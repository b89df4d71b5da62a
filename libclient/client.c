/*
 * client.c - the connection: dial, handshake, per-thread nng contexts, the
 * one round-trip helper every typed function uses, and the shared open/close
 * of object handles.
 *
 * ipc:// addresses skip nng: ipc_direct.c speaks its wire format on a plain
 * unix socket shared by all threads, and exchange() hands calls to it.  The
 * rest of this file (contexts, pipe notification, mark_dead) is the nng path
 * used for tcp://.
 *
 * Threads: each (client, thread) pair gets its own REQ context and aio on
 * first use (a pthread key per client).  All of them are also on one
 * process-wide list under g_mu, so that the pipe-removal callback can cancel
 * every in-flight call, and a thread-exit destructor racing with
 * sm_disconnect() can tell whether its state still exists.
 *
 * Lost connection: nng's REQ would resend a request on the next pipe, which
 * could run a non-idempotent operation twice.  Resending is off, and when
 * the pipe goes the client is marked dead and every in-flight aio cancelled:
 * callers get SM_ECONN, and so does every later call.  A call is started
 * under c->lock (read) and the death is recorded under c->lock (write), so
 * no call can start after the cancel sweep.
 */
#include <errno.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "client_internal.h"
#include "ipc_direct.h"

/* How long sm_connect() waits for each handshake reply. */
#define SM_HANDSHAKE_MS 10000
#include "errors.h"
#include "paths.h"

struct sm_client {
    nng_socket sock;
    struct ipcd *direct; /* ipc:// without nng (ipc_direct.h), or NULL */
    pthread_key_t key;   /* -> struct smc_thread of the calling thread */
    bool key_ok;
    pthread_rwlock_t lock; /* read: starting an op; write: marking dead */
    bool dead;             /* pipe gone: every call is SM_ECONN */
    bool authed;           /* handshake done */
    uint8_t *key_bytes;
    size_t keylen;
    pid_t pid;      /* the process that connected */
    unsigned forks; /* g_forks when it connected */
};

/* The calling thread's context on one client. */
struct smc_thread {
    sm_client *c;
    struct ipcd_call call; /* a direct client's call in flight (pipelines) */
    nng_ctx ctx;
    nng_aio *aio;
    struct smc_thread *next; /* on g_threads */
};

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static struct smc_thread *g_threads;

/* nng 1.5.2 aborts ("not fork-reentrant safe") when a child forked after
 * the parent used it touches it.  The process that first used nng: a forked
 * child gets SM_ENOTSUP from sm_connect() and SM_ECONN from an inherited
 * client instead of an abort. */
static _Atomic pid_t g_nng_pid;

/* Forks seen by this process (pthread_atfork): a call compares it with the
 * client's instead of asking getpid(), which costs a system call. */
static _Atomic unsigned g_forks;
static pthread_once_t g_fork_once = PTHREAD_ONCE_INIT;

static void count_fork(void)
{
    g_forks++;
}

static void watch_forks(void)
{
    pthread_atfork(NULL, NULL, count_fork);
}

static bool in_child(const sm_client *c)
{
    return c->forks != g_forks;
}

/* ---- thread ids ---------------------------------------------------------- */

uint64_t smc_thread_id(void)
{
    static atomic_uint_fast64_t next_tid;
    static __thread uint64_t tid;
    if (tid == 0)
        tid = atomic_fetch_add(&next_tid, 1) + 1;
    return tid;
}

/* ---- per-thread contexts ------------------------------------------------ */

static void thread_free(struct smc_thread *t)
{
    nng_ctx_close(t->ctx); /* NNG_ECLOSED after nng_close: harmless */
    nng_aio_free(t->aio);
    free(t);
}

/* unlink_thread() - take @t off g_threads; false if it is not there any
 * more (sm_disconnect() took it).  Caller holds g_mu. */
static bool unlink_thread(struct smc_thread *t)
{
    for (struct smc_thread **pp = &g_threads; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            return true;
        }
    }
    return false;
}

/* thread_exit() - pthread key destructor: the thread is ending. */
static void thread_exit(void *arg)
{
    pthread_mutex_lock(&g_mu);
    bool mine = unlink_thread(arg);
    pthread_mutex_unlock(&g_mu);
    if (mine)
        thread_free(arg);
}

/* ctx_new() - a REQ context on @c and its aio (calling @cb(@arg) when
 * given), on g_threads so that a lost connection cancels its calls. */
static int ctx_new(sm_client *c, void (*cb)(void *), void *arg, struct smc_thread **out)
{
    struct smc_thread *t = calloc(1, sizeof(*t));
    if (!t)
        return SM_ENOMEM;
    t->c = c;
    if (nng_aio_alloc(&t->aio, cb, arg)) {
        free(t);
        return SM_ENOMEM;
    }
    nng_aio_set_timeout(t->aio, NNG_DURATION_INFINITE);
    if (nng_ctx_open(&t->ctx, c->sock)) {
        nng_aio_free(t->aio);
        free(t);
        return SM_ECONN;
    }
    nng_ctx_set_ms(t->ctx, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
    pthread_mutex_lock(&g_mu);
    t->next = g_threads;
    g_threads = t;
    pthread_mutex_unlock(&g_mu);
    *out = t;
    return SM_OK;
}

/* thread_get() - the calling thread's context on @c, made on first use. */
static int thread_get(sm_client *c, struct smc_thread **out)
{
    struct smc_thread *t = pthread_getspecific(c->key);
    int rc = SM_OK;
    if (!t && (rc = ctx_new(c, NULL, NULL, &t)) == SM_OK)
        pthread_setspecific(c->key, t);
    *out = t;
    return rc;
}

/* mark_dead() - no call may start from now on; cancel those in flight. */
static void mark_dead(sm_client *c)
{
    pthread_rwlock_wrlock(&c->lock);
    c->dead = true;
    pthread_mutex_lock(&g_mu);
    for (struct smc_thread *t = g_threads; t; t = t->next)
        if (t->c == c)
            nng_aio_cancel(t->aio);
    pthread_mutex_unlock(&g_mu);
    pthread_rwlock_unlock(&c->lock);
}

/* pipe_gone() - NNG_PIPE_EV_REM_POST: the connection is lost.  nng_close()
 * waits for this callback, so @arg is alive while it runs. */
static void pipe_gone(nng_pipe p, nng_pipe_ev ev, void *arg)
{
    (void)p;
    (void)ev;
    mark_dead(arg);
}

/* ---- one round trip ----------------------------------------------------- */

int smc_ctx_start(struct smc_thread *t, nng_msg *msg)
{
    sm_client *c = t->c;
    if (c->direct)
        return ipcd_send(c->direct, msg, &t->call);
    pthread_rwlock_rdlock(&c->lock);
    bool dead = c->dead;
    if (!dead && msg) {
        nng_aio_set_msg(t->aio, msg);
        nng_ctx_send(t->ctx, t->aio);
    } else if (!dead) {
        nng_ctx_recv(t->ctx, t->aio);
    }
    pthread_rwlock_unlock(&c->lock);
    if (dead && msg)
        nng_msg_free(msg);
    return dead ? SM_ECONN : SM_OK;
}

int smc_ctx_result(struct smc_thread *t, bool sent)
{
    if (nng_aio_result(t->aio) == 0)
        return SM_OK;
    nng_msg *left = nng_aio_get_msg(t->aio); /* a failed send leaves it with us */
    if (sent && left)
        nng_msg_free(left);
    nng_aio_set_msg(t->aio, NULL);
    return SM_ECONN;
}

/* start() - start a send of @msg (consumed; NULL: a receive) on @t's
 * context, unless the client is dead, and wait for it. */
static int start(struct smc_thread *t, nng_msg *msg)
{
    int rc = smc_ctx_start(t, msg);
    if (rc)
        return rc;
    nng_aio_wait(t->aio);
    return smc_ctx_result(t, msg != NULL);
}

/* exchange() - send @msg (consumed) and return the reply message. */
static int exchange(sm_client *c, nng_msg *msg, nng_msg **reply)
{
    struct smc_thread *t;
    if (c->direct)
        return ipcd_exchange(c->direct, msg, reply);
    int rc = thread_get(c, &t);
    if (rc) {
        nng_msg_free(msg);
        return rc;
    }
    if ((rc = start(t, msg)) || (rc = start(t, NULL)))
        return rc;
    *reply = nng_aio_get_msg(t->aio);
    nng_aio_set_msg(t->aio, NULL);
    return *reply ? SM_OK : SM_EPROTO;
}

/* call_msg() - exchange @msg and decode the reply into *rep. */
static int call_msg(sm_client *c, nng_msg *msg, struct smc_reply *rep)
{
    nng_msg *m = NULL;
    memset(rep, 0, sizeof(*rep));
    if (in_child(c)) {
        nng_msg_free(msg);
        return SM_ECONN;
    }
    int rc = exchange(c, msg, &m);
    if (rc)
        return rc;
    rc = reply_decode(nng_msg_body(m), nng_msg_len(m), &rep->status, &rep->r, &rep->nfields);
    if (rc) {
        nng_msg_free(m);
        memset(rep, 0, sizeof(*rep));
        return SM_EPROTO;
    }
    rep->msg = m;
    return SM_OK;
}

void smc_reply_free(struct smc_reply *rep)
{
    if (rep->msg)
        nng_msg_free(rep->msg);
    memset(rep, 0, sizeof(*rep));
}

int smc_call_raw(sm_client *c, const void *req, size_t len, struct smc_reply *rep)
{
    nng_msg *msg;
    memset(rep, 0, sizeof(*rep));
    if (!c || (!req && len))
        return SM_EINVAL;
    if (nng_msg_alloc(&msg, len))
        return SM_ENOMEM;
    if (len)
        memcpy(nng_msg_body(msg), req, len);
    return call_msg(c, msg, rep);
}

/* ---- requests ----------------------------------------------------------- */

/* req_write() - msgpack writer appending to the request message, growing
 * it geometrically (nng grows a message to the exact size asked). */
static int req_write(void *data, const char *buf, size_t len)
{
    struct smc_req *rq = data;
    if (rq->err)
        return -1;
    size_t used = nng_msg_len(rq->msg), cap = nng_msg_capacity(rq->msg);
    if (used + len > cap) {
        size_t want = cap * 2 > used + len ? cap * 2 : used + len;
        if (nng_msg_reserve(rq->msg, want)) {
            rq->err = SM_ENOMEM;
            return -1;
        }
    }
    if (len && nng_msg_append(rq->msg, buf, len)) {
        rq->err = SM_ENOMEM;
        return -1;
    }
    return 0;
}

int smc_req_begin(struct smc_req *rq, int opcode, uint64_t handle, uint32_t nargs)
{
    const struct op_desc *op = op_lookup((uint64_t)opcode);
    bool has_handle = op && op->type;
    memset(rq, 0, sizeof(*rq));
    if (nng_msg_alloc(&rq->msg, 0) || nng_msg_reserve(rq->msg, 128)) {
        smc_req_abort(rq);
        return SM_ENOMEM;
    }
    msgpack_packer_init(&rq->pk, rq, req_write);
    msgpack_pack_array(&rq->pk, 1 + has_handle + nargs);
    msgpack_pack_uint64(&rq->pk, (uint64_t)opcode);
    if (has_handle)
        msgpack_pack_uint64(&rq->pk, handle);
    if (rq->err) {
        smc_req_abort(rq);
        return SM_ENOMEM;
    }
    return SM_OK;
}

void smc_req_abort(struct smc_req *rq)
{
    if (rq->msg)
        nng_msg_free(rq->msg);
    rq->msg = NULL;
}

/* ---- calls and reply shapes --------------------------------------------- */

__thread struct smc_sink *smc_sink_tls;

int smc_call(sm_client *c, struct smc_req *rq, struct smc_reply *rep)
{
    memset(rep, 0, sizeof(*rep));
    if (!rq->msg)
        return SM_EINVAL;
    if (rq->err) {
        int rc = rq->err;
        smc_req_abort(rq);
        return rc;
    }
    nng_msg *msg = rq->msg;
    rq->msg = NULL;
    struct smc_sink *sink = smc_sink_tls;
    if (sink && sink->c == c)
        return sink->take(sink, msg); /* a batch or pipeline (batch.c, pipeline.c) */
    int rc = call_msg(c, msg, rep);
    if (rc)
        return rc;
    if (rep->status != SM_OK && rep->status != SM_EOWNERDEAD) {
        rc = rep->status;
        smc_reply_free(rep);
    }
    return rc ? rc : rep->status;
}

int smc_call0(sm_client *c, struct smc_req *rq)
{
    struct smc_reply rep;
    int rc = smc_call(c, rq, &rep);
    smc_reply_free(&rep);
    return rc;
}

/* succeeded() - a status whose reply carries fields (see smc_call()). */
static bool succeeded(int rc)
{
    return rc == SM_OK || rc == SM_EOWNERDEAD;
}

/* call1() - smc_call() expecting at least one field; the reader is left at
 * it.  The caller frees *rep whatever it returns. */
static int call1(sm_client *c, struct smc_req *rq, struct smc_reply *rep)
{
    int rc = smc_call(c, rq, rep);
    return succeeded(rc) && rep->nfields < 1 ? SM_EPROTO : rc;
}

/* One wrapper per reply shape: call1() then read the field with READ. */
#define SMC_CALL_SHAPE(fn, type, READ)                                                             \
    int fn(sm_client *c, struct smc_req *rq, type *out)                                            \
    {                                                                                              \
        struct smc_reply rep;                                                                      \
        int rc = call1(c, rq, &rep);                                                               \
        if (succeeded(rc) && (READ))                                                               \
            rc = SM_EPROTO;                                                                        \
        smc_reply_free(&rep);                                                                      \
        return rc;                                                                                 \
    }

SMC_CALL_SHAPE(smc_call_bool, bool, mp_read_bool(&rep.r, out))
SMC_CALL_SHAPE(smc_call_uint, uint64_t, mp_read_uint(&rep.r, out))
SMC_CALL_SHAPE(smc_call_int, int64_t, mp_read_int(&rep.r, out))

int smc_call_size(sm_client *c, struct smc_req *rq, size_t *out)
{
    uint64_t u;
    int rc = smc_call_uint(c, rq, &u);
    if (rc == SM_OK)
        *out = (size_t)u;
    return rc;
}

int smc_call_val(sm_client *c, struct smc_req *rq, sm_val *out)
{
    struct smc_reply rep;
    *out = sm_nil();
    int rc = call1(c, rq, &rep);
    if (succeeded(rc)) {
        int rd = smc_read_val(&rep.r, out);
        rc = rd ? rd : rc;
    }
    smc_reply_free(&rep);
    return rc;
}

/* ---- connection --------------------------------------------------------- */

/* pick() - @arg, else the default of @kind for this process (paths.h: the
 * environment, else the system or per-user location) formed in @buf. */
static const char *pick(const char *arg, enum path_kind kind, char *buf, size_t len)
{
    return arg ? arg : paths_default(kind, buf, len) == 0 ? buf : NULL;
}

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

/* hello() - [hello, version, name] -> [0, broker nonce, broker version]. */
static int hello(sm_client *c, uint8_t nonce[SM_NONCE_LEN])
{
    char name[128];
    struct smc_req rq;
    struct smc_reply rep = {0};
    const void *p;
    uint32_t n;
    snprintf(name, sizeof(name), "%s[%d]", program_invocation_short_name, (int)getpid());
    int rc = smc_req(&rq, SMOP_hello, 0, "us", (uint64_t)SM_PROTO_VERSION, name);
    if (!rc && (rc = call1(c, &rq, &rep)) == SM_OK) {
        if (mp_read_bin(&rep.r, &p, &n) || n != SM_NONCE_LEN)
            rc = SM_EPROTO;
        else
            memcpy(nonce, p, SM_NONCE_LEN);
    }
    smc_reply_free(&rep);
    return rc;
}

/* prove() - [auth, client proof, client nonce] -> [0, broker proof]; checks
 * the broker's proof (SM_EAUTH when it does not know our key). */
static int prove(sm_client *c, const uint8_t bnonce[SM_NONCE_LEN])
{
    uint8_t cnonce[SM_NONCE_LEN], mac[SM_MAC_LEN];
    struct smc_req rq;
    struct smc_reply rep = {0};
    const void *p;
    uint32_t n;
    auth_nonce(cnonce);
    auth_proof(c->key_bytes, c->keylen, AUTH_CLIENT, bnonce, cnonce, mac);
    int rc =
        smc_req(&rq, SMOP_auth, 0, "xx", mac, (size_t)SM_MAC_LEN, cnonce, (size_t)SM_NONCE_LEN);
    if (!rc && (rc = call1(c, &rq, &rep)) == SM_OK) {
        auth_proof(c->key_bytes, c->keylen, AUTH_BROKER, bnonce, cnonce, mac);
        if (mp_read_bin(&rep.r, &p, &n))
            rc = SM_EPROTO;
        else if (!auth_check(mac, p, n))
            rc = SM_EAUTH; /* the broker does not know our key */
    }
    smc_reply_free(&rep);
    return rc;
}

/* dial() - ipc:// directly (unless $SYNCMGR_IPC_NNG is set), anything
 * else with an nng socket, options, pipe notification, synchronous dial. */
static int dial(sm_client *c, const char *address)
{
    const char *path = ipcd_path(address);
    if (path && !getenv("SYNCMGR_IPC_NNG"))
        return ipcd_dial(path, SM_HANDSHAKE_MS, &c->direct);
    pid_t first = 0;
    if (!atomic_compare_exchange_strong(&g_nng_pid, &first, c->pid) && first != c->pid)
        return SM_ENOTSUP; /* a forked child: nng would abort; exec first */
    int rv = nng_req0_open(&c->sock);
    if (rv)
        return nng_to_sm(rv);
    if ((rv = nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE)) ||
        (rv = nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, 0)) ||
        (rv = nng_pipe_notify(c->sock, NNG_PIPE_EV_REM_POST, pipe_gone, c)))
        return nng_to_sm(rv);
    return nng_to_sm(smc_dial(c->sock, address));
}

static void client_free(sm_client *c)
{
    struct smc_thread *mine = NULL;
    if (!c)
        return;
    if (c->key_ok)
        pthread_key_delete(c->key);
    /* take this client's thread states; an exiting thread's destructor
     * that has not got g_mu yet will not find its state and leave it */
    pthread_mutex_lock(&g_mu);
    for (struct smc_thread **pp = &g_threads; *pp;) {
        struct smc_thread *t = *pp;
        if (t->c == c) {
            *pp = t->next;
            t->next = mine;
            mine = t;
        } else {
            pp = &t->next;
        }
    }
    pthread_mutex_unlock(&g_mu);
    bool child = in_child(c); /* nng objects are unusable: leave them */
    if (c->direct && !child)
        ipcd_shutdown(c->direct); /* not in a child: the parent's connection */
    ipcd_free(c->direct);
    if (!child && nng_socket_id(c->sock) > 0)
        nng_close(c->sock); /* waits for pipe_gone(); aborts every op */
    while (mine) {
        struct smc_thread *t = mine;
        mine = t->next;
        if (child)
            free(t);
        else
            thread_free(t);
    }
    auth_free_key(c->key_bytes, c->keylen);
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

/* client_new() - the client and its key, not yet connected. */
static int client_new(const char *keyfile, sm_client **out)
{
    char why[256];
    sm_client *c = calloc(1, sizeof(*c));
    if (!c)
        return SM_ENOMEM;
    pthread_rwlock_init(&c->lock, NULL);
    c->sock = (nng_socket)NNG_SOCKET_INITIALIZER;
    c->pid = getpid();
    pthread_once(&g_fork_once, watch_forks);
    c->forks = g_forks;
    int rc = auth_init();
    if (!rc)
        rc = auth_load_key(keyfile, &c->key_bytes, &c->keylen, why, sizeof(why));
    if (!rc && pthread_key_create(&c->key, thread_exit) != 0)
        rc = SM_ENOMEM;
    c->key_ok = rc == SM_OK;
    if (rc) {
        client_free(c);
        return rc;
    }
    *out = c;
    return SM_OK;
}

/* handshake_timeout() - bound the calling thread's calls while connecting:
 * a broker that accepted the connection but never answers must not hang
 * sm_connect(); later calls wait as long as the broker makes them. */
static int handshake_timeout(sm_client *c, nng_duration ms)
{
    struct smc_thread *t;
    if (c->direct) {
        ipcd_set_timeout(c->direct, ms);
        return SM_OK;
    }
    int rc = thread_get(c, &t);
    if (!rc)
        nng_aio_set_timeout(t->aio, ms);
    return rc;
}

SM_API int sm_connect(sm_client **out, const char *address, const char *authkey_file)
{
    sm_client *c;
    uint8_t nonce[SM_NONCE_LEN];
    if (!out)
        return SM_EINVAL;
    *out = NULL;
    char abuf[4096], kbuf[4096];
    address = pick(address, PATH_ADDRESS, abuf, sizeof(abuf));
    authkey_file = pick(authkey_file, PATH_AUTHKEY, kbuf, sizeof(kbuf));
    if (!address || !authkey_file)
        return SM_EINVAL;
    int rc = client_new(authkey_file, &c);
    if (rc)
        return rc;
    if (!(rc = dial(c, address)) && !(rc = handshake_timeout(c, SM_HANDSHAKE_MS)) &&
        !(rc = hello(c, nonce)) && !(rc = prove(c, nonce)) &&
        !(rc = handshake_timeout(c, NNG_DURATION_INFINITE))) {
        c->authed = true;
        *out = c;
        return SM_OK;
    }
    client_free(c);
    return rc;
}

SM_API void sm_disconnect(sm_client *c)
{
    client_free(c);
}

SM_API const char *sm_strerror(int rc)
{
    return sm_error_message(rc);
}

SM_API int sm_ping(sm_client *c, char **version)
{
    struct smc_req rq;
    struct smc_reply rep = {0};
    const char *s;
    uint32_t n;
    if (version)
        *version = NULL;
    if (!c)
        return SM_EINVAL;
    int rc = smc_req(&rq, SMOP_ping, 0, "");
    if (!rc && (rc = call1(c, &rq, &rep)) == SM_OK) {
        if (mp_read_str(&rep.r, &s, &n))
            rc = SM_EPROTO;
        else if (version && !(*version = strndup(s, n)))
            rc = SM_ENOMEM;
    }
    smc_reply_free(&rep);
    return rc;
}

/* check_name() - 1..SM_NAME_MAX bytes; the broker checks the rest. */
static int check_name(const char *name)
{
    size_t len = name ? strnlen(name, SM_NAME_MAX + 1) : 0;
    return len == 0 || len > SM_NAME_MAX ? SM_EINVAL : SM_OK;
}

SM_API int sm_unlink(sm_client *c, const char *name)
{
    struct smc_req rq;
    int rc = !c ? SM_EINVAL : check_name(name);
    if (rc || (rc = smc_req(&rq, SMOP_unlink, 0, "s", name)))
        return rc;
    return smc_call0(c, &rq);
}

/* ---- object handles ----------------------------------------------------- */

/* open_req() - [open, name, type, flags(, opts)] -> handle. */
static int open_req(sm_client *c, const char *name, int flags, unsigned type,
                    smc_pack_opts_fn *pack_opts, const void *opts, uint64_t *handle)
{
    struct smc_req rq;
    struct smc_reply rep = {0};
    int rc = pack_opts ? smc_req(&rq, SMOP_open, 0, "suu_", name, (uint64_t)type, (uint64_t)flags)
                       : smc_req(&rq, SMOP_open, 0, "suu", name, (uint64_t)type, (uint64_t)flags);
    if (rc)
        return rc;
    if (pack_opts && ((rc = pack_opts(&rq, opts)) || (rc = rq.err))) {
        smc_req_abort(&rq);
        return rc;
    }
    if ((rc = call1(c, &rq, &rep)) == SM_OK && mp_read_uint(&rep.r, handle))
        rc = SM_EPROTO;
    smc_reply_free(&rep);
    return rc;
}

int smc_obj_open(sm_client *c, const char *name, int flags, unsigned type,
                 smc_pack_opts_fn *pack_opts, const void *opts, size_t size, struct smc_obj **out)
{
    uint64_t handle;
    if (!out)
        return SM_EINVAL;
    *out = NULL;
    int rc = !c ? SM_EINVAL : check_name(name);
    if (rc)
        return rc;
    if (flags & ~OPEN_ALL)
        return SM_EINVAL;
    struct smc_obj *o = calloc(1, size);
    if (!o || !(o->name = strdup(name))) {
        free(o);
        return SM_ENOMEM;
    }
    if ((rc = open_req(c, name, flags, type, pack_opts, opts, &handle))) {
        free(o->name);
        free(o);
        return rc;
    }
    o->c = c;
    o->handle = handle;
    o->type = type;
    *out = o;
    return SM_OK;
}

void smc_obj_close(struct smc_obj *o)
{
    struct smc_req rq;
    if (!o)
        return;
    if (!smc_req(&rq, SMOP_close, 0, "u", o->handle))
        smc_call0(o->c, &rq);
    free(o->name);
    free(o);
}

/* ---- contexts of a pipeline ---------------------------------------------- */

int smc_ctx_open(sm_client *c, void (*cb)(void *), void *arg, struct smc_thread **out)
{
    if (in_child(c))
        return SM_ECONN;
    if (c->direct) { /* no nng: smc_ctx_wait() collects, @cb is not called */
        if (!(*out = calloc(1, sizeof(**out))))
            return SM_ENOMEM;
        (*out)->c = c;
        return SM_OK;
    }
    return ctx_new(c, cb, arg, out);
}

bool smc_ctx_direct(const struct smc_thread *t)
{
    return t->c->direct != NULL;
}

int smc_ctx_wait(struct smc_thread *t, nng_msg **reply)
{
    return ipcd_wait(t->c->direct, &t->call, reply);
}

nng_aio *smc_ctx_aio(struct smc_thread *t)
{
    return t->aio;
}

void smc_ctx_close(struct smc_thread *t)
{
    if (t->c->direct) {
        free(t);
        return;
    }
    pthread_mutex_lock(&g_mu);
    bool mine = unlink_thread(t);
    pthread_mutex_unlock(&g_mu);
    if (mine)
        thread_free(t);
}
