/* proto_batch_test.c - record batches: parse, validate, iterate.
 *
 * Batches are built by hand here (own varint writer, base/crc32c for the
 * CRC), following the v2 layout in the Kafka protocol guide, then broken
 * one way at a time; each break must give the error Kafka's LogValidator
 * / DefaultRecord would.
 */
#include <errno.h>

#include "base/crc32c.h"
#include "proto/batch.h"
#include "proto/kerr.h"
#include "tests/unit/check.h"

struct rec {
	int32_t off_delta;
	int64_t ts_delta;
	const char *key, *value; /* NULL: null */
	int nh;
	const char *hk[2], *hv[2];
};

struct bb {
	uint8_t d[4096];
	size_t n;
};

static void put(struct bb *b, const void *p, size_t n)
{
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

static void put_uvar(struct bb *b, uint64_t u)
{
	while (u >= 0x80) {
		b->d[b->n++] = (uint8_t)(u | 0x80);
		u >>= 7;
	}
	b->d[b->n++] = (uint8_t)u;
}

static void put_var(struct bb *b, int64_t v)
{
	put_uvar(b, ((uint64_t)v << 1) ^ (v < 0 ? UINT64_MAX : 0));
}

static void put_be(struct bb *b, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--)
		b->d[b->n++] = (uint8_t)(v >> (8 * i));
}

static void set_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static void put_str(struct bb *b, const char *s)
{
	if (!s) {
		put_var(b, -1);
		return;
	}
	put_var(b, (int64_t)strlen(s));
	put(b, s, strlen(s));
}

static void put_record(struct bb *b, const struct rec *r)
{
	struct bb body = {.n = 0};

	body.d[body.n++] = 0; /* attributes */
	put_var(&body, r->ts_delta);
	put_var(&body, r->off_delta);
	put_str(&body, r->key);
	put_str(&body, r->value);
	put_var(&body, r->nh);
	for (int i = 0; i < r->nh; i++) {
		put_str(&body, r->hk[i]);
		put_str(&body, r->hv[i]);
	}
	put_var(b, (int64_t)body.n);
	put(b, body.d, body.n);
}

/* batch_length and CRC-32C over attributes..end. */
static void finish(struct bb *b)
{
	set_be(b->d + 8, b->n - 12, 4);
	set_be(b->d + 17, crc32c(0, b->d + 21, b->n - 21), 4);
}

static void build(struct bb *b, int16_t attrs, const struct rec *rs, int n)
{
	b->n = 0;
	put_be(b, 0, 8); /* base_offset */
	put_be(b, 0, 4); /* batch_length (finish) */
	put_be(b, 7, 4); /* partition_leader_epoch */
	put_be(b, 2, 1); /* magic */
	put_be(b, 0, 4); /* crc (finish) */
	put_be(b, (uint16_t)attrs, 2);
	put_be(b, (uint32_t)(n - 1), 4); /* last_offset_delta */
	put_be(b, 1000, 8);		 /* base_timestamp */
	put_be(b, 1002, 8);		 /* max_timestamp */
	put_be(b, UINT64_MAX, 8);	 /* producer_id -1 */
	put_be(b, 0xffff, 2);		 /* producer_epoch -1 */
	put_be(b, UINT32_MAX, 4);	 /* base_sequence -1 */
	put_be(b, (uint32_t)n, 4);	 /* records_count */
	for (int i = 0; i < n; i++)
		put_record(b, &rs[i]);
	finish(b);
}

static const struct rec three[] = {
    {0, 0, "k0", "value-0", 0, {0}, {0}},
    {1, 1, NULL, "v1", 2, {"h1", "h2"}, {"x", NULL}},
    {2, 2, "k2", NULL, 1, {""}, {""}},
};

static int16_t validate(struct bb *b)
{
	struct kp_batch h;

	if (kp_batch_parse(b->d, b->n, &h))
		return -100;
	return kp_batch_validate(b->d, b->n, &h);
}

static bool bytes_eq(struct kp_bytes v, const char *s)
{
	if (!s)
		return v.len == -1 && v.ptr == NULL;
	return v.len == (int32_t)strlen(s) &&
	       memcmp(v.ptr, s, (size_t)v.len) == 0;
}

