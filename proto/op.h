/* op.h - operation descriptors built from ops.def, shared by every program. */
#ifndef SM_PROTO_OP_H
#define SM_PROTO_OP_H

#include <stdint.h>

/* Protocol constants (see PROTOCOL.md). */
#define SM_PROTO_VERSION 1
#define SM_NONCE_LEN 32
#define SM_MAC_LEN 32
#define SM_MAX_DEPTH 32          /* deepest nesting accepted in a frame */
#define SM_MAX_ARGS 8            /* most fields after the opcode */
#define SM_NAME_MAX 255          /* object names: 1..255 bytes */
#define SM_BATCH_MAX 4096        /* most requests in one batch */

/* open flags on the wire (the same values as SM_CREATE, SM_EXCL, SM_TEMP) */
#define OPEN_CREATE 0x1
#define OPEN_EXCL 0x2
#define OPEN_TEMP 0x4
#define OPEN_ALL (OPEN_CREATE | OPEN_EXCL | OPEN_TEMP)

/* Object type codes from types.def: SM_T_DICT, SM_T_LIST, ... */
enum sm_obj_type {
    SM_T_NONE = 0,
#define SM_TYPE(sym, code, name) SM_T_##sym = code,
#include "types.def"
#undef SM_TYPE
    SM_T_MAX
};

/* Opcodes from ops.def: SMOP_dict_set, ... */
enum sm_opcode {
#define SM_OP(sym, code, name, ...) SMOP_##sym = code,
#include "ops.def"
#undef SM_OP
    SMOP_MAX
};

enum op_flags {
    OPF_WRITE = 1u << 0,
    OPF_BLOCKING = 1u << 1,
    OPF_READONLY = 1u << 2,
    OPF_ADMIN = 1u << 3,
    OPF_NOAUTH = 1u << 4,
};

/*
 * Argument letters in .args:
 *   v any value   i int64   u uint64   t timeout ms (int >= -1)   s str
 *   x bin         b bool    a array    m map    n int or nil    | optional rest
 */
struct op_desc {
    const char *name;  /* "dict.set"; NULL for an unused opcode */
    uint8_t type;      /* SM_T_* the handle field refers to, or 0 */
    const char *args;
    unsigned flags;
};

/* op_lookup() - descriptor for @opcode, or NULL when no such op exists. */
const struct op_desc *op_lookup(uint64_t opcode);

/* op_by_name() - opcode for a wire name such as "dict.set", or -1. */
int op_by_name(const char *name);

/* type_name() - "dict", "list", ... for an SM_T_* code, or NULL. */
const char *type_name(unsigned type);

/* type_by_name() - SM_T_* code for a name, or SM_T_NONE. */
unsigned type_by_name(const char *name);

#endif
