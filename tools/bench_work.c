/*
 * bench_work.c - one syncmgr-bench client process: one connection shared
 * by --threads threads, each running the workload in rounds until the
 * duration is over.  A round is one operation, or --inflight operations
 * pipelined (sm_pipeline), or one batch of N dict sets (sm_batch); its time
 * is one latency sample.  Result line on stdout:
 *   "result OPS ERRORS SECONDS idx:count ..."
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "syncmgr.h"

struct worker {
    const struct bench_opts *o;
    sm_client *c;
    sm_val val;              /* the value every write stores */
    pthread_barrier_t start; /* threads ready, then the go byte */
    uint64_t t0, t_end;      /* the run, set by the main thread at go */
};

struct wthread {
    struct worker *w;
    unsigned idx;
    pthread_t th;
    sm_dict *d;
    sm_list *l;
    sm_queue *q;
    sm_lock *lk;
    char (*keys)[32]; /* o->keys of them */
    uint64_t ops, errors, i;
    uint64_t t_last; /* when its last round ended */
    struct hist hist;
    int fatal; /* SM_ECONN or a setup failure */
};

/* account() - the status of one call: queued and OK are fine. */
static void account(struct wthread *t, int rc)
{
    if (rc == SM_ECONN)
        t->fatal = rc;
    else if (rc != SM_OK && rc != SM_EQUEUED)
        t->errors++;
}

/* one_op() - the workload's operation once (two calls for queue, lock). */
static void one_op(struct wthread *t)
{
    const char *key = t->keys[t->i++ % t->w->o->keys];
    sm_val v;
    int64_t r;
    switch (t->w->o->workload) {
    case W_DICT_SET:
    case W_BATCH:
        account(t, sm_dict_set(t->d, sm_str(key), t->w->val));
        break;
    case W_DICT_GET:
        account(t, sm_dict_get(t->d, sm_str(key), &v));
        sm_val_free(&v);
        break;
    case W_LIST_APPEND:
        account(t, sm_list_append(t->l, t->w->val));
        break;
    case W_QUEUE:
        account(t, sm_queue_put(t->q, t->w->val, SM_FOREVER));
        account(t, sm_queue_get(t->q, &v, SM_FOREVER));
        sm_val_free(&v);
        break;
    case W_LOCK:
        account(t, sm_lock_acquire(t->lk, SM_FOREVER));
        account(t, sm_lock_release(t->lk));
        break;
    case W_INCR:
        account(t, sm_dict_incr(t->d, sm_str(key), 1, &r));
        break;
    }
}

