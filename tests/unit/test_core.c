/*
 * test_core.c - the broker core without a network: dispatch checks,
 * registry (open flags, types, temp objects), the lock's parked waiters,
 * deadlines and dead sessions.  Replies of parked requests are caught by
 * the core's send_reply hook.
 */
#include <check.h>

#include "check_run.h"
#include "park_call.h"

static int acquire(struct session *s, intptr_t tag, uint64_t h, int64_t timeout, uint64_t tid)
{
    return pc_call(s, tag, NULL, SMOP_lock_acquire, "UIU", h, timeout, tid);
}

static int release(struct session *s, uint64_t h, uint64_t tid)
{
    return pc_call(s, 0, NULL, SMOP_lock_release, "UU", h, tid);
}

START_TEST(unauthenticated_gets_eauth_then_closed)
{
    struct session *s = session_new(&pc_core, 1, 1, 1, 1);
    ck_assert_int_eq(pc_call(s, 0, NULL, SMOP_ping, ""), SM_EAUTH);
    /* garbage and unknown opcodes tell an unauthenticated peer nothing */
    nng_msg *out;
    ck_assert_int_eq(dispatch(&pc_core, s, "\xc1", 1, NULL, &out), SM_EAUTH);
    nng_msg_free(out);
    /* the third failure asks the transport to close the pipe */
    ck_assert_int_eq(dispatch(&pc_core, s, "\x91\x7f", 2, NULL, &out), SM_EAUTH);
    ck_assert_ptr_null(out);
}
END_TEST

START_TEST(open_flags_and_types)
{
    struct session *s = pc_session(1);
    uint64_t h;
    ck_assert_int_eq(pc_call(s, 0, NULL, SMOP_open, "sUU", "d", (uint64_t)SM_T_DICT, (uint64_t)0),
                     SM_ENOENT);
    h = pc_open(s, "d", SM_T_DICT, OPEN_CREATE, "");
    ck_assert_uint_eq(pc_open(s, "d", SM_T_DICT, 0, ""), h);
    ck_assert_int_eq(pc_call(s, 0, NULL, SMOP_open, "sUU", "d", (uint64_t)SM_T_DICT,
                             (uint64_t)(OPEN_CREATE | OPEN_EXCL)),
                     SM_EEXIST);
    ck_assert_int_eq(
        pc_call(s, 0, NULL, SMOP_open, "sUU", "d", (uint64_t)SM_T_LIST, (uint64_t)OPEN_CREATE),
        SM_ETYPE);
    ck_assert_int_eq(
        pc_call(s, 0, NULL, SMOP_open, "sUU", "", (uint64_t)SM_T_DICT, (uint64_t)OPEN_CREATE),
        SM_EINVAL);
    ck_assert_int_eq(
        pc_call(s, 0, NULL, SMOP_open, "sUU", "a\nb", (uint64_t)SM_T_DICT, (uint64_t)OPEN_CREATE),
        SM_EINVAL);
    ck_assert_int_eq(pc_call(s, 0, NULL, SMOP_open, "sUU", "x", (uint64_t)SM_T_DICT, (uint64_t)0x8),
                     SM_EINVAL);
    ck_assert_int_eq(
        pc_call(s, 0, NULL, SMOP_open, "sUU", "x", (uint64_t)99, (uint64_t)OPEN_CREATE), SM_EINVAL);
    /* a handle of the wrong type, and a handle after unlink */
    ck_assert_int_eq(pc_call(s, 0, NULL, SMOP_list_len, "U", h), SM_ETYPE);
    ck_assert_int_eq(pc_call(s, 0, NULL, SMOP_dict_len, "U", h), SM_OK);
    ck_assert_int_eq(pc_call(s, 0, NULL, SMOP_unlink, "s", "d"), SM_OK);
    ck_assert_int_eq(pc_call(s, 0, NULL, SMOP_dict_len, "U", h), SM_ENOENT);
    ck_assert_int_eq(pc_call(s, 0, NULL, SMOP_unlink, "s", "d"), SM_ENOENT);
    /* a new object of the same name has a new handle */
    ck_assert_uint_ne(pc_open(s, "d", SM_T_DICT, OPEN_CREATE, ""), h);
}
END_TEST

