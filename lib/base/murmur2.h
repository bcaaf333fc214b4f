/* Murmur2 as the Java client's default partitioner computes it
 * (org.apache.kafka.common.utils.Utils.murmur2, seed 0x9747b28c), so a key
 * lands on the same partition whichever client produced it. */
#ifndef KFK_BASE_MURMUR2_H
#define KFK_BASE_MURMUR2_H

#include <stddef.h>
#include <stdint.h>

uint32_t kmurmur2(const void *key, size_t len);

/* The Java partition choice for a key: (murmur2 & 0x7fffffff) % partitions. */
static inline int32_t kmurmur2_partition(const void *key, size_t len, int32_t partitions)
{
    return (int32_t)((kmurmur2(key, len) & 0x7fffffff) % (uint32_t)partitions);
}

#endif
