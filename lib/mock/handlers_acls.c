/* CreateAcls, DescribeAcls and DeleteAcls over the cluster's list of
 * bindings. The mock stores bindings and matches filters as Kafka's
 * AclBindingFilter does, but authorizes nothing by them. Loop thread,
 * mc->lock held. */
#include <stdlib.h>
#include <string.h>

#include "mock/mock.h"
#include "proto/gen/create_acls.h"
#include "proto/gen/delete_acls.h"
#include "proto/gen/describe_acls.h"

enum { ANY = 1, MATCH = 2, LITERAL = 3, PREFIXED = 4 };

void mock_acls_free(mock_cluster *mc)
{
    for (size_t i = 0; i < mc->n_acls; i++) {
        free(mc->acls[i].resource_name);
        free(mc->acls[i].principal);
        free(mc->acls[i].host);
    }
    free(mc->acls);
    mc->acls = NULL;
    mc->n_acls = mc->cap_acls = 0;
}

static bool str_is(kslice s, const char *c)
{
    return c && s.ptr && s.len == strlen(c) && memcmp(s.ptr, c, s.len) == 0;
}

/* A filter: what the request's filter fields say. NULL strings match any. */
typedef struct acl_filter {
    int8_t type, pattern, op, perm;
    kslice name, principal, host;
} acl_filter;

/* ResourcePatternFilter.matches: MATCH takes LITERAL bindings of the name
 * or "*", and PREFIXED bindings the name starts with. */
static bool pattern_matches(const acl_filter *f, const mock_acl *a)
{
    if (f->type != ANY && f->type != a->resource_type) return false;
    if (f->pattern != ANY && f->pattern != MATCH && f->pattern != a->pattern_type) return false;
    if (!f->name.ptr) return true;
    if (f->pattern == ANY || f->pattern == a->pattern_type)
        return str_is(f->name, a->resource_name);
    if (a->pattern_type == LITERAL)
        return str_is(f->name, a->resource_name) || strcmp(a->resource_name, "*") == 0;
    size_t n = strlen(a->resource_name);
    return a->pattern_type == PREFIXED && f->name.len >= n &&
           memcmp(f->name.ptr, a->resource_name, n) == 0;
}

static bool filter_matches(const acl_filter *f, const mock_acl *a)
{
    return pattern_matches(f, a) && (!f->principal.ptr || str_is(f->principal, a->principal)) &&
           (!f->host.ptr || str_is(f->host, a->host)) && (f->op == ANY || f->op == a->operation) &&
           (f->perm == ANY || f->perm == a->permission_type);
}

/* As AclBindingFilter.isUnknown: a filter with an UNKNOWN (or unheard-of)
 * value is refused. */
static bool filter_valid(const acl_filter *f)
{
    return f->type >= 1 && f->type <= 7 && f->pattern >= 1 && f->pattern <= 4 && f->op >= 1 &&
           f->op <= 15 && f->perm >= 1 && f->perm <= 3;
}

/* --- CreateAcls ---------------------------------------------------------------------- */

/* Kafka's checks of a new binding; NULL when it is fine. */
static const char *creation_problem(const kp_create_acls_request_acl_creation *c)
{
    if (c->resource_type < 2 || c->resource_type > 7) return "Invalid resourceType";
    if (c->resource_pattern_type != LITERAL && c->resource_pattern_type != PREFIXED)
        return "Invalid patternType";
    if (c->operation < 2 || c->operation > 15) return "Invalid operation";
    if (c->permission_type < 2 || c->permission_type > 3) return "Invalid permissionType";
    if (!c->resource_name.len) return "Resource name should not be empty";
    if (c->resource_type == 4 && !str_is(c->resource_name, "kafka-cluster"))
        return "The only valid name for the CLUSTER resource is kafka-cluster";
    if (!c->principal.len || !memchr(c->principal.ptr, ':', c->principal.len))
        return "Could not parse principal (no colon is present separating the principal type "
               "from the principal name)";
    return NULL;
}

static char *dup_slice(kslice s)
{
    return strndup(s.ptr ? (const char *)s.ptr : "", s.len);
}

