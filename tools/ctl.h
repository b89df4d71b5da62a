/*
 * ctl.h - syncmgrctl's pieces: the command table (syncmgrctl.c) and the
 * command handlers (ctl_cmds.c; get and dump in ctl_show.c), with the few
 * helpers they share.
 *
 * A handler receives its checked arguments (the table's arity, so it never
 * counts them again) and, unless the command is .offline, a connected
 * client; it prints its result and returns the process exit code.
 */
#ifndef SM_CTL_H
#define SM_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "op.h"
#include "syncmgr.h"

/* Exit codes, documented in --help. */
enum ctl_exit {
    CTL_OK = 0,     /* success */
    CTL_EFAIL = 1,  /* the broker refused (no such object, key, ...) or a local failure */
    CTL_EUSAGE = 2, /* bad command line */
    CTL_ECONN = 3,  /* cannot connect or authenticate (key file included) */
};

struct ctl {
    const char *address; /* -a, or NULL: $SYNCMGR_ADDRESS, else the default */
    const char *keyfile; /* -k, or NULL: $SYNCMGR_AUTHKEY_FILE, else the default */
    bool json;           /* --json: machine-readable output */
    sm_client *c;        /* connected for commands that are not .offline */
    const struct ctl_cmd *cmd;
};

struct ctl_cmd {
    const char *name;
    int min_args, max_args;
    int (*run)(struct ctl *x, int argc, char **argv);
    bool offline;      /* needs no broker connection */
    const char *usage; /* the arguments, "NAME [KEY|INDEX]" */
    const char *help;  /* one line for --help */
};

/* ctl_fail() - print "syncmgrctl: <what>: <message> (<ENAME>)" for status
 * @rc; returns CTL_ECONN for SM_ECONN/SM_EAUTH, else CTL_EFAIL. */
int ctl_fail(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ctl_usage() - print "syncmgrctl: <message>" and the --help hint;
 * returns CTL_EUSAGE. */
int ctl_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ctl_print_json() - print @j (reference stolen; NULL counts as out of
 * memory) on one line: compact with --json, spaced otherwise. */
int ctl_print_json(const struct ctl *x, json_t *j);

/* One "ls" row (broker/registry.c): [name, type, size, waiters, holder pid
 * | nil, temp, created_ms]; later columns, if any, are skipped. */
struct ls_row {
    char name[SM_NAME_MAX + 1];
    char type[32];
    uint64_t size, waiters;
    bool has_holder, temp;
    int64_t holder, created_ms;
};

/* ctl_ls_fetch() - the "ls" rows matching @glob (NULL: all), sorted by
 * name; free() *rows.  Returns a status. */
int ctl_ls_fetch(sm_client *c, const char *glob, struct ls_row **rows, size_t *n);

/* the handlers (ctl_cmds.c, ctl_show.c) */
int cmd_ping(struct ctl *x, int argc, char **argv);
int cmd_ls(struct ctl *x, int argc, char **argv);
int cmd_get(struct ctl *x, int argc, char **argv);
int cmd_dump(struct ctl *x, int argc, char **argv);
int cmd_keygen(struct ctl *x, int argc, char **argv);

#endif
