/*
 * test_queue.c - Queue / JoinableQueue on the real broker with real
 * processes: every method and value kind, timeouts measured from outside,
 * first-come first-served service of 20 parked getter processes, a getter
 * SIGKILLed while parked that must not swallow an item, 8 producer and 8
 * consumer processes moving 8000 items exactly once, and the two queue
 * examples.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "check_run.h"
#include "harness.h"

#define LATE_MS 1500 /* how late a timeout may answer on 2 busy cores */

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

/* ck_elapsed() - a timed call took no less than @ms and not much more. */
#define ck_elapsed(t0, ms)                                                                         \
    do {                                                                                           \
        int64_t took_ = mono_ms() - (t0);                                                          \
        ck_assert_msg(took_ >= (ms) && took_ <= (ms) + LATE_MS,                                    \
                      "timeout %d ms answered after %lld ms", (ms), (long long)took_);             \
    } while (0)

/* ---- child programs ------------------------------------------------------- */

/* getter QUEUE: one get without limit; prints the value's repr. */
static int prog_getter(int argc, char **argv)
{
    sm_client *c;
    sm_queue *q;
    sm_val v;
    if (argc < 1 || sm_connect(&c, NULL, NULL) || sm_queue_open(c, argv[0], 0, NULL, &q))
        return 1;
    int rc = sm_queue_get(q, &v, SM_FOREVER);
    if (rc != SM_OK)
        return 2;
    printf("%s\n", val_repr(&v));
    sm_val_free(&v);
    sm_queue_close(q);
    sm_disconnect(c);
    return 0;
}

/* producer QUEUE FIRST COUNT: put FIRST .. FIRST+COUNT-1. */
static int prog_producer(int argc, char **argv)
{
    sm_client *c;
    sm_queue *q;
    if (argc < 3 || sm_connect(&c, NULL, NULL) || sm_queue_open(c, argv[0], 0, NULL, &q))
        return 1;
    long first = strtol(argv[1], NULL, 10), count = strtol(argv[2], NULL, 10);
    for (long i = 0; i < count; i++) {
        int rc = sm_queue_put(q, sm_int(first + i), SM_FOREVER);
        if (rc != SM_OK) {
            fprintf(stderr, "producer: put: %s\n", sm_strerror(rc));
            return 2;
        }
    }
    sm_queue_close(q);
    sm_disconnect(c);
    return 0;
}

/* consumer QUEUE COUNT: get COUNT integers, print one per line. */
static int prog_consumer(int argc, char **argv)
{
    sm_client *c;
    sm_queue *q;
    if (argc < 2 || sm_connect(&c, NULL, NULL) || sm_queue_open(c, argv[0], 0, NULL, &q))
        return 1;
    long count = strtol(argv[1], NULL, 10);
    for (long i = 0; i < count; i++) {
        sm_val v;
        int64_t n;
        int rc = sm_queue_get(q, &v, SM_FOREVER);
        if (rc == SM_OK)
            rc = sm_val_to_int(&v, &n);
        sm_val_free(&v);
        if (rc != SM_OK) {
            fprintf(stderr, "consumer: get: %s\n", sm_strerror(rc));
            return 2;
        }
        printf("%lld\n", (long long)n);
    }
    sm_queue_close(q);
    sm_disconnect(c);
    return 0;
}

static const struct child_prog progs[] = {
    {"getter", prog_getter},
    {"producer", prog_producer},
    {"consumer", prog_consumer},
    {NULL, NULL},
};

/* ---- (a) every method, every kind of value -------------------------------- */

