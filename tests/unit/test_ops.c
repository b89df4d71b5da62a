/*
 * test_ops.c - the tables: ops.def, types.def, errors.def and their lookups.
 */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "errors.h"
#include "op.h"

/* The rows exactly as written in the .def files, independent of op.c. */
struct op_row {
    int code;
    const char *sym, *name;
};
static const struct op_row op_rows[] = {
#define SM_OP(sym, code, name, ...) {code, #sym, name},
#include "ops.def"
#undef SM_OP
};
#define NOPS (sizeof(op_rows) / sizeof(op_rows[0]))

struct type_row {
    unsigned code;
    const char *name;
};
static const struct type_row type_rows[] = {
#define SM_TYPE(sym, code, name) {code, name},
#include "types.def"
#undef SM_TYPE
};
#define NTYPES (sizeof(type_rows) / sizeof(type_rows[0]))

struct err_row {
    int code;
    const char *sym, *name, *msg;
};
static const struct err_row err_rows[] = {
#define SM_ERR(sym, code, name, msg) {code, #sym, name, msg},
#include "errors.def"
#undef SM_ERR
};
#define NERRS (sizeof(err_rows) / sizeof(err_rows[0]))

START_TEST(ops_rows_unique_and_found)
{
    ck_assert_uint_gt(NOPS, 0);
    for (size_t i = 0; i < NOPS; i++) {
        const struct op_row *r = &op_rows[i];
        ck_assert_msg(r->code > 0 && r->code < SMOP_MAX, "%s: opcode %#x", r->sym, r->code);
        for (size_t j = 0; j < i; j++) {
            ck_assert_msg(op_rows[j].code != r->code, "%s and %s share opcode %#x",
                          op_rows[j].sym, r->sym, r->code);
            ck_assert_msg(strcmp(op_rows[j].name, r->name) != 0, "%s and %s share name %s",
                          op_rows[j].sym, r->sym, r->name);
        }
        const struct op_desc *d = op_lookup((uint64_t)r->code);
        ck_assert_ptr_nonnull(d);
        ck_assert_str_eq(d->name, r->name);
        ck_assert_int_eq(op_by_name(r->name), r->code);
    }
}
END_TEST

START_TEST(ops_lookup_covers_exactly_the_rows)
{
    size_t found = 0;
    for (uint64_t code = 0; code < SMOP_MAX; code++) {
        const struct op_desc *d = op_lookup(code);
        if (!d)
            continue;
        found++;
        ck_assert_ptr_nonnull(d->name);
        ck_assert_ptr_nonnull(d->args);
        ck_assert_int_eq(op_by_name(d->name), (int)code); /* round trip */
    }
    ck_assert_uint_eq(found, NOPS);
    ck_assert_ptr_null(op_lookup(0));
    ck_assert_ptr_null(op_lookup(SMOP_MAX));
    ck_assert_ptr_null(op_lookup(SMOP_MAX + 1));
    ck_assert_ptr_null(op_lookup(UINT64_MAX));
    ck_assert_ptr_null(op_lookup(1ull << 32 | SMOP_ping)); /* no truncation */
    ck_assert_int_eq(op_by_name("nope"), -1);
    ck_assert_int_eq(op_by_name(""), -1);
    ck_assert_int_eq(op_by_name("dict"), -1);
    ck_assert_int_eq(op_by_name("dict.set "), -1);
    ck_assert_int_eq(op_by_name("DICT.SET"), -1);
    /* the opcodes PROTOCOL.md and the handshake rely on */
    ck_assert_int_eq(SMOP_hello, 0x01);
    ck_assert_int_eq(SMOP_auth, 0x02);
    ck_assert_int_eq(op_by_name("hello"), 0x01);
    ck_assert_int_eq(op_by_name("auth"), 0x02);
    ck_assert_int_eq(op_by_name("dict.set"), SMOP_dict_set);
}
END_TEST

