/* 21_delete_records.c - DeleteRecords.
 *
 * Versions: 0-2 (2 flexible).
 * State:    ready.
 * ACL:      Delete on the topic, else TOPIC_AUTHORIZATION_FAILED (before
 *           existence). Each partition that moved is audited.
 * Notes:    offset -1 means the high watermark; an offset above it is
 *           OFFSET_OUT_OF_RANGE. The new log start offset is checkpointed
 *           by the storage layer before the reply.
 */
#include "broker/api/api.h"

#include <stdio.h>

static void dr_partition(struct broker *b, struct req *r, const char *topic,
			 bool denied, const struct kp_delete_records_request_delete_records_partition *rp,
			 struct kp_delete_records_response_delete_records_partition_result *out)
{
	struct partition *p = partition_find(b, topic, rp->partition_index);
	struct plog_offsets o;
	int64_t target = rp->offset;
	int rc;

	kp_delete_records_response_delete_records_partition_result_init(out);
	out->partition_index = rp->partition_index;
	out->low_watermark = -1;
	if (denied) {
		out->error_code = KERR_TOPIC_AUTHORIZATION_FAILED;
		return;
	}
	if (!p) {
		out->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
		return;
	}
	plog_offsets(p->log, &o);
	if (target == -1)
		target = o.high_watermark;
	if (target < 0 || target > o.high_watermark) {
		out->error_code = KERR_OFFSET_OUT_OF_RANGE;
		return;
	}
	rc = target > o.log_start_offset ? plog_delete_records(p->log, target) : 0;
	if (target > o.log_start_offset) {
		char detail[64];
		snprintf(detail, sizeof(detail), "partition=%d offset=%lld",
			 rp->partition_index, (long long)target);
		api_audit_topic(b, r, "delete_records", topic, detail,
				kerr_from_storage(rc));
	}
	if (rc) {
		out->error_code = kerr_from_storage(rc);
		return;
	}
	plog_offsets(p->log, &o);
	out->low_watermark = o.log_start_offset;
}

int api_delete_records(struct broker *b, struct req *r)
{
	struct kp_delete_records_request req;
	struct kp_delete_records_response resp;
	int16_t ver = r->hdr.request_api_version;

	kp_delete_records_request_init(&req);
	if (!req_decoded(b, r, kp_delete_records_request_decode(&r->rd, ver,
								&r->arena, &req)))
		return 0;
	kp_delete_records_response_init(&resp);
	if (!api_array(r, resp.topics, resp.topics_count, req.topics_count))
		return -ENOMEM;
	for (int32_t i = 0; i < req.topics_count; i++) {
		const struct kp_delete_records_request_delete_records_topic *rt =
			&req.topics[i];
		struct kp_delete_records_response_delete_records_topic_result *tr =
			&resp.topics[i];
		kp_delete_records_response_delete_records_topic_result_init(tr);
		tr->name = rt->name;
		if (!api_array(r, tr->partitions, tr->partitions_count,
				       rt->partitions_count))
			return -ENOMEM;
		bool denied = !api_authorized(b, r, ACL_OP_DELETE, ACL_RT_TOPIC,
					      api_name(r, rt->name));
		for (int32_t j = 0; j < rt->partitions_count; j++)
			dr_partition(b, r, api_name(r, rt->name), denied,
				     &rt->partitions[j], &tr->partitions[j]);
	}
	kp_delete_records_response_encode(&r->w, ver, &resp);
	req_finish(b, r);
	return 0;
}
