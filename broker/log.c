/* log.c - one line per message on stderr, journald-friendly. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* atomic: SIGHUP changes it in the main loop while nng's threads log */
static _Atomic int max_level = LOG_INFO;

void log_set_level(int level)
{
    max_level = level;
}

int log_parse_level(const char *s)
{
    static const struct {
        const char *name;
        int level;
    } names[] = {{"error", LOG_ERR}, {"err", LOG_ERR},   {"warn", LOG_WARN},
                 {"warning", LOG_WARN}, {"notice", LOG_NOTICE}, {"info", LOG_INFO},
                 {"debug", LOG_DEBUG}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(s, names[i].name) == 0)
            return names[i].level;
    char *end;
    long v = strtol(s, &end, 10);
    return *s && !*end && v >= LOG_ERR && v <= LOG_DEBUG ? (int)v : -1;
}

const char *log_level_name(int level)
{
    static const char *const names[] = {"error", "warn", "notice", "info", "debug"};
    return level >= LOG_ERR && level <= LOG_DEBUG ? names[level - LOG_ERR] : "?";
}

void log_msg(int level, const char *id, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    if (level > max_level)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* one fprintf: lines from different threads do not interleave */
    fprintf(stderr, "<%d>%s %s\n", level, id, line);
}
