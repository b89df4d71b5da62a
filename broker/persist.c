/* persist.c - the journal and the snapshots (persist.h). */
#include "persist.h"

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <zlib.h>

#include "core.h"
#include "log.h"

#define SNAP_MAGIC "SMSNAP01"
#define JRNL_MAGIC "SMJRNL01"
#define HEADER_LEN 16                  /* magic, u64 generation */
#define RECHDR_LEN 8                   /* u32 length, u32 CRC-32 */
#define RETRY_MS 1000                  /* between snapshot attempts after a failure */

struct persist {
    char *dir;
    int dirfd;
    enum persist_fsync mode;
    off_t compact_min;       /* journal size before compaction is considered */
    int jfd;                 /* journal.<gen>, O_APPEND */
    uint64_t gen;
    off_t jsize;             /* bytes of whole records (and header) in the journal */
    off_t snap_size;
    bool failing;            /* the last journal write failed */
    bool lost;               /* a completed request could not be journaled: snapshot first */
    bool dirty;              /* written since the last fdatasync() */
    bool unsynced;           /* "always": written, its fdatasync() deferred */
    uint64_t syncs;          /* fdatasync() calls on journals (stats) */
    bool replaying;
    int64_t retry_at;        /* no snapshot attempt before (monotonic ms) */
    msgpack_sbuffer buf;     /* a record being built */
    msgpack_packer pk;
};

/* ---- records -------------------------------------------------------------- */

static void put_be32(uint8_t *p, uint32_t v)
{
    v = htobe32(v);
    memcpy(p, &v, 4);
}

static uint32_t get_be32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return be32toh(v);
}

static void record_header(uint8_t hdr[RECHDR_LEN], const void *payload, size_t len)
{
    put_be32(hdr, (uint32_t)len);
    put_be32(hdr + 4, (uint32_t)crc32(0, payload, (uInt)len));
}

/* build() - the record payload: the object's name, then a request frame. */
static void build(struct persist *p, const char *name, size_t nlen, const void *frame, size_t flen)
{
    msgpack_sbuffer_clear(&p->buf);
    msgpack_pack_str_with_body(&p->pk, name, nlen);
    mp_pack_raw(&p->pk, frame, flen);
}

static void write_failed(struct persist *p, int err)
{
    if (!p->failing)
        log_err("SM-PERSIST-EIO", "journal.%" PRIu64 " in %s: %s; refusing writes until it works",
                p->gen, p->dir, strerror(err));
    p->failing = true;
}

/* Set on a thread that commits a group of records at once (persist_defer()). */
static _Thread_local bool deferring;

/* sync_now() - "always": this record's fdatasync() now, unless the thread
 * defers it to persist_commit().  0, or -1 with errno. */
static int sync_now(struct persist *p)
{
    if (p->mode != PERSIST_FSYNC_ALWAYS)
        return 0;
    if (deferring) {
        p->unsynced = true;
        return 0;
    }
    p->syncs++;
    return fdatasync(p->jfd);
}

/* journal_write() - append one record; on failure cut what was half written.
 * 0, or -1 (logged). */
static int journal_write(struct persist *p, const void *payload, size_t len)
{
    uint8_t hdr[RECHDR_LEN];
    record_header(hdr, payload, len);
    struct iovec iov[2] = {{hdr, sizeof(hdr)}, {(void *)payload, len}};
    ssize_t n = writev(p->jfd, iov, 2);
    int err = n < 0 ? errno : ENOSPC;
    if (n == (ssize_t)(sizeof(hdr) + len) && sync_now(p) == 0) {
        p->jsize += n;
        p->dirty = true;
        if (p->failing)
            log_info("SM-PERSIST-OK", "journal writes work again");
        p->failing = false;
        return 0;
    }
    if (n == (ssize_t)(sizeof(hdr) + len))
        err = errno;
    if (n > 0 && ftruncate(p->jfd, p->jsize) != 0)
        log_err("SM-PERSIST-EIO", "cannot cut a half-written record: %s", strerror(errno));
    write_failed(p, err);
    return -1;
}

/* ---- what is journaled ------------------------------------------------------ */

