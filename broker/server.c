/* server.c - nng REP socket, context pool, pipe events. */
#include "server.h"

#include <arpa/inet.h>
#include <nng/protocol/reqrep0/rep.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ipc_server.h"
#include "listener.h"
#include "log.h"
#include "serve.h"
#include "wait.h"

enum work_state { W_RECV, W_SEND, W_PARKED, W_IDLE };

/* One REP context and its aio: one request at a time. */
struct work {
    struct serve_req req;      /* first: what core->send_reply receives */
    struct server *srv;
    nng_aio *aio;
    nng_ctx ctx;
    enum work_state state;
    struct work *next_idle;
};

struct server {
    struct core *core;
    nng_socket sock;
    pthread_mutex_t mtx;       /* the pool and the departed-pipe queue */
    struct work **all;         /* every work, for teardown */
    size_t nall, capall;
    struct work *idle;         /* finished parked works, for reuse */
    size_t nrecv, nsend, base;
    bool closing;
    uint32_t *gone;            /* departed pipe ids for the main loop */
    size_t ngone, capgone;
    int evfd;
    struct listener **listeners;
    size_t nlisteners;
    struct ipcsrv **direct;    /* ipc:// addresses served without nng */
    size_t ndirect;
};

static void work_cb(void *arg);
static void work_send(struct serve_req *req, nng_msg *msg);

static void kick(struct server *srv)
{
    uint64_t one = 1;
    ssize_t n = write(srv->evfd, &one, sizeof(one));
    (void)n; /* a full counter still wakes the loop */
}

/* work_new() - a new context; caller holds srv->mtx. */
static struct work *work_new(struct server *srv)
{
    struct work *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    if (srv->nall == srv->capall) {
        size_t cap = srv->capall ? srv->capall * 2 : 64;
        struct work **a = realloc(srv->all, cap * sizeof(*a));
        if (!a) {
            free(w);
            return NULL;
        }
        srv->all = a;
        srv->capall = cap;
    }
    w->srv = srv;
    w->req.send = work_send;
    if (nng_aio_alloc(&w->aio, work_cb, w) != 0) {
        free(w);
        return NULL;
    }
    if (nng_ctx_open(&w->ctx, srv->sock) != 0) {
        nng_aio_free(w->aio);
        free(w);
        return NULL;
    }
    srv->all[srv->nall++] = w;
    return w;
}

/* start_recv() - count @w as receiving and post its receive. */
static void start_recv(struct server *srv, struct work *w)
{
    w->state = W_RECV;
    srv->nrecv++;
    pthread_mutex_unlock(&srv->mtx);
    nng_ctx_recv(w->ctx, w->aio);
}

/* add_receiver() - a request parked: keep `base` contexts receiving. */
static void add_receiver(struct server *srv)
{
    pthread_mutex_lock(&srv->mtx);
    struct work *w = srv->idle;
    if (srv->closing || srv->nrecv >= srv->base) {
        pthread_mutex_unlock(&srv->mtx);
        return;
    }
    if (w)
        srv->idle = w->next_idle;
    else if (!(w = work_new(srv))) {
        pthread_mutex_unlock(&srv->mtx);
        log_err("SM-POOL-FULL", "cannot open another REP context");
        return;
    }
    start_recv(srv, w);
}

/* recycle() - @w is free again: receive, or rest in the idle list. */
static void recycle(struct server *srv, struct work *w)
{
    pthread_mutex_lock(&srv->mtx);
    if (!srv->closing && srv->nrecv < srv->base) {
        start_recv(srv, w);
        return;
    }
    w->state = W_IDLE;
    w->next_idle = srv->idle;
    srv->idle = w;
    pthread_mutex_unlock(&srv->mtx);
}

/* work_send() - post @msg as @w's reply (NULL: none, @w is free). */
static void work_send(struct serve_req *req, nng_msg *msg)
{
    struct work *w = (struct work *)req;
    struct server *srv = w->srv;
    if (!msg) {
        recycle(srv, w);
        return;
    }
    pthread_mutex_lock(&srv->mtx);
    srv->nsend++;
    pthread_mutex_unlock(&srv->mtx);
    w->state = W_SEND;
    nng_aio_set_msg(w->aio, msg);
    nng_ctx_send(w->ctx, w->aio);
}

/* send_reply() - the core's reply hook: each engine's request record
 * knows its way back (serve.h). */
static void send_reply(void *req, nng_msg *msg, void *arg)
{
    (void)arg;
    struct serve_req *r = req;
    r->send(r, msg);
}

static void deadline_changed(void *arg)
{
    kick(arg);
}

/* handle() - run one received request inline under the core lock. */
static void handle(struct server *srv, struct work *w)
{
    nng_msg *msg = nng_aio_get_msg(w->aio), *reply;
    nng_pipe pipe = nng_msg_get_pipe(msg);
    w->state = W_PARKED; /* should it park, from then on a waker may send on @w */
    int rc = serve_request(srv->core, (uint32_t)nng_pipe_id(pipe), msg, &w->req, &reply);
    if (rc == SM_PARKED) {
        add_receiver(srv); /* @w is no longer ours to touch */
        return;
    }
    if (!reply) {
        nng_pipe_close(pipe);
        recycle(srv, w);
        return;
    }
    work_send(&w->req, reply);
}

