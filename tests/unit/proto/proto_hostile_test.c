/* proto_hostile_test.c - malformed peer input (reliability.md 3.2 P1-P7).
 *
 * Every case must be rejected with -EBADMSG (or -ENOMEM at the arena
 * limit) and must not make the decoder allocate more than a few bytes,
 * whatever lengths and counts the input claims.
 */
#include <errno.h>
#include <stdlib.h>

#include "base/arena.h"
#include "proto/kp_gen.h"
#include "tests/unit/check.h"

#define SMALL_ARENA 4096 /* more than any rejected case may use */

/* Decode body with s at version; returns rc and the arena bytes used. */
static int decode(const struct kp_schema *s, int16_t v, const uint8_t *p,
		  size_t len, size_t *used)
{
	struct arena a;
	struct kp_reader rd;
	void *obj = malloc(s->size);
	int rc;

	arena_init(&a, 1 << 20);
	kp_reader_init(&rd, p, len);
	rc = kp_schema_decode(s, &rd, v, &a, obj);
	if (rc == 0 && kp_reader_remaining(&rd))
		rc = 1; /* trailing bytes: not what any case here wants */
	*used = a.used;
	arena_fini(&a);
	free(obj);
	return rc;
}

#define REJECT(schema, ver, ...)                                               \
	do {                                                                   \
		const uint8_t in_[] = {__VA_ARGS__};                           \
		size_t used_;                                                  \
		CHECK_EQ(decode(&(schema), ver, in_, sizeof(in_), &used_),     \
			 -EBADMSG);                                            \
		CHECK(used_ <= SMALL_ARENA);                                   \
	} while (0)

#define ACCEPT(schema, ver, ...)                                               \
	do {                                                                   \
		const uint8_t in_[] = {__VA_ARGS__};                           \
		size_t used_;                                                  \
		CHECK_EQ(decode(&(schema), ver, in_, sizeof(in_), &used_), 0); \
	} while (0)

#define FOO 0x00, 0x03, 'f', 'o', 'o'

/* P1, P3: counts larger than the bytes could hold. */
static void test_array_counts(void)
{
	ACCEPT(kp_metadata_request_schema, 1, 0, 0, 0, 1, FOO);
	REJECT(kp_metadata_request_schema, 1, 0, 0, 0x03, 0xe8, FOO); /* 1000 */
	REJECT(kp_metadata_request_schema, 1, 0x7f, 0xff, 0xff, 0xff, FOO);
	/* ListOffsets v1: 4-byte replica id, then topics; 2 claimed, 1 sent */
	REJECT(kp_list_offsets_request_schema, 1, 0xff, 0xff, 0xff, 0xff, 0, 0,
	       0, 2, FOO, 0, 0, 0, 0);
	/* arrays of int32: 3 elements need 12 bytes */
	REJECT(kp_create_topics_request_schema, 2, 0, 0, 0, 1, FOO, 0, 0, 0, 1,
	       0, 1, 0, 0, 0, 1, 0, 0, 0, 0x03, 0, 0, 0, 1);
	/* compact: INT32_MAX elements (uvarint 0x80000000) */
	REJECT(kp_metadata_request_schema, 12, 0x80, 0x80, 0x80, 0x80, 0x08,
	       0x00, 0x00, 0x00);
	/* compact: N+1 = 0xffffffff, N > INT32_MAX */
	REJECT(kp_metadata_request_schema, 12, 0xff, 0xff, 0xff, 0xff, 0x0f,
	       0x00, 0x00, 0x00);
	/* compact N+1 = 3 with room for one 18-byte topic */
	REJECT(kp_metadata_request_schema, 12, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	       0, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 0x01, 0x00, 0x00);
}

