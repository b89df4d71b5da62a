/*
 * test_codec.c - proto/codec.c: bounded validation of untrusted msgpack,
 * the reader, canonical form, comparison, and request/reply decoding.
 */
#include <check.h>
#include <math.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check_run.h"
#include "codec.h"
#include "errors.h"

/* ---- allocation counting ------------------------------------------------
 * The validator must never allocate (msgpack-c reserves memory for declared
 * lengths before the elements arrive).  Interpose the allocator of this
 * program and count calls; glibc's own entry points do the work. */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
static volatile unsigned long alloc_calls;

void *malloc(size_t n)
{
    alloc_calls++;
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
    alloc_calls++;
    return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
    alloc_calls++;
    return __libc_realloc(p, n);
}

void free(void *p)
{
    __libc_free(p);
}

/* ---- helpers ------------------------------------------------------------ */

/* A growable buffer with a msgpack packer on it. */
struct pb {
    msgpack_sbuffer sb;
    msgpack_packer pk;
};

static void pb_init(struct pb *b)
{
    msgpack_sbuffer_init(&b->sb);
    msgpack_packer_init(&b->pk, &b->sb, msgpack_sbuffer_write);
}

static void pb_free(struct pb *b)
{
    msgpack_sbuffer_destroy(&b->sb);
}

static const uint8_t *pb_data(const struct pb *b)
{
    return (const uint8_t *)b->sb.data;
}

#define BYTES(...) ((const uint8_t[]){__VA_ARGS__}), sizeof((const uint8_t[]){__VA_ARGS__})

static int validate(const uint8_t *p, size_t n)
{
    return mp_validate(p, n, SM_MAX_DEPTH);
}

/* msgpack-c agrees that @p holds exactly one object. */
static void assert_msgpack_c_accepts(const uint8_t *p, size_t n)
{
    msgpack_unpacked u;
    size_t off = 0;
    msgpack_unpacked_init(&u);
    msgpack_unpack_return r = msgpack_unpack_next(&u, (const char *)p, n, &off);
    msgpack_unpacked_destroy(&u);
    ck_assert_int_eq(r, MSGPACK_UNPACK_SUCCESS);
    ck_assert_uint_eq(off, n);
}

/* The canonical bytes of @p, in a fresh malloc'd buffer. */
static size_t canon_of(const uint8_t *p, size_t n, uint8_t **out)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    ck_assert_int_eq(mp_canon(p, n, &sb), SM_OK);
    size_t len = sb.size;
    *out = (uint8_t *)msgpack_sbuffer_release(&sb);
    return len;
}

static void assert_canon(const uint8_t *p, size_t n, const uint8_t *want, size_t wantlen)
{
    uint8_t *c;
    size_t len = canon_of(p, n, &c);
    ck_assert_uint_eq(len, wantlen);
    ck_assert_mem_eq(c, want, wantlen);
    free(c);
}

static void assert_same_canon(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    uint8_t *ca, *cb;
    size_t la = canon_of(a, alen, &ca), lb = canon_of(b, blen, &cb);
    ck_assert_uint_eq(la, lb);
    ck_assert_mem_eq(ca, cb, la);
    free(ca);
    free(cb);
}

static bool same_canon(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    uint8_t *ca, *cb;
    size_t la = canon_of(a, alen, &ca), lb = canon_of(b, blen, &cb);
    bool same = la == lb && memcmp(ca, cb, la) == 0;
    free(ca);
    free(cb);
    return same;
}

/* A value with every kind of object in it, several encodings of each. */
static void pack_rich(struct pb *b)
{
    static const char big[300] = "0123456789";
    msgpack_packer *pk = &b->pk;
    msgpack_pack_array(pk, 8);
    msgpack_pack_nil(pk);
    msgpack_pack_true(pk);
    msgpack_pack_array(pk, 12); /* integers and floats */
    msgpack_pack_int(pk, 7);
    msgpack_pack_int(pk, -7);
    msgpack_pack_fix_uint8(pk, 200);
    msgpack_pack_fix_uint16(pk, 60000);
    msgpack_pack_fix_uint32(pk, 4000000000u);
    msgpack_pack_fix_uint64(pk, UINT64_MAX);
    msgpack_pack_fix_int8(pk, -100);
    msgpack_pack_fix_int16(pk, -30000);
    msgpack_pack_fix_int32(pk, -2000000000);
    msgpack_pack_fix_int64(pk, INT64_MIN);
    msgpack_pack_float(pk, 1.5f);
    msgpack_pack_double(pk, -2.25);
    msgpack_pack_map(pk, 3); /* strings and binaries */
    msgpack_pack_str_with_body(pk, "k", 1);
    msgpack_pack_str_with_body(pk, big, 40); /* str8 */
    msgpack_pack_bin_with_body(pk, "b", 1);
    msgpack_pack_str_with_body(pk, big, 300); /* str16 */
    msgpack_pack_int(pk, 1);
    msgpack_pack_bin_with_body(pk, big, 300); /* bin16 */
    msgpack_pack_array(pk, 3); /* extensions */
    msgpack_pack_ext_with_body(pk, "abcd", 4, 5);  /* fixext4 */
    msgpack_pack_ext_with_body(pk, "abc", 3, -3);  /* ext8 */
    msgpack_pack_ext_with_body(pk, big, 300, 1);   /* ext16 */
    msgpack_pack_array(pk, 20); /* array16 */
    for (int i = 0; i < 20; i++)
        msgpack_pack_int(pk, i);
    msgpack_pack_map(pk, 16); /* map16 */
    for (int i = 0; i < 16; i++) {
        msgpack_pack_int(pk, i);
        msgpack_pack_array(pk, 1);
        msgpack_pack_map(pk, 0);
    }
    msgpack_pack_array(pk, 0);
}

/* 0x91 x @n then nil: arrays nested @n deep. */
static size_t nested(uint8_t *buf, unsigned n, uint8_t container)
{
    size_t k = 0;
    for (unsigned i = 0; i < n; i++) {
        buf[k++] = container;
        if (container == 0x81)
            buf[k++] = 0x00; /* map key */
    }
    buf[k++] = 0xc0;
    return k;
}

/* ---- mp_validate -------------------------------------------------------- */

START_TEST(validate_every_type)
{
    struct pb b;
    static char big[70000];
    /* each object packed alone, then checked by us and by msgpack-c */
    for (int t = 0;; t++) {
        pb_init(&b);
        msgpack_packer *pk = &b.pk;
        switch (t) {
        case 0: msgpack_pack_nil(pk); break;
        case 1: msgpack_pack_true(pk); break;
        case 2: msgpack_pack_false(pk); break;
        case 3: msgpack_pack_int(pk, 0); break;
        case 4: msgpack_pack_int(pk, 127); break;
        case 5: msgpack_pack_int(pk, -1); break;
        case 6: msgpack_pack_int(pk, -32); break;
        case 7: msgpack_pack_fix_uint8(pk, 255); break;
        case 8: msgpack_pack_fix_uint16(pk, 65535); break;
        case 9: msgpack_pack_fix_uint32(pk, UINT32_MAX); break;
        case 10: msgpack_pack_fix_uint64(pk, UINT64_MAX); break;
        case 11: msgpack_pack_fix_int8(pk, INT8_MIN); break;
        case 12: msgpack_pack_fix_int16(pk, INT16_MIN); break;
        case 13: msgpack_pack_fix_int32(pk, INT32_MIN); break;
        case 14: msgpack_pack_fix_int64(pk, INT64_MIN); break;
        case 15: msgpack_pack_float(pk, 3.25f); break;
        case 16: msgpack_pack_double(pk, 1e300); break;
        case 17: msgpack_pack_str_with_body(pk, "", 0); break;
        case 18: msgpack_pack_str_with_body(pk, big, 31); break;
        case 19: msgpack_pack_str_with_body(pk, big, 255); break;
        case 20: msgpack_pack_str_with_body(pk, big, 65535); break;
        case 21: msgpack_pack_str_with_body(pk, big, 65536); break;
        case 22: msgpack_pack_bin_with_body(pk, big, 0); break;
        case 23: msgpack_pack_bin_with_body(pk, big, 255); break;
        case 24: msgpack_pack_bin_with_body(pk, big, 65535); break;
        case 25: msgpack_pack_bin_with_body(pk, big, 65536); break;
        case 26: msgpack_pack_ext_with_body(pk, big, 1, 1); break;
        case 27: msgpack_pack_ext_with_body(pk, big, 2, 2); break;
        case 28: msgpack_pack_ext_with_body(pk, big, 4, 3); break;
        case 29: msgpack_pack_ext_with_body(pk, big, 8, 4); break;
        case 30: msgpack_pack_ext_with_body(pk, big, 16, -1); break;
        case 31: msgpack_pack_ext_with_body(pk, big, 0, 9); break;
        case 32: msgpack_pack_ext_with_body(pk, big, 3, 9); break;
        case 33: msgpack_pack_ext_with_body(pk, big, 300, 9); break;
        case 34: msgpack_pack_ext_with_body(pk, big, 65536, 9); break;
        case 35: msgpack_pack_array(pk, 0); break;
        case 36:
            msgpack_pack_array(pk, 15);
            for (int i = 0; i < 15; i++)
                msgpack_pack_nil(pk);
            break;
        case 37:
            msgpack_pack_array(pk, 16);
            for (int i = 0; i < 16; i++)
                msgpack_pack_int(pk, i);
            break;
        case 38:
            msgpack_pack_array(pk, 65536);
            for (int i = 0; i < 65536; i++)
                msgpack_pack_nil(pk);
            break;
        case 39: msgpack_pack_map(pk, 0); break;
        case 40:
            msgpack_pack_map(pk, 16);
            for (int i = 0; i < 16; i++) {
                msgpack_pack_int(pk, i);
                msgpack_pack_str_with_body(pk, "v", 1);
            }
            break;
        case 41:
            msgpack_pack_map(pk, 65536);
            for (int i = 0; i < 65536; i++) {
                msgpack_pack_int(pk, i);
                msgpack_pack_nil(pk);
            }
            break;
        case 42: pack_rich(&b); break;
        default:
            pb_free(&b);
            return;
        }
        ck_assert_msg(validate(pb_data(&b), b.sb.size) == SM_OK, "case %d rejected", t);
        assert_msgpack_c_accepts(pb_data(&b), b.sb.size);
        pb_free(&b);
    }
}
END_TEST

