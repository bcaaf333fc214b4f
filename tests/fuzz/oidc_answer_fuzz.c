/* libFuzzer target for what the OIDC login reads from a token endpoint
 * (lib/net/http_parse.c, lib/sasl/oidc.c). The first byte picks the
 * reader, the rest is its input, copied into a buffer of exactly that size
 * so ASan sees any read past the end:
 *   0  khttp_parse_response, all at once with eof false then true
 *   1  khttp_parse_response fed a growing prefix (as reads arrive)
 *   2  koidc_read_answer as a 200's body
 *   3  koidc_read_answer as a 401's body
 * Promises checked: only the documented results; a parsed body fits in
 * the input and is NUL-terminated; reasons are NUL-terminated printable
 * lines; a token is handed out only on success, and only then. */
#include <stdlib.h>
#include <string.h>

#include "net/http.h"
#include "sasl/oidc.h"

static void check(int ok)
{
    if (!ok) abort();
}

static void check_reason(const char *r, size_t cap)
{
    size_t n = strnlen(r, cap);
    check(n < cap);
    for (size_t i = 0; i < n; i++)
        check(r[i] >= 0x20 && r[i] < 0x7f);
}

static void parse_once(const char *p, size_t n, bool eof)
{
    khttp_response r;
    char why[128];
    why[0] = '\0';
    int rc = khttp_parse_response(p, n, eof, &r, why, sizeof(why));
    check(rc == KHTTP_DONE || rc == KHTTP_MORE || rc == KHTTP_BAD);
    check(!(eof && rc == KHTTP_MORE));
    if (rc != KHTTP_DONE) {
        check(r.body.data == NULL);
        if (rc == KHTTP_BAD) check_reason(why, sizeof(why));
        return;
    }
    check(r.status >= 200 && r.status <= 999);
    check(r.body.len <= n);
    check(r.body.data && r.body.data[r.body.len] == '\0');
    check_reason(r.reason, sizeof(r.reason));
    khttp_response_free(&r);
}

static void parse_prefixes(const char *p, size_t n)
{
    size_t step = n / 16 + 1;
    for (size_t k = 0; k <= n; k += step)
        parse_once(p, k, false);
}

static void answer(const char *p, size_t n, int status)
{
    koidc_claim_names names = {"sub", "scope"};
    koidc_token t;
    char why[256];
    why[0] = '\0';
    kfk_err err =
        koidc_read_answer(status, "OK", p, n, &names, 1700000000000, &t, why, sizeof(why));
    check(err == KFK_OK || err == KFK_ERR_MALFORMED || err == KFK_ERR_AUTH ||
          err == KFK_ERR_TRANSPORT);
    if (err) {
        check(!t.token && !t.principal);
        check_reason(why, sizeof(why));
        return;
    }
    check(status == 200 && t.token && t.principal && t.expiry_ms > 1700000000000);
    koidc_token_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    size_t n = size - 1;
    char *in = malloc(n ? n : 1);
    if (!in) return 0;
    memcpy(in, data + 1, n);
    switch (data[0] & 3) {
    case 0:
        parse_once(in, n, false);
        parse_once(in, n, true);
        break;
    case 1:
        parse_prefixes(in, n);
        break;
    case 2:
        answer(in, n, 200);
        break;
    default:
        answer(in, n, 401);
        break;
    }
    free(in);
    return 0;
}
