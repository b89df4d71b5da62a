/*
 * park_call.h - requests through dispatch() on a core with real sessions and
 * no network, for object types whose requests park: the replies of parked
 * requests are caught by the core's send_reply hook and kept in order.
 *
 * Request fields are written with one letter each, taking their value from
 * the arguments that follow:
 *   u uint64_t   i int64_t   s str (const char *)   b bool (int)   n nil
 *   M map header (int pairs): the next 2 x pairs letters are its elements
 */
#ifndef SM_TESTS_PARK_CALL_H
#define SM_TESTS_PARK_CALL_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>

#include "core.h"
#include "wait.h"

#define PC_MAXSENT 4096

/* A reply sent for a parked request: its tag, status and first field (a
 * uint or bool), if any. */
struct pc_sent {
    intptr_t tag;
    int status;
    bool has_field;
    uint64_t field;
};

extern struct core pc_core;
extern struct pc_sent pc_sent[PC_MAXSENT];
extern size_t pc_nsent;

/* pc_setup() / pc_teardown() - a fresh core per test (a checked fixture). */
void pc_setup(void);
void pc_teardown(void);

/* pc_session() - a new authenticated session on pipe @pipe. */
struct session *pc_session(uint32_t pipe);

/**
 * pc_call() - pack [opcode, fields per @fmt...] and dispatch it from @s with
 * request tag @tag.  Returns the status, or SM_PARKED; *result (may be NULL)
 * gets the first reply field (a uint or bool) of an immediate reply.
 */
int pc_call(struct session *s, intptr_t tag, uint64_t *result, unsigned opcode, const char *fmt,
            ...);

/* pc_open() - open @name as @type with SM_CREATE and no options; the test
 * fails unless SM_OK.  Returns the handle.  (Options: pc_call() of
 * SMOP_open with "suuM...".) */
uint64_t pc_open(struct session *s, const char *name, unsigned type);

/* PC_SENT(i, tag, status) - assert the i-th caught reply. */
#define PC_SENT(i, t, st)                                                                          \
    do {                                                                                           \
        ck_assert_uint_gt(pc_nsent, (size_t)(i));                                                  \
        ck_assert_int_eq(pc_sent[i].tag, (t));                                                     \
        ck_assert_int_eq(pc_sent[i].status, (st));                                                 \
    } while (0)

/* pc_run() - run the Check suite @s; the process exit status. */
int pc_run(Suite *s);

#endif
