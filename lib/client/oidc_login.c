/* The OIDC client_credentials login (see oidc_login.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/ssl.h>

#include "base/time.h"
#include "client/oidc_login.h"
#include "net/http.h"
#include "sasl/oidc.h"

/* A token file bigger than this is not a token. */
#define FILE_TOKEN_MAX (64 * 1024)

struct koidc_login {
    char *file;         /* a file:// endpoint's path, else NULL */
    khttp_url url;      /* an http(s) endpoint */
    ktls_ctx *tls;      /* https */
    kbuf authorization; /* "Basic ...", NUL-terminated; a secret */
    kbuf body;          /* the form body */
    koidc_claim_names names;
    char *sub_claim, *scope_claim;
    int connect_timeout_ms, read_timeout_ms;
    int64_t backoff_ms, backoff_max_ms;
    const atomic_bool *stop;
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wipe_buf(kbuf *b)
{
    if (b->data) explicit_bzero(b->data, b->cap);
    kbuf_free(b);
}

void koidc_login_free(koidc_login *l)
{
    if (!l) return;
    free(l->file);
    ktls_ctx_free(l->tls);
    wipe_buf(&l->authorization);
    wipe_buf(&l->body);
    free(l->sub_claim);
    free(l->scope_claim);
    free(l);
}

/* --- building it ---------------------------------------------------------------- */

/* The JAAS options Java's login reads for the endpoint's TLS. */
typedef struct jaas_tls {
    char *location, *type, *password, *certificates, *endpoint_id;
} jaas_tls;

static void jaas_tls_free(jaas_tls *j)
{
    free(j->location);
    free(j->type);
    if (j->password) explicit_bzero(j->password, strlen(j->password));
    free(j->password);
    free(j->certificates);
    free(j->endpoint_id);
}

static kfk_err read_jaas_tls(const kfk_conf *conf, jaas_tls *j)
{
    const char *jaas = conf->vals[KCONF_SASL_JAAS_CONFIG].s;
    memset(j, 0, sizeof(*j));
    if (!jaas) return KFK_OK;
    if (kconf_jaas_option(jaas, "ssl.truststore.location", &j->location) ||
        kconf_jaas_option(jaas, "ssl.truststore.type", &j->type) ||
        kconf_jaas_option(jaas, "ssl.truststore.password", &j->password) ||
        kconf_jaas_option(jaas, "ssl.truststore.certificates", &j->certificates) ||
        kconf_jaas_option(jaas, "ssl.endpoint.identification.algorithm", &j->endpoint_id))
        return KFK_ERR_NO_MEMORY;
    return KFK_OK;
}

static kfk_err build_tls(koidc_login *l, const kfk_conf *conf, char *errstr, size_t errlen)
{
    jaas_tls j;
    if (read_jaas_tls(conf, &j)) {
        jaas_tls_free(&j);
        return KFK_ERR_NO_MEMORY;
    }
    ktls_config tc = {0};
    tc.truststore_location = j.location;
    tc.truststore_type = j.type;
    tc.truststore_password = j.password;
    tc.truststore_certificates = j.certificates;
    tc.verify_hostname = !j.endpoint_id || strcasecmp(j.endpoint_id, "https") == 0;
    tc.min_version = TLS1_2_VERSION;
    tc.max_version = TLS1_3_VERSION;
    kfk_err err = KFK_OK;
    if (j.endpoint_id && *j.endpoint_id && strcasecmp(j.endpoint_id, "https") != 0) {
        snprintf(errstr, errlen,
                 "sasl.jaas.config: ssl.endpoint.identification.algorithm must be https or \"\"");
        err = KFK_ERR_CONFIG;
    } else {
        char why[256] = "";
        if (!(l->tls = ktls_ctx_new(&tc, why, sizeof(why)))) {
            snprintf(errstr, errlen,
                     "sasl.oauthbearer.token.endpoint.url's TLS (the ssl.* "
                     "options of sasl.jaas.config): %s",
                     why);
            err = KFK_ERR_CONFIG;
        }
    }
    jaas_tls_free(&j);
    return err;
}

/* The request is the same every time: build it once. */
static kfk_err build_request(koidc_login *l, const kfk_conf *conf)
{
    const char *id = conf->vals[KCONF_SASL_OAUTHBEARER_CLIENT_ID].s;
    const char *secret = conf->vals[KCONF_SASL_OAUTHBEARER_CLIENT_SECRET].s;
    bool urlencode = kconf_int(conf, KCONF_SASL_OAUTHBEARER_HEADER_URLENCODE) != 0;
    if (koidc_basic_auth(id, secret, urlencode, &l->authorization)) return KFK_ERR_NO_MEMORY;
    return koidc_form_body(conf->vals[KCONF_SASL_OAUTHBEARER_SCOPE].s, &l->body);
}

static kfk_err init_endpoint(koidc_login *l, const kfk_conf *conf, const char *url, char *errstr,
                             size_t errlen)
{
    if (strncasecmp(url, "file://", 7) == 0) {
        l->file = strdup(url + 7);
        return l->file ? KFK_OK : KFK_ERR_NO_MEMORY;
    }
    kfk_err err = khttp_url_parse(url, &l->url, errstr, errlen);
    if (!err && l->url.tls) err = build_tls(l, conf, errstr, errlen);
    if (!err) err = build_request(l, conf);
    return err;
}

koidc_login *koidc_login_new(const kfk_conf *conf, const atomic_bool *stop, kfk_err *err,
                             char *errstr, size_t errlen)
{
    const char *url = conf->vals[KCONF_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL].s;
    *err = KFK_OK;
    if (!url || !*url) return NULL;
    koidc_login *l = calloc(1, sizeof(*l));
    if (!l) {
        *err = KFK_ERR_NO_MEMORY;
        return NULL;
    }
    l->stop = stop;
    l->sub_claim = strdup(kconf_str(conf, KCONF_SASL_OAUTHBEARER_SUB_CLAIM_NAME));
    l->scope_claim = strdup(kconf_str(conf, KCONF_SASL_OAUTHBEARER_SCOPE_CLAIM_NAME));
    l->names = (koidc_claim_names){l->sub_claim, l->scope_claim};
    l->connect_timeout_ms = (int)kconf_i64(conf, KCONF_SASL_LOGIN_CONNECT_TIMEOUT_MS);
    l->read_timeout_ms = (int)kconf_i64(conf, KCONF_SASL_LOGIN_READ_TIMEOUT_MS);
    l->backoff_ms = kconf_i64(conf, KCONF_SASL_LOGIN_RETRY_BACKOFF_MS);
    l->backoff_max_ms = kconf_i64(conf, KCONF_SASL_LOGIN_RETRY_BACKOFF_MAX_MS);
    *err = !l->sub_claim || !l->scope_claim ? KFK_ERR_NO_MEMORY
                                            : init_endpoint(l, conf, url, errstr, errlen);
    if (*err) {
        if (*err == KFK_ERR_NO_MEMORY) snprintf(errstr, errlen, "out of memory");
        koidc_login_free(l);
        return NULL;
    }
    return l;
}

/* --- fetching a token ------------------------------------------------------------ */

/* A file:// endpoint: the file holds the token, maybe with white space
 * around it. */
static kfk_err read_file_token(const koidc_login *l, koidc_token *out, char *errstr, size_t errlen)
{
    FILE *f = fopen(l->file, "re");
    if (!f) {
        snprintf(errstr, errlen, "sasl.oauthbearer.token.endpoint.url: cannot read %s: %s", l->file,
                 strerror(errno));
        return KFK_ERR_AUTH;
    }
    char *buf = malloc(FILE_TOKEN_MAX + 1);
    size_t n = buf ? fread(buf, 1, FILE_TOKEN_MAX + 1, f) : 0;
    fclose(f);
    if (!buf) return KFK_ERR_NO_MEMORY;
    size_t start = 0;
    while (n && strchr(" \t\r\n", buf[n - 1]))
        n--;
    while (start < n && strchr(" \t\r\n", buf[start]))
        start++;
    kfk_err err;
    if (n > FILE_TOKEN_MAX) {
        snprintf(errstr, errlen, "sasl.oauthbearer.token.endpoint.url: %s is too big for a token",
                 l->file);
        err = KFK_ERR_AUTH;
    } else {
        err = koidc_check_token(buf + start, n - start, &l->names, wall_ms(), out, errstr, errlen);
    }
    explicit_bzero(buf, FILE_TOKEN_MAX + 1);
    free(buf);
    return err;
}

/* One POST to the endpoint and its answer read. */
static kfk_err ask_once(const koidc_login *l, koidc_token *out, char *errstr, size_t errlen)
{
    khttp_request req = {
        .url = &l->url,
        .authorization = (const char *)l->authorization.data,
        .content_type = "application/x-www-form-urlencoded",
        .body = (const char *)l->body.data,
        .body_len = l->body.len,
        .connect_timeout_ms = l->connect_timeout_ms,
        .read_timeout_ms = l->read_timeout_ms,
        .tls = l->tls,
    };
    khttp_response resp;
    kfk_err err = khttp_post(&req, &resp, errstr, errlen);
    if (err) return err;
    err = koidc_read_answer(resp.status, resp.reason, (const char *)resp.body.data, resp.body.len,
                            &l->names, wall_ms(), out, errstr, errlen);
    if (resp.body.data) explicit_bzero(resp.body.data, resp.body.len);
    khttp_response_free(&resp);
    return err;
}

static bool worth_retrying(kfk_err err)
{
    return err == KFK_ERR_TRANSPORT;
}

/* Sleeps ms, in short naps so a client going away is not held up. */
static bool nap(const koidc_login *l, int64_t ms)
{
    int64_t end = ktime_mono_ns() + ms * KTIME_NS_PER_MS;
    for (;;) {
        if (l->stop && atomic_load(l->stop)) return false;
        int64_t left = end - ktime_mono_ns();
        if (left <= 0) return true;
        if (left > 50 * KTIME_NS_PER_MS) left = 50 * KTIME_NS_PER_MS;
        struct timespec ts = {0, (long)left};
        nanosleep(&ts, NULL);
    }
}

/* As Java's login: attempts with waits that double from
 * sasl.login.retry.backoff.ms, until the waits would pass
 * sasl.login.retry.backoff.max.ms; refusals (4xx) and bad tokens are
 * final at once. */
static kfk_err ask(const koidc_login *l, koidc_token *out, char *errstr, size_t errlen)
{
    int64_t waited_ms = 0, wait_ms = l->backoff_ms;
    for (;;) {
        kfk_err err = ask_once(l, out, errstr, errlen);
        if (!worth_retrying(err) || waited_ms + wait_ms > l->backoff_max_ms) return err;
        if (!nap(l, wait_ms)) return err;
        waited_ms += wait_ms;
        wait_ms = wait_ms ? wait_ms * 2 : 1;
    }
}

kfk_err koidc_login_fetch(void *opaque, char *token, size_t token_size, int64_t *expiry_ms,
                          char *errstr, size_t errlen)
{
    const koidc_login *l = opaque;
    koidc_token t;
    kfk_err err = l->file ? read_file_token(l, &t, errstr, errlen) : ask(l, &t, errstr, errlen);
    if (err) return err;
    size_t n = strlen(t.token);
    if (n >= token_size) {
        snprintf(errstr, errlen, "the token endpoint's token is over %zu bytes", token_size - 1);
        err = KFK_ERR_AUTH;
    } else {
        memcpy(token, t.token, n + 1);
        *expiry_ms = t.expiry_ms;
    }
    koidc_token_free(&t);
    return err;
}