START_TEST(validate_handmade_encodings)
{
    /* non-minimal but legal encodings are accepted */
    ck_assert_int_eq(validate(BYTES(0xdd, 0, 0, 0, 1, 0xc0)), SM_OK);       /* array32 [nil] */
    ck_assert_int_eq(validate(BYTES(0xdc, 0, 1, 0xc0)), SM_OK);             /* array16 [nil] */
    ck_assert_int_eq(validate(BYTES(0xdf, 0, 0, 0, 1, 1, 2)), SM_OK);       /* map32 {1:2} */
    ck_assert_int_eq(validate(BYTES(0xde, 0, 1, 1, 2)), SM_OK);             /* map16 {1:2} */
    ck_assert_int_eq(validate(BYTES(0xdb, 0, 0, 0, 1, 'a')), SM_OK);        /* str32 "a" */
    ck_assert_int_eq(validate(BYTES(0xc6, 0, 0, 0, 1, 'a')), SM_OK);        /* bin32 */
    ck_assert_int_eq(validate(BYTES(0xc9, 0, 0, 0, 1, 7, 'a')), SM_OK);     /* ext32 */
    ck_assert_int_eq(validate(BYTES(0xc8, 0, 0, 7)), SM_OK);                /* ext16 empty */
    ck_assert_int_eq(validate(BYTES(0xc7, 0, 7)), SM_OK);                   /* ext8 empty */
    ck_assert_int_eq(validate(BYTES(0xd8, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
                                    15)), SM_OK);                           /* fixext16 */
    /* and their shortest truncations are not */
    ck_assert_int_eq(validate(BYTES(0xc7, 0)), SM_EPROTO);   /* ext8 without its type */
    ck_assert_int_eq(validate(BYTES(0xc7, 1, 7)), SM_EPROTO); /* ext8 without its byte */
    ck_assert_int_eq(validate(BYTES(0xd4, 1)), SM_EPROTO);   /* fixext1 without data */
    ck_assert_int_eq(validate(BYTES(0xd4)), SM_EPROTO);
    ck_assert_int_eq(validate(BYTES(0xcb, 0, 0, 0, 0, 0, 0, 0)), SM_EPROTO);
    ck_assert_int_eq(validate(BYTES(0xd3, 0, 0, 0, 0, 0, 0, 0)), SM_EPROTO);
    ck_assert_int_eq(validate(BYTES(0xdc, 0)), SM_EPROTO);
    ck_assert_int_eq(validate(BYTES(0x81, 0x01)), SM_EPROTO); /* map missing its value */
    ck_assert_int_eq(mp_validate("", 0, SM_MAX_DEPTH), SM_EPROTO);
}
END_TEST

START_TEST(validate_truncated_everywhere)
{
    struct pb b;
    pb_init(&b);
    pack_rich(&b);
    const uint8_t *p = pb_data(&b);
    size_t n = b.sb.size;
    ck_assert_uint_gt(n, 1000);
    ck_assert_int_eq(validate(p, n), SM_OK);
    for (size_t cut = 0; cut < n; cut++) {
        /* a copy of exactly @cut bytes, so a read past it is caught by ASan/valgrind */
        uint8_t *q = __libc_malloc(cut ? cut : 1);
        memcpy(q, p, cut);
        int rc = validate(q, cut);
        ck_assert_msg(rc == SM_EPROTO, "cut at %zu of %zu: rc %d", cut, n, rc);
        __libc_free(q);
    }
    pb_free(&b);
}
END_TEST

START_TEST(validate_trailing_bytes)
{
    ck_assert_int_eq(validate(BYTES(0xc0, 0xc0)), SM_EPROTO);
    ck_assert_int_eq(validate(BYTES(0x01, 0x00)), SM_EPROTO);
    ck_assert_int_eq(validate(BYTES(0x91, 0x01, 0x02)), SM_EPROTO);
    ck_assert_int_eq(validate(BYTES(0xa1, 'a', 'b')), SM_EPROTO);
    ck_assert_int_eq(validate(BYTES(0x90, 0x90)), SM_EPROTO);

    struct pb b;
    pb_init(&b);
    pack_rich(&b);
    msgpack_pack_nil(&b.pk); /* a second object after the first */
    ck_assert_int_eq(validate(pb_data(&b), b.sb.size), SM_EPROTO);
    ck_assert_int_eq(validate(pb_data(&b), b.sb.size - 1), SM_OK);
    pb_free(&b);
}
END_TEST

START_TEST(validate_rejects_c1)
{
    ck_assert_int_eq(validate(BYTES(0xc1)), SM_EPROTO);
    ck_assert_int_eq(validate(BYTES(0x91, 0xc1)), SM_EPROTO);
    ck_assert_int_eq(validate(BYTES(0x81, 0xc1, 0x01)), SM_EPROTO);
    ck_assert_int_eq(validate(BYTES(0x81, 0x01, 0xc1)), SM_EPROTO);
    ck_assert_int_eq(validate(BYTES(0x92, 0x01, 0xc1)), SM_EPROTO);
}
END_TEST

START_TEST(validate_depth)
{
    uint8_t buf[200];
    size_t n;
    static const uint8_t kinds[] = {0x91, 0x81};
    for (unsigned k = 0; k < 2; k++) {
        uint8_t c = kinds[k];
        n = nested(buf, SM_MAX_DEPTH, c);
        ck_assert_int_eq(mp_validate(buf, n, SM_MAX_DEPTH), SM_OK);
        assert_msgpack_c_accepts(buf, n);
        n = nested(buf, SM_MAX_DEPTH + 1, c);
        ck_assert_int_eq(mp_validate(buf, n, SM_MAX_DEPTH), SM_ETOOBIG);
        ck_assert_int_eq(mp_validate(buf, n, SM_MAX_DEPTH + 1), SM_OK);
        /* the limit is a parameter: exactly at it accepted, one deeper refused */
        for (unsigned lim = 0; lim < 8; lim++) {
            n = nested(buf, lim, c);
            ck_assert_int_eq(mp_validate(buf, n, lim), SM_OK);
            n = nested(buf, lim + 1, c);
            ck_assert_int_eq(mp_validate(buf, n, lim), SM_ETOOBIG);
        }
    }
    /* an empty container still counts as a level */
    ck_assert_int_eq(mp_validate(BYTES(0x90), 0), SM_ETOOBIG);
    ck_assert_int_eq(mp_validate(BYTES(0x80), 0), SM_ETOOBIG);
    ck_assert_int_eq(mp_validate(BYTES(0x90), 1), SM_OK);
    ck_assert_int_eq(mp_validate(BYTES(0x01), 0), SM_OK);
    /* depth is per branch: a deep second element, shallow siblings */
    n = 0;
    buf[n++] = 0x93;
    buf[n++] = 0x90;
    buf[n++] = 0x91;
    buf[n++] = 0x00;
    n += nested(buf + n, SM_MAX_DEPTH - 1, 0x91);
    ck_assert_int_eq(mp_validate(buf, n, SM_MAX_DEPTH), SM_OK);
    n = 0;
    buf[n++] = 0x93;
    buf[n++] = 0x90;
    buf[n++] = 0x91;
    buf[n++] = 0x00;
    n += nested(buf + n, SM_MAX_DEPTH, 0x91);
    ck_assert_int_eq(mp_validate(buf, n, SM_MAX_DEPTH), SM_ETOOBIG);
    /* maps nest through their keys as through their values: 33 maps, each
     * the key of the one around it, is one too deep; the inner 32 are fine */
    n = 0;
    for (unsigned i = 0; i < SM_MAX_DEPTH + 1; i++)
        buf[n++] = 0x81;
    buf[n++] = 0x00;
    for (unsigned i = 0; i < SM_MAX_DEPTH + 1; i++)
        buf[n++] = 0x00;
    ck_assert_int_eq(mp_validate(buf, n, SM_MAX_DEPTH), SM_ETOOBIG);
    ck_assert_int_eq(mp_validate(buf + 1, n - 2, SM_MAX_DEPTH), SM_OK);
}
END_TEST

