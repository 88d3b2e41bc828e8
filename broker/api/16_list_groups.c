/* 16_list_groups.c - ListGroups.
 *
 * Versions: 0-5 (3+ flexible; 4+ state filter; 5+ type filter).
 * State:    ready.
 * ACL:      Describe on the cluster lists every group, otherwise the
 *           groups the principal may describe (quietly: no audit record
 *           per group); never an authorization error.
 * Notes:    state names compare case-insensitively, as Kafka; every group
 *           here is of type "classic".
 */
#include "broker/api/api.h"

#include <strings.h>

#include "broker/group/group.h"

static bool lg_match(const struct kp_str *filter, int32_t count,
		     const char *value)
{
	if (count <= 0)
		return true;
	for (int32_t i = 0; i < count; i++)
		if (filter[i].ptr && strcasecmp(filter[i].ptr, value) == 0)
			return true;
	return false;
}

int api_list_groups(struct broker *b, struct req *r)
{
	struct kp_list_groups_request req;
	struct kp_list_groups_response resp;
	int16_t ver = r->hdr.request_api_version;
	struct hmap_iter it;
	struct hmap_node *n;
	int32_t i = 0;
	bool all;

	kp_list_groups_request_init(&req);
	if (!req_decoded(
		b, r,
		kp_list_groups_request_decode(&r->rd, ver, &r->arena, &req)))
		return 0;
	kp_list_groups_response_init(&resp);
	resp.groups =
	    arena_calloc(&r->arena, b->groups.count + 1, sizeof(*resp.groups));
	if (!resp.groups)
		return -ENOMEM;
	/* Describe on the cluster lists every group; otherwise each group
	 * the principal may describe. Never an authorization error. */
	all = api_authorized_quiet(b, r, ACL_OP_DESCRIBE, ACL_RT_CLUSTER,
				   ACL_CLUSTER_NAME);
	hmap_iter_init(&it, &b->groups);
	while ((n = hmap_iter_next(&it))) {
		const struct group *g = container_of(n, struct group, hnode);
		const char *state = group_state_name(g->state);
		if (!all && !api_authorized_quiet(b, r, ACL_OP_DESCRIBE,
						  ACL_RT_GROUP, g->id))
			continue;
		if (!lg_match(req.states_filter, req.states_filter_count,
			      state) ||
		    !lg_match(req.types_filter, req.types_filter_count,
			      "classic"))
			continue;
		kp_list_groups_response_listed_group_init(&resp.groups[i]);
		resp.groups[i].group_id = kp_str_of(g->id);
		resp.groups[i].protocol_type =
		    kp_str_of(g->protocol_type ? g->protocol_type : "");
		resp.groups[i].group_state = kp_str_of(state);
		resp.groups[i].group_type = KP_STR("classic");
		i++;
	}
	resp.groups_count = i;
	kp_list_groups_response_encode(&r->w, ver, &resp);
	req_finish(b, r);
	return 0;
}
