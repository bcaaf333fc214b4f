/* Config resources against a cluster (KFK_TEST_BOOTSTRAP): describing a
 * topic's and a broker's configs, incremental SET / DELETE / APPEND /
 * SUBTRACT read back, validate-only, the legacy full replace, per-resource
 * errors from the broker, and bad arguments. Broker loggers, group
 * configs and listing config resources need a real Kafka (the mock serves
 * topics and brokers); those checks are left out with KFK_TEST_MOCK=1. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/kclus.h"
#include "../common/ktest.h"
#include "kfk.h"
#include "kwire_client.h"

#define TIMEOUT_MS 20000

static const kfk_admin_options opts = {.timeout_ms = TIMEOUT_MS};

static bool against_mock(void)
{
    const char *m = getenv("KFK_TEST_MOCK");
    return m && !strcmp(m, "1");
}

/* Creates topic with retention.ms=3600000. */
static void create_topic(kfk_admin *a, const char *name)
{
    kfk_new_topic *t = kfk_new_topic_new(name, 1, -1);
    ck_assert_int_eq(kfk_new_topic_set_config(t, "retention.ms", "3600000"), KFK_OK);
    kfk_admin_result *res;
    kfk_err err = kfk_admin_create_topics(a, &t, 1, &opts, &res);
    ck_assert_msg(err == KFK_OK, "create %s: %s", name, kfk_admin_last_error(a));
    kfk_admin_result_destroy(res);
    kfk_new_topic_destroy(t);
}

static void delete_topic(kfk_admin *a, const char *name)
{
    kfk_admin_result *res;
    ck_assert_int_eq(kfk_admin_delete_topics(a, &name, 1, &opts, &res), KFK_OK);
    kfk_admin_result_destroy(res);
}

/* Config name of entry i, or NULL. */
static const kfk_config_entry *find(const kfk_admin_result *r, size_t i, const char *name)
{
    for (size_t j = 0; j < kfk_admin_result_config_count(r, i); j++) {
        const kfk_config_entry *e = kfk_admin_result_config(r, i, j);
        if (!strcmp(e->name, name)) return e;
    }
    return NULL;
}

static kfk_err describe_one(kfk_admin *a, kfk_config_resource_type type, const char *name,
                            unsigned flags, kfk_admin_result **res)
{
    kfk_config_resource *r = kfk_config_resource_new(type, name);
    ck_assert_ptr_nonnull(r);
    kfk_admin_options o = opts;
    o.flags = flags;
    kfk_err err = kfk_admin_describe_configs(a, &r, 1, &o, res);
    kfk_config_resource_destroy(r);
    return err;
}

/* Describes the resource until config `name` has value `want` (NULL:
 * until it is not a dynamic override), as brokers learn of a change a
 * moment after the controller made it. The last answer stays in *res. */
static const kfk_config_entry *await_value(kfk_admin *a, kfk_config_resource_type type,
                                           const char *res_name, const char *name, const char *want,
                                           kfk_admin_result **res)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        kfk_err err = describe_one(a, type, res_name, 0, res);
        const kfk_config_entry *e = err ? NULL : find(*res, 0, name);
        if (e && want && e->value && !strcmp(e->value, want)) return e;
        if (e && !want &&
            (e->source == KFK_CONFIG_SOURCE_DEFAULT_CONFIG ||
             e->source == KFK_CONFIG_SOURCE_STATIC_BROKER_CONFIG))
            return e;
        clock_gettime(CLOCK_MONOTONIC, &now);
        ck_assert_msg(now.tv_sec - start.tv_sec < 30, "%s of %s: %s, not %s (%s)", name, res_name,
                      e ? e->value : "absent", want ? want : "the default",
                      err ? kfk_admin_last_error(a) : "");
        kfk_admin_result_destroy(*res);
        *res = NULL;
        struct timespec pause = {0, 50 * 1000 * 1000}; /* polling the broker, not a race */
        nanosleep(&pause, NULL);
    }
}

