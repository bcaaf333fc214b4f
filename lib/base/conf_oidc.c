/* The rules of OAUTHBEARER's token endpoint settings (the OIDC
 * client_credentials login): they take the JAAS options Java's
 * OAuthBearerLoginModule reads (clientId, clientSecret, scope) into the
 * properties, so the login reads one place, and refuse every setting the
 * login would not use, naming it. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/conf.h"

static bool has(const kfk_conf *conf, kconf_id id)
{
    return conf->vals[id].s != NULL && conf->vals[id].s[0] != '\0';
}

static const char *name_of(kconf_id id)
{
    return kconf_prop_of(id)->name;
}

/* JAAS option key goes to property id, unless both are set. */
static kfk_err take_jaas_option(kfk_conf *conf, const char *key, kconf_id id, char *errstr,
                                size_t errlen)
{
    const char *jaas = conf->vals[KCONF_SASL_JAAS_CONFIG].s;
    char *v = NULL;
    if (!jaas) return KFK_OK;
    if (kconf_jaas_option(jaas, key, &v)) return KFK_ERR_NO_MEMORY;
    if (!v) return KFK_OK;
    if (has(conf, id)) {
        free(v);
        return kconf_error(errstr, errlen,
                           "set either %s or the %s option of sasl.jaas.config, not both",
                           name_of(id), key);
    }
    free(conf->vals[id].s);
    conf->vals[id].s = v;
    return KFK_OK;
}

/* Settings that only the token endpoint login reads. */
static const kconf_id endpoint_only[] = {
    KCONF_SASL_OAUTHBEARER_CLIENT_ID,      KCONF_SASL_OAUTHBEARER_CLIENT_SECRET,
    KCONF_SASL_OAUTHBEARER_SCOPE,          KCONF_SASL_OAUTHBEARER_SCOPE_CLAIM_NAME,
    KCONF_SASL_OAUTHBEARER_SUB_CLAIM_NAME, KCONF_SASL_OAUTHBEARER_HEADER_URLENCODE,
    KCONF_SASL_LOGIN_CONNECT_TIMEOUT_MS,   KCONF_SASL_LOGIN_READ_TIMEOUT_MS,
    KCONF_SASL_LOGIN_RETRY_BACKOFF_MS,     KCONF_SASL_LOGIN_RETRY_BACKOFF_MAX_MS,
};

static kfk_err check_unused(const kfk_conf *conf, char *errstr, size_t errlen)
{
    for (size_t i = 0; i < sizeof(endpoint_only) / sizeof(endpoint_only[0]); i++) {
        kconf_id id = endpoint_only[i];
        /* clientId and the like may come from sasl.jaas.config unset */
        bool no_default = kconf_prop_of(id)->def[0] == '\0';
        if (conf->set[id] || (no_default && has(conf, id)))
            return kconf_error(errstr, errlen,
                               "%s is set, but it is only used with "
                               "sasl.oauthbearer.token.endpoint.url, which is not",
                               name_of(id));
    }
    return KFK_OK;
}

/* What the endpoint's scheme needs: credentials for http(s), none for a
 * token file. */
static kfk_err check_endpoint(const kfk_conf *conf, char *errstr, size_t errlen)
{
    const char *url = conf->vals[KCONF_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL].s;
    const char *mech = kconf_str(conf, KCONF_SASL_MECHANISM);
    if (strcasecmp(mech, "OAUTHBEARER") != 0)
        return kconf_error(errstr, errlen,
                           "sasl.oauthbearer.token.endpoint.url is set, but sasl.mechanism=%s "
                           "(it is for OAUTHBEARER)",
                           mech);
    void *opaque;
    kconf_cb(conf, KCONF_SASL_MECHANISM_CB, &opaque);
    const kfk_sasl_mechanism *app = opaque;
    if (app && strcasecmp(app->name, mech) == 0)
        return kconf_error(errstr, errlen,
                           "sasl.oauthbearer.token.endpoint.url is set, but the application's "
                           "own OAUTHBEARER mechanism (kfk_conf_set_sasl_mechanism) would not "
                           "use it");
    if (kconf_cb(conf, KCONF_SASL_OAUTHBEARER_TOKEN_CB, &opaque))
        return kconf_error(errstr, errlen,
                           "sasl.oauthbearer.token.endpoint.url and "
                           "kfk_conf_set_oauthbearer_token_cb both supply tokens: use one");
    if (strncasecmp(url, "file://", 7) == 0) {
        static const kconf_id unused[] = {KCONF_SASL_OAUTHBEARER_CLIENT_ID,
                                          KCONF_SASL_OAUTHBEARER_CLIENT_SECRET,
                                          KCONF_SASL_OAUTHBEARER_SCOPE};
        for (size_t i = 0; i < 3; i++)
            if (has(conf, unused[i]))
                return kconf_error(errstr, errlen,
                                   "%s is set, but sasl.oauthbearer.token.endpoint.url is a "
                                   "file:// URL, which needs no credentials",
                                   name_of(unused[i]));
        return KFK_OK;
    }
    if (strncasecmp(url, "https://", 8) != 0 && strncasecmp(url, "http://", 7) != 0)
        return kconf_error(errstr, errlen,
                           "sasl.oauthbearer.token.endpoint.url must be an https://, http:// or "
                           "file:// URL");
    if (!has(conf, KCONF_SASL_OAUTHBEARER_CLIENT_ID) ||
        !has(conf, KCONF_SASL_OAUTHBEARER_CLIENT_SECRET))
        return kconf_error(errstr, errlen,
                           "sasl.oauthbearer.token.endpoint.url needs "
                           "sasl.oauthbearer.client.credentials.client.id and "
                           "sasl.oauthbearer.client.credentials.client.secret (or the clientId "
                           "and clientSecret options of sasl.jaas.config)");
    return KFK_OK;
}

kfk_err kconf_check_oidc(kfk_conf *conf, char *errstr, size_t errlen)
{
    kfk_err err =
        take_jaas_option(conf, "clientId", KCONF_SASL_OAUTHBEARER_CLIENT_ID, errstr, errlen);
    if (!err)
        err = take_jaas_option(conf, "clientSecret", KCONF_SASL_OAUTHBEARER_CLIENT_SECRET, errstr,
                               errlen);
    if (!err) err = take_jaas_option(conf, "scope", KCONF_SASL_OAUTHBEARER_SCOPE, errstr, errlen);
    if (err) return err;
    if (!has(conf, KCONF_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL))
        return check_unused(conf, errstr, errlen);
    return check_endpoint(conf, errstr, errlen);
}
