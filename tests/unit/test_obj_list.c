/* test_obj_list.c - list handlers against Python's list semantics. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "check_run.h"
#include "unit/unit_call.h"

static struct object *l;
static size_t bytes_before;

static void setup(void)
{
    bytes_before = blob_bytes_stored();
    l = uc_new(&obj_list_type);
}

static void teardown(void)
{
    uc_free(l);
    ck_assert_uint_eq(blob_bytes_stored(), bytes_before);
}

/* fill() - the list becomes [0, 1, ..., n-1]. */
static void fill(int n)
{
    for (int i = 0; i < n; i++)
        UC_OK(l, list_append, "i", i);
}

/* Lists of small ints written as digit strings: "041" is [0, 4, 1]. */
struct digits {
    uint8_t b[32];
    size_t n;
};

static struct digits digits(const char *s)
{
    struct digits d = {.n = 0};
    d.b[d.n++] = (uint8_t)(0x90 | strlen(s));
    for (; *s; s++)
        d.b[d.n++] = (uint8_t)(*s - '0');
    return d;
}

/* EXPECT_LIST(s) - the whole list, as copy() returns it, is the digits s. */
#define EXPECT_LIST(s)                                                                             \
    do {                                                                                           \
        struct digits want_ = digits(s);                                                           \
        UC_CALL_EXPECT(l, list_copy, (""), SM_OK, "r", (const void *)want_.b, want_.n);            \
    } while (0)

/* A slice bound or step: an int, or NONE for nil (Python's None). */
#define NONE 999

/* bound() - @v as uc_call()'s 'o' argument. */
static int64_t bound(int v)
{
    return v == NONE ? UC_NONE : v;
}

/* slice_call() - a slice op with start, stop, step (NONE for nil). */
static int slice_call(struct uc_reply *r, unsigned opcode, op_fn *fn, int start, int stop, int step)
{
    return uc_call(r, l, opcode, fn, "ooo", bound(start), bound(stop), bound(step));
}

START_TEST(append_get_len)
{
    UC_CALL_EXPECT(l, list_len, (""), SM_OK, "i", 0);
    UC_CALL_EXPECT(l, list_get, ("i", 0), SM_EINDEX, "");
    UC_CALL_EXPECT(l, list_get, ("i", -1), SM_EINDEX, "");
    UC_OK(l, list_append, "s", "a");
    UC_OK(l, list_append, "r", UC_RAW(0xcd, 0x00, 0x01)); /* kept verbatim */
    UC_OK(l, list_append, "Ain", 2, 1);
    UC_CALL_EXPECT(l, list_len, (""), SM_OK, "i", 3);
    UC_CALL_EXPECT(l, list_get, ("i", 0), SM_OK, "s", "a");
    UC_CALL_EXPECT(l, list_get, ("i", 1), SM_OK, "r", UC_RAW(0xcd, 0x00, 0x01));
    UC_CALL_EXPECT(l, list_get, ("i", -1), SM_OK, "Ain", 2, 1);
    UC_CALL_EXPECT(l, list_get, ("i", -3), SM_OK, "s", "a");
    UC_CALL_EXPECT(l, list_get, ("i", 3), SM_EINDEX, "");
    UC_CALL_EXPECT(l, list_get, ("i", -4), SM_EINDEX, "");
    UC_CALL_EXPECT(l, list_get, ("I", (int64_t)INT64_MIN), SM_EINDEX, "");
}
END_TEST

START_TEST(set_del)
{
    fill(4);
    UC_OK(l, list_set, "ii", -1, 9);
    UC_OK(l, list_set, "ii", 0, 8);
    UC_CALL_EXPECT(l, list_set, ("ii", 4, 1), SM_EINDEX, "");
    UC_CALL_EXPECT(l, list_set, ("ii", -5, 1), SM_EINDEX, "");
    EXPECT_LIST("8129");
    UC_OK(l, list_del, "i", -2);
    UC_OK(l, list_del, "i", 0);
    UC_CALL_EXPECT(l, list_del, ("i", 2), SM_EINDEX, "");
    UC_CALL_EXPECT(l, list_del, ("i", -3), SM_EINDEX, "");
    EXPECT_LIST("19");
}
END_TEST

