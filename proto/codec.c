/* codec.c - bounded msgpack validation, reading, canonical form and frames. */
#include "codec.h"

#include <endian.h>
#include <math.h>
#include <string.h>

#include "errors.h"

/* The deepest message a peer may send back: a value is at most
 * SM_MAX_DEPTH - 1 deep (the request array is one level), and the deepest
 * reply wraps it three times: [status, [[key, value], ...]] (dict.items). */
#define REPLY_MAX_DEPTH (SM_MAX_DEPTH + 2)

/* One decoded header: what the next object is and where its body lies. */
struct head {
    enum mp_kind kind;
    size_t hlen;     /* header bytes */
    uint64_t blen;   /* body bytes for str/bin/ext (ext: incl. type byte) */
    uint64_t count;  /* array elements or map pairs */
    uint64_t u;      /* MP_UINT value, MP_BOOL */
    int64_t i;       /* MP_INT value */
    double f;        /* MP_FLOAT value */
};

/* be() - the @n-byte big-endian number at @p (n is 1, 2, 4 or 8: one load). */
static uint64_t be(const uint8_t *p, unsigned n)
{
    uint16_t v16;
    uint32_t v32;
    uint64_t v64;
    switch (n) {
    case 1:
        return p[0];
    case 2:
        memcpy(&v16, p, sizeof(v16));
        return be16toh(v16);
    case 4:
        memcpy(&v32, p, sizeof(v32));
        return be32toh(v32);
    default:
        memcpy(&v64, p, sizeof(v64));
        return be64toh(v64);
    }
}

/* read_head() - decode the header at p; SM_EPROTO if it does not fit. */
static int read_head(const uint8_t *p, const uint8_t *end, struct head *h)
{
    static const uint8_t extra[32] = {
        /* 0xc0..0xdf: header bytes after the type byte */
        0, 0, 0, 0, 1, 2, 4, 2, 3, 5, 4, 8, 1, 2, 4, 8,
        1, 2, 4, 8, 1, 1, 1, 1, 1, 1, 2, 4, 2, 4, 2, 4};
    if (p >= end)
        return SM_EPROTO;
    uint8_t b = *p;
    h->hlen = 1; /* only the fields of h->kind are set (no memset: hot path) */
    h->blen = 0;
    h->count = 0;
    if (b <= 0x7f) { h->kind = MP_UINT; h->u = b; return SM_OK; }
    if (b >= 0xe0) { h->kind = MP_INT; h->i = (int8_t)b; return SM_OK; }
    if (b <= 0x8f) { h->kind = MP_MAP; h->count = b & 0x0f; return SM_OK; }
    if (b <= 0x9f) { h->kind = MP_ARRAY; h->count = b & 0x0f; return SM_OK; }
    if (b <= 0xbf) { h->kind = MP_STR; h->blen = b & 0x1f; return SM_OK; }
    h->hlen = 1 + extra[b - 0xc0];
    if ((size_t)(end - p) < h->hlen)
        return SM_EPROTO;
    const uint8_t *q = p + 1;
    unsigned n = extra[b - 0xc0];
    switch (b) {
    case 0xc0: h->kind = MP_NIL; break;
    case 0xc2: case 0xc3: h->kind = MP_BOOL; h->u = b & 1; break;
    case 0xc4: case 0xc5: case 0xc6: h->kind = MP_BIN; h->blen = be(q, n); break;
    case 0xc7: case 0xc8: case 0xc9:
        h->kind = MP_EXT;
        h->blen = be(q, n - 1) + 1;     /* payload plus the type byte */
        h->hlen -= 1;
        break;
    case 0xca: {
        uint32_t w = (uint32_t)be(q, 4);
        float f;
        memcpy(&f, &w, 4);
        h->kind = MP_FLOAT; h->f = f;
        break;
    }
    case 0xcb: {
        uint64_t w = be(q, 8);
        memcpy(&h->f, &w, 8);
        h->kind = MP_FLOAT;
        break;
    }
    case 0xcc: case 0xcd: case 0xce: case 0xcf: h->kind = MP_UINT; h->u = be(q, n); break;
    case 0xd0: h->kind = MP_INT; h->i = (int8_t)q[0]; break;
    case 0xd1: h->kind = MP_INT; h->i = (int16_t)be(q, 2); break;
    case 0xd2: h->kind = MP_INT; h->i = (int32_t)be(q, 4); break;
    case 0xd3: h->kind = MP_INT; h->i = (int64_t)be(q, 8); break;
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:
        h->kind = MP_EXT;
        h->hlen = 1;
        h->blen = 1 + (1u << (b - 0xd4)); /* type byte + 1,2,4,8,16 */
        break;
    case 0xd9: case 0xda: case 0xdb: h->kind = MP_STR; h->blen = be(q, n); break;
    case 0xdc: case 0xdd: h->kind = MP_ARRAY; h->count = be(q, n); break;
    case 0xde: case 0xdf: h->kind = MP_MAP; h->count = be(q, n); break;
    default: return SM_EPROTO; /* 0xc1 is never used */
    }
    /* Signed encodings of non-negative numbers read as uint, so that every
     * integer >= 0 has one kind whatever its encoding. */
    if (h->kind == MP_INT && h->i >= 0) {
        h->kind = MP_UINT;
        h->u = (uint64_t)h->i;
    }
    return SM_OK;
}

