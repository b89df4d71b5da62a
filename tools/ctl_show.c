/*
 * ctl_show.c - syncmgrctl get and dump: an object, or one item of it, as
 * JSON.  One table says, for every type, which ops show it.
 *
 * Only reads: the R rows of ops.def, and pipe.poll with timeout 0, which
 * looks at an end without taking anything.  The handle is opened with flags
 * 0, so showing never creates.  A view made of several reads (a queue's
 * qsize, empty and full) sends one request each: it is not a snapshot.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "ctl.h"
#include "ctl_json.h"
#include "errors.h"

/* What a read sends after the handle, or where it looks instead. */
enum read_args {
    RA_NONE,   /* no field */
    RA_ALL,    /* start, stop, step all None: the whole sequence */
    RA_ENDS,   /* end, timeout 0: asked of end 0, then of end 1; shown as [r0, r1] */
    RA_HOLDER, /* no op: the holder pid of the object's ls row, or null */
};

/* One read: its answer is shown as member .key of a JSON object, or (.key
 * NULL) is the whole view. */
struct read {
    const char *key;
    int op;
    enum read_args args;
};

#define MAX_READS 3

/* How each type is shown: whole by its reads (up to the first empty one);
 * one item by .item_op (0: the type has no items), which takes a KEY ('v',
 * read as JSON when it is JSON), an INDEX ('i') or an attribute name ('s'). */
static const struct view {
    unsigned type;
    struct read reads[MAX_READS];
    int item_op;
    char item;
} views[] = {
    {.type = SM_T_DICT, .reads = {{NULL, SMOP_dict_copy}}, .item_op = SMOP_dict_get, .item = 'v'},
    {.type = SM_T_LIST, .reads = {{NULL, SMOP_list_copy}}, .item_op = SMOP_list_get, .item = 'i'},
    {.type = SM_T_LOCK, .reads = {{"locked", SMOP_lock_locked}}},
    {.type = SM_T_RLOCK, .reads = {{"locked", SMOP_rlock_locked}}},
    {.type = SM_T_QUEUE,
     .reads = {{"qsize", SMOP_queue_qsize},
               {"empty", SMOP_queue_empty},
               {"full", SMOP_queue_full}}},
    {.type = SM_T_SEM, .reads = {{"value", SMOP_semaphore_value}}},
    {.type = SM_T_COND, .reads = {{"lock_holder_pid", 0, RA_HOLDER}}},
    {.type = SM_T_EVENT, .reads = {{"set", SMOP_event_is_set}}},
    {.type = SM_T_BARRIER,
     .reads = {{"parties", SMOP_barrier_parties},
               {"n_waiting", SMOP_barrier_n_waiting},
               {"broken", SMOP_barrier_broken}}},
    {.type = SM_T_VALUE, .reads = {{NULL, SMOP_value_get}}},
    {.type = SM_T_ARRAY,
     .reads = {{NULL, SMOP_array_getslice, RA_ALL}},
     .item_op = SMOP_array_get,
     .item = 'i'},
    {.type = SM_T_NAMESPACE,
     .reads = {{NULL, SMOP_namespace_list}},
     .item_op = SMOP_namespace_get,
     .item = 's'},
    {.type = SM_T_PIPE, .reads = {{"ready", SMOP_pipe_poll, RA_ENDS}}},
};

/* call_json() - send @rq (consumed); the reply's value as JSON in *out.
 * Returns a status, with a reason in @err when the reply is at fault. */
static int call_json(sm_client *c, struct smc_req *rq, json_t **out, char *err, size_t errlen)
{
    struct smc_reply rep = {0};
    const uint8_t *p;
    size_t len;
    int rc = smc_call(c, rq, &rep);
    if (!rc && mp_read_raw(&rep.r, &p, &len)) {
        snprintf(err, errlen, "reply without a value");
        rc = SM_EPROTO;
    } else if (!rc) {
        rc = ctl_json_from_msgpack(p, len, out, err, errlen);
    }
    smc_reply_free(&rep);
    return rc;
}

/* read_req() - the request of @r on @o; @end is the pipe end asked. */
static int read_req(struct smc_req *rq, const struct read *r, struct smc_obj *o, int end)
{
    switch (r->args) {
    case RA_ALL:
        return smc_oreq(rq, r->op, o, "nnn", (int64_t)SM_NONE, (int64_t)SM_NONE, (int64_t)SM_NONE);
    case RA_ENDS:
        return smc_oreq(rq, r->op, o, "ut", (uint64_t)end, 0);
    default:
        return smc_oreq(rq, r->op, o, "");
    }
}