START_TEST(temp_objects_go_with_their_last_session)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    uint64_t h = pc_open(a, "t", SM_T_LIST, OPEN_CREATE | OPEN_TEMP, "");
    ck_assert_uint_eq(pc_open(b, "t", SM_T_LIST, 0, ""), h);
    session_end(&pc_core, a);
    ck_assert_ptr_nonnull(registry_find(&pc_core, h));
    session_end(&pc_core, b);
    ck_assert_ptr_null(registry_find(&pc_core, h));
    /* close drops the reference too */
    struct session *c = pc_session(3);
    h = pc_open(c, "t", SM_T_LIST, OPEN_CREATE | OPEN_TEMP, "");
    ck_assert_int_eq(pc_call(c, 0, NULL, SMOP_close, "U", h), SM_OK);
    ck_assert_ptr_null(registry_find(&pc_core, h));
}
END_TEST

START_TEST(lock_try_owner_and_release)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    uint64_t h = pc_open(a, "l", SM_T_LOCK, OPEN_CREATE, "");
    ck_assert_int_eq(acquire(a, 0, h, 0, 1), SM_OK);
    ck_assert_int_eq(acquire(b, 0, h, 0, 1), SM_ETIMEDOUT);
    ck_assert_int_eq(release(b, h, 1), SM_ENOTOWNER);
    ck_assert_int_eq(release(a, h, 2), SM_ENOTOWNER); /* another thread of a */
    ck_assert_int_eq(release(a, h, 1), SM_OK);
    ck_assert_int_eq(release(a, h, 1), SM_ENOTOWNER);
    ck_assert_uint_eq(pc_query(a, SMOP_lock_locked, h), 0);
    ck_assert_int_eq(acquire(b, 0, h, 0, 1), SM_OK);
    ck_assert_uint_eq(pc_query(a, SMOP_lock_locked, h), 1);
    ck_assert_int_eq(pc_nsent, 0);
}
END_TEST

START_TEST(lock_waiters_served_fifo)
{
    struct session *a = pc_session(1);
    struct session *w[50];
    uint64_t h = pc_open(a, "l", SM_T_LOCK, OPEN_CREATE, "");
    ck_assert_int_eq(acquire(a, 0, h, -1, 1), SM_OK);
    for (int i = 0; i < 50; i++) {
        w[i] = pc_session(10 + (uint32_t)i);
        ck_assert_int_eq(acquire(w[i], 100 + i, h, i % 2 ? -1 : 60000, 7), SM_PARKED);
    }
    ck_assert_uint_eq(pc_core.nparked, 50);
    ck_assert_int_eq(release(a, h, 1), SM_OK);
    for (int i = 0; i < 50; i++) {
        ck_assert_uint_eq(pc_nsent, (size_t)i + 1);
        PC_SENT(i, 100 + i, SM_OK);
        ck_assert_int_eq(release(w[i], h, 7), SM_OK);
    }
    ck_assert_uint_eq(pc_core.nparked, 0);
    ck_assert_uint_eq(pc_core.nheap, 0);
}
END_TEST

START_TEST(lock_deadline_expires)
{
    struct session *a = pc_session(1), *b = pc_session(2), *c = pc_session(3);
    uint64_t h = pc_open(a, "l", SM_T_LOCK, OPEN_CREATE, "");
    ck_assert_int_eq(acquire(a, 0, h, -1, 1), SM_OK);
    ck_assert_int_eq(acquire(b, 1, h, 1000, 1), SM_PARKED);
    ck_assert_int_eq(acquire(c, 2, h, 50, 1), SM_PARKED);
    int64_t t0 = now_ms();
    ck_assert_int_le(wait_next_deadline(&pc_core), t0 + 50);
    wait_expire(&pc_core, t0 + 10);
    ck_assert_uint_eq(pc_nsent, 0);
    wait_expire(&pc_core, t0 + 60);
    ck_assert_uint_eq(pc_nsent, 1);
    PC_SENT(0, 2, SM_ETIMEDOUT);
    /* the remaining waiter still gets the lock on release */
    ck_assert_int_eq(release(a, h, 1), SM_OK);
    ck_assert_uint_eq(pc_nsent, 2);
    PC_SENT(1, 1, SM_OK);
    ck_assert_int_eq(wait_next_deadline(&pc_core), -1);
}
END_TEST

