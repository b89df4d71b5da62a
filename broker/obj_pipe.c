/*
 * obj_pipe.c - Pipe: a named duplex channel, multiprocessing.Pipe() between
 * any processes.  A client says which end (0 or 1) it is with every op.
 *
 * Each end has a FIFO of values sent to it by the other end, and two queues
 * of parked requests: receivers and pollers.  A send on end e goes to end
 * 1 - e: straight to its first live parked receiver (first come, first
 * served; a gone session's receiver is skipped, so it never swallows a
 * value), else into its FIFO, which wakes its parked pollers with true
 * without consuming anything.  A poll that reaches its deadline answers
 * SM_OK with false, as Connection.poll() returns False.
 */
#include <stdlib.h>

#include "admin.h"
#include "blob.h"
#include "core.h"
#include "opts.h"
#include "wait.h"
#include "persist.h"

/* One value in a FIFO. */
struct item {
    struct item *next;
    struct blob *val;
};

/* What end e of a pipe receives. */
struct end {
    struct item *head, *tail; /* values sent to it, oldest first */
    size_t n;
    struct waiter *receivers; /* parked recv() */
    struct waiter *pollers;   /* parked poll() */
};

struct pipe {
    struct object base; /* first: a struct object * is a struct pipe * */
    struct end ends[2];
};

static struct pipe *pipe_of(struct object *o)
{
    return (struct pipe *)o;
}

/* ---- FIFO --------------------------------------------------------------- */

static int fifo_push(struct end *e, const void *p, size_t len)
{
    struct item *it = malloc(sizeof(*it));
    if (!it || !(it->val = blob_new(p, len))) {
        free(it);
        return SM_ENOMEM;
    }
    it->next = NULL;
    if (e->tail)
        e->tail->next = it;
    else
        e->head = it;
    e->tail = it;
    e->n++;
    return SM_OK;
}

/* fifo_drop() - remove the oldest value (the FIFO is not empty). */
static void fifo_drop(struct end *e)
{
    struct item *it = e->head;
    if (!(e->head = it->next))
        e->tail = NULL;
    e->n--;
    blob_free(it->val);
    free(it);
}

/* ---- type API ----------------------------------------------------------- */

static int pipe_create(struct core *core, const struct arg *opts, struct object **out)
{
    (void)core;
    if (opts_any(opts))
        return SM_EINVAL; /* the end is given with every op, not at open */
    struct pipe *p = calloc(1, sizeof(*p));
    if (!p)
        return SM_ENOMEM;
    p->base.type = &obj_pipe_type;
    *out = &p->base;
    return SM_OK;
}

static void pipe_destroy(struct core *core, struct object *o)
{
    (void)core;
    for (int k = 0; k < 2; k++) {
        struct end *e = &pipe_of(o)->ends[k];
        wait_cancel_queue(&e->receivers, SM_ENOENT);
        wait_cancel_queue(&e->pollers, SM_ENOENT);
        while (e->head)
            fifo_drop(e);
    }
    free(o);
}

/* Values queued in both directions. */
static size_t pipe_size(const struct object *o)
{
    const struct pipe *p = (const struct pipe *)o;
    return p->ends[0].n + p->ends[1].n;
}

/* pipe_describe() - info: {queued0, queued1}: values waiting at each end. */
static void pipe_describe(const struct object *o, msgpack_packer *pk)
{
    const struct pipe *p = (const struct pipe *)o;
    msgpack_pack_map(pk, 2);
    admin_uint(pk, "queued0", p->ends[0].n);
    admin_uint(pk, "queued1", p->ends[1].n);
}

/* pipe_dump() - a send of each value waiting at an end, from the other end. */
static void pipe_dump(const struct object *o, struct dump *d)
{
    const struct pipe *p = (const struct pipe *)o;
    for (unsigned k = 0; k < 2; k++)
        for (const struct item *it = p->ends[k].head; it; it = it->next) {
            msgpack_packer *pk = dump_op(d, SMOP_pipe_send, 2);
            msgpack_pack_unsigned_int(pk, 1 - k);
            blob_pack(pk, it->val);
            dump_end(d);
        }
}

