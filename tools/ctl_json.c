/*
 * ctl_json.c - msgpack <-> JSON spelling for syncmgrctl (see ctl_json.h for
 * the table).  msgpack is read through msgpack-c's object tree, only after
 * mp_validate() has bounded its size and depth.
 */
#include "ctl_json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "errors.h"

#define B64 sodium_base64_VARIANT_ORIGINAL

struct jerr {
    char *buf;
    size_t len;
};

__attribute__((format(printf, 3, 4))) static int fail(struct jerr *e, int rc, const char *fmt, ...)
{
    va_list ap;
    if (e->buf && e->len) {
        va_start(ap, fmt);
        vsnprintf(e->buf, e->len, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* ---- msgpack -> JSON ---------------------------------------------------- */

/* tagged() - {"tag": value}, taking @value's reference; NULL on ENOMEM. */
static json_t *tagged(const char *tag, json_t *value)
{
    json_t *o = value ? json_object() : NULL;
    if (!o || json_object_set_new(o, tag, value)) {
        json_decref(o);
        json_decref(value);
        return NULL;
    }
    return o;
}

/* base64() - a JSON string of the base64 of @len bytes; NULL on ENOMEM. */
static json_t *base64(const void *p, size_t len)
{
    size_t n = sodium_base64_ENCODED_LEN(len, B64);
    char *s = malloc(n);
    if (!s)
        return NULL;
    sodium_bin2base64(s, n, p, len, B64);
    json_t *j = json_string(s);
    free(s);
    return j;
}

/* ptr() - msgpack-c leaves the pointer of an empty str/bin/ext NULL. */
static const char *ptr(const char *p)
{
    return p ? p : "";
}

/* map_as_object() - an empty JSON object when the map may be spelled as one:
 * every key a str without NUL (JSON readers refuse "\u0000" in keys), not
 * one lone key beginning with "$" (from_map() checks the rest: UTF-8 keys,
 * none repeated); else NULL, for "$map". */
static json_t *map_as_object(const msgpack_object_map *m)
{
    if (m->size == 1 && m->ptr[0].key.type == MSGPACK_OBJECT_STR &&
        m->ptr[0].key.via.str.size > 0 && m->ptr[0].key.via.str.ptr[0] == '$')
        return NULL;
    for (uint32_t i = 0; i < m->size; i++) {
        const msgpack_object *k = &m->ptr[i].key;
        if (k->type != MSGPACK_OBJECT_STR || memchr(ptr(k->via.str.ptr), 0, k->via.str.size))
            return NULL;
    }
    return json_object();
}

static int from_obj(const msgpack_object *o, json_t **out, struct jerr *e);

static int from_map(const msgpack_object_map *m, json_t **out, struct jerr *e)
{
    json_t *obj = map_as_object(m), *v;
    int rc;
    for (uint32_t i = 0; obj && i < m->size; i++) {
        const msgpack_object_str *k = &m->ptr[i].key.via.str;
        if (json_object_getn(obj, ptr(k->ptr), k->size)) {
            json_decref(obj); /* a repeated key: only $map keeps both */
            obj = NULL;
            break;
        }
        if ((rc = from_obj(&m->ptr[i].val, &v, e))) {
            json_decref(obj);
            return rc;
        }
        if (json_object_setn_new(obj, ptr(k->ptr), k->size, v)) {
            json_decref(obj); /* not UTF-8 (or ENOMEM: $map will find out) */
            obj = NULL;
        }
    }
    if (obj) {
        *out = obj;
        return SM_OK;
    }
    json_t *pairs = json_array(), *k, *pair;
    if (!pairs)
        return fail(e, SM_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < m->size; i++) {
        if ((rc = from_obj(&m->ptr[i].key, &k, e))) {
            json_decref(pairs);
            return rc;
        }
        if ((rc = from_obj(&m->ptr[i].val, &v, e))) {
            json_decref(k);
            json_decref(pairs);
            return rc;
        }
        if (!(pair = json_pack("[oo]", k, v)) || json_array_append_new(pairs, pair)) {
            json_decref(pairs);
            return fail(e, SM_ENOMEM, "out of memory");
        }
    }
    if (!(*out = tagged("$map", pairs)))
        return fail(e, SM_ENOMEM, "out of memory");
    return SM_OK;
}

static json_t *from_float(double f)
{
    if (isnan(f))
        return tagged("$float", json_string("nan"));
    if (isinf(f))
        return tagged("$float", json_string(f > 0 ? "inf" : "-inf"));
    return json_real(f);
}

static int from_obj(const msgpack_object *o, json_t **out, struct jerr *e)
{
    json_t *j = NULL, *v;
    int rc;
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        j = json_null();
        break;
    case MSGPACK_OBJECT_BOOLEAN:
        j = json_boolean(o->via.boolean);
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        if (o->via.u64 <= INT64_MAX) {
            j = json_integer((json_int_t)o->via.u64);
        } else {
            char digits[24];
            snprintf(digits, sizeof(digits), "%" PRIu64, o->via.u64);
            j = tagged("$uint", json_string(digits));
        }
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        j = json_integer((json_int_t)o->via.i64);
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        j = from_float(o->via.f64);
        break;
    case MSGPACK_OBJECT_STR:
        if (!(j = json_stringn(ptr(o->via.str.ptr), o->via.str.size))) /* not UTF-8 */
            j = tagged("$str", base64(ptr(o->via.str.ptr), o->via.str.size));
        break;
    case MSGPACK_OBJECT_BIN:
        j = tagged("$bin", base64(ptr(o->via.bin.ptr), o->via.bin.size));
        break;
    case MSGPACK_OBJECT_EXT:
        j = tagged("$ext", json_pack("[Io]", (json_int_t)o->via.ext.type,
                                     base64(ptr(o->via.ext.ptr), o->via.ext.size)));
        break;
    case MSGPACK_OBJECT_ARRAY:
        if (!(j = json_array()))
            break;
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            if ((rc = from_obj(&o->via.array.ptr[i], &v, e))) {
                json_decref(j);
                return rc;
            }
            if (json_array_append_new(j, v)) {
                json_decref(j);
                j = NULL;
                break;
            }
        }
        break;
    case MSGPACK_OBJECT_MAP:
        return from_map(&o->via.map, out, e);
    default:
        return fail(e, SM_EPROTO, "unknown msgpack type %d", (int)o->type);
    }
    if (!j)
        return fail(e, SM_ENOMEM, "out of memory");
    *out = j;
    return SM_OK;
}

int ctl_json_from_msgpack(const void *buf, size_t len, json_t **out, char *err, size_t errlen)
{
    struct jerr e = {err, errlen};
    msgpack_unpacked u;
    size_t off = 0;
    *out = NULL;
    int rc = mp_validate(buf, len, SM_MAX_DEPTH);
    if (rc)
        return fail(&e, rc, "%s",
                    rc == SM_ETOOBIG ? "value nested too deeply" : "malformed msgpack value");
    msgpack_unpacked_init(&u);
    if (msgpack_unpack_next(&u, buf, len, &off) != MSGPACK_UNPACK_SUCCESS)
        rc = fail(&e, SM_ENOMEM, "cannot unpack the value");
    else
        rc = from_obj(&u.data, out, &e);
    msgpack_unpacked_destroy(&u);
    return rc;
}

/* ---- JSON -> msgpack ---------------------------------------------------- */

/* unbase64() - decode the base64 string @j into a malloc'd buffer. */
static int unbase64(const json_t *j, const char *tag, uint8_t **p, size_t *len, struct jerr *e)
{
    const char *s = json_string_value(j), *end;
    if (!s)
        return fail(e, SM_EINVAL, "%s: expected a base64 string", tag);
    size_t n = json_string_length(j);
    if (!(*p = malloc(n / 4 * 3 + 3)))
        return fail(e, SM_ENOMEM, "out of memory");
    if (sodium_base642bin(*p, n / 4 * 3 + 3, s, n, NULL, len, &end, B64) != 0 || end != s + n) {
        free(*p);
        *p = NULL;
        return fail(e, SM_EINVAL, "%s: invalid base64", tag);
    }
    return SM_OK;
}

/* pack_bytes() - str, bin or (with @ext_type >= -128) ext from base64. */
static int pack_bytes(msgpack_packer *pk, const json_t *b64, const char *tag, int kind,
                      int ext_type, struct jerr *e)
{
    uint8_t *p;
    size_t n;
    int rc = unbase64(b64, tag, &p, &n, e);
    if (rc)
        return rc;
    if (n > UINT32_MAX) {
        free(p);
        return fail(e, SM_ETOOBIG, "%s: too long", tag);
    }
    if (kind == MSGPACK_OBJECT_STR)
        rc = msgpack_pack_str_with_body(pk, p, n);
    else if (kind == MSGPACK_OBJECT_BIN)
        rc = msgpack_pack_bin_with_body(pk, p, n);
    else
        rc = msgpack_pack_ext_with_body(pk, p, n, (int8_t)ext_type);
    free(p);
    return rc ? fail(e, SM_ENOMEM, "out of memory") : SM_OK;
}

static int to_mp(const json_t *j, msgpack_packer *pk, unsigned depth, struct jerr *e);

static int pack_uint_tag(msgpack_packer *pk, const json_t *v, struct jerr *e)
{
    const char *s = json_string_value(v);
    char *end;
    if (!s || !*s || strspn(s, "0123456789") != strlen(s))
        return fail(e, SM_EINVAL, "$uint: expected a string of decimal digits");
    errno = 0;
    unsigned long long u = strtoull(s, &end, 10);
    if (errno || *end)
        return fail(e, SM_EINVAL, "$uint: %s is out of range", s);
    return msgpack_pack_uint64(pk, u) ? fail(e, SM_ENOMEM, "out of memory") : SM_OK;
}

static int pack_float_tag(msgpack_packer *pk, const json_t *v, struct jerr *e)
{
    const char *s = json_string_value(v);
    double f;
    if (s && !strcmp(s, "nan"))
        f = NAN;
    else if (s && !strcmp(s, "inf"))
        f = INFINITY;
    else if (s && !strcmp(s, "-inf"))
        f = -INFINITY;
    else
        return fail(e, SM_EINVAL, "$float: expected \"nan\", \"inf\" or \"-inf\"");
    return msgpack_pack_double(pk, f) ? fail(e, SM_ENOMEM, "out of memory") : SM_OK;
}

static int pack_ext_tag(msgpack_packer *pk, const json_t *v, struct jerr *e)
{
    const json_t *t = json_array_get(v, 0);
    if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_integer(t) ||
        json_integer_value(t) < -128 || json_integer_value(t) > 127)
        return fail(e, SM_EINVAL, "$ext: expected [type -128..127, \"<base64>\"]");
    return pack_bytes(pk, json_array_get(v, 1), "$ext", MSGPACK_OBJECT_EXT,
                      (int)json_integer_value(t), e);
}

