#include "kmember.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kclus.h"

static void set_pairs(kfk_conf *conf, const char *const (*kv)[2])
{
    for (; kv && kv[0][0]; kv++)
        if (kv[0][1]) kclus_set(conf, kv[0][0], kv[0][1]);
}

kfk_conf *kmember_conf(const char *bootstrap, const char *group, const char *const (*kv)[2],
                       const char *const (*more)[2])
{
    kfk_conf *conf = kclus_conf(bootstrap);
    kclus_set(conf, "group.id", group);
    set_pairs(conf, kv);
    set_pairs(conf, more);
    return conf;
}

/* Keeps the first thing that went wrong; the caller holds the lock. */
static void note_bad(kmember_state *s, const char *fmt, ...)
{
    if (s->bad[0]) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->bad, sizeof(s->bad), fmt, ap);
    va_end(ap);
}

/* The score of topic/p, added when first named; NULL (and noted bad) when
 * the table has no room for it. The caller holds the lock. */
static kmember_part *part_slot(kmember_state *s, const char *topic, int32_t p)
{
    if (p < 0 || p >= KMEMBER_MAX_PARTITIONS) {
        note_bad(s, "partition %s/%d out of range", topic, (int)p);
        return NULL;
    }
    int t = 0;
    while (t < s->n_topics && strcmp(s->topics[t], topic) != 0)
        t++;
    if (t == s->n_topics) {
        if (t == KMEMBER_MAX_TOPICS || strlen(topic) >= sizeof(s->topics[t])) {
            note_bad(s, "no room to keep score of topic %s", topic);
            return NULL;
        }
        snprintf(s->topics[t], sizeof(s->topics[t]), "%s", topic);
        for (int i = 0; i < KMEMBER_MAX_PARTITIONS; i++)
            s->parts[t][i].first_offset = -1;
        s->n_topics++;
    }
    return &s->parts[t][p];
}

static void keep_rebalance(kmember_state *s, kfk_rebalance_event ev,
                           const kfk_partition_list *parts)
{
    size_t n = kfk_partition_list_count(parts);
    if (ev == KFK_REBALANCE_ASSIGNED) {
        s->assigned++;
        s->assigned_empty += n == 0;
    } else if (ev == KFK_REBALANCE_REVOKED || ev == KFK_REBALANCE_LOST) {
        if (n == 0) note_bad(s, "an empty %s", ev == KFK_REBALANCE_LOST ? "LOST" : "REVOKED");
        if (ev == KFK_REBALANCE_REVOKED) s->revoked++;
        if (ev == KFK_REBALANCE_LOST) s->lost++;
    } else {
        note_bad(s, "rebalance event %d", (int)ev);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const char *topic = kfk_partition_list_topic(parts, i);
        int32_t p = kfk_partition_list_partition(parts, i);
        kmember_part *pt = part_slot(s, topic, p);
        if (!pt) continue;
        if (ev == KFK_REBALANCE_ASSIGNED) {
            if (pt->owned) note_bad(s, "%s/%d assigned twice", topic, (int)p);
            pt->owned = true;
            pt->assigned++;
            s->parts_assigned++;
            s->owned++;
            continue;
        }
        if (!pt->owned) note_bad(s, "%s/%d taken away but not owned", topic, (int)p);
        s->owned -= pt->owned;
        pt->owned = false;
        if (ev == KFK_REBALANCE_REVOKED) {
            pt->revoked++;
            s->parts_revoked++;
        } else {
            pt->lost++;
            s->parts_lost++;
        }
    }
}

static void on_rebalance(void *opaque, kfk_consumer *c, kfk_rebalance_event ev,
                         const kfk_partition_list *parts)
{
    kmember *m = opaque;
    if (m->o.on_rebalance) m->o.on_rebalance(m, ev, parts);
    pthread_mutex_lock(&m->lock);
    if (c != m->c) note_bad(&m->st, "a rebalance callback for another consumer");
    keep_rebalance(&m->st, ev, parts);
    pthread_mutex_unlock(&m->lock);
}

static void on_commit(void *opaque, kfk_consumer *c, kfk_err err, const kfk_partition_list *offsets)
{
    kmember *m = opaque;
    size_t n = kfk_partition_list_count(offsets);
    pthread_mutex_lock(&m->lock);
    kmember_state *s = &m->st;
    if (c != m->c) note_bad(s, "a commit callback for another consumer");
    s->commits++;
    s->commits_failed += err != KFK_OK;
    s->commits_empty += n == 0;
    s->commit_err = err;
    s->commit_entries = n;
    s->commit_offset = n ? kfk_partition_list_offset(offsets, 0) : KFK_OFFSET_INVALID;
    s->commit_entry_err = n ? kfk_partition_list_error(offsets, 0) : KFK_OK;
    pthread_mutex_unlock(&m->lock);
}

/* Keeps score of one polled message; the caller holds the lock. */
static void keep_message(kmember *m, const kfk_message *msg)
{
    kmember_state *s = &m->st;
    kfk_err err = kfk_message_error(msg);
    if (err) {
        if (kfk_message_partition(msg) < 0 && !s->group_err) s->group_err = err;
        if (m->o.fail_on_error)
            note_bad(s, "poll: %s at %s/%d", kfk_err_str(err), kfk_message_topic(msg),
                     (int)kfk_message_partition(msg));
        return;
    }
    kmember_part *pt = part_slot(s, kfk_message_topic(msg), kfk_message_partition(msg));
    if (pt) {
        if (pt->first_offset < 0) pt->first_offset = kfk_message_offset(msg);
        pt->next_offset = kfk_message_offset(msg) + 1;
    }
    s->consumed++;
}

