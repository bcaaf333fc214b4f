/* Exponential backoff with jitter: the Java client's bounds. */
#include "../common/ktest.h"
#include "net/backoff.h"

START_TEST(test_waits_double_within_twenty_percent_jitter)
{
    kbackoff b = {50, 1000, KBACKOFF_JITTER};
    for (uint32_t n = 0; n < 10; n++) {
        double term = 50.0 * (double)(1u << n);
        if (term > 1000) term = 1000;
        for (int i = 0; i < 1000; i++) {
            int64_t ms = kbackoff_ms(&b, n);
            ck_assert_int_ge(ms, (int64_t)(term * 0.8) - 1);
            ck_assert_int_le(ms, (int64_t)(term * 1.2));
            ck_assert_int_le(ms, 1000);
        }
    }
}
END_TEST

START_TEST(test_jitter_actually_spreads_the_waits)
{
    kbackoff b = {1000, 100000, KBACKOFF_JITTER};
    int64_t lo = INT64_MAX, hi = 0;
    for (int i = 0; i < 2000; i++) {
        int64_t ms = kbackoff_ms(&b, 0);
        lo = ms < lo ? ms : lo;
        hi = ms > hi ? ms : hi;
    }
    ck_assert_int_lt(lo, 850);
    ck_assert_int_gt(hi, 1150);
}
END_TEST

START_TEST(test_huge_attempt_counts_stay_at_the_max)
{
    kbackoff b = {100, 1000, KBACKOFF_JITTER};
    for (int i = 0; i < 100; i++) {
        int64_t ms = kbackoff_ms(&b, 4000000000u);
        ck_assert_int_ge(ms, 800);
        ck_assert_int_le(ms, 1000);
    }
}
END_TEST

START_TEST(test_max_not_above_initial_means_constant)
{
    kbackoff b = {300, 100, KBACKOFF_JITTER};
    ck_assert_int_eq(kbackoff_ms(&b, 0), 300);
    ck_assert_int_eq(kbackoff_ms(&b, 7), 300);
    kbackoff zero = {0, 1000, KBACKOFF_JITTER};
    ck_assert_int_eq(kbackoff_ms(&zero, 3), 0);
}
END_TEST

START_TEST(test_no_jitter_is_exact)
{
    kbackoff b = {10, 10000, 0};
    ck_assert_int_eq(kbackoff_ms(&b, 0), 10);
    ck_assert_int_eq(kbackoff_ms(&b, 3), 80);
    ck_assert_int_eq(kbackoff_ms(&b, 20), 10000);
}
END_TEST

START_TEST(test_random_unit_is_in_range)
{
    for (int i = 0; i < 100000; i++) {
        double d = krand_unit();
        ck_assert(d >= 0 && d < 1);
    }
}
END_TEST

static Suite *backoff_suite(void)
{
    Suite *s = suite_create("net_backoff");
    TCase *tc = tcase_create("backoff");
    tcase_add_test(tc, test_waits_double_within_twenty_percent_jitter);
    tcase_add_test(tc, test_jitter_actually_spreads_the_waits);
    tcase_add_test(tc, test_huge_attempt_counts_stay_at_the_max);
    tcase_add_test(tc, test_max_not_above_initial_means_constant);
    tcase_add_test(tc, test_no_jitter_is_exact);
    tcase_add_test(tc, test_random_unit_is_in_range);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(backoff_suite());
}
