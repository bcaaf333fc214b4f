/* AWS_MSK_IAM. What the broker expects, as aws-msk-iam-auth (the reference
 * Java client) and other open implementations of it show:
 *  - one client message, a JSON object of strings: "version" "2020_10_22",
 *    "host" (the broker host name, also the one signed header),
 *    "user-agent", and each query parameter of the presigned request with
 *    its name lower-cased and its value not percent-encoded: "action"
 *    "kafka-cluster:Connect", "x-amz-algorithm", "x-amz-credential",
 *    "x-amz-date", "x-amz-expires", "x-amz-signedheaders" "host",
 *    "x-amz-signature", and "x-amz-security-token" with session
 *    credentials;
 *  - the presigned request is GET "/" with the query Action=kafka-cluster:
 *    Connect to https://<host>, service "kafka-cluster", empty payload; the
 *    session token is in the signed query, as AWS SDK presigners put it;
 *  - it expires after 15 minutes (X-Amz-Expires 900);
 *  - the broker answers {"version":"2020_10_22","request-id":"..."}, and
 *    the client rejects another version or a missing request id. */
#include "sasl/msk_iam.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sasl/json.h"
#include "sasl/sigv4.h"

static bool blank(const char *s)
{
    return !s || !*s;
}

/* A host name as it may appear in a header: no spaces, controls or port. */
static bool valid_host(const char *h)
{
    if (blank(h)) return false;
    for (; *h; h++)
        if ((unsigned char)*h <= ' ' || *h == 0x7f || *h == ':' || *h == '/') return false;
    return true;
}

static int put_member(kbuf *out, const char *name, const char *value, bool first)
{
    return (!first && kbuf_append(out, ",", 1)) || kjson_put_string(out, name, strlen(name)) ||
           kbuf_append(out, ":", 1) || kjson_put_string(out, value, strlen(value));
}

static kfk_err write_payload(const kmsk_params *p, const ksigv4_signed *s, const char *expires,
                             kbuf *out)
{
    char agent[64];
    const char *ua = p->user_agent;
    if (blank(ua)) {
        snprintf(agent, sizeof(agent), "kfk/%s", kfk_version_str());
        ua = agent;
    }
    bool token = !blank(p->session_token);
    if (kbuf_append(out, "{", 1) || put_member(out, "version", KMSK_VERSION, true) ||
        put_member(out, "host", p->host, false) || put_member(out, "user-agent", ua, false) ||
        put_member(out, "action", KMSK_ACTION, false) ||
        put_member(out, "x-amz-algorithm", KSIGV4_ALGORITHM, false) ||
        put_member(out, "x-amz-credential", s->credential, false) ||
        put_member(out, "x-amz-date", s->amz_date, false) ||
        (token && put_member(out, "x-amz-security-token", p->session_token, false)) ||
        put_member(out, "x-amz-signedheaders", s->signed_headers, false) ||
        put_member(out, "x-amz-expires", expires, false) ||
        put_member(out, "x-amz-signature", s->signature, false) || kbuf_append(out, "}", 1))
        return KFK_ERR_NO_MEMORY;
    return KFK_OK;
}

kfk_err kmsk_payload(const kmsk_params *p, kbuf *out)
{
    if (!p || !out || blank(p->access_key) || blank(p->secret_key) || !valid_host(p->host))
        return KFK_ERR_INVALID_ARG;
    char region[KMSK_REGION_MAX];
    if (blank(p->region)) {
        kfk_err err = kmsk_region_from_host(p->host, region);
        if (err) return err;
    } else if (strlen(p->region) >= sizeof(region)) {
        return KFK_ERR_INVALID_ARG;
    } else {
        memcpy(region, p->region, strlen(p->region) + 1);
    }
    int64_t expires_s = p->expires_s ? p->expires_s : KMSK_DEFAULT_EXPIRES_S;
    ksigv4_param action = {"Action", KMSK_ACTION};
    ksigv4_header host = {"host", p->host};
    ksigv4_request req = {.method = "GET",
                          .path = "/",
                          .query = &action,
                          .query_count = 1,
                          .headers = &host,
                          .header_count = 1};
    ksigv4_creds creds = {p->access_key, p->secret_key, p->session_token};
    ksigv4_scope scope = {region, KMSK_SERVICE, p->time_s};
    ksigv4_signed s;
    kfk_err err = ksigv4_presign(&req, &creds, &scope, expires_s, &s);
    if (err) return err;
    char expires[24];
    snprintf(expires, sizeof(expires), "%lld", (long long)expires_s);
    size_t old_len = out->len;
    err = write_payload(p, &s, expires, out);
    if (err) out->len = old_len;
    ksigv4_signed_free(&s);
    return err;
}

/* --- region ---------------------------------------------------------------- */

