/* Share groups (KIP-932) in the mock, request by request: a member joins
 * and gets an assignment, ShareFetch acquires records (delivery count 1),
 * ACCEPT settles them, RELEASE hands them out again with the next
 * delivery count, REJECT never, a lock that times out redelivers, the
 * delivery count limit archives, two members of one group never hold the
 * same record at once, share session epochs are checked,
 * ShareGroupDescribe shows the group, and a group's own configs
 * (IncrementalAlterConfigs) take precedence over the cluster's. */
#include "mt_conn.h"

#define HB_V 1
#define SF_V 2
#define SA_V 2
#define N_RECORDS 10

static kfk_mock_cluster *mc;
static kuuid tid;

static void setup(void)
{
    mc = kfk_mock_cluster_new(1);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_set_share_auto_offset_reset(mc, "earliest"), 0);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 1), 0);
    tid = mt_topic_id(mc, "t");
    mt_conn c;
    mt_open(&c, mc, 1);
    kbuf b = {0};
    const kp_produce_response_partition_produce_response *pr =
        mt_produce(&c, "t", 0, mt_batch(&b, N_RECORDS, 1000, -1, -1, -1));
    ck_assert_int_eq(pr->error_code, 0);
    kbuf_free(&b);
    mt_close(&c);
}

static void teardown(void)
{
    kfk_mock_cluster_destroy(mc);
}

/* A share member over its own connection (one broker: coordinator and
 * leader). */
typedef struct smember {
    mt_conn c;
    char id[32];
    int32_t epoch;         /* member epoch */
    int32_t session_epoch; /* the next ShareFetch's */
    int n_assigned;
} smember;

static int16_t heartbeat(smember *m, int32_t epoch)
{
    kp_share_group_heartbeat_request req;
    kp_share_group_heartbeat_request_init(&req);
    kslice topic = kwire_cstr("t");
    req.group_id = kwire_cstr("g");
    req.member_id = kwire_cstr(m->id);
    req.member_epoch = epoch;
    req.subscribed_topic_names = &topic;
    req.n_subscribed_topic_names = 1;
    kp_share_group_heartbeat_response resp;
    mt_call(&m->c, KP_SHARE_GROUP_HEARTBEAT_KEY, HB_V, &req, &resp);
    if (resp.error_code) return resp.error_code;
    m->epoch = resp.member_epoch;
    if (resp.assignment) {
        m->n_assigned = 0;
        for (int32_t i = 0; i < resp.assignment->n_topic_partitions; i++)
            m->n_assigned += resp.assignment->topic_partitions[i].n_partitions;
    }
    return 0;
}

static void member_join(smember *m, const char *id)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->id, sizeof(m->id), "%s", id);
    mt_open(&m->c, mc, 1);
    ck_assert_int_eq(heartbeat(m, 0), 0);
    ck_assert_int_gt(m->epoch, 0);
}

/* What one ShareFetch of partition 0 of "t" gave. */
typedef struct fetched {
    int16_t error;     /* top level */
    int16_t ack_error; /* the partition's acknowledge error */
    int64_t first[16], last[16];
    int16_t count[16];
    int n_ranges;
    int n_records; /* acquired */
    int n_batch_records;
    int16_t part_error;
    int32_t leader; /* current_leader of the last partition */
    int n_endpoints;
    int32_t lock_ms; /* acquisition_lock_timeout_ms */
} fetched;

/* One acknowledgement batch: [first, last] with one type. */
typedef struct ack {
    int64_t first, last;
    int8_t type;
} ack;

/* A ShareFetch of partition 0 of "t", built in place (it points into
 * itself: do not copy). */
typedef struct sf_req {
    kp_share_fetch_request req;
    kp_share_fetch_request_fetch_topic t;
    kp_share_fetch_request_fetch_partition p;
    kp_share_fetch_request_acknowledgement_batch b[8];
    int8_t types[8];
} sf_req;

static void sf_build(sf_req *x, const smember *m, int32_t epoch, int32_t max_records,
                     int32_t max_wait_ms, const ack *acks, int n_acks)
{
    kp_share_fetch_request_init(&x->req);
    x->req.group_id = kwire_cstr("g");
    x->req.member_id = kwire_cstr(m->id);
    x->req.share_session_epoch = epoch;
    x->req.max_records = max_records;
    x->req.batch_size = max_records;
    x->req.max_wait_ms = max_wait_ms;
    kp_share_fetch_request_fetch_topic_init(&x->t);
    kp_share_fetch_request_fetch_partition_init(&x->p);
    for (int i = 0; i < n_acks; i++) {
        kp_share_fetch_request_acknowledgement_batch_init(&x->b[i]);
        x->types[i] = acks[i].type;
        x->b[i].first_offset = acks[i].first;
        x->b[i].last_offset = acks[i].last;
        x->b[i].acknowledge_types = &x->types[i];
        x->b[i].n_acknowledge_types = 1;
    }
    x->p.acknowledgement_batches = x->b;
    x->p.n_acknowledgement_batches = n_acks;
    x->t.topic_id = tid;
    x->t.partitions = &x->p;
    x->t.n_partitions = 1;
    x->req.topics = &x->t;
    x->req.n_topics = 1;
}

static fetched sf_decode(const kp_share_fetch_response *resp)
{
    fetched f = {.error = resp->error_code, .lock_ms = resp->acquisition_lock_timeout_ms};
    if (resp->error_code) return f;
    ck_assert_int_gt(resp->acquisition_lock_timeout_ms, 0);
    for (int32_t i = 0; i < resp->n_responses; i++)
        for (int32_t k = 0; k < resp->responses[i].n_partitions; k++) {
            const kp_share_fetch_response_partition_data *d = &resp->responses[i].partitions[k];
            f.part_error = d->error_code;
            f.leader = d->current_leader.leader_id;
            f.ack_error = d->acknowledge_error_code;
            for (int32_t j = 0; j < d->n_acquired_records && f.n_ranges < 16; j++) {
                f.first[f.n_ranges] = d->acquired_records[j].first_offset;
                f.last[f.n_ranges] = d->acquired_records[j].last_offset;
                f.count[f.n_ranges++] = d->acquired_records[j].delivery_count;
                f.n_records += (int)(d->acquired_records[j].last_offset -
                                     d->acquired_records[j].first_offset + 1);
            }
            /* Whole batches: they hold at least the acquired records. */
            if (d->records.len) {
                const uint8_t *q = d->records.ptr; /* the first batch's base offset */
                int64_t base = 0;
                for (int j = 0; j < 8; j++)
                    base = base << 8 | q[j];
                f.n_batch_records = mt_count_records(d->records, base);
            }
        }
    f.n_endpoints = resp->n_node_endpoints;
    return f;
}

