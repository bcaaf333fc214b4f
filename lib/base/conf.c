/* kfk_conf: the public configuration object. Each property has one typed
 * slot (struct kfk_conf in conf.h); setting parses the text into a fresh
 * value first and swaps it in only when it is valid, so a failed set
 * leaves the old value. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/conf.h"

/* --- names ------------------------------------------------------------------ */

int kconf_lookup(const char *name)
{
    size_t n;
    const kconf_prop *t = kconf_table(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0) return (int)i;
    return -1;
}

int kconf_distance(const char *a, const char *b, int cap)
{
    enum { MAXLEN = 128 };
    size_t la = strlen(a), lb = strlen(b);
    if (la >= MAXLEN || lb >= MAXLEN) return cap + 1;
    if ((la > lb ? la - lb : lb - la) > (size_t)cap) return cap + 1;
    /* Three rows of the optimal string alignment table: i-2, i-1, i. */
    int rows[3][MAXLEN];
    int *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        int row_min = cur[0];
        for (size_t j = 1; j <= lb; j++) {
            char ca = (char)tolower((unsigned char)a[i - 1]);
            char cb = (char)tolower((unsigned char)b[j - 1]);
            int cost = ca != cb;
            int d = prev[j] + 1;
            if (cur[j - 1] + 1 < d) d = cur[j - 1] + 1;
            if (prev[j - 1] + cost < d) d = prev[j - 1] + cost;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < d)
                d = prev2[j - 2] + 1;
            cur[j] = d;
            if (d < row_min) row_min = d;
        }
        if (row_min > cap) return cap + 1;
        int *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb] > cap ? cap + 1 : prev[lb];
}

const char *kconf_suggest(const char *name)
{
    enum { MAX_DISTANCE = 3 };
    size_t n;
    const kconf_prop *t = kconf_table(&n);
    const char *best = NULL;
    int best_d = MAX_DISTANCE + 1;
    for (size_t i = 0; i < n; i++) {
        if (t[i].type == KCONF_T_CALLBACK) continue;
        int d = kconf_distance(name, t[i].name, MAX_DISTANCE);
        if (d < best_d) {
            best_d = d;
            best = t[i].name;
        }
    }
    return best;
}

/* The message for a name that is not a property. */
static kfk_err unknown_name(const char *name, char *errstr, size_t errlen)
{
    const kconf_hint_row *h = kconf_hint(name);
    if (h && h->use)
        return kconf_error(errstr, errlen,
                           "unknown property \"%s\"; kfk uses the Java name \"%s\"%s%s%s", name,
                           h->use, h->why ? " (" : "", h->why ? h->why : "", h->why ? ")" : "");
    if (h)
        return kconf_error(errstr, errlen,
                           "unknown property \"%s\": a Java client property kfk does not have; %s",
                           name, h->why);
    const char *near = kconf_suggest(name);
    if (near)
        return kconf_error(errstr, errlen, "unknown property \"%s\"; did you mean \"%s\"?", name,
                           near);
    return kconf_error(errstr, errlen, "unknown property \"%s\"", name);
}

/* --- the object ------------------------------------------------------------ */

/* Parses p's default into v. The table's defaults always parse (conf_test
 * checks each), so only allocation can fail. */
static kfk_err set_default(const kconf_prop *p, const char *def, kconf_value *v)
{
    memset(v, 0, sizeof(*v));
    if (p->type == KCONF_T_CALLBACK) return KFK_OK;
    if (!def) {
        v->null = true;
        return KFK_OK;
    }
    return kconf_parse(p, def, v, NULL, 0);
}

kfk_conf *kfk_conf_new(void)
{
    kfk_conf *conf = calloc(1, sizeof(*conf));
    if (!conf) return NULL;
    for (int id = 0; id < KCONF__COUNT; id++) {
        const kconf_prop *p = kconf_prop_of((kconf_id)id);
        if (set_default(p, p->def, &conf->vals[id]) != KFK_OK) {
            kfk_conf_destroy(conf);
            return NULL;
        }
    }
    return conf;
}

void kfk_conf_destroy(kfk_conf *conf)
{
    if (!conf) return;
    for (int id = 0; id < KCONF__COUNT; id++)
        kconf_value_free(kconf_prop_of((kconf_id)id), &conf->vals[id]);
    free(conf);
}

kfk_conf *kfk_conf_dup(const kfk_conf *conf)
{
    if (!conf) return NULL;
    kfk_conf *dup = malloc(sizeof(*dup));
    if (!dup) return NULL;
    memcpy(dup, conf, sizeof(*dup));
    /* Give the copy its own strings; on failure free only the copies made. */
    for (int id = 0; id < KCONF__COUNT; id++) {
        if (!conf->vals[id].s) continue;
        if (!(dup->vals[id].s = strdup(conf->vals[id].s))) {
            for (int k = id + 1; k < KCONF__COUNT; k++)
                dup->vals[k].s = NULL;
            kfk_conf_destroy(dup);
            return NULL;
        }
    }
    return dup;
}

