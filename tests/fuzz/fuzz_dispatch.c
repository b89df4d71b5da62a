/*
 * fuzz_dispatch.c - fuzz target for request dispatch into an in-process
 * broker core (broker_core: dispatch.c, registry.c, wait.c, obj_*.c), as
 * server.c drives it but without a network.
 *
 * An input is a script of records, so that state builds up (opens, then
 * operations on handles 1..N, parked requests, wake-ups):
 *
 *   [flags u8][length u16 little-endian][length bytes: one request frame]
 *
 * flags & 3 picks the session that sends it: 0 and 1 are two authenticated
 * sessions, 2 a read-only one, 3 one that never authenticated.  Flag 0x40
 * ends that session after the request (its pipe went: parked requests are
 * cancelled, holds released) and a fresh one takes its place; 0x80 expires
 * every deadline after the request.  A truncated last record is ignored.
 *
 * Each request is copied into a buffer of exactly its size.  Every reply,
 * immediate or sent later for a parked request, must decode with the status
 * dispatch() returned.  At the end of the input the core is torn down: parked
 * requests get their replies and everything is freed, so a leak is a leak.
 */
#include <string.h>

#include "core.h"
#include "fuzz.h"
#include "log.h"
#include "wait.h"

#define NSESS 4

struct script {
    struct core core;
    struct session *sess[NSESS];
    uint32_t next_pipe;
};

/* check_reply() - @msg decodes as a reply with @want (when >= 0); freed. */
static void check_reply(nng_msg *msg, int want)
{
    int status;
    mp_reader rest;
    uint32_t nfields;
    const uint8_t *raw;
    size_t rawlen;
    FUZZ_CHECK(msg);
    FUZZ_CHECK(reply_decode(nng_msg_body(msg), nng_msg_len(msg), &status, &rest, &nfields) ==
               SM_OK);
    FUZZ_CHECK(want < 0 || status == want);
    for (uint32_t k = 0; k < nfields; k++)
        FUZZ_CHECK(mp_read_raw(&rest, &raw, &rawlen) == SM_OK);
    FUZZ_CHECK(rest.p == rest.end);
    nng_msg_free(msg);
}

/* The core's hook for replies to parked requests. */
static void send_reply(void *req, nng_msg *msg, void *arg)
{
    (void)req;
    (void)arg;
    check_reply(msg, -1);
}

/* open_session() - slot @i gets a new session of its kind. */
static void open_session(struct script *sc, unsigned i)
{
    uint32_t pipe = ++sc->next_pipe;
    struct session *s = session_new(&sc->core, pipe, 1000 + (int)pipe, 1000, 1000);
    FUZZ_CHECK(s);
    s->authed = i != 3;
    s->readonly = i == 2;
    s->hello_done = i != 3;
    sc->sess[i] = s;
}

/* end_session() - slot @i's pipe is gone: as server.c, mark then end. */
static void end_session(struct script *sc, unsigned i)
{
    sc->sess[i]->gone = true;
    session_end(&sc->core, sc->sess[i]);
    open_session(sc, i);
}

/* run() - one request from slot @i. */
static void run(struct script *sc, unsigned i, const uint8_t *req, size_t len)
{
    nng_msg *out = NULL;
    uint8_t *copy = malloc(len ? len : 1);
    FUZZ_CHECK(copy);
    memcpy(copy, req, len);
    int rc = dispatch(&sc->core, sc->sess[i], copy, len, (void *)(uintptr_t)sc->next_pipe, &out);
    free(copy);
    if (rc == SM_PARKED) {
        FUZZ_CHECK(!out);
    } else if (out) {
        check_reply(out, rc);
    } else {
        FUZZ_CHECK(rc == SM_EAUTH); /* too many failures: the pipe is closed */
        end_session(sc, i);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t key[16] = "fuzz-fuzz-fuzz!!";
    static struct script sc;
    log_set_level(LOG_ERR); /* failed authentications are expected, and slow */
    memset(&sc, 0, sizeof(sc));
    core_init(&sc.core);
    sc.core.send_reply = send_reply;
    sc.core.key = key;
    sc.core.keylen = sizeof(key);
    for (unsigned i = 0; i < NSESS; i++)
        open_session(&sc, i);

    while (size >= 3) {
        unsigned flags = data[0];
        size_t len = (size_t)data[1] | (size_t)data[2] << 8;
        data += 3;
        size -= 3;
        if (len > size)
            break;
        unsigned i = flags & 3;
        run(&sc, i, data, len);
        data += len;
        size -= len;
        if (flags & 0x40)
            end_session(&sc, i);
        if (flags & 0x80)
            wait_expire(&sc.core, INT64_MAX);
    }
    core_deinit(&sc.core);
    return 0;
}
