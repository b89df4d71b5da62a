/*
 * unit_call.h - run one object handler as dispatch would, without a broker.
 *
 * Requests and expected replies are written with a small format, one letter
 * per msgpack object, taking its value from the arguments that follow:
 *
 *   i int    I int64_t   U uint64_t   d double   b bool (int)   n nil
 *   o int64_t, or nil for UC_NONE (a slice bound: Python's None)
 *   s str (const char *)   y bin (const char *, its bytes without the NUL)
 *   r raw msgpack (const void *, size_t)
 *   A array header (int count)   M map header (int pairs): the next
 *                                count (2 x pairs) objects are the elements
 *
 * Integers are packed in their smallest form, as msgpack-c does.  The same
 * format serves park_call.h, whose requests go through dispatch().
 */
#ifndef SM_TESTS_UNIT_CALL_H
#define SM_TESTS_UNIT_CALL_H

#include <check.h>
#include <nng/nng.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "core.h"

/* A finished call: the handler's status and its decoded reply. */
struct uc_reply {
    int status;       /* what the handler returned */
    mp_reader fields; /* at the first reply field */
    uint32_t nfields;
    nng_msg *msg; /* owns the bytes; uc_reply_free() */
};

/* UC_RAW(bytes...) - the 'r' arguments for literal bytes: UC_RAW(0xcc, 0x01). */
#define UC_RAW(...)                                                                                \
    (const void *)(const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})

/* UC_NONE - the 'o' argument packed as nil. */
#define UC_NONE INT64_MIN

/* UC_OP(sym) - the opcode and handler arguments of uc_call() for op @sym. */
#define UC_OP(sym) SMOP_##sym, op_##sym

/* uc_new() - a fresh object of @type (no options); the test fails if the
 * type cannot create one.  uc_free() destroys it. */
struct object *uc_new(const struct obj_type *type);
void uc_free(struct object *o);

/**
 * uc_create() - @type's create() with the packed options map @opts (@len
 * bytes; NULL: no options), as open would call it.  On SM_OK *out is the
 * new object, ready for uc_call() and uc_free().  Returns create()'s status.
 */
int uc_create(struct object **out, const struct obj_type *type, const void *opts, size_t len);

/* uc_vpack() - append one object per letter of @fmt to @sb (see above). */
void uc_vpack(msgpack_sbuffer *sb, const char *fmt, va_list ap);

/* uc_count() - the top-level objects in @len packed bytes. */
uint32_t uc_count(const void *p, size_t len);

/**
 * uc_vsame() - true when a reply of @status with @nfields fields packed in
 * @len bytes at @fields has status @want and, byte for byte, the objects
 * @fmt packs.  On false, uc_error says what differed.
 */
bool uc_vsame(int status, const void *fields, size_t len, uint32_t nfields, int want,
              const char *fmt, va_list ap);

/**
 * uc_call() - pack [opcode, handle, fields per @fmt...], decode it with
 * frame_decode() (the test fails if ops.def rejects it), run @fn on @o and
 * decode its reply into @r.  Returns the handler's status.  Free @r with
 * uc_reply_free() or uc_expect().
 */
int uc_call(struct uc_reply *r, struct object *o, unsigned opcode, op_fn *fn, const char *fmt, ...);

/* uc_run() - uc_call() for its status only; the reply is freed. */
int uc_run(struct object *o, unsigned opcode, op_fn *fn, const char *fmt, ...);

void uc_reply_free(struct uc_reply *r);

/**
 * uc_expect() - true when @r has status @status and its fields are,
 * byte for byte, the objects @fmt packs.  Frees @r.  On false, uc_error
 * says what differed.  Use through UC_EXPECT, which fails the test at the
 * caller's line.
 */
bool uc_expect(struct uc_reply *r, int status, const char *fmt, ...);
extern char uc_error[];

/**
 * uc_oom_sweep() - make each allocation of one call fail in turn (with
 * glibc and no sanitizer; elsewhere just make the call once): for n =
 * 0, 1, ... the n-th allocation the handler makes returns NULL.  Every run
 * that fails must return SM_ENOMEM and leave @o as it was: the same reply
 * from the read-only op @snap_op/@snap_fn (e.g. copy) and the same
 * blob_bytes_stored().  Ends at the first run that does not fail, whose
 * status it returns (its reply is dropped).  False, with uc_error set, when
 * a failed run changed the object.
 */
bool uc_oom_sweep(int *status, struct object *o, unsigned snap_op, op_fn *snap_fn, unsigned opcode,
                  op_fn *fn, const char *fmt, ...);

/* UC_OOM(o, snap_sym, sym, req_fmt, req args...) - uc_oom_sweep() that
 * must end with SM_OK, failing at the caller's line. */
#define UC_OOM(o, snap, sym, ...)                                                                  \
    do {                                                                                           \
        int uc_st_ = -1;                                                                           \
        ck_assert_msg(uc_oom_sweep(&uc_st_, (o), UC_OP(snap), UC_OP(sym), __VA_ARGS__), "%s",      \
                      uc_error);                                                                   \
        ck_assert_int_eq(uc_st_, SM_OK);                                                           \
    } while (0)

#define UC_EXPECT(r, status, ...)                                                                  \
    ck_assert_msg(uc_expect((r), (status), __VA_ARGS__), "%s", uc_error)

/**
 * UC_CALL_EXPECT(o, sym, (req_fmt, req args...), status, rep_fmt, rep args...)
 * - one call and its exact expected reply, failing at the caller's line.
 */
#define UC_CALL_EXPECT(o, sym, req, status, ...)                                                   \
    do {                                                                                           \
        struct uc_reply uc_r_;                                                                     \
        uc_call(&uc_r_, (o), UC_OP(sym), UC_UNPAREN req);                                          \
        UC_EXPECT(&uc_r_, (status), __VA_ARGS__);                                                  \
    } while (0)
#define UC_UNPAREN(...) __VA_ARGS__

/* UC_OK(o, sym, req_fmt, req args...) - a call that must succeed with no
 * reply fields (set, append, clear, ...). */
#define UC_OK(o, sym, ...) UC_CALL_EXPECT(o, sym, (__VA_ARGS__), SM_OK, "")

#endif
