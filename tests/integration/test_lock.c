/*
 * test_lock.c - threading.Lock on the broker, with real processes:
 * robust hand-over when an owner is SIGKILLed, timeouts, first-come
 * first-served order of 1000 parked waiters, ownership per (client, thread),
 * and what a parked client sees when the broker shuts down.
 */
#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

/* ---- child programs ------------------------------------------------------- */

/* holder: take lock "L", say "held", then wait to be killed. */
static int prog_holder(int argc, char **argv)
{
    sm_client *c;
    sm_lock *l;
    (void)argc;
    (void)argv;
    if (sm_connect(&c, NULL, NULL) || sm_lock_open(c, "L", 0, NULL, &l) ||
        sm_lock_acquire(l, SM_FOREVER) != SM_OK)
        return 1;
    printf("held\n");
    fflush(stdout);
    for (;;)
        pause();
}

/* waiters: for each sequence number read on stdin, a thread that acquires
 * lock "L", appends the number to list "order" and releases. */
struct waiter_ctx {
    sm_lock *lock;
    sm_list *list;
    long seq;
    int rc;
};

static void *waiter_thread(void *arg)
{
    struct waiter_ctx *w = arg;
    int rc = sm_lock_acquire(w->lock, SM_FOREVER);
    if (rc == SM_OK)
        rc = sm_list_append(w->list, sm_int(w->seq));
    if (rc == SM_OK)
        rc = sm_lock_release(w->lock);
    w->rc = rc;
    return NULL;
}

static int prog_waiters(int argc, char **argv)
{
    sm_client *c;
    sm_lock *lock;
    sm_list *list;
    struct waiter_ctx ctx[100];
    pthread_t t[100];
    int n = 0, failed = 0;
    char line[32];
    (void)argc;
    (void)argv;
    if (sm_connect(&c, NULL, NULL) || sm_lock_open(c, "L", 0, NULL, &lock) ||
        sm_list_open(c, "order", 0, NULL, &list))
        return 1;
    while (n < 100 && fgets(line, sizeof(line), stdin)) {
        ctx[n] = (struct waiter_ctx){.lock = lock, .list = list, .seq = strtol(line, NULL, 10)};
        if (pthread_create(&t[n], NULL, waiter_thread, &ctx[n]))
            return 2;
        n++;
    }
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        if (ctx[i].rc != SM_OK) {
            fprintf(stderr, "waiter %ld: %s\n", ctx[i].seq, sm_strerror(ctx[i].rc));
            failed = 1;
        }
    }
    sm_lock_close(lock);
    sm_list_close(list);
    sm_disconnect(c);
    return failed;
}

static const struct child_prog progs[] = {
    {"holder", prog_holder},
    {"waiters", prog_waiters},
    {NULL, NULL},
};

/* ---- (a) an owner killed while holding ------------------------------------ */

struct acquirer {
    sm_lock *lock;
    int timeout_ms;
    int rc, rc_next;
    int64_t at; /* mono_ms() when acquire returned */
};

static void *acquire_thread(void *arg)
{
    struct acquirer *a = arg;
    a->rc = sm_lock_acquire(a->lock, a->timeout_ms);
    a->at = mono_ms();
    if (a->rc == SM_OK || a->rc == SM_EOWNERDEAD) {
        sm_lock_release(a->lock);
        a->rc_next = sm_lock_acquire(a->lock, 0);
        if (a->rc_next == SM_OK)
            sm_lock_release(a->lock);
    }
    return NULL;
}

START_TEST(test_owner_dead)
{
    sm_client *c2;
    sm_lock *l, *l2;
    struct raw_conn adm;
    pthread_t t;
    int out;
    char buf[16] = "";

    ck_sm(sm_lock_open(cli, "L", SM_CREATE, NULL, &l), SM_OK);
    pid_t holder = child_spawn(NULL, &out, "holder", NULL);
    ck_assert_int_gt(holder, 0);
    struct pollfd pfd = {.fd = out, .events = POLLIN};
    ck_assert_msg(poll(&pfd, 1, 10000) == 1, "holder did not take the lock");
    ck_assert_int_gt(read(out, buf, sizeof(buf) - 1), 0);
    ck_assert_str_eq(buf, "held\n");
    struct ls_row row;
    raw_admin(&broker, &adm);
    ck_assert_int_eq(raw_ls(&adm, "L", &row), 0);
    ck_assert_str_eq(row.type, "lock");
    ck_assert_uint_eq(row.size, 1);
    ck_assert_msg(row.holder_pid == holder, "ls: holder pid %ld, expected %d (SO_PEERCRED)",
                  row.holder_pid, (int)holder);

    /* another client parks in acquire(SM_FOREVER) */
    ck_sm(broker_connect(&broker, &c2), SM_OK);
    ck_sm(sm_lock_open(c2, "L", 0, NULL, &l2), SM_OK);
    struct acquirer a = {.lock = l2, .timeout_ms = SM_FOREVER, .rc = -1, .rc_next = -1};
    ck_assert_int_eq(pthread_create(&t, NULL, acquire_thread, &a), 0);
    raw_wait_parked(&adm, "L", 1);

    int64_t killed = mono_ms();
    kill(holder, SIGKILL);
    join_within(t, 10000);
    ck_sm(a.rc, SM_EOWNERDEAD);
    ck_assert_msg(a.at - killed < 1000, "acquired %lld ms after the owner was killed",
                  (long long)(a.at - killed));
    ck_sm(a.rc_next, SM_OK); /* abandoned only once */
    ck_assert_int_eq(child_wait(holder, 5000), 128 + SIGKILL);

    bool locked = true;
    ck_sm(sm_lock_locked(l, &locked), SM_OK);
    ck_assert(!locked);
    ck_sm(sm_lock_acquire(l, 0), SM_OK);
    ck_sm(sm_lock_release(l), SM_OK);

    raw_close(&adm);
    close(out);
    sm_lock_close(l2);
    sm_disconnect(c2);
    sm_lock_close(l);
}
END_TEST

