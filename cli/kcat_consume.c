/* kfk CLI: -C (kcat's simple consumer: every partition of a topic, or -p
 * one, from -o) and -G (a member of a consumer group). Ctrl-C ends the
 * run cleanly: the group member commits and leaves. */
#include <stdlib.h>
#include <string.h>

#include "kcat.h"
#include "plist.h"

#define MAX_PARTS 4096

typedef struct cons_state {
    kcat_opts *o;
    kfk_consumer *c;
    int32_t leaders[MAX_PARTS]; /* -C: the leader of each partition, for -J */
    bool done[MAX_PARTS];       /* -C: at EOF (with -e) or past e@ */
    int32_t nparts, ndone;
    int64_t consumed, bytes, eofs;
    kfk_partition_list *at_end; /* -G -e: partitions at their end (offset 1) */
    cli_progress progress;
} cons_state;

/* -G -e: marks a partition at its end (or not), and tells whether every
 * assigned partition is. */
static bool group_mark_end(cons_state *s, const char *topic, int32_t p, bool at_end)
{
    if (!s->at_end) s->at_end = kfk_partition_list_new(16);
    int64_t i = kfk_partition_list_find(s->at_end, topic, p);
    if (i < 0) {
        if (kfk_partition_list_add(s->at_end, topic, p)) return false;
        i = (int64_t)kfk_partition_list_count(s->at_end) - 1;
    }
    kfk_partition_list_set_offset(s->at_end, (size_t)i, at_end ? 1 : 0);
    if (!at_end) return false;
    kfk_partition_list *asg = kfk_consumer_assignment(s->c);
    bool all = asg && kfk_partition_list_count(asg) > 0;
    for (size_t j = 0; all && j < kfk_partition_list_count(asg); j++) {
        int64_t k = kfk_partition_list_find(s->at_end, kfk_partition_list_topic(asg, j),
                                            kfk_partition_list_partition(asg, j));
        all = k >= 0 && kfk_partition_list_offset(s->at_end, (size_t)k) == 1;
    }
    kfk_partition_list_destroy(asg);
    return all;
}

/* The topic's partitions and leaders (-C). */
static int load_partitions(cons_state *s, kfk_conf *conf)
{
    kcat_opts *o = s->o;
    char err[512] = "";
    kfk_admin *a = kfk_admin_new(kfk_conf_dup(conf), err, sizeof(err));
    if (!a) {
        cli_errorf("%s", err);
        return CLI_FAIL;
    }
    kfk_admin_options opt = {.timeout_ms = o->conn.timeout_ms};
    kfk_metadata *md = NULL;
    const char *names[1] = {o->topic};
    kfk_err e = kfk_admin_list_topics(a, names, 1, &opt, &md);
    if (!e && md && kfk_metadata_topic_count(md) == 1) e = kfk_metadata_topic_error(md, 0);
    if (e) {
        cli_errorf("topic %s: %s", o->topic, e ? kfk_err_str(e) : "not found");
    } else {
        size_t n = kfk_metadata_partition_count(md, 0);
        s->nparts = n > MAX_PARTS ? MAX_PARTS : (int32_t)n;
        for (int32_t p = 0; p < s->nparts; p++)
            s->leaders[kfk_metadata_partition_id(md, 0, (size_t)p) % MAX_PARTS] =
                kfk_metadata_partition_leader(md, 0, (size_t)p);
    }
    kfk_metadata_destroy(md);
    kfk_admin_destroy(a);
    return e ? CLI_FAIL : CLI_OK;
}

