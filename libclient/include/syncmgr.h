/*
 * syncmgr.h - the client library of syncmgr, Python's SyncManager as a
 * system service.  This is the only public header.
 *
 * Conventions
 *  - Every function returning int returns SM_OK (0) or a positive SM_E* code
 *    from the table below; sm_strerror() gives its one-line message.
 *  - Values are passed as sm_val by value.  Values the library returns are
 *    owned by the caller and released with sm_val_free().
 *  - Timeouts are in milliseconds: SM_FOREVER (-1) waits without limit, 0
 *    tries once without waiting.  Waiting happens on the broker; a timed-out
 *    call returns SM_ETIMEDOUT (SM_EEMPTY/SM_EFULL for queues).
 *  - sm_client is thread-safe.  Each thread uses its own nng context; lock
 *    ownership is per (connection, thread), as in Python's threading.
 *  - SM_ECONN means the connection was lost: the outcome of that call is
 *    unknown (it may or may not have run); the library never resends it.
 */
#ifndef SYNCMGR_H
#define SYNCMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes: SM_OK, SM_EAUTH, SM_ECONN, ... (stable numbers). */
#ifndef SM_ERRORS_DEFINED
#define SM_ERRORS_DEFINED
enum sm_status {
#define SM_ERR(sym, code, name, msg) sym = code,
#include "syncmgr-errors.def"
#undef SM_ERR
};
#endif

#define SM_FOREVER (-1)          /* timeout: wait without limit */
#define SM_NONE INT64_MIN        /* slice bound: Python's None */

/* open flags */
#define SM_CREATE 0x1            /* create if missing (like O_CREAT) */
#define SM_EXCL 0x2              /* with SM_CREATE: fail with SM_EEXIST if present */
#define SM_TEMP 0x4              /* with SM_CREATE: removed when the last session that
                                    opened it ends (Python proxy lifetime) */

/* Default places when neither argument nor environment names one. */
#define SM_DEFAULT_ADDRESS "ipc:///run/syncmgr/syncmgrd.sock"
#define SM_DEFAULT_AUTHKEY_FILE "/etc/syncmgr/authkey"

typedef struct sm_client sm_client;

/* ---- values ------------------------------------------------------------- */

typedef enum sm_vtype {
    SM_V_NIL, SM_V_BOOL, SM_V_INT, SM_V_UINT, SM_V_F64, SM_V_STR, SM_V_BIN,
    SM_V_MSGPACK /* any other value (arrays, maps, ext) as packed msgpack */
} sm_vtype;

/* A value.  Built by the constructors below (borrowing the caller's bytes),
 * or returned by the library (owning its bytes: free with sm_val_free()).
 * Returned strings are NUL-terminated. */
typedef struct sm_val {
    sm_vtype type;
    union {
        bool b;
        int64_t i;
        uint64_t u;
        double f;
        struct {
            const void *ptr;
            size_t len;
        } buf; /* SM_V_STR, SM_V_BIN, SM_V_MSGPACK */
    } v;
    void *owned_; /* private: storage the library allocated */
} sm_val;

sm_val sm_nil(void);
sm_val sm_bool(bool b);
sm_val sm_int(int64_t i);
sm_val sm_uint(uint64_t u);
sm_val sm_f64(double f);
sm_val sm_str(const char *s);                  /* NUL-terminated UTF-8 */
sm_val sm_strn(const char *s, size_t len);
sm_val sm_bin(const void *p, size_t len);
sm_val sm_msgpack(const void *packed, size_t len); /* one pre-packed value */

/* sm_val_to_int() - the integer in @v; SM_ETYPE if not an integer, SM_EVALUE
 * if a uint above INT64_MAX. */
int sm_val_to_int(const sm_val *v, int64_t *out);

/* sm_val_to_str() - the string in @v (borrowed from @v); SM_ETYPE if not a str. */
int sm_val_to_str(const sm_val *v, const char **s, size_t *len);

/* sm_val_is_nil() - true when @v is nil (Python's None). */
bool sm_val_is_nil(const sm_val *v);

