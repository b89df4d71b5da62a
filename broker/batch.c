/* batch.c - batch [requests]: run each sub-request through dispatch_call()
 * and reply [status, [[status, fields...], ...]] (batch.h). */
#include "batch.h"

#include "core.h"

int batch_sub_check(struct frame *f)
{
    if (f->opcode == SMOP_batch || (f->op->flags & OPF_NOAUTH))
        return SM_EINVAL;
    for (unsigned i = 0; i < f->nargs; i++)
        if (f->args[i].kind == 't')
            f->args[i].i = 0; /* try once: a batch never waits */
    return SM_OK;
}

/* run_one() - dispatch the sub-request of @outer at @r, at wall time @now;
 * its whole reply [status, fields...] is packed in place as the next bytes
 * of @outer's reply.  SM_OK, SM_EPROTO (nothing at @r) or SM_ENOMEM. */
static int run_one(struct call *outer, mp_reader *r, int64_t now)
{
    struct frame f;
    struct call c = {.core = outer->core, .sess = outer->sess, .in_batch = true, .batch_ms = now};
    const uint8_t *at = r->p;
    if (reply_nest(&outer->rep, &c.rep))
        return SM_ENOMEM;
    int rc = dispatch_next(&c, r, &f);
    if (r->p == at)
        return SM_EPROTO; /* no request there: the whole reply is dropped */
    if (rc == SM_PARKED)
        rc = SM_EINVAL; /* cannot happen: in_batch refuses to park */
    reply_close(&c.rep, rc);
    return SM_OK;
}

int op_batch(struct call *c)
{
    const struct arg *a = &c->f->args[0];
    uint32_t n;
    mp_reader r;
    if (a->count > SM_BATCH_MAX)
        return SM_ETOOBIG;
    mp_reader_init(&r, a->raw, a->len);
    if (mp_read_array(&r, &n))
        return SM_EPROTO;
    msgpack_packer *pk = reply_field(&c->rep);
    if (msgpack_pack_array(pk, n))
        return SM_ENOMEM;
    int64_t now = wall_ms(); /* one clock read for every event of the batch */
    for (uint32_t i = 0; i < n; i++) {
        int rc = run_one(c, &r, now);
        if (rc)
            return rc;
    }
    return SM_OK;
}
