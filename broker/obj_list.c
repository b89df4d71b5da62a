/*
 * obj_list.c - list: ListProxy over opaque msgpack values.
 *
 * A list is a growable array of blobs.  Indexes and slices follow Python
 * exactly: negative indexes count from the end, slices are normalised as
 * PySlice_AdjustIndices does, and insert() clamps.  Items are compared with
 * mp_equal() (==) and ordered with mp_compare() (<).
 *
 * Every change goes through list_splice() or replaces items in place, and
 * every handler packs its reply and allocates what it needs before it
 * changes the list, so a failure (SM_ENOMEM, SM_ETYPE from sort) leaves the
 * list as it was.
 */
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "blob.h"
#include "core.h"
#include "opts.h"
#include "slice.h"
#include "persist.h"

struct list {
    struct object base; /* first: a struct object * is a struct list * */
    struct blob **items;
    size_t len, cap;
};

/* ---- type API ----------------------------------------------------------- */

#define LIST_MIN_CAP 8

static struct list *list_of(struct object *o)
{
    return (struct list *)o;
}

static void blobs_free(struct blob **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        blob_free(v[i]);
    free(v);
}

/* blobs_new() - a new blob for every element of the array field @a; *out is
 * NULL for an empty array.  Caller frees with blobs_free(). */
static int blobs_new(const struct arg *a, struct blob ***out)
{
    mp_reader r;
    uint32_t n;
    *out = NULL;
    if (a->count == 0)
        return SM_OK;
    struct blob **v = calloc(a->count, sizeof(*v));
    if (!v)
        return SM_ENOMEM;
    mp_reader_init(&r, a->raw, a->len);
    mp_read_array(&r, &n);
    for (uint32_t i = 0; i < a->count; i++) {
        const uint8_t *p;
        size_t len;
        mp_read_raw(&r, &p, &len);
        if (!(v[i] = blob_new(p, len))) {
            blobs_free(v, i);
            return SM_ENOMEM;
        }
    }
    *out = v;
    return SM_OK;
}

/* list_grow() - room for at least @need items. */
static int list_grow(struct list *l, size_t need)
{
    size_t cap = l->cap ? l->cap : LIST_MIN_CAP;
    if (need > SIZE_MAX / 2 / sizeof(*l->items))
        return SM_ENOMEM;
    while (cap < need)
        cap *= 2;
    struct blob **p = realloc(l->items, cap * sizeof(*p));
    if (!p)
        return SM_ENOMEM;
    l->items = p;
    l->cap = cap;
    return SM_OK;
}

/* list_shrink() - give back half the room when three quarters are unused;
 * failing to is harmless. */
static void list_shrink(struct list *l)
{
    if (l->cap <= 4 * LIST_MIN_CAP || l->len >= l->cap / 4)
        return;
    struct blob **p = realloc(l->items, l->cap / 2 * sizeof(*p));
    if (p) {
        l->items = p;
        l->cap /= 2;
    }
}

/**
 * list_splice() - replace items [@lo, @hi) with the @m blobs of @nv, which
 * the list takes over; the replaced blobs are freed.  Fails (SM_ENOMEM,
 * nothing changed, @nv still the caller's) only when the list must grow.
 */
static int list_splice(struct list *l, size_t lo, size_t hi, struct blob *const *nv, size_t m)
{
    size_t tail = l->len - hi, newlen = l->len - (hi - lo) + m;
    if (newlen > l->cap && list_grow(l, newlen))
        return SM_ENOMEM;
    for (size_t i = lo; i < hi; i++)
        blob_free(l->items[i]);
    if (tail)
        memmove(l->items + lo + m, l->items + hi, tail * sizeof(*l->items));
    if (m)
        memcpy(l->items + lo, nv, m * sizeof(*nv));
    l->len = newlen;
    list_shrink(l);
    return SM_OK;
}

/* list_remove_at() - drop the item at @i (cannot fail). */
static void list_remove_at(struct list *l, size_t i)
{
    list_splice(l, i, i + 1, NULL, 0);
}

/* list_insert_raw() - a copy of the value @v as the new item @i. */
static int list_insert_raw(struct list *l, size_t i, const struct arg *v)
{
    struct blob *b = blob_new(v->raw, v->len);
    if (!b)
        return SM_ENOMEM;
    int rc = list_splice(l, i, i, &b, 1);
    if (rc)
        blob_free(b);
    return rc;
}

