/* obj_barrier.c - PLACEHOLDER: being written (issue 3); every op answers SM_ENOTSUP. */
#include <stdlib.h>

#include "core.h"

static int create(struct core *core, const struct arg *opts, struct object **out)
{
    (void)core;
    (void)opts;
    (void)out;
    return SM_ENOTSUP;
}

static void destroy(struct core *core, struct object *o)
{
    (void)core;
    free(o);
}

static size_t size(const struct object *o)
{
    (void)o;
    return 0;
}

const struct obj_type obj_barrier_type = {
    .code = SM_T_BARRIER,
    .name = "barrier",
    .create = create,
    .destroy = destroy,
    .size = size,
};

int op_barrier_wait(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}

int op_barrier_abort(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}

int op_barrier_reset(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}

int op_barrier_parties(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}

int op_barrier_n_waiting(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}

int op_barrier_broken(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}
