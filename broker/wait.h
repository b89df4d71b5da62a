/*
 * wait.h - parked requests: the one place for blocking.
 *
 * A handler that cannot complete parks its request on an object's FIFO queue
 * with an optional deadline and returns SM_PARKED.  A later state change
 * completes the first suitable waiter with wait_done(); the deadline heap
 * completes expired ones with their timeout status; a session's end or the
 * object's removal cancels them.  Nothing here sleeps.
 */
#ifndef SM_BROKER_WAIT_H
#define SM_BROKER_WAIT_H

#include "core.h"

struct waiter {
    struct waiter *oprev, *onext;  /* the object queue it is parked on */
    struct waiter *sprev, *snext;  /* its session's list */
    struct waiter **queue;         /* head of that object queue */
    struct core *core;
    struct object *obj;
    struct session *sess;
    void *req;                     /* transport request to reply to */
    int64_t deadline;              /* monotonic ms, or -1: none */
    size_t heap_idx;               /* position in core->heap */
    int timeout_status;            /* reply status at the deadline */
    int wake_status;               /* status for a normal wake-up (SM_OK) */
    /* op-specific data recorded by the handler that parked */
    uint64_t opcode;
    uint64_t tid;
    int64_t arg;
    /* optional: something the waiter owns (a parked put's item), released
     * with free_data() when the waiter completes, whatever the reason,
     * unless the handler took it first (then it sets data to NULL) */
    void *data;
    void (*free_data)(void *data);
    /* its journal record when persistence is on (persist_park()), written
     * when it completes with SM_OK */
    void *jrec;
    /* optional: called at the deadline instead of replying timeout_status
     * (e.g. a barrier breaks); must complete or re-park the waiter */
    void (*on_timeout)(struct waiter *w);
    /* optional: called when the session ends (w->sess->ending is true) or
     * the broker stops (false), before the waiter is dropped (e.g. a
     * barrier breaks); must not complete it */
    void (*on_cancel)(struct waiter *w);
    struct reply rep;              /* reply fields packed by the waker */
};

/**
 * wait_park() - park @c's request on @queue for @timeout_ms (SM_FOREVER = -1
 * for none; 0 is the caller's business: it must not park).  Returns the
 * waiter (the handler may fill tid/arg) or NULL inside a batch, when a
 * parked-request limit (all, or of c->sess) is reached or memory ran out
 * (wait_park_error()).
 */
struct waiter *wait_park(struct call *c, struct waiter **queue, int64_t timeout_ms,
                         int timeout_status);

/* wait_park_error() - why wait_park() just returned NULL: SM_EINVAL inside
 * a batch (it never parks), SM_ELIMIT when a parked-request limit is
 * reached, else SM_ENOMEM. */
int wait_park_error(const struct call *c);

/* wait_park_on() - wait_park() on a queue of @obj rather than of c->obj
 * (a condition's acquire waits on its lock). */
struct waiter *wait_park_on(struct call *c, struct object *obj, struct waiter **queue,
                            int64_t timeout_ms, int timeout_status);

/* wait_first() - the first waiter on @queue whose session is still there
 * (a gone session's waiters are about to be cancelled), or NULL. */
struct waiter *wait_first(struct waiter *queue);

/* wait_move() - re-park @w at the tail of @queue of @obj, keeping its
 * deadline unless @keep_deadline is false (then it waits without one). */
void wait_move(struct waiter *w, struct object *obj, struct waiter **queue, bool keep_deadline);

/* wait_field() - the packer for the next field of @w's reply. */
msgpack_packer *wait_field(struct waiter *w);

/* wait_done() - unpark @w and send its reply with @status; frees @w. */
void wait_done(struct waiter *w, int status);

/* wait_cancel_queue() - complete every waiter on @queue with @status (the
 * object is going away: on_cancel hooks are not called). */
void wait_cancel_queue(struct waiter **queue, int status);

/* wait_cancel_session() - complete every waiter of @s with SM_ECONN (the
 * pipe is gone: the reply goes nowhere). */
void wait_cancel_session(struct session *s);

/* wait_expire() - complete every waiter whose deadline is <= @now. */
void wait_expire(struct core *core, int64_t now);

/* wait_next_deadline() - earliest deadline, or -1 when none. */
int64_t wait_next_deadline(const struct core *core);

/* wait_cancel_all() - every parked request gets @status (shutdown). */
void wait_cancel_all(struct core *core, int status);

#endif