START_TEST(dead_owner_abandons_lock)
{
    struct session *a = pc_session(1), *b = pc_session(2), *c = pc_session(3);
    uint64_t h = pc_open(a, "l", SM_T_LOCK, OPEN_CREATE, "");
    ck_assert_int_eq(acquire(a, 0, h, -1, 1), SM_OK);
    ck_assert_int_eq(acquire(b, 1, h, -1, 1), SM_PARKED);
    session_end(&pc_core, a);
    /* the waiter gets it, told that the owner died */
    ck_assert_uint_eq(pc_nsent, 1);
    ck_assert_int_eq(pc_sent[0].status, SM_EOWNERDEAD);
    ck_assert_int_eq(release(b, h, 1), SM_OK);
    ck_assert_int_eq(acquire(c, 0, h, 0, 1), SM_OK); /* reported once only */
    /* no waiter: the next acquirer is told */
    session_end(&pc_core, c);
    ck_assert_int_eq(acquire(b, 0, h, 0, 1), SM_EOWNERDEAD);
}
END_TEST

START_TEST(dead_waiter_is_dropped)
{
    struct session *a = pc_session(1), *b = pc_session(2), *c = pc_session(3);
    uint64_t h = pc_open(a, "l", SM_T_LOCK, OPEN_CREATE, "");
    ck_assert_int_eq(acquire(a, 0, h, -1, 1), SM_OK);
    ck_assert_int_eq(acquire(b, 1, h, 5000, 1), SM_PARKED);
    ck_assert_int_eq(acquire(c, 2, h, -1, 1), SM_PARKED);
    session_end(&pc_core, b);
    ck_assert_uint_eq(pc_nsent, 1); /* b's reply: ECONN, to nobody */
    ck_assert_int_eq(pc_sent[0].status, SM_ECONN);
    ck_assert_uint_eq(pc_core.nheap, 0);
    ck_assert_int_eq(release(a, h, 1), SM_OK);
    PC_SENT(1, 2, SM_OK);
}
END_TEST

START_TEST(unlink_wakes_waiters_with_enoent)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    uint64_t h = pc_open(a, "l", SM_T_LOCK, OPEN_CREATE, "");
    ck_assert_int_eq(acquire(a, 0, h, -1, 1), SM_OK);
    ck_assert_int_eq(acquire(b, 1, h, 5000, 1), SM_PARKED);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_unlink, "s", "l"), SM_OK);
    ck_assert_uint_eq(pc_nsent, 1);
    ck_assert_int_eq(pc_sent[0].status, SM_ENOENT);
    ck_assert_uint_eq(pc_core.nparked, 0);
    session_end(&pc_core, a); /* its hold on the gone lock was dropped */
}
END_TEST

START_TEST(parked_limit)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    uint64_t h = pc_open(a, "l", SM_T_LOCK, OPEN_CREATE, "");
    pc_core.limits.max_parked = 2;
    ck_assert_int_eq(acquire(a, 0, h, -1, 1), SM_OK);
    ck_assert_int_eq(acquire(b, 1, h, -1, 1), SM_PARKED);
    ck_assert_int_eq(acquire(b, 2, h, -1, 2), SM_PARKED);
    ck_assert_int_eq(acquire(b, 3, h, -1, 3), SM_ELIMIT);
}
END_TEST

START_TEST(shutdown_replies_to_every_waiter)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    uint64_t h = pc_open(a, "l", SM_T_LOCK, OPEN_CREATE, "");
    ck_assert_int_eq(acquire(a, 0, h, -1, 1), SM_OK);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(acquire(b, i, h, i % 2 ? 100000 : -1, (uint64_t)i + 2), SM_PARKED);
    wait_cancel_all(&pc_core, SM_ESHUTDOWN);
    ck_assert_uint_eq(pc_nsent, 10);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(pc_sent[i].status, SM_ESHUTDOWN);
    ck_assert_uint_eq(pc_core.nheap, 0);
}
END_TEST

static int racquire(struct session *s, intptr_t tag, uint64_t h, int64_t timeout, uint64_t tid)
{
    return pc_call(s, tag, NULL, SMOP_rlock_acquire, "UIU", h, timeout, tid);
}

