/* 08_offset_commit.c - OffsetCommit.
 *
 * Versions: 0-9 (8+ flexible; 1 commit timestamp; 2-4 retention time;
 *           6+ leader epoch; 7+ group.instance.id).
 * State:    ready.
 * ACL:      Read on the group (GROUP_AUTHORIZATION_FAILED for every
 *           partition, checked first), then Read on each topic
 *           (TOPIC_AUTHORIZATION_FAILED for its partitions).
 * Notes:    a group that does not exist is created Empty when the commit
 *           carries no generation (standalone consumers); with a
 *           generation it gets ILLEGAL_GENERATION, as in Kafka; "" is a
 *           valid group id. Members commit during Stable and
 *           PreparingRebalance (which also counts as a heartbeat);
 *           CompletingRebalance answers REBALANCE_IN_PROGRESS (Kafka's
 *           validateOffsetCommit / doCommitOffsets). The answer waits
 *           until the commit is durable (broker/group/offsets.c batches
 *           the writes); only then does OffsetFetch see it, as in Kafka
 *           (offsets.c: visibility). Metadata longer than offset.metadata.max.bytes
 *           (4096, not configurable here) gets OFFSET_METADATA_TOO_LARGE
 *           for that partition.
 */
#include "broker/api/api.h"

#include <string.h>

#include "base/clock.h"
#include "broker/group/group.h"

#define OFFSET_METADATA_MAX 4096

struct oc_state {
	struct kp_offset_commit_request req; /* its arrays live in r->arena */
	struct kp_offset_commit_response resp;
	uint64_t seq;  /* group_offset_seq() of this request's commits */
	int64_t now;   /* wall clock at the request: commit and expiry base */
};

static int16_t oc_partition_check(
    struct broker *b, const char *topic,
    const struct kp_offset_commit_request_offset_commit_request_partition *p)
{
	if (!partition_find(b, topic, p->partition_index))
		return KERR_UNKNOWN_TOPIC_OR_PARTITION;
	if (p->committed_metadata.len > OFFSET_METADATA_MAX)
		return KERR_OFFSET_METADATA_TOO_LARGE;
	return KERR_NONE;
}

static struct group_offset oc_offset(
    struct req *r, const struct oc_state *st,
    const struct kp_offset_commit_request_offset_commit_request_partition *p)
{
	int32_t keep = st->req.retention_time_ms;
	struct group_offset o = {
	    .offset = p->committed_offset,
	    .leader_epoch = p->committed_leader_epoch,
	    .commit_ms =
		p->commit_timestamp >= 0 ? p->commit_timestamp : st->now,
	    .expire_ms = keep >= 0 ? st->now + keep : -1,
	    .metadata = (char *)api_name(r, p->committed_metadata),
	};

	return o;
}

static void oc_commit(
    struct broker *b, struct req *r, struct group *g,
    const struct oc_state *st, const char *topic,
    const struct kp_offset_commit_request_offset_commit_request_partition *p,
    struct kp_offset_commit_response_offset_commit_response_partition *out)
{
	struct group_offset o = oc_offset(r, st, p);

	out->error_code = oc_partition_check(b, topic, p);
	if (out->error_code == KERR_NONE &&
	    group_offset_stage(b, g, topic, p->partition_index, &o, st->seq))
		out->error_code = KERR_UNKNOWN_SERVER_ERROR;
}

/* Publish (err 0) or forget what was staged, partition by partition. */
static void oc_settle(struct broker *b, struct req *r, struct oc_state *st,
		      int err)
{
	struct group *g = group_find(b, api_name(r, st->req.group_id));

	for (int32_t i = 0; i < st->resp.topics_count; i++) {
		const char *topic = api_name(r, st->req.topics[i].name);
		for (int32_t j = 0; j < st->resp.topics[i].partitions_count;
		     j++) {
			const struct
			    kp_offset_commit_request_offset_commit_request_partition
				*p = &st->req.topics[i].partitions[j];
			int16_t *ec =
			    &st->resp.topics[i].partitions[j].error_code;
			struct group_offset o;
			if (*ec != KERR_NONE)
				continue;
			o = oc_offset(r, st, p);
			if (err) {
				*ec = KERR_COORDINATOR_NOT_AVAILABLE;
				if (g)
					group_offset_unstage(
					    g, topic, p->partition_index,
					    st->seq);
			} else if (g && group_offset_publish(
					    g, topic, p->partition_index, &o,
					    st->seq)) {
				*ec = KERR_UNKNOWN_SERVER_ERROR;
			}
		}
	}
}

