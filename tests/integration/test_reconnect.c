/*
 * test_reconnect.c - the library after its broker restarts: handles are
 * opened again by name on their next use (created again when opened with
 * SM_CREATE, with the same options, as temporary when SM_TEMP; SM_ENOENT
 * otherwise), the call in flight gets SM_ECONN once, session state is gone,
 * a broker that stays down costs a bounded wait, several threads recover
 * together with one new connection, and a forked child gets SM_ECONN from
 * the inherited client.  Runs on the direct ipc transport, and over nng
 * with $SYNCMGR_IPC_NNG (it_reconnect_nng).
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "codec.h"
#include "harness.h"
#include "op.h"

/* connect_with() - a client whose re-dialing lasts @ms ($SYNCMGR_RECONNECT_MS
 * is read by sm_connect(); each test runs in its own process). */
static sm_client *connect_with(int ms)
{
    char buf[32];
    sm_client *c;
    snprintf(buf, sizeof(buf), "%d", ms);
    setenv("SYNCMGR_RECONNECT_MS", buf, 1);
    ck_sm(broker_connect(&fx_broker, &c), SM_OK);
    unsetenv("SYNCMGR_RECONNECT_MS");
    return c;
}

/* ---- handles come back by name -------------------------------------------- */

START_TEST(test_handles_after_restart)
{
    sm_dict *d, *tmp, *made, *plain;
    sm_queue *q;
    sm_lock *l;
    sm_value *v;
    sm_val x;
    size_t n;
    bool locked;
    struct raw_conn adm;
    struct ls_row row;
    sm_queue_opts qo = {.maxsize = 2};
    sm_value_opts vo = {.initial = sm_int(7)};

    ck_sm(sm_dict_open(fx_cli, "d", SM_CREATE, NULL, &d), SM_OK);
    ck_sm(sm_dict_open(fx_cli, "t", SM_CREATE | SM_TEMP, NULL, &tmp), SM_OK);
    ck_sm(sm_dict_open(fx_cli, "p", SM_CREATE | SM_EXCL, NULL, &made), SM_OK);
    ck_sm(sm_dict_open(fx_cli, "p", 0, NULL, &plain), SM_OK);
    ck_sm(sm_queue_open(fx_cli, "q", SM_CREATE, &qo, &q), SM_OK);
    ck_sm(sm_lock_open(fx_cli, "L", SM_CREATE, NULL, &l), SM_OK);
    ck_sm(sm_value_open(fx_cli, "v", SM_CREATE, &vo, &v), SM_OK);
    ck_sm(sm_dict_set(d, sm_str("k"), sm_int(1)), SM_OK);
    ck_sm(sm_dict_set(tmp, sm_str("k"), sm_int(1)), SM_OK);
    ck_sm(sm_queue_put(q, sm_str("lost"), 0), SM_OK);
    ck_sm(sm_lock_acquire(l, SM_FOREVER), SM_OK);
    ck_sm(sm_value_set(v, sm_int(8)), SM_OK);

    ck_assert_int_eq(broker_restart(&fx_broker, NULL), 0);

    /* an empty broker: each handle's next call opens it again, no action needed */
    ck_sm(sm_dict_len(d, &n), SM_OK);
    ck_assert_uint_eq(n, 0);
    ck_sm(sm_dict_set(d, sm_str("k2"), sm_int(2)), SM_OK);
    ck_sm(sm_dict_get(d, sm_str("k2"), &x), SM_OK);
    ck_repr(x, "2");
    ck_sm(sm_dict_set(tmp, sm_str("k"), sm_int(3)), SM_OK);
    /* the queue again with its options: maxsize 2 */
    ck_sm(sm_queue_qsize(q, &n), SM_OK);
    ck_assert_uint_eq(n, 0);
    ck_sm(sm_queue_put(q, sm_int(1), 0), SM_OK);
    ck_sm(sm_queue_put(q, sm_int(2), 0), SM_OK);
    ck_sm(sm_queue_put(q, sm_int(3), 0), SM_EFULL);
    ck_sm(sm_queue_get(q, &x, 0), SM_OK);
    ck_repr(x, "1");
    /* the value again with its initial value */
    ck_sm(sm_value_get(v, &x), SM_OK);
    ck_repr(x, "7");
    /* session state did not survive: the lock is not ours any more */
    ck_sm(sm_lock_release(l), SM_ENOTOWNER);
    ck_sm(sm_lock_locked(l, &locked), SM_OK);
    ck_assert(!locked);
    ck_sm(sm_lock_acquire(l, 0), SM_OK);
    ck_sm(sm_lock_release(l), SM_OK);
    /* opened without SM_CREATE: gone, until its creating handle makes it again */
    ck_sm(sm_dict_len(plain, &n), SM_ENOENT);
    ck_sm(sm_dict_len(plain, &n), SM_ENOENT);
    ck_sm(sm_dict_len(made, &n), SM_OK); /* SM_CREATE|SM_EXCL: made again, no SM_EEXIST */
    ck_sm(sm_dict_set(plain, sm_str("a"), sm_int(1)), SM_OK);
    ck_sm(sm_dict_len(made, &n), SM_OK);
    ck_assert_uint_eq(n, 1);

    raw_admin(&fx_broker, &adm);
    ck_assert_int_eq(raw_ls(&adm, "t", &row), 0);
    ck_assert(row.temp);
    ck_assert_int_eq(raw_ls(&adm, "d", &row), 0);
    ck_assert(!row.temp);
    raw_close(&adm);

    sm_dict_close(d);
    sm_dict_close(tmp);
    sm_dict_close(made);
    sm_dict_close(plain);
    sm_queue_close(q);
    sm_lock_close(l);
    sm_value_close(v);
}
END_TEST

