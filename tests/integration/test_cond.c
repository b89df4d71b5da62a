/*
 * test_cond.c - RLock and Condition on the broker, with real processes:
 * re-entrancy per (client, thread), an RLock abandoned by a SIGKILLed owner,
 * a consumer process woken by a producer's notify, wait timeouts that come
 * back holding the lock, and a waiter that dies while waiting.
 */
#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "harness.h"

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

/* expect_line() - the child's next output line is @want (10 s). */
static void expect_line(int fd, const char *want)
{
    char buf[64] = "";
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    ck_assert_msg(poll(&pfd, 1, 10000) == 1, "child said nothing (waiting for %s)", want);
    ck_assert_int_gt(read(fd, buf, sizeof(buf) - 1), 0);
    ck_assert_str_eq(buf, want);
}

static void say(const char *line)
{
    fputs(line, stdout);
    fflush(stdout);
}

/* ---- child programs ------------------------------------------------------- */

/* rholder: take RLock "R" twice, say "held", wait to be killed. */
static int prog_rholder(int argc, char **argv)
{
    sm_client *c;
    sm_rlock *r;
    (void)argc;
    (void)argv;
    if (sm_connect(&c, NULL, NULL) || sm_rlock_open(c, "R", 0, NULL, &r) ||
        sm_rlock_acquire(r, SM_FOREVER) || sm_rlock_acquire(r, SM_FOREVER))
        return 1;
    say("held\n");
    for (;;)
        pause();
}

/* consumer: with condition "C", wait until dict "box" has "item", then
 * print it.  Says "waiting" once parked in its first wait. */
static int prog_consumer(int argc, char **argv)
{
    sm_client *c;
    sm_cond *cv;
    sm_dict *box;
    sm_val v = {0};
    int64_t item = -1;
    (void)argc;
    (void)argv;
    if (sm_connect(&c, NULL, NULL) || sm_cond_open(c, "C", 0, NULL, &cv) ||
        sm_dict_open(c, "box", 0, NULL, &box) || sm_cond_acquire(cv, SM_FOREVER))
        return 1;
    say("waiting\n");
    while (sm_dict_get(box, sm_str("item"), &v) == SM_ENOKEY)
        if (sm_cond_wait(cv, SM_FOREVER))
            return 2;
    if (sm_val_to_int(&v, &item) || sm_cond_release(cv))
        return 3;
    printf("got %lld\n", (long long)item);
    sm_cond_close(cv);
    sm_dict_close(box);
    sm_disconnect(c);
    return 0;
}

/* sleeper: wait on condition "C" for ever; to be killed while waiting. */
static int prog_sleeper(int argc, char **argv)
{
    sm_client *c;
    sm_cond *cv;
    (void)argc;
    (void)argv;
    if (sm_connect(&c, NULL, NULL) || sm_cond_open(c, "C", 0, NULL, &cv) ||
        sm_cond_acquire(cv, SM_FOREVER))
        return 1;
    say("waiting\n");
    sm_cond_wait(cv, SM_FOREVER);
    return 0;
}

/* ---- tests ---------------------------------------------------------------- */

struct try_ctx {
    sm_rlock *r;
    int rc;
};

static void *try_other_thread(void *arg)
{
    struct try_ctx *t = arg;
    t->rc = sm_rlock_acquire(t->r, 0);
    if (t->rc == SM_OK)
        sm_rlock_release(t->r);
    return NULL;
}

START_TEST(test_rlock_reentrant)
{
    sm_rlock *r;
    bool locked = false;
    pthread_t t;
    ck_sm(sm_rlock_open(cli, "R", SM_CREATE, NULL, &r), SM_OK);
    ck_sm(sm_rlock_acquire(r, SM_FOREVER), SM_OK);
    ck_sm(sm_rlock_acquire(r, 0), SM_OK);
    ck_sm(sm_rlock_locked(r, &locked), SM_OK);
    ck_assert(locked);
    /* another thread of the same client is another owner */
    struct try_ctx other = {.r = r, .rc = -1};
    ck_assert_int_eq(pthread_create(&t, NULL, try_other_thread, &other), 0);
    pthread_join(t, NULL);
    ck_sm(other.rc, SM_ETIMEDOUT);
    ck_sm(sm_rlock_release(r), SM_OK);
    ck_sm(sm_rlock_release(r), SM_OK);
    ck_sm(sm_rlock_release(r), SM_ENOTOWNER);
    ck_sm(sm_rlock_locked(r, &locked), SM_OK);
    ck_assert(!locked);
    sm_rlock_close(r);
}
END_TEST

