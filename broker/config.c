/* config.c - defaults, the INI file, flags and SIGHUP reloads (config.h). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <ini.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipc_server.h"
#include "log.h"
#include "op.h"
#include "paths.h"
#include "spin.h"

/* ---- the keys ----------------------------------------------------------- */

enum ctype {
    CT_ADDRESS, /* listen: appends to listen[] */
    CT_PATH,    /* char *, non-empty */
    CT_GROUP,   /* char *, an existing group */
    CT_LEVEL,   /* int, log_parse_level() */
    CT_MODE,    /* int, octal */
    CT_NUMBER,  /* size_t within min..max */
    CT_BYTES,   /* size_t within min..max, K/M/G suffixes */
    CT_CHOICE,  /* int, the index of one of choices[] */
    CT_UIDS,    /* char *, users (names or numbers), comma-separated */
};

struct config_key {
    const char *section, *name;
    enum ctype type;
    size_t offset;    /* where the value goes in struct config */
    size_t min, max;  /* CT_NUMBER, CT_BYTES */
    bool live;        /* a SIGHUP applies it */
    const char *flag; /* --flag, or NULL */
    int short_flag;   /* -x, or 0 */
    const char *const *choices; /* CT_CHOICE: the words, NULL-terminated */
};

static const char *const fsync_words[] = {"always", "everysec", "no", NULL};
static const char *const engine_words[] = {"nng", "direct", NULL}; /* enum config_engine */

#define AT(field) offsetof(struct config, field)

/* one row a key; clang-format would spread it one field a line */
/* clang-format off */
static const struct config_key keys[] = {
    {.section = "broker", .name = "listen", .type = CT_ADDRESS, .offset = AT(listen),
     .flag = "listen", .short_flag = 'l'},
    {.section = "broker", .name = "authkey_file", .type = CT_PATH, .offset = AT(authkey_file),
     .flag = "authkey-file", .short_flag = 'k'},
    {.section = "broker", .name = "readonly_authkey_file", .type = CT_PATH,
     .offset = AT(readonly_authkey_file), .flag = "readonly-authkey-file"},
    {.section = "broker", .name = "log_level", .type = CT_LEVEL, .offset = AT(log_level),
     .live = true, .flag = "log-level"},
    {.section = "ipc", .name = "socket_mode", .type = CT_MODE, .offset = AT(socket_mode),
     .flag = "socket-mode"},
    {.section = "ipc", .name = "socket_group", .type = CT_GROUP, .offset = AT(socket_group),
     .flag = "socket-group"},
    {.section = "ipc", .name = "engine", .type = CT_CHOICE, .offset = AT(ipc_engine),
     .flag = "ipc-engine", .choices = engine_words},
    {.section = "ipc", .name = "busy_poll_us", .type = CT_NUMBER, .offset = AT(busy_poll_us),
     .min = 0, .max = SPIN_MAX_US, .live = true, .flag = "busy-poll-us"},
    {.section = "limits", .name = "max_message_bytes", .type = CT_BYTES,
     .offset = AT(max_message_bytes), .min = 1024, .max = (size_t)1 << 30,
     .flag = "max-message-bytes"},
    {.section = "limits", .name = "max_parked", .type = CT_NUMBER, .offset = AT(max_parked),
     .min = 1, .max = (size_t)1 << 30, .live = true, .flag = "max-parked"},
    {.section = "limits", .name = "max_depth", .type = CT_NUMBER, .offset = AT(max_depth),
     .min = 2, .max = SM_MAX_DEPTH, .live = true, .flag = "max-depth"},
    {.section = "persistence", .name = "state_dir", .type = CT_PATH, .offset = AT(state_dir),
     .flag = "state-dir"},
    {.section = "persistence", .name = "fsync", .type = CT_CHOICE, .offset = AT(fsync),
     .flag = "fsync", .choices = fsync_words},
    {.section = "persistence", .name = "compact_bytes", .type = CT_BYTES,
     .offset = AT(compact_bytes), .min = 4096, .max = (size_t)1 << 40, .flag = "compact-bytes"},
    {.section = "limits", .name = "max_objects", .type = CT_NUMBER, .offset = AT(max_objects),
     .min = 1, .max = (size_t)1 << 40, .live = true, .flag = "max-objects"},
    {.section = "limits", .name = "max_memory", .type = CT_BYTES, .offset = AT(max_memory),
     .min = 65536, .max = (size_t)1 << 50, .live = true, .flag = "max-memory"},
    {.section = "limits", .name = "max_name_bytes", .type = CT_NUMBER,
     .offset = AT(max_name_bytes), .min = 1, .max = SM_NAME_MAX, .live = true,
     .flag = "max-name-bytes"},
    {.section = "limits", .name = "max_sessions", .type = CT_NUMBER, .offset = AT(max_sessions),
     .min = 1, .max = (size_t)1 << 24, .live = true, .flag = "max-sessions"},
    {.section = "limits", .name = "max_parked_per_session", .type = CT_NUMBER,
     .offset = AT(max_parked_per_session), .min = 1, .max = (size_t)1 << 30, .live = true,
     .flag = "max-parked-per-session"},
    {.section = "ipc", .name = "allow_uids", .type = CT_UIDS, .offset = AT(allow_uids),
     .live = true, .flag = "allow-uids"},
    {.section = "tls", .name = "cert_file", .type = CT_PATH, .offset = AT(tls_cert),
     .flag = "tls-cert"},
    {.section = "tls", .name = "key_file", .type = CT_PATH, .offset = AT(tls_key),
     .flag = "tls-key"},
    {.section = "tls", .name = "ca_file", .type = CT_PATH, .offset = AT(tls_ca),
     .flag = "tls-ca"},
};
/* clang-format on */
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static void *field(const struct config *c, const struct config_key *k)
{
    return (char *)c + k->offset;
}

