/* The public API as a whole: the version, what the headers may contain,
 * NULL handles, the last-error texts and the rule that nothing kfk hands
 * out is freed with free(). */
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/ktest.h"
#include "kfk.h"
#include "kfk_mock.h"

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

START_TEST(test_public_headers_hold_no_markers_or_source_paths)
{
    check_header_text("include/kfk.h");
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
    kfk_topic_partition tp = {.topic = "t", .partition = 0, .offset = KFK_OFFSET_BEGINNING};
    kfk_topic_partition_list l = {1, &tp};
    ck_assert_int_eq(kfk_consumer_assign(c, &l), KFK_OK);
    for (int i = 0; i < 100 && !error_handle(); i++)
        kfk_message_release(kfk_consumer_poll(c, 100));
    ck_assert_ptr_eq(error_handle(), c);
    kfk_consumer_destroy(c);
}
END_TEST

static Suite *api_suite(void)
{
    Suite *s = suite_create("api");
    TCase *tc = tcase_create("api");
    tcase_add_test(tc, test_version_str_is_built_from_the_numbers);
    tcase_add_test(tc, test_public_headers_hold_no_markers_or_source_paths);
    tcase_add_test(tc, test_log_and_delivery_callbacks_get_the_producer);
    tcase_add_test(tc, test_error_callback_gets_the_consumer);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(api_suite());
}
