/* The public API as a whole: the version, what the headers may contain,
 * NULL handles, the last-error texts and the rule that nothing kfk hands
 * out is freed with free(). */
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/ktest.h"
#include "kfk.h"
#include "kfk_mock.h"
#include "kplist.h"

START_TEST(test_version_str_is_built_from_the_numbers)
{
    char want[32];
    snprintf(want, sizeof(want), "%d.%d.%d", KFK_VERSION_MAJOR, KFK_VERSION_MINOR,
             KFK_VERSION_PATCH);
    ck_assert_str_eq(KFK_VERSION_STR, want);
    ck_assert_str_eq(kfk_version_str(), want);
    ck_assert_int_eq(kfk_version(),
                     KFK_VERSION_MAJOR * 10000 + KFK_VERSION_MINOR * 100 + KFK_VERSION_PATCH);
}
END_TEST

/* Public headers speak of the API only: no markers for tools, no paths
 * into the sources. */
static void check_header_text(const char *path)
{
    char *text = ktest_read_file(path, NULL);
    ck_assert_msg(text, "cannot read %s; tests run from the repo root", path);
    regex_t re;
    ck_assert_int_eq(regcomp(&re, "@[A-Z_]+@|lib/[a-z_/]+|[a-z_]+\\.c\\b", REG_EXTENDED), 0);
    regmatch_t m;
    int found = regexec(&re, text, 1, &m, 0) == 0;
    ck_assert_msg(!found, "%s: \"%.*s\"", path, found ? (int)(m.rm_eo - m.rm_so) : 0,
                  found ? text + m.rm_so : "");
    regfree(&re);
    free(text);
}

/* Yes/no values are bool in both headers, never an int standing for one. */
static void check_no_int_flags(const char *path)
{
    char *text = ktest_read_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    regex_t re;
    ck_assert_int_eq(regcomp(&re,
                             "\\bint \\*?(enable|down|check|done|may_block|preverify_ok|async)\\b|"
                             "KFK_API int [a-z_]+_is_[a-z_]+\\(|typedef int\\(kfk_ssl_cert",
                             REG_EXTENDED),
                     0);
    regmatch_t m;
    int found = regexec(&re, text, 1, &m, 0) == 0;
    ck_assert_msg(!found, "%s: \"%.*s\"", path, found ? (int)(m.rm_eo - m.rm_so) : 0,
                  found ? text + m.rm_so : "");
    regfree(&re);
    free(text);
}

START_TEST(test_flags_are_bool)
{
    check_no_int_flags("include/kfk.h");
    check_no_int_flags("include/kfk_observe.h");
    check_no_int_flags("include/kfk_admin.h");
    check_no_int_flags("include/kfk_admin_groups.h");
    check_no_int_flags("include/kfk_admin_security.h");
    check_no_int_flags("include/kfk_mock.h");
}
END_TEST

START_TEST(test_public_headers_hold_no_markers_or_source_paths)
{
    check_header_text("include/kfk.h");
    check_header_text("include/kfk_observe.h");
    check_header_text("include/kfk_admin.h");
    check_header_text("include/kfk_admin_groups.h");
    check_header_text("include/kfk_admin_security.h");
    check_header_text("include/kfk_mock.h");
}
END_TEST

/* --- callbacks get their handle ------------------------------------------ */

typedef struct seen {
    pthread_mutex_t lock;
    void *expect;       /* the handle, once its constructor returned */
    int lines_of_it;    /* log lines with handle == expect */
    int lines_other;    /* log lines with another non-NULL handle */
    int reports;        /* delivery reports with producer == expect */
    void *error_handle; /* the handle of the last NO_BROKERS error_cb call */
} seen;

static seen sn = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void on_log(void *opaque, void *handle, kfk_log_level level, const char *facility,
                   const char *message)
{
    (void)opaque, (void)level, (void)facility, (void)message;
    pthread_mutex_lock(&sn.lock);
    if (handle && handle == sn.expect) sn.lines_of_it++;
    /* Before the constructor returned, expect is not known yet. */
    else if (handle && sn.expect)
        sn.lines_other++;
    pthread_mutex_unlock(&sn.lock);
}

static void on_report(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)opaque;
    ck_assert_int_eq(r->err, KFK_OK);
    pthread_mutex_lock(&sn.lock);
    if ((void *)producer == sn.expect) sn.reports++;
    pthread_mutex_unlock(&sn.lock);
}

