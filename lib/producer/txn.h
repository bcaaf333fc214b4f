/* The transaction manager of a producer with transactional.id (KIP-98,
 * KIP-447, KIP-890), after Java's TransactionManager.
 *
 * States: UNINIT -init-> READY -begin-> IN_TXN -commit-> COMMITTING ->
 * READY, or -abort-> ABORTING -> READY. A failed record or request
 * makes the transaction ABORTABLE (only abort leaves it); fencing and
 * other errors no transaction can recover from make the producer FATAL.
 *
 * Requests to the coordinators go one at a time, each a kcall, started
 * from kfk-bg (txn_requests.c): InitProducerId, AddPartitionsToTxn
 * (transaction version 1: partitions join before their first batch
 * drains; the sender holds them until then), AddOffsetsToTxn (version 1)
 * and TxnOffsetCommit, EndTxn; with version 2, DescribeTransactions after
 * EndTxn (ktxn_settle). The application's calls ask for a request
 * and wait for its outcome up to their timeout; a call again after a
 * timeout takes up the same request. Records themselves go through the
 * ordinary senders, marked transactional. */
#ifndef KFK_PRODUCER_TXN_H
#define KFK_PRODUCER_TXN_H

#include <stdbool.h>

#include "base/partition_list.h"
#include "producer/producer_int.h"

typedef enum ktxn_state {
    KTXN_UNINIT,
    KTXN_READY,
    KTXN_IN_TXN,
    KTXN_COMMITTING,
    KTXN_ABORTING,
    KTXN_ABORTABLE,
    KTXN_FATAL,
} ktxn_state;

/* Sets up p->txn for transactional.id; at producer creation. Returns
 * KFK_OK or KFK_ERR_NO_MEMORY. */
kfk_err ktxn_new(kfk_producer *p);
/* kfk_producer_close: a transaction still open is aborted (as Java's
 * close does), within timeout_ms. */
void ktxn_close(kfk_producer *p, int timeout_ms);
/* After kclient_destroy: no request runs any more. */
void ktxn_free(kfk_producer *p);

/* kfk_produce, before appending a record for pp: KFK_OK inside a
 * transaction (with transaction version 1 pp is then queued to join it),
 * else KFK_ERR_STATE. Any thread. */
kfk_err ktxn_record(kfk_producer *p, kpart *pp);
/* The sender: may pp's batches drain now (a transaction is open or
 * ending, and with version 1 pp joined it)? Lock-free. */
bool ktxn_part_ready(const kfk_producer *p, const kpart *pp);
/* A failed batch is not retried: the transaction is ending badly. */
bool ktxn_failing(const kfk_producer *p);
/* A batch of the transaction failed with err: the transaction becomes
 * abortable, or the producer fatal. Any thread, no producer lock held. */
void ktxn_batch_failed(kfk_producer *p, kfk_err err);
/* A partition's sequences need the epoch bump an idempotent producer
 * would make locally: a transactional one gets the new epoch from its
 * coordinator after the abort that the failed batch forces (KIP-360).
 * Any thread. */
void ktxn_bump_needed(kfk_producer *p);
/* The transactional id, for Produce requests. */
kslice ktxn_id(const kfk_producer *p);

/* --- between txn.c and txn_requests.c ---------------------------------------------- */

typedef enum ktxn_op {
    KTXN_OP_INIT,        /* InitProducerId */
    KTXN_OP_ADD_PARTS,   /* AddPartitionsToTxn */
    KTXN_OP_ADD_OFFSETS, /* AddOffsetsToTxn */
    KTXN_OP_OFFSETS,     /* TxnOffsetCommit */
    KTXN_OP_END,         /* EndTxn */
    KTXN_OP_N,
} ktxn_op;

/* One kind of request: wanted, in flight, or done with an outcome the
 * waiting application call has not taken yet. */
typedef struct ktxn_slot {
    kcall call;
    bool want, busy, done;
    kfk_err err;
    int64_t deadline_ms; /* monotonic; the call waiting for it gives up then */
} ktxn_slot;

/* Offsets for TxnOffsetCommit, copied from the application's call. */
typedef struct ktxn_offsets {
    char *group_id, *member_id, *instance_id;
    int32_t generation_id;
    ktplist tps; /* copied from the application's list */
} ktxn_offsets;

typedef struct ktxn {
    kfk_producer *p;
    pthread_mutex_t lock; /* protects all but state and serial */
    pthread_cond_t cond;  /* a slot finished, or the state changed */
    char *id;
    int32_t timeout_ms;      /* transaction.timeout.ms */
    _Atomic int state;       /* ktxn_state */
    kfk_err err;             /* ABORTABLE, FATAL: why */
    atomic_bool tv2;         /* the coordinator's transaction.version is 2 */
    bool bump_needed;        /* version 1: an InitProducerId bump after the abort */
    atomic_bool started;     /* the coordinator knows the open transaction */
    bool commit;             /* what KTXN_OP_END ends it with */
    _Atomic uint32_t serial; /* counts transactions; kpart.txn_added */
    kpart **pending;         /* version 1: partitions waiting to join */
    size_t n_pending, cap_pending;
    kpart **adding; /* those in the AddPartitionsToTxn in flight */
    size_t n_adding;
    uint32_t adding_serial; /* the transaction they join */
    ktxn_offsets offsets;
    ktxn_slot slot[KTXN_OP_N];
    ktask drive_task;
    atomic_bool drive_posted;
    /* The last EndTxn's markers may still be being written. Until the
     * coordinator says they are, the next transaction's partitions wait
     * to join: version 1's AddPartitionsToTxn would be refused, and with
     * version 2 a partition leader holds a Produce that comes too early;
     * both are tried again only every 20 ms. */
    atomic_bool settling;
    void *bodies; /* txn_requests.c: the request bodies */
} ktxn;

/* txn_requests.c: builds and starts the request for op (slot busy, lock
 * not held); returns KFK_ERR_NO_MEMORY when it could not. kfk-bg. */
kfk_err ktxn_send(ktxn *t, ktxn_op op);
kfk_err ktxn_requests_new(ktxn *t);
void ktxn_requests_free(ktxn *t);
/* txn_requests.c, kfk-bg: after EndTxn, sets settling and asks the
 * coordinator (DescribeTransactions) until the transaction is complete,
 * for at most 100 ms (the brokers' own longest wait); then calls
 * ktxn_settled. Lock not held. */
void ktxn_settle(ktxn *t);
/* txn.c: clears settling and lets the waiting partitions join (unless the
 * client is being destroyed). Any thread, lock not held. */
void ktxn_settled(ktxn *t, bool destroyed);
/* txn.c: a request's outcome; lock not held. Any thread. */
void ktxn_finished(ktxn *t, ktxn_op op, kfk_err err);
/* txn.c, lock held: the producer's new id and epoch from a request. */
void ktxn_set_producer(ktxn *t, int64_t producer_id, int16_t epoch);

#endif
