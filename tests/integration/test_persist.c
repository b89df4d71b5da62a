/*
 * test_persist.c - persistence on the real broker: every kind of stored data
 * survives SIGKILL (journal replay), a clean stop (snapshot) and both;
 * session state does not; parked requests are journaled where they took
 * effect; a torn or damaged journal tail is cut, not fatal; a journal that
 * cannot be written refuses writes and keeps reads; the journal compacts;
 * one state directory serves one broker; and 16 writer processes with
 * --fsync always find every acknowledged write exactly once after the broker
 * is SIGKILLed under them.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_run.h"
#include "harness.h"

#define WRITERS 16

static struct sm_broker broker;
static sm_client *cli;
static char state[160], fsync_mode[16] = "always";

/* start() - (re)start the broker on its directory with persistence.  A
 * killed broker leaves its socket file behind; it goes first, so that the
 * harness does not dial the dead socket and wait for a pipe. */
static void start(const char *extra)
{
    unlink(broker.sockpath);
    snprintf(state, sizeof(state), "%s/state", broker.dir);
    int rc = extra ? broker_start(&broker, "--state-dir", state, "--fsync", fsync_mode, extra, NULL)
                   : broker_start(&broker, "--state-dir", state, "--fsync", fsync_mode, NULL);
    ck_assert_int_eq(rc, 0);
    broker_setenv(&broker);
    ck_sm(broker_connect(&broker, &cli), SM_OK);
}

/* The handles populate() leaves open (a held lock, a taken unit, a
 * temporary object), closed once the broker has gone. */
static struct {
    sm_dict *d, *tmp, *gone;
    sm_list *l;
    sm_queue *q;
    sm_value *v;
    sm_array *a;
    sm_namespace *ns;
    sm_event *e;
    sm_pipe *p;
    sm_lock *lk;
    sm_sem *s;
} pop;

static void pop_close(void)
{
    sm_dict_close(pop.d);
    sm_dict_close(pop.tmp);
    sm_dict_close(pop.gone);
    sm_list_close(pop.l);
    sm_queue_close(pop.q);
    sm_value_close(pop.v);
    sm_array_close(pop.a);
    sm_namespace_close(pop.ns);
    sm_event_close(pop.e);
    sm_pipe_close(pop.p);
    sm_lock_close(pop.lk);
    sm_sem_close(pop.s);
    memset(&pop, 0, sizeof(pop));
}

/* restart() - stop the broker with @sig (SIGKILL: a crash; SIGTERM: clean),
 * then start it again and reconnect. */
static void restart(int sig)
{
    int st = broker_kill(&broker, sig, 10000);
    if (sig == SIGTERM)
        ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "clean stop failed: %#x", st);
    pop_close(); /* kept open until the broker went: their closes fail, memory is freed */
    sm_disconnect(cli);
    cli = NULL;
    start(NULL);
}

static void setup(void)
{
    memset(&broker, 0, sizeof(broker));
    ck_assert_int_eq(broker_init(&broker), 0);
    start(NULL);
}

static void teardown(void)
{
    pop_close();
    sm_disconnect(cli);
    cli = NULL;
    broker_stop(&broker, true);
}

/* stats_has() - the "stats" reply holds these bytes. */
static bool stats_has(const void *needle, size_t len)
{
    nng_msg *m = raw_stats(&broker);
    bool found = memmem(nng_msg_body(m), nng_msg_len(m), needle, len) != NULL;
    nng_msg_free(m);
    return found;
}

/* The stats figure "failing" with its value, as msgpack. */
#define FAILING(v) "\xa7" "failing" v, 9

/* ---- small readers -------------------------------------------------------- */

/* COPY_REPR() - the repr of a whole dict or list: open @name as type T,
 * copy it, close it. */
