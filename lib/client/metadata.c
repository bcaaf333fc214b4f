#include "client/metadata.h"

#include <stdlib.h>
#include <string.h>

#include "base/err.h"

/* A slot of the name -> topic table (linear probing, backward-shift
 * deletion, so there are no tombstones). */
struct kmeta_slot {
    kmeta_topic *t; /* NULL: empty */
    uint64_t hash;
    uint32_t seen; /* update generation that listed it */
};

static uint64_t hash_name(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)s[i]) * 1099511628211ULL;
    return h;
}

void kmeta_init(kmeta *m)
{
    memset(m, 0, sizeof(*m));
    pthread_mutex_init(&m->lock, NULL);
    m->controller_id = -1;
}

void kmeta_free(kmeta *m)
{
    for (size_t i = 0; i < m->n_slots; i++)
        if (m->slots[i].t) kmeta_topic_unref(m->slots[i].t);
    free(m->slots);
    free(m->cluster_id);
    pthread_mutex_destroy(&m->lock);
}

kmeta_topic *kmeta_topic_ref(kmeta_topic *t)
{
    atomic_fetch_add_explicit(&t->refcnt, 1, memory_order_relaxed);
    return t;
}

void kmeta_topic_unref(kmeta_topic *t)
{
    if (t && atomic_fetch_sub_explicit(&t->refcnt, 1, memory_order_acq_rel) == 1)
        free(t); /* one block: name, partitions and their arrays inside */
}

/* --- the table (lock held) --------------------------------------------------- */

static kmeta_slot *find_slot(const kmeta *m, const char *name, size_t len, uint64_t h)
{
    if (!m->n_slots) return NULL;
    size_t mask = m->n_slots - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        kmeta_slot *s = &m->slots[i];
        if (!s->t) return NULL;
        if (s->hash == h && strlen(s->t->name) == len && memcmp(s->t->name, name, len) == 0)
            return s;
    }
}

static void insert_slot(kmeta_slot *slots, size_t n_slots, kmeta_slot in)
{
    size_t mask = n_slots - 1;
    size_t i = in.hash & mask;
    while (slots[i].t)
        i = (i + 1) & mask;
    slots[i] = in;
}

static int grow(kmeta *m)
{
    if ((m->n_topics + 1) * 4 < m->n_slots * 3) return 0; /* under 75% full */
    size_t n = m->n_slots ? m->n_slots * 2 : 64;
    kmeta_slot *slots = calloc(n, sizeof(*slots));
    if (!slots) return -1;
    for (size_t i = 0; i < m->n_slots; i++)
        if (m->slots[i].t) insert_slot(slots, n, m->slots[i]);
    free(m->slots);
    m->slots = slots;
    m->n_slots = n;
    return 0;
}

static void remove_slot(kmeta *m, kmeta_slot *s)
{
    size_t mask = m->n_slots - 1;
    size_t i = (size_t)(s - m->slots);
    kmeta_topic_unref(s->t);
    m->slots[i].t = NULL;
    m->n_topics--;
    /* Backward shift: move later entries of the probe run into the hole
     * when their home slot is not between the hole and them. */
    for (size_t j = (i + 1) & mask; m->slots[j].t; j = (j + 1) & mask) {
        size_t home = m->slots[j].hash & mask;
        bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            m->slots[i] = m->slots[j];
            m->slots[j].t = NULL;
            i = j;
        }
    }
}

/* --- building entries --------------------------------------------------------- */

typedef kp_metadata_response_topic resp_topic;
typedef kp_metadata_response_partition resp_part;

/* Where partition i of the new entry comes from: the answer, or the old
 * entry when that has a newer leader epoch. */
typedef struct part_src {
    const resp_part *rp;
    const kmeta_partition *old;
} part_src;

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static kmeta_topic *alloc_topic(kslice name, int32_t n_parts, size_t n_ints)
{
    size_t size = align8(sizeof(kmeta_topic)) + align8((size_t)n_parts * sizeof(kmeta_partition)) +
                  align8(n_ints * sizeof(int32_t)) + name.len + 1;
    kmeta_topic *t = calloc(1, size);
    if (!t) return NULL;
    atomic_init(&t->refcnt, 1);
    t->n_partitions = n_parts;
    t->partitions = (kmeta_partition *)((char *)t + align8(sizeof(kmeta_topic)));
    char *nm = (char *)t + size - name.len - 1;
    memcpy(nm, name.ptr, name.len);
    t->name = nm;
    return t;
}