/* With persistence the objects survive: a handle opened without SM_CREATE
 * keeps working, and one opened with SM_EXCL is not refused as existing. */
START_TEST(test_restart_with_persistence)
{
    sm_dict *made, *plain;
    sm_val x;
    broker_crash(&fx_broker); /* the fixture's broker keeps nothing */
    ck_assert_int_eq(broker_start(&fx_broker, "--state-dir", fx_broker.dir, NULL), 0);
    ck_sm(sm_dict_open(fx_cli, "p", SM_CREATE | SM_EXCL, NULL, &made), SM_OK);
    ck_sm(sm_dict_open(fx_cli, "p", 0, NULL, &plain), SM_OK);
    ck_sm(sm_dict_set(made, sm_str("k"), sm_int(1)), SM_OK);

    ck_assert_int_eq(broker_restart(&fx_broker, "--state-dir", fx_broker.dir, NULL), 0);
    ck_sm(sm_dict_get(plain, sm_str("k"), &x), SM_OK);
    ck_repr(x, "1");
    ck_sm(sm_dict_set(made, sm_str("k"), sm_int(2)), SM_OK);
    ck_sm(sm_dict_get(plain, sm_str("k"), &x), SM_OK);
    ck_repr(x, "2");
    sm_dict_close(made);
    sm_dict_close(plain);
}
END_TEST

/* A batch and a pipeline started after a restart carry the handles of the
 * new connection. */
START_TEST(test_batch_after_restart)
{
    sm_dict *d;
    sm_batch *b;
    sm_pipeline *p;
    sm_val x;
    ck_sm(sm_dict_open(fx_cli, "d", SM_CREATE, NULL, &d), SM_OK);
    ck_assert_int_eq(broker_restart(&fx_broker, NULL), 0);

    ck_sm(sm_batch_begin(fx_cli, &b), SM_OK);
    ck_sm(sm_dict_set(d, sm_str("a"), sm_int(1)), SM_EQUEUED);
    ck_sm(sm_dict_set(d, sm_str("b"), sm_int(2)), SM_EQUEUED);
    ck_sm(sm_batch_exec(b), SM_OK);
    ck_sm(sm_batch_status(b, 1), SM_OK);
    sm_batch_free(b);

    ck_assert_int_eq(broker_restart(&fx_broker, NULL), 0);
    ck_sm(sm_pipeline_begin(fx_cli, 4, &p), SM_OK);
    ck_sm(sm_dict_set(d, sm_str("c"), sm_int(3)), SM_EQUEUED);
    ck_sm(sm_pipeline_sync(p), SM_OK);
    ck_sm(sm_pipeline_end(p), SM_OK);
    ck_sm(sm_pipeline_status(p, 0), SM_OK);
    sm_pipeline_free(p);
    ck_sm(sm_dict_get(d, sm_str("c"), &x), SM_OK);
    ck_repr(x, "3");
    sm_dict_close(d);
}
END_TEST

/* ---- the call in flight --------------------------------------------------- */

/* A call made on its own thread: rc = fn(h). */
struct bg_call {
    int (*fn)(void *h);
    void *h;
    int rc;
};

static void *bg_thread(void *arg)
{
    struct bg_call *b = arg;
    b->rc = b->fn(b->h);
    return NULL;
}

