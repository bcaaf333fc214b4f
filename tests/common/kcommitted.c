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
        req.groups = &g;
        req.n_groups = 1;
        kp_offset_fetch_response resp;
        if (mt_try_call(&c, KP_OFFSET_FETCH_KEY, 8, &req, &resp) == 0 && resp.n_groups == 1 &&
            !resp.groups[0].error_code) {
            /* The coordinator answered for the group: the partition must be there. */
            ck_assert_int_eq(resp.groups[0].n_topics, 1);
            ck_assert_int_eq(resp.groups[0].topics[0].n_partitions, 1);
            const kp_offset_fetch_response_partitions *p = &resp.groups[0].topics[0].partitions[0];
            ck_assert_msg(p->error_code == 0, "OffsetFetch %s/%d: %s", topic, (int)partition,
                          kfk_err_str(p->error_code));
            *offset = p->committed_offset;
            *epoch = p->committed_leader_epoch;
            ok = true;
        }
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
