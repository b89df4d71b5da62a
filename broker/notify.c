/* notify.c - sd_notify() when built with libsystemd, else nothing. */
#include "notify.h"

#include "log.h"

#if SM_HAVE_SYSTEMD

#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

bool notify_available(void)
{
    return true;
}

/* notify_send() - one datagram; a failure is worth a debug line, no more (the
 * service manager may be gone while we stop). */
static void notify_send(const char *state)
{
    int rc = sd_notify(0, state);
    if (rc < 0)
        log_debug("SM-NOTIFY", "sd_notify: %s", strerror(-rc));
}

void notify_ready(const char *status)
{
    int rc = status ? sd_notifyf(0, "READY=1\nSTATUS=%s", status) : sd_notify(0, "READY=1");
    if (rc < 0)
        log_warn("SM-NOTIFY", "cannot tell systemd we are ready: %s", strerror(-rc));
}

void notify_status(const char *status)
{
    char line[512];
    snprintf(line, sizeof(line), "STATUS=%s", status);
    notify_send(line);
}

void notify_reloading(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    /* MONOTONIC_USEC: what Type=notify-reload (systemd 253) asks for */
    char line[64];
    snprintf(line, sizeof(line), "RELOADING=1\nMONOTONIC_USEC=%llu",
             (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
    notify_send(line);
}

void notify_stopping(void)
{
    notify_send("STOPPING=1");
}

int64_t notify_watchdog_ms(void)
{
    uint64_t usec = 0;
    int rc = sd_watchdog_enabled(0, &usec);
    if (rc < 0)
        log_warn("SM-WATCHDOG", "ignoring a bad WATCHDOG_USEC/WATCHDOG_PID: %s", strerror(-rc));
    if (rc <= 0 || usec == 0)
        return 0;
    int64_t ms = (int64_t)(usec / 2000);
    return ms > 0 ? ms : 1;
}

void notify_watchdog(void)
{
    notify_send("WATCHDOG=1");
}

#else /* built without libsystemd */

bool notify_available(void)
{
    return false;
}

void notify_ready(const char *status)
{
    (void)status;
}

void notify_status(const char *status)
{
    (void)status;
}

void notify_reloading(void)
{
}

void notify_stopping(void)
{
}

int64_t notify_watchdog_ms(void)
{
    return 0;
}

void notify_watchdog(void)
{
}

#endif
