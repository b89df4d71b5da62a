/* paths.c - default socket, key and config locations (see paths.h). */
#include "paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "syncmgr.h" /* SM_DEFAULT_ADDRESS, SM_DEFAULT_AUTHKEY_FILE */

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static int put(char *buf, size_t len, const char *fmt, const char *a, const char *b)
{
    int n = snprintf(buf, len, fmt, a, b);
    if (n < 0 || (size_t)n >= len) {
        if (len)
            buf[0] = 0;
        return -1;
    }
    return 0;
}

/* user_file() - ${XDG_CONFIG_HOME:-$HOME/.config}/syncmgr/@name, or -1 with
 * neither set. */
static int user_file(const char *name, char *buf, size_t len)
{
    const char *xdg = env("XDG_CONFIG_HOME"), *home = env("HOME");
    if (xdg)
        return put(buf, len, "%s/syncmgr/%s", xdg, name);
    if (home)
        return put(buf, len, "%s/.config/syncmgr/%s", home, name);
    return -1;
}

int paths_default_for(enum path_kind kind, uid_t uid, int use_env, char *buf, size_t len)
{
    const char *over = !use_env               ? NULL
                       : kind == PATH_ADDRESS ? env("SYNCMGR_ADDRESS")
                       : kind == PATH_AUTHKEY ? env("SYNCMGR_AUTHKEY_FILE")
                                              : NULL;
    const char *run = env("XDG_RUNTIME_DIR");
    if (over)
        return put(buf, len, "%s%s", over, "");
    if (uid != 0 && run) {
        switch (kind) {
        case PATH_ADDRESS:
            return put(buf, len, "ipc://%s/syncmgr/%s", run, "syncmgrd.sock");
        case PATH_AUTHKEY:
            if (user_file("authkey", buf, len) == 0)
                return 0;
            break;
        case PATH_CONFIG:
            if (user_file("syncmgrd.conf", buf, len) == 0)
                return 0;
            break;
        }
    }
    return put(buf, len, "%s%s",
               kind == PATH_ADDRESS   ? SM_DEFAULT_ADDRESS
               : kind == PATH_AUTHKEY ? SM_DEFAULT_AUTHKEY_FILE
                                      : SM_SYSTEM_CONFIG_FILE,
               "");
}

int paths_default(enum path_kind kind, char *buf, size_t len)
{
    return paths_default_for(kind, geteuid(), 1, buf, len);
}
