/* ACL bindings through the admin client (KFK_TEST_BOOTSTRAP): created
 * literal and prefixed bindings are found by filters (MATCH semantics
 * included) and deleted by one, which reports exactly what it removed;
 * a malformed binding fails alone; bad arguments are refused. Against
 * real Kafka (KFK_TEST_MOCK=0) also the effect: a DENY binding for the
 * mTLS client's principal makes its producer fail with
 * TOPIC_AUTHORIZATION_FAILED until the binding is deleted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/kclus.h"
#include "../common/ksec.h"
#include "../common/ktest.h"
#include "kfk.h"
#include "kwire_client.h"

#define TIMEOUT_MS 20000

static const kfk_admin_options opts = {.timeout_ms = TIMEOUT_MS};

static kfk_acl_binding binding(kfk_acl_resource_type type, const char *name,
                               kfk_acl_pattern_type pattern, const char *principal,
                               kfk_acl_operation op, kfk_acl_permission_type perm)
{
    return (kfk_acl_binding){.resource_type = type,
                             .resource_name = name,
                             .pattern_type = pattern,
                             .principal = principal,
                             .host = "*",
                             .operation = op,
                             .permission_type = perm};
}

/* A filter for everything principal has. */
static kfk_acl_binding of_principal(const char *principal)
{
    return (kfk_acl_binding){.resource_type = KFK_ACL_RESOURCE_ANY,
                             .pattern_type = KFK_ACL_PATTERN_ANY,
                             .principal = principal,
                             .operation = KFK_ACL_OP_ANY,
                             .permission_type = KFK_ACL_PERMISSION_ANY};
}

static void create_ok(kfk_admin *a, const kfk_acl_binding *const *acls, size_t n)
{
    kfk_admin_result *r;
    kfk_err err = kfk_admin_create_acls(a, acls, n, &opts, &r);
    ck_assert_msg(err == KFK_OK, "create: %s (%s)", kfk_err_name(err), kfk_admin_last_error(a));
    ck_assert_uint_eq(kfk_admin_result_count(r), n);
    kfk_admin_result_destroy(r);
}

/* The bindings filter finds (one entry, no error). */
static kfk_admin_result *describe(kfk_admin *a, const kfk_acl_binding *filter)
{
    kfk_admin_result *r;
    kfk_err err = kfk_admin_describe_acls(a, filter, &opts, &r);
    ck_assert_msg(err == KFK_OK, "describe: %s (%s)", kfk_err_name(err), kfk_admin_last_error(a));
    ck_assert_uint_eq(kfk_admin_result_count(r), 1);
    return r;
}

/* Whether binding j of entry i of r is b. */
static bool is(const kfk_admin_result *r, size_t i, size_t j, const kfk_acl_binding *b)
{
    const kfk_acl_binding *x = kfk_admin_result_acl(r, i, j);
    return x && x->resource_type == b->resource_type && x->pattern_type == b->pattern_type &&
           strcmp(x->resource_name, b->resource_name) == 0 &&
           strcmp(x->principal, b->principal) == 0 && strcmp(x->host, b->host) == 0 &&
           x->operation == b->operation && x->permission_type == b->permission_type;
}

/* Whether entry i of r carries exactly the n bindings of want, in any
 * order. */
static bool has_exactly(const kfk_admin_result *r, size_t i, const kfk_acl_binding *const *want,
                        size_t n)
{
    if (kfk_admin_result_acl_count(r, i) != n) return false;
    for (size_t w = 0; w < n; w++) {
        bool found = false;
        for (size_t j = 0; j < n && !found; j++)
            found = is(r, i, j, want[w]);
        if (!found) return false;
    }
    return true;
}

static void carries_exactly(const kfk_admin_result *r, size_t i, const kfk_acl_binding *const *want,
                            size_t n)
{
    ck_assert_msg(has_exactly(r, i, want, n), "entry %zu has %zu bindings, not the %zu wanted", i,
                  kfk_admin_result_acl_count(r, i), n);
}

/* Describes filter until it finds exactly the n bindings of want: the
 * broker that answers applies what the controller committed a moment
 * later. */