static const struct config_key *key_find(const char *section, const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name))
            return &keys[i];
    return NULL;
}

static bool section_known(const char *section)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (!strcmp(keys[i].section, section))
            return true;
    return false;
}

/* ---- values ------------------------------------------------------------- */

static int say(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int say(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return -1;
}

int config_uids(const char *list, uid_t *out, size_t max)
{
    char buf[4096], *save = NULL, pw_buf[4096];
    int n = 0;
    if (snprintf(buf, sizeof(buf), "%s", list) >= (int)sizeof(buf))
        return -1;
    for (char *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
        char *end;
        struct passwd pw, *res = NULL;
        uid_t uid;
        errno = 0;
        unsigned long v = strtoul(t, &end, 10);
        if (*t >= '0' && *t <= '9' && !*end && !errno && v < (uid_t)-1)
            uid = (uid_t)v;
        else if (getpwnam_r(t, &pw, pw_buf, sizeof(pw_buf), &res) == 0 && res)
            uid = res->pw_uid;
        else
            return -1;
        if ((size_t)n < max)
            out[n] = uid;
        n++;
    }
    return n ? n : -1;
}

int config_group(const char *name, gid_t *gid)
{
    char *end, buf[4096];
    struct group gr, *res = NULL;
    errno = 0;
    unsigned long v = strtoul(name, &end, 10);
    if (*name >= '0' && *name <= '9' && !*end && !errno && v < (gid_t)-1) {
        *gid = (gid_t)v;
        return 0;
    }
    if (getgrnam_r(name, &gr, buf, sizeof(buf), &res) != 0 || !res)
        return -1;
    *gid = res->gr_gid;
    return 0;
}

/* parse_number() - decimal digits, with K/M/G (x1024^n) when @suffixes. */
static int parse_number(const char *s, bool suffixes, size_t *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned shift = 0;
    if (suffixes && *end && !end[1]) {
        const char *units = "KMG", *u = strchr(units, *end & ~0x20);
        if (u) {
            shift = 10 * (unsigned)(u - units + 1);
            end++;
        }
    }
    if (errno || *end || v > (SIZE_MAX >> shift))
        return -1;
    *out = (size_t)(v << shift);
    return 0;
}

static bool address_ok(const char *v)
{
    static const char *const schemes[] = {"ipc://", "tcp://", "tcp4://", "tcp6://", "tls+tcp://"};
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        size_t n = strlen(schemes[i]);
        if (!strncmp(v, schemes[i], n) && v[n])
            return true;
    }
    return false;
}

static int set_string(char **at, const char *v, char *why, size_t whylen)
{
    char *dup = strdup(v);
    if (!dup)
        return say(why, whylen, "out of memory");
    free(*at);
    *at = dup;
    return 0;
}

/* choice_list() - "a, b or c" from @k's choices. */
static const char *choice_list(const struct config_key *k, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; k->choices[i] && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i == 0 ? "" : !k->choices[i + 1] ? " or " : ", ",
                                 k->choices[i]);
    return buf;
}

