/* test_obj_dict.c - dict handlers against Python's dict semantics. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "blob.h"
#include "check_run.h"
#include "unit/unit_call.h"

#define SET(d, kfmt, ...) UC_OK(d, dict_set, kfmt, __VA_ARGS__)

static struct object *d;
static size_t bytes_before;

static void setup(void)
{
    bytes_before = blob_bytes_stored();
    d = uc_new(&obj_dict_type);
}

static void teardown(void)
{
    uc_free(d);
    /* every stored blob is gone again */
    ck_assert_uint_eq(blob_bytes_stored(), bytes_before);
}

/* abc() - {"a": 1, "b": 2, "c": 3}, inserted in that order. */
static void abc(void)
{
    SET(d, "si", "a", 1);
    SET(d, "si", "b", 2);
    SET(d, "si", "c", 3);
}

START_TEST(set_get)
{
    UC_CALL_EXPECT(d, dict_get, ("s", "a"), SM_ENOKEY, "");
    SET(d, "ss", "a", "one");
    UC_CALL_EXPECT(d, dict_get, ("s", "a"), SM_OK, "s", "one");
    SET(d, "sA", "a", 0);
    UC_CALL_EXPECT(d, dict_get, ("s", "a"), SM_OK, "A", 0);
    UC_CALL_EXPECT(d, dict_len, (""), SM_OK, "i", 1);
    UC_CALL_EXPECT(d, dict_get, ("s", "b"), SM_ENOKEY, "");
}
END_TEST

START_TEST(values_are_verbatim)
{
    /* 1 packed wastefully as a uint16 comes back exactly so */
    SET(d, "sr", "k", UC_RAW(0xcd, 0x00, 0x01));
    UC_CALL_EXPECT(d, dict_get, ("s", "k"), SM_OK, "r", UC_RAW(0xcd, 0x00, 0x01));
    SET(d, "sMii", "m", 1, 1, 2);
    UC_CALL_EXPECT(d, dict_get, ("s", "m"), SM_OK, "Mii", 1, 1, 2);
}
END_TEST

START_TEST(keys_are_canonical)
{
    /* 1 as a uint8 and as a fixint are one key; keys() gives the fixint */
    SET(d, "rs", UC_RAW(0xcc, 0x01), "x");
    UC_CALL_EXPECT(d, dict_get, ("i", 1), SM_OK, "s", "x");
    UC_CALL_EXPECT(d, dict_contains, ("r", UC_RAW(0xd0, 0x01)), SM_OK, "b", 1);
    SET(d, "is", 1, "y");
    UC_CALL_EXPECT(d, dict_len, (""), SM_OK, "i", 1);
    UC_CALL_EXPECT(d, dict_keys, (""), SM_OK, "Ar", 1, UC_RAW(0x01));
    UC_CALL_EXPECT(d, dict_get, ("r", UC_RAW(0xcf, 0, 0, 0, 0, 0, 0, 0, 1)), SM_OK, "s", "y");
    /* -1 as an int16 and as a negative fixint */
    SET(d, "rs", UC_RAW(0xd1, 0xff, 0xff), "minus");
    UC_CALL_EXPECT(d, dict_get, ("i", -1), SM_OK, "s", "minus");
    /* str "a" and bin "a" are different keys */
    SET(d, "si", "a", 1);
    SET(d, "yi", "a", 2);
    UC_CALL_EXPECT(d, dict_get, ("s", "a"), SM_OK, "i", 1);
    UC_CALL_EXPECT(d, dict_get, ("y", "a"), SM_OK, "i", 2);
    UC_CALL_EXPECT(d, dict_len, (""), SM_OK, "i", 4);
    /* containers canonicalise inside: [1] with a uint8 element */
    SET(d, "rs", UC_RAW(0x91, 0xcc, 0x01), "arr");
    UC_CALL_EXPECT(d, dict_get, ("Ai", 1, 1), SM_OK, "s", "arr");
    /* a str key stored with a str8 header is found by its fixstr form */
    SET(d, "rs", UC_RAW(0xd9, 0x01, 'z'), "z8");
    UC_CALL_EXPECT(d, dict_get, ("s", "z"), SM_OK, "s", "z8");
}
END_TEST

START_TEST(del_contains)
{
    abc();
    UC_OK(d, dict_del, "s", "b");
    UC_CALL_EXPECT(d, dict_del, ("s", "b"), SM_ENOKEY, "");
    UC_CALL_EXPECT(d, dict_contains, ("s", "b"), SM_OK, "b", 0);
    UC_CALL_EXPECT(d, dict_contains, ("s", "a"), SM_OK, "b", 1);
    UC_CALL_EXPECT(d, dict_len, (""), SM_OK, "i", 2);
    UC_CALL_EXPECT(d, dict_keys, (""), SM_OK, "Ass", 2, "a", "c");
}
END_TEST

