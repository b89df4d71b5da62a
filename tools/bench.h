/*
 * bench.h - syncmgr-bench: a load generator for syncmgrd.
 *
 * The parent process (bench_main.c) parses the options and re-executes
 * itself once per client process (--worker, bench_work.c) and, for
 * --idle-conns/--parked, once more for a load holder (bench_load.c): nng
 * cannot be used in a forked child, so nothing forks after using it.  A
 * child writes "ready" on stdout, waits for one byte on stdin, runs, and
 * writes one result line (bench_hist.c); the parent adds them up.
 */
#ifndef SM_TOOLS_BENCH_H
#define SM_TOOLS_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum bench_workload { W_DICT_SET, W_DICT_GET, W_LIST_APPEND, W_QUEUE, W_LOCK, W_INCR, W_BATCH };

struct bench_opts {
    const char *address; /* NULL: the library's default */
    const char *keyfile;
    enum bench_workload workload;
    unsigned batch;      /* N of batch-N */
    unsigned clients;    /* processes */
    unsigned threads;    /* per process, sharing its connection */
    double duration;     /* seconds */
    unsigned inflight;   /* pipelining depth, 1: synchronous */
    size_t value_size;   /* bytes of each stored value */
    unsigned keys;       /* distinct keys per thread, cycled */
    bool keep;           /* objects outlive the run (not SM_TEMP) */
    unsigned idle_conns; /* connections held open and idle during the run */
    unsigned parked;     /* requests held parked during the run */
    bool json;
    unsigned id; /* a worker's number */
};

/* ---- latency histogram (bench_hist.c) ------------------------------------ */

#define HIST_SUB 16 /* buckets per power of two: about 4 % wide */
#define HIST_N (64 * HIST_SUB)

struct hist {
    uint64_t count[HIST_N];
    uint64_t total;
};

/* hist_add() - one sample of @ns nanoseconds. */
void hist_add(struct hist *h, uint64_t ns);

/* hist_merge() - add @b's samples to @a. */
void hist_merge(struct hist *a, const struct hist *b);

/* hist_pct() - the latency in microseconds below which @pct % of samples
 * lie (0 with no samples). */
double hist_pct(const struct hist *h, double pct);

/* hist_write() / hist_read() - the non-empty buckets as " idx:count" words
 * appended to @f / read from @s (the rest of a result line); 0 or -1. */
void hist_write(const struct hist *h, FILE *f);
int hist_read(struct hist *h, const char *s);

/* ---- the programs ----------------------------------------------------------- */

/* bench_worker() - one client process: run @o's workload, report. */
int bench_worker(const struct bench_opts *o);

/* bench_load() - hold o->idle_conns idle connections and o->parked parked
 * requests until stdin closes. */
int bench_load(const struct bench_opts *o);

/* workload_name() - "dict-set", ... ("batch" for W_BATCH). */
const char *workload_name(enum bench_workload w);

/* now_ns() - CLOCK_MONOTONIC in nanoseconds. */
uint64_t now_ns(void);

#endif
