/* 14_sync_group.c - SyncGroup.
 *
 * Versions: 0-5 (4+ flexible; 3+ group.instance.id; 5 protocol type and
 *           name, checked against the group's: INCONSISTENT_GROUP_PROTOCOL).
 * State:    ready.
 * ACL:      Read on the group, else GROUP_AUTHORIZATION_FAILED (first;
 *           broker/group/membership.c).
 * Notes:    in CompletingRebalance every request is held until the
 *           leader's assignment is stored and durable (Kafka answers after
 *           its storeGroup write too); in Stable the member's current
 *           assignment is returned at once. Members the leader left out
 *           get an empty assignment. A member that never sends SyncGroup
 *           within the rebalance timeout is removed (Kafka 3.x).
 */
#include "broker/api/api.h"
#include "broker/group/group.h"

int api_sync_group(struct broker *b, struct req *r)
{
	struct kp_sync_group_request *req =
	    arena_calloc(&r->arena, 1, sizeof(*req));

	if (!req)
		return -ENOMEM;
	kp_sync_group_request_init(req);
	if (!req_decoded(
		b, r,
		kp_sync_group_request_decode(&r->rd, r->hdr.request_api_version,
					     &r->arena, req)))
		return 0;
	group_sync(b, r, req);
	return 0;
}
