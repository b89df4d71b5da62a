/*
 * list_append.c - two processes append to one shared list while a third
 * watches it grow.
 *
 *   writer A appends 100, 101, ..., 104
 *   writer B appends 300, 301, ..., 308
 *   the reader prints the list whenever it changes
 *
 * The list lives in syncmgrd under the name "numbers".  The two writers'
 * numbers interleave in whatever order the broker received them, but each
 * writer's own numbers stay in order: the program checks exactly that and
 * exits 0 when the final list holds the 14 numbers so.
 *
 * The address and key come from $SYNCMGR_ADDRESS and $SYNCMGR_AUTHKEY_FILE.
 * Writers and the reader are this program started again with an argument
 * ("writer FIRST COUNT", "reader TOTAL"); see counter.c for why not fork().
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syncmgr.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static void pause_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000};
    nanosleep(&ts, NULL);
}

/* open_numbers() - connect on our own and open the shared list. */
static sm_list *open_numbers(sm_client **c, int flags)
{
    sm_list *l = NULL;
    int rc = sm_connect(c, NULL, NULL);
    if (rc == SM_OK)
        rc = sm_list_open(*c, "numbers", flags, NULL, &l);
    if (rc != SM_OK)
        fprintf(stderr, "list_append: %s\n", sm_strerror(rc));
    return l;
}

/* snapshot() - the list's numbers (at most @max) into @out; their count, or -1. */
static int snapshot(sm_list *l, int64_t *out, int max)
{
    sm_val copy = {0}, *items;
    size_t n;
    int got = -1;
    if (sm_list_copy(l, &copy) == SM_OK && sm_val_items(&copy, &items, &n) == SM_OK) {
        for (got = 0; got < (int)n && got < max; got++)
            if (sm_val_to_int(&items[got], &out[got]) != SM_OK)
                break;
        sm_vals_free(items, n);
    }
    sm_val_free(&copy);
    return got;
}

static void print_list(const char *label, const int64_t *v, int n)
{
    printf("%s[", label);
    for (int i = 0; i < n; i++)
        printf("%s%lld", i ? ", " : "", (long long)v[i]);
    printf("]\n");
    fflush(stdout);
}

/* writer FIRST COUNT: append FIRST, FIRST+1, ... one at a time */
static int writer(int64_t first, int count)
{
    sm_client *c;
    sm_list *l = open_numbers(&c, 0);
    int rc = l ? SM_OK : SM_ECONN;
    for (int i = 0; i < count && rc == SM_OK; i++) {
        rc = sm_list_append(l, sm_int(first + i));
        pause_ms(2); /* give the other writer a chance to interleave */
    }
    sm_list_close(l);
    sm_disconnect(c);
    return rc == SM_OK ? 0 : 1;
}

/* reader TOTAL: print the list each time it changes, until it has TOTAL items */
static int reader(int total)
{
    sm_client *c;
    int64_t v[64];
    int n, seen = 0;
    sm_list *l = open_numbers(&c, 0);
    for (int tries = 0; l && seen < total && tries < 10000; tries++) {
        if ((n = snapshot(l, v, 64)) != seen && n >= 0) {
            print_list("reader sees ", v, n);
            seen = n;
        }
        pause_ms(1);
    }
    sm_list_close(l);
    sm_disconnect(c);
    return seen == total ? 0 : 1;
}

static pid_t start(char **argv)
{
    pid_t pid;
    return posix_spawn(&pid, "/proc/self/exe", NULL, NULL, argv, environ) == 0 ? pid : -1;
}

/* in_order() - the numbers of @v within [lo, lo+count) are exactly lo, lo+1, ... */
static bool in_order(const int64_t *v, int n, int64_t lo, int count)
{
    int64_t next = lo;
    for (int i = 0; i < n; i++)
        if (v[i] >= lo && v[i] < lo + count && v[i] != next++)
            return false;
    return next == lo + count;
}

int main(int argc, char **argv)
{
    sm_client *c;
    int64_t v[64];
    int failed = 0;

    if (argc == 4 && strcmp(argv[1], "writer") == 0)
        return writer(atoll(argv[2]), atoi(argv[3]));
    if (argc == 3 && strcmp(argv[1], "reader") == 0)
        return reader(atoi(argv[2]));

    sm_list *l = open_numbers(&c, SM_CREATE);
    if (!l || sm_list_clear(l) != SM_OK)
        return 1;

    char *reader_argv[] = {argv[0], "reader", "14", NULL};
    char *a_argv[] = {argv[0], "writer", "100", "5", NULL};
    char *b_argv[] = {argv[0], "writer", "300", "9", NULL};
    pid_t pids[] = {start(reader_argv), start(a_argv), start(b_argv)};
    for (int i = 0; i < 3; i++) {
        int status;
        failed += pids[i] < 0 || waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
                  WEXITSTATUS(status) != 0;
    }

    int n = snapshot(l, v, 64);
    print_list("final: ", v, n < 0 ? 0 : n);
    bool ok = !failed && n == 14 && in_order(v, n, 100, 5) && in_order(v, n, 300, 9);
    if (!ok)
        fprintf(stderr, "list_append: expected 100..104 and 300..308, each in order%s\n",
                failed ? " (a child process failed)" : "");
    sm_list_close(l);
    sm_disconnect(c);
    return ok ? 0 : 1;
}