/* skip_short() - step over the object at *pp when its header is one of the
 * fixed-size or one-byte-length ones most fields have (fixint, nil, bool,
 * fixstr, int and uint of every width, str8, bin8), without read_head():
 * 1 done, 0 not one of them, -1 truncated. */
static inline int skip_short(const uint8_t **pp, const uint8_t *end)
{
    const uint8_t *q = *pp;
    size_t left = (size_t)(end - q), n;
    if (left == 0)
        return -1;
    uint8_t b = *q;
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        n = 1;
    else if ((b & 0xe0) == 0xa0)
        n = 1 + (size_t)(b & 0x1f);
    else if (b >= 0xcc && b <= 0xd3)
        n = 1 + ((size_t)1 << (b & 3)); /* 1, 2, 4 or 8 bytes */
    else if ((b == 0xc4 || b == 0xd9) && left >= 2)
        n = 2 + (size_t)q[1];
    else
        return 0;
    if (n > left)
        return -1;
    *pp = q + n;
    return 1;
}

/* skip() - step over one object, checking every length against the bytes
 * left before trusting it; depth-bounded recursion (not for the elements
 * skip_short() can step over). */
static int skip(const uint8_t **pp, const uint8_t *end, unsigned depth)
{
    struct head h;
    int rc = skip_short(pp, end);
    if (rc)
        return rc > 0 ? SM_OK : SM_EPROTO;
    if ((rc = read_head(*pp, end, &h)))
        return rc;
    const uint8_t *p = *pp + h.hlen;
    size_t left = (size_t)(end - p);
    switch (h.kind) {
    case MP_STR: case MP_BIN: case MP_EXT:
        if (h.blen > left)
            return SM_EPROTO;
        p += h.blen;
        break;
    case MP_ARRAY: case MP_MAP: {
        uint64_t n = h.kind == MP_MAP ? h.count * 2 : h.count;
        if (n > left)      /* every element takes at least one byte */
            return SM_EPROTO;
        if (depth == 0)
            return SM_ETOOBIG;
        for (uint64_t k = 0; k < n; k++) {
            if ((rc = skip_short(&p, end)) < 0)
                return SM_EPROTO;
            if (rc == 0 && (rc = skip(&p, end, depth - 1)))
                return rc;
        }
        break;
    }
    default:
        break;
    }
    *pp = p;
    return SM_OK;
}

int mp_validate(const void *buf, size_t len, unsigned max_depth)
{
    const uint8_t *p = buf, *end = p + len;
    if (len == 0)
        return SM_EPROTO;
    int rc = skip(&p, end, max_depth);
    if (rc)
        return rc;
    return p == end ? SM_OK : SM_EPROTO;
}

