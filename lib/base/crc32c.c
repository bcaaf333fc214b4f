/* CRC-32C (Castagnoli polynomial, reflected 0x82F63B78), the checksum of
 * record batch v2. Three implementations share one contract: the x86 SSE4.2
 * crc32 instruction, the ARMv8 CRC32C instructions, and slicing-by-8 tables
 * for every other CPU. kcrc32c() picks one on first use. */
#include "base/crc32c.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

/* KCRC32C_SW_ONLY builds the table version alone, to test the fallback. */
#if defined(KCRC32C_SW_ONLY)
#elif defined(__x86_64__) || defined(__i386__)
#define CRC_X86 1
#include <nmmintrin.h>
#elif defined(__aarch64__) && defined(__linux__)
#define CRC_ARM64 1
#include <sys/auxv.h>
#ifndef HWCAP_CRC32
#define HWCAP_CRC32 (1 << 7)
#endif
#endif

#define CRC32C_POLY 0x82F63B78u

/* --- software: slicing-by-8 ----------------------------------------------- */

/* crc_table[k][b] is the CRC of byte b followed by k zero bytes, so eight
 * lookups advance the CRC over eight input bytes at once. */
static uint32_t crc_table[8][256];
static pthread_once_t crc_table_once = PTHREAD_ONCE_INIT;

static void crc_table_build(void)
{
    for (uint32_t b = 0; b < 256; b++) {
        uint32_t c = b;
        for (int bit = 0; bit < 8; bit++)
            c = (c >> 1) ^ (CRC32C_POLY & (0u - (c & 1)));
        crc_table[0][b] = c;
    }
    for (int k = 1; k < 8; k++)
        for (int b = 0; b < 256; b++) {
            uint32_t prev = crc_table[k - 1][b];
            crc_table[k][b] = (prev >> 8) ^ crc_table[0][prev & 0xff];
        }
}

static inline uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t crc_sw_block8(uint32_t c, const uint8_t *p)
{
    uint32_t lo = load_le32(p) ^ c, hi = load_le32(p + 4);
    return crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
           crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
           crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
           crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
}

uint32_t kcrc32c_sw(uint32_t crc, const void *data, size_t n)
{
    const uint8_t *p = data;
    uint32_t c = ~crc;
    pthread_once(&crc_table_once, crc_table_build);
    for (; n >= 8; n -= 8, p += 8)
        c = crc_sw_block8(c, p);
    while (n--)
        c = (c >> 8) ^ crc_table[0][(c ^ *p++) & 0xff];
    return ~c;
}

/* --- hardware ------------------------------------------------------------- */

#if defined(CRC_X86)
/* The target attribute lets this one function use SSE4.2 while the rest of
 * the library builds for the baseline CPU; it only runs after the CPUID
 * check in kcrc32c_hw_available(). */
__attribute__((target("sse4.2"))) uint32_t kcrc32c_hw(uint32_t crc, const void *data, size_t n)
{
    const uint8_t *p = data;
    uint32_t c = ~crc;
#if defined(__x86_64__)
    uint64_t c64 = c;
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t w;
        memcpy(&w, p, sizeof(w)); /* unaligned load; x86 is little-endian */
        c64 = _mm_crc32_u64(c64, w);
    }
    c = (uint32_t)c64;
#endif
    while (n--)
        c = _mm_crc32_u8(c, *p++);
    return ~c;
}

int kcrc32c_hw_available(void)
{
    __builtin_cpu_init(); /* needed if we run before the CPU model is set up */
    return __builtin_cpu_supports("sse4.2");
}

#elif defined(CRC_ARM64)
/* Inline assembly rather than <arm_acle.h>, whose intrinsics need the
 * whole file compiled with +crc; ".arch_extension crc" enables just these
 * instructions, which only run after the HWCAP check. */
static inline uint32_t crc_arm_u64(uint32_t c, uint64_t v)
{
    __asm__(".arch_extension crc\n\tcrc32cx %w0, %w0, %x1" : "+r"(c) : "r"(v));
    return c;
}

static inline uint32_t crc_arm_u8(uint32_t c, uint8_t v)
{
    __asm__(".arch_extension crc\n\tcrc32cb %w0, %w0, %w1" : "+r"(c) : "r"((uint32_t)v));
    return c;
}

uint32_t kcrc32c_hw(uint32_t crc, const void *data, size_t n)
{
    const uint8_t *p = data;
    uint32_t c = ~crc;
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t w;
        memcpy(&w, p, sizeof(w)); /* Linux on aarch64 is little-endian */
        c = crc_arm_u64(c, w);
    }
    while (n--)
        c = crc_arm_u8(c, *p++);
    return ~c;
}

int kcrc32c_hw_available(void) { return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0; }

#else
uint32_t kcrc32c_hw(uint32_t crc, const void *data, size_t n) { return kcrc32c_sw(crc, data, n); }
int kcrc32c_hw_available(void) { return 0; }
#endif

/* --- dispatch ------------------------------------------------------------- */

typedef uint32_t crc_fn(uint32_t crc, const void *data, size_t n);

/* NULL until the first call resolves it. Threads racing on the first call
 * all compute and store the same pointer, so no lock is needed; relaxed
 * order suffices because the pointer is the only data published. */
static _Atomic(crc_fn *) crc_impl;

static crc_fn *crc_resolve(void)
{
    crc_fn *fn = kcrc32c_hw_available() ? kcrc32c_hw : kcrc32c_sw;
    atomic_store_explicit(&crc_impl, fn, memory_order_relaxed);
    return fn;
}

uint32_t kcrc32c(uint32_t crc, const void *data, size_t n)
{
    crc_fn *fn = atomic_load_explicit(&crc_impl, memory_order_relaxed);
    if (!fn)
        fn = crc_resolve();
    return fn(crc, data, n);
}
