/*
 * obj_array.c - Array: multiprocessing.Array, a fixed-length typed numeric
 * array stored natively (a C array of the element type, not msgpack).
 *
 * Typecodes are Python's array module's: b B h H i I l L q Q (integers of
 * 1, 2, 4, 8 bytes; l and L are 8 bytes as on 64-bit Linux) and f d (float32,
 * float64).  Integer elements take ints only (a float or any other kind is
 * SM_ETYPE, Python's TypeError; an int outside the type's range SM_EVALUE,
 * Python's OverflowError); float elements take ints or floats (a float32
 * rounds as a C cast does, as Python's does).  bool is not a number here.
 * Replies carry ints for integer types and float64 for float types.
 *
 * Indexes and slices follow Python (slice.h); the length never changes, so
 * a slice assignment needs exactly as many values as the slice selects.
 * Every value is checked before any element changes.
 */
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "blob.h"
#include "core.h"
#include "opts.h"
#include "slice.h"
#include "persist.h"

/* An element type: a typecode and the C type behind it. */
struct elem_type {
    char code;
    uint8_t size; /* bytes: 1, 2, 4, 8 */
    bool is_float;
    int64_t min; /* integer types: the range */
    uint64_t max;
};

static const struct elem_type elem_types[] = {
    {'b', 1, false, INT8_MIN, INT8_MAX},
    {'B', 1, false, 0, UINT8_MAX},
    {'h', 2, false, INT16_MIN, INT16_MAX},
    {'H', 2, false, 0, UINT16_MAX},
    {'i', 4, false, INT32_MIN, INT32_MAX},
    {'I', 4, false, 0, UINT32_MAX},
    {'l', 8, false, INT64_MIN, INT64_MAX},
    {'L', 8, false, 0, UINT64_MAX},
    {'q', 8, false, INT64_MIN, INT64_MAX},
    {'Q', 8, false, 0, UINT64_MAX},
    {'f', 4, true, 0, 0},
    {'d', 8, true, 0, 0},
};

/* One element's value on its way in or out: an integer's two's-complement
 * bits, or a float's value. */
struct elem {
    uint64_t bits;
    double f;
};

struct array {
    struct object base; /* first: a struct object * is a struct array * */
    const struct elem_type *t;
    size_t len;
    uint8_t *data; /* len * t->size bytes */
};

static struct array *array_of(struct object *o)
{
    return (struct array *)o;
}

/* ---- elements ----------------------------------------------------------- */

static const struct elem_type *elem_type_find(const char *code, uint32_t len)
{
    for (size_t k = 0; len == 1 && k < sizeof(elem_types) / sizeof(elem_types[0]); k++)
        if (elem_types[k].code == code[0])
            return &elem_types[k];
    return NULL;
}

static bool is_signed(const struct elem_type *t)
{
    return t->min < 0;
}

/**
 * elem_read() - the next value of @r as an element of type @t.  SM_ETYPE for
 * a value of another kind, SM_EVALUE for an int outside an integer type's
 * range.  @r moves past the value only on success.
 */
static int elem_read(const struct elem_type *t, mp_reader *r, struct elem *e)
{
    uint64_t u;
    int64_t i;
    switch (mp_peek(r)) {
    case MP_UINT: /* every int >= 0 */
        mp_read_uint(r, &u);
        if (!t->is_float && u > t->max)
            return SM_EVALUE;
        e->bits = u;
        e->f = (double)u;
        return SM_OK;
    case MP_INT: /* every int < 0 */
        mp_read_int(r, &i);
        if (!t->is_float && i < t->min)
            return SM_EVALUE;
        e->bits = (uint64_t)i;
        e->f = (double)i;
        return SM_OK;
    case MP_FLOAT:
        return t->is_float ? mp_read_double(r, &e->f) : SM_ETYPE;
    default:
        return SM_ETYPE;
    }
}

/* An element in its C type; the bytes of each member start at offset 0. */
union native {
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    float f32;
    double f64;
};

