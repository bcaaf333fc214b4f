/* Topics and partitions: names and ids, replica placement, leadership and
 * failover, appending batches with retention, and the public functions
 * that manage topics. mc->lock held throughout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/topic_name.h"
#include "mock/mock.h"
#include "proto/batch.h"

/* ----------------------------------------------------------------- lookup */

mock_topic *mock_topic_find(mock_cluster *mc, kslice name)
{
    if (!name.ptr) return NULL;
    for (size_t i = 0; i < mc->n_topics; i++) {
        mock_topic *t = mc->topics[i];
        if (strlen(t->name) == name.len && !memcmp(t->name, name.ptr, name.len)) return t;
    }
    return NULL;
}

mock_topic *mock_topic_find_id(mock_cluster *mc, const kuuid *id)
{
    for (size_t i = 0; i < mc->n_topics; i++)
        if (!memcmp(mc->topics[i]->id.b, id->b, 16)) return mc->topics[i];
    return NULL;
}

mock_partition *mock_partition_find(mock_topic *t, int32_t partition)
{
    return t && partition >= 0 && partition < t->n_parts ? t->parts[partition] : NULL;
}

/* '.' and '_' collide in metric names, so Kafka refuses a topic that
 * differs from an existing one only in those. */
static bool collides(const char *a, kslice b)
{
    if (strlen(a) != b.len) return false;
    for (size_t i = 0; i < b.len; i++) {
        char x = a[i] == '.' ? '_' : a[i], y = b.ptr[i] == '.' ? '_' : (char)b.ptr[i];
        if (x != y) return false;
    }
    return true;
}

kfk_err mock_topic_name_check(mock_cluster *mc, kslice name, char *msg, size_t msg_len)
{
    kfk_err err = ktopic_name_check((const char *)name.ptr, name.len, msg, msg_len);
    if (err) return err;
    for (size_t i = 0; i < mc->n_topics; i++) {
        const char *other = mc->topics[i]->name;
        if (collides(other, name) &&
            !(strlen(other) == name.len && !memcmp(other, name.ptr, name.len))) {
            snprintf(msg, msg_len, "Topic '%.*s' collides with existing topic: %s", (int)name.len,
                     (const char *)name.ptr, other);
            return KFK_ERR_INVALID_TOPIC_EXCEPTION;
        }
    }
    return KFK_OK;
}

/* -------------------------------------------------------------- placement */

int32_t mock_brokers_up(const mock_cluster *mc)
{
    int32_t n = 0;
    for (int i = 0; i < mc->n_brokers; i++)
        n += !mc->brokers[i].down;
    return n;
}

int32_t mock_default_rf(const mock_cluster *mc)
{
    int32_t up = mock_brokers_up(mc);
    return up < 3 ? (up ? up : 1) : 3;
}

/* The i-th live broker counting from start, cyclically. */
static int32_t live_broker(const mock_cluster *mc, int32_t start, int32_t i)
{
    for (int32_t k = 0, seen = 0; k < 2 * mc->n_brokers; k++) {
        const mock_broker *b = &mc->brokers[(start + k) % mc->n_brokers];
        if (b->down) continue;
        if (seen++ == i) return b->id;
    }
    return -1;
}

static mock_partition *partition_new(mock_cluster *mc, mock_topic *t, int32_t index, int32_t rf,
                                     const int32_t *assigned, int32_t n_assigned)
{
    mock_partition *p = calloc(1, sizeof(*p));
    int32_t n = assigned ? n_assigned : rf;
    int32_t *replicas = calloc((size_t)(n > 0 ? n : 1), sizeof(*replicas));
    if (!p || !replicas) {
        free(p);
        free(replicas);
        return NULL;
    }
    for (int32_t i = 0; i < n; i++) /* leaders round-robin, followers next to them */
        replicas[i] = assigned ? assigned[i] : live_broker(mc, index, i);
    p->topic = t;
    p->index = index;
    p->replicas = replicas;
    p->n_replicas = n;
    p->leader = -1;
    for (int32_t i = 0; i < n && p->leader < 0; i++) {
        mock_broker *b = mock_broker_get(mc, replicas[i]);
        if (b && !b->down) p->leader = b->id;
    }
    return p;
}

static void partition_free(mock_cluster *mc, mock_partition *p)
{
    mc->stored_bytes -= p->log.bytes;
    mock_log_free(&p->log);
    mock_producers_free(p);
    free(p->replicas);
    free(p);
}

static kfk_err topic_grow(mock_cluster *mc, mock_topic *t, int32_t n_parts, int32_t rf,
                          const int32_t *const *assignments, const int32_t *n_assigned)
{
    mock_partition **parts = realloc(t->parts, (size_t)n_parts * sizeof(*parts));
    if (!parts) return KFK_ERR_NO_MEMORY;
    t->parts = parts;
    for (int32_t i = t->n_parts; i < n_parts; i++) {
        int32_t k = i - t->n_parts;
        mock_partition *p = partition_new(mc, t, i, rf, assignments ? assignments[k] : NULL,
                                          assignments ? n_assigned[k] : 0);
        if (!p) {
            for (int32_t j = t->n_parts; j < i; j++)
                partition_free(mc, t->parts[j]);
            return KFK_ERR_NO_MEMORY;
        }
        t->parts[i] = p;
    }
    t->n_parts = n_parts;
    return KFK_OK;
}

