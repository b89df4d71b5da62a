/*
 * test_data.c - Value, Array, Namespace and Pipe end to end through
 * libsyncmgr against the real broker: exact results of every method, pipe
 * timeouts measured, a pipe receiver SIGKILLed while parked, and the
 * pipe_pingpong example.
 */
#include <check.h>
#include <float.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "harness.h"

extern char **environ;

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

/* A packed msgpack array built in a test: nums(&sb, "idd", 1, 2.5, 3.0),
 * one letter per element: i int, u uint64_t, d double, s str. */
static sm_val nums(msgpack_sbuffer *sb, const char *fmt, ...)
{
    msgpack_packer pk;
    va_list ap;
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, strlen(fmt));
    va_start(ap, fmt);
    for (const char *f = fmt; *f; f++) {
        if (*f == 'i') {
            msgpack_pack_int64(&pk, va_arg(ap, int));
        } else if (*f == 'u') {
            msgpack_pack_uint64(&pk, va_arg(ap, uint64_t));
        } else if (*f == 'd') {
            msgpack_pack_double(&pk, va_arg(ap, double));
        } else {
            const char *s = va_arg(ap, const char *);
            msgpack_pack_str_with_body(&pk, s, strlen(s));
        }
    }
    va_end(ap);
    return sm_msgpack(sb->data, sb->size);
}

/* ---- Value ---------------------------------------------------------------- */

START_TEST(test_value)
{
    sm_value *v, *v2;
    sm_val x = {0};
    bool swapped;
    sm_value_opts zeroed = {0}, five = {.initial = sm_int(5)};

    /* a zeroed initial is none: nil; an existing value ignores options */
    ck_sm(sm_value_open(cli, "v0", SM_CREATE, &zeroed, &v2), SM_OK);
    ck_sm(sm_value_get(v2, &x), SM_OK);
    ck_repr(x, "None");
    sm_value_close(v2);
    ck_sm(sm_value_open(cli, "v", SM_CREATE, &five, &v), SM_OK);
    ck_sm(sm_value_open(cli, "v", SM_CREATE, &zeroed, &v2), SM_OK);
    ck_sm(sm_value_get(v2, &x), SM_OK);
    ck_repr(x, "5");

    ck_sm(sm_value_incr(v, sm_int(3), &x), SM_OK);
    ck_repr(x, "8");
    ck_sm(sm_value_incr(v, sm_int(-10), NULL), SM_OK);
    ck_sm(sm_value_get(v2, &x), SM_OK);
    ck_repr(x, "-2");
    ck_sm(sm_value_incr(v, sm_f64(0.5), &x), SM_OK);
    ck_repr(x, "-1.5");
    ck_sm(sm_value_set(v, sm_uint(UINT64_MAX)), SM_OK);
    ck_sm(sm_value_incr(v, sm_int(1), &x), SM_EVALUE);
    ck_sm(sm_value_get(v, &x), SM_OK);
    ck_repr(x, "18446744073709551615");
    ck_sm(sm_value_incr(v, sm_bool(true), &x), SM_ETYPE);
    ck_sm(sm_value_set(v, sm_str("word")), SM_OK);
    ck_sm(sm_value_incr(v, sm_int(1), &x), SM_ETYPE);

    /* cas: both outcomes, with and without the current value */
    ck_sm(sm_value_cas(v, sm_str("other"), sm_int(1), &swapped, &x), SM_OK);
    ck_assert(!swapped);
    ck_repr(x, "'word'");
    ck_sm(sm_value_cas(v, sm_str("word"), sm_int(1), &swapped, &x), SM_OK);
    ck_assert(swapped);
    ck_repr(x, "1");
    ck_sm(sm_value_cas(v, sm_f64(1.0), sm_str("one"), &swapped, NULL), SM_OK);
    ck_assert(swapped); /* 1 == 1.0 */
    ck_sm(sm_value_get(v2, &x), SM_OK);
    ck_repr(x, "'one'");

    sm_value_close(v2);
    sm_value_close(v);
}
END_TEST

/* ---- Array ---------------------------------------------------------------- */

