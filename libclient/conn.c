/*
 * conn.c - the state of an sm_client's connection and the round trip over
 * it: per-thread contexts, pipe events, the checks that keep a request off
 * a connection it does not belong to.  Dialing and the handshake are in
 * reconnect.c.
 *
 * State, under c->lock (read: to hand a request to nng; write: to change it):
 *   gen     bumped each time a new socket is installed (the first is 1)
 *   dead    the socket has no pipe (dropped, dial failed, or none yet)
 *   authed  the handshake on this socket is complete
 * An ordinary request is handed over only while !dead && authed, and an
 * smc_oreq() one only while its handle belongs to gen (the handle is written
 * into the message under the same read lock): a stale handle never reaches
 * a new broker session.
 *
 * No replays: nng's REQ would resend a request on the next pipe, which could
 * run a non-idempotent operation twice.  Resending is off; when the pipe
 * goes, conn_pipe_gone() marks the socket dead and cancels every in-flight
 * aio.  A call whose request nng had taken gets SM_ECONN (outcome unknown)
 * and the request is gone.  A request nng had not taken (its send aio
 * failed: nng hands the message back) or that the state check refused was
 * never sent, so it may go on the next connection.
 *
 * A call that finds the connection down re-dials first (ensure_up(), then
 * reconnect.c), one thread at a time (c->redial_mu); threads that waited
 * for it take its result rather than dialing again.
 *
 * The direct ipc transport (ipc_direct.h, c->ipc_path) has no pipe event:
 * a call that fails on it marks its generation dead (conn_lost()), and a
 * call holds the connection (ipcd_hold()) so a re-dial may drop it under
 * the call.  A request the connection refused before writing a byte (it
 * was already lost, or the write met a closed peer) was never sent.
 *
 * Threads (nng): each (client, thread) pair gets its own aio on first use and a
 * REQ context per generation (a pthread key per client).  All of them are
 * also on one process-wide list under g_mu, so that conn_pipe_gone() can
 * cancel every in-flight call, and a thread-exit destructor racing with
 * sm_disconnect() can tell whether its state still exists.
 *
 * Lock order: resolve lock (handle.c) -> c->redial_mu -> c->lock -> g_mu.
 * nng_close() waits for conn_pipe_gone(), which takes c->lock: never close
 * a socket while holding c->lock.
 */
#include <errno.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "conn.h"
#include "errors.h"
#include "spin.h"

/* Not handed to the connection (state check, or nng gave it back): safe to
 * send later.  Internal to this file; never returned to callers. */
#define NOTSENT (-1)

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static struct smc_thread *g_threads;

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

int64_t conn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- per-thread contexts ------------------------------------------------- */

static void thread_free(struct smc_thread *t)
{
    if (t->gen)
        nng_ctx_close(t->ctx); /* NNG_ECLOSED after its socket closed: harmless */
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

/* thread_new() - a context state on @c whose aio calls @cb(@arg) (may be
 * NULL), on g_threads so that a lost connection cancels its operations. */
static int thread_new(sm_client *c, void (*cb)(void *), void *arg, struct smc_thread **out)
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
    pthread_mutex_lock(&g_mu);
    t->next = g_threads;
    g_threads = t;
    pthread_mutex_unlock(&g_mu);
    *out = t;
    return SM_OK;
}

int conn_thread(sm_client *c, struct smc_thread **out)
{
    struct smc_thread *t = pthread_getspecific(c->key);
    int rc = SM_OK;
    if (!t && (rc = thread_new(c, NULL, NULL, &t)) == SM_OK)
        pthread_setspecific(c->key, t);
    *out = t;
    return rc;
}

/* thread_ctx() - make @t's context one on the current socket (the old one
 * went with its socket).  Caller holds c->lock. */
