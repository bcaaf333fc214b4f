/* What classic.c (the state machine) and classic_join.c (JoinGroup
 * metadata, the leader's assignment, SyncGroup's answer) share.
 *
 * Everything here belongs to kfk-bg, except the copies of answers that a
 * kcall completion writes on an I/O thread while its call is in flight
 * (join_res, sync_res, and the error fields): nothing on kfk-bg reads them
 * until the completion's task runs. */
#ifndef KFK_CONSUMER_CLASSIC_INT_H
#define KFK_CONSUMER_CLASSIC_INT_H

#include "consumer/assignor.h"
#include "consumer/group_int.h"
#include "proto/gen/heartbeat.h"
#include "proto/gen/join_group.h"
#include "proto/gen/leave_group.h"
#include "proto/gen/sync_group.h"

typedef enum cstate {
    CS_IDLE,     /* not in the group (before the first join, after leaving) */
    CS_REVOKING, /* waiting for revoke_done before JoinGroup */
    CS_JOINING,  /* JoinGroup in flight (or waiting to be resent) */
    CS_SYNCING,  /* the leader's metadata wait, then SyncGroup in flight */
    CS_STABLE,   /* assignment taken; heartbeating */
    CS_LEAVING,  /* LeaveGroup in flight */
    CS_FATAL,    /* fenced or refused for good */
} cstate;

/* After a revocation the application has finished: */
typedef enum after_revoke { AR_NOTHING, AR_JOIN } after_revoke;

typedef struct join_result {
    int32_t generation;
    kslice protocol, leader, member_id; /* NUL-terminated copies */
    bool skip_assignment;
    kc_join_member *members;
    int32_t n_members;
} join_result;

/* A topic the leader assigned with its partition count then. */
typedef struct csnap {
    char *name;
    int32_t partitions;
} csnap;

typedef struct classic {
    kgroup *g;
    cstate state;
    bool eager;              /* Java: eager unless every assignor is cooperative */
    bool rejoin;             /* rejoin once the join or leave in flight is done */
    const char *join_reason; /* a string literal (or kfk_err_name) */
    after_revoke after;
    char *member_id; /* "" until the coordinator gives one */
    char **old_ids;  /* replaced member ids, kept for requests in flight */
    int n_old_ids;
    int32_t generation;
    char *protocol; /* the assignor the group chose */
    bool leader;
    int leader_waits;
    ktplist previous; /* the last assignment, for the sticky assignors */
    int32_t previous_generation;
    csnap *snap; /* leader: topics and partition counts it assigned */
    int n_snap;
    uint64_t snap_meta_version;

    /* JoinGroup */
    kcall join_call;
    bool join_busy;
    kp_join_group_request join_req;
    kp_join_group_request_protocol *protos;
    kbuf *proto_meta;
    int n_protos;
    karena join_arena; /* join_res lives here */
    join_result join_res;
    kfk_err join_err;
    ktask join_task;
    kfk_err odd_err;   /* the unexpected JoinGroup/SyncGroup error last reported */
    int odd_runs;      /* such errors since the last assignment; for the backoff */
    ktimer join_timer; /* backoff before a new JoinGroup; the leader's metadata wait */

    /* SyncGroup */
    kcall sync_call;
    bool sync_busy;
    kp_sync_group_request sync_req;
    kp_sync_group_request_assignment *sync_assign;
    kbuf *sync_bufs;
    int n_sync_bufs;
    kbuf sync_res; /* the assignment bytes */
    kfk_err sync_err;
    ktask sync_task;

    /* Heartbeat */
    kcall hb_call;
    bool hb_busy;
    kp_heartbeat_request hb_req;
    char *hb_member_id;
    kfk_err hb_err;
    ktask hb_task;
    ktimer hb_timer;

    /* LeaveGroup */
    kcall leave_call;
    bool leave_busy;
    kp_leave_group_request leave_req;
    kp_leave_group_request_member_identity leave_member;
    ktask leave_task;
} classic;

static inline classic *classic_of(kgroup *g)
{
    return g->proto_state;
}

/* classic_join.c */
/* Fills cl->protos and cl->join_req for the next JoinGroup. -1: no memory. */
int classic_build_join(classic *cl);
/* Copies a JoinGroup answer into cl->join_res (I/O thread). */
kfk_err classic_copy_join(classic *cl, const kp_join_group_response *r);
/* The leader's step: 1 when SyncGroup's assignments are ready in
 * cl->sync_assign, 0 to wait for metadata (cl->join_timer is armed),
 * or a kfk_err. */
int classic_leader_assign(classic *cl);
/* Whether the topics the leader assigned changed partition count. */
bool classic_snapshot_changed(classic *cl);
void classic_snapshot_free(classic *cl);
/* Takes SyncGroup's assignment: revokes (cooperative), assigns. Returns
 * whether anything was revoked, or -1 when the bytes do not decode. */
int classic_take_assignment(classic *cl);
/* Frees what the join and sync requests point at. */
void classic_free_requests(classic *cl);

#endif
