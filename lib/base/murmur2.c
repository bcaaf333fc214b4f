/* MurmurHash2, 32-bit, in the exact variant the Java client's default
 * partitioner uses: seed 0x9747b28c, words read little-endian, the length
 * mixed in as a 32-bit int. Java computes in signed ints that wrap; the same
 * bits fall out of unsigned arithmetic here (>>> becomes >> on uint32_t),
 * which C defines for every input. */
#include "base/murmur2.h"

#define MURMUR2_SEED 0x9747b28cu
#define MURMUR2_M 0x5bd1e995u
#define MURMUR2_R 24

static inline uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint32_t kmurmur2(const void *key, size_t len)
{
    const uint8_t *p = key;
    /* Java takes the length from an int array length; keys are < 2 GiB. */
    uint32_t h = MURMUR2_SEED ^ (uint32_t)len;
    size_t words = len / 4;

    for (size_t i = 0; i < words; i++, p += 4) {
        uint32_t k = load_le32(p) * MURMUR2_M;
        k ^= k >> MURMUR2_R;
        h = (h * MURMUR2_M) ^ (k * MURMUR2_M);
    }

    /* The 1..3 trailing bytes; each case falls through, as in Java. */
    switch (len & 3) {
    case 3:
        h ^= (uint32_t)p[2] << 16;
        /* fall through */
    case 2:
        h ^= (uint32_t)p[1] << 8;
        /* fall through */
    case 1:
        h ^= p[0];
        h *= MURMUR2_M;
    }

    h ^= h >> 13;
    h *= MURMUR2_M;
    h ^= h >> 15;
    return h;
}
