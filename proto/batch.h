/* batch.h - Kafka v2 RecordBatch (magic 2) reader and validator.
 *
 * Layout (big-endian; offsets from the start of the batch):
 *
 *    0 base_offset int64        27 base_timestamp int64
 *    8 batch_length int32       35 max_timestamp int64
 *   12 partition_leader_epoch   43 producer_id int64
 *   16 magic int8 (= 2)         51 producer_epoch int16
 *   17 crc uint32 (CRC-32C of   53 base_sequence int32
 *      bytes 21..end)           57 records_count int32
 *   21 attributes int16         61 records...
 *   23 last_offset_delta int32
 *
 * batch_length counts the bytes after itself, so a batch is
 * batch_length + 12 bytes. Each record is a zigzag-varint length followed
 * by attributes int8, timestamp_delta varlong, offset_delta varint, key
 * (varint length, -1 = null), value (likewise), a varint header count and
 * the headers (key: varint length >= 0; value: varint length, -1 = null).
 *
 * Compressed batches (codec 1 gzip, 2 snappy, 3 lz4, 4 zstd) are stored
 * and served unchanged. kp_batch_validate() checks them at the batch
 * level only (length, CRC, counts, attributes); kp_batch_validate_deep()
 * and kp_batch_records() decompress them into a caller's buffer, bounded
 * by an inflate budget (proto/compress.h), to check or read the records.
 *
 * Only those two allocate (into the caller's scratch buffer); every read
 * stays inside the given length, and claimed counts never drive a loop
 * further than the bytes present.
 * Thread: any; pure functions over caller memory.
 */
#ifndef SEALOG_PROTO_BATCH_H
#define SEALOG_PROTO_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "proto/kp_codec.h"

#define KP_BATCH_HEADER_LEN 61
/* batch_length covers everything after this many bytes. */
#define KP_BATCH_LENGTH_OFF 12

#define KP_BATCH_CODEC_MASK 0x07
#define KP_BATCH_TIMESTAMP_LOG_APPEND 0x08
#define KP_BATCH_TRANSACTIONAL 0x10
#define KP_BATCH_CONTROL 0x20
#define KP_BATCH_DELETE_HORIZON 0x40

struct kp_batch {
	int64_t base_offset;
	int32_t batch_length;
	int32_t partition_leader_epoch;
	int8_t magic;
	uint32_t crc;
	int16_t attributes;
	int32_t last_offset_delta;
	int64_t base_timestamp;
	int64_t max_timestamp;
	int64_t producer_id;
	int16_t producer_epoch;
	int32_t base_sequence;
	int32_t records_count;
};

/* Read the 61-byte header of the batch at p. 0, or -EBADMSG when len <
 * 61, magic != 2 or batch_length < 49. Does not check the CRC, nor that
 * the batch fits in len. */
int kp_batch_parse(const uint8_t *p, size_t len, struct kp_batch *out);

/* The CRC-32C over bytes 21..batch end matches h->crc (false also when
 * the batch does not fit in len). */
bool kp_batch_crc_ok(const uint8_t *p, size_t len, const struct kp_batch *h);

/* Validate a batch a client produced, h being kp_batch_parse(p, len).
 * Only the first batch_length + 12 bytes are examined: whether more
 * bytes (another batch) are allowed is the caller's decision. Returns a
 * Kafka error code, as Kafka's LogValidator and DefaultRecord would:
 *   KERR_CORRUPT_MESSAGE  batch shorter than its header or than
 *                         batch_length, magic != 2, CRC mismatch
 *   KERR_INVALID_RECORD   base_offset != 0; control batch; records_count
 *                         <= 0 or != last_offset_delta + 1; a producer id
 *                         with a negative base sequence; and for
 *                         uncompressed batches: record framing (varint
 *                         lengths equal bytes consumed, offset deltas
 *                         0, 1, 2..., key/value lengths >= -1, header
 *                         key lengths >= 0, lengths and header counts
 *                         within the record), too few or too many records
 *   KERR_UNSUPPORTED_COMPRESSION_TYPE  codec id 5-7
 *   KERR_NONE             valid. */
int16_t kp_batch_validate(const uint8_t *p, size_t len,
			  const struct kp_batch *h);

/* kp_batch_validate(), and for a compressed batch also its records after
 * decompression into scratch (at most max_inflate bytes): a stream that
 * does not decompress is KERR_CORRUPT_MESSAGE, one larger than the budget
 * KERR_MESSAGE_TOO_LARGE, records not matching the header (count, offset
 * deltas, framing) KERR_INVALID_RECORD. */
int16_t kp_batch_validate_deep(const uint8_t *p, size_t len,
			       const struct kp_batch *h, size_t max_inflate,
			       struct buf *scratch);

/* --- records ------------------------------------------------------------ */

struct kp_record {
	int8_t attributes;
	int64_t timestamp_delta;
	int32_t offset_delta;
	struct kp_bytes key;   /* { NULL, -1 } when null */
	struct kp_bytes value; /* { NULL, -1 } when null */
	int32_t headers_count;
	const uint8_t *headers; /* the encoded headers, headers_len bytes */
	size_t headers_len;
};

struct kp_record_header {
	struct kp_bytes key; /* never null */
	struct kp_bytes value;
};

struct kp_record_iter {
	struct kp_reader rd; /* the records section */
	int32_t left;	     /* records still to read */
	int err;
};

struct kp_record_header_iter {
	struct kp_reader rd;
	int32_t left;
};

/* Iterate the records of the batch at p (h = kp_batch_parse(p, len)).
 * 0; -EBADMSG when the batch does not fit in len or records_count < 0;
 * -ENOTSUP for a compressed batch. Does not check the CRC. */
int kp_record_iter_init(struct kp_record_iter *it, const uint8_t *p, size_t len,
			const struct kp_batch *h);

/* Like kp_record_iter_init() for any batch: a compressed one is first
 * decompressed into scratch (cleared; at most max_inflate bytes), and the
 * records then point into scratch. 0, -EBADMSG (malformed batch or
 * stream), -EMSGSIZE (over the budget), -ENOTSUP (codec 5-7), -ENOMEM. */
struct buf;
int kp_batch_records(struct kp_record_iter *it, const uint8_t *p, size_t len,
		     const struct kp_batch *h, size_t max_inflate,
		     struct buf *scratch);

/* The next record: 1 with *out filled (pointing into the batch), 0 after
 * the last one when exactly the batch's bytes were consumed, -EBADMSG for
 * malformed records, too few or trailing bytes (sticky). */
int kp_record_iter_next(struct kp_record_iter *it, struct kp_record *out);

/* Iterate rec's headers (already checked by kp_record_iter_next). */
void kp_record_header_iter_init(struct kp_record_header_iter *hi,
				const struct kp_record *rec);
/* 1 with *out filled, 0 at the end, -EBADMSG if malformed. */
int kp_record_header_iter_next(struct kp_record_header_iter *hi,
			       struct kp_record_header *out);

#endif
