/*
 * test_obj_queue.c - queue.Queue / JoinableQueue in the broker core, no
 * network: requests go through dispatch() from hand-made sessions, and the
 * replies of parked requests (value bytes included) are caught by the
 * core's send_reply hook.  Deadlines are driven with wait_expire().
 */
#include <check.h>
#include <stdio.h>

#include "blob.h"
#include "check_run.h"
#include "park_call.h"

static uint64_t new_queue(struct session *s, const char *name, uint64_t maxsize, bool joinable)
{
    return pc_open(s, name, SM_T_QUEUE, OPEN_CREATE, "MsUsb", 2, "maxsize", maxsize, "joinable",
                   (int)joinable);
}

static int put(struct session *s, intptr_t tag, uint64_t h, const char *v, int64_t timeout)
{
    return pc_call(s, tag, NULL, SMOP_queue_put, "UsI", h, v, timeout);
}

static int get(struct session *s, intptr_t tag, uint64_t h, int64_t timeout, struct pc_reply *r)
{
    return pc_call(s, tag, r, SMOP_queue_get, "UI", h, timeout);
}

static int join(struct session *s, intptr_t tag, uint64_t h, int64_t timeout)
{
    return pc_call(s, tag, NULL, SMOP_queue_join, "UI", h, timeout);
}

static int task_done(struct session *s, uint64_t h)
{
    return pc_call(s, 0, NULL, SMOP_queue_task_done, "U", h);
}

/* ck_get() - a get that does not wait must reply the str @want. */
#define ck_get(s, h, want)                                                                         \
    do {                                                                                           \
        struct pc_reply r_;                                                                        \
        ck_assert_int_eq(get((s), 0, (h), 0, &r_), SM_OK);                                         \
        PC_EXPECT(&r_, SM_OK, "s", (want));                                                        \
    } while (0)

/* ck_sent() - reply @i went to request @tag with @status and, when @val is
 * not NULL, the str @val as its value. */
#define ck_sent(...) ck_sent_at(__LINE__, __VA_ARGS__)
static void ck_sent_at(int line, size_t i, intptr_t tag, int status, const char *val)
{
    ck_assert_msg(pc_nsent > i, "line %d: only %zu replies sent, expected reply %zu", line,
                  pc_nsent, i);
    ck_assert_msg(pc_sent[i].tag == tag, "line %d: reply %zu went to request %ld, expected %ld",
                  line, i, (long)pc_sent[i].tag, (long)tag);
    ck_assert_msg(pc_sent[i].status == status, "line %d: reply %zu: status %s, expected %s", line,
                  i, sm_error_name(pc_sent[i].status), sm_error_name(status));
    if (val)
        ck_assert_msg(pc_same(&pc_sent[i], status, "s", val), "line %d: reply %zu: %s", line, i,
                      uc_error);
}

#define qsize(s, h) pc_query((s), SMOP_queue_qsize, (h))
#define is_empty(s, h) pc_query((s), SMOP_queue_empty, (h))
#define is_full(s, h) pc_query((s), SMOP_queue_full, (h))

/* ---- tests ---------------------------------------------------------------- */

START_TEST(fifo_and_sizes)
{
    struct session *a = pc_session(1);
    uint64_t h = new_queue(a, "q", 0, false);
    ck_assert_uint_eq(is_empty(a, h), 1);
    ck_assert_uint_eq(is_full(a, h), 0);
    for (int i = 0; i < 100; i++) {
        char v[16];
        snprintf(v, sizeof(v), "item-%d", i);
        ck_assert_int_eq(put(a, 0, h, v, 0), SM_OK);
    }
    ck_assert_uint_eq(qsize(a, h), 100);
    ck_assert_uint_eq(obj_queue_type.size(registry_find(&pc_core, h)), 100); /* ls */
    ck_assert_uint_eq(is_empty(a, h), 0);
    ck_assert_uint_eq(is_full(a, h), 0); /* unbounded */
    for (int i = 0; i < 100; i++) {
        char v[16];
        snprintf(v, sizeof(v), "item-%d", i);
        ck_get(a, h, v);
        ck_assert_uint_eq(qsize(a, h), (uint64_t)(99 - i));
    }
    ck_assert_int_eq(get(a, 0, h, 0, NULL), SM_EEMPTY);
    ck_assert_uint_eq(is_empty(a, h), 1);
    ck_assert_uint_eq(pc_nsent, 0);
}
END_TEST

