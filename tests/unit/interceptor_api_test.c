/* kfk_conf_add_interceptor: what it refuses, that kfk_conf_dup copies
 * the list, that hooks run in the order added with an error ignored, and
 * that a producer's hooks see each record once (against the in-process
 * mock): on_send from kfk_produce, on_acknowledgement from poll with the
 * report dr_cb gets (a record failed at delivery.timeout.ms included). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "kfk.h"
#include "kfk_mock.h"
#include "ktest.h"

typedef struct hooks {
    int id;
    int *trail; /* ids of the hooks that ran, in order */
    int *n_trail;
    int sends, acks, acks_failed, acks_in_dr; /* acks_in_dr: dr_cb ran before this hook */
    int *dr_seen;
} hooks;

static kfk_err on_send(void *opaque, kfk_producer *p, const kfk_record *rec)
{
    (void)p;
    (void)rec;
    hooks *h = opaque;
    h->sends++;
    h->trail[(*h->n_trail)++ % 64] = h->id;
    return h->id == 1 ? KFK_ERR_STATE : KFK_OK; /* the next one runs all the same */
}

static kfk_err on_ack(void *opaque, kfk_producer *p, const kfk_delivery_report *r)
{
    (void)p;
    hooks *h = opaque;
    h->acks++;
    if (r->err) h->acks_failed++;
    if (*h->dr_seen > h->acks - 1) h->acks_in_dr++;
    return KFK_OK;
}

static void on_report(void *opaque, kfk_producer *p, const kfk_delivery_report *r)
{
    (void)p;
    (void)r;
    (*(int *)opaque)++;
}

START_TEST(test_add_refuses_bad_interceptors)
{
    kfk_conf *conf = kfk_conf_new();
    hooks h = {0};
    kfk_interceptor ops = {.on_send = on_send};
    ck_assert_int_eq(kfk_conf_add_interceptor(NULL, &ops, &h), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_conf_add_interceptor(conf, NULL, &h), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_conf_add_interceptor(conf, &(kfk_interceptor){0}, &h),
                     KFK_ERR_INVALID_ARG);
    kfk_interceptor reserved = {.on_send = on_send, .reserved[3] = (void (*)(void))on_send};
    ck_assert_int_eq(kfk_conf_add_interceptor(conf, &reserved, &h), KFK_ERR_INVALID_ARG);
    for (int i = 0; i < KFK_INTERCEPTORS_MAX; i++)
        ck_assert_int_eq(kfk_conf_add_interceptor(conf, &ops, &h), KFK_OK);
    ck_assert_int_eq(kfk_conf_add_interceptor(conf, &ops, &h), KFK_ERR_INVALID_ARG);
    kfk_conf_destroy(conf);
}
END_TEST

START_TEST(test_hooks_run_in_order_once_per_record)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 2, 1), 0);
    int trail[64], n_trail = 0, dr = 0;
    hooks a = {.id = 1, .trail = trail, .n_trail = &n_trail, .dr_seen = &dr};
    hooks b = {.id = 2, .trail = trail, .n_trail = &n_trail, .dr_seen = &dr};
    kfk_conf *conf = kfk_conf_new();
    ck_assert_int_eq(
        kfk_conf_set(conf, "bootstrap.servers", kfk_mock_cluster_bootstrap(mc), NULL, 0), 0);
    kfk_interceptor ops = {.on_send = on_send, .on_acknowledgement = on_ack};
    ck_assert_int_eq(kfk_conf_add_interceptor(conf, &ops, &a), KFK_OK);
    ck_assert_int_eq(kfk_conf_add_interceptor(conf, &ops, &b), KFK_OK);
    kfk_conf_set_dr_cb(conf, on_report, &dr);
    /* The copy has the same interceptors; the original goes away. */
    kfk_conf *dup = kfk_conf_dup(conf);
    kfk_conf_destroy(conf);
    kfk_producer *p = kfk_producer_new(dup, NULL, 0);
    ck_assert(p != NULL);
    enum { N = 500 };
    for (int i = 0; i < N; i++) {
        kfk_record rec = {
            .topic = "t", .partition = KFK_PARTITION_ANY, .value = "x", .value_len = 1};
        ck_assert_int_eq(kfk_produce(p, &rec, NULL), KFK_OK);
    }
    ck_assert_int_eq(kfk_producer_flush(p, 30000), KFK_OK);
    ck_assert_int_eq(a.sends, N);
    ck_assert_int_eq(b.sends, N);
    for (int i = 0; i < 64 && i < n_trail; i++)
        ck_assert_int_eq(trail[i], i % 2 + 1);
    ck_assert_int_eq(a.acks, N);
    ck_assert_int_eq(b.acks, N);
    ck_assert_int_eq(dr, N);
    ck_assert_int_eq(a.acks_in_dr + b.acks_in_dr, 0); /* each hook before dr_cb */
    ck_assert_int_eq(a.acks_failed, 0);
    kfk_producer_destroy(p);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* A broker that never answers: the records fail at delivery.timeout.ms,
 * and on_acknowledgement gets that error (no dr_cb: the interceptor alone
 * makes the reports queue for poll). */
START_TEST(test_failed_records_are_acknowledged_with_their_error)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
    int trail[64], n_trail = 0, dr = 0;
    hooks a = {.id = 2, .trail = trail, .n_trail = &n_trail, .dr_seen = &dr};
    kfk_conf *conf = kfk_conf_new();
    ck_assert_int_eq(
        kfk_conf_set(conf, "bootstrap.servers", kfk_mock_cluster_bootstrap(mc), NULL, 0), 0);
    ck_assert_int_eq(kfk_conf_set(conf, "delivery.timeout.ms", "1500", NULL, 0), 0);
    ck_assert_int_eq(kfk_conf_set(conf, "request.timeout.ms", "1000", NULL, 0), 0);
    ck_assert_int_eq(kfk_conf_set(conf, "linger.ms", "0", NULL, 0), 0);
    kfk_interceptor ops = {.on_send = on_send, .on_acknowledgement = on_ack};
    ck_assert_int_eq(kfk_conf_add_interceptor(conf, &ops, &a), KFK_OK);
    kfk_producer *p = kfk_producer_new(conf, NULL, 0);
    ck_assert(p != NULL);
    kfk_record rec = {.topic = "t", .partition = 0, .value = "x", .value_len = 1};
    ck_assert_int_eq(kfk_produce(p, &rec, NULL), KFK_OK); /* metadata now known */
    ck_assert_int_eq(kfk_producer_flush(p, 30000), KFK_OK);
    ck_assert_int_eq(kfk_mock_broker_set_down(mc, 1, true), KFK_OK);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(kfk_produce(p, &rec, NULL), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 30000), KFK_OK);
    ck_assert_int_eq(a.sends, 11);
    ck_assert_int_eq(a.acks, 11);
    ck_assert_int_eq(a.acks_failed, 10);
    kfk_producer_destroy(p);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

static Suite *interceptor_suite(void)
{
    Suite *s = suite_create("interceptor_api");
    TCase *tc = tcase_create("api");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_add_refuses_bad_interceptors);
    tcase_add_test(tc, test_hooks_run_in_order_once_per_record);
    tcase_add_test(tc, test_failed_records_are_acknowledged_with_their_error);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(interceptor_suite());
}
