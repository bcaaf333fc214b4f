/* Protocol messages against bytes from outside kfk: vectors Kafka's Java
 * classes wrote (tests/data/proto/golden.txt, made by tools/golden/
 * proto-vectors golden) and a few derived by hand from the protocol guide. */
#include <stdio.h>
#include <stdlib.h>

#include "../common/ktest.h"
#include "proto/api.h"
#include "proto/gen/all.h"

typedef struct vector {
    char name[64];
    char kind[32];
    int key, version;
    uint8_t *bytes;
    size_t len;
} vector;

static vector vectors[64];
static size_t n_vectors;

static int unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = strlen(s);
    if (n % 2 || n / 2 > cap)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned b;
        if (sscanf(s + 2 * i, "%2x", &b) != 1)
            return -1;
        out[i] = (uint8_t)b;
    }
    return (int)(n / 2);
}

static void load_vectors(void)
{
    char *text = ktest_read_file("tests/data/proto/golden.txt", NULL);
    ck_assert_msg(text, "cannot read tests/data/proto/golden.txt; tests run from the repo root");
    n_vectors = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        vector *v = &vectors[n_vectors];
        static char hex[8192];
        hex[0] = '\0';
        int got = sscanf(line, "%63s %31s %d %d %8191s", v->name, v->kind, &v->key, &v->version,
                         hex);
        ck_assert_msg(got >= 4, "bad line: %s", line);
        v->bytes = malloc(strlen(hex) / 2 + 1);
        int len = unhex(hex, v->bytes, strlen(hex) / 2 + 1);
        ck_assert_int_ge(len, 0);
        v->len = (size_t)len;
        ck_assert_uint_lt(++n_vectors, sizeof(vectors) / sizeof(vectors[0]));
    }
    free(text);
}

static void free_vectors(void)
{
    for (size_t i = 0; i < n_vectors; i++)
        free(vectors[i].bytes);
    n_vectors = 0;
}

static const vector *find(const char *name)
{
    for (size_t i = 0; i < n_vectors; i++)
        if (strcmp(vectors[i].name, name) == 0)
            return &vectors[i];
    ck_abort_msg("no golden vector %s", name);
    return NULL;
}

static void assert_bytes(const kbuf *b, const uint8_t *want, size_t len, const char *what)
{
    ck_assert_msg(b->len == len, "%s: %zu bytes, want %zu", what, b->len, len);
    for (size_t i = 0; i < len; i++)
        ck_assert_msg(b->data[i] == want[i], "%s: byte %zu is %02x, want %02x", what, i,
                      b->data[i], want[i]);
}

static void assert_vector(const kbuf *b, const char *name)
{
    const vector *v = find(name);
    assert_bytes(b, v->bytes, v->len, name);
}

static kslice str(const char *s) { return kwire_cstr(s); }

static const kuuid topic_id = {{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba,
                                0x98, 0x76, 0x54, 0x32, 0x10}};
