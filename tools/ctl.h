/*
 * ctl.h - syncmgrctl's pieces: the command table (syncmgrctl.c) and the
 * command handlers (ping, ls, keygen in ctl_cmds.c; get and dump in
 * ctl_show.c; info, sessions, stats in ctl_admin.c; new and the writes in
 * ctl_write.c; watch and monitor in ctl_watch.c), with the helpers they
 * share (ctl_util.c).
 *
 * A handler receives its checked arguments (the table's arity, so it never
 * counts them again) and, unless the command is .offline, a connected
 * client; it prints its result and returns the process exit code.
 */
#ifndef SM_CTL_H
#define SM_CTL_H

#include <jansson.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
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
 * @rc; returns CTL_ECONN for SM_ECONN (the connection is lost), else
 * CTL_EFAIL (an SM_EAUTH once connected is a refusal: a read-only key). */
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

/* ---- ctl_util.c ---------------------------------------------------------- */

/* ctl_find_row() - the ls row of the object named exactly @name (an "ls" of
 * its escaped name).  SM_OK, SM_ENOENT or a transport status. */
int ctl_find_row(sm_client *c, const char *name, struct ls_row *row);

/* ctl_pack_key() - a KEY argument packed into a new @sb: as JSON when it is
 * JSON (1 an integer, '"1"' a string), else as the plain string.  SM_OK
 * (destroy @sb), or a status with the reason in @err. */
int ctl_pack_key(const char *arg, msgpack_sbuffer *sb, char *err, size_t errlen);

/* ctl_pack_value() - a VALUE argument packed into a new @sb: JSON text,
 * "@FILE" the JSON in FILE, "-" the JSON on stdin.  SM_OK (destroy @sb), or
 * a negated exit code, the problem already reported (-CTL_EUSAGE for text
 * that is not JSON, -CTL_EFAIL for a file that cannot be read). */
int ctl_pack_value(const char *arg, msgpack_sbuffer *sb);

/* ctl_iso_time() - @ms since the epoch as local ISO-8601,
 * 2024-05-01T12:34:56+02:00. */
void ctl_iso_time(int64_t ms, char *buf, size_t size);

/* ctl_width() - columns a UTF-8 string takes (code points). */
int ctl_width(const char *s);

#define CTL_TABLE_MAXCOLS 16

/* ctl_table() - print @nrows rows (the first is the heading) of @ncols
 * cells each (row-major in @cells) as aligned columns two blanks apart;
 * right[i]: column i is right-aligned. */
void ctl_table(const char *const *cells, size_t nrows, size_t ncols, const bool *right);

/* ---- the handlers --------------------------------------------------------- */

int cmd_ping(struct ctl *x, int argc, char **argv);
int cmd_ls(struct ctl *x, int argc, char **argv);
int cmd_keygen(struct ctl *x, int argc, char **argv);
int cmd_get(struct ctl *x, int argc, char **argv);
int cmd_dump(struct ctl *x, int argc, char **argv);
int cmd_info(struct ctl *x, int argc, char **argv);
int cmd_sessions(struct ctl *x, int argc, char **argv);
int cmd_stats(struct ctl *x, int argc, char **argv);
int cmd_new(struct ctl *x, int argc, char **argv);
int cmd_set(struct ctl *x, int argc, char **argv);
int cmd_del(struct ctl *x, int argc, char **argv);
int cmd_append(struct ctl *x, int argc, char **argv);
int cmd_put(struct ctl *x, int argc, char **argv);
int cmd_incr(struct ctl *x, int argc, char **argv);
int cmd_rm(struct ctl *x, int argc, char **argv);
int cmd_watch(struct ctl *x, int argc, char **argv);
int cmd_monitor(struct ctl *x, int argc, char **argv);

#endif
