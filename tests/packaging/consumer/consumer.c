/* consumer.c - a program built against an installed libsyncmgr (the
 * packaging test): it uses the header's constants, a value and the error
 * table, and needs no running broker. */
#include <syncmgr.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    sm_val v = sm_int(42);
    int64_t i = 0;
    if (sm_val_to_int(&v, &i) != SM_OK || i != 42)
        return 1;
    const char *msg = sm_strerror(SM_ENOKEY);
    if (!msg || !*msg)
        return 1;
    /* nothing listens here: a clean SM_ECONN (or a key-file error) */
    sm_client *c = NULL;
    int rc = sm_connect(&c, "ipc:///nonexistent/syncmgr-consumer.sock", "/nonexistent/authkey");
    if (rc == SM_OK)
        return 1;
    printf("consumer ok: %s; connect: %s\n", msg, sm_strerror(rc));
    return 0;
}
