/* kfk CLI: kfk topics list|describe|create|delete|alter. */
#include <stdlib.h>
#include <string.h>

#include "sub.h"

#define MAX_CONFIGS 64

typedef struct topic_args {
    int64_t partitions, replication;
    const char *topic; /* --topic, as kafka-topics; also positional */
    const char *set[MAX_CONFIGS];
    size_t n_set;
    const char *del[MAX_CONFIGS];
    size_t n_del;
    bool if_not_exists, if_exists, all;
} topic_args;

static const struct option topic_longopts[] = {
    {"partitions", required_argument, NULL, 'P'},
    {"replication-factor", required_argument, NULL, 'R'},
    {"config", required_argument, NULL, 'c'},
    {"delete-config", required_argument, NULL, 'D'},
    {"topic", required_argument, NULL, 't'},
    {"if-not-exists", no_argument, NULL, 'N'},
    {"if-exists", no_argument, NULL, 'E'},
    {"all", no_argument, NULL, 'a'},
    SUB_CONN_OPTIONS,
    {0},
};

static int topic_opt(void *ctx, int opt, const char *arg)
{
    topic_args *t = ctx;
    switch (opt) {
    case 'P': return cli_parse_i64("--partitions", arg, 1, INT32_MAX, &t->partitions) ? 0 : CLI_USAGE;
    case 'R':
        return cli_parse_i64("--replication-factor", arg, 1, INT16_MAX, &t->replication) ? 0 : CLI_USAGE;
    case 'c':
        if (!strchr(arg, '=')) return cli_usagef("--config %s: expected NAME=VALUE", arg);
        if (t->n_set == MAX_CONFIGS) return cli_usagef("--config: at most %d", MAX_CONFIGS);
        t->set[t->n_set++] = arg;
        return CLI_OK;
    case 'D':
        if (t->n_del == MAX_CONFIGS) return cli_usagef("--delete-config: at most %d", MAX_CONFIGS);
        t->del[t->n_del++] = arg;
        return CLI_OK;
    case 't': t->topic = arg; return CLI_OK;
    case 'N': t->if_not_exists = true; return CLI_OK;
    case 'E': t->if_exists = true; return CLI_OK;
    case 'a': t->all = true; return CLI_OK;
    default: return cli_usagef("unknown flag");
    }
}

/* Parses and returns the topic names: --topic and the positionals. */
static int parse(cli_conn *c, int argc, char **argv, topic_args *t, const char ***names, size_t *n)
{
    memset(t, 0, sizeof(*t));
    t->partitions = t->replication = -1;
    int rc = sub_parse(c, argc, argv, "t:", topic_longopts, topic_opt, t);
    if (rc) return rc;
    *n = 0;
    *names = cli_need(calloc((size_t)argc + 1, sizeof(char *)));
    if (t->topic) (*names)[(*n)++] = t->topic;
    for (int i = optind; i < argc; i++) (*names)[(*n)++] = argv[i];
    return CLI_OK;
}

static int topics_list(cli_conn *c, int argc, char **argv)
{
    topic_args t;
    const char **names;
    size_t n;
    int rc = parse(c, argc, argv, &t, &names, &n);
    if (rc) return rc;
    free(names);
    kfk_admin *a = cli_admin_new(c);
    if (!a) return CLI_FAIL;
    kfk_admin_options opt = sub_admin_options(c, 0);
    kfk_metadata *md = NULL;
    kfk_err e = kfk_admin_list_topics(a, NULL, 0, &opt, &md);
    if (md) {
        for (size_t i = 0; i < kfk_metadata_topic_count(md); i++)
            if (t.all || !kfk_metadata_topic_is_internal(md, i))
                printf("%s\n", kfk_metadata_topic_name(md, i));
    } else {
        cli_errorf("list topics: %s", kfk_err_str(e));
    }
    kfk_metadata_destroy(md);
    kfk_admin_destroy(a);
    return md ? CLI_OK : CLI_FAIL;
}

static void ids(char *buf, size_t size, const int32_t *v, size_t n)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && off < size; i++)
        off += (size_t)snprintf(buf + off, size - off, "%s%d", i ? "," : "", v[i]);
}

