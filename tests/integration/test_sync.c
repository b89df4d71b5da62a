/*
 * test_sync.c - Semaphore, Event and Barrier on the real broker through
 * libsyncmgr: every method, timeouts that end on time, what a SIGKILLed
 * client process leaves behind (semaphore units come back, a barrier
 * breaks, an event keeps no parked request), and the start_together
 * example.
 */
#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_run.h"
#include "harness.h"

#define LATE_MS 1500 /* how late a timeout may end on two noisy cores */

static struct sm_broker broker;
static sm_client *cli;
static struct raw_conn adm;

static void setup(void)
{
    broker_up(&broker, &cli, &adm);
}

static void teardown(void)
{
    broker_down(&broker, &cli, &adm);
}

/* wait_gone() - poll "ls" until @name is no more (10 s). */
static void wait_gone(const char *name)
{
    struct ls_row row;
    int64_t give_up = mono_ms() + 10000;
    while (raw_ls(&adm, name, &row) == 0) {
        ck_assert_msg(mono_ms() < give_up, "%s still there after 10 s", name);
        usleep(1000);
    }
}

/* ck_took() - a call that began at @t0 waited @want ms, not much more. */
static void ck_took(int64_t t0, int want)
{
    int64_t took = mono_ms() - t0;
    ck_assert_msg(took >= want && took <= want + LATE_MS, "a %d ms timeout ended after %lld ms",
                  want, (long long)took);
}

/* ---- blocking calls on threads -------------------------------------------- */

/* One blocking call made on its own thread: fn(h, timeout_ms, &index). */
struct bg {
    pthread_t t;
    int (*fn)(void *h, int timeout_ms, size_t *index);
    void *h;
    int timeout_ms;
    int rc;
    size_t index;
};

static void *bg_main(void *arg)
{
    struct bg *b = arg;
    b->rc = b->fn(b->h, b->timeout_ms, &b->index);
    return NULL;
}

static void bg_start(struct bg *b, int (*fn)(void *, int, size_t *), void *h, int timeout_ms)
{
    *b = (struct bg){.fn = fn, .h = h, .timeout_ms = timeout_ms, .rc = -1, .index = SIZE_MAX};
    ck_assert_int_eq(pthread_create(&b->t, NULL, bg_main, b), 0);
}

/* bg_join() - join with a limit, so that a stuck call fails the test;
 * returns the call's status. */
static int bg_join(struct bg *b, int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ck_assert_msg(pthread_timedjoin_np(b->t, NULL, &ts) == 0, "call still blocked after %d ms",
                  timeout_ms);
    return b->rc;
}

static int sem_acquire(void *h, int timeout_ms, size_t *index)
{
    (void)index;
    return sm_sem_acquire(h, timeout_ms);
}

static int event_wait(void *h, int timeout_ms, size_t *index)
{
    (void)index;
    return sm_event_wait(h, timeout_ms);
}

static int barrier_wait(void *h, int timeout_ms, size_t *index)
{
    return sm_barrier_wait(h, timeout_ms, index);
}

/* ---- child programs ------------------------------------------------------- */

/* sem_holder: take two units of semaphore "S", say "held", wait to be killed. */
static int prog_sem_holder(int argc, char **argv)
{
    sm_client *c;
    sm_sem *s;
    (void)argc;
    (void)argv;
    if (sm_connect(&c, NULL, NULL) || sm_sem_open(c, "S", 0, NULL, &s) || sm_sem_acquire(s, 0) ||
        sm_sem_acquire(s, 0))
        return 1;
    printf("held\n");
    fflush(stdout);
    for (;;)
        pause();
}

/* event_waiter / barrier_waiter: block on "E" / "B" until killed. */
static int prog_event_waiter(int argc, char **argv)
{
    sm_client *c;
    sm_event *e;
    (void)argc;
    (void)argv;
    if (sm_connect(&c, NULL, NULL) || sm_event_open(c, "E", 0, NULL, &e))
        return 1;
    return sm_event_wait(e, SM_FOREVER) == SM_OK ? 2 : 3;
}

