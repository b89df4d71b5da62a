/*
 * dict_table.h - the dict's hash table: compact, insertion-ordered, in the
 * way of CPython's dict.
 *
 * Entries live in an array in insertion order (a deleted entry leaves a
 * hole until the next rebuild); an open-addressing index of 32-bit slots
 * (linear probing) maps a key's hash to its place in that array.  Each
 * entry is one allocation holding the key bytes and the value bytes.  The
 * overhead per entry is one pointer, 1.5 to 3 index slots and the entry's
 * 12-byte header.
 *
 * The caller hashes (obj_dict.c uses keyed SipHash) and compares keys as
 * bytes.  Nothing here allocates except dt_reserve() and dkv_new(), so a
 * change can be prepared, then applied without failing.
 */
#ifndef SM_BROKER_DICT_TABLE_H
#define SM_BROKER_DICT_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One key/value pair: the key's bytes, then the value's. */
struct dkv {
    uint32_t hash;
    uint32_t klen;
    uint32_t vlen;
    uint8_t data[];
};

static inline const uint8_t *dkv_key(const struct dkv *e)
{
    return e->data;
}

static inline const uint8_t *dkv_val(const struct dkv *e)
{
    return e->data + e->klen;
}

struct dict_table {
    struct dkv **ent; /* insertion order; NULL: a deleted entry's hole */
    uint32_t *idx;    /* 0: empty, DT_GONE: deleted, else position in ent + 1 */
    size_t nent;      /* positions used in ent, holes included */
    size_t capent;    /* room in ent */
    size_t count;     /* live entries */
    size_t mask;      /* index slots - 1 */
    size_t ngone;     /* DT_GONE slots in idx */
};

/* dkv_new() - an unlinked pair; NULL on ENOMEM or a length over 32 bits.
 * Free with free() unless a table owns it. */
struct dkv *dkv_new(uint32_t hash, const void *k, size_t klen, const void *v, size_t vlen);

/* dt_init() - an empty table (allocates nothing). */
void dt_init(struct dict_table *t);

/* dt_clear() - free every pair and the arrays; the table is empty again. */
void dt_clear(struct dict_table *t);

/**
 * dt_find() - the position in ent of the key @k (@klen bytes, hash @hash),
 * or (size_t)-1 when absent.
 */
size_t dt_find(const struct dict_table *t, uint32_t hash, const void *k, size_t klen);

/**
 * dt_reserve() - make room for @n more dt_link() calls, which then cannot
 * fail.  Returns 0, or -1 on ENOMEM (the table is unchanged).
 */
int dt_reserve(struct dict_table *t, size_t n);

/* dt_link() - append @e (its key absent) at the end of the order; room
 * must have been reserved.  The table owns @e. */
void dt_link(struct dict_table *t, struct dkv *e);

/* dt_replace() - put @e (the same key) at @pos and return the pair it
 * replaces, which the caller frees.  The order is kept. */
struct dkv *dt_replace(struct dict_table *t, size_t pos, struct dkv *e);

/* dt_unlink() - take the pair at @pos out and return it (caller frees);
 * may shrink the arrays. */
struct dkv *dt_unlink(struct dict_table *t, size_t pos);

/* dt_next() - the first live position at or after @pos, or t->nent. */
static inline size_t dt_next(const struct dict_table *t, size_t pos)
{
    while (pos < t->nent && !t->ent[pos])
        pos++;
    return pos;
}

/* dt_last() - the position of the newest pair, or (size_t)-1 if empty
 * (trailing holes are trimmed as they appear, so it is t->nent - 1). */
static inline size_t dt_last(const struct dict_table *t)
{
    return t->count ? t->nent - 1 : (size_t)-1;
}

/* Iterate live positions @i of @t in insertion order. */
#define DT_FOREACH(t, i) for (size_t i = dt_next((t), 0); i < (t)->nent; i = dt_next((t), i + 1))

#endif
