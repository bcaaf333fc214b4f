/* The protocol layer against a real broker: requests encoded by lib/proto
 * go over a plain blocking socket and the broker's replies are decoded by
 * lib/proto. ApiVersions at every version, every advertised API has a
 * generated codec at the broker's newest version, Metadata, and a topic
 * created, written with our record batches in every codec, fetched back and
 * read with our batch reader, then deleted. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/time.h"
#include "ktest.h"
#include "kwire_client.h"
#include "proto/api.h"
#include "proto/arena.h"
#include "proto/batch.h"
#include "proto/gen/all.h"

#define TIMEOUT_MS 15000
#define N_RECORDS 200

/* tests/run-integration runs these against the mock cluster too, which
 * serves only the APIs it implements: checks that count APIs relax then. */
static bool against_mock(void)
{
    const char *m = getenv("KFK_TEST_MOCK");
    return m && !strcmp(m, "1");
}

/* One connection plus the state to make calls on it. */
typedef struct conn {
    int fd;
    int32_t next_correlation_id;
    int16_t max_version[128]; /* the broker's, by API key; -1: not offered */
    kbuf frame;
    kbuf resp; /* the last response; decoded slices point into it */
} conn;

static void conn_open(conn *c, const char *hostports)
{
    memset(c, 0, sizeof(*c));
    memset(c->max_version, 0xff, sizeof(c->max_version));
    c->fd = kwire_connect(hostports, TIMEOUT_MS);
    ck_assert_msg(c->fd >= 0, "cannot connect to %s", hostports);
}

static void conn_close(conn *c)
{
    close(c->fd);
    kbuf_free(&c->frame);
    kbuf_free(&c->resp);
}

/* Sends req as API key/version and decodes the reply into resp (from a). */
static void call(conn *c, int16_t key, int16_t version, const void *req, void *resp, karena *a)
{
    int32_t cid = ++c->next_correlation_id;
    kbuf_reset(&c->frame);
    int rc = kproto_write_request(&c->frame, key, version, cid, kwire_cstr("kfk-it"), req);
    ck_assert_msg(rc == 0, "encode api %d v%d: %s", key, version, kfk_err_str(rc));
    ck_assert_msg(kwire_roundtrip(c->fd, &c->frame, &c->resp) == 0, "api %d v%d: no reply", key,
                  version);

    kreader r = kreader_of(c->resp.data, c->resp.len);
    kp_response_header h;
    kp_response_header_init(&h);
    ck_assert_int_eq(kp_response_header_decode(&h, kproto_response_header_version(key, version),
                                               &r, a),
                     0);
    ck_assert_int_eq(h.correlation_id, cid);
    rc = kproto_response_decode(key, version, resp, &r, a);
    ck_assert_msg(rc == 0, "decode api %d v%d: %s", key, version, kfk_err_str(rc));
    ck_assert_msg(kreader_left(&r) == 0, "api %d v%d: %zu bytes left after the response", key,
                  version, kreader_left(&r));
}

/* The newest ApiVersions version both sides know, asked at v0, which
 * every broker answers (a broker that does not know a newer version
 * answers it in v0, KIP-511, which a decoder of that version cannot
 * read). */
static int16_t api_versions_version(conn *c)
{
    karena a = KARENA_INIT;
    kp_api_versions_request req;
    kp_api_versions_request_init(&req);
    kp_api_versions_response resp;
    call(c, KP_API_VERSIONS_KEY, 0, &req, &resp, &a);
    ck_assert_int_eq(resp.error_code, 0);
    int16_t v = -1;
    for (int32_t i = 0; i < resp.n_api_keys; i++)
        if (resp.api_keys[i].api_key == KP_API_VERSIONS_KEY) v = resp.api_keys[i].max_version;
    karena_free(&a);
    ck_assert_int_ge(v, 0);
    return v < KP_API_VERSIONS_MAX_VERSION ? v : KP_API_VERSIONS_MAX_VERSION;
}

/* ApiVersions at the newest version both know; fills c->max_version. */
static void negotiate(conn *c)
{
    int16_t v = api_versions_version(c);
    karena a = KARENA_INIT;
    kp_api_versions_request req;
    kp_api_versions_request_init(&req);
    if (v >= 3) {
        req.client_software_name = kwire_cstr("kfk-integration-test");
        req.client_software_version = kwire_cstr(KFK_VERSION_STR);
    }
    kp_api_versions_response resp;
    call(c, KP_API_VERSIONS_KEY, v, &req, &resp, &a);
    ck_assert_int_eq(resp.error_code, 0);
    for (int32_t i = 0; i < resp.n_api_keys; i++) {
        int16_t key = resp.api_keys[i].api_key;
        if (key >= 0 && key < 128)
            c->max_version[key] = resp.api_keys[i].max_version;
    }
    karena_free(&a);
}