/* Polls once; whether a message came. */
static bool poll_once(kmember *m, int timeout_ms)
{
    kfk_message *msg = kfk_consumer_poll(m->c, timeout_ms);
    if (!msg) return false;
    pthread_mutex_lock(&m->lock);
    keep_message(m, msg);
    pthread_mutex_unlock(&m->lock);
    if (!kfk_message_error(msg) && m->o.on_message) m->o.on_message(m, msg);
    kfk_message_release(msg);
    return true;
}

static void nap_ms(int ms)
{
    nanosleep(&(struct timespec){0, (long)ms * 1000000}, NULL);
}

static void *poll_thread(void *arg)
{
    kmember *m = arg;
    while (!atomic_load(&m->stop)) {
        if (atomic_load(&m->paused))
            nap_ms(10); /* not polling, on purpose */
        else
            poll_once(m, 20);
    }
    return NULL;
}

void kmember_check(kmember *m)
{
    pthread_mutex_lock(&m->lock);
    char bad[sizeof(m->st.bad)];
    memcpy(bad, m->st.bad, sizeof(bad));
    pthread_mutex_unlock(&m->lock);
    ck_assert_msg(!bad[0], "member: %s", bad);
}

void kmember_start(kmember *m, kfk_conf *conf, const kmember_opts *o)
{
    memset(m, 0, sizeof(*m));
    if (o) m->o = *o;
    pthread_mutex_init(&m->lock, NULL);
    kfk_conf_set_rebalance_cb(conf, on_rebalance, m);
    kfk_conf_set_commit_cb(conf, on_commit, m);
    char err[256];
    m->c = kfk_consumer_new(conf, err, sizeof(err));
    ck_assert_msg(m->c != NULL, "%s", err);
    if (m->o.topic) ck_assert_int_eq(kfk_consumer_subscribe(m->c, &m->o.topic, 1), KFK_OK);
    if (m->o.pattern) ck_assert_int_eq(kfk_consumer_subscribe_pattern(m->c, m->o.pattern), KFK_OK);
    if (m->o.thread) {
        ck_assert_int_eq(pthread_create(&m->thread, NULL, poll_thread, m), 0);
        m->threaded = true;
    }
}

bool kmember_poll(kmember *m, int timeout_ms)
{
    ck_assert(!m->threaded);
    bool got = poll_once(m, timeout_ms);
    kmember_check(m);
    return got;
}

void kmember_pause(kmember *m, bool paused)
{
    atomic_store(&m->paused, paused);
}

static void stop_thread(kmember *m)
{
    if (!m->threaded) return;
    atomic_store(&m->stop, true);
    pthread_join(m->thread, NULL);
    m->threaded = false;
}

void kmember_close(kmember *m)
{
    stop_thread(m);
    ck_assert_int_eq(kfk_consumer_close(m->c, -1), KFK_OK);
}

void kmember_destroy(kmember *m)
{
    stop_thread(m);
    if (m->c) kfk_consumer_destroy(m->c);
    m->c = NULL;
    kmember_check(m);
    pthread_mutex_destroy(&m->lock);
}

kmember_state kmember_snapshot(kmember *m)
{
    pthread_mutex_lock(&m->lock);
    kmember_state s = m->st;
    pthread_mutex_unlock(&m->lock);
    return s;
}

int kmember_state_owned(const kmember_state *s, const char *topic)
{
    int n = 0;
    for (int t = 0; t < s->n_topics; t++)
        if (!topic || strcmp(s->topics[t], topic) == 0)
            for (int p = 0; p < KMEMBER_MAX_PARTITIONS; p++)
                n += s->parts[t][p].owned;
    return n;
}

int kmember_owned(kmember *m, const char *topic)
{
    kmember_check(m);
    pthread_mutex_lock(&m->lock);
    int n = kmember_state_owned(&m->st, topic);
    pthread_mutex_unlock(&m->lock);
    return n;
}

kfk_err kmember_group_err(kmember *m)
{
    pthread_mutex_lock(&m->lock);
    kfk_err err = m->st.group_err;
    pthread_mutex_unlock(&m->lock);
    return err;
}

kmember_part kmember_part_of(const kmember_state *s, const char *topic, int32_t p)
{
    for (int t = 0; t < s->n_topics; t++)
        if (strcmp(s->topics[t], topic) == 0 && p >= 0 && p < KMEMBER_MAX_PARTITIONS)
            return s->parts[t][p];
    return (kmember_part){.first_offset = -1};
}

void kmember_check_assignment(kmember *m)
{
    kmember_state s = kmember_snapshot(m);
    kfk_partition_list *l = kfk_consumer_assignment(m->c);
    ck_assert_ptr_nonnull(l);
    size_t n = kfk_partition_list_count(l);
    ck_assert_int_eq((int)n, kmember_state_owned(&s, NULL));
    for (size_t i = 0; i < n; i++) {
        const char *topic = kfk_partition_list_topic(l, i);
        int32_t p = kfk_partition_list_partition(l, i);
        ck_assert_msg(kmember_part_of(&s, topic, p).owned, "the assignment has %s/%d", topic,
                      (int)p);
    }
    kfk_partition_list_destroy(l);
}

bool kmember_round_list(kmember *const *ms, size_t n, int64_t deadline_ms)
{
    bool polled = false;
    for (size_t i = 0; i < n; i++) {
        if (ms[i]->threaded) {
            kmember_check(ms[i]);
            continue;
        }
        kmember_poll(ms[i], 20);
        polled = true;
    }
    if (!polled) nap_ms(10); /* between looks at what the poll threads kept */
    return ktime_mono_ms() < deadline_ms;
}