START_TEST(insert_clamps)
{
    UC_OK(l, list_insert, "ii", 5, 1);    /* empty: at 0 */
    UC_OK(l, list_insert, "ii", 100, 3);  /* past the end: append */
    UC_OK(l, list_insert, "ii", -1, 2);   /* before the last */
    UC_OK(l, list_insert, "ii", -100, 0); /* before the start: prepend */
    UC_OK(l, list_insert, "ii", 2, 7);
    EXPECT_LIST("01723");
}
END_TEST

START_TEST(extend)
{
    UC_OK(l, list_extend, "A", 0);
    EXPECT_LIST("");
    UC_OK(l, list_extend, "Aii", 2, 0, 1);
    UC_OK(l, list_extend, "Aiii", 3, 2, 3, 4);
    UC_OK(l, list_extend, "A", 0);
    EXPECT_LIST("01234");
    UC_OK(l, list_extend, "AsAi", 2, "x", 1, 5);
    UC_CALL_EXPECT(l, list_getslice, ("inn", -2), SM_OK, "AsAi", 2, "x", 1, 5);
}
END_TEST

START_TEST(pop)
{
    fill(5);
    UC_CALL_EXPECT(l, list_pop, (""), SM_OK, "i", 4);
    UC_CALL_EXPECT(l, list_pop, ("i", 0), SM_OK, "i", 0);
    UC_CALL_EXPECT(l, list_pop, ("i", -2), SM_OK, "i", 2);
    UC_CALL_EXPECT(l, list_pop, ("i", 2), SM_EINDEX, "");
    UC_CALL_EXPECT(l, list_pop, ("i", -3), SM_EINDEX, "");
    EXPECT_LIST("13");
    UC_CALL_EXPECT(l, list_pop, (""), SM_OK, "i", 3);
    UC_CALL_EXPECT(l, list_pop, (""), SM_OK, "i", 1);
    UC_CALL_EXPECT(l, list_pop, (""), SM_EINDEX, "");
    UC_CALL_EXPECT(l, list_pop, ("i", 0), SM_EINDEX, "");
}
END_TEST

START_TEST(remove_first_equal)
{
    UC_OK(l, list_extend, "Aiisid", 5, 1, 2, "x", 2, 1.0);
    UC_OK(l, list_remove, "i", 2); /* the first equal item only */
    UC_CALL_EXPECT(l, list_copy, (""), SM_OK, "Aisid", 4, 1, "x", 2, 1.0);
    UC_OK(l, list_remove, "d", 2.0);                           /* == as Python: 2.0 == 2 */
    UC_CALL_EXPECT(l, list_remove, ("y", "x"), SM_EVALUE, ""); /* bin "x" != str "x" */
    UC_OK(l, list_remove, "s", "x");
    UC_OK(l, list_remove, "d", 1.0); /* removes the int 1, the first equal */
    UC_CALL_EXPECT(l, list_copy, (""), SM_OK, "Ad", 1, 1.0);
    UC_CALL_EXPECT(l, list_remove, ("i", 7), SM_EVALUE, "");
    UC_CALL_EXPECT(l, list_copy, (""), SM_OK, "Ad", 1, 1.0);
}
END_TEST

/* [0, 1, 2, 1, 0].index(...) as Python answers it */
START_TEST(index_bounds)
{
    UC_OK(l, list_extend, "Aiiiii", 5, 0, 1, 2, 1, 0);
    UC_CALL_EXPECT(l, list_index, ("i", 1), SM_OK, "i", 1);
    UC_CALL_EXPECT(l, list_index, ("ii", 1, 2), SM_OK, "i", 3);
    UC_CALL_EXPECT(l, list_index, ("ii", 1, -2), SM_OK, "i", 3);
    UC_CALL_EXPECT(l, list_index, ("ii", 0, -1), SM_OK, "i", 4);
    UC_CALL_EXPECT(l, list_index, ("iii", 0, -100, 100), SM_OK, "i", 0);
    UC_CALL_EXPECT(l, list_index, ("iii", 1, 0, -1), SM_OK, "i", 1);
    UC_CALL_EXPECT(l, list_index, ("iin", 0, 1), SM_OK, "i", 4);
    UC_CALL_EXPECT(l, list_index, ("ini", 1, -1), SM_OK, "i", 1);
    UC_CALL_EXPECT(l, list_index, ("inn", 2), SM_OK, "i", 2);
    UC_CALL_EXPECT(l, list_index, ("d", 2.0), SM_OK, "i", 2);
    UC_CALL_EXPECT(l, list_index, ("iii", 1, 0, 1), SM_EVALUE, "");
    UC_CALL_EXPECT(l, list_index, ("iii", 1, 4, 2), SM_EVALUE, "");
    UC_CALL_EXPECT(l, list_index, ("ii", 0, 10), SM_EVALUE, "");
    UC_CALL_EXPECT(l, list_index, ("i", 5), SM_EVALUE, "");
    UC_CALL_EXPECT(l, list_index, ("s", "0"), SM_EVALUE, "");
}
END_TEST

