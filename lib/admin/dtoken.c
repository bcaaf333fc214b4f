/* Delegation tokens (KIP-48): creating, renewing, expiring and describing
 * them. Each call is one request to any broker; KRaft brokers forward the
 * changes to the controller and answer describes from their own cache.
 * A token's HMAC is a password: it is wiped when the result is freed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "admin/admin_int.h"
#include "base/err.h"
#include "proto/gen/create_delegation_token.h"
#include "proto/gen/describe_delegation_token.h"
#include "proto/gen/expire_delegation_token.h"
#include "proto/gen/renew_delegation_token.h"

/* One token, an entry's detail. Renew and expire fill expiry_ms only. */
typedef struct dtoken {
    char *owner, *requester; /* "Type:Name"; requester NULL before v3 */
    size_t n_renewers;
    char **renewers;
    int64_t issue_ms, expiry_ms, max_ms;
    uint8_t *hmac;
    size_t hmac_len;
    char *hmac_b64;
} dtoken;

static void dtoken_free(void *p)
{
    dtoken *t = p;
    if (!t) return;
    if (t->hmac) OPENSSL_cleanse(t->hmac, t->hmac_len);
    if (t->hmac_b64) OPENSSL_cleanse(t->hmac_b64, strlen(t->hmac_b64));
    free(t->hmac);
    free(t->hmac_b64);
    for (size_t i = 0; i < t->n_renewers; i++)
        free(t->renewers[i]);
    free(t->renewers);
    free(t->owner);
    free(t->requester);
    free(t);
}

static dtoken *dtoken_new(void)
{
    dtoken *t = calloc(1, sizeof(*t));
    if (t) t->issue_ms = t->expiry_ms = t->max_ms = -1;
    return t;
}

/* "Type:Name" from the wire; NULL when neither was sent, or out of memory
 * (*oom says which). */
static char *principal_text(kslice type, kslice name, bool *oom)
{
    if (!type.ptr && !name.ptr) return NULL;
    char *s = malloc(type.len + name.len + 2);
    if (!s) {
        *oom = true;
        return NULL;
    }
    snprintf(s, type.len + name.len + 2, "%.*s:%.*s", (int)type.len,
             type.ptr ? (const char *)type.ptr : "", (int)name.len,
             name.ptr ? (const char *)name.ptr : "");
    return s;
}

/* Splits "Type:Name" at its first ':' (as Java's KafkaPrincipal.fromString
 * does); false when either part is empty. */
static bool principal_split(const char *p, kslice *type, kslice *name)
{
    const char *colon = p ? strchr(p, ':') : NULL;
    if (!colon || colon == p || !colon[1]) return false;
    *type = (kslice){(const uint8_t *)p, (size_t)(colon - p)};
    *name = kwire_cstr(colon + 1);
    return true;
}

/* Copies the HMAC, and its base64 (the password a token logs in with). */
static kfk_err dtoken_set_hmac(dtoken *t, kslice hmac)
{
    t->hmac = malloc(hmac.len ? hmac.len : 1);
    t->hmac_b64 = malloc(4 * ((hmac.len + 2) / 3) + 1);
    if (!t->hmac || !t->hmac_b64) return KFK_ERR_NO_MEMORY;
    if (hmac.len) memcpy(t->hmac, hmac.ptr, hmac.len);
    t->hmac_len = hmac.len;
    EVP_EncodeBlock((unsigned char *)t->hmac_b64, t->hmac, (int)hmac.len);
    return KFK_OK;
}

static kfk_admin_result *dtoken_result_new(void)
{
    kfk_admin_result *r = kadmin_result_new(NULL, 0);
    if (!r) return NULL;
    r->kind = KADMIN_KIND_DELEGATION_TOKENS;
    r->detail_free = dtoken_free;
    return r;
}

/* Appends an entry named id (a slice; NULL ptr: no name) with err and
 * detail t (taken, also on failure). */
static kfk_err dtoken_append(kfk_admin_result *r, kslice id, kfk_err err, dtoken *t)
{
    char *name = id.ptr ? strndup((const char *)id.ptr, id.len) : NULL;
    int rc = (!id.ptr || name) ? kadmin_result_append(r, name, err) : -1;
    free(name);
    if (rc) {
        dtoken_free(t);
        return KFK_ERR_NO_MEMORY;
    }
    r->e[r->n - 1].detail = t;
    return KFK_OK;
}

