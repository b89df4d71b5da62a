/* ipc_reply.c - the direct ipc engine's write side: each connection's
 * queue of replies, corked, gathered and written (ipc_conn.h). */
#include "ipc_conn.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "spipc.h"

void ipc_conn_unref(struct conn *c)
{
    if (atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    if (c->rmsg)
        nng_msg_free(c->rmsg);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void ipc_req_free(struct ipcreq *q)
{
    if (q->msg)
        nng_msg_free(q->msg);
    ipc_conn_unref(q->c);
    free(q);
}

void ipc_free_list(struct ipcreq *q)
{
    while (q) {
        struct ipcreq *next = q->next;
        ipc_req_free(q);
        q = next;
    }
}

/* set_out() - arm or disarm EPOLLOUT for @c.  Caller holds c->mu. */
static void set_out(struct conn *c, bool on)
{
    if (c->want_out == on)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(c->is->epfd, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = on;
}

/* remaining() - the bytes of @q (frame header, backtrace, body) not yet
 * written: up to two pieces at @iov; returns how many. */
static int remaining(struct ipcreq *q, struct iovec *iov)
{
    size_t blen = nng_msg_len(q->msg), boff = q->off > q->hlen ? q->off - q->hlen : 0;
    int n = 0;
    if (q->off < q->hlen)
        iov[n++] = (struct iovec){q->hdr + q->off, q->hlen - q->off};
    if (blen > boff)
        iov[n++] = (struct iovec){(uint8_t *)nng_msg_body(q->msg) + boff, blen - boff};
    return n;
}

/* write_queue() - one sendmsg() of up to WRITE_BATCH queued replies, then
 * their offsets advanced: 1 when it wrote something, 0 when the socket is
 * full, -1 on an error.  Caller holds c->mu. */
static int write_queue(struct conn *c)
{
    struct iovec iov[2 * WRITE_BATCH];
    int n = 0, k = 0;
    for (struct ipcreq *q = c->wq; q && k < WRITE_BATCH; q = q->next, k++)
        n += remaining(q, iov + n);
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n};
    ssize_t sent;
    while ((sent = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0 && errno == EINTR)
        ;
    if (sent < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    for (struct ipcreq *q = c->wq; q && sent > 0; q = q->next) {
        size_t left = q->hlen + nng_msg_len(q->msg) - q->off;
        size_t took = (size_t)sent < left ? (size_t)sent : left;
        q->off += took;
        sent -= (ssize_t)took;
    }
    return 1;
}

/* finished() - @q's reply is all written. */
static bool finished(const struct ipcreq *q)
{
    return q->off == q->hlen + nng_msg_len(q->msg);
}

struct ipcreq *ipc_flush(struct conn *c)
{
    struct ipcreq *done = NULL;
    if (c->held) /* not before the group's commit */
        return NULL;
    while (c->wq && !c->dead) {
        int r = write_queue(c);
        if (r == 0)
            break;
        if (r < 0) {
            shutdown(c->fd, SHUT_RDWR);
            c->dead = true;
            break;
        }
        while (c->wq && finished(c->wq)) {
            struct ipcreq *q = c->wq;
            c->nq--;
            c->wq = q->next;
            q->next = done;
            done = q;
        }
    }
    if (c->dead && c->wq) { /* drop the rest */
        *c->wq_tail = done;
        done = c->wq;
        c->wq = NULL;
        c->nq = 0;
    }
    if (!c->wq)
        c->wq_tail = &c->wq;
    if (!c->dead)
        set_out(c, c->wq != NULL);
    return done;
}

void ipc_req_send(struct serve_req *r, nng_msg *msg)
{
    struct ipcreq *q = (struct ipcreq *)r;
    struct conn *c = q->c;
    if (!msg) {
        ipc_req_free(q);
        return;
    }
    q->msg = msg;
    q->off = 0;
    q->next = NULL;
    sp_put_be(q->hdr + 1, q->hlen - FRAME_HDR + nng_msg_len(msg), 8);
    pthread_mutex_lock(&c->mu);
    if (c->dead) {
        pthread_mutex_unlock(&c->mu);
        ipc_req_free(q);
        return;
    }
    *c->wq_tail = q;
    c->wq_tail = &q->next;
    c->nq++;
    if (ipc_tls_group == c->is && !c->held) { /* group commit: wait for it */
        c->corked = true;
        c->held = true;
        c->hnext = c->is->held;
        c->is->held = c;
    }
    /* corked, a read's replies leave together, or once a batch is waiting
     * (held ones only after the group's commit: ipc_flush()) */
    struct ipcreq *done = c->corked && c->nq < WRITE_BATCH ? NULL : ipc_flush(c);
    pthread_mutex_unlock(&c->mu);
    ipc_free_list(done);
}

void ipc_cork(struct conn *c, bool on)
{
    pthread_mutex_lock(&c->mu);
    c->corked = on;
    struct ipcreq *done = on ? NULL : ipc_flush(c);
    pthread_mutex_unlock(&c->mu);
    ipc_free_list(done);
}