#define COPY_REPR(T, name)                                                                         \
    static const char *T##_repr(const char *name)                                                  \
    {                                                                                              \
        sm_##T *h;                                                                                 \
        sm_val v;                                                                                  \
        ck_sm(sm_##T##_open(cli, name, 0, NULL, &h), SM_OK);                                       \
        ck_sm(sm_##T##_copy(h, &v), SM_OK);                                                        \
        const char *r = val_repr(&v);                                                              \
        sm_val_free(&v);                                                                           \
        sm_##T##_close(h);                                                                         \
        return r;                                                                                  \
    }
COPY_REPR(dict, name)
COPY_REPR(list, name)

/* queue_drain() - every item, oldest first, as one repr string. */
static const char *queue_drain(const char *name)
{
    static char out[512];
    sm_queue *q;
    sm_val v;
    size_t used = 0;
    out[0] = 0;
    ck_sm(sm_queue_open(cli, name, 0, NULL, &q), SM_OK);
    while (sm_queue_get(q, &v, 0) == SM_OK) {
        used += (size_t)snprintf(out + used, sizeof(out) - used, "%s;", val_repr(&v));
        sm_val_free(&v);
    }
    sm_queue_close(q);
    return out;
}

/* COUNT() - T_count(name): open @name as type T, ask its @fn, close it. */
#define COUNT(T, fn)                                                                               \
    static size_t T##_count(const char *name)                                                      \
    {                                                                                              \
        sm_##T *h;                                                                                 \
        size_t n;                                                                                  \
        ck_sm(sm_##T##_open(cli, name, 0, NULL, &h), SM_OK);                                       \
        ck_sm(sm_##T##_##fn(h, &n), SM_OK);                                                        \
        sm_##T##_close(h);                                                                         \
        return n;                                                                                  \
    }
COUNT(queue, qsize)
COUNT(dict, len)

/* ---- every type ------------------------------------------------------------- */

static void populate(void)
{
    sm_dict *d = NULL, *tmp = NULL, *gone = NULL;
    sm_list *l = NULL;
    sm_queue *q = NULL;
    sm_value *v = NULL;
    sm_array *a = NULL;
    sm_namespace *ns = NULL;
    sm_event *e = NULL;
    sm_pipe *p = NULL;
    sm_lock *lk = NULL;
    sm_sem *s = NULL;
    sm_val out;
    int64_t n;
    const sm_queue_opts qo = {.maxsize = 5};
    const sm_array_opts ao = {.typecode = 'i', .length = 3};
    const sm_sem_opts so = {.value = 2};

    ck_sm(sm_dict_open(cli, "d", SM_CREATE, NULL, &d), SM_OK);
    ck_sm(sm_dict_set(d, sm_str("a"), sm_int(1)), SM_OK);
    ck_sm(sm_dict_set(d, sm_str("b"), sm_str("x")), SM_OK);
    ck_sm(sm_dict_set(d, sm_int(7), sm_bin("\0\1", 2)), SM_OK);
    ck_sm(sm_dict_del(d, sm_str("b")), SM_OK);
    ck_sm(sm_dict_incr(d, sm_str("n"), 5, &n), SM_OK);
    ck_sm(sm_dict_incr(d, sm_str("n"), 2, &n), SM_OK);
    ck_sm(sm_list_open(cli, "l", SM_CREATE, NULL, &l), SM_OK);
    ck_sm(sm_list_append(l, sm_int(1)), SM_OK);
    ck_sm(sm_list_append(l, sm_int(3)), SM_OK);
    ck_sm(sm_list_insert(l, 1, sm_int(2)), SM_OK);
    ck_sm(sm_list_append(l, sm_nil()), SM_OK);
    ck_sm(sm_list_pop(l, -1, &out), SM_OK);
    sm_val_free(&out);
    ck_sm(sm_queue_open(cli, "q", SM_CREATE, &qo, &q), SM_OK);
    for (int i = 0; i < 4; i++)
        ck_sm(sm_queue_put(q, sm_int(i), 0), SM_OK);
    ck_sm(sm_queue_get(q, &out, 0), SM_OK);
    sm_val_free(&out);
    ck_sm(sm_value_open(cli, "v", SM_CREATE, NULL, &v), SM_OK);
    ck_sm(sm_value_set(v, sm_int(40)), SM_OK);
    ck_sm(sm_value_incr(v, sm_int(2), &out), SM_OK);
    sm_val_free(&out);
    ck_sm(sm_array_open(cli, "arr", SM_CREATE, &ao, &a), SM_OK);
    ck_sm(sm_array_set(a, 1, sm_int(-7)), SM_OK);
    ck_sm(sm_namespace_open(cli, "ns", SM_CREATE, NULL, &ns), SM_OK);
    ck_sm(sm_namespace_set(ns, "x", sm_f64(1.5)), SM_OK);
    ck_sm(sm_namespace_set(ns, "y", sm_int(0)), SM_OK);
    ck_sm(sm_namespace_del(ns, "y"), SM_OK);
    ck_sm(sm_event_open(cli, "ev", SM_CREATE, NULL, &e), SM_OK);
    ck_sm(sm_event_set(e), SM_OK);
    ck_sm(sm_pipe_open(cli, "p", SM_CREATE, NULL, &p), SM_OK);
    ck_sm(sm_pipe_send(p, sm_str("hello")), SM_OK);
    /* session state: a held lock and a taken unit do not survive */
    ck_sm(sm_lock_open(cli, "lk", SM_CREATE, NULL, &lk), SM_OK);
    ck_sm(sm_lock_acquire(lk, 0), SM_OK);
    ck_sm(sm_sem_open(cli, "sem", SM_CREATE, &so, &s), SM_OK);
    ck_sm(sm_sem_acquire(s, 0), SM_OK);
    /* neither do temporary objects, nor unlinked ones */
    ck_sm(sm_dict_open(cli, "tmp", SM_CREATE | SM_TEMP, NULL, &tmp), SM_OK);
    ck_sm(sm_dict_set(tmp, sm_int(1), sm_int(1)), SM_OK);
    ck_sm(sm_dict_open(cli, "gone", SM_CREATE, NULL, &gone), SM_OK);
    ck_sm(sm_unlink(cli, "gone"), SM_OK);
    pop = (typeof(pop)){.d = d, .tmp = tmp, .gone = gone, .l = l, .q = q, .v = v, .a = a,
                        .ns = ns, .e = e, .p = p, .lk = lk, .s = s};
}

/* verify() - what populate() left, without changing it (the queue and the
 * pipe are only counted). */
static void verify(void)
{
    sm_value *v;
    sm_array *a;
    sm_namespace *ns;
    sm_event *e;
    sm_lock *lk;
    sm_sem *s;
    sm_dict *d;
    sm_val out;
    bool b;
    unsigned u;

    ck_assert_str_eq(dict_repr("d"), "{'a': 1, 7: b'\\x00\\x01', 'n': 7}");
    ck_assert_str_eq(list_repr("l"), "[1, 2, 3]");
    ck_assert_uint_eq(queue_count("q"), 3);
    ck_sm(sm_value_open(cli, "v", 0, NULL, &v), SM_OK);
    ck_sm(sm_value_get(v, &out), SM_OK);
    ck_assert_str_eq(val_repr(&out), "42");
    sm_val_free(&out);
    ck_sm(sm_array_open(cli, "arr", 0, NULL, &a), SM_OK);
    ck_sm(sm_array_getslice(a, SM_NONE, SM_NONE, SM_NONE, &out), SM_OK);
    ck_assert_str_eq(val_repr(&out), "[0, -7, 0]");
    sm_val_free(&out);
    ck_sm(sm_namespace_open(cli, "ns", 0, NULL, &ns), SM_OK);
    ck_sm(sm_namespace_list(ns, &out), SM_OK);
    ck_assert_str_eq(val_repr(&out), "{'x': 1.5}");
    sm_val_free(&out);
    ck_sm(sm_event_open(cli, "ev", 0, NULL, &e), SM_OK);
    ck_sm(sm_event_is_set(e, &b), SM_OK);
    ck_assert(b);
    ck_sm(sm_lock_open(cli, "lk", 0, NULL, &lk), SM_OK);
    ck_sm(sm_lock_locked(lk, &b), SM_OK);
    ck_assert(!b);
    ck_sm(sm_sem_open(cli, "sem", 0, NULL, &s), SM_OK);
    ck_sm(sm_sem_value(s, &u), SM_OK);
    ck_assert_uint_eq(u, 2);
    ck_sm(sm_dict_open(cli, "tmp", 0, NULL, &d), SM_ENOENT);
    ck_sm(sm_dict_open(cli, "gone", 0, NULL, &d), SM_ENOENT);
    sm_value_close(v);
    sm_array_close(a);
    sm_namespace_close(ns);
    sm_event_close(e);
    sm_lock_close(lk);
    sm_sem_close(s);
}

/* verify_drain() - verify(), then the queue's and the pipe's contents. */
static void verify_drain(void)
{
    sm_pipe *p;
    sm_val out;
    const sm_pipe_opts end1 = {.end = 1};
    verify();
    ck_assert_str_eq(queue_drain("q"), "1;2;3;");
    ck_sm(sm_pipe_open(cli, "p", 0, &end1, &p), SM_OK);
    ck_sm(sm_pipe_recv(p, &out, 0), SM_OK);
    ck_assert_str_eq(val_repr(&out), "'hello'");
    sm_val_free(&out);
    ck_sm(sm_pipe_recv(p, &out, 0), SM_ETIMEDOUT);
    sm_pipe_close(p);
}

START_TEST(test_journal_replay)
{
    populate();
    restart(SIGKILL);
    verify_drain();
    ck_assert(broker_log_contains(&broker, "SM-PERSIST-LOAD"));
}
END_TEST

START_TEST(test_snapshot_then_journal)
{
    populate();
    restart(SIGTERM); /* a clean stop writes a snapshot */
    ck_assert(broker_log_contains(&broker, "SM-PERSIST-SNAPSHOT"));
    verify();
    sm_dict *d;
    ck_sm(sm_dict_open(cli, "d", 0, NULL, &d), SM_OK);
    ck_sm(sm_dict_set(d, sm_str("after"), sm_bool(true)), SM_OK);
    sm_dict_close(d);
    restart(SIGKILL); /* snapshot + journal */
    ck_assert_str_eq(dict_repr("d"), "{'a': 1, 7: b'\\x00\\x01', 'n': 7, 'after': True}");
    ck_sm(sm_dict_open(cli, "d", 0, NULL, &d), SM_OK);
    ck_sm(sm_dict_del(d, sm_str("after")), SM_OK);
    sm_dict_close(d);
    restart(SIGTERM);
    restart(SIGKILL);
    verify_drain();
}
END_TEST

/* ---- parked requests ---------------------------------------------------------- */

struct parked {
    const char *queue;
    bool put;
    int rc;
    char got[64];
};

/* parked_call() - a thread: one blocking put or get on its own connection. */
static void *parked_call(void *arg)
{
    struct parked *pc = arg;
    sm_client *c;
    sm_queue *q;
    sm_val v;
    pc->rc = broker_connect(&broker, &c);
    if (pc->rc || (pc->rc = sm_queue_open(c, pc->queue, 0, NULL, &q)))
        return NULL;
    if (pc->put) {
        pc->rc = sm_queue_put(q, sm_str("late"), 30000);
    } else if ((pc->rc = sm_queue_get(q, &v, 30000)) == SM_OK) {
        snprintf(pc->got, sizeof(pc->got), "%s", val_repr(&v));
        sm_val_free(&v);
    }
    sm_queue_close(q);
    sm_disconnect(c);
    return NULL;
}

START_TEST(test_parked_requests)
{
    struct raw_conn adm;
    sm_queue *full, *empty;
    sm_val v;
    pthread_t t1, t2;
    const sm_queue_opts one = {.maxsize = 1};
    struct parked putter = {.queue = "full", .put = true}, getter = {.queue = "empty"};

    ck_sm(sm_queue_open(cli, "full", SM_CREATE, &one, &full), SM_OK);
    ck_sm(sm_queue_open(cli, "empty", SM_CREATE, NULL, &empty), SM_OK);
    ck_sm(sm_queue_put(full, sm_str("first"), 0), SM_OK);
    raw_admin(&broker, &adm);
    pthread_create(&t1, NULL, parked_call, &putter);
    pthread_create(&t2, NULL, parked_call, &getter);
    raw_wait_parked(&adm, "full", 1);
    raw_wait_parked(&adm, "empty", 1);
    /* a get wakes the parked put; a put is handed to the parked get */
    ck_sm(sm_queue_get(full, &v, 0), SM_OK);
    ck_assert_str_eq(val_repr(&v), "'first'");
    sm_val_free(&v);
    ck_sm(sm_queue_put(empty, sm_str("handed"), 0), SM_OK);
    join_within(t1, 30000);
    join_within(t2, 30000);
    ck_sm(putter.rc, SM_OK);
    ck_sm(getter.rc, SM_OK);
    ck_assert_str_eq(getter.got, "'handed'");
    raw_close(&adm);
    sm_queue_close(full);
    sm_queue_close(empty);
    restart(SIGKILL);
    ck_assert_str_eq(queue_drain("full"), "'late';");
    ck_assert_str_eq(queue_drain("empty"), "");
}
END_TEST

/* ---- damaged files ------------------------------------------------------------ */

/* journal_path() - the one journal.N in the state directory. */
static void journal_path(char *buf, size_t len)
{
    for (unsigned gen = 1; gen < 100; gen++) {
        snprintf(buf, len, "%s/journal.%u", state, gen);
        if (access(buf, F_OK) == 0)
            return;
    }
    ck_abort_msg("no journal in %s", state);
}

static off_t file_size(const char *path)
{
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    return st.st_size;
}

static void set_keys(const char *name, int from, int to)
{
    sm_dict *d;
    ck_sm(sm_dict_open(cli, name, SM_CREATE, NULL, &d), SM_OK);
    for (int i = from; i < to; i++)
        ck_sm(sm_dict_set(d, sm_int(i), sm_int(i * 10)), SM_OK);
    sm_dict_close(d);
}

START_TEST(test_torn_tail)
{
    char path[256];
    set_keys("d", 0, 10);
    sm_disconnect(cli);
    cli = NULL;
    broker_kill(&broker, SIGKILL, 10000);
    journal_path(path, sizeof(path));
    /* a torn write: half a record header */
    int fd = open(path, O_WRONLY | O_APPEND);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "\0\0\0\x40\x12", 5), 5);
    close(fd);
    start(NULL);
    ck_assert(broker_log_contains(&broker, "SM-PERSIST-TRUNC"));
    ck_assert_uint_eq(dict_count("d"), 10);
    set_keys("d", 10, 11); /* appends after the cut */

    /* a damaged record: the last one's last byte flipped */
    sm_disconnect(cli);
    cli = NULL;
    broker_kill(&broker, SIGKILL, 10000);
    off_t size = file_size(path);
    fd = open(path, O_RDWR);
    char c;
    ck_assert_int_eq(pread(fd, &c, 1, size - 1), 1);
    c ^= 0x5a;
    ck_assert_int_eq(pwrite(fd, &c, 1, size - 1), 1);
    close(fd);
    start(NULL);
    ck_assert_uint_eq(dict_count("d"), 10); /* key 10's record is cut, the rest stays */
}
END_TEST

/* everysec and no write each record before handling the request: a killed
 * broker loses nothing acknowledged in any mode */
START_TEST(test_fsync_modes)
{
    static const char *const modes[] = {"everysec", "no"};
    snprintf(fsync_mode, sizeof(fsync_mode), "%s", modes[_i]);
    restart(SIGTERM);
    set_keys("d", 0, 50);
    restart(SIGKILL);
    ck_assert_uint_eq(dict_count("d"), 50);
    snprintf(fsync_mode, sizeof(fsync_mode), "always");
}
END_TEST

/* get_one() - a queue.get on @arg that must return 7. */
static void *get_one(void *arg)
{
    sm_val v;
    ck_sm(sm_queue_get(arg, &v, SM_FOREVER), SM_OK);
    ck_assert_int_eq(v.v.i, 7);
    return NULL;
}

/* fsync always on the direct ipc engine: the requests of one epoll batch
 * share one fdatasync() (group commit), replies leaving after it.  A batch
 * of 64 sets costs one; all 64 are there after a kill. */
START_TEST(test_group_commit)
{
    static const char *const syncs[] = {"syncs"};
    uint64_t before, after;
    sm_dict *d;
    sm_batch *b;
    broker_kill(&broker, SIGTERM, 10000);
    pop_close();
    sm_disconnect(cli);
    start("--ipc-engine=direct");
    ck_sm(sm_dict_open(cli, "g", SM_CREATE, NULL, &d), SM_OK);
    raw_stats_map(&broker, "persistence", syncs, &before, 1);
    ck_sm(sm_batch_begin(cli, &b), SM_OK);
    for (int i = 0; i < 64; i++)
        ck_sm(sm_dict_set(d, sm_int(i), sm_int(i)), SM_EQUEUED);
    ck_sm(sm_batch_exec(b), SM_OK);
    raw_stats_map(&broker, "persistence", syncs, &after, 1);
    ck_assert_uint_eq(after - before, 1);
    sm_batch_free(b);
    sm_dict_close(d);

    /* a put that wakes a parked get: the two records, one sync, before
     * the get's reply */
    sm_client *other;
    sm_queue *q, *q2;
    struct raw_conn adm;
    sm_val v;
    ck_sm(sm_queue_open(cli, "gq", SM_CREATE, NULL, &q), SM_OK);
    ck_sm(broker_connect(&broker, &other), SM_OK);
    ck_sm(sm_queue_open(other, "gq", 0, NULL, &q2), SM_OK);
    raw_admin(&broker, &adm);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, get_one, q2), 0);
    raw_wait_parked(&adm, "gq", 1);
    raw_stats_map(&broker, "persistence", syncs, &before, 1);
    ck_sm(sm_queue_put(q, sm_int(7), SM_FOREVER), SM_OK);
    join_within(t, 10000);
    raw_stats_map(&broker, "persistence", syncs, &after, 1);
    ck_assert_uint_eq(after - before, 1);
    raw_close(&adm);
    sm_queue_close(q2);
    sm_disconnect(other);
    sm_queue_close(q);
    restart(SIGKILL);
    ck_assert_uint_eq(dict_count("g"), 64);
    ck_sm(sm_queue_open(cli, "gq", 0, NULL, &q), SM_OK);
    ck_sm(sm_queue_get(q, &v, 0), SM_EEMPTY); /* taken, and that was saved too */
    sm_queue_close(q);
}
END_TEST

