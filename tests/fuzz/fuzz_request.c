/* fuzz_request.c - libFuzzer target for the generated Kafka codec.
 *
 * Input: api key (2 bytes, big-endian; the high bit selects the response
 * instead of the request), version (2 bytes), then the message body.
 * The same bytes are also decoded as a request header (a frame starts
 * with key and version too). For anything that decodes:
 *   - the arena stays within its bound (8x the input + 64 KiB),
 *   - encode(decode(x)) decodes again, consuming every byte, and encodes
 *     to the same bytes (the codec is stable under re-encoding).
 */
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "proto/kp_gen.h"
#include "tests/fuzz/fuzz.h"

#define RESPONSE_BIT 0x8000u

/* Encode obj; decode that; encode again; both encodings must match. */
static void fuzz_reencode(const struct kp_schema *s, int16_t ver,
			  const void *obj, const char *what)
{
	struct buf e1, e2;
	struct kp_writer w1 = {&e1}, w2 = {&e2};
	struct kp_reader rd;
	struct arena a;
	void *again;
	int rc;

	buf_init(&e1, 0);
	buf_init(&e2, 0);
	arena_init(&a, 0);
	kp_schema_encode(s, &w1, ver, obj);
	if (e1.err)
		fuzz_fail("%s v%d: encode of a decoded message: %d", what, ver,
			  e1.err);
	again = arena_alloc(&a, s->size);
	if (!again)
		abort();
	kp_reader_init(&rd, e1.data, e1.len);
	rc = kp_schema_decode(s, &rd, ver, &a, again);
	if (rc || kp_reader_remaining(&rd))
		fuzz_fail("%s v%d: re-decode %d, %zu left", what, ver, rc,
			  kp_reader_remaining(&rd));
	kp_schema_encode(s, &w2, ver, again);
	if (e2.err || e2.len != e1.len ||
	    (e1.len && memcmp(e1.data, e2.data, e1.len)))
		fuzz_fail("%s v%d: re-encode differs", what, ver);
	arena_fini(&a);
	buf_fini(&e2);
	buf_fini(&e1);
}

static void fuzz_header(const uint8_t *data, size_t size)
{
	struct kp_request_header h;
	struct kp_reader rd;
	struct arena a;

	arena_init(&a, 8 * size + 65536);
	kp_reader_init(&rd, data, size);
	if (kp_request_header_decode(&rd, &a, &h) == 0)
		fuzz_reencode(&kp_request_header_schema,
			      kp_request_header_version(h.request_api_key,
							h.request_api_version),
			      &h, "RequestHeader");
	arena_fini(&a);
}

static void fuzz_body(const struct kp_schema *s, int16_t ver, const uint8_t *p,
		      size_t n)
{
	size_t limit = 8 * n + 65536;
	struct kp_reader rd;
	struct arena a;
	void *obj;

	arena_init(&a, limit);
	obj = arena_alloc(&a, s->size);
	if (!obj)
		abort();
	kp_reader_init(&rd, p, n);
	if (kp_schema_decode(s, &rd, ver, &a, obj) == 0)
		fuzz_reencode(s, ver, obj, s->name);
	if (a.used > limit)
		fuzz_fail("%s v%d: arena %zu over %zu", s->name, ver, a.used,
			  limit);
	arena_fini(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct kp_api_info *api;
	uint16_t key;
	int16_t ver;

	fuzz_header(data, size);
	if (size < 4)
		return 0;
	key = (uint16_t)(data[0] << 8 | data[1]);
	ver = (int16_t)(data[2] << 8 | data[3]);
	api = kp_api_find((int16_t)(key & ~RESPONSE_BIT));
	if (!api)
		return 0;
	fuzz_body((key & RESPONSE_BIT) ? api->response : api->request, ver,
		  data + 4, size - 4);
	return 0;
}
