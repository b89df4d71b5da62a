/*
 * auth.h - authkey files and the mutual HMAC-SHA256 challenge/response.
 *
 * client proof = HMAC-SHA256(key, "syncmgr client" || broker_nonce || client_nonce)
 * broker proof = HMAC-SHA256(key, "syncmgr broker" || client_nonce || broker_nonce)
 */
#ifndef SM_PROTO_AUTH_H
#define SM_PROTO_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "op.h"

#define SM_KEY_MIN 16
#define SM_KEY_MAX 4096

enum auth_role { AUTH_CLIENT, AUTH_BROKER };

/* auth_init() - initialise libsodium; returns SM_OK or SM_ENOMEM. */
int auth_init(void);

/**
 * auth_load_key() - read an authkey file: the bytes, one trailing newline
 * stripped, at least SM_KEY_MIN of them.  Refuses a file that is not a
 * regular file, is writable by group or others, or readable by others.
 * On failure returns SM_ENOENT (missing), SM_EAUTH (mode, type or length),
 * SM_EIO or SM_ENOMEM, and writes a one-line reason to @why.
 * Caller frees *key with auth_free_key().
 */
int auth_load_key(const char *path, uint8_t **key, size_t *len, char *why, size_t whylen);

/* auth_free_key() - wipe and free a key from auth_load_key(); NULL is fine. */
void auth_free_key(uint8_t *key, size_t len);

/**
 * auth_keygen() - write a fresh key (32 random bytes as 64 hex characters
 * and a newline) to @path with mode 0640; fails if @path exists.
 */
int auth_keygen(const char *path, char *why, size_t whylen);

/* auth_nonce() - fill @out with SM_NONCE_LEN random bytes. */
void auth_nonce(uint8_t out[SM_NONCE_LEN]);

/* auth_proof() - the proof that @role knows the key, for the two nonces. */
void auth_proof(const uint8_t *key, size_t keylen, enum auth_role role,
                const uint8_t broker_nonce[SM_NONCE_LEN],
                const uint8_t client_nonce[SM_NONCE_LEN], uint8_t out[SM_MAC_LEN]);

/* auth_check() - constant-time comparison of a received proof. */
bool auth_check(const uint8_t expect[SM_MAC_LEN], const void *got, size_t gotlen);

#endif
