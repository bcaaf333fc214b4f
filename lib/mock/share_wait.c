/* ShareFetches that wait: a ShareFetch that acquired nothing (and carried
 * no acknowledgements) is parked on its broker until one of its session's
 * partitions there has an available record or max_wait_ms passes, as the
 * broker's delayed share fetch does. Appends to a partition, and
 * acknowledgements or closed sessions that give records back, mark the
 * brokers for a re-check (mock_share_waits_poke); a lock that times out is
 * noticed when the wait ends. Loop thread, mc->lock held. */
#include <stdlib.h>
#include <string.h>

#include "base/container_of.h"
#include "base/time.h"
#include "mock/share.h"

struct mock_share_wait {
    mock_share_wait *next; /* in the broker's list */
    mock_broker *broker;
    mock_conn *conn;
    mock_timer timer; /* max_wait_ms */
    int16_t version;
    int32_t correlation_id;
    int32_t max_records;
    int32_t session_id;
    char *group_id, *member_id;
};

static void wait_free(mock_share_wait *w)
{
    mock_timer_stop(w->broker->mc, &w->timer);
    free(w->group_id);
    free(w->member_id);
    free(w);
}

static void wait_unlink(mock_share_wait *w)
{
    for (mock_share_wait **pp = &w->broker->share_waits; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            return;
        }
}

/* Answers a parked ShareFetch and lets its connection go on. */
static void wait_finish(mock_share_wait *w)
{
    mock_conn *c = w->conn;
    mock_req req = {.mc = w->broker->mc,
                    .broker = w->broker,
                    .conn = c,
                    .key = KP_SHARE_FETCH_KEY,
                    .version = w->version,
                    .correlation_id = w->correlation_id,
                    .arena = mock_conn_arena(c),
                    .recv_ns = ktime_mono_ns()};
    int rc = mock_share_fetch_answer(&req, kwire_cstr(w->group_id), kwire_cstr(w->member_id),
                                     w->session_id, w->max_records);
    wait_free(w);
    if (rc == MOCK_CLOSE)
        mock_conn_close(c);
    else
        mock_conn_unpark(c);
}

static void on_wait_timer(mock_cluster *mc, mock_timer *t)
{
    (void)mc;
    mock_share_wait *w = container_of(t, mock_share_wait, timer);
    wait_unlink(w);
    wait_finish(w);
}

int mock_share_park(mock_req *req, kslice group_id, kslice member_id, int32_t session_id,
                    int32_t max_records, int32_t max_wait_ms)
{
    mock_share_wait *w = calloc(1, sizeof(*w));
    if (!w) return -1;
    w->broker = req->broker;
    w->conn = req->conn;
    w->version = req->version;
    w->correlation_id = req->correlation_id;
    w->max_records = max_records;
    w->session_id = session_id;
    w->timer.fn = on_wait_timer;
    w->group_id = mock_strdup_slice(group_id);
    w->member_id = mock_strdup_slice(member_id);
    if (!w->group_id || !w->member_id ||
        mock_timer_start(req->mc, &w->timer, req->recv_ns + (int64_t)max_wait_ms * 1000000)) {
        wait_free(w);
        return -1;
    }
    w->next = req->broker->share_waits;
    req->broker->share_waits = w;
    return MOCK_PARKED;
}

void mock_share_wake_broker(mock_broker *b)
{
    mock_share_wait *list = b->share_waits;
    b->share_waits = NULL; /* answering may park new fetches here */
    while (list) {
        mock_share_wait *w = list;
        list = w->next;
        if (mock_share_fetch_ready(b, kwire_cstr(w->group_id), kwire_cstr(w->member_id),
                                   w->session_id)) {
            wait_finish(w);
        } else {
            w->next = b->share_waits;
            b->share_waits = w;
        }
    }
}

void mock_share_waits_poke(mock_cluster *mc)
{
    bool any = false;
    for (int i = 0; i < mc->n_brokers; i++)
        if (mc->brokers[i].share_waits) any = mc->brokers[i].fetch_wake = true;
    if (any) mock_loop_poke(mc);
}

void mock_share_wait_cancel_conn(mock_conn *c)
{
    mock_broker *b = mock_conn_broker(c);
    for (mock_share_wait *w = b->share_waits; w; w = w->next) {
        if (w->conn != c) continue;
        wait_unlink(w);
        wait_free(w);
        return;
    }
}
