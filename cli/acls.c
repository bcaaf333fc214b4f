/* kfk CLI: kfk acls list|add|remove, as kafka-acls. */
#include <string.h>
#include <strings.h>

#include "sub.h"

typedef struct acl_args {
    kfk_acl_binding b;
    bool have_resource;
} acl_args;

static const char *const op_names[] = {
    [KFK_ACL_OP_ALL] = "All", [KFK_ACL_OP_READ] = "Read", [KFK_ACL_OP_WRITE] = "Write",
    [KFK_ACL_OP_CREATE] = "Create", [KFK_ACL_OP_DELETE] = "Delete", [KFK_ACL_OP_ALTER] = "Alter",
    [KFK_ACL_OP_DESCRIBE] = "Describe", [KFK_ACL_OP_CLUSTER_ACTION] = "ClusterAction",
    [KFK_ACL_OP_DESCRIBE_CONFIGS] = "DescribeConfigs", [KFK_ACL_OP_ALTER_CONFIGS] = "AlterConfigs",
    [KFK_ACL_OP_IDEMPOTENT_WRITE] = "IdempotentWrite", [KFK_ACL_OP_CREATE_TOKENS] = "CreateTokens",
    [KFK_ACL_OP_DESCRIBE_TOKENS] = "DescribeTokens", [KFK_ACL_OP_TWO_PHASE_COMMIT] = "TwoPhaseCommit",
};

static int parse_op(const char *s, kfk_acl_operation *op)
{
    for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
        if (op_names[i] && !strcasecmp(s, op_names[i])) {
            *op = (kfk_acl_operation)i;
            return CLI_OK;
        }
    return cli_usagef("--operation %s: expected Read, Write, Create, Delete, Alter, Describe, All, ...", s);
}

static int set_resource(acl_args *a, kfk_acl_resource_type type, const char *name)
{
    if (a->have_resource) return cli_usagef("acls: give one of --topic, --group, --cluster, --transactional-id");
    a->have_resource = true;
    a->b.resource_type = type;
    a->b.resource_name = name;
    return CLI_OK;
}

static int acl_opt(void *ctx, int opt, const char *arg)
{
    acl_args *a = ctx;
    switch (opt) {
    case 't': return set_resource(a, KFK_ACL_RESOURCE_TOPIC, arg);
    case 'g': return set_resource(a, KFK_ACL_RESOURCE_GROUP, arg);
    case 'C': return set_resource(a, KFK_ACL_RESOURCE_CLUSTER, "kafka-cluster");
    case 'T': return set_resource(a, KFK_ACL_RESOURCE_TRANSACTIONAL_ID, arg);
    case 'p': a->b.principal = arg; return CLI_OK;
    case 'H': a->b.host = arg; return CLI_OK;
    case 'o': return parse_op(arg, &a->b.operation);
    case 'd': a->b.permission_type = KFK_ACL_PERMISSION_DENY; return CLI_OK;
    case 'P': a->b.pattern_type = KFK_ACL_PATTERN_PREFIXED; return CLI_OK;
    default: return cli_usagef("unknown flag");
    }
}

static const struct option acl_longopts[] = {
    {"topic", required_argument, NULL, 't'},     {"group", required_argument, NULL, 'g'},
    {"cluster", no_argument, NULL, 'C'},         {"transactional-id", required_argument, NULL, 'T'},
    {"principal", required_argument, NULL, 'p'}, {"host", required_argument, NULL, 'H'},
    {"operation", required_argument, NULL, 'o'}, {"deny", no_argument, NULL, 'd'},
    {"prefixed", no_argument, NULL, 'P'},        SUB_CONN_OPTIONS,
    {0},
};

static void print_bindings(const kfk_admin_result *r)
{
    static const char *const hdr[] = {"RESOURCE-TYPE", "NAME", "PATTERN", "PRINCIPAL", "HOST",
                                      "OPERATION", "PERMISSION"};
    cli_table *t = cli_table_new(7, hdr);
    for (size_t i = 0; i < kfk_admin_result_count(r); i++)
        for (size_t j = 0; j < kfk_admin_result_acl_count(r, i); j++) {
            const kfk_acl_binding *b = kfk_admin_result_acl(r, i, j);
            cli_table_add(t, kfk_acl_resource_type_name(b->resource_type), b->resource_name,
                          kfk_acl_pattern_type_name(b->pattern_type), b->principal, b->host,
                          kfk_acl_operation_name(b->operation),
                          kfk_acl_permission_type_name(b->permission_type));
        }
    cli_table_print(t, stdout);
    cli_table_destroy(t);
}

enum acl_action { ACL_LIST, ACL_ADD, ACL_REMOVE };

static int acls_run(cli_conn *c, int argc, char **argv, enum acl_action act)
{
    acl_args aa;
    memset(&aa, 0, sizeof(aa));
    int rc = sub_parse(c, argc, argv, "t:", acl_longopts, acl_opt, &aa);
    if (rc) return rc;
    kfk_acl_binding *b = &aa.b;
    if (act == ACL_ADD) {
        if (!aa.have_resource || !b->principal || !b->operation)
            return cli_usagef("acls add: give --principal User:NAME, --operation OP and a resource");
        if (!b->host) b->host = "*";
        if (!b->permission_type) b->permission_type = KFK_ACL_PERMISSION_ALLOW;
        if (!b->pattern_type) b->pattern_type = KFK_ACL_PATTERN_LITERAL;
    } else { /* a filter: what is not given matches anything */
        if (!aa.have_resource) b->resource_type = KFK_ACL_RESOURCE_ANY;
        if (!b->operation) b->operation = KFK_ACL_OP_ANY;
        if (!b->permission_type) b->permission_type = KFK_ACL_PERMISSION_ANY;
        if (!b->pattern_type) b->pattern_type = aa.have_resource ? KFK_ACL_PATTERN_LITERAL : KFK_ACL_PATTERN_ANY;
    }
    kfk_admin *a = cli_admin_new(c);
    if (!a) return CLI_FAIL;
    kfk_admin_options opt = sub_admin_options(c, 0);
    kfk_admin_result *r = NULL;
    const kfk_acl_binding *one[1] = {b};
    kfk_err e = act == ACL_ADD    ? kfk_admin_create_acls(a, one, 1, &opt, &r)
                : act == ACL_LIST ? kfk_admin_describe_acls(a, b, &opt, &r)
                                  : kfk_admin_delete_acls(a, one, 1, &opt, &r);
    if (r && act != ACL_ADD) print_bindings(r);
    rc = sub_report(r, e, a, "acl", act == ACL_ADD ? "added %s" : NULL);
    kfk_admin_result_destroy(r);
    kfk_admin_destroy(a);
    return rc;
}

static int acls_list(cli_conn *c, int argc, char **argv) { return acls_run(c, argc, argv, ACL_LIST); }
static int acls_add(cli_conn *c, int argc, char **argv) { return acls_run(c, argc, argv, ACL_ADD); }
static int acls_remove(cli_conn *c, int argc, char **argv) { return acls_run(c, argc, argv, ACL_REMOVE); }

int cli_acls_main(int argc, char **argv)
{
    static const sub_action actions[] = {
        {"list", acls_list}, {"add", acls_add}, {"remove", acls_remove},
    };
    return sub_dispatch("acls", actions, sizeof(actions) / sizeof(actions[0]), argc, argv);
}
