/* Describing and altering users' SCRAM credentials. Describe asks any
 * broker; alter goes to the controller (KRaft brokers forward it) with
 * salted passwords computed here, by the SCRAM code the SASL login uses,
 * so that no password crosses the wire. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "admin/admin_int.h"
#include "proto/gen/alter_user_scram_credentials.h"
#include "proto/gen/describe_user_scram_credentials.h"
#include "sasl/scram.h"

#define SALT_LEN 32
#define HASH_MAX 64

const char *kfk_scram_mechanism_name(kfk_scram_mechanism mechanism)
{
    switch (mechanism) {
    case KFK_SCRAM_SHA_256:
        return "SCRAM-SHA-256";
    case KFK_SCRAM_SHA_512:
        return "SCRAM-SHA-512";
    default:
        return NULL;
    }
}

/* One user's credentials, an entry's detail. */
typedef struct scram_info {
    size_t n;
    struct {
        kfk_scram_mechanism mechanism;
        int32_t iterations;
    } v[];
} scram_info;

/* Finds the entry named name not yet answered; -1 when none. */
static long entry_for(const kfk_admin_result *r, const bool *answered, kslice name)
{
    for (size_t i = 0; i < r->n; i++)
        if (!answered[i] && strlen(r->e[i].name) == name.len &&
            memcmp(r->e[i].name, name.ptr, name.len) == 0)
            return (long)i;
    return -1;
}

/* --- describe --------------------------------------------------------------------------- */

typedef struct scram_op {
    kadmin_wait w;
    kcall call;
    kfk_admin_result *res;
    bool all;       /* describe: every user, entries appended as found */
    bool *answered; /* per entry */
    kfk_err err;    /* the whole request's */
} scram_op;

static kfk_err take_user(
    scram_op *op,
    const kp_describe_user_scram_credentials_response_describe_user_scram_credentials_result *u)
{
    long i = op->all ? -1 : entry_for(op->res, op->answered, u->user);
    if (op->all) {
        char *name = strndup(u->user.ptr ? (const char *)u->user.ptr : "", u->user.len);
        int rc = name ? kadmin_result_append(op->res, name, KFK_OK) : -1;
        free(name);
        if (rc) return KFK_ERR_NO_MEMORY;
        i = (long)op->res->n - 1;
    }
    if (i < 0) return KFK_OK; /* not asked for */
    if (!op->all) op->answered[i] = true;
    kadmin_result_set(op->res, (size_t)i, (kfk_err)u->error_code, u->error_message);
    size_t n = u->n_credential_infos > 0 ? (size_t)u->n_credential_infos : 0;
    scram_info *info = calloc(1, sizeof(*info) + n * sizeof(info->v[0]));
    if (!info) return KFK_ERR_NO_MEMORY;
    info->n = n;
    for (size_t j = 0; j < n; j++) {
        info->v[j].mechanism = (kfk_scram_mechanism)u->credential_infos[j].mechanism;
        info->v[j].iterations = u->credential_infos[j].iterations;
    }
    op->res->e[i].detail = info;
    return KFK_OK;
}

static void describe_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    scram_op *op = call->opaque;
    const kp_describe_user_scram_credentials_response *r = resp;
    op->err = err ? err : (kfk_err)r->error_code;
    for (int32_t i = 0; !op->err && i < r->n_results; i++)
        op->err = take_user(op, &r->results[i]);
    kadmin_wait_done(&op->w);
}

static kfk_err describe_users(kfk_admin *a, const char *const *users, size_t n,
                              const kadmin_opts *o, kfk_admin_result **result)
{
    scram_op op = {.all = users == NULL};
    op.res = kadmin_result_new(users, users ? n : 0);
    op.answered = calloc(n ? n : 1, sizeof(bool));
    kp_describe_user_scram_credentials_request_user_name *names = calloc(n ? n : 1, sizeof(*names));
    kfk_err err = op.res && op.answered && names ? KFK_OK : KFK_ERR_NO_MEMORY;
    if (!err) {
        op.res->kind = KADMIN_KIND_SCRAM;
        op.res->detail_free = free;
        kp_describe_user_scram_credentials_request body;
        kp_describe_user_scram_credentials_request_init(&body);
        body.n_users = -1; /* null: every user */
        if (users) {
            for (size_t i = 0; i < n; i++)
                names[i].name = kwire_cstr(users[i]);
            body.users = names;
            body.n_users = (int32_t)n;
        }
        kadmin_wait_init(&op.w);
        kcall_init(&op.call, &kp_describe_user_scram_credentials_client, &body, describe_done, &op);
        op.call.route = KROUTE_ANY;
        op.call.deadline_ns = o->deadline_ns;
        if (!users || n) kadmin_run(a, &op.call, &op.w);
        kadmin_wait_destroy(&op.w);
        err = op.err;
    }
    free(names);
    free(op.answered);
    if (err) {
        kfk_admin_result_destroy(op.res);
        return err;
    }
    *result = op.res;
    return kadmin_result_status(op.res);
}

