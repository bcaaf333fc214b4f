/* eos: copy one topic to another exactly once (consume-transform-produce
 * with transactions, KIP-98 and KIP-447).
 *
 *   eos -b BOOTSTRAP -i INPUT -o OUTPUT -g GROUP [-T TRANSACTIONAL_ID]
 *       [-n BATCH] [-c COUNT] [-e] [-X name=value]...
 *
 *   -b  brokers (required: transactions need a real or mock cluster)
 *   -i  the topic to read, as a member of consumer group GROUP, with
 *       isolation.level=read_committed
 *   -o  the topic to write: each record goes to the partition of the same
 *       number (OUTPUT needs at least INPUT's partitions), with the key,
 *       value, headers and timestamp it had, so each output partition
 *       holds its input partition's records in their order
 *   -T  the transactional.id (default GROUP-eos); a process started again
 *       with the same id fences the one before it
 *   -n  records per transaction at most (default 1000)
 *   -c  exit after copying COUNT records;  -e  exit when nothing more comes
 *       for 5 s
 *   -X  any configuration property, for both clients (e.g. -X
 *       transaction.timeout.ms=10000)
 *
 * Each poll's records are produced, and the consumer's next offsets sent,
 * in one transaction: they are committed together or not at all. Killed
 * at any moment (kill -9), a copy started again goes on from the last
 * committed transaction, and read_committed readers of OUTPUT see every
 * input record exactly once. A transaction that must be aborted is, and
 * the consumer goes back to the committed offsets to copy its records
 * again. Progress goes to stderr. Exits 0 when done, 1 on a fatal error
 * (such as being fenced by a newer copy). */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kfk.h"

#define TXN_TIMEOUT_MS 60000

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

typedef struct opts {
    const char *bootstrap, *input, *output, *group, *txn_id;
    int batch, exit_idle;
    long count;
    const char *props[32];
    int n_props;
} opts;

static void usage(void)
{
    fprintf(stderr, "usage: eos -b BOOTSTRAP -i INPUT -o OUTPUT -g GROUP [-T ID] [-n BATCH] "
                    "[-c COUNT] [-e] [-X name=value]...\n");
    exit(2);
}

static void parse(int argc, char **argv, opts *o)
{
    *o = (opts){.batch = 1000};
    for (int c; (c = getopt(argc, argv, "b:i:o:g:T:n:c:eX:")) != -1;) {
        switch (c) {
        case 'b':
            o->bootstrap = optarg;
            break;
        case 'i':
            o->input = optarg;
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'g':
            o->group = optarg;
            break;
        case 'T':
            o->txn_id = optarg;
            break;
        case 'n':
            o->batch = atoi(optarg);
            break;
        case 'c':
            o->count = atol(optarg);
            break;
        case 'e':
            o->exit_idle = 1;
            break;
        case 'X':
            if (o->n_props == 32) usage();
            o->props[o->n_props++] = optarg;
            break;
        default:
            usage();
        }
    }
    if (!o->bootstrap || !o->input || !o->output || !o->group || o->batch < 1) usage();
}

/* A configuration with bootstrap.servers, -X properties and name=value. */
static kfk_conf *conf_new(const opts *o, const char *const *pairs)
{
    kfk_conf *conf = kfk_conf_new();
    char err[512];
    if (!conf || kfk_conf_set(conf, "bootstrap.servers", o->bootstrap, err, sizeof(err))) {
        fprintf(stderr, "eos: %s\n", conf ? err : "out of memory");
        exit(1);
    }
    for (int i = 0; pairs[i]; i += 2)
        if (kfk_conf_set(conf, pairs[i], pairs[i + 1], err, sizeof(err))) {
            fprintf(stderr, "eos: %s\n", err);
            exit(1);
        }
    for (int i = 0; i < o->n_props; i++) {
        char name[256];
        const char *eq = strchr(o->props[i], '=');
        if (!eq || (size_t)(eq - o->props[i]) >= sizeof(name)) usage();
        memcpy(name, o->props[i], (size_t)(eq - o->props[i]));
        name[eq - o->props[i]] = '\0';
        if (kfk_conf_set(conf, name, eq + 1, err, sizeof(err))) {
            fprintf(stderr, "eos: -X %s: %s\n", o->props[i], err);
            exit(1);
        }
    }
    return conf;
}