static void list_clear_all(struct list *l)
{
    blobs_free(l->items, l->len);
    l->items = NULL;
    l->len = l->cap = 0;
}

/* list_index() - the position of Python index @i; SM_EINDEX outside. */
static int list_index(const struct list *l, int64_t i, size_t *out)
{
    return slice_index(i, l->len, out);
}

/* find_eq() - first position in [@from, @to) whose item == @v, or -1. */
static int64_t find_eq(const struct list *l, const struct arg *v, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (mp_equal(l->items[i]->data, l->items[i]->len, v->raw, v->len))
            return (int64_t)i;
    return -1;
}

/* Sorting: a stable merge sort of a copy of the item pointers. */

/* merge() - merge the sorted runs v[0, h) and v[h, n); @tmp holds h items.
 * An item from the right run goes first only when it sorts strictly
 * before, which keeps equal items in their order (reverse too, as Python). */
static int merge(struct blob **v, size_t h, size_t n, struct blob **tmp, bool reverse)
{
    size_t i = 0, j = h, k = 0;
    memcpy(tmp, v, h * sizeof(*v));
    while (i < h && j < n) {
        int cmp;
        int rc = mp_compare(v[j]->data, v[j]->len, tmp[i]->data, tmp[i]->len, &cmp);
        if (rc)
            return rc;
        v[k++] = (reverse ? cmp > 0 : cmp < 0) ? v[j++] : tmp[i++];
    }
    while (i < h)
        v[k++] = tmp[i++];
    return SM_OK;
}

static int merge_sort(struct blob **v, size_t n, struct blob **tmp, bool reverse)
{
    if (n < 2)
        return SM_OK;
    size_t h = n / 2;
    int rc = merge_sort(v, h, tmp, reverse);
    if (!rc)
        rc = merge_sort(v + h, n - h, tmp, reverse);
    return rc ? rc : merge(v, h, n, tmp, reverse);
}

static int list_create(struct core *core, const struct arg *opts, struct object **out)
{
    (void)core;
    if (opts_any(opts))
        return SM_EINVAL; /* a list takes no options */
    struct list *l = calloc(1, sizeof(*l));
    if (!l)
        return SM_ENOMEM;
    l->base.type = &obj_list_type;
    *out = &l->base;
    return SM_OK;
}

/* A list has no waiters and no holds: only memory to free.  The name is
 * the registry's. */
static void list_destroy(struct core *core, struct object *o)
{
    (void)core;
    list_clear_all(list_of(o));
    free(o);
}

static size_t list_size(const struct object *o)
{
    return ((const struct list *)o)->len;
}

/* list_describe() - info: {len}. */
static void list_describe(const struct object *o, msgpack_packer *pk)
{
    msgpack_pack_map(pk, 1);
    admin_uint(pk, "len", list_size(o));
}

/* list_dump() - extends of up to DUMP_CHUNK items each. */
static void list_dump(const struct object *o, struct dump *d)
{
    const struct list *l = (const struct list *)o;
    for (size_t i = 0; i < l->len;) {
        uint32_t n = l->len - i < DUMP_CHUNK ? (uint32_t)(l->len - i) : DUMP_CHUNK;
        msgpack_packer *pk = dump_op(d, SMOP_list_extend, 1);
        msgpack_pack_array(pk, n);
        for (uint32_t k = 0; k < n; k++)
            blob_pack(pk, l->items[i++]);
        dump_end(d);
    }
}

const struct obj_type obj_list_type = {
    .code = SM_T_LIST,
    .name = "list",
    .create = list_create,
    .destroy = list_destroy,
    .size = list_size,
    .describe = list_describe,
    .dump = list_dump,
};

/* ---- commands ----------------------------------------------------------- */

static int reply_item(struct call *c, size_t i)
{
    return blob_pack(reply_field(&c->rep), list_of(c->obj)->items[i]);
}

