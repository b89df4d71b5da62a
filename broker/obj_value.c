/* obj_value.c - PLACEHOLDER: being written (issue 3); every op answers SM_ENOTSUP. */
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

const struct obj_type obj_value_type = {
    .code = SM_T_VALUE,
    .name = "value",
    .create = create,
    .destroy = destroy,
    .size = size,
};

int op_value_get(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}

int op_value_set(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}

int op_value_incr(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}

int op_value_cas(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}