START_TEST(ops_names_well_formed)
{
    for (size_t i = 0; i < NOPS; i++) {
        const char *n = op_rows[i].name;
        ck_assert_uint_gt(strlen(n), 0);
        ck_assert_msg(strspn(n, "abcdefghijklmnopqrstuvwxyz_.") == strlen(n), "name '%s'", n);
        ck_assert_msg(n[0] != '.' && n[strlen(n) - 1] != '.', "name '%s'", n);
        /* the C symbol is the wire name with '.' as '_' */
        char sym[64];
        ck_assert_uint_lt(strlen(n), sizeof(sym));
        strcpy(sym, n);
        for (char *c = sym; *c; c++)
            if (*c == '.')
                *c = '_';
        ck_assert_str_eq(sym, op_rows[i].sym);
    }
}
END_TEST

START_TEST(ops_args_and_flags)
{
    const unsigned known = OPF_WRITE | OPF_BLOCKING | OPF_READONLY | OPF_ADMIN | OPF_NOAUTH;
    for (uint64_t code = 0; code < SMOP_MAX; code++) {
        const struct op_desc *d = op_lookup(code);
        if (!d)
            continue;
        const char *a = d->args;
        ck_assert_msg(strspn(a, "viutsxbamn|") == strlen(a), "%s: args \"%s\"", d->name, a);
        const char *bar = strchr(a, '|');
        ck_assert_msg(!bar || !strchr(bar + 1, '|'), "%s: two '|' in \"%s\"", d->name, a);
        size_t letters = strlen(a) - (bar != NULL);
        ck_assert_msg(letters <= SM_MAX_ARGS, "%s: %zu fields", d->name, letters);
        ck_assert_msg(!bar || bar[1], "%s: '|' with nothing after it", d->name);
        ck_assert_msg((d->flags & ~known) == 0, "%s: unknown flags %#x", d->name, d->flags);
        ck_assert_msg(!((d->flags & OPF_WRITE) && (d->flags & OPF_READONLY)),
                      "%s: both WRITE and READONLY", d->name);
        /* a blocking op carries its timeout */
        if (d->flags & OPF_BLOCKING)
            ck_assert_msg(strchr(a, 't'), "%s: BLOCKING without a 't' field", d->name);
        /* only the handshake may run before it completes */
        if (d->flags & OPF_NOAUTH)
            ck_assert_msg(code == SMOP_hello || code == SMOP_auth, "%s: NOAUTH", d->name);
        /* typed ops name a real type */
        if (d->type)
            ck_assert_msg(type_name(d->type) != NULL, "%s: type %u has no name", d->name,
                          d->type);
    }
    ck_assert(op_lookup(SMOP_hello)->flags & OPF_NOAUTH);
    ck_assert(op_lookup(SMOP_auth)->flags & OPF_NOAUTH);
    ck_assert_uint_eq(op_lookup(SMOP_hello)->type, 0);
    ck_assert_uint_eq(op_lookup(SMOP_dict_set)->type, SM_T_DICT);
    ck_assert_uint_eq(op_lookup(SMOP_list_append)->type, SM_T_LIST);
    ck_assert_uint_eq(op_lookup(SMOP_lock_acquire)->type, SM_T_LOCK);
    ck_assert(op_lookup(SMOP_lock_acquire)->flags & OPF_BLOCKING);
}
END_TEST

START_TEST(types_round_trip)
{
    ck_assert_uint_gt(NTYPES, 0);
    for (size_t i = 0; i < NTYPES; i++) {
        const struct type_row *r = &type_rows[i];
        ck_assert_uint_gt(r->code, 0);
        ck_assert_uint_lt(r->code, SM_T_MAX);
        ck_assert_ptr_nonnull(type_name(r->code));
        ck_assert_str_eq(type_name(r->code), r->name);
        ck_assert_uint_eq(type_by_name(r->name), r->code);
        for (size_t j = 0; j < i; j++) {
            ck_assert_uint_ne(type_rows[j].code, r->code);
            ck_assert_str_ne(type_rows[j].name, r->name);
        }
    }
    size_t named = 0;
    for (unsigned t = 0; t < SM_T_MAX + 4; t++)
        named += type_name(t) != NULL;
    ck_assert_uint_eq(named, NTYPES);
    ck_assert_ptr_null(type_name(SM_T_NONE));
    ck_assert_ptr_null(type_name(SM_T_MAX));
    ck_assert_ptr_null(type_name(~0u));
    ck_assert_uint_eq(type_by_name("nope"), SM_T_NONE);
    ck_assert_uint_eq(type_by_name(""), SM_T_NONE);
    ck_assert_uint_eq(type_by_name("Dict"), SM_T_NONE);
    ck_assert_uint_eq(type_by_name("dict"), SM_T_DICT);
}
END_TEST

