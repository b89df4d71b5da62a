/*
 * test_auth.c - proto/auth.c: HMAC proofs, constant-time check, authkey files.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "check_run.h"
#include "errors.h"

/* ---- proofs ------------------------------------------------------------- */

static const uint8_t key1[] = "0123456789abcdef0123456789abcdef";
static const uint8_t key2[] = "0123456789abcdef0123456789abcdeF";

static void nonces(uint8_t bn[SM_NONCE_LEN], uint8_t cn[SM_NONCE_LEN])
{
    for (int i = 0; i < SM_NONCE_LEN; i++) {
        bn[i] = (uint8_t)(i * 7 + 1);
        cn[i] = (uint8_t)(i * 13 + 5);
    }
}

START_TEST(proof_deterministic)
{
    uint8_t bn[SM_NONCE_LEN], cn[SM_NONCE_LEN], a[SM_MAC_LEN], b[SM_MAC_LEN];
    nonces(bn, cn);
    auth_proof(key1, 32, AUTH_CLIENT, bn, cn, a);
    auth_proof(key1, 32, AUTH_CLIENT, bn, cn, b);
    ck_assert_mem_eq(a, b, SM_MAC_LEN);
    auth_proof(key1, 32, AUTH_BROKER, bn, cn, a);
    auth_proof(key1, 32, AUTH_BROKER, bn, cn, b);
    ck_assert_mem_eq(a, b, SM_MAC_LEN);
}
END_TEST

/* The bytes PROTOCOL.md promises: HMAC-SHA256(key, label || n1 || n2). */
START_TEST(proof_matches_spec)
{
    uint8_t bn[SM_NONCE_LEN], cn[SM_NONCE_LEN], got[SM_MAC_LEN], want[SM_MAC_LEN];
    uint8_t msg[14 + 2 * SM_NONCE_LEN];
    nonces(bn, cn);
    memcpy(msg, "syncmgr client", 14);
    memcpy(msg + 14, bn, SM_NONCE_LEN);
    memcpy(msg + 14 + SM_NONCE_LEN, cn, SM_NONCE_LEN);
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key1, 32);
    crypto_auth_hmacsha256_update(&st, msg, sizeof(msg));
    crypto_auth_hmacsha256_final(&st, want);
    auth_proof(key1, 32, AUTH_CLIENT, bn, cn, got);
    ck_assert_mem_eq(got, want, SM_MAC_LEN);

    memcpy(msg, "syncmgr broker", 14);
    memcpy(msg + 14, cn, SM_NONCE_LEN);
    memcpy(msg + 14 + SM_NONCE_LEN, bn, SM_NONCE_LEN);
    crypto_auth_hmacsha256_init(&st, key1, 32);
    crypto_auth_hmacsha256_update(&st, msg, sizeof(msg));
    crypto_auth_hmacsha256_final(&st, want);
    auth_proof(key1, 32, AUTH_BROKER, bn, cn, got);
    ck_assert_mem_eq(got, want, SM_MAC_LEN);
}
END_TEST

START_TEST(proof_differs)
{
    uint8_t bn[SM_NONCE_LEN], cn[SM_NONCE_LEN];
    uint8_t base[SM_MAC_LEN], p[SM_MAC_LEN];
    nonces(bn, cn);
    auth_proof(key1, 32, AUTH_CLIENT, bn, cn, base);
    /* by role: a broker proof cannot be reflected back as a client proof */
    auth_proof(key1, 32, AUTH_BROKER, bn, cn, p);
    ck_assert_mem_ne(base, p, SM_MAC_LEN);
    /* by nonce order */
    auth_proof(key1, 32, AUTH_CLIENT, cn, bn, p);
    ck_assert_mem_ne(base, p, SM_MAC_LEN);
    /* a broker proof with swapped nonces is not the client proof either */
    auth_proof(key1, 32, AUTH_BROKER, cn, bn, p);
    ck_assert_mem_ne(base, p, SM_MAC_LEN);
    /* by key: one character, or one byte shorter */
    auth_proof(key2, 32, AUTH_CLIENT, bn, cn, p);
    ck_assert_mem_ne(base, p, SM_MAC_LEN);
    auth_proof(key1, 31, AUTH_CLIENT, bn, cn, p);
    ck_assert_mem_ne(base, p, SM_MAC_LEN);
    /* by either nonce, one bit */
    bn[SM_NONCE_LEN - 1] ^= 1;
    auth_proof(key1, 32, AUTH_CLIENT, bn, cn, p);
    ck_assert_mem_ne(base, p, SM_MAC_LEN);
    bn[SM_NONCE_LEN - 1] ^= 1;
    cn[0] ^= 0x80;
    auth_proof(key1, 32, AUTH_CLIENT, bn, cn, p);
    ck_assert_mem_ne(base, p, SM_MAC_LEN);
    cn[0] ^= 0x80;
    auth_proof(key1, 32, AUTH_CLIENT, bn, cn, p);
    ck_assert_mem_eq(base, p, SM_MAC_LEN);
}
END_TEST

