/*
 * slice.h - Python indexes and slices over a sequence of known length, shared
 * by every sequence type (list, array): a[i] with negative i, and
 * a[start:stop:step] with None bounds, negative indexes and clamping exactly
 * as PySlice_Unpack + PySlice_AdjustIndices.
 */
#ifndef SM_BROKER_SLICE_H
#define SM_BROKER_SLICE_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "errors.h"

/* A slice normalised against a length, as PySlice_AdjustIndices leaves it. */
struct slice {
    int64_t start, stop, step;
    size_t len; /* items selected: start, start + step, ... */
};

/**
 * slice_adjust() - normalise the request fields @a[0..2] (start, stop, step,
 * each an 'n' field: nil = None) over a sequence of @length items.  Returns
 * SM_OK, or SM_EVALUE when step is 0 (Python's ValueError).
 */
int slice_adjust(const struct arg *a, size_t length, struct slice *s);

/* slice_index() - the position of Python index @i (negative: from the end)
 * in a sequence of @length items; SM_EINDEX outside it (IndexError). */
static inline int slice_index(int64_t i, size_t length, size_t *out)
{
    if (i < 0)
        i += (int64_t)length;
    if (i < 0 || (uint64_t)i >= length)
        return SM_EINDEX;
    *out = (size_t)i;
    return SM_OK;
}

/* slice_at() - the position of the @k-th item selected (k < s->len). */
static inline size_t slice_at(const struct slice *s, size_t k)
{
    return (size_t)(s->start + (int64_t)k * s->step);
}

#endif