static void await_described(kfk_admin *a, const kfk_acl_binding *filter,
                            const kfk_acl_binding *const *want, size_t n)
{
    int64_t end = kclus_now_ms() + 30000;
    for (;;) {
        kfk_admin_result *r = describe(a, filter);
        bool ok = has_exactly(r, 0, want, n);
        size_t got = kfk_admin_result_acl_count(r, 0);
        kfk_admin_result_destroy(r);
        if (ok) return;
        ck_assert_msg(kclus_now_ms() < end, "describe finds %zu bindings, not the %zu wanted", got,
                      n);
        kclus_nap(100);
    }
}

static void unique_principal(char *out, size_t n, const char *what)
{
    char t[200];
    ktest_unique_topic(t, sizeof(t), what);
    snprintf(out, n, "User:%s", t);
}

START_TEST(test_create_describe_delete)
{
    kfk_admin *a = kclus_admin(NULL);
    char principal[256], topic[200], prefix[220], under[240];
    unique_principal(principal, sizeof(principal), "aclp");
    ktest_unique_topic(topic, sizeof(topic), "acl");
    snprintf(prefix, sizeof(prefix), "%s-pre", topic);
    snprintf(under, sizeof(under), "%s-under", prefix);
    kfk_acl_binding lit = binding(KFK_ACL_RESOURCE_TOPIC, topic, KFK_ACL_PATTERN_LITERAL, principal,
                                  KFK_ACL_OP_READ, KFK_ACL_PERMISSION_ALLOW);
    kfk_acl_binding pre = binding(KFK_ACL_RESOURCE_TOPIC, prefix, KFK_ACL_PATTERN_PREFIXED,
                                  principal, KFK_ACL_OP_WRITE, KFK_ACL_PERMISSION_DENY);
    kfk_acl_binding grp = binding(KFK_ACL_RESOURCE_GROUP, topic, KFK_ACL_PATTERN_LITERAL, principal,
                                  KFK_ACL_OP_DESCRIBE, KFK_ACL_PERMISSION_ALLOW);
    const kfk_acl_binding *all[] = {&lit, &pre, &grp};
    create_ok(a, all, 3);
    create_ok(a, all, 1); /* again: nothing changes */

    kfk_acl_binding f = of_principal(principal);
    await_described(a, &f, all, 3);
    kfk_admin_result *r;

    /* MATCH on a name under the prefix finds the prefixed binding only. */
    f.resource_type = KFK_ACL_RESOURCE_TOPIC;
    f.pattern_type = KFK_ACL_PATTERN_MATCH;
    f.resource_name = under;
    await_described(a, &f, (const kfk_acl_binding *[]){&pre}, 1);
    /* ANY takes the name literally: nothing is named `under`. */
    f.pattern_type = KFK_ACL_PATTERN_ANY;
    r = describe(a, &f);
    ck_assert_uint_eq(kfk_admin_result_acl_count(r, 0), 0);
    kfk_admin_result_destroy(r);
    /* LITERAL on the topic's own name: the literal binding, not the group's. */
    f.pattern_type = KFK_ACL_PATTERN_LITERAL;
    f.resource_name = topic;
    await_described(a, &f, (const kfk_acl_binding *[]){&lit}, 1);

    /* Two filters: the prefixed one's, and one that matches nothing. */
    kfk_acl_binding del_pre = of_principal(principal);
    del_pre.pattern_type = KFK_ACL_PATTERN_PREFIXED;
    kfk_acl_binding del_none = of_principal(principal);
    del_none.operation = KFK_ACL_OP_ALTER;
    kfk_err err =
        kfk_admin_delete_acls(a, (const kfk_acl_binding *[]){&del_pre, &del_none}, 2, &opts, &r);
    ck_assert_msg(err == KFK_OK, "delete: %s (%s)", kfk_err_name(err), kfk_admin_last_error(a));
    ck_assert_uint_eq(kfk_admin_result_count(r), 2);
    carries_exactly(r, 0, (const kfk_acl_binding *[]){&pre}, 1);
    ck_assert_int_eq(kfk_admin_result_acl_error(r, 0, 0), KFK_OK);
    ck_assert_uint_eq(kfk_admin_result_acl_count(r, 1), 0);
    kfk_admin_result_destroy(r);

    f = of_principal(principal);
    await_described(a, &f, (const kfk_acl_binding *[]){&lit, &grp}, 2);

    err = kfk_admin_delete_acls(a, (const kfk_acl_binding *[]){&f}, 1, &opts, &r);
    ck_assert_int_eq(err, KFK_OK);
    carries_exactly(r, 0, (const kfk_acl_binding *[]){&lit, &grp}, 2);
    kfk_admin_result_destroy(r);
    await_described(a, &f, NULL, 0);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_malformed_binding_fails_alone)
{
    kfk_admin *a = kclus_admin(NULL);
    char principal[256], topic[200];
    unique_principal(principal, sizeof(principal), "aclbad");
    ktest_unique_topic(topic, sizeof(topic), "aclbad");
    kfk_acl_binding good = binding(KFK_ACL_RESOURCE_TOPIC, topic, KFK_ACL_PATTERN_LITERAL,
                                   principal, KFK_ACL_OP_READ, KFK_ACL_PERMISSION_ALLOW);
    kfk_acl_binding bad = good;
    bad.principal = principal + strlen("User:"); /* no principal type */
    kfk_admin_result *r;
    kfk_err err = kfk_admin_create_acls(a, (const kfk_acl_binding *[]){&bad, &good}, 2, &opts, &r);
    ck_assert_int_eq(err, KFK_ERR_INVALID_REQUEST);
    ck_assert_uint_eq(kfk_admin_result_count(r), 2);
    ck_assert_int_eq(kfk_admin_result_error(r, 0), KFK_ERR_INVALID_REQUEST);
    ck_assert_ptr_nonnull(kfk_admin_result_message(r, 0));
    ck_assert_int_eq(kfk_admin_result_error(r, 1), KFK_OK);
    ck_assert_msg(
        strstr(kfk_admin_last_error(a), "kfk_admin_create_acls: ACL binding \"TOPIC:LITERAL:") &&
            strstr(kfk_admin_last_error(a), bad.principal),
        "last error: %s", kfk_admin_last_error(a));
    carries_exactly(r, 1, (const kfk_acl_binding *[]){&good}, 1);
    kfk_admin_result_destroy(r);

    kfk_acl_binding f = of_principal(principal);
    await_described(a, &f, (const kfk_acl_binding *[]){&good}, 1);
    f = of_principal(bad.principal);
    r = describe(a, &f);
    ck_assert_uint_eq(kfk_admin_result_acl_count(r, 0), 0);
    kfk_admin_result_destroy(r);

    f = of_principal(principal);
    ck_assert_int_eq(kfk_admin_delete_acls(a, (const kfk_acl_binding *[]){&f}, 1, &opts, &r),
                     KFK_OK);
    kfk_admin_result_destroy(r);
    kfk_admin_destroy(a);
}
END_TEST