START_TEST(check_proofs)
{
    uint8_t bn[SM_NONCE_LEN], cn[SM_NONCE_LEN], mac[SM_MAC_LEN], got[SM_MAC_LEN + 1];
    nonces(bn, cn);
    auth_proof(key1, 32, AUTH_CLIENT, bn, cn, mac);
    memcpy(got, mac, SM_MAC_LEN);
    got[SM_MAC_LEN] = 0;
    ck_assert(auth_check(mac, got, SM_MAC_LEN));
    ck_assert(!auth_check(mac, got, SM_MAC_LEN - 1)); /* a prefix is not a proof */
    ck_assert(!auth_check(mac, got, SM_MAC_LEN + 1));
    ck_assert(!auth_check(mac, got, 0));
    for (int bit = 0; bit < SM_MAC_LEN * 8; bit++) {
        got[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        ck_assert_msg(!auth_check(mac, got, SM_MAC_LEN), "bit %d flipped accepted", bit);
        got[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    ck_assert(auth_check(mac, got, SM_MAC_LEN));
}
END_TEST

START_TEST(nonces_random)
{
    uint8_t a[SM_NONCE_LEN], b[SM_NONCE_LEN], zero[SM_NONCE_LEN] = {0};
    auth_nonce(a);
    auth_nonce(b);
    ck_assert_mem_ne(a, b, SM_NONCE_LEN);
    ck_assert_mem_ne(a, zero, SM_NONCE_LEN);
}
END_TEST

/* ---- key files ---------------------------------------------------------- */

static char dir[512];

static void init_sodium(void)
{
    ck_assert_int_eq(auth_init(), SM_OK);
}

/* The scratch dir is made and removed in the parent (unchecked fixture), so
 * it goes even when a test fails; every test uses its own file names. */
static void setup_dir(void)
{
    init_sodium();
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    int n = snprintf(dir, sizeof(dir), "%s/sm-auth-XXXXXX", tmp);
    ck_assert(n > 0 && (size_t)n < sizeof(dir));
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown_dir(void)
{
    char cmd[sizeof(dir) + 16];
    if (!dir[0])
        return;
    int n = snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (n < 0 || (size_t)n >= sizeof(cmd) || system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    dir[0] = 0;
}

/* path() - @name inside the scratch dir (static buffer, one at a time). */
static const char *path(const char *name)
{
    static char p[PATH_MAX];
    int n = snprintf(p, sizeof(p), "%s/%s", dir, name);
    ck_assert(n > 0 && (size_t)n < sizeof(p));
    return p;
}

/* write_key() - a file holding @len bytes of @data, with exactly @mode. */
static const char *write_key(const char *name, const void *data, size_t len, mode_t mode)
{
    const char *p = path(name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    ck_assert_int_eq(fchmod(fd, mode), 0);
    close(fd);
    return p;
}

/* load() - auth_load_key() with its reason checked to be filled on failure */
static int load(const char *p, uint8_t **key, size_t *len)
{
    char why[256] = "";
    *key = NULL;
    *len = 0;
    int rc = auth_load_key(p, key, len, why, sizeof(why));
    if (rc == SM_OK) {
        ck_assert_ptr_nonnull(*key);
    } else {
        ck_assert_ptr_null(*key);
        ck_assert_msg(strstr(why, p) != NULL, "reason '%s' does not name the file", why);
    }
    return rc;
}

START_TEST(load_strips_one_newline)
{
    uint8_t *k;
    size_t n;
    const char *p = write_key("k1", "0123456789abcdef\n", 17, 0600);
    ck_assert_int_eq(load(p, &k, &n), SM_OK);
    ck_assert_uint_eq(n, 16);
    ck_assert_mem_eq(k, "0123456789abcdef", 16);
    auth_free_key(k, n);

    p = write_key("k2", "0123456789abcdef\n\n", 18, 0600);
    ck_assert_int_eq(load(p, &k, &n), SM_OK);
    ck_assert_uint_eq(n, 17);
    ck_assert_mem_eq(k, "0123456789abcdef\n", 17);
    auth_free_key(k, n);

    /* no newline: all bytes; CR and spaces are key bytes */
    p = write_key("k3", "0123456789abcdef \r", 18, 0600);
    ck_assert_int_eq(load(p, &k, &n), SM_OK);
    ck_assert_uint_eq(n, 18);
    ck_assert_mem_eq(k, "0123456789abcdef \r", 18);
    auth_free_key(k, n);

    /* binary keys are bytes, NULs included */
    static const uint8_t bin[20] = {0, 1, 2, 0, 0xff, 10, 0, 9};
    p = write_key("k4", bin, sizeof(bin), 0600);
    ck_assert_int_eq(load(p, &k, &n), SM_OK);
    ck_assert_uint_eq(n, sizeof(bin));
    ck_assert_mem_eq(k, bin, sizeof(bin));
    auth_free_key(k, n);
    auth_free_key(NULL, 0);
}
END_TEST

START_TEST(load_rejects_short)
{
    uint8_t *k;
    size_t n;
    ck_assert_int_eq(load(write_key("e0", "", 0, 0600), &k, &n), SM_EAUTH);
    ck_assert_int_eq(load(write_key("e1", "\n", 1, 0600), &k, &n), SM_EAUTH);
    ck_assert_int_eq(load(write_key("s15", "0123456789abcde", 15, 0600), &k, &n), SM_EAUTH);
    /* 15 bytes and the newline that is stripped */
    ck_assert_int_eq(load(write_key("s15n", "0123456789abcde\n", 16, 0600), &k, &n), SM_EAUTH);
    ck_assert_int_eq(load(write_key("s16", "0123456789abcdef", 16, 0600), &k, &n), SM_OK);
    ck_assert_uint_eq(n, SM_KEY_MIN);
    auth_free_key(k, n);
}
END_TEST

START_TEST(load_long_keys)
{
    uint8_t *k;
    size_t n;
    static char big[SM_KEY_MAX + 2];
    memset(big, 'k', sizeof(big));
    ck_assert_int_eq(load(write_key("max", big, SM_KEY_MAX, 0600), &k, &n), SM_OK);
    ck_assert_uint_eq(n, SM_KEY_MAX);
    auth_free_key(k, n);
    big[SM_KEY_MAX] = '\n';
    ck_assert_int_eq(load(write_key("maxn", big, SM_KEY_MAX + 1, 0600), &k, &n), SM_OK);
    ck_assert_uint_eq(n, SM_KEY_MAX);
    auth_free_key(k, n);
    big[SM_KEY_MAX] = 'k';
    ck_assert_int_eq(load(write_key("over", big, SM_KEY_MAX + 1, 0600), &k, &n), SM_EAUTH);
    /* far longer than the buffer: refused, not truncated to a prefix */
    static char huge[3 * SM_KEY_MAX];
    memset(huge, 'h', sizeof(huge));
    huge[sizeof(huge) - 1] = '\n';
    ck_assert_int_eq(load(write_key("huge", huge, sizeof(huge), 0600), &k, &n), SM_EAUTH);
}
END_TEST

START_TEST(load_modes)
{
    static const struct {
        mode_t mode;
        int rc;
    } cases[] = {
        {0600, SM_OK}, {0640, SM_OK}, {0400, SM_OK}, {0440, SM_OK},
        {0620, SM_EAUTH}, /* group-writable */
        {0660, SM_EAUTH},
        {0604, SM_EAUTH}, /* world-readable */
        {0644, SM_EAUTH},
        {0602, SM_EAUTH}, /* world-writable */
        {0606, SM_EAUTH}, {0666, SM_EAUTH}, {0777, SM_EAUTH},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t *k;
        size_t n;
        char name[16];
        snprintf(name, sizeof(name), "m%04o", (unsigned)cases[i].mode);
        int rc = load(write_key(name, "0123456789abcdef\n", 17, cases[i].mode), &k, &n);
        ck_assert_msg(rc == cases[i].rc, "mode %04o: rc %d, want %d", (unsigned)cases[i].mode, rc,
                      cases[i].rc);
        if (rc == SM_OK)
            auth_free_key(k, n);
    }
}
END_TEST

START_TEST(load_not_a_key_file)
{
    uint8_t *k;
    size_t n;
    /* a missing file */
    ck_assert_int_eq(load(path("missing"), &k, &n), SM_ENOENT);
    /* a directory, even a private one */
    ck_assert_int_eq(mkdir(path("d"), 0700), 0);
    ck_assert_int_eq(load(path("d"), &k, &n), SM_EAUTH);
    /* a FIFO: refused at once, not waited on for a writer */
    ck_assert_int_eq(mkfifo(path("fifo"), 0600), 0);
    ck_assert_int_eq(load(path("fifo"), &k, &n), SM_EAUTH);
    /* a symlink to a good key is followed; to a bad one refused */
    write_key("good", "0123456789abcdef\n", 17, 0600);
    ck_assert_int_eq(symlink("good", path("lnk")), 0);
    ck_assert_int_eq(load(path("lnk"), &k, &n), SM_OK);
    auth_free_key(k, n);
    write_key("bad", "0123456789abcdef\n", 17, 0644);
    ck_assert_int_eq(symlink("bad", path("lnkbad")), 0);
    ck_assert_int_eq(load(path("lnkbad"), &k, &n), SM_EAUTH);
    /* a path through a regular file */
    ck_assert_int_ne(load(path("good/x"), &k, &n), SM_OK);
}
END_TEST

static mode_t file_mode(const char *p)
{
    struct stat st;
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert(S_ISREG(st.st_mode));
    return st.st_mode & 07777;
}

static void assert_generated_key(const char *p)
{
    char buf[80];
    int fd = open(p, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ssize_t n = read(fd, buf, sizeof(buf));
    close(fd);
    ck_assert_int_eq(n, 65);
    ck_assert_int_eq(buf[64], '\n');
    for (int i = 0; i < 64; i++)
        ck_assert_msg(strchr("0123456789abcdef", buf[i]) && buf[i], "byte %d is '%c'", i, buf[i]);
    uint8_t *k;
    size_t len;
    ck_assert_int_eq(load(p, &k, &len), SM_OK);
    ck_assert_uint_eq(len, 64);
    ck_assert_mem_eq(k, buf, 64);
    auth_free_key(k, len);
}

START_TEST(keygen_writes_loadable_key)
{
    char why[256] = "";
    const char *p = path("gen");
    ck_assert_int_eq(auth_keygen(p, why, sizeof(why)), SM_OK);
    ck_assert_uint_eq(file_mode(p), 0640);
    assert_generated_key(p);
    /* a second key differs */
    char a[65], b[65];
    int fd = open(p, O_RDONLY);
    ck_assert_int_eq(read(fd, a, 65), 65);
    close(fd);
    ck_assert_int_eq(auth_keygen(path("gen2"), why, sizeof(why)), SM_OK);
    fd = open(path("gen2"), O_RDONLY);
    ck_assert_int_eq(read(fd, b, 65), 65);
    close(fd);
    ck_assert_mem_ne(a, b, 64);
}
END_TEST

START_TEST(keygen_mode_under_any_umask)
{
    static const mode_t masks[] = {0, 022, 077, 0277, 0777};
    char why[256];
    for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
        char name[16];
        snprintf(name, sizeof(name), "u%04o", (unsigned)masks[i]);
        mode_t old = umask(masks[i]);
        int rc = auth_keygen(path(name), why, sizeof(why));
        umask(old);
        ck_assert_msg(rc == SM_OK, "umask %04o: %s", (unsigned)masks[i], why);
        ck_assert_msg(file_mode(path(name)) == 0640, "umask %04o gave mode %04o",
                      (unsigned)masks[i], (unsigned)file_mode(path(name)));
        assert_generated_key(path(name));
    }
}
END_TEST

START_TEST(keygen_refuses_existing)
{
    char why[256] = "";
    const char *p = write_key("exists", "keep me, I am the old key\n", 26, 0600);
    ck_assert_int_eq(auth_keygen(p, why, sizeof(why)), SM_EEXIST);
    ck_assert_ptr_nonnull(strstr(why, "exists"));
    /* untouched */
    char buf[64];
    int fd = open(p, O_RDONLY);
    ck_assert_int_eq(read(fd, buf, sizeof(buf)), 26);
    close(fd);
    ck_assert_mem_eq(buf, "keep me, I am the old key\n", 26);
    ck_assert_uint_eq(file_mode(p), 0600);
    /* nor through a dangling symlink */
    ck_assert_int_eq(symlink("target", path("dangling")), 0);
    ck_assert_int_ne(auth_keygen(path("dangling"), why, sizeof(why)), SM_OK);
    ck_assert_int_eq(access(path("target"), F_OK), -1);
    /* nor into a directory that does not exist */
    ck_assert_int_eq(auth_keygen(path("no/such/dir"), why, sizeof(why)), SM_EIO);
}
END_TEST

static Suite *auth_suite(void)
{
    Suite *s = suite_create("auth");
    TCase *tc = tcase_create("proofs");
    tcase_add_unchecked_fixture(tc, init_sodium, NULL);
    tcase_add_test(tc, proof_deterministic);
    tcase_add_test(tc, proof_matches_spec);
    tcase_add_test(tc, proof_differs);
    tcase_add_test(tc, check_proofs);
    tcase_add_test(tc, nonces_random);
    suite_add_tcase(s, tc);
    tc = tcase_create("keyfiles");
    tcase_add_unchecked_fixture(tc, setup_dir, teardown_dir);
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, load_strips_one_newline);
    tcase_add_test(tc, load_rejects_short);
    tcase_add_test(tc, load_long_keys);
    tcase_add_test(tc, load_modes);
    tcase_add_test(tc, load_not_a_key_file);
    tcase_add_test(tc, keygen_writes_loadable_key);
    tcase_add_test(tc, keygen_mode_under_any_umask);
    tcase_add_test(tc, keygen_refuses_existing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(auth_suite(), CK_NORMAL);
}
