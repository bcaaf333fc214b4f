/* API version negotiation (KIP-35, KIP-511). A connection's first request
 * is ApiVersions at our newest version; a broker that does not know that
 * version answers UNSUPPORTED_VERSION in the v0 format, listing the
 * ApiVersions versions it does know, and we ask again at the newest of
 * those. From the answer, each API gets the range both sides support, and
 * each request goes out at the highest version in that range that its
 * caller allows. */
#ifndef KFK_NET_VERSIONS_H
#define KFK_NET_VERSIONS_H

#include <stdint.h>

#include "proto/gen/api_versions.h"

/* API keys are below this (Kafka 4.3 tops out at 92). */
#define KVERSIONS_MAX_KEYS 128

typedef struct kversions {
    int16_t lo[KVERSIONS_MAX_KEYS]; /* lowest version both speak */
    int16_t hi[KVERSIONS_MAX_KEYS]; /* highest; -1 when none is common */
    /* The finalized transaction.version feature level (KIP-890): 2 lets a
     * transactional Produce add its partition implicitly and EndTxn bump
     * the epoch; 0 when the broker finalizes none (or predates features). */
    int16_t txn_version;
} kversions;

/* Marks every API unusable. */
void kversions_clear(kversions *vs);

/* Fills vs from a broker's ApiVersions answer: APIs we lack, that the
 * broker lacks, or whose ranges do not overlap come out unusable. Our
 * range for each API ends at its newest stable version. */
void kversions_from_response(kversions *vs, const kp_api_versions_response *resp);

/* The version of key to send when the caller accepts [min, max] (max < 0:
 * no upper limit): the highest common one, or -1 when there is none. */
int16_t kversions_pick(const kversions *vs, int16_t key, int16_t min, int16_t max);

/* The ApiVersions version to retry with after an UNSUPPORTED_VERSION
 * answer (decoded at v0), or -1 when the broker offers none we speak. */
int16_t kversions_api_versions_retry(const kp_api_versions_response *v0);

#endif
