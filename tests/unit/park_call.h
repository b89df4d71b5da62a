/*
 * park_call.h - requests through dispatch() on a core with real sessions and
 * no network, for the core and the object types whose requests park: the
 * replies of parked requests are caught by the core's send_reply hook and
 * kept in order, with their request tag, status and packed fields.
 *
 * Request fields are written in unit_call.h's format, one letter per msgpack
 * object (U uint64_t, I int64_t, i int, s str, b bool, n nil, r raw,
 * M map header, ...).  Programs link park_call.c and unit_call.c.
 */
#ifndef SM_TESTS_PARK_CALL_H
#define SM_TESTS_PARK_CALL_H

#include <check.h>
#include <stdbool.h>
#include <stdint.h>

#include "core.h"
#include "unit_call.h"
#include "wait.h"

#define PC_MAXSENT 4096
#define PC_FIELDS_MAX 1024

/* A reply: the request's tag, its status and its fields, packed. */
struct pc_reply {
    intptr_t tag;
    int status;
    uint32_t nfields;
    size_t len;
    uint8_t fields[PC_FIELDS_MAX];
};

/* The core of the running test, and the replies sent for its parked
 * requests, in order. */
extern struct core pc_core;
extern struct pc_reply pc_sent[PC_MAXSENT];
extern size_t pc_nsent;

/* pc_setup() / pc_teardown() - a fresh core per test (a checked fixture). */
void pc_setup(void);
void pc_teardown(void);

/* pc_session() - a new authenticated session on pipe @pipe. */
struct session *pc_session(uint32_t pipe);

/**
 * pc_call() - pack [opcode, fields per @fmt...] and dispatch it from @s with
 * request tag @tag.  Returns the status, or SM_PARKED; *r (may be NULL) gets
 * an immediate reply.
 */
int pc_call(struct session *s, intptr_t tag, struct pc_reply *r, unsigned opcode, const char *fmt,
            ...);

/* pc_uint() - the first field of @r, a uint or a bool (1 for true); the
 * test fails when it is neither. */
uint64_t pc_uint(const struct pc_reply *r);

/* pc_query() - [opcode, @h] from @s must succeed; its pc_uint(). */
uint64_t pc_query(struct session *s, unsigned opcode, uint64_t h);

/**
 * pc_open() - open @name as @type with @flags and, unless @optfmt is "",
 * the options map @optfmt packs (e.g. "MsU", 1, "parties", (uint64_t)3).
 * The test fails unless SM_OK.  Returns the handle.
 */
uint64_t pc_open(struct session *s, const char *name, unsigned type, unsigned flags,
                 const char *optfmt, ...);

/* pc_same() - @r has @status and, byte for byte, the fields @fmt packs;
 * on false uc_error says what differed.  Use PC_EXPECT. */
bool pc_same(const struct pc_reply *r, int status, const char *fmt, ...);

/* PC_EXPECT(r, status, fmt, ...) - pc_same(), failing at the caller's line. */
#define PC_EXPECT(r, st, ...) ck_assert_msg(pc_same((r), (st), __VA_ARGS__), "%s", uc_error)

/* PC_SENT(i, tag, status) - assert the i-th caught reply. */
#define PC_SENT(i, t, st)                                                                          \
    do {                                                                                           \
        ck_assert_uint_gt(pc_nsent, (size_t)(i));                                                  \
        ck_assert_int_eq(pc_sent[i].tag, (t));                                                     \
        ck_assert_int_eq(pc_sent[i].status, (st));                                                 \
    } while (0)

#endif
