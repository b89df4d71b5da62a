/* tls.c - nng TLS configurations from PEM files (tls.h). */
#include "tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

#define PEM_MAX (1 << 20) /* larger than any certificate chain we expect */

bool tls_url(const char *url)
{
    return url && strncmp(url, "tls+tcp", 7) == 0 && strstr(url, "://");
}

/* read_pem() - the whole file @path, NUL-terminated, in a new buffer. */
static char *read_pem(const char *path, char *why, size_t whylen)
{
    FILE *fp = fopen(path, "re");
    char *buf = NULL;
    size_t n = 0;
    if (!fp) {
        snprintf(why, whylen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if ((buf = malloc(PEM_MAX + 1)))
        n = fread(buf, 1, PEM_MAX + 1, fp);
    if (!buf || ferror(fp) || n > PEM_MAX) {
        snprintf(why, whylen, "%s: cannot read (or larger than %d bytes)", path, PEM_MAX);
        free(buf);
        buf = NULL;
    } else {
        buf[n] = '\0';
    }
    fclose(fp);
    return buf;
}

/* own_cert() - load our certificate @cert and its key @key into @cfg. */
static int own_cert(nng_tls_config *cfg, const char *cert, const char *key, char *why,
                    size_t whylen)
{
    char *c = read_pem(cert, why, whylen), *k = c ? read_pem(key, why, whylen) : NULL;
    int rv = c && k ? nng_tls_config_own_cert(cfg, c, k, NULL) : -1;
    if (rv > 0)
        snprintf(why, whylen, "%s / %s: not a usable certificate and key: %s", cert, key,
                 nng_strerror(rv));
    if (k) {
        memset(k, 0, strlen(k)); /* the private key */
        free(k);
    }
    free(c);
    return rv ? SM_EINVAL : SM_OK;
}

int tls_config_new(nng_tls_config **out, bool server, const char *ca, const char *cert,
                   const char *key, char *why, size_t whylen)
{
    nng_tls_config *cfg;
    int rv;
    if ((cert == NULL) != (key == NULL)) {
        snprintf(why, whylen, "a TLS certificate needs its key and a key its certificate");
        return SM_EINVAL;
    }
    if (server && !cert) {
        snprintf(why, whylen, "tls+tcp:// needs a certificate and key (--tls-cert, --tls-key)");
        return SM_EINVAL;
    }
    if ((rv = nng_tls_config_alloc(&cfg, server ? NNG_TLS_MODE_SERVER : NNG_TLS_MODE_CLIENT))) {
        snprintf(why, whylen, "cannot set up TLS: %s", nng_strerror(rv));
        return SM_ENOMEM;
    }
    if (cert && (rv = own_cert(cfg, cert, key, why, whylen))) {
        nng_tls_config_free(cfg);
        return rv;
    }
    if (ca && (rv = nng_tls_config_ca_file(cfg, ca))) {
        snprintf(why, whylen, "%s: not a usable CA file: %s", ca, nng_strerror(rv));
        nng_tls_config_free(cfg);
        return SM_EINVAL;
    }
    /* a server asks for client certificates only with a CA to check them;
     * a client always verifies the server */
    nng_tls_config_auth_mode(cfg,
                             server && !ca ? NNG_TLS_AUTH_MODE_NONE : NNG_TLS_AUTH_MODE_REQUIRED);
    *out = cfg;
    return SM_OK;
}
