/*
 * gen_seeds.c - writes the seed corpus of the fuzz targets from real frames
 * of every op in ops.def:
 *
 *   gen_seeds DIR    writes DIR/frame/<op> (one request frame per op, plus a
 *                    few replies and values) and DIR/dispatch/<op> (a script
 *                    for fuzz_dispatch.c: open an object of the op's type,
 *                    then the op from two sessions, then every deadline
 *                    expired), plus DIR/dispatch/story-<type> (every op of a
 *                    type in turn from each kind of session).
 *
 * The committed corpus in tests/fuzz/corpus was made by it; run it again
 * after adding ops (see tests/fuzz/README.md).
 */
#include <msgpack.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "op.h"

static const char *outdir;

/* ---- frames --------------------------------------------------------------- */

/* RAW("...") - a string literal of packed msgpack and its length. */
#define RAW(lit) lit, sizeof(lit) - 1

/* pack_opts() - the options map an open of @type needs, or nil. */
static void pack_opts(msgpack_packer *pk, unsigned type)
{
    static const struct {
        unsigned type;
        const char *packed;
        size_t len;
    } opts[] = {
        {SM_T_BARRIER, RAW("\x81\xa7parties\x02")},
        {SM_T_QUEUE, RAW("\x82\xa7maxsize\x02\xa8joinable\xc3")},
        {SM_T_SEM, RAW("\x82\xa5value\x01\xa7" "bounded\xc3")},
        {SM_T_VALUE, RAW("\x81\xa7initial\x00")},
        {SM_T_ARRAY, RAW("\x82\xa8typecode\xa1i\xa6length\x03")},
    };
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
        if (opts[i].type == type) {
            pk->callback(pk->data, opts[i].packed, opts[i].len);
            return;
        }
    msgpack_pack_nil(pk);
}

static void pack_request(msgpack_sbuffer *sb, unsigned opcode);
static void pack_open(msgpack_sbuffer *sb, unsigned type);

/* pack_batch() - a batch's requests: open a dict, then every dict op. */
static void pack_batch(msgpack_packer *pk)
{
    msgpack_sbuffer reqs;
    uint32_t n = 1;
    msgpack_sbuffer_init(&reqs);
    pack_open(&reqs, SM_T_DICT);
    for (unsigned code = 1; code < SMOP_MAX; code++) {
        const struct op_desc *op = op_lookup(code);
        if (op && op->name && op->type == SM_T_DICT) {
            pack_request(&reqs, code);
            n++;
        }
    }
    msgpack_pack_array(pk, n);
    pk->callback(pk->data, reqs.data, reqs.size);
    msgpack_sbuffer_destroy(&reqs);
}

/* pack_field() - a plausible value for field letter @c of @op (the @nv-th
 * 'v' so far). */
static void pack_field(msgpack_packer *pk, const struct op_desc *op, char c, unsigned nv)
{
    static const uint8_t bytes[SM_NONCE_LEN] = {0x11, 0x22, 0x33};
    switch (c) {
    case 'v':
        if (nv == 0)
            msgpack_pack_int64(pk, 7);
        else
            msgpack_pack_str_with_body(pk, "x", 1);
        break;
    case 'i':
        msgpack_pack_int64(pk, 0);
        break;
    case 'u':
        msgpack_pack_uint64(pk, 1);
        break;
    case 't':
        msgpack_pack_int64(pk, op->flags & OPF_BLOCKING ? 1000 : 0);
        break;
    case 's':
        msgpack_pack_str_with_body(pk, "o", 1);
        break;
    case 'x':
        msgpack_pack_bin_with_body(pk, bytes, sizeof(bytes));
        break;
    case 'b':
        msgpack_pack_true(pk);
        break;
    case 'a':
        if (op == op_lookup(SMOP_batch)) {
            pack_batch(pk);
            break;
        }
        msgpack_pack_array(pk, 3);
        msgpack_pack_int64(pk, 3);
        msgpack_pack_int64(pk, 1);
        msgpack_pack_int64(pk, 2);
        break;
    case 'm':
        msgpack_pack_map(pk, 1);
        msgpack_pack_str_with_body(pk, "a", 1);
        msgpack_pack_int64(pk, 1);
        break;
    case 'n':
        msgpack_pack_nil(pk);
        break;
    }
}

/* pack_request() - [opcode, (handle 1,) every field] for @opcode. */
static void pack_request(msgpack_sbuffer *sb, unsigned opcode)
{
    const struct op_desc *op = op_lookup(opcode);
    msgpack_packer pk;
    size_t n = 1 + (op->type != 0);
    unsigned nv = 0;
    for (const char *c = op->args; *c; c++)
        n += *c != '|';
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, n);
    msgpack_pack_uint64(&pk, opcode);
    if (op->type)
        msgpack_pack_uint64(&pk, 1);
    for (const char *c = op->args; *c; c++)
        if (*c != '|')
            pack_field(&pk, op, *c, *c == 'v' ? nv++ : 0);
}

