/* 12_heartbeat.c - Heartbeat.
 *
 * Versions: 0-4 (4 flexible; 3+ group.instance.id).
 * State:    ready.
 * ACL:      Read on the group, else GROUP_AUTHORIZATION_FAILED (first).
 * Notes:    Kafka's order of checks: group id ("": INVALID_GROUP_ID), Dead,
 *           the member (instance id: FENCED_INSTANCE_ID / UNKNOWN_MEMBER_ID,
 *           then member id), generation, then the state: Empty is
 *           UNKNOWN_MEMBER_ID; CompletingRebalance and Stable refresh the
 *           session and answer NONE; PreparingRebalance refreshes it and
 *           answers REBALANCE_IN_PROGRESS.
 */
#include "broker/api/api.h"
#include "broker/group/group.h"

int api_heartbeat(struct broker *b, struct req *r)
{
	struct kp_heartbeat_request req;
	struct kp_heartbeat_response resp;
	int16_t ver = r->hdr.request_api_version;

	kp_heartbeat_request_init(&req);
	if (!req_decoded(
		b, r,
		kp_heartbeat_request_decode(&r->rd, ver, &r->arena, &req)))
		return 0;
	kp_heartbeat_response_init(&resp);
	if (!group_read_allowed(b, r, req.group_id))
		resp.error_code = KERR_GROUP_AUTHORIZATION_FAILED;
	else if (!group_id_valid(req.group_id, false))
		resp.error_code = KERR_INVALID_GROUP_ID;
	else if (!group_ids_ok(req.member_id, req.group_instance_id))
		resp.error_code = KERR_UNKNOWN_MEMBER_ID;
	else
		resp.error_code = group_heartbeat(
		    b, api_name(r, req.group_id), api_name(r, req.member_id),
		    req.group_instance_id.ptr, req.generation_id);
	kp_heartbeat_response_encode(&r->w, ver, &resp);
	req_finish(b, r);
	return 0;
}
