/*
 * events.c - the event ring and the watch.next op (events.h).
 *
 * watch.next [since, timeout | name, monitor] replies with the events after
 * seq @since that match its filter, or parks on core->ring.watchers until
 * one is recorded or the timeout passes (then SM_OK with no events).  The
 * reply is [next uint, events array, lost uint]: the caller passes next as
 * its next @since.  A @since beyond the newest event means "from now".
 */
#include "events.h"

#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "wait.h"

struct event {
    uint64_t seq;
    int64_t time_ms;
    uint64_t session;
    int pid;
    uint16_t opcode;
    bool change;
    bool has_name;
    uint8_t namelen;
    char name[SM_NAME_MAX];
};

/* What a watcher wants: a parked one keeps it as its waiter's data. */
struct watch {
    uint64_t since;
    bool monitor;
    bool has_name;
    uint8_t namelen;
    char name[SM_NAME_MAX];
};

static bool matches(const struct watch *w, const struct event *e)
{
    if (!w->monitor && !e->change)
        return false;
    return !w->has_name ||
           (e->has_name && e->namelen == w->namelen && !memcmp(e->name, w->name, w->namelen));
}

/* oldest() - seq of the oldest event still in the ring. */
static uint64_t oldest(const struct event_ring *r)
{
    return r->last >= r->cap ? r->last - r->cap + 1 : 1;
}

static const struct event *at(const struct event_ring *r, uint64_t seq)
{
    return &r->ev[(seq - 1) % r->cap];
}

/* ---- replies ---------------------------------------------------------------- */

static void pack_event(msgpack_packer *pk, const struct event *e)
{
    const struct op_desc *op = op_lookup(e->opcode);
    msgpack_pack_map(pk, 7);
    admin_uint(pk, "seq", e->seq);
    admin_int(pk, "time_ms", e->time_ms);
    admin_uint(pk, "session", e->session);
    admin_int(pk, "pid", e->pid);
    admin_str(pk, "op", op ? op->name : "?");
    admin_key(pk, "object");
    if (e->has_name)
        msgpack_pack_str_with_body(pk, e->name, e->namelen);
    else
        msgpack_pack_nil(pk);
    admin_bool(pk, "change", e->change);
}

/* lost() - events after @w->since that left the ring unseen. */
static uint64_t lost(const struct event_ring *r, const struct watch *w)
{
    uint64_t first = oldest(r);
    return r->last && w->since + 1 < first ? first - 1 - w->since : 0;
}

/* count() - matching events after @w->since, at most EVENTS_PER_REPLY;
 * *end is the seq the reply reaches (its "next"). */
static uint32_t count(const struct event_ring *r, const struct watch *w, uint64_t *end)
{
    uint32_t n = 0;
    uint64_t seq = w->since + 1 < oldest(r) ? oldest(r) : w->since + 1;
    *end = r->last > w->since ? r->last : w->since;
    for (; seq <= r->last; seq++)
        if (matches(w, at(r, seq)) && ++n == EVENTS_PER_REPLY) {
            *end = seq;
            break;
        }
    return n;
}

/* fill() - the three reply fields for @w into @rep. */
static void fill(const struct event_ring *r, const struct watch *w, struct reply *rep)
{
    uint64_t end;
    uint32_t n = count(r, w, &end);
    msgpack_pack_uint64(reply_field(rep), end);
    msgpack_packer *pk = reply_field(rep);
    msgpack_pack_array(pk, n);
    uint64_t seq = w->since + 1 < oldest(r) ? oldest(r) : w->since + 1;
    for (; n && seq <= end; seq++)
        if (matches(w, at(r, seq)))
            pack_event(pk, at(r, seq));
    msgpack_pack_uint64(reply_field(rep), lost(r, w));
}

/* complete() - answer the parked watcher @w with what it has now. */
static void complete(struct waiter *w)
{
    if (!w->rep.msg && reply_begin(&w->rep)) {
        wait_done(w, SM_ENOMEM);
        return;
    }
    fill(&w->core->ring, w->data, &w->rep);
    wait_done(w, SM_OK);
}

/* ---- recording ---------------------------------------------------------------- */

/* subject() - the object name @c acted on, if any: the handle's object, or
 * the name field of open/unlink/info, or close's handle while it exists. */
