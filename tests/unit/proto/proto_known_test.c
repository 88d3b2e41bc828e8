/* proto_known_test.c - the codec against bytes written by hand.
 *
 * Every expected byte string below was written from the Kafka protocol
 * guide (kafka.apache.org/protocol: request/response headers, STRING,
 * NULLABLE_STRING, COMPACT_*, ARRAY, tagged fields) and the field lists in
 * proto/spec/, not produced by our encoder, so a bug that is symmetric in
 * encoder and decoder still fails here. Each case is decoded (fields
 * checked) and encoded from a struct (bytes compared).
 */
#include <errno.h>

#include "base/arena.h"
#include "base/buf.h"
#include "proto/kp_gen.h"
#include "tests/unit/check.h"

static struct arena arena;

static void dump(const char *what, const uint8_t *p, size_t n)
{
	fprintf(stderr, "%s (%zu):", what, n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, "\n");
}

static void check_bytes(const char *name, const struct buf *b,
			const uint8_t *want, size_t n)
{
	bool ok = b->err == 0 && b->len == n && memcmp(b->data, want, n) == 0;

	CHECK(ok);
	if (!ok) {
		fprintf(stderr, "%s: encode mismatch (err %d)\n", name, b->err);
		dump("  want", want, n);
		dump("  got ", b->data, b->len);
	}
}

/* Frame = size + request header + body; returns the reader at the body. */
static void open_request(struct kp_reader *rd, const uint8_t *frame, size_t len,
			 struct kp_request_header *h)
{
	kp_reader_init(rd, frame, len);
	CHECK_EQ(kp_read_i32(rd), (int32_t)len - 4);
	CHECK_EQ(kp_request_header_decode(rd, &arena, h), 0);
}

/* --- ApiVersions -------------------------------------------------------- */

/* clang-format off */
static const uint8_t av0_req[] = {
	0x00, 0x00, 0x00, 0x0e,             /* size 14 */
	0x00, 0x12, 0x00, 0x00,             /* key 18, version 0 */
	0x00, 0x00, 0x00, 0x01,             /* correlation id 1 */
	0x00, 0x04, 'k', 'c', 'a', 't',     /* client id */
};
/* clang-format on */

/* clang-format off */
static const uint8_t av3_req[] = {
	0x00, 0x00, 0x00, 0x1b,             /* size 27 */
	0x00, 0x12, 0x00, 0x03,             /* key 18, version 3 */
	0x00, 0x00, 0x00, 0x07,             /* correlation id 7 */
	0x00, 0x04, 'k', 'c', 'a', 't',     /* client id: never compact */
	0x00,                               /* header tagged fields */
	0x07, 's', 'e', 'a', 'l', 'o', 'g', /* compact string, 6 + 1 */
	0x04, '1', '.', '0',
	0x00,                               /* body tagged fields */
};
/* clang-format on */

static void test_api_versions_requests(void)
{
	struct kp_request_header h;
	struct kp_api_versions_request req;
	struct kp_reader rd;
	struct buf b;
	struct kp_writer w = {&b};
	size_t mark;

	open_request(&rd, av0_req, sizeof(av0_req), &h);
	CHECK_EQ(h.request_api_key, KP_API_API_VERSIONS);
	CHECK_EQ(h.request_api_version, 0);
	CHECK_EQ(h.correlation_id, 1);
	CHECK(kp_str_eq(h.client_id, "kcat"));
	CHECK_EQ(kp_api_versions_request_decode(&rd, 0, &arena, &req), 0);
	CHECK_EQ(kp_reader_remaining(&rd), 0);

	open_request(&rd, av3_req, sizeof(av3_req), &h);
	CHECK_EQ(h.request_api_version, 3);
	CHECK_EQ(h.correlation_id, 7);
	CHECK(kp_str_eq(h.client_id, "kcat"));
	CHECK_EQ(kp_api_versions_request_decode(&rd, 3, &arena, &req), 0);
	CHECK(kp_str_eq(req.client_software_name, "sealog"));
	CHECK(kp_str_eq(req.client_software_version, "1.0"));
	CHECK_EQ(kp_reader_remaining(&rd), 0);

	buf_init(&b, 0);
	mark = kp_frame_begin(&w);
	kp_request_header_encode(&w, &h);
	kp_api_versions_request_encode(&w, 3, &req);
	kp_frame_end(&w, mark);
	check_bytes("ApiVersions v3 request", &b, av3_req, sizeof(av3_req));
	buf_fini(&b);
}