/* get_forever() - queue.get() on queue @h, the item dropped. */
static int get_forever(void *h)
{
    sm_val x;
    int rc = sm_queue_get(h, &x, SM_FOREVER);
    sm_val_free(&x);
    return rc;
}

START_TEST(test_in_flight_econn_once)
{
    sm_queue *q;
    sm_val x;
    pthread_t t;
    struct raw_conn adm;
    struct bg_call g = {.fn = get_forever, .rc = -1};

    ck_sm(sm_queue_open(fx_cli, "q", SM_CREATE, NULL, &q), SM_OK);
    g.h = q;
    ck_assert_int_eq(pthread_create(&t, NULL, bg_thread, &g), 0);
    raw_admin(&fx_broker, &adm);
    raw_wait_parked(&adm, "q", 1);
    raw_close(&adm);

    ck_assert_int_eq(broker_restart(&fx_broker, NULL), 0);
    join_within(t, 30000);
    ck_sm(g.rc, SM_ECONN); /* outcome unknown: never sent again */

    /* the same handle, from the same thread pattern, works at once */
    g.rc = -1;
    ck_assert_int_eq(pthread_create(&t, NULL, bg_thread, &g), 0);
    ck_sm(sm_queue_put(q, sm_str("x"), 0), SM_OK);
    join_within(t, 30000);
    ck_sm(g.rc, SM_OK);
    ck_sm(sm_queue_put(q, sm_str("y"), 0), SM_OK);
    ck_sm(sm_queue_get(q, &x, 0), SM_OK);
    ck_repr(x, "'y'");
    sm_queue_close(q);
}
END_TEST

/* ---- a broker that stays down, or comes back late ---------------------------- */

START_TEST(test_down_is_bounded)
{
    sm_dict *d;
    size_t n;
    sm_client *c = connect_with(300);
    ck_sm(sm_dict_open(c, "d", SM_CREATE, NULL, &d), SM_OK);
    broker_crash(&fx_broker);
    /* if the library has not seen the pipe go yet, this call is the one in
     * flight: SM_ECONN at once */
    ck_sm(sm_dict_len(d, &n), SM_ECONN);

    for (int i = 0; i < 2; i++) {
        int64_t t0 = mono_ms();
        ck_sm(sm_dict_len(d, &n), SM_ECONN);
        int64_t took = mono_ms() - t0;
        ck_assert_msg(took >= 250, "gave up after %lld ms, before re-dialing 300 ms",
                      (long long)took);
        ck_assert_msg(took < 30000, "took %lld ms to give up", (long long)took);
    }
    sm_dict_close(d); /* its connection is gone: nothing is sent, no wait */
    sm_disconnect(c);

    /* the broker comes back: the same client has no state to repair */
    ck_assert_int_eq(broker_start(&fx_broker, NULL), 0);
}
END_TEST

/* set_k() - d["k"] = 1 on dict @h; a first SM_ECONN is the call that was in
 * flight when the library had not yet seen the pipe go (a busy machine),
 * and the call is made once more. */
static int set_k(void *h)
{
    int rc = sm_dict_set(h, sm_str("k"), sm_int(1));
    return rc == SM_ECONN ? sm_dict_set(h, sm_str("k"), sm_int(1)) : rc;
}

START_TEST(test_redial_waits_for_broker)
{
    sm_val x;
    pthread_t t;
    sm_client *c = connect_with(60000);
    sm_dict *d;
    struct bg_call s = {.fn = set_k, .rc = -1};
    ck_sm(sm_dict_open(c, "d", SM_CREATE, NULL, &d), SM_OK);
    s.h = d;
    broker_crash(&fx_broker);
    /* down now: this call keeps re-dialing until the broker is back */
    ck_assert_int_eq(pthread_create(&t, NULL, bg_thread, &s), 0);
    sleep_ms(500);
    ck_assert_int_eq(broker_start(&fx_broker, NULL), 0); /* from this thread: PDEATHSIG */
    join_within(t, 60000);
    ck_sm(s.rc, SM_OK);
    ck_sm(sm_dict_get(d, sm_str("k"), &x), SM_OK);
    ck_repr(x, "1");
    sm_dict_close(d);
    sm_disconnect(c);
}
END_TEST

/* ---- threads sharing one client ------------------------------------------- */

#define NTHREADS 8

