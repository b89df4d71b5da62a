/*
 * test_persist.c - the journal and snapshots in a core without a network:
 * requests that parked are replayed where they took effect, a copy of the
 * directory taken at any moment loads the state of that moment, a damaged
 * snapshot keeps what came before the damage, and files left by an
 * interrupted snapshot are swept.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_run.h"
#include "park_call.h"
#include "persist.h"

static char dir[64], copy[80];

static void run(const char *fmt, const char *a, const char *b)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), fmt, a, b);
    ck_assert_int_eq(system(cmd), 0);
}

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/sm-persist-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(copy, sizeof(copy), "%s.copy", dir);
    pc_setup();
    ck_assert_int_eq(persist_open(&pc_core, dir, PERSIST_FSYNC_NO, 1 << 20), 0);
}

static void teardown(void)
{
    persist_close(&pc_core);
    pc_teardown();
    run("rm -rf '%s' '%s'", dir, copy);
}

/* reopen() - a fresh core loading @from, as a restarted broker would. */
static void reopen(const char *from)
{
    persist_close(&pc_core);
    pc_teardown();
    pc_setup();
    ck_assert_int_eq(persist_open(&pc_core, from, PERSIST_FSYNC_NO, 1 << 20), 0);
}

/* crash_copy() - the directory as a crash now would leave it, copied; then
 * @damage (may be NULL) changes files in the copy, which is reopened. */
static void crash_copy(void (*damage)(void))
{
    run("rm -rf '%s' && mkdir '%s'", copy, copy);
    run("cp -a '%s/.' '%s'", dir, copy);
    if (damage)
        damage();
    reopen(copy);
}

/* copy_path() - @name in the copy. */
static const char *copy_path(const char *name)
{
    static char path[128];
    snprintf(path, sizeof(path), "%s/%s", copy, name);
    return path;
}

static uint64_t queue_open(struct session *s, const char *name, uint64_t maxsize)
{
    return pc_open(s, name, SM_T_QUEUE, OPEN_CREATE, "MsU", 1, "maxsize", maxsize);
}

/* drained() - every item of queue @name as "a,b,"; the queue is emptied. */
static const char *drained(struct session *s, const char *name)
{
    static char out[256];
    struct pc_reply r;
    size_t used = 0;
    uint64_t h = queue_open(s, name, 0);
    out[0] = 0;
    while (pc_call(s, 0, &r, SMOP_queue_get, "UI", h, (int64_t)0) == SM_OK) {
        const char *str;
        uint32_t len;
        mp_reader rd;
        mp_reader_init(&rd, r.fields, r.len);
        ck_assert_int_eq(mp_read_str(&rd, &str, &len), SM_OK);
        used += (size_t)snprintf(out + used, sizeof(out) - used, "%.*s,", (int)len, str);
    }
    return out;
}

START_TEST(test_parked_replay)
{
    struct session *a = pc_session(1), *b = pc_session(2);
    uint64_t full = queue_open(a, "full", 1), empty = queue_open(a, "empty", 0);
    struct pc_reply r;
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_queue_put, "UsI", full, "first", (int64_t)0), SM_OK);
    /* b's put parks on the full queue, b's get on the empty one */
    ck_assert_int_eq(pc_call(b, 1, NULL, SMOP_queue_put, "UsI", full, "late", (int64_t)-1),
                     SM_PARKED);
    ck_assert_int_eq(pc_call(b, 2, NULL, SMOP_queue_get, "UI", empty, (int64_t)-1), SM_PARKED);
    /* a crash now: nothing the parked requests asked for happened */
    crash_copy(NULL);
    a = pc_session(1);
    ck_assert_str_eq(drained(a, "full"), "first,");
    ck_assert_str_eq(drained(a, "empty"), "");
    reopen(dir);
    a = pc_session(1);
    b = pc_session(2);
    full = queue_open(a, "full", 1);
    empty = queue_open(a, "empty", 0);
    ck_assert_int_eq(pc_call(b, 1, NULL, SMOP_queue_put, "UsI", full, "late", (int64_t)-1),
                     SM_PARKED);
    ck_assert_int_eq(pc_call(b, 2, NULL, SMOP_queue_get, "UI", empty, (int64_t)-1), SM_PARKED);
    /* a's get lets the put in; a's put goes straight to the parked get */
    ck_assert_int_eq(pc_call(a, 0, &r, SMOP_queue_get, "UI", full, (int64_t)0), SM_OK);
    ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_queue_put, "UsI", empty, "handed", (int64_t)0),
                     SM_OK);
    ck_assert_uint_eq(pc_nsent, 2);
    crash_copy(NULL);
    a = pc_session(1);
    ck_assert_str_eq(drained(a, "full"), "late,");
    ck_assert_str_eq(drained(a, "empty"), "");
}
END_TEST

/* cut_snapshot() - the end record and half of the last record go. */
static void cut_snapshot(void)
{
    struct stat st;
    ck_assert_int_eq(stat(copy_path("snapshot"), &st), 0);
    ck_assert_int_eq(truncate(copy_path("snapshot"), st.st_size - 12), 0);
}

START_TEST(test_damaged_snapshot)
{
    struct session *a = pc_session(1);
    uint64_t q = queue_open(a, "q", 0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pc_call(a, 0, NULL, SMOP_queue_put, "UsI", q, "x", (int64_t)0), SM_OK);
    ck_assert_int_eq(persist_snapshot(&pc_core), SM_OK);
    crash_copy(cut_snapshot);
    a = pc_session(1);
    ck_assert_str_eq(drained(a, "q"), "x,x,");
}
END_TEST

/* leftovers() - what a crash in the middle of a snapshot leaves. */
static void leftovers(void)
{
    close(open(copy_path("journal.1"), O_CREAT | O_WRONLY, 0600));
    close(open(copy_path("snapshot.tmp"), O_CREAT | O_WRONLY, 0600));
}

START_TEST(test_sweep)
{
    struct session *a = pc_session(1);
    queue_open(a, "q", 0);
    ck_assert_int_eq(persist_snapshot(&pc_core), SM_OK); /* now journal.2 */
    char old[96];
    snprintf(old, sizeof(old), "%s/journal.1", dir);
    ck_assert_int_eq(access(old, F_OK), -1); /* the snapshot made it history */
    crash_copy(leftovers);
    ck_assert_int_eq(access(copy_path("journal.1"), F_OK), -1);
    ck_assert_int_eq(access(copy_path("snapshot.tmp"), F_OK), -1);
    ck_assert_int_eq(access(copy_path("journal.2"), F_OK), 0);
    ck_assert_ptr_nonnull(registry_lookup(&pc_core, "q", 1));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("persist");
    TCase *tc = tcase_create("persist");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_parked_replay);
    tcase_add_test(tc, test_damaged_snapshot);
    tcase_add_test(tc, test_sweep);
    suite_add_tcase(s, tc);
    return check_run(s, CK_ENV);
}
