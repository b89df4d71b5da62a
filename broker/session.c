/* session.c - one authenticated connection: handshake, holds, temp objects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "core.h"
#include "log.h"
#include "wait.h"

struct session *session_new(struct core *core, uint32_t pipe_id, int pid, int uid, int gid)
{
    struct session *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->pipe_id = pipe_id;
    s->id = core->next_session_id++;
    s->pid = pid;
    s->uid = uid;
    s->gid = gid;
    s->since_ms = wall_ms();
    HASH_ADD(hh, core->sessions, pipe_id, sizeof(s->pipe_id), s);
    return s;
}

struct session *session_get(struct core *core, uint32_t pipe_id)
{
    struct session *s;
    HASH_FIND(hh, core->sessions, &pipe_id, sizeof(pipe_id), s);
    return s;
}

void session_end(struct core *core, struct session *s)
{
    struct hold *h, *htmp;
    struct tempref *t, *ttmp;
    s->ending = true;
    /* waits first, so that nothing is handed to this session below */
    wait_cancel_session(s);
    HASH_ITER(hh, s->holds, h, htmp) {
        struct object *o = h->obj;
        HASH_DEL(s->holds, h);
        free(h);
        if (o->type->session_end)
            o->type->session_end(core, o, s);
    }
    HASH_ITER(hh, s->temps, t, ttmp) {
        struct object *o = registry_find(core, t->id);
        HASH_DEL(s->temps, t);
        free(t);
        if (o && --o->temp_refs == 0)
            registry_destroy(core, o);
    }
    HASH_DEL(core->sessions, s);
    log_debug("SM-SESSION-END", "session %llu (pid %d) ended after %llu ops",
              (unsigned long long)s->id, s->pid, (unsigned long long)s->ops);
    free(s);
}

void session_hold(struct session *s, struct object *o, int64_t delta)
{
    struct hold *h;
    if (s->ending)
        return; /* session_end() is releasing everything itself */
    HASH_FIND_PTR(s->holds, &o, h);
    if (!h) {
        if (delta <= 0 || !(h = calloc(1, sizeof(*h))))
            return;
        h->obj = o;
        HASH_ADD_PTR(s->holds, obj, h);
    }
    h->count += (uint64_t)delta;
    if (h->count == 0) {
        HASH_DEL(s->holds, h);
        free(h);
    }
}

int session_temp_open(struct core *core, struct session *s, struct object *o)
{
    struct tempref *t;
    (void)core;
    HASH_FIND(hh, s->temps, &o->id, sizeof(o->id), t);
    if (t)
        return SM_OK;
    if (!(t = calloc(1, sizeof(*t))))
        return SM_ENOMEM;
    t->id = o->id;
    HASH_ADD(hh, s->temps, id, sizeof(t->id), t);
    o->temp_refs++;
    return SM_OK;
}

void session_temp_close(struct core *core, struct session *s, struct object *o)
{
    struct tempref *t;
    HASH_FIND(hh, s->temps, &o->id, sizeof(o->id), t);
    if (!t)
        return;
    HASH_DEL(s->temps, t);
    free(t);
    if (--o->temp_refs == 0)
        registry_destroy(core, o);
}

/* ---- handshake handlers ------------------------------------------------- */

int op_hello(struct call *c)
{
    struct session *s = c->sess;
    if (c->f->args[0].u != SM_PROTO_VERSION)
        return SM_EPROTO;
    auth_nonce(s->nonce);
    s->hello_done = true;
    msgpack_pack_bin_with_body(reply_field(&c->rep), s->nonce, SM_NONCE_LEN);
    msgpack_pack_str_with_body(reply_field(&c->rep), SM_VERSION, strlen(SM_VERSION));
    return SM_OK;
}

/* key_matches() - @proof is the client's proof for the key @key. */
static bool key_matches(const uint8_t *key, size_t keylen, const struct session *s,
                        const struct arg *cnonce, const struct arg *proof)
{
    uint8_t expect[SM_MAC_LEN];
    auth_proof(key, keylen, AUTH_CLIENT, s->nonce, cnonce->raw, expect);
    return auth_check(expect, proof->raw, proof->len);
}

