/* values.c - sm_val: constructors, accessors, packing into requests and
 * decoding from replies (the mapping is described in client_internal.h). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "errors.h"

/* ---- constructors (borrow the caller's bytes) --------------------------- */

SM_API sm_val sm_nil(void)
{
    return (sm_val){.type = SM_V_NIL};
}

SM_API sm_val sm_bool(bool b)
{
    return (sm_val){.type = SM_V_BOOL, .v.b = b};
}

SM_API sm_val sm_int(int64_t i)
{
    return (sm_val){.type = SM_V_INT, .v.i = i};
}

SM_API sm_val sm_uint(uint64_t u)
{
    return (sm_val){.type = SM_V_UINT, .v.u = u};
}

SM_API sm_val sm_f64(double f)
{
    return (sm_val){.type = SM_V_F64, .v.f = f};
}

static sm_val buf_val(sm_vtype type, const void *p, size_t len)
{
    return (sm_val){.type = type, .v.buf = {.ptr = p, .len = len}};
}

SM_API sm_val sm_str(const char *s)
{
    return buf_val(SM_V_STR, s, s ? strlen(s) : 0);
}

SM_API sm_val sm_strn(const char *s, size_t len)
{
    return buf_val(SM_V_STR, s, len);
}

SM_API sm_val sm_bin(const void *p, size_t len)
{
    return buf_val(SM_V_BIN, p, len);
}

SM_API sm_val sm_msgpack(const void *packed, size_t len)
{
    return buf_val(SM_V_MSGPACK, packed, len);
}

/* ---- accessors ---------------------------------------------------------- */

/* packed_reader() - a reader over an SM_V_MSGPACK value, validated (the
 * caller may have built it from any bytes). */
static int packed_reader(const sm_val *v, mp_reader *r)
{
    if (v->type != SM_V_MSGPACK || !v->v.buf.ptr)
        return SM_ETYPE;
    if (mp_validate(v->v.buf.ptr, v->v.buf.len, SM_MAX_DEPTH))
        return SM_EINVAL;
    mp_reader_init(r, v->v.buf.ptr, v->v.buf.len);
    return SM_OK;
}

SM_API int sm_val_to_int(const sm_val *v, int64_t *out)
{
    mp_reader r;
    if (!v || !out)
        return SM_EINVAL;
    switch (v->type) {
    case SM_V_INT:
        *out = v->v.i;
        return SM_OK;
    case SM_V_UINT:
        if (v->v.u > INT64_MAX)
            return SM_EVALUE;
        *out = (int64_t)v->v.u;
        return SM_OK;
    case SM_V_MSGPACK:
        if (packed_reader(v, &r))
            return SM_ETYPE;
        return mp_read_int(&r, out);
    default:
        return SM_ETYPE;
    }
}

SM_API int sm_val_to_str(const sm_val *v, const char **s, size_t *len)
{
    mp_reader r;
    uint32_t n;
    if (!v || !s)
        return SM_EINVAL;
    if (v->type == SM_V_MSGPACK) {
        if (packed_reader(v, &r) || mp_read_str(&r, s, &n))
            return SM_ETYPE;
        if (len)
            *len = n;
        return SM_OK;
    }
    if (v->type != SM_V_STR)
        return SM_ETYPE;
    *s = v->v.buf.ptr ? v->v.buf.ptr : "";
    if (len)
        *len = v->v.buf.len;
    return SM_OK;
}

SM_API bool sm_val_is_nil(const sm_val *v)
{
    mp_reader r;
    if (!v)
        return false;
    if (v->type == SM_V_NIL)
        return true;
    return v->type == SM_V_MSGPACK && !packed_reader(v, &r) && mp_peek(&r) == MP_NIL;
}

SM_API void sm_val_free(sm_val *v)
{
    if (!v)
        return;
    free(v->owned_);
    *v = sm_nil();
}

SM_API void sm_vals_free(sm_val *items, size_t n)
{
    if (!items)
        return;
    for (size_t k = 0; k < n; k++)
        sm_val_free(&items[k]);
    free(items);
}

