/* blob.c - stored values, the count of bytes they hold, and the memory
 * limit (blob.h). */
#include "blob.h"

#include <stdlib.h>
#include <string.h>

static size_t bytes_stored; /* value bytes */
static size_t bytes_used;   /* value bytes, overheads and reservations */
static size_t bytes_limit;  /* 0: none */

void blob_set_limit(size_t max)
{
    bytes_limit = max;
}

bool blob_reserve(size_t n)
{
    if (bytes_limit && (n > bytes_limit || bytes_used > bytes_limit - n))
        return false;
    bytes_used += n;
    return true;
}

void blob_release(size_t n)
{
    bytes_used -= n;
}

size_t blob_limit(void)
{
    return bytes_limit;
}

size_t blob_bytes_used(void)
{
    return bytes_used;
}

struct blob *blob_new(const void *p, size_t len)
{
    if (len > UINT32_MAX || !blob_reserve(len + BLOB_OVERHEAD))
        return NULL;
    struct blob *b = malloc(sizeof(*b) + len);
    if (!b) {
        blob_release(len + BLOB_OVERHEAD);
        return NULL;
    }
    b->len = (uint32_t)len;
    if (len)
        memcpy(b->data, p, len);
    bytes_stored += len;
    return b;
}

void blob_free(struct blob *b)
{
    if (!b)
        return;
    bytes_stored -= b->len;
    blob_release(b->len + BLOB_OVERHEAD);
    free(b);
}

size_t blob_bytes_stored(void)
{
    return bytes_stored;
}

bool blob_account(size_t len)
{
    if (!blob_reserve(len + BLOB_OVERHEAD))
        return false;
    bytes_stored += len;
    return true;
}

void blob_unaccount(size_t len)
{
    bytes_stored -= len;
    blob_release(len + BLOB_OVERHEAD);
}

bool blob_reaccount(size_t old_len, size_t len)
{
    if (len > old_len && !blob_reserve(len - old_len))
        return false;
    if (len < old_len)
        blob_release(old_len - len);
    bytes_stored = bytes_stored - old_len + len;
    return true;
}
