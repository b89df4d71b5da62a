/*
 * obj_sem.c - threading.Semaphore and BoundedSemaphore, with SEM_UNDO.
 *
 * acquire() takes a unit when one is free and nobody waits ahead, else parks
 * first-come first-served; release(n) adds n units and hands them to the
 * first live waiters.  Each session's units are counted twice: in its holds
 * (so that session_end() calls us) and in the semaphore's own table, which
 * says how many to give back when it ends and lets destroy() drop the holds.
 * A release by a session that holds no units is allowed, as in Python.
 */
#include <stdlib.h>

#include "admin.h"
#include "opts.h"
#include "wait.h"

/* Units one session has taken and not given back. */
struct sem_holder {
    UT_hash_handle hh; /* key: sess pointer */
    struct session *sess;
    uint64_t units;
};

struct obj_sem {
    struct object base;
    uint64_t value;   /* free units */
    uint64_t initial; /* the bound of a BoundedSemaphore */
    bool bounded;
    struct sem_holder *holders;
    struct waiter *waiters;
};

static struct obj_sem *S(const struct object *o)
{
    return (struct obj_sem *)o;
}

/* ---- holders ------------------------------------------------------------ */

static struct sem_holder *holder_find(struct obj_sem *sem, struct session *s)
{
    struct sem_holder *h;
    HASH_FIND_PTR(sem->holders, &s, h);
    return h;
}

static void holder_del(struct obj_sem *sem, struct sem_holder *h)
{
    HASH_DEL(sem->holders, h);
    free(h);
}

/* take() - one free unit to @s.  SM_ENOMEM (nothing taken) when its record
 * cannot be made. */
static int take(struct obj_sem *sem, struct session *s)
{
    struct sem_holder *h = holder_find(sem, s);
    if (!h) {
        if (!(h = calloc(1, sizeof(*h))))
            return SM_ENOMEM;
        h->sess = s;
        HASH_ADD_PTR(sem->holders, sess, h);
    }
    h->units++;
    sem->value--;
    session_hold(s, &sem->base, 1);
    return SM_OK;
}

/* give_back() - @s returns up to @n of the units it holds (the rest of a
 * release comes from nobody in particular). */
static void give_back(struct obj_sem *sem, struct session *s, uint64_t n)
{
    struct sem_holder *h = holder_find(sem, s);
    if (!h)
        return;
    uint64_t mine = n < h->units ? n : h->units;
    h->units -= mine;
    session_hold(s, &sem->base, -(int64_t)mine);
    if (h->units == 0)
        holder_del(sem, h);
}

/* wake() - hand free units to the first live waiters. */
static void wake(struct obj_sem *sem)
{
    struct waiter *w;
    while (sem->value > 0 && (w = wait_first(sem->waiters)))
        wait_done(w, take(sem, w->sess));
}

/* ---- type API ----------------------------------------------------------- */

static int sem_create(struct core *core, const struct arg *opts, struct object **out)
{
    static const char *const known[] = {"value", "bounded", NULL};
    uint64_t value;
    bool bounded;
    int rc;
    (void)core;
    if ((rc = opts_check(opts, known)) || (rc = opts_uint(opts, "value", 1, &value)) ||
        (rc = opts_bool(opts, "bounded", false, &bounded)))
        return rc;
    struct obj_sem *sem = calloc(1, sizeof(*sem));
    if (!sem)
        return SM_ENOMEM;
    sem->value = sem->initial = value;
    sem->bounded = bounded;
    *out = &sem->base;
    return SM_OK;
}

static void sem_destroy(struct core *core, struct object *o)
{
    struct obj_sem *sem = S(o);
    struct sem_holder *h, *tmp;
    (void)core;
    wait_cancel_queue(&sem->waiters, SM_ENOENT);
    HASH_ITER(hh, sem->holders, h, tmp) {
        session_hold(h->sess, o, -(int64_t)h->units);
        holder_del(sem, h);
    }
    free(sem);
}

static size_t sem_size(const struct object *o)
{
    return S(o)->value;
}

/* sem_session_end() - SEM_UNDO: the units @s still held come back (never
 * past a BoundedSemaphore's bound) and go to the waiters. */
static void sem_session_end(struct core *core, struct object *o, struct session *s)
{
    struct obj_sem *sem = S(o);
    struct sem_holder *h = holder_find(sem, s);
    (void)core;
    if (!h)
        return;
    uint64_t units = h->units;
    holder_del(sem, h);
    if (sem->bounded && units > sem->initial - sem->value)
        units = sem->initial - sem->value;
    if (units > UINT64_MAX - sem->value)
        units = UINT64_MAX - sem->value; /* an unbounded one released up to the top */
    sem->value += units;
    wake(sem);
}

/* sem_describe() - info: {value, initial, bounded}. */
static void sem_describe(const struct object *o, msgpack_packer *pk)
{
    msgpack_pack_map(pk, 3);
    admin_uint(pk, "value", S(o)->value);
    admin_uint(pk, "initial", S(o)->initial);
    admin_bool(pk, "bounded", S(o)->bounded);
}

const struct obj_type obj_sem_type = {
    .code = SM_T_SEM,
    .name = "semaphore",
    .create = sem_create,
    .destroy = sem_destroy,
    .size = sem_size,
    .session_end = sem_session_end,
    .describe = sem_describe,
};

/* ---- commands ----------------------------------------------------------- */

int op_semaphore_acquire(struct call *c)
{
    struct obj_sem *sem = S(c->obj);
    int64_t timeout = c->f->args[0].i;
    if (sem->value > 0 && !wait_first(sem->waiters))
        return take(sem, c->sess);
    if (timeout == 0)
        return SM_ETIMEDOUT;
    return wait_park(c, &sem->waiters, timeout, SM_ETIMEDOUT) ? SM_PARKED : wait_park_error(c);
}

/* release(n=1): n >= 1 (ValueError otherwise, as in Python); SM_EVALUE past
 * a bounded semaphore's initial value or past 2^64 - 1, changing nothing. */
int op_semaphore_release(struct call *c)
{
    struct obj_sem *sem = S(c->obj);
    uint64_t n = c->f->nargs > 0 ? c->f->args[0].u : 1;
    uint64_t room = (sem->bounded ? sem->initial : UINT64_MAX) - sem->value;
    if (n == 0 || n > room)
        return SM_EVALUE;
    give_back(sem, c->sess, n);
    sem->value += n;
    wake(sem);
    return SM_OK;
}

int op_semaphore_value(struct call *c)
{
    msgpack_pack_uint64(reply_field(&c->rep), S(c->obj)->value);
    return SM_OK;
}
