/*
 * ctl_write.c - syncmgrctl new, set, del, append, put, incr and rm.
 *
 * A write looks the object up by name (its ls row gives the type), opens it
 * with flags 0 (never creating), and sends the op one table row names for
 * that command and type.  KEY is read as get reads it (JSON when it is
 * JSON, else a plain string); INDEX is an integer; a namespace attribute is
 * taken as it is; VALUE is JSON, "@FILE" or "-" (ctl_pack_value()).
 *
 * Output: incr prints the new value; the other writes print nothing, or
 * {"ok":true} with --json; new prints {"name":..,"type":..} with --json.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "ctl.h"
#include "ctl_json.h"
#include "errors.h"

/* ---- the writes ----------------------------------------------------------- */

/* What a command sends to an object of one type.  .key: 0 none, 'v' a KEY,
 * 'i' an INDEX, 's' an attribute name.  .val: 'v' a VALUE, 'n' an optional
 * number (incr: N, default 1; 'i' for the dict's integer delta). */
static const struct write {
    const char *cmd;
    unsigned type;
    int op;
    char key, val;
} writes[] = {
    {"set", SM_T_DICT, SMOP_dict_set, 'v', 'v'},
    {"set", SM_T_NAMESPACE, SMOP_namespace_set, 's', 'v'},
    {"set", SM_T_LIST, SMOP_list_set, 'i', 'v'},
    {"set", SM_T_ARRAY, SMOP_array_set, 'i', 'v'},
    {"set", SM_T_VALUE, SMOP_value_set, 0, 'v'},
    {"del", SM_T_DICT, SMOP_dict_del, 'v', 0},
    {"del", SM_T_NAMESPACE, SMOP_namespace_del, 's', 0},
    {"del", SM_T_LIST, SMOP_list_del, 'i', 0},
    {"append", SM_T_LIST, SMOP_list_append, 0, 'v'},
    {"put", SM_T_QUEUE, SMOP_queue_put, 0, 'v'},
    {"incr", SM_T_DICT, SMOP_dict_incr, 'v', 'i'},
    {"incr", SM_T_VALUE, SMOP_value_incr, 0, 'n'},
};

/* usage_for() - the arguments @w takes, for messages. */
static const char *usage_for(const struct write *w)
{
    static char buf[64];
    snprintf(buf, sizeof(buf), "%s NAME%s%s", w->cmd,
             w->key == 'v'   ? " KEY"
             : w->key == 'i' ? " INDEX"
             : w->key == 's' ? " ATTR"
                             : "",
             w->val == 'v' ? " VALUE"
             : w->val      ? " [N]"
                           : "");
    return buf;
}

/* pack_fields() - @w's fields from @args (@n of them, checked) into @rq. */
static int pack_fields(const struct write *w, struct smc_obj *o, int n, char **args,
                       struct smc_req *rq)
{
    msgpack_sbuffer kb = {0}, vb = {0};
    char err[200] = "out of memory", *end;
    long long idx = 0, delta = 1;
    int rc = SM_OK, i = 0;
    if (w->key == 'v' && (rc = ctl_pack_key(args[i], &kb, err, sizeof(err))))
        return -ctl_usage("%s: KEY %s: %s", w->cmd, args[i], err);
    if (w->key == 'i' && ((idx = strtoll(args[i], &end, 10)), !*args[i] || *end))
        return -ctl_usage("%s: INDEX must be an integer, not '%s'", w->cmd, args[i]);
    i += w->key != 0;
    if (w->val == 'i' && i < n && ((delta = strtoll(args[i], &end, 10)), !*args[i] || *end))
        rc = -ctl_usage("%s: N must be an integer, not '%s'", w->cmd, args[i]);
    else if (w->val == 'v' || (w->val == 'n' && i < n))
        rc = ctl_pack_value(args[i], &vb);
    else if (w->val == 'n' && (msgpack_sbuffer_init(&vb), 1))
        rc = msgpack_sbuffer_write(&vb, "\x01", 1) ? SM_ENOMEM : SM_OK; /* 1 */
    if (rc) {
        msgpack_sbuffer_destroy(&kb);
        return rc;
    }
    sm_val key = sm_msgpack(kb.data, kb.size), val = sm_msgpack(vb.data, vb.size);
    if (w->op == SMOP_queue_put)
        rc = smc_oreq(rq, w->op, o, "vt", &val, 0); /* never waits: a full queue is EFULL */
    else if (w->key == 'v')
        rc = w->val == 'i' ? smc_oreq(rq, w->op, o, "vi", &key, (int64_t)delta)
             : w->val      ? smc_oreq(rq, w->op, o, "vv", &key, &val)
                           : smc_oreq(rq, w->op, o, "v", &key);
    else if (w->key == 'i')
        rc = w->val ? smc_oreq(rq, w->op, o, "iv", (int64_t)idx, &val)
                    : smc_oreq(rq, w->op, o, "i", (int64_t)idx);
    else if (w->key == 's')
        rc = w->val ? smc_oreq(rq, w->op, o, "sv", args[0], &val)
                    : smc_oreq(rq, w->op, o, "s", args[0]);
    else
        rc = smc_oreq(rq, w->op, o, "v", &val);
    msgpack_sbuffer_destroy(&kb);
    msgpack_sbuffer_destroy(&vb);
    return rc;
}

