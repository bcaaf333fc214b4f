/* CRC-32C (Castagnoli), the checksum of record batch v2. Uses the SSE4.2
 * or ARMv8 CRC32C instructions when the CPU has them (checked once at run
 * time), else slicing-by-8 tables. */
#ifndef KFK_BASE_CRC32C_H
#define KFK_BASE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extends crc over p[0..n). Start with crc = 0; the result of one call can
 * be passed to the next to checksum data in pieces. */
uint32_t kcrc32c(uint32_t crc, const void *p, size_t n);

/* The two implementations, exposed so tests can compare them. */
uint32_t kcrc32c_sw(uint32_t crc, const void *p, size_t n);
/* Hardware path; only valid when kcrc32c_hw_available() is true. */
uint32_t kcrc32c_hw(uint32_t crc, const void *p, size_t n);
int kcrc32c_hw_available(void);

#endif