kfk_err kfk_admin_describe_user_scram_credentials(kfk_admin *admin, const char *const *users,
                                                  size_t n, const kfk_admin_options *options,
                                                  kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_describe_user_scram_credentials";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err && !result) err = kadmin_invalid(admin, fn, "result is NULL");
    for (size_t i = 0; !err && users && i < n; i++)
        if (!users[i]) err = kadmin_invalid(admin, fn, "an entry of users is NULL");
    if (!err) err = describe_users(admin, users, n, &o, result);
    return kadmin_end_named(admin, fn, err, o.timeout_ms, result ? *result : NULL, "user");
}

static const scram_info *info_at(const kfk_admin_result *r, size_t i, size_t j)
{
    const scram_info *info = kadmin_result_detail(r, i, KADMIN_KIND_SCRAM);
    return info && j < info->n ? info : NULL;
}

size_t kfk_admin_result_scram_count(const kfk_admin_result *result, size_t i)
{
    const scram_info *info = kadmin_result_detail(result, i, KADMIN_KIND_SCRAM);
    return info ? info->n : 0;
}

kfk_scram_mechanism kfk_admin_result_scram_mechanism(const kfk_admin_result *result, size_t i,
                                                     size_t j)
{
    const scram_info *info = info_at(result, i, j);
    return info ? info->v[j].mechanism : KFK_SCRAM_UNKNOWN;
}

int32_t kfk_admin_result_scram_iterations(const kfk_admin_result *result, size_t i, size_t j)
{
    const scram_info *info = info_at(result, i, j);
    return info ? info->v[j].iterations : -1;
}

/* --- alter ------------------------------------------------------------------------------- */

/* The secrets of one upsertion, wiped after the request. */
typedef struct upsert_secret {
    uint8_t salt[SALT_LEN];
    uint8_t salted[HASH_MAX];
    size_t salted_len;
} upsert_secret;

typedef struct alter_op {
    kadmin_wait w;
    kcall call;
    kfk_admin_result *res;
    kfk_err err;
} alter_op;

/* Every entry of the user gets the user's outcome. */
static void alter_done(kcall *call, kfk_err err, void *resp, karena *arena)
{
    (void)arena;
    alter_op *op = call->opaque;
    op->err = err;
    const kp_alter_user_scram_credentials_response *r = resp;
    for (int32_t k = 0; !err && k < r->n_results; k++) {
        const kp_alter_user_scram_credentials_response_alter_user_scram_credentials_result *u =
            &r->results[k];
        for (size_t i = 0; i < op->res->n; i++)
            if (strlen(op->res->e[i].name) == u->user.len &&
                memcmp(op->res->e[i].name, u->user.ptr, u->user.len) == 0)
                kadmin_result_set(op->res, i, (kfk_err)u->error_code, u->error_message);
    }
    kadmin_wait_done(&op->w);
}

static const char *alteration_problem(const kfk_scram_alteration *x)
{
    for (size_t i = 0; i < sizeof(x->reserved) / sizeof(x->reserved[0]); i++)
        if (x->reserved[i]) return "reserved is not all zero";
    if (!x->user) return "user is NULL";
    if (!kfk_scram_mechanism_name(x->mechanism)) return "mechanism is not a SCRAM mechanism";
    if (x->iterations < 0) return "iterations is negative";
    if (!x->password && x->iterations) return "iterations is set for a deletion";
    return NULL;
}

static kfk_err alter_check(kfk_admin *a, const char *fn, const kfk_scram_alteration *const *v,
                           size_t n)
{
    if (!v && n) return kadmin_invalid(a, fn, "alterations is NULL with n > 0");
    for (size_t i = 0; i < n; i++) {
        const char *p = v[i] ? alteration_problem(v[i]) : "is NULL";
        if (p) {
            char what[96];
            snprintf(what, sizeof(what), "alterations[%zu]%s%s", i, v[i] ? ": " : " ", p);
            return kadmin_invalid(a, fn, what);
        }
    }
    return KFK_OK;
}