/* "us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1": two letters,
 * then '-'-separated lower-case words, the last one a number. */
static bool region_shaped(const char *s, size_t n)
{
    if (n < 6 || n >= KMSK_REGION_MAX) return false;
    if (!(s[0] >= 'a' && s[0] <= 'z' && s[1] >= 'a' && s[1] <= 'z' && s[2] == '-')) return false;
    size_t last_dash = 2, dashes = 0;
    for (size_t i = 2; i < n; i++) {
        char c = s[i];
        if (c == '-') {
            if (i == last_dash + 1 && i != 2) return false; /* empty word */
            last_dash = i;
            dashes++;
        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
            return false;
        }
    }
    if (dashes < 2 || last_dash + 1 >= n) return false;
    for (size_t i = last_dash + 1; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

kfk_err kmsk_region_from_host(const char *host, char out[KMSK_REGION_MAX])
{
    if (!host) return KFK_ERR_INVALID_ARG;
    size_t n = strlen(host);
    if (n == 0 || n > 253 + 1) return KFK_ERR_INVALID_ARG;
    char lc[256];
    for (size_t i = 0; i <= n; i++)
        lc[i] = (char)(host[i] >= 'A' && host[i] <= 'Z' ? host[i] + 32 : host[i]);
    /* The label before each ".amazonaws." (or a final ".amazonaws"). */
    for (const char *a = strstr(lc, ".amazonaws"); a; a = strstr(a + 1, ".amazonaws")) {
        char after = a[10];
        if (after != '.' && after != '\0') continue;
        const char *start = a;
        while (start > lc && start[-1] != '.')
            start--;
        size_t len = (size_t)(a - start);
        if (region_shaped(start, len)) {
            memcpy(out, start, len);
            out[len] = '\0';
            return KFK_OK;
        }
    }
    return KFK_ERR_INVALID_ARG;
}

/* --- environment ----------------------------------------------------------- */

static kfk_err env_copy(kmsk_getenv_fn *get, void *arg, const char *name, char **out)
{
    *out = NULL;
    const char *v = get(arg, name);
    if (!v) return KFK_OK;
    while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
        v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\n' || v[n - 1] == '\r'))
        n--;
    if (!n) return KFK_OK;
    if (!(*out = strndup(v, n))) return KFK_ERR_NO_MEMORY;
    return KFK_OK;
}

void kmsk_env_free(kmsk_env *e)
{
    free(e->access_key);
    if (e->secret_key) {
        memset(e->secret_key, 0, strlen(e->secret_key));
        free(e->secret_key);
    }
    free(e->session_token);
    free(e->region);
    memset(e, 0, sizeof(*e));
}

kfk_err kmsk_env_read(kmsk_getenv_fn *get, void *arg, kmsk_env *out)
{
    memset(out, 0, sizeof(*out));
    if (!get) return KFK_ERR_INVALID_ARG;
    kfk_err err = env_copy(get, arg, "AWS_ACCESS_KEY_ID", &out->access_key);
    if (!err) err = env_copy(get, arg, "AWS_SECRET_ACCESS_KEY", &out->secret_key);
    if (!err) err = env_copy(get, arg, "AWS_SESSION_TOKEN", &out->session_token);
    if (!err) err = env_copy(get, arg, "AWS_REGION", &out->region);
    if (!err && !out->region) err = env_copy(get, arg, "AWS_DEFAULT_REGION", &out->region);
    if (!err && (!out->access_key || !out->secret_key)) err = KFK_ERR_CONFIG;
    if (err) kmsk_env_free(out);
    return err;
}

/* --- the broker's answer --------------------------------------------------- */

kfk_err kmsk_parse_response(const void *buf, size_t len, char *request_id, size_t request_id_len)
{
    kjson_value version, id;
    kfk_err err = kjson_object_get(buf, len, "version", &version);
    if (!err) err = kjson_object_get(buf, len, "request-id", &id);
    if (err) return err == KFK_ERR_NO_MEMORY ? err : KFK_ERR_MALFORMED;
    kbuf v = {0}, r = {0};
    err = kjson_string(&version, &v);
    if (!err) err = kjson_string(&id, &r);
    if (!err && (v.len != strlen(KMSK_VERSION) || memcmp(v.data, KMSK_VERSION, v.len) != 0))
        err = KFK_ERR_MALFORMED;
    if (!err && request_id_len) {
        size_t n = r.len < request_id_len - 1 ? r.len : request_id_len - 1;
        for (size_t i = 0; i < n; i++)
            request_id[i] = r.data[i] >= 0x20 && r.data[i] < 0x7f ? (char)r.data[i] : '?';
        request_id[n] = '\0';
    }
    kbuf_free(&v);
    kbuf_free(&r);
    return err;
}
