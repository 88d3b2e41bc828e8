/* 47_offset_delete.c - OffsetDelete.
 *
 * Versions: 0.
 * State:    ready.
 * ACL:      Delete on the group, else GROUP_AUTHORIZATION_FAILED (first);
 *           Read on each topic, else TOPIC_AUTHORIZATION_FAILED for its
 *           partitions.
 * Notes:    Kafka's handleDeleteOffsets: an unknown group is
 *           GROUP_ID_NOT_FOUND; an Empty group loses the offsets asked
 *           for; a consumer group with members keeps those of topics its
 *           members subscribe to (GROUP_SUBSCRIBED_TO_TOPIC per partition);
 *           any other group with members is NON_EMPTY_GROUP. A group error
 *           comes without topics. Unknown topics or partitions get
 *           UNKNOWN_TOPIC_OR_PARTITION. The answer waits until the
 *           deletion is durable.
 */
#include "broker/api/api.h"

#include "broker/group/group.h"

struct od_state {
	struct kp_offset_delete_response resp;
};

static void od_done(struct broker *b, struct req *r, int err)
{
	struct od_state *st = r->hstate;

	if (err && st->resp.error_code == KERR_NONE)
		st->resp.error_code = KERR_COORDINATOR_NOT_AVAILABLE;
	kp_offset_delete_response_encode(&r->w, r->hdr.request_api_version,
					 &st->resp);
	req_finish(b, r);
}

static int
od_topic(struct broker *b, struct req *r, struct group *g,
	 const struct kp_offset_delete_request_offset_delete_request_topic *t,
	 struct kp_offset_delete_response_offset_delete_response_topic *out)
{
	const char *name = api_name(r, t->name);
	bool subscribed =
	    g->state != GROUP_EMPTY && group_subscribes_to(g, name);
	bool denied = !api_authorized(b, r, ACL_OP_READ, ACL_RT_TOPIC, name);

	kp_offset_delete_response_offset_delete_response_topic_init(out);
	out->name = t->name;
	out->partitions =
	    arena_calloc(&r->arena, (size_t)t->partitions_count + 1,
			 sizeof(*out->partitions));
	if (!out->partitions)
		return -ENOMEM;
	out->partitions_count = t->partitions_count;
	for (int32_t j = 0; j < t->partitions_count; j++) {
		struct
		    kp_offset_delete_response_offset_delete_response_partition
			*p = &out->partitions[j];
		int32_t idx = t->partitions[j].partition_index;

		kp_offset_delete_response_offset_delete_response_partition_init(
		    p);
		p->partition_index = idx;
		if (denied)
			p->error_code = KERR_TOPIC_AUTHORIZATION_FAILED;
		else if (!partition_find(b, name, idx))
			p->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
		else if (subscribed)
			p->error_code = KERR_GROUP_SUBSCRIBED_TO_TOPIC;
		else if (group_offset_delete(b, g, name, idx))
			p->error_code = KERR_UNKNOWN_SERVER_ERROR;
	}
	return 0;
}

static int16_t od_group_error(struct broker *b, struct req *r,
			      const struct kp_offset_delete_request *req,
			      struct group **out)
{
	struct group *g;

	*out = NULL;
	if (!kp_str_has_nul(req->group_id) &&
	    !api_authorized(b, r, ACL_OP_DELETE, ACL_RT_GROUP,
			    api_name(r, req->group_id)))
		return KERR_GROUP_AUTHORIZATION_FAILED;
	if (!group_id_valid(req->group_id, false))
		return KERR_INVALID_GROUP_ID;
	g = group_find(b, api_name(r, req->group_id));
	if (!g || g->state == GROUP_DEAD)
		return KERR_GROUP_ID_NOT_FOUND;
	if (group_is_foreign_nonempty(g))
		return KERR_NON_EMPTY_GROUP;
	*out = g;
	return KERR_NONE;
}

int api_offset_delete(struct broker *b, struct req *r)
{
	struct kp_offset_delete_request req;
	struct od_state *st = arena_calloc(&r->arena, 1, sizeof(*st));
	struct group *g;

	if (!st)
		return -ENOMEM;
	kp_offset_delete_request_init(&req);
	if (!req_decoded(
		b, r,
		kp_offset_delete_request_decode(
		    &r->rd, r->hdr.request_api_version, &r->arena, &req)))
		return 0;
	kp_offset_delete_response_init(&st->resp);
	r->hstate = st;
	st->resp.error_code = od_group_error(b, r, &req, &g);
	if (g && req.topics_count > 0) {
		st->resp.topics =
		    arena_calloc(&r->arena, (size_t)req.topics_count + 1,
				 sizeof(*st->resp.topics));
		if (!st->resp.topics)
			return -ENOMEM;
		st->resp.topics_count = req.topics_count;
		for (int32_t i = 0; i < req.topics_count; i++)
			if (od_topic(b, r, g, &req.topics[i],
				     &st->resp.topics[i]))
				return -ENOMEM;
	}
	group_offset_wait(b, r, od_done);
	return 0;
}