/* The error that counts for retrying: only retriable ones (NOT_CONTROLLER
 * and the like); the others are the item's outcome. */
static kfk_err retriable_only(int16_t code)
{
    return kerr_retriable((kfk_err)code) ? (kfk_err)code : KFK_OK;
}

typedef struct dtoken_op {
    kadmin_wait w;
    kcall call;
    kfk_admin_result *res;
    const kfk_delegation_token_spec *spec; /* create: the renewers asked for */
    kfk_err err;                           /* the whole request's */
} dtoken_op;

/* Sends body to any broker and waits for op's done handler. */
static kfk_err dtoken_run(kfk_admin *a, dtoken_op *op, const kproto_client *api, const void *body,
                          kcall_check_fn *check, kcall_done_fn *done, int16_t min_version,
                          const kadmin_opts *o)
{
    kadmin_wait_init(&op->w);
    kcall_init(&op->call, api, body, done, op);
    op->call.route = KROUTE_ANY;
    op->call.check = check;
    if (min_version > op->call.min_version) op->call.min_version = min_version;
    op->call.deadline_ns = o->deadline_ns;
    kadmin_run(a, &op->call, &op->w);
    kadmin_wait_destroy(&op->w);
    return op->err;
}

/* Ends public call fn: an entry without a name (a refused creation,
 * renewals, expiries) is named by what it is. */
static kfk_err dtoken_end(kfk_admin *a, const char *fn, kfk_err err, int timeout_ms,
                          const kfk_admin_result *res)
{
    if (err && res && res->n == 1 && !res->e[0].name && res->e[0].err) {
        const kadmin_entry *e = &res->e[0];
        kclient_error_set(a->client, "%s: the broker refused: %s%s%.200s", fn, kfk_err_str(e->err),
                          e->msg ? "; the broker says: " : "", e->msg ? e->msg : "");
        return kclient_error_end(a->client, err);
    }
    return kadmin_end_named(a, fn, err, timeout_ms, res, "delegation token");
}

/* --- create ----------------------------------------------------------------------------- */

static kfk_err create_check(kcall *call, void *resp)
{
    (void)call;
    return retriable_only(((const kp_create_delegation_token_response *)resp)->error_code);
}

static kfk_err copy_renewers(dtoken *t, const kfk_delegation_token_spec *spec)
{
    if (!spec || !spec->n_renewers) return KFK_OK;
    if (!(t->renewers = calloc(spec->n_renewers, sizeof(char *)))) return KFK_ERR_NO_MEMORY;
    for (; t->n_renewers < spec->n_renewers; t->n_renewers++)
        if (!(t->renewers[t->n_renewers] = strdup(spec->renewers[t->n_renewers])))
            return KFK_ERR_NO_MEMORY;
    return KFK_OK;
}

static kfk_err take_created(dtoken_op *op, const kp_create_delegation_token_response *r)
{
    kfk_err code = (kfk_err)r->error_code;
    if (code) return dtoken_append(op->res, (kslice){0}, code, NULL);
    dtoken *t = dtoken_new();
    if (!t) return KFK_ERR_NO_MEMORY;
    bool oom = false;
    t->owner = principal_text(r->principal_type, r->principal_name, &oom);
    t->requester =
        principal_text(r->token_requester_principal_type, r->token_requester_principal_name, &oom);
    t->issue_ms = r->issue_timestamp_ms;
    t->expiry_ms = r->expiry_timestamp_ms;
    t->max_ms = r->max_timestamp_ms;
    /* The answer has no renewers: the token has those asked for. */
    kfk_err err = oom ? KFK_ERR_NO_MEMORY : copy_renewers(t, op->spec);
    if (!err) err = dtoken_set_hmac(t, r->hmac);
    if (err) {
        dtoken_free(t);
        return err;
    }
    return dtoken_append(op->res, r->token_id.ptr ? r->token_id : kwire_cstr(""), KFK_OK, t);
}

static void create_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    dtoken_op *op = call->opaque;
    op->err = err ? err : take_created(op, resp);
    kadmin_wait_done(&op->w);
}

