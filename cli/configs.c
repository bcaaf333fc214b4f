/* kfk CLI: kfk configs describe|set|delete, as kafka-configs: of a
 * topic, a broker (or the cluster-wide broker defaults: --broker-defaults)
 * or a group. set and delete change only what they name
 * (IncrementalAlterConfigs). */
#include <string.h>

#include "sub.h"

typedef struct config_args {
    kfk_config_resource_type type;
    const char *name;
    bool all; /* describe: defaults too */
} config_args;

static int set_resource(config_args *a, kfk_config_resource_type type, const char *name)
{
    if (a->type) return cli_usagef("configs: give one of --topic, --broker, --broker-defaults, --group");
    a->type = type;
    a->name = name;
    return CLI_OK;
}

static int config_opt(void *ctx, int opt, const char *arg)
{
    config_args *a = ctx;
    int64_t id;
    switch (opt) {
    case 't': return set_resource(a, KFK_CONFIG_RESOURCE_TOPIC, arg);
    case 'B':
        if (!cli_parse_i64("--broker", arg, 0, INT32_MAX, &id)) return CLI_USAGE;
        return set_resource(a, KFK_CONFIG_RESOURCE_BROKER, arg);
    case 'D': return set_resource(a, KFK_CONFIG_RESOURCE_BROKER, "");
    case 'g': return set_resource(a, KFK_CONFIG_RESOURCE_GROUP, arg);
    case 'a': a->all = true; return CLI_OK;
    default: return cli_usagef("unknown flag");
    }
}

static const struct option config_longopts[] = {
    {"topic", required_argument, NULL, 't'},   {"broker", required_argument, NULL, 'B'},
    {"broker-defaults", no_argument, NULL, 'D'}, {"group", required_argument, NULL, 'g'},
    {"all", no_argument, NULL, 'a'},           SUB_CONN_OPTIONS,
    {0},
};

static int parse(cli_conn *c, int argc, char **argv, config_args *a)
{
    memset(a, 0, sizeof(*a));
    int rc = sub_parse(c, argc, argv, "t:", config_longopts, config_opt, a);
    if (rc) return rc;
    if (!a->type) return cli_usagef("configs: give --topic NAME, --broker ID, --broker-defaults or --group NAME");
    return CLI_OK;
}

static int configs_describe(cli_conn *c, int argc, char **argv)
{
    config_args ca;
    int rc = parse(c, argc, argv, &ca);
    if (rc) return rc;
    kfk_config_resource *res = kfk_config_resource_new(ca.type, ca.name);
    for (int i = optind; i < argc; i++) kfk_config_resource_add(res, argv[i], KFK_ALTER_CONFIG_SET, "");
    kfk_admin *a = cli_admin_new(c);
    if (!a) {
        kfk_config_resource_destroy(res);
        return CLI_FAIL;
    }
    kfk_admin_options opt = sub_admin_options(c, 0);
    kfk_admin_result *r = NULL;
    kfk_err e = kfk_admin_describe_configs(a, &res, 1, &opt, &r);
    static const char *const hdr[] = {"NAME", "VALUE", "SOURCE", "READ-ONLY"};
    cli_table *t = cli_table_new(4, hdr);
    bool named = optind < argc;
    for (size_t j = 0; r && !kfk_admin_result_error(r, 0) && j < kfk_admin_result_config_count(r, 0); j++) {
        const kfk_config_entry *ce = kfk_admin_result_config(r, 0, j);
        if (!ca.all && !named && (ce->is_default || ce->source == KFK_CONFIG_SOURCE_STATIC_BROKER_CONFIG))
            continue; /* as kafka-configs --describe: what was set, unless --all */
        cli_table_add(t, ce->name, ce->sensitive ? "[hidden]" : ce->value,
                      kfk_config_source_name(ce->source), ce->read_only ? "true" : "false");
    }
    cli_table_print(t, stdout);
    cli_table_destroy(t);
    rc = sub_report(r, e, a, kfk_config_resource_type_name(ca.type), NULL);
    kfk_admin_result_destroy(r);
    kfk_admin_destroy(a);
    kfk_config_resource_destroy(res);
    return rc;
}

static int configs_alter(cli_conn *c, int argc, char **argv, bool set)
{
    config_args ca;
    int rc = parse(c, argc, argv, &ca);
    if (rc) return rc;
    if (optind >= argc) return cli_usagef(set ? "configs set: give NAME=VALUE..." : "configs delete: give NAME...");
    kfk_config_resource *res = kfk_config_resource_new(ca.type, ca.name);
    for (int i = optind; i < argc && rc == CLI_OK; i++) {
        if (!set) {
            kfk_config_resource_add(res, argv[i], KFK_ALTER_CONFIG_DELETE, NULL);
            continue;
        }
        char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i]) {
            rc = cli_usagef("configs set %s: expected NAME=VALUE", argv[i]);
            break;
        }
        *eq = '\0';
        kfk_config_resource_add(res, argv[i], KFK_ALTER_CONFIG_SET, eq + 1);
        *eq = '=';
    }
    kfk_admin *a = rc == CLI_OK ? cli_admin_new(c) : NULL;
    if (a) {
        kfk_admin_options opt = sub_admin_options(c, 0);
        kfk_admin_result *r = NULL;
        kfk_err e = kfk_admin_incremental_alter_configs(a, &res, 1, &opt, &r);
        rc = sub_report(r, e, a, kfk_config_resource_type_name(ca.type),
                        set ? "set configs of %s" : "deleted configs of %s");
        kfk_admin_result_destroy(r);
        kfk_admin_destroy(a);
    } else if (rc == CLI_OK) {
        rc = CLI_FAIL;
    }
    kfk_config_resource_destroy(res);
    return rc;
}

static int configs_set(cli_conn *c, int argc, char **argv) { return configs_alter(c, argc, argv, true); }
static int configs_delete(cli_conn *c, int argc, char **argv) { return configs_alter(c, argc, argv, false); }

int cli_configs_main(int argc, char **argv)
{
    static const sub_action actions[] = {
        {"describe", configs_describe}, {"set", configs_set}, {"delete", configs_delete},
    };
    return sub_dispatch("configs", actions, sizeof(actions) / sizeof(actions[0]), argc, argv);
}
