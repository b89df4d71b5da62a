/* errors.h - SM_* status codes from errors.def and their names. */
#ifndef SM_PROTO_ERRORS_H
#define SM_PROTO_ERRORS_H

#ifndef SM_ERRORS_DEFINED
#define SM_ERRORS_DEFINED
enum sm_status {
#define SM_ERR(sym, code, name, msg) sym = code,
#include "errors.def"
#undef SM_ERR
};
#endif

/* Internal, never on the wire: a handler parked the request. */
#define SM_PARKED (-1)

/* sm_error_name() - "ENOKEY" for SM_ENOKEY; "EUNKNOWN" for other codes. */
const char *sm_error_name(int rc);

/* sm_error_message() - the one-line message of errors.def. */
const char *sm_error_message(int rc);

#endif