START_TEST(validate_huge_lengths)
{
    static const uint8_t cases[][8] = {
        {6, 0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0},       /* array32 of 2^32-1 */
        {6, 0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0},       /* map32 */
        {6, 0xdb, 0xff, 0xff, 0xff, 0xff, 'a'},        /* str32 */
        {6, 0xc6, 0xff, 0xff, 0xff, 0xff, 'a'},        /* bin32 */
        {7, 0xc9, 0xff, 0xff, 0xff, 0xff, 0x01, 'a'},  /* ext32 */
        {4, 0xdc, 0xff, 0xff, 0xc0},                   /* array16 */
        {4, 0xde, 0xff, 0xff, 0xc0},                   /* map16 */
        {4, 0xda, 0xff, 0xff, 'a'},                    /* str16 */
        {4, 0xc5, 0xff, 0xff, 'a'},                    /* bin16 */
        {5, 0xc8, 0xff, 0xff, 0x01, 'a'},              /* ext16 */
        {3, 0xd9, 0xff, 'a'},                          /* str8 */
        {3, 0xc4, 0xff, 'a'},                          /* bin8 */
        {4, 0xc7, 0xff, 0x01, 'a'},                    /* ext8 */
        {3, 0x9f, 0xc0, 0xc0},                         /* fixarray of 15 */
        {3, 0x8f, 0xc0, 0xc0},                         /* fixmap of 15 */
        {7, 0x91, 0x91, 0xdd, 0xff, 0xff, 0xff, 0xff}, /* nested, no elements */
        /* a map needs two objects per pair: 3 pairs cannot fit in 5 bytes */
        {7, 0xdf, 0x00, 0x00, 0x00, 0x03, 0x01, 0x02},
    };
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long before = alloc_calls;
    for (int rep = 0; rep < 10000; rep++)
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            int rc = validate(cases[i] + 1, cases[i][0]);
            if (rc != SM_EPROTO)
                ck_abort_msg("case %zu: rc %d", i, rc);
        }
    unsigned long calls = alloc_calls - before;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_uint_eq(calls, 0);
    ck_assert_msg(secs < 1.0, "170k tiny rejections took %.3f s", secs);
    /* frame_decode refuses them the same way */
    struct frame f;
    before = alloc_calls; /* (Check's asserts allocate: none in between) */
    int rc = frame_decode(BYTES(0x92, 0x20, 0xdd, 0xff, 0xff, 0xff, 0xff), SM_MAX_DEPTH, &f);
    calls = alloc_calls - before;
    ck_assert_int_eq(rc, SM_EPROTO);
    ck_assert_uint_eq(calls, 0);
}
END_TEST

/* xorshift64*: fixed seed, same buffers on every run. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* Everything an accepted buffer must satisfy. */
static void check_accepted(const uint8_t *p, size_t n)
{
    ck_assert_int_eq(validate(p, n), SM_OK); /* consistent */
    assert_msgpack_c_accepts(p, n);
    mp_reader r;
    const uint8_t *raw;
    size_t rawlen;
    mp_reader_init(&r, p, n);
    ck_assert_int_ne(mp_peek(&r), MP_BAD);
    ck_assert_int_eq(mp_read_raw(&r, &raw, &rawlen), SM_OK);
    ck_assert_ptr_eq(raw, p);
    ck_assert_uint_eq(rawlen, n);
    ck_assert_ptr_eq(r.p, r.end);
    /* canonical form: valid, and canonical already */
    uint8_t *c, *cc;
    size_t clen = canon_of(p, n, &c);
    ck_assert_int_eq(mp_validate(c, clen, SM_MAX_DEPTH), SM_OK);
    size_t cclen = canon_of(c, clen, &cc);
    ck_assert_uint_eq(cclen, clen);
    ck_assert_mem_eq(cc, c, clen);
    free(c);
    free(cc);
    /* comparison with itself never fails unless unordered */
    int cmp = 7;
    int rc = mp_compare(p, n, p, n, &cmp);
    ck_assert(rc == SM_ETYPE || (rc == SM_OK && cmp == 0));
    ck_assert(mp_equal(p, n, p, n));
}

START_TEST(validate_random_buffers)
{
    enum { ROUNDS = 200000, MAXLEN = 48 };
    uint8_t buf[MAXLEN];
    struct pb b;
    pb_init(&b);
    pack_rich(&b);
    unsigned accepted = 0, mutated_ok = 0;
    struct frame f;
    for (unsigned i = 0; i < ROUNDS; i++) {
        size_t n = (size_t)(rng() % (MAXLEN + 1));
        for (size_t k = 0; k < n; k++) {
            /* bias towards small headers and scalars so some buffers parse */
            uint64_t x = rng();
            buf[k] = (x & 0x300) == 0 ? (uint8_t)(0x90 + (x & 3)) : (uint8_t)x;
        }
        int rc = validate(buf, n);
        ck_assert(rc == SM_OK || rc == SM_EPROTO || rc == SM_ETOOBIG);
        if (rc == SM_OK) {
            accepted++;
            check_accepted(buf, n);
        }
        rc = frame_decode(buf, n, SM_MAX_DEPTH, &f);
        ck_assert(rc == SM_OK || rc == SM_EPROTO || rc == SM_ETOOBIG || rc == SM_ENOTSUP ||
                  rc == SM_EINVAL);
        int st;
        mp_reader rest;
        uint32_t nf;
        rc = reply_decode(buf, n, &st, &rest, &nf);
        ck_assert(rc == SM_OK || rc == SM_EPROTO || rc == SM_ETOOBIG);
    }
    /* mutations of a rich valid value: flip one byte, keep checking */
    uint8_t *m = __libc_malloc(b.sb.size);
    for (unsigned i = 0; i < 20000; i++) {
        memcpy(m, b.sb.data, b.sb.size);
        size_t at = (size_t)(rng() % b.sb.size);
        m[at] = (uint8_t)rng();
        size_t n = (size_t)(rng() % 4) ? b.sb.size : (size_t)(rng() % b.sb.size);
        int rc = validate(m, n);
        ck_assert(rc == SM_OK || rc == SM_EPROTO || rc == SM_ETOOBIG);
        if (rc == SM_OK) {
            mutated_ok++;
            check_accepted(m, n);
        }
    }
    __libc_free(m);
    pb_free(&b);
    /* the generator must exercise the accepting path too */
    ck_assert_uint_gt(accepted, 1000);
    ck_assert_uint_gt(mutated_ok, 1000);
}
END_TEST

/* ---- reader ------------------------------------------------------------- */

