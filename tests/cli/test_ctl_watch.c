/*
 * test_ctl_watch.c - syncmgrctl watch and monitor against the real broker:
 * the tool runs as a child process with its stdout piped here, this process
 * makes changes through libsyncmgr, and each must show as a line within a
 * second; changes to other objects must not; monitor shows reads; SIGTERM
 * and SIGINT end the tool with exit status 0.
 */
#include <check.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "ctl_run.h"
#include "errors.h"

extern char **environ;

static sm_client *cli;
static sm_dict *d, *e;

static void setup(void)
{
    memset(&broker, 0, sizeof(broker));
    ck_assert_int_eq(broker_start(&broker, NULL), 0);
    ck_sm(broker_connect(&broker, &cli), SM_OK);
    ck_sm(sm_dict_open(cli, "d", SM_CREATE, NULL, &d), SM_OK);
    ck_sm(sm_dict_open(cli, "e", SM_CREATE, NULL, &e), SM_OK);
}

static void teardown(void)
{
    sm_dict_close(d);
    sm_dict_close(e);
    sm_disconnect(cli);
    cli = NULL;
    broker_stop(&broker, true);
}

/* A running syncmgrctl and what it has printed so far. */
struct tool {
    pid_t pid;
    int fd; /* its stdout */
    char buf[16384];
    size_t len, used; /* bytes read; bytes of lines already returned */
};

/* spawn() - syncmgrctl -a <broker> -k <key> @... with stdout piped to
 * t->fd (posix_spawn: this process has used nng, see harness.h). */