static int prog_barrier_waiter(int argc, char **argv)
{
    sm_client *c;
    sm_barrier *b;
    (void)argc;
    (void)argv;
    if (sm_connect(&c, NULL, NULL) || sm_barrier_open(c, "B", 0, NULL, &b))
        return 1;
    return sm_barrier_wait(b, SM_FOREVER, NULL) == SM_OK ? 2 : 3;
}

/* exec: run the program argv[0] with stdout and death signal from child_spawn(). */
static int prog_exec(int argc, char **argv)
{
    (void)argc;
    execv(argv[0], argv);
    perror(argv[0]);
    return 127;
}

static const struct child_prog progs[] = {
    {"sem_holder", prog_sem_holder},
    {"event_waiter", prog_event_waiter},
    {"barrier_waiter", prog_barrier_waiter},
    {"exec", prog_exec},
    {NULL, NULL},
};

/* spawn_parked() - start child @prog and wait until @name shows @parked
 * parked requests (the child's among them). */
static pid_t spawn_parked(const char *prog, const char *name, long parked)
{
    pid_t pid = child_spawn(NULL, NULL, prog, NULL);
    ck_assert_int_gt(pid, 0);
    raw_wait_parked(&adm, name, parked);
    return pid;
}

/* ---- Semaphore ------------------------------------------------------------- */

START_TEST(test_sem_methods)
{
    sm_sem *s, *plain;
    unsigned v = 99;
    sm_sem_opts opts = {.value = 2, .bounded = true};

    ck_sm(sm_sem_open(cli, "S", SM_CREATE, &opts, &s), SM_OK);
    ck_sm(sm_sem_value(s, &v), SM_OK);
    ck_assert_uint_eq(v, 2);
    ck_sm(sm_sem_release(s), SM_EVALUE); /* bounded */
    ck_sm(sm_sem_acquire(s, 0), SM_OK);
    ck_sm(sm_sem_acquire(s, SM_FOREVER), SM_OK);
    ck_sm(sm_sem_value(s, &v), SM_OK);
    ck_assert_uint_eq(v, 0);

    int64_t t0 = mono_ms();
    ck_sm(sm_sem_acquire(s, 0), SM_ETIMEDOUT);
    ck_took(t0, 0);
    t0 = mono_ms();
    ck_sm(sm_sem_acquire(s, 300), SM_ETIMEDOUT);
    ck_took(t0, 300);
    ck_assert_int_eq(raw_ls_waiters(&adm, "S"), 0);

    ck_sm(sm_sem_release_n(s, 3), SM_EVALUE); /* all or nothing */
    ck_sm(sm_sem_release_n(s, 0), SM_EVALUE);
    ck_sm(sm_sem_release_n(s, 2), SM_OK);
    ck_sm(sm_sem_value(s, &v), SM_OK);
    ck_assert_uint_eq(v, 2);

    /* no options: 1 unit, unbounded */
    ck_sm(sm_sem_open(cli, "plain", SM_CREATE, NULL, &plain), SM_OK);
    ck_sm(sm_sem_value(plain, &v), SM_OK);
    ck_assert_uint_eq(v, 1);
    ck_sm(sm_sem_release_n(plain, 4), SM_OK);
    ck_sm(sm_sem_value(plain, &v), SM_OK);
    ck_assert_uint_eq(v, 5);
    ck_sm(sm_sem_value(NULL, &v), SM_EINVAL);
    sm_sem_close(plain);
    sm_sem_close(s);
}
END_TEST