/* elem_store() - write @e as element @i of @a, narrowing to its C type. */
static void elem_store(struct array *a, size_t i, const struct elem *e)
{
    union native v;
    if (a->t->is_float && a->t->size == 4)
        v.f32 = (float)e->f;
    else if (a->t->is_float)
        v.f64 = e->f;
    else if (a->t->size == 1)
        v.u8 = (uint8_t)e->bits;
    else if (a->t->size == 2)
        v.u16 = (uint16_t)e->bits;
    else if (a->t->size == 4)
        v.u32 = (uint32_t)e->bits;
    else
        v.u64 = e->bits;
    memcpy(a->data + i * a->t->size, &v, a->t->size);
}

/* elem_load() - element @i of @a, widened (signed integers sign-extended). */
static struct elem elem_load(const struct array *a, size_t i)
{
    union native v;
    struct elem e = {0};
    unsigned shift = 64 - 8u * a->t->size;
    memcpy(&v, a->data + i * a->t->size, a->t->size);
    if (a->t->is_float) {
        e.f = a->t->size == 4 ? v.f32 : v.f64;
        return e;
    }
    e.bits = a->t->size == 1 ? v.u8 : a->t->size == 2 ? v.u16 : a->t->size == 4 ? v.u32 : v.u64;
    if (is_signed(a->t) && shift)
        e.bits = (uint64_t)((int64_t)(e.bits << shift) >> shift);
    return e;
}

/* elem_pack() - element @i as a reply value: int, uint or float64. */
static int elem_pack(msgpack_packer *pk, const struct array *a, size_t i)
{
    struct elem e = elem_load(a, i);
    int rc = a->t->is_float    ? msgpack_pack_double(pk, e.f)
             : is_signed(a->t) ? msgpack_pack_int64(pk, (int64_t)e.bits)
                               : msgpack_pack_uint64(pk, e.bits);
    return rc ? SM_ENOMEM : SM_OK;
}

/**
 * array_assign() - store the values of the encoded msgpack array @raw at the
 * positions @s selects.  SM_EVALUE unless it holds exactly s->len values;
 * SM_ETYPE/SM_EVALUE (see elem_read()) for a bad value.  All are checked
 * before the first is stored: on failure nothing changed.
 */
static int array_assign(struct array *a, const struct slice *s, const uint8_t *raw, size_t len)
{
    mp_reader r;
    uint32_t n;
    struct elem e;
    mp_reader_init(&r, raw, len);
    if (mp_read_array(&r, &n))
        return SM_EINVAL;
    if (n != s->len)
        return SM_EVALUE;
    mp_reader first = r;
    for (uint32_t k = 0; k < n; k++) {
        int rc = elem_read(a->t, &r, &e);
        if (rc)
            return rc;
    }
    r = first;
    for (uint32_t k = 0; k < n; k++) {
        elem_read(a->t, &r, &e);
        elem_store(a, slice_at(s, k), &e);
    }
    return SM_OK;
}

/* whole() - the slice a[:] of @len items. */
static struct slice whole(size_t len)
{
    return (struct slice){.start = 0, .stop = (int64_t)len, .step = 1, .len = len};
}

/* ---- type API ----------------------------------------------------------- */

/* array_opts() - the element type, the length and the initial values (NULL
 * when none) from the options; SM_EINVAL when they do not fit together. */
static int array_opts(const struct arg *opts, const struct elem_type **t, size_t *len,
                      const uint8_t **init, size_t *init_len)
{
    static const char *const known[] = {"typecode", "length", "initial", NULL};
    const char *code;
    uint32_t code_len, n = 0;
    uint64_t length;
    mp_reader r;
    int rc = opts_check(opts, known);
    if (rc || (rc = opts_str(opts, "typecode", &code, &code_len)) ||
        (rc = opts_uint(opts, "length", 0, &length)) ||
        (rc = opts_raw(opts, "initial", init, init_len)))
        return rc;
    if (!(*t = code ? elem_type_find(code, code_len) : NULL))
        return SM_EINVAL;
    if (*init && **init == 0xc0)
        *init = NULL; /* nil: no initial values */
    bool length_given = opts_find(opts, "length", &r) == SM_OK;
    if (*init) {
        mp_reader_init(&r, *init, *init_len);
        if (mp_read_array(&r, &n) || (length_given && length != n))
            return SM_EINVAL;
        length = n;
    }
    if (length > UINT32_MAX) /* more than a reply array can carry */
        return SM_EINVAL;
    *len = (size_t)length;
    return SM_OK;
}

static void array_destroy(struct core *core, struct object *o);

