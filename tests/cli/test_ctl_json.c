/*
 * test_ctl_json.c - syncmgrctl's msgpack <-> JSON spelling (tools/ctl_json.c,
 * compiled in) on its own: every msgpack type survives msgpack -> JSON text
 * -> msgpack, and bad spellings are refused.  No broker.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "ctl_json.h"
#include "errors.h"
#include "harness.h"

static msgpack_sbuffer sb;
static msgpack_packer pk;

static msgpack_packer *begin(void)
{
    msgpack_sbuffer_clear(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    return &pk;
}

static void canon(const void *buf, size_t len, msgpack_sbuffer *out)
{
    msgpack_sbuffer_init(out);
    ck_assert_int_eq(mp_canon(buf, len, out), SM_OK);
}

/* roundtrip() - the value packed since begin() reads as @want (compact JSON)
 * and, through the JSON text, packs back to the same canonical bytes. */
static void roundtrip(const char *want)
{
    json_t *j = NULL, *back;
    char err[200] = "", *text;
    msgpack_sbuffer out, c1, c2;
    msgpack_packer opk;

    ck_assert_msg(ctl_json_from_msgpack(sb.data, sb.size, &j, err, sizeof(err)) == SM_OK, "%s",
                  err);
    ck_assert_ptr_nonnull(text = ctl_json_dumps(j, true));
    if (want)
        ck_assert_str_eq(text, want);
    back = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    ck_assert_msg(back != NULL, "jansson cannot read back %s", text);
    msgpack_sbuffer_init(&out);
    msgpack_packer_init(&opk, &out, msgpack_sbuffer_write);
    ck_assert_msg(ctl_json_to_msgpack(back, &opk, err, sizeof(err)) == SM_OK, "%s: %s", text, err);
    canon(sb.data, sb.size, &c1);
    canon(out.data, out.size, &c2);
    ck_assert_msg(c1.size == c2.size && memcmp(c1.data, c2.data, c1.size) == 0,
                  "%s does not round-trip", text);
    msgpack_sbuffer_destroy(&c1);
    msgpack_sbuffer_destroy(&c2);
    msgpack_sbuffer_destroy(&out);
    json_decref(back);
    json_decref(j);
    free(text);
}

static void pack_str(msgpack_packer *p, const char *s, size_t n)
{
    msgpack_pack_str_with_body(p, s, n);
}

START_TEST(test_json_scalars)
{
    msgpack_pack_nil(begin());
    roundtrip("null");
    msgpack_pack_true(begin());
    roundtrip("true");
    msgpack_pack_false(begin());
    roundtrip("false");
    msgpack_pack_uint64(begin(), 0);
    roundtrip("0");
    msgpack_pack_int64(begin(), -33);
    roundtrip("-33");
    msgpack_pack_fix_uint16(begin(), 128); /* a non-smallest encoding */
    roundtrip("128");
    msgpack_pack_int64(begin(), INT64_MIN);
    roundtrip("-9223372036854775808");
    msgpack_pack_int64(begin(), INT64_MAX);
    roundtrip("9223372036854775807");
    msgpack_pack_uint64(begin(), (uint64_t)INT64_MAX + 1);
    roundtrip("{\"$uint\":\"9223372036854775808\"}");
    msgpack_pack_uint64(begin(), UINT64_MAX);
    roundtrip("{\"$uint\":\"18446744073709551615\"}");
    msgpack_pack_double(begin(), 0.5);
    roundtrip("0.5");
    msgpack_pack_double(begin(), 1.0);
    roundtrip("1.0");
    msgpack_pack_double(begin(), 0.1);
    roundtrip(NULL);
    msgpack_pack_double(begin(), -0.0);
    roundtrip("-0.0");
    msgpack_pack_double(begin(), 1e300);
    roundtrip(NULL);
    msgpack_pack_float(begin(), 0.1f); /* float32: reads back as the same float64 */
    roundtrip(NULL);
    msgpack_pack_double(begin(), NAN);
    roundtrip("{\"$float\":\"nan\"}");
    msgpack_pack_double(begin(), INFINITY);
    roundtrip("{\"$float\":\"inf\"}");
    msgpack_pack_double(begin(), -INFINITY);
    roundtrip("{\"$float\":\"-inf\"}");
}
END_TEST