/* print_result() - incr's new value; nothing (--json: {"ok":true}) else. */
static int print_result(struct ctl *x, const struct write *w, struct smc_reply *rep)
{
    const uint8_t *p;
    size_t len;
    json_t *j;
    char err[200] = "reply without a value";
    if (strcmp(w->cmd, "incr"))
        return x->json ? ctl_print_json(x, json_pack("{s:b}", "ok", 1)) : CTL_OK;
    int rc = mp_read_raw(&rep->r, &p, &len) ? SM_EPROTO
                                            : ctl_json_from_msgpack(p, len, &j, err, sizeof(err));
    return rc ? ctl_fail(rc, "%s: %s", w->cmd, err) : ctl_print_json(x, j);
}

/* write_cmd() - command @cmd on object argv[0] with the rest of @argv. */
static int write_cmd(struct ctl *x, const char *cmd, int argc, char **argv)
{
    const struct write *w = NULL;
    struct smc_obj *o = NULL;
    struct smc_req rq;
    struct smc_reply rep = {0};
    struct ls_row row;
    int rc = ctl_find_row(x->c, argv[0], &row);
    if (rc)
        return ctl_fail(rc, "%s", argv[0]);
    unsigned type = type_by_name(row.type);
    for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++)
        if (!strcmp(writes[i].cmd, cmd) && writes[i].type == type)
            w = &writes[i];
    if (!w)
        return ctl_usage("%s: %s is a %s: '%s' does not apply to it", cmd, argv[0], row.type, cmd);
    int want = (w->key != 0) + (w->val != 0), n = argc - 1;
    if (w->val == 'v' ? n != want : (n < want - 1 || n > want))
        return ctl_usage("%s: %s is a %s: usage: %s", cmd, argv[0], row.type, usage_for(w));
    if ((rc = smc_obj_open(x->c, argv[0], 0, type, NULL, NULL, sizeof(*o), &o)))
        return ctl_fail(rc, "%s", argv[0]);
    rc = pack_fields(w, o, n, argv + 1, &rq);
    if (rc < 0) {
        smc_obj_close(o);
        return -rc; /* reported */
    }
    if (!rc)
        rc = smc_call(x->c, &rq, &rep);
    smc_obj_close(o);
    if (rc == SM_OK)
        rc = print_result(x, w, &rep);
    else if (w->key)
        rc = ctl_fail(rc, "%s[%s]", argv[0], argv[1]);
    else
        rc = ctl_fail(rc, "%s", argv[0]);
    smc_reply_free(&rep);
    return rc;
}

int cmd_set(struct ctl *x, int argc, char **argv)
{
    return write_cmd(x, "set", argc, argv);
}

int cmd_del(struct ctl *x, int argc, char **argv)
{
    return write_cmd(x, "del", argc, argv);
}

int cmd_append(struct ctl *x, int argc, char **argv)
{
    return write_cmd(x, "append", argc, argv);
}

int cmd_put(struct ctl *x, int argc, char **argv)
{
    return write_cmd(x, "put", argc, argv);
}

int cmd_incr(struct ctl *x, int argc, char **argv)
{
    return write_cmd(x, "incr", argc, argv);
}

int cmd_rm(struct ctl *x, int argc, char **argv)
{
    struct smc_req rq;
    (void)argc;
    int rc = smc_req(&rq, SMOP_unlink, 0, "s", argv[0]);
    if (!rc)
        rc = smc_call0(x->c, &rq);
    if (rc)
        return ctl_fail(rc, "%s", argv[0]);
    return x->json ? ctl_print_json(x, json_pack("{s:b}", "ok", 1)) : CTL_OK;
}

/* ---- new ------------------------------------------------------------------ */

/* The creation options: which types take them, under which key, read how
 * ('u' a count, 'b' a flag, 's' a string, 'c' one character, 'j' JSON). */
