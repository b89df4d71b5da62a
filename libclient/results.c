/*
 * results.c - the outcomes of deferred calls, shared by batches (batch.c)
 * and pipelines (pipeline.c): one slot per call in the order the calls were
 * made, each a reply status and a reader at its fields.
 */
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"

int smc_results_add(struct smc_results *rs, size_t *idx)
{
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 16;
        struct smc_result *v = realloc(rs->v, cap * sizeof(*v));
        if (!v)
            return SM_ENOMEM;
        rs->v = v;
        rs->cap = cap;
    }
    rs->v[rs->n] = (struct smc_result){.status = SM_EQUEUED};
    *idx = rs->n++;
    return SM_OK;
}

void smc_results_reply(struct smc_results *rs, size_t i, int rc, nng_msg *msg)
{
    struct smc_result *e = &rs->v[i];
    if (rc == SM_OK && !msg)
        rc = SM_EPROTO;
    if (rc == SM_OK &&
        reply_decode(nng_msg_body(msg), nng_msg_len(msg), &e->status, &e->r, &e->nfields) != SM_OK)
        rc = SM_EPROTO;
    if (rc) {
        if (msg)
            nng_msg_free(msg);
        *e = (struct smc_result){.status = rc};
        return;
    }
    e->msg = msg;
}

int smc_results_next(struct smc_results *rs, size_t i, mp_reader *r)
{
    struct smc_result *e = &rs->v[i];
    const uint8_t *p;
    size_t len;
    uint32_t n;
    int64_t status;
    if (r->end - r->p >= 2 && r->p[0] == 0x91 && r->p[1] <= 0x7f) {
        /* [fixint status], what most writes answer: no reader calls */
        *e = (struct smc_result){.status = r->p[1], .r = {r->p + 2, r->p + 2}};
        r->p += 2;
        return SM_OK;
    }
    if (mp_read_array(r, &n) || n < 1 || mp_read_int(r, &status) || status < 0 ||
        status > INT32_MAX)
        return SM_EPROTO;
    *e = (struct smc_result){.status = (int)status, .nfields = n - 1, .r = *r};
    for (uint32_t k = 1; k < n; k++)
        if (mp_read_raw(r, &p, &len))
            return SM_EPROTO;
    e->r.end = r->p; /* its own fields only */
    return SM_OK;
}

int smc_results_status(const struct smc_results *rs, size_t i)
{
    return i < rs->n ? rs->v[i].status : SM_EINVAL;
}

int smc_results_value(const struct smc_results *rs, size_t i, sm_val *out)
{
    SMC_NEED(out);
    *out = sm_nil();
    if (i >= rs->n)
        return SM_EINVAL;
    const struct smc_result *e = &rs->v[i];
    if (e->status != SM_OK && e->status != SM_EOWNERDEAD)
        return e->status;
    if (e->nfields < 1)
        return SM_OK; /* an op without a result: nil */
    mp_reader r = e->r;
    return smc_read_val(&r, out);
}

void smc_results_reset(struct smc_results *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        if (rs->v[i].msg)
            nng_msg_free(rs->v[i].msg);
    if (rs->shared)
        nng_msg_free(rs->shared);
    rs->shared = NULL;
    rs->n = 0;
}

void smc_results_clear(struct smc_results *rs)
{
    smc_results_reset(rs);
    free(rs->v);
    memset(rs, 0, sizeof(*rs));
}