static void on_error(void *opaque, void *handle, kfk_err err, const char *reason)
{
    (void)opaque, (void)reason;
    pthread_mutex_lock(&sn.lock);
    /* It may come before the constructor returned: compare later. */
    if (err == KFK_ERR_NO_BROKERS) sn.error_handle = handle;
    pthread_mutex_unlock(&sn.lock);
}

static kfk_conf *conf_with(const char *bootstrap)
{
    kfk_conf *conf = kfk_conf_new();
    ck_assert_int_eq(kfk_conf_set(conf, "bootstrap.servers", bootstrap, NULL, 0), KFK_OK);
    ck_assert_int_eq(kfk_conf_set(conf, "log.level", "7", NULL, 0), KFK_OK);
    ck_assert_int_eq(kfk_conf_set(conf, "reconnect.backoff.ms", "20", NULL, 0), KFK_OK);
    kfk_conf_set_log_cb(conf, on_log, NULL);
    kfk_conf_set_dr_cb(conf, on_report, NULL);
    kfk_conf_set_error_cb(conf, on_error, NULL);
    return conf;
}

static int count(const int *n)
{
    pthread_mutex_lock(&sn.lock);
    int v = *n;
    pthread_mutex_unlock(&sn.lock);
    return v;
}

static void *error_handle(void)
{
    pthread_mutex_lock(&sn.lock);
    void *h = sn.error_handle;
    pthread_mutex_unlock(&sn.lock);
    return h;
}

START_TEST(test_log_and_delivery_callbacks_get_the_producer)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), KFK_OK);
    kfk_producer *p = kfk_producer_new(conf_with(kfk_mock_cluster_bootstrap(mc)), NULL, 0);
    ck_assert_ptr_nonnull(p);
    pthread_mutex_lock(&sn.lock);
    sn.expect = p;
    pthread_mutex_unlock(&sn.lock);
    kfk_record r = {.topic = "t", .partition = 0, .value = "v", .value_len = 1};
    ck_assert_int_eq(kfk_produce(p, &r, NULL), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    ck_assert_int_eq(count(&sn.reports), 1);
    kfk_producer_destroy(p); /* logs as it goes */
    ck_assert_int_gt(count(&sn.lines_of_it), 0);
    ck_assert_int_eq(count(&sn.lines_other), 0);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

START_TEST(test_error_callback_gets_the_consumer)
{
    /* Nothing listens on port 1: every broker fails, and error_cb hears. */
    kfk_consumer *c = kfk_consumer_new(conf_with("127.0.0.1:1"), NULL, 0);
    ck_assert_ptr_nonnull(c);
    pthread_mutex_lock(&sn.lock);
    sn.expect = c;
    pthread_mutex_unlock(&sn.lock);
    ck_assert_int_eq(kpl_assign_one(c, "t", 0, KFK_OFFSET_BEGINNING), KFK_OK);
    for (int i = 0; i < 100 && !error_handle(); i++)
        kfk_message_release(kfk_consumer_poll(c, 100));
    ck_assert_ptr_eq(error_handle(), c);
    kfk_consumer_destroy(c);
}
END_TEST

/* --- last-error texts ------------------------------------------------------ */

static kfk_producer *producer_for(kfk_mock_cluster *mc, const char *const *props)
{
    kfk_conf *conf = kfk_conf_new();
    ck_assert_int_eq(
        kfk_conf_set(conf, "bootstrap.servers", kfk_mock_cluster_bootstrap(mc), NULL, 0), KFK_OK);
    for (; props && *props; props += 2)
        ck_assert_int_eq(kfk_conf_set(conf, props[0], props[1], NULL, 0), KFK_OK);
    char err[256];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    return p;
}

#define ASSERT_TEXT(got, want)                                                                     \
    ck_assert_msg(strstr((got), (want)) != NULL, "last error \"%s\" lacks \"%s\"", (got), (want))

START_TEST(test_produce_failures_say_why)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), KFK_OK);
    kfk_producer *p = producer_for(
        mc, (const char *const[]){"max.request.size", "1000", "max.block.ms", "200", NULL});
    ck_assert_str_eq(kfk_producer_last_error(p), "");
    kfk_record r = {.topic = NULL, .partition = 0, .value = "v", .value_len = 1};
    ck_assert_int_eq(kfk_produce(p, &r, NULL), KFK_ERR_INVALID_ARG);
    ck_assert_str_eq(kfk_producer_last_error(p), "kfk_produce: rec->topic is NULL");
    ck_assert_int_eq(kfk_produce(p, NULL, NULL), KFK_ERR_INVALID_ARG);
    ck_assert_str_eq(kfk_producer_last_error(p), "kfk_produce: rec is NULL");
    r.topic = "t";
    r.partition = -7;
    ck_assert_int_eq(kfk_produce(p, &r, NULL), KFK_ERR_INVALID_ARG);
    ASSERT_TEXT(kfk_producer_last_error(p), "rec->partition -7 is neither");
    r.partition = 0;
    kfk_header h = {.name = NULL};
    r.headers = &h;
    r.n_headers = 1;
    ck_assert_int_eq(kfk_produce(p, &r, NULL), KFK_ERR_INVALID_ARG);
    ck_assert_str_eq(kfk_producer_last_error(p), "kfk_produce: rec->headers[0].name is NULL");
    r.headers = NULL;
    r.n_headers = 0;
    /* A success leaves the text. */
    ck_assert_int_eq(kfk_produce(p, &r, NULL), KFK_OK);
    ck_assert_str_eq(kfk_producer_last_error(p), "kfk_produce: rec->headers[0].name is NULL");
    r.partition = 5;
    ck_assert_int_eq(kfk_produce(p, &r, NULL), KFK_ERR_TIMED_OUT);
    ASSERT_TEXT(kfk_producer_last_error(p),
                "partition 5 of topic \"t\" is out of range: the topic has 1 partitions");
    r.partition = 0;
    static char big[2000];
    r.value = big;
    r.value_len = sizeof(big);
    ck_assert_int_eq(kfk_produce(p, &r, NULL), KFK_ERR_TOO_LARGE);
    ASSERT_TEXT(kfk_producer_last_error(p), "bytes in its batch, over max.request.size (1000)");
    r.topic = "no such/topic";
    ck_assert_int_eq(kfk_produce(p, &r, NULL), KFK_ERR_INVALID_TOPIC_EXCEPTION);
    ASSERT_TEXT(kfk_producer_last_error(p), "\"no such/topic\" is not a valid topic name");
    r.topic = "missing";
    r.value_len = 1;
    ck_assert_int_eq(kfk_produce(p, &r, NULL), KFK_ERR_TIMED_OUT);
    ASSERT_TEXT(kfk_producer_last_error(p),
                "topic \"missing\" not present in metadata after 200 ms");
    kfk_producer_destroy(p);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

