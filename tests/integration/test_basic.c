/*
 * test_basic.c - dict and list end to end through libsyncmgr against the
 * real broker: exact results of every method, open flags, temporary
 * objects, and one client shared by several threads.
 */
#include <check.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "harness.h"

static struct sm_broker broker;
static sm_client *cli;

static void setup(void)
{
    memset(&broker, 0, sizeof(broker));
    ck_assert_int_eq(broker_start(&broker, NULL), 0);
    ck_sm(broker_connect(&broker, &cli), SM_OK);
}

static void teardown(void)
{
    sm_disconnect(cli);
    cli = NULL;
    broker_stop(&broker, true);
}

/* A packed msgpack value built in a test: ints_array(&sb, 3, 1, 2, 3). */
static sm_val ints_array(msgpack_sbuffer *sb, int n, ...)
{
    msgpack_packer pk;
    va_list ap;
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, (size_t)n);
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        msgpack_pack_int64(&pk, va_arg(ap, int));
    va_end(ap);
    return sm_msgpack(sb->data, sb->size);
}

START_TEST(test_ping)
{
    char *version = NULL;
    ck_sm(sm_ping(cli, &version), SM_OK);
    ck_assert_ptr_nonnull(version);
    ck_assert_str_eq(version, SM_VERSION);
    free(version);
    ck_sm(sm_ping(cli, NULL), SM_OK);
}
END_TEST

