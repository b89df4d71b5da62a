/* test_dict_table.c - the dict's compact ordered hash table on its own. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "dict_table.h"

#define ABSENT ((size_t)-1)

static struct dict_table t;

static void setup(void)
{
    dt_init(&t);
}

static void teardown(void)
{
    dt_clear(&t);
}

/* A key "k<i>"; its hash is @i scrambled, or a constant when @collide. */
static bool collide;

static uint32_t key_of(unsigned i, char *buf, size_t *len)
{
    *len = (size_t)snprintf(buf, 16, "k%u", i);
    return collide ? 7u : i * 2654435761u;
}

static size_t find(unsigned i)
{
    char k[16];
    size_t len;
    uint32_t h = key_of(i, k, &len);
    return dt_find(&t, h, k, len);
}

static void add(unsigned i, unsigned val)
{
    char k[16];
    size_t len;
    uint32_t h = key_of(i, k, &len);
    ck_assert_uint_eq(dt_find(&t, h, k, len), ABSENT);
    struct dkv *e = dkv_new(h, k, len, &val, sizeof(val));
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(dt_reserve(&t, 1), 0);
    dt_link(&t, e);
}

static unsigned val_at(size_t pos)
{
    unsigned v;
    memcpy(&v, dkv_val(t.ent[pos]), sizeof(v));
    return v;
}

static void del(unsigned i)
{
    size_t pos = find(i);
    ck_assert_uint_ne(pos, ABSENT);
    free(dt_unlink(&t, pos));
    ck_assert_uint_eq(find(i), ABSENT);
}

/* check_order() - the live values, in order, are exactly @want[0..n). */
static void check_order(const unsigned *want, size_t n)
{
    size_t k = 0;
    DT_FOREACH (&t, i) {
        ck_assert_uint_lt(k, n);
        ck_assert_uint_eq(val_at(i), want[k]);
        k++;
    }
    ck_assert_uint_eq(k, n);
    ck_assert_uint_eq(t.count, n);
}

START_TEST(empty)
{
    ck_assert_uint_eq(find(1), ABSENT);
    ck_assert_uint_eq(dt_last(&t), ABSENT);
    check_order(NULL, 0);
}
END_TEST

START_TEST(insert_find_iterate_delete)
{
    enum { N = 100000 };
    unsigned *want = malloc(N * sizeof(*want));
    size_t n = 0;
    for (unsigned i = 0; i < N; i++)
        add(i, i);
    for (unsigned i = 0; i < N; i++)
        ck_assert_uint_eq(val_at(find(i)), i);
    for (unsigned i = 0; i < N; i++)
        want[i] = i;
    check_order(want, N);
    for (unsigned i = 0; i < N; i += 2) /* every other: holes */
        del(i);
    for (unsigned i = 1; i < N; i += 2)
        want[n++] = i;
    check_order(want, n);
    for (unsigned i = 1; i < N; i += 2)
        ck_assert_uint_eq(val_at(find(i)), i);
    add(0, 0); /* a re-added key goes to the end */
    want[n++] = 0;
    check_order(want, n);
    ck_assert_uint_eq(val_at(dt_last(&t)), 0);
    free(want);
}
END_TEST

START_TEST(replace_keeps_place)
{
    char k[16];
    size_t len;
    unsigned v = 99;
    add(1, 1);
    add(2, 2);
    add(3, 3);
    uint32_t h = key_of(2, k, &len);
    free(dt_replace(&t, find(2), dkv_new(h, k, len, &v, sizeof(v))));
    check_order((const unsigned[]){1, 99, 3}, 3);
}
END_TEST