START_TEST(options)
{
    struct session *a = pc_session(1);
    uint64_t h;
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_open, "sUUMss", "q", (uint64_t)SM_T_QUEUE,
                             (uint64_t)OPEN_CREATE, 1, "colour", "ten"),
                     SM_EINVAL);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_open, "sUUMss", "q", (uint64_t)SM_T_QUEUE,
                             (uint64_t)OPEN_CREATE, 1, "maxsize", "ten"),
                     SM_EINVAL);
    h = pc_open(a, "q", SM_T_QUEUE, OPEN_CREATE, "MsU", 1, "maxsize", (uint64_t)3);
    /* not joinable unless asked */
    ck_assert_int_eq(task_done(a, h), SM_ENOTSUP);
    ck_assert_int_eq(join(a, 0, h, 0), SM_ENOTSUP);
    ck_assert_int_eq(join(a, 0, h, -1), SM_ENOTSUP);
    /* no options: unbounded */
    ck_assert_int_eq(
        pc_call(a, 0, NULL, SMOP_open, "sUU", "plain", (uint64_t)SM_T_QUEUE, (uint64_t)OPEN_CREATE),
        SM_OK);
}
END_TEST

START_TEST(maxsize_full_and_empty_try)
{
    struct session *a = pc_session(1);
    uint64_t h = new_queue(a, "q", 2, true);
    ck_assert_int_eq(get(a, 0, h, 0, NULL), SM_EEMPTY);
    ck_assert_int_eq(put(a, 0, h, "a", 0), SM_OK);
    ck_assert_uint_eq(is_full(a, h), 0);
    ck_assert_int_eq(put(a, 0, h, "b", 0), SM_OK);
    ck_assert_uint_eq(is_full(a, h), 1);
    size_t bytes = blob_bytes_stored();
    ck_assert_int_eq(put(a, 0, h, "c", 0), SM_EFULL);
    ck_assert_uint_eq(blob_bytes_stored(), bytes);
    ck_assert_uint_eq(qsize(a, h), 2);
    ck_get(a, h, "a");
    ck_assert_uint_eq(is_full(a, h), 0);
    ck_assert_int_eq(put(a, 0, h, "c", 0), SM_OK);
    ck_get(a, h, "b");
    ck_get(a, h, "c");
    ck_assert_uint_eq(pc_core.nparked, 0);
}
END_TEST

START_TEST(parked_getters_receive_puts_in_order)
{
    struct session *a = pc_session(1);
    struct session *g[10];
    uint64_t h = new_queue(a, "q", 0, false);
    for (int i = 0; i < 10; i++) {
        g[i] = pc_session(10 + (uint32_t)i);
        ck_assert_int_eq(get(g[i], 100 + i, h, i % 2 ? -1 : 60000, NULL), SM_PARKED);
    }
    ck_assert_uint_eq(pc_core.nparked, 10);
    for (int i = 0; i < 10; i++) {
        char v[16];
        snprintf(v, sizeof(v), "v%d", i);
        ck_assert_int_eq(put(a, 0, h, v, 0), SM_OK);
        ck_assert_uint_eq(pc_nsent, (size_t)i + 1);
        ck_sent(i, 100 + i, SM_OK, v);
        ck_assert_uint_eq(qsize(a, h), 0); /* handed over, never queued */
    }
    ck_assert_uint_eq(pc_core.nparked, 0);
    ck_assert_uint_eq(pc_core.nheap, 0);
    /* a getter with nobody before it takes a queued item at once */
    ck_assert_int_eq(put(a, 0, h, "x", 0), SM_OK);
    ck_get(g[0], h, "x");
}
END_TEST

