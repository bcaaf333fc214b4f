/* consumer: read a topic and print its records, like `kcat -C`; or, with
 * -G, join a consumer group and read what it assigns, like `kcat -G`.
 *
 *   consumer [-b BOOTSTRAP] -t TOPIC [-p PARTITION] [-o beginning|end|OFFSET]
 *            [-e] [-c COUNT] [-v] [-X name=value]...
 *   consumer [-b BOOTSTRAP] -G GROUP [-o beginning|end] [-e] [-c COUNT] [-v]
 *            [-X name=value]... TOPIC...
 *
 *   -b  brokers to start from; without it an embedded mock cluster is
 *       started and filled with a few sample records, so the example runs
 *       with no Kafka at all
 *   -t  the topic;  -p  one partition (default: all of them)
 *   -o  where to start: beginning, end (the default, as kcat) or an offset
 *   -e  exit once every partition's end is reached
 *   -c  exit after COUNT records
 *   -v  print partition, offset, timestamp and key before each value
 *   -X  any configuration property (e.g. -X fetch.max.wait.ms=100)
 *   -G  subscribe as a member of GROUP to the TOPICs (a TOPIC starting with
 *       ^ is a regex); assignments and revocations are printed to stderr,
 *       positions are committed as records are read (enable.auto.commit),
 *       -o sets auto.offset.reset for partitions without a committed offset
 *
 * Values are printed one per line. Errors go to stderr. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kfk.h"
#include "kfk_mock.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

typedef struct opts {
    const char *bootstrap, *topic, *group;
    char **topics; /* -G: the TOPIC arguments */
    int n_topics;
    int32_t partition; /* -1: all */
    int64_t start;
    int exit_at_end, verbose;
    long count;
    const char *props[32];
    int n_props;
} opts;

static void usage(void)
{
    fprintf(stderr, "usage: consumer [-b BOOTSTRAP] -t TOPIC [-p PARTITION] "
                    "[-o beginning|end|OFFSET] [-e] [-c COUNT] [-v] [-X name=value]...\n"
                    "       consumer [-b BOOTSTRAP] -G GROUP [-o beginning|end] [-e] [-c COUNT] "
                    "[-v] [-X name=value]... TOPIC...\n");
    exit(2);
}

static void parse(int argc, char **argv, opts *o)
{
    *o = (opts){.partition = -1, .start = KFK_OFFSET_END, .count = -1};
    int ch;
    while ((ch = getopt(argc, argv, "b:t:p:o:ec:vX:G:")) != -1) {
        switch (ch) {
        case 'G':
            o->group = optarg;
            break;
        case 'b':
            o->bootstrap = optarg;
            break;
        case 't':
            o->topic = optarg;
            break;
        case 'p':
            o->partition = atoi(optarg);
            break;
        case 'o':
            if (!strcmp(optarg, "beginning"))
                o->start = KFK_OFFSET_BEGINNING;
            else if (!strcmp(optarg, "end"))
                o->start = KFK_OFFSET_END;
            else
                o->start = atoll(optarg);
            break;
        case 'e':
            o->exit_at_end = 1;
            break;
        case 'c':
            o->count = atol(optarg);
            break;
        case 'v':
            o->verbose = 1;
            break;
        case 'X':
            if (o->n_props == 32 || !strchr(optarg, '=')) usage();
            o->props[o->n_props++] = optarg;
            break;
        default:
            usage();
        }
    }
    if (o->group) {
        o->topics = argv + optind;
        o->n_topics = argc - optind;
        if (o->n_topics < 1 || o->topic || o->partition >= 0 || o->start >= 0) usage();
        o->topic = o->topics[0];
    } else if (!o->topic || optind != argc) {
        usage();
    }
}

static kfk_conf *make_conf(const opts *o)
{
    kfk_conf *conf = kfk_conf_new();
    char err[512];
    if (kfk_conf_set(conf, "bootstrap.servers", o->bootstrap, err, sizeof(err))) goto bad;
    for (int i = 0; i < o->n_props; i++) {
        char name[256];
        const char *eq = strchr(o->props[i], '=');
        snprintf(name, sizeof(name), "%.*s", (int)(eq - o->props[i]), o->props[i]);
        if (kfk_conf_set(conf, name, eq + 1, err, sizeof(err))) goto bad;
    }
    return conf;
bad:
    fprintf(stderr, "consumer: %s\n", err);
    exit(1);
}

