/*
 * test_security.c - who may reach the broker, against the real syncmgrd:
 * the ipc socket's mode and group, the peer uid allow-list (live through a
 * SIGHUP), failed handshakes held back without stalling anyone else, a key
 * that never reaches the log, and tls+tcp:// with a throw-away CA made by
 * the openssl command (server verified by the client, client certificates
 * required with --tls-ca).
 */
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_run.h"
#include "harness.h"

static struct sm_broker broker;
static sm_client *cli;
static bool broker_fails; /* the test's broker is meant to exit with an error */

static void teardown(void)
{
    sm_disconnect(cli);
    cli = NULL;
    broker_stop(&broker, !broker_fails);
    broker_fails = false;
}

/* scratch() - "<broker dir>/@name" in a static buffer (one of four). */
static const char *scratch(const char *name)
{
    static char bufs[4][256];
    static int i;
    char *b = bufs[i++ % 4];
    snprintf(b, sizeof(bufs[0]), "%s/%s", broker.dir, name);
    return b;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* ---- ipc socket ------------------------------------------------------------ */

START_TEST(test_socket_mode_and_group)
{
    struct stat st;
    char gid[32];
    snprintf(gid, sizeof(gid), "%u", (unsigned)getgid());
    memset(&broker, 0, sizeof(broker));
    ck_assert_int_eq(broker_start(&broker, "--socket-mode", "0600", "--socket-group", gid, NULL),
                     0);
    ck_assert_int_eq(stat(broker.sockpath, &st), 0);
    ck_assert_msg((st.st_mode & 0777) == 0600, "socket mode %04o", st.st_mode & 0777);
    ck_assert_uint_eq(st.st_gid, getgid());
    broker_stop(&broker, true);

    memset(&broker, 0, sizeof(broker));
    ck_assert_int_eq(broker_start(&broker, NULL), 0);
    ck_assert_int_eq(stat(broker.sockpath, &st), 0);
    ck_assert_msg((st.st_mode & 0777) == 0660, "default socket mode %04o", st.st_mode & 0777);
}
END_TEST

/* ---- uid allow-list --------------------------------------------------------- */

START_TEST(test_allow_uids)
{
    char conf[256], line[64], uid[32];
    sm_client *c = NULL;
    memset(&broker, 0, sizeof(broker));
    ck_assert_int_eq(broker_init(&broker), 0);
    snprintf(conf, sizeof(conf), "%s", scratch("syncmgrd.conf"));
    snprintf(line, sizeof(line), "[ipc]\nallow_uids = 12345, %u\n", (unsigned)getuid());
    write_text(conf, line);
    ck_assert_int_eq(broker_start(&broker, "--config", conf, NULL), 0);
    ck_sm(broker_connect(&broker, &cli), SM_OK);

    /* our uid leaves the list: new connections are refused and logged with
     * the peer's pid and uid; the one already in keeps working */
    write_text(conf, "[ipc]\nallow_uids = 12345\n");
    kill(broker.pid, SIGHUP);
    broker_wait_log(&broker, "allow_uids now 12345");
    ck_sm(broker_connect(&broker, &c), SM_ECONN);
    ck_assert_ptr_null(c);
    snprintf(uid, sizeof(uid), "uid %u", (unsigned)getuid());
    ck_assert(broker_log_contains(&broker, "SM-PEER-REFUSED"));
    ck_assert(broker_log_contains(&broker, uid));
    ck_assert(broker_log_contains(&broker, "uid not in allow_uids"));
    ck_sm(sm_ping(cli, NULL), SM_OK);

    /* and back in */
    write_text(conf, line);
    kill(broker.pid, SIGHUP);
    broker_wait_log(&broker, "(was 12345)");
    ck_sm(broker_connect(&broker, &c), SM_OK);
    ck_sm(sm_ping(c, NULL), SM_OK);
    sm_disconnect(c);
}
END_TEST

/* ---- failed handshakes -------------------------------------------------------- */

struct attempt {
    struct raw_conn *r;
    const char *keyfile;
    int status;
    int64_t done_ms;
};

static void *try_handshake(void *arg)
{
    struct attempt *a = arg;
    a->status = raw_handshake(a->r, a->keyfile);
    a->done_ms = mono_ms();
    return NULL;
}

START_TEST(test_failed_auth_is_slow_for_it_alone)
{
    struct raw_conn r;
    pthread_t t;
    memset(&broker, 0, sizeof(broker));
    ck_assert_int_eq(broker_start(&broker, NULL), 0);
    ck_sm(broker_connect(&broker, &cli), SM_OK);
    const char *bad = scratch("wrongkey");
    ck_assert_int_eq(keyfile_write(bad, "0123456789abcdef-not-the-key", 28, 0600), 0);

    /* the library's view: a wrong key is SM_EAUTH, as before */
    sm_client *c = NULL;
    ck_sm(sm_connect(&c, broker.address, bad), SM_EAUTH);
    ck_assert_ptr_null(c);

    /* the reply to a wrong proof comes no sooner than 100 ms... */
    ck_assert_int_eq(raw_open(&r, broker.address), 0);
    int64_t t0 = mono_ms();
    ck_assert_int_eq(raw_handshake(&r, bad), SM_EAUTH);
    ck_assert_int_ge(mono_ms() - t0, 100);

    /* ...and while one is held back (longer now: failures add up), another
     * client is served: its ping completes before the refusal arrives */
    struct attempt a = {.r = &r, .keyfile = bad};
    ck_assert_int_eq(pthread_create(&t, NULL, try_handshake, &a), 0);
    sleep_ms(50); /* the attempt is under way (the ping below needs no order) */
    int64_t before = mono_ms();
    ck_sm(sm_ping(cli, NULL), SM_OK);
    int64_t ping_ms = mono_ms();
    join_within(t, 20000);
    ck_assert_int_eq(a.status, SM_EAUTH);
    ck_assert_msg(ping_ms < a.done_ms,
                  "the ping (%lld ms after the attempt began) waited for the "
                  "held-back refusal",
                  (long long)(ping_ms - before));
    raw_close(&r);
    ck_assert(broker_log_contains(&broker, "SM-AUTH-FAIL"));
    ck_assert(broker_alive(&broker));
}
END_TEST

/* file_text() - the first line of @path (the key file: 64 hex characters). */
static void file_text(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(buf, (int)len, f));
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
}

