/*
 * ctl_admin.c - syncmgrctl info, sessions and stats: the broker's
 * inspection ops (broker/admin.c).  Their replies are maps with str keys;
 * --json prints them as the broker sent them, the human form as aligned
 * "key: value" lines (nested maps as dotted keys: holder.pid) or, for
 * sessions, a table.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "ctl.h"
#include "ctl_json.h"
#include "errors.h"

/* fetch() - the one reply field of @opcode (with str field @arg unless
 * NULL) as JSON; prints the failure and returns its exit code. */
static int fetch(struct ctl *x, int opcode, const char *arg, json_t **out)
{
    struct smc_req rq;
    struct smc_reply rep = {0};
    const uint8_t *p;
    size_t len;
    char err[200] = "reply without a value";
    int rc = arg ? smc_req(&rq, opcode, 0, "s", arg) : smc_req(&rq, opcode, 0, "");
    if (!rc && !(rc = smc_call(x->c, &rq, &rep)))
        rc = mp_read_raw(&rep.r, &p, &len) ? SM_EPROTO
                                           : ctl_json_from_msgpack(p, len, out, err, sizeof(err));
    smc_reply_free(&rep);
    if (rc == SM_EPROTO)
        return ctl_fail(rc, "%s: %s", arg ? arg : x->cmd->name, err);
    return rc ? ctl_fail(rc, "%s", arg ? arg : x->cmd->name) : CTL_OK;
}

/* ---- key: value lines ----------------------------------------------------- */

struct kv {
    char key[96];
    char *val; /* malloc'd */
};

struct kvs {
    struct kv *v;
    size_t n, cap;
    bool failed;
};

/* text() - how a scalar shows: strings bare, null as "-", wall-clock
 * milliseconds (keys ending in "_ms") with their local time, the rest as
 * JSON. */
static char *text(const char *key, const json_t *j)
{
    char *s, *t, when[40];
    size_t klen = strlen(key);
    if (json_is_string(j))
        return strdup(json_string_value(j));
    if (json_is_null(j))
        return strdup("-");
    if (!(s = ctl_json_dumps(j, false)))
        return NULL;
    if (!json_is_integer(j) || klen < 3 || strcmp(key + klen - 3, "_ms"))
        return s;
    ctl_iso_time(json_integer_value(j), when, sizeof(when));
    if ((t = malloc(strlen(s) + strlen(when) + 4)))
        sprintf(t, "%s (%s)", s, when);
    free(s);
    return t;
}

/* flatten() - the members of object @j as lines, keys prefixed by @prefix. */
static void flatten(struct kvs *out, const char *prefix, const json_t *j)
{
    const char *k;
    json_t *v;
    json_object_foreach ((json_t *)j, k, v) {
        char key[96];
        snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "", k);
        if (json_is_object(v) && json_object_size(v) > 0) {
            flatten(out, key, v);
            continue;
        }
        if (out->n == out->cap) {
            struct kv *a = realloc(out->v, (out->cap = out->cap * 2 + 16) * sizeof(*a));
            if (!a) {
                out->failed = true;
                return;
            }
            out->v = a;
        }
        snprintf(out->v[out->n].key, sizeof(out->v[out->n].key), "%s", key);
        if (!(out->v[out->n].val = text(key, v)))
            out->failed = true;
        else
            out->n++;
    }
}

/* print_kv() - object @j (reference stolen) as aligned "key: value" lines,
 * or with --json as it is. */
static int print_kv(struct ctl *x, json_t *j)
{
    struct kvs kv = {0};
    int w = 0, rc = CTL_OK;
    if (x->json)
        return ctl_print_json(x, j);
    flatten(&kv, "", j);
    json_decref(j);
    for (size_t i = 0; i < kv.n; i++)
        w = (int)strlen(kv.v[i].key) > w ? (int)strlen(kv.v[i].key) : w;
    for (size_t i = 0; i < kv.n; i++) {
        if (!kv.failed)
            printf("%s:%*s %s\n", kv.v[i].key, w - (int)strlen(kv.v[i].key), "", kv.v[i].val);
        free(kv.v[i].val);
    }
    free(kv.v);
    if (kv.failed)
        rc = ctl_fail(SM_ENOMEM, "%s", x->cmd->name);
    return rc;
}

int cmd_info(struct ctl *x, int argc, char **argv)
{
    json_t *j;
    (void)argc;
    int rc = fetch(x, SMOP_info, argv[0], &j);
    return rc ? rc : print_kv(x, j);
}

int cmd_stats(struct ctl *x, int argc, char **argv)
{
    json_t *j;
    (void)argc, (void)argv;
    int rc = fetch(x, SMOP_stats, NULL, &j);
    return rc ? rc : print_kv(x, j);
}

/* ---- sessions ------------------------------------------------------------- */

#define SCOLS 9

/* session_cells() - one table row of session @s into @buf, pointed at by @cells. */
static void session_cells(const json_t *s, char buf[SCOLS][64], const char **cells)
{
    static const char *const keys[SCOLS] = {"id",  "pid",  "uid",    "peer",    "since_ms",
                                            "ops", "held", "parked", "readonly"};
    for (int i = 0; i < SCOLS; i++) {
        const json_t *v = json_object_get(s, keys[i]);
        if (!strcmp(keys[i], "since_ms") && json_is_integer(v))
            ctl_iso_time(json_integer_value(v), buf[i], 64);
        else if (!strcmp(keys[i], "readonly"))
            snprintf(buf[i], 64, "%s", json_is_true(v) ? "ro" : "rw");
        else if (!strcmp(keys[i], "peer"))
            snprintf(buf[i], 64, "%s", json_string_length(v) ? json_string_value(v) : "-");
        else if (json_is_integer(v) && json_integer_value(v) >= 0)
            snprintf(buf[i], 64, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        else
            snprintf(buf[i], 64, "-"); /* -1: not known over tcp */
        cells[i] = buf[i];
    }
}

int cmd_sessions(struct ctl *x, int argc, char **argv)
{
    static const bool right[SCOLS] = {true, true, true, false, false, true, true, true, false};
    static const char *const head[SCOLS] = {"ID",  "PID",  "UID",    "PEER", "SINCE",
                                            "OPS", "HELD", "PARKED", "MODE"};
    json_t *j;
    (void)argc, (void)argv;
    int rc = fetch(x, SMOP_sessions, NULL, &j);
    if (rc || x->json)
        return rc ? rc : ctl_print_json(x, j);
    size_t n = json_array_size(j);
    const char **cells = calloc((n + 1) * SCOLS, sizeof(*cells));
    char(*buf)[SCOLS][64] = calloc(n ? n : 1, sizeof(*buf));
    if (!cells || !buf) {
        rc = ctl_fail(SM_ENOMEM, "sessions");
    } else {
        memcpy(cells, head, sizeof(head));
        for (size_t i = 0; i < n; i++)
            session_cells(json_array_get(j, i), buf[i], cells + (i + 1) * SCOLS);
        ctl_table(cells, n + 1, SCOLS, right);
    }
    free(cells);
    free(buf);
    json_decref(j);
    return rc;
}
