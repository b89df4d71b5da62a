/*
 * ctl_json.h - msgpack values <-> JSON (jansson) for syncmgrctl.
 *
 * Every msgpack value has exactly one JSON spelling, and reading that
 * spelling back gives the same value (the same canonical bytes, mp_canon()).
 * Plain JSON covers most values; the rest use a one-key JSON object whose key
 * starts with "$" (a "tag"):
 *
 *   msgpack                      JSON
 *   nil, true, false             null, true, false
 *   int in int64 range           integer                        -5, 42
 *   uint above INT64_MAX         {"$uint": "<decimal digits>"}  {"$uint": "18446744073709551615"}
 *   float32/float64, finite      real, 17 significant digits    0.5, 1.0, 0.10000000000000001
 *   float NaN / +Inf / -Inf      {"$float": "nan" | "inf" | "-inf"}   (any NaN reads
 *                                back as the quiet NaN 0x7ff8000000000000)
 *   str, valid UTF-8             string
 *   str, not valid UTF-8         {"$str": "<base64 of the bytes>"}
 *   bin                          {"$bin": "<base64>"}           {"$bin": "AAH/"}
 *   ext                          {"$ext": [type, "<base64>"]}   {"$ext": [5, "AQI="]}
 *   array                        array
 *   map, every key a UTF-8 str   object, in the map's order     {"a": 1, "b": [2]}
 *     without NUL, no key
 *     repeated, and not one
 *     single key beginning "$"
 *   any other map                {"$map": [[key, value], ...]}  {"$map": [[1, "one"]]}
 *
 * Base64 is the standard alphabet with padding (RFC 4648 section 4).  Floats
 * always read back as float64.  Reading JSON, an object with a single key
 * beginning with "$" must be one of the tags above (an unknown tag is an
 * error): a map with one such key is written with "$map".  Everything else
 * maps as the table says; integers that are not in int64 range need "$uint".
 */
#ifndef SM_CTL_JSON_H
#define SM_CTL_JSON_H

#include <jansson.h>
#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

/**
 * ctl_json_from_msgpack() - the JSON spelling of the one msgpack value in
 * @len bytes at @buf (untrusted: checked with mp_validate() first).
 * Returns SM_OK and a new reference in *out (json_decref() it), or SM_EPROTO
 * (malformed), SM_ETOOBIG (too deep) or SM_ENOMEM with a reason in @err.
 */
int ctl_json_from_msgpack(const void *buf, size_t len, json_t **out, char *err, size_t errlen);

/**
 * ctl_json_to_msgpack() - pack the value @j spells (see the table above)
 * with @pk.  Returns SM_OK, SM_EINVAL (a malformed tag, an unknown tag),
 * SM_ETOOBIG (nested deeper than SM_MAX_DEPTH) or SM_ENOMEM, with a reason
 * in @err; @pk may then hold part of the value.
 */
int ctl_json_to_msgpack(const json_t *j, msgpack_packer *pk, char *err, size_t errlen);

/**
 * ctl_json_dumps() - @j (any value, not only containers) as one line of
 * JSON: with @compact no spaces ({"a":[1,2]}), else Python's json.dumps()
 * separators ({"a": [1, 2]}).  NULL when out of memory; free() the result.
 */
char *ctl_json_dumps(const json_t *j, bool compact);

#endif
