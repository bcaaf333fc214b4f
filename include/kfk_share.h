/* kfk_share.h: the share consumer (KIP-932, "queues for Kafka"), part of
 * the public API that kfk.h includes.
 *
 * A share consumer joins a share group (ShareGroupHeartbeat) and reads
 * records that the brokers hand to it under an acquisition lock
 * (ShareFetch); several members may read the same partition, and each
 * record goes to one of them at a time. The member acknowledges each
 * record: ACCEPT (done with it), RELEASE (deliver it again, to anyone)
 * or REJECT (never deliver it again); RENEW (KIP-1222) keeps it locked
 * longer. A record whose lock passes unacknowledged is delivered again
 * too; a record's delivery count says how often the brokers have handed
 * it out.
 *
 * share.acknowledgement.mode picks how records are acknowledged:
 *   implicit (the default): the next poll, commit or close accepts every
 *     record the previous polls handed out that the application did not
 *     acknowledge itself;
 *   explicit: the application acknowledges every record it is handed with
 *     kfk_share_consumer_acknowledge before it polls again; a poll with
 *     records still unacknowledged fails (KFK_ERR_STATE).
 * Acknowledgements travel with the next ShareFetch to the record's
 * leader, or at once with kfk_share_consumer_commit_sync/commit_async
 * (ShareAcknowledge). Their outcome goes to the callback set with
 * kfk_conf_set_share_ack_cb.
 *
 * Threads: one application thread at a time may poll, acknowledge and
 * commit (as Java's KafkaShareConsumer is single-threaded);
 * kfk_share_consumer_wakeup and kfk_share_consumer_wakeup_fd may be
 * called from any thread. Callbacks run on the thread that polls,
 * commits or closes, never with a kfk lock held. */
#ifndef KFK_SHARE_H
#define KFK_SHARE_H

#include <stddef.h>
#include <stdint.h>

#include "kfk.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kfk_share_consumer kfk_share_consumer;

/* How a record is acknowledged (the wire values of KIP-932). */
typedef enum kfk_share_ack_type {
    KFK_SHARE_ACK_ACCEPT = 1,  /* processed: never delivered again */
    KFK_SHARE_ACK_RELEASE = 2, /* deliver it again (its delivery count grows) */
    KFK_SHARE_ACK_REJECT = 3,  /* unprocessable: never delivered again */
    KFK_SHARE_ACK_RENEW = 4,   /* keep the lock longer (KIP-1222): see acknowledge */
} kfk_share_ack_type;

/* The outcome of acknowledgements for one partition: the offsets
 * acknowledged (offsets[0..n), ascending; borrowed, valid only during the
 * call) and their error (KFK_OK; or the broker's, e.g.
 * KFK_ERR_INVALID_RECORD_STATE when a record's lock had passed, or
 * KFK_ERR_SHARE_SESSION_NOT_FOUND when the share session was lost, or a
 * client error such as KFK_ERR_TIMED_OUT). Runs on the application's
 * thread inside kfk_share_consumer_poll, commit_sync, commit_async or
 * close, once per partition and outcome. Java's
 * AcknowledgementCommitCallback. */
typedef void(kfk_share_ack_cb)(void *opaque, kfk_share_consumer *sc, const char *topic,
                               int32_t partition, const int64_t *offsets, size_t n, kfk_err err);

/* Sets the acknowledgement callback (NULL: none). opaque is passed back
 * as is. */
KFK_API void kfk_conf_set_share_ack_cb(kfk_conf *conf, kfk_share_ack_cb *cb, void *opaque);

/* Creates a share consumer from conf (which it takes, even on failure).
 * conf needs bootstrap.servers and group.id (the share group). Consumer
 * properties that apply: fetch.max.wait.ms, fetch.min.bytes,
 * fetch.max.bytes, max.poll.records (the most records one ShareFetch
 * acquires and one poll_batch hands out), check.crcs, client.rack,
 * share.acknowledgement.mode, share_ack_cb.
 * Refused when set: the consumer-group properties a share group has no
 * use for (group.instance.id, group.protocol, group.remote.assignor,
 * partition.assignment.strategy,
 * session.timeout.ms, heartbeat.interval.ms, enable.auto.commit,
 * auto.commit.interval.ms, auto.offset.reset, isolation.level,
 * rebalance_cb, commit_cb; share.auto.offset.reset is a group config on
 * the broker), and what the share consumer does not serve yet
 * (statistics.interval.ms, stats_cb, max.poll.interval.ms,
 * fetch.queue.max.bytes, max.partition.fetch.bytes, interceptors).
 * Returns NULL with a
 * message in errstr (may be NULL when errlen is 0) on a bad
 * configuration or when out of memory. Never blocks for I/O. Any
 * thread. */
