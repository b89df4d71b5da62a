/*
 * spin.h - adaptive busy-polling before a blocking wait.
 *
 * On this project's target machines (virtual CPUs, a few cores) waking a
 * thread that sleeps on another CPU costs tens of microseconds, more than a
 * whole request.  A waiter that expects an answer soon can instead poll
 * without blocking for a short budget first (like the kernel's busy_poll).
 * struct spin decides when that pays: a spin that ends empty-handed (a miss)
 * makes the next waits block at once, 1, 2, 4 ... up to SPIN_MAX_SKIP of
 * them; a spin that catches what it waited for (a hit) halves that penalty.
 * So a busy peer answering within the budget is polled every time, and idle
 * or overloaded peers (where polling only burns CPU another thread needs)
 * are polled about once in SPIN_MAX_SKIP waits.
 *
 * A struct spin belongs to one thread at a time; the counters may be read
 * from any thread.
 */
#ifndef SM_PROTO_SPIN_H
#define SM_PROTO_SPIN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define SPIN_MAX_SKIP 64u      /* most waits in a row that block at once */
#define SPIN_MAX_US 1000u      /* the largest budget accepted (1 ms) */

struct spin {
    _Atomic unsigned budget_us; /* one spin's length; 0: never spin */
    unsigned skip;              /* waits left that block at once */
    unsigned penalty;           /* the skip a miss sets (doubles each miss) */
    _Atomic uint64_t hits, misses;
};

/* spin_init() - a policy spinning up to @budget_us at a time (0: never). */
void spin_init(struct spin *s, unsigned budget_us);

/* spin_set_budget() - change the budget (0 turns spinning off); any thread. */
void spin_set_budget(struct spin *s, unsigned budget_us);

/**
 * spin_run() - when the policy says so, call @poll_once(@arg) until it
 * returns non-zero or the budget has passed, and learn from the outcome.
 * @poll_once returns > 0 when what it waits for came, < 0 on an error (not
 * learnt from), 0 for nothing yet.  Returns its last result: 0 means
 * nothing came (or no spin was due) and the caller should block.
 */
int spin_run(struct spin *s, int (*poll_once)(void *arg), void *arg);

#endif
