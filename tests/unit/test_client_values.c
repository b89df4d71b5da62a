/* test_client_values.c - sm_val constructors, accessors, decoding of reply
 * bytes and packing of requests, without a network. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "client_internal.h"
#include "errors.h"

/* unpack_one() - decode the packed bytes @p with smc_read_val(). */
static int unpack_one(const void *p, size_t len, sm_val *out)
{
    mp_reader r;
    ck_assert_int_eq(mp_validate(p, len, SM_MAX_DEPTH), SM_OK);
    mp_reader_init(&r, p, len);
    int rc = smc_read_val(&r, out);
    ck_assert_ptr_eq(r.p, r.end);
    return rc;
}

START_TEST(constructors)
{
    ck_assert_int_eq(sm_nil().type, SM_V_NIL);
    ck_assert(sm_bool(true).v.b);
    ck_assert_int_eq(sm_int(-3).v.i, -3);
    ck_assert_uint_eq(sm_uint(UINT64_MAX).v.u, UINT64_MAX);
    ck_assert(sm_f64(1.5).v.f == 1.5);
    sm_val s = sm_str("abc");
    ck_assert_int_eq(s.type, SM_V_STR);
    ck_assert_uint_eq(s.v.buf.len, 3);
    ck_assert_ptr_null(s.owned_);
    ck_assert_uint_eq(sm_strn("abcdef", 2).v.buf.len, 2);
    ck_assert_int_eq(sm_bin("\0\1", 2).type, SM_V_BIN);
    ck_assert_int_eq(sm_msgpack("\x01", 1).type, SM_V_MSGPACK);
    ck_assert_uint_eq(sm_str(NULL).v.buf.len, 0);
}
END_TEST