KFK_API kfk_share_consumer *kfk_share_consumer_new(kfk_conf *conf, char *errstr, size_t errlen);

/* The reason for the calling thread's last failed call on sc ("" when
 * none). Valid until that thread's next call on sc. */
KFK_API const char *kfk_share_consumer_last_error(const kfk_share_consumer *sc);

/* Subscribes to topics[0..n) (copied), replacing the subscription; n 0
 * is an unsubscribe. Joining happens in the background. Returns KFK_OK,
 * KFK_ERR_INVALID_ARG (a NULL or empty name), KFK_ERR_STATE (closed) or
 * KFK_ERR_NO_MEMORY. Never blocks for I/O. */
KFK_API kfk_err kfk_share_consumer_subscribe(kfk_share_consumer *sc, const char *const *topics,
                                             size_t n);
KFK_API kfk_err kfk_share_consumer_unsubscribe(kfk_share_consumer *sc);

/* The next record, or NULL when none came within timeout_ms (0: do not
 * wait; negative: wait until one comes), after a wakeup, once closed, or
 * on an error: then kfk_share_consumer_last_error says why and
 * kfk_share_consumer_poll_error returns the code (KFK_ERR_STATE in
 * explicit mode when records handed out are not acknowledged yet;
 * KFK_ERR_UNSUPPORTED when the cluster serves no share groups; the
 * group's error, such as KFK_ERR_GROUP_AUTHORIZATION_FAILED). First it
 * acknowledges what earlier polls handed out (implicit mode: accepting
 * the unacknowledged). The message is the caller's: read it with the
 * kfk_message_* accessors (kfk_message_delivery_count gives how often it
 * was delivered), and release it with kfk_message_release (also after
 * the consumer is destroyed); releasing does not acknowledge it. Blocks
 * up to timeout_ms. */
KFK_API kfk_message *kfk_share_consumer_poll(kfk_share_consumer *sc, int timeout_ms);

/* Up to max records into msgs[] (the caller's array), and at most
 * max.poll.records, waiting at most timeout_ms for the first (as
 * kfk_share_consumer_poll) and not at all for the rest: the records
 * already fetched, in offset order within each partition. Returns how
 * many; 0 on a timeout, after a wakeup, once closed, or on an error, as
 * kfk_share_consumer_poll returns NULL: kfk_share_consumer_poll_error
 * and kfk_share_consumer_last_error say why (KFK_ERR_INVALID_ARG for a
 * NULL msgs or a max of 0). First it acknowledges what earlier polls
 * handed out, as kfk_share_consumer_poll does (explicit mode:
 * KFK_ERR_STATE while any is unacknowledged). The caller owns each
 * message and releases each with kfk_message_release; the records are
 * acknowledged one by one, as kfk_share_consumer_poll's. Blocks up to
 * timeout_ms. */
KFK_API size_t kfk_share_consumer_poll_batch(kfk_share_consumer *sc, kfk_message **msgs, size_t max,
                                             int timeout_ms);

/* The error of the calling thread's last poll that returned NULL (or
 * poll_batch that returned 0): KFK_OK for a timeout or a wakeup. */
KFK_API kfk_err kfk_share_consumer_poll_error(const kfk_share_consumer *sc);