static int rrelease(struct session *s, uint64_t h, uint64_t tid)
{
    return pc_call(s, 0, NULL, SMOP_rlock_release, "UU", h, tid);
}

START_TEST(rlock_is_reentrant_per_thread)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    uint64_t h = pc_open(a, "r", SM_T_RLOCK, OPEN_CREATE, "");
    ck_assert_int_eq(racquire(a, 0, h, -1, 1), SM_OK);
    ck_assert_int_eq(racquire(a, 0, h, 0, 1), SM_OK);        /* again: count 2 */
    ck_assert_int_eq(racquire(a, 0, h, 0, 2), SM_ETIMEDOUT); /* another thread */
    ck_assert_int_eq(racquire(b, 7, h, -1, 1), SM_PARKED);
    ck_assert_int_eq(rrelease(b, h, 1), SM_ENOTOWNER);
    ck_assert_int_eq(rrelease(a, h, 1), SM_OK);
    ck_assert_uint_eq(pc_nsent, 0); /* still held once */
    ck_assert_int_eq(rrelease(a, h, 1), SM_OK);
    ck_assert_uint_eq(pc_nsent, 1);
    PC_SENT(0, 7, SM_OK);
    ck_assert_int_eq(rrelease(a, h, 1), SM_ENOTOWNER);
}
END_TEST

START_TEST(rlock_abandoned_with_count)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    uint64_t h = pc_open(a, "r", SM_T_RLOCK, OPEN_CREATE, "");
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(racquire(a, 0, h, -1, 1), SM_OK);
    session_end(&pc_core, a);
    ck_assert_int_eq(racquire(b, 0, h, 0, 1), SM_EOWNERDEAD);
    ck_assert_int_eq(rrelease(b, h, 1), SM_OK); /* count 1, not a's 3 */
    ck_assert_int_eq(rrelease(b, h, 1), SM_ENOTOWNER);
}
END_TEST

static uint64_t open_cond(struct session *s, const char *name, const char *lock)
{
    return lock ? pc_open(s, name, SM_T_COND, OPEN_CREATE, "Mss", 1, "lock", lock)
                : pc_open(s, name, SM_T_COND, OPEN_CREATE, "");
}

static int cwait(struct session *s, intptr_t tag, uint64_t c, int64_t timeout, uint64_t tid)
{
    return pc_call(s, tag, NULL, SMOP_condition_wait, "UIU", c, timeout, tid);
}

START_TEST(cond_wait_releases_and_notify_reacquires)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    uint64_t c = open_cond(a, "c", NULL);
    ck_assert_int_eq(cwait(a, 1, c, -1, 1), SM_ENOTOWNER);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_condition_acquire, "UIi", c, (int64_t)-1, 1), SM_OK);
    ck_assert_int_eq(cwait(a, 1, c, -1, 1), SM_PARKED);
    /* the lock is free while a waits */
    ck_assert_int_eq(pc_call(b, 0, NULL, SMOP_condition_acquire, "UIi", c, (int64_t)0, 1), SM_OK);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_condition_notify, "Uii", c, 1, 9), SM_ENOTOWNER);
    ck_assert_int_eq(pc_call(b, 0, NULL, SMOP_condition_notify, "Uii", c, 1, 1), SM_OK);
    ck_assert_uint_eq(pc_nsent, 0); /* notified, but b still holds the lock */
    ck_assert_int_eq(pc_call(b, 0, NULL, SMOP_condition_release, "Ui", c, 1), SM_OK);
    ck_assert_uint_eq(pc_nsent, 1);
    PC_SENT(0, 1, SM_OK);
    /* a holds the lock again */
    ck_assert_int_eq(pc_call(b, 0, NULL, SMOP_condition_acquire, "UIi", c, (int64_t)0, 1),
                     SM_ETIMEDOUT);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_condition_release, "Ui", c, 1), SM_OK);
}
END_TEST

