/* 60_describe_cluster.c - DescribeCluster.
 *
 * Versions: 0-1 (flexible).
 * State:    ready.
 * ACL:      Describe on the cluster, else CLUSTER_AUTHORIZATION_FAILED.
 * Notes:    endpoint_type 2 (controllers) is not served: there is no
 *           separate controller; it gets UNSUPPORTED_ENDPOINT_TYPE.
 */
#include "broker/api/api.h"

int api_describe_cluster(struct broker *b, struct req *r)
{
	struct kp_describe_cluster_request req;
	struct kp_describe_cluster_response resp;
	int16_t ver = r->hdr.request_api_version;
	const struct listener_cfg *adv = api_advertised(b, r);

	kp_describe_cluster_request_init(&req);
	if (!req_decoded(b, r, kp_describe_cluster_request_decode(&r->rd, ver,
								  &r->arena, &req)))
		return 0;
	kp_describe_cluster_response_init(&resp);
	resp.endpoint_type = req.endpoint_type;
	resp.cluster_id = kp_str_of(b->cfg->cluster_id);
	resp.controller_id = b->cfg->node_id;
	if (!api_authorized_cluster(b, r, ACL_OP_DESCRIBE)) {
		resp.error_code = KERR_CLUSTER_AUTHORIZATION_FAILED;
	} else if (ver >= 1 && req.endpoint_type != 1) {
		resp.error_code = KERR_UNSUPPORTED_ENDPOINT_TYPE;
	} else {
		resp.brokers = arena_calloc(&r->arena, 1, sizeof(*resp.brokers));
		if (!resp.brokers)
			return -ENOMEM;
		kp_describe_cluster_response_describe_cluster_broker_init(resp.brokers);
		resp.brokers[0].broker_id = b->cfg->node_id;
		resp.brokers[0].host = kp_str_of(adv->host);
		resp.brokers[0].port = adv->port;
		resp.brokers_count = 1;
	}
	if (req.include_cluster_authorized_operations)
		resp.cluster_authorized_operations =
			api_authorized_ops(b, r, ACL_RT_CLUSTER, ACL_CLUSTER_NAME);
	kp_describe_cluster_response_encode(&r->w, ver, &resp);
	req_finish(b, r);
	return 0;
}
