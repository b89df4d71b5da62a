/* array.c - sm_array: a shared typed Array.  Every function is one request
 * built with smc_req() from its ops.def row and one smc_call*() for its
 * reply shape. */
#include <string.h>

#include "client_internal.h"
#include "errors.h"

struct sm_array {
    struct smc_obj o;
};

/* pack_key() - a str key of the options map. */
static int pack_key(struct smc_req *rq, const char *key)
{
    return msgpack_pack_str_with_body(&rq->pk, key, strlen(key)) ? SM_ENOMEM : SM_OK;
}

/* pack_opts() - {"typecode": "q", "length": n, "initial": array}: the
 * typecode when set, the length unless an initial array gives it. */
static int pack_opts(struct smc_req *rq, const void *opts)
{
    const sm_array_opts *ao = opts;
    bool code = ao->typecode != 0, initial = ao->initial.type != SM_V_NIL;
    bool length = ao->length != 0 || !initial;
    int rc = msgpack_pack_map(&rq->pk, (size_t)code + length + initial) ? SM_ENOMEM : SM_OK;
    if (!rc && code && !(rc = pack_key(rq, "typecode")))
        rc = msgpack_pack_str_with_body(&rq->pk, &ao->typecode, 1) ? SM_ENOMEM : SM_OK;
    if (!rc && length && !(rc = pack_key(rq, "length")))
        rc = msgpack_pack_uint64(&rq->pk, ao->length) ? SM_ENOMEM : SM_OK;
    if (!rc && initial && !(rc = pack_key(rq, "initial")))
        rc = smc_pack_kind(rq, &ao->initial, MP_ARRAY);
    return rc;
}

SM_API int sm_array_open(sm_client *c, const char *name, int flags, const sm_array_opts *opts,
                         sm_array **out)
{
    struct smc_obj *o;
    int rc = smc_obj_open(c, name, flags, SM_T_ARRAY, opts ? pack_opts : NULL, opts,
                          sizeof(sm_array), &o);
    if (out)
        *out = rc ? NULL : (sm_array *)o;
    return rc;
}

SM_API void sm_array_close(sm_array *a)
{
    smc_obj_close(a ? &a->o : NULL);
}

SM_API int sm_array_get(sm_array *a, int64_t index, sm_val *out)
{
    struct smc_req rq;
    SMC_NEED(a && out);
    *out = sm_nil();
    int rc = smc_oreq(&rq, SMOP_array_get, &a->o, "i", index);
    return rc ? rc : smc_call_val(a->o.c, &rq, out);
}

SM_API int sm_array_set(sm_array *a, int64_t index, sm_val v)
{
    struct smc_req rq;
    SMC_NEED(a);
    int rc = smc_oreq(&rq, SMOP_array_set, &a->o, "iv", index, &v);
    return rc ? rc : smc_call0(a->o.c, &rq);
}

SM_API int sm_array_getslice(sm_array *a, int64_t start, int64_t stop, int64_t step, sm_val *out)
{
    struct smc_req rq;
    SMC_NEED(a && out);
    *out = sm_nil();
    int rc = smc_oreq(&rq, SMOP_array_getslice, &a->o, "nnn", start, stop, step);
    return rc ? rc : smc_call_val(a->o.c, &rq, out);
}

SM_API int sm_array_setslice(sm_array *a, int64_t start, int64_t stop, int64_t step, sm_val array)
{
    struct smc_req rq;
    SMC_NEED(a);
    int rc = smc_oreq(&rq, SMOP_array_setslice, &a->o, "nnna", start, stop, step, &array);
    return rc ? rc : smc_call0(a->o.c, &rq);
}

SM_API int sm_array_len(sm_array *a, size_t *n)
{
    struct smc_req rq;
    SMC_NEED(a && n);
    int rc = smc_oreq(&rq, SMOP_array_len, &a->o, "");
    return rc ? rc : smc_call_size(a->o.c, &rq, n);
}
