/* The consumer embedded protocol (lib/consumer/protocol.c): every data
 * message round-trips at every version, and bytes Java's ConsumerProtocol
 * wrote (tests/data/consumer/protocol.txt, tools/golden/assignor-vectors)
 * decode to what Java decoded and re-encode to the same bytes, so Java
 * reads what we write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer/assignor.h"
#include "ktest.h"
#include "proto/gen/fill_data_test.inc"

/* --- text forms, as AssignorVectors.java prints them --------------------- */

static void put(char *out, size_t cap, const char *fmt, const void *p, size_t n)
{
    size_t len = strlen(out);
    snprintf(out + len, cap - len, fmt, (int)n, (const char *)p);
}

static void put_bytes(char *out, size_t cap, kslice b)
{
    if (!b.ptr) {
        put(out, cap, "%.*s", "null", 4);
        return;
    }
    if (b.len == 0) put(out, cap, "%.*s", "empty", 5);
    for (size_t i = 0; i < b.len; i++) {
        char h[3];
        snprintf(h, sizeof(h), "%02x", b.ptr[i]);
        put(out, cap, "%.*s", h, 2);
    }
}

/* "t:0,1;u:2", "-" when empty; both topic-partition types have this shape. */
#define PUT_TPS(out, cap, arr, n)                                                                  \
    do {                                                                                           \
        if ((n) <= 0) put(out, cap, "%.*s", "-", 1);                                               \
        for (int32_t i_ = 0; i_ < (n); i_++) {                                                     \
            if (i_) put(out, cap, "%.*s", ";", 1);                                                 \
            put(out, cap, "%.*s:", (arr)[i_].topic.ptr, (arr)[i_].topic.len);                      \
            for (int32_t j_ = 0; j_ < (arr)[i_].n_partitions; j_++) {                              \
                char num_[16];                                                                     \
                snprintf(num_, sizeof(num_), "%s%d", j_ ? "," : "", (arr)[i_].partitions[j_]);     \
                put(out, cap, "%.*s", num_, strlen(num_));                                         \
            }                                                                                      \
        }                                                                                          \
    } while (0)

static void subscription_text(const kp_consumer_protocol_subscription *s, char *out, size_t cap)
{
    out[0] = 0;
    put(out, cap, "%.*s", "topics=", 7);
    if (s->n_topics <= 0) put(out, cap, "%.*s", "-", 1);
    for (int32_t i = 0; i < s->n_topics; i++) {
        if (i) put(out, cap, "%.*s", ",", 1);
        put(out, cap, "%.*s", s->topics[i].ptr, s->topics[i].len);
    }
    put(out, cap, "%.*s", " user_data=", 11);
    put_bytes(out, cap, s->user_data);
    put(out, cap, "%.*s", " owned=", 7);
    PUT_TPS(out, cap, s->owned_partitions, s->n_owned_partitions);
    char tail[64];
    snprintf(tail, sizeof(tail), " generation=%d rack=", s->generation_id);
    put(out, cap, "%.*s", tail, strlen(tail));
    if (s->rack_id.ptr)
        put(out, cap, "%.*s", s->rack_id.ptr, s->rack_id.len);
    else
        put(out, cap, "%.*s", "null", 4);
}

static void assignment_text(const kp_consumer_protocol_assignment *m, char *out, size_t cap)
{
    out[0] = 0;
    put(out, cap, "%.*s", "assigned=", 9);
    PUT_TPS(out, cap, m->assigned_partitions, m->n_assigned_partitions);
    put(out, cap, "%.*s", " user_data=", 11);
    put_bytes(out, cap, m->user_data);
}

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (; h[0] && h[1] && n < cap; h += 2) {
        unsigned v;
        if (sscanf(h, "%2x", &v) != 1) break;
        out[n++] = (uint8_t)v;
    }
    return n;
}

/* --- Java's bytes ------------------------------------------------------- */