kfk_err kfk_conf_set(kfk_conf *conf, const char *name, const char *value, char *errstr,
                     size_t errlen)
{
    if (errstr && errlen > 0) errstr[0] = '\0';
    if (!conf || !name) {
        kconf_error(errstr, errlen, "kfk_conf_set: conf and name must not be NULL");
        return KFK_ERR_INVALID_ARG;
    }
    int id = kconf_lookup(name);
    if (id < 0) return unknown_name(name, errstr, errlen);
    const kconf_prop *p = kconf_prop_of((kconf_id)id);

    kconf_value v;
    memset(&v, 0, sizeof(v));
    kfk_err err;
    if (value || p->type == KCONF_T_CALLBACK) /* a callback: the message names its setter */
        err = kconf_parse(p, value ? value : "", &v, errstr, errlen);
    else
        err = set_default(p, p->def, &v);
    if (err) {
        if (err == KFK_ERR_NO_MEMORY) kconf_error(errstr, errlen, "out of memory");
        kconf_value_free(p, &v);
        return err;
    }
    kconf_value_free(p, &conf->vals[id]);
    conf->vals[id] = v;
    conf->set[id] = value != NULL;
    return KFK_OK;
}

kfk_err kfk_conf_get(const kfk_conf *conf, const char *name, char *buf, size_t *len)
{
    if (!conf || !name || !len) return KFK_ERR_INVALID_ARG;
    int id = kconf_lookup(name);
    if (id < 0) return KFK_ERR_CONFIG;
    const kconf_prop *p = kconf_prop_of((kconf_id)id);
    size_t need = (size_t)kconf_format(p, &conf->vals[id], NULL, 0) + 1;
    if (!buf || *len < need) {
        *len = need;
        return KFK_ERR_TOO_LARGE;
    }
    kconf_format(p, &conf->vals[id], buf, *len);
    *len = need;
    return KFK_OK;
}

/* --- callbacks ---------------------------------------------------------------- */

kfk_err kfk_conf_add_interceptor(kfk_conf *conf, const kfk_interceptor *ops, void *opaque)
{
    if (!conf || !ops || conf->n_icpt >= KFK_INTERCEPTORS_MAX) return KFK_ERR_INVALID_ARG;
    for (size_t i = 0; i < sizeof(ops->reserved) / sizeof(ops->reserved[0]); i++)
        if (ops->reserved[i]) return KFK_ERR_INVALID_ARG;
    if (!ops->on_send && !ops->on_acknowledgement && !ops->on_consume && !ops->on_commit)
        return KFK_ERR_INVALID_ARG;
    conf->icpt[conf->n_icpt++] = (kconf_icpt){*ops, opaque};
    return KFK_OK;
}

void kconf_set_cb(kfk_conf *conf, kconf_id id, kconf_fn fn, void *opaque)
{
    conf->vals[id].fn = fn;
    conf->vals[id].opaque = fn ? opaque : NULL;
    conf->set[id] = fn != NULL;
}

void kfk_conf_set_log_cb(kfk_conf *conf, kfk_log_cb *cb, void *opaque)
{
    if (!conf) return;
    kconf_set_cb(conf, KCONF_LOG_CB, (kconf_fn)cb, opaque);
}

void kfk_conf_set_error_cb(kfk_conf *conf, kfk_error_cb *cb, void *opaque)
{
    if (!conf) return;
    kconf_set_cb(conf, KCONF_ERROR_CB, (kconf_fn)cb, opaque);
}

void kfk_conf_set_throttle_cb(kfk_conf *conf, kfk_throttle_cb *cb, void *opaque)
{
    if (!conf) return;
    kconf_set_cb(conf, KCONF_THROTTLE_CB, (kconf_fn)cb, opaque);
}

void kfk_conf_set_stats_cb(kfk_conf *conf, kfk_stats_cb *cb, void *opaque)
{
    if (!conf) return;
    kconf_set_cb(conf, KCONF_STATS_CB, (kconf_fn)cb, opaque);
}

void kfk_conf_set_ssl_cert_verify_cb(kfk_conf *conf, kfk_ssl_cert_verify_cb *cb, void *opaque)
{
    if (!conf) return;
    kconf_set_cb(conf, KCONF_SSL_CERT_VERIFY_CB, (kconf_fn)cb, opaque);
}

void kfk_conf_set_oauthbearer_token_cb(kfk_conf *conf, kfk_oauthbearer_token_cb *cb,
                                       void *opaque)
{
    if (!conf) return;
    kconf_set_cb(conf, KCONF_SASL_OAUTHBEARER_TOKEN_CB, (kconf_fn)cb, opaque);
}

kfk_err kfk_conf_set_sasl_mechanism(kfk_conf *conf, const kfk_sasl_mechanism *mech)
{
    if (!conf || !mech || !mech->name || !*mech->name || !mech->start || !mech->step ||
        !mech->end)
        return KFK_ERR_INVALID_ARG;
    /* Reserved for later fields: refused unless zero, so they can get a meaning. */
    for (size_t i = 0; i < sizeof(mech->reserved) / sizeof(mech->reserved[0]); i++)
        if (mech->reserved[i]) return KFK_ERR_INVALID_ARG;
    /* The stored function only marks the slot as set; the mechanism
     * itself travels as the opaque pointer. */
    kconf_set_cb(conf, KCONF_SASL_MECHANISM_CB, (kconf_fn)mech->step, (void *)mech);
    return KFK_OK;
}

void kconf_logger(const kfk_conf *conf, klogger *lg)
{
    void *opaque;
    kfk_log_cb *cb = (kfk_log_cb *)kconf_cb(conf, KCONF_LOG_CB, &opaque);
    klogger_init(lg, cb, opaque, kconf_int(conf, KCONF_LOG_LEVEL));
}