/**
 * sm_val_items() - the elements of an array value (keys(), copy(), ...) as
 * an array of *n values, each owned by the caller; free them all with
 * sm_vals_free().  For a map value the elements alternate key, value.
 * SM_ETYPE if @v holds neither.
 */
int sm_val_items(const sm_val *v, sm_val **items, size_t *n);
void sm_vals_free(sm_val *items, size_t n);

/* sm_val_free() - release a value the library returned; safe on any value
 * and twice; leaves @v nil. */
void sm_val_free(sm_val *v);

/* ---- connection --------------------------------------------------------- */

/**
 * sm_connect() - connect and authenticate (mutual HMAC-SHA256 on the key).
 * @address: "ipc:///path" or "tcp://host:port"; NULL: $SYNCMGR_ADDRESS, else
 * SM_DEFAULT_ADDRESS.  @authkey_file: NULL: $SYNCMGR_AUTHKEY_FILE, else
 * SM_DEFAULT_AUTHKEY_FILE.  On success *out is a client to release with
 * sm_disconnect().  SM_ECONN: no broker there; SM_EAUTH: wrong key (or the
 * broker failed to prove it has ours); SM_ENOENT/SM_EIO: key file unreadable.
 * When the connection is later lost, calls in flight return SM_ECONN and the
 * next call re-dials by itself, for at most $SYNCMGR_RECONNECT_MS ms (default
 * 5000, read here); handles are opened again by name (flags minus SM_EXCL)
 * on their next use.  Locks and other session state do not survive.
 */
int sm_connect(sm_client **out, const char *address, const char *authkey_file);

/* sm_disconnect() - close the connection; the broker releases what this
 * client held.  Handles opened on it must not be used afterwards (close
 * them first, or not at all).  NULL is fine. */
void sm_disconnect(sm_client *c);

/* sm_strerror() - one-line message for a status code. */
const char *sm_strerror(int rc);

/* sm_ping() - one round trip; *version (may be NULL) receives the broker's
 * version string, which the caller frees with free(). */
int sm_ping(sm_client *c, char **version);

/* sm_unlink() - remove a named object; its waiters get SM_ENOENT, handles
 * to it then fail with SM_ENOENT.  SM_ENOENT if there is none. */
int sm_unlink(sm_client *c, const char *name);

/* ---- dict (DictProxy) --------------------------------------------------- */

typedef struct sm_dict sm_dict;
typedef struct sm_dict_opts { int reserved_; } sm_dict_opts;

/**
 * sm_dict_open() - open the dict @name (1..255 bytes of printable UTF-8).
 * @flags: SM_CREATE, SM_EXCL, SM_TEMP.  SM_ENOENT without SM_CREATE when
 * absent; SM_ETYPE if @name is another type; SM_EEXIST with SM_EXCL.
 * Release *out with sm_dict_close().
 */
int sm_dict_open(sm_client *c, const char *name, int flags, const sm_dict_opts *opts,
                 sm_dict **out);
void sm_dict_close(sm_dict *d);

/* Keys are compared by value: integers whatever their encoding, str and bin
 * distinct.  Returned values belong to the caller (sm_val_free). */
int sm_dict_set(sm_dict *d, sm_val key, sm_val val);
int sm_dict_get(sm_dict *d, sm_val key, sm_val *out);       /* SM_ENOKEY */
int sm_dict_del(sm_dict *d, sm_val key);                    /* SM_ENOKEY */
int sm_dict_len(sm_dict *d, size_t *n);
int sm_dict_contains(sm_dict *d, sm_val key, bool *out);
/* sm_dict_incr() - atomically add @delta to the integer at @key (a missing
 * key counts as 0) and return the new value; SM_ETYPE if not an integer. */