START_TEST(cond_notify_n_in_order)
{
    struct session *a = pc_session(1), *w[5];
    uint64_t c = open_cond(a, "c", NULL);
    for (int i = 0; i < 5; i++) {
        w[i] = pc_session(10 + (uint32_t)i);
        ck_assert_int_eq(pc_call(w[i], 0, NULL, SMOP_condition_acquire, "UIi", c, (int64_t)-1, 1),
                         SM_OK);
        ck_assert_int_eq(cwait(w[i], 100 + i, c, -1, 1), SM_PARKED);
    }
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_condition_acquire, "UIi", c, (int64_t)-1, 1), SM_OK);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_condition_notify, "Uii", c, 2, 1), SM_OK);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_condition_release, "Ui", c, 1), SM_OK);
    /* the first two, one after the other as each releases */
    ck_assert_uint_eq(pc_nsent, 1);
    ck_assert_int_eq(pc_sent[0].tag, 100);
    ck_assert_int_eq(pc_call(w[0], 0, NULL, SMOP_condition_release, "Ui", c, 1), SM_OK);
    ck_assert_uint_eq(pc_nsent, 2);
    ck_assert_int_eq(pc_sent[1].tag, 101);
    ck_assert_int_eq(pc_call(w[1], 0, NULL, SMOP_condition_release, "Ui", c, 1), SM_OK);
    ck_assert_uint_eq(pc_nsent, 2); /* the other three still wait */
    ck_assert_uint_eq(pc_core.nparked, 3);
    /* notify_all takes the rest */
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_condition_acquire, "UIi", c, (int64_t)-1, 1), SM_OK);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_condition_notify_all, "Ui", c, 1), SM_OK);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_condition_release, "Ui", c, 1), SM_OK);
    for (int i = 2; i < 5; i++) {
        ck_assert_int_eq(pc_sent[pc_nsent - 1].tag, 100 + i);
        ck_assert_int_eq(pc_call(w[i], 0, NULL, SMOP_condition_release, "Ui", c, 1), SM_OK);
    }
    ck_assert_uint_eq(pc_nsent, 5);
}
END_TEST

START_TEST(cond_timeout_reacquires_first)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    uint64_t c = open_cond(a, "c", NULL);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_condition_acquire, "UIi", c, (int64_t)-1, 1), SM_OK);
    ck_assert_int_eq(cwait(a, 1, c, 50, 1), SM_PARKED);
    ck_assert_int_eq(pc_call(b, 0, NULL, SMOP_condition_acquire, "UIi", c, (int64_t)-1, 1), SM_OK);
    wait_expire(&pc_core, now_ms() + 100);
    ck_assert_uint_eq(pc_nsent, 0); /* timed out, but b holds the lock */
    ck_assert_int_eq(pc_call(b, 0, NULL, SMOP_condition_release, "Ui", c, 1), SM_OK);
    ck_assert_uint_eq(pc_nsent, 1);
    ck_assert_int_eq(pc_sent[0].status, SM_ETIMEDOUT);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_condition_release, "Ui", c, 1), SM_OK); /* held */
    /* with the lock free at the deadline, the reply is immediate */
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_condition_acquire, "UIi", c, (int64_t)-1, 1), SM_OK);
    ck_assert_int_eq(cwait(a, 2, c, 0, 1), SM_PARKED);
    wait_expire(&pc_core, now_ms() + 1);
    ck_assert_uint_eq(pc_nsent, 2);
    ck_assert_int_eq(pc_sent[1].status, SM_ETIMEDOUT);
}
END_TEST

START_TEST(cond_over_named_rlock_restores_count)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    uint64_t r = pc_open(a, "r", SM_T_RLOCK, OPEN_CREATE, "");
    uint64_t c = open_cond(a, "c", "r");
    ck_assert_int_eq(racquire(a, 0, r, -1, 1), SM_OK);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_condition_acquire, "UIi", c, (int64_t)-1, 1), SM_OK);
    ck_assert_int_eq(cwait(a, 1, c, -1, 1), SM_PARKED); /* releases both levels */
    ck_assert_int_eq(racquire(b, 0, r, 0, 1), SM_OK);
    ck_assert_int_eq(pc_call(b, 0, NULL, SMOP_condition_notify, "Uii", c, 1, 1), SM_OK);
    ck_assert_int_eq(rrelease(b, r, 1), SM_OK);
    ck_assert_uint_eq(pc_nsent, 1);
    ck_assert_int_eq(rrelease(a, r, 1), SM_OK);
    ck_assert_int_eq(rrelease(a, r, 1), SM_OK);
    ck_assert_int_eq(rrelease(a, r, 1), SM_ENOTOWNER);
    /* the lock must exist and be a lock */
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_open, "sUUMss", "c2", (uint64_t)SM_T_COND,
                             (uint64_t)OPEN_CREATE, 1, "lock", "nope"),
                     SM_ENOENT);
    pc_open(a, "d", SM_T_DICT, OPEN_CREATE, "");
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_open, "sUUMss", "c2", (uint64_t)SM_T_COND,
                             (uint64_t)OPEN_CREATE, 1, "lock", "d"),
                     SM_ETYPE);
    /* unlinking the lock leaves the condition working */
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_unlink, "s", "r"), SM_OK);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_condition_acquire, "UIi", c, (int64_t)0, 1), SM_OK);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_condition_release, "Ui", c, 1), SM_OK);
}
END_TEST

