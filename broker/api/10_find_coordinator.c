/* 10_find_coordinator.c - FindCoordinator.
 *
 * Versions: 0-6 (3+ flexible; 4+ batched coordinator keys).
 * State:    ready.
 * ACL:      Describe on the group (GROUP_AUTHORIZATION_FAILED), or on the
 *           transactional id (TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
 * Notes:    this node coordinates every group: the answer is always our
 *           advertised endpoint of the listener the request came in on.
 *           Key type 0 is a group, 1 a transactional id (answered the same
 *           way; InitProducerId then declines transactions); any other
 *           type gets INVALID_REQUEST. An empty group id is
 *           INVALID_REQUEST, as in Kafka.
 */
#include "broker/api/api.h"

/* Kafka's order: the key type, then Describe on the group or the
 * transactional id, then the key itself. */
static int16_t fc_check(struct broker *b, struct req *r, int8_t key_type,
			struct kp_str key)
{
	if (key_type != 0 && key_type != 1)
		return KERR_INVALID_REQUEST;
	if (!kp_str_has_nul(key) &&
	    !api_authorized(b, r, ACL_OP_DESCRIBE,
			    key_type == 0 ? ACL_RT_GROUP : ACL_RT_TRANSACTIONAL_ID,
			    key.ptr ? key.ptr : ""))
		return key_type == 0 ? KERR_GROUP_AUTHORIZATION_FAILED
				     : KERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
	if (key.len <= 0 || kp_str_has_nul(key))
		return KERR_INVALID_REQUEST;
	return KERR_NONE;
}

static int fc_batched(struct broker *b, struct req *r,
		      const struct kp_find_coordinator_request *req,
		      struct kp_find_coordinator_response *resp)
{
	const struct listener_cfg *adv = api_advertised(b, r);
	int32_t n =
	    req->coordinator_keys_count > 0 ? req->coordinator_keys_count : 0;

	resp->coordinators =
	    arena_calloc(&r->arena, (size_t)n + 1, sizeof(*resp->coordinators));
	if (!resp->coordinators)
		return -ENOMEM;
	for (int32_t i = 0; i < n; i++) {
		struct kp_find_coordinator_response_coordinator *c =
		    &resp->coordinators[i];
		kp_find_coordinator_response_coordinator_init(c);
		c->key = req->coordinator_keys[i];
		c->error_code = fc_check(b, r, req->key_type, c->key);
		if (c->error_code != KERR_NONE) {
			c->node_id = -1;
			c->host = KP_STR("");
			c->port = -1;
			continue;
		}
		c->node_id = b->cfg->node_id;
		c->host = kp_str_of(adv->host);
		c->port = adv->port;
	}
	resp->coordinators_count = n;
	return 0;
}

int api_find_coordinator(struct broker *b, struct req *r)
{
	struct kp_find_coordinator_request req;
	struct kp_find_coordinator_response resp;
	int16_t ver = r->hdr.request_api_version;
	const struct listener_cfg *adv = api_advertised(b, r);

	kp_find_coordinator_request_init(&req);
	if (!req_decoded(b, r,
			 kp_find_coordinator_request_decode(&r->rd, ver,
							    &r->arena, &req)))
		return 0;
	kp_find_coordinator_response_init(&resp);
	if (ver >= 4) {
		if (fc_batched(b, r, &req, &resp))
			return -ENOMEM;
	} else {
		resp.error_code = fc_check(b, r, req.key_type, req.key);
		resp.node_id = resp.error_code ? -1 : b->cfg->node_id;
		resp.host = resp.error_code ? KP_STR("") : kp_str_of(adv->host);
		resp.port = resp.error_code ? -1 : adv->port;
	}
	kp_find_coordinator_response_encode(&r->w, ver, &resp);
	req_finish(b, r);
	return 0;
}
