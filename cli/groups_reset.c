/* kfk CLI: kfk groups reset-offsets, as kafka-consumer-groups
 * --reset-offsets: a plan (TOPIC PARTITION NEW-OFFSET) shown with
 * --dry-run (the default) and committed with --execute. The group must
 * have no members: the coordinator refuses offsets from outside. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "groups.h"


#define MAX_TOPIC_SPECS 64

enum reset_kind { RESET_NONE, RESET_EARLIEST, RESET_LATEST, RESET_DATETIME, RESET_OFFSET, RESET_SHIFT };

typedef struct reset_args {
    const char *topics[MAX_TOPIC_SPECS]; /* TOPIC or TOPIC:PARTITION */
    size_t n_topics;
    bool all_topics, execute, dry_run;
    enum reset_kind kind;
    int64_t value; /* ms, offset or shift */
} reset_args;

/* "2026-01-31T12:00:00[.sss][Z]" (UTC), or ms since the epoch. */
static bool parse_datetime(const char *s, int64_t *ms)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest) {
        char *end;
        long long v = strtoll(s, &end, 10);
        if (*s && !*end && v >= 0) {
            *ms = v;
            return true;
        }
        return false;
    }
    int64_t frac = 0;
    if (*rest == '.') {
        int digits = 0;
        for (rest++; *rest >= '0' && *rest <= '9'; rest++)
            if (digits++ < 3) frac = frac * 10 + (*rest - '0');
        while (digits++ < 3) frac *= 10;
    }
    if (*rest == 'Z') rest++;
    if (*rest) return false;
    *ms = (int64_t)timegm(&tm) * 1000 + frac;
    return true;
}

static int set_kind(reset_args *r, enum reset_kind k)
{
    if (r->kind != RESET_NONE)
        return cli_usagef("reset-offsets: give one of --to-earliest, --to-latest, --to-datetime, "
                          "--to-offset, --shift-by");
    r->kind = k;
    return CLI_OK;
}

static int reset_opt(void *ctx, int opt, const char *arg)
{
    reset_args *r = ctx;
    switch (opt) {
    case 't':
        if (r->n_topics == MAX_TOPIC_SPECS) return cli_usagef("--topic: at most %d", MAX_TOPIC_SPECS);
        r->topics[r->n_topics++] = arg;
        return CLI_OK;
    case 'A': r->all_topics = true; return CLI_OK;
    case 'x': r->execute = true; return CLI_OK;
    case 'd': r->dry_run = true; return CLI_OK;
    case 'E': return set_kind(r, RESET_EARLIEST);
    case 'L': return set_kind(r, RESET_LATEST);
    case 'T':
        if (!parse_datetime(arg, &r->value))
            return cli_usagef("--to-datetime %s: expected YYYY-MM-DDTHH:MM:SS[.sss] (UTC) or ms", arg);
        return set_kind(r, RESET_DATETIME);
    case 'O':
        if (!cli_parse_i64("--to-offset", arg, 0, INT64_MAX, &r->value)) return CLI_USAGE;
        return set_kind(r, RESET_OFFSET);
    case 'S':
        if (!cli_parse_i64("--shift-by", arg, INT64_MIN + 1, INT64_MAX, &r->value)) return CLI_USAGE;
        return set_kind(r, RESET_SHIFT);
    default: return cli_usagef("unknown flag");
    }
}

/* The partitions to reset: --topic T (all of T's), --topic T:P, or
 * --all-topics (those the group committed). */
static kfk_partition_list *plan_partitions(kfk_admin *a, const kfk_admin_options *opt, const char *group,
                                           const reset_args *r)
{
    kfk_partition_list *l = kfk_partition_list_new(16);
    if (r->all_topics) {
        kfk_partition_list *committed = NULL;
        if (kfk_admin_list_group_offsets(a, group, NULL, opt, &committed) && !committed) {
            cli_errorf("group %s: %s", group, kfk_admin_last_error(a));
            kfk_partition_list_destroy(l);
            return NULL;
        }
        for (size_t i = 0; i < kfk_partition_list_count(committed); i++)
            kfk_partition_list_add(l, kfk_partition_list_topic(committed, i),
                                   kfk_partition_list_partition(committed, i));
        kfk_partition_list_destroy(committed);
    }
    for (size_t i = 0; i < r->n_topics; i++) {
        char name[256];
        const char *colon = strrchr(r->topics[i], ':');
        snprintf(name, sizeof(name), "%.*s", colon ? (int)(colon - r->topics[i]) : 255, r->topics[i]);
        if (colon) {
            int64_t p;
            if (!cli_parse_i64("--topic PARTITION", colon + 1, 0, INT32_MAX, &p)) goto fail;
            kfk_partition_list_add(l, name, (int32_t)p);
            continue;
        }
        const char *names[1] = {name};
        kfk_metadata *md = NULL;
        kfk_err e = kfk_admin_list_topics(a, names, 1, opt, &md);
        if (!e && md) e = kfk_metadata_topic_error(md, 0);
        if (e) {
            cli_errorf("--topic %s: %s", name, kfk_err_str(e));
            kfk_metadata_destroy(md);
            goto fail;
        }
        for (size_t p = 0; p < kfk_metadata_partition_count(md, 0); p++)
            kfk_partition_list_add(l, name, kfk_metadata_partition_id(md, 0, p));
        kfk_metadata_destroy(md);
    }
    return l;
fail:
    kfk_partition_list_destroy(l);
    return NULL;
}

/* Looks up spec (an offset spec or a time) for every entry of l, into a
 * new list. */
