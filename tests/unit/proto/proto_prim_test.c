/* proto_prim_test.c - reader/writer primitives, kp_str helpers, frames
 * and the Kafka error-code table.
 *
 * Usage: proto_prim_test [path/to/proto/spec/error-codes.tsv]
 * With the path, every code in the tsv is checked against kerr_name().
 */
#include <errno.h>
#include <stdlib.h>

#include "base/arena.h"
#include "base/buf.h"
#include "proto/kerr.h"
#include "proto/kp_codec.h"
#include "tests/unit/check.h"

static void test_uvarint(void)
{
	const uint32_t vals[] = {
	    0, 1, 127, 128, 16383, 16384, 0x0fffffff, 0x10000000, UINT32_MAX};
	const size_t lens[] = {1, 1, 1, 2, 2, 3, 4, 5, 5};
	struct buf b;
	struct kp_writer w = {&b};
	struct kp_reader rd;

	buf_init(&b, 0);
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		buf_clear(&b);
		kp_write_uvarint(&w, vals[i]);
		CHECK_EQ(b.len, lens[i]);
		kp_reader_init(&rd, b.data, b.len);
		CHECK_EQ(kp_read_uvarint(&rd), vals[i]);
		CHECK_EQ(rd.err, 0);
		CHECK_EQ(kp_reader_remaining(&rd), 0);
	}
	buf_clear(&b);
	kp_write_uvarlong(&w, UINT64_MAX);
	CHECK_EQ(b.len, 10);
	CHECK_EQ(b.data[9], 0x01);
	kp_reader_init(&rd, b.data, b.len);
	CHECK(kp_read_uvarlong(&rd) == UINT64_MAX);
	CHECK_EQ(rd.err, 0);
	b.data[9] = 0x02; /* bit 64: overflow */
	kp_reader_init(&rd, b.data, b.len);
	CHECK(kp_read_uvarlong(&rd) == 0);
	CHECK_EQ(rd.err, -EBADMSG);
	buf_fini(&b);
}

