/*
 * ipc_server.h - an ipc:// address served without nng ("[ipc] engine =
 * direct").
 *
 * A plain AF_UNIX listener speaking exactly what nng 1.5.2's REP0 speaks
 * over ipc, so libsyncmgr's direct client and nng REQ sockets both work:
 * each side first sends an 8-byte SP header ("\0SP\0", its protocol id as
 * 16 bits big-endian: REQ0 0x30, REP0 0x31, two zero bytes); then each
 * message is a type byte 0x01, a 64-bit big-endian length, and that many
 * bytes: the REQ backtrace (32-bit words, the last one with its high bit
 * set; at most 8) followed by the body.  A reply carries the request's
 * backtrace back in front of its body.
 *
 * One I/O thread per address with epoll: non-blocking sockets, partial
 * reads and writes, a write queue per connection drained on EPOLLOUT.
 * Requests run inline under core->lock (serve.h), sessions begin after the
 * SP header with the SO_PEERCRED pid/uid/gid and end through
 * server_conn_gone().  A parked request's reply may come from any thread
 * holding core->lock; one for a closed connection is dropped.
 *
 * Like nng: a peer whose header is not REQ0's, whose frame type is not 1,
 * whose message is shorter than one backtrace word, or whose frame is
 * longer than @max_frame is disconnected, and so is one whose SP header is
 * not whole 10 s after it connected (SM-PEER-TIMEOUT); a message with more
 * than 8 hops is dropped.  No bug-1518 guard is needed here.
 */
#ifndef SM_BROKER_IPC_SERVER_H
#define SM_BROKER_IPC_SERVER_H

#include <stddef.h>
#include <stdint.h>

/* The default of "[ipc] busy_poll_us": how long an idle I/O thread polls
 * for more requests before it sleeps (adaptive: proto/spin.h). */
#define IPCSRV_BUSY_POLL_US 50

struct core;
struct server;
struct ipcsrv;

/**
 * ipcsrv_start() - listen on ipc:// @url (socket file mode @mode, group as
 * listener_set_ipc_group()) and start its I/O thread.  Refuses a path where
 * another broker answers; a stale socket file is replaced.  Frames longer
 * than @max_frame drop the connection.  On failure returns an SM_E* code with
 * a one-line reason in @why and leaves *out NULL.
 */
int ipcsrv_start(struct ipcsrv **out, struct server *srv, struct core *core, const char *url,
                 int mode, size_t max_frame, char *why, size_t whylen);

/**
 * ipcsrv_stop() - stop accepting, flush queued replies (at most about a
 * second), close every connection, remove the socket file, free.  Call
 * after parked requests were answered (server_close()).
 */
void ipcsrv_stop(struct ipcsrv *is);

/**
 * ipcsrv_busy_poll() - the busy-poll budget of every engine, running or to
 * come, in us (0: an idle I/O thread sleeps at once); any thread.
 */
void ipcsrv_busy_poll(unsigned budget_us);

/* ipcsrv_spin_figures() - the budget, and the busy polls of the running
 * engines that caught a request (@hits) or ended empty (@misses). */
void ipcsrv_spin_figures(unsigned *budget_us, uint64_t *hits, uint64_t *misses);

#endif
