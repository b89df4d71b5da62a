/*
 * codec.h - msgpack frames: bounded validation of untrusted bytes, a reader
 * for validated bytes, request decoding against ops.def, and packing helpers
 * on msgpack-c.
 *
 * Untrusted bytes are always passed through mp_validate() (or frame_decode(),
 * which calls it) before anything reads them: msgpack-c itself would reserve
 * memory for a declared length before the elements arrive, fails only at
 * depth 33, and accepts trailing bytes.
 */
#ifndef SM_PROTO_CODEC_H
#define SM_PROTO_CODEC_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "op.h"

/* Kinds of msgpack object as the reader sees them. */
enum mp_kind {
    MP_NIL, MP_BOOL, MP_UINT, MP_INT, MP_FLOAT, MP_STR, MP_BIN,
    MP_ARRAY, MP_MAP, MP_EXT, MP_BAD
};

/**
 * mp_validate() - check that @len bytes hold exactly one well-formed msgpack
 * object nested at most @max_depth deep, every declared length fitting in the
 * bytes left.  Returns SM_OK, SM_EPROTO (malformed, truncated, trailing bytes)
 * or SM_ETOOBIG (too deep).  Never allocates; O(len).
 */
int mp_validate(const void *buf, size_t len, unsigned max_depth);

/* A cursor over validated bytes.  Reads fail with SM_EPROTO or SM_ETYPE and
 * leave the cursor where it was. */
typedef struct mp_reader {
    const uint8_t *p, *end;
} mp_reader;

static inline void mp_reader_init(mp_reader *r, const void *buf, size_t len)
{
    r->p = buf;
    r->end = len ? r->p + len : r->p; /* NULL + 0 is undefined in C */
}

enum mp_kind mp_peek(const mp_reader *r);
int mp_read_nil(mp_reader *r);
int mp_read_bool(mp_reader *r, bool *out);
int mp_read_int(mp_reader *r, int64_t *out);    /* int, or uint <= INT64_MAX */
int mp_read_uint(mp_reader *r, uint64_t *out);  /* uint, or int >= 0 */
int mp_read_double(mp_reader *r, double *out);  /* float32/64 */
int mp_read_str(mp_reader *r, const char **s, uint32_t *len);
int mp_read_bin(mp_reader *r, const void **p, uint32_t *len);
int mp_read_array(mp_reader *r, uint32_t *n);
int mp_read_map(mp_reader *r, uint32_t *n);
/* mp_read_raw() - the bytes of the next whole object, whatever its kind. */
int mp_read_raw(mp_reader *r, const uint8_t **p, size_t *len);

/**
 * mp_canon() - canonical encoding of one validated object, appended to @out:
 * integers in their smallest form (non-negative ones as uint), floats as
 * float64, every header in its smallest form.  Dict keys are compared by it.
 * Returns SM_OK or SM_ENOMEM.
 */
int mp_canon(const void *buf, size_t len, msgpack_sbuffer *out);

/**
 * mp_compare() - order two validated objects as Python would: numbers (bool,
 * int, float) by value, str and bin bytewise, arrays lexicographically, nil
 * equal to nil.  Sets *cmp to <0, 0 or >0.  Returns SM_ETYPE when Python
 * would raise TypeError (e.g. str < int); use mp_equal() for ==.
 */
int mp_compare(const void *a, size_t alen, const void *b, size_t blen, int *cmp);

/* mp_equal() - Python ==: comparable and equal, or byte-identical. */
bool mp_equal(const void *a, size_t alen, const void *b, size_t blen);

/* mp_pack_raw() - append already-encoded msgpack bytes to a packer. */
static inline int mp_pack_raw(msgpack_packer *pk, const void *p, size_t n)
{
    return pk->callback(pk->data, (const char *)p, n);
}

/* One checked request field, as typed by its letter in ops.def. */
struct arg {
    char kind;           /* the letter: 'v','i','u','t','s','x','b','a','m','n' */
    bool nil;            /* 'n' (or optional 'v') given as nil */
    union {
        int64_t i;       /* i, t, n */
        uint64_t u;      /* u */
        bool b;          /* b */
        uint32_t count;  /* a, m: element/pair count */
    };
    const uint8_t *raw;  /* v, a, m: the whole encoded object; s, x: the bytes */
    size_t len;
};

/* A decoded request: opcode, its descriptor, handle and checked fields. */
struct frame {
    uint64_t opcode;
    const struct op_desc *op;
    uint64_t handle;           /* when op->type != 0 */
    unsigned nargs;            /* fields given, optional ones included */
    struct arg args[SM_MAX_ARGS];
};

/**
 * frame_decode() - validate and decode one request: [opcode, (handle,) args...].
 * Checks opcode, arity and every field's type against ops.def.  @f points
 * into @buf.  Returns SM_OK, SM_EPROTO, SM_ETOOBIG (too deep) or SM_ENOTSUP
 * (unknown opcode).
 */
int frame_decode(const void *buf, size_t len, unsigned max_depth, struct frame *f);

/**
 * frame_decode_next() - frame_decode() for the request at @r, bytes that were
 * validated already (a batch's element): no second validation pass.  @r
 * steps past the whole request whatever the outcome, which *raw and *len
 * then span.  Returns as frame_decode(); SM_EPROTO with @r unmoved when
 * there is no next object.
 */
int frame_decode_next(mp_reader *r, struct frame *f, const uint8_t **raw, size_t *len);

/**
 * reply_decode() - validate a reply [status, fields...]; on SM_OK sets
 * *status and leaves @rest positioned at the first field, *nfields fields.
 */
int reply_decode(const void *buf, size_t len, int *status, mp_reader *rest,
                 uint32_t *nfields);

#endif
