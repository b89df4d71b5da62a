/* ipc_direct.c - nng's SP/ipc framing on a plain unix socket (ipc_direct.h). */
#include "ipc_direct.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "errors.h"
#include "spin.h"
#include "spipc.h"

#define MSG_TYPE 0x01
#define HDR_LEN 13         /* type, 8-byte length, 4-byte request id */
#define ID_BIT 0x80000000u /* REQ marks the last word of a backtrace */
#define RBUF_SIZE 16384    /* replies up to this size take one read() */

struct ipcd {
    int fd;
    _Atomic int refs;       /* ipcd_dial()'s and ipcd_hold()'s */
    _Atomic int timeout_ms; /* per read; -1 for ever */
    pthread_mutex_t wmu;    /* one writer at a time */
    pthread_mutex_t mu;     /* the fields below */
    pthread_cond_t cv;      /* a reply was handed over, or the reader left */
    uint32_t next_id;
    bool reading; /* a thread holds the read side */
    bool dead;
    struct ipcd_call *waiters;
    /* read side: touched only by the thread that is reading */
    struct spin spin[2];    /* busy-polling for a reply before blocking: [may_block] */
    bool spin_blocking;     /* the reading thread's call may park (its policy) */
    size_t rpos, rlen;
    uint8_t rbuf[RBUF_SIZE];
};

const char *ipcd_path(const char *address)
{
    static const char scheme[] = "ipc://";
    if (!address || strncmp(address, scheme, sizeof(scheme) - 1) != 0)
        return NULL;
    return address + sizeof(scheme) - 1;
}

/* ---- bytes ------------------------------------------------------------- */

/* send_all() - write every byte of @iov (advanced in place); *@sent says
 * whether any byte went out. */
static int send_all(int fd, struct iovec *iov, int n, bool *sent)
{
    *sent = false;
    while (n > 0) {
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n};
        ssize_t k = sendmsg(fd, &mh, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return SM_ECONN;
        *sent = true;
        while (n > 0 && (size_t)k >= iov->iov_len) {
            k -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + k;
            iov->iov_len -= (size_t)k;
        }
    }
    return SM_OK;
}

/* A read tried without blocking, for spin_run(). */
struct try_read {
    int fd;
    void *dst;
    size_t len;
    ssize_t k;
};

/* try_read() - 1: data came; 0: nothing yet; -1: end or an error. */
static int try_read(void *arg)
{
    struct try_read *t = arg;
    t->k = recv(t->fd, t->dst, t->len, MSG_DONTWAIT);
    if (t->k > 0)
        return 1;
    return t->k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
}

/* read_some() - read at most @len bytes into @dst once they arrive: busy-
 * polled for a while first when the spin policy says so, then blocking. */
