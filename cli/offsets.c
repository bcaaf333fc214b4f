/* kfk CLI: kfk offsets TOPIC: each partition's low and high watermarks,
 * or with --time the offset of the first record at or after a time. */
#include <string.h>

#include "sub.h"

typedef struct offsets_args {
    int64_t time_ms; /* -1: watermarks */
} offsets_args;

static int offsets_opt(void *ctx, int opt, const char *arg)
{
    offsets_args *o = ctx;
    if (opt != 'T') return cli_usagef("unknown flag");
    if (!strcmp(arg, "earliest")) o->time_ms = KFK_OFFSET_BEGINNING;
    else if (!strcmp(arg, "latest")) o->time_ms = KFK_OFFSET_END;
    else if (!strcmp(arg, "max-timestamp")) o->time_ms = KFK_OFFSET_MAX_TIMESTAMP;
    else if (!cli_parse_i64("--time", arg, 0, INT64_MAX, &o->time_ms)) return CLI_USAGE;
    return CLI_OK;
}

static kfk_partition_list *partitions_of(kfk_admin *a, const kfk_admin_options *opt, const char *topic,
                                         int64_t spec)
{
    const char *names[1] = {topic};
    kfk_metadata *md = NULL;
    kfk_err e = kfk_admin_list_topics(a, names, 1, opt, &md);
    if (!e && md) e = kfk_metadata_topic_error(md, 0);
    if (e) {
        cli_errorf("topic %s: %s", topic, kfk_err_str(e));
        kfk_metadata_destroy(md);
        return NULL;
    }
    kfk_partition_list *l = kfk_partition_list_new(kfk_metadata_partition_count(md, 0));
    for (size_t p = 0; p < kfk_metadata_partition_count(md, 0); p++) {
        kfk_partition_list_add(l, topic, kfk_metadata_partition_id(md, 0, p));
        kfk_partition_list_set_offset(l, p, spec);
    }
    kfk_metadata_destroy(md);
    return l;
}

static int run(kfk_admin *a, cli_conn *c, const char *topic, const offsets_args *o)
{
    kfk_admin_options opt = sub_admin_options(c, 0);
    bool watermarks = o->time_ms == -1;
    kfk_partition_list *lo = partitions_of(a, &opt, topic, watermarks ? KFK_OFFSET_BEGINNING : o->time_ms);
    if (!lo) return CLI_FAIL;
    kfk_partition_list *hi = kfk_partition_list_copy(lo);
    for (size_t i = 0; i < kfk_partition_list_count(hi); i++) kfk_partition_list_set_offset(hi, i, KFK_OFFSET_END);
    kfk_err e = kfk_admin_list_offsets(a, lo, &opt);
    if (!e && watermarks) e = kfk_admin_list_offsets(a, hi, &opt);
    static const char *const wm_hdr[] = {"TOPIC", "PARTITION", "LOW", "HIGH", "RECORDS"};
    static const char *const t_hdr[] = {"TOPIC", "PARTITION", "OFFSET", "TIMESTAMP"};
    cli_table *t = cli_table_new(watermarks ? 5 : 4, watermarks ? wm_hdr : t_hdr);
    for (size_t i = 0; !e && i < kfk_partition_list_count(lo); i++) {
        int64_t l = kfk_partition_list_offset(lo, i), h = kfk_partition_list_offset(hi, i);
        cli_table_row(t);
        cli_table_addf(t, 0, "%s", topic);
        cli_table_addf(t, 1, "%d", kfk_partition_list_partition(lo, i));
        cli_table_addf(t, 2, "%lld", (long long)l);
        if (watermarks) {
            cli_table_addf(t, 3, "%lld", (long long)h);
            cli_table_addf(t, 4, "%lld", (long long)(h - l));
        } else {
            cli_table_addf(t, 3, "%lld", (long long)kfk_partition_list_timestamp(lo, i));
        }
    }
    if (e) cli_errorf("topic %s: %s", topic, kfk_admin_last_error(a)[0] ? kfk_admin_last_error(a) : kfk_err_str(e));
    else cli_table_print(t, stdout);
    cli_table_destroy(t);
    kfk_partition_list_destroy(lo);
    kfk_partition_list_destroy(hi);
    return e ? CLI_FAIL : CLI_OK;
}

int cli_offsets_main(int argc, char **argv)
{
    static const struct option longopts[] = {{"time", required_argument, NULL, 'T'}, SUB_CONN_OPTIONS, {0}};
    cli_conn c;
    if (cli_conn_init(&c)) return CLI_FAIL;
    offsets_args o = {.time_ms = -1};
    optind = 1;
    opterr = 0;
    int rc = sub_parse(&c, argc, argv, "", longopts, offsets_opt, &o);
    if (rc == CLI_OK && optind >= argc) rc = cli_usagef("offsets: name a topic");
    kfk_admin *a = rc == CLI_OK ? cli_admin_new(&c) : NULL;
    if (rc == CLI_OK && !a) rc = CLI_FAIL;
    for (int i = optind; a && i < argc && rc == CLI_OK; i++) rc = run(a, &c, argv[i], &o);
    kfk_admin_destroy(a);
    cli_conn_destroy(&c);
    return rc;
}
