/*
 * test_events.c - the event ring and watch.next (broker/events.c) through
 * dispatch() on a core without a network: what becomes an event, filters by
 * name and monitor flag, parked watchers woken by a matching event only,
 * timeouts, and a ring that overflows.
 *
 * watch.next replies [next, events, lost] may be longer than park_call.h
 * keeps, so immediate ones are read here whole with msgpack-c's object tree.
 */
#include <check.h>
#include <string.h>

#include <stdlib.h>
#include <string.h>

#include "check_run.h"
#include "park_call.h"

/* ---- watch.next replies ---------------------------------------------------- */

struct wrep {
    uint64_t next, lost;
    msgpack_unpacked ev; /* the events array; its strings point into bytes */
    char *bytes;         /* our copy of the array's encoding */
};

static void wrep_free(struct wrep *w)
{
    msgpack_unpacked_destroy(&w->ev);
    free(w->bytes);
    w->bytes = NULL;
}

/* parse() - the three fields of a watch.next reply at @p. */
static void parse(struct wrep *w, const uint8_t *p, size_t len, uint32_t nfields)
{
    mp_reader rd;
    const uint8_t *raw;
    size_t rawlen;
    ck_assert_uint_eq(nfields, 3);
    mp_reader_init(&rd, p, len);
    ck_assert_int_eq(mp_read_uint(&rd, &w->next), SM_OK);
    ck_assert_int_eq(mp_read_raw(&rd, &raw, &rawlen), SM_OK);
    ck_assert_int_eq(mp_read_uint(&rd, &w->lost), SM_OK);
    /* copy: the caught replies' storage moves as more replies arrive */
    ck_assert_ptr_nonnull(w->bytes = malloc(rawlen));
    memcpy(w->bytes, raw, rawlen);
    msgpack_unpacked_init(&w->ev);
    ck_assert_int_eq(msgpack_unpack_next(&w->ev, w->bytes, rawlen, NULL),
                     MSGPACK_UNPACK_SUCCESS);
    ck_assert_int_eq(w->ev.data.type, MSGPACK_OBJECT_ARRAY);
}

/**
 * watch() - watch.next [since, timeout, name, monitor] from @s with tag @tag
 * (@name NULL: the field and the monitor flag are left out).  Returns the
 * status; on SM_OK *w holds the reply (wrep_free() it).
 */
static int watch(struct session *s, intptr_t tag, struct wrep *w, uint64_t since, int timeout,
                 const char *name, bool monitor)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nng_msg *out;
    mp_reader rest;
    uint32_t nfields;
    int status;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, name ? 5 : 3);
    msgpack_pack_uint64(&pk, SMOP_watch_next);
    msgpack_pack_uint64(&pk, since);
    msgpack_pack_int(&pk, timeout);
    if (name) {
        msgpack_pack_str_with_body(&pk, name, strlen(name));
        (monitor ? msgpack_pack_true : msgpack_pack_false)(&pk);
    }
    int rc = dispatch(&pc_core, s, sb.data, sb.size, (void *)tag, &out);
    msgpack_sbuffer_destroy(&sb);
    if (rc == SM_PARKED) {
        ck_assert_ptr_null(out);
        return rc;
    }
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(reply_decode(nng_msg_body(out), nng_msg_len(out), &status, &rest, &nfields),
                     SM_OK);
    ck_assert_int_eq(status, rc);
    if (rc == SM_OK)
        parse(w, rest.p, (size_t)(rest.end - rest.p), nfields);
    nng_msg_free(out);
    return rc;
}

/* sent() - the i-th caught reply to a parked watch.next, parsed. */
static void sent(struct wrep *w, size_t i)
{
    ck_assert_uint_gt(pc_nsent, i);
    ck_assert_int_eq(pc_sent[i].status, SM_OK);
    parse(w, pc_sent[i].fields, pc_sent[i].len, pc_sent[i].nfields);
}

/* member() - @key of event map @m, or NULL. */
static const msgpack_object *member(const msgpack_object *m, const char *key)
{
    for (uint32_t i = 0; m->type == MSGPACK_OBJECT_MAP && i < m->via.map.size; i++) {
        const msgpack_object *k = &m->via.map.ptr[i].key;
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen(key) &&
            !memcmp(k->via.str.ptr, key, k->via.str.size))
            return &m->via.map.ptr[i].val;
    }
    return NULL;
}

