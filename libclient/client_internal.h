/*
 * client_internal.h - libsyncmgr's internal API: requests, the one round-trip
 * helper every typed function goes through, value packing/decoding and the
 * shared object handle.  Used by the libclient sources and by syncmgrctl
 * for raw ops (ls, ...); never installed.
 *
 * A call is: smc_req_begin() (opcode, handle when the op has one, field
 * count), pack the fields with rq.pk / smc_pack_val(), then one of the
 * smc_call*() wrappers, which send the request on the calling thread's own
 * nng context, wait for the reply and decode the common reply shapes.
 *
 * Returned values (values.c): nil, bool, negative int (SM_V_INT), non-negative
 * int (SM_V_INT when <= INT64_MAX, else SM_V_UINT: the wire does not keep how
 * an integer was sent, so a value stored with sm_uint(5) reads back as
 * SM_V_INT 5), float32/64 (SM_V_F64), str (owned, NUL-terminated copy), bin
 * (owned copy) and anything else (array, map, ext) as SM_V_MSGPACK (owned copy
 * of the packed bytes; split with sm_val_items()).
 */
#ifndef SM_CLIENT_INTERNAL_H
#define SM_CLIENT_INTERNAL_H

#include <endian.h>
#include <msgpack.h>
#include <nng/nng.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "codec.h"
#include "op.h"
#include "syncmgr.h"

/* Applied to the definition of every public sm_* function: the shared
 * library is built with hidden visibility. */
#define SM_API __attribute__((visibility("default")))

/* SMC_NEED() - return SM_EINVAL unless @cond (NULL handles, out pointers). */
#define SMC_NEED(cond)                                                                             \
    do {                                                                                           \
        if (!(cond))                                                                               \
            return SM_EINVAL;                                                                      \
    } while (0)

/**
 * smc_dial() - nng_dial(@sock, @address) synchronously; a tls+tcp://
 * address gets a TLS configuration from $SYNCMGR_TLS_CA_FILE,
 * $SYNCMGR_TLS_CERT_FILE and $SYNCMGR_TLS_KEY_FILE (tls.c).  Returns an nng
 * error code (NNG_EINVAL for unusable TLS files).
 */
int smc_dial(nng_socket sock, const char *address);

/* ---- requests ----------------------------------------------------------- */

struct smc_obj;

/* A request being packed straight into an nng message, or, on an object
 * inside a batch, straight into the batch's body (@buf, from @start). */
struct smc_req {
    nng_msg *msg;
    msgpack_sbuffer *buf; /* instead of @msg: the sink's body (smc_sink.body) */
    size_t start;        /* where the request begins in @buf */
    msgpack_packer pk;   /* pack the fields with this */
    int err;             /* sticky: SM_ENOMEM once a write failed */
    struct smc_obj *obj; /* smc_oreq(): its handle is written in when sent */
    size_t handle_off;   /* where the handle is from the request's start (always 9
                          * bytes: 0xcf + u64) */
    uint64_t gen;        /* non-zero: send on this connection generation only */
    bool handshake;      /* part of the handshake: sent before authentication */
    bool direct;         /* never handed to a batch or pipeline (open) */
    bool may_block;      /* its op may park on the broker (OPF_BLOCKING) */
    uint64_t sent_gen;   /* after smc_call(): the generation it was sent on */
};

/**
 * smc_req_begin() - start the request [opcode, (handle,) fields...]: packs
 * the array header for @nargs further fields, the opcode and, when ops.def
 * gives @opcode a .type, @handle (in its 9-byte form, so that a re-opened
 * handle can be written over it).  Returns SM_OK or SM_ENOMEM (then @rq
 * holds nothing to free).
 */
int smc_req_begin(struct smc_req *rq, int opcode, uint64_t handle, uint32_t nargs);

/* smc_req_begin_in() - smc_req_begin() packing at the end of @buf (a sink's
 * body) instead of into a message of its own when @buf is not NULL. */
int smc_req_begin_in(struct smc_req *rq, int opcode, uint64_t handle, uint32_t nargs,
                     msgpack_sbuffer *buf);