START_TEST(test_rlock_owner_killed)
{
    sm_rlock *r;
    int out;
    ck_sm(sm_rlock_open(cli, "R", SM_CREATE, NULL, &r), SM_OK);
    pid_t holder = child_spawn(NULL, &out, "rholder", NULL);
    ck_assert_int_gt(holder, 0);
    expect_line(out, "held\n");
    struct ls_row row;
    ck_assert_int_eq(raw_ls(&adm, "R", &row), 0);
    ck_assert_uint_eq(row.size, 2); /* acquired twice */
    ck_assert_int_eq(row.holder_pid, holder);
    int64_t killed = mono_ms();
    kill(holder, SIGKILL);
    ck_sm(sm_rlock_acquire(r, 5000), SM_EOWNERDEAD);
    ck_assert_int_lt(mono_ms() - killed, 1000 + 500);
    ck_sm(sm_rlock_release(r), SM_OK); /* our count is 1, not the dead owner's 2 */
    ck_sm(sm_rlock_acquire(r, 0), SM_OK);
    ck_sm(sm_rlock_release(r), SM_OK);
    ck_assert_int_eq(child_wait(holder, 5000), 128 + SIGKILL);
    sm_rlock_close(r);
}
END_TEST

START_TEST(test_cond_producer_consumer)
{
    sm_lock *l;
    sm_cond *cv;
    sm_dict *box;
    int out;
    char buf[32] = "";
    ck_sm(sm_lock_open(cli, "M", SM_CREATE, NULL, &l), SM_OK);
    sm_cond_opts o = {.lock = "M"};
    ck_sm(sm_cond_open(cli, "C", SM_CREATE, &o, &cv), SM_OK);
    ck_sm(sm_dict_open(cli, "box", SM_CREATE, NULL, &box), SM_OK);
    pid_t consumer = child_spawn(NULL, &out, "consumer", NULL);
    ck_assert_int_gt(consumer, 0);
    expect_line(out, "waiting\n");
    raw_wait_parked(&adm, "C", 1);
    /* notify without the lock is refused; with it, the consumer wakes */
    ck_sm(sm_cond_notify(cv, 1), SM_ENOTOWNER);
    ck_sm(sm_lock_acquire(l, SM_FOREVER), SM_OK); /* the condition's lock, by name */
    ck_sm(sm_dict_set(box, sm_str("item"), sm_int(42)), SM_OK);
    ck_sm(sm_cond_notify(cv, 1), SM_OK);
    ck_sm(sm_lock_release(l), SM_OK);
    ck_assert_int_eq(child_wait(consumer, 10000), 0);
    ck_assert_int_gt(read(out, buf, sizeof(buf) - 1), 0);
    ck_assert_str_eq(buf, "got 42\n");
    sm_lock_close(l);
    sm_cond_close(cv);
    sm_dict_close(box);
}
END_TEST

START_TEST(test_cond_wait_timeout)
{
    sm_cond *cv;
    ck_sm(sm_cond_open(cli, "C", SM_CREATE, NULL, &cv), SM_OK);
    ck_sm(sm_cond_wait(cv, 100), SM_ENOTOWNER);
    ck_sm(sm_cond_acquire(cv, SM_FOREVER), SM_OK);
    int64_t t0 = mono_ms();
    ck_sm(sm_cond_wait(cv, 300), SM_ETIMEDOUT);
    int64_t took = mono_ms() - t0;
    ck_assert_msg(took >= 300 && took < 300 + 1500, "wait(300) took %lld ms", (long long)took);
    ck_sm(sm_cond_release(cv), SM_OK); /* it came back holding the lock */
    ck_sm(sm_cond_release(cv), SM_ENOTOWNER);
    sm_cond_close(cv);
}
END_TEST

START_TEST(test_cond_waiter_killed)
{
    sm_cond *cv;
    int out;
    ck_sm(sm_cond_open(cli, "C", SM_CREATE, NULL, &cv), SM_OK);
    pid_t sleeper = child_spawn(NULL, &out, "sleeper", NULL);
    ck_assert_int_gt(sleeper, 0);
    expect_line(out, "waiting\n");
    raw_wait_parked(&adm, "C", 1);
    kill(sleeper, SIGKILL);
    ck_assert_int_eq(child_wait(sleeper, 5000), 128 + SIGKILL);
    raw_wait_parked(&adm, "C", 0);
    /* the lock it released to wait is free; notify finds nobody */
    ck_sm(sm_cond_acquire(cv, 0), SM_OK);
    ck_sm(sm_cond_notify_all(cv), SM_OK);
    ck_sm(sm_cond_release(cv), SM_OK);
    ck_assert_int_eq(raw_ls_waiters(&adm, "C"), 0);
    sm_cond_close(cv);
}
END_TEST

int main(int argc, char **argv)
{
    static const struct child_prog progs[] = {
        {"rholder", prog_rholder},
        {"consumer", prog_consumer},
        {"sleeper", prog_sleeper},
        {NULL, NULL},
    };
    child_dispatch(argc, argv, progs);

    Suite *s = suite_create("integration-cond");
    TCase *tc = tcase_create("cond");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_rlock_reentrant);
    tcase_add_test(tc, test_rlock_owner_killed);
    tcase_add_test(tc, test_cond_producer_consumer);
    tcase_add_test(tc, test_cond_wait_timeout);
    tcase_add_test(tc, test_cond_waiter_killed);
    suite_add_tcase(s, tc);
    return check_run(s, CK_ENV);
}
