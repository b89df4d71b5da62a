/*
 * test_ctl.c - syncmgrctl's reading commands (ping, ls, get, dump, keygen),
 * connection and usage errors against the real broker.
 *
 * The broker is filled through libsyncmgr, then the built binary
 * ($SYNCMGRCTL) runs with -a/-k (ctl_run.h); its exit code, stdout and
 * stderr are compared exactly.  The JSON spelling on its own is
 * test_ctl_json.c; info, sessions, stats and the writes test_ctl_admin.c.
 */
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_run.h"
#include "ctl_json.h"
#include "ctl_run.h"
#include "errors.h"

static sm_client *cli;
static sm_lock *mtx;
static sm_list *tmp;

static const uint8_t blob[] = {0, 1, 2, 255};

static void setup(void)
{
    sm_dict *d;
    sm_list *l;
    msgpack_sbuffer nb;
    msgpack_packer p;

    memset(&broker, 0, sizeof(broker));
    ck_assert_int_eq(broker_start(&broker, NULL), 0);
    ck_sm(broker_connect(&broker, &cli), SM_OK);

    /* cfg: {"name": "alice", "count": 3, "blob": b'\0\1\2\xff',
     *       "nested": {"a": [1, 2, {"b": None}]}} */
    ck_sm(sm_dict_open(cli, "cfg", SM_CREATE, NULL, &d), SM_OK);
    ck_sm(sm_dict_set(d, sm_str("name"), sm_str("alice")), SM_OK);
    ck_sm(sm_dict_set(d, sm_str("count"), sm_int(3)), SM_OK);
    ck_sm(sm_dict_set(d, sm_str("blob"), sm_bin(blob, sizeof(blob))), SM_OK);
    msgpack_sbuffer_init(&nb);
    msgpack_packer_init(&p, &nb, msgpack_sbuffer_write);
    msgpack_pack_map(&p, 1);
    msgpack_pack_str_with_body(&p, "a", 1);
    msgpack_pack_array(&p, 3);
    msgpack_pack_int(&p, 1);
    msgpack_pack_int(&p, 2);
    msgpack_pack_map(&p, 1);
    msgpack_pack_str_with_body(&p, "b", 1);
    msgpack_pack_nil(&p);
    ck_sm(sm_dict_set(d, sm_str("nested"), sm_msgpack(nb.data, nb.size)), SM_OK);
    msgpack_sbuffer_destroy(&nb);
    sm_dict_close(d);

    /* ids: {1: "one", "1": "string one", b'\x01': "bin one"} */
    ck_sm(sm_dict_open(cli, "ids", SM_CREATE, NULL, &d), SM_OK);
    ck_sm(sm_dict_set(d, sm_int(1), sm_str("one")), SM_OK);
    ck_sm(sm_dict_set(d, sm_str("1"), sm_str("string one")), SM_OK);
    ck_sm(sm_dict_set(d, sm_bin("\x01", 1), sm_str("bin one")), SM_OK);
    sm_dict_close(d);

    /* jobs: ["a", 2, 3.5, None] */
    ck_sm(sm_list_open(cli, "jobs", SM_CREATE, NULL, &l), SM_OK);
    ck_sm(sm_list_append(l, sm_str("a")), SM_OK);
    ck_sm(sm_list_append(l, sm_int(2)), SM_OK);
    ck_sm(sm_list_append(l, sm_f64(3.5)), SM_OK);
    ck_sm(sm_list_append(l, sm_nil()), SM_OK);
    sm_list_close(l);

    /* tmp: a temporary list, kept open; mtx: a lock this process holds */
    ck_sm(sm_list_open(cli, "tmp", SM_CREATE | SM_TEMP, NULL, &tmp), SM_OK);
    ck_sm(sm_lock_open(cli, "mtx", SM_CREATE, NULL, &mtx), SM_OK);
    ck_sm(sm_lock_acquire(mtx, 0), SM_OK);
}

static void teardown(void)
{
    sm_list_close(tmp);
    sm_lock_close(mtx);
    tmp = NULL;
    mtx = NULL;
    sm_disconnect(cli);
    cli = NULL;
    broker_stop(&broker, true);
}

