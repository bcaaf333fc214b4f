/* The loop's timers: delayed responses (broker rtt), fetch long-polls,
 * group and transaction timeouts, in the cluster kloop's timer heap. The
 * loop thread, or a thread holding mc->lock. */
#include <stddef.h>

#include "base/container_of.h"
#include "mock/mock.h"

static void fire(ktimer *kt)
{
    mock_timer *t = container_of(kt, mock_timer, kt);
    t->fn(t->mc, t);
}

void mock_timer_stop(mock_cluster *mc, mock_timer *t)
{
    kloop_timer_disarm(mc->loop, &t->kt);
}

int mock_timer_start(mock_cluster *mc, mock_timer *t, int64_t deadline_ns)
{
    t->mc = mc;
    t->kt.fn = fire;
    return kloop_timer_arm(mc->loop, &t->kt, deadline_ns);
}
