/* Transactional producer test helpers: see ktxn.h. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kclus.h"
#include "kplist.h"
#include "ktxn.h"

static void on_dr(void *opaque, kfk_producer *producer, const kfk_delivery_report *r)
{
    (void)producer;
    ktxn_reports *rs = opaque;
    if (r->err == KFK_OK) {
        rs->ok++;
    } else if (r->err == KFK_ERR_TXN_ABORTED) {
        rs->aborted++;
    } else {
        rs->other++;
        rs->other_err = r->err;
    }
}

static void on_error(void *opaque, void *handle, kfk_err err, const char *reason)
{
    (void)handle;
    (void)reason;
    ktxn_reports *rs = opaque;
    rs->fatal_cb++;
    rs->fatal_err = err;
}

kfk_producer *ktxn_producer(const char *bootstrap, const char *id, ktxn_reports *rs, bool init,
                            const char *const *settings)
{
    kfk_conf *conf = kclus_conf(bootstrap);
    kclus_set(conf, "transactional.id", id);
    for (int i = 0; settings && settings[i]; i += 2)
        kclus_set(conf, settings[i], settings[i + 1]);
    kfk_conf_set_dr_cb(conf, on_dr, rs);
    kfk_conf_set_error_cb(conf, on_error, rs);
    char err[256];
    kfk_producer *p = kfk_producer_new(conf, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    if (!init) return p;
    kfk_err e = kfk_producer_init_transactions(p, KTXN_TIMEOUT_MS);
    ck_assert_msg(e == KFK_OK, "init_transactions: %s", kfk_err_name(e));
    return p;
}

void ktxn_produce(kfk_producer *p, const char *topic, int parts, const char *tag, int n)
{
    for (int i = 0; i < n; i++) {
        char v[64];
        int len = snprintf(v, sizeof(v), "%s-%d", tag, i);
        kfk_record r = {
            .topic = topic, .partition = i % parts, .value = v, .value_len = (size_t)len};
        kfk_err e = kfk_produce(p, &r, NULL);
        ck_assert_msg(e == KFK_OK, "produce %s: %s", v, kfk_err_name(e));
    }
}

static int index_of(const kfk_message *m, const char *const *topics, int nt, int parts)
{
    for (int t = 0; t < nt; t++)
        if (!strcmp(kfk_message_topic(m), topics[t])) return t * parts + kfk_message_partition(m);
    ck_abort_msg("a message of topic %s", kfk_message_topic(m));
    return -1;
}

static void count_tags(const kfk_message *m, const char *const *tags, int *counts, int ntags)
{
    size_t len;
    const char *v = kfk_message_value(m, &len);
    for (int k = 0; k < ntags; k++)
        if (len > strlen(tags[k]) && !memcmp(v, tags[k], strlen(tags[k]))) counts[k]++;
}

/* ktxn_count, noting each partition's position at its end in ends (when
 * not NULL). */
static void read_to_end(const char *bootstrap, const char *const *topics, int nt, int parts,
                        const char *isolation, const char *const *tags, int *counts, int ntags,
                        int64_t *ends)
{
    kfk_conf *conf = kclus_conf(bootstrap);
    kclus_set(conf, "isolation.level", isolation);
    char err[256];
    kfk_consumer *c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(c != NULL, "%s", err);
    int n = nt * parts;
    bool *eof = calloc((size_t)n, sizeof(*eof));
    ck_assert(eof);
    kfk_partition_list *l = kfk_partition_list_new((size_t)n);
    ck_assert_ptr_nonnull(l);
    for (int i = 0; i < n; i++)
        kpl_add(l, topics[i / parts], i % parts, KFK_OFFSET_BEGINNING);
    ck_assert_int_eq(kfk_consumer_assign(c, l), KFK_OK);
    kfk_partition_list_destroy(l);
    kfk_consumer_report_eof(c, true);
    int n_eof = 0;
    int64_t deadline = kclus_now_ms() + KTXN_TIMEOUT_MS;
    while (n_eof < n) {
        ck_assert_msg(kclus_now_ms() < deadline, "%s: %d of %d partitions read to the end",
                      isolation, n_eof, n);
        kfk_message *m = kfk_consumer_poll(c, 200);
        if (!m) continue;
        int idx = index_of(m, topics, nt, parts);
        kfk_err e = kfk_message_error(m);
        if (e == KFK_ERR_PARTITION_EOF) {
            n_eof += !eof[idx];
            eof[idx] = true;
            if (ends) ends[idx] = kfk_message_offset(m);
        } else {
            ck_assert_msg(e == KFK_OK, "%s: %s", isolation, kfk_err_name(e));
            n_eof -= eof[idx]; /* more came after an end */
            eof[idx] = false;
            count_tags(m, tags, counts, ntags);
        }
        kfk_message_release(m);
    }
    kfk_consumer_destroy(c);
    free(eof);
}

void ktxn_count(const char *bootstrap, const char *const *topics, int nt, int parts,
                const char *isolation, const char *const *tags, int *counts, int ntags)
{
    read_to_end(bootstrap, topics, nt, parts, isolation, tags, counts, ntags, NULL);
}

void ktxn_count_settled(const char *bootstrap, const char *const *topics, int nt, int parts,
                        const char *const *tags, int *counts, int ntags)
{
    int n = nt * parts;
    int64_t *committed = calloc((size_t)n, sizeof(*committed));
    int64_t *all = calloc((size_t)n, sizeof(*all));
    int *got = calloc((size_t)ntags, sizeof(*got));
    ck_assert(committed && all && got);
    int64_t deadline = kclus_now_ms() + KTXN_TIMEOUT_MS;
    for (bool settled = false; !settled;) {
        ck_assert_msg(kclus_now_ms() < deadline, "transactions did not end in %d ms",
                      KTXN_TIMEOUT_MS);
        memset(got, 0, (size_t)ntags * sizeof(*got));
        read_to_end(bootstrap, topics, nt, parts, "read_committed", tags, got, ntags, committed);
        read_to_end(bootstrap, topics, nt, parts, "read_uncommitted", NULL, NULL, 0, all);
        settled = true;
        for (int i = 0; i < n; i++)
            settled = settled && committed[i] >= all[i];
    }
    for (int k = 0; k < ntags; k++)
        counts[k] += got[k];
    free(committed);
    free(all);
    free(got);
}
