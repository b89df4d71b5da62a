/*
 * obj_barrier.c - threading.Barrier.
 *
 * wait() parks each arrival with its index (how many were waiting before
 * it); the arrival that makes `parties` completes every parked waiter with
 * SM_OK and its index, and the next round starts empty.  A waiter's timeout,
 * abort(), or a waiter's session ending breaks the barrier: every waiter
 * gets SM_EBROKEN, and so does every wait() until reset().  reset() sends
 * SM_EBROKEN to the waiters of the interrupted round, then starts afresh.
 */
#include <stdlib.h>
#include <utlist.h>

#include "admin.h"
#include "opts.h"
#include "wait.h"

struct obj_barrier {
    struct object base;
    uint64_t parties;
    bool broken;
    struct waiter *waiters; /* this round's arrivals, w->arg = index */
};

static struct obj_barrier *B(const struct object *o)
{
    return (struct obj_barrier *)o;
}

/* n_waiting() - every parked request on a barrier is one of its waits. */
static uint64_t n_waiting(const struct obj_barrier *b)
{
    return b->base.nwaiters;
}

/* ---- type API ----------------------------------------------------------- */

static int barrier_create(struct core *core, const struct arg *opts, struct object **out)
{
    static const char *const known[] = {"parties", NULL};
    uint64_t parties;
    int rc;
    (void)core;
    if ((rc = opts_check(opts, known)) || (rc = opts_uint(opts, "parties", 0, &parties)))
        return rc;
    if (parties == 0)
        return SM_EINVAL;
    struct obj_barrier *b = calloc(1, sizeof(*b));
    if (!b)
        return SM_ENOMEM;
    b->parties = parties;
    *out = &b->base;
    return SM_OK;
}

static void barrier_destroy(struct core *core, struct object *o)
{
    (void)core;
    wait_cancel_queue(&B(o)->waiters, SM_ENOENT);
    free(o);
}

static size_t barrier_size(const struct object *o)
{
    return n_waiting(B(o));
}

/* barrier_describe() - info: {parties, n_waiting, broken}. */
static void barrier_describe(const struct object *o, msgpack_packer *pk)
{
    msgpack_pack_map(pk, 3);
    admin_uint(pk, "parties", B(o)->parties);
    admin_uint(pk, "n_waiting", n_waiting(B(o)));
    admin_bool(pk, "broken", B(o)->broken);
}

const struct obj_type obj_barrier_type = {
    .code = SM_T_BARRIER,
    .name = "barrier",
    .create = barrier_create,
    .destroy = barrier_destroy,
    .size = barrier_size,
    .describe = barrier_describe,
};

/* ---- breaking ----------------------------------------------------------- */

/* break_except() - the barrier is broken: every waiter but @keep (may be
 * NULL) gets SM_EBROKEN now. */
static void break_except(struct obj_barrier *b, struct waiter *keep)
{
    struct waiter *w, *tmp;
    b->broken = true;
    DL_FOREACH_SAFE2(b->waiters, w, tmp, onext) {
        if (w != keep)
            wait_done(w, SM_EBROKEN);
    }
}

/* timed_out() - a waiter's deadline breaks the barrier, for it too. */
static void timed_out(struct waiter *w)
{
    break_except(B(w->obj), NULL);
}

/* cancelled() - a waiter's session ended: the round can never complete;
 * the others learn it now, the core drops @w.  When the broker stops
 * instead (the session is not ending), every waiter gets the shutdown
 * status from the core and nothing breaks. */
static void cancelled(struct waiter *w)
{
    if (w->sess->ending)
        break_except(B(w->obj), w);
}

/* dead_waiter() - a waiter whose connection has closed: its session's end,
 * soon, breaks the barrier, so this round cannot complete with it. */
static bool dead_waiter(const struct obj_barrier *b)
{
    const struct waiter *w;
    DL_FOREACH2(b->waiters, w, onext)
        if (w->sess->gone)
            return true;
    return false;
}

/* ---- commands ----------------------------------------------------------- */

/* trip() - the last party arrived with @index: everyone goes, the next
 * round begins. */
static int trip(struct call *c, uint64_t index)
{
    struct obj_barrier *b = B(c->obj);
    while (b->waiters) {
        struct waiter *w = b->waiters;
        msgpack_packer *pk = wait_field(w);
        if (pk)
            msgpack_pack_uint64(pk, (uint64_t)w->arg);
        wait_done(w, pk ? SM_OK : SM_ENOMEM);
    }
    msgpack_pack_uint64(reply_field(&c->rep), index);
    return SM_OK;
}

int op_barrier_wait(struct call *c)
{
    struct obj_barrier *b = B(c->obj);
    int64_t timeout = c->f->args[0].i;
    uint64_t index = n_waiting(b);
    if (!b->broken && dead_waiter(b))
        break_except(b, NULL);
    if (b->broken)
        return SM_EBROKEN;
    if (index + 1 == b->parties)
        return trip(c, index);
    if (timeout == 0) {
        /* Python's wait(0) that is not the last arrival times out at once */
        break_except(b, NULL);
        return SM_EBROKEN;
    }
    struct waiter *w = wait_park(c, &b->waiters, timeout, SM_EBROKEN);
    if (!w)
        return wait_park_error(c);
    w->arg = (int64_t)index;
    w->on_timeout = timed_out;
    w->on_cancel = cancelled;
    return SM_PARKED;
}

int op_barrier_abort(struct call *c)
{
    break_except(B(c->obj), NULL);
    return SM_OK;
}

int op_barrier_reset(struct call *c)
{
    struct obj_barrier *b = B(c->obj);
    break_except(b, NULL);
    b->broken = false;
    return SM_OK;
}

int op_barrier_parties(struct call *c)
{
    msgpack_pack_uint64(reply_field(&c->rep), B(c->obj)->parties);
    return SM_OK;
}

int op_barrier_n_waiting(struct call *c)
{
    msgpack_pack_uint64(reply_field(&c->rep), n_waiting(B(c->obj)));
    return SM_OK;
}

int op_barrier_broken(struct call *c)
{
    (B(c->obj)->broken ? msgpack_pack_true : msgpack_pack_false)(reply_field(&c->rep));
    return SM_OK;
}
