/*
 * test_examples.c - every example program runs against a scratch broker
 * (address and key through the environment, as a user would run it), exits
 * 0 and prints what it says it prints; the broker's objects confirm it.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_run.h"
#include "harness.h"

static struct sm_broker broker;

static void setup(void)
{
    memset(&broker, 0, sizeof(broker));
    ck_assert_int_eq(broker_start(&broker, NULL), 0);
    broker_setenv(&broker);
}

static void teardown(void)
{
    broker_stop(&broker, true);
}

START_TEST(test_counter)
{
    static char out[65536];
    sm_client *c;
    sm_dict *d;
    sm_val v = {0};

    ck_assert_int_eq(run_example("counter", out, sizeof(out), 90000), 0);
    ck_assert_str_eq(out, "count = 0\n");

    /* the broker agrees */
    ck_sm(broker_connect(&broker, &c), SM_OK);
    ck_sm(sm_dict_open(c, "counter", 0, NULL, &d), SM_OK);
    ck_sm(sm_dict_get(d, sm_str("count"), &v), SM_OK);
    ck_repr(v, "0");
    sm_dict_close(d);
    sm_disconnect(c);
}
END_TEST

START_TEST(test_list_append)
{
    static char out[65536];
    sm_client *c;
    sm_list *l;
    sm_val v = {0};
    size_t n;

    ck_assert_int_eq(run_example("list_append", out, sizeof(out), 60000), 0);
    const char *final = strstr(out, "final: [");
    ck_assert_msg(final != NULL, "no final list in the output");
    ck_assert_msg(strstr(out, "reader sees [") != NULL, "the reader printed nothing");

    /* the printed final list is the broker's list */
    ck_sm(broker_connect(&broker, &c), SM_OK);
    ck_sm(sm_list_open(c, "numbers", 0, NULL, &l), SM_OK);
    ck_sm(sm_list_len(l, &n), SM_OK);
    ck_assert_uint_eq(n, 14);
    ck_sm(sm_list_copy(l, &v), SM_OK);
    char want[256];
    snprintf(want, sizeof(want), "final: %s\n", val_repr(&v));
    sm_val_free(&v);
    ck_assert_str_eq(final, want);
    sm_list_close(l);
    sm_disconnect(c);
}
END_TEST

int main(int argc, char **argv)
{
    static const struct child_prog none[] = {{NULL, NULL}};
    child_dispatch(argc, argv, none);

    Suite *s = suite_create("integration-examples");
    TCase *tc = tcase_create("examples");
    tcase_set_timeout(tc, 110);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_counter);
    tcase_add_test(tc, test_list_append);
    suite_add_tcase(s, tc);

    return check_run(s, CK_ENV);
}