static const char *spec_problem(const kfk_delegation_token_spec *spec)
{
    kslice t, n;
    for (size_t i = 0; i < sizeof(spec->reserved) / sizeof(spec->reserved[0]); i++)
        if (spec->reserved[i]) return "spec->reserved is not all zero";
    if (spec->owner && !principal_split(spec->owner, &t, &n))
        return "spec->owner is not a principal such as \"User:alice\"";
    if (!spec->renewers && spec->n_renewers) return "spec->renewers is NULL with n_renewers > 0";
    for (size_t i = 0; i < spec->n_renewers; i++)
        if (!principal_split(spec->renewers[i], &t, &n))
            return "an entry of spec->renewers is not a principal such as \"User:alice\"";
    return NULL;
}

static kfk_err create(kfk_admin *a, const kfk_delegation_token_spec *spec, const kadmin_opts *o,
                      kfk_admin_result **result)
{
    size_t n = spec ? spec->n_renewers : 0;
    dtoken_op op = {.res = dtoken_result_new(), .spec = spec};
    kp_create_delegation_token_request body;
    kp_create_delegation_token_request_init(&body);
    body.renewers = calloc(n ? n : 1, sizeof(*body.renewers));
    if (!op.res || !body.renewers) {
        free(body.renewers);
        kfk_admin_result_destroy(op.res);
        return KFK_ERR_NO_MEMORY;
    }
    for (size_t i = 0; i < n; i++) {
        kp_create_delegation_token_request_creatable_renewers_init(&body.renewers[i]);
        principal_split(spec->renewers[i], &body.renewers[i].principal_type,
                        &body.renewers[i].principal_name);
    }
    body.n_renewers = (int32_t)n;
    body.max_lifetime_ms = spec && spec->max_lifetime_ms > 0 ? spec->max_lifetime_ms : -1;
    bool owner = spec && spec->owner;
    if (owner) principal_split(spec->owner, &body.owner_principal_type, &body.owner_principal_name);
    /* KIP-373: only v3 carries an owner other than the caller. */
    kfk_err err = dtoken_run(a, &op, &kp_create_delegation_token_client, &body, create_check,
                             create_done, owner ? 3 : 0, o);
    free(body.renewers);
    if (err) {
        kfk_admin_result_destroy(op.res);
        return err;
    }
    *result = op.res;
    return kadmin_result_status(op.res);
}

kfk_err kfk_admin_create_delegation_token(kfk_admin *admin, const kfk_delegation_token_spec *spec,
                                          const kfk_admin_options *options,
                                          kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_create_delegation_token";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err && !result) err = kadmin_invalid(admin, fn, "result is NULL");
    const char *problem = !err && spec ? spec_problem(spec) : NULL;
    if (problem) err = kadmin_invalid(admin, fn, problem);
    if (!err) err = create(admin, spec, &o, result);
    return dtoken_end(admin, fn, err, o.timeout_ms, result ? *result : NULL);
}

/* --- renew and expire ------------------------------------------------------------------- */

/* Renew and expire answer alike: an error and the new expiry time. */
static kfk_err take_expiry(dtoken_op *op, int16_t error_code, int64_t expiry_ms)
{
    if (error_code) return dtoken_append(op->res, (kslice){0}, (kfk_err)error_code, NULL);
    dtoken *t = dtoken_new();
    if (!t) return KFK_ERR_NO_MEMORY;
    t->expiry_ms = expiry_ms;
    return dtoken_append(op->res, (kslice){0}, KFK_OK, t);
}

static kfk_err renew_check(kcall *call, void *resp)
{
    (void)call;
    return retriable_only(((const kp_renew_delegation_token_response *)resp)->error_code);
}

static void renew_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    dtoken_op *op = call->opaque;
    const kp_renew_delegation_token_response *r = resp;
    op->err = err ? err : take_expiry(op, r->error_code, r->expiry_timestamp_ms);
    kadmin_wait_done(&op->w);
}

static kfk_err expire_check(kcall *call, void *resp)
{
    (void)call;
    return retriable_only(((const kp_expire_delegation_token_response *)resp)->error_code);
}

static void expire_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    dtoken_op *op = call->opaque;
    const kp_expire_delegation_token_response *r = resp;
    op->err = err ? err : take_expiry(op, r->error_code, r->expiry_timestamp_ms);
    kadmin_wait_done(&op->w);
}

