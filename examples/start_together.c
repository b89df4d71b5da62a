/*
 * start_together.c - five processes wait for one starting signal, do a
 * little work each, and meet at a barrier.  The Python original:
 *
 *     def work(start, meet, arrivals):
 *         start.wait()                       # everyone begins at the signal
 *         time.sleep(random.random() / 10)   # a little work
 *         i = meet.wait()                    # 0..4, in order of arrival
 *         arrivals.append(i)
 *         print('passed the barrier as', i)
 *
 *     with Manager() as manager:
 *         start, meet = manager.Event(), manager.Barrier(5)
 *         arrivals = manager.list()
 *         workers = [Process(target=work, args=(start, meet, arrivals))
 *                    for _ in range(5)]
 *         for p in workers: p.start()
 *         start.set()
 *         for p in workers: p.join()
 *         print('arrivals:', sorted(arrivals))
 *
 * The event "start", the barrier "meet" and the list "meet.arrivals" live in
 * syncmgrd as temporary objects: they go when the last process using them
 * disconnects.  Address and key come from $SYNCMGR_ADDRESS and
 * $SYNCMGR_AUTHKEY_FILE.  Workers are this program started again with the
 * argument "worker" (see counter.c: nng does not survive a fork).
 */
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <syncmgr.h>
#include <sys/wait.h>
#include <unistd.h>

#define WORKERS 5
#define FLAGS (SM_CREATE | SM_TEMP)

extern char **environ;

/* The shared objects, opened (and created if need be) by every process. */
struct shared {
    sm_client *c;
    sm_event *start;
    sm_barrier *meet;
    sm_list *arrivals;
};

static int open_shared(struct shared *sh)
{
    sm_barrier_opts parties = {.parties = WORKERS};
    int rc = sm_connect(&sh->c, NULL, NULL); /* address and key from the environment */
    if (rc == SM_OK)
        rc = sm_event_open(sh->c, "start", FLAGS, NULL, &sh->start);
    if (rc == SM_OK)
        rc = sm_barrier_open(sh->c, "meet", FLAGS, &parties, &sh->meet);
    if (rc == SM_OK)
        rc = sm_list_open(sh->c, "meet.arrivals", FLAGS, NULL, &sh->arrivals);
    return rc;
}

static void close_shared(struct shared *sh)
{
    sm_list_close(sh->arrivals);
    sm_barrier_close(sh->meet);
    sm_event_close(sh->start);
    sm_disconnect(sh->c);
}

/* worker() - wait for the signal, work, meet the others. */
static int worker(void)
{
    struct shared sh = {0};
    size_t index = 0;
    int rc = open_shared(&sh);
    if (rc == SM_OK)
        rc = sm_event_wait(sh.start, SM_FOREVER);
    if (rc == SM_OK) {
        usleep((useconds_t)(getpid() % 10) * 10000); /* a little work */
        rc = sm_barrier_wait(sh.meet, 30000, &index);
    }
    if (rc == SM_OK)
        rc = sm_list_append(sh.arrivals, sm_uint(index));
    if (rc == SM_OK)
        printf("worker %d passed the barrier as %zu\n", (int)getpid(), index);
    else
        fprintf(stderr, "worker %d: %s\n", (int)getpid(), sm_strerror(rc));
    close_shared(&sh);
    return rc == SM_OK ? 0 : 1;
}

/* check_arrivals() - each index 0..WORKERS-1 exactly once; prints them. */
static int check_arrivals(sm_list *arrivals)
{
    int seen[WORKERS] = {0}, ok = 1;
    size_t n = 0;
    int rc = sm_list_len(arrivals, &n);
    printf("arrivals:");
    for (size_t i = 0; rc == SM_OK && i < n; i++) {
        sm_val v = {0};
        int64_t index = -1;
        if ((rc = sm_list_get(arrivals, (int64_t)i, &v)) == SM_OK)
            rc = sm_val_to_int(&v, &index);
        sm_val_free(&v);
        printf(" %lld", (long long)index);
        if (index >= 0 && index < WORKERS)
            seen[index]++;
    }
    printf("\n");
    for (int i = 0; i < WORKERS; i++)
        ok &= seen[i] == 1;
    return rc == SM_OK && n == WORKERS && ok;
}

int main(int argc, char **argv)
{
    struct shared sh = {0};
    pid_t pids[WORKERS];
    int failed = 0;

    if (argc > 1 && strcmp(argv[1], "worker") == 0)
        return worker();

    int rc = open_shared(&sh);
    if (rc != SM_OK) {
        fprintf(stderr, "start_together: %s\n", sm_strerror(rc));
        return 1;
    }
    char *worker_argv[] = {argv[0], "worker", NULL};
    for (int i = 0; i < WORKERS; i++)
        if (posix_spawn(&pids[i], "/proc/self/exe", NULL, NULL, worker_argv, environ) != 0) {
            perror("start_together: posix_spawn");
            return 1;
        }
    if ((rc = sm_event_set(sh.start)) != SM_OK)
        fprintf(stderr, "start_together: set: %s\n", sm_strerror(rc));
    for (int i = 0; i < WORKERS; i++) {
        int status;
        waitpid(pids[i], &status, 0);
        failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    }
    int ok = check_arrivals(sh.arrivals);
    if (failed)
        fprintf(stderr, "start_together: %d workers failed\n", failed);
    close_shared(&sh);
    return rc == SM_OK && ok && !failed ? 0 : 1;
}