START_TEST(test_ping)
{
    json_t *j;
    char want[64];
    ctl("ping", NULL);
    expect(0, NULL, "");
    snprintf(want, sizeof(want), "PONG syncmgrd %s time=", SM_VERSION);
    ck_assert_msg(strncmp(R.out, want, strlen(want)) == 0, "ping printed %s", R.out);
    ck_assert_ptr_nonnull(strstr(R.out, "us\n"));

    ctl("--json", "ping", NULL);
    expect(0, NULL, "");
    ck_assert_ptr_nonnull(j = json_loads(R.out, 0, NULL));
    ck_assert_str_eq(json_string_value(json_object_get(j, "version")), SM_VERSION);
    ck_assert(json_is_integer(json_object_get(j, "rtt_us")));
    ck_assert_int_ge(json_integer_value(json_object_get(j, "rtt_us")), 0);
    ck_assert_int_eq(json_object_size(j), 2);
    json_decref(j);

    /* the address and key from the environment, as the library takes them */
    broker_setenv(&broker);
    char *argv[] = {NULL, "ping", NULL};
    run(argv);
    expect(0, NULL, "");
}
END_TEST

/* row() - the whitespace-separated cells of the table line naming @name. */
static int row(const char *name, char cells[7][64])
{
    char fmt[64];
    for (const char *line = R.out; line && *line; line = strchr(line, '\n'), line += !!line)
        if (!strncmp(line, name, strlen(name)) && line[strlen(name)] == ' ') {
            snprintf(fmt, sizeof(fmt), "%%63s %%63s %%63s %%63s %%63s %%63s %%63s");
            return sscanf(line, fmt, cells[0], cells[1], cells[2], cells[3], cells[4], cells[5],
                          cells[6]);
        }
    return 0;
}

START_TEST(test_ls)
{
    char c[7][64], pid[24];
    snprintf(pid, sizeof(pid), "%d", (int)getpid());

    ctl("ls", NULL);
    expect(0, NULL, "");
    /* header, then one line per object sorted by name */
    ck_assert_int_eq(row("NAME", c), 7);
    ck_assert_str_eq(c[0], "NAME");
    ck_assert_str_eq(c[3], "WAITERS");
    ck_assert_str_eq(c[6], "CREATED");
    ck_assert_int_eq(row("cfg", c), 7);
    ck_assert_str_eq(c[1], "dict");
    ck_assert_str_eq(c[2], "4");
    ck_assert_str_eq(c[3], "0");
    ck_assert_str_eq(c[4], "-");
    ck_assert_str_eq(c[5], "no");
    ck_assert_int_eq(strlen(c[6]), 25); /* 2024-05-01T12:34:56+02:00 */
    ck_assert(c[6][10] == 'T' && c[6][22] == ':');
    ck_assert_int_eq(row("jobs", c), 7);
    ck_assert_str_eq(c[1], "list");
    ck_assert_str_eq(c[2], "4");
    ck_assert_int_eq(row("mtx", c), 7);
    ck_assert_str_eq(c[1], "lock");
    ck_assert_str_eq(c[4], pid);
    ck_assert_int_eq(row("tmp", c), 7);
    ck_assert_str_eq(c[5], "yes");
    ck_assert_int_eq(row("ids", c), 7);
    ck_assert(strstr(R.out, "\ncfg ") < strstr(R.out, "\nids "));
    ck_assert(strstr(R.out, "\njobs ") < strstr(R.out, "\nmtx "));
    /* numbers are right-aligned under their heading */
    const char *line = strstr(R.out, "\nmtx ") + 1;
    ck_assert_int_eq(strstr(line, pid) + strlen(pid) - line,
                     strstr(R.out, "HOLDER") + strlen("HOLDER") - R.out);

    /* a glob */
    ctl("ls", "j*", NULL);
    expect(0, NULL, "");
    ck_assert_int_eq(row("jobs", c), 7);
    ck_assert_int_eq(row("cfg", c), 0);
    ctl("ls", "nothing*", NULL);
    expect(0, "NAME  TYPE  SIZE  WAITERS  HOLDER  TEMP  CREATED\n", "");
}
END_TEST