/* ---- (b) timeouts --------------------------------------------------------- */

START_TEST(test_timeouts)
{
    sm_client *c2;
    sm_lock *l, *l2;
    struct raw_conn adm;
    bool locked;

    ck_sm(sm_lock_open(cli, "L", SM_CREATE, NULL, &l), SM_OK);
    ck_sm(broker_connect(&broker, &c2), SM_OK);
    ck_sm(sm_lock_open(c2, "L", 0, NULL, &l2), SM_OK);
    ck_sm(sm_lock_acquire(l, SM_FOREVER), SM_OK);
    ck_sm(sm_lock_locked(l2, &locked), SM_OK);
    ck_assert(locked);

    int64_t t0 = mono_ms();
    ck_sm(sm_lock_acquire(l2, 300), SM_ETIMEDOUT);
    int64_t took = mono_ms() - t0;
    ck_assert_msg(took >= 300 && took <= 1300, "acquire(300) returned after %lld ms",
                  (long long)took);

    t0 = mono_ms();
    ck_sm(sm_lock_acquire(l2, 0), SM_ETIMEDOUT);
    took = mono_ms() - t0;
    ck_assert_msg(took < 500, "acquire(0) took %lld ms", (long long)took);

    /* not re-entrant: the owner's own second acquire waits, then times out */
    ck_sm(sm_lock_acquire(l, 100), SM_ETIMEDOUT);

    /* timed-out requests leave nothing parked */
    raw_admin(&broker, &adm);
    ck_assert_int_eq(raw_ls_waiters(&adm, "L"), 0);

    /* a timed wait that is served in time */
    pthread_t t;
    struct acquirer a = {.lock = l2, .timeout_ms = 10000, .rc = -1};
    t0 = mono_ms();
    ck_assert_int_eq(pthread_create(&t, NULL, acquire_thread, &a), 0);
    raw_wait_parked(&adm, "L", 1);
    sleep_ms(200);
    ck_sm(sm_lock_release(l), SM_OK);
    join_within(t, 10000);
    ck_sm(a.rc, SM_OK);
    ck_assert_msg(a.at - t0 >= 200 && a.at - t0 < 5000, "served after %lld ms",
                  (long long)(a.at - t0));

    raw_close(&adm);
    sm_lock_close(l2);
    sm_disconnect(c2);
    sm_lock_close(l);
}
END_TEST

/* ---- (c) 1000 parked waiters served in arrival order ---------------------- */

#define NPROC 20
#define PER_PROC 50
#define NWAITERS (NPROC * PER_PROC)

START_TEST(test_fifo_1000)
{
    sm_lock *l;
    sm_list *order;
    struct raw_conn adm;
    pid_t pid[NPROC];
    int in[NPROC];
    sm_val v = {0}, *items;
    size_t n;

    ck_sm(sm_lock_open(cli, "L", SM_CREATE, NULL, &l), SM_OK);
    ck_sm(sm_list_open(cli, "order", SM_CREATE, NULL, &order), SM_OK);
    ck_sm(sm_lock_acquire(l, SM_FOREVER), SM_OK);
    raw_admin(&broker, &adm);
    for (int p = 0; p < NPROC; p++)
        ck_assert_int_gt(pid[p] = child_spawn(&in[p], NULL, "waiters", NULL), 0);

    /* start waiter k only once the broker shows k parked: arrival order is k */
    int64_t t0 = mono_ms();
    for (int k = 0; k < NWAITERS; k++) {
        char line[16];
        int len = snprintf(line, sizeof(line), "%d\n", k);
        ck_assert_int_eq(write(in[k % NPROC], line, (size_t)len), len);
        raw_wait_parked(&adm, "L", k + 1);
    }
    fprintf(stderr, "test_fifo_1000: %d waiters parked in %lld ms\n", NWAITERS,
            (long long)(mono_ms() - t0));
    for (int p = 0; p < NPROC; p++)
        close(in[p]);

    t0 = mono_ms();
    ck_sm(sm_lock_release(l), SM_OK);
    for (int p = 0; p < NPROC; p++)
        ck_assert_msg(child_wait(pid[p], 120000) == 0, "waiter process %d failed", p);
    fprintf(stderr, "test_fifo_1000: all served in %lld ms\n", (long long)(mono_ms() - t0));

    ck_sm(sm_list_copy(order, &v), SM_OK);
    ck_sm(sm_val_items(&v, &items, &n), SM_OK);
    ck_assert_uint_eq(n, NWAITERS);
    for (size_t i = 0; i < n; i++) {
        int64_t seq = -1;
        ck_sm(sm_val_to_int(&items[i], &seq), SM_OK);
        ck_assert_msg(seq == (int64_t)i, "order[%zu] = %lld: not first-come first-served", i,
                      (long long)seq);
    }
    sm_vals_free(items, n);
    sm_val_free(&v);
    ck_assert_int_eq(raw_ls_waiters(&adm, "L"), 0);
    raw_close(&adm);
    sm_list_close(order);
    sm_lock_close(l);
}
END_TEST

