/* obj_array.c - PLACEHOLDER: being written (issue 3); every op answers SM_ENOTSUP. */
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

const struct obj_type obj_array_type = {
    .code = SM_T_ARRAY,
    .name = "array",
    .create = create,
    .destroy = destroy,
    .size = size,
};

int op_array_get(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}

int op_array_set(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}

int op_array_getslice(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}

int op_array_setslice(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}

int op_array_len(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}