static int read_some(struct ipcd *d, void *dst, size_t len, size_t *got)
{
    struct try_read t = {d->fd, dst, len, 0};
    if (spin_run(&d->spin[d->spin_blocking], try_read, &t)) {
        if (t.k <= 0)
            return SM_ECONN;
        *got = (size_t)t.k;
        return SM_OK;
    }
    for (;;) {
        int ms = d->timeout_ms;
        if (ms >= 0) {
            struct pollfd pfd = {.fd = d->fd, .events = POLLIN};
            int r = poll(&pfd, 1, ms);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return SM_ECONN; /* timed out: the stream is out of step */
        }
        ssize_t k = read(d->fd, dst, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return SM_ECONN;
        *got = (size_t)k;
        return SM_OK;
    }
}

/* read_exact() - @len bytes into @dst: first what the buffer holds, then
 * large remainders straight into @dst, small ones through the buffer. */
static int read_exact(struct ipcd *d, uint8_t *dst, size_t len)
{
    while (len > 0) {
        size_t have = d->rlen - d->rpos, got;
        if (have) {
            size_t n = have < len ? have : len;
            memcpy(dst, d->rbuf + d->rpos, n);
            d->rpos += n;
            dst += n;
            len -= n;
            continue;
        }
        d->rpos = d->rlen = 0;
        int rc = len >= RBUF_SIZE ? read_some(d, dst, len, &got)
                                  : read_some(d, d->rbuf, RBUF_SIZE, &got);
        if (rc)
            return rc;
        if (len >= RBUF_SIZE) {
            dst += got;
            len -= got;
        } else {
            d->rlen = got;
        }
    }
    return SM_OK;
}

/* recv_msg() - the next message: its request id and body. */
static int recv_msg(struct ipcd *d, uint32_t *id, nng_msg **out)
{
    uint8_t hdr[HDR_LEN];
    int rc = read_exact(d, hdr, sizeof(hdr));
    if (rc)
        return rc;
    uint64_t len = sp_get_be(hdr + 1, 8);
    if (hdr[0] != MSG_TYPE || len < 4 || len - 4 > SIZE_MAX / 2)
        return SM_EPROTO;
    *id = (uint32_t)sp_get_be(hdr + 9, 4);
    if (nng_msg_alloc(out, (size_t)(len - 4)))
        return SM_ENOMEM;
    if ((rc = read_exact(d, nng_msg_body(*out), (size_t)(len - 4)))) {
        nng_msg_free(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- calls ------------------------------------------------------------- */

/* fail_all() - the connection is lost: every waiter gets @rc.  Caller
 * holds d->mu. */
static void fail_all(struct ipcd *d, int rc)
{
    if (!d->dead)
        shutdown(d->fd, SHUT_RDWR); /* wakes a reader, fails a writer */
    d->dead = true;
    for (struct ipcd_call *w = d->waiters; w; w = w->next)
        if (!w->done) {
            w->done = true;
            w->rc = rc;
        }
    pthread_cond_broadcast(&d->cv);
}

/* deliver() - hand @m to the waiter of request @id (a reply nobody waits
 * for is dropped).  Caller holds d->mu. */
static void deliver(struct ipcd *d, uint32_t id, nng_msg *m)
{
    for (struct ipcd_call *w = d->waiters; w; w = w->next)
        if (w->id == id && !w->done) {
            w->done = true;
            w->reply = m;
            return;
        }
    nng_msg_free(m);
}

/* read_one() - as the reader, receive one reply and hand it over.  Called
 * and returns with d->mu held. */
static void read_one(struct ipcd *d)
{
    uint32_t id = 0;
    nng_msg *m = NULL;
    d->reading = true;
    pthread_mutex_unlock(&d->mu);
    int rc = recv_msg(d, &id, &m);
    pthread_mutex_lock(&d->mu);
    d->reading = false;
    if (rc)
        fail_all(d, rc);
    else
        deliver(d, id, m);
    pthread_cond_broadcast(&d->cv); /* someone else may read now */
}

static void unlink_call(struct ipcd *d, struct ipcd_call *me)
{
    for (struct ipcd_call **pp = &d->waiters; *pp; pp = &(*pp)->next)
        if (*pp == me) {
            *pp = me->next;
            return;
        }
}

/* send_req() - frame and write @req under the write lock (*@sent: any of
 * it went out). */
static int send_req(struct ipcd *d, uint32_t id, nng_msg *req, bool *sent)
{
    uint8_t hdr[HDR_LEN];
    size_t len = nng_msg_len(req);
    hdr[0] = MSG_TYPE;
    sp_put_be(hdr + 1, (uint64_t)len + 4, 8);
    sp_put_be(hdr + 9, id, 4);
    struct iovec iov[2] = {{hdr, sizeof(hdr)}, {nng_msg_body(req), len}};
    pthread_mutex_lock(&d->wmu);
    int rc = send_all(d->fd, iov, len ? 2 : 1, sent);
    pthread_mutex_unlock(&d->wmu);
    return rc;
}

int ipcd_send(struct ipcd *d, nng_msg *req, struct ipcd_call *call)
{
    *call = (struct ipcd_call){0};
    pthread_mutex_lock(&d->mu);
    if (d->dead) {
        pthread_mutex_unlock(&d->mu);
        return SM_ECONN; /* never sent: @req is still the caller's */
    }
    call->id = ID_BIT | d->next_id++;
    call->next = d->waiters;
    d->waiters = call;
    pthread_mutex_unlock(&d->mu);
    bool sent;
    int rc = send_req(d, call->id, req, &sent);
    if (rc) {
        pthread_mutex_lock(&d->mu);
        if (!sent) /* the broker is gone (EPIPE) before a byte left: unsent */
            unlink_call(d, call);
        fail_all(d, rc); /* a partly sent @call too: ipcd_wait() reports it */
        pthread_mutex_unlock(&d->mu);
        if (!sent)
            return SM_ECONN;
    }
    nng_msg_free(req);
    return SM_OK;
}

int ipcd_wait(struct ipcd *d, struct ipcd_call *call, bool may_block, nng_msg **reply)
{
    pthread_mutex_lock(&d->mu);
    while (!call->done) {
        if (!d->reading) {
            d->spin_blocking = may_block;
            read_one(d);
        } else
            pthread_cond_wait(&d->cv, &d->mu);
    }
    unlink_call(d, call);
    pthread_mutex_unlock(&d->mu);
    *reply = call->reply;
    return call->rc;
}

int ipcd_exchange(struct ipcd *d, nng_msg *req, nng_msg **reply)
{
    struct ipcd_call me;
    *reply = NULL;
    int rc = ipcd_send(d, req, &me);
    if (rc)
        nng_msg_free(req);
    return rc ? rc : ipcd_wait(d, &me, false, reply);
}

/* ---- connection -------------------------------------------------------- */

/* negotiate() - send our SP header, check the broker's. */
static int negotiate(struct ipcd *d)
{
    uint8_t mine[8] = {0, 'S', 'P', 0, 0, SP_REQ0, 0, 0}, theirs[8];
    struct iovec iov = {mine, sizeof(mine)};
    bool sent;
    int rc = send_all(d->fd, &iov, 1, &sent);
    if (!rc)
        rc = read_exact(d, theirs, sizeof(theirs));
    if (rc)
        return rc;
    if (memcmp(theirs, "\0SP\0", 4) != 0 || sp_get_be(theirs + 4, 2) != SP_REP0 || theirs[6] ||
        theirs[7])
        return SM_ECONN; /* not an nng REP socket */
    return SM_OK;
}

int ipcd_dial(const char *path, int timeout_ms, struct ipcd **out)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t plen = strlen(path);
    *out = NULL;
    if (plen == 0 || plen >= sizeof(sa.sun_path))
        return SM_EINVAL;
    memcpy(sa.sun_path, path, plen);
    struct ipcd *d = calloc(1, sizeof(*d));
    if (!d)
        return SM_ENOMEM;
    pthread_mutex_init(&d->wmu, NULL);
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, NULL);
    d->refs = 1;
    d->timeout_ms = timeout_ms;
    d->next_id = (uint32_t)getpid() * 2654435761u; /* any start will do */
    d->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = d->fd < 0 ? SM_ECONN : SM_OK;
    if (!rc && connect(d->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        rc = SM_ECONN;
    if (!rc)
        rc = negotiate(d);
    if (rc) {
        ipcd_free(d);
        return rc;
    }
    *out = d;
    return SM_OK;
}

void ipcd_set_timeout(struct ipcd *d, int timeout_ms)
{
    d->timeout_ms = timeout_ms;
}

void ipcd_set_busy_poll(struct ipcd *d, unsigned budget_us)
{
    spin_set_budget(&d->spin[0], budget_us);
    spin_set_budget(&d->spin[1], budget_us);
}

bool ipcd_alive(struct ipcd *d)
{
    struct pollfd pfd = {.fd = d->fd, .events = POLLRDHUP};
    pthread_mutex_lock(&d->mu);
    bool gone =
        d->dead || (poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)));
    if (gone)
        fail_all(d, SM_ECONN);
    pthread_mutex_unlock(&d->mu);
    return !gone;
}

void ipcd_shutdown(struct ipcd *d)
{
    pthread_mutex_lock(&d->mu);
    fail_all(d, SM_ECONN);
    pthread_mutex_unlock(&d->mu);
}

void ipcd_hold(struct ipcd *d)
{
    atomic_fetch_add(&d->refs, 1);
}

void ipcd_free(struct ipcd *d)
{
    if (!d || atomic_fetch_sub(&d->refs, 1) > 1)
        return;
    if (d->fd >= 0)
        close(d->fd);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    pthread_mutex_destroy(&d->wmu);
    free(d);
}
