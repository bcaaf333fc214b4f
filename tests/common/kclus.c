#include "kclus.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ktest.h"
#include "kwire_client.h"

bool kclus_is_mock(void)
{
    const char *m = getenv("KFK_TEST_MOCK");
    return m && !strcmp(m, "1");
}

int64_t kclus_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void kclus_nap(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int kclus_kafka(const char *cmd, int node)
{
    char line[1024];
    snprintf(line, sizeof(line), "tools/kafka %s %d --dir '%s' >&2", cmd, node,
             getenv("KFK_CHAOS_DIR"));
    return system(line);
}

void kclus_set(kfk_conf *conf, const char *name, const char *value)
{
    char err[256];
    kfk_err e = kfk_conf_set(conf, name, value, err, sizeof(err));
    ck_assert_msg(e == KFK_OK, "%s=%s: %s", name, value, err);
}

kfk_conf *kclus_conf(const char *bootstrap)
{
    if (!bootstrap) bootstrap = ktest_bootstrap();
    ck_assert_ptr_nonnull(bootstrap);
    kfk_conf *conf = kfk_conf_new();
    ck_assert_ptr_nonnull(conf);
    kclus_set(conf, "bootstrap.servers", bootstrap);
    if (getenv("KFK_TEST_DEBUG")) kclus_set(conf, "log.level", "debug");
    return conf;
}

kfk_admin *kclus_admin(const char *bootstrap)
{
    char err[256];
    kfk_admin *a = kfk_admin_new(kclus_conf(bootstrap), err, sizeof(err));
    ck_assert_msg(a != NULL, "%s", err);
    return a;
}

static bool topic_ready(kfk_admin *a, const char *name, int32_t partitions)
{
    kfk_metadata *md;
    const char *names[] = {name};
    if (kfk_admin_list_topics(a, names, 1, &(kfk_admin_options){.timeout_ms = KCLUS_TIMEOUT_MS},
                              &md) != KFK_OK)
        return false;
    bool ready = kfk_metadata_topic_count(md) == 1 && !kfk_metadata_topic_error(md, 0) &&
                 kfk_metadata_partition_count(md, 0) == (size_t)partitions;
    for (size_t p = 0; ready && p < (size_t)partitions; p++)
        ready = kfk_metadata_partition_leader(md, 0, p) >= 0;
    kfk_metadata_destroy(md);
    return ready;
}

bool kclus_partition_leader(const char *bootstrap, const char *topic, int32_t p, int32_t *leader,
                            int32_t *epoch)
{
    kfk_admin *a = kclus_admin(bootstrap);
    kfk_metadata *md;
    const char *names[] = {topic};
    kfk_err e = kfk_admin_list_topics(a, names, 1,
                                      &(kfk_admin_options){.timeout_ms = KCLUS_TIMEOUT_MS}, &md);
    ck_assert_msg(e == KFK_OK, "describe %s: %s", topic, kfk_err_str(e));
    bool ok = kfk_metadata_topic_count(md) == 1 && !kfk_metadata_topic_error(md, 0) &&
              (size_t)p < kfk_metadata_partition_count(md, 0);
    *leader = ok ? kfk_metadata_partition_leader(md, 0, (size_t)p) : -1;
    *epoch = ok ? kfk_metadata_partition_leader_epoch(md, 0, (size_t)p) : -1;
    kfk_metadata_destroy(md);
    kfk_admin_destroy(a);
    return ok;
}

void kclus_create_topic(const char *bootstrap, const char *name, int32_t partitions, int16_t rf)
{
    kclus_create_topic_with(bootstrap, name, partitions, rf, NULL);
}

void kclus_create_topic_with(const char *bootstrap, const char *name, int32_t partitions,
                             int16_t rf, const char *const *configs)
{
    kfk_admin *a = kclus_admin(bootstrap);
    kfk_new_topic *t = kfk_new_topic_new(name, partitions, rf);
    for (size_t i = 0; configs && configs[i]; i += 2)
        ck_assert_int_eq(kfk_new_topic_set_config(t, configs[i], configs[i + 1]), KFK_OK);
    kfk_admin_result *res;
    kfk_err err = kfk_admin_create_topics(
        a, &t, 1, &(kfk_admin_options){.timeout_ms = KCLUS_TIMEOUT_MS}, &res);
    ck_assert_msg(err == KFK_OK, "create %s: %s", name, kfk_err_str(err));
    err = kfk_admin_result_error(res, 0);
    ck_assert_msg(err == KFK_OK, "create %s: %s", name, kfk_err_str(err));
    kfk_admin_result_destroy(res);
    kfk_new_topic_destroy(t);
    int64_t deadline = kclus_now_ms() + KCLUS_TIMEOUT_MS;
    while (!topic_ready(a, name, partitions)) {
        ck_assert_msg(kclus_now_ms() < deadline, "%s has no leaders", name);
        kclus_nap(50);
    }
    kfk_admin_destroy(a);
}

void kclus_set_group_configs(const char *bootstrap, const char *group, const char *const *configs)
{
    kfk_admin *a = kclus_admin(bootstrap);
    kfk_config_resource *r = kfk_config_resource_new(KFK_CONFIG_RESOURCE_GROUP, group);
    ck_assert_ptr_nonnull(r);
    for (size_t i = 0; configs[i]; i += 2)
        ck_assert_int_eq(
            kfk_config_resource_add(r, configs[i], KFK_ALTER_CONFIG_SET, configs[i + 1]), KFK_OK);
    kfk_admin_result *res = NULL;
    kfk_err err = kfk_admin_incremental_alter_configs(
        a, &r, 1, &(kfk_admin_options){.timeout_ms = KCLUS_TIMEOUT_MS}, &res);
    if (!err) err = kfk_admin_result_error(res, 0);
    ck_assert_msg(err == KFK_OK, "group %s configs: %s: %s", group, kfk_err_name(err),
                  res && kfk_admin_result_message(res, 0) ? kfk_admin_result_message(res, 0)
                                                          : kfk_admin_last_error(a));
    kfk_admin_result_destroy(res);
    kfk_config_resource_destroy(r);
    kfk_admin_destroy(a);
}

void kclus_delete_topic(const char *bootstrap, const char *name)
{
    kfk_admin *a = kclus_admin(bootstrap);
    kfk_admin_result *res = NULL;
    kfk_admin_delete_topics(a, &name, 1, &(kfk_admin_options){.timeout_ms = KCLUS_TIMEOUT_MS},
                            &res);
    kfk_admin_result_destroy(res);
    kfk_admin_destroy(a);
}

typedef struct reports {
    int ok, failed;
    kfk_err last;
} reports;

static void on_report(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    reports *rep = opaque;
    if (r->err) {
        rep->failed++;
        rep->last = r->err;
    } else {
        rep->ok++;
    }
}

kfk_err kclus_produce_one(kfk_producer *p, const char *topic, int32_t partitions, int i,
                          void *opaque)
{
    char key[24], value[24];
    snprintf(key, sizeof(key), "k%d", i);
    snprintf(value, sizeof(value), "%d", i);
    kfk_record rec = {.topic = topic,
                      .partition = i % partitions,
                      .key = key,
                      .key_len = strlen(key),
                      .value = value,
                      .value_len = strlen(value)};
    return kfk_produce(p, &rec, opaque);
}

int kclus_chaos_main(Suite *(*make)(void))
{
    if (!ktest_bootstrap() || !getenv("KFK_CHAOS_DIR")) {
        printf("SKIP: needs tests/chaos/run (KFK_TEST_BOOTSTRAP, KFK_CHAOS_DIR)\n");
        return KTEST_SKIP;
    }
    return ktest_run(make());
}

void kclus_produce(const char *bootstrap, const char *topic, int32_t partitions, int first, int n)
{
    kfk_conf *conf = kclus_conf(bootstrap);
    reports rep = {0};
    kfk_conf_set_dr_cb(conf, on_report, &rep);
    kclus_set(conf, "linger.ms", "2");
    char err[256];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    for (int i = first; i < first + n; i++)
        ck_assert_int_eq(kclus_produce_one(p, topic, partitions, i, NULL), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, KCLUS_TIMEOUT_MS), KFK_OK);
    kfk_producer_destroy(p);
    ck_assert_msg(rep.ok == n, "%d of %d delivered, %d failed (%s)", rep.ok, n, rep.failed,
                  kfk_err_str(rep.last));
}

int kclus_record_id(const kfk_message *m)
{
    size_t len;
    const char *v = kfk_message_value(m, &len);
    if (!v || len == 0 || len > 11) return -1;
    int id = 0;
    for (size_t i = 0; i < len; i++) {
        if (v[i] < '0' || v[i] > '9') return -1;
        id = id * 10 + (v[i] - '0');
    }
    return id;
}
