/*
 * test_admin.c - the inspection ops info, sessions and stats, and the
 * read-only authkey, through dispatch() on a core without a network.
 *
 * Their replies are maps (often longer than park_call.h keeps), so they are
 * read here with msgpack-c's object tree: field("holder.pid") and the like.
 */
#include <check.h>
#include <string.h>

#include "auth.h"
#include "blob.h"
#include "check_run.h"
#include "park_call.h"

static const uint8_t rokey[16] = "fedcba9876543210";

static void setup(void)
{
    pc_setup();
    pc_core.rokey = rokey;
    pc_core.rokeylen = sizeof(rokey);
}

/* ---- admin replies as object trees --------------------------------------- */

static msgpack_unpacked reply;
static nng_msg *held; /* the bytes behind reply */

/**
 * admin() - dispatch [opcode, fields per @fmt] from @s; returns the status.
 * On SM_OK the one reply field is unpacked into `reply`.
 */
static int admin(struct session *s, unsigned opcode, const char *fmt, ...)
{
    msgpack_sbuffer fields, sb;
    msgpack_packer pk;
    nng_msg *out;
    mp_reader rest;
    uint32_t nfields;
    int status;
    va_list ap;
    msgpack_sbuffer_init(&fields);
    va_start(ap, fmt);
    uc_vpack(&fields, fmt, ap);
    va_end(ap);
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 1 + uc_count(fields.data, fields.size));
    msgpack_pack_uint64(&pk, opcode);
    msgpack_sbuffer_write(&sb, fields.data, fields.size);
    int rc = dispatch(&pc_core, s, sb.data, sb.size, NULL, &out);
    msgpack_sbuffer_destroy(&fields);
    msgpack_sbuffer_destroy(&sb);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(reply_decode(nng_msg_body(out), nng_msg_len(out), &status, &rest, &nfields),
                     SM_OK);
    ck_assert_int_eq(status, rc);
    msgpack_unpacked_destroy(&reply);
    msgpack_unpacked_init(&reply);
    if (rc == SM_OK) {
        ck_assert_uint_eq(nfields, 1);
        ck_assert_int_eq(
            msgpack_unpack_next(&reply, (const char *)rest.p, (size_t)(rest.end - rest.p), NULL),
            MSGPACK_UNPACK_SUCCESS);
    }
    /* the unpacked strings point into the reply: keep it until the next call */
    nng_msg_free(held);
    held = out;
    return rc;
}

/* get() - member @path ("holder.pid"; "3" indexes an array) of @o, or NULL. */
static const msgpack_object *get(const msgpack_object *o, const char *path)
{
    char key[64];
    while (o && *path) {
        size_t n = strcspn(path, ".");
        snprintf(key, sizeof(key), "%.*s", (int)n, path);
        path += n + (path[n] == '.');
        const msgpack_object *next = NULL;
        if (o->type == MSGPACK_OBJECT_ARRAY && (size_t)atoi(key) < o->via.array.size)
            next = &o->via.array.ptr[atoi(key)];
        for (uint32_t i = 0; o->type == MSGPACK_OBJECT_MAP && i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == strlen(key) &&
                !memcmp(k->via.str.ptr, key, k->via.str.size))
                next = &o->via.map.ptr[i].val;
        }
        o = next;
    }
    return o;
}

static const msgpack_object *field(const char *path)
{
    const msgpack_object *o = get(&reply.data, path);
    ck_assert_msg(o != NULL, "no %s in the reply", path);
    return o;
}

static int64_t num(const char *path)
{
    const msgpack_object *o = field(path);
    if (o->type == MSGPACK_OBJECT_BOOLEAN)
        return o->via.boolean;
    ck_assert_msg(o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
                      o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER,
                  "%s is not a number", path);
    return o->via.i64;
}

static bool is_nil(const char *path)
{
    return field(path)->type == MSGPACK_OBJECT_NIL;
}

#define ck_str(path, want)                                                                         \
    do {                                                                                           \
        const msgpack_object *o_ = field(path);                                                    \
        ck_assert_int_eq(o_->type, MSGPACK_OBJECT_STR);                                            \
        ck_assert_int_eq(o_->via.str.size, strlen(want));                                          \
        ck_assert(memcmp(o_->via.str.ptr, (want), o_->via.str.size) == 0);                         \
    } while (0)