START_TEST(test_key_never_logged)
{
    char key[128], half[40];
    memset(&broker, 0, sizeof(broker));
    ck_assert_int_eq(broker_start(&broker, "--log-level", "debug", NULL), 0);
    const char *bad = scratch("wrongkey");
    static const char wrong[] = "wrong-key-wrong-key-SECRETBYTES";
    ck_assert_int_eq(keyfile_write(bad, wrong, sizeof(wrong) - 1, 0600), 0);
    sm_client *c = NULL;
    ck_sm(sm_connect(&c, broker.address, bad), SM_EAUTH);
    ck_sm(broker_connect(&broker, &cli), SM_OK);
    ck_sm(sm_ping(cli, NULL), SM_OK);
    broker_wait_log(&broker, "SM-AUTH-OK");
    ck_assert(broker_log_contains(&broker, "SM-AUTH-FAIL"));
    file_text(broker.keyfile, key, sizeof(key));
    ck_assert_uint_eq(strlen(key), 64);
    snprintf(half, sizeof(half), "%.32s", key + 16); /* any long piece of it */
    ck_assert_msg(!broker_log_contains(&broker, key), "the authkey is in the log");
    ck_assert_msg(!broker_log_contains(&broker, half), "part of the authkey is in the log");
    ck_assert_msg(!broker_log_contains(&broker, "SECRETBYTES"), "the wrong key is in the log");
}
END_TEST

