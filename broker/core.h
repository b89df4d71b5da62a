/*
 * core.h - the broker core: state shared by every module, touched only with
 * core->lock held (server.c and the main loop take it; handlers run under it
 * and never sleep).
 */
#ifndef SM_BROKER_CORE_H
#define SM_BROKER_CORE_H

#include <msgpack.h>
#include <nng/nng.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uthash.h>

#include "codec.h"
#include "errors.h"
#include "op.h"

struct object;
struct session;
struct waiter;
struct dump;
struct persist;

struct event;

/* The event ring behind watch.next (events.h). */
struct event_ring {
    struct event *ev;          /* cap entries, allocated at the first event */
    size_t cap;
    uint64_t last;             /* seq of the newest event, 0: none yet */
    struct waiter *watchers;   /* parked watch.next requests */
};

/* Limits a broker enforces; defaults in core_init(). */
struct limits {
    unsigned max_depth;        /* msgpack nesting in a frame */
    size_t max_parked;         /* parked requests in all */
    unsigned max_auth_failures;/* then the pipe is closed */
    size_t max_objects;        /* named objects: SM_ELIMIT past it */
    size_t max_name;           /* bytes in an object name (<= SM_NAME_MAX) */
    size_t max_sessions;       /* pipes beyond it are closed as they come */
    size_t max_parked_session; /* parked requests of one session: SM_ELIMIT */
    size_t max_message_bytes;  /* larger requests get SM_ETOOBIG (server.c) */
    const uid_t *allow_uids;   /* ipc peers allowed (not owned), nallow 0: any */
    size_t nallow;
};

struct core {
    pthread_mutex_t lock;
    struct object *by_name;    /* uthash on hh, key name */
    struct object *by_id;      /* uthash on hh_id, key id */
    struct object *found;      /* registry_find()'s last answer, until its registry_destroy() */
    uint64_t next_id;
    struct session *sessions;  /* uthash on hh, key pipe id */
    uint64_t next_session_id;
    struct waiter **heap;      /* deadline min-heap of parked requests */
    size_t nheap, heapcap;
    size_t nparked;
    uint64_t ops;              /* requests served */
    int64_t started_ms;        /* wall clock */
    struct limits limits;
    struct event_ring ring;    /* events.c */
    struct persist *persist;   /* persist.c, or NULL: persistence is off */
    unsigned auth_fail_streak; /* failed auths with < 10 s between them (session.c) */
    int64_t auth_fail_last_ms;
    const uint8_t *key;        /* authkey (not owned) */
    size_t keylen;
    const uint8_t *rokey;      /* read-only authkey, or NULL (not owned) */
    size_t rokeylen;
    /* Transport hooks (server.c, or a test): send a reply for a parked
     * request, and note that the earliest deadline moved earlier. */
    void (*send_reply)(void *req, nng_msg *msg, void *arg);
    void (*deadline_changed)(void *arg);
    void *hook_arg;
    nng_msg *spare;            /* a served request kept for the next reply */
};

/* core_init() - empty registry and default limits. */
void core_init(struct core *core);

/* core_deinit() - free every object and session; parked requests get
 * SM_ESHUTDOWN replies first. */
void core_deinit(struct core *core);

/* now_ms() - monotonic clock in ms (deadlines); wall_ms() - Unix time in ms. */
int64_t now_ms(void);
int64_t wall_ms(void);

/* ---- replies ------------------------------------------------------------ */

/* A reply under construction: [status, fields...] packed straight into an
 * nng message, at its end.  Two header bytes are reserved at @base and
 * patched at the end: a batch's sub-replies are replies nested in the
 * batch's own message (reply_nest()), one after another. */
struct reply {
    nng_msg *msg;
    msgpack_packer pk;
    unsigned nfields;
    size_t base;               /* where its header is in msg */
};

/* reply_begin() - start a reply; SM_ENOMEM if no message could be had. */
int reply_begin(struct reply *r);

/* reply_begin_core() - reply_begin() in @core's spare message when it has
 * one, so that a request's message becomes a later reply instead of a
 * malloc/free pair per operation.  Caller holds core->lock. */
int reply_begin_core(struct core *core, struct reply *r);

/* reply_recycle() - @msg (a served request, consumed) becomes @core's spare
 * message, or is freed when there is one or it is large.  Caller holds
 * core->lock. */
void reply_recycle(struct core *core, nng_msg *msg);

