/* Produces the 50 golden records (the rule in tools/golden/golden.py) with
 * librdkafka, to partition 0 of a topic, with explicit timestamps.
 * Built and run by tools/golden/capture-batches:
 *   cc -o rdkafka_producer rdkafka_producer.c $(pkg-config --cflags --libs rdkafka)
 *   rdkafka_producer BOOTSTRAP TOPIC CODEC     (prints librdkafka's version with -v) */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#define N_RECORDS 50
#define TS_BASE 1700000000000LL

static size_t value_of(int i, uint8_t *out)
{
    uint32_t s = (uint32_t)(i + 1) * 2654435761u;
    size_t n = (size_t)(i * 37) % 200 + 1;
    for (size_t j = 0; j < n; j++) {
        s = s * 1664525u + 1013904223u;
        out[j] = j % 3 == 0 ? (uint8_t)(s >> 24) : (uint8_t)('a' + (i + j) % 26);
    }
    return n;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "rdkafka_producer: %s: %s\n", what, why);
    exit(1);
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
    char err[256];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK)
        die(k, err);
}

static void produce_one(rd_kafka_t *rk, const char *topic, int i)
{
    char key[16], hval[3][32];
    uint8_t value[256];
    int klen = snprintf(key, sizeof(key), "k-%d", i);
    size_t vlen = value_of(i, value);
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(3);
    for (int h = 0; h < i % 4; h++) {
        char name[16];
        snprintf(name, sizeof(name), "h%d", h);
        int n = snprintf(hval[h], sizeof(hval[h]), "v%d.%d", i, h);
        bool null_value = (i + h) % 5 == 0;
        rd_kafka_header_add(hdrs, name, -1, null_value ? NULL : hval[h], null_value ? 0 : n);
    }
    const void *v = i == 13 ? NULL : i == 5 ? (const void *)"" : value;
    size_t vl = i == 13 || i == 5 ? 0 : vlen;
    const void *k = i % 7 == 0 ? NULL : key;
    size_t kl = i % 7 == 0 ? 0 : (size_t)klen;
    int64_t ts = TS_BASE + 1000LL * i - (i % 10 == 9 ? 5000 : 0);
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
        RD_KAFKA_V_KEY(k, kl),
        RD_KAFKA_V_VALUE((void *)v, vl), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_TIMESTAMP(ts), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
    if (err)
        die("produce", rd_kafka_err2str(err));
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk, (void)opaque;
    if (m->err)
        die("delivery", rd_kafka_err2str(m->err));
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "-v") == 0) {
        printf("%s\n", rd_kafka_version_str());
        return 0;
    }
    if (argc != 4)
        die("usage", "rdkafka_producer BOOTSTRAP TOPIC CODEC");
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", argv[1]);
    set(conf, "compression.codec", argv[3]);
    set(conf, "linger.ms", "200");
    set(conf, "batch.size", "1000000");
    set(conf, "acks", "all");
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk)
        die("rd_kafka_new", err);
    for (int i = 0; i < N_RECORDS; i++)
        produce_one(rk, argv[2], i);
    if (rd_kafka_flush(rk, 30000))
        die("flush", "timed out");
    rd_kafka_destroy(rk);
    return 0;
}