/* clang-format off */
static const uint8_t av0_resp[] = {
	0x00, 0x00, 0x00, 0x01,             /* correlation id (header v0) */
	0x00, 0x00,                         /* error_code */
	0x00, 0x00, 0x00, 0x02,             /* api_keys: 2 */
	0x00, 0x00, 0x00, 0x03, 0x00, 0x0b, /* Produce 3-11 */
	0x00, 0x12, 0x00, 0x00, 0x00, 0x04, /* ApiVersions 0-4 */
};
/* clang-format on */

/* clang-format off */
static const uint8_t av3_resp[] = {
	0x00, 0x00, 0x00, 0x07, /* correlation id: header v0 even at v3 */
	0x00, 0x00,             /* error_code */
	0x03,                   /* compact array, 2 + 1 */
	0x00, 0x00, 0x00, 0x03, 0x00, 0x0b, 0x00,
	0x00, 0x12, 0x00, 0x00, 0x00, 0x04, 0x00,
	0x00, 0x00, 0x00, 0x00, /* throttle_time_ms */
	0x03,                   /* three tagged fields, ascending */
	0x00, 0x08,             /* tag 0 SupportedFeatures, 8 bytes */
	0x02, 0x02, 'x', 0x00, 0x01, 0x00, 0x02, 0x00,
	0x01, 0x08,             /* tag 1 FinalizedFeaturesEpoch = 5 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
	0x03, 0x01, 0x01,       /* tag 3 ZkMigrationReady = true */
};
/* clang-format on */

static void av_resp_fill(struct kp_api_versions_response *r,
			 struct kp_api_versions_response_api_version *k)
{
	kp_api_versions_response_init(r);
	kp_api_versions_response_api_version_init(&k[0]);
	kp_api_versions_response_api_version_init(&k[1]);
	k[0].api_key = 0;
	k[0].min_version = 3;
	k[0].max_version = 11;
	k[1].api_key = 18;
	k[1].min_version = 0;
	k[1].max_version = 4;
	r->api_keys = k;
	r->api_keys_count = 2;
}

static void test_api_versions_responses(void)
{
	struct kp_api_versions_response r, d;
	struct kp_api_versions_response_api_version k[2];
	struct kp_api_versions_response_supported_feature_key feat;
	struct kp_response_header rh;
	struct kp_reader rd;
	struct buf b;
	struct kp_writer w = {&b};

	av_resp_fill(&r, k);
	CHECK_EQ(r.finalized_features_epoch, -1); /* spec default */
	buf_init(&b, 0);
	kp_response_header_encode(&w, KP_API_API_VERSIONS, 0, 1);
	kp_api_versions_response_encode(&w, 0, &r);
	check_bytes("ApiVersions v0 response", &b, av0_resp, sizeof(av0_resp));

	kp_api_versions_response_supported_feature_key_init(&feat);
	feat.name = KP_STR("x");
	feat.min_version = 1;
	feat.max_version = 2;
	r.supported_features = &feat;
	r.supported_features_count = 1;
	r.finalized_features_epoch = 5;
	r.zk_migration_ready = true;
	buf_clear(&b);
	kp_response_header_encode(&w, KP_API_API_VERSIONS, 3, 7);
	kp_api_versions_response_encode(&w, 3, &r);
	check_bytes("ApiVersions v3 response", &b, av3_resp, sizeof(av3_resp));
	buf_fini(&b);

	kp_reader_init(&rd, av3_resp, sizeof(av3_resp));
	CHECK_EQ(
	    kp_response_header_decode(&rd, KP_API_API_VERSIONS, 3, &arena, &rh),
	    0);
	CHECK_EQ(rh.correlation_id, 7);
	CHECK_EQ(kp_api_versions_response_decode(&rd, 3, &arena, &d), 0);
	CHECK_EQ(kp_reader_remaining(&rd), 0);
	CHECK_EQ(d.api_keys_count, 2);
	CHECK_EQ(d.api_keys[1].api_key, 18);
	CHECK_EQ(d.api_keys[1].max_version, 4);
	CHECK_EQ(d.supported_features_count, 1);
	CHECK(kp_str_eq(d.supported_features[0].name, "x"));
	CHECK_EQ(d.supported_features[0].max_version, 2);
	CHECK_EQ(d.finalized_features_epoch, 5);
	CHECK_EQ(d.finalized_features_count, 0);
	CHECK(d.zk_migration_ready);
}