static size_t nev(const struct wrep *w)
{
    return w->ev.data.via.array.size;
}

/* ck_event() - event @i of @w is @op on @object (NULL: nil), from session @s. */
static void ck_event(const struct wrep *w, size_t i, const char *op, const char *object,
                     const struct session *s)
{
    ck_assert_uint_gt(nev(w), i);
    const msgpack_object *e = &w->ev.data.via.array.ptr[i];
    const msgpack_object *o = member(e, "op"), *n = member(e, "object");
    ck_assert_ptr_nonnull(o);
    ck_assert_ptr_nonnull(n);
    ck_assert_msg(o->type == MSGPACK_OBJECT_STR && o->via.str.size == strlen(op) &&
                      !memcmp(o->via.str.ptr, op, strlen(op)),
                  "event %zu: op is not %s", i, op);
    if (!object)
        ck_assert_int_eq(n->type, MSGPACK_OBJECT_NIL);
    else
        ck_assert_msg(n->type == MSGPACK_OBJECT_STR && n->via.str.size == strlen(object) &&
                          !memcmp(n->via.str.ptr, object, strlen(object)),
                      "event %zu: object is not %s", i, object);
    ck_assert_uint_eq(member(e, "session")->via.u64, s->id);
    ck_assert_int_eq(member(e, "pid")->via.i64, s->pid);
    ck_assert_int_gt(member(e, "time_ms")->via.i64, 0);
    ck_assert_ptr_nonnull(member(e, "seq"));
}

static void set(struct session *s, uint64_t h, const char *key, int v)
{
    ck_assert_int_eq(pc_call(s, 0, NULL, SMOP_dict_set, "Usi", h, key, v), SM_OK);
}

/* ---- tests -------------------------------------------------------------------- */

START_TEST(changes_filtered_by_name_and_monitor)
{
    struct session *a = pc_session(1), *w = pc_session(2);
    struct wrep r;
    uint64_t d = pc_open(a, "d", SM_T_DICT, OPEN_CREATE, "");
    uint64_t e = pc_open(a, "e", SM_T_DICT, OPEN_CREATE, "");
    pc_open(a, "d", SM_T_DICT, OPEN_CREATE, ""); /* exists: a read, not a change */
    set(a, d, "k", 1);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_dict_get, "Us", d, "k"), SM_OK);
    set(a, e, "k", 2);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_dict_get, "Us", e, "nope"), SM_ENOKEY); /* failed */

    ck_assert_int_eq(watch(w, 0, &r, 0, 0, "d", false), SM_OK);
    ck_assert_uint_eq(nev(&r), 2);
    ck_event(&r, 0, "open", "d", a);
    ck_event(&r, 1, "dict.set", "d", a);
    ck_assert_uint_eq(r.next, 6);
    ck_assert_uint_eq(r.lost, 0);
    wrep_free(&r);

    ck_assert_int_eq(watch(w, 0, &r, 0, 0, NULL, false), SM_OK); /* all objects */
    ck_assert_uint_eq(nev(&r), 4);
    ck_event(&r, 0, "open", "d", a);
    ck_event(&r, 1, "open", "e", a);
    ck_event(&r, 2, "dict.set", "d", a);
    ck_event(&r, 3, "dict.set", "e", a);
    wrep_free(&r);

    ck_assert_int_eq(watch(w, 0, &r, 0, 0, "", true), SM_OK); /* monitor: every op */
    ck_assert_uint_eq(nev(&r), 6);
    ck_event(&r, 2, "open", "d", a);
    ck_event(&r, 4, "dict.get", "d", a);
    wrep_free(&r);

    ck_assert_int_eq(watch(w, 0, &r, 4, 0, "", true), SM_OK); /* after seq 4 */
    ck_assert_uint_eq(nev(&r), 2);
    ck_event(&r, 0, "dict.get", "d", a);
    ck_assert_uint_eq(r.next, 6);
    wrep_free(&r);

    /* watch.next itself is no event; admin ops are, for monitor only */
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_stats, ""), SM_OK);
    ck_assert_int_eq(watch(w, 0, &r, 6, 0, "", true), SM_OK);
    ck_assert_uint_eq(nev(&r), 1);
    ck_event(&r, 0, "stats", NULL, a);
    wrep_free(&r);
    ck_assert_int_eq(watch(w, 0, &r, 6, 0, NULL, false), SM_OK);
    ck_assert_uint_eq(nev(&r), 0);
    ck_assert_uint_eq(r.next, 7);
    wrep_free(&r);
}
END_TEST

