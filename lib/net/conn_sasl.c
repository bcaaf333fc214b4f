/* SASL on a broker connection: SaslHandshake v1, then SaslAuthenticate
 * rounds, each message made by the configured mechanism (kfk's own or
 * the application's: both are kfk_sasl_mechanism). Runs after ApiVersions
 * on a new connection, and again on a READY one before the session the
 * broker granted ends (KIP-368). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/time.h"
#include "net/conn_int.h"

static void wipe_msg(kconn *c)
{
    if (c->sasl_msg) {
        explicit_bzero(c->sasl_msg, c->sasl_msg_len);
        free(c->sasl_msg);
    }
    c->sasl_msg = NULL;
    c->sasl_msg_len = 0;
}

void kconn_sasl_reset(kconn *c)
{
    const kfk_sasl_mechanism *m = c->cfg->sasl;
    kconn_sasl_offload_cancel(c);
    if (c->sasl_started && m->end) m->end(m->opaque, c->sasl_state);
    c->sasl_started = false;
    c->sasl_state = NULL;
    wipe_msg(c);
}

static void fail_auth(kconn *c, const char *fmt, const char *a, const char *b)
{
    char msg[512];
    snprintf(msg, sizeof(msg), fmt, a, b);
    kconn_fail_security(c, KFK_ERR_AUTH, msg);
}

/* Sends the connection's own SASL request, ahead of anything pending. */
static int send_own(kconn *c, const kproto_client *api, const void *body, int16_t version)
{
    int64_t deadline = c->state_deadline_ns;
    if (!deadline) /* re-authentication of a READY connection */
        deadline = kloop_now(c->loop) + c->cfg->setup_timeout_ms * KTIME_NS_PER_MS;
    kreq_init(&c->sasl_req, api, body, deadline, NULL, c);
    kfk_err err = kconn_send_now(c, &c->sasl_req, version);
    if (err) {
        kconn_fail(c, err, "cannot encode a SASL request");
        return -1;
    }
    if (deadline < c->req_deadline_ns || !c->req_deadline_ns) c->req_deadline_ns = deadline;
    return kconn_write(c);
}

void kconn_sasl_start(kconn *c)
{
    kconn_sasl_reset(c);
    /* v1: the tokens travel in SaslAuthenticate, framed and versioned,
     * rather than raw on the socket (v0). */
    int16_t v = kversions_pick(&c->versions, KP_SASL_HANDSHAKE_KEY, 1, 1);
    if (v < 0) {
        kconn_fail_security(c, KFK_ERR_AUTH, "the broker does not serve SaslHandshake v1");
        return;
    }
    kp_sasl_handshake_request_init(&c->sasl_hs);
    c->sasl_hs.mechanism = kwire_cstr(c->cfg->sasl->name);
    send_own(c, &kp_sasl_handshake_client, &c->sasl_hs, v);
}

/* Sends the mechanism's next message. */
static int send_message(kconn *c)
{
    int16_t v = kversions_pick(&c->versions, KP_SASL_AUTHENTICATE_KEY, 0, -1);
    if (v < 0) {
        kconn_fail_security(c, KFK_ERR_AUTH, "the broker does not serve SaslAuthenticate");
        return -1;
    }
    kp_sasl_authenticate_request_init(&c->sasl_auth);
    c->sasl_auth.auth_bytes =
        (kslice){c->sasl_msg ? c->sasl_msg : (const uint8_t *)"", c->sasl_msg_len};
    return send_own(c, &kp_sasl_authenticate_client, &c->sasl_auth, v);
}

/* Authenticated: READY, re-authentication scheduled when the session has
 * a lifetime. */
static void authenticated(kconn *c, int64_t lifetime_ms)
{
    const char *name = c->cfg->sasl->name;
    kconn_sasl_reset(c);
    c->reauth_at_ns = 0;
    if (lifetime_ms > 0) {
        /* KIP-368: at a random point between 85% and 95% of the session,
         * so the connections of many clients do not all come at once. */
        double share = 0.85 + 0.10 * ((double)rand() / RAND_MAX);
        c->reauth_at_ns = kloop_now(c->loop) + (int64_t)(lifetime_ms * share) * KTIME_NS_PER_MS;
    }
    klog(&c->cfg->log, KFK_LOG_DEBUG, "broker", "%s: authenticated with SASL %s%s", c->name, name,
         lifetime_ms > 0 ? " (session lifetime set)" : "");
    kconn_become_ready(c);
}

