/* kp_api.c - API lookup and the request/response headers; see kp_api.h.
 *
 * The header structs and schemas are generated from RequestHeader.json
 * and ResponseHeader.json (whose ClientId carries "flexibleVersions":
 * "none", which the schema codec honours); this file only picks the
 * header version, which depends on the API, not on the header itself.
 */
#include "proto/kp_gen.h"

#define KP_API_VERSIONS_KEY 18

const struct kp_api_info *kp_api_find(int16_t key)
{
	if (key < 0 || key >= KP_API_TABLE_SIZE || !kp_api_table[key].name)
		return NULL;
	return &kp_api_table[key];
}

/* The API when version is one the spec defines, else NULL. */
static const struct kp_api_info *kp_api_at(int16_t key, int16_t version)
{
	const struct kp_api_info *api = kp_api_find(key);

	if (!api || version < api->min_version || version > api->max_version)
		return NULL;
	return api;
}

int16_t kp_request_header_version(int16_t api_key, int16_t api_version)
{
	const struct kp_api_info *api = kp_api_at(api_key, api_version);

	return api && api_version >= api->flexible_min ? 2 : 1;
}

int16_t kp_response_header_version(int16_t api_key, int16_t api_version)
{
	const struct kp_api_info *api = kp_api_at(api_key, api_version);

	if (api_key == KP_API_VERSIONS_KEY)
		return 0;
	return api && api_version >= api->flexible_min ? 1 : 0;
}

int kp_request_header_decode(struct kp_reader *rd, struct arena *a,
			     struct kp_request_header *hdr)
{
	struct kp_reader peek = *rd;
	int16_t key = kp_read_i16(&peek);
	int16_t ver = kp_read_i16(&peek);

	if (peek.err) {
		kp_request_header_init(hdr);
		kp_reader_fail(rd, peek.err);
		return rd->err;
	}
	return kp_schema_decode(&kp_request_header_schema, rd,
				kp_request_header_version(key, ver), a, hdr);
}

void kp_request_header_encode(struct kp_writer *w,
			      const struct kp_request_header *hdr)
{
	int16_t hv = kp_request_header_version(hdr->request_api_key,
					       hdr->request_api_version);

	kp_schema_encode(&kp_request_header_schema, w, hv, hdr);
}

void kp_response_header_encode(struct kp_writer *w, int16_t api_key,
			       int16_t api_version, int32_t correlation_id)
{
	struct kp_response_header h;

	kp_response_header_init(&h);
	h.correlation_id = correlation_id;
	kp_schema_encode(&kp_response_header_schema, w,
			 kp_response_header_version(api_key, api_version), &h);
}

int kp_response_header_decode(struct kp_reader *rd, int16_t api_key,
			      int16_t api_version, struct arena *a,
			      struct kp_response_header *out)
{
	return kp_schema_decode(
	    &kp_response_header_schema, rd,
	    kp_response_header_version(api_key, api_version), a, out);
}
