/*
 * test_codec.c - proto/codec.c: bounded validation of untrusted msgpack and
 * the reader (test_codec_frames.c: canonical form, comparison, frames).
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
        uint8_t *q = malloc(cut ? cut : 1);
        memcpy(q, p, cut);
        int rc = validate(q, cut);
        ck_assert_msg(rc == SM_EPROTO, "cut at %zu of %zu: rc %d", cut, n, rc);
        free(q);
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
    void *volatile probe = malloc(16); /* the counter counts (under ASan too) */
    free(probe);
    ck_assert_uint_eq(alloc_calls, before + 1);
    before = alloc_calls;
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
    uint8_t *m = malloc(b.sb.size);
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
    free(m);
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
    tcase_add_test(tc, reader_kinds_and_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(codec_suite(), CK_NORMAL);
}