SM_API int sm_val_items(const sm_val *v, sm_val **items, size_t *n)
{
    mp_reader r;
    uint32_t count;
    if (!v || !items || !n)
        return SM_EINVAL;
    *items = NULL;
    *n = 0;
    int rc = packed_reader(v, &r);
    if (rc)
        return rc;
    uint64_t total;
    if (mp_peek(&r) == MP_ARRAY && !mp_read_array(&r, &count))
        total = count;
    else if (mp_peek(&r) == MP_MAP && !mp_read_map(&r, &count))
        total = 2 * (uint64_t)count;
    else
        return SM_ETYPE;
    sm_val *out = calloc(total ? total : 1, sizeof(*out));
    if (!out)
        return SM_ENOMEM;
    for (uint64_t k = 0; k < total; k++) {
        if ((rc = smc_read_val(&r, &out[k]))) {
            sm_vals_free(out, k);
            return rc;
        }
    }
    *items = out;
    *n = (size_t)total;
    return SM_OK;
}

/* ---- decoding replies --------------------------------------------------- */

/* owned_copy() - a value owning a copy of @len bytes plus a NUL. */
static int owned_copy(sm_vtype type, const void *p, size_t len, sm_val *out)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return SM_ENOMEM;
    if (len)
        memcpy(copy, p, len);
    copy[len] = '\0';
    *out = buf_val(type, copy, len);
    out->owned_ = copy;
    return SM_OK;
}

int smc_read_val(mp_reader *r, sm_val *out)
{
    const char *s;
    const void *p;
    const uint8_t *raw;
    size_t rawlen;
    uint32_t n;
    int rc = SM_OK;
    *out = sm_nil();
    switch (mp_peek(r)) {
    case MP_NIL:
        return mp_read_nil(r);
    case MP_BOOL:
        out->type = SM_V_BOOL;
        return mp_read_bool(r, &out->v.b);
    case MP_INT:
        out->type = SM_V_INT;
        return mp_read_int(r, &out->v.i);
    case MP_UINT:
        out->type = SM_V_UINT;
        if ((rc = mp_read_uint(r, &out->v.u)))
            return rc;
        if (out->v.u <= INT64_MAX)
            *out = sm_int((int64_t)out->v.u);
        return SM_OK;
    case MP_FLOAT:
        out->type = SM_V_F64;
        return mp_read_double(r, &out->v.f);
    case MP_STR:
        rc = mp_read_str(r, &s, &n);
        return rc ? rc : owned_copy(SM_V_STR, s, n, out);
    case MP_BIN:
        rc = mp_read_bin(r, &p, &n);
        return rc ? rc : owned_copy(SM_V_BIN, p, n, out);
    case MP_ARRAY:
    case MP_MAP:
    case MP_EXT:
        rc = mp_read_raw(r, &raw, &rawlen);
        return rc ? rc : owned_copy(SM_V_MSGPACK, raw, rawlen, out);
    default:
        return SM_EPROTO;
    }
}

/* ---- packing requests --------------------------------------------------- */

int smc_pack_val(struct smc_req *rq, const sm_val *v)
{
    msgpack_packer *pk = &rq->pk;
    const void *p = v->v.buf.ptr;
    size_t len = v->v.buf.len;
    int rc;
    switch (v->type) {
    case SM_V_NIL:
        rc = msgpack_pack_nil(pk);
        break;
    case SM_V_BOOL:
        rc = v->v.b ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
        break;
    case SM_V_INT:
        rc = msgpack_pack_int64(pk, v->v.i);
        break;
    case SM_V_UINT:
        rc = msgpack_pack_uint64(pk, v->v.u);
        break;
    case SM_V_F64:
        rc = msgpack_pack_double(pk, v->v.f);
        break;
    case SM_V_STR:
    case SM_V_BIN:
        if (len > UINT32_MAX)
            return SM_ETOOBIG;
        if (!p && len)
            return SM_EINVAL;
        rc = v->type == SM_V_STR ? msgpack_pack_str_with_body(pk, p, len)
                                 : msgpack_pack_bin_with_body(pk, p, len);
        break;
    case SM_V_MSGPACK:
        if (!p || len == 0)
            return SM_EINVAL;
        rc = mp_validate(p, len, SM_MAX_DEPTH);
        if (rc)
            return rc == SM_ETOOBIG ? SM_ETOOBIG : SM_EINVAL;
        rc = mp_pack_raw(pk, p, len);
        break;
    default:
        return SM_EINVAL;
    }
    return rc ? SM_ENOMEM : SM_OK;
}

