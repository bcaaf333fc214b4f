#include <time.h>

#include "../common/ktest.h"
#include "base/time.h"

START_TEST(test_monotonic_clock_never_goes_back)
{
    int64_t prev = ktime_mono_ns();
    for (int i = 0; i < 100000; i++) {
        int64_t now = ktime_mono_ns();
        ck_assert_int_ge(now, prev);
        prev = now;
    }
}
END_TEST

START_TEST(test_monotonic_ms_is_ns_scaled)
{
    int64_t before = ktime_mono_ns() / KTIME_NS_PER_MS;
    int64_t ms = ktime_mono_ms();
    int64_t after = ktime_mono_ns() / KTIME_NS_PER_MS;
    ck_assert_int_ge(ms, before);
    ck_assert_int_le(ms, after);
}
END_TEST

START_TEST(test_monotonic_clock_measures_a_sleep)
{
    struct timespec ts = {0, 20 * 1000 * 1000};
    int64_t start = ktime_mono_ns();
    nanosleep(&ts, NULL);
    int64_t elapsed_ms = (ktime_mono_ns() - start) / KTIME_NS_PER_MS;
    ck_assert_int_ge(elapsed_ms, 20);
    ck_assert_int_lt(elapsed_ms, 5000);
}
END_TEST

START_TEST(test_wall_clock_counts_ms_since_the_epoch)
{
    int64_t before_s = (int64_t)time(NULL);
    int64_t ms = ktime_wall_ms();
    int64_t after_s = (int64_t)time(NULL);
    ck_assert_int_ge(ms, before_s * 1000);
    /* time() may read a coarser clock that lags a tick behind. */
    ck_assert_int_lt(ms, (after_s + 2) * 1000);
    ck_assert_int_gt(ms, INT64_C(1577836800000)); /* 2020-01-01 */
}
END_TEST

static Suite *time_suite(void)
{
    Suite *s = suite_create("base_time");
    TCase *tc = tcase_create("time");
    tcase_add_test(tc, test_monotonic_clock_never_goes_back);
    tcase_add_test(tc, test_monotonic_ms_is_ns_scaled);
    tcase_add_test(tc, test_monotonic_clock_measures_a_sleep);
    tcase_add_test(tc, test_wall_clock_counts_ms_since_the_epoch);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(time_suite());
}
