/*
 * pipeline.c - sm_pipeline: the calls a thread makes on a client after
 * sm_pipeline_begin() are sent at once without waiting for their replies
 * (they return SM_EQUEUED), at most `depth` in flight, each on its own REQ
 * context; a call past the depth first collects the oldest reply.  As for a
 * batch, smc_call() hands the typed functions' requests to this thread's
 * sink, and results.c keeps the outcomes by call order.
 *
 * Slot k carries calls k, k + depth, k + 2*depth, ...: reusing a slot means
 * waiting for the oldest call in flight.  Its aio callback turns a finished
 * send into a receive and signals the reply.  A lost connection cancels
 * every context (client.c): calls in flight end with SM_ECONN, never resent.
 * On the direct ipc transport (ipc_direct.h) a slot has no aio: its call is
 * sent at once and its reply collected when the slot is needed again.
 */
#include <pthread.h>
#include <stdlib.h>

#include "client_internal.h"

struct slot {
    struct sm_pipeline *p;
    struct smc_thread *t;
    size_t idx;   /* the call it carries */
    bool busy;    /* a call in flight or uncollected */
    bool sending; /* its send has not completed yet */
    bool done;    /* reply in (or failure), under p->mu */
    int rc;
};

struct sm_pipeline {
    struct smc_sink sink; /* first: the sink is the pipeline */
    struct smc_results res;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct slot *slots;
    unsigned depth;
    size_t calls; /* calls made since the last reset */
    bool open;    /* calls are being queued */
};

/* slot_cb() - an operation of @arg's context finished. */
static void slot_cb(void *arg)
{
    struct slot *s = arg;
    int rc = smc_ctx_result(s->t, s->sending);
    if (rc == SM_OK && s->sending) {
        s->sending = false;
        if ((rc = smc_ctx_start(s->t, NULL)) == SM_OK)
            return; /* now wait for the reply */
    }
    pthread_mutex_lock(&s->p->mu);
    s->rc = rc;
    s->done = true;
    pthread_cond_broadcast(&s->p->cv);
    pthread_mutex_unlock(&s->p->mu);
}

/* collect() - wait for @s's call and store its outcome. */
static void collect(sm_pipeline *p, struct slot *s)
{
    nng_msg *msg = NULL;
    if (smc_ctx_direct(s->t)) { /* no callback: wait for the reply here */
        s->rc = smc_ctx_wait(s->t, &msg);
        smc_results_reply(&p->res, s->idx, s->rc, msg);
        s->busy = false;
        return;
    }
    pthread_mutex_lock(&p->mu);
    while (!s->done)
        pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    nng_aio *aio = smc_ctx_aio(s->t);
    msg = s->rc == SM_OK ? nng_aio_get_msg(aio) : NULL;
    nng_aio_set_msg(aio, NULL);
    smc_results_reply(&p->res, s->idx, s->rc, msg);
    s->busy = s->done = false;
}

/* take() - send one request on the next slot, collecting its last call. */
static int take(struct smc_sink *sink, nng_msg *msg)
{
    sm_pipeline *p = (sm_pipeline *)sink;
    struct slot *s = &p->slots[p->calls % p->depth];
    size_t idx;
    if (s->busy)
        collect(p, s);
    if (smc_results_add(&p->res, &idx)) {
        nng_msg_free(msg);
        return SM_ENOMEM;
    }
    p->calls++;
    s->idx = idx;
    s->sending = true;
    int rc = smc_ctx_start(s->t, msg);
    if (rc) {
        smc_results_reply(&p->res, idx, rc, NULL);
        return rc;
    }
    s->busy = true;
    return SM_EQUEUED;
}

static void detach(sm_pipeline *p)
{
    if (smc_sink_tls == &p->sink)
        smc_sink_tls = NULL;
    p->open = false;
}

SM_API void sm_pipeline_free(sm_pipeline *p)
{
    if (!p)
        return;
    sm_pipeline_end(p);
    for (unsigned i = 0; i < p->depth; i++)
        if (p->slots[i].t)
            smc_ctx_close(p->slots[i].t);
    free(p->slots);
    smc_results_clear(&p->res);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

SM_API int sm_pipeline_begin(sm_client *c, unsigned depth, sm_pipeline **out)
{
    SMC_NEED(c && out && depth >= 1 && depth <= SM_PIPELINE_MAX);
    *out = NULL;
    if (smc_sink_tls)
        return SM_EINVAL; /* this thread already has a batch or pipeline open */
    sm_pipeline *p = calloc(1, sizeof(*p));
    if (!p || !(p->slots = calloc(depth, sizeof(*p->slots)))) {
        free(p);
        return SM_ENOMEM;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    p->sink = (struct smc_sink){.c = c, .take = take};
    p->depth = depth;
    int rc = SM_OK;
    for (unsigned i = 0; i < depth && !rc; i++) {
        p->slots[i].p = p;
        rc = smc_ctx_open(c, slot_cb, &p->slots[i], &p->slots[i].t);
    }
    if (rc) {
        sm_pipeline_free(p);
        return rc;
    }
    p->open = true;
    smc_sink_tls = &p->sink;
    *out = p;
    return SM_OK;
}

SM_API int sm_pipeline_sync(sm_pipeline *p)
{
    SMC_NEED(p);
    int rc = SM_OK;
    for (size_t k = 0; k < p->depth; k++) {
        struct slot *s = &p->slots[(p->calls + k) % p->depth]; /* oldest first */
        if (s->busy)
            collect(p, s);
    }
    for (size_t i = 0; i < p->res.n && !rc; i++)
        if (p->res.v[i].status == SM_ECONN)
            rc = SM_ECONN;
    return rc;
}

SM_API int sm_pipeline_reset(sm_pipeline *p)
{
    int rc = sm_pipeline_sync(p);
    if (p) {
        smc_results_reset(&p->res);
        p->calls = 0;
    }
    return rc;
}

SM_API int sm_pipeline_end(sm_pipeline *p)
{
    SMC_NEED(p);
    int rc = sm_pipeline_sync(p);
    detach(p);
    return rc;
}

SMC_RESULTS_API(sm_pipeline, sm_pipeline)
