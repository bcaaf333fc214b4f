/* kfk CLI: kfk groups list|describe|delete|lag, as kafka-consumer-groups
 * shows them; reset-offsets lives in groups_reset.c. */
#include <stdlib.h>
#include <string.h>

#include "groups.h"

static int no_opts(void *ctx, int opt, const char *arg)
{
    (void)ctx, (void)opt, (void)arg;
    return cli_usagef("unknown flag");
}

static const struct option plain_longopts[] = {SUB_CONN_OPTIONS, {0}};

static int groups_list(cli_conn *c, int argc, char **argv)
{
    int rc = sub_parse(c, argc, argv, "", plain_longopts, no_opts, NULL);
    if (rc) return rc;
    kfk_admin *a = cli_admin_new(c);
    if (!a) return CLI_FAIL;
    kfk_admin_options opt = sub_admin_options(c, 0);
    kfk_admin_result *r = NULL;
    kfk_err e = kfk_admin_list_groups(a, NULL, &opt, &r);
    static const char *const hdr[] = {"GROUP", "TYPE", "STATE"};
    cli_table *t = cli_table_new(3, hdr);
    for (size_t i = 0; r && i < kfk_admin_result_count(r); i++) {
        if (!kfk_admin_result_name(r, i)) continue; /* a broker that failed */
        cli_table_add(t, kfk_admin_result_name(r, i),
                      kfk_group_type_name(kfk_admin_result_group_type(r, i)),
                      kfk_group_state_name(kfk_admin_result_group_state(r, i)));
    }
    cli_table_print(t, stdout);
    cli_table_destroy(t);
    if (e) {
        cli_errorf("list groups: %s", kfk_admin_last_error(a)[0] ? kfk_admin_last_error(a) : kfk_err_str(e));
        rc = CLI_FAIL;
    }
    kfk_admin_result_destroy(r);
    kfk_admin_destroy(a);
    return rc;
}

static void assignment_text(char *buf, size_t size, const kfk_partition_list *l)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; l && i < kfk_partition_list_count(l) && off < size; i++)
        off += (size_t)snprintf(buf + off, size - off, "%s%s:%d", i ? "," : "",
                                kfk_partition_list_topic(l, i), kfk_partition_list_partition(l, i));
}

static int groups_describe(cli_conn *c, int argc, char **argv)
{
    int rc = sub_parse(c, argc, argv, "", plain_longopts, no_opts, NULL);
    if (rc) return rc;
    if (optind >= argc) return cli_usagef("groups describe: name a group");
    kfk_admin *a = cli_admin_new(c);
    if (!a) return CLI_FAIL;
    kfk_admin_options opt = sub_admin_options(c, 0);
    kfk_admin_result *r = NULL;
    kfk_err e = kfk_admin_describe_groups(a, (const char *const *)argv + optind, (size_t)(argc - optind),
                                          &opt, &r);
    static const char *const hdr[] = {"GROUP", "TYPE", "STATE", "COORDINATOR", "MEMBER", "CLIENT-ID",
                                      "HOST", "ASSIGNMENT"};
    cli_table *t = cli_table_new(8, hdr);
    for (size_t i = 0; r && i < kfk_admin_result_count(r); i++) {
        if (kfk_admin_result_error(r, i)) continue;
        size_t nm = kfk_admin_result_group_member_count(r, i);
        for (size_t m = 0; m < (nm ? nm : 1); m++) {
            char asg[4096];
            cli_table_row(t);
            cli_table_addf(t, 0, "%s", kfk_admin_result_name(r, i));
            cli_table_addf(t, 1, "%s", kfk_group_type_name(kfk_admin_result_group_type(r, i)));
            cli_table_addf(t, 2, "%s", kfk_group_state_name(kfk_admin_result_group_state(r, i)));
            cli_table_addf(t, 3, "%d", kfk_admin_result_group_coordinator(r, i));
            if (!nm) continue;
            assignment_text(asg, sizeof(asg), kfk_admin_result_group_member_assignment(r, i, m));
            cli_table_addf(t, 4, "%s", kfk_admin_result_group_member_id(r, i, m));
            cli_table_addf(t, 5, "%s", kfk_admin_result_group_member_client_id(r, i, m));
            cli_table_addf(t, 6, "%s", kfk_admin_result_group_member_host(r, i, m));
            cli_table_addf(t, 7, "%s", asg[0] ? asg : "-");
        }
    }
    cli_table_print(t, stdout);
    cli_table_destroy(t);
    rc = sub_report(r, e, a, "group", NULL);
    kfk_admin_result_destroy(r);
    kfk_admin_destroy(a);
    return rc;
}

