/*
 * test_pipeline.c - sm_pipeline on the real broker: results by call order,
 * at most `depth` calls in flight (seen as parked requests on the broker),
 * a lost broker ending every call in flight with SM_ECONN, replies larger
 * than a socket buffer, and a pipeline
 * next to ordinary calls of other threads.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "harness.h"

static struct sm_broker broker;
static sm_client *cli;

static void setup(void)
{
    broker_up(&broker, &cli, NULL);
}

static void teardown(void)
{
    broker_down(&broker, &cli, NULL);
}

/* ---- results by call order ------------------------------------------------ */

START_TEST(test_order)
{
    enum { N = 300 };
    sm_dict *d;
    sm_pipeline *p, *p2;
    sm_batch *b;
    sm_val v;
    char key[16];
    ck_sm(sm_dict_open(cli, "D", SM_CREATE, NULL, &d), SM_OK);
    ck_sm(sm_pipeline_begin(cli, 0, &p), SM_EINVAL);
    ck_sm(sm_pipeline_begin(cli, 16, &p), SM_OK);
    ck_sm(sm_pipeline_begin(cli, 4, &p2), SM_EINVAL); /* one per thread */
    ck_sm(sm_batch_begin(cli, &b), SM_EINVAL);
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        ck_sm(sm_dict_set(d, sm_str(key), sm_int(i * 3)), SM_EQUEUED);
    }
    ck_sm(sm_pipeline_sync(p), SM_OK);
    ck_assert_uint_eq(sm_pipeline_count(p), N);
    for (int i = 0; i < N; i++)
        ck_sm(sm_pipeline_status(p, i), SM_OK);
    ck_sm(sm_pipeline_reset(p), SM_OK);
    ck_assert_uint_eq(sm_pipeline_count(p), 0);
    for (int i = N - 1; i >= 0; i--) {
        snprintf(key, sizeof(key), "k%d", i);
        ck_sm(sm_dict_get(d, sm_str(key), &v), SM_EQUEUED);
    }
    ck_sm(sm_dict_get(d, sm_str("nope"), &v), SM_EQUEUED);
    ck_sm(sm_pipeline_end(p), SM_OK);
    for (int i = 0; i < N; i++) {
        ck_sm(sm_pipeline_value(p, i, &v), SM_OK);
        ck_assert_int_eq(v.v.i, (N - 1 - i) * 3);
        sm_val_free(&v);
    }
    ck_sm(sm_pipeline_value(p, N, &v), SM_ENOKEY);
    /* ended: calls are synchronous again, results still readable */
    ck_sm(sm_dict_get(d, sm_str("k7"), &v), SM_OK);
    ck_repr(v, "21");
    ck_sm(sm_pipeline_status(p, 0), SM_OK);
    sm_pipeline_free(p);
    sm_dict_close(d);
}
END_TEST

/* ---- replies larger than the socket takes ---------------------------------- */

/* Replies to 128 pipelined gets of 200 KB values (26 MB) fill the broker's
 * socket: they leave gathered several to a write, in pieces, and each
 * arrives whole and in its place. */
START_TEST(test_large_replies)
{
    enum { N = 64, LEN = 200 * 1024 };
    static uint8_t buf[LEN];
    sm_dict *d;
    sm_pipeline *p;
    sm_val v;
    ck_sm(sm_dict_open(cli, "big", SM_CREATE, NULL, &d), SM_OK);
    for (int i = 0; i < N; i++) {
        memset(buf, 'a' + i % 26, LEN);
        buf[0] = (uint8_t)i;
        ck_sm(sm_dict_set(d, sm_int(i), sm_bin(buf, LEN - i)), SM_OK);
    }
    ck_sm(sm_pipeline_begin(cli, N, &p), SM_OK);
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < N; i++)
            ck_sm(sm_dict_get(d, sm_int(i), &v), SM_EQUEUED);
    ck_sm(sm_pipeline_end(p), SM_OK);
    for (int k = 0; k < 2 * N; k++) {
        int i = k % N;
        ck_sm(sm_pipeline_value(p, k, &v), SM_OK);
        ck_assert_uint_eq(v.v.buf.len, LEN - i);
        const uint8_t *b = v.v.buf.ptr;
        ck_assert_uint_eq(b[0], i);
        for (size_t j = 1; j < v.v.buf.len; j++)
            if (b[j] != 'a' + i % 26)
                ck_abort_msg("reply %d: byte %zu is %u", k, j, b[j]);
        sm_val_free(&v);
    }
    sm_pipeline_free(p);
    sm_dict_close(d);
}
END_TEST

/* ---- depth respected -------------------------------------------------------- */

struct getter {
    sm_queue *q;
    sm_pipeline *p;
    atomic_int stage; /* 1: the depth calls sent, 2: the extra call returned */
};