static fetched share_fetch_v(smember *m, int16_t v, int32_t epoch, int32_t max_records,
                             const ack *acks, int n_acks)
{
    sf_req x;
    sf_build(&x, m, epoch, max_records, 0, acks, n_acks);
    kp_share_fetch_response resp;
    mt_call(&m->c, KP_SHARE_FETCH_KEY, v, &x.req, &resp);
    return sf_decode(&resp);
}

static fetched share_fetch_epoch(smember *m, int32_t epoch, int32_t max_records, const ack *acks,
                                 int n_acks)
{
    return share_fetch_v(m, SF_V, epoch, max_records, acks, n_acks);
}

/* Sends the next ShareFetch of m's session, waiting up to max_wait_ms;
 * share_fetch_recv reads its answer. */
static int32_t share_fetch_send(smember *m, int32_t max_wait_ms)
{
    sf_req x;
    sf_build(&x, m, m->session_epoch++, 100, max_wait_ms, NULL, 0);
    karena_reset(&m->c.arena);
    return mt_send(&m->c, KP_SHARE_FETCH_KEY, SF_V, &x.req);
}

static fetched share_fetch_recv(smember *m, int32_t cid)
{
    kp_share_fetch_response resp;
    ck_assert_int_eq(mt_recv(&m->c, KP_SHARE_FETCH_KEY, SF_V, &resp), cid);
    return sf_decode(&resp);
}

/* The next ShareFetch of m's session (epoch 0 opens it). */
static fetched share_fetch(smember *m, int32_t max_records, const ack *acks, int n_acks)
{
    fetched f = share_fetch_epoch(m, m->session_epoch, max_records, acks, n_acks);
    if (!f.error) m->session_epoch++;
    ck_assert_int_eq(f.part_error, 0);
    return f;
}

static int16_t share_ack(smember *m, int32_t epoch, ack a, int16_t *part_error)
{
    kp_share_acknowledge_request req;
    kp_share_acknowledge_request_init(&req);
    req.group_id = kwire_cstr("g");
    req.member_id = kwire_cstr(m->id);
    req.share_session_epoch = epoch;
    kp_share_acknowledge_request_acknowledge_topic t;
    kp_share_acknowledge_request_acknowledge_topic_init(&t);
    kp_share_acknowledge_request_acknowledge_partition p;
    kp_share_acknowledge_request_acknowledge_partition_init(&p);
    kp_share_acknowledge_request_acknowledgement_batch b;
    kp_share_acknowledge_request_acknowledgement_batch_init(&b);
    b.first_offset = a.first;
    b.last_offset = a.last;
    b.acknowledge_types = &a.type;
    b.n_acknowledge_types = 1;
    p.acknowledgement_batches = &b;
    p.n_acknowledgement_batches = 1;
    t.topic_id = tid;
    t.partitions = &p;
    t.n_partitions = 1;
    req.topics = &t;
    req.n_topics = 1;
    kp_share_acknowledge_response resp;
    mt_call(&m->c, KP_SHARE_ACKNOWLEDGE_KEY, SA_V, &req, &resp);
    if (!resp.error_code) {
        ck_assert_int_eq(resp.n_responses, 1);
        ck_assert_int_eq(resp.responses[0].n_partitions, 1);
        *part_error = resp.responses[0].partitions[0].error_code;
    }
    return resp.error_code;
}

START_TEST(test_member_joins_and_gets_the_partition)
{
    smember m;
    member_join(&m, "m1");
    ck_assert_int_eq(m.n_assigned, 1);
    int32_t e = m.epoch;
    ck_assert_int_eq(heartbeat(&m, e), 0);
    ck_assert_int_eq(m.epoch, e);
    ck_assert_int_eq(heartbeat(&m, e + 5), KFK_ERR_FENCED_MEMBER_EPOCH);
    smember x = {0};
    snprintf(x.id, sizeof(x.id), "nobody");
    mt_open(&x.c, mc, 1);
    ck_assert_int_eq(heartbeat(&x, 3), KFK_ERR_UNKNOWN_MEMBER_ID);
    mt_close(&x.c);
    mt_close(&m.c);
}
END_TEST

START_TEST(test_fetch_acquires_and_accept_settles)
{
    smember m;
    member_join(&m, "m1");
    fetched f = share_fetch(&m, 100, NULL, 0);
    ck_assert_int_eq(f.error, 0);
    ck_assert_int_eq(f.n_ranges, 1);
    ck_assert_int_eq(f.first[0], 0);
    ck_assert_int_eq(f.last[0], N_RECORDS - 1);
    ck_assert_int_eq(f.count[0], 1);
    ck_assert_int_eq(f.n_batch_records, N_RECORDS);
    /* Nothing more while they are held. */
    f = share_fetch(&m, 100, NULL, 0);
    ck_assert_int_eq(f.n_records, 0);
    ack a = {0, N_RECORDS - 1, 1};
    f = share_fetch(&m, 100, &a, 1);
    ck_assert_int_eq(f.ack_error, 0);
    ck_assert_int_eq(f.n_records, 0);
    /* Accepting them again: they are no longer held. */
    f = share_fetch(&m, 100, &a, 1);
    ck_assert_int_eq(f.ack_error, KFK_ERR_INVALID_RECORD_STATE);
    mt_close(&m.c);
}
END_TEST

