/* harness_raw.c - the wire protocol spoken directly, for tests that send
 * what the library never would: pre-handshake requests, garbage, admin ops. */
#include "harness.h"

#include <check.h>
#include <fcntl.h>
#include <nng/protocol/reqrep0/req.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "errors.h"

/* ---- raw protocol --------------------------------------------------------- */

static void pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
    struct raw_pipes *pipes = arg;
    (void)p;
    __atomic_add_fetch(ev == NNG_PIPE_EV_ADD_POST ? &pipes->added : &pipes->removed, 1,
                       __ATOMIC_SEQ_CST);
}

static int load(const int *p)
{
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

int raw_open(struct raw_conn *r, const char *address)
{
    nng_dialer d;
    int rv;
    memset(r, 0, sizeof(*r));
    if (!(r->pipes = calloc(1, sizeof(*r->pipes))))
        return NNG_ENOMEM;
    if ((rv = nng_req0_open(&r->sock))) {
        free(r->pipes);
        r->pipes = NULL;
        return rv;
    }
    r->open = true;
    /* no resends, no reconnects: one request, one pipe, one session */
    if ((rv = nng_socket_set_ms(r->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE)) ||
        (rv = nng_socket_set_ms(r->sock, NNG_OPT_SENDTIMEO, RAW_WAIT_MS)) ||
        (rv = nng_pipe_notify(r->sock, NNG_PIPE_EV_ADD_POST, pipe_event, r->pipes)) ||
        (rv = nng_pipe_notify(r->sock, NNG_PIPE_EV_REM_POST, pipe_event, r->pipes)) ||
        (rv = nng_dialer_create(&d, r->sock, address)) ||
        (rv = nng_dialer_set_ms(d, NNG_OPT_RECONNMINT, 3600 * 1000)) ||
        (rv = nng_dialer_set_ms(d, NNG_OPT_RECONNMAXT, 3600 * 1000)) ||
        (rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK))) {
        raw_close(r);
        return rv;
    }
    /* not a blocking dial: a broker that accepts but never negotiates
     * must fail the test, not hang it */
    int64_t give_up = mono_ms() + RAW_WAIT_MS;
    while (load(&r->pipes->added) == 0) {
        if (mono_ms() >= give_up) {
            raw_close(r);
            return NNG_ETIMEDOUT;
        }
        sleep_ms(2);
    }
    return 0;
}

void raw_close(struct raw_conn *r)
{
    if (r->open) {
        nng_close(r->sock); /* no pipe callbacks after this */
        free(r->pipes);
        r->pipes = NULL;
    }
    r->open = false;
}

int raw_pipes_removed(const struct raw_conn *r)
{
    return r->open ? load(&r->pipes->removed) : 0;
}

static void aio_done(void *arg)
{
    __atomic_store_n((int *)arg, 1, __ATOMIC_SEQ_CST);
}

/* dropped_since() - whether a pipe of @r went away after @removed were
 * counted, allowing nng's pipe event up to 1 s to arrive after the failed
 * send or receive that it caused (a busy machine delays it). */
static bool dropped_since(struct raw_conn *r, int removed)
{
    int64_t give_up = mono_ms() + 1000;
    while (load(&r->pipes->removed) <= removed) {
        if (mono_ms() >= give_up)
            return false;
        sleep_ms(2);
    }
    return true;
}

enum raw_result raw_call(struct raw_conn *r, const void *buf, size_t len, int timeout_ms,
                         nng_msg **reply)
{
    nng_msg *m;
    nng_aio *aio;
    int done = 0;
    int removed = load(&r->pipes->removed);
    if (reply)
        *reply = NULL;
    if (removed >= load(&r->pipes->added))
        return RAW_DROPPED;
    if (nng_msg_alloc(&m, 0) || nng_msg_append(m, buf, len))
        return RAW_ERROR;
    if (nng_aio_alloc(&aio, aio_done, &done)) {
        nng_msg_free(m);
        return RAW_ERROR;
    }
    if (nng_sendmsg(r->sock, m, 0)) {
        nng_msg_free(m);
        nng_aio_free(aio);
        return dropped_since(r, removed) ? RAW_DROPPED : RAW_ERROR;
    }
    nng_aio_set_timeout(aio, timeout_ms);
    nng_recv_aio(r->sock, aio);
    /* wait for the reply, but notice at once when the broker drops the pipe */
    while (!load(&done)) {
        if (load(&r->pipes->removed) > removed) {
            nng_aio_cancel(aio);
            break;
        }
        sleep_ms(2);
    }
    nng_aio_wait(aio);
    int rv = nng_aio_result(aio);
    enum raw_result res = rv == 0                    ? RAW_REPLY
                          : rv == NNG_ETIMEDOUT      ? RAW_TIMEOUT
                          : dropped_since(r, removed) ? RAW_DROPPED
                                                     : RAW_ERROR;
    if (rv == 0) {
        m = nng_aio_get_msg(aio);
        if (reply)
            *reply = m;
        else
            nng_msg_free(m);
    }
    nng_aio_free(aio);
    return res;
}

