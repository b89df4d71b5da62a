/*
 * obj_value.c - Value: one shared value, multiprocessing.Value without its
 * lock (every op is atomic under the core lock), plus incr and cas.
 *
 * The value is an opaque msgpack blob, stored and returned verbatim.  Only
 * incr looks inside: the stored value and the delta must be numbers (int or
 * float; bool is not a number here).  Integers add exactly; a sum that does
 * not fit in msgpack (below INT64_MIN or above UINT64_MAX) is SM_EVALUE, the
 * analogue of an overflow in a C-typed Value.  A float on either side makes
 * a float64 result, as in Python.
 *
 * Every handler packs its reply and allocates what it needs before it
 * replaces the value, so a failure leaves the value as it was.
 */
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "blob.h"
#include "core.h"
#include "opts.h"
#include "persist.h"

struct value {
    struct object base; /* first: a struct object * is a struct value * */
    struct blob *val;
};

static struct value *value_of(struct object *o)
{
    return (struct value *)o;
}

/* ---- type API ----------------------------------------------------------- */

static const uint8_t nil_bytes[] = {0xc0};

static int value_create(struct core *core, const struct arg *opts, struct object **out)
{
    static const char *const known[] = {"initial", NULL};
    const uint8_t *p;
    size_t len;
    (void)core;
    int rc = opts_check(opts, known);
    if (rc || (rc = opts_raw(opts, "initial", &p, &len)))
        return rc;
    if (!p) {
        p = nil_bytes;
        len = sizeof(nil_bytes);
    }
    struct value *v = calloc(1, sizeof(*v));
    if (!v || !(v->val = blob_new(p, len))) {
        free(v);
        return SM_ENOMEM;
    }
    v->base.type = &obj_value_type;
    *out = &v->base;
    return SM_OK;
}

/* A value has no waiters and no holds: only memory to free. */
static void value_destroy(struct core *core, struct object *o)
{
    (void)core;
    blob_free(value_of(o)->val);
    free(o);
}

static size_t value_size(const struct object *o)
{
    (void)o;
    return 1; /* one value */
}

/* value_describe() - info: {} (the value itself is what get shows). */
static void value_describe(const struct object *o, msgpack_packer *pk)
{
    (void)o;
    msgpack_pack_map(pk, 0);
}

/* value_dump() - a set of the value. */
static void value_dump(const struct object *o, struct dump *d)
{
    blob_pack(dump_op(d, SMOP_value_set, 1), ((const struct value *)o)->val);
    dump_end(d);
}

const struct obj_type obj_value_type = {
    .code = SM_T_VALUE,
    .name = "value",
    .create = value_create,
    .destroy = value_destroy,
    .size = value_size,
    .describe = value_describe,
    .dump = value_dump,
};

/* ---- numbers (incr) ----------------------------------------------------- */

/* A msgpack number: every integer msgpack holds fits in 128 bits. */
struct num {
    bool is_float;
    __int128 i;
    double f;
};

/* num_read() - the number in the encoded value @p; SM_ETYPE if it is none. */
static int num_read(const uint8_t *p, size_t len, struct num *n)
{
    mp_reader r;
    uint64_t u;
    int64_t i;
    mp_reader_init(&r, p, len);
    n->is_float = false;
    switch (mp_peek(&r)) {
    case MP_UINT:
        mp_read_uint(&r, &u);
        n->i = u;
        return SM_OK;
    case MP_INT:
        mp_read_int(&r, &i);
        n->i = i;
        return SM_OK;
    case MP_FLOAT:
        n->is_float = true;
        return mp_read_double(&r, &n->f);
    default:
        return SM_ETYPE;
    }
}

static double num_double(const struct num *n)
{
    return n->is_float ? n->f : (double)n->i;
}

/* A packed number: at most 9 bytes, packed without allocating. */
struct numbuf {
    uint8_t b[16];
    size_t n;
};

static int numbuf_write(void *data, const char *buf, size_t len)
{
    struct numbuf *nb = data;
    if (len > sizeof(nb->b) - nb->n)
        return -1;
    memcpy(nb->b + nb->n, buf, len);
    nb->n += len;
    return 0;
}

/* num_add() - @a + @b packed into @out; SM_EVALUE when an integer sum does
 * not fit in msgpack. */
static int num_add(const struct num *a, const struct num *b, struct numbuf *out)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, numbuf_write);
    out->n = 0;
    if (a->is_float || b->is_float)
        return msgpack_pack_double(&pk, num_double(a) + num_double(b)) ? SM_ENOMEM : SM_OK;
    __int128 s = a->i + b->i;
    if (s < INT64_MIN || s > (__int128)UINT64_MAX)
        return SM_EVALUE;
    int rc = s < 0 ? msgpack_pack_int64(&pk, (int64_t)s) : msgpack_pack_uint64(&pk, (uint64_t)s);
    return rc ? SM_ENOMEM : SM_OK;
}

/* ---- commands ----------------------------------------------------------- */

/* value_replace() - store a copy of @len bytes at @p and reply them (when
 * @reply), in that order of allocation, so a failure changes nothing. */
static int value_replace(struct call *c, const void *p, size_t len, bool reply)
{
    struct value *v = value_of(c->obj);
    struct blob *b = blob_new(p, len);
    if (!b)
        return SM_ENOMEM;
    if (reply && mp_pack_raw(reply_field(&c->rep), p, len)) {
        blob_free(b);
        return SM_ENOMEM;
    }
    blob_free(v->val);
    v->val = b;
    return SM_OK;
}

int op_value_get(struct call *c)
{
    return blob_pack(reply_field(&c->rep), value_of(c->obj)->val);
}

int op_value_set(struct call *c)
{
    const struct arg *a = &c->f->args[0];
    return value_replace(c, a->raw, a->len, false);
}

/* incr(delta): value += delta for numbers; replies the new value. */
int op_value_incr(struct call *c)
{
    const struct blob *cur = value_of(c->obj)->val;
    const struct arg *delta = &c->f->args[0];
    struct num a, b;
    struct numbuf sum;
    int rc = num_read(cur->data, cur->len, &a);
    if (rc || (rc = num_read(delta->raw, delta->len, &b)) || (rc = num_add(&a, &b, &sum)))
        return rc;
    return value_replace(c, sum.b, sum.n, true);
}

/* cas(expected, desired): if value == expected (Python ==), value = desired.
 * Replies swapped (bool) and the value held afterwards. */
int op_value_cas(struct call *c)
{
    const struct blob *cur = value_of(c->obj)->val;
    const struct arg *expected = &c->f->args[0], *desired = &c->f->args[1];
    msgpack_packer *pk = reply_field(&c->rep);
    if (!mp_equal(cur->data, cur->len, expected->raw, expected->len))
        return msgpack_pack_false(pk) || blob_pack(reply_field(&c->rep), cur) ? SM_ENOMEM : SM_OK;
    if (msgpack_pack_true(pk))
        return SM_ENOMEM;
    return value_replace(c, desired->raw, desired->len, true);
}
