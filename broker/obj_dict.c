/*
 * obj_dict.c - dict: DictProxy over opaque msgpack values.
 *
 * Keys are hashed and compared by their canonical encoding (mp_canon), so 1
 * packed as a fixint and 1 packed as a uint8 are the same key while str "a"
 * and bin "a" are not.  keys(), items() and copy() return the canonical
 * bytes.  Iteration is insertion order (uthash keeps it), as in Python;
 * overwriting a value keeps the key's place.
 *
 * Every handler packs its reply before it changes the dict, so a failure at
 * any point (SM_ENOMEM) leaves the dict as it was.
 */

/* uthash: report allocation failures instead of exiting, and hash with
 * keyed SipHash so that clients cannot flood one bucket with chosen keys.
 * Both must be set before uthash.h is first included (by core.h). */
#define HASH_NONFATAL_OOM 1
#define HASH_FUNCTION(keyptr, keylen, hashv) ((hashv) = dict_hash((keyptr), (keylen)))
#include <stddef.h>
static unsigned dict_hash(const void *key, size_t len);

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "blob.h"
#include "core.h"
#include "opts.h"
#include "persist.h"

struct entry {
    UT_hash_handle hh; /* key: the bytes of @key */
    struct blob *key;  /* canonical encoding */
    struct blob *val;  /* as the client sent it */
};

struct dict {
    struct object base; /* first: a struct object * is a struct dict * */
    struct entry *entries;
};

/* ---- type API ----------------------------------------------------------- */

static uint8_t hash_key[crypto_shorthash_KEYBYTES];
static pthread_once_t hash_once = PTHREAD_ONCE_INIT;

static void hash_key_init(void)
{
    if (sodium_init() >= 0)
        randombytes_buf(hash_key, sizeof(hash_key));
}

static unsigned dict_hash(const void *key, size_t len)
{
    uint8_t out[crypto_shorthash_BYTES];
    unsigned h;
    crypto_shorthash(out, key, len, hash_key);
    memcpy(&h, out, sizeof(h));
    return h;
}

/* The canonical form of the key being looked up, reused across calls so a
 * lookup costs no allocation.  Handlers run under the core lock; per thread
 * only so that independent cores (tests) cannot collide. */
static _Thread_local msgpack_sbuffer scratch;
#define SCRATCH_KEEP 4096 /* a larger buffer is freed before the next use */

static struct dict *dict_of(struct object *o)
{
    return (struct dict *)o;
}

static void entry_free(struct entry *e)
{
    if (!e)
        return;
    blob_free(e->key);
    blob_free(e->val);
    free(e);
}

/* entry_new() - an unlinked entry for canonical key @k and value @v. */
static struct entry *entry_new(const msgpack_sbuffer *k, const void *v, size_t vlen)
{
    struct entry *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->key = blob_new(k->data, k->size);
    e->val = blob_new(v, vlen);
    if (!e->key || !e->val) {
        entry_free(e);
        return NULL;
    }
    return e;
}

/* canon_key() - canonical encoding of the key @raw into the scratch buffer. */
static int canon_key(const void *raw, size_t len)
{
    if (scratch.alloc > SCRATCH_KEEP) {
        msgpack_sbuffer_destroy(&scratch);
        msgpack_sbuffer_init(&scratch);
    }
    msgpack_sbuffer_clear(&scratch);
    return mp_canon(raw, len, &scratch);
}

static struct entry *find_canon(struct dict *d, const msgpack_sbuffer *k)
{
    struct entry *e;
    HASH_FIND(hh, d->entries, k->data, k->size, e);
    return e;
}

/* dict_lookup() - the entry for the key field @key, or NULL in *out.  The
 * canonical key stays in the scratch buffer for dict_store(). */
static int dict_lookup(struct dict *d, const struct arg *key, struct entry **out)
{
    int rc = canon_key(key->raw, key->len);
    *out = rc ? NULL : find_canon(d, &scratch);
    return rc;
}

/* dict_link() - add @e at the end of the iteration order. */
static int dict_link(struct dict *d, struct entry *e)
{
    HASH_ADD_KEYPTR(hh, d->entries, e->key->data, e->key->len, e);
    return e->hh.tbl ? SM_OK : SM_ENOMEM; /* uthash clears tbl on failure */
}