/* reply_field() - the packer for the next top-level field (at most 14). */
msgpack_packer *reply_field(struct reply *r);

/* reply_finish() - patch the header with @status; on an error status the
 * fields are dropped.  Returns the message (caller owns it). */
nng_msg *reply_finish(struct reply *r, int status);

/**
 * reply_nest() - start @sub, a whole reply [status, fields...] packed as the
 * next bytes of @outer (a field of a batch's reply): no message of its own,
 * no copy.  Nothing may be packed into @outer until reply_close(@sub).
 * Returns SM_OK or SM_ENOMEM.
 */
int reply_nest(struct reply *outer, struct reply *sub);

/* reply_close() - reply_finish() for a nested reply: patch its header with
 * @status (dropping its fields on an error); the message stays @outer's. */
void reply_close(struct reply *r, int status);

/* reply_fields() - a reader over the fields packed so far into @r (empty
 * when it has no message). */
void reply_fields(const struct reply *r, mp_reader *rd);

/* ---- requests ----------------------------------------------------------- */

/* One request being served: everything a handler needs, checked. */
struct call {
    struct core *core;
    struct session *sess;
    const struct frame *f;     /* decoded fields: f->args[] per ops.def */
    struct object *obj;        /* resolved handle when f->op->type != 0 */
    struct reply rep;          /* the handler packs result fields here */
    void *req;                 /* transport's request, for parking */
    const void *raw;           /* the request's bytes, as journaled (persist.h) */
    size_t rawlen;
    bool in_batch;             /* a batch's sub-request: never parks (batch.h) */
    int64_t batch_ms;          /* in_batch: the batch's wall time, its events' time */
};

/* Every handler: int op_<sym>(struct call *c), from ops.def.  Returns an
 * SM_* status (the reply carries it) or SM_PARKED. */
typedef int op_fn(struct call *c);
#define SM_OP(sym, ...) op_fn op_##sym;
#include "ops.def"
#undef SM_OP

/**
 * dispatch_call() - decode @len bytes at @buf into @f, check them (session,
 * flags, handle; batch_sub_check() for a batch's sub-request), journal the
 * request (persist_call()) and run the handler, which packs its fields into
 * c->rep; each request of a batch is journaled on its own.  @c has core, sess, rep and
 * req set.  Returns the status, or SM_PARKED.  Caller holds core->lock.
 */
int dispatch_call(struct call *c, const void *buf, size_t len, struct frame *f);

/**
 * dispatch_next() - dispatch_call() for the request at @r, inside a
 * request that was validated already (a batch's array): decoded in one
 * pass, and @r steps past it whatever its status.  SM_EPROTO with @r
 * unmoved when there is no object at @r (then nothing ran).
 */
int dispatch_next(struct call *c, mp_reader *r, struct frame *f);

/**
 * dispatch() - decode, check and run one request from @sess.  Returns the
 * reply message in *out, or NULL in *out when the request was parked (its
 * reply goes later through core->send_reply) or the pipe should be closed
 * (then returns SM_EAUTH).  Caller holds core->lock.
 */
int dispatch(struct core *core, struct session *sess, const void *buf, size_t len,
             void *req, nng_msg **out);

/**
 * dispatch_replay() - run one journaled request (persist.c) for @sess: the
 * frame at @buf, its handle replaced by the object named @name; timeouts
 * become 0, so nothing parks; the reply is dropped.  Returns its status.
 */
int dispatch_replay(struct core *core, struct session *sess, const char *name, size_t nlen,
                    const void *buf, size_t len);

/* ---- objects ------------------------------------------------------------ */

/* What every object type provides (one file per type, obj_*.c). */
struct obj_type {
    uint8_t code;                 /* SM_T_* */
    const char *name;
    /* create from the open request's options (a map, or NULL when absent
     * or nil; read it with opts.h); returns SM_OK and *out, or an SM_E* code */
    int (*create)(struct core *core, const struct arg *opts, struct object **out);
    /* destroy: complete its parked requests with wait_cancel_queue(q,
     * SM_ENOENT), drop holds with session_hold(), free the memory */
    void (*destroy)(struct core *core, struct object *o);
    /* number of items/entries/length for ls */
    size_t (*size)(const struct object *o);
    /* optional: release what @s holds in @o (locks, units) as it ends */
    void (*session_end)(struct core *core, struct object *o, struct session *s);
    /* optional: holder's session for ls/info, or NULL */
    struct session *(*holder)(const struct object *o);
    /* optional: type-specific figures for "info", packed as ONE map
     * (e.g. {"maxsize": 10, "unfinished": 3}) */
    void (*describe)(const struct object *o, msgpack_packer *pk);
    /* optional: the requests that rebuild the contents of @o after its
     * open, for a snapshot (persist.h dump_op()); none: nothing to keep */
    void (*dump)(const struct object *o, struct dump *d);
};