START_TEST(test_ls_json)
{
    json_t *a, *o;
    ctl("--json", "ls", NULL);
    expect(0, NULL, "");
    ck_assert_ptr_nonnull(a = json_loads(R.out, 0, NULL));
    ck_assert(json_is_array(a));
    ck_assert_int_eq(json_array_size(a), 5);
    static const char *names[] = {"cfg", "ids", "jobs", "mtx", "tmp"};
    static const char *types[] = {"dict", "dict", "list", "lock", "list"};
    for (size_t i = 0; i < 5; i++) {
        o = json_array_get(a, i);
        ck_assert_int_eq(json_object_size(o), 7);
        ck_assert_str_eq(json_string_value(json_object_get(o, "name")), names[i]);
        ck_assert_str_eq(json_string_value(json_object_get(o, "type")), types[i]);
        ck_assert(json_is_integer(json_object_get(o, "size")));
        ck_assert_int_eq(json_integer_value(json_object_get(o, "waiters")), 0);
        ck_assert(json_is_boolean(json_object_get(o, "temp")));
        ck_assert_int_gt(json_integer_value(json_object_get(o, "created_ms")), 1600000000000);
        if (i == 3)
            ck_assert_int_eq(json_integer_value(json_object_get(o, "holder_pid")), getpid());
        else
            ck_assert(json_is_null(json_object_get(o, "holder_pid")));
    }
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(a, 0), "size")), 4);
    ck_assert(json_is_true(json_object_get(json_array_get(a, 4), "temp")));
    json_decref(a);

    ctl("--json", "ls", "?tmp", NULL);
    expect(0, "[]\n", "");
    ctl("--json", "ls", "t?p", NULL);
    expect(0, NULL, "");
    ck_assert_ptr_nonnull(a = json_loads(R.out, 0, NULL));
    ck_assert_int_eq(json_array_size(a), 1);
    json_decref(a);
}
END_TEST

START_TEST(test_get)
{
    ctl("get", "cfg", "count", NULL); /* a bare word is a string key */
    expect(0, "3\n", "");
    ctl("get", "cfg", "\"count\"", NULL); /* so is a JSON string */
    expect(0, "3\n", "");
    ctl("get", "cfg", "name", NULL);
    expect(0, "\"alice\"\n", "");
    ctl("get", "cfg", "nested", NULL);
    expect(0, "{\"a\": [1, 2, {\"b\": null}]}\n", "");
    ctl("--json", "get", "cfg", "nested", NULL);
    expect(0, "{\"a\":[1,2,{\"b\":null}]}\n", "");
    ctl("get", "ids", "1", NULL); /* JSON: the integer 1 */
    expect(0, "\"one\"\n", "");
    ctl("get", "ids", "\"1\"", NULL);
    expect(0, "\"string one\"\n", "");
    ctl("get", "ids", "{\"$bin\": \"AQ==\"}", NULL);
    expect(0, "\"bin one\"\n", "");

    ctl("get", "cfg", "nokey", NULL);
    expect(1, "", "syncmgrctl: cfg[nokey]: no such key (ENOKEY)\n");
    ctl("get", "ids", "2", NULL);
    expect(1, "", "syncmgrctl: ids[2]: no such key (ENOKEY)\n");
    ctl("get", "nothing", NULL);
    expect(1, "", "syncmgrctl: nothing: no such object (ENOENT)\n");
    ctl("get", "cf*", NULL); /* a name, not a glob */
    expect(1, "", "syncmgrctl: cf*: no such object (ENOENT)\n");

    ctl("get", "jobs", "0", NULL);
    expect(0, "\"a\"\n", "");
    ctl("get", "jobs", "2", NULL);
    expect(0, "3.5\n", "");
    ctl("get", "jobs", "-1", NULL);
    expect(0, "null\n", "");
    ctl("get", "jobs", "-4", NULL);
    expect(0, "\"a\"\n", "");
    ctl("get", "jobs", "4", NULL);
    expect(1, "", "syncmgrctl: jobs[4]: index out of range (EINDEX)\n");
    ctl("get", "jobs", "-5", NULL);
    expect(1, "", "syncmgrctl: jobs[-5]: index out of range (EINDEX)\n");
    ctl("get", "jobs", "first", NULL);
    expect(2, "", NULL);

    ctl("get", "mtx", NULL);
    expect(0, "{\"locked\": true}\n", "");
    ctl("get", "mtx", "x", NULL);
    expect(2, "", NULL);
    ck_sm(sm_lock_release(mtx), SM_OK);
    ctl("--json", "get", "mtx", NULL);
    expect(0, "{\"locked\":false}\n", "");
}
END_TEST