static void spawn(struct tool *t, const char *arg, ...) __attribute__((sentinel));
static void spawn(struct tool *t, const char *arg, ...)
{
    char *argv[16] = {getenv("SYNCMGRCTL"), "-a", broker.address, "-k", broker.keyfile};
    char err[200];
    int n = 5, p[2];
    va_list ap;
    va_start(ap, arg);
    for (; arg && n < 15; arg = va_arg(ap, const char *))
        argv[n++] = (char *)arg;
    va_end(ap);
    argv[n] = NULL;
    ck_assert_msg(argv[0] != NULL, "SYNCMGRCTL is not set");
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    snprintf(err, sizeof(err), "%s/watch.err", broker.dir);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    memset(t, 0, sizeof(*t));
    ck_assert_int_eq(posix_spawn(&t->pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    t->fd = p[0];
}

/* line() - the next line @t prints (without its newline), waiting up to
 * @timeout_ms; NULL if none came. */
static const char *line(struct tool *t, int timeout_ms)
{
    static char out[4096];
    int64_t give_up = mono_ms() + timeout_ms;
    for (;;) {
        char *nl = memchr(t->buf + t->used, '\n', t->len - t->used);
        if (nl) {
            size_t n = (size_t)(nl - (t->buf + t->used));
            snprintf(out, sizeof(out), "%.*s", (int)n, t->buf + t->used);
            t->used += n + 1;
            return out;
        }
        int left = (int)(give_up - mono_ms());
        struct pollfd pfd = {.fd = t->fd, .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, left) <= 0)
            return NULL;
        ck_assert_uint_lt(t->len, sizeof(t->buf) - 1);
        ssize_t r = read(t->fd, t->buf + t->len, sizeof(t->buf) - 1 - t->len);
        if (r <= 0)
            return NULL; /* it exited */
        t->len += (size_t)r;
    }
}

/* stop() - send @sig: the tool must exit 0 at once. */
static void stop(struct tool *t, int sig)
{
    char err[4096], path[200];
    ck_assert_int_eq(kill(t->pid, sig), 0);
    int code = child_wait(t->pid, 5000);
    snprintf(path, sizeof(path), "%s/watch.err", broker.dir);
    slurp(path, err, sizeof(err));
    ck_assert_msg(code == 0, "exit %d after signal %d; stderr: %s", code, sig, err);
    close(t->fd);
}

/* wait_parked() - until the broker has @n parked requests (the tool's
 * watch.next has arrived): `syncmgrctl --json stats`. */
static void wait_parked(long n)
{
    int64_t give_up = mono_ms() + 10000;
    for (;;) {
        ck_assert_int_eq(ctl("--json", "stats", NULL), 0);
        json_t *j = json_loads(R.out, 0, NULL);
        ck_assert_ptr_nonnull(j);
        long parked = (long)json_integer_value(json_object_get(j, "parked"));
        json_decref(j);
        if (parked >= n)
            return;
        ck_assert_msg(mono_ms() < give_up, "the watcher never parked");
        sleep_ms(20);
    }
}

/* ---- tests ------------------------------------------------------------------ */

START_TEST(watch_prints_a_change_within_a_second)
{
    struct tool t;
    char want[64];
    spawn(&t, "watch", "d", NULL);
    wait_parked(1);
    ck_sm(sm_dict_set(e, sm_str("k"), sm_int(1)), SM_OK); /* another object: not shown */
    int64_t t0 = mono_ms();
    ck_sm(sm_dict_set(d, sm_str("k"), sm_int(2)), SM_OK);
    const char *l = line(&t, 5000);
    int64_t took = mono_ms() - t0;
    ck_assert_msg(l != NULL, "no line from watch");
    snprintf(want, sizeof(want), "/%d dict.set d", (int)getpid());
    ck_assert_msg(strstr(l, want) != NULL, "line \"%s\" lacks \"%s\"", l, want);
    ck_assert_msg(took < 1000, "the line came %lld ms after the change", (long long)took);
    /* reads are no changes; the next change is the next line */
    sm_val v;
    ck_sm(sm_dict_get(d, sm_str("k"), &v), SM_OK);
    sm_val_free(&v);
    ck_sm(sm_dict_set(d, sm_str("k"), sm_int(3)), SM_OK);
    l = line(&t, 5000);
    ck_assert_ptr_nonnull(l);
    ck_assert_msg(strstr(l, want) != NULL, "line \"%s\" lacks \"%s\"", l, want);
    ck_assert_ptr_null(line(&t, 100));
    stop(&t, SIGTERM);
}
END_TEST

START_TEST(watch_all_json)
{
    struct tool t;
    spawn(&t, "--json", "watch", "--all", NULL);
    wait_parked(1);
    int64_t t0 = mono_ms();
    ck_sm(sm_dict_set(e, sm_str("k"), sm_int(1)), SM_OK);
    const char *l = line(&t, 5000);
    int64_t took = mono_ms() - t0;
    ck_assert_msg(l != NULL, "no line from watch --all");
    ck_assert_msg(took < 1000, "the line came %lld ms after the change", (long long)took);
    json_t *j = json_loads(l, 0, NULL);
    ck_assert_msg(j != NULL, "not JSON: %s", l);
    ck_assert_str_eq(json_string_value(json_object_get(j, "op")), "dict.set");
    ck_assert_str_eq(json_string_value(json_object_get(j, "object")), "e");
    ck_assert_int_eq(json_integer_value(json_object_get(j, "pid")), getpid());
    ck_assert(json_is_true(json_object_get(j, "change")));
    ck_assert(json_integer_value(json_object_get(j, "seq")) > 0);
    ck_assert(json_integer_value(json_object_get(j, "time_ms")) > 0);
    json_decref(j);
    stop(&t, SIGINT);
}
END_TEST

START_TEST(monitor_sees_a_read)
{
    struct tool t;
    char want[64];
    const char *l;
    sm_val v;
    spawn(&t, "monitor", NULL);
    wait_parked(1);
    int64_t t0 = mono_ms();
    ck_sm(sm_dict_get(d, sm_str("nope"), &v), SM_ENOKEY); /* failed: not an event */
    ck_sm(sm_dict_set(d, sm_str("k"), sm_int(1)), SM_OK);
    ck_sm(sm_dict_get(d, sm_str("k"), &v), SM_OK);
    sm_val_free(&v);
    snprintf(want, sizeof(want), "/%d dict.get d", (int)getpid());
    /* the stats calls of wait_parked() come first */
    while ((l = line(&t, 5000)) && !strstr(l, want))
        ck_assert_msg(!strstr(l, "dict.get"), "a failed get shown: %s", l);
    int64_t took = mono_ms() - t0;
    ck_assert_msg(l != NULL, "no dict.get line from monitor");
    ck_assert_msg(took < 1000, "the line came %lld ms after the read", (long long)took);
    stop(&t, SIGTERM);
}
END_TEST

START_TEST(watch_usage)
{
    ck_assert_int_eq(ctl("watch", NULL), 2);
    ck_assert_int_eq(ctl("watch", "", NULL), 2);
    ck_assert_int_eq(ctl("monitor", "x", NULL), 2);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("cli-ctl-watch");
    TCase *tc = tcase_create("syncmgrctl-watch");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, watch_prints_a_change_within_a_second);
    tcase_add_test(tc, watch_all_json);
    tcase_add_test(tc, monitor_sees_a_read);
    tcase_add_test(tc, watch_usage);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(suite(), CK_NORMAL);
}