struct object {
    UT_hash_handle hh;            /* by name */
    UT_hash_handle hh_id;         /* by id */
    uint64_t id;                  /* the handle clients use */
    char *name;
    const struct obj_type *type;
    int64_t created_ms;
    bool temp;
    uint8_t *opts;                /* the creation options as sent (a map), or NULL */
    uint32_t opts_len;
    unsigned temp_refs;           /* sessions that opened a temp object */
    unsigned refs;                /* 1 while named, +1 per object using it */
    size_t nwaiters;              /* parked requests on this object */
};

/* The types, one per obj_*.c (rlock shares obj_lock.c with lock). */
extern const struct obj_type obj_dict_type, obj_list_type, obj_lock_type, obj_rlock_type,
    obj_queue_type, obj_sem_type, obj_cond_type, obj_event_type, obj_barrier_type,
    obj_value_type, obj_array_type, obj_namespace_type, obj_pipe_type;

/* registry_type() - the type for an SM_T_* code, or NULL. */
const struct obj_type *registry_type(unsigned code);

/* registry_lookup() - object by name, or NULL. */
struct object *registry_lookup(struct core *core, const char *name, size_t len);

/* registry_find() - object by handle, or NULL (the last one found is
 * remembered: consecutive requests on one object cost no hash lookup). */
struct object *registry_find(struct core *core, uint64_t id);

/* registry_destroy() - unlink an object: its name and handle stop working
 * and, unless another object still uses it (a condition's lock), it is
 * destroyed: parked requests on it get SM_ENOENT, holds are released. */
void registry_destroy(struct core *core, struct object *o);

/* obj_ref() / obj_unref() - an object that uses another keeps it alive;
 * the last unref of an unlinked object destroys it. */
void obj_ref(struct object *o);
void obj_unref(struct core *core, struct object *o);

/* ---- sessions ----------------------------------------------------------- */

/* A hold: a session has something of an object (a lock, semaphore units). */
struct hold {
    UT_hash_handle hh;            /* key: obj pointer */
    struct object *obj;
    uint64_t count;
};

/* A temp object a session has open. */
struct tempref {
    UT_hash_handle hh;            /* key: id */
    uint64_t id;
};

struct session {
    UT_hash_handle hh;            /* key: pipe_id */
    uint32_t pipe_id;
    uint64_t id;                  /* shown to operators */
    bool authed;
    bool readonly;                /* authenticated with the read-only key */
    bool hello_done;
    bool ending;                  /* session_end() under way */
    bool gone;                    /* its pipe is closed; session_end() follows */
    unsigned auth_failures;
    size_t nparked;               /* its parked requests (limits.max_parked_session) */
    uint8_t nonce[SM_NONCE_LEN];  /* broker's challenge */
    int pid, uid, gid;            /* -1 when not over ipc */
    char peer[64];                /* remote address over tcp, "" over ipc */
    int64_t since_ms;             /* wall clock */
    uint64_t ops;
    struct hold *holds;
    struct tempref *temps;
    struct waiter *waiters;       /* its parked requests (list on snext) */
    struct waiter *auth_delayed;  /* failed auth replies held back (session.c) */
};

/* session_new() - a session for a new pipe; NULL on ENOMEM. */
struct session *session_new(struct core *core, uint32_t pipe_id, int pid, int uid, int gid);

/* session_get() - the session of a pipe, or NULL. */
struct session *session_get(struct core *core, uint32_t pipe_id);

/* session_end() - the pipe is gone: drop its parked requests, release what
 * it holds (abandoned locks), close its temp objects, free it. */
void session_end(struct core *core, struct session *s);

/* session_hold() - add @delta (may be negative) to what @s holds of @o;
 * the record goes when it reaches 0. */
void session_hold(struct session *s, struct object *o, int64_t delta);

/* session_temp_open() / session_temp_close() - track a temp object opened by
 * @s; closing the last reference destroys it. */
int session_temp_open(struct core *core, struct session *s, struct object *o);
void session_temp_close(struct core *core, struct session *s, struct object *o);

#endif
