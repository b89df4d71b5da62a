/* registry.c - named objects: open (create, exclusive, temp), close, unlink, ls. */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "core.h"
#include "log.h"

static const struct obj_type *const types[SM_T_MAX] = {
    [SM_T_DICT] = &obj_dict_type,       [SM_T_LIST] = &obj_list_type,
    [SM_T_LOCK] = &obj_lock_type,       [SM_T_RLOCK] = &obj_rlock_type,
    [SM_T_QUEUE] = &obj_queue_type,     [SM_T_SEM] = &obj_sem_type,
    [SM_T_COND] = &obj_cond_type,       [SM_T_EVENT] = &obj_event_type,
    [SM_T_BARRIER] = &obj_barrier_type, [SM_T_VALUE] = &obj_value_type,
    [SM_T_ARRAY] = &obj_array_type,     [SM_T_NAMESPACE] = &obj_namespace_type,
    [SM_T_PIPE] = &obj_pipe_type,
};

const struct obj_type *registry_type(unsigned code)
{
    return code < SM_T_MAX ? types[code] : NULL;
}

struct object *registry_find(struct core *core, uint64_t id)
{
    struct object *o = core->found;
    if (o && o->id == id)
        return o; /* the same object again: each request of a batch on one dict */
    HASH_FIND(hh_id, core->by_id, &id, sizeof(id), o);
    if (o)
        core->found = o;
    return o;
}

struct object *registry_lookup(struct core *core, const char *name, size_t len)
{
    struct object *o;
    HASH_FIND(hh, core->by_name, name, len, o);
    return o;
}

void registry_destroy(struct core *core, struct object *o)
{
    if (core->found == o)
        core->found = NULL;
    HASH_DELETE(hh, core->by_name, o);
    HASH_DELETE(hh_id, core->by_id, o);
    obj_unref(core, o);
}

void obj_ref(struct object *o)
{
    o->refs++;
}

void obj_unref(struct core *core, struct object *o)
{
    if (--o->refs > 0)
        return;
    if (o->name) /* a named object: create() reserved its cost */
        blob_release(BLOB_OBJECT_OVERHEAD + strlen(o->name) + o->opts_len);
    free(o->name);
    o->name = NULL;
    free(o->opts);
    o->opts = NULL;
    o->type->destroy(core, o);
}

