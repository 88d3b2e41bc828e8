/* proto_roundtrip_test.c - every message at every version survives
 * encode -> decode -> encode, and every truncation of it is rejected.
 *
 * Values come from kp_reflect.c (pseudo-random, non-default, deterministic
 * seeds), so every field of every version is on the wire at least once.
 * This checks the codec against itself; proto_known_test.c checks it
 * against bytes written by hand from the Kafka protocol guide.
 */
#include <errno.h>
#include <stdlib.h>

#include "base/arena.h"
#include "base/buf.h"
#include "proto/kp_gen.h"
#include "tests/unit/check.h"
#include "tests/unit/proto/kp_reflect.h"

#define SEEDS 4

static size_t total_bytes, total_cases;

/* Every strict prefix of a valid encoding must fail to decode. */
static bool truncations_rejected(const struct kp_schema *s, int16_t v,
				 const struct buf *b, void *scratch)
{
	struct arena a;
	bool ok = true;

	arena_init(&a, 0);
	for (size_t cut = 0; cut < b->len && ok; cut++) {
		struct kp_reader rd;
		kp_reader_init(&rd, b->data, cut);
		if (kp_schema_decode(s, &rd, v, &a, scratch) != -EBADMSG) {
			fprintf(stderr, "%s v%d: prefix %zu of %zu accepted\n",
				s->name, v, cut, b->len);
			ok = false;
		}
		arena_reset(&a);
	}
	arena_fini(&a);
	return ok;
}

static bool roundtrip_one(const struct kp_schema *s, int16_t v, uint64_t seed)
{
	struct reflect_rng rng = {seed * 7919 + (uint64_t)v};
	struct arena a, da;
	struct buf b1, b2;
	struct kp_writer w1 = {&b1}, w2 = {&b2};
	struct kp_reader rd;
	char why[256] = "";
	bool ok = false;
	void *want, *got;
	int rc;

	arena_init(&a, 0);
	arena_init(&da, 0);
	buf_init(&b1, 0);
	buf_init(&b2, 0);
	want = arena_calloc(&a, 1, s->size);
	got = arena_calloc(&a, 1, s->size);
	if (!want || !got)
		goto out;
	kp_schema_init(s, want);
	if (reflect_fill(s, want, v, &rng, &a))
		goto out;
	kp_schema_encode(s, &w1, v, want);
	if (b1.err) {
		fprintf(stderr, "%s v%d: encode error %d\n", s->name, v,
			b1.err);
		goto out;
	}
	kp_reader_init(&rd, b1.data, b1.len);
	rc = kp_schema_decode(s, &rd, v, &da, got);
	if (rc || kp_reader_remaining(&rd)) {
		fprintf(stderr, "%s v%d seed %llu: decode %d, %zu left\n",
			s->name, v, (unsigned long long)seed, rc,
			kp_reader_remaining(&rd));
		goto out;
	}
	if (!reflect_equal(s, want, got, v, why, sizeof(why))) {
		fprintf(stderr, "%s v%d seed %llu: %s\n", s->name, v,
			(unsigned long long)seed, why);
		goto out;
	}
	/* Decoding copies strings (16-byte arena granules at worst). */
	if (da.used > 16 * b1.len + 4096) {
		fprintf(stderr, "%s v%d: arena %zu for %zu bytes\n", s->name, v,
			da.used, b1.len);
		goto out;
	}
	kp_schema_encode(s, &w2, v, got);
	if (b2.err || b2.len != b1.len ||
	    (b1.len && memcmp(b1.data, b2.data, b1.len))) {
		fprintf(stderr, "%s v%d: re-encode differs\n", s->name, v);
		goto out;
	}
	ok = seed > 1 || truncations_rejected(s, v, &b1, got);
	total_bytes += b1.len;
	total_cases++;
out:
	buf_fini(&b2);
	buf_fini(&b1);
	arena_fini(&da);
	arena_fini(&a);
	return ok;
}

static void roundtrip_schema(const struct kp_schema *s)
{
	for (int16_t v = s->min_version; v <= s->max_version; v++) {
		bool ok = true;
		for (uint64_t seed = 1; seed <= SEEDS; seed++)
			ok &= roundtrip_one(s, v, seed);
		CHECK(ok);
	}
}

/* Versions outside the spec are refused both ways. */
static void bad_versions(const struct kp_schema *s)
{
	struct arena a;
	struct buf b;
	struct kp_writer w = {&b};
	struct kp_reader rd;
	uint8_t zeros[64] = {0};
	void *obj;

	arena_init(&a, 0);
	buf_init(&b, 0);
	obj = arena_calloc(&a, 1, s->size);
	kp_schema_init(s, obj);
	kp_schema_encode(s, &w, (int16_t)(s->max_version + 1), obj);
	CHECK_EQ(b.err, -EINVAL);
	kp_reader_init(&rd, zeros, sizeof(zeros));
	CHECK_EQ(kp_schema_decode(s, &rd, -1, &a, obj), -EBADMSG);
	buf_fini(&b);
	arena_fini(&a);
}

/* The documented decode expansion bound (kp_schema.h): no array element
 * may take more than 24 bytes of memory per byte of its smallest encoding
 * (strings: 16; structs: their size over their minimum length). */
static double worst_ratio(const struct kp_schema *s, int16_t v,
			  const char **where)
{
	double worst = 0;

	for (uint16_t i = 0; i < s->field_count; i++) {
		const struct kp_field *f = &s->fields[i];
		double r = 0;

		if (!kp_field_present(f, v) || f->type != KP_T_STRUCT)
			continue;
		if (f->array) {
			unsigned ml = f->sub->min_len[v] ? f->sub->min_len[v] : 1;
			r = (double)f->sub->size / ml;
		}
		if (r > worst) {
			worst = r;
			*where = f->sub->name;
		}
		r = worst_ratio(f->sub, v, where);
		worst = r > worst ? r : worst;
	}
	return worst;
}

static void test_expansion_bound(void)
{
	const char *where = "";
	double worst = 0;

	for (int k = 0; k < KP_API_TABLE_SIZE; k++) {
		const struct kp_api_info *api = kp_api_find((int16_t)k);
		for (int16_t v = api ? api->min_version : 1;
		     api && v <= api->max_version; v++) {
			double a = worst_ratio(api->request, v, &where);
			double b = worst_ratio(api->response, v, &where);
			worst = a > worst ? a : worst;
			worst = b > worst ? b : worst;
		}
	}
	printf("worst array expansion %.1fx\n", worst);
	CHECK(worst > 1 && worst <= 24);
}

int main(void)
{
	size_t apis = 0;

	roundtrip_schema(&kp_request_header_schema);
	roundtrip_schema(&kp_response_header_schema);
	for (int k = 0; k < KP_API_TABLE_SIZE; k++) {
		const struct kp_api_info *api = kp_api_find((int16_t)k);
		if (!api)
			continue;
		apis++;
		CHECK_EQ(api->key, k);
		CHECK(api->request && api->response);
		CHECK_EQ(api->request->max_version, api->max_version);
		roundtrip_schema(api->request);
		roundtrip_schema(api->response);
		bad_versions(api->request);
		bad_versions(api->response);
	}
	CHECK_EQ(apis, 33);
	test_expansion_bound();
	CHECK(kp_api_find(-1) == NULL);
	CHECK(kp_api_find(4) == NULL); /* LeaderAndIsr: not vendored */
	CHECK(kp_api_find(KP_API_TABLE_SIZE) == NULL);
	printf("%zu round trips, %zu encoded bytes\n", total_cases,
	       total_bytes);
	return check_finish();
}
