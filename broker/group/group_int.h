/* group_int.h - internal to broker/group/: the state-machine steps that
 * coordinator.c implements and membership.c drives, and the store and
 * offsets internals. Not a public header. Broker thread only.
 */
#ifndef SEALOG_BROKER_GROUP_GROUP_INT_H
#define SEALOG_BROKER_GROUP_GROUP_INT_H

#include "broker/broker.h"
#include "broker/group/group.h"

#define GROUP_LOGC "GroupCoordinator"

/* Kafka's NewMemberJoinTimeoutMs: a new member's held JoinGroup keeps it
 * alive at most this long. */
#define GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS (5 * 60 * 1000)

/* A member id handed out with MEMBER_ID_REQUIRED, not yet rejoined. */
struct group_pending {
	struct group_pending *next;
	char *id;
	int64_t deadline; /* monotonic ms */
};

/* --- state machine (coordinator.c) ------------------------------------- */

/* Move to PreparingRebalance (from Empty, Stable or CompletingRebalance);
 * held SyncGroups are answered REBALANCE_IN_PROGRESS. */
void group_prepare_rebalance(struct broker *b, struct group *g,
			     const char *reason);
/* Kafka's maybePrepareRebalance: only from Stable, CompletingRebalance
 * or Empty. */
void group_maybe_prepare_rebalance(struct broker *b, struct group *g,
				   const char *reason);

/* The leader's assignment is in the members: save the group record and
 * make the group Stable once it is durable (invariant 5). 0 or -ENOMEM
 * (nothing changed). */
int group_assignment_store(struct broker *b, struct group *g);

/* In PreparingRebalance: finish the join phase if every member has
 * rejoined and no member id handed out is still pending (Kafka's
 * tryCompleteJoin; never during the initial delay). */
void group_try_complete_join(struct broker *b, struct group *g);

/* Kafka's removeMemberAndUpdateGroup: m's held requests are answered
 * (JoinGroup: UNKNOWN_MEMBER_ID; SyncGroup: err), m is freed, then the
 * group rebalances or re-checks its join phase. */
void group_remove_member(struct broker *b, struct group *g,
			 struct group_member *m, int16_t err,
			 const char *reason);

/* Answer m's held JoinGroup with the current generation (members listed
 * for the leader only) and refresh m's session. */
void group_join_respond(struct broker *b, struct group *g,
			struct group_member *m, int16_t err);
/* Answer r (a JoinGroup) with an error and nothing else. */
void group_join_fail(struct broker *b, struct req *r, int16_t err,
		     const char *member_id);
/* Answer m's held SyncGroup with its assignment (or err) and refresh
 * m's session. */
void group_sync_respond(struct broker *b, struct group *g,
			struct group_member *m, int16_t err);

/* Start m's next session timeout now (Kafka's
 * completeAndScheduleNextHeartbeatExpiration). */
void group_member_touch(struct broker *b, struct group_member *m);

struct group_member *group_member_by_instance(const struct group *g,
					      const char *instance_id);
/* Kafka's validateCurrentMember: instance_id (may be NULL) must name a
 * static member whose member id is member_id (FENCED_INSTANCE_ID,
 * UNKNOWN_MEMBER_ID), and member_id must be a member. KERR_NONE or the
 * error. */
int16_t group_validate_member(const struct group *g, const char *member_id,
			      const char *instance_id);
bool group_pending_has(const struct group *g, const char *member_id);
bool group_pending_take(struct group *g, const char *member_id);
int group_pending_add(struct broker *b, struct group *g, const char *id,
		      int64_t deadline);

/* A new member, added to g and not yet waiting for anything; the first
 * member sets the group's protocol type and becomes leader. NULL on
 * allocation failure (g unchanged). */
struct group_member *group_member_add(struct broker *b, struct group *g,
				      const char *id, struct req *r,
				      const struct kp_join_group_request *req);
/* Replace m's protocols and timeouts with those of a JoinGroup. 0 or
 * -ENOMEM (m unchanged). */
int group_member_update(struct group_member *m,
			const struct kp_join_group_request *req);
/* True when the JoinGroup carries exactly m's protocols. */
bool group_member_same_protocols(const struct group_member *m,
				 const struct kp_join_group_request *req);
/* Unlink m from g (no answers, no rebalance) and free it. */
void group_member_unlink(struct group *g, struct group_member *m);
void group_member_free(struct group_member *m);

/* Kafka's supportsProtocols. */
bool group_supports_protocols(const struct group *g, const char *type,
			      const struct kp_join_group_request *req);
/* Kafka's selectProtocol over the current members; NULL if none. */
const char *group_select_protocol(const struct group *g);
/* group.max.size (Kafka's default: no limit). */
int32_t group_max_size(const struct broker *b);

/* Ask groups_tick to run no later than t (monotonic ms). */
void groups_wake_at(struct broker *b, int64_t t);

/* A fresh member id: prefix + "-" + a random UUID. Malloc'd. */
char *group_new_member_id(const char *prefix);

/* --- the store writer (writer.c) --------------------------------------- */

/* Queue one put (val owned) or delete in db for the writer, in order
 * with offset commits. Takes ownership of key and val. 0 or -ENOMEM. */
int group_store_queue(struct broker *b, bool put, const char *db, uint8_t *key,
		      size_t klen, uint8_t *val, size_t vlen);

/* The LMDB key for a natural key of len bytes (malloc'd, *klen set):
 * the bytes themselves when they fit and cannot be mistaken for a
 * digest, else 0x00 | SHA-256 of them. Values carry the identity, so
 * loading never needs to invert this. NULL when out of memory. */
uint8_t *group_store_key(const void *natural, size_t len, size_t *klen);

/* Call fn(b, ctx, 0 or -errno) once everything queued so far is
 * durable (at once when nothing is queued). fn owns ctx. */
typedef void (*group_durable_fn)(struct broker *b, void *ctx, int err);
void group_store_barrier(struct broker *b, group_durable_fn fn, void *ctx);

/* Start the writer thread (b->group_writer). 0, -ENOMEM or -EAGAIN. */
int group_writer_open(struct broker *b);
/* Write what is queued, stop the writer, run every waiter, log its
 * statistics ("Group metadata writer: N puts and N deletes in N LMDB
 * transactions (syncs)", read by sealog-groups-bench). */
void group_writer_close(struct broker *b);

/* --- offsets (offsets.c) ----------------------------------------------- */

void group_offsets_free(struct group *g);
int group_offsets_load(struct broker *b);
/* Kafka's offset expiry (offsets.retention.minutes, KIP-211 and KIP-496)
 * at wall time now_wall_ms; removes groups left Empty without offsets.
 * The time is a parameter so tests can move it. */
void group_offsets_expire(struct broker *b, int64_t now_wall_ms);

/* --- group records (store.c) ------------------------------------------- */

int group_store_save(struct broker *b, const struct group *g);
int group_store_delete(struct broker *b, const char *group_id);
int group_store_load(struct broker *b);

#endif