static void dict_unlink(struct dict *d, struct entry *e)
{
    HASH_DELETE(hh, d->entries, e);
    entry_free(e);
}

/* dict_store() - store value @v under the key dict_lookup() left in the
 * scratch buffer: into @hit when the key was found, else as a new entry. */
static int dict_store(struct dict *d, struct entry *hit, const void *v, size_t vlen)
{
    if (hit) {
        struct blob *b = blob_new(v, vlen);
        if (!b)
            return SM_ENOMEM;
        blob_free(hit->val);
        hit->val = b;
        return SM_OK;
    }
    struct entry *e = entry_new(&scratch, v, vlen);
    if (!e)
        return SM_ENOMEM;
    int rc = dict_link(d, e);
    if (rc)
        entry_free(e);
    return rc;
}

static void dict_clear_all(struct dict *d)
{
    while (d->entries)
        dict_unlink(d, d->entries);
}

static int dict_create(struct core *core, const struct arg *opts, struct object **out)
{
    (void)core;
    if (opts_any(opts))
        return SM_EINVAL; /* a dict takes no options */
    pthread_once(&hash_once, hash_key_init);
    struct dict *d = calloc(1, sizeof(*d));
    if (!d)
        return SM_ENOMEM;
    d->base.type = &obj_dict_type;
    *out = &d->base;
    return SM_OK;
}

/* A dict has no waiters and no holds: only memory to free.  The name is
 * the registry's. */
static void dict_destroy(struct core *core, struct object *o)
{
    (void)core;
    dict_clear_all(dict_of(o));
    free(o);
}

static size_t dict_size(const struct object *o)
{
    return HASH_COUNT(((const struct dict *)o)->entries);
}

/* dict_describe() - info: {len}. */
static void dict_describe(const struct object *o, msgpack_packer *pk)
{
    msgpack_pack_map(pk, 1);
    admin_uint(pk, "len", dict_size(o));
}

/* dict_dump() - updates of up to DUMP_CHUNK entries each, in insertion
 * order: one record per entry would make loading a large dict slow. */
static void dict_dump(const struct object *o, struct dump *d)
{
    const struct entry *e = ((const struct dict *)o)->entries;
    for (size_t left = dict_size(o); left > 0;) {
        uint32_t n = left < DUMP_CHUNK ? (uint32_t)left : DUMP_CHUNK;
        msgpack_packer *pk = dump_op(d, SMOP_dict_update, 1);
        msgpack_pack_map(pk, n);
        for (uint32_t i = 0; i < n; i++, e = e->hh.next) {
            blob_pack(pk, e->key);
            blob_pack(pk, e->val);
        }
        dump_end(d);
        left -= n;
    }
}

const struct obj_type obj_dict_type = {
    .code = SM_T_DICT,
    .name = "dict",
    .create = dict_create,
    .destroy = dict_destroy,
    .size = dict_size,
    .describe = dict_describe,
    .dump = dict_dump,
};

/* ---- commands ----------------------------------------------------------- */

/* What of each entry a whole-dict reply carries. */
enum view { VIEW_KEYS, VIEW_VALUES, VIEW_ITEMS, VIEW_MAP };

/* reply_view() - one field: every entry in insertion order, as an array of
 * keys, of values, of [key, value] pairs, or as a map. */
static int reply_view(struct call *c, enum view v)
{
    struct dict *d = dict_of(c->obj);
    msgpack_packer *pk = reply_field(&c->rep);
    unsigned n = HASH_COUNT(d->entries);
    if (v == VIEW_MAP ? msgpack_pack_map(pk, n) : msgpack_pack_array(pk, n))
        return SM_ENOMEM;
    for (struct entry *e = d->entries; e; e = e->hh.next) { /* insertion order */
        if (v == VIEW_ITEMS && msgpack_pack_array(pk, 2))
            return SM_ENOMEM;
        if (v != VIEW_VALUES && blob_pack(pk, e->key))
            return SM_ENOMEM;
        if (v != VIEW_KEYS && blob_pack(pk, e->val))
            return SM_ENOMEM;
    }
    return SM_OK;
}