static void test_valid_and_iterate(void)
{
	struct bb b;
	struct kp_batch h;
	struct kp_record_iter it;
	struct kp_record r;
	struct kp_record_header_iter hi;
	struct kp_record_header hd;

	build(&b, 0, three, 3);
	CHECK_EQ(kp_batch_parse(b.d, b.n, &h), 0);
	CHECK_EQ(h.batch_length, (int32_t)b.n - 12);
	CHECK_EQ(h.partition_leader_epoch, 7);
	CHECK_EQ(h.records_count, 3);
	CHECK_EQ(h.last_offset_delta, 2);
	CHECK_EQ(h.producer_id, -1);
	CHECK_EQ(h.max_timestamp, 1002);
	CHECK(kp_batch_crc_ok(b.d, b.n, &h));
	CHECK_EQ(kp_batch_validate(b.d, b.n, &h), KERR_NONE);

	CHECK_EQ(kp_record_iter_init(&it, b.d, b.n, &h), 0);
	CHECK_EQ(kp_record_iter_next(&it, &r), 1);
	CHECK(r.offset_delta == 0 && bytes_eq(r.key, "k0"));
	CHECK(bytes_eq(r.value, "value-0") && r.headers_count == 0);
	CHECK_EQ(kp_record_iter_next(&it, &r), 1);
	CHECK(r.offset_delta == 1 && r.timestamp_delta == 1);
	CHECK(bytes_eq(r.key, NULL) && bytes_eq(r.value, "v1"));
	CHECK_EQ(r.headers_count, 2);
	kp_record_header_iter_init(&hi, &r);
	CHECK_EQ(kp_record_header_iter_next(&hi, &hd), 1);
	CHECK(bytes_eq(hd.key, "h1") && bytes_eq(hd.value, "x"));
	CHECK_EQ(kp_record_header_iter_next(&hi, &hd), 1);
	CHECK(bytes_eq(hd.key, "h2") && bytes_eq(hd.value, NULL));
	CHECK_EQ(kp_record_header_iter_next(&hi, &hd), 0);
	CHECK_EQ(kp_record_iter_next(&it, &r), 1);
	CHECK(bytes_eq(r.key, "k2") && bytes_eq(r.value, NULL));
	kp_record_header_iter_init(&hi, &r);
	CHECK_EQ(kp_record_header_iter_next(&hi, &hd), 1);
	CHECK(hd.key.len == 0 && hd.value.len == 0);
	CHECK_EQ(kp_record_iter_next(&it, &r), 0);
	CHECK_EQ(kp_record_iter_next(&it, &r), 0);

	/* the leader epoch is outside the CRC */
	b.d[15] ^= 0x55;
	CHECK_EQ(validate(&b), KERR_NONE);
}

static void test_compressed(void)
{
	struct bb b;
	struct kp_batch h;
	struct kp_record_iter it;

	for (int codec = 1; codec <= 4; codec++) {
		build(&b, (int16_t)codec, three, 3);
		b.d[61] ^= 0xff; /* "compressed" bytes are opaque */
		finish(&b);
		CHECK_EQ(validate(&b), KERR_NONE);
		kp_batch_parse(b.d, b.n, &h);
		CHECK_EQ(kp_record_iter_init(&it, b.d, b.n, &h), -ENOTSUP);
	}
	build(&b, 5, three, 3);
	CHECK_EQ(validate(&b), KERR_UNSUPPORTED_COMPRESSION_TYPE);
	build(&b, 7 | KP_BATCH_TRANSACTIONAL, three, 3);
	CHECK_EQ(validate(&b), KERR_UNSUPPORTED_COMPRESSION_TYPE);
	/* batch-level rules still apply to compressed batches */
	build(&b, 2, three, 3);
	set_be(b.d + 57, 5, 4);
	finish(&b);
	CHECK_EQ(validate(&b), KERR_INVALID_RECORD);
}

