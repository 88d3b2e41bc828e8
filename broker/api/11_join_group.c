/* 11_join_group.c - JoinGroup.
 *
 * Versions: 0-9 (6+ flexible; 4+ MEMBER_ID_REQUIRED on a first join
 *           without group.instance.id (KIP-394); 5+ static membership
 *           (KIP-345); 9 skip_assignment for a static leader's rejoin).
 * State:    ready.
 * ACL:      Read on the group, else GROUP_AUTHORIZATION_FAILED (first;
 *           broker/group/membership.c).
 * Notes:    Kafka's order of checks (broker/group/membership.c): group id,
 *           session timeout (group.min/max.session.timeout.ms),
 *           group.max.size (GROUP_MAX_SIZE_REACHED), then new member
 *           (MEMBER_ID_REQUIRED v4+, static replacement v5+) or current
 *           member (FENCED_INSTANCE_ID, UNKNOWN_MEMBER_ID). The request is
 *           held until the join phase ends (see broker/group/coordinator.c)
 *           or, for a static member replaced in a Stable group, until the
 *           group record is durable; while it is held, later requests on
 *           the same connection wait, as with Kafka's muted channel. v7+
 *           errors carry null protocol type and name. v0 has no rebalance
 *           timeout: the session timeout is used.
 */
#include "broker/api/api.h"
#include "broker/group/group.h"

int api_join_group(struct broker *b, struct req *r)
{
	struct kp_join_group_request *req =
	    arena_calloc(&r->arena, 1, sizeof(*req));

	if (!req)
		return -ENOMEM;
	kp_join_group_request_init(req);
	if (!req_decoded(
		b, r,
		kp_join_group_request_decode(&r->rd, r->hdr.request_api_version,
					     &r->arena, req)))
		return 0;
	group_join(b, r, req);
	return 0;
}
