/* test_obj_array.c - Array handlers: creation options, typecodes and their
 * type/range checks, Python indexes and slices (expected results computed
 * with Python's list and array), and all-or-nothing slice assignment. */
#include <check.h>
#include <float.h>
#include <stdint.h>
#include <string.h>

#include "check_run.h"
#include "unit/unit_call.h"

#define NONE UC_NONE /* a slice bound or step given as nil (Python's None) */

static struct object *a;

/**
 * create() - an array from {"typecode": @code (unless NULL), "length":
 * @length (unless < 0), "initial": @init (packed, unless NULL)}.
 */
static int create(struct object **out, const char *code, int64_t length, const void *init,
                  size_t init_len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, (code != NULL) + (length >= 0) + (init != NULL));
    if (code) {
        msgpack_pack_str_with_body(&pk, "typecode", 8);
        msgpack_pack_str_with_body(&pk, code, strlen(code));
    }
    if (length >= 0) {
        msgpack_pack_str_with_body(&pk, "length", 6);
        msgpack_pack_int64(&pk, length);
    }
    if (init) {
        msgpack_pack_str_with_body(&pk, "initial", 7);
        msgpack_sbuffer_write(&sb, init, init_len);
    }
    int rc = uc_create(out, &obj_array_type, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

/* use() - a becomes a new array of typecode @code and @length zeros. */
static void use(const char *code, int64_t length)
{
    if (a)
        uc_free(a);
    a = NULL;
    ck_assert_int_eq(create(&a, code, length, NULL, 0), SM_OK);
}

static void teardown(void)
{
    if (a)
        uc_free(a);
    a = NULL;
}

/* ints() - @n ints packed as one array into @sb (destroyed by the caller). */
static void ints(msgpack_sbuffer *sb, const int64_t *v, size_t n)
{
    msgpack_packer pk;
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, n);
    for (size_t i = 0; i < n; i++)
        msgpack_pack_int64(&pk, v[i]);
}

#define INTS(...) (const int64_t[]){__VA_ARGS__}, sizeof((const int64_t[]){__VA_ARGS__}) / 8
#define NO_INTS (const int64_t *)NULL, 0