/* ---- write errors ----------------------------------------------------------------- */

START_TEST(test_write_error)
{
    struct rlimit old, lim = {.rlim_cur = 64 << 10, .rlim_max = RLIM_INFINITY};
    char big[2048];
    sm_dict *d;
    sm_val v;
    int i, rc = SM_OK;
    memset(big, 'x', sizeof(big));
    /* the broker inherits a 64 KiB file-size limit: the journal fills up */
    sm_disconnect(cli);
    cli = NULL;
    broker_kill(&broker, SIGTERM, 10000);
    getrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_IGN);
    setrlimit(RLIMIT_FSIZE, &lim);
    start(NULL);
    setrlimit(RLIMIT_FSIZE, &old);
    ck_sm(sm_dict_open(cli, "d", SM_CREATE, NULL, &d), SM_OK);
    for (i = 0; i < 200 && rc == SM_OK; i++)
        rc = sm_dict_set(d, sm_int(i), sm_strn(big, sizeof(big)));
    ck_sm(rc, SM_EIO);
    int acked = i - 1;
    ck_assert_int_gt(acked, 10);
    /* the refused write changed nothing; reads work; so does the broker */
    ck_sm(sm_dict_get(d, sm_int(acked), &v), SM_ENOKEY);
    ck_assert_uint_eq(dict_count("d"), (size_t)acked);
    ck_sm(sm_dict_get(d, sm_int(0), &v), SM_OK);
    sm_val_free(&v);
    ck_sm(sm_dict_set(d, sm_int(0), sm_strn(big, sizeof(big) - 1)), SM_EIO);
    ck_sm(sm_dict_get(d, sm_int(0), &v), SM_OK);
    ck_assert_uint_eq(v.v.buf.len, sizeof(big)); /* still the old value */
    sm_val_free(&v);
    ck_sm(sm_ping(cli, NULL), SM_OK);
    ck_assert(broker_log_contains(&broker, "SM-PERSIST-EIO"));
    ck_assert(stats_has(FAILING("\xc3")));
    sm_dict_close(d);
    /* without the limit, every acknowledged write is there */
    restart(SIGKILL);
    ck_assert_uint_eq(dict_count("d"), (size_t)acked);
    ck_assert(stats_has(FAILING("\xc2")));
}
END_TEST

