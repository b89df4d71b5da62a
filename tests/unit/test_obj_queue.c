/*
 * test_obj_queue.c - queue.Queue / JoinableQueue in the broker core, no
 * network: requests go through dispatch() from hand-made sessions, and the
 * replies of parked requests (value bytes included) are caught by the
 * core's send_reply hook.  Deadlines are driven with wait_expire().
 */
#include <check.h>
#include <stdarg.h>
#include <string.h>

#include "blob.h"
#include "core.h"
#include "unit_call.h"
#include "wait.h"

#define MAXSENT 256
#define FIELD_MAX 64

/* The first field of a reply, as its raw bytes (empty when none). */
struct field {
    uint8_t raw[FIELD_MAX];
    size_t len;
};

/* Replies sent for parked requests, in order. */
static struct sent {
    intptr_t tag;
    int status;
    struct field f;
} sent[MAXSENT];
static size_t nsent;

static struct core core;

/* first_field() - copy the first field of a decoded reply into @f. */
static void first_field(mp_reader *r, uint32_t n, struct field *f)
{
    const uint8_t *p;
    f->len = 0;
    if (n == 0)
        return;
    ck_assert_int_eq(mp_read_raw(r, &p, &f->len), SM_OK);
    ck_assert_uint_le(f->len, FIELD_MAX);
    memcpy(f->raw, p, f->len);
}

static void catch_reply(void *req, nng_msg *msg, void *arg)
{
    mp_reader r;
    uint32_t n;
    (void)arg;
    ck_assert_ptr_nonnull(msg);
    ck_assert_uint_lt(nsent, MAXSENT);
    struct sent *s = &sent[nsent++];
    s->tag = (intptr_t)req;
    ck_assert_int_eq(reply_decode(nng_msg_body(msg), nng_msg_len(msg), &s->status, &r, &n), SM_OK);
    first_field(&r, n, &s->f);
    nng_msg_free(msg);
}

static void setup(void)
{
    core_init(&core);
    core.send_reply = catch_reply;
    nsent = 0;
}

static void teardown(void)
{
    core_deinit(&core);
}

static struct session *authed(uint32_t pipe)
{
    struct session *s = session_new(&core, pipe, 100 + (int)pipe, 1000, 1000);
    ck_assert_ptr_nonnull(s);
    s->authed = true;
    return s;
}

/*
 * call() - dispatch [opcode, fields...] from @s with request tag @tag; the
 * fields per @fmt: u uint64_t, i int64_t, s str, r raw msgpack (const void *,
 * size_t).  Returns the status or SM_PARKED; @f (may be NULL) gets the first
 * reply field.
 */
static int call(struct session *s, intptr_t tag, struct field *f, unsigned opcode, const char *fmt,
                ...)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    va_list ap;
    nng_msg *out;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 1 + strlen(fmt));
    msgpack_pack_uint64(&pk, opcode);
    va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        if (*p == 'u') {
            msgpack_pack_uint64(&pk, va_arg(ap, uint64_t));
        } else if (*p == 'i') {
            msgpack_pack_int64(&pk, va_arg(ap, int64_t));
        } else if (*p == 's') {
            const char *str = va_arg(ap, const char *);
            msgpack_pack_str_with_body(&pk, str, strlen(str));
        } else {
            const void *raw = va_arg(ap, const void *);
            msgpack_sbuffer_write(&sb, raw, va_arg(ap, size_t));
        }
    }
    va_end(ap);
    int rc = dispatch(&core, s, sb.data, sb.size, (void *)tag, &out);
    msgpack_sbuffer_destroy(&sb);
    if (rc == SM_PARKED) {
        ck_assert_ptr_null(out);
        return rc;
    }
    ck_assert_ptr_nonnull(out);
    int status;
    mp_reader r;
    uint32_t n;
    struct field scratch;
    ck_assert_int_eq(reply_decode(nng_msg_body(out), nng_msg_len(out), &status, &r, &n), SM_OK);
    ck_assert_int_eq(status, rc);
    first_field(&r, n, f ? f : &scratch);
    nng_msg_free(out);
    return rc;
}

