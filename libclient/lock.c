/* lock.c - sm_lock: threading.Lock with robust-mutex semantics.  Ownership
 * is per (connection, thread): acquire and release carry smc_thread_id(). */
#include "client_internal.h"
#include "errors.h"

struct sm_lock {
    struct smc_obj o;
};

SM_API int sm_lock_open(sm_client *c, const char *name, int flags, const sm_lock_opts *opts,
                        sm_lock **out)
{
    struct smc_obj *o;
    (void)opts; /* no options yet */
    int rc = smc_obj_open(c, name, flags, SM_T_LOCK, NULL, NULL, sizeof(sm_lock), &o);
    if (out)
        *out = rc ? NULL : (sm_lock *)o;
    return rc;
}

SM_API void sm_lock_close(sm_lock *l)
{
    smc_obj_close(l ? &l->o : NULL);
}

SM_API int sm_lock_acquire(sm_lock *l, int timeout_ms)
{
    struct smc_req rq;
    SMC_NEED(l);
    int rc = smc_req(&rq, SMOP_lock_acquire, l->o.handle, "tu", timeout_ms, smc_thread_id());
    return rc ? rc : smc_call0(l->o.c, &rq); /* SM_OK or SM_EOWNERDEAD: held */
}

SM_API int sm_lock_release(sm_lock *l)
{
    struct smc_req rq;
    SMC_NEED(l);
    int rc = smc_req(&rq, SMOP_lock_release, l->o.handle, "u", smc_thread_id());
    return rc ? rc : smc_call0(l->o.c, &rq);
}

SM_API int sm_lock_locked(sm_lock *l, bool *out)
{
    struct smc_req rq;
    SMC_NEED(l && out);
    int rc = smc_req(&rq, SMOP_lock_locked, l->o.handle, "");
    return rc ? rc : smc_call_bool(l->o.c, &rq, out);
}
