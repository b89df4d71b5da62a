/*
 * client.c - requests and replies: packing a request straight into an nng
 * message, the one call every typed function goes through (the connection
 * under it is conn.c) and the common reply shapes; sm_ping, sm_strerror.
 */
#include <nng/nng.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "conn.h"
#include "errors.h"

/* ---- thread ids ---------------------------------------------------------- */

uint64_t smc_thread_id(void)
{
    static atomic_uint_fast64_t next_tid;
    static __thread uint64_t tid;
    if (tid == 0)
        tid = atomic_fetch_add(&next_tid, 1) + 1;
    return tid;
}

/* ---- one round trip ----------------------------------------------------- */

/* call_msg() - the round trip of @rq (consumed); the reply decoded into *rep. */
static int call_msg(sm_client *c, struct smc_req *rq, struct smc_reply *rep)
{
    nng_msg *m = NULL;
    memset(rep, 0, sizeof(*rep));
    int rc = conn_call(c, rq, &m);
    if (rc)
        return rc;
    rc = reply_decode(nng_msg_body(m), nng_msg_len(m), &rep->status, &rep->r, &rep->nfields);
    if (rc) {
        nng_msg_free(m);
        memset(rep, 0, sizeof(*rep));
        return SM_EPROTO;
    }
    rep->msg = m;
    return SM_OK;
}

void smc_reply_free(struct smc_reply *rep)
{
    if (rep->msg)
        nng_msg_free(rep->msg);
    memset(rep, 0, sizeof(*rep));
}

int smc_call_raw(sm_client *c, const void *req, size_t len, struct smc_reply *rep)
{
    struct smc_req rq = {0};
    memset(rep, 0, sizeof(*rep));
    if (!c || (!req && len))
        return SM_EINVAL;
    if (nng_msg_alloc(&rq.msg, len))
        return SM_ENOMEM;
    if (len)
        memcpy(nng_msg_body(rq.msg), req, len);
    return call_msg(c, &rq, rep);
}

/* ---- requests ----------------------------------------------------------- */

/* req_write() - msgpack writer appending to the request message, growing
 * it geometrically (nng grows a message to the exact size asked). */
static int req_write(void *data, const char *buf, size_t len)
{
    struct smc_req *rq = data;
    if (rq->err)
        return -1;
    size_t used = nng_msg_len(rq->msg), cap = nng_msg_capacity(rq->msg);
    if (used + len > cap) {
        size_t want = cap * 2 > used + len ? cap * 2 : used + len;
        if (nng_msg_reserve(rq->msg, want)) {
            rq->err = SM_ENOMEM;
            return -1;
        }
    }
    if (len && nng_msg_append(rq->msg, buf, len)) {
        rq->err = SM_ENOMEM;
        return -1;
    }
    return 0;
}

/* body_write() - msgpack writer appending to the sink's body. */
static int body_write(void *data, const char *buf, size_t len)
{
    struct smc_req *rq = data;
    if (rq->err)
        return -1;
    if (msgpack_sbuffer_write(rq->buf, buf, len)) {
        rq->err = SM_ENOMEM;
        return -1;
    }
    return 0;
}

/* req_open() - @rq empty, packing into @buf when not NULL, else into a new
 * message. */
static int req_open(struct smc_req *rq, msgpack_sbuffer *buf)
{
    memset(rq, 0, sizeof(*rq));
    if (buf) {
        rq->buf = buf;
        rq->start = buf->size;
        msgpack_packer_init(&rq->pk, rq, body_write);
        return SM_OK;
    }
    if (nng_msg_alloc(&rq->msg, 0) || nng_msg_reserve(rq->msg, 128)) {
        smc_req_abort(rq);
        return SM_ENOMEM;
    }
    msgpack_packer_init(&rq->pk, rq, req_write);
    return SM_OK;
}

int smc_req_begin_in(struct smc_req *rq, int opcode, uint64_t handle, uint32_t nargs,
                     msgpack_sbuffer *buf)
{
    const struct op_desc *op = op_lookup((uint64_t)opcode);
    bool has_handle = op && op->type;
    if (req_open(rq, buf))
        return SM_ENOMEM;
    rq->may_block = op && (op->flags & OPF_BLOCKING);
    msgpack_pack_array(&rq->pk, 1 + has_handle + nargs);
    msgpack_pack_uint64(&rq->pk, (uint64_t)opcode);
    if (has_handle) {
        uint8_t b[9]; /* always 9 bytes: see put_handle() in conn.c */
        smc_put_handle(b, handle);
        rq->handle_off = buf ? buf->size - rq->start : nng_msg_len(rq->msg);
        rq->pk.callback(rq, (const char *)b, sizeof(b));
    }
    if (rq->err) {
        smc_req_abort(rq);
        return SM_ENOMEM;
    }
    return SM_OK;
}

int smc_req_begin(struct smc_req *rq, int opcode, uint64_t handle, uint32_t nargs)
{
    return smc_req_begin_in(rq, opcode, handle, nargs, NULL);
}