/* ---- the read-only key ---------------------------------------------------- */

/* handshake() - hello + auth from a new session on @pipe with @key; returns
 * the auth status, and checks the broker's proof when it succeeds. */
static int handshake(struct session *s, const uint8_t *key, size_t keylen)
{
    struct pc_reply r;
    mp_reader rd;
    const void *bnonce;
    uint32_t n;
    uint8_t cnonce[SM_NONCE_LEN], proof[SM_MAC_LEN], want[SM_MAC_LEN], bn[SM_NONCE_LEN];
    uint8_t req[2 * (2 + SM_MAC_LEN)];

    ck_assert_int_eq(pc_call(s, 0, &r, SMOP_hello, "Us", (uint64_t)SM_PROTO_VERSION, "t"), SM_OK);
    mp_reader_init(&rd, r.fields, r.len);
    ck_assert_int_eq(mp_read_bin(&rd, &bnonce, &n), SM_OK);
    ck_assert_uint_eq(n, SM_NONCE_LEN);
    memcpy(bn, bnonce, sizeof(bn));
    auth_nonce(cnonce);
    auth_proof(key, keylen, AUTH_CLIENT, bn, cnonce, proof);
    req[0] = 0xc4, req[1] = SM_MAC_LEN;
    memcpy(req + 2, proof, SM_MAC_LEN);
    req[34] = 0xc4, req[35] = SM_NONCE_LEN;
    memcpy(req + 36, cnonce, SM_NONCE_LEN);
    size_t sent = pc_nsent;
    int rc = pc_call(s, 0, &r, SMOP_auth, "r", (const void *)req, sizeof(req));
    if (rc == SM_PARKED) {
        /* a failure's reply is held back (slowing key guessing): at most 3.2 s */
        ck_assert_uint_eq(pc_nsent, sent);
        wait_expire(&pc_core, now_ms() + 3300);
        ck_assert_uint_eq(pc_nsent, sent + 1);
        rc = pc_sent[sent].status;
    }
    if (rc == SM_OK) {
        auth_proof(key, keylen, AUTH_BROKER, bn, cnonce, want);
        mp_reader_init(&rd, r.fields, r.len);
        ck_assert_int_eq(mp_read_bin(&rd, &bnonce, &n), SM_OK);
        ck_assert_uint_eq(n, SM_MAC_LEN);
        ck_assert_msg(memcmp(bnonce, want, SM_MAC_LEN) == 0, "the broker proved another key");
    }
    return rc;
}

START_TEST(readonly_key_authenticates_readonly)
{
    struct session *full = session_new(&pc_core, 1, 101, 1000, 1000);
    struct session *ro = session_new(&pc_core, 2, 102, 1000, 1000);
    struct session *bad = session_new(&pc_core, 3, 103, 1000, 1000);
    ck_assert_int_eq(handshake(full, pc_core.key, pc_core.keylen), SM_OK);
    ck_assert(full->authed && !full->readonly);
    ck_assert_int_eq(handshake(ro, rokey, sizeof(rokey)), SM_OK);
    ck_assert(ro->authed && ro->readonly);
    ck_assert_int_eq(handshake(bad, (const uint8_t *)"not-the-key-at-all", 18), SM_EAUTH);
    ck_assert(!bad->authed);

    /* without a read-only key configured, that key is just wrong */
    struct session *ro2 = session_new(&pc_core, 4, 104, 1000, 1000);
    pc_core.rokey = NULL;
    ck_assert_int_eq(handshake(ro2, rokey, sizeof(rokey)), SM_EAUTH);
    ck_assert(!ro2->authed);
}
END_TEST

