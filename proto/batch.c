/* batch.c - Kafka v2 RecordBatch reader and validator; see batch.h.
 *
 * Records are parsed with the bounded kp_reader: a record's varint length
 * becomes a sub-reader, so nothing inside a record can read past it, and
 * the record must consume exactly that many bytes (DefaultRecord's "Invalid
 * record size" check). Header counts are bounded by the record's bytes
 * (two bytes per header at least) before the headers are walked.
 *
 * Deliberate deviation: Kafka accepts an uncompressed batch whose record
 * offset deltas are not 0, 1, 2, ... and rebuilds it; sealog stores the
 * client's bytes as they are, so such a batch would claim offsets it does
 * not own, and it is rejected with INVALID_RECORD instead.
 */
#include "proto/batch.h"

#include <errno.h>
#include <string.h>

#include "base/crc32c.h"
#include "proto/compress.h"
#include "proto/kerr.h"

#define KP_BATCH_CRC_FROM 21 /* the CRC covers attributes..end */
#define KP_BATCH_MAGIC 2
#define KP_CODEC_MAX 4 /* zstd */

int kp_batch_parse(const uint8_t *p, size_t len, struct kp_batch *out)
{
	struct kp_reader rd;

	memset(out, 0, sizeof(*out));
	if (!p || len < KP_BATCH_HEADER_LEN)
		return -EBADMSG;
	kp_reader_init(&rd, p, KP_BATCH_HEADER_LEN);
	out->base_offset = kp_read_i64(&rd);
	out->batch_length = kp_read_i32(&rd);
	out->partition_leader_epoch = kp_read_i32(&rd);
	out->magic = kp_read_i8(&rd);
	out->crc = kp_read_u32(&rd);
	out->attributes = kp_read_i16(&rd);
	out->last_offset_delta = kp_read_i32(&rd);
	out->base_timestamp = kp_read_i64(&rd);
	out->max_timestamp = kp_read_i64(&rd);
	out->producer_id = kp_read_i64(&rd);
	out->producer_epoch = kp_read_i16(&rd);
	out->base_sequence = kp_read_i32(&rd);
	out->records_count = kp_read_i32(&rd);
	if (rd.err || out->magic != KP_BATCH_MAGIC ||
	    out->batch_length < KP_BATCH_HEADER_LEN - KP_BATCH_LENGTH_OFF)
		return -EBADMSG;
	return 0;
}

/* The batch's total size when it is well-formed and fits in len. */
static bool kp_batch_fits(size_t len, const struct kp_batch *h, size_t *end)
{
	if (h->batch_length < KP_BATCH_HEADER_LEN - KP_BATCH_LENGTH_OFF)
		return false;
	*end = (size_t)h->batch_length + KP_BATCH_LENGTH_OFF;
	return *end <= len;
}

bool kp_batch_crc_ok(const uint8_t *p, size_t len, const struct kp_batch *h)
{
	size_t end;

	if (!p || !kp_batch_fits(len, h, &end))
		return false;
	return crc32c(0, p + KP_BATCH_CRC_FROM, end - KP_BATCH_CRC_FROM) ==
	       h->crc;
}

/* A record's key, value or header value: varint length, -1 = null. */
static void kp_record_bytes(struct kp_reader *r, bool nullable,
			    struct kp_bytes *out)
{
	int32_t n = kp_read_varint(r);

	*out = KP_BYTES_NULL;
	if (r->err)
		return;
	if (n < -1 || (n == -1 && !nullable)) {
		kp_reader_fail(r, -EBADMSG);
		return;
	}
	if (n >= 0) {
		out->ptr = kp_read_raw(r, (size_t)n);
		out->len = out->ptr ? n : -1;
	}
}

static int kp_record_header_read(struct kp_reader *r,
				 struct kp_record_header *out)
{
	kp_record_bytes(r, false, &out->key);
	kp_record_bytes(r, true, &out->value);
	return r->err ? -EBADMSG : 0;
}

/* One record from rd, which holds the rest of the records section. */
static int kp_record_read(struct kp_reader *rd, struct kp_record *out)
{
	int32_t len = kp_read_varint(rd);
	struct kp_record_header hdr;
	struct kp_reader r;
	const uint8_t *body;
	size_t start;

	if (rd->err || len < 0)
		return -EBADMSG;
	body = kp_read_raw(rd, (size_t)len);
	if (!body)
		return -EBADMSG;
	kp_reader_init(&r, body, (size_t)len);
	out->attributes = kp_read_i8(&r);
	out->timestamp_delta = kp_read_varlong(&r);
	out->offset_delta = kp_read_varint(&r);
	kp_record_bytes(&r, true, &out->key);
	kp_record_bytes(&r, true, &out->value);
	out->headers_count = kp_read_varint(&r);
	if (r.err || out->headers_count < 0 ||
	    (size_t)out->headers_count > kp_reader_remaining(&r) / 2)
		return -EBADMSG;
	start = r.off;
	for (int32_t i = 0; i < out->headers_count; i++)
		if (kp_record_header_read(&r, &hdr))
			return -EBADMSG;
	if (kp_reader_remaining(&r) != 0)
		return -EBADMSG; /* the record is longer than its fields */
	out->headers = body + start;
	out->headers_len = r.off - start;
	return 0;
}