static kfk_err acl_add(mock_cluster *mc, const kp_create_acls_request_acl_creation *c)
{
    acl_filter f = {c->resource_type, c->resource_pattern_type,
                    c->operation,     c->permission_type,
                    c->resource_name, c->principal,
                    c->host};
    for (size_t i = 0; i < mc->n_acls; i++)
        if (filter_matches(&f, &mc->acls[i])) return KFK_OK; /* already there */
    if (mc->n_acls == mc->cap_acls) {
        size_t cap = mc->cap_acls ? mc->cap_acls * 2 : 16;
        mock_acl *v = realloc(mc->acls, cap * sizeof(*v));
        if (!v) return KFK_ERR_NO_MEMORY;
        mc->acls = v;
        mc->cap_acls = cap;
    }
    mock_acl a = {c->resource_type,   c->resource_pattern_type,    c->operation,
                  c->permission_type, dup_slice(c->resource_name), dup_slice(c->principal),
                  dup_slice(c->host)};
    if (!a.resource_name || !a.principal || !a.host) {
        free(a.resource_name);
        free(a.principal);
        free(a.host);
        return KFK_ERR_NO_MEMORY;
    }
    mc->acls[mc->n_acls++] = a;
    return KFK_OK;
}

int mock_handle_create_acls(mock_req *req)
{
    kp_create_acls_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_create_acls_response resp;
    kp_create_acls_response_init(&resp);
    int32_t n = r.n_creations > 0 ? r.n_creations : 0;
    resp.results = karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*resp.results));
    if (!resp.results) return MOCK_CLOSE;
    for (int32_t i = 0; i < n; i++) {
        kp_create_acls_response_acl_creation_result *res = &resp.results[i];
        kp_create_acls_response_acl_creation_result_init(res);
        const char *problem = creation_problem(&r.creations[i]);
        if (req->inject) {
            res->error_code = (int16_t)req->inject;
        } else if (problem) {
            res->error_code = KFK_ERR_INVALID_REQUEST;
            res->error_message = mock_errmsg(problem);
        } else {
            res->error_code = (int16_t)acl_add(req->mc, &r.creations[i]);
        }
    }
    resp.n_results = n;
    return mock_respond(req, &resp);
}

/* --- DescribeAcls -------------------------------------------------------------------- */

static bool same_resource(const mock_acl *a, const mock_acl *b)
{
    return a->resource_type == b->resource_type && a->pattern_type == b->pattern_type &&
           strcmp(a->resource_name, b->resource_name) == 0;
}

/* Groups the matching bindings by resource, as the broker answers. */
static int describe_matches(mock_req *req, const acl_filter *f, kp_describe_acls_response *resp)
{
    mock_cluster *mc = req->mc;
    size_t n = mc->n_acls ? mc->n_acls : 1;
    resp->resources = karena_alloc(req->arena, n * sizeof(*resp->resources));
    const mock_acl **owner = karena_alloc(req->arena, n * sizeof(*owner));
    if (!resp->resources || !owner) return -1;
    for (size_t i = 0; i < mc->n_acls; i++) {
        const mock_acl *a = &mc->acls[i];
        if (!filter_matches(f, a)) continue;
        int32_t k = 0;
        while (k < resp->n_resources && !same_resource(owner[k], a))
            k++;
        kp_describe_acls_response_describe_acls_resource *res = &resp->resources[k];
        if (k == resp->n_resources) {
            kp_describe_acls_response_describe_acls_resource_init(res);
            res->resource_type = a->resource_type;
            res->resource_name = kwire_cstr(a->resource_name);
            res->pattern_type = a->pattern_type;
            res->acls = karena_alloc(req->arena, mc->n_acls * sizeof(*res->acls));
            if (!res->acls) return -1;
            owner[resp->n_resources++] = a;
        }
        kp_describe_acls_response_acl_description *d = &res->acls[res->n_acls++];
        kp_describe_acls_response_acl_description_init(d);
        d->principal = kwire_cstr(a->principal);
        d->host = kwire_cstr(a->host);
        d->operation = a->operation;
        d->permission_type = a->permission_type;
    }
    return 0;
}

