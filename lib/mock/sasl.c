/* SASL on the mock's SASL_PLAINTEXT and SASL_SSL listeners, as Kafka's
 * SaslServerAuthenticator does it: SaslHandshake picks a mechanism,
 * SaslAuthenticate carries its messages (or, after a v0 handshake, raw
 * size-prefixed tokens do), a connection sends nothing else until it has
 * authenticated, and a failure answers once and closes the connection.
 * KIP-368: an authenticated connection may authenticate again with the
 * same mechanism and principal, and its session may expire. Also the
 * cluster's security settings, users and the public control functions.
 * Handlers run on the loop thread with mc->lock held. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/time.h"
#include "mock/mock.h"
#include "proto/gen/all.h"

static const struct {
    int mech;
    const char *name;
} mech_names[] = {
    {MOCK_MECH_PLAIN, "PLAIN"},
    {MOCK_MECH_SCRAM_SHA_256, "SCRAM-SHA-256"},
    {MOCK_MECH_SCRAM_SHA_512, "SCRAM-SHA-512"},
    {MOCK_MECH_OAUTHBEARER, "OAUTHBEARER"},
};

const char *mock_mech_name(int mech)
{
    for (size_t i = 0; i < MOCK_MAX_MECHS; i++)
        if (mech_names[i].mech == mech) return mech_names[i].name;
    return NULL;
}

int mock_mech_parse(const char *s, size_t len)
{
    for (size_t i = 0; i < MOCK_MAX_MECHS; i++)
        if (strlen(mech_names[i].name) == len && !memcmp(mech_names[i].name, s, len))
            return mech_names[i].mech;
    return 0;
}

/* --------------------------------------------------------------- base64 */

void mock_base64_encode(char *out, const uint8_t *p, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
        out[o++] = i + 1 < n ? abc[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? abc[v & 63] : '=';
    }
    out[o] = '\0';
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

ssize_t mock_base64_decode(uint8_t *out, const char *s, size_t len)
{
    while (len && s[len - 1] == '=')
        len--;
    if (len % 4 == 1) return -1;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value(s[i]);
        if (v < 0) return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return (ssize_t)o;
}

/* ------------------------------------------------------------- settings */

static int parse_mechs(mock_security *sec, const char *list)
{
    if (!list) {
        for (int i = 0; i < MOCK_MAX_MECHS; i++)
            sec->mechs[i] = mech_names[i].mech;
        sec->n_mechs = MOCK_MAX_MECHS;
        return 0;
    }
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = p;
        while (*end && *end != ',' && *end != ' ')
            end++;
        if (end == p) break;
        int mech = mock_mech_parse(p, (size_t)(end - p));
        if (!mech) return -1;
        if (!mock_security_has_mech(sec, mech)) sec->mechs[sec->n_mechs++] = mech;
        p = end;
    }
    return sec->n_mechs ? 0 : -1;
}

kfk_err mock_security_init(mock_security *sec, const kfk_mock_security *conf)
{
    for (size_t i = 0; i < sizeof(conf->reserved) / sizeof(conf->reserved[0]); i++)
        if (conf->reserved[i]) return KFK_ERR_INVALID_ARG; /* meant for later fields */
    const char *p = conf->protocol ? conf->protocol : "PLAINTEXT";
    if (!strcmp(p, "SSL")) {
        sec->tls = true;
    } else if (!strcmp(p, "SASL_PLAINTEXT")) {
        sec->sasl = true;
    } else if (!strcmp(p, "SASL_SSL")) {
        sec->tls = sec->sasl = true;
    } else if (strcmp(p, "PLAINTEXT")) {
        return KFK_ERR_INVALID_ARG;
    }
    if (conf->session_lifetime_ms < 0) return KFK_ERR_INVALID_ARG;
    sec->session_lifetime_ms = conf->session_lifetime_ms;
    if (sec->sasl && parse_mechs(sec, conf->sasl_mechanisms)) return KFK_ERR_INVALID_ARG;
    if (!sec->tls) return conf->client_ca_pem ? KFK_ERR_INVALID_ARG : KFK_OK;
    if (!conf->cert_pem || !conf->key_pem) return KFK_ERR_INVALID_ARG;
    sec->tls_ctx = mock_tls_ctx_new(conf->cert_pem, conf->key_pem, conf->client_ca_pem);
    return sec->tls_ctx ? KFK_OK : KFK_ERR_INVALID_ARG;
}

