/*
 * test_batch.c - sm_batch on the real broker: calls queued with
 * SM_EQUEUED and run in one round trip, per-call statuses in their slots
 * with the next calls still running, atomicity seen by other client
 * processes, blocking calls that try once, the read-only key refusing write
 * sub-requests, a nested batch and handshake ops refused, and an oversized
 * batch refused whole.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "harness.h"
#include "op.h"

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

/* ---- child programs ------------------------------------------------------- */

/* writer DICT FIRST COUNT: COUNT batches each setting x and y to the same
 * number (FIRST, FIRST+1, ...). */
static int prog_writer(int argc, char **argv)
{
    sm_client *c;
    sm_dict *d;
    sm_batch *b;
    if (argc < 3 || sm_connect(&c, NULL, NULL) || sm_dict_open(c, argv[0], 0, NULL, &d))
        return 1;
    long first = strtol(argv[1], NULL, 10), count = strtol(argv[2], NULL, 10);
    for (long i = first; i < first + count; i++) {
        if (sm_batch_begin(c, &b) || sm_dict_set(d, sm_str("x"), sm_int(i)) != SM_EQUEUED ||
            sm_dict_set(d, sm_str("y"), sm_int(i)) != SM_EQUEUED || sm_batch_exec(b) ||
            sm_batch_status(b, 0) || sm_batch_status(b, 1))
            return 2;
        sm_batch_free(b);
    }
    sm_dict_close(d);
    sm_disconnect(c);
    return 0;
}

/* reader DICT COUNT: COUNT batches reading x and y; prints how many pairs
 * differed (a half-applied batch seen). */
static int prog_reader(int argc, char **argv)
{
    sm_client *c;
    sm_dict *d;
    sm_batch *b;
    long torn = 0;
    if (argc < 2 || sm_connect(&c, NULL, NULL) || sm_dict_open(c, argv[0], 0, NULL, &d))
        return 1;
    long count = strtol(argv[1], NULL, 10);
    for (long i = 0; i < count; i++) {
        sm_val x, y;
        sm_dict_get(d, sm_str("x"), &x); /* not queued yet: a plain call */
        sm_val_free(&x);
        if (sm_batch_begin(c, &b) || sm_dict_get(d, sm_str("x"), &x) != SM_EQUEUED ||
            sm_dict_get(d, sm_str("y"), &y) != SM_EQUEUED || sm_batch_exec(b) ||
            sm_batch_value(b, 0, &x) || sm_batch_value(b, 1, &y))
            return 2;
        if (x.v.i != y.v.i)
            torn++;
        sm_batch_free(b);
    }
    printf("%ld\n", torn);
    sm_dict_close(d);
    sm_disconnect(c);
    return 0;
}

/* holder LOCK: acquire, say "held", hold until stdin closes. */
static int prog_holder(int argc, char **argv)
{
    sm_client *c;
    sm_lock *l;
    char buf[8];
    if (argc < 1 || sm_connect(&c, NULL, NULL) || sm_lock_open(c, argv[0], 0, NULL, &l) ||
        sm_lock_acquire(l, SM_FOREVER))
        return 1;
    printf("held\n");
    fflush(stdout);
    while (fread(buf, 1, sizeof(buf), stdin) > 0)
        ;
    sm_lock_close(l);
    sm_disconnect(c);
    return 0;
}

static const struct child_prog progs[] = {
    {"writer", prog_writer},
    {"reader", prog_reader},
    {"holder", prog_holder},
    {NULL, NULL},
};

/* ---- calls queued, results in their slots ---------------------------------- */

