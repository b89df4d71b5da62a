/*
 * obj_namespace.c - Namespace: NamespaceProxy, named attributes holding
 * opaque msgpack values.
 *
 * Attribute names are str of 1..255 bytes (any bytes; names starting with
 * '_' are allowed, unlike Python's proxy, which keeps those for itself).
 * A missing attribute is SM_ENOKEY (Python's AttributeError).  list() gives
 * every attribute in insertion order, as vars() does; overwriting keeps an
 * attribute's place.  A failure (SM_ENOMEM) leaves the namespace as it was.
 */

/* uthash: report allocation failures instead of exiting; must be set before
 * uthash.h is first included (by core.h). */
#define HASH_NONFATAL_OOM 1

#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "blob.h"
#include "core.h"
#include "opts.h"
#include "persist.h"

#define ATTR_NAME_MAX 255

struct attr {
    UT_hash_handle hh; /* key: name */
    struct blob *val;  /* as the client sent it */
    uint8_t len;
    char name[];
};

struct ns {
    struct object base; /* first: a struct object * is a struct ns * */
    struct attr *attrs;
};

static struct ns *ns_of(struct object *o)
{
    return (struct ns *)o;
}

static void attr_free(struct attr *a)
{
    if (a)
        blob_free(a->val);
    free(a);
}

static void ns_unlink(struct ns *ns, struct attr *a)
{
    HASH_DELETE(hh, ns->attrs, a);
    attr_free(a);
}

/* ---- type API ----------------------------------------------------------- */

static int ns_create(struct core *core, const struct arg *opts, struct object **out)
{
    (void)core;
    if (opts_any(opts))
        return SM_EINVAL; /* a namespace takes no options */
    struct ns *ns = calloc(1, sizeof(*ns));
    if (!ns)
        return SM_ENOMEM;
    ns->base.type = &obj_namespace_type;
    *out = &ns->base;
    return SM_OK;
}

/* A namespace has no waiters and no holds: only memory to free. */
static void ns_destroy(struct core *core, struct object *o)
{
    (void)core;
    while (ns_of(o)->attrs)
        ns_unlink(ns_of(o), ns_of(o)->attrs);
    free(o);
}

static size_t ns_size(const struct object *o)
{
    return HASH_COUNT(((const struct ns *)o)->attrs);
}

/* ns_describe() - info: {attrs: the attribute names, oldest first}. */
static void ns_describe(const struct object *o, msgpack_packer *pk)
{
    const struct attr *a;
    msgpack_pack_map(pk, 1);
    admin_key(pk, "attrs");
    msgpack_pack_array(pk, HASH_COUNT(((const struct ns *)o)->attrs));
    for (a = ((const struct ns *)o)->attrs; a; a = a->hh.next)
        msgpack_pack_str_with_body(pk, a->name, a->len);
}

/* ns_dump() - a set of each attribute. */
static void ns_dump(const struct object *o, struct dump *d)
{
    for (const struct attr *a = ((const struct ns *)o)->attrs; a; a = a->hh.next) {
        msgpack_packer *pk = dump_op(d, SMOP_namespace_set, 2);
        msgpack_pack_str_with_body(pk, a->name, a->len);
        blob_pack(pk, a->val);
        dump_end(d);
    }
}

const struct obj_type obj_namespace_type = {
    .code = SM_T_NAMESPACE,
    .name = "namespace",
    .create = ns_create,
    .destroy = ns_destroy,
    .size = ns_size,
    .describe = ns_describe,
    .dump = ns_dump,
};

/* ---- commands ----------------------------------------------------------- */

/* find_attr() - the attribute named by field 0 in *out (NULL when absent);
 * SM_EINVAL for a name that is empty or too long. */
static int find_attr(struct call *c, struct attr **out)
{
    const struct arg *name = &c->f->args[0];
    *out = NULL;
    if (name->len == 0 || name->len > ATTR_NAME_MAX)
        return SM_EINVAL;
    HASH_FIND(hh, ns_of(c->obj)->attrs, name->raw, name->len, *out);
    return SM_OK;
}

/* find_existing() - find_attr(), SM_ENOKEY when absent. */
static int find_existing(struct call *c, struct attr **out)
{
    int rc = find_attr(c, out);
    return rc ? rc : *out ? SM_OK : SM_ENOKEY;
}

/* attr_add() - a new attribute named by field 0 holding @val, last in order. */
static int attr_add(struct call *c, struct blob *val)
{
    const struct arg *name = &c->f->args[0];
    struct attr *a = malloc(sizeof(*a) + name->len);
    if (!a)
        return SM_ENOMEM;
    memset(&a->hh, 0, sizeof(a->hh));
    a->val = val;
    a->len = (uint8_t)name->len;
    memcpy(a->name, name->raw, name->len);
    HASH_ADD_KEYPTR(hh, ns_of(c->obj)->attrs, a->name, a->len, a);
    if (a->hh.tbl)
        return SM_OK;
    free(a); /* uthash clears tbl on failure; @val stays the caller's */
    return SM_ENOMEM;
}

int op_namespace_get(struct call *c)
{
    struct attr *a;
    int rc = find_existing(c, &a);
    return rc ? rc : blob_pack(reply_field(&c->rep), a->val);
}

int op_namespace_set(struct call *c)
{
    const struct arg *v = &c->f->args[1];
    struct attr *a;
    int rc = find_attr(c, &a);
    if (rc)
        return rc;
    struct blob *b = blob_new(v->raw, v->len);
    if (!b)
        return SM_ENOMEM;
    if (a) {
        blob_free(a->val);
        a->val = b;
    } else if ((rc = attr_add(c, b))) {
        blob_free(b);
    }
    return rc;
}

int op_namespace_del(struct call *c)
{
    struct attr *a;
    int rc = find_existing(c, &a);
    if (!rc)
        ns_unlink(ns_of(c->obj), a);
    return rc;
}

/* list(): one map field {name: value}, in insertion order. */
int op_namespace_list(struct call *c)
{
    struct ns *ns = ns_of(c->obj);
    msgpack_packer *pk = reply_field(&c->rep);
    if (msgpack_pack_map(pk, HASH_COUNT(ns->attrs)))
        return SM_ENOMEM;
    for (struct attr *a = ns->attrs; a; a = a->hh.next)
        if (msgpack_pack_str_with_body(pk, a->name, a->len) || blob_pack(pk, a->val))
            return SM_ENOMEM;
    return SM_OK;
}
