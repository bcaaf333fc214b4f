/* A client's TLS context and SASL mechanism, built from its configuration
 * when it is created, and the reporting of connections that TLS or
 * authentication refused. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <openssl/ssl.h>

#include "base/container_of.h"
#include "base/time.h"
#include "client/client_int.h"

static const char *str_or_null(const kfk_conf *conf, kconf_id id)
{
    const char *s = conf->vals[id].s;
    return s && *s ? s : NULL;
}

static const char *store_type(const kfk_conf *conf, kconf_id id)
{
    switch (kconf_int(conf, id)) {
    case KCONF_STORE_PEM:
        return "PEM";
    case KCONF_STORE_PKCS12:
        return "PKCS12";
    default:
        return NULL;
    }
}

static int tls_version(int v)
{
    return v == KCONF_TLS_1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
}

/* ssl.enabled.protocols gives the set, ssl.protocol the newest allowed. */
static int version_range(const kfk_conf *conf, ktls_config *tc, char *errstr, size_t errlen)
{
    const kconf_value *list = &conf->vals[KCONF_SSL_ENABLED_PROTOCOLS];
    int lo = TLS1_3_VERSION, hi = TLS1_2_VERSION;
    for (int i = 0; i < list->n_items; i++) {
        int v = tls_version(list->items[i]);
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    int cap = tls_version(kconf_int(conf, KCONF_SSL_PROTOCOL));
    hi = hi > cap ? cap : hi;
    if (!list->n_items || lo > hi) {
        snprintf(errstr, errlen,
                 "ssl.enabled.protocols and ssl.protocol leave no TLS version to negotiate");
        return -1;
    }
    tc->min_version = lo;
    tc->max_version = hi;
    return 0;
}

static ktls_ctx *build_tls(const kfk_conf *conf, char *errstr, size_t errlen)
{
    ktls_config tc = {0};
    tc.truststore_location = str_or_null(conf, KCONF_SSL_TRUSTSTORE_LOCATION);
    if (!tc.truststore_location) tc.truststore_location = str_or_null(conf, KCONF_SSL_CA_LOCATION);
    tc.truststore_type = store_type(conf, KCONF_SSL_TRUSTSTORE_TYPE);
    tc.truststore_password = str_or_null(conf, KCONF_SSL_TRUSTSTORE_PASSWORD);
    tc.truststore_certificates = str_or_null(conf, KCONF_SSL_TRUSTSTORE_CERTIFICATES);
    tc.keystore_location = str_or_null(conf, KCONF_SSL_KEYSTORE_LOCATION);
    tc.keystore_type = store_type(conf, KCONF_SSL_KEYSTORE_TYPE);
    tc.keystore_password = str_or_null(conf, KCONF_SSL_KEYSTORE_PASSWORD);
    tc.keystore_certificate_chain = str_or_null(conf, KCONF_SSL_KEYSTORE_CERTIFICATE_CHAIN);
    tc.keystore_key = str_or_null(conf, KCONF_SSL_KEYSTORE_KEY);
    tc.certificate_location = str_or_null(conf, KCONF_SSL_CERTIFICATE_LOCATION);
    tc.key_location = str_or_null(conf, KCONF_SSL_KEY_LOCATION);
    tc.key_password = str_or_null(conf, KCONF_SSL_KEY_PASSWORD);
    tc.crl_location = str_or_null(conf, KCONF_SSL_CRL_LOCATION);
    tc.cipher_suites = str_or_null(conf, KCONF_SSL_CIPHER_SUITES);
    tc.verify_hostname =
        kconf_int(conf, KCONF_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM) == KCONF_ENDPOINT_ID_HTTPS;
    tc.verify_cb =
        (kfk_ssl_cert_verify_cb *)kconf_cb(conf, KCONF_SSL_CERT_VERIFY_CB, &tc.verify_opaque);
    if (version_range(conf, &tc, errstr, errlen)) return NULL;
    return ktls_ctx_new(&tc, errstr, errlen);
}

/* The token endpoint login, when configured, supplies c->sasl's tokens. */
static int oidc_init(kclient *c, char *errstr, size_t errlen)
{
    kfk_err err;
    c->oidc = koidc_login_new(c->conf, &c->destroying, &err, errstr, errlen);
    if (err) return -1;
    if (c->oidc) ksasl_set_token_source(c->sasl, koidc_login_fetch, c->oidc);
    return 0;
}

int kclient_security_init(kclient *c, char *errstr, size_t errlen)
{
    int proto = kconf_int(c->conf, KCONF_SECURITY_PROTOCOL);
    bool tls = proto == KCONF_SECURITY_SSL || proto == KCONF_SECURITY_SASL_SSL;
    bool sasl = proto == KCONF_SECURITY_SASL_PLAINTEXT || proto == KCONF_SECURITY_SASL_SSL;
    if (tls && !(c->tls = build_tls(c->conf, errstr, errlen))) return -1;
    if (sasl && !(c->sasl = ksasl_new(c->conf, errstr, errlen))) return -1;
    if (sasl && oidc_init(c, errstr, errlen)) return -1;
    /* The first OAUTHBEARER token before any connection needs it, as
     * Java's login runs when the client is created. */
    if (c->sasl && ksasl_wants_token(c->sasl) &&
        ksasl_refresh_token(c->sasl, &c->token_next_ms, errstr, errlen))
        return -1;
    return 0;
}

/* The application's error callback, if any, told of err. */
static void tell_app(kclient *c, kfk_err err, const char *reason)
{
    void *cb_opaque;
    kfk_error_cb *cb = (kfk_error_cb *)kconf_cb(c->conf, KCONF_ERROR_CB, &cb_opaque);
    if (cb && !kclient_destroying(c)) cb(cb_opaque, c->handle, err, reason);
}

/* kfk-bg: fetches the next OAUTHBEARER token and schedules the one after.
 * A failed refresh is the application's to know (the token it has may
 * expire before the next try), but fails no call: that token still works. */
static void token_timer_fired(ktimer *t)
{
    kclient *c = container_of(t, kclient, token_timer);
    char why[320];
    kfk_err err = ksasl_refresh_token(c->sasl, &c->token_next_ms, why, sizeof(why));
    if (err) {
        klog(&c->log, KFK_LOG_WARNING, "sasl", "%s; trying again in %lld ms", why,
             (long long)c->token_next_ms);
        tell_app(c, err, why);
    }
    kloop_timer_arm(c->bg, &c->token_timer, ktime_mono_ns() + c->token_next_ms * KTIME_NS_PER_MS);
}

/* kfk-bg: arms the first refresh (timers belong to their loop's thread). */
static void token_start_task(ktask *t)
{
    kclient *c = container_of(t, kclient, token_task);
    kloop_timer_arm(c->bg, &c->token_timer, ktime_mono_ns() + c->token_next_ms * KTIME_NS_PER_MS);
}

void kclient_security_start(kclient *c)
{
    if (!c->sasl || !ksasl_wants_token(c->sasl)) return;
    ktimer_init(&c->token_timer, token_timer_fired);
    c->token_task.fn = token_start_task;
    kloop_post(c->bg, &c->token_task);
}

void kclient_security_free(kclient *c)
{
    ktls_ctx_free(c->tls);
    ksasl_free(c->sasl);
    koidc_login_free(c->oidc);
    c->oidc = NULL;
    c->tls = NULL;
    c->sasl = NULL;
}

void kclient_on_conn_error(void *opaque, kconn *conn, kfk_err err, const char *reason)
{
    (void)conn;
    kclient *c = opaque;
    tell_app(c, err, reason);
    kclient_error_watch_fn *watch = atomic_load(&c->err_watch); /* then its opaque */
    if (watch) watch(atomic_load(&c->err_watch_opaque), err);
}

void kclient_set_error_watch(kclient *c, kclient_error_watch_fn *fn, void *opaque)
{
    atomic_store(&c->err_watch, NULL);
    atomic_store(&c->err_watch_opaque, opaque);
    atomic_store(&c->err_watch, fn);
}
