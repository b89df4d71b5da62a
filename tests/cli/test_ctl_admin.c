/*
 * test_ctl_admin.c - syncmgrctl info, sessions, stats, new and the writes
 * (set, del, append, put, incr, rm) against the real broker, human and
 * --json, with their exit codes; the holder of a lock as a real client
 * process, before and after it is killed; every value spelling through
 * set and get; and the read-only key.
 */
#include <check.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_run.h"
#include "ctl_run.h"
#include "errors.h"

extern char **environ;

static sm_client *cli;
static char rokey[160]; /* the read-only key file; "" when syncmgrd has no such flag */

/* broker_has_rokey() - whether `syncmgrd --help` offers --readonly-authkey-file. */
static bool broker_has_rokey(void)
{
    char out[200], help[8192];
    char *argv[] = {getenv("SYNCMGRD"), "--help", NULL};
    posix_spawn_file_actions_t fa;
    pid_t pid;
    snprintf(out, sizeof(out), "%s/help.out", broker.dir);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    ck_assert_ptr_nonnull(argv[0]);
    ck_assert_int_eq(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    child_wait(pid, 10000);
    slurp(out, help, sizeof(help));
    return strstr(help, "--readonly-authkey-file") != NULL;
}

static void setup(void)
{
    memset(&broker, 0, sizeof(broker));
    ck_assert_int_eq(broker_init(&broker), 0);
    rokey[0] = '\0';
    if (broker_has_rokey()) {
        snprintf(rokey, sizeof(rokey), "%s/rokey", broker.dir);
        ck_assert_int_eq(keyfile_write(rokey, "read-only-key-0123456789abcdef\n", 31, 0600), 0);
        ck_assert_int_eq(broker_start(&broker, "--readonly-authkey-file", rokey, NULL), 0);
    } else {
        ck_assert_int_eq(broker_start(&broker, NULL), 0);
    }
    broker_setenv(&broker);
    ck_sm(broker_connect(&broker, &cli), SM_OK);
}

static void teardown(void)
{
    sm_disconnect(cli);
    cli = NULL;
    broker_stop(&broker, true);
}

/* json() - the last run's stdout as JSON (the test fails if it is not). */
static json_t *json(void)
{
    json_error_t e;
    json_t *j = json_loads(R.out, 0, &e);
    ck_assert_msg(j != NULL, "not JSON (%s): %s", e.text, R.out);
    return j;
}

/* line() - the human line "key: value" of @key, its value in @val. */
static bool line(const char *key, char *val, size_t size)
{
    size_t n = strlen(key);
    for (const char *l = R.out; l && *l; l = strchr(l, '\n'), l += !!l)
        if (!strncmp(l, key, n) && l[n] == ':') {
            l += n + 1;
            l += strspn(l, " ");
            snprintf(val, size, "%.*s", (int)strcspn(l, "\n"), l);
            return true;
        }
    return false;
}

#define ck_line(key, want)                                                                         \
    do {                                                                                           \
        char v_[256];                                                                              \
        ck_assert_msg(line((key), v_, sizeof(v_)), "no line %s in:\n%s", (key), R.out);            \
        ck_assert_str_eq(v_, (want));                                                              \
    } while (0)

/* ---- a lock held by another process --------------------------------------- */

/* holder: take lock "mtx", say so, then wait to be killed. */
static int prog_holder(int argc, char **argv)
{
    sm_client *c;
    sm_lock *l;
    (void)argc, (void)argv;
    if (sm_connect(&c, NULL, NULL) || sm_lock_open(c, "mtx", SM_CREATE, NULL, &l) ||
        sm_lock_acquire(l, 5000))
        return 1;
    printf("held\n");
    fflush(stdout);
    for (;;)
        pause();
}

static const struct child_prog progs[] = {{"holder", prog_holder}, {NULL, NULL}};

/* session_of() - the --json sessions entry with pid @pid, or NULL. */
static json_t *session_of(json_t *a, pid_t pid)
{
    size_t i;
    json_t *s;
    json_array_foreach (a, i, s)
        if (json_integer_value(json_object_get(s, "pid")) == pid)
            return s;
    return NULL;
}

START_TEST(test_holder_then_killed)
{
    char buf[16] = "", want[32];
    int out;
    pid_t pid = child_spawn(NULL, &out, "holder", NULL);
    ck_assert_int_gt(pid, 0);
    struct pollfd pfd = {.fd = out, .events = POLLIN};
    ck_assert_msg(poll(&pfd, 1, 10000) == 1, "the holder did not take the lock");
    ck_assert_int_gt(read(out, buf, sizeof(buf) - 1), 0);
    ck_assert_str_eq(buf, "held\n");
    snprintf(want, sizeof(want), "%d", (int)pid);

    /* sessions: the holder's pid, holding one thing */
    ctl("sessions", NULL);
    expect(0, NULL, "");
    ck_assert_msg(strncmp(R.out, "ID  ", 4) == 0 || strstr(R.out, " ID ") != NULL, "%s", R.out);
    ck_assert_ptr_nonnull(strstr(R.out, "PID"));
    char pidcol[32];
    snprintf(pidcol, sizeof(pidcol), " %d ", (int)pid);
    ck_assert_msg(strstr(R.out, pidcol) != NULL, "pid %d not in:\n%s", (int)pid, R.out);
    ctl("--json", "sessions", NULL);
    expect(0, NULL, "");
    json_t *a = json(), *s = session_of(a, pid);
    ck_assert(json_is_array(a));
    ck_assert_msg(s != NULL, "no session with pid %d: %s", (int)pid, R.out);
    ck_assert(json_is_integer(json_object_get(s, "id")));
    ck_assert_int_eq(json_integer_value(json_object_get(s, "uid")), getuid());
    ck_assert_int_eq(json_integer_value(json_object_get(s, "held")), 1);
    ck_assert(json_is_false(json_object_get(s, "readonly")));
    json_int_t sid = json_integer_value(json_object_get(s, "id"));
    ck_assert_ptr_nonnull(session_of(a, getpid())); /* this process, too */
    json_decref(a);

    /* info names it as the holder */
    ctl("info", "mtx", NULL);
    expect(0, NULL, "");
    ck_line("name", "mtx");
    ck_line("type", "lock");
    ck_line("holder.pid", want);
    ck_line("details.count", "1");
    ctl("--json", "info", "mtx", NULL);
    expect(0, NULL, "");
    json_t *j = json(), *h = json_object_get(j, "holder");
    ck_assert_int_eq(json_integer_value(json_object_get(h, "pid")), pid);
    ck_assert_int_eq(json_integer_value(json_object_get(h, "session")), sid);
    ck_assert_int_eq(json_integer_value(json_object_get(h, "uid")), getuid());
    ck_assert_str_eq(json_string_value(json_object_get(j, "type")), "lock");
    json_decref(j);

    /* killed: once the broker has noticed, no holder, the lock abandoned */
    kill(pid, SIGKILL);
    ck_assert_int_eq(child_wait(pid, 5000), 128 + SIGKILL);
    close(out);
    int64_t until = mono_ms() + 10000;
    for (;;) {
        ctl("--json", "info", "mtx", NULL);
        expect(0, NULL, "");
        j = json();
        bool gone = json_is_null(json_object_get(j, "holder"));
        if (gone) {
            ck_assert(json_is_true(json_object_get(json_object_get(j, "details"), "abandoned")));
            json_decref(j);
            break;
        }
        json_decref(j);
        ck_assert_msg(mono_ms() < until, "the holder is still shown 10 s after SIGKILL");
        sleep_ms(50);
    }
    ctl("info", "mtx", NULL);
    expect(0, NULL, "");
    ck_line("holder", "-");
    ck_line("details.abandoned", "true");
    ctl("--json", "sessions", NULL);
    a = json();
    ck_assert_ptr_null(session_of(a, pid));
    json_decref(a);
}
END_TEST

/* ---- stats and info ------------------------------------------------------- */

START_TEST(test_stats)
{
    ctl("new", "dict", "d1", NULL);
    expect(0, "", "");
    ctl("new", "dict", "d2", NULL);
    ctl("new", "event", "e", NULL);
    ctl("set", "d1", "k", "\"0123456789\"", NULL);
    expect(0, "", "");

    ctl("stats", NULL);
    expect(0, NULL, "");
    ck_line("objects", "3");
    ck_line("objects_by_type.dict", "2");
    ck_line("objects_by_type.event", "1");
    ck_line("objects_by_type.lock", "0");
    ck_line("sessions", "2"); /* this process and syncmgrctl */
    ck_line("parked", "0");
    char v[256];
    ck_assert(line("uptime_s", v, sizeof(v)));
    ck_assert(line("ops", v, sizeof(v)) && atoi(v) > 5);
    ck_assert(line("ops_per_s", v, sizeof(v)));
    ck_assert(line("bytes_stored", v, sizeof(v)) && atoi(v) >= 12);
    ck_assert(line("started_ms", v, sizeof(v)) && strchr(v, 'T'));

    ctl("--json", "stats", NULL);
    expect(0, NULL, "");
    json_t *j = json();
    ck_assert(json_is_integer(json_object_get(j, "uptime_s")));
    ck_assert_int_eq(json_integer_value(json_object_get(j, "objects")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "sessions")), 2);
    ck_assert_int_gt(json_integer_value(json_object_get(j, "ops")), 5);
    ck_assert(json_is_number(json_object_get(j, "ops_per_s")));
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(j, "objects_by_type"), "dict")), 2);
    json_decref(j);
    ck_assert_ptr_null(strchr(R.out, ' ')); /* compact */
}
END_TEST

