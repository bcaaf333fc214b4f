/* What the files of the share consumer (KIP-932) share.
 *
 *   share.c       the public calls: poll, acknowledge, commit, close
 *   membership.c  the share group over ShareGroupHeartbeat, on kfk-bg
 *   node.c        one leader's share session: ShareFetch (with the
 *                 acknowledgements piggy-backed) and ShareAcknowledge,
 *                 as kcalls completed on the I/O threads
 *   acks.c        acknowledgements per partition and their outcomes
 *   records.c     a ShareFetch partition's records, decoded with the
 *                 consumer's chunk decoder and cut to the acquired ranges
 *
 * Threads and locks: sc->lock protects everything below but what is
 * marked otherwise; the application's calls, kfk-bg (membership) and the
 * I/O threads (completions) each take it briefly. sc->cond is signalled
 * when a request completes, records are queued, or the consumer is woken.
 * No user callback runs with the lock held: outcomes queue as kshare_done
 * and the application's thread serves them. */
#ifndef KFK_SHARE_SHARE_INT_H
#define KFK_SHARE_SHARE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/container_of.h"
#include "base/time.h"
#include "base/wakefd.h"
#include "client/client.h"
#include "consumer/consumer_int.h"
#include "kfk.h"
#include "proto/arena.h"
#include "proto/gen/api_client.h"
#include "proto/gen/share_acknowledge.h"
#include "proto/gen/share_fetch.h"
#include "proto/gen/share_group_heartbeat.h"

/* The acknowledge type of an acquired offset with no record for the
 * application (a control record, a gap): it is done with at once. */
#define KSHARE_ACK_GAP 0

typedef struct kshare_ack {
    int64_t offset;
    int8_t type;
} kshare_ack;

/* A list of acknowledgements, ascending by offset once sorted. */
typedef struct kshare_acks {
    kshare_ack *v;
    int n, cap;
    int renews; /* how many are RENEW (KIP-1222) */
} kshare_acks;

/* One share-partition the member was assigned at some time. Never freed
 * before the consumer: chunks point at cp. */
typedef struct kshare_part {
    kcpart cp;        /* first: the chunk decoder's view (topic, partition) */
    kuuid topic_id;   /* as the assignment names it */
    bool assigned;    /* in the current assignment */
    int32_t node;     /* the broker whose session last gave records; -1: none */
    kshare_acks acks; /* made and not sent yet */
} kshare_part;

/* An outcome for the acknowledgement callback, queued for the
 * application's thread. */
typedef struct kshare_done {
    struct kshare_done *next;
    kshare_part *part;
    kfk_err err;
    int64_t *offsets;
    size_t n;
} kshare_done;

/* Acknowledgements of one partition in a request in flight. */
typedef struct kshare_sent {
    kshare_part *part;
    kshare_acks acks;
} kshare_sent;

/* One broker's share session and the one request it may have in flight. */
typedef struct kshare_node {
    struct kfk_share_consumer *sc;
    int32_t broker_id;
    int32_t epoch;      /* of the next request; 0: the next opens a session */
    kshare_part **sess; /* the partitions the session holds */
    int n_sess, cap_sess;
    bool busy;    /* a request in flight */
    bool closed;  /* closed with epoch -1: sends nothing more */
    kfk_err last; /* the last request's outcome */
    int16_t version;          /* of the last ShareFetch answered; 0: none yet */
    int64_t backoff_until_ns; /* after a failed request, no ShareFetch before this */
    kcall call;
    karena arena; /* the request's arrays */
    kp_share_fetch_request fetch;
    kp_share_acknowledge_request ack;
    kshare_sent *sent; /* acknowledgements the request in flight carries */
    int n_sent, cap_sent;
    kshare_part **adding; /* partitions the request in flight adds to the session */
    int n_adding, cap_adding;
    kshare_part **forgetting; /* ... and removes */
    int n_forgetting, cap_forgetting;
} kshare_node;

/* A record a poll handed out, until its acknowledgement goes. */
typedef struct kshare_out {
    kshare_part *part;
    int64_t offset;
    int8_t type; /* -1: not acknowledged yet */
} kshare_out;

typedef enum kshare_state {
    KSHARE_IDLE,    /* not subscribed */
    KSHARE_JOINING, /* epoch 0 sent or to send */
    KSHARE_MEMBER,
    KSHARE_LEAVING, /* epoch -1 sent */
    KSHARE_LEFT,    /* closed */
} kshare_state;

struct kfk_share_consumer {
    kclient *client;
    kloop *bg;
    pthread_mutex_t lock;
    pthread_cond_t cond;

    /* configuration, read once */
    char *group_id;
    char *rack; /* client.rack; NULL: none */
    bool explicit_mode;
    int32_t max_wait_ms, min_bytes, max_bytes, max_records;
    bool check_crcs;
    int64_t request_timeout_ms, retry_backoff_ms;
    kfk_share_ack_cb *ack_cb;
    void *ack_opaque;

