/*
 * obj_dict.c - dict: DictProxy over opaque msgpack values.
 *
 * Keys are hashed and compared by their canonical encoding (mp_canon), so 1
 * packed as a fixint and 1 packed as a uint8 are the same key while str "a"
 * and bin "a" are not.  keys(), items() and copy() return the canonical
 * bytes.  Iteration is insertion order (dict_table.h), as in Python;
 * overwriting a value keeps the key's place.  The hash is keyed SipHash, so
 * that clients cannot flood one chain with chosen keys.
 *
 * Every handler packs its reply before it changes the dict, and reserves
 * room before it links anything, so a failure at any point (SM_ENOMEM)
 * leaves the dict as it was.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "blob.h"
#include "core.h"
#include "dict_table.h"
#include "opts.h"
#include "persist.h"

struct dict {
    struct object base; /* first: a struct object * is a struct dict * */
    struct dict_table t;
};

/* A looked-up key: its canonical bytes (the scratch buffer), hash and place. */
struct key {
    uint32_t hash;
    size_t pos; /* (size_t)-1: absent */
};

#define ABSENT ((size_t)-1)

/* ---- type API ----------------------------------------------------------- */

static uint8_t hash_key[crypto_shorthash_KEYBYTES];
static pthread_once_t hash_once = PTHREAD_ONCE_INIT;

static void hash_key_init(void)
{
    if (sodium_init() >= 0)
        randombytes_buf(hash_key, sizeof(hash_key));
}

static uint32_t dict_hash(const void *key, size_t len)
{
    uint8_t out[crypto_shorthash_BYTES];
    uint32_t h;
    crypto_shorthash(out, key, len, hash_key);
    memcpy(&h, out, sizeof(h));
    return h;
}

/* The canonical form of the key being looked up, reused across calls so a
 * lookup costs no allocation.  Handlers run under the core lock; per thread
 * only so that independent cores (tests) cannot collide. */
static _Thread_local msgpack_sbuffer scratch;
/* A larger buffer is freed before the next use; msgpack-c allocates
 * MSGPACK_SBUFFER_INIT_SIZE at the first write, which must be kept. */
#define SCRATCH_KEEP (8 * MSGPACK_SBUFFER_INIT_SIZE)

/* A thread that ends (the ipc engine's I/O thread at shutdown) frees its
 * scratch buffer through this key's destructor. */
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static pthread_key_t scratch_key;

static void scratch_free(void *sb)
{
    msgpack_sbuffer_destroy(sb);
}

static void scratch_key_init(void)
{
    pthread_key_create(&scratch_key, scratch_free);
}

static struct dict *dict_of(struct object *o)
{
    return (struct dict *)o;
}

/* pair_new() / pair_free() - a pair, counted like a blob (blob.h): stored
 * bytes and the memory limit. */
static struct dkv *pair_new(uint32_t hash, const msgpack_sbuffer *k, const void *v, size_t vlen)
{
    if (!blob_account(k->size + vlen))
        return NULL;
    struct dkv *e = dkv_new(hash, k->data, k->size, v, vlen);
    if (!e)
        blob_unaccount(k->size + vlen);
    return e;
}

static void pair_free(struct dkv *e)
{
    if (!e)
        return;
    blob_unaccount((size_t)e->klen + e->vlen);
    free(e);
}

/* pair_replace() - the pair at @k->pos with value @v instead; the memory
 * limit is checked on the growth only (blob_reaccount()). */
static int pair_replace(struct dict *d, const struct key *k, const void *v, size_t vlen)
{
    struct dkv *old = d->t.ent[k->pos];
    struct dkv *e = dkv_new(k->hash, dkv_key(old), old->klen, v, vlen);
    if (!e)
        return SM_ENOMEM;
    if (!blob_reaccount((size_t)old->klen + old->vlen, (size_t)e->klen + e->vlen)) {
        free(e);
        return SM_ENOMEM;
    }
    free(dt_replace(&d->t, k->pos, e));
    return SM_OK;
}

/* canon_key() - canonical encoding of the key @raw into the scratch buffer. */
static int canon_key(const void *raw, size_t len)
{
    if (scratch.alloc > SCRATCH_KEEP) {
        msgpack_sbuffer_destroy(&scratch);
        msgpack_sbuffer_init(&scratch);
    }
    if (!scratch.data) { /* this thread's first use, or just freed */
        pthread_once(&scratch_once, scratch_key_init);
        pthread_setspecific(scratch_key, &scratch);
    }
    msgpack_sbuffer_clear(&scratch);
    return mp_canon(raw, len, &scratch);
}

/* dict_lookup() - find the key field @arg.  The canonical key stays in the
 * scratch buffer for dict_store(). */