START_TEST(test_queue_full_names_the_limit)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), KFK_OK);
    kfk_producer *p =
        producer_for(mc, (const char *const[]){"buffer.memory", "4096", "batch.size", "1024",
                                               "linger.ms", "60000", "max.block.ms", "0", NULL});
    kfk_record r = {.topic = "t", .partition = 0, .value = "v", .value_len = 1};
    /* The topic's metadata first (max.block.ms 0 does not wait for it). */
    for (int i = 0; i < 200 && kfk_produce(p, &r, NULL) != KFK_OK; i++)
        usleep(10000);
    /* Nothing is acknowledged from now on, so nothing frees memory. */
    ck_assert_int_eq(kfk_mock_broker_set_rtt(mc, 1, 60000), KFK_OK);
    static char chunk[300];
    r.value = chunk;
    r.value_len = sizeof(chunk);
    kfk_err err = KFK_OK;
    for (int i = 0; i < 100 && err == KFK_OK; i++)
        err = kfk_produce(p, &r, NULL);
    ck_assert_int_eq(err, KFK_ERR_QUEUE_FULL);
    ck_assert_str_eq(kfk_producer_last_error(p),
                     "kfk_produce: buffer.memory (4096 bytes) stayed full for max.block.ms (0 ms)");
    kfk_producer_destroy(p);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