/* set_value() - check @v for @k and store it in @c; on a bad value -1
 * with what was expected in @why. */
static int set_value(struct config *c, const struct config_key *k, const char *v, char *why,
                     size_t whylen)
{
    char buf[128];
    void *at = field(c, k);
    size_t n;
    gid_t gid;
    if (!*v)
        return say(why, whylen, "empty value");
    switch (k->type) {
    case CT_ADDRESS:
        if (!address_ok(v))
            return say(why, whylen, "expected ipc:///path or tcp://host:port");
        if (c->nlisten == CONFIG_MAX_LISTEN)
            return say(why, whylen, "more than %d listen addresses", CONFIG_MAX_LISTEN);
        if (set_string(&c->listen[c->nlisten], v, why, whylen))
            return -1;
        c->nlisten++;
        c->listen_default = false;
        return 0;
    case CT_GROUP:
        if (config_group(v, &gid))
            return say(why, whylen, "no such group");
        return set_string(at, v, why, whylen);
    case CT_PATH:
        return set_string(at, v, why, whylen);
    case CT_UIDS:
        n = (size_t)config_uids(v, NULL, 0);
        if (n == (size_t)-1 || n > CONFIG_MAX_UIDS)
            return say(why, whylen, "expected up to %d user names or numbers separated by commas",
                       CONFIG_MAX_UIDS);
        return set_string(at, v, why, whylen);
    case CT_LEVEL:
        if ((*(int *)at = log_parse_level(v)) < 0)
            return say(why, whylen, "expected error, warn, info or debug");
        return 0;
    case CT_MODE: {
        char *end;
        long m = strtol(v, &end, 8);
        if (*v < '0' || *v > '7' || *end || m > 0777 || (m & 0600) != 0600)
            return say(why, whylen, "expected an octal mode from 0600 to 0777, such as 0660");
        *(int *)at = (int)m;
        return 0;
    }
    case CT_NUMBER:
    case CT_BYTES:
        if (parse_number(v, k->type == CT_BYTES, &n) || n < k->min || n > k->max)
            return say(why, whylen, "expected a whole number from %zu to %zu%s", k->min, k->max,
                       k->type == CT_BYTES ? " (K, M, G suffixes allowed)" : "");
        *(size_t *)at = n;
        return 0;
    case CT_CHOICE:
        for (int i = 0; k->choices[i]; i++)
            if (!strcmp(v, k->choices[i])) {
                *(int *)at = i;
                return 0;
            }
        return say(why, whylen, "expected %s", choice_list(k, buf, sizeof(buf)));
    }
    return say(why, whylen, "unknown type");
}

/* fmt_value() - @k's value in @c as text, for reload messages. */
static const char *fmt_value(const struct config *c, const struct config_key *k, char *buf,
                             size_t len)
{
    const void *at = field(c, k);
    const char *s;
    size_t used = 0;
    switch (k->type) {
    case CT_ADDRESS:
        buf[0] = 0;
        for (size_t i = 0; i < c->nlisten && used < len; i++)
            used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "", c->listen[i]);
        return buf;
    case CT_PATH:
    case CT_GROUP:
    case CT_UIDS:
        s = *(char *const *)at;
        return s ? s : "(none)";
    case CT_LEVEL:
        return log_level_name(*(const int *)at);
    case CT_MODE:
        snprintf(buf, len, "%04o", *(const int *)at);
        return buf;
    case CT_NUMBER:
    case CT_BYTES:
        snprintf(buf, len, "%zu", *(const size_t *)at);
        return buf;
    case CT_CHOICE:
        return k->choices[*(const int *)at];
    }
    return "?";
}

/* ---- defaults and freeing ------------------------------------------------ */

void config_init(struct config *c)
{
    *c = (struct config){
        .log_level = LOG_INFO,
        .socket_mode = 0660,
        .ipc_engine = CONFIG_ENGINE_DIRECT,
        .busy_poll_us = IPCSRV_BUSY_POLL_US,
        .max_message_bytes = (size_t)16 << 20,
        .max_parked = (size_t)1 << 20, /* as core_init() */
        .max_depth = SM_MAX_DEPTH,
        .fsync = 1, /* everysec */
        .compact_bytes = (size_t)64 << 20,
        .max_objects = (size_t)1 << 20,
        .max_memory = (size_t)1 << 30,
        .max_name_bytes = SM_NAME_MAX,
        .max_sessions = 4096,
        .max_parked_per_session = 65536,
    };
}