START_TEST(insertion_order)
{
    SET(d, "si", "c", 1);
    SET(d, "si", "a", 2);
    SET(d, "si", "b", 3);
    SET(d, "si", "a", 4); /* an overwrite keeps its place */
    UC_CALL_EXPECT(d, dict_keys, (""), SM_OK, "Asss", 3, "c", "a", "b");
    UC_CALL_EXPECT(d, dict_values, (""), SM_OK, "Aiii", 3, 1, 4, 3);
    UC_CALL_EXPECT(d, dict_items, (""), SM_OK, "AAsiAsiAsi", 3, 2, "c", 1, 2, "a", 4, 2, "b", 3);
    UC_CALL_EXPECT(d, dict_copy, (""), SM_OK, "Msisisi", 3, "c", 1, "a", 4, "b", 3);
    UC_OK(d, dict_del, "s", "c");
    SET(d, "si", "c", 5); /* deleted and added again: at the end */
    UC_CALL_EXPECT(d, dict_keys, (""), SM_OK, "Asss", 3, "a", "b", "c");
}
END_TEST

START_TEST(empty_views)
{
    UC_CALL_EXPECT(d, dict_len, (""), SM_OK, "i", 0);
    UC_CALL_EXPECT(d, dict_keys, (""), SM_OK, "A", 0);
    UC_CALL_EXPECT(d, dict_values, (""), SM_OK, "A", 0);
    UC_CALL_EXPECT(d, dict_items, (""), SM_OK, "A", 0);
    UC_CALL_EXPECT(d, dict_copy, (""), SM_OK, "M", 0);
}
END_TEST

START_TEST(pop)
{
    abc();
    UC_CALL_EXPECT(d, dict_pop, ("s", "b"), SM_OK, "i", 2);
    UC_CALL_EXPECT(d, dict_pop, ("s", "b"), SM_ENOKEY, "");
    UC_CALL_EXPECT(d, dict_pop, ("ss", "b", "dflt"), SM_OK, "s", "dflt");
    UC_CALL_EXPECT(d, dict_pop, ("sn", "b"), SM_OK, "n");
    UC_CALL_EXPECT(d, dict_pop, ("ss", "a", "dflt"), SM_OK, "i", 1);
    UC_CALL_EXPECT(d, dict_keys, (""), SM_OK, "As", 1, "c");
}
END_TEST

START_TEST(popitem_lifo)
{
    abc();
    SET(d, "si", "a", 10); /* an update does not make "a" the newest */
    UC_CALL_EXPECT(d, dict_popitem, (""), SM_OK, "si", "c", 3);
    UC_CALL_EXPECT(d, dict_popitem, (""), SM_OK, "si", "b", 2);
    UC_CALL_EXPECT(d, dict_popitem, (""), SM_OK, "si", "a", 10);
    UC_CALL_EXPECT(d, dict_popitem, (""), SM_ENOKEY, "");
    UC_CALL_EXPECT(d, dict_len, (""), SM_OK, "i", 0);
}
END_TEST

START_TEST(setdefault)
{
    UC_CALL_EXPECT(d, dict_setdefault, ("si", "a", 1), SM_OK, "i", 1);
    UC_CALL_EXPECT(d, dict_setdefault, ("si", "a", 2), SM_OK, "i", 1);
    UC_CALL_EXPECT(d, dict_get, ("s", "a"), SM_OK, "i", 1);
    UC_CALL_EXPECT(d, dict_setdefault, ("sn", "b"), SM_OK, "n");
    UC_CALL_EXPECT(d, dict_items, (""), SM_OK, "AAsiAsn", 2, 2, "a", 1, 2, "b");
}
END_TEST

START_TEST(update)
{
    SET(d, "si", "b", 0);
    SET(d, "si", "c", 3);
    UC_OK(d, dict_update, "Msisi", 2, "a", 1, "b", 2);
    UC_CALL_EXPECT(d, dict_items, (""), SM_OK, "AAsiAsiAsi", 3, 2, "b", 2, 2, "c", 3, 2, "a", 1);
    /* a key twice in one map: the last value wins, the first place stays;
     * map keys are canonicalised too */
    UC_OK(d, dict_update, "Msirisi", 3, "z", 1, UC_RAW(0xcc, 0x07), 7, "z", 2);
    UC_CALL_EXPECT(d, dict_keys, (""), SM_OK, "Assssi", 5, "b", "c", "a", "z", 7);
    UC_CALL_EXPECT(d, dict_get, ("s", "z"), SM_OK, "i", 2);
}
END_TEST

