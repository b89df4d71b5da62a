/*
 * serve.h - what every transport engine does with a connection and a
 * request, whoever moves the bytes (server.c over nng, ipc_server.c on a
 * plain unix socket): admission, serving one request inline under the core
 * lock, and the request record a parked reply finds its way back with.
 */
#ifndef SM_BROKER_SERVE_H
#define SM_BROKER_SERVE_H

#include <nng/nng.h>
#include <stdint.h>

#include "core.h"

/*
 * The first member of every engine's request record: core->send_reply
 * hands the reply (or NULL: none, the request is done) to @send, from any
 * thread holding core->lock.
 */
struct serve_req {
    void (*send)(struct serve_req *req, nng_msg *msg);
};

/**
 * serve_admit() - a session for a new connection @id, unless the
 * allow-list (uid) or limits.max_sessions refuses it (logged with @peer,
 * "" over ipc); the broker's own listener probes always get one.  Takes
 * core->lock.  Returns NULL when refused: the caller closes the connection.
 */
struct session *serve_admit(struct core *core, uint32_t id, int pid, int uid, int gid,
                            const char *peer);

/**
 * serve_request() - run request @msg (consumed) of connection @id inline
 * under core->lock.  Returns SM_PARKED (@req now belongs to the core until
 * its send hook is called), else the reply in *reply; a NULL reply means
 * the connection must be closed.
 */
int serve_request(struct core *core, uint32_t id, nng_msg *msg, struct serve_req *req,
                  nng_msg **reply);

#endif