/* ---- compaction and the directory lock ----------------------------------------------- */

START_TEST(test_compaction)
{
    char path[256];
    sm_disconnect(cli);
    cli = NULL;
    broker_kill(&broker, SIGTERM, 10000);
    start("--compact-bytes=4096");
    for (int round = 0; round < 5; round++)
        set_keys("d", 0, 100); /* the same 100 keys again and again */
    /* the main loop compacts within about a second */
    int64_t give_up = mono_ms() + 15000;
    do {
        sleep_ms(200);
        journal_path(path, sizeof(path));
    } while (file_size(path) > 8192 && mono_ms() < give_up);
    ck_assert_int_le(file_size(path), 8192);
    ck_assert(broker_log_contains(&broker, "SM-PERSIST-SNAPSHOT"));
    set_keys("d", 100, 110);
    restart(SIGKILL);
    ck_assert_uint_eq(dict_count("d"), 110);
}
END_TEST

START_TEST(test_directory_in_use)
{
    struct sm_broker other = {0};
    ck_assert_int_eq(broker_init(&other), 0);
    ck_assert_int_eq(broker_start(&other, "--state-dir", state, NULL), -1);
    ck_assert(WIFEXITED(other.status) && WEXITSTATUS(other.status) == 1);
    ck_assert(broker_log_contains(&other, "in use by another syncmgrd"));
    broker_stop(&other, false);
}
END_TEST