int smc_pack_kind(struct smc_req *rq, const sm_val *v, enum mp_kind kind)
{
    mp_reader r;
    if (v->type != SM_V_MSGPACK)
        return SM_ETYPE;
    int rc = packed_reader(v, &r);
    if (rc)
        return rc;
    if (mp_peek(&r) != kind)
        return SM_ETYPE;
    return mp_pack_raw(&rq->pk, v->v.buf.ptr, v->v.buf.len) ? SM_ENOMEM : SM_OK;
}

int smc_pack_optint(struct smc_req *rq, int64_t i)
{
    int rc = i == SM_NONE ? msgpack_pack_nil(&rq->pk) : msgpack_pack_int64(&rq->pk, i);
    return rc ? SM_ENOMEM : SM_OK;
}

/* pack_field() - one field of smc_req() by its letter. */
static int pack_field(struct smc_req *rq, char kind, va_list *ap)
{
    msgpack_packer *pk = &rq->pk;
    switch (kind) {
    case 'v':
        return smc_pack_val(rq, va_arg(*ap, const sm_val *));
    case 'a':
        return smc_pack_kind(rq, va_arg(*ap, const sm_val *), MP_ARRAY);
    case 'm':
        return smc_pack_kind(rq, va_arg(*ap, const sm_val *), MP_MAP);
    case 'n':
        return smc_pack_optint(rq, va_arg(*ap, int64_t));
    case 'i':
        return msgpack_pack_int64(pk, va_arg(*ap, int64_t)) ? SM_ENOMEM : SM_OK;
    case 'u':
        return msgpack_pack_uint64(pk, va_arg(*ap, uint64_t)) ? SM_ENOMEM : SM_OK;
    case 't': {
        int t = va_arg(*ap, int);
        if (t < -1)
            return SM_EINVAL;
        return msgpack_pack_int(pk, t) ? SM_ENOMEM : SM_OK;
    }
    case 'b':
        return (va_arg(*ap, int) ? msgpack_pack_true(pk) : msgpack_pack_false(pk)) ? SM_ENOMEM
                                                                                   : SM_OK;
    case 's': {
        const char *s = va_arg(*ap, const char *);
        if (!s)
            return SM_EINVAL;
        return msgpack_pack_str_with_body(pk, s, strlen(s)) ? SM_ENOMEM : SM_OK;
    }
    case '_':
        return SM_OK;
    case 'x': {
        const void *p = va_arg(*ap, const void *);
        size_t len = va_arg(*ap, size_t);
        if ((!p && len) || len > UINT32_MAX)
            return SM_EINVAL;
        return msgpack_pack_bin_with_body(pk, p, len) ? SM_ENOMEM : SM_OK;
    }
    default:
        return SM_EINVAL;
    }
}

/* vreq() - smc_req() with the fields in @ap, packed into @buf when not
 * NULL (smc_req_begin_in()). */
static int vreq(struct smc_req *rq, int opcode, uint64_t handle, msgpack_sbuffer *buf,
                const char *fmt, va_list *ap)
{
    int rc = smc_req_begin_in(rq, opcode, handle, (uint32_t)strlen(fmt), buf);
    if (rc)
        return rc;
    for (const char *f = fmt; *f && !rc; f++)
        rc = pack_field(rq, *f, ap);
    if (!rc && rq->err)
        rc = rq->err;
    if (rc)
        smc_req_abort(rq);
    return rc;
}

int smc_req(struct smc_req *rq, int opcode, uint64_t handle, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vreq(rq, opcode, handle, NULL, fmt, &ap);
    va_end(ap);
    return rc;
}

int smc_oreq(struct smc_req *rq, int opcode, struct smc_obj *o, const char *fmt, ...)
{
    const struct smc_sink *sink = smc_sink_tls;
    va_list ap;
    va_start(ap, fmt);
    /* the handle goes in when sent */
    int rc = vreq(rq, opcode, 0, sink && sink->c == o->c ? sink->body : NULL, fmt, &ap);
    va_end(ap);
    if (!rc)
        rq->obj = o;
    return rc;
}
