/*
 * obj_queue.c - queue.Queue and multiprocessing.JoinableQueue over opaque
 * msgpack values.
 *
 * Items are blobs in a ring buffer, oldest first.  Three FIFO wait queues:
 * getters (queue empty), putters (queue full; each keeps its item in a blob
 * of its own until admitted) and joiners (unfinished tasks).  Invariants,
 * kept by every handler: while items are queued no live getter waits, and
 * while there is room no live putter waits.  So a new get may take an item
 * at once whenever there is one, and a new put parks whenever the queue is
 * full or live putters are queued before it.  An item goes to a getter only
 * through wait_first(), which skips sessions whose pipe is gone.
 *
 * A parked putter's blob is the waiter's data: wait_done() frees it when
 * the putter times out, is cancelled (its session ended) or the queue is
 * destroyed, unless admit_putters() took it into the queue first.
 */
#include <stdlib.h>

#include "admin.h"
#include "blob.h"
#include "core.h"
#include "opts.h"
#include "wait.h"
#include "persist.h"

#define RING_MIN 8

struct queue {
    struct object base; /* first: a struct object * is a struct queue * */
    struct blob **ring; /* items: ring[(head + i) % cap], i < len */
    size_t head, len, cap;
    uint64_t maxsize; /* 0: unbounded */
    bool joinable;
    uint64_t unfinished; /* puts not yet task_done() (joinable only) */
    struct waiter *getters, *putters, *joiners;
};

static struct queue *Q(const struct object *o)
{
    return (struct queue *)o;
}

/* ---- the ring of items -------------------------------------------------- */

static struct blob **ring_at(const struct queue *q, size_t i)
{
    return &q->ring[(q->head + i) % q->cap];
}

/* ring_resize() - move the items into a new array of @cap (>= len) slots. */
static int ring_resize(struct queue *q, size_t cap)
{
    if (cap > SIZE_MAX / sizeof(*q->ring))
        return SM_ENOMEM;
    struct blob **r = malloc(cap * sizeof(*r));
    if (!r)
        return SM_ENOMEM;
    for (size_t i = 0; i < q->len; i++)
        r[i] = *ring_at(q, i);
    free(q->ring);
    q->ring = r;
    q->cap = cap;
    q->head = 0;
    return SM_OK;
}

/* ring_push() - append @b (the queue takes it over on SM_OK). */
static int ring_push(struct queue *q, struct blob *b)
{
    if (q->len == q->cap && ring_resize(q, q->cap ? q->cap * 2 : RING_MIN))
        return SM_ENOMEM;
    *ring_at(q, q->len++) = b;
    return SM_OK;
}

/* ring_pop() - remove the oldest item and hand it to the caller.  Never
 * shrinks, so that a push right after it cannot fail. */
static struct blob *ring_pop(struct queue *q)
{
    struct blob *b = q->ring[q->head];
    q->head = (q->head + 1) % q->cap;
    q->len--;
    return b;
}

/* ring_trim() - give back half the room when three quarters are unused;
 * failing to is harmless. */
static void ring_trim(struct queue *q)
{
    if (q->cap > 4 * RING_MIN && q->len < q->cap / 4)
        ring_resize(q, q->cap / 2);
}

static bool has_room(const struct queue *q)
{
    return q->maxsize == 0 || q->len < q->maxsize;
}

/* ---- moving items ------------------------------------------------------- */

/**
 * enqueue() - a new item @b: straight to the first live getter if one
 * waits, else to the tail of the ring.  Takes @b over on SM_OK; on
 * SM_ENOMEM (the ring could not grow) @b is still the caller's.
 */
static int enqueue(struct queue *q, struct blob *b)
{
    struct waiter *w;
    while ((w = wait_first(q->getters))) {
        msgpack_packer *pk = wait_field(w);
        if (pk && blob_pack(pk, b) == SM_OK) {
            wait_done(w, SM_OK);
            blob_free(b);
            q->unfinished++;
            return SM_OK;
        }
        wait_done(w, SM_ENOMEM); /* that getter cannot be answered; try the next */
    }
    if (ring_push(q, b))
        return SM_ENOMEM;
    q->unfinished++;
    return SM_OK;
}

/* free_item() - a parked putter's item that will never be queued. */
static void free_item(void *b)
{
    blob_free(b);
}

/* admit_putters() - room has been made: move the items of the first live
 * putters into the queue, completing each with SM_OK. */
static void admit_putters(struct queue *q)
{
    struct waiter *w;
    while (has_room(q) && (w = wait_first(q->putters))) {
        if (enqueue(q, w->data) == SM_OK) {
            w->data = NULL; /* the queue has it now */
            wait_done(w, SM_OK);
        } else {
            wait_done(w, SM_ENOMEM);
        }
    }
}

/* ---- type API ----------------------------------------------------------- */

static int queue_create(struct core *core, const struct arg *opts, struct object **out)
{
    static const char *const known[] = {"maxsize", "joinable", NULL};
    uint64_t maxsize;
    bool joinable;
    (void)core;
    int rc = opts_check(opts, known);
    if (!rc)
        rc = opts_uint(opts, "maxsize", 0, &maxsize);
    if (!rc)
        rc = opts_bool(opts, "joinable", false, &joinable);
    if (rc)
        return rc;
    struct queue *q = calloc(1, sizeof(*q));
    if (!q)
        return SM_ENOMEM;
    q->maxsize = maxsize;
    q->joinable = joinable;
    *out = &q->base;
    return SM_OK;
}