/* Start offsets of -o for the assigned partitions. */
static int start_offsets(cons_state *s, kfk_partition_list *parts)
{
    kcat_opts *o = s->o;
    size_t n = kfk_partition_list_count(parts);
    if (o->start_ts >= 0) {
        for (size_t i = 0; i < n; i++) kfk_partition_list_set_offset(parts, i, o->start_ts);
        kfk_err e = kfk_consumer_offsets_for_times(s->c, parts, o->conn.timeout_ms);
        if (e) {
            cli_errorf("-o s@%lld: %s", (long long)o->start_ts, kfk_err_str(e));
            return CLI_FAIL;
        }
        for (size_t i = 0; i < n; i++)
            if (kfk_partition_list_offset(parts, i) < 0)
                kfk_partition_list_set_offset(parts, i, KFK_OFFSET_END);
        return CLI_OK;
    }
    if (o->stored) { /* the group's committed offsets (group.id via -X) */
        kfk_err e = kfk_consumer_committed(s->c, parts, o->conn.timeout_ms);
        if (e) {
            cli_errorf("-o stored: %s", kfk_consumer_last_error(s->c));
            return CLI_FAIL;
        }
        return CLI_OK; /* none committed: KFK_OFFSET_INVALID, auto.offset.reset decides */
    }
    for (size_t i = 0; i < n; i++) {
        int64_t off = o->start_offset;
        if (o->start_relative) {
            int64_t lo, hi;
            const char *t = kfk_partition_list_topic(parts, i);
            int32_t p = kfk_partition_list_partition(parts, i);
            kfk_err e = kfk_consumer_query_watermarks(s->c, t, p, &lo, &hi, o->conn.timeout_ms);
            if (e) {
                cli_errorf("%s [%d]: watermarks: %s", t, p, kfk_err_str(e));
                return CLI_FAIL;
            }
            off = hi - o->start_relative < lo ? lo : hi - o->start_relative;
        }
        kfk_partition_list_set_offset(parts, i, off);
    }
    return CLI_OK;
}

static int assign_simple(cons_state *s)
{
    kcat_opts *o = s->o;
    if (o->partition >= s->nparts)
        return cli_usagef("-p %d: topic %s has %d partitions", o->partition, o->topic, s->nparts);
    kfk_partition_list *parts = kfk_partition_list_new((size_t)s->nparts);
    for (int32_t p = 0; p < s->nparts; p++)
        if (o->partition < 0 || p == o->partition)
            cli_plist_add(parts, o->topic, p, KFK_OFFSET_BEGINNING);
    int rc = start_offsets(s, parts);
    if (rc == CLI_OK && kfk_consumer_assign(s->c, parts)) {
        cli_errorf("%s", kfk_consumer_last_error(s->c));
        rc = CLI_FAIL;
    }
    s->nparts = (int32_t)kfk_partition_list_count(parts);
    kfk_partition_list_destroy(parts);
    return rc;
}

