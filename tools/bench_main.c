/*
 * bench_main.c - syncmgr-bench: options, the client processes (this program
 * re-executed with --worker), the load holder (--load), and the sums.
 *
 *   syncmgr-bench [-a URL] [-k KEYFILE] [--workload W] [--clients N]
 *                 [--threads N] [--duration S] [--inflight N]
 *                 [--value-size B] [--idle-conns N] [--parked N] [--json]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "syncmgr.h"

#define READY_MS 120000 /* a child's connect and set-up, on busy cores */

static const char *const names[] = {
    [W_DICT_SET] = "dict-set", [W_DICT_GET] = "dict-get", [W_LIST_APPEND] = "list-append",
    [W_QUEUE] = "queue",       [W_LOCK] = "lock",         [W_INCR] = "incr",
    [W_BATCH] = "batch",
};

const char *workload_name(enum bench_workload w)
{
    return names[w];
}

static void usage(FILE *f)
{
    fprintf(
        f, "usage: syncmgr-bench [OPTIONS]\n"
           "Load a running syncmgrd and print operations per second and latency.\n\n"
           "  -a, --address URL      broker address (default: $SYNCMGR_ADDRESS or the default "
           "socket)\n"
           "  -k, --authkey-file F   key file (default: $SYNCMGR_AUTHKEY_FILE or the default key)\n"
           "  -w, --workload W       dict-set (default), dict-get, list-append, queue (a put and\n"
           "                         a get: one op), lock (an acquire and a release: one op),\n"
           "                         incr, batch-N (N dict sets in one sm_batch: N ops)\n"
           "  -c, --clients N        client processes (default 1), one connection each\n"
           "  -t, --threads N        threads per client sharing its connection (default 1)\n"
           "  -d, --duration S       seconds to run (default 5)\n"
           "  -i, --inflight N       pipelining depth: rounds of N calls in flight (default 1;\n"
           "                         not with lock or batch-N)\n"
           "  -s, --value-size B     bytes of each value written (default 16)\n"
           "      --keys N           distinct keys per thread, cycled (default 1000)\n"
           "      --keep             the objects stay after the run (default: temporary)\n"
           "      --idle-conns N     hold N more connections open and idle during the run\n"
           "      --parked N         hold N requests parked (event waits) during the run\n"
           "      --json             one JSON object: ops_per_s, p50_us, p99_us, p999_us, ...\n"
           "  -h, --help             this help\n\n"
           "A latency sample is one round: one op, one pipelined round or one batch.\n"
           "Objects are temporary (bench-dict, bench-list, bench-queue, bench-lock-*).\n");
}

/* parse_workload() - a name, or batch-N. */
static int parse_workload(const char *s, struct bench_opts *o)
{
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (i != W_BATCH && !strcmp(s, names[i])) {
            o->workload = (enum bench_workload)i;
            return 0;
        }
    char *end;
    if (strncmp(s, "batch-", 6))
        return -1;
    unsigned long n = strtoul(s + 6, &end, 10);
    if (*end || n < 1 || n > SM_BATCH_MAX)
        return -1;
    o->workload = W_BATCH;
    o->batch = (unsigned)n;
    return 0;
}

/* number() - a whole number in [lo, hi]; -1 otherwise. */
static long number(const char *s, long lo, long hi)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return errno || *end || end == s || v < lo || v > hi ? -1 : v;
}

enum { OPT_IDLE = 256, OPT_PARKED, OPT_JSON, OPT_WORKER, OPT_LOAD, OPT_KEYS, OPT_KEEP };

