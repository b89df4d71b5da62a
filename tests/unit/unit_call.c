/* unit_call.c - run object handlers on hand-made requests (see unit_call.h). */
#include "unit_call.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"

#define UC_HANDLE 1 /* any handle: the test hands the handler its object */

char uc_error[4096];

/* Allocation failure injection: while a handler runs, the allocation that
 * finds fail_in at 0 returns NULL.  The executable's malloc interposes on
 * libc's for every library (nng, msgpack-c), which glibc permits; a
 * sanitizer's malloc would be bypassed, so then there is no injection. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define UC_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UC_SANITIZED 1
#endif

#if defined(__GLIBC__) && !defined(UC_SANITIZED)
#define UC_OOM_INJECT 1
static long fail_in = -1;   /* armed countdown; -1: off */
static long fail_next = -1; /* for the next handler run */

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);

static bool fail_now(void)
{
    return fail_in >= 0 && fail_in-- == 0;
}

void *malloc(size_t n)
{
    return fail_now() ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    return fail_now() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    return fail_now() ? NULL : __libc_realloc(p, n);
}
#else
#define UC_OOM_INJECT 0
#endif

/* run_handler() - @fn on @c, with the armed allocation failure if any. */
static int run_handler(op_fn *fn, struct call *c)
{
#if UC_OOM_INJECT
    fail_in = fail_next;
    fail_next = -1;
    int rc = fn(c);
    fail_in = -1;
    return rc;
#else
    return fn(c);
#endif
}

static struct core *test_core(void)
{
    static struct core core;
    static bool ready;
    if (!ready) {
        core_init(&core);
        ready = true;
    }
    return &core;
}

int uc_create(struct object **out, const struct obj_type *type, const void *opts, size_t len)
{
    struct arg m = {.kind = 'm', .raw = opts, .len = len};
    *out = NULL;
    int rc = type->create(NULL, opts ? &m : NULL, out);
    if (rc == SM_OK) {
        ck_assert_ptr_nonnull(*out);
        (*out)->type = type;
        (*out)->id = UC_HANDLE;
    }
    return rc;
}

struct object *uc_new(const struct obj_type *type)
{
    struct object *o = NULL;
    ck_assert_int_eq(uc_create(&o, type, NULL, 0), SM_OK);
    return o;
}

void uc_free(struct object *o)
{
    o->type->destroy(test_core(), o);
}

void uc_vpack(msgpack_sbuffer *sb, const char *fmt, va_list ap)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    for (const char *f = fmt; *f; f++) {
        switch (*f) {
        case 'i':
            msgpack_pack_int64(&pk, va_arg(ap, int));
            break;
        case 'I':
            msgpack_pack_int64(&pk, va_arg(ap, int64_t));
            break;
        case 'o': {
            int64_t v = va_arg(ap, int64_t);
            v == UC_NONE ? msgpack_pack_nil(&pk) : msgpack_pack_int64(&pk, v);
            break;
        }
        case 'U':
            msgpack_pack_uint64(&pk, va_arg(ap, uint64_t));
            break;
        case 'd':
            msgpack_pack_double(&pk, va_arg(ap, double));
            break;
        case 'b':
            va_arg(ap, int) ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk);
            break;
        case 'n':
            msgpack_pack_nil(&pk);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            msgpack_pack_str_with_body(&pk, s, strlen(s));
            break;
        }
        case 'y': {
            const char *s = va_arg(ap, const char *);
            msgpack_pack_bin_with_body(&pk, s, strlen(s));
            break;
        }
        case 'r': {
            const void *p = va_arg(ap, const void *);
            size_t n = va_arg(ap, size_t);
            if (n > 0)
                msgpack_sbuffer_write(sb, p, n);
            break;
        }
        case 'A':
            msgpack_pack_array(&pk, (size_t)va_arg(ap, int));
            break;
        case 'M':
            msgpack_pack_map(&pk, (size_t)va_arg(ap, int));
            break;
        default:
            ck_abort_msg("unit_call: bad format letter '%c' in \"%s\"", *f, fmt);
        }
    }
}

uint32_t uc_count(const void *p, size_t len)
{
    mp_reader r;
    const uint8_t *raw;
    size_t n;
    uint32_t count = 0;
    mp_reader_init(&r, p, len);
    while (r.p < r.end) {
        ck_assert_msg(mp_read_raw(&r, &raw, &n) == SM_OK, "unit_call: malformed packed fields");
        count++;
    }
    return count;
}