/* Records that failed (other than by an abort): the first few are told,
 * the rest only counted, so the line that says why eos stopped is not
 * buried under thousands like them. Main thread only (poll, destroy). */
static long dr_failed;

static void on_dr(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    (void)opaque;
    if (!r->err || r->err == KFK_ERR_TXN_ABORTED) return;
    if (dr_failed++ < 5)
        fprintf(stderr, "eos: %s [%d]: %s\n", r->topic, (int)r->partition, kfk_err_str(r->err));
}

/* --- one transaction -------------------------------------------------------------- */

/* Notes in pos the next offset of m's partition. */
static kfk_err note(kfk_partition_list *pos, const kfk_message *m)
{
    const char *topic = kfk_message_topic(m);
    int32_t partition = kfk_message_partition(m);
    int64_t i = kfk_partition_list_find(pos, topic, partition);
    if (i < 0) {
        kfk_err err = kfk_partition_list_add(pos, topic, partition);
        if (err) return err;
        i = (int64_t)kfk_partition_list_count(pos) - 1;
    }
    return kfk_partition_list_set_offset(pos, (size_t)i, kfk_message_offset(m) + 1);
}

/* The next offset of each partition of the n messages: a new list. */
static kfk_partition_list *positions(kfk_message **msgs, size_t n)
{
    kfk_partition_list *pos = kfk_partition_list_new(0);
    for (size_t i = 0; pos && i < n; i++)
        if (note(pos, msgs[i])) {
            kfk_partition_list_destroy(pos);
            pos = NULL;
        }
    return pos;
}

static kfk_err copy(kfk_producer *p, const opts *o, kfk_message *m)
{
    kfk_header hs[64];
    size_t nh = kfk_message_header_count(m);
    if (nh > 64) return KFK_ERR_TOO_LARGE;
    for (size_t i = 0; i < nh; i++) {
        hs[i] = (kfk_header){0};
        kfk_message_header(m, i, &hs[i].name, &hs[i].name_len, &hs[i].value, &hs[i].value_len);
    }
    kfk_record r = {.topic = o->output,
                    .partition = kfk_message_partition(m),
                    .timestamp_ms = kfk_message_timestamp(m, NULL),
                    .headers = hs,
                    .n_headers = nh};
    r.key = kfk_message_key(m, &r.key_len);
    r.value = kfk_message_value(m, &r.value_len);
    return kfk_produce(p, &r, NULL);
}

/* What the producer's last failed call said, else err's name. */
static const char *why(const kfk_producer *p, kfk_err err)
{
    const char *text = kfk_producer_last_error(p);
    return *text ? text : kfk_err_str(err);
}

/* Should the call that failed with err be made again? Not once a signal
 * asked eos to stop. */
static bool retry(kfk_producer *p, kfk_err err)
{
    if (!err || kfk_producer_txn_action(p, err) != KFK_TXN_RETRY) return false;
    fprintf(stderr, "eos: %s; trying again\n", why(p, err));
    return !stop;
}

/* Produces the batch and sends its offsets in a transaction, and
 * commits it. Returns KFK_OK, or the error of a transaction the caller
 * must abort (or give up, when fatal). */
static kfk_err transact(kfk_producer *p, kfk_consumer *c, const opts *o, kfk_message **msgs,
                        size_t n)
{
    kfk_err err = kfk_producer_begin_transaction(p);
    for (size_t i = 0; !err && i < n; i++)
        err = copy(p, o, msgs[i]);
    kfk_partition_list *pos = err ? NULL : positions(msgs, n);
    kfk_consumer_group_metadata *md = err ? NULL : kfk_consumer_get_group_metadata(c);
    if (!err && (!pos || !md)) err = KFK_ERR_NO_MEMORY;
    /* A call that timed out (its request may still be under way) is made
     * again: after a commit times out, abort is no longer an option. */
    if (!err) {
        do
            err = kfk_producer_send_offsets_to_transaction(p, pos, md, TXN_TIMEOUT_MS);
        while (retry(p, err));
    }
    kfk_consumer_group_metadata_destroy(md);
    kfk_partition_list_destroy(pos);
    if (!err) {
        do
            err = kfk_producer_commit_transaction(p, TXN_TIMEOUT_MS);
        while (retry(p, err));
    }
    return err;
}

/* After an abort: the consumer goes back to the group's committed
 * offsets of the batch's partitions, to copy those records again. */