START_TEST(test_release_redelivers_and_reject_never)
{
    smember m;
    member_join(&m, "m1");
    fetched f = share_fetch(&m, 4, NULL, 0);
    ck_assert_int_eq(f.n_records, 4);
    ack acks[2] = {{0, 1, 2}, {2, 3, 3}}; /* release 0-1, reject 2-3 */
    f = share_fetch(&m, 100, acks, 2);
    ck_assert_int_eq(f.ack_error, 0);
    /* 0-1 come back first with delivery count 2, then 4.. with 1. */
    ck_assert_int_eq(f.n_ranges, 2);
    ck_assert_int_eq(f.first[0], 0);
    ck_assert_int_eq(f.last[0], 1);
    ck_assert_int_eq(f.count[0], 2);
    ck_assert_int_eq(f.first[1], 4);
    ck_assert_int_eq(f.last[1], N_RECORDS - 1);
    ck_assert_int_eq(f.count[1], 1);
    ack skip[2] = {{0, 1, 2}, {4, N_RECORDS - 1, 2}};
    f = share_fetch(&m, 100, skip, 2);
    ck_assert_int_eq(f.ack_error, 0);
    for (int i = 0; i < f.n_ranges; i++)
        ck_assert_msg(f.last[i] < 2 || f.first[i] > 3, "a rejected record came back");
    ck_assert_int_eq(f.n_records, N_RECORDS - 2);
    mt_close(&m.c);
}
END_TEST

START_TEST(test_lock_timeout_redelivers)
{
    ck_assert_int_eq(kfk_mock_set_share_record_lock_duration(mc, 0), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_mock_set_share_record_lock_duration(mc, 200), 0);
    smember m;
    member_join(&m, "m1");
    fetched f = share_fetch(&m, 100, NULL, 0);
    ck_assert_int_eq(f.n_records, N_RECORDS);
    /* Poll until the lock passes and the records come back. */
    int64_t deadline = mt_now_ms() + MT_TIMEOUT_MS;
    do {
        f = share_fetch(&m, 100, NULL, 0);
        if (!f.n_records) poll(NULL, 0, 20);
    } while (!f.n_records && mt_now_ms() < deadline);
    ck_assert_int_eq(f.n_records, N_RECORDS);
    ck_assert_int_eq(f.count[0], 2);
    mt_close(&m.c);
}
END_TEST

START_TEST(test_delivery_count_limit_archives)
{
    ck_assert_int_eq(kfk_mock_set_share_delivery_count_limit(mc, 1), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_mock_set_share_delivery_count_limit(mc, 2), 0);
    smember m;
    member_join(&m, "m1");
    fetched f = share_fetch(&m, 100, NULL, 0);
    ck_assert_int_eq(f.count[0], 1);
    ack rel = {0, N_RECORDS - 1, 2};
    f = share_fetch(&m, 100, &rel, 1);
    ck_assert_int_eq(f.n_records, N_RECORDS);
    ck_assert_int_eq(f.count[0], 2);
    f = share_fetch(&m, 100, &rel, 1);
    ck_assert_int_eq(f.ack_error, 0);
    ck_assert_int_eq(f.n_records, 0); /* archived after two deliveries */
    mt_close(&m.c);
}
END_TEST

START_TEST(test_two_members_never_hold_the_same_record)
{
    smember a, b;
    member_join(&a, "ma");
    member_join(&b, "mb");
    ck_assert_int_eq(heartbeat(&a, a.epoch), 0);
    ck_assert_int_eq(a.n_assigned, 1); /* one partition, shared by both */
    ck_assert_int_eq(b.n_assigned, 1);
    bool held[N_RECORDS] = {0};
    int total = 0;
    for (int round = 0; round < 4; round++) {
        smember *m = round % 2 ? &b : &a;
        fetched f = share_fetch(m, 3, NULL, 0);
        ck_assert_int_eq(f.error, 0);
        for (int i = 0; i < f.n_ranges; i++)
            for (int64_t o = f.first[i]; o <= f.last[i]; o++) {
                ck_assert_msg(!held[o], "offset %lld acquired twice", (long long)o);
                held[o] = true;
                total++;
            }
    }
    ck_assert_int_eq(total, 4 * 3 < N_RECORDS ? 12 : N_RECORDS);
    /* b cannot acknowledge what a holds. */
    int16_t perr = 0;
    ck_assert_int_eq(share_ack(&b, b.session_epoch++, (ack){0, 0, 1}, &perr), 0);
    ck_assert_int_eq(perr, KFK_ERR_INVALID_RECORD_STATE);
    /* a leaves: what it held goes to b. */
    ck_assert_int_eq(heartbeat(&a, -1), 0);
    fetched f = share_fetch(&b, 100, NULL, 0);
    ck_assert_int_eq(f.first[0], 0);
    ck_assert_int_eq(f.count[0], 2);
    mt_close(&a.c);
    mt_close(&b.c);
}
END_TEST

START_TEST(test_session_epochs)
{
    smember m;
    member_join(&m, "m1");
    /* No session yet. */
    fetched f = share_fetch_epoch(&m, 1, 10, NULL, 0);
    ck_assert_int_eq(f.error, KFK_ERR_SHARE_SESSION_NOT_FOUND);
    /* Acknowledging on epoch 0 is refused. */
    ack a = {0, 0, 1};
    f = share_fetch_epoch(&m, 0, 10, &a, 1);
    ck_assert_int_eq(f.error, KFK_ERR_INVALID_REQUEST);
    f = share_fetch(&m, 2, NULL, 0); /* opens, epoch 0 */
    ck_assert_int_eq(f.error, 0);
    ck_assert_int_eq(f.n_records, 2);
    f = share_fetch_epoch(&m, 5, 10, NULL, 0);
    ck_assert_int_eq(f.error, KFK_ERR_INVALID_SHARE_SESSION_EPOCH);
    int16_t perr = -1;
    ck_assert_int_eq(share_ack(&m, 0, a, &perr), KFK_ERR_INVALID_SHARE_SESSION_EPOCH);
    ck_assert_int_eq(share_ack(&m, 1, a, &perr), 0);
    ck_assert_int_eq(perr, 0);
    /* Epoch -1 closes the session, releasing offset 1. */
    ck_assert_int_eq(share_ack(&m, -1, (ack){5, 5, 1}, &perr), 0);
    ck_assert_int_eq(perr, KFK_ERR_INVALID_RECORD_STATE);
    f = share_fetch_epoch(&m, 3, 10, NULL, 0);
    ck_assert_int_eq(f.error, KFK_ERR_SHARE_SESSION_NOT_FOUND);
    m.session_epoch = 0;
    f = share_fetch(&m, 1, NULL, 0);
    ck_assert_int_eq(f.first[0], 1);
    ck_assert_int_eq(f.count[0], 2);
    /* A member id the group does not know fetches all the same, as with
     * Kafka, whose partition leaders do not check membership; a group
     * that does not exist is an error. */
    smember x = m;
    snprintf(x.id, sizeof(x.id), "stranger");
    f = share_fetch_epoch(&x, 0, 10, NULL, 0);
    ck_assert_int_eq(f.error, 0);
    ck_assert_int_eq(f.first[0], 2);
    ck_assert_int_eq(f.count[0], 1);
    kp_share_fetch_request nog;
    kp_share_fetch_request_init(&nog);
    nog.group_id = kwire_cstr("no-such-group");
    nog.member_id = kwire_cstr("m1");
    kp_share_fetch_response resp;
    mt_call(&m.c, KP_SHARE_FETCH_KEY, SF_V, &nog, &resp);
    ck_assert_int_eq(resp.error_code, KFK_ERR_GROUP_ID_NOT_FOUND);
    mt_close(&m.c);
}
END_TEST