/* wanted() - whether @c changes persisted data; the object's name if so. */
static bool wanted(const struct call *c, const char **name, size_t *nlen)
{
    const struct frame *f = c->f;
    const struct object *o = c->obj;
    if (f->opcode == SMOP_open || f->opcode == SMOP_unlink) {
        *name = (const char *)f->args[0].raw;
        *nlen = f->args[0].len;
        o = registry_lookup(c->core, *name, *nlen);
        if (f->opcode == SMOP_unlink)
            return o && !o->temp;
        uint64_t flags = f->args[2].u;
        return !o && !c->sess->readonly && (flags & OPEN_CREATE) && !(flags & OPEN_TEMP);
    }
    if (!(f->op->flags & OPF_WRITE) || !o || o->temp)
        return false;
    *name = o->name;
    *nlen = strlen(o->name);
    return true;
}

int persist_call(struct call *c)
{
    struct persist *p = c->core->persist;
    const char *name;
    size_t nlen;
    if (!p || p->replaying || !wanted(c, &name, &nlen))
        return SM_OK;
    if (p->lost && persist_snapshot(c->core))
        return SM_EIO;
    build(p, name, nlen, c->raw, c->rawlen);
    return journal_write(p, p->buf.data, p->buf.size) ? SM_EIO : SM_OK;
}

/* A parked request's record: length, then the payload. */
struct held {
    size_t len;
    uint8_t data[];
};

void *persist_park(const struct call *c)
{
    struct persist *p = c->core->persist;
    const char *name;
    size_t nlen;
    if (!p || p->replaying || !wanted(c, &name, &nlen))
        return NULL;
    build(p, name, nlen, c->raw, c->rawlen);
    struct held *h = malloc(sizeof(*h) + p->buf.size);
    if (h) {
        h->len = p->buf.size;
        memcpy(h->data, p->buf.data, p->buf.size);
    } else {
        p->lost = true; /* cannot keep it: a snapshot will cover it */
    }
    return h;
}

void persist_done(struct core *core, void *rec)
{
    struct persist *p = core->persist;
    struct held *h = rec;
    /* the change is made and its reply is due: a record that cannot be
     * written now is covered by a snapshot before the next write */
    if (p && h && journal_write(p, h->data, h->len))
        p->lost = true;
    free(h);
}

/* ---- files -------------------------------------------------------------- */

static void header(uint8_t hdr[HEADER_LEN], const char *magic, uint64_t gen)
{
    memcpy(hdr, magic, 8);
    gen = htobe64(gen);
    memcpy(hdr + 8, &gen, 8);
}

static void journal_name(char *buf, size_t len, uint64_t gen)
{
    snprintf(buf, len, "journal.%" PRIu64, gen);
}

/* journal_create() - a new empty journal.<gen>, on disk with its directory
 * entry; its fd, or -1 with errno. */