START_TEST(test_methods)
{
    sm_queue *q, *j, *u;
    sm_list *l;
    sm_val v;
    size_t n;
    bool b;
    const sm_queue_opts two = {.maxsize = 2}, joinable = {.joinable = true};
    static const uint8_t packed[] = {0x92, 0x01, 0xa1, 'x'}; /* [1, 'x'] */

    ck_sm(sm_queue_open(cli, "Q", SM_CREATE, &two, &q), SM_OK);
    ck_sm(sm_list_open(cli, "Q", 0, NULL, &l), SM_ETYPE);
    ck_sm(sm_queue_empty(q, &b), SM_OK);
    ck_assert(b);
    ck_sm(sm_queue_full(q, &b), SM_OK);
    ck_assert(!b);
    ck_sm(sm_queue_get(q, &v, 0), SM_EEMPTY);
    ck_sm(sm_queue_put(q, sm_str("h\xc3\xa9llo"), 0), SM_OK);
    ck_sm(sm_queue_put(q, sm_msgpack(packed, sizeof(packed)), SM_FOREVER), SM_OK);
    ck_sm(sm_queue_full(q, &b), SM_OK);
    ck_assert(b);
    ck_sm(sm_queue_empty(q, &b), SM_OK);
    ck_assert(!b);
    ck_sm(sm_queue_qsize(q, &n), SM_OK);
    ck_assert_uint_eq(n, 2);
    ck_sm(sm_queue_put(q, sm_int(3), 0), SM_EFULL);

    struct raw_conn adm;
    struct ls_row row;
    raw_admin(&broker, &adm);
    ck_assert_int_eq(raw_ls(&adm, "Q", &row), 0);
    ck_assert_str_eq(row.type, "queue");
    ck_assert_uint_eq(row.size, 2);
    raw_close(&adm);

    ck_sm(sm_queue_get(q, &v, 0), SM_OK);
    ck_repr(v, "'h\\xc3\\xa9llo'");
    ck_sm(sm_queue_get(q, &v, SM_FOREVER), SM_OK);
    ck_repr(v, "[1, 'x']");
    /* the other kinds come back as they went */
    ck_sm(sm_queue_put(q, sm_nil(), 0), SM_OK);
    ck_sm(sm_queue_put(q, sm_f64(2.5), 0), SM_OK);
    ck_sm(sm_queue_get(q, &v, 0), SM_OK);
    ck_repr(v, "None");
    ck_sm(sm_queue_get(q, &v, 0), SM_OK);
    ck_repr(v, "2.5");
    ck_sm(sm_queue_put(q, sm_bin("\0\1", 2), 0), SM_OK);
    ck_sm(sm_queue_put(q, sm_bool(true), 0), SM_OK);
    ck_sm(sm_queue_get(q, &v, 0), SM_OK);
    ck_repr(v, "b'\\x00\\x01'");
    ck_sm(sm_queue_get(q, &v, 0), SM_OK);
    ck_repr(v, "True");
    ck_sm(sm_queue_task_done(q), SM_ENOTSUP); /* not joinable */
    ck_sm(sm_queue_join(q, 0), SM_ENOTSUP);

    /* JoinableQueue, unbounded */
    ck_sm(sm_queue_open(cli, "J", SM_CREATE, &joinable, &j), SM_OK);
    ck_sm(sm_queue_task_done(j), SM_EVALUE);
    ck_sm(sm_queue_join(j, SM_FOREVER), SM_OK); /* nothing unfinished */
    for (int i = 0; i < 100; i++)
        ck_sm(sm_queue_put(j, sm_int(i), 0), SM_OK);
    ck_sm(sm_queue_full(j, &b), SM_OK);
    ck_assert(!b);
    for (int i = 0; i < 100; i++) {
        ck_sm(sm_queue_get(j, &v, 0), SM_OK);
        char want[8];
        snprintf(want, sizeof(want), "%d", i);
        ck_repr(v, want);
    }
    ck_sm(sm_queue_join(j, 0), SM_ETIMEDOUT);
    for (int i = 0; i < 100; i++)
        ck_sm(sm_queue_task_done(j), SM_OK);
    ck_sm(sm_queue_task_done(j), SM_EVALUE);
    ck_sm(sm_queue_join(j, 0), SM_OK);

    /* NULL options: unbounded; opening an existing queue keeps its options */
    ck_sm(sm_queue_open(cli, "U", SM_CREATE, NULL, &u), SM_OK);
    for (int i = 0; i < 1000; i++)
        ck_sm(sm_queue_put(u, sm_int(i), 0), SM_OK);
    ck_sm(sm_queue_qsize(u, &n), SM_OK);
    ck_assert_uint_eq(n, 1000);
    sm_queue_close(u);

    /* unlink: the handle stops working */
    ck_sm(sm_unlink(cli, "Q"), SM_OK);
    ck_sm(sm_queue_qsize(q, &n), SM_ENOENT);
    ck_sm(sm_queue_put(NULL, sm_nil(), 0), SM_EINVAL);
    sm_queue_close(j);
    sm_queue_close(q);
}
END_TEST