/* --- Metadata ------------------------------------------------------------ */

/* clang-format off */
static const uint8_t md1_body_one[] = {
	0x00, 0x00, 0x00, 0x01,             /* topics: 1 */
	0x00, 0x03, 'f', 'o', 'o',
};
/* clang-format on */
static const uint8_t md1_body_null[] = {0xff, 0xff, 0xff, 0xff};

/* clang-format off */
static const uint8_t md1_resp[] = {
	0x00, 0x00, 0x00, 0x01,             /* brokers: 1 */
	0x00, 0x00, 0x00, 0x01,             /* node_id */
	0x00, 0x09, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't',
	0x00, 0x00, 0x23, 0x84,             /* port 9092 */
	0xff, 0xff,                         /* rack: null */
	0x00, 0x00, 0x00, 0x01,             /* controller_id */
	0x00, 0x00, 0x00, 0x01,             /* topics: 1 */
	0x00, 0x00,                         /* error_code */
	0x00, 0x03, 'f', 'o', 'o',
	0x00,                               /* is_internal */
	0x00, 0x00, 0x00, 0x01,             /* partitions: 1 */
	0x00, 0x00,                         /* error_code */
	0x00, 0x00, 0x00, 0x00,             /* partition_index */
	0x00, 0x00, 0x00, 0x01,             /* leader_id */
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, /* replicas [1] */
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, /* isr [1] */
};
/* clang-format on */

/* clang-format off */
static const uint8_t md12_req[] = {
	0x02,                               /* topics: compact, 1 + 1 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* topic_id zero */
	0x04, 'f', 'o', 'o',                /* name: compact nullable */
	0x00,                               /* topic tagged fields */
	0x01,                               /* allow_auto_topic_creation */
	0x00,                               /* include_topic_authorized_ops */
	0x00,                               /* tagged fields */
};
/* clang-format on */

/* clang-format off */
static const uint8_t md12_resp[] = {
	0x00, 0x00, 0x00, 0x09, 0x00,       /* header v1: corr 9, no tags */
	0x00, 0x00, 0x00, 0x00,             /* throttle_time_ms */
	0x02,                               /* brokers: 1 */
	0x00, 0x00, 0x00, 0x01,
	0x0a, 'l', 'o', 'c', 'a', 'l', 'h', 'o', 's', 't',
	0x00, 0x00, 0x23, 0x84,
	0x00,                               /* rack: compact null */
	0x00,
	0x03, 'c', '1',                     /* cluster_id */
	0x00, 0x00, 0x00, 0x01,             /* controller_id */
	0x02,                               /* topics: 1 */
	0x00, 0x00,
	0x04, 'f', 'o', 'o',
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, /* topic_id */
	0x00,                               /* is_internal */
	0x02,                               /* partitions: 1 */
	0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x01,             /* leader_id */
	0x00, 0x00, 0x00, 0x00,             /* leader_epoch */
	0x02, 0x00, 0x00, 0x00, 0x01,       /* replicas */
	0x02, 0x00, 0x00, 0x00, 0x01,       /* isr */
	0x01,                               /* offline_replicas: empty */
	0x00,                               /* partition tags */
	0x00, 0x00, 0x0f, 0xf8,             /* topic_authorized_operations */
	0x00,                               /* topic tags */
	0x00,                               /* tags */
};
/* clang-format on */