START_TEST(count_contains)
{
    UC_OK(l, list_extend, "Aiidsi", 5, 1, 2, 1.0, "1", 1);
    UC_CALL_EXPECT(l, list_count, ("i", 1), SM_OK, "i", 3);
    UC_CALL_EXPECT(l, list_count, ("s", "1"), SM_OK, "i", 1);
    UC_CALL_EXPECT(l, list_count, ("i", 3), SM_OK, "i", 0);
    UC_CALL_EXPECT(l, list_contains, ("i", 2), SM_OK, "b", 1);
    UC_CALL_EXPECT(l, list_contains, ("d", 2.0), SM_OK, "b", 1);
    UC_CALL_EXPECT(l, list_contains, ("y", "1"), SM_OK, "b", 0);
    UC_CALL_EXPECT(l, list_contains, ("n"), SM_OK, "b", 0);
}
END_TEST

/* Every slice of list(range(7)) below, with Python's answers for a[s] and
 * for what del a[s] leaves (generated by CPython 3). */
static const struct {
    int start, stop, step;
    const char *get, *del;
} slices[] = {
    /* clang-format off */
    {NONE, NONE, NONE, "0123456", ""},
    {NONE, NONE, -2, "6420", "135"},
    {NONE, NONE, -1, "6543210", ""},
    {NONE, NONE, 3, "036", "1245"},
    {NONE, -9, NONE, "", "0123456"},
    {NONE, -9, -2, "6420", "135"},
    {NONE, -9, -1, "6543210", ""},
    {NONE, -9, 3, "", "0123456"},
    {NONE, -2, NONE, "01234", "56"},
    {NONE, -2, -2, "6", "012345"},
    {NONE, -2, -1, "6", "012345"},
    {NONE, -2, 3, "03", "12456"},
    {NONE, 0, NONE, "", "0123456"},
    {NONE, 0, -2, "642", "0135"},
    {NONE, 0, -1, "654321", "0"},
    {NONE, 0, 3, "", "0123456"},
    {NONE, 5, NONE, "01234", "56"},
    {NONE, 5, -2, "6", "012345"},
    {NONE, 5, -1, "6", "012345"},
    {NONE, 5, 3, "03", "12456"},
    {-9, NONE, NONE, "0123456", ""},
    {-9, NONE, -2, "", "0123456"},
    {-9, NONE, -1, "", "0123456"},
    {-9, NONE, 3, "036", "1245"},
    {-9, -9, NONE, "", "0123456"},
    {-9, -9, -2, "", "0123456"},
    {-9, -9, -1, "", "0123456"},
    {-9, -9, 3, "", "0123456"},
    {-9, -2, NONE, "01234", "56"},
    {-9, -2, -2, "", "0123456"},
    {-9, -2, -1, "", "0123456"},
    {-9, -2, 3, "03", "12456"},
    {-9, 0, NONE, "", "0123456"},
    {-9, 0, -2, "", "0123456"},
    {-9, 0, -1, "", "0123456"},
    {-9, 0, 3, "", "0123456"},
    {-9, 5, NONE, "01234", "56"},
    {-9, 5, -2, "", "0123456"},
    {-9, 5, -1, "", "0123456"},
    {-9, 5, 3, "03", "12456"},
    {-2, NONE, NONE, "56", "01234"},
    {-2, NONE, -2, "531", "0246"},
    {-2, NONE, -1, "543210", "6"},
    {-2, NONE, 3, "5", "012346"},
    {-2, -9, NONE, "", "0123456"},
    {-2, -9, -2, "531", "0246"},
    {-2, -9, -1, "543210", "6"},
    {-2, -9, 3, "", "0123456"},
    {-2, -2, NONE, "", "0123456"},
    {-2, -2, -2, "", "0123456"},
    {-2, -2, -1, "", "0123456"},
    {-2, -2, 3, "", "0123456"},
    {-2, 0, NONE, "", "0123456"},
    {-2, 0, -2, "531", "0246"},
    {-2, 0, -1, "54321", "06"},
    {-2, 0, 3, "", "0123456"},
    {-2, 5, NONE, "", "0123456"},
    {-2, 5, -2, "", "0123456"},
    {-2, 5, -1, "", "0123456"},
    {-2, 5, 3, "", "0123456"},
    {3, NONE, NONE, "3456", "012"},
    {3, NONE, -2, "31", "02456"},
    {3, NONE, -1, "3210", "456"},
    {3, NONE, 3, "36", "01245"},
    {3, -9, NONE, "", "0123456"},
    {3, -9, -2, "31", "02456"},
    {3, -9, -1, "3210", "456"},
    {3, -9, 3, "", "0123456"},
    {3, -2, NONE, "34", "01256"},
    {3, -2, -2, "", "0123456"},
    {3, -2, -1, "", "0123456"},
    {3, -2, 3, "3", "012456"},
    {3, 0, NONE, "", "0123456"},
    {3, 0, -2, "31", "02456"},
    {3, 0, -1, "321", "0456"},
    {3, 0, 3, "", "0123456"},
    {3, 5, NONE, "34", "01256"},
    {3, 5, -2, "", "0123456"},
    {3, 5, -1, "", "0123456"},
    {3, 5, 3, "3", "012456"},
    {9, NONE, NONE, "", "0123456"},
    {9, NONE, -2, "6420", "135"},
    {9, NONE, -1, "6543210", ""},
    {9, NONE, 3, "", "0123456"},
    {9, -9, NONE, "", "0123456"},
    {9, -9, -2, "6420", "135"},
    {9, -9, -1, "6543210", ""},
    {9, -9, 3, "", "0123456"},
    {9, -2, NONE, "", "0123456"},
    {9, -2, -2, "6", "012345"},
    {9, -2, -1, "6", "012345"},
    {9, -2, 3, "", "0123456"},
    {9, 0, NONE, "", "0123456"},
    {9, 0, -2, "642", "0135"},
    {9, 0, -1, "654321", "0"},
    {9, 0, 3, "", "0123456"},
    {9, 5, NONE, "", "0123456"},
    {9, 5, -2, "6", "012345"},
    {9, 5, -1, "6", "012345"},
    {9, 5, 3, "", "0123456"},
    /* clang-format on */
};