static kfk_err alter_one(kfk_admin *a, kfk_config_resource_type type, const char *res_name,
                         const char *name, kfk_alter_config_op op, const char *value,
                         unsigned flags)
{
    kfk_config_resource *r = kfk_config_resource_new(type, res_name);
    ck_assert_int_eq(kfk_config_resource_add(r, name, op, value), KFK_OK);
    kfk_admin_options o = opts;
    o.flags = flags;
    kfk_admin_result *res;
    kfk_err err = kfk_admin_incremental_alter_configs(a, &r, 1, &o, &res);
    ck_assert_uint_eq(kfk_admin_result_count(res), 1);
    ck_assert_int_eq(kfk_admin_result_error(res, 0), err);
    kfk_admin_result_destroy(res);
    kfk_config_resource_destroy(r);
    return err;
}

START_TEST(test_describe_topic_sources_synonyms_and_documentation)
{
    kfk_admin *a = kclus_admin(NULL);
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "cfgdesc");
    create_topic(a, topic);
    kfk_admin_result *res;
    const kfk_config_entry *e =
        await_value(a, KFK_CONFIG_RESOURCE_TOPIC, topic, "retention.ms", "3600000", &res);
    ck_assert_str_eq(kfk_admin_result_name(res, 0), topic);
    ck_assert_int_eq(kfk_admin_result_config_resource_type(res, 0), KFK_CONFIG_RESOURCE_TOPIC);
    ck_assert_int_eq(e->source, KFK_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG);
    ck_assert(!e->is_default && !e->sensitive && !e->read_only);
    ck_assert_int_eq(e->type, KFK_CONFIG_TYPE_LONG);
    const kfk_config_entry *d = find(res, 0, "segment.bytes");
    ck_assert_ptr_nonnull(d);
    ck_assert_int_eq(d->source, KFK_CONFIG_SOURCE_DEFAULT_CONFIG);
    ck_assert(d->is_default);
    ck_assert_str_eq(d->value, "1073741824");
    ck_assert_str_eq(kfk_config_source_name(d->source), "DEFAULT_CONFIG");
    /* Without the flags: neither synonyms nor documentation. */
    for (size_t j = 0; j < kfk_admin_result_config_count(res, 0); j++) {
        ck_assert_uint_eq(kfk_admin_result_config(res, 0, j)->synonym_count, 0);
        ck_assert_ptr_null(kfk_admin_result_config(res, 0, j)->documentation);
    }
    ck_assert_ptr_null(kfk_admin_result_config_synonym(res, 0, 0, 0));
    ck_assert_ptr_null(kfk_admin_result_config(res, 0, kfk_admin_result_config_count(res, 0)));
    ck_assert_ptr_null(kfk_admin_result_config(res, 1, 0));
    kfk_admin_result_destroy(res);

    ck_assert_int_eq(describe_one(a, KFK_CONFIG_RESOURCE_TOPIC, topic,
                                  KFK_ADMIN_INCLUDE_SYNONYMS | KFK_ADMIN_INCLUDE_DOCUMENTATION,
                                  &res),
                     KFK_OK);
    e = find(res, 0, "retention.ms");
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_ge(e->synonym_count, 1);
    const kfk_config_synonym *s = kfk_admin_result_config_synonym(res, 0, 0, 0);
    ck_assert_ptr_nonnull(s);
    s = NULL;
    for (size_t j = 0; j < kfk_admin_result_config_count(res, 0); j++)
        if (kfk_admin_result_config(res, 0, j) == e)
            s = kfk_admin_result_config_synonym(res, 0, j, 0);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s->name, "retention.ms"); /* the override first */
    ck_assert_str_eq(s->value, "3600000");
    ck_assert_int_eq(s->source, KFK_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG);
    ck_assert_ptr_nonnull(e->documentation);
    ck_assert_uint_gt(strlen(e->documentation), 0);
    kfk_admin_result_destroy(res);

    /* Named configs only. */
    kfk_config_resource *r = kfk_config_resource_new(KFK_CONFIG_RESOURCE_TOPIC, topic);
    ck_assert_int_eq(kfk_config_resource_add(r, "cleanup.policy", KFK_ALTER_CONFIG_SET, ""),
                     KFK_OK);
    ck_assert_int_eq(kfk_admin_describe_configs(a, &r, 1, &opts, &res), KFK_OK);
    ck_assert_uint_eq(kfk_admin_result_config_count(res, 0), 1);
    ck_assert_str_eq(kfk_admin_result_config(res, 0, 0)->name, "cleanup.policy");
    ck_assert_int_eq(kfk_admin_result_config(res, 0, 0)->type, KFK_CONFIG_TYPE_LIST);
    kfk_admin_result_destroy(res);
    kfk_config_resource_destroy(r);
    delete_topic(a, topic);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_incremental_set_delete_append_subtract)
{
    kfk_admin *a = kclus_admin(NULL);
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "cfgincr");
    create_topic(a, topic);
    kfk_admin_result *res;
    await_value(a, KFK_CONFIG_RESOURCE_TOPIC, topic, "retention.ms", "3600000", &res);
    kfk_admin_result_destroy(res);

    ck_assert_int_eq(alter_one(a, KFK_CONFIG_RESOURCE_TOPIC, topic, "retention.ms",
                               KFK_ALTER_CONFIG_SET, "7200000", 0),
                     KFK_OK);
    await_value(a, KFK_CONFIG_RESOURCE_TOPIC, topic, "retention.ms", "7200000", &res);
    kfk_admin_result_destroy(res);

    ck_assert_int_eq(alter_one(a, KFK_CONFIG_RESOURCE_TOPIC, topic, "retention.ms",
                               KFK_ALTER_CONFIG_DELETE, NULL, 0),
                     KFK_OK);
    const kfk_config_entry *e =
        await_value(a, KFK_CONFIG_RESOURCE_TOPIC, topic, "retention.ms", NULL, &res);
    ck_assert_str_ne(e->value, "7200000");
    kfk_admin_result_destroy(res);

    /* A list config: delete by default; append compact, subtract delete. */
    ck_assert_int_eq(alter_one(a, KFK_CONFIG_RESOURCE_TOPIC, topic, "cleanup.policy",
                               KFK_ALTER_CONFIG_APPEND, "compact", 0),
                     KFK_OK);
    await_value(a, KFK_CONFIG_RESOURCE_TOPIC, topic, "cleanup.policy", "delete,compact", &res);
    ck_assert_int_eq(find(res, 0, "cleanup.policy")->source,
                     KFK_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG);
    kfk_admin_result_destroy(res);
    ck_assert_int_eq(alter_one(a, KFK_CONFIG_RESOURCE_TOPIC, topic, "cleanup.policy",
                               KFK_ALTER_CONFIG_SUBTRACT, "delete", 0),
                     KFK_OK);
    await_value(a, KFK_CONFIG_RESOURCE_TOPIC, topic, "cleanup.policy", "compact", &res);
    kfk_admin_result_destroy(res);
    delete_topic(a, topic);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_validate_only_changes_nothing)
{
    kfk_admin *a = kclus_admin(NULL);
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "cfgvalid");
    create_topic(a, topic);
    kfk_admin_result *res;
    await_value(a, KFK_CONFIG_RESOURCE_TOPIC, topic, "retention.ms", "3600000", &res);
    kfk_admin_result_destroy(res);
    ck_assert_int_eq(alter_one(a, KFK_CONFIG_RESOURCE_TOPIC, topic, "retention.ms",
                               KFK_ALTER_CONFIG_SET, "1234", KFK_ADMIN_VALIDATE_ONLY),
                     KFK_OK);
    /* A later real change is seen, so the dry run's would have been too. */
    ck_assert_int_eq(alter_one(a, KFK_CONFIG_RESOURCE_TOPIC, topic, "segment.ms",
                               KFK_ALTER_CONFIG_SET, "3600000", 0),
                     KFK_OK);
    await_value(a, KFK_CONFIG_RESOURCE_TOPIC, topic, "segment.ms", "3600000", &res);
    ck_assert_str_eq(find(res, 0, "retention.ms")->value, "3600000");
    kfk_admin_result_destroy(res);
    /* An invalid value is still refused in a dry run. */
    ck_assert_int_eq(alter_one(a, KFK_CONFIG_RESOURCE_TOPIC, topic, "retention.ms",
                               KFK_ALTER_CONFIG_SET, "soon", KFK_ADMIN_VALIDATE_ONLY),
                     KFK_ERR_INVALID_CONFIG);
    delete_topic(a, topic);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_per_resource_errors_leave_the_others)
{
    kfk_admin *a = kclus_admin(NULL);
    char topic[128], missing[128];
    ktest_unique_topic(topic, sizeof(topic), "cfgerr");
    ktest_unique_topic(missing, sizeof(missing), "cfgmissing");
    create_topic(a, topic);
    kfk_admin_result *res;
    await_value(a, KFK_CONFIG_RESOURCE_TOPIC, topic, "retention.ms", "3600000", &res);
    kfk_admin_result_destroy(res);

    kfk_config_resource *r[3] = {kfk_config_resource_new(KFK_CONFIG_RESOURCE_TOPIC, missing),
                                 kfk_config_resource_new(KFK_CONFIG_RESOURCE_TOPIC, topic),
                                 kfk_config_resource_new(KFK_CONFIG_RESOURCE_TOPIC, topic)};
    ck_assert_int_eq(kfk_config_resource_add(r[0], "retention.ms", KFK_ALTER_CONFIG_SET, "5000"),
                     KFK_OK);
    ck_assert_int_eq(kfk_config_resource_add(r[1], "segment.ms", KFK_ALTER_CONFIG_SET, "7000000"),
                     KFK_OK);
    kfk_err err = kfk_admin_describe_configs(a, r, 2, &opts, &res);
    ck_assert_int_eq(err, KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_uint_eq(kfk_admin_result_count(res), 2);
    ck_assert_str_eq(kfk_admin_result_name(res, 0), missing);
    ck_assert_int_eq(kfk_admin_result_error(res, 0), KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(kfk_admin_result_error(res, 1), KFK_OK);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), missing));
    kfk_admin_result_destroy(res);

    err = kfk_admin_incremental_alter_configs(a, r, 2, &opts, &res);
    ck_assert_int_eq(err, KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(kfk_admin_result_error(res, 0), KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(kfk_admin_result_error(res, 1), KFK_OK);
    kfk_admin_result_destroy(res);
    await_value(a, KFK_CONFIG_RESOURCE_TOPIC, topic, "segment.ms", "7000000", &res);
    kfk_admin_result_destroy(res);

    /* An invalid value, an unknown name: INVALID_CONFIG with the broker's
     * message, and the resource unchanged. */
    ck_assert_int_eq(kfk_config_resource_add(r[2], "retention.ms", KFK_ALTER_CONFIG_SET, "soon"),
                     KFK_OK);
    err = kfk_admin_incremental_alter_configs(a, &r[2], 1, &opts, &res);
    ck_assert_int_eq(err, KFK_ERR_INVALID_CONFIG);
    const char *msg = kfk_admin_result_message(res, 0);
    ck_assert_msg(msg && strstr(msg, "soon") && strstr(msg, "retention.ms"), "message: %s",
                  msg ? msg : "(none)");
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "retention.ms"));
    kfk_admin_result_destroy(res);
    ck_assert_int_eq(alter_one(a, KFK_CONFIG_RESOURCE_TOPIC, topic, "no.such.config",
                               KFK_ALTER_CONFIG_SET, "1", 0),
                     KFK_ERR_INVALID_CONFIG);
    ck_assert_int_eq(alter_one(a, KFK_CONFIG_RESOURCE_TOPIC, topic, "retention.ms",
                               KFK_ALTER_CONFIG_APPEND, "1", 0),
                     KFK_ERR_INVALID_CONFIG); /* not a list */
    ck_assert_int_eq(describe_one(a, KFK_CONFIG_RESOURCE_TOPIC, topic, 0, &res), KFK_OK);
    ck_assert_str_eq(find(res, 0, "retention.ms")->value, "3600000");
    kfk_admin_result_destroy(res);
    /* CreateTopics checks configs as IncrementalAlterConfigs does. */
    kfk_new_topic *nt = kfk_new_topic_new(missing, 1, -1);
    ck_assert_int_eq(kfk_new_topic_set_config(nt, "no.such.config", "1"), KFK_OK);
    kfk_admin_options vo = opts;
    vo.flags = KFK_ADMIN_VALIDATE_ONLY;
    ck_assert_int_eq(kfk_admin_create_topics(a, &nt, 1, &vo, &res), KFK_ERR_INVALID_CONFIG);
    msg = kfk_admin_result_message(res, 0);
    ck_assert_msg(msg && strstr(msg, "no.such.config"), "message: %s", msg ? msg : "(none)");
    kfk_admin_result_destroy(res);
    kfk_new_topic_destroy(nt);
    for (int i = 0; i < 3; i++)
        kfk_config_resource_destroy(r[i]);
    delete_topic(a, topic);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_legacy_alter_replaces_every_config)
{
    kfk_admin *a = kclus_admin(NULL);
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "cfglegacy");
    create_topic(a, topic);
    kfk_admin_result *res;
    await_value(a, KFK_CONFIG_RESOURCE_TOPIC, topic, "retention.ms", "3600000", &res);
    kfk_admin_result_destroy(res);
    kfk_config_resource *r = kfk_config_resource_new(KFK_CONFIG_RESOURCE_TOPIC, topic);
    ck_assert_int_eq(kfk_config_resource_add(r, "segment.ms", KFK_ALTER_CONFIG_SET, "5400000"),
                     KFK_OK);
    kfk_admin_options vo = opts;
    vo.flags = KFK_ADMIN_VALIDATE_ONLY;
    ck_assert_int_eq(kfk_admin_alter_configs(a, &r, 1, &vo, &res), KFK_OK);
    kfk_admin_result_destroy(res);
    ck_assert_int_eq(kfk_admin_alter_configs(a, &r, 1, &opts, &res), KFK_OK);
    ck_assert_int_eq(kfk_admin_result_error(res, 0), KFK_OK);
    kfk_admin_result_destroy(res);
    /* retention.ms was not named again: back to its default. */
    await_value(a, KFK_CONFIG_RESOURCE_TOPIC, topic, "retention.ms", NULL, &res);
    ck_assert_str_eq(find(res, 0, "segment.ms")->value, "5400000");
    kfk_admin_result_destroy(res);
    /* Other ops than SET make no sense for a full replace. */
    ck_assert_int_eq(kfk_config_resource_add(r, "cleanup.policy", KFK_ALTER_CONFIG_APPEND, "x"),
                     KFK_OK);
    ck_assert_int_eq(kfk_admin_alter_configs(a, &r, 1, &opts, &res), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(res);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "cleanup.policy"));
    kfk_config_resource_destroy(r);
    delete_topic(a, topic);
    kfk_admin_destroy(a);
}
END_TEST

