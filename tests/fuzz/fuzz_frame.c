/*
 * fuzz_frame.c - fuzz target for the codec's handling of untrusted bytes
 * (proto/codec.c): mp_validate(), the reader, mp_canon(), mp_compare(),
 * frame_decode() and reply_decode().
 *
 * Invariants checked on every input:
 *  - what mp_validate() accepts, msgpack-c unpacks completely, and the reader
 *    walks to the end without one failed read;
 *  - a smaller depth limit never turns a refusal into an acceptance;
 *  - mp_canon() of accepted bytes is accepted again and is its own canonical
 *    form; every object equals itself;
 *  - a decoded frame's fields lie inside the input and have their letter's
 *    kind; a decoded reply holds exactly the fields it declares.
 */
#include <string.h>

#include "codec.h"
#include "errors.h"
#include "fuzz.h"

/* walk() - read one object and everything in it; each read must succeed. */
static void walk(mp_reader *r)
{
    union {
        bool b;
        int64_t i;
        uint64_t u;
        double d;
    } v;
    const char *s;
    const void *p;
    const uint8_t *raw;
    size_t rawlen;
    uint32_t n;
    switch (mp_peek(r)) {
    case MP_NIL:
        FUZZ_CHECK(mp_read_nil(r) == SM_OK);
        break;
    case MP_BOOL:
        FUZZ_CHECK(mp_read_bool(r, &v.b) == SM_OK);
        break;
    case MP_UINT:
        FUZZ_CHECK(mp_read_uint(r, &v.u) == SM_OK);
        break;
    case MP_INT:
        FUZZ_CHECK(mp_read_int(r, &v.i) == SM_OK);
        break;
    case MP_FLOAT:
        FUZZ_CHECK(mp_read_double(r, &v.d) == SM_OK);
        break;
    case MP_STR:
        FUZZ_CHECK(mp_read_str(r, &s, &n) == SM_OK);
        FUZZ_CHECK((const uint8_t *)s + n <= r->end);
        break;
    case MP_BIN:
        FUZZ_CHECK(mp_read_bin(r, &p, &n) == SM_OK);
        FUZZ_CHECK((const uint8_t *)p + n <= r->end);
        break;
    case MP_ARRAY:
        FUZZ_CHECK(mp_read_array(r, &n) == SM_OK);
        for (uint32_t k = 0; k < n; k++)
            walk(r);
        break;
    case MP_MAP:
        FUZZ_CHECK(mp_read_map(r, &n) == SM_OK);
        for (uint32_t k = 0; k < n; k++) {
            walk(r);
            walk(r);
        }
        break;
    case MP_EXT:
        FUZZ_CHECK(mp_read_raw(r, &raw, &rawlen) == SM_OK);
        break;
    case MP_BAD:
        FUZZ_CHECK(!"the reader met a kind the validator accepted as MP_BAD");
    }
}

/* check_msgpack_c() - msgpack-c agrees that @p holds exactly one object. */
static void check_msgpack_c(const uint8_t *p, size_t n)
{
    msgpack_unpacked u;
    size_t off = 0;
    msgpack_unpacked_init(&u);
    FUZZ_CHECK(msgpack_unpack_next(&u, (const char *)p, n, &off) == MSGPACK_UNPACK_SUCCESS);
    FUZZ_CHECK(off == n);
    msgpack_unpacked_destroy(&u);
}

/* check_canon() - the canonical form of accepted @p is stable. */
static void check_canon(const uint8_t *p, size_t n)
{
    msgpack_sbuffer c1, c2;
    msgpack_sbuffer_init(&c1);
    msgpack_sbuffer_init(&c2);
    FUZZ_CHECK(mp_canon(p, n, &c1) == SM_OK);
    FUZZ_CHECK(mp_validate(c1.data, c1.size, SM_MAX_DEPTH) == SM_OK);
    FUZZ_CHECK(mp_canon(c1.data, c1.size, &c2) == SM_OK);
    FUZZ_CHECK(c1.size == c2.size && memcmp(c1.data, c2.data, c1.size) == 0);
    msgpack_sbuffer_destroy(&c1);
    msgpack_sbuffer_destroy(&c2);
}

/* check_value() - everything that holds for bytes mp_validate() accepted. */
static void check_value(const uint8_t *p, size_t n)
{
    mp_reader r;
    int cmp;
    check_msgpack_c(p, n);
    mp_reader_init(&r, p, n);
    walk(&r);
    FUZZ_CHECK(r.p == r.end);
    check_canon(p, n);
    FUZZ_CHECK(mp_equal(p, n, p, n));
    if (mp_compare(p, n, p, n, &cmp) == SM_OK)
        (void)cmp; /* NaN compares unordered with itself: any result */
}

/* inside() - [p, p+n) lies in [buf, buf+len). */
static bool inside(const uint8_t *buf, size_t len, const uint8_t *p, size_t n)
{
    return p >= buf && n <= len && p - buf <= (ptrdiff_t)(len - n);
}

/* letter() - the @k-th field letter of @args, '|' skipped. */
static char letter(const char *args, unsigned k)
{
    for (; *args; args++)
        if (*args != '|' && k-- == 0)
            return *args;
    return 0;
}

static void check_frame(const uint8_t *buf, size_t len)
{
    struct frame f;
    if (frame_decode(buf, len, SM_MAX_DEPTH, &f) != SM_OK)
        return;
    FUZZ_CHECK(f.op && f.op == op_lookup(f.opcode));
    FUZZ_CHECK(f.nargs <= SM_MAX_ARGS);
    for (unsigned k = 0; k < f.nargs; k++) {
        const struct arg *a = &f.args[k];
        FUZZ_CHECK(a->kind == letter(f.op->args, k));
        if (strchr("vam", a->kind) && !a->nil) {
            FUZZ_CHECK(inside(buf, len, a->raw, a->len));
            FUZZ_CHECK(mp_validate(a->raw, a->len, SM_MAX_DEPTH) == SM_OK);
        } else if (strchr("sx", a->kind)) {
            FUZZ_CHECK(a->len == 0 || inside(buf, len, a->raw, a->len));
        }
    }
}

static void check_reply(const uint8_t *buf, size_t len)
{
    int status;
    mp_reader rest;
    uint32_t nfields;
    const uint8_t *raw;
    size_t rawlen;
    if (reply_decode(buf, len, &status, &rest, &nfields) != SM_OK)
        return;
    for (uint32_t k = 0; k < nfields; k++)
        FUZZ_CHECK(mp_read_raw(&rest, &raw, &rawlen) == SM_OK);
    FUZZ_CHECK(rest.p == rest.end);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int rc = mp_validate(data, size, SM_MAX_DEPTH);
    FUZZ_CHECK(rc == SM_OK || rc == SM_EPROTO || rc == SM_ETOOBIG);
    int shallow = mp_validate(data, size, 4);
    FUZZ_CHECK(shallow == rc || shallow == SM_ETOOBIG);
    if (rc == SM_OK)
        check_value(data, size);
    check_frame(data, size);
    check_reply(data, size);
    return 0;
}