/* Fields a removal replies with. */
enum took { TOOK_NOTHING, TOOK_VALUE, TOOK_ITEM };

/* dict_take() - reply with what @what says of @e, then remove it. */
static int dict_take(struct call *c, struct entry *e, enum took what)
{
    if (what == TOOK_ITEM && blob_pack(reply_field(&c->rep), e->key))
        return SM_ENOMEM;
    if (what != TOOK_NOTHING && blob_pack(reply_field(&c->rep), e->val))
        return SM_ENOMEM;
    dict_unlink(dict_of(c->obj), e);
    return SM_OK;
}

/* find_arg() - look up the key field @i; SM_ENOKEY when it is absent. */
static int find_arg(struct call *c, unsigned i, struct entry **e)
{
    int rc = dict_lookup(dict_of(c->obj), &c->f->args[i], e);
    return rc ? rc : *e ? SM_OK : SM_ENOKEY;
}

int op_dict_get(struct call *c)
{
    struct entry *e;
    int rc = find_arg(c, 0, &e);
    return rc ? rc : blob_pack(reply_field(&c->rep), e->val);
}

int op_dict_set(struct call *c)
{
    struct entry *e;
    const struct arg *v = &c->f->args[1];
    int rc = dict_lookup(dict_of(c->obj), &c->f->args[0], &e);
    return rc ? rc : dict_store(dict_of(c->obj), e, v->raw, v->len);
}

int op_dict_del(struct call *c)
{
    struct entry *e;
    int rc = find_arg(c, 0, &e);
    return rc ? rc : dict_take(c, e, TOOK_NOTHING);
}

int op_dict_contains(struct call *c)
{
    struct entry *e;
    int rc = find_arg(c, 0, &e);
    if (rc && rc != SM_ENOKEY)
        return rc;
    msgpack_packer *pk = reply_field(&c->rep);
    return (e ? msgpack_pack_true(pk) : msgpack_pack_false(pk)) ? SM_ENOMEM : SM_OK;
}

int op_dict_len(struct call *c)
{
    return msgpack_pack_uint64(reply_field(&c->rep), dict_size(c->obj)) ? SM_ENOMEM : SM_OK;
}

int op_dict_keys(struct call *c)
{
    return reply_view(c, VIEW_KEYS);
}

int op_dict_values(struct call *c)
{
    return reply_view(c, VIEW_VALUES);
}

int op_dict_items(struct call *c)
{
    return reply_view(c, VIEW_ITEMS);
}

int op_dict_copy(struct call *c)
{
    return reply_view(c, VIEW_MAP);
}

/* pop(key[, default]): the value, removed; the default when absent. */
int op_dict_pop(struct call *c)
{
    struct entry *e;
    int rc = find_arg(c, 0, &e);
    if (rc == SM_ENOKEY && c->f->nargs > 1) {
        const struct arg *dflt = &c->f->args[1];
        return mp_pack_raw(reply_field(&c->rep), dflt->raw, dflt->len) ? SM_ENOMEM : SM_OK;
    }
    return rc ? rc : dict_take(c, e, TOOK_VALUE);
}

/* popitem(): the last inserted pair as two fields (LIFO, as Python 3.7+). */
int op_dict_popitem(struct call *c)
{
    struct dict *d = dict_of(c->obj);
    if (!d->entries)
        return SM_ENOKEY;
    struct entry *last = ELMT_FROM_HH(d->entries->hh.tbl, d->entries->hh.tbl->tail);
    return dict_take(c, last, TOOK_ITEM);
}

/* setdefault(key, default): the value, storing the default when absent. */
int op_dict_setdefault(struct call *c)
{
    struct entry *e;
    const struct arg *dflt = &c->f->args[1];
    int rc = dict_lookup(dict_of(c->obj), &c->f->args[0], &e);
    if (rc)
        return rc;
    if (e)
        return blob_pack(reply_field(&c->rep), e->val);
    if (mp_pack_raw(reply_field(&c->rep), dflt->raw, dflt->len))
        return SM_ENOMEM;
    return dict_store(dict_of(c->obj), NULL, dflt->raw, dflt->len);
}