/* ---- SIGKILL under 16 writers --------------------------------------------------------- */

/* writer ID: appends "ID:SEQ" to list "log" until a call fails; prints how
 * many were acknowledged. */
static int prog_writer(int argc, char **argv)
{
    sm_client *c;
    sm_list *l;
    char tok[32];
    long acked = 0;
    if (argc < 1 || sm_connect(&c, NULL, NULL) || sm_list_open(c, "log", SM_CREATE, NULL, &l))
        return 1;
    printf("ready\n");
    fflush(stdout);
    for (;; acked++) {
        snprintf(tok, sizeof(tok), "%s:%ld", argv[0], acked);
        if (sm_list_append(l, sm_str(tok)) != SM_OK)
            break;
    }
    printf("%ld\n", acked);
    sm_list_close(l);
    sm_disconnect(c);
    return 0;
}

START_TEST(test_kill_under_load)
{
    pid_t pid[WRITERS];
    int out[WRITERS];
    long acked[WRITERS];
    char buf[64], id[16];
    for (int i = 0; i < WRITERS; i++) {
        snprintf(id, sizeof(id), "%d", i);
        pid[i] = child_spawn(NULL, &out[i], "writer", id, NULL);
        ck_assert_int_gt(pid[i], 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        read_all(out[i], buf, 7, 30000);
        ck_assert_str_eq(buf, "ready\n");
    }
    sleep_ms(1500);
    sm_disconnect(cli);
    cli = NULL;
    broker_kill(&broker, SIGKILL, 10000);
    long total = 0;
    for (int i = 0; i < WRITERS; i++) {
        size_t n = read_all(out[i], buf, sizeof(buf), 60000);
        ck_assert_int_eq(child_wait(pid[i], 60000), 0);
        ck_assert_msg(n > 0, "writer %d printed nothing", i);
        acked[i] = atol(buf);
        total += acked[i];
        close(out[i]);
    }
    ck_assert_int_gt(total, 0);
    start(NULL);

    /* every acknowledged append exactly once; the one in flight at most once */
    sm_list *l;
    sm_val all, *items;
    size_t n;
    static unsigned char seen[WRITERS][1 << 16];
    memset(seen, 0, sizeof(seen));
    ck_sm(sm_list_open(cli, "log", 0, NULL, &l), SM_OK);
    ck_sm(sm_list_copy(l, &all), SM_OK);
    ck_sm(sm_val_items(&all, &items, &n), SM_OK);
    for (size_t k = 0; k < n; k++) {
        const char *s;
        size_t len;
        int w;
        long seq;
        ck_sm(sm_val_to_str(&items[k], &s, &len), SM_OK);
        snprintf(buf, sizeof(buf), "%.*s", (int)len, s);
        ck_assert_int_eq(sscanf(buf, "%d:%ld", &w, &seq), 2);
        ck_assert(w >= 0 && w < WRITERS && seq >= 0 && seq <= acked[w] && seq < (1 << 16));
        ck_assert_msg(!seen[w][seq]++, "%s appears twice", buf);
    }
    for (int w = 0; w < WRITERS; w++)
        for (long seq = 0; seq < acked[w]; seq++)
            ck_assert_msg(seen[w][seq] == 1, "acknowledged %d:%ld lost", w, seq);
    fprintf(stderr, "test_kill_under_load: %ld acknowledged appends from %d writers, %zu found\n",
            total, WRITERS, n);
    sm_vals_free(items, n);
    sm_val_free(&all);
    sm_list_close(l);
}
END_TEST

static const struct child_prog progs[] = {{"writer", prog_writer}, {NULL, NULL}};

int main(int argc, char **argv)
{
    child_dispatch(argc, argv, progs);
    Suite *s = suite_create("persist");
    TCase *tc = tcase_create("persist");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, test_journal_replay);
    tcase_add_test(tc, test_snapshot_then_journal);
    tcase_add_test(tc, test_parked_requests);
    tcase_add_test(tc, test_torn_tail);
    tcase_add_loop_test(tc, test_fsync_modes, 0, 2);
    tcase_add_test(tc, test_group_commit);
    tcase_add_test(tc, test_write_error);
    tcase_add_test(tc, test_compaction);
    tcase_add_test(tc, test_directory_in_use);
    tcase_add_test(tc, test_kill_under_load);
    suite_add_tcase(s, tc);
    return check_run(s, CK_ENV);
}