/* The version to speak: the newest both sides know. */
static int16_t use_version(const conn *c, int16_t key)
{
    const kproto_api *api = kproto_api_get(key);
    ck_assert_ptr_nonnull(api);
    ck_assert_int_ge(c->max_version[key], 0);
    return c->max_version[key] < api->max_version ? c->max_version[key] : api->max_version;
}

START_TEST(test_api_versions_decodes_at_every_version)
{
    conn c;
    conn_open(&c, ktest_bootstrap());
    int32_t n_keys_v0 = -1;
    int16_t newest = api_versions_version(&c);
    for (int16_t v = KP_API_VERSIONS_MIN_VERSION; v <= newest; v++) {
        karena a = KARENA_INIT;
        kp_api_versions_request req;
        kp_api_versions_request_init(&req);
        if (v >= 3) {
            req.client_software_name = kwire_cstr("kfk");
            req.client_software_version = kwire_cstr(KFK_VERSION_STR);
        }
        kp_api_versions_response resp;
        call(&c, KP_API_VERSIONS_KEY, v, &req, &resp, &a);
        ck_assert_int_eq(resp.error_code, 0);
        ck_assert_int_gt(resp.n_api_keys, against_mock() ? 5 : 10);
        if (n_keys_v0 < 0)
            n_keys_v0 = resp.n_api_keys;
        ck_assert_int_eq(resp.n_api_keys, n_keys_v0); /* the same APIs whatever the version */
        if (v >= 3) /* KIP-584 features come as tagged fields */
            ck_assert_int_ge(resp.finalized_features_epoch, 0);
        karena_free(&a);
    }
    conn_close(&c);
}
END_TEST

START_TEST(test_every_advertised_api_has_a_codec_at_the_broker_max)
{
    conn c;
    conn_open(&c, ktest_bootstrap());
    negotiate(&c);
    int advertised = 0;
    for (int key = 0; key < 128; key++) {
        if (c.max_version[key] < 0)
            continue;
        advertised++;
        const kproto_api *api = kproto_api_get((int16_t)key);
        ck_assert_msg(api != NULL, "broker offers API key %d, which kfk lacks", key);
        ck_assert_msg(api->max_version >= c.max_version[key],
                      "broker offers %s up to v%d, kfk only to v%d", api->name,
                      c.max_version[key], api->max_version);
        /* The codec is there at that version: a default request has a size
         * and the dispatcher knows the version. */
        ck_assert_int_ge(kproto_request_header_version((int16_t)key, c.max_version[key]), 1);
        ck_assert_int_ge(kproto_response_header_version((int16_t)key, c.max_version[key]), 0);
    }
    printf("broker advertises %d APIs, all with codecs at its max version\n", advertised);
    ck_assert_int_ge(advertised, against_mock() ? 10 : 70);
    conn_close(&c);
}
END_TEST

/* Metadata for the given topic names (NULL: all topics). */
static void metadata(conn *c, const char *topic, kp_metadata_response *resp, karena *a)
{
    kp_metadata_request req;
    kp_metadata_request_init(&req);
    kp_metadata_request_topic t;
    if (topic) {
        kp_metadata_request_topic_init(&t);
        t.name = kwire_cstr(topic);
        req.topics = &t;
        req.n_topics = 1;
    } else {
        req.n_topics = -1; /* null: every topic */
    }
    req.allow_auto_topic_creation = false;
    call(c, KP_METADATA_KEY, use_version(c, KP_METADATA_KEY), &req, resp, a);
}