/* reply_slice() - one array field: the items @s selects. */
static int reply_slice(struct call *c, const struct slice *s)
{
    struct list *l = list_of(c->obj);
    msgpack_packer *pk = reply_field(&c->rep);
    if (msgpack_pack_array(pk, (uint32_t)s->len))
        return SM_ENOMEM;
    for (size_t k = 0; k < s->len; k++)
        if (blob_pack(pk, l->items[slice_at(s, k)]))
            return SM_ENOMEM;
    return SM_OK;
}

static int reply_uint(struct call *c, uint64_t n)
{
    return msgpack_pack_uint64(reply_field(&c->rep), n) ? SM_ENOMEM : SM_OK;
}

static int reply_bool(struct call *c, bool b)
{
    msgpack_packer *pk = reply_field(&c->rep);
    return (b ? msgpack_pack_true(pk) : msgpack_pack_false(pk)) ? SM_ENOMEM : SM_OK;
}

int op_list_append(struct call *c)
{
    struct list *l = list_of(c->obj);
    return list_insert_raw(l, l->len, &c->f->args[0]);
}

/* insert(i, v): before position i, clamped to [0, len] as Python does. */
int op_list_insert(struct call *c)
{
    struct list *l = list_of(c->obj);
    int64_t i = c->f->args[0].i, len = (int64_t)l->len;
    if (i < 0)
        i = i + len < 0 ? 0 : i + len;
    return list_insert_raw(l, (size_t)(i > len ? len : i), &c->f->args[1]);
}

/* setslice(start, stop, step, array): a[start:stop:step] = array. */
int op_list_setslice(struct call *c)
{
    struct list *l = list_of(c->obj);
    const struct arg *a = c->f->args;
    struct slice s;
    struct blob **nv;
    int rc = slice_adjust(a, l->len, &s);
    if (rc)
        return rc;
    if (s.step != 1 && a[3].count != s.len)
        return SM_EVALUE; /* an extended slice keeps its length */
    if ((rc = blobs_new(&a[3], &nv)))
        return rc;
    if (s.step == 1) {
        size_t lo = (size_t)s.start, hi = s.stop < s.start ? lo : (size_t)s.stop;
        if ((rc = list_splice(l, lo, hi, nv, a[3].count)))
            blobs_free(nv, a[3].count);
        else
            free(nv);
        return rc;
    }
    for (size_t k = 0; k < s.len; k++) {
        blob_free(l->items[slice_at(&s, k)]);
        l->items[slice_at(&s, k)] = nv[k];
    }
    free(nv);
    return SM_OK;
}

/* extend(array): a[len:] = array. */
int op_list_extend(struct call *c)
{
    struct list *l = list_of(c->obj);
    const struct arg *a = &c->f->args[0];
    struct blob **nv;
    int rc = blobs_new(a, &nv);
    if (rc)
        return rc;
    if ((rc = list_splice(l, l->len, l->len, nv, a->count)))
        blobs_free(nv, a->count);
    else
        free(nv);
    return rc;
}

/* pop([i]): remove and reply item i, the last by default. */
int op_list_pop(struct call *c)
{
    struct list *l = list_of(c->obj);
    size_t i;
    int rc = list_index(l, c->f->nargs ? c->f->args[0].i : -1, &i);
    if (!rc && !(rc = reply_item(c, i)))
        list_remove_at(l, i);
    return rc;
}

/* remove(v): drop the first item == v; SM_EVALUE when there is none. */
int op_list_remove(struct call *c)
{
    struct list *l = list_of(c->obj);
    int64_t i = find_eq(l, &c->f->args[0], 0, l->len);
    if (i < 0)
        return SM_EVALUE;
    list_remove_at(l, (size_t)i);
    return SM_OK;
}

/* index_bound() - an optional start/stop of index() as Python's
 * list.index() reads it: nil or absent = @dflt, negative from the end,
 * clamped to [0, len]. */
static size_t index_bound(const struct call *c, unsigned n, size_t dflt, size_t len)
{
    if (c->f->nargs <= n || c->f->args[n].nil)
        return dflt;
    int64_t i = c->f->args[n].i;
    if (i < 0)
        i = i + (int64_t)len < 0 ? 0 : i + (int64_t)len;
    return (uint64_t)i > len ? len : (size_t)i;
}

/* index(v[, start[, stop]]): position of the first item == v in
 * [start, stop); SM_EVALUE when there is none. */