int kp_record_iter_init(struct kp_record_iter *it, const uint8_t *p, size_t len,
			const struct kp_batch *h)
{
	size_t end;

	memset(it, 0, sizeof(*it));
	if (!p || !kp_batch_fits(len, h, &end) || h->records_count < 0) {
		it->err = -EBADMSG;
		return it->err;
	}
	if (h->attributes & KP_BATCH_CODEC_MASK) {
		it->err = -ENOTSUP;
		return it->err;
	}
	kp_reader_init(&it->rd, p + KP_BATCH_HEADER_LEN,
		       end - KP_BATCH_HEADER_LEN);
	it->left = h->records_count;
	return 0;
}

int kp_record_iter_next(struct kp_record_iter *it, struct kp_record *out)
{
	if (it->err)
		return it->err;
	if (it->left == 0) {
		/* Kafka: "Incorrect declared batch size, records still
		 * remaining in file". */
		if (it->rd.off != it->rd.len)
			it->err = -EBADMSG;
		return it->err;
	}
	if (kp_record_read(&it->rd, out)) {
		it->err = -EBADMSG;
		return it->err;
	}
	it->left--;
	return 1;
}

void kp_record_header_iter_init(struct kp_record_header_iter *hi,
				const struct kp_record *rec)
{
	kp_reader_init(&hi->rd, rec->headers,
		       rec->headers ? rec->headers_len : 0);
	hi->left = rec->headers_count > 0 ? rec->headers_count : 0;
}

int kp_record_header_iter_next(struct kp_record_header_iter *hi,
			       struct kp_record_header *out)
{
	if (hi->rd.err)
		return -EBADMSG;
	if (hi->left == 0)
		return 0;
	if (kp_record_header_read(&hi->rd, out))
		return -EBADMSG;
	hi->left--;
	return 1;
}

/* Batch-level rules, in the order Kafka applies them. */
static int16_t kp_batch_check_header(const uint8_t *p, size_t len,
				     const struct kp_batch *h)
{
	size_t end;
	int codec = h->attributes & KP_BATCH_CODEC_MASK;

	if (!p || !kp_batch_fits(len, h, &end) || h->magic != KP_BATCH_MAGIC)
		return KERR_CORRUPT_MESSAGE;
	if (h->base_offset != 0)
		return KERR_INVALID_RECORD; /* clients always send 0 */
	if (!kp_batch_crc_ok(p, len, h))
		return KERR_CORRUPT_MESSAGE;
	if (codec > KP_CODEC_MAX)
		return KERR_UNSUPPORTED_COMPRESSION_TYPE;
	if (h->records_count <= 0 ||
	    (int64_t)h->last_offset_delta + 1 != h->records_count)
		return KERR_INVALID_RECORD;
	if (h->attributes & KP_BATCH_CONTROL)
		return KERR_INVALID_RECORD; /* only brokers write those */
	if (h->producer_id >= 0 && h->base_sequence < 0)
		return KERR_INVALID_RECORD;
	return KERR_NONE;
}

/* Offset deltas 0, 1, 2 ... and exactly records_count records. */
static int16_t kp_records_check(struct kp_record_iter *it)
{
	struct kp_record rec;
	int32_t i = 0;
	int rc;

	while ((rc = kp_record_iter_next(it, &rec)) == 1)
		if (rec.offset_delta != i++)
			return KERR_INVALID_RECORD;
	return rc == 0 ? KERR_NONE : KERR_INVALID_RECORD;
}

int16_t kp_batch_validate(const uint8_t *p, size_t len,
			  const struct kp_batch *h)
{
	struct kp_record_iter it;
	int16_t err = kp_batch_check_header(p, len, h);

	if (err != KERR_NONE || (h->attributes & KP_BATCH_CODEC_MASK))
		return err;
	if (kp_record_iter_init(&it, p, len, h))
		return KERR_INVALID_RECORD;
	return kp_records_check(&it);
}

int kp_batch_records(struct kp_record_iter *it, const uint8_t *p, size_t len,
		     const struct kp_batch *h, size_t max_inflate,
		     struct buf *scratch)
{
	int codec = h->attributes & KP_BATCH_CODEC_MASK;
	size_t end;
	int rc;

	if (!codec)
		return kp_record_iter_init(it, p, len, h);
	memset(it, 0, sizeof(*it));
	if (!p || !kp_batch_fits(len, h, &end) || h->records_count < 0) {
		it->err = -EBADMSG;
		return it->err;
	}
	buf_clear(scratch);
	rc = kp_decompress(codec, p + KP_BATCH_HEADER_LEN,
			   end - KP_BATCH_HEADER_LEN, max_inflate, scratch);
	if (!rc && scratch->err)
		rc = scratch->err;
	if (rc) {
		it->err = rc;
		return rc;
	}
	kp_reader_init(&it->rd, scratch->data ? scratch->data
					      : (const uint8_t *)"",
		       scratch->len);
	it->left = h->records_count;
	return 0;
}

int16_t kp_batch_validate_deep(const uint8_t *p, size_t len,
			       const struct kp_batch *h, size_t max_inflate,
			       struct buf *scratch)
{
	struct kp_record_iter it;
	int16_t err = kp_batch_validate(p, len, h);

	if (err != KERR_NONE || !(h->attributes & KP_BATCH_CODEC_MASK))
		return err;
	switch (kp_batch_records(&it, p, len, h, max_inflate, scratch)) {
	case 0:
		return kp_records_check(&it);
	case -EMSGSIZE:
		return KERR_MESSAGE_TOO_LARGE;
	case -ENOTSUP:
		return KERR_UNSUPPORTED_COMPRESSION_TYPE;
	case -ENOMEM:
		return KERR_UNKNOWN_SERVER_ERROR;
	default:
		return KERR_CORRUPT_MESSAGE;
	}
}
