/* spin.c - adaptive busy-polling before a blocking wait (spin.h). */
#include "spin.h"

#include <sched.h>
#include <time.h>

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void spin_init(struct spin *s, unsigned budget_us)
{
    *s = (struct spin){0};
    spin_set_budget(s, budget_us);
}

void spin_set_budget(struct spin *s, unsigned budget_us)
{
    atomic_store_explicit(&s->budget_us, budget_us < SPIN_MAX_US ? budget_us : SPIN_MAX_US,
                          memory_order_relaxed);
}

/* learn() - a hit halves the penalty; a miss doubles it and skips that many. */
static void learn(struct spin *s, bool hit)
{
    if (hit) {
        s->penalty /= 2;
        atomic_fetch_add_explicit(&s->hits, 1, memory_order_relaxed);
        return;
    }
    s->penalty = s->penalty ? s->penalty * 2 : 1;
    if (s->penalty > SPIN_MAX_SKIP)
        s->penalty = SPIN_MAX_SKIP;
    s->skip = s->penalty;
    atomic_fetch_add_explicit(&s->misses, 1, memory_order_relaxed);
}

int spin_run(struct spin *s, int (*poll_once)(void *arg), void *arg)
{
    unsigned budget = atomic_load_explicit(&s->budget_us, memory_order_relaxed);
    if (budget == 0)
        return 0;
    if (s->skip > 0) {
        s->skip--;
        return 0;
    }
    int64_t end = mono_ns() + (int64_t)budget * 1000;
    int r;
    /* yielding between polls gives the CPU to any thread waiting for it
     * (the one that will answer, often): a spinner never starves it */
    while ((r = poll_once(arg)) == 0 && mono_ns() < end)
        sched_yield();
    if (r >= 0) /* an error ends the spin but teaches nothing */
        learn(s, r > 0);
    return r;
}
