/* harness.c - spawn the real broker and child processes; shared test steps
 * (the raw protocol is in harness_raw.c). */
#include "harness.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <nng/protocol/reqrep0/req.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "errors.h"

#define MAX_EXTRA_ARGS 16
#define MAX_LIVE 8

/* ---- small helpers -------------------------------------------------------- */

int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int keyfile_write(const char *path, const void *key, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    /* fchmod: the umask must not decide the mode under test */
    int ok = write(fd, key, len) == (ssize_t)len && fchmod(fd, mode) == 0;
    return close(fd) == 0 && ok ? 0 : -1;
}

/* ---- the broker ----------------------------------------------------------- */

/* Brokers started and not yet stopped: a failing test exits (Check calls
 * exit() in its forked test process) and this cleans up after it. */
static struct sm_broker *live[MAX_LIVE];

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];
    if (!d)
        return;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static void janitor_stop(struct sm_broker *b);

static void live_del(struct sm_broker *b)
{
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i] == b)
            live[i] = NULL;
}

static void at_exit_cleanup(void)
{
    for (int i = 0; i < MAX_LIVE; i++) {
        struct sm_broker *b = live[i];
        if (!b)
            continue;
        live[i] = NULL;
        fprintf(stderr, "harness: test ended with broker %d still running\n", (int)b->pid);
        if (b->pid > 0) {
            kill(b->pid, SIGKILL);
            waitpid(b->pid, NULL, 0);
        }
        broker_dump_log(b);
        remove_dir(b->dir);
        janitor_stop(b);
    }
}

/*
 * Check ends a failed test with _exit() in its forked test process, so no
 * exit handler runs there.  A janitor process, forked with the scratch
 * directory, waits for the test process to go: told "S" (broker_stop() ran)
 * it just exits; at EOF -- the test died -- it prints the broker log and
 * removes the directory.  The broker itself dies with the test (PDEATHSIG).
 * The janitor has its own process group: Check kills the test's group.
 */
static void janitor_start(struct sm_broker *b)
{
    int p[2];
    char c;
    if (pipe2(p, O_CLOEXEC) < 0)
        return;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0); /* Check SIGKILLs the test's process group when it ends */
        /* keep only stderr and the pipe: hold no other process's pipes open */
        if (p[0] > 3)
            close_range(3, (unsigned)p[0] - 1, 0);
        close_range((unsigned)p[0] + 1, ~0u, 0);
        ssize_t n;
        while ((n = read(p[0], &c, 1)) < 0 && errno == EINTR)
            ;
        if (n == 1)
            _exit(0);
        sleep_ms(200); /* the broker's SIGKILL from PR_SET_PDEATHSIG */
        fprintf(stderr, "harness: the test process died with syncmgrd running\n");
        broker_dump_log(b);
        remove_dir(b->dir);
        _exit(0);
    }
    close(p[0]);
    if (pid < 0) {
        close(p[1]);
        return;
    }
    b->janitor = pid;
    b->janitor_fd = p[1];
}

static void janitor_stop(struct sm_broker *b)
{
    if (b->janitor <= 0)
        return;
    if (write(b->janitor_fd, "S", 1) != 1)
        kill(b->janitor, SIGKILL);
    close(b->janitor_fd);
    waitpid(b->janitor, NULL, 0);
    b->janitor = 0;
}

static void live_add(struct sm_broker *b)
{
    static bool registered;
    if (!registered) {
        atexit(at_exit_cleanup);
        registered = true;
    }
    for (int i = 0; i < MAX_LIVE; i++)
        if (!live[i] || live[i] == b) {
            live[i] = b;
            return;
        }
}

