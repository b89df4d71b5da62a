/*
 * test_faults.c - client processes SIGKILLed at random points while they use
 * a lock, an rlock, a semaphore, a queue, a barrier and a condition, for a
 * few seconds, replaced as they die.  Afterwards no lock is held, no request
 * is parked, the semaphore has all its units, the barrier has no waiter and
 * every object still works; the broker served throughout.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "harness.h"

#define WORKERS 10
#define RUN_MS 4000
#define SEM_UNITS 2
#define PARTIES 3

static struct sm_broker broker;
static sm_client *cli;
static struct raw_conn adm;

struct objs {
    sm_lock *lk;
    sm_rlock *rl;
    sm_sem *sem;
    sm_queue *q;
    sm_barrier *bar;
    sm_cond *cv;
};

static const char *const names[] = {"lk", "rl", "sem", "q", "bar", "cv"};

static int objs_open(sm_client *c, struct objs *o, int flags)
{
    const sm_sem_opts so = {.value = SEM_UNITS, .bounded = true};
    const sm_queue_opts qo = {.maxsize = 4};
    const sm_barrier_opts bo = {.parties = PARTIES};
    int rc;
    if ((rc = sm_lock_open(c, "lk", flags, NULL, &o->lk)) ||
        (rc = sm_rlock_open(c, "rl", flags, NULL, &o->rl)) ||
        (rc = sm_sem_open(c, "sem", flags, &so, &o->sem)) ||
        (rc = sm_queue_open(c, "q", flags, &qo, &o->q)) ||
        (rc = sm_barrier_open(c, "bar", flags, &bo, &o->bar)) ||
        (rc = sm_cond_open(c, "cv", flags, NULL, &o->cv)))
        return rc;
    return SM_OK;
}

static void objs_close(struct objs *o)
{
    sm_lock_close(o->lk);
    sm_rlock_close(o->rl);
    sm_sem_close(o->sem);
    sm_queue_close(o->q);
    sm_barrier_close(o->bar);
    sm_cond_close(o->cv);
}

/* held() - a lock-like acquire that may find its previous owner dead. */
static bool held(int rc)
{
    return rc == SM_OK || rc == SM_EOWNERDEAD;
}

/* One step of a worker; SM_OK or the unexpected status. */
static int step(struct objs *o, unsigned r)
{
    sm_val v;
    int rc;
    switch (r % 6) {
    case 0:
        if (!held(rc = sm_lock_acquire(o->lk, SM_FOREVER)))
            return rc;
        usleep(r % 2000);
        return sm_lock_release(o->lk);
    case 1:
        if (!held(rc = sm_rlock_acquire(o->rl, SM_FOREVER)) ||
            !held(rc = sm_rlock_acquire(o->rl, SM_FOREVER)))
            return rc;
        usleep(r % 1000);
        return (rc = sm_rlock_release(o->rl)) ? rc : sm_rlock_release(o->rl);
    case 2:
        if ((rc = sm_sem_acquire(o->sem, SM_FOREVER)))
            return rc;
        usleep(r % 2000);
        return sm_sem_release(o->sem);
    case 3:
        rc = (r & 64) ? sm_queue_put(o->q, sm_int(r), 100) : sm_queue_get(o->q, &v, 100);
        if (rc == SM_OK && !(r & 64))
            sm_val_free(&v);
        return rc == SM_EFULL || rc == SM_EEMPTY || rc == SM_ETIMEDOUT ? SM_OK : rc;
    case 4:
        rc = sm_barrier_wait(o->bar, 200, NULL);
        if (rc == SM_EBROKEN || rc == SM_ETIMEDOUT)
            return sm_barrier_reset(o->bar);
        return rc;
    default:
        if (!held(rc = sm_cond_acquire(o->cv, SM_FOREVER)))
            return rc;
        rc = (r & 64) ? sm_cond_notify_all(o->cv) : sm_cond_wait(o->cv, 50);
        if (rc != SM_OK && rc != SM_ETIMEDOUT && rc != SM_EOWNERDEAD)
            return rc;
        return sm_cond_release(o->cv);
    }
}

/* worker SEED: random steps until killed; exit 2 on an unexpected status. */
static int prog_worker(int argc, char **argv)
{
    sm_client *c;
    struct objs o;
    unsigned seed = argc > 0 ? (unsigned)atoi(argv[0]) : 1;
    if (sm_connect(&c, NULL, NULL) || objs_open(c, &o, 0))
        return 1;
    for (;;) {
        unsigned r = (unsigned)rand_r(&seed);
        int rc = step(&o, r);
        if (rc) {
            fprintf(stderr, "worker: step %u: %s\n", r % 6, sm_strerror(rc));
            return 2;
        }
    }
}

