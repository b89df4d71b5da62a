/*
 * listener.h - one --listen address, and for ipc:// a guard that keeps it
 * accepting.
 *
 * nng 1.5.2 has a bug (upstream issue 1518, fixed in 1.6): a peer that
 * closes while nng negotiates the SP header can stop a listener from ever
 * accepting again, while the broker and every connected client carry on.
 * Any local user allowed on the socket could cause it, and an ordinary
 * client killed at the wrong moment does.  So the main loop probes each ipc
 * listener every few seconds with a real SP header exchange; when nng never
 * answers, a fresh listener is bound at "<path>.new" and renamed over the
 * path.  Connected clients keep their pipes (they belong to the old
 * listener, which stays open); new clients reach the new one.
 */
#ifndef SM_BROKER_LISTENER_H
#define SM_BROKER_LISTENER_H

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct listener;

/**
 * listener_start() - listen on @url (ipc:// with socket mode @ipc_mode,
 * tcp:// or tls+tcp://) accepting messages up to @max_message_bytes.  Refuses an ipc path
 * where another broker answers.  On failure returns an SM_E* code with a
 * one-line reason in @why.
 */
int listener_start(struct listener **out, nng_socket sock, const char *url, int ipc_mode,
                   size_t max_message_bytes, char *why, size_t whylen);

/**
 * listener_set_ipc_group() - give every ipc socket file bound from now on
 * (replacements too) to group @gid; (gid_t)-1, the default, leaves the
 * broker's own.  Call before the listeners start.
 */
void listener_set_ipc_group(gid_t gid);

/**
 * listener_set_tls() - the TLS configuration (tls.h) every tls+tcp://
 * listener started from now on uses; NULL, the default, makes tls+tcp://
 * addresses fail to start.  The caller keeps its reference and frees it
 * after the listeners.
 */
void listener_set_tls(nng_tls_config *cfg);

/* listener_ipc_in_use() - another broker answers at the ipc:// @url (a
 * full SP dial; a stale socket file does not count). */
bool listener_ipc_in_use(const char *url);

/* listener_ipc_group() - give the socket file @path to the group set with
 * listener_set_ipc_group(), if any; SM_EIO with a reason in @why. */
int listener_ipc_group(const char *path, char *why, size_t whylen);

/* listener_free() - after nng_close(): remove the ipc socket file, free. */
void listener_free(struct listener *l);

/**
 * listener_poll() - what the main loop must watch for @l: fills @pfd and
 * returns 1 while a probe is under way, else 0; lowers *timeout_ms to when
 * @l next needs listener_check().
 */
int listener_poll(struct listener *l, int64_t now, struct pollfd *pfd, int *timeout_ms);

/* listener_check() - after poll(): advance the probe (@revents of its fd,
 * 0 when it was not watched or nothing happened). */
void listener_check(struct listener *l, short revents, int64_t now);

#endif