START_TEST(slice_table)
{
    for (size_t i = 0; i < sizeof(slices) / sizeof(slices[0]); i++) {
        struct digits get = digits(slices[i].get), rest = digits(slices[i].del);
        struct uc_reply r;
        UC_OK(l, list_clear, "");
        fill(7);
        slice_call(&r, UC_OP(list_getslice), slices[i].start, slices[i].stop, slices[i].step);
        ck_assert_msg(uc_expect(&r, SM_OK, "r", (const void *)get.b, get.n), "a[%d:%d:%d]: %s",
                      slices[i].start, slices[i].stop, slices[i].step, uc_error);
        slice_call(&r, UC_OP(list_delslice), slices[i].start, slices[i].stop, slices[i].step);
        UC_EXPECT(&r, SM_OK, "");
        uc_call(&r, l, UC_OP(list_copy), "");
        ck_assert_msg(uc_expect(&r, SM_OK, "r", (const void *)rest.b, rest.n),
                      "del a[%d:%d:%d]: %s", slices[i].start, slices[i].stop, slices[i].step,
                      uc_error);
    }
}
END_TEST

START_TEST(slice_extremes)
{
    struct uc_reply r;
    fill(7);
    UC_CALL_EXPECT(l, list_getslice, ("nnI", (int64_t)INT64_MIN), SM_OK, "r", UC_RAW(0x91, 6));
    UC_CALL_EXPECT(l, list_getslice, ("IIi", (int64_t)INT64_MAX, (int64_t)INT64_MIN, -1), SM_OK,
                   "r", UC_RAW(0x97, 6, 5, 4, 3, 2, 1, 0));
    UC_CALL_EXPECT(l, list_getslice, ("nnI", (int64_t)INT64_MAX), SM_OK, "r", UC_RAW(0x91, 0));
    UC_CALL_EXPECT(l, list_getslice, ("IIn", (int64_t)INT64_MIN, (int64_t)INT64_MAX), SM_OK, "r",
                   UC_RAW(0x97, 0, 1, 2, 3, 4, 5, 6));
    slice_call(&r, UC_OP(list_getslice), NONE, NONE, 0);
    UC_EXPECT(&r, SM_EVALUE, "");
    slice_call(&r, UC_OP(list_delslice), 1, 3, 0);
    UC_EXPECT(&r, SM_EVALUE, "");
    UC_CALL_EXPECT(l, list_setslice, ("nniA", 0, 0), SM_EVALUE, "");
    UC_CALL_EXPECT(l, list_delslice, ("nnI", (int64_t)INT64_MIN), SM_OK, "");
    EXPECT_LIST("012345");
}
END_TEST