START_TEST(test_metadata_lists_the_brokers)
{
    conn c;
    conn_open(&c, ktest_bootstrap());
    negotiate(&c);
    karena a = KARENA_INIT;
    kp_metadata_response resp;
    metadata(&c, NULL, &resp, &a);
    ck_assert_int_ge(resp.n_brokers, 1);
    ck_assert_ptr_nonnull(resp.cluster_id.ptr);
    ck_assert_int_ge(resp.controller_id, 0);
    int found_bootstrap = 0;
    for (int32_t i = 0; i < resp.n_brokers; i++) {
        char hp[300];
        snprintf(hp, sizeof(hp), "%.*s:%d", (int)resp.brokers[i].host.len,
                 (const char *)resp.brokers[i].host.ptr, resp.brokers[i].port);
        ck_assert_int_ge(resp.brokers[i].node_id, 0);
        ck_assert_int_gt(resp.brokers[i].port, 0);
        found_bootstrap |= strstr(ktest_bootstrap(), hp) != NULL;
    }
    ck_assert_msg(found_bootstrap, "no broker in Metadata matches %s", ktest_bootstrap());
    karena_free(&a);
    conn_close(&c);
}
END_TEST

static kuuid create_topic(conn *c, const char *name)
{
    karena a = KARENA_INIT;
    kp_create_topics_request req;
    kp_create_topics_request_init(&req);
    kp_create_topics_request_creatable_topic t;
    kp_create_topics_request_creatable_topic_init(&t);
    t.name = kwire_cstr(name);
    t.num_partitions = 1;
    t.replication_factor = -1; /* the broker's default */
    req.topics = &t;
    req.n_topics = 1;
    req.timeout_ms = TIMEOUT_MS;
    kp_create_topics_response resp;
    call(c, KP_CREATE_TOPICS_KEY, use_version(c, KP_CREATE_TOPICS_KEY), &req, &resp, &a);
    ck_assert_int_eq(resp.n_topics, 1);
    ck_assert_msg(resp.topics[0].error_code == 0, "CreateTopics %s: %s", name,
                  kfk_err_str(resp.topics[0].error_code));
    ck_assert_int_eq(resp.topics[0].num_partitions, 1);
    kuuid id = resp.topics[0].topic_id;
    ck_assert(!kuuid_is_zero(&id));
    karena_free(&a);
    return id;
}

/* Polls Metadata until the new topic's partition has a leader (the broker
 * learns it from the controller shortly after CreateTopics returns); returns
 * that leader's "host:port". Bounded by a deadline. */
static void await_leader(conn *c, const char *topic, kuuid id, char *hostport, size_t n)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        karena a = KARENA_INIT;
        kp_metadata_response resp;
        metadata(c, topic, &resp, &a);
        ck_assert_int_eq(resp.n_topics, 1);
        const kp_metadata_response_topic *t = &resp.topics[0];
        if (t->error_code == 0 && t->n_partitions == 1 && t->partitions[0].leader_id >= 0) {
            ck_assert(kwire_eq((kslice){id.b, 16}, (kslice){t->topic_id.b, 16}));
            for (int32_t i = 0; i < resp.n_brokers; i++)
                if (resp.brokers[i].node_id == t->partitions[0].leader_id)
                    snprintf(hostport, n, "%.*s:%d", (int)resp.brokers[i].host.len,
                             (const char *)resp.brokers[i].host.ptr, resp.brokers[i].port);
            karena_free(&a);
            ck_assert_msg(hostport[0], "the leader of %s is not among the brokers", topic);
            return;
        }
        karena_free(&a);
        clock_gettime(CLOCK_MONOTONIC, &now);
        ck_assert_msg(now.tv_sec - start.tv_sec < TIMEOUT_MS / 1000, "%s has no leader", topic);
        /* Between polls only: the loop's exit is the observed leader. */
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
}

static void delete_topic(conn *c, const char *name, kuuid id)
{
    karena a = KARENA_INIT;
    kp_delete_topics_request req;
    kp_delete_topics_request_init(&req);
    kp_delete_topics_request_delete_topic_state t;
    kp_delete_topics_request_delete_topic_state_init(&t);
    kslice names[1] = {kwire_cstr(name)};
    int16_t v = use_version(c, KP_DELETE_TOPICS_KEY);
    if (v >= 6) {
        t.topic_id = id;
        req.topics = &t;
        req.n_topics = 1;
    } else {
        req.topic_names = names;
        req.n_topic_names = 1;
    }
    req.timeout_ms = TIMEOUT_MS;
    kp_delete_topics_response resp;
    call(c, KP_DELETE_TOPICS_KEY, v, &req, &resp, &a);
    ck_assert_int_eq(resp.n_responses, 1);
    ck_assert_int_eq(resp.responses[0].error_code, 0);
    karena_free(&a);
}

