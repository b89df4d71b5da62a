/*
 * paths.h - where broker, library and CLI look by default: the one place
 * that decides it, so that all three agree.
 *
 *   system (root, or no $XDG_RUNTIME_DIR: a system service, cron, ...)
 *     address  ipc:///run/syncmgr/syncmgrd.sock     (SM_DEFAULT_ADDRESS)
 *     authkey  /etc/syncmgr/authkey                  (SM_DEFAULT_AUTHKEY_FILE)
 *     config   /etc/syncmgr/syncmgrd.conf
 *   per user (not root, $XDG_RUNTIME_DIR set: a login session, systemctl --user)
 *     address  ipc://$XDG_RUNTIME_DIR/syncmgr/syncmgrd.sock
 *     authkey  ${XDG_CONFIG_HOME:-$HOME/.config}/syncmgr/authkey
 *     config   ${XDG_CONFIG_HOME:-$HOME/.config}/syncmgr/syncmgrd.conf
 *
 * A non-empty $SYNCMGR_ADDRESS / $SYNCMGR_AUTHKEY_FILE overrides the address
 * / key file in both cases.  A per-user path that cannot be formed (neither
 * $XDG_CONFIG_HOME nor $HOME) falls back to the system one.
 */
#ifndef SM_PROTO_PATHS_H
#define SM_PROTO_PATHS_H

#include <stddef.h>
#include <sys/types.h>

#define SM_SYSTEM_CONFIG_FILE "/etc/syncmgr/syncmgrd.conf"

enum path_kind { PATH_ADDRESS, PATH_AUTHKEY, PATH_CONFIG };

/**
 * paths_default() - the default of @kind for this process (its effective
 * uid and environment) into @buf.  Returns 0, or -1 when it does not fit
 * (@buf then holds "").
 */
int paths_default(enum path_kind kind, char *buf, size_t len);

/* paths_default_for() - the same for @uid, ignoring $SYNCMGR_* when
 * @use_env is 0 (for tests and for telling "a default" from "the env"). */
int paths_default_for(enum path_kind kind, uid_t uid, int use_env, char *buf, size_t len);

#endif