/* open_queue() - create queue @name with the given options map; SM_OK and *h. */
static int open_queue(struct session *s, const char *name, const char *optfmt, uint64_t maxsize,
                      bool joinable, uint64_t *h)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    struct field f;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, strlen(optfmt));
    for (const char *p = optfmt; *p; p++) {
        if (*p == 'm') {
            msgpack_pack_str_with_body(&pk, "maxsize", 7);
            msgpack_pack_uint64(&pk, maxsize);
        } else if (*p == 'j') {
            msgpack_pack_str_with_body(&pk, "joinable", 8);
            (joinable ? msgpack_pack_true : msgpack_pack_false)(&pk);
        } else { /* 'x': unknown key; 'M': maxsize of the wrong kind */
            msgpack_pack_str_with_body(&pk, *p == 'x' ? "colour" : "maxsize", *p == 'x' ? 6 : 7);
            msgpack_pack_str_with_body(&pk, "ten", 3);
        }
    }
    int rc = call(s, 0, &f, SMOP_open, "suur", name, (uint64_t)SM_T_QUEUE, (uint64_t)OPEN_CREATE,
                  sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
    if (rc == SM_OK) {
        mp_reader r;
        mp_reader_init(&r, f.raw, f.len);
        ck_assert_int_eq(mp_read_uint(&r, h), SM_OK);
    }
    return rc;
}

static uint64_t new_queue(struct session *s, const char *name, uint64_t maxsize, bool joinable)
{
    uint64_t h = 0;
    ck_assert_int_eq(open_queue(s, name, "mj", maxsize, joinable, &h), SM_OK);
    return h;
}

static int put(struct session *s, intptr_t tag, uint64_t h, const char *v, int64_t timeout)
{
    return call(s, tag, NULL, SMOP_queue_put, "usi", h, v, timeout);
}

static int get(struct session *s, intptr_t tag, uint64_t h, int64_t timeout, struct field *f)
{
    return call(s, tag, f, SMOP_queue_get, "ui", h, timeout);
}

static int join(struct session *s, intptr_t tag, uint64_t h, int64_t timeout)
{
    return call(s, tag, NULL, SMOP_queue_join, "ui", h, timeout);
}

static int task_done(struct session *s, uint64_t h)
{
    return call(s, 0, NULL, SMOP_queue_task_done, "u", h);
}

/* is_str() - @f holds exactly the msgpack str @want, byte for byte. */
static bool is_str(const struct field *f, const char *want)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_str_with_body(&pk, want, strlen(want));
    bool eq = sb.size == f->len && memcmp(sb.data, f->raw, f->len) == 0;
    msgpack_sbuffer_destroy(&sb);
    return eq;
}

#define ck_get(s, h, want)                                                                         \
    do {                                                                                           \
        struct field f_;                                                                           \
        ck_assert_int_eq(get((s), 0, (h), 0, &f_), SM_OK);                                         \
        ck_assert_msg(is_str(&f_, (want)), "get: not \"%s\"", (want));                             \
    } while (0)

/* ck_sent() - reply @i went to request @tag with @status and, when @val is
 * not NULL, the str @val as its value. */
#define ck_sent(...) ck_sent_at(__LINE__, __VA_ARGS__)
static void ck_sent_at(int line, size_t i, intptr_t tag, int status, const char *val)
{
    ck_assert_msg(nsent > i, "line %d: only %zu replies sent, expected reply %zu", line, nsent, i);
    ck_assert_msg(sent[i].tag == tag, "line %d: reply %zu went to request %ld, expected %ld", line,
                  i, (long)sent[i].tag, (long)tag);
    ck_assert_msg(sent[i].status == status, "line %d: reply %zu: status %s, expected %s", line, i,
                  sm_error_name(sent[i].status), sm_error_name(status));
    if (val)
        ck_assert_msg(is_str(&sent[i].f, val), "line %d: reply %zu: value is not \"%s\"", line, i,
                      val);
}

static uint64_t uint_op(struct session *s, unsigned opcode, uint64_t h)
{
    struct field f;
    mp_reader r;
    uint64_t n = 0;
    bool b;
    ck_assert_int_eq(call(s, 0, &f, opcode, "u", h), SM_OK);
    mp_reader_init(&r, f.raw, f.len);
    if (mp_peek(&r) == MP_BOOL) {
        ck_assert_int_eq(mp_read_bool(&r, &b), SM_OK);
        return b;
    }
    ck_assert_int_eq(mp_read_uint(&r, &n), SM_OK);
    return n;
}

