/*
 * test_obj_pipe.c - Pipe through dispatch on a core of its own, no network:
 * the two directions, parked receivers handed later sends in order, polls
 * that do not consume, deadlines (wait_expire), gone sessions skipped, and
 * unlink.  Replies of parked requests are caught by the send_reply hook.
 */
#include <check.h>
#include <stdarg.h>
#include <string.h>

#include "core.h"
#include "wait.h"

/* A reply: the request's tag, its status and its fields, packed. */
struct rep {
    intptr_t tag;
    int status;
    uint8_t fields[64];
    size_t len;
};

static struct rep sent[64]; /* replies to parked requests, in order */
static size_t nsent;
static struct core core;
static struct session *a, *b, *c;
static uint64_t h; /* the pipe "p" */

/* rep_set() - decode the reply @msg into @r (and free it). */
static void rep_set(struct rep *r, intptr_t tag, nng_msg *msg)
{
    mp_reader rest;
    uint32_t n;
    ck_assert_ptr_nonnull(msg);
    ck_assert_int_eq(reply_decode(nng_msg_body(msg), nng_msg_len(msg), &r->status, &rest, &n),
                     SM_OK);
    r->tag = tag;
    r->len = (size_t)(rest.end - rest.p);
    ck_assert_uint_le(r->len, sizeof(r->fields));
    memcpy(r->fields, rest.p, r->len);
    nng_msg_free(msg);
}

static void catch_reply(void *req, nng_msg *msg, void *arg)
{
    (void)arg;
    ck_assert_uint_lt(nsent, sizeof(sent) / sizeof(sent[0]));
    rep_set(&sent[nsent++], (intptr_t)req, msg);
}

/* pack() - one object per letter: u uint64_t, i int64_t, s str, b bool
 * (int), n nil. */
static void pack(msgpack_packer *pk, const char *fmt, va_list ap)
{
    for (const char *p = fmt; *p; p++) {
        if (*p == 'u') {
            msgpack_pack_uint64(pk, va_arg(ap, uint64_t));
        } else if (*p == 'i') {
            msgpack_pack_int64(pk, va_arg(ap, int64_t));
        } else if (*p == 's') {
            const char *str = va_arg(ap, const char *);
            msgpack_pack_str_with_body(pk, str, strlen(str));
        } else if (*p == 'b') {
            va_arg(ap, int) ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
        } else {
            ck_assert_int_eq(*p, 'n');
            msgpack_pack_nil(pk);
        }
    }
}

/*
 * call() - dispatch [opcode, fields per @fmt...] from @s with request tag
 * @tag.  Returns the status, or SM_PARKED; *r (may be NULL) gets the reply.
 */
static int call(struct session *s, intptr_t tag, struct rep *r, unsigned opcode, const char *fmt,
                ...)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    va_list ap;
    nng_msg *out;
    struct rep ignored;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 1 + strlen(fmt));
    msgpack_pack_uint64(&pk, opcode);
    va_start(ap, fmt);
    pack(&pk, fmt, ap);
    va_end(ap);
    int rc = dispatch(&core, s, sb.data, sb.size, (void *)tag, &out);
    msgpack_sbuffer_destroy(&sb);
    if (rc == SM_PARKED) {
        ck_assert_ptr_null(out);
        return rc;
    }
    rep_set(r ? r : &ignored, tag, out);
    return rc;
}

/* fields_are() - @r has @status and exactly the fields @fmt packs. */
static bool fields_are(const struct rep *r, int status, const char *fmt, ...)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    va_list ap;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    va_start(ap, fmt);
    pack(&pk, fmt, ap);
    va_end(ap);
    bool ok = r->status == status && r->len == sb.size && memcmp(r->fields, sb.data, r->len) == 0;
    msgpack_sbuffer_destroy(&sb);
    return ok;
}