static int pack_map_tag(msgpack_packer *pk, const json_t *v, unsigned depth, struct jerr *e)
{
    size_t i;
    const json_t *pair;
    int rc;
    if (!json_is_array(v))
        return fail(e, SM_EINVAL, "$map: expected [[key, value], ...]");
    for (i = 0; i < json_array_size(v); i++) {
        pair = json_array_get(v, i);
        if (!json_is_array(pair) || json_array_size(pair) != 2)
            return fail(e, SM_EINVAL, "$map: expected [[key, value], ...]");
    }
    if (depth == 0)
        return fail(e, SM_ETOOBIG, "value nested deeper than %d", SM_MAX_DEPTH);
    if (json_array_size(v) > UINT32_MAX || msgpack_pack_map(pk, json_array_size(v)))
        return fail(e, SM_ENOMEM, "out of memory");
    for (i = 0; i < json_array_size(v); i++) {
        pair = json_array_get(v, i);
        if ((rc = to_mp(json_array_get(pair, 0), pk, depth - 1, e)) ||
            (rc = to_mp(json_array_get(pair, 1), pk, depth - 1, e)))
            return rc;
    }
    return SM_OK;
}

/* pack_tag() - a one-key object whose key begins with "$". */
static int pack_tag(msgpack_packer *pk, const char *tag, const json_t *v, unsigned depth,
                    struct jerr *e)
{
    if (!strcmp(tag, "$uint"))
        return pack_uint_tag(pk, v, e);
    if (!strcmp(tag, "$float"))
        return pack_float_tag(pk, v, e);
    if (!strcmp(tag, "$str"))
        return pack_bytes(pk, v, tag, MSGPACK_OBJECT_STR, 0, e);
    if (!strcmp(tag, "$bin"))
        return pack_bytes(pk, v, tag, MSGPACK_OBJECT_BIN, 0, e);
    if (!strcmp(tag, "$ext"))
        return pack_ext_tag(pk, v, e);
    if (!strcmp(tag, "$map"))
        return pack_map_tag(pk, v, depth, e);
    return fail(e, SM_EINVAL,
                "unknown tag \"%s\" (write a map with one \"$\" key as {\"$map\": [[k, v]]})", tag);
}