/* A fixed buffer for a packer: one packed integer. */
struct intbuf {
    uint8_t b[16];
    size_t n;
};

static int intbuf_write(void *data, const char *p, size_t len)
{
    struct intbuf *ib = data;
    if (len > sizeof(ib->b) - ib->n)
        return -1;
    memcpy(ib->b + ib->n, p, len);
    ib->n += len;
    return 0;
}

/* incr(key, delta): add to an integer value (a missing key counts as 0) and
 * reply the sum, like Redis HINCRBY.  SM_ETYPE when the value is not an
 * int64, SM_EVALUE when the sum overflows. */
int op_dict_incr(struct call *c)
{
    struct dict *d = dict_of(c->obj);
    struct entry *e;
    int64_t cur = 0, sum;
    struct intbuf ib = {.n = 0};
    msgpack_packer pk;
    int rc = dict_lookup(d, &c->f->args[0], &e);
    if (rc)
        return rc;
    if (e) {
        mp_reader r;
        mp_reader_init(&r, e->val->data, e->val->len);
        if (mp_read_int(&r, &cur))
            return SM_ETYPE;
    }
    if (__builtin_add_overflow(cur, c->f->args[1].i, &sum))
        return SM_EVALUE;
    msgpack_packer_init(&pk, &ib, intbuf_write);
    if (msgpack_pack_int64(&pk, sum) || msgpack_pack_int64(reply_field(&c->rep), sum))
        return SM_ENOMEM;
    return dict_store(d, e, ib.b, ib.n);
}

int op_dict_clear(struct call *c)
{
    dict_clear_all(dict_of(c->obj));
    return SM_OK;
}

/* One pair of an update: the new entry, and the existing entry it was
 * swapped into (which then holds the old value), or NULL when it was added. */
struct pending {
    struct entry *e;
    struct entry *hit;
};

/* update_prepare() - a new entry for every pair of the map @m, in order. */
static int update_prepare(const struct arg *m, struct pending *p)
{
    mp_reader r;
    uint32_t n;
    mp_reader_init(&r, m->raw, m->len);
    mp_read_map(&r, &n);
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *k, *v;
        size_t klen, vlen;
        mp_read_raw(&r, &k, &klen);
        mp_read_raw(&r, &v, &vlen);
        if (canon_key(k, klen) || !(p[i].e = entry_new(&scratch, v, vlen)))
            return SM_ENOMEM;
    }
    return SM_OK;
}

static void swap_val(struct entry *a, struct entry *b)
{
    struct blob *t = a->val;
    a->val = b->val;
    b->val = t;
}

/* update_apply() - store every pending pair in order; on failure undo the
 * ones already stored, last first, so the dict is as it was. */
static int update_apply(struct dict *d, struct pending *p, uint32_t n)
{
    uint32_t i;
    for (i = 0; i < n; i++) {
        struct blob *k = p[i].e->key;
        HASH_FIND(hh, d->entries, k->data, k->len, p[i].hit);
        if (p[i].hit)
            swap_val(p[i].hit, p[i].e);
        else if (dict_link(d, p[i].e))
            break;
    }
    if (i == n)
        return SM_OK;
    while (i-- > 0) {
        if (p[i].hit)
            swap_val(p[i].hit, p[i].e);
        else
            HASH_DELETE(hh, d->entries, p[i].e);
    }
    return SM_ENOMEM;
}

/* update(map): set every pair of the map in its order; all or nothing. */
int op_dict_update(struct call *c)
{
    const struct arg *m = &c->f->args[0];
    struct pending *p = calloc(m->count ? m->count : 1, sizeof(*p));
    if (!p)
        return SM_ENOMEM;
    int rc = update_prepare(m, p);
    if (!rc)
        rc = update_apply(dict_of(c->obj), p, m->count);
    for (uint32_t i = 0; i < m->count; i++)
        if (rc || p[i].hit)
            entry_free(p[i].e); /* unused, or holding a replaced value */
    free(p);
    return rc;
}