/* info_json() - --json info @name, which must succeed. */
static json_t *info_json(const char *name)
{
    ctl("--json", "info", name, NULL);
    expect(0, NULL, "");
    return json();
}

static json_int_t detail(json_t *info, const char *key)
{
    json_t *v = json_object_get(json_object_get(info, "details"), key);
    ck_assert_msg(v != NULL, "no details.%s", key);
    return json_is_boolean(v) ? json_is_true(v) : json_integer_value(v);
}

/* ---- new ------------------------------------------------------------------ */

START_TEST(test_new_every_type)
{
    json_t *j;
    static const char *const plain[] = {"dict",  "list",      "lock", "rlock",
                                        "event", "namespace", "pipe"};
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
        char name[32];
        snprintf(name, sizeof(name), "o_%s", plain[i]);
        ctl("new", plain[i], name, NULL);
        expect(0, "", "");
        j = info_json(name);
        ck_assert_str_eq(json_string_value(json_object_get(j, "type")), plain[i]);
        ck_assert(json_is_false(json_object_get(j, "temp")));
        json_decref(j);
    }
    ctl("--json", "new", "queue", "q", "--maxsize", "3", "--joinable", NULL);
    expect(0, "{\"name\":\"q\",\"type\":\"queue\",\"temp\":false}\n", "");
    j = info_json("q");
    ck_assert_int_eq(detail(j, "maxsize"), 3);
    ck_assert_int_eq(detail(j, "joinable"), 1);
    json_decref(j);
    ctl("new", "semaphore", "sem", "--value", "4", "--bounded", NULL);
    expect(0, "", "");
    j = info_json("sem");
    ck_assert_int_eq(detail(j, "value"), 4);
    ck_assert_int_eq(detail(j, "initial"), 4);
    ck_assert_int_eq(detail(j, "bounded"), 1);
    json_decref(j);
    ctl("new", "barrier", "bar", "--parties", "3", NULL);
    expect(0, "", "");
    j = info_json("bar");
    ck_assert_int_eq(detail(j, "parties"), 3);
    json_decref(j);
    ctl("new", "condition", "cv", "--lock", "o_lock", NULL);
    expect(0, "", "");
    j = info_json("cv");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "details"), "lock")),
                     "o_lock");
    json_decref(j);
    ctl("new", "value", "val", "--value", "{\"a\": [1, {\"$bin\": \"AQ==\"}]}", NULL);
    expect(0, "", "");
    ctl("--json", "get", "val", NULL);
    expect(0, "{\"a\":[1,{\"$bin\":\"AQ==\"}]}\n", "");
    ctl("new", "array", "arr", "--typecode", "d", "--length", "2", NULL);
    expect(0, "", "");
    j = info_json("arr");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "details"), "typecode")),
                     "d");
    ck_assert_int_eq(detail(j, "length"), 2);
    json_decref(j);
    ctl("new", "array", "arr2", "--typecode", "i", "--initial", "[1, 2, 3]", NULL);
    expect(0, "", "");
    ctl("--json", "get", "arr2", NULL);
    expect(0, "[1,2,3]\n", "");

    /* --temp: it goes with syncmgrctl's session, at once */
    ctl("--json", "new", "list", "t", "--temp", NULL);
    expect(0, "{\"name\":\"t\",\"type\":\"list\",\"temp\":true}\n", "");
    ctl("info", "t", NULL);
    expect(1, "", "syncmgrctl: t: no such object (ENOENT)\n");

    /* refusals */
    ctl("new", "dict", "o_dict", NULL);
    expect(1, "", "syncmgrctl: o_dict: object already exists (EEXIST)\n");
    ctl("new", "lock", "o_dict", NULL);
    expect(1, "", NULL);
    ctl("new", "barrier", "bar0", "--parties", "0", NULL); /* the broker checks the values */
    expect(1, "", NULL);
    ck_assert_ptr_nonnull(strstr(R.err, "(EINVAL)"));
    ctl("new", "condition", "cv2", "--lock", "nolock", NULL);
    expect(1, "", NULL);

    /* usage errors */
    ctl("new", "frob", "x", NULL);
    expect(2, "", "syncmgrctl: new: unknown type 'frob'\ntry 'syncmgrctl --help'\n");
    ctl("new", "queue", "x", "--parties", "2", NULL);
    expect(2, "",
           "syncmgrctl: new: --parties does not apply to a queue\ntry 'syncmgrctl --help'\n");
    ctl("new", "queue", "x", "--frob", NULL);
    expect(2, "", "syncmgrctl: new: unknown option --frob\ntry 'syncmgrctl --help'\n");
    ctl("new", "queue", "x", "--maxsize", NULL);
    expect(2, "", NULL);
    ctl("new", "queue", "x", "--maxsize", "-1", NULL);
    expect(2, "", NULL);
    ctl("new", "array", "x", "--typecode", "dd", NULL);
    expect(2, "", NULL);
    ctl("new", "dict", NULL);
    expect(2, "", NULL);
    ctl("info", "x", NULL);
    expect(1, "", NULL); /* nothing was made */
}
END_TEST