/* parse() - options into @o; *role: 0 parent, 1 worker, 2 load. */
static int parse(int argc, char **argv, struct bench_opts *o, int *role)
{
    static const struct option opts[] = {
        {"address", 1, NULL, 'a'},
        {"authkey-file", 1, NULL, 'k'},
        {"workload", 1, NULL, 'w'},
        {"clients", 1, NULL, 'c'},
        {"threads", 1, NULL, 't'},
        {"duration", 1, NULL, 'd'},
        {"inflight", 1, NULL, 'i'},
        {"value-size", 1, NULL, 's'},
        {"idle-conns", 1, NULL, OPT_IDLE},
        {"parked", 1, NULL, OPT_PARKED},
        {"json", 0, NULL, OPT_JSON},
        {"worker", 1, NULL, OPT_WORKER},
        {"load", 0, NULL, OPT_LOAD},
        {"help", 0, NULL, 'h'},
        {"keys", 1, NULL, OPT_KEYS},
        {"keep", 0, NULL, OPT_KEEP},
        {NULL, 0, NULL, 0},
    };
    long v = 0;
    int c;
    *o = (struct bench_opts){
        .clients = 1, .threads = 1, .duration = 5, .inflight = 1, .value_size = 16, .keys = 1000};
    while ((c = getopt_long(argc, argv, "a:k:w:c:t:d:i:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'a':
            o->address = optarg;
            break;
        case 'k':
            o->keyfile = optarg;
            break;
        case 'w':
            v = parse_workload(optarg, o);
            break;
        case 'c':
            v = o->clients = (unsigned)number(optarg, 1, 1024);
            break;
        case 't':
            v = o->threads = (unsigned)number(optarg, 1, 1024);
            break;
        case 'd':
            v = (o->duration = strtod(optarg, NULL)) > 0 ? 0 : -1;
            break;
        case 'i':
            v = o->inflight = (unsigned)number(optarg, 1, SM_PIPELINE_MAX);
            break;
        case 's':
            v = number(optarg, 0, 1 << 24);
            o->value_size = (size_t)v;
            break;
        case OPT_IDLE:
            v = o->idle_conns = (unsigned)number(optarg, 0, 1000000);
            break;
        case OPT_PARKED:
            v = o->parked = (unsigned)number(optarg, 0, 10000000);
            break;
        case OPT_KEYS:
            v = o->keys = (unsigned)number(optarg, 1, 100000000);
            break;
        case OPT_KEEP:
            o->keep = true;
            break;
        case OPT_JSON:
            o->json = true;
            break;
        case OPT_WORKER:
            *role = 1;
            v = o->id = (unsigned)number(optarg, 0, 1024);
            break;
        case OPT_LOAD:
            *role = 2;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return -1;
        }
        if (v == -1 || (unsigned)v == (unsigned)-1)
            return -1;
    }
    if (optind < argc)
        return -1;
    if (o->inflight > 1 && (o->workload == W_LOCK || o->workload == W_BATCH)) {
        fprintf(stderr, "syncmgr-bench: --inflight applies to neither lock nor batch-N "
                        "(pipelined calls may run in any order)\n");
        return -1;
    }
    return 0;
}

/* ---- children ------------------------------------------------------------- */

struct child {
    pid_t pid;
    int in, out; /* its stdin (we write), its stdout (we read) */
};

/* spawn() - this program again with argv + @extra1 @extra2. */
static int spawn(int argc, char **argv, const char *extra1, const char *extra2, struct child *ch)
{
    int pin[2], pout[2];
    char **args = calloc((size_t)argc + 3, sizeof(*args));
    if (!args || pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC))
        return -1;
    memcpy(args, argv, (size_t)argc * sizeof(*args));
    args[argc] = (char *)extra1;
    args[argc + 1] = (char *)extra2;
    ch->pid = fork();
    if (ch->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(pin[0], 0);
        dup2(pout[1], 1);
        execv("/proc/self/exe", args);
        _exit(127);
    }
    free(args);
    close(pin[0]);
    close(pout[1]);
    ch->in = pin[1];
    ch->out = pout[0];
    return ch->pid > 0 ? 0 : -1;
}

/* read_line() - one line from @fd within @ms into @buf; 0 or -1. */
static int read_line(int fd, char *buf, size_t cap, int ms)
{
    size_t n = 0;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (n + 1 < cap) {
        if (poll(&p, 1, ms) != 1 || read(fd, buf + n, 1) != 1)
            return -1;
        if (buf[n++] == '\n')
            break;
    }
    buf[n] = 0;
    return 0;
}

/* ---- the sums ------------------------------------------------------------- */

struct total {
    uint64_t ops, errors;
    double ops_per_s;
    struct hist h;
};

/* add_result() - one worker's "result OPS ERRORS SECONDS hist..." line. */
static int add_result(struct total *t, const char *line)
{
    unsigned long long ops, errors;
    double secs;
    int used = 0;
    if (sscanf(line, "result %llu %llu %lf%n", &ops, &errors, &secs, &used) != 3 || secs <= 0)
        return -1;
    t->ops += ops;
    t->errors += errors;
    t->ops_per_s += (double)ops / secs;
    return hist_read(&t->h, line + used);
}