START_TEST(reader_kinds_and_errors)
{
    mp_reader r;
    int64_t i;
    uint64_t u;
    double d;
    bool bo;
    const char *s;
    const void *pv;
    uint32_t len;

    mp_reader_init(&r, BYTES(0xd0, 0x05)); /* int8 5 reads as uint */
    ck_assert_int_eq(mp_peek(&r), MP_UINT);
    ck_assert_int_eq(mp_read_uint(&r, &u), SM_OK);
    ck_assert_uint_eq(u, 5);

    mp_reader_init(&r, BYTES(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
    ck_assert_int_eq(mp_read_int(&r, &i), SM_EVALUE); /* > INT64_MAX */
    ck_assert_int_eq(mp_read_uint(&r, &u), SM_OK);
    ck_assert_uint_eq(u, UINT64_MAX);

    mp_reader_init(&r, BYTES(0xff)); /* -1 */
    ck_assert_int_eq(mp_peek(&r), MP_INT);
    ck_assert_int_eq(mp_read_uint(&r, &u), SM_ETYPE);
    ck_assert_int_eq(mp_read_int(&r, &i), SM_OK);
    ck_assert_int_eq(i, -1);
    ck_assert_ptr_eq(r.p, r.end);
    ck_assert_int_eq(mp_peek(&r), MP_BAD);
    ck_assert_int_eq(mp_read_nil(&r), SM_EPROTO);

    mp_reader_init(&r, BYTES(0xa2, 'h', 'i', 0xca, 0x3f, 0xc0, 0, 0, 0xc3, 0xc0));
    const uint8_t *start = r.p;
    ck_assert_int_eq(mp_read_int(&r, &i), SM_ETYPE);
    ck_assert_int_eq(mp_read_bin(&r, &pv, &len), SM_ETYPE);
    ck_assert_ptr_eq(r.p, start); /* failed reads leave the cursor */
    ck_assert_int_eq(mp_read_str(&r, &s, &len), SM_OK);
    ck_assert_uint_eq(len, 2);
    ck_assert_mem_eq(s, "hi", 2);
    ck_assert_int_eq(mp_peek(&r), MP_FLOAT);
    ck_assert_int_eq(mp_read_double(&r, &d), SM_OK);
    ck_assert(d == 1.5);
    ck_assert_int_eq(mp_read_bool(&r, &bo), SM_OK);
    ck_assert(bo);
    ck_assert_int_eq(mp_read_nil(&r), SM_OK);

    /* a str header longer than what is left is refused, not read past */
    mp_reader_init(&r, BYTES(0xa5, 'a'));
    ck_assert_int_eq(mp_read_str(&r, &s, &len), SM_EPROTO);
    mp_reader_init(&r, BYTES(0xc4, 0x05, 'a'));
    ck_assert_int_eq(mp_read_bin(&r, &pv, &len), SM_EPROTO);
}
END_TEST

/* ---- mp_canon ----------------------------------------------------------- */

START_TEST(canon_integers)
{
    /* 5 in all nine integer encodings */
    assert_canon(BYTES(0x05), BYTES(0x05));
    assert_canon(BYTES(0xcc, 0x05), BYTES(0x05));
    assert_canon(BYTES(0xcd, 0, 0x05), BYTES(0x05));
    assert_canon(BYTES(0xce, 0, 0, 0, 0x05), BYTES(0x05));
    assert_canon(BYTES(0xcf, 0, 0, 0, 0, 0, 0, 0, 0x05), BYTES(0x05));
    assert_canon(BYTES(0xd0, 0x05), BYTES(0x05));
    assert_canon(BYTES(0xd1, 0, 0x05), BYTES(0x05));
    assert_canon(BYTES(0xd2, 0, 0, 0, 0x05), BYTES(0x05));
    assert_canon(BYTES(0xd3, 0, 0, 0, 0, 0, 0, 0, 0x05), BYTES(0x05));
    /* 200 needs uint8; signed encodings of it become unsigned */
    assert_canon(BYTES(0xd1, 0, 200), BYTES(0xcc, 200));
    assert_canon(BYTES(0xd3, 0, 0, 0, 0, 0, 0, 0, 200), BYTES(0xcc, 200));
    assert_canon(BYTES(0xce, 0, 0, 0x01, 0), BYTES(0xcd, 0x01, 0));
    assert_canon(BYTES(0xd3, 0, 0, 0, 0x01, 0, 0, 0, 0), BYTES(0xcf, 0, 0, 0, 0x01, 0, 0, 0, 0));
    /* negative: -5 fixint, -100 int8, -200 int16, -2^31 int32, INT64_MIN */
    assert_canon(BYTES(0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfb), BYTES(0xfb));
    assert_canon(BYTES(0xd1, 0xff, 0xfb), BYTES(0xfb));
    assert_canon(BYTES(0xd0, 0xe0), BYTES(0xe0));
    assert_canon(BYTES(0xd2, 0xff, 0xff, 0xff, 0x9c), BYTES(0xd0, 0x9c));
    assert_canon(BYTES(0xd3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x38), BYTES(0xd1, 0xff, 0x38));
    assert_canon(BYTES(0xd3, 0xff, 0xff, 0xff, 0xff, 0x80, 0, 0, 0), BYTES(0xd2, 0x80, 0, 0, 0));
    assert_canon(BYTES(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0), BYTES(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0));
    assert_canon(BYTES(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
                 BYTES(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
    /* every int64 value packed by msgpack-c in every width that holds it */
    static const int64_t vals[] = {0, 1, 127, 128, 255, 256, -1, -32, -33, -128, -129,
                                   32767, -32768, 65535, 65536, INT32_MAX, INT32_MIN};
    for (size_t k = 0; k < sizeof(vals) / sizeof(vals[0]); k++) {
        int64_t v = vals[k];
        struct pb a, b;
        pb_init(&a);
        msgpack_pack_fix_int64(&a.pk, v);
        for (int w = 0; w < 8; w++) {
            pb_init(&b);
            int rc = -1;
            switch (w) {
            case 0: if (v >= INT8_MIN && v <= INT8_MAX) rc = msgpack_pack_fix_int8(&b.pk, (int8_t)v); break;
            case 1: if (v >= INT16_MIN && v <= INT16_MAX) rc = msgpack_pack_fix_int16(&b.pk, (int16_t)v); break;
            case 2: if (v >= INT32_MIN && v <= INT32_MAX) rc = msgpack_pack_fix_int32(&b.pk, (int32_t)v); break;
            case 3: if (v >= 0 && v <= UINT8_MAX) rc = msgpack_pack_fix_uint8(&b.pk, (uint8_t)v); break;
            case 4: if (v >= 0 && v <= UINT16_MAX) rc = msgpack_pack_fix_uint16(&b.pk, (uint16_t)v); break;
            case 5: if (v >= 0 && v <= UINT32_MAX) rc = msgpack_pack_fix_uint32(&b.pk, (uint32_t)v); break;
            case 6: if (v >= 0) rc = msgpack_pack_fix_uint64(&b.pk, (uint64_t)v); break;
            case 7: rc = msgpack_pack_int64(&b.pk, v); break;
            }
            if (rc == 0)
                assert_same_canon(pb_data(&a), a.sb.size, pb_data(&b), b.sb.size);
            pb_free(&b);
        }
        pb_free(&a);
    }
}
END_TEST

START_TEST(canon_floats_strings_ext)
{
    /* float32 1.5 and float64 1.5 are one key; canonical is float64 */
    assert_canon(BYTES(0xca, 0x3f, 0xc0, 0, 0), BYTES(0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0));
    assert_same_canon(BYTES(0xca, 0x3f, 0xc0, 0, 0), BYTES(0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0));
    assert_same_canon(BYTES(0xca, 0xc0, 0x10, 0, 0), BYTES(0xcb, 0xc0, 0x02, 0, 0, 0, 0, 0, 0));
    /* 1.0, 1 and True stay three different keys */
    ck_assert(!same_canon(BYTES(0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0), BYTES(0x01)));
    ck_assert(!same_canon(BYTES(0xc3), BYTES(0x01)));
    ck_assert(!same_canon(BYTES(0xc2), BYTES(0x00)));
    ck_assert(!same_canon(BYTES(0xc0), BYTES(0xc2)));
    /* str and bin are distinct; each has one canonical header */
    ck_assert(!same_canon(BYTES(0xa2, 'a', 'b'), BYTES(0xc4, 2, 'a', 'b')));
    assert_canon(BYTES(0xd9, 2, 'a', 'b'), BYTES(0xa2, 'a', 'b'));
    assert_canon(BYTES(0xda, 0, 2, 'a', 'b'), BYTES(0xa2, 'a', 'b'));
    assert_canon(BYTES(0xdb, 0, 0, 0, 2, 'a', 'b'), BYTES(0xa2, 'a', 'b'));
    assert_canon(BYTES(0xc5, 0, 2, 'a', 'b'), BYTES(0xc4, 2, 'a', 'b'));
    assert_canon(BYTES(0xc6, 0, 0, 0, 2, 'a', 'b'), BYTES(0xc4, 2, 'a', 'b'));
    ck_assert(!same_canon(BYTES(0xa2, 'a', 'b'), BYTES(0xa2, 'a', 'c')));
    /* ext: ext8 of 4 bytes is fixext4; the type byte matters */
    assert_canon(BYTES(0xc7, 4, 9, 'a', 'b', 'c', 'd'), BYTES(0xd6, 9, 'a', 'b', 'c', 'd'));
    assert_canon(BYTES(0xc9, 0, 0, 0, 1, 0xfe, 'x'), BYTES(0xd4, 0xfe, 'x'));
    assert_canon(BYTES(0xc8, 0, 3, 1, 'a', 'b', 'c'), BYTES(0xc7, 3, 1, 'a', 'b', 'c'));
    ck_assert(!same_canon(BYTES(0xd4, 1, 'x'), BYTES(0xd4, 2, 'x')));
}
END_TEST

START_TEST(canon_nested)
{
    /* array16 [uint16 5, map16 {int8 1: float32 1.5, str8 "k": [int16 -1]}] */
    assert_canon(BYTES(0xdc, 0, 2, 0xcd, 0, 5, 0xde, 0, 2, 0xd0, 1, 0xca, 0x3f, 0xc0, 0, 0, 0xd9,
                       1, 'k', 0xdd, 0, 0, 0, 1, 0xd1, 0xff, 0xff),
                 BYTES(0x92, 0x05, 0x82, 0x01, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xa1, 'k', 0x91,
                       0xff));
    /* a 16-element array keeps its array16 header */
    uint8_t in[3 + 16 * 2], want[3 + 16];
    in[0] = want[0] = 0xdc;
    in[1] = want[1] = 0;
    in[2] = want[2] = 16;
    for (int i = 0; i < 16; i++) {
        in[3 + 2 * i] = 0xcc;
        in[4 + 2 * i] = (uint8_t)i;
        want[3 + i] = (uint8_t)i;
    }
    assert_canon(in, sizeof(in), want, sizeof(want));
    /* map order is kept (insertion order), not sorted */
    ck_assert(!same_canon(BYTES(0x82, 1, 2, 3, 4), BYTES(0x82, 3, 4, 1, 2)));
    /* mp_canon appends to what @out holds */
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_sbuffer_write(&sb, "XY", 2);
    ck_assert_int_eq(mp_canon(BYTES(0xcd, 0, 1), &sb), SM_OK);
    ck_assert_uint_eq(sb.size, 3);
    ck_assert_mem_eq(sb.data, "XY\x01", 3);
    msgpack_sbuffer_destroy(&sb);
}
END_TEST

/* ---- mp_compare / mp_equal ---------------------------------------------- */

static int cmp_rc(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, int *cmp)
{
    int rc = mp_compare(a, alen, b, blen, cmp);
    if (rc == SM_OK) {
        /* antisymmetric */
        int back;
        ck_assert_int_eq(mp_compare(b, blen, a, alen, &back), SM_OK);
        ck_assert_int_eq(back < 0, *cmp > 0);
        ck_assert_int_eq(back > 0, *cmp < 0);
    }
    return rc;
}

/* LT(a, alen, b, blen): a < b (and b > a); EQ: a == b; TYPEERR: unordered. */
#define LT(...)                                                                                \
    do {                                                                                       \
        int c_;                                                                                \
        ck_assert_int_eq(cmp_rc(__VA_ARGS__, &c_), SM_OK);                                     \
        ck_assert_int_lt(c_, 0);                                                               \
    } while (0)
#define EQ(...)                                                                                \
    do {                                                                                       \
        int c_;                                                                                \
        ck_assert_int_eq(cmp_rc(__VA_ARGS__, &c_), SM_OK);                                     \
        ck_assert_int_eq(c_, 0);                                                               \
    } while (0)
#define TYPEERR(...)                                                                           \
    do {                                                                                       \
        int c_;                                                                                \
        ck_assert_int_eq(mp_compare(__VA_ARGS__, &c_), SM_ETYPE);                              \
    } while (0)

/* double as msgpack float64 bytes, in one of four slots */
static uint8_t f64buf[4][9];
static const uint8_t *f64(int slot, double x)
{
    uint64_t w;
    memcpy(&w, &x, 8);
    f64buf[slot][0] = 0xcb;
    for (int k = 0; k < 8; k++)
        f64buf[slot][1 + k] = (uint8_t)(w >> (56 - 8 * k));
    return f64buf[slot];
}

START_TEST(compare_numbers)
{
    LT(BYTES(0xff), BYTES(0x00));                         /* -1 < 0 */
    LT(BYTES(0xd0, 0x80), BYTES(0xff));                   /* -128 < -1 */
    EQ(BYTES(0x03), BYTES(0xd0, 0x03));                   /* uint 3 == int8 3 */
    EQ(BYTES(0xcd, 0, 3), BYTES(0xd3, 0, 0, 0, 0, 0, 0, 0, 3));
    EQ(BYTES(0xc3), BYTES(0x01));                         /* True == 1 */
    EQ(BYTES(0xc2), BYTES(0x00));                         /* False == 0 */
    LT(BYTES(0xc2), BYTES(0xc3));
    LT(BYTES(0xff), BYTES(0xc2));                         /* -1 < False */
    LT(BYTES(0xc3), BYTES(0x02));                         /* True < 2 */
    EQ(BYTES(0x01), f64(0, 1.0), 9);                      /* 1 == 1.0 */
    EQ(BYTES(0xc3), f64(0, 1.0), 9);                      /* True == 1.0 */
    LT(BYTES(0xc2), f64(0, 0.5), 9);                      /* False < 0.5 */
    LT(f64(0, 2.5), 9, BYTES(0x03));
    LT(BYTES(0x02), f64(0, 2.5), 9);
    LT(BYTES(0xfe), f64(0, -1.5), 9);                     /* -2 < -1.5 */
    LT(f64(0, -0.5), 9, BYTES(0x00));
    LT(BYTES(0xff), f64(0, -0.5), 9);
    EQ(BYTES(0xca, 0x3f, 0xc0, 0, 0), f64(0, 1.5), 9);    /* float32 == float64 */
    EQ(f64(0, 0.0), 9, f64(1, -0.0), 9);
    LT(f64(0, -INFINITY), 9, BYTES(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0));
    LT(BYTES(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), f64(0, INFINITY), 9);
    /* 64-bit integers: no detour through double */
    LT(BYTES(0xd3, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),      /* INT64_MAX */
       BYTES(0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0));                          /* 2^63 */
    LT(BYTES(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe),
       BYTES(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));
    LT(BYTES(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0),                           /* INT64_MIN */
       BYTES(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff));     /* UINT64_MAX */
    LT(BYTES(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0), BYTES(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 1));
    /* and ints against floats exactly, as Python does */
    LT(f64(0, 9007199254740992.0), 9, BYTES(0xcf, 0, 0x20, 0, 0, 0, 0, 0, 1)); /* 2^53 < 2^53+1 */
    EQ(f64(0, 9007199254740992.0), 9, BYTES(0xcf, 0, 0x20, 0, 0, 0, 0, 0, 0));
    LT(BYTES(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), f64(0, 18446744073709551616.0), 9);
    LT(f64(0, -9223372036854775808.0 - 4096.0), 9, BYTES(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0));
    EQ(f64(0, -9223372036854775808.0), 9, BYTES(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0));
    LT(BYTES(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 1), f64(0, -9223372036854774784.0), 9);
    /* numbers against other kinds: TypeError */
    TYPEERR(BYTES(0x01), BYTES(0xa1, '1'));
    TYPEERR(BYTES(0xa1, '1'), BYTES(0x01));
    TYPEERR(BYTES(0x01), BYTES(0xc0));
    TYPEERR(BYTES(0x01), BYTES(0x91, 0x01));
    TYPEERR(BYTES(0xc3), BYTES(0xc4, 1, 1));
}
END_TEST

START_TEST(compare_nan)
{
    const uint8_t *nan = f64(0, NAN);
    TYPEERR(nan, 9, BYTES(0x01));
    TYPEERR(BYTES(0x01), nan, 9);
    TYPEERR(nan, 9, f64(1, 1.0), 9);
    TYPEERR(nan, 9, f64(1, NAN), 9);
    TYPEERR(BYTES(0x91, 0xca, 0x7f, 0xc0, 0, 0), BYTES(0x91, 0x00)); /* inside an array */
    ck_assert(!mp_equal(nan, 9, BYTES(0x01)));
    ck_assert(!mp_equal(nan, 9, BYTES(0xca, 0x7f, 0xc0, 0, 0)));
    /* byte-identical values are equal (Python's identity shortcut in list.remove) */
    ck_assert(mp_equal(nan, 9, f64(1, NAN), 9));
}
END_TEST

START_TEST(compare_strings_arrays_maps)
{
    LT(BYTES(0xa1, 'a'), BYTES(0xa1, 'b'));
    LT(BYTES(0xa1, 'a'), BYTES(0xa2, 'a', 'a'));
    LT(BYTES(0xa0), BYTES(0xa1, 0x00));
    EQ(BYTES(0xa2, 'a', 'b'), BYTES(0xd9, 2, 'a', 'b'));                /* header width ignored */
    LT(BYTES(0xa1, 'z'), BYTES(0xa2, 0xc3, 0xa9));                      /* "z" < "é" */
    LT(BYTES(0xa2, 0xc3, 0xa9), BYTES(0xa3, 0xe2, 0x82, 0xac));         /* "é" < "€" */
    LT(BYTES(0xc4, 1, 0x00), BYTES(0xc4, 1, 0xff));
    EQ(BYTES(0xc4, 1, 7), BYTES(0xc5, 0, 1, 7));
    TYPEERR(BYTES(0xa1, 'a'), BYTES(0xc4, 1, 'a'));                     /* str vs bytes */
    EQ(BYTES(0xc0), BYTES(0xc0));
    /* arrays: lexicographic, a prefix first, elements by value */
    LT(BYTES(0x92, 1, 2), BYTES(0x92, 1, 3));
    LT(BYTES(0x92, 1, 2), BYTES(0x93, 1, 2, 0));
    LT(BYTES(0x90), BYTES(0x91, 0x00));
    EQ(BYTES(0x90), BYTES(0xdc, 0, 0));
    EQ(BYTES(0x92, 1, 0xa1, 'x'), BYTES(0xdc, 0, 2, 0xd0, 1, 0xd9, 1, 'x'));
    EQ(BYTES(0x92, 0xc3, 2), BYTES(0x92, 1, 0xca, 0x40, 0, 0, 0));      /* [True, 2] == [1, 2.0] */
    LT(BYTES(0x92, 1, 0xa1, 'a'), BYTES(0x92, 2, 0x05));                /* decided before "a" vs 5 */
    LT(BYTES(0x91, 0x91, 0x01), BYTES(0x91, 0x91, 0x02));
    TYPEERR(BYTES(0x92, 1, 0xa1, 'a'), BYTES(0x92, 1, 0x05));
    TYPEERR(BYTES(0x91, 0x01), BYTES(0xa1, 'a'));
    /* maps and ext have no order, not even equal ones */
    TYPEERR(BYTES(0x80), BYTES(0x80));
    TYPEERR(BYTES(0x81, 1, 2), BYTES(0x81, 1, 2));
    TYPEERR(BYTES(0xd4, 1, 1), BYTES(0xd4, 1, 1));
    TYPEERR(BYTES(0x91, 0x80), BYTES(0x91, 0x80));
    /* mp_equal: == by value, or identical bytes */
    ck_assert(mp_equal(BYTES(0x81, 1, 2), BYTES(0x81, 1, 2)));
    ck_assert(!mp_equal(BYTES(0x81, 1, 2), BYTES(0x81, 1, 3)));
    ck_assert(mp_equal(BYTES(0x01), BYTES(0xcd, 0, 1)));
    ck_assert(mp_equal(BYTES(0x01), f64(0, 1.0), 9));
    ck_assert(mp_equal(BYTES(0xc3), BYTES(0x01)));
    ck_assert(!mp_equal(BYTES(0xa1, 'a'), BYTES(0xc4, 1, 'a')));
    ck_assert(!mp_equal(BYTES(0x01), BYTES(0xa1, '1')));
    ck_assert(!mp_equal(BYTES(0x92, 1, 2), BYTES(0x92, 1, 0xa1, '2')));
    ck_assert(!mp_equal(BYTES(0x92, 1, 2), BYTES(0x93, 1, 2, 3)));
    ck_assert(!mp_equal(BYTES(0xc0), BYTES(0xc2)));
}
END_TEST

/* ---- frame_decode ------------------------------------------------------- */

/* Pack a request with a printf-like spec: u uint, i int, s str, x bin(4),
 * n nil, b bool, f double, a empty array, m {1:2}. */
static void pack_req(struct pb *b, const char *spec, ...)
{
    va_list ap;
    va_start(ap, spec);
    pb_init(b);
    msgpack_pack_array(&b->pk, strlen(spec));
    for (const char *c = spec; *c; c++) {
        switch (*c) {
        case 'u': msgpack_pack_uint64(&b->pk, va_arg(ap, uint64_t)); break;
        case 'i': msgpack_pack_int64(&b->pk, va_arg(ap, int64_t)); break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            msgpack_pack_str_with_body(&b->pk, s, strlen(s));
            break;
        }
        case 'x': {
            const void *p = va_arg(ap, const void *);
            size_t n = va_arg(ap, size_t);
            msgpack_pack_bin_with_body(&b->pk, p, n);
            break;
        }
        case 'n': msgpack_pack_nil(&b->pk); break;
        case 'b': (va_arg(ap, int) ? msgpack_pack_true : msgpack_pack_false)(&b->pk); break;
        case 'f': msgpack_pack_double(&b->pk, va_arg(ap, double)); break;
        case 'a': msgpack_pack_array(&b->pk, 0); break;
        case 'm':
            msgpack_pack_map(&b->pk, 1);
            msgpack_pack_int(&b->pk, 1);
            msgpack_pack_int(&b->pk, 2);
            break;
        }
    }
    va_end(ap);
}

#define U(x) ((uint64_t)(x))
#define I(x) ((int64_t)(x))

/* The last request packed: kept alive, since a decoded frame points into it. */
static struct pb last_req;
static bool last_req_live;

#define REQ(rcwant, f, ...)                                                                    \
    do {                                                                                       \
        if (last_req_live)                                                                     \
            pb_free(&last_req);                                                                \
        pack_req(&last_req, __VA_ARGS__);                                                      \
        last_req_live = true;                                                                  \
        int rc_ = frame_decode(pb_data(&last_req), last_req.sb.size, SM_MAX_DEPTH, f);         \
        ck_assert_msg(rc_ == (rcwant), "request %s: rc %d, want %d", #__VA_ARGS__, rc_,        \
                      (rcwant));                                                               \
    } while (0)

START_TEST(frame_opcodes)
{
    struct frame f;
    REQ(SM_ENOTSUP, &f, "u", U(0x00));
    REQ(SM_ENOTSUP, &f, "u", U(0x08));
    REQ(SM_ENOTSUP, &f, "u", U(0x1f));
    REQ(SM_ENOTSUP, &f, "uu", U(0x3f), U(1));
    REQ(SM_ENOTSUP, &f, "u", U(SMOP_MAX));
    REQ(SM_ENOTSUP, &f, "u", U(0xffff));
    REQ(SM_ENOTSUP, &f, "u", UINT64_MAX);
    REQ(SM_EPROTO, &f, "i", I(-3));        /* opcode is a uint */
    REQ(SM_EPROTO, &f, "s", "ping");
    REQ(SM_EPROTO, &f, "f", 3.0);
    REQ(SM_EPROTO, &f, "");                /* empty request */
    ck_assert_int_eq(frame_decode(BYTES(0x03), SM_MAX_DEPTH, &f), SM_EPROTO); /* not an array */
    ck_assert_int_eq(frame_decode(BYTES(0x81, 0x03, 0x00), SM_MAX_DEPTH, &f), SM_EPROTO);
    ck_assert_int_eq(frame_decode(BYTES(0x91, 0x03, 0xc0), SM_MAX_DEPTH, &f), SM_EPROTO); /* trailing */
    ck_assert_int_eq(frame_decode(BYTES(0x92, 0x03), SM_MAX_DEPTH, &f), SM_EPROTO);       /* truncated */
    ck_assert_int_eq(frame_decode(BYTES(0x91, 0xc1), SM_MAX_DEPTH, &f), SM_EPROTO);
    /* a well-formed minimal one, opcode in a wide encoding */
    ck_assert_int_eq(frame_decode(BYTES(0x91, 0xcd, 0x00, 0x03), SM_MAX_DEPTH, &f), SM_OK);
    ck_assert_uint_eq(f.opcode, SMOP_ping);
    ck_assert_ptr_eq(f.op, op_lookup(SMOP_ping));
    ck_assert_uint_eq(f.nargs, 0);
    ck_assert_int_eq(frame_decode(BYTES(0x91, 0xd0, 0x03), SM_MAX_DEPTH, &f), SM_OK);
}
END_TEST

START_TEST(frame_arity_and_types)
{
    struct frame f;
    static const uint8_t nonce[32] = {1, 2, 3};
    /* hello "us" */
    REQ(SM_OK, &f, "uus", U(SMOP_hello), U(1), "client");
    ck_assert_uint_eq(f.nargs, 2);
    ck_assert_int_eq(f.args[0].kind, 'u');
    ck_assert_uint_eq(f.args[0].u, 1);
    ck_assert_int_eq(f.args[1].kind, 's');
    ck_assert_uint_eq(f.args[1].len, 6);
    REQ(SM_EPROTO, &f, "uu", U(SMOP_hello), U(1));                    /* too few */
    REQ(SM_EPROTO, &f, "uuss", U(SMOP_hello), U(1), "a", "b");         /* too many */
    REQ(SM_EPROTO, &f, "uss", U(SMOP_hello), "1", "c");                /* wrong type */
    REQ(SM_EPROTO, &f, "uis", U(SMOP_hello), I(-1), "c");              /* 'u' is >= 0 */
    REQ(SM_EPROTO, &f, "uux", U(SMOP_hello), U(1), "c", (size_t)1);    /* 's' is not bin */
    /* auth "xx" */
    REQ(SM_OK, &f, "uxx", U(SMOP_auth), nonce, (size_t)32, nonce, (size_t)32);
    ck_assert_uint_eq(f.args[0].len, 32);
    ck_assert_mem_eq(f.args[1].raw, nonce, 32);
    REQ(SM_EPROTO, &f, "usx", U(SMOP_auth), "proof", nonce, (size_t)32); /* 'x' is not str */
    /* ping "" */
    REQ(SM_OK, &f, "u", U(SMOP_ping));
    REQ(SM_EPROTO, &f, "uu", U(SMOP_ping), U(1));
    /* open "suu|v": optional options */
    REQ(SM_OK, &f, "usuu", U(SMOP_open), "jobs", U(SM_T_DICT), U(OPEN_CREATE));
    ck_assert_uint_eq(f.nargs, 3);
    ck_assert_mem_eq(f.args[0].raw, "jobs", 4);
    ck_assert_uint_eq(f.args[1].u, SM_T_DICT);
    REQ(SM_OK, &f, "usuum", U(SMOP_open), "jobs", U(1), U(1));
    ck_assert_uint_eq(f.nargs, 4);
    ck_assert_int_eq(f.args[3].kind, 'v');
    ck_assert_uint_eq(f.args[3].len, 3);
    ck_assert_mem_eq(f.args[3].raw, "\x81\x01\x02", 3);
    REQ(SM_OK, &f, "usuun", U(SMOP_open), "jobs", U(1), U(1));
    ck_assert_uint_eq(f.nargs, 4);
    ck_assert_int_eq(f.args[3].raw[0], 0xc0);
    REQ(SM_EPROTO, &f, "usu", U(SMOP_open), "jobs", U(1));
    REQ(SM_EPROTO, &f, "usuunn", U(SMOP_open), "jobs", U(1), U(1));
    REQ(SM_EPROTO, &f, "uuuu", U(SMOP_open), U(1), U(1), U(1));
    /* ls "|s": everything optional */
    REQ(SM_OK, &f, "u", U(SMOP_ls));
    ck_assert_uint_eq(f.nargs, 0);
    REQ(SM_OK, &f, "us", U(SMOP_ls), "j*");
    ck_assert_uint_eq(f.nargs, 1);
    REQ(SM_EPROTO, &f, "uu", U(SMOP_ls), U(1));
    REQ(SM_EPROTO, &f, "uss", U(SMOP_ls), "a", "b");
}
END_TEST

START_TEST(frame_typed_ops)
{
    struct frame f;
    /* a handle comes first for every typed op, and is a uint */
    REQ(SM_OK, &f, "uus", U(SMOP_dict_get), U(77), "k");
    ck_assert_uint_eq(f.handle, 77);
    ck_assert_uint_eq(f.nargs, 1);
    ck_assert_int_eq(f.args[0].kind, 'v');
    ck_assert_uint_eq(f.args[0].len, 2);
    ck_assert_mem_eq(f.args[0].raw, "\xa1k", 2);
    REQ(SM_EPROTO, &f, "u", U(SMOP_dict_get));                      /* no handle */
    REQ(SM_EPROTO, &f, "uu", U(SMOP_dict_get), U(77));              /* handle, no key */
    REQ(SM_EPROTO, &f, "uss", U(SMOP_dict_get), "h", "k");          /* handle not a uint */
    REQ(SM_EPROTO, &f, "uis", U(SMOP_dict_get), I(-1), "k");
    REQ(SM_EPROTO, &f, "un", U(SMOP_dict_len));
    REQ(SM_OK, &f, "uu", U(SMOP_dict_len), U(1));
    REQ(SM_EPROTO, &f, "uun", U(SMOP_dict_len), U(1));
    /* dict.pop "v|v" */
    REQ(SM_OK, &f, "uus", U(SMOP_dict_pop), U(1), "k");
    ck_assert_uint_eq(f.nargs, 1);
    REQ(SM_OK, &f, "uusn", U(SMOP_dict_pop), U(1), "k");
    ck_assert_uint_eq(f.nargs, 2);
    /* dict.incr "vi" */
    REQ(SM_OK, &f, "uusi", U(SMOP_dict_incr), U(1), "k", I(-5));
    ck_assert_int_eq(f.args[1].i, -5);
    REQ(SM_OK, &f, "uusu", U(SMOP_dict_incr), U(1), "k", U(5));
    ck_assert_int_eq(f.args[1].i, 5);
    REQ(SM_EPROTO, &f, "uusf", U(SMOP_dict_incr), U(1), "k", 1.0);
    REQ(SM_EPROTO, &f, "uusb", U(SMOP_dict_incr), U(1), "k", 1);
    REQ(SM_EINVAL, &f, "uusu", U(SMOP_dict_incr), U(1), "k", (uint64_t)INT64_MAX + 1);
    /* dict.update "m", list.extend "a" */
    REQ(SM_OK, &f, "uum", U(SMOP_dict_update), U(1));
    ck_assert_uint_eq(f.args[0].count, 1);
    ck_assert_uint_eq(f.args[0].len, 3);
    REQ(SM_EPROTO, &f, "uua", U(SMOP_dict_update), U(1));
    REQ(SM_OK, &f, "uua", U(SMOP_list_extend), U(1));
    ck_assert_uint_eq(f.args[0].count, 0);
    REQ(SM_EPROTO, &f, "uum", U(SMOP_list_extend), U(1));
    /* list.index "v|nn": 'n' is int or nil */
    REQ(SM_OK, &f, "uusni", U(SMOP_list_index), U(1), "v", I(-3));
    ck_assert_uint_eq(f.nargs, 3);
    ck_assert(f.args[1].nil);
    ck_assert(!f.args[2].nil);
    ck_assert_int_eq(f.args[2].i, -3);
    REQ(SM_OK, &f, "uusi", U(SMOP_list_index), U(1), "v", I(2));
    ck_assert_uint_eq(f.nargs, 2);
    REQ(SM_EPROTO, &f, "uuss", U(SMOP_list_index), U(1), "v", "x");
    /* list.sort "|b" */
    REQ(SM_OK, &f, "uub", U(SMOP_list_sort), U(1), 1);
    ck_assert(f.args[0].b);
    REQ(SM_EPROTO, &f, "uuu", U(SMOP_list_sort), U(1), U(1));
    REQ(SM_EPROTO, &f, "uun", U(SMOP_list_sort), U(1));
    /* list.get "i" */
    REQ(SM_OK, &f, "uui", U(SMOP_list_get), U(1), I(-1));
    ck_assert_int_eq(f.args[0].i, -1);
    REQ(SM_EPROTO, &f, "uun", U(SMOP_list_get), U(1));
}
END_TEST

START_TEST(frame_timeouts)
{
    struct frame f;
    REQ(SM_OK, &f, "uuiu", U(SMOP_lock_acquire), U(3), I(-1), U(42));
    ck_assert_uint_eq(f.handle, 3);
    ck_assert_int_eq(f.args[0].kind, 't');
    ck_assert_int_eq(f.args[0].i, -1);
    ck_assert_uint_eq(f.args[1].u, 42);
    REQ(SM_OK, &f, "uuiu", U(SMOP_lock_acquire), U(3), I(0), U(42));
    ck_assert_int_eq(f.args[0].i, 0);
    REQ(SM_OK, &f, "uuuu", U(SMOP_lock_acquire), U(3), U(INT32_MAX), U(42));
    REQ(SM_EINVAL, &f, "uuiu", U(SMOP_lock_acquire), U(3), I(-2), U(42));
    REQ(SM_EINVAL, &f, "uuiu", U(SMOP_lock_acquire), U(3), INT64_MIN, U(42));
    REQ(SM_EINVAL, &f, "uuuu", U(SMOP_lock_acquire), U(3), U(INT32_MAX) + 1, U(42));
    REQ(SM_EINVAL, &f, "uuuu", U(SMOP_lock_acquire), U(3), UINT64_MAX, U(42));
    REQ(SM_EPROTO, &f, "uufu", U(SMOP_lock_acquire), U(3), 1.5, U(42));
    REQ(SM_EPROTO, &f, "uunu", U(SMOP_lock_acquire), U(3), U(42));
    REQ(SM_EPROTO, &f, "uui", U(SMOP_lock_acquire), U(3), I(-1));
    REQ(SM_EPROTO, &f, "uuii", U(SMOP_lock_acquire), U(3), I(-1), I(-42));
}
END_TEST

START_TEST(frame_depth)
{
    /* [dict.set, 1, "k", value]: the request array is one level */
    uint8_t buf[80];
    struct frame f;
    size_t n = 0;
    buf[n++] = 0x94;
    buf[n++] = SMOP_dict_set;
    buf[n++] = 0x01;
    buf[n++] = 0xc0;
    size_t head = n;
    n = head + nested(buf + head, SM_MAX_DEPTH - 1, 0x91);
    ck_assert_int_eq(frame_decode(buf, n, SM_MAX_DEPTH, &f), SM_OK);
    ck_assert_uint_eq(f.args[1].len, n - head);
    ck_assert_ptr_eq(f.args[1].raw, buf + head);
    n = head + nested(buf + head, SM_MAX_DEPTH, 0x91);
    ck_assert_int_eq(frame_decode(buf, n, SM_MAX_DEPTH, &f), SM_ETOOBIG);
}
END_TEST

/* ---- reply_decode ------------------------------------------------------- */

START_TEST(reply_decoding)
{
    int st = -5;
    mp_reader r;
    uint32_t nf = 99;
    const void *p;
    const char *s;
    uint32_t len;

    ck_assert_int_eq(reply_decode(BYTES(0x91, 0x00), &st, &r, &nf), SM_OK);
    ck_assert_int_eq(st, 0);
    ck_assert_uint_eq(nf, 0);
    ck_assert_ptr_eq(r.p, r.end);
    ck_assert_int_eq(reply_decode(BYTES(0x91, 13), &st, &r, &nf), SM_OK);
    ck_assert_int_eq(st, SM_EOWNERDEAD);
    ck_assert_int_eq(reply_decode(BYTES(0x91, 0xcd, 0x01, 0x00), &st, &r, &nf), SM_OK);
    ck_assert_int_eq(st, 256);

    /* hello reply: [0, bin nonce, str version] */
    struct pb b;
    uint8_t nonce[32];
    memset(nonce, 0xab, sizeof(nonce));
    pb_init(&b);
    msgpack_pack_array(&b.pk, 3);
    msgpack_pack_int(&b.pk, 0);
    msgpack_pack_bin_with_body(&b.pk, nonce, 32);
    msgpack_pack_str_with_body(&b.pk, "0.1.0", 5);
    ck_assert_int_eq(reply_decode(pb_data(&b), b.sb.size, &st, &r, &nf), SM_OK);
    ck_assert_int_eq(st, SM_OK);
    ck_assert_uint_eq(nf, 2);
    ck_assert_int_eq(mp_read_bin(&r, &p, &len), SM_OK);
    ck_assert_uint_eq(len, 32);
    ck_assert_mem_eq(p, nonce, 32);
    ck_assert_int_eq(mp_read_str(&r, &s, &len), SM_OK);
    ck_assert_mem_eq(s, "0.1.0", 5);
    ck_assert_ptr_eq(r.p, r.end);
    pb_free(&b);

    /* a reply's value fields may be nested as deep as a value stored */
    uint8_t deep[64];
    deep[0] = 0x92;
    deep[1] = 0x00;
    size_t n = 2 + nested(deep + 2, SM_MAX_DEPTH, 0x91);
    ck_assert_int_eq(reply_decode(deep, n, &st, &r, &nf), SM_OK);

    /* the deepest reply: dict.items of a value stored 31 deep, the most a
     * request [dict.set, h, k, value] can carry: [0, [[k, value]]] */
    uint8_t items[64];
    struct frame f;
    n = 0;
    items[n++] = 0x94;
    items[n++] = SMOP_dict_set;
    items[n++] = 0x01;
    items[n++] = 0xc0;
    size_t vstart = n;
    n += nested(items + n, SM_MAX_DEPTH - 1, 0x91);
    ck_assert_int_eq(frame_decode(items, n, SM_MAX_DEPTH, &f), SM_OK);
    size_t vlen = n - vstart;
    uint8_t rep[80];
    size_t m = 0;
    rep[m++] = 0x92;
    rep[m++] = 0x00;
    rep[m++] = 0x91;
    rep[m++] = 0x92;
    rep[m++] = 0xc0;
    memcpy(rep + m, items + vstart, vlen);
    m += vlen;
    ck_assert_int_eq(reply_decode(rep, m, &st, &r, &nf), SM_OK);
    ck_assert_uint_eq(nf, 1);
    const uint8_t *raw;
    size_t rawlen;
    ck_assert_int_eq(mp_read_raw(&r, &raw, &rawlen), SM_OK); /* the items field, whole */
    ck_assert_uint_eq(rawlen, m - 2);
    mp_reader_init(&r, raw, rawlen);
    uint32_t cnt;
    ck_assert_int_eq(mp_read_array(&r, &cnt), SM_OK);
    ck_assert_int_eq(mp_read_raw(&r, &raw, &rawlen), SM_OK); /* one [k, v] pair */
    /* ... and nothing deeper than that */
    rep[m - 1] = 0x91;
    rep[m++] = 0xc0;
    ck_assert_int_eq(reply_decode(rep, m, &st, &r, &nf), SM_ETOOBIG);

    ck_assert_int_eq(reply_decode(BYTES(0x90), &st, &r, &nf), SM_EPROTO);        /* no status */
    ck_assert_int_eq(reply_decode(BYTES(0x00), &st, &r, &nf), SM_EPROTO);        /* not array */
    ck_assert_int_eq(reply_decode(BYTES(0x91, 0xff), &st, &r, &nf), SM_EPROTO);  /* negative */
    ck_assert_int_eq(reply_decode(BYTES(0x91, 0xa1, '0'), &st, &r, &nf), SM_EPROTO);
    ck_assert_int_eq(reply_decode(BYTES(0x91, 0xc0), &st, &r, &nf), SM_EPROTO);
    ck_assert_int_eq(reply_decode(BYTES(0x91, 0xce, 0x80, 0, 0, 0), &st, &r, &nf), SM_EPROTO);
    ck_assert_int_eq(reply_decode(BYTES(0x91, 0x00, 0x00), &st, &r, &nf), SM_EPROTO); /* trailing */
    ck_assert_int_eq(reply_decode(BYTES(0x92, 0x00), &st, &r, &nf), SM_EPROTO);   /* truncated */
    ck_assert_int_eq(reply_decode(BYTES(0xdd, 0xff, 0xff, 0xff, 0xff, 0x00), &st, &r, &nf),
                     SM_EPROTO);
}
END_TEST

static Suite *codec_suite(void)
{
    Suite *s = suite_create("codec");
    TCase *tc = tcase_create("validate");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, validate_every_type);
    tcase_add_test(tc, validate_handmade_encodings);
    tcase_add_test(tc, validate_truncated_everywhere);
    tcase_add_test(tc, validate_trailing_bytes);
    tcase_add_test(tc, validate_rejects_c1);
    tcase_add_test(tc, validate_depth);
    tcase_add_test(tc, validate_huge_lengths);
    tcase_add_test(tc, validate_random_buffers);
    suite_add_tcase(s, tc);
    tc = tcase_create("values");
    tcase_add_test(tc, reader_kinds_and_errors);
    tcase_add_test(tc, canon_integers);
    tcase_add_test(tc, canon_floats_strings_ext);
    tcase_add_test(tc, canon_nested);
    tcase_add_test(tc, compare_numbers);
    tcase_add_test(tc, compare_nan);
    tcase_add_test(tc, compare_strings_arrays_maps);
    suite_add_tcase(s, tc);
    tc = tcase_create("frames");
    tcase_add_test(tc, frame_opcodes);
    tcase_add_test(tc, frame_arity_and_types);
    tcase_add_test(tc, frame_typed_ops);
    tcase_add_test(tc, frame_timeouts);
    tcase_add_test(tc, frame_depth);
    tcase_add_test(tc, reply_decoding);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(codec_suite(), CK_NORMAL);
}
