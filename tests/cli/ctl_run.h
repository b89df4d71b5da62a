/*
 * ctl_run.h - run the built syncmgrctl ($SYNCMGRCTL) against the test's
 * broker and check what it did: exit code, stdout and stderr.
 *
 * This process has used nng by then, so the tool is started with
 * posix_spawn (exec at once, see harness.h), its output going to files in
 * the broker's scratch directory; ctl_in() feeds it stdin from a file.
 */
#ifndef SM_TESTS_CTL_RUN_H
#define SM_TESTS_CTL_RUN_H

#include <check.h>

#include "harness.h"

/* The broker of the running test (its fixture starts and stops it). */
extern struct sm_broker broker;

/* What the last run did. */
struct ctl_result {
    int code;
    char out[16384], err[4096];
};
extern struct ctl_result R;

/* slurp() - the text of @path (empty when it cannot be read). */
void slurp(const char *path, char *buf, size_t size);

/* run() - run syncmgrctl with @argv (argv[0] is filled in), stdin from
 * @in (NULL: none); fills R and returns its exit code. */
int run_in(char **argv, const char *in);
int run(char **argv);

/* run_bin() - run_in() of the program @bin, waiting up to @timeout_ms. */
int run_bin(const char *bin, char **argv, const char *in, int timeout_ms);

/* ctl() - syncmgrctl -a <broker> -k <broker key> @... (NULL-terminated);
 * ctl_key() with another key file; ctl_in() with stdin from the file @in. */
int ctl(const char *arg, ...) __attribute__((sentinel));
int ctl_key(const char *keyfile, const char *arg, ...) __attribute__((sentinel));
int ctl_in(const char *in, const char *arg, ...) __attribute__((sentinel));

/* expect() - the last run exited with @code and printed exactly @out on
 * stdout and @err on stderr (NULL: not checked). */
#define expect(code_, out_, err_)                                                                  \
    do {                                                                                           \
        ck_assert_msg(R.code == (code_), "exit %d, expected %d; stderr: %s", R.code, (code_),      \
                      R.err);                                                                      \
        if ((out_) != NULL)                                                                        \
            ck_assert_str_eq(R.out, (const char *)(out_));                                         \
        if ((err_) != NULL)                                                                        \
            ck_assert_str_eq(R.err, (const char *)(err_));                                         \
    } while (0)

#endif