static void check_java_line(char *line)
{
    char kind[32], hex[1024], text[1024];
    int version;
    uint8_t raw[512];
    ck_assert_int_eq(sscanf(line, "%31s %d %1023s | %1023[^\n]", kind, &version, hex, text), 4);
    kslice in = {raw, unhex(hex, raw, sizeof(raw))};
    karena a = KARENA_INIT;
    kbuf again = {0};
    char got[1024];
    int16_t wire = -1;
    if (strcmp(kind, "subscription") == 0) {
        kp_consumer_protocol_subscription s;
        ck_assert_int_eq(kc_subscription_decode(&s, in, &a, &wire), 0);
        subscription_text(&s, got, sizeof(got));
        ck_assert_int_eq(kc_subscription_encode(&s, wire, &again), 0);
    } else if (strcmp(kind, "assignment") == 0) {
        kp_consumer_protocol_assignment m;
        ck_assert_int_eq(kc_assignment_decode(&m, in, &a, &wire), 0);
        assignment_text(&m, got, sizeof(got));
        ck_assert_int_eq(kc_assignment_encode(&m, wire, &again), 0);
    } else if (strcmp(kind, "sticky_user_data") == 0) {
        kp_sticky_assignor_user_data d;
        ck_assert_int_eq(kc_sticky_user_data_decode(&d, in, &a), 0);
        ck_assert_int_eq(d.generation, 9);
        ck_assert_int_eq(d.n_previous_assignment, 2);
        ck_assert_int_eq(kc_sticky_user_data_encode(&d, &again), 0);
        wire = (int16_t)version;
        strcpy(got, text);
    } else {
        ck_assert_str_eq(kind, "cooperative_user_data");
        ck_assert_int_eq(kc_cooperative_user_data_decode(in), 9);
        ck_assert_int_eq(kc_cooperative_user_data_encode(9, &again), 0);
        wire = (int16_t)version;
        strcpy(got, text);
    }
    ck_assert_int_eq(wire, version);
    ck_assert_str_eq(got, text);
    ck_assert_uint_eq(again.len, in.len);
    ck_assert(memcmp(again.data, in.ptr, in.len) == 0);
    kbuf_free(&again);
    karena_free(&a);
}

