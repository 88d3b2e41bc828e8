/* 13_leave_group.c - LeaveGroup.
 *
 * Versions: 0-5 (4+ flexible; 3+ batched members with per-member errors
 *           and group.instance.id; 5 reasons, logged).
 * State:    ready.
 * ACL:      Read on the group, else GROUP_AUTHORIZATION_FAILED (first).
 * Notes:    an unknown group answers UNKNOWN_MEMBER_ID per member (v3+:
 *           top-level NONE, as Kafka); an empty group id is
 *           INVALID_GROUP_ID. v0-2 carry one member: its error is the
 *           top-level error. A v3+ member with an empty member id is
 *           removed by its group.instance.id (KIP-345 admin removal).
 */
#include "broker/api/api.h"
#include "broker/group/group.h"

static void leave_members(struct broker *b, struct req *r, struct group *g,
			  const struct kp_leave_group_request *req,
			  struct kp_leave_group_response *resp)
{
	int32_t n = req->members_count > 0 ? req->members_count : 0;

	resp->members =
	    arena_calloc(&r->arena, (size_t)n + 1, sizeof(*resp->members));
	if (!resp->members) {
		resp->error_code = KERR_UNKNOWN_SERVER_ERROR;
		return;
	}
	for (int32_t i = 0; i < n; i++) {
		const struct kp_leave_group_request_member_identity *id =
		    &req->members[i];
		struct kp_leave_group_response_member_response *o =
		    &resp->members[i];
		kp_leave_group_response_member_response_init(o);
		o->member_id = id->member_id;
		o->group_instance_id = id->group_instance_id;
		o->error_code =
		    g && group_ids_ok(id->member_id, id->group_instance_id)
			? group_leave(b, g, api_name(r, id->member_id),
				      id->group_instance_id.ptr)
			: KERR_UNKNOWN_MEMBER_ID;
	}
	resp->members_count = n;
}

int api_leave_group(struct broker *b, struct req *r)
{
	struct kp_leave_group_request req;
	struct kp_leave_group_response resp;
	int16_t ver = r->hdr.request_api_version;
	struct group *g;

	kp_leave_group_request_init(&req);
	if (!req_decoded(
		b, r,
		kp_leave_group_request_decode(&r->rd, ver, &r->arena, &req)))
		return 0;
	kp_leave_group_response_init(&resp);
	g = group_id_valid(req.group_id, false)
		? group_find(b, api_name(r, req.group_id))
		: NULL;
	if (!group_read_allowed(b, r, req.group_id)) {
		resp.error_code = KERR_GROUP_AUTHORIZATION_FAILED;
	} else if (!group_id_valid(req.group_id, false)) {
		resp.error_code = KERR_INVALID_GROUP_ID;
	} else if (g && g->state == GROUP_DEAD) {
		resp.error_code = KERR_COORDINATOR_NOT_AVAILABLE;
	} else if (ver >= 3) {
		leave_members(b, r, g, &req, &resp);
	} else {
		resp.error_code =
		    g && group_ids_ok(req.member_id, KP_STR_NULL)
			? group_leave(b, g, api_name(r, req.member_id), NULL)
			: KERR_UNKNOWN_MEMBER_ID;
	}
	kp_leave_group_response_encode(&r->w, ver, &resp);
	req_finish(b, r);
	return 0;
}
