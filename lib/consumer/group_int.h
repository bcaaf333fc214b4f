/* What the files of the group core share (group.c, group_commit.c,
 * group_list.c). Protocols see only group.h.
 *
 * Threads and locks:
 *   - k->lock protects the fields marked (lock): the subscription as the
 *     application set it, the member identity commits carry, the event
 *     queue, the work wanted from kfk-bg and the commit queue. It is never
 *     held together with c->lock, nor while a callback or a kcall runs.
 *   - Fields marked (bg) belong to kfk-bg: the effective topic list, the
 *     owned partitions, the timers.
 *   - serve_lock serialises the application threads that run callbacks,
 *     so events are handed out in order. */
#ifndef KFK_CONSUMER_GROUP_INT_H
#define KFK_CONSUMER_GROUP_INT_H

#include <regex.h>

#include "base/time.h"
#include "consumer/consumer_int.h"
#include "consumer/group.h"
#include "proto/gen/offset_commit.h"
#include "proto/gen/offset_fetch.h"

/* Work the application threads (or kcall completions) ask kfk-bg for. */
enum {
    KG_WANT_SUB = 1 << 0,         /* recompute topics; tell the protocol when changed */
    KG_WANT_REJOIN = 1 << 1,      /* tell the protocol even when unchanged */
    KG_WANT_REVOKE_DONE = 1 << 2, /* proto->revoke_done */
    KG_WANT_LEAVE = 1 << 3,       /* proto->leave */
    KG_WANT_COMMIT = 1 << 4,      /* start the next commit */
    KG_WANT_COMMITTED = 1 << 5,   /* OffsetFetch for partitions waiting for it */
    KG_WANT_POLL_TIMEOUT = 1 << 6 /* proto->poll_timeout */
};

typedef enum kgev_type {
    KGEV_ASSIGNED = KFK_REBALANCE_ASSIGNED,
    KGEV_REVOKED = KFK_REBALANCE_REVOKED,
    KGEV_LOST = KFK_REBALANCE_LOST,
    KGEV_COMMIT, /* an async or auto commit finished */
} kgev_type;

typedef struct kgev {
    struct kgev *next;
    kgev_type type;
    kfk_err err;
    int32_t generation; /* REVOKED: the generation (or epoch) it was asked in */
    ktplist parts;
} kgev;

/* One OffsetCommit, queued; they go one at a time, in order. */
typedef struct kcommit {
    struct kcommit *next;
    kgroup *g;
    ktplist offsets; /* with leader epochs (-1: unknown) and, when done, errors */
    bool sync;       /* a thread waits for done (else: a COMMIT event) */
    bool retry_stale; /* KIP-848 commit before a revocation: resend on STALE_MEMBER_EPOCH */
    bool gated;       /* failed by the protocol's commit_gate, never sent */
    unsigned losses;  /* the core's losses when it was made */
    bool abandoned;  /* the waiter gave up: free on completion */
    bool done;
    kfk_err err;
    int64_t timeout_ms;
    int64_t deadline_ns; /* set when first sent; resends keep it */
    /* the request; member_id and generation are copied when it is sent */
    char *member_id;
    int32_t generation;
    ktimer retry_timer; /* the resend after STALE_MEMBER_EPOCH */
    kcall call;
    kp_offset_commit_request req;
    kp_offset_commit_request_topic *topics;
    kp_offset_commit_request_partition *parts;
    int *order; /* the entries of offsets in the order the request lists them */
    ktask task; /* completion hop to kfk-bg */
} kcommit;

/* One OffsetFetch for partitions assigned by the group (or committed()). */
typedef struct kofetch {
    kgroup *g;
    ktplist parts;
    bool for_assign; /* else committed(): a thread waits */
    bool done, abandoned;
    kfk_err err;
    kcall call;
    kp_offset_fetch_request req;
    kp_offset_fetch_request_topic *topics;
    int32_t *indexes;
    ktask task;
} kofetch;