static int subscribe_group(cons_state *s)
{
    kcat_opts *o = s->o;
    if (o->n_args == 0 && !o->topic) return cli_usagef("-G GROUP needs topics: -G GROUP TOPIC...");
    const char *one[1] = {o->topic};
    const char *const *topics = o->n_args ? (const char *const *)o->args : one;
    size_t n = o->n_args ? (size_t)o->n_args : 1;
    kfk_err e = n == 1 && topics[0][0] == '^' ? kfk_consumer_subscribe_pattern(s->c, topics[0])
                                              : kfk_consumer_subscribe(s->c, topics, n);
    if (e) {
        cli_errorf("subscribe: %s", kfk_consumer_last_error(s->c));
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* Handles one polled message; false when the run is over. */
static bool handle(cons_state *s, kfk_message *m)
{
    kcat_opts *o = s->o;
    kfk_err e = kfk_message_error(m);
    int32_t p = kfk_message_partition(m);
    if (e == KFK_ERR_PARTITION_EOF) {
        if (o->exit_eof && o->mode == 'C' && p >= 0 && p < MAX_PARTS && !s->done[p]) {
            s->done[p] = true;
            s->ndone++;
        }
        s->eofs++;
        if (o->exit_eof && o->mode == 'G' && group_mark_end(s, kfk_message_topic(m), p, true))
            return false;
        return !(o->exit_eof && o->mode == 'C' && s->ndone >= s->nparts);
    }
    if (e) {
        cli_errorf("%s [%d]: %s", kfk_message_topic(m) ? kfk_message_topic(m) : "-", p,
                   kfk_err_str(e));
        return !o->exit_on_error;
    }
    if (o->stop_ts >= 0 && kfk_message_timestamp(m, NULL) >= o->stop_ts) {
        if (p >= 0 && p < MAX_PARTS && !s->done[p]) {
            s->done[p] = true;
            s->ndone++;
            kfk_consumer_pause(s->c, kfk_message_topic(m), p);
        }
        return s->ndone < s->nparts;
    }
    if (o->exit_eof && o->mode == 'G') group_mark_end(s, kfk_message_topic(m), p, false);
    int32_t broker = o->mode == 'C' && p >= 0 && p < MAX_PARTS ? s->leaders[p] : -1;
    if (!kcat_print_message(o, m, broker, stdout)) return false;
    size_t vlen;
    kfk_message_value(m, &vlen);
    s->consumed++;
    s->bytes += (int64_t)vlen;
    cli_progress_update(&s->progress, s->consumed, s->bytes);
    return o->count < 0 || s->consumed < o->count;
}

static void set_group_defaults(kcat_opts *o)
{
    char buf[64];
    size_t len = sizeof(buf);
    kfk_conf_set(o->conn.conf, "group.id", o->group, NULL, 0);
    /* kfk's default is latest; kcat starts at the beginning unless told. */
    if (kfk_conf_get(o->conn.conf, "auto.offset.reset", buf, &len) == KFK_OK &&
        !strcmp(buf, "latest") && o->start_offset != KFK_OFFSET_END)
        kfk_conf_set(o->conn.conf, "auto.offset.reset", "earliest", NULL, 0);
}

static int run(cons_state *s)
{
    int rc = s->o->mode == 'C' ? assign_simple(s) : subscribe_group(s);
    if (rc) return rc;
    kfk_consumer_report_eof(s->c, s->o->exit_eof || s->o->mode == 'C');
    cli_progress_start(&s->progress, "consumed", s->o->count);
    bool go = s->o->count != 0;
    while (go && !cli_stop) {
        kfk_message *m = kfk_consumer_poll(s->c, 200);
        if (!m) continue;
        go = handle(s, m);
        kfk_message_release(m);
    }
    cli_progress_end(&s->progress);
    fflush(stdout);
    if (ferror(stdout)) rc = CLI_FAIL;
    return rc;
}

int kcat_consume(kcat_opts *o)
{
    cons_state *s = cli_need(calloc(1, sizeof(*s)));
    s->o = o;
    if (o->mode == 'C' && !o->topic) {
        free(s);
        return cli_usagef("-C needs a topic: -t TOPIC");
    }
    if (o->mode == 'G') set_group_defaults(o);
    char gid[256];
    size_t glen = sizeof(gid);
    if (o->mode == 'C' && o->stored &&
        (kfk_conf_get(o->conn.conf, "group.id", gid, &glen) != KFK_OK || !gid[0])) {
        free(s);
        return cli_usagef("-o stored needs a group: -X group.id=GROUP");
    }
    int rc = o->mode == 'C' ? load_partitions(s, o->conn.conf) : CLI_OK;
    if (rc) {
        free(s);
        return rc;
    }
    char err[512] = "";
    s->c = kfk_consumer_new(o->conn.conf, err, sizeof(err));
    o->conn.conf = NULL;
    if (!s->c) {
        cli_errorf("%s", err);
        free(s);
        return CLI_USAGE;
    }
    cli_catch_signals();
    rc = run(s);
    bool interrupted = cli_stop;
    /* close commits (enable.auto.commit) and leaves the group. */
    kfk_err ce = kfk_consumer_close(s->c, 10000);
    if (ce) cli_errorf("close: %s", kfk_err_str(ce));
    kfk_consumer_destroy(s->c);
    if (interrupted && o->verbosity > 0 && !o->quiet)
        fprintf(stderr, "kfk: interrupted after %lld records\n", (long long)s->consumed);
    kfk_partition_list_destroy(s->at_end);
    free(s);
    return rc;
}
