/*
 * test_config.c - syncmgrd's settings: the INI file's every error path
 * (config.c called directly), flags over the file, default locations
 * (paths.c), and end to end with the real $SYNCMGRD: one-line errors and
 * exit status 2, key-file mode refusals, socket mode and group, SIGHUP.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_run.h"
#include "config.h"
#include "harness.h"
#include "log.h"
#include "paths.h"

/* ---- helpers ------------------------------------------------------------ */

static char dir[64], conf[128];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/sm-cfg-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(conf, sizeof(conf), "%s/syncmgrd.conf", dir);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* write_conf() - @conf holds the formatted text. */
static void write_conf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void write_conf(const char *fmt, ...)
{
    va_list ap;
    FILE *f = fopen(conf, "w");
    ck_assert_ptr_nonnull(f);
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    ck_assert_int_eq(fclose(f), 0);
}

/* read_err() - config_read_file() of @conf must fail with "<conf>@suffix". */
static void read_err(const char *suffix)
{
    struct config c;
    char why[512], want[512];
    config_init(&c);
    ck_assert_int_eq(config_read_file(&c, conf, why, sizeof(why)), -1);
    config_free(&c);
    snprintf(want, sizeof(want), "%s%s", conf, suffix);
    ck_assert_str_eq(why, want);
}

/* ---- the file: errors ---------------------------------------------------- */

START_TEST(unknown_key)
{
    write_conf("# comment\n[broker]\nlisen = ipc:///tmp/x\n");
    read_err(":3: unknown key 'lisen' in [broker]");
    write_conf("[limits]\n\n; comment\nmax_parked = 3\nmax_waiters = 3\n");
    read_err(":5: unknown key 'max_waiters' in [limits]");
}
END_TEST

START_TEST(unknown_section)
{
    write_conf("[broker]\nlog_level = info\n[brokr]\nlisten = ipc:///tmp/x\n");
    read_err(":3: unknown section [brokr]");
    /* no keys in it: inih would not tell */
    write_conf("[broker]\n[tlz]\n");
    read_err(":2: unknown section [tlz]");
    write_conf("log_level = info\n");
    read_err(":1: key 'log_level' outside any section");
}
END_TEST