int sm_dict_incr(sm_dict *d, sm_val key, int64_t delta, int64_t *result);
int sm_dict_keys(sm_dict *d, sm_val *out);                  /* array, insertion order */
int sm_dict_values(sm_dict *d, sm_val *out);                /* array */
int sm_dict_items(sm_dict *d, sm_val *out);                 /* array of [key, value] */
int sm_dict_pop(sm_dict *d, sm_val key, sm_val *out);       /* SM_ENOKEY */
/* sm_dict_pop_default() - pop, or *out = a copy of @dflt when absent. */
int sm_dict_pop_default(sm_dict *d, sm_val key, sm_val dflt, sm_val *out);
int sm_dict_popitem(sm_dict *d, sm_val *key, sm_val *val);  /* last inserted; SM_ENOKEY */
int sm_dict_setdefault(sm_dict *d, sm_val key, sm_val dflt, sm_val *out);
int sm_dict_update(sm_dict *d, sm_val map);                 /* a msgpack map value */
int sm_dict_clear(sm_dict *d);
int sm_dict_copy(sm_dict *d, sm_val *out);                  /* a map value */

/* ---- list (ListProxy) --------------------------------------------------- */

typedef struct sm_list sm_list;
typedef struct sm_list_opts { int reserved_; } sm_list_opts;

int sm_list_open(sm_client *c, const char *name, int flags, const sm_list_opts *opts,
                 sm_list **out);
void sm_list_close(sm_list *l);

/* Indexes count from the end when negative, as in Python. */
int sm_list_append(sm_list *l, sm_val v);
int sm_list_get(sm_list *l, int64_t index, sm_val *out);    /* SM_EINDEX; -1 = last */
int sm_list_len(sm_list *l, size_t *n);
int sm_list_extend(sm_list *l, sm_val array);               /* a msgpack array value */
int sm_list_insert(sm_list *l, int64_t index, sm_val v);
int sm_list_pop(sm_list *l, int64_t index, sm_val *out);    /* SM_EINDEX */
int sm_list_remove(sm_list *l, sm_val v);                   /* first equal; SM_EVALUE */
int sm_list_index(sm_list *l, sm_val v, size_t *index);     /* SM_EVALUE */
int sm_list_count(sm_list *l, sm_val v, size_t *n);
int sm_list_set(sm_list *l, int64_t index, sm_val v);       /* SM_EINDEX */
int sm_list_del(sm_list *l, int64_t index);                 /* SM_EINDEX */
/* Slices: l[start:stop:step]; SM_NONE for an omitted bound; step 0 is
 * SM_EVALUE.  Assigning to an extended slice (step != 1) needs as many values
 * as it selects (SM_EVALUE otherwise). */
int sm_list_getslice(sm_list *l, int64_t start, int64_t stop, int64_t step, sm_val *out);
int sm_list_setslice(sm_list *l, int64_t start, int64_t stop, int64_t step, sm_val array);
int sm_list_delslice(sm_list *l, int64_t start, int64_t stop, int64_t step);
int sm_list_reverse(sm_list *l);
/* sm_list_sort() - sort in place; SM_ETYPE if values are not comparable. */
int sm_list_sort(sm_list *l, bool reverse);
int sm_list_clear(sm_list *l);
int sm_list_copy(sm_list *l, sm_val *out);                  /* an array value */
int sm_list_contains(sm_list *l, sm_val v, bool *out);

/* ---- Lock (threading.Lock, robust) -------------------------------------- */

typedef struct sm_lock sm_lock;
typedef struct sm_lock_opts { int reserved_; } sm_lock_opts;

int sm_lock_open(sm_client *c, const char *name, int flags, const sm_lock_opts *opts,
                 sm_lock **out);
void sm_lock_close(sm_lock *l);

/**
 * sm_lock_acquire() - acquire, waiting up to @timeout_ms (SM_FOREVER, 0 =
 * try).  SM_OK: acquired.  SM_EOWNERDEAD: acquired, but the previous owner's
 * connection ended while holding it: the protected state may be
 * inconsistent.  SM_ETIMEDOUT: not acquired.  Waiters are served in arrival
 * order.  Not re-entrant: acquiring again from the owning thread waits.
 */
int sm_lock_acquire(sm_lock *l, int timeout_ms);

