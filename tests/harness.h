/*
 * harness.h - integration tests run the real syncmgrd.
 *
 * A test spawns the built broker ($SYNCMGRD) on a scratch ipc:// socket in a
 * fresh directory under /tmp with a fresh authkey, talks to it through
 * libsyncmgr (or through a raw nng REQ socket speaking the wire protocol),
 * and stops it.  The broker dies with the test (PR_SET_PDEATHSIG); a test
 * that fails leaves its broker log on stderr and no directory behind.
 *
 * Child processes and nng: nng refuses to run in a process forked after nng
 * was used in its parent (it panics: "nng is not fork-reentrant safe"; the
 * library turns that into SM_ENOTSUP from sm_connect() over nng in such a
 * child; its own ipc transport has no such limit, but the raw helpers below
 * use nng).
 * A test talks to the broker as soon as broker_start() returns, so child
 * processes that use libsyncmgr are started with child_spawn(), which
 * re-executes the test binary (see child_dispatch()); child_fork() is only
 * for children that never touch nng.
 */
#ifndef SM_TESTS_HARNESS_H
#define SM_TESTS_HARNESS_H

#include <nng/nng.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "codec.h"
#include "syncmgr.h"

/* ---- the broker ----------------------------------------------------------- */

struct sm_broker {
    char dir[64];       /* scratch directory, removed by broker_stop() */
    char address[160];  /* "ipc://<dir>/syncmgrd.sock" */
    char sockpath[128]; /* "<dir>/syncmgrd.sock" */
    char keyfile[128];  /* "<dir>/authkey": 64 hex characters + newline, 0600 */
    char logfile[128];  /* "<dir>/broker.log": the broker's stderr */
    pid_t pid;          /* 0 when not running */
    int status;         /* wait status once it has exited */
    pid_t janitor;      /* cleans up after a test that dies (see harness.c) */
    int janitor_fd;
};

/**
 * broker_init() - make the scratch directory and key file, start nothing
 * (@b must start zeroed: struct sm_broker b = {0}).
 * For tests that start $SYNCMGRD themselves or alter the key file first.
 * Returns 0, or -1 (and prints why).
 */
int broker_init(struct sm_broker *b);

/**
 * broker_start() - broker_init() if not done, then fork + exec $SYNCMGRD
 * --listen <address> --authkey-file <keyfile> --log-level info (and
 * --ipc-engine $SM_TEST_IPC_ENGINE when set), then the
 * NULL-terminated @... extra arguments; stderr goes to the log file.  Waits
 * (polling every 20 ms, for at most 30 s) until sm_connect() succeeds.
 * Returns 0; or -1 when the broker exited (b->status holds its wait status)
 * or never answered (it is killed) -- the log is dumped either way.
 */
int broker_start(struct sm_broker *b, ...) __attribute__((sentinel));

/**
 * broker_kill() - send @sig and wait up to @timeout_ms for the broker to
 * exit, then SIGKILL.  Returns its wait status; the directory stays.
 */
int broker_kill(struct sm_broker *b, int sig, int timeout_ms);

/**
 * broker_stop() - SIGTERM the broker (10 s grace, then SIGKILL), check that
 * it exited with status 0 when @check_status, remove the directory.  Also
 * fine on a broker that has already exited.
 */
void broker_stop(struct sm_broker *b, bool check_status);

/* broker_crash() - SIGKILL the broker, wait for it, and remove the socket
 * file it leaves (so that broker_start() on the same @b is quick). */
void broker_crash(struct sm_broker *b);

/**
 * broker_restart() - broker_crash() and start it again on the same
 * address and key (an empty broker: no persistence unless the NULL-ended
 * @... extra arguments ask for it).  Returns broker_start()'s result.
 */
int broker_restart(struct sm_broker *b, ...) __attribute__((sentinel));

/* broker_alive() - the broker process still exists and has not exited. */
bool broker_alive(struct sm_broker *b);

/* broker_connect() - sm_connect(out, b->address, b->keyfile). */
int broker_connect(struct sm_broker *b, sm_client **out);

/* broker_setenv() - SYNCMGR_ADDRESS / SYNCMGR_AUTHKEY_FILE for children. */
void broker_setenv(struct sm_broker *b);

/* broker_dump_log() - copy the broker's log to stderr. */
void broker_dump_log(struct sm_broker *b);

/* broker_log_contains() - whether the log holds @needle. */
bool broker_log_contains(struct sm_broker *b, const char *needle);

