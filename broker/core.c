/* core.c - core state lifetime, clocks and reply building. */
#include "core.h"

#include <string.h>
#include <time.h>

#include "events.h"
#include "wait.h"

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

/* Packer callback: append to the nng message being built. */
static int msg_write(void *data, const char *buf, size_t len)
{
    return nng_msg_append(data, buf, len) == 0 ? 0 : -1;
}

int reply_begin(struct reply *r)
{
    static const uint8_t hdr[2] = {0x91, 0x00};
    r->nfields = 0;
    if (nng_msg_alloc(&r->msg, 0) != 0 || nng_msg_append(r->msg, hdr, sizeof(hdr)) != 0) {
        r->msg = NULL;
        return SM_ENOMEM;
    }
    msgpack_packer_init(&r->pk, r->msg, msg_write);
    return SM_OK;
}

msgpack_packer *reply_field(struct reply *r)
{
    r->nfields++;
    return &r->pk;
}

nng_msg *reply_finish(struct reply *r, int status)
{
    nng_msg *m = r->msg;
    r->msg = NULL;
    if (!m)
        return NULL;
    if (status != SM_OK && status != SM_EOWNERDEAD) {
        nng_msg_chop(m, nng_msg_len(m) - 2);
        r->nfields = 0;
    }
    uint8_t *b = nng_msg_body(m);
    b[0] = (uint8_t)(0x90 | (r->nfields + 1));
    b[1] = (uint8_t)status;
    return m;
}
