/* park_call.c - dispatch() on a core with sessions, no network (park_call.h). */
#include "park_call.h"

#include <stdarg.h>
#include <string.h>

struct core pc_core;
struct pc_reply pc_sent[PC_MAXSENT];
size_t pc_nsent;

/* keep() - decode the reply @msg to request @tag into @r, and free it. */
static void keep(struct pc_reply *r, intptr_t tag, nng_msg *msg)
{
    mp_reader rest;
    ck_assert_ptr_nonnull(msg);
    r->tag = tag;
    ck_assert_int_eq(
        reply_decode(nng_msg_body(msg), nng_msg_len(msg), &r->status, &rest, &r->nfields), SM_OK);
    r->len = (size_t)(rest.end - rest.p);
    ck_assert_uint_le(r->len, sizeof(r->fields));
    memcpy(r->fields, rest.p, r->len);
    nng_msg_free(msg);
}

static void catch_reply(void *req, nng_msg *msg, void *arg)
{
    (void)arg;
    ck_assert_uint_lt(pc_nsent, PC_MAXSENT);
    keep(&pc_sent[pc_nsent++], (intptr_t)req, msg);
}

void pc_setup(void)
{
    static const uint8_t key[16] = "0123456789abcdef";
    core_init(&pc_core);
    pc_core.send_reply = catch_reply;
    pc_core.key = key;
    pc_core.keylen = sizeof(key);
    pc_nsent = 0;
}

void pc_teardown(void)
{
    core_deinit(&pc_core);
}

struct session *pc_session(uint32_t pipe)
{
    struct session *s = session_new(&pc_core, pipe, 100 + (int)pipe, 1000, 1000);
    ck_assert_ptr_nonnull(s);
    s->authed = true;
    return s;
}

static int vcall(struct session *s, intptr_t tag, struct pc_reply *r, unsigned opcode,
                 const char *fmt, va_list ap)
{
    static struct pc_reply ignored;
    msgpack_sbuffer fields, sb;
    msgpack_packer pk;
    nng_msg *out;
    msgpack_sbuffer_init(&fields);
    uc_vpack(&fields, fmt, ap);
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 1 + uc_count(fields.data, fields.size));
    msgpack_pack_uint64(&pk, opcode);
    msgpack_sbuffer_write(&sb, fields.data, fields.size);
    int rc = dispatch(&pc_core, s, sb.data, sb.size, (void *)tag, &out);
    msgpack_sbuffer_destroy(&fields);
    msgpack_sbuffer_destroy(&sb);
    if (rc == SM_PARKED) {
        ck_assert_ptr_null(out);
        return rc;
    }
    r = r ? r : &ignored;
    keep(r, tag, out);
    ck_assert_int_eq(r->status, rc);
    return rc;
}

int pc_call(struct session *s, intptr_t tag, struct pc_reply *r, unsigned opcode, const char *fmt,
            ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vcall(s, tag, r, opcode, fmt, ap);
    va_end(ap);
    return rc;
}

uint64_t pc_uint(const struct pc_reply *r)
{
    mp_reader rd;
    uint64_t v = 0;
    bool b;
    ck_assert_uint_gt(r->nfields, 0);
    mp_reader_init(&rd, r->fields, r->len);
    if (mp_peek(&rd) == MP_BOOL) {
        ck_assert_int_eq(mp_read_bool(&rd, &b), SM_OK);
        return b;
    }
    ck_assert_int_eq(mp_read_uint(&rd, &v), SM_OK);
    return v;
}

uint64_t pc_query(struct session *s, unsigned opcode, uint64_t h)
{
    struct pc_reply r;
    ck_assert_int_eq(pc_call(s, 0, &r, opcode, "U", h), SM_OK);
    return pc_uint(&r);
}

uint64_t pc_open(struct session *s, const char *name, unsigned type, unsigned flags,
                 const char *optfmt, ...)
{
    struct pc_reply r;
    msgpack_sbuffer opts;
    va_list ap;
    msgpack_sbuffer_init(&opts);
    va_start(ap, optfmt);
    uc_vpack(&opts, optfmt, ap);
    va_end(ap);
    ck_assert_int_eq(pc_call(s, 0, &r, SMOP_open, "sUUr", name, (uint64_t)type, (uint64_t)flags,
                             (const void *)opts.data, opts.size),
                     SM_OK);
    msgpack_sbuffer_destroy(&opts);
    return pc_uint(&r);
}

bool pc_same(const struct pc_reply *r, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool ok = uc_vsame(r->status, r->fields, r->len, r->nfields, status, fmt, ap);
    va_end(ap);
    return ok;
}