START_TEST(readonly_session_reads_but_never_writes)
{
    struct session *w = pc_session(1);
    struct session *ro = session_new(&pc_core, 2, 102, 1000, 1000);
    struct pc_reply r;
    ck_assert_int_eq(handshake(ro, rokey, sizeof(rokey)), SM_OK);
    uint64_t d = pc_open(w, "d", SM_T_DICT, OPEN_CREATE, "");
    ck_assert_int_eq(pc_call(w, 0, NULL, SMOP_dict_set, "Uss", d, "k", "v"), SM_OK);

    ck_assert_int_eq(pc_call(ro, 0, NULL, SMOP_ping, ""), SM_OK);
    ck_assert_int_eq(pc_call(ro, 0, NULL, SMOP_ls, ""), SM_OK);
    /* open what exists (to read it), never create */
    ck_assert_uint_eq(pc_open(ro, "d", SM_T_DICT, 0, ""), d);
    ck_assert_int_eq(
        pc_call(ro, 0, NULL, SMOP_open, "sUU", "new", (uint64_t)SM_T_DICT, (uint64_t)OPEN_CREATE),
        SM_EAUTH);
    ck_assert_ptr_null(registry_lookup(&pc_core, "new", 3));
    ck_assert_int_eq(pc_call(ro, 0, &r, SMOP_dict_get, "Us", d, "k"), SM_OK);
    PC_EXPECT(&r, SM_OK, "s", "v");
    ck_assert_int_eq(admin(ro, SMOP_info, "s", "d"), SM_OK);
    ck_assert_int_eq(admin(ro, SMOP_sessions, ""), SM_OK);
    ck_assert_int_eq(admin(ro, SMOP_stats, ""), SM_OK);

    /* every write, and blocking ops that take something, get SM_EAUTH */
    ck_assert_int_eq(pc_call(ro, 0, NULL, SMOP_dict_set, "Uss", d, "k", "x"), SM_EAUTH);
    ck_assert_int_eq(pc_call(ro, 0, NULL, SMOP_dict_del, "Us", d, "k"), SM_EAUTH);
    ck_assert_int_eq(pc_call(ro, 0, NULL, SMOP_unlink, "s", "d"), SM_EAUTH);
    uint64_t m = pc_open(w, "m", SM_T_LOCK, OPEN_CREATE, "");
    ck_assert_int_eq(pc_call(ro, 0, NULL, SMOP_lock_acquire, "UIU", m, (int64_t)0, (uint64_t)1),
                     SM_EAUTH);
    ck_assert_int_eq(pc_call(w, 0, &r, SMOP_dict_get, "Us", d, "k"), SM_OK);
    PC_EXPECT(&r, SM_OK, "s", "v");
    /* refusals are not authentication failures: the pipe stays */
    ck_assert_uint_eq(ro->auth_failures, 0);
}
END_TEST

START_TEST(readonly_session_keeps_no_temp_object_alive)
{
    struct session *w = pc_session(1);
    struct session *ro = pc_session(2);
    ro->readonly = true;
    pc_open(w, "t", SM_T_LIST, OPEN_CREATE | OPEN_TEMP, "");
    pc_open(ro, "t", SM_T_LIST, 0, "");
    session_end(&pc_core, w);
    ck_assert_ptr_null(registry_lookup(&pc_core, "t", 1));
}
END_TEST

/* ---- info ----------------------------------------------------------------- */

START_TEST(info_lock_names_its_holder)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    snprintf(b->peer, sizeof(b->peer), "10.0.0.7:4242");
    uint64_t m = pc_open(a, "m", SM_T_LOCK, OPEN_CREATE, "");
    ck_assert_int_eq(admin(a, SMOP_info, "s", "m"), SM_OK);
    ck_str("name", "m");
    ck_str("type", "lock");
    ck_assert_int_eq(num("size"), 0);
    ck_assert_int_eq(num("waiters"), 0);
    ck_assert_int_eq(num("temp"), 0);
    ck_assert_int_gt(num("created_ms"), 1600000000000);
    ck_assert(is_nil("holder"));
    ck_assert_int_eq(num("details.count"), 0);
    ck_assert_int_eq(num("details.abandoned"), 0);

    ck_assert_int_eq(pc_call(b, 0, NULL, SMOP_lock_acquire, "UIU", m, (int64_t)0, (uint64_t)7),
                     SM_OK);
    ck_assert_int_eq(pc_call(a, 9, NULL, SMOP_lock_acquire, "UIU", m, (int64_t)-1, (uint64_t)1),
                     SM_PARKED);
    ck_assert_int_eq(admin(a, SMOP_info, "s", "m"), SM_OK);
    ck_assert_int_eq(num("holder.session"), (int64_t)b->id);
    ck_assert_int_eq(num("holder.pid"), 102);
    ck_assert_int_eq(num("holder.uid"), 1000);
    ck_str("holder.peer", "10.0.0.7:4242");
    ck_assert_int_eq(num("holder.gone"), 0);
    ck_assert_int_eq(num("waiters"), 1);
    ck_assert_int_eq(num("details.count"), 1);

    /* the holder dies: the waiter gets it, abandoned */
    session_end(&pc_core, b);
    PC_SENT(0, 9, SM_EOWNERDEAD);
    ck_assert_int_eq(admin(a, SMOP_info, "s", "m"), SM_OK);
    ck_assert_int_eq(num("holder.pid"), 101);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_lock_release, "UU", m, (uint64_t)1), SM_OK);
    ck_assert_int_eq(admin(a, SMOP_info, "s", "m"), SM_OK);
    ck_assert(is_nil("holder"));

    /* abandoned while nobody waits: no holder, marked abandoned */
    ck_assert_int_eq(
        pc_call(b = pc_session(3), 0, NULL, SMOP_lock_acquire, "UIU", m, (int64_t)0, (uint64_t)1),
        SM_OK);
    session_end(&pc_core, b);
    ck_assert_int_eq(admin(a, SMOP_info, "s", "m"), SM_OK);
    ck_assert(is_nil("holder"));
    ck_assert_int_eq(num("details.abandoned"), 1);

    ck_assert_int_eq(admin(a, SMOP_info, "s", "nothing"), SM_ENOENT);
}
END_TEST