/* pack_open() - open "o" as @type, created, with its options. */
static void pack_open(msgpack_sbuffer *sb, unsigned type)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 5);
    msgpack_pack_uint64(&pk, SMOP_open);
    msgpack_pack_str_with_body(&pk, "o", 1);
    msgpack_pack_uint64(&pk, type);
    msgpack_pack_uint64(&pk, OPEN_CREATE);
    pack_opts(&pk, type);
}

/* ---- files ------------------------------------------------------------------ */

static void write_file(const char *dir, const char *name, const void *p, size_t n)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", outdir, dir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/%s/%s", outdir, dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* record() - append one fuzz_dispatch record: @flags, then the frame. */
static void record(msgpack_sbuffer *script, unsigned flags, const msgpack_sbuffer *frame)
{
    uint8_t hdr[3] = {(uint8_t)flags, (uint8_t)frame->size, (uint8_t)(frame->size >> 8)};
    msgpack_sbuffer_write(script, (const char *)hdr, sizeof(hdr));
    msgpack_sbuffer_write(script, frame->data, frame->size);
}

/* record_op() - append @opcode (open, when @opcode is 0, of @type). */
static void record_op(msgpack_sbuffer *script, unsigned flags, unsigned opcode, unsigned type)
{
    msgpack_sbuffer f;
    msgpack_sbuffer_init(&f);
    if (opcode)
        pack_request(&f, opcode);
    else
        pack_open(&f, type);
    record(script, flags, &f);
    msgpack_sbuffer_destroy(&f);
}

/* seeds_for_op() - the frame and the dispatch script of one op. */
static void seeds_for_op(unsigned opcode, const struct op_desc *op)
{
    msgpack_sbuffer f, script;
    msgpack_sbuffer_init(&f);
    pack_request(&f, opcode);
    write_file("frame", op->name, f.data, f.size);
    msgpack_sbuffer_init(&script);
    if (op->type)
        record_op(&script, 0, 0, op->type);
    record(&script, 0, &f);
    record(&script, 1, &f);
    record(&script, 0x80, &f);
    write_file("dispatch", op->name, script.data, script.size);
    msgpack_sbuffer_destroy(&script);
    msgpack_sbuffer_destroy(&f);
}

/* story() - every op of @type (0: the session and registry ops, with a dict
 * to find) from sessions 0, 1, read-only, unauthenticated; then session 0's
 * pipe goes. */
static void story(unsigned type)
{
    msgpack_sbuffer script;
    char name[64];
    msgpack_sbuffer_init(&script);
    record_op(&script, 0, 0, type ? type : SM_T_DICT);
    for (unsigned sess = 0; sess < 4; sess++)
        for (unsigned code = 1; code < SMOP_MAX; code++) {
            const struct op_desc *op = op_lookup(code);
            if (op && op->name && op->type == type)
                record_op(&script, sess, code, 0);
        }
    record_op(&script, 0x40, SMOP_ping, 0);
    snprintf(name, sizeof(name), "story-%s", type ? type_name(type) : "registry");
    write_file("dispatch", name, script.data, script.size);
    msgpack_sbuffer_destroy(&script);
}

/* extras() - replies and values in forms the ops above do not use. */
static void extras(void)
{
    static const struct {
        const char *name;
        const char *bytes;
        size_t len;
    } x[] = {
        /* (a literal's hex escape swallows the letters after it: split there) */
        {"reply-ok", RAW("\x92\x00\x01")},
        {"reply-error", RAW("\x91\x05")},
        {"value-float32", RAW("\xca\x3f\x80\x00\x00")},
        {"value-float64", RAW("\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00")},
        {"value-int64", RAW("\xd3\xff\xff\xff\xff\xff\xff\xff\xfe")},
        {"value-uint64", RAW("\xcf\xff\xff\xff\xff\xff\xff\xff\xff")},
        {"value-str8", RAW("\xd9\x03" "abc")},
        {"value-bin8", RAW("\xc4\x02\x00\x01")},
        {"value-ext", RAW("\xd5\x01\x02\x03")},
        {"value-nested", RAW("\x91\x91\x91\x81\xa1k\x93\xc0\xc2\xc3")},
        {"value-map16", RAW("\xde\x00\x01\x01\x02")},
    };
    for (size_t i = 0; i < sizeof(x) / sizeof(x[0]); i++)
        write_file("frame", x[i].name, x[i].bytes, x[i].len);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    outdir = argv[1];
    mkdir(outdir, 0755);
    for (unsigned code = 1; code < SMOP_MAX; code++) {
        const struct op_desc *op = op_lookup(code);
        if (op && op->name)
            seeds_for_op(code, op);
    }
    for (unsigned type = 0; type < SM_T_MAX; type++)
        story(type);
    extras();
    return 0;
}
