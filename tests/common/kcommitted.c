#include "kcommitted.h"

#include <unistd.h>

#include "kcoord.h"
#include "kwire_client.h"

#define TIMEOUT_MS 30000

/* Connects to the group's coordinator (c->fd -1 while there is none yet). */
static void coordinator(mt_conn *c, const char *bootstrap, const char *group)
{
    memset(c, 0, sizeof(*c));
    int32_t port;
    c->fd = kcoord_find(bootstrap, 0, group, NULL, &port) ? -1 : mt_dial(port);
}

/* The coordinator answered for the group: the partition must be there. */
static void check_partition(int32_t n_topics, int32_t n_partitions, int16_t err, const char *topic,
                            int32_t partition)
{
    ck_assert_int_eq(n_topics, 1);
    ck_assert_int_eq(n_partitions, 1);
    ck_assert_msg(err == 0, "OffsetFetch %s/%d: %s", topic, (int)partition, kfk_err_str(err));
}

static bool read_v8(const kp_offset_fetch_response *resp, const char *topic, int32_t partition,
                    int64_t *offset, int32_t *epoch)
{
    if (resp->n_groups != 1 || resp->groups[0].error_code) return false;
    const kp_offset_fetch_response_group *g = &resp->groups[0];
    const kp_offset_fetch_response_partitions *p =
        g->n_topics == 1 ? g->topics[0].partitions : NULL;
    check_partition(g->n_topics, p ? g->topics[0].n_partitions : 0, p ? p->error_code : 0, topic,
                    partition);
    *offset = p->committed_offset;
    *epoch = p->committed_leader_epoch;
    return true;
}

static bool read_v7(const kp_offset_fetch_response *resp, const char *topic, int32_t partition,
                    int64_t *offset, int32_t *epoch)
{
    if (resp->error_code) return false;
    const kp_offset_fetch_response_partition *p =
        resp->n_topics == 1 ? resp->topics[0].partitions : NULL;
    check_partition(resp->n_topics, p ? resp->topics[0].n_partitions : 0, p ? p->error_code : 0,
                    topic, partition);
    *offset = p->committed_offset;
    *epoch = p->committed_leader_epoch;
    return true;
}

/* One try; false when the coordinator could not answer (yet). */
static bool try_fetch(const char *bootstrap, const char *group, const char *topic,
                      int32_t partition, int64_t *offset, int32_t *epoch)
{
    mt_conn c;
    coordinator(&c, bootstrap, group);
    bool ok = false;
    if (c.fd >= 0) {
        kp_offset_fetch_request_topics t;
        kp_offset_fetch_request_topics_init(&t);
        t.name = kwire_cstr(topic);
        t.partition_indexes = &partition;
        t.n_partition_indexes = 1;
        kp_offset_fetch_request_group g;
        kp_offset_fetch_request_group_init(&g);
        g.group_id = kwire_cstr(group);
        g.topics = &t;
        g.n_topics = 1;
        kp_offset_fetch_request req;
        kp_offset_fetch_request_init(&req);
        kp_offset_fetch_request_topic t7;
        kp_offset_fetch_request_topic_init(&t7);
        int16_t v = mt_api_version(&c, KP_OFFSET_FETCH_KEY, 8);
        if (v >= 8) {
            req.groups = &g;
            req.n_groups = 1;
        } else { /* before v8 (Kafka 3.0): one group, its topics at the top level */
            t7.name = t.name;
            t7.partition_indexes = &partition;
            t7.n_partition_indexes = 1;
            req.group_id = g.group_id;
            req.topics = &t7;
            req.n_topics = 1;
        }
        kp_offset_fetch_response resp;
        if (v >= 5 && mt_try_call(&c, KP_OFFSET_FETCH_KEY, v, &req, &resp) == 0)
            ok = v >= 8 ? read_v8(&resp, topic, partition, offset, epoch)
                        : read_v7(&resp, topic, partition, offset, epoch);
    }
    mt_close(&c);
    return ok;
}

int32_t kcommitted_epoch(const char *bootstrap, const char *group, const char *topic,
                         int32_t partition, int64_t *offset)
{
    int64_t deadline = ktime_mono_ms() + TIMEOUT_MS;
    int32_t epoch = -1;
    while (!try_fetch(bootstrap, group, topic, partition, offset, &epoch)) {
        ck_assert_msg(ktime_mono_ms() < deadline, "no committed offsets of group %s", group);
        usleep(50 * 1000); /* the coordinator is moving or loading: ask again */
    }
    return epoch;
}

void kcommitted_check(kfk_consumer *c, const char *bootstrap, const char *group, const char *topic,
                      int64_t offset, int32_t epoch)
{
    ck_assert_int_eq(kfk_consumer_commit(c, NULL, 0), KFK_OK);
    int64_t got;
    int32_t e = kcommitted_epoch(bootstrap, group, topic, 0, &got);
    ck_assert_int_eq(got, offset);
    ck_assert_msg(e == epoch, "offset %lld committed with epoch %d, expected %d", (long long)got,
                  (int)e, (int)epoch);
}
