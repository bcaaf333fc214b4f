/* The share-group offset admin APIs (KIP-932) in the mock, served by the
 * group's coordinator: DescribeShareGroupOffsets (each share-partition's
 * start offset and, from v1, its lag: records up to the high watermark
 * not yet acknowledged or archived), AlterShareGroupOffsets (an empty
 * group's share-partitions start over at the given offsets) and
 * DeleteShareGroupOffsets (an empty group forgets its share-partitions of
 * the named topics). A group that is missing or of another type is
 * GROUP_ID_NOT_FOUND for altering and deleting; describing it lists
 * nothing. A group with members is NON_EMPTY_GROUP. Loop thread,
 * mc->lock held. */
#include <string.h>

#include "mock/share.h"
#include "proto/gen/alter_share_group_offsets.h"
#include "proto/gen/delete_share_group_offsets.h"
#include "proto/gen/describe_share_group_offsets.h"

/* The share state of the group a request names, or the error for it.
 * *sg stays NULL (with KFK_OK) for a group that does not exist when
 * missing_ok. */
static kfk_err group_for(mock_req *req, kslice group_id, bool missing_ok, mock_group **g,
                         mock_share_group **sg)
{
    *g = NULL;
    *sg = NULL;
    kfk_err err = req->inject ? req->inject : mock_group_coordinator_check(req, group_id);
    if (err) return err;
    *g = mock_group_find(req->mc, group_id);
    if (!*g || (*g)->type != MOCK_GROUP_SHARE) {
        *g = NULL;
        return missing_ok ? KFK_OK : KFK_ERR_GROUP_ID_NOT_FOUND;
    }
    *sg = mock_share_group_of(*g);
    return *sg ? KFK_OK : KFK_ERR_NO_MEMORY;
}

/* The share state of an existing group with no members, as altering or
 * deleting its offsets needs, or the error for it. */
static kfk_err empty_group_for(mock_req *req, kslice group_id, mock_share_group **sg)
{
    mock_group *g;
    kfk_err err = group_for(req, group_id, false, &g, sg);
    return !err && g->n_members ? KFK_ERR_NON_EMPTY_GROUP : err;
}

/* --- DescribeShareGroupOffsets -------------------------------------------------------- */

static void describe_partition(mock_req *req, mock_share_group *sg, const mock_topic *t,
                               int32_t partition,
                               kp_describe_share_group_offsets_response_partition *o)
{
    kp_describe_share_group_offsets_response_partition_init(o);
    o->partition_index = partition;
    o->start_offset = -1;
    o->leader_epoch = -1;
    o->lag = -1;
    /* A partition without state (an unknown one too) has no start offset,
     * and that is no error, as with Kafka. */
    const mock_partition *p = t ? mock_partition_find((mock_topic *)t, partition) : NULL;
    const mock_share_part *sp = p && sg ? mock_share_part_find(sg, &t->id, partition) : NULL;
    if (!sp) return;
    o->start_offset = sp->start_offset;
    o->leader_epoch = p->leader_epoch;
    if (req->version >= 1) o->lag = mock_share_lag(sp, p);
}

static int describe_asked(mock_req *req, mock_share_group *sg,
                          const kp_describe_share_group_offsets_request_group *rg,
                          kp_describe_share_group_offsets_response_group *out)
{
    int32_t n = rg->n_topics;
    out->topics = karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*out->topics));
    if (!out->topics) return -1;
    for (int32_t i = 0; i < n; i++) {
        const kp_describe_share_group_offsets_request_topic *rt = &rg->topics[i];
        kp_describe_share_group_offsets_response_topic *o = &out->topics[out->n_topics++];
        kp_describe_share_group_offsets_response_topic_init(o);
        o->topic_name = rt->topic_name;
        const mock_topic *t = mock_topic_find(req->mc, rt->topic_name);
        if (t) o->topic_id = t->id;
        int32_t np = rt->n_partitions > 0 ? rt->n_partitions : 0;
        o->partitions = karena_alloc(req->arena, (size_t)(np ? np : 1) * sizeof(*o->partitions));
        if (!o->partitions) return -1;
        for (int32_t k = 0; k < np; k++)
            describe_partition(req, sg, t, rt->partitions[k], &o->partitions[o->n_partitions++]);
    }
    return 0;
}

/* Every share-partition the group has, by topic. */
static int describe_all(mock_req *req, mock_share_group *sg,
                        kp_describe_share_group_offsets_response_group *out)
{
    size_t n = sg ? sg->n_parts : 0;
    out->topics = karena_alloc(req->arena, (n ? n : 1) * sizeof(*out->topics));
    kp_describe_share_group_offsets_response_partition *parts =
        karena_alloc(req->arena, (n ? n : 1) * sizeof(*parts));
    if (!out->topics || !parts) return -1;
    for (size_t i = 0; i < n; i++) {
        const mock_topic *t = mock_topic_find_id(req->mc, &sg->parts[i]->topic_id);
        if (!t) continue; /* deleted since */
        kp_describe_share_group_offsets_response_topic *o = NULL;
        for (int32_t k = 0; k < out->n_topics && !o; k++)
            if (!memcmp(out->topics[k].topic_id.b, t->id.b, 16)) o = &out->topics[k];
        if (!o) {
            o = &out->topics[out->n_topics++];
            kp_describe_share_group_offsets_response_topic_init(o);
            o->topic_name = kwire_cstr(t->name);
            o->topic_id = t->id;
            o->partitions = parts;
            for (size_t k = i; k < n; k++) /* one run of parts per topic */
                if (!memcmp(sg->parts[k]->topic_id.b, t->id.b, 16)) parts++;
        }
        describe_partition(req, sg, t, sg->parts[i]->partition, &o->partitions[o->n_partitions++]);
    }
    return 0;
}