/* ---- (d) only the owner (client and thread) releases ---------------------- */

static void *release_thread(void *arg)
{
    return (void *)(intptr_t)sm_lock_release(arg);
}

START_TEST(test_not_owner)
{
    sm_client *c2;
    sm_lock *l, *l2;
    pthread_t t;
    void *ret;
    bool locked;

    ck_sm(sm_lock_open(cli, "L", SM_CREATE, NULL, &l), SM_OK);
    ck_sm(broker_connect(&broker, &c2), SM_OK);
    ck_sm(sm_lock_open(c2, "L", 0, NULL, &l2), SM_OK);

    ck_sm(sm_lock_release(l), SM_ENOTOWNER); /* not held at all */
    ck_sm(sm_lock_acquire(l, 0), SM_OK);
    ck_sm(sm_lock_release(l2), SM_ENOTOWNER); /* another client */
    ck_assert_int_eq(pthread_create(&t, NULL, release_thread, l), 0);
    pthread_join(t, &ret);
    ck_sm((int)(intptr_t)ret, SM_ENOTOWNER); /* same client, another thread */
    ck_sm(sm_lock_locked(l2, &locked), SM_OK);
    ck_assert(locked);
    ck_sm(sm_lock_release(l), SM_OK);
    ck_sm(sm_lock_release(l), SM_ENOTOWNER);
    ck_sm(sm_lock_locked(l2, &locked), SM_OK);
    ck_assert(!locked);

    sm_lock_close(l2);
    sm_disconnect(c2);
    sm_lock_close(l);
}
END_TEST

/* ---- (e) shutdown while a client is parked -------------------------------- */

START_TEST(test_shutdown_parked)
{
    sm_client *c2;
    sm_lock *l, *l2;
    struct raw_conn adm;
    pthread_t t;
    struct stat st;

    ck_sm(sm_lock_open(cli, "L", SM_CREATE, NULL, &l), SM_OK);
    ck_sm(sm_lock_acquire(l, SM_FOREVER), SM_OK);
    ck_sm(broker_connect(&broker, &c2), SM_OK);
    ck_sm(sm_lock_open(c2, "L", 0, NULL, &l2), SM_OK);
    struct acquirer a = {.lock = l2, .timeout_ms = SM_FOREVER, .rc = -1};
    ck_assert_int_eq(pthread_create(&t, NULL, acquire_thread, &a), 0);
    raw_admin(&broker, &adm);
    raw_wait_parked(&adm, "L", 1);
    raw_close(&adm);

    int status = broker_kill(&broker, SIGTERM, 10000);
    join_within(t, 10000);
    ck_assert_msg(a.rc == SM_ESHUTDOWN || a.rc == SM_ECONN,
                  "parked acquire got %d (%s), expected SM_ESHUTDOWN or SM_ECONN", a.rc,
                  sm_strerror(a.rc));
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "syncmgrd wait status %#x after SIGTERM", (unsigned)status);
    ck_assert_msg(stat(broker.sockpath, &st) < 0 && errno == ENOENT, "socket file %s still there",
                  broker.sockpath);
    ck_assert(broker_log_contains(&broker, "SM-"));

    sm_lock_close(l2);
    sm_disconnect(c2);
    sm_lock_close(l);
    /* teardown: the broker has gone already; its exit status is checked again */
}
END_TEST

int main(int argc, char **argv)
{
    child_dispatch(argc, argv, progs);

    Suite *s = suite_create("integration-lock");
    TCase *tc = tcase_create("lock");
    tcase_set_timeout(tc, 200);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_owner_dead);
    tcase_add_test(tc, test_timeouts);
    tcase_add_test(tc, test_fifo_1000);
    tcase_add_test(tc, test_not_owner);
    tcase_add_test(tc, test_shutdown_parked);
    suite_add_tcase(s, tc);

    return check_run(s, CK_ENV);
}
