/*
 * admin.h - what the inspection ops (info, sessions, stats in admin.c) and
 * the types' .describe functions share: packing "key": value pairs of a
 * map whose header the caller has packed.
 *
 * The packers here go to a buffer that remembers a failed write (admin.c),
 * so a .describe ignores their results.
 */
#ifndef SM_BROKER_ADMIN_H
#define SM_BROKER_ADMIN_H

#include <msgpack.h>
#include <stdbool.h>
#include <stdint.h>

struct waiter;

/* admin_key() - the str map key @key. */
void admin_key(msgpack_packer *pk, const char *key);

/* admin_uint() / admin_int() / admin_bool() - @key and a number or bool. */
void admin_uint(msgpack_packer *pk, const char *key, uint64_t v);
void admin_int(msgpack_packer *pk, const char *key, int64_t v);
void admin_bool(msgpack_packer *pk, const char *key, bool v);

/* admin_str() - @key and the str @s, or nil when @s is NULL. */
void admin_str(msgpack_packer *pk, const char *key, const char *s);

/* admin_count() - waiters on an object queue (a wait.h list on onext). */
uint64_t admin_count(const struct waiter *queue);

#endif