START_TEST(test_transactional_calls_name_the_state)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), KFK_OK);
    kfk_producer *p = producer_for(mc, NULL);
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_ERR_STATE);
    ck_assert_str_eq(kfk_producer_last_error(p),
                     "kfk_producer_begin_transaction: the producer has no transactional.id");
    kfk_producer_destroy(p);
    p = producer_for(mc, (const char *const[]){"transactional.id", "x", NULL});
    ck_assert_int_eq(kfk_producer_begin_transaction(p), KFK_ERR_STATE);
    ck_assert_str_eq(kfk_producer_last_error(p),
                     "kfk_producer_begin_transaction: not valid while the transaction is not "
                     "initialized (kfk_producer_init_transactions)");
    kfk_record r = {.topic = "t", .partition = 0, .value = "v", .value_len = 1};
    ck_assert_int_eq(kfk_produce(p, &r, NULL), KFK_ERR_STATE);
    ASSERT_TEXT(kfk_producer_last_error(p), "kfk_produce: a transactional producer produces "
                                            "inside a transaction only");
    kfk_producer_destroy(p);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

static void *fail_on_other_thread(void *arg)
{
    kfk_producer *p = arg;
    ck_assert_int_eq(kfk_produce(p, NULL, NULL), KFK_ERR_INVALID_ARG);
    return NULL;
}

START_TEST(test_last_error_is_per_thread_and_per_handle)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    kfk_producer *a = producer_for(mc, NULL), *b = producer_for(mc, NULL);
    kfk_record r = {.topic = NULL};
    ck_assert_int_eq(kfk_produce(a, &r, NULL), KFK_ERR_INVALID_ARG);
    ck_assert_str_eq(kfk_producer_last_error(b), "");
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, fail_on_other_thread, a), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_str_eq(kfk_producer_last_error(a), "kfk_produce: rec->topic is NULL");
    ck_assert_int_eq(kfk_produce(b, NULL, NULL), KFK_ERR_INVALID_ARG);
    ck_assert_str_eq(kfk_producer_last_error(b), "kfk_produce: rec is NULL");
    ck_assert_str_eq(kfk_producer_last_error(a), "kfk_produce: rec->topic is NULL");
    kfk_producer_destroy(a);
    kfk_producer_destroy(b);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

static kfk_consumer *consumer_for(kfk_mock_cluster *mc, const char *group)
{
    kfk_conf *conf = kfk_conf_new();
    ck_assert_int_eq(
        kfk_conf_set(conf, "bootstrap.servers", kfk_mock_cluster_bootstrap(mc), NULL, 0), KFK_OK);
    if (group) ck_assert_int_eq(kfk_conf_set(conf, "group.id", group, NULL, 0), KFK_OK);
    kfk_consumer *c = kfk_consumer_new(conf, NULL, 0);
    ck_assert_ptr_nonnull(c);
    return c;
}