/* The embedded mock: a 3-partition topic with ten sample records. */
static kfk_mock_cluster *start_mock(opts *o)
{
    kfk_mock_cluster *mc = kfk_mock_cluster_new(3);
    if (!mc || kfk_mock_topic_create(mc, o->topic, 3, 1)) {
        fprintf(stderr, "consumer: cannot start the mock cluster\n");
        exit(1);
    }
    o->bootstrap = kfk_mock_cluster_bootstrap(mc);
    kfk_conf *conf = make_conf(o);
    char err[512];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    if (!p) {
        fprintf(stderr, "consumer: %s\n", err);
        exit(1);
    }
    for (int i = 0; i < 10; i++) {
        char value[32];
        snprintf(value, sizeof(value), "sample record %d", i);
        kfk_record rec = {
            .topic = o->topic, .partition = i % 3, .value = value, .value_len = strlen(value)};
        kfk_produce(p, &rec, NULL);
    }
    kfk_producer_close(p, 10000);
    if (o->start == KFK_OFFSET_END) o->start = KFK_OFFSET_BEGINNING; /* show the samples */
    fprintf(stderr, "consumer: embedded mock cluster at %s\n", o->bootstrap);
    return mc;
}

/* How many partitions the topic has, or -1. */
static int32_t partition_count(const opts *o)
{
    char err[512];
    kfk_admin *a = kfk_admin_new(make_conf(o), err, sizeof(err));
    if (!a) return -1;
    kfk_metadata *md;
    int32_t n = -1;
    kfk_admin_options options = {.timeout_ms = 10000};
    if (kfk_admin_list_topics(a, &o->topic, 1, &options, &md) == KFK_OK) {
        if (kfk_metadata_topic_count(md) == 1 && !kfk_metadata_topic_error(md, 0))
            n = (int32_t)kfk_metadata_partition_count(md, 0);
        kfk_metadata_destroy(md);
    }
    kfk_admin_destroy(a);
    return n;
}

static void print(const opts *o, const kfk_message *m)
{
    size_t vlen = 0, klen = 0;
    const void *v = kfk_message_value(m, &vlen);
    if (o->verbose) {
        const void *k = kfk_message_key(m, &klen);
        printf("%d\t%lld\t%lld\t%.*s\t", (int)kfk_message_partition(m),
               (long long)kfk_message_offset(m), (long long)kfk_message_timestamp(m, NULL),
               (int)klen, k ? (const char *)k : "");
    }
    if (v) fwrite(v, 1, vlen, stdout);
    putchar('\n');
}

/* --- group mode (-G) ------------------------------------------------------------------ */

/* The partitions the group gave this member, and which are at their end. */
typedef struct owned_part {
    char *topic; /* a copy */
    int32_t partition;
} owned_part;

typedef struct owned {
    owned_part *v;
    char *eof;
    size_t n, cap;
} owned;

static long find_owned(const owned *ow, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < ow->n; i++)
        if (ow->v[i].partition == partition && !strcmp(ow->v[i].topic, topic)) return (long)i;
    return -1;
}

static void on_rebalance(void *opaque, kfk_consumer *c, kfk_rebalance_event ev,
                         const kfk_partition_list *parts)
{
    (void)c;
    owned *ow = opaque;
    const char *what = ev == KFK_REBALANCE_ASSIGNED  ? "assigned"
                       : ev == KFK_REBALANCE_REVOKED ? "revoked"
                                                     : "lost";
    fprintf(stderr, "consumer: %s:", what);
    size_t n = kfk_partition_list_count(parts);
    for (size_t i = 0; i < n; i++) {
        const char *topic = kfk_partition_list_topic(parts, i);
        int32_t partition = kfk_partition_list_partition(parts, i);
        fprintf(stderr, " %s[%d]", topic, (int)partition);
        long k = find_owned(ow, topic, partition);
        if (ev == KFK_REBALANCE_ASSIGNED && k < 0) {
            if (ow->n == ow->cap) {
                ow->cap = ow->cap ? ow->cap * 2 : 16;
                ow->v = realloc(ow->v, ow->cap * sizeof(*ow->v));
                ow->eof = realloc(ow->eof, ow->cap);
                if (!ow->v || !ow->eof) abort();
            }
            if (!(ow->v[ow->n].topic = strdup(topic))) abort();
            ow->v[ow->n].partition = partition;
            ow->eof[ow->n++] = 0;
        } else if (ev != KFK_REBALANCE_ASSIGNED && k >= 0) {
            free(ow->v[k].topic);
            ow->v[k] = ow->v[--ow->n];
            ow->eof[k] = ow->eof[ow->n];
        }
    }
    fprintf(stderr, "%s\n", n ? "" : " (none)");
}

static void on_commit(void *opaque, kfk_consumer *consumer, kfk_err err,
                      const kfk_partition_list *offsets)
{
    (void)consumer;
    (void)opaque;
    if (err)
        fprintf(stderr, "consumer: commit of %zu offsets: %s\n", kfk_partition_list_count(offsets),
                kfk_err_str(err));
}

