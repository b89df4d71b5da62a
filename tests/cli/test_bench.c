/*
 * test_bench.c - smoke runs of the built syncmgr-bench ($SYNCMGR_BENCH)
 * against the real broker: every workload briefly, pipelined, several
 * client processes, idle connections and parked requests beside the load;
 * each --json result must parse and count operations.  Never a speed check.
 */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>

#include "check_run.h"
#include "ctl_run.h"

static sm_client *cli;

static void setup(void)
{
    broker_up(&broker, &cli, NULL);
}

static void teardown(void)
{
    broker_down(&broker, &cli, NULL);
}

/* bench() - syncmgr-bench -a -k --json -d @secs @... (NULL-terminated);
 * checks the exit code and the JSON object, and returns its ops/s. */
static double bench(const char *secs, ...)
{
    char *argv[32] = {NULL,           "-a",     broker.address, "-k",
                      broker.keyfile, "--json", "-d",           (char *)secs};
    int n = 8;
    va_list ap;
    va_start(ap, secs);
    for (const char *a; (a = va_arg(ap, const char *)) && n < 31;)
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    run_bin(getenv("SYNCMGR_BENCH"), argv, NULL, 120000);
    ck_assert_msg(R.code == 0, "exit %d; stderr: %s", R.code, R.err);
    json_t *j = json_loads(R.out, 0, NULL);
    ck_assert_msg(j != NULL, "not JSON: %s", R.out);
    double ops = json_number_value(json_object_get(j, "ops_per_s"));
    ck_assert_msg(ops > 0, "no operations: %s", R.out);
    ck_assert(json_is_number(json_object_get(j, "p50_us")));
    ck_assert(json_is_number(json_object_get(j, "p99_us")));
    ck_assert(json_is_number(json_object_get(j, "p999_us")));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "errors")), 0);
    json_decref(j);
    return ops;
}

START_TEST(test_workloads)
{
    static const char *const w[] = {"dict-set", "dict-get", "list-append", "queue",
                                    "lock",     "incr",     "batch-16"};
    for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++)
        bench("0.2", "--workload", w[i], NULL);
}
END_TEST

START_TEST(test_shapes)
{
    bench("1", "--workload", "dict-set", "--clients", "2", "--threads", "2", "--inflight", "8",
          "--value-size", "100", NULL);
    bench("0.3", "--workload", "queue", "--inflight", "4", NULL);
    bench("0.3", "--workload", "incr", "--idle-conns", "20", "--parked", "1500", NULL);
}
END_TEST

START_TEST(test_refused)
{
    char *argv[] = {NULL, "--workload", "lock", "--inflight", "4", NULL};
    run_bin(getenv("SYNCMGR_BENCH"), argv, NULL, 30000);
    ck_assert_int_eq(R.code, 2);
    char *argv2[] = {NULL, "--workload", "batch-0", NULL};
    run_bin(getenv("SYNCMGR_BENCH"), argv2, NULL, 30000);
    ck_assert_int_eq(R.code, 2);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cli-bench");
    TCase *tc = tcase_create("bench");
    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_workloads);
    tcase_add_test(tc, test_shapes);
    tcase_add_test(tc, test_refused);
    suite_add_tcase(s, tc);
    return check_run(s, CK_ENV);
}