/* sm_lock_release() - SM_ENOTOWNER if not held by this client and thread. */
int sm_lock_release(sm_lock *l);

/* sm_lock_locked() - whether anyone holds it. */
int sm_lock_locked(sm_lock *l, bool *out);

/* ---- RLock (threading.RLock, robust) ------------------------------------ */

typedef struct sm_rlock sm_rlock;
typedef struct sm_rlock_opts { int reserved_; } sm_rlock_opts;

int sm_rlock_open(sm_client *c, const char *name, int flags, const sm_rlock_opts *opts,
                  sm_rlock **out);
void sm_rlock_close(sm_rlock *l);

/* sm_rlock_acquire() - as sm_lock_acquire(), but the owning thread may
 * acquire again; each acquire needs its release. */
int sm_rlock_acquire(sm_rlock *l, int timeout_ms);
/* sm_rlock_release() - SM_ENOTOWNER unless held by this client and thread. */
int sm_rlock_release(sm_rlock *l);
int sm_rlock_locked(sm_rlock *l, bool *out);

/* ---- Queue / JoinableQueue ---------------------------------------------- */

typedef struct sm_queue sm_queue;
typedef struct sm_queue_opts {
    size_t maxsize; /* 0: unbounded */
    bool joinable;  /* task_done() and join() (JoinableQueue) */
} sm_queue_opts;

int sm_queue_open(sm_client *c, const char *name, int flags, const sm_queue_opts *opts,
                  sm_queue **out);
void sm_queue_close(sm_queue *q);

/* sm_queue_put() - append, waiting up to @timeout_ms for room; SM_EFULL
 * (queue.Full) when none came.  Blocked putters are served in order. */
int sm_queue_put(sm_queue *q, sm_val v, int timeout_ms);
/* sm_queue_get() - remove the oldest item, waiting up to @timeout_ms;
 * SM_EEMPTY (queue.Empty) when none came.  Blocked getters are served in
 * order; an item is never handed to a client the broker knows is gone. */
int sm_queue_get(sm_queue *q, sm_val *out, int timeout_ms);
int sm_queue_qsize(sm_queue *q, size_t *n);
int sm_queue_empty(sm_queue *q, bool *out);
int sm_queue_full(sm_queue *q, bool *out);
/* sm_queue_task_done() - one fetched item is done; SM_EVALUE when called
 * more times than items were put; SM_ENOTSUP unless joinable. */
int sm_queue_task_done(sm_queue *q);
/* sm_queue_join() - wait until every item put has been task_done();
 * SM_ETIMEDOUT; SM_ENOTSUP unless joinable. */
int sm_queue_join(sm_queue *q, int timeout_ms);

/* ---- Semaphore / BoundedSemaphore --------------------------------------- */

typedef struct sm_sem sm_sem;
typedef struct sm_sem_opts {
    unsigned value; /* initial value */
    bool bounded;   /* release past the initial value is SM_EVALUE */
} sm_sem_opts;

/* Without options (NULL) a semaphore starts at 1, unbounded. */
int sm_sem_open(sm_client *c, const char *name, int flags, const sm_sem_opts *opts,
                sm_sem **out);
void sm_sem_close(sm_sem *s);

/* sm_sem_acquire() - take one unit, waiting up to @timeout_ms (SM_ETIMEDOUT).
 * Units a client took come back when its connection ends (SEM_UNDO). */
int sm_sem_acquire(sm_sem *s, int timeout_ms);
int sm_sem_release(sm_sem *s);                     /* SM_EVALUE past a bounded semaphore's max */
int sm_sem_release_n(sm_sem *s, unsigned n);
int sm_sem_value(sm_sem *s, unsigned *out);

/* ---- Condition ---------------------------------------------------------- */

typedef struct sm_cond sm_cond;
typedef struct sm_cond_opts {
    const char *lock; /* name of an existing lock or rlock; NULL: a private lock */
} sm_cond_opts;