START_TEST(test_sem_wait_served_by_another_client)
{
    sm_client *c2;
    sm_sem *s, *s2;
    sm_sem_opts zero = {.value = 0};
    struct bg a, b;

    ck_sm(sm_sem_open(cli, "S", SM_CREATE, &zero, &s), SM_OK);
    ck_sm(broker_connect(&broker, &c2), SM_OK);
    ck_sm(sm_sem_open(c2, "S", 0, NULL, &s2), SM_OK);
    bg_start(&a, sem_acquire, s2, SM_FOREVER);
    raw_wait_parked(&adm, "S", 1);
    bg_start(&b, sem_acquire, s2, 10000);
    raw_wait_parked(&adm, "S", 2);
    ck_sm(sm_sem_release_n(s, 2), SM_OK); /* by a client that holds none */
    ck_sm(bg_join(&a, 10000), SM_OK);
    ck_sm(bg_join(&b, 10000), SM_OK);
    sm_sem_close(s2);
    sm_disconnect(c2); /* SEM_UNDO: both units come back */
    unsigned v = 0;
    int64_t give_up = mono_ms() + 10000;
    while (sm_sem_value(s, &v) == SM_OK && v != 2 && mono_ms() < give_up)
        usleep(1000);
    ck_assert_uint_eq(v, 2);
    sm_sem_close(s);
}
END_TEST

START_TEST(test_sem_units_of_killed_client_come_back)
{
    sm_sem *s;
    sm_sem_opts opts = {.value = 2, .bounded = true};
    unsigned v = 99;
    char buf[16] = "";
    int out;
    struct bg a;

    ck_sm(sm_sem_open(cli, "S", SM_CREATE, &opts, &s), SM_OK);
    pid_t pid = child_spawn(NULL, &out, "sem_holder", NULL);
    ck_assert_int_gt(pid, 0);
    read_all(out, buf, 6, 10000);
    ck_assert_str_eq(buf, "held\n");
    ck_sm(sm_sem_value(s, &v), SM_OK);
    ck_assert_uint_eq(v, 0);
    bg_start(&a, sem_acquire, s, SM_FOREVER);
    raw_wait_parked(&adm, "S", 1);

    kill(pid, SIGKILL);
    ck_assert_int_eq(child_wait(pid, 5000), 128 + SIGKILL);
    ck_sm(bg_join(&a, 10000), SM_OK); /* one returned unit, to the waiter */
    ck_sm(sm_sem_value(s, &v), SM_OK);
    ck_assert_uint_eq(v, 1);
    ck_sm(sm_sem_release(s), SM_OK);
    ck_sm(sm_sem_release(s), SM_EVALUE); /* both units are back, no more */
    close(out);
    sm_sem_close(s);
}
END_TEST

/* ---- Event ----------------------------------------------------------------- */

START_TEST(test_event_methods)
{
    sm_client *c2;
    sm_event *e, *e2;
    bool set = true;
    struct bg w[3];

    ck_sm(sm_event_open(cli, "E", SM_CREATE, NULL, &e), SM_OK);
    ck_sm(sm_event_is_set(e, &set), SM_OK);
    ck_assert(!set);
    int64_t t0 = mono_ms();
    ck_sm(sm_event_wait(e, 0), SM_ETIMEDOUT);
    ck_took(t0, 0);
    t0 = mono_ms();
    ck_sm(sm_event_wait(e, 300), SM_ETIMEDOUT);
    ck_took(t0, 300);

    /* set() wakes every waiter, of this client and another */
    ck_sm(broker_connect(&broker, &c2), SM_OK);
    ck_sm(sm_event_open(c2, "E", 0, NULL, &e2), SM_OK);
    bg_start(&w[0], event_wait, e, SM_FOREVER);
    bg_start(&w[1], event_wait, e2, SM_FOREVER);
    bg_start(&w[2], event_wait, e2, 20000);
    raw_wait_parked(&adm, "E", 3);
    ck_sm(sm_event_set(e2), SM_OK);
    for (int i = 0; i < 3; i++)
        ck_sm(bg_join(&w[i], 10000), SM_OK);
    ck_sm(sm_event_is_set(e, &set), SM_OK);
    ck_assert(set);
    ck_sm(sm_event_wait(e, 0), SM_OK);
    ck_sm(sm_event_wait(e, SM_FOREVER), SM_OK);

    ck_sm(sm_event_clear(e), SM_OK);
    ck_sm(sm_event_is_set(e2, &set), SM_OK);
    ck_assert(!set);
    ck_sm(sm_event_wait(e2, 0), SM_ETIMEDOUT);
    ck_assert_int_eq(raw_ls_waiters(&adm, "E"), 0);
    sm_event_close(e2);
    sm_disconnect(c2);
    sm_event_close(e);
}
END_TEST

