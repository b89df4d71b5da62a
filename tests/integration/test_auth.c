/*
 * test_auth.c - the authkey handshake as an attacker sees it: a wrong key
 * gets nothing, every request before the handshake is refused with
 * SM_EAUTH, repeated failures close the pipe, badly protected key files are
 * refused by the library and by the broker, and good clients are served
 * throughout.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "check_run.h"
#include "harness.h"

static struct sm_broker broker;

static void setup(void)
{
    memset(&broker, 0, sizeof(broker));
    ck_assert_int_eq(broker_start(&broker, NULL), 0);
}

static void teardown(void)
{
    broker_stop(&broker, true);
}

/* A packer writing into a fresh buffer; msgpack_sbuffer_destroy() after. */
static msgpack_packer packer(msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    return pk;
}

/* good_client_check() - a client with the right key still gets right answers. */
static void good_client_check(void)
{
    sm_client *c;
    sm_dict *d;
    sm_val v = {0};
    ck_sm(broker_connect(&broker, &c), SM_OK);
    ck_sm(sm_dict_open(c, "secret", SM_CREATE, NULL, &d), SM_OK);
    ck_sm(sm_dict_get(d, sm_str("k"), &v), SM_OK);
    ck_repr(v, "'hidden'");
    sm_dict_close(d);
    sm_disconnect(c);
}

/* make_secret() - object 1 on a fresh broker: dict "secret" = {'k': 'hidden'}. */
static void make_secret(void)
{
    sm_client *c;
    sm_dict *d;
    ck_sm(broker_connect(&broker, &c), SM_OK);
    ck_sm(sm_dict_open(c, "secret", SM_CREATE, NULL, &d), SM_OK);
    ck_sm(sm_dict_set(d, sm_str("k"), sm_str("hidden")), SM_OK);
    sm_dict_close(d);
    sm_disconnect(c);
}

/* write_key() - a key file in the broker's directory. */
static const char *write_key(const char *name, const char *key, mode_t mode)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", broker.dir, name);
    ck_assert_int_eq(keyfile_write(path, key, strlen(key), mode), 0);
    return path;
}

START_TEST(test_wrong_key)
{
    const char *bad = write_key("wrongkey", "0123456789abcdef0123456789abcdef\n", 0600);
    make_secret();
    for (int i = 0; i < 5; i++) {
        sm_client *c = NULL;
        ck_sm(sm_connect(&c, broker.address, bad), SM_EAUTH);
        ck_assert_ptr_null(c);
    }
    /* the raw view: the handshake fails and nothing can be read afterwards */
    struct raw_conn r;
    msgpack_sbuffer sb;
    nng_msg *m;
    uint32_t nf;
    ck_assert_int_eq(raw_open(&r, broker.address), 0);
    ck_assert_int_eq(raw_handshake(&r, bad), SM_EAUTH);
    msgpack_packer pk = packer(&sb);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_uint64(&pk, SMOP_dict_get);
    msgpack_pack_uint64(&pk, 1);
    msgpack_pack_str_with_body(&pk, "k", 1);
    ck_assert_int_eq(raw_request(&r, &sb, &m), SM_EAUTH);
    ck_assert_int_eq(raw_status(m, NULL, &nf), SM_EAUTH);
    ck_assert_uint_eq(nf, 0);
    nng_msg_free(m);
    msgpack_sbuffer_destroy(&sb);
    raw_close(&r);

    ck_assert(broker_alive(&broker));
    good_client_check();
}
END_TEST