/* a = list(range(5)); a[start:stop:step] = value; a -- as Python does it */
START_TEST(setslice)
{
    static const struct {
        int start, stop, step;
        const char *value, *after;
    } cases[] = {
        {4, 1, NONE, "9", "012394"}, /* an empty range inserts at start */
        {NONE, NONE, 2, "789", "71839"},
        {NONE, NONE, -2, "789", "91837"},
        {-2, NONE, NONE, "", "012"},
        {1, 3, NONE, "6789", "0678934"},
        {1, 3, 1, "6789", "0678934"}, /* step 1 is a simple slice too */
        {NONE, 0, NONE, "9", "901234"},
        {100, NONE, NONE, "9", "012349"},
        {-100, -100, NONE, "9", "901234"},
        {NONE, NONE, -1, "56789", "98765"},
        {1, 1, 2, "", "01234"}, /* empty extended slice, empty value */
        {3, 0, -1, "987", "07894"},
        {NONE, NONE, NONE, "", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct digits v = digits(cases[i].value), want = digits(cases[i].after);
        struct uc_reply r;
        UC_OK(l, list_clear, "");
        fill(5);
        uc_call(&r, l, UC_OP(list_setslice), "ooor", bound(cases[i].start), bound(cases[i].stop),
                bound(cases[i].step), (const void *)v.b, v.n);
        ck_assert_msg(uc_expect(&r, SM_OK, ""), "case %zu: %s", i, uc_error);
        uc_call(&r, l, UC_OP(list_copy), "");
        ck_assert_msg(uc_expect(&r, SM_OK, "r", (const void *)want.b, want.n), "case %zu: %s", i,
                      uc_error);
    }
}
END_TEST

START_TEST(setslice_errors)
{
    fill(5);
    /* an extended slice keeps its length: a[::2] has 3 items, a[::-1] 5 */
    UC_CALL_EXPECT(l, list_setslice, ("nniAii", 2, 2, 1, 2), SM_EVALUE, "");
    UC_CALL_EXPECT(l, list_setslice, ("nniAii", -1, 2, 1, 2), SM_EVALUE, "");
    UC_CALL_EXPECT(l, list_setslice, ("nniA", 0, 0), SM_EVALUE, "");
    EXPECT_LIST("01234");
    /* values are stored verbatim */
    UC_OK(l, list_setslice, "innAsr", 1, 2, "x", UC_RAW(0xcd, 0x00, 0x01));
    UC_CALL_EXPECT(l, list_copy, (""), SM_OK, "Aisr", 3, 0, "x", UC_RAW(0xcd, 0x00, 0x01));
}
END_TEST

START_TEST(setslice_empty_list)
{
    UC_OK(l, list_setslice, "nnnAii", 2, 1, 2);
    EXPECT_LIST("12");
    UC_OK(l, list_setslice, "nnnA", 0);
    EXPECT_LIST("");
}
END_TEST

START_TEST(reverse_in_place)
{
    UC_OK(l, list_reverse, "");
    EXPECT_LIST("");
    fill(1);
    UC_OK(l, list_reverse, "");
    EXPECT_LIST("0");
    fill(4);
    UC_OK(l, list_reverse, "");
    EXPECT_LIST("32100");
    UC_OK(l, list_append, "i", 9);
    UC_OK(l, list_reverse, "");
    EXPECT_LIST("900123");
}
END_TEST

START_TEST(sort_basic)
{
    UC_OK(l, list_sort, "");
    UC_OK(l, list_extend, "Aidii", 4, 2, 1.5, -1, 0);
    UC_OK(l, list_sort, "");
    UC_CALL_EXPECT(l, list_copy, (""), SM_OK, "Aiidi", 4, -1, 0, 1.5, 2);
    UC_OK(l, list_sort, "b", 1);
    UC_CALL_EXPECT(l, list_copy, (""), SM_OK, "Aidii", 4, 2, 1.5, 0, -1);
    UC_OK(l, list_sort, "b", 0);
    UC_CALL_EXPECT(l, list_copy, (""), SM_OK, "Aiidi", 4, -1, 0, 1.5, 2);
    UC_OK(l, list_clear, "");
    UC_OK(l, list_extend, "Asss", 3, "b", "ab", "a");
    UC_OK(l, list_sort, "");
    UC_CALL_EXPECT(l, list_copy, (""), SM_OK, "Asss", 3, "a", "ab", "b");
    UC_OK(l, list_clear, "");
    UC_OK(l, list_extend, "AAiiAiAii", 3, 2, 1, 2, 1, 1, 2, 0, 5);
    UC_OK(l, list_sort, "");
    UC_CALL_EXPECT(l, list_copy, (""), SM_OK, "AAiiAiAii", 3, 2, 0, 5, 1, 1, 2, 1, 2);
}
END_TEST

/* Encodings of the same small number: equal to Python, byte-distinct, so
 * the order they come out in shows whether the sort is stable. */
static void pack_enc(msgpack_sbuffer *sb, int v, int enc)
{
    /* type byte and value bytes of fixint, uint8, uint16, int8, int64 */
    static const struct {
        uint8_t type;
        size_t n;
    } forms[] = {{0, 0}, {0xcc, 1}, {0xcd, 2}, {0xd0, 1}, {0xd3, 8}};
    uint8_t b[9] = {0};
    if (enc >= 5) { /* float64 */
        msgpack_packer pk;
        msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
        msgpack_pack_double(&pk, v);
        return;
    }
    b[0] = forms[enc].type;
    b[forms[enc].n] = (uint8_t)v;
    msgpack_sbuffer_write(sb, (const char *)b, forms[enc].n + 1);
}

static void sort_stable(bool reverse)
{
    enum { N = 37 };
    msgpack_sbuffer items, want;
    struct uc_reply r;
    msgpack_sbuffer_init(&items);
    msgpack_sbuffer_init(&want);
    for (int i = 0; i < N; i++)
        pack_enc(&items, (i * 7) % 3, i % 6);
    /* expected: by value, and within a value in the original order */
    for (int v = 0; v < 3; v++)
        for (int i = 0; i < N; i++)
            if ((i * 7) % 3 == (reverse ? 2 - v : v))
                pack_enc(&want, (i * 7) % 3, i % 6);
    uc_call(&r, l, UC_OP(list_extend), "Ar", N, items.data, items.size);
    UC_EXPECT(&r, SM_OK, "");
    if (reverse)
        UC_OK(l, list_sort, "b", 1);
    else
        UC_OK(l, list_sort, "");
    uc_call(&r, l, UC_OP(list_copy), "");
    UC_EXPECT(&r, SM_OK, "Ar", N, want.data, want.size);
    msgpack_sbuffer_destroy(&items);
    msgpack_sbuffer_destroy(&want);
}

START_TEST(sort_is_stable)
{
    sort_stable(false);
}
END_TEST

START_TEST(sort_reverse_is_stable)
{
    sort_stable(true);
}
END_TEST

START_TEST(sort_incomparable_leaves_list)
{
    /* the left half gets sorted before "x" meets a number */
    UC_OK(l, list_extend, "Aiiiiis", 6, 5, 4, 3, 2, 1, "x");
    UC_CALL_EXPECT(l, list_sort, (""), SM_ETYPE, "");
    UC_CALL_EXPECT(l, list_copy, (""), SM_OK, "Aiiiiis", 6, 5, 4, 3, 2, 1, "x");
    UC_CALL_EXPECT(l, list_sort, ("b", 1), SM_ETYPE, "");
    UC_CALL_EXPECT(l, list_copy, (""), SM_OK, "Aiiiiis", 6, 5, 4, 3, 2, 1, "x");
    UC_OK(l, list_clear, "");
    UC_OK(l, list_extend, "AAisAii", 2, 2, 1, "a", 2, 1, 2); /* [[1, "a"], [1, 2]] */
    UC_CALL_EXPECT(l, list_sort, (""), SM_ETYPE, "");
    UC_OK(l, list_clear, "");
    UC_OK(l, list_extend, "AMiiMii", 2, 1, 1, 1, 1, 2, 2); /* dicts have no order */
    UC_CALL_EXPECT(l, list_sort, (""), SM_ETYPE, "");
    UC_CALL_EXPECT(l, list_copy, (""), SM_OK, "AMiiMii", 2, 1, 1, 1, 1, 2, 2);
    UC_OK(l, list_clear, "");
    UC_OK(l, list_extend, "AM", 1, 0); /* one item: nothing to compare */
    UC_OK(l, list_sort, "");
}
END_TEST

START_TEST(clear_copy)
{
    fill(3);
    EXPECT_LIST("012");
    UC_OK(l, list_clear, "");
    UC_CALL_EXPECT(l, list_len, (""), SM_OK, "i", 0);
    EXPECT_LIST("");
    UC_OK(l, list_clear, "");
    fill(2);
    EXPECT_LIST("01");
}
END_TEST

/* Grow well past the first allocation, then shrink through slices. */
START_TEST(grow_shrink)
{
    enum { N = 1000 };
    for (int i = 0; i < N; i++)
        UC_OK(l, list_insert, "ii", i / 2, i);
    UC_CALL_EXPECT(l, list_len, (""), SM_OK, "i", N);
    UC_CALL_EXPECT(l, list_get, ("i", 0), SM_OK, "i", 1);
    UC_CALL_EXPECT(l, list_get, ("i", -1), SM_OK, "i", 0);
    UC_OK(l, list_delslice, "nni", 2);
    UC_CALL_EXPECT(l, list_len, (""), SM_OK, "i", N / 2);
    UC_OK(l, list_delslice, "inn", 3);
    UC_CALL_EXPECT(l, list_getslice, ("nnn"), SM_OK, "Aiii", 3, 3, 7, 11);
}
END_TEST

/* Whichever allocation fails, the list stays as it was (copy() and the
 * bytes stored unchanged) and the call says SM_ENOMEM. */
START_TEST(oom_leaves_list)
{
    UC_OOM(l, list_copy, list_append, "i", 5); /* the first item allocates the array */
    UC_OOM(l, list_copy, list_insert, "ii", 0, 4);
    UC_OOM(l, list_copy, list_extend, "Aiii", 3, 3, 2, 1);
    UC_OOM(l, list_copy, list_setslice, "iinAiiiiiiiii", 1, 2, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    UC_OOM(l, list_copy, list_setslice, "nniAiii", 6, 3, 7, 8, 9);
    UC_OOM(l, list_copy, list_set, "ii", -1, 6);
    UC_OOM(l, list_copy, list_sort, "");
    UC_OOM(l, list_copy, list_getslice, "nni", -1);
    UC_OOM(l, list_copy, list_get, "i", 0);
    UC_OOM(l, list_copy, list_pop, "i", 0);
    UC_OOM(l, list_copy, list_delslice, "nni", 2);
    EXPECT_LIST("000268");
}
END_TEST

START_TEST(type_api)
{
    ck_assert_int_eq(obj_list_type.code, SM_T_LIST);
    ck_assert_str_eq(obj_list_type.name, "list");
    fill(4);
    ck_assert_uint_eq(obj_list_type.size(l), 4);
    ck_assert_uint_eq(blob_bytes_stored(), bytes_before + 4);
}
END_TEST

static Suite *list_suite(void)
{
    Suite *s = suite_create("obj_list");
    TCase *tc = tcase_create("list");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, append_get_len);
    tcase_add_test(tc, set_del);
    tcase_add_test(tc, insert_clamps);
    tcase_add_test(tc, extend);
    tcase_add_test(tc, pop);
    tcase_add_test(tc, remove_first_equal);
    tcase_add_test(tc, index_bounds);
    tcase_add_test(tc, count_contains);
    tcase_add_test(tc, slice_table);
    tcase_add_test(tc, slice_extremes);
    tcase_add_test(tc, setslice);
    tcase_add_test(tc, setslice_errors);
    tcase_add_test(tc, setslice_empty_list);
    tcase_add_test(tc, reverse_in_place);
    tcase_add_test(tc, sort_basic);
    tcase_add_test(tc, sort_is_stable);
    tcase_add_test(tc, sort_reverse_is_stable);
    tcase_add_test(tc, sort_incomparable_leaves_list);
    tcase_add_test(tc, clear_copy);
    tcase_add_test(tc, grow_shrink);
    tcase_add_test(tc, oom_leaves_list);
    tcase_add_test(tc, type_api);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(list_suite(), CK_NORMAL);
}
