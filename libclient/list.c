/* list.c - sm_list: ListProxy.  Every function is one request built with
 * smc_req() from its ops.def row and one smc_call*() for its reply shape. */
#include "client_internal.h"
#include "errors.h"

struct sm_list {
    struct smc_obj o;
};

SM_API int sm_list_open(sm_client *c, const char *name, int flags, const sm_list_opts *opts,
                        sm_list **out)
{
    struct smc_obj *o;
    (void)opts; /* no options yet */
    int rc = smc_obj_open(c, name, flags, SM_T_LIST, NULL, NULL, sizeof(sm_list), &o);
    if (out)
        *out = rc ? NULL : (sm_list *)o;
    return rc;
}

SM_API void sm_list_close(sm_list *l)
{
    smc_obj_close(l ? &l->o : NULL);
}

SM_API int sm_list_append(sm_list *l, sm_val v)
{
    struct smc_req rq;
    SMC_NEED(l);
    int rc = smc_oreq(&rq, SMOP_list_append, &l->o, "v", &v);
    return rc ? rc : smc_call0(l->o.c, &rq);
}

SM_API int sm_list_get(sm_list *l, int64_t index, sm_val *out)
{
    struct smc_req rq;
    SMC_NEED(l && out);
    *out = sm_nil();
    int rc = smc_oreq(&rq, SMOP_list_get, &l->o, "i", index);
    return rc ? rc : smc_call_val(l->o.c, &rq, out);
}

SM_API int sm_list_len(sm_list *l, size_t *n)
{
    struct smc_req rq;
    SMC_NEED(l && n);
    int rc = smc_oreq(&rq, SMOP_list_len, &l->o, "");
    return rc ? rc : smc_call_size(l->o.c, &rq, n);
}

SM_API int sm_list_extend(sm_list *l, sm_val array)
{
    struct smc_req rq;
    SMC_NEED(l);
    int rc = smc_oreq(&rq, SMOP_list_extend, &l->o, "a", &array);
    return rc ? rc : smc_call0(l->o.c, &rq);
}

SM_API int sm_list_insert(sm_list *l, int64_t index, sm_val v)
{
    struct smc_req rq;
    SMC_NEED(l);
    int rc = smc_oreq(&rq, SMOP_list_insert, &l->o, "iv", index, &v);
    return rc ? rc : smc_call0(l->o.c, &rq);
}

SM_API int sm_list_pop(sm_list *l, int64_t index, sm_val *out)
{
    struct smc_req rq;
    SMC_NEED(l && out);
    *out = sm_nil();
    int rc = smc_oreq(&rq, SMOP_list_pop, &l->o, "i", index);
    return rc ? rc : smc_call_val(l->o.c, &rq, out);
}

SM_API int sm_list_remove(sm_list *l, sm_val v)
{
    struct smc_req rq;
    SMC_NEED(l);
    int rc = smc_oreq(&rq, SMOP_list_remove, &l->o, "v", &v);
    return rc ? rc : smc_call0(l->o.c, &rq);
}

SM_API int sm_list_index(sm_list *l, sm_val v, size_t *index)
{
    struct smc_req rq;
    SMC_NEED(l && index);
    int rc = smc_oreq(&rq, SMOP_list_index, &l->o, "v", &v);
    return rc ? rc : smc_call_size(l->o.c, &rq, index);
}

SM_API int sm_list_count(sm_list *l, sm_val v, size_t *n)
{
    struct smc_req rq;
    SMC_NEED(l && n);
    int rc = smc_oreq(&rq, SMOP_list_count, &l->o, "v", &v);
    return rc ? rc : smc_call_size(l->o.c, &rq, n);
}

SM_API int sm_list_set(sm_list *l, int64_t index, sm_val v)
{
    struct smc_req rq;
    SMC_NEED(l);
    int rc = smc_oreq(&rq, SMOP_list_set, &l->o, "iv", index, &v);
    return rc ? rc : smc_call0(l->o.c, &rq);
}

SM_API int sm_list_del(sm_list *l, int64_t index)
{
    struct smc_req rq;
    SMC_NEED(l);
    int rc = smc_oreq(&rq, SMOP_list_del, &l->o, "i", index);
    return rc ? rc : smc_call0(l->o.c, &rq);
}

SM_API int sm_list_getslice(sm_list *l, int64_t start, int64_t stop, int64_t step, sm_val *out)
{
    struct smc_req rq;
    SMC_NEED(l && out);
    *out = sm_nil();
    int rc = smc_oreq(&rq, SMOP_list_getslice, &l->o, "nnn", start, stop, step);
    return rc ? rc : smc_call_val(l->o.c, &rq, out);
}

SM_API int sm_list_setslice(sm_list *l, int64_t start, int64_t stop, int64_t step, sm_val array)
{
    struct smc_req rq;
    SMC_NEED(l);
    int rc = smc_oreq(&rq, SMOP_list_setslice, &l->o, "nnna", start, stop, step, &array);
    return rc ? rc : smc_call0(l->o.c, &rq);
}

SM_API int sm_list_delslice(sm_list *l, int64_t start, int64_t stop, int64_t step)
{
    struct smc_req rq;
    SMC_NEED(l);
    int rc = smc_oreq(&rq, SMOP_list_delslice, &l->o, "nnn", start, stop, step);
    return rc ? rc : smc_call0(l->o.c, &rq);
}

SM_API int sm_list_reverse(sm_list *l)
{
    struct smc_req rq;
    SMC_NEED(l);
    int rc = smc_oreq(&rq, SMOP_list_reverse, &l->o, "");
    return rc ? rc : smc_call0(l->o.c, &rq);
}

SM_API int sm_list_sort(sm_list *l, bool reverse)
{
    struct smc_req rq;
    SMC_NEED(l);
    int rc = smc_oreq(&rq, SMOP_list_sort, &l->o, "b", (int)reverse);
    return rc ? rc : smc_call0(l->o.c, &rq);
}

SM_API int sm_list_clear(sm_list *l)
{
    struct smc_req rq;
    SMC_NEED(l);
    int rc = smc_oreq(&rq, SMOP_list_clear, &l->o, "");
    return rc ? rc : smc_call0(l->o.c, &rq);
}

SM_API int sm_list_copy(sm_list *l, sm_val *out)
{
    struct smc_req rq;
    SMC_NEED(l && out);
    *out = sm_nil();
    int rc = smc_oreq(&rq, SMOP_list_copy, &l->o, "");
    return rc ? rc : smc_call_val(l->o.c, &rq, out);
}

SM_API int sm_list_contains(sm_list *l, sm_val v, bool *out)
{
    struct smc_req rq;
    SMC_NEED(l && out);
    int rc = smc_oreq(&rq, SMOP_list_contains, &l->o, "v", &v);
    return rc ? rc : smc_call_bool(l->o.c, &rq, out);
}