START_TEST(test_event_waiter_killed)
{
    sm_event *e;
    ck_sm(sm_event_open(cli, "E", SM_CREATE, NULL, &e), SM_OK);
    pid_t pid = spawn_parked("event_waiter", "E", 1);
    kill(pid, SIGKILL);
    ck_assert_int_eq(child_wait(pid, 5000), 128 + SIGKILL);
    raw_wait_parked(&adm, "E", 0); /* the broker dropped its request */
    ck_sm(sm_event_set(e), SM_OK);
    ck_assert_int_eq(raw_ls_waiters(&adm, "E"), 0);
    sm_event_close(e);
}
END_TEST

/* ---- Barrier --------------------------------------------------------------- */

/* one_round() - two threads and this one meet at @b (3 parties): indexes
 * 0, 1 and 2 each once. */
static void one_round(sm_barrier *b)
{
    struct bg w[2];
    size_t index = SIZE_MAX, n = 99;
    unsigned seen = 0;
    for (int i = 0; i < 2; i++) {
        bg_start(&w[i], barrier_wait, b, i ? 20000 : SM_FOREVER);
        raw_wait_parked(&adm, "B", i + 1);
    }
    ck_sm(sm_barrier_n_waiting(b, &n), SM_OK);
    ck_assert_uint_eq(n, 2);
    ck_sm(sm_barrier_wait(b, SM_FOREVER, &index), SM_OK);
    ck_assert_uint_eq(index, 2);
    for (int i = 0; i < 2; i++) {
        ck_sm(bg_join(&w[i], 10000), SM_OK);
        ck_assert_uint_eq(w[i].index, (size_t)i);
        seen |= 1u << w[i].index;
    }
    ck_assert_uint_eq(seen, 3);
    ck_sm(sm_barrier_n_waiting(b, &n), SM_OK);
    ck_assert_uint_eq(n, 0);
}

START_TEST(test_barrier_methods)
{
    sm_barrier *b, *one;
    sm_barrier_opts three = {.parties = 3}, zero = {.parties = 0}, single = {.parties = 1};
    size_t n = 0, index = 99;
    bool broken = true;

    ck_sm(sm_barrier_open(cli, "B", SM_CREATE, NULL, &b), SM_EINVAL);
    ck_sm(sm_barrier_open(cli, "B", SM_CREATE, &zero, &b), SM_EINVAL);
    ck_sm(sm_barrier_open(cli, "B", SM_CREATE, &three, &b), SM_OK);
    ck_sm(sm_barrier_parties(b, &n), SM_OK);
    ck_assert_uint_eq(n, 3);
    ck_sm(sm_barrier_broken(b, &broken), SM_OK);
    ck_assert(!broken);
    one_round(b);
    one_round(b); /* the next generation */

    ck_sm(sm_barrier_open(cli, "one", SM_CREATE, &single, &one), SM_OK);
    ck_sm(sm_barrier_wait(one, 0, &index), SM_OK);
    ck_assert_uint_eq(index, 0);
    ck_sm(sm_barrier_wait(one, SM_FOREVER, NULL), SM_OK);
    sm_barrier_close(one);
    sm_barrier_close(b);
}
END_TEST

/* ck_broken() - @b says broken, and a wait fails at once until reset. */
static void ck_broken(sm_barrier *b)
{
    bool broken = false;
    size_t n = 99;
    ck_sm(sm_barrier_broken(b, &broken), SM_OK);
    ck_assert(broken);
    ck_sm(sm_barrier_n_waiting(b, &n), SM_OK);
    ck_assert_uint_eq(n, 0);
    int64_t t0 = mono_ms();
    ck_sm(sm_barrier_wait(b, SM_FOREVER, NULL), SM_EBROKEN);
    ck_took(t0, 0);
    ck_sm(sm_barrier_reset(b), SM_OK);
    ck_sm(sm_barrier_broken(b, &broken), SM_OK);
    ck_assert(!broken);
}

