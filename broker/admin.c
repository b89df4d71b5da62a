/*
 * admin.c - the inspection ops: info (one object), sessions, stats.
 *
 * All three are READONLY | ADMIN in ops.def: they look, never change.  Each
 * reply is one msgpack map (sessions: an array of maps) with str keys, so
 * that tools read fields by name and new fields break nobody.  The reply is
 * built in a buffer first: a failed write anywhere gives SM_ENOMEM rather
 * than a torn reply.
 */
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "persist.h"
#include "blob.h"
#include "core.h"
#include "ipc_server.h"
#include "wait.h"

/* ---- packing helpers (admin.h) ------------------------------------------ */

void admin_key(msgpack_packer *pk, const char *key)
{
    msgpack_pack_str_with_body(pk, key, strlen(key));
}

void admin_uint(msgpack_packer *pk, const char *key, uint64_t v)
{
    admin_key(pk, key);
    msgpack_pack_uint64(pk, v);
}

void admin_int(msgpack_packer *pk, const char *key, int64_t v)
{
    admin_key(pk, key);
    msgpack_pack_int64(pk, v);
}

void admin_bool(msgpack_packer *pk, const char *key, bool v)
{
    admin_key(pk, key);
    (v ? msgpack_pack_true : msgpack_pack_false)(pk);
}

void admin_str(msgpack_packer *pk, const char *key, const char *s)
{
    admin_key(pk, key);
    if (s)
        msgpack_pack_str_with_body(pk, s, strlen(s));
    else
        msgpack_pack_nil(pk);
}

uint64_t admin_count(const struct waiter *queue)
{
    uint64_t n = 0;
    for (const struct waiter *w = queue; w; w = w->onext)
        n++;
    return n;
}

/* ---- a reply built aside ------------------------------------------------ */

struct sink {
    msgpack_sbuffer sb;
    msgpack_packer pk;
    bool failed; /* sticky: some write ran out of memory */
};

static int sink_write(void *data, const char *buf, size_t len)
{
    struct sink *s = data;
    if (s->failed || msgpack_sbuffer_write(&s->sb, buf, len) != 0) {
        s->failed = true;
        return -1;
    }
    return 0;
}

static msgpack_packer *sink_init(struct sink *s)
{
    msgpack_sbuffer_init(&s->sb);
    s->failed = false;
    msgpack_packer_init(&s->pk, s, sink_write);
    return &s->pk;
}

/* sink_reply() - the sink's bytes as @c's one reply field; frees the sink. */
static int sink_reply(struct sink *s, struct call *c)
{
    int rc =
        s->failed || mp_pack_raw(reply_field(&c->rep), s->sb.data, s->sb.size) ? SM_ENOMEM : SM_OK;
    msgpack_sbuffer_destroy(&s->sb);
    return rc;
}

/* ---- info --------------------------------------------------------------- */

/* pack_holder() - {session, pid, uid, peer, gone} of @s, or nil. */
static void pack_holder(msgpack_packer *pk, const struct session *s)
{
    if (!s) {
        msgpack_pack_nil(pk);
        return;
    }
    msgpack_pack_map(pk, 5);
    admin_uint(pk, "session", s->id);
    admin_int(pk, "pid", s->pid);
    admin_int(pk, "uid", s->uid);
    admin_str(pk, "peer", s->peer);
    admin_bool(pk, "gone", s->gone); /* pipe closed, release under way */
}

int op_info(struct call *c)
{
    const struct arg *name = &c->f->args[0];
    struct object *o = registry_lookup(c->core, (const char *)name->raw, name->len);
    struct sink s;
    if (!o)
        return SM_ENOENT;
    const struct obj_type *t = o->type;
    msgpack_packer *pk = sink_init(&s);
    msgpack_pack_map(pk, 7 + (t->holder != NULL));
    admin_str(pk, "name", o->name);
    admin_str(pk, "type", t->name);
    admin_uint(pk, "size", t->size(o));
    admin_uint(pk, "waiters", o->nwaiters);
    admin_bool(pk, "temp", o->temp);
    admin_int(pk, "created_ms", o->created_ms);
    if (t->holder) {
        admin_key(pk, "holder");
        pack_holder(pk, t->holder(o));
    }
    admin_key(pk, "details");
    if (t->describe)
        t->describe(o, pk);
    else
        msgpack_pack_map(pk, 0);
    return sink_reply(&s, c);
}

/* ---- sessions ----------------------------------------------------------- */

