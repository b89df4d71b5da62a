/*
 * lock.h - the mutex shared by Lock, RLock and Condition (obj_lock.c).
 *
 * Owner = (session, client thread id).  A condition works on its lock
 * through these functions, so that waiting, hand-over and abandonment are
 * written once.
 */
#ifndef SM_BROKER_LOCK_H
#define SM_BROKER_LOCK_H

#include "core.h"
#include "wait.h"

/* lock_new() - a private, unnamed lock (a condition's own). */
int lock_new(struct core *core, struct object **out);

/* lock_is_lock() - @o is a Lock or an RLock. */
bool lock_is_lock(const struct object *o);

/* lock_acquire() - the acquire op on @lock for @c: SM_OK, SM_EOWNERDEAD,
 * SM_ETIMEDOUT, SM_ELIMIT or SM_PARKED. */
int lock_acquire(struct call *c, struct object *lock, int64_t timeout, uint64_t tid);

/* lock_release() - one release by (s, tid): SM_OK or SM_ENOTOWNER. */
int lock_release(struct object *lock, struct session *s, uint64_t tid);

/* lock_owned() - (s, tid) holds @lock. */
bool lock_owned(const struct object *lock, const struct session *s, uint64_t tid);

/* lock_release_all() - release @lock entirely (an RLock's whole count) for
 * a condition wait; returns the count to restore later. */
uint64_t lock_release_all(struct object *lock);

/* lock_reacquire() - give @w (a condition waiter; w->tid, w->arg = count)
 * the lock back: at once if it is free, else @w waits at the tail of the
 * lock's queue without a deadline.  Its reply is w->wake_status, or
 * SM_EOWNERDEAD if the lock was abandoned. */
void lock_reacquire(struct object *lock, struct waiter *w);

#endif