static int topics_describe(cli_conn *c, int argc, char **argv)
{
    topic_args t;
    const char **names;
    size_t n;
    int rc = parse(c, argc, argv, &t, &names, &n);
    if (rc) return rc;
    kfk_admin *a = cli_admin_new(c);
    if (!a) {
        free(names);
        return CLI_FAIL;
    }
    kfk_admin_options opt = sub_admin_options(c, 0);
    kfk_metadata *md = NULL;
    kfk_err e = kfk_admin_list_topics(a, n ? names : NULL, n, &opt, &md);
    static const char *const hdr[] = {"TOPIC", "PARTITION", "LEADER", "REPLICAS", "ISR"};
    cli_table *tab = cli_table_new(5, hdr);
    for (size_t i = 0; md && i < kfk_metadata_topic_count(md); i++) {
        kfk_err te = kfk_metadata_topic_error(md, i);
        if (te) {
            cli_errorf("topic %s: %s", kfk_metadata_topic_name(md, i), kfk_err_str(te));
            rc = CLI_FAIL;
            continue;
        }
        if (!n && !t.all && kfk_metadata_topic_is_internal(md, i)) continue;
        for (size_t p = 0; p < kfk_metadata_partition_count(md, i); p++) {
            char r[512], s[512];
            size_t nr, ni;
            const int32_t *rv = kfk_metadata_partition_replicas(md, i, p, &nr);
            const int32_t *iv = kfk_metadata_partition_isr(md, i, p, &ni);
            ids(r, sizeof(r), rv, nr);
            ids(s, sizeof(s), iv, ni);
            cli_table_row(tab);
            cli_table_addf(tab, 0, "%s", kfk_metadata_topic_name(md, i));
            cli_table_addf(tab, 1, "%d", kfk_metadata_partition_id(md, i, p));
            cli_table_addf(tab, 2, "%d", kfk_metadata_partition_leader(md, i, p));
            cli_table_addf(tab, 3, "%s", r);
            cli_table_addf(tab, 4, "%s", s);
        }
    }
    if (!md) {
        cli_errorf("describe topics: %s", kfk_err_str(e));
        rc = CLI_FAIL;
    }
    cli_table_print(tab, stdout);
    cli_table_destroy(tab);
    kfk_metadata_destroy(md);
    kfk_admin_destroy(a);
    free(names);
    return rc;
}

/* NAME=VALUE (parse made sure of the '='): a copy of NAME (the caller
 * frees it), and VALUE in *value. */
static char *kv_name(const char *kv, const char **value)
{
    const char *eq = strchr(kv, '=');
    *value = eq + 1;
    return cli_need(strndup(kv, (size_t)(eq - kv)));
}

static int topics_create(cli_conn *c, int argc, char **argv)
{
    topic_args t;
    const char **names;
    size_t n;
    int rc = parse(c, argc, argv, &t, &names, &n);
    if (rc) return rc;
    if (!n) {
        free(names);
        return cli_usagef("topics create: name a topic");
    }
    kfk_new_topic **nt = cli_need(calloc(n, sizeof(*nt)));
    bool built = true;
    for (size_t i = 0; built && i < n; i++) {
        nt[i] =
            cli_need(kfk_new_topic_new(names[i], (int32_t)t.partitions, (int16_t)t.replication));
        for (size_t j = 0; built && j < t.n_set; j++) {
            const char *value;
            char *name = kv_name(t.set[j], &value);
            kfk_err e = kfk_new_topic_set_config(nt[i], name, value);
            if (e) cli_errorf("topics create: --config %s: %s", t.set[j], kfk_err_str(e));
            built = !e;
            free(name);
        }
    }
    kfk_admin *a = built ? cli_admin_new(c) : NULL;
    if (a) {
        kfk_admin_options opt = sub_admin_options(c, 0);
        kfk_admin_result *r = NULL;
        kfk_err e = kfk_admin_create_topics(a, nt, n, &opt, &r);
        if (t.if_not_exists && r)
            for (size_t i = 0; i < kfk_admin_result_count(r); i++)
                if (kfk_admin_result_error(r, i) == KFK_ERR_TOPIC_ALREADY_EXISTS) e = KFK_OK;
        rc = sub_report(r, e, a, "topic", "created topic %s");
        if (t.if_not_exists && rc && r) {
            rc = CLI_OK;
            for (size_t i = 0; i < kfk_admin_result_count(r); i++) {
                kfk_err ie = kfk_admin_result_error(r, i);
                if (ie && ie != KFK_ERR_TOPIC_ALREADY_EXISTS) rc = CLI_FAIL;
            }
        }
        kfk_admin_result_destroy(r);
        kfk_admin_destroy(a);
    } else {
        rc = CLI_FAIL;
    }
    for (size_t i = 0; i < n; i++)
        kfk_new_topic_destroy(nt[i]);
    free(nt);
    free(names);
    return rc;
}

