/* Partition requests sent to each partition's leader: ListOffsets and
 * DeleteRecords, for the admin and the consumer alike.
 *
 * A run takes an array of ktp entries and sends, in rounds, one request
 * per leader for the entries still open, all leaders at once, and waits
 * for every answer. Leaders come from the client's metadata cache; when
 * it has none for an entry, or an answer said the cache is stale
 * (NOT_LEADER_OR_FOLLOWER, UNKNOWN_LEADER_EPOCH, LEADER_NOT_AVAILABLE,
 * a lost connection), the next round first asks for fresh metadata for
 * the open entries' topics, as Java's admin client does. An entry whose
 * topic or partition the fresh metadata does not have fails with
 * UNKNOWN_TOPIC_OR_PARTITION on its own. A partition named twice goes
 * into the next round's request the second time (brokers refuse a
 * partition repeated in one request). */
#ifndef KFK_CLIENT_LEADERS_H
#define KFK_CLIENT_LEADERS_H

#include "base/partition_list.h"
#include "client/client.h"
#include "proto/arena.h"

typedef struct kleader_group kleader_group;
typedef struct kleader_run kleader_run;

typedef struct kleader_ops {
    const kproto_client *api;
    /* The lowest version that can serve entry e (its spec may need a
     * newer one than api's lowest); NULL: api's lowest for all. */
    int16_t (*min_version)(const kleader_run *run, const ktp *e);
    /* Builds g's request body for its entries in g->arena; NULL when out
     * of memory. Application thread. */
    void *(*build)(kleader_run *run, kleader_group *g);
    /* Takes a response in: sets err and the outputs of each of g's
     * entries it answers (those it leaves out stay KFK_ERR_MALFORMED).
     * I/O thread; g's entries are its own meanwhile. */
    void (*take)(kleader_run *run, kleader_group *g, const void *resp, int16_t version);
} kleader_ops;

/* One request: the open entries that share a leader. */
struct kleader_group {
    kcall call;
    karena arena;
    kleader_run *run;
    int32_t leader;
    size_t *idx; /* indexes into run->v */
    size_t n;
    kfk_err err; /* the whole request's */
};

struct kleader_run {
    kclient *client;
    const kleader_ops *ops;
    void *opaque; /* the ops' */
    ktp *v;
    size_t n;
    int64_t deadline_ns;
    /* private */
    bool *done;
    bool stale; /* the next round refreshes metadata first */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    size_t waiting; /* requests of this round not yet answered */
};

/* Runs ops for the n entries of v until each has a final result or the
 * deadline passed. Each entry's err ends as KFK_OK, its own error (an
 * error that stayed retriable until the deadline, such as
 * NOT_LEADER_OR_FOLLOWER; KFK_ERR_TIMED_OUT when nothing was answered
 * for it), or KFK_ERR_UNSUPPORTED_VERSION when its leader is too old for
 * the version it needs. Returns KFK_OK when the run could go on to its
 * end, else KFK_ERR_NO_MEMORY or KFK_ERR_DESTROYED (entries then keep
 * what was answered so far). Application threads only: it blocks. */
kfk_err kleader_run_all(kleader_run *run);

/* --- ListOffsets (list_offsets.c) ---------------------------------------------- */

/* The ListOffsets version a spec needs: 1 for timestamps >= 0,
 * KFK_OFFSET_END and _BEGINNING (2 with read_committed), 7 for
 * KFK_OFFSET_MAX_TIMESTAMP, 8 for KFK_OFFSET_EARLIEST_LOCAL, 9 for
 * KFK_OFFSET_LATEST_TIERED; -1 for a spec that is none of these. */
int16_t klist_offsets_version_for(int64_t spec, bool read_committed);

/* Looks up the offsets of the n entries of v (each entry's offset in is
 * its spec; out are offset, leader_epoch, timestamp and err) as
 * kleader_run_all does, with isolation level 1 when read_committed. A
 * timestamp with no record at or after it gives offset -1, as Kafka
 * does. Returns as kleader_run_all. Application threads only. */
kfk_err kclient_list_offsets(kclient *c, ktp *v, size_t n, bool read_committed,
                             int64_t deadline_ns);

#endif