START_TEST(last_skips_deleted_tail)
{
    for (unsigned i = 0; i < 10; i++)
        add(i, i);
    del(9);
    del(8);
    ck_assert_uint_eq(val_at(dt_last(&t)), 7);
    del(5);
    ck_assert_uint_eq(val_at(dt_last(&t)), 7);
    for (unsigned i = 0; i < 10; i++)
        if (i != 5 && i != 8 && i != 9)
            del(i);
    ck_assert_uint_eq(dt_last(&t), ABSENT);
    ck_assert_uint_eq(t.count, 0);
}
END_TEST

START_TEST(grows_and_shrinks)
{
    for (unsigned i = 0; i < 50000; i++)
        add(i, i);
    size_t big = t.capent;
    ck_assert_uint_ge(big, 50000);
    for (unsigned i = 0; i < 49990; i++)
        del(i);
    ck_assert_uint_lt(t.capent, big / 100); /* gave the memory back */
    check_order(
        (const unsigned[]){49990, 49991, 49992, 49993, 49994, 49995, 49996, 49997, 49998, 49999},
        10);
    for (unsigned i = 49990; i < 50000; i++)
        del(i);
    ck_assert_ptr_null(t.ent); /* empty: nothing allocated */
    ck_assert_ptr_null(t.idx);
}
END_TEST

/* Insert and delete at the end for ever: tombstones must not fill the
 * index (a lookup would then never meet an empty slot). */
START_TEST(churn_is_bounded)
{
    for (unsigned i = 0; i < 20; i++)
        add(i, i);
    for (unsigned i = 20; i < 200000; i++) {
        add(i, i);
        del(i);
    }
    ck_assert_uint_eq(t.count, 20);
    ck_assert_uint_le(t.capent, 64);
    ck_assert_uint_le(t.ngone * 3, (t.mask + 1) * 2);
    ck_assert_uint_eq(find(123456), ABSENT);
}
END_TEST

START_TEST(all_in_one_chain)
{
    collide = true;
    for (unsigned i = 0; i < 500; i++)
        add(i, i);
    for (unsigned i = 0; i < 500; i += 3)
        del(i);
    for (unsigned i = 0; i < 500; i++)
        ck_assert(i % 3 == 0 ? find(i) == ABSENT : val_at(find(i)) == i);
    collide = false;
}
END_TEST

START_TEST(reserve_then_link)
{
    char k[16];
    size_t len;
    ck_assert_int_eq(dt_reserve(&t, 1000), 0);
    size_t cap = t.capent;
    for (unsigned i = 0; i < 1000; i++) {
        uint32_t h = key_of(i, k, &len);
        dt_link(&t, dkv_new(h, k, len, &i, sizeof(i)));
    }
    ck_assert_uint_eq(t.capent, cap); /* no growth after the reservation */
    ck_assert_uint_eq(val_at(find(999)), 999);
    ck_assert_int_eq(dt_reserve(&t, SIZE_MAX), -1);
    ck_assert_uint_eq(t.count, 1000);
}
END_TEST

START_TEST(pair_layout)
{
    struct dkv *e = dkv_new(5, "key", 3, "value", 5);
    ck_assert_ptr_nonnull(e);
    ck_assert_mem_eq(dkv_key(e), "key", 3);
    ck_assert_mem_eq(dkv_val(e), "value", 5);
    free(e);
    e = dkv_new(5, "", 0, "", 0);
    ck_assert_ptr_nonnull(e);
    free(e);
    ck_assert_ptr_null(dkv_new(1, "k", (size_t)UINT32_MAX + 1, "", 0));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("dict_table");
    TCase *tc = tcase_create("table");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, empty);
    tcase_add_test(tc, insert_find_iterate_delete);
    tcase_add_test(tc, replace_keeps_place);
    tcase_add_test(tc, last_skips_deleted_tail);
    tcase_add_test(tc, grows_and_shrinks);
    tcase_add_test(tc, churn_is_bounded);
    tcase_add_test(tc, all_in_one_chain);
    tcase_add_test(tc, reserve_then_link);
    tcase_add_test(tc, pair_layout);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(suite(), CK_NORMAL);
}