START_TEST(test_dump)
{
    ctl("dump", "cfg", NULL);
    expect(0,
           "{\"name\": \"alice\", \"count\": 3, \"blob\": {\"$bin\": \"AAEC/w==\"}, "
           "\"nested\": {\"a\": [1, 2, {\"b\": null}]}}\n",
           "");
    ctl("--json", "dump", "cfg", NULL);
    expect(0,
           "{\"name\":\"alice\",\"count\":3,\"blob\":{\"$bin\":\"AAEC/w==\"},"
           "\"nested\":{\"a\":[1,2,{\"b\":null}]}}\n",
           "");
    ctl("get", "cfg", NULL); /* get without KEY: the same */
    expect(0, NULL, "");
    ck_assert_ptr_nonnull(strstr(R.out, "\"nested\": {\"a\""));
    ctl("--json", "dump", "ids", NULL);
    expect(0, "{\"$map\":[[1,\"one\"],[\"1\",\"string one\"],[{\"$bin\":\"AQ==\"},\"bin one\"]]}\n",
           "");
    ctl("dump", "jobs", NULL);
    expect(0, "[\"a\", 2, 3.5, null]\n", "");
    ctl("--json", "dump", "jobs", NULL);
    expect(0, "[\"a\",2,3.5,null]\n", "");
    ctl("dump", "tmp", NULL);
    expect(0, "[]\n", "");
    ctl("dump", "mtx", NULL);
    expect(0, "{\"locked\": true}\n", "");
    ctl("dump", "nothing", NULL);
    expect(1, "", "syncmgrctl: nothing: no such object (ENOENT)\n");
}
END_TEST

