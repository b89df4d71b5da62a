/* obj_event.c - PLACEHOLDER: being written (issue 3); every op answers SM_ENOTSUP. */
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

const struct obj_type obj_event_type = {
    .code = SM_T_EVENT,
    .name = "event",
    .create = create,
    .destroy = destroy,
    .size = size,
};

int op_event_set(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}

int op_event_clear(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}

int op_event_is_set(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}

int op_event_wait(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}