START_TEST(test_dict)
{
    sm_dict *d;
    sm_val v = {0}, k = {0};
    size_t n;
    bool b;
    int64_t r;
    msgpack_sbuffer sb;
    msgpack_packer pk;

    ck_sm(sm_dict_open(cli, "d", SM_CREATE, NULL, &d), SM_OK);
    ck_sm(sm_dict_len(d, &n), SM_OK);
    ck_assert_uint_eq(n, 0);

    ck_sm(sm_dict_set(d, sm_str("a"), sm_int(1)), SM_OK);
    ck_sm(sm_dict_set(d, sm_str("b"), sm_int(2)), SM_OK);
    ck_sm(sm_dict_set(d, sm_int(3), sm_str("three")), SM_OK);
    ck_sm(sm_dict_get(d, sm_str("a"), &v), SM_OK);
    ck_repr(v, "1");
    ck_sm(sm_dict_get(d, sm_int(3), &v), SM_OK);
    ck_repr(v, "'three'");
    ck_sm(sm_dict_get(d, sm_str("zz"), &v), SM_ENOKEY);
    ck_sm(sm_dict_len(d, &n), SM_OK);
    ck_assert_uint_eq(n, 3);
    ck_sm(sm_dict_contains(d, sm_str("a"), &b), SM_OK);
    ck_assert(b);
    ck_sm(sm_dict_contains(d, sm_str("zz"), &b), SM_OK);
    ck_assert(!b);

    ck_sm(sm_dict_keys(d, &v), SM_OK);
    ck_repr(v, "['a', 'b', 3]");
    ck_sm(sm_dict_values(d, &v), SM_OK);
    ck_repr(v, "[1, 2, 'three']");
    ck_sm(sm_dict_items(d, &v), SM_OK);
    ck_repr(v, "[['a', 1], ['b', 2], [3, 'three']]");

    ck_sm(sm_dict_del(d, sm_str("b")), SM_OK);
    ck_sm(sm_dict_del(d, sm_str("b")), SM_ENOKEY);
    ck_sm(sm_dict_keys(d, &v), SM_OK);
    ck_repr(v, "['a', 3]");

    /* keys compare by value: uint 3 is int 3 (and keeps its place); str and bin differ */
    ck_sm(sm_dict_set(d, sm_uint(3), sm_str("x")), SM_OK);
    ck_sm(sm_dict_get(d, sm_int(3), &v), SM_OK);
    ck_repr(v, "'x'");
    ck_sm(sm_dict_set(d, sm_bin("a", 1), sm_str("bin")), SM_OK);
    ck_sm(sm_dict_len(d, &n), SM_OK);
    ck_assert_uint_eq(n, 3);
    ck_sm(sm_dict_get(d, sm_str("a"), &v), SM_OK);
    ck_repr(v, "1");
    ck_sm(sm_dict_items(d, &v), SM_OK);
    ck_repr(v, "[['a', 1], [3, 'x'], [b'a', 'bin']]");

    /* pop / pop with default */
    ck_sm(sm_dict_pop(d, sm_str("a"), &v), SM_OK);
    ck_repr(v, "1");
    ck_sm(sm_dict_pop(d, sm_str("a"), &v), SM_ENOKEY);
    ck_sm(sm_dict_pop_default(d, sm_str("a"), sm_int(-1), &v), SM_OK);
    ck_repr(v, "-1");
    ck_sm(sm_dict_pop_default(d, sm_bin("a", 1), sm_int(-1), &v), SM_OK);
    ck_repr(v, "'bin'");

    /* setdefault inserts once */
    ck_sm(sm_dict_setdefault(d, sm_str("n"), sm_int(10), &v), SM_OK);
    ck_repr(v, "10");
    ck_sm(sm_dict_setdefault(d, sm_str("n"), sm_int(20), &v), SM_OK);
    ck_repr(v, "10");

    /* popitem: the last inserted */
    ck_sm(sm_dict_popitem(d, &k, &v), SM_OK);
    ck_repr(k, "'n'");
    ck_repr(v, "10");

    /* update from a map: new keys appended, existing ones replaced in place */
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    msgpack_pack_str_with_body(&pk, "u1", 2);
    msgpack_pack_int(&pk, 1);
    msgpack_pack_int(&pk, 3);
    msgpack_pack_str_with_body(&pk, "y", 1);
    msgpack_pack_str_with_body(&pk, "u2", 2);
    msgpack_pack_array(&pk, 2);
    msgpack_pack_nil(&pk);
    msgpack_pack_true(&pk);
    ck_sm(sm_dict_update(d, sm_msgpack(sb.data, sb.size)), SM_OK);
    msgpack_sbuffer_destroy(&sb);
    ck_sm(sm_dict_copy(d, &v), SM_OK);
    ck_repr(v, "{3: 'y', 'u1': 1, 'u2': [None, True]}");

    /* incr: a missing key counts as 0; not an integer -> SM_ETYPE */
    ck_sm(sm_dict_incr(d, sm_str("cnt"), 5, &r), SM_OK);
    ck_assert_int_eq(r, 5);
    ck_sm(sm_dict_incr(d, sm_str("cnt"), -7, &r), SM_OK);
    ck_assert_int_eq(r, -2);
    ck_sm(sm_dict_get(d, sm_str("cnt"), &v), SM_OK);
    ck_repr(v, "-2");
    ck_sm(sm_dict_incr(d, sm_int(3), 1, &r), SM_ETYPE);
    ck_sm(sm_dict_get(d, sm_int(3), &v), SM_OK);
    ck_repr(v, "'y'");

    /* values of every scalar kind come back as they went in */
    ck_sm(sm_dict_set(d, sm_str("f"), sm_f64(1.5)), SM_OK);
    ck_sm(sm_dict_get(d, sm_str("f"), &v), SM_OK);
    ck_repr(v, "1.5");
    ck_sm(sm_dict_set(d, sm_str("nil"), sm_nil()), SM_OK);
    ck_sm(sm_dict_get(d, sm_str("nil"), &v), SM_OK);
    ck_assert(sm_val_is_nil(&v));
    sm_val_free(&v);
    ck_sm(sm_dict_set(d, sm_str("big"), sm_uint(UINT64_MAX)), SM_OK);
    ck_sm(sm_dict_get(d, sm_str("big"), &v), SM_OK);
    ck_repr(v, "18446744073709551615");
    ck_sm(sm_dict_set(d, sm_str("s"), sm_strn("a\0b", 3)), SM_OK);
    ck_sm(sm_dict_get(d, sm_str("s"), &v), SM_OK);
    ck_repr(v, "'a\\x00b'");

    ck_sm(sm_dict_clear(d), SM_OK);
    ck_sm(sm_dict_len(d, &n), SM_OK);
    ck_assert_uint_eq(n, 0);
    ck_sm(sm_dict_popitem(d, &k, &v), SM_ENOKEY);
    ck_sm(sm_dict_copy(d, &v), SM_OK);
    ck_repr(v, "{}");
    sm_dict_close(d);
}
END_TEST

