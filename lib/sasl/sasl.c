/* Choosing and building a client's SASL mechanism (see sasl.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sasl/sasl_int.h"

typedef struct builtin {
    const char *name;
    kfk_err (*init)(ksasl *s, char *errstr, size_t errlen);
    int scram_bits;
} builtin;

static const builtin builtins[] = {
    {"PLAIN", ksasl_plain_init, 0},           {"SCRAM-SHA-256", ksasl_scram_init, 256},
    {"SCRAM-SHA-512", ksasl_scram_init, 512}, {"OAUTHBEARER", ksasl_oauthbearer_init, 0},
    {"AWS_MSK_IAM", ksasl_msk_iam_init, 0},   {"GSSAPI", ksasl_gssapi_init, 0},
};

void ksasl_msg_free(ksasl_msg *m)
{
    if (m->data) explicit_bzero(m->data, m->len);
    free(m->data);
    m->data = NULL;
    m->len = 0;
}

kfk_err ksasl_out(ksasl_msg *m, const unsigned char **out, size_t *out_len, const void *p, size_t n)
{
    ksasl_msg_free(m);
    if (!(m->data = malloc(n ? n : 1))) return KFK_ERR_NO_MEMORY;
    if (n) memcpy(m->data, p, n);
    m->len = n;
    *out = m->data;
    *out_len = n;
    return KFK_OK;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void wipe_free(char *s)
{
    if (!s) return;
    explicit_bzero(s, strlen(s));
    free(s);
}

void ksasl_free(ksasl *s)
{
    if (!s) return;
    wipe_free(s->user);
    wipe_free(s->password);
    wipe_free(s->jaas);
    wipe_free(s->token);
    free(s->kerberos_service);
    kmsk_env_free(&s->aws);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void ksasl_set_token_source(ksasl *s, kfk_oauthbearer_token_cb *cb, void *opaque)
{
    s->token_cb = cb;
    s->token_opaque = opaque;
}

const kfk_sasl_mechanism *ksasl_mechanism(const ksasl *s)
{
    return &s->mech;
}

static kfk_err unknown(const char *name, char *errstr, size_t errlen)
{
    snprintf(errstr, errlen,
             "sasl.mechanism=%s is not a mechanism kfk knows: use GSSAPI, PLAIN, SCRAM-SHA-256, "
             "SCRAM-SHA-512, OAUTHBEARER, AWS_MSK_IAM, or give yours to "
             "kfk_conf_set_sasl_mechanism",
             name);
    return KFK_ERR_CONFIG;
}

void ksasl_set_login_error(ksasl *s, const char *why)
{
    pthread_mutex_lock(&s->lock);
    snprintf(s->login_error, sizeof(s->login_error), "%s", why ? why : "");
    pthread_mutex_unlock(&s->lock);
}

bool ksasl_login_failed(ksasl *s, char *errstr, size_t errlen)
{
    pthread_mutex_lock(&s->lock);
    bool failed = s->login_error[0] != '\0';
    if (failed) snprintf(errstr, errlen, "%s", s->login_error);
    pthread_mutex_unlock(&s->lock);
    return failed;
}

/* kfk's own mechanism called name, set up from conf. */
static kfk_err init_builtin(ksasl *s, const kfk_conf *conf, const char *name, char *errstr,
                            size_t errlen)
{
    const builtin *b = NULL;
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
        if (strcasecmp(builtins[i].name, name) == 0) b = &builtins[i];
    if (!b) return unknown(name, errstr, errlen);
    s->mech.name = b->name;
    s->scram_bits = b->scram_bits;
    s->scram_tokenauth = kconf_bool(conf, KCONF_SASL_SCRAM_TOKENAUTH);
    /* kconf_validate made sure the mechanisms that need them have them. */
    const char *user = conf->vals[KCONF_SASL_USERNAME].s;
    const char *pass = conf->vals[KCONF_SASL_PASSWORD].s;
    s->user = dup_or_null(user);
    s->password = dup_or_null(pass);
    s->jaas = dup_or_null(conf->vals[KCONF_SASL_JAAS_CONFIG].s);
    if ((user && !s->user) || (pass && !s->password) ||
        (conf->vals[KCONF_SASL_JAAS_CONFIG].s && !s->jaas))
        return KFK_ERR_NO_MEMORY;
    s->token_cb = (kfk_oauthbearer_token_cb *)kconf_cb(conf, KCONF_SASL_OAUTHBEARER_TOKEN_CB,
                                                       &s->token_opaque);
    const char *endpoint = conf->vals[KCONF_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL].s;
    s->endpoint = endpoint && *endpoint;
    s->refresh_factor = kconf_double(conf, KCONF_SASL_LOGIN_REFRESH_WINDOW_FACTOR);
    s->refresh_jitter = kconf_double(conf, KCONF_SASL_LOGIN_REFRESH_WINDOW_JITTER);
    s->refresh_min_ms = kconf_i64(conf, KCONF_SASL_LOGIN_REFRESH_MIN_PERIOD_SECONDS) * 1000;
    s->refresh_buffer_ms = kconf_i64(conf, KCONF_SASL_LOGIN_REFRESH_BUFFER_SECONDS) * 1000;
    /* kconf_validate moved sasl.jaas.config's serviceName here. */
    const char *service = kconf_str(conf, KCONF_SASL_KERBEROS_SERVICE_NAME);
    if (!(s->kerberos_service = strdup(*service ? service : "kafka"))) return KFK_ERR_NO_MEMORY;
    s->mech.opaque = s;
    return b->init(s, errstr, errlen);
}

ksasl *ksasl_new(const kfk_conf *conf, char *errstr, size_t errlen)
{
    ksasl *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(errstr, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    const char *name = kconf_str(conf, KCONF_SASL_MECHANISM);
    void *opaque;
    const kfk_sasl_mechanism *app = NULL;
    kconf_cb(conf, KCONF_SASL_MECHANISM_CB, &opaque);
    app = opaque;
    kfk_err err;
    if (app && strcasecmp(app->name, name) == 0) {
        s->mech = *app;
        err = KFK_OK;
    } else {
        err = init_builtin(s, conf, name, errstr, errlen);
    }
    if (err) {
        if (err == KFK_ERR_NO_MEMORY) snprintf(errstr, errlen, "out of memory");
        ksasl_free(s);
        return NULL;
    }
    return s;
}
