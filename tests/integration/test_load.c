/*
 * test_load.c - 256 client processes run mixed operations on one broker for
 * a bounded time (SM_LOAD_SECONDS, default 5), then every invariant is
 * checked exactly: atomic counters equal the sum of what the clients were
 * told, a value guarded by a lock was never updated by two at once, and
 * every queue item put was delivered exactly once or is still queued.  The
 * figures are printed for the notes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "harness.h"

#define CLIENTS 256
#define MAXPUTS (1 << 16)

static struct sm_broker broker;
static sm_client *cli;

/* What one client did, as it prints it. */
struct tally {
    long incr, vincr, sections, puts, gets, ops;
};

/* The objects every client uses. */
struct objs {
    sm_dict *counters;
    sm_value *v, *guarded;
    sm_lock *lk;
    sm_queue *q;
    sm_list *got;
    sm_event *go;
};

static int objs_open(sm_client *c, struct objs *o, int flags)
{
    const sm_value_opts zero = {.initial = sm_int(0)};
    int rc;
    if ((rc = sm_dict_open(c, "counters", flags, NULL, &o->counters)) ||
        (rc = sm_value_open(c, "v", flags, &zero, &o->v)) ||
        (rc = sm_value_open(c, "guarded", flags, &zero, &o->guarded)) ||
        (rc = sm_lock_open(c, "lk", flags, NULL, &o->lk)) ||
        (rc = sm_queue_open(c, "q", flags, NULL, &o->q)) ||
        (rc = sm_list_open(c, "got", flags, NULL, &o->got)) ||
        (rc = sm_event_open(c, "go", flags, NULL, &o->go)))
        return rc;
    return SM_OK;
}

static void objs_close(struct objs *o)
{
    sm_dict_close(o->counters);
    sm_value_close(o->v);
    sm_value_close(o->guarded);
    sm_lock_close(o->lk);
    sm_queue_close(o->q);
    sm_list_close(o->got);
    sm_event_close(o->go);
}

/* section() - under the lock, a read-modify-write no atomic op protects. */
static int section(struct objs *o)
{
    sm_val x;
    int64_t n;
    int rc = sm_lock_acquire(o->lk, SM_FOREVER);
    if (rc)
        return rc;
    if (!(rc = sm_value_get(o->guarded, &x)) && !(rc = sm_val_to_int(&x, &n)))
        rc = sm_value_set(o->guarded, sm_int(n + 1));
    sm_val_free(&x);
    int rc2 = sm_lock_release(o->lk);
    return rc ? rc : rc2;
}

/* put_get() - put a unique token, then take whatever is first, if any,
 * and record it in the list "got". */
static int put_get(struct objs *o, const char *id, struct tally *t)
{
    char tok[32];
    sm_val v;
    snprintf(tok, sizeof(tok), "%s:%ld", id, t->puts);
    int rc = t->puts < MAXPUTS ? sm_queue_put(o->q, sm_str(tok), SM_FOREVER) : SM_OK;
    if (rc)
        return rc;
    t->puts += t->puts < MAXPUTS;
    if ((rc = sm_queue_get(o->q, &v, 0)) == SM_ETIMEDOUT || rc == SM_EEMPTY)
        return SM_OK;
    if (rc == SM_OK) {
        rc = sm_list_append(o->got, v);
        sm_val_free(&v);
        t->gets++;
        t->ops++;
    }
    t->ops += 2;
    return rc;
}

/* mixed ID SECONDS: wait for "go", then mix operations for SECONDS; print
 * the tally.  Any unexpected status ends it with exit code 2. */
static int prog_mixed(int argc, char **argv)
{
    sm_client *c;
    struct objs o;
    struct tally t = {0};
    int64_t n;
    sm_val r;
    if (argc < 2 || sm_connect(&c, NULL, NULL) || objs_open(c, &o, 0))
        return 1;
    printf("ready\n");
    fflush(stdout);
    if (sm_event_wait(o.go, 300000))
        return 1;
    int64_t end = mono_ms() + atoi(argv[1]) * 1000;
    for (long i = 0; mono_ms() < end; i++) {
        int rc = SM_OK;
        switch (i % 4) {
        case 0:
            if (!(rc = sm_dict_incr(o.counters, sm_str("c"), 1, &n)))
                t.incr++, t.ops++;
            break;
        case 1:
            if (!(rc = sm_value_incr(o.v, sm_int(1), &r)))
                t.vincr++, t.ops++;
            sm_val_free(&r);
            break;
        case 2:
            if (!(rc = section(&o)))
                t.sections++, t.ops += 4;
            break;
        default:
            rc = put_get(&o, argv[0], &t);
        }
        if (rc) {
            fprintf(stderr, "mixed %s: op %ld: %s\n", argv[0], i % 4, sm_strerror(rc));
            return 2;
        }
    }
    printf("%ld %ld %ld %ld %ld %ld\n", t.incr, t.vincr, t.sections, t.puts, t.gets, t.ops);
    objs_close(&o);
    sm_disconnect(c);
    return 0;
}