/* Every kind of request before the handshake: [opcode, fields...]. */
static void pack_preauth(msgpack_packer *pk, int which)
{
    switch (which) {
    case 0: /* dict.get on the secret's handle */
        msgpack_pack_array(pk, 3);
        msgpack_pack_uint64(pk, SMOP_dict_get);
        msgpack_pack_uint64(pk, 1);
        msgpack_pack_str_with_body(pk, "k", 1);
        break;
    case 1:
        msgpack_pack_array(pk, 2);
        msgpack_pack_uint64(pk, SMOP_dict_items);
        msgpack_pack_uint64(pk, 1);
        break;
    case 2:
        msgpack_pack_array(pk, 1);
        msgpack_pack_uint64(pk, SMOP_ping);
        break;
    case 3:
        msgpack_pack_array(pk, 1);
        msgpack_pack_uint64(pk, SMOP_ls);
        break;
    case 4:
        msgpack_pack_array(pk, 4);
        msgpack_pack_uint64(pk, SMOP_open);
        msgpack_pack_str_with_body(pk, "secret", 6);
        msgpack_pack_uint64(pk, SM_T_DICT);
        msgpack_pack_uint64(pk, 0);
        break;
    case 5:
        msgpack_pack_array(pk, 2);
        msgpack_pack_uint64(pk, SMOP_unlink);
        msgpack_pack_str_with_body(pk, "secret", 6);
        break;
    case 6:
        msgpack_pack_array(pk, 4);
        msgpack_pack_uint64(pk, SMOP_dict_set);
        msgpack_pack_uint64(pk, 1);
        msgpack_pack_str_with_body(pk, "k", 1);
        msgpack_pack_str_with_body(pk, "owned", 5);
        break;
    default: /* auth without a hello first */
        msgpack_pack_array(pk, 3);
        msgpack_pack_uint64(pk, SMOP_auth);
        msgpack_pack_bin_with_body(pk, "0123456789abcdef0123456789abcdef", SM_MAC_LEN);
        msgpack_pack_bin_with_body(pk, "0123456789abcdef0123456789abcdef", SM_NONCE_LEN);
        break;
    }
}

START_TEST(test_preauth_requests)
{
    make_secret();
    for (int which = 0; which < 8; which++) {
        for (int hello = 0; hello < 2; hello++) {
            struct raw_conn r;
            msgpack_sbuffer sb;
            nng_msg *m;
            uint32_t nf;
            ck_assert_int_eq(raw_open(&r, broker.address), 0);
            if (hello) { /* a hello alone proves nothing */
                msgpack_packer pk = packer(&sb);
                msgpack_pack_array(&pk, 3);
                msgpack_pack_uint64(&pk, SMOP_hello);
                msgpack_pack_uint64(&pk, SM_PROTO_VERSION);
                msgpack_pack_str_with_body(&pk, "it", 2);
                ck_assert_int_eq(raw_request(&r, &sb, NULL), SM_OK);
                msgpack_sbuffer_destroy(&sb);
            }
            msgpack_packer pk = packer(&sb);
            pack_preauth(&pk, which);
            int st = raw_request(&r, &sb, &m);
            ck_assert_msg(st == SM_EAUTH, "request %d (hello %d) before auth: status %d", which,
                          hello, st);
            ck_assert_int_eq(raw_status(m, NULL, &nf), SM_EAUTH);
            ck_assert_msg(nf == 0, "request %d: an EAUTH reply carries %u fields", which, nf);
            nng_msg_free(m);
            msgpack_sbuffer_destroy(&sb);
            raw_close(&r);
        }
    }
    ck_assert(broker_alive(&broker));
    good_client_check(); /* neither unlinked nor overwritten */
}
END_TEST

START_TEST(test_failures_close_pipe)
{
    const char *bad = write_key("wrongkey", "not the key, not the key, not the key\n", 0600);
    struct raw_conn r;
    make_secret();

    /* three wrong proofs on one pipe: two refusals, then the pipe goes */
    ck_assert_int_eq(raw_open(&r, broker.address), 0);
    ck_assert_int_eq(raw_handshake(&r, bad), SM_EAUTH);
    ck_assert_int_eq(raw_handshake(&r, bad), SM_EAUTH);
    ck_assert_int_eq(raw_handshake(&r, bad), -2);
    ck_assert_int_eq(raw_pipes_removed(&r), 1);
    raw_close(&r);

    /* the same for requests sent without any handshake */
    ck_assert_int_eq(raw_open(&r, broker.address), 0);
    for (int i = 0; i < 3; i++) {
        msgpack_sbuffer sb;
        msgpack_packer pk = packer(&sb);
        pack_preauth(&pk, 0);
        int st = raw_request(&r, &sb, NULL);
        msgpack_sbuffer_destroy(&sb);
        ck_assert_msg(st == (i < 2 ? SM_EAUTH : -2), "unauthenticated request %d: %d", i, st);
    }
    raw_close(&r);

    /* a good handshake on a new pipe is not held against anyone */
    ck_assert_int_eq(raw_open(&r, broker.address), 0);
    ck_assert_int_eq(raw_handshake(&r, broker.keyfile), SM_OK);
    ck_assert_int_eq(raw_ls_waiters(&r, "secret"), 0);
    raw_close(&r);

    ck_assert(broker_log_contains(&broker, "SM-AUTH-FAIL"));
    ck_assert(broker_log_contains(&broker, "SM-AUTH-CLOSE"));
    ck_assert(broker_alive(&broker));
    good_client_check();
}
END_TEST