START_TEST(to_int_and_str)
{
    int64_t i;
    const char *s;
    size_t n;
    sm_val v = sm_uint(7);
    ck_assert_int_eq(sm_val_to_int(&v, &i), SM_OK);
    ck_assert_int_eq(i, 7);
    v = sm_uint(UINT64_MAX);
    ck_assert_int_eq(sm_val_to_int(&v, &i), SM_EVALUE);
    v = sm_str("x");
    ck_assert_int_eq(sm_val_to_int(&v, &i), SM_ETYPE);
    ck_assert_int_eq(sm_val_to_str(&v, &s, &n), SM_OK);
    ck_assert_str_eq(s, "x");
    ck_assert_uint_eq(n, 1);
    v = sm_msgpack("\xd1\xff\x38", 3); /* int16 -200 */
    ck_assert_int_eq(sm_val_to_int(&v, &i), SM_OK);
    ck_assert_int_eq(i, -200);
    v = sm_msgpack("\xa2hi", 3);
    ck_assert_int_eq(sm_val_to_str(&v, &s, &n), SM_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert(memcmp(s, "hi", 2) == 0);
    v = sm_int(1);
    ck_assert_int_eq(sm_val_to_str(&v, &s, &n), SM_ETYPE);
    ck_assert_int_eq(sm_val_to_int(NULL, &i), SM_EINVAL);
    v = sm_nil();
    ck_assert(sm_val_is_nil(&v));
    v = sm_msgpack("\xc0", 1);
    ck_assert(sm_val_is_nil(&v));
    v = sm_int(0);
    ck_assert(!sm_val_is_nil(&v));
}
END_TEST

START_TEST(decode_scalars)
{
    sm_val v;
    ck_assert_int_eq(unpack_one("\xc0", 1, &v), SM_OK);
    ck_assert_int_eq(v.type, SM_V_NIL);
    ck_assert_int_eq(unpack_one("\xc3", 1, &v), SM_OK);
    ck_assert(v.type == SM_V_BOOL && v.v.b);
    ck_assert_int_eq(unpack_one("\xfb", 1, &v), SM_OK); /* -5 */
    ck_assert(v.type == SM_V_INT && v.v.i == -5);
    ck_assert_int_eq(unpack_one("\xcd\x01\x00", 3, &v), SM_OK); /* uint16 256 */
    ck_assert(v.type == SM_V_INT && v.v.i == 256);
    ck_assert_int_eq(unpack_one("\xd0\x05", 2, &v), SM_OK); /* int8 5 */
    ck_assert(v.type == SM_V_INT && v.v.i == 5);
    ck_assert_int_eq(unpack_one("\xcf\xff\xff\xff\xff\xff\xff\xff\xff", 9, &v), SM_OK);
    ck_assert(v.type == SM_V_UINT && v.v.u == UINT64_MAX);
    ck_assert_int_eq(unpack_one("\xca\x3f\xc0\x00\x00", 5, &v), SM_OK); /* f32 1.5 */
    ck_assert(v.type == SM_V_F64 && v.v.f == 1.5);
    ck_assert_int_eq(unpack_one("\xcb\x40\x09\x21\xfb\x54\x44\x2d\x18", 9, &v), SM_OK);
    ck_assert(v.type == SM_V_F64 && fabs(v.v.f - 3.141592653589793) < 1e-15);
}
END_TEST

START_TEST(decode_owned)
{
    sm_val v;
    ck_assert_int_eq(unpack_one("\xa3"
                                "abc",
                                4, &v),
                     SM_OK);
    ck_assert_int_eq(v.type, SM_V_STR);
    ck_assert_ptr_nonnull(v.owned_);
    ck_assert_str_eq(v.v.buf.ptr, "abc"); /* NUL-terminated */
    sm_val_free(&v);
    ck_assert_int_eq(v.type, SM_V_NIL);
    sm_val_free(&v);                                        /* twice is fine */
    ck_assert_int_eq(unpack_one("\xc4\x00", 2, &v), SM_OK); /* empty bin */
    ck_assert(v.type == SM_V_BIN && v.v.buf.len == 0 && v.v.buf.ptr);
    sm_val_free(&v);
    ck_assert_int_eq(unpack_one("\x92\x01\xa1x", 4, &v), SM_OK); /* [1, "x"] */
    ck_assert_int_eq(v.type, SM_V_MSGPACK);
    ck_assert_uint_eq(v.v.buf.len, 4);
    ck_assert(memcmp(v.v.buf.ptr, "\x92\x01\xa1x", 4) == 0);
    sm_val_free(&v);
    ck_assert_int_eq(unpack_one("\xd4\x01\x02", 3, &v), SM_OK); /* fixext1 */
    ck_assert_int_eq(v.type, SM_V_MSGPACK);
    sm_val_free(&v);
    sm_val c = sm_str("borrowed");
    sm_val_free(&c); /* a constructed value: nothing to free */
    ck_assert_int_eq(c.type, SM_V_NIL);
    sm_val_free(NULL);
}
END_TEST

START_TEST(items)
{
    sm_val *it;
    size_t n;
    sm_val arr = sm_msgpack("\x93\x01\xa1x\x91\xc0", 6); /* [1, "x", [nil]] */
    ck_assert_int_eq(sm_val_items(&arr, &it, &n), SM_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert(it[0].type == SM_V_INT && it[0].v.i == 1);
    ck_assert_str_eq(it[1].v.buf.ptr, "x");
    ck_assert_int_eq(it[2].type, SM_V_MSGPACK);
    sm_vals_free(it, n);

    sm_val map = sm_msgpack("\x82\xa1k\x01\x02\xc2", 6); /* {"k": 1, 2: false} */
    ck_assert_int_eq(sm_val_items(&map, &it, &n), SM_OK);
    ck_assert_uint_eq(n, 4);
    ck_assert_int_eq(it[0].type, SM_V_STR);
    ck_assert(it[1].v.i == 1 && it[2].v.i == 2);
    ck_assert(it[3].type == SM_V_BOOL && !it[3].v.b);
    sm_vals_free(it, n);

    sm_val empty = sm_msgpack("\x90", 1);
    ck_assert_int_eq(sm_val_items(&empty, &it, &n), SM_OK);
    ck_assert_uint_eq(n, 0);
    sm_vals_free(it, n);

    sm_val scalar = sm_int(1), packed_scalar = sm_msgpack("\x01", 1);
    ck_assert_int_eq(sm_val_items(&scalar, &it, &n), SM_ETYPE);
    ck_assert_int_eq(sm_val_items(&packed_scalar, &it, &n), SM_ETYPE);
    sm_val bad = sm_msgpack("\x93\x01", 2); /* truncated */
    ck_assert_int_eq(sm_val_items(&bad, &it, &n), SM_EINVAL);
    sm_vals_free(NULL, 0);
}
END_TEST

/* decode_req() - the request packed in @rq, checked against ops.def. */
static void decode_req(struct smc_req *rq, struct frame *f)
{
    ck_assert_int_eq(frame_decode(nng_msg_body(rq->msg), nng_msg_len(rq->msg), SM_MAX_DEPTH, f),
                     SM_OK);
}

START_TEST(requests)
{
    struct smc_req rq;
    struct frame f;
    sm_val k = sm_str("key"), v = sm_msgpack("\x92\x01\x02", 3);
    ck_assert_int_eq(smc_req(&rq, SMOP_dict_set, 42, "vv", &k, &v), SM_OK);
    decode_req(&rq, &f);
    ck_assert_uint_eq(f.opcode, SMOP_dict_set);
    ck_assert_uint_eq(f.handle, 42);
    ck_assert_uint_eq(f.nargs, 2);
    ck_assert(f.args[0].len == 4 && memcmp(f.args[0].raw, "\xa3key", 4) == 0);
    ck_assert(f.args[1].len == 3 && memcmp(f.args[1].raw, "\x92\x01\x02", 3) == 0);
    smc_req_abort(&rq);
    smc_req_abort(&rq);

    sm_val arr = sm_msgpack("\x91\x07", 2);
    ck_assert_int_eq(
        smc_req(&rq, SMOP_list_setslice, 1, "nnna", (int64_t)1, SM_NONE, (int64_t)-1, &arr), SM_OK);
    decode_req(&rq, &f);
    ck_assert(!f.args[0].nil && f.args[0].i == 1);
    ck_assert(f.args[1].nil);
    ck_assert(!f.args[2].nil && f.args[2].i == -1);
    ck_assert_uint_eq(f.args[3].count, 1);
    smc_req_abort(&rq);

    ck_assert_int_eq(smc_req(&rq, SMOP_lock_acquire, 3, "tu", -1, smc_thread_id()), SM_OK);
    decode_req(&rq, &f);
    ck_assert_int_eq(f.args[0].i, -1);
    ck_assert_uint_ne(f.args[1].u, 0);
    smc_req_abort(&rq);

    ck_assert_int_eq(smc_req(&rq, SMOP_open, 0, "suu", "a name", (uint64_t)SM_T_DICT,
                             (uint64_t)(SM_CREATE | SM_TEMP)),
                     SM_OK);
    decode_req(&rq, &f);
    ck_assert(f.args[0].len == 6 && memcmp(f.args[0].raw, "a name", 6) == 0);
    ck_assert_uint_eq(f.args[2].u, SM_CREATE | SM_TEMP);
    smc_req_abort(&rq);
}
END_TEST

START_TEST(request_errors)
{
    struct smc_req rq;
    sm_val notarray = sm_int(1), map = sm_msgpack("\x80", 1), garbage = sm_msgpack("\x92\x01", 2);
    sm_val two = sm_msgpack("\x01\x02", 2), empty = sm_msgpack("", 0);
    ck_assert_int_eq(smc_req(&rq, SMOP_list_extend, 1, "a", &notarray), SM_ETYPE);
    ck_assert_ptr_null(rq.msg);
    ck_assert_int_eq(smc_req(&rq, SMOP_list_extend, 1, "a", &map), SM_ETYPE);
    ck_assert_int_eq(smc_req(&rq, SMOP_dict_update, 1, "m", &map), SM_OK);
    smc_req_abort(&rq);
    ck_assert_int_eq(smc_req(&rq, SMOP_dict_get, 1, "v", &garbage), SM_EINVAL);
    ck_assert_int_eq(smc_req(&rq, SMOP_dict_get, 1, "v", &two), SM_EINVAL);
    ck_assert_int_eq(smc_req(&rq, SMOP_dict_get, 1, "v", &empty), SM_EINVAL);
    ck_assert_int_eq(smc_req(&rq, SMOP_lock_acquire, 1, "tu", -2, (uint64_t)1), SM_EINVAL);
}
END_TEST

START_TEST(misc)
{
    ck_assert_str_eq(sm_strerror(SM_ENOKEY), "no such key");
    ck_assert_str_eq(sm_strerror(9999), "unknown error");
    ck_assert_uint_eq(smc_thread_id(), smc_thread_id());
    ck_assert_uint_ne(smc_thread_id(), 0);
    sm_client *c = (sm_client *)1;
    ck_assert_int_eq(sm_connect(&c, "ipc:///nonexistent", "/nonexistent/key"), SM_ENOENT);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(sm_connect(NULL, NULL, NULL), SM_EINVAL);
    sm_disconnect(NULL);
    sm_dict_close(NULL);
    ck_assert_int_eq(sm_dict_len(NULL, NULL), SM_EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("client_values");
    TCase *tc = tcase_create("values");
    tcase_add_test(tc, constructors);
    tcase_add_test(tc, to_int_and_str);
    tcase_add_test(tc, decode_scalars);
    tcase_add_test(tc, decode_owned);
    tcase_add_test(tc, items);
    tcase_add_test(tc, requests);
    tcase_add_test(tc, request_errors);
    tcase_add_test(tc, misc);
    suite_add_tcase(s, tc);
    return check_run(s, CK_NORMAL);
}