static void oc_done(struct broker *b, struct req *r, int err)
{
	struct oc_state *st = r->hstate;

	oc_settle(b, r, st, err);
	kp_offset_commit_response_encode(&r->w, r->hdr.request_api_version,
					 &st->resp);
	req_finish(b, r);
}

/* Fill the response; group errors apply to every partition. */
static int oc_build(struct broker *b, struct req *r, struct oc_state *st,
		    struct group *g, int16_t group_err)
{
	const struct kp_offset_commit_request *req = &st->req;
	struct kp_offset_commit_response *resp = &st->resp;

	if (!api_array(r, resp->topics, resp->topics_count, req->topics_count))
		return -ENOMEM;
	for (int32_t i = 0; i < req->topics_count; i++) {
		const struct
		    kp_offset_commit_request_offset_commit_request_topic *t =
			&req->topics[i];
		struct kp_offset_commit_response_offset_commit_response_topic
		    *ot = &resp->topics[i];
		kp_offset_commit_response_offset_commit_response_topic_init(ot);
		ot->name = t->name;
		ot->partitions =
		    arena_calloc(&r->arena, (size_t)t->partitions_count + 1,
				 sizeof(*ot->partitions));
		if (!ot->partitions)
			return -ENOMEM;
		ot->partitions_count = t->partitions_count;
		int16_t terr = group_err == KERR_GROUP_AUTHORIZATION_FAILED ||
				       api_authorized(b, r, ACL_OP_READ,
						      ACL_RT_TOPIC,
						      api_name(r, t->name))
				   ? group_err
				   : KERR_TOPIC_AUTHORIZATION_FAILED;
		for (int32_t j = 0; j < t->partitions_count; j++) {
			struct
			    kp_offset_commit_response_offset_commit_response_partition
				*op = &ot->partitions[j];
			kp_offset_commit_response_offset_commit_response_partition_init(
			    op);
			op->partition_index = t->partitions[j].partition_index;
			op->error_code = terr;
			if (terr == KERR_NONE)
				oc_commit(b, r, g, st, api_name(r, t->name),
					  &t->partitions[j], op);
		}
	}
	return 0;
}

static int16_t oc_group(struct broker *b, struct req *r,
			const struct kp_offset_commit_request *req,
			struct group **out)
{
	const char *gid = api_name(r, req->group_id);
	struct group *g;

	*out = NULL;
	/* "" is a valid group here, as in Kafka (isValidGroupId). */
	if (!group_id_valid(req->group_id, true))
		return KERR_INVALID_GROUP_ID;
	g = group_find(b, gid);
	if (!g && req->generation_id_or_member_epoch >= 0)
		return KERR_ILLEGAL_GENERATION;
	if (!g && !(g = group_get(b, gid)))
		return KERR_UNKNOWN_SERVER_ERROR;
	*out = g;
	if (!group_ids_ok(req->member_id, req->group_instance_id))
		return KERR_UNKNOWN_MEMBER_ID;
	return group_commit_check(b, g, req->generation_id_or_member_epoch,
				  api_name(r, req->member_id),
				  req->group_instance_id.ptr);
}

int api_offset_commit(struct broker *b, struct req *r)
{
	struct oc_state *st = arena_calloc(&r->arena, 1, sizeof(*st));
	struct kp_offset_commit_request *req;
	struct group *g;
	int16_t err;

	if (!st)
		return -ENOMEM;
	req = &st->req;
	kp_offset_commit_request_init(req);
	if (!req_decoded(
		b, r,
		kp_offset_commit_request_decode(
		    &r->rd, r->hdr.request_api_version, &r->arena, req)))
		return 0;
	kp_offset_commit_response_init(&st->resp);
	st->now = clock_wall_ms();
	g = NULL;
	/* Read on the group comes first: a denied principal creates nothing. */
	err = kp_str_has_nul(req->group_id) ||
		      api_authorized(b, r, ACL_OP_READ, ACL_RT_GROUP,
				     api_name(r, req->group_id))
		  ? oc_group(b, r, req, &g)
		  : KERR_GROUP_AUTHORIZATION_FAILED;
	st->seq = group_offset_seq();
	if (oc_build(b, r, st, g, err))
		return -ENOMEM;
	r->hstate = st;
	group_offset_wait(b, r, oc_done);
	return 0;
}
