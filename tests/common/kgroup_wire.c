/* A group member over raw requests: see kgroup_wire.h. */
#include "kgroup_wire.h"

#include <check.h>
#include <string.h>
#include <unistd.h>

static kslice instance_of(const kgm *m)
{
    return m->instance ? kwire_cstr(m->instance) : (kslice){NULL, 0};
}

void kgm_copy_slice(char *dst, size_t cap, kslice s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    if (n) memcpy(dst, s.ptr, n);
    dst[n] = '\0';
}

void kgm_join_send(kgm *m, int16_t v, const char *protocols, const char *tag, int32_t session_ms,
                   int32_t rebalance_ms)
{
    static char names[KGM_MAX_MEMBERS][32], meta[KGM_MAX_MEMBERS][64];
    kp_join_group_request_protocol ps[KGM_MAX_MEMBERS];
    int n = 0;
    for (const char *p = protocols; *p && n < KGM_MAX_MEMBERS; n++) {
        size_t len = strcspn(p, ",");
        snprintf(names[n], sizeof(names[n]), "%.*s", (int)len, p);
        int w = tag ? snprintf(meta[n], sizeof(meta[n]), "%s@%s", names[n], tag)
                    : snprintf(meta[n], sizeof(meta[n]), "md");
        ck_assert_int_lt(w, (int)sizeof(meta[n]));
        kp_join_group_request_protocol_init(&ps[n]);
        ps[n].name = kwire_cstr(names[n]);
        ps[n].metadata = kwire_cstr(meta[n]);
        p += len + (p[len] == ',');
    }
    kp_join_group_request req;
    kp_join_group_request_init(&req);
    req.group_id = kwire_cstr(m->group);
    req.session_timeout_ms = session_ms;
    req.rebalance_timeout_ms = rebalance_ms;
    req.member_id = kwire_cstr(m->id);
    req.group_instance_id = instance_of(m);
    req.protocol_type = kwire_cstr("consumer");
    req.protocols = ps;
    req.n_protocols = n;
    karena_reset(&m->c.arena);
    mt_send(&m->c, KP_JOIN_GROUP_KEY, v, &req);
}

int kgm_join_recv(kgm *m, int16_t v)
{
    kp_join_group_response resp;
    ck_assert_int_ge(mt_recv(&m->c, KP_JOIN_GROUP_KEY, v, &resp), 0);
    if (resp.member_id.len) kgm_copy_slice(m->id, sizeof(m->id), resp.member_id);
    if (resp.error_code) return resp.error_code;
    m->generation = resp.generation_id;
    m->skip_assignment = resp.skip_assignment;
    kgm_copy_slice(m->leader, sizeof(m->leader), resp.leader);
    kgm_copy_slice(m->protocol, sizeof(m->protocol), resp.protocol_name);
    m->is_leader = strcmp(m->leader, m->id) == 0;
    m->n_members = resp.n_members;
    for (int32_t i = 0; i < resp.n_members && i < KGM_MAX_MEMBERS; i++) {
        kgm_copy_slice(m->member_ids[i], sizeof(m->member_ids[i]), resp.members[i].member_id);
        kgm_copy_slice(m->metadata[i], sizeof(m->metadata[i]), resp.members[i].metadata);
    }
    return 0;
}

void kgm_sync_send(kgm *m, int16_t v, const char *protocol, kgm **to, const char **assignments,
                   int n)
{
    kp_sync_group_request_assignment as[KGM_MAX_MEMBERS];
    ck_assert_int_le(n, KGM_MAX_MEMBERS);
    for (int i = 0; i < n; i++) {
        kp_sync_group_request_assignment_init(&as[i]);
        as[i].member_id = kwire_cstr(to[i]->id);
        as[i].assignment = kwire_cstr(assignments[i]);
    }
    kp_sync_group_request req;
    kp_sync_group_request_init(&req);
    req.group_id = kwire_cstr(m->group);
    req.generation_id = m->generation;
    req.member_id = kwire_cstr(m->id);
    req.group_instance_id = instance_of(m);
    req.protocol_type = kwire_cstr("consumer");
    req.protocol_name = kwire_cstr(protocol);
    req.assignments = as;
    req.n_assignments = n;
    karena_reset(&m->c.arena);
    mt_send(&m->c, KP_SYNC_GROUP_KEY, v, &req);
}

int kgm_sync_recv(kgm *m, int16_t v, const char *want_protocol)
{
    kp_sync_group_response resp;
    ck_assert_int_ge(mt_recv(&m->c, KP_SYNC_GROUP_KEY, v, &resp), 0);
    kgm_copy_slice(m->assignment, sizeof(m->assignment), resp.assignment);
    if (!resp.error_code && want_protocol)
        ck_assert(kwire_eq(resp.protocol_name, kwire_cstr(want_protocol)));
    return resp.error_code;
}

int kgm_heartbeat_as(mt_conn *c, int16_t v, const char *group, int32_t gen, const char *id,
                     const char *instance)
{
    kp_heartbeat_request req;
    kp_heartbeat_request_init(&req);
    req.group_id = kwire_cstr(group);
    req.generation_id = gen;
    req.member_id = kwire_cstr(id);
    req.group_instance_id = instance ? kwire_cstr(instance) : (kslice){NULL, 0};
    kp_heartbeat_response resp;
    mt_call(c, KP_HEARTBEAT_KEY, v, &req, &resp);
    return resp.error_code;
}

int kgm_heartbeat(kgm *m, int16_t v)
{
    return kgm_heartbeat_as(&m->c, v, m->group, m->generation, m->id, m->instance);
}

bool kgm_heartbeat_until(kgm *m, int16_t v, int want, int timeout_ms)
{
    int64_t end = mt_now_ms() + timeout_ms;
    do {
        if (kgm_heartbeat(m, v) == want) return true;
        usleep(20 * 1000);
    } while (mt_now_ms() < end);
    return false;
}
