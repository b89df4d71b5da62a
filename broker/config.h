/*
 * config.h - syncmgrd's settings: built-in defaults, then the INI file
 * (libinih), then the command line, then the default locations (paths.h)
 * for what is still unset.
 *
 * The file is --config PATH (required to exist), else the default one
 * (paths.h: /etc/syncmgr/syncmgrd.conf for the system broker), read only
 * when it exists.  --config /dev/null reads none.  Its keys, one table in
 * config.c:
 *
 *   [broker] listen (repeatable: each line adds an address), authkey_file,
 *            readonly_authkey_file, log_level (error|warn|info|debug)
 *   [ipc]    socket_mode (octal), socket_group (name or number), allow_uids
 *            (user names or numbers, comma-separated), engine (nng|direct)
 *   [limits] max_message_bytes, max_memory (K/M/G suffixes), max_parked,
 *            max_parked_per_session, max_depth, max_objects, max_name_bytes,
 *            max_sessions
 *   [persistence] state_dir, fsync (always|everysec|no), compact_bytes
 *   [tls]    cert_file, key_file, ca_file
 *
 * A key given twice keeps its last value (listen: every value).  A --listen
 * flag replaces every listen address of the file; other flags replace the
 * one value.  Errors are one line: "PATH:LINE: unknown key 'lisen' in
 * [broker]"; syncmgrd prints it after "syncmgrd: " and exits with status 2.
 */
#ifndef SM_BROKER_CONFIG_H
#define SM_BROKER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define CONFIG_MAX_LISTEN 16
#define CONFIG_MAX_FLAGS 64
#define CONFIG_MAX_UIDS 64 /* in allow_uids */

/* [ipc] engine: nng, or ipc_server.h's own listener */
enum config_engine { CONFIG_ENGINE_NNG, CONFIG_ENGINE_DIRECT };

struct config {
    char *file; /* the file read, or NULL */
    char *listen[CONFIG_MAX_LISTEN];
    size_t nlisten;
    bool listen_default; /* listen[0] is the default address */
    char *authkey_file;
    char *readonly_authkey_file; /* NULL: no read-only key */
    int log_level;               /* LOG_ERR .. LOG_DEBUG */
    int socket_mode;             /* of ipc socket files */
    char *socket_group;          /* NULL: the broker's own group */
    int ipc_engine;              /* enum config_engine: who serves ipc:// */
    size_t busy_poll_us;         /* the direct engine's idle polling (ipc_server.h) */
    size_t max_message_bytes;
    size_t max_parked;
    size_t max_depth;
    char *state_dir;             /* NULL: no persistence */
    int fsync;                   /* enum persist_fsync */
    size_t compact_bytes;        /* journal size that starts a snapshot */
    size_t max_objects;           /* named objects: SM_ELIMIT past it */
    size_t max_memory;            /* bytes stored (blob.h): SM_ENOMEM past it */
    size_t max_name_bytes;        /* object names: 1..this many bytes */
    size_t max_sessions;          /* connections: more are closed at once */
    size_t max_parked_per_session;/* SM_ELIMIT past it */
    char *allow_uids;             /* NULL: any peer uid; else "0,1000,alice" */
    char *tls_cert, *tls_key;     /* tls+tcp:// listeners' certificate (PEM) */
    char *tls_ca;                 /* NULL: no client certificates asked */
};

/* The command line, kept so that a reload lays it over the file again. */
struct config_flags {
    const char *config; /* --config PATH, or NULL */
    size_t n;
    struct config_flag {
        unsigned key;      /* row of the key table */
        const char *value; /* points into argv */
    } v[CONFIG_MAX_FLAGS];
};

/* Results of config_parse_args(). */
enum { CONFIG_RUN = 0, CONFIG_EXIT_OK = -1, CONFIG_EXIT_USAGE = 2 };

/**
 * config_parse_args() - read and check the flags into @f.  Returns
 * CONFIG_RUN; CONFIG_EXIT_OK after --help or --version (printed); or
 * CONFIG_EXIT_USAGE after printing a one-line error on stderr.
 */
int config_parse_args(struct config_flags *f, int argc, char **argv);

/* config_init() - built-in defaults, no file, nothing allocated. */
void config_init(struct config *c);

/**
 * config_read_file() - lay the INI file @path over @c.  Returns 0, or -1
 * with "PATH[:LINE]: reason" in @why (@c may then hold part of the file).
 */
int config_read_file(struct config *c, const char *path, char *why, size_t whylen);

/**
 * config_load() - the whole sequence: defaults, the file, the flags @f,
 * the default locations.  Returns 0, or -1 with a one-line reason in @why
 * (@c is then empty).  Free with config_free().
 */
int config_load(struct config *c, const struct config_flags *f, char *why, size_t whylen);

/* config_free() - free what @c owns; back to config_init()'s state. */
void config_free(struct config *c);

/**
 * config_reload() - config_load() again (SIGHUP).  Values that can change
 * live (log_level, allow_uids, busy_poll_us, every [limits] key but
 * max_message_bytes) are copied into @cur and logged;
 * changed ones that need a restart are logged (SM-RELOAD) and left alone.
 * Returns 0, or -1 with the reason in @why and @cur untouched.
 */
int config_reload(struct config *cur, const struct config_flags *f, char *why, size_t whylen);

/* config_group() - the gid of a group name or number; -1 if there is none. */
int config_group(const char *name, gid_t *gid);

/**
 * config_uids() - parse @list ("0,1000,alice": user names or numbers,
 * separated by commas or blanks) into up to @max uids at @out (may be NULL
 * with @max 0).  Returns how many the list holds (may exceed @max), or -1
 * for an empty list or an unknown user.
 */
int config_uids(const char *list, uid_t *out, size_t max);

#endif