static int32_t *ints_base(kmeta_topic *t)
{
    return (int32_t *)((char *)t->partitions +
                       align8((size_t)t->n_partitions * sizeof(kmeta_partition)));
}

static const int32_t *copy_ints(int32_t **cursor, const int32_t *src, int32_t n)
{
    int32_t *dst = *cursor;
    if (n > 0) memcpy(dst, src, (size_t)n * sizeof(int32_t));
    *cursor += n > 0 ? n : 0;
    return dst;
}

static void fill_partition(kmeta_partition *p, const part_src *src, int32_t **cursor)
{
    if (src->old) {
        const kmeta_partition *o = src->old;
        *p = *o;
        p->replicas = copy_ints(cursor, o->replicas, o->n_replicas);
        p->isr = copy_ints(cursor, o->isr, o->n_isr);
        p->offline = copy_ints(cursor, o->offline, o->n_offline);
        return;
    }
    const resp_part *r = src->rp;
    p->leader = r->leader_id;
    p->leader_epoch = r->leader_epoch;
    p->err = (kfk_err)r->error_code;
    p->n_replicas = r->n_replica_nodes > 0 ? r->n_replica_nodes : 0;
    p->n_isr = r->n_isr_nodes > 0 ? r->n_isr_nodes : 0;
    p->n_offline = r->n_offline_replicas > 0 ? r->n_offline_replicas : 0;
    p->replicas = copy_ints(cursor, r->replica_nodes, p->n_replicas);
    p->isr = copy_ints(cursor, r->isr_nodes, p->n_isr);
    p->offline = copy_ints(cursor, r->offline_replicas, p->n_offline);
}

static size_t ints_of(const part_src *s)
{
    if (s->old) return (size_t)s->old->n_replicas + s->old->n_isr + s->old->n_offline;
    if (!s->rp) return 0;
    const resp_part *r = s->rp;
    return (size_t)(r->n_replica_nodes > 0 ? r->n_replica_nodes : 0) +
           (r->n_isr_nodes > 0 ? r->n_isr_nodes : 0) +
           (r->n_offline_replicas > 0 ? r->n_offline_replicas : 0);
}

/* Errors after which the old partitions still describe the topic best. */
static bool keeps_partitions(kfk_err err)
{
    return kerr_retriable(err) && err != KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION &&
           err != KFK_ERR_UNKNOWN_TOPIC_ID;
}

/* A new entry with old's partitions and the given topic error. */
static kmeta_topic *copy_topic(const kmeta_topic *old, kfk_err err)
{
    size_t n_ints = 0;
    for (int32_t i = 0; i < old->n_partitions; i++)
        n_ints += ints_of(&(part_src){NULL, &old->partitions[i]});
    kslice name = {(const uint8_t *)old->name, strlen(old->name)};
    kmeta_topic *t = alloc_topic(name, old->n_partitions, n_ints);
    if (!t) return NULL;
    int32_t *cursor = ints_base(t);
    for (int32_t i = 0; i < old->n_partitions; i++)
        fill_partition(&t->partitions[i], &(part_src){NULL, &old->partitions[i]}, &cursor);
    t->id = old->id;
    t->internal = old->internal;
    t->err = err;
    return t;
}

