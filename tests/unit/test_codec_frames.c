/*
 * test_codec_frames.c - proto/codec.c: canonical form, Python-like
 * comparison, and request/reply decoding against ops.def.
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
#include "codec_util.h"
#include "errors.h"

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

/* pack_head() - a str (@str) or bin header for @n bytes in header form
 * @w (0 fix, 1 8-bit, 2 16-bit, 3 32-bit length) into @out; its length,
 * or 0 when @n does not fit that form. */
static size_t pack_head(bool str, size_t n, int w, uint8_t *out)
{
    static const uint8_t str_code[] = {0xa0, 0xd9, 0xda, 0xdb}, bin_code[] = {0, 0xc4, 0xc5, 0xc6};
    static const size_t limit[] = {32, 256, 65536, (size_t)1 << 32};
    static const unsigned lenbytes[] = {0, 1, 2, 4};
    if (n >= limit[w] || (!str && w == 0))
        return 0;
    out[0] = (uint8_t)((str ? str_code[w] : bin_code[w]) | (w == 0 ? n : 0));
    for (unsigned k = 0; k < lenbytes[w]; k++)
        out[1 + k] = (uint8_t)(n >> (8 * (lenbytes[w] - 1 - k)));
    return 1 + lenbytes[w];
}

/* Around every header-size boundary, str and bin in every header form that
 * holds them have one canonical form: msgpack-c's (the smallest header). */
START_TEST(canon_string_lengths)
{
    static const size_t lens[] = {0, 1, 31, 32, 255, 256, 65535, 65536};
    uint8_t *in = calloc(5 + 65536, 1);
    ck_assert_ptr_nonnull(in);
    for (int str = 0; str < 2; str++) {
        for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
            struct pb want;
            pb_init(&want);
            if (str)
                msgpack_pack_str_with_body(&want.pk, in + 5, lens[k]);
            else
                msgpack_pack_bin_with_body(&want.pk, in + 5, lens[k]);
            for (int w = 0; w < 4; w++) {
                uint8_t head[5];
                size_t hl = pack_head(str, lens[k], w, head);
                if (!hl)
                    continue;
                memcpy(in + 5 - hl, head, hl);
                assert_canon(in + 5 - hl, hl + lens[k], pb_data(&want), want.sb.size);
            }
            pb_free(&want);
        }
    }
    free(in);
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

static Suite *frames_suite(void)
{
    Suite *s = suite_create("codec-frames");
    TCase *tc = tcase_create("values");
    tcase_add_test(tc, canon_integers);
    tcase_add_test(tc, canon_floats_strings_ext);
    tcase_add_test(tc, canon_string_lengths);
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
    return check_run(frames_suite(), CK_NORMAL);
}