typedef struct kgroup_core {
    kgroup *g;
    pthread_mutex_t lock;
    pthread_cond_t cond; /* sync commits, committed(), leave (CLOCK_MONOTONIC) */

    /* subscription (lock) */
    bool subscribed;
    ktplist sub_names; /* partition unused */
    char *regex_src;
    regex_t regex;
    bool have_regex;     /* a regex subscription: regex_src */
    bool regex_compiled; /* regex holds it (classic: the client matches) */
    bool exclude_internal;

    /* (bg) */
    ktplist topics; /* what kgroup_topics gives */
    char *topics_regex;
    ktplist owned;
    ktask task;
    ktimer poll_timer;  /* max.poll.interval.ms */
    ktimer retry_timer; /* OffsetFetch retries */
    bool retry_armed;
    bool rejoin_pending; /* left the group; the next subscription must rejoin */

    /* (lock) */
    unsigned wants;
    bool task_posted;
    char *member_id;
    int32_t generation;
    unsigned losses; /* how often the member lost its partitions */
    /* What kfk_consumer_get_group_metadata reports: the member id and the
     * generation (KIP-848: member epoch) of the last join, kept when an
     * error or a leave resets member_id and generation. A member that lost
     * its place then offers its old generation, which the coordinator
     * refuses, never the (-1, "") that it accepts unchecked (KIP-447). */
    char *md_member_id;
    int32_t md_generation;
    kgev *ev_head, *ev_tail;
    int revokes_pending; /* REVOKED events not served yet */
    bool leaving, left;
    atomic_bool poll_left; /* left for max.poll.interval.ms; the next poll rejoins */
    /* statistics (stats.c): when the member last came up or went down,
     * and the assignments the group gave it */
    int64_t state_since_ns;
    int64_t assigned_cnt;
    int64_t rebalance_at_ns; /* the last assignment event; 0: none */
    kgev_type rebalance_type;
    bool closing;
    kfk_err fatal;
    kcommit *c_head, *c_tail;
    bool c_inflight;
    int n_ofetch; /* OffsetFetch calls in flight */

    /* application threads */
    pthread_mutex_t serve_lock;
    _Atomic int64_t last_poll_ns;
    atomic_uint_fast64_t meta_seen;
    _Atomic int64_t next_auto_commit_ns; /* written under lock */
    atomic_int n_events;                 /* queued: polls look without the lock */

    /* configuration */
    bool auto_commit;
    int64_t auto_commit_ms, api_timeout_ms;
    kfk_rebalance_cb *rebalance_cb;
    void *rebalance_opaque;
    kfk_commit_cb *commit_cb;
    void *commit_opaque;
    kcpart err_part; /* carries group errors to poll as messages */
    /* The coordinator could not be asked for stable offsets (no
     * OffsetFetch v7): read_committed asks without until one answers at
     * v7+ (group_fetch.c). Any thread. */
    atomic_bool stable_unsupported;
} kgroup_core;

/* Statistics: an assignment event is queued (k->lock held). */
static inline void kgroup_stats_event(kgroup_core *k, kgev_type type)
{
    if (type == KGEV_ASSIGNED) k->assigned_cnt++;
    k->rebalance_at_ns = ktime_mono_ns();
    k->rebalance_type = type;
}

/* group.c */
void kgroup_want(kgroup *g, unsigned bits);
void kgroup_queue_event(kgroup *g, kgev *ev);
kgev *kgev_new(kgev_type type, kfk_err err, const ktp *v, size_t n);
void kgev_free(kgev *ev);

/* group_commit.c */
/* Queues a commit of list (NULL: the consumed positions) and, when sync,
 * waits for it. Application threads. */
kfk_err kgroup_commit(kgroup *g, const kfk_partition_list *list, bool sync, int64_t timeout_ms);
/* The auto commit before a revocation (sync, the consumed positions): as
 * Java's autoCommitSyncBeforeRevocation, a KIP-848 STALE_MEMBER_EPOCH is
 * retried with the member's latest epoch until the timeout. */
kfk_err kgroup_commit_before_revoke(kgroup *g, int64_t timeout_ms);
void kgroup_commit_next(kgroup *g); /* bg */
/* Waits until no commit is queued or in flight, at most timeout_ms. */
void kgroup_commit_drain(kgroup *g, int64_t timeout_ms);
void kgroup_commits_free(kgroup *g);

/* group_fetch.c */
void kgroup_fetch_committed(kgroup *g); /* bg */
/* Fills list in place (kfk_consumer_committed). */
kfk_err kgroup_committed(kgroup *g, kfk_partition_list *list, int timeout_ms);

#endif
