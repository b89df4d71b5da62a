/*
 * test_ipc_server.c - the broker's own ipc:// engine (--ipc-engine direct,
 * ipc_server.h) against every kind of client: libsyncmgr's direct client
 * and its nng path ($SYNCMGR_IPC_NNG), raw nng REQ sockets, many threads
 * and 200+ connections; parked requests answered by another client and by
 * their deadline; a client killed while parked; oversized messages; peers
 * that send garbage or hang up mid-header or mid-frame, or say nothing;
 * allow_uids; busy polling.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check_run.h"
#include "harness.h"

static struct sm_broker broker;
static sm_client *cli;

/* start() - a direct-engine broker with extra flags (up to two pairs). */
static void start(const char *f1, const char *v1, const char *f2, const char *v2)
{
    memset(&broker, 0, sizeof(broker));
    ck_assert_int_eq(broker_start(&broker, "--ipc-engine", "direct", f1, v1, f2, v2, NULL), 0);
    ck_assert_msg(broker_log_contains(&broker, "(direct)"), "the direct engine did not start");
    broker_setenv(&broker);
    ck_sm(broker_connect(&broker, &cli), SM_OK);
}

static void setup(void)
{
    start(NULL, NULL, NULL, NULL);
}

static void teardown(void)
{
    sm_disconnect(cli);
    cli = NULL;
    broker_stop(&broker, true);
}

/* connect_nng() - a client on libsyncmgr's nng path. */
static sm_client *connect_nng(void)
{
    sm_client *c = NULL;
    setenv("SYNCMGR_IPC_NNG", "1", 1);
    ck_sm(broker_connect(&broker, &c), SM_OK);
    unsetenv("SYNCMGR_IPC_NNG");
    return c;
}

/* still_serving() - the broker lives and a new client gets a round trip. */
static void still_serving(const char *after)
{
    sm_client *c;
    ck_assert_msg(broker_alive(&broker), "syncmgrd died after %s", after);
    ck_sm(broker_connect(&broker, &c), SM_OK);
    ck_sm(sm_ping(c, NULL), SM_OK);
    sm_disconnect(c);
    ck_sm(sm_ping(cli, NULL), SM_OK);
}

/* ---- many clients and threads ----------------------------------------------- */

#define NINCR 300

struct job {
    sm_client *c; /* own client, or NULL: share cli */
    int rc;
};

static void *incr_thread(void *arg)
{
    struct job *j = arg;
    sm_dict *d;
    int64_t r;
    j->rc = sm_dict_open(j->c ? j->c : cli, "count", SM_CREATE, NULL, &d);
    for (int i = 0; i < NINCR && j->rc == SM_OK; i++)
        j->rc = sm_dict_incr(d, sm_str("n"), 1, &r);
    if (d)
        sm_dict_close(d);
    return NULL;
}

/* Direct clients, nng clients, threads sharing one direct client, and raw
 * REQ sockets at once: every increment counts. */