START_TEST(syntax_error)
{
    write_conf("[broker]\nlog_level info\n");
    read_err(":2: syntax error: expected 'key = value', '[section]' or a comment");
    write_conf("[broker\nlog_level = info\n");
    read_err(":1: syntax error: expected 'key = value', '[section]' or a comment");
    char longline[400];
    memset(longline, 'x', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = 0;
    write_conf("[broker]\nauthkey_file = /%s\nlog_level = info\n", longline);
    read_err(":2: line longer than 198 characters");
}
END_TEST

/* One bad value per typed key, and what the message says was expected. */
static const struct {
    const char *section, *key, *value, *expected;
} bad_values[] = {
    {"broker", "listen", "http://x", "expected ipc:///path or tcp://host:port"},
    {"broker", "listen", "ipc://", "expected ipc:///path or tcp://host:port"},
    {"broker", "authkey_file", "", "empty value"},
    {"broker", "readonly_authkey_file", "", "empty value"},
    {"broker", "log_level", "loud", "expected error, warn, info or debug"},
    {"ipc", "socket_mode", "0999", "expected an octal mode from 0600 to 0777, such as 0660"},
    {"ipc", "socket_mode", "660x", "expected an octal mode from 0600 to 0777, such as 0660"},
    {"ipc", "socket_mode", "0400", "expected an octal mode from 0600 to 0777, such as 0660"},
    {"ipc", "socket_mode", "01777", "expected an octal mode from 0600 to 0777, such as 0660"},
    {"ipc", "socket_group", "no-such-group-sm", "no such group"},
    {"limits", "max_message_bytes", "512",
     "expected a whole number from 1024 to 1073741824 (K, M, G suffixes allowed)"},
    {"limits", "max_message_bytes", "2G",
     "expected a whole number from 1024 to 1073741824 (K, M, G suffixes allowed)"},
    {"limits", "max_message_bytes", "16Q",
     "expected a whole number from 1024 to 1073741824 (K, M, G suffixes allowed)"},
    {"limits", "max_memory", "1K",
     "expected a whole number from 65536 to 1125899906842624 (K, M, G suffixes allowed)"},
    {"limits", "max_objects", "0", "expected a whole number from 1 to 1099511627776"},
    {"limits", "max_name_bytes", "256", "expected a whole number from 1 to 255"},
    {"limits", "max_sessions", "0", "expected a whole number from 1 to 16777216"},
    {"limits", "max_parked_per_session", "0", "expected a whole number from 1 to 1073741824"},
    {"ipc", "allow_uids", "no-such-user-sm",
     "expected up to 64 user names or numbers separated by commas"},
    {"ipc", "allow_uids", ", ,", "expected up to 64 user names or numbers separated by commas"},
    {"tls", "cert_file", "", "empty value"},
    {"limits", "max_parked", "0", "expected a whole number from 1 to 1073741824"},
    {"limits", "max_parked", "-1", "expected a whole number from 1 to 1073741824"},
    {"limits", "max_parked", "10K", "expected a whole number from 1 to 1073741824"},
    {"limits", "max_parked", "99999999999999999999999",
     "expected a whole number from 1 to 1073741824"},
    {"limits", "max_depth", "33", "expected a whole number from 2 to 32"},
    {"limits", "max_depth", "1", "expected a whole number from 2 to 32"},
    {"ipc", "busy_poll_us", "1001", "expected a whole number from 0 to 1000"},
    {"ipc", "busy_poll_us", "-5", "expected a whole number from 0 to 1000"},
};

START_TEST(bad_value)
{
    char want[256];
    write_conf("[%s]\n# the key\n%s = %s\n", bad_values[_i].section, bad_values[_i].key,
               bad_values[_i].value);
    snprintf(want, sizeof(want), ":3: bad value '%s' for %s in [%s]: %s", bad_values[_i].value,
             bad_values[_i].key, bad_values[_i].section, bad_values[_i].expected);
    read_err(want);
}
END_TEST

START_TEST(unreadable)
{
    struct config c;
    char why[512], want[512];
    config_init(&c);
    snprintf(want, sizeof(want), "%s/none.conf: cannot open: No such file or directory", dir);
    snprintf(conf, sizeof(conf), "%s/none.conf", dir);
    ck_assert_int_eq(config_read_file(&c, conf, why, sizeof(why)), -1);
    ck_assert_str_eq(why, want);
    ck_assert_int_eq(config_read_file(&c, dir, why, sizeof(why)), -1);
    snprintf(want, sizeof(want), "%s: cannot read: Is a directory", dir);
    ck_assert_str_eq(why, want);
    config_free(&c);
}
END_TEST

START_TEST(too_many_listen)
{
    char text[4096];
    size_t n = (size_t)snprintf(text, sizeof(text), "[broker]\n");
    for (int i = 0; i <= CONFIG_MAX_LISTEN; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "listen = ipc:///tmp/s%d\n", i);
    write_conf("%s", text);
    read_err(
        ":18: bad value 'ipc:///tmp/s16' for listen in [broker]: more than 16 listen addresses");
}
END_TEST

/* ---- the file: values ---------------------------------------------------- */

START_TEST(all_keys)
{
    struct config c;
    char why[512];
    write_conf("[broker]\n"
               "listen = ipc:///tmp/a.sock\n"
               "listen = tcp://127.0.0.1:7000 ; inline comment\n"
               "listen = ipc:///tmp/b.sock\n"
               "authkey_file = /etc/k\n"
               "readonly_authkey_file = /etc/rok\n"
               "log_level = debug\n"
               "log_level = warn\n" /* the last one counts */
               "[ipc]\n"
               "socket_mode = 0640\n"
               "socket_group = 0\n"
               "busy_poll_us = 0\n"
               "[limits]\n"
               "max_message_bytes = 64K\n"
               "max_parked = 100\n"
               "max_depth = 8\n");
    config_init(&c);
    ck_assert_int_eq(config_read_file(&c, conf, why, sizeof(why)), 0);
    ck_assert_uint_eq(c.nlisten, 3);
    ck_assert_str_eq(c.listen[0], "ipc:///tmp/a.sock");
    ck_assert_str_eq(c.listen[1], "tcp://127.0.0.1:7000");
    ck_assert_str_eq(c.listen[2], "ipc:///tmp/b.sock");
    ck_assert_str_eq(c.authkey_file, "/etc/k");
    ck_assert_str_eq(c.readonly_authkey_file, "/etc/rok");
    ck_assert_int_eq(c.log_level, LOG_WARN);
    ck_assert_int_eq(c.socket_mode, 0640);
    ck_assert_str_eq(c.socket_group, "0");
    ck_assert_uint_eq(c.busy_poll_us, 0);
    ck_assert_uint_eq(c.max_message_bytes, 65536);
    ck_assert_uint_eq(c.max_parked, 100);
    ck_assert_uint_eq(c.max_depth, 8);
    ck_assert_str_eq(c.file, conf);
    config_free(&c);
    ck_assert_ptr_null(c.authkey_file);
    ck_assert_uint_eq(c.nlisten, 0);
}
END_TEST

/* parse() - config_parse_args() of the NULL-terminated flags. */
static int parse(struct config_flags *f, ...)
{
    static char *argv[32];
    int argc = 0;
    va_list ap;
    argv[argc++] = "syncmgrd";
    va_start(ap, f);
    for (char *a; (a = va_arg(ap, char *)) && argc < 31;)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    return config_parse_args(f, argc, argv);
}

START_TEST(flags_override_file)
{
    struct config_flags f;
    struct config c;
    char why[512];
    write_conf("[broker]\nlisten = ipc:///tmp/file1.sock\nlisten = ipc:///tmp/file2.sock\n"
               "authkey_file = /file/key\nlog_level = debug\n"
               "[limits]\nmax_parked = 100\nmax_depth = 8\n");
    ck_assert_int_eq(parse(&f, "--config", conf, "-l", "ipc:///tmp/flag1.sock", "--listen",
                           "tcp://127.0.0.1:7001", "--log-level", "warn", "--max-parked", "5",
                           "--socket-mode", "0600", "--busy-poll-us", "7", NULL),
                     CONFIG_RUN);
    ck_assert_str_eq(f.config, conf);
    ck_assert_int_eq(config_load(&c, &f, why, sizeof(why)), 0);
    ck_assert_uint_eq(c.nlisten, 2); /* --listen replaces the file's */
    ck_assert_str_eq(c.listen[0], "ipc:///tmp/flag1.sock");
    ck_assert_str_eq(c.listen[1], "tcp://127.0.0.1:7001");
    ck_assert(!c.listen_default);
    ck_assert_str_eq(c.authkey_file, "/file/key"); /* from the file */
    ck_assert_int_eq(c.log_level, LOG_WARN);
    ck_assert_uint_eq(c.max_parked, 5);
    ck_assert_uint_eq(c.max_depth, 8);
    ck_assert_int_eq(c.socket_mode, 0600);
    ck_assert_uint_eq(c.busy_poll_us, 7);
    config_free(&c);
}
END_TEST

START_TEST(new_limits_and_peers)
{
    struct config_flags f;
    struct config c;
    char why[512];
    uid_t uids[4];
    write_conf("[ipc]\nallow_uids = root, 12345\n"
               "[limits]\nmax_memory = 2M\nmax_objects = 10\nmax_name_bytes = 8\n"
               "max_sessions = 3\nmax_parked_per_session = 4\n"
               "[tls]\ncert_file = /c.pem\nkey_file = /k.pem\n");
    ck_assert_int_eq(parse(&f, "--config", conf, "--tls-ca", "/ca.pem", NULL), CONFIG_RUN);
    ck_assert_int_eq(config_load(&c, &f, why, sizeof(why)), 0);
    ck_assert_uint_eq(c.max_memory, 2u << 20);
    ck_assert_uint_eq(c.max_objects, 10);
    ck_assert_uint_eq(c.max_name_bytes, 8);
    ck_assert_uint_eq(c.max_sessions, 3);
    ck_assert_uint_eq(c.max_parked_per_session, 4);
    ck_assert_str_eq(c.tls_cert, "/c.pem");
    ck_assert_str_eq(c.tls_key, "/k.pem");
    ck_assert_str_eq(c.tls_ca, "/ca.pem");
    ck_assert_int_eq(config_uids(c.allow_uids, uids, 4), 2);
    ck_assert_uint_eq(uids[0], 0);
    ck_assert_uint_eq(uids[1], 12345);
    config_free(&c);
}
END_TEST

START_TEST(flags_bad)
{
    struct config_flags f;
    ck_assert_int_eq(parse(&f, "--max-depth", "99", NULL), CONFIG_EXIT_USAGE);
    ck_assert_int_eq(parse(&f, "--log-level", "loud", NULL), CONFIG_EXIT_USAGE);
    ck_assert_int_eq(parse(&f, "--socket-mode", "rw", NULL), CONFIG_EXIT_USAGE);
    ck_assert_int_eq(parse(&f, "--socket-group", "no-such-group-sm", NULL), CONFIG_EXIT_USAGE);
    ck_assert_int_eq(parse(&f, "--listen", "udp://x", NULL), CONFIG_EXIT_USAGE);
    ck_assert_int_eq(parse(&f, "--frobnicate", NULL), CONFIG_EXIT_USAGE);
    ck_assert_int_eq(parse(&f, "stray", NULL), CONFIG_EXIT_USAGE);
    ck_assert_int_eq(parse(&f, "--version", NULL), CONFIG_EXIT_OK);
}
END_TEST

START_TEST(config_missing)
{
    struct config_flags f;
    struct config c;
    char why[512], want[512];
    snprintf(conf, sizeof(conf), "%s/absent.conf", dir);
    ck_assert_int_eq(parse(&f, "--config", conf, NULL), CONFIG_RUN);
    ck_assert_int_eq(config_load(&c, &f, why, sizeof(why)), -1);
    snprintf(want, sizeof(want), "%s: cannot open: No such file or directory", conf);
    ck_assert_str_eq(why, want);
    /* /dev/null: an empty file, the defaults */
    ck_assert_int_eq(parse(&f, "--config", "/dev/null", "-k", "/k", NULL), CONFIG_RUN);
    ck_assert_int_eq(config_load(&c, &f, why, sizeof(why)), 0);
    ck_assert_int_eq(c.log_level, LOG_INFO);
    ck_assert_int_eq(c.socket_mode, 0660);
    ck_assert_uint_eq(c.max_message_bytes, 16u << 20);
    ck_assert_uint_eq(c.nlisten, 1);
    ck_assert(c.listen_default);
    config_free(&c);
}
END_TEST

START_TEST(reload_live_values)
{
    struct config_flags f;
    struct config c;
    char why[512];
    write_conf("[broker]\nlisten = ipc:///tmp/r1.sock\nauthkey_file = /k\n"
               "[limits]\nmax_parked = 100\n");
    ck_assert_int_eq(parse(&f, "--config", conf, NULL), CONFIG_RUN);
    ck_assert_int_eq(config_load(&c, &f, why, sizeof(why)), 0);
    ck_assert_uint_eq(c.busy_poll_us, 50); /* the default */
    write_conf("[broker]\nlisten = ipc:///tmp/r2.sock\nauthkey_file = /k\nlog_level = debug\n"
               "[ipc]\nbusy_poll_us = 0\n"
               "[limits]\nmax_parked = 7\nmax_depth = 4\nmax_message_bytes = 1M\n");
    ck_assert_int_eq(config_reload(&c, &f, why, sizeof(why)), 0);
    ck_assert_int_eq(c.log_level, LOG_DEBUG);
    ck_assert_uint_eq(c.busy_poll_us, 0);
    ck_assert_uint_eq(c.max_parked, 7);
    ck_assert_uint_eq(c.max_depth, 4);
    ck_assert_str_eq(c.listen[0], "ipc:///tmp/r1.sock"); /* needs a restart */
    ck_assert_uint_eq(c.max_message_bytes, 16u << 20);
    /* a broken file changes nothing */
    write_conf("[broker]\nlog_level = warn\nbogus = 1\n");
    ck_assert_int_eq(config_reload(&c, &f, why, sizeof(why)), -1);
    ck_assert_ptr_nonnull(strstr(why, ":3: unknown key 'bogus' in [broker]"));
    ck_assert_int_eq(c.log_level, LOG_DEBUG);
    config_free(&c);
}
END_TEST

/* ---- default locations ------------------------------------------------------ */

static const char *dflt(enum path_kind kind, uid_t uid, int use_env)
{
    static char buf[512];
    ck_assert_int_eq(paths_default_for(kind, uid, use_env, buf, sizeof(buf)), 0);
    return buf;
}

START_TEST(default_paths)
{
    setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
    setenv("HOME", "/home/u", 1);
    unsetenv("XDG_CONFIG_HOME");
    setenv("SYNCMGR_ADDRESS", "ipc:///env.sock", 1);
    setenv("SYNCMGR_AUTHKEY_FILE", "/env/key", 1);

    ck_assert_str_eq(dflt(PATH_ADDRESS, 0, 0), "ipc:///run/syncmgr/syncmgrd.sock");
    ck_assert_str_eq(dflt(PATH_ADDRESS, 0, 0), SM_DEFAULT_ADDRESS);
    ck_assert_str_eq(dflt(PATH_AUTHKEY, 0, 0), SM_DEFAULT_AUTHKEY_FILE);
    ck_assert_str_eq(dflt(PATH_CONFIG, 0, 0), "/etc/syncmgr/syncmgrd.conf");
    ck_assert_str_eq(dflt(PATH_ADDRESS, 1000, 0), "ipc:///run/user/1000/syncmgr/syncmgrd.sock");
    ck_assert_str_eq(dflt(PATH_AUTHKEY, 1000, 0), "/home/u/.config/syncmgr/authkey");
    ck_assert_str_eq(dflt(PATH_CONFIG, 1000, 0), "/home/u/.config/syncmgr/syncmgrd.conf");
    setenv("XDG_CONFIG_HOME", "/xdg", 1);
    ck_assert_str_eq(dflt(PATH_AUTHKEY, 1000, 0), "/xdg/syncmgr/authkey");
    ck_assert_str_eq(dflt(PATH_CONFIG, 1000, 0), "/xdg/syncmgr/syncmgrd.conf");
    /* the environment overrides both, but not the config file */
    ck_assert_str_eq(dflt(PATH_ADDRESS, 0, 1), "ipc:///env.sock");
    ck_assert_str_eq(dflt(PATH_ADDRESS, 1000, 1), "ipc:///env.sock");
    ck_assert_str_eq(dflt(PATH_AUTHKEY, 1000, 1), "/env/key");
    ck_assert_str_eq(dflt(PATH_CONFIG, 1000, 1), "/xdg/syncmgr/syncmgrd.conf");
    /* no $XDG_RUNTIME_DIR (a system service, cron): the system broker */
    unsetenv("XDG_RUNTIME_DIR");
    ck_assert_str_eq(dflt(PATH_ADDRESS, 1000, 0), SM_DEFAULT_ADDRESS);
    ck_assert_str_eq(dflt(PATH_AUTHKEY, 1000, 0), SM_DEFAULT_AUTHKEY_FILE);
    ck_assert_str_eq(dflt(PATH_CONFIG, 1000, 0), "/etc/syncmgr/syncmgrd.conf");
    char small[8];
    ck_assert_int_eq(paths_default_for(PATH_CONFIG, 0, 0, small, sizeof(small)), -1);
    ck_assert_str_eq(small, "");
}
END_TEST

/* ---- end to end: $SYNCMGRD ------------------------------------------------------ */

/* run_syncmgrd() - run $SYNCMGRD with the NULL-terminated arguments as @uid
 * (-1: as we are), its stderr into @err; returns its exit code. */
static int run_syncmgrd(char *err, size_t errlen, uid_t uid, ...)
{
    const char *argv[24];
    int n = 0, p[2];
    va_list ap;
    argv[n++] = getenv("SYNCMGRD");
    ck_assert_ptr_nonnull(argv[0]);
    va_start(ap, uid);
    for (const char *a; (a = va_arg(ap, const char *)) && n < 23;)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(p[1], STDERR_FILENO);
        if (uid != (uid_t)-1 && (setgroups(0, NULL) || setgid(65534) || setuid(uid)))
            _exit(126);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    read_all(p[0], err, errlen, 10000);
    close(p[0]);
    return child_wait(pid, 10000);
}

/* one_line() - @s is exactly @want and a newline. */
static void one_line(const char *s, const char *want)
{
    char full[1024];
    snprintf(full, sizeof(full), "%s\n", want);
    ck_assert_str_eq(s, full);
}

START_TEST(e2e_config_errors)
{
    char err[2048], want[512];
    write_conf("[broker]\n# typo below\nlisen = ipc:///tmp/x.sock\n");
    ck_assert_int_eq(run_syncmgrd(err, sizeof(err), -1, "--config", conf, NULL), 2);
    snprintf(want, sizeof(want), "syncmgrd: %s:3: unknown key 'lisen' in [broker]", conf);
    one_line(err, want);

    write_conf("[limits]\nmax_depth = deep\n");
    ck_assert_int_eq(run_syncmgrd(err, sizeof(err), -1, "--config", conf, NULL), 2);
    snprintf(want, sizeof(want),
             "syncmgrd: %s:2: bad value 'deep' for max_depth in [limits]: expected a whole "
             "number from 2 to 32",
             conf);
    one_line(err, want);

    ck_assert_int_eq(run_syncmgrd(err, sizeof(err), -1, "--config", "/nonexistent/s.conf", NULL),
                     2);
    one_line(err, "syncmgrd: /nonexistent/s.conf: cannot open: No such file or directory");

    ck_assert_int_eq(run_syncmgrd(err, sizeof(err), -1, "--max-parked", "none", NULL), 2);
    one_line(err,
             "syncmgrd: bad --max-parked 'none': expected a whole number from 1 to 1073741824");

    /* a file only root can read */
    if (geteuid() == 0) {
        write_conf("[broker]\n");
        chmod(conf, 0600);
        chmod(dir, 0755);
        ck_assert_int_eq(run_syncmgrd(err, sizeof(err), 65534, "--config", conf, NULL), 2);
        snprintf(want, sizeof(want), "syncmgrd: %s: cannot open: Permission denied", conf);
        one_line(err, want);
    }
}
END_TEST

/* Key files the broker refuses, and says why, in one line, exit status 1. */
static const mode_t refused_modes[] = {0644, 0666, 0620, 0604, 0602};

START_TEST(e2e_key_mode_refused)
{
    char err[2048], key[128], want[512];
    snprintf(key, sizeof(key), "%s/authkey", dir);
    ck_assert_int_eq(
        keyfile_write(key, "0123456789abcdef0123456789abcdef\n", 33, refused_modes[_i]), 0);
    ck_assert_int_eq(run_syncmgrd(err, sizeof(err), -1, "--config", "/dev/null", "--listen",
                                  "ipc:///tmp/sm-cfg-never.sock", "-k", key, NULL),
                     1);
    snprintf(want, sizeof(want),
             "<3>SM-KEY authkey file %s: group/world-writable or world-readable "
             "(use mode 0600 or 0640)",
             key);
    one_line(err, want);
}
END_TEST

START_TEST(e2e_key_refused_other)
{
    char err[2048], key[128], want[512];
    snprintf(key, sizeof(key), "%s/authkey", dir);
    ck_assert_int_eq(run_syncmgrd(err, sizeof(err), -1, "--config", "/dev/null", "-l",
                                  "ipc:///tmp/sm-cfg-never.sock", "-k", key, NULL),
                     1);
    snprintf(want, sizeof(want), "<3>SM-KEY authkey file %s: No such file or directory", key);
    one_line(err, want);
    ck_assert_int_eq(keyfile_write(key, "", 0, 0600), 0);
    ck_assert_int_eq(run_syncmgrd(err, sizeof(err), -1, "--config", "/dev/null", "-l",
                                  "ipc:///tmp/sm-cfg-never.sock", "-k", key, NULL),
                     1);
    snprintf(want, sizeof(want), "<3>SM-KEY authkey file %s: empty key", key);
    one_line(err, want);
    ck_assert_int_eq(keyfile_write(key, "short\n", 6, 0600), 0);
    ck_assert_int_eq(run_syncmgrd(err, sizeof(err), -1, "--config", "/dev/null", "-l",
                                  "ipc:///tmp/sm-cfg-never.sock", "-k", key, NULL),
                     1);
    snprintf(want, sizeof(want), "<3>SM-KEY authkey file %s: key shorter than 16 bytes", key);
    one_line(err, want);
}
END_TEST

static const mode_t accepted_modes[] = {0600, 0640, 0400};

START_TEST(e2e_key_mode_accepted)
{
    struct sm_broker b = {0};
    ck_assert_int_eq(broker_init(&b), 0);
    ck_assert_int_eq(chmod(b.keyfile, accepted_modes[_i]), 0);
    ck_assert_int_eq(broker_start(&b, "--config", "/dev/null", NULL), 0);
    broker_stop(&b, true);
}
END_TEST

/* The read-only key: the same refusals, and never the main key again. */
START_TEST(e2e_readonly_key)
{
    struct sm_broker b = {0};
    char err[2048], want[512], rokey[160];
    ck_assert_int_eq(broker_init(&b), 0);
    snprintf(rokey, sizeof(rokey), "%s/rokey", dir);
    ck_assert_int_eq(keyfile_write(rokey, "ro-key-0123456789abcdef\n", 24, 0644), 0);
    ck_assert_int_eq(run_syncmgrd(err, sizeof(err), -1, "--config", "/dev/null", "-l", b.address,
                                  "-k", b.keyfile, "--readonly-authkey-file", rokey, NULL),
                     1);
    snprintf(want, sizeof(want),
             "<3>SM-KEY authkey file %s: group/world-writable or world-readable "
             "(use mode 0600 or 0640)",
             rokey);
    one_line(err, want);
    ck_assert_int_eq(run_syncmgrd(err, sizeof(err), -1, "--config", "/dev/null", "-l", b.address,
                                  "-k", b.keyfile, "--readonly-authkey-file", b.keyfile, NULL),
                     1);
    snprintf(want, sizeof(want), "<3>SM-KEY read-only authkey file %s holds the same key as %s",
             b.keyfile, b.keyfile);
    one_line(err, want);
    ck_assert_int_eq(chmod(rokey, 0640), 0);
    ck_assert_int_eq(
        broker_start(&b, "--config", "/dev/null", "--readonly-authkey-file", rokey, NULL), 0);
    broker_stop(&b, true);
}
END_TEST

/* spawn() - $SYNCMGRD with only the NULL-terminated arguments, stderr into
 * b->logfile; b->pid set (the harness stops it).  Waits for SM-READY. */
static void spawn(struct sm_broker *b, ...)
{
    const char *argv[24];
    int n = 0;
    va_list ap;
    argv[n++] = getenv("SYNCMGRD");
    va_start(ap, b);
    for (const char *a; (a = va_arg(ap, const char *)) && n < 23;)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    int logfd = open(b->logfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    ck_assert_int_ge(logfd, 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(logfd, STDERR_FILENO);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(logfd);
    b->pid = pid;
    for (int i = 0; i < 500 && !broker_log_contains(b, "SM-READY"); i++) {
        ck_assert_msg(broker_alive(b), "syncmgrd exited during start-up");
        sleep_ms(20);
    }
    ck_assert(broker_log_contains(b, "SM-READY"));
}

/* wait_log() - the log holds @needle within 5 s. */
static void wait_log(struct sm_broker *b, const char *needle)
{
    for (int i = 0; i < 250 && !broker_log_contains(b, needle); i++)
        sleep_ms(20);
    if (!broker_log_contains(b, needle))
        broker_dump_log(b);
    ck_assert_msg(broker_log_contains(b, needle), "no '%s' in the broker log", needle);
}

static void connect_once(struct sm_broker *b)
{
    sm_client *c;
    ck_sm(broker_connect(b, &c), SM_OK);
    sm_disconnect(c);
}

START_TEST(e2e_file_and_flags)
{
    struct sm_broker b = {0};
    char other[160], fileaddr[200];
    struct stat st;
    char group[32];
    gid_t want;
    /* root may give the socket to any group; others to their own */
    snprintf(group, sizeof(group), "%u", geteuid() == 0 ? 1u : (unsigned)getegid());
    ck_assert_int_eq(config_group(group, &want), 0);
    ck_assert_int_eq(broker_init(&b), 0);
    snprintf(other, sizeof(other), "%s/other.sock", dir);
    snprintf(fileaddr, sizeof(fileaddr), "ipc://%s/file.sock", dir);
    /* two listen lines in the file: both listen */
    write_conf("[broker]\nlisten = %s\nlisten = ipc://%s\nauthkey_file = %s\n"
               "[ipc]\nsocket_mode = 0600\nsocket_group = %s\n",
               fileaddr, other, b.keyfile, group);
    spawn(&b, "--config", conf, NULL);
    ck_assert_int_eq(stat(other, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(st.st_gid, want);
    ck_assert_int_eq(stat(fileaddr + 6, &st), 0);
    ck_assert_int_eq(st.st_gid, want);
    broker_stop(&b, true);

    struct sm_broker b2 = {0};
    ck_assert_int_eq(broker_init(&b2), 0);
    /* --listen replaces the file's addresses, --socket-mode its mode */
    write_conf("[broker]\nlisten = %s\nauthkey_file = %s\n[ipc]\nsocket_mode = 0600\n", fileaddr,
               b2.keyfile);
    spawn(&b2, "--config", conf, "--listen", b2.address, "--socket-mode", "0666", NULL);
    ck_assert_int_eq(stat(b2.sockpath, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0666);
    ck_assert_int_ne(stat(fileaddr + 6, &st), 0);
    connect_once(&b2);
    broker_stop(&b2, true);
}
END_TEST

START_TEST(e2e_sighup)
{
    struct sm_broker b = {0};
    ck_assert_int_eq(broker_init(&b), 0);
    write_conf("[broker]\nlisten = %s\nauthkey_file = %s\nlog_level = info\n", b.address,
               b.keyfile);
    spawn(&b, "--config", conf, NULL);
    connect_once(&b);
    ck_assert(!broker_log_contains(&b, "<7>"));

    write_conf("[broker]\nlisten = %s\nlisten = ipc://%s/more.sock\nauthkey_file = %s\n"
               "log_level = debug\n[limits]\nmax_parked = 5\n",
               b.address, b.dir, b.keyfile);
    ck_assert_int_eq(kill(b.pid, SIGHUP), 0);
    wait_log(&b, "<6>SM-RELOAD log_level now debug (was info)");
    wait_log(&b, "<6>SM-RELOAD max_parked now 5 (was 1048576)");
    wait_log(&b, "<4>SM-RELOAD listen changed to");
    connect_once(&b);
    wait_log(&b, "<7>SM-PIPE-ADD"); /* a debug-only line */

    /* a broken file: logged, the broker carries on as it was */
    write_conf("[broker]\nlog_level = warn\nlisen = x\n");
    ck_assert_int_eq(kill(b.pid, SIGHUP), 0);
    wait_log(&b, ":3: unknown key 'lisen' in [broker]; keeping the running settings");
    ck_assert(broker_alive(&b));
    connect_once(&b);
    broker_stop(&b, true);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("file");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, unknown_key);
    tcase_add_test(tc, unknown_section);
    tcase_add_test(tc, syntax_error);
    tcase_add_loop_test(tc, bad_value, 0, (int)(sizeof(bad_values) / sizeof(bad_values[0])));
    tcase_add_test(tc, unreadable);
    tcase_add_test(tc, too_many_listen);
    tcase_add_test(tc, all_keys);
    tcase_add_test(tc, flags_override_file);
    tcase_add_test(tc, new_limits_and_peers);
    tcase_add_test(tc, flags_bad);
    tcase_add_test(tc, config_missing);
    tcase_add_test(tc, reload_live_values);
    tcase_add_test(tc, default_paths);
    suite_add_tcase(s, tc);

    tc = tcase_create("syncmgrd");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, e2e_config_errors);
    tcase_add_loop_test(tc, e2e_key_mode_refused, 0,
                        (int)(sizeof(refused_modes) / sizeof(refused_modes[0])));
    tcase_add_test(tc, e2e_key_refused_other);
    tcase_add_loop_test(tc, e2e_key_mode_accepted, 0,
                        (int)(sizeof(accepted_modes) / sizeof(accepted_modes[0])));
    tcase_add_test(tc, e2e_readonly_key);
    tcase_add_test(tc, e2e_file_and_flags);
    tcase_add_test(tc, e2e_sighup);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run(config_suite(), CK_NORMAL);
}