static kfk_partition_list *lookup(kfk_admin *a, const kfk_admin_options *opt,
                                  const kfk_partition_list *l, int64_t spec)
{
    kfk_partition_list *q = kfk_partition_list_copy(l);
    for (size_t i = 0; i < kfk_partition_list_count(q); i++) kfk_partition_list_set_offset(q, i, spec);
    if (kfk_admin_list_offsets(a, q, opt)) {
        cli_errorf("list offsets: %s", kfk_admin_last_error(a));
        kfk_partition_list_destroy(q);
        return NULL;
    }
    return q;
}

/* Fills the new offsets of plan. */
static int compute(kfk_admin *a, const kfk_admin_options *opt, const char *group, const reset_args *r,
                   kfk_partition_list *plan)
{
    kfk_partition_list *lo = lookup(a, opt, plan, KFK_OFFSET_BEGINNING);
    kfk_partition_list *hi = lo ? lookup(a, opt, plan, KFK_OFFSET_END) : NULL;
    kfk_partition_list *at = NULL, *cur = NULL;
    int rc = hi ? CLI_OK : CLI_FAIL;
    if (rc == CLI_OK && r->kind == RESET_DATETIME && !(at = lookup(a, opt, plan, r->value))) rc = CLI_FAIL;
    if (rc == CLI_OK && r->kind == RESET_SHIFT &&
        kfk_admin_list_group_offsets(a, group, plan, opt, &cur) && !cur) {
        cli_errorf("group %s: %s", group, kfk_admin_last_error(a));
        rc = CLI_FAIL;
    }
    for (size_t i = 0; rc == CLI_OK && i < kfk_partition_list_count(plan); i++) {
        int64_t low = kfk_partition_list_offset(lo, i), high = kfk_partition_list_offset(hi, i), v;
        switch (r->kind) {
        case RESET_EARLIEST: v = low; break;
        case RESET_LATEST: v = high; break;
        case RESET_DATETIME: v = kfk_partition_list_offset(at, i) < 0 ? high : kfk_partition_list_offset(at, i); break;
        case RESET_OFFSET: v = r->value; break;
        case RESET_SHIFT: {
            int64_t c = kfk_partition_list_offset(cur, i);
            v = (c < 0 ? low : c) + r->value;
            break;
        }
        default: v = low;
        }
        /* As Kafka's tool: an offset out of range moves to the nearest end. */
        if (v < low) v = low;
        if (v > high) v = high;
        kfk_partition_list_set_offset(plan, i, v);
    }
    kfk_partition_list_destroy(lo);
    kfk_partition_list_destroy(hi);
    kfk_partition_list_destroy(at);
    kfk_partition_list_destroy(cur);
    return rc;
}

static void print_plan(const char *group, const kfk_partition_list *plan)
{
    static const char *const hdr[] = {"GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"};
    cli_table *t = cli_table_new(4, hdr);
    for (size_t i = 0; i < kfk_partition_list_count(plan); i++) {
        cli_table_row(t);
        cli_table_addf(t, 0, "%s", group);
        cli_table_addf(t, 1, "%s", kfk_partition_list_topic(plan, i));
        cli_table_addf(t, 2, "%d", kfk_partition_list_partition(plan, i));
        cli_table_addf(t, 3, "%lld", (long long)kfk_partition_list_offset(plan, i));
    }
    cli_table_print(t, stdout);
    cli_table_destroy(t);
}

static const struct option reset_longopts[] = {
    {"topic", required_argument, NULL, 't'},    {"all-topics", no_argument, NULL, 'A'},
    {"execute", no_argument, NULL, 'x'},        {"dry-run", no_argument, NULL, 'd'},
    {"to-earliest", no_argument, NULL, 'E'},    {"to-latest", no_argument, NULL, 'L'},
    {"to-datetime", required_argument, NULL, 'T'}, {"to-offset", required_argument, NULL, 'O'},
    {"shift-by", required_argument, NULL, 'S'}, SUB_CONN_OPTIONS, {0},
};

int groups_reset_offsets(cli_conn *c, int argc, char **argv)
{
    reset_args r;
    memset(&r, 0, sizeof(r));
    int rc = sub_parse(c, argc, argv, "t:", reset_longopts, reset_opt, &r);
    if (rc) return rc;
    if (optind + 1 != argc) return cli_usagef("groups reset-offsets: name one group");
    if (r.kind == RESET_NONE)
        return cli_usagef("groups reset-offsets: give --to-earliest, --to-latest, --to-datetime, "
                          "--to-offset or --shift-by");
    if (!r.n_topics && !r.all_topics) return cli_usagef("groups reset-offsets: give --topic or --all-topics");
    if (r.execute && r.dry_run) return cli_usagef("--execute and --dry-run exclude each other");
    const char *group = argv[optind];
    kfk_admin *a = cli_admin_new(c);
    if (!a) return CLI_FAIL;
    kfk_admin_options opt = sub_admin_options(c, 0);
    kfk_partition_list *plan = plan_partitions(a, &opt, group, &r);
    rc = plan ? compute(a, &opt, group, &r, plan) : CLI_FAIL;
    if (rc == CLI_OK) print_plan(group, plan);
    if (rc == CLI_OK && r.execute && kfk_admin_alter_group_offsets(a, group, plan, &opt)) {
        cli_errorf("group %s: %s", group, kfk_admin_last_error(a));
        rc = CLI_FAIL;
    }
    if (rc == CLI_OK && !r.execute)
        fprintf(stderr, "kfk: dry run: nothing committed; add --execute to commit these offsets\n");
    kfk_partition_list_destroy(plan);
    kfk_admin_destroy(a);
    return rc;
}