#define qsize(s, h) uint_op((s), SMOP_queue_qsize, (h))
#define is_empty(s, h) uint_op((s), SMOP_queue_empty, (h))
#define is_full(s, h) uint_op((s), SMOP_queue_full, (h))

/* ---- tests ---------------------------------------------------------------- */

START_TEST(fifo_and_sizes)
{
    struct session *a = authed(1);
    uint64_t h = new_queue(a, "q", 0, false);
    ck_assert_uint_eq(is_empty(a, h), 1);
    ck_assert_uint_eq(is_full(a, h), 0);
    for (int i = 0; i < 100; i++) {
        char v[16];
        snprintf(v, sizeof(v), "item-%d", i);
        ck_assert_int_eq(put(a, 0, h, v, 0), SM_OK);
    }
    ck_assert_uint_eq(qsize(a, h), 100);
    ck_assert_uint_eq(obj_queue_type.size(registry_find(&core, h)), 100); /* ls */
    ck_assert_uint_eq(is_empty(a, h), 0);
    ck_assert_uint_eq(is_full(a, h), 0); /* unbounded */
    for (int i = 0; i < 100; i++) {
        char v[16];
        snprintf(v, sizeof(v), "item-%d", i);
        ck_get(a, h, v);
        ck_assert_uint_eq(qsize(a, h), (uint64_t)(99 - i));
    }
    ck_assert_int_eq(get(a, 0, h, 0, NULL), SM_EEMPTY);
    ck_assert_uint_eq(is_empty(a, h), 1);
    ck_assert_uint_eq(nsent, 0);
}
END_TEST

START_TEST(options)
{
    struct session *a = authed(1);
    uint64_t h;
    ck_assert_int_eq(open_queue(a, "q", "x", 0, false, &h), SM_EINVAL);
    ck_assert_int_eq(open_queue(a, "q", "M", 0, false, &h), SM_EINVAL);
    ck_assert_int_eq(open_queue(a, "q", "m", 3, false, &h), SM_OK);
    /* not joinable unless asked */
    ck_assert_int_eq(task_done(a, h), SM_ENOTSUP);
    ck_assert_int_eq(join(a, 0, h, 0), SM_ENOTSUP);
    ck_assert_int_eq(join(a, 0, h, -1), SM_ENOTSUP);
    /* no options: unbounded */
    ck_assert_int_eq(
        call(a, 0, NULL, SMOP_open, "suu", "plain", (uint64_t)SM_T_QUEUE, (uint64_t)OPEN_CREATE),
        SM_OK);
}
END_TEST

START_TEST(maxsize_full_and_empty_try)
{
    struct session *a = authed(1);
    uint64_t h = new_queue(a, "q", 2, true);
    ck_assert_int_eq(get(a, 0, h, 0, NULL), SM_EEMPTY);
    ck_assert_int_eq(put(a, 0, h, "a", 0), SM_OK);
    ck_assert_uint_eq(is_full(a, h), 0);
    ck_assert_int_eq(put(a, 0, h, "b", 0), SM_OK);
    ck_assert_uint_eq(is_full(a, h), 1);
    size_t bytes = blob_bytes_stored();
    ck_assert_int_eq(put(a, 0, h, "c", 0), SM_EFULL);
    ck_assert_uint_eq(blob_bytes_stored(), bytes);
    ck_assert_uint_eq(qsize(a, h), 2);
    ck_get(a, h, "a");
    ck_assert_uint_eq(is_full(a, h), 0);
    ck_assert_int_eq(put(a, 0, h, "c", 0), SM_OK);
    ck_get(a, h, "b");
    ck_get(a, h, "c");
    ck_assert_uint_eq(core.nparked, 0);
}
END_TEST