static int32_t first_broker(kfk_admin *a)
{
    kfk_metadata *md;
    ck_assert_int_eq(kfk_admin_describe_cluster(a, &opts, &md), KFK_OK);
    ck_assert_uint_ge(kfk_metadata_broker_count(md), 1);
    int32_t id = kfk_metadata_broker_id(md, 0);
    kfk_metadata_destroy(md);
    return id;
}

START_TEST(test_describe_broker_and_broker_logger)
{
    kfk_admin *a = kclus_admin(NULL);
    char id[16];
    snprintf(id, sizeof(id), "%d", (int)first_broker(a));
    kfk_admin_result *res;
    ck_assert_int_eq(describe_one(a, KFK_CONFIG_RESOURCE_BROKER, id, 0, &res), KFK_OK);
    ck_assert_str_eq(kfk_admin_result_name(res, 0), id);
    ck_assert_int_eq(kfk_admin_result_config_resource_type(res, 0), KFK_CONFIG_RESOURCE_BROKER);
    const kfk_config_entry *e = find(res, 0, "log.retention.hours");
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->value, "168");
    ck_assert_int_eq(e->type, KFK_CONFIG_TYPE_INT);
    e = find(res, 0, "num.partitions");
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->value, "1");
    kfk_admin_result_destroy(res);
    if (!against_mock()) {
        ck_assert_int_eq(describe_one(a, KFK_CONFIG_RESOURCE_BROKER_LOGGER, id, 0, &res), KFK_OK);
        ck_assert_uint_gt(kfk_admin_result_config_count(res, 0), 0);
        ck_assert_ptr_nonnull(find(res, 0, "root"));
        kfk_admin_result_destroy(res);
    }
    kfk_admin_destroy(a);
}
END_TEST

