/* A topic whose max.message.bytes is below what kfk's batches grow to
 * while a partition is backed up: the broker refuses those batches with
 * MESSAGE_TOO_LARGE, and kfk splits them and sends the halves, as Java
 * splits a refused batch. Every record is delivered once, in order, and
 * a record that is too large on its own fails with the broker's error
 * while the records around it are delivered. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/kclus.h"
#include "../common/ktest.h"
#include "kfk.h"

#define N_RECORDS 50000
/* Above batch.size (16 KiB), far below the 1 MiB a batch may grow to. */
#define TOPIC_MAX_BYTES 20000

typedef struct report {
    atomic_int times;
    int64_t offset;
    kfk_err err;
} report;

static atomic_int n_splits;

static void on_report(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    report *x = &((report *)opaque)[(intptr_t)r->opaque];
    atomic_fetch_add(&x->times, 1);
    x->offset = r->offset;
    x->err = r->err;
}

static void on_log(void *opaque, void *handle, kfk_log_level level, const char *facility,
                   const char *message)
{
    (void)opaque, (void)handle, (void)level, (void)facility;
    if (strstr(message, "as too large; sending it as two")) atomic_fetch_add(&n_splits, 1);
}

static void create_small_topic(const char *name)
{
    kfk_admin *a = kclus_admin(NULL);
    kfk_new_topic *t = kfk_new_topic_new(name, 1, -1);
    char max[32];
    snprintf(max, sizeof(max), "%d", TOPIC_MAX_BYTES);
    ck_assert_int_eq(kfk_new_topic_set_config(t, "max.message.bytes", max), KFK_OK);
    kfk_admin_result *res = NULL;
    ck_assert_int_eq(
        kfk_admin_create_topics(a, &t, 1, &(kfk_admin_options){.timeout_ms = 30000}, &res), KFK_OK);
    ck_assert_int_eq(kfk_admin_result_error(res, 0), KFK_OK);
    kfk_admin_result_destroy(res);
    kfk_new_topic_destroy(t);
    kfk_admin_destroy(a);
}

/* Produces N_RECORDS of 100 B to topic's one partition as fast as
 * kfk_produce takes them (so that batches back up and grow), with the
 * record `huge` (if >= 0) of TOPIC_MAX_BYTES bytes; flushes. */
static kfk_producer *produce_all(const char *topic, const char *idempotence, int huge,
                                 report *reports)
{
    kfk_conf *conf = kclus_conf(NULL);
    kclus_set(conf, "enable.idempotence", idempotence);
    if (!strcmp(idempotence, "false")) kclus_set(conf, "acks", "1");
    kfk_conf_set_dr_cb(conf, on_report, reports);
    kfk_conf_set_log_cb(conf, on_log, NULL);
    char err[512];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    static char big[TOPIC_MAX_BYTES];
    memset(big, 'x', sizeof(big));
    char value[100];
    for (int i = 0; i < N_RECORDS; i++) {
        snprintf(value, sizeof(value), "%-99d", i);
        kfk_record r = {.topic = topic,
                        .partition = 0,
                        .value = i == huge ? big : value,
                        .value_len = i == huge ? sizeof(big) : sizeof(value)};
        ck_assert_int_eq(kfk_produce(p, &r, (void *)(intptr_t)i), KFK_OK);
    }
    ck_assert_int_eq(kfk_producer_flush(p, 120000), KFK_OK);
    return p;
}

/* _i: 0 idempotent, 1 not (acks=1). */
START_TEST(test_refused_batches_split_and_every_record_arrives_in_order)
{
    const char *idempotence = _i == 0 ? "true" : "false";
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "split");
    create_small_topic(topic);
    report *reports = calloc(N_RECORDS, sizeof(*reports));
    ck_assert_ptr_nonnull(reports);
    int huge = N_RECORDS / 2;
    atomic_store(&n_splits, 0);
    kfk_producer *p = produce_all(topic, idempotence, huge, reports);
    /* The partition was backed up (an idempotent one sends one batch until
     * its first is acknowledged): batches grew past the topic's limit and
     * were split. */
    ck_assert_int_gt(atomic_load(&n_splits), 0);
    /* One producer writes the partition, so the offsets are 0 to
     * N_RECORDS - 2 (no gap: nothing lost), each once (nothing twice);
     * with idempotence also in the records' order. Without it, batches
     * sent behind a refused one may land before its halves, as in Java. */
    bool *seen = calloc(N_RECORDS, sizeof(*seen));
    ck_assert_ptr_nonnull(seen);
    int64_t next = 0;
    for (int i = 0; i < N_RECORDS; i++) {
        ck_assert_msg(atomic_load(&reports[i].times) == 1, "record %d: %d reports", i,
                      atomic_load(&reports[i].times));
        if (i == huge) {
            ck_assert_int_eq(reports[i].err, KFK_ERR_MESSAGE_TOO_LARGE);
            continue;
        }
        ck_assert_msg(reports[i].err == KFK_OK, "record %d: %s", i, kfk_err_name(reports[i].err));
        int64_t off = reports[i].offset;
        ck_assert_msg(off >= 0 && off < N_RECORDS - 1 && !seen[off], "record %d at offset %lld", i,
                      (long long)off);
        seen[off] = true;
        if (_i == 0) ck_assert_int_eq(off, next);
        next++;
    }
    free(seen);
    kfk_producer_destroy(p);
    kclus_delete_topic(NULL, topic);
    free(reports);
}
END_TEST

static Suite *split_suite(void)
{
    Suite *s = suite_create("producer_split");
    TCase *tc = tcase_create("split");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_refused_batches_split_and_every_record_arrives_in_order, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(split_suite());
}