enum mp_kind mp_peek(const mp_reader *r)
{
    struct head h;
    return read_head(r->p, r->end, &h) ? MP_BAD : h.kind;
}

/* next() - header of the next object, which must be of @kind. */
static int next(mp_reader *r, enum mp_kind kind, struct head *h)
{
    if (read_head(r->p, r->end, h))
        return SM_EPROTO;
    if (h->kind != kind)
        return SM_ETYPE;
    if ((kind == MP_STR || kind == MP_BIN) && h->blen > (size_t)(r->end - r->p) - h->hlen)
        return SM_EPROTO;
    r->p += h->hlen;
    return SM_OK;
}

int mp_read_nil(mp_reader *r)
{
    struct head h;
    return next(r, MP_NIL, &h);
}

int mp_read_bool(mp_reader *r, bool *out)
{
    struct head h;
    int rc = next(r, MP_BOOL, &h);
    if (!rc)
        *out = h.u;
    return rc;
}

int mp_read_int(mp_reader *r, int64_t *out)
{
    struct head h;
    if (read_head(r->p, r->end, &h))
        return SM_EPROTO;
    if (h.kind == MP_INT)
        *out = h.i;
    else if (h.kind == MP_UINT && h.u <= INT64_MAX)
        *out = (int64_t)h.u;
    else
        return h.kind == MP_UINT ? SM_EVALUE : SM_ETYPE;
    r->p += h.hlen;
    return SM_OK;
}

int mp_read_uint(mp_reader *r, uint64_t *out)
{
    struct head h;
    int rc = next(r, MP_UINT, &h);
    if (!rc)
        *out = h.u;
    return rc;
}

int mp_read_double(mp_reader *r, double *out)
{
    struct head h;
    int rc = next(r, MP_FLOAT, &h);
    if (!rc)
        *out = h.f;
    return rc;
}

int mp_read_str(mp_reader *r, const char **s, uint32_t *len)
{
    struct head h;
    int rc = next(r, MP_STR, &h);
    if (rc)
        return rc;
    *s = (const char *)r->p;
    *len = (uint32_t)h.blen;
    r->p += h.blen;
    return SM_OK;
}

int mp_read_bin(mp_reader *r, const void **p, uint32_t *len)
{
    struct head h;
    int rc = next(r, MP_BIN, &h);
    if (rc)
        return rc;
    *p = r->p;
    *len = (uint32_t)h.blen;
    r->p += h.blen;
    return SM_OK;
}

int mp_read_array(mp_reader *r, uint32_t *n)
{
    struct head h;
    int rc = next(r, MP_ARRAY, &h);
    if (!rc)
        *n = (uint32_t)h.count;
    return rc;
}

int mp_read_map(mp_reader *r, uint32_t *n)
{
    struct head h;
    int rc = next(r, MP_MAP, &h);
    if (!rc)
        *n = (uint32_t)h.count;
    return rc;
}

int mp_read_raw(mp_reader *r, const uint8_t **p, size_t *len)
{
    const uint8_t *q = r->p;
    int rc = skip(&q, r->end, REPLY_MAX_DEPTH); /* validated already: any field fits */
    if (rc)
        return rc;
    *p = r->p;
    *len = (size_t)(q - r->p);
    r->p = q;
    return SM_OK;
}