/* ---- tls+tcp:// ---------------------------------------------------------------- */

/* free_port() - a tcp port on 127.0.0.1 nobody listens on just now. */
static int free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

/* make_certs() - a throw-away CA and, signed by it, a server certificate for
 * 127.0.0.1 and a client certificate, in the broker's directory. */
static void make_certs(void)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd),
             "set -e; cd '%s'; exec >openssl.log 2>&1; "
             "EC='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'; "
             "openssl req -x509 $EC -keyout ca.key -out ca.pem -days 2 -subj /CN=syncmgr-test-ca; "
             "for who in server client; do "
             "  cn=$who; [ $who = server ] && cn=127.0.0.1; "
             "  openssl req $EC -keyout $who.key -out $who.csr -subj /CN=$cn; "
             "  openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
             "    -out $who.pem -days 2; "
             "done; "
             "openssl req -x509 $EC -keyout other.key -out other.pem -days 2 -subj /CN=other",
             broker.dir);
    int rc = system(cmd);
    if (rc != 0) {
        snprintf(cmd, sizeof(cmd), "cat '%s/openssl.log' >&2", broker.dir);
        ck_assert_int_eq(system(cmd), 0);
    }
    ck_assert_msg(rc == 0, "openssl failed (%d)", rc);
}

/* tls_env() - the client's TLS files (NULL: unset). */
static void tls_env(const char *ca, const char *cert, const char *key)
{
    static const char *const names[] = {"SYNCMGR_TLS_CA_FILE", "SYNCMGR_TLS_CERT_FILE",
                                        "SYNCMGR_TLS_KEY_FILE"};
    const char *v[] = {ca, cert, key};
    for (int i = 0; i < 3; i++) {
        if (v[i])
            setenv(names[i], scratch(v[i]), 1);
        else
            unsetenv(names[i]);
    }
}

/* tls_connect() - sm_connect() to @url; a ping when it works. */
static int tls_connect(const char *url)
{
    sm_client *c = NULL;
    int rc = sm_connect(&c, url, broker.keyfile);
    if (rc == SM_OK) {
        ck_sm(sm_ping(c, NULL), SM_OK);
        sm_disconnect(c);
    } else {
        ck_assert_ptr_null(c);
    }
    return rc;
}

/* ctl_tls() - "syncmgrctl -a @url -k KEY --tls-ca @ca [--tls-cert @cert
 * --tls-key @key] ping" (the files in the broker's directory); its exit
 * code. */
