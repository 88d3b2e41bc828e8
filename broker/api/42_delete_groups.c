/* 42_delete_groups.c - DeleteGroups.
 *
 * Versions: 0-2 (2 flexible).
 * State:    ready.
 * ACL:      Delete on each group, else GROUP_AUTHORIZATION_FAILED for it.
 * Notes:    only an Empty group can be deleted (NON_EMPTY_GROUP
 *           otherwise, also while it rebalances); an unknown one ("" is a
 *           valid id, as in Kafka) is GROUP_ID_NOT_FOUND. Its committed
 *           offsets go with it. The answer waits until the deletion is
 *           durable.
 */
#include "broker/api/api.h"

#include "broker/group/group.h"

struct dg_state {
	struct kp_delete_groups_response resp;
};

static int16_t dg_delete_one(struct broker *b, struct req *r, struct kp_str id)
{
	struct group *g;

	if (!kp_str_has_nul(id) &&
	    !api_authorized(b, r, ACL_OP_DELETE, ACL_RT_GROUP, api_name(r, id)))
		return KERR_GROUP_AUTHORIZATION_FAILED;
	if (!group_id_valid(id, true))
		return KERR_INVALID_GROUP_ID;
	g = group_find(b, api_name(r, id));
	if (!g || g->state == GROUP_DEAD)
		return KERR_GROUP_ID_NOT_FOUND;
	if (g->state != GROUP_EMPTY)
		return KERR_NON_EMPTY_GROUP;
	group_delete(b, g);
	return KERR_NONE;
}

static void dg_done(struct broker *b, struct req *r, int err)
{
	struct dg_state *st = r->hstate;

	for (int32_t i = 0; err && i < st->resp.results_count; i++)
		if (st->resp.results[i].error_code == KERR_NONE)
			st->resp.results[i].error_code =
			    KERR_COORDINATOR_NOT_AVAILABLE;
	kp_delete_groups_response_encode(&r->w, r->hdr.request_api_version,
					 &st->resp);
	req_finish(b, r);
}

int api_delete_groups(struct broker *b, struct req *r)
{
	struct kp_delete_groups_request req;
	struct dg_state *st = arena_calloc(&r->arena, 1, sizeof(*st));
	int32_t n;

	if (!st)
		return -ENOMEM;
	kp_delete_groups_request_init(&req);
	if (!req_decoded(
		b, r,
		kp_delete_groups_request_decode(
		    &r->rd, r->hdr.request_api_version, &r->arena, &req)))
		return 0;
	kp_delete_groups_response_init(&st->resp);
	n = req.groups_names_count > 0 ? req.groups_names_count : 0;
	st->resp.results =
	    arena_calloc(&r->arena, (size_t)n + 1, sizeof(*st->resp.results));
	if (!st->resp.results)
		return -ENOMEM;
	st->resp.results_count = n;
	for (int32_t i = 0; i < n; i++) {
		kp_delete_groups_response_deletable_group_result_init(
		    &st->resp.results[i]);
		st->resp.results[i].group_id = req.groups_names[i];
		st->resp.results[i].error_code =
		    dg_delete_one(b, r, req.groups_names[i]);
	}
	r->hstate = st;
	group_offset_wait(b, r, dg_done);
	return 0;
}
