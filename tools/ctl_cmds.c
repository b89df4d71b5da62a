/*
 * ctl_cmds.c - syncmgrctl's commands.  Each speaks the wire protocol through
 * libsyncmgr's internal request API (client_internal.h), so any op in
 * ops.def is one smc_req() away, and prints what the broker said as text or
 * (--json) JSON.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "client_internal.h"
#include "ctl.h"
#include "ctl_json.h"
#include "errors.h"

/* ---- ping --------------------------------------------------------------- */

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int cmd_ping(struct ctl *x, int argc, char **argv)
{
    (void)argc, (void)argv;
    char *version = NULL;
    int64_t t0 = mono_us();
    int rc = sm_ping(x->c, &version);
    int64_t rtt = mono_us() - t0;
    if (rc)
        return ctl_fail(rc, "ping");
    if (x->json)
        rc = ctl_print_json(x,
                            json_pack("{s:s, s:I}", "version", version, "rtt_us", (json_int_t)rtt));
    else
        printf("PONG syncmgrd %s time=%" PRId64 "us\n", version, rtt);
    free(version);
    return rc;
}

/* ---- ls ----------------------------------------------------------------- */

/* One "ls" row (broker/registry.c): [name, type, size, waiters, holder pid
 * | nil, temp, created_ms]; later columns, if any, are skipped. */
struct ls_row {
    char name[SM_NAME_MAX + 1];
    char type[32];
    uint64_t size, waiters;
    bool has_holder, temp;
    int64_t holder, created_ms;
};

static int read_strz(mp_reader *r, char *buf, size_t size)
{
    const char *s;
    uint32_t n;
    int rc = mp_read_str(r, &s, &n);
    if (!rc)
        snprintf(buf, size, "%.*s", (int)n, s);
    return rc;
}

static int read_row(mp_reader *r, struct ls_row *row)
{
    uint32_t n;
    const uint8_t *p;
    size_t len;
    if (mp_read_array(r, &n) || n < 7 || read_strz(r, row->name, sizeof(row->name)) ||
        read_strz(r, row->type, sizeof(row->type)) || mp_read_uint(r, &row->size) ||
        mp_read_uint(r, &row->waiters))
        return SM_EPROTO;
    row->has_holder = mp_peek(r) != MP_NIL;
    if ((row->has_holder ? mp_read_int(r, &row->holder) : mp_read_nil(r)) ||
        mp_read_bool(r, &row->temp) || mp_read_int(r, &row->created_ms))
        return SM_EPROTO;
    for (; n > 7; n--)
        if (mp_read_raw(r, &p, &len))
            return SM_EPROTO;
    return SM_OK;
}

static int row_cmp(const void *a, const void *b)
{
    return strcmp(((const struct ls_row *)a)->name, ((const struct ls_row *)b)->name);
}

/* ls_fetch() - the rows matching @glob (NULL: all), sorted by name; free()
 * *rows.  Returns a status. */
static int ls_fetch(sm_client *c, const char *glob, struct ls_row **rows, size_t *n)
{
    struct smc_req rq;
    struct smc_reply rep = {0};
    uint32_t count = 0;
    *rows = NULL;
    *n = 0;
    int rc = glob ? smc_req(&rq, SMOP_ls, 0, "s", glob) : smc_req(&rq, SMOP_ls, 0, "");
    if (rc || (rc = smc_call(c, &rq, &rep)) || (rc = mp_read_array(&rep.r, &count) ? SM_EPROTO : 0))
        goto out;
    if (count && !(*rows = calloc(count, sizeof(**rows)))) {
        rc = SM_ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < count && !rc; i++)
        rc = read_row(&rep.r, &(*rows)[i]);
    if (rc) {
        free(*rows);
        *rows = NULL;
        goto out;
    }
    *n = count;
    qsort(*rows, count, sizeof(**rows), row_cmp);
out:
    smc_reply_free(&rep);
    return rc;
}

/* iso_time() - @ms since the epoch as local ISO-8601: 2024-05-01T12:34:56+02:00. */
static void iso_time(int64_t ms, char *buf, size_t size)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char off[8];
    if (!localtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm) ||
        !strftime(off, sizeof(off), "%z", &tm)) {
        snprintf(buf, size, "%" PRId64, ms);
        return;
    }
    size_t len = strlen(buf);
    snprintf(buf + len, size - len, "%.3s:%.2s", off, off + 3);
}

