/* libFuzzer target for the generated response decoders (lib/proto/gen), as
 * the client runs them on bytes from a broker. The first byte picks the API
 * (its position in the API table, modulo the table's size), the second the
 * version (modulo the API's version count); the rest is the response body.
 *
 * Whatever decodes must encode again, to exactly size() bytes, and that
 * encoding must decode and re-encode to itself: decode only yields values
 * the encoder accepts, and the two agree on the layout.
 *
 * Seeds (tests/fuzz/seeds/proto_response_fuzz/) are valid encodings with
 * the two selector bytes in front; tools/protogen/fuzz-seeds regenerates them. */
#include <stdlib.h>
#include <string.h>

#include "proto/api.h"

static void check(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t n_apis;
    const kproto_api *api = &kproto_api_list(&n_apis)[data[0] % n_apis];
    int16_t v = (int16_t)(api->min_version + data[1] % (api->max_version - api->min_version + 1));
    void *m = malloc(api->response_size), *m2 = malloc(api->response_size);
    check(m && m2);
    karena a = KARENA_INIT, a2 = KARENA_INIT;
    kreader r = kreader_of(data + 2, size - 2);
    int err = kproto_response_decode(api->key, v, m, &r, &a);
    check(err == 0 || err == KFK_ERR_MALFORMED || err == KFK_ERR_NO_MEMORY);
    if (err == 0) {
        kbuf b = {0}, b2 = {0};
        size_t want = kproto_response_size(api->key, v, m);
        check(kproto_response_encode(api->key, v, m, &b) == 0);
        check(b.len == want);
        kreader r2 = b.data ? kreader_of(b.data, b.len) : kreader_of(data, 0);
        check(kproto_response_decode(api->key, v, m2, &r2, &a2) == 0);
        check(kreader_left(&r2) == 0);
        check(kproto_response_encode(api->key, v, m2, &b2) == 0);
        check(b2.len == b.len && (b.len == 0 || memcmp(b.data, b2.data, b.len) == 0));
        kbuf_free(&b);
        kbuf_free(&b2);
    }
    karena_free(&a);
    karena_free(&a2);
    free(m);
    free(m2);
    return 0;
}
