/* errors.c - the one mapping of status codes to names and messages. */
#include "errors.h"

#include <stddef.h>

struct err_row {
    const char *name, *msg;
};

static const struct err_row rows[] = {
#define SM_ERR(sym, code, name, msg) [code] = {name, msg},
#include "errors.def"
#undef SM_ERR
};

static const struct err_row *row(int rc)
{
    if (rc < 0 || (size_t)rc >= sizeof(rows) / sizeof(rows[0]) || !rows[rc].name)
        return NULL;
    return &rows[rc];
}

const char *sm_error_name(int rc)
{
    return row(rc) ? row(rc)->name : "EUNKNOWN";
}

const char *sm_error_message(int rc)
{
    return row(rc) ? row(rc)->msg : "unknown error";
}
