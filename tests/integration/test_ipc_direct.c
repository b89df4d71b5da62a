/*
 * test_ipc_direct.c - the client's direct ipc:// transport (no nng on the
 * client side) against the real broker's nng REP socket: messages larger
 * than its read buffer, many threads sharing one connection while one of
 * them waits, a broker killed under calls (SM_ECONN), a forked child, a
 * peer that is not an nng REP socket, and the nng path still chosen by
 * $SYNCMGR_IPC_NNG.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check_run.h"
#include "harness.h"

static struct sm_broker broker;
static sm_client *cli;
static bool killed; /* the test killed the broker: no exit status to check */

static void setup(void)
{
    killed = false;
    broker_up(&broker, &cli, NULL);
}

static void teardown(void)
{
    sm_disconnect(cli);
    cli = NULL;
    broker_stop(&broker, !killed);
}

/* roundtrip() - store @len bytes of a pattern under "k" and read them back. */
static void roundtrip(sm_dict *d, size_t len)
{
    char *buf = malloc(len ? len : 1);
    sm_val v = {0};
    ck_assert_ptr_nonnull(buf);
    for (size_t i = 0; i < len; i++)
        buf[i] = (char)(i * 31 + len);
    ck_sm(sm_dict_set(d, sm_str("k"), sm_bin(buf, len)), SM_OK);
    ck_sm(sm_dict_get(d, sm_str("k"), &v), SM_OK);
    ck_assert_int_eq(v.type, SM_V_BIN);
    ck_assert_uint_eq(v.v.buf.len, len);
    ck_assert(len == 0 || memcmp(v.v.buf.ptr, buf, len) == 0);
    sm_val_free(&v);
    free(buf);
}

START_TEST(test_sizes)
{
    sm_dict *d;
    static const size_t sizes[] = {0, 1, 16360, 16370, 16384, 16400, 65536, 1 << 20, 8 << 20};
    ck_sm(sm_dict_open(cli, "big", SM_CREATE, NULL, &d), SM_OK);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        roundtrip(d, sizes[i]);
    sm_dict_close(d);
}
END_TEST

/* ---- threads ------------------------------------------------------------ */

#define NTHREADS 4
#define NINCR 300

/* What a thread works on and the status it ended with. */
struct job {
    void *obj;
    int rc;
};

static void *incr_thread(void *arg)
{
    struct job *j = arg;
    int64_t r;
    for (int i = 0; i < NINCR && j->rc == SM_OK; i++)
        j->rc = sm_dict_incr(j->obj, sm_str("n"), 1, &r);
    return NULL;
}

static void *lock_thread(void *arg)
{
    struct job *j = arg;
    j->rc = sm_lock_acquire(j->obj, SM_FOREVER);
    if (j->rc == SM_OK)
        j->rc = sm_lock_release(j->obj);
    return NULL;
}

/* One thread waits for a lock (its call is the one reading the socket at
 * first) while others run calls whose replies it must hand over. */