/* Acknowledges m (not yet released: acknowledge, then release), a
 * record the last poll calls handed out (since the
 * previous acknowledgements went: implicit mode's next poll, or a
 * commit), as type; a later call for the same record before then
 * replaces the type. The acknowledgement goes with the next ShareFetch
 * or commit.
 * KFK_SHARE_ACK_RENEW (KIP-1222) restarts the record's acquisition lock
 * instead: the record stays this member's, its delivery count does not
 * change, and it stays handed out, unacknowledged again once the renewal
 * went (the next poll sends it at once, in ShareAcknowledge, unless a
 * request to that broker is in flight; commit_sync sends it and waits).
 * From then on it is as a record that poll (or commit) handed out: it
 * needs its final type (or another renewal) before the poll after that,
 * which explicit mode refuses without one and implicit mode makes an
 * ACCEPT. Close gives up renewals (explicit mode: the record goes
 * back). RENEW needs brokers that serve ShareFetch and ShareAcknowledge
 * v2 (Kafka 4.2 or later).
 * Returns KFK_OK; KFK_ERR_INVALID_ARG for a message not from this
 * consumer or an unknown type; KFK_ERR_STATE when m's acknowledgement
 * already went or the consumer is closed; KFK_ERR_UNSUPPORTED for
 * KFK_SHARE_ACK_RENEW when the broker that handed m out answered
 * ShareFetch below v2 (last_error names the version). Never blocks. */
KFK_API kfk_err kfk_share_consumer_acknowledge(kfk_share_consumer *sc, const kfk_message *m,
                                               kfk_share_ack_type type);

/* Sends the acknowledgements made so far (implicit mode: accepting the
 * records handed out and not acknowledged yet) in ShareAcknowledge
 * requests to their leaders, and waits up to timeout_ms for the answers,
 * running the acknowledgement callback for each. Returns KFK_OK, the
 * first error an acknowledgement got, KFK_ERR_TIMED_OUT, or
 * KFK_ERR_STATE when closed. */
KFK_API kfk_err kfk_share_consumer_commit_sync(kfk_share_consumer *sc, int timeout_ms);

/* As commit_sync, without waiting: the outcome goes to the callback from
 * a later poll, commit or close. Returns KFK_OK, or KFK_ERR_STATE when
 * closed. Never blocks for I/O. */
KFK_API kfk_err kfk_share_consumer_commit_async(kfk_share_consumer *sc);

/* How long, in ms, a record the brokers hand out stays this member's
 * (its acquisition lock, the group's share.record.lock.duration.ms) as
 * the last ShareFetch answer (or ShareAcknowledge v2) said; -1 before
 * any said. A record not acknowledged (or renewed) within it goes back
 * to the group. Java's acquisitionLockTimeoutMs(). Any thread; never
 * blocks. */
KFK_API int kfk_share_consumer_acquisition_lock_timeout_ms(const kfk_share_consumer *sc);

/* Makes a poll blocked in another thread (or the next one) return NULL
 * with KFK_OK (Java's wakeup). Any thread; never blocks. */
KFK_API void kfk_share_consumer_wakeup(kfk_share_consumer *sc);

/* A descriptor readable while a poll has records or callbacks to serve,
 * or the consumer was woken or closed, as kfk_consumer_wakeup_fd; kfk's:
 * never read, write or close it. -1 for NULL or when none can be had.
 * Any thread; never blocks. */
KFK_API int kfk_share_consumer_wakeup_fd(kfk_share_consumer *sc);

/* Acknowledges what is pending (implicit mode: accepting the records
 * handed out), closes the share sessions (ShareAcknowledge with epoch -1,
 * which releases the records fetched and not handed out) and leaves the
 * group (ShareGroupHeartbeat with epoch -1), waiting for each answer
 * within timeout_ms in all (negative: KFK_CONSUMER_CLOSE_TIMEOUT_MS);
 * runs the acknowledgement callbacks. Polls return NULL from then on.
 * Returns KFK_OK (also when already closed), KFK_ERR_TIMED_OUT (closed
 * all the same) or KFK_ERR_INVALID_ARG for NULL. */
KFK_API kfk_err kfk_share_consumer_close(kfk_share_consumer *sc, int timeout_ms);

/* Closes sc if not closed yet, stops its threads and frees it. Messages
 * not yet released stay valid. NULL is a no-op. Call once, with no other
 * call on sc running. */
KFK_API void kfk_share_consumer_destroy(kfk_share_consumer *sc);

#ifdef __cplusplus
}
#endif

#endif