START_TEST(test_client_key_file)
{
    char key[80];
    sm_client *c = NULL;
    FILE *f = fopen(broker.keyfile, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(key, sizeof(key), f));
    fclose(f);
    make_secret();

    /* the right key, but readable by others: refused before any connection */
    ck_sm(sm_connect(&c, broker.address, write_key("k0644", key, 0644)), SM_EAUTH);
    ck_sm(sm_connect(&c, broker.address, write_key("k0666", key, 0666)), SM_EAUTH);
    ck_sm(sm_connect(&c, broker.address, write_key("k0620", key, 0620)), SM_EAUTH);
    ck_sm(sm_connect(&c, broker.address, write_key("short", "tooshort\n", 0600)), SM_EAUTH);
    ck_sm(sm_connect(&c, broker.address, write_key("empty", "", 0600)), SM_EAUTH);
    char missing[200];
    snprintf(missing, sizeof(missing), "%s/no-such-key", broker.dir);
    ck_sm(sm_connect(&c, broker.address, missing), SM_ENOENT);
    ck_assert_ptr_null(c);

    /* 0640 is allowed; so is the key without its newline */
    ck_sm(sm_connect(&c, broker.address, write_key("k0640", key, 0640)), SM_OK);
    sm_disconnect(c);
    key[strcspn(key, "\n")] = 0;
    ck_sm(sm_connect(&c, broker.address, write_key("nonl", key, 0600)), SM_OK);
    sm_disconnect(c);
    good_client_check();
}
END_TEST

/* The broker refuses to start with a badly protected or too short key. */
START_TEST(test_broker_key_file)
{
    static const struct {
        const char *key;
        mode_t mode;
    } bad[] = {
        {"0123456789abcdef0123456789abcdef\n", 0644},
        {"0123456789abcdef0123456789abcdef\n", 0660},
        {"0123456789abcde\n", 0600}, /* 15 bytes */
        {"", 0600},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sm_broker b = {0};
        ck_assert_int_eq(broker_init(&b), 0);
        ck_assert_int_eq(keyfile_write(b.keyfile, bad[i].key, strlen(bad[i].key), bad[i].mode), 0);
        ck_assert_msg(broker_start(&b, NULL) == -1, "broker started with bad key file %zu", i);
        ck_assert_msg(WIFEXITED(b.status) && WEXITSTATUS(b.status) != 0,
                      "key file %zu: wait status %#x, expected a failure exit", i,
                      (unsigned)b.status);
        broker_stop(&b, false);
    }
    /* exactly 16 bytes at 0640 is fine */
    struct sm_broker b = {0};
    ck_assert_int_eq(broker_init(&b), 0);
    ck_assert_int_eq(keyfile_write(b.keyfile, "0123456789abcdef\n", 17, 0640), 0);
    ck_assert_int_eq(broker_start(&b, NULL), 0);
    broker_stop(&b, true);
}
END_TEST

int main(int argc, char **argv)
{
    static const struct child_prog none[] = {{NULL, NULL}};
    child_dispatch(argc, argv, none);

    Suite *s = suite_create("integration-auth");
    TCase *tc = tcase_create("auth");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_wrong_key);
    tcase_add_test(tc, test_preauth_requests);
    tcase_add_test(tc, test_failures_close_pipe);
    tcase_add_test(tc, test_client_key_file);
    suite_add_tcase(s, tc);

    TCase *tk = tcase_create("broker-key");
    tcase_set_timeout(tk, 60);
    tcase_add_test(tk, test_broker_key_file);
    suite_add_tcase(s, tk);

    return check_run(s, CK_ENV);
}
