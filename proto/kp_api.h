/* kp_api.h - the API table and the request/response headers.
 *
 * kp_api_table (generated, kp_gen.c) lists every API in proto/spec/ with
 * the versions the vendored specs define; what the broker serves is its
 * own dispatch table, usually narrower.
 *
 * Header versions (Kafka's rules): a request header is v2 (flexible:
 * tagged fields after the client id) when the API's version is flexible,
 * else v1. The client id is an int16-prefixed nullable string in both,
 * never compact, so any broker can read it. A response header is v1
 * (tagged fields) for flexible versions, else v0 -- and always v0 for
 * ApiVersions, so a client can read the reply before it knows what the
 * broker speaks (KIP-511).
 *
 * Thread: any; nothing here keeps state.
 */
#ifndef SEALOG_PROTO_KP_API_H
#define SEALOG_PROTO_KP_API_H

#include <stdint.h>

struct arena;
struct kp_reader;
struct kp_writer;
struct kp_schema;
struct kp_request_header;
struct kp_response_header;

#define KP_NOT_FLEXIBLE INT16_MAX /* flexible_min of a never-flexible API */

struct kp_api_info {
	int16_t key;
	const char *name; /* "Produce", "ApiVersions" */
	int16_t min_version, max_version;
	int16_t flexible_min; /* first flexible version or KP_NOT_FLEXIBLE */
	const struct kp_schema *request, *response;
};

/* The API with that key, or NULL for a key not in proto/spec/. */
const struct kp_api_info *kp_api_find(int16_t key);

/* Request header version (1 or 2) for a request; 1 for an unknown key or
 * a version outside the spec's range. */
int16_t kp_request_header_version(int16_t api_key, int16_t api_version);
/* Response header version (0 or 1); 0 for ApiVersions and unknown APIs. */
int16_t kp_response_header_version(int16_t api_key, int16_t api_version);

/* Decode a request header at the start of a frame body: api key, version,
 * correlation id, client id (copied into a), and for v2 the tagged
 * fields. An unknown key or a version outside the spec's range still
 * decodes as v1 and returns 0, so the caller can answer ApiVersions
 * (KIP-511) or close. Returns 0, -EBADMSG or -ENOMEM; rd is left at the
 * body. */
int kp_request_header_decode(struct kp_reader *rd, struct arena *a,
			     struct kp_request_header *hdr);

/* Encode a request header (the client side: tests and tools). */
void kp_request_header_encode(struct kp_writer *w,
			      const struct kp_request_header *hdr);

/* Encode the response header for a request's key and version. */
void kp_response_header_encode(struct kp_writer *w, int16_t api_key,
			       int16_t api_version, int32_t correlation_id);

/* Decode a response header (the client side). 0, -EBADMSG or -ENOMEM. */
int kp_response_header_decode(struct kp_reader *rd, int16_t api_key,
			      int16_t api_version, struct arena *a,
			      struct kp_response_header *out);

#endif
