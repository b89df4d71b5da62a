/*
 * opts.h - reading the options map of an open request ({"maxsize": 10}).
 *
 * Each reader looks @key up in @opts (a validated map, or NULL for none).
 * An absent key gives the default; a present key of the wrong kind gives
 * SM_EINVAL.  opts_check() refuses keys a type does not know.
 */
#ifndef SM_BROKER_OPTS_H
#define SM_BROKER_OPTS_H

#include <stdbool.h>
#include <stdint.h>

#include "codec.h"

/* opts_find() - a reader at the value of @key: SM_OK, or SM_ENOKEY. */
int opts_find(const struct arg *opts, const char *key, mp_reader *val);

int opts_uint(const struct arg *opts, const char *key, uint64_t dflt, uint64_t *out);
int opts_bool(const struct arg *opts, const char *key, bool dflt, bool *out);
/* opts_str() - *s is NULL when absent; not NUL-terminated. */
int opts_str(const struct arg *opts, const char *key, const char **s, uint32_t *len);
/* opts_raw() - the encoded value; *p is NULL when absent. */
int opts_raw(const struct arg *opts, const char *key, const uint8_t **p, size_t *len);

/* opts_any() - true when @opts holds any key (types without options refuse it). */
bool opts_any(const struct arg *opts);

/* opts_check() - SM_EINVAL if a key is not in the NULL-terminated @known
 * or a key is not a str. */
int opts_check(const struct arg *opts, const char *const *known);

#endif
