/* dict_table.c - compact insertion-ordered hash table (dict_table.h). */
#include "dict_table.h"

#include <stdlib.h>
#include <string.h>

#define DT_GONE UINT32_MAX /* index slot of a deleted entry */
#define DT_MIN 8           /* smallest entry array once anything is stored */
#define DT_MAX (UINT32_MAX - 2)

struct dkv *dkv_new(uint32_t hash, const void *k, size_t klen, const void *v, size_t vlen)
{
    if (klen > UINT32_MAX || vlen > UINT32_MAX - klen)
        return NULL;
    struct dkv *e = malloc(sizeof(*e) + klen + vlen);
    if (!e)
        return NULL;
    e->hash = hash;
    e->klen = (uint32_t)klen;
    e->vlen = (uint32_t)vlen;
    if (klen)
        memcpy(e->data, k, klen);
    if (vlen)
        memcpy(e->data + klen, v, vlen);
    return e;
}

void dt_init(struct dict_table *t)
{
    memset(t, 0, sizeof(*t));
}

void dt_clear(struct dict_table *t)
{
    for (size_t i = 0; i < t->nent; i++)
        free(t->ent[i]);
    free(t->ent);
    free(t->idx);
    dt_init(t);
}

/* slot_of() - the index slot holding position @pos of an entry with @hash. */
static size_t slot_of(const struct dict_table *t, uint32_t hash, size_t pos)
{
    size_t s = hash & t->mask;
    while (t->idx[s] != pos + 1)
        s = (s + 1) & t->mask;
    return s;
}

size_t dt_find(const struct dict_table *t, uint32_t hash, const void *k, size_t klen)
{
    if (!t->idx)
        return (size_t)-1;
    for (size_t s = hash & t->mask;; s = (s + 1) & t->mask) {
        uint32_t v = t->idx[s];
        if (v == 0)
            return (size_t)-1;
        if (v == DT_GONE)
            continue;
        const struct dkv *e = t->ent[v - 1];
        if (e->hash == hash && e->klen == klen && memcmp(e->data, k, klen) == 0)
            return v - 1;
    }
}

/* put_index() - record position @pos in the first free slot for @hash. */
static void put_index(struct dict_table *t, uint32_t hash, size_t pos)
{
    size_t s = hash & t->mask;
    while (t->idx[s] != 0)
        s = (s + 1) & t->mask;
    t->idx[s] = (uint32_t)(pos + 1);
}

/* index_size() - slots for @cap entries: a power of two, at most 2/3 full. */
static size_t index_size(size_t cap)
{
    size_t n = 8;
    while (n * 2 < cap * 3)
        n *= 2;
    return n;
}

/* rebuild() - close the holes, size the entry array to @cap (>= count)
 * and index it afresh.  Returns -1 on ENOMEM with the table unchanged. */
static int rebuild(struct dict_table *t, size_t cap)
{
    size_t nidx = index_size(cap), n = 0;
    uint32_t *idx = calloc(nidx, sizeof(*idx));
    struct dkv **ent;
    if (!idx)
        return -1;
    if (cap > t->capent) {
        if (!(ent = realloc(t->ent, cap * sizeof(*ent)))) {
            free(idx);
            return -1;
        }
        t->ent = ent;
        t->capent = cap;
    }
    for (size_t i = 0; i < t->nent; i++)
        if (t->ent[i])
            t->ent[n++] = t->ent[i];
    if (cap < t->capent && (ent = realloc(t->ent, cap * sizeof(*ent)))) {
        t->ent = ent; /* a shrink that fails only leaves it larger */
        t->capent = cap;
    }
    free(t->idx);
    t->idx = idx;
    t->mask = nidx - 1;
    t->nent = n;
    t->ngone = 0;
    for (size_t i = 0; i < n; i++)
        put_index(t, t->ent[i]->hash, i);
    return 0;
}

int dt_reserve(struct dict_table *t, size_t n)
{
    if (n > DT_MAX - t->count)
        return -1;
    size_t need = t->count + n, cap = t->capent ? t->capent : DT_MIN;
    if (t->nent + n <= t->capent && (need + t->ngone) * 3 <= (t->mask + 1) * 2)
        return 0;
    while (need + cap / 16 > cap) /* a rebuild frees room for many inserts */
        cap *= 2;
    if (cap > DT_MAX)
        cap = DT_MAX;
    return rebuild(t, cap);
}

void dt_link(struct dict_table *t, struct dkv *e)
{
    size_t pos = t->nent++;
    t->ent[pos] = e;
    t->count++;
    put_index(t, e->hash, pos);
}

struct dkv *dt_replace(struct dict_table *t, size_t pos, struct dkv *e)
{
    struct dkv *old = t->ent[pos];
    t->ent[pos] = e;
    return old;
}

struct dkv *dt_unlink(struct dict_table *t, size_t pos)
{
    struct dkv *e = t->ent[pos];
    t->idx[slot_of(t, e->hash, pos)] = DT_GONE;
    t->ngone++;
    t->ent[pos] = NULL;
    t->count--;
    while (t->nent && !t->ent[t->nent - 1])
        t->nent--; /* keeps dt_last() O(1) */
    if (t->count == 0) {
        free(t->ent);
        free(t->idx);
        dt_init(t);
    } else if (t->capent > 64 && t->count < t->capent / 8) {
        rebuild(t, t->capent / 4); /* a failure only leaves it larger */
    } else if (t->capent > 64 && t->ngone > t->count) {
        rebuild(t, t->capent); /* more holes and tombstones than entries */
    }
    return e;
}
