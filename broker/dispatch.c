/* dispatch.c - opcode -> handler via ops.def; every check happens here, once. */
#include "batch.h"
#include "core.h"
#include "events.h"
#include "log.h"
#include "persist.h"

static op_fn *const handlers[SMOP_MAX] = {
#define SM_OP(sym, code, ...) [code] = op_##sym,
#include "ops.def"
#undef SM_OP
};

/* check() - session state and flags, then resolve the handle. */
static int check(struct call *c)
{
    const struct op_desc *op = c->f->op;
    struct session *s = c->sess;
    if (!(op->flags & OPF_NOAUTH) && !s->authed) {
        s->auth_failures++;
        return SM_EAUTH;
    }
    if (s->readonly && !(op->flags & OPF_READONLY))
        return SM_EAUTH;
    if (op->type) {
        if (!(c->obj = registry_find(c->core, c->f->handle)))
            return SM_ENOENT;
        if (c->obj->type->code != op->type)
            return SM_ETYPE;
    }
    return SM_OK;
}

/* run() - the rest of dispatch_call() once @c's frame @f is decoded, with
 * the decoding's status @rc. */
static int run(struct call *c, struct frame *f, int rc)
{
    struct session *sess = c->sess;
    if (rc == SM_OK) {
        rc = check(c);
    } else if (!sess->authed) {
        /* a peer without the key learns nothing, not even the op table */
        sess->auth_failures++;
        rc = SM_EAUTH;
    }
    if (rc == SM_OK && c->in_batch)
        rc = batch_sub_check(f);
    if (rc == SM_OK && c->core->persist)
        rc = persist_call(c); /* journaled before it changes anything */
    if (rc == SM_OK)
        rc = handlers[f->opcode](c);
    events_note(c, rc); /* watchers see what completed (events.h) */
    return rc;
}

int dispatch_call(struct call *c, const void *buf, size_t len, struct frame *f)
{
    c->f = f;
    c->raw = buf;
    c->rawlen = len;
    return run(c, f, frame_decode(buf, len, c->core->limits.max_depth, f));
}

int dispatch_next(struct call *c, mp_reader *r, struct frame *f)
{
    const uint8_t *raw = NULL;
    size_t len = 0;
    int rc = frame_decode_next(r, f, &raw, &len);
    if (!raw)
        return rc; /* no request there at all */
    c->f = f;
    c->raw = raw;
    c->rawlen = len;
    return run(c, f, rc);
}

int dispatch(struct core *core, struct session *sess, const void *buf, size_t len, void *req,
             nng_msg **out)
{
    struct frame f;
    struct call c = {.core = core, .sess = sess, .req = req};
    *out = NULL;
    core->ops++;
    sess->ops++;
    if (reply_begin_core(core, &c.rep))
        return SM_ENOMEM;
    int rc = dispatch_call(&c, buf, len, &f);
    if (rc == SM_PARKED) {
        nng_msg_free(c.rep.msg);
        return SM_PARKED;
    }
    *out = reply_finish(&c.rep, rc);
    if (sess->auth_failures >= core->limits.max_auth_failures) {
        log_warn("SM-AUTH-CLOSE", "session %llu pid %d uid %d: %u failed authentications, closing",
                 (unsigned long long)sess->id, sess->pid, sess->uid, sess->auth_failures);
        nng_msg_free(*out);
        *out = NULL;
        return SM_EAUTH;
    }
    return rc;
}

int dispatch_replay(struct core *core, struct session *sess, const char *name, size_t nlen,
                    const void *buf, size_t len)
{
    struct frame f;
    struct call c = {.core = core, .sess = sess, .f = &f, .raw = buf, .rawlen = len};
    int rc = frame_decode(buf, len, SM_MAX_DEPTH, &f);
    if (rc)
        return rc;
    if (f.op->type) {
        struct object *o = registry_lookup(core, name, nlen);
        if (!o)
            return SM_ENOENT;
        f.handle = o->id;
    }
    for (unsigned i = 0; i < f.nargs; i++)
        if (f.args[i].kind == 't')
            f.args[i].i = 0; /* replay never parks: the journal says when it completed */
    if ((rc = check(&c)) || (rc = reply_begin(&c.rep)))
        return rc;
    rc = handlers[f.opcode](&c);
    if (rc == SM_PARKED)
        nng_msg_free(c.rep.msg);
    else
        nng_msg_free(reply_finish(&c.rep, rc));
    return rc;
}
