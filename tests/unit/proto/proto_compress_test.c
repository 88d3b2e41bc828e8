/* proto_compress_test.c - bounded decompression and compressed batches.
 *
 * Payloads are compressed here with each codec library's own encoder
 * (gzip via zlib's deflate with a gzip wrapper, raw and xerial-framed
 * snappy, the LZ4 frame format, zstd frames), then fed to kp_decompress()
 * and, inside a v2 batch, to kp_batch_validate_deep() / kp_batch_records().
 * Hostile cases: bombs past the budget, truncation, trailing garbage,
 * corrupt bytes, zstd skippable frames.
 */
#include <errno.h>
#include <stdlib.h>

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "base/buf.h"
#include "base/crc32c.h"
#include "proto/batch.h"
#include "proto/compress.h"
#include "proto/kerr.h"
#include "tests/unit/check.h"

/* --- encoders (the libraries' own) ------------------------------------- */

static size_t enc_gzip(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	deflate(&zs, Z_FINISH);
	deflateEnd(&zs);
	return cap - zs.avail_out;
}

static size_t enc_snappy(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	size_t len = cap;

	snappy_compress((const char *)in, n, (char *)out, &len);
	return len;
}

static size_t enc_xerial(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	static const uint8_t hdr[16] = { 0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0,
					 0, 0, 0, 1, 0, 0, 0, 1 };
	size_t half = n / 2, off = 16;

	memcpy(out, hdr, 16);
	for (int i = 0; i < 2; i++) {
		const uint8_t *p = in + (i ? half : 0);
		size_t len = cap - off - 4, pn = i ? n - half : half;
		snappy_compress((const char *)p, pn, (char *)out + off + 4, &len);
		out[off] = (uint8_t)(len >> 24);
		out[off + 1] = (uint8_t)(len >> 16);
		out[off + 2] = (uint8_t)(len >> 8);
		out[off + 3] = (uint8_t)len;
		off += 4 + len;
	}
	return off;
}

static size_t enc_lz4(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	return LZ4F_compressFrame(out, cap, in, n, NULL);
}

static size_t enc_zstd(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	return ZSTD_compress(out, cap, in, n, 3);
}

typedef size_t (*enc_fn)(const uint8_t *, size_t, uint8_t *, size_t);

static const struct {
	int codec;
	enc_fn enc;
	const char *name;
} codecs[] = {
	{ KP_CODEC_GZIP, enc_gzip, "gzip" },
	{ KP_CODEC_SNAPPY, enc_snappy, "snappy" },
	{ KP_CODEC_SNAPPY, enc_xerial, "snappy-xerial" },
	{ KP_CODEC_LZ4, enc_lz4, "lz4" },
	{ KP_CODEC_ZSTD, enc_zstd, "zstd" },
};
#define NCODECS (sizeof(codecs) / sizeof(codecs[0]))

/* --- records and batches ------------------------------------------------ */

static size_t put_var(uint8_t *p, int64_t v)
{
	uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	size_t n = 0;

	while (u >= 0x80) {
		p[n++] = (uint8_t)(u | 0x80);
		u >>= 7;
	}
	p[n++] = (uint8_t)u;
	return n;
}

/* n records "key-i" -> "value-i", no headers, timestamp delta i. */
static size_t records(uint8_t *out, int n)
{
	size_t off = 0;

	for (int i = 0; i < n; i++) {
		uint8_t body[64];
		char k[16], v[16];
		size_t b = 0, kl = (size_t)snprintf(k, sizeof(k), "key-%d", i),
		       vl = (size_t)snprintf(v, sizeof(v), "value-%d", i);
		body[b++] = 0; /* attributes */
		b += put_var(body + b, i);
		b += put_var(body + b, i);
		b += put_var(body + b, (int64_t)kl);
		memcpy(body + b, k, kl);
		b += kl;
		b += put_var(body + b, (int64_t)vl);
		memcpy(body + b, v, vl);
		b += vl;
		b += put_var(body + b, 0);
		off += put_var(out + off, (int64_t)b);
		memcpy(out + off, body, b);
		off += b;
	}
	return off;
}