START_TEST(test_describe_shows_the_group)
{
    smember a, b;
    member_join(&a, "ma");
    member_join(&b, "mb");
    mt_conn c;
    mt_open(&c, mc, 1);
    kp_share_group_describe_request req;
    kp_share_group_describe_request_init(&req);
    kslice ids[2] = {kwire_cstr("g"), kwire_cstr("nope")};
    req.group_ids = ids;
    req.n_group_ids = 2;
    kp_share_group_describe_response resp;
    mt_call(&c, KP_SHARE_GROUP_DESCRIBE_KEY, 1, &req, &resp);
    ck_assert_int_eq(resp.n_groups, 2);
    ck_assert_int_eq(resp.groups[0].error_code, 0);
    ck_assert_int_eq(resp.groups[0].n_members, 2);
    ck_assert(kwire_eq(resp.groups[0].group_state, kwire_cstr("Stable")));
    ck_assert_int_eq(resp.groups[0].members[0].assignment.n_topic_partitions, 1);
    ck_assert_int_eq(resp.groups[1].error_code, KFK_ERR_GROUP_ID_NOT_FOUND);
    mt_close(&c);
    mt_close(&a.c);
    mt_close(&b.c);
}
END_TEST

START_TEST(test_fetch_waits_for_new_records)
{
    smember m;
    member_join(&m, "m1");
    ack all = {0, N_RECORDS - 1, 1};
    ck_assert_int_eq(share_fetch(&m, 100, NULL, 0).n_records, N_RECORDS);
    ck_assert_int_eq(share_fetch(&m, 100, &all, 1).n_records, 0);
    /* Nothing to acquire: the fetch waits until a record arrives. */
    int32_t cid = share_fetch_send(&m, MT_TIMEOUT_MS / 2);
    mt_conn p;
    mt_open(&p, mc, 1);
    kbuf b = {0};
    ck_assert_int_eq(mt_produce(&p, "t", 0, mt_batch(&b, 1, 2000, -1, -1, -1))->error_code, 0);
    kbuf_free(&b);
    fetched f = share_fetch_recv(&m, cid);
    ck_assert_int_eq(f.error, 0);
    ck_assert_int_eq(f.n_records, 1);
    ck_assert_int_eq(f.first[0], N_RECORDS);
    ck_assert_int_eq(f.count[0], 1);
    /* With nothing to come, it answers empty once max_wait_ms passed. */
    cid = share_fetch_send(&m, 50);
    f = share_fetch_recv(&m, cid);
    ck_assert_int_eq(f.error, 0);
    ck_assert_int_eq(f.n_records, 0);
    mt_close(&p);
    mt_close(&m.c);
}
END_TEST

START_TEST(test_waiting_fetch_gets_records_another_member_releases)
{
    smember a, b;
    member_join(&a, "ma");
    member_join(&b, "mb");
    ck_assert_int_eq(share_fetch(&a, 100, NULL, 0).n_records, N_RECORDS);
    ck_assert_int_eq(share_fetch(&b, 100, NULL, 0).n_records, 0);
    int32_t cid = share_fetch_send(&b, MT_TIMEOUT_MS / 2);
    int16_t perr = -1;
    ck_assert_int_eq(share_ack(&a, a.session_epoch++, (ack){0, N_RECORDS - 1, 2}, &perr), 0);
    ck_assert_int_eq(perr, 0);
    fetched f = share_fetch_recv(&b, cid);
    ck_assert_int_eq(f.n_records, N_RECORDS);
    ck_assert_int_eq(f.count[0], 2);
    mt_close(&a.c);
    mt_close(&b.c);
}
END_TEST

START_TEST(test_renew_is_an_acknowledge_type_from_v2)
{
    smember m;
    member_join(&m, "m1");
    ck_assert_int_eq(share_fetch(&m, 2, NULL, 0).n_records, 2);
    /* max_records 0: acknowledge only, acquire nothing. */
    ack renew = {0, 1, 4};
    fetched f = share_fetch_v(&m, 1, m.session_epoch++, 0, &renew, 1);
    ck_assert_int_eq(f.ack_error, KFK_ERR_INVALID_REQUEST);
    ck_assert_int_eq(f.n_records, 0);
    f = share_fetch(&m, 0, &renew, 1);
    ck_assert_int_eq(f.ack_error, 0);
    ck_assert_int_eq(f.n_records, 0);
    /* Renewed, still held: accepting them works, once. */
    ack accept = {0, 1, 1};
    f = share_fetch(&m, 0, &accept, 1);
    ck_assert_int_eq(f.ack_error, 0);
    f = share_fetch(&m, 0, &accept, 1);
    ck_assert_int_eq(f.ack_error, KFK_ERR_INVALID_RECORD_STATE);
    f = share_fetch(&m, 100, NULL, 0);
    ck_assert_int_eq(f.first[0], 2);
    mt_close(&m.c);
}
END_TEST

