/* kfk CLI: kfk perf produce|consume, as kafka-producer-perf-test and
 * rdkafka_performance: records of --size bytes at up to --throughput
 * records/s; a report line each second and a total at the end. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "perf_stats.h"
#include "sub.h"

typedef struct perf_args {
    const char *topic;
    int64_t records, size, throughput, timeout_s;
    bool json;
} perf_args;

typedef struct perf_window {
    int64_t records, bytes, errors;
    perf_hist hist;
} perf_window;

typedef struct perf_run {
    perf_args *a;
    int64_t start_ns;
    perf_window total, window;
    int64_t window_start_ns;
    double window_cpu;
} perf_run;

static int perf_opt(void *ctx, int opt, const char *arg)
{
    perf_args *a = ctx;
    switch (opt) {
    case 't': a->topic = arg; return CLI_OK;
    case 'n': return cli_parse_i64("--records", arg, 1, INT64_MAX, &a->records) ? 0 : CLI_USAGE;
    case 's': return cli_parse_i64("--size", arg, 0, 100000000, &a->size) ? 0 : CLI_USAGE;
    case 'r': return cli_parse_i64("--throughput", arg, -1, INT64_MAX, &a->throughput) ? 0 : CLI_USAGE;
    case 'T': return cli_parse_i64("--timeout", arg, 1, 86400, &a->timeout_s) ? 0 : CLI_USAGE;
    case 'j': a->json = true; return CLI_OK;
    default: return cli_usagef("unknown flag");
    }
}

static void count(perf_run *r, int64_t bytes, int64_t latency_us, bool error)
{
    perf_window *w[2] = {&r->total, &r->window};
    for (int i = 0; i < 2; i++) {
        w[i]->records += !error;
        w[i]->errors += error;
        w[i]->bytes += error ? 0 : bytes;
        if (!error && latency_us >= 0) perf_hist_add(&w[i]->hist, latency_us);
    }
}

static void report(perf_run *r, const char *what, bool final)
{
    int64_t now = cli_now_ns();
    double cpu = perf_cpu_secs();
    const perf_window *w = final ? &r->total : &r->window;
    perf_report rep = {
        .json = r->a->json, .final = final, .what = what, .records = w->records, .bytes = w->bytes,
        .errors = w->errors, .latency = &w->hist,
        .secs = (double)(now - (final ? r->start_ns : r->window_start_ns)) / 1e9,
        .cpu_secs = final ? cpu : cpu - r->window_cpu,
    };
    perf_print(&rep);
    memset(&r->window, 0, sizeof(r->window));
    r->window_start_ns = now;
    r->window_cpu = cpu;
}

static void tick(perf_run *r, const char *what)
{
    if (cli_now_ns() - r->window_start_ns >= 1000000000) report(r, what, false);
}

static void on_delivery(void *opaque, kfk_producer *p, const kfk_delivery_report *d)
{
    (void)p;
    perf_run *r = opaque;
    int64_t sent_ns = (int64_t)(intptr_t)d->opaque;
    count(r, r->a->size, (cli_now_ns() - r->start_ns - sent_ns) / 1000, d->err != KFK_OK);
}

/* Waits until sending record i keeps the rate at --throughput. */
static void pace(perf_run *r, kfk_producer *p, int64_t i)
{
    if (r->a->throughput <= 0) return;
    int64_t due_ns = r->start_ns + i * 1000000000 / r->a->throughput;
    while (!cli_stop && cli_now_ns() < due_ns) {
        int64_t left_ms = (due_ns - cli_now_ns()) / 1000000;
        kfk_producer_poll(p, left_ms > 0 ? (int)(left_ms < 100 ? left_ms : 100) : 0);
        if (left_ms <= 0) {
            struct timespec ts = {0, 50000};
            nanosleep(&ts, NULL);
        }
        tick(r, "produce");
    }
}

static int perf_produce(cli_conn *c, perf_args *a)
{
    perf_run r = {.a = a};
    kfk_conf_set_dr_cb(c->conf, on_delivery, &r);
    char err[512] = "";
    kfk_producer *p = kfk_producer_new(c->conf, err, sizeof(err));
    c->conf = NULL;
    if (!p) {
        cli_errorf("%s", err);
        return CLI_USAGE;
    }
    char *payload = cli_need(malloc((size_t)a->size + 1));
    for (int64_t i = 0; i < a->size; i++) payload[i] = (char)('a' + i % 26);
    cli_catch_signals();
    r.start_ns = r.window_start_ns = cli_now_ns();
    r.window_cpu = perf_cpu_secs();
    int64_t i = 0;
    int rc = CLI_OK;
    for (; i < a->records && !cli_stop; i++) {
        pace(&r, p, i);
        kfk_record rec = {.topic = a->topic, .partition = KFK_PARTITION_ANY, .value = payload,
                          .value_len = (size_t)a->size};
        void *sent = (void *)(intptr_t)(cli_now_ns() - r.start_ns);
        kfk_err e;
        while ((e = kfk_produce(p, &rec, sent)) == KFK_ERR_QUEUE_FULL && !cli_stop) {
            kfk_producer_poll(p, 10);
            tick(&r, "produce");
        }
        if (e && e != KFK_ERR_QUEUE_FULL) {
            cli_errorf("%s", kfk_producer_last_error(p));
            rc = CLI_FAIL;
            break;
        }
        if ((i & 1023) == 0) {
            kfk_producer_poll(p, 0);
            tick(&r, "produce");
        }
    }
    cli_stop = 0;
    while (r.total.records + r.total.errors < i && !cli_stop) {
        kfk_producer_flush(p, 1000);
        tick(&r, "produce");
    }
    kfk_producer_close(p, 10000);
    report(&r, "produce", true);
    free(payload);
    return rc == CLI_OK && r.total.errors == 0 ? CLI_OK : CLI_FAIL;
}