kfk_err mock_topic_grow(mock_cluster *mc, mock_topic *t, int32_t n_parts,
                        const int32_t *const *assignments, const int32_t *n_assigned)
{
    int32_t rf = t->n_parts ? t->parts[0]->n_replicas : mock_default_rf(mc);
    int32_t up = mock_brokers_up(mc);
    return topic_grow(mc, t, n_parts, rf < up ? rf : up, assignments, n_assigned);
}

mock_topic *mock_topic_add(mock_cluster *mc, kslice name, int32_t n_parts, int32_t rf,
                           const int32_t *const *assignments, const int32_t *n_assigned)
{
    if (mc->n_topics == mc->cap_topics) {
        size_t cap = mc->cap_topics ? mc->cap_topics * 2 : 16;
        mock_topic **ts = realloc(mc->topics, cap * sizeof(*ts));
        if (!ts) return NULL;
        mc->topics = ts;
        mc->cap_topics = cap;
    }
    mock_topic *t = calloc(1, sizeof(*t));
    if (!t || !(t->name = strndup((const char *)name.ptr, name.len))) {
        free(t);
        return NULL;
    }
    do {
        mock_random(t->id.b, 16);
        t->id.b[6] = (uint8_t)((t->id.b[6] & 0x0f) | 0x40); /* a version 4 UUID */
        t->id.b[8] = (uint8_t)((t->id.b[8] & 0x3f) | 0x80);
    } while (kuuid_is_zero(&t->id) || mock_topic_find_id(mc, &t->id));
    if (topic_grow(mc, t, n_parts, rf, assignments, n_assigned)) {
        mock_topic_free(mc, t);
        return NULL;
    }
    mc->topics[mc->n_topics++] = t;
    return t;
}

void mock_topic_free(mock_cluster *mc, mock_topic *t)
{
    for (int32_t i = 0; i < t->n_parts; i++)
        partition_free(mc, t->parts[i]);
    for (int32_t i = 0; i < t->n_configs; i++) {
        free(t->configs[i].name);
        free(t->configs[i].value);
    }
    free(t->configs);
    free(t->parts);
    free(t->name);
    free(t);
}

void mock_topic_remove(mock_cluster *mc, mock_topic *t)
{
    for (size_t i = 0; i < mc->n_topics; i++) {
        if (mc->topics[i] != t) continue;
        memmove(&mc->topics[i], &mc->topics[i + 1], (mc->n_topics - i - 1) * sizeof(t));
        mc->n_topics--;
        break;
    }
    for (int32_t i = 0; i < t->n_parts; i++)
        mock_partition_wake(mc, t->parts[i]); /* its parked fetches answer now */
    mock_topic_free(mc, t);
}

/* ------------------------------------------------------------- leadership */

static bool is_up(mock_cluster *mc, int32_t id)
{
    mock_broker *b = mock_broker_get(mc, id);
    return b && !b->down;
}

static void set_leader(mock_cluster *mc, mock_partition *p, int32_t leader)
{
    mock_partition_wake(mc, p); /* the old leader's parked fetches */
    p->leader = leader;
    p->leader_epoch++;
}

/* As KRaft does when a broker is fenced or unfenced. */
void mock_topics_failover(mock_cluster *mc, int32_t broker_id)
{
    bool up = is_up(mc, broker_id);
    for (size_t i = 0; i < mc->n_topics; i++) {
        mock_topic *t = mc->topics[i];
        for (int32_t k = 0; k < t->n_parts; k++) {
            mock_partition *p = t->parts[k];
            if (!up && p->leader == broker_id) {
                int32_t next = -1;
                for (int32_t r = 0; r < p->n_replicas && next < 0; r++)
                    if (p->replicas[r] != broker_id && is_up(mc, p->replicas[r]))
                        next = p->replicas[r];
                set_leader(mc, p, next);
            } else if (up && p->leader < 0) {
                for (int32_t r = 0; r < p->n_replicas; r++)
                    if (p->replicas[r] == broker_id) set_leader(mc, p, broker_id);
            }
        }
    }
}

void mock_partition_wake(mock_cluster *mc, mock_partition *p)
{
    mock_broker *b = mock_broker_get(mc, p->leader);
    if (b && (b->waits || b->share_waits)) {
        b->fetch_wake = true;
        mock_loop_poke(mc); /* appends from the loop itself need no syscall */
    }
}

/* --------------------------------------------------------------- the log */

