/* namespace.c - sm_namespace: NamespaceProxy.  Attribute names are C
 * strings; every function is one request built with smc_req() from its
 * ops.def row and one smc_call*() for its reply shape. */
#include "client_internal.h"
#include "errors.h"

struct sm_namespace {
    struct smc_obj o;
};

SM_API int sm_namespace_open(sm_client *c, const char *name, int flags,
                             const sm_namespace_opts *opts, sm_namespace **out)
{
    struct smc_obj *o;
    (void)opts; /* no options yet */
    int rc = smc_obj_open(c, name, flags, SM_T_NAMESPACE, NULL, NULL, sizeof(sm_namespace), &o);
    if (out)
        *out = rc ? NULL : (sm_namespace *)o;
    return rc;
}

SM_API void sm_namespace_close(sm_namespace *ns)
{
    smc_obj_close(ns ? &ns->o : NULL);
}

SM_API int sm_namespace_get(sm_namespace *ns, const char *attr, sm_val *out)
{
    struct smc_req rq;
    SMC_NEED(ns && attr && out);
    *out = sm_nil();
    int rc = smc_oreq(&rq, SMOP_namespace_get, &ns->o, "s", attr);
    return rc ? rc : smc_call_val(ns->o.c, &rq, out);
}

SM_API int sm_namespace_set(sm_namespace *ns, const char *attr, sm_val v)
{
    struct smc_req rq;
    SMC_NEED(ns && attr);
    int rc = smc_oreq(&rq, SMOP_namespace_set, &ns->o, "sv", attr, &v);
    return rc ? rc : smc_call0(ns->o.c, &rq);
}

SM_API int sm_namespace_del(sm_namespace *ns, const char *attr)
{
    struct smc_req rq;
    SMC_NEED(ns && attr);
    int rc = smc_oreq(&rq, SMOP_namespace_del, &ns->o, "s", attr);
    return rc ? rc : smc_call0(ns->o.c, &rq);
}

SM_API int sm_namespace_list(sm_namespace *ns, sm_val *out)
{
    struct smc_req rq;
    SMC_NEED(ns && out);
    *out = sm_nil();
    int rc = smc_oreq(&rq, SMOP_namespace_list, &ns->o, "");
    return rc ? rc : smc_call_val(ns->o.c, &rq, out);
}
