/* blob.c - stored values and the count of bytes they hold. */
#include "blob.h"

#include <stdlib.h>
#include <string.h>

static size_t bytes_stored;

struct blob *blob_new(const void *p, size_t len)
{
    if (len > UINT32_MAX)
        return NULL;
    struct blob *b = malloc(sizeof(*b) + len);
    if (!b)
        return NULL;
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
    free(b);
}

size_t blob_bytes_stored(void)
{
    return bytes_stored;
}