START_TEST(test_consumer_failures_say_why)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    kfk_consumer *c = consumer_for(mc, NULL);
    kfk_partition_list *twice = kpl_one("t", 1, KFK_OFFSET_INVALID);
    kpl_add(twice, "t", 1, KFK_OFFSET_INVALID);
    ck_assert_int_eq(kfk_consumer_assign(c, twice), KFK_ERR_INVALID_ARG);
    ck_assert_str_eq(kfk_consumer_last_error(c),
                     "kfk_consumer_assign: the list names a partition twice");
    ck_assert_int_eq(kfk_consumer_seek(c, "t", 3, 10), KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_str_eq(kfk_consumer_last_error(c),
                     "kfk_consumer_seek: partition 3 of topic \"t\" is not assigned");
    ck_assert_int_eq(kfk_consumer_seek(c, "t", 3, -5), KFK_ERR_INVALID_ARG);
    ASSERT_TEXT(kfk_consumer_last_error(c), "kfk_consumer_seek: offset -5 is neither");
    const char *names[] = {"t"};
    ck_assert_int_eq(kfk_consumer_subscribe(c, names, 1), KFK_ERR_CONFIG);
    ck_assert_str_eq(kfk_consumer_last_error(c),
                     "kfk_consumer_subscribe: the consumer has no group.id");
    ck_assert_int_eq(kfk_consumer_commit(c, NULL, 0), KFK_ERR_CONFIG);
    ck_assert_str_eq(kfk_consumer_last_error(c),
                     "kfk_consumer_commit: the consumer has no group.id");
    ck_assert_int_eq(kfk_consumer_committed(c, twice, 1000), KFK_ERR_CONFIG);
    ck_assert_str_eq(kfk_consumer_last_error(c),
                     "kfk_consumer_committed: the consumer has no group.id");
    ck_assert_int_eq(kfk_consumer_subscription(c, NULL, NULL), KFK_ERR_INVALID_ARG);
    ck_assert_str_eq(kfk_consumer_last_error(c), "kfk_consumer_subscription: out is NULL");
    kfk_partition_list_destroy(twice);
    kfk_consumer_destroy(c);

    c = consumer_for(mc, "g");
    const char *empty[] = {""};
    ck_assert_int_eq(kfk_consumer_subscribe(c, empty, 1), KFK_ERR_INVALID_ARG);
    ck_assert_str_eq(kfk_consumer_last_error(c), "kfk_consumer_subscribe: topics[0] is empty");
    kfk_partition_list *neg = kpl_one("t", 0, -3);
    ck_assert_int_eq(kfk_consumer_commit(c, neg, 0), KFK_ERR_INVALID_ARG);
    ck_assert_str_eq(kfk_consumer_last_error(c),
                     "kfk_consumer_commit: entry 0 (partition 0 of \"t\") has offset -3");
    ck_assert_int_eq(kfk_consumer_assign(c, neg), KFK_OK);
    kfk_partition_list_destroy(neg);
    ck_assert_int_eq(kfk_consumer_subscribe(c, names, 1), KFK_ERR_STATE);
    ck_assert_str_eq(kfk_consumer_last_error(c),
                     "kfk_consumer_subscribe: partitions are assigned by hand; unassign first");
    kfk_consumer_destroy(c);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

START_TEST(test_admin_failures_say_why)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), KFK_OK);
    kfk_conf *conf = kfk_conf_new();
    kfk_conf_set(conf, "bootstrap.servers", kfk_mock_cluster_bootstrap(mc), NULL, 0);
    kfk_admin *a = kfk_admin_new(conf, NULL, 0);
    ck_assert_ptr_nonnull(a);
    kfk_new_topic *nt = kfk_new_topic_new("t", 1, 1);
    ck_assert_int_eq(
        kfk_admin_create_topics(a, &nt, 1, &(kfk_admin_options){.timeout_ms = 5000}, NULL),
        KFK_ERR_INVALID_ARG);
    ck_assert_str_eq(kfk_admin_last_error(a), "kfk_admin_create_topics: result is NULL");
    kfk_admin_result *res;
    ck_assert_int_eq(
        kfk_admin_create_topics(a, &nt, 1, &(kfk_admin_options){.timeout_ms = 5000}, &res),
        KFK_ERR_TOPIC_ALREADY_EXISTS);
    ASSERT_TEXT(kfk_admin_last_error(a),
                "kfk_admin_create_topics: topic \"t\": TOPIC_ALREADY_EXISTS");
    kfk_admin_result_destroy(res);
    const char *names[] = {"t", NULL};
    ck_assert_int_eq(
        kfk_admin_delete_topics(a, names, 2, &(kfk_admin_options){.timeout_ms = 5000}, &res),
        KFK_ERR_INVALID_ARG);
    ck_assert_str_eq(kfk_admin_last_error(a), "kfk_admin_delete_topics: names[1] is NULL");
    kfk_new_topic_destroy(nt);
    kfk_admin_destroy(a);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* --- structs that can grow ---------------------------------------------- */

static kfk_err mech_start(void *o, const char *host, void **state, char *e, size_t el)
{
    (void)o, (void)host, (void)state, (void)e, (void)el;
    return KFK_OK;
}
static kfk_err mech_step(void *o, void *st, const unsigned char *in, size_t il,
                         const unsigned char **out, size_t *ol, bool *done, char *e, size_t el)
{
    (void)o, (void)st, (void)in, (void)il, (void)out, (void)ol, (void)e, (void)el;
    *done = true;
    return KFK_OK;
}
static void mech_end(void *o, void *st)
{
    (void)o, (void)st;
}

/* Reserved words are refused unless zero, so that a later version can
 * give them a meaning without old programs' garbage taking it. */