static void refused(kfk_admin *a, kfk_err err, kfk_admin_result *r, const char *what)
{
    ck_assert_int_eq(err, KFK_ERR_INVALID_ARG);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(kfk_admin_last_error(a), what), "last error \"%s\" lacks \"%s\"",
                  kfk_admin_last_error(a), what);
}

START_TEST(test_bad_arguments)
{
    kfk_admin *a = kclus_admin(NULL);
    kfk_admin_result *r = (kfk_admin_result *)&r;
    kfk_acl_binding b = binding(KFK_ACL_RESOURCE_TOPIC, "t", KFK_ACL_PATTERN_LITERAL, "User:x",
                                KFK_ACL_OP_READ, KFK_ACL_PERMISSION_ALLOW);
    const kfk_acl_binding *one[] = {&b};
    ck_assert_int_eq(kfk_admin_create_acls(NULL, one, 1, NULL, &r), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_create_acls(a, one, 1, NULL, NULL), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_describe_acls(NULL, &b, NULL, &r), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_admin_delete_acls(NULL, one, 1, NULL, &r), KFK_ERR_INVALID_ARG);
    refused(a, kfk_admin_create_acls(a, NULL, 1, NULL, &r), r, "acls is NULL");
    refused(a, kfk_admin_create_acls(a, (const kfk_acl_binding *[]){NULL}, 1, NULL, &r), r,
            "acls[0] is NULL");
    refused(a, kfk_admin_describe_acls(a, NULL, NULL, &r), r, "filter is NULL");
    refused(a,
            kfk_admin_create_acls(a, one, 1, &(kfk_admin_options){.flags = KFK_ADMIN_VALIDATE_ONLY},
                                  &r),
            r, "KFK_ADMIN_VALIDATE_ONLY");

    kfk_acl_binding x = b;
    x.operation = KFK_ACL_OP_ANY; /* a filter's value, not a binding's */
    refused(a, kfk_admin_create_acls(a, (const kfk_acl_binding *[]){&x}, 1, NULL, &r), r,
            "acls[0]: operation");
    x = b;
    x.pattern_type = KFK_ACL_PATTERN_MATCH;
    refused(a, kfk_admin_create_acls(a, (const kfk_acl_binding *[]){&x}, 1, NULL, &r), r,
            "pattern_type");
    x = b;
    x.host = NULL;
    refused(a, kfk_admin_create_acls(a, (const kfk_acl_binding *[]){&x}, 1, NULL, &r), r,
            "is NULL");
    x = b;
    x.reserved[2] = &x;
    refused(a, kfk_admin_describe_acls(a, &x, NULL, &r), r, "reserved");
    x = b;
    x.permission_type = KFK_ACL_PERMISSION_UNKNOWN;
    refused(a, kfk_admin_delete_acls(a, (const kfk_acl_binding *[]){&b, &x}, 2, NULL, &r), r,
            "filters[1]: permission_type");
    x = b;
    x.resource_type = (kfk_acl_resource_type)8;
    refused(a, kfk_admin_describe_acls(a, &x, NULL, &r), r, "resource_type");

    /* Accessors on what is not an ACL result, or out of range. */
    ck_assert_uint_eq(kfk_admin_result_acl_count(NULL, 0), 0);
    ck_assert_ptr_null(kfk_admin_result_acl(NULL, 0, 0));
    ck_assert_int_eq(kfk_admin_result_acl_error(NULL, 0, 0), KFK_ERR_INVALID_ARG);
    kfk_admin_destroy(a);
}
END_TEST