static void set_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* A batch of `count` claimed records with payload as its records section. */
static size_t batch(uint8_t *b, int codec, const uint8_t *payload, size_t n,
		    int count)
{
	memset(b, 0, 61);
	set_be(b + 12, 0, 4);
	b[16] = 2;
	set_be(b + 21, (uint16_t)codec, 2);
	set_be(b + 23, (uint32_t)(count - 1), 4);
	set_be(b + 27, 1000, 8);
	set_be(b + 35, 1000 + count - 1, 8);
	set_be(b + 43, UINT64_MAX, 8);
	set_be(b + 51, 0xffff, 2);
	set_be(b + 53, UINT32_MAX, 4);
	set_be(b + 57, (uint32_t)count, 4);
	memcpy(b + 61, payload, n);
	set_be(b + 8, 61 + n - 12, 4);
	set_be(b + 17, crc32c(0, b + 21, 61 + n - 21), 4);
	return 61 + n;
}

static int16_t deep(const uint8_t *b, size_t n, size_t budget)
{
	struct kp_batch h;
	struct buf scratch;
	int16_t err;

	if (kp_batch_parse(b, n, &h))
		return -100;
	buf_init(&scratch, 0);
	err = kp_batch_validate_deep(b, n, &h, budget, &scratch);
	buf_fini(&scratch);
	return err;
}

/* --- tests -------------------------------------------------------------------- */

static void test_round_trip(void)
{
	static uint8_t raw[8192], comp[16384], b[20000];
	size_t rn = records(raw, 50);

	for (size_t c = 0; c < NCODECS; c++) {
		size_t cn = codecs[c].enc(raw, rn, comp, sizeof(comp));
		struct buf out;
		buf_init(&out, 0);
		CHECK_EQ(kp_decompress(codecs[c].codec, comp, cn, 1 << 20, &out), 0);
		CHECK_EQ(out.len, rn);
		CHECK(out.len == rn && memcmp(out.data, raw, rn) == 0);
		/* exactly at the budget is fine, one byte under is not */
		buf_clear(&out);
		CHECK_EQ(kp_decompress(codecs[c].codec, comp, cn, rn, &out), 0);
		buf_clear(&out);
		CHECK_EQ(kp_decompress(codecs[c].codec, comp, cn, rn - 1, &out),
			 -EMSGSIZE);
		buf_fini(&out);

		size_t bn = batch(b, codecs[c].codec, comp, cn, 50);
		CHECK_EQ(deep(b, bn, 1 << 20), KERR_NONE);
		CHECK_EQ(deep(b, bn, 100), KERR_MESSAGE_TOO_LARGE);
		bn = batch(b, codecs[c].codec, comp, cn, 49);
		CHECK_EQ(deep(b, bn, 1 << 20), KERR_INVALID_RECORD);
		bn = batch(b, codecs[c].codec, comp, cn, 51);
		CHECK_EQ(deep(b, bn, 1 << 20), KERR_INVALID_RECORD);
	}
}

static void test_records_iterate(void)
{
	static uint8_t raw[4096], comp[8192], b[9000];
	size_t rn = records(raw, 7), cn = enc_lz4(raw, rn, comp, sizeof(comp));
	size_t bn = batch(b, KP_CODEC_LZ4, comp, cn, 7);
	struct kp_record_iter it;
	struct kp_record rec;
	struct kp_batch h;
	struct buf scratch;
	int i = 0;

	buf_init(&scratch, 0);
	CHECK_EQ(kp_batch_parse(b, bn, &h), 0);
	CHECK_EQ(kp_batch_records(&it, b, bn, &h, 1 << 20, &scratch), 0);
	while (kp_record_iter_next(&it, &rec) == 1) {
		char want[16];
		int n = snprintf(want, sizeof(want), "value-%d", i);
		CHECK_EQ(rec.offset_delta, i);
		CHECK_EQ(rec.timestamp_delta, i);
		CHECK(rec.value.len == n && memcmp(rec.value.ptr, want, (size_t)n) == 0);
		i++;
	}
	CHECK_EQ(i, 7);
	buf_fini(&scratch);
}

/* 16 MiB of zeros compresses to a few KiB: the decoder must stop at the
 * budget without allocating the whole output. */