static void user_clear(mock_user *u)
{
    free(u->name);
    if (u->password) OPENSSL_cleanse(u->password, strlen(u->password));
    free(u->password);
    OPENSSL_cleanse(u, sizeof(*u));
}

void mock_security_free(mock_security *sec)
{
    for (size_t i = 0; i < sec->n_users; i++)
        user_clear(&sec->users[i]);
    free(sec->users);
    mock_tls_ctx_free(sec->tls_ctx);
    memset(sec, 0, sizeof(*sec));
}

bool mock_security_has_mech(const mock_security *sec, int mech)
{
    for (int i = 0; i < sec->n_mechs; i++)
        if (sec->mechs[i] == mech) return true;
    return false;
}

const mock_user *mock_user_find(const mock_security *sec, int mech, kslice name)
{
    for (size_t i = 0; i < sec->n_users; i++) {
        const mock_user *u = &sec->users[i];
        if (u->mech == mech && strlen(u->name) == name.len && !memcmp(u->name, name.ptr, name.len))
            return u;
    }
    return NULL;
}

void mock_session_free(mock_session *s)
{
    mock_tls_stop(s);
    mock_scram_reset(&s->scram);
    free(s->oauth_error);
    free(s->tls_bounce);
    s->oauth_error = NULL;
    s->tls_bounce = NULL;
}

/* ------------------------------------------------------ control functions */

static kfk_err user_fill(mock_user *u, int mech, const char *user, const char *password)
{
    u->mech = mech;
    u->name = strdup(user);
    if (!u->name) return KFK_ERR_NO_MEMORY;
    if (mech == MOCK_MECH_PLAIN) {
        u->password = strdup(password);
        return u->password ? KFK_OK : KFK_ERR_NO_MEMORY;
    }
    mock_random(u->salt, sizeof(u->salt));
    u->iterations = MOCK_SCRAM_ITERATIONS;
    return mock_scram_credentials(u, password) ? KFK_ERR_NO_MEMORY : KFK_OK;
}

kfk_err kfk_mock_user_add(kfk_mock_cluster *mc, const char *mechanism, const char *user,
                          const char *password)
{
    if (!mc || !mechanism || !user || !*user || !password) return KFK_ERR_INVALID_ARG;
    int mech = mock_mech_parse(mechanism, strlen(mechanism));
    if (!mech || mech == MOCK_MECH_OAUTHBEARER) return KFK_ERR_INVALID_ARG;
    /* PBKDF2 takes a while: derive outside the lock. */
    mock_user u = {0};
    kfk_err err = user_fill(&u, mech, user, password);
    if (err) {
        user_clear(&u);
        return err;
    }
    pthread_mutex_lock(&mc->lock);
    mock_security *sec = &mc->sec;
    mock_user *old = (mock_user *)mock_user_find(sec, mech, kwire_cstr(user));
    if (old) {
        user_clear(old);
        *old = u;
    } else if (sec->n_users == sec->cap_users) {
        size_t cap = sec->cap_users ? sec->cap_users * 2 : 8;
        mock_user *v = realloc(sec->users, cap * sizeof(*v));
        if (v) {
            sec->users = v;
            sec->cap_users = cap;
        } else {
            err = KFK_ERR_NO_MEMORY;
        }
    }
    if (!old && !err) sec->users[sec->n_users++] = u;
    pthread_mutex_unlock(&mc->lock);
    if (err) user_clear(&u);
    return err;
}

void kfk_mock_fail_handshakes(kfk_mock_cluster *mc, size_t n)
{
    if (!mc) return;
    pthread_mutex_lock(&mc->lock);
    mc->sec.fail_handshakes = n < INT_MAX ? (int)n : INT_MAX;
    pthread_mutex_unlock(&mc->lock);
}

