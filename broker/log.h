/*
 * log.h - broker logging to stderr with sd-daemon priority prefixes
 * ("<3>" ... "<7>") and a stable message id an operator can grep, e.g.
 *   <4>SM-AUTH-FAIL pipe 7 pid 1234 uid 1000: wrong proof
 */
#ifndef SM_BROKER_LOG_H
#define SM_BROKER_LOG_H

enum log_level { LOG_ERR = 3, LOG_WARN = 4, LOG_NOTICE = 5, LOG_INFO = 6, LOG_DEBUG = 7 };

/* log_set_level() - messages above @level are dropped. */
void log_set_level(int level);

/* log_parse_level() - "error", "warn", "info", "debug" (or 3..7); -1 if bad. */
int log_parse_level(const char *s);

/* log_level_name() - "error", "warn", "notice", "info" or "debug". */
const char *log_level_name(int level);

/* log_msg() - one line: priority prefix, message id, formatted text. */
void log_msg(int level, const char *id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_err(id, ...) log_msg(LOG_ERR, id, __VA_ARGS__)
#define log_warn(id, ...) log_msg(LOG_WARN, id, __VA_ARGS__)
#define log_info(id, ...) log_msg(LOG_INFO, id, __VA_ARGS__)
#define log_debug(id, ...) log_msg(LOG_DEBUG, id, __VA_ARGS__)

#endif