int raw_status(nng_msg *reply, mp_reader *rest, uint32_t *nfields)
{
    int status;
    mp_reader r;
    uint32_t n;
    if (reply_decode(nng_msg_body(reply), nng_msg_len(reply), &status, &r, &n) != SM_OK)
        return -1;
    if (rest)
        *rest = r;
    if (nfields)
        *nfields = n;
    return status;
}

int raw_request(struct raw_conn *r, const msgpack_sbuffer *req, nng_msg **reply)
{
    nng_msg *m;
    if (reply)
        *reply = NULL;
    switch (raw_call(r, req->data, req->size, RAW_WAIT_MS, &m)) {
    case RAW_REPLY:
        break;
    case RAW_DROPPED:
        return -2;
    default:
        return -3;
    }
    int status = raw_status(m, NULL, NULL);
    if (reply)
        *reply = m;
    else
        nng_msg_free(m);
    return status;
}

/* read_key() - the key bytes as the broker reads them, mode not checked. */
static int read_key(const char *path, uint8_t *key, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, key, SM_KEY_MAX + 1);
    close(fd);
    if (n < 0)
        return -1;
    if (n > 0 && key[n - 1] == '\n')
        n--;
    *len = (size_t)n;
    return 0;
}

int raw_handshake(struct raw_conn *r, const char *keyfile)
{
    uint8_t key[SM_KEY_MAX + 1], cnonce[SM_NONCE_LEN], proof[SM_MAC_LEN];
    const void *bnonce;
    uint32_t blen, nf;
    size_t keylen;
    nng_msg *m;
    mp_reader rest;
    msgpack_sbuffer sb;
    msgpack_packer pk;

    if (auth_init() || read_key(keyfile, key, &keylen) < 0)
        return -3;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_uint64(&pk, SMOP_hello);
    msgpack_pack_uint64(&pk, SM_PROTO_VERSION);
    msgpack_pack_str_with_body(&pk, "harness", 7);
    int st = raw_request(r, &sb, &m);
    msgpack_sbuffer_destroy(&sb);
    if (st != SM_OK)
        goto out;
    if (raw_status(m, &rest, &nf) != SM_OK || nf < 1 || mp_read_bin(&rest, &bnonce, &blen) ||
        blen != SM_NONCE_LEN) {
        nng_msg_free(m);
        return SM_EPROTO;
    }
    uint8_t bn[SM_NONCE_LEN];
    memcpy(bn, bnonce, SM_NONCE_LEN);
    nng_msg_free(m);
    m = NULL;

    auth_nonce(cnonce);
    auth_proof(key, keylen, AUTH_CLIENT, bn, cnonce, proof);
    msgpack_sbuffer_init(&sb);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_uint64(&pk, SMOP_auth);
    msgpack_pack_bin_with_body(&pk, proof, SM_MAC_LEN);
    msgpack_pack_bin_with_body(&pk, cnonce, SM_NONCE_LEN);
    st = raw_request(r, &sb, &m);
    msgpack_sbuffer_destroy(&sb);
    if (st != SM_OK)
        goto out;
    const void *bproof;
    uint32_t plen;
    auth_proof(key, keylen, AUTH_BROKER, bn, cnonce, proof);
    if (raw_status(m, &rest, &nf) != SM_OK || nf < 1 || mp_read_bin(&rest, &bproof, &plen) ||
        !auth_check(proof, bproof, plen))
        st = SM_EAUTH; /* the broker did not prove it has the key */
out:
    if (m) /* a reply with a refusal (or the broker's proof) */
        nng_msg_free(m);
    memset(key, 0, sizeof(key));
    return st;
}

