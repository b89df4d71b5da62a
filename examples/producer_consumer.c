/*
 * producer_consumer.c - two producers and one consumer share a queue.  The
 * Python original:
 *
 *     def producer(q, first):
 *         for item in range(first, first + 10):
 *             q.put(item)
 *         q.put(None)                   # "I am done"
 *
 *     def consumer(q, producers):
 *         done = 0
 *         while done < producers:
 *             item = q.get()
 *             if item is None:
 *                 done += 1
 *             else:
 *                 print('got', item)
 *
 *     with Manager() as manager:
 *         q = manager.Queue()
 *         procs = [Process(target=producer, args=(q, 100)),
 *                  Process(target=producer, args=(q, 200)),
 *                  Process(target=consumer, args=(q, 2))]
 *         for p in procs: p.start()
 *         for p in procs: p.join()
 *
 * The queue lives in syncmgrd as "pc.queue", a temporary object: it goes
 * when the last process that opened it has gone.  The consumer checks that
 * each of the 20 items arrived exactly once and exits 0 only then.
 *
 * The address and key come from $SYNCMGR_ADDRESS and $SYNCMGR_AUTHKEY_FILE.
 * Producers and the consumer are this program started again with an
 * argument ("producer FIRST", "consumer"); see counter.c for why not fork().
 */
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syncmgr.h>
#include <sys/wait.h>

#define PRODUCERS 2
#define ITEMS 10 /* per producer */

extern char **environ;

/* open_queue() - connect on our own and open the shared queue. */
static sm_queue *open_queue(sm_client **c, int flags)
{
    sm_queue *q = NULL;
    int rc = sm_connect(c, NULL, NULL);
    if (rc == SM_OK)
        rc = sm_queue_open(*c, "pc.queue", flags, NULL, &q);
    if (rc != SM_OK)
        fprintf(stderr, "producer_consumer: %s\n", sm_strerror(rc));
    return q;
}

/* producer() - put first, first + 1, ..., then None. */
static int producer(int64_t first)
{
    sm_client *c;
    sm_queue *q = open_queue(&c, 0);
    int rc = q ? SM_OK : SM_ECONN;
    for (int64_t i = 0; i < ITEMS && rc == SM_OK; i++)
        rc = sm_queue_put(q, sm_int(first + i), SM_FOREVER);
    if (rc == SM_OK)
        rc = sm_queue_put(q, sm_nil(), SM_FOREVER);
    if (rc != SM_OK)
        fprintf(stderr, "producer %lld: %s\n", (long long)first, sm_strerror(rc));
    sm_queue_close(q);
    sm_disconnect(c);
    return rc == SM_OK ? 0 : 1;
}

/* consumer() - get items until every producer has sent None; each of
 * 100..109 and 200..209 must come exactly once. */
static int consumer(void)
{
    sm_client *c;
    sm_queue *q = open_queue(&c, 0);
    bool seen[PRODUCERS][ITEMS] = {{false}};
    int done = 0, got = 0, bad = 0, rc = q ? SM_OK : SM_ECONN;
    while (rc == SM_OK && done < PRODUCERS) {
        sm_val item;
        int64_t n;
        if ((rc = sm_queue_get(q, &item, SM_FOREVER)) != SM_OK)
            break;
        if (sm_val_is_nil(&item)) {
            done++;
        } else if (sm_val_to_int(&item, &n) == SM_OK && n >= 100 && n < 100 * (PRODUCERS + 1) &&
                   n % 100 < ITEMS && !seen[n / 100 - 1][n % 100]) {
            seen[n / 100 - 1][n % 100] = true;
            got++;
            printf("got %lld\n", (long long)n);
        } else {
            bad++; /* a duplicate or something never put */
        }
        sm_val_free(&item);
    }
    if (rc != SM_OK)
        fprintf(stderr, "consumer: %s\n", sm_strerror(rc));
    printf("consumer: %d items, %d unexpected\n", got, bad);
    sm_queue_close(q);
    sm_disconnect(c);
    return rc == SM_OK && got == PRODUCERS * ITEMS && bad == 0 ? 0 : 1;
}

/* start() - run this program again as "@role [@arg]". */
static pid_t start(const char *self, char *role, char *arg)
{
    char *argv[] = {(char *)self, role, arg, NULL};
    pid_t pid;
    if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ) != 0) {
        perror("producer_consumer: posix_spawn");
        exit(1);
    }
    return pid;
}

int main(int argc, char **argv)
{
    sm_client *c;
    pid_t pids[PRODUCERS + 1];
    int failed = 0;

    if (argc > 2 && strcmp(argv[1], "producer") == 0)
        return producer(strtoll(argv[2], NULL, 10));
    if (argc > 1 && strcmp(argv[1], "consumer") == 0)
        return consumer();

    /* create the queue; it lives while this process keeps it open */
    sm_queue *q = open_queue(&c, SM_CREATE | SM_TEMP);
    if (!q)
        return 1;
    pids[0] = start(argv[0], "producer", "100");
    pids[1] = start(argv[0], "producer", "200");
    pids[2] = start(argv[0], "consumer", NULL);
    for (int i = 0; i < PRODUCERS + 1; i++) {
        int status;
        waitpid(pids[i], &status, 0);
        failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    }
    if (failed)
        printf("%d processes failed\n", failed);
    else
        printf("all items arrived exactly once\n");
    sm_queue_close(q);
    sm_disconnect(c);
    return failed ? 1 : 0;
}
