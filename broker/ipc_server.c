/* ipc_server.c - ipc:// without nng: SP/ipc framing over epoll (ipc_server.h). */
#include "ipc_server.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core.h"
#include "ipc_conn.h"
#include "listener.h"
#include "log.h"
#include "persist.h"
#include "serve.h"
#include "server.h"
#include "spin.h"
#include "spipc.h"

_Thread_local struct ipcsrv *ipc_tls_group; /* ipc_conn.h */

/* Every running engine (ipcsrv_busy_poll(), ipcsrv_spin_figures()), and the
 * busy-poll budget new ones start with. */
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static struct ipcsrv *g_engines;
static unsigned g_busy_poll_us = IPCSRV_BUSY_POLL_US;

/* ---- connections ------------------------------------------------------- */

/* conn_close() - the connection ends: no more writes, its session (if any)
 * goes through server_conn_gone(); the I/O thread's reference is dropped
 * after the current epoll batch. */
static void conn_close(struct conn *c)
{
    struct ipcsrv *is = c->is;
    if (c->closed)
        return;
    c->closed = true;
    if (c->rs == RD_SP)
        is->nnego--;
    epoll_ctl(is->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    pthread_mutex_lock(&c->mu);
    c->dead = true;
    struct ipcreq *drop = c->wq;
    c->wq = NULL;
    c->nq = 0;
    c->wq_tail = &c->wq;
    close(c->fd);
    c->fd = -1;
    pthread_mutex_unlock(&c->mu);
    ipc_free_list(drop);
    if (c->prev)
        c->prev->next = c->next;
    else
        is->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->next = is->zombies;
    is->zombies = c;
    if (c->admitted && !atomic_load(&is->stopping))
        server_conn_gone(is->srv, c->id);
}

static void reap_zombies(struct ipcsrv *is)
{
    while (is->zombies) {
        struct conn *c = is->zombies;
        is->zombies = c->next;
        ipc_conn_unref(c);
    }
}

/* conn_new() - a connection for accepted @fd; our SP header goes out at
 * once (8 bytes always fit a fresh socket). */
static void conn_new(struct ipcsrv *is, int fd)
{
    static const uint8_t hdr[SP_HDR_LEN] = {0, 'S', 'P', 0, 0, SP_REP0, 0, 0};
    struct conn *c = calloc(1, sizeof(*c));
    if (!c || write(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr)) {
        free(c);
        close(fd);
        return;
    }
    c->is = is;
    c->fd = fd;
    c->id = DIRECT_ID | (is->next_id++ & ~DIRECT_ID);
    atomic_init(&c->refs, 1);
    pthread_mutex_init(&c->mu, NULL);
    c->wq_tail = &c->wq;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(is->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        pthread_mutex_destroy(&c->mu);
        free(c);
        close(fd);
        return;
    }
    c->next = is->conns;
    if (c->next)
        c->next->prev = c;
    is->conns = c;
    c->nego_until = now_ms() + NEGO_MS;
    if (is->nnego++ == 0)
        is->sweep_at = now_ms() + SWEEP_MS;
}

/* sweep_nego() - hang up on connections whose SP header is late (a peer
 * that connects and says nothing holds a descriptor, not a session). */
static void sweep_nego(struct ipcsrv *is)
{
    int64_t now = now_ms();
    if (!is->nnego || now < is->sweep_at)
        return;
    is->sweep_at = now + SWEEP_MS;
    for (struct conn *c = is->conns, *next; c; c = next) {
        next = c->next;
        if (c->rs == RD_SP && now >= c->nego_until) {
            log_info("SM-PEER-TIMEOUT", "pipe %u: no SP header within %d s; closed", c->id,
                     NEGO_MS / 1000);
            conn_close(c);
        }
    }
}

static void accept_all(struct ipcsrv *is)
{
    for (;;) {
        int fd = accept4(is->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            conn_new(is, fd);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        /* out of descriptors: the listener stays readable, so pause a
         * little rather than spin (and say so at most once a second) */
        int64_t now = now_ms();
        if (now - is->accept_warned_ms >= 1000) {
            log_warn("SM-ACCEPT", "%s: accept: %s", is->url, strerror(errno));
            is->accept_warned_ms = now;
        }
        usleep(ACCEPT_PAUSE_US);
        return;
    }
}

/* ---- receiving ----------------------------------------------------------- */

/* sp_header() - the peer's SP header is in: it must be REQ0's; then the
 * session begins (or admission refuses it).  False: close. */
static bool sp_header(struct conn *c)
{
    const uint8_t *h = c->hbuf;
    if (memcmp(h, "\0SP\0", 4) != 0 || sp_get_be(h + 4, 2) != SP_REQ0 || h[6] || h[7])
        return false;
    struct ucred cr = {.pid = -1, .uid = (uid_t)-1, .gid = (gid_t)-1};
    socklen_t len = sizeof(cr);
    getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cr, &len);
    if (!serve_admit(c->is->core, c->id, cr.pid, (int)cr.uid, (int)cr.gid, ""))
        return false;
    c->admitted = true;
    log_debug("SM-PIPE-ADD", "pipe %u pid %d uid %d (direct)", c->id, cr.pid, (int)cr.uid);
    return true;
}

/* deliver() - a whole message @m is in: take its backtrace and serve it.
 * False: close the connection. */
static bool deliver(struct conn *c, nng_msg *m)
{
    struct ipcreq *q = calloc(1, sizeof(*q));
    size_t bt = 0;
    bool end = false;
    while (!end) {
        if (bt == 4 * MAX_HOPS) { /* too many hops: dropped, as nng does */
            nng_msg_free(m);
            free(q);
            return true;
        }
        if (nng_msg_len(m) < bt + 4) {
            nng_msg_free(m);
            free(q);
            return false; /* garbage: nng kicks such a peer */
        }
        end = (((uint8_t *)nng_msg_body(m))[bt] & HOP_END) != 0;
        bt += 4;
    }
    if (!q) {
        nng_msg_free(m); /* out of memory: dropped */
        return true;
    }
    q->base.send = ipc_req_send;
    q->c = c;
    q->hlen = FRAME_HDR + bt;
    q->hdr[0] = 1;
    memcpy(q->hdr + FRAME_HDR, nng_msg_body(m), bt);
    nng_msg_trim(m, bt);
    atomic_fetch_add(&c->refs, 1);
    nng_msg *reply;
    int rc = serve_request(c->is->core, c->id, m, &q->base, &reply);
    if (rc == SM_PARKED)
        return true;
    if (!reply) {
        ipc_req_free(q);
        return false;
    }
    ipc_req_send(&q->base, reply);
    return true;
}

/* frame_header() - a frame's type and length are in.  False: close. */
static bool frame_header(struct conn *c)
{
    uint64_t len = sp_get_be(c->hbuf + 1, 8);
    if (c->hbuf[0] != 1 || len > c->is->max_frame)
        return false;
    if (nng_msg_alloc(&c->rmsg, (size_t)len) != 0)
        return false;
    c->rlen = (size_t)len;
    c->rgot = 0;
    c->rs = RD_BODY;
    return true;
}

/* take_header() - move up to @want header bytes from @p; true when all
 * are in. */
static bool take_header(struct conn *c, size_t want, const uint8_t **p, size_t *n)
{
    size_t k = want - c->hgot < *n ? want - c->hgot : *n;
    memcpy(c->hbuf + c->hgot, *p, k);
    c->hgot += k;
    *p += k;
    *n -= k;
    if (c->hgot < want)
        return false;
    c->hgot = 0;
    return true;
}

/* body_done() - the message being read is complete: serve it. */
static bool body_done(struct conn *c)
{
    nng_msg *m = c->rmsg;
    c->rmsg = NULL;
    c->rs = RD_HDR;
    return deliver(c, m);
}

/* feed() - run @n received bytes through the state machine.  False: close. */
static bool feed(struct conn *c, const uint8_t *p, size_t n)
{
    while (n > 0 || (c->rs == RD_BODY && c->rgot == c->rlen)) {
        if (c->rs == RD_SP) {
            if (take_header(c, SP_HDR_LEN, &p, &n) && !sp_header(c))
                return false;
            if (c->hgot == 0 && c->admitted) {
                c->rs = RD_HDR;
                c->is->nnego--;
            }
        } else if (c->rs == RD_HDR) {
            if (take_header(c, FRAME_HDR, &p, &n) && !frame_header(c))
                return false;
        } else {
            size_t k = c->rlen - c->rgot < n ? c->rlen - c->rgot : n;
            memcpy((uint8_t *)nng_msg_body(c->rmsg) + c->rgot, p, k);
            c->rgot += k;
            p += k;
            n -= k;
            if (c->rgot == c->rlen && !body_done(c))
                return false;
        }
    }
    return true;
}

/* conn_read() - @c is readable: one read, large bodies straight into their
 * message. */
static void conn_read(struct conn *c)
{
    struct ipcsrv *is = c->is;
    bool direct = c->rs == RD_BODY && c->rlen - c->rgot >= RBUF_SIZE;
    uint8_t *dst = direct ? (uint8_t *)nng_msg_body(c->rmsg) + c->rgot : is->rbuf;
    ssize_t k = read(c->fd, dst, direct ? c->rlen - c->rgot : RBUF_SIZE);
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (k <= 0) {
        conn_close(c);
        return;
    }
    if (direct) {
        c->rgot += (size_t)k;
        if (c->rgot == c->rlen && !body_done(c))
            conn_close(c);
        return;
    }
    ipc_cork(c, true);
    bool ok = feed(c, is->rbuf, (size_t)k);
    if (!c->held)
        ipc_cork(c, false);
    if (!ok)
        conn_close(c);
}

static void conn_event(struct conn *c, uint32_t events)
{
    if (c->closed)
        return;
    if (events & EPOLLOUT) {
        pthread_mutex_lock(&c->mu);
        struct ipcreq *done = ipc_flush(c);
        pthread_mutex_unlock(&c->mu);
        ipc_free_list(done);
    }
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        conn_read(c);
}

/* ---- the I/O thread -------------------------------------------------------- */

/* pending_writes() - some open connection still has replies queued. */
static bool pending_writes(struct ipcsrv *is)
{
    bool any = false;
    for (struct conn *c = is->conns; c && !any; c = c->next) {
        pthread_mutex_lock(&c->mu);
        any = c->wq != NULL && !c->dead;
        pthread_mutex_unlock(&c->mu);
    }
    return any;
}

/* group_begin() - with fsync "always", the requests of one epoll batch share
 * one fdatasync(): theirs are deferred, and their replies held. */
static void group_begin(struct ipcsrv *is)
{
    if (!persist_group_commit(is->core))
        return;
    ipc_tls_group = is;
    persist_defer(true);
}

/* group_end() - the batch's fdatasync(), then its replies; if it failed,
 * the connections that were to get them are dropped instead (their callers
 * see SM_ECONN: nothing unsynced is acknowledged). */
static void group_end(struct ipcsrv *is)
{
    if (ipc_tls_group != is)
        return;
    ipc_tls_group = NULL;
    persist_defer(false);
    pthread_mutex_lock(&is->core->lock);
    int rc = persist_commit(is->core);
    pthread_mutex_unlock(&is->core->lock);
    while (is->held) {
        struct conn *c = is->held;
        is->held = c->hnext;
        pthread_mutex_lock(&c->mu);
        c->held = false;
        if (rc && !c->dead) {
            shutdown(c->fd, SHUT_RDWR);
            c->dead = true;
        }
        pthread_mutex_unlock(&c->mu);
        ipc_cork(c, false);
    }
}

/* An epoll_wait() that does not block, for spin_run(). */
struct try_wait {
    int epfd;
    struct epoll_event *evs;
    int n;
};

static int try_wait(void *arg)
{
    struct try_wait *t = arg;
    t->n = epoll_wait(t->epfd, t->evs, 64, 0);
    return t->n > 0 ? 1 : t->n == 0 || errno == EINTR ? 0 : -1;
}

/* wait_events() - the next events into @evs: busy-polled for a while first
 * when the spin policy says so (never while stopping), then blocking. */
static int wait_events(struct ipcsrv *is, struct epoll_event *evs, bool stopping)
{
    struct try_wait t = {is->epfd, evs, 0};
    if (!stopping && spin_run(&is->spin, try_wait, &t))
        return t.n;
    return epoll_wait(is->epfd, evs, 64, stopping ? 20 : is->nnego ? SWEEP_MS : -1);
}

static void *io_thread(void *arg)
{
    struct ipcsrv *is = arg;
    struct epoll_event evs[64];
    int64_t flush_until = -1;
    for (;;) {
        bool stopping = atomic_load(&is->stopping);
        if (stopping && flush_until < 0) {
            epoll_ctl(is->epfd, EPOLL_CTL_DEL, is->lfd, NULL);
            /* it woke us and stays readable: 20 ms waits would not wait */
            epoll_ctl(is->epfd, EPOLL_CTL_DEL, is->evfd, NULL);
            flush_until = now_ms() + FLUSH_MS;
        }
        if (stopping && (!pending_writes(is) || now_ms() >= flush_until))
            break;
        int n = wait_events(is, evs, stopping);
        group_begin(is);
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == is)
                accept_all(is);
            else if (p) /* the event fd (NULL) only wakes us */
                conn_event(p, evs[i].events);
        }
        group_end(is);
        sweep_nego(is);
        reap_zombies(is);
    }
    while (is->conns)
        conn_close(is->conns);
    reap_zombies(is);
    return NULL;
}

