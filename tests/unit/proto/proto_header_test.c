/* proto_header_test.c - request/response headers and the API table.
 *
 * Header versions follow the API's flexible versions; the client id is
 * never compact; unknown keys and versions still decode as v1 so the
 * broker can answer ApiVersions (KIP-511) or close.
 */
#include <errno.h>

#include "base/arena.h"
#include "base/buf.h"
#include "proto/kp_gen.h"
#include "tests/unit/check.h"

static struct arena arena;

static int decode_hdr(const uint8_t *p, size_t len, struct kp_request_header *h,
		      size_t *left)
{
	struct kp_reader rd;
	int rc;

	kp_reader_init(&rd, p, len);
	rc = kp_request_header_decode(&rd, &arena, h);
	*left = kp_reader_remaining(&rd);
	return rc;
}

static void test_versions(void)
{
	CHECK_EQ(kp_request_header_version(KP_API_METADATA, 8), 1);
	CHECK_EQ(kp_request_header_version(KP_API_METADATA, 9), 2);
	CHECK_EQ(kp_request_header_version(KP_API_API_VERSIONS, 2), 1);
	CHECK_EQ(kp_request_header_version(KP_API_API_VERSIONS, 3), 2);
	CHECK_EQ(kp_request_header_version(KP_API_API_VERSIONS, 5), 1);
	CHECK_EQ(kp_request_header_version(KP_API_SASL_HANDSHAKE, 1), 1);
	CHECK_EQ(kp_request_header_version(999, 0), 1);
	CHECK_EQ(kp_request_header_version(-1, 0), 1);
	CHECK_EQ(kp_response_header_version(KP_API_API_VERSIONS, 3), 0);
	CHECK_EQ(kp_response_header_version(KP_API_API_VERSIONS, 4), 0);
	CHECK_EQ(kp_response_header_version(KP_API_METADATA, 9), 1);
	CHECK_EQ(kp_response_header_version(KP_API_METADATA, 8), 0);
	CHECK_EQ(kp_response_header_version(KP_API_PRODUCE, 12), 0);
	CHECK_EQ(kp_response_header_version(999, 3), 0);
}

static void test_api_table(void)
{
	const struct kp_api_info *p = kp_api_find(KP_API_PRODUCE);
	const struct kp_api_info *sh = kp_api_find(KP_API_SASL_HANDSHAKE);
	const struct kp_api_info *dc = kp_api_find(KP_API_DESCRIBE_CLUSTER);

	CHECK(p && strcmp(p->name, "Produce") == 0);
	CHECK(p && p->min_version == 0 && p->max_version == 11);
	CHECK(p && p->flexible_min == 9);
	CHECK(p && p->request == &kp_produce_request_schema);
	CHECK(p && p->response == &kp_produce_response_schema);
	CHECK(sh && sh->flexible_min == KP_NOT_FLEXIBLE);
	CHECK(dc && strcmp(dc->name, "DescribeCluster") == 0);
	CHECK_EQ(KP_API_DESCRIBE_CLUSTER, 60);
	CHECK_EQ(KP_API_INCREMENTAL_ALTER_CONFIGS, 44);
	CHECK_EQ(KP_API_ALTER_USER_SCRAM_CREDENTIALS, 51);
	CHECK(kp_api_find(KP_API_API_VERSIONS) &&
	      strcmp(kp_api_find(KP_API_API_VERSIONS)->name, "ApiVersions") ==
		  0);
	CHECK(kp_api_find(7) == NULL);
	CHECK(kp_api_find(INT16_MAX) == NULL);
	CHECK(kp_api_find(INT16_MIN) == NULL);
}