/* ---- (b) timeouts and blocked calls served from another client ------------ */

struct blocked {
    sm_queue *q;
    int op; /* 'g' get, 'p' put, 'j' join */
    int timeout_ms;
    int rc;
    sm_val v;
    int64_t at;
};

static void *blocked_thread(void *arg)
{
    struct blocked *b = arg;
    if (b->op == 'g')
        b->rc = sm_queue_get(b->q, &b->v, b->timeout_ms);
    else if (b->op == 'p')
        b->rc = sm_queue_put(b->q, sm_str("late"), b->timeout_ms);
    else
        b->rc = sm_queue_join(b->q, b->timeout_ms);
    b->at = mono_ms();
    return NULL;
}

/* joined() - pthread_join with a limit, so that a stuck client fails the test. */
static void joined(pthread_t t, int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ck_assert_msg(pthread_timedjoin_np(t, NULL, &ts) == 0, "client still blocked after %d ms",
                  timeout_ms);
}

START_TEST(test_timeouts)
{
    sm_queue *q, *j;
    sm_val v;
    const sm_queue_opts one = {.maxsize = 1, .joinable = true};

    ck_sm(sm_queue_open(cli, "Q", SM_CREATE, &one, &q), SM_OK);
    int64_t t0 = mono_ms();
    ck_sm(sm_queue_get(q, &v, 300), SM_EEMPTY);
    ck_elapsed(t0, 300);
    t0 = mono_ms();
    ck_sm(sm_queue_get(q, &v, 0), SM_EEMPTY);
    ck_assert_int_lt(mono_ms() - t0, 500);

    ck_sm(sm_queue_put(q, sm_int(1), 0), SM_OK);
    t0 = mono_ms();
    ck_sm(sm_queue_put(q, sm_int(2), 400), SM_EFULL);
    ck_elapsed(t0, 400);
    t0 = mono_ms();
    ck_sm(sm_queue_join(q, 250), SM_ETIMEDOUT);
    ck_elapsed(t0, 250);

    /* the timed-out put left nothing behind */
    size_t n;
    ck_sm(sm_queue_qsize(q, &n), SM_OK);
    ck_assert_uint_eq(n, 1);
    struct raw_conn adm;
    raw_admin(&broker, &adm);
    ck_assert_int_eq(raw_ls_waiters(&adm, "Q"), 0);

    /* blocked calls of a second client, completed by this one */
    sm_client *c2;
    ck_sm(broker_connect(&broker, &c2), SM_OK);
    ck_sm(sm_queue_open(c2, "Q", 0, NULL, &j), SM_OK);
    pthread_t t;
    struct blocked p = {.q = j, .op = 'p', .timeout_ms = 10000};
    ck_assert_int_eq(pthread_create(&t, NULL, blocked_thread, &p), 0);
    raw_wait_parked(&adm, "Q", 1);
    ck_sm(sm_queue_get(q, &v, 0), SM_OK);
    ck_repr(v, "1");
    joined(t, 10000);
    ck_sm(p.rc, SM_OK);
    ck_sm(sm_queue_get(q, &v, 0), SM_OK);
    ck_repr(v, "'late'");

    struct blocked w = {.q = j, .op = 'j', .timeout_ms = SM_FOREVER};
    ck_assert_int_eq(pthread_create(&t, NULL, blocked_thread, &w), 0);
    raw_wait_parked(&adm, "Q", 1);
    ck_sm(sm_queue_task_done(q), SM_OK);
    usleep(100 * 1000);
    ck_assert_int_eq(raw_ls_waiters(&adm, "Q"), 1); /* one task still unfinished */
    ck_sm(sm_queue_task_done(q), SM_OK);
    joined(t, 10000);
    ck_sm(w.rc, SM_OK);

    struct blocked g = {.q = j, .op = 'g', .timeout_ms = 10000};
    ck_assert_int_eq(pthread_create(&t, NULL, blocked_thread, &g), 0);
    raw_wait_parked(&adm, "Q", 1);
    sleep_ms(200);
    t0 = mono_ms();
    ck_sm(sm_queue_put(q, sm_str("now"), 0), SM_OK);
    joined(t, 10000);
    ck_sm(g.rc, SM_OK);
    ck_repr(g.v, "'now'");
    ck_assert_int_lt(g.at - t0, 1000);
    ck_sm(sm_queue_join(q, 0), SM_ETIMEDOUT); /* an item handed over is a task too */
    ck_sm(sm_queue_task_done(q), SM_OK);
    ck_sm(sm_queue_join(q, 0), SM_OK);

    raw_close(&adm);
    sm_queue_close(j);
    sm_disconnect(c2);
    sm_queue_close(q);
}
END_TEST

