/*
 * test_obj_barrier.c - Barrier on a core without a network: options,
 * arrival indexes, two rounds in a row, and every way to break it (a
 * timeout, abort, reset while waiting, a waiter's session ending), each
 * followed by immediate SM_EBROKEN until reset.
 */
#include "check_run.h"
#include "park_call.h"

static uint64_t barrier_open(struct session *s, uint64_t parties)
{
    return pc_open(s, "b", SM_T_BARRIER, OPEN_CREATE, "MsU", 1, "parties", parties);
}

static int bwait(struct session *s, intptr_t tag, uint64_t h, int64_t timeout, uint64_t *index)
{
    struct pc_reply r;
    int rc = pc_call(s, tag, &r, SMOP_barrier_wait, "UI", h, timeout);
    if (index && rc == SM_OK)
        *index = pc_uint(&r);
    return rc;
}

static uint64_t get(struct session *s, unsigned opcode, uint64_t h)
{
    return pc_query(s, opcode, h);
}

/* sessions() - @n new sessions from pipe @first on. */
static void sessions(struct session **s, int n, uint32_t first)
{
    for (int i = 0; i < n; i++)
        s[i] = pc_session(first + (uint32_t)i);
}

/* park() - @n waits from s[0..n-1], tags base+i; each parks. */
static void park(struct session **s, int n, uint64_t h, intptr_t base, int64_t timeout)
{
    for (int i = 0; i < n; i++)
        ck_assert_int_eq(bwait(s[i], base + i, h, timeout, NULL), SM_PARKED);
}

/* expect_broken() - replies [from, from+n) are SM_EBROKEN, the barrier
 * says broken with nobody waiting, and a wait fails at once. */
static void expect_broken(struct session *s, uint64_t h, size_t from, size_t n)
{
    ck_assert_uint_eq(pc_nsent, from + n);
    for (size_t i = from; i < from + n; i++)
        ck_assert_int_eq(pc_sent[i].status, SM_EBROKEN);
    ck_assert_uint_eq(get(s, SMOP_barrier_broken, h), 1);
    ck_assert_uint_eq(get(s, SMOP_barrier_n_waiting, h), 0);
    ck_assert_int_eq(bwait(s, 0, h, -1, NULL), SM_EBROKEN);
    ck_assert_uint_eq(pc_nsent, from + n);
    ck_assert_uint_eq(pc_core.nparked, 0);
}

START_TEST(options)
{
    struct session *a = pc_session(1);
    uint64_t idx = 9;
    ck_assert_int_eq(
        pc_call(a, 0, NULL, SMOP_open, "sUU", "x", (uint64_t)SM_T_BARRIER, (uint64_t)OPEN_CREATE),
        SM_EINVAL); /* parties required */
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_open, "sUUMsU", "x", (uint64_t)SM_T_BARRIER,
                             (uint64_t)OPEN_CREATE, 1, "parties", (uint64_t)0),
                     SM_EINVAL);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_open, "sUUMsUsU", "x", (uint64_t)SM_T_BARRIER,
                             (uint64_t)OPEN_CREATE, 2, "parties", (uint64_t)2, "value",
                             (uint64_t)1),
                     SM_EINVAL);
    uint64_t h = barrier_open(a, 1);
    ck_assert_uint_eq(get(a, SMOP_barrier_parties, h), 1);
    ck_assert_uint_eq(get(a, SMOP_barrier_broken, h), 0);
    /* one party: every wait passes at once with index 0 */
    ck_assert_int_eq(bwait(a, 0, h, 0, &idx), SM_OK);
    ck_assert_uint_eq(idx, 0);
    idx = 9;
    ck_assert_int_eq(bwait(a, 0, h, -1, &idx), SM_OK);
    ck_assert_uint_eq(idx, 0);
    /* opening an existing barrier needs no options */
    ck_assert_uint_eq(pc_open(a, "b", SM_T_BARRIER, OPEN_CREATE, ""), h);
}
END_TEST

