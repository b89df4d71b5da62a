/*
 * handle.c - names and object handles: open, close, unlink, and opening a
 * handle again by name after a reconnect.
 *
 * A handle remembers what it was opened with (name, type, flags, the packed
 * options field) and the connection generation its broker handle number
 * belongs to.  When a request on it is sent on a newer connection, the
 * handle is first opened again with the same flags minus SM_EXCL: an object
 * opened with SM_CREATE is created again if the broker lost it (an SM_TEMP
 * one as temporary again), and one opened without it gives SM_ENOENT.
 */
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "conn.h"
#include "errors.h"

/* check_name() - 1..SM_NAME_MAX bytes; the broker checks the rest. */
static int check_name(const char *name)
{
    size_t len = name ? strnlen(name, SM_NAME_MAX + 1) : 0;
    return len == 0 || len > SM_NAME_MAX ? SM_EINVAL : SM_OK;
}

SM_API int sm_unlink(sm_client *c, const char *name)
{
    struct smc_req rq;
    int rc = !c ? SM_EINVAL : check_name(name);
    if (rc || (rc = smc_req(&rq, SMOP_unlink, 0, "s", name)))
        return rc;
    return smc_call0(c, &rq);
}

/* keep_opts() - pack @opts with @pack_opts (NULL: none) and keep the bytes
 * of that one field in @o, for this open and any later re-open. */
static int keep_opts(struct smc_obj *o, smc_pack_opts_fn *pack_opts, const void *opts)
{
    struct smc_req rq;
    if (!pack_opts)
        return SM_OK;
    int rc = smc_req_begin(&rq, SMOP_open, 0, 1); /* scratch: only the field is kept */
    if (rc)
        return rc;
    size_t start = nng_msg_len(rq.msg);
    if (!(rc = pack_opts(&rq, opts)) && !(rc = rq.err)) {
        o->optslen = nng_msg_len(rq.msg) - start;
        if ((o->opts = malloc(o->optslen)))
            memcpy(o->opts, (const uint8_t *)nng_msg_body(rq.msg) + start, o->optslen);
        else
            rc = SM_ENOMEM;
    }
    smc_req_abort(&rq);
    return rc;
}

/* open_req() - [open, name, type, flags(, opts)] -> handle, and the
 * connection generation the request went on. */
static int open_req(struct smc_obj *o, int flags, uint64_t *handle, uint64_t *gen)
{
    struct smc_req rq;
    struct smc_reply rep;
    sm_val opts = sm_msgpack(o->opts, o->optslen);
    int rc =
        o->opts
            ? smc_req(&rq, SMOP_open, 0, "suuv", o->name, (uint64_t)o->type, (uint64_t)flags, &opts)
            : smc_req(&rq, SMOP_open, 0, "suu", o->name, (uint64_t)o->type, (uint64_t)flags);
    if (rc)
        return rc;
    rq.direct = true; /* a handle is needed now, even inside a batch */
    rc = smc_call(o->c, &rq, &rep);
    if (rc == SM_OK && (rep.nfields < 1 || mp_read_uint(&rep.r, handle)))
        rc = SM_EPROTO;
    *gen = rq.sent_gen;
    smc_reply_free(&rep);
    return rc;
}

static void obj_free(struct smc_obj *o)
{
    free(o->opts);
    free(o->name);
    free(o);
}

int smc_obj_open(sm_client *c, const char *name, int flags, unsigned type,
                 smc_pack_opts_fn *pack_opts, const void *opts, size_t size, struct smc_obj **out)
{
    uint64_t handle, gen;
    if (!out)
        return SM_EINVAL;
    *out = NULL;
    int rc = !c ? SM_EINVAL : check_name(name);
    if (rc)
        return rc;
    if (flags & ~OPEN_ALL)
        return SM_EINVAL;
    struct smc_obj *o = calloc(1, size);
    if (!o || !(o->name = strdup(name))) {
        free(o);
        return SM_ENOMEM;
    }
    o->c = c;
    o->type = type;
    o->flags = flags;
    if ((rc = keep_opts(o, pack_opts, opts)) || (rc = open_req(o, flags, &handle, &gen))) {
        obj_free(o);
        return rc;
    }
    conn_obj_set(c, o, handle, gen);
    *out = o;
    return SM_OK;
}

int smc_obj_resolve(struct smc_obj *o)
{
    uint64_t handle, gen;
    int rc = SM_OK;
    if (conn_obj_get(o->c, o, &handle))
        return SM_OK; /* current */
    conn_resolve_lock(o->c, true);
    if (!conn_obj_get(o->c, o, &handle) && !(rc = open_req(o, o->flags & ~SM_EXCL, &handle, &gen)))
        conn_obj_set(o->c, o, handle, gen);
    conn_resolve_lock(o->c, false);
    return rc;
}

void smc_obj_close(struct smc_obj *o)
{
    struct smc_req rq;
    uint64_t handle;
    if (!o)
        return;
    uint64_t gen = conn_obj_get(o->c, o, &handle);
    /* pinned to its connection: never re-dials, never reaches another */
    if (gen && !smc_req(&rq, SMOP_close, 0, "u", handle)) {
        rq.gen = gen;
        smc_call0(o->c, &rq);
    }
    obj_free(o);
}
