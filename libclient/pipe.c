/* pipe.c - sm_pipe: one end of a named duplex channel.  The handle remembers
 * its end and sends it with every op; each function is one request built
 * with smc_req() from its ops.def row and one smc_call*() for its reply. */
#include "client_internal.h"
#include "errors.h"

struct sm_pipe {
    struct smc_obj o;
    uint64_t end; /* 0 or 1 */
};

SM_API int sm_pipe_open(sm_client *c, const char *name, int flags, const sm_pipe_opts *opts,
                        sm_pipe **out)
{
    struct smc_obj *o;
    int end = opts ? opts->end : 0;
    SMC_NEED(out);
    *out = NULL;
    SMC_NEED(end == 0 || end == 1);
    int rc = smc_obj_open(c, name, flags, SM_T_PIPE, NULL, NULL, sizeof(sm_pipe), &o);
    if (rc)
        return rc;
    *out = (sm_pipe *)o;
    (*out)->end = (uint64_t)end;
    return SM_OK;
}

SM_API void sm_pipe_close(sm_pipe *p)
{
    smc_obj_close(p ? &p->o : NULL);
}

SM_API int sm_pipe_send(sm_pipe *p, sm_val v)
{
    struct smc_req rq;
    SMC_NEED(p);
    int rc = smc_oreq(&rq, SMOP_pipe_send, &p->o, "uv", p->end, &v);
    return rc ? rc : smc_call0(p->o.c, &rq);
}

SM_API int sm_pipe_recv(sm_pipe *p, sm_val *out, int timeout_ms)
{
    struct smc_req rq;
    SMC_NEED(p && out);
    *out = sm_nil();
    int rc = smc_oreq(&rq, SMOP_pipe_recv, &p->o, "ut", p->end, timeout_ms);
    return rc ? rc : smc_call_val(p->o.c, &rq, out);
}

SM_API int sm_pipe_poll(sm_pipe *p, int timeout_ms, bool *ready)
{
    struct smc_req rq;
    SMC_NEED(p && ready);
    int rc = smc_oreq(&rq, SMOP_pipe_poll, &p->o, "ut", p->end, timeout_ms);
    return rc ? rc : smc_call_bool(p->o.c, &rq, ready);
}
