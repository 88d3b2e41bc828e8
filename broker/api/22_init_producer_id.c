/* 22_init_producer_id.c - InitProducerId.
 *
 * Versions: 0-5 (2+ flexible).
 * State:    ready.
 * ACL:      idempotent producers: IdempotentWrite on the cluster or Write
 *           on any topic, else CLUSTER_AUTHORIZATION_FAILED; with a
 *           transactional id: Write on it, else
 *           TRANSACTIONAL_ID_AUTHORIZATION_FAILED (as Kafka).
 * Notes:    without a transactional id Kafka always hands out a fresh
 *           producer id with epoch 0, even when the request names an
 *           existing id/epoch (v3+); so do we. Transactions are not served
 *           yet: a transactional id gets INVALID_REQUEST, a fatal error for
 *           clients (a retriable one such as COORDINATOR_NOT_AVAILABLE
 *           would make them retry forever).
 */
#include "broker/api/api.h"

int api_init_producer_id(struct broker *b, struct req *r)
{
	struct kp_init_producer_id_request req;
	struct kp_init_producer_id_response resp;
	int16_t ver = r->hdr.request_api_version;
	int64_t id;

	kp_init_producer_id_request_init(&req);
	if (!req_decoded(b, r, kp_init_producer_id_request_decode(&r->rd, ver,
								  &r->arena, &req)))
		return 0;
	kp_init_producer_id_response_init(&resp);
	if (req.transactional_id.ptr) {
		resp.error_code = api_authorized(b, r, ACL_OP_WRITE,
						 ACL_RT_TRANSACTIONAL_ID,
						 req.transactional_id.ptr)
			? KERR_INVALID_REQUEST
			: KERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
	} else if (!api_authorized_quiet(b, r, ACL_OP_IDEMPOTENT_WRITE,
					 ACL_RT_CLUSTER, ACL_CLUSTER_NAME) &&
		   !api_authorized_any(b, r, ACL_OP_WRITE, ACL_RT_TOPIC)) {
		resp.error_code = KERR_CLUSTER_AUTHORIZATION_FAILED;
	} else if (producer_id_alloc(b, &id)) {
		resp.error_code = KERR_KAFKA_STORAGE_ERROR;
	} else {
		resp.producer_id = id;
		resp.producer_epoch = 0;
	}
	kp_init_producer_id_response_encode(&r->w, ver, &resp);
	req_finish(b, r);
	return 0;
}