/* EXPECT_REP(rep, status, fmt, ...) - fails at the caller's line. */
#define EXPECT_REP(rep_, st_, ...)                                                                 \
    ck_assert_msg(fields_are(&(rep_), (st_), __VA_ARGS__), "reply %s, %zu field bytes: %s",        \
                  sm_error_name((rep_).status), (rep_).len, #__VA_ARGS__)

static int send_str(struct session *s, uint64_t end, const char *v)
{
    return call(s, 0, NULL, SMOP_pipe_send, "uus", h, end, v);
}

static int recv_end(struct session *s, intptr_t tag, struct rep *r, uint64_t end, int64_t timeout)
{
    return call(s, tag, r, SMOP_pipe_recv, "uui", h, end, timeout);
}

static int poll_end(struct session *s, intptr_t tag, struct rep *r, uint64_t end, int64_t timeout)
{
    return call(s, tag, r, SMOP_pipe_poll, "uui", h, end, timeout);
}

static struct session *authed(uint32_t pipe)
{
    struct session *s = session_new(&core, pipe, (int)pipe, 1000, 1000);
    ck_assert_ptr_nonnull(s);
    s->authed = true;
    return s;
}

/* queued() - values waiting in both directions, as ls shows. */
static size_t queued(void)
{
    struct object *o = registry_find(&core, h);
    return o->type->size(o);
}

static void setup(void)
{
    struct rep r;
    core_init(&core);
    core.send_reply = catch_reply;
    nsent = 0;
    a = authed(1);
    b = authed(2);
    c = authed(3);
    ck_assert_int_eq(
        call(a, 0, &r, SMOP_open, "suu", "p", (uint64_t)SM_T_PIPE, (uint64_t)OPEN_CREATE), SM_OK);
    mp_reader rd;
    mp_reader_init(&rd, r.fields, r.len);
    ck_assert_int_eq(mp_read_uint(&rd, &h), SM_OK);
}

static void teardown(void)
{
    core_deinit(&core);
}

START_TEST(two_directions_in_order)
{
    struct rep r;
    ck_assert_int_eq(send_str(a, 0, "a1"), SM_OK);
    ck_assert_int_eq(send_str(a, 0, "a2"), SM_OK);
    ck_assert_int_eq(send_str(b, 1, "b1"), SM_OK);
    ck_assert_uint_eq(queued(), 3);
    /* end 0 receives only what end 1 sent, and the other way round */
    ck_assert_int_eq(recv_end(a, 0, &r, 0, 0), SM_OK);
    EXPECT_REP(r, SM_OK, "s", "b1");
    ck_assert_int_eq(recv_end(a, 0, &r, 0, 0), SM_ETIMEDOUT);
    ck_assert_int_eq(recv_end(b, 0, &r, 1, 0), SM_OK);
    EXPECT_REP(r, SM_OK, "s", "a1");
    ck_assert_int_eq(recv_end(c, 0, &r, 1, 1000), SM_OK); /* any session may use an end */
    EXPECT_REP(r, SM_OK, "s", "a2");
    ck_assert_int_eq(recv_end(b, 0, &r, 1, 0), SM_ETIMEDOUT);
    ck_assert_uint_eq(queued(), 0);
    ck_assert_uint_eq(nsent, 0);
}
END_TEST

START_TEST(bad_end_and_options)
{
    struct rep r;
    struct object *o;
    ck_assert_int_eq(send_str(a, 2, "x"), SM_EINVAL);
    ck_assert_int_eq(recv_end(a, 0, &r, 2, 0), SM_EINVAL);
    ck_assert_int_eq(poll_end(a, 0, &r, 7, 0), SM_EINVAL);
    ck_assert_uint_eq(queued(), 0);
    static const uint8_t end_opt[] = {0x81, 0xa3, 'e', 'n', 'd', 0x01}; /* {"end": 1} */
    struct arg m = {.kind = 'm', .raw = end_opt, .len = sizeof(end_opt)};
    ck_assert_int_eq(obj_pipe_type.create(&core, &m, &o), SM_EINVAL);
}
END_TEST

START_TEST(parked_receivers_get_later_sends_fifo)
{
    struct rep r;
    ck_assert_int_eq(recv_end(b, 11, NULL, 1, -1), SM_PARKED);
    ck_assert_int_eq(recv_end(c, 12, NULL, 1, 60000), SM_PARKED);
    ck_assert_int_eq(recv_end(c, 13, NULL, 0, -1), SM_PARKED); /* the other end */
    /* a send from end 1 goes to end 0's receiver only */
    ck_assert_int_eq(send_str(a, 1, "to0"), SM_OK);
    ck_assert_uint_eq(nsent, 1);
    ck_assert_int_eq(sent[0].tag, 13);
    EXPECT_REP(sent[0], SM_OK, "s", "to0");
    ck_assert_int_eq(send_str(a, 0, "first"), SM_OK);
    ck_assert_int_eq(send_str(a, 0, "second"), SM_OK);
    ck_assert_int_eq(send_str(a, 0, "third"), SM_OK);
    ck_assert_uint_eq(nsent, 3);
    ck_assert_int_eq(sent[1].tag, 11);
    EXPECT_REP(sent[1], SM_OK, "s", "first");
    ck_assert_int_eq(sent[2].tag, 12);
    EXPECT_REP(sent[2], SM_OK, "s", "second");
    /* handed over, not queued; the third waits for the next receiver */
    ck_assert_uint_eq(queued(), 1);
    ck_assert_uint_eq(core.nparked, 0);
    ck_assert_uint_eq(core.nheap, 0);
    ck_assert_int_eq(recv_end(b, 0, &r, 1, -1), SM_OK);
    EXPECT_REP(r, SM_OK, "s", "third");
}
END_TEST

START_TEST(recv_deadline)
{
    ck_assert_int_eq(recv_end(b, 21, NULL, 1, 50), SM_PARKED);
    int64_t t0 = now_ms();
    ck_assert_int_le(wait_next_deadline(&core), t0 + 50);
    wait_expire(&core, t0 + 10);
    ck_assert_uint_eq(nsent, 0);
    wait_expire(&core, t0 + 60);
    ck_assert_uint_eq(nsent, 1);
    ck_assert_int_eq(sent[0].tag, 21);
    EXPECT_REP(sent[0], SM_ETIMEDOUT, "");
    /* a later send is queued, not lost */
    ck_assert_int_eq(send_str(a, 0, "late"), SM_OK);
    ck_assert_uint_eq(nsent, 1);
    ck_assert_uint_eq(queued(), 1);
}
END_TEST

START_TEST(poll_does_not_consume)
{
    struct rep r;
    ck_assert_int_eq(poll_end(b, 0, &r, 1, 0), SM_OK);
    EXPECT_REP(r, SM_OK, "b", 0);
    /* parked pollers of end 1 are told true by a send to end 1 */
    ck_assert_int_eq(poll_end(b, 31, NULL, 1, -1), SM_PARKED);
    ck_assert_int_eq(poll_end(c, 32, NULL, 1, 60000), SM_PARKED);
    ck_assert_int_eq(poll_end(c, 33, NULL, 0, -1), SM_PARKED);
    ck_assert_int_eq(send_str(a, 0, "v"), SM_OK);
    ck_assert_uint_eq(nsent, 2);
    ck_assert_int_eq(sent[0].tag, 31);
    EXPECT_REP(sent[0], SM_OK, "b", 1);
    ck_assert_int_eq(sent[1].tag, 32);
    EXPECT_REP(sent[1], SM_OK, "b", 1);
    ck_assert_uint_eq(core.nparked, 1); /* end 0's poller still waits */
    /* the value is still there, for poll and then recv */
    ck_assert_uint_eq(queued(), 1);
    ck_assert_int_eq(poll_end(b, 0, &r, 1, 60000), SM_OK);
    EXPECT_REP(r, SM_OK, "b", 1);
    ck_assert_int_eq(recv_end(b, 0, &r, 1, 0), SM_OK);
    EXPECT_REP(r, SM_OK, "s", "v");
    ck_assert_uint_eq(nsent, 2);
}
END_TEST

START_TEST(poll_prefers_receivers)
{
    struct rep r;
    /* a parked receiver takes the value: a poller has nothing to see */
    ck_assert_int_eq(poll_end(b, 41, NULL, 1, -1), SM_PARKED);
    ck_assert_int_eq(recv_end(c, 42, NULL, 1, -1), SM_PARKED);
    ck_assert_int_eq(send_str(a, 0, "v"), SM_OK);
    ck_assert_uint_eq(nsent, 1);
    ck_assert_int_eq(sent[0].tag, 42);
    EXPECT_REP(sent[0], SM_OK, "s", "v");
    ck_assert_int_eq(poll_end(c, 0, &r, 1, 0), SM_OK);
    EXPECT_REP(r, SM_OK, "b", 0);
}
END_TEST

START_TEST(poll_deadline_is_false)
{
    ck_assert_int_eq(poll_end(b, 51, NULL, 1, 50), SM_PARKED);
    int64_t t0 = now_ms();
    wait_expire(&core, t0 + 10);
    ck_assert_uint_eq(nsent, 0);
    wait_expire(&core, t0 + 60);
    ck_assert_uint_eq(nsent, 1);
    ck_assert_int_eq(sent[0].tag, 51);
    EXPECT_REP(sent[0], SM_OK, "b", 0);
    ck_assert_uint_eq(core.nparked, 0);
    ck_assert_uint_eq(core.nheap, 0);
}
END_TEST

START_TEST(gone_session_is_skipped)
{
    struct rep r;
    ck_assert_int_eq(recv_end(b, 61, NULL, 1, -1), SM_PARKED);
    ck_assert_int_eq(poll_end(b, 62, NULL, 1, -1), SM_PARKED);
    ck_assert_int_eq(recv_end(c, 63, NULL, 1, -1), SM_PARKED);
    b->gone = true; /* its pipe closed; session_end() has not run yet */
    /* the live receiver behind the gone one gets the value */
    ck_assert_int_eq(send_str(a, 0, "first"), SM_OK);
    ck_assert_uint_eq(nsent, 1);
    ck_assert_int_eq(sent[0].tag, 63);
    EXPECT_REP(sent[0], SM_OK, "s", "first");
    /* with only the gone one left, the value is queued: b is neither
     * handed it nor woken to poll it */
    ck_assert_int_eq(send_str(a, 0, "kept"), SM_OK);
    ck_assert_uint_eq(nsent, 1);
    ck_assert_uint_eq(queued(), 1);
    session_end(&core, b);
    ck_assert_uint_eq(nsent, 3);
    ck_assert_int_eq(sent[1].status, SM_ECONN);
    ck_assert_int_eq(sent[2].status, SM_ECONN);
    ck_assert_uint_eq(core.nparked, 0);
    ck_assert_int_eq(recv_end(c, 0, &r, 1, 0), SM_OK);
    EXPECT_REP(r, SM_OK, "s", "kept");
}
END_TEST

START_TEST(unlink_cancels_waiters)
{
    ck_assert_int_eq(send_str(a, 1, "left behind"), SM_OK);
    ck_assert_int_eq(recv_end(b, 71, NULL, 1, 60000), SM_PARKED);
    ck_assert_int_eq(poll_end(c, 72, NULL, 1, -1), SM_PARKED);
    ck_assert_int_eq(call(a, 0, NULL, SMOP_unlink, "s", "p"), SM_OK);
    ck_assert_uint_eq(nsent, 2);
    ck_assert_int_eq(sent[0].status, SM_ENOENT);
    ck_assert_int_eq(sent[1].status, SM_ENOENT);
    ck_assert_uint_eq(core.nparked, 0);
    ck_assert_uint_eq(core.nheap, 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("obj_pipe");
    TCase *tc = tcase_create("pipe");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, two_directions_in_order);
    tcase_add_test(tc, bad_end_and_options);
    tcase_add_test(tc, parked_receivers_get_later_sends_fifo);
    tcase_add_test(tc, recv_deadline);
    tcase_add_test(tc, poll_does_not_consume);
    tcase_add_test(tc, poll_prefers_receivers);
    tcase_add_test(tc, poll_deadline_is_false);
    tcase_add_test(tc, gone_session_is_skipped);
    tcase_add_test(tc, unlink_cancels_waiters);
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
