/* ctl_run.c - run the built syncmgrctl from a test (ctl_run.h). */
#include "ctl_run.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

extern char **environ;

struct sm_broker broker;
struct ctl_result R;

void slurp(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, size - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
}

int run_in(char **argv, const char *in)
{
    return run_bin(getenv("SYNCMGRCTL"), argv, in, 30000);
}

int run_bin(const char *bin, char **argv, const char *in, int timeout_ms)
{
    char out[200], err[200];
    posix_spawn_file_actions_t fa;
    pid_t pid;
    ck_assert_msg(bin != NULL, "the program to run is not set in the environment");
    snprintf(out, sizeof(out), "%s/ctl.out", broker.dir);
    snprintf(err, sizeof(err), "%s/ctl.err", broker.dir);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, in ? in : "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    argv[0] = (char *)bin;
    ck_assert_int_eq(posix_spawn(&pid, bin, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    R.code = child_wait(pid, timeout_ms);
    slurp(out, R.out, sizeof(R.out));
    slurp(err, R.err, sizeof(R.err));
    return R.code;
}

int run(char **argv)
{
    return run_in(argv, NULL);
}

static int vctl(const char *keyfile, const char *in, const char *arg, va_list ap)
{
    char *argv[24] = {NULL, "-a", broker.address, "-k", (char *)keyfile};
    int n = 5;
    for (; arg && n < 23; arg = va_arg(ap, const char *))
        argv[n++] = (char *)arg;
    argv[n] = NULL;
    return run_in(argv, in);
}

int ctl(const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    int rc = vctl(broker.keyfile, NULL, arg, ap);
    va_end(ap);
    return rc;
}

int ctl_key(const char *keyfile, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    int rc = vctl(keyfile, NULL, arg, ap);
    va_end(ap);
    return rc;
}

int ctl_in(const char *in, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    int rc = vctl(broker.keyfile, in, arg, ap);
    va_end(ap);
    return rc;
}
