#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "base/murmur2.h"

/* Expected values come from the Java client itself: a throwaway Java
 * program called org.apache.kafka.common.utils.Utils.murmur2() and
 * Utils.toPositive(h) % n from kafka-clients 4.3.1 on these keys. The
 * partitions were also cross-checked against librdkafka 2.0.2's
 * rd_kafka_msg_partitioner_murmur2(), which is Java-compatible. Hashes are
 * shown as unsigned (Java prints the same bits as a signed int). */
static const struct {
    const char *key;
    uint32_t hash;
    int32_t partition[3]; /* for 3, 7 and 100 partitions */
} text_keys[] = {
    {"", 0x106e08d9u, {0, 2, 81}},
    {"a", 0xa2d0b27cu, {1, 5, 24}},
    {"ab", 0x12d8262au, {2, 0, 34}},
    {"abc", 0x1c94221bu, {0, 4, 7}},
    {"abcd", 0xb11ab5f4u, {2, 5, 0}},
    {"kafka", 0xd067cf64u, {1, 3, 80}},
    {"hello world", 0x48d0c363u, {1, 2, 59}},
    {"21", 0xc5f2f8ecu, {0, 3, 40}},
    {"abcde", 0x1b897eddu, {1, 4, 41}},
    {"abcdef", 0x6f7fdafcu, {0, 5, 8}},
    {"abcdefg", 0xeb595499u, {1, 4, 73}},
};

/* Keys 0..99 of random_key() below, key i being i bytes long. */
static const uint32_t random_key_hash[100] = {
    0x106e08d9u, 0x7e73e736u, 0xda0c6eaau, 0x758df301u, 0xe5d68363u, 0xdf1b9053u, 0xf1154030u,
    0xcda25a66u, 0x76ed62feu, 0x3c4fcb91u, 0xd443c579u, 0x397c2f6bu, 0x5806e0bfu, 0x9c65eef4u,
    0x85208b1du, 0xa0ba79ddu, 0xa22d1845u, 0x361252c4u, 0xd5eeba3bu, 0x4353f907u, 0x3a7ba5e7u,
    0x9887a121u, 0x929167bfu, 0x90546477u, 0xcffcc6afu, 0x126588f4u, 0x36035898u, 0xeecc6084u,
    0xdf785bcdu, 0x0d0aa272u, 0xcde53011u, 0xe0919b51u, 0xedbf8befu, 0xf4dd6a62u, 0x2fefa4aeu,
    0x04818ecau, 0xb9052111u, 0xdcb07776u, 0x2b10f189u, 0xb24d3ff2u, 0x4b5c0031u, 0xf67f2395u,
    0x7ea87d07u, 0xebcb3132u, 0x49cc6b3cu, 0x1a57baceu, 0x2f79ac97u, 0xd714177au, 0x24f32b76u,
    0x5e886267u, 0xefc9a1ddu, 0x1894a4e6u, 0xb1b4c0d3u, 0xd32bcaddu, 0x25562854u, 0x3dc5f2adu,
    0xb7d91ce8u, 0xae9234deu, 0xd8e8e695u, 0xee104c86u, 0x603e95c9u, 0x04820f17u, 0x39d41ea3u,
    0xb387c984u, 0x3db42e8fu, 0xd28fd8ddu, 0xba33edeau, 0xdd54d067u, 0x0fe5a830u, 0x6c2d1d36u,
    0x3ad3d8d9u, 0x859b6b16u, 0x07ae62a3u, 0x803cb956u, 0xd8cb0ae6u, 0xfc5138b1u, 0xbe3f9651u,
    0xd3dc79d5u, 0x679de03au, 0x381075ecu, 0x48789991u, 0x6a1b7ba9u, 0x53c0becdu, 0x70e35b77u,
    0x47555dffu, 0xcd4a6d73u, 0x7142a4c0u, 0x94c56513u, 0xf52d2ea6u, 0x71cae5e1u, 0x55cf65dfu,
    0x9caa1066u, 0xe70a4b01u, 0x79679bd1u, 0x0f8b35fcu, 0xd0ac0217u, 0x449ab714u, 0xfe37e1a3u,
    0x3b47ac9bu, 0xc937e5d4u,
};
static const int32_t random_key_partition7[100] = {
    2, 4, 3, 0, 4, 3, 4, 2, 6, 6, 0, 5, 4, 5, 3, 3, 2, 5, 6, 4, 5, 5, 1, 3, 3,
    0, 4, 5, 1, 4, 2, 2, 5, 2, 4, 3, 6, 2, 0, 5, 0, 3, 3, 3, 3, 2, 1, 5, 0, 0,
    6, 2, 2, 1, 5, 0, 0, 5, 4, 6, 2, 4, 1, 4, 6, 4, 5, 6, 3, 4, 0, 2, 0, 1, 1,
    1, 1, 2, 6, 1, 5, 2, 4, 6, 0, 6, 1, 4, 4, 6, 6, 2, 4, 1, 1, 0, 1, 4, 1, 2,
};