START_TEST(test_bin_roundtrip)
{
    json_t *j;
    uint8_t got[16];
    size_t n;
    ctl("--json", "get", "cfg", "blob", NULL);
    expect(0, "{\"$bin\":\"AAEC/w==\"}\n", "");
    ck_assert_ptr_nonnull(j = json_loads(R.out, 0, NULL));
    const char *b64 = json_string_value(json_object_get(j, "$bin"));
    ck_assert_ptr_nonnull(b64);
    ck_assert_int_eq(sodium_base642bin(got, sizeof(got), b64, strlen(b64), NULL, &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
    ck_assert_int_eq(n, sizeof(blob));
    ck_assert_mem_eq(got, blob, sizeof(blob));
    json_decref(j);
}
END_TEST

START_TEST(test_connect_errors)
{
    char path[200], addr[200];
    /* a key the broker does not have */
    snprintf(path, sizeof(path), "%s/wrongkey", broker.dir);
    ck_assert_int_eq(keyfile_write(path, "0123456789abcdef0123456789abcdef\n", 33, 0600), 0);
    char *wrong[] = {NULL, "-a", broker.address, "-k", path, "ping", NULL};
    run(wrong);
    expect(3, "", NULL);
    ck_assert_msg(strstr(R.err, "(EAUTH)\n") != NULL, "%s", R.err);
    /* a key file others may read; a missing one */
    ck_assert_int_eq(chmod(path, 0644), 0);
    run(wrong);
    expect(3, "", NULL);
    ck_assert_msg(strstr(R.err, "syncmgrctl: authkey file ") == R.err, "%s", R.err);
    wrong[4] = "/nonexistent/authkey";
    run(wrong);
    expect(3, "",
           "syncmgrctl: authkey file /nonexistent/authkey: No such file or directory "
           "(ENOENT)\n");
    /* no broker there */
    snprintf(addr, sizeof(addr), "ipc://%s/nobody.sock", broker.dir);
    char *none[] = {NULL, "-a", addr, "-k", broker.keyfile, "ls", NULL};
    run(none);
    expect(3, "", NULL);
    ck_assert_msg(strstr(R.err, "(ECONN)\n") != NULL, "%s", R.err);
}
END_TEST

START_TEST(test_usage)
{
    static const char hint[] = "try 'syncmgrctl --help'\n";
    ctl("frobnicate", NULL);
    expect(2, "", NULL);
    ck_assert_str_eq(R.err, "syncmgrctl: unknown command 'frobnicate'\ntry 'syncmgrctl --help'\n");
    ctl(NULL, NULL);
    expect(2, "", "syncmgrctl: no command given\ntry 'syncmgrctl --help'\n");
    ctl("get", NULL);
    expect(2, "", "syncmgrctl: usage: get NAME [KEY|INDEX]\ntry 'syncmgrctl --help'\n");
    ctl("dump", "a", "b", NULL);
    expect(2, "", NULL);
    ctl("ping", "extra", NULL);
    expect(2, "", NULL);
    ctl("--frob", "ping", NULL);
    expect(2, "", NULL);
    ck_assert_ptr_nonnull(strstr(R.err, hint));
    char *noarg[] = {NULL, "-a", NULL};
    run(noarg);
    expect(2, "", "syncmgrctl: option '-a' needs an argument\ntry 'syncmgrctl --help'\n");

    char *help[] = {NULL, "--help", NULL};
    run(help);
    expect(0, NULL, "");
    ck_assert_ptr_nonnull(strstr(R.out, "usage: syncmgrctl"));
    ck_assert_ptr_nonnull(strstr(R.out, "  get NAME [KEY|INDEX]"));
    char *version[] = {NULL, "--version", NULL};
    run(version);
    expect(0, "syncmgrctl " SM_VERSION "\n", "");
}
END_TEST

START_TEST(test_keygen)
{
    char path[200], key[128];
    struct stat st;
    snprintf(path, sizeof(path), "%s/newkey", broker.dir);
    char *argv[] = {NULL, "keygen", path, NULL};
    run(argv);
    expect(0, "", "");
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_size, 65);
    ck_assert_int_eq(st.st_mode & 07777, 0640);
    slurp(path, key, sizeof(key));
    ck_assert_int_eq(strspn(key, "0123456789abcdef"), 64);
    ck_assert_int_eq(key[64], '\n');

    run(argv); /* refuses an existing file, which stays as it was */
    expect(1, "", NULL);
    ck_assert_ptr_nonnull(strstr(R.err, "(EEXIST)"));
    char again[128];
    slurp(path, again, sizeof(again));
    ck_assert_str_eq(again, key);

    /* a good key file (mode 0640 passes), but not the broker's key */
    char *ping[] = {NULL, "-a", broker.address, "-k", path, "ping", NULL};
    run(ping);
    expect(3, "", NULL);
    ck_assert_msg(strstr(R.err, "(EAUTH)\n") != NULL, "%s", R.err);
}
END_TEST

/* ==== every other type: what get and dump show, and that they change nothing */

static sm_queue *q;
static sm_pipe *pp1;
static sm_rlock *rl;

/* packed() - @n ints as a packed msgpack array in @b (destroy it). */
static sm_val packed(msgpack_sbuffer *b, size_t n, const int64_t *v)
{
    msgpack_packer p;
    msgpack_sbuffer_init(b);
    msgpack_packer_init(&p, b, msgpack_sbuffer_write);
    msgpack_pack_array(&p, n);
    for (size_t i = 0; i < n; i++)
        msgpack_pack_int64(&p, v[i]);
    return sm_msgpack(b->data, b->size);
}

static void setup_types(void)
{
    static const int64_t nums[] = {1, -2, 3};
    msgpack_sbuffer b;
    sm_sem *sem;
    sm_event *ev;
    sm_barrier *bar;
    sm_value *val;
    sm_array *arr;
    sm_namespace *ns;
    sm_pipe *pp0;
    sm_cond *cv;

    setup();
    /* q: a queue of 2 holding "x", 7: full */
    ck_sm(sm_queue_open(cli, "q", SM_CREATE, &(sm_queue_opts){.maxsize = 2}, &q), SM_OK);
    ck_sm(sm_queue_put(q, sm_str("x"), 0), SM_OK);
    ck_sm(sm_queue_put(q, sm_int(7), 0), SM_OK);
    /* sem: a bounded semaphore of 3 with one unit taken */
    ck_sm(sm_sem_open(cli, "sem", SM_CREATE, &(sm_sem_opts){.value = 3, .bounded = true}, &sem),
          SM_OK);
    ck_sm(sm_sem_acquire(sem, 0), SM_OK);
    sm_sem_close(sem);
    ck_sm(sm_event_open(cli, "ev", SM_CREATE, NULL, &ev), SM_OK);
    ck_sm(sm_event_set(ev), SM_OK);
    sm_event_close(ev);
    ck_sm(sm_barrier_open(cli, "bar", SM_CREATE, &(sm_barrier_opts){.parties = 3}, &bar), SM_OK);
    sm_barrier_close(bar);
    ck_sm(sm_value_open(cli, "val", SM_CREATE, &(sm_value_opts){.initial = sm_str("ready")}, &val),
          SM_OK);
    sm_value_close(val);
    /* arr: array('i', [1, -2, 3]); farr: array('d', [0.0, 0.0]) */
    sm_array_opts ao = {.typecode = 'i', .initial = packed(&b, 3, nums)};
    ck_sm(sm_array_open(cli, "arr", SM_CREATE, &ao, &arr), SM_OK);
    msgpack_sbuffer_destroy(&b);
    sm_array_close(arr);
    ck_sm(
        sm_array_open(cli, "farr", SM_CREATE, &(sm_array_opts){.typecode = 'd', .length = 2}, &arr),
        SM_OK);
    sm_array_close(arr);
    /* ns: host="db1", port=5432, and an attribute named "1" */
    ck_sm(sm_namespace_open(cli, "ns", SM_CREATE, NULL, &ns), SM_OK);
    ck_sm(sm_namespace_set(ns, "host", sm_str("db1")), SM_OK);
    ck_sm(sm_namespace_set(ns, "port", sm_int(5432)), SM_OK);
    ck_sm(sm_namespace_set(ns, "1", sm_str("one")), SM_OK);
    sm_namespace_close(ns);
    /* pp: end 0 sent "ping" to end 1, which keeps its handle */
    ck_sm(sm_pipe_open(cli, "pp", SM_CREATE, NULL, &pp0), SM_OK);
    ck_sm(sm_pipe_send(pp0, sm_str("ping")), SM_OK);
    sm_pipe_close(pp0);
    ck_sm(sm_pipe_open(cli, "pp", 0, &(sm_pipe_opts){.end = 1}, &pp1), SM_OK);
    /* cv over mtx (held by this process), cvp with a private lock */
    ck_sm(sm_cond_open(cli, "cv", SM_CREATE, &(sm_cond_opts){.lock = "mtx"}, &cv), SM_OK);
    sm_cond_close(cv);
    ck_sm(sm_cond_open(cli, "cvp", SM_CREATE, NULL, &cv), SM_OK);
    sm_cond_close(cv);
    /* rl: an rlock this thread holds twice */
    ck_sm(sm_rlock_open(cli, "rl", SM_CREATE, NULL, &rl), SM_OK);
    ck_sm(sm_rlock_acquire(rl, 0), SM_OK);
    ck_sm(sm_rlock_acquire(rl, 0), SM_OK);
}

static void teardown_types(void)
{
    sm_queue_close(q);
    sm_pipe_close(pp1);
    sm_rlock_close(rl);
    q = NULL;
    pp1 = NULL;
    rl = NULL;
    teardown();
}

/* shows() - "get NAME" and "dump NAME" both print @human, and with --json
 * @compact. */
static void shows(const char *name, const char *human, const char *compact)
{
    char h[256], c[256];
    snprintf(h, sizeof(h), "%s\n", human);
    snprintf(c, sizeof(c), "%s\n", compact);
    ctl("get", name, NULL);
    expect(0, h, "");
    ctl("dump", name, NULL);
    expect(0, h, "");
    ctl("--json", "get", name, NULL);
    expect(0, c, "");
    ctl("--json", "dump", name, NULL);
    expect(0, c, "");
}

START_TEST(test_show_sync)
{
    char want[64], compact[64];
    shows("q", "{\"qsize\": 2, \"empty\": false, \"full\": true}",
          "{\"qsize\":2,\"empty\":false,\"full\":true}");
    shows("sem", "{\"value\": 2}", "{\"value\":2}");
    shows("ev", "{\"set\": true}", "{\"set\":true}");
    shows("bar", "{\"parties\": 3, \"n_waiting\": 0, \"broken\": false}",
          "{\"parties\":3,\"n_waiting\":0,\"broken\":false}");
    shows("rl", "{\"locked\": true}", "{\"locked\":true}");
    snprintf(want, sizeof(want), "{\"lock_holder_pid\": %d}", (int)getpid());
    snprintf(compact, sizeof(compact), "{\"lock_holder_pid\":%d}", (int)getpid());
    shows("cv", want, compact);
    shows("cvp", "{\"lock_holder_pid\": null}", "{\"lock_holder_pid\":null}");
    shows("pp", "{\"ready\": [false, true]}", "{\"ready\":[false,true]}");

    /* later states show too */
    sm_barrier *bar;
    ck_sm(sm_barrier_open(cli, "bar", 0, NULL, &bar), SM_OK);
    ck_sm(sm_barrier_abort(bar), SM_OK);
    sm_barrier_close(bar);
    ctl("--json", "get", "bar", NULL);
    expect(0, "{\"parties\":3,\"n_waiting\":0,\"broken\":true}\n", "");
    ck_sm(sm_rlock_release(rl), SM_OK);
    ck_sm(sm_rlock_release(rl), SM_OK);
    ctl("get", "rl", NULL);
    expect(0, "{\"locked\": false}\n", "");

    /* no items: a KEY is a usage error */
    ctl("get", "q", "0", NULL);
    expect(2, "",
           "syncmgrctl: get: q is a queue: it takes no KEY or INDEX\n"
           "try 'syncmgrctl --help'\n");
    ctl("get", "pp", "1", NULL);
    expect(2, "", NULL);
}
END_TEST

START_TEST(test_show_data)
{
    shows("val", "\"ready\"", "\"ready\"");
    shows("arr", "[1, -2, 3]", "[1,-2,3]");
    shows("farr", "[0.0, 0.0]", "[0.0,0.0]");
    shows("ns", "{\"host\": \"db1\", \"port\": 5432, \"1\": \"one\"}",
          "{\"host\":\"db1\",\"port\":5432,\"1\":\"one\"}");

    /* an array's item by INDEX, from the end too */
    ctl("get", "arr", "1", NULL);
    expect(0, "-2\n", "");
    ctl("--json", "get", "arr", "-1", NULL);
    expect(0, "3\n", "");
    ctl("get", "arr", "3", NULL);
    expect(1, "", "syncmgrctl: arr[3]: index out of range (EINDEX)\n");
    ctl("get", "arr", "one", NULL);
    expect(2, "", NULL);

    /* a namespace attribute, by its name as given (never read as JSON) */
    ctl("get", "ns", "port", NULL);
    expect(0, "5432\n", "");
    ctl("get", "ns", "1", NULL);
    expect(0, "\"one\"\n", "");
    ctl("get", "ns", "user", NULL);
    expect(1, "", "syncmgrctl: ns[user]: no such key (ENOKEY)\n");

    /* a value of any kind */
    sm_value *val;
    ck_sm(sm_value_open(cli, "val", 0, NULL, &val), SM_OK);
    ck_sm(sm_value_set(val, sm_bin(blob, sizeof(blob))), SM_OK);
    sm_value_close(val);
    ctl("--json", "dump", "val", NULL);
    expect(0, "{\"$bin\":\"AAEC/w==\"}\n", "");
    ctl("get", "val", "0", NULL);
    expect(2, "", NULL);
}
END_TEST

/* Showing never takes: the queue keeps its items and the pipe its value. */
START_TEST(test_show_consumes_nothing)
{
    size_t n;
    bool ready;
    sm_val v;
    for (int i = 0; i < 3; i++) {
        ctl("dump", "q", NULL);
        expect(0, NULL, "");
        ctl("get", "pp", NULL);
        expect(0, NULL, "");
    }
    ck_sm(sm_queue_qsize(q, &n), SM_OK);
    ck_assert_uint_eq(n, 2);
    ck_sm(sm_queue_get(q, &v, 0), SM_OK);
    ck_assert_str_eq(v.v.buf.ptr, "x");
    sm_val_free(&v);
    ctl("--json", "get", "q", NULL);
    expect(0, "{\"qsize\":1,\"empty\":false,\"full\":false}\n", "");

    ck_sm(sm_pipe_poll(pp1, 0, &ready), SM_OK);
    ck_assert(ready);
    ck_sm(sm_pipe_recv(pp1, &v, 0), SM_OK);
    ck_assert_str_eq(v.v.buf.ptr, "ping");
    sm_val_free(&v);
    ctl("--json", "dump", "pp", NULL);
    expect(0, "{\"ready\":[false,false]}\n", "");
    /* showing opens with flags 0: an absent name stays absent */
    ctl("dump", "nothing", NULL);
    expect(1, "", "syncmgrctl: nothing: no such object (ENOENT)\n");
    ctl("ls", "nothing", NULL);
    expect(0, "NAME  TYPE  SIZE  WAITERS  HOLDER  TEMP  CREATED\n", "");
}
END_TEST

/* ls: every type by its name, with its size and holder. */
START_TEST(test_ls_types)
{
    static const struct {
        const char *name, *type, *size;
        bool held;
    } want[] = {
        {"arr", "array", "3", false},     {"bar", "barrier", "0", false},
        {"cv", "condition", "0", true},   {"cvp", "condition", "0", false},
        {"ev", "event", "1", false},      {"farr", "array", "2", false},
        {"ns", "namespace", "3", false},  {"pp", "pipe", "1", false},
        {"q", "queue", "2", false},       {"rl", "rlock", "2", true},
        {"sem", "semaphore", "2", false}, {"val", "value", "1", false},
    };
    char c[7][64], pid[24];
    snprintf(pid, sizeof(pid), "%d", (int)getpid());
    ctl("ls", NULL);
    expect(0, NULL, "");
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        ck_assert_msg(row(want[i].name, c) == 7, "no ls row for %s", want[i].name);
        ck_assert_str_eq(c[1], want[i].type);
        ck_assert_str_eq(c[2], want[i].size);
        ck_assert_str_eq(c[3], "0");
        ck_assert_str_eq(c[4], want[i].held ? pid : "-");
    }
}
END_TEST

int main(int argc, char **argv)
{
    static const struct child_prog none[] = {{NULL, NULL}};
    child_dispatch(argc, argv, none);

    Suite *s = suite_create("cli-ctl");

    TCase *tc = tcase_create("syncmgrctl");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_ping);
    tcase_add_test(tc, test_ls);
    tcase_add_test(tc, test_ls_json);
    tcase_add_test(tc, test_get);
    tcase_add_test(tc, test_dump);
    tcase_add_test(tc, test_bin_roundtrip);
    tcase_add_test(tc, test_connect_errors);
    tcase_add_test(tc, test_usage);
    tcase_add_test(tc, test_keygen);
    suite_add_tcase(s, tc);

    TCase *tt = tcase_create("syncmgrctl-types");
    tcase_set_timeout(tt, 60);
    tcase_add_checked_fixture(tt, setup_types, teardown_types);
    tcase_add_test(tt, test_show_sync);
    tcase_add_test(tt, test_show_data);
    tcase_add_test(tt, test_show_consumes_nothing);
    tcase_add_test(tt, test_ls_types);
    suite_add_tcase(s, tt);

    return check_run(s, CK_ENV);
}