START_TEST(parked_getters_receive_puts_in_order)
{
    struct session *a = authed(1);
    struct session *g[10];
    uint64_t h = new_queue(a, "q", 0, false);
    for (int i = 0; i < 10; i++) {
        g[i] = authed(10 + (uint32_t)i);
        ck_assert_int_eq(get(g[i], 100 + i, h, i % 2 ? -1 : 60000, NULL), SM_PARKED);
    }
    ck_assert_uint_eq(core.nparked, 10);
    for (int i = 0; i < 10; i++) {
        char v[16];
        snprintf(v, sizeof(v), "v%d", i);
        ck_assert_int_eq(put(a, 0, h, v, 0), SM_OK);
        ck_assert_uint_eq(nsent, (size_t)i + 1);
        ck_sent(i, 100 + i, SM_OK, v);
        ck_assert_uint_eq(qsize(a, h), 0); /* handed over, never queued */
    }
    ck_assert_uint_eq(core.nparked, 0);
    ck_assert_uint_eq(core.nheap, 0);
    /* a getter with nobody before it takes a queued item at once */
    ck_assert_int_eq(put(a, 0, h, "x", 0), SM_OK);
    ck_get(g[0], h, "x");
}
END_TEST

START_TEST(parked_putters_admitted_in_order)
{
    struct session *a = authed(1), *b = authed(2), *c = authed(3);
    uint64_t h = new_queue(a, "q", 1, true);
    ck_assert_int_eq(put(a, 0, h, "a", 0), SM_OK);
    ck_assert_int_eq(put(b, 1, h, "b", -1), SM_PARKED);
    ck_assert_int_eq(put(c, 2, h, "c", 60000), SM_PARKED);
    ck_assert_int_eq(put(b, 0, h, "z", 0), SM_EFULL);
    ck_assert_uint_eq(qsize(a, h), 1);
    ck_get(a, h, "a");
    ck_sent(0, 1, SM_OK, NULL);
    ck_assert_uint_eq(qsize(a, h), 1); /* "b" took the free slot */
    /* a newcomer parks behind the waiting putter */
    ck_assert_int_eq(put(a, 3, h, "d", -1), SM_PARKED);
    ck_get(a, h, "b");
    ck_sent(1, 2, SM_OK, NULL);
    ck_get(a, h, "c");
    ck_sent(2, 3, SM_OK, NULL);
    ck_get(a, h, "d");
    ck_assert_int_eq(get(a, 0, h, 0, NULL), SM_EEMPTY);
    ck_assert_uint_eq(nsent, 3);
    ck_assert_uint_eq(core.nparked, 0);
    /* every put counted as a task, the admitted ones too */
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(task_done(a, h), SM_OK);
    ck_assert_int_eq(task_done(a, h), SM_EVALUE);
}
END_TEST

START_TEST(deadlines)
{
    struct session *a = authed(1), *b = authed(2);
    uint64_t h = new_queue(a, "q", 1, true);
    int64_t t0 = now_ms();
    ck_assert_int_eq(get(b, 1, h, 100, NULL), SM_PARKED);
    wait_expire(&core, t0 + 10);
    ck_assert_uint_eq(nsent, 0);
    wait_expire(&core, t0 + 200);
    ck_sent(0, 1, SM_EEMPTY, NULL);

    size_t bytes = blob_bytes_stored();
    ck_assert_int_eq(put(a, 0, h, "kept", 0), SM_OK);
    ck_assert_int_eq(put(b, 2, h, "a-long-value-that-times-out", 50), SM_PARKED);
    ck_assert_int_eq(join(b, 3, h, 300), SM_PARKED);
    ck_assert_int_eq(join(b, 4, h, -1), SM_PARKED);
    wait_expire(&core, t0 + 200);
    ck_sent(1, 2, SM_EFULL, NULL);
    ck_assert_uint_eq(nsent, 2);
    ck_assert_uint_eq(blob_bytes_stored(), bytes + 5); /* only "kept" (5 bytes) is stored */
    ck_assert_uint_eq(qsize(a, h), 1);
    wait_expire(&core, t0 + 400);
    ck_sent(2, 3, SM_ETIMEDOUT, NULL);
    ck_assert_uint_eq(nsent, 3);
    ck_get(a, h, "kept");
    ck_assert_int_eq(get(a, 0, h, 0, NULL), SM_EEMPTY); /* the timed-out item never came */
    ck_assert_int_eq(task_done(a, h), SM_OK);
    ck_sent(3, 4, SM_OK, NULL); /* the joiner without a deadline */
    ck_assert_uint_eq(core.nheap, 0);
    ck_assert_uint_eq(blob_bytes_stored(), bytes);
}
END_TEST