/* ---- the writes ------------------------------------------------------------ */

START_TEST(test_writes)
{
    char path[200];
    FILE *f;
    ctl("new", "dict", "d", NULL);
    ctl("new", "list", "l", NULL);
    ctl("new", "queue", "q", "--maxsize", "1", NULL);
    ctl("new", "namespace", "ns", NULL);
    ctl("new", "value", "v", "--value", "10", NULL);
    ctl("new", "array", "a", "--typecode", "i", "--length", "3", NULL);
    expect(0, "", "");

    /* set: a dict KEY (JSON or a bare word), a namespace attribute, an INDEX, a value */
    ctl("set", "d", "name", "\"alice\"", NULL);
    expect(0, "", "");
    ctl("--json", "set", "d", "1", "[1, 2]", NULL);
    expect(0, "{\"ok\":true}\n", "");
    ctl("--json", "dump", "d", NULL);
    expect(0, "{\"$map\":[[\"name\",\"alice\"],[1,[1,2]]]}\n", "");
    ctl("set", "ns", "1", "true", NULL); /* an attribute name is never JSON */
    expect(0, "", "");
    ctl("get", "ns", "1", NULL);
    expect(0, "true\n", "");
    ctl("set", "v", "{\"x\": null}", NULL);
    expect(0, "", "");
    ctl("get", "v", NULL);
    expect(0, "{\"x\": null}\n", "");
    ctl("set", "a", "-1", "7", NULL);
    expect(0, "", "");
    ctl("get", "a", NULL);
    expect(0, "[0, 0, 7]\n", "");
    ctl("set", "a", "0", "\"x\"", NULL);
    expect(1, "", NULL);

    /* append, then set and del by INDEX */
    ctl("append", "l", "1", NULL);
    expect(0, "", "");
    ctl("--json", "append", "l", "\"two\"", NULL);
    expect(0, "{\"ok\":true}\n", "");
    ctl("set", "l", "0", "1.5", NULL);
    expect(0, "", "");
    ctl("--json", "dump", "l", NULL);
    expect(0, "[1.5,\"two\"]\n", "");
    ctl("del", "l", "-1", NULL);
    expect(0, "", "");
    ctl("del", "l", "5", NULL);
    expect(1, "", "syncmgrctl: l[5]: index out of range (EINDEX)\n");
    ctl("set", "l", "x", "1", NULL);
    expect(2, "", NULL);

    /* del */
    ctl("del", "d", "name", NULL);
    expect(0, "", "");
    ctl("del", "d", "name", NULL);
    expect(1, "", "syncmgrctl: d[name]: no such key (ENOKEY)\n");
    ctl("--json", "del", "ns", "1", NULL);
    expect(0, "{\"ok\":true}\n", "");

    /* put never waits */
    ctl("put", "q", "{\"job\": 1}", NULL);
    expect(0, "", "");
    ctl("put", "q", "2", NULL);
    expect(1, "", NULL);
    ck_assert_ptr_nonnull(strstr(R.err, "(EFULL)"));
    ctl("--json", "get", "q", NULL);
    expect(0, "{\"qsize\":1,\"empty\":false,\"full\":true}\n", "");

    /* incr: a dict's KEY (created at 0), a value */
    ctl("incr", "d", "hits", NULL);
    expect(0, "1\n", "");
    ctl("incr", "d", "hits", "41", NULL);
    expect(0, "42\n", "");
    ctl("--json", "incr", "d", "hits", "-2", NULL);
    expect(0, "40\n", "");
    ctl("incr", "d", "hits", "x", NULL);
    expect(2, "", NULL);
    ctl("incr", "v", NULL);
    expect(1, "", NULL); /* v holds a map now */
    ctl("set", "v", "10", NULL);
    ctl("incr", "v", NULL);
    expect(0, "11\n", "");
    ctl("incr", "v", "0.5", NULL);
    expect(0, "11.5\n", "");
    ctl("incr", "d", NULL);
    expect(2, "", NULL);

    /* VALUE from a file and from stdin */
    snprintf(path, sizeof(path), "%s/value.json", broker.dir);
    ck_assert_ptr_nonnull(f = fopen(path, "w"));
    fputs("{\"from\": \"file\", \"bin\": {\"$bin\": \"AAE=\"}}\n", f);
    fclose(f);
    char at[210];
    snprintf(at, sizeof(at), "@%s", path);
    ctl("set", "d", "f", at, NULL);
    expect(0, "", "");
    ctl("--json", "get", "d", "f", NULL);
    expect(0, "{\"from\":\"file\",\"bin\":{\"$bin\":\"AAE=\"}}\n", "");
    ctl_in(path, "append", "l", "-", NULL);
    expect(0, "", "");
    ctl("--json", "get", "l", "-1", NULL);
    expect(0, "{\"from\":\"file\",\"bin\":{\"$bin\":\"AAE=\"}}\n", "");
    ctl("set", "d", "f", "@/nonexistent/value.json", NULL);
    expect(1, "", "syncmgrctl: /nonexistent/value.json: No such file or directory\n");

    /* usage: not JSON, not for this type, wrong count */
    ctl("set", "d", "k", "alice", NULL);
    expect(2, "", NULL);
    ck_assert_ptr_nonnull(strstr(R.err, "is not JSON"));
    ctl("set", "q", "0", "1", NULL);
    expect(2, "",
           "syncmgrctl: set: q is a queue: 'set' does not apply to it\ntry 'syncmgrctl --help'\n");
    ctl("set", "d", "1", NULL);
    expect(2, "",
           "syncmgrctl: set: d is a dict: usage: set NAME KEY VALUE\ntry 'syncmgrctl --help'\n");
    ctl("set", "v", "k", "1", NULL);
    expect(2, "", NULL);
    ctl("append", "d", "1", NULL);
    expect(2, "", NULL);
    ctl("set", "nothing", "1", NULL);
    expect(1, "", "syncmgrctl: nothing: no such object (ENOENT)\n");

    /* rm */
    ctl("rm", "q", NULL);
    expect(0, "", "");
    ctl("--json", "rm", "l", NULL);
    expect(0, "{\"ok\":true}\n", "");
    ctl("rm", "q", NULL);
    expect(1, "", "syncmgrctl: q: no such object (ENOENT)\n");
    ctl("get", "l", NULL);
    expect(1, "", NULL);
}
END_TEST