static int array_create(struct core *core, const struct arg *opts, struct object **out)
{
    const struct elem_type *t;
    const uint8_t *init;
    size_t len, init_len;
    int rc = array_opts(opts, &t, &len, &init, &init_len);
    if (rc)
        return rc;
    if (!blob_reserve(len * t->size)) /* the memory limit (blob.h) */
        return SM_ENOMEM;
    struct array *a = calloc(1, sizeof(*a));
    if (!a || !(a->data = calloc(len ? len : 1, t->size))) {
        free(a);
        blob_release(len * t->size);
        return SM_ENOMEM;
    }
    a->base.type = &obj_array_type;
    a->t = t;
    a->len = len;
    struct slice all = whole(len);
    if (init && (rc = array_assign(a, &all, init, init_len))) {
        array_destroy(core, &a->base);
        return rc;
    }
    *out = &a->base;
    return SM_OK;
}

/* An array has no waiters and no holds: only memory to free. */
static void array_destroy(struct core *core, struct object *o)
{
    (void)core;
    blob_release(array_of(o)->len * array_of(o)->t->size);
    free(array_of(o)->data);
    free(o);
}

static size_t array_size(const struct object *o)
{
    return ((const struct array *)o)->len;
}

/* array_describe() - info: {typecode, length}. */
static void array_describe(const struct object *o, msgpack_packer *pk)
{
    const struct array *a = (const struct array *)o;
    char code[2] = {a->t->code, '\0'};
    msgpack_pack_map(pk, 2);
    admin_str(pk, "typecode", code);
    admin_uint(pk, "length", a->len);
}

/* array_dump() - one setslice of every element. */
static void array_dump(const struct object *o, struct dump *d)
{
    const struct array *a = (const struct array *)o;
    msgpack_packer *pk = dump_op(d, SMOP_array_setslice, 4);
    for (int k = 0; k < 3; k++)
        msgpack_pack_nil(pk);
    msgpack_pack_array(pk, (uint32_t)a->len);
    for (size_t i = 0; i < a->len; i++)
        elem_pack(pk, a, i);
    dump_end(d);
}

const struct obj_type obj_array_type = {
    .code = SM_T_ARRAY,
    .name = "array",
    .create = array_create,
    .destroy = array_destroy,
    .size = array_size,
    .describe = array_describe,
    .dump = array_dump,
};

/* ---- commands ----------------------------------------------------------- */

int op_array_get(struct call *c)
{
    struct array *a = array_of(c->obj);
    size_t i;
    int rc = slice_index(c->f->args[0].i, a->len, &i);
    return rc ? rc : elem_pack(reply_field(&c->rep), a, i);
}

int op_array_set(struct call *c)
{
    struct array *a = array_of(c->obj);
    const struct arg *v = &c->f->args[1];
    struct elem e;
    mp_reader r;
    size_t i;
    int rc = slice_index(c->f->args[0].i, a->len, &i);
    if (rc)
        return rc;
    mp_reader_init(&r, v->raw, v->len);
    if ((rc = elem_read(a->t, &r, &e)))
        return rc;
    elem_store(a, i, &e);
    return SM_OK;
}

/* getslice(start, stop, step): one array field, a[start:stop:step]. */
int op_array_getslice(struct call *c)
{
    struct array *a = array_of(c->obj);
    msgpack_packer *pk = reply_field(&c->rep);
    struct slice s;
    int rc = slice_adjust(c->f->args, a->len, &s);
    if (rc)
        return rc;
    if (msgpack_pack_array(pk, (uint32_t)s.len))
        return SM_ENOMEM;
    for (size_t k = 0; k < s.len && !rc; k++)
        rc = elem_pack(pk, a, slice_at(&s, k));
    return rc;
}

/* setslice(start, stop, step, array): a[start:stop:step] = array, which
 * must hold exactly as many values as the slice selects. */
int op_array_setslice(struct call *c)
{
    struct array *a = array_of(c->obj);
    const struct arg *args = c->f->args;
    struct slice s;
    int rc = slice_adjust(args, a->len, &s);
    return rc ? rc : array_assign(a, &s, args[3].raw, args[3].len);
}

int op_array_len(struct call *c)
{
    return msgpack_pack_uint64(reply_field(&c->rep), array_of(c->obj)->len) ? SM_ENOMEM : SM_OK;
}