static int journal_create(struct persist *p, uint64_t gen)
{
    char name[64];
    uint8_t hdr[HEADER_LEN];
    journal_name(name, sizeof(name), gen);
    int fd = openat(p->dirfd, name, O_RDWR | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    header(hdr, JRNL_MAGIC, gen);
    if (write(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr) || fdatasync(fd) || fsync(p->dirfd)) {
        int err = errno ? errno : ENOSPC;
        close(fd);
        unlinkat(p->dirfd, name, 0);
        errno = err;
        return -1;
    }
    return fd;
}

/* ---- snapshots ------------------------------------------------------------ */

struct dump {
    FILE *f;
    const struct object *o;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    uint64_t records;
};

/* dump_begin() - a record for the object being dumped: its name, then a
 * request frame whose array header says @nfields. */
static msgpack_packer *dump_begin(struct dump *d, unsigned nfields)
{
    msgpack_sbuffer_clear(&d->sb);
    msgpack_pack_str_with_body(&d->pk, d->o->name, strlen(d->o->name));
    msgpack_pack_array(&d->pk, nfields);
    return &d->pk;
}

msgpack_packer *dump_op(struct dump *d, unsigned opcode, unsigned nargs)
{
    msgpack_packer *pk = dump_begin(d, 2 + nargs);
    msgpack_pack_unsigned_int(pk, opcode);
    msgpack_pack_uint64(pk, 0); /* the handle: replay finds the object by name */
    return pk;
}

void dump_end(struct dump *d)
{
    uint8_t hdr[RECHDR_LEN];
    record_header(hdr, d->sb.data, d->sb.size);
    fwrite(hdr, 1, sizeof(hdr), d->f);
    fwrite(d->sb.data, 1, d->sb.size, d->f);
    d->records++;
}

/* dump_object() - the open that creates @o with its options, then what
 * its type needs to rebuild its contents. */
static void dump_object(struct dump *d, const struct object *o)
{
    d->o = o;
    msgpack_packer *pk = dump_begin(d, o->opts ? 5 : 4);
    msgpack_pack_unsigned_int(pk, SMOP_open);
    msgpack_pack_str_with_body(pk, o->name, strlen(o->name));
    msgpack_pack_unsigned_int(pk, o->type->code);
    msgpack_pack_unsigned_int(pk, OPEN_CREATE);
    if (o->opts)
        mp_pack_raw(pk, o->opts, o->opts_len);
    dump_end(d);
    if (o->type->dump)
        o->type->dump(o, d);
}

/* write_snapshot() - every named object, in creation order (a condition
 * after the lock it uses), into @fd, then synced.  0 or -1 with errno. */
static int write_snapshot(struct core *core, int fd, uint64_t gen, off_t *size)
{
    struct dump d = {.f = fdopen(fd, "w")};
    uint8_t hdr[HEADER_LEN] = {0};
    struct object *o, *tmp;
    if (!d.f) {
        close(fd);
        return -1;
    }
    msgpack_sbuffer_init(&d.sb);
    msgpack_packer_init(&d.pk, &d.sb, msgpack_sbuffer_write);
    header(hdr, SNAP_MAGIC, gen);
    fwrite(hdr, 1, sizeof(hdr), d.f);
    HASH_ITER(hh_id, core->by_id, o, tmp)
        if (!o->temp)
            dump_object(&d, o);
    memset(hdr, 0, RECHDR_LEN); /* the end record: length 0, CRC 0 */
    fwrite(hdr, 1, RECHDR_LEN, d.f);
    msgpack_sbuffer_destroy(&d.sb);
    int rc = fflush(d.f) || ferror(d.f) || fsync(fd) ? -1 : 0;
    int err = errno ? errno : EIO;
    *size = ftello(d.f);
    if (fclose(d.f) && !rc) {
        rc = -1;
        err = errno;
    }
    errno = err;
    return rc;
}

int persist_snapshot(struct core *core)
{
    struct persist *p = core->persist;
    char old[64];
    off_t size = 0;
    uint64_t gen = p->gen + 1;
    int jfd = journal_create(p, gen);
    int fd = jfd < 0 ? -1
                     : openat(p->dirfd, "snapshot.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                              0600);
    if (fd < 0 || write_snapshot(core, fd, gen, &size) ||
        renameat(p->dirfd, "snapshot.tmp", p->dirfd, "snapshot") || fsync(p->dirfd)) {
        int err = errno;
        char name[64];
        log_err("SM-PERSIST-SNAPSHOT", "cannot write a snapshot in %s: %s", p->dir, strerror(err));
        unlinkat(p->dirfd, "snapshot.tmp", 0);
        if (jfd >= 0) {
            close(jfd);
            journal_name(name, sizeof(name), gen);
            unlinkat(p->dirfd, name, 0);
        }
        p->retry_at = now_ms() + RETRY_MS;
        return SM_EIO;
    }
    /* the snapshot names journal.<gen>: the old journal is history */
    journal_name(old, sizeof(old), p->gen);
    close(p->jfd);
    unlinkat(p->dirfd, old, 0);
    p->jfd = jfd;
    p->gen = gen;
    p->jsize = HEADER_LEN;
    p->snap_size = size;
    p->lost = false;
    p->dirty = false;
    if (p->failing)
        log_info("SM-PERSIST-OK", "journal writes work again");
    p->failing = false;
    log_info("SM-PERSIST-SNAPSHOT", "snapshot of %u objects written (%lld bytes)",
             HASH_CNT(hh_id, core->by_id), (long long)size);
    return SM_OK;
}

int persist_tick(struct core *core)
{
    struct persist *p = core->persist;
    if (!p)
        return -1;
    bool due = p->lost || (p->jsize > p->compact_min && p->jsize > 2 * p->snap_size);
    if (due && now_ms() >= p->retry_at)
        persist_snapshot(core);
    if (p->mode != PERSIST_FSYNC_EVERYSEC || !p->dirty)
        return -1;
    p->dirty = false;
    return fcntl(p->jfd, F_DUPFD_CLOEXEC, 0);
}

void persist_figures(const struct core *core, struct persist_figures *f)
{
    const struct persist *p = core->persist;
    f->journal_bytes = p ? (uint64_t)p->jsize : 0;
    f->snapshot_bytes = p ? (uint64_t)p->snap_size : 0;
    f->syncs = p ? p->syncs : 0;
    f->failing = p && p->failing;
}

bool persist_group_commit(const struct core *core)
{
    return core->persist && core->persist->mode == PERSIST_FSYNC_ALWAYS;
}

void persist_defer(bool on)
{
    deferring = on;
}

int persist_commit(struct core *core)
{
    struct persist *p = core->persist;
    if (!p || !p->unsynced)
        return SM_OK;
    p->unsynced = false;
    p->syncs++;
    if (fdatasync(p->jfd) == 0)
        return SM_OK;
    write_failed(p, errno);
    return SM_EIO;
}

/* ---- loading ---------------------------------------------------------------- */

/* apply() - one record through the handlers; false when it did not decode. */
static bool apply(struct core *core, struct session *s, const uint8_t *rec, size_t len)
{
    mp_reader r;
    const char *name;
    uint32_t nlen;
    mp_reader_init(&r, rec, len);
    if (mp_read_str(&r, &name, &nlen))
        return false;
    int rc = dispatch_replay(core, s, name, nlen, r.p, (size_t)(r.end - r.p));
    return rc != SM_EPROTO && rc != SM_EINVAL;
}

/* replay() - the records of one mapped file after its header; *end: where
 * the whole records stop; true when an end record closed them. */
static bool replay(struct core *core, struct session *s, const uint8_t *p, size_t size,
                   size_t *end, uint64_t *nrec)
{
    size_t off = HEADER_LEN;
    while (size - off >= RECHDR_LEN) {
        uint32_t len = get_be32(p + off), crc = get_be32(p + off + 4);
        if (len == 0 && crc == 0) {
            *end = off + RECHDR_LEN;
            return true;
        }
        if (len > size - off - RECHDR_LEN || crc32(0, p + off + RECHDR_LEN, len) != crc)
            break;
        if (!apply(core, s, p + off + RECHDR_LEN, len))
            log_warn("SM-PERSIST-RECORD", "record at offset %zu does not decode; skipped", off);
        off += RECHDR_LEN + len;
        (*nrec)++;
    }
    *end = off;
    return false;
}

/* load_file() - map @name, check its header, replay it.  Returns the
 * generation it names, 0 when the file is missing, (uint64_t)-1 when it is
 * unusable.  *size: its size, *end: where the good records stop. */
static uint64_t load_file(struct core *core, struct session *s, struct persist *p,
                          const char *name, const char *magic, off_t *size, size_t *end,
                          bool *ended, uint64_t *nrec)
{
    struct stat st;
    uint64_t gen;
    int fd = openat(p->dirfd, name, O_RDONLY | O_CLOEXEC);
    *size = 0;
    *end = HEADER_LEN;
    if (fd < 0)
        return errno == ENOENT ? 0 : (uint64_t)-1;
    if (fstat(fd, &st) || st.st_size < HEADER_LEN) {
        close(fd);
        return (uint64_t)-1;
    }
    *size = st.st_size;
    uint8_t *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED || memcmp(m, magic, 8)) {
        if (m != MAP_FAILED)
            munmap(m, (size_t)st.st_size);
        return (uint64_t)-1;
    }
    memcpy(&gen, m + 8, 8);
    *ended = replay(core, s, m, (size_t)st.st_size, end, nrec);
    munmap(m, (size_t)st.st_size);
    return be64toh(gen);
}

/* sweep() - files a crash in the middle of a snapshot left behind: a
 * snapshot.tmp, and journals of other generations than @p's. */
static void sweep(struct persist *p)
{
    char keep[64];
    int fd = dup(p->dirfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    journal_name(keep, sizeof(keep), p->gen);
    while ((e = readdir(d)))
        if ((!strncmp(e->d_name, "journal.", 8) && strcmp(e->d_name, keep)) ||
            !strcmp(e->d_name, "snapshot.tmp")) {
            log_info("SM-PERSIST-SWEEP", "removing %s/%s, left by an interrupted snapshot",
                     p->dir, e->d_name);
            unlinkat(p->dirfd, e->d_name, 0);
        }
    closedir(d);
}

/* load() - the snapshot, then its journal, into @core; opens the journal
 * for appending.  0 or -1 (logged). */
static int load(struct core *core, struct persist *p)
{
    char jname[64];
    off_t size;
    size_t end;
    bool ended = false;
    uint64_t nsnap = 0, njrnl = 0;
    struct session *s = session_new(core, 0, -1, -1, -1);
    if (!s)
        return -1;
    s->authed = true;
    p->replaying = true;
    uint64_t gen = load_file(core, s, p, "snapshot", SNAP_MAGIC, &size, &end, &ended, &nsnap);
    if (gen == (uint64_t)-1 || (gen && !ended))
        log_err("SM-PERSIST-DAMAGED", "%s/snapshot is damaged at offset %zu; kept the %" PRIu64
                " records before it", p->dir, end, nsnap);
    p->snap_size = size;
    p->gen = gen && gen != (uint64_t)-1 ? gen : 1;
    journal_name(jname, sizeof(jname), p->gen);
    uint64_t jgen = load_file(core, s, p, jname, JRNL_MAGIC, &size, &end, &ended, &njrnl);
    p->replaying = false;
    session_end(core, s);
    if (jgen != 0 && jgen != p->gen) { /* unusable header: start it again */
        log_err("SM-PERSIST-DAMAGED", "%s/%s has no usable header; starting it again", p->dir,
                jname);
        p->jfd = journal_create(p, p->gen);
        p->jsize = HEADER_LEN;
    } else if (jgen == 0) {
        p->jfd = journal_create(p, p->gen);
        p->jsize = HEADER_LEN;
    } else {
        if ((off_t)end < size)
            log_warn("SM-PERSIST-TRUNC", "%s/%s: cut %lld damaged bytes at offset %zu (a write "
                     "torn by a crash)", p->dir, jname, (long long)(size - (off_t)end), end);
        p->jfd = openat(p->dirfd, jname, O_RDWR | O_APPEND | O_CLOEXEC);
        if (p->jfd >= 0 && (off_t)end < size && ftruncate(p->jfd, (off_t)end)) {
            close(p->jfd);
            p->jfd = -1;
        }
        p->jsize = (off_t)end;
    }
    if (p->jfd < 0) {
        log_err("SM-PERSIST", "cannot open %s/%s: %s", p->dir, jname, strerror(errno));
        return -1;
    }
    sweep(p);
    log_info("SM-PERSIST-LOAD", "loaded %u objects from %s (%" PRIu64 " snapshot records, %" PRIu64
             " journal records)", HASH_CNT(hh_id, core->by_id), p->dir, nsnap, njrnl);
    return 0;
}

int persist_open(struct core *core, const char *dir, enum persist_fsync mode, size_t compact_bytes)
{
    struct persist *p = calloc(1, sizeof(*p));
    if (!p || !(p->dir = strdup(dir))) {
        free(p);
        return -1;
    }
    p->mode = mode;
    p->compact_min = (off_t)compact_bytes;
    p->jfd = -1;
    msgpack_sbuffer_init(&p->buf);
    msgpack_packer_init(&p->pk, &p->buf, msgpack_sbuffer_write);
    if (mkdir(dir, 0700) == 0)
        log_info("SM-MKDIR", "created %s", dir);
    p->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (p->dirfd < 0 || flock(p->dirfd, LOCK_EX | LOCK_NB)) {
        /* two brokers on one directory would each overwrite the other's files */
        log_err("SM-PERSIST", "state directory %s: %s", dir,
                errno == EWOULDBLOCK ? "in use by another syncmgrd" : strerror(errno));
        if (p->dirfd >= 0)
            close(p->dirfd);
        p->dirfd = -1;
        core->persist = p;
        persist_close(core);
        return -1;
    }
    core->persist = p;
    if (load(core, p)) {
        persist_close(core);
        return -1;
    }
    return 0;
}

void persist_close(struct core *core)
{
    struct persist *p = core->persist;
    if (!p)
        return;
    if (p->jfd >= 0 && p->dirfd >= 0 && !p->replaying)
        persist_snapshot(core); /* the next start loads it without replaying */
    if (p->jfd >= 0) {
        fdatasync(p->jfd);
        close(p->jfd);
    }
    if (p->dirfd >= 0)
        close(p->dirfd);
    msgpack_sbuffer_destroy(&p->buf);
    free(p->dir);
    free(p);
    core->persist = NULL;
}