/* canon() - re-pack one object in canonical form (see mp_canon). */
static int canon(mp_reader *r, msgpack_packer *pk)
{
    struct head h;
    if (read_head(r->p, r->end, &h))
        return SM_EPROTO;
    const uint8_t *body = r->p + h.hlen;
    r->p = body;
    switch (h.kind) {
    case MP_NIL: return msgpack_pack_nil(pk) ? SM_ENOMEM : SM_OK;
    case MP_BOOL: return (h.u ? msgpack_pack_true(pk) : msgpack_pack_false(pk)) ? SM_ENOMEM : SM_OK;
    case MP_UINT: return msgpack_pack_uint64(pk, h.u) ? SM_ENOMEM : SM_OK;
    case MP_INT: return msgpack_pack_int64(pk, h.i) ? SM_ENOMEM : SM_OK;
    case MP_FLOAT: return msgpack_pack_double(pk, h.f) ? SM_ENOMEM : SM_OK;
    case MP_STR:
        r->p += h.blen;
        return msgpack_pack_str_with_body(pk, body, h.blen) ? SM_ENOMEM : SM_OK;
    case MP_BIN:
        r->p += h.blen;
        return msgpack_pack_bin_with_body(pk, body, h.blen) ? SM_ENOMEM : SM_OK;
    case MP_EXT:
        r->p += h.blen;
        return msgpack_pack_ext_with_body(pk, body + 1, h.blen - 1, (int8_t)body[0]) ? SM_ENOMEM
                                                                                     : SM_OK;
    case MP_ARRAY:
    case MP_MAP: {
        uint64_t n = h.kind == MP_MAP ? h.count * 2 : h.count;
        int rc = h.kind == MP_MAP ? msgpack_pack_map(pk, h.count) : msgpack_pack_array(pk, h.count);
        if (rc)
            return SM_ENOMEM;
        for (uint64_t k = 0; k < n; k++)
            if ((rc = canon(r, pk)))
                return rc;
        return SM_OK;
    }
    default:
        return SM_EPROTO;
    }
}

/* smallest_head() - the header bytes msgpack-c packs a str (@str) or bin
 * body of @n bytes with. */
static size_t smallest_head(bool str, uint64_t n)
{
    if (str && n < 32)
        return 1;
    return n < 256 ? 2 : n < 65536 ? 3 : 5;
}

/* verbatim() - @h, the header of a whole object, is already in canonical
 * form: a fixint, nil, bool, or a str or bin with its smallest header (most
 * dict keys), so that mp_canon() may copy its bytes as they are. */
static bool verbatim(const uint8_t *p, const struct head *h)
{
    switch (h->kind) {
    case MP_NIL: case MP_BOOL:
        return true;
    case MP_UINT: case MP_INT:
        return *p <= 0x7f || *p >= 0xe0;
    case MP_STR: case MP_BIN:
        return h->hlen == smallest_head(h->kind == MP_STR, h->blen);
    default:
        return false;
    }
}

int mp_canon(const void *buf, size_t len, msgpack_sbuffer *out)
{
    msgpack_packer pk;
    mp_reader r;
    struct head h;
    if (read_head(buf, (const uint8_t *)buf + len, &h) == SM_OK && verbatim(buf, &h))
        return msgpack_sbuffer_write(out, buf, len) ? SM_ENOMEM : SM_OK;
    msgpack_packer_init(&pk, out, msgpack_sbuffer_write);
    mp_reader_init(&r, buf, len);
    return canon(&r, &pk);
}

static bool numeric(const struct head *h)
{
    return h->kind == MP_UINT || h->kind == MP_INT || h->kind == MP_FLOAT || h->kind == MP_BOOL;
}

/* intcmp() - order of two integers (MP_INT is negative in .i; MP_UINT and
 * MP_BOOL are in .u). */
static int intcmp(const struct head *a, const struct head *b)
{
    bool an = a->kind == MP_INT, bn = b->kind == MP_INT; /* negative */
    if (an != bn)
        return an ? -1 : 1;
    if (an)
        return (a->i > b->i) - (a->i < b->i);
    return (a->u > b->u) - (a->u < b->u);
}

/* intfloatcmp() - order of integer @a and non-NaN @y, exactly, as Python
 * does: (double)a would round above 2^53. */