/**
 * smc_req() - smc_req_begin() plus the fields, one per letter of @fmt, as
 * ops.def spells them; each letter takes these variadic arguments (exact
 * types, they are read with va_arg):
 *   v, a, m  const sm_val *   (a: must be an array value, m: a map; SM_ETYPE)
 *   i, n     int64_t          (n: SM_NONE goes as nil)
 *   u        uint64_t
 *   t        int              (timeout ms; below -1 is SM_EINVAL)
 *   b        int              (bool, promoted)
 *   s        const char *     (NUL-terminated)
 *   x        const void *, size_t   (bin: pointer and length)
 *   _        nothing: a field counted in the header that the caller packs
 *            itself after smc_req() returns
 * On failure nothing is left to free.
 */
int smc_req(struct smc_req *rq, int opcode, uint64_t handle, const char *fmt, ...);

/**
 * smc_oreq() - smc_req() on the object handle @o: the request carries no
 * fixed handle number but @o itself, so that when it is sent the handle of
 * the current connection goes in (the object is opened again by name after
 * a reconnect; see smc_obj_open()).  Use it for every op on an open object.
 * Inside a batch on @o's client it is packed straight into the batch's body
 * (smc_sink.body): no message, no copy.
 */
int smc_oreq(struct smc_req *rq, int opcode, struct smc_obj *o, const char *fmt, ...);

/* smc_req_abort() - drop a request that will not be sent; safe twice. */
void smc_req_abort(struct smc_req *rq);

/* smc_put_handle() - a handle in its fixed 9-byte form (0xcf, then the
 * big-endian u64) at @p: a request's handle slot (see put_handle() in conn.c). */
static inline void smc_put_handle(uint8_t *p, uint64_t handle)
{
    uint64_t be = htobe64(handle);
    p[0] = 0xcf;
    memcpy(p + 1, &be, sizeof(be));
}

/* smc_req_bytes() - the first byte of @rq's packed request. */
static inline uint8_t *smc_req_bytes(const struct smc_req *rq)
{
    return rq->buf ? (uint8_t *)rq->buf->data + rq->start : (uint8_t *)nng_msg_body(rq->msg);
}

/**
 * smc_pack_val() - pack @v as one field: by its type, SM_V_MSGPACK bytes
 * appended verbatim after checking they hold exactly one well-formed value
 * (SM_EINVAL otherwise, so a bad value cannot shift the fields after it).
 * Returns SM_OK, SM_EINVAL, SM_ETOOBIG or SM_ENOMEM.
 */
int smc_pack_val(struct smc_req *rq, const sm_val *v);

/* smc_pack_kind() - smc_pack_val() for a field that must be an array
 * (MP_ARRAY) or map (MP_MAP) value; SM_ETYPE when @v is not one. */
int smc_pack_kind(struct smc_req *rq, const sm_val *v, enum mp_kind kind);

/* smc_pack_optint() - an 'n' field: SM_NONE as nil, else the integer. */
int smc_pack_optint(struct smc_req *rq, int64_t i);

/* ---- replies and calls -------------------------------------------------- */

/* A received reply [status, fields...]; the reader is positioned at the
 * first field.  Free with smc_reply_free() (safe on a zeroed reply). */
struct smc_reply {
    nng_msg *msg;
    int status;
    uint32_t nfields;
    mp_reader r;
};

void smc_reply_free(struct smc_reply *rep);

/**
 * smc_call_raw() - the generic call for tools: send @len bytes (one packed
 * request, not checked here) and receive the reply.  Returns SM_OK with *rep
 * filled (rep->status is whatever the broker said, fields included), or
 * SM_ECONN/SM_EPROTO/SM_ENOMEM with *rep zeroed.  Free *rep either way.
 */
int smc_call_raw(sm_client *c, const void *req, size_t len, struct smc_reply *rep);

/**
 * smc_call() - send @rq (always consumed) and receive the reply.  Returns
 * the reply status (SM_OK, SM_EOWNERDEAD or an SM_E* from the broker) or a
 * transport error.  When the connection is down the call first re-dials
 * (bounded, see conn.h); the handle of an smc_oreq() request is re-resolved
 * first when it belongs to an older connection.  A request that was handed
 * to the connection and got no reply is never sent again: SM_ECONN.  *rep holds the fields when the
 * status is SM_OK or SM_EOWNERDEAD; the caller always frees *rep with smc_reply_free().
 */