/* Every msgpack kind, spelled as ctl_json.h says, is stored by set and
 * comes back by get exactly as it was written. */
START_TEST(test_json_roundtrip_through_the_broker)
{
    static const char *const spellings[] = {
        "null",
        "true",
        "false",
        "0",
        "-33",
        "9223372036854775807",
        "-9223372036854775808",
        "{\"$uint\":\"18446744073709551615\"}",
        "0.5",
        "-0.0",
        "{\"$float\":\"nan\"}",
        "{\"$float\":\"-inf\"}",
        "\"\"",
        "\"h\xc3\xa9llo\"",
        "\"a\\u0000b\"",
        "{\"$str\":\"//4=\"}",
        "{\"$bin\":\"\"}",
        "{\"$bin\":\"AAEC/w==\"}",
        "{\"$ext\":[5,\"AQI=\"]}",
        "[]",
        "[[[]],1,\"x\"]",
        "{}",
        "{\"b\":1,\"a\":{\"$bin\":\"AQ==\"}}",
        "{\"$map\":[[1,\"one\"],[{\"$bin\":\"aw==\"},{\"$map\":[[7,true]]}]]}",
        "{\"$map\":[[\"$bin\",\"AQ==\"]]}",
    };
    char want[256];
    ctl("new", "dict", "d", NULL);
    ctl("new", "value", "v", NULL);
    ctl("new", "list", "l", NULL);
    expect(0, "", "");
    for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
        snprintf(want, sizeof(want), "%s\n", spellings[i]);
        ctl("set", "d", "k", spellings[i], NULL);
        expect(0, "", "");
        ctl("--json", "get", "d", "k", NULL);
        expect(0, want, "");
        ctl("set", "v", spellings[i], NULL);
        expect(0, "", "");
        ctl("--json", "get", "v", NULL);
        expect(0, want, "");
        /* as a dict KEY too (a bare word would be a string: these are JSON) */
        ctl("set", "d", spellings[i], "1", NULL);
        expect(0, "", "");
        ctl("get", "d", spellings[i], NULL);
        expect(0, "1\n", "");
        ctl("append", "l", spellings[i], NULL);
        expect(0, "", "");
        ctl("--json", "get", "l", "-1", NULL);
        expect(0, want, "");
    }
}
END_TEST