static int intfloatcmp(const struct head *a, double y)
{
    if (y >= 0x1p64)
        return -1;
    if (y < -0x1p63)
        return 1;
    double t = trunc(y); /* integral, and it fits in an int64 or a uint64 */
    struct head ht = {.kind = t < 0 ? MP_INT : MP_UINT};
    if (t < 0)
        ht.i = (int64_t)t;
    else
        ht.u = (uint64_t)t;
    int c = intcmp(a, &ht);
    if (c)
        return c;
    return (t < y) ? -1 : (t > y) ? 1 : 0; /* a == t: the fraction decides */
}

/* numcmp() - compare two numbers without losing 64-bit integer precision. */
static int numcmp(const struct head *a, const struct head *b)
{
    if (a->kind == MP_FLOAT && b->kind == MP_FLOAT)
        return (a->f > b->f) - (a->f < b->f);
    if (a->kind == MP_FLOAT)
        return -intfloatcmp(b, a->f);
    if (b->kind == MP_FLOAT)
        return intfloatcmp(a, b->f);
    return intcmp(a, b);
}

static int compare(mp_reader *a, mp_reader *b, int *cmp)
{
    struct head ha, hb;
    if (read_head(a->p, a->end, &ha) || read_head(b->p, b->end, &hb))
        return SM_EPROTO;
    if (numeric(&ha) && numeric(&hb)) {
        if (ha.kind == MP_FLOAT && isnan(ha.f))
            return SM_ETYPE;
        if (hb.kind == MP_FLOAT && isnan(hb.f))
            return SM_ETYPE;
        a->p += ha.hlen;
        b->p += hb.hlen;
        *cmp = numcmp(&ha, &hb);
        return SM_OK;
    }
    if (ha.kind != hb.kind)
        return SM_ETYPE;
    switch (ha.kind) {
    case MP_NIL:
        a->p += 1; b->p += 1; *cmp = 0;
        return SM_OK;
    case MP_STR:
    case MP_BIN: {
        size_t n = ha.blen < hb.blen ? ha.blen : hb.blen;
        int c = memcmp(a->p + ha.hlen, b->p + hb.hlen, n);
        *cmp = c ? c : (ha.blen > hb.blen) - (ha.blen < hb.blen);
        a->p += ha.hlen + ha.blen;
        b->p += hb.hlen + hb.blen;
        return SM_OK;
    }
    case MP_ARRAY: {
        a->p += ha.hlen;
        b->p += hb.hlen;
        uint64_t n = ha.count < hb.count ? ha.count : hb.count;
        for (uint64_t k = 0; k < n; k++) {
            int rc = compare(a, b, cmp);
            if (rc || *cmp)
                return rc;
        }
        *cmp = (ha.count > hb.count) - (ha.count < hb.count);
        return SM_OK;
    }
    default: /* maps and ext have no order */
        return SM_ETYPE;
    }
}

int mp_compare(const void *a, size_t alen, const void *b, size_t blen, int *cmp)
{
    mp_reader ra, rb;
    mp_reader_init(&ra, a, alen);
    mp_reader_init(&rb, b, blen);
    *cmp = 0;
    return compare(&ra, &rb, cmp);
}

bool mp_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    int cmp;
    if (alen == blen && memcmp(a, b, alen) == 0)
        return true;
    return mp_compare(a, alen, b, blen, &cmp) == SM_OK && cmp == 0;
}

/* read_whole() - mp_read_raw(), or, when @last says the object is the last
 * one of validated bytes that end with it, the rest of them without a
 * pass over them (a batch's array, a value stored). */
static int read_whole(mp_reader *r, bool last, const uint8_t **p, size_t *len)
{
    if (!last)
        return mp_read_raw(r, p, len);
    *p = r->p;
    *len = (size_t)(r->end - r->p);
    r->p = r->end;
    return SM_OK;
}

/* read_arg() - read one request field as its ops.def letter says; @last:
 * it ends the validated bytes at @r (read_whole()). */
