/*
 * ctl_watch.c - syncmgrctl watch and monitor: the broker's events as they
 * happen (broker/events.c), by calling watch.next in a loop.  Each call
 * parks in the broker until an event arrives or WATCH_WAIT_MS pass (then it
 * is simply called again), so a change is printed as soon as it is made.
 *
 * One line per event, flushed at once: "TIME SESSION/PID OP OBJECT" (monitor
 * marks changes with '*'), or with --json the event as the broker sent it:
 * {"seq":…,"time_ms":…,"session":…,"pid":…,"op":"dict.set","object":"d",
 * "change":true}.  SIGINT and SIGTERM end it with exit status 0.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client_internal.h"
#include "ctl.h"
#include "ctl_json.h"
#include "errors.h"

#define WATCH_WAIT_MS 2000

/* A signal ends the program at once unless a line is being printed; then
 * the loop ends after it. */
static volatile sig_atomic_t stop, printing;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
    if (!printing)
        _exit(CTL_OK); /* every line printed is flushed already */
}

/* stamp() - @ms as local time with milliseconds: 2024-05-01T12:34:56.789+02:00 */
static void stamp(int64_t ms, char *buf, size_t size)
{
    char t[48];
    ctl_iso_time(ms, t, sizeof(t));
    size_t n = strcspn(t + 10, "+-"); /* after the date: the offset */
    snprintf(buf, size, "%.*s.%03d%s", (int)(10 + n), t, (int)(ms % 1000), t + 10 + n);
}

static void print_event(const struct ctl *x, const json_t *e, bool monitor)
{
    char when[64], *s;
    if (x->json) {
        if ((s = ctl_json_dumps(e, true)))
            puts(s);
        free(s);
        return;
    }
    const json_t *obj = json_object_get(e, "object");
    stamp(json_integer_value(json_object_get(e, "time_ms")), when, sizeof(when));
    printf("%s %" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT " %s%s%s%s\n", when,
           json_integer_value(json_object_get(e, "session")),
           json_integer_value(json_object_get(e, "pid")),
           monitor && json_is_true(json_object_get(e, "change")) ? "*" : "",
           json_string_value(json_object_get(e, "op")) ?: "?", json_is_string(obj) ? " " : "",
           json_is_string(obj) ? json_string_value(obj) : "");
}

/* next() - one watch.next call: print its events, advance *since. */
static int next(struct ctl *x, uint64_t *since, const char *name, bool monitor)
{
    struct smc_req rq;
    struct smc_reply rep = {0};
    const uint8_t *p;
    size_t len;
    uint64_t lost = 0;
    json_t *events = NULL;
    char err[200] = "malformed reply";
    int rc = smc_req(&rq, SMOP_watch_next, 0, "utsb", *since, WATCH_WAIT_MS, name, (int)monitor);
    if (!rc && !(rc = smc_call(x->c, &rq, &rep))) {
        if (mp_read_uint(&rep.r, since) || mp_read_raw(&rep.r, &p, &len) ||
            ctl_json_from_msgpack(p, len, &events, err, sizeof(err)) ||
            mp_read_uint(&rep.r, &lost) || !json_is_array(events))
            rc = SM_EPROTO;
    }
    smc_reply_free(&rep);
    if (rc) {
        json_decref(events);
        return rc == SM_EPROTO ? ctl_fail(rc, "%s: %s", x->cmd->name, err)
                               : ctl_fail(rc, "%s", x->cmd->name);
    }
    printing = 1;
    if (lost)
        fprintf(stderr, "syncmgrctl: %" PRIu64 " events lost (the broker keeps the last ones)\n",
                lost);
    size_t i;
    json_t *e;
    json_array_foreach (events, i, e)
        print_event(x, e, monitor);
    fflush(stdout);
    printing = 0;
    json_decref(events);
    return CTL_OK;
}

/* loop() - watch.next until a signal: "from now" (since beyond any seq). */
static int loop(struct ctl *x, const char *name, bool monitor)
{
    struct sigaction sa = {.sa_handler = on_signal};
    uint64_t since = UINT64_MAX;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);
    while (!stop) {
        int rc = next(x, &since, name, monitor);
        if (rc)
            return rc;
    }
    return CTL_OK;
}

int cmd_watch(struct ctl *x, int argc, char **argv)
{
    (void)argc;
    if (!*argv[0])
        return ctl_usage("watch: NAME must not be empty (all objects: --all)");
    return loop(x, strcmp(argv[0], "--all") ? argv[0] : "", false);
}

int cmd_monitor(struct ctl *x, int argc, char **argv)
{
    (void)argc, (void)argv;
    return loop(x, "", true);
}