START_TEST(update_duplicates)
{
    UC_OK(d, dict_update, "Msisirisi", 4, "z", 1, "y", 5, UC_RAW(0xcc, 0x07), 7, "z", 2);
    UC_CALL_EXPECT(d, dict_copy, (""), SM_OK, "Msisiii", 3, "z", 2, "y", 5, 7, 7);
    UC_OK(d, dict_update, "M", 0);
    UC_CALL_EXPECT(d, dict_len, (""), SM_OK, "i", 3);
}
END_TEST

START_TEST(clear)
{
    abc();
    UC_OK(d, dict_clear, "");
    UC_CALL_EXPECT(d, dict_len, (""), SM_OK, "i", 0);
    UC_CALL_EXPECT(d, dict_get, ("s", "a"), SM_ENOKEY, "");
    SET(d, "si", "x", 1); /* usable after clear */
    UC_CALL_EXPECT(d, dict_items, (""), SM_OK, "AAsi", 1, 2, "x", 1);
}
END_TEST

START_TEST(incr)
{
    UC_CALL_EXPECT(d, dict_incr, ("si", "n", 5), SM_OK, "i", 5); /* missing = 0 */
    UC_CALL_EXPECT(d, dict_get, ("s", "n"), SM_OK, "i", 5);
    UC_CALL_EXPECT(d, dict_incr, ("si", "n", -8), SM_OK, "i", -3);
    UC_CALL_EXPECT(d, dict_get, ("s", "n"), SM_OK, "r", UC_RAW(0xfd)); /* re-packed */
    /* a value stored in a wide form is read and stored back smallest */
    SET(d, "sr", "w", UC_RAW(0xd3, 0, 0, 0, 0, 0, 0, 0, 0x05));
    UC_CALL_EXPECT(d, dict_incr, ("si", "w", 1), SM_OK, "i", 6);
    UC_CALL_EXPECT(d, dict_get, ("s", "w"), SM_OK, "r", UC_RAW(0x06));
    UC_CALL_EXPECT(d, dict_incr, ("sI", "big", (int64_t)INT64_MIN), SM_OK, "I", (int64_t)INT64_MIN);
    UC_CALL_EXPECT(d, dict_keys, (""), SM_OK, "Asss", 3, "n", "w", "big");
}
END_TEST

START_TEST(incr_errors)
{
    SET(d, "ss", "s", "text");
    UC_CALL_EXPECT(d, dict_incr, ("si", "s", 1), SM_ETYPE, "");
    UC_CALL_EXPECT(d, dict_get, ("s", "s"), SM_OK, "s", "text");
    SET(d, "sd", "f", 1.5);
    UC_CALL_EXPECT(d, dict_incr, ("si", "f", 1), SM_ETYPE, "");
    SET(d, "sb", "t", 1);
    UC_CALL_EXPECT(d, dict_incr, ("si", "t", 1), SM_ETYPE, "");
    SET(d, "sU", "u", (uint64_t)INT64_MAX + 1);
    UC_CALL_EXPECT(d, dict_incr, ("si", "u", -1), SM_ETYPE, "");
    UC_CALL_EXPECT(d, dict_get, ("s", "u"), SM_OK, "U", (uint64_t)INT64_MAX + 1);
    SET(d, "sI", "max", (int64_t)INT64_MAX);
    UC_CALL_EXPECT(d, dict_incr, ("si", "max", 1), SM_EVALUE, "");
    UC_CALL_EXPECT(d, dict_get, ("s", "max"), SM_OK, "I", (int64_t)INT64_MAX);
    UC_CALL_EXPECT(d, dict_incr, ("si", "max", -1), SM_OK, "I", (int64_t)INT64_MAX - 1);
    SET(d, "sI", "min", (int64_t)INT64_MIN);
    UC_CALL_EXPECT(d, dict_incr, ("si", "min", -1), SM_EVALUE, "");
    UC_CALL_EXPECT(d, dict_len, (""), SM_OK, "i", 6);
}
END_TEST

/* Enough keys to make the table grow several times; every one findable,
 * order kept, all freed by del. */
START_TEST(many_keys)
{
    enum { N = 5000 };
    for (int i = 0; i < N; i++)
        SET(d, "ii", i * 7 - N, i);
    UC_CALL_EXPECT(d, dict_len, (""), SM_OK, "i", N);
    for (int i = 0; i < N; i += 97)
        UC_CALL_EXPECT(d, dict_get, ("i", i * 7 - N), SM_OK, "i", i);
    UC_CALL_EXPECT(d, dict_popitem, (""), SM_OK, "ii", (N - 1) * 7 - N, N - 1);
    for (int i = 0; i < N - 1; i++)
        UC_OK(d, dict_del, "i", i * 7 - N);
    UC_CALL_EXPECT(d, dict_len, (""), SM_OK, "i", 0);
}
END_TEST

/* Whichever allocation fails, the dict stays as it was (items() and the
 * bytes stored unchanged) and the call says SM_ENOMEM. */