START_TEST(info_describes_every_type)
{
    struct session *s = pc_session(1);
    uint64_t q =
        pc_open(s, "q", SM_T_QUEUE, OPEN_CREATE, "MsUsb", 2, "maxsize", (uint64_t)5, "joinable", 1);
    ck_assert_int_eq(pc_call(s, 0, NULL, SMOP_queue_put, "UsI", q, "x", (int64_t)0), SM_OK);
    ck_assert_int_eq(pc_call(s, 0, NULL, SMOP_queue_join, "UI", q, (int64_t)-1), SM_PARKED);
    ck_assert_int_eq(admin(s, SMOP_info, "s", "q"), SM_OK);
    ck_assert_int_eq(num("details.maxsize"), 5);
    ck_assert_int_eq(num("details.qsize"), 1);
    ck_assert_int_eq(num("details.unfinished"), 1);
    ck_assert_int_eq(num("details.joinable"), 1);
    ck_assert_int_eq(num("details.getters"), 0);
    ck_assert_int_eq(num("details.putters"), 0);
    ck_assert_int_eq(num("details.joiners"), 1);
    ck_assert_ptr_null(get(&reply.data, "holder")); /* a queue has no holder */

    pc_open(s, "sem", SM_T_SEM, OPEN_CREATE, "MsUsb", 2, "value", (uint64_t)3, "bounded", 1);
    ck_assert_int_eq(admin(s, SMOP_info, "s", "sem"), SM_OK);
    ck_assert_int_eq(num("details.value"), 3);
    ck_assert_int_eq(num("details.initial"), 3);
    ck_assert_int_eq(num("details.bounded"), 1);

    pc_open(s, "bar", SM_T_BARRIER, OPEN_CREATE, "MsU", 1, "parties", (uint64_t)2);
    ck_assert_int_eq(admin(s, SMOP_info, "s", "bar"), SM_OK);
    ck_assert_int_eq(num("details.parties"), 2);
    ck_assert_int_eq(num("details.n_waiting"), 0);
    ck_assert_int_eq(num("details.broken"), 0);

    pc_open(s, "ev", SM_T_EVENT, OPEN_CREATE, "");
    ck_assert_int_eq(admin(s, SMOP_info, "s", "ev"), SM_OK);
    ck_assert_int_eq(num("details.set"), 0);

    pc_open(s, "lk", SM_T_RLOCK, OPEN_CREATE, "");
    pc_open(s, "cv", SM_T_COND, OPEN_CREATE, "Mss", 1, "lock", "lk");
    pc_open(s, "cvp", SM_T_COND, OPEN_CREATE, "");
    ck_assert_int_eq(admin(s, SMOP_info, "s", "cv"), SM_OK);
    ck_str("details.lock", "lk");
    ck_assert_int_eq(num("details.waiters"), 0);
    ck_assert(is_nil("holder"));
    ck_assert_int_eq(admin(s, SMOP_info, "s", "cvp"), SM_OK);
    ck_assert(is_nil("details.lock"));

    pc_open(s, "v", SM_T_VALUE, OPEN_CREATE, "");
    ck_assert_int_eq(admin(s, SMOP_info, "s", "v"), SM_OK);
    ck_assert_int_eq(field("details")->via.map.size, 0);

    pc_open(s, "a", SM_T_ARRAY, OPEN_CREATE, "MsssU", 2, "typecode", "d", "length", (uint64_t)4);
    ck_assert_int_eq(admin(s, SMOP_info, "s", "a"), SM_OK);
    ck_str("details.typecode", "d");
    ck_assert_int_eq(num("details.length"), 4);

    uint64_t ns = pc_open(s, "ns", SM_T_NAMESPACE, OPEN_CREATE, "");
    ck_assert_int_eq(pc_call(s, 0, NULL, SMOP_namespace_set, "Usi", ns, "b", 1), SM_OK);
    ck_assert_int_eq(pc_call(s, 0, NULL, SMOP_namespace_set, "Usi", ns, "a", 2), SM_OK);
    ck_assert_int_eq(admin(s, SMOP_info, "s", "ns"), SM_OK);
    ck_assert_int_eq(field("details.attrs")->via.array.size, 2);
    ck_str("details.attrs.0", "b");
    ck_str("details.attrs.1", "a");

    uint64_t p = pc_open(s, "p", SM_T_PIPE, OPEN_CREATE, "");
    ck_assert_int_eq(pc_call(s, 0, NULL, SMOP_pipe_send, "UUi", p, (uint64_t)0, 1), SM_OK);
    ck_assert_int_eq(admin(s, SMOP_info, "s", "p"), SM_OK);
    ck_assert_int_eq(num("details.queued0"), 0);
    ck_assert_int_eq(num("details.queued1"), 1);

    uint64_t d = pc_open(s, "d", SM_T_DICT, OPEN_CREATE | OPEN_TEMP, "");
    ck_assert_int_eq(pc_call(s, 0, NULL, SMOP_dict_set, "Uii", d, 1, 2), SM_OK);
    ck_assert_int_eq(admin(s, SMOP_info, "s", "d"), SM_OK);
    ck_assert_int_eq(num("details.len"), 1);
    ck_assert_int_eq(num("temp"), 1);

    uint64_t l = pc_open(s, "l", SM_T_LIST, OPEN_CREATE, "");
    ck_assert_int_eq(pc_call(s, 0, NULL, SMOP_list_append, "Ui", l, 1), SM_OK);
    ck_assert_int_eq(pc_call(s, 0, NULL, SMOP_list_append, "Ui", l, 2), SM_OK);
    ck_assert_int_eq(admin(s, SMOP_info, "s", "l"), SM_OK);
    ck_assert_int_eq(num("details.len"), 2);
    ck_assert_int_eq(num("size"), 2);
}
END_TEST