static void test_bombs(void)
{
	/* snappy and lz4 want room for their worst case, not the result */
	size_t big = 16u << 20, cap = 24u << 20;
	uint8_t *zeros = calloc(1, big), *comp = malloc(cap);

	for (size_t c = 0; c < NCODECS; c++) {
		size_t cn;
		struct buf out;
		if (codecs[c].enc == enc_xerial)
			continue; /* same decoder as raw snappy */
		cn = codecs[c].enc(zeros, big, comp, cap);
		CHECK(cn > 0 && cn < (1u << 20));
		buf_init(&out, 0);
		CHECK_EQ(kp_decompress(codecs[c].codec, comp, cn, 1 << 20, &out),
			 -EMSGSIZE);
		CHECK(out.cap <= (2u << 20));
		buf_fini(&out);
	}
	free(zeros);
	free(comp);
}

static void test_malformed(void)
{
	static uint8_t raw[8192], comp[16384];
	size_t rn = records(raw, 50);
	struct buf out;

	buf_init(&out, 0);
	for (size_t c = 0; c < NCODECS; c++) {
		size_t cn = codecs[c].enc(raw, rn, comp, sizeof(comp));
		/* truncated */
		buf_clear(&out);
		CHECK_EQ(kp_decompress(codecs[c].codec, comp, cn - 3, 1 << 20, &out),
			 -EBADMSG);
		/* trailing garbage */
		comp[cn] = 0x55;
		comp[cn + 1] = 0x66;
		comp[cn + 2] = 0x77;
		buf_clear(&out);
		CHECK_EQ(kp_decompress(codecs[c].codec, comp, cn + 3, 1 << 20, &out),
			 -EBADMSG);
		/* empty */
		buf_clear(&out);
		CHECK(kp_decompress(codecs[c].codec, comp, 0, 1 << 20, &out) != 0 ||
		      out.len == 0);
	}
	/* corrupt gzip body -> CORRUPT_MESSAGE inside a batch */
	{
		static uint8_t b[20000];
		size_t cn = enc_gzip(raw, rn, comp, sizeof(comp)), bn;
		comp[cn / 2] ^= 0xff;
		bn = batch(b, KP_CODEC_GZIP, comp, cn, 50);
		CHECK_EQ(deep(b, bn, 1 << 20), KERR_CORRUPT_MESSAGE);
	}
	CHECK_EQ(kp_decompress(5, comp, 10, 1 << 20, &out), -ENOTSUP);
	buf_fini(&out);
}

static void test_frames(void)
{
	static uint8_t raw[4096], comp[16384];
	size_t rn = records(raw, 20), a, n;
	struct buf out;

	buf_init(&out, 0);
	/* two gzip members concatenated: both decoded */
	a = enc_gzip(raw, rn, comp, sizeof(comp));
	n = a + enc_gzip(raw, rn, comp + a, sizeof(comp) - a);
	CHECK_EQ(kp_decompress(KP_CODEC_GZIP, comp, n, 1 << 20, &out), 0);
	CHECK_EQ(out.len, 2 * rn);
	/* two zstd frames: both decoded */
	buf_clear(&out);
	a = enc_zstd(raw, rn, comp, sizeof(comp));
	n = a + enc_zstd(raw, rn, comp + a, sizeof(comp) - a);
	CHECK_EQ(kp_decompress(KP_CODEC_ZSTD, comp, n, 1 << 20, &out), 0);
	CHECK_EQ(out.len, 2 * rn);
	/* a skippable zstd frame is refused */
	{
		uint8_t skip[12] = { 0x50, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 1, 2, 3, 4 };
		memmove(comp + sizeof(skip), comp, a);
		memcpy(comp, skip, sizeof(skip));
		buf_clear(&out);
		CHECK_EQ(kp_decompress(KP_CODEC_ZSTD, comp, a + sizeof(skip),
				       1 << 20, &out), -EBADMSG);
	}
	/* two lz4 frames */
	buf_clear(&out);
	a = enc_lz4(raw, rn, comp, sizeof(comp));
	n = a + enc_lz4(raw, rn, comp + a, sizeof(comp) - a);
	CHECK_EQ(kp_decompress(KP_CODEC_LZ4, comp, n, 1 << 20, &out), 0);
	CHECK_EQ(out.len, 2 * rn);
	buf_fini(&out);
}

int main(void)
{
	test_round_trip();
	test_records_iterate();
	test_bombs();
	test_malformed();
	test_frames();
	return check_finish();
}
