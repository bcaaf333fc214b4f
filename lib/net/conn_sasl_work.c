/* SASL calls that may block (a mechanism with may_block set: GSSAPI asks
 * the KDC for a service ticket) run on the client's worker, not on the
 * I/O thread, which serves other brokers meanwhile. The connection waits
 * in its SASL state (or READY and re-authenticating) with its usual
 * timeouts; a connection that closes meanwhile cancels the call, and the
 * mechanism's state is then ended by whichever thread holds it last. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/container_of.h"
#include "base/time.h"
#include "net/conn_int.h"

typedef struct sasl_call {
    kwork work;
    kconn *conn;
    const kfk_sasl_mechanism *mech;
    bool start;
    /* The mechanism's state: the call's while it is out, then the
     * connection's again. */
    void *state;
    bool started;
    int64_t lifetime_ms;
    unsigned char *in;
    size_t in_len;
    /* The outcome. */
    kfk_err err;
    char why[256];
    unsigned char *out; /* kfk's copy of the mechanism's message */
    size_t out_len;
    bool done;
    char host[];
} sasl_call;

static void wipe_free(unsigned char *p, size_t n)
{
    if (!p) return;
    explicit_bzero(p, n);
    free(p);
}

static void call_free(sasl_call *sc)
{
    wipe_free(sc->in, sc->in_len);
    wipe_free(sc->out, sc->out_len);
    free(sc);
}

/* Worker thread: the calls that may block. */
static void call_run(kwork *w)
{
    sasl_call *sc = container_of(w, sasl_call, work);
    const kfk_sasl_mechanism *m = sc->mech;
    if (sc->start) {
        sc->err = m->start(m->opaque, sc->host, &sc->state, sc->why, sizeof(sc->why));
        if (sc->err) return;
        sc->started = true;
    }
    sc->err = kconn_sasl_call_step(m, sc->state, sc->in, sc->in_len, &sc->out, &sc->out_len,
                                   &sc->done, sc->why, sizeof(sc->why));
}

/* Cancelled: nobody will read the outcome. */
static void call_discard(kwork *w)
{
    sasl_call *sc = container_of(w, sasl_call, work);
    if (sc->started && sc->mech->end) sc->mech->end(sc->mech->opaque, sc->state);
    call_free(sc);
}

/* Loop thread: the connection takes the state back and goes on. */
static void call_done(kwork *w)
{
    sasl_call *sc = container_of(w, sasl_call, work);
    kconn *c = sc->conn;
    c->sasl_work = NULL;
    c->sasl_work_deadline_ns = 0;
    c->sasl_state = sc->state;
    c->sasl_started = sc->started;
    unsigned char *out = sc->out;
    sc->out = NULL; /* kconn_sasl_stepped owns it now */
    kconn_sasl_stepped(c, sc->err, sc->why, out, sc->out_len, sc->done, sc->lifetime_ms);
    call_free(sc);
    kconn_arm_timer(c);
    kconn_maybe_free(c);
}

int kconn_sasl_offload(kconn *c, bool start, const uint8_t *in, size_t in_len, int64_t lifetime_ms)
{
    size_t hl = strlen(c->host);
    sasl_call *sc = calloc(1, sizeof(*sc) + hl + 1);
    if (!sc || (in_len && !(sc->in = malloc(in_len)))) {
        free(sc);
        kconn_fail(c, KFK_ERR_NO_MEMORY, "out of memory for a SASL step");
        return -1;
    }
    memcpy(sc->host, c->host, hl + 1);
    if (in_len) memcpy(sc->in, in, in_len);
    sc->in_len = in_len;
    sc->conn = c;
    sc->mech = c->cfg->sasl;
    sc->start = start;
    sc->lifetime_ms = lifetime_ms;
    /* The state travels with the call until it is done. */
    sc->state = c->sasl_state;
    sc->started = c->sasl_started;
    sc->work.run = call_run;
    sc->work.done = call_done;
    sc->work.discard = call_discard;
    if (kworker_submit(c->cfg->worker, &sc->work, c->loop)) {
        call_free(sc);
        kconn_fail(c, KFK_ERR_NO_MEMORY, "cannot start the SASL worker thread");
        return -1;
    }
    c->sasl_state = NULL;
    c->sasl_started = false;
    c->sasl_work = &sc->work;
    /* Re-authentication has no setup deadline of its own; the same
     * bound as a new connection's setup applies to the mechanism. */
    c->sasl_work_deadline_ns = kloop_now(c->loop) + c->cfg->setup_timeout_ms * KTIME_NS_PER_MS;
    kconn_arm_timer(c);
    return 0;
}

void kconn_sasl_offload_cancel(kconn *c)
{
    if (!c->sasl_work) return;
    kworker_cancel(c->cfg->worker, c->sasl_work);
    c->sasl_work = NULL;
    c->sasl_work_deadline_ns = 0;
}
