/*
 * obj_lock.c - threading.Lock with robust-mutex semantics.
 *
 * The owner is a (session, client thread id) pair.  Waiters park FIFO and
 * the lock is handed to the first of them on release.  A session that ends
 * holding the lock abandons it: the next owner gets SM_EOWNERDEAD.
 */
#include <stdlib.h>

#include "core.h"
#include "wait.h"

struct obj_lock {
    struct object base;
    struct session *owner;   /* NULL when free */
    uint64_t owner_tid;
    bool abandoned;          /* released by a dying owner, not yet re-acquired */
    struct waiter *waiters;
};

/* ---- type API ----------------------------------------------------------- */

static int lock_create(const struct arg *opts, struct object **out)
{
    (void)opts;
    struct obj_lock *l = calloc(1, sizeof(*l));
    if (!l)
        return SM_ENOMEM;
    *out = &l->base;
    return SM_OK;
}

static void lock_destroy(struct core *core, struct object *o)
{
    struct obj_lock *l = (struct obj_lock *)o;
    (void)core;
    wait_cancel_queue(&l->waiters, SM_ENOENT);
    if (l->owner)
        session_hold(l->owner, o, -1);
    free(l);
}

static size_t lock_size(const struct object *o)
{
    return ((const struct obj_lock *)o)->owner != NULL;
}

static struct session *lock_holder(const struct object *o)
{
    return ((const struct obj_lock *)o)->owner;
}

/* take() - make (s, tid) the owner; returns the status the new owner sees. */
static int take(struct obj_lock *l, struct session *s, uint64_t tid)
{
    int status = l->abandoned ? SM_EOWNERDEAD : SM_OK;
    l->owner = s;
    l->owner_tid = tid;
    l->abandoned = false;
    session_hold(s, &l->base, 1);
    return status;
}

/* hand_over() - the lock has just become free: give it to the first waiter. */
static void hand_over(struct obj_lock *l)
{
    struct waiter *w = l->waiters;
    if (w)
        wait_done(w, take(l, w->sess, w->tid));
}

static void lock_session_end(struct core *core, struct object *o, struct session *s)
{
    struct obj_lock *l = (struct obj_lock *)o;
    (void)core;
    if (l->owner != s)
        return;
    l->owner = NULL;
    l->abandoned = true;
    hand_over(l);
}

const struct obj_type obj_lock_type = {
    .code = SM_T_LOCK,
    .name = "lock",
    .create = lock_create,
    .destroy = lock_destroy,
    .size = lock_size,
    .session_end = lock_session_end,
    .holder = lock_holder,
};

/* ---- commands ----------------------------------------------------------- */

int op_lock_acquire(struct call *c)
{
    struct obj_lock *l = (struct obj_lock *)c->obj;
    int64_t timeout = c->f->args[0].i;
    uint64_t tid = c->f->args[1].u;
    if (!l->owner && !l->waiters)
        return take(l, c->sess, tid);
    if (timeout == 0)
        return SM_ETIMEDOUT;
    struct waiter *w = wait_park(c, &l->waiters, timeout, SM_ETIMEDOUT);
    if (!w)
        return SM_ELIMIT;
    w->tid = tid;
    return SM_PARKED;
}

int op_lock_release(struct call *c)
{
    struct obj_lock *l = (struct obj_lock *)c->obj;
    if (l->owner != c->sess || l->owner_tid != c->f->args[0].u)
        return SM_ENOTOWNER;
    session_hold(l->owner, c->obj, -1);
    l->owner = NULL;
    hand_over(l);
    return SM_OK;
}

int op_lock_locked(struct call *c)
{
    struct obj_lock *l = (struct obj_lock *)c->obj;
    (l->owner ? msgpack_pack_true : msgpack_pack_false)(reply_field(&c->rep));
    return SM_OK;
}
