/* value.c - sm_value: a shared Value.  Every function is one request built
 * with smc_req() from its ops.def row and one smc_call*() for its reply. */
#include "client_internal.h"
#include "errors.h"

struct sm_value {
    struct smc_obj o;
};

/* pack_opts() - {"initial": v}; only called when there is an initial value. */
static int pack_opts(struct smc_req *rq, const void *opts)
{
    const sm_value_opts *vo = opts;
    if (msgpack_pack_map(&rq->pk, 1) || msgpack_pack_str_with_body(&rq->pk, "initial", 7))
        return SM_ENOMEM;
    return smc_pack_val(rq, &vo->initial);
}

SM_API int sm_value_open(sm_client *c, const char *name, int flags, const sm_value_opts *opts,
                         sm_value **out)
{
    struct smc_obj *o;
    bool initial = opts && opts->initial.type != SM_V_NIL; /* nil: none, the default */
    int rc = smc_obj_open(c, name, flags, SM_T_VALUE, initial ? pack_opts : NULL, opts,
                          sizeof(sm_value), &o);
    if (out)
        *out = rc ? NULL : (sm_value *)o;
    return rc;
}

SM_API void sm_value_close(sm_value *v)
{
    smc_obj_close(v ? &v->o : NULL);
}

SM_API int sm_value_get(sm_value *v, sm_val *out)
{
    struct smc_req rq;
    SMC_NEED(v && out);
    *out = sm_nil();
    int rc = smc_oreq(&rq, SMOP_value_get, &v->o, "");
    return rc ? rc : smc_call_val(v->o.c, &rq, out);
}

SM_API int sm_value_set(sm_value *v, sm_val val)
{
    struct smc_req rq;
    SMC_NEED(v);
    int rc = smc_oreq(&rq, SMOP_value_set, &v->o, "v", &val);
    return rc ? rc : smc_call0(v->o.c, &rq);
}

SM_API int sm_value_incr(sm_value *v, sm_val delta, sm_val *result)
{
    struct smc_req rq;
    sm_val ignored = sm_nil();
    SMC_NEED(v);
    int rc = smc_oreq(&rq, SMOP_value_incr, &v->o, "v", &delta);
    if (!rc)
        rc = smc_call_val(v->o.c, &rq, result ? result : &ignored);
    else if (result)
        *result = sm_nil();
    sm_val_free(&ignored);
    return rc;
}

/* cas: the reply is two fields, swapped (bool) and the value held now. */
SM_API int sm_value_cas(sm_value *v, sm_val expected, sm_val desired, bool *swapped,
                        sm_val *current)
{
    struct smc_req rq;
    struct smc_reply rep = {0};
    SMC_NEED(v && swapped);
    if (current)
        *current = sm_nil();
    int rc = smc_oreq(&rq, SMOP_value_cas, &v->o, "vv", &expected, &desired);
    if (rc || (rc = smc_call(v->o.c, &rq, &rep)))
        goto out;
    if (rep.nfields < 2 || mp_read_bool(&rep.r, swapped))
        rc = SM_EPROTO;
    else if (current)
        rc = smc_read_val(&rep.r, current);
out:
    smc_reply_free(&rep);
    return rc;
}
