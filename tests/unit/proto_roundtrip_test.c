/* Every message of every API at every version: fill with seeded values,
 * encode, check the size function, decode, encode again, compare bytes.
 *
 * With KFK_PROTO_DUMP=FILE set, every first encoding is also appended to
 * FILE as "request|response|header KEY VERSION HEX" lines, which
 * tools/golden/ProtoVectors.java verifies against Kafka's own Java classes. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "../common/ktest.h"
#include "proto/api.h"
#include "proto/gen/api_client.h"
#include "proto/gen/fill_test.inc"

enum { SEEDS = 24, HEADER_KEY = -1 };
enum msg_kind { KIND_REQUEST, KIND_RESPONSE, KIND_REQUEST_HEADER, KIND_RESPONSE_HEADER };

static const char *const kind_names[] = {"request", "response", "request_header",
                                         "response_header"};

static FILE *dump_file(void)
{
    static FILE *f;
    static int tried;
    if (!tried) {
        tried = 1;
        const char *path = getenv("KFK_PROTO_DUMP");
        if (path && *path)
            f = fopen(path, "a");
    }
    return f;
}

static void dump(enum msg_kind kind, int16_t key, int16_t v, const kbuf *b)
{
    FILE *f = dump_file();
    if (!f)
        return;
    fprintf(f, "%s %d %d ", kind_names[kind], key, v);
    for (size_t i = 0; i < b->len; i++)
        fprintf(f, "%02x", b->data[i]);
    fprintf(f, "\n");
    fflush(f);
}

static size_t struct_size(enum msg_kind kind, int16_t key)
{
    switch (kind) {
    case KIND_REQUEST: return kproto_api_get(key)->request_size;
    case KIND_RESPONSE: return kproto_api_get(key)->response_size;
    case KIND_REQUEST_HEADER: return sizeof(kp_request_header);
    default: return sizeof(kp_response_header);
    }
}

static void fill(enum msg_kind kind, int16_t key, int16_t v, void *m, kfill *g)
{
    switch (kind) {
    case KIND_REQUEST: kpfill_request(key, v, m, g); break;
    case KIND_RESPONSE: kpfill_response(key, v, m, g); break;
    case KIND_REQUEST_HEADER: kpfill_header(0, v, m, g); break;
    default: kpfill_header(1, v, m, g); break;
    }
}

static size_t msg_size(enum msg_kind kind, int16_t key, int16_t v, const void *m)
{
    switch (kind) {
    case KIND_REQUEST: return kproto_request_size(key, v, m);
    case KIND_RESPONSE: return kproto_response_size(key, v, m);
    case KIND_REQUEST_HEADER: return kp_request_header_size(m, v);
    default: return kp_response_header_size(m, v);
    }
}

static int encode(enum msg_kind kind, int16_t key, int16_t v, const void *m, kbuf *out)
{
    switch (kind) {
    case KIND_REQUEST: return kproto_request_encode(key, v, m, out);
    case KIND_RESPONSE: return kproto_response_encode(key, v, m, out);
    case KIND_REQUEST_HEADER: return kp_request_header_encode(m, v, out);
    default: return kp_response_header_encode(m, v, out);
    }
}

static int decode(enum msg_kind kind, int16_t key, int16_t v, void *m, kreader *r, karena *a)
{
    switch (kind) {
    case KIND_REQUEST: return kproto_request_decode(key, v, m, r, a);
    case KIND_RESPONSE: return kproto_response_decode(key, v, m, r, a);
    case KIND_REQUEST_HEADER: return kp_request_header_decode(m, v, r, a);
    default: return kp_response_header_decode(m, v, r, a);
    }
}

static bool same_bytes(const kbuf *a, const kbuf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* Fills, encodes, decodes and re-encodes one message; returns the number
 * of bytes the encoding took. */