START_TEST(task_done_and_join)
{
    struct session *a = authed(1), *b = authed(2), *c = authed(3);
    uint64_t h = new_queue(a, "q", 0, true);
    ck_assert_int_eq(task_done(a, h), SM_EVALUE);
    ck_assert_int_eq(join(a, 0, h, 0), SM_OK);
    ck_assert_int_eq(join(a, 0, h, -1), SM_OK); /* nothing unfinished: no wait */
    ck_assert_int_eq(get(c, 9, h, -1, NULL), SM_PARKED);
    ck_assert_int_eq(put(a, 0, h, "x", 0), SM_OK); /* handed to c: still a task */
    ck_assert_int_eq(put(a, 0, h, "y", 0), SM_OK);
    ck_sent(0, 9, SM_OK, "x");
    ck_assert_int_eq(join(a, 0, h, 0), SM_ETIMEDOUT);
    ck_assert_int_eq(join(b, 1, h, -1), SM_PARKED);
    ck_assert_int_eq(join(c, 2, h, 60000), SM_PARKED);
    ck_get(a, h, "y");
    ck_assert_int_eq(task_done(c, h), SM_OK);
    ck_assert_uint_eq(nsent, 1);
    ck_assert_int_eq(task_done(a, h), SM_OK);
    ck_assert_uint_eq(nsent, 3); /* both joiners at once */
    ck_sent(1, 1, SM_OK, NULL);
    ck_sent(2, 2, SM_OK, NULL);
    ck_assert_int_eq(task_done(a, h), SM_EVALUE);
    ck_assert_int_eq(join(a, 0, h, 0), SM_OK);
    ck_assert_uint_eq(core.nparked, 0);
    ck_assert_uint_eq(core.nheap, 0);
}
END_TEST

START_TEST(dead_putter_item_dropped)
{
    struct session *a = authed(1), *b = authed(2), *c = authed(3);
    uint64_t h = new_queue(a, "q", 1, true);
    ck_assert_int_eq(put(a, 0, h, "a", 0), SM_OK);
    size_t bytes = blob_bytes_stored();
    ck_assert_int_eq(put(b, 1, h, "from-the-dead", 5000), SM_PARKED);
    ck_assert_int_eq(put(c, 2, h, "c", -1), SM_PARKED);
    ck_assert_uint_gt(blob_bytes_stored(), bytes);
    session_end(&core, b);
    ck_sent(0, 1, SM_ECONN, NULL);
    ck_assert_uint_eq(blob_bytes_stored(), bytes + 2); /* "c" only */
    ck_assert_uint_eq(core.nheap, 0);
    ck_get(a, h, "a");
    ck_sent(1, 2, SM_OK, NULL);
    ck_get(a, h, "c");
    ck_assert_int_eq(get(a, 0, h, 0, NULL), SM_EEMPTY);
    ck_assert_int_eq(task_done(a, h), SM_OK);
    ck_assert_int_eq(task_done(a, h), SM_OK);
    ck_assert_int_eq(task_done(a, h), SM_EVALUE); /* the dead put never counted */
}
END_TEST

START_TEST(gone_getter_skipped)
{
    struct session *a = authed(1), *b = authed(2), *c = authed(3), *d = authed(4);
    uint64_t h = new_queue(a, "q", 0, false);
    ck_assert_int_eq(get(b, 1, h, -1, NULL), SM_PARKED);
    ck_assert_int_eq(get(c, 2, h, -1, NULL), SM_PARKED);
    b->gone = true; /* its pipe closed; session_end() has not run yet */
    ck_assert_int_eq(put(a, 0, h, "x", 0), SM_OK);
    ck_assert_uint_eq(nsent, 1);
    ck_sent(0, 2, SM_OK, "x");
    /* only the gone getter waits: a put is queued, and a newcomer takes it */
    ck_assert_int_eq(put(a, 0, h, "y", 0), SM_OK);
    ck_assert_uint_eq(nsent, 1);
    ck_assert_uint_eq(qsize(a, h), 1);
    ck_get(d, h, "y");
    session_end(&core, b);
    ck_sent(1, 1, SM_ECONN, NULL);
    ck_assert_uint_eq(qsize(a, h), 0);
}
END_TEST