START_TEST(test_java_bytes_decode_as_java_and_reencode_identically)
{
    size_t len;
    char *file = ktest_read_file("tests/data/consumer/protocol.txt", &len);
    ck_assert_ptr_nonnull(file);
    int n = 0;
    for (char *save, *line = strtok_r(file, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        check_java_line(line);
        n++;
    }
    ck_assert_int_ge(n, 20);
    free(file);
}
END_TEST

/* --- round trips -------------------------------------------------------- */

#define ROUNDTRIP(type, v, seed)                                                                   \
    do {                                                                                           \
        karena a_ = KARENA_INIT;                                                                   \
        kfill g_ = {seed, &a_, 0};                                                                 \
        type m_, back_;                                                                            \
        fill_##type(&m_, v, &g_);                                                                  \
        kbuf one_ = {0}, two_ = {0};                                                               \
        ck_assert_int_eq(type##_encode(&m_, v, &one_), 0);                                         \
        ck_assert_uint_eq(one_.len, type##_size(&m_, v));                                          \
        kreader r_ = kreader_of(one_.data, one_.len);                                              \
        ck_assert_int_eq(type##_decode(&back_, v, &r_, &a_), 0);                                   \
        ck_assert_uint_eq(kreader_left(&r_), 0);                                                   \
        ck_assert_int_eq(type##_encode(&back_, v, &two_), 0);                                      \
        ck_assert_uint_eq(one_.len, two_.len);                                                     \
        ck_assert(one_.len == 0 || memcmp(one_.data, two_.data, one_.len) == 0);                   \
        kbuf_free(&one_);                                                                          \
        kbuf_free(&two_);                                                                          \
        karena_free(&a_);                                                                          \
    } while (0)

START_TEST(test_every_data_message_roundtrips_at_every_version)
{
    for (uint64_t seed = 1; seed <= 200; seed++) {
        for (int16_t v = 0; v <= 3; v++) {
            ROUNDTRIP(kp_consumer_protocol_subscription, v, seed);
            ROUNDTRIP(kp_consumer_protocol_assignment, v, seed);
        }
        ROUNDTRIP(kp_sticky_assignor_user_data, 0, seed);
        ROUNDTRIP(kp_sticky_assignor_user_data, 1, seed);
        ROUNDTRIP(kp_cooperative_sticky_assignor_user_data, 0, seed);
    }
}
END_TEST

/* --- framing edges ------------------------------------------------------ */

static kslice one_topic_subscription(kbuf *b, int16_t version)
{
    kslice topic = kwire_cstr("orders");
    kp_consumer_protocol_subscription s;
    kp_consumer_protocol_subscription_init(&s);
    s.topics = &topic;
    s.n_topics = 1;
    ck_assert_int_eq(kc_subscription_encode(&s, version, b), 0);
    return (kslice){b->data, b->len};
}

START_TEST(test_newer_version_reads_as_newest_and_ignores_trailing_bytes)
{
    kbuf b = {0};
    one_topic_subscription(&b, 3);
    b.data[1] = 9; /* a future version 9 that appended a field */
    ck_assert_int_eq(kbuf_append(&b, "\x01\x02\x03", 3), 0);
    karena a = KARENA_INIT;
    kp_consumer_protocol_subscription s;
    int16_t wire;
    ck_assert_int_eq(kc_subscription_decode(&s, (kslice){b.data, b.len}, &a, &wire), 0);
    ck_assert_int_eq(wire, 9);
    ck_assert_int_eq(s.n_topics, 1);
    ck_assert(kwire_eq(s.topics[0], kwire_cstr("orders")));
    kbuf_free(&b);
    karena_free(&a);
}
END_TEST

START_TEST(test_negative_version_or_short_input_is_malformed)
{
    kbuf b = {0};
    one_topic_subscription(&b, 1);
    karena a = KARENA_INIT;
    kp_consumer_protocol_subscription s;
    kp_consumer_protocol_assignment m;
    for (size_t cut = 0; cut < b.len; cut++)
        ck_assert_int_eq(kc_subscription_decode(&s, (kslice){b.data, cut}, &a, NULL),
                         KFK_ERR_MALFORMED);
    b.data[0] = 0xff;
    ck_assert_int_eq(kc_subscription_decode(&s, (kslice){b.data, b.len}, &a, NULL),
                     KFK_ERR_MALFORMED);
    ck_assert_int_eq(kc_assignment_decode(&m, (kslice){b.data, b.len}, &a, NULL),
                     KFK_ERR_MALFORMED);
    ck_assert_int_eq(kc_assignment_decode(&m, (kslice){(const uint8_t *)"\0", 1}, &a, NULL),
                     KFK_ERR_MALFORMED);
    ck_assert_int_eq(kc_subscription_encode(&s, -1, &b), KFK_ERR_UNSUPPORTED_VERSION);
    kbuf_free(&b);
    karena_free(&a);
}
END_TEST

START_TEST(test_empty_assignment_bytes_are_no_partitions)
{
    karena a = KARENA_INIT;
    kp_consumer_protocol_assignment m;
    int16_t wire = 5;
    ck_assert_int_eq(kc_assignment_decode(&m, (kslice){NULL, 0}, &a, &wire), 0);
    ck_assert_int_eq(m.n_assigned_partitions, 0);
    ck_assert_ptr_null(m.user_data.ptr);
    ck_assert_int_eq(wire, -1);
    karena_free(&a);
}
END_TEST

START_TEST(test_sticky_user_data_v0_has_no_generation)
{
    /* v0: one topic "t" with partitions 1 and 2, no generation after it. */
    static const uint8_t v0[] = {0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2};
    karena a = KARENA_INIT;
    kp_sticky_assignor_user_data d;
    ck_assert_int_eq(kc_sticky_user_data_decode(&d, (kslice){v0, sizeof(v0)}, &a), 0);
    ck_assert_int_eq(d.generation, -1);
    ck_assert_int_eq(d.n_previous_assignment, 1);
    ck_assert_int_eq(d.previous_assignment[0].n_partitions, 2);
    ck_assert_int_eq(d.previous_assignment[0].partitions[1], 2);
    ck_assert_int_eq(kc_sticky_user_data_decode(&d, (kslice){v0, 3}, &a), KFK_ERR_MALFORMED);
    ck_assert_int_eq(kc_sticky_user_data_decode(&d, (kslice){NULL, 0}, &a), 0);
    ck_assert_int_eq(d.n_previous_assignment, 0);
    ck_assert_int_eq(kc_cooperative_user_data_decode((kslice){v0, 3}), -1);
    karena_free(&a);
}
END_TEST

/* --- JoinGroup metadata -------------------------------------------------- */

/* With KFK_CONSUMER_DUMP=FILE, what kfk wrote goes to FILE as "KIND HEX |
 * TEXT" lines; `tools/golden/assignor-vectors verify` has Java read them
 * and compare with TEXT. */
static void dump(const char *kind, kbuf *b, const char *text)
{
    const char *path = getenv("KFK_CONSUMER_DUMP");
    FILE *f = path ? fopen(path, "a") : NULL;
    if (!f) return;
    fprintf(f, "%s ", kind);
    for (size_t i = 0; i < b->len; i++)
        fprintf(f, "%02x", b->data[i]);
    fprintf(f, " | %s\n", text);
    fclose(f);
}

static void metadata_of(const char *name, kp_consumer_protocol_subscription *s, karena *a, kbuf *b)
{
    static kslice topics[2];
    static int32_t parts[] = {0, 3};
    static kp_consumer_protocol_subscription_topic_partition owned[1];
    topics[0] = kwire_cstr("clicks");
    topics[1] = kwire_cstr("orders");
    owned[0].topic = kwire_cstr("orders");
    owned[0].partitions = parts;
    owned[0].n_partitions = 2;
    kc_member_state st = {topics, 2, owned, 1, owned, 1, 9, kwire_cstr("rack-a")};
    const kc_assignor *as = kc_assignor_find(name);
    ck_assert_ptr_nonnull(as);
    ck_assert_str_eq(as->name, name);
    ck_assert_int_eq(kc_assignor_metadata(as, &st, b), 0);
    int16_t wire;
    ck_assert_int_eq(kc_subscription_decode(s, (kslice){b->data, b->len}, a, &wire), 0);
    ck_assert_int_eq(wire, KC_SUBSCRIPTION_VERSION);
}

START_TEST(test_metadata_carries_each_assignors_user_data)
{
    const char *names[] = {"range", "roundrobin", "sticky", "cooperative-sticky"};
    for (int i = 0; i < 4; i++) {
        karena a = KARENA_INIT;
        kbuf b = {0};
        kp_consumer_protocol_subscription s;
        metadata_of(names[i], &s, &a, &b);
        char text[512];
        subscription_text(&s, text, sizeof(text));
        ck_assert(strncmp(text, "topics=clicks,orders user_data=", 31) == 0);
        ck_assert_ptr_nonnull(strstr(text, " owned=orders:0,3 generation=9 rack=rack-a"));
        dump("subscription", &b, text);
        if (i == 2) dump("sticky_member", &b, "owned=orders:0,3 generation=9");
        if (i == 3) dump("cooperative_member", &b, "owned=orders:0,3 generation=9");
        if (i < 2) {
            ck_assert_ptr_null(s.user_data.ptr);
        } else if (i == 2) {
            kp_sticky_assignor_user_data d;
            ck_assert_int_eq(kc_sticky_user_data_decode(&d, s.user_data, &a), 0);
            ck_assert_int_eq(d.generation, 9);
            ck_assert_int_eq(d.n_previous_assignment, 1);
        } else {
            ck_assert_int_eq(kc_cooperative_user_data_decode(s.user_data), 9);
            ck_assert_uint_eq(s.user_data.len, 4);
        }
        kbuf_free(&b);
        karena_free(&a);
    }
    /* And an assignment as a kfk leader sends it. */
    karena a = KARENA_INIT;
    kbuf b = {0};
    kp_consumer_protocol_subscription s;
    metadata_of("range", &s, &a, &b);
    kc_member m = {kwire_cstr("m-1"), {NULL, 0}, s};
    kc_topic topics[] = {{kwire_cstr("orders"), 2, NULL}, {kwire_cstr("clicks"), 1, NULL}};
    kp_consumer_protocol_assignment out;
    ck_assert_int_eq(kc_assignor_range.assign(&m, 1, topics, 2, &out, &a), 0);
    kbuf_reset(&b);
    ck_assert_int_eq(kc_assignment_encode(&out, KC_ASSIGNMENT_VERSION, &b), 0);
    char text[512];
    assignment_text(&out, text, sizeof(text));
    ck_assert_str_eq(text, "assigned=clicks:0;orders:0,1 user_data=null");
    dump("assignment", &b, text);
    kbuf_free(&b);
    karena_free(&a);
    ck_assert_ptr_null(kc_assignor_find("nope"));
    ck_assert_ptr_null(kc_assignor_find(NULL));
}
END_TEST

/* The broker compares a rejoining member's metadata with what it stored:
 * one state in two orders must give the same bytes. */
START_TEST(test_metadata_is_canonical_whatever_the_order)
{
    static int32_t o1[] = {3, 0}, o2[] = {7}, o3[] = {5, 3}, all_orders[] = {0, 3, 5};
    kslice t1[] = {kwire_cstr("orders"), kwire_cstr("clicks")};
    kslice t2[] = {kwire_cstr("clicks"), kwire_cstr("orders")};
    kp_consumer_protocol_subscription_topic_partition messy[] = {{kwire_cstr("orders"), o1, 2},
                                                                 {kwire_cstr("clicks"), o2, 1},
                                                                 {kwire_cstr("orders"), o3, 2}};
    kp_consumer_protocol_subscription_topic_partition tidy[] = {
        {kwire_cstr("clicks"), o2, 1}, {kwire_cstr("orders"), all_orders, 3}};
    kc_member_state a = {t1, 2, messy, 3, messy, 3, 4, {NULL, 0}};
    kc_member_state b = {t2, 2, tidy, 2, tidy, 2, 4, {NULL, 0}};
    const char *names[] = {"range", "roundrobin", "sticky", "cooperative-sticky"};
    for (int i = 0; i < 4; i++) {
        kbuf x = {0}, y = {0};
        ck_assert_int_eq(kc_assignor_metadata(kc_assignor_find(names[i]), &a, &x), 0);
        ck_assert_int_eq(kc_assignor_metadata(kc_assignor_find(names[i]), &b, &y), 0);
        ck_assert_uint_eq(x.len, y.len);
        ck_assert(memcmp(x.data, y.data, x.len) == 0);
        kbuf_free(&x);
        kbuf_free(&y);
    }
}
END_TEST

static Suite *consumer_protocol_suite(void)
{
    Suite *s = suite_create("consumer_protocol");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_java_bytes_decode_as_java_and_reencode_identically);
    tcase_add_test(tc, test_every_data_message_roundtrips_at_every_version);
    tcase_add_test(tc, test_newer_version_reads_as_newest_and_ignores_trailing_bytes);
    tcase_add_test(tc, test_negative_version_or_short_input_is_malformed);
    tcase_add_test(tc, test_empty_assignment_bytes_are_no_partitions);
    tcase_add_test(tc, test_sticky_user_data_v0_has_no_generation);
    tcase_add_test(tc, test_metadata_carries_each_assignors_user_data);
    tcase_add_test(tc, test_metadata_is_canonical_whatever_the_order);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(consumer_protocol_suite());
}