static size_t roundtrip(enum msg_kind kind, int16_t key, int16_t v, uint64_t seed)
{
    size_t msz = struct_size(kind, key);
    void *m = calloc(1, msz), *m2 = calloc(1, msz);
    ck_assert(m && m2);
    karena a = KARENA_INIT, a2 = KARENA_INIT;
    kbuf b = {0}, b2 = {0};
    kfill g = {seed, &a, 0};
    fill(kind, key, v, m, &g);
    ck_assert(!g.oom);

    size_t n = msg_size(kind, key, v, m);
    int err = encode(kind, key, v, m, &b);
    ck_assert_msg(err == 0, "%s key %d v%d seed %" PRIu64 ": encode failed: %d",
                  kind_names[kind], key, v, seed, err);
    ck_assert_msg(b.len == n, "%s key %d v%d seed %" PRIu64 ": size() %zu, encoded %zu",
                  kind_names[kind], key, v, seed, n, b.len);
    dump(kind, key, v, &b);

    kreader r = kreader_of(b.data, b.len);
    err = decode(kind, key, v, m2, &r, &a2);
    ck_assert_msg(err == 0, "%s key %d v%d seed %" PRIu64 ": decode failed: %d",
                  kind_names[kind], key, v, seed, err);
    ck_assert_msg(kreader_left(&r) == 0, "%s key %d v%d: decode left %zu bytes",
                  kind_names[kind], key, v, kreader_left(&r));

    err = encode(kind, key, v, m2, &b2);
    ck_assert_msg(err == 0, "%s key %d v%d seed %" PRIu64 ": re-encode failed: %d",
                  kind_names[kind], key, v, seed, err);
    ck_assert_msg(same_bytes(&b, &b2),
                  "%s key %d v%d seed %" PRIu64 ": re-encoding differs", kind_names[kind], key,
                  v, seed);

    kbuf_free(&b);
    kbuf_free(&b2);
    karena_free(&a);
    karena_free(&a2);
    free(m);
    free(m2);
    return n;
}

/* One Check test per API (loop index = position in the API table). */
START_TEST(test_every_message_roundtrips_at_every_version)
{
    size_t n_apis;
    const kproto_api *api = &kproto_api_list(&n_apis)[_i];
    for (int16_t v = api->min_version; v <= api->max_version; v++)
        for (uint64_t seed = 0; seed < SEEDS; seed++) {
            roundtrip(KIND_REQUEST, api->key, v, seed);
            roundtrip(KIND_RESPONSE, api->key, v, seed);
        }
}
END_TEST

/* The client's descriptor of each API (kp_<api>_client) writes the same
 * request frame as the dispatch by key, and decodes responses the same. */
START_TEST(test_client_descriptors_match_the_dispatch_by_key)
{
    size_t n_apis;
    kproto_api_list(&n_apis);
    ck_assert_uint_eq(kproto_n_clients, n_apis);
    for (size_t i = 0; i < kproto_n_clients; i++) {
        const kproto_client *c = kproto_clients[i];
        const kproto_api *api = kproto_api_get(c->key);
        ck_assert_ptr_nonnull(api);
        for (int16_t v = api->min_version; v <= api->max_version; v++) {
            karena a = KARENA_INIT;
            kbuf by_key = {0}, by_api = {0}, again = {0};
            void *m = calloc(1, api->request_size);
            void *resp = calloc(1, api->response_size), *resp2 = calloc(1, api->response_size);
            ck_assert(m && resp && resp2);
            kfill g = {(uint64_t)v, &a, 0};
            kpfill_request(c->key, v, m, &g);
            ck_assert_int_eq(kproto_write_request(&by_key, c->key, v, 7, kwire_cstr("id"), m), 0);
            ck_assert_int_eq(kproto_write_client_request(&by_api, c, v, 7, kwire_cstr("id"), m), 0);
            ck_assert_msg(same_bytes(&by_key, &by_api), "%s v%d: request frames differ", api->name,
                          v);
            kpfill_response(c->key, v, resp, &g);
            ck_assert(!g.oom);
            kbuf_reset(&by_key);
            ck_assert_int_eq(kproto_response_encode(c->key, v, resp, &by_key), 0);
            kreader r = kreader_of(by_key.data, by_key.len);
            ck_assert_int_eq(c->decode_response(resp2, v, &r, &a), 0);
            ck_assert_uint_eq(kreader_left(&r), 0);
            ck_assert_int_eq(kproto_response_encode(c->key, v, resp2, &again), 0);
            ck_assert_msg(same_bytes(&by_key, &again), "%s v%d: responses differ", api->name, v);
            kbuf_free(&by_key);
            kbuf_free(&by_api);
            kbuf_free(&again);
            karena_free(&a);
            free(m);
            free(resp);
            free(resp2);
        }
    }
}
END_TEST

START_TEST(test_headers_roundtrip_at_every_version)
{
    for (int16_t v = 0; v <= 2; v++)
        for (uint64_t seed = 0; seed < SEEDS; seed++)
            roundtrip(KIND_REQUEST_HEADER, HEADER_KEY, v, seed);
    for (int16_t v = 0; v <= 1; v++)
        for (uint64_t seed = 0; seed < SEEDS; seed++)
            roundtrip(KIND_RESPONSE_HEADER, HEADER_KEY, v, seed);
}
END_TEST