static int read_arg(mp_reader *r, char kind, bool last, struct arg *a)
{
    uint32_t n32;
    a->kind = kind;
    a->nil = false;
    switch (kind) {
    case 'v':
        return read_whole(r, last, &a->raw, &a->len);
    case 'i':
        return mp_read_int(r, &a->i);
    case 'u':
        return mp_read_uint(r, &a->u);
    case 't': {
        int rc = mp_read_int(r, &a->i);
        return rc ? rc : a->i < -1 || a->i > INT32_MAX ? SM_EINVAL : SM_OK;
    }
    case 'n':
        if (mp_peek(r) == MP_NIL) {
            a->nil = true;
            return mp_read_nil(r);
        }
        return mp_read_int(r, &a->i);
    case 'b':
        return mp_read_bool(r, &a->b);
    case 's': {
        const char *s;
        int rc = mp_read_str(r, &s, &n32);
        if (rc)
            return rc;
        a->raw = (const uint8_t *)s;
        a->len = n32;
        return SM_OK;
    }
    case 'x': {
        const void *p;
        int rc = mp_read_bin(r, &p, &n32);
        if (rc)
            return rc;
        a->raw = p;
        a->len = n32;
        return SM_OK;
    }
    case 'a':
    case 'm': {
        mp_reader peek = *r;
        int rc = kind == 'a' ? mp_read_array(&peek, &a->count) : mp_read_map(&peek, &a->count);
        return rc ? rc : read_whole(r, last, &a->raw, &a->len);
    }
    default:
        return SM_EPROTO;
    }
}

/* read_frame() - the request [opcode, (handle,) args...] at @r (validated
 * bytes), checked against ops.def, into @f (zeroed first).  @whole: the
 * bytes at @r end with the request. */
static int read_frame(mp_reader *r, bool whole, struct frame *f)
{
    uint32_t n;
    int rc;
    memset(f, 0, sizeof(*f));
    if (mp_read_array(r, &n) || n == 0 || mp_read_uint(r, &f->opcode))
        return SM_EPROTO;
    if (!(f->op = op_lookup(f->opcode)))
        return SM_ENOTSUP;
    n--;
    if (f->op->type) {
        if (n == 0 || mp_read_uint(r, &f->handle))
            return SM_EPROTO;
        n--;
    }
    const char *spec = f->op->args;
    bool optional = false;
    for (; *spec; spec++) {
        if (*spec == '|') {
            optional = true;
            continue;
        }
        if (f->nargs == n)
            return optional ? SM_OK : SM_EPROTO;
        if ((rc = read_arg(r, *spec, whole && f->nargs + 1 == n, &f->args[f->nargs])))
            return rc == SM_EINVAL || rc == SM_EVALUE ? SM_EINVAL : SM_EPROTO;
        f->nargs++;
    }
    return f->nargs == n ? SM_OK : SM_EPROTO;
}

int frame_decode(const void *buf, size_t len, unsigned max_depth, struct frame *f)
{
    mp_reader r;
    int rc = mp_validate(buf, len, max_depth);
    if (rc) {
        memset(f, 0, sizeof(*f));
        return rc;
    }
    mp_reader_init(&r, buf, len);
    return read_frame(&r, true, f);
}

int frame_decode_next(mp_reader *r, struct frame *f, const uint8_t **raw, size_t *len)
{
    const uint8_t *start = r->p;
    int rc = read_frame(r, false, f);
    if (rc) { /* stopped somewhere inside: step over the whole request */
        r->p = start;
        if (mp_read_raw(r, raw, len))
            return SM_EPROTO;
    }
    *raw = start;
    *len = (size_t)(r->p - start);
    return rc;
}

int reply_decode(const void *buf, size_t len, int *status, mp_reader *rest, uint32_t *nfields)
{
    uint32_t n;
    uint64_t st;
    int rc = mp_validate(buf, len, REPLY_MAX_DEPTH);
    if (rc)
        return rc;
    mp_reader_init(rest, buf, len);
    if (mp_read_array(rest, &n) || n == 0 || mp_read_uint(rest, &st) || st > INT32_MAX)
        return SM_EPROTO;
    *status = (int)st;
    *nfields = n - 1;
    return SM_OK;
}
