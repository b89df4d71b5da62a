/*
 * test_obj_pipe.c - Pipe through dispatch on a core of its own, no network:
 * the two directions, parked receivers handed later sends in order, polls
 * that do not consume, deadlines (wait_expire), gone sessions skipped, and
 * unlink.  Replies of parked requests are caught by the send_reply hook.
 */
#include <check.h>

#include "check_run.h"
#include "park_call.h"

static struct session *a, *b, *c;
static uint64_t h; /* the pipe "p" */

static int send_str(struct session *s, uint64_t end, const char *v)
{
    return pc_call(s, 0, NULL, SMOP_pipe_send, "UUs", h, end, v);
}

static int recv_end(struct session *s, intptr_t tag, struct pc_reply *r, uint64_t end,
                    int64_t timeout)
{
    return pc_call(s, tag, r, SMOP_pipe_recv, "UUI", h, end, timeout);
}

static int poll_end(struct session *s, intptr_t tag, struct pc_reply *r, uint64_t end,
                    int64_t timeout)
{
    return pc_call(s, tag, r, SMOP_pipe_poll, "UUI", h, end, timeout);
}

/* queued() - values waiting in both directions, as ls shows. */
static size_t queued(void)
{
    struct object *o = registry_find(&pc_core, h);
    return o->type->size(o);
}

static void setup(void)
{
    pc_setup();
    a = pc_session(1);
    b = pc_session(2);
    c = pc_session(3);
    h = pc_open(a, "p", SM_T_PIPE, OPEN_CREATE, "");
}

START_TEST(two_directions_in_order)
{
    struct pc_reply r;
    ck_assert_int_eq(send_str(a, 0, "a1"), SM_OK);
    ck_assert_int_eq(send_str(a, 0, "a2"), SM_OK);
    ck_assert_int_eq(send_str(b, 1, "b1"), SM_OK);
    ck_assert_uint_eq(queued(), 3);
    /* end 0 receives only what end 1 sent, and the other way round */
    ck_assert_int_eq(recv_end(a, 0, &r, 0, 0), SM_OK);
    PC_EXPECT(&r, SM_OK, "s", "b1");
    ck_assert_int_eq(recv_end(a, 0, &r, 0, 0), SM_ETIMEDOUT);
    ck_assert_int_eq(recv_end(b, 0, &r, 1, 0), SM_OK);
    PC_EXPECT(&r, SM_OK, "s", "a1");
    ck_assert_int_eq(recv_end(c, 0, &r, 1, 1000), SM_OK); /* any session may use an end */
    PC_EXPECT(&r, SM_OK, "s", "a2");
    ck_assert_int_eq(recv_end(b, 0, &r, 1, 0), SM_ETIMEDOUT);
    ck_assert_uint_eq(queued(), 0);
    ck_assert_uint_eq(pc_nsent, 0);
}
END_TEST

START_TEST(bad_end_and_options)
{
    struct pc_reply r;
    struct object *o;
    ck_assert_int_eq(send_str(a, 2, "x"), SM_EINVAL);
    ck_assert_int_eq(recv_end(a, 0, &r, 2, 0), SM_EINVAL);
    ck_assert_int_eq(poll_end(a, 0, &r, 7, 0), SM_EINVAL);
    ck_assert_uint_eq(queued(), 0);
    static const uint8_t end_opt[] = {0x81, 0xa3, 'e', 'n', 'd', 0x01}; /* {"end": 1} */
    ck_assert_int_eq(uc_create(&o, &obj_pipe_type, end_opt, sizeof(end_opt)), SM_EINVAL);
}
END_TEST

