/* queue.c - sm_queue: queue.Queue / JoinableQueue.  Every function is one
 * request built with smc_req() from its ops.def row and one smc_call*() for
 * its reply shape; timeouts go to the broker, which does the waiting. */
#include <string.h>

#include "client_internal.h"
#include "errors.h"

struct sm_queue {
    struct smc_obj o;
};

/* pack_opts() - the options map {"maxsize": uint, "joinable": bool}. */
static int pack_opts(struct smc_req *rq, const void *arg)
{
    const sm_queue_opts *opts = arg;
    msgpack_packer *pk = &rq->pk;
    if (msgpack_pack_map(pk, 2) || msgpack_pack_str_with_body(pk, "maxsize", strlen("maxsize")) ||
        msgpack_pack_uint64(pk, opts->maxsize) ||
        msgpack_pack_str_with_body(pk, "joinable", strlen("joinable")) ||
        (opts->joinable ? msgpack_pack_true(pk) : msgpack_pack_false(pk)))
        return SM_ENOMEM;
    return SM_OK;
}

/* Without options (NULL) a queue is unbounded and not joinable. */
SM_API int sm_queue_open(sm_client *c, const char *name, int flags, const sm_queue_opts *opts,
                         sm_queue **out)
{
    struct smc_obj *o;
    int rc = smc_obj_open(c, name, flags, SM_T_QUEUE, opts ? pack_opts : NULL, opts,
                          sizeof(sm_queue), &o);
    if (out)
        *out = rc ? NULL : (sm_queue *)o;
    return rc;
}

SM_API void sm_queue_close(sm_queue *q)
{
    smc_obj_close(q ? &q->o : NULL);
}

SM_API int sm_queue_put(sm_queue *q, sm_val v, int timeout_ms)
{
    struct smc_req rq;
    SMC_NEED(q);
    int rc = smc_oreq(&rq, SMOP_queue_put, &q->o, "vt", &v, timeout_ms);
    return rc ? rc : smc_call0(q->o.c, &rq);
}

SM_API int sm_queue_get(sm_queue *q, sm_val *out, int timeout_ms)
{
    struct smc_req rq;
    SMC_NEED(q && out);
    *out = sm_nil();
    int rc = smc_oreq(&rq, SMOP_queue_get, &q->o, "t", timeout_ms);
    return rc ? rc : smc_call_val(q->o.c, &rq, out);
}

SM_API int sm_queue_qsize(sm_queue *q, size_t *n)
{
    struct smc_req rq;
    SMC_NEED(q && n);
    int rc = smc_oreq(&rq, SMOP_queue_qsize, &q->o, "");
    return rc ? rc : smc_call_size(q->o.c, &rq, n);
}

SM_API int sm_queue_empty(sm_queue *q, bool *out)
{
    struct smc_req rq;
    SMC_NEED(q && out);
    int rc = smc_oreq(&rq, SMOP_queue_empty, &q->o, "");
    return rc ? rc : smc_call_bool(q->o.c, &rq, out);
}

SM_API int sm_queue_full(sm_queue *q, bool *out)
{
    struct smc_req rq;
    SMC_NEED(q && out);
    int rc = smc_oreq(&rq, SMOP_queue_full, &q->o, "");
    return rc ? rc : smc_call_bool(q->o.c, &rq, out);
}

SM_API int sm_queue_task_done(sm_queue *q)
{
    struct smc_req rq;
    SMC_NEED(q);
    int rc = smc_oreq(&rq, SMOP_queue_task_done, &q->o, "");
    return rc ? rc : smc_call0(q->o.c, &rq);
}

SM_API int sm_queue_join(sm_queue *q, int timeout_ms)
{
    struct smc_req rq;
    SMC_NEED(q);
    int rc = smc_oreq(&rq, SMOP_queue_join, &q->o, "t", timeout_ms);
    return rc ? rc : smc_call0(q->o.c, &rq);
}
