/* event.c - sm_event: threading.Event; wait() parks on the broker. */
#include "client_internal.h"
#include "errors.h"

struct sm_event {
    struct smc_obj o;
};

SM_API int sm_event_open(sm_client *c, const char *name, int flags, const sm_event_opts *opts,
                         sm_event **out)
{
    struct smc_obj *o;
    (void)opts; /* no options yet */
    int rc = smc_obj_open(c, name, flags, SM_T_EVENT, NULL, NULL, sizeof(sm_event), &o);
    if (out)
        *out = rc ? NULL : (sm_event *)o;
    return rc;
}

SM_API void sm_event_close(sm_event *e)
{
    smc_obj_close(e ? &e->o : NULL);
}

/* call0() - an event op without fields either way. */
static int call0(sm_event *e, int opcode)
{
    struct smc_req rq;
    SMC_NEED(e);
    int rc = smc_oreq(&rq, opcode, &e->o, "");
    return rc ? rc : smc_call0(e->o.c, &rq);
}

SM_API int sm_event_set(sm_event *e)
{
    return call0(e, SMOP_event_set);
}

SM_API int sm_event_clear(sm_event *e)
{
    return call0(e, SMOP_event_clear);
}

SM_API int sm_event_is_set(sm_event *e, bool *out)
{
    struct smc_req rq;
    SMC_NEED(e && out);
    int rc = smc_oreq(&rq, SMOP_event_is_set, &e->o, "");
    return rc ? rc : smc_call_bool(e->o.c, &rq, out);
}

SM_API int sm_event_wait(sm_event *e, int timeout_ms)
{
    struct smc_req rq;
    SMC_NEED(e);
    int rc = smc_oreq(&rq, SMOP_event_wait, &e->o, "t", timeout_ms);
    return rc ? rc : smc_call0(e->o.c, &rq);
}
