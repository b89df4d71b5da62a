/*
 * blob.h - a stored value: opaque, already validated msgpack bytes, kept
 * verbatim and returned as they came.
 *
 * Handlers run under the core lock, and so does every blob_new()/blob_free();
 * the byte count below is not atomic.
 */
#ifndef SM_BROKER_BLOB_H
#define SM_BROKER_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "errors.h"

struct blob {
    uint32_t len;
    uint8_t data[];
};

/**
 * blob_new() - copy @len bytes at @p into a new blob.  Returns NULL when
 * memory runs out or @len does not fit in 32 bits.  Free with blob_free().
 */
struct blob *blob_new(const void *p, size_t len);

/* blob_free() - free a blob; NULL is fine. */
void blob_free(struct blob *b);

/* blob_bytes_stored() - value bytes held in live blobs (headers excluded). */
size_t blob_bytes_stored(void);

/* blob_pack() - append the stored bytes to @pk as one msgpack object.
 * Returns SM_OK or SM_ENOMEM. */
static inline int blob_pack(msgpack_packer *pk, const struct blob *b)
{
    return mp_pack_raw(pk, b->data, b->len) ? SM_ENOMEM : SM_OK;
}

#endif