START_TEST(test_barrier_breaking)
{
    sm_barrier *b;
    sm_barrier_opts three = {.parties = 3};
    struct bg w;

    ck_sm(sm_barrier_open(cli, "B", SM_CREATE, &three, &b), SM_OK);
    /* a timeout breaks it for the waiter that timed out and the others */
    bg_start(&w, barrier_wait, b, SM_FOREVER);
    raw_wait_parked(&adm, "B", 1);
    int64_t t0 = mono_ms();
    ck_sm(sm_barrier_wait(b, 300, NULL), SM_EBROKEN);
    ck_took(t0, 300);
    ck_sm(bg_join(&w, 10000), SM_EBROKEN);
    ck_broken(b);

    /* abort() */
    bg_start(&w, barrier_wait, b, 20000);
    raw_wait_parked(&adm, "B", 1);
    ck_sm(sm_barrier_abort(b), SM_OK);
    ck_sm(bg_join(&w, 10000), SM_EBROKEN);
    ck_broken(b);

    /* reset() while waiting: the waiter is told, the barrier is whole */
    bg_start(&w, barrier_wait, b, SM_FOREVER);
    raw_wait_parked(&adm, "B", 1);
    ck_sm(sm_barrier_reset(b), SM_OK);
    ck_sm(bg_join(&w, 10000), SM_EBROKEN);
    one_round(b);
    sm_barrier_close(b);
}
END_TEST

START_TEST(test_barrier_waiter_killed)
{
    sm_barrier *b;
    sm_barrier_opts three = {.parties = 3};
    struct bg w;

    ck_sm(sm_barrier_open(cli, "B", SM_CREATE, &three, &b), SM_OK);
    bg_start(&w, barrier_wait, b, SM_FOREVER);
    raw_wait_parked(&adm, "B", 1);
    pid_t pid = spawn_parked("barrier_waiter", "B", 2);
    kill(pid, SIGKILL);
    ck_assert_int_eq(child_wait(pid, 5000), 128 + SIGKILL);
    ck_sm(bg_join(&w, 10000), SM_EBROKEN);
    ck_broken(b);
    sm_barrier_close(b);
}
END_TEST

/* ---- the example ------------------------------------------------------------ */

START_TEST(test_start_together)
{
    static char out[8192];
    char path[512];
    const char *dir = getenv("SM_EXAMPLES_DIR");
    int fd;

    ck_assert_msg(dir != NULL, "$SM_EXAMPLES_DIR is not set (run through ctest)");
    snprintf(path, sizeof(path), "%s/start_together", dir);
    ck_assert_msg(access(path, X_OK) == 0, "%s: not built", path);
    pid_t pid = child_spawn(NULL, &fd, "exec", path, NULL);
    ck_assert_int_gt(pid, 0);
    read_all(fd, out, sizeof(out), 60000);
    close(fd);
    int rc = child_wait(pid, 10000);
    fprintf(stderr, "---- start_together (exit %d) ----\n%s", rc, out);
    ck_assert_int_eq(rc, 0);
    int passed = 0;
    for (const char *p = out; (p = strstr(p, "passed the barrier as ")); p++)
        passed++;
    ck_assert_int_eq(passed, 5);
    ck_assert_ptr_nonnull(strstr(out, "arrivals:"));
    /* temporary objects: gone with the processes that used them */
    wait_gone("meet");
    wait_gone("start");
    wait_gone("meet.arrivals");
}
END_TEST

int main(int argc, char **argv)
{
    child_dispatch(argc, argv, progs);

    Suite *s = suite_create("integration-sync");
    TCase *tc = tcase_create("sync");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_sem_methods);
    tcase_add_test(tc, test_sem_wait_served_by_another_client);
    tcase_add_test(tc, test_sem_units_of_killed_client_come_back);
    tcase_add_test(tc, test_event_methods);
    tcase_add_test(tc, test_event_waiter_killed);
    tcase_add_test(tc, test_barrier_methods);
    tcase_add_test(tc, test_barrier_breaking);
    tcase_add_test(tc, test_barrier_waiter_killed);
    tcase_add_test(tc, test_start_together);
    suite_add_tcase(s, tc);

    return check_run(s, CK_ENV);
}