struct worker {
    sm_client *c;
    int id;
    atomic_bool *stop;
    atomic_int *epoch; /* 1 once the broker has restarted */
    int econn, other;  /* SM_ECONN results, other failures */
    atomic_int after;  /* successes after the restart (polled by the test) */
};

static void *worker_thread(void *arg)
{
    struct worker *w = arg;
    char key[16];
    sm_dict *d;
    snprintf(key, sizeof(key), "w%d", w->id);
    if (sm_dict_open(w->c, "shared", SM_CREATE, NULL, &d) != SM_OK) {
        w->other++;
        return NULL;
    }
    while (!atomic_load(w->stop)) {
        int epoch = atomic_load(w->epoch);
        int rc = sm_dict_incr(d, sm_str(key), 1, NULL);
        if (rc == SM_ECONN)
            w->econn++;
        else if (rc != SM_OK)
            w->other++;
        else if (epoch)
            atomic_fetch_add(&w->after, 1);
    }
    sm_dict_close(d);
    return NULL;
}

START_TEST(test_threads_recover)
{
    pthread_t t[NTHREADS];
    struct worker w[NTHREADS];
    atomic_bool stop = false;
    atomic_int epoch = 0;
    sm_client *c = connect_with(60000); /* the restart may be slow on a busy machine */

    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (struct worker){.c = c, .id = i, .stop = &stop, .epoch = &epoch};
        ck_assert_int_eq(pthread_create(&t[i], NULL, worker_thread, &w[i]), 0);
    }
    sleep_ms(300);
    ck_assert_int_eq(broker_restart(&fx_broker, NULL), 0);
    atomic_store(&epoch, 1);
    /* each thread succeeds again (poll: no speed is assumed) */
    int64_t give_up = mono_ms() + 60000;
    for (int i = 0; i < NTHREADS; i++)
        while (atomic_load(&w[i].after) < 20 && mono_ms() < give_up)
            sleep_ms(20);
    atomic_store(&stop, true);
    for (int i = 0; i < NTHREADS; i++)
        join_within(t[i], 60000);
    for (int i = 0; i < NTHREADS; i++) {
        ck_assert_msg(w[i].after >= 20, "thread %d: %d calls worked after the restart", i,
                      w[i].after);
        ck_assert_msg(w[i].econn <= 1, "thread %d: %d SM_ECONN (at most the call in flight)", i,
                      w[i].econn);
        ck_assert_msg(w[i].other == 0, "thread %d: %d other failures", i, w[i].other);
    }
    sm_disconnect(c);
}
END_TEST

/* session_ids() - the ids of the broker's sessions (into @ids, at most
 * @max), asked on the admin connection @adm; returns how many there are. */
static uint32_t session_ids(struct raw_conn *adm, uint64_t *ids, uint32_t max)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nng_msg *reply;
    mp_reader rest;
    uint32_t nf, n, m, klen;
    const char *key;
    const uint8_t *p;
    size_t len;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_uint64(&pk, SMOP_sessions);
    ck_assert_int_eq(raw_request(adm, &sb, &reply), SM_OK);
    msgpack_sbuffer_destroy(&sb);
    ck_assert_int_eq(raw_status(reply, &rest, &nf), SM_OK);
    ck_assert_int_eq(mp_read_array(&rest, &n), SM_OK);
    ck_assert_uint_le(n, max);
    for (uint32_t i = 0; i < n; i++) {
        ck_assert_int_eq(mp_read_map(&rest, &m), SM_OK);
        for (uint32_t j = 0; j < m; j++) {
            ck_assert_int_eq(mp_read_str(&rest, &key, &klen), SM_OK);
            if (klen == 2 && memcmp(key, "id", 2) == 0)
                ck_assert_int_eq(mp_read_uint(&rest, &ids[i]), SM_OK);
            else
                ck_assert_int_eq(mp_read_raw(&rest, &p, &len), SM_OK);
        }
    }
    nng_msg_free(reply);
    return n;
}

struct racer {
    sm_dict *d;
    pthread_barrier_t *gate;
    int rc;
};

/* racer_thread() - d["k"] = 1, then at the gate twice (the broker restarts
 * in between), then the same call as every other racer at once.  On the
 * direct transport that call is never the one in flight: it meets the
 * closed connection before a byte goes out, so it is sent on the new one. */
static void *racer_thread(void *arg)
{
    struct racer *r = arg;
    r->rc = set_k(r->d);
    pthread_barrier_wait(r->gate);
    pthread_barrier_wait(r->gate);
    if (r->rc == SM_OK && getenv("SYNCMGR_IPC_NNG"))
        r->rc = set_k(r->d);
    else if (r->rc == SM_OK)
        r->rc = sm_dict_set(r->d, sm_str("k"), sm_int(1));
    pthread_barrier_wait(r->gate);
    return NULL;
}

