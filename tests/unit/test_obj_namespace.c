/* test_obj_namespace.c - Namespace handlers: attributes by name, missing
 * ones (AttributeError), name limits and insertion order. */
#include <check.h>
#include <string.h>

#include "blob.h"
#include "check_run.h"
#include "unit/unit_call.h"

static struct object *ns;
static size_t bytes_before;

static void setup(void)
{
    bytes_before = blob_bytes_stored();
    ns = uc_new(&obj_namespace_type);
}

static void teardown(void)
{
    uc_free(ns);
    ck_assert_uint_eq(blob_bytes_stored(), bytes_before);
}

START_TEST(get_set_del)
{
    UC_CALL_EXPECT(ns, namespace_get, ("s", "x"), SM_ENOKEY, "");
    UC_OK(ns, namespace_set, "si", "x", 1);
    UC_CALL_EXPECT(ns, namespace_get, ("s", "x"), SM_OK, "i", 1);
    UC_OK(ns, namespace_set, "sAsn", "x", 2, "two");
    UC_CALL_EXPECT(ns, namespace_get, ("s", "x"), SM_OK, "Asn", 2, "two");
    /* values are verbatim */
    UC_OK(ns, namespace_set, "sr", "raw", UC_RAW(0xcd, 0x00, 0x01));
    UC_CALL_EXPECT(ns, namespace_get, ("s", "raw"), SM_OK, "r", UC_RAW(0xcd, 0x00, 0x01));
    ck_assert_uint_eq(obj_namespace_type.size(ns), 2);
    UC_OK(ns, namespace_del, "s", "x");
    UC_CALL_EXPECT(ns, namespace_get, ("s", "x"), SM_ENOKEY, "");
    UC_CALL_EXPECT(ns, namespace_del, ("s", "x"), SM_ENOKEY, "");
    ck_assert_uint_eq(obj_namespace_type.size(ns), 1);
    /* names are case-sensitive bytes; '_' names are ordinary */
    UC_OK(ns, namespace_set, "si", "_private", 3);
    UC_OK(ns, namespace_set, "si", "__dunder__", 4);
    UC_CALL_EXPECT(ns, namespace_get, ("s", "_private"), SM_OK, "i", 3);
    UC_CALL_EXPECT(ns, namespace_get, ("s", "__dunder__"), SM_OK, "i", 4);
    UC_CALL_EXPECT(ns, namespace_get, ("s", "RAW"), SM_ENOKEY, "");
}
END_TEST

START_TEST(name_limits)
{
    char name[257];
    memset(name, 'n', 256);
    name[256] = 0;
    UC_CALL_EXPECT(ns, namespace_set, ("si", name, 1), SM_EINVAL, "");
    UC_CALL_EXPECT(ns, namespace_get, ("s", name), SM_EINVAL, "");
    UC_CALL_EXPECT(ns, namespace_del, ("s", name), SM_EINVAL, "");
    name[255] = 0;
    UC_OK(ns, namespace_set, "si", name, 255);
    UC_CALL_EXPECT(ns, namespace_get, ("s", name), SM_OK, "i", 255);
    UC_CALL_EXPECT(ns, namespace_set, ("si", "", 1), SM_EINVAL, "");
    UC_CALL_EXPECT(ns, namespace_get, ("s", ""), SM_EINVAL, "");
    ck_assert_uint_eq(obj_namespace_type.size(ns), 1);
}
END_TEST

START_TEST(list_in_insertion_order)
{
    UC_CALL_EXPECT(ns, namespace_list, (""), SM_OK, "M", 0);
    UC_OK(ns, namespace_set, "si", "b", 1);
    UC_OK(ns, namespace_set, "si", "a", 2);
    UC_OK(ns, namespace_set, "ss", "c", "three");
    UC_CALL_EXPECT(ns, namespace_list, (""), SM_OK, "Msisiss", 3, "b", 1, "a", 2, "c", "three");
    /* overwriting keeps the place; deleting and setting again goes last */
    UC_OK(ns, namespace_set, "si", "b", 10);
    UC_OK(ns, namespace_del, "s", "a");
    UC_OK(ns, namespace_set, "sn", "a");
    UC_CALL_EXPECT(ns, namespace_list, (""), SM_OK, "Msisssn", 3, "b", 10, "c", "three", "a");
}
END_TEST

START_TEST(options_refused)
{
    struct object *o;
    ck_assert_int_eq(uc_create(&o, &obj_namespace_type, UC_RAW(0x81, 0xa1, 'x', 0x01)), SM_EINVAL);
}
END_TEST

START_TEST(failures_change_nothing)
{
    UC_OK(ns, namespace_set, "si", "kept", 1);
    UC_OOM(ns, namespace_list, namespace_set, "ss", "new", "value");
    UC_OOM(ns, namespace_list, namespace_set, "ss", "kept", "replaced");
    UC_CALL_EXPECT(ns, namespace_list, (""), SM_OK, "Mssss", 2, "kept", "replaced", "new", "value");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("obj_namespace");
    TCase *tc = tcase_create("namespace");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, get_set_del);
    tcase_add_test(tc, name_limits);
    tcase_add_test(tc, list_in_insertion_order);
    tcase_add_test(tc, options_refused);
    tcase_add_test(tc, failures_change_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(suite(), CK_NORMAL);
}
