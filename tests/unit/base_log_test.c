#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/ktest.h"
#include "base/log.h"

/* What the capturing callback last saw. */
typedef struct capture {
    int calls;
    int level;
    void *opaque;
    void *handle;
    char facility[32];
    char message[2 * KLOG_LINE_MAX];
} capture;

static void capture_cb(void *opaque, void *handle, kfk_log_level level, const char *facility,
                       const char *message)
{
    capture *c = opaque;
    c->calls++;
    c->level = level;
    c->opaque = opaque;
    c->handle = handle;
    snprintf(c->facility, sizeof(c->facility), "%s", facility);
    snprintf(c->message, sizeof(c->message), "%s", message);
}

START_TEST(test_message_reaches_callback_formatted)
{
    capture c = {0};
    klogger lg;
    klogger_init(&lg, capture_cb, &c, KFK_LOG_INFO);
    int owner;
    lg.handle = &owner;
    klog(&lg, KFK_LOG_WARNING, "broker", "%s:%d: %s", "localhost", 9092, "connection refused");
    ck_assert_int_eq(c.calls, 1);
    ck_assert_int_eq(c.level, KFK_LOG_WARNING);
    ck_assert_ptr_eq(c.opaque, &c);
    ck_assert_ptr_eq(c.handle, &owner);
    ck_assert_str_eq(c.facility, "broker");
    ck_assert_str_eq(c.message, "localhost:9092: connection refused");
}
END_TEST

START_TEST(test_filtered_message_neither_formats_nor_evaluates_arguments)
{
    capture c = {0};
    klogger lg;
    int evaluated = 0;
    klogger_init(&lg, capture_cb, &c, KFK_LOG_INFO);
    klog(&lg, KFK_LOG_DEBUG, "fetch", "%d", ++evaluated);
    ck_assert_int_eq(c.calls, 0);
    ck_assert_int_eq(evaluated, 0);
}
END_TEST

START_TEST(test_threshold_level_itself_is_delivered)
{
    capture c = {0};
    klogger lg;
    klogger_init(&lg, capture_cb, &c, KFK_LOG_NOTICE);
    klog(&lg, KFK_LOG_NOTICE, "x", "at threshold");
    klog(&lg, KFK_LOG_INFO, "x", "below threshold");
    klog(&lg, KFK_LOG_EMERG, "x", "most severe");
    ck_assert_int_eq(c.calls, 2);
    ck_assert_str_eq(c.message, "most severe");
}
END_TEST

START_TEST(test_long_message_is_cut_to_the_line_limit)
{
    capture c = {0};
    klogger lg;
    char *big = malloc(3 * KLOG_LINE_MAX);
    memset(big, 'x', 3 * KLOG_LINE_MAX - 1);
    big[3 * KLOG_LINE_MAX - 1] = '\0';
    klogger_init(&lg, capture_cb, &c, KFK_LOG_DEBUG);
    klog(&lg, KFK_LOG_INFO, "x", "%s", big);
    ck_assert_uint_eq(strlen(c.message), KLOG_LINE_MAX - 1);
    free(big);
}
END_TEST

START_TEST(test_null_facility_becomes_empty)
{
    capture c = {0};
    klogger lg;
    klogger_init(&lg, capture_cb, &c, KFK_LOG_DEBUG);
    klog(&lg, KFK_LOG_INFO, NULL, "no facility");
    ck_assert_str_eq(c.facility, "");
}
END_TEST

START_TEST(test_level_names_follow_syslog_numbers)
{
    ck_assert_int_eq(KFK_LOG_EMERG, 0);
    ck_assert_int_eq(KFK_LOG_ERR, 3);
    ck_assert_int_eq(KFK_LOG_DEBUG, 7);
    ck_assert_str_eq(klog_level_name(KFK_LOG_EMERG), "EMERG");
    ck_assert_str_eq(klog_level_name(KFK_LOG_WARNING), "WARNING");
    ck_assert_str_eq(klog_level_name(KFK_LOG_DEBUG), "DEBUG");
    ck_assert_str_eq(klog_level_name(8), "LEVEL?");
    ck_assert_str_eq(klog_level_name(-1), "LEVEL?");
}
END_TEST

/* Runs log_some() with stderr sent to a temporary file; returns the text. */
static char *stderr_of(void (*log_some)(void))
{
    char path[] = "/tmp/kfk_log_test_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    log_some();
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    char *text = ktest_read_file(path, NULL);
    unlink(path);
    ck_assert_ptr_nonnull(text);
    return text;
}

/* Checks "YYYY-MM-DDTHH:MM:SS.mmmZ <rest>" with a current year. */
static void assert_stderr_line(const char *line, const char *rest)
{
    int year, mon, day, hour, min, sec, ms, used = 0;
    ck_assert_int_eq(sscanf(line, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ %n", &year, &mon, &day, &hour, &min,
                            &sec, &ms, &used),
                     7);
    ck_assert_int_eq(used, 25);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    ck_assert_int_le(abs(year - (tm.tm_year + 1900)), 1);
    ck_assert_str_eq(line + used, rest);
}

static void log_via_null_logger(void)
{
    klog(NULL, KFK_LOG_INFO, "conf", "filtered: default level is WARNING");
    klog(NULL, KFK_LOG_ERR, "conf", "bad value %s", "x");
}

START_TEST(test_null_logger_writes_warnings_to_stderr_with_timestamp)
{
    char *text = stderr_of(log_via_null_logger);
    assert_stderr_line(text, "ERR kfk [conf] bad value x\n");
    free(text);
}
END_TEST

static void log_via_logger_without_callback(void)
{
    klogger lg;
    klogger_init(&lg, NULL, NULL, KFK_LOG_DEBUG);
    klog(&lg, KFK_LOG_DEBUG, "metadata", "%d topics", 3);
}

START_TEST(test_logger_without_callback_writes_stderr)
{
    char *text = stderr_of(log_via_logger_without_callback);
    assert_stderr_line(text, "DEBUG kfk [metadata] 3 topics\n");
    free(text);
}
END_TEST

static Suite *log_suite(void)
{
    Suite *s = suite_create("base_log");
    TCase *tc = tcase_create("log");
    tcase_add_test(tc, test_message_reaches_callback_formatted);
    tcase_add_test(tc, test_filtered_message_neither_formats_nor_evaluates_arguments);
    tcase_add_test(tc, test_threshold_level_itself_is_delivered);
    tcase_add_test(tc, test_long_message_is_cut_to_the_line_limit);
    tcase_add_test(tc, test_null_facility_becomes_empty);
    tcase_add_test(tc, test_level_names_follow_syslog_numbers);
    tcase_add_test(tc, test_null_logger_writes_warnings_to_stderr_with_timestamp);
    tcase_add_test(tc, test_logger_without_callback_writes_stderr);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(log_suite());
}