START_TEST(test_json_bytes)
{
    static const uint8_t b[] = {0, 1, 2, 255};
    pack_str(begin(), "", 0);
    roundtrip("\"\"");
    pack_str(begin(), "h\xc3\xa9llo", 6);
    roundtrip("\"h\xc3\xa9llo\"");
    pack_str(begin(), "a\0b", 3);
    roundtrip("\"a\\u0000b\"");
    pack_str(begin(), "\xff\xfe", 2); /* not UTF-8 */
    roundtrip("{\"$str\":\"//4=\"}");
    msgpack_pack_bin_with_body(begin(), b, 0);
    roundtrip("{\"$bin\":\"\"}");
    msgpack_pack_bin_with_body(begin(), b, sizeof(b));
    roundtrip("{\"$bin\":\"AAEC/w==\"}");
    msgpack_pack_ext_with_body(begin(), "\x01\x02", 2, 5);
    roundtrip("{\"$ext\":[5,\"AQI=\"]}");
    msgpack_pack_ext_with_body(begin(), "", 0, -128);
    roundtrip("{\"$ext\":[-128,\"\"]}");
    msgpack_pack_ext_with_body(begin(), b, sizeof(b), 127); /* fixext4 */
    roundtrip("{\"$ext\":[127,\"AAEC/w==\"]}");
}
END_TEST

START_TEST(test_json_containers)
{
    msgpack_packer *p = begin();
    msgpack_pack_array(p, 0);
    roundtrip("[]");

    p = begin(); /* [[[]], 1, "x"] */
    msgpack_pack_array(p, 3);
    msgpack_pack_array(p, 1);
    msgpack_pack_array(p, 0);
    msgpack_pack_int(p, 1);
    pack_str(p, "x", 1);
    roundtrip("[[[]],1,\"x\"]");

    p = begin();
    msgpack_pack_map(p, 0);
    roundtrip("{}");

    p = begin(); /* string keys, in order, values of every kind */
    msgpack_pack_map(p, 3);
    pack_str(p, "b", 1);
    msgpack_pack_int(p, 1);
    pack_str(p, "a", 1);
    msgpack_pack_bin_with_body(p, "\x01", 1);
    pack_str(p, "$c", 2);
    msgpack_pack_nil(p);
    roundtrip("{\"b\":1,\"a\":{\"$bin\":\"AQ==\"},\"$c\":null}");

    p = begin(); /* int keys */
    msgpack_pack_map(p, 2);
    msgpack_pack_int(p, 1);
    pack_str(p, "one", 3);
    msgpack_pack_int(p, -2);
    msgpack_pack_array(p, 0);
    roundtrip("{\"$map\":[[1,\"one\"],[-2,[]]]}");

    p = begin(); /* one key beginning with "$": ambiguous with a tag */
    msgpack_pack_map(p, 1);
    pack_str(p, "$bin", 4);
    pack_str(p, "AQ==", 4);
    roundtrip("{\"$map\":[[\"$bin\",\"AQ==\"]]}");

    p = begin(); /* a repeated key: an object would lose one */
    msgpack_pack_map(p, 2);
    pack_str(p, "k", 1);
    msgpack_pack_int(p, 1);
    pack_str(p, "k", 1);
    msgpack_pack_int(p, 2);
    roundtrip("{\"$map\":[[\"k\",1],[\"k\",2]]}");

    p = begin(); /* a key that is not UTF-8, a key with NUL (JSON readers refuse
                  * "\u0000" in keys), bin keys */
    msgpack_pack_map(p, 1);
    pack_str(p, "\xff", 1);
    msgpack_pack_int(p, 1);
    roundtrip("{\"$map\":[[{\"$str\":\"/w==\"},1]]}");
    p = begin();
    msgpack_pack_map(p, 2);
    pack_str(p, "a\0b", 3);
    msgpack_pack_int(p, 1);
    pack_str(p, "c", 1);
    msgpack_pack_int(p, 2);
    roundtrip("{\"$map\":[[\"a\\u0000b\",1],[\"c\",2]]}");
    p = begin();
    msgpack_pack_map(p, 1);
    msgpack_pack_bin_with_body(p, "k", 1);
    msgpack_pack_map(p, 1);
    msgpack_pack_int(p, 7);
    msgpack_pack_true(p);
    roundtrip("{\"$map\":[[{\"$bin\":\"aw==\"},{\"$map\":[[7,true]]}]]}");

    p = begin(); /* as deep as a value may be */
    for (int i = 0; i < SM_MAX_DEPTH; i++)
        msgpack_pack_array(p, 1);
    msgpack_pack_int(p, 1);
    roundtrip(NULL);
}
END_TEST

