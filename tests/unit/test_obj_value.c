/* test_obj_value.c - Value handlers: get/set verbatim, the initial option,
 * incr on numbers (exact ints, overflow, floats, non-numbers) and cas. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "blob.h"
#include "check_run.h"
#include "unit/unit_call.h"

static struct object *v;
static size_t bytes_before;

/* with_initial() - a new value created with {"initial": <the raw value>}. */
static struct object *with_initial(const void *raw, size_t n)
{
    static const uint8_t key[] = {0x81, 0xa7, 'i', 'n', 'i', 't', 'i', 'a', 'l'};
    uint8_t opts[64];
    struct object *o = NULL;
    ck_assert_uint_le(sizeof(key) + n, sizeof(opts));
    memcpy(opts, key, sizeof(key));
    memcpy(opts + sizeof(key), raw, n);
    ck_assert_int_eq(uc_create(&o, &obj_value_type, opts, sizeof(key) + n), SM_OK);
    return o;
}

static void setup(void)
{
    bytes_before = blob_bytes_stored();
    v = uc_new(&obj_value_type);
}

static void teardown(void)
{
    uc_free(v);
    ck_assert_uint_eq(blob_bytes_stored(), bytes_before);
}

/* replace() - v becomes a new value created with the initial @raw. */
static void replace(const void *raw, size_t n)
{
    uc_free(v);
    v = with_initial(raw, n);
}

#define EXPECT_VALUE(...) UC_CALL_EXPECT(v, value_get, (""), SM_OK, __VA_ARGS__)

START_TEST(default_is_nil_and_set_is_verbatim)
{
    EXPECT_VALUE("n");
    ck_assert_uint_eq(obj_value_type.size(v), 1);
    UC_OK(v, value_set, "s", "hello");
    EXPECT_VALUE("s", "hello");
    /* any value, byte for byte: a non-canonical uint8 1 stays one */
    UC_OK(v, value_set, "r", UC_RAW(0xcc, 0x01));
    EXPECT_VALUE("r", UC_RAW(0xcc, 0x01));
    UC_OK(v, value_set, "Aisn", 3, 7, "x");
    EXPECT_VALUE("Aisn", 3, 7, "x");
}
END_TEST

START_TEST(initial_option)
{
    struct object *o;
    replace(UC_RAW(0xa2, 'h', 'i'));
    EXPECT_VALUE("s", "hi");
    replace(UC_RAW(0x92, 0x01, 0xc3));
    EXPECT_VALUE("Aib", 2, 1, 1);
    /* unknown keys and a non-map refuse */
    ck_assert_int_eq(uc_create(&o, &obj_value_type, UC_RAW(0x81, 0xa1, 'x', 0x01)), SM_EINVAL);
    ck_assert_int_eq(uc_create(&o, &obj_value_type, UC_RAW(0x81, 0x01, 0x01)), SM_EINVAL);
}
END_TEST

START_TEST(incr_ints)
{
    replace(UC_RAW(0x05));
    UC_CALL_EXPECT(v, value_incr, ("i", 3), SM_OK, "i", 8);
    EXPECT_VALUE("i", 8);
    UC_CALL_EXPECT(v, value_incr, ("i", -10), SM_OK, "i", -2);
    EXPECT_VALUE("i", -2);
    /* the sum is exact across int64 and uint64: -2 + 2^64-1 */
    UC_CALL_EXPECT(v, value_incr, ("U", UINT64_MAX), SM_OK, "U", UINT64_MAX - 2);
    UC_CALL_EXPECT(v, value_incr, ("I", INT64_MIN), SM_OK, "U", (uint64_t)INT64_MAX - 2);
    UC_CALL_EXPECT(v, value_incr, ("i", 0), SM_OK, "I", INT64_MAX - 2);
}
END_TEST

START_TEST(incr_overflow_is_evalue_and_changes_nothing)
{
    UC_OK(v, value_set, "U", UINT64_MAX);
    UC_CALL_EXPECT(v, value_incr, ("i", 1), SM_EVALUE, "");
    EXPECT_VALUE("U", UINT64_MAX);
    UC_OK(v, value_set, "I", INT64_MIN);
    UC_CALL_EXPECT(v, value_incr, ("i", -1), SM_EVALUE, "");
    UC_CALL_EXPECT(v, value_incr, ("I", INT64_MIN), SM_EVALUE, "");
    EXPECT_VALUE("I", INT64_MIN);
    /* INT64_MAX + 1 still fits (as a uint) */
    UC_OK(v, value_set, "I", INT64_MAX);
    UC_CALL_EXPECT(v, value_incr, ("i", 1), SM_OK, "U", (uint64_t)INT64_MAX + 1);
}
END_TEST