void smc_req_abort(struct smc_req *rq)
{
    if (rq->msg)
        nng_msg_free(rq->msg);
    rq->msg = NULL;
    if (rq->buf)
        rq->buf->size = rq->start; /* the body as it was before */
    rq->buf = NULL;
}

/* ---- calls and reply shapes --------------------------------------------- */

__thread struct smc_sink *smc_sink_tls;

/* to_sink() - hand @rq to the calling thread's batch or pipeline, its
 * handle resolved and written in for the sink's connection generation. */
static int to_sink(struct smc_sink *sink, struct smc_req *rq)
{
    int rc = rq->obj ? conn_prepare(sink->c, rq, &sink->gen) : SM_OK;
    if (rc) {
        smc_req_abort(rq);
        return rc;
    }
    if (!rq->buf) {
        nng_msg *msg = rq->msg;
        rq->msg = NULL;
        return sink->take(sink, msg);
    }
    rc = sink->take(sink, NULL); /* its bytes are in the body already */
    if (rc == SM_EQUEUED)
        rq->buf = NULL; /* and stay there */
    else
        smc_req_abort(rq);
    return rc;
}

int smc_call(sm_client *c, struct smc_req *rq, struct smc_reply *rep)
{
    memset(rep, 0, sizeof(*rep));
    if (!rq->msg && !rq->buf)
        return SM_EINVAL;
    if (rq->err) {
        int rc = rq->err;
        smc_req_abort(rq);
        return rc;
    }
    struct smc_sink *sink = smc_sink_tls;
    if (sink && sink->c == c && !rq->direct && !rq->handshake)
        return to_sink(sink, rq); /* a batch or pipeline (batch.c, pipeline.c) */
    if (rq->buf) {
        /* packed into a batch that is not this call's: cannot happen */
        smc_req_abort(rq);
        return SM_EINVAL;
    }
    int rc = call_msg(c, rq, rep);
    if (rc)
        return rc;
    if (rep->status != SM_OK && rep->status != SM_EOWNERDEAD) {
        rc = rep->status;
        smc_reply_free(rep);
    }
    return rc ? rc : rep->status;
}

int smc_call0(sm_client *c, struct smc_req *rq)
{
    struct smc_reply rep;
    int rc = smc_call(c, rq, &rep);
    smc_reply_free(&rep);
    return rc;
}

/* succeeded() - a status whose reply carries fields (see smc_call()). */
static bool succeeded(int rc)
{
    return rc == SM_OK || rc == SM_EOWNERDEAD;
}

/* call1() - smc_call() expecting at least one field; the reader is left at
 * it.  The caller frees *rep whatever it returns. */
static int call1(sm_client *c, struct smc_req *rq, struct smc_reply *rep)
{
    int rc = smc_call(c, rq, rep);
    return succeeded(rc) && rep->nfields < 1 ? SM_EPROTO : rc;
}

/* One wrapper per reply shape: call1() then read the field with READ. */
#define SMC_CALL_SHAPE(fn, type, READ)                                                             \
    int fn(sm_client *c, struct smc_req *rq, type *out)                                            \
    {                                                                                              \
        struct smc_reply rep;                                                                      \
        int rc = call1(c, rq, &rep);                                                               \
        if (succeeded(rc) && (READ))                                                               \
            rc = SM_EPROTO;                                                                        \
        smc_reply_free(&rep);                                                                      \
        return rc;                                                                                 \
    }

SMC_CALL_SHAPE(smc_call_bool, bool, mp_read_bool(&rep.r, out))
SMC_CALL_SHAPE(smc_call_uint, uint64_t, mp_read_uint(&rep.r, out))
SMC_CALL_SHAPE(smc_call_int, int64_t, mp_read_int(&rep.r, out))

int smc_call_size(sm_client *c, struct smc_req *rq, size_t *out)
{
    uint64_t u;
    int rc = smc_call_uint(c, rq, &u);
    if (rc == SM_OK)
        *out = (size_t)u;
    return rc;
}

int smc_call_val(sm_client *c, struct smc_req *rq, sm_val *out)
{
    struct smc_reply rep;
    *out = sm_nil();
    int rc = call1(c, rq, &rep);
    if (succeeded(rc)) {
        int rd = smc_read_val(&rep.r, out);
        rc = rd ? rd : rc;
    }
    smc_reply_free(&rep);
    return rc;
}

/* ---- library calls ------------------------------------------------------- */

SM_API const char *sm_strerror(int rc)
{
    return sm_error_message(rc);
}

SM_API int sm_ping(sm_client *c, char **version)
{
    struct smc_req rq;
    struct smc_reply rep = {0};
    const char *s;
    uint32_t n;
    if (version)
        *version = NULL;
    if (!c)
        return SM_EINVAL;
    int rc = smc_req(&rq, SMOP_ping, 0, "");
    if (!rc && (rc = call1(c, &rq, &rep)) == SM_OK) {
        if (mp_read_str(&rep.r, &s, &n))
            rc = SM_EPROTO;
        else if (version && !(*version = strndup(s, n)))
            rc = SM_ENOMEM;
    }
    smc_reply_free(&rep);
    return rc;
}
