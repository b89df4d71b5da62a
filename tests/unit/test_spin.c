/*
 * test_spin.c - the adaptive busy-poll policy (proto/spin.h): when it polls,
 * what it returns, how misses back it off and hits bring it back, and a
 * budget of 0.  No network: the poll is a counter.
 */
#include <check.h>

#include "check_run.h"
#include "spin.h"

/* A poll that answers @ready (0: nothing yet) and counts its calls. */
struct probe {
    int ready;
    unsigned calls;
};

static int poll_probe(void *arg)
{
    struct probe *p = arg;
    p->calls++;
    return p->ready;
}

/* polled() - one spin_run(): whether @p was polled at all; its result in
 * *@result. */
static bool polled(struct spin *s, struct probe *p, int *result)
{
    unsigned before = p->calls;
    *result = spin_run(s, poll_probe, p);
    return p->calls > before;
}

/* A hit returns the poll's answer on the first call and is counted. */
START_TEST(hit_returns_the_answer)
{
    struct spin s;
    struct probe p = {.ready = 7};
    int r;
    spin_init(&s, 50);
    ck_assert(polled(&s, &p, &r));
    ck_assert_int_eq(r, 7);
    ck_assert_uint_eq(p.calls, 1);
    ck_assert_uint_eq(s.hits, 1);
    ck_assert_uint_eq(s.misses, 0);
    p.ready = -1; /* an error ends the spin too, is handed back, not learnt */
    ck_assert(polled(&s, &p, &r));
    ck_assert_int_eq(r, -1);
    ck_assert_uint_eq(s.hits, 1);
    ck_assert_uint_eq(s.misses, 0);
    ck_assert(polled(&s, &p, &r)); /* no penalty either */
}
END_TEST

/* A miss polls until the budget is spent, then returns 0. */
START_TEST(miss_polls_the_whole_budget)
{
    struct spin s;
    struct probe p = {.ready = 0};
    int r;
    spin_init(&s, 200);
    ck_assert(polled(&s, &p, &r));
    ck_assert_int_eq(r, 0);
    ck_assert_uint_gt(p.calls, 1);
    ck_assert_uint_eq(s.misses, 1);
}
END_TEST

/* skipped() - how many spin_run() calls in a row block at once (return 0
 * without polling) before the next one polls (and misses again). */
static unsigned skipped(struct spin *s, struct probe *p)
{
    unsigned n = 0;
    int r;
    while (!polled(s, p, &r)) {
        ck_assert_int_eq(r, 0);
        ck_assert_uint_lt(++n, 1000);
    }
    return n;
}

/* Misses in a row skip 1, 2, 4 ... then SPIN_MAX_SKIP waits; hits halve the
 * penalty, so polling resumes as soon as it pays again. */
START_TEST(misses_back_off_hits_recover)
{
    struct spin s;
    struct probe p = {.ready = 0};
    int r;
    spin_init(&s, 1);
    ck_assert(polled(&s, &p, &r)); /* the first wait always polls */
    unsigned want = 1;
    for (int i = 0; i < 9; i++) {
        ck_assert_uint_eq(skipped(&s, &p), want);
        want = want * 2 > SPIN_MAX_SKIP ? SPIN_MAX_SKIP : want * 2;
    }
    ck_assert_uint_eq(skipped(&s, &p), SPIN_MAX_SKIP); /* capped */
    /* now hits: the skip after the next miss shrinks by half per hit */
    p.ready = 1;
    ck_assert_uint_eq(skipped(&s, &p), SPIN_MAX_SKIP); /* this poll hits */
    for (int i = 0; i < 3; i++)
        ck_assert(polled(&s, &p, &r) && r == 1);
    p.ready = 0;
    ck_assert(polled(&s, &p, &r) && r == 0); /* a miss: penalty 64/16 * 2 */
    ck_assert_uint_eq(skipped(&s, &p), SPIN_MAX_SKIP / 16 * 2);
}
END_TEST

/* Budget 0 never polls; a new budget applies from the next wait. */
START_TEST(zero_budget_never_polls)
{
    struct spin s;
    struct probe p = {.ready = 1};
    int r;
    spin_init(&s, 0);
    for (int i = 0; i < 10; i++)
        ck_assert(!polled(&s, &p, &r) && r == 0);
    ck_assert_uint_eq(s.hits + s.misses, 0);
    spin_set_budget(&s, 20);
    ck_assert(polled(&s, &p, &r) && r == 1);
    spin_set_budget(&s, 0);
    ck_assert(!polled(&s, &p, &r));
    spin_set_budget(&s, 5u * SPIN_MAX_US); /* capped, not refused */
    ck_assert_uint_eq(s.budget_us, SPIN_MAX_US);
}
END_TEST

static Suite *spin_suite(void)
{
    Suite *s = suite_create("spin");
    TCase *tc = tcase_create("policy");
    tcase_add_test(tc, hit_returns_the_answer);
    tcase_add_test(tc, miss_polls_the_whole_budget);
    tcase_add_test(tc, misses_back_off_hits_recover);
    tcase_add_test(tc, zero_budget_never_polls);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(spin_suite(), CK_NORMAL);
}
