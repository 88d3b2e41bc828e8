/* fuzz_seed.c - write seed inputs for the fuzz targets.
 *
 * Usage: fuzz_seed REQUEST_DIR BATCH_DIR
 * REQUEST_DIR gets, for every API, direction and version, a valid
 * encoding (values from tests/unit/proto/kp_reflect.c) in fuzz_request's
 * input format, a truncated copy, a request frame with a real header and
 * a few hostile bodies; BATCH_DIR gets valid and broken record batches.
 * tests/fuzz/make_corpus.sh runs this, fuzzes, and minimises the result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/crc32c.h"
#include "proto/kp_gen.h"
#include "tests/unit/proto/kp_reflect.h"

static int files;

static void put_file(const char *dir, const char *name, const void *p,
		     size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len) {
		perror(path);
		exit(1);
	}
	fclose(f);
	files++;
}

static void seed_message(const char *dir, const struct kp_api_info *api,
			 bool response, int16_t v)
{
	const struct kp_schema *s = response ? api->response : api->request;
	struct reflect_rng rng = {(uint64_t)api->key * 131 + (uint64_t)v};
	uint16_t key = (uint16_t)api->key | (response ? 0x8000 : 0);
	struct arena a;
	struct buf b;
	struct kp_writer w = {&b};
	char name[64];
	void *obj;

	arena_init(&a, 0);
	buf_init(&b, 0);
	obj = arena_calloc(&a, 1, s->size);
	if (!obj)
		exit(1);
	kp_schema_init(s, obj);
	if (reflect_fill(s, obj, v, &rng, &a))
		exit(1);
	kp_write_u16(&w, key);
	kp_write_i16(&w, v);
	kp_schema_encode(s, &w, v, obj);
	if (b.err)
		exit(1);
	snprintf(name, sizeof(name), "%02d-%s-v%02d", api->key,
		 response ? "resp" : "req", v);
	put_file(dir, name, b.data, b.len);
	snprintf(name, sizeof(name), "%02d-%s-v%02d-cut", api->key,
		 response ? "resp" : "req", v);
	put_file(dir, name, b.data, 4 + (b.len - 4) / 2);
	buf_fini(&b);
	arena_fini(&a);
}

/* A request frame body: header (as the broker sees it) + body. */
static void seed_frame(const char *dir, const struct kp_api_info *api,
		       int16_t v)
{
	struct kp_request_header h;
	struct reflect_rng rng = {(uint64_t)v + 7};
	struct arena a;
	struct buf b;
	struct kp_writer w = {&b};
	char name[64];
	void *obj;

	arena_init(&a, 0);
	buf_init(&b, 0);
	kp_request_header_init(&h);
	h.request_api_key = api->key;
	h.request_api_version = v;
	h.correlation_id = 42;
	h.client_id = KP_STR("fuzz");
	obj = arena_calloc(&a, 1, api->request->size);
	if (!obj)
		exit(1);
	kp_schema_init(api->request, obj);
	if (reflect_fill(api->request, obj, v, &rng, &a))
		exit(1);
	kp_request_header_encode(&w, &h);
	kp_schema_encode(api->request, &w, v, obj);
	snprintf(name, sizeof(name), "frame-%02d-v%02d", api->key, v);
	put_file(dir, name, b.data, b.len);
	buf_fini(&b);
	arena_fini(&a);
}