START_TEST(parked_putters_admitted_in_order)
{
    struct session *a = pc_session(1), *b = pc_session(2), *c = pc_session(3);
    uint64_t h = new_queue(a, "q", 1, true);
    ck_assert_int_eq(put(a, 0, h, "a", 0), SM_OK);
    ck_assert_int_eq(put(b, 1, h, "b", -1), SM_PARKED);
    ck_assert_int_eq(put(c, 2, h, "c", 60000), SM_PARKED);
    ck_assert_int_eq(put(b, 0, h, "z", 0), SM_EFULL);
    ck_assert_uint_eq(qsize(a, h), 1);
    ck_get(a, h, "a");
    ck_sent(0, 1, SM_OK, NULL);
    ck_assert_uint_eq(qsize(a, h), 1); /* "b" took the free slot */
    /* a newcomer parks behind the waiting putter */
    ck_assert_int_eq(put(a, 3, h, "d", -1), SM_PARKED);
    ck_get(a, h, "b");
    ck_sent(1, 2, SM_OK, NULL);
    ck_get(a, h, "c");
    ck_sent(2, 3, SM_OK, NULL);
    ck_get(a, h, "d");
    ck_assert_int_eq(get(a, 0, h, 0, NULL), SM_EEMPTY);
    ck_assert_uint_eq(pc_nsent, 3);
    ck_assert_uint_eq(pc_core.nparked, 0);
    /* every put counted as a task, the admitted ones too */
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(task_done(a, h), SM_OK);
    ck_assert_int_eq(task_done(a, h), SM_EVALUE);
}
END_TEST

START_TEST(deadlines)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    uint64_t h = new_queue(a, "q", 1, true);
    int64_t t0 = now_ms();
    ck_assert_int_eq(get(b, 1, h, 100, NULL), SM_PARKED);
    wait_expire(&pc_core, t0 + 10);
    ck_assert_uint_eq(pc_nsent, 0);
    wait_expire(&pc_core, t0 + 200);
    ck_sent(0, 1, SM_EEMPTY, NULL);

    size_t bytes = blob_bytes_stored();
    ck_assert_int_eq(put(a, 0, h, "kept", 0), SM_OK);
    ck_assert_int_eq(put(b, 2, h, "a-long-value-that-times-out", 50), SM_PARKED);
    ck_assert_int_eq(join(b, 3, h, 300), SM_PARKED);
    ck_assert_int_eq(join(b, 4, h, -1), SM_PARKED);
    wait_expire(&pc_core, t0 + 200);
    ck_sent(1, 2, SM_EFULL, NULL);
    ck_assert_uint_eq(pc_nsent, 2);
    ck_assert_uint_eq(blob_bytes_stored(), bytes + 5); /* only "kept" (5 bytes) is stored */
    ck_assert_uint_eq(qsize(a, h), 1);
    wait_expire(&pc_core, t0 + 400);
    ck_sent(2, 3, SM_ETIMEDOUT, NULL);
    ck_assert_uint_eq(pc_nsent, 3);
    ck_get(a, h, "kept");
    ck_assert_int_eq(get(a, 0, h, 0, NULL), SM_EEMPTY); /* the timed-out item never came */
    ck_assert_int_eq(task_done(a, h), SM_OK);
    ck_sent(3, 4, SM_OK, NULL); /* the joiner without a deadline */
    ck_assert_uint_eq(pc_core.nheap, 0);
    ck_assert_uint_eq(blob_bytes_stored(), bytes);
}
END_TEST