/* KIP-1222: a ShareFetch that says it carries renewals may not fetch. */
START_TEST(test_a_renewing_share_fetch_may_not_fetch)
{
    smember m;
    member_join(&m, "m1");
    ck_assert_int_eq(share_fetch(&m, 2, NULL, 0).n_records, 2);
    ack renew = {0, 1, 4};
    sf_req x;
    sf_build(&x, &m, m.session_epoch, 0, 0, &renew, 1);
    x.req.is_renew_ack = true; /* max_bytes stays at its default */
    kp_share_fetch_response resp;
    mt_call(&m.c, KP_SHARE_FETCH_KEY, 2, &x.req, &resp);
    ck_assert_int_eq(sf_decode(&resp).error, KFK_ERR_INVALID_REQUEST);
    /* Refused whole: the epoch was not used, nothing was renewed. */
    sf_build(&x, &m, m.session_epoch++, 0, 0, &renew, 1);
    x.req.is_renew_ack = true;
    x.req.max_bytes = 0;
    mt_call(&m.c, KP_SHARE_FETCH_KEY, 2, &x.req, &resp);
    fetched f = sf_decode(&resp);
    ck_assert_int_eq(f.error, 0);
    ck_assert_int_eq(f.ack_error, 0);
    ck_assert_int_eq(f.n_records, 0);
    mt_close(&m.c);
}
END_TEST

START_TEST(test_expired_member_gives_its_records_back)
{
    ck_assert_int_eq(kfk_mock_set_share_group_timeouts(mc, 100, 100), KFK_ERR_INVALID_ARG);
    /* b beats every few ms: a session of 1.5 s keeps it in on a loaded
     * machine while a's runs out. */
    ck_assert_int_eq(kfk_mock_set_share_group_timeouts(mc, 1500, 50), 0);
    smember a, b;
    member_join(&a, "ma");
    member_join(&b, "mb");
    ck_assert_int_eq(share_fetch(&a, 100, NULL, 0).n_records, N_RECORDS);
    /* a stops heartbeating; b keeps at it until a's records reach it. */
    fetched f = {0};
    int64_t deadline = mt_now_ms() + MT_TIMEOUT_MS;
    while (!f.n_records && mt_now_ms() < deadline) {
        ck_assert_int_eq(heartbeat(&b, b.epoch), 0);
        f = share_fetch(&b, 100, NULL, 0);
        if (!f.n_records) poll(NULL, 0, 20);
    }
    ck_assert_int_eq(f.n_records, N_RECORDS);
    ck_assert_int_eq(f.count[0], 2);
    ck_assert_int_eq(heartbeat(&a, a.epoch), KFK_ERR_UNKNOWN_MEMBER_ID);
    mt_close(&a.c);
    mt_close(&b.c);
}
END_TEST

START_TEST(test_bad_heartbeats_get_kafkas_errors)
{
    smember m = {0};
    mt_open(&m.c, mc, 1);
    ck_assert_int_eq(heartbeat(&m, 0), KFK_ERR_INVALID_REQUEST); /* empty member id */
    snprintf(m.id, sizeof(m.id), "m1");
    kp_share_group_heartbeat_request req;
    kp_share_group_heartbeat_request_init(&req);
    req.group_id = kwire_cstr("g");
    req.member_id = kwire_cstr("m1");
    kp_share_group_heartbeat_response resp;
    mt_call(&m.c, KP_SHARE_GROUP_HEARTBEAT_KEY, HB_V, &req, &resp); /* joins with no topics */
    ck_assert_int_eq(resp.error_code, KFK_ERR_INVALID_REQUEST);
    req.member_epoch = -2;
    mt_call(&m.c, KP_SHARE_GROUP_HEARTBEAT_KEY, HB_V, &req, &resp);
    ck_assert_int_eq(resp.error_code, KFK_ERR_INVALID_REQUEST);
    /* A consumer group's id is not a share group's. */
    kp_consumer_group_heartbeat_request cg;
    kp_consumer_group_heartbeat_request_init(&cg);
    kslice topic = kwire_cstr("t");
    cg.group_id = kwire_cstr("cg");
    cg.member_id = kwire_cstr("c1");
    cg.rebalance_timeout_ms = 30000;
    cg.subscribed_topic_names = &topic;
    cg.n_subscribed_topic_names = 1;
    kp_consumer_group_heartbeat_request_topic_partitions none;
    cg.topic_partitions = &none; /* owns nothing, but says so */
    cg.n_topic_partitions = 0;
    kp_consumer_group_heartbeat_response cresp;
    mt_call(&m.c, KP_CONSUMER_GROUP_HEARTBEAT_KEY, 1, &cg, &cresp);
    ck_assert_int_eq(cresp.error_code, 0);
    req.group_id = kwire_cstr("cg");
    req.member_epoch = 0;
    req.subscribed_topic_names = &topic;
    req.n_subscribed_topic_names = 1;
    mt_call(&m.c, KP_SHARE_GROUP_HEARTBEAT_KEY, HB_V, &req, &resp);
    ck_assert_int_eq(resp.error_code, KFK_ERR_GROUP_ID_NOT_FOUND);
    mt_close(&m.c);
}
END_TEST

START_TEST(test_list_groups_names_the_share_type)
{
    smember m;
    member_join(&m, "m1");
    kp_list_groups_request req;
    kp_list_groups_request_init(&req);
    kslice type = kwire_cstr("share");
    req.types_filter = &type;
    req.n_types_filter = 1;
    kp_list_groups_response resp;
    mt_call(&m.c, KP_LIST_GROUPS_KEY, 5, &req, &resp);
    ck_assert_int_eq(resp.error_code, 0);
    ck_assert_int_eq(resp.n_groups, 1);
    ck_assert(kwire_eq(resp.groups[0].group_id, kwire_cstr("g")));
    ck_assert(kwire_eq(resp.groups[0].group_type, kwire_cstr("share")));
    ck_assert(kwire_eq(resp.groups[0].group_state, kwire_cstr("Stable")));
    mt_close(&m.c);
}
END_TEST