void kfk_mock_fail_authentications(kfk_mock_cluster *mc, size_t n)
{
    if (!mc) return;
    pthread_mutex_lock(&mc->lock);
    mc->sec.fail_authentications = n < INT_MAX ? (int)n : INT_MAX;
    pthread_mutex_unlock(&mc->lock);
}

int64_t kfk_mock_authentications(kfk_mock_cluster *mc)
{
    if (!mc) return -1;
    pthread_mutex_lock(&mc->lock);
    int64_t n = mc->sec.authentications;
    pthread_mutex_unlock(&mc->lock);
    return n;
}

kfk_err kfk_mock_last_principal(kfk_mock_cluster *mc, char *buf, size_t size)
{
    if (!mc || !buf || !size) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    snprintf(buf, size, "%s", mc->sec.last_principal);
    pthread_mutex_unlock(&mc->lock);
    return KFK_OK;
}

/* ---------------------------------------------------------------- gating */

bool mock_sasl_permits(const mock_session *s, int16_t api_key, int64_t now_ns)
{
    if (api_key == KP_SASL_HANDSHAKE_KEY || api_key == KP_SASL_AUTHENTICATE_KEY) return true;
    if (s->sasl_state == MOCK_SASL_AUTHENTICATE) return false; /* mid-exchange */
    if (!s->authenticated) return api_key == KP_API_VERSIONS_KEY;
    /* KIP-368: past its session, only re-authentication may go on. */
    return !s->expiry_ns || now_ns <= s->expiry_ns;
}

/* --------------------------------------------------------------- PLAIN */

mock_sasl_step mock_sasl_plain(const mock_security *sec, kslice in, mock_sasl_result *r)
{
    /* authzid NUL user NUL password */
    const uint8_t *p = in.ptr, *end = in.ptr + in.len;
    const uint8_t *nul1 = memchr(p, 0, in.len);
    const uint8_t *nul2 = nul1 ? memchr(nul1 + 1, 0, (size_t)(end - nul1 - 1)) : NULL;
    if (!nul2 || memchr(nul2 + 1, 0, (size_t)(end - nul2 - 1))) return MOCK_STEP_FAIL;
    kslice authzid = {p, (size_t)(nul1 - p)};
    kslice user = {nul1 + 1, (size_t)(nul2 - nul1 - 1)};
    kslice password = {nul2 + 1, (size_t)(end - nul2 - 1)};
    if (!user.len || !password.len) return MOCK_STEP_FAIL;
    if (authzid.len && !kwire_eq(authzid, user)) {
        r->error = "Authentication failed: Client requested an authorization id that is "
                   "different from username";
        return MOCK_STEP_FAIL;
    }
    const mock_user *u = mock_user_find(sec, MOCK_MECH_PLAIN, user);
    if (!u || strlen(u->password) != password.len ||
        CRYPTO_memcmp(u->password, password.ptr, password.len)) {
        r->error = "Authentication failed: Invalid username or password";
        return MOCK_STEP_FAIL;
    }
    snprintf(r->principal, sizeof(r->principal), "User:%.*s", (int)user.len,
             (const char *)user.ptr);
    r->out = KWIRE_EMPTY;
    return MOCK_STEP_DONE;
}

/* ------------------------------------------------------------ exchanges */

const char *mock_sasl_generic_error(struct karena *arena, const mock_session *s)
{
    /* Kafka keeps the reason to itself, lest it tell whether a user exists. */
    const char *fmt = "Authentication failed during %s due to invalid credentials with SASL "
                      "mechanism %s";
    const char *what = s->authenticated ? "re-authentication" : "authentication";
    const char *mech = mock_mech_name(s->mech);
    size_t n = strlen(fmt) + strlen(what) + strlen(mech ? mech : "");
    char *msg = karena_alloc(arena, n);
    if (!msg) return "Authentication failed";
    snprintf(msg, n, fmt, what, mech ? mech : "");
    return msg;
}

