/* wait.c - parking, waking, deadlines and cancellation of blocking requests. */
#include "wait.h"
#include "persist.h"

#include <stdlib.h>
#include <utlist.h>

/* ---- deadline heap: core->heap is a binary min-heap on w->deadline ------ */

static void heap_set(struct core *core, size_t i, struct waiter *w)
{
    core->heap[i] = w;
    w->heap_idx = i;
}

static void sift_up(struct core *core, size_t i)
{
    struct waiter *w = core->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (core->heap[parent]->deadline <= w->deadline)
            break;
        heap_set(core, i, core->heap[parent]);
        i = parent;
    }
    heap_set(core, i, w);
}

static void sift_down(struct core *core, size_t i)
{
    struct waiter *w = core->heap[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= core->nheap)
            break;
        if (child + 1 < core->nheap && core->heap[child + 1]->deadline < core->heap[child]->deadline)
            child++;
        if (core->heap[child]->deadline >= w->deadline)
            break;
        heap_set(core, i, core->heap[child]);
        i = child;
    }
    heap_set(core, i, w);
}

static int heap_push(struct core *core, struct waiter *w)
{
    if (core->nheap == core->heapcap) {
        size_t cap = core->heapcap ? core->heapcap * 2 : 64;
        struct waiter **h = realloc(core->heap, cap * sizeof(*h));
        if (!h)
            return SM_ENOMEM;
        core->heap = h;
        core->heapcap = cap;
    }
    heap_set(core, core->nheap++, w);
    sift_up(core, w->heap_idx);
    return SM_OK;
}

static void heap_remove(struct core *core, struct waiter *w)
{
    size_t i = w->heap_idx;
    struct waiter *last = core->heap[--core->nheap];
    if (last != w) {
        heap_set(core, i, last);
        sift_up(core, i);
        sift_down(core, last->heap_idx);
    }
    w->deadline = -1;
}

/* ---- parking ------------------------------------------------------------ */

struct waiter *wait_park(struct call *c, struct waiter **queue, int64_t timeout_ms,
                         int timeout_status)
{
    return wait_park_on(c, c->obj, queue, timeout_ms, timeout_status);
}

struct waiter *wait_park_on(struct call *c, struct object *obj, struct waiter **queue,
                            int64_t timeout_ms, int timeout_status)
{
    struct core *core = c->core;
    if (c->in_batch || core->nparked >= core->limits.max_parked ||
        c->sess->nparked >= core->limits.max_parked_session)
        return NULL;
    struct waiter *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->queue = queue;
    w->core = core;
    w->obj = obj;
    w->sess = c->sess;
    w->req = c->req;
    w->opcode = c->f->opcode;
    w->timeout_status = timeout_status;
    w->wake_status = SM_OK;
    w->deadline = -1;
    w->jrec = core->persist ? persist_park(c) : NULL;
    if (timeout_ms >= 0) {
        w->deadline = now_ms() + timeout_ms;
        if (heap_push(core, w)) {
            free(w->jrec);
            free(w);
            return NULL;
        }
        if (w->heap_idx == 0 && core->deadline_changed)
            core->deadline_changed(core->hook_arg);
    }
    DL_APPEND2(*queue, w, oprev, onext);
    DL_APPEND2(c->sess->waiters, w, sprev, snext);
    core->nparked++;
    c->sess->nparked++;
    if (w->obj)
        w->obj->nwaiters++;
    return w;
}

struct waiter *wait_first(struct waiter *queue)
{
    struct waiter *w;
    DL_FOREACH2(queue, w, onext)
        if (!w->sess->gone)
            return w;
    return NULL;
}

void wait_move(struct waiter *w, struct object *obj, struct waiter **queue, bool keep_deadline)
{
    DL_DELETE2(*w->queue, w, oprev, onext);
    if (!keep_deadline && w->deadline >= 0)
        heap_remove(w->core, w);
    if (w->obj)
        w->obj->nwaiters--;
    w->obj = obj;
    obj->nwaiters++;
    w->queue = queue;
    DL_APPEND2(*queue, w, oprev, onext);
}

int wait_park_error(const struct call *c)
{
    const struct limits *l = &c->core->limits;
    if (c->in_batch)
        return SM_EINVAL; /* a batch never waits (batch.h) */
    return c->core->nparked >= l->max_parked || c->sess->nparked >= l->max_parked_session
               ? SM_ELIMIT
               : SM_ENOMEM;
}

msgpack_packer *wait_field(struct waiter *w)
{
    if (!w->rep.msg && reply_begin(&w->rep))
        return NULL;
    return reply_field(&w->rep);
}

void wait_done(struct waiter *w, int status)
{
    struct core *core = w->core;
    DL_DELETE2(*w->queue, w, oprev, onext);
    DL_DELETE2(w->sess->waiters, w, sprev, snext);
    if (w->deadline >= 0)
        heap_remove(core, w);
    core->nparked--;
    w->sess->nparked--;
    if (w->obj)
        w->obj->nwaiters--;
    if (!w->rep.msg)
        reply_begin(&w->rep); /* on ENOMEM the transport gets NULL: no reply */
    if (w->data && w->free_data)
        w->free_data(w->data);
    if (status == SM_OK && w->jrec)
        persist_done(core, w->jrec); /* before the reply: it took effect now */
    else
        free(w->jrec);
    /* under group commit, what woke it may not be synced yet, and this reply
     * may leave by another way than the group's (persist.h) */
    if (status == SM_OK && persist_commit(core) != SM_OK)
        status = SM_EIO;
    nng_msg *msg = reply_finish(&w->rep, status);
    if (core->send_reply)
        core->send_reply(w->req, msg, core->hook_arg);
    else if (msg)
        nng_msg_free(msg);
    free(w);
}

void wait_cancel_queue(struct waiter **queue, int status)
{
    while (*queue)
        wait_done(*queue, status);
}

/* cancel() - drop @w with @status, letting its object react first. */
static void cancel(struct waiter *w, int status)
{
    if (w->on_cancel)
        w->on_cancel(w);
    wait_done(w, status);
}

void wait_cancel_session(struct session *s)
{
    while (s->waiters)
        cancel(s->waiters, SM_ECONN);
}

void wait_expire(struct core *core, int64_t now)
{
    while (core->nheap && core->heap[0]->deadline <= now) {
        struct waiter *w = core->heap[0];
        heap_remove(core, w);
        if (w->on_timeout)
            w->on_timeout(w);
        else
            wait_done(w, w->timeout_status);
    }
}

int64_t wait_next_deadline(const struct core *core)
{
    return core->nheap ? core->heap[0]->deadline : -1;
}

void wait_cancel_all(struct core *core, int status)
{
    struct session *s, *tmp;
    HASH_ITER(hh, core->sessions, s, tmp)
        while (s->waiters)
            cancel(s->waiters, status);
}
