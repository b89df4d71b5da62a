/* obj_queue.c - PLACEHOLDER: being written (issue 3); every op answers SM_ENOTSUP. */
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

const struct obj_type obj_queue_type = {
    .code = SM_T_QUEUE,
    .name = "queue",
    .create = create,
    .destroy = destroy,
    .size = size,
};

int op_queue_put(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}

int op_queue_get(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}

int op_queue_qsize(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}

int op_queue_empty(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}

int op_queue_full(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}

int op_queue_task_done(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}

int op_queue_join(struct call *c)
{
    (void)c;
    return SM_ENOTSUP;
}