/* The record i of the test data: every 9th key null, every 13th value
 * null, i % 4 headers, a timestamp of our choosing: ts0 + i s, ts0 an
 * hour ago (older records would go to the broker's time-based retention
 * whenever its periodic check comes in the middle of a test). */
static int64_t ts0;

typedef struct test_record {
    char key[32], value[256], hk[4][32], hv[4][48];
    kslice k, v;
    krecord_header h[4];
    size_t n_headers;
    int64_t ts;
} test_record;

static void make_record(test_record *r, int i)
{
    snprintf(r->key, sizeof(r->key), "key-%d", i);
    int vlen = snprintf(r->value, sizeof(r->value), "value-%d-", i);
    for (; vlen < (int)sizeof(r->value) - 1 && vlen < 20 + (i * 37) % 200; vlen++)
        r->value[vlen] = (char)('a' + (i + vlen) % 26);
    r->value[vlen] = '\0';
    r->k = i % 9 == 0 ? (kslice){NULL, 0} : kwire_cstr(r->key);
    r->v = i % 13 == 0 ? (kslice){NULL, 0} : kwire_cstr(r->value);
    r->n_headers = (size_t)(i % 4);
    for (size_t h = 0; h < r->n_headers; h++) {
        snprintf(r->hk[h], sizeof(r->hk[h]), "h%zu", h);
        snprintf(r->hv[h], sizeof(r->hv[h]), "v%d.%zu", i, h);
        r->h[h].key = kwire_cstr(r->hk[h]);
        r->h[h].value = h == 2 ? (kslice){NULL, 0} : kwire_cstr(r->hv[h]);
    }
    r->ts = ts0 + i * 1000;
}

static void produce(conn *c, kuuid id, const char *topic, kcodec codec)
{
    kbuf plain = {0}, compressed = {0};
    kbatch_writer w;
    ck_assert_int_eq(kbatch_writer_begin(&w, &plain, 0, ts0, -1, -1, -1, 0, 0), 0);
    for (int i = 0; i < N_RECORDS; i++) {
        test_record r;
        make_record(&r, i);
        ck_assert_int_eq(kbatch_writer_append(&w, r.ts, r.k, r.v, r.h, r.n_headers), 0);
    }
    kslice batch;
    ck_assert_int_eq(kbatch_writer_finish(&w, codec, -1, &compressed, &batch), 0);

    karena a = KARENA_INIT;
    kp_produce_request req;
    kp_produce_request_init(&req);
    kp_produce_request_topic_produce_data td;
    kp_produce_request_topic_produce_data_init(&td);
    kp_produce_request_partition_produce_data pd;
    kp_produce_request_partition_produce_data_init(&pd);
    pd.index = 0;
    pd.records = batch;
    td.name = kwire_cstr(topic); /* up to v12 */
    td.topic_id = id;            /* v13+ */
    td.partition_data = &pd;
    td.n_partition_data = 1;
    req.acks = -1;
    req.timeout_ms = TIMEOUT_MS;
    req.topic_data = &td;
    req.n_topic_data = 1;
    kp_produce_response resp;
    const kp_produce_response_partition_produce_response *p;
    /* A partition just created can answer NOT_LEADER_OR_FOLLOWER for a
     * moment after Metadata names its leader: retriable errors are retried,
     * as a client does, a bounded number of times. */
    for (int attempt = 0;; attempt++) {
        call(c, KP_PRODUCE_KEY, use_version(c, KP_PRODUCE_KEY), &req, &resp, &a);
        ck_assert_int_eq(resp.n_responses, 1);
        ck_assert_int_eq(resp.responses[0].n_partition_responses, 1);
        p = &resp.responses[0].partition_responses[0];
        if (p->error_code == 0 || !kerr_retriable(p->error_code) || attempt == 100)
            break;
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL); /* retry backoff */
    }
    ck_assert_msg(p->error_code == 0, "Produce (%s): %s", kcodec_name(codec),
                  kfk_err_str(p->error_code));
    ck_assert_int_eq(p->base_offset, 0);
    karena_free(&a);
    kbuf_free(&plain);
    kbuf_free(&compressed);
}

