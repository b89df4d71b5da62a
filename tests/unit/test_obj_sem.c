/*
 * test_obj_sem.c - Semaphore and BoundedSemaphore on a core without a
 * network: options, try-acquire, FIFO hand-over of released units, bounded
 * release, SEM_UNDO when a session ends, gone waiters skipped, unlink.
 */
#include "check_run.h"
#include "park_call.h"

static uint64_t sem_open(struct session *s, uint64_t value, bool bounded)
{
    return pc_open(s, "sem", SM_T_SEM, OPEN_CREATE, "MsUsb", 2, "value", value, "bounded",
                   (int)bounded);
}

static int acquire(struct session *s, intptr_t tag, uint64_t h, int64_t timeout)
{
    return pc_call(s, tag, NULL, SMOP_semaphore_acquire, "UI", h, timeout);
}

static int release(struct session *s, uint64_t h, uint64_t n)
{
    return pc_call(s, 0, NULL, SMOP_semaphore_release, "UU", h, n);
}

static uint64_t value(struct session *s, uint64_t h)
{
    return pc_query(s, SMOP_semaphore_value, h);
}

/* held() - the units @s holds of object @h, by its session holds. */
static uint64_t held(struct session *s, uint64_t h)
{
    struct object *o = registry_find(&pc_core, h);
    struct hold *hd;
    HASH_FIND_PTR(s->holds, &o, hd);
    return hd ? hd->count : 0;
}

START_TEST(options)
{
    struct session *a = pc_session(1);
    uint64_t h = pc_open(a, "plain", SM_T_SEM, OPEN_CREATE, "");
    ck_assert_uint_eq(value(a, h), 1);         /* default value 1 */
    ck_assert_int_eq(release(a, h, 5), SM_OK); /* unbounded by default */
    ck_assert_uint_eq(value(a, h), 6);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_open, "sUUMsU", "x", (uint64_t)SM_T_SEM,
                             (uint64_t)OPEN_CREATE, 1, "maxsize", (uint64_t)3),
                     SM_EINVAL);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_open, "sUUMss", "x", (uint64_t)SM_T_SEM,
                             (uint64_t)OPEN_CREATE, 1, "value", "3"),
                     SM_EINVAL);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_open, "sUUMsI", "x", (uint64_t)SM_T_SEM,
                             (uint64_t)OPEN_CREATE, 1, "value", (int64_t)-1),
                     SM_EINVAL);
    ck_assert_uint_eq(value(a, sem_open(a, 0, false)), 0);
}
END_TEST

START_TEST(acquire_release_value)
{
    struct session *a = pc_session(1);
    uint64_t h = sem_open(a, 2, false);
    ck_assert_int_eq(acquire(a, 0, h, 0), SM_OK);
    ck_assert_int_eq(acquire(a, 0, h, -1), SM_OK);
    ck_assert_uint_eq(value(a, h), 0);
    ck_assert_uint_eq(held(a, h), 2);
    ck_assert_int_eq(acquire(a, 0, h, 0), SM_ETIMEDOUT);
    ck_assert_int_eq(release(a, h, 1), SM_OK);
    ck_assert_uint_eq(held(a, h), 1);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_semaphore_release, "U", h), SM_OK); /* n = 1 */
    ck_assert_uint_eq(value(a, h), 2);
    ck_assert_uint_eq(held(a, h), 0);
    ck_assert_int_eq(release(a, h, 0), SM_EVALUE);          /* Python: n must be one or more */
    ck_assert_int_eq(release(a, h, UINT64_MAX), SM_EVALUE); /* would overflow */
    ck_assert_uint_eq(value(a, h), 2);
    ck_assert_uint_eq(pc_nsent, 0);
}
END_TEST

START_TEST(bounded_release_past_initial)
{
    struct session *a = pc_session(1);
    uint64_t h = sem_open(a, 2, true);
    ck_assert_int_eq(release(a, h, 1), SM_EVALUE);
    ck_assert_uint_eq(value(a, h), 2);
    ck_assert_int_eq(acquire(a, 0, h, 0), SM_OK);
    ck_assert_int_eq(acquire(a, 0, h, 0), SM_OK);
    ck_assert_int_eq(release(a, h, 3), SM_EVALUE); /* all or nothing */
    ck_assert_uint_eq(value(a, h), 0);
    ck_assert_uint_eq(held(a, h), 2);
    ck_assert_int_eq(release(a, h, 2), SM_OK);
    ck_assert_uint_eq(value(a, h), 2);
    ck_assert_int_eq(release(a, h, 1), SM_EVALUE);
}
END_TEST

START_TEST(waiters_served_fifo)
{
    struct session *a = pc_session(1);
    struct session *w[20];
    uint64_t h = sem_open(a, 0, false);
    for (int i = 0; i < 20; i++) {
        w[i] = pc_session(10 + (uint32_t)i);
        ck_assert_int_eq(acquire(w[i], 100 + i, h, i % 2 ? -1 : 60000), SM_PARKED);
    }
    ck_assert_uint_eq(pc_core.nparked, 20);
    /* release(3): three waiters, in arrival order, get a unit each */
    ck_assert_int_eq(release(a, h, 3), SM_OK);
    ck_assert_uint_eq(pc_nsent, 3);
    for (int i = 0; i < 3; i++) {
        PC_SENT(i, 100 + i, SM_OK);
        ck_assert_uint_eq(held(w[i], h), 1);
    }
    ck_assert_uint_eq(value(a, h), 0);
    /* a free unit is not taken past the waiters queued ahead */
    ck_assert_int_eq(acquire(a, 0, h, 0), SM_ETIMEDOUT);
    /* units released by their holders go on down the queue */
    for (int i = 3; i < 20; i++) {
        ck_assert_int_eq(release(w[i - 3], h, 1), SM_OK);
        ck_assert_uint_eq(held(w[i - 3], h), 0);
        PC_SENT(i, 100 + i, SM_OK);
    }
    ck_assert_uint_eq(pc_core.nparked, 0);
    ck_assert_uint_eq(pc_core.nheap, 0);
    ck_assert_uint_eq(value(a, h), 0);
}
END_TEST