static int run_group(opts *o)
{
    kfk_conf *conf = make_conf(o);
    char err[512];
    owned ow = {0};
    if (kfk_conf_set(conf, "group.id", o->group, err, sizeof(err)) ||
        kfk_conf_set(conf, "auto.offset.reset",
                     o->start == KFK_OFFSET_BEGINNING ? "earliest" : "latest", err, sizeof(err))) {
        fprintf(stderr, "consumer: %s\n", err);
        return 1;
    }
    kfk_conf_set_rebalance_cb(conf, on_rebalance, &ow);
    kfk_conf_set_commit_cb(conf, on_commit, NULL);
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    if (!c) {
        fprintf(stderr, "consumer: %s\n", err);
        return 1;
    }
    kfk_err e =
        o->topics[0][0] == '^' && o->n_topics == 1
            ? kfk_consumer_subscribe_pattern(c, o->topics[0])
            : kfk_consumer_subscribe(c, (const char *const *)o->topics, (size_t)o->n_topics);
    if (e) fprintf(stderr, "consumer: %s\n", kfk_consumer_last_error(c));
    kfk_consumer_report_eof(c, o->exit_at_end);
    size_t at_end = 0;
    for (long got = 0;
         !e && !stop && got != o->count && !(o->exit_at_end && ow.n && at_end == ow.n);) {
        kfk_message *m = kfk_consumer_poll(c, 200);
        if (!m) continue;
        kfk_err me = kfk_message_error(m);
        long k = find_owned(&ow, kfk_message_topic(m), kfk_message_partition(m));
        if (me == KFK_ERR_PARTITION_EOF) {
            if (k >= 0 && !ow.eof[k]) ow.eof[k] = 1;
        } else if (me && kfk_message_partition(m) < 0) { /* the group failed for good */
            fprintf(stderr, "consumer: group %s: %s\n", o->group, kfk_err_str(me));
            e = me;
        } else if (me) {
            fprintf(stderr, "consumer: %s [%d]: %s\n", kfk_message_topic(m),
                    (int)kfk_message_partition(m), kfk_err_str(me));
        } else {
            if (k >= 0) ow.eof[k] = 0;
            print(o, m);
            got++;
        }
        kfk_message_release(m);
        at_end = 0;
        for (size_t i = 0; i < ow.n; i++)
            at_end += ow.eof[i] != 0;
    }
    fflush(stdout);
    kfk_consumer_close(c, -1); /* commits, revokes and leaves the group */
    kfk_consumer_destroy(c);
    for (size_t i = 0; i < ow.n; i++)
        free(ow.v[i].topic);
    free(ow.v);
    free(ow.eof);
    return e ? 1 : 0;
}

int main(int argc, char **argv)
{
    opts o;
    parse(argc, argv, &o);
    kfk_mock_cluster *mc = o.bootstrap ? NULL : start_mock(&o);
    if (o.group) {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        int rc = run_group(&o);
        kfk_mock_cluster_destroy(mc);
        return rc;
    }
    int32_t n = o.partition >= 0 ? 1 : partition_count(&o);
    if (n <= 0) {
        fprintf(stderr, "consumer: topic %s not found\n", o.topic);
        return 1;
    }
    char err[512];
    kfk_consumer *c = kfk_consumer_new(make_conf(&o), err, sizeof(err));
    if (!c) {
        fprintf(stderr, "consumer: %s\n", err);
        return 1;
    }
    kfk_partition_list *list = kfk_partition_list_new((size_t)n);
    kfk_err e = list ? KFK_OK : KFK_ERR_NO_MEMORY;
    for (int32_t i = 0; i < n && !e; i++)
        if (!(e = kfk_partition_list_add(list, o.topic, o.partition >= 0 ? o.partition : i)))
            e = kfk_partition_list_set_offset(list, (size_t)i, o.start);
    if (!e) e = kfk_consumer_assign(c, list);
    kfk_partition_list_destroy(list);
    if (e) fprintf(stderr, "consumer: assign: %s\n", kfk_consumer_last_error(c));
    kfk_consumer_report_eof(c, o.exit_at_end);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int32_t top = o.partition >= 0 ? o.partition + 1 : n;
    char *eof = calloc((size_t)top, 1); /* partitions now at their end */
    int at_end = 0;
    for (long got = 0; !e && !stop && got != o.count && !(o.exit_at_end && at_end == n);) {
        kfk_message *m = kfk_consumer_poll(c, 200);
        if (!m) continue;
        kfk_err me = kfk_message_error(m);
        int32_t p = kfk_message_partition(m);
        if (me == KFK_ERR_PARTITION_EOF) {
            at_end += !eof[p];
            eof[p] = 1;
        } else if (me) {
            fprintf(stderr, "consumer: %s [%d]: %s\n", kfk_message_topic(m), (int)p,
                    kfk_err_str(me));
        } else {
            at_end -= eof[p];
            eof[p] = 0;
            print(&o, m);
            got++;
        }
        kfk_message_release(m);
    }
    kfk_consumer_destroy(c);
    free(eof);
    kfk_mock_cluster_destroy(mc);
    return e ? 1 : 0;
}