static void print_total(const struct bench_opts *o, const struct total *t)
{
    char wl[32];
    if (o->workload == W_BATCH)
        snprintf(wl, sizeof(wl), "batch-%u", o->batch);
    else
        snprintf(wl, sizeof(wl), "%s", workload_name(o->workload));
    double p50 = hist_pct(&t->h, 50), p99 = hist_pct(&t->h, 99), p999 = hist_pct(&t->h, 99.9);
    if (o->json) {
        printf("{\"workload\": \"%s\", \"clients\": %u, \"threads\": %u, \"inflight\": %u, "
               "\"value_size\": %zu, \"duration_s\": %g, \"idle_conns\": %u, \"parked\": %u, "
               "\"ops\": %llu, \"errors\": %llu, \"ops_per_s\": %.0f, \"p50_us\": %.1f, "
               "\"p99_us\": %.1f, \"p999_us\": %.1f}\n",
               wl, o->clients, o->threads, o->inflight, o->value_size, o->duration, o->idle_conns,
               o->parked, (unsigned long long)t->ops, (unsigned long long)t->errors, t->ops_per_s,
               p50, p99, p999);
        return;
    }
    printf("%s: %u client(s) x %u thread(s), inflight %u, %zu-byte values, %g s", wl, o->clients,
           o->threads, o->inflight, o->value_size, o->duration);
    if (o->idle_conns || o->parked)
        printf(", %u idle connections, %u parked", o->idle_conns, o->parked);
    printf("\n  %.0f ops/s  (%llu ops, %llu errors)\n", t->ops_per_s, (unsigned long long)t->ops,
           (unsigned long long)t->errors);
    printf("  latency per %s: p50 %.1f us  p99 %.1f us  p99.9 %.1f us\n",
           o->workload == W_BATCH ? "batch"
           : o->inflight > 1      ? "pipelined round"
                                  : "op",
           p50, p99, p999);
}

/* parent() - start the load and the clients, go, add up, print. */
static int parent(int argc, char **argv, const struct bench_opts *o)
{
    unsigned n = o->clients + 1; /* [0]: the load holder, when there is one */
    struct child *ch = calloc(n, sizeof(*ch));
    struct total *t = calloc(1, sizeof(*t));
    char line[65536], id[16];
    int bad = !ch || !t;
    bool load = o->idle_conns || o->parked;
    for (unsigned i = 0; i < n && !bad; i++) {
        snprintf(id, sizeof(id), "%u", i - 1);
        if (i == 0 && !load)
            continue;
        bad = i == 0 ? spawn(argc, argv, "--load", NULL, &ch[i])
                     : spawn(argc, argv, "--worker", id, &ch[i]);
        if (!bad && read_line(ch[i].out, line, sizeof(line), READY_MS)) {
            fprintf(stderr, "syncmgr-bench: %s %u did not start\n", i ? "client" : "load", i);
            bad = 1;
        }
    }
    for (unsigned i = 1; i < n && !bad; i++)
        bad = write(ch[i].in, "g", 1) != 1;
    for (unsigned i = 1; i < n && !bad; i++) {
        int ms = (int)(o->duration * 1000) + READY_MS;
        if (read_line(ch[i].out, line, sizeof(line), ms) || add_result(t, line)) {
            fprintf(stderr, "syncmgr-bench: client %u gave no result\n", i - 1);
            bad = 1;
        }
    }
    for (unsigned i = 0; ch && i < n; i++) {
        if (!ch[i].pid)
            continue;
        close(ch[i].in);
        close(ch[i].out);
        if (bad)
            kill(ch[i].pid, SIGKILL);
        int st;
        waitpid(ch[i].pid, &st, 0);
        bad |= i > 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    if (!bad)
        print_total(o, t);
    free(ch);
    free(t);
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct bench_opts o;
    int role = 0;
    if (parse(argc, argv, &o, &role)) {
        usage(stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (role == 1)
        return bench_worker(&o);
    if (role == 2)
        return bench_load(&o);
    return parent(argc, argv, &o);
}