START_TEST(oom_leaves_dict)
{
    UC_OOM(d, dict_items, dict_set, "si", "a", 1); /* the first key makes the table */
    UC_OOM(d, dict_items, dict_set, "si", "a", 2);
    UC_OOM(d, dict_items, dict_update, "Msirisi", 3, "x", 1, UC_RAW(0xcc, 0x07), 7, "a", 3);
    UC_OOM(d, dict_items, dict_update, "Msisisi", 3, "y", 1, "x", 2, "y", 3);
    UC_OOM(d, dict_items, dict_incr, "si", "n", 5);
    UC_OOM(d, dict_items, dict_incr, "si", "n", 5);
    UC_OOM(d, dict_items, dict_setdefault, "ss", "s", "dflt");
    UC_OOM(d, dict_items, dict_pop, "s", "x");
    UC_OOM(d, dict_items, dict_popitem, "");
    UC_OOM(d, dict_items, dict_get, "s", "a");
    UC_OOM(d, dict_items, dict_keys, "");
    UC_OOM(d, dict_items, dict_copy, "");
    UC_OOM(d, dict_items, dict_del, "s", "a");
    UC_CALL_EXPECT(d, dict_items, (""), SM_OK, "AAiiAsiAsi", 3, 2, 7, 7, 2, "y", 3, 2, "n", 10);
}
END_TEST

/* At the memory limit a value can still be replaced by a shorter or an
 * equal one (the bytes it replaces are given back first); a longer one gets
 * SM_ENOMEM and changes nothing. */
START_TEST(replace_at_memory_limit)
{
    SET(d, "ss", "k", "0123456789");
    size_t used = blob_bytes_used(), stored = blob_bytes_stored();
    blob_set_limit(used);
    SET(d, "ss", "k", "abcdefghij"); /* the same length: in place */
    SET(d, "ss", "k", "01234");      /* another length: replaced */
    ck_assert_uint_eq(blob_bytes_used(), used - 5);
    ck_assert_uint_eq(blob_bytes_stored(), stored - 5);
    SET(d, "ss", "k", "0123456789"); /* back to the limit exactly */
    ck_assert_uint_eq(blob_bytes_used(), used);
    UC_CALL_EXPECT(d, dict_set, ("ss", "k", "0123456789a"), SM_ENOMEM, "");
    ck_assert_uint_eq(blob_bytes_used(), used);
    ck_assert_uint_eq(blob_bytes_stored(), stored);
    UC_CALL_EXPECT(d, dict_get, ("s", "k"), SM_OK, "s", "0123456789");
    blob_set_limit(0);
}
END_TEST

/* An update big enough that the table grows while it is applied. */
START_TEST(oom_big_update)
{
    enum { N = 400 };
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, N);
    for (int i = 0; i < N; i++) {
        msgpack_pack_int(&pk, i);
        msgpack_pack_int(&pk, -i);
    }
    SET(d, "ss", "first", "kept");
    UC_OOM(d, dict_items, dict_update, "r", sb.data, sb.size);
    UC_CALL_EXPECT(d, dict_len, (""), SM_OK, "i", N + 1);
    UC_CALL_EXPECT(d, dict_popitem, (""), SM_OK, "ii", N - 1, 1 - N);
    msgpack_sbuffer_destroy(&sb);
}
END_TEST

START_TEST(type_api)
{
    ck_assert_int_eq(obj_dict_type.code, SM_T_DICT);
    ck_assert_str_eq(obj_dict_type.name, "dict");
    abc();
    ck_assert_uint_eq(obj_dict_type.size(d), 3);
    ck_assert_uint_gt(blob_bytes_stored(), bytes_before);
}
END_TEST

static Suite *dict_suite(void)
{
    Suite *s = suite_create("obj_dict");
    TCase *tc = tcase_create("dict");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, set_get);
    tcase_add_test(tc, values_are_verbatim);
    tcase_add_test(tc, keys_are_canonical);
    tcase_add_test(tc, del_contains);
    tcase_add_test(tc, insertion_order);
    tcase_add_test(tc, empty_views);
    tcase_add_test(tc, pop);
    tcase_add_test(tc, popitem_lifo);
    tcase_add_test(tc, setdefault);
    tcase_add_test(tc, update);
    tcase_add_test(tc, update_duplicates);
    tcase_add_test(tc, clear);
    tcase_add_test(tc, incr);
    tcase_add_test(tc, incr_errors);
    tcase_add_test(tc, many_keys);
    tcase_add_test(tc, oom_leaves_dict);
    tcase_add_test(tc, oom_big_update);
    tcase_add_test(tc, replace_at_memory_limit);
    tcase_add_test(tc, type_api);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(dict_suite(), CK_NORMAL);
}