/* ---- the read-only key ----------------------------------------------------- */

START_TEST(test_readonly_key)
{
    if (!rokey[0]) {
        fprintf(stderr, "SKIP test_readonly_key: syncmgrd --help has no --readonly-authkey-file "
                        "yet (broker/main.c)\n");
        return;
    }
    ctl("new", "dict", "d", NULL);
    ctl("set", "d", "k", "\"v\"", NULL);
    ctl("new", "lock", "m", NULL);
    expect(0, "", "");

    ctl_key(rokey, "ls", NULL);
    expect(0, NULL, "");
    ck_assert_ptr_nonnull(strstr(R.out, "\nd "));
    ctl_key(rokey, "get", "d", "k", NULL);
    expect(0, "\"v\"\n", "");
    ctl_key(rokey, "--json", "dump", "d", NULL);
    expect(0, "{\"k\":\"v\"}\n", "");
    ctl_key(rokey, "info", "m", NULL);
    expect(0, NULL, "");
    ck_line("type", "lock");
    ctl_key(rokey, "--json", "sessions", NULL);
    expect(0, NULL, "");
    json_t *a = json(), *s;
    size_t i;
    bool ro = false;
    json_array_foreach (a, i, s)
        ro |= json_is_true(json_object_get(s, "readonly"));
    ck_assert_msg(ro, "no read-only session listed: %s", R.out);
    json_decref(a);
    ctl_key(rokey, "stats", NULL);
    expect(0, NULL, "");

    /* every write is refused: exit 1, EAUTH, nothing changed */
    ctl_key(rokey, "set", "d", "k", "\"w\"", NULL);
    expect(1, "", "syncmgrctl: d[k]: authentication failed or not permitted (EAUTH)\n");
    ctl_key(rokey, "del", "d", "k", NULL);
    expect(1, "", NULL);
    ck_assert_ptr_nonnull(strstr(R.err, "(EAUTH)"));
    ctl_key(rokey, "new", "dict", "d2", NULL);
    expect(1, "", "syncmgrctl: d2: authentication failed or not permitted (EAUTH)\n");
    ctl_key(rokey, "rm", "d", NULL);
    expect(1, "", "syncmgrctl: d: authentication failed or not permitted (EAUTH)\n");
    ctl_key(rokey, "incr", "d", "n", NULL);
    expect(1, "", NULL);
    ctl("--json", "dump", "d", NULL);
    expect(0, "{\"k\":\"v\"}\n", "");
    ctl("info", "d2", NULL);
    expect(1, "", NULL);
}
END_TEST

