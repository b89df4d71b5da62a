/*
 * obj_lock.c - threading.Lock and threading.RLock with robust-mutex
 * semantics; also the mutex under every Condition (lock.h).
 *
 * The owner is a (session, client thread id) pair.  Waiters park FIFO and
 * the lock is handed to the first live one on release.  A session that ends
 * holding the lock abandons it: the next owner gets SM_EOWNERDEAD.  An RLock
 * is the same lock with a count that its owner may raise.
 */
#include <stdlib.h>

#include "admin.h"
#include "lock.h"
#include "opts.h"

struct obj_lock {
    struct object base;
    bool reentrant;          /* RLock */
    struct session *owner;   /* NULL when free */
    uint64_t owner_tid;
    uint64_t count;          /* acquisitions by the owner (1 for a Lock) */
    bool abandoned;          /* released by a dying owner, not yet re-acquired */
    struct waiter *waiters;
};

static struct obj_lock *L(const struct object *o)
{
    return (struct obj_lock *)o;
}

/* ---- type API ----------------------------------------------------------- */

static int create(bool reentrant, struct object **out)
{
    struct obj_lock *l = calloc(1, sizeof(*l));
    if (!l)
        return SM_ENOMEM;
    l->reentrant = reentrant;
    *out = &l->base;
    return SM_OK;
}

static int lock_create(struct core *core, const struct arg *opts, struct object **out)
{
    (void)core;
    return opts_any(opts) ? SM_EINVAL : create(false, out);
}

static int rlock_create(struct core *core, const struct arg *opts, struct object **out)
{
    (void)core;
    return opts_any(opts) ? SM_EINVAL : create(true, out);
}

int lock_new(struct core *core, struct object **out)
{
    int rc = lock_create(core, NULL, out);
    if (rc == SM_OK) {
        (*out)->type = &obj_lock_type;
        (*out)->refs = 1;
    }
    return rc;
}

static void lock_destroy(struct core *core, struct object *o)
{
    struct obj_lock *l = L(o);
    (void)core;
    wait_cancel_queue(&l->waiters, SM_ENOENT);
    if (l->owner)
        session_hold(l->owner, o, -1);
    free(l);
}

static size_t lock_size(const struct object *o)
{
    return L(o)->count;
}

static struct session *lock_holder(const struct object *o)
{
    return L(o)->owner;
}

/* take() - make (s, tid) the owner @count times over; returns the status
 * the new owner sees. */
static int take(struct obj_lock *l, struct session *s, uint64_t tid, uint64_t count)
{
    int status = l->abandoned ? SM_EOWNERDEAD : SM_OK;
    l->owner = s;
    l->owner_tid = tid;
    l->count = count;
    l->abandoned = false;
    session_hold(s, &l->base, 1);
    return status;
}

/* hand_over() - the lock has just become free: give it to the first live
 * waiter, with the count it asked for. */
static void hand_over(struct obj_lock *l)
{
    struct waiter *w = wait_first(l->waiters);
    if (!w)
        return;
    int status = take(l, w->sess, w->tid, (uint64_t)w->arg);
    wait_done(w, status == SM_EOWNERDEAD ? status : w->wake_status);
}

/* set_free() - no owner any more; hand over. */
static void set_free(struct obj_lock *l, bool abandoned)
{
    if (!abandoned)
        session_hold(l->owner, &l->base, -1);
    l->owner = NULL;
    l->count = 0;
    l->abandoned = abandoned;
    hand_over(l);
}

static void lock_session_end(struct core *core, struct object *o, struct session *s)
{
    (void)core;
    if (L(o)->owner == s)
        set_free(L(o), true);
}

/* lock_describe() - info: {count, abandoned}. */
static void lock_describe(const struct object *o, msgpack_packer *pk)
{
    msgpack_pack_map(pk, 2);
    admin_uint(pk, "count", L(o)->count);
    admin_bool(pk, "abandoned", L(o)->abandoned);
}

const struct obj_type obj_lock_type = {
    .code = SM_T_LOCK,
    .name = "lock",
    .create = lock_create,
    .destroy = lock_destroy,
    .size = lock_size,
    .session_end = lock_session_end,
    .holder = lock_holder,
    .describe = lock_describe,
};

const struct obj_type obj_rlock_type = {
    .code = SM_T_RLOCK,
    .name = "rlock",
    .create = rlock_create,
    .destroy = lock_destroy,
    .size = lock_size,
    .session_end = lock_session_end,
    .holder = lock_holder,
    .describe = lock_describe,
};

/* ---- the mutex API (lock.h) --------------------------------------------- */

bool lock_is_lock(const struct object *o)
{
    return o->type == &obj_lock_type || o->type == &obj_rlock_type;
}

bool lock_owned(const struct object *lock, const struct session *s, uint64_t tid)
{
    return L(lock)->owner == s && L(lock)->owner_tid == tid;
}

int lock_acquire(struct call *c, struct object *lock, int64_t timeout, uint64_t tid)
{
    struct obj_lock *l = L(lock);
    if (l->reentrant && lock_owned(lock, c->sess, tid)) {
        l->count++;
        return SM_OK;
    }
    if (!l->owner && !wait_first(l->waiters))
        return take(l, c->sess, tid, 1);
    if (timeout == 0)
        return SM_ETIMEDOUT;
    struct waiter *w = wait_park_on(c, lock, &l->waiters, timeout, SM_ETIMEDOUT);
    if (!w)
        return wait_park_error(c);
    w->tid = tid;
    w->arg = 1;
    return SM_PARKED;
}

int lock_release(struct object *lock, struct session *s, uint64_t tid)
{
    struct obj_lock *l = L(lock);
    if (!lock_owned(lock, s, tid))
        return SM_ENOTOWNER;
    if (--l->count == 0)
        set_free(l, false);
    return SM_OK;
}

uint64_t lock_release_all(struct object *lock)
{
    uint64_t count = L(lock)->count;
    set_free(L(lock), false);
    return count;
}

void lock_reacquire(struct object *lock, struct waiter *w)
{
    struct obj_lock *l = L(lock);
    if (!l->owner && !wait_first(l->waiters)) {
        int status = take(l, w->sess, w->tid, (uint64_t)w->arg);
        wait_done(w, status == SM_EOWNERDEAD ? status : w->wake_status);
        return;
    }
    wait_move(w, lock, &l->waiters, false);
}

/* ---- commands ----------------------------------------------------------- */

int op_lock_acquire(struct call *c)
{
    return lock_acquire(c, c->obj, c->f->args[0].i, c->f->args[1].u);
}

int op_lock_release(struct call *c)
{
    return lock_release(c->obj, c->sess, c->f->args[0].u);
}

int op_lock_locked(struct call *c)
{
    (L(c->obj)->owner ? msgpack_pack_true : msgpack_pack_false)(reply_field(&c->rep));
    return SM_OK;
}

int op_rlock_acquire(struct call *c)
{
    return op_lock_acquire(c);
}

int op_rlock_release(struct call *c)
{
    return op_lock_release(c);
}

int op_rlock_locked(struct call *c)
{
    return op_lock_locked(c);
}