START_TEST(test_slots)
{
    sm_dict *d;
    sm_list *l;
    sm_batch *b, *b2;
    sm_val v;
    int64_t n;
    size_t len;
    ck_sm(sm_dict_open(cli, "D", SM_CREATE, NULL, &d), SM_OK);
    ck_sm(sm_list_open(cli, "L", SM_CREATE, NULL, &l), SM_OK);

    ck_sm(sm_batch_begin(cli, &b), SM_OK);
    ck_sm(sm_batch_begin(cli, &b2), SM_EINVAL); /* one per thread */
    ck_sm(sm_dict_set(d, sm_str("a"), sm_int(1)), SM_EQUEUED);
    ck_sm(sm_dict_get(d, sm_str("missing"), &v), SM_EQUEUED);
    ck_sm(sm_dict_get(d, sm_str("a"), &v), SM_EQUEUED);
    ck_sm(sm_list_append(l, sm_str("x")), SM_EQUEUED);
    ck_sm(sm_list_get(l, 5, &v), SM_EQUEUED);
    ck_sm(sm_list_len(l, &len), SM_EQUEUED);
    ck_sm(sm_dict_incr(d, sm_str("n"), 5, &n), SM_EQUEUED);
    ck_assert_uint_eq(sm_batch_count(b), 7);
    ck_sm(sm_batch_status(b, 0), SM_EQUEUED);
    /* nothing has run yet */
    ck_sm(sm_dict_len(d, &len), SM_EQUEUED);
    ck_sm(sm_batch_exec(b), SM_OK);
    ck_sm(sm_batch_exec(b), SM_EINVAL); /* once */

    ck_assert_uint_eq(sm_batch_count(b), 8);
    ck_sm(sm_batch_status(b, 0), SM_OK);
    ck_sm(sm_batch_value(b, 0, &v), SM_OK);
    ck_repr(v, "None");
    ck_sm(sm_batch_status(b, 1), SM_ENOKEY); /* an error in its slot ... */
    ck_sm(sm_batch_value(b, 1, &v), SM_ENOKEY);
    ck_sm(sm_batch_value(b, 2, &v), SM_OK); /* ... and the next ones still ran */
    ck_repr(v, "1");
    ck_sm(sm_batch_status(b, 3), SM_OK);
    ck_sm(sm_batch_status(b, 4), SM_EINDEX);
    ck_sm(sm_batch_value(b, 5, &v), SM_OK);
    ck_repr(v, "1");
    ck_sm(sm_batch_value(b, 6, &v), SM_OK);
    ck_repr(v, "5");
    ck_sm(sm_batch_value(b, 7, &v), SM_OK);
    ck_repr(v, "2");
    ck_sm(sm_batch_status(b, 8), SM_EINVAL);
    sm_batch_free(b);

    /* calls are synchronous again */
    ck_sm(sm_dict_get(d, sm_str("n"), &v), SM_OK);
    ck_repr(v, "5");

    /* an empty batch, and one dropped without exec */
    ck_sm(sm_batch_begin(cli, &b), SM_OK);
    ck_sm(sm_batch_exec(b), SM_OK);
    ck_assert_uint_eq(sm_batch_count(b), 0);
    sm_batch_free(b);
    ck_sm(sm_batch_begin(cli, &b), SM_OK);
    ck_sm(sm_dict_set(d, sm_str("dropped"), sm_int(1)), SM_EQUEUED);
    sm_batch_free(b);
    ck_sm(sm_dict_get(d, sm_str("dropped"), &v), SM_ENOKEY);
    sm_dict_close(d);
    sm_list_close(l);
}
END_TEST

/* Calls are packed straight into the batch: one refused while packing leaves
 * nothing behind, and a call on another client's object is not queued. */
START_TEST(test_packed_in_place)
{
    static const uint8_t bad[] = {0x92, 0x01}; /* an array missing an element */
    sm_client *c2;
    sm_dict *d, *d2;
    sm_batch *b;
    sm_val v;
    ck_sm(sm_connect(&c2, NULL, NULL), SM_OK);
    ck_sm(sm_dict_open(cli, "P", SM_CREATE, NULL, &d), SM_OK);
    ck_sm(sm_dict_open(c2, "P", 0, NULL, &d2), SM_OK);
    ck_sm(sm_batch_begin(cli, &b), SM_OK);
    ck_sm(sm_dict_set(d, sm_str("p"), sm_int(1)), SM_EQUEUED);
    ck_sm(sm_dict_set(d, sm_str("q"), sm_msgpack(bad, sizeof(bad))), SM_EINVAL);
    ck_sm(sm_dict_set(d2, sm_str("other"), sm_int(2)), SM_OK); /* c2 has no batch */
    ck_sm(sm_dict_set(d, sm_str("r"), sm_int(3)), SM_EQUEUED);
    ck_sm(sm_batch_exec(b), SM_OK);
    ck_assert_uint_eq(sm_batch_count(b), 2);
    ck_sm(sm_batch_status(b, 0), SM_OK);
    ck_sm(sm_batch_status(b, 1), SM_OK);
    sm_batch_free(b);
    ck_sm(sm_dict_get(d, sm_str("q"), &v), SM_ENOKEY);
    ck_sm(sm_dict_get(d, sm_str("r"), &v), SM_OK);
    ck_repr(v, "3");
    ck_sm(sm_dict_get(d, sm_str("other"), &v), SM_OK);
    ck_repr(v, "2");
    sm_dict_close(d2);
    sm_dict_close(d);
    sm_disconnect(c2);
}
END_TEST