#define AUTH_DELAY_MS 100      /* the first failure's reply waits this long */
#define AUTH_DELAY_MAX_MS 3200 /* doubling with each failure, to this */
#define AUTH_QUIET_MS 10000    /* a failure this long after the last starts afresh */

/* peer_name() - who is at the other end, for log lines: pid and uid over
 * ipc, the address over tcp. */
static const char *peer_name(const struct session *s, char *buf, size_t len)
{
    if (s->peer[0])
        snprintf(buf, len, "peer %s", s->peer);
    else
        snprintf(buf, len, "pid %d uid %d", s->pid, s->uid);
    return buf;
}

/* auth_delay() - how long the reply to this failure waits: doubling with
 * each failure anywhere in the broker (a guesser may reconnect), starting
 * afresh after a quiet spell. */
static int64_t auth_delay(struct core *core)
{
    int64_t now = now_ms();
    if (now - core->auth_fail_last_ms > AUTH_QUIET_MS)
        core->auth_fail_streak = 0;
    core->auth_fail_last_ms = now;
    unsigned shift = core->auth_fail_streak < 5 ? core->auth_fail_streak : 5;
    core->auth_fail_streak++;
    int64_t delay = (int64_t)AUTH_DELAY_MS << shift;
    return delay < AUTH_DELAY_MAX_MS ? delay : AUTH_DELAY_MAX_MS;
}

/* auth_failed() - count and log a failed handshake, then hold its SM_EAUTH
 * reply back (auth_delay()) to slow down key guessing.  The reply is parked
 * with a deadline (wait.h), so the broker serves others meanwhile; when it
 * cannot be parked it goes at once, and so does the failure that closes the
 * pipe (dispatch()).  The key is never logged. */
static int auth_failed(struct call *c, const char *why)
{
    struct session *s = c->sess;
    char who[96];
    int64_t delay = auth_delay(c->core);
    s->auth_failures++;
    log_warn("SM-AUTH-FAIL", "session %llu %s: %s (%u failures)", (unsigned long long)s->id,
             peer_name(s, who, sizeof(who)), why, s->auth_failures);
    if (s->auth_failures >= c->core->limits.max_auth_failures)
        return SM_EAUTH;
    return wait_park_on(c, NULL, &s->auth_delayed, delay, SM_EAUTH) ? SM_PARKED : SM_EAUTH;
}

/* op_auth() - the client's proof, made with the authkey or, when the broker
 * has one, the read-only key (then only READONLY ops are allowed: dispatch
 * refuses the rest with SM_EAUTH).  The broker proves back with the key
 * that matched. */
int op_auth(struct call *c)
{
    struct session *s = c->sess;
    struct core *core = c->core;
    const struct arg *proof = &c->f->args[0], *cnonce = &c->f->args[1];
    uint8_t mine[SM_MAC_LEN];
    if (!s->hello_done || cnonce->len != SM_NONCE_LEN)
        return auth_failed(c, s->hello_done ? "bad client nonce" : "auth before hello");
    /* one proof per challenge: a failed or replayed attempt needs a new hello */
    s->hello_done = false;
    bool full = key_matches(core->key, core->keylen, s, cnonce, proof);
    bool ro = !full && core->rokey && key_matches(core->rokey, core->rokeylen, s, cnonce, proof);
    if (!full && !ro)
        return auth_failed(c, "wrong authkey proof");
    s->authed = true;
    s->readonly = ro;
    auth_proof(ro ? core->rokey : core->key, ro ? core->rokeylen : core->keylen, AUTH_BROKER,
               s->nonce, cnonce->raw, mine);
    msgpack_pack_bin_with_body(reply_field(&c->rep), mine, SM_MAC_LEN);
    char who[96];
    log_debug("SM-AUTH-OK", "session %llu %s authenticated%s", (unsigned long long)s->id,
              peer_name(s, who, sizeof(who)), ro ? " (read-only key)" : "");
    return SM_OK;
}

int op_ping(struct call *c)
{
    msgpack_pack_str_with_body(reply_field(&c->rep), SM_VERSION, strlen(SM_VERSION));
    msgpack_pack_int64(reply_field(&c->rep), wall_ms());
    return SM_OK;
}