static int perf_consume(cli_conn *c, perf_args *a)
{
    perf_run r = {.a = a};
    char group[64];
    snprintf(group, sizeof(group), "kfk-perf-%ld-%lld", (long)getpid(), (long long)cli_wall_ms());
    kfk_conf_set(c->conf, "group.id", group, NULL, 0);
    kfk_conf_set(c->conf, "auto.offset.reset", "earliest", NULL, 0);
    kfk_conf_set(c->conf, "enable.auto.commit", "false", NULL, 0);
    char err[512] = "";
    kfk_consumer *k = kfk_consumer_new(c->conf, err, sizeof(err));
    c->conf = NULL;
    if (!k) {
        cli_errorf("%s", err);
        return CLI_USAGE;
    }
    const char *topics[1] = {a->topic};
    if (kfk_consumer_subscribe(k, topics, 1)) {
        cli_errorf("%s", kfk_consumer_last_error(k));
        kfk_consumer_destroy(k);
        return CLI_FAIL;
    }
    cli_catch_signals();
    r.start_ns = r.window_start_ns = cli_now_ns();
    r.window_cpu = perf_cpu_secs();
    int64_t idle_since = cli_now_ns();
    kfk_message *batch[512];
    while (!cli_stop && r.total.records < a->records) {
        size_t n = kfk_consumer_poll_batch(k, batch, 512, 100);
        int64_t now_ms = cli_wall_ms();
        for (size_t j = 0; j < n; j++) {
            size_t len = 0;
            kfk_message_value(batch[j], &len);
            bool error = kfk_message_error(batch[j]) != KFK_OK;
            count(&r, (int64_t)len, (now_ms - kfk_message_timestamp(batch[j], NULL)) * 1000, error);
            kfk_message_release(batch[j]);
        }
        if (n) idle_since = cli_now_ns();
        else if (cli_now_ns() - idle_since > a->timeout_s * 1000000000) break;
        tick(&r, "consume");
    }
    kfk_consumer_close(k, 10000);
    kfk_consumer_destroy(k);
    report(&r, "consume", true);
    return r.total.records >= a->records || a->records == INT64_MAX ? CLI_OK : CLI_FAIL;
}

static const struct option perf_longopts[] = {
    {"topic", required_argument, NULL, 't'},      {"records", required_argument, NULL, 'n'},
    {"size", required_argument, NULL, 's'},       {"throughput", required_argument, NULL, 'r'},
    {"acks", required_argument, NULL, 'A'},       {"codec", required_argument, NULL, 'z'},
    {"batch-size", required_argument, NULL, 'S'}, {"linger-ms", required_argument, NULL, 'L'},
    {"timeout", required_argument, NULL, 'T'},    {"json", no_argument, NULL, 'j'},
    SUB_CONN_OPTIONS,                             {0},
};

typedef struct perf_ctx {
    perf_args a;
    cli_conn *c;
} perf_ctx;

/* The producer settings map onto kfk properties, so their errors name them. */
static int perf_ctx_opt(void *ctx, int opt, const char *arg)
{
    perf_ctx *p = ctx;
    switch (opt) {
    case 'A':
        if (strcmp(arg, "all") && strcmp(arg, "-1") && strcmp(arg, "0") && strcmp(arg, "1"))
            return cli_usagef("--acks %s: expected all, -1, 0 or 1", arg);
        return cli_conn_set2(p->c, "acks", arg);
    case 'z': return cli_conn_set2(p->c, "compression.type", arg);
    case 'S': return cli_conn_set2(p->c, "batch.size", arg);
    case 'L': return cli_conn_set2(p->c, "linger.ms", arg);
    default: return perf_opt(&p->a, opt, arg);
    }
}

static int perf_main(cli_conn *c, int argc, char **argv, bool produce)
{
    perf_ctx p = {.a = {.records = produce ? 1000000 : INT64_MAX, .size = 100, .throughput = -1,
                        .timeout_s = 10},
                  .c = c};
    int rc = sub_parse(c, argc, argv, "t:", perf_longopts, perf_ctx_opt, &p);
    if (rc) return rc;
    if (!p.a.topic) return cli_usagef("perf: give -t TOPIC");
    if (optind < argc) return cli_usagef("perf: unexpected argument \"%s\"", argv[optind]);
    return produce ? perf_produce(c, &p.a) : perf_consume(c, &p.a);
}

static int perf_produce_main(cli_conn *c, int argc, char **argv) { return perf_main(c, argc, argv, true); }
static int perf_consume_main(cli_conn *c, int argc, char **argv) { return perf_main(c, argc, argv, false); }

int cli_perf_main(int argc, char **argv)
{
    static const sub_action actions[] = {
        {"produce", perf_produce_main},
        {"consume", perf_consume_main},
    };
    return sub_dispatch("perf", actions, sizeof(actions) / sizeof(actions[0]), argc, argv);
}