START_TEST(test_array)
{
    sm_array *a, *b;
    sm_val x = {0};
    size_t n;
    msgpack_sbuffer sb;
    sm_array_opts q5 = {.typecode = 'q', .length = 5};

    ck_sm(sm_array_open(cli, "a", SM_CREATE, NULL, &a), SM_EINVAL); /* no typecode */
    ck_sm(sm_array_open(cli, "a", SM_CREATE, &q5, &a), SM_OK);
    ck_sm(sm_array_open(cli, "a", 0, NULL, &b), SM_OK); /* options only create */
    ck_sm(sm_array_len(b, &n), SM_OK);
    ck_assert_uint_eq(n, 5);
    ck_sm(sm_array_getslice(a, SM_NONE, SM_NONE, SM_NONE, &x), SM_OK);
    ck_repr(x, "[0, 0, 0, 0, 0]");

    ck_sm(sm_array_set(a, 0, sm_int(10)), SM_OK);
    ck_sm(sm_array_set(a, -1, sm_int(-40)), SM_OK);
    ck_sm(sm_array_get(b, 4, &x), SM_OK);
    ck_repr(x, "-40");
    ck_sm(sm_array_get(b, -5, &x), SM_OK);
    ck_repr(x, "10");
    ck_sm(sm_array_get(b, 5, &x), SM_EINDEX);
    ck_sm(sm_array_set(a, -6, sm_int(1)), SM_EINDEX);
    ck_sm(sm_array_set(a, 1, sm_f64(1.5)), SM_ETYPE);
    ck_sm(sm_array_set(a, 1, sm_str("1")), SM_ETYPE);
    ck_sm(sm_array_set(a, 1, sm_uint((uint64_t)INT64_MAX + 1)), SM_EVALUE);

    /* slices as Python's: a[::2] = [1, 2, 3] then a[::-2], a[1:4] */
    ck_sm(sm_array_setslice(a, SM_NONE, SM_NONE, 2, nums(&sb, "iii", 1, 2, 3)), SM_OK);
    msgpack_sbuffer_destroy(&sb);
    ck_sm(sm_array_getslice(b, SM_NONE, SM_NONE, -2, &x), SM_OK);
    ck_repr(x, "[3, 2, 1]");
    ck_sm(sm_array_getslice(b, 1, 4, SM_NONE, &x), SM_OK);
    ck_repr(x, "[0, 2, 0]");
    ck_sm(sm_array_getslice(b, SM_NONE, SM_NONE, 0, &x), SM_EVALUE);
    /* the length never changes; a bad element changes nothing */
    ck_sm(sm_array_setslice(a, 0, 2, SM_NONE, nums(&sb, "i", 9)), SM_EVALUE);
    msgpack_sbuffer_destroy(&sb);
    ck_sm(sm_array_setslice(a, 0, 2, SM_NONE, nums(&sb, "id", 7, 8.5)), SM_ETYPE);
    msgpack_sbuffer_destroy(&sb);
    ck_sm(sm_array_setslice(a, 0, 2, SM_NONE, sm_int(1)), SM_ETYPE); /* not an array */
    ck_sm(sm_array_getslice(a, SM_NONE, SM_NONE, SM_NONE, &x), SM_OK);
    ck_repr(x, "[1, 0, 2, 0, 3]");
    sm_array_close(b);
    sm_array_close(a);

    /* float64 from initial values; uint8 range; length and initial must agree */
    sm_array_opts d = {.typecode = 'd', .initial = nums(&sb, "idd", 1, 2.5, -0.25)};
    ck_sm(sm_array_open(cli, "d", SM_CREATE, &d, &a), SM_OK);
    ck_sm(sm_array_getslice(a, SM_NONE, SM_NONE, SM_NONE, &x), SM_OK);
    ck_repr(x, "[1.0, 2.5, -0.25]");
    ck_sm(sm_array_set(a, 0, sm_int(7)), SM_OK);
    ck_sm(sm_array_get(a, 0, &x), SM_OK);
    ck_repr(x, "7.0");
    sm_array_close(a);
    d.length = 4;
    ck_sm(sm_array_open(cli, "d4", SM_CREATE, &d, &a), SM_EINVAL);
    msgpack_sbuffer_destroy(&sb);
    sm_array_opts u8 = {.typecode = 'B', .initial = nums(&sb, "ii", 255, 256)};
    ck_sm(sm_array_open(cli, "B", SM_CREATE, &u8, &a), SM_EVALUE);
    msgpack_sbuffer_destroy(&sb);
    u8 = (sm_array_opts){.typecode = 'B', .length = 2};
    ck_sm(sm_array_open(cli, "B", SM_CREATE, &u8, &a), SM_OK);
    ck_sm(sm_array_set(a, 1, sm_int(255)), SM_OK);
    ck_sm(sm_array_set(a, 0, sm_int(-1)), SM_EVALUE);
    ck_sm(sm_array_getslice(a, SM_NONE, SM_NONE, SM_NONE, &x), SM_OK);
    ck_repr(x, "[0, 255]");
    sm_array_close(a);
    sm_array_opts f = {.typecode = 'f', .length = 1};
    ck_sm(sm_array_open(cli, "f", SM_CREATE, &f, &a), SM_OK);
    ck_sm(sm_array_set(a, 0, sm_f64(0.1)), SM_OK);
    ck_sm(sm_array_get(a, 0, &x), SM_OK);
    ck_repr(x, "0.10000000149011612"); /* array('f', [0.1])[0] */
    sm_array_close(a);
    sm_array_opts bad = {.typecode = 'x', .length = 1};
    ck_sm(sm_array_open(cli, "x", SM_CREATE, &bad, &a), SM_EINVAL);
}
END_TEST