static void test_metadata_requests(void)
{
	struct kp_metadata_request req;
	struct kp_metadata_request_metadata_request_topic t;
	struct kp_reader rd;
	struct buf b;
	struct kp_writer w = {&b};

	kp_reader_init(&rd, md1_body_one, sizeof(md1_body_one));
	CHECK_EQ(kp_metadata_request_decode(&rd, 1, &arena, &req), 0);
	CHECK_EQ(req.topics_count, 1);
	CHECK(kp_str_eq(req.topics[0].name, "foo"));
	CHECK(req.allow_auto_topic_creation); /* absent at v1: default true */
	kp_reader_init(&rd, md1_body_null, sizeof(md1_body_null));
	CHECK_EQ(kp_metadata_request_decode(&rd, 1, &arena, &req), 0);
	CHECK_EQ(req.topics_count, -1);
	/* v0 has no null array: -1 is malformed there, and encodes empty. */
	kp_reader_init(&rd, md1_body_null, sizeof(md1_body_null));
	CHECK_EQ(kp_metadata_request_decode(&rd, 0, &arena, &req), -EBADMSG);
	buf_init(&b, 0);
	kp_metadata_request_init(&req);
	req.topics_count = -1;
	kp_metadata_request_encode(&w, 0, &req);
	check_bytes("Metadata v0 null topics", &b,
		    (const uint8_t[]){0, 0, 0, 0}, 4);

	kp_metadata_request_init(&req);
	kp_metadata_request_metadata_request_topic_init(&t);
	t.name = KP_STR("foo");
	req.topics = &t;
	req.topics_count = 1;
	buf_clear(&b);
	kp_metadata_request_encode(&w, 1, &req);
	check_bytes("Metadata v1 request", &b, md1_body_one,
		    sizeof(md1_body_one));
	buf_clear(&b);
	kp_metadata_request_encode(&w, 12, &req);
	check_bytes("Metadata v12 request", &b, md12_req, sizeof(md12_req));
	buf_fini(&b);

	kp_reader_init(&rd, md12_req, sizeof(md12_req));
	CHECK_EQ(kp_metadata_request_decode(&rd, 12, &arena, &req), 0);
	CHECK_EQ(kp_reader_remaining(&rd), 0);
	CHECK_EQ(req.topics_count, 1);
	CHECK(kp_str_eq(req.topics[0].name, "foo"));
	CHECK(req.allow_auto_topic_creation);
	CHECK(!req.include_topic_authorized_operations);
}

static void
md_resp_fill(struct kp_metadata_response *r,
	     struct kp_metadata_response_metadata_response_broker *br,
	     struct kp_metadata_response_metadata_response_topic *t,
	     struct kp_metadata_response_metadata_response_partition *p,
	     int32_t *node)
{
	kp_metadata_response_init(r);
	kp_metadata_response_metadata_response_broker_init(br);
	kp_metadata_response_metadata_response_topic_init(t);
	kp_metadata_response_metadata_response_partition_init(p);
	*node = 1;
	br->node_id = 1;
	br->host = KP_STR("localhost");
	br->port = 9092;
	r->brokers = br;
	r->brokers_count = 1;
	r->cluster_id = KP_STR("c1");
	r->controller_id = 1;
	t->name = KP_STR("foo");
	for (int i = 0; i < 16; i++)
		t->topic_id.b[i] = (uint8_t)(i + 1);
	t->topic_authorized_operations = 0xff8;
	p->leader_id = 1;
	p->leader_epoch = 0;
	p->replica_nodes = node;
	p->replica_nodes_count = 1;
	p->isr_nodes = node;
	p->isr_nodes_count = 1;
	t->partitions = p;
	t->partitions_count = 1;
	r->topics = t;
	r->topics_count = 1;
}