static const struct new_opt {
    const char *flag;
    unsigned type;
    const char *key;
    char kind;
} new_opts[] = {
    {"--maxsize", SM_T_QUEUE, "maxsize", 'u'},   {"--joinable", SM_T_QUEUE, "joinable", 'b'},
    {"--value", SM_T_SEM, "value", 'u'},         {"--bounded", SM_T_SEM, "bounded", 'b'},
    {"--parties", SM_T_BARRIER, "parties", 'u'}, {"--lock", SM_T_COND, "lock", 's'},
    {"--value", SM_T_VALUE, "initial", 'j'},     {"--typecode", SM_T_ARRAY, "typecode", 'c'},
    {"--length", SM_T_ARRAY, "length", 'u'},     {"--initial", SM_T_ARRAY, "initial", 'j'},
};

/* pack_opt() - option @o with argument @arg into @pk; a usage error is
 * reported and returned negated. */
static int pack_opt(msgpack_packer *pk, const struct new_opt *o, const char *arg)
{
    msgpack_sbuffer vb;
    char *end;
    int rc = SM_OK;
    msgpack_pack_str_with_body(pk, o->key, strlen(o->key));
    switch (o->kind) {
    case 'u': {
        unsigned long long u = strtoull(arg, &end, 10);
        if (!*arg || *end || *arg == '-')
            return -ctl_usage("new: %s takes a count, not '%s'", o->flag, arg);
        return msgpack_pack_uint64(pk, u) ? SM_ENOMEM : SM_OK;
    }
    case 'b':
        return msgpack_pack_true(pk) ? SM_ENOMEM : SM_OK;
    case 'c':
        if (strlen(arg) != 1)
            return -ctl_usage("new: %s takes one character, not '%s'", o->flag, arg);
        return msgpack_pack_str_with_body(pk, arg, 1) ? SM_ENOMEM : SM_OK;
    case 's':
        return msgpack_pack_str_with_body(pk, arg, strlen(arg)) ? SM_ENOMEM : SM_OK;
    default:
        if ((rc = ctl_pack_value(arg, &vb)))
            return rc;
        rc = mp_pack_raw(pk, vb.data, vb.size) ? SM_ENOMEM : SM_OK;
        msgpack_sbuffer_destroy(&vb);
        return rc;
    }
}

/* pack_opts() - the open request's options field: the packed map. */
static int pack_opts(struct smc_req *rq, const void *opts)
{
    return smc_pack_val(rq, opts);
}

int cmd_new(struct ctl *x, int argc, char **argv)
{
    const char *tname = argv[0], *name = argv[1];
    unsigned type = type_by_name(tname), nopts = 0;
    int flags = SM_CREATE | SM_EXCL, rc = SM_OK;
    msgpack_sbuffer body, map;
    msgpack_packer pk;
    struct smc_obj *o = NULL;
    if (!type)
        return ctl_usage("new: unknown type '%s'", tname);
    msgpack_sbuffer_init(&body);
    msgpack_packer_init(&pk, &body, msgpack_sbuffer_write);
    for (int i = 2; i < argc && rc == SM_OK; i++) {
        const struct new_opt *opt = NULL;
        bool known = false;
        if (!strcmp(argv[i], "--temp")) {
            flags |= SM_TEMP;
            continue;
        }
        for (size_t k = 0; k < sizeof(new_opts) / sizeof(new_opts[0]); k++)
            if (!strcmp(new_opts[k].flag, argv[i])) {
                known = true;
                opt = new_opts[k].type == type ? &new_opts[k] : opt;
            }
        if (!opt)
            rc = -ctl_usage(known ? "new: %s does not apply to a %s" : "new: unknown option %s%.0s",
                            argv[i], tname);
        else if (opt->kind != 'b' && i + 1 >= argc)
            rc = -ctl_usage("new: %s needs an argument", argv[i]);
        else if (!(rc = pack_opt(&pk, opt, opt->kind == 'b' ? NULL : argv[i + 1])))
            nopts++;
        i += opt && opt->kind != 'b';
    }
    if (rc) {
        msgpack_sbuffer_destroy(&body);
        return rc < 0 ? -rc : ctl_fail(rc, "new");
    }
    msgpack_sbuffer_init(&map);
    msgpack_packer_init(&pk, &map, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, nopts);
    msgpack_sbuffer_write(&map, body.data, body.size);
    sm_val opts = sm_msgpack(map.data, map.size);
    rc = smc_obj_open(x->c, name, flags, type, nopts ? pack_opts : NULL, &opts, sizeof(*o), &o);
    smc_obj_close(o);
    msgpack_sbuffer_destroy(&body);
    msgpack_sbuffer_destroy(&map);
    if (rc)
        return ctl_fail(rc, "%s", name);
    return x->json ? ctl_print_json(x, json_pack("{s:s, s:s, s:b}", "name", name, "type",
                                                 type_name(type), "temp", !!(flags & SM_TEMP)))
                   : CTL_OK;
}