/* A default-initialised message encodes and decodes at every version too:
 * the defaults are valid wire values everywhere. */
START_TEST(test_default_messages_roundtrip)
{
    size_t n_apis;
    const kproto_api *api = &kproto_api_list(&n_apis)[_i];
    for (int kind = KIND_REQUEST; kind <= KIND_RESPONSE; kind++) {
        size_t msz = struct_size(kind, api->key);
        void *m = calloc(1, msz), *m2 = calloc(1, msz);
        ck_assert(m && m2);
        if (kind == KIND_REQUEST)
            kproto_request_init(api->key, m);
        else
            kproto_response_init(api->key, m);
        for (int16_t v = api->min_version; v <= api->max_version; v++) {
            kbuf b = {0}, b2 = {0};
            karena a = KARENA_INIT;
            int err = encode(kind, api->key, v, m, &b);
            /* Null defaults of fields not nullable in this version are the
             * only legitimate refusal. */
            if (err == KFK_ERR_INVALID_ARG)
                continue;
            ck_assert_msg(err == 0, "%s %s v%d: %d", api->name, kind_names[kind], v, err);
            kreader r = kreader_of(b.data, b.len);
            ck_assert_int_eq(decode(kind, api->key, v, m2, &r, &a), 0);
            ck_assert_int_eq(encode(kind, api->key, v, m2, &b2), 0);
            ck_assert(same_bytes(&b, &b2));
            kbuf_free(&b);
            kbuf_free(&b2);
            karena_free(&a);
        }
        free(m);
        free(m2);
    }
}
END_TEST

/* Decoding any strict prefix of a valid encoding fails cleanly. */
static void check_prefixes_fail(enum msg_kind kind, int16_t key, int16_t v, uint64_t seed)
{
    size_t msz = struct_size(kind, key);
    void *m = calloc(1, msz), *m2 = calloc(1, msz);
    karena a = KARENA_INIT, a2 = KARENA_INIT;
    kbuf b = {0};
    kfill g = {seed, &a, 0};
    fill(kind, key, v, m, &g);
    ck_assert_int_eq(encode(kind, key, v, m, &b), 0);
    for (size_t len = 0; len < b.len; len++) {
        /* A copy of exactly len bytes, so ASan catches any read past it. */
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, b.data, len);
        kreader r = kreader_of(copy, len);
        int err = decode(kind, key, v, m2, &r, &a2);
        ck_assert_msg(err == KFK_ERR_MALFORMED, "%s key %d v%d: prefix %zu of %zu gave %d",
                      kind_names[kind], key, v, len, b.len, err);
        ck_assert(r.err);
        karena_reset(&a2);
        free(copy);
    }
    kbuf_free(&b);
    karena_free(&a);
    karena_free(&a2);
    free(m);
    free(m2);
}

START_TEST(test_truncated_responses_fail_cleanly)
{
    static const struct {
        int16_t key, version;
    } cases[] = {
        {0, 3}, {0, 9}, {0, 13},    /* Produce */
        {1, 4}, {1, 12}, {1, 18},   /* Fetch */
        {3, 0}, {3, 9}, {3, 13},    /* Metadata */
        {18, 0}, {18, 3}, {18, 4},  /* ApiVersions */
        {89, 0},                    /* StreamsGroupDescribe */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        for (uint64_t seed = 1; seed <= 4; seed++)
            check_prefixes_fail(KIND_RESPONSE, cases[i].key, cases[i].version, seed);
    check_prefixes_fail(KIND_REQUEST, 0, 13, 5);
    check_prefixes_fail(KIND_REQUEST, 1, 18, 5);
}
END_TEST

static Suite *proto_roundtrip_suite(void)
{
    size_t n_apis;
    kproto_api_list(&n_apis);
    Suite *s = suite_create("proto_roundtrip");
    TCase *tc = tcase_create("roundtrip");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_every_message_roundtrips_at_every_version, 0, (int)n_apis);
    tcase_add_test(tc, test_headers_roundtrip_at_every_version);
    tcase_add_test(tc, test_client_descriptors_match_the_dispatch_by_key);
    tcase_add_loop_test(tc, test_default_messages_roundtrip, 0, (int)n_apis);
    tcase_add_test(tc, test_truncated_responses_fail_cleanly);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ktest_run(proto_roundtrip_suite()); }