int sm_cond_open(sm_client *c, const char *name, int flags, const sm_cond_opts *opts,
                 sm_cond **out);
void sm_cond_close(sm_cond *c);

int sm_cond_acquire(sm_cond *c, int timeout_ms);
int sm_cond_release(sm_cond *c);
/* sm_cond_wait() - release the lock, wait for a notify or @timeout_ms, and
 * re-acquire the lock before returning (also on SM_ETIMEDOUT), all on the
 * broker.  SM_ENOTOWNER if the caller does not hold the lock. */
int sm_cond_wait(sm_cond *c, int timeout_ms);
/* sm_cond_notify() - wake up to @n waiters; SM_ENOTOWNER without the lock. */
int sm_cond_notify(sm_cond *c, size_t n);
int sm_cond_notify_all(sm_cond *c);

/* ---- Event -------------------------------------------------------------- */

typedef struct sm_event sm_event;
typedef struct sm_event_opts { int reserved_; } sm_event_opts;

int sm_event_open(sm_client *c, const char *name, int flags, const sm_event_opts *opts,
                  sm_event **out);
void sm_event_close(sm_event *e);

int sm_event_set(sm_event *e);
int sm_event_clear(sm_event *e);
int sm_event_is_set(sm_event *e, bool *out);
/* sm_event_wait() - SM_OK once set (at once if it is), SM_ETIMEDOUT. */
int sm_event_wait(sm_event *e, int timeout_ms);

/* ---- Barrier ------------------------------------------------------------ */

typedef struct sm_barrier sm_barrier;
typedef struct sm_barrier_opts {
    unsigned parties; /* required when creating; >= 1 */
} sm_barrier_opts;

int sm_barrier_open(sm_client *c, const char *name, int flags, const sm_barrier_opts *opts,
                    sm_barrier **out);
void sm_barrier_close(sm_barrier *b);

/* sm_barrier_wait() - wait for all parties; *index (may be NULL) gets
 * 0..parties-1.  SM_EBROKEN (BrokenBarrierError) when the barrier is or
 * becomes broken: by a timeout (this waiter's included), abort(), reset()
 * while waiting, or a waiter's connection ending. */
int sm_barrier_wait(sm_barrier *b, int timeout_ms, size_t *index);
int sm_barrier_abort(sm_barrier *b);
int sm_barrier_reset(sm_barrier *b);
int sm_barrier_parties(sm_barrier *b, size_t *out);
int sm_barrier_n_waiting(sm_barrier *b, size_t *out);
int sm_barrier_broken(sm_barrier *b, bool *out);

/* ---- Value -------------------------------------------------------------- */

typedef struct sm_value sm_value;
typedef struct sm_value_opts {
    sm_val initial; /* when creating; a zeroed struct means nil */
} sm_value_opts;

int sm_value_open(sm_client *c, const char *name, int flags, const sm_value_opts *opts,
                  sm_value **out);
void sm_value_close(sm_value *v);

int sm_value_get(sm_value *v, sm_val *out);
int sm_value_set(sm_value *v, sm_val val);
/* sm_value_incr() - atomically add @delta (int or float) to a numeric value;
 * *result (may be NULL) gets the new value.  SM_ETYPE if not numeric,
 * SM_EVALUE on integer overflow. */
int sm_value_incr(sm_value *v, sm_val delta, sm_val *result);
/* sm_value_cas() - compare-and-set: if the value equals @expected, set it to
 * @desired.  *swapped tells which; *current (may be NULL) gets the value
 * now held. */
int sm_value_cas(sm_value *v, sm_val expected, sm_val desired, bool *swapped, sm_val *current);

/* ---- Array (typed numeric, fixed length) -------------------------------- */

typedef struct sm_array sm_array;
typedef struct sm_array_opts {
    char typecode;   /* as Python's array module: 'q' int64, 'd' float64, 'B' uint8,
                        'i' int32, 'f' float32 */
    size_t length;   /* number of items, all zero at creation... */
    sm_val initial;  /* ...or an array value giving them (then length may be 0) */
} sm_array_opts;