static void test_metadata_responses(void)
{
	struct kp_metadata_response r, d;
	struct kp_metadata_response_metadata_response_broker br;
	struct kp_metadata_response_metadata_response_topic t;
	struct kp_metadata_response_metadata_response_partition p;
	struct kp_response_header rh;
	struct kp_reader rd;
	struct buf b;
	struct kp_writer w = {&b};
	int32_t node;

	md_resp_fill(&r, &br, &t, &p, &node);
	buf_init(&b, 0);
	kp_metadata_response_encode(&w, 1, &r);
	check_bytes("Metadata v1 response", &b, md1_resp, sizeof(md1_resp));
	buf_clear(&b);
	kp_response_header_encode(&w, KP_API_METADATA, 12, 9);
	kp_metadata_response_encode(&w, 12, &r);
	check_bytes("Metadata v12 response", &b, md12_resp, sizeof(md12_resp));
	buf_fini(&b);

	kp_reader_init(&rd, md12_resp, sizeof(md12_resp));
	CHECK_EQ(
	    kp_response_header_decode(&rd, KP_API_METADATA, 12, &arena, &rh),
	    0);
	CHECK_EQ(rh.correlation_id, 9);
	CHECK_EQ(kp_metadata_response_decode(&rd, 12, &arena, &d), 0);
	CHECK_EQ(kp_reader_remaining(&rd), 0);
	CHECK(kp_str_eq(d.brokers[0].host, "localhost"));
	CHECK(d.brokers[0].rack.ptr == NULL && d.brokers[0].rack.len == -1);
	CHECK(kp_str_eq(d.cluster_id, "c1"));
	CHECK_EQ(d.topics[0].topic_id.b[15], 16);
	CHECK_EQ(d.topics[0].partitions[0].isr_nodes[0], 1);
	CHECK_EQ(d.topics[0].partitions[0].offline_replicas_count, 0);
	CHECK_EQ(d.topics[0].topic_authorized_operations, 0xff8);
	CHECK_EQ(d.cluster_authorized_operations,
		 INT32_MIN); /* absent: default */

	kp_reader_init(&rd, md1_resp, sizeof(md1_resp));
	CHECK_EQ(kp_metadata_response_decode(&rd, 1, &arena, &d), 0);
	CHECK_EQ(kp_reader_remaining(&rd), 0);
	CHECK_EQ(d.brokers[0].port, 9092);
	CHECK_EQ(d.topics[0].partitions[0].leader_epoch, -1); /* v7+ only */
	CHECK(d.cluster_id.len == -1); /* v2+ only; default null */
}

/* --- Produce -------------------------------------------------------------- */

/* clang-format off */
static const uint8_t pr3_req[] = {
	0x00, 0x00, 0x00, 0x2b,             /* size 43 */
	0x00, 0x00, 0x00, 0x03,             /* key 0, version 3 */
	0x00, 0x00, 0x00, 0x02,             /* correlation id */
	0xff, 0xff,                         /* client id: null */
	0xff, 0xff,                         /* transactional_id: null */
	0xff, 0xff,                         /* acks -1 */
	0x00, 0x00, 0x75, 0x30,             /* timeout 30000 */
	0x00, 0x00, 0x00, 0x01,             /* topic_data: 1 */
	0x00, 0x03, 'f', 'o', 'o',
	0x00, 0x00, 0x00, 0x01,             /* partition_data: 1 */
	0x00, 0x00, 0x00, 0x00,             /* index */
	0x00, 0x00, 0x00, 0x04, 0xde, 0xad, 0xbe, 0xef, /* records */
};
/* clang-format on */