static void queue_destroy(struct core *core, struct object *o)
{
    struct queue *q = Q(o);
    (void)core;
    wait_cancel_queue(&q->getters, SM_ENOENT);
    wait_cancel_queue(&q->putters, SM_ENOENT);
    wait_cancel_queue(&q->joiners, SM_ENOENT);
    while (q->len)
        blob_free(ring_pop(q));
    free(q->ring);
    free(q);
}

static size_t queue_size(const struct object *o)
{
    return Q(o)->len;
}

/* queue_describe() - info: {maxsize, qsize, unfinished, joinable,
 * getters, putters, joiners} (the last three: parked requests). */
static void queue_describe(const struct object *o, msgpack_packer *pk)
{
    const struct queue *q = Q(o);
    msgpack_pack_map(pk, 7);
    admin_uint(pk, "maxsize", q->maxsize);
    admin_uint(pk, "qsize", q->len);
    admin_uint(pk, "unfinished", q->unfinished);
    admin_bool(pk, "joinable", q->joinable);
    admin_uint(pk, "getters", admin_count(q->getters));
    admin_uint(pk, "putters", admin_count(q->putters));
    admin_uint(pk, "joiners", admin_count(q->joiners));
}

/* queue_dump() - a put of each item, oldest first.  Items taken but not
 * yet task_done() are not kept: the sessions that took them are gone. */
static void queue_dump(const struct object *o, struct dump *d)
{
    const struct queue *q = (const struct queue *)o;
    for (size_t i = 0; i < q->len; i++) {
        msgpack_packer *pk = dump_op(d, SMOP_queue_put, 2);
        blob_pack(pk, q->ring[(q->head + i) % q->cap]);
        msgpack_pack_int(pk, 0);
        dump_end(d);
    }
}

const struct obj_type obj_queue_type = {
    .code = SM_T_QUEUE,
    .name = "queue",
    .create = queue_create,
    .destroy = queue_destroy,
    .size = queue_size,
    .describe = queue_describe,
    .dump = queue_dump,
};

/* ---- commands ----------------------------------------------------------- */

static int reply_uint(struct call *c, uint64_t n)
{
    return msgpack_pack_uint64(reply_field(&c->rep), n) ? SM_ENOMEM : SM_OK;
}

static int reply_bool(struct call *c, bool b)
{
    msgpack_packer *pk = reply_field(&c->rep);
    return (b ? msgpack_pack_true(pk) : msgpack_pack_false(pk)) ? SM_ENOMEM : SM_OK;
}

/* put(v, timeout): room and nobody queued before us -> in; else wait. */
int op_queue_put(struct call *c)
{
    struct queue *q = Q(c->obj);
    const struct arg *v = &c->f->args[0];
    int64_t timeout = c->f->args[1].i;
    bool now = has_room(q) && !wait_first(q->putters);
    if (!now && timeout == 0)
        return SM_EFULL;
    struct blob *b = blob_new(v->raw, v->len);
    if (!b)
        return SM_ENOMEM;
    if (now) {
        int rc = enqueue(q, b);
        if (rc)
            blob_free(b);
        return rc;
    }
    struct waiter *w = wait_park(c, &q->putters, timeout, SM_EFULL);
    if (!w) {
        blob_free(b);
        return wait_park_error(c);
    }
    w->data = b;
    w->free_data = free_item;
    return SM_PARKED;
}

/* get(timeout): the oldest item, which frees room for a waiting putter. */
int op_queue_get(struct call *c)
{
    struct queue *q = Q(c->obj);
    int64_t timeout = c->f->args[0].i;
    if (q->len) {
        int rc = blob_pack(reply_field(&c->rep), q->ring[q->head]);
        if (rc)
            return rc;
        blob_free(ring_pop(q));
        admit_putters(q);
        ring_trim(q);
        return SM_OK;
    }
    if (timeout == 0)
        return SM_EEMPTY;
    return wait_park(c, &q->getters, timeout, SM_EEMPTY) ? SM_PARKED : wait_park_error(c);
}

int op_queue_qsize(struct call *c)
{
    return reply_uint(c, Q(c->obj)->len);
}

int op_queue_empty(struct call *c)
{
    return reply_bool(c, Q(c->obj)->len == 0);
}

int op_queue_full(struct call *c)
{
    return reply_bool(c, !has_room(Q(c->obj)));
}

/* task_done(): one fewer unfinished task; the last one releases every joiner. */
int op_queue_task_done(struct call *c)
{
    struct queue *q = Q(c->obj);
    if (!q->joinable)
        return SM_ENOTSUP;
    if (q->unfinished == 0)
        return SM_EVALUE; /* ValueError: task_done() called too many times */
    if (--q->unfinished == 0)
        wait_cancel_queue(&q->joiners, SM_OK);
    return SM_OK;
}

/* join(timeout): until every item put has been task_done(). */
int op_queue_join(struct call *c)
{
    struct queue *q = Q(c->obj);
    int64_t timeout = c->f->args[0].i;
    if (!q->joinable)
        return SM_ENOTSUP;
    if (q->unfinished == 0)
        return SM_OK;
    if (timeout == 0)
        return SM_ETIMEDOUT;
    return wait_park(c, &q->joiners, timeout, SM_ETIMEDOUT) ? SM_PARKED : wait_park_error(c);
}