kfk_err mock_partition_append(mock_cluster *mc, mock_partition *p, krbuf *batch,
                              int64_t *base_offset)
{
    mock_log *log = &p->log;
    int64_t base = log->end_offset;
    int32_t last_delta =
        (int32_t)((uint32_t)batch->data[23] << 24 | (uint32_t)batch->data[24] << 16 |
                  (uint32_t)batch->data[25] << 8 | batch->data[26]);
    int64_t max_ts = 0;
    for (int i = 0; i < 8; i++)
        max_ts = (int64_t)((uint64_t)max_ts << 8 | batch->data[35 + i]);
    kbatch_set_base_offset(batch->data, base);
    kbatch_set_partition_leader_epoch(batch->data, p->leader_epoch);
    if (mock_log_append(log, batch, base, base + last_delta, max_ts)) return KFK_ERR_NO_MEMORY;
    mc->stored_bytes += batch->len;
    /* Retention: the appended partition pays for the cluster's excess. */
    while (mc->stored_bytes > mc->retention_bytes && log->n - log->head > 1)
        mc->stored_bytes -= mock_log_drop_oldest(log);
    *base_offset = base;
    mock_partition_wake(mc, p);
    return KFK_OK;
}

/* ------------------------------------------------------------ public API */

kfk_err kfk_mock_topic_create(kfk_mock_cluster *mc, const char *name, int32_t partitions,
                              int16_t replication_factor)
{
    if (!mc || !name) return KFK_ERR_INVALID_ARG;
    char msg[256];
    kslice n = kwire_cstr(name);
    pthread_mutex_lock(&mc->lock);
    kfk_err rc = mock_topic_name_check(mc, n, msg, sizeof(msg));
    int32_t rf = replication_factor == -1 ? mock_default_rf(mc) : replication_factor;
    if (partitions == -1) partitions = 1;
    if (!rc && mock_topic_find(mc, n))
        rc = KFK_ERR_TOPIC_ALREADY_EXISTS;
    else if (!rc && partitions <= 0)
        rc = KFK_ERR_INVALID_PARTITIONS;
    else if (!rc && (rf <= 0 || rf > mock_brokers_up(mc)))
        rc = KFK_ERR_INVALID_REPLICATION_FACTOR;
    if (!rc && !mock_topic_add(mc, n, partitions, rf, NULL, NULL)) rc = KFK_ERR_NO_MEMORY;
    pthread_mutex_unlock(&mc->lock);
    return rc;
}

kfk_err kfk_mock_topic_delete(kfk_mock_cluster *mc, const char *name)
{
    if (!mc || !name) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mock_topic *t = mock_topic_find(mc, kwire_cstr(name));
    if (t) mock_topic_remove(mc, t);
    pthread_mutex_unlock(&mc->lock);
    return t ? KFK_OK : KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
}

kfk_err kfk_mock_partition_offsets(kfk_mock_cluster *mc, const char *topic, int32_t partition,
                                   int64_t *log_start_offset, int64_t *high_watermark)
{
    if (!mc || !topic) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mock_partition *p = mock_partition_find(mock_topic_find(mc, kwire_cstr(topic)), partition);
    if (p && log_start_offset) *log_start_offset = p->log.log_start_offset;
    if (p && high_watermark) *high_watermark = p->log.end_offset;
    pthread_mutex_unlock(&mc->lock);
    return p ? KFK_OK : KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
}

static kfk_err add_replica(mock_partition *p, int32_t broker_id)
{
    for (int32_t i = 0; i < p->n_replicas; i++)
        if (p->replicas[i] == broker_id) return KFK_OK;
    int32_t *r = realloc(p->replicas, (size_t)(p->n_replicas + 1) * sizeof(*r));
    if (!r) return KFK_ERR_NO_MEMORY;
    r[p->n_replicas++] = broker_id;
    p->replicas = r;
    return KFK_OK;
}

kfk_err kfk_mock_partition_truncate(kfk_mock_cluster *mc, const char *topic, int32_t partition,
                                    int64_t offset)
{
    if (!mc || !topic) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mock_partition *p = mock_partition_find(mock_topic_find(mc, kwire_cstr(topic)), partition);
    kfk_err rc = p ? KFK_OK : KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (!rc) {
        const mock_log *log = &p->log;
        size_t i = mock_log_find(log, offset);
        if (offset < log->log_start_offset || offset > log->end_offset ||
            (i < log->n && log->b[i].base_offset != offset))
            rc = KFK_ERR_INVALID_ARG; /* not where a batch starts */
    }
    if (!rc) {
        mc->stored_bytes -= mock_log_truncate(&p->log, offset);
        mock_producers_truncate(p, offset);
        set_leader(mc, p, p->leader); /* the next epoch; parked fetches answer */
        mock_loop_sync(mc);
    }
    pthread_mutex_unlock(&mc->lock);
    return rc;
}

kfk_err kfk_mock_partition_set_leader(kfk_mock_cluster *mc, const char *topic, int32_t partition,
                                      int32_t broker_id)
{
    if (!mc || !topic) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mock_partition *p = mock_partition_find(mock_topic_find(mc, kwire_cstr(topic)), partition);
    kfk_err rc = !p                                ? KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION
                 : !mock_broker_get(mc, broker_id) ? KFK_ERR_INVALID_ARG
                                                   : add_replica(p, broker_id);
    if (!rc) {
        set_leader(mc, p, broker_id);
        mock_loop_sync(mc); /* parked fetches on the old leader have answered */
    }
    pthread_mutex_unlock(&mc->lock);
    return rc;
}