/* clang-format off */
static const uint8_t pr9_req[] = {
	0x00, 0x00, 0x00, 0x25,             /* size 37 */
	0x00, 0x00, 0x00, 0x09,             /* key 0, version 9 */
	0x00, 0x00, 0x00, 0x03,
	0x00, 0x01, 'c',                    /* client id */
	0x00,                               /* header tags (v2) */
	0x00,                               /* transactional_id: null */
	0x00, 0x01,                         /* acks 1 */
	0x00, 0x00, 0x03, 0xe8,             /* timeout 1000 */
	0x02,                               /* topic_data: 1 */
	0x04, 'f', 'o', 'o',
	0x02,                               /* partition_data: 1 */
	0x00, 0x00, 0x00, 0x02,             /* index 2 */
	0x05, 0xde, 0xad, 0xbe, 0xef,       /* records: compact */
	0x00, 0x00, 0x00,                   /* partition, topic, body tags */
};
/* clang-format on */

static void test_produce_requests(void)
{
	struct kp_request_header h;
	struct kp_produce_request req;
	struct kp_reader rd;
	struct buf b;
	struct kp_writer w = {&b};
	size_t mark;

	open_request(&rd, pr3_req, sizeof(pr3_req), &h);
	CHECK_EQ(h.request_api_version, 3);
	CHECK(h.client_id.ptr == NULL && h.client_id.len == -1);
	CHECK_EQ(kp_produce_request_decode(&rd, 3, &arena, &req), 0);
	CHECK_EQ(kp_reader_remaining(&rd), 0);
	CHECK(req.transactional_id.len == -1);
	CHECK_EQ(req.acks, -1);
	CHECK_EQ(req.timeout_ms, 30000);
	CHECK_EQ(req.topic_data_count, 1);
	CHECK(kp_str_eq(req.topic_data[0].name, "foo"));
	CHECK_EQ(req.topic_data[0].partition_data[0].records.len, 4);
	/* zero copy: the records point into the frame */
	CHECK(req.topic_data[0].partition_data[0].records.ptr == pr3_req + 43);
	buf_init(&b, 0);
	mark = kp_frame_begin(&w);
	kp_request_header_encode(&w, &h);
	kp_produce_request_encode(&w, 3, &req);
	kp_frame_end(&w, mark);
	check_bytes("Produce v3 request", &b, pr3_req, sizeof(pr3_req));

	open_request(&rd, pr9_req, sizeof(pr9_req), &h);
	CHECK(kp_str_eq(h.client_id, "c"));
	CHECK_EQ(kp_produce_request_decode(&rd, 9, &arena, &req), 0);
	CHECK_EQ(kp_reader_remaining(&rd), 0);
	CHECK_EQ(req.acks, 1);
	CHECK_EQ(req.topic_data[0].partition_data[0].index, 2);
	CHECK(req.topic_data[0].partition_data[0].records.ptr == pr9_req + 34);
	buf_clear(&b);
	mark = kp_frame_begin(&w);
	kp_request_header_encode(&w, &h);
	kp_produce_request_encode(&w, 9, &req);
	kp_frame_end(&w, mark);
	check_bytes("Produce v9 request", &b, pr9_req, sizeof(pr9_req));
	buf_fini(&b);
}

/* clang-format off */
static const uint8_t pr3_resp[] = {
	0x00, 0x00, 0x00, 0x01,             /* responses: 1 */
	0x00, 0x03, 'f', 'o', 'o',
	0x00, 0x00, 0x00, 0x01,             /* partition_responses: 1 */
	0x00, 0x00, 0x00, 0x00,             /* index */
	0x00, 0x00,                         /* error_code */
	0, 0, 0, 0, 0, 0, 0, 0x2a,          /* base_offset 42 */
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* log_append_time */
	0x00, 0x00, 0x00, 0x00,             /* throttle_time_ms */
};
/* clang-format on */

