/* serve.c - admission and inline serving, shared by the engines (serve.h). */
#include "serve.h"

#include <stdio.h>
#include <unistd.h>

#include "log.h"

/* allowed_uid() - @uid may connect (tcp peers, uid -1, are not checked). */
static bool allowed_uid(const struct limits *l, int uid)
{
    if (!l->nallow || uid < 0)
        return true;
    for (size_t i = 0; i < l->nallow; i++)
        if (l->allow_uids[i] == (uid_t)uid)
            return true;
    return false;
}

struct session *serve_admit(struct core *core, uint32_t id, int pid, int uid, int gid,
                            const char *peer)
{
    struct session *s = NULL;
    const char *why = NULL;
    pthread_mutex_lock(&core->lock);
    if (pid == getpid())
        ; /* a listener probe */
    else if (!allowed_uid(&core->limits, uid))
        why = "uid not in allow_uids";
    else if (HASH_COUNT(core->sessions) >= core->limits.max_sessions)
        why = "max_sessions reached";
    if (!why && (s = session_new(core, id, pid, uid, gid)))
        snprintf(s->peer, sizeof(s->peer), "%s", peer);
    size_t n = HASH_COUNT(core->sessions);
    pthread_mutex_unlock(&core->lock);
    if (why)
        log_warn("SM-PEER-REFUSED", "pipe %u pid %d uid %d%s%s: %s (%zu sessions), closed", id, pid,
                 uid, *peer ? " peer " : "", peer, why, n);
    return s;
}

/* too_big() - the reply to a request over limits.max_message_bytes:
 * SM_ETOOBIG, or none (the pipe closes) before the handshake. */
static int too_big(struct session *s, nng_msg **reply)
{
    struct reply r;
    if (!s->authed || reply_begin(&r))
        return SM_EAUTH;
    *reply = reply_finish(&r, SM_ETOOBIG);
    return SM_ETOOBIG;
}

int serve_request(struct core *core, uint32_t id, nng_msg *msg, struct serve_req *req,
                  nng_msg **reply)
{
    int rc = SM_ECONN;
    *reply = NULL;
    pthread_mutex_lock(&core->lock);
    struct session *s = session_get(core, id);
    if (s && nng_msg_len(msg) > core->limits.max_message_bytes)
        rc = too_big(s, reply);
    else if (s)
        rc = dispatch(core, s, nng_msg_body(msg), nng_msg_len(msg), req, reply);
    reply_recycle(core, msg); /* the next reply's message */
    pthread_mutex_unlock(&core->lock);
    return rc;
}
