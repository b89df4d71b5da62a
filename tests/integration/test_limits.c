/*
 * test_limits.c - every configured broker limit, hit through libsyncmgr
 * against the real syncmgrd: the client gets the documented status, and
 * the broker goes on serving (the same client, and a new one).
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "harness.h"

static struct sm_broker broker;
static sm_client *cli;

/* connect_when_free() - connect, retrying for up to 5 s while the broker
 * refuses: it learns of a departed session (the harness's start-up probe,
 * a disconnected client) asynchronously. */
static int connect_when_free(sm_client **out)
{
    int rc = SM_ECONN;
    for (int i = 0; i < 100 && rc != SM_OK; i++) {
        if ((rc = broker_connect(&broker, out)) != SM_OK)
            sleep_ms(50);
    }
    return rc;
}

/* start() - a broker with one limit flag @flag @value, and a client. */
static void start(const char *flag, const char *value)
{
    memset(&broker, 0, sizeof(broker));
    ck_assert_int_eq(broker_start(&broker, flag, value, NULL), 0);
    ck_sm(connect_when_free(&cli), SM_OK); /* --max-sessions 2: the start-up probes */
}

static void teardown(void)
{
    sm_disconnect(cli);
    cli = NULL;
    broker_stop(&broker, true);
}

/* still_serving() - the broker is alive, the old client is served, and so
 * is a new one (a dict round trip on each). */
static void still_serving(const char *after)
{
    sm_client *c;
    sm_dict *d;
    sm_val v = {0};
    int64_t n = 0;
    ck_assert_msg(broker_alive(&broker), "syncmgrd died after %s", after);
    ck_sm(sm_ping(cli, NULL), SM_OK);
    ck_sm(broker_connect(&broker, &c), SM_OK);
    ck_sm(sm_dict_open(c, "alive", SM_CREATE, NULL, &d), SM_OK);
    ck_sm(sm_dict_incr(d, sm_str("n"), 1, &n), SM_OK);
    ck_sm(sm_dict_get(d, sm_str("n"), &v), SM_OK);
    ck_sm(sm_val_to_int(&v, &n), SM_OK);
    ck_assert_int_ge(n, 1);
    sm_val_free(&v);
    sm_dict_close(d);
    sm_disconnect(c);
}

START_TEST(test_message_size)
{
    static char big[100000];
    sm_dict *d;
    sm_val v = {0};
    start("--max-message-bytes", "65536");
    ck_sm(sm_dict_open(cli, "d", SM_CREATE, NULL, &d), SM_OK);
    memset(big, 'x', sizeof(big));
    /* a request over the limit (but within nng's hard ceiling, twice it) */
    ck_sm(sm_dict_set(d, sm_str("big"), sm_bin(big, sizeof(big))), SM_ETOOBIG);
    ck_sm(sm_dict_get(d, sm_str("big"), &v), SM_ENOKEY);
    /* under the limit is stored */
    ck_sm(sm_dict_set(d, sm_str("big"), sm_bin(big, 60000)), SM_OK);
    ck_sm(sm_dict_get(d, sm_str("big"), &v), SM_OK);
    sm_val_free(&v);
    sm_dict_close(d);
    still_serving("a request over max_message_bytes");
}
END_TEST

/* nested() - a value nested @depth arrays deep: [[[...nil...]]]. */
static sm_val nested(uint8_t *buf, size_t depth)
{
    memset(buf, 0x91, depth);
    buf[depth] = 0xc0;
    return sm_msgpack(buf, depth + 1);
}

START_TEST(test_depth)
{
    uint8_t buf[64];
    sm_value *v;
    start("--max-depth", "8");
    ck_sm(sm_value_open(cli, "v", SM_CREATE, NULL, &v), SM_OK);
    /* the request array is level 1: a value may nest 7 deep */
    ck_sm(sm_value_set(v, nested(buf, 7)), SM_OK);
    ck_sm(sm_value_set(v, nested(buf, 8)), SM_ETOOBIG);
    ck_sm(sm_value_set(v, nested(buf, 30)), SM_ETOOBIG);
    sm_value_close(v);
    still_serving("values nested past max_depth");
}
END_TEST

