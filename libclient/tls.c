/*
 * tls.c - dialing: tls+tcp:// addresses get a TLS configuration from the
 * environment (SYNCMGR_TLS_CA_FILE, SYNCMGR_TLS_CERT_FILE,
 * SYNCMGR_TLS_KEY_FILE); every other address is dialed as it is.
 */
#include <stdlib.h>

#include "client_internal.h"
#include "tls.h"

/* env() - a non-empty environment variable, or NULL. */
static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

int smc_dial(nng_socket sock, const char *address)
{
    char why[256];
    nng_dialer d;
    nng_tls_config *cfg;
    if (!tls_url(address))
        return nng_dial(sock, address, NULL, 0);
    int rc = tls_config_new(&cfg, false, env("SYNCMGR_TLS_CA_FILE"), env("SYNCMGR_TLS_CERT_FILE"),
                            env("SYNCMGR_TLS_KEY_FILE"), why, sizeof(why));
    if (rc)
        return rc == SM_ENOMEM ? NNG_ENOMEM : NNG_EINVAL;
    int rv = nng_dialer_create(&d, sock, address);
    if (!rv) {
        if (!(rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cfg)))
            rv = nng_dialer_start(d, 0);
        if (rv) /* as nng_dial(): no retries behind a failed first dial */
            nng_dialer_close(d);
    }
    nng_tls_config_free(cfg); /* the dialer holds its own reference */
    return rv;
}
