/* The coordinator of a group or a transactional id, found with a raw
 * FindCoordinator (v4), for the wire-level tests against the mock and
 * real Kafka alike. Brokers listen on loopback (mt_dial). */
#ifndef KFK_TESTS_KCOORD_H
#define KFK_TESTS_KCOORD_H

#include <stdint.h>

#include "mt_conn.h"

/* One FindCoordinator through bootstrap (a "host:port,..." list; NULL:
 * KFK_TEST_BOOTSTRAP) for key of key_type (0 group, 1 transactional id).
 * Returns the coordinator's error, KFK_ERR_TRANSPORT when no answer came;
 * on 0 *node and *port (either may be NULL) name it. Never asserts. */
int16_t kcoord_find(const char *bootstrap, int8_t key_type, const char *key, int32_t *node,
                    int32_t *port);

/* Connects c to that coordinator, waiting up to 30 s while the cluster
 * answers COORDINATOR_NOT_AVAILABLE (a fresh broker still loading its
 * internal topics); any other error fails the test. *node (may be NULL)
 * gets its node id. */
void kcoord_open(mt_conn *c, const char *bootstrap, int8_t key_type, const char *key,
                 int32_t *node);

#endif
