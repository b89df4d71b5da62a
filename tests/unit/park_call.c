/* park_call.c - dispatch() on a core with sessions, no network (park_call.h). */
#include "park_call.h"

#include <stdarg.h>
#include <string.h>

struct core pc_core;
struct pc_sent pc_sent[PC_MAXSENT];
size_t pc_nsent;

/* read_first() - the first field of a reply, when there is a uint or bool. */
static bool read_first(mp_reader *r, uint32_t nfields, uint64_t *out)
{
    bool b;
    if (nfields == 0)
        return false;
    if (mp_peek(r) == MP_BOOL) {
        ck_assert_int_eq(mp_read_bool(r, &b), SM_OK);
        *out = b;
        return true;
    }
    return mp_read_uint(r, out) == SM_OK;
}

static void catch_reply(void *req, nng_msg *msg, void *arg)
{
    struct pc_sent *s = &pc_sent[pc_nsent];
    mp_reader r;
    uint32_t n;
    (void)arg;
    ck_assert_ptr_nonnull(msg);
    ck_assert_uint_lt(pc_nsent, PC_MAXSENT);
    *s = (struct pc_sent){.tag = (intptr_t)req};
    ck_assert_int_eq(reply_decode(nng_msg_body(msg), nng_msg_len(msg), &s->status, &r, &n), SM_OK);
    s->has_field = read_first(&r, n, &s->field);
    pc_nsent++;
    nng_msg_free(msg);
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

/* pack() - the fields of @fmt; returns how many top-level objects that is
 * (a map and its elements count as one). */
static uint32_t pack(msgpack_packer *pk, const char *fmt, va_list ap)
{
    uint32_t n = 0, inside = 0; /* map elements still to come */
    for (const char *p = fmt; *p; p++) {
        const char *str;
        int pairs;
        if (inside > 0)
            inside--;
        else
            n++;
        switch (*p) {
        case 'u':
            msgpack_pack_uint64(pk, va_arg(ap, uint64_t));
            break;
        case 'i':
            msgpack_pack_int64(pk, va_arg(ap, int64_t));
            break;
        case 's':
            str = va_arg(ap, const char *);
            msgpack_pack_str_with_body(pk, str, strlen(str));
            break;
        case 'b':
            (va_arg(ap, int) ? msgpack_pack_true : msgpack_pack_false)(pk);
            break;
        case 'M':
            pairs = va_arg(ap, int);
            inside += 2 * (uint32_t)pairs;
            msgpack_pack_map(pk, (size_t)pairs);
            break;
        default:
            msgpack_pack_nil(pk);
            break;
        }
    }
    return n;
}

static int vcall(struct session *s, intptr_t tag, uint64_t *result, unsigned opcode,
                 const char *fmt, va_list ap)
{
    msgpack_sbuffer fields, sb;
    msgpack_packer pk;
    nng_msg *out;
    msgpack_sbuffer_init(&fields);
    msgpack_packer_init(&pk, &fields, msgpack_sbuffer_write);
    uint32_t n = pack(&pk, fmt, ap);
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 1 + n);
    msgpack_pack_uint64(&pk, opcode);
    msgpack_sbuffer_write(&sb, fields.data, fields.size);
    int rc = dispatch(&pc_core, s, sb.data, sb.size, (void *)tag, &out);
    msgpack_sbuffer_destroy(&fields);
    msgpack_sbuffer_destroy(&sb);
    if (rc == SM_PARKED) {
        ck_assert_ptr_null(out);
        return rc;
    }
    ck_assert_ptr_nonnull(out);
    int status;
    mp_reader r;
    uint64_t first;
    ck_assert_int_eq(reply_decode(nng_msg_body(out), nng_msg_len(out), &status, &r, &n), SM_OK);
    ck_assert_int_eq(status, rc);
    if (read_first(&r, n, &first) && result)
        *result = first;
    nng_msg_free(out);
    return rc;
}

int pc_call(struct session *s, intptr_t tag, uint64_t *result, unsigned opcode, const char *fmt,
            ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vcall(s, tag, result, opcode, fmt, ap);
    va_end(ap);
    return rc;
}

uint64_t pc_open(struct session *s, const char *name, unsigned type)
{
    uint64_t h = 0;
    ck_assert_int_eq(
        pc_call(s, 0, &h, SMOP_open, "suu", name, (uint64_t)type, (uint64_t)OPEN_CREATE), SM_OK);
    return h;
}

int pc_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
