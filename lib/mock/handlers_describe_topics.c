/* DescribeTopicPartitions (KIP-966), as a Kafka broker answers it: the
 * topics asked for (none: every topic) in name order, from the request's
 * cursor on, at most min(the request's limit, the cluster's page limit)
 * partitions per answer, ending with the cursor to ask for the rest; an
 * unknown topic has UNKNOWN_TOPIC_OR_PARTITION; no eligible leader
 * replicas beyond the ISR (the mock's replicas never lag). Loop thread,
 * mc->lock held. */
#include <stdlib.h>
#include <string.h>

#include "mock/mock.h"
#include "proto/gen/all.h"

typedef kp_describe_topic_partitions_response_topic dtp_topic;
typedef kp_describe_topic_partitions_response_partition dtp_part;

static int cmp_name(const void *a, const void *b)
{
    const kslice *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->ptr, y->ptr, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* The names to describe, sorted. */
static kslice *names_of(mock_req *req, const kp_describe_topic_partitions_request *r, size_t *n)
{
    mock_cluster *mc = req->mc;
    bool all = r->n_topics == 0;
    *n = all ? mc->n_topics : (size_t)r->n_topics;
    kslice *v = karena_alloc(req->arena, (*n + 1) * sizeof(*v));
    if (!v) return NULL;
    for (size_t i = 0; i < *n; i++)
        v[i] = all ? kwire_cstr(mc->topics[i]->name) : r->topics[i].name;
    qsort(v, *n, sizeof(*v), cmp_name);
    return v;
}

static int fill_partition(mock_req *req, const mock_partition *p, int32_t index, dtp_part *out)
{
    kp_describe_topic_partitions_response_partition_init(out);
    out->partition_index = index;
    out->leader_id = p->leader;
    out->leader_epoch = p->leader_epoch;
    out->error_code = p->leader < 0 ? KFK_ERR_LEADER_NOT_AVAILABLE : 0;
    out->replica_nodes = (int32_t *)p->replicas;
    out->n_replica_nodes = p->n_replicas;
    out->isr_nodes = karena_alloc(req->arena, ((size_t)p->n_replicas + 1) * sizeof(int32_t));
    out->offline_replicas = karena_alloc(req->arena, ((size_t)p->n_replicas + 1) * sizeof(int32_t));
    if (!out->isr_nodes || !out->offline_replicas) return -1;
    for (int32_t i = 0; i < p->n_replicas; i++) {
        mock_broker *b = mock_broker_get(req->mc, p->replicas[i]);
        if (b && !b->down)
            out->isr_nodes[out->n_isr_nodes++] = p->replicas[i];
        else
            out->offline_replicas[out->n_offline_replicas++] = p->replicas[i];
    }
    out->eligible_leader_replicas = out->isr_nodes; /* any non-null array: empty */
    out->n_eligible_leader_replicas = 0;
    out->last_known_elr = out->isr_nodes;
    out->n_last_known_elr = 0;
    return 0;
}

int mock_handle_describe_topic_partitions(mock_req *req)
{
    kp_describe_topic_partitions_request r;
    if (mock_decode(req, &r)) return MOCK_CLOSE;
    kp_describe_topic_partitions_response resp;
    kp_describe_topic_partitions_response_init(&resp);
    size_t n;
    kslice *names = names_of(req, &r, &n);
    resp.topics = karena_alloc(req->arena, (n + 1) * sizeof(*resp.topics));
    if (!names || !resp.topics) return MOCK_CLOSE;
    int32_t left = r.response_partition_limit < req->mc->partition_page_limit
                       ? r.response_partition_limit
                       : req->mc->partition_page_limit;
    size_t i = 0;
    if (r.cursor)
        while (i < n && cmp_name(&names[i], &r.cursor->topic_name) < 0)
            i++;
    for (; i < n; i++) {
        dtp_topic *t = &resp.topics[resp.n_topics];
        kp_describe_topic_partitions_response_topic_init(t);
        t->name = names[i];
        mock_topic *mt = mock_topic_find(req->mc, names[i]);
        if (!mt) {
            t->error_code = KFK_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            resp.n_topics++;
            continue;
        }
        int32_t first = r.cursor && cmp_name(&names[i], &r.cursor->topic_name) == 0
                            ? r.cursor->partition_index
                            : 0;
        if (left == 0 || first >= mt->n_parts) { /* page full, or nothing left of it */
            if (left > 0) continue;
            resp.next_cursor = karena_alloc(req->arena, sizeof(*resp.next_cursor));
            if (!resp.next_cursor) return MOCK_CLOSE;
            kp_describe_topic_partitions_response_cursor_init(resp.next_cursor);
            resp.next_cursor->topic_name = names[i];
            resp.next_cursor->partition_index = first;
            break;
        }
        t->topic_id = mt->id;
        t->topic_authorized_operations = MOCK_TOPIC_ALL_OPS;
        int32_t count = mt->n_parts - first < left ? mt->n_parts - first : left;
        t->partitions = karena_alloc(req->arena, ((size_t)count + 1) * sizeof(*t->partitions));
        if (!t->partitions) return MOCK_CLOSE;
        for (int32_t k = 0; k < count; k++)
            if (fill_partition(req, mt->parts[first + k], first + k, &t->partitions[k]))
                return MOCK_CLOSE;
        t->n_partitions = count;
        left -= count;
        resp.n_topics++;
        if (first + count < mt->n_parts) { /* the page ended inside this topic */
            resp.next_cursor = karena_alloc(req->arena, sizeof(*resp.next_cursor));
            if (!resp.next_cursor) return MOCK_CLOSE;
            kp_describe_topic_partitions_response_cursor_init(resp.next_cursor);
            resp.next_cursor->topic_name = names[i];
            resp.next_cursor->partition_index = first + count;
            break;
        }
    }
    return mock_respond(req, &resp);
}

kfk_err kfk_mock_set_partition_page_limit(kfk_mock_cluster *mc, int32_t limit)
{
    if (!mc || limit < 1) return KFK_ERR_INVALID_ARG;
    pthread_mutex_lock(&mc->lock);
    mc->partition_page_limit = limit;
    pthread_mutex_unlock(&mc->lock);
    return KFK_OK;
}