static void test_header_rules(void)
{
	struct bb b;
	struct kp_batch h;

	build(&b, 0, three, 3);
	b.d[b.n - 1] ^= 1; /* CRC covers the records */
	CHECK_EQ(validate(&b), KERR_CORRUPT_MESSAGE);
	build(&b, 0, three, 3);
	b.d[22] ^= 0x08; /* and the attributes */
	CHECK_EQ(validate(&b), KERR_CORRUPT_MESSAGE);

	build(&b, KP_BATCH_CONTROL, three, 3);
	CHECK_EQ(validate(&b), KERR_INVALID_RECORD);
	build(&b, 0, three, 3);
	set_be(b.d, 5, 8); /* base offset from a client must be 0 */
	finish(&b);
	CHECK_EQ(validate(&b), KERR_INVALID_RECORD);
	build(&b, 0, three, 3);
	set_be(b.d + 43, 9, 8); /* producer id without a sequence */
	finish(&b);
	CHECK_EQ(validate(&b), KERR_INVALID_RECORD);
	set_be(b.d + 53, 0, 4);
	finish(&b);
	CHECK_EQ(validate(&b), KERR_NONE);

	/* parse: short, magic, batch_length */
	build(&b, 0, three, 3);
	CHECK_EQ(kp_batch_parse(b.d, 60, &h), -EBADMSG);
	b.d[16] = 1;
	CHECK_EQ(kp_batch_parse(b.d, b.n, &h), -EBADMSG);
	build(&b, 0, three, 3);
	set_be(b.d + 8, 48, 4);
	CHECK_EQ(kp_batch_parse(b.d, b.n, &h), -EBADMSG);
	/* batch_length beyond the bytes: parse is fine, validate is not */
	build(&b, 0, three, 3);
	CHECK_EQ(kp_batch_parse(b.d, b.n - 1, &h), 0);
	CHECK_EQ(kp_batch_validate(b.d, b.n - 1, &h), KERR_CORRUPT_MESSAGE);
	CHECK(!kp_batch_crc_ok(b.d, b.n - 1, &h));
	set_be(b.d + 8, INT32_MAX, 4);
	CHECK_EQ(kp_batch_parse(b.d, b.n, &h), 0);
	CHECK_EQ(kp_batch_validate(b.d, b.n, &h), KERR_CORRUPT_MESSAGE);
}

static void test_counts(void)
{
	struct bb b;

	build(&b, 0, three, 3);
	set_be(b.d + 57, 4, 4); /* count 4, last delta 2 */
	finish(&b);
	CHECK_EQ(validate(&b), KERR_INVALID_RECORD);
	set_be(b.d + 23, 3, 4); /* consistent header, 3 records present */
	finish(&b);
	CHECK_EQ(validate(&b), KERR_INVALID_RECORD);
	set_be(b.d + 57, 2, 4); /* 2 claimed: a record is left over */
	set_be(b.d + 23, 1, 4);
	finish(&b);
	CHECK_EQ(validate(&b), KERR_INVALID_RECORD);
	set_be(b.d + 57, 0, 4);
	set_be(b.d + 23, UINT32_MAX, 4); /* -1 */
	finish(&b);
	CHECK_EQ(validate(&b), KERR_INVALID_RECORD);
	set_be(b.d + 57, UINT32_MAX, 4); /* -1 records */
	finish(&b);
	CHECK_EQ(validate(&b), KERR_INVALID_RECORD);
	set_be(b.d + 57, INT32_MAX, 4); /* huge claims, few bytes */
	set_be(b.d + 23, INT32_MAX - 1, 4);
	finish(&b);
	CHECK_EQ(validate(&b), KERR_INVALID_RECORD);
}