/* read_json() - the answer of @r about the object of @row, open as @o. */
static int read_json(sm_client *c, const struct read *r, const struct ls_row *row,
                     struct smc_obj *o, json_t **out, char *err, size_t errlen)
{
    struct smc_req rq;
    json_t *a, *j;
    int rc;
    if (r->args == RA_HOLDER)
        return (*out = row->has_holder ? json_integer(row->holder) : json_null()) ? SM_OK
                                                                                  : SM_ENOMEM;
    if (r->args != RA_ENDS)
        return (rc = read_req(&rq, r, o, 0)) ? rc : call_json(c, &rq, out, err, errlen);
    rc = (a = json_array()) ? SM_OK : SM_ENOMEM;
    for (int end = 0; end < 2 && !rc; end++)
        if (!(rc = read_req(&rq, r, o, end)) && !(rc = call_json(c, &rq, &j, err, errlen)) &&
            json_array_append_new(a, j))
            rc = SM_ENOMEM;
    if (rc)
        json_decref(a);
    else
        *out = a;
    return rc;
}

/* show_whole() - the view @v of the object of @row, open as @o. */
static int show_whole(sm_client *c, const struct view *v, const struct ls_row *row,
                      struct smc_obj *o, json_t **out, char *err, size_t errlen)
{
    json_t *obj = json_object(), *j;
    int rc = obj ? SM_OK : SM_ENOMEM;
    for (const struct read *r = v->reads; !rc && r < v->reads + MAX_READS && (r->key || r->op);
         r++) {
        if ((rc = read_json(c, r, row, o, &j, err, errlen)))
            break;
        if (!r->key) { /* the value is the view */
            json_decref(obj);
            *out = j;
            return SM_OK;
        }
        if (json_object_set_new(obj, r->key, j))
            rc = SM_ENOMEM;
    }
    if (rc)
        json_decref(obj);
    else
        *out = obj;
    return rc;
}

/* item_req() - the request for one item: KEY read as JSON when it is JSON,
 * else as a plain string; INDEX an integer (else a usage error, returned
 * negated); an attribute name as it is. */
static int item_req(const struct view *v, struct smc_obj *o, const char *arg, struct smc_req *rq)
{
    if (v->item == 's')
        return smc_oreq(rq, v->item_op, o, "s", arg);
    if (v->item == 'i') {
        char *end;
        long long i = strtoll(arg, &end, 10);
        if (!*arg || *end)
            return -ctl_usage("get: INDEX must be an integer, not '%s'", arg);
        return smc_oreq(rq, v->item_op, o, "i", (int64_t)i);
    }
    msgpack_sbuffer sb;
    char err[200] = "out of memory";
    int rc = ctl_pack_key(arg, &sb, err, sizeof(err));
    if (rc)
        return -ctl_usage("get: KEY %s: %s", arg, err);
    sm_val key = sm_msgpack(sb.data, sb.size);
    rc = smc_oreq(rq, v->item_op, o, "v", &key);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

/* show() - print object @name whole, or its item @arg (may be NULL). */
static int show(struct ctl *x, const char *name, const char *arg)
{
    const struct view *v = NULL;
    struct smc_obj *o = NULL;
    struct smc_req rq;
    struct ls_row row;
    json_t *j = NULL;
    char err[200] = "";

    int rc = ctl_find_row(x->c, name, &row);
    if (rc)
        return ctl_fail(rc, "%s", name);
    unsigned type = type_by_name(row.type);
    for (size_t i = 0; i < sizeof(views) / sizeof(views[0]); i++)
        if (views[i].type == type)
            v = &views[i];
    if (!v) { /* a type newer than this tool */
        fprintf(stderr, "syncmgrctl: %s: cannot show a %s (ENOTSUP)\n", name, row.type);
        return CTL_EFAIL;
    }
    if (arg && !v->item_op)
        return ctl_usage("get: %s is a %s: it takes no KEY or INDEX", name, row.type);
    if ((rc = smc_obj_open(x->c, name, 0, type, NULL, NULL, sizeof(*o), &o)))
        return ctl_fail(rc, "%s", name);
    if (!arg)
        rc = show_whole(x->c, v, &row, o, &j, err, sizeof(err));
    else if (!(rc = item_req(v, o, arg, &rq)))
        rc = call_json(x->c, &rq, &j, err, sizeof(err));
    smc_obj_close(o);
    if (rc < 0)
        return -rc; /* a usage error, already reported */
    if (rc && arg)
        return ctl_fail(rc, "%s[%s]%s%s", name, arg, *err ? ": " : "", err);
    if (rc)
        return ctl_fail(rc, "%s%s%s", name, *err ? ": " : "", err);
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
