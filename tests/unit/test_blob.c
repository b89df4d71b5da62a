/*
 * test_blob.c - the memory limit where stored values are allocated
 * (blob.h): blobs and reservations count against it, a request that would
 * pass it fails and counts nothing, and freeing gives the bytes back.
 */
#include <check.h>
#include <string.h>

#include "blob.h"
#include "check_run.h"

static void teardown(void)
{
    blob_set_limit(0);
}

START_TEST(blobs_count_with_their_overhead)
{
    size_t used = blob_bytes_used(), stored = blob_bytes_stored();
    struct blob *b = blob_new("abc", 3);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(blob_bytes_stored(), stored + 3);
    ck_assert_uint_eq(blob_bytes_used(), used + 3 + BLOB_OVERHEAD);
    blob_free(b);
    ck_assert_uint_eq(blob_bytes_stored(), stored);
    ck_assert_uint_eq(blob_bytes_used(), used);
}
END_TEST

START_TEST(limit_refuses_then_frees)
{
    static char buf[1000];
    struct blob *b[64];
    size_t n = 0, used = blob_bytes_used();
    blob_set_limit(used + 10 * (sizeof(buf) + BLOB_OVERHEAD));
    while (n < 64 && (b[n] = blob_new(buf, sizeof(buf))))
        n++;
    ck_assert_uint_eq(n, 10); /* exactly to the limit */
    ck_assert_uint_eq(blob_bytes_used(), used + 10 * (sizeof(buf) + BLOB_OVERHEAD));
    ck_assert(!blob_reserve(1)); /* a refusal counts nothing */
    ck_assert_uint_eq(blob_bytes_used(), used + 10 * (sizeof(buf) + BLOB_OVERHEAD));
    ck_assert_ptr_null(blob_new("x", 1));
    blob_free(b[--n]); /* deleting makes room */
    ck_assert(blob_reserve(100));
    blob_release(100);
    ck_assert_ptr_nonnull(b[n] = blob_new(buf, sizeof(buf)));
    n++;
    while (n)
        blob_free(b[--n]);
    ck_assert_uint_eq(blob_bytes_used(), used);
}
END_TEST

START_TEST(huge_reservation_does_not_wrap)
{
    blob_set_limit(1 << 20);
    ck_assert(!blob_reserve((size_t)-1));
    size_t room = ((size_t)1 << 20) - blob_bytes_used();
    ck_assert(!blob_reserve(room + 1));
    ck_assert(blob_reserve(room)); /* exactly full */
    blob_release(room);
    blob_set_limit(0); /* no limit: anything that fits in memory */
    ck_assert(blob_reserve(1 << 20));
    blob_release(1 << 20);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("blob");
    TCase *tc = tcase_create("blob");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, blobs_count_with_their_overhead);
    tcase_add_test(tc, limit_refuses_then_frees);
    tcase_add_test(tc, huge_reservation_does_not_wrap);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(suite(), CK_NORMAL);
}
