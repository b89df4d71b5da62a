/*
 * ipc_conn.h - the direct ipc engine's internals, shared by its two halves:
 * ipc_server.c (the I/O thread: accepting, reading frames, serving them,
 * group commit, start and stop) and ipc_reply.c (a connection's write
 * queue: replies framed, corked, gathered and written).  Not for use
 * outside those two files; the engine's interface is ipc_server.h.
 */
#ifndef SM_BROKER_IPC_CONN_H
#define SM_BROKER_IPC_CONN_H

#include <nng/nng.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "serve.h"
#include "spin.h"

#define FRAME_HDR 9        /* type byte, 64-bit length */
#define MAX_HOPS 8         /* nng's default NNG_OPT_MAXTTL */
#define HOP_END 0x80u      /* high bit of a backtrace's last word */
#define RBUF_SIZE 65536
#define WRITE_BATCH 64     /* replies gathered into one sendmsg() */
#define FLUSH_MS 1000      /* ipcsrv_stop(): for queued replies */
#define NEGO_MS 10000      /* for the peer's SP header, as nng allows */
#define SWEEP_MS 1000      /* how often late SP headers are looked for */
#define ACCEPT_PAUSE_US 10000 /* after accept() failed: out of descriptors */
#define DIRECT_ID 0x80000000u /* our connection ids; nng's pipe ids stay below */

enum rstate { RD_SP, RD_HDR, RD_BODY };

struct conn;

/* One request: its backtrace, then, once answered, its place in the write
 * queue.  Holds a reference on its connection. */
struct ipcreq {
    struct serve_req base; /* first: core->send_reply receives it */
    struct conn *c;
    struct ipcreq *next;   /* write queue */
    nng_msg *msg;          /* the reply */
    size_t off;            /* bytes of hdr + body written */
    size_t hlen;           /* FRAME_HDR + backtrace */
    uint8_t hdr[FRAME_HDR + 4 * MAX_HOPS];
};

struct conn {
    struct ipcsrv *is;
    int fd;
    uint32_t id;
    atomic_uint refs;      /* 1 while open (the I/O thread) + 1 per request */
    struct conn *prev, *next; /* open connections (I/O thread) */
    bool closed;           /* I/O thread: conn_close() done */
    bool admitted;         /* has a session */
    int64_t nego_until;    /* hung up on if its SP header is not in by then */
    /* read side: the I/O thread only */
    enum rstate rs;
    uint8_t hbuf[FRAME_HDR];
    size_t hgot;
    nng_msg *rmsg;
    size_t rgot, rlen;
    /* write side: under mu, from any thread */
    pthread_mutex_t mu;
    bool dead;             /* no more writes: replies are dropped */
    bool want_out;         /* EPOLLOUT armed */
    bool corked;           /* replies wait for cork(c, false) or a full batch */
    size_t nq;             /* replies in wq */
    bool held;             /* group commit: in is->held, corked until it is done */
    struct conn *hnext;    /* is->held (I/O thread) */
    struct ipcreq *wq, **wq_tail;
};

struct ipcsrv {
    struct server *srv;
    struct core *core;
    char *url, *path;
    int lfd, epfd, evfd;
    size_t max_frame;
    pthread_t thread;
    bool started;
    atomic_bool stopping;
    uint32_t next_id;
    int64_t accept_warned_ms;
    struct conn *conns;
    struct conn *zombies;  /* closed during this epoll batch, unref'd after */
    size_t nnego;          /* connections still without their SP header */
    struct conn *held;     /* group commit: replies held until the batch's fdatasync() */
    int64_t sweep_at;      /* next look for late ones (while nnego > 0) */
    struct spin spin;      /* busy-polling before epoll_wait() blocks */
    struct ipcsrv *gnext;  /* g_engines */
    uint8_t rbuf[RBUF_SIZE];
};

/* The engine whose I/O thread this is, while it serves an epoll batch under
 * group commit (persist.h): every reply it makes waits for the commit. */
extern _Thread_local struct ipcsrv *ipc_tls_group;

/* ipc_conn_unref() - drop a reference; the last one frees @c. */
void ipc_conn_unref(struct conn *c);

/* ipc_req_free() - free @q, its reply and its reference on the connection. */
void ipc_req_free(struct ipcreq *q);

/* ipc_free_list() - ipc_req_free() a chain of requests (->next). */
void ipc_free_list(struct ipcreq *q);

/**
 * ipc_flush() - write @c's queue, oldest first, as far as the socket takes
 * it (nothing while @c is held for a group commit); returns the finished
 * requests, to ipc_free_list() once c->mu is released.  On an error the
 * connection is shut down: the I/O thread sees it and closes it.  Caller
 * holds c->mu.
 */
struct ipcreq *ipc_flush(struct conn *c);

/**
 * ipc_req_send() - the reply to @r (NULL: none): framed with its backtrace,
 * queued, and written at once, unless the I/O thread is still serving what
 * it read from the connection (then a read's replies go out together, up to
 * WRITE_BATCH a sendmsg()) or the socket is full (then on EPOLLOUT).  The
 * serve_req send hook; any thread.
 */
void ipc_req_send(struct serve_req *r, nng_msg *msg);

/* ipc_cork() - hold @c's replies back (@on) while the requests of one read
 * are served, then write them all (!@on). */
void ipc_cork(struct conn *c, bool on);

#endif
