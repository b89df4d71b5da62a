/*
 * obj_cond.c - threading.Condition over a named Lock/RLock or a private one.
 *
 * wait() releases the lock entirely and parks on the condition; notify()
 * (by the lock's owner) moves waiters to the lock's queue, so that they
 * re-acquire it before their reply goes out.  A wait that times out also
 * re-acquires the lock before answering SM_ETIMEDOUT, as Python's does.
 */
#include <stdlib.h>

#include "admin.h"
#include "lock.h"
#include "opts.h"

struct obj_cond {
    struct object base;
    struct object *lock;     /* referenced: named (obj_ref) or private */
    struct waiter *waiters;  /* in wait(), not yet notified */
};

static struct obj_cond *C(const struct object *o)
{
    return (struct obj_cond *)o;
}

/* ---- type API ----------------------------------------------------------- */

/* find_lock() - the lock named in the options, or a new private one. */
static int find_lock(struct core *core, const struct arg *opts, struct object **out)
{
    static const char *const known[] = {"lock", NULL};
    const char *name;
    uint32_t len;
    int rc = opts_check(opts, known);
    if (rc || (rc = opts_str(opts, "lock", &name, &len)))
        return rc;
    if (!name)
        return lock_new(core, out);
    struct object *o = registry_lookup(core, name, len);
    if (!o)
        return SM_ENOENT;
    if (!lock_is_lock(o))
        return SM_ETYPE;
    obj_ref(o);
    *out = o;
    return SM_OK;
}

static int cond_create(struct core *core, const struct arg *opts, struct object **out)
{
    struct obj_cond *c = calloc(1, sizeof(*c));
    if (!c)
        return SM_ENOMEM;
    int rc = find_lock(core, opts, &c->lock);
    if (rc) {
        free(c);
        return rc;
    }
    *out = &c->base;
    return SM_OK;
}

static void cond_destroy(struct core *core, struct object *o)
{
    wait_cancel_queue(&C(o)->waiters, SM_ENOENT);
    obj_unref(core, C(o)->lock);
    free(o);
}

static size_t cond_size(const struct object *o)
{
    return o->nwaiters;
}

static struct session *cond_holder(const struct object *o)
{
    const struct object *lock = C(o)->lock;
    return lock->type->holder(lock);
}

/* cond_describe() - info: {lock: the named lock's name or nil for a
 * private one, waiters: wait()s not yet notified}. */
static void cond_describe(const struct object *o, msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    admin_str(pk, "lock", C(o)->lock->name);
    admin_uint(pk, "waiters", admin_count(C(o)->waiters));
}

const struct obj_type obj_cond_type = {
    .code = SM_T_COND,
    .name = "condition",
    .create = cond_create,
    .destroy = cond_destroy,
    .size = cond_size,
    .holder = cond_holder,
    .describe = cond_describe,
};

/* ---- commands ----------------------------------------------------------- */

int op_condition_acquire(struct call *c)
{
    return lock_acquire(c, C(c->obj)->lock, c->f->args[0].i, c->f->args[1].u);
}

int op_condition_release(struct call *c)
{
    return lock_release(C(c->obj)->lock, c->sess, c->f->args[0].u);
}

/* timed_out() - the deadline passed: re-acquire, then say SM_ETIMEDOUT. */
static void timed_out(struct waiter *w)
{
    w->wake_status = SM_ETIMEDOUT;
    lock_reacquire(C(w->obj)->lock, w);
}

int op_condition_wait(struct call *c)
{
    struct obj_cond *cond = C(c->obj);
    uint64_t tid = c->f->args[1].u;
    if (!lock_owned(cond->lock, c->sess, tid))
        return SM_ENOTOWNER;
    struct waiter *w = wait_park(c, &cond->waiters, c->f->args[0].i, SM_ETIMEDOUT);
    if (!w)
        return wait_park_error(c);
    w->tid = tid;
    w->on_timeout = timed_out;
    w->arg = (int64_t)lock_release_all(cond->lock);
    return SM_PARKED;
}

/* notify() - move up to @n live waiters to the lock's queue. */
static int notify(struct call *c, uint64_t n, uint64_t tid)
{
    struct obj_cond *cond = C(c->obj);
    struct waiter *w;
    if (!lock_owned(cond->lock, c->sess, tid))
        return SM_ENOTOWNER;
    while (n-- > 0 && (w = wait_first(cond->waiters)))
        lock_reacquire(cond->lock, w);
    return SM_OK;
}

int op_condition_notify(struct call *c)
{
    return notify(c, c->f->args[0].u, c->f->args[1].u);
}

int op_condition_notify_all(struct call *c)
{
    return notify(c, UINT64_MAX, c->f->args[0].u);
}
