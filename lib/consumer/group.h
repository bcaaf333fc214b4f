/* Consumer group membership: the part both group protocols share, and the
 * seam between it and each protocol.
 *
 * kgroup (group.c and its neighbours) is what a subscribing consumer adds
 * to the manual-assignment consumer: the subscription (names or a regex),
 * the assignment as the group sees it, the rebalance and commit callbacks
 * handed to the application through poll, offset commits and fetches
 * (OffsetCommit/OffsetFetch routed to the group coordinator), auto commit,
 * max.poll.interval.ms, and leaving on close.
 *
 * A protocol (kgroup_proto) decides the assignment:
 *   classic.c  JoinGroup / SyncGroup / Heartbeat / LeaveGroup, the
 *              assignors of assignor.h, eager or cooperative (KIP-429),
 *              static membership (KIP-345);
 *   kip848.c   ConsumerGroupHeartbeat (group.protocol=consumer): the
 *              broker assigns, the member reconciles and acknowledges.
 * It tells the core what changes with kgroup_revoke / kgroup_assign /
 * kgroup_lost and its identity with kgroup_set_member; the core tells it
 * when the application has let go of revoked partitions (revoke_done) and
 * what the subscription is now (subscription_changed).
 *
 * Threads: the protocol's state machine and the core's group state run on
 * kfk-bg (kclient_bg_loop): kcall completions, which arrive on I/O
 * threads, post a task there before touching group state. The
 * application's threads reach the group through the core's lock
 * (subscription, event queue, commit queue; group_int.h) and by asking
 * kfk-bg for work (kgroup_want); callbacks run only on the thread calling
 * kfk_consumer_poll / poll_batch / unsubscribe / close, never with a kfk
 * lock held.
 *
 * Rules a protocol follows: kgroup_set_member before the first commit of a
 * generation; a rejoin that gives partitions up waits for revoke_done;
 * requests in flight keep their own copies of what they point at (a
 * leave or rejoin may replace the member id meanwhile). */
#ifndef KFK_CONSUMER_GROUP_H
#define KFK_CONSUMER_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/partition_list.h"
#include "kfk.h"

typedef struct kgroup kgroup;

/* What a protocol implements. Every entry runs on kfk-bg. */
typedef struct kgroup_proto {
    const char *name; /* "classic", "consumer" */
    /* Allocates the protocol's state (g->proto_state); -1: out of memory. */
    int (*init)(kgroup *g);
    /* The subscription, or the set of topics it matches, changed; or the
     * member must (re)join after an unsubscribe/subscribe. */
    void (*subscription_changed)(kgroup *g);
    /* The application has run the callbacks (and auto commit) for the
     * revocation the protocol asked for with kgroup_revoke: it may now
     * rejoin (eager), or acknowledge (cooperative, KIP-848). */
    void (*revoke_done)(kgroup *g);
    /* Leave the group: LeaveGroup (classic; static members do not leave),
     * heartbeat with epoch -1 (-2 static) for KIP-848; then call
     * kgroup_left(g), also when that fails or times out. */
    void (*leave)(kgroup *g);
    /* The application has not polled for max.poll.interval.ms: leave so
     * the group can move on (poll rejoins). */
    void (*poll_timeout)(kgroup *g);
    /* Frees g->proto_state; the client's threads are gone. */
    void (*destroy)(kgroup *g);
    /* An OffsetCommit sent with generation (or member epoch) failed with
     * err, an error of the whole request: the protocol reacts (classic:
     * rejoin at once, as Java's OffsetCommitResponseHandler) and returns
     * the error the application sees. NULL: err as it is. */
    kfk_err (*commit_failed)(kgroup *g, kfk_err err, int32_t generation);
    /* Before a commit goes out while subscribed: KFK_OK to send it, or the
     * error to fail it with, unsent (classic: no generation of its own,
     * as Java's sendOffsetCommitRequest). NULL: always send. */
    kfk_err (*commit_gate)(kgroup *g);
    /* What a commit made before the member lost its partitions (fenced,
     * its session gone) fails with, unsent, if its turn comes after: what
     * the coordinator answers the generation it was made in, as Java's
     * consumer, which sends at once, gets. Sent, it would carry the
     * generation of the member rejoined, and could move back an offset
     * that another member has committed since. */
    kfk_err stale_commit_err;
} kgroup_proto;

