/* lock.c - sm_lock and sm_rlock: threading.Lock and RLock with robust-mutex
 * semantics.  Ownership is per (connection, thread): acquire and release
 * carry smc_thread_id().  Both speak the same three ops, at their own
 * opcodes, through the helpers below. */
#include "client_internal.h"
#include "errors.h"

struct sm_lock {
    struct smc_obj o;
};

struct sm_rlock {
    struct smc_obj o;
};

static int open_as(sm_client *c, const char *name, int flags, unsigned type, size_t size,
                   struct smc_obj **out)
{
    return smc_obj_open(c, name, flags, type, NULL, NULL, size, out);
}

/* acquire() - SM_OK or SM_EOWNERDEAD: held; SM_ETIMEDOUT: not held. */
static int acquire(struct smc_obj *o, int opcode, int timeout_ms)
{
    struct smc_req rq;
    SMC_NEED(o);
    int rc = smc_oreq(&rq, opcode, o, "tu", timeout_ms, smc_thread_id());
    return rc ? rc : smc_call0(o->c, &rq);
}

static int release(struct smc_obj *o, int opcode)
{
    struct smc_req rq;
    SMC_NEED(o);
    int rc = smc_oreq(&rq, opcode, o, "u", smc_thread_id());
    return rc ? rc : smc_call0(o->c, &rq);
}

static int locked(struct smc_obj *o, int opcode, bool *out)
{
    struct smc_req rq;
    SMC_NEED(o && out);
    int rc = smc_oreq(&rq, opcode, o, "");
    return rc ? rc : smc_call_bool(o->c, &rq, out);
}

SM_API int sm_lock_open(sm_client *c, const char *name, int flags, const sm_lock_opts *opts,
                        sm_lock **out)
{
    struct smc_obj *o;
    (void)opts; /* no options */
    int rc = open_as(c, name, flags, SM_T_LOCK, sizeof(sm_lock), &o);
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
    return acquire(l ? &l->o : NULL, SMOP_lock_acquire, timeout_ms);
}

SM_API int sm_lock_release(sm_lock *l)
{
    return release(l ? &l->o : NULL, SMOP_lock_release);
}

SM_API int sm_lock_locked(sm_lock *l, bool *out)
{
    return locked(l ? &l->o : NULL, SMOP_lock_locked, out);
}

SM_API int sm_rlock_open(sm_client *c, const char *name, int flags, const sm_rlock_opts *opts,
                         sm_rlock **out)
{
    struct smc_obj *o;
    (void)opts; /* no options */
    int rc = open_as(c, name, flags, SM_T_RLOCK, sizeof(sm_rlock), &o);
    if (out)
        *out = rc ? NULL : (sm_rlock *)o;
    return rc;
}

SM_API void sm_rlock_close(sm_rlock *l)
{
    smc_obj_close(l ? &l->o : NULL);
}

SM_API int sm_rlock_acquire(sm_rlock *l, int timeout_ms)
{
    return acquire(l ? &l->o : NULL, SMOP_rlock_acquire, timeout_ms);
}

SM_API int sm_rlock_release(sm_rlock *l)
{
    return release(l ? &l->o : NULL, SMOP_rlock_release);
}

SM_API int sm_rlock_locked(sm_rlock *l, bool *out)
{
    return locked(l ? &l->o : NULL, SMOP_rlock_locked, out);
}