int mock_handle_describe_share_group_offsets(mock_req *req)
{
    kp_describe_share_group_offsets_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_describe_share_group_offsets_response resp;
    kp_describe_share_group_offsets_response_init(&resp);
    int32_t n = r.n_groups > 0 ? r.n_groups : 0;
    resp.groups = karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*resp.groups));
    if (!resp.groups) return MOCK_CLOSE;
    for (int32_t i = 0; i < n; i++) {
        const kp_describe_share_group_offsets_request_group *rg = &r.groups[i];
        kp_describe_share_group_offsets_response_group *o = &resp.groups[resp.n_groups++];
        kp_describe_share_group_offsets_response_group_init(o);
        o->group_id = rg->group_id;
        mock_group *g;
        mock_share_group *sg;
        kfk_err err = group_for(req, rg->group_id, true, &g, &sg);
        if (err) {
            o->error_code = (int16_t)err;
            continue;
        }
        if (rg->topics ? describe_asked(req, sg, rg, o) : describe_all(req, sg, o))
            return MOCK_CLOSE;
    }
    return mock_respond(req, &resp);
}

/* --- AlterShareGroupOffsets ----------------------------------------------------------- */

static int alter_topic(mock_req *req, mock_share_group *sg,
                       const kp_alter_share_group_offsets_request_topic *rt,
                       kp_alter_share_group_offsets_response_topic *o)
{
    kp_alter_share_group_offsets_response_topic_init(o);
    o->topic_name = rt->topic_name;
    mock_topic *t = mock_topic_find(req->mc, rt->topic_name);
    if (t) o->topic_id = t->id;
    int32_t np = rt->n_partitions > 0 ? rt->n_partitions : 0;
    o->partitions = karena_alloc(req->arena, (size_t)(np ? np : 1) * sizeof(*o->partitions));
    if (!o->partitions) return -1;
    for (int32_t k = 0; k < np; k++) {
        kp_alter_share_group_offsets_response_partition *op = &o->partitions[o->n_partitions++];
        kp_alter_share_group_offsets_response_partition_init(op);
        op->partition_index = rt->partitions[k].partition_index;
        mock_partition *p = t ? mock_partition_find(t, op->partition_index) : NULL;
        mock_share_part *sp = p ? mock_share_part_get(req->mc, sg, p) : NULL;
        if (!p)
            op->error_code = KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        else if (!sp)
            return -1;
        else
            mock_share_part_reset(sp, rt->partitions[k].start_offset);
    }
    return 0;
}

int mock_handle_alter_share_group_offsets(mock_req *req)
{
    kp_alter_share_group_offsets_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_alter_share_group_offsets_response resp;
    kp_alter_share_group_offsets_response_init(&resp);
    mock_share_group *sg;
    kfk_err err = empty_group_for(req, r.group_id, &sg);
    if (err) {
        resp.error_code = (int16_t)err;
        return mock_respond(req, &resp);
    }
    int32_t n = r.n_topics > 0 ? r.n_topics : 0;
    resp.responses = karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*resp.responses));
    if (!resp.responses) return MOCK_CLOSE;
    for (int32_t i = 0; i < n; i++)
        if (alter_topic(req, sg, &r.topics[i], &resp.responses[resp.n_responses++]))
            return MOCK_CLOSE;
    return mock_respond(req, &resp);
}

/* --- DeleteShareGroupOffsets ---------------------------------------------------------- */

int mock_handle_delete_share_group_offsets(mock_req *req)
{
    kp_delete_share_group_offsets_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_delete_share_group_offsets_response resp;
    kp_delete_share_group_offsets_response_init(&resp);
    mock_share_group *sg;
    kfk_err err = empty_group_for(req, r.group_id, &sg);
    if (err) {
        resp.error_code = (int16_t)err;
        return mock_respond(req, &resp);
    }
    int32_t n = r.n_topics > 0 ? r.n_topics : 0;
    resp.responses = karena_alloc(req->arena, (size_t)(n ? n : 1) * sizeof(*resp.responses));
    if (!resp.responses) return MOCK_CLOSE;
    for (int32_t i = 0; i < n; i++) {
        kp_delete_share_group_offsets_response_topic *o = &resp.responses[resp.n_responses++];
        kp_delete_share_group_offsets_response_topic_init(o);
        o->topic_name = r.topics[i].topic_name;
        const mock_topic *t = mock_topic_find(req->mc, r.topics[i].topic_name);
        if (!t) {
            o->error_code = KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            continue;
        }
        o->topic_id = t->id;
        for (size_t k = sg->n_parts; k-- > 0;)
            if (!memcmp(sg->parts[k]->topic_id.b, t->id.b, 16))
                mock_share_part_remove(sg, sg->parts[k]);
    }
    return mock_respond(req, &resp);
}