/* width() - columns a UTF-8 string takes (code points: names are printable). */
static int width(const char *s)
{
    int w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

#define NCOLS 7

static void print_line(char cells[NCOLS][48], const char *name, const int *w)
{
    /* NAME and TYPE left-aligned, numbers right-aligned, the rest left */
    static const bool right[NCOLS] = {false, false, true, true, true, false, false};
    printf("%s%*s", name, w[0] - width(name), "");
    for (int i = 1; i < NCOLS; i++) {
        int pad = w[i] - (int)strlen(cells[i]);
        if (i == NCOLS - 1)
            printf("  %s\n", cells[i]); /* no trailing blanks */
        else if (right[i])
            printf("  %*s%s", pad, "", cells[i]);
        else
            printf("  %s%*s", cells[i], pad, "");
    }
}

static void ls_cells(const struct ls_row *r, char cells[NCOLS][48])
{
    snprintf(cells[1], 48, "%s", r->type);
    snprintf(cells[2], 48, "%" PRIu64, r->size);
    snprintf(cells[3], 48, "%" PRIu64, r->waiters);
    if (r->has_holder)
        snprintf(cells[4], 48, "%" PRId64, r->holder);
    else
        snprintf(cells[4], 48, "-");
    snprintf(cells[5], 48, "%s", r->temp ? "yes" : "no");
    iso_time(r->created_ms, cells[6], 48);
}

static void ls_table(const struct ls_row *rows, size_t n)
{
    char cells[NCOLS][48] = {"NAME", "TYPE", "SIZE", "WAITERS", "HOLDER", "TEMP", "CREATED"};
    int w[NCOLS];
    for (int i = 0; i < NCOLS; i++)
        w[i] = (int)strlen(cells[i]);
    for (size_t r = 0; r < n; r++) {
        ls_cells(&rows[r], cells);
        w[0] = width(rows[r].name) > w[0] ? width(rows[r].name) : w[0];
        for (int i = 1; i < NCOLS; i++)
            w[i] = (int)strlen(cells[i]) > w[i] ? (int)strlen(cells[i]) : w[i];
    }
    char head[NCOLS][48] = {"NAME", "TYPE", "SIZE", "WAITERS", "HOLDER", "TEMP", "CREATED"};
    print_line(head, "NAME", w);
    for (size_t r = 0; r < n; r++) {
        ls_cells(&rows[r], cells);
        print_line(cells, rows[r].name, w);
    }
}

static json_t *ls_json(const struct ls_row *rows, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        const struct ls_row *r = &rows[i];
        json_t *o =
            json_pack("{s:s, s:s, s:I, s:I, s:o, s:b, s:I}", "name", r->name, "type", r->type,
                      "size", (json_int_t)r->size, "waiters", (json_int_t)r->waiters, "holder_pid",
                      r->has_holder ? json_integer(r->holder) : json_null(), "temp", r->temp,
                      "created_ms", (json_int_t)r->created_ms);
        if (json_array_append_new(a, o)) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

int cmd_ls(struct ctl *x, int argc, char **argv)
{
    struct ls_row *rows;
    size_t n;
    int rc = ls_fetch(x->c, argc ? argv[0] : NULL, &rows, &n);
    if (rc)
        return ctl_fail(rc, "ls");
    if (x->json)
        rc = ctl_print_json(x, ls_json(rows, n));
    else
        ls_table(rows, n);
    free(rows);
    return rc;
}

/* ---- get / dump --------------------------------------------------------- */

/* How each type is shown: the op that reads it whole (wrapped as {wrap:
 * value} when .wrap is set) and the op that reads one item by a KEY ('v')
 * or an INDEX ('i'). */
static const struct view {
    unsigned type;
    int whole_op;
    const char *wrap;
    int item_op;
    char item;
} views[] = {
    {SM_T_DICT, SMOP_dict_copy, NULL, SMOP_dict_get, 'v'},
    {SM_T_LIST, SMOP_list_copy, NULL, SMOP_list_get, 'i'},
    {SM_T_LOCK, SMOP_lock_locked, "locked", -1, 0},
};

/* find_type() - the type of object @name, from an "ls" of its escaped name. */
static int find_type(sm_client *c, const char *name, unsigned *type)
{
    char glob[2 * SM_NAME_MAX + 1], *g = glob;
    struct ls_row *rows;
    size_t n;
    if (strlen(name) > SM_NAME_MAX)
        return SM_EINVAL;
    for (const char *s = name; *s; s++) {
        if (strchr("*?[\\", *s))
            *g++ = '\\';
        *g++ = *s;
    }
    *g = '\0';
    int rc = ls_fetch(c, glob, &rows, &n);
    if (rc)
        return rc;
    rc = SM_ENOENT;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(rows[i].name, name)) {
            *type = type_by_name(rows[i].type);
            rc = SM_OK;
        }
    free(rows);
    return rc;
}

/* item_req() - the request for one item: KEY read as JSON when it is JSON,
 * else as a plain string; INDEX an integer (else a usage error). */
static int item_req(const struct view *v, uint64_t handle, const char *arg, struct smc_req *rq)
{
    if (v->item == 'i') {
        char *end;
        long long i = strtoll(arg, &end, 10);
        if (!*arg || *end)
            return -ctl_usage("get: INDEX must be an integer, not '%s'", arg);
        return smc_req(rq, v->item_op, handle, "i", (int64_t)i);
    }
    msgpack_sbuffer sb;
    msgpack_packer pk;
    char err[200] = "out of memory";
    json_t *j = json_loads(arg, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    int rc = j ? ctl_json_to_msgpack(j, &pk, err, sizeof(err))
             : msgpack_pack_str_with_body(&pk, arg, strlen(arg)) ? SM_ENOMEM
                                                                 : SM_OK;
    json_decref(j);
    if (rc) {
        msgpack_sbuffer_destroy(&sb);
        return -ctl_usage("get: KEY %s: %s", arg, err);
    }
    sm_val key = sm_msgpack(sb.data, sb.size);
    rc = smc_req(rq, v->item_op, handle, "v", &key);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

/* show() - print object @name whole, or its item @arg (may be NULL). */
static int show(struct ctl *x, const char *name, const char *arg)
{
    const struct view *v = NULL;
    struct smc_obj *o = NULL;
    struct smc_req rq;
    struct smc_reply rep = {0};
    unsigned type = SM_T_NONE;
    json_t *j = NULL;
    char err[200] = "out of memory";
    const uint8_t *p;
    size_t len;

    int rc = find_type(x->c, name, &type);
    if (rc)
        return ctl_fail(rc, "%s", name);
    for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++)
        if (views[i].type == type)
            v = &views[i];
    if (!v) {
        fprintf(stderr, "syncmgrctl: %s: cannot show a %s yet (ENOTSUP)\n", name,
                type_name(type) ? type_name(type) : "object of this type");
        return CTL_EFAIL;
    }
    if (arg && v->item_op < 0)
        return ctl_usage("get: %s is a %s: it takes no KEY or INDEX", name, type_name(type));
    if ((rc = smc_obj_open(x->c, name, 0, type, NULL, NULL, sizeof(*o), &o)))
        return ctl_fail(rc, "%s", name);
    rc = arg ? item_req(v, o->handle, arg, &rq) : smc_req(&rq, v->whole_op, o->handle, "");
    if (rc < 0) {
        smc_obj_close(o);
        return -rc; /* a usage error, already reported */
    }
    if (rc || (rc = smc_call(x->c, &rq, &rep))) {
        smc_reply_free(&rep);
        smc_obj_close(o);
        return arg ? ctl_fail(rc, "%s[%s]", name, arg) : ctl_fail(rc, "%s", name);
    }
    if (mp_read_raw(&rep.r, &p, &len))
        snprintf(err, sizeof(err), "reply without a value");
    else if (!(rc = ctl_json_from_msgpack(p, len, &j, err, sizeof(err))) && v->wrap && !arg)
        j = json_pack("{s:o}", v->wrap, j);
    smc_reply_free(&rep);
    smc_obj_close(o);
    if (!j) {
        fprintf(stderr, "syncmgrctl: %s: %s\n", name, err);
        return CTL_EFAIL;
    }
    return ctl_print_json(x, j);
}

int cmd_get(struct ctl *x, int argc, char **argv)
{
    return show(x, argv[0], argc > 1 ? argv[1] : NULL);
}

int cmd_dump(struct ctl *x, int argc, char **argv)
{
    (void)argc;
    return show(x, argv[0], NULL);
}

/* ---- keygen ------------------------------------------------------------- */

int cmd_keygen(struct ctl *x, int argc, char **argv)
{
    (void)x, (void)argc;
    char why[512];
    int rc = auth_keygen(argv[0], why, sizeof(why));
    if (rc) {
        fprintf(stderr, "syncmgrctl: %s (%s)\n", why, sm_error_name(rc));
        return CTL_EFAIL;
    }
    return CTL_OK;
}