START_TEST(test_partition_led_elsewhere_is_not_leader_or_follower)
{
    kfk_mock_cluster_destroy(mc); /* this test wants two brokers */
    mc = kfk_mock_cluster_new(2);
    ck_assert_ptr_nonnull(mc);
    ck_assert_int_eq(kfk_mock_topic_create(mc, "t", 1, 2), 0);
    ck_assert_int_eq(kfk_mock_partition_set_leader(mc, "t", 0, 2), 0);
    tid = mt_topic_id(mc, "t");
    smember m = {0};
    snprintf(m.id, sizeof(m.id), "m1");
    mt_open(&m.c, mc, mt_group_coordinator(mc, "g"));
    ck_assert_int_eq(heartbeat(&m, 0), 0);
    mt_close(&m.c);
    mt_open(&m.c, mc, 1); /* not the leader */
    fetched f = share_fetch_epoch(&m, 0, 10, NULL, 0);
    ck_assert_int_eq(f.error, 0);
    ck_assert_int_eq(f.part_error, KFK_ERR_NOT_LEADER_OR_FOLLOWER);
    ck_assert_int_eq(f.leader, 2);
    ck_assert_int_eq(f.n_endpoints, 1);
    mt_close(&m.c);
}
END_TEST

START_TEST(test_api_versions_offers_share_groups)
{
    mt_conn c;
    mt_open(&c, mc, 1);
    kp_api_versions_request req;
    kp_api_versions_request_init(&req);
    req.client_software_name = kwire_cstr("kfk-test");
    req.client_software_version = kwire_cstr("0.1.0");
    kp_api_versions_response resp;
    mt_call(&c, KP_API_VERSIONS_KEY, 3, &req, &resp);
    ck_assert_int_eq(resp.error_code, 0);
    /* What Kafka 4.3.1 advertises. */
    static const int16_t want[][3] = {{76, 1, 1}, {77, 1, 1}, {78, 1, 2}, {79, 1, 2}};
    for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
        bool found = false;
        for (int32_t i = 0; i < resp.n_api_keys; i++)
            if (resp.api_keys[i].api_key == want[k][0]) {
                found = true;
                ck_assert_int_eq(resp.api_keys[i].min_version, want[k][1]);
                ck_assert_int_eq(resp.api_keys[i].max_version, want[k][2]);
            }
        ck_assert_msg(found, "api %d not advertised", want[k][0]);
    }
    int16_t level = 0;
    for (int32_t i = 0; i < resp.n_finalized_features; i++)
        if (kwire_eq(resp.finalized_features[i].name, kwire_cstr("share.version")))
            level = resp.finalized_features[i].max_version_level;
    ck_assert_int_eq(level, 1);
    mt_close(&c);
}
END_TEST

START_TEST(test_latest_reads_only_what_comes_after_the_assignment)
{
    ck_assert_int_eq(kfk_mock_set_share_auto_offset_reset(mc, "newest"), KFK_ERR_INVALID_ARG);
    ck_assert_int_eq(kfk_mock_set_share_auto_offset_reset(mc, "latest"), 0);
    smember m;
    member_join(&m, "m1");
    ck_assert_int_eq(share_fetch(&m, 100, NULL, 0).n_records, 0);
    mt_conn p;
    mt_open(&p, mc, 1);
    kbuf b = {0};
    ck_assert_int_eq(mt_produce(&p, "t", 0, mt_batch(&b, 3, 2000, -1, -1, -1))->error_code, 0);
    kbuf_free(&b);
    fetched f = share_fetch(&m, 100, NULL, 0);
    ck_assert_int_eq(f.n_records, 3);
    ck_assert_int_eq(f.first[0], N_RECORDS);
    mt_close(&p);
    mt_close(&m.c);
}
END_TEST

/* IncrementalAlterConfigs on the GROUP resource "g": one config; the
 * resource's error code, and its message in msg. */
static int16_t alter_group(mt_conn *c, const char *name, int8_t op, const char *value, char *msg,
                           size_t n)
{
    kp_incremental_alter_configs_request req;
    kp_incremental_alter_configs_request_init(&req);
    kp_incremental_alter_configs_request_alter_configs_resource r;
    kp_incremental_alter_configs_request_alter_configs_resource_init(&r);
    kp_incremental_alter_configs_request_alterable_config cfg;
    kp_incremental_alter_configs_request_alterable_config_init(&cfg);
    cfg.name = kwire_cstr(name);
    cfg.config_operation = op;
    cfg.value = value ? kwire_cstr(value) : (kslice){0};
    r.resource_type = 32;
    r.resource_name = kwire_cstr("g");
    r.configs = &cfg;
    r.n_configs = 1;
    req.resources = &r;
    req.n_resources = 1;
    kp_incremental_alter_configs_response resp;
    mt_call(c, KP_INCREMENTAL_ALTER_CONFIGS_KEY, 1, &req, &resp);
    ck_assert_int_eq(resp.n_responses, 1);
    kslice m = resp.responses[0].error_message;
    snprintf(msg, n, "%.*s", (int)m.len, m.ptr ? (const char *)m.ptr : "");
    return resp.responses[0].error_code;
}

/* DescribeConfigs of the GROUP resource "g", config name: its value (in
 * buf) and source. */
static int8_t describe_group(mt_conn *c, const char *name, char *buf, size_t n)
{
    kp_describe_configs_request req;
    kp_describe_configs_request_init(&req);
    kp_describe_configs_request_describe_configs_resource r;
    kp_describe_configs_request_describe_configs_resource_init(&r);
    kslice key = kwire_cstr(name);
    r.resource_type = 32;
    r.resource_name = kwire_cstr("g");
    r.configuration_keys = &key;
    r.n_configuration_keys = 1;
    req.resources = &r;
    req.n_resources = 1;
    kp_describe_configs_response resp;
    mt_call(c, KP_DESCRIBE_CONFIGS_KEY, 4, &req, &resp);
    ck_assert_int_eq(resp.n_results, 1);
    ck_assert_int_eq(resp.results[0].error_code, 0);
    ck_assert_int_eq(resp.results[0].n_configs, 1);
    kslice v = resp.results[0].configs[0].value;
    snprintf(buf, n, "%.*s", (int)v.len, (const char *)v.ptr);
    return resp.results[0].configs[0].config_source;
}