START_TEST(task_done_and_join)
{
    struct session *a = pc_session(1), *b = pc_session(2), *c = pc_session(3);
    uint64_t h = new_queue(a, "q", 0, true);
    ck_assert_int_eq(task_done(a, h), SM_EVALUE);
    ck_assert_int_eq(join(a, 0, h, 0), SM_OK);
    ck_assert_int_eq(join(a, 0, h, -1), SM_OK); /* nothing unfinished: no wait */
    ck_assert_int_eq(get(c, 9, h, -1, NULL), SM_PARKED);
    ck_assert_int_eq(put(a, 0, h, "x", 0), SM_OK); /* handed to c: still a task */
    ck_assert_int_eq(put(a, 0, h, "y", 0), SM_OK);
    ck_sent(0, 9, SM_OK, "x");
    ck_assert_int_eq(join(a, 0, h, 0), SM_ETIMEDOUT);
    ck_assert_int_eq(join(b, 1, h, -1), SM_PARKED);
    ck_assert_int_eq(join(c, 2, h, 60000), SM_PARKED);
    ck_get(a, h, "y");
    ck_assert_int_eq(task_done(c, h), SM_OK);
    ck_assert_uint_eq(pc_nsent, 1);
    ck_assert_int_eq(task_done(a, h), SM_OK);
    ck_assert_uint_eq(pc_nsent, 3); /* both joiners at once */
    ck_sent(1, 1, SM_OK, NULL);
    ck_sent(2, 2, SM_OK, NULL);
    ck_assert_int_eq(task_done(a, h), SM_EVALUE);
    ck_assert_int_eq(join(a, 0, h, 0), SM_OK);
    ck_assert_uint_eq(pc_core.nparked, 0);
    ck_assert_uint_eq(pc_core.nheap, 0);
}
END_TEST

START_TEST(dead_putter_item_dropped)
{
    struct session *a = pc_session(1), *b = pc_session(2), *c = pc_session(3);
    uint64_t h = new_queue(a, "q", 1, true);
    ck_assert_int_eq(put(a, 0, h, "a", 0), SM_OK);
    size_t bytes = blob_bytes_stored();
    ck_assert_int_eq(put(b, 1, h, "from-the-dead", 5000), SM_PARKED);
    ck_assert_int_eq(put(c, 2, h, "c", -1), SM_PARKED);
    ck_assert_uint_gt(blob_bytes_stored(), bytes);
    session_end(&pc_core, b);
    ck_sent(0, 1, SM_ECONN, NULL);
    ck_assert_uint_eq(blob_bytes_stored(), bytes + 2); /* "c" only */
    ck_assert_uint_eq(pc_core.nheap, 0);
    ck_get(a, h, "a");
    ck_sent(1, 2, SM_OK, NULL);
    ck_get(a, h, "c");
    ck_assert_int_eq(get(a, 0, h, 0, NULL), SM_EEMPTY);
    ck_assert_int_eq(task_done(a, h), SM_OK);
    ck_assert_int_eq(task_done(a, h), SM_OK);
    ck_assert_int_eq(task_done(a, h), SM_EVALUE); /* the dead put never counted */
}
END_TEST

START_TEST(gone_getter_skipped)
{
    struct session *a = pc_session(1), *b = pc_session(2), *c = pc_session(3), *d = pc_session(4);
    uint64_t h = new_queue(a, "q", 0, false);
    ck_assert_int_eq(get(b, 1, h, -1, NULL), SM_PARKED);
    ck_assert_int_eq(get(c, 2, h, -1, NULL), SM_PARKED);
    b->gone = true; /* its pipe closed; session_end() has not run yet */
    ck_assert_int_eq(put(a, 0, h, "x", 0), SM_OK);
    ck_assert_uint_eq(pc_nsent, 1);
    ck_sent(0, 2, SM_OK, "x");
    /* only the gone getter waits: a put is queued, and a newcomer takes it */
    ck_assert_int_eq(put(a, 0, h, "y", 0), SM_OK);
    ck_assert_uint_eq(pc_nsent, 1);
    ck_assert_uint_eq(qsize(a, h), 1);
    ck_get(d, h, "y");
    session_end(&pc_core, b);
    ck_sent(1, 1, SM_ECONN, NULL);
    ck_assert_uint_eq(qsize(a, h), 0);
}
END_TEST