START_TEST(test_objects)
{
    sm_dict *d[4];
    char name[16];
    start("--max-objects", "3");
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof(name), "o%d", i);
        ck_sm(sm_dict_open(cli, name, SM_CREATE, NULL, &d[i]), SM_OK);
    }
    ck_sm(sm_dict_open(cli, "one-more", SM_CREATE, NULL, &d[3]), SM_ELIMIT);
    ck_sm(sm_lock_open(cli, "a-lock", SM_CREATE, NULL, &(sm_lock *){0}), SM_ELIMIT);
    /* opening what exists still works; unlinking makes room */
    ck_sm(sm_dict_open(cli, "o1", 0, NULL, &d[3]), SM_OK);
    sm_dict_close(d[3]);
    ck_sm(sm_unlink(cli, "o0"), SM_OK);
    ck_sm(sm_dict_open(cli, "one-more", SM_CREATE, NULL, &d[3]), SM_OK);
    ck_sm(sm_unlink(cli, "one-more"), SM_OK); /* still_serving() needs one */
    for (int i = 0; i < 4; i++)
        sm_dict_close(d[i]);
    still_serving("max_objects");
}
END_TEST

START_TEST(test_memory)
{
    static char chunk[1000];
    sm_dict *d;
    sm_queue *q;
    sm_array *a;
    sm_val v = {0};
    int n = 0, rc;
    start("--max-memory", "64K");
    memset(chunk, 'm', sizeof(chunk));
    ck_sm(sm_dict_open(cli, "d", SM_CREATE, NULL, &d), SM_OK);
    ck_sm(sm_queue_open(cli, "q", SM_CREATE, NULL, &q), SM_OK);
    /* fill it: 1000-byte values until the limit says no (at most 64) */
    while ((rc = sm_dict_set(d, sm_int(n), sm_bin(chunk, sizeof(chunk)))) == SM_OK)
        ck_assert_int_lt(++n, 66);
    ck_sm(rc, SM_ENOMEM);
    ck_assert_int_gt(n, 40); /* the overhead estimate is not wildly off */
    /* then to the brim with 10-byte values, whatever room the last 1000 left */
    for (int m = 0; (rc = sm_dict_set(d, sm_int(1000 + m), sm_bin(chunk, 10))) == SM_OK; m++)
        ck_assert_int_lt(m, 100);
    ck_sm(rc, SM_ENOMEM);
    /* every kind of write that stores more is refused... */
    ck_sm(sm_queue_put(q, sm_bin(chunk, sizeof(chunk)), 0), SM_ENOMEM);
    ck_sm(sm_dict_open(cli, "another", SM_CREATE, NULL, &(sm_dict *){0}), SM_ENOMEM);
    /* ...reads and deletes work, and free room */
    ck_sm(sm_dict_get(d, sm_int(0), &v), SM_OK);
    sm_val_free(&v);
    for (int i = 0; i < 10; i++)
        ck_sm(sm_dict_del(d, sm_int(i)), SM_OK);
    ck_sm(sm_queue_put(q, sm_bin(chunk, sizeof(chunk)), 0), SM_OK);
    ck_sm(sm_dict_set(d, sm_int(0), sm_bin(chunk, sizeof(chunk))), SM_OK);
    /* an array's elements count too: 100000 float64 are 800 KB */
    sm_array_opts ao = {.typecode = 'd', .length = 100000};
    ck_sm(sm_array_open(cli, "a", SM_CREATE, &ao, &a), SM_ENOMEM);
    ao.length = 100;
    ck_sm(sm_array_open(cli, "a", SM_CREATE, &ao, &a), SM_OK);
    sm_array_close(a);
    sm_queue_close(q);
    ck_sm(sm_unlink(cli, "d"), SM_OK); /* room for still_serving() */
    sm_dict_close(d);
    still_serving("max_memory");
}
END_TEST

