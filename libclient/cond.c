/* cond.c - sm_cond: threading.Condition over a named Lock/RLock or a private
 * lock.  wait() releases and re-acquires the lock on the broker; the calling
 * thread's id says who owns it. */
#include <string.h>

#include "client_internal.h"
#include "errors.h"

struct sm_cond {
    struct smc_obj o;
};

/* pack_opts() - {"lock": name} when a lock is named. */
static int pack_opts(struct smc_req *rq, const void *arg)
{
    const sm_cond_opts *opts = arg;
    if (!opts || !opts->lock)
        return msgpack_pack_nil(&rq->pk) ? SM_ENOMEM : SM_OK;
    int rc = msgpack_pack_map(&rq->pk, 1) || msgpack_pack_str_with_body(&rq->pk, "lock", 4) ||
             msgpack_pack_str_with_body(&rq->pk, opts->lock, strlen(opts->lock));
    return rc ? SM_ENOMEM : SM_OK;
}

SM_API int sm_cond_open(sm_client *c, const char *name, int flags, const sm_cond_opts *opts,
                        sm_cond **out)
{
    struct smc_obj *o;
    int rc = smc_obj_open(c, name, flags, SM_T_COND, pack_opts, opts, sizeof(sm_cond), &o);
    if (out)
        *out = rc ? NULL : (sm_cond *)o;
    return rc;
}

SM_API void sm_cond_close(sm_cond *c)
{
    smc_obj_close(c ? &c->o : NULL);
}

/* timed() - an op with fields [timeout, tid]: acquire and wait. */
static int timed(sm_cond *c, int opcode, int timeout_ms)
{
    struct smc_req rq;
    SMC_NEED(c);
    int rc = smc_oreq(&rq, opcode, &c->o, "tu", timeout_ms, smc_thread_id());
    return rc ? rc : smc_call0(c->o.c, &rq);
}

SM_API int sm_cond_acquire(sm_cond *c, int timeout_ms)
{
    return timed(c, SMOP_condition_acquire, timeout_ms);
}

SM_API int sm_cond_wait(sm_cond *c, int timeout_ms)
{
    return timed(c, SMOP_condition_wait, timeout_ms);
}

SM_API int sm_cond_release(sm_cond *c)
{
    struct smc_req rq;
    SMC_NEED(c);
    int rc = smc_oreq(&rq, SMOP_condition_release, &c->o, "u", smc_thread_id());
    return rc ? rc : smc_call0(c->o.c, &rq);
}

SM_API int sm_cond_notify(sm_cond *c, size_t n)
{
    struct smc_req rq;
    SMC_NEED(c);
    int rc = smc_oreq(&rq, SMOP_condition_notify, &c->o, "uu", (uint64_t)n, smc_thread_id());
    return rc ? rc : smc_call0(c->o.c, &rq);
}

SM_API int sm_cond_notify_all(sm_cond *c)
{
    struct smc_req rq;
    SMC_NEED(c);
    int rc = smc_oreq(&rq, SMOP_condition_notify_all, &c->o, "u", smc_thread_id());
    return rc ? rc : smc_call0(c->o.c, &rq);
}