/* ---- exit codes ------------------------------------------------------------ */

START_TEST(test_exit_codes)
{
    char addr[200];
    ctl("info", "nothing", NULL);
    expect(1, "", "syncmgrctl: nothing: no such object (ENOENT)\n");
    ctl("--json", "info", "nothing", NULL);
    expect(1, "", "syncmgrctl: nothing: no such object (ENOENT)\n");
    ctl("info", NULL);
    expect(2, "", "syncmgrctl: usage: info NAME\ntry 'syncmgrctl --help'\n");
    ctl("sessions", "x", NULL);
    expect(2, "", NULL);
    ctl("stats", "x", NULL);
    expect(2, "", NULL);
    ctl("rm", NULL);
    expect(2, "", NULL);
    ctl("incr", "a", "b", "c", "d", NULL);
    expect(2, "", NULL);
    snprintf(addr, sizeof(addr), "ipc://%s/nobody.sock", broker.dir);
    static const char *const cmds[][3] = {{"stats"},         {"sessions"},
                                          {"info", "x"},     {"new", "dict", "x"},
                                          {"set", "x", "1"}, {"rm", "x"}};
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        char *argv[9] = {NULL, "-a", addr, "-k", broker.keyfile};
        for (int k = 0; k < 3 && cmds[i][k]; k++)
            argv[5 + k] = (char *)cmds[i][k];
        run(argv);
        expect(3, "", NULL);
        ck_assert_msg(strstr(R.err, "(ECONN)\n") != NULL, "%s", R.err);
    }
    char *help[] = {NULL, "--help", NULL};
    run(help);
    expect(0, NULL, "");
    static const char *const listed[] = {"  info NAME",
                                         "  sessions",
                                         "  stats",
                                         "  new TYPE NAME",
                                         "  set NAME [KEY] VALUE",
                                         "  del NAME KEY",
                                         "  append NAME VALUE",
                                         "  put NAME VALUE",
                                         "  incr NAME [KEY] [N]",
                                         "  rm NAME"};
    for (size_t i = 0; i < sizeof(listed) / sizeof(listed[0]); i++)
        ck_assert_msg(strstr(R.out, listed[i]) != NULL, "--help lacks %s", listed[i]);
}
END_TEST

int main(int argc, char **argv)
{
    child_dispatch(argc, argv, progs);
    Suite *s = suite_create("cli-ctl-admin");
    TCase *tc = tcase_create("syncmgrctl-admin");
    tcase_set_timeout(tc, 90);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_holder_then_killed);
    tcase_add_test(tc, test_stats);
    tcase_add_test(tc, test_new_every_type);
    tcase_add_test(tc, test_writes);
    tcase_add_test(tc, test_json_roundtrip_through_the_broker);
    tcase_add_test(tc, test_readonly_key);
    tcase_add_test(tc, test_exit_codes);
    suite_add_tcase(s, tc);
    return check_run(s, CK_ENV);
}