static int ctl_tls(const char *url, const char *ca, const char *cert, const char *key)
{
    char cmd[2048];
    const char *ctl = getenv("SYNCMGRCTL");
    ck_assert_ptr_nonnull(ctl);
    int n = snprintf(cmd, sizeof(cmd), "'%s' -a '%s' -k '%s' --tls-ca '%s'", ctl, url,
                     broker.keyfile, scratch(ca));
    if (cert)
        n += snprintf(cmd + n, sizeof(cmd) - (size_t)n, " --tls-cert '%s' --tls-key '%s'",
                      scratch(cert), scratch(key));
    snprintf(cmd + n, sizeof(cmd) - (size_t)n, " ping >/dev/null 2>&1");
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* tls_broker() - a broker on ipc and on tls+tcp://127.0.0.1:PORT (in @url),
 * requiring client certificates when @require_client. */
static void tls_broker(char *url, size_t len, bool require_client)
{
    char listen[64], cert[256], key[256], ca[256];
    memset(&broker, 0, sizeof(broker));
    ck_assert_int_eq(broker_init(&broker), 0);
    make_certs();
    snprintf(url, len, "tls+tcp://127.0.0.1:%d", free_port());
    snprintf(listen, sizeof(listen), "%s", url);
    snprintf(cert, sizeof(cert), "%s", scratch("server.pem"));
    snprintf(key, sizeof(key), "%s", scratch("server.key"));
    snprintf(ca, sizeof(ca), "%s", scratch("ca.pem"));
    if (require_client)
        ck_assert_int_eq(broker_start(&broker, "--listen", listen, "--tls-cert", cert, "--tls-key",
                                      key, "--tls-ca", ca, NULL),
                         0);
    else
        ck_assert_int_eq(
            broker_start(&broker, "--listen", listen, "--tls-cert", cert, "--tls-key", key, NULL),
            0);
}

START_TEST(test_tls_server_verified)
{
    char url[64];
    tls_broker(url, sizeof(url), false);
    tls_env("ca.pem", NULL, NULL);
    ck_sm(tls_connect(url), SM_OK);
    /* no CA, or the wrong one: the broker cannot be verified, a clean SM_ECONN */
    tls_env(NULL, NULL, NULL);
    ck_sm(tls_connect(url), SM_ECONN);
    tls_env("other.pem", NULL, NULL);
    ck_sm(tls_connect(url), SM_ECONN);
    /* plain tcp to a TLS port fails too */
    char plain[64];
    snprintf(plain, sizeof(plain), "tcp://%s", url + strlen("tls+tcp://"));
    sm_client *c = NULL;
    ck_assert_int_ne(sm_connect(&c, plain, broker.keyfile), SM_OK);
    tls_env("ca.pem", NULL, NULL);
    ck_sm(tls_connect(url), SM_OK);
    /* a wrong key over TLS: SM_EAUTH, logged with the peer's address */
    const char *bad = scratch("wrongkey");
    ck_assert_int_eq(keyfile_write(bad, "0123456789abcdef-not-the-key", 28, 0600), 0);
    ck_sm(sm_connect(&c, url, bad), SM_EAUTH);
    ck_assert(broker_log_contains(&broker, "peer 127.0.0.1:"));
    ck_sm(broker_connect(&broker, &cli), SM_OK); /* ipc still served */
    tls_env(NULL, NULL, NULL);
}
END_TEST

START_TEST(test_tls_client_certificate_required)
{
    char url[64];
    tls_broker(url, sizeof(url), true);
    tls_env("ca.pem", NULL, NULL);
    ck_sm(tls_connect(url), SM_ECONN);
    tls_env("ca.pem", "other.pem", "other.key"); /* not signed by the broker's CA */
    ck_sm(tls_connect(url), SM_ECONN);
    tls_env("ca.pem", "client.pem", "client.key");
    ck_sm(tls_connect(url), SM_OK);
    ck_sm(broker_connect(&broker, &cli), SM_OK);
    tls_env(NULL, NULL, NULL);
    /* syncmgrctl: the same files as flags (exit 0 / 3: cannot connect) */
    ck_assert_int_eq(ctl_tls(url, "ca.pem", "client.pem", "client.key"), 0);
    ck_assert_int_eq(ctl_tls(url, "ca.pem", NULL, NULL), 3);
}
END_TEST

START_TEST(test_tls_needs_a_certificate)
{
    char listen[64];
    memset(&broker, 0, sizeof(broker));
    ck_assert_int_eq(broker_init(&broker), 0);
    snprintf(listen, sizeof(listen), "tls+tcp://127.0.0.1:%d", free_port());
    /* refuses to start, saying why */
    broker_fails = true;
    ck_assert_int_eq(broker_start(&broker, "--listen", listen, NULL), -1);
    ck_assert(broker_log_contains(&broker, "--tls-cert"));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("security");
    TCase *tc = tcase_create("security");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_socket_mode_and_group);
    tcase_add_test(tc, test_allow_uids);
    tcase_add_test(tc, test_failed_auth_is_slow_for_it_alone);
    tcase_add_test(tc, test_key_never_logged);
    tcase_add_test(tc, test_tls_server_verified);
    tcase_add_test(tc, test_tls_client_certificate_required);
    tcase_add_test(tc, test_tls_needs_a_certificate);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(suite(), CK_NORMAL);
}