/* broker_log_count() - how many lines of the broker's log hold @needle. */
int broker_log_count(struct sm_broker *b, const char *needle);

/* broker_wait_log() - poll the log for @needle, 10 s at most; fails the
 * test when it never comes. */
void broker_wait_log(struct sm_broker *b, const char *needle);

/* ---- child processes ------------------------------------------------------ */

/* A program a child process runs: a test's main() lists them. */
struct child_prog {
    const char *name;
    int (*fn)(int argc, char **argv); /* argv[0] is the first extra argument */
};

/**
 * child_dispatch() - call first thing in main(): when this process is a
 * child started by child_spawn(), run the named program of @progs (NULL
 * name ends the list) and exit with its result; otherwise return.
 */
void child_dispatch(int argc, char **argv, const struct child_prog *progs);

/**
 * child_spawn() - start the program @name of this test binary in a new
 * process with the NULL-terminated string arguments @...; it is killed if
 * the test dies.  @in/@out (may be NULL) receive the write end of a pipe to
 * its stdin / the read end of a pipe from its stdout.  Returns the pid or -1.
 * Call from the thread that will wait for it (PR_SET_PDEATHSIG is per thread).
 */
pid_t child_spawn(int *in, int *out, const char *name, ...) __attribute__((sentinel));

/**
 * child_fork() - fork a child that runs @fn(@arg) and _exits with its
 * result.  The child must not use nng/libsyncmgr if this process has (see
 * the top of this file).  Returns the pid or -1.
 */
pid_t child_fork(int (*fn)(void *), void *arg);

/**
 * child_wait() - wait up to @timeout_ms for @pid.  Returns its exit code,
 * 128 + signal when killed by one, or -1 on timeout (it is then SIGKILLed
 * and reaped).
 */
int child_wait(pid_t pid, int timeout_ms);

/* ---- raw protocol --------------------------------------------------------- */

/* One nng REQ socket with one pipe to the broker, for speaking the wire
 * protocol directly: pre-handshake requests, garbage, admin ops. */
struct raw_pipes {
    int added, removed; /* pipe events, counted atomically by nng's threads */
};

struct raw_conn {
    nng_socket sock;
    bool open;
    /* on the heap, so that a socket a test forgets to close never writes
     * into a dead stack frame */
    struct raw_pipes *pipes;
};

enum raw_result {
    RAW_REPLY = 0, /* a reply arrived */
    RAW_DROPPED,   /* the broker closed the pipe instead */
    RAW_TIMEOUT,   /* neither within the time limit */
    RAW_ERROR,     /* local failure (send failed, ...) */
};

/* How long raw calls wait for the broker: generous, because tests run
 * beside others on two shared cores (it_many alone parks 10 000 threads). */
#define RAW_WAIT_MS 15000

/* raw_open() - dial @address (no automatic reconnect) and wait up to RAW_WAIT_MS for
 * the pipe.  Returns 0 or an nng error (NNG_ETIMEDOUT: no pipe). */
int raw_open(struct raw_conn *r, const char *address);
void raw_close(struct raw_conn *r);

/* raw_pipes_removed() - how many pipes of @r the broker has closed. */
int raw_pipes_removed(const struct raw_conn *r);

/**
 * raw_call() - send @len bytes as one message and wait up to @timeout_ms
 * for the reply.  On RAW_REPLY *reply (may be NULL to discard) is the reply
 * message, freed by the caller with nng_msg_free().
 */
enum raw_result raw_call(struct raw_conn *r, const void *buf, size_t len, int timeout_ms,
                         nng_msg **reply);

/* raw_status() - status of a reply (fields in *rest / *nfields, may be
 * NULL), or -1 when the reply itself is malformed. */
int raw_status(nng_msg *reply, mp_reader *rest, uint32_t *nfields);

/**
 * raw_request() - raw_call() of a packed request, RAW_WAIT_MS limit, and its
 * status: >= 0 a reply status, -1 malformed reply, -2 dropped pipe,
 * -3 timeout or local error.  *reply as raw_call() (may be NULL).
 */
int raw_request(struct raw_conn *r, const msgpack_sbuffer *req, nng_msg **reply);

/**
 * raw_handshake() - hello + auth with the key in @keyfile (which need not
 * pass the mode check: the bytes are read as the broker would).  Returns the
 * status of the failing step (SM_EAUTH for a wrong key), SM_OK once both
 * sides are proven, or -2/-3 as raw_request().
 */
int raw_handshake(struct raw_conn *r, const char *keyfile);

