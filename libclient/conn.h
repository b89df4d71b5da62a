/*
 * conn.h - the connection under libsyncmgr: its state and round trip
 * (conn.c) and dialing (reconnect.c), as used by the request layer
 * (client.c) and the object handles (handle.c), then what conn.c and
 * reconnect.c share.  Private to libclient; never installed.
 */
#ifndef SM_CONN_H
#define SM_CONN_H

#include <nng/nng.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "client_internal.h"
#include "ipc_direct.h"

/* How long a call that finds the broker gone keeps re-dialing before it
 * returns SM_ECONN, in ms, unless $SYNCMGR_RECONNECT_MS says otherwise
 * (0: one attempt). */
#define SMC_RECONNECT_MS 5000

/* How long a thread waiting for a reply over a direct ipc:// connection
 * polls for it before it sleeps, in us, unless $SYNCMGR_BUSY_POLL_US says
 * otherwise (0: never; adaptive, see proto/spin.h). */
#define SMC_BUSY_POLL_US 50

/**
 * conn_call() - the round trip of @rq (its message always consumed): when
 * the connection is down, re-dial first (at most the reconnect time, then
 * SM_ECONN); when @rq is an smc_oreq() one, smc_obj_resolve() its handle;
 * then send and wait for the reply.  A request pinned to a generation
 * (@rq->gen) or part of the handshake never makes it re-dial.  Returns
 * SM_OK and *reply, or SM_ECONN (the request was handed over and no reply
 * came: outcome unknown; or it could not be sent in time), SM_EAUTH, the
 * status of a failed re-open, SM_ENOMEM.
 */
int conn_call(sm_client *c, struct smc_req *rq, nng_msg **reply);

/**
 * conn_prepare() - for a request a batch or pipeline takes instead of
 * sending it: re-dial and resolve @rq's object as conn_call() would, then
 * write its handle in.  *@gen is the generation of the requests taken
 * before (0: none); SM_ECONN when the connection changed since.  On
 * success *@gen is the current generation.
 */
int conn_prepare(sm_client *c, struct smc_req *rq, uint64_t *gen);

/* conn_obj_set() - record that @o is @handle on connection generation @gen. */
void conn_obj_set(sm_client *c, struct smc_obj *o, uint64_t handle, uint64_t gen);

/* conn_obj_get() - @o's handle (into *handle) and its generation, read
 * together; the generation is 0 when it is not the current one. */
uint64_t conn_obj_get(sm_client *c, const struct smc_obj *o, uint64_t *handle);

/* conn_resolve_lock() - take (@lock) or give back the client's lock that
 * keeps handle re-opens one at a time. */
void conn_resolve_lock(sm_client *c, bool lock);

/* ---- between conn.c and reconnect.c -------------------------------------- */

struct sm_client {
    pthread_rwlock_t lock; /* see the top of conn.c */
    nng_socket sock;       /* generation gen; NNG_SOCKET_INITIALIZER: none */
    struct ipcd *direct;   /* or this (ipc_path); NULL: none */
    uint64_t gen;
    bool dead, authed;

    pthread_mutex_t redial_mu;  /* one re-dial at a time */
    _Atomic uint64_t redials;   /* re-dial rounds finished */
    int redial_rc;              /* the last round's result (under redial_mu) */
    int reconnect_ms;           /* how long a call keeps re-dialing */
    unsigned busy_poll_us;      /* direct: ipcd_set_busy_poll() */
    pthread_mutex_t resolve_mu; /* conn_resolve_lock() */

    pthread_key_t key; /* -> struct smc_thread of the calling thread */
    bool key_ok;
    char *address;
    const char *ipc_path; /* in address: the direct ipc transport; NULL: nng */
    uint8_t *key_bytes;
    size_t keylen;
    pid_t pid;      /* the process that made it (g_nng_pid) */
    unsigned forks; /* the fork count then (conn.c) */
};

/* The calling thread's context on one client (nng), or a pipeline slot's
 * (either transport). */
struct smc_thread {
    sm_client *c;
    nng_aio *aio;
    nng_ctx ctx;             /* on the socket of generation gen */
    struct ipcd *direct;     /* or on this connection (held), of generation gen */
    struct ipcd_call call;   /* its direct call in flight */
    uint64_t gen;            /* 0: no context yet */
    struct smc_thread *next; /* on g_threads */
};

/* conn_new() - the client and its key, not yet connected. */
int conn_new(const char *address, const char *keyfile, sm_client **out);

/* conn_free() - close the socket, free the thread states and @c; NULL is
 * fine; in a forked child nng is left alone. */
void conn_free(sm_client *c);

/* conn_thread() - the calling thread's state on @c, made on first use. */
int conn_thread(sm_client *c, struct smc_thread **out);

/* conn_mark_dead() - no request may be handed over from now on; cancel
 * those in flight. */
void conn_mark_dead(sm_client *c);

/* conn_lost() - a direct call on generation @gen failed: its connection
 * is gone, so mark it dead if it is still the current one. */
void conn_lost(sm_client *c, uint64_t gen);

/* conn_pipe_gone() - NNG_PIPE_EV_REM_POST callback (@arg: the client) on
 * the current socket; an older one is closed, and its callbacks done,
 * before a new one is installed.  nng_close() waits for it, so @arg is
 * alive while it runs. */
void conn_pipe_gone(nng_pipe p, nng_pipe_ev ev, void *arg);

/* conn_redial_until() - re-dial until it works, fails for a reason other
 * than the connection, or @deadline (conn_now_ms() time) passes: SM_ECONN.
 * Caller holds c->redial_mu. */
int conn_redial_until(sm_client *c, int64_t deadline);

/* conn_now_ms() - CLOCK_MONOTONIC in ms. */
int64_t conn_now_ms(void);

#endif