void config_free(struct config *c)
{
    for (size_t i = 0; i < c->nlisten; i++)
        free(c->listen[i]);
    for (size_t i = 0; i < NKEYS; i++)
        if (keys[i].type == CT_PATH || keys[i].type == CT_GROUP || keys[i].type == CT_UIDS)
            free(*(char **)field(c, &keys[i]));
    free(c->file);
    config_init(c);
}

/* ---- the file ------------------------------------------------------------ */

/* One parse: inih calls the reader for each line and the handler for each
 * key; the reader counts lines, so that every error can name its line. */
struct parse {
    struct config *c;
    const char *path;
    FILE *fp;
    char *line;
    size_t cap;
    unsigned lineno;
    int read_errno;
    bool failed;
    char *why;
    size_t whylen;
};

static int parse_fail(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int parse_fail(struct parse *p, const char *fmt, ...)
{
    va_list ap;
    if (p->failed)
        return 0;
    int n = snprintf(p->why, p->whylen, "%s:%u: ", p->path, p->lineno);
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < p->whylen)
        vsnprintf(p->why + n, p->whylen - (size_t)n, fmt, ap);
    va_end(ap);
    p->failed = true;
    return 0; /* inih: an error */
}

/* reader() - one whole line per call (getline), refusing those longer than
 * inih's buffer, which it would split and count as two.  Section headers are
 * checked here: inih does not report a section that has no keys. */
static char *reader(char *str, int num, void *stream)
{
    struct parse *p = stream;
    if (p->failed)
        return NULL;
    errno = 0;
    ssize_t n = getline(&p->line, &p->cap, p->fp);
    if (n < 0) {
        p->read_errno = errno;
        return NULL;
    }
    p->lineno++;
    if (n >= num) {
        parse_fail(p, "line longer than %d characters", num - 2);
        return NULL;
    }
    memcpy(str, p->line, (size_t)n + 1);
    const char *s = str + strspn(str, " \t"), *end = strchr(s, ']');
    if (*s == '[' && end) {
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)(end - s - 1), s + 1);
        if (!section_known(name)) {
            parse_fail(p, "unknown section [%s]", name);
            return NULL;
        }
    }
    return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct parse *p = user;
    char why[160];
    const struct config_key *k = key_find(section, name);
    if (!k && !*section)
        return parse_fail(p, "key '%s' outside any section", name);
    if (!k && !section_known(section))
        return parse_fail(p, "unknown section [%s]", section);
    if (!k)
        return parse_fail(p, "unknown key '%s' in [%s]", name, section);
    if (set_value(p->c, k, value, why, sizeof(why)))
        return parse_fail(p, "bad value '%s' for %s in [%s]: %s", value, name, section, why);
    return 1;
}

int config_read_file(struct config *c, const char *path, char *why, size_t whylen)
{
    struct parse p = {.c = c, .path = path, .why = why, .whylen = whylen};
    struct stat st;
    if (!(p.fp = fopen(path, "re")))
        return say(why, whylen, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fileno(p.fp), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(p.fp);
        return say(why, whylen, "%s: cannot read: %s", path, strerror(EISDIR));
    }
    int rc = ini_parse_stream(reader, &p, handler, &p);
    fclose(p.fp);
    free(p.line);
    /* inih's rc: the first line it found wrong, which may come before ours */
    if (p.failed && (rc <= 0 || (unsigned)rc >= p.lineno))
        return -1;
    if (p.read_errno)
        return say(why, whylen, "%s: cannot read: %s", path, strerror(p.read_errno));
    if (rc > 0)
        return say(why, whylen,
                   "%s:%d: syntax error: expected 'key = value', '[section]' or a comment", path,
                   rc);
    if (rc < 0)
        return say(why, whylen, "%s: out of memory", path);
    return set_string(&c->file, path, why, whylen);
}

/* ---- the command line ---------------------------------------------------- */

