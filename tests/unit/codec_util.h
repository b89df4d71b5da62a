/* codec_util.h - helpers shared by the codec unit tests (codec_util.c). */
#ifndef SM_TESTS_CODEC_UTIL_H
#define SM_TESTS_CODEC_UTIL_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BYTES(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

/* A growable buffer with a msgpack packer on it. */
struct pb {
    msgpack_sbuffer sb;
    msgpack_packer pk;
};

/* calls of malloc/calloc/realloc in this program so far (the validator
 * must make none) */
extern volatile unsigned long alloc_calls;

void pb_init(struct pb *b);
void pb_free(struct pb *b);
const uint8_t *pb_data(const struct pb *b);
int validate(const uint8_t *p, size_t n);
void assert_msgpack_c_accepts(const uint8_t *p, size_t n);
size_t canon_of(const uint8_t *p, size_t n, uint8_t **out);
void assert_canon(const uint8_t *p, size_t n, const uint8_t *want, size_t wantlen);
void assert_same_canon(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
bool same_canon(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
void pack_rich(struct pb *b);
size_t nested(uint8_t *buf, unsigned n, uint8_t container);

#endif