static void test_zigzag(void)
{
	const int32_t v32[] = {0, -1, 1, INT32_MIN, INT32_MAX, -64, 64};
	const int64_t v64[] = {0, -1, INT64_MIN, INT64_MAX, 1234567890123};
	/* zigzag INT32_MIN is 0xffffffff: ff ff ff ff 0f */
	const uint8_t min32[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
	struct buf b;
	struct kp_writer w = {&b};
	struct kp_reader rd;

	buf_init(&b, 0);
	for (size_t i = 0; i < sizeof(v32) / sizeof(v32[0]); i++) {
		buf_clear(&b);
		kp_write_varint(&w, v32[i]);
		kp_reader_init(&rd, b.data, b.len);
		CHECK_EQ(kp_read_varint(&rd), v32[i]);
		CHECK_EQ(kp_reader_remaining(&rd), 0);
	}
	for (size_t i = 0; i < sizeof(v64) / sizeof(v64[0]); i++) {
		buf_clear(&b);
		kp_write_varlong(&w, v64[i]);
		kp_reader_init(&rd, b.data, b.len);
		CHECK(kp_read_varlong(&rd) == v64[i]);
		CHECK_EQ(kp_reader_remaining(&rd), 0);
	}
	buf_clear(&b);
	kp_write_varint(&w, -1);
	CHECK(b.len == 1 && b.data[0] == 0x01);
	buf_clear(&b);
	kp_write_varint(&w, INT32_MIN);
	CHECK(b.len == 5 && memcmp(b.data, min32, 5) == 0);
	kp_reader_init(&rd, min32, sizeof(min32));
	CHECK_EQ(kp_read_varint(&rd), INT32_MIN);
	buf_fini(&b);
}

static void test_fixed(void)
{
	const uint8_t in[] = {0x80, 0x00, 0xff, 0xfe, 0x12, 0x34,
			      0x56, 0x78, 0x3f, 0xf0, 0,    0,
			      0,    0,	  0,	0,    0x02};
	struct kp_reader rd;
	struct buf b;
	struct kp_writer w = {&b};

	kp_reader_init(&rd, in, sizeof(in));
	CHECK_EQ(kp_read_i16(&rd), INT16_MIN);
	CHECK_EQ(kp_read_u16(&rd), 0xfffe);
	CHECK_EQ(kp_read_u32(&rd), 0x12345678);
	CHECK(kp_read_f64(&rd) == 1.0);
	CHECK(kp_read_bool(&rd)); /* any non-zero byte */
	CHECK_EQ(kp_reader_remaining(&rd), 0);
	CHECK(kp_read_raw(&rd, 0) != NULL);
	CHECK(kp_read_raw(&rd, 1) == NULL);

	buf_init(&b, 0);
	kp_write_i16(&w, INT16_MIN);
	kp_write_u16(&w, 0xfffe);
	kp_write_i32(&w, 0x12345678);
	kp_write_f64(&w, 1.0);
	kp_write_bool(&w, true);
	CHECK_EQ(b.len, sizeof(in));
	CHECK(b.data[16] == 0x01 && memcmp(b.data, in, 16) == 0);
	buf_fini(&b);
}

static void test_strs(void)
{
	struct kp_str s = KP_STR("abc"), n = kp_str_of(NULL), z = {0};
	const char nul[] = {'a', '\0', 'b'};
	struct kp_str sn = {nul, 3};

	CHECK_EQ(s.len, 3);
	CHECK(kp_str_eq(s, "abc"));
	CHECK(!kp_str_eq(s, "ab"));
	CHECK(!kp_str_eq(s, NULL));
	CHECK(n.ptr == NULL && n.len == -1);
	CHECK(kp_str_eq(n, NULL));
	CHECK(!kp_str_eq(n, ""));
	CHECK(kp_str_eq(z, ""));
	CHECK(kp_str_eq(kp_str_of("x"), "x"));
	CHECK(kp_str_has_nul(sn));
	CHECK(!kp_str_eq(sn, "a"));
	CHECK(!kp_str_has_nul(s));
	CHECK(!kp_str_has_nul(n));
}

static void test_writer_errors(void)
{
	struct buf b;
	struct kp_writer w = {&b};
	char *big = malloc(40000);
	struct kp_str s = {big, 40000};

	memset(big, 'x', 40000);
	buf_init(&b, 0);
	kp_write_str(&w, false, false, s);
	CHECK_EQ(b.err, -EMSGSIZE); /* int16 length */
	buf_clear(&b);
	kp_write_str(&w, true, false, s);
	CHECK_EQ(b.err, 0);
	CHECK_EQ(b.len, 3 + 40000);
	buf_clear(&b);
	kp_write_str(&w, false, false, (struct kp_str){NULL, 5});
	CHECK_EQ(b.err, -EINVAL);
	buf_clear(&b);
	kp_write_str(&w, false, false, KP_STR_NULL);
	kp_write_str(&w, false, true, KP_STR_NULL);
	kp_write_bytes(&w, true, false, KP_BYTES_NULL);
	kp_write_bytes(&w, true, true, KP_BYTES_NULL);
	CHECK(b.len == 6 && memcmp(b.data, "\0\0\xff\xff\x01\0", 6) == 0);
	buf_fini(&b);

	buf_init(&b, 8); /* capped buffer: sticky EMSGSIZE */
	kp_write_i64(&w, 1);
	kp_write_i8(&w, 1);
	CHECK_EQ(b.err, -EMSGSIZE);
	CHECK_EQ(b.len, 8);
	kp_write_i8(&w, 1);
	CHECK_EQ(b.len, 8);
	buf_fini(&b);
	free(big);
}

static void test_frames(void)
{
	struct buf b;
	struct kp_writer w = {&b};
	size_t mark, inner;

	buf_init(&b, 0);
	kp_write_i8(&w, 7);
	mark = kp_frame_begin(&w);
	CHECK_EQ(mark, 1);
	kp_write_i16(&w, 1);
	inner = b.len;
	for (int i = 0; i < 200; i++)
		kp_write_i8(&w, (int8_t)i);
	kp_write_size_prefix(&w, inner); /* 200 -> uvarint c8 01 */
	kp_frame_end(&w, mark);
	CHECK_EQ(b.err, 0);
	CHECK_EQ(b.len, 1 + 4 + 2 + 2 + 200);
	CHECK(memcmp(b.data, "\x07\x00\x00\x00\xcc\x00\x01\xc8\x01\x00\x01",
		     11) == 0);
	CHECK_EQ(b.data[b.len - 1], 199);
	kp_frame_end(&w, b.len - 2); /* fewer than 4 bytes after mark */
	CHECK_EQ(b.err, -EINVAL);
	buf_fini(&b);
}

static void test_read_helpers(void)
{
	const uint8_t in[] = {0x00, 0x02, 'h',	'i',  0x00, 0x00,
			      0x00, 0x01, 0xaa, 0x03, 0x00};
	struct arena a;
	struct kp_reader rd;
	struct kp_str s;
	struct kp_bytes v;

	arena_init(&a, 0);
	kp_reader_init(&rd, in, sizeof(in));
	CHECK_EQ(kp_read_str(&rd, false, false, &a, &s), 0);
	CHECK(kp_str_eq(s, "hi") && s.ptr != (const char *)in + 2);
	CHECK_EQ(kp_read_bytes(&rd, false, false, &v), 0);
	CHECK(v.len == 1 && v.ptr == in + 8);
	/* compact array of 2 with one byte left (min 1 byte each) */
	CHECK_EQ(kp_read_array_len(&rd, true, false, 1), 0);
	CHECK_EQ(rd.err, -EBADMSG);
	kp_reader_init(&rd, in + 9, 2);
	CHECK_EQ(kp_read_array_len(&rd, true, false, 0), 0); /* 2 > 1 left */
	CHECK_EQ(rd.err, -EBADMSG);
	kp_reader_init(&rd, in + 10, 1);
	CHECK_EQ(kp_read_array_len(&rd, true, true, 4), -1); /* null */
	CHECK_EQ(rd.err, 0);
	arena_fini(&a);
}

static void test_kerr_names(void)
{
	CHECK_EQ(KERR_NONE, 0);
	CHECK_EQ(KERR_UNKNOWN_SERVER_ERROR, -1);
	CHECK_EQ(KERR_CORRUPT_MESSAGE, 2);
	CHECK_EQ(KERR_UNKNOWN_TOPIC_OR_PARTITION, 3);
	CHECK_EQ(KERR_INVALID_TOPIC_EXCEPTION, 17);
	CHECK_EQ(KERR_UNSUPPORTED_VERSION, 35);
	CHECK_EQ(KERR_KAFKA_STORAGE_ERROR, 56);
	CHECK_EQ(KERR_UNSUPPORTED_COMPRESSION_TYPE, 76);
	CHECK_EQ(KERR_INVALID_RECORD, 87);
	CHECK(strcmp(kerr_name(KERR_NONE), "NONE") == 0);
	CHECK(strcmp(kerr_name(-1), "UNKNOWN_SERVER_ERROR") == 0);
	CHECK(strcmp(kerr_name(9999), "UNKNOWN") == 0);
	CHECK(strcmp(kerr_name(-2), "UNKNOWN") == 0);
}

/* Every row of the tsv maps to its name (the table test). */
static void test_kerr_table(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256], name[200];
	int code, rows = 0;

	CHECK(f != NULL);
	if (!f)
		return;
	if (!fgets(line, sizeof(line), f)) /* header */
		line[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%d\t%199s", &code, name) != 2)
			continue;
		rows++;
		if (strcmp(kerr_name((int16_t)code), name) != 0) {
			fprintf(stderr, "code %d: %s != %s\n", code,
				kerr_name((int16_t)code), name);
			CHECK(0);
		}
	}
	fclose(f);
	CHECK(rows > 100);
}

int main(int argc, char **argv)
{
	test_uvarint();
	test_zigzag();
	test_fixed();
	test_strs();
	test_writer_errors();
	test_frames();
	test_read_helpers();
	test_kerr_names();
	if (argc > 1)
		test_kerr_table(argv[1]);
	return check_finish();
}