int sm_array_open(sm_client *c, const char *name, int flags, const sm_array_opts *opts,
                  sm_array **out);
void sm_array_close(sm_array *a);

int sm_array_get(sm_array *a, int64_t index, sm_val *out);   /* SM_EINDEX */
/* sm_array_set() - SM_ETYPE for a value of another kind, SM_EVALUE out of
 * the type's range. */
int sm_array_set(sm_array *a, int64_t index, sm_val v);
int sm_array_getslice(sm_array *a, int64_t start, int64_t stop, int64_t step, sm_val *out);
/* sm_array_setslice() - the length never changes: the array value must hold
 * exactly as many items as the slice selects (SM_EVALUE). */
int sm_array_setslice(sm_array *a, int64_t start, int64_t stop, int64_t step, sm_val array);
int sm_array_len(sm_array *a, size_t *n);

/* ---- Namespace ---------------------------------------------------------- */

typedef struct sm_namespace sm_namespace;
typedef struct sm_namespace_opts { int reserved_; } sm_namespace_opts;

int sm_namespace_open(sm_client *c, const char *name, int flags, const sm_namespace_opts *opts,
                      sm_namespace **out);
void sm_namespace_close(sm_namespace *ns);

int sm_namespace_get(sm_namespace *ns, const char *attr, sm_val *out); /* SM_ENOKEY */
int sm_namespace_set(sm_namespace *ns, const char *attr, sm_val v);
int sm_namespace_del(sm_namespace *ns, const char *attr);             /* SM_ENOKEY */
int sm_namespace_list(sm_namespace *ns, sm_val *out);                 /* a map value */

/* ---- Pipe (a named duplex channel) -------------------------------------- */

typedef struct sm_pipe sm_pipe;
typedef struct sm_pipe_opts {
    int end; /* which end this handle is: 0 or 1 */
} sm_pipe_opts;

/* Two processes open the same pipe name with ends 0 and 1; what one end
 * sends, the other receives, in order.  NULL options: end 0. */
int sm_pipe_open(sm_client *c, const char *name, int flags, const sm_pipe_opts *opts,
                 sm_pipe **out);
void sm_pipe_close(sm_pipe *p);

int sm_pipe_send(sm_pipe *p, sm_val v);
/* sm_pipe_recv() - the next value sent by the other end; SM_ETIMEDOUT. */
int sm_pipe_recv(sm_pipe *p, sm_val *out, int timeout_ms);
/* sm_pipe_poll() - whether a value is ready, waiting up to @timeout_ms. */
int sm_pipe_poll(sm_pipe *p, int timeout_ms, bool *ready);

/* ---- Batches: several calls, one atomic round trip ---------------------- */

/*
 * Between sm_batch_begin() and sm_batch_exec(), every call the calling
 * thread makes on that client through the ordinary functions (sm_dict_set(),
 * sm_queue_get(), ...) is queued instead of sent, and returns SM_EQUEUED
 * without touching its out-arguments.  sm_batch_exec() sends them as one
 * request; the broker runs them in order while no other request runs, so no
 * other client ever sees a half-applied batch (like Redis's MULTI/EXEC:
 * there is no rollback; a call that fails reports its status in its slot
 * and the next ones still run).  Inside a batch, a blocking call tries once
 * (its timeout is taken as 0: sm_queue_get() gives SM_EEMPTY,
 * sm_lock_acquire() SM_ETIMEDOUT) and sm_cond_wait() is SM_EINVAL.  At most
 * SM_BATCH_MAX calls (else sm_batch_exec() returns SM_ETOOBIG and nothing
 * runs).  Opening objects inside a batch does not give a handle: open them
 * first.  Calls on other clients and by other threads are not affected.
 * begin, exec and free belong on the same thread.
 */
#define SM_BATCH_MAX 4096

typedef struct sm_batch sm_batch;

/**
 * sm_batch_begin() - start queuing this thread's calls on @c.  SM_EINVAL if
 * this thread already has a batch or pipeline open; SM_ENOMEM.
 */
