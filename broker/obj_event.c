/*
 * obj_event.c - threading.Event: a flag that wait() parks on until set().
 *
 * set() completes every parked wait at once; a waiter whose session ends is
 * simply dropped by the core (there is nothing to give back).
 */
#include <stdlib.h>

#include "admin.h"
#include "opts.h"
#include "wait.h"
#include "persist.h"

struct obj_event {
    struct object base;
    bool flag;
    struct waiter *waiters;
};

static struct obj_event *E(const struct object *o)
{
    return (struct obj_event *)o;
}

/* ---- type API ----------------------------------------------------------- */

static int event_create(struct core *core, const struct arg *opts, struct object **out)
{
    (void)core;
    if (opts_any(opts))
        return SM_EINVAL;
    struct obj_event *e = calloc(1, sizeof(*e));
    if (!e)
        return SM_ENOMEM;
    *out = &e->base;
    return SM_OK;
}

static void event_destroy(struct core *core, struct object *o)
{
    (void)core;
    wait_cancel_queue(&E(o)->waiters, SM_ENOENT);
    free(o);
}

/* event_size() - for ls: 1 while set. */
static size_t event_size(const struct object *o)
{
    return E(o)->flag;
}

/* event_describe() - info: {set}. */
static void event_describe(const struct object *o, msgpack_packer *pk)
{
    msgpack_pack_map(pk, 1);
    admin_bool(pk, "set", E(o)->flag);
}

/* event_dump() - a set when the flag is set. */
static void event_dump(const struct object *o, struct dump *d)
{
    if (!E(o)->flag)
        return;
    dump_op(d, SMOP_event_set, 0);
    dump_end(d);
}

const struct obj_type obj_event_type = {
    .code = SM_T_EVENT,
    .name = "event",
    .create = event_create,
    .destroy = event_destroy,
    .size = event_size,
    .describe = event_describe,
    .dump = event_dump,
};

/* ---- commands ----------------------------------------------------------- */

int op_event_set(struct call *c)
{
    struct obj_event *e = E(c->obj);
    e->flag = true;
    wait_cancel_queue(&e->waiters, SM_OK);
    return SM_OK;
}

int op_event_clear(struct call *c)
{
    E(c->obj)->flag = false;
    return SM_OK;
}

int op_event_is_set(struct call *c)
{
    (E(c->obj)->flag ? msgpack_pack_true : msgpack_pack_false)(reply_field(&c->rep));
    return SM_OK;
}

int op_event_wait(struct call *c)
{
    struct obj_event *e = E(c->obj);
    int64_t timeout = c->f->args[0].i;
    if (e->flag)
        return SM_OK;
    if (timeout == 0)
        return SM_ETIMEDOUT;
    return wait_park(c, &e->waiters, timeout, SM_ETIMEDOUT) ? SM_PARKED : wait_park_error(c);
}
