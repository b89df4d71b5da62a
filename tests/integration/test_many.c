/*
 * test_many.c - 10 000 requests parked at once, across every blocking type
 * (lock, condition, queue, event, semaphore, barrier, pipe), from 20 client
 * processes of 500 threads each; then every one is released by the state
 * change it waits for, and nothing stays parked.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "harness.h"

#define PROCS 20
#define THREADS 500
#define TOTAL (PROCS * THREADS)
#define KINDS 7

static const char *const names[KINDS] = {"m.lock", "m.cond",    "m.queue", "m.event",
                                         "m.sem",  "m.barrier", "m.pipe"};

/* count() - how many of the TOTAL waiters wait on kind @k. */
static unsigned count(unsigned k)
{
    return TOTAL / KINDS + (k < TOTAL % KINDS);
}

/* The objects, as one client sees them. */
struct objs {
    sm_lock *lock;
    sm_cond *cond;
    sm_queue *queue;
    sm_event *event;
    sm_sem *sem;
    sm_barrier *barrier;
    sm_pipe *pipe;
};

static int open_all(sm_client *c, int flags, int pipe_end, struct objs *o)
{
    sm_sem_opts so = {.value = 0};
    sm_barrier_opts bo = {.parties = count(5) + 1};
    sm_pipe_opts po = {.end = pipe_end};
    int rc = sm_lock_open(c, names[0], flags, NULL, &o->lock);
    if (!rc)
        rc = sm_cond_open(c, names[1], flags, NULL, &o->cond);
    if (!rc)
        rc = sm_queue_open(c, names[2], flags, NULL, &o->queue);
    if (!rc)
        rc = sm_event_open(c, names[3], flags, NULL, &o->event);
    if (!rc)
        rc = sm_sem_open(c, names[4], flags, &so, &o->sem);
    if (!rc)
        rc = sm_barrier_open(c, names[5], flags, &bo, &o->barrier);
    if (!rc)
        rc = sm_pipe_open(c, names[6], flags, &po, &o->pipe);
    return rc;
}

/* close_all() - close what open_all() opened. */
static void close_all(struct objs *o)
{
    sm_lock_close(o->lock);
    sm_cond_close(o->cond);
    sm_queue_close(o->queue);
    sm_event_close(o->event);
    sm_sem_close(o->sem);
    sm_barrier_close(o->barrier);
    sm_pipe_close(o->pipe);
}

struct waiter_ctx {
    struct objs *o;
    unsigned kind;
    int rc;
};

/* one_wait() - park on kind @k for ever; SM_OK once released. */
static int one_wait(struct objs *o, unsigned k)
{
    sm_val v = {0};
    int rc;
    switch (k) {
    case 0:
        rc = sm_lock_acquire(o->lock, SM_FOREVER);
        return rc ? rc : sm_lock_release(o->lock);
    case 1:
        if ((rc = sm_cond_acquire(o->cond, SM_FOREVER)) || (rc = sm_cond_wait(o->cond, SM_FOREVER)))
            return rc;
        return sm_cond_release(o->cond);
    case 2:
        rc = sm_queue_get(o->queue, &v, SM_FOREVER);
        sm_val_free(&v);
        return rc;
    case 3:
        return sm_event_wait(o->event, SM_FOREVER);
    case 4:
        return sm_sem_acquire(o->sem, SM_FOREVER);
    case 5:
        return sm_barrier_wait(o->barrier, SM_FOREVER, NULL);
    default:
        rc = sm_pipe_recv(o->pipe, &v, SM_FOREVER);
        sm_val_free(&v);
        return rc;
    }
}

static void *waiter_thread(void *arg)
{
    struct waiter_ctx *w = arg;
    w->rc = one_wait(w->o, w->kind);
    return NULL;
}

