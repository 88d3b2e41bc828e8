/* compress.h - bounded decompression of record-batch payloads.
 *
 * Kafka compresses the records section of a v2 batch as a whole with the
 * codec named in the attributes: 1 gzip (RFC 1952, possibly several
 * members), 2 snappy (raw, or the xerial framing Java clients write),
 * 3 lz4 (the LZ4 frame format, KIP-57), 4 zstd (frames). sealog stores
 * and serves batches unchanged; it decompresses only to validate records
 * on produce and to find a record by timestamp.
 *
 * Every decoder streams into out and stops at max_out bytes of output,
 * so a small compressed input can never make it allocate more than
 * max_out (compression bombs, reliability.md C2). Snappy's raw format
 * states its length up front; that length is checked before anything is
 * allocated.
 *
 * Thread: any; no global state.
 */
#ifndef SEALOG_PROTO_COMPRESS_H
#define SEALOG_PROTO_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

#define KP_CODEC_NONE 0
#define KP_CODEC_GZIP 1
#define KP_CODEC_SNAPPY 2
#define KP_CODEC_LZ4 3
#define KP_CODEC_ZSTD 4

/* Append the decompression of in (len bytes, codec 1-4) to out.
 * Returns 0; -EMSGSIZE when the output would pass max_out; -EBADMSG for a
 * malformed, truncated or trailing-garbage stream (zstd dictionaries and
 * skippable frames included); -ENOTSUP for another codec; -ENOMEM. On
 * error out keeps what was appended so far (the caller discards it). */
int kp_decompress(int codec, const uint8_t *in, size_t len, size_t max_out,
		  struct buf *out);

#endif