/* Threads that find the connection gone at the same moment make one new
 * connection: the broker sees one session of this client after the restart. */
START_TEST(test_threads_one_redial)
{
    pthread_t t[NTHREADS];
    struct racer r[NTHREADS];
    pthread_barrier_t gate;
    struct raw_conn adm;
    uint64_t ids[4], admin_id;
    sm_dict *d;
    sm_client *c = connect_with(60000);
    ck_sm(sm_dict_open(c, "d", SM_CREATE, NULL, &d), SM_OK);
    ck_assert_int_eq(pthread_barrier_init(&gate, NULL, NTHREADS + 1), 0);
    for (int i = 0; i < NTHREADS; i++) {
        r[i] = (struct racer){.d = d, .gate = &gate, .rc = -1};
        ck_assert_int_eq(pthread_create(&t[i], NULL, racer_thread, &r[i]), 0);
    }
    pthread_barrier_wait(&gate); /* every racer has made its first call */
    ck_assert_int_eq(broker_restart(&fx_broker, NULL), 0);
    raw_admin(&fx_broker, &adm);
    ck_assert_uint_eq(session_ids(&adm, ids, 4), 1); /* the admin connection alone */
    admin_id = ids[0];
    pthread_barrier_wait(&gate); /* go, all at once */
    pthread_barrier_wait(&gate); /* all done */
    for (int i = 0; i < NTHREADS; i++) {
        join_within(t[i], 60000);
        ck_sm(r[i].rc, SM_OK);
    }
    ck_assert_uint_eq(session_ids(&adm, ids, 4), 2);
    uint64_t mine = ids[0] == admin_id ? ids[1] : ids[0];
    ck_assert_msg(mine == admin_id + 1, "the client is session %llu, the admin %llu: %llu re-dials",
                  (unsigned long long)mine, (unsigned long long)admin_id,
                  (unsigned long long)(mine - admin_id));
    raw_close(&adm);
    pthread_barrier_destroy(&gate);
    sm_dict_close(d);
    sm_disconnect(c);
}
END_TEST

/* ---- a forked child ------------------------------------------------------- */

static int child_uses_parent_client(void *arg)
{
    sm_dict *d = arg;
    size_t n;
    sm_client *c;
    /* an inherited client never re-dials in a child (its connection is the
     * parent's); a new one works on the direct ipc transport, while nng
     * would abort and is refused */
    if (sm_dict_len(d, &n) != SM_ECONN)
        return 1;
    int want = getenv("SYNCMGR_IPC_NNG") ? SM_ENOTSUP : SM_OK;
    int rc = sm_connect(&c, fx_broker.address, fx_broker.keyfile);
    sm_disconnect(c);
    return rc == want ? 0 : 2;
}

START_TEST(test_forked_child)
{
    sm_dict *d;
    size_t n;
    ck_sm(sm_dict_open(fx_cli, "d", SM_CREATE, NULL, &d), SM_OK);
    pid_t pid = child_fork(child_uses_parent_client, d);
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(child_wait(pid, 30000), 0);
    ck_sm(sm_dict_len(d, &n), SM_OK); /* the parent is unaffected */
    sm_dict_close(d);
}
END_TEST

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    Suite *s = suite_create("reconnect");
    TCase *tc = tcase_create("reconnect");
    tcase_add_checked_fixture(tc, fx_setup, fx_teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_handles_after_restart);
    tcase_add_test(tc, test_restart_with_persistence);
    tcase_add_test(tc, test_batch_after_restart);
    tcase_add_test(tc, test_in_flight_econn_once);
    tcase_add_test(tc, test_down_is_bounded);
    tcase_add_test(tc, test_redial_waits_for_broker);
    /* over nng (it_reconnect_nng) not the threaded cases: nng 1.5.2's
     * nng_close() of the old socket can hang for good while other threads
     * use nng (its reaper waits for a task that never runs; nng issue 1543,
     * seen about once in 10 runs on a loaded machine) */
    if (!getenv("SYNCMGR_IPC_NNG")) {
        tcase_add_test(tc, test_threads_recover);
        tcase_add_test(tc, test_threads_one_redial);
    }
    tcase_add_test(tc, test_forked_child);
    suite_add_tcase(s, tc);
    return check_run(s, CK_NORMAL);
}