/* P2, P4: negative and null counts. */
static void test_array_nulls(void)
{
	REJECT(kp_metadata_request_schema, 1, 0xff, 0xff, 0xff, 0xfe);
	REJECT(kp_metadata_request_schema, 1, 0x80, 0x00, 0x00, 0x00);
	REJECT(kp_metadata_request_schema, 0, 0xff, 0xff, 0xff, 0xff);
	ACCEPT(kp_metadata_request_schema, 1, 0xff, 0xff, 0xff, 0xff);
	/* Produce v3 topic_data is never nullable */
	REJECT(kp_produce_request_schema, 3, 0xff, 0xff, 0x00, 0x01, 0x00, 0x00,
	       0x00, 0x00, 0xff, 0xff, 0xff, 0xff);
	/* Produce v9 topic_data compact 0 = null: not nullable */
	REJECT(kp_produce_request_schema, 9, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	       0x00, 0x00, 0x00);
	ACCEPT(kp_produce_request_schema, 9, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	       0x00, 0x01, 0x00);
}

/* P5: strings and bytes. */
static void test_strings(void)
{
	/* length 100 with 3 bytes present */
	REJECT(kp_metadata_request_schema, 1, 0, 0, 0, 1, 0x00, 0x64, 'f', 'o',
	       'o');
	/* int16 length -2 */
	REJECT(kp_metadata_request_schema, 1, 0, 0, 0, 1, 0xff, 0xfe);
	/* null name before v10 (not nullable) */
	REJECT(kp_metadata_request_schema, 1, 0, 0, 0, 1, 0xff, 0xff);
	/* compact 0 for a non-nullable name (Produce v9 topic name) */
	REJECT(kp_produce_request_schema, 9, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0x02,
	       0x00, 0x01, 0x00, 0x00);
	/* compact bytes of length 2^30 (records) with 4 bytes present */
	REJECT(kp_produce_request_schema, 9, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0x02,
	       0x02, 'x', 0x02, 0, 0, 0, 0, 0x81, 0x80, 0x80, 0x80, 0x04, 0xde,
	       0xad, 0xbe, 0xef);
	/* int32 bytes length -2 (Produce v3 records) */
	REJECT(kp_produce_request_schema, 3, 0xff, 0xff, 0x00, 0x01, 0, 0, 0, 0,
	       0, 0, 0, 1, FOO, 0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xfe);
	/* the same with -1 (records are nullable) is fine */
	ACCEPT(kp_produce_request_schema, 3, 0xff, 0xff, 0x00, 0x01, 0, 0, 0, 0,
	       0, 0, 0, 1, FOO, 0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff);
}

/* Fetch v12 request body before its tagged fields. */
#define FETCH12                                                                \
	0xff, 0xff, 0xff, 0xff, 0, 0, 0x01, 0xf4, 0, 0, 0, 1, 0x7f, 0xff,      \
	    0xff, 0xff, 0x00, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x01, 0x01,  \
	    0x01

/* P6: tagged field sections. */
static void test_tags(void)
{
	ACCEPT(kp_fetch_request_schema, 12, FETCH12, 0x00);
	/* known tag 0 (ClusterId "c") and an unknown tag 7, skipped */
	ACCEPT(kp_fetch_request_schema, 12, FETCH12, 0x02, 0x00, 0x02, 0x02,
	       'c', 0x07, 0x01, 0xaa);
	/* count larger than the bytes left */
	REJECT(kp_fetch_request_schema, 12, FETCH12, 0x05, 0x07, 0x00);
	REJECT(kp_fetch_request_schema, 12, FETCH12, 0xff, 0xff, 0xff, 0xff,
	       0x0f);
	/* duplicate tag ids */
	REJECT(kp_fetch_request_schema, 12, FETCH12, 0x02, 0x07, 0x00, 0x07,
	       0x00);
	/* descending tag ids */
	REJECT(kp_fetch_request_schema, 12, FETCH12, 0x02, 0x08, 0x00, 0x07,
	       0x00);
	/* size larger than the bytes left */
	REJECT(kp_fetch_request_schema, 12, FETCH12, 0x01, 0x07, 0x05, 0xaa);
	/* a known tag whose value is shorter / longer than its size */
	REJECT(kp_fetch_request_schema, 12, FETCH12, 0x01, 0x00, 0x03, 0x02,
	       'c', 0x00);
	REJECT(kp_fetch_request_schema, 12, FETCH12, 0x01, 0x00, 0x01, 0x02);
	/* a known tag holding a value that is itself malformed */
	REJECT(kp_fetch_request_schema, 12, FETCH12, 0x01, 0x00, 0x02, 0x05,
	       'c');
	/* ReplicaState is tag 1 only from v15: unknown at v12, skipped */
	ACCEPT(kp_fetch_request_schema, 12, FETCH12, 0x01, 0x01, 0x02, 0xaa,
	       0xbb);
}