START_TEST(test_reserved_words_must_be_zero)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), KFK_OK);
    kfk_producer *p = producer_for(mc, NULL);
    int junk;
    kfk_record r = {.topic = "t", .partition = 0, .value = "v", .value_len = 1};
    r.reserved[3] = &junk;
    ck_assert_int_eq(kfk_produce(p, &r, NULL), KFK_ERR_INVALID_ARG);
    ASSERT_TEXT(kfk_producer_last_error(p), "kfk_produce: rec->reserved is not all zero");
    r.reserved[3] = NULL;
    ck_assert_int_eq(kfk_produce(p, &r, NULL), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    kfk_producer_destroy(p);

    kfk_sasl_mechanism mech = {
        .name = "X-TEST", .start = mech_start, .step = mech_step, .end = mech_end};
    mech.reserved[0] = &junk;
    kfk_conf *conf = kfk_conf_new();
    ck_assert_int_eq(kfk_conf_set_sasl_mechanism(conf, &mech), KFK_ERR_INVALID_ARG);
    mech.reserved[0] = NULL;
    ck_assert_int_eq(kfk_conf_set_sasl_mechanism(conf, &mech), KFK_OK);
    kfk_conf_destroy(conf);

    kfk_mock_security sec = {.protocol = "PLAINTEXT"};
    sec.reserved[1] = &junk;
    ck_assert_ptr_null(kfk_mock_cluster_new_secure(1, &sec));
    sec.reserved[1] = NULL;
    kfk_mock_cluster *plain = kfk_mock_cluster_new_secure(1, &sec);
    ck_assert_ptr_nonnull(plain);
    kfk_mock_cluster_destroy(plain);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* A header name goes out with a length (or NUL-terminated) and comes
 * back with one, so any name read from a message can be produced again. */
START_TEST(test_header_names_carry_their_length_both_ways)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(1);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), KFK_OK);
    kfk_producer *p = producer_for(mc, NULL);
    kfk_header h[3] = {{.name = "a\0b", .value = "1", .value_len = 1, .name_len = 3},
                       {.name = "plain", .value = NULL},
                       {.name = "", .value = "e", .value_len = 1}};
    kfk_record r = {.topic = "t", .partition = 0, .headers = h, .n_headers = 3};
    ck_assert_int_eq(kfk_produce(p, &r, NULL), KFK_OK);
    ck_assert_int_eq(kfk_producer_flush(p, 10000), KFK_OK);
    kfk_producer_destroy(p);

    kfk_consumer *c = consumer_for(mc, NULL);
    ck_assert_int_eq(kpl_assign_one(c, "t", 0, KFK_OFFSET_BEGINNING), KFK_OK);
    kfk_message *m = NULL;
    for (int i = 0; i < 100 && !m; i++)
        if ((m = kfk_consumer_poll(c, 100)) && kfk_message_error(m)) {
            kfk_message_release(m);
            m = NULL;
        }
    ck_assert_ptr_nonnull(m);
    ck_assert_uint_eq(kfk_message_header_count(m), 3);
    const char *name;
    size_t name_len, value_len;
    const void *value;
    ck_assert_int_eq(kfk_message_header(m, 0, &name, &name_len, &value, &value_len), KFK_OK);
    ck_assert_uint_eq(name_len, 3);
    ck_assert(memcmp(name, "a\0b", 3) == 0);
    ck_assert_uint_eq(value_len, 1);
    ck_assert_int_eq(kfk_message_header(m, 1, &name, &name_len, &value, &value_len), KFK_OK);
    ck_assert_uint_eq(name_len, 5);
    ck_assert(memcmp(name, "plain", 5) == 0);
    ck_assert_ptr_null(value);
    ck_assert_int_eq(kfk_message_header(m, 2, &name, &name_len, &value, &value_len), KFK_OK);
    ck_assert_uint_eq(name_len, 0);
    ck_assert_str_eq(name, ""); /* given back with name_len 0, it reads as empty */
    kfk_message_release(m);
    kfk_consumer_destroy(c);
    kfk_mock_cluster_destroy(mc);
}
END_TEST