/* ---- sessions and stats ---------------------------------------------------- */

START_TEST(sessions_list_holds_and_parked)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    b->readonly = true;
    uint64_t m = pc_open(a, "m", SM_T_LOCK, OPEN_CREATE, "");
    uint64_t m2 = pc_open(a, "m2", SM_T_LOCK, OPEN_CREATE, "");
    uint64_t sem = pc_open(a, "s", SM_T_SEM, OPEN_CREATE, "MsU", 1, "value", (uint64_t)2);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_lock_acquire, "UIU", m, (int64_t)0, (uint64_t)1),
                     SM_OK);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_lock_acquire, "UIU", m2, (int64_t)0, (uint64_t)1),
                     SM_OK);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_semaphore_acquire, "UI", sem, (int64_t)0), SM_OK);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_semaphore_acquire, "UI", sem, (int64_t)0), SM_OK);
    struct session *c = pc_session(3);
    ck_assert_int_eq(pc_call(c, 4, NULL, SMOP_lock_acquire, "UIU", m, (int64_t)-1, (uint64_t)1),
                     SM_PARKED);
    ck_assert_int_eq(pc_call(c, 5, NULL, SMOP_semaphore_acquire, "UI", sem, (int64_t)-1),
                     SM_PARKED);

    ck_assert_int_eq(admin(b, SMOP_sessions, ""), SM_OK);
    ck_assert_int_eq(reply.data.type, MSGPACK_OBJECT_ARRAY);
    ck_assert_uint_eq(reply.data.via.array.size, 3);
    /* oldest first */
    ck_assert_int_eq(num("0.id"), (int64_t)a->id);
    ck_assert_int_eq(num("0.pid"), 101);
    ck_assert_int_eq(num("0.uid"), 1000);
    ck_assert_int_eq(num("0.gid"), 1000);
    ck_str("0.peer", "");
    ck_assert_int_gt(num("0.since_ms"), 1600000000000);
    ck_assert_int_eq(num("0.held"), 3); /* two locks and the semaphore */
    ck_assert_int_eq(num("0.parked"), 0);
    ck_assert_int_eq(num("0.readonly"), 0);
    ck_assert_int_eq(num("0.authed"), 1);
    ck_assert_int_ge(num("0.ops"), 7);
    ck_assert_int_eq(num("1.readonly"), 1);
    ck_assert_int_eq(num("1.held"), 0);
    ck_assert_int_eq(num("1.ops"), 1); /* this request */
    ck_assert_int_eq(num("2.id"), (int64_t)c->id);
    ck_assert_int_eq(num("2.parked"), 2);
}
END_TEST

