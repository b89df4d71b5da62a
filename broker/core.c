/* core.c - core state lifetime, clocks and reply building. */
#include "core.h"

#include <string.h>
#include <time.h>

#include "events.h"
#include "wait.h"

#define REPLY_ROOM 64        /* a new reply's room: most need no growth */
#define SPARE_MAX (64 << 10) /* a larger served request is not kept */

void core_init(struct core *core)
{
    memset(core, 0, sizeof(*core));
    pthread_mutex_init(&core->lock, NULL);
    core->next_id = 1;
    core->next_session_id = 1;
    core->started_ms = wall_ms();
    core->limits.max_depth = SM_MAX_DEPTH;
    core->limits.max_parked = 1u << 20;
    core->limits.max_auth_failures = 3;
    core->limits.max_objects = (size_t)1 << 20;
    core->limits.max_name = SM_NAME_MAX;
    core->limits.max_sessions = 4096;
    core->limits.max_parked_session = 65536;
    core->limits.max_message_bytes = (size_t)16 << 20;
    core->ring.cap = EVENTS_CAP;
}

void core_deinit(struct core *core)
{
    struct object *o, *otmp;
    struct session *s, *stmp;
    wait_cancel_all(core, SM_ESHUTDOWN);
    HASH_ITER(hh, core->sessions, s, stmp)
        session_end(core, s);
    HASH_ITER(hh, core->by_name, o, otmp)
        registry_destroy(core, o);
    events_deinit(core);
    if (core->spare)
        nng_msg_free(core->spare);
    core->spare = NULL;
    free(core->heap);
    core->heap = NULL;
    pthread_mutex_destroy(&core->lock);
}

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t now_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

int64_t wall_ms(void)
{
    return clock_ms(CLOCK_REALTIME);
}

/* Packer callback: append to the nng message being built, growing it
 * geometrically (nng grows a message to the exact size asked). */
static int msg_write(void *data, const char *buf, size_t len)
{
    nng_msg *m = data;
    size_t used = nng_msg_len(m), cap = nng_msg_capacity(m);
    if (used + len > cap && nng_msg_reserve(m, cap * 2 > used + len ? cap * 2 : used + len))
        return -1;
    return nng_msg_append(m, buf, len) == 0 ? 0 : -1;
}

/* reply_start() - the reply's header at the end of @m (consumed on
 * failure). */
static int reply_start(struct reply *r, nng_msg *m)
{
    static const uint8_t hdr[2] = {0x91, 0x00};
    r->nfields = 0;
    r->msg = m;
    r->base = m ? nng_msg_len(m) : 0;
    if (!m || nng_msg_append(m, hdr, sizeof(hdr)) != 0) {
        nng_msg_free(m);
        r->msg = NULL;
        return SM_ENOMEM;
    }
    msgpack_packer_init(&r->pk, m, msg_write);
    return SM_OK;
}

int reply_begin(struct reply *r)
{
    nng_msg *m = NULL;
    if (nng_msg_alloc(&m, 0) == 0 && nng_msg_reserve(m, REPLY_ROOM) != 0) {
        nng_msg_free(m);
        m = NULL;
    }
    return reply_start(r, m);
}

int reply_begin_core(struct core *core, struct reply *r)
{
    nng_msg *m = core->spare;
    if (!m)
        return reply_begin(r);
    core->spare = NULL;
    return reply_start(r, m);
}

void reply_recycle(struct core *core, nng_msg *msg)
{
    if (core->spare || nng_msg_capacity(msg) > SPARE_MAX) {
        nng_msg_free(msg);
        return;
    }
    nng_msg_clear(msg);
    nng_msg_header_clear(msg);
    core->spare = msg;
}

msgpack_packer *reply_field(struct reply *r)
{
    r->nfields++;
    return &r->pk;
}

int reply_nest(struct reply *outer, struct reply *sub)
{
    static const uint8_t hdr[2] = {0x91, 0x00};
    *sub = (struct reply){.msg = outer->msg, .base = nng_msg_len(outer->msg)};
    if (msg_write(sub->msg, (const char *)hdr, sizeof(hdr))) {
        sub->msg = NULL;
        return SM_ENOMEM;
    }
    msgpack_packer_init(&sub->pk, sub->msg, msg_write);
    return SM_OK;
}

void reply_close(struct reply *r, int status)
{
    nng_msg *m = r->msg;
    if (status != SM_OK && status != SM_EOWNERDEAD) {
        nng_msg_chop(m, nng_msg_len(m) - r->base - 2);
        r->nfields = 0;
    }
    uint8_t *b = (uint8_t *)nng_msg_body(m) + r->base;
    b[0] = (uint8_t)(0x90 | (r->nfields + 1));
    b[1] = (uint8_t)status;
    r->msg = NULL;
}

nng_msg *reply_finish(struct reply *r, int status)
{
    nng_msg *m = r->msg;
    if (m)
        reply_close(r, status);
    return m;
}

void reply_fields(const struct reply *r, mp_reader *rd)
{
    size_t at = r->msg ? r->base + 2 : 0, len = r->msg ? nng_msg_len(r->msg) : 0;
    mp_reader_init(rd, r->msg && len > at ? (const uint8_t *)nng_msg_body(r->msg) + at : NULL,
                   len > at ? len - at : 0);
}