/* Every call given a NULL handle fails cleanly: a sample of each kind. */
START_TEST(test_null_handles_are_refused_not_dereferenced)
{
    kfk_record r = {.topic = "t"};
    ck_assert_int_eq(kfk_produce(NULL, &r, NULL), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_producer_flush(NULL, 0), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_producer_poll(NULL, 0), -1);
    ck_assert_int_eq(kfk_producer_purge(NULL), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_producer_wakeup_fd(NULL), -1);
    ck_assert_int_eq(kfk_producer_outstanding(NULL), -1);
    ck_assert_int_eq(kfk_producer_begin_transaction(NULL), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_producer_close(NULL, 0), KFK_ERR_INVALID_ARG);
    ck_assert_str_eq(kfk_producer_last_error(NULL), "");
    kfk_producer_destroy(NULL);
    ck_assert_ptr_null(kfk_consumer_poll(NULL, 0));
    ck_assert_int_eq(kfk_consumer_assign(NULL, NULL), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_seek(NULL, "t", 0, 0), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_seek(NULL, "t", 0, -5), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_seek_to_timestamp(NULL, "t", 0, -1), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_pause(NULL, "t", 0), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_subscribe(NULL, NULL, 0), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_subscribe_pattern(NULL, "x"), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_commit(NULL, NULL, 0), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_consumer_close(NULL, 0), KFK_ERR_INVALID_ARG);
    ck_assert_uint_eq(kfk_consumer_member_id(NULL, NULL, 0), 0);
    char id[4] = "x";
    ck_assert_uint_eq(kfk_consumer_member_id(NULL, id, sizeof(id)), 0);
    ck_assert_str_eq(id, "");
    ck_assert_uint_eq(kfk_consumer_poll_batch(NULL, NULL, 0, 0), 0);
    ck_assert_int_eq(kfk_consumer_wakeup_fd(NULL), -1);
    ck_assert_ptr_null(kfk_consumer_get_group_metadata(NULL));
    ck_assert_str_eq(kfk_consumer_last_error(NULL), "");
    kfk_consumer_report_eof(NULL, true);
    kfk_consumer_destroy(NULL);
    kfk_admin_result *res = (kfk_admin_result *)&res;
    ck_assert_int_eq(
        kfk_admin_create_topics(NULL, NULL, 0, &(kfk_admin_options){.timeout_ms = 0}, &res),
        KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(res);
    kfk_metadata *md = (kfk_metadata *)&md;
    ck_assert_int_eq(
        kfk_admin_list_topics(NULL, NULL, 0, &(kfk_admin_options){.timeout_ms = 0}, &md),
        KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(md);
    ck_assert_str_eq(kfk_admin_last_error(NULL), "");
    kfk_admin_destroy(NULL);
    ck_assert_uint_eq(kfk_metadata_topic_count(NULL), 0);
    size_t len = 9;
    ck_assert_int_eq(kfk_message_error(NULL), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(kfk_message_topic(NULL));
    ck_assert_int_eq(kfk_message_partition(NULL), -1);
    ck_assert_int_eq(kfk_message_offset(NULL), -1);
    ck_assert_int_eq(kfk_message_leader_epoch(NULL), -1);
    ck_assert_ptr_null(kfk_message_value(NULL, &len));
    ck_assert_uint_eq(len, 0);
    ck_assert_uint_eq(kfk_message_header_count(NULL), 0);
    kfk_message_release(NULL);
    ck_assert(!kfk_metadata_topic_is_internal(NULL, 0));
    ck_assert_int_eq(kfk_conf_set(NULL, "acks", "1", NULL, 0), KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(kfk_conf_dup(NULL));
}
END_TEST

static Suite *api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("api");
    tcase_add_test(tc, test_version_str_is_built_from_the_numbers);
    tcase_add_test(tc, test_public_headers_hold_no_markers_or_source_paths);
    tcase_add_test(tc, test_flags_are_bool);
    tcase_add_test(tc, test_log_and_delivery_callbacks_get_the_producer);
    tcase_add_test(tc, test_error_callback_gets_the_consumer);
    tcase_add_test(tc, test_produce_failures_say_why);
    tcase_add_test(tc, test_queue_full_names_the_limit);
    tcase_add_test(tc, test_transactional_calls_name_the_state);
    tcase_add_test(tc, test_last_error_is_per_thread_and_per_handle);
    tcase_add_test(tc, test_consumer_failures_say_why);
    tcase_add_test(tc, test_admin_failures_say_why);
    tcase_add_test(tc, test_null_handles_are_refused_not_dereferenced);
    tcase_add_test(tc, test_reserved_words_must_be_zero);
    tcase_add_test(tc, test_header_names_carry_their_length_both_ways);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(api_suite());
}
