/* barrier.c - sm_barrier: threading.Barrier; wait() parks on the broker,
 * which breaks the barrier on a timeout, abort(), reset() or a waiter's
 * connection ending (SM_EBROKEN). */
#include <string.h>

#include "client_internal.h"
#include "errors.h"

struct sm_barrier {
    struct smc_obj o;
};

/* pack_opts() - the options map {"parties": uint}. */
static int pack_opts(struct smc_req *rq, const void *arg)
{
    const sm_barrier_opts *opts = arg;
    msgpack_packer *pk = &rq->pk;
    if (msgpack_pack_map(pk, 1) || msgpack_pack_str_with_body(pk, "parties", strlen("parties")) ||
        msgpack_pack_uint64(pk, opts->parties))
        return SM_ENOMEM;
    return SM_OK;
}

/* Creating needs options with parties >= 1 (SM_EINVAL); opening an existing
 * barrier needs none. */
SM_API int sm_barrier_open(sm_client *c, const char *name, int flags, const sm_barrier_opts *opts,
                           sm_barrier **out)
{
    struct smc_obj *o;
    int rc = smc_obj_open(c, name, flags, SM_T_BARRIER, opts ? pack_opts : NULL, opts,
                          sizeof(sm_barrier), &o);
    if (out)
        *out = rc ? NULL : (sm_barrier *)o;
    return rc;
}

SM_API void sm_barrier_close(sm_barrier *b)
{
    smc_obj_close(b ? &b->o : NULL);
}

SM_API int sm_barrier_wait(sm_barrier *b, int timeout_ms, size_t *index)
{
    struct smc_req rq;
    size_t i;
    SMC_NEED(b);
    int rc = smc_oreq(&rq, SMOP_barrier_wait, &b->o, "t", timeout_ms);
    if (rc || (rc = smc_call_size(b->o.c, &rq, &i)))
        return rc;
    if (index)
        *index = i;
    return SM_OK;
}

/* call0() - abort or reset: no fields either way. */
static int call0(sm_barrier *b, int opcode)
{
    struct smc_req rq;
    SMC_NEED(b);
    int rc = smc_oreq(&rq, opcode, &b->o, "");
    return rc ? rc : smc_call0(b->o.c, &rq);
}

SM_API int sm_barrier_abort(sm_barrier *b)
{
    return call0(b, SMOP_barrier_abort);
}

SM_API int sm_barrier_reset(sm_barrier *b)
{
    return call0(b, SMOP_barrier_reset);
}

/* get_size() - parties or n_waiting. */
static int get_size(sm_barrier *b, int opcode, size_t *out)
{
    struct smc_req rq;
    SMC_NEED(b && out);
    int rc = smc_oreq(&rq, opcode, &b->o, "");
    return rc ? rc : smc_call_size(b->o.c, &rq, out);
}

SM_API int sm_barrier_parties(sm_barrier *b, size_t *out)
{
    return get_size(b, SMOP_barrier_parties, out);
}

SM_API int sm_barrier_n_waiting(sm_barrier *b, size_t *out)
{
    return get_size(b, SMOP_barrier_n_waiting, out);
}

SM_API int sm_barrier_broken(sm_barrier *b, bool *out)
{
    struct smc_req rq;
    SMC_NEED(b && out);
    int rc = smc_oreq(&rq, SMOP_barrier_broken, &b->o, "");
    return rc ? rc : smc_call_bool(b->o.c, &rq, out);
}
