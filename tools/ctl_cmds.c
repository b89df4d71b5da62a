/*
 * ctl_cmds.c - syncmgrctl ping, ls and keygen.  Each
 * speaks the wire protocol through libsyncmgr's internal request API
 * (client_internal.h), so any op in ops.def is one smc_req() away, and
 * prints what the broker said as text or (--json) JSON.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "client_internal.h"
#include "ctl.h"
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

int ctl_ls_fetch(sm_client *c, const char *glob, struct ls_row **rows, size_t *n)
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
    if (count) /* qsort(NULL, 0, ...) is undefined */
        qsort(*rows, count, sizeof(**rows), row_cmp);
out:
    smc_reply_free(&rep);
    return rc;
}

#define NCOLS 7

static void print_line(char cells[NCOLS][48], const char *name, const int *w)
{
    /* NAME and TYPE left-aligned, numbers right-aligned, the rest left */
    static const bool right[NCOLS] = {false, false, true, true, true, false, false};
    printf("%s%*s", name, w[0] - ctl_width(name), "");
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
    ctl_iso_time(r->created_ms, cells[6], 48);
}

static void ls_table(const struct ls_row *rows, size_t n)
{
    char cells[NCOLS][48] = {"NAME", "TYPE", "SIZE", "WAITERS", "HOLDER", "TEMP", "CREATED"};
    int w[NCOLS];
    for (int i = 0; i < NCOLS; i++)
        w[i] = (int)strlen(cells[i]);
    for (size_t r = 0; r < n; r++) {
        ls_cells(&rows[r], cells);
        w[0] = ctl_width(rows[r].name) > w[0] ? ctl_width(rows[r].name) : w[0];
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
    int rc = ctl_ls_fetch(x->c, argc ? argv[0] : NULL, &rows, &n);
    if (rc)
        return ctl_fail(rc, "ls");
    if (x->json)
        rc = ctl_print_json(x, ls_json(rows, n));
    else
        ls_table(rows, n);
    free(rows);
    return rc;
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