static void work_cb(void *arg)
{
    struct work *w = arg;
    struct server *srv = w->srv;
    int rv = nng_aio_result(w->aio);

    if (w->state == W_RECV) {
        pthread_mutex_lock(&srv->mtx);
        srv->nrecv--;
        pthread_mutex_unlock(&srv->mtx);
        if (rv == NNG_ECLOSED)
            return;
        if (rv != 0) {
            recycle(srv, w);
            return;
        }
        handle(srv, w);
    } else if (w->state == W_SEND) {
        if (rv != 0)
            nng_msg_free(nng_aio_get_msg(w->aio));
        pthread_mutex_lock(&srv->mtx);
        srv->nsend--;
        pthread_mutex_unlock(&srv->mtx);
        if (rv != NNG_ECLOSED)
            recycle(srv, w);
    }
}

/* peer_id() - an SO_PEERCRED figure of an ipc pipe (nng 1.5.2 gives them
 * as uint64), or -1 on other transports. */
static int peer_id(nng_pipe pipe, const char *opt)
{
    uint64_t v;
    return nng_pipe_get_uint64(pipe, opt, &v) == 0 ? (int)v : -1;
}

/* peer_addr() - "ip:port" ("[ip6]:port") of a tcp (or tls+tcp) pipe's
 * remote end; "" for ipc and anything else. */
static void peer_addr(nng_pipe pipe, char *buf, size_t size)
{
    nng_sockaddr sa;
    char ip[INET6_ADDRSTRLEN];
    buf[0] = '\0';
    if (nng_pipe_get_addr(pipe, NNG_OPT_REMADDR, &sa) != 0)
        return;
    if (sa.s_family == NNG_AF_INET && inet_ntop(AF_INET, &sa.s_in.sa_addr, ip, sizeof(ip)))
        snprintf(buf, size, "%s:%u", ip, (unsigned)ntohs(sa.s_in.sa_port));
    else if (sa.s_family == NNG_AF_INET6 &&
             inet_ntop(AF_INET6, sa.s_in6.sa_addr, ip, sizeof(ip)))
        snprintf(buf, size, "[%s]:%u", ip, (unsigned)ntohs(sa.s_in6.sa_port));
}

/* pipe_cb() - sessions begin before the pipe can deliver (ADD_PRE); their
 * end is queued for the main loop, which may send replies (REM_POST must
 * not touch the socket). */
static void pipe_cb(nng_pipe pipe, nng_pipe_ev ev, void *arg)
{
    struct server *srv = arg;
    uint32_t id = (uint32_t)nng_pipe_id(pipe);
    if (ev == NNG_PIPE_EV_ADD_PRE) {
        int pid = peer_id(pipe, NNG_OPT_IPC_PEER_PID), uid = peer_id(pipe, NNG_OPT_IPC_PEER_UID),
            gid = peer_id(pipe, NNG_OPT_IPC_PEER_GID);
        char peer[sizeof(((struct session *)0)->peer)];
        peer_addr(pipe, peer, sizeof(peer));
        if (!serve_admit(srv->core, id, pid, uid, gid, peer))
            nng_pipe_close(pipe);
        log_debug("SM-PIPE-ADD", "pipe %u pid %d uid %d%s%s", id, pid, uid, *peer ? " peer " : "",
                  peer);
    } else if (ev == NNG_PIPE_EV_REM_POST) {
        server_conn_gone(srv, id);
    }
}

void server_conn_gone(struct server *srv, uint32_t id)
{
    /* mark it at once, so nothing more is handed to it */
    pthread_mutex_lock(&srv->core->lock);
    struct session *s = session_get(srv->core, id);
    if (s)
        s->gone = true;
    pthread_mutex_unlock(&srv->core->lock);
    pthread_mutex_lock(&srv->mtx);
    if (srv->ngone == srv->capgone) {
        size_t cap = srv->capgone ? srv->capgone * 2 : 16;
        uint32_t *g = realloc(srv->gone, cap * sizeof(*g));
        if (g) {
            srv->gone = g;
            srv->capgone = cap;
        }
    }
    if (srv->ngone < srv->capgone)
        srv->gone[srv->ngone++] = id;
    pthread_mutex_unlock(&srv->mtx);
    kick(srv);
}

void server_process_events(struct server *srv)
{
    uint64_t n;
    uint32_t batch[64];
    size_t k;
    if (read(srv->evfd, &n, sizeof(n)) < 0) {
        /* nothing pending: EAGAIN */
    }
    do {
        pthread_mutex_lock(&srv->mtx);
        k = srv->ngone < 64 ? srv->ngone : 64;
        srv->ngone -= k;
        if (k)
            memcpy(batch, srv->gone + srv->ngone, k * sizeof(*batch));
        pthread_mutex_unlock(&srv->mtx);
        pthread_mutex_lock(&srv->core->lock);
        for (size_t i = 0; i < k; i++) {
            struct session *s = session_get(srv->core, batch[i]);
            if (s)
                session_end(srv->core, s);
        }
        wait_expire(srv->core, now_ms());
        pthread_mutex_unlock(&srv->core->lock);
    } while (k == 64);
}

