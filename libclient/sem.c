/* sem.c - sm_sem: threading.Semaphore / BoundedSemaphore.  Waiting happens
 * on the broker; units a client holds come back when its connection ends. */
#include <limits.h>
#include <string.h>

#include "client_internal.h"
#include "errors.h"

struct sm_sem {
    struct smc_obj o;
};

/* pack_opts() - the options map {"value": uint, "bounded": bool}. */
static int pack_opts(struct smc_req *rq, const void *arg)
{
    const sm_sem_opts *opts = arg;
    msgpack_packer *pk = &rq->pk;
    if (msgpack_pack_map(pk, 2) || msgpack_pack_str_with_body(pk, "value", strlen("value")) ||
        msgpack_pack_uint64(pk, opts->value) ||
        msgpack_pack_str_with_body(pk, "bounded", strlen("bounded")) ||
        (opts->bounded ? msgpack_pack_true(pk) : msgpack_pack_false(pk)))
        return SM_ENOMEM;
    return SM_OK;
}

SM_API int sm_sem_open(sm_client *c, const char *name, int flags, const sm_sem_opts *opts,
                       sm_sem **out)
{
    struct smc_obj *o;
    int rc =
        smc_obj_open(c, name, flags, SM_T_SEM, opts ? pack_opts : NULL, opts, sizeof(sm_sem), &o);
    if (out)
        *out = rc ? NULL : (sm_sem *)o;
    return rc;
}

SM_API void sm_sem_close(sm_sem *s)
{
    smc_obj_close(s ? &s->o : NULL);
}

SM_API int sm_sem_acquire(sm_sem *s, int timeout_ms)
{
    struct smc_req rq;
    SMC_NEED(s);
    int rc = smc_oreq(&rq, SMOP_semaphore_acquire, &s->o, "t", timeout_ms);
    return rc ? rc : smc_call0(s->o.c, &rq);
}

SM_API int sm_sem_release(sm_sem *s)
{
    return sm_sem_release_n(s, 1);
}

/* sm_sem_release_n() - add @n units (n >= 1, else SM_EVALUE as in Python);
 * SM_EVALUE past a bounded semaphore's initial value, nothing released. */
SM_API int sm_sem_release_n(sm_sem *s, unsigned n)
{
    struct smc_req rq;
    SMC_NEED(s);
    int rc = smc_oreq(&rq, SMOP_semaphore_release, &s->o, "u", (uint64_t)n);
    return rc ? rc : smc_call0(s->o.c, &rq);
}

/* sm_sem_value() - the free units; SM_EVALUE if more than an unsigned holds
 * (releases of an unbounded semaphore can go that far). */
SM_API int sm_sem_value(sm_sem *s, unsigned *out)
{
    struct smc_req rq;
    uint64_t v;
    SMC_NEED(s && out);
    int rc = smc_oreq(&rq, SMOP_semaphore_value, &s->o, "");
    if (rc || (rc = smc_call_uint(s->o.c, &rq, &v)))
        return rc;
    if (v > UINT_MAX)
        return SM_EVALUE;
    *out = (unsigned)v;
    return SM_OK;
}
