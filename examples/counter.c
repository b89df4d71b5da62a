/*
 * counter.c - a hundred processes count down one shared number, taking
 * turns under a lock.  The Python original:
 *
 *     def work(d, lock):
 *         with lock:
 *             d['count'] -= 1
 *
 *     with Manager() as manager:
 *         d, lock = manager.dict(count=100), manager.Lock()
 *         workers = [Process(target=work, args=(d, lock)) for _ in range(100)]
 *         for p in workers: p.start()
 *         for p in workers: p.join()
 *         print('count =', d['count'])
 *
 * Here the dict and the lock live in syncmgrd under the names "counter" and
 * "counter.lock", so any process that can reach the broker may use them.
 * The address and key come from $SYNCMGR_ADDRESS and $SYNCMGR_AUTHKEY_FILE
 * (or the system defaults).
 *
 * Each worker is this program started again with the argument "worker",
 * like Python's "spawn" start method: a process that has connected must not
 * fork() and go on using libsyncmgr in the child (nng does not survive a
 * fork), so workers are exec'd and connect on their own.
 */
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <syncmgr.h>
#include <sys/wait.h>

#define WORKERS 100

extern char **environ;

/* worker() - with lock: d['count'] -= 1 */
static int worker(void)
{
    sm_client *c;
    sm_dict *d = NULL;
    sm_lock *lock = NULL;
    sm_val v = {0};
    int64_t count;

    int rc = sm_connect(&c, NULL, NULL); /* address and key from the environment */
    if (rc == SM_OK)
        rc = sm_dict_open(c, "counter", 0, NULL, &d);
    if (rc == SM_OK)
        rc = sm_lock_open(c, "counter.lock", 0, NULL, &lock);
    if (rc == SM_OK) {
        rc = sm_lock_acquire(lock, SM_FOREVER);
        if (rc == SM_EOWNERDEAD) /* a worker died holding it; the count is still whole */
            rc = SM_OK;
        if (rc == SM_OK) {
            rc = sm_dict_get(d, sm_str("count"), &v);
            if (rc == SM_OK)
                rc = sm_val_to_int(&v, &count);
            if (rc == SM_OK)
                rc = sm_dict_set(d, sm_str("count"), sm_int(count - 1));
            sm_val_free(&v);
            sm_lock_release(lock);
        }
    }
    if (rc != SM_OK)
        fprintf(stderr, "worker: %s\n", sm_strerror(rc));
    sm_lock_close(lock);
    sm_dict_close(d);
    sm_disconnect(c);
    return rc == SM_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    sm_client *c;
    sm_dict *d;
    sm_lock *lock;
    sm_val v = {0};
    pid_t pids[WORKERS];
    int64_t count = -1;
    int failed = 0;

    if (argc > 1 && strcmp(argv[1], "worker") == 0)
        return worker();

    int rc = sm_connect(&c, NULL, NULL);
    if (rc != SM_OK) {
        fprintf(stderr, "counter: cannot connect: %s\n", sm_strerror(rc));
        return 1;
    }
    if ((rc = sm_dict_open(c, "counter", SM_CREATE, NULL, &d)) ||
        (rc = sm_lock_open(c, "counter.lock", SM_CREATE, NULL, &lock)) ||
        (rc = sm_dict_set(d, sm_str("count"), sm_int(WORKERS)))) {
        fprintf(stderr, "counter: %s\n", sm_strerror(rc));
        return 1;
    }

    char *worker_argv[] = {argv[0], "worker", NULL};
    for (int i = 0; i < WORKERS; i++)
        if (posix_spawn(&pids[i], "/proc/self/exe", NULL, NULL, worker_argv, environ) != 0) {
            perror("counter: posix_spawn");
            return 1;
        }
    for (int i = 0; i < WORKERS; i++) {
        int status;
        waitpid(pids[i], &status, 0);
        failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    }

    if ((rc = sm_dict_get(d, sm_str("count"), &v)) == SM_OK)
        rc = sm_val_to_int(&v, &count);
    sm_val_free(&v);
    if (rc != SM_OK)
        fprintf(stderr, "counter: %s\n", sm_strerror(rc));
    printf("count = %lld\n", (long long)count);
    if (failed)
        fprintf(stderr, "counter: %d workers failed\n", failed);

    sm_lock_close(lock);
    sm_dict_close(d);
    sm_disconnect(c);
    return rc == SM_OK && count == 0 && !failed ? 0 : 1;
}