START_TEST(deadline_expires)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    uint64_t h = sem_open(a, 0, false);
    ck_assert_int_eq(acquire(a, 1, h, 50), SM_PARKED);
    ck_assert_int_eq(acquire(b, 2, h, -1), SM_PARKED);
    wait_expire(&pc_core, now_ms() + 100);
    ck_assert_uint_eq(pc_nsent, 1);
    PC_SENT(0, 1, SM_ETIMEDOUT);
    ck_assert_int_eq(release(a, h, 1), SM_OK); /* not held by a: just added */
    PC_SENT(1, 2, SM_OK);
    ck_assert_uint_eq(held(a, h), 0);
    ck_assert_uint_eq(held(b, h), 1);
}
END_TEST

START_TEST(undo_on_session_end)
{
    struct session *a = pc_session(1), *b = pc_session(2), *c = pc_session(3);
    uint64_t h = sem_open(a, 3, false);
    ck_assert_int_eq(acquire(a, 0, h, 0), SM_OK);
    ck_assert_int_eq(acquire(a, 0, h, 0), SM_OK);
    ck_assert_int_eq(acquire(b, 0, h, 0), SM_OK);
    ck_assert_int_eq(acquire(c, 7, h, -1), SM_PARKED);
    /* a's two units come back: one goes to the waiter, one stays free */
    session_end(&pc_core, a);
    ck_assert_uint_eq(pc_nsent, 1);
    PC_SENT(0, 7, SM_OK);
    ck_assert_uint_eq(held(c, h), 1);
    ck_assert_uint_eq(value(b, h), 1);
    /* a session that gave back what it took returns nothing more */
    ck_assert_int_eq(release(b, h, 1), SM_OK);
    session_end(&pc_core, b);
    ck_assert_uint_eq(value(c, h), 2);
    session_end(&pc_core, c);
    struct session *d = pc_session(4);
    ck_assert_uint_eq(value(d, h), 3);
}
END_TEST

START_TEST(undo_stays_within_bound)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    uint64_t h = sem_open(a, 1, true);
    ck_assert_int_eq(acquire(a, 0, h, 0), SM_OK);
    ck_assert_int_eq(release(b, h, 1), SM_OK); /* b releases a's unit for it */
    session_end(&pc_core, a);
    ck_assert_uint_eq(value(b, h), 1);
}
END_TEST

START_TEST(gone_waiter_is_skipped)
{
    struct session *a = pc_session(1), *b = pc_session(2), *c = pc_session(3);
    uint64_t h = sem_open(a, 0, false);
    ck_assert_int_eq(acquire(b, 1, h, -1), SM_PARKED);
    ck_assert_int_eq(acquire(c, 2, h, -1), SM_PARKED);
    b->gone = true; /* its pipe closed; session_end() has not run yet */
    ck_assert_int_eq(release(a, h, 1), SM_OK);
    ck_assert_uint_eq(pc_nsent, 1);
    PC_SENT(0, 2, SM_OK);
    ck_assert_uint_eq(held(b, h), 0);
    session_end(&pc_core, b);
    PC_SENT(1, 1, SM_ECONN);
    ck_assert_uint_eq(value(a, h), 0);
    ck_assert_uint_eq(pc_core.nparked, 0);
}
END_TEST

START_TEST(unlink_cancels_and_drops_holds)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    uint64_t h = sem_open(a, 1, false);
    ck_assert_int_eq(acquire(a, 0, h, 0), SM_OK);
    ck_assert_int_eq(acquire(b, 5, h, 5000), SM_PARKED);
    ck_assert_ptr_nonnull(a->holds);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_unlink, "s", "sem"), SM_OK);
    PC_SENT(0, 5, SM_ENOENT);
    ck_assert_ptr_null(a->holds);
    ck_assert_uint_eq(pc_core.nparked, 0);
    ck_assert_uint_eq(pc_core.nheap, 0);
    session_end(&pc_core, a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("obj_sem");
    TCase *tc = tcase_create("sem");
    tcase_add_checked_fixture(tc, pc_setup, pc_teardown);
    tcase_add_test(tc, options);
    tcase_add_test(tc, acquire_release_value);
    tcase_add_test(tc, bounded_release_past_initial);
    tcase_add_test(tc, waiters_served_fifo);
    tcase_add_test(tc, deadline_expires);
    tcase_add_test(tc, undo_on_session_end);
    tcase_add_test(tc, undo_stays_within_bound);
    tcase_add_test(tc, gone_waiter_is_skipped);
    tcase_add_test(tc, unlink_cancels_and_drops_holds);
    suite_add_tcase(s, tc);
    return check_run(s, CK_ENV);
}
