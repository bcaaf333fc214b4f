/* OAUTHBEARER as kfk_sasl_mechanism (RFC 7628, as Kafka speaks it; the
 * messages are oauthbearer.c's). The token comes from the application's
 * callback (kfk_conf_set_oauthbearer_token_cb), fetched on the client's
 * background thread and refreshed before it expires, or, without one,
 * is an unsecured JWT made afresh for each authentication from
 * sasl.jaas.config's unsecuredLogin* options, as Java's
 * OAuthBearerUnsecuredLoginCallbackHandler makes it (for tests and
 * development clusters). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sasl/oauthbearer.h"
#include "sasl/sasl_int.h"

/* A token the callback may return: JWTs of a few KiB are common. */
#define TOKEN_MAX (64 * 1024)
/* After a failed refresh, ask again this soon. */
#define RETRY_MS 10000
#define MAX_REFRESH_MS (30LL * 24 * 3600 * 1000)

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- the options of sasl.jaas.config --------------------------------------------- */

typedef struct options {
    koauth_option *v;
    size_t n, cap;
} options;

static kfk_err add_option(void *arg, const char *key, const char *value)
{
    options *o = arg;
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 8;
        koauth_option *v = realloc(o->v, cap * sizeof(*v));
        if (!v) return KFK_ERR_NO_MEMORY;
        o->v = v;
        o->cap = cap;
    }
    char *k = strdup(key), *val = strdup(value);
    if (!k || !val) {
        free(k);
        free(val);
        return KFK_ERR_NO_MEMORY;
    }
    o->v[o->n++] = (koauth_option){k, val};
    return KFK_OK;
}

static void free_options(options *o)
{
    for (size_t i = 0; i < o->n; i++) {
        free((char *)o->v[i].key);
        free((char *)o->v[i].value);
    }
    free(o->v);
}

/* --- the unsecured JWT --------------------------------------------------------------- */

/* A fresh unsecured token from the JAAS options into *u. */
static kfk_err unsecured(const ksasl *s, koauth_unsecured *u, char *errstr, size_t errlen)
{
    options o = {0};
    kfk_err err = s->jaas ? kconf_jaas_foreach(s->jaas, add_option, &o) : KFK_OK;
    if (!err) err = koauth_unsecured_token(o.v, o.n, wall_ms(), u, errstr, errlen);
    if (err == KFK_ERR_NO_MEMORY) snprintf(errstr, errlen, "out of memory");
    free_options(&o);
    return err;
}

/* --- the application's token ------------------------------------------------------ */

bool ksasl_wants_token(const ksasl *s)
{
    return s->fetch_tokens;
}

/* When to fetch the next token, in ms from now, as Java's
 * ExpiringCredentialRefreshingLogin: at the window factor (plus jitter)
 * of the lifetime, but at least the buffer before expiry and no sooner
 * than the minimum period. */
static int64_t next_refresh_ms(const ksasl *s, int64_t life_ms)
{
    if (life_ms <= 0) return RETRY_MS;
    double share = s->refresh_factor + s->refresh_jitter * ((double)rand() / RAND_MAX);
    int64_t t = (int64_t)(life_ms * share);
    if (t > life_ms - s->refresh_buffer_ms) t = life_ms - s->refresh_buffer_ms;
    if (t < s->refresh_min_ms) t = s->refresh_min_ms;
    if (t > life_ms) t = life_ms;
    /* A token that says it lives for ever is asked for again within a
     * month: a timer's nanoseconds stay far from overflowing. */
    return t < MAX_REFRESH_MS ? t : MAX_REFRESH_MS;
}

kfk_err ksasl_refresh_token(ksasl *s, int64_t *next_ms, char *errstr, size_t errlen)
{
    char *token = calloc(1, TOKEN_MAX);
    if (!token) return KFK_ERR_NO_MEMORY;
    int64_t expiry_ms = 0;
    char why[256] = "";
    kfk_err err = s->token_cb(s->token_opaque, token, TOKEN_MAX, &expiry_ms, why, sizeof(why));
    if (!err && (!token[0] || memchr(token, '\0', TOKEN_MAX) == NULL)) {
        err = KFK_ERR_AUTH;
        snprintf(why, sizeof(why), "the callback gave no token");
    }
    if (err) {
        snprintf(errstr, errlen, "OAUTHBEARER %s: %s", s->endpoint ? "login" : "token callback",
                 *why ? why : kfk_err_str(err));
        explicit_bzero(token, TOKEN_MAX);
        free(token);
        *next_ms = RETRY_MS;
        return err;
    }
    char *keep = strdup(token);
    explicit_bzero(token, TOKEN_MAX);
    free(token);
    if (!keep) return KFK_ERR_NO_MEMORY;
    pthread_mutex_lock(&s->lock);
    char *old = s->token;
    s->token = keep;
    pthread_mutex_unlock(&s->lock);
    if (old) {
        explicit_bzero(old, strlen(old));
        free(old);
    }
    int64_t now = wall_ms();
    *next_ms = next_refresh_ms(s, expiry_ms > now ? expiry_ms - now : 0);
    return KFK_OK;
}

