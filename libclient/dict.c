/* dict.c - sm_dict: DictProxy.  Every function is one request built with
 * smc_req() from its ops.def row and one smc_call*() for its reply shape. */
#include "client_internal.h"
#include "errors.h"

struct sm_dict {
    struct smc_obj o;
};

SM_API int sm_dict_open(sm_client *c, const char *name, int flags, const sm_dict_opts *opts,
                        sm_dict **out)
{
    struct smc_obj *o;
    (void)opts; /* no options yet */
    int rc = smc_obj_open(c, name, flags, SM_T_DICT, NULL, NULL, sizeof(sm_dict), &o);
    if (out)
        *out = rc ? NULL : (sm_dict *)o;
    return rc;
}

SM_API void sm_dict_close(sm_dict *d)
{
    smc_obj_close(d ? &d->o : NULL);
}

SM_API int sm_dict_set(sm_dict *d, sm_val key, sm_val val)
{
    struct smc_req rq;
    SMC_NEED(d);
    int rc = smc_oreq(&rq, SMOP_dict_set, &d->o, "vv", &key, &val);
    return rc ? rc : smc_call0(d->o.c, &rq);
}

SM_API int sm_dict_get(sm_dict *d, sm_val key, sm_val *out)
{
    struct smc_req rq;
    SMC_NEED(d && out);
    *out = sm_nil();
    int rc = smc_oreq(&rq, SMOP_dict_get, &d->o, "v", &key);
    return rc ? rc : smc_call_val(d->o.c, &rq, out);
}

SM_API int sm_dict_del(sm_dict *d, sm_val key)
{
    struct smc_req rq;
    SMC_NEED(d);
    int rc = smc_oreq(&rq, SMOP_dict_del, &d->o, "v", &key);
    return rc ? rc : smc_call0(d->o.c, &rq);
}

SM_API int sm_dict_len(sm_dict *d, size_t *n)
{
    struct smc_req rq;
    SMC_NEED(d && n);
    int rc = smc_oreq(&rq, SMOP_dict_len, &d->o, "");
    return rc ? rc : smc_call_size(d->o.c, &rq, n);
}

SM_API int sm_dict_contains(sm_dict *d, sm_val key, bool *out)
{
    struct smc_req rq;
    SMC_NEED(d && out);
    int rc = smc_oreq(&rq, SMOP_dict_contains, &d->o, "v", &key);
    return rc ? rc : smc_call_bool(d->o.c, &rq, out);
}

SM_API int sm_dict_incr(sm_dict *d, sm_val key, int64_t delta, int64_t *result)
{
    struct smc_req rq;
    int64_t ignored;
    SMC_NEED(d);
    int rc = smc_oreq(&rq, SMOP_dict_incr, &d->o, "vi", &key, delta);
    return rc ? rc : smc_call_int(d->o.c, &rq, result ? result : &ignored);
}

/* view() - an op without fields replying one value: keys, values, items, copy. */
static int view(sm_dict *d, int op, sm_val *out)
{
    struct smc_req rq;
    SMC_NEED(d && out);
    *out = sm_nil();
    int rc = smc_oreq(&rq, op, &d->o, "");
    return rc ? rc : smc_call_val(d->o.c, &rq, out);
}

SM_API int sm_dict_keys(sm_dict *d, sm_val *out)
{
    return view(d, SMOP_dict_keys, out);
}

SM_API int sm_dict_values(sm_dict *d, sm_val *out)
{
    return view(d, SMOP_dict_values, out);
}

SM_API int sm_dict_items(sm_dict *d, sm_val *out)
{
    return view(d, SMOP_dict_items, out);
}

SM_API int sm_dict_copy(sm_dict *d, sm_val *out)
{
    return view(d, SMOP_dict_copy, out);
}

SM_API int sm_dict_pop(sm_dict *d, sm_val key, sm_val *out)
{
    struct smc_req rq;
    SMC_NEED(d && out);
    *out = sm_nil();
    int rc = smc_oreq(&rq, SMOP_dict_pop, &d->o, "v", &key);
    return rc ? rc : smc_call_val(d->o.c, &rq, out);
}

SM_API int sm_dict_pop_default(sm_dict *d, sm_val key, sm_val dflt, sm_val *out)
{
    struct smc_req rq;
    SMC_NEED(d && out);
    *out = sm_nil();
    int rc = smc_oreq(&rq, SMOP_dict_pop, &d->o, "vv", &key, &dflt);
    return rc ? rc : smc_call_val(d->o.c, &rq, out);
}

SM_API int sm_dict_popitem(sm_dict *d, sm_val *key, sm_val *val)
{
    struct smc_req rq;
    struct smc_reply rep = {0};
    SMC_NEED(d && key && val);
    *key = *val = sm_nil();
    int rc = smc_oreq(&rq, SMOP_dict_popitem, &d->o, "");
    if (rc || (rc = smc_call(d->o.c, &rq, &rep)))
        goto out;
    if (rep.nfields < 2 || (rc = smc_read_val(&rep.r, key)) || (rc = smc_read_val(&rep.r, val))) {
        sm_val_free(key);
        rc = rc ? rc : SM_EPROTO;
    }
out:
    smc_reply_free(&rep);
    return rc;
}

SM_API int sm_dict_setdefault(sm_dict *d, sm_val key, sm_val dflt, sm_val *out)
{
    struct smc_req rq;
    SMC_NEED(d && out);
    *out = sm_nil();
    int rc = smc_oreq(&rq, SMOP_dict_setdefault, &d->o, "vv", &key, &dflt);
    return rc ? rc : smc_call_val(d->o.c, &rq, out);
}

SM_API int sm_dict_update(sm_dict *d, sm_val map)
{
    struct smc_req rq;
    SMC_NEED(d);
    int rc = smc_oreq(&rq, SMOP_dict_update, &d->o, "m", &map);
    return rc ? rc : smc_call0(d->o.c, &rq);
}

SM_API int sm_dict_clear(sm_dict *d)
{
    struct smc_req rq;
    SMC_NEED(d);
    int rc = smc_oreq(&rq, SMOP_dict_clear, &d->o, "");
    return rc ? rc : smc_call0(d->o.c, &rq);
}