/* clang-format off */
static const uint8_t pr9_resp[] = {
	0x02,                               /* responses: 1 */
	0x04, 'f', 'o', 'o',
	0x02,                               /* partition_responses: 1 */
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00,
	0, 0, 0, 0, 0, 0, 0, 0x2a,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0, 0, 0, 0, 0, 0, 0, 0,             /* log_start_offset 0 */
	0x01,                               /* record_errors: empty */
	0x00,                               /* error_message: null */
	0x00,                               /* partition tags */
	0x00,                               /* topic tags */
	0x00, 0x00, 0x00, 0x00,             /* throttle_time_ms */
	0x00,                               /* tags */
};
/* clang-format on */

/* v10: CurrentLeader is tagged (tag 0) and written once non-default. */
/* clang-format off */
static const uint8_t pr10_part_tags[] = {
	0x01, 0x00, 0x09,                   /* 1 field: tag 0, 9 bytes */
	0x00, 0x00, 0x00, 0x01,             /* leader_id 1 */
	0x00, 0x00, 0x00, 0x05,             /* leader_epoch 5 */
	0x00,                               /* the struct's own tags */
};
/* clang-format on */

static void test_produce_responses(void)
{
	struct kp_produce_response r, d;
	struct kp_produce_response_topic_produce_response t;
	struct kp_produce_response_partition_produce_response p;
	struct kp_reader rd;
	struct buf b;
	struct kp_writer w = {&b};
	uint8_t v10[sizeof(pr9_resp) + sizeof(pr10_part_tags) - 1];
	size_t at = 38; /* the partition tag byte in pr9_resp */

	kp_produce_response_init(&r);
	kp_produce_response_topic_produce_response_init(&t);
	kp_produce_response_partition_produce_response_init(&p);
	CHECK_EQ(p.log_append_time_ms, -1);
	CHECK_EQ(p.current_leader.leader_id, -1);
	CHECK(p.error_message.len == -1);
	t.name = KP_STR("foo");
	p.base_offset = 42;
	p.log_start_offset = 0;
	t.partition_responses = &p;
	t.partition_responses_count = 1;
	r.responses = &t;
	r.responses_count = 1;
	buf_init(&b, 0);
	kp_produce_response_encode(&w, 3, &r);
	check_bytes("Produce v3 response", &b, pr3_resp, sizeof(pr3_resp));
	buf_clear(&b);
	kp_produce_response_encode(&w, 9, &r);
	check_bytes("Produce v9 response", &b, pr9_resp, sizeof(pr9_resp));

	CHECK_EQ(pr9_resp[at], 0x00);
	memcpy(v10, pr9_resp, at);
	memcpy(v10 + at, pr10_part_tags, sizeof(pr10_part_tags));
	memcpy(v10 + at + sizeof(pr10_part_tags), pr9_resp + at + 1,
	       sizeof(pr9_resp) - at - 1);
	p.current_leader.leader_id = 1;
	p.current_leader.leader_epoch = 5;
	buf_clear(&b);
	kp_produce_response_encode(&w, 10, &r);
	check_bytes("Produce v10 response", &b, v10, sizeof(v10));
	buf_fini(&b);

	kp_reader_init(&rd, v10, sizeof(v10));
	CHECK_EQ(kp_produce_response_decode(&rd, 10, &arena, &d), 0);
	CHECK_EQ(kp_reader_remaining(&rd), 0);
	CHECK_EQ(d.responses[0].partition_responses[0].base_offset, 42);
	CHECK_EQ(
	    d.responses[0].partition_responses[0].current_leader.leader_epoch,
	    5);
	kp_reader_init(&rd, pr3_resp, sizeof(pr3_resp));
	CHECK_EQ(kp_produce_response_decode(&rd, 3, &arena, &d), 0);
	CHECK_EQ(kp_reader_remaining(&rd), 0);
	CHECK_EQ(d.responses[0].partition_responses[0].log_start_offset, -1);
}

int main(void)
{
	arena_init(&arena, 1 << 20);
	test_api_versions_requests();
	test_api_versions_responses();
	test_metadata_requests();
	test_metadata_responses();
	test_produce_requests();
	test_produce_responses();
	arena_fini(&arena);
	return check_finish();
}