/* name_ok() - 1..255 bytes of printable UTF-8 (no control characters). */
static bool name_ok(const uint8_t *s, size_t len)
{
    if (len == 0 || len > SM_NAME_MAX)
        return false;
    for (size_t i = 0; i < len;) {
        uint8_t b = s[i];
        size_t n = b < 0x80 ? 1 : (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3
                 : (b & 0xf8) == 0xf0 ? 4 : 0;
        if (n == 0 || i + n > len || b < 0x20 || b == 0x7f || b == 0xc0 || b == 0xc1 || b > 0xf4)
            return false;
        for (size_t k = 1; k < n; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
        i += n;
    }
    return true;
}

/* create() - a new object of @type named by @name, registered, within the
 * object count (SM_ELIMIT) and memory (SM_ENOMEM) limits; its options are
 * kept as sent, for snapshots (persist.c). */
static int create(struct core *core, const struct obj_type *type, const struct arg *name,
                  const struct arg *opts, struct object **out)
{
    struct object *o;
    size_t cost = BLOB_OBJECT_OVERHEAD + name->len + (opts ? opts->len : 0);
    if (name->len > core->limits.max_name)
        return SM_EINVAL; /* the configured limit applies to new names only */
    if (HASH_CNT(hh, core->by_name) >= core->limits.max_objects)
        return SM_ELIMIT;
    if (!blob_reserve(cost))
        return SM_ENOMEM;
    char *dup = strndup((const char *)name->raw, name->len);
    uint8_t *kept = opts ? malloc(opts->len) : NULL;
    int rc = !dup || (opts && !kept) ? SM_ENOMEM : type->create(core, opts, &o);
    if (rc) {
        free(dup);
        free(kept);
        blob_release(cost);
        return rc;
    }
    if (opts) {
        memcpy(kept, opts->raw, opts->len);
        o->opts_len = (uint32_t)opts->len;
    }
    o->name = dup;
    o->opts = kept;
    o->type = type;
    o->refs = 1;
    o->id = core->next_id++;
    o->created_ms = wall_ms();
    HASH_ADD_KEYPTR(hh, core->by_name, o->name, name->len, o);
    HASH_ADD(hh_id, core->by_id, id, sizeof(o->id), o);
    *out = o;
    return SM_OK;
}

int op_open(struct call *c)
{
    const struct arg *name = &c->f->args[0];
    uint64_t tcode = c->f->args[1].u, flags = c->f->args[2].u;
    const struct arg *opts = c->f->nargs > 3 ? &c->f->args[3] : NULL;
    const struct obj_type *type = registry_type(tcode < SM_T_MAX ? (unsigned)tcode : 0);
    bool created = false;
    int rc;

    if (!name_ok(name->raw, name->len) || (flags & ~(uint64_t)OPEN_ALL))
        return SM_EINVAL;
    if (c->sess->readonly && (flags & OPEN_CREATE))
        return SM_EAUTH; /* read-only sessions open what exists, to read it */
    if (!type)
        return tcode > 0 && tcode < SM_T_MAX ? SM_ENOTSUP : SM_EINVAL;
    if (opts && opts->raw[0] == 0xc0)
        opts = NULL; /* nil: no options */
    struct object *o = registry_lookup(c->core, (const char *)name->raw, name->len);
    if (o) {
        if ((flags & OPEN_CREATE) && (flags & OPEN_EXCL))
            return SM_EEXIST;
        if (o->type != type)
            return SM_ETYPE;
    } else {
        if (!(flags & OPEN_CREATE))
            return SM_ENOENT;
        if ((rc = create(c->core, type, name, opts, &o)))
            return rc;
        o->temp = flags & OPEN_TEMP;
        created = true;
    }
    /* a read-only session does not keep a temp object alive */
    if (o->temp && !c->sess->readonly && (rc = session_temp_open(c->core, c->sess, o))) {
        if (created)
            registry_destroy(c->core, o);
        return rc;
    }
    msgpack_pack_uint64(reply_field(&c->rep), o->id);
    (created ? msgpack_pack_true : msgpack_pack_false)(reply_field(&c->rep));
    return SM_OK;
}

int op_close(struct call *c)
{
    struct object *o = registry_find(c->core, c->f->args[0].u);
    if (!o)
        return SM_ENOENT;
    if (o->temp)
        session_temp_close(c->core, c->sess, o);
    return SM_OK;
}

int op_unlink(struct call *c)
{
    const struct arg *name = &c->f->args[0];
    struct object *o = registry_lookup(c->core, (const char *)name->raw, name->len);
    if (!o)
        return SM_ENOENT;
    registry_destroy(c->core, o);
    return SM_OK;
}

/* pack_row() - one ls row: [name, type, size, waiters, holder pid|nil, temp, created_ms] */
static void pack_row(msgpack_packer *pk, const struct object *o)
{
    struct session *holder = o->type->holder ? o->type->holder(o) : NULL;
    msgpack_pack_array(pk, 7);
    msgpack_pack_str_with_body(pk, o->name, strlen(o->name));
    msgpack_pack_str_with_body(pk, o->type->name, strlen(o->type->name));
    msgpack_pack_uint64(pk, o->type->size(o));
    msgpack_pack_uint64(pk, o->nwaiters);
    if (holder)
        msgpack_pack_int(pk, holder->pid);
    else
        msgpack_pack_nil(pk);
    (o->temp ? msgpack_pack_true : msgpack_pack_false)(pk);
    msgpack_pack_int64(pk, o->created_ms);
}

int op_ls(struct call *c)
{
    char *glob = NULL;
    struct object *o, *tmp;
    uint32_t n = 0;
    if (c->f->nargs > 0 &&
        !(glob = strndup((const char *)c->f->args[0].raw, c->f->args[0].len)))
        return SM_ENOMEM;
    HASH_ITER(hh, c->core->by_name, o, tmp)
        n += !glob || fnmatch(glob, o->name, 0) == 0;
    msgpack_packer *pk = reply_field(&c->rep);
    msgpack_pack_array(pk, n);
    HASH_ITER(hh, c->core->by_name, o, tmp)
        if (!glob || fnmatch(glob, o->name, 0) == 0)
            pack_row(pk, o);
    free(glob);
    return SM_OK;
}