/* The byte stream the Java program used: a 64-bit LCG (Knuth's MMIX
 * constants), top byte of each step, carried across keys. The keys are
 * full of bytes >= 0x80, where Java's signed bytes would bite a careless
 * port. */
static void random_keys(uint8_t keys[100][100])
{
    uint64_t state = 0x2545F4914F6CDD1Du;
    for (int i = 0; i < 100; i++)
        for (int j = 0; j < i; j++) {
            state = state * 6364136223846793005u + 1442695040888963407u;
            keys[i][j] = (uint8_t)(state >> 56);
        }
}

START_TEST(test_text_keys_hash_as_in_java)
{
    for (size_t i = 0; i < sizeof(text_keys) / sizeof(text_keys[0]); i++)
        ck_assert_msg(kmurmur2(text_keys[i].key, strlen(text_keys[i].key)) == text_keys[i].hash,
                      "key \"%s\"", text_keys[i].key);
}
END_TEST

START_TEST(test_text_keys_land_on_java_partitions)
{
    static const int32_t counts[3] = {3, 7, 100};
    for (size_t i = 0; i < sizeof(text_keys) / sizeof(text_keys[0]); i++) {
        size_t len = strlen(text_keys[i].key);
        for (int c = 0; c < 3; c++)
            ck_assert_int_eq(kmurmur2_partition(text_keys[i].key, len, counts[c]),
                             text_keys[i].partition[c]);
    }
}
END_TEST

START_TEST(test_binary_keys_of_every_tail_length_hash_as_in_java)
{
    static uint8_t keys[100][100];
    random_keys(keys);
    for (int i = 0; i < 100; i++) {
        ck_assert_msg(kmurmur2(keys[i], (size_t)i) == random_key_hash[i], "key %d", i);
        ck_assert_int_eq(kmurmur2_partition(keys[i], (size_t)i, 7), random_key_partition7[i]);
    }
}
END_TEST

/* Exact-size copies, so ASan catches a read past the last byte of the tail. */
START_TEST(test_hash_reads_only_the_key)
{
    static uint8_t keys[100][100];
    random_keys(keys);
    for (int i = 0; i < 100; i++) {
        uint8_t *copy = malloc(i ? (size_t)i : 1);
        memcpy(copy, keys[i], (size_t)i);
        ck_assert_uint_eq(kmurmur2(copy, (size_t)i), random_key_hash[i]);
        free(copy);
    }
}
END_TEST

START_TEST(test_empty_key_hashes_like_any_zero_length_key)
{
    ck_assert_uint_eq(kmurmur2("", 0), 0x106e08d9u);
    ck_assert_uint_eq(kmurmur2(NULL, 0), 0x106e08d9u);
}
END_TEST

START_TEST(test_partition_is_never_negative)
{
    /* Keys whose hash has the top bit set must still map into range. */
    for (size_t i = 0; i < sizeof(text_keys) / sizeof(text_keys[0]); i++) {
        int32_t p = kmurmur2_partition(text_keys[i].key, strlen(text_keys[i].key), 2147483647);
        ck_assert_int_ge(p, 0);
        ck_assert_int_eq(p, (int32_t)((text_keys[i].hash & 0x7fffffff) % 2147483647));
    }
}
END_TEST

static Suite *murmur2_suite(void)
{
    Suite *s = suite_create("base_murmur2");
    TCase *tc = tcase_create("murmur2");
    tcase_add_test(tc, test_text_keys_hash_as_in_java);
    tcase_add_test(tc, test_text_keys_land_on_java_partitions);
    tcase_add_test(tc, test_binary_keys_of_every_tail_length_hash_as_in_java);
    tcase_add_test(tc, test_hash_reads_only_the_key);
    tcase_add_test(tc, test_empty_key_hashes_like_any_zero_length_key);
    tcase_add_test(tc, test_partition_is_never_negative);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(murmur2_suite());
}