static void seed_hostile(const char *dir)
{
	static const struct {
		const char *name;
		uint8_t bytes[16];
		size_t len;
	} cases[] = {
	    {"hostile-md1-intmax",
	     {0, 3, 0, 1, 0x7f, 0xff, 0xff, 0xff, 0, 3, 'f', 'o', 'o'},
	     13},
	    {"hostile-md12-compact",
	     {0, 3, 0, 12, 0x80, 0x80, 0x80, 0x80, 0x08, 0, 0, 0},
	     12},
	    {"hostile-md12-varint6",
	     {0, 3, 0, 12, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00},
	     10},
	    {"hostile-av3-tags-desc",
	     {0, 18, 0, 3, 0x01, 0x01, 0x02, 0x09, 0x00, 0x07, 0x00},
	     11},
	    {"hostile-av3-tags-dup",
	     {0, 18, 0, 3, 0x01, 0x01, 0x02, 0x07, 0x00, 0x07, 0x00},
	     11},
	    {"hostile-pr3-neg",
	     {0, 0, 0, 3, 0xff, 0xfe, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xfe},
	     16},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		put_file(dir, cases[i].name, cases[i].bytes, cases[i].len);
}

/* --- batches ---------------------------------------------------------- */

static void batch_record(struct kp_writer *w, int32_t delta, int headers)
{
	struct buf body;
	struct kp_writer bw = {&body};

	buf_init(&body, 0);
	kp_write_i8(&bw, 0);
	kp_write_varlong(&bw, delta);
	kp_write_varint(&bw, delta);
	kp_write_varint(&bw, delta % 3 ? 3 : -1);
	if (delta % 3)
		kp_write_raw(&bw, "key", 3);
	kp_write_varint(&bw, 5);
	kp_write_raw(&bw, "value", 5);
	kp_write_varint(&bw, headers);
	for (int i = 0; i < headers; i++) {
		kp_write_varint(&bw, 1);
		kp_write_raw(&bw, "h", 1);
		kp_write_varint(&bw, i % 2 ? -1 : 1);
		if (i % 2 == 0)
			kp_write_raw(&bw, "v", 1);
	}
	kp_write_varint(w, (int32_t)body.len);
	kp_write_raw(w, body.data, body.len);
	buf_fini(&body);
}

static void seed_batch(const char *dir, const char *name, int16_t attrs,
		       int32_t count, int headers)
{
	struct buf b;
	struct kp_writer w = {&b};
	uint32_t crc;

	buf_init(&b, 0);
	kp_write_i64(&w, 0);
	kp_write_i32(&w, 0);
	kp_write_i32(&w, 0);
	kp_write_i8(&w, 2);
	kp_write_u32(&w, 0);
	kp_write_i16(&w, attrs);
	kp_write_i32(&w, count - 1);
	kp_write_i64(&w, 1700000000000);
	kp_write_i64(&w, 1700000000000 + count);
	kp_write_i64(&w, attrs & 0x10 ? 5 : -1);
	kp_write_i16(&w, attrs & 0x10 ? 0 : -1);
	kp_write_i32(&w, attrs & 0x10 ? 0 : -1);
	kp_write_i32(&w, count);
	for (int32_t i = 0; i < count; i++)
		batch_record(&w, i, headers);
	if (b.err)
		exit(1);
	for (int i = 0; i < 4; i++)
		b.data[8 + i] = (uint8_t)((b.len - 12) >> (8 * (3 - i)));
	crc = crc32c(0, b.data + 21, b.len - 21);
	for (int i = 0; i < 4; i++)
		b.data[17 + i] = (uint8_t)(crc >> (8 * (3 - i)));
	put_file(dir, name, b.data, b.len);
	buf_fini(&b);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s REQUEST_DIR BATCH_DIR\n", argv[0]);
		return 2;
	}
	for (int k = 0; k < KP_API_TABLE_SIZE; k++) {
		const struct kp_api_info *api = kp_api_find((int16_t)k);
		if (!api)
			continue;
		for (int16_t v = api->min_version; v <= api->max_version; v++) {
			seed_message(argv[1], api, false, v);
			seed_message(argv[1], api, true, v);
		}
		seed_frame(argv[1], api, api->max_version);
		seed_frame(argv[1], api, api->min_version);
	}
	seed_hostile(argv[1]);
	seed_batch(argv[2], "batch-1", 0, 1, 0);
	seed_batch(argv[2], "batch-3-headers", 0, 3, 2);
	seed_batch(argv[2], "batch-20", 0, 20, 1);
	seed_batch(argv[2], "batch-gzip", 1, 2, 0);
	seed_batch(argv[2], "batch-zstd-txn", 4 | 0x10, 2, 0);
	seed_batch(argv[2], "batch-control", 0x20, 1, 0);
	seed_batch(argv[2], "batch-codec7", 7, 1, 0);
	printf("%d seed files\n", files);
	return 0;
}
