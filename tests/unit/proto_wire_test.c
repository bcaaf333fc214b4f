/* The protocol layer's edges: the arena, the composite encodings, what
 * encode refuses and decode rejects, the API table and framing. */
#include <stdlib.h>

#include "../common/ktest.h"
#include "proto/api.h"
#include "proto/gen/all.h"

static kslice str(const char *s) { return kwire_cstr(s); }

/* A kreader over the bytes listed (a compound literal: lives in the block). */
#define READER(...)                                                                                \
    kreader_of((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

/* --- arena ---------------------------------------------------------------- */

START_TEST(test_arena_allocations_are_aligned_and_distinct)
{
    karena a = KARENA_INIT;
    uint8_t *prev = NULL;
    for (size_t n = 0; n < 3000; n++) {
        uint8_t *p = karena_alloc(&a, n % 37);
        ck_assert_ptr_nonnull(p);
        ck_assert_uint_eq((uintptr_t)p % KARENA_ALIGN, 0);
        ck_assert(p != prev);
        memset(p, 0xab, n % 37); /* ASan: the bytes are ours */
        prev = p;
    }
    karena_free(&a);
    ck_assert_ptr_null(a.blocks);
}
END_TEST

START_TEST(test_arena_reset_keeps_the_newest_block)
{
    karena a = KARENA_INIT;
    for (int i = 0; i < 1000; i++)
        ck_assert_ptr_nonnull(karena_alloc(&a, 100));
    void *newest = a.blocks;
    karena_reset(&a);
    ck_assert_ptr_eq(a.blocks, newest);
    void *p = karena_alloc(&a, 100);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_eq(a.blocks, newest); /* served from the kept block */
    karena_free(&a);
}
END_TEST

/* A huge message (a megabyte of arrays) leaves nothing kept after the
 * reset; the arena starts small again. */
START_TEST(test_arena_reset_drops_a_huge_block)
{
    karena a = KARENA_INIT;
    for (int i = 0; i < 10000; i++)
        ck_assert_ptr_nonnull(karena_alloc(&a, 100));
    karena_reset(&a);
    ck_assert_ptr_null(a.blocks);
    ck_assert_ptr_nonnull(karena_alloc(&a, 100));
    ck_assert_ptr_nonnull(a.blocks);
    karena_reset(&a);
    ck_assert_ptr_nonnull(a.blocks); /* a small block is kept */
    karena_free(&a);
}
END_TEST

START_TEST(test_arena_serves_allocations_larger_than_a_block)
{
    karena a = KARENA_INIT;
    uint8_t *small = karena_alloc(&a, 8);
    uint8_t *big = karena_alloc(&a, 5u << 20);
    ck_assert_ptr_nonnull(small);
    ck_assert_ptr_nonnull(big);
    memset(big, 1, 5u << 20);
    ck_assert_ptr_null(karena_alloc(&a, SIZE_MAX - 8));
    karena_free(&a);
}
END_TEST

/* --- composite encodings -------------------------------------------------- */

START_TEST(test_strings_in_classic_and_compact_form)
{
    uint8_t buf[64];
    kwriter w = {buf, 0};
    kw_str(&w, str("ab"), 0, 0);
    kw_str(&w, str("ab"), 1, 0);
    kw_str(&w, (kslice){NULL, 0}, 0, 1);
    kw_str(&w, (kslice){NULL, 0}, 1, 1);
    kw_str(&w, KWIRE_EMPTY, 1, 0);
    static const uint8_t want[] = {0, 2, 'a', 'b', 3, 'a', 'b', 0xff, 0xff, 0, 1};
    ck_assert_int_eq(w.err, 0);
    ck_assert_uint_eq((size_t)(w.p - buf), sizeof(want));
    ck_assert_mem_eq(buf, want, sizeof(want));
    ck_assert_uint_eq(kw_str_size(str("ab"), 0) + kw_str_size(str("ab"), 1) +
                          kw_str_size((kslice){NULL, 0}, 0) + kw_str_size((kslice){NULL, 0}, 1) +
                          kw_str_size(KWIRE_EMPTY, 1),
                      sizeof(want));

    kreader r = kreader_of(want, sizeof(want));
    kslice s[5];
    kr_str(&r, &s[0], 0, 0);
    kr_str(&r, &s[1], 1, 0);
    kr_str(&r, &s[2], 0, 1);
    kr_str(&r, &s[3], 1, 1);
    kr_str(&r, &s[4], 1, 0);
    ck_assert_int_eq(r.err, 0);
    ck_assert(kwire_eq(s[0], str("ab")) && kwire_eq(s[1], str("ab")));
    ck_assert_ptr_null(s[2].ptr);
    ck_assert_ptr_null(s[3].ptr);
    ck_assert(s[4].ptr && s[4].len == 0);
}
END_TEST

START_TEST(test_bad_values_fail_the_writer_without_writing)
{
    static uint8_t big[KWIRE_MAX_STRING + 1];
    uint8_t buf[16];
    kwriter w = {buf, 0};
    kw_str(&w, (kslice){big, sizeof(big)}, 0, 0);
    ck_assert_int_eq(w.err, KFK_ERR_INVALID_ARG);
    ck_assert_ptr_eq(w.p, buf);
    w.err = 0;
    kw_str(&w, (kslice){NULL, 0}, 1, 0);
    ck_assert_int_eq(w.err, KFK_ERR_INVALID_ARG);
    w.err = 0;
    kw_array_len(&w, -2, 0, 1);
    ck_assert_int_eq(w.err, KFK_ERR_INVALID_ARG);
    w.err = 0;
    kw_array_len(&w, -1, 0, 0);
    ck_assert_int_eq(w.err, KFK_ERR_INVALID_ARG);
    ck_assert_ptr_eq(w.p, buf);
}
END_TEST

START_TEST(test_decoder_rejects_overlong_compact_string)
{
    /* Compact length 0x8001 - 1 = 32768 bytes: one past Java's limit. */
    uint8_t in[3 + 32768] = {0x81, 0x80, 0x02};
    kreader r = kreader_of(in, sizeof(in));
    kslice s;
    kr_str(&r, &s, 1, 0);
    ck_assert(r.err);
}
END_TEST

/* --- encode refusals ------------------------------------------------------ */

START_TEST(test_non_default_field_missing_from_version_is_refused)
{
    kbuf b = {0};
    kp_metadata_request m;
    kp_metadata_request_init(&m);
    m.allow_auto_topic_creation = false; /* v4+, not ignorable */
    ck_assert_int_eq(kp_metadata_request_encode(&m, 3, &b), KFK_ERR_UNSUPPORTED_VERSION);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(kp_metadata_request_encode(&m, 4, &b), 0);

    kp_fetch_request f;
    kp_fetch_request_init(&f);
    f.replica_id = 5; /* gone in v15, replaced by the tagged replica_state */
    ck_assert_int_eq(kp_fetch_request_encode(&f, 15, &b), KFK_ERR_UNSUPPORTED_VERSION);
    f.replica_id = -1;
    f.replica_state.replica_id = 5; /* tagged, v15+ */
    ck_assert_int_eq(kp_fetch_request_encode(&f, 14, &b), KFK_ERR_UNSUPPORTED_VERSION);
    ck_assert_int_eq(kp_fetch_request_encode(&f, 15, &b), 0);

    kp_produce_response p;
    kp_produce_response_partition_produce_response part;
    kp_produce_response_topic_produce_response topic;
    kp_produce_response_init(&p);
    kp_produce_response_topic_produce_response_init(&topic);
    kp_produce_response_partition_produce_response_init(&part);
    part.current_leader.leader_id = 3; /* tagged, v10+ */
    topic.partition_responses = &part;
    topic.n_partition_responses = 1;
    p.responses = &topic;
    p.n_responses = 1;
    ck_assert_int_eq(kp_produce_response_encode(&p, 9, &b), KFK_ERR_UNSUPPORTED_VERSION);
    ck_assert_int_eq(kp_produce_response_encode(&p, 10, &b), 0);
    kbuf_free(&b);
}
END_TEST

START_TEST(test_ignorable_field_missing_from_version_is_dropped)
{
    kp_produce_request m;
    kp_produce_request_topic_produce_data topic;
    kp_produce_request_init(&m);
    kp_produce_request_topic_produce_data_init(&topic);
    topic.name = str("t");
    topic.topic_id.b[0] = 1;
    m.topic_data = &topic;
    m.n_topic_data = 1;
    kbuf b12 = {0}, b13 = {0};
    ck_assert_int_eq(kp_produce_request_encode(&m, 12, &b12), 0); /* drops topic_id */
    ck_assert_int_eq(kp_produce_request_encode(&m, 13, &b13), 0); /* drops name */

    kp_produce_request d;
    karena a = KARENA_INIT;
    kreader r = kreader_of(b13.data, b13.len);
    ck_assert_int_eq(kp_produce_request_decode(&d, 13, &r, &a), 0);
    ck_assert(d.topic_data[0].name.ptr && d.topic_data[0].name.len == 0);
    ck_assert_int_eq(d.topic_data[0].topic_id.b[0], 1);
    r = kreader_of(b12.data, b12.len);
    ck_assert_int_eq(kp_produce_request_decode(&d, 12, &r, &a), 0);
    ck_assert(kuuid_is_zero(&d.topic_data[0].topic_id));
    ck_assert(kwire_eq(d.topic_data[0].name, str("t")));
    kbuf_free(&b12);
    kbuf_free(&b13);
    karena_free(&a);
}
END_TEST

START_TEST(test_null_where_version_has_no_null_is_refused)
{
    kbuf b = {0};
    ck_assert_int_eq(kbuf_append(&b, "abc", 3), 0);
    kp_produce_request m;
    kp_produce_request_topic_produce_data topic;
    kp_produce_request_init(&m);
    kp_produce_request_topic_produce_data_init(&topic);
    topic.name = (kslice){NULL, 0};
    m.topic_data = &topic;
    m.n_topic_data = 1;
    ck_assert_int_eq(kp_produce_request_encode(&m, 3, &b), KFK_ERR_INVALID_ARG);
    ck_assert_uint_eq(b.len, 3); /* out is untouched on error */

    kp_metadata_request md;
    kp_metadata_request_init(&md);
    md.n_topics = -1; /* "all topics" exists from v1 */
    ck_assert_int_eq(kp_metadata_request_encode(&md, 0, &b), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kp_metadata_request_encode(&md, 1, &b), 0);
    kbuf_free(&b);
}
END_TEST

START_TEST(test_versions_outside_the_range_are_unsupported)
{
    kp_produce_request m;
    kp_produce_request_init(&m);
    kbuf b = {0};
    karena a = KARENA_INIT;
    ck_assert_int_eq(kp_produce_request_encode(&m, 2, &b), KFK_ERR_UNSUPPORTED_VERSION);
    ck_assert_int_eq(kp_produce_request_encode(&m, 14, &b), KFK_ERR_UNSUPPORTED_VERSION);
    ck_assert_uint_eq(kp_produce_request_size(&m, 14), 0);
    kreader r = kreader_of("", 0);
    ck_assert_int_eq(kp_produce_request_decode(&m, 14, &r, &a), KFK_ERR_UNSUPPORTED_VERSION);
    ck_assert_int_eq(kproto_request_encode(4, 0, &m, &b), KFK_ERR_UNSUPPORTED_VERSION);
    ck_assert_uint_eq(b.len, 0);
}
END_TEST

/* --- decode rejections ---------------------------------------------------- */

START_TEST(test_null_for_a_non_nullable_field_is_malformed)
{
    kp_produce_request m;
    karena a = KARENA_INIT;
    /* v3: null txn id, acks 1, timeout 0, one topic whose name is null */
    kreader r = READER(0xff, 0xff, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0, 0, 0, 0);
    int err = kp_produce_request_decode(&m, 3, &r, &a);
    ck_assert_int_eq(err, KFK_ERR_MALFORMED);
    karena_free(&a);
}
END_TEST

START_TEST(test_huge_array_count_fails_before_allocating)
{
    kp_api_versions_response m;
    karena a = KARENA_INIT;
    kreader r = READER(0, 0, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0);
    int err = kp_api_versions_response_decode(&m, 0, &r, &a);
    ck_assert_int_eq(err, KFK_ERR_MALFORMED);
    ck_assert_ptr_null(a.blocks);
    /* Compact form: 2^28 elements claimed in a few bytes. */
    r = READER(0, 0, 0x81, 0x80, 0x80, 0x80, 0x01, 0, 0, 0, 0, 0);
    err = kp_api_versions_response_decode(&m, 3, &r, &a);
    ck_assert_int_eq(err, KFK_ERR_MALFORMED);
    ck_assert_ptr_null(a.blocks);
}
END_TEST

START_TEST(test_unknown_tagged_fields_are_skipped)
{
    kp_api_versions_request m;
    karena a = KARENA_INIT;
    /* "k", "0", then two tags: 9 (2 bytes) and 300 (0 bytes). */
    kreader r = READER(2, 'k', 2, '0', 2, 9, 2, 0xaa, 0xbb, 0xac, 0x02, 0);
    int err = kp_api_versions_request_decode(&m, 3, &r, &a);
    ck_assert_int_eq(err, 0);
    ck_assert_uint_eq(kreader_left(&r), 0);
    ck_assert(kwire_eq(m.client_software_name, str("k")));
    ck_assert(kwire_eq(m.client_software_version, str("0")));
    /* A tag whose length runs past the end. */
    r = READER(2, 'k', 2, '0', 1, 9, 5, 0xaa);
    err = kp_api_versions_request_decode(&m, 3, &r, &a);
    ck_assert_int_eq(err, KFK_ERR_MALFORMED);
    karena_free(&a);
}
END_TEST

START_TEST(test_known_tagged_field_is_read_within_its_length)
{
    /* ApiVersions v3 response: error 0, no keys, throttle 0, then tag 1
     * (finalized_features_epoch) holding 8 bytes plus 2 trailing ones that
     * a newer Kafka might add: they are skipped with the field. */
    kp_api_versions_response m;
    karena a = KARENA_INIT;
    kreader r = READER(0, 0, 1, 0, 0, 0, 0, 1, 1, 10, 0, 0, 0, 0, 0, 0, 0, 42, 0xee, 0xee);
    int err = kp_api_versions_response_decode(&m, 3, &r, &a);
    ck_assert_int_eq(err, 0);
    ck_assert_uint_eq(kreader_left(&r), 0);
    ck_assert_int_eq(m.finalized_features_epoch, 42);
    /* Too short for its field: malformed. */
    r = READER(0, 0, 1, 0, 0, 0, 0, 1, 1, 4, 0, 0, 0, 42);
    err = kp_api_versions_response_decode(&m, 3, &r, &a);
    ck_assert_int_eq(err, KFK_ERR_MALFORMED);
    karena_free(&a);
}
END_TEST

/* --- API table and framing ------------------------------------------------ */

START_TEST(test_api_table_lists_the_broker_apis)
{
    size_t n;
    const kproto_api *all = kproto_api_list(&n);
    ck_assert_uint_eq(n, 79);
    for (size_t i = 1; i < n; i++)
        ck_assert_int_lt(all[i - 1].key, all[i].key);
    const kproto_api *p = kproto_api_get(0);
    ck_assert_str_eq(p->name, "Produce");
    ck_assert_int_eq(p->min_version, 3);
    ck_assert_int_eq(p->max_version, 13);
    ck_assert_int_eq(p->first_flexible, 9);
    ck_assert_uint_eq(p->request_size, sizeof(kp_produce_request));
    const kproto_api *ipid = kproto_api_get(22);
    ck_assert_int_eq(ipid->max_version, 6);
    ck_assert_int_eq(ipid->max_stable_version, 5); /* v6 is unstable in 4.3.1 */
    ck_assert_int_eq(kproto_api_get(17)->first_flexible, -1); /* SaslHandshake */
    ck_assert_ptr_null(kproto_api_get(4)); /* LeaderAndIsr: controller only */
    ck_assert_ptr_null(kproto_api_get(-1));
    ck_assert_ptr_null(kproto_api_get(1000));
    ck_assert_str_eq(kproto_api_get(92)->name, "DeleteShareGroupOffsets");
}
END_TEST

START_TEST(test_header_versions_follow_flexibility)
{
    ck_assert_int_eq(kproto_request_header_version(0, 8), 1);
    ck_assert_int_eq(kproto_response_header_version(0, 8), 0);
    ck_assert_int_eq(kproto_request_header_version(0, 9), 2);
    ck_assert_int_eq(kproto_response_header_version(0, 9), 1);
    ck_assert_int_eq(kproto_request_header_version(18, 3), 2);
    ck_assert_int_eq(kproto_response_header_version(18, 3), 0); /* ApiVersions */
    ck_assert_int_eq(kproto_request_header_version(17, 1), 1);
    ck_assert_int_eq(kproto_request_header_version(0, 2), -1);
    ck_assert_int_eq(kproto_response_header_version(4, 0), -1);
}
END_TEST

START_TEST(test_request_frame_reads_back)
{
    kp_metadata_request m;
    kp_metadata_request_topic t;
    kp_metadata_request_init(&m);
    kp_metadata_request_topic_init(&t);
    t.name = str("orders");
    m.topics = &t;
    m.n_topics = 1;
    kbuf b = {0};
    ck_assert_int_eq(kproto_write_request(&b, 3, 12, 42, str("app"), &m), 0);
    kreader r = kreader_of(b.data, b.len);
    ck_assert_int_eq(kread_i32(&r), (int32_t)b.len - 4);

    kp_request_header h;
    ck_assert_int_eq(kproto_read_request_header(&r, &h), 0);
    ck_assert_int_eq(h.request_api_key, 3);
    ck_assert_int_eq(h.request_api_version, 12);
    ck_assert_int_eq(h.correlation_id, 42);
    ck_assert(kwire_eq(h.client_id, str("app")));

    kp_metadata_request d;
    karena a = KARENA_INIT;
    ck_assert_int_eq(kproto_request_decode(3, 12, &d, &r, &a), 0);
    ck_assert_uint_eq(kreader_left(&r), 0);
    ck_assert_int_eq(d.n_topics, 1);
    ck_assert(kwire_eq(d.topics[0].name, str("orders")));
    karena_free(&a);
    kbuf_free(&b);
}
END_TEST

START_TEST(test_response_frame_reads_back)
{
    kp_find_coordinator_response m;
    kp_find_coordinator_response_init(&m);
    m.error_code = 15;
    kbuf b = {0};
    /* error_code is top-level up to v3; v4+ moved it into coordinators[] and
     * refuses a non-default one at the top. */
    ck_assert_int_eq(kproto_write_response(&b, 10, 4, 9, &m), KFK_ERR_UNSUPPORTED_VERSION);
    ck_assert_uint_eq(b.len, 0);
    ck_assert_int_eq(kproto_write_response(&b, 10, 3, 9, &m), 0);
    kreader r = kreader_of(b.data, b.len);
    ck_assert_int_eq(kread_i32(&r), (int32_t)b.len - 4);
    kp_response_header h;
    ck_assert_int_eq(kproto_read_response_header(&r, 10, 3, &h), 0);
    ck_assert_int_eq(h.correlation_id, 9);
    kp_find_coordinator_response d;
    karena a = KARENA_INIT;
    ck_assert_int_eq(kproto_response_decode(10, 3, &d, &r, &a), 0);
    ck_assert_uint_eq(kreader_left(&r), 0);
    ck_assert_int_eq(d.error_code, 15);
    karena_free(&a);
    kbuf_free(&b);
}
END_TEST

START_TEST(test_request_header_of_unknown_api_is_reported)
{
    static const uint8_t in[] = {0x03, 0xe7, 0, 1, 0, 0, 0, 5, 0, 0};
    kreader r = kreader_of(in, sizeof(in));
    kp_request_header h;
    ck_assert_int_eq(kproto_read_request_header(&r, &h), KFK_ERR_UNSUPPORTED_VERSION);
    ck_assert_int_eq(h.request_api_key, 999);
    ck_assert_int_eq(h.request_api_version, 1);
    kbuf b = {0};
    ck_assert_int_eq(kproto_write_request(&b, 999, 0, 1, str("x"), NULL),
                     KFK_ERR_UNSUPPORTED_VERSION);
    ck_assert_uint_eq(b.len, 0);
}
END_TEST

static Suite *proto_wire_suite(void)
{
    Suite *s = suite_create("proto_wire");
    TCase *tc = tcase_create("wire");
    tcase_add_test(tc, test_arena_allocations_are_aligned_and_distinct);
    tcase_add_test(tc, test_arena_reset_keeps_the_newest_block);
    tcase_add_test(tc, test_arena_reset_drops_a_huge_block);
    tcase_add_test(tc, test_arena_serves_allocations_larger_than_a_block);
    tcase_add_test(tc, test_strings_in_classic_and_compact_form);
    tcase_add_test(tc, test_bad_values_fail_the_writer_without_writing);
    tcase_add_test(tc, test_decoder_rejects_overlong_compact_string);
    tcase_add_test(tc, test_non_default_field_missing_from_version_is_refused);
    tcase_add_test(tc, test_ignorable_field_missing_from_version_is_dropped);
    tcase_add_test(tc, test_null_where_version_has_no_null_is_refused);
    tcase_add_test(tc, test_versions_outside_the_range_are_unsupported);
    tcase_add_test(tc, test_null_for_a_non_nullable_field_is_malformed);
    tcase_add_test(tc, test_huge_array_count_fails_before_allocating);
    tcase_add_test(tc, test_unknown_tagged_fields_are_skipped);
    tcase_add_test(tc, test_known_tagged_field_is_read_within_its_length);
    tcase_add_test(tc, test_api_table_lists_the_broker_apis);
    tcase_add_test(tc, test_header_versions_follow_flexibility);
    tcase_add_test(tc, test_request_frame_reads_back);
    tcase_add_test(tc, test_response_frame_reads_back);
    tcase_add_test(tc, test_request_header_of_unknown_api_is_reported);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ktest_run(proto_wire_suite()); }
