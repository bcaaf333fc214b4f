/* "All brokers down": when every broker the client knows is failing and
 * none is ready, the application hears it once through error_cb
 * (KFK_ERR_NO_BROKERS, as librdkafka's ALL_BROKERS_DOWN), and once more
 * only after some broker was reachable again in between. Calls keep
 * retrying as always; this only says why they wait.
 *
 * Counted on the loop threads from connection state changes: a broker
 * counts as down while its connection backs off after a failure; one
 * whose connection is idle (DOWN, never needed) or on its way up does
 * not, so a client that has not tried a broker does not call it down. A
 * broker that refused the client (TLS, authentication) was reported with
 * that reason already; its failure alone does not say "all down". */
#include <stdio.h>

#include "client/client_int.h"

/* Every registered broker's connection backs off or is idle, and at
 * least one backs off. c->lock held. */
static bool every_broker_down(const kclient *c, int *n_down)
{
    *n_down = 0;
    for (int i = 0; i < c->n_brokers; i++) {
        kconn_state s = kconn_state_get(c->brokers[i]->conn);
        if (s != KCONN_BACKOFF && s != KCONN_DOWN) return false;
        *n_down += s == KCONN_BACKOFF;
    }
    return *n_down > 0;
}

static void report_down(kclient *c, kconn *conn, int n_down)
{
    char msg[192];
    snprintf(msg, sizeof(msg), "all brokers are down: %d failing, none reachable (last: %s)",
             n_down, kconn_name(conn));
    klog(&c->log, KFK_LOG_ERR, "client", "%s", msg);
    void *opaque;
    kfk_error_cb *cb = (kfk_error_cb *)kconf_cb(c->conf, KCONF_ERROR_CB, &opaque);
    if (cb) cb(opaque, c->handle, KFK_ERR_NO_BROKERS, msg);
}

void kclient_note_conn_state(kclient *c, kconn *conn, kconn_state from, kconn_state to)
{
    if (kclient_destroying(c)) return;
    if (to == KCONN_READY) {
        if (atomic_fetch_add(&c->conns_ready, 1) == 0 && atomic_exchange(&c->all_down, false))
            klog(&c->log, KFK_LOG_INFO, "client", "%s: a broker is reachable again",
                 kconn_name(conn));
        return;
    }
    if (from == KCONN_READY) atomic_fetch_sub(&c->conns_ready, 1);
    if (to != KCONN_BACKOFF || atomic_load(&c->conns_ready) > 0 || kconn_refused(conn)) return;
    pthread_mutex_lock(&c->lock);
    int n_down;
    bool down = every_broker_down(c, &n_down) && !atomic_exchange(&c->all_down, true);
    pthread_mutex_unlock(&c->lock);
    if (down) report_down(c, conn, n_down);
}