static int vcall(struct uc_reply *r, struct object *o, unsigned opcode, op_fn *fn, const char *fmt,
                 va_list ap)
{
    msgpack_sbuffer args, req;
    msgpack_packer pk;
    struct frame f;
    struct call c = {.core = test_core(), .f = &f, .obj = o};
    int status;

    msgpack_sbuffer_init(&args);
    uc_vpack(&args, fmt, ap);
    msgpack_sbuffer_init(&req);
    msgpack_packer_init(&pk, &req, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 2 + uc_count(args.data, args.size));
    msgpack_pack_uint64(&pk, opcode);
    msgpack_pack_uint64(&pk, o->id);
    msgpack_sbuffer_write(&req, args.data, args.size);
    msgpack_sbuffer_destroy(&args);

    int rc = frame_decode(req.data, req.size, SM_MAX_DEPTH, &f);
    ck_assert_msg(rc == SM_OK, "unit_call: frame_decode rejected the request: %s",
                  sm_error_name(rc));
    ck_assert_int_eq(reply_begin(&c.rep), SM_OK);
    r->status = run_handler(fn, &c);
    ck_assert_msg(r->status >= 0, "unit_call: handler parked");
    r->msg = reply_finish(&c.rep, r->status);
    msgpack_sbuffer_destroy(&req); /* after the handler: f points into it */
    ck_assert_ptr_nonnull(r->msg);
    rc = reply_decode(nng_msg_body(r->msg), nng_msg_len(r->msg), &status, &r->fields, &r->nfields);
    ck_assert_msg(rc == SM_OK, "unit_call: reply_decode: %s", sm_error_name(rc));
    ck_assert_int_eq(status, r->status);
    return r->status;
}

int uc_call(struct uc_reply *r, struct object *o, unsigned opcode, op_fn *fn, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vcall(r, o, opcode, fn, fmt, ap);
    va_end(ap);
    return rc;
}

int uc_run(struct object *o, unsigned opcode, op_fn *fn, const char *fmt, ...)
{
    struct uc_reply r;
    va_list ap;
    va_start(ap, fmt);
    int rc = vcall(&r, o, opcode, fn, fmt, ap);
    va_end(ap);
    uc_reply_free(&r);
    return rc;
}

void uc_reply_free(struct uc_reply *r)
{
    nng_msg_free(r->msg);
    r->msg = NULL;
}

static int hex(char *out, size_t cap, const uint8_t *p, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 4 < cap; i++)
        k += (size_t)snprintf(out + k, cap - k, "%02x ", p[i]);
    return (int)k;
}

bool uc_vsame(int status, const void *fields, size_t len, uint32_t nfields, int want,
              const char *fmt, va_list ap)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    uc_vpack(&sb, fmt, ap);
    uint32_t want_fields = uc_count(sb.data, sb.size);
    bool ok = status == want && nfields == want_fields && len == sb.size &&
              (len == 0 || memcmp(fields, sb.data, len) == 0);
    if (!ok) {
        char got_hex[1500] = "", want_hex[1500] = "";
        hex(got_hex, sizeof(got_hex), fields, len);
        hex(want_hex, sizeof(want_hex), (const uint8_t *)sb.data, sb.size);
        snprintf(uc_error, sizeof(uc_error),
                 "status %s, %u fields [ %s]; expected %s, %u fields [ %s]", sm_error_name(status),
                 nfields, got_hex, sm_error_name(want), want_fields, want_hex);
    }
    msgpack_sbuffer_destroy(&sb);
    return ok;
}

bool uc_expect(struct uc_reply *r, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool ok = uc_vsame(r->status, r->fields.p, (size_t)(r->fields.end - r->fields.p), r->nfields,
                       status, fmt, ap);
    va_end(ap);
    uc_reply_free(r);
    return ok;
}

/* snapshot() - the reply bytes of the read-only op, and the bytes stored. */
static void snapshot(msgpack_sbuffer *sb, size_t *bytes, struct object *o, unsigned op, op_fn *fn)
{
    struct uc_reply r;
    msgpack_sbuffer_clear(sb);
    ck_assert_int_eq(uc_call(&r, o, op, fn, ""), SM_OK);
    msgpack_sbuffer_write(sb, (const char *)nng_msg_body(r.msg), nng_msg_len(r.msg));
    uc_reply_free(&r);
    *bytes = blob_bytes_stored();
}

bool uc_oom_sweep(int *status, struct object *o, unsigned snap_op, op_fn *snap_fn, unsigned opcode,
                  op_fn *fn, const char *fmt, ...)
{
    msgpack_sbuffer before, after;
    size_t bytes_before, bytes_after;
    bool ok = true;
    msgpack_sbuffer_init(&before);
    msgpack_sbuffer_init(&after);
    for (long n = 0; ok; n++) {
        struct uc_reply r;
        va_list ap;
        snapshot(&before, &bytes_before, o, snap_op, snap_fn);
#if UC_OOM_INJECT
        fail_next = n;
#endif
        va_start(ap, fmt);
        *status = vcall(&r, o, opcode, fn, fmt, ap);
        va_end(ap);
        uc_reply_free(&r);
        if (*status != SM_ENOMEM)
            break;
        snapshot(&after, &bytes_after, o, snap_op, snap_fn);
        ok = before.size == after.size && memcmp(before.data, after.data, before.size) == 0 &&
             bytes_before == bytes_after;
        if (!ok)
            snprintf(uc_error, sizeof(uc_error),
                     "allocation %ld failed: SM_ENOMEM but the object changed "
                     "(bytes stored %zu -> %zu)",
                     n, bytes_before, bytes_after);
    }
    msgpack_sbuffer_destroy(&before);
    msgpack_sbuffer_destroy(&after);
    return ok;
}
