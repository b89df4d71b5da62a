/* auth.c - authkey files and HMAC-SHA256 proofs on libsodium. */
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errors.h"

int auth_init(void)
{
    return sodium_init() < 0 ? SM_ENOMEM : SM_OK;
}

static int fail(char *why, size_t whylen, int rc, const char *path, const char *reason)
{
    if (why && whylen)
        snprintf(why, whylen, "authkey file %s: %s", path, reason);
    return rc;
}

int auth_load_key(const char *path, uint8_t **key, size_t *len, char *why, size_t whylen)
{
    struct stat st;
    uint8_t buf[SM_KEY_MAX + 2];
    /* O_NONBLOCK: a FIFO in the key's place must not hang us waiting for a
     * writer (fstat below refuses it); regular files ignore the flag. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return fail(why, whylen, errno == ENOENT ? SM_ENOENT : SM_EIO, path, strerror(errno));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(why, whylen, SM_EAUTH, path, "not a regular file");
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH | S_IROTH)) {
        close(fd);
        return fail(why, whylen, SM_EAUTH, path,
                    "group/world-writable or world-readable (use mode 0600 or 0640)");
    }
    ssize_t n = read(fd, buf, sizeof(buf));
    close(fd);
    if (n < 0)
        return fail(why, whylen, SM_EIO, path, strerror(errno));
    if (n > 0 && buf[n - 1] == '\n')
        n--;
    if (n > SM_KEY_MAX || n < SM_KEY_MIN) {
        sodium_memzero(buf, sizeof(buf));
        return fail(why, whylen, SM_EAUTH, path,
                    n > SM_KEY_MAX ? "key longer than 4096 bytes"
                    : n == 0       ? "empty key"
                                   : "key shorter than 16 bytes");
    }
    *key = malloc((size_t)n);
    if (!*key) {
        sodium_memzero(buf, sizeof(buf));
        return fail(why, whylen, SM_ENOMEM, path, "out of memory");
    }
    memcpy(*key, buf, (size_t)n);
    *len = (size_t)n;
    sodium_memzero(buf, sizeof(buf));
    return SM_OK;
}

void auth_free_key(uint8_t *key, size_t len)
{
    if (!key)
        return;
    sodium_memzero(key, len);
    free(key);
}

int auth_keygen(const char *path, char *why, size_t whylen)
{
    uint8_t raw[32];
    char hex[65];
    if (auth_init())
        return fail(why, whylen, SM_ENOMEM, path, "cannot initialise libsodium");
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
    sodium_memzero(raw, sizeof(raw));
    hex[64] = '\n';
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0)
        return fail(why, whylen, errno == EEXIST ? SM_EEXIST : SM_EIO, path, strerror(errno));
    /* O_CREAT's mode is filtered by the umask; set it exactly. */
    int ok = fchmod(fd, 0640) == 0 && write(fd, hex, sizeof(hex)) == (ssize_t)sizeof(hex);
    ok = close(fd) == 0 && ok;
    sodium_memzero(hex, sizeof(hex));
    if (!ok) {
        unlink(path);
        return fail(why, whylen, SM_EIO, path, strerror(errno));
    }
    return SM_OK;
}

void auth_nonce(uint8_t out[SM_NONCE_LEN])
{
    randombytes_buf(out, SM_NONCE_LEN);
}

void auth_proof(const uint8_t *key, size_t keylen, enum auth_role role,
                const uint8_t broker_nonce[SM_NONCE_LEN],
                const uint8_t client_nonce[SM_NONCE_LEN], uint8_t out[SM_MAC_LEN])
{
    static const char label_client[] = "syncmgr client", label_broker[] = "syncmgr broker";
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, keylen);
    if (role == AUTH_CLIENT) {
        crypto_auth_hmacsha256_update(&st, (const uint8_t *)label_client, sizeof(label_client) - 1);
        crypto_auth_hmacsha256_update(&st, broker_nonce, SM_NONCE_LEN);
        crypto_auth_hmacsha256_update(&st, client_nonce, SM_NONCE_LEN);
    } else {
        crypto_auth_hmacsha256_update(&st, (const uint8_t *)label_broker, sizeof(label_broker) - 1);
        crypto_auth_hmacsha256_update(&st, client_nonce, SM_NONCE_LEN);
        crypto_auth_hmacsha256_update(&st, broker_nonce, SM_NONCE_LEN);
    }
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof(st));
}

bool auth_check(const uint8_t expect[SM_MAC_LEN], const void *got, size_t gotlen)
{
    return gotlen == SM_MAC_LEN && sodium_memcmp(expect, got, SM_MAC_LEN) == 0;
}