START_TEST(parked_receivers_get_later_sends_fifo)
{
    struct pc_reply r;
    ck_assert_int_eq(recv_end(b, 11, NULL, 1, -1), SM_PARKED);
    ck_assert_int_eq(recv_end(c, 12, NULL, 1, 60000), SM_PARKED);
    ck_assert_int_eq(recv_end(c, 13, NULL, 0, -1), SM_PARKED); /* the other end */
    /* a send from end 1 goes to end 0's receiver only */
    ck_assert_int_eq(send_str(a, 1, "to0"), SM_OK);
    ck_assert_uint_eq(pc_nsent, 1);
    ck_assert_int_eq(pc_sent[0].tag, 13);
    PC_EXPECT(&pc_sent[0], SM_OK, "s", "to0");
    ck_assert_int_eq(send_str(a, 0, "first"), SM_OK);
    ck_assert_int_eq(send_str(a, 0, "second"), SM_OK);
    ck_assert_int_eq(send_str(a, 0, "third"), SM_OK);
    ck_assert_uint_eq(pc_nsent, 3);
    ck_assert_int_eq(pc_sent[1].tag, 11);
    PC_EXPECT(&pc_sent[1], SM_OK, "s", "first");
    ck_assert_int_eq(pc_sent[2].tag, 12);
    PC_EXPECT(&pc_sent[2], SM_OK, "s", "second");
    /* handed over, not queued; the third waits for the next receiver */
    ck_assert_uint_eq(queued(), 1);
    ck_assert_uint_eq(pc_core.nparked, 0);
    ck_assert_uint_eq(pc_core.nheap, 0);
    ck_assert_int_eq(recv_end(b, 0, &r, 1, -1), SM_OK);
    PC_EXPECT(&r, SM_OK, "s", "third");
}
END_TEST

START_TEST(recv_deadline)
{
    ck_assert_int_eq(recv_end(b, 21, NULL, 1, 50), SM_PARKED);
    int64_t t0 = now_ms();
    ck_assert_int_le(wait_next_deadline(&pc_core), t0 + 50);
    wait_expire(&pc_core, t0 + 10);
    ck_assert_uint_eq(pc_nsent, 0);
    wait_expire(&pc_core, t0 + 60);
    ck_assert_uint_eq(pc_nsent, 1);
    ck_assert_int_eq(pc_sent[0].tag, 21);
    PC_EXPECT(&pc_sent[0], SM_ETIMEDOUT, "");
    /* a later send is queued, not lost */
    ck_assert_int_eq(send_str(a, 0, "late"), SM_OK);
    ck_assert_uint_eq(pc_nsent, 1);
    ck_assert_uint_eq(queued(), 1);
}
END_TEST

START_TEST(poll_does_not_consume)
{
    struct pc_reply r;
    ck_assert_int_eq(poll_end(b, 0, &r, 1, 0), SM_OK);
    PC_EXPECT(&r, SM_OK, "b", 0);
    /* parked pollers of end 1 are told true by a send to end 1 */
    ck_assert_int_eq(poll_end(b, 31, NULL, 1, -1), SM_PARKED);
    ck_assert_int_eq(poll_end(c, 32, NULL, 1, 60000), SM_PARKED);
    ck_assert_int_eq(poll_end(c, 33, NULL, 0, -1), SM_PARKED);
    ck_assert_int_eq(send_str(a, 0, "v"), SM_OK);
    ck_assert_uint_eq(pc_nsent, 2);
    ck_assert_int_eq(pc_sent[0].tag, 31);
    PC_EXPECT(&pc_sent[0], SM_OK, "b", 1);
    ck_assert_int_eq(pc_sent[1].tag, 32);
    PC_EXPECT(&pc_sent[1], SM_OK, "b", 1);
    ck_assert_uint_eq(pc_core.nparked, 1); /* end 0's poller still waits */
    /* the value is still there, for poll and then recv */
    ck_assert_uint_eq(queued(), 1);
    ck_assert_int_eq(poll_end(b, 0, &r, 1, 60000), SM_OK);
    PC_EXPECT(&r, SM_OK, "b", 1);
    ck_assert_int_eq(recv_end(b, 0, &r, 1, 0), SM_OK);
    PC_EXPECT(&r, SM_OK, "s", "v");
    ck_assert_uint_eq(pc_nsent, 2);
}
END_TEST

START_TEST(poll_prefers_receivers)
{
    struct pc_reply r;
    /* a parked receiver takes the value: a poller has nothing to see */
    ck_assert_int_eq(poll_end(b, 41, NULL, 1, -1), SM_PARKED);
    ck_assert_int_eq(recv_end(c, 42, NULL, 1, -1), SM_PARKED);
    ck_assert_int_eq(send_str(a, 0, "v"), SM_OK);
    ck_assert_uint_eq(pc_nsent, 1);
    ck_assert_int_eq(pc_sent[0].tag, 42);
    PC_EXPECT(&pc_sent[0], SM_OK, "s", "v");
    ck_assert_int_eq(poll_end(c, 0, &r, 1, 0), SM_OK);
    PC_EXPECT(&r, SM_OK, "b", 0);
}
END_TEST