/* COUNT_ERRORS() - the failed slots of a batch or pipeline round. */
#define COUNT_ERRORS(t, kind, x)                                                                   \
    for (size_t k_ = 0; k_ < sm_##kind##_count(x); k_++)                                           \
    account(t, sm_##kind##_status(x, k_))

/* round_batch() - one batch of N dict sets. */
static uint64_t round_batch(struct wthread *t)
{
    sm_batch *b;
    int rc = sm_batch_begin(t->w->c, &b);
    if (rc) {
        t->fatal = rc;
        return 0;
    }
    for (unsigned i = 0; i < t->w->o->batch; i++)
        one_op(t);
    account(t, sm_batch_exec(b));
    COUNT_ERRORS(t, batch, b);
    sm_batch_free(b);
    return t->w->o->batch;
}

/* round_once() - one latency sample's worth of operations; how many. */
static uint64_t round_once(struct wthread *t, sm_pipeline *p)
{
    const struct bench_opts *o = t->w->o;
    if (o->workload == W_BATCH)
        return round_batch(t);
    if (!p) {
        one_op(t);
        return 1;
    }
    for (unsigned i = 0; i < o->inflight; i++)
        one_op(t);
    COUNT_ERRORS(t, pipeline, p);
    account(t, sm_pipeline_reset(p));
    return o->inflight;
}

/* open_objects() - the thread's objects (temporary: gone with the run);
 * dict-get's keys are filled first in one batch. */
static int open_objects(struct wthread *t)
{
    sm_client *c = t->w->c;
    const int fl = SM_CREATE | (t->w->o->keep ? 0 : SM_TEMP);
    char name[64];
    int rc = SM_OK;
    snprintf(name, sizeof(name), "bench-lock-%d-%u", (int)getpid(), t->idx);
    switch (t->w->o->workload) {
    case W_LIST_APPEND:
        return sm_list_open(c, "bench-list", fl, NULL, &t->l);
    case W_QUEUE:
        return sm_queue_open(c, "bench-queue", fl, NULL, &t->q);
    case W_LOCK:
        return sm_lock_open(c, name, fl, NULL, &t->lk);
    default:
        rc = sm_dict_open(c, "bench-dict", fl, NULL, &t->d);
    }
    if (rc || t->w->o->workload != W_DICT_GET)
        return rc;
    sm_batch *b;
    for (unsigned i = 0; i < t->w->o->keys && !rc; i += SM_BATCH_MAX) {
        if ((rc = sm_batch_begin(c, &b)))
            return rc;
        for (unsigned k = i; k < t->w->o->keys && k < i + SM_BATCH_MAX; k++)
            sm_dict_set(t->d, sm_str(t->keys[k]), t->w->val);
        rc = sm_batch_exec(b);
        sm_batch_free(b);
    }
    return rc;
}

static void *thread_main(void *arg)
{
    struct wthread *t = arg;
    struct worker *w = t->w;
    sm_pipeline *p = NULL;
    for (unsigned i = 0; i < w->o->keys; i++)
        snprintf(t->keys[i], sizeof(t->keys[i]), "k%d-%u-%u", (int)getpid(), t->idx, i);
    t->fatal = open_objects(t);
    if (!t->fatal && w->o->inflight > 1)
        t->fatal = sm_pipeline_begin(w->c, w->o->inflight, &p);
    pthread_barrier_wait(&w->start); /* ready */
    pthread_barrier_wait(&w->start); /* go */
    t->t_last = w->t0;
    while (!t->fatal && t->t_last < w->t_end) {
        uint64_t a = t->t_last;
        t->ops += round_once(t, p);
        t->t_last = now_ns();
        hist_add(&t->hist, t->t_last - a);
    }
    sm_pipeline_free(p);
    sm_dict_close(t->d);
    sm_list_close(t->l);
    sm_queue_close(t->q);
    sm_lock_close(t->lk);
    return NULL;
}

/* run() - start the threads, say ready, wait for go, run, join. */
static int run(struct worker *w, struct wthread *ts, unsigned n)
{
    char go;
    for (unsigned i = 0; i < n; i++)
        if (pthread_create(&ts[i].th, NULL, thread_main, &ts[i]))
            return -1;
    pthread_barrier_wait(&w->start);
    printf("ready\n");
    fflush(stdout);
    if (read(0, &go, 1) != 1)
        go = 0;
    w->t0 = now_ns();
    w->t_end = w->t0 + (uint64_t)(w->o->duration * 1e9);
    pthread_barrier_wait(&w->start);
    for (unsigned i = 0; i < n; i++)
        pthread_join(ts[i].th, NULL);
    return go ? 0 : -1;
}

int bench_worker(const struct bench_opts *o)
{
    struct worker w = {.o = o};
    unsigned n = o->threads;
    int rc = sm_connect(&w.c, o->address, o->keyfile);
    if (rc) {
        fprintf(stderr, "syncmgr-bench: connect: %s\n", sm_strerror(rc));
        return 1;
    }
    char *bytes = malloc(o->value_size + 1);
    struct wthread *ts = calloc(n, sizeof(*ts));
    if (!bytes || !ts)
        return 1;
    memset(bytes, 'x', o->value_size);
    w.val = sm_bin(bytes, o->value_size);
    pthread_barrier_init(&w.start, NULL, n + 1);
    for (unsigned i = 0; i < n; i++) {
        ts[i] = (struct wthread){.w = &w, .idx = i};
        if (!(ts[i].keys = calloc(o->keys, sizeof(*ts[i].keys))))
            return 1;
    }
    int bad = run(&w, ts, n);
    uint64_t last = w.t0 + 1;
    for (unsigned i = 0; i < n; i++)
        last = ts[i].t_last > last ? ts[i].t_last : last;
    double secs = (double)(last - w.t0) / 1e9;
    struct hist *all = calloc(1, sizeof(*all));
    uint64_t ops = 0, errors = 0;
    for (unsigned i = 0; i < n && all; i++) {
        if (ts[i].fatal) {
            fprintf(stderr, "syncmgr-bench: worker %u thread %u: %s\n", o->id, i,
                    sm_strerror(ts[i].fatal));
            bad = 1;
        }
        ops += ts[i].ops;
        errors += ts[i].errors;
        hist_merge(all, &ts[i].hist);
    }
    if (all) {
        printf("result %llu %llu %.6f", (unsigned long long)ops, (unsigned long long)errors, secs);
        hist_write(all, stdout);
        printf("\n");
    }
    fflush(stdout);
    sm_disconnect(w.c);
    bad = bad || !all;
    for (unsigned i = 0; i < n; i++)
        free(ts[i].keys);
    free(ts);
    free(bytes);
    free(all);
    pthread_barrier_destroy(&w.start);
    return bad ? 1 : 0;
}
