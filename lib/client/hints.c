/* KIP-951 leader hints: a Produce or Fetch answer that says "not the
 * leader" also says who is, and where that broker listens, so the client
 * can send the retry there without waiting for a Metadata round trip. */
#include <stdio.h>
#include <string.h>

#include "client/client_int.h"

/* Errors after which the answer's current_leader is worth taking. */
static bool moved(kfk_err err)
{
    return err == KFK_ERR_NOT_LEADER_OR_FOLLOWER || err == KFK_ERR_FENCED_LEADER_EPOCH;
}

/* Errors that say the cache is stale. */
static bool stale(kfk_err err)
{
    return moved(err) || err == KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION ||
           err == KFK_ERR_LEADER_NOT_AVAILABLE || err == KFK_ERR_UNKNOWN_LEADER_EPOCH ||
           err == KFK_ERR_KAFKA_STORAGE_ERROR || err == KFK_ERR_UNKNOWN_TOPIC_ID;
}

/* Takes one partition's hint. topic is the name, or empty with id set.
 * Returns 1 when the cache moved; sets *refresh when it should be asked. */
static int take(kclient *c, kslice topic, const kuuid *id, int32_t partition, int16_t code,
                int32_t leader, int32_t epoch, bool *refresh)
{
    kfk_err err = (kfk_err)code;
    if (!stale(err)) return 0;
    if (!moved(err) || leader < 0 || epoch < 0) {
        *refresh = true;
        return 0;
    }
    char name[256];
    if (topic.ptr && topic.len) {
        size_t n = topic.len < sizeof(name) - 1 ? topic.len : sizeof(name) - 1;
        memcpy(name, topic.ptr, n);
        name[n] = '\0';
    } else {
        kmeta_topic *t = kmeta_topic_by_id(&c->meta, id);
        if (!t) {
            *refresh = true;
            return 0;
        }
        snprintf(name, sizeof(name), "%s", t->name);
        kmeta_topic_unref(t);
    }
    int rc = kmeta_leader_hint(&c->meta, name, partition, leader, epoch);
    int32_t cached_leader, cached_epoch;
    if (rc > 0)
        klog(&c->log, KFK_LOG_DEBUG, "metadata", "%s [%d]: leader %d (epoch %d) from a hint", name,
             partition, leader, epoch);
    else if (kmeta_leader(&c->meta, name, partition, &cached_leader, &cached_epoch) < 0 ||
             cached_epoch < epoch)
        *refresh = true; /* not cached (or out of memory): ask */
    return rc > 0;
}

static void finish(kclient *c, int moved_n, bool refresh)
{
    if (moved_n) kclient_reroute_soon(c); /* calls parked on those leaders can go */
    if (refresh) kclient_refresh(c, "a partition's leader changed");
}

int kclient_produce_hints(kclient *c, const kp_produce_response *r)
{
    for (int32_t i = 0; i < r->n_node_endpoints; i++) {
        const kp_produce_response_node_endpoint *e = &r->node_endpoints[i];
        kclient_node_endpoint(c, e->node_id, e->host, e->port, e->rack);
    }
    int n = 0;
    bool refresh = false;
    for (int32_t i = 0; i < r->n_responses; i++) {
        const kp_produce_response_topic_produce_response *t = &r->responses[i];
        for (int32_t j = 0; j < t->n_partition_responses; j++) {
            const kp_produce_response_partition_produce_response *p = &t->partition_responses[j];
            n += take(c, t->name, &t->topic_id, p->index, p->error_code,
                      p->current_leader.leader_id, p->current_leader.leader_epoch, &refresh);
        }
    }
    finish(c, n, refresh);
    return n;
}

int kclient_fetch_hints(kclient *c, const kp_fetch_response *r)
{
    for (int32_t i = 0; i < r->n_node_endpoints; i++) {
        const kp_fetch_response_node_endpoint *e = &r->node_endpoints[i];
        kclient_node_endpoint(c, e->node_id, e->host, e->port, e->rack);
    }
    int n = 0;
    bool refresh = false;
    for (int32_t i = 0; i < r->n_responses; i++) {
        const kp_fetch_response_fetchable_topic_response *t = &r->responses[i];
        for (int32_t j = 0; j < t->n_partitions; j++) {
            const kp_fetch_response_partition_data *p = &t->partitions[j];
            n += take(c, t->topic, &t->topic_id, p->partition_index, p->error_code,
                      p->current_leader.leader_id, p->current_leader.leader_epoch, &refresh);
        }
    }
    finish(c, n, refresh);
    return n;
}
