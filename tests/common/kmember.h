/* A consumer-group member for the tests that drive kfk_consumer through
 * the public API: its rebalance and commit callbacks keep score (which
 * partitions it owns, how often a callback named each, what the last
 * commit reported, the first group error poll handed out), the test or a
 * thread of the member's own polls it, and KMEMBER_UNTIL polls several
 * members until a condition holds. Against the in-process mock, mockd and
 * real Kafka alike. Every helper ck_asserts on failure. */
#ifndef KFK_TESTS_KMEMBER_H
#define KFK_TESTS_KMEMBER_H

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/time.h"
#include "kfk.h"

#define KMEMBER_MAX_TOPICS 8
#define KMEMBER_MAX_PARTITIONS 32 /* per topic */

/* What happened to one partition. */
typedef struct kmember_part {
    bool owned;
    int assigned, revoked, lost; /* how often a callback of each named it */
    int64_t first_offset;        /* of the first record polled from it; -1: none */
    int64_t next_offset;         /* the last record polled + 1; 0: none */
} kmember_part;

/* What a member's callbacks and polls saw. */
typedef struct kmember_state {
    char topics[KMEMBER_MAX_TOPICS][160]; /* as first named */
    int n_topics;
    kmember_part parts[KMEMBER_MAX_TOPICS][KMEMBER_MAX_PARTITIONS];
    int owned;                                     /* partitions owned now */
    int assigned, assigned_empty, revoked, lost;   /* callbacks of each event */
    int parts_assigned, parts_revoked, parts_lost; /* the partitions they named */
    int consumed;                                  /* records polled */
    kfk_err group_err; /* the first error poll handed out with no partition */
    int commits, commits_failed, commits_empty; /* commit callbacks */
    kfk_err commit_err;                         /* the last one's */
    size_t commit_entries;                      /* its list's length */
    int64_t commit_offset;                      /* its first entry's offset */
    kfk_err commit_entry_err;                   /* and that entry's own error */
    char bad[192]; /* the first thing the callbacks saw go wrong; "" if none */
} kmember_state;

typedef struct kmember kmember;

/* Called by the rebalance callback before the score is kept, without the
 * member's lock (it may commit, say). */
typedef void (*kmember_rebalance_fn)(kmember *m, kfk_rebalance_event ev,
                                     const kfk_partition_list *parts);
/* Called for each record polled without an error. */
typedef void (*kmember_message_fn)(kmember *m, const kfk_message *msg);

/* How to start a member; every field may be left zero. */
typedef struct kmember_opts {
    const char *topic;   /* subscribes to this topic */
    const char *pattern; /* or to this regex */
    bool thread;         /* a thread of the member's own polls it */
    bool fail_on_error;  /* any message with an error is a failure */
    kmember_rebalance_fn on_rebalance;
    kmember_message_fn on_message;
    void *opaque; /* the test's, for the hooks */
} kmember_opts;

struct kmember {
    kfk_consumer *c;
    kmember_opts o;
    pthread_mutex_t lock; /* protects st */
    /* Read it directly when no poll thread runs; else kmember_snapshot. */
    kmember_state st;
    pthread_t thread;
    bool threaded;
    atomic_bool stop, paused;
};

/* A member's configuration (the caller owns it): bootstrap.servers
 * (NULL: KFK_TEST_BOOTSTRAP), log.level=debug when KFK_TEST_DEBUG is set,
 * group.id, then the {name, value} pairs of kv and of more, each list
 * ended by {NULL} (either may be NULL); a pair whose value is NULL is
 * left out. */
kfk_conf *kmember_conf(const char *bootstrap, const char *group, const char *const (*kv)[2],
                       const char *const (*more)[2]);

/* Makes a consumer of conf (taken) with the member's callbacks,
 * subscribes as o says (o may be NULL) and starts its poll thread if
 * asked. */
void kmember_start(kmember *m, kfk_conf *conf, const kmember_opts *o);

/* Polls m once for up to timeout_ms (no poll thread may run): keeps score
 * of what it returns and passes each record to on_message; fails the test
 * on what the callbacks saw go wrong. Whether a message came. */
bool kmember_poll(kmember *m, int timeout_ms);

/* The poll thread stops polling (the application is busy) or goes on. */
void kmember_pause(kmember *m, bool paused);

/* Stops the poll thread and closes the consumer (leaving the group);
 * fails the test unless close succeeds. */
void kmember_close(kmember *m);

/* Stops the poll thread, destroys the consumer (which closes it if not
 * yet closed) and fails the test on what the callbacks saw go wrong. */
void kmember_destroy(kmember *m);

/* Fails the test on what m's callbacks saw go wrong (kmember_poll and
 * kmember_round check it; a test that polls m->c itself calls this). */
void kmember_check(kmember *m);

/* A copy of m's state, taken under its lock. */
kmember_state kmember_snapshot(kmember *m);

/* The partitions of topic (NULL: of every topic) m owns now; fails the
 * test on what the callbacks saw go wrong. */
int kmember_owned(kmember *m, const char *topic);

/* The first group error poll handed out to m; KFK_OK: none yet. */
kfk_err kmember_group_err(kmember *m);

/* Partition p of topic in s; all zero (first_offset -1) when no callback
 * or record named it. */
kmember_part kmember_part_of(const kmember_state *s, const char *topic, int32_t p);

/* The partitions of topic (NULL: of every topic) owned in s. */
int kmember_state_owned(const kmember_state *s, const char *topic);

/* kfk_consumer_assignment(m->c) is what the callbacks said m owns. */
void kmember_check_assignment(kmember *m);

/* One round over the n members ms: polls each that has no poll thread
 * for up to 20 ms (or, when none was polled, pauses 10 ms between looks);
 * whether deadline_ms (ktime_mono_ms) is still ahead. kmember_round takes
 * the members as arguments. */
bool kmember_round_list(kmember *const *ms, size_t n, int64_t deadline_ms);
#define kmember_round(deadline_ms, ...)                                                            \
    kmember_round_list((kmember *const[]){__VA_ARGS__},                                            \
                       sizeof((kmember *const[]){__VA_ARGS__}) / sizeof(kmember *), (deadline_ms))

/* Polls the members (kmember pointers) until cond holds or timeout_ms
 * pass; then fails the test unless cond holds. */
#define KMEMBER_UNTIL(timeout_ms, cond, ...)                                                       \
    do {                                                                                           \
        int64_t kmember_until_ = ktime_mono_ms() + (timeout_ms);                                   \
        while (!(cond) && kmember_round(kmember_until_, __VA_ARGS__)) {                            \
        }                                                                                          \
        ck_assert_msg(cond, "timed out waiting for " #cond);                                       \
    } while (0)

#endif