/* What a protocol reads of the group (set at creation, then constant,
 * except where marked). The core's own state lives behind core. */
struct kgroup {
    kfk_consumer *consumer;
    struct kclient *client;
    const kgroup_proto *proto;
    void *proto_state;
    char *group_id;
    char *instance_id;     /* group.instance.id; NULL: a dynamic member */
    char *rack;            /* client.rack; NULL: none */
    char *remote_assignor; /* group.remote.assignor; NULL: the broker's choice */
    char **strategies;     /* partition.assignment.strategy, in order */
    int n_strategies;
    int32_t session_timeout_ms, heartbeat_interval_ms, max_poll_interval_ms;
    int32_t request_timeout_ms, retry_backoff_ms, retry_backoff_max_ms;
    struct kgroup_core *core;
};

extern const kgroup_proto kgroup_classic;
extern const kgroup_proto kgroup_consumer; /* KIP-848 */

/* --- what the protocol calls (on kfk-bg) ------------------------------------------ */

/* The member id and the generation (classic) or member epoch (KIP-848)
 * that commits carry from now on. */
void kgroup_set_member(kgroup *g, const char *member_id, int32_t generation);

/* Partitions this member must give up in an orderly way: they stop being
 * fetched, auto commit commits what was consumed, the REVOKED callback
 * runs in the next poll, and then proto->revoke_done runs on kfk-bg.
 * An empty list makes revoke_done run at once, from a task posted now
 * (never from inside kgroup_revoke). */
void kgroup_revoke(kgroup *g, const ktplist *parts);

/* Partitions gone without a chance to commit (session lost, fenced): they
 * are dropped at once and the LOST callback runs in the next poll. */
void kgroup_lost(kgroup *g, const ktplist *parts);

/* Partitions added to this member: the core fetches their committed
 * offsets, adds them to the fetchers and runs ASSIGNED in the next poll.
 * Called once per completed rebalance (classic) or reconciled target
 * (KIP-848), with an empty list when nothing was added: ASSIGNED runs for
 * it too, as Java calls onPartitionsAssigned. */
void kgroup_assign(kgroup *g, const ktplist *parts);

/* The partitions this member owns now (after the last revoke/lost/assign). */
const ktplist *kgroup_owned(const kgroup *g);

/* The topic names to subscribe with (the names given, or the topics the
 * regex matches in the metadata), sorted; and the regex itself, or NULL
 * (KIP-848 sends it to the broker instead). */
const ktplist *kgroup_topics(const kgroup *g); /* partition fields unused */
const char *kgroup_regex(const kgroup *g);

/* The protocol's leave finished. */
void kgroup_left(kgroup *g);

/* A fatal group error (FENCED_INSTANCE_ID, GROUP_AUTHORIZATION_FAILED, an
 * unsupported protocol...): reported to the application through poll as
 * an error message and through error_cb. */
void kgroup_fatal(kgroup *g, kfk_err err, const char *why);

/* --- what the consumer calls (consumer.c) ------------------------------------------- */

/* Creates c's group state when group.id is set (*out NULL otherwise) and
 * chooses its protocol. Returns 0, or -1 with a message in errstr. */
int kgroup_create(kfk_consumer *c, kgroup **out, char *errstr, size_t errlen);
/* True while a subscription is in force (assign must refuse). NULL: false. */
bool kgroup_subscribed(kgroup *g);
/* From every poll (application thread, no kfk lock held): runs queued
 * rebalance and commit callbacks, auto commits when due, and notes the
 * poll for max.poll.interval.ms. NULL: nothing. */
void kgroup_poll(kgroup *g);
/* From close, before the fetchers stop: auto commit, REVOKED callback,
 * leave the group, wait for commits in flight: each for at most the API
 * timeout, all within timeout_ms (the callback's own time included). KFK_OK, or KFK_ERR_TIMED_OUT when
 * the leave or a commit was still pending at the end. NULL: KFK_OK. */
kfk_err kgroup_close(kgroup *g, int64_t timeout_ms);
/* After the client is destroyed: frees g. NULL: nothing. */
void kgroup_destroy(kgroup *g);

#endif