/* Every broker and a topic in one call: each broker resource goes to its
 * own broker (a broker refuses another's id), the topic to any. */
START_TEST(test_every_broker_and_a_topic_in_one_call)
{
    kfk_admin *a = kclus_admin(NULL);
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "cfgroute");
    create_topic(a, topic);
    kfk_admin_result *res;
    await_value(a, KFK_CONFIG_RESOURCE_TOPIC, topic, "retention.ms", "3600000", &res);
    kfk_admin_result_destroy(res);
    kfk_metadata *md;
    ck_assert_int_eq(kfk_admin_describe_cluster(a, &opts, &md), KFK_OK);
    size_t nb = kfk_metadata_broker_count(md);
    kfk_config_resource *r[16];
    char ids[16][16];
    ck_assert_uint_lt(nb, 16);
    for (size_t b = 0; b < nb; b++) {
        snprintf(ids[b], sizeof(ids[b]), "%d", (int)kfk_metadata_broker_id(md, b));
        r[b] = kfk_config_resource_new(KFK_CONFIG_RESOURCE_BROKER, ids[b]);
    }
    kfk_metadata_destroy(md);
    r[nb] = kfk_config_resource_new(KFK_CONFIG_RESOURCE_TOPIC, topic);
    kfk_err err = kfk_admin_describe_configs(a, r, nb + 1, &opts, &res);
    ck_assert_msg(err == KFK_OK, "%s", kfk_admin_last_error(a));
    ck_assert_uint_eq(kfk_admin_result_count(res), nb + 1);
    for (size_t b = 0; b < nb; b++) {
        ck_assert_str_eq(kfk_admin_result_name(res, b), ids[b]);
        ck_assert_ptr_nonnull(find(res, b, "num.partitions"));
    }
    ck_assert_str_eq(find(res, nb, "retention.ms")->value, "3600000");
    kfk_admin_result_destroy(res);

    /* A static broker config cannot change at run time. */
    ck_assert_int_eq(
        kfk_config_resource_add(r[0], "log.retention.hours", KFK_ALTER_CONFIG_SET, "100"), KFK_OK);
    kfk_admin_options vo = opts;
    vo.flags = KFK_ADMIN_VALIDATE_ONLY;
    ck_assert_int_eq(kfk_admin_incremental_alter_configs(a, r, 1, &vo, &res),
                     KFK_ERR_INVALID_REQUEST);
    ck_assert_ptr_nonnull(strstr(kfk_admin_result_message(res, 0), "log.retention.hours"));
    kfk_admin_result_destroy(res);
    for (size_t b = 0; b <= nb; b++)
        kfk_config_resource_destroy(r[b]);
    delete_topic(a, topic);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_list_config_resources)
{
    kfk_admin *a = kclus_admin(NULL);
    char topic[128];
    ktest_unique_topic(topic, sizeof(topic), "cfglist");
    create_topic(a, topic);
    int32_t broker = first_broker(a);
    char id[16];
    snprintf(id, sizeof(id), "%d", (int)broker);
    /* Brokers learn of a new topic a moment after the controller. */
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (bool found = false; !found;) {
        kfk_config_resource_type t = KFK_CONFIG_RESOURCE_TOPIC;
        kfk_admin_result *res;
        ck_assert_int_eq(kfk_admin_list_config_resources(a, &t, 1, &opts, &res), KFK_OK);
        for (size_t i = 0; i < kfk_admin_result_count(res); i++) {
            ck_assert_int_eq(kfk_admin_result_config_resource_type(res, i),
                             KFK_CONFIG_RESOURCE_TOPIC);
            ck_assert_int_eq(kfk_admin_result_error(res, i), KFK_OK);
            found |= !strcmp(kfk_admin_result_name(res, i), topic);
        }
        kfk_admin_result_destroy(res);
        clock_gettime(CLOCK_MONOTONIC, &now);
        ck_assert_msg(found || now.tv_sec - start.tv_sec < 30, "%s never listed", topic);
        struct timespec pause = {0, 50 * 1000 * 1000}; /* polling the broker, not a race */
        if (!found) nanosleep(&pause, NULL);
    }
    /* No filter: the broker's default set, brokers among them. */
    kfk_admin_result *res;
    ck_assert_int_eq(kfk_admin_list_config_resources(a, NULL, 0, NULL, &res), KFK_OK);
    bool found = false;
    for (size_t i = 0; i < kfk_admin_result_count(res); i++)
        found |= kfk_admin_result_config_resource_type(res, i) == KFK_CONFIG_RESOURCE_BROKER &&
                 !strcmp(kfk_admin_result_name(res, i), id);
    ck_assert(found);
    ck_assert_uint_eq(kfk_admin_result_config_count(res, 0), 0);
    kfk_admin_result_destroy(res);
    delete_topic(a, topic);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_group_configs_and_listing)
{
    if (against_mock()) return; /* the mock serves topic and broker configs only */
    kfk_admin *a = kclus_admin(NULL);
    char group[128];
    ktest_unique_topic(group, sizeof(group), "cfggroup");
    kfk_admin_result *res;
    ck_assert_int_eq(describe_one(a, KFK_CONFIG_RESOURCE_GROUP, group, 0, &res), KFK_OK);
    ck_assert_ptr_nonnull(find(res, 0, "consumer.session.timeout.ms"));
    kfk_admin_result_destroy(res);
    ck_assert_int_eq(alter_one(a, KFK_CONFIG_RESOURCE_GROUP, group, "consumer.session.timeout.ms",
                               KFK_ALTER_CONFIG_SET, "12000", 0),
                     KFK_OK);
    const kfk_config_entry *e = await_value(a, KFK_CONFIG_RESOURCE_GROUP, group,
                                            "consumer.session.timeout.ms", "12000", &res);
    ck_assert_int_eq(e->source, KFK_CONFIG_SOURCE_DYNAMIC_GROUP_CONFIG);
    kfk_admin_result_destroy(res);

    /* A group with a config is a config resource. The broker lists it once
     * its own copy of the cluster's metadata has it, which may come after
     * it describes the config. */
    kfk_config_resource_type t = KFK_CONFIG_RESOURCE_GROUP;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (bool found = false; !found;) {
        ck_assert_int_eq(kfk_admin_list_config_resources(a, &t, 1, &opts, &res), KFK_OK);
        for (size_t i = 0; i < kfk_admin_result_count(res); i++) {
            ck_assert_int_eq(kfk_admin_result_config_resource_type(res, i),
                             KFK_CONFIG_RESOURCE_GROUP);
            found |= !strcmp(kfk_admin_result_name(res, i), group);
        }
        kfk_admin_result_destroy(res);
        clock_gettime(CLOCK_MONOTONIC, &now);
        ck_assert_msg(found || now.tv_sec - start.tv_sec < 30, "group %s never listed", group);
        if (!found) nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }

    ck_assert_int_eq(alter_one(a, KFK_CONFIG_RESOURCE_GROUP, group, "consumer.session.timeout.ms",
                               KFK_ALTER_CONFIG_DELETE, NULL, 0),
                     KFK_OK);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_bad_arguments_are_refused)
{
    kfk_admin *a = kclus_admin(NULL);
    kfk_admin_result *res = (kfk_admin_result *)&res;
    kfk_config_resource *r = kfk_config_resource_new(KFK_CONFIG_RESOURCE_TOPIC, "t");
    ck_assert_int_eq(kfk_admin_describe_configs(NULL, &r, 1, &opts, &res), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(res);
    ck_assert_int_eq(kfk_admin_describe_configs(a, &r, 1, &opts, NULL), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "result is NULL"));
    ck_assert_int_eq(kfk_admin_describe_configs(a, NULL, 1, &opts, &res), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "resources is NULL"));
    kfk_config_resource *none[1] = {NULL};
    ck_assert_int_eq(kfk_admin_describe_configs(a, none, 1, &opts, &res), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "resources[0] is NULL"));
    kfk_admin_options vo = {.flags = KFK_ADMIN_VALIDATE_ONLY};
    ck_assert_int_eq(kfk_admin_describe_configs(a, &r, 1, &vo, &res), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "KFK_ADMIN_VALIDATE_ONLY"));
    kfk_admin_options so = {.flags = KFK_ADMIN_INCLUDE_SYNONYMS};
    ck_assert_int_eq(kfk_admin_incremental_alter_configs(a, &r, 1, &so, &res), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "KFK_ADMIN_INCLUDE_SYNONYMS"));
    /* Nothing to change. */
    ck_assert_int_eq(kfk_admin_incremental_alter_configs(a, &r, 1, &opts, &res),
                     KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "no configs to change"));
    /* A broker resource must name a broker. */
    kfk_config_resource *b = kfk_config_resource_new(KFK_CONFIG_RESOURCE_BROKER, "one");
    ck_assert_int_eq(kfk_admin_describe_configs(a, &b, 1, &opts, &res), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "not a broker id"));
    kfk_config_resource_destroy(b);
    /* The builder's own checks. */
    ck_assert_ptr_null(kfk_config_resource_new(KFK_CONFIG_RESOURCE_UNKNOWN, "t"));
    ck_assert_ptr_null(kfk_config_resource_new((kfk_config_resource_type)3, "t"));
    ck_assert_ptr_null(kfk_config_resource_new(KFK_CONFIG_RESOURCE_TOPIC, NULL));
    ck_assert_int_eq(kfk_config_resource_add(r, "x", KFK_ALTER_CONFIG_SET, NULL),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_config_resource_add(r, "x", (kfk_alter_config_op)4, "1"),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_config_resource_add(r, NULL, KFK_ALTER_CONFIG_SET, "1"),
                     KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_config_resource_add(NULL, "x", KFK_ALTER_CONFIG_SET, "1"),
                     KFK_ERR_INVALID_ARG);
    /* Listing: unknown types, NULL arrays, flags. */
    kfk_config_resource_type bad = (kfk_config_resource_type)5;
    ck_assert_int_eq(kfk_admin_list_config_resources(a, &bad, 1, &opts, &res), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(kfk_admin_last_error(a), "types[0]"));
    ck_assert_int_eq(kfk_admin_list_config_resources(a, NULL, 1, &opts, &res), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_list_config_resources(a, NULL, 0, &vo, &res), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(res);
    /* Accessors on another kind of result, or none, answer "none". */
    ck_assert_uint_eq(kfk_admin_result_config_count(NULL, 0), 0);
    ck_assert_ptr_null(kfk_admin_result_config(NULL, 0, 0));
    ck_assert_int_eq(kfk_admin_result_config_resource_type(NULL, 0), KFK_CONFIG_RESOURCE_UNKNOWN);
    char missing[128];
    ktest_unique_topic(missing, sizeof(missing), "cfg-missing");
    const char *names[] = {missing}; /* a topic that is not there: a plain result */
    ck_assert_int_ne(kfk_admin_delete_topics(a, names, 1, &opts, &res), KFK_OK);
    ck_assert_uint_eq(kfk_admin_result_count(res), 1);
    ck_assert_ptr_null(kfk_admin_result_config(res, 0, 0));
    ck_assert_int_eq(kfk_admin_result_config_resource_type(res, 0), KFK_CONFIG_RESOURCE_UNKNOWN);
    kfk_admin_result_destroy(res);
    /* A topic that could not be created has no configs, in a result of topics. */
    kfk_new_topic *nt = kfk_new_topic_new("", 1, -1);
    ck_assert_int_ne(kfk_admin_create_topics(a, &nt, 1, &opts, &res), KFK_OK);
    ck_assert_uint_eq(kfk_admin_result_count(res), 1);
    ck_assert_ptr_null(kfk_admin_result_config(res, 0, 0));
    ck_assert_uint_eq(kfk_admin_result_config_count(res, 0), 0);
    ck_assert_int_eq(kfk_admin_result_config_resource_type(res, 0), KFK_CONFIG_RESOURCE_TOPIC);
    kfk_admin_result_destroy(res);
    kfk_new_topic_destroy(nt);
    ck_assert_str_eq(kfk_config_resource_type_name(KFK_CONFIG_RESOURCE_BROKER_LOGGER),
                     "BROKER_LOGGER");
    ck_assert_str_eq(kfk_config_source_name((kfk_config_source)99), "UNKNOWN");
    ck_assert_str_eq(kfk_config_type_name(KFK_CONFIG_TYPE_PASSWORD), "PASSWORD");
    kfk_config_resource_destroy(r);
    kfk_config_resource_destroy(NULL);
    kfk_admin_destroy(a);
}
END_TEST

static Suite *configs_suite(void)
{
    Suite *s = suite_create("admin_configs");
    TCase *tc = tcase_create("configs");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_describe_topic_sources_synonyms_and_documentation);
    tcase_add_test(tc, test_incremental_set_delete_append_subtract);
    tcase_add_test(tc, test_validate_only_changes_nothing);
    tcase_add_test(tc, test_per_resource_errors_leave_the_others);
    tcase_add_test(tc, test_legacy_alter_replaces_every_config);
    tcase_add_test(tc, test_describe_broker_and_broker_logger);
    tcase_add_test(tc, test_every_broker_and_a_topic_in_one_call);
    tcase_add_test(tc, test_list_config_resources);
    tcase_add_test(tc, test_group_configs_and_listing);
    tcase_add_test(tc, test_bad_arguments_are_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(configs_suite());
}
