/*
 * persist.h - the journal and the snapshots, when persistence is on.
 *
 * Every request that changes stored data (OPF_WRITE in ops.def, an open that
 * creates a named object, an unlink) is appended to the journal before its
 * handler runs, as the object's name followed by the request's own frame.
 * A request that parks is journaled again when it completes: its first
 * record replays as a no-op (the state that made it park is reproduced, and
 * replay never parks), the second one applies it at the point it really
 * took effect.  Replay runs each record through the ordinary handlers.
 *
 * A snapshot is the same records, made from the live objects (each type's
 * dump()), written to a temporary file, fsynced and renamed; it names the
 * journal generation that follows it, so a crash between the rename and
 * removing the old journal never replays anything twice.
 *
 * Files in the state directory:
 *   snapshot         "SMSNAP01" u64 gen, records, an end record
 *   journal.<gen>    "SMJRNL01" u64 gen, records
 * A record is u32 length, u32 CRC-32 of the payload (both big-endian), payload.
 *
 * Session state (held locks, semaphore units, parked requests, temporary
 * objects) is not persisted.  Everything here runs under core->lock.
 */
#ifndef SM_BROKER_PERSIST_H
#define SM_BROKER_PERSIST_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct core;
struct call;
struct object;

/* When the journal reaches the disk. */
enum persist_fsync {
    PERSIST_FSYNC_ALWAYS,   /* before the request is handled, so before any reply */
    PERSIST_FSYNC_EVERYSEC, /* once a second, from the main loop */
    PERSIST_FSYNC_NO,       /* when the kernel likes */
};

/**
 * persist_open() - load the snapshot and replay the journal of @dir (made
 * if missing) into @core, cutting off a torn or damaged tail with a log
 * line, then open the journal for appending and set core->persist.  The
 * journal is compacted into a new snapshot once it is larger than
 * @compact_bytes and than twice the last snapshot.  Returns 0, or -1
 * (logged) when the directory or journal cannot be used.
 */
int persist_open(struct core *core, const char *dir, enum persist_fsync mode, size_t compact_bytes);

/* persist_close() - a final snapshot (so the next start replays nothing),
 * then close; NULL core->persist is fine. */
void persist_close(struct core *core);

/**
 * persist_call() - journal @c's request when it changes persisted data.
 * Returns SM_OK (journaled, or nothing to journal) or SM_EIO: the journal
 * cannot be written, and the request must not be handled.
 */
int persist_call(struct call *c);

/**
 * persist_park() - a copy of @c's journal record for a request about to
 * park (free() it), or NULL when it needs none.  persist_done() journals
 * it when the request completes successfully.
 */
void *persist_park(const struct call *c);

/* persist_done() - the parked request holding @rec completed with SM_OK:
 * journal it now; frees @rec. */
void persist_done(struct core *core, void *rec);

/**
 * persist_tick() - once a second from the main loop: compaction when the
 * journal has grown, and for "everysec" a duplicate of the journal's fd to
 * fdatasync() outside the core lock (then close it), or -1.
 */
int persist_tick(struct core *core);

/* persist_snapshot() - write a snapshot now and start a new journal.
 * Returns SM_OK or SM_EIO (logged; the old files stay in use). */
int persist_snapshot(struct core *core);

/* What stats shows of persistence. */
struct persist_figures {
    uint64_t journal_bytes, snapshot_bytes;
    uint64_t syncs; /* fdatasync() calls on journals since start */
    bool failing;   /* the last journal write failed: writes are refused */
};

/* persist_figures() - journal and snapshot sizes, syncs, failing. */
void persist_figures(const struct core *core, struct persist_figures *f);

/*
 * Group commit ("always" only).  A thread that serves several requests
 * before any of their replies may leave calls persist_defer(true): their
 * records are written as they come, but their one fdatasync() waits for
 * persist_commit(), which the thread calls (under core->lock) before it
 * lets the replies go.  The ipc engine does so for each epoll batch.  A
 * parked request woken meanwhile commits first (wait.c): its reply may
 * leave by another connection or transport than the group's.
 */

/* persist_group_commit() - whether deferring pays: persistence is on with
 * fsync "always". */
bool persist_group_commit(const struct core *core);

/* persist_defer() - defer this thread's fdatasync() calls (@on) or not. */
void persist_defer(bool on);

/**
 * persist_commit() - the deferred fdatasync(), when records were written
 * since the last.  SM_OK, or SM_EIO: they may not be on disk, the journal is
 * marked failing (writes are refused) and the replies must not be sent.
 */
int persist_commit(struct core *core);

/* ---- for each type's dump() ---------------------------------------------- */

/* Items per record for types that can load many at once (dict.update,
 * list.extend): loading is per record, so fewer records load faster. */
#define DUMP_CHUNK 1024

/* The snapshot being written; one object at a time. */
struct dump;

/**
 * dump_op() - begin a record that re-creates part of the object being
 * dumped: the request [@opcode, handle, args...] with @nargs arguments,
 * which the caller packs into the returned packer before dump_end().
 */
msgpack_packer *dump_op(struct dump *d, unsigned opcode, unsigned nargs);

/* dump_end() - the record begun by dump_op() is complete. */
void dump_end(struct dump *d);

#endif