/* ---- Namespace ------------------------------------------------------------ */

START_TEST(test_namespace)
{
    sm_namespace *ns, *ns2;
    sm_val x = {0};
    char name[300];

    ck_sm(sm_namespace_open(cli, "ns", SM_CREATE, NULL, &ns), SM_OK);
    ck_sm(sm_namespace_open(cli, "ns", 0, NULL, &ns2), SM_OK);
    ck_sm(sm_namespace_get(ns, "x", &x), SM_ENOKEY);
    ck_sm(sm_namespace_set(ns, "x", sm_int(1)), SM_OK);
    ck_sm(sm_namespace_set(ns, "_y", sm_str("why")), SM_OK);
    ck_sm(sm_namespace_set(ns, "z", sm_nil()), SM_OK);
    ck_sm(sm_namespace_get(ns2, "x", &x), SM_OK);
    ck_repr(x, "1");
    ck_sm(sm_namespace_get(ns2, "_y", &x), SM_OK);
    ck_repr(x, "'why'");
    ck_sm(sm_namespace_set(ns2, "x", sm_f64(2.5)), SM_OK); /* keeps its place */
    ck_sm(sm_namespace_list(ns, &x), SM_OK);
    ck_repr(x, "{'x': 2.5, '_y': 'why', 'z': None}");
    ck_sm(sm_namespace_del(ns, "_y"), SM_OK);
    ck_sm(sm_namespace_del(ns, "_y"), SM_ENOKEY);
    ck_sm(sm_namespace_get(ns2, "_y", &x), SM_ENOKEY);
    ck_sm(sm_namespace_set(ns, "_y", sm_int(3)), SM_OK); /* back, last */
    ck_sm(sm_namespace_list(ns2, &x), SM_OK);
    ck_repr(x, "{'x': 2.5, 'z': None, '_y': 3}");
    /* names: 1..255 bytes */
    ck_sm(sm_namespace_set(ns, "", sm_int(1)), SM_EINVAL);
    memset(name, 'n', 256);
    name[256] = 0;
    ck_sm(sm_namespace_set(ns, name, sm_int(1)), SM_EINVAL);
    name[255] = 0;
    ck_sm(sm_namespace_set(ns, name, sm_int(255)), SM_OK);
    ck_sm(sm_namespace_get(ns2, name, &x), SM_OK);
    ck_repr(x, "255");
    ck_sm(sm_namespace_get(ns, NULL, &x), SM_EINVAL);
    sm_namespace_close(ns2);
    sm_namespace_close(ns);
}
END_TEST