int smc_call(sm_client *c, struct smc_req *rq, struct smc_reply *rep);

/* Wrappers for the common reply shapes; each consumes @rq and returns as
 * smc_call() does (SM_EPROTO when the field is missing or of another kind). */
int smc_call0(sm_client *c, struct smc_req *rq);                    /* no field */
int smc_call_val(sm_client *c, struct smc_req *rq, sm_val *out);    /* a value */
int smc_call_bool(sm_client *c, struct smc_req *rq, bool *out);     /* a bool */
int smc_call_uint(sm_client *c, struct smc_req *rq, uint64_t *out); /* a uint */
int smc_call_size(sm_client *c, struct smc_req *rq, size_t *out);   /* a uint */
int smc_call_int(sm_client *c, struct smc_req *rq, int64_t *out);   /* an int */

/* ---- deferred calls (batch.c, pipeline.c) -------------------------------- */

/* A sink takes the requests the calling thread makes on one client instead
 * of their round trips: smc_call() hands it the packed request. */
struct smc_sink {
    sm_client *c;
    uint64_t gen; /* the connection generation its handles belong to (0: none yet) */
    /* non-NULL: smc_oreq() packs requests on objects straight into it, one
     * after another, and take() gets NULL for them (a batch) */
    msgpack_sbuffer *body;
    /* consume @msg (NULL: the request is the last one packed into @body);
     * return SM_EQUEUED, or an error (nothing was queued) */
    int (*take)(struct smc_sink *s, nng_msg *msg);
};

/* The calling thread's sink, or NULL (one at a time per thread). */
extern __thread struct smc_sink *smc_sink_tls;

/* One REQ context and aio of a client (client.c): the calling thread's, or
 * one of a pipeline's. */
struct smc_thread;

/**
 * smc_ctx_open() - a new context on @c whose aio calls @cb(@arg) when an
 * operation completes.  A lost connection cancels it like every call in
 * flight.  Close with smc_ctx_close() before sm_disconnect().
 */
int smc_ctx_open(sm_client *c, void (*cb)(void *), void *arg, struct smc_thread **out);

/* smc_ctx_close() - free a context (nothing when sm_disconnect() took it). */
void smc_ctx_close(struct smc_thread *t);

/* smc_ctx_aio() - the context's aio (its result and message). */
nng_aio *smc_ctx_aio(struct smc_thread *t);

/**
 * smc_ctx_start() - start sending @msg (consumed), or receiving when @msg is
 * NULL, on @t without waiting.  SM_OK, or SM_ECONN when the connection is
 * already lost (then nothing was started and @msg is freed).
 */
int smc_ctx_start(struct smc_thread *t, nng_msg *msg);

/* smc_ctx_result() - the outcome of @t's finished operation: SM_OK or
 * SM_ECONN (then a send's message, @sent, is freed). */
int smc_ctx_result(struct smc_thread *t, bool sent);

/* smc_ctx_direct() - @t belongs to a client on the direct ipc transport
 * (ipc_direct.h): its aio is never used and no callback comes; a started
 * call is collected with smc_ctx_wait() instead. */
bool smc_ctx_direct(const struct smc_thread *t);

/* smc_ctx_wait() - a direct @t's reply to its started call (SM_OK and
 * *reply, caller frees), or SM_ECONN / SM_EPROTO. */
int smc_ctx_wait(struct smc_thread *t, nng_msg **reply);

/* ---- results of a batch or pipeline (results.c) ------------------------ */

/* One deferred call's outcome: its reply status and fields. */
struct smc_result {
    int status; /* SM_EQUEUED until the reply is in */
    uint32_t nfields;
    mp_reader r;  /* at the first field */
    nng_msg *msg; /* the reply it points into, when it owns one */
};

/* The outcomes of deferred calls, by the order they were made. */
struct smc_results {
    struct smc_result *v;
    size_t n, cap;
    nng_msg *shared; /* a batch's one reply, which every result points into */
};

/* smc_results_add() - a new pending result; its index in *idx.  SM_ENOMEM. */
int smc_results_add(struct smc_results *rs, size_t *idx);

/* smc_results_reply() - result @i from @msg (consumed), a whole reply
 * [status, fields...], or @rc when the call failed in transport. */
