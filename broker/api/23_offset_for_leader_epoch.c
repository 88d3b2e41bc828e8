/* 23_offset_for_leader_epoch.c - OffsetForLeaderEpoch.
 *
 * Versions: 2-4 (4 flexible).
 * State:    ready.
 * ACL:      Describe on the topic (TOPIC_AUTHORIZATION_FAILED); a
 *           follower (replica_id >= 0, v3+) needs ClusterAction on the
 *           cluster instead, as Kafka.
 * Notes:    a single node never changes leader, so every batch carries
 *           leader epoch 0: epoch 0 ends at the log end offset; a request
 *           for a later epoch than ours is UNDEFINED (-1/-1) as in Kafka;
 *           a current_leader_epoch above ours is UNKNOWN_LEADER_EPOCH.
 */
#include "broker/api/api.h"

static void ofle_partition(struct broker *b, const char *topic, bool denied,
			   const struct kp_offset_for_leader_epoch_request_offset_for_leader_partition *rp,
			   struct kp_offset_for_leader_epoch_response_epoch_end_offset *out)
{
	struct partition *p;
	struct plog_offsets o;

	kp_offset_for_leader_epoch_response_epoch_end_offset_init(out);
	out->partition = rp->partition;
	out->error_code = api_partition_check(b, topic, rp->partition, denied,
					      rp->current_leader_epoch, &p);
	if (out->error_code != KERR_NONE)
		return;
	if (rp->leader_epoch > 0)
		return; /* undefined epoch: -1 / -1 */
	plog_offsets(p->log, &o);
	out->leader_epoch = 0;
	out->end_offset = o.log_end_offset;
}

int api_offset_for_leader_epoch(struct broker *b, struct req *r)
{
	struct kp_offset_for_leader_epoch_request req;
	struct kp_offset_for_leader_epoch_response resp;
	int16_t ver = r->hdr.request_api_version;
	bool cluster_ok, denied;

	kp_offset_for_leader_epoch_request_init(&req);
	if (!req_decoded(b, r, kp_offset_for_leader_epoch_request_decode(&r->rd,
			 ver, &r->arena, &req)))
		return 0;
	kp_offset_for_leader_epoch_response_init(&resp);
	cluster_ok = req.replica_id < 0 ||
		     api_authorized_cluster(b, r, ACL_OP_CLUSTER_ACTION);
	if (!api_array(r, resp.topics, resp.topics_count, req.topics_count))
		return -ENOMEM;
	for (int32_t i = 0; i < req.topics_count; i++) {
		const struct kp_offset_for_leader_epoch_request_offset_for_leader_topic *rt =
			&req.topics[i];
		struct kp_offset_for_leader_epoch_response_offset_for_leader_topic_result *tr =
			&resp.topics[i];
		kp_offset_for_leader_epoch_response_offset_for_leader_topic_result_init(tr);
		tr->topic = rt->topic;
		if (!api_array(r, tr->partitions, tr->partitions_count,
				       rt->partitions_count))
			return -ENOMEM;
		denied = req.replica_id >= 0
			? !cluster_ok
			: !api_authorized(b, r, ACL_OP_DESCRIBE, ACL_RT_TOPIC,
					  api_name(r, rt->topic));
		for (int32_t j = 0; j < rt->partitions_count; j++)
			ofle_partition(b, api_name(r, rt->topic), denied,
				       &rt->partitions[j], &tr->partitions[j]);
	}
	kp_offset_for_leader_epoch_response_encode(&r->w, ver, &resp);
	req_finish(b, r);
	return 0;
}
