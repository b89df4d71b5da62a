/*
 * server.h - nng listeners, the REP context pool and pipe events; ipc://
 * addresses go to ipc_server.h instead when opts.ipc_direct is set.
 *
 * Requests are handled inline in nng's aio callbacks under core->lock.  A
 * pool of REP contexts keeps `base` of them receiving; a parked request
 * keeps its context until its reply is sent, and another context is opened
 * (or reused) so that the socket never stops reading.
 *
 * Admission: a new pipe beyond limits.max_sessions, or over ipc from a uid
 * outside limits.allow_uids, is closed as it comes (logged with its pid/uid or
 * address); the broker's own listener probes (listener.h) always pass.  A request over limits.max_message_bytes gets SM_ETOOBIG
 * without being decoded; nng itself drops a pipe whose message passes
 * twice that (NNG_OPT_RECVMAXSZ), so memory stays bounded.
 */
#ifndef SM_BROKER_SERVER_H
#define SM_BROKER_SERVER_H

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"

struct server;

struct server_opts {
    const char *const *urls;   /* ipc:// and tcp:// addresses */
    size_t nurls;
    size_t max_message_bytes;  /* NNG_OPT_RECVMAXSZ on every listener */
    int ipc_mode;              /* e.g. 0660 */
    size_t base_contexts;      /* contexts kept receiving */
    nng_tls_config *tls;       /* for tls+tcp:// listeners (referenced), or NULL */
    bool ipc_direct;           /* serve ipc:// without nng (ipc_server.h) */
};

/**
 * server_open() - open the REP socket, start every listener, hook the core.
 * On failure returns an SM_E* code with a one-line reason in @why.
 */
int server_open(struct server **out, struct core *core, const struct server_opts *opts, char *why,
                size_t whylen);

/* server_event_fd() - readable when pipe events or a new deadline need the
 * main loop's attention. */
int server_event_fd(const struct server *srv);

/* server_process_events() - end the sessions of departed pipes; expire
 * deadlines.  Takes core->lock itself. */
void server_process_events(struct server *srv);

/* server_poll_prepare() - fill up to @max pollfds the main loop must also
 * watch (one per listener; fd -1 when idle) and lower *timeout_ms to when
 * server_poll_check() is next due.  Returns how many were filled. */
int server_poll_prepare(struct server *srv, struct pollfd *fds, size_t max, int *timeout_ms);

/* server_poll_check() - after poll(): let each listener see its result
 * (keeps ipc listeners accepting, see listener.h). */
void server_poll_check(struct server *srv, const struct pollfd *fds, size_t n);

/* server_conn_gone() - connection @id closed: its session is marked gone
 * at once and ended by the main loop (server_process_events()).  Any
 * thread; takes core->lock. */
void server_conn_gone(struct server *srv, uint32_t id);

/* server_close() - parked requests get SM_ESHUTDOWN, replies are flushed
 * (bounded wait), listeners closed, ipc socket files removed, memory freed. */
void server_close(struct server *srv);

#endif