int server_event_fd(const struct server *srv)
{
    return srv->evfd;
}

static int listen_all(struct server *srv, const struct server_opts *o, char *why,
                      size_t whylen)
{
    /* nng drops a pipe past this; up to it, handle() answers SM_ETOOBIG */
    size_t ceiling = o->max_message_bytes > SIZE_MAX / 2 ? SIZE_MAX : o->max_message_bytes * 2;
    if (!(srv->listeners = calloc(o->nurls, sizeof(*srv->listeners))) ||
        !(srv->direct = calloc(o->nurls, sizeof(*srv->direct))))
        return SM_ENOMEM;
    listener_set_tls(o->tls);
    for (size_t i = 0; i < o->nurls; i++) {
        const char *url = o->urls[i];
        int rc = o->ipc_direct && !strncmp(url, "ipc://", 6)
                     ? ipcsrv_start(&srv->direct[srv->ndirect], srv, srv->core, url, o->ipc_mode,
                                    ceiling, why, whylen)
                     : listener_start(&srv->listeners[srv->nlisteners], srv->sock, url,
                                      o->ipc_mode, ceiling, why, whylen);
        if (rc)
            return rc;
        if (srv->direct[srv->ndirect])
            srv->ndirect++;
        else
            srv->nlisteners++;
    }
    return SM_OK;
}

int server_poll_prepare(struct server *srv, struct pollfd *fds, size_t max, int *timeout_ms)
{
    int64_t now = now_ms();
    size_t n = srv->nlisteners < max ? srv->nlisteners : max;
    for (size_t i = 0; i < n; i++)
        if (!listener_poll(srv->listeners[i], now, &fds[i], timeout_ms))
            fds[i] = (struct pollfd){.fd = -1}; /* poll() skips it */
    return (int)n;
}

void server_poll_check(struct server *srv, const struct pollfd *fds, size_t n)
{
    int64_t now = now_ms();
    for (size_t i = 0; i < srv->nlisteners && i < n; i++)
        listener_check(srv->listeners[i], fds[i].fd >= 0 ? fds[i].revents : 0, now);
}

int server_open(struct server **out, struct core *core, const struct server_opts *o, char *why,
                size_t whylen)
{
    struct server *srv = calloc(1, sizeof(*srv));
    int rv;
    if (!srv)
        return SM_ENOMEM;
    srv->core = core;
    srv->base = o->base_contexts ? o->base_contexts : 8;
    pthread_mutex_init(&srv->mtx, NULL);
    srv->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (srv->evfd < 0 || (rv = nng_rep0_open(&srv->sock))) {
        snprintf(why, whylen, "cannot open the broker socket");
        free(srv);
        return SM_ENOMEM;
    }
    core->send_reply = send_reply;
    core->deadline_changed = deadline_changed;
    core->hook_arg = srv;
    nng_pipe_notify(srv->sock, NNG_PIPE_EV_ADD_PRE, pipe_cb, srv);
    nng_pipe_notify(srv->sock, NNG_PIPE_EV_REM_POST, pipe_cb, srv);
    pthread_mutex_lock(&srv->mtx);
    for (size_t i = 0; i < srv->base; i++) {
        struct work *w = work_new(srv);
        if (!w)
            break;
        start_recv(srv, w); /* unlocks */
        pthread_mutex_lock(&srv->mtx);
    }
    pthread_mutex_unlock(&srv->mtx);
    int rc = listen_all(srv, o, why, whylen);
    if (rc) {
        server_close(srv);
        return rc;
    }
    *out = srv;
    return SM_OK;
}

void server_close(struct server *srv)
{
    struct core *core = srv->core;
    pthread_mutex_lock(&core->lock);
    pthread_mutex_lock(&srv->mtx);
    srv->closing = true;
    pthread_mutex_unlock(&srv->mtx);
    wait_cancel_all(core, SM_ESHUTDOWN);
    pthread_mutex_unlock(&core->lock);
    /* let the shutdown replies reach their clients (bounded) */
    for (int i = 0; i < 200; i++) {
        pthread_mutex_lock(&srv->mtx);
        size_t pending = srv->nsend;
        pthread_mutex_unlock(&srv->mtx);
        if (!pending)
            break;
        usleep(5000);
    }
    for (size_t i = 0; i < srv->ndirect; i++)
        ipcsrv_stop(srv->direct[i]);
    nng_close(srv->sock);
    for (size_t i = 0; i < srv->nall; i++) {
        nng_aio_free(srv->all[i]->aio);
        free(srv->all[i]);
    }
    for (size_t i = 0; i < srv->nlisteners; i++)
        listener_free(srv->listeners[i]);
    core->send_reply = NULL;
    core->deadline_changed = NULL;
    free(srv->listeners);
    free(srv->direct);
    free(srv->all);
    free(srv->gone);
    close(srv->evfd);
    pthread_mutex_destroy(&srv->mtx);
    free(srv);
}