START_TEST(gone_putter_skipped)
{
    struct session *a = authed(1), *b = authed(2), *c = authed(3);
    uint64_t h = new_queue(a, "q", 1, false);
    ck_assert_int_eq(put(a, 0, h, "a", 0), SM_OK);
    ck_assert_int_eq(put(b, 1, h, "b", -1), SM_PARKED);
    ck_assert_int_eq(put(c, 2, h, "c", -1), SM_PARKED);
    b->gone = true;
    ck_get(a, h, "a");
    ck_sent(0, 2, SM_OK, NULL);
    ck_get(a, h, "c");
    ck_assert_int_eq(get(a, 0, h, 0, NULL), SM_EEMPTY);
    session_end(&core, b);
    ck_sent(1, 1, SM_ECONN, NULL);
    ck_assert_int_eq(get(a, 0, h, 0, NULL), SM_EEMPTY);
}
END_TEST

START_TEST(unlink_cancels_parked_with_enoent)
{
    struct session *a = authed(1), *b = authed(2);
    size_t bytes = blob_bytes_stored();
    uint64_t h = new_queue(a, "q", 1, true);
    ck_assert_int_eq(put(a, 0, h, "queued", 0), SM_OK);
    ck_assert_int_eq(put(b, 1, h, "parked", 60000), SM_PARKED);
    ck_assert_int_eq(join(b, 2, h, -1), SM_PARKED);
    uint64_t h2 = new_queue(a, "q2", 0, false);
    ck_assert_int_eq(get(b, 3, h2, -1, NULL), SM_PARKED);
    ck_assert_int_eq(call(a, 0, NULL, SMOP_unlink, "s", "q"), SM_OK);
    ck_assert_int_eq(call(a, 0, NULL, SMOP_unlink, "s", "q2"), SM_OK);
    ck_assert_uint_eq(nsent, 3);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(sent[i].status, SM_ENOENT);
    ck_assert_uint_eq(core.nparked, 0);
    ck_assert_uint_eq(core.nheap, 0);
    ck_assert_uint_eq(blob_bytes_stored(), bytes);
    ck_assert_int_eq(get(a, 0, h, 0, NULL), SM_ENOENT);
}
END_TEST

START_TEST(shutdown_frees_parked_items)
{
    struct session *a = authed(1);
    size_t bytes = blob_bytes_stored();
    uint64_t h = new_queue(a, "q", 1, false);
    ck_assert_int_eq(put(a, 0, h, "queued", 0), SM_OK);
    ck_assert_int_eq(put(a, 1, h, "parked", -1), SM_PARKED);
    wait_cancel_all(&core, SM_ESHUTDOWN);
    ck_sent(0, 1, SM_ESHUTDOWN, NULL);
    ck_assert_uint_eq(qsize(a, h), 1);
    ck_assert_int_eq(call(a, 0, NULL, SMOP_unlink, "s", "q"), SM_OK);
    ck_assert_uint_eq(blob_bytes_stored(), bytes);
}
END_TEST

/* Out of memory at every allocation of put and get leaves the queue as it
 * was (unit_call.c's sweep: same qsize, same bytes stored). */
START_TEST(oom_leaves_queue_unchanged)
{
    struct object *o = uc_new(&obj_queue_type);
    for (int i = 0; i < 40; i++) /* through a few ring growths */
        UC_OOM(o, queue_qsize, queue_put, "ii", i, 0);
    for (int i = 0; i < 40; i++)
        UC_CALL_EXPECT(o, queue_get, ("i", 0), SM_OK, "i", i);
    UC_CALL_EXPECT(o, queue_get, ("i", 0), SM_EEMPTY, "");
    UC_CALL_EXPECT(o, queue_qsize, (""), SM_OK, "i", 0);
    uc_free(o);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("obj_queue");
    TCase *tc = tcase_create("queue");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, fifo_and_sizes);
    tcase_add_test(tc, options);
    tcase_add_test(tc, maxsize_full_and_empty_try);
    tcase_add_test(tc, parked_getters_receive_puts_in_order);
    tcase_add_test(tc, parked_putters_admitted_in_order);
    tcase_add_test(tc, deadlines);
    tcase_add_test(tc, task_done_and_join);
    tcase_add_test(tc, dead_putter_item_dropped);
    tcase_add_test(tc, gone_getter_skipped);
    tcase_add_test(tc, gone_putter_skipped);
    tcase_add_test(tc, unlink_cancels_parked_with_enoent);
    tcase_add_test(tc, shutdown_frees_parked_items);
    tcase_add_test(tc, oom_leaves_queue_unchanged);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