START_TEST(indexes_and_two_rounds)
{
    struct session *s[4];
    uint64_t idx = 99;
    sessions(s, 4, 10);
    uint64_t h = barrier_open(s[0], 4);
    for (int round = 0; round < 2; round++) {
        size_t base = pc_nsent;
        park(s, 3, h, 100 * (round + 1), round ? -1 : 60000);
        ck_assert_uint_eq(get(s[3], SMOP_barrier_n_waiting, h), 3);
        ck_assert_uint_eq(pc_nsent, base);
        /* the last arrival passes at once with index parties - 1 ... */
        ck_assert_int_eq(bwait(s[3], 0, h, -1, &idx), SM_OK);
        ck_assert_uint_eq(idx, 3);
        /* ... and each parked waiter gets SM_OK and its arrival index */
        ck_assert_uint_eq(pc_nsent, base + 3);
        for (size_t i = 0; i < 3; i++) {
            PC_SENT(base + i, 100 * (round + 1) + (intptr_t)i, SM_OK);
            ck_assert_uint_eq(pc_uint(&pc_sent[base + i]), i);
        }
        ck_assert_uint_eq(get(s[0], SMOP_barrier_n_waiting, h), 0);
        ck_assert_uint_eq(get(s[0], SMOP_barrier_broken, h), 0);
        ck_assert_uint_eq(pc_core.nparked, 0);
        ck_assert_uint_eq(pc_core.nheap, 0);
    }
}
END_TEST

START_TEST(timeout_breaks_for_everyone)
{
    struct session *s[3];
    sessions(s, 3, 10);
    uint64_t h = barrier_open(s[0], 4);
    ck_assert_int_eq(bwait(s[0], 1, h, -1, NULL), SM_PARKED);
    ck_assert_int_eq(bwait(s[1], 2, h, 50, NULL), SM_PARKED);
    ck_assert_int_eq(bwait(s[2], 3, h, 60000, NULL), SM_PARKED);
    wait_expire(&pc_core, now_ms() + 10);
    ck_assert_uint_eq(pc_nsent, 0);
    wait_expire(&pc_core, now_ms() + 100);
    ck_assert_uint_eq(pc_core.nheap, 0);
    expect_broken(s[0], h, 0, 3);
    /* reset mends it */
    ck_assert_int_eq(pc_call(s[0], 0, NULL, SMOP_barrier_reset, "U", h), SM_OK);
    ck_assert_uint_eq(get(s[0], SMOP_barrier_broken, h), 0);
    ck_assert_int_eq(bwait(s[0], 4, h, -1, NULL), SM_PARKED);
}
END_TEST

START_TEST(wait_zero_breaks_unless_last)
{
    struct session *s[2];
    uint64_t idx = 9;
    sessions(s, 2, 10);
    uint64_t h = barrier_open(s[0], 2);
    ck_assert_int_eq(bwait(s[0], 1, h, -1, NULL), SM_PARKED);
    ck_assert_int_eq(bwait(s[1], 0, h, 0, &idx), SM_OK); /* the last one may try */
    ck_assert_uint_eq(idx, 1);
    PC_SENT(0, 1, SM_OK);
    ck_assert_int_eq(bwait(s[1], 0, h, 0, NULL), SM_EBROKEN);
    expect_broken(s[0], h, 1, 0);
}
END_TEST

START_TEST(abort_breaks)
{
    struct session *s[3];
    sessions(s, 3, 10);
    uint64_t h = barrier_open(s[0], 3);
    park(s, 2, h, 1, 60000);
    ck_assert_int_eq(pc_call(s[2], 0, NULL, SMOP_barrier_abort, "U", h), SM_OK);
    ck_assert_uint_eq(pc_core.nheap, 0);
    expect_broken(s[2], h, 0, 2);
    ck_assert_int_eq(pc_call(s[2], 0, NULL, SMOP_barrier_abort, "U", h), SM_OK);
    ck_assert_uint_eq(get(s[0], SMOP_barrier_broken, h), 1);
}
END_TEST