START_TEST(parked_watcher_woken_by_its_object_only)
{
    struct session *a = pc_session(1), *w = pc_session(2);
    struct wrep r;
    uint64_t d = pc_open(a, "d", SM_T_DICT, OPEN_CREATE, "");
    uint64_t e = pc_open(a, "e", SM_T_DICT, OPEN_CREATE, "");
    /* "from now": a since beyond the newest event */
    ck_assert_int_eq(watch(w, 7, NULL, UINT64_MAX, -1, "d", false), SM_PARKED);
    set(a, e, "k", 1);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_dict_len, "U", d), SM_OK); /* a read */
    ck_assert_uint_eq(pc_nsent, 0);
    set(a, d, "k", 2);
    PC_SENT(0, 7, SM_OK);
    sent(&r, 0);
    ck_assert_uint_eq(nev(&r), 1);
    ck_event(&r, 0, "dict.set", "d", a);
    ck_assert_uint_eq(r.next, 5);
    ck_assert_uint_eq(r.lost, 0);
    wrep_free(&r);
    ck_assert_ptr_null(pc_core.ring.watchers);

    /* unlink and a creating open are changes too */
    ck_assert_int_eq(watch(w, 8, NULL, r.next, -1, "d", false), SM_PARKED);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_unlink, "s", "d"), SM_OK);
    sent(&r, 1);
    ck_event(&r, 0, "unlink", "d", a);
    wrep_free(&r);
}
END_TEST

START_TEST(monitor_sees_reads)
{
    struct session *a = pc_session(1), *w = pc_session(2);
    struct wrep r;
    uint64_t d = pc_open(a, "d", SM_T_DICT, OPEN_CREATE, "");
    ck_assert_int_eq(watch(w, 3, NULL, UINT64_MAX, -1, "", true), SM_PARKED);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_dict_len, "U", d), SM_OK);
    PC_SENT(0, 3, SM_OK);
    sent(&r, 0);
    ck_assert_uint_eq(nev(&r), 1);
    ck_event(&r, 0, "dict.len", "d", a);
    wrep_free(&r);
}
END_TEST

START_TEST(timeout_replies_ok_without_events)
{
    struct session *a = pc_session(1), *w = pc_session(2);
    struct wrep r;
    pc_open(a, "d", SM_T_DICT, OPEN_CREATE, "");
    ck_assert_int_eq(watch(w, 4, NULL, UINT64_MAX, 30, NULL, false), SM_PARKED);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_open, "sUU", "e", (uint64_t)SM_T_LIST, (uint64_t)0),
                     SM_ENOENT); /* failed: no event */
    wait_expire(&pc_core, now_ms() + 1000);
    PC_SENT(0, 4, SM_OK);
    sent(&r, 0);
    ck_assert_uint_eq(nev(&r), 0);
    ck_assert_uint_eq(r.next, 1);
    wrep_free(&r);

    /* a watcher whose session ends is dropped */
    ck_assert_int_eq(watch(w, 5, NULL, UINT64_MAX, -1, NULL, false), SM_PARKED);
    session_end(&pc_core, w);
    ck_assert_ptr_null(pc_core.ring.watchers);
    PC_SENT(1, 5, SM_ECONN);
}
END_TEST