static void usage(FILE *out)
{
    char addr[512], key[512], conf[512];
    paths_default(PATH_ADDRESS, addr, sizeof(addr));
    paths_default(PATH_AUTHKEY, key, sizeof(key));
    paths_default(PATH_CONFIG, conf, sizeof(conf));
    fprintf(out,
            "Usage: syncmgrd [--config PATH] [--listen URL]... [--authkey-file PATH] [OPTION]...\n"
            "\n"
            "Serve named shared objects (dicts, lists, locks, ...) to syncmgr clients.\n"
            "\n"
            "  -c, --config PATH             settings file (default: %s,\n"
            "                                read when it exists; /dev/null for none)\n"
            "  -l, --listen URL              ipc:///path or tcp://host:port; repeatable\n"
            "                                (default: %s)\n"
            "  -k, --authkey-file PATH       shared key (default: %s)\n"
            "      --readonly-authkey-file PATH\n"
            "                                second key: its sessions may only read\n"
            "      --log-level LEVEL         error, warn, info (default) or debug\n"
            "      --socket-mode MODE        ipc socket files' mode (default 0660)\n"
            "      --socket-group NAME       ipc socket files' group\n"
            "      --ipc-engine ENGINE       direct (default: the broker's own ipc listener)\n"
            "                                or nng\n"
            "      --busy-poll-us US         the ipc listener polls that long for requests\n"
            "                                before it sleeps (default 50; 0: never)\n"
            "      --max-message-bytes N     largest request accepted (default 16M)\n"
            "      --max-parked N            parked requests in all (default 1048576)\n"
            "      --max-depth N             msgpack nesting in a request (default %d)\n"
            "      --state-dir DIR           keep the objects' data there (journal and\n"
            "                                snapshots); default: in memory only\n"
            "      --fsync WHEN              always, everysec (default) or no\n"
            "      --compact-bytes N         journal size that starts a new snapshot\n"
            "                                (default 64M; also past twice the last one)\n"
            "      --max-objects N           named objects (default 1048576)\n"
            "      --max-memory N            bytes stored, overheads counted (default 1G)\n"
            "      --max-name-bytes N        longest object name (default 255)\n"
            "      --max-sessions N          connections at once (default 4096)\n"
            "      --max-parked-per-session N\n"
            "                                parked requests of one client (default 65536)\n"
            "      --allow-uids LIST         ipc peers allowed: user names or uids, commas\n"
            "      --tls-cert PATH           certificate (PEM) for tls+tcp:// listeners\n"
            "      --tls-key PATH            its private key (PEM)\n"
            "      --tls-ca PATH             CA (PEM) that client certificates must chain to;\n"
            "                                set: tls+tcp:// clients need a certificate\n"
            "  -V, --version                 print the version and exit\n"
            "  -h, --help                    print this help and exit\n"
            "\n"
            "Flags override the file; $SYNCMGR_ADDRESS and $SYNCMGR_AUTHKEY_FILE override\n"
            "the default address and key file.  SIGHUP reloads the file.\n"
            "Exit status: 0 stopped by SIGTERM/SIGINT, 1 cannot start (key file, listen\n"
            "address, ...), 2 bad flags or settings file.\n",
            conf, addr, key, SM_MAX_DEPTH);
}

/* flag_add() - check @value as the key table says and remember it. */
static int flag_add(struct config_flags *f, unsigned ki, const char *value)
{
    struct config scratch;
    char why[160];
    config_init(&scratch);
    int rc = set_value(&scratch, &keys[ki], value, why, sizeof(why));
    config_free(&scratch);
    if (rc) {
        fprintf(stderr, "syncmgrd: bad --%s '%s': %s\n", keys[ki].flag, value, why);
        return -1;
    }
    if (f->n == CONFIG_MAX_FLAGS) {
        fprintf(stderr, "syncmgrd: more than %d options\n", CONFIG_MAX_FLAGS);
        return -1;
    }
    f->v[f->n++] = (struct config_flag){.key = ki, .value = value};
    return 0;
}

int config_parse_args(struct config_flags *f, int argc, char **argv)
{
    enum { OPT_KEY = 256 };
    struct option longopts[NKEYS + 4] = {
        {"config", required_argument, NULL, 'c'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
    };
    size_t nopts = 3;
    for (size_t i = 0; i < NKEYS; i++)
        if (keys[i].flag)
            longopts[nopts++] =
                (struct option){keys[i].flag, required_argument, NULL,
                                keys[i].short_flag ? keys[i].short_flag : OPT_KEY + (int)i};
    *f = (struct config_flags){0};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "c:l:k:Vh", longopts, NULL)) != -1) {
        if (c == 'c') {
            f->config = optarg;
            continue;
        }
        if (c == 'V') {
            printf("syncmgrd %s\n", SM_VERSION);
            return CONFIG_EXIT_OK;
        }
        if (c == 'h') {
            usage(stdout);
            return CONFIG_EXIT_OK;
        }
        size_t ki = c >= OPT_KEY ? (size_t)(c - OPT_KEY) : NKEYS;
        for (size_t i = 0; i < NKEYS && ki == NKEYS; i++)
            if (keys[i].short_flag && keys[i].short_flag == c)
                ki = i;
        if (ki == NKEYS) {
            fprintf(stderr, "Try 'syncmgrd --help'.\n");
            return CONFIG_EXIT_USAGE;
        }
        if (flag_add(f, (unsigned)ki, optarg))
            return CONFIG_EXIT_USAGE;
    }
    if (optind < argc) {
        fprintf(stderr, "syncmgrd: unexpected argument '%s'\n", argv[optind]);
        return CONFIG_EXIT_USAGE;
    }
    return CONFIG_RUN;
}