static void setup(void)
{
    broker_up(&broker, &cli, NULL);
}

static void teardown(void)
{
    broker_down(&broker, &cli, NULL);
}

static int64_t value_int(sm_value *v)
{
    sm_val x;
    int64_t n = -1;
    ck_sm(sm_value_get(v, &x), SM_OK);
    ck_sm(sm_val_to_int(&x, &n), SM_OK);
    sm_val_free(&x);
    return n;
}

/* mark() - count one delivery of token "ID:SEQ". */
static void mark(unsigned char (*seen)[MAXPUTS], const struct tally *tal, const sm_val *v)
{
    const char *s;
    size_t len;
    char buf[32];
    int id;
    long seq;
    ck_sm(sm_val_to_str(v, &s, &len), SM_OK);
    snprintf(buf, sizeof(buf), "%.*s", (int)len, s);
    ck_assert_int_eq(sscanf(buf, "%d:%ld", &id, &seq), 2);
    ck_assert_msg(id >= 0 && id < CLIENTS && seq >= 0 && seq < tal[id].puts, "stray item %s", buf);
    ck_assert_msg(!seen[id][seq]++, "%s delivered twice", buf);
}

START_TEST(test_256_clients)
{
    static struct tally tal[CLIENTS];
    static unsigned char seen[CLIENTS][MAXPUTS];
    struct tally sum = {0};
    struct objs o;
    pid_t pid[CLIENTS];
    int out[CLIENTS];
    char buf[256], id[16];
    const char *secs = getenv("SM_LOAD_SECONDS") ? getenv("SM_LOAD_SECONDS") : "5";

    ck_sm(objs_open(cli, &o, SM_CREATE), SM_OK);
    int64_t t0 = mono_ms();
    for (int i = 0; i < CLIENTS; i++) {
        snprintf(id, sizeof(id), "%d", i);
        ck_assert_int_gt(pid[i] = child_spawn(NULL, &out[i], "mixed", id, secs, NULL), 0);
    }
    for (int i = 0; i < CLIENTS; i++) {
        read_all(out[i], buf, 7, 120000);
        ck_assert_msg(!strcmp(buf, "ready\n"), "client %d did not start", i);
    }
    int64_t t1 = mono_ms();
    ck_sm(sm_event_set(o.go), SM_OK);
    for (int i = 0; i < CLIENTS; i++) {
        read_all(out[i], buf, sizeof(buf), 300000);
        ck_assert_int_eq(child_wait(pid[i], 120000), 0);
        struct tally *t = &tal[i];
        ck_assert_int_eq(sscanf(buf, "%ld %ld %ld %ld %ld %ld", &t->incr, &t->vincr, &t->sections,
                                &t->puts, &t->gets, &t->ops), 6);
        close(out[i]);
        sum.incr += t->incr, sum.vincr += t->vincr, sum.sections += t->sections;
        sum.puts += t->puts, sum.gets += t->gets, sum.ops += t->ops;
    }
    int64_t t2 = mono_ms();

    /* counters exact */
    int64_t c;
    ck_sm(sm_dict_incr(o.counters, sm_str("c"), 0, &c), SM_OK);
    ck_assert_int_eq(c, sum.incr);
    ck_assert_int_eq(value_int(o.v), sum.vincr);
    ck_assert_int_eq(value_int(o.guarded), sum.sections);
    /* every item put: taken (in "got") or still queued, exactly once */
    sm_val all, *items, v;
    size_t n, left = 0;
    ck_sm(sm_list_copy(o.got, &all), SM_OK);
    ck_sm(sm_val_items(&all, &items, &n), SM_OK);
    ck_assert_int_eq((long)n, sum.gets);
    for (size_t k = 0; k < n; k++)
        mark(seen, tal, &items[k]);
    sm_vals_free(items, n);
    sm_val_free(&all);
    while (sm_queue_get(o.q, &v, 0) == SM_OK) {
        mark(seen, tal, &v);
        sm_val_free(&v);
        left++;
    }
    ck_assert_int_eq((long)(n + left), sum.puts);
    fprintf(stderr,
            "it_load: %d client processes started in %.1f s; in %.1f s: %ld ops (%.0f ops/s): "
            "%ld dict.incr, %ld value.incr, %ld lock sections (4 ops each), %ld puts, %ld gets; "
            "all invariants exact\n",
            CLIENTS, (double)(t1 - t0) / 1000, (double)(t2 - t1) / 1000, sum.ops,
            (double)sum.ops * 1000 / (double)(t2 - t1), sum.incr, sum.vincr, sum.sections,
            sum.puts, sum.gets);
    objs_close(&o);
}
END_TEST

static const struct child_prog progs[] = {{"mixed", prog_mixed}, {NULL, NULL}};

int main(int argc, char **argv)
{
    child_dispatch(argc, argv, progs);
    Suite *s = suite_create("load");
    TCase *tc = tcase_create("load");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, test_256_clients);
    suite_add_tcase(s, tc);
    return check_run(s, CK_ENV);
}
