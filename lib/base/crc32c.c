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
#if defined(CRC_X86) || defined(CRC_ARM64)
#define CRC_HW 1
#endif

#define CRC32C_POLY 0x82F63B78u

/* --- software: slicing-by-8 ----------------------------------------------- */

/* crc_table[k][b] is the CRC of byte b followed by k zero bytes, so eight
 * lookups advance the CRC over eight input bytes at once. */
static uint32_t crc_table[8][256];

static pthread_once_t crc_table_once = PTHREAD_ONCE_INIT;

#if defined(CRC_HW)
/* The hardware path sums blocks of these sizes three at a time and needs
 * to move a CRC past a block of zeros; crc_shift_* do that in four lookups. */
#define CRC_LONG 8192
#define CRC_SHORT 256
static uint32_t crc_shift_long[4][256];
static uint32_t crc_shift_short[4][256];

/* a * b modulo the CRC polynomial, both in the reflected bit order the CRC
 * register uses (bit 31 holds x^0). */
static uint32_t gf2_mulmod(uint32_t a, uint32_t b)
{
    uint32_t product = 0;
    for (uint32_t bit = 1u << 31; bit; bit >>= 1) {
        if (a & bit) product ^= b;
        b = (b >> 1) ^ (CRC32C_POLY & (0u - (b & 1))); /* b *= x */
    }
    return product;
}

/* x^(8 * nbytes) mod P: what appending nbytes zero bytes multiplies by. */
static uint32_t gf2_zeros_operator(size_t nbytes)
{
    uint32_t result = 1u << 31, square = 1u << 23; /* x^0, x^8 */
    for (; nbytes; nbytes >>= 1, square = gf2_mulmod(square, square))
        if (nbytes & 1) result = gf2_mulmod(result, square);
    return result;
}

/* shift[k][b] moves byte k of a CRC register past the block's zeros; the
 * shift is linear, so the four results XOR together. */
static void crc_shift_build(uint32_t shift[4][256], size_t nbytes)
{
    uint32_t op = gf2_zeros_operator(nbytes);
    for (int k = 0; k < 4; k++)
        for (uint32_t b = 0; b < 256; b++)
            shift[k][b] = gf2_mulmod(op, b << (8 * k));
}

static inline uint32_t crc_shift(const uint32_t shift[4][256], uint32_t c)
{
    return shift[0][c & 0xff] ^ shift[1][(c >> 8) & 0xff] ^ shift[2][(c >> 16) & 0xff] ^
           shift[3][c >> 24];
}
#endif

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
#if defined(CRC_HW)
    crc_shift_build(crc_shift_long, CRC_LONG);
    crc_shift_build(crc_shift_short, CRC_SHORT);
#endif
}

static inline uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t crc_sw_block8(uint32_t c, const uint8_t *p)
{
    uint32_t lo = load_le32(p) ^ c, hi = load_le32(p + 4);
    return crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
           crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^ crc_table[3][hi & 0xff] ^
           crc_table[2][(hi >> 8) & 0xff] ^ crc_table[1][(hi >> 16) & 0xff] ^
           crc_table[0][hi >> 24];
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

#if defined(CRC_HW)
#if defined(CRC_X86)
/* The target attribute lets these functions use SSE4.2 while the rest of
 * the library builds for the baseline CPU; they only run after the CPUID
 * check in kcrc32c_hw_available(). */
#define HW_TARGET __attribute__((target("sse4.2")))

HW_TARGET static inline uint32_t hw_u8(uint32_t c, uint8_t v)
{
    return _mm_crc32_u8(c, v);
}
#if defined(__x86_64__)
HW_TARGET static inline uint32_t hw_u64(uint32_t c, uint64_t v)
{
    return (uint32_t)_mm_crc32_u64(c, v);
}
#else
HW_TARGET static inline uint32_t hw_u64(uint32_t c, uint64_t v)
{
    return _mm_crc32_u32(_mm_crc32_u32(c, (uint32_t)v), (uint32_t)(v >> 32));
}
#endif

int kcrc32c_hw_available(void)
{
    __builtin_cpu_init(); /* needed if we run before the CPU model is set up */
    return __builtin_cpu_supports("sse4.2");
}

#else /* CRC_ARM64 */
/* Inline assembly rather than <arm_acle.h>, whose intrinsics need the
 * whole file compiled with +crc; ".arch_extension crc" enables just these
 * instructions, which only run after the HWCAP check. */
#define HW_TARGET

static inline uint32_t hw_u8(uint32_t c, uint8_t v)
{
    __asm__(".arch_extension crc\n\tcrc32cb %w0, %w0, %w1" : "+r"(c) : "r"((uint32_t)v));
    return c;
}

static inline uint32_t hw_u64(uint32_t c, uint64_t v)
{
    __asm__(".arch_extension crc\n\tcrc32cx %w0, %w0, %x1" : "+r"(c) : "r"(v));
    return c;
}

int kcrc32c_hw_available(void)
{
    return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
}
#endif

/* Both CPUs are little-endian here, so a word's first byte is its low byte,
 * which is the order the CRC consumes bytes in. */
static inline uint64_t load_u64(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof(w));
    return w;
}

/* One crc instruction must wait for the previous one's result, but the CPU
 * can run three independent ones at once. So three adjacent blocks are
 * summed in parallel, each from 0 except the first, and combined:
 * crc(A|B) = shift(crc(A), |B|) ^ crc0(B). */
HW_TARGET static uint32_t hw_three_blocks(uint32_t c0, const uint8_t *p, size_t block,
                                          const uint32_t shift[4][256])
{
    uint32_t c1 = 0, c2 = 0;
    for (const uint8_t *end = p + block; p < end; p += 8) {
        c0 = hw_u64(c0, load_u64(p));
        c1 = hw_u64(c1, load_u64(p + block));
        c2 = hw_u64(c2, load_u64(p + 2 * block));
    }
    c0 = crc_shift(shift, c0) ^ c1;
    return crc_shift(shift, c0) ^ c2;
}

HW_TARGET uint32_t kcrc32c_hw(uint32_t crc, const void *data, size_t n)
{
    const uint8_t *p = data;
    uint32_t c = ~crc;
    pthread_once(&crc_table_once, crc_table_build);
    for (; n && ((uintptr_t)p & 7); n--)
        c = hw_u8(c, *p++);
    for (; n >= 3 * CRC_LONG; n -= 3 * CRC_LONG, p += 3 * CRC_LONG)
        c = hw_three_blocks(c, p, CRC_LONG, crc_shift_long);
    for (; n >= 3 * CRC_SHORT; n -= 3 * CRC_SHORT, p += 3 * CRC_SHORT)
        c = hw_three_blocks(c, p, CRC_SHORT, crc_shift_short);
    for (; n >= 8; n -= 8, p += 8)
        c = hw_u64(c, load_u64(p));
    while (n--)
        c = hw_u8(c, *p++);
    return ~c;
}

#else
uint32_t kcrc32c_hw(uint32_t crc, const void *data, size_t n)
{
    return kcrc32c_sw(crc, data, n);
}
int kcrc32c_hw_available(void)
{
    return 0;
}
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
    if (!fn) fn = crc_resolve();
    return fn(crc, data, n);
}