static void subject(const struct call *c, struct event *e)
{
    const struct frame *f = c->f;
    const char *name = NULL;
    size_t len = 0;
    if (f->op->type && c->obj && c->obj->name) {
        name = c->obj->name;
        len = strlen(name);
    } else if (f->opcode == SMOP_open || f->opcode == SMOP_unlink || f->opcode == SMOP_info) {
        name = (const char *)f->args[0].raw;
        len = f->args[0].len;
    } else if (f->opcode == SMOP_close) {
        struct object *o = registry_find(c->core, f->args[0].u);
        if (o && o->name) {
            name = o->name;
            len = strlen(name);
        }
    }
    e->has_name = name && len <= SM_NAME_MAX;
    e->namelen = e->has_name ? (uint8_t)len : 0;
    if (e->has_name)
        memcpy(e->name, name, len);
}

/* created() - an open's reply says it created the object: [handle, created]. */
static bool created(const struct call *c)
{
    mp_reader rd;
    uint64_t h;
    bool b = false;
    reply_fields(&c->rep, &rd);
    return mp_read_uint(&rd, &h) == SM_OK && mp_read_bool(&rd, &b) == SM_OK && b;
}

void events_note(struct call *c, int rc)
{
    struct event_ring *r = &c->core->ring;
    struct waiter *w, *tmp;
    if ((rc != SM_OK && rc != SM_EOWNERDEAD) || c->f->opcode == SMOP_watch_next)
        return;
    if (!r->ev && !(r->ev = calloc(r->cap ? r->cap : (r->cap = EVENTS_CAP), sizeof(*r->ev))))
        return; /* no memory: no event, nothing skipped in the numbering */
    struct event *e = &r->ev[r->last % r->cap];
    e->seq = ++r->last;
    e->time_ms = c->in_batch ? c->batch_ms : wall_ms(); /* a batch happens at once */
    e->session = c->sess->id;
    e->pid = c->sess->pid;
    e->opcode = (uint16_t)c->f->opcode;
    e->change = !(c->f->op->flags & OPF_READONLY) || (c->f->opcode == SMOP_open && created(c));
    subject(c, e);
    for (w = r->watchers; w; w = tmp) {
        struct watch *wt = w->data;
        tmp = w->onext; /* complete() unlinks w */
        if (w->sess->gone)
            continue; /* cancelled with its session */
        if (matches(wt, e))
            complete(w);
        else if (wt->since + 1 == e->seq)
            wt->since = e->seq; /* nothing it wants: not lost either */
    }
}

void events_deinit(struct core *core)
{
    free(core->ring.ev);
    core->ring.ev = NULL;
}

/* ---- watch.next ---------------------------------------------------------------- */

static void watch_timeout(struct waiter *w)
{
    complete(w); /* no matching event: [next, [], lost] */
}

int op_watch_next(struct call *c)
{
    const struct frame *f = c->f;
    struct event_ring *r = &c->core->ring;
    struct watch wt = {.since = f->args[0].u, .monitor = f->nargs > 3 && f->args[3].b};
    int64_t timeout = f->args[1].i;
    uint64_t end;
    if (f->nargs > 2 && f->args[2].len) {
        if (f->args[2].len > SM_NAME_MAX)
            return SM_EINVAL;
        wt.has_name = true;
        wt.namelen = (uint8_t)f->args[2].len;
        memcpy(wt.name, f->args[2].raw, wt.namelen);
    }
    if (wt.since > r->last)
        wt.since = r->last; /* from now */
    if (timeout == 0 || lost(r, &wt) || count(r, &wt, &end)) {
        fill(r, &wt, &c->rep);
        return SM_OK;
    }
    /* nothing yet: skip what did not match, and wait */
    wt.since = end;
    struct watch *d = malloc(sizeof(*d));
    if (!d)
        return SM_ENOMEM;
    *d = wt;
    struct waiter *w = wait_park_on(c, NULL, &r->watchers, timeout, SM_OK);
    if (!w) {
        free(d);
        return wait_park_error(c);
    }
    w->data = d;
    w->free_data = free;
    w->on_timeout = watch_timeout;
    return SM_PARKED;
}