/* Fetches from offset 0 until N_RECORDS are read; checks each. */
static void fetch_and_check(conn *c, kuuid id, const char *topic, kcodec codec)
{
    karena a = KARENA_INIT;
    kp_fetch_request req;
    kp_fetch_request_init(&req);
    kp_fetch_request_fetch_topic ft;
    kp_fetch_request_fetch_topic_init(&ft);
    kp_fetch_request_fetch_partition fp;
    kp_fetch_request_fetch_partition_init(&fp);
    fp.partition = 0;
    fp.fetch_offset = 0;
    fp.partition_max_bytes = 1 << 20;
    ft.topic = kwire_cstr(topic);
    ft.topic_id = id;
    ft.partitions = &fp;
    ft.n_partitions = 1;
    req.max_wait_ms = 500;
    req.min_bytes = 1;
    req.topics = &ft;
    req.n_topics = 1;
    kp_fetch_response resp;
    call(c, KP_FETCH_KEY, use_version(c, KP_FETCH_KEY), &req, &resp, &a);
    ck_assert_int_eq(resp.error_code, 0);
    ck_assert_int_eq(resp.n_responses, 1);
    ck_assert_int_eq(resp.responses[0].n_partitions, 1);
    const kp_fetch_response_partition_data *pd = &resp.responses[0].partitions[0];
    ck_assert_int_eq(pd->error_code, 0);
    ck_assert_int_eq(pd->high_watermark, N_RECORDS);

    kbuf scratch = {0};
    kbatch_read_opts opts = {.start_offset = 0, .check_crcs = true};
    krecords_iter it;
    krecords_iter_init(&it, pd->records.ptr, pd->records.len, &opts, &scratch);
    krecord rec;
    const kbatch *b;
    int i = 0;
    while (krecords_iter_next(&it, &rec, &b)) {
        ck_assert_int_lt(i, N_RECORDS);
        ck_assert_int_eq(b->magic, 2);
        ck_assert_int_eq(b->codec, codec); /* the broker kept the producer's codec */
        test_record want;
        make_record(&want, i);
        ck_assert_int_eq(rec.offset, i);
        ck_assert_int_eq(rec.timestamp, want.ts);
        ck_assert(!rec.control);
        ck_assert_int_eq(rec.key.ptr == NULL, want.k.ptr == NULL);
        ck_assert(kwire_eq(rec.key, want.k));
        ck_assert_int_eq(rec.value.ptr == NULL, want.v.ptr == NULL);
        ck_assert(kwire_eq(rec.value, want.v));
        ck_assert_int_eq(rec.header_count, (int)want.n_headers);
        krecord_header_iter hi = krecord_headers(&rec);
        krecord_header h;
        for (size_t k = 0; krecord_header_next(&hi, &h); k++) {
            ck_assert(kwire_eq(h.key, want.h[k].key));
            ck_assert_int_eq(h.value.ptr == NULL, want.h[k].value.ptr == NULL);
            ck_assert(kwire_eq(h.value, want.h[k].value));
        }
        i++;
    }
    ck_assert_msg(it.err == KFK_OK, "reading the fetched records: %s", kfk_err_str(it.err));
    ck_assert_int_eq(i, N_RECORDS);
    kbuf_free(&scratch);
    karena_free(&a);
}

START_TEST(test_produce_and_fetch_every_codec)
{
    kcodec codec = (kcodec)_i; /* KCODEC_NONE .. KCODEC_ZSTD */
    conn c;
    conn_open(&c, ktest_bootstrap());
    negotiate(&c);
    char topic[128], leader[300] = "";
    ktest_unique_topic(topic, sizeof(topic), kcodec_name(codec));
    kuuid id = create_topic(&c, topic);
    await_leader(&c, topic, id, leader, sizeof(leader));

    conn lc; /* the partition leader, which may be another broker */
    conn_open(&lc, leader);
    negotiate(&lc);
    produce(&lc, id, topic, codec);
    fetch_and_check(&lc, id, topic, codec);
    conn_close(&lc);

    delete_topic(&c, topic, id);
    conn_close(&c);
}
END_TEST

static Suite *proto_broker_suite(void)
{
    Suite *s = suite_create("proto_broker");
    TCase *tc = tcase_create("real broker");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_api_versions_decodes_at_every_version);
    tcase_add_test(tc, test_every_advertised_api_has_a_codec_at_the_broker_max);
    tcase_add_test(tc, test_metadata_lists_the_brokers);
    tcase_add_loop_test(tc, test_produce_and_fetch_every_codec, KCODEC_NONE, KCODEC_ZSTD + 1);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    if (!ktest_need_bootstrap()) return KTEST_SKIP;
    ts0 = (ktime_wall_ms() / 1000 - 3600) * 1000;
    return ktest_run(proto_broker_suite());
}