START_TEST(overflow_reports_lost)
{
    pc_core.ring.cap = 8; /* before the first event */
    struct session *a = pc_session(1), *w = pc_session(2);
    struct wrep r;
    uint64_t d = pc_open(a, "d", SM_T_DICT, OPEN_CREATE, "");
    for (int i = 0; i < 20; i++)
        set(a, d, "k", i);
    ck_assert_int_eq(watch(w, 0, &r, 0, -1, NULL, false), SM_OK); /* at once: events lost */
    ck_assert_uint_eq(r.lost, 13);
    ck_assert_uint_eq(nev(&r), 8);
    ck_assert_uint_eq(r.next, 21);
    ck_event(&r, 7, "dict.set", "d", a);
    wrep_free(&r);
    ck_assert_int_eq(watch(w, 0, &r, 21, 0, NULL, false), SM_OK);
    ck_assert_uint_eq(r.lost, 0);
    ck_assert_uint_eq(nev(&r), 0);
    wrep_free(&r);

    /* a parked watcher that wants nothing of what passes loses nothing */
    ck_assert_int_eq(watch(w, 6, NULL, 21, -1, "zzz", false), SM_PARKED);
    for (int i = 0; i < 20; i++)
        set(a, d, "k", i);
    ck_assert_uint_eq(pc_nsent, 0);
    pc_open(a, "zzz", SM_T_DICT, OPEN_CREATE, "");
    sent(&r, 0);
    ck_assert_uint_eq(r.lost, 0);
    ck_assert_uint_eq(nev(&r), 1);
    ck_event(&r, 0, "open", "zzz", a);
    wrep_free(&r);
}
END_TEST

START_TEST(reply_holds_at_most_a_bounded_number)
{
    struct session *a = pc_session(1), *w = pc_session(2);
    struct wrep r;
    uint64_t d = pc_open(a, "d", SM_T_DICT, OPEN_CREATE, "");
    for (int i = 0; i < 300; i++)
        set(a, d, "k", i);
    ck_assert_int_eq(watch(w, 0, &r, 0, 0, NULL, false), SM_OK);
    ck_assert_uint_eq(nev(&r), 256);
    ck_assert_uint_eq(r.next, 256);
    wrep_free(&r);
    ck_assert_int_eq(watch(w, 0, &r, 256, 0, NULL, false), SM_OK);
    ck_assert_uint_eq(nev(&r), 45);
    ck_assert_uint_eq(r.next, 301);
    wrep_free(&r);
}
END_TEST

/* A batch's sub-requests are events one by one, and a creating open inside
 * one is a change as it is alone (its reply is read inside the batch's). */
START_TEST(batch_sub_requests_are_events)
{
    struct session *a = pc_session(1), *w = pc_session(2);
    struct wrep r;
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_batch, "AAUsUUAUsUU", 2, 4, (uint64_t)SMOP_open, "b",
                             (uint64_t)SM_T_DICT, (uint64_t)OPEN_CREATE, 4, (uint64_t)SMOP_open,
                             "b", (uint64_t)SM_T_DICT, (uint64_t)OPEN_CREATE),
                     SM_OK);
    ck_assert_int_eq(watch(w, 0, &r, 0, 0, "b", false), SM_OK);
    ck_assert_uint_eq(nev(&r), 1); /* the second open found it: a read */
    ck_event(&r, 0, "open", "b", a);
    wrep_free(&r);
    ck_assert_int_eq(watch(w, 0, &r, 0, 0, "", true), SM_OK);
    ck_assert_uint_eq(nev(&r), 3); /* both opens and the batch */
    ck_event(&r, 0, "open", "b", a);
    ck_event(&r, 1, "open", "b", a);
    ck_event(&r, 2, "batch", NULL, a);
    wrep_free(&r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("events");
    TCase *tc = tcase_create("watch.next");
    tcase_add_checked_fixture(tc, pc_setup, pc_teardown);
    tcase_add_test(tc, changes_filtered_by_name_and_monitor);
    tcase_add_test(tc, parked_watcher_woken_by_its_object_only);
    tcase_add_test(tc, monitor_sees_reads);
    tcase_add_test(tc, timeout_replies_ok_without_events);
    tcase_add_test(tc, overflow_reports_lost);
    tcase_add_test(tc, reply_holds_at_most_a_bounded_number);
    tcase_add_test(tc, batch_sub_requests_are_events);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(suite(), CK_NORMAL);
}
