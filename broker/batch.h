/*
 * batch.h - the batch op: several requests in one round trip, run in order
 * under one core-lock hold (nobody sees a half-applied batch), each through
 * dispatch_call() exactly as if it came alone.  There is no rollback: a
 * sub-request that fails reports its status in its slot and the next ones
 * still run (as Redis's MULTI/EXEC).
 */
#ifndef SM_BROKER_BATCH_H
#define SM_BROKER_BATCH_H

#include "codec.h"

/**
 * batch_sub_check() - the extra rules for a request inside a batch, after
 * the normal checks: a nested batch or a handshake op is SM_EINVAL, and
 * every timeout field is forced to 0 so a blocking op tries once and never
 * parks (queue.get answers SM_EEMPTY, lock.acquire SM_ETIMEDOUT, ...).  An
 * op that could only complete by waiting (condition.wait) then gets
 * SM_EINVAL from wait_park_error().
 */
int batch_sub_check(struct frame *f);

#endif