/* Renews (expire false) or expires the token with HMAC hmac. */
static kfk_err change_expiry(kfk_admin *a, bool expire, kslice hmac, int64_t period_ms,
                             const kadmin_opts *o, kfk_admin_result **result)
{
    dtoken_op op = {.res = dtoken_result_new()};
    if (!op.res) return KFK_ERR_NO_MEMORY;
    kfk_err err;
    if (expire) {
        kp_expire_delegation_token_request body;
        kp_expire_delegation_token_request_init(&body);
        body.hmac = hmac;
        body.expiry_time_period_ms = period_ms;
        err = dtoken_run(a, &op, &kp_expire_delegation_token_client, &body, expire_check,
                         expire_done, 0, o);
    } else {
        kp_renew_delegation_token_request body;
        kp_renew_delegation_token_request_init(&body);
        body.hmac = hmac;
        body.renew_period_ms = period_ms > 0 ? period_ms : -1;
        err = dtoken_run(a, &op, &kp_renew_delegation_token_client, &body, renew_check, renew_done,
                         0, o);
    }
    if (err) {
        kfk_admin_result_destroy(op.res);
        return err;
    }
    *result = op.res;
    return kadmin_result_status(op.res);
}

static kfk_err change_expiry_call(kfk_admin *admin, const char *fn, bool expire, const void *hmac,
                                  size_t hmac_len, int64_t period_ms,
                                  const kfk_admin_options *options, kfk_admin_result **result)
{
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err && !result) err = kadmin_invalid(admin, fn, "result is NULL");
    if (!err && (!hmac || !hmac_len)) err = kadmin_invalid(admin, fn, "hmac is NULL or empty");
    if (!err) err = change_expiry(admin, expire, (kslice){hmac, hmac_len}, period_ms, &o, result);
    return dtoken_end(admin, fn, err, o.timeout_ms, result ? *result : NULL);
}

kfk_err kfk_admin_renew_delegation_token(kfk_admin *admin, const void *hmac, size_t hmac_len,
                                         int64_t renew_period_ms, const kfk_admin_options *options,
                                         kfk_admin_result **result)
{
    return change_expiry_call(admin, "kfk_admin_renew_delegation_token", false, hmac, hmac_len,
                              renew_period_ms, options, result);
}

kfk_err kfk_admin_expire_delegation_token(kfk_admin *admin, const void *hmac, size_t hmac_len,
                                          int64_t expiry_period_ms,
                                          const kfk_admin_options *options,
                                          kfk_admin_result **result)
{
    return change_expiry_call(admin, "kfk_admin_expire_delegation_token", true, hmac, hmac_len,
                              expiry_period_ms, options, result);
}

/* --- describe --------------------------------------------------------------------------- */

static kfk_err describe_check(kcall *call, void *resp)
{
    (void)call;
    return retriable_only(((const kp_describe_delegation_token_response *)resp)->error_code);
}

static kfk_err
take_described(kfk_admin_result *res,
               const kp_describe_delegation_token_response_described_delegation_token *d)
{
    dtoken *t = dtoken_new();
    if (!t) return KFK_ERR_NO_MEMORY;
    bool oom = false;
    t->owner = principal_text(d->principal_type, d->principal_name, &oom);
    t->requester =
        principal_text(d->token_requester_principal_type, d->token_requester_principal_name, &oom);
    t->issue_ms = d->issue_timestamp;
    t->expiry_ms = d->expiry_timestamp;
    t->max_ms = d->max_timestamp;
    size_t n = d->n_renewers > 0 ? (size_t)d->n_renewers : 0;
    if (n && !(t->renewers = calloc(n, sizeof(char *)))) oom = true;
    for (; !oom && t->n_renewers < n; t->n_renewers++) {
        const kp_describe_delegation_token_response_described_delegation_token_renewer *w =
            &d->renewers[t->n_renewers];
        t->renewers[t->n_renewers] = principal_text(w->principal_type, w->principal_name, &oom);
    }
    kfk_err err = oom ? KFK_ERR_NO_MEMORY : dtoken_set_hmac(t, d->hmac);
    if (err) {
        dtoken_free(t);
        return err;
    }
    return dtoken_append(res, d->token_id.ptr ? d->token_id : kwire_cstr(""), KFK_OK, t);
}