/* ---- atomic: no other client sees half a batch ------------------------------ */

START_TEST(test_atomic)
{
    sm_dict *d;
    char out[64];
    int fd;
    ck_sm(sm_dict_open(cli, "XY", SM_CREATE, NULL, &d), SM_OK);
    ck_sm(sm_dict_set(d, sm_str("x"), sm_int(0)), SM_OK);
    ck_sm(sm_dict_set(d, sm_str("y"), sm_int(0)), SM_OK);
    pid_t w1 = child_spawn(NULL, NULL, "writer", "XY", "1", "2000", NULL);
    pid_t w2 = child_spawn(NULL, NULL, "writer", "XY", "1000000", "2000", NULL);
    pid_t r = child_spawn(NULL, &fd, "reader", "XY", "2000", NULL);
    ck_assert(w1 > 0 && w2 > 0 && r > 0);
    read_all(fd, out, sizeof(out), 120000);
    close(fd);
    ck_assert_int_eq(child_wait(w1, 120000), 0);
    ck_assert_int_eq(child_wait(w2, 120000), 0);
    ck_assert_int_eq(child_wait(r, 120000), 0);
    ck_assert_str_eq(out, "0\n");
    sm_dict_close(d);
}
END_TEST

/* ---- blocking calls try once; condition.wait is refused --------------------- */

START_TEST(test_blocking)
{
    sm_lock *l;
    sm_queue *q;
    sm_cond *cv;
    sm_batch *b;
    sm_val v;
    char line[16];
    int in, out;
    struct raw_conn adm;
    ck_sm(sm_lock_open(cli, "L", SM_CREATE, NULL, &l), SM_OK);
    ck_sm(sm_queue_open(cli, "Q", SM_CREATE, NULL, &q), SM_OK);
    ck_sm(sm_cond_open(cli, "C", SM_CREATE, NULL, &cv), SM_OK);
    pid_t h = child_spawn(&in, &out, "holder", "L", NULL);
    ck_assert_int_gt(h, 0);
    read_all(out, line, sizeof(line), 30000);
    ck_assert_str_eq(line, "held\n");
    ck_sm(sm_cond_acquire(cv, SM_FOREVER), SM_OK);

    int64_t t0 = mono_ms();
    ck_sm(sm_batch_begin(cli, &b), SM_OK);
    ck_sm(sm_lock_acquire(l, SM_FOREVER), SM_EQUEUED);
    ck_sm(sm_queue_get(q, &v, SM_FOREVER), SM_EQUEUED);
    ck_sm(sm_cond_wait(cv, SM_FOREVER), SM_EQUEUED);
    ck_sm(sm_queue_put(q, sm_int(7), SM_FOREVER), SM_EQUEUED);
    ck_sm(sm_queue_get(q, &v, SM_FOREVER), SM_EQUEUED);
    ck_sm(sm_batch_exec(b), SM_OK);
    ck_assert_int_lt(mono_ms() - t0, 10000); /* nothing waited */
    ck_sm(sm_batch_status(b, 0), SM_ETIMEDOUT);
    ck_sm(sm_batch_status(b, 1), SM_EEMPTY);
    ck_sm(sm_batch_status(b, 2), SM_EINVAL);
    ck_sm(sm_batch_status(b, 3), SM_OK);
    ck_sm(sm_batch_value(b, 4, &v), SM_OK);
    ck_repr(v, "7");
    sm_batch_free(b);

    /* nothing was left parked, and the condition's lock is still ours */
    raw_admin(&broker, &adm);
    ck_assert_int_eq(raw_ls_waiters(&adm, "L"), 0);
    ck_assert_int_eq(raw_ls_waiters(&adm, "Q"), 0);
    ck_assert_int_eq(raw_ls_waiters(&adm, "C"), 0);
    raw_close(&adm);
    ck_sm(sm_cond_release(cv), SM_OK);
    close(in);
    close(out);
    ck_assert_int_eq(child_wait(h, 30000), 0);
    sm_lock_close(l);
    sm_queue_close(q);
    sm_cond_close(cv);
}
END_TEST

/* ---- too big: refused whole ------------------------------------------------- */