/* ---- Pipe ----------------------------------------------------------------- */

/* open_pipe() - end @end of pipe @name on @c. */
static sm_pipe *open_pipe(sm_client *c, const char *name, int end)
{
    sm_pipe *p;
    sm_pipe_opts opts = {.end = end};
    ck_sm(sm_pipe_open(c, name, SM_CREATE, &opts, &p), SM_OK);
    return p;
}

struct receiver {
    sm_pipe *p;
    int timeout_ms;
    int rc;
    sm_val v;
};

static void *recv_thread(void *arg)
{
    struct receiver *r = arg;
    r->rc = sm_pipe_recv(r->p, &r->v, r->timeout_ms);
    return NULL;
}

START_TEST(test_pipe)
{
    sm_client *c2;
    sm_pipe *p0, *p0b, *p1;
    sm_val x = {0};
    bool ready;
    sm_pipe_opts two = {.end = 2};
    struct raw_conn adm;
    msgpack_sbuffer sb;

    ck_sm(sm_pipe_open(cli, "p", SM_CREATE, &two, &p0), SM_EINVAL);
    ck_sm(broker_connect(&broker, &c2), SM_OK);
    ck_sm(sm_pipe_open(cli, "p", SM_CREATE, NULL, &p0b), SM_OK); /* NULL options: end 0 */
    p0 = open_pipe(cli, "p", 0);
    p1 = open_pipe(c2, "p", 1);

    /* each end receives what the other sent, in order */
    ck_sm(sm_pipe_send(p0, sm_str("a")), SM_OK);
    ck_sm(sm_pipe_send(p0b, nums(&sb, "is", 1, "b")), SM_OK);
    msgpack_sbuffer_destroy(&sb);
    ck_sm(sm_pipe_send(p1, sm_int(-1)), SM_OK);
    ck_sm(sm_pipe_poll(p1, 0, &ready), SM_OK);
    ck_assert(ready);
    ck_sm(sm_pipe_poll(p1, 0, &ready), SM_OK); /* polling consumes nothing */
    ck_assert(ready);
    ck_sm(sm_pipe_recv(p1, &x, 0), SM_OK);
    ck_repr(x, "'a'");
    ck_sm(sm_pipe_recv(p1, &x, SM_FOREVER), SM_OK);
    ck_repr(x, "[1, 'b']");
    ck_sm(sm_pipe_recv(p1, &x, 0), SM_ETIMEDOUT);
    ck_sm(sm_pipe_poll(p1, 0, &ready), SM_OK);
    ck_assert(!ready);
    ck_sm(sm_pipe_recv(p0b, &x, 0), SM_OK);
    ck_repr(x, "-1");
    ck_sm(sm_pipe_recv(p0, &x, 0), SM_ETIMEDOUT);

    /* timeouts: not earlier than asked, not much later */
    int64_t t0 = mono_ms();
    ck_sm(sm_pipe_recv(p1, &x, 300), SM_ETIMEDOUT);
    int64_t took = mono_ms() - t0;
    ck_assert_msg(took >= 300 && took <= 300 + 1500, "recv(300) took %lld ms", (long long)took);
    t0 = mono_ms();
    ready = true;
    ck_sm(sm_pipe_poll(p1, 300, &ready), SM_OK);
    took = mono_ms() - t0;
    ck_assert(!ready);
    ck_assert_msg(took >= 300 && took <= 300 + 1500, "poll(300) took %lld ms", (long long)took);

    /* a parked receiver gets a later send at once */
    raw_admin(&broker, &adm);
    struct receiver r = {.p = p1, .timeout_ms = 20000, .rc = -1};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, recv_thread, &r), 0);
    raw_wait_parked(&adm, "p", 1);
    ck_sm(sm_pipe_send(p0, sm_str("late")), SM_OK);
    pthread_join(t, NULL);
    ck_sm(r.rc, SM_OK);
    ck_repr(r.v, "'late'");
    ck_assert_int_eq(raw_ls_waiters(&adm, "p"), 0);
    raw_close(&adm);

    sm_pipe_close(p1);
    sm_pipe_close(p0b);
    sm_pipe_close(p0);
    sm_disconnect(c2);
}
END_TEST