static int topics_delete(cli_conn *c, int argc, char **argv)
{
    topic_args t;
    const char **names;
    size_t n;
    int rc = parse(c, argc, argv, &t, &names, &n);
    if (rc) return rc;
    if (!n) {
        free(names);
        return cli_usagef("topics delete: name a topic");
    }
    kfk_admin *a = cli_admin_new(c);
    if (a) {
        kfk_admin_options opt = sub_admin_options(c, 0);
        kfk_admin_result *r = NULL;
        kfk_err e = kfk_admin_delete_topics(a, names, n, &opt, &r);
        rc = sub_report(r, e, a, "topic", "deleted topic %s");
        if (rc && t.if_exists && r) {
            rc = CLI_OK;
            for (size_t i = 0; i < kfk_admin_result_count(r); i++) {
                kfk_err ie = kfk_admin_result_error(r, i);
                if (ie && ie != KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION) rc = CLI_FAIL;
            }
        }
        kfk_admin_result_destroy(r);
        kfk_admin_destroy(a);
    } else {
        rc = CLI_FAIL;
    }
    free(names);
    return rc;
}

static int alter_configs(kfk_admin *a, cli_conn *c, const char *topic, const topic_args *t)
{
    kfk_config_resource *res = cli_need(kfk_config_resource_new(KFK_CONFIG_RESOURCE_TOPIC, topic));
    kfk_err e = KFK_OK;
    for (size_t j = 0; !e && j < t->n_set; j++) {
        const char *value;
        char *name = kv_name(t->set[j], &value);
        e = kfk_config_resource_add(res, name, KFK_ALTER_CONFIG_SET, value);
        if (e) cli_errorf("topics alter: --config %s: %s", t->set[j], kfk_err_str(e));
        free(name);
    }
    for (size_t j = 0; !e && j < t->n_del; j++) {
        e = kfk_config_resource_add(res, t->del[j], KFK_ALTER_CONFIG_DELETE, NULL);
        if (e) cli_errorf("topics alter: --delete-config %s: %s", t->del[j], kfk_err_str(e));
    }
    if (e) {
        kfk_config_resource_destroy(res);
        return CLI_FAIL;
    }
    kfk_admin_options opt = sub_admin_options(c, 0);
    kfk_admin_result *r = NULL;
    e = kfk_admin_incremental_alter_configs(a, &res, 1, &opt, &r);
    int rc = sub_report(r, e, a, "topic", "altered configs of topic %s");
    kfk_admin_result_destroy(r);
    kfk_config_resource_destroy(res);
    return rc;
}

static int topics_alter(cli_conn *c, int argc, char **argv)
{
    topic_args t;
    const char **names;
    size_t n;
    int rc = parse(c, argc, argv, &t, &names, &n);
    if (rc) return rc;
    if (n != 1 || (t.partitions < 0 && !t.n_set && !t.n_del)) {
        free(names);
        return cli_usagef("topics alter TOPIC: give --partitions N, --config K=V or --delete-config K");
    }
    kfk_admin *a = cli_admin_new(c);
    if (!a) rc = CLI_FAIL;
    if (a && t.partitions > 0) {
        int32_t total = (int32_t)t.partitions;
        kfk_admin_options opt = sub_admin_options(c, 0);
        kfk_admin_result *r = NULL;
        kfk_err e = kfk_admin_create_partitions(a, names, &total, 1, &opt, &r);
        rc = sub_report(r, e, a, "topic", "grew the partitions of topic %s");
        kfk_admin_result_destroy(r);
    }
    if (a && rc == CLI_OK && (t.n_set || t.n_del)) rc = alter_configs(a, c, names[0], &t);
    kfk_admin_destroy(a);
    free(names);
    return rc;
}

int cli_topics_main(int argc, char **argv)
{
    static const sub_action actions[] = {
        {"list", topics_list},     {"describe", topics_describe}, {"create", topics_create},
        {"delete", topics_delete}, {"alter", topics_alter},
    };
    return sub_dispatch("topics", actions, sizeof(actions) / sizeof(actions[0]), argc, argv);
}
