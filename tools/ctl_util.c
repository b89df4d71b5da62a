/*
 * ctl_util.c - what several syncmgrctl commands share: finding an object's
 * ls row, reading KEY and VALUE arguments, times and aligned tables.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "ctl_json.h"
#include "errors.h"

int ctl_find_row(sm_client *c, const char *name, struct ls_row *row)
{
    char glob[2 * SM_NAME_MAX + 1], *g = glob;
    struct ls_row *rows;
    size_t n;
    if (strlen(name) > SM_NAME_MAX)
        return SM_EINVAL;
    for (const char *s = name; *s; s++) { /* the name, not a glob */
        if (strchr("*?[\\", *s))
            *g++ = '\\';
        *g++ = *s;
    }
    *g = '\0';
    int rc = ctl_ls_fetch(c, glob, &rows, &n);
    if (rc)
        return rc;
    rc = SM_ENOENT;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(rows[i].name, name)) {
            *row = rows[i];
            rc = SM_OK;
        }
    free(rows);
    return rc;
}

int ctl_pack_key(const char *arg, msgpack_sbuffer *sb, char *err, size_t errlen)
{
    msgpack_packer pk;
    json_t *j = json_loads(arg, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    int rc = j ? ctl_json_to_msgpack(j, &pk, err, errlen)
             : msgpack_pack_str_with_body(&pk, arg, strlen(arg)) ? SM_ENOMEM
                                                                 : SM_OK;
    json_decref(j);
    if (rc)
        msgpack_sbuffer_destroy(sb);
    return rc;
}

/* read_text() - the whole of @path ("-": stdin) as a NUL-terminated string. */
static char *read_text(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    if (!f)
        return NULL;
    for (;;) {
        if (cap - n < 4096) {
            char *b = cap > (1u << 30) ? NULL : realloc(buf, cap = cap * 2 + 8192);
            if (!b) {
                free(buf);
                buf = NULL;
                errno = ENOMEM;
                break;
            }
            buf = b;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                free(buf);
                buf = NULL;
            }
            break;
        }
    }
    if (f != stdin)
        fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

int ctl_pack_value(const char *arg, msgpack_sbuffer *sb)
{
    char err[200] = "out of memory", *text = NULL;
    const char *src = arg;
    size_t len = strlen(arg);
    json_error_t jerr;
    msgpack_packer pk;
    if (!strcmp(arg, "-") || arg[0] == '@') {
        const char *path = arg[0] == '@' ? arg + 1 : "-";
        if (!(text = read_text(path, &len))) {
            fprintf(stderr, "syncmgrctl: %s: %s\n", *path == '-' ? "stdin" : path, strerror(errno));
            return -CTL_EFAIL;
        }
        src = text;
    }
    json_t *j = json_loadb(src, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    free(text);
    if (!j)
        return -ctl_usage("VALUE %s is not JSON: %s (a string is written \"\\\"text\\\"\")", arg,
                          jerr.text);
    msgpack_sbuffer_init(sb);
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    int rc = ctl_json_to_msgpack(j, &pk, err, sizeof(err));
    json_decref(j);
    if (rc) {
        msgpack_sbuffer_destroy(sb);
        return -ctl_usage("VALUE %s: %s", arg, err);
    }
    return SM_OK;
}

void ctl_iso_time(int64_t ms, char *buf, size_t size)
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

int ctl_width(const char *s)
{
    int w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xc0) != 0x80;
    return w;
}

void ctl_table(const char *const *cells, size_t nrows, size_t ncols, const bool *right)
{
    int w[CTL_TABLE_MAXCOLS] = {0};
    for (size_t r = 0; r < nrows; r++)
        for (size_t i = 0; i < ncols && i < CTL_TABLE_MAXCOLS; i++) {
            int cw = ctl_width(cells[r * ncols + i]);
            w[i] = cw > w[i] ? cw : w[i];
        }
    for (size_t r = 0; r < nrows; r++)
        for (size_t i = 0; i < ncols && i < CTL_TABLE_MAXCOLS; i++) {
            const char *c = cells[r * ncols + i];
            int pad = w[i] - ctl_width(c);
            const char *sep = i ? "  " : "";
            if (i == ncols - 1 && !right[i])
                printf("%s%s\n", sep, c); /* no trailing blanks */
            else if (right[i])
                printf("%s%*s%s%s", sep, pad, "", c, i == ncols - 1 ? "\n" : "");
            else
                printf("%s%s%*s", sep, c, pad, "");
        }
}