static int to_mp(const json_t *j, msgpack_packer *pk, unsigned depth, struct jerr *e)
{
    const char *key;
    size_t i;
    int rc = 0;
    switch (json_typeof(j)) {
    case JSON_NULL:
        rc = msgpack_pack_nil(pk);
        break;
    case JSON_TRUE:
        rc = msgpack_pack_true(pk);
        break;
    case JSON_FALSE:
        rc = msgpack_pack_false(pk);
        break;
    case JSON_INTEGER:
        if (json_integer_value(j) >= 0)
            rc = msgpack_pack_uint64(pk, (uint64_t)json_integer_value(j));
        else
            rc = msgpack_pack_int64(pk, json_integer_value(j));
        break;
    case JSON_REAL:
        rc = msgpack_pack_double(pk, json_real_value(j));
        break;
    case JSON_STRING:
        rc = msgpack_pack_str_with_body(pk, json_string_value(j), json_string_length(j));
        break;
    case JSON_ARRAY:
        if (depth == 0)
            return fail(e, SM_ETOOBIG, "value nested deeper than %d", SM_MAX_DEPTH);
        if ((rc = msgpack_pack_array(pk, json_array_size(j))))
            break;
        for (i = 0; i < json_array_size(j); i++) {
            if ((rc = to_mp(json_array_get(j, i), pk, depth - 1, e)))
                return rc;
        }
        return SM_OK;
    case JSON_OBJECT:
        if (json_object_size(j) == 1) {
            void *it = json_object_iter((json_t *)j);
            key = json_object_iter_key(it);
            if (key[0] == '$')
                return pack_tag(pk, key, json_object_iter_value(it), depth, e);
        }
        if (depth == 0)
            return fail(e, SM_ETOOBIG, "value nested deeper than %d", SM_MAX_DEPTH);
        if ((rc = msgpack_pack_map(pk, json_object_size(j))))
            break;
        for (void *it = json_object_iter((json_t *)j); it && !rc;
             it = json_object_iter_next((json_t *)j, it)) {
            rc = msgpack_pack_str_with_body(pk, json_object_iter_key(it),
                                            json_object_iter_key_len(it));
            if (!rc && (rc = to_mp(json_object_iter_value(it), pk, depth - 1, e)))
                return rc;
        }
        break;
    }
    return rc ? fail(e, SM_ENOMEM, "out of memory") : SM_OK;
}

int ctl_json_to_msgpack(const json_t *j, msgpack_packer *pk, char *err, size_t errlen)
{
    struct jerr e = {err, errlen};
    if (!j)
        return fail(&e, SM_EINVAL, "no value");
    return to_mp(j, pk, SM_MAX_DEPTH, &e);
}

char *ctl_json_dumps(const json_t *j, bool compact)
{
    return json_dumps(j, JSON_ENCODE_ANY | (compact ? JSON_COMPACT : 0));
}