START_TEST(test_too_big)
{
    sm_list *l;
    sm_batch *b;
    size_t n;
    ck_sm(sm_list_open(cli, "L", SM_CREATE, NULL, &l), SM_OK);
    ck_sm(sm_batch_begin(cli, &b), SM_OK);
    for (int i = 0; i <= SM_BATCH_MAX; i++)
        ck_sm(sm_list_append(l, sm_int(i)), SM_EQUEUED);
    ck_sm(sm_batch_exec(b), SM_ETOOBIG);
    ck_sm(sm_batch_status(b, 0), SM_ETOOBIG);
    sm_batch_free(b);
    ck_sm(sm_list_len(l, &n), SM_OK);
    ck_assert_uint_eq(n, 0); /* nothing ran */

    ck_sm(sm_batch_begin(cli, &b), SM_OK); /* the most is fine */
    for (int i = 0; i < SM_BATCH_MAX; i++)
        ck_sm(sm_list_append(l, sm_int(i)), SM_EQUEUED);
    ck_sm(sm_batch_exec(b), SM_OK);
    ck_sm(sm_batch_status(b, SM_BATCH_MAX - 1), SM_OK);
    sm_batch_free(b);
    ck_sm(sm_list_len(l, &n), SM_OK);
    ck_assert_uint_eq(n, SM_BATCH_MAX);
    sm_list_close(l);
}
END_TEST

/* ---- raw: nested batch and handshake ops refused ---------------------------- */

/* raw_batch() - send [batch, [@n sub-requests packed by @fill]] and return
 * the reply's statuses in @st (at most 8). */
static void raw_batch(struct raw_conn *r, void (*fill)(msgpack_packer *), uint32_t n, int *st)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nng_msg *reply;
    mp_reader rest;
    uint32_t nf, m;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_uint64(&pk, SMOP_batch);
    msgpack_pack_array(&pk, n);
    fill(&pk);
    ck_assert_int_eq(raw_request(r, &sb, &reply), SM_OK);
    msgpack_sbuffer_destroy(&sb);
    ck_assert_int_eq(raw_status(reply, &rest, &nf), SM_OK);
    ck_assert_int_eq(mp_read_array(&rest, &m), SM_OK);
    ck_assert_uint_eq(m, n);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k;
        int64_t s;
        const uint8_t *p;
        size_t len;
        ck_assert_int_eq(mp_read_raw(&rest, &p, &len), SM_OK);
        mp_reader sub;
        mp_reader_init(&sub, p, len);
        ck_assert_int_eq(mp_read_array(&sub, &k), SM_OK);
        ck_assert_int_eq(mp_read_int(&sub, &s), SM_OK);
        st[i] = (int)s;
    }
    nng_msg_free(reply);
}

/* [batch, [[ping], [batch, []], [hello, 1, "x"], [0x7777], "junk"]] */
static void fill_refused(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_uint64(pk, SMOP_ping);
    msgpack_pack_array(pk, 2);
    msgpack_pack_uint64(pk, SMOP_batch);
    msgpack_pack_array(pk, 0);
    msgpack_pack_array(pk, 3);
    msgpack_pack_uint64(pk, SMOP_hello);
    msgpack_pack_uint64(pk, SM_PROTO_VERSION);
    msgpack_pack_str_with_body(pk, "x", 1);
    msgpack_pack_array(pk, 1);
    msgpack_pack_uint64(pk, 0x7777);
    msgpack_pack_str_with_body(pk, "junk", 4);
}

START_TEST(test_refused)
{
    struct raw_conn r;
    int st[8];
    raw_admin(&broker, &r);
    raw_batch(&r, fill_refused, 5, st);
    ck_sm(st[0], SM_OK);
    ck_sm(st[1], SM_EINVAL);  /* nested batch */
    ck_sm(st[2], SM_EINVAL);  /* handshake op */
    ck_sm(st[3], SM_ENOTSUP); /* unknown op: the same check as alone */
    ck_sm(st[4], SM_EPROTO);  /* not a request */
    raw_close(&r);
}
END_TEST

/* ---- read-only key: write sub-requests refused ------------------------------ */

