/* libFuzzer target for what OAUTHBEARER reads from outside
 * (lib/sasl/oauthbearer.c, lib/sasl/json.c): the broker's JSON error
 * answer and a token's claims. The first byte picks the reader, the rest
 * is its input, copied into a buffer of exactly that size so ASan sees any
 * read past the end:
 *   0  koauth_error_reason, with a reason buffer of 1, 16 or 256 bytes
 *   1  koauth_jwt_claims with the default principal claim
 *   2  koauth_jwt_claims with principal claim "user"
 *   3  kjson_object_get on member "a", then kjson_string or
 *      kjson_number_scaled on what it found
 * Promises checked: only the documented errors; the reason is always a
 * NUL-terminated line of printable ASCII that fits; claims are filled
 * only on success, the principal a C string. */
#include <stdlib.h>
#include <string.h>

#include "sasl/json.h"
#include "sasl/oauthbearer.h"

static void check(int ok)
{
    if (!ok) abort();
}

static void fuzz_reason(const uint8_t *p, size_t n, uint8_t sel)
{
    static const size_t sizes[] = {1, 16, 256};
    size_t len = sizes[sel % 3];
    char reason[256];
    memset(reason, 'Z', sizeof(reason));
    kfk_err err = koauth_error_reason(p, n, reason, len);
    check(err == KFK_OK || err == KFK_ERR_MALFORMED);
    size_t r = strnlen(reason, len);
    check(r < len);
    for (size_t i = 0; i < r; i++)
        check(reason[i] >= 0x20 && reason[i] < 0x7f);
    if (err == KFK_OK) check(r > 0 || len == 1);
}

static void fuzz_claims(const uint8_t *p, size_t n, const char *principal_claim)
{
    koauth_claims c;
    kfk_err err = koauth_jwt_claims((const char *)p, n, principal_claim, &c);
    check(err == KFK_OK || err == KFK_ERR_MALFORMED);
    if (err) {
        check(!c.principal && !c.has_exp && !c.has_iat);
        return;
    }
    if (c.principal) check(strlen(c.principal) < n);
    koauth_claims_free(&c);
}

static void fuzz_json(const uint8_t *p, size_t n)
{
    kjson_value v;
    kfk_err err = kjson_object_get((const char *)p, n, "a", &v);
    check(err == KFK_OK || err == KFK_ERR_MALFORMED);
    if (err || v.type == KJSON_NONE) return;
    check(v.p >= (const char *)p && v.p + v.len <= (const char *)p + n);
    if (v.type == KJSON_STRING) {
        kbuf s = {0};
        err = kjson_string(&v, &s);
        check(err == KFK_OK || err == KFK_ERR_MALFORMED);
        check(!err || s.len <= v.len * 3);
        kbuf_free(&s);
    } else if (v.type == KJSON_NUMBER) {
        check(kjson_is_number(v.p, v.len));
        int64_t x;
        err = kjson_number_scaled(&v, 3, &x);
        check(err == KFK_OK || err == KFK_ERR_MALFORMED);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    size_t n = size - 1;
    uint8_t *in = malloc(n ? n : 1);
    if (!in) return 0;
    memcpy(in, data + 1, n);
    switch (data[0] & 3) {
    case 0:
        fuzz_reason(in, n, (uint8_t)(data[0] >> 2));
        break;
    case 1:
        fuzz_claims(in, n, NULL);
        break;
    case 2:
        fuzz_claims(in, n, "user");
        break;
    default:
        fuzz_json(in, n);
        break;
    }
    free(in);
    return 0;
}