/* pipelined_gets() - depth + 1 gets without limit on an empty queue. */
static void *pipelined_gets(void *arg)
{
    struct getter *g = arg;
    sm_val v;
    ck_sm(sm_pipeline_begin(cli, 4, &g->p), SM_OK);
    for (int i = 0; i < 4; i++)
        ck_sm(sm_queue_get(g->q, &v, SM_FOREVER), SM_EQUEUED);
    atomic_store(&g->stage, 1);
    ck_sm(sm_queue_get(g->q, &v, SM_FOREVER), SM_EQUEUED); /* waits for the oldest */
    atomic_store(&g->stage, 2);
    ck_sm(sm_pipeline_end(g->p), SM_OK);
    return NULL;
}

START_TEST(test_depth)
{
    struct getter g = {0};
    struct raw_conn adm;
    sm_client *other;
    sm_queue *q2;
    pthread_t t;
    ck_sm(sm_queue_open(cli, "Q", SM_CREATE, NULL, &g.q), SM_OK);
    ck_sm(broker_connect(&broker, &other), SM_OK);
    ck_sm(sm_queue_open(other, "Q", 0, NULL, &q2), SM_OK);
    raw_admin(&broker, &adm);
    ck_assert_int_eq(pthread_create(&t, NULL, pipelined_gets, &g), 0);
    raw_wait_parked(&adm, "Q", 4);
    sleep_ms(300);
    ck_assert_int_eq(raw_ls_waiters(&adm, "Q"), 4); /* not 5 */
    ck_assert_int_eq(atomic_load(&g.stage), 1);
    ck_sm(sm_queue_put(q2, sm_int(0), 0), SM_OK); /* the oldest completes ... */
    for (int64_t t0 = mono_ms(); atomic_load(&g.stage) != 2 && mono_ms() - t0 < 10000;)
        sleep_ms(10);
    ck_assert_int_eq(atomic_load(&g.stage), 2);
    raw_wait_parked(&adm, "Q", 4); /* ... and the fifth took its place */
    for (int i = 1; i <= 4; i++)
        ck_sm(sm_queue_put(q2, sm_int(i), 0), SM_OK);
    join_within(t, 30000);
    int seen = 0;
    for (int i = 0; i < 5; i++) {
        sm_val v;
        ck_sm(sm_pipeline_value(g.p, i, &v), SM_OK);
        seen |= 1 << v.v.i;
    }
    ck_assert_int_eq(seen, 0x1f); /* every item exactly once */
    sm_pipeline_free(g.p);
    raw_close(&adm);
    sm_queue_close(q2);
    sm_disconnect(other);
    sm_queue_close(g.q);
}
END_TEST

/* ---- a lost broker: SM_ECONN for every call in flight ----------------------- */

START_TEST(test_broker_killed)
{
    struct sm_broker k = {0};
    struct raw_conn adm;
    sm_client *c;
    sm_queue *q;
    sm_pipeline *p;
    sm_val v;
    ck_assert_int_eq(broker_start(&k, NULL), 0);
    ck_sm(broker_connect(&k, &c), SM_OK);
    ck_sm(sm_queue_open(c, "Q", SM_CREATE, NULL, &q), SM_OK);
    ck_sm(sm_queue_put(q, sm_int(1), 0), SM_OK);
    raw_admin(&k, &adm);
    ck_sm(sm_pipeline_begin(c, 8, &p), SM_OK);
    for (int i = 0; i < 6; i++)
        ck_sm(sm_queue_get(q, &v, SM_FOREVER), SM_EQUEUED);
    raw_wait_parked(&adm, "Q", 5);
    raw_close(&adm);
    broker_kill(&k, SIGKILL, 5000);
    ck_sm(sm_pipeline_sync(p), SM_ECONN);
    int ok = 0, lost = 0;
    for (int i = 0; i < 6; i++) {
        int st = sm_pipeline_status(p, i);
        ok += st == SM_OK;
        lost += st == SM_ECONN;
    }
    ck_assert_int_eq(ok, 1);
    ck_assert_int_eq(lost, 5);
    ck_sm(sm_queue_get(q, &v, 0), SM_ECONN); /* still pipelined: the call fails at once */
    ck_sm(sm_pipeline_end(p), SM_ECONN);
    sm_pipeline_free(p);
    ck_sm(sm_queue_get(q, &v, 0), SM_ECONN);
    sm_queue_close(q);
    sm_disconnect(c);
    broker_stop(&k, false);
}
END_TEST

int main(int argc, char **argv)
{
    static const struct child_prog none[] = {{NULL, NULL}};
    child_dispatch(argc, argv, none);

    Suite *s = suite_create("integration-pipeline");
    TCase *tc = tcase_create("pipeline");
    tcase_set_timeout(tc, 200);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_order);
    tcase_add_test(tc, test_depth);
    tcase_add_test(tc, test_large_replies);
    suite_add_tcase(s, tc);
    TCase *lost = tcase_create("lost");
    tcase_set_timeout(lost, 200);
    tcase_add_test(lost, test_broker_killed);
    suite_add_tcase(s, lost);

    return check_run(s, CK_ENV);
}
