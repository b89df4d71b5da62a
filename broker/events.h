/*
 * events.h - what the broker ran, for watchers: a bounded ring of events
 * (events.c) filled by dispatch() and read by the watch.next op.
 *
 * Every request that completes at once with SM_OK or SM_EOWNERDEAD becomes
 * one event (except watch.next itself): its sequence number (from 1, never
 * reused), wall time (a batch's requests share the batch's), session id and
 * pid, opcode, the object it named (if any) and whether it was a change.  A
 * change is an op without OPF_READONLY in ops.def (writes, unlink,
 * lock/semaphore/condition/barrier state) or an open that created its
 * object.  A watcher without the monitor flag sees changes only; with it,
 * every op (reads and admin ops too).  A request that parks and completes
 * later (a queue.put woken by a get) is not an event: the op that woke it is.
 *
 * The ring keeps the last ring.cap events (EVENTS_CAP unless set before the
 * first event); a watcher that falls further behind is told how many it lost.
 */
#ifndef SM_BROKER_EVENTS_H
#define SM_BROKER_EVENTS_H

#include "core.h"

#define EVENTS_CAP 4096
#define EVENTS_PER_REPLY 256 /* most events in one watch.next reply */

/**
 * events_note() - record request @c, which its handler completed with @rc,
 * when @rc is SM_OK or SM_EOWNERDEAD, and complete every parked watcher the
 * event matches.  Called by dispatch() once per request.
 */
void events_note(struct call *c, int rc);

/* events_deinit() - free the ring (its watchers are gone with their
 * sessions by then). */
void events_deinit(struct core *core);

#endif