static kmeta_topic *build_topic(const resp_topic *rt, const kmeta_topic *old)
{
    kfk_err err = (kfk_err)rt->error_code;
    if (err && old && keeps_partitions(err)) return copy_topic(old, err);
    int32_t n = 0;
    for (int32_t i = 0; i < rt->n_partitions; i++)
        if (rt->partitions[i].partition_index >= n) n = rt->partitions[i].partition_index + 1;
    part_src *src = calloc(n ? (size_t)n : 1, sizeof(*src));
    if (!src) return NULL;
    size_t n_ints = 0;
    for (int32_t i = 0; i < rt->n_partitions; i++) {
        const resp_part *rp = &rt->partitions[i];
        if (rp->partition_index < 0) continue;
        part_src *s = &src[rp->partition_index];
        s->rp = rp;
        const kmeta_partition *o = old ? kmeta_partition_of(old, rp->partition_index) : NULL;
        if (o && rp->leader_epoch >= 0 && o->leader_epoch > rp->leader_epoch)
            s->old = o; /* this answer lags behind what we already know */
    }
    for (int32_t i = 0; i < n; i++)
        n_ints += ints_of(&src[i]);
    kmeta_topic *t = alloc_topic(rt->name, n, n_ints);
    if (t) {
        int32_t *cursor = ints_base(t);
        for (int32_t i = 0; i < n; i++) {
            kmeta_partition *p = &t->partitions[i];
            if (src[i].rp || src[i].old) {
                fill_partition(p, &src[i], &cursor);
            } else { /* a gap in the answer */
                p->leader = -1;
                p->leader_epoch = -1;
                p->err = KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            }
            p->id = i;
        }
        t->id = rt->topic_id;
        t->internal = rt->is_internal;
        t->err = err;
    }
    free(src);
    return t;
}

static bool ints_eq(const int32_t *a, int32_t na, const int32_t *b, int32_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, (size_t)na * sizeof(int32_t)) == 0);
}

static bool topic_eq(const kmeta_topic *a, const kmeta_topic *b)
{
    if (a->n_partitions != b->n_partitions || a->err != b->err || a->internal != b->internal ||
        memcmp(&a->id, &b->id, sizeof(a->id)) != 0)
        return false;
    for (int32_t i = 0; i < a->n_partitions; i++) {
        const kmeta_partition *p = &a->partitions[i], *q = &b->partitions[i];
        if (p->leader != q->leader || p->leader_epoch != q->leader_epoch || p->err != q->err ||
            !ints_eq(p->replicas, p->n_replicas, q->replicas, q->n_replicas) ||
            !ints_eq(p->isr, p->n_isr, q->isr, q->n_isr) ||
            !ints_eq(p->offline, p->n_offline, q->offline, q->n_offline))
            return false;
    }
    return true;
}

/* Puts t in the table in place of whatever has its name (lock held). */
static int put(kmeta *m, kmeta_topic *t, uint32_t gen)
{
    size_t len = strlen(t->name);
    uint64_t h = hash_name(t->name, len);
    kmeta_slot *s = find_slot(m, t->name, len, h);
    if (s) {
        kmeta_topic_unref(s->t);
        s->t = t;
        s->seen = gen;
        return 0;
    }
    if (grow(m) < 0) return -1;
    insert_slot(m->slots, m->n_slots, (kmeta_slot){t, h, gen});
    m->n_topics++;
    return 0;
}

/* --- updates ---------------------------------------------------------------------- */

static int update_topics(kmeta *m, const kp_metadata_response *resp, uint32_t gen)
{
    int changed = 0;
    for (int32_t i = 0; i < resp->n_topics; i++) {
        const resp_topic *rt = &resp->topics[i];
        if (!rt->name.ptr || !rt->name.len) continue; /* asked by id: we ask by name */
        uint64_t h = hash_name((const char *)rt->name.ptr, rt->name.len);
        kmeta_slot *s = find_slot(m, (const char *)rt->name.ptr, rt->name.len, h);
        kmeta_topic *t = build_topic(rt, s ? s->t : NULL);
        if (!t) return -1;
        if (s && topic_eq(s->t, t)) {
            s->seen = gen;
            free(t);
            continue;
        }
        if (put(m, t, gen) < 0) {
            free(t);
            return -1;
        }
        changed++;
    }
    return changed;
}

int kmeta_update(kmeta *m, const kp_metadata_response *resp, bool all_topics)
{
    pthread_mutex_lock(&m->lock);
    uint32_t gen = ++m->update_gen;
    int changed = update_topics(m, resp, gen);
    if (changed >= 0 && all_topics) {
        for (size_t i = 0; i < m->n_slots;) {
            kmeta_slot *s = &m->slots[i];
            if (s->t && s->seen != gen) {
                remove_slot(m, s); /* may pull a later entry into slot i */
                changed++;
                continue;
            }
            i++;
        }
    }
    if (resp->cluster_id.ptr &&
        (!m->cluster_id || strlen(m->cluster_id) != resp->cluster_id.len ||
         memcmp(m->cluster_id, resp->cluster_id.ptr, resp->cluster_id.len) != 0)) {
        char *id = strndup((const char *)resp->cluster_id.ptr, resp->cluster_id.len);
        if (id) {
            free(m->cluster_id);
            m->cluster_id = id;
        }
    }
    m->controller_id = resp->controller_id;
    if (changed) atomic_fetch_add(&m->version, 1);
    pthread_mutex_unlock(&m->lock);
    return changed;
}

