/* check_run.h - the main() of every Check program: run one suite. */
#ifndef SM_TESTS_CHECK_RUN_H
#define SM_TESTS_CHECK_RUN_H

#include <check.h>

/* check_run() - run @s, printing in @mode (CK_NORMAL, CK_ENV, ...); the
 * process exit status: 0 when every test passed, else 1. */
static inline int check_run(Suite *s, enum print_output mode)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, mode);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

#endif
