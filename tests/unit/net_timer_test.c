/* The loop's timer heap: ordering, re-arming, disarming from anywhere in
 * the heap, and due-time popping. */
#include <stdlib.h>

#include "../common/ktest.h"
#include "net/timer.h"

static void noop(ktimer *t)
{
    (void)t;
}

/* Checks the heap property and that every timer knows its index. */
static void check_heap(const ktimer_heap *h)
{
    for (size_t i = 0; i < h->n; i++) {
        ck_assert_uint_eq(h->v[i]->heap_pos, i + 1);
        if (i) ck_assert_int_le(h->v[(i - 1) / 2]->deadline_ns, h->v[i]->deadline_ns);
    }
}

START_TEST(test_pop_due_returns_timers_in_deadline_order)
{
    enum { N = 500 };
    ktimer t[N];
    ktimer_heap h = {0};
    uint64_t seed = 42;
    for (int i = 0; i < N; i++) {
        ktimer_init(&t[i], noop);
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        ck_assert_int_eq(ktimer_heap_arm(&h, &t[i], (int64_t)(seed >> 40)), 0);
    }
    check_heap(&h);
    int64_t last = -1;
    int popped = 0;
    ktimer *x;
    while ((x = ktimer_heap_pop_due(&h, INT64_MAX))) {
        ck_assert_int_ge(x->deadline_ns, last);
        ck_assert(!ktimer_armed(x));
        last = x->deadline_ns;
        popped++;
    }
    ck_assert_int_eq(popped, N);
    ktimer_heap_free(&h);
}
END_TEST

START_TEST(test_pop_due_leaves_future_timers)
{
    ktimer a, b;
    ktimer_init(&a, noop);
    ktimer_init(&b, noop);
    ktimer_heap h = {0};
    ktimer_heap_arm(&h, &a, 100);
    ktimer_heap_arm(&h, &b, 200);
    ck_assert_ptr_eq(ktimer_heap_pop_due(&h, 150), &a);
    ck_assert_ptr_null(ktimer_heap_pop_due(&h, 150));
    ck_assert(ktimer_armed(&b));
    ck_assert_ptr_eq(ktimer_heap_pop_due(&h, 200), &b);
    ktimer_heap_free(&h);
}
END_TEST

START_TEST(test_rearm_moves_a_timer_both_ways)
{
    enum { N = 64 };
    ktimer t[N];
    ktimer_heap h = {0};
    for (int i = 0; i < N; i++) {
        ktimer_init(&t[i], noop);
        ktimer_heap_arm(&h, &t[i], 1000 + i * 10);
    }
    ktimer_heap_arm(&h, &t[40], 1); /* earlier than all */
    check_heap(&h);
    ck_assert_ptr_eq(ktimer_heap_peek(&h), &t[40]);
    ktimer_heap_arm(&h, &t[40], 1000000); /* later than all */
    check_heap(&h);
    ck_assert_ptr_eq(ktimer_heap_peek(&h), &t[0]);
    ck_assert_uint_eq(h.n, N);
    ktimer_heap_free(&h);
}
END_TEST

START_TEST(test_disarm_from_the_middle_keeps_the_heap_valid)
{
    enum { N = 200 };
    ktimer t[N];
    ktimer_heap h = {0};
    for (int i = 0; i < N; i++) {
        ktimer_init(&t[i], noop);
        ktimer_heap_arm(&h, &t[i], (i * 7919) % 1009);
    }
    for (int i = 0; i < N; i += 3) {
        ktimer_heap_disarm(&h, &t[i]);
        ck_assert(!ktimer_armed(&t[i]));
        check_heap(&h);
    }
    ktimer_heap_disarm(&h, &t[0]); /* twice: no-op */
    ck_assert_uint_eq(h.n, N - (N + 2) / 3);
    ktimer_heap_free(&h);
}
END_TEST

/* A zeroed timer (one inside a calloc'd struct) is disarmed: disarming it
 * leaves the armed timers alone. */
START_TEST(test_a_zeroed_timer_is_disarmed)
{
    ktimer_heap h = {0};
    ktimer armed, zeroed = {0};
    ktimer_init(&armed, noop);
    ck_assert_int_eq(ktimer_heap_arm(&h, &armed, 100), 0);
    ck_assert(!ktimer_armed(&zeroed));
    ktimer_heap_disarm(&h, &zeroed);
    ck_assert_uint_eq(h.n, 1);
    ck_assert_ptr_eq(ktimer_heap_peek(&h), &armed);
    ck_assert_int_eq(ktimer_heap_arm(&h, &zeroed, 50), 0);
    ck_assert_ptr_eq(ktimer_heap_pop_due(&h, 60), &zeroed);
    ck_assert(!ktimer_armed(&zeroed));
    check_heap(&h);
    ktimer_heap_free(&h);
}
END_TEST

static Suite *timer_suite(void)
{
    Suite *s = suite_create("net_timer");
    TCase *tc = tcase_create("heap");
    tcase_add_test(tc, test_pop_due_returns_timers_in_deadline_order);
    tcase_add_test(tc, test_a_zeroed_timer_is_disarmed);
    tcase_add_test(tc, test_pop_due_leaves_future_timers);
    tcase_add_test(tc, test_rearm_moves_a_timer_both_ways);
    tcase_add_test(tc, test_disarm_from_the_middle_keeps_the_heap_valid);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(timer_suite());
}
