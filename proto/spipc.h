/*
 * spipc.h - nng's SP-over-ipc wire format, spoken without nng by the client
 * (libclient/ipc_direct.c) and by the broker's own ipc engine
 * (broker/ipc_server.c), so that both speak to nng peers too.
 *
 * A connection opens with an 8-byte header each way: "\0SP\0", the 16-bit
 * protocol id (REQ0 0x30, REP0 0x31), two zero bytes.  Each message then is
 * a type byte (1), its 64-bit big-endian length, and its body; a REQ body
 * starts with a 32-bit request id whose high bit is set.
 */
#ifndef SM_PROTO_SPIPC_H
#define SM_PROTO_SPIPC_H

#include <stdint.h>

#define SP_REQ0 0x30
#define SP_REP0 0x31
#define SP_HDR_LEN 8      /* the connection header */
#define SP_MSG_TYPE 0x01  /* the type byte of a message */
#define SP_FRAME_HDR 9    /* type byte, 64-bit length */
#define SP_ID_BIT 0x80000000u /* marks the last word of a backtrace: the request id */

/* sp_put_be() - @v as @n big-endian bytes at @p. */
static inline void sp_put_be(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* sp_get_be() - @n big-endian bytes at @p. */
static inline uint64_t sp_get_be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

#endif
