/* crc32c.h - CRC-32C (Castagnoli), as used by Kafka record batches.
 *
 * Uses the SSE4.2 crc32 instruction when the CPU has it (checked once at
 * first use), a table otherwise. Pure function; any thread.
 */
#ifndef SEALOG_BASE_CRC32C_H
#define SEALOG_BASE_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extend crc (0 to start) over len bytes. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

/* The table-only implementation, exposed for tests. */
uint32_t crc32c_sw(uint32_t crc, const void *data, size_t len);

#endif