static void session_start(mock_cluster *mc, mock_session *s, mock_sasl_result *r, int64_t *life_ms)
{
    mock_security *sec = &mc->sec;
    int64_t lifetime = sec->session_lifetime_ms;
    if (lifetime > 0 && r->credential_expiry_ms) {
        int64_t left = r->credential_expiry_ms - ktime_wall_ms();
        if (left < lifetime) lifetime = left > 0 ? left : 1;
    }
    *life_ms = lifetime > 0 ? lifetime : 0;
    s->expiry_ns = lifetime > 0 ? ktime_mono_ns() + lifetime * 1000000 : 0;
    s->authenticated = true;
    s->authed_mech = s->mech;
    s->sasl_state = MOCK_SASL_DONE;
    memcpy(s->principal, r->principal, sizeof(s->principal));
    sec->authentications++;
    memcpy(sec->last_principal, r->principal, sizeof(sec->last_principal));
}

/* Runs the session's mechanism on one client message; *life_ms gets the
 * session lifetime of a completed exchange. */
static mock_sasl_step sasl_step(mock_req *req, mock_session *s, kslice in, mock_sasl_result *r,
                                int64_t *life_ms)
{
    mock_security *sec = &req->mc->sec;
    memset(r, 0, sizeof(*r));
    r->out = KWIRE_EMPTY;
    *life_ms = 0;
    mock_sasl_step st = MOCK_STEP_FAIL;
    if (sec->fail_authentications > 0) {
        sec->fail_authentications--;
    } else if (s->bad_reauth_mech) {
        char *msg = karena_alloc(req->arena, 160);
        if (msg)
            snprintf(msg, 160,
                     "SASL mechanism '%s' requested by client is not supported for "
                     "re-authentication of mechanism '%s'",
                     mock_mech_name(s->mech), mock_mech_name(s->authed_mech));
        r->error = msg;
    } else if (s->mech == MOCK_MECH_PLAIN) {
        st = mock_sasl_plain(sec, in, r);
    } else if (s->mech == MOCK_MECH_OAUTHBEARER) {
        st = mock_sasl_oauthbearer(s, in, r);
    } else {
        st = mock_sasl_scram(sec, s, in, req->arena, r);
    }
    if (st == MOCK_STEP_DONE && s->authenticated && strcmp(s->principal, r->principal)) {
        char *msg = karena_alloc(req->arena, 3 * MOCK_PRINCIPAL_MAX);
        if (msg) /* Kafka prints type.name */
            snprintf(msg, 3 * MOCK_PRINCIPAL_MAX,
                     "Cannot change principals during re-authentication from User.%s: User.%s",
                     s->principal + 5, r->principal + 5);
        r->error = msg;
        st = MOCK_STEP_FAIL;
    }
    if (st == MOCK_STEP_DONE) session_start(req->mc, s, r, life_ms);
    if (st == MOCK_STEP_FAIL) {
        if (!r->error) r->error = mock_sasl_generic_error(req->arena, s);
        s->sasl_state = MOCK_SASL_NONE;
        mock_scram_reset(&s->scram);
    }
    return st;
}

/* ------------------------------------------------------------- handlers */

static kslice *enabled_list(mock_req *req, int32_t *n)
{
    const mock_security *sec = &req->mc->sec;
    kslice *v = karena_alloc(req->arena, MOCK_MAX_MECHS * sizeof(*v));
    *n = v ? sec->n_mechs : 0;
    for (int32_t i = 0; i < *n; i++)
        v[i] = kwire_cstr(mock_mech_name(sec->mechs[i]));
    return v;
}

