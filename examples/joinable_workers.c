/*
 * joinable_workers.c - four worker processes take jobs from a JoinableQueue;
 * the main process waits with join() until every job is done.  The Python
 * original:
 *
 *     def worker(jobs, results):
 *         while True:
 *             n = jobs.get()
 *             if n is None:
 *                 break
 *             results.put(n * n)
 *             jobs.task_done()
 *
 *     with Manager() as manager:
 *         jobs, results = manager.JoinableQueue(), manager.Queue()
 *         workers = [Process(target=worker, args=(jobs, results)) for _ in range(4)]
 *         for w in workers: w.start()
 *         for n in range(1, 21):
 *             jobs.put(n)
 *         jobs.join()                   # returns once all 20 are task_done()
 *         total = sum(results.get() for _ in range(20))
 *         print('sum of squares of 1..20 =', total)
 *         for w in workers: jobs.put(None)
 *         for w in workers: w.join()
 *
 * The queues live in syncmgrd as "jobs" and "results", temporary objects:
 * they go when the last process that opened them has gone.  A worker puts
 * its result before it calls task_done(), so once join() returns every
 * result is in the queue.
 *
 * The address and key come from $SYNCMGR_ADDRESS and $SYNCMGR_AUTHKEY_FILE.
 * Workers are this program started again with the argument "worker"; see
 * counter.c for why not fork().
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syncmgr.h>
#include <sys/wait.h>

#define WORKERS 4
#define JOBS 20

extern char **environ;

/* open_queues() - connect on our own and open both queues. */
static int open_queues(sm_client **c, int flags, sm_queue **jobs, sm_queue **results)
{
    const sm_queue_opts joinable = {.maxsize = 0, .joinable = true};
    int rc = sm_connect(c, NULL, NULL);
    if (rc == SM_OK)
        rc = sm_queue_open(*c, "jobs", flags, &joinable, jobs);
    if (rc == SM_OK)
        rc = sm_queue_open(*c, "results", flags, NULL, results);
    if (rc != SM_OK)
        fprintf(stderr, "joinable_workers: %s\n", sm_strerror(rc));
    return rc;
}

/* worker() - square numbers until a None arrives. */
static int worker(void)
{
    sm_client *c;
    sm_queue *jobs = NULL, *results = NULL;
    int rc = open_queues(&c, 0, &jobs, &results);
    while (rc == SM_OK) {
        sm_val job;
        int64_t n;
        if ((rc = sm_queue_get(jobs, &job, SM_FOREVER)) != SM_OK || sm_val_is_nil(&job))
            break;
        rc = sm_val_to_int(&job, &n);
        if (rc == SM_OK)
            rc = sm_queue_put(results, sm_int(n * n), SM_FOREVER);
        if (rc == SM_OK)
            rc = sm_queue_task_done(jobs);
        sm_val_free(&job);
    }
    if (rc != SM_OK)
        fprintf(stderr, "worker: %s\n", sm_strerror(rc));
    sm_queue_close(results);
    sm_queue_close(jobs);
    sm_disconnect(c);
    return rc == SM_OK ? 0 : 1;
}

/* sum_results() - take all @n results (there without waiting) and add them. */
static int sum_results(sm_queue *results, int n, int64_t *total)
{
    int rc = SM_OK;
    *total = 0;
    for (int i = 0; i < n && rc == SM_OK; i++) {
        sm_val v;
        int64_t sq = 0;
        if ((rc = sm_queue_get(results, &v, 0)) == SM_OK)
            rc = sm_val_to_int(&v, &sq);
        *total += sq;
        sm_val_free(&v);
    }
    return rc;
}

int main(int argc, char **argv)
{
    sm_client *c;
    sm_queue *jobs, *results;
    pid_t pids[WORKERS];
    char *worker_argv[] = {argv[0], "worker", NULL};
    int64_t total = 0;
    int failed = 0;

    if (argc > 1 && strcmp(argv[1], "worker") == 0)
        return worker();

    if (open_queues(&c, SM_CREATE | SM_TEMP, &jobs, &results) != SM_OK)
        return 1;
    for (int i = 0; i < WORKERS; i++)
        if (posix_spawn(&pids[i], "/proc/self/exe", NULL, NULL, worker_argv, environ) != 0) {
            perror("joinable_workers: posix_spawn");
            return 1;
        }

    int rc = SM_OK;
    for (int n = 1; n <= JOBS && rc == SM_OK; n++)
        rc = sm_queue_put(jobs, sm_int(n), SM_FOREVER);
    if (rc == SM_OK)
        rc = sm_queue_join(jobs, SM_FOREVER); /* every job task_done() */
    if (rc == SM_OK)
        rc = sum_results(results, JOBS, &total);
    if (rc == SM_OK)
        printf("all %d jobs done; sum of squares of 1..%d = %lld\n", JOBS, JOBS, (long long)total);
    else
        fprintf(stderr, "joinable_workers: %s\n", sm_strerror(rc));

    for (int i = 0; i < WORKERS; i++) /* one None each: stop */
        sm_queue_put(jobs, sm_nil(), SM_FOREVER);
    for (int i = 0; i < WORKERS; i++) {
        int status;
        waitpid(pids[i], &status, 0);
        failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    }
    if (failed)
        fprintf(stderr, "joinable_workers: %d workers failed\n", failed);
    sm_queue_close(results);
    sm_queue_close(jobs);
    sm_disconnect(c);
    return rc == SM_OK && total == JOBS * (JOBS + 1) * (2 * JOBS + 1) / 6 && !failed ? 0 : 1;
}