START_TEST(test_list)
{
    sm_list *l;
    sm_val v = {0};
    size_t n;
    bool b;
    msgpack_sbuffer sb;

    ck_sm(sm_list_open(cli, "l", SM_CREATE, NULL, &l), SM_OK);
    ck_sm(sm_list_append(l, sm_int(1)), SM_OK);
    ck_sm(sm_list_append(l, sm_int(2)), SM_OK);
    ck_sm(sm_list_append(l, sm_int(3)), SM_OK);
    ck_sm(sm_list_extend(l, ints_array(&sb, 2, 4, 5)), SM_OK);
    msgpack_sbuffer_destroy(&sb);
    ck_sm(sm_list_insert(l, 0, sm_int(0)), SM_OK);
    ck_sm(sm_list_insert(l, 100, sm_int(6)), SM_OK); /* clamped, as in Python */
    ck_sm(sm_list_insert(l, -1, sm_str("x")), SM_OK);
    ck_sm(sm_list_copy(l, &v), SM_OK);
    ck_repr(v, "[0, 1, 2, 3, 4, 5, 'x', 6]");

    ck_sm(sm_list_pop(l, -1, &v), SM_OK);
    ck_repr(v, "6");
    ck_sm(sm_list_pop(l, 6, &v), SM_OK);
    ck_repr(v, "'x'");
    ck_sm(sm_list_pop(l, 100, &v), SM_EINDEX);
    ck_sm(sm_list_pop(l, -7, &v), SM_EINDEX);

    ck_sm(sm_list_get(l, 0, &v), SM_OK);
    ck_repr(v, "0");
    ck_sm(sm_list_get(l, -1, &v), SM_OK);
    ck_repr(v, "5");
    ck_sm(sm_list_get(l, 6, &v), SM_EINDEX);
    ck_sm(sm_list_get(l, -7, &v), SM_EINDEX);
    ck_sm(sm_list_len(l, &n), SM_OK);
    ck_assert_uint_eq(n, 6);

    ck_sm(sm_list_remove(l, sm_int(3)), SM_OK);
    ck_sm(sm_list_remove(l, sm_int(99)), SM_EVALUE);
    ck_sm(sm_list_index(l, sm_int(4), &n), SM_OK);
    ck_assert_uint_eq(n, 3);
    ck_sm(sm_list_index(l, sm_int(99), &n), SM_EVALUE);
    ck_sm(sm_list_append(l, sm_int(1)), SM_OK);
    ck_sm(sm_list_count(l, sm_int(1), &n), SM_OK);
    ck_assert_uint_eq(n, 2);
    ck_sm(sm_list_count(l, sm_uint(1), &n), SM_OK); /* equal by value */
    ck_assert_uint_eq(n, 2);
    ck_sm(sm_list_count(l, sm_int(99), &n), SM_OK);
    ck_assert_uint_eq(n, 0);
    ck_sm(sm_list_copy(l, &v), SM_OK);
    ck_repr(v, "[0, 1, 2, 4, 5, 1]");

    ck_sm(sm_list_set(l, 0, sm_int(10)), SM_OK);
    ck_sm(sm_list_set(l, -1, sm_int(11)), SM_OK);
    ck_sm(sm_list_set(l, 10, sm_int(0)), SM_EINDEX);
    ck_sm(sm_list_del(l, 1), SM_OK);
    ck_sm(sm_list_del(l, 9), SM_EINDEX);
    ck_sm(sm_list_copy(l, &v), SM_OK);
    ck_repr(v, "[10, 2, 4, 5, 11]");

    /* slices */
    ck_sm(sm_list_getslice(l, 1, 3, 1, &v), SM_OK);
    ck_repr(v, "[2, 4]");
    ck_sm(sm_list_getslice(l, SM_NONE, SM_NONE, -1, &v), SM_OK);
    ck_repr(v, "[11, 5, 4, 2, 10]");
    ck_sm(sm_list_getslice(l, SM_NONE, SM_NONE, 2, &v), SM_OK);
    ck_repr(v, "[10, 4, 11]");
    ck_sm(sm_list_getslice(l, -2, SM_NONE, SM_NONE, &v), SM_OK);
    ck_repr(v, "[5, 11]");
    ck_sm(sm_list_getslice(l, 7, 100, 1, &v), SM_OK);
    ck_repr(v, "[]");
    ck_sm(sm_list_getslice(l, SM_NONE, SM_NONE, 0, &v), SM_EVALUE);

    ck_sm(sm_list_setslice(l, 1, 3, 1, ints_array(&sb, 3, 20, 21, 22)), SM_OK);
    msgpack_sbuffer_destroy(&sb);
    ck_sm(sm_list_copy(l, &v), SM_OK);
    ck_repr(v, "[10, 20, 21, 22, 5, 11]");
    ck_sm(sm_list_setslice(l, SM_NONE, SM_NONE, 2, ints_array(&sb, 3, 100, 101, 102)), SM_OK);
    msgpack_sbuffer_destroy(&sb);
    ck_sm(sm_list_copy(l, &v), SM_OK);
    ck_repr(v, "[100, 20, 101, 22, 102, 11]");
    ck_sm(sm_list_setslice(l, SM_NONE, SM_NONE, 2, ints_array(&sb, 2, 7, 8)), SM_EVALUE);
    msgpack_sbuffer_destroy(&sb);
    ck_sm(sm_list_delslice(l, SM_NONE, SM_NONE, 2), SM_OK);
    ck_sm(sm_list_copy(l, &v), SM_OK);
    ck_repr(v, "[20, 22, 11]");

    ck_sm(sm_list_reverse(l), SM_OK);
    ck_sm(sm_list_copy(l, &v), SM_OK);
    ck_repr(v, "[11, 22, 20]");
    ck_sm(sm_list_sort(l, false), SM_OK);
    ck_sm(sm_list_copy(l, &v), SM_OK);
    ck_repr(v, "[11, 20, 22]");
    ck_sm(sm_list_sort(l, true), SM_OK);
    ck_sm(sm_list_copy(l, &v), SM_OK);
    ck_repr(v, "[22, 20, 11]");

    ck_sm(sm_list_contains(l, sm_int(20), &b), SM_OK);
    ck_assert(b);
    ck_sm(sm_list_contains(l, sm_int(99), &b), SM_OK);
    ck_assert(!b);

    /* str < int is a TypeError in Python */
    ck_sm(sm_list_append(l, sm_str("s")), SM_OK);
    ck_sm(sm_list_sort(l, false), SM_ETYPE);

    ck_sm(sm_list_clear(l), SM_OK);
    ck_sm(sm_list_len(l, &n), SM_OK);
    ck_assert_uint_eq(n, 0);
    ck_sm(sm_list_get(l, 0, &v), SM_EINDEX);
    ck_sm(sm_list_pop(l, -1, &v), SM_EINDEX);
    ck_sm(sm_list_copy(l, &v), SM_OK);
    ck_repr(v, "[]");
    sm_list_close(l);
}
END_TEST

