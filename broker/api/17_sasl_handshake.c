/* 17_sasl_handshake.c - SaslHandshake.
 *
 * Versions: 0-1. v0 (kafka-python 2.0.2): the SASL tokens that follow
 *           are raw size-prefixed frames without a Kafka header; v1:
 *           they travel in SaslAuthenticate requests.
 * State:    before authentication on a SASL listener, and on an
 *           authenticated SASL session for KIP-368 re-authentication
 *           (v1, same mechanism).
 * ACL:      none (Kafka never authorizes SaslHandshake).
 * Notes:    the response always lists the listener's enabled mechanisms.
 *           A mechanism that is not enabled gets
 *           UNSUPPORTED_SASL_MECHANISM, sent after
 *           connection.failed.authentication.delay.ms, then the
 *           connection closes (Kafka). On a listener without SASL, or an
 *           authenticated session that cannot re-authenticate, the answer
 *           is ILLEGAL_SASL_STATE and the connection stays (Kafka's
 *           KafkaApis). The state machine is broker/auth_session.c.
 */
#include "broker/api/api.h"
#include "broker/auth.h"

int api_sasl_handshake(struct broker *b, struct req *r)
{
	struct kp_sasl_handshake_request req;
	struct kp_sasl_handshake_response resp;
	int16_t ver = r->hdr.request_api_version;
	const char *names[8];
	struct auth_outcome o;
	int n;

	kp_sasl_handshake_request_init(&req);
	if (!req_decoded(
		b, r,
		kp_sasl_handshake_request_decode(&r->rd, ver, &r->arena, &req)))
		return 0;
	auth_handshake(b, r->sess, req.mechanism, ver, &o);
	kp_sasl_handshake_response_init(&resp);
	resp.error_code = o.error;
	n = auth_mechanisms(b, r->sess, names, 8);
	resp.mechanisms =
	    arena_calloc(&r->arena, (size_t)n + 1, sizeof(*resp.mechanisms));
	if (!resp.mechanisms)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		resp.mechanisms[i] = kp_str_of(names[i]);
	resp.mechanisms_count = n;
	kp_sasl_handshake_response_encode(&r->w, ver, &resp);
	auth_finish(b, r, &o);
	return 0;
}