int broker_init(struct sm_broker *b)
{
    uint8_t raw[32];
    char hex[65];
    if (b->dir[0])
        return 0;
    memset(b, 0, sizeof(*b));
    snprintf(b->dir, sizeof(b->dir), "/tmp/sm-it-XXXXXX");
    if (!mkdtemp(b->dir)) {
        perror("harness: mkdtemp");
        b->dir[0] = 0;
        return -1;
    }
    snprintf(b->sockpath, sizeof(b->sockpath), "%s/syncmgrd.sock", b->dir);
    snprintf(b->address, sizeof(b->address), "ipc://%s", b->sockpath);
    snprintf(b->keyfile, sizeof(b->keyfile), "%s/authkey", b->dir);
    snprintf(b->logfile, sizeof(b->logfile), "%s/broker.log", b->dir);

    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, raw, sizeof(raw)) != (ssize_t)sizeof(raw)) {
        perror("harness: /dev/urandom");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    for (size_t i = 0; i < sizeof(raw); i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    hex[64] = '\n';
    if (keyfile_write(b->keyfile, hex, sizeof(hex), 0600) < 0) {
        perror("harness: writing the key file");
        return -1;
    }
    live_add(b);
    janitor_start(b);
    return 0;
}

/* reap() - true once the broker has exited (b->status set, pid cleared). */
static bool reap(struct sm_broker *b)
{
    if (b->pid <= 0)
        return true;
    if (waitpid(b->pid, &b->status, WNOHANG) == b->pid) {
        b->pid = 0;
        return true;
    }
    return false;
}

static int spawn_broker(struct sm_broker *b, const char *const *extra, int nextra)
{
    const char *bin = getenv("SYNCMGRD");
    const char *argv[12 + MAX_EXTRA_ARGS];
    int n = 0;
    if (!bin) {
        fprintf(stderr, "harness: $SYNCMGRD is not set (run through ctest)\n");
        return -1;
    }
    argv[n++] = bin;
    argv[n++] = "--config"; /* never the machine's own /etc/syncmgr/syncmgrd.conf */
    argv[n++] = "/dev/null";
    argv[n++] = "--listen";
    argv[n++] = b->address;
    argv[n++] = "--authkey-file";
    argv[n++] = b->keyfile;
    argv[n++] = "--log-level";
    argv[n++] = "info";
    const char *engine = getenv("SM_TEST_IPC_ENGINE"); /* nng|direct: overrides the default */
    if (engine) {
        argv[n++] = "--ipc-engine";
        argv[n++] = engine;
    }
    for (int i = 0; i < nextra; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;

    int logfd = open(b->logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (logfd < 0) {
        perror("harness: broker log");
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        perror("harness: fork");
        close(logfd);
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        dup2(logfd, STDERR_FILENO);
        execv(bin, (char *const *)argv);
        dprintf(logfd, "harness: exec %s: %s\n", bin, strerror(errno));
        _exit(127);
    }
    close(logfd);
    b->pid = pid;
    b->status = 0;
    return 0;
}

/* probe() - the broker completes a handshake, within time limits (a raw
 * socket: sm_connect() has none, and a broker that accepts but never
 * answers must not hang the test). */
static bool probe(struct sm_broker *b)
{
    struct raw_conn r;
    if (raw_open(&r, b->address) != 0)
        return false;
    int st = raw_handshake(&r, b->keyfile);
    raw_close(&r);
    return st == SM_OK;
}

/* start_with() - broker_start() with the extra arguments in @ap. */
static int start_with(struct sm_broker *b, va_list ap)
{
    const char *extra[MAX_EXTRA_ARGS];
    int nextra = 0;
    for (const char *a; (a = va_arg(ap, const char *));)
        if (nextra < MAX_EXTRA_ARGS)
            extra[nextra++] = a;

    if (broker_init(b) < 0 || spawn_broker(b, extra, nextra) < 0)
        return -1;
    live_add(b);
    int64_t give_up = mono_ms() + 30000; /* a busy machine; see RAW_WAIT_MS */
    while (mono_ms() < give_up) {
        struct stat st;
        if (reap(b)) {
            fprintf(stderr, "harness: syncmgrd exited during start-up (wait status %#x)\n",
                    (unsigned)b->status);
            broker_dump_log(b);
            return -1;
        }
        if (stat(b->sockpath, &st) == 0 && probe(b)) {
            sm_client *c = NULL;
            int rc = sm_connect(&c, b->address, b->keyfile);
            if (rc == SM_OK) {
                sm_disconnect(c);
                return 0;
            }
            fprintf(stderr, "harness: sm_connect: %s\n", sm_strerror(rc));
        }
        sleep_ms(20);
    }
    fprintf(stderr, "harness: syncmgrd did not answer within 30 s\n");
    broker_kill(b, SIGKILL, 5000);
    broker_dump_log(b);
    return -1;
}

int broker_start(struct sm_broker *b, ...)
{
    va_list ap;
    va_start(ap, b);
    int rc = start_with(b, ap);
    va_end(ap);
    return rc;
}

void broker_crash(struct sm_broker *b)
{
    broker_kill(b, SIGKILL, 5000);
    /* the dead broker's socket file: start-up would take it for a live one
     * and wait for it (raw_open() of a refusing path) */
    unlink(b->sockpath);
}

int broker_restart(struct sm_broker *b, ...)
{
    va_list ap;
    broker_crash(b);
    va_start(ap, b);
    int rc = start_with(b, ap);
    va_end(ap);
    return rc;
}

int broker_kill(struct sm_broker *b, int sig, int timeout_ms)
{
    if (reap(b))
        return b->status;
    kill(b->pid, sig);
    int64_t give_up = mono_ms() + timeout_ms;
    while (!reap(b)) {
        if (mono_ms() >= give_up) {
            fprintf(stderr, "harness: syncmgrd %d ignored signal %d for %d ms; SIGKILL\n",
                    (int)b->pid, sig, timeout_ms);
            kill(b->pid, SIGKILL);
            waitpid(b->pid, &b->status, 0);
            b->pid = 0;
            break;
        }
        sleep_ms(5);
    }
    return b->status;
}

void broker_stop(struct sm_broker *b, bool check_status)
{
    int status = broker_kill(b, SIGTERM, 10000);
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (check_status && !ok)
        broker_dump_log(b);
    live_del(b);
    remove_dir(b->dir);
    janitor_stop(b);
    b->dir[0] = 0;
    if (check_status)
        ck_assert_msg(ok, "syncmgrd wait status %#x (%s %d), expected exit 0", (unsigned)status,
                      WIFSIGNALED(status) ? "signal" : "exit",
                      WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

bool broker_alive(struct sm_broker *b)
{
    return !reap(b) && kill(b->pid, 0) == 0;
}

int broker_connect(struct sm_broker *b, sm_client **out)
{
    return sm_connect(out, b->address, b->keyfile);
}

void broker_setenv(struct sm_broker *b)
{
    setenv("SYNCMGR_ADDRESS", b->address, 1);
    setenv("SYNCMGR_AUTHKEY_FILE", b->keyfile, 1);
}

void broker_dump_log(struct sm_broker *b)
{
    char buf[4096];
    size_t n;
    FILE *f = fopen(b->logfile, "r");
    fprintf(stderr, "---- %s ----\n", b->logfile);
    if (f) {
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
            fwrite(buf, 1, n, stderr);
        fclose(f);
    }
    fprintf(stderr, "---- end of broker log ----\n");
}

int broker_log_count(struct sm_broker *b, const char *needle)
{
    char line[4096];
    int n = 0;
    FILE *f = fopen(b->logfile, "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        n += strstr(line, needle) != NULL;
    fclose(f);
    return n;
}

bool broker_log_contains(struct sm_broker *b, const char *needle)
{
    return broker_log_count(b, needle) > 0;
}

/* ---- child processes ------------------------------------------------------ */

#define CHILD_FLAG "--sm-child"

void child_dispatch(int argc, char **argv, const struct child_prog *progs)
{
    if (argc < 3 || strcmp(argv[1], CHILD_FLAG) != 0)
        return;
    for (; progs->name; progs++)
        if (!strcmp(progs->name, argv[2])) {
            int rc = progs->fn(argc - 3, argv + 3);
            fflush(NULL);
            exit(rc);
        }
    fprintf(stderr, "harness: no child program %s\n", argv[2]);
    exit(127);
}

pid_t child_spawn(int *in, int *out, const char *name, ...)
{
    const char *argv[4 + MAX_EXTRA_ARGS] = {"/proc/self/exe", CHILD_FLAG, name};
    int n = 3, pin[2] = {-1, -1}, pout[2] = {-1, -1};
    va_list ap;
    va_start(ap, name);
    for (const char *a; (a = va_arg(ap, const char *));)
        if (n < 3 + MAX_EXTRA_ARGS)
            argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;

    /* O_CLOEXEC on every end: a child must not hold another child's pipe */
    if ((in && pipe2(pin, O_CLOEXEC) < 0) || (out && pipe2(pout, O_CLOEXEC) < 0)) {
        perror("harness: pipe2");
        return -1;
    }
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("harness: fork");
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        if (in)
            dup2(pin[0], STDIN_FILENO);
        if (out)
            dup2(pout[1], STDOUT_FILENO);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    if (in) {
        close(pin[0]);
        *in = pin[1];
    }
    if (out) {
        close(pout[1]);
        *out = pout[0];
    }
    return pid;
}

pid_t child_fork(int (*fn)(void *), void *arg)
{
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int rc = fn(arg);
        fflush(NULL);
        _exit(rc);
    }
    return pid;
}

int child_wait(pid_t pid, int timeout_ms)
{
    int status;
    int64_t give_up = mono_ms() + timeout_ms;
    for (;;) {
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid)
            break;
        if (got < 0 && errno != EINTR)
            return -1;
        if (mono_ms() >= give_up) {
            fprintf(stderr, "harness: child %d still running after %d ms; SIGKILL\n", (int)pid,
                    timeout_ms);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        sleep_ms(5);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- val_repr ------------------------------------------------------------- */

struct text {
    char *buf;
    size_t len, cap;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (t->len < t->cap) {
        int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        t->len += n > 0 ? (size_t)n : 0;
        if (t->len >= t->cap)
            t->len = t->cap - 1;
    }
    va_end(ap);
}

static void put_bytes(struct text *t, const char *prefix, const void *p, size_t n)
{
    const unsigned char *s = p;
    put(t, "%s'", prefix);
    for (size_t i = 0; i < n; i++)
        put(t, s[i] >= 0x20 && s[i] < 0x7f && s[i] != '\'' && s[i] != '\\' ? "%c" : "\\x%02x",
            s[i]);
    put(t, "'");
}

static void put_float(struct text *t, double f)
{
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%.17g", f);
    put(t, "%s%s", tmp, strpbrk(tmp, ".eninf") ? "" : ".0");
}

static int repr_mp(struct text *t, mp_reader *r)
{
    uint32_t n;
    int64_t i;
    uint64_t u;
    double f;
    bool b;
    const char *s;
    const void *p;
    switch (mp_peek(r)) {
    case MP_NIL:
        put(t, "None");
        return mp_read_nil(r);
    case MP_BOOL:
        put(t, mp_read_bool(r, &b) ? "?" : b ? "True" : "False");
        return 0;
    case MP_UINT:
        if (mp_read_uint(r, &u))
            return -1;
        put(t, "%llu", (unsigned long long)u);
        return 0;
    case MP_INT:
        if (mp_read_int(r, &i))
            return -1;
        put(t, "%lld", (long long)i);
        return 0;
    case MP_FLOAT:
        if (mp_read_double(r, &f))
            return -1;
        put_float(t, f);
        return 0;
    case MP_STR:
        if (mp_read_str(r, &s, &n))
            return -1;
        put_bytes(t, "", s, n);
        return 0;
    case MP_BIN:
        if (mp_read_bin(r, &p, &n))
            return -1;
        put_bytes(t, "b", p, n);
        return 0;
    case MP_ARRAY:
        if (mp_read_array(r, &n))
            return -1;
        put(t, "[");
        for (uint32_t k = 0; k < n; k++) {
            put(t, k ? ", " : "");
            if (repr_mp(t, r))
                return -1;
        }
        put(t, "]");
        return 0;
    case MP_MAP:
        if (mp_read_map(r, &n))
            return -1;
        put(t, "{");
        for (uint32_t k = 0; k < n; k++) {
            put(t, k ? ", " : "");
            if (repr_mp(t, r))
                return -1;
            put(t, ": ");
            if (repr_mp(t, r))
                return -1;
        }
        put(t, "}");
        return 0;
    default: {
        const uint8_t *raw;
        size_t len;
        put(t, "<ext>");
        return mp_read_raw(r, &raw, &len);
    }
    }
}

const char *val_repr(const sm_val *v)
{
    static __thread char buf[65536];
    struct text t = {buf, 0, sizeof(buf)};
    buf[0] = 0;
    switch (v->type) {
    case SM_V_NIL:
        put(&t, "None");
        break;
    case SM_V_BOOL:
        put(&t, v->v.b ? "True" : "False");
        break;
    case SM_V_INT:
        put(&t, "%lld", (long long)v->v.i);
        break;
    case SM_V_UINT:
        put(&t, "%llu", (unsigned long long)v->v.u);
        break;
    case SM_V_F64:
        put_float(&t, v->v.f);
        break;
    case SM_V_STR:
        put_bytes(&t, "", v->v.buf.ptr, v->v.buf.len);
        break;
    case SM_V_BIN:
        put_bytes(&t, "b", v->v.buf.ptr, v->v.buf.len);
        break;
    case SM_V_MSGPACK: {
        mp_reader r;
        if (mp_validate(v->v.buf.ptr, v->v.buf.len, SM_MAX_DEPTH + 1) != SM_OK) {
            put(&t, "<malformed msgpack>");
            break;
        }
        mp_reader_init(&r, v->v.buf.ptr, v->v.buf.len);
        if (repr_mp(&t, &r))
            put(&t, "<unreadable msgpack>");
        break;
    }
    default:
        put(&t, "<type %d>", (int)v->type);
    }
    return buf;
}

/* ---- shared test steps ---------------------------------------------------- */

void broker_wait_log(struct sm_broker *b, const char *needle)
{
    int64_t give_up = mono_ms() + 10000;
    while (!broker_log_contains(b, needle)) {
        ck_assert_msg(mono_ms() < give_up, "broker log never said '%s'", needle);
        sleep_ms(20);
    }
}

void broker_up(struct sm_broker *b, sm_client **cli, struct raw_conn *adm)
{
    memset(b, 0, sizeof(*b));
    ck_assert_int_eq(broker_start(b, NULL), 0);
    broker_setenv(b);
    ck_sm(broker_connect(b, cli), SM_OK);
    if (adm)
        raw_admin(b, adm);
}

void broker_down(struct sm_broker *b, sm_client **cli, struct raw_conn *adm)
{
    if (adm)
        raw_close(adm);
    sm_disconnect(*cli);
    *cli = NULL;
    broker_stop(b, true);
}

struct sm_broker fx_broker;
sm_client *fx_cli;

void fx_setup(void)
{
    broker_up(&fx_broker, &fx_cli, NULL);
}

void fx_teardown(void)
{
    broker_down(&fx_broker, &fx_cli, NULL);
}

size_t read_all(int fd, char *buf, size_t cap, int timeout_ms)
{
    size_t len = 0;
    int64_t give_up = mono_ms() + timeout_ms;
    while (len + 1 < cap) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int left = (int)(give_up - mono_ms());
        if (left <= 0 || poll(&pfd, 1, left) <= 0)
            break;
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n <= 0)
            break; /* EOF: the writer and all its children are done */
        len += (size_t)n;
    }
    buf[len] = 0;
    return len;
}

int run_example(const char *name, char *out, size_t outlen, int timeout_ms)
{
    const char *dir = getenv("SM_EXAMPLES_DIR");
    char path[512];
    int p[2];
    ck_assert_msg(dir != NULL, "$SM_EXAMPLES_DIR is not set (run through ctest)");
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    ck_assert_msg(access(path, X_OK) == 0, "%s: %s (build the examples)", path, strerror(errno));
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    fflush(NULL);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(p[1], STDOUT_FILENO);
        execl(path, path, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    int64_t t0 = mono_ms();
    read_all(p[0], out, outlen, timeout_ms);
    close(p[0]);
    int left = timeout_ms - (int)(mono_ms() - t0);
    int rc = child_wait(pid, left > 1000 ? left : 1000);
    fprintf(stderr, "---- %s (exit %d) ----\n%s", name, rc, out);
    return rc;
}

void join_within(pthread_t t, int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    ck_assert_msg(pthread_timedjoin_np(t, NULL, &ts) == 0, "thread still blocked after %d ms",
                  timeout_ms);
}