START_TEST(cond_unlinked_with_waiters)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    uint64_t c = open_cond(a, "c", NULL);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_condition_acquire, "UIi", c, (int64_t)-1, 1), SM_OK);
    ck_assert_int_eq(cwait(a, 1, c, -1, 1), SM_PARKED);
    ck_assert_int_eq(pc_call(b, 0, NULL, SMOP_condition_acquire, "UIi", c, (int64_t)-1, 1), SM_OK);
    ck_assert_int_eq(pc_call(b, 0, NULL, SMOP_condition_notify, "Uii", c, 1, 1), SM_OK);
    ck_assert_int_eq(pc_call(b, 0, NULL, SMOP_unlink, "s", "c"), SM_OK);
    /* a was waiting for the private lock: it goes with the condition */
    ck_assert_uint_eq(pc_nsent, 1);
    ck_assert_int_eq(pc_sent[0].status, SM_ENOENT);
    ck_assert_uint_eq(pc_core.nparked, 0);
}
END_TEST

START_TEST(cond_acquire_waits_on_the_lock)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    uint64_t m = pc_open(a, "m", SM_T_LOCK, OPEN_CREATE, "");
    uint64_t c = open_cond(a, "c", "m");
    ck_assert_int_eq(acquire(b, 0, m, -1, 1), SM_OK);
    ck_assert_int_eq(pc_call(a, 5, NULL, SMOP_condition_acquire, "UIi", c, (int64_t)1000, 1),
                     SM_PARKED);
    /* the request waits for the lock, and is counted there */
    ck_assert_uint_eq(registry_find(&pc_core, m)->nwaiters, 1);
    ck_assert_uint_eq(registry_find(&pc_core, c)->nwaiters, 0);
    /* the condition may go; the lock and its waiter stay */
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_unlink, "s", "c"), SM_OK);
    ck_assert_uint_eq(pc_nsent, 0);
    wait_expire(&pc_core, now_ms() + 2000);
    ck_assert_uint_eq(pc_nsent, 1);
    PC_SENT(0, 5, SM_ETIMEDOUT);
    ck_assert_uint_eq(registry_find(&pc_core, m)->nwaiters, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, pc_setup, pc_teardown);
    tcase_add_test(tc, unauthenticated_gets_eauth_then_closed);
    tcase_add_test(tc, open_flags_and_types);
    tcase_add_test(tc, temp_objects_go_with_their_last_session);
    tcase_add_test(tc, lock_try_owner_and_release);
    tcase_add_test(tc, lock_waiters_served_fifo);
    tcase_add_test(tc, lock_deadline_expires);
    tcase_add_test(tc, dead_owner_abandons_lock);
    tcase_add_test(tc, dead_waiter_is_dropped);
    tcase_add_test(tc, unlink_wakes_waiters_with_enoent);
    tcase_add_test(tc, parked_limit);
    tcase_add_test(tc, shutdown_replies_to_every_waiter);
    tcase_add_test(tc, rlock_is_reentrant_per_thread);
    tcase_add_test(tc, rlock_abandoned_with_count);
    tcase_add_test(tc, cond_wait_releases_and_notify_reacquires);
    tcase_add_test(tc, cond_notify_n_in_order);
    tcase_add_test(tc, cond_timeout_reacquires_first);
    tcase_add_test(tc, cond_over_named_rlock_restores_count);
    tcase_add_test(tc, cond_unlinked_with_waiters);
    tcase_add_test(tc, cond_acquire_waits_on_the_lock);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(suite(), CK_NORMAL);
}