/* getslice() - a[start:stop:step] must reply the ints @want. */
static bool getslice(int64_t start, int64_t stop, int64_t step, const int64_t *want, size_t n)
{
    msgpack_sbuffer sb;
    struct uc_reply r;
    ints(&sb, want, n);
    uc_call(&r, a, UC_OP(array_getslice), "ooo", start, stop, step);
    bool ok = uc_expect(&r, SM_OK, "r", sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    return ok;
}

/* setslice() - a[start:stop:step] = the ints @v; returns the status. */
static int setslice(int64_t start, int64_t stop, int64_t step, const int64_t *v, size_t n)
{
    msgpack_sbuffer sb;
    ints(&sb, v, n);
    int rc = uc_run(a, UC_OP(array_setslice), "ooor", start, stop, step, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

/* GETSLICE(start, stop, step, INTS(...)) - fails at the caller's line. */
#define GETSLICE(...) ck_assert_msg(getslice(__VA_ARGS__), "%s", uc_error)
/* EXPECT_ALL(INTS(...)) - the whole array. */
#define EXPECT_ALL(...) GETSLICE(NONE, NONE, NONE, __VA_ARGS__)

/* fill10() - a is array('q', range(10)). */
static void fill10(void)
{
    use("q", 10);
    ck_assert_int_eq(setslice(NONE, NONE, NONE, INTS(0, 1, 2, 3, 4, 5, 6, 7, 8, 9)), SM_OK);
}

START_TEST(create_options)
{
    struct object *o;
    static const uint8_t three[] = {0x93, 0x01, 0x02, 0x03};
    /* typecode: required, one known character, a str */
    ck_assert_int_eq(create(&o, NULL, 3, NULL, 0), SM_EINVAL);
    ck_assert_int_eq(create(&o, "z", 3, NULL, 0), SM_EINVAL);
    ck_assert_int_eq(create(&o, "qq", 3, NULL, 0), SM_EINVAL);
    ck_assert_int_eq(create(&o, "", 3, NULL, 0), SM_EINVAL);
    ck_assert_int_eq(uc_create(&o, &obj_array_type,
                               UC_RAW(0x81, 0xa8, 't', 'y', 'p', 'e', 'c', 'o', 'd', 'e', 0x71)),
                     SM_EINVAL);
    ck_assert_int_eq(uc_create(&o, &obj_array_type,
                               UC_RAW(0x82, 0xa8, 't', 'y', 'p', 'e', 'c', 'o', 'd', 'e', 0xa1, 'q',
                                      0xa1, 'x', 0x01)),
                     SM_EINVAL);
    /* length alone: zeros */
    use("q", 3);
    ck_assert_uint_eq(obj_array_type.size(a), 3);
    UC_CALL_EXPECT(a, array_len, (""), SM_OK, "i", 3);
    EXPECT_ALL(INTS(0, 0, 0));
    use("d", 2);
    UC_CALL_EXPECT(a, array_getslice, ("nnn"), SM_OK, "Add", 2, 0.0, 0.0);
    use("q", 0);
    EXPECT_ALL(NO_INTS);
    /* initial gives the length; a length too must agree */
    teardown();
    ck_assert_int_eq(create(&a, "B", -1, three, sizeof(three)), SM_OK);
    EXPECT_ALL(INTS(1, 2, 3));
    teardown();
    ck_assert_int_eq(create(&a, "B", 3, three, sizeof(three)), SM_OK);
    EXPECT_ALL(INTS(1, 2, 3));
    ck_assert_int_eq(create(&o, "B", 4, three, sizeof(three)), SM_EINVAL);
    ck_assert_int_eq(create(&o, "B", 0, three, sizeof(three)), SM_EINVAL);
    ck_assert_int_eq(create(&o, "B", -1, UC_RAW(0x01)), SM_EINVAL);
    /* its elements are checked as set() checks them */
    ck_assert_int_eq(create(&o, "B", -1, UC_RAW(0x92, 0x01, 0xcd, 0x01, 0x00)), SM_EVALUE);
    ck_assert_int_eq(create(&o, "q", -1, UC_RAW(0x92, 0x01, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0)),
                     SM_ETYPE);
    ck_assert_int_eq(create(&o, "q", -1, UC_RAW(0x91, 0xc3)), SM_ETYPE);
    ck_assert_int_eq(create(&o, "d", -1, UC_RAW(0x91, 0xa1, 'x')), SM_ETYPE);
}
END_TEST

START_TEST(get_set_indexes)
{
    fill10();
    UC_CALL_EXPECT(a, array_get, ("i", 0), SM_OK, "i", 0);
    UC_CALL_EXPECT(a, array_get, ("i", 9), SM_OK, "i", 9);
    UC_CALL_EXPECT(a, array_get, ("i", -1), SM_OK, "i", 9);
    UC_CALL_EXPECT(a, array_get, ("i", -10), SM_OK, "i", 0);
    UC_CALL_EXPECT(a, array_get, ("i", 10), SM_EINDEX, "");
    UC_CALL_EXPECT(a, array_get, ("i", -11), SM_EINDEX, "");
    UC_OK(a, array_set, "ii", -2, 80);
    UC_OK(a, array_set, "ii", 0, -5);
    UC_CALL_EXPECT(a, array_set, ("ii", 10, 1), SM_EINDEX, "");
    UC_CALL_EXPECT(a, array_set, ("ii", -11, 1), SM_EINDEX, "");
    EXPECT_ALL(INTS(-5, 1, 2, 3, 4, 5, 6, 7, 80, 9));
}
END_TEST

/* Integer typecodes: ints only, within the C type's range, read back exact. */
START_TEST(integer_ranges)
{
    use("B", 2);
    UC_OK(a, array_set, "ii", 0, 255);
    UC_CALL_EXPECT(a, array_set, ("ii", 0, 256), SM_EVALUE, "");
    UC_CALL_EXPECT(a, array_set, ("ii", 0, -1), SM_EVALUE, "");
    UC_CALL_EXPECT(a, array_get, ("i", 0), SM_OK, "i", 255);
    use("b", 1);
    UC_OK(a, array_set, "ii", 0, -128); /* sign-extended on the way out */
    UC_CALL_EXPECT(a, array_get, ("i", 0), SM_OK, "i", -128);
    UC_CALL_EXPECT(a, array_set, ("ii", 0, 128), SM_EVALUE, "");
    use("h", 1);
    UC_OK(a, array_set, "ii", 0, -1);
    UC_CALL_EXPECT(a, array_get, ("i", 0), SM_OK, "i", -1);
    use("i", 1);
    UC_OK(a, array_set, "iI", 0, (int64_t)INT32_MIN);
    UC_CALL_EXPECT(a, array_get, ("i", 0), SM_OK, "I", (int64_t)INT32_MIN);
    UC_OK(a, array_set, "iI", 0, (int64_t)INT32_MAX);
    UC_CALL_EXPECT(a, array_get, ("i", 0), SM_OK, "I", (int64_t)INT32_MAX);
    UC_CALL_EXPECT(a, array_set, ("iI", 0, (int64_t)INT32_MAX + 1), SM_EVALUE, "");
    UC_CALL_EXPECT(a, array_set, ("iI", 0, (int64_t)INT32_MIN - 1), SM_EVALUE, "");
    UC_CALL_EXPECT(a, array_get, ("i", 0), SM_OK, "I", (int64_t)INT32_MAX);
    use("I", 1);
    UC_OK(a, array_set, "iU", 0, (uint64_t)UINT32_MAX);
    UC_CALL_EXPECT(a, array_get, ("i", 0), SM_OK, "U", (uint64_t)UINT32_MAX);
    use("q", 1);
    UC_OK(a, array_set, "iI", 0, INT64_MIN);
    UC_CALL_EXPECT(a, array_get, ("i", 0), SM_OK, "I", INT64_MIN);
    UC_CALL_EXPECT(a, array_set, ("iU", 0, (uint64_t)INT64_MAX + 1), SM_EVALUE, "");
    use("Q", 1);
    UC_OK(a, array_set, "iU", 0, UINT64_MAX);
    UC_CALL_EXPECT(a, array_get, ("i", 0), SM_OK, "U", UINT64_MAX);
    UC_CALL_EXPECT(a, array_set, ("ii", 0, -1), SM_EVALUE, "");
    /* not an int: TypeError, bool included */
    UC_CALL_EXPECT(a, array_set, ("id", 0, 1.0), SM_ETYPE, "");
    UC_CALL_EXPECT(a, array_set, ("ib", 0, 1), SM_ETYPE, "");
    UC_CALL_EXPECT(a, array_set, ("in", 0), SM_ETYPE, "");
    UC_CALL_EXPECT(a, array_set, ("is", 0, "1"), SM_ETYPE, "");
    UC_CALL_EXPECT(a, array_get, ("i", 0), SM_OK, "U", UINT64_MAX);
}
END_TEST

/* Float typecodes: ints or floats, replied as float64. */
START_TEST(float_elements)
{
    use("d", 3);
    UC_OK(a, array_set, "ii", 0, 3);
    UC_OK(a, array_set, "id", 1, 0.1);
    UC_OK(a, array_set, "ir", 2, UC_RAW(0xca, 0x3f, 0xc0, 0x00, 0x00)); /* float32 1.5 */
    UC_CALL_EXPECT(a, array_getslice, ("nnn"), SM_OK, "Addd", 3, 3.0, 0.1, 1.5);
    UC_CALL_EXPECT(a, array_set, ("is", 0, "x"), SM_ETYPE, "");
    UC_CALL_EXPECT(a, array_set, ("ib", 0, 0), SM_ETYPE, "");
    UC_CALL_EXPECT(a, array_get, ("i", 0), SM_OK, "d", 3.0);
    /* float32 storage rounds as Python's array('f') does: 0.1 reads back
     * as 0.10000000149011612; a too large value becomes inf */
    use("f", 2);
    UC_OK(a, array_set, "id", 0, 0.1);
    UC_CALL_EXPECT(a, array_get, ("i", 0), SM_OK, "d", (double)0.1f);
    UC_CALL_EXPECT(a, array_get, ("i", 0), SM_OK, "d", 0.10000000149011612);
    UC_OK(a, array_set, "id", 1, DBL_MAX);
    UC_CALL_EXPECT(a, array_get, ("i", 1), SM_OK, "d", (double)(float)DBL_MAX);
}
END_TEST

/* Expected results: Python's list(range(10))[start:stop:step]. */
START_TEST(getslice_python)
{
    fill10();
    GETSLICE(NONE, NONE, 2, INTS(0, 2, 4, 6, 8));
    GETSLICE(NONE, NONE, -1, INTS(9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
    GETSLICE(-3, NONE, NONE, INTS(7, 8, 9));
    GETSLICE(1, 8, 3, INTS(1, 4, 7));
    GETSLICE(8, 1, -3, INTS(8, 5, 2));
    GETSLICE(5, 2, NONE, NO_INTS);
    GETSLICE(-100, 100, NONE, INTS(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
    GETSLICE(7, -100, -2, INTS(7, 5, 3, 1));
    GETSLICE(-2, NONE, -4, INTS(8, 4, 0));
    GETSLICE(INT64_MAX, INT64_MIN + 1, INT64_MIN + 1, INTS(9));
    UC_CALL_EXPECT(a, array_getslice, ("nni", 0), SM_EVALUE, "");
    /* float types reply floats */
    use("f", 3);
    UC_OK(a, array_setslice, "nnnAidi", 3, 1, 2.5, -4);
    UC_CALL_EXPECT(a, array_getslice, ("nni", -1), SM_OK, "Addd", 3, -4.0, 2.5, 1.0);
}
END_TEST

START_TEST(setslice_python)
{
    fill10();
    ck_assert_int_eq(setslice(NONE, NONE, 3, INTS(90, 93, 96, 99)), SM_OK);
    EXPECT_ALL(INTS(90, 1, 2, 93, 4, 5, 96, 7, 8, 99));
    fill10();
    ck_assert_int_eq(setslice(-1, -8, -3, INTS(71, 72, 73)), SM_OK);
    EXPECT_ALL(INTS(0, 1, 2, 73, 4, 5, 72, 7, 8, 71));
    ck_assert_int_eq(setslice(2, 4, NONE, INTS(20, 30)), SM_OK);
    ck_assert_int_eq(setslice(5, 2, NONE, NO_INTS), SM_OK); /* empty: nothing */
    EXPECT_ALL(INTS(0, 1, 20, 30, 4, 5, 72, 7, 8, 71));
    ck_assert_int_eq(setslice(NONE, NONE, 0, NO_INTS), SM_EVALUE);
}
END_TEST

/* The length never changes and every value is checked first. */
START_TEST(setslice_all_or_nothing)
{
    fill10();
    ck_assert_int_eq(setslice(2, 5, NONE, INTS(1, 2)), SM_EVALUE);       /* too few */
    ck_assert_int_eq(setslice(2, 5, NONE, INTS(1, 2, 3, 4)), SM_EVALUE); /* too many */
    ck_assert_int_eq(setslice(NONE, NONE, 2, INTS(1, 2, 3, 4)), SM_EVALUE);
    ck_assert_int_eq(setslice(5, 2, NONE, INTS(1)), SM_EVALUE);
    /* a bad last value leaves the first ones unchanged */
    UC_CALL_EXPECT(a, array_setslice, ("iinAiid", 0, 3, 3, 11, 12, 1.5), SM_ETYPE, "");
    UC_CALL_EXPECT(a, array_setslice, ("iinAiiU", 0, 3, 3, 11, 12, UINT64_MAX), SM_EVALUE, "");
    UC_CALL_EXPECT(a, array_setslice, ("iinAiis", 0, 3, 3, 11, 12, "x"), SM_ETYPE, "");
    EXPECT_ALL(INTS(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
    use("B", 3);
    UC_CALL_EXPECT(a, array_setslice, ("nnnAiii", 3, 1, 2, 256), SM_EVALUE, "");
    EXPECT_ALL(INTS(0, 0, 0));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("obj_array");
    TCase *tc = tcase_create("array");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, create_options);
    tcase_add_test(tc, get_set_indexes);
    tcase_add_test(tc, integer_ranges);
    tcase_add_test(tc, float_elements);
    tcase_add_test(tc, getslice_python);
    tcase_add_test(tc, setslice_python);
    tcase_add_test(tc, setslice_all_or_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(suite(), CK_NORMAL);
}