START_TEST(reset_breaks_waiters_then_mends)
{
    struct session *s[3];
    uint64_t idx = 9;
    sessions(s, 3, 10);
    uint64_t h = barrier_open(s[0], 2);
    park(s, 1, h, 1, -1);
    ck_assert_int_eq(pc_call(s[2], 0, NULL, SMOP_barrier_reset, "U", h), SM_OK);
    ck_assert_uint_eq(pc_nsent, 1);
    PC_SENT(0, 1, SM_EBROKEN);
    ck_assert_uint_eq(get(s[0], SMOP_barrier_broken, h), 0);
    ck_assert_uint_eq(get(s[0], SMOP_barrier_n_waiting, h), 0);
    /* counting starts again from 0 */
    ck_assert_int_eq(bwait(s[0], 2, h, -1, NULL), SM_PARKED);
    ck_assert_int_eq(bwait(s[1], 0, h, -1, &idx), SM_OK);
    ck_assert_uint_eq(idx, 1);
    PC_SENT(1, 2, SM_OK);
    ck_assert_uint_eq(pc_uint(&pc_sent[1]), 0);
}
END_TEST

START_TEST(dead_waiter_breaks)
{
    struct session *s[4];
    sessions(s, 4, 10);
    uint64_t h = barrier_open(s[0], 4);
    park(s, 3, h, 1, 60000);
    session_end(&pc_core, s[1]);
    /* its own reply (ECONN, to nobody) and SM_EBROKEN for the others */
    ck_assert_uint_eq(pc_nsent, 3);
    for (size_t i = 0; i < 3; i++) {
        struct pc_reply *r = &pc_sent[i];
        ck_assert_int_eq(r->status, r->tag == 2 ? SM_ECONN : SM_EBROKEN);
    }
    ck_assert_uint_eq(pc_core.nheap, 0);
    expect_broken(s[3], h, 3, 0);
}
END_TEST

START_TEST(gone_waiter_cannot_complete_a_round)
{
    struct session *s[3];
    sessions(s, 3, 10);
    uint64_t h = barrier_open(s[0], 3);
    park(s, 2, h, 1, -1);
    s[1]->gone = true; /* its pipe closed; the session has not ended yet */
    /* the last arrival breaks the barrier rather than tripping it */
    ck_assert_int_eq(bwait(s[2], 3, h, -1, NULL), SM_EBROKEN);
    expect_broken(s[2], h, 0, 2);
}
END_TEST

START_TEST(shutdown_does_not_break)
{
    struct session *s[3];
    sessions(s, 3, 10);
    uint64_t h = barrier_open(s[0], 4);
    park(s, 3, h, 1, -1);
    wait_cancel_all(&pc_core, SM_ESHUTDOWN);
    ck_assert_uint_eq(pc_nsent, 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert_int_eq(pc_sent[i].status, SM_ESHUTDOWN);
}
END_TEST

START_TEST(unlink_wakes_waiters_with_enoent)
{
    struct session *s[2];
    sessions(s, 2, 10);
    barrier_open(s[0], 3);
    park(s, 2, registry_lookup(&pc_core, "b", 1)->id, 1, 60000);
    ck_assert_int_eq(pc_call(s[0], 0, NULL, SMOP_unlink, "s", "b"), SM_OK);
    PC_SENT(0, 1, SM_ENOENT);
    PC_SENT(1, 2, SM_ENOENT);
    ck_assert_uint_eq(pc_core.nparked, 0);
    ck_assert_uint_eq(pc_core.nheap, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("obj_barrier");
    TCase *tc = tcase_create("barrier");
    tcase_add_checked_fixture(tc, pc_setup, pc_teardown);
    tcase_add_test(tc, options);
    tcase_add_test(tc, indexes_and_two_rounds);
    tcase_add_test(tc, timeout_breaks_for_everyone);
    tcase_add_test(tc, wait_zero_breaks_unless_last);
    tcase_add_test(tc, abort_breaks);
    tcase_add_test(tc, reset_breaks_waiters_then_mends);
    tcase_add_test(tc, dead_waiter_breaks);
    tcase_add_test(tc, gone_waiter_cannot_complete_a_round);
    tcase_add_test(tc, shutdown_does_not_break);
    tcase_add_test(tc, unlink_wakes_waiters_with_enoent);
    suite_add_tcase(s, tc);
    return check_run(s, CK_ENV);
}