/* One "ls" row: [name, type, size, waiters, holder pid|nil, temp, created_ms]. */
struct ls_row {
    char type[32];
    uint64_t size, waiters;
    long holder_pid; /* -2 when nil (no holder) */
    bool temp;
    int64_t created_ms;
};

/* raw_ls() - over an authenticated @r, the "ls" row of object @name.
 * Returns 0, or -1 when there is none or on error. */
int raw_ls(struct raw_conn *r, const char *name, struct ls_row *row);

/* raw_ls_waiters() - the parked-request count of @name; -1 if absent or on error. */
long raw_ls_waiters(struct raw_conn *r, const char *name);

/* raw_admin() - raw_open() + raw_handshake() on @b; fails the test if either fails. */
void raw_admin(struct sm_broker *b, struct raw_conn *r);

/* raw_simple() - over an authenticated @r, the request [@opcode] (no
 * arguments); returns raw_request()'s result. */
int raw_simple(struct raw_conn *r, int opcode, nng_msg **reply);

/* raw_stats() - the whole "stats" reply of @b, over a new admin connection
 * (fails the test on error); free it with nng_msg_free(). */
nng_msg *raw_stats(struct sm_broker *b);

/* raw_stats_map() - the unsigned figures @keys[0..n) of the map @section of
 * @b's stats into @out (fails the test when one is missing). */
void raw_stats_map(struct sm_broker *b, const char *section, const char *const *keys,
                   uint64_t *out, size_t n);

/**
 * broker_up() - the usual fixture setup: broker_start() a zeroed @b with no
 * extra arguments, broker_setenv() for child programs and examples, connect
 * *@cli and, when @adm is not NULL, raw_admin() it.  Fails the test if any
 * step fails.  broker_down() undoes it all: @adm (may be NULL) closed, *@cli
 * disconnected and NULL, broker_stop(@b, true).
 */
void broker_up(struct sm_broker *b, sm_client **cli, struct raw_conn *adm);
void broker_down(struct sm_broker *b, sm_client **cli, struct raw_conn *adm);

/* The usual fixture as Check setup/teardown functions: broker_up() and
 * broker_down() of fx_broker and fx_cli, without an admin connection. */
extern struct sm_broker fx_broker;
extern sm_client *fx_cli;
void fx_setup(void);
void fx_teardown(void);

/* raw_wait_parked() - poll "ls" until @name has @n parked requests; fails
 * the test after 10 s. */
void raw_wait_parked(struct raw_conn *r, const char *name, long n);

/* ---- small helpers -------------------------------------------------------- */

/* read_all() - read @fd until EOF, @cap - 1 bytes or @timeout_ms into @buf
 * (NUL-terminated); returns the length. */
size_t read_all(int fd, char *buf, size_t cap, int timeout_ms);

/**
 * run_example() - run $SM_EXAMPLES_DIR/@name (exec at once: it never runs
 * nng code of ours), its stdout into @out, and echo that to stderr.
 * Returns its exit code (128 + signal; -1 if it ran over @timeout_ms).
 */
int run_example(const char *name, char *out, size_t outlen, int timeout_ms);

/* join_within() - pthread_join with a limit: a stuck client fails the test. */
void join_within(pthread_t t, int timeout_ms);

/* mono_ms() - CLOCK_MONOTONIC in milliseconds. */
int64_t mono_ms(void);

/* sleep_ms() - sleep, resuming after signals. */
void sleep_ms(int ms);

/**
 * val_repr() - Python-style text of a value ("['a', 1, None]", "{'k': 2}",
 * "b'..'", "True") into a static per-thread buffer, for exact comparisons.
 */
const char *val_repr(const sm_val *v);

/* ck_sm() - assert that a call returns @want, naming both codes on failure. */
#define ck_sm(expr, want)                                                                          \
    do {                                                                                           \
        int rc_ = (expr), want_ = (want);                                                          \
        ck_assert_msg(rc_ == want_, "%s = %d (%s), expected %d (%s)", #expr, rc_,                  \
                      sm_strerror(rc_), want_, sm_strerror(want_));                                \
    } while (0)

/* ck_repr() - assert val_repr(@v) is @want, then free @v. */
#define ck_repr(v, want)                                                                           \
    do {                                                                                           \
        ck_assert_str_eq(val_repr(&(v)), (want));                                                  \
        sm_val_free(&(v));                                                                         \
    } while (0)

/* keyfile_write() - write @key (exact bytes) to @path with @mode. 0 or -1. */
int keyfile_write(const char *path, const void *key, size_t len, mode_t mode);

#endif