START_TEST(test_mixed_clients)
{
    enum { NJOBS = 10 };
    struct job jobs[NJOBS] = {0};
    pthread_t t[NJOBS];
    for (int i = 0; i < NJOBS; i++) {
        if (i < 3)
            ck_sm(broker_connect(&broker, &jobs[i].c), SM_OK);
        else if (i < 6)
            jobs[i].c = connect_nng();
        ck_assert_int_eq(pthread_create(&t[i], NULL, incr_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < 20; i++) {
        struct raw_conn r;
        ck_assert_int_eq(raw_open(&r, broker.address), 0);
        ck_assert_int_eq(raw_handshake(&r, broker.keyfile), SM_OK);
        raw_close(&r);
    }
    for (int i = 0; i < NJOBS; i++) {
        join_within(t[i], 60000);
        ck_sm(jobs[i].rc, SM_OK);
        if (jobs[i].c)
            sm_disconnect(jobs[i].c);
    }
    sm_dict *d;
    sm_val v = {0};
    int64_t n = 0;
    ck_sm(sm_dict_open(cli, "count", 0, NULL, &d), SM_OK);
    ck_sm(sm_dict_get(d, sm_str("n"), &v), SM_OK);
    ck_sm(sm_val_to_int(&v, &n), SM_OK);
    ck_assert_int_eq(n, NJOBS * NINCR);
    sm_dict_close(d);
}
END_TEST

/* 250 connections open at once, each served, then all gone. */
START_TEST(test_many_connections)
{
    enum { NCONN = 250 };
    static sm_client *cs[NCONN];
    struct raw_conn adm;
    for (int i = 0; i < NCONN; i++)
        ck_sm(broker_connect(&broker, &cs[i]), SM_OK);
    for (int i = 0; i < NCONN; i++)
        ck_sm(sm_ping(cs[i], NULL), SM_OK);
    for (int i = 0; i < NCONN; i++)
        sm_disconnect(cs[i]);
    raw_admin(&broker, &adm);
    raw_close(&adm);
    still_serving("250 connections");
}
END_TEST

/* ---- parked requests -------------------------------------------------------- */

struct getter {
    sm_queue *q;
    int timeout_ms;
    int rc;
    int64_t got;
};

static void *get_thread(void *arg)
{
    struct getter *g = arg;
    sm_val v = {0};
    g->rc = sm_queue_get(g->q, &v, g->timeout_ms);
    if (g->rc == SM_OK)
        sm_val_to_int(&v, &g->got);
    sm_val_free(&v);
    return NULL;
}

/* A direct client and an nng client park; a put from the other kind wakes
 * each; a get with a deadline ends with SM_EEMPTY from the main loop. */
START_TEST(test_parked)
{
    sm_client *n = connect_nng();
    sm_queue *qd, *qn;
    struct raw_conn adm;
    pthread_t t[2];
    ck_sm(sm_queue_open(cli, "Q", SM_CREATE, NULL, &qd), SM_OK);
    ck_sm(sm_queue_open(n, "Q", 0, NULL, &qn), SM_OK);
    raw_admin(&broker, &adm);
    struct getter gd = {.q = qd, .timeout_ms = SM_FOREVER}, gn = {.q = qn, .timeout_ms = 30000};
    ck_assert_int_eq(pthread_create(&t[0], NULL, get_thread, &gd), 0);
    raw_wait_parked(&adm, "Q", 1);
    ck_assert_int_eq(pthread_create(&t[1], NULL, get_thread, &gn), 0);
    raw_wait_parked(&adm, "Q", 2);
    ck_sm(sm_queue_put(qn, sm_int(1), SM_FOREVER), SM_OK); /* nng wakes direct */
    join_within(t[0], 10000);
    ck_sm(gd.rc, SM_OK);
    ck_assert_int_eq(gd.got, 1);
    ck_sm(sm_queue_put(qd, sm_int(2), SM_FOREVER), SM_OK); /* direct wakes nng */
    join_within(t[1], 10000);
    ck_sm(gn.rc, SM_OK);
    ck_assert_int_eq(gn.got, 2);

    /* deadlines, on both kinds, while the client keeps working */
    struct getter td = {.q = qd, .timeout_ms = 300}, tn = {.q = qn, .timeout_ms = 300};
    ck_assert_int_eq(pthread_create(&t[0], NULL, get_thread, &td), 0);
    ck_assert_int_eq(pthread_create(&t[1], NULL, get_thread, &tn), 0);
    ck_sm(sm_ping(cli, NULL), SM_OK);
    join_within(t[0], 10000);
    join_within(t[1], 10000);
    ck_sm(td.rc, SM_EEMPTY);
    ck_sm(tn.rc, SM_EEMPTY);
    raw_close(&adm);
    sm_queue_close(qd);
    sm_queue_close(qn);
    sm_disconnect(n);
}
END_TEST

/* prog_holder() - take lock L, park a get on queue Q, say so, and wait to
 * be killed. */
static int prog_holder(int argc, char **argv)
{
    sm_client *c;
    sm_lock *l;
    sm_queue *q;
    sm_val v;
    (void)argc;
    (void)argv;
    if (sm_connect(&c, NULL, NULL) || sm_lock_open(c, "L", 0, NULL, &l) ||
        sm_lock_acquire(l, SM_FOREVER) || sm_queue_open(c, "Q", 0, NULL, &q))
        return 1;
    printf("held\n");
    fflush(stdout);
    sm_queue_get(q, &v, SM_FOREVER);
    return 2;
}

/* A client killed while its get is parked: its session ends (the parked
 * get goes, the lock it held is abandoned: SM_EOWNERDEAD for the next). */
START_TEST(test_killed_while_parked)
{
    sm_lock *l;
    sm_queue *q;
    struct raw_conn adm;
    int out;
    char buf[16] = "";
    ck_sm(sm_lock_open(cli, "L", SM_CREATE, NULL, &l), SM_OK);
    ck_sm(sm_queue_open(cli, "Q", SM_CREATE, NULL, &q), SM_OK);
    pid_t holder = child_spawn(NULL, &out, "holder", NULL);
    ck_assert_int_gt(holder, 0);
    ck_assert_int_gt(read_all(out, buf, sizeof(buf), 15000), 0);
    ck_assert_str_eq(buf, "held\n");
    raw_admin(&broker, &adm);
    raw_wait_parked(&adm, "Q", 1);
    kill(holder, SIGKILL);
    ck_assert_int_eq(child_wait(holder, 10000), 128 + SIGKILL);
    raw_wait_parked(&adm, "Q", 0);
    ck_sm(sm_lock_acquire(l, 10000), SM_EOWNERDEAD);
    ck_sm(sm_lock_release(l), SM_OK);
    /* the item is not handed to the dead getter */
    ck_sm(sm_queue_put(q, sm_int(7), SM_FOREVER), SM_OK);
    size_t n = 0;
    ck_sm(sm_queue_qsize(q, &n), SM_OK);
    ck_assert_uint_eq(n, 1);
    raw_close(&adm);
    close(out);
    sm_lock_close(l);
    sm_queue_close(q);
}
END_TEST

/* ---- limits and hostile peers ----------------------------------------------- */

/* Over max_message_bytes: SM_ETOOBIG; over twice it: the connection is
 * dropped.  Both kinds of client; the broker serves on. */
START_TEST(test_oversized)
{
    static char big[300000];
    sm_client *n;
    sm_dict *d, *dn;
    teardown();
    start("--max-message-bytes", "65536", NULL, NULL);
    n = connect_nng();
    memset(big, 'x', sizeof(big));
    ck_sm(sm_dict_open(cli, "d", SM_CREATE, NULL, &d), SM_OK);
    ck_sm(sm_dict_open(n, "d", 0, NULL, &dn), SM_OK);
    ck_sm(sm_dict_set(d, sm_str("k"), sm_bin(big, 100000)), SM_ETOOBIG);
    ck_sm(sm_dict_set(dn, sm_str("k"), sm_bin(big, 100000)), SM_ETOOBIG);
    ck_sm(sm_dict_set(d, sm_str("k"), sm_bin(big, 60000)), SM_OK);
    ck_sm(sm_dict_set(d, sm_str("k"), sm_bin(big, sizeof(big))), SM_ECONN);
    sm_dict_close(d);
    sm_dict_close(dn);
    sm_disconnect(n);
    sm_disconnect(cli);
    ck_sm(broker_connect(&broker, &cli), SM_OK);
    still_serving("oversized messages");
}
END_TEST

/* raw_unix() - a plain connection to the broker's socket file. */
static int raw_unix(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    const char *path = broker.address + 6;
    ck_assert_uint_lt(strlen(path), sizeof(sa.sun_path));
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

/* hung_up() - within @secs the broker hangs up on @fd (read() sees EOF)
 * after sending just its SP header. */
static void hung_up(int fd, int secs, const char *what)
{
    uint8_t in[64];
    size_t got = 0;
    struct timeval tv = {.tv_sec = secs};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ssize_t k;
    while ((k = read(fd, in, sizeof(in))) > 0)
        got += (size_t)k;
    ck_assert_msg(k == 0, "%s: the broker did not hang up", what);
    ck_assert_msg(got == 8, "%s: %zu bytes before the hang-up, expected its SP header", what,
                  got);
}

/* send_and_close() - send @len bytes of @buf on a new connection; with
 * @want_close the broker must hang up within 10 s; else just close it
 * ourselves. */
static void send_and_close(const void *buf, size_t len, bool want_close, const char *what)
{
    int fd = raw_unix();
    ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
    if (want_close)
        hung_up(fd, 10, what);
    close(fd);
}

START_TEST(test_hostile_peers)
{
    static const uint8_t sp[8] = {0, 'S', 'P', 0, 0, 0x30, 0, 0};
    uint8_t buf[64];
    send_and_close("GET / HTTP/1.0\r\n\r\n", 18, true, "garbage");
    send_and_close((const uint8_t[]){0, 'S', 'P', 0, 0, 0x10, 0, 0}, 8, true, "a PUB header");
    send_and_close(sp, 3, false, "half an SP header");
    send_and_close(sp, 0, false, "no SP header");
    memcpy(buf, sp, 8);
    memcpy(buf + 8, (const uint8_t[]){2, 0, 0, 0, 0, 0, 0, 0, 4, 0x80, 0, 0, 1}, 13);
    send_and_close(buf, 21, true, "frame type 2");
    memcpy(buf + 8, (const uint8_t[]){1, 0, 0, 0, 0, 0, 0, 0, 2, 0x80, 0}, 11);
    send_and_close(buf, 19, true, "a message shorter than its request id");
    memcpy(buf + 8, (const uint8_t[]){1, 0, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 1, 0x93}, 14);
    send_and_close(buf, 22, false, "half a frame");
    send_and_close(buf, 13, false, "half a frame header");
    memcpy(buf + 8, (const uint8_t[]){1, 0xff, 0, 0, 0, 0, 0, 0, 0}, 9);
    send_and_close(buf, 17, true, "a frame longer than the limit");
    still_serving("hostile peers");
}
END_TEST

/* Peers that connect and never finish their SP header are hung up on after
 * nng's 10 s (not before 9 s), those two only: a connection that finished
 * its handshake before them and was silent since still answers. */
START_TEST(test_silent_peers)
{
    struct raw_conn adm;
    nng_msg *m;
    raw_admin(&broker, &adm);
    int silent = raw_unix(), half = raw_unix();
    int64_t t0 = mono_ms();
    ck_assert_int_eq(write(half, "\0SP", 3), 3);
    still_serving("silent peers");
    hung_up(silent, 30, "a peer that says nothing");
    hung_up(half, 30, "half an SP header");
    ck_assert_int_ge(mono_ms() - t0, 9000);
    sleep_ms(1500); /* past another sweep */
    ck_assert_int_eq(broker_log_count(&broker, "SM-PEER-TIMEOUT"), 2);
    ck_assert_int_eq(raw_simple(&adm, SMOP_ping, &m), SM_OK); /* no re-dial: a raw REQ
                                                                 socket would need auth */
    nng_msg_free(m);
    raw_close(&adm);
    close(silent);
    close(half);
}
END_TEST

/* write_conf() - [ipc] @key = @value into @path. */
static void write_conf(const char *path, const char *key, const char *value)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "[ipc]\n%s = %s\n", key, value);
    ck_assert_int_eq(fclose(f), 0);
}

/* A uid leaving allow_uids is refused at once (logged); back in, served. */
START_TEST(test_allow_uids)
{
    char conf[sizeof(broker.dir) + 16], both[64];
    sm_client *c = NULL;
    teardown();
    memset(&broker, 0, sizeof(broker));
    ck_assert_int_eq(broker_init(&broker), 0);
    snprintf(conf, sizeof(conf), "%s/ipc.conf", broker.dir);
    snprintf(both, sizeof(both), "12345, %u", (unsigned)getuid());
    write_conf(conf, "allow_uids", both);
    ck_assert_int_eq(broker_start(&broker, "--config", conf, "--ipc-engine", "direct", NULL), 0);
    ck_sm(broker_connect(&broker, &cli), SM_OK);
    write_conf(conf, "allow_uids", "12345");
    kill(broker.pid, SIGHUP);
    broker_wait_log(&broker, "allow_uids now 12345");
    ck_sm(broker_connect(&broker, &c), SM_ECONN);
    ck_assert_ptr_null(c);
    ck_assert(broker_log_contains(&broker, "uid not in allow_uids"));
    ck_sm(sm_ping(cli, NULL), SM_OK); /* the session already in stays */
    write_conf(conf, "allow_uids", both);
    kill(broker.pid, SIGHUP);
    char now[96];
    snprintf(now, sizeof(now), "allow_uids now %s", both);
    broker_wait_log(&broker, now);
    still_serving("allow_uids");
}
END_TEST

/* ---- busy polling ------------------------------------------------------- */

/* The figures of stats' "ipc" map. */
struct ipc_figures {
    uint64_t budget_us, polls, hits;
};

/* ipc_figures() - stats' "ipc" map, through an admin connection. */
static struct ipc_figures ipc_figures(void)
{
    static const char *const keys[] = {"busy_poll_us", "busy_polls", "busy_poll_hits"};
    uint64_t v[3];
    raw_stats_map(&broker, "ipc", keys, v, 3);
    struct ipc_figures f = {v[0], v[1], v[2]};
    ck_assert_uint_le(f.hits, f.polls);
    return f;
}

/* pings() - @n round trips on cli. */
static void pings(int n)
{
    for (int i = 0; i < n; i++)
        ck_sm(sm_ping(cli, NULL), SM_OK);
}

/* The I/O thread busy-polls before it sleeps: 50 us by default, never with
 * --busy-poll-us 0, and a SIGHUP applies a new busy_poll_us. */
START_TEST(test_busy_poll)
{
    pings(50);
    struct ipc_figures f = ipc_figures();
    ck_assert_uint_eq(f.budget_us, 50);
    ck_assert_uint_gt(f.polls, 0);

    teardown();
    start("--busy-poll-us", "0", NULL, NULL);
    pings(50);
    f = ipc_figures();
    ck_assert_uint_eq(f.budget_us, 0);
    ck_assert_uint_eq(f.polls, 0);
    teardown();

    char conf[sizeof(broker.dir) + 16];
    memset(&broker, 0, sizeof(broker));
    ck_assert_int_eq(broker_init(&broker), 0);
    snprintf(conf, sizeof(conf), "%s/ipc.conf", broker.dir);
    write_conf(conf, "busy_poll_us", "0");
    ck_assert_int_eq(broker_start(&broker, "--config", conf, "--ipc-engine", "direct", NULL), 0);
    ck_sm(broker_connect(&broker, &cli), SM_OK);
    pings(50);
    ck_assert_uint_eq(ipc_figures().polls, 0);
    write_conf(conf, "busy_poll_us", "200");
    kill(broker.pid, SIGHUP);
    broker_wait_log(&broker, "busy_poll_us now 200");
    pings(50);
    f = ipc_figures();
    ck_assert_uint_eq(f.budget_us, 200);
    ck_assert_uint_gt(f.polls, 0);
}
END_TEST

/* A second broker on the same path is refused; the socket file goes with
 * the broker. */
START_TEST(test_path_in_use)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) { /* exec at once: no nng code of ours runs here */
        execl(getenv("SYNCMGRD"), "syncmgrd", "--config", "/dev/null", "--ipc-engine", "direct",
              "--listen", broker.address, "--authkey-file", broker.keyfile, (char *)NULL);
        _exit(127);
    }
    int rc = child_wait(pid, 15000);
    ck_assert_msg(rc != 0 && rc != 127 && rc != -1, "second broker: exit %d", rc);
    still_serving("a second broker on its path");
    sm_disconnect(cli);
    cli = NULL;
    char path[sizeof(broker.address)];
    memcpy(path, broker.address + 6, sizeof(broker.address) - 6);
    broker_stop(&broker, true);
    ck_assert_int_ne(access(path, F_OK), 0);
    start(NULL, NULL, NULL, NULL); /* for teardown() */
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ipc_server");
    TCase *tc = tcase_create("direct");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_mixed_clients);
    tcase_add_test(tc, test_many_connections);
    tcase_add_test(tc, test_parked);
    tcase_add_test(tc, test_killed_while_parked);
    tcase_add_test(tc, test_oversized);
    tcase_add_test(tc, test_hostile_peers);
    tcase_add_test(tc, test_silent_peers);
    tcase_add_test(tc, test_allow_uids);
    tcase_add_test(tc, test_path_in_use);
    tcase_add_test(tc, test_busy_poll);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    child_dispatch(argc, argv,
                   (const struct child_prog[]){{"holder", prog_holder}, {NULL, NULL}});
    return check_run(suite(), CK_NORMAL);
}