static const uint8_t record_bytes[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/* Decode every vector and encode it again: Java's bytes come back. */
START_TEST(test_every_golden_vector_decodes_and_reencodes_identically)
{
    ck_assert_uint_ge(n_vectors, 20);
    for (size_t i = 0; i < n_vectors; i++) {
        const vector *v = &vectors[i];
        union {
            kp_request_header rq;
            kp_response_header rs;
            char body[4096];
        } m;
        karena a = KARENA_INIT;
        kbuf b = {0};
        kreader r = kreader_of(v->bytes, v->len);
        int16_t key = (int16_t)v->key, ver = (int16_t)v->version;
        int err;
        if (strcmp(v->kind, "request") == 0) {
            ck_assert_uint_le(kproto_api_get(key)->request_size, sizeof(m));
            err = kproto_request_decode(key, ver, &m, &r, &a);
            ck_assert_int_eq(err, 0);
            ck_assert_int_eq(kproto_request_encode(key, ver, &m, &b), 0);
        } else if (strcmp(v->kind, "response") == 0) {
            ck_assert_uint_le(kproto_api_get(key)->response_size, sizeof(m));
            err = kproto_response_decode(key, ver, &m, &r, &a);
            ck_assert_int_eq(err, 0);
            ck_assert_int_eq(kproto_response_encode(key, ver, &m, &b), 0);
        } else if (strcmp(v->kind, "request_header") == 0) {
            err = kp_request_header_decode(&m.rq, ver, &r, &a);
            ck_assert_int_eq(err, 0);
            ck_assert_int_eq(kp_request_header_encode(&m.rq, ver, &b), 0);
        } else {
            err = kp_response_header_decode(&m.rs, ver, &r, &a);
            ck_assert_int_eq(err, 0);
            ck_assert_int_eq(kp_response_header_encode(&m.rs, ver, &b), 0);
        }
        ck_assert_msg(kreader_left(&r) == 0, "%s: %zu bytes left", v->name, kreader_left(&r));
        if (strcmp(v->name, "response_header_v1_unknown_tags") == 0) {
            /* Unknown tagged fields are skipped, so they are not written back. */
            static const uint8_t want[] = {0x01, 0x02, 0x03, 0x04, 0x00};
            assert_bytes(&b, want, sizeof(want), v->name);
        } else {
            assert_bytes(&b, v->bytes, v->len, v->name);
        }
        kbuf_free(&b);
        karena_free(&a);
    }
}
END_TEST

/* Derived by hand from the protocol guide: compact strings are a varint
 * of length + 1; the request header's client_id stays a classic int16
 * string even in header v2; flexible structs end in a tag count. */
static const uint8_t api_versions_v3_by_hand[] = {
    0x04, 'k', 'f', 'k',                /* client_software_name "kfk" */
    0x06, '0', '.', '1', '.', '0',      /* client_software_version "0.1.0" */
    0x00,                               /* no tagged fields */
};
static const uint8_t api_versions_v3_frame_by_hand[] = {
    0x00, 0x00, 0x00, 0x19,             /* size: 25 bytes follow */
    0x00, 0x12, 0x00, 0x03,             /* api key 18, version 3 */
    0x00, 0x00, 0x00, 0x01,             /* correlation id 1 */
    0x00, 0x03, 'k', 'f', 'k',          /* client_id, classic string */
    0x00,                               /* header tagged fields */
    0x04, 'k', 'f', 'k', 0x06, '0', '.', '1', '.', '0', 0x00,
};

START_TEST(test_api_versions_request_matches_hand_derived_bytes)
{
    kp_api_versions_request m;
    kp_api_versions_request_init(&m);
    m.client_software_name = str("kfk");
    m.client_software_version = str("0.1.0");
    kbuf b = {0};
    ck_assert_int_eq(kp_api_versions_request_encode(&m, 3, &b), 0);
    assert_bytes(&b, api_versions_v3_by_hand, sizeof(api_versions_v3_by_hand), "by hand");
    assert_vector(&b, "api_versions_request_v3");
    kbuf_reset(&b);
    ck_assert_int_eq(kp_api_versions_request_encode(&m, 4, &b), 0);
    assert_vector(&b, "api_versions_request_v4");
    /* v0 has neither field; both are ignorable, so they are dropped. */
    kbuf_reset(&b);
    ck_assert_int_eq(kp_api_versions_request_encode(&m, 0, &b), 0);
    ck_assert_uint_eq(b.len, 0);
    assert_vector(&b, "api_versions_request_v0");

    kbuf_reset(&b);
    ck_assert_int_eq(kproto_write_request(&b, 18, 3, 1, str("kfk"), &m), 0);
    assert_bytes(&b, api_versions_v3_frame_by_hand, sizeof(api_versions_v3_frame_by_hand),
                 "frame by hand");
    /* The header part is Java's too. */
    kbuf hb = {.data = b.data + 4, .len = 14, .cap = 14};
    assert_vector(&hb, "request_header_v2");
    kbuf_free(&b);
}
END_TEST

START_TEST(test_request_headers_match_java)
{
    kp_request_header h;
    kp_request_header_init(&h);
    h.request_api_key = 3;
    h.request_api_version = 12;
    h.correlation_id = 7;
    h.client_id = (kslice){NULL, 0};
    kbuf b = {0};
    ck_assert_int_eq(kp_request_header_encode(&h, 1, &b), 0);
    assert_vector(&b, "request_header_v1");
    kbuf_free(&b);

    kp_response_header rh;
    kp_response_header_init(&rh);
    rh.correlation_id = 7;
    ck_assert_int_eq(kp_response_header_encode(&rh, 0, &b), 0);
    assert_vector(&b, "response_header_v0");
    kbuf_free(&b);
}
END_TEST

START_TEST(test_metadata_requests_match_java)
{
    kp_metadata_request m;
    kp_metadata_request_init(&m);
    kp_metadata_request_topic topics[2];
    for (int i = 0; i < 2; i++)
        kp_metadata_request_topic_init(&topics[i]);
    topics[0].name = str("foo");
    topics[1].name = str("bar");
    m.topics = topics;
    m.n_topics = 1;
    ck_assert(m.allow_auto_topic_creation); /* the schema's default */
    kbuf b = {0};
    ck_assert_int_eq(kp_metadata_request_encode(&m, 12, &b), 0);
    assert_vector(&b, "metadata_request_v12");

    kbuf_reset(&b);
    m.n_topics = 2;
    ck_assert_int_eq(kp_metadata_request_encode(&m, 0, &b), 0);
    assert_vector(&b, "metadata_request_v0");

    kbuf_reset(&b);
    m.n_topics = -1; /* null: every topic */
    ck_assert_int_eq(kp_metadata_request_encode(&m, 12, &b), 0);
    assert_vector(&b, "metadata_request_v12_all_topics");
    kbuf_free(&b);
}
END_TEST

START_TEST(test_produce_requests_match_java)
{
    kp_produce_request m;
    kp_produce_request_init(&m);
    kp_produce_request_topic_produce_data topic;
    kp_produce_request_partition_produce_data part;
    kp_produce_request_topic_produce_data_init(&topic);
    kp_produce_request_partition_produce_data_init(&part);
    part.index = 0;
    part.records = (kslice){record_bytes, 10};
    topic.name = str("t");
    topic.partition_data = &part;
    topic.n_partition_data = 1;
    m.acks = -1;
    m.timeout_ms = 30000;
    m.topic_data = &topic;
    m.n_topic_data = 1;
    kbuf b = {0};
    ck_assert_int_eq(kp_produce_request_encode(&m, 3, &b), 0);
    assert_vector(&b, "produce_request_v3");
    ck_assert_uint_eq(kp_produce_request_size(&m, 3), b.len);
    kbuf_reset(&b);
    ck_assert_int_eq(kp_produce_request_encode(&m, 9, &b), 0);
    assert_vector(&b, "produce_request_v9");

    /* v13 names topics by ID; the name is ignorable and dropped there. */
    m.transactional_id = str("txn-1");
    m.acks = 1;
    m.timeout_ms = 1500;
    topic.name = KWIRE_EMPTY;
    topic.topic_id = topic_id;
    part.index = 3;
    part.records = (kslice){record_bytes, 5};
    kbuf_reset(&b);
    ck_assert_int_eq(kp_produce_request_encode(&m, 13, &b), 0);
    assert_vector(&b, "produce_request_v13");
    kbuf_free(&b);
}
END_TEST

START_TEST(test_produce_response_with_tagged_fields_matches_java)
{
    kp_produce_response m;
    kp_produce_response_init(&m);
    kp_produce_response_topic_produce_response topic;
    kp_produce_response_partition_produce_response parts[2];
    kp_produce_response_node_endpoint node;
    kp_produce_response_topic_produce_response_init(&topic);
    for (int i = 0; i < 2; i++)
        kp_produce_response_partition_produce_response_init(&parts[i]);
    kp_produce_response_node_endpoint_init(&node);
    parts[0].index = 0;
    parts[0].error_code = 6; /* NOT_LEADER_OR_FOLLOWER */
    parts[0].base_offset = -1;
    parts[0].current_leader.leader_id = 2;
    parts[0].current_leader.leader_epoch = 7;
    parts[1].index = 1;
    parts[1].base_offset = 1234567890123;
    parts[1].log_start_offset = 17;
    topic.name = str("t");
    topic.partition_responses = parts;
    topic.n_partition_responses = 2;
    node.node_id = 2;
    node.host = str("broker2");
    node.port = 9093;
    node.rack = str("rack-b");
    m.responses = &topic;
    m.n_responses = 1;
    m.node_endpoints = &node;
    m.n_node_endpoints = 1;
    kbuf b = {0};
    ck_assert_int_eq(kp_produce_response_encode(&m, 10, &b), 0);
    assert_vector(&b, "produce_response_v10");
    kbuf_free(&b);
}
END_TEST

START_TEST(test_fetch_request_with_tagged_struct_matches_java)
{
    kp_fetch_request m;
    kp_fetch_request_init(&m);
    kp_fetch_request_fetch_topic topic;
    kp_fetch_request_fetch_partition part;
    kp_fetch_request_fetch_topic_init(&topic);
    kp_fetch_request_fetch_partition_init(&part);
    part.partition = 0;
    part.current_leader_epoch = 5;
    part.fetch_offset = 100;
    part.last_fetched_epoch = 4;
    part.partition_max_bytes = 1048576;
    topic.topic_id = topic_id;
    topic.partitions = &part;
    topic.n_partitions = 1;
    m.cluster_id = str("c1");
    m.replica_state.replica_id = 1;
    m.replica_state.replica_epoch = 3;
    m.max_wait_ms = 500;
    m.min_bytes = 1;
    m.max_bytes = 52428800;
    m.isolation_level = 1;
    m.topics = &topic;
    m.n_topics = 1;
    kbuf b = {0};
    ck_assert_int_eq(kp_fetch_request_encode(&m, 15, &b), 0);
    assert_vector(&b, "fetch_request_v15");
    kbuf_free(&b);
}
END_TEST

START_TEST(test_api_versions_response_decodes_java_fields)
{
    const vector *v = find("api_versions_response_v3");
    kp_api_versions_response m;
    karena a = KARENA_INIT;
    kreader r = kreader_of(v->bytes, v->len);
    ck_assert_int_eq(kp_api_versions_response_decode(&m, 3, &r, &a), 0);
    ck_assert_int_eq(m.error_code, 0);
    ck_assert_int_eq(m.n_api_keys, 2);
    ck_assert_int_eq(m.api_keys[0].api_key, 0);
    ck_assert_int_eq(m.api_keys[0].min_version, 3);
    ck_assert_int_eq(m.api_keys[0].max_version, 13);
    ck_assert_int_eq(m.api_keys[1].api_key, 18);
    ck_assert_int_eq(m.api_keys[1].max_version, 4);
    ck_assert_int_eq(m.n_supported_features, 1);
    ck_assert(kwire_eq(m.supported_features[0].name, str("metadata.version")));
    ck_assert_int_eq(m.supported_features[0].max_version, 27);
    ck_assert_int_eq(m.finalized_features_epoch, 42);
    ck_assert_int_eq(m.n_finalized_features, 1);
    ck_assert_int_eq(m.finalized_features[0].min_version_level, 27);
    ck_assert(!m.zk_migration_ready);
    /* Zero-copy: the name points into the input. */
    ck_assert(m.supported_features[0].name.ptr > v->bytes &&
              m.supported_features[0].name.ptr < v->bytes + v->len);
    karena_free(&a);

    v = find("api_versions_response_v0");
    r = kreader_of(v->bytes, v->len);
    ck_assert_int_eq(kp_api_versions_response_decode(&m, 0, &r, &a), 0);
    ck_assert_int_eq(m.error_code, 35); /* UNSUPPORTED_VERSION */
    ck_assert_int_eq(m.n_api_keys, 0);
    ck_assert_int_eq(m.finalized_features_epoch, -1); /* absent: default */
    karena_free(&a);
}
END_TEST

START_TEST(test_fetch_response_decodes_java_fields)
{
    const vector *v = find("fetch_response_v16");
    kp_fetch_response m;
    karena a = KARENA_INIT;
    kreader r = kreader_of(v->bytes, v->len);
    ck_assert_int_eq(kp_fetch_response_decode(&m, 16, &r, &a), 0);
    ck_assert_int_eq(m.session_id, 77);
    ck_assert_int_eq(m.n_responses, 1);
    ck_assert(memcmp(m.responses[0].topic_id.b, topic_id.b, 16) == 0);
    ck_assert_int_eq(m.responses[0].n_partitions, 2);
    const kp_fetch_response_partition_data *p = m.responses[0].partitions;
    ck_assert_int_eq(p[0].high_watermark, 200);
    ck_assert_int_eq(p[0].last_stable_offset, 150);
    ck_assert_int_eq(p[0].n_aborted_transactions, 1);
    ck_assert_int_eq(p[0].aborted_transactions[0].producer_id, 9);
    ck_assert_int_eq(p[0].aborted_transactions[0].first_offset, 90);
    ck_assert_int_eq(p[0].diverging_epoch.epoch, 3);
    ck_assert_int_eq(p[0].diverging_epoch.end_offset, 99);
    ck_assert_int_eq(p[0].current_leader.leader_id, -1); /* tag absent: default */
    ck_assert_uint_eq(p[0].records.len, 12);
    ck_assert(memcmp(p[0].records.ptr, record_bytes, 12) == 0);
    ck_assert_int_eq(p[1].error_code, 74);
    ck_assert_int_eq(p[1].n_aborted_transactions, -1);
    ck_assert_ptr_null(p[1].records.ptr);
    ck_assert_int_eq(p[1].current_leader.leader_id, 3);
    ck_assert_int_eq(p[1].current_leader.leader_epoch, 8);
    ck_assert_int_eq(p[1].snapshot_id.end_offset, 10);
    ck_assert_int_eq(p[1].snapshot_id.epoch, 2);
    ck_assert_int_eq(p[1].diverging_epoch.epoch, -1);
    karena_free(&a);
}
END_TEST

START_TEST(test_metadata_response_decodes_java_fields)
{
    const vector *v = find("metadata_response_v12");
    kp_metadata_response m;
    karena a = KARENA_INIT;
    kreader r = kreader_of(v->bytes, v->len);
    ck_assert_int_eq(kp_metadata_response_decode(&m, 12, &r, &a), 0);
    ck_assert_int_eq(m.n_brokers, 1);
    ck_assert(kwire_eq(m.brokers[0].host, str("localhost")));
    ck_assert_int_eq(m.brokers[0].port, 9092);
    ck_assert_ptr_null(m.brokers[0].rack.ptr);
    ck_assert(kwire_eq(m.cluster_id, str("kfk-cluster")));
    ck_assert_int_eq(m.n_topics, 1);
    ck_assert(kwire_eq(m.topics[0].name, str("foo")));
    ck_assert_int_eq(m.topics[0].topic_authorized_operations, INT32_MIN);
    const kp_metadata_response_partition *p = m.topics[0].partitions;
    ck_assert_int_eq(m.topics[0].n_partitions, 1);
    ck_assert_int_eq(p->leader_epoch, 5);
    ck_assert_int_eq(p->n_replica_nodes, 2);
    ck_assert_int_eq(p->replica_nodes[1], 2);
    ck_assert_int_eq(p->n_isr_nodes, 1);
    ck_assert_int_eq(p->n_offline_replicas, 0);
    karena_free(&a);

    v = find("metadata_response_v1");
    r = kreader_of(v->bytes, v->len);
    ck_assert_int_eq(kp_metadata_response_decode(&m, 1, &r, &a), 0);
    ck_assert_ptr_null(m.cluster_id.ptr); /* v2+ only: default null */
    ck_assert_int_eq(m.controller_id, 1);
    ck_assert_int_eq(m.topics[0].partitions[0].leader_epoch, -1); /* v7+ only */
    karena_free(&a);
}
END_TEST

START_TEST(test_response_header_skips_unknown_tagged_fields)
{
    const vector *v = find("response_header_v1_unknown_tags");
    kp_response_header h;
    kreader r = kreader_of(v->bytes, v->len);
    ck_assert_int_eq(kproto_read_response_header(&r, 3, 12, &h), 0);
    ck_assert_int_eq(h.correlation_id, 0x01020304);
    ck_assert_uint_eq(kreader_left(&r), 0);
    /* The same bytes as a v0 header leave the tag section unread. */
    r = kreader_of(v->bytes, v->len);
    ck_assert_int_eq(kproto_read_response_header(&r, 3, 8, &h), 0);
    ck_assert_uint_eq(kreader_left(&r), v->len - 4);
    /* ApiVersions keeps a v0 response header even in flexible versions. */
    r = kreader_of(v->bytes, v->len);
    ck_assert_int_eq(kproto_read_response_header(&r, 18, 4, &h), 0);
    ck_assert_uint_eq(kreader_left(&r), v->len - 4);
}
END_TEST

static Suite *proto_golden_suite(void)
{
    Suite *s = suite_create("proto_golden");
    TCase *tc = tcase_create("golden");
    tcase_add_checked_fixture(tc, load_vectors, free_vectors);
    tcase_add_test(tc, test_every_golden_vector_decodes_and_reencodes_identically);
    tcase_add_test(tc, test_api_versions_request_matches_hand_derived_bytes);
    tcase_add_test(tc, test_request_headers_match_java);
    tcase_add_test(tc, test_metadata_requests_match_java);
    tcase_add_test(tc, test_produce_requests_match_java);
    tcase_add_test(tc, test_produce_response_with_tagged_fields_matches_java);
    tcase_add_test(tc, test_fetch_request_with_tagged_struct_matches_java);
    tcase_add_test(tc, test_api_versions_response_decodes_java_fields);
    tcase_add_test(tc, test_fetch_response_decodes_java_fields);
    tcase_add_test(tc, test_metadata_response_decodes_java_fields);
    tcase_add_test(tc, test_response_header_skips_unknown_tagged_fields);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return ktest_run(proto_golden_suite()); }