int raw_ls(struct raw_conn *r, const char *name, struct ls_row *row)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nng_msg *m;
    mp_reader rest;
    uint32_t nf, nrows, ncols;
    int found = -1;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_uint64(&pk, SMOP_ls);
    int st = raw_request(r, &sb, &m);
    msgpack_sbuffer_destroy(&sb);
    if (st != SM_OK) {
        if (m)
            nng_msg_free(m);
        return -1;
    }
    raw_status(m, &rest, &nf);
    if (nf < 1 || mp_read_array(&rest, &nrows))
        goto out;
    for (uint32_t i = 0; i < nrows && found < 0; i++) {
        const char *s, *t;
        uint32_t slen, tlen;
        const uint8_t *raw;
        size_t rawlen;
        int64_t pid;
        if (mp_read_array(&rest, &ncols) || ncols < 7 || mp_read_str(&rest, &s, &slen))
            goto out;
        if (slen != strlen(name) || memcmp(s, name, slen)) {
            for (uint32_t k = 1; k < ncols; k++)
                if (mp_read_raw(&rest, &raw, &rawlen))
                    goto out;
            continue;
        }
        memset(row, 0, sizeof(*row));
        if (mp_read_str(&rest, &t, &tlen) || mp_read_uint(&rest, &row->size) ||
            mp_read_uint(&rest, &row->waiters))
            goto out;
        snprintf(row->type, sizeof(row->type), "%.*s", (int)tlen, t);
        if (mp_peek(&rest) == MP_NIL) {
            mp_read_nil(&rest);
            row->holder_pid = -2;
        } else if (mp_read_int(&rest, &pid) == SM_OK) {
            row->holder_pid = (long)pid;
        } else {
            goto out;
        }
        if (mp_read_bool(&rest, &row->temp) || mp_read_int(&rest, &row->created_ms))
            goto out;
        found = 0;
    }
out:
    nng_msg_free(m);
    return found;
}

long raw_ls_waiters(struct raw_conn *r, const char *name)
{
    struct ls_row row;
    return raw_ls(r, name, &row) == 0 ? (long)row.waiters : -1;
}


void raw_admin(struct sm_broker *b, struct raw_conn *r)
{
    ck_assert_int_eq(raw_open(r, b->address), 0);
    ck_assert_int_eq(raw_handshake(r, b->keyfile), SM_OK);
}

int raw_simple(struct raw_conn *r, int opcode, nng_msg **reply)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_uint64(&pk, (uint64_t)opcode);
    int rc = raw_request(r, &sb, reply);
    msgpack_sbuffer_destroy(&sb);
    return rc;
}

nng_msg *raw_stats(struct sm_broker *b)
{
    struct raw_conn r;
    nng_msg *m;
    raw_admin(b, &r);
    ck_assert_int_eq(raw_simple(&r, SMOP_stats, &m), SM_OK);
    raw_close(&r);
    return m;
}

/* map_get() - the value of @key in the msgpack map @m, or NULL. */
static const msgpack_object *map_get(const msgpack_object *m, const char *key)
{
    ck_assert_int_eq(m->type, MSGPACK_OBJECT_MAP);
    for (uint32_t i = 0; i < m->via.map.size; i++) {
        const msgpack_object_kv *kv = &m->via.map.ptr[i];
        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == strlen(key) &&
            !memcmp(kv->key.via.str.ptr, key, strlen(key)))
            return &kv->val;
    }
    return NULL;
}

void raw_stats_map(struct sm_broker *b, const char *section, const char *const *keys,
                   uint64_t *out, size_t n)
{
    msgpack_unpacked u;
    nng_msg *m = raw_stats(b);
    msgpack_unpacked_init(&u);
    ck_assert_int_eq(msgpack_unpack_next(&u, nng_msg_body(m), nng_msg_len(m), NULL),
                     MSGPACK_UNPACK_SUCCESS);
    ck_assert(u.data.type == MSGPACK_OBJECT_ARRAY && u.data.via.array.size == 2);
    const msgpack_object *sec = map_get(&u.data.via.array.ptr[1], section);
    ck_assert_msg(sec != NULL, "no %s in the stats", section);
    for (size_t i = 0; i < n; i++) {
        const msgpack_object *v = map_get(sec, keys[i]);
        ck_assert_msg(v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER, "no %s.%s in the stats",
                      section, keys[i]);
        out[i] = v->via.u64;
    }
    msgpack_unpacked_destroy(&u);
    nng_msg_free(m);
}

void raw_wait_parked(struct raw_conn *r, const char *name, long n)
{
    long got = -1;
    int64_t give_up = mono_ms() + 10000;
    while (mono_ms() < give_up) {
        if ((got = raw_ls_waiters(r, name)) == n)
            return;
        usleep(500);
    }
    ck_abort_msg("%s: %ld parked requests after 10 s, expected %ld", name, got, n);
}