START_TEST(incr_floats)
{
    UC_OK(v, value_set, "i", 2);
    UC_CALL_EXPECT(v, value_incr, ("d", 0.5), SM_OK, "d", 2.5);
    EXPECT_VALUE("d", 2.5);
    UC_CALL_EXPECT(v, value_incr, ("i", -3), SM_OK, "d", -0.5);
    /* a float32 on the wire counts as its value; the result is float64 */
    UC_CALL_EXPECT(v, value_incr, ("r", UC_RAW(0xca, 0x3f, 0xc0, 0x00, 0x00)), SM_OK, "d", 1.0);
    /* int + 0.0 is a float, as in Python */
    UC_OK(v, value_set, "i", 7);
    UC_CALL_EXPECT(v, value_incr, ("d", 0.0), SM_OK, "d", 7.0);
}
END_TEST

START_TEST(incr_non_numbers_are_etype)
{
    UC_CALL_EXPECT(v, value_incr, ("i", 1), SM_ETYPE, ""); /* nil */
    UC_OK(v, value_set, "s", "5");
    UC_CALL_EXPECT(v, value_incr, ("i", 1), SM_ETYPE, "");
    UC_OK(v, value_set, "b", 1);
    UC_CALL_EXPECT(v, value_incr, ("i", 1), SM_ETYPE, ""); /* bool is not a number */
    EXPECT_VALUE("b", 1);
    UC_OK(v, value_set, "i", 1);
    UC_CALL_EXPECT(v, value_incr, ("b", 1), SM_ETYPE, "");
    UC_CALL_EXPECT(v, value_incr, ("s", "1"), SM_ETYPE, "");
    UC_CALL_EXPECT(v, value_incr, ("n"), SM_ETYPE, "");
    UC_CALL_EXPECT(v, value_incr, ("Ai", 1, 1), SM_ETYPE, "");
    EXPECT_VALUE("i", 1);
}
END_TEST

START_TEST(cas_both_outcomes)
{
    UC_OK(v, value_set, "s", "a");
    UC_CALL_EXPECT(v, value_cas, ("ss", "b", "c"), SM_OK, "bs", 0, "a");
    EXPECT_VALUE("s", "a");
    UC_CALL_EXPECT(v, value_cas, ("ss", "a", "c"), SM_OK, "bs", 1, "c");
    EXPECT_VALUE("s", "c");
    /* == as Python: 1 == 1.0 and a uint8 1 is 1; str and bin differ */
    UC_OK(v, value_set, "i", 1);
    UC_CALL_EXPECT(v, value_cas, ("di", 1.0, 2), SM_OK, "bi", 1, 2);
    UC_CALL_EXPECT(v, value_cas, ("ri", UC_RAW(0xcc, 0x02), 3), SM_OK, "bi", 1, 3);
    UC_OK(v, value_set, "s", "x");
    UC_CALL_EXPECT(v, value_cas, ("yi", "x", 4), SM_OK, "bs", 0, "x");
    /* nil compares equal to nil */
    UC_OK(v, value_set, "n");
    UC_CALL_EXPECT(v, value_cas, ("nAi", 1, 9), SM_OK, "bAi", 1, 1, 9);
    EXPECT_VALUE("Ai", 1, 9);
}
END_TEST

START_TEST(failures_change_nothing)
{
    UC_OK(v, value_set, "i", 1);
    UC_OOM(v, value_get, value_set, "s", "a longer string value");
    UC_OK(v, value_set, "i", 1);
    UC_OOM(v, value_get, value_incr, "i", 41);
    EXPECT_VALUE("i", 42);
    UC_OOM(v, value_get, value_cas, "is", 42, "swapped");
    EXPECT_VALUE("s", "swapped");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("obj_value");
    TCase *tc = tcase_create("value");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, default_is_nil_and_set_is_verbatim);
    tcase_add_test(tc, initial_option);
    tcase_add_test(tc, incr_ints);
    tcase_add_test(tc, incr_overflow_is_evalue_and_changes_nothing);
    tcase_add_test(tc, incr_floats);
    tcase_add_test(tc, incr_non_numbers_are_etype);
    tcase_add_test(tc, cas_both_outcomes);
    tcase_add_test(tc, failures_change_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(suite(), CK_NORMAL);
}