START_TEST(test_open_flags)
{
    sm_dict *d, *d2;
    sm_list *l;
    sm_val v = {0};

    ck_sm(sm_dict_open(cli, "obj", 0, NULL, &d), SM_ENOENT);
    ck_sm(sm_dict_open(cli, "obj", SM_CREATE, NULL, &d), SM_OK);
    ck_sm(sm_dict_set(d, sm_str("k"), sm_int(1)), SM_OK);
    ck_sm(sm_dict_open(cli, "obj", SM_CREATE | SM_EXCL, NULL, &d2), SM_EEXIST);
    ck_sm(sm_dict_open(cli, "obj", 0, NULL, &d2), SM_OK);
    ck_sm(sm_dict_get(d2, sm_str("k"), &v), SM_OK); /* the same object */
    ck_repr(v, "1");
    sm_dict_close(d2);
    ck_sm(sm_dict_open(cli, "obj", SM_CREATE, NULL, &d2), SM_OK); /* opens, keeps data */
    ck_sm(sm_dict_get(d2, sm_str("k"), &v), SM_OK);
    ck_repr(v, "1");
    sm_dict_close(d2);
    ck_sm(sm_list_open(cli, "obj", 0, NULL, &l), SM_ETYPE);
    ck_sm(sm_list_open(cli, "obj", SM_CREATE, NULL, &l), SM_ETYPE);

    ck_sm(sm_unlink(cli, "obj"), SM_OK);
    ck_sm(sm_dict_get(d, sm_str("k"), &v), SM_ENOENT);
    ck_sm(sm_dict_set(d, sm_str("k"), sm_int(2)), SM_ENOENT);
    ck_sm(sm_unlink(cli, "obj"), SM_ENOENT);
    sm_dict_close(d);

    /* a new object under the old name is a new object */
    ck_sm(sm_list_open(cli, "obj", SM_CREATE | SM_EXCL, NULL, &l), SM_OK);
    sm_list_close(l);

    /* names: 1..255 bytes of printable UTF-8 */
    char name[300];
    memset(name, 'n', sizeof(name));
    name[255] = 0;
    ck_sm(sm_dict_open(cli, name, SM_CREATE, NULL, &d), SM_OK);
    sm_dict_close(d);
    name[255] = 'n';
    name[256] = 0;
    ck_sm(sm_dict_open(cli, name, SM_CREATE, NULL, &d), SM_EINVAL);
    ck_sm(sm_dict_open(cli, "", SM_CREATE, NULL, &d), SM_EINVAL);
    ck_sm(sm_dict_open(cli, "bad\nname", SM_CREATE, NULL, &d), SM_EINVAL);
    ck_sm(sm_dict_open(cli, "caf\xc3\xa9", SM_CREATE, NULL, &d), SM_OK);
    sm_dict_close(d);
}
END_TEST