int mock_handle_describe_acls(mock_req *req)
{
    kp_describe_acls_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_describe_acls_response resp;
    kp_describe_acls_response_init(&resp);
    acl_filter f = {r.resource_type_filter, r.pattern_type_filter, r.operation,  r.permission_type,
                    r.resource_name_filter, r.principal_filter,    r.host_filter};
    if (req->inject) {
        resp.error_code = (int16_t)req->inject;
    } else if (!filter_valid(&f)) {
        resp.error_code = KFK_ERR_INVALID_REQUEST;
        resp.error_message = mock_errmsg("The filter contains an unknown element");
    } else if (describe_matches(req, &f, &resp)) {
        return MOCK_CLOSE;
    }
    return mock_respond(req, &resp);
}

/* --- DeleteAcls ---------------------------------------------------------------------- */

/* Reports in fr every binding f matches and marks it in gone. */
static int delete_matches(mock_req *req, const acl_filter *f, bool *gone,
                          kp_delete_acls_response_delete_acls_filter_result *fr)
{
    mock_cluster *mc = req->mc;
    fr->matching_acls =
        karena_alloc(req->arena, (mc->n_acls ? mc->n_acls : 1) * sizeof(*fr->matching_acls));
    if (!fr->matching_acls) return -1;
    for (size_t i = 0; i < mc->n_acls; i++) {
        const mock_acl *a = &mc->acls[i];
        if (!filter_matches(f, a)) continue;
        gone[i] = true;
        kp_delete_acls_response_delete_acls_matching_acl *m =
            &fr->matching_acls[fr->n_matching_acls++];
        kp_delete_acls_response_delete_acls_matching_acl_init(m);
        /* The response is encoded before the bindings are freed below. */
        m->resource_type = a->resource_type;
        m->resource_name = kwire_cstr(a->resource_name);
        m->pattern_type = a->pattern_type;
        m->principal = kwire_cstr(a->principal);
        m->host = kwire_cstr(a->host);
        m->operation = a->operation;
        m->permission_type = a->permission_type;
    }
    return 0;
}

static void remove_gone(mock_cluster *mc, const bool *gone)
{
    size_t k = 0;
    for (size_t i = 0; i < mc->n_acls; i++) {
        mock_acl *a = &mc->acls[i];
        if (!gone[i]) {
            mc->acls[k++] = *a;
            continue;
        }
        free(a->resource_name);
        free(a->principal);
        free(a->host);
    }
    mc->n_acls = k;
}

int mock_handle_delete_acls(mock_req *req)
{
    kp_delete_acls_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    mock_cluster *mc = req->mc;
    kp_delete_acls_response resp;
    kp_delete_acls_response_init(&resp);
    int32_t n = r.n_filters > 0 ? r.n_filters : 0;
    resp.filter_results =
        karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*resp.filter_results));
    bool *gone = karena_alloc(req->arena, mc->n_acls ? mc->n_acls : 1);
    if (!resp.filter_results || !gone) return MOCK_CLOSE;
    memset(gone, 0, mc->n_acls);
    for (int32_t i = 0; i < n; i++) {
        const kp_delete_acls_request_delete_acls_filter *rf = &r.filters[i];
        acl_filter f = {rf->resource_type_filter, rf->pattern_type_filter,  rf->operation,
                        rf->permission_type,      rf->resource_name_filter, rf->principal_filter,
                        rf->host_filter};
        kp_delete_acls_response_delete_acls_filter_result *fr = &resp.filter_results[i];
        kp_delete_acls_response_delete_acls_filter_result_init(fr);
        if (req->inject) {
            fr->error_code = (int16_t)req->inject;
        } else if (!filter_valid(&f)) {
            fr->error_code = KFK_ERR_INVALID_REQUEST;
            fr->error_message = mock_errmsg("The filter contains an unknown element");
        } else if (delete_matches(req, &f, gone, fr)) {
            return MOCK_CLOSE;
        }
    }
    resp.n_filter_results = n;
    int rc = mock_respond(req, &resp);
    remove_gone(mc, gone);
    return rc;
}