static void test_records(void)
{
	struct rec r1 = {0, 0, "k", "v", 0, {0}, {0}};
	struct rec skip[3] = {three[0], three[1], three[2]};
	struct bb b;
	size_t body;

	skip[1].off_delta = 2;
	skip[2].off_delta = 1;
	build(&b, 0, skip, 3);
	CHECK_EQ(validate(&b), KERR_INVALID_RECORD);

	/* record layout for r1 at 61: len, attr, ts, off, klen k, vlen v, nh */
	build(&b, 0, &r1, 1);
	body = b.n - 62;
	CHECK_EQ(b.d[61], body * 2);	     /* zigzag length */
	b.d[61] = (uint8_t)((body + 1) * 2); /* claims one byte too many */
	finish(&b);
	CHECK_EQ(validate(&b), KERR_INVALID_RECORD);
	b.d[61] = (uint8_t)((body - 1) * 2); /* one too few */
	finish(&b);
	CHECK_EQ(validate(&b), KERR_INVALID_RECORD);
	b.d[61] = 0x01; /* negative length (zigzag -1) */
	finish(&b);
	CHECK_EQ(validate(&b), KERR_INVALID_RECORD);
	/* a record whose length covers a byte after its last field */
	build(&b, 0, &r1, 1);
	b.d[61] = (uint8_t)((body + 1) * 2);
	b.d[b.n++] = 0x00;
	finish(&b);
	CHECK_EQ(validate(&b), KERR_INVALID_RECORD);

	build(&b, 0, &r1, 1);
	b.d[65] = 0x03; /* key length -2 */
	finish(&b);
	CHECK_EQ(validate(&b), KERR_INVALID_RECORD);
	build(&b, 0, &r1, 1);
	b.d[b.n - 1] = 0x01; /* header count -1 */
	finish(&b);
	CHECK_EQ(validate(&b), KERR_INVALID_RECORD);
	build(&b, 0, &r1, 1);
	b.d[b.n - 1] = 0x02; /* one header claimed, no bytes for it */
	finish(&b);
	CHECK_EQ(validate(&b), KERR_INVALID_RECORD);

	/* bad varints: timestamp delta with 11 bytes inside the record */
	build(&b, 0, &r1, 1);
	b.n = 61;
	put_var(&b, 1 + 11 + 1 + 2 + 2 + 1);
	put_be(&b, 0, 1);
	for (int i = 0; i < 10; i++)
		put_be(&b, 0x80, 1);
	put_be(&b, 0x00, 1);
	put_be(&b, 0, 1);
	put(&b, "\x02k\x02v\x00", 5);
	finish(&b);
	CHECK_EQ(validate(&b), KERR_INVALID_RECORD);
}

static void test_header_records(void)
{
	struct rec r = {0, 0, "k", "v", 1, {"hk"}, {"hv"}};
	struct bb b;

	build(&b, 0, &r, 1);
	CHECK_EQ(validate(&b), KERR_NONE);
	/* header key: varint 4 "hk" at the end: ... 04 'h' 'k' 04 'h' 'v' */
	CHECK_EQ(b.d[b.n - 6], 0x04);
	b.d[b.n - 6] = 0x01; /* header key length -1: keys are never null */
	finish(&b);
	CHECK_EQ(validate(&b), KERR_INVALID_RECORD);
	build(&b, 0, &r, 1);
	b.d[b.n - 3] = 0x03; /* header value length -2 */
	finish(&b);
	CHECK_EQ(validate(&b), KERR_INVALID_RECORD);
}

/* Two batches back to back: each validates on its own; what to do with
 * the second is the caller's business. */
static void test_two_batches(void)
{
	struct bb b, c;
	struct kp_batch h;

	build(&b, 0, three, 3);
	build(&c, 0, three, 2);
	memcpy(b.d + b.n, c.d, c.n);
	CHECK_EQ(kp_batch_parse(b.d, b.n + c.n, &h), 0);
	CHECK_EQ(kp_batch_validate(b.d, b.n + c.n, &h), KERR_NONE);
	CHECK_EQ((size_t)h.batch_length + 12, b.n);
	CHECK_EQ(kp_batch_parse(b.d + b.n, c.n, &h), 0);
	CHECK_EQ(h.records_count, 2);
	CHECK_EQ(kp_batch_validate(b.d + b.n, c.n, &h), KERR_NONE);
}

int main(void)
{
	test_valid_and_iterate();
	test_compressed();
	test_header_rules();
	test_counts();
	test_records();
	test_header_records();
	test_two_batches();
	return check_finish();
}