START_TEST(test_group_configs_take_precedence_over_the_cluster_s)
{
    mt_conn a;
    mt_open(&a, mc, 1);
    char msg[512];
    /* Refused, with Kafka's messages: nothing changes. */
    ck_assert_int_eq(alter_group(&a, "share.record.lock.duration.ms", 0, "999", msg, sizeof(msg)),
                     KFK_ERR_INVALID_CONFIG);
    ck_assert_msg(strstr(msg, "Value must be at least 1000"), "%s", msg);
    ck_assert_int_eq(alter_group(&a, "share.auto.offset.reset", 0, "soon", msg, sizeof(msg)),
                     KFK_ERR_INVALID_CONFIG);
    ck_assert_int_eq(alter_group(&a, "share.auto.offset.reset", 2, "latest", msg, sizeof(msg)),
                     KFK_ERR_INVALID_CONFIG);
    ck_assert_int_eq(alter_group(&a, "no.such.config", 0, "1", msg, sizeof(msg)),
                     KFK_ERR_INVALID_CONFIG);
    ck_assert_str_eq(msg, "Unknown group config name: no.such.config");
    ck_assert_int_eq(
        alter_group(&a, "share.isolation.level", 0, "read_committed", msg, sizeof(msg)),
        KFK_ERR_INVALID_CONFIG);
    ck_assert_msg(strstr(msg, "does not serve"), "%s", msg);
    /* The group need not exist yet; the cluster says earliest and 30 s. */
    ck_assert_int_eq(alter_group(&a, "share.auto.offset.reset", 0, "latest", msg, sizeof(msg)), 0);
    ck_assert_int_eq(alter_group(&a, "share.record.lock.duration.ms", 0, "1500", msg, sizeof(msg)),
                     0);
    ck_assert_int_eq(describe_group(&a, "share.record.lock.duration.ms", msg, sizeof(msg)),
                     8); /* DYNAMIC_GROUP_CONFIG */
    ck_assert_str_eq(msg, "1500");
    smember m;
    member_join(&m, "m1");
    fetched f = share_fetch(&m, 100, NULL, 0);
    ck_assert_int_eq(f.n_records, 0); /* latest: the 10 records before are not the group's */
    ck_assert_int_eq(f.lock_ms, 1500);
    /* Deleted, the lock is the cluster's again. */
    ck_assert_int_eq(alter_group(&a, "share.record.lock.duration.ms", 1, NULL, msg, sizeof(msg)),
                     0);
    ck_assert_int_eq(share_fetch(&m, 100, NULL, 0).lock_ms, 30000);
    ck_assert_int_eq(describe_group(&a, "share.record.lock.duration.ms", msg, sizeof(msg)),
                     5); /* DEFAULT_CONFIG */
    ck_assert_str_eq(msg, "30000");
    mt_close(&m.c);
    mt_close(&a);
}
END_TEST

static int16_t delete_group(mt_conn *c)
{
    kp_delete_groups_request req;
    kp_delete_groups_request_init(&req);
    kslice id = kwire_cstr("g");
    req.groups_names = &id;
    req.n_groups_names = 1;
    kp_delete_groups_response resp;
    mt_call(c, KP_DELETE_GROUPS_KEY, 2, &req, &resp);
    ck_assert_int_eq(resp.n_results, 1);
    return resp.results[0].error_code;
}

START_TEST(test_deleting_the_group_forgets_its_records)
{
    smember m;
    member_join(&m, "m1");
    ack all = {0, N_RECORDS - 1, 1};
    ck_assert_int_eq(share_fetch(&m, 100, NULL, 0).n_records, N_RECORDS);
    ck_assert_int_eq(share_fetch(&m, 100, &all, 1).ack_error, 0);
    ck_assert_int_eq(delete_group(&m.c), KFK_ERR_NON_EMPTY_GROUP);
    ck_assert_int_eq(heartbeat(&m, -1), 0);
    ck_assert_int_eq(delete_group(&m.c), 0);
    /* A new group of that name starts over: everything again, first
     * delivery. */
    mt_close(&m.c);
    member_join(&m, "m1");
    fetched f = share_fetch(&m, 100, NULL, 0);
    ck_assert_int_eq(f.n_records, N_RECORDS);
    ck_assert_int_eq(f.count[0], 1);
    mt_close(&m.c);
}
END_TEST

/* The start offset and lag DescribeShareGroupOffsets v1 gives for
 * partition 0 of "t" in group "g" (-1, -1: no state). */
static void share_offsets(mt_conn *c, int64_t *start, int64_t *lag)
{
    kp_describe_share_group_offsets_request req;
    kp_describe_share_group_offsets_request_init(&req);
    kp_describe_share_group_offsets_request_group g;
    kp_describe_share_group_offsets_request_group_init(&g);
    kp_describe_share_group_offsets_request_topic t;
    kp_describe_share_group_offsets_request_topic_init(&t);
    int32_t p0 = 0;
    t.topic_name = kwire_cstr("t");
    t.partitions = &p0;
    t.n_partitions = 1;
    g.group_id = kwire_cstr("g");
    g.topics = &t;
    g.n_topics = 1;
    req.groups = &g;
    req.n_groups = 1;
    kp_describe_share_group_offsets_response resp;
    mt_call(c, KP_DESCRIBE_SHARE_GROUP_OFFSETS_KEY, 1, &req, &resp);
    ck_assert_int_eq(resp.n_groups, 1);
    ck_assert_int_eq(resp.groups[0].error_code, 0);
    ck_assert_int_eq(resp.groups[0].n_topics, 1);
    ck_assert_int_eq(resp.groups[0].topics[0].n_partitions, 1);
    ck_assert_int_eq(resp.groups[0].topics[0].partitions[0].error_code, 0);
    *start = resp.groups[0].topics[0].partitions[0].start_offset;
    *lag = resp.groups[0].topics[0].partitions[0].lag;
}

static int16_t alter_offset(mt_conn *c, int64_t start)
{
    kp_alter_share_group_offsets_request req;
    kp_alter_share_group_offsets_request_init(&req);
    kp_alter_share_group_offsets_request_topic t;
    kp_alter_share_group_offsets_request_topic_init(&t);
    kp_alter_share_group_offsets_request_partition p = {.partition_index = 0,
                                                        .start_offset = start};
    t.topic_name = kwire_cstr("t");
    t.partitions = &p;
    t.n_partitions = 1;
    req.group_id = kwire_cstr("g");
    req.topics = &t;
    req.n_topics = 1;
    kp_alter_share_group_offsets_response resp;
    mt_call(c, KP_ALTER_SHARE_GROUP_OFFSETS_KEY, 0, &req, &resp);
    if (resp.error_code) return resp.error_code;
    ck_assert_int_eq(resp.n_responses, 1);
    return resp.responses[0].partitions[0].error_code;
}