void smc_results_reply(struct smc_results *rs, size_t i, int rc, nng_msg *msg);

/* smc_results_next() - result @i from the reply [status, fields...] at @r
 * (validated bytes inside rs->shared), which then steps past it.  SM_OK or
 * SM_EPROTO. */
int smc_results_next(struct smc_results *rs, size_t i, mp_reader *r);

/* smc_results_status() / smc_results_value() - see sm_batch_status() and
 * sm_batch_value(). */
int smc_results_status(const struct smc_results *rs, size_t i);
int smc_results_value(const struct smc_results *rs, size_t i, sm_val *out);

/* SMC_RESULTS_API() - the public count/status/value readers of a type
 * (sm_batch, sm_pipeline) whose member `res` holds its results. */
#define SMC_RESULTS_API(type, prefix)                                                              \
    SM_API size_t prefix##_count(const type *x)                                                    \
    {                                                                                              \
        return x ? x->res.n : 0;                                                                   \
    }                                                                                              \
    SM_API int prefix##_status(const type *x, size_t i)                                            \
    {                                                                                              \
        return x ? smc_results_status(&x->res, i) : SM_EINVAL;                                     \
    }                                                                                              \
    SM_API int prefix##_value(const type *x, size_t i, sm_val *out)                                \
    {                                                                                              \
        return x ? smc_results_value(&x->res, i, out) : SM_EINVAL;                                 \
    }

/* smc_results_reset() - forget every result (the next is index 0 again),
 * keeping the array; smc_results_clear() frees it as well. */
void smc_results_reset(struct smc_results *rs);
void smc_results_clear(struct smc_results *rs);

/* smc_thread_id() - the caller's thread id for lock ops: unique within the
 * process, never 0. */
uint64_t smc_thread_id(void);

/* ---- values (values.c) -------------------------------------------------- */

/**
 * smc_read_val() - read the next object of a validated reply as an owned
 * sm_val (see the header comment for the mapping).  SM_OK, SM_EPROTO or
 * SM_ENOMEM; *out is nil on failure.
 */
int smc_read_val(mp_reader *r, sm_val *out);

/* ---- object handles ----------------------------------------------------- */

/* What every typed handle (struct sm_dict, sm_list, ...) starts with.
 * @handle and @gen are read and written under the client's state lock
 * (conn.h); everything else is fixed at open. */
struct smc_obj {
    sm_client *c;
    uint64_t handle; /* the broker's number for it on connection @gen */
    uint64_t gen;    /* connection generation @handle belongs to */
    unsigned type;   /* SM_T_* */
    int flags;       /* as opened: SM_CREATE, SM_EXCL, SM_TEMP */
    char *name;
    uint8_t *opts; /* the packed options field as first sent, or NULL */
    size_t optslen;
};

/* Packs the open request's options field; NULL: the field is omitted. */
typedef int smc_pack_opts_fn(struct smc_req *rq, const void *opts);

/**
 * smc_obj_open() - open @name as @type with @flags (SM_CREATE|SM_EXCL|
 * SM_TEMP) and allocate a handle of @size bytes (a struct whose first member
 * is struct smc_obj).  @pack_opts (may be NULL) packs @opts.  Returns SM_OK
 * and *out, SM_EINVAL for a bad name or flags, or the broker's status.
 * The handle keeps the name, flags and packed options: after a reconnect
 * its next use opens it again with the same flags minus SM_EXCL.
 */
int smc_obj_open(sm_client *c, const char *name, int flags, unsigned type,
                 smc_pack_opts_fn *pack_opts, const void *opts, size_t size, struct smc_obj **out);

/* smc_obj_close() - tell the broker (errors ignored; nothing is sent when
 * the handle belongs to an older connection) and free; NULL is fine. */
void smc_obj_close(struct smc_obj *o);

/**
 * smc_obj_resolve() - make @o's handle one of the current connection: when
 * it belongs to an older one, open it again by name (flags minus SM_EXCL,
 * the same options).  Returns SM_OK, the broker's status for the open
 * (SM_ENOENT when it was opened without SM_CREATE and is gone) or SM_ECONN.
 */
int smc_obj_resolve(struct smc_obj *o);

#endif
