/* codec_util.c - helpers shared by the codec unit tests: an allocator that
 * counts, a packing buffer, validation and canonical-form assertions. */
#include <check.h>
#include <math.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "codec_util.h"
#include "errors.h"

/* ---- allocation counting ------------------------------------------------
 * The validator must never allocate (msgpack-c reserves memory for declared
 * lengths before the elements arrive), so this program counts allocations.
 * Normally it interposes the allocator and glibc's own entry points do the
 * work; under AddressSanitizer, which owns malloc, its allocation hook
 * counts instead. */
volatile unsigned long alloc_calls;

#if defined(__SANITIZE_ADDRESS__)
#define CU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CU_ASAN 1
#endif
#endif

#ifdef CU_ASAN
/* the sanitizer runtime's hook interface (sanitizer/allocator_interface.h,
 * which gcc does not ship) */
int __sanitizer_install_malloc_and_free_hooks(void (*)(const volatile void *, size_t),
                                              void (*)(const volatile void *));

static void count_malloc(const volatile void *p, size_t n)
{
    (void)p;
    (void)n;
    alloc_calls++;
}

static void count_free(const volatile void *p)
{
    (void)p;
}

__attribute__((constructor)) static void count_start(void)
{
    __sanitizer_install_malloc_and_free_hooks(count_malloc, count_free);
}
#else
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

void *malloc(size_t n)
{
    alloc_calls++;
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
    alloc_calls++;
    return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
    alloc_calls++;
    return __libc_realloc(p, n);
}

void free(void *p)
{
    __libc_free(p);
}
#endif

/* ---- helpers ------------------------------------------------------------ */


void pb_init(struct pb *b)
{
    msgpack_sbuffer_init(&b->sb);
    msgpack_packer_init(&b->pk, &b->sb, msgpack_sbuffer_write);
}

void pb_free(struct pb *b)
{
    msgpack_sbuffer_destroy(&b->sb);
}

const uint8_t *pb_data(const struct pb *b)
{
    return (const uint8_t *)b->sb.data;
}


int validate(const uint8_t *p, size_t n)
{
    return mp_validate(p, n, SM_MAX_DEPTH);
}

/* msgpack-c agrees that @p holds exactly one object. */
void assert_msgpack_c_accepts(const uint8_t *p, size_t n)
{
    msgpack_unpacked u;
    size_t off = 0;
    msgpack_unpacked_init(&u);
    msgpack_unpack_return r = msgpack_unpack_next(&u, (const char *)p, n, &off);
    msgpack_unpacked_destroy(&u);
    ck_assert_int_eq(r, MSGPACK_UNPACK_SUCCESS);
    ck_assert_uint_eq(off, n);
}

/* The canonical bytes of @p, in a fresh malloc'd buffer. */
size_t canon_of(const uint8_t *p, size_t n, uint8_t **out)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    ck_assert_int_eq(mp_canon(p, n, &sb), SM_OK);
    size_t len = sb.size;
    *out = (uint8_t *)msgpack_sbuffer_release(&sb);
    return len;
}

void assert_canon(const uint8_t *p, size_t n, const uint8_t *want, size_t wantlen)
{
    uint8_t *c;
    size_t len = canon_of(p, n, &c);
    ck_assert_uint_eq(len, wantlen);
    ck_assert_mem_eq(c, want, wantlen);
    free(c);
}

void assert_same_canon(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    uint8_t *ca, *cb;
    size_t la = canon_of(a, alen, &ca), lb = canon_of(b, blen, &cb);
    ck_assert_uint_eq(la, lb);
    ck_assert_mem_eq(ca, cb, la);
    free(ca);
    free(cb);
}

bool same_canon(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    uint8_t *ca, *cb;
    size_t la = canon_of(a, alen, &ca), lb = canon_of(b, blen, &cb);
    bool same = la == lb && memcmp(ca, cb, la) == 0;
    free(ca);
    free(cb);
    return same;
}

/* A value with every kind of object in it, several encodings of each. */
void pack_rich(struct pb *b)
{
    static const char big[300] = "0123456789";
    msgpack_packer *pk = &b->pk;
    msgpack_pack_array(pk, 8);
    msgpack_pack_nil(pk);
    msgpack_pack_true(pk);
    msgpack_pack_array(pk, 12); /* integers and floats */
    msgpack_pack_int(pk, 7);
    msgpack_pack_int(pk, -7);
    msgpack_pack_fix_uint8(pk, 200);
    msgpack_pack_fix_uint16(pk, 60000);
    msgpack_pack_fix_uint32(pk, 4000000000u);
    msgpack_pack_fix_uint64(pk, UINT64_MAX);
    msgpack_pack_fix_int8(pk, -100);
    msgpack_pack_fix_int16(pk, -30000);
    msgpack_pack_fix_int32(pk, -2000000000);
    msgpack_pack_fix_int64(pk, INT64_MIN);
    msgpack_pack_float(pk, 1.5f);
    msgpack_pack_double(pk, -2.25);
    msgpack_pack_map(pk, 3); /* strings and binaries */
    msgpack_pack_str_with_body(pk, "k", 1);
    msgpack_pack_str_with_body(pk, big, 40); /* str8 */
    msgpack_pack_bin_with_body(pk, "b", 1);
    msgpack_pack_str_with_body(pk, big, 300); /* str16 */
    msgpack_pack_int(pk, 1);
    msgpack_pack_bin_with_body(pk, big, 300); /* bin16 */
    msgpack_pack_array(pk, 3); /* extensions */
    msgpack_pack_ext_with_body(pk, "abcd", 4, 5);  /* fixext4 */
    msgpack_pack_ext_with_body(pk, "abc", 3, -3);  /* ext8 */
    msgpack_pack_ext_with_body(pk, big, 300, 1);   /* ext16 */
    msgpack_pack_array(pk, 20); /* array16 */
    for (int i = 0; i < 20; i++)
        msgpack_pack_int(pk, i);
    msgpack_pack_map(pk, 16); /* map16 */
    for (int i = 0; i < 16; i++) {
        msgpack_pack_int(pk, i);
        msgpack_pack_array(pk, 1);
        msgpack_pack_map(pk, 0);
    }
    msgpack_pack_array(pk, 0);
}

/* 0x91 x @n then nil: arrays nested @n deep. */
size_t nested(uint8_t *buf, unsigned n, uint8_t container)
{
    size_t k = 0;
    for (unsigned i = 0; i < n; i++) {
        buf[k++] = container;
        if (container == 0x81)
            buf[k++] = 0x00; /* map key */
    }
    buf[k++] = 0xc0;
    return k;
}

