/* The little JSON the SASL mechanisms need: writing string literals, and
 * reading members of one flat object that came from the network (a broker's
 * SASL answer, a token's claims). The reader checks the whole text against
 * RFC 8259's grammar, nests at most KJSON_MAX_DEPTH deep and never reads
 * past the given length, so hostile input yields KFK_ERR_MALFORMED, never
 * a crash. Pure: no I/O, no global state, any thread. */
#ifndef KFK_SASL_JSON_H
#define KFK_SASL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "kfk.h"

#define KJSON_MAX_DEPTH 32

typedef enum kjson_type {
    KJSON_NONE, /* member absent */
    KJSON_STRING,
    KJSON_NUMBER,
    KJSON_TRUE,
    KJSON_FALSE,
    KJSON_NULL,
    KJSON_OBJECT,
    KJSON_ARRAY,
} kjson_type;

/* A member's value: its type and its text in the input (a string's without
 * the quotes, escapes still in). Points into the caller's buffer. */
typedef struct kjson_value {
    kjson_type type;
    const char *p;
    size_t len;
} kjson_value;

/* Appends s[0..len) as a JSON string literal, quotes included: '"', '\\'
 * and control characters escaped, other bytes (UTF-8) as they are.
 * Returns 0, or -1 when memory runs out. */
int kjson_put_string(kbuf *out, const char *s, size_t len);

/* Whether s[0..len) is exactly one JSON number ("-1.5e3"; not "+1", ".5",
 * "1." or "NaN"). */
bool kjson_is_number(const char *s, size_t len);

/* Checks that json[0..len) is one JSON object and finds its top-level
 * member named key (escapes in member names are decoded before comparing;
 * with a repeated name, the first wins). out->type is KJSON_NONE when
 * there is no such member. Returns KFK_OK, KFK_ERR_MALFORMED or
 * KFK_ERR_NO_MEMORY. */
kfk_err kjson_object_get(const char *json, size_t len, const char *key, kjson_value *out);

/* Decodes a KJSON_STRING value into *out (appended, no NUL added): escapes
 * undone, \u surrogate pairs joined into UTF-8, a lone surrogate made
 * U+FFFD. Returns KFK_ERR_MALFORMED for any other type or for a \u0000
 * (C strings can't carry it), KFK_ERR_NO_MEMORY. */
kfk_err kjson_string(const kjson_value *v, kbuf *out);

/* The KJSON_NUMBER v times 10^pow10, truncated toward zero, exactly (no
 * floating point, no locale): "1.7E9" with pow10 3 gives 1700000000000.
 * Returns KFK_ERR_MALFORMED for other types or when the result does not
 * fit an int64_t. */
kfk_err kjson_number_scaled(const kjson_value *v, int pow10, int64_t *out);

#endif