static int groups_delete(cli_conn *c, int argc, char **argv)
{
    int rc = sub_parse(c, argc, argv, "", plain_longopts, no_opts, NULL);
    if (rc) return rc;
    if (optind >= argc) return cli_usagef("groups delete: name a group");
    kfk_admin *a = cli_admin_new(c);
    if (!a) return CLI_FAIL;
    kfk_admin_options opt = sub_admin_options(c, 0);
    kfk_admin_result *r = NULL;
    kfk_err e = kfk_admin_delete_groups(a, (const char *const *)argv + optind, (size_t)(argc - optind),
                                        &opt, &r);
    rc = sub_report(r, e, a, "group", "deleted group %s");
    kfk_admin_result_destroy(r);
    kfk_admin_destroy(a);
    return rc;
}

static int groups_lag(cli_conn *c, int argc, char **argv)
{
    int rc = sub_parse(c, argc, argv, "", plain_longopts, no_opts, NULL);
    if (rc) return rc;
    if (optind + 1 != argc) return cli_usagef("groups lag: name one group");
    const char *group = argv[optind];
    kfk_admin *a = cli_admin_new(c);
    if (!a) return CLI_FAIL;
    kfk_admin_options opt = sub_admin_options(c, 0);
    kfk_partition_list *l = NULL;
    kfk_err e = kfk_admin_group_lag(a, group, &opt, &l);
    if (!e && kfk_partition_list_count(l) == 0) { /* no offsets: is there such a group? */
        kfk_admin_result *r = NULL;
        kfk_err de = kfk_admin_describe_groups(a, &group, 1, &opt, &r);
        if (de == KFK_ERR_GROUP_ID_NOT_FOUND) e = de;
        kfk_admin_result_destroy(r);
    }
    static const char *const hdr[] = {"GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET",
                                      "LOG-END-OFFSET", "LAG"};
    cli_table *t = cli_table_new(6, hdr);
    for (size_t i = 0; l && i < kfk_partition_list_count(l); i++) {
        cli_table_row(t);
        cli_table_addf(t, 0, "%s", group);
        cli_table_addf(t, 1, "%s", kfk_partition_list_topic(l, i));
        cli_table_addf(t, 2, "%d", kfk_partition_list_partition(l, i));
        int64_t off = kfk_partition_list_offset(l, i);
        if (off >= 0) cli_table_addf(t, 3, "%lld", (long long)off);
        int64_t end = kfk_partition_list_end_offset(l, i);
        if (end >= 0) cli_table_addf(t, 4, "%lld", (long long)end);
        int64_t lag = kfk_partition_list_lag(l, i);
        if (lag >= 0) cli_table_addf(t, 5, "%lld", (long long)lag);
    }
    cli_table_print(t, stdout);
    cli_table_destroy(t);
    if (e) {
        cli_errorf("group %s: %s", group, kfk_admin_last_error(a)[0] ? kfk_admin_last_error(a) : kfk_err_str(e));
        rc = CLI_FAIL;
    }
    kfk_partition_list_destroy(l);
    kfk_admin_destroy(a);
    return rc;
}

int cli_groups_main(int argc, char **argv)
{
    static const sub_action actions[] = {
        {"list", groups_list}, {"describe", groups_describe}, {"delete", groups_delete},
        {"lag", groups_lag},   {"reset-offsets", groups_reset_offsets},
    };
    return sub_dispatch("groups", actions, sizeof(actions) / sizeof(actions[0]), argc, argv);
}