/* parker K: THREADS threads, waiter j = K * THREADS + i on kind j % KINDS. */
static int prog_parker(int argc, char **argv)
{
    sm_client *c;
    struct objs o;
    static struct waiter_ctx ctx[THREADS];
    static pthread_t t[THREADS];
    pthread_attr_t attr;
    int failed = 0;
    if (argc < 1 || sm_connect(&c, NULL, NULL) || open_all(c, 0, 1, &o))
        return 1;
    unsigned k = (unsigned)atoi(argv[0]);
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024); /* small, yet above the TLS the harness uses */
    for (unsigned i = 0; i < THREADS; i++) {
        ctx[i] = (struct waiter_ctx){.o = &o, .kind = (k * THREADS + i) % KINDS, .rc = -1};
        int err = pthread_create(&t[i], &attr, waiter_thread, &ctx[i]);
        if (err) {
            fprintf(stderr, "parker %u: thread %u: %s\n", k, i, strerror(err));
            return 2;
        }
    }
    for (unsigned i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        if (ctx[i].rc != SM_OK) {
            fprintf(stderr, "parker %u: kind %u returned %d\n", k, ctx[i].kind, ctx[i].rc);
            failed = 1;
        }
    }
    close_all(&o);
    sm_disconnect(c);
    return failed ? 3 : 0;
}

/* parked() - the parked requests on every object, per "ls". */
static long parked(struct raw_conn *adm)
{
    long sum = 0;
    for (unsigned k = 0; k < KINDS; k++) {
        long n = raw_ls_waiters(adm, names[k]);
        if (n < 0)
            return -1;
        sum += n;
    }
    return sum;
}

/* release_all() - the state change each kind of waiter waits for. */
static void release_all(struct objs *o)
{
    ck_sm(sm_lock_release(o->lock), SM_OK);
    ck_sm(sm_cond_acquire(o->cond, SM_FOREVER), SM_OK);
    ck_sm(sm_cond_notify_all(o->cond), SM_OK);
    ck_sm(sm_cond_release(o->cond), SM_OK);
    for (unsigned i = 0; i < count(2); i++)
        ck_sm(sm_queue_put(o->queue, sm_int(i), SM_FOREVER), SM_OK);
    ck_sm(sm_event_set(o->event), SM_OK);
    ck_sm(sm_sem_release_n(o->sem, count(4)), SM_OK);
    size_t index;
    ck_sm(sm_barrier_wait(o->barrier, 60000, &index), SM_OK);
    for (unsigned i = 0; i < count(6); i++)
        ck_sm(sm_pipe_send(o->pipe, sm_int(i)), SM_OK);
}

START_TEST(test_10000_parked)
{
    struct sm_broker broker = {0};
    struct raw_conn adm;
    sm_client *c;
    struct objs o;
    pid_t pid[PROCS];
    char arg[16];

    ck_assert_int_eq(broker_start(&broker, NULL), 0);
    broker_setenv(&broker);
    ck_sm(broker_connect(&broker, &c), SM_OK);
    ck_sm(open_all(c, SM_CREATE, 0, &o), SM_OK);
    ck_sm(sm_lock_acquire(o.lock, SM_FOREVER), SM_OK);
    raw_admin(&broker, &adm);

    for (int k = 0; k < PROCS; k++) {
        snprintf(arg, sizeof(arg), "%d", k);
        ck_assert_int_gt(pid[k] = child_spawn(NULL, NULL, "parker", arg, NULL), 0);
    }
    long n = -1;
    int64_t t0 = mono_ms(), give_up = t0 + 120000;
    while (mono_ms() < give_up && (n = parked(&adm)) != TOTAL)
        sleep_ms(100);
    ck_assert_msg(n == TOTAL, "%ld requests parked after 120 s, expected %d", n, TOTAL);
    fprintf(stderr, "test_many: %d requests parked in %lld ms\n", TOTAL,
            (long long)(mono_ms() - t0));

    /* the broker still serves others at once */
    ck_sm(sm_event_clear(o.event), SM_OK);

    t0 = mono_ms();
    release_all(&o);
    for (int k = 0; k < PROCS; k++)
        ck_assert_int_eq(child_wait(pid[k], 120000), 0);
    fprintf(stderr, "test_many: all released and answered in %lld ms\n",
            (long long)(mono_ms() - t0));
    ck_assert_int_eq(parked(&adm), 0);
    raw_close(&adm);
    close_all(&o);
    sm_disconnect(c);
    broker_stop(&broker, true);
}
END_TEST

int main(int argc, char **argv)
{
    static const struct child_prog progs[] = {{"parker", prog_parker}, {NULL, NULL}};
    child_dispatch(argc, argv, progs);

    Suite *s = suite_create("integration-many");
    TCase *tc = tcase_create("many");
    tcase_set_timeout(tc, 400);
    tcase_add_test(tc, test_10000_parked);
    suite_add_tcase(s, tc);
    return check_run(s, CK_ENV);
}