/* P6: a tag size over 128 KiB is rejected even when the bytes exist. */
static void test_tag_oversize(void)
{
	const uint8_t head[] = {FETCH12, 0x01, 0x07};
	size_t big = 128 * 1024 + 1, len = sizeof(head) + 3 + big, used;
	uint8_t *p = calloc(1, len);

	memcpy(p, head, sizeof(head));
	/* uvarint 131073 = 0x20001 */
	p[sizeof(head)] = 0x81;
	p[sizeof(head) + 1] = 0x80;
	p[sizeof(head) + 2] = 0x08;
	CHECK_EQ(decode(&kp_fetch_request_schema, 12, p, len, &used), -EBADMSG);
	/* exactly 128 KiB is allowed (unknown tag, skipped) */
	p[sizeof(head)] = 0x80;
	CHECK_EQ(decode(&kp_fetch_request_schema, 12, p, len - 1, &used), 0);
	free(p);
}

/* P7: varints. */
static void test_varints(void)
{
	/* compact array length with 6 bytes */
	REJECT(kp_metadata_request_schema, 12, 0x81, 0x80, 0x80, 0x80, 0x80,
	       0x00, 0x00, 0x00, 0x00);
	/* 5 bytes whose last one overflows 32 bits */
	REJECT(kp_metadata_request_schema, 12, 0x81, 0x80, 0x80, 0x80, 0x10,
	       0x00, 0x00);
	/* continuation bit on the last byte of input */
	REJECT(kp_metadata_request_schema, 12, 0x80);
	/* tag count varint cut short */
	REJECT(kp_fetch_request_schema, 12, FETCH12, 0x81);
	/* a non-minimal but in-range varint (0x80 0x00 = 0) is accepted */
	ACCEPT(kp_fetch_request_schema, 12, FETCH12, 0x80, 0x00);
}

/* The arena limit turns into -ENOMEM, not a crash or an overrun. */
static void test_arena_limit(void)
{
	uint8_t in[4 + 40 * 7];
	struct arena a;
	struct kp_reader rd;
	struct kp_metadata_request req;
	size_t n = 0;

	in[n++] = 0;
	in[n++] = 0;
	in[n++] = 0;
	in[n++] = 40;
	for (int i = 0; i < 40; i++) {
		in[n++] = 0;
		in[n++] = 5;
		memcpy(in + n, "topic", 5);
		n += 5;
	}
	arena_init(&a, 256);
	kp_reader_init(&rd, in, n);
	CHECK_EQ(kp_metadata_request_decode(&rd, 1, &a, &req), -ENOMEM);
	CHECK(a.used <= 256);
	arena_fini(&a);
	arena_init(&a, 0);
	kp_reader_init(&rd, in, n);
	CHECK_EQ(kp_metadata_request_decode(&rd, 1, &a, &req), 0);
	CHECK_EQ(req.topics_count, 40);
	CHECK(kp_str_eq(req.topics[39].name, "topic"));
	arena_fini(&a);
}

/* A sticky error stays: later reads return zero, decode reports it. */
static void test_sticky(void)
{
	const uint8_t in[] = {0x00, 0x01, 0x02};
	struct kp_reader rd;
	struct arena a;
	struct kp_metadata_request req;

	kp_reader_init(&rd, in, sizeof(in));
	CHECK_EQ(kp_read_i32(&rd), 0);
	CHECK_EQ(rd.err, -EBADMSG);
	CHECK_EQ(kp_read_i8(&rd), 0);
	CHECK_EQ(kp_reader_remaining(&rd), 0);
	arena_init(&a, 0);
	CHECK_EQ(kp_metadata_request_decode(&rd, 1, &a, &req), -EBADMSG);
	CHECK_EQ(req.topics_count, 0); /* initialised even so */
	arena_fini(&a);
}

int main(void)
{
	test_array_counts();
	test_array_nulls();
	test_strings();
	test_tags();
	test_tag_oversize();
	test_varints();
	test_arena_limit();
	test_sticky();
	return check_finish();
}