int op_list_index(struct call *c)
{
    struct list *l = list_of(c->obj);
    size_t start = index_bound(c, 1, 0, l->len), stop = index_bound(c, 2, l->len, l->len);
    int64_t i = find_eq(l, &c->f->args[0], start, stop);
    return i < 0 ? SM_EVALUE : reply_uint(c, (uint64_t)i);
}

int op_list_count(struct call *c)
{
    struct list *l = list_of(c->obj);
    uint64_t n = 0;
    for (int64_t i = find_eq(l, &c->f->args[0], 0, l->len); i >= 0;
         i = find_eq(l, &c->f->args[0], (size_t)i + 1, l->len))
        n++;
    return reply_uint(c, n);
}

int op_list_contains(struct call *c)
{
    struct list *l = list_of(c->obj);
    return reply_bool(c, find_eq(l, &c->f->args[0], 0, l->len) >= 0);
}

int op_list_len(struct call *c)
{
    return reply_uint(c, list_of(c->obj)->len);
}

int op_list_get(struct call *c)
{
    size_t i;
    int rc = list_index(list_of(c->obj), c->f->args[0].i, &i);
    return rc ? rc : reply_item(c, i);
}

int op_list_set(struct call *c)
{
    struct list *l = list_of(c->obj);
    const struct arg *v = &c->f->args[1];
    size_t i;
    int rc = list_index(l, c->f->args[0].i, &i);
    if (rc)
        return rc;
    struct blob *b = blob_new(v->raw, v->len);
    if (!b)
        return SM_ENOMEM;
    blob_free(l->items[i]);
    l->items[i] = b;
    return SM_OK;
}

int op_list_del(struct call *c)
{
    struct list *l = list_of(c->obj);
    size_t i;
    int rc = list_index(l, c->f->args[0].i, &i);
    if (!rc)
        list_remove_at(l, i);
    return rc;
}

int op_list_getslice(struct call *c)
{
    struct slice s;
    int rc = slice_adjust(c->f->args, list_of(c->obj)->len, &s);
    return rc ? rc : reply_slice(c, &s);
}

/* delslice(start, stop, step): del a[start:stop:step], in one pass that
 * keeps every item the slice does not select. */
int op_list_delslice(struct call *c)
{
    struct list *l = list_of(c->obj);
    struct slice s;
    int rc = slice_adjust(c->f->args, l->len, &s);
    if (rc || s.len == 0)
        return rc;
    /* walk the selected positions upwards whatever the step's sign */
    size_t next = s.step > 0 ? (size_t)s.start : slice_at(&s, s.len - 1);
    size_t step = (size_t)(s.step > 0 ? s.step : -s.step), left = s.len, w = 0;
    for (size_t r = 0; r < l->len; r++) {
        if (left && r == next) {
            blob_free(l->items[r]);
            next += step;
            left--;
        } else {
            l->items[w++] = l->items[r];
        }
    }
    l->len = w;
    list_shrink(l);
    return SM_OK;
}

int op_list_reverse(struct call *c)
{
    struct list *l = list_of(c->obj);
    for (size_t i = 0, j = l->len; i + 1 < j; i++, j--) {
        struct blob *t = l->items[i];
        l->items[i] = l->items[j - 1];
        l->items[j - 1] = t;
    }
    return SM_OK;
}

/* sort([reverse]): stable; SM_ETYPE, list unchanged, when two items cannot
 * be ordered (Python's TypeError). */
int op_list_sort(struct call *c)
{
    struct list *l = list_of(c->obj);
    bool reverse = c->f->nargs && c->f->args[0].b;
    if (l->len < 2)
        return SM_OK;
    struct blob **v = malloc((l->len + l->len / 2) * sizeof(*v));
    if (!v)
        return SM_ENOMEM;
    memcpy(v, l->items, l->len * sizeof(*v));
    int rc = merge_sort(v, l->len, v + l->len, reverse);
    if (!rc)
        memcpy(l->items, v, l->len * sizeof(*v));
    free(v);
    return rc;
}

int op_list_clear(struct call *c)
{
    list_clear_all(list_of(c->obj));
    return SM_OK;
}

int op_list_copy(struct call *c)
{
    struct slice all = {.start = 0, .step = 1, .len = list_of(c->obj)->len};
    return reply_slice(c, &all);
}
