/* 15_describe_groups.c - DescribeGroups.
 *
 * Versions: 0-5 (5 flexible; 3+ authorized operations; 4+ instance ids).
 * State:    ready.
 * ACL:      Describe on each group, else GROUP_AUTHORIZATION_FAILED for it;
 *           authorized_operations from the ACLs (v3+).
 * Notes:    an unknown group (also "") is described as Dead with no
 *           error, as Kafka before v6. Every state is described, also
 *           during a rebalance; member metadata and assignments are
 *           returned only when the group is Stable (Kafka's GroupSummary:
 *           summaryNoMetadata otherwise), protocol_data is the selected
 *           protocol then, "" otherwise.
 */
#include "broker/api/api.h"

#include "broker/group/group.h"

static int dg_members(struct req *r, const struct group *g,
		      struct kp_describe_groups_response_described_group *out)
{
	bool stable = g->state == GROUP_STABLE;
	int32_t i = 0;

	out->members = arena_calloc(&r->arena, (size_t)g->member_count + 1,
				    sizeof(*out->members));
	if (!out->members)
		return -ENOMEM;
	for (const struct group_member *m = g->members; m; m = m->next) {
		struct kp_describe_groups_response_described_group_member *o =
		    &out->members[i++];
		kp_describe_groups_response_described_group_member_init(o);
		o->member_id = kp_str_of(m->id);
		o->group_instance_id = kp_str_of(m->instance_id);
		o->client_id = kp_str_of(m->client_id);
		o->client_host = kp_str_of(m->client_host);
		o->member_metadata.ptr = (const uint8_t *)"";
		o->member_assignment.ptr = (const uint8_t *)"";
		for (int32_t j = 0; stable && j < m->protocol_count; j++)
			if (g->protocol_name &&
			    kp_str_eq(kp_str_of(m->protocols[j].name),
				      g->protocol_name)) {
				o->member_metadata.ptr =
				    m->protocols[j].metadata;
				o->member_metadata.len = m->protocols[j].len;
			}
		if (stable && m->assignment) {
			o->member_assignment.ptr = m->assignment;
			o->member_assignment.len = m->assignment_len;
		}
	}
	out->members_count = i;
	return 0;
}

static int dg_one(struct broker *b, struct req *r, struct kp_str id,
		  bool want_ops,
		  struct kp_describe_groups_response_described_group *out)
{
	const struct group *g =
	    group_id_valid(id, true) ? group_find(b, api_name(r, id)) : NULL;

	kp_describe_groups_response_described_group_init(out);
	out->group_id = id;
	if (!kp_str_has_nul(id) &&
	    !api_authorized(b, r, ACL_OP_DESCRIBE, ACL_RT_GROUP,
			    api_name(r, id))) {
		out->error_code = KERR_GROUP_AUTHORIZATION_FAILED;
		out->group_state = KP_STR("");
		out->protocol_type = KP_STR("");
		out->protocol_data = KP_STR("");
		return 0;
	}
	if (want_ops)
		out->authorized_operations =
			api_authorized_ops(b, r, ACL_RT_GROUP, api_name(r, id));
	if (!group_id_valid(id, true)) {
		out->error_code = KERR_INVALID_GROUP_ID;
		out->group_state = KP_STR("");
		out->protocol_type = KP_STR("");
		out->protocol_data = KP_STR("");
		return 0;
	}
	if (!g) {
		out->group_state = KP_STR("Dead");
		out->protocol_type = KP_STR("");
		out->protocol_data = KP_STR("");
		return 0;
	}
	out->group_state = kp_str_of(group_state_name(g->state));
	out->protocol_type =
	    kp_str_of(g->protocol_type ? g->protocol_type : "");
	out->protocol_data = kp_str_of(
	    g->state == GROUP_STABLE && g->protocol_name ? g->protocol_name
							 : "");
	return dg_members(r, g, out);
}

int api_describe_groups(struct broker *b, struct req *r)
{
	struct kp_describe_groups_request req;
	struct kp_describe_groups_response resp;
	int16_t ver = r->hdr.request_api_version;
	int32_t n;

	kp_describe_groups_request_init(&req);
	if (!req_decoded(b, r,
			 kp_describe_groups_request_decode(&r->rd, ver,
							   &r->arena, &req)))
		return 0;
	kp_describe_groups_response_init(&resp);
	n = req.groups_count > 0 ? req.groups_count : 0;
	resp.groups =
	    arena_calloc(&r->arena, (size_t)n + 1, sizeof(*resp.groups));
	if (!resp.groups)
		return -ENOMEM;
	resp.groups_count = n;
	for (int32_t i = 0; i < n; i++)
		if (dg_one(b, r, req.groups[i],
			   req.include_authorized_operations, &resp.groups[i]))
			return -ENOMEM;
	kp_describe_groups_response_encode(&r->w, ver, &resp);
	req_finish(b, r);
	return 0;
}