/* receiver: open end 1 of pipe "k", say "ready", then recv until killed. */
static int prog_receiver(int argc, char **argv)
{
    sm_client *c;
    sm_pipe *p;
    sm_val v = {0};
    sm_pipe_opts one = {.end = 1};
    (void)argc;
    (void)argv;
    if (sm_connect(&c, NULL, NULL) || sm_pipe_open(c, "k", 0, &one, &p))
        return 1;
    printf("ready\n");
    fflush(stdout);
    sm_pipe_recv(p, &v, SM_FOREVER);
    return 2; /* it must never receive anything */
}

START_TEST(test_pipe_receiver_killed)
{
    struct raw_conn adm;
    struct ls_row row;
    sm_pipe *p0, *p1;
    sm_val x = {0};
    char buf[16] = "";
    int out;

    p0 = open_pipe(cli, "k", 0);
    pid_t pid = child_spawn(NULL, &out, "receiver", NULL);
    ck_assert_int_gt(pid, 0);
    struct pollfd pfd = {.fd = out, .events = POLLIN};
    ck_assert_msg(poll(&pfd, 1, 10000) == 1, "the receiver did not start");
    ck_assert_int_gt(read(out, buf, sizeof(buf) - 1), 0);
    ck_assert_str_eq(buf, "ready\n");
    raw_admin(&broker, &adm);
    raw_wait_parked(&adm, "k", 1);

    kill(pid, SIGKILL);
    ck_assert_int_eq(child_wait(pid, 5000), 128 + SIGKILL);
    raw_wait_parked(&adm, "k", 0); /* the broker has ended its session */
    ck_sm(sm_pipe_send(p0, sm_str("for the living")), SM_OK);
    ck_assert_int_eq(raw_ls(&adm, "k", &row), 0);
    ck_assert_uint_eq(row.size, 1); /* queued, not swallowed */
    p1 = open_pipe(cli, "k", 1);
    ck_sm(sm_pipe_recv(p1, &x, 0), SM_OK);
    ck_repr(x, "'for the living'");

    raw_close(&adm);
    close(out);
    sm_pipe_close(p1);
    sm_pipe_close(p0);
}
END_TEST

/* The example, run as a user would: address and key from the environment. */
START_TEST(test_pipe_pingpong_example)
{
    const char *dir = getenv("SM_EXAMPLES_DIR");
    char path[512];
    pid_t pid;
    struct raw_conn adm;
    struct ls_row row;

    ck_assert_msg(dir != NULL, "$SM_EXAMPLES_DIR is not set (run through ctest)");
    snprintf(path, sizeof(path), "%s/pipe_pingpong", dir);
    char *argv[] = {path, NULL};
    ck_assert_int_eq(posix_spawn(&pid, path, NULL, NULL, argv, environ), 0);
    ck_assert_int_eq(child_wait(pid, 60000), 0);
    raw_admin(&broker, &adm);
    ck_assert_int_eq(raw_ls(&adm, "pingpong", &row), 0);
    ck_assert_str_eq(row.type, "pipe");
    ck_assert_uint_eq(row.size, 0); /* every message was received */
    raw_close(&adm);
}
END_TEST

static const struct child_prog progs[] = {
    {"receiver", prog_receiver},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    child_dispatch(argc, argv, progs);

    Suite *s = suite_create("integration-data");
    TCase *tc = tcase_create("data");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_value);
    tcase_add_test(tc, test_array);
    tcase_add_test(tc, test_namespace);
    tcase_add_test(tc, test_pipe);
    tcase_add_test(tc, test_pipe_receiver_killed);
    tcase_add_test(tc, test_pipe_pingpong_example);
    suite_add_tcase(s, tc);

    return check_run(s, CK_ENV);
}
