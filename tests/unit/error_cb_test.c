/* error_cb for conditions that are not fatal: a topic the client may not
 * use is told once each time it becomes so, not on every refusal. */
#include "mt_conn.h"

#include <stdatomic.h>

#include "kfk.h"

static kfk_mock_cluster *mc;
static atomic_int heard;
static atomic_int last_err;

static void on_error(void *opaque, void *handle, kfk_err err, const char *reason)
{
    (void)opaque, (void)handle;
    if (err != KFK_ERR_TOPIC_AUTHORIZATION_FAILED) return;
    ck_assert_ptr_nonnull(strstr(reason, "\"t\""));
    atomic_store(&last_err, err);
    atomic_fetch_add(&heard, 1);
}

static void setup(void)
{
    mc = kfk_mock_cluster_new(1);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), KFK_OK);
    atomic_store(&heard, 0);
}

static void teardown(void)
{
    kfk_mock_cluster_destroy(mc);
    mc = NULL;
}

static kfk_err produce(kfk_producer *p)
{
    kfk_record rec = {.topic = "t", .partition = KFK_PARTITION_ANY, .value = "v", .value_len = 1};
    return kfk_produce(p, &rec, NULL);
}

START_TEST(test_an_unauthorized_topic_is_told_once_per_transition)
{
    kfk_conf *conf = kfk_conf_new();
    char err[256];
    ck_assert_int_eq(
        kfk_conf_set(conf, "bootstrap.servers", kfk_mock_cluster_bootstrap(mc), err, sizeof(err)),
        KFK_OK);
    ck_assert_int_eq(kfk_conf_set(conf, "log.level", "crit", err, sizeof(err)), KFK_OK);
    kfk_conf_set_error_cb(conf, on_error, NULL);
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_METADATA, 3, KFK_ERR_TOPIC_AUTHORIZATION_FAILED),
        KFK_OK);
    /* Each produce refused while the answers say so; one error_cb. */
    int refused = 0;
    int64_t until = ktime_mono_ms() + 20000;
    kfk_err e;
    while ((e = produce(p)) != KFK_OK && ktime_mono_ms() < until) {
        ck_assert_msg(e == KFK_ERR_TOPIC_AUTHORIZATION_FAILED, "produce: %s", kfk_err_str(e));
        refused++;
    }
    ck_assert_int_eq(e, KFK_OK);
    ck_assert_int_ge(refused, 1);
    ck_assert_int_eq(atomic_load(&heard), 1);
    ck_assert_int_eq(atomic_load(&last_err), KFK_ERR_TOPIC_AUTHORIZATION_FAILED);
    ck_assert_int_eq(kfk_producer_flush(p, 20000), KFK_OK);
    kfk_producer_destroy(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("error_cb");
    TCase *tc = tcase_create("nonfatal");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_an_unauthorized_topic_is_told_once_per_transition);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(suite());
}
