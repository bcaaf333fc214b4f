/* kconf_resolve_kerberos: the GSSAPI settings, gathered in one place.
 * Java sets the key tab, the principal and the service name in
 * sasl.jaas.config (Krb5LoginModule's useKeyTab, keyTab, principal,
 * serviceName); librdkafka in sasl.kerberos.* properties. kfk takes
 * either, refuses both at once, and moves the JAAS options into the
 * properties so the SASL code reads one place. A Kerberos setting that
 * would not be used (another mechanism, no key tab) is refused rather
 * than ignored. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/conf.h"

static bool has(const kfk_conf *conf, kconf_id id)
{
    return conf->vals[id].s && *conf->vals[id].s;
}

static const char *name_of(kconf_id id)
{
    return kconf_prop_of(id)->name;
}

/* Kerberos settings that only GSSAPI reads. */
static const kconf_id kerberos_ids[] = {
    KCONF_SASL_KERBEROS_SERVICE_NAME,
    KCONF_SASL_KERBEROS_KINIT_CMD,
    KCONF_SASL_KERBEROS_MIN_TIME_BEFORE_RELOGIN,
    KCONF_SASL_KERBEROS_KEYTAB,
    KCONF_SASL_KERBEROS_PRINCIPAL,
};

static kfk_err refuse_unused(const kfk_conf *conf, const char *why, char *errstr, size_t errlen)
{
    for (size_t i = 0; i < sizeof(kerberos_ids) / sizeof(kerberos_ids[0]); i++)
        if (kconf_is_set(conf, kerberos_ids[i]))
            return kconf_error(errstr, errlen, "%s is set, but %s", name_of(kerberos_ids[i]), why);
    return KFK_OK;
}

typedef struct jaas_krb5 {
    char *use_keytab, *keytab, *principal, *service;
} jaas_krb5;

static void jaas_krb5_free(jaas_krb5 *j)
{
    free(j->use_keytab);
    free(j->keytab);
    free(j->principal);
    free(j->service);
}

static kfk_err read_jaas(const char *jaas, jaas_krb5 *j)
{
    if (kconf_jaas_option(jaas, "useKeyTab", &j->use_keytab) ||
        kconf_jaas_option(jaas, "keyTab", &j->keytab) ||
        kconf_jaas_option(jaas, "principal", &j->principal) ||
        kconf_jaas_option(jaas, "serviceName", &j->service))
        return KFK_ERR_NO_MEMORY;
    return KFK_OK;
}

/* Moves *from into property id unless the property is set too. */
static kfk_err take(kfk_conf *conf, kconf_id id, char **from, const char *option, char *errstr,
                    size_t errlen)
{
    if (!*from) return KFK_OK;
    if (has(conf, id) && strcmp(conf->vals[id].s, *from) != 0)
        return kconf_error(errstr, errlen,
                           "sasl.jaas.config's %s and %s disagree: set one of them", option,
                           name_of(id));
    free(conf->vals[id].s);
    conf->vals[id].s = *from;
    *from = NULL;
    return KFK_OK;
}

static kfk_err take_jaas(kfk_conf *conf, jaas_krb5 *j, char *errstr, size_t errlen)
{
    bool use_keytab = j->use_keytab && strcasecmp(j->use_keytab, "true") == 0;
    if (use_keytab && !j->keytab)
        return kconf_error(errstr, errlen, "sasl.jaas.config has useKeyTab=true but no keyTab");
    if (!use_keytab && j->keytab)
        return kconf_error(errstr, errlen,
                           "sasl.jaas.config names a keyTab but lacks useKeyTab=true");
    kfk_err err = take(conf, KCONF_SASL_KERBEROS_KEYTAB, &j->keytab, "keyTab", errstr, errlen);
    if (!err)
        err = take(conf, KCONF_SASL_KERBEROS_PRINCIPAL, &j->principal, "principal", errstr,
                   errlen);
    if (!err)
        err = take(conf, KCONF_SASL_KERBEROS_SERVICE_NAME, &j->service, "serviceName", errstr,
                   errlen);
    return err;
}

/* What a key tab needs, and what only a key tab uses. */
static kfk_err check_keytab(const kfk_conf *conf, char *errstr, size_t errlen)
{
    bool keytab = has(conf, KCONF_SASL_KERBEROS_KEYTAB);
    if (keytab && !has(conf, KCONF_SASL_KERBEROS_PRINCIPAL))
        return kconf_error(errstr, errlen,
                           "sasl.kerberos.keytab needs sasl.kerberos.principal (or principal in "
                           "sasl.jaas.config): the principal to log in as");
    if (keytab) return KFK_OK;
    static const kconf_id keytab_only[] = {KCONF_SASL_KERBEROS_PRINCIPAL,
                                           KCONF_SASL_KERBEROS_KINIT_CMD,
                                           KCONF_SASL_KERBEROS_MIN_TIME_BEFORE_RELOGIN};
    for (size_t i = 0; i < sizeof(keytab_only) / sizeof(keytab_only[0]); i++) {
        kconf_id id = keytab_only[i];
        /* The principal may have come from sasl.jaas.config. */
        bool given = id == KCONF_SASL_KERBEROS_PRINCIPAL ? has(conf, id) : kconf_is_set(conf, id);
        if (given)
            return kconf_error(errstr, errlen,
                               "%s is used only with a key tab (sasl.kerberos.keytab, or "
                               "useKeyTab=true keyTab=... in sasl.jaas.config); without one kfk "
                               "uses the ticket cache as it is",
                               name_of(id));
    }
    return KFK_OK;
}

kfk_err kconf_resolve_kerberos(kfk_conf *conf, bool gssapi, char *errstr, size_t errlen)
{
    if (!gssapi)
        return refuse_unused(conf, "sasl.mechanism is not kfk's GSSAPI (or there is no SASL)",
                             errstr, errlen);
    if (has(conf, KCONF_SASL_USERNAME) || has(conf, KCONF_SASL_PASSWORD))
        return kconf_error(errstr, errlen,
                           "sasl.username and sasl.password are not used by GSSAPI, which "
                           "authenticates with Kerberos tickets");
    const char *jaas = conf->vals[KCONF_SASL_JAAS_CONFIG].s;
    if (jaas) {
        jaas_krb5 j = {0};
        kfk_err err = read_jaas(jaas, &j);
        if (!err) err = take_jaas(conf, &j, errstr, errlen);
        jaas_krb5_free(&j);
        if (err == KFK_ERR_NO_MEMORY) return kconf_error(errstr, errlen, "out of memory");
        if (err) return err;
    }
    return check_keytab(conf, errstr, errlen);
}
