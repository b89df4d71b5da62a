/*
 * batch.c - sm_batch: the calls a thread makes on a client between
 * sm_batch_begin() and sm_batch_exec() are queued (they return SM_EQUEUED)
 * and then sent as one batch request [batch, [request...]] (PROTOCOL.md),
 * which the broker runs in order under one lock hold.  The typed functions
 * are not duplicated: smc_call() hands their packed requests to this
 * thread's sink.
 */
#include <stdlib.h>

#include "client_internal.h"

struct sm_batch {
    struct smc_sink sink; /* first: the sink is the batch */
    msgpack_sbuffer body; /* the queued requests, one after another */
    struct smc_results res;
    bool open; /* begun, not yet executed */
};

/* take() - queue one request: its bytes go into the batch body (they are
 * there already when @msg is NULL). */
static int take(struct smc_sink *s, nng_msg *msg)
{
    sm_batch *b = (sm_batch *)s;
    size_t idx;
    int rc = smc_results_add(&b->res, &idx);
    if (!rc && msg && msgpack_sbuffer_write(&b->body, nng_msg_body(msg), nng_msg_len(msg))) {
        b->res.n--;
        rc = SM_ENOMEM;
    }
    if (msg)
        nng_msg_free(msg);
    return rc ? rc : SM_EQUEUED;
}

/* detach() - the calling thread's calls are synchronous again. */
static void detach(sm_batch *b)
{
    if (smc_sink_tls == &b->sink)
        smc_sink_tls = NULL;
    b->open = false;
}

SM_API int sm_batch_begin(sm_client *c, sm_batch **out)
{
    SMC_NEED(c && out);
    *out = NULL;
    if (smc_sink_tls)
        return SM_EINVAL; /* this thread already has a batch or pipeline open */
    sm_batch *b = calloc(1, sizeof(*b));
    if (!b)
        return SM_ENOMEM;
    b->sink = (struct smc_sink){.c = c, .body = &b->body, .take = take};
    msgpack_sbuffer_init(&b->body);
    b->open = true;
    smc_sink_tls = &b->sink;
    *out = b;
    return SM_OK;
}

/* read_results() - one result per queued call from the reply's array. */
static int read_results(sm_batch *b, struct smc_reply *rep)
{
    uint32_t n;
    if (rep->nfields < 1 || mp_read_array(&rep->r, &n) || n != b->res.n)
        return SM_EPROTO;
    for (uint32_t i = 0; i < n; i++)
        if (smc_results_next(&b->res, i, &rep->r))
            return SM_EPROTO;
    b->res.shared = rep->msg; /* the results point into it */
    rep->msg = NULL;
    return SM_OK;
}

/* fail_all() - every queued call shares the batch's failure @rc. */
static void fail_all(sm_batch *b, int rc)
{
    for (size_t i = 0; i < b->res.n; i++)
        b->res.v[i] = (struct smc_result){.status = rc};
}

SM_API int sm_batch_exec(sm_batch *b)
{
    struct smc_req rq;
    struct smc_reply rep = {0};
    SMC_NEED(b && b->open);
    detach(b);
    int rc = smc_req_begin(&rq, SMOP_batch, 0, 1);
    if (!rc) {
        msgpack_pack_array(&rq.pk, (uint32_t)b->res.n);
        mp_pack_raw(&rq.pk, b->body.data, b->body.size);
        rq.gen = b->sink.gen; /* its handles' connection, or SM_ECONN */
        rc = smc_call(b->sink.c, &rq, &rep);
    }
    if (rc == SM_OK)
        rc = read_results(b, &rep);
    if (rc)
        fail_all(b, rc);
    smc_reply_free(&rep);
    return rc;
}

SMC_RESULTS_API(sm_batch, sm_batch)

SM_API void sm_batch_free(sm_batch *b)
{
    if (!b)
        return;
    detach(b);
    msgpack_sbuffer_destroy(&b->body);
    smc_results_clear(&b->res);
    free(b);
}