/* ---- start and stop ------------------------------------------------------ */

/* bind_path() - the listening socket at is->path, mode @mode, its group. */
static int bind_path(struct ipcsrv *is, int mode, char *why, size_t whylen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(is->path) >= sizeof(sa.sun_path)) {
        snprintf(why, whylen, "cannot listen on %s: path too long", is->url);
        return SM_EINVAL;
    }
    if (listener_ipc_in_use(is->url)) {
        snprintf(why, whylen, "another broker is listening on %s", is->url);
        return SM_ECONN;
    }
    memcpy(sa.sun_path, is->path, strlen(is->path));
    unlink(is->path); /* stale: nobody answered there */
    is->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (is->lfd < 0 || bind(is->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        snprintf(why, whylen, "cannot listen on %s: %s", is->url, strerror(errno));
        return SM_ECONN;
    }
    if (chmod(is->path, (mode_t)mode) != 0) {
        snprintf(why, whylen, "cannot set permissions on %s: %s", is->url, strerror(errno));
        return SM_EIO;
    }
    int rc = listener_ipc_group(is->path, why, whylen);
    if (!rc && listen(is->lfd, SOMAXCONN) != 0) {
        snprintf(why, whylen, "cannot listen on %s: %s", is->url, strerror(errno));
        rc = SM_ECONN;
    }
    return rc;
}