static void rewind_to_committed(kfk_consumer *c, kfk_message **msgs, size_t n)
{
    kfk_partition_list *pos = positions(msgs, n);
    if (pos && kfk_consumer_committed(c, pos, TXN_TIMEOUT_MS) == KFK_OK) {
        for (size_t i = 0; i < kfk_partition_list_count(pos); i++) {
            int64_t off = kfk_partition_list_offset(pos, i);
            if (off == KFK_OFFSET_INVALID) off = KFK_OFFSET_BEGINNING;
            kfk_consumer_seek(c, kfk_partition_list_topic(pos, i),
                              kfk_partition_list_partition(pos, i), off);
        }
    }
    kfk_partition_list_destroy(pos);
}

/* Aborts after err; returns 0 to go on, 1 when the producer is done for. */
static int recover(kfk_producer *p, kfk_consumer *c, kfk_err err, kfk_message **msgs, size_t n)
{
    fprintf(stderr, "eos: transaction failed: %s\n", why(p, err));
    if (kfk_producer_txn_action(p, err) == KFK_TXN_FATAL) return 1;
    do
        err = kfk_producer_abort_transaction(p, TXN_TIMEOUT_MS);
    while (retry(p, err));
    if (err) {
        fprintf(stderr, "eos: abort failed: %s\n", why(p, err));
        return 1;
    }
    rewind_to_committed(c, msgs, n);
    return 0;
}

/* --- main ---------------------------------------------------------------------------- */

static int run(kfk_producer *p, kfk_consumer *c, const opts *o)
{
    kfk_message **msgs = calloc((size_t)o->batch, sizeof(*msgs));
    if (!msgs) return 1;
    long copied = 0;
    int idle_ms = 0, rc = 0;
    while (!stop && !rc && (!o->count || copied < o->count)) {
        size_t n = kfk_consumer_poll_batch(c, msgs, (size_t)o->batch, 100);
        size_t ok = 0; /* errors (such as partition ends) are not copied */
        for (size_t i = 0; i < n; i++) {
            if (kfk_message_error(msgs[i]) == KFK_OK)
                msgs[ok++] = msgs[i];
            else
                kfk_message_release(msgs[i]);
        }
        idle_ms = ok ? 0 : idle_ms + 100;
        if (!ok) {
            if (o->exit_idle && idle_ms >= 5000) break;
            continue;
        }
        kfk_err err = transact(p, c, o, msgs, ok);
        if (err)
            rc = recover(p, c, err, msgs, ok);
        else
            copied += (long)ok;
        for (size_t i = 0; i < ok; i++)
            kfk_message_release(msgs[i]);
        kfk_producer_poll(p, 0);
    }
    fprintf(stderr, "eos: %ld records copied\n", copied);
    free(msgs);
    return rc;
}

int main(int argc, char **argv)
{
    opts o;
    parse(argc, argv, &o);
    char id[512];
    snprintf(id, sizeof(id), "%s-eos", o.group);
    const char *const cpairs[] = {"group.id",
                                  o.group,
                                  "isolation.level",
                                  "read_committed",
                                  "enable.auto.commit",
                                  "false",
                                  "auto.offset.reset",
                                  "earliest",
                                  NULL};
    const char *const ppairs[] = {"transactional.id", o.txn_id ? o.txn_id : id, NULL};
    kfk_conf *pconf = conf_new(&o, ppairs);
    kfk_conf_set_dr_cb(pconf, on_dr, NULL);
    char err[512];
    kfk_consumer *c = kfk_consumer_new(conf_new(&o, cpairs), err, sizeof(err));
    kfk_producer *p = c ? kfk_producer_new(pconf, err, sizeof(err)) : NULL;
    if (!c || !p) {
        fprintf(stderr, "eos: %s\n", err);
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    kfk_err e;
    do
        e = kfk_producer_init_transactions(p, TXN_TIMEOUT_MS);
    while (retry(p, e));
    int rc = e ? 1 : 0;
    if (e) fprintf(stderr, "eos: init_transactions: %s\n", kfk_err_str(e));
    const char *topics[] = {o.input};
    if (!rc && kfk_consumer_subscribe(c, topics, 1)) rc = 1;
    if (!rc) rc = run(p, c, &o);
    kfk_consumer_close(c, 10000);
    kfk_consumer_destroy(c);
    kfk_producer_destroy(p);
    if (dr_failed > 5) fprintf(stderr, "eos: %ld records failed in all\n", dr_failed);
    return rc;
}