int mock_handle_sasl_handshake(mock_req *req)
{
    kp_sasl_handshake_request m;
    if (mock_decode(req, &m)) return MOCK_CLOSE;
    mock_session *s = mock_conn_session(req->conn);
    kp_sasl_handshake_response resp;
    kp_sasl_handshake_response_init(&resp);
    resp.mechanisms = enabled_list(req, &resp.n_mechanisms);
    int mech = mock_mech_parse((const char *)m.mechanism.ptr, m.mechanism.len);
    if (req->inject)
        resp.error_code = (int16_t)req->inject;
    else if (s->sasl_state == MOCK_SASL_AUTHENTICATE)
        resp.error_code = KFK_ERR_ILLEGAL_SASL_STATE; /* a handshake mid-exchange */
    else if (!mock_security_has_mech(&req->mc->sec, mech))
        resp.error_code = KFK_ERR_UNSUPPORTED_SASL_MECHANISM;
    if (resp.error_code) {
        /* Kafka answers a failed handshake, then closes the connection. */
        int rc = mock_respond(req, &resp);
        mock_conn_close_after_send(req->conn);
        return rc;
    }
    mock_scram_reset(&s->scram);
    free(s->oauth_error);
    s->oauth_error = NULL;
    s->mech = mech;
    /* KIP-368: re-authentication keeps the mechanism; the failure comes
     * with the next SaslAuthenticate, as in Kafka. */
    s->bad_reauth_mech = s->authenticated && mech != s->authed_mech;
    s->legacy = req->version == 0;
    s->sasl_state = MOCK_SASL_AUTHENTICATE;
    return mock_respond(req, &resp);
}

int mock_handle_sasl_authenticate(mock_req *req)
{
    kp_sasl_authenticate_request m;
    if (mock_decode(req, &m)) return MOCK_CLOSE;
    mock_session *s = mock_conn_session(req->conn);
    if (s->sasl_state != MOCK_SASL_AUTHENTICATE || s->legacy) return MOCK_CLOSE;
    kp_sasl_authenticate_response resp;
    kp_sasl_authenticate_response_init(&resp);
    resp.auth_bytes = KWIRE_EMPTY;
    mock_sasl_result r;
    int64_t life_ms = 0;
    mock_sasl_step st;
    if (req->inject) {
        st = MOCK_STEP_FAIL;
        resp.error_code = (int16_t)req->inject;
        s->sasl_state = MOCK_SASL_NONE;
    } else {
        st = sasl_step(req, s, m.auth_bytes, &r, &life_ms);
        if (st == MOCK_STEP_FAIL) {
            resp.error_code = KFK_ERR_SASL_AUTHENTICATION_FAILED;
            resp.error_message = kwire_cstr(r.error);
        } else {
            resp.auth_bytes = r.out;
        }
    }
    if (req->version >= 1) resp.session_lifetime_ms = life_ms;
    int rc = mock_respond(req, &resp);
    if (st == MOCK_STEP_FAIL) mock_conn_close_after_send(req->conn);
    return rc;
}

int mock_sasl_legacy_token(mock_conn *c, const uint8_t *frame, size_t len)
{
    mock_broker *b = mock_conn_broker(c);
    mock_req req = {.mc = b->mc, .broker = b, .conn = c, .arena = mock_conn_arena(c)};
    req.recv_ns = ktime_mono_ns();
    mock_session *s = mock_conn_session(c);
    mock_sasl_result r;
    int64_t life_ms;
    /* Without Kafka headers there is no error to send: a failure closes. */
    if (sasl_step(&req, s, (kslice){frame, len}, &r, &life_ms) == MOCK_STEP_FAIL) return MOCK_CLOSE;
    if (s->sasl_state == MOCK_SASL_DONE) s->legacy = false;
    mock_out *o = mock_out_new(&req);
    if (!o) return MOCK_CLOSE;
    uint8_t *p = kbuf_extend(&o->head, 4 + r.out.len);
    if (!p) {
        mock_out_free(o);
        return MOCK_CLOSE;
    }
    p[0] = (uint8_t)(r.out.len >> 24);
    p[1] = (uint8_t)(r.out.len >> 16);
    p[2] = (uint8_t)(r.out.len >> 8);
    p[3] = (uint8_t)r.out.len;
    if (r.out.len) memcpy(p + 4, r.out.ptr, r.out.len);
    mock_conn_send(c, o);
    return MOCK_DONE;
}
