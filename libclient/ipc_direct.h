/*
 * ipc_direct.h - the client's direct ipc:// transport: a plain AF_UNIX
 * socket speaking nng's SP-over-ipc framing to the broker's nng REP socket,
 * without nng's worker threads (one write and usually one read per call,
 * on the calling thread).
 *
 * Wire (nng 1.5.2, src/sp/transport/ipc and protocol/reqrep0): each side
 * first sends 8 bytes "\0SP\0", its 16-bit big-endian protocol id (REQ0 0x30,
 * REP0 0x31) and two zero bytes; then every message is the byte 0x01, its
 * length as 8 bytes big-endian, and the length's bytes: for REQ/REP a 4-byte
 * big-endian request id with the high bit set, then the body.  The reply
 * carries the id of its request.
 *
 * One connection (one broker session) serves every thread of a client:
 * writes are serialised, and whichever waiting thread is reading hands the
 * replies of the others to them by request id.
 */
#ifndef SM_CLIENT_IPC_DIRECT_H
#define SM_CLIENT_IPC_DIRECT_H

#include <nng/nng.h>
#include <stdbool.h>
#include <stdint.h>

struct ipcd;

/* One call in flight, from ipcd_send() to ipcd_wait(); the caller's memory. */
struct ipcd_call {
    uint32_t id;
    bool done;
    int rc;
    nng_msg *reply;
    struct ipcd_call *next;
};

/* ipcd_path() - the socket path of an "ipc://PATH" address, or NULL for
 * any other address (those go through nng). */
const char *ipcd_path(const char *address);

/**
 * ipcd_dial() - connect to @path and exchange the SP headers (waiting up
 * to @timeout_ms for the broker's).  Returns SM_OK and *out, SM_EINVAL for
 * a path that does not fit a unix socket address, SM_ECONN when nobody
 * answers as an nng REP socket, SM_ENOMEM.  Free with ipcd_free().
 */
int ipcd_dial(const char *path, int timeout_ms, struct ipcd **out);

/* ipcd_set_timeout() - how long a call waits for its reply from now on;
 * -1: for ever.  A call that times out loses the connection (SM_ECONN). */
void ipcd_set_timeout(struct ipcd *d, int timeout_ms);

/* ipcd_set_busy_poll() - how long a thread waiting for a reply polls for it
 * before it blocks (adaptive: proto/spin.h, one policy for calls that may
 * park and one for the others); 0: it blocks at once. */
void ipcd_set_busy_poll(struct ipcd *d, unsigned budget_us);

/**
 * ipcd_exchange() - send the body of @req (always consumed) as one request
 * and wait for its reply; thread-safe.  Returns SM_OK and the reply body in
 * *reply (caller frees with nng_msg_free()), SM_ECONN once the connection
 * is lost (every later call too), SM_EPROTO for a malformed reply (the
 * connection is then dropped), or SM_ENOMEM.
 */
int ipcd_exchange(struct ipcd *d, nng_msg *req, nng_msg **reply);

/**
 * ipcd_send() - send @req as one request without waiting for its reply,
 * which ipcd_wait() on @call then collects.  Returns SM_OK (@req consumed;
 * a write that fails part way is reported by ipcd_wait()), or SM_ECONN
 * when the connection was already lost or the broker was gone before a
 * byte was written: nothing was sent and @req is still the caller's, so it
 * may go on another connection.
 */
int ipcd_send(struct ipcd *d, nng_msg *req, struct ipcd_call *call);

/* ipcd_wait() - wait for the reply to @call, as ipcd_exchange() does.
 * @may_block: its request may park on the broker (OPF_BLOCKING).  Such
 * calls keep a busy-poll policy of their own, so that waits that last do
 * not stop the quick calls from polling. */
int ipcd_wait(struct ipcd *d, struct ipcd_call *call, bool may_block, nng_msg **reply);

/* ipcd_alive() - false when the connection is lost, also when the broker
 * has closed its end and no call has noticed yet (then it is dropped);
 * one poll(), no read. */
bool ipcd_alive(struct ipcd *d);

/* ipcd_shutdown() - drop the connection: calls in flight and later return
 * SM_ECONN.  The object stays valid until ipcd_free(). */
void ipcd_shutdown(struct ipcd *d);

/* ipcd_hold() - one more reference to @d, for a call that may outlive the
 * caller's lock on whatever holds @d; drop it with ipcd_free(). */
void ipcd_hold(struct ipcd *d);

/* ipcd_free() - drop a reference (ipcd_dial()'s or an ipcd_hold()'s); the
 * last one closes and frees.  NULL is fine. */
void ipcd_free(struct ipcd *d);

#endif
