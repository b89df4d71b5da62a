/* bench_hist.c - log-linear latency histogram: HIST_SUB buckets per power
 * of two of nanoseconds, merged across threads and processes. */
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"

uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void hist_add(struct hist *h, uint64_t ns)
{
    size_t i = ns < 2 ? 0 : (size_t)(log2((double)ns) * HIST_SUB);
    h->count[i < HIST_N ? i : HIST_N - 1]++;
    h->total++;
}

void hist_merge(struct hist *a, const struct hist *b)
{
    for (size_t i = 0; i < HIST_N; i++)
        a->count[i] += b->count[i];
    a->total += b->total;
}

double hist_pct(const struct hist *h, double pct)
{
    uint64_t want = (uint64_t)ceil((double)h->total * pct / 100.0), seen = 0;
    for (size_t i = 0; i < HIST_N && h->total; i++) {
        seen += h->count[i];
        if (seen >= want && h->count[i])
            return exp2(((double)i + 0.5) / HIST_SUB) / 1000.0; /* bucket middle, us */
    }
    return 0;
}

void hist_write(const struct hist *h, FILE *f)
{
    for (size_t i = 0; i < HIST_N; i++)
        if (h->count[i])
            fprintf(f, " %zu:%llu", i, (unsigned long long)h->count[i]);
}

int hist_read(struct hist *h, const char *s)
{
    char *end;
    while (*s == ' ')
        s++;
    while (*s && *s != '\n') {
        unsigned long i = strtoul(s, &end, 10);
        if (*end != ':' || i >= HIST_N)
            return -1;
        unsigned long long n = strtoull(end + 1, &end, 10);
        h->count[i] += n;
        h->total += n;
        s = end;
        while (*s == ' ')
            s++;
    }
    return 0;
}