START_TEST(stats_count_everything)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    ck_assert_int_eq(admin(a, SMOP_stats, ""), SM_OK);
    ck_assert_int_eq(num("objects"), 0);
    ck_assert_int_eq(num("sessions"), 2);
    ck_assert_int_eq(num("parked"), 0);
    ck_assert_int_eq(num("objects_by_type.dict"), 0);
    ck_assert_int_eq(num("objects_by_type.pipe"), 0);
    ck_assert_int_eq(field("objects_by_type")->via.map.size, 13);
    int64_t ops0 = num("ops");

    uint64_t d = pc_open(a, "d", SM_T_DICT, OPEN_CREATE, "");
    pc_open(a, "d2", SM_T_DICT, OPEN_CREATE, "");
    uint64_t e = pc_open(a, "e", SM_T_EVENT, OPEN_CREATE, "");
    size_t bytes = blob_bytes_stored();
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_dict_set, "Uss", d, "key", "value"), SM_OK);
    ck_assert_int_eq(pc_call(b, 1, NULL, SMOP_event_wait, "UI", e, (int64_t)-1), SM_PARKED);
    ck_assert_int_eq(admin(b, SMOP_stats, ""), SM_OK);
    ck_assert_int_eq(num("objects"), 3);
    ck_assert_int_eq(num("objects_by_type.dict"), 2);
    ck_assert_int_eq(num("objects_by_type.event"), 1);
    ck_assert_int_eq(num("objects_by_type.lock"), 0);
    ck_assert_int_eq(num("parked"), 1);
    ck_assert_int_eq(num("ops"), ops0 + 6); /* three opens, set, wait and this stats */
    ck_assert_int_eq(num("bytes_stored"), (int64_t)blob_bytes_stored());
    ck_assert_int_gt((int64_t)blob_bytes_stored(), (int64_t)bytes);
    ck_assert_int_eq(num("memory_used"), (int64_t)blob_bytes_used());
    ck_assert_int_gt(num("memory_used"), num("bytes_stored")); /* overheads counted */
    ck_assert_int_eq(num("max_memory"), (int64_t)blob_limit());
    ck_assert_int_ge(num("uptime_s"), 0);
    ck_assert_int_eq(num("started_ms"), pc_core.started_ms);
    ck_assert_int_eq(field("ops_per_s")->type, MSGPACK_OBJECT_FLOAT64);
    ck_assert(field("ops_per_s")->via.f64 >= 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("admin");
    TCase *tc = tcase_create("admin");
    tcase_add_checked_fixture(tc, setup, pc_teardown);
    tcase_add_test(tc, readonly_key_authenticates_readonly);
    tcase_add_test(tc, readonly_session_reads_but_never_writes);
    tcase_add_test(tc, readonly_session_keeps_no_temp_object_alive);
    tcase_add_test(tc, info_lock_names_its_holder);
    tcase_add_test(tc, info_describes_every_type);
    tcase_add_test(tc, sessions_list_holds_and_parked);
    tcase_add_test(tc, stats_count_everything);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    msgpack_unpacked_init(&reply);
    int rc = check_run(suite(), CK_NORMAL);
    msgpack_unpacked_destroy(&reply);
    return rc;
}