/* Fills the request's upsertions and deletions from v. */
static kfk_err alter_build(const kfk_scram_alteration *const *v, size_t n, upsert_secret *sec,
                           kp_alter_user_scram_credentials_request *body)
{
    for (size_t i = 0; i < n; i++) {
        const kfk_scram_alteration *x = v[i];
        if (!x->password) {
            kp_alter_user_scram_credentials_request_scram_credential_deletion *d =
                &body->deletions[body->n_deletions++];
            kp_alter_user_scram_credentials_request_scram_credential_deletion_init(d);
            d->name = kwire_cstr(x->user);
            d->mechanism = (int8_t)x->mechanism;
            continue;
        }
        int32_t iterations = x->iterations ? x->iterations : KSCRAM_MIN_ITERATIONS;
        upsert_secret *s = &sec[body->n_upsertions];
        if (RAND_bytes(s->salt, SALT_LEN) != 1) return KFK_ERR_NO_MEMORY;
        int bits = x->mechanism == KFK_SCRAM_SHA_256 ? 256 : 512;
        if (kscram_salted_password(bits, x->password, s->salt, SALT_LEN, iterations, s->salted,
                                   &s->salted_len))
            return KFK_ERR_NO_MEMORY;
        kp_alter_user_scram_credentials_request_scram_credential_upsertion *u =
            &body->upsertions[body->n_upsertions++];
        kp_alter_user_scram_credentials_request_scram_credential_upsertion_init(u);
        u->name = kwire_cstr(x->user);
        u->mechanism = (int8_t)x->mechanism;
        u->iterations = iterations;
        u->salt = (kslice){s->salt, SALT_LEN};
        u->salted_password = (kslice){s->salted, s->salted_len};
    }
    return KFK_OK;
}

static kfk_err alter(kfk_admin *a, const kfk_scram_alteration *const *v, size_t n,
                     const kadmin_opts *o, kfk_admin_result **result)
{
    const char **names = calloc(n ? n : 1, sizeof(*names));
    for (size_t i = 0; names && i < n; i++)
        names[i] = v[i]->user;
    alter_op op = {.res = names ? kadmin_result_new(names, n) : NULL};
    free(names);
    kp_alter_user_scram_credentials_request body;
    kp_alter_user_scram_credentials_request_init(&body);
    body.deletions = calloc(n ? n : 1, sizeof(*body.deletions));
    body.upsertions = calloc(n ? n : 1, sizeof(*body.upsertions));
    upsert_secret *sec = calloc(n ? n : 1, sizeof(*sec));
    kfk_err err = op.res && body.deletions && body.upsertions && sec ? KFK_OK : KFK_ERR_NO_MEMORY;
    if (!err) err = alter_build(v, n, sec, &body);
    if (!err && n) {
        kadmin_wait_init(&op.w);
        kcall_init(&op.call, &kp_alter_user_scram_credentials_client, &body, alter_done, &op);
        op.call.route = KROUTE_CONTROLLER;
        op.call.deadline_ns = o->deadline_ns;
        kadmin_run(a, &op.call, &op.w);
        kadmin_wait_destroy(&op.w);
        err = op.err;
    }
    if (sec) OPENSSL_cleanse(sec, (n ? n : 1) * sizeof(*sec));
    free(sec);
    free(body.deletions);
    free(body.upsertions);
    if (err) {
        kfk_admin_result_destroy(op.res);
        return err;
    }
    *result = op.res;
    return kadmin_result_status(op.res);
}

kfk_err kfk_admin_alter_user_scram_credentials(kfk_admin *admin,
                                               const kfk_scram_alteration *const *alterations,
                                               size_t n, const kfk_admin_options *options,
                                               kfk_admin_result **result)
{
    static const char fn[] = "kfk_admin_alter_user_scram_credentials";
    if (result) *result = NULL;
    if (!admin) return KFK_ERR_INVALID_ARG;
    kadmin_opts o = {0};
    kfk_err err = kadmin_opts_check(admin, fn, options, 0, &o);
    if (!err && !result) err = kadmin_invalid(admin, fn, "result is NULL");
    if (!err) err = alter_check(admin, fn, alterations, n);
    if (!err) err = alter(admin, alterations, n, &o, result);
    return kadmin_end_named(admin, fn, err, o.timeout_ms, result ? *result : NULL, "user");
}