START_TEST(errors_named)
{
    ck_assert_uint_gt(NERRS, 0);
    ck_assert_int_eq(err_rows[0].code, SM_OK);
    ck_assert_str_eq(sm_error_name(SM_OK), "OK");
    for (size_t i = 0; i < NERRS; i++) {
        const struct err_row *r = &err_rows[i];
        ck_assert_str_eq(sm_error_name(r->code), r->name);
        ck_assert_str_eq(sm_error_message(r->code), r->msg);
        ck_assert_uint_gt(strlen(r->msg), 0);
        ck_assert_str_ne(r->name, "EUNKNOWN");
        /* the wire name is the symbol without its SM_ prefix */
        ck_assert_str_eq(r->sym + 3, r->name);
        ck_assert_msg(strncmp(r->sym, "SM_", 3) == 0, "%s", r->sym);
        /* reply_finish() writes the status as one positive fixint byte */
        ck_assert_msg(r->code >= 0 && r->code <= 0x7f, "%s = %d", r->sym, r->code);
        for (size_t j = 0; j < i; j++) {
            ck_assert_int_ne(err_rows[j].code, r->code);
            ck_assert_str_ne(err_rows[j].name, r->name);
        }
    }
    /* stable numbers that other programs (and PROTOCOL.md) depend on */
    ck_assert_int_eq(SM_EAUTH, 1);
    ck_assert_int_eq(SM_ECONN, 2);
    ck_assert_int_eq(SM_EPROTO, 3);
    ck_assert_int_eq(SM_ETIMEDOUT, 12);
    ck_assert_int_eq(SM_EOWNERDEAD, 13);
    ck_assert_int_eq(SM_ENOTSUP, 19);
}
END_TEST

START_TEST(errors_unknown)
{
    static const int bad[] = {-1, SM_PARKED, -1000, 0x7fffffff, (int)0x80000000};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_str_eq(sm_error_name(bad[i]), "EUNKNOWN");
        ck_assert_str_eq(sm_error_message(bad[i]), "unknown error");
    }
    int max = 0;
    for (size_t i = 0; i < NERRS; i++)
        if (err_rows[i].code > max)
            max = err_rows[i].code;
    ck_assert_str_eq(sm_error_name(max + 1), "EUNKNOWN");
    ck_assert_str_eq(sm_error_name(max + 100), "EUNKNOWN");
    ck_assert_str_eq(sm_error_message(max + 1), "unknown error");
    /* every code in 0..max that is not a row is unknown, not a NULL */
    for (int c = 0; c <= max; c++) {
        bool row = false;
        for (size_t i = 0; i < NERRS; i++)
            row |= err_rows[i].code == c;
        if (!row)
            ck_assert_str_eq(sm_error_name(c), "EUNKNOWN");
        ck_assert_ptr_nonnull(sm_error_message(c));
    }
}
END_TEST

static Suite *ops_suite(void)
{
    Suite *s = suite_create("ops");
    TCase *tc = tcase_create("tables");
    tcase_add_test(tc, ops_rows_unique_and_found);
    tcase_add_test(tc, ops_lookup_covers_exactly_the_rows);
    tcase_add_test(tc, ops_names_well_formed);
    tcase_add_test(tc, ops_args_and_flags);
    tcase_add_test(tc, types_round_trip);
    tcase_add_test(tc, errors_named);
    tcase_add_test(tc, errors_unknown);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(ops_suite(), CK_NORMAL);
}
