/*
 * test_notify.c - plays systemd's side of the notify protocol against the
 * real $SYNCMGRD: a datagram socket at $NOTIFY_SOCKET, $WATCHDOG_USEC and
 * $WATCHDOG_PID; READY=1 only once the ipc socket accepts, STATUS= with
 * live figures, WATCHDOG=1 at half the watchdog time, STOPPING=1 on
 * SIGTERM and exit status 0.  Skipped (exit 77) when syncmgrd is built
 * without libsystemd (SM_WITH_SYSTEMD=OFF).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_run.h"
#include "harness.h"

/* systemd's end: the socket and the broker it supervises */
struct manager {
    struct sm_broker b;
    char path[100]; /* fits sun_path */
    int fd;
};

static void manager_open(struct manager *m)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    ck_assert_int_eq(broker_init(&m->b), 0);
    snprintf(m->path, sizeof(m->path), "%s/notify.sock", m->b.dir);
    memcpy(sa.sun_path, m->path, sizeof(m->path));
    m->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(m->fd, 0);
    ck_assert_int_eq(bind(m->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

/**
 * manager_spawn() - fork + exec $SYNCMGRD on the harness's address and key
 * with $NOTIFY_SOCKET and a 1 s watchdog.  WATCHDOG_PID is set in the child
 * before exec, to its own pid (the broker's, since exec keeps it) or, when
 * @foreign, to another process's.
 */
static void manager_spawn(struct manager *m, bool foreign)
{
    const char *bin = getenv("SYNCMGRD");
    ck_assert_ptr_nonnull(bin);
    int logfd = open(m->b.logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    ck_assert_int_ge(logfd, 0);
    pid_t parent = getpid();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        char wpid[32];
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        snprintf(wpid, sizeof(wpid), "%d", foreign ? (int)parent : (int)getpid());
        setenv("NOTIFY_SOCKET", m->path, 1);
        setenv("WATCHDOG_USEC", "1000000", 1);
        setenv("WATCHDOG_PID", wpid, 1);
        dup2(logfd, STDERR_FILENO);
        execl(bin, bin, "--config", "/dev/null", "--listen", m->b.address, "--authkey-file",
              m->b.keyfile, "--log-level", "debug", (char *)NULL);
        _exit(127);
    }
    close(logfd);
    m->b.pid = pid;
}

/* manager_recv() - the next datagram within @timeout_ms into @buf; false
 * when none came. */
static bool manager_recv(struct manager *m, char *buf, size_t len, int timeout_ms)
{
    struct pollfd pfd = {.fd = m->fd, .events = POLLIN};
    if (poll(&pfd, 1, timeout_ms) <= 0)
        return false;
    ssize_t n = recv(m->fd, buf, len - 1, 0);
    ck_assert_int_ge(n, 0);
    buf[n] = 0;
    return true;
}

/* has_line() - @msg holds the line @line ("READY=1") or one starting so
 * ("STATUS=") when @prefix. */
static const char *has_line(const char *msg, const char *line, bool prefix)
{
    size_t n = strlen(line);
    for (const char *p = msg; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (!strncmp(p, line, n) && (prefix || p[n] == '\n' || p[n] == 0))
            return p + n;
    return NULL;
}

/* status_figures() - parse "STATUS=N sessions, N objects, N ops/s". */
static bool status_figures(const char *msg, unsigned *sessions, unsigned *objects)
{
    unsigned long long ops;
    const char *st = has_line(msg, "STATUS=", true);
    return st && sscanf(st, "%u sessions, %u objects, %llu ops/s", sessions, objects, &ops) == 3;
}

static void manager_close(struct manager *m, int want_status)
{
    int st = broker_kill(&m->b, SIGTERM, 10000);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == want_status, "wait status %#x", st);
    close(m->fd);
    broker_stop(&m->b, false);
}

START_TEST(ready_status_watchdog_stopping)
{
    struct manager m = {0};
    char msg[1024];
    unsigned sessions, objects;
    manager_open(&m);
    manager_spawn(&m, false);

    /* READY=1 comes first (no WATCHDOG=1 before it) and with a STATUS= */
    ck_assert_msg(manager_recv(&m, msg, sizeof(msg), 10000), "no datagram from syncmgrd");
    ck_assert_msg(has_line(msg, "READY=1", false), "first datagram: '%s'", msg);
    int64_t ready_at = mono_ms();
    /* ... and the socket accepts at once: raw_open() does not redial */
    struct raw_conn r;
    ck_assert_int_eq(raw_open(&r, m.b.address), 0);
    ck_assert_int_eq(raw_handshake(&r, m.b.keyfile), SM_OK);
    ck_assert_msg(status_figures(msg, &sessions, &objects), "READY without figures: '%s'", msg);
    ck_assert_uint_eq(objects, 0);

    /* objects and a session show in a later STATUS= */
    sm_client *c;
    sm_dict *d;
    ck_sm(broker_connect(&m.b, &c), SM_OK);
    ck_sm(sm_dict_open(c, "notify-d1", SM_CREATE, NULL, &d), SM_OK);
    ck_sm(sm_dict_set(d, sm_str("k"), sm_int(1)), SM_OK);

    int watchdogs = 0, watchdogs_2s = 0;
    bool seen = false;
    while (mono_ms() - ready_at < 8000 && !(seen && watchdogs_2s >= 2)) {
        if (!manager_recv(&m, msg, sizeof(msg), 1000))
            continue;
        if (has_line(msg, "WATCHDOG=1", false)) {
            watchdogs++;
            if (mono_ms() - ready_at <= 2200)
                watchdogs_2s++;
        }
        if (status_figures(msg, &sessions, &objects) && objects >= 1 && sessions >= 1)
            seen = true;
        ck_assert_msg(!has_line(msg, "STOPPING=1", false), "STOPPING before SIGTERM");
    }
    ck_assert_msg(watchdogs_2s >= 2, "%d WATCHDOG=1 within 2 s of READY=1 (%d in all)",
                  watchdogs_2s, watchdogs);
    ck_assert_msg(seen, "no STATUS= with the session and its object");
    sm_dict_close(d);
    sm_disconnect(c);
    raw_close(&r);

    /* SIGTERM: STOPPING=1, then exit 0 */
    ck_assert_int_eq(kill(m.b.pid, SIGTERM), 0);
    bool stopping = false;
    for (int64_t until = mono_ms() + 10000; !stopping && mono_ms() < until;)
        if (manager_recv(&m, msg, sizeof(msg), 1000))
            stopping = has_line(msg, "STOPPING=1", false) != NULL;
    ck_assert_msg(stopping, "no STOPPING=1 after SIGTERM");
    manager_close(&m, 0);
}
END_TEST

/* WATCHDOG_PID names another process: the watchdog is not ours to feed. */
START_TEST(watchdog_for_another_pid)
{
    struct manager m = {0};
    char msg[1024];
    manager_open(&m);
    manager_spawn(&m, true);
    ck_assert(manager_recv(&m, msg, sizeof(msg), 10000));
    ck_assert_msg(has_line(msg, "READY=1", false), "first datagram: '%s'", msg);
    for (int64_t until = mono_ms() + 1500; mono_ms() < until;)
        if (manager_recv(&m, msg, sizeof(msg), 200))
            ck_assert_msg(!has_line(msg, "WATCHDOG=1", false), "WATCHDOG=1 for another pid");
    manager_close(&m, 0);
}
END_TEST

/* SIGHUP: RELOADING=1, then READY=1 again. */
START_TEST(reload_notifies)
{
    struct manager m = {0};
    char msg[1024];
    manager_open(&m);
    manager_spawn(&m, false);
    ck_assert(manager_recv(&m, msg, sizeof(msg), 10000));
    ck_assert(has_line(msg, "READY=1", false));
    ck_assert_int_eq(kill(m.b.pid, SIGHUP), 0);
    bool reloading = false, ready = false;
    for (int64_t until = mono_ms() + 5000; !ready && mono_ms() < until;) {
        if (!manager_recv(&m, msg, sizeof(msg), 500))
            continue;
        reloading = reloading || has_line(msg, "RELOADING=1", false);
        ready = reloading && has_line(msg, "READY=1", false);
    }
    ck_assert_msg(ready, "no RELOADING=1 then READY=1 after SIGHUP");
    manager_close(&m, 0);
}
END_TEST

static Suite *notify_suite(void)
{
    Suite *s = suite_create("notify");
    TCase *tc = tcase_create("notify");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, ready_status_watchdog_stopping);
    tcase_add_test(tc, watchdog_for_another_pid);
    tcase_add_test(tc, reload_notifies);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!SM_HAVE_SYSTEMD) {
        printf("it_notify: skipped: syncmgrd is built without libsystemd (SM_WITH_SYSTEMD)\n");
        return 77; /* ctest: SKIP_RETURN_CODE */
    }
    return check_run(notify_suite(), CK_NORMAL);
}