START_TEST(test_threads_share)
{
    sm_client *other;
    sm_lock *l, *l2;
    sm_dict *d;
    pthread_t waiter, t[NTHREADS];
    struct job jw = {0}, jt[NTHREADS];
    sm_val v = {0};
    ck_sm(broker_connect(&broker, &other), SM_OK);
    ck_sm(sm_lock_open(other, "l", SM_CREATE, NULL, &l2), SM_OK);
    ck_sm(sm_lock_acquire(l2, 0), SM_OK);
    ck_sm(sm_lock_open(cli, "l", 0, NULL, &l), SM_OK);
    ck_sm(sm_dict_open(cli, "d", SM_CREATE, NULL, &d), SM_OK);
    jw.obj = l;
    ck_assert_int_eq(pthread_create(&waiter, NULL, lock_thread, &jw), 0);
    sleep_ms(100);
    for (int i = 0; i < NTHREADS; i++) {
        jt[i] = (struct job){.obj = d};
        ck_assert_int_eq(pthread_create(&t[i], NULL, incr_thread, &jt[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        join_within(t[i], 60000);
        ck_sm(jt[i].rc, SM_OK);
    }
    ck_sm(sm_dict_get(d, sm_str("n"), &v), SM_OK);
    ck_repr(v, "1200");
    ck_sm(sm_lock_release(l2), SM_OK);
    join_within(waiter, 30000);
    ck_sm(jw.rc, SM_OK);
    sm_lock_close(l);
    sm_lock_close(l2);
    sm_dict_close(d);
    sm_disconnect(other);
}
END_TEST

/* ---- a lost broker ------------------------------------------------------ */

START_TEST(test_broker_killed)
{
    sm_client *other;
    sm_lock *l, *l2;
    pthread_t waiter;
    struct job jw = {0};
    ck_sm(broker_connect(&broker, &other), SM_OK);
    ck_sm(sm_lock_open(other, "l", SM_CREATE, NULL, &l2), SM_OK);
    ck_sm(sm_lock_acquire(l2, 0), SM_OK);
    ck_sm(sm_lock_open(cli, "l", 0, NULL, &l), SM_OK);
    jw.obj = l;
    ck_assert_int_eq(pthread_create(&waiter, NULL, lock_thread, &jw), 0);
    sleep_ms(100);
    killed = true;
    broker_kill(&broker, SIGKILL, 10000);
    join_within(waiter, 30000); /* the waiting call ends */
    ck_sm(jw.rc, SM_ECONN);
    ck_sm(sm_ping(cli, NULL), SM_ECONN); /* and so does every later one */
    ck_sm(sm_lock_acquire(l, 0), SM_ECONN);
    ck_sm(sm_ping(other, NULL), SM_ECONN);
    sm_lock_close(l);
    sm_lock_close(l2);
    sm_disconnect(other);
}
END_TEST

/* ---- fork ---------------------------------------------------------------- */

/* A forked child: the inherited client is the parent's (SM_ECONN, and
 * dropping it must not break the parent's connection); a new one works. */
static int forked_child(void *arg)
{
    (void)arg;
    sm_client *mine;
    sm_dict *d;
    if (sm_ping(cli, NULL) != SM_ECONN)
        return 1;
    sm_disconnect(cli);
    if (sm_connect(&mine, broker.address, broker.keyfile) != SM_OK)
        return 2;
    if (sm_dict_open(mine, "fork", SM_CREATE, NULL, &d) != SM_OK ||
        sm_dict_set(d, sm_str("child"), sm_int(getpid())) != SM_OK)
        return 3;
    sm_dict_close(d);
    sm_disconnect(mine);
    return 0;
}

START_TEST(test_fork)
{
    sm_dict *d;
    bool b;
    ck_sm(sm_ping(cli, NULL), SM_OK);
    pid_t pid = child_fork(forked_child, NULL);
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(child_wait(pid, 30000), 0);
    ck_sm(sm_dict_open(cli, "fork", 0, NULL, &d), SM_OK); /* still connected */
    ck_sm(sm_dict_contains(d, sm_str("child"), &b), SM_OK);
    ck_assert(b);
    sm_dict_close(d);
}
END_TEST

/* ---- peers that are not a broker ---------------------------------------- */

/* Accept one connection on the listening socket *@arg, answer the SP
 * header with something else, close. */
static void *fake_peer(void *arg)
{
    int c = accept(*(int *)arg, NULL, NULL);
    if (c >= 0) {
        ssize_t n = write(c, "HTTP/1.1", 8);
        (void)n;
        close(c);
    }
    return NULL;
}

START_TEST(test_not_a_broker)
{
    char path[200], addr[220];
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    pthread_t t;
    sm_client *c = NULL;
    snprintf(path, sizeof(path), "%s/fake.sock", broker.dir);
    snprintf(addr, sizeof(addr), "ipc://%s", path);
    strcpy(sa.sun_path, path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(fd, 1), 0);
    ck_assert_int_eq(pthread_create(&t, NULL, fake_peer, &fd), 0);
    ck_sm(sm_connect(&c, addr, broker.keyfile), SM_ECONN);
    ck_assert_ptr_null(c);
    pthread_join(t, NULL);
    close(fd);
    /* nobody listening at all */
    unlink(path);
    ck_sm(sm_connect(&c, addr, broker.keyfile), SM_ECONN);
}
END_TEST

/* $SYNCMGR_IPC_NNG: the same address through nng's REQ socket. */
START_TEST(test_nng_chosen)
{
    sm_client *c;
    sm_dict *d;
    setenv("SYNCMGR_IPC_NNG", "1", 1);
    ck_sm(broker_connect(&broker, &c), SM_OK);
    unsetenv("SYNCMGR_IPC_NNG");
    ck_sm(sm_dict_open(c, "n", SM_CREATE, NULL, &d), SM_OK);
    roundtrip(d, 100000);
    sm_dict_close(d);
    sm_disconnect(c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ipc_direct");
    TCase *tc = tcase_create("ipc_direct");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_sizes);
    tcase_add_test(tc, test_threads_share);
    tcase_add_test(tc, test_broker_killed);
    tcase_add_test(tc, test_fork);
    tcase_add_test(tc, test_not_a_broker);
    tcase_add_test(tc, test_nng_chosen);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    child_dispatch(argc, argv, (const struct child_prog[]){{NULL, NULL}});
    return check_run(suite(), CK_NORMAL);
}
