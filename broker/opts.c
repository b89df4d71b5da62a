/* opts.c - the options map of an open request. */
#include "opts.h"

#include <string.h>

#include "errors.h"

int opts_find(const struct arg *opts, const char *key, mp_reader *val)
{
    mp_reader r;
    uint32_t n;
    const uint8_t *p;
    size_t len;
    if (!opts)
        return SM_ENOKEY;
    mp_reader_init(&r, opts->raw, opts->len);
    if (mp_read_map(&r, &n))
        return SM_ENOKEY;
    for (uint32_t i = 0; i < n; i++) {
        const char *k;
        uint32_t klen;
        mp_reader key_r = r;
        bool match = mp_read_str(&key_r, &k, &klen) == SM_OK && klen == strlen(key) &&
                     memcmp(k, key, klen) == 0;
        if (mp_read_raw(&r, &p, &len)) /* the key */
            return SM_ENOKEY;
        if (match) {
            *val = r;
            return SM_OK;
        }
        if (mp_read_raw(&r, &p, &len)) /* its value */
            return SM_ENOKEY;
    }
    return SM_ENOKEY;
}

int opts_uint(const struct arg *opts, const char *key, uint64_t dflt, uint64_t *out)
{
    mp_reader r;
    *out = dflt;
    if (opts_find(opts, key, &r))
        return SM_OK;
    return mp_read_uint(&r, out) ? SM_EINVAL : SM_OK;
}

int opts_bool(const struct arg *opts, const char *key, bool dflt, bool *out)
{
    mp_reader r;
    *out = dflt;
    if (opts_find(opts, key, &r))
        return SM_OK;
    return mp_read_bool(&r, out) ? SM_EINVAL : SM_OK;
}

int opts_str(const struct arg *opts, const char *key, const char **s, uint32_t *len)
{
    mp_reader r;
    *s = NULL;
    *len = 0;
    if (opts_find(opts, key, &r))
        return SM_OK;
    return mp_read_str(&r, s, len) ? SM_EINVAL : SM_OK;
}

int opts_raw(const struct arg *opts, const char *key, const uint8_t **p, size_t *len)
{
    mp_reader r;
    *p = NULL;
    *len = 0;
    if (opts_find(opts, key, &r))
        return SM_OK;
    return mp_read_raw(&r, p, len) ? SM_EINVAL : SM_OK;
}

bool opts_any(const struct arg *opts)
{
    static const char *const none[] = {NULL};
    return opts_check(opts, none) != SM_OK;
}

int opts_check(const struct arg *opts, const char *const *known)
{
    mp_reader r;
    uint32_t n, klen;
    const char *k;
    const uint8_t *p;
    size_t len;
    if (!opts)
        return SM_OK;
    mp_reader_init(&r, opts->raw, opts->len);
    if (mp_read_map(&r, &n))
        return SM_EINVAL;
    for (uint32_t i = 0; i < n; i++) {
        if (mp_read_str(&r, &k, &klen))
            return SM_EINVAL;
        const char *const *q = known;
        while (*q && !(strlen(*q) == klen && memcmp(*q, k, klen) == 0))
            q++;
        if (!*q || mp_read_raw(&r, &p, &len))
            return SM_EINVAL;
    }
    return SM_OK;
}