/* watch() - add @fd to the epoll set with @ptr as its tag. */
static int watch(struct ipcsrv *is, int fd, void *ptr)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = ptr};
    return epoll_ctl(is->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* spawn() - the I/O thread, with every signal blocked (signalfd gets them). */
static int spawn(struct ipcsrv *is)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rv = pthread_create(&is->thread, NULL, io_thread, is);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rv;
}

int ipcsrv_start(struct ipcsrv **out, struct server *srv, struct core *core, const char *url,
                 int mode, size_t max_frame, char *why, size_t whylen)
{
    struct ipcsrv *is = calloc(1, sizeof(*is));
    *out = NULL;
    if (!is || !(is->url = strdup(url)) || !(is->path = strdup(url + 6))) {
        snprintf(why, whylen, "out of memory");
        if (is)
            free(is->url);
        free(is);
        return SM_ENOMEM;
    }
    is->srv = srv;
    is->core = core;
    is->max_frame = max_frame;
    pthread_mutex_lock(&g_mu);
    spin_init(&is->spin, g_busy_poll_us);
    pthread_mutex_unlock(&g_mu);
    is->lfd = is->evfd = -1;
    is->next_id = (uint32_t)getpid() * 2654435761u;
    is->epfd = epoll_create1(EPOLL_CLOEXEC);
    is->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    int rc = bind_path(is, mode, why, whylen);
    bool owns_path = rc != SM_ECONN || is->lfd >= 0;
    if (!rc && (is->epfd < 0 || is->evfd < 0 || watch(is, is->lfd, is) ||
                watch(is, is->evfd, NULL) || spawn(is))) {
        snprintf(why, whylen, "cannot start the ipc thread for %s: %s", url, strerror(errno));
        rc = SM_ENOMEM;
    }
    if (rc) {
        if (!owns_path) {
            free(is->path); /* another broker's: not ours to remove */
            is->path = NULL;
        }
        ipcsrv_stop(is);
        return rc;
    }
    is->started = true;
    pthread_mutex_lock(&g_mu);
    is->gnext = g_engines;
    g_engines = is;
    pthread_mutex_unlock(&g_mu);
    log_info("SM-LISTEN", "listening on %s (direct)", url);
    *out = is;
    return SM_OK;
}