static int dict_lookup(struct dict *d, const struct arg *arg, struct key *k)
{
    int rc = canon_key(arg->raw, arg->len);
    if (rc)
        return rc;
    k->hash = dict_hash(scratch.data, scratch.size);
    k->pos = dt_find(&d->t, k->hash, scratch.data, scratch.size);
    return SM_OK;
}

/* dict_store() - store value @v under the key dict_lookup() left in the
 * scratch buffer: in place when the key is there, else as a new pair. */
static int dict_store(struct dict *d, const struct key *k, const void *v, size_t vlen)
{
    if (k->pos != ABSENT) {
        struct dkv *e = d->t.ent[k->pos];
        if (e->vlen == vlen) { /* the common case: no allocation */
            memcpy((uint8_t *)dkv_val(e), v, vlen);
            return SM_OK;
        }
    }
    if (k->pos != ABSENT)
        return pair_replace(d, k, v, vlen);
    struct dkv *e = pair_new(k->hash, &scratch, v, vlen);
    if (!e)
        return SM_ENOMEM;
    if (dt_reserve(&d->t, 1)) {
        pair_free(e);
        return SM_ENOMEM;
    }
    dt_link(&d->t, e);
    return SM_OK;
}

static void dict_clear_all(struct dict *d)
{
    DT_FOREACH (&d->t, i)
        blob_unaccount((size_t)d->t.ent[i]->klen + d->t.ent[i]->vlen);
    dt_clear(&d->t);
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
    dt_init(&d->t);
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
    return ((const struct dict *)o)->t.count;
}

/* pack_key() / pack_val() - a pair's stored bytes as one msgpack object. */
static int pack_key(msgpack_packer *pk, const struct dkv *e)
{
    return mp_pack_raw(pk, dkv_key(e), e->klen) ? SM_ENOMEM : SM_OK;
}