START_TEST(poll_deadline_is_false)
{
    ck_assert_int_eq(poll_end(b, 51, NULL, 1, 50), SM_PARKED);
    int64_t t0 = now_ms();
    wait_expire(&pc_core, t0 + 10);
    ck_assert_uint_eq(pc_nsent, 0);
    wait_expire(&pc_core, t0 + 60);
    ck_assert_uint_eq(pc_nsent, 1);
    ck_assert_int_eq(pc_sent[0].tag, 51);
    PC_EXPECT(&pc_sent[0], SM_OK, "b", 0);
    ck_assert_uint_eq(pc_core.nparked, 0);
    ck_assert_uint_eq(pc_core.nheap, 0);
}
END_TEST

START_TEST(gone_session_is_skipped)
{
    struct pc_reply r;
    ck_assert_int_eq(recv_end(b, 61, NULL, 1, -1), SM_PARKED);
    ck_assert_int_eq(poll_end(b, 62, NULL, 1, -1), SM_PARKED);
    ck_assert_int_eq(recv_end(c, 63, NULL, 1, -1), SM_PARKED);
    b->gone = true; /* its pipe closed; session_end() has not run yet */
    /* the live receiver behind the gone one gets the value */
    ck_assert_int_eq(send_str(a, 0, "first"), SM_OK);
    ck_assert_uint_eq(pc_nsent, 1);
    ck_assert_int_eq(pc_sent[0].tag, 63);
    PC_EXPECT(&pc_sent[0], SM_OK, "s", "first");
    /* with only the gone one left, the value is queued: b is neither
     * handed it nor woken to poll it */
    ck_assert_int_eq(send_str(a, 0, "kept"), SM_OK);
    ck_assert_uint_eq(pc_nsent, 1);
    ck_assert_uint_eq(queued(), 1);
    session_end(&pc_core, b);
    ck_assert_uint_eq(pc_nsent, 3);
    ck_assert_int_eq(pc_sent[1].status, SM_ECONN);
    ck_assert_int_eq(pc_sent[2].status, SM_ECONN);
    ck_assert_uint_eq(pc_core.nparked, 0);
    ck_assert_int_eq(recv_end(c, 0, &r, 1, 0), SM_OK);
    PC_EXPECT(&r, SM_OK, "s", "kept");
}
END_TEST

START_TEST(unlink_cancels_waiters)
{
    ck_assert_int_eq(send_str(a, 1, "left behind"), SM_OK);
    ck_assert_int_eq(recv_end(b, 71, NULL, 1, 60000), SM_PARKED);
    ck_assert_int_eq(poll_end(c, 72, NULL, 1, -1), SM_PARKED);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_unlink, "s", "p"), SM_OK);
    ck_assert_uint_eq(pc_nsent, 2);
    ck_assert_int_eq(pc_sent[0].status, SM_ENOENT);
    ck_assert_int_eq(pc_sent[1].status, SM_ENOENT);
    ck_assert_uint_eq(pc_core.nparked, 0);
    ck_assert_uint_eq(pc_core.nheap, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("obj_pipe");
    TCase *tc = tcase_create("pipe");
    tcase_add_checked_fixture(tc, setup, pc_teardown);
    tcase_add_test(tc, two_directions_in_order);
    tcase_add_test(tc, bad_end_and_options);
    tcase_add_test(tc, parked_receivers_get_later_sends_fifo);
    tcase_add_test(tc, recv_deadline);
    tcase_add_test(tc, poll_does_not_consume);
    tcase_add_test(tc, poll_prefers_receivers);
    tcase_add_test(tc, poll_deadline_is_false);
    tcase_add_test(tc, gone_session_is_skipped);
    tcase_add_test(tc, unlink_cancels_waiters);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(suite(), CK_NORMAL);
}