void ipcsrv_stop(struct ipcsrv *is)
{
    if (!is)
        return;
    if (is->started) {
        uint64_t one = 1;
        pthread_mutex_lock(&g_mu);
        for (struct ipcsrv **pp = &g_engines; *pp; pp = &(*pp)->gnext)
            if (*pp == is) {
                *pp = is->gnext;
                break;
            }
        pthread_mutex_unlock(&g_mu);
        atomic_store(&is->stopping, true);
        if (write(is->evfd, &one, sizeof(one)) < 0) {
            /* a full counter still wakes the thread */
        }
        pthread_join(is->thread, NULL);
    }
    if (is->lfd >= 0)
        close(is->lfd);
    if (is->path)
        unlink(is->path);
    if (is->epfd >= 0)
        close(is->epfd);
    if (is->evfd >= 0)
        close(is->evfd);
    free(is->path);
    free(is->url);
    free(is);
}

void ipcsrv_busy_poll(unsigned budget_us)
{
    pthread_mutex_lock(&g_mu);
    g_busy_poll_us = budget_us;
    for (struct ipcsrv *is = g_engines; is; is = is->gnext)
        spin_set_budget(&is->spin, budget_us);
    pthread_mutex_unlock(&g_mu);
}

void ipcsrv_spin_figures(unsigned *budget_us, uint64_t *hits, uint64_t *misses)
{
    *hits = *misses = 0;
    pthread_mutex_lock(&g_mu);
    *budget_us = g_busy_poll_us;
    for (struct ipcsrv *is = g_engines; is; is = is->gnext) {
        *hits += atomic_load_explicit(&is->spin.hits, memory_order_relaxed);
        *misses += atomic_load_explicit(&is->spin.misses, memory_order_relaxed);
    }
    pthread_mutex_unlock(&g_mu);
}