/* to_mp() - pack the JSON @text; returns the status. */
static int to_mp(const char *text)
{
    char err[200] = "";
    json_t *j = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    ck_assert_msg(j != NULL, "bad test JSON %s", text);
    int rc = ctl_json_to_msgpack(j, begin(), err, sizeof(err));
    json_decref(j);
    return rc;
}

START_TEST(test_json_errors)
{
    json_t *j;
    char err[200];
    char deep[2 * (SM_MAX_DEPTH + 1) + 2];

    ck_sm(to_mp("{\"$foo\": 1}"), SM_EINVAL);
    ck_sm(to_mp("{\"$bin\": \"!!\"}"), SM_EINVAL);
    ck_sm(to_mp("{\"$bin\": 5}"), SM_EINVAL);
    ck_sm(to_mp("{\"$uint\": \"-1\"}"), SM_EINVAL);
    ck_sm(to_mp("{\"$uint\": \"18446744073709551616\"}"), SM_EINVAL);
    ck_sm(to_mp("{\"$uint\": \"\"}"), SM_EINVAL);
    ck_sm(to_mp("{\"$float\": \"NaN\"}"), SM_EINVAL);
    ck_sm(to_mp("{\"$ext\": [128, \"\"]}"), SM_EINVAL);
    ck_sm(to_mp("{\"$ext\": [1]}"), SM_EINVAL);
    ck_sm(to_mp("{\"$map\": [[1]]}"), SM_EINVAL);
    ck_sm(to_mp("{\"$map\": [[1, 2]], \"x\": 1}"), SM_OK); /* two keys: a plain map */
    ck_sm(to_mp("{\"$uint\": \"5\"}"), SM_OK);
    ck_assert_int_eq(sb.size, 1);

    memset(deep, '[', SM_MAX_DEPTH + 1);
    memset(deep + SM_MAX_DEPTH + 1, ']', SM_MAX_DEPTH + 1);
    deep[2 * (SM_MAX_DEPTH + 1)] = '\0';
    ck_sm(to_mp(deep), SM_ETOOBIG);

    ck_sm(ctl_json_from_msgpack("\xc1", 1, &j, err, sizeof(err)), SM_EPROTO);
    ck_assert_ptr_null(j);
    ck_sm(ctl_json_from_msgpack("\x01\x02", 2, &j, err, sizeof(err)), SM_EPROTO); /* trailing */
    ck_sm(ctl_json_from_msgpack("\x92\x01", 2, &j, err, sizeof(err)), SM_EPROTO); /* short */
}
END_TEST

int main(void)
{
    msgpack_sbuffer_init(&sb);
    Suite *s = suite_create("cli-ctl-json");
    TCase *tj = tcase_create("ctl_json");
    tcase_add_test(tj, test_json_scalars);
    tcase_add_test(tj, test_json_bytes);
    tcase_add_test(tj, test_json_containers);
    tcase_add_test(tj, test_json_errors);
    suite_add_tcase(s, tj);
    int rc = check_run(s, CK_ENV);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}