START_TEST(gone_putter_skipped)
{
    struct session *a = pc_session(1), *b = pc_session(2), *c = pc_session(3);
    uint64_t h = new_queue(a, "q", 1, false);
    ck_assert_int_eq(put(a, 0, h, "a", 0), SM_OK);
    ck_assert_int_eq(put(b, 1, h, "b", -1), SM_PARKED);
    ck_assert_int_eq(put(c, 2, h, "c", -1), SM_PARKED);
    b->gone = true;
    ck_get(a, h, "a");
    ck_sent(0, 2, SM_OK, NULL);
    ck_get(a, h, "c");
    ck_assert_int_eq(get(a, 0, h, 0, NULL), SM_EEMPTY);
    session_end(&pc_core, b);
    ck_sent(1, 1, SM_ECONN, NULL);
    ck_assert_int_eq(get(a, 0, h, 0, NULL), SM_EEMPTY);
}
END_TEST

START_TEST(unlink_cancels_parked_with_enoent)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    size_t bytes = blob_bytes_stored();
    uint64_t h = new_queue(a, "q", 1, true);
    ck_assert_int_eq(put(a, 0, h, "queued", 0), SM_OK);
    ck_assert_int_eq(put(b, 1, h, "parked", 60000), SM_PARKED);
    ck_assert_int_eq(join(b, 2, h, -1), SM_PARKED);
    uint64_t h2 = new_queue(a, "q2", 0, false);
    ck_assert_int_eq(get(b, 3, h2, -1, NULL), SM_PARKED);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_unlink, "s", "q"), SM_OK);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_unlink, "s", "q2"), SM_OK);
    ck_assert_uint_eq(pc_nsent, 3);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pc_sent[i].status, SM_ENOENT);
    ck_assert_uint_eq(pc_core.nparked, 0);
    ck_assert_uint_eq(pc_core.nheap, 0);
    ck_assert_uint_eq(blob_bytes_stored(), bytes);
    ck_assert_int_eq(get(a, 0, h, 0, NULL), SM_ENOENT);
}
END_TEST

START_TEST(shutdown_frees_parked_items)
{
    struct session *a = pc_session(1);
    size_t bytes = blob_bytes_stored();
    uint64_t h = new_queue(a, "q", 1, false);
    ck_assert_int_eq(put(a, 0, h, "queued", 0), SM_OK);
    ck_assert_int_eq(put(a, 1, h, "parked", -1), SM_PARKED);
    wait_cancel_all(&pc_core, SM_ESHUTDOWN);
    ck_sent(0, 1, SM_ESHUTDOWN, NULL);
    ck_assert_uint_eq(qsize(a, h), 1);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_unlink, "s", "q"), SM_OK);
    ck_assert_uint_eq(blob_bytes_stored(), bytes);
}
END_TEST

/* Out of memory at every allocation of put and get leaves the queue as it
 * was (unit_call.c's sweep: same qsize, same bytes stored). */
START_TEST(oom_leaves_queue_unchanged)
{
    struct object *o = uc_new(&obj_queue_type);
    for (int i = 0; i < 40; i++) /* through a few ring growths */
        UC_OOM(o, queue_qsize, queue_put, "ii", i, 0);
    for (int i = 0; i < 40; i++)
        UC_CALL_EXPECT(o, queue_get, ("i", 0), SM_OK, "i", i);
    UC_CALL_EXPECT(o, queue_get, ("i", 0), SM_EEMPTY, "");
    UC_CALL_EXPECT(o, queue_qsize, (""), SM_OK, "i", 0);
    uc_free(o);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("obj_queue");
    TCase *tc = tcase_create("queue");
    tcase_add_checked_fixture(tc, pc_setup, pc_teardown);
    tcase_add_test(tc, fifo_and_sizes);
    tcase_add_test(tc, options);
    tcase_add_test(tc, maxsize_full_and_empty_try);
    tcase_add_test(tc, parked_getters_receive_puts_in_order);
    tcase_add_test(tc, parked_putters_admitted_in_order);
    tcase_add_test(tc, deadlines);
    tcase_add_test(tc, task_done_and_join);
    tcase_add_test(tc, dead_putter_item_dropped);
    tcase_add_test(tc, gone_getter_skipped);
    tcase_add_test(tc, gone_putter_skipped);
    tcase_add_test(tc, unlink_cancels_parked_with_enoent);
    tcase_add_test(tc, shutdown_frees_parked_items);
    tcase_add_test(tc, oom_leaves_queue_unchanged);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(suite(), CK_NORMAL);
}