START_TEST(test_readonly)
{
    struct sm_broker ro = {0};
    char rokey[200];
    sm_client *w, *c;
    sm_dict *dw, *d;
    sm_batch *b;
    sm_val v;
    ck_assert_int_eq(broker_init(&ro), 0);
    snprintf(rokey, sizeof(rokey), "%s/rokey", ro.dir);
    ck_assert_int_eq(keyfile_write(rokey, "read-only-key-0123456789abcdef\n", 31, 0600), 0);
    ck_assert_int_eq(broker_start(&ro, "--readonly-authkey-file", rokey, NULL), 0);
    ck_sm(broker_connect(&ro, &w), SM_OK);
    ck_sm(sm_dict_open(w, "D", SM_CREATE, NULL, &dw), SM_OK);
    ck_sm(sm_dict_set(dw, sm_str("k"), sm_int(1)), SM_OK);
    ck_sm(sm_connect(&c, ro.address, rokey), SM_OK);
    ck_sm(sm_dict_open(c, "D", 0, NULL, &d), SM_OK);
    ck_sm(sm_batch_begin(c, &b), SM_OK);
    ck_sm(sm_dict_get(d, sm_str("k"), &v), SM_EQUEUED);
    ck_sm(sm_dict_set(d, sm_str("k"), sm_int(2)), SM_EQUEUED);
    ck_sm(sm_dict_del(d, sm_str("k")), SM_EQUEUED);
    ck_sm(sm_batch_exec(b), SM_OK);
    ck_sm(sm_batch_value(b, 0, &v), SM_OK);
    ck_repr(v, "1");
    ck_sm(sm_batch_status(b, 1), SM_EAUTH);
    ck_sm(sm_batch_status(b, 2), SM_EAUTH);
    sm_batch_free(b);
    ck_sm(sm_dict_get(dw, sm_str("k"), &v), SM_OK);
    ck_repr(v, "1");
    sm_dict_close(d);
    sm_dict_close(dw);
    sm_disconnect(c);
    sm_disconnect(w);
    broker_stop(&ro, true);
}
END_TEST

/* ---- persistence: each request of a batch is journaled ---------------------- */

/* start_persistent() - @b on its own state directory; connect *@c. */
static void start_persistent(struct sm_broker *b, sm_client **c)
{
    char state[200];
    snprintf(state, sizeof(state), "%s/state", b->dir);
    unlink(b->sockpath); /* a killed broker leaves it behind */
    ck_assert_int_eq(broker_start(b, "--state-dir", state, NULL), 0);
    ck_sm(broker_connect(b, c), SM_OK);
}

START_TEST(test_journaled)
{
    struct sm_broker pb = {0};
    sm_client *c;
    sm_dict *d;
    sm_list *l;
    sm_batch *b;
    sm_val v;
    size_t n;
    ck_assert_int_eq(broker_init(&pb), 0);
    start_persistent(&pb, &c);
    ck_sm(sm_dict_open(c, "PD", SM_CREATE, NULL, &d), SM_OK);
    ck_sm(sm_list_open(c, "PL", SM_CREATE, NULL, &l), SM_OK);
    ck_sm(sm_batch_begin(c, &b), SM_OK);
    ck_sm(sm_dict_set(d, sm_str("a"), sm_int(1)), SM_EQUEUED);
    ck_sm(sm_dict_del(d, sm_str("missing")), SM_EQUEUED);
    ck_sm(sm_list_append(l, sm_str("x")), SM_EQUEUED);
    ck_sm(sm_dict_incr(d, sm_str("a"), 41, NULL), SM_EQUEUED);
    ck_sm(sm_batch_exec(b), SM_OK);
    ck_sm(sm_batch_status(b, 1), SM_ENOKEY);
    sm_batch_free(b);
    sm_dict_close(d);
    sm_list_close(l);
    sm_disconnect(c);
    broker_kill(&pb, SIGKILL, 10000);

    start_persistent(&pb, &c);
    ck_sm(sm_dict_open(c, "PD", 0, NULL, &d), SM_OK);
    ck_sm(sm_list_open(c, "PL", 0, NULL, &l), SM_OK);
    ck_sm(sm_dict_get(d, sm_str("a"), &v), SM_OK);
    ck_repr(v, "42");
    ck_sm(sm_list_len(l, &n), SM_OK);
    ck_assert_uint_eq(n, 1);
    sm_dict_close(d);
    sm_list_close(l);
    sm_disconnect(c);
    broker_stop(&pb, true);
}
END_TEST

int main(int argc, char **argv)
{
    child_dispatch(argc, argv, progs);

    Suite *s = suite_create("integration-batch");
    TCase *tc = tcase_create("batch");
    tcase_set_timeout(tc, 240);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_slots);
    tcase_add_test(tc, test_packed_in_place);
    tcase_add_test(tc, test_atomic);
    tcase_add_test(tc, test_blocking);
    tcase_add_test(tc, test_too_big);
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_readonly);
    tcase_add_test(tc, test_journaled);
    suite_add_tcase(s, tc);

    return check_run(s, CK_ENV);
}
