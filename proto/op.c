/* op.c - the descriptor table generated from ops.def and types.def. */
#include "op.h"

#include <string.h>

static const struct op_desc op_table[SMOP_MAX] = {
#define SM_OP(sym, code, wire, ...) [code] = {.name = wire, __VA_ARGS__},
#include "ops.def"
#undef SM_OP
};

static const char *const type_names[SM_T_MAX] = {
#define SM_TYPE(sym, code, name) [code] = name,
#include "types.def"
#undef SM_TYPE
};

const struct op_desc *op_lookup(uint64_t opcode)
{
    if (opcode >= SMOP_MAX || op_table[opcode].name == NULL)
        return NULL;
    return &op_table[opcode];
}

int op_by_name(const char *name)
{
    for (int i = 0; i < SMOP_MAX; i++)
        if (op_table[i].name && strcmp(op_table[i].name, name) == 0)
            return i;
    return -1;
}

const char *type_name(unsigned type)
{
    return type < SM_T_MAX ? type_names[type] : NULL;
}

unsigned type_by_name(const char *name)
{
    for (unsigned i = 1; i < SM_T_MAX; i++)
        if (type_names[i] && strcmp(type_names[i], name) == 0)
            return i;
    return SM_T_NONE;
}