START_TEST(test_name_length)
{
    sm_dict *d;
    start("--max-name-bytes", "8");
    ck_sm(sm_dict_open(cli, "12345678", SM_CREATE, NULL, &d), SM_OK);
    sm_dict_close(d);
    ck_sm(sm_dict_open(cli, "123456789", SM_CREATE, NULL, &d), SM_EINVAL);
    ck_sm(sm_dict_open(cli, "123456789", 0, NULL, &d), SM_ENOENT);
    ck_assert_ptr_null(NULL);
    /* still_serving() opens "alive": 5 bytes */
    still_serving("max_name_bytes");
}
END_TEST

START_TEST(test_sessions)
{
    sm_client *c2 = NULL, *c3 = NULL;
    start("--max-sessions", "2");
    ck_sm(connect_when_free(&c2), SM_OK);
    ck_sm(broker_connect(&broker, &c3), SM_ECONN);
    ck_assert_ptr_null(c3);
    ck_assert(broker_log_contains(&broker, "SM-PEER-REFUSED"));
    ck_assert(broker_log_contains(&broker, "max_sessions reached"));
    ck_sm(sm_ping(c2, NULL), SM_OK);
    sm_disconnect(c2);
    ck_sm(connect_when_free(&c3), SM_OK);
    ck_sm(sm_ping(c3, NULL), SM_OK);
    sm_disconnect(c3);
    ck_sm(sm_ping(cli, NULL), SM_OK);
    ck_assert(broker_alive(&broker));
}
END_TEST

static sm_queue *pq;

static void *park_get(void *arg)
{
    sm_val v = {0};
    int *rc = arg;
    *rc = sm_queue_get(pq, &v, 20000);
    sm_val_free(&v);
    return NULL;
}

START_TEST(test_parked_per_session)
{
    pthread_t t[2];
    int rcs[2];
    sm_val v = {0};
    struct raw_conn adm;
    start("--max-parked-per-session", "2");
    raw_admin(&broker, &adm);
    ck_sm(sm_queue_open(cli, "pq", SM_CREATE, NULL, &pq), SM_OK);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, park_get, &rcs[i]), 0);
    raw_wait_parked(&adm, "pq", 2);
    /* a third blocking call of the same session is refused at once */
    ck_sm(sm_queue_get(pq, &v, 20000), SM_ELIMIT);
    /* another session may still park (the limit is per session) */
    sm_client *c2;
    sm_queue *q2;
    ck_sm(broker_connect(&broker, &c2), SM_OK);
    ck_sm(sm_queue_open(c2, "pq", 0, NULL, &q2), SM_OK);
    ck_sm(sm_queue_get(q2, &v, 100), SM_EEMPTY);
    sm_queue_close(q2);
    sm_disconnect(c2);
    for (int i = 0; i < 2; i++)
        ck_sm(sm_queue_put(pq, sm_int(i), 0), SM_OK);
    for (int i = 0; i < 2; i++) {
        join_within(t[i], 20000);
        ck_sm(rcs[i], SM_OK);
    }
    /* the parked ones are gone: the session may park again */
    ck_sm(sm_queue_get(pq, &v, 50), SM_EEMPTY);
    sm_queue_close(pq);
    raw_close(&adm);
    still_serving("max_parked_per_session");
}
END_TEST

