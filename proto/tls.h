/*
 * tls.h - an nng TLS configuration from PEM files, for the broker's
 * tls+tcp:// listeners and the client library's tls+tcp:// dialers.
 *
 * nng 1.5.2 speaks TLS 1.2 through mbedTLS.  A server needs a certificate
 * and its key; with a CA file it also requires every client to present a
 * certificate that chains to it.  A client verifies the server against its
 * CA file (no CA file: no server can be verified, so the handshake fails)
 * and presents a certificate when given one.
 */
#ifndef SM_PROTO_TLS_H
#define SM_PROTO_TLS_H

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>
#include <stdbool.h>
#include <stddef.h>

/* tls_url() - whether @url is a tls+tcp:// address. */
bool tls_url(const char *url);

/**
 * tls_config_new() - a TLS configuration: a server one when @server, else a
 * client one.  @ca, @cert and @key are PEM file names, each may be NULL
 * (@cert and @key go together).  A server with @ca requires client
 * certificates.  Returns SM_OK with *out (free with nng_tls_config_free()),
 * or an SM_E* code with a one-line reason in @why.
 */
int tls_config_new(nng_tls_config **out, bool server, const char *ca, const char *cert,
                   const char *key, char *why, size_t whylen);

#endif