static int pack_val(msgpack_packer *pk, const struct dkv *e)
{
    return mp_pack_raw(pk, dkv_val(e), e->vlen) ? SM_ENOMEM : SM_OK;
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
    const struct dict_table *t = &((const struct dict *)o)->t;
    size_t i = dt_next(t, 0);
    for (size_t left = t->count; left > 0;) {
        uint32_t n = left < DUMP_CHUNK ? (uint32_t)left : DUMP_CHUNK;
        msgpack_packer *pk = dump_op(d, SMOP_dict_update, 1);
        msgpack_pack_map(pk, n);
        for (uint32_t k = 0; k < n; k++, i = dt_next(t, i + 1)) {
            pack_key(pk, t->ent[i]);
            pack_val(pk, t->ent[i]);
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
    const struct dict_table *t = &dict_of(c->obj)->t;
    msgpack_packer *pk = reply_field(&c->rep);
    unsigned n = (unsigned)t->count;
    if (v == VIEW_MAP ? msgpack_pack_map(pk, n) : msgpack_pack_array(pk, n))
        return SM_ENOMEM;
    DT_FOREACH (t, i) {
        const struct dkv *e = t->ent[i];
        if (v == VIEW_ITEMS && msgpack_pack_array(pk, 2))
            return SM_ENOMEM;
        if (v != VIEW_VALUES && pack_key(pk, e))
            return SM_ENOMEM;
        if (v != VIEW_KEYS && pack_val(pk, e))
            return SM_ENOMEM;
    }
    return SM_OK;
}

/* Fields a removal replies with. */
enum took { TOOK_NOTHING, TOOK_VALUE, TOOK_ITEM };

/* dict_take() - reply with what @what says of the entry at @pos, then
 * remove it. */
static int dict_take(struct call *c, size_t pos, enum took what)
{
    struct dict_table *t = &dict_of(c->obj)->t;
    const struct dkv *e = t->ent[pos];
    if (what == TOOK_ITEM && pack_key(reply_field(&c->rep), e))
        return SM_ENOMEM;
    if (what != TOOK_NOTHING && pack_val(reply_field(&c->rep), e))
        return SM_ENOMEM;
    pair_free(dt_unlink(t, pos));
    return SM_OK;
}

/* find_arg() - look up the key field @i; SM_ENOKEY when it is absent. */
static int find_arg(struct call *c, unsigned i, struct key *k)
{
    int rc = dict_lookup(dict_of(c->obj), &c->f->args[i], k);
    return rc ? rc : k->pos != ABSENT ? SM_OK : SM_ENOKEY;
}

/* found() - the entry a successful find_arg() found. */
static const struct dkv *found(struct call *c, const struct key *k)
{
    return dict_of(c->obj)->t.ent[k->pos];
}

int op_dict_get(struct call *c)
{
    struct key k;
    int rc = find_arg(c, 0, &k);
    return rc ? rc : pack_val(reply_field(&c->rep), found(c, &k));
}

int op_dict_set(struct call *c)
{
    struct key k;
    const struct arg *v = &c->f->args[1];
    int rc = dict_lookup(dict_of(c->obj), &c->f->args[0], &k);
    return rc ? rc : dict_store(dict_of(c->obj), &k, v->raw, v->len);
}

int op_dict_del(struct call *c)
{
    struct key k;
    int rc = find_arg(c, 0, &k);
    return rc ? rc : dict_take(c, k.pos, TOOK_NOTHING);
}

int op_dict_contains(struct call *c)
{
    struct key k;
    int rc = find_arg(c, 0, &k);
    if (rc && rc != SM_ENOKEY)
        return rc;
    msgpack_packer *pk = reply_field(&c->rep);
    return (rc == SM_OK ? msgpack_pack_true(pk) : msgpack_pack_false(pk)) ? SM_ENOMEM : SM_OK;
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
    struct key k;
    int rc = find_arg(c, 0, &k);
    if (rc == SM_ENOKEY && c->f->nargs > 1) {
        const struct arg *dflt = &c->f->args[1];
        return mp_pack_raw(reply_field(&c->rep), dflt->raw, dflt->len) ? SM_ENOMEM : SM_OK;
    }
    return rc ? rc : dict_take(c, k.pos, TOOK_VALUE);
}

/* popitem(): the last inserted pair as two fields (LIFO, as Python 3.7+). */
int op_dict_popitem(struct call *c)
{
    size_t last = dt_last(&dict_of(c->obj)->t);
    return last == ABSENT ? SM_ENOKEY : dict_take(c, last, TOOK_ITEM);
}

/* setdefault(key, default): the value, storing the default when absent. */
int op_dict_setdefault(struct call *c)
{
    struct key k;
    const struct arg *dflt = &c->f->args[1];
    int rc = dict_lookup(dict_of(c->obj), &c->f->args[0], &k);
    if (rc)
        return rc;
    if (k.pos != ABSENT)
        return pack_val(reply_field(&c->rep), found(c, &k));
    if (mp_pack_raw(reply_field(&c->rep), dflt->raw, dflt->len))
        return SM_ENOMEM;
    return dict_store(dict_of(c->obj), &k, dflt->raw, dflt->len);
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
    struct key k;
    int64_t cur = 0, sum;
    struct intbuf ib = {.n = 0};
    msgpack_packer pk;
    int rc = dict_lookup(d, &c->f->args[0], &k);
    if (rc)
        return rc;
    if (k.pos != ABSENT) {
        const struct dkv *e = found(c, &k);
        mp_reader r;
        mp_reader_init(&r, dkv_val(e), e->vlen);
        if (mp_read_int(&r, &cur))
            return SM_ETYPE;
    }
    if (__builtin_add_overflow(cur, c->f->args[1].i, &sum))
        return SM_EVALUE;
    msgpack_packer_init(&pk, &ib, intbuf_write);
    if (msgpack_pack_int64(&pk, sum) || msgpack_pack_int64(reply_field(&c->rep), sum))
        return SM_ENOMEM;
    return dict_store(d, &k, ib.b, ib.n);
}

int op_dict_clear(struct call *c)
{
    dict_clear_all(dict_of(c->obj));
    return SM_OK;
}

/* update_prepare() - a new pair for every pair of the map @m, in order. */
static int update_prepare(const struct arg *m, struct dkv **p)
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
        if (canon_key(k, klen))
            return SM_ENOMEM;
        if (!(p[i] = pair_new(dict_hash(scratch.data, scratch.size), &scratch, v, vlen)))
            return SM_ENOMEM;
    }
    return SM_OK;
}

/* update_apply() - store every prepared pair in order (room is reserved,
 * so nothing can fail); the pairs they replace are freed. */
static void update_apply(struct dict_table *t, struct dkv **p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        size_t pos = dt_find(t, p[i]->hash, dkv_key(p[i]), p[i]->klen);
        if (pos != ABSENT)
            pair_free(dt_replace(t, pos, p[i]));
        else
            dt_link(t, p[i]);
    }
}

/* update(map): set every pair of the map in its order; all or nothing. */
int op_dict_update(struct call *c)
{
    const struct arg *m = &c->f->args[0];
    struct dict_table *t = &dict_of(c->obj)->t;
    struct dkv **p = calloc(m->count ? m->count : 1, sizeof(*p));
    if (!p)
        return SM_ENOMEM;
    int rc = update_prepare(m, p);
    if (!rc && dt_reserve(t, m->count))
        rc = SM_ENOMEM;
    if (!rc)
        update_apply(t, p, m->count);
    else
        for (uint32_t i = 0; i < m->count; i++)
            pair_free(p[i]);
    free(p);
    return rc;
}
