/*
 * pipe_pingpong.c - two processes play ping-pong over a named Pipe.  The
 * Python original:
 *
 *     def partner(conn):
 *         while (msg := conn.recv()) is not None:
 *             conn.send(msg.replace('ping', 'pong'))
 *
 *     a, b = Pipe()
 *     p = Process(target=partner, args=(b,)); p.start()
 *     for i in range(10):
 *         a.send(f'ping {i}')
 *         assert a.recv() == f'pong {i}'
 *     a.send(None); p.join()
 *
 * Here the pipe lives in syncmgrd under the name "pingpong": this process
 * uses end 0, the partner end 1.  The partner is this program started again
 * with the argument "partner" (a process that has connected must not fork
 * and go on using libsyncmgr in the child).  The address and key come from
 * $SYNCMGR_ADDRESS and $SYNCMGR_AUTHKEY_FILE (or the system defaults).
 * Exit status 0 when every round came back as sent.
 */
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <syncmgr.h>
#include <sys/wait.h>

#define ROUNDS 10
#define WAIT_MS 10000 /* give up on a silent other end */

extern char **environ;

/* open_end() - connect and open end @end of the pipe "pingpong". */
static int open_end(int end, int flags, sm_client **c, sm_pipe **p)
{
    sm_pipe_opts opts = {.end = end};
    int rc = sm_connect(c, NULL, NULL); /* address and key from the environment */
    if (rc == SM_OK && (rc = sm_pipe_open(*c, "pingpong", flags, &opts, p)) != SM_OK)
        sm_disconnect(*c);
    return rc;
}

/* partner() - answer "ping N" with "pong N" until a None arrives. */
static int partner(void)
{
    sm_client *c;
    sm_pipe *p;
    sm_val msg = {0};
    const char *s;
    size_t len;
    int n, rc = open_end(1, 0, &c, &p);
    if (rc != SM_OK) {
        fprintf(stderr, "partner: %s\n", sm_strerror(rc));
        return 1;
    }
    while ((rc = sm_pipe_recv(p, &msg, WAIT_MS)) == SM_OK && !sm_val_is_nil(&msg)) {
        char pong[32] = "what?";
        if (sm_val_to_str(&msg, &s, &len) == SM_OK && sscanf(s, "ping %d", &n) == 1)
            snprintf(pong, sizeof(pong), "pong %d", n);
        sm_val_free(&msg);
        if ((rc = sm_pipe_send(p, sm_str(pong))) != SM_OK)
            break;
    }
    sm_val_free(&msg);
    sm_pipe_close(p);
    sm_disconnect(c);
    if (rc != SM_OK)
        fprintf(stderr, "partner: %s\n", sm_strerror(rc));
    return rc == SM_OK ? 0 : 1;
}

/* round_trip() - send "ping @i"; true when "pong @i" comes back. */
static bool round_trip(sm_pipe *p, int i)
{
    char ping[32], want[32];
    sm_val reply = {0};
    const char *s = "";
    size_t len;
    snprintf(ping, sizeof(ping), "ping %d", i);
    snprintf(want, sizeof(want), "pong %d", i);
    int rc = sm_pipe_send(p, sm_str(ping));
    if (rc == SM_OK && (rc = sm_pipe_recv(p, &reply, WAIT_MS)) == SM_OK)
        rc = sm_val_to_str(&reply, &s, &len);
    bool ok = rc == SM_OK && strcmp(s, want) == 0;
    printf("%s -> %s\n", ping, rc == SM_OK ? s : sm_strerror(rc));
    sm_val_free(&reply);
    return ok;
}

int main(int argc, char **argv)
{
    sm_client *c;
    sm_pipe *p;
    pid_t pid;
    int status, matched = 0;

    if (argc > 1 && strcmp(argv[1], "partner") == 0)
        return partner();

    int rc = open_end(0, SM_CREATE, &c, &p);
    if (rc != SM_OK) {
        fprintf(stderr, "pipe_pingpong: %s\n", sm_strerror(rc));
        return 1;
    }
    char *partner_argv[] = {argv[0], "partner", NULL};
    if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, partner_argv, environ) != 0) {
        perror("pipe_pingpong: posix_spawn");
        return 1;
    }
    for (int i = 0; i < ROUNDS; i++)
        matched += round_trip(p, i);
    rc = sm_pipe_send(p, sm_nil()); /* stop */
    waitpid(pid, &status, 0);
    bool partner_ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    printf("%d of %d rounds matched\n", matched, ROUNDS);

    sm_pipe_close(p);
    sm_disconnect(c);
    return rc == SM_OK && matched == ROUNDS && partner_ok ? 0 : 1;
}