START_TEST(test_names)
{
    ck_assert_str_eq(kfk_acl_resource_type_name(KFK_ACL_RESOURCE_TRANSACTIONAL_ID),
                     "TRANSACTIONAL_ID");
    ck_assert_str_eq(kfk_acl_resource_type_name(KFK_ACL_RESOURCE_USER), "USER");
    ck_assert_ptr_null(kfk_acl_resource_type_name((kfk_acl_resource_type)8));
    ck_assert_str_eq(kfk_acl_pattern_type_name(KFK_ACL_PATTERN_PREFIXED), "PREFIXED");
    ck_assert_str_eq(kfk_acl_operation_name(KFK_ACL_OP_IDEMPOTENT_WRITE), "IDEMPOTENT_WRITE");
    ck_assert_str_eq(kfk_acl_operation_name(KFK_ACL_OP_TWO_PHASE_COMMIT), "TWO_PHASE_COMMIT");
    ck_assert_ptr_null(kfk_acl_operation_name((kfk_acl_operation)16));
    ck_assert_ptr_null(kfk_acl_operation_name((kfk_acl_operation)-1));
    ck_assert_str_eq(kfk_acl_permission_type_name(KFK_ACL_PERMISSION_DENY), "DENY");
}
END_TEST

/* --- the effect, on real Kafka ------------------------------------------------------------ */

static void on_report(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    *(kfk_err *)opaque = r->err;
}

/* One record to topic from the mTLS client certificate's producer: the
 * error of kfk_produce or of its delivery. */