static void describe_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    dtoken_op *op = call->opaque;
    const kp_describe_delegation_token_response *r = resp;
    op->err = err ? err : (kfk_err)r->error_code;
    for (int32_t i = 0; !op->err && i < r->n_tokens; i++)
        op->err = take_described(op->res, &r->tokens[i]);
    kadmin_wait_done(&op->w);
}

static kfk_err describe(kfk_admin *a, const char *const *owners, size_t n, const kadmin_opts *o,
                        kfk_admin_result **result)
{
    dtoken_op op = {.res = dtoken_result_new()};
    kp_describe_delegation_token_request body;
    kp_describe_delegation_token_request_init(&body);
    kp_describe_delegation_token_request_describe_delegation_token_owner *v =
        calloc(n ? n : 1, sizeof(*v));
    if (!op.res || !v) {
        free(v);
        kfk_admin_result_destroy(op.res);
        return KFK_ERR_NO_MEMORY;
    }
    body.owners = NULL;
    body.n_owners = -1; /* null: every token */
    if (owners) {
        for (size_t i = 0; i < n; i++) {
            kp_describe_delegation_token_request_describe_delegation_token_owner_init(&v[i]);
            principal_split(owners[i], &v[i].principal_type, &v[i].principal_name);
        }
        body.owners = v;
        body.n_owners = (int32_t)n;
    }
    kfk_err err = dtoken_run(a, &op, &kp_describe_delegation_token_client, &body, describe_check,
                             describe_done, 0, o);
    free(v);
    if (err) {
        kfk_admin_result_destroy(op.res);
        return err;
    }
    *result = op.res;
    return KFK_OK;
}

kfk_err kfk_admin_describe_delegation_tokens(kfk_admin *admin, const char *const *owners, size_t n,
                                             const kfk_admin_options *options,
                                             kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_describe_delegation_tokens";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err && !result) err = kadmin_invalid(admin, fn, "result is NULL");
    kslice t, nm;
    for (size_t i = 0; !err && owners && i < n; i++)
        if (!principal_split(owners[i], &t, &nm))
            err = kadmin_invalid(admin, fn,
                                 "an entry of owners is not a principal such as \"User:alice\"");
    if (!err) err = describe(admin, owners, n, &o, result);
    return dtoken_end(admin, fn, err, o.timeout_ms, result ? *result : NULL);
}

/* --- accessors -------------------------------------------------------------------------- */

static const dtoken *token_at(const kfk_admin_result *r, size_t i)
{
    return kadmin_result_detail(r, i, KADMIN_KIND_DELEGATION_TOKENS);
}

const char *kfk_admin_result_token_owner(const kfk_admin_result *result, size_t i)
{
    const dtoken *t = token_at(result, i);
    return t ? t->owner : NULL;
}

const char *kfk_admin_result_token_requester(const kfk_admin_result *result, size_t i)
{
    const dtoken *t = token_at(result, i);
    return t ? t->requester : NULL;
}

size_t kfk_admin_result_token_renewer_count(const kfk_admin_result *result, size_t i)
{
    const dtoken *t = token_at(result, i);
    return t ? t->n_renewers : 0;
}

const char *kfk_admin_result_token_renewer(const kfk_admin_result *result, size_t i, size_t j)
{
    const dtoken *t = token_at(result, i);
    return t && j < t->n_renewers ? t->renewers[j] : NULL;
}

int64_t kfk_admin_result_token_issue_timestamp_ms(const kfk_admin_result *result, size_t i)
{
    const dtoken *t = token_at(result, i);
    return t ? t->issue_ms : -1;
}

int64_t kfk_admin_result_token_expiry_timestamp_ms(const kfk_admin_result *result, size_t i)
{
    const dtoken *t = token_at(result, i);
    return t ? t->expiry_ms : -1;
}

int64_t kfk_admin_result_token_max_timestamp_ms(const kfk_admin_result *result, size_t i)
{
    const dtoken *t = token_at(result, i);
    return t ? t->max_ms : -1;
}

const uint8_t *kfk_admin_result_token_hmac(const kfk_admin_result *result, size_t i, size_t *len)
{
    const dtoken *t = token_at(result, i);
    if (len) *len = t && t->hmac ? t->hmac_len : 0;
    return t ? t->hmac : NULL;
}

const char *kfk_admin_result_token_hmac_base64(const kfk_admin_result *result, size_t i)
{
    const dtoken *t = token_at(result, i);
    return t ? t->hmac_b64 : NULL;
}