START_TEST(test_temp)
{
    sm_client *a, *b2, *c2;
    sm_dict *da, *db;
    sm_val v = {0};

    ck_sm(broker_connect(&broker, &a), SM_OK);
    ck_sm(sm_dict_open(a, "tmp", SM_CREATE | SM_TEMP, NULL, &da), SM_OK);
    ck_sm(sm_dict_set(da, sm_str("k"), sm_int(7)), SM_OK);

    /* another session opens it and goes: the object stays while a has it */
    ck_sm(broker_connect(&broker, &b2), SM_OK);
    ck_sm(sm_dict_open(b2, "tmp", 0, NULL, &db), SM_OK);
    ck_sm(sm_dict_get(db, sm_str("k"), &v), SM_OK);
    ck_repr(v, "7");
    sm_dict_close(db);
    sm_disconnect(b2);

    ck_sm(broker_connect(&broker, &c2), SM_OK);
    ck_sm(sm_dict_open(c2, "tmp", 0, NULL, &db), SM_OK);
    ck_sm(sm_dict_get(db, sm_str("k"), &v), SM_OK);
    ck_repr(v, "7");
    sm_dict_close(db);
    sm_disconnect(c2);

    /* the last session that opened it ends: it is gone */
    sm_dict_close(da);
    sm_disconnect(a);
    int rc = SM_OK;
    for (int i = 0; i < 100; i++) { /* the broker learns of the disconnect asynchronously */
        rc = sm_dict_open(cli, "tmp", 0, NULL, &db);
        if (rc != SM_OK)
            break;
        sm_dict_close(db);
        sleep_ms(20);
    }
    ck_sm(rc, SM_ENOENT);

    /* a non-temporary object outlives its creator */
    ck_sm(broker_connect(&broker, &a), SM_OK);
    ck_sm(sm_dict_open(a, "keep", SM_CREATE, NULL, &da), SM_OK);
    sm_dict_close(da);
    sm_disconnect(a);
    sleep_ms(100);
    ck_sm(sm_dict_open(cli, "keep", 0, NULL, &db), SM_OK);
    sm_dict_close(db);
}
END_TEST

/* ---- one client, several threads ------------------------------------------ */

#define THREADS 4
#define INCRS 500

static void *incr_thread(void *arg)
{
    sm_dict *d = arg;
    int64_t r;
    for (int i = 0; i < INCRS; i++)
        if (sm_dict_incr(d, sm_str("hits"), 1, &r) != SM_OK)
            return (void *)1;
    return NULL;
}

START_TEST(test_threads)
{
    pthread_t t[THREADS];
    sm_dict *d;
    sm_val v = {0};
    void *ret;

    ck_sm(sm_dict_open(cli, "counter", SM_CREATE, NULL, &d), SM_OK);
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, incr_thread, d), 0);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], &ret);
        ck_assert_msg(ret == NULL, "thread %d: sm_dict_incr failed", i);
    }
    ck_sm(sm_dict_get(d, sm_str("hits"), &v), SM_OK);
    ck_repr(v, "2000");
    sm_dict_close(d);
}
END_TEST

int main(int argc, char **argv)
{
    static const struct child_prog none[] = {{NULL, NULL}};
    child_dispatch(argc, argv, none);

    Suite *s = suite_create("integration-basic");
    TCase *tc = tcase_create("basic");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_ping);
    tcase_add_test(tc, test_dict);
    tcase_add_test(tc, test_list);
    tcase_add_test(tc, test_open_flags);
    tcase_add_test(tc, test_temp);
    tcase_add_test(tc, test_threads);
    suite_add_tcase(s, tc);

    return check_run(s, CK_ENV);
}
