/* The loop's timers: delayed responses (broker rtt), fetch long-polls,
 * group and transaction timeouts, in the client's timer heap. Loop thread
 * only. */
#include <stddef.h>

#include "base/container_of.h"
#include "mock/mock.h"

static mock_timer *of(ktimer *kt)
{
    return container_of(kt, mock_timer, kt);
}

void mock_timer_stop(mock_cluster *mc, mock_timer *t)
{
    ktimer_heap_disarm(&mc->timers, &t->kt);
}

int mock_timer_start(mock_cluster *mc, mock_timer *t, int64_t deadline_ns)
{
    return ktimer_heap_arm(&mc->timers, &t->kt, deadline_ns);
}

int mock_timer_wait_ms(mock_cluster *mc, int64_t now_ns)
{
    ktimer *first = ktimer_heap_peek(&mc->timers);
    if (!first) return -1;
    int64_t d = first->deadline_ns - now_ns;
    if (d <= 0) return 0;
    int64_t ms = (d + 999999) / 1000000;
    return ms > 60000 ? 60000 : (int)ms;
}

void mock_timer_run(mock_cluster *mc, int64_t now_ns)
{
    ktimer *kt;
    while ((kt = ktimer_heap_pop_due(&mc->timers, now_ns))) {
        mock_timer *t = of(kt);
        t->fn(mc, t);
    }
}
