/* 18_api_versions.c - ApiVersions.
 *
 * Versions: 0-4 (3+ flexible; the response header is always v0, which the
 *           codec handles).
 * State:    any (before and after authentication).
 * ACL:      none (Kafka never authorizes ApiVersions).
 * Notes:    built from api_table, never from a second list. An
 *           unsupported request version gets a v0 response with
 *           UNSUPPORTED_VERSION and the full list, so clients retry with a
 *           version we serve (KIP-511). The v3+ client software fields are
 *           decoded only to validate the body.
 */
#include "broker/api/api.h"

static void api_versions_fill(struct req *r, struct kp_api_versions_response *resp)
{
	int32_t n = 0;

	for (int k = 0; k < API_TABLE_SIZE; k++)
		n += api_table[k].fn != NULL;
	resp->api_keys = arena_calloc(&r->arena, (size_t)n,
				      sizeof(*resp->api_keys));
	if (!resp->api_keys)
		return;
	n = 0;
	for (int k = 0; k < API_TABLE_SIZE; k++) {
		if (!api_table[k].fn)
			continue;
		kp_api_versions_response_api_version_init(&resp->api_keys[n]);
		resp->api_keys[n].api_key = (int16_t)k;
		resp->api_keys[n].min_version = api_table[k].min_version;
		resp->api_keys[n].max_version = api_table[k].max_version;
		n++;
	}
	resp->api_keys_count = n;
}

int api_api_versions(struct broker *b, struct req *r)
{
	struct kp_api_versions_request req;
	struct kp_api_versions_response resp;
	int16_t ver = r->hdr.request_api_version;
	const struct api_entry *e = &api_table[KP_API_API_VERSIONS];

	kp_api_versions_response_init(&resp);
	if (ver > e->max_version || ver < 0) {
		/* Body unreadable at an unknown version: answer in v0. */
		resp.error_code = KERR_UNSUPPORTED_VERSION;
		api_versions_fill(r, &resp);
		kp_api_versions_response_encode(&r->w, 0, &resp);
		req_finish(b, r);
		return 0;
	}
	kp_api_versions_request_init(&req);
	if (!req_decoded(b, r, kp_api_versions_request_decode(&r->rd, ver,
							      &r->arena, &req)))
		return 0;
	api_versions_fill(r, &resp);
	kp_api_versions_response_encode(&r->w, ver, &resp);
	req_finish(b, r);
	return 0;
}