const struct obj_type obj_pipe_type = {
    .code = SM_T_PIPE,
    .name = "pipe",
    .create = pipe_create,
    .destroy = pipe_destroy,
    .size = pipe_size,
    .describe = pipe_describe,
    .dump = pipe_dump,
};

/* ---- commands ----------------------------------------------------------- */

/* end_arg() - the end numbered by field 0 (SM_EINVAL unless 0 or 1) in
 * *out, and its other end in *other (may be NULL). */
static int end_arg(struct call *c, struct end **out, struct end **other)
{
    uint64_t k = c->f->args[0].u;
    if (k > 1)
        return SM_EINVAL;
    *out = &pipe_of(c->obj)->ends[k];
    if (other)
        *other = &pipe_of(c->obj)->ends[1 - k];
    return SM_OK;
}

/* pack_bool() - @b as the next field of a reply whose packer is @pk (NULL
 * when there was no memory for the reply). */
static int pack_bool(msgpack_packer *pk, bool b)
{
    return !pk || (b ? msgpack_pack_true(pk) : msgpack_pack_false(pk)) ? SM_ENOMEM : SM_OK;
}

/* reply_bool() - complete @w with SM_OK and the one field @b. */
static void reply_bool(struct waiter *w, bool b)
{
    wait_done(w, pack_bool(wait_field(w), b));
}

/* hand_over() - give the value @v to the first live receiver of @e; false
 * when there is none.  A receiver whose reply cannot be packed gets
 * SM_ENOMEM and the next one is tried, so a value is queued only while no
 * live receiver waits. */
static bool hand_over(struct end *e, const struct arg *v)
{
    struct waiter *w;
    while ((w = wait_first(e->receivers))) {
        msgpack_packer *pk = wait_field(w);
        bool packed = pk && !mp_pack_raw(pk, v->raw, v->len);
        wait_done(w, packed ? SM_OK : SM_ENOMEM);
        if (packed)
            return true;
    }
    return false;
}

/* send(end, v): v goes to the other end. */
int op_pipe_send(struct call *c)
{
    const struct arg *v = &c->f->args[1];
    struct end *from, *to;
    struct waiter *w;
    int rc = end_arg(c, &from, &to);
    if (rc)
        return rc;
    if (hand_over(to, v))
        return SM_OK;
    if ((rc = fifo_push(to, v->raw, v->len)))
        return rc;
    while ((w = wait_first(to->pollers)))
        reply_bool(w, true);
    return SM_OK;
}

/* recv(end, timeout): the oldest value sent to this end; parks when there
 * is none (SM_ETIMEDOUT at the deadline, or at once for timeout 0). */
int op_pipe_recv(struct call *c)
{
    struct end *e;
    int rc = end_arg(c, &e, NULL);
    if (rc)
        return rc;
    if (e->head) {
        if (blob_pack(reply_field(&c->rep), e->head->val))
            return SM_ENOMEM;
        fifo_drop(e);
        return SM_OK;
    }
    if (c->f->args[1].i == 0)
        return SM_ETIMEDOUT;
    return wait_park(c, &e->receivers, c->f->args[1].i, SM_ETIMEDOUT) ? SM_PARKED : wait_park_error(c);
}

/* poll_timed_out() - the deadline of a parked poll: SM_OK, false. */
static void poll_timed_out(struct waiter *w)
{
    reply_bool(w, false);
}

/* poll(end, timeout): whether a value is ready for this end, waiting up to
 * timeout for one; nothing is consumed. */
int op_pipe_poll(struct call *c)
{
    struct end *e;
    int64_t timeout = c->f->args[1].i;
    int rc = end_arg(c, &e, NULL);
    if (rc)
        return rc;
    if (e->head || timeout == 0)
        return pack_bool(reply_field(&c->rep), e->head != NULL);
    struct waiter *w = wait_park(c, &e->pollers, timeout, SM_ETIMEDOUT);
    if (!w)
        return wait_park_error(c);
    w->on_timeout = poll_timed_out;
    return SM_PARKED;
}
