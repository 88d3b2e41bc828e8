/* fuzz_batch.c - libFuzzer target for the record-batch reader.
 *
 * Input: a record batch. It is parsed, validated and iterated as it is,
 * then again with its CRC corrected, so the fuzzer reaches the record
 * parser instead of stopping at the checksum. Invariants: an accepted
 * uncompressed batch iterates exactly records_count records with offset
 * deltas 0, 1, 2..., each with exactly headers_count readable headers;
 * nothing reads outside the input (ASan).
 */
#include <string.h>

#include "base/crc32c.h"
#include "proto/batch.h"
#include "proto/kerr.h"
#include "tests/fuzz/fuzz.h"

static int32_t fuzz_headers(const struct kp_record *r)
{
	struct kp_record_header_iter hi;
	struct kp_record_header hd;
	int32_t n = 0;
	int rc;

	kp_record_header_iter_init(&hi, r);
	while ((rc = kp_record_header_iter_next(&hi, &hd)) == 1) {
		if (hd.key.len < 0)
			fuzz_fail("header key is null");
		n++;
	}
	if (rc != 0)
		fuzz_fail("headers of an accepted record are malformed");
	return n;
}

static void fuzz_walk(const uint8_t *p, size_t len, const struct kp_batch *h,
		      int16_t err)
{
	struct kp_record_iter it;
	struct kp_record r;
	int32_t n = 0;
	int rc;

	if (kp_record_iter_init(&it, p, len, h))
		return;
	while ((rc = kp_record_iter_next(&it, &r)) == 1) {
		if (fuzz_headers(&r) != r.headers_count)
			fuzz_fail("header count");
		if (err == KERR_NONE && r.offset_delta != n)
			fuzz_fail("accepted batch with offset delta %d at %d",
				  r.offset_delta, n);
		n++;
	}
	if (err == KERR_NONE && (rc != 0 || n != h->records_count))
		fuzz_fail("accepted batch: iterator %d after %d of %d", rc, n,
			  h->records_count);
}

/* Compressed batches: decompression stays within its budget, and a
 * batch the deep check accepts passed the shallow one. */
static void fuzz_deep(const uint8_t *p, size_t len, const struct kp_batch *h,
		      int16_t shallow)
{
	struct buf scratch;
	int16_t err;

	buf_init(&scratch, 0);
	err = kp_batch_validate_deep(p, len, h, 1u << 20, &scratch);
	if (err == KERR_NONE && shallow != KERR_NONE)
		fuzz_fail("deep check accepted what the shallow one refused");
	if (scratch.len > (1u << 20))
		fuzz_fail("decompressed %zu bytes past the budget", scratch.len);
	buf_fini(&scratch);
}

static void fuzz_one(const uint8_t *p, size_t len)
{
	struct kp_batch h;
	int16_t err;

	if (kp_batch_parse(p, len, &h))
		return;
	err = kp_batch_validate(p, len, &h);
	if (err == KERR_NONE && !kp_batch_crc_ok(p, len, &h))
		fuzz_fail("accepted a batch with a bad CRC");
	fuzz_walk(p, len, &h, err);
	fuzz_deep(p, len, &h, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kp_batch h;
	uint8_t *copy;
	uint32_t crc;
	size_t end;

	fuzz_one(data, size);
	if (kp_batch_parse(data, size, &h))
		return 0;
	end = (size_t)h.batch_length + 12;
	if (end > size)
		return 0;
	copy = malloc(size);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	crc = crc32c(0, copy + 21, end - 21);
	for (int i = 0; i < 4; i++)
		copy[17 + i] = (uint8_t)(crc >> (8 * (3 - i)));
	fuzz_one(copy, size);
	free(copy);
	return 0;
}