/* write_conf() - @text into <dir>/syncmgrd.conf; returns its path. */
static const char *write_conf(const char *text)
{
    static char path[192];
    snprintf(path, sizeof(path), "%s/syncmgrd.conf", broker.dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
    return path;
}

START_TEST(test_reload)
{
    sm_dict *d;
    memset(&broker, 0, sizeof(broker));
    ck_assert_int_eq(broker_init(&broker), 0);
    const char *conf = write_conf("[limits]\nmax_objects = 1\n");
    ck_assert_int_eq(broker_start(&broker, "--config", conf, NULL), 0);
    ck_sm(broker_connect(&broker, &cli), SM_OK);
    ck_sm(sm_dict_open(cli, "a", SM_CREATE, NULL, &d), SM_OK);
    sm_dict_close(d);
    ck_sm(sm_dict_open(cli, "b", SM_CREATE, NULL, &d), SM_ELIMIT);
    write_conf("[limits]\nmax_objects = 3\n");
    kill(broker.pid, SIGHUP);
    int64_t give_up = mono_ms() + 10000;
    while (!broker_log_contains(&broker, "max_objects now 3"))
        ck_assert_msg(mono_ms() < give_up, "no reload logged"), sleep_ms(20);
    ck_sm(sm_dict_open(cli, "b", SM_CREATE, NULL, &d), SM_OK);
    sm_dict_close(d);
    still_serving("a reload of max_objects");
}
END_TEST

START_TEST(test_lowered_limits_keep_saved_data)
{
    char state[128];
    sm_dict *d;
    sm_val v = {0};
    static char chunk[1000];
    memset(chunk, 's', sizeof(chunk));
    memset(&broker, 0, sizeof(broker));
    ck_assert_int_eq(broker_init(&broker), 0);
    snprintf(state, sizeof(state), "%s/state", broker.dir);
    ck_assert_int_eq(broker_start(&broker, "--state-dir", state, NULL), 0);
    ck_sm(broker_connect(&broker, &cli), SM_OK);
    for (int i = 0; i < 3; i++) {
        char name[8];
        snprintf(name, sizeof(name), "d%d", i);
        ck_sm(sm_dict_open(cli, name, SM_CREATE, NULL, &d), SM_OK);
        for (int k = 0; k < 40; k++)
            ck_sm(sm_dict_set(d, sm_int(k), sm_bin(chunk, sizeof(chunk))), SM_OK);
        sm_dict_close(d);
    }
    sm_disconnect(cli);
    cli = NULL;
    ck_assert_int_eq(broker_kill(&broker, SIGTERM, 10000), 0);

    /* restarted with limits below what is saved: everything comes back,
     * the log says so, and only writes that add are refused */
    ck_assert_int_eq(broker_start(&broker, "--state-dir", state, "--max-objects", "2",
                                  "--max-memory", "64K", NULL),
                     0);
    ck_sm(broker_connect(&broker, &cli), SM_OK);
    ck_assert(broker_log_contains(&broker, "SM-LIMIT-OVER"));
    for (int i = 0; i < 3; i++) {
        char name[8];
        snprintf(name, sizeof(name), "d%d", i);
        ck_sm(sm_dict_open(cli, name, 0, NULL, &d), SM_OK);
        ck_sm(sm_dict_get(d, sm_int(39), &v), SM_OK);
        ck_assert_uint_eq(v.v.buf.len, sizeof(chunk));
        sm_val_free(&v);
        ck_sm(sm_dict_set(d, sm_int(99), sm_bin(chunk, sizeof(chunk))), SM_ENOMEM);
        sm_dict_close(d);
    }
    ck_sm(sm_dict_open(cli, "new", SM_CREATE, NULL, &d), SM_ELIMIT);
    ck_sm(sm_ping(cli, NULL), SM_OK);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("limits");
    TCase *tc = tcase_create("limits");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_message_size);
    tcase_add_test(tc, test_depth);
    tcase_add_test(tc, test_objects);
    tcase_add_test(tc, test_memory);
    tcase_add_test(tc, test_name_length);
    tcase_add_test(tc, test_sessions);
    tcase_add_test(tc, test_parked_per_session);
    tcase_add_test(tc, test_reload);
    tcase_add_test(tc, test_lowered_limits_keep_saved_data);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(suite(), CK_NORMAL);
}
