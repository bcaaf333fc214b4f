#include "kcommitted.h"

#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"
#include "base/time.h"
#include "kwire_client.h"
#include "proto/api.h"
#include "proto/arena.h"
#include "proto/gen/find_coordinator.h"
#include "proto/gen/offset_fetch.h"

#define TIMEOUT_MS 30000

/* One request and its decoded answer (slices into *rbuf and *a); false
 * when the connection failed. */
static bool call(int fd, int16_t key, int16_t v, const void *req, void *resp, kbuf *rbuf,
                 karena *a)
{
    kbuf frame = {0};
    int rc = kproto_write_request(&frame, key, v, 1, kwire_cstr("kfk-test"), req);
    ck_assert_msg(rc == 0, "encode api %d: %s", key, kfk_err_str(rc));
    bool ok = kwire_roundtrip(fd, &frame, rbuf) == 0;
    kbuf_free(&frame);
    if (!ok) return false;
    kreader r = kreader_of(rbuf->data, rbuf->len);
    kp_response_header h;
    ck_assert_int_eq(kproto_read_response_header(&r, key, v, &h), 0);
    rc = kproto_response_decode(key, v, resp, &r, a);
    ck_assert_msg(rc == 0, "decode api %d: %s", key, kfk_err_str(rc));
    return true;
}

/* Connects to the group's coordinator; -1 while there is none yet. */
static int coordinator(const char *bootstrap, const char *group, kbuf *rbuf, karena *a)
{
    int fd = kwire_connect(bootstrap, TIMEOUT_MS);
    if (fd < 0) return -1;
    kp_find_coordinator_request req;
    kp_find_coordinator_request_init(&req);
    kslice key = kwire_cstr(group);
    req.coordinator_keys = &key;
    req.n_coordinator_keys = 1;
    kp_find_coordinator_response resp;
    bool ok = call(fd, KP_FIND_COORDINATOR_KEY, 4, &req, &resp, rbuf, a);
    close(fd);
    if (!ok || resp.n_coordinators != 1 || resp.coordinators[0].error_code) return -1;
    char hp[300];
    snprintf(hp, sizeof(hp), "%.*s:%d", (int)resp.coordinators[0].host.len,
             (const char *)resp.coordinators[0].host.ptr, (int)resp.coordinators[0].port);
    return kwire_connect(hp, TIMEOUT_MS);
}

/* One try; false when the coordinator could not answer (yet). */
static bool try_fetch(const char *bootstrap, const char *group, const char *topic,
                      int32_t partition, int64_t *offset, int32_t *epoch)
{
    kbuf rbuf = {0};
    karena a = {0};
    int fd = coordinator(bootstrap, group, &rbuf, &a);
    bool ok = false;
    if (fd >= 0) {
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
        if (call(fd, KP_OFFSET_FETCH_KEY, 8, &req, &resp, &rbuf, &a) && resp.n_groups == 1 &&
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
        close(fd);
    }
    kbuf_free(&rbuf);
    karena_free(&a);
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
