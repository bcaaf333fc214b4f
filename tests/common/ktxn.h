/* Helpers for the transactional producer's tests (unit tests on the
 * embedded mock and integration tests alike): a producer that counts its
 * delivery reports and fatal errors, tagged records, and a read of whole
 * topics at an isolation level that counts records by tag. They
 * ck_assert on failure. bootstrap NULL: the cluster in KFK_TEST_BOOTSTRAP. */
#ifndef KFK_TESTS_KTXN_H
#define KFK_TESTS_KTXN_H

#include <stdbool.h>

#include "kfk.h"

#define KTXN_TIMEOUT_MS 30000

typedef struct ktxn_reports {
    int ok, aborted, other; /* delivery reports: KFK_OK, KFK_ERR_TXN_ABORTED, others */
    kfk_err other_err;      /* the last of the others */
    int fatal_cb;           /* error_cb calls */
    kfk_err fatal_err;
} ktxn_reports;

/* A producer with transactional.id id and linger.ms linger whose reports
 * go to rs, conf's other settings given as name, value pairs (NULL
 * ended); init_transactions done unless init is false. */
kfk_producer *ktxn_producer(const char *bootstrap, const char *id, ktxn_reports *rs, bool init,
                            const char *const *settings);

/* Produces n records "<tag>-<i>", record i to partition i % parts. */
void ktxn_produce(kfk_producer *p, const char *topic, int parts, const char *tag, int n);

/* Reads partitions 0..parts-1 of each of the nt topics from the start
 * to their end with isolation.level isolation, adding to counts[k] each
 * record whose value starts with tags[k]. */
void ktxn_count(const char *bootstrap, const char *const *topics, int nt, int parts,
                const char *isolation, const char *const *tags, int *counts, int ntags);

/* ktxn_count with read_committed once every transaction on those
 * partitions has ended: Kafka writes a transaction's markers after
 * EndTxn has answered, and until they are written a read_committed
 * reader stops short of the transaction. Reads again until its end on
 * every partition reaches read_uncommitted's, at most KTXN_TIMEOUT_MS. */
void ktxn_count_settled(const char *bootstrap, const char *const *topics, int nt, int parts,
                        const char *const *tags, int *counts, int ntags);

#endif