static kfk_err produce_as_client(const char *topic)
{
    kfk_conf *c = kclus_conf(ksec_bootstrap(KSEC_MTLS));
    kclus_set(c, "security.protocol", "SSL");
    kclus_set(c, "ssl.truststore.location", ksec_file("ca.pem"));
    kclus_set(c, "ssl.certificate.location", ksec_file("client.pem"));
    kclus_set(c, "ssl.key.location", ksec_file("client.key"));
    kclus_set(c, "max.block.ms", "10000");
    kclus_set(c, "request.timeout.ms", "10000");
    kclus_set(c, "delivery.timeout.ms", "15000");
    kfk_err report = KFK_ERR_TIMED_OUT;
    kfk_conf_set_dr_cb(c, on_report, &report);
    char err[512];
    kfk_producer *p = kfk_producer_new(c, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    kfk_record rec = {.topic = topic, .partition = 0, .value = "x", .value_len = 1};
    kfk_err e = kfk_produce(p, &rec, NULL);
    if (!e) {
        kfk_producer_flush(p, 20000);
        e = report;
    }
    kfk_producer_destroy(p);
    return e;
}

/* Produces until the outcome is want: brokers apply a binding shortly
 * after the controller committed it. */
static void await_produce(const char *topic, kfk_err want)
{
    int64_t end = kclus_now_ms() + 60000;
    kfk_err e;
    while ((e = produce_as_client(topic)) != want && kclus_now_ms() < end)
        kclus_nap(200);
    ck_assert_msg(e == want, "produce: %s, wanted %s", kfk_err_name(e), kfk_err_name(want));
}

START_TEST(test_deny_takes_effect)
{
    char principal[128];
    ck_assert(ksec_env_value("KFK_TEST_CLIENT_PRINCIPAL", principal, sizeof(principal)));
    char topic[200];
    ktest_unique_topic(topic, sizeof(topic), "acldeny");
    kclus_create_topic(ktest_bootstrap(), topic, 1, 1);
    kfk_admin *a = kclus_admin(NULL);
    kfk_acl_binding allow = binding(KFK_ACL_RESOURCE_TOPIC, topic, KFK_ACL_PATTERN_LITERAL,
                                    principal, KFK_ACL_OP_ALL, KFK_ACL_PERMISSION_ALLOW);
    kfk_acl_binding deny = binding(KFK_ACL_RESOURCE_TOPIC, topic, KFK_ACL_PATTERN_LITERAL,
                                   principal, KFK_ACL_OP_WRITE, KFK_ACL_PERMISSION_DENY);
    create_ok(a, (const kfk_acl_binding *[]){&deny}, 1);
    await_produce(topic, KFK_ERR_TOPIC_AUTHORIZATION_FAILED);
    /* An ALLOW beside the DENY changes nothing: DENY wins. */
    create_ok(a, (const kfk_acl_binding *[]){&allow}, 1);
    ck_assert_int_eq(produce_as_client(topic), KFK_ERR_TOPIC_AUTHORIZATION_FAILED);

    kfk_acl_binding f = deny;
    f.permission_type = KFK_ACL_PERMISSION_DENY;
    f.operation = KFK_ACL_OP_ANY;
    kfk_admin_result *r;
    ck_assert_int_eq(kfk_admin_delete_acls(a, (const kfk_acl_binding *[]){&f}, 1, &opts, &r),
                     KFK_OK);
    carries_exactly(r, 0, (const kfk_acl_binding *[]){&deny}, 1);
    kfk_admin_result_destroy(r);
    await_produce(topic, KFK_OK);

    f = of_principal(principal);
    f.resource_name = topic;
    ck_assert_int_eq(kfk_admin_delete_acls(a, (const kfk_acl_binding *[]){&f}, 1, &opts, &r),
                     KFK_OK);
    carries_exactly(r, 0, (const kfk_acl_binding *[]){&allow}, 1);
    kfk_admin_result_destroy(r);
    kfk_admin_destroy(a);
    kclus_delete_topic(ktest_bootstrap(), topic);
}
END_TEST

static Suite *admin_acls_suite(void)
{
    Suite *s = suite_create("admin_acls");
    TCase *tc = tcase_create("acls");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_create_describe_delete);
    tcase_add_test(tc, test_malformed_binding_fails_alone);
    tcase_add_test(tc, test_bad_arguments);
    tcase_add_test(tc, test_names);
    suite_add_tcase(s, tc);
    const char *why = NULL;
    if (!kclus_is_mock() && ksec_available(&why)) {
        TCase *eff = tcase_create("effect");
        tcase_add_checked_fixture(eff, ksec_setup, ksec_teardown);
        tcase_set_timeout(eff, 240);
        tcase_add_test(eff, test_deny_takes_effect);
        suite_add_tcase(s, eff);
    }
    return s;
}

int main(void)
{
    return ktest_run(admin_acls_suite());
}
