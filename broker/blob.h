/*
 * blob.h - a stored value: opaque, already validated msgpack bytes, kept
 * verbatim and returned as they came.
 *
 * Handlers run under the core lock, and so does every blob_new()/blob_free();
 * the byte count below is not atomic.
 *
 * The memory limit (--max-memory, like Redis' maxmemory with noeviction) is
 * kept here, where stored values are allocated: every blob counts its bytes
 * plus BLOB_OVERHEAD (its header, the allocator's and the slot of the dict,
 * list, queue or pipe that holds it), other long-lived allocations (an
 * object, an array's elements) reserve their size with blob_reserve().  A
 * blob_new() or blob_reserve() that would pass the limit fails, so the write
 * that wanted it gets SM_ENOMEM; reads and deletes never allocate here and
 * keep working.
 */
#ifndef SM_BROKER_BLOB_H
#define SM_BROKER_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "errors.h"

struct blob {
    uint32_t len;
    uint8_t data[];
};

/* Bytes a blob costs beyond its value (estimate). */
#define BLOB_OVERHEAD 48

/* Bytes an object costs beyond its name and contents (estimate: the object,
 * its type's struct, two hash handles). */
#define BLOB_OBJECT_OVERHEAD 256

/* blob_set_limit() - the most bytes blob_bytes_used() may reach; 0: none. */
void blob_set_limit(size_t max);

/* blob_limit() - the limit blob_set_limit() set; 0: none. */
size_t blob_limit(void);

/* blob_reserve() - count @n more bytes as used; false (nothing counted) if
 * that would pass the limit.  Give them back with blob_release(). */
bool blob_reserve(size_t n);
void blob_release(size_t n);

/* blob_bytes_used() - what the limit is checked against: blobs with their
 * overhead, plus every reservation. */
size_t blob_bytes_used(void);

/**
 * blob_new() - copy @len bytes at @p into a new blob.  Returns NULL when
 * memory runs out, the memory limit would be passed, or @len does not fit
 * in 32 bits.  Free with blob_free().
 */
struct blob *blob_new(const void *p, size_t len);

/* blob_free() - free a blob; NULL is fine. */
void blob_free(struct blob *b);

/* blob_bytes_stored() - value bytes held in live blobs (headers excluded)
 * and in other stores that count theirs with blob_account(). */
size_t blob_bytes_stored(void);

/* blob_account() - @len stored bytes held outside a blob (the dict keeps a
 * key and its value in one allocation of its own): counted as a blob of
 * @len bytes would be, against the limit too; false (nothing counted) if
 * that would pass it.  blob_unaccount() gives them back. */
bool blob_account(size_t len);
void blob_unaccount(size_t len);

/* blob_reaccount() - @old_len accounted bytes become @len (a value replaced
 * in place): checked against the limit only for what it adds, so a
 * replacement no larger than what it replaces always fits. */
bool blob_reaccount(size_t old_len, size_t len);

/* blob_pack() - append the stored bytes to @pk as one msgpack object.
 * Returns SM_OK or SM_ENOMEM. */
static inline int blob_pack(msgpack_packer *pk, const struct blob *b)
{
    return mp_pack_raw(pk, b->data, b->len) ? SM_ENOMEM : SM_OK;
}

#endif