static int thread_ctx(sm_client *c, struct smc_thread *t)
{
    if (t->gen == c->gen)
        return SM_OK;
    if (nng_ctx_open(&t->ctx, c->sock))
        return SM_ECONN;
    nng_ctx_set_ms(t->ctx, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
    t->gen = c->gen;
    return SM_OK;
}

/* ---- pipe events --------------------------------------------------------- */

void conn_mark_dead(sm_client *c)
{
    pthread_rwlock_wrlock(&c->lock);
    c->dead = true;
    if (c->direct)
        ipcd_shutdown(c->direct); /* its calls in flight end with SM_ECONN */
    pthread_mutex_lock(&g_mu);
    for (struct smc_thread *t = g_threads; t; t = t->next)
        if (t->c == c)
            nng_aio_cancel(t->aio);
    pthread_mutex_unlock(&g_mu);
    pthread_rwlock_unlock(&c->lock);
}

void conn_lost(sm_client *c, uint64_t gen)
{
    pthread_rwlock_wrlock(&c->lock);
    if (c->gen == gen)
        c->dead = true;
    pthread_rwlock_unlock(&c->lock);
}

void conn_pipe_gone(nng_pipe p, nng_pipe_ev ev, void *arg)
{
    (void)p;
    (void)ev;
    conn_mark_dead(arg);
}

/* ---- one round trip ------------------------------------------------------ */

/* may_send() - whether @rq may be handed over now.  Caller holds c->lock. */
static bool may_send(const sm_client *c, const struct smc_req *rq)
{
    if (c->dead || !(c->authed || rq->handshake) || (rq->gen && rq->gen != c->gen))
        return false;
    return !rq->obj || rq->obj->gen == c->gen;
}

/* put_handle() - write the handle of @rq's object over its 9-byte slot. */
static void put_handle(struct smc_req *rq)
{
    smc_put_handle(smc_req_bytes(rq) + rq->handle_off, rq->obj->handle);
}

/* send_req() - hand @rq's message to @t's context and wait for nng to take
 * it.  SM_OK: taken (@rq->msg is NULL); NOTSENT: refused or given back (the
 * message is in @rq again); SM_ECONN: no context. */
static int send_req(sm_client *c, struct smc_thread *t, struct smc_req *rq)
{
    int rc = NOTSENT;
    pthread_rwlock_rdlock(&c->lock);
    if (may_send(c, rq) && (rc = thread_ctx(c, t)) == SM_OK) {
        if (rq->obj)
            put_handle(rq);
        rq->sent_gen = c->gen;
        nng_aio_set_msg(t->aio, rq->msg);
        rq->msg = NULL;
        nng_ctx_send(t->ctx, t->aio);
    }
    pthread_rwlock_unlock(&c->lock);
    if (rc)
        return rc;
    nng_aio_wait(t->aio);
    if (nng_aio_result(t->aio) == 0)
        return SM_OK;
    rq->msg = nng_aio_get_msg(t->aio); /* REQ gives back what it did not send */
    nng_aio_set_msg(t->aio, NULL);
    return rq->msg ? NOTSENT : SM_ECONN;
}

/* recv_reply() - wait for the reply to what send_req() handed over. */
static int recv_reply(sm_client *c, struct smc_thread *t, nng_msg **reply)
{
    pthread_rwlock_rdlock(&c->lock);
    bool ok = !c->dead && t->gen == c->gen;
    if (ok)
        nng_ctx_recv(t->ctx, t->aio);
    pthread_rwlock_unlock(&c->lock);
    if (!ok)
        return SM_ECONN;
    nng_aio_wait(t->aio);
    if (nng_aio_result(t->aio))
        return SM_ECONN;
    *reply = nng_aio_get_msg(t->aio);
    nng_aio_set_msg(t->aio, NULL);
    return *reply ? SM_OK : SM_EPROTO;
}

/* direct_call() - send_req() and recv_reply() on the direct connection,
 * held for the call.  NOTSENT: refused, or the connection was lost before
 * a byte of it went out. */
static int direct_call(sm_client *c, struct smc_req *rq, nng_msg **reply)
{
    struct ipcd *d = NULL;
    struct ipcd_call call;
    uint64_t gen = 0;
    pthread_rwlock_rdlock(&c->lock);
    if (may_send(c, rq) && c->direct) {
        if (rq->obj)
            put_handle(rq);
        rq->sent_gen = gen = c->gen;
        ipcd_hold(d = c->direct);
    }
    pthread_rwlock_unlock(&c->lock);
    if (!d)
        return NOTSENT;
    int rc = ipcd_send(d, rq->msg, &call);
    if (rc == SM_OK) {
        rq->msg = NULL;
        rc = ipcd_wait(d, &call, rq->may_block, reply);
    } else {
        rc = NOTSENT;
    }
    ipcd_free(d);
    if (rc)
        conn_lost(c, gen);
    return rc;
}

/* check_direct() - a direct connection the broker closed while no call
 * was on it is dead: a batch or pipeline checks before it takes the
 * connection's handles (an ordinary call finds out by sending). */
static void check_direct(sm_client *c)
{
    struct ipcd *d = NULL;
    pthread_rwlock_rdlock(&c->lock);
    uint64_t gen = c->gen;
    if (c->direct && !c->dead)
        ipcd_hold(d = c->direct);
    pthread_rwlock_unlock(&c->lock);
    if (d && !ipcd_alive(d))
        conn_lost(c, gen);
    ipcd_free(d);
}

/* ensure_up() - SM_OK once the connection is up: re-dial when it is not
 * (one thread at a time; those that waited take that round's result).
 * *@deadline is set on first need to now + the reconnect time. */
static int ensure_up(sm_client *c, int64_t *deadline)
{
    uint64_t seen = atomic_load(&c->redials); /* before the check: see below */
    pthread_rwlock_rdlock(&c->lock);
    bool up = !c->dead && c->authed;
    pthread_rwlock_unlock(&c->lock);
    if (up)
        return SM_OK;
    if (!*deadline)
        *deadline = conn_now_ms() + c->reconnect_ms;
    int rc;
    pthread_mutex_lock(&c->redial_mu);
    if (atomic_load(&c->redials) != seen) {
        rc = c->redial_rc; /* a round ended while we waited */
    } else {               /* none since we saw it down: still down */
        rc = conn_redial_until(c, *deadline);
        c->redial_rc = rc;
        atomic_fetch_add(&c->redials, 1);
    }
    pthread_mutex_unlock(&c->redial_mu);
    return rc;
}

/* attempt() - one try at the round trip of @rq; NOTSENT when it may be
 * tried again. */
static int attempt(sm_client *c, struct smc_thread *t, struct smc_req *rq, nng_msg **reply,
                   int64_t *deadline)
{
    int rc = SM_OK;
    if (!rq->gen && !rq->handshake && !(rc = ensure_up(c, deadline)) && rq->obj)
        rc = smc_obj_resolve(rq->obj);
    if (!rc && c->ipc_path)
        rc = direct_call(c, rq, reply);
    else if (!rc && !(rc = send_req(c, t, rq)))
        rc = recv_reply(c, t, reply);
    return rc;
}

int conn_call(sm_client *c, struct smc_req *rq, nng_msg **reply)
{
    struct smc_thread *t = NULL; /* the direct transport needs none */
    int64_t deadline = 0;
    *reply = NULL;
    int rc = in_child(c) ? SM_ECONN : c->ipc_path ? SM_OK : conn_thread(c, &t);
    while (!rc && (rc = attempt(c, t, rq, reply, &deadline)) == NOTSENT) {
        if (!deadline)
            deadline = conn_now_ms() + c->reconnect_ms;
        if (rq->gen || rq->handshake || conn_now_ms() >= deadline)
            rc = SM_ECONN; /* pinned to a connection that is gone, or out of time */
        else
            rc = SM_OK; /* the state changed under us: again */
    }
    smc_req_abort(rq);
    return rc;
}

/* ---- handles ------------------------------------------------------------- */

void conn_obj_set(sm_client *c, struct smc_obj *o, uint64_t handle, uint64_t gen)
{
    pthread_rwlock_wrlock(&c->lock);
    o->handle = handle;
    o->gen = gen;
    pthread_rwlock_unlock(&c->lock);
}

uint64_t conn_obj_get(sm_client *c, const struct smc_obj *o, uint64_t *handle)
{
    pthread_rwlock_rdlock(&c->lock);
    uint64_t gen = o->gen == c->gen ? o->gen : 0;
    *handle = o->handle;
    pthread_rwlock_unlock(&c->lock);
    return gen;
}

void conn_resolve_lock(sm_client *c, bool lock)
{
    if (lock)
        pthread_mutex_lock(&c->resolve_mu);
    else
        pthread_mutex_unlock(&c->resolve_mu);
}

/* prepared() - conn_prepare()'s common case in one lock hold: the sink
 * and @rq's object belong to the current connection, which is up; the
 * handle is written in.  False: take the long way. */
static bool prepared(sm_client *c, struct smc_req *rq, uint64_t gen)
{
    pthread_rwlock_rdlock(&c->lock);
    bool ok = gen == c->gen && !c->dead && c->authed && rq->obj->gen == gen;
    if (ok)
        put_handle(rq);
    pthread_rwlock_unlock(&c->lock);
    return ok;
}

int conn_prepare(sm_client *c, struct smc_req *rq, uint64_t *gen)
{
    int64_t deadline = 0;
    if (*gen && !in_child(c) && prepared(c, rq, *gen))
        return SM_OK;
    if (!*gen && !in_child(c)) /* the first request taken */
        check_direct(c);
    int rc = in_child(c) ? SM_ECONN : ensure_up(c, &deadline);
    if (!rc)
        rc = smc_obj_resolve(rq->obj);
    if (rc)
        return rc;
    pthread_rwlock_rdlock(&c->lock);
    if (rq->obj->gen != c->gen || (*gen && *gen != c->gen)) {
        rc = SM_ECONN; /* a reconnect since: the queued handles are stale */
    } else {
        put_handle(rq);
        *gen = c->gen;
    }
    pthread_rwlock_unlock(&c->lock);
    return rc;
}

/* ---- contexts of a pipeline ------------------------------------------------ */

/* ctx_direct() - a pipeline slot on the current direct connection: no aio,
 * smc_ctx_wait() collects its reply.  Caller holds c->lock. */
static int ctx_direct(sm_client *c, struct smc_thread **out)
{
    if (c->dead || !c->authed || !c->direct)
        return SM_ECONN;
    struct smc_thread *t = calloc(1, sizeof(*t));
    if (!t)
        return SM_ENOMEM;
    t->c = c;
    t->gen = c->gen;
    ipcd_hold(t->direct = c->direct);
    *out = t;
    return SM_OK;
}

int smc_ctx_open(sm_client *c, void (*cb)(void *), void *arg, struct smc_thread **out)
{
    int64_t deadline = 0;
    if (!in_child(c))
        check_direct(c);
    int rc = in_child(c) ? SM_ECONN : ensure_up(c, &deadline);
    if (!rc && c->ipc_path) {
        pthread_rwlock_rdlock(&c->lock);
        rc = ctx_direct(c, out);
        pthread_rwlock_unlock(&c->lock);
        return rc;
    }
    if (!rc)
        rc = thread_new(c, cb, arg, out);
    if (rc)
        return rc;
    pthread_rwlock_rdlock(&c->lock);
    rc = c->dead ? SM_ECONN : thread_ctx(c, *out);
    pthread_rwlock_unlock(&c->lock);
    if (rc) {
        smc_ctx_close(*out);
        *out = NULL;
    }
    return rc;
}

int smc_ctx_start(struct smc_thread *t, nng_msg *msg)
{
    sm_client *c = t->c;
    pthread_rwlock_rdlock(&c->lock);
    /* only on the connection it was opened on: a pipeline does not survive
     * a reconnect (its requests carry that connection's handles) */
    bool ok = !c->dead && c->authed && t->gen == c->gen;
    if (ok && t->direct) {
        pthread_rwlock_unlock(&c->lock);
        int rc = ipcd_send(t->direct, msg, &t->call);
        if (rc) { /* unsent, but it belongs to this connection: not resent */
            nng_msg_free(msg);
            conn_lost(c, t->gen);
        }
        return rc;
    }
    if (ok && msg) {
        nng_aio_set_msg(t->aio, msg);
        nng_ctx_send(t->ctx, t->aio);
    } else if (ok) {
        nng_ctx_recv(t->ctx, t->aio);
    }
    pthread_rwlock_unlock(&c->lock);
    if (!ok && msg)
        nng_msg_free(msg);
    return ok ? SM_OK : SM_ECONN;
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

bool smc_ctx_direct(const struct smc_thread *t)
{
    return t->direct != NULL;
}

int smc_ctx_wait(struct smc_thread *t, nng_msg **reply)
{
    int rc = ipcd_wait(t->direct, &t->call, false, reply);
    if (rc)
        conn_lost(t->c, t->gen);
    return rc;
}

nng_aio *smc_ctx_aio(struct smc_thread *t)
{
    return t->aio;
}

void smc_ctx_close(struct smc_thread *t)
{
    if (t->direct) { /* never on g_threads */
        ipcd_free(t->direct);
        free(t);
        return;
    }
    pthread_mutex_lock(&g_mu);
    bool mine = unlink_thread(t);
    pthread_mutex_unlock(&g_mu);
    if (mine)
        thread_free(t);
}

/* ---- the client's life --------------------------------------------------- */

void conn_free(sm_client *c)
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
        nng_close(c->sock); /* waits for conn_pipe_gone(); aborts every op */
    while (mine) {
        struct smc_thread *t = mine;
        mine = t->next;
        if (child)
            free(t);
        else
            thread_free(t);
    }
    auth_free_key(c->key_bytes, c->keylen);
    free(c->address);
    pthread_mutex_destroy(&c->resolve_mu);
    pthread_mutex_destroy(&c->redial_mu);
    pthread_rwlock_destroy(&c->lock);
    free(c);
}

/* env_number() - $@name when it is a whole number from 0 to @max, else
 * @dflt. */
static int env_number(const char *name, long max, int dflt)
{
    const char *s = getenv(name);
    char *end;
    if (!s || !*s)
        return dflt;
    errno = 0;
    long v = strtol(s, &end, 10);
    return errno || *end || v < 0 || v > max ? dflt : (int)v;
}

int conn_new(const char *address, const char *keyfile, sm_client **out)
{
    char why[256];
    sm_client *c = calloc(1, sizeof(*c));
    if (!c)
        return SM_ENOMEM;
    pthread_rwlock_init(&c->lock, NULL);
    pthread_mutex_init(&c->redial_mu, NULL);
    pthread_mutex_init(&c->resolve_mu, NULL);
    c->sock = (nng_socket)NNG_SOCKET_INITIALIZER;
    c->dead = true;
    c->pid = getpid();
    pthread_once(&g_fork_once, watch_forks);
    c->forks = g_forks;
    c->reconnect_ms = env_number("SYNCMGR_RECONNECT_MS", 3600000, SMC_RECONNECT_MS);
    c->busy_poll_us = (unsigned)env_number("SYNCMGR_BUSY_POLL_US", SPIN_MAX_US, SMC_BUSY_POLL_US);
    int rc = (c->address = strdup(address)) ? auth_init() : SM_ENOMEM;
    if (!rc && !getenv("SYNCMGR_IPC_NNG"))
        c->ipc_path = ipcd_path(c->address);
    if (!rc)
        rc = auth_load_key(keyfile, &c->key_bytes, &c->keylen, why, sizeof(why));
    if (!rc && pthread_key_create(&c->key, thread_exit) != 0)
        rc = SM_ENOMEM;
    c->key_ok = rc == SM_OK;
    if (rc) {
        conn_free(c);
        return rc;
    }
    *out = c;
    return SM_OK;
}