/* --- the mechanism -------------------------------------------------------------------- */

typedef struct oauth_state {
    int round;
    ksasl_msg msg;
} oauth_state;

static kfk_err oauth_start(void *opaque, const char *host, void **state, char *errstr,
                           size_t errlen)
{
    (void)opaque, (void)host, (void)errstr, (void)errlen;
    oauth_state *st = calloc(1, sizeof(*st));
    if (!st) return KFK_ERR_NO_MEMORY;
    *state = st;
    return KFK_OK;
}

/* The client's first message, from the application's token or a fresh
 * unsecured one. */
static kfk_err first_message(ksasl *s, kbuf *b, char *errstr, size_t errlen)
{
    if (s->fetch_tokens) {
        pthread_mutex_lock(&s->lock);
        kfk_err err = s->token ? koauth_client_first(s->token, NULL, 0, b) : KFK_ERR_AUTH;
        pthread_mutex_unlock(&s->lock);
        if (err == KFK_ERR_AUTH) snprintf(errstr, errlen, "no token from the token callback yet");
        if (err == KFK_ERR_INVALID_ARG)
            snprintf(errstr, errlen, "the token callback's token is not a bearer token");
        return err == KFK_ERR_INVALID_ARG ? KFK_ERR_AUTH : err;
    }
    koauth_unsecured u;
    kfk_err err = unsecured(s, &u, errstr, errlen);
    if (err) return err;
    err = koauth_client_first(u.token, u.ext, u.ext_count, b);
    if (err == KFK_ERR_INVALID_ARG)
        snprintf(errstr, errlen, "sasl.jaas.config: an unsecuredLoginExtension_ is not valid");
    koauth_unsecured_free(&u);
    return err;
}

static kfk_err oauth_step(void *opaque, void *state, const unsigned char *in, size_t in_len,
                          const unsigned char **out, size_t *out_len, bool *done, char *errstr,
                          size_t errlen)
{
    ksasl *s = opaque;
    oauth_state *st = state;
    if (st->round++ == 0) {
        kbuf b = {0};
        kfk_err err = first_message(s, &b, errstr, errlen);
        if (!err) err = ksasl_out(&st->msg, out, out_len, b.data, b.len);
        if (b.data) explicit_bzero(b.data, b.len);
        kbuf_free(&b);
        return err;
    }
    if (in_len == 0) { /* the broker took the token */
        *done = true;
        return KFK_OK;
    }
    /* RFC 7628 3.2.2: the broker explains in JSON; Kafka then fails the
     * exchange. Its explanation says more than the failure will. */
    char reason[200];
    koauth_error_reason(in, in_len, reason, sizeof(reason));
    snprintf(errstr, errlen, "the broker refused the token: %s", reason);
    return KFK_ERR_AUTH;
}

static void oauth_end(void *opaque, void *state)
{
    (void)opaque;
    oauth_state *st = state;
    if (!st) return;
    ksasl_msg_free(&st->msg);
    free(st);
}

kfk_err ksasl_oauthbearer_init(ksasl *s, char *errstr, size_t errlen)
{
    s->mech.start = oauth_start;
    s->mech.step = oauth_step;
    s->mech.end = oauth_end;
    s->fetch_tokens = s->token_cb != NULL || s->endpoint;
    if (s->fetch_tokens) return KFK_OK;
    /* Without a callback the JAAS options must make a token: try once now,
     * so a missing claim is a configuration error at creation. */
    koauth_unsecured u;
    char why[256] = "";
    kfk_err err = unsecured(s, &u, why, sizeof(why));
    if (err) {
        snprintf(errstr, errlen,
                 "sasl.mechanism=OAUTHBEARER needs kfk_conf_set_oauthbearer_token_cb, or "
                 "sasl.jaas.config with OAuthBearerLoginModule's unsecuredLoginStringClaim_sub "
                 "(unsecured tokens, for tests): %s",
                 why);
        return err == KFK_ERR_NO_MEMORY ? err : KFK_ERR_CONFIG;
    }
    koauth_unsecured_free(&u);
    return KFK_OK;
}
