/*
 * notify.h - the systemd notify protocol (sd_notify(3)): readiness, status,
 * watchdog, stopping.
 *
 * Built with libsystemd when CMake's SM_WITH_SYSTEMD allows it; without it
 * every function here does nothing (notify_watchdog_ms() is 0), so callers
 * need no #ifdef.  Without $NOTIFY_SOCKET (not started by systemd) the
 * calls do nothing either.
 */
#ifndef SM_BROKER_NOTIFY_H
#define SM_BROKER_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/* notify_available() - whether support for the protocol is compiled in. */
bool notify_available(void);

/* notify_ready() - READY=1 with a first STATUS= line (@status may be NULL). */
void notify_ready(const char *status);

/* notify_status() - STATUS=@status. */
void notify_status(const char *status);

/* notify_reloading() - RELOADING=1 (a SIGHUP); notify_ready() follows once
 * the reload is done.  notify_stopping() - STOPPING=1. */
void notify_reloading(void);
void notify_stopping(void);

/**
 * notify_watchdog_ms() - how often to send WATCHDOG=1: half of
 * $WATCHDOG_USEC when systemd watches this process (sd_watchdog_enabled()),
 * else 0.  Read once at start-up.
 */
int64_t notify_watchdog_ms(void);

/* notify_watchdog() - WATCHDOG=1: the core's loop is alive. */
void notify_watchdog(void);

#endif