static void setup(void)
{
    struct objs o;
    broker_up(&broker, &cli, &adm);
    ck_sm(objs_open(cli, &o, SM_CREATE), SM_OK);
    objs_close(&o);
}

static void teardown(void)
{
    broker_down(&broker, &cli, &adm);
}

/* reap() - a worker we killed must have died of the signal, not of an error. */
static void reap(pid_t pid)
{
    int st = child_wait(pid, 30000);
    ck_assert_msg(st == 128 + SIGKILL, "worker %d ended with %d, not by SIGKILL", (int)pid, st);
}

START_TEST(test_kill_clients_at_random)
{
    pid_t pid[WORKERS];
    char seed[16];
    unsigned r = 12345, kills = 0, next_seed = 1;
    for (int i = 0; i < WORKERS; i++) {
        snprintf(seed, sizeof(seed), "%u", next_seed++);
        ck_assert_int_gt(pid[i] = child_spawn(NULL, NULL, "worker", seed, NULL), 0);
    }
    for (int64_t end = mono_ms() + RUN_MS; mono_ms() < end; kills++) {
        sleep_ms(20 + (int)(rand_r(&r) % 80));
        int i = (int)(rand_r(&r) % WORKERS);
        kill(pid[i], SIGKILL);
        reap(pid[i]);
        snprintf(seed, sizeof(seed), "%u", next_seed++);
        ck_assert_int_gt(pid[i] = child_spawn(NULL, NULL, "worker", seed, NULL), 0);
    }
    for (int i = 0; i < WORKERS; i++) {
        kill(pid[i], SIGKILL);
        reap(pid[i]);
    }
    fprintf(stderr, "it_faults: %u workers killed at random in %d ms\n", kills + WORKERS, RUN_MS);

    /* nothing held, nothing parked, once the broker has seen every pipe go */
    struct ls_row row;
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        int64_t give_up = mono_ms() + 15000;
        while ((raw_ls(&adm, names[k], &row) || row.waiters || row.holder_pid != -2) &&
               mono_ms() < give_up)
            sleep_ms(50);
        ck_assert_int_eq(raw_ls(&adm, names[k], &row), 0);
        ck_assert_msg(row.waiters == 0, "%s: %llu requests still parked", names[k],
                      (unsigned long long)row.waiters);
        ck_assert_msg(row.holder_pid == -2, "%s: still held by pid %ld", names[k],
                      row.holder_pid);
    }
    /* and each object works as new */
    struct objs o;
    unsigned units;
    size_t n;
    bool b;
    ck_sm(objs_open(cli, &o, 0), SM_OK);
    ck_assert(held(sm_lock_acquire(o.lk, 0)));
    ck_sm(sm_lock_release(o.lk), SM_OK);
    ck_assert(held(sm_rlock_acquire(o.rl, 0)));
    ck_sm(sm_rlock_release(o.rl), SM_OK);
    ck_sm(sm_sem_value(o.sem, &units), SM_OK);
    ck_assert_uint_eq(units, SEM_UNITS);
    ck_sm(sm_barrier_n_waiting(o.bar, &n), SM_OK);
    ck_assert_uint_eq(n, 0);
    ck_sm(sm_barrier_reset(o.bar), SM_OK);
    ck_sm(sm_barrier_broken(o.bar, &b), SM_OK);
    ck_assert(!b);
    ck_assert(held(sm_cond_acquire(o.cv, 0)));
    ck_sm(sm_cond_wait(o.cv, 0), SM_ETIMEDOUT);
    ck_sm(sm_cond_release(o.cv), SM_OK);
    ck_sm(sm_queue_qsize(o.q, &n), SM_OK);
    ck_assert_uint_le(n, 4);
    ck_sm(sm_ping(cli, NULL), SM_OK);
    objs_close(&o);
}
END_TEST

static const struct child_prog progs[] = {{"worker", prog_worker}, {NULL, NULL}};

int main(int argc, char **argv)
{
    child_dispatch(argc, argv, progs);
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("faults");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_kill_clients_at_random);
    suite_add_tcase(s, tc);
    return check_run(s, CK_ENV);
}