static void pack_session(msgpack_packer *pk, const struct session *s)
{
    uint64_t parked = 0;
    for (const struct waiter *w = s->waiters; w; w = w->snext)
        parked++;
    msgpack_pack_map(pk, 11);
    admin_uint(pk, "id", s->id);
    admin_int(pk, "pid", s->pid);
    admin_int(pk, "uid", s->uid);
    admin_int(pk, "gid", s->gid);
    admin_str(pk, "peer", s->peer);
    admin_int(pk, "since_ms", s->since_ms);
    admin_uint(pk, "ops", s->ops);
    admin_uint(pk, "held", HASH_COUNT(s->holds)); /* objects it holds something of */
    admin_uint(pk, "parked", parked);
    admin_bool(pk, "authed", s->authed);
    admin_bool(pk, "readonly", s->readonly);
}

int op_sessions(struct call *c)
{
    struct session *sess, *tmp;
    struct sink s;
    msgpack_packer *pk = sink_init(&s);
    msgpack_pack_array(pk, HASH_COUNT(c->core->sessions));
    HASH_ITER (hh, c->core->sessions, sess, tmp)
        pack_session(pk, sess);
    return sink_reply(&s, c);
}

/* ---- stats -------------------------------------------------------------- */

/* pack_persistence() - "persistence": {journal_bytes, snapshot_bytes,
 * syncs, failing}, or nil when it is off. */
static void pack_persistence(msgpack_packer *pk, const struct core *core)
{
    struct persist_figures f;
    admin_key(pk, "persistence");
    if (!core->persist) {
        msgpack_pack_nil(pk);
        return;
    }
    persist_figures(core, &f);
    msgpack_pack_map(pk, 4);
    admin_uint(pk, "journal_bytes", f.journal_bytes);
    admin_uint(pk, "snapshot_bytes", f.snapshot_bytes);
    admin_uint(pk, "syncs", f.syncs);
    admin_bool(pk, "failing", f.failing);
}

/* pack_ipc() - "ipc": {busy_poll_us, busy_polls, busy_poll_hits} of the
 * direct engine: how often an idle I/O thread polled, and caught a request. */
static void pack_ipc(msgpack_packer *pk)
{
    unsigned budget;
    uint64_t hits, misses;
    ipcsrv_spin_figures(&budget, &hits, &misses);
    admin_key(pk, "ipc");
    msgpack_pack_map(pk, 3);
    admin_uint(pk, "busy_poll_us", budget);
    admin_uint(pk, "busy_polls", hits + misses);
    admin_uint(pk, "busy_poll_hits", hits);
}

int op_stats(struct call *c)
{
    struct core *core = c->core;
    uint64_t by_type[SM_T_MAX] = {0};
    uint32_t ntypes = 0;
    struct object *o, *tmp;
    struct sink s;
    HASH_ITER (hh, core->by_name, o, tmp)
        by_type[o->type->code]++;
    for (unsigned t = 0; t < SM_T_MAX; t++)
        ntypes += registry_type(t) != NULL;
    int64_t up_ms = wall_ms() - core->started_ms;
    up_ms = up_ms > 0 ? up_ms : 0;

    msgpack_packer *pk = sink_init(&s);
    msgpack_pack_map(pk, 14);
    admin_int(pk, "started_ms", core->started_ms);
    admin_uint(pk, "uptime_s", (uint64_t)up_ms / 1000);
    admin_uint(pk, "objects", HASH_CNT(hh, core->by_name));
    admin_key(pk, "objects_by_type"); /* every type this broker knows, 0 included */
    msgpack_pack_map(pk, ntypes);
    for (unsigned t = 0; t < SM_T_MAX; t++)
        if (registry_type(t))
            admin_uint(pk, registry_type(t)->name, by_type[t]);
    admin_uint(pk, "sessions", HASH_CNT(hh, core->sessions));
    admin_uint(pk, "ops", core->ops);
    /* the average since the broker started (this request included) */
    admin_key(pk, "ops_per_s");
    msgpack_pack_double(pk, up_ms ? (double)core->ops * 1000.0 / (double)up_ms : 0.0);
    admin_uint(pk, "parked", core->nparked);
    admin_uint(pk, "bytes_stored", blob_bytes_stored());
    admin_uint(pk, "memory_used", blob_bytes_used());
    admin_uint(pk, "max_memory", blob_limit());
    admin_uint(pk, "max_parked", core->limits.max_parked);
    pack_persistence(pk, core);
    pack_ipc(pk);
    return sink_reply(&s, c);
}