/* ---- the whole sequence -------------------------------------------------- */

/* apply_flags() - lay @f over @c: the first --listen drops the file's. */
static int apply_flags(struct config *c, const struct config_flags *f, char *why, size_t whylen)
{
    bool listen_cleared = false;
    char err[160];
    for (size_t i = 0; i < f->n; i++) {
        const struct config_key *k = &keys[f->v[i].key];
        if (k->type == CT_ADDRESS && !listen_cleared) {
            for (size_t j = 0; j < c->nlisten; j++) {
                free(c->listen[j]);
                c->listen[j] = NULL;
            }
            c->nlisten = 0;
            listen_cleared = true;
        }
        if (set_value(c, k, f->v[i].value, err, sizeof(err)))
            return say(why, whylen, "bad --%s '%s': %s", k->flag, f->v[i].value, err);
    }
    return 0;
}

/* fill_defaults() - the default address and key file where still unset. */
static int fill_defaults(struct config *c, char *why, size_t whylen)
{
    char buf[4096];
    if (c->nlisten == 0) {
        if (paths_default(PATH_ADDRESS, buf, sizeof(buf)) || !(c->listen[0] = strdup(buf)))
            return say(why, whylen, "cannot form the default address");
        c->nlisten = 1;
        c->listen_default = true;
    }
    if (!c->authkey_file) {
        if (paths_default(PATH_AUTHKEY, buf, sizeof(buf)) || !(c->authkey_file = strdup(buf)))
            return say(why, whylen, "cannot form the default key file name");
    }
    return 0;
}

int config_load(struct config *c, const struct config_flags *f, char *why, size_t whylen)
{
    char deflt[4096];
    const char *path = f->config;
    config_init(c);
    if (!path && paths_default(PATH_CONFIG, deflt, sizeof(deflt)) == 0 && access(deflt, F_OK) == 0)
        path = deflt;
    if ((path && config_read_file(c, path, why, whylen)) || apply_flags(c, f, why, whylen) ||
        fill_defaults(c, why, whylen)) {
        config_free(c);
        return -1;
    }
    return 0;
}

/* ---- SIGHUP -------------------------------------------------------------- */

static bool same_value(const struct config *a, const struct config *b, const struct config_key *k)
{
    char x[2048], y[2048];
    return !strcmp(fmt_value(a, k, x, sizeof(x)), fmt_value(b, k, y, sizeof(y)));
}

int config_reload(struct config *cur, const struct config_flags *f, char *why, size_t whylen)
{
    struct config fresh;
    char wbuf[2048], nbuf[2048];
    if (config_load(&fresh, f, why, whylen))
        return -1;
    for (size_t i = 0; i < NKEYS; i++) {
        const struct config_key *k = &keys[i];
        if (same_value(cur, &fresh, k))
            continue;
        const char *was = fmt_value(cur, k, wbuf, sizeof(wbuf)),
                   *now = fmt_value(&fresh, k, nbuf, sizeof(nbuf));
        if (k->live) {
            log_info("SM-RELOAD", "%s now %s (was %s)", k->name, now, was);
            if (k->type == CT_UIDS) { /* a string: swapped, the old one freed below */
                char **a = field(cur, k), **b = field(&fresh, k), *t = *a;
                *a = *b;
                *b = t;
            } else { /* scalars: a plain copy */
                memcpy(field(cur, k), field(&fresh, k),
                       k->type == CT_LEVEL ? sizeof(int) : sizeof(size_t));
            }
        } else {
            log_warn("SM-RELOAD", "%s changed to %s (running with %s): restart syncmgrd to apply",
                     k->name, now, was);
        }
    }
    log_info("SM-RELOAD", "reloaded %s", fresh.file ? fresh.file : "the defaults (no file)");
    config_free(&fresh);
    return 0;
}