    /* The acquisition lock the brokers last reported (ms; -1: none yet):
     * written under lock, read by any thread. */
    atomic_int lock_timeout_ms;

    /* membership (membership.c) */
    char member_id[23];
    kshare_state state;
    int32_t epoch;
    int32_t interval_ms;
    char **topics; /* the subscription */
    size_t n_topics;
    kfk_err group_err; /* a fatal group error for poll; KFK_OK: none */
    char *group_err_msg;
    bool hb_inflight, hb_again, hb_task_posted;
    bool hb_leave; /* the heartbeat in flight is the leave */
    int hb_failures;
    kcall hb_call;
    karena hb_arena;
    kp_share_group_heartbeat_request hb_req;
    ktask hb_task;   /* subscribe and close ask kfk-bg to heartbeat now */
    ktimer hb_timer; /* kfk-bg: the next heartbeat */
    ktask ans_task;  /* an answer, handled on kfk-bg */
    kfk_err ans_err;
    kp_share_group_heartbeat_response ans;
    karena ans_arena; /* the answer's copy */
    bool ans_has_assignment;

    /* partitions and sessions */
    kshare_part **parts;
    int n_parts, cap_parts;
    kshare_node **nodes;
    int n_nodes, cap_nodes;

    /* records for the application */
    kchunk *head, *tail; /* queued, in order */
    kshare_out *out;     /* handed out since the last acknowledgements went */
    int n_out, cap_out;
    kshare_done *done_head, *done_tail;

    bool closed;
    bool woken;
    kwakefd wake;
};

/* --- membership.c --------------------------------------------------------- */
/* Heartbeats now from kfk-bg (after subscribe or for close). Lock held. */
void kshare_hb_kick(kfk_share_consumer *sc);
/* Sets up and frees the membership's timers and buffers. */
void kshare_membership_init(kfk_share_consumer *sc);
void kshare_membership_free(kfk_share_consumer *sc);
/* The partition for (topic id, partition), made when new (lock held);
 * NULL when out of memory. */
kshare_part *kshare_part_get(kfk_share_consumer *sc, const kuuid *id, int32_t partition);
/* Names the assigned partitions the metadata now knows (lock held). */
void kshare_resolve(kfk_share_consumer *sc);

/* --- node.c ---------------------------------------------------------------- */
/* Starts a ShareFetch on every leader of assigned partitions that has
 * none in flight and is not backing off after a failure (lock held).
 * Returns when the first backoff ends (ns), or INT64_MAX. */
int64_t kshare_fetch_all(kfk_share_consumer *sc);
/* Sends the pending acknowledgements in ShareAcknowledge to each leader
 * with none in flight; with close, closes every session (epoch -1) even
 * without acknowledgements. Returns how many requests went (lock held). */
int kshare_ack_all(kfk_share_consumer *sc, bool close);
/* Whether any node has a request in flight (lock held). */
bool kshare_busy(const kfk_share_consumer *sc);
/* Whether any partition has acknowledgements not sent yet (lock held). */
bool kshare_acks_pending(const kfk_share_consumer *sc);
/* Sends pending renewals (KIP-1222) in ShareAcknowledge to each leader
 * with none in flight, ahead of any fetch (lock held). */
void kshare_renew_all(kfk_share_consumer *sc);
/* The ShareFetch version broker_id last answered with; 0: none yet. */
int16_t kshare_node_version(const kfk_share_consumer *sc, int32_t broker_id);
void kshare_node_free(kshare_node *n);

/* --- acks.c ----------------------------------------------------------------- */
int kshare_acks_add(kshare_acks *a, int64_t offset, int8_t type);
/* As kshare_acks_add, replacing a pending RENEW of the same offset (a
 * final type made before the renewal went supersedes it). */
int kshare_acks_set(kshare_acks *a, int64_t offset, int8_t type);
void kshare_acks_sort(kshare_acks *a);
void kshare_acks_free(kshare_acks *a);
/* Batches a (sorted) as the request's acknowledgement batches, from
 * arena; *n gets the count. NULL with *n 0 when out of memory. */
kp_share_fetch_request_acknowledgement_batch *kshare_acks_batches(const kshare_acks *a,
                                                                  karena *arena, int32_t *n);
/* Queues an outcome for the callback (takes a's offsets; a is emptied). */
void kshare_done_queue(kfk_share_consumer *sc, kshare_part *p, kshare_acks *a, kfk_err err);
/* Runs the queued outcomes' callbacks; lock held on entry and exit,
 * dropped around each callback. Returns the first error among them. */
kfk_err kshare_done_serve(kfk_share_consumer *sc);

/* --- records.c --------------------------------------------------------------- */
/* Queues the records of pd acquired for this member, and a GAP
 * acknowledgement for each acquired offset without one (lock held). */
kfk_err kshare_records_take(kfk_share_consumer *sc, kshare_part *p,
                            const kp_share_fetch_response_partition_data *pd, krbuf *frame);

#endif