static void test_request_headers(void)
{
	/* ApiVersions v4: header v2, tags after the (non-compact) client id */
	const uint8_t av4[] = {0x00, 0x12, 0x00, 0x04, 0x00, 0x00, 0x00,
			       0x05, 0x00, 0x02, 'c',  'l',  0x00, 0x03,
			       'a',  'b',  0x02, '1',  0x00};
	/* ApiVersions v9 (unknown to the spec): decoded as v1, body left */
	const uint8_t av9[] = {0x00, 0x12, 0x00, 0x09, 0x00, 0x00, 0x00,
			       0x06, 0x00, 0x00, 0x00, 0x02, 'x',  0x00};
	/* unknown api key 999 */
	const uint8_t unk[] = {0x03, 0xe7, 0x00, 0x00, 0x00, 0x00,
			       0x00, 0x07, 0xff, 0xff, 0xaa, 0xbb};
	/* v2 header with an unknown tag, which is skipped */
	const uint8_t tagged[] = {0x00, 0x03, 0x00, 0x0c, 0x00,
				  0x00, 0x00, 0x01, 0x00, 0x00,
				  0x01, 0x09, 0x02, 0xaa, 0xbb};
	struct kp_request_header h;
	struct kp_api_versions_request req;
	struct kp_reader rd;
	size_t left;

	CHECK_EQ(decode_hdr(av4, sizeof(av4), &h, &left), 0);
	CHECK_EQ(h.request_api_version, 4);
	CHECK_EQ(h.correlation_id, 5);
	CHECK(kp_str_eq(h.client_id, "cl"));
	CHECK_EQ(left, 6);
	kp_reader_init(&rd, av4 + sizeof(av4) - 6, 6);
	CHECK_EQ(kp_api_versions_request_decode(&rd, 4, &arena, &req), 0);
	CHECK(kp_str_eq(req.client_software_name, "ab"));
	CHECK_EQ(kp_reader_remaining(&rd), 0);

	CHECK_EQ(decode_hdr(av9, sizeof(av9), &h, &left), 0);
	CHECK_EQ(h.request_api_version, 9);
	CHECK(kp_str_eq(h.client_id, ""));
	CHECK_EQ(left, 4); /* the header tag byte belongs to the body here */

	CHECK_EQ(decode_hdr(unk, sizeof(unk), &h, &left), 0);
	CHECK_EQ(h.request_api_key, 999);
	CHECK_EQ(h.correlation_id, 7);
	CHECK(h.client_id.len == -1);
	CHECK_EQ(left, 2);

	CHECK_EQ(decode_hdr(tagged, sizeof(tagged), &h, &left), 0);
	CHECK_EQ(h.request_api_version, 12);
	CHECK_EQ(left, 0);
}

static void test_bad_headers(void)
{
	const uint8_t short3[] = {0x00, 0x12, 0x00};
	const uint8_t no_corr[] = {0x00, 0x12, 0x00, 0x00, 0x00, 0x00};
	const uint8_t long_id[] = {0x00, 0x12, 0x00, 0x00, 0x00, 0x00,
				   0x00, 0x01, 0x00, 0x09, 'a'};
	const uint8_t neg_id[] = {0x00, 0x12, 0x00, 0x00, 0x00,
				  0x00, 0x00, 0x01, 0x80, 0x00};
	/* v2 header whose tag count exceeds what is left */
	const uint8_t bad_tags[] = {0x00, 0x03, 0x00, 0x0c, 0x00, 0x00,
				    0x00, 0x01, 0x00, 0x00, 0x7f, 0x00};
	struct kp_request_header h;
	size_t left;

	CHECK_EQ(decode_hdr(short3, sizeof(short3), &h, &left), -EBADMSG);
	CHECK_EQ(decode_hdr(no_corr, sizeof(no_corr), &h, &left), -EBADMSG);
	CHECK_EQ(decode_hdr(long_id, sizeof(long_id), &h, &left), -EBADMSG);
	CHECK_EQ(decode_hdr(neg_id, sizeof(neg_id), &h, &left), -EBADMSG);
	CHECK_EQ(decode_hdr(bad_tags, sizeof(bad_tags), &h, &left), -EBADMSG);
	CHECK_EQ(decode_hdr(NULL, 0, &h, &left), -EBADMSG);
}

static void test_response_headers(void)
{
	struct buf b;
	struct kp_writer w = {&b};
	const uint8_t v0[] = {0x00, 0x00, 0x01, 0x02};
	const uint8_t v1[] = {0x00, 0x00, 0x01, 0x02, 0x00};

	buf_init(&b, 0);
	kp_response_header_encode(&w, KP_API_API_VERSIONS, 3, 0x102);
	CHECK(b.len == 4 && memcmp(b.data, v0, 4) == 0);
	buf_clear(&b);
	kp_response_header_encode(&w, KP_API_API_VERSIONS, 77, 0x102);
	CHECK(b.len == 4 && memcmp(b.data, v0, 4) == 0);
	buf_clear(&b);
	kp_response_header_encode(&w, KP_API_FETCH, 12, 0x102);
	CHECK(b.len == 5 && memcmp(b.data, v1, 5) == 0);
	buf_clear(&b);
	kp_response_header_encode(&w, KP_API_FETCH, 11, 0x102);
	CHECK(b.len == 4 && memcmp(b.data, v0, 4) == 0);
	buf_fini(&b);
}

int main(void)
{
	arena_init(&arena, 1 << 20);
	test_versions();
	test_api_table();
	test_request_headers();
	test_bad_headers();
	test_response_headers();
	arena_fini(&arena);
	return check_finish();
}