/* ---- (c) 20 parked getter processes served in arrival order --------------- */

#define NGETTERS 20

START_TEST(test_fifo_getters)
{
    sm_queue *q;
    struct raw_conn adm;
    pid_t pid[NGETTERS];
    int out[NGETTERS];
    char buf[64], want[16];

    ck_sm(sm_queue_open(cli, "Q", SM_CREATE, NULL, &q), SM_OK);
    raw_admin(&broker, &adm);
    for (int k = 0; k < NGETTERS; k++) {
        ck_assert_int_gt(pid[k] = child_spawn(NULL, &out[k], "getter", "Q", NULL), 0);
        raw_wait_parked(&adm, "Q", k + 1); /* arrival order is k */
    }
    for (int k = 0; k < NGETTERS; k++)
        ck_sm(sm_queue_put(q, sm_int(k), 0), SM_OK);
    for (int k = 0; k < NGETTERS; k++) {
        ck_assert_int_eq(child_wait(pid[k], 20000), 0);
        read_all(out[k], buf, sizeof(buf), 5000);
        close(out[k]);
        snprintf(want, sizeof(want), "%d\n", k);
        ck_assert_msg(strcmp(buf, want) == 0, "getter %d got %s: not first-come first-served", k,
                      buf);
    }
    size_t n;
    ck_sm(sm_queue_qsize(q, &n), SM_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(raw_ls_waiters(&adm, "Q"), 0);
    raw_close(&adm);
    sm_queue_close(q);
}
END_TEST

/* ---- (d) a getter killed while parked swallows nothing -------------------- */

START_TEST(test_killed_getter)
{
    sm_queue *q;
    struct raw_conn adm;
    int out1, out2;
    char buf[64];
    sm_val v;

    ck_sm(sm_queue_open(cli, "Q", SM_CREATE, NULL, &q), SM_OK);
    raw_admin(&broker, &adm);
    pid_t victim = child_spawn(NULL, &out1, "getter", "Q", NULL);
    ck_assert_int_gt(victim, 0);
    raw_wait_parked(&adm, "Q", 1);
    pid_t next = child_spawn(NULL, &out2, "getter", "Q", NULL);
    ck_assert_int_gt(next, 0);
    raw_wait_parked(&adm, "Q", 2);

    kill(victim, SIGKILL);
    ck_assert_int_eq(child_wait(victim, 5000), 128 + SIGKILL);
    raw_wait_parked(&adm, "Q", 1); /* the broker has dropped the dead getter */
    ck_sm(sm_queue_put(q, sm_str("precious"), 0), SM_OK);
    ck_assert_int_eq(child_wait(next, 10000), 0);
    read_all(out2, buf, sizeof(buf), 5000);
    ck_assert_str_eq(buf, "'precious'\n");

    /* and once nobody waits, a put stays for the next get */
    victim = child_spawn(NULL, NULL, "getter", "Q", NULL);
    raw_wait_parked(&adm, "Q", 1);
    kill(victim, SIGKILL);
    ck_assert_int_eq(child_wait(victim, 5000), 128 + SIGKILL);
    raw_wait_parked(&adm, "Q", 0);
    ck_sm(sm_queue_put(q, sm_str("kept"), 0), SM_OK);
    ck_sm(sm_queue_get(q, &v, 0), SM_OK);
    ck_repr(v, "'kept'");

    close(out1);
    close(out2);
    raw_close(&adm);
    sm_queue_close(q);
}
END_TEST

/* ---- (e) 8 producers x 1000 and 8 consumers x 1000 ------------------------ */

#define NPROD 8
#define NCONS 8
#define PER 1000

START_TEST(test_many_processes)
{
    sm_queue *q;
    pid_t prod[NPROD], cons[NCONS];
    int out[NCONS];
    const sm_queue_opts small = {.maxsize = 16};
    static char buf[PER * 8];
    static unsigned char seen[NPROD * PER];
    char first[16];

    ck_sm(sm_queue_open(cli, "mix", SM_CREATE, &small, &q), SM_OK);
    int64_t t0 = mono_ms();
    for (int i = 0; i < NCONS; i++)
        ck_assert_int_gt(cons[i] = child_spawn(NULL, &out[i], "consumer", "mix", "1000", NULL), 0);
    for (int i = 0; i < NPROD; i++) {
        snprintf(first, sizeof(first), "%d", i * PER);
        ck_assert_int_gt(prod[i] = child_spawn(NULL, NULL, "producer", "mix", first, "1000", NULL),
                         0);
    }
    for (int i = 0; i < NPROD; i++)
        ck_assert_msg(child_wait(prod[i], 120000) == 0, "producer %d failed", i);
    memset(seen, 0, sizeof(seen));
    long total = 0;
    for (int i = 0; i < NCONS; i++) {
        ck_assert_msg(child_wait(cons[i], 120000) == 0, "consumer %d failed", i);
        read_all(out[i], buf, sizeof(buf), 10000);
        close(out[i]);
        for (char *p = buf, *end; *p; p = end) {
            long n = strtol(p, &end, 10);
            ck_assert_msg(end != p && n >= 0 && n < NPROD * PER, "consumer %d: bad line", i);
            ck_assert_msg(seen[n]++ == 0, "item %ld delivered twice", n);
            total++;
            while (*end == '\n')
                end++;
        }
    }
    ck_assert_int_eq(total, NPROD * PER);
    fprintf(stderr, "test_many_processes: %d items through 16 processes in %lld ms\n", NPROD * PER,
            (long long)(mono_ms() - t0));
    size_t n;
    ck_sm(sm_queue_qsize(q, &n), SM_OK);
    ck_assert_uint_eq(n, 0);
    sm_queue_close(q);
}
END_TEST

/* ---- (f) the examples ----------------------------------------------------- */

START_TEST(test_example_producer_consumer)
{
    static char out[8192];
    ck_assert_int_eq(run_example("producer_consumer", out, sizeof(out), 60000), 0);
    for (int p = 1; p <= 2; p++)
        for (int i = 0; i < 10; i++) {
            char line[32];
            snprintf(line, sizeof(line), "got %d\n", p * 100 + i);
            ck_assert_msg(strstr(out, line) != NULL, "no \"got %d\" line", p * 100 + i);
        }
    ck_assert_ptr_nonnull(strstr(out, "consumer: 20 items, 0 unexpected\n"));
    const char *last = "all items arrived exactly once\n";
    ck_assert_str_eq(out + strlen(out) - strlen(last), last);
}
END_TEST

START_TEST(test_example_joinable_workers)
{
    static char out[8192];
    ck_assert_int_eq(run_example("joinable_workers", out, sizeof(out), 60000), 0);
    ck_assert_str_eq(out, "all 20 jobs done; sum of squares of 1..20 = 2870\n");
}
END_TEST

int main(int argc, char **argv)
{
    child_dispatch(argc, argv, progs);

    Suite *s = suite_create("integration-queue");
    TCase *tc = tcase_create("queue");
    tcase_set_timeout(tc, 200);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_methods);
    tcase_add_test(tc, test_timeouts);
    tcase_add_test(tc, test_fifo_getters);
    tcase_add_test(tc, test_killed_getter);
    tcase_add_test(tc, test_many_processes);
    tcase_add_test(tc, test_example_producer_consumer);
    tcase_add_test(tc, test_example_joinable_workers);
    suite_add_tcase(s, tc);

    return check_run(s, CK_ENV);
}