kfk_err kconn_sasl_call_step(const kfk_sasl_mechanism *m, void *state, const uint8_t *in,
                             size_t in_len, unsigned char **out, size_t *out_len, bool *done,
                             char *why, size_t why_len)
{
    const unsigned char *msg = NULL;
    size_t len = 0;
    *out = NULL;
    *out_len = 0;
    *done = false;
    kfk_err err = m->step(m->opaque, state, in, in_len, &msg, &len, done, why, why_len);
    if (err || *done || !len) return err;
    if (!(*out = malloc(len))) return KFK_ERR_NO_MEMORY;
    memcpy(*out, msg, len);
    *out_len = len;
    return KFK_OK;
}

int kconn_sasl_stepped(kconn *c, kfk_err err, const char *why, unsigned char *out, size_t out_len,
                       bool done, int64_t lifetime_ms)
{
    const kfk_sasl_mechanism *m = c->cfg->sasl;
    if (err || done) {
        if (out) {
            explicit_bzero(out, out_len);
            free(out);
        }
    }
    if (err) {
        fail_auth(c, "SASL %s: %s", m->name, *why ? why : kfk_err_str(err));
        return -1;
    }
    if (done) {
        authenticated(c, lifetime_ms);
        return 0;
    }
    c->sasl_msg = out;
    c->sasl_msg_len = out ? out_len : 0;
    return send_message(c);
}

/* One round of the mechanism with the broker's last answer; on the
 * worker when the mechanism may block. */
static int step(kconn *c, const uint8_t *in, size_t in_len, int64_t lifetime_ms)
{
    const kfk_sasl_mechanism *m = c->cfg->sasl;
    wipe_msg(c);
    if (m->may_block) return kconn_sasl_offload(c, false, in, in_len, lifetime_ms);
    char why[256] = "";
    unsigned char *out;
    size_t out_len;
    bool done;
    kfk_err err =
        kconn_sasl_call_step(m, c->sasl_state, in, in_len, &out, &out_len, &done, why, sizeof(why));
    return kconn_sasl_stepped(c, err, why, out, out_len, done, lifetime_ms);
}

/* The mechanisms the broker offers, "A, B", into buf. */
static void list_mechanisms(const kp_sasl_handshake_response *r, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int32_t i = 0; i < r->n_mechanisms && at < len; i++)
        at += (size_t)snprintf(buf + at, len - at, "%s%.*s", i ? ", " : "",
                               (int)r->mechanisms[i].len, (const char *)r->mechanisms[i].ptr);
}

static int on_handshake(kconn *c, kreader *rd)
{
    const kfk_sasl_mechanism *m = c->cfg->sasl;
    kp_sasl_handshake_response resp;
    if (kp_sasl_handshake_response_decode(&resp, c->sasl_req.version, rd, &c->arena)) {
        kconn_fail(c, KFK_ERR_MALFORMED, "SaslHandshake response does not decode");
        return -1;
    }
    if (resp.error_code) {
        char offered[256];
        list_mechanisms(&resp, offered, sizeof(offered));
        fail_auth(c, "the broker does not enable SASL mechanism %s (it offers: %s)", m->name,
                  *offered ? offered : "none");
        return -1;
    }
    if (m->may_block) {
        wipe_msg(c);
        return kconn_sasl_offload(c, true, NULL, 0, 0);
    }
    char why[256] = "";
    kfk_err err = m->start(m->opaque, c->host, &c->sasl_state, why, sizeof(why));
    if (err) {
        fail_auth(c, "SASL %s: %s", m->name, *why ? why : kfk_err_str(err));
        return -1;
    }
    c->sasl_started = true;
    return step(c, NULL, 0, 0);
}

static int on_authenticate(kconn *c, kreader *rd)
{
    kp_sasl_authenticate_response resp;
    if (kp_sasl_authenticate_response_decode(&resp, c->sasl_req.version, rd, &c->arena)) {
        kconn_fail(c, KFK_ERR_MALFORMED, "SaslAuthenticate response does not decode");
        return -1;
    }
    if (resp.error_code) {
        char broker_says[256];
        if (resp.error_message.ptr)
            snprintf(broker_says, sizeof(broker_says), "%.*s", (int)resp.error_message.len,
                     (const char *)resp.error_message.ptr);
        else
            snprintf(broker_says, sizeof(broker_says), "%s", kfk_err_str((kfk_err)resp.error_code));
        fail_auth(c, "SASL %s authentication failed: %s", c->cfg->sasl->name, broker_says);
        return -1;
    }
    return step(c, resp.auth_bytes.ptr, resp.auth_bytes.len, resp.session_lifetime_ms);
}

int kconn_sasl_on_response(kconn *c, kreader *rd)
{
    int rc =
        c->sasl_req.api_key == KP_SASL_HANDSHAKE_KEY ? on_handshake(c, rd) : on_authenticate(c, rd);
    return rc < 0 || kconn_state_get(c) == KCONN_BACKOFF ? -1 : 0;
}
