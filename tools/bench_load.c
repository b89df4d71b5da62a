/*
 * bench_load.c - the load a run carries beside its clients: --idle-conns
 * connections that stay open and silent, and --parked requests waiting on
 * an event nobody sets (pipelined gets of SM_PIPELINE_MAX per thread on one
 * connection).  Says "ready" once the broker reports them all parked, and
 * holds everything until stdin closes; exiting drops it all at once.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "client_internal.h"

#define PARKED_NAME "bench-parked"

struct parker {
    sm_client *c;
    sm_event *e;
    unsigned n;
    int rc;
    pthread_t th;
};

/* park() - @arg's n event waits without limit, pipelined: none returns. */
static void *park(void *arg)
{
    struct parker *pk = arg;
    sm_pipeline *p;
    if ((pk->rc = sm_pipeline_begin(pk->c, pk->n, &p)))
        return NULL;
    for (unsigned i = 0; i < pk->n && !pk->rc; i++)
        if ((pk->rc = sm_event_wait(pk->e, SM_FOREVER)) == SM_EQUEUED)
            pk->rc = SM_OK;
    return NULL; /* the pipeline stays: its calls are parked until exit */
}

/* waiters() - the broker's count of requests parked on @name (info op). */
static int waiters(sm_client *c, const char *name, uint64_t *n)
{
    struct smc_req rq;
    struct smc_reply rep;
    uint32_t npairs = 0, klen;
    const char *k;
    const uint8_t *raw;
    size_t rawlen;
    int rc = smc_req(&rq, SMOP_info, 0, "s", name);
    if (rc || (rc = smc_call(c, &rq, &rep)))
        return rc;
    rc = rep.nfields < 1 || mp_read_map(&rep.r, &npairs) ? SM_EPROTO : SM_ENOKEY;
    for (uint32_t i = 0; i < npairs && rc == SM_ENOKEY; i++) {
        if (mp_read_str(&rep.r, &k, &klen))
            rc = SM_EPROTO;
        else if (klen == 7 && !memcmp(k, "waiters", 7))
            rc = mp_read_uint(&rep.r, n);
        else if (mp_read_raw(&rep.r, &raw, &rawlen))
            rc = SM_EPROTO;
    }
    smc_reply_free(&rep);
    return rc;
}

/* hold_parked() - o->parked waits on threads of SM_PIPELINE_MAX each. */
static int hold_parked(const struct bench_opts *o, sm_client *c)
{
    sm_event *e;
    unsigned nthreads = (o->parked + SM_PIPELINE_MAX - 1) / SM_PIPELINE_MAX;
    struct parker *ps = calloc(nthreads, sizeof(*ps));
    uint64_t n = 0;
    int rc = ps ? sm_event_open(c, PARKED_NAME, SM_CREATE | SM_TEMP, NULL, &e) : SM_ENOMEM;
    for (unsigned i = 0; i < nthreads && !rc; i++) {
        ps[i] = (struct parker){.c = c, .e = e, .n = SM_PIPELINE_MAX};
        if (i == nthreads - 1)
            ps[i].n = o->parked - i * SM_PIPELINE_MAX;
        if (pthread_create(&ps[i].th, NULL, park, &ps[i]))
            rc = SM_ENOMEM;
    }
    for (unsigned i = 0; i < nthreads && !rc; i++) {
        pthread_join(ps[i].th, NULL);
        rc = ps[i].rc;
    }
    for (int tries = 0; !rc && n < o->parked && tries < 3000; tries++) {
        if ((rc = waiters(c, PARKED_NAME, &n)) == SM_OK && n < o->parked)
            usleep(10000);
    }
    if (!rc && n < o->parked)
        rc = SM_ETIMEDOUT;
    return rc;
}

int bench_load(const struct bench_opts *o)
{
    sm_client *c = NULL, *idle;
    char buf[64];
    int rc = SM_OK;
    for (unsigned i = 0; i < o->idle_conns && !rc; i++)
        rc = sm_connect(&idle, o->address, o->keyfile); /* kept until exit */
    if (!rc && o->parked && !(rc = sm_connect(&c, o->address, o->keyfile)))
        rc = hold_parked(o, c);
    if (rc) {
        fprintf(stderr, "syncmgr-bench: load: %s\n", sm_strerror(rc));
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    while (read(0, buf, sizeof(buf)) > 0)
        ;
    _exit(0); /* the broker drops every connection and parked request */
}