int kmeta_leader_hint(kmeta *m, const char *topic, int32_t partition, int32_t leader, int32_t epoch)
{
    int rc = 0;
    pthread_mutex_lock(&m->lock);
    size_t len = strlen(topic);
    kmeta_slot *s = find_slot(m, topic, len, hash_name(topic, len));
    const kmeta_partition *p = s ? kmeta_partition_of(s->t, partition) : NULL;
    if (p && leader >= 0 && epoch > p->leader_epoch) {
        kmeta_topic *t = copy_topic(s->t, s->t->err);
        if (!t) {
            rc = -1;
        } else {
            t->partitions[partition].leader = leader;
            t->partitions[partition].leader_epoch = epoch;
            t->partitions[partition].err = KFK_OK;
            kmeta_topic_unref(s->t);
            s->t = t;
            atomic_fetch_add(&m->version, 1);
            rc = 1;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

kmeta_topic *kmeta_topic_get(kmeta *m, const char *name)
{
    pthread_mutex_lock(&m->lock);
    size_t len = strlen(name);
    kmeta_slot *s = find_slot(m, name, len, hash_name(name, len));
    kmeta_topic *t = s ? kmeta_topic_ref(s->t) : NULL;
    pthread_mutex_unlock(&m->lock);
    return t;
}

kmeta_topic *kmeta_topic_by_id(kmeta *m, const kuuid *id)
{
    kmeta_topic *t = NULL;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; !t && i < m->n_slots; i++)
        if (m->slots[i].t && memcmp(&m->slots[i].t->id, id, sizeof(*id)) == 0)
            t = kmeta_topic_ref(m->slots[i].t);
    pthread_mutex_unlock(&m->lock);
    return t;
}

int kmeta_leader(kmeta *m, const char *topic, int32_t partition, int32_t *leader, int32_t *epoch)
{
    kmeta_topic *t = kmeta_topic_get(m, topic);
    const kmeta_partition *p = t ? kmeta_partition_of(t, partition) : NULL;
    int rc = -1;
    if (p && p->leader >= 0) {
        *leader = p->leader;
        *epoch = p->leader_epoch;
        rc = 0;
    }
    kmeta_topic_unref(t);
    return rc;
}

int32_t kmeta_controller(kmeta *m)
{
    pthread_mutex_lock(&m->lock);
    int32_t id = m->controller_id;
    pthread_mutex_unlock(&m->lock);
    return id;
}

char *kmeta_cluster_id(kmeta *m)
{
    pthread_mutex_lock(&m->lock);
    char *id = m->cluster_id ? strdup(m->cluster_id) : NULL;
    pthread_mutex_unlock(&m->lock);
    return id;
}

void kmeta_forget(kmeta *m, const char *name)
{
    pthread_mutex_lock(&m->lock);
    size_t len = strlen(name);
    kmeta_slot *s = find_slot(m, name, len, hash_name(name, len));
    if (s) {
        remove_slot(m, s);
        atomic_fetch_add(&m->version, 1);
    }
    pthread_mutex_unlock(&m->lock);
}

void kmeta_each(kmeta *m, void (*fn)(void *opaque, kmeta_topic *t), void *opaque)
{
    pthread_mutex_lock(&m->lock);
    size_t n = 0;
    kmeta_topic **all = malloc((m->n_topics ? m->n_topics : 1) * sizeof(*all));
    for (size_t i = 0; all && i < m->n_slots; i++)
        if (m->slots[i].t) all[n++] = kmeta_topic_ref(m->slots[i].t);
    pthread_mutex_unlock(&m->lock);
    for (size_t i = 0; i < n; i++) {
        fn(opaque, all[i]);
        kmeta_topic_unref(all[i]);
    }
    free(all);
}