START_TEST(test_offsets_are_described_altered_and_deleted)
{
    smember m;
    member_join(&m, "m1");
    int64_t start, lag;
    share_offsets(&m.c, &start, &lag);
    ck_assert_int_eq(start, 0);
    ck_assert_int_eq(lag, N_RECORDS);
    /* Each accepted record lowers the lag. */
    ck_assert_int_eq(share_fetch(&m, 100, NULL, 0).n_records, N_RECORDS);
    ack some = {2, 3, 1};
    ck_assert_int_eq(share_fetch(&m, 0, &some, 1).ack_error, 0);
    share_offsets(&m.c, &start, &lag);
    ck_assert_int_eq(start, 0);
    ck_assert_int_eq(lag, N_RECORDS - 2);
    ack head = {0, 1, 1};
    ck_assert_int_eq(share_fetch(&m, 0, &head, 1).ack_error, 0);
    share_offsets(&m.c, &start, &lag);
    ck_assert_int_eq(lag, N_RECORDS - 4);
    /* Only an empty group's offsets change. */
    ck_assert_int_eq(alter_offset(&m.c, 7), KFK_ERR_NON_EMPTY_GROUP);
    ck_assert_int_eq(heartbeat(&m, -1), 0);
    ck_assert_int_eq(alter_offset(&m.c, 7), 0);
    share_offsets(&m.c, &start, &lag);
    ck_assert_int_eq(start, 7);
    ck_assert_int_eq(lag, N_RECORDS - 7);
    /* A member that comes back reads from there, first delivery. */
    mt_close(&m.c);
    member_join(&m, "m1");
    fetched f = share_fetch(&m, 100, NULL, 0);
    ck_assert_int_eq(f.first[0], 7);
    ck_assert_int_eq(f.count[0], 1);
    ck_assert_int_eq(heartbeat(&m, -1), 0);
    /* Deleting forgets the topic's state. */
    kp_delete_share_group_offsets_request req;
    kp_delete_share_group_offsets_request_init(&req);
    kp_delete_share_group_offsets_request_topic t = {.topic_name = kwire_cstr("t")};
    req.group_id = kwire_cstr("g");
    req.topics = &t;
    req.n_topics = 1;
    kp_delete_share_group_offsets_response resp;
    mt_call(&m.c, KP_DELETE_SHARE_GROUP_OFFSETS_KEY, 0, &req, &resp);
    ck_assert_int_eq(resp.error_code, 0);
    ck_assert_int_eq(resp.responses[0].error_code, 0);
    share_offsets(&m.c, &start, &lag);
    ck_assert_int_eq(start, -1);
    ck_assert_int_eq(lag, -1);
    req.group_id = kwire_cstr("nope");
    mt_call(&m.c, KP_DELETE_SHARE_GROUP_OFFSETS_KEY, 0, &req, &resp);
    ck_assert_int_eq(resp.error_code, KFK_ERR_GROUP_ID_NOT_FOUND);
    mt_close(&m.c);
}
END_TEST

START_TEST(test_pushed_errors_answer_share_requests)
{
    smember m;
    member_join(&m, "m1");
    ck_assert_int_eq(
        kfk_mock_push_errors(mc, KFK_MOCK_API_SHARE_FETCH, 1, KFK_ERR_SHARE_SESSION_LIMIT_REACHED),
        0);
    ck_assert_int_eq(share_fetch_epoch(&m, 0, 10, NULL, 0).error,
                     KFK_ERR_SHARE_SESSION_LIMIT_REACHED);
    ck_assert_int_eq(share_fetch(&m, 10, NULL, 0).n_records, N_RECORDS);
    ck_assert_int_eq(kfk_mock_push_errors(mc, KFK_MOCK_API_SHARE_GROUP_HEARTBEAT, 1,
                                          KFK_ERR_COORDINATOR_NOT_AVAILABLE),
                     0);
    ck_assert_int_eq(heartbeat(&m, m.epoch), KFK_ERR_COORDINATOR_NOT_AVAILABLE);
    ck_assert_int_eq(heartbeat(&m, m.epoch), 0);
    ck_assert_int_eq(kfk_mock_request_count(mc, KFK_MOCK_API_SHARE_FETCH), 2);
    mt_close(&m.c);
}
END_TEST

static Suite *mock_share_suite(void)
{
    Suite *s = suite_create("mock_share");
    TCase *tc = tcase_create("share");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_member_joins_and_gets_the_partition);
    tcase_add_test(tc, test_fetch_acquires_and_accept_settles);
    tcase_add_test(tc, test_release_redelivers_and_reject_never);
    tcase_add_test(tc, test_lock_timeout_redelivers);
    tcase_add_test(tc, test_delivery_count_limit_archives);
    tcase_add_test(tc, test_two_members_never_hold_the_same_record);
    tcase_add_test(tc, test_session_epochs);
    tcase_add_test(tc, test_describe_shows_the_group);
    tcase_add_test(tc, test_fetch_waits_for_new_records);
    tcase_add_test(tc, test_waiting_fetch_gets_records_another_member_releases);
    tcase_add_test(tc, test_renew_is_an_acknowledge_type_from_v2);
    tcase_add_test(tc, test_a_renewing_share_fetch_may_not_fetch);
    tcase_add_test(tc, test_expired_member_gives_its_records_back);
    tcase_add_test(tc, test_bad_heartbeats_get_kafkas_errors);
    tcase_add_test(tc, test_list_groups_names_the_share_type);
    tcase_add_test(tc, test_partition_led_elsewhere_is_not_leader_or_follower);
    tcase_add_test(tc, test_api_versions_offers_share_groups);
    tcase_add_test(tc, test_latest_reads_only_what_comes_after_the_assignment);
    tcase_add_test(tc, test_group_configs_take_precedence_over_the_cluster_s);
    tcase_add_test(tc, test_deleting_the_group_forgets_its_records);
    tcase_add_test(tc, test_offsets_are_described_altered_and_deleted);
    tcase_add_test(tc, test_pushed_errors_answer_share_requests);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return ktest_run(mock_share_suite());
}
