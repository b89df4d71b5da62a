/*
 * test_obj_event.c - Event on a core without a network: set/clear/is_set,
 * wait at once or parked, set() waking every waiter, deadlines, dead and
 * unlinked waiters.
 */
#include "check_run.h"
#include "park_call.h"

static bool is_set(struct session *s, uint64_t h)
{
    uint64_t b = pc_query(s, SMOP_event_is_set, h);
    ck_assert_uint_le(b, 1);
    return b;
}

static int op(struct session *s, unsigned opcode, uint64_t h)
{
    return pc_call(s, 0, NULL, opcode, "U", h);
}

static int wait_(struct session *s, intptr_t tag, uint64_t h, int64_t timeout)
{
    return pc_call(s, tag, NULL, SMOP_event_wait, "UI", h, timeout);
}

/* ls_size() - the size ls shows for @h. */
static size_t ls_size(uint64_t h)
{
    struct object *o = registry_find(&pc_core, h);
    return o->type->size(o);
}

START_TEST(set_clear_is_set)
{
    struct session *a = pc_session(1);
    uint64_t h = pc_open(a, "e", SM_T_EVENT, OPEN_CREATE, "");
    ck_assert(!is_set(a, h));
    ck_assert_uint_eq(ls_size(h), 0);
    ck_assert_int_eq(wait_(a, 0, h, 0), SM_ETIMEDOUT);
    ck_assert_int_eq(op(a, SMOP_event_set, h), SM_OK);
    ck_assert(is_set(a, h));
    ck_assert_uint_eq(ls_size(h), 1);
    ck_assert_int_eq(wait_(a, 0, h, 0), SM_OK);
    ck_assert_int_eq(wait_(a, 0, h, -1), SM_OK);       /* set: never parks */
    ck_assert_int_eq(op(a, SMOP_event_set, h), SM_OK); /* twice is fine */
    ck_assert_int_eq(op(a, SMOP_event_clear, h), SM_OK);
    ck_assert(!is_set(a, h));
    ck_assert_int_eq(wait_(a, 0, h, 0), SM_ETIMEDOUT);
    ck_assert_uint_eq(pc_nsent, 0);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_open, "sUUMsU", "x", (uint64_t)SM_T_EVENT,
                             (uint64_t)OPEN_CREATE, 1, "value", (uint64_t)1),
                     SM_EINVAL);
}
END_TEST

START_TEST(set_wakes_every_waiter)
{
    struct session *a = pc_session(1);
    uint64_t h = pc_open(a, "e", SM_T_EVENT, OPEN_CREATE, "");
    for (int i = 0; i < 30; i++) {
        struct session *s = pc_session(10 + (uint32_t)i);
        ck_assert_int_eq(wait_(s, 100 + i, h, i % 2 ? -1 : 60000), SM_PARKED);
    }
    ck_assert_uint_eq(pc_core.nparked, 30);
    ck_assert_int_eq(op(a, SMOP_event_set, h), SM_OK);
    ck_assert_uint_eq(pc_nsent, 30);
    for (int i = 0; i < 30; i++)
        PC_SENT(i, 100 + i, SM_OK);
    ck_assert_uint_eq(pc_core.nparked, 0);
    ck_assert_uint_eq(pc_core.nheap, 0);
    /* clear, then a new round of waiting */
    ck_assert_int_eq(op(a, SMOP_event_clear, h), SM_OK);
    ck_assert_int_eq(wait_(a, 7, h, -1), SM_PARKED);
    ck_assert_int_eq(op(a, SMOP_event_clear, h), SM_OK); /* clear wakes nobody */
    ck_assert_uint_eq(pc_nsent, 30);
    ck_assert_int_eq(op(a, SMOP_event_set, h), SM_OK);
    PC_SENT(30, 7, SM_OK);
}
END_TEST

START_TEST(deadline_expires)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    uint64_t h = pc_open(a, "e", SM_T_EVENT, OPEN_CREATE, "");
    ck_assert_int_eq(wait_(a, 1, h, 50), SM_PARKED);
    ck_assert_int_eq(wait_(b, 2, h, 5000), SM_PARKED);
    wait_expire(&pc_core, now_ms() + 100);
    ck_assert_uint_eq(pc_nsent, 1);
    PC_SENT(0, 1, SM_ETIMEDOUT);
    ck_assert_int_eq(op(a, SMOP_event_set, h), SM_OK);
    PC_SENT(1, 2, SM_OK);
}
END_TEST

START_TEST(dead_waiter_leaves_nothing_parked)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    uint64_t h = pc_open(a, "e", SM_T_EVENT, OPEN_CREATE, "");
    ck_assert_int_eq(wait_(b, 1, h, 5000), SM_PARKED);
    ck_assert_int_eq(wait_(a, 2, h, -1), SM_PARKED);
    session_end(&pc_core, b);
    PC_SENT(0, 1, SM_ECONN);
    ck_assert_uint_eq(registry_find(&pc_core, h)->nwaiters, 1);
    ck_assert_uint_eq(pc_core.nheap, 0);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_unlink, "s", "e"), SM_OK);
    PC_SENT(1, 2, SM_ENOENT);
    ck_assert_uint_eq(pc_core.nparked, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("obj_event");
    TCase *tc = tcase_create("event");
    tcase_add_checked_fixture(tc, pc_setup, pc_teardown);
    tcase_add_test(tc, set_clear_is_set);
    tcase_add_test(tc, set_wakes_every_waiter);
    tcase_add_test(tc, deadline_expires);
    tcase_add_test(tc, dead_waiter_leaves_nothing_parked);
    suite_add_tcase(s, tc);
    return check_run(s, CK_ENV);
}