int sm_batch_begin(sm_client *c, sm_batch **out);

/**
 * sm_batch_exec() - send the queued calls as one batch and stop queuing.
 * Returns SM_OK when the broker ran the batch (read each call's outcome
 * with sm_batch_status()), or the whole batch's failure: SM_ETOOBIG,
 * SM_ECONN (outcome unknown), ...; then every slot reports that status.
 * Once per batch.
 */
int sm_batch_exec(sm_batch *b);

/* sm_batch_count() - the number of calls queued (slots 0 .. count-1). */
size_t sm_batch_count(const sm_batch *b);

/* sm_batch_status() - the status call @i returned (SM_EQUEUED before
 * sm_batch_exec()); SM_EINVAL for an index out of range. */
int sm_batch_status(const sm_batch *b, size_t i);

/**
 * sm_batch_value() - the result of call @i as a value the caller frees with
 * sm_val_free(): what its function would have stored in its out-argument
 * (a value, a length or count as an integer, a bool, ...), nil for calls
 * without one.  Returns the call's status when it failed (*out is nil).
 */
int sm_batch_value(const sm_batch *b, size_t i, sm_val *out);

/* sm_batch_free() - free the batch and its results; an unexecuted batch is
 * dropped (nothing is sent).  NULL is fine. */
void sm_batch_free(sm_batch *b);

/* ---- Pipelines: many calls in flight from one thread -------------------- */

/*
 * After sm_pipeline_begin(), every call the calling thread makes on that
 * client is sent at once without waiting for its reply and returns
 * SM_EQUEUED (SM_ECONN when the connection is already lost).  At most
 * @depth calls are in flight; a call past that first waits for the oldest
 * reply.  Outcomes are kept by call order (index 0, 1, ...).  Unlike a
 * batch, the calls are separate requests: the broker may run calls that are
 * in flight together in any order, and other clients' requests in between,
 * so pipeline independent calls (use a batch when order matters).  A
 * blocking call may wait on the broker as usual, holding its slot.  Nothing
 * is ever resent: when the connection is lost, every call in flight ends
 * with SM_ECONN.  begin, the calls, sync, reset, end and free belong on the
 * same thread; free every pipeline before sm_disconnect().
 */
#define SM_PIPELINE_MAX 1024

typedef struct sm_pipeline sm_pipeline;

/**
 * sm_pipeline_begin() - pipeline this thread's calls on @c, at most @depth
 * (1 .. SM_PIPELINE_MAX) in flight.  SM_EINVAL if this thread already has a
 * batch or pipeline open; SM_ENOMEM; SM_ECONN.
 */
int sm_pipeline_begin(sm_client *c, unsigned depth, sm_pipeline **out);

/* sm_pipeline_sync() - wait for every call in flight.  SM_OK, or SM_ECONN
 * when any call so far was lost with the connection. */
int sm_pipeline_sync(sm_pipeline *p);

/* sm_pipeline_reset() - sm_pipeline_sync(), then forget every outcome: the
 * next call is index 0 again (long runs keep memory flat). */
int sm_pipeline_reset(sm_pipeline *p);

/* sm_pipeline_end() - sm_pipeline_sync() and stop pipelining: later calls
 * are synchronous again; the outcomes stay readable until free. */
int sm_pipeline_end(sm_pipeline *p);

/* sm_pipeline_count() / sm_pipeline_status() / sm_pipeline_value() - as
 * sm_batch_count(), sm_batch_status() and sm_batch_value(); a call still in
 * flight reads SM_EQUEUED until sm_pipeline_sync(). */
size_t sm_pipeline_count(const sm_pipeline *p);
int sm_pipeline_status(const sm_pipeline *p, size_t i);
int sm_pipeline_value(const sm_pipeline *p, size_t i, sm_val *out);

/* sm_pipeline_free() - end (waiting for calls in flight) and free.  NULL is
 * fine. */
void sm_pipeline_free(sm_pipeline *p);

#ifdef __cplusplus
}
#endif
#endif
