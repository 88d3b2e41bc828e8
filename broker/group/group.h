/* group.h - the classic consumer-group coordinator and committed offsets.
 *
 * This broker coordinates every group itself (there is one node). The
 * state machine follows Kafka's classic GroupCoordinator: see
 * coordinator.c for the diagram and the invariants. Committed offsets
 * live in memory and in the metadata store (LMDB "offsets"), written by a
 * background writer in batches (writer.c); group membership and
 * assignments of Stable and Empty groups are saved in LMDB "groups" so a
 * clean restart keeps them (store.c).
 *
 * Thread: everything here runs on the broker thread (broker/broker.h),
 * except offsets.c's writer thread, which only touches the metadata store
 * and the queues between the two.
 */
#ifndef SEALOG_BROKER_GROUP_GROUP_H
#define SEALOG_BROKER_GROUP_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/hmap.h"
#include "proto/kp_gen.h"

struct broker;
struct req;

enum group_state {
	GROUP_EMPTY = 0,
	GROUP_PREPARING_REBALANCE,
	GROUP_COMPLETING_REBALANCE,
	GROUP_STABLE,
	GROUP_DEAD,
};

struct group_protocol {
	char *name;
	uint8_t *metadata;
	int32_t len;
};

struct group_member {
	struct group_member *next;
	char *id;
	char *instance_id; /* group.instance.id, NULL for dynamic */
	char *client_id;
	char *client_host; /* "/127.0.0.1", as Kafka prints it */
	int32_t session_timeout_ms;
	int32_t rebalance_timeout_ms;
	struct group_protocol *protocols;
	int32_t protocol_count;
	uint8_t *assignment;
	int32_t assignment_len;
	int64_t heartbeat_deadline; /* monotonic ms */
	struct req *join_req;	    /* a JoinGroup waiting for the join phase */
	struct req *sync_req;	    /* a SyncGroup waiting for the leader */
	bool is_new;		    /* joined during the current rebalance */
	bool sync_pending; /* got its JoinGroup answer, no SyncGroup yet */
	bool join_stored;  /* join_req waits for the group record to be
			    * durable (static member replaced, Stable) */
};

struct group_pending; /* member ids handed out, not yet used (group_int.h) */

struct group {
	struct hmap_node hnode;
	char *id;
	enum group_state state;
	int32_t generation;
	char *protocol_type; /* NULL until a member joined */
	char *protocol_name; /* the selected protocol, NULL if none */
	char *leader_id;
	struct group_member *members;
	int32_t member_count;
	struct group_pending *pending;
	int64_t join_deadline;	/* PreparingRebalance: monotonic ms */
	int64_t sync_deadline;	/* members must SyncGroup by then; 0 = none */
	bool initial_join;	/* Kafka's InitialDelayedJoin is running */
	bool new_member_added;	/* ... and a member arrived meanwhile */
	bool assignment_stored; /* leader's assignment waits to be durable */
	int32_t initial_delay_ms, initial_remaining_ms;
	int64_t empty_since_ms; /* wall ms the group became Empty */
	struct hmap offsets;	/* committed offsets (offsets.c) */
};

/* --- lifecycle hooks (called from broker.c / topics.c) ----------------- */

/* Load saved groups and committed offsets and start the offsets writer.
 * 0 or -errno (logged). Called once from broker_init after topics. */
int groups_init(struct broker *b);

/* Save groups, finish held requests without replies, stop the writer,
 * free everything. After the broker loop ended. */
void groups_fini(struct broker *b);

/* Timers: session expiry, pending members, join and sync deadlines, the
 * initial rebalance delay, offset retention. Returns the next monotonic
 * deadline in ms (INT64_MAX if none). Called every broker loop
 * iteration. */
int64_t groups_tick(struct broker *b, int64_t now_ms);

/* End of a burst of requests: hand every staged store write (offsets,
 * group records) to the writer in one batch. */
void groups_flush(struct broker *b);

/* The writer's notification descriptor: readable when a batch is
 * durable; then call groups_poll(), which answers what waited for it. */
int groups_notify_fd(const struct broker *b);
void groups_poll(struct broker *b);

/* A topic was deleted: drop its committed offsets. */
void groups_topic_deleted(struct broker *b, const char *topic);

/* --- for the group API handlers (coordinator.c, membership.c) ---------- */

const char *group_state_name(enum group_state s);
struct group *group_find(struct broker *b, const char *id);
/* Find or create (Empty). NULL on allocation failure. */
struct group *group_get(struct broker *b, const char *id);
/* Dead: remove g with its offsets (DeleteGroups, expiry). g is freed. */
void group_delete(struct broker *b, struct group *g);
struct group_member *group_member_find(const struct group *g,
				       const char *member_id);

/* Kafka's isValidGroupId: OffsetCommit, OffsetFetch, DescribeGroups and
 * DeleteGroups accept "" (loose), every other group API needs a
 * non-empty id. An id with a NUL byte is never valid here (ids are C
 * strings). */
bool group_id_valid(struct kp_str id, bool loose);
/* Member and instance ids compare as C strings here: one with a NUL byte
 * can name no member (callers answer UNKNOWN_MEMBER_ID). */
bool group_ids_ok(struct kp_str member_id, struct kp_str instance_id);

/* The JoinGroup/SyncGroup logic: each takes the decoded request (in r's
 * arena) and either finishes r or holds it. */
/* Read on the group (JoinGroup, SyncGroup, Heartbeat, LeaveGroup). */
bool group_read_allowed(struct broker *b, struct req *r, struct kp_str id);
void group_join(struct broker *b, struct req *r,
		const struct kp_join_group_request *req);
void group_sync(struct broker *b, struct req *r,
		const struct kp_sync_group_request *req);
/* Heartbeat: Kafka's error for it (refreshes the session when valid). */
int16_t group_heartbeat(struct broker *b, const char *group_id,
			const char *member_id, const char *instance_id,
			int32_t generation);
/* One leaving member (by member id, or by instance id when member_id is
 * ""): Kafka's per-member error. */
int16_t group_leave(struct broker *b, struct group *g, const char *member_id,
		    const char *instance_id);

/* OffsetCommit's group check (Kafka's validateOffsetCommit and the state
 * rule of doCommitOffsets): KERR_NONE when the commit may be stored, which
 * also refreshes the committing member's session. */
int16_t group_commit_check(struct broker *b, struct group *g,
			   int32_t generation, const char *member_id,
			   const char *instance_id);

/* True when g is a consumer-protocol group one of whose members
 * subscribes to topic (OffsetDelete, offset expiry). */
bool group_subscribes_to(const struct group *g, const char *topic);
/* True when g has members and does not speak the consumer protocol. */
bool group_is_foreign_nonempty(const struct group *g);

/* --- committed offsets (offsets.c) -------------------------------------- */

struct group_offset {
	int64_t offset;
	int32_t leader_epoch;
	int64_t commit_ms; /* wall */
	int64_t expire_ms; /* wall; -1 = by Kafka's retention rules */
	char *metadata;
};

/* The committed offset of g for topic/partition, or NULL. */
const struct group_offset *
group_offset_get(const struct group *g, const char *topic, int32_t partition);
/* Visit every committed offset of g (OffsetFetch with null topics). */
typedef void (*group_offset_fn)(void *ctx, const char *topic, int32_t partition,
				const struct group_offset *o);
void group_offsets_foreach(const struct group *g, group_offset_fn fn,
			   void *ctx);

/* Commits are staged, then published once durable, as Kafka keeps them
 * pending until their append completes: OffsetFetch never shows an offset
 * that a crash or a failed write could take back.
 *
 * One OffsetCommit: seq = group_offset_seq(); group_offset_stage() for
 * each partition; group_offset_wait(); in its done callback
 * group_offset_publish() for each staged partition (err 0) or
 * group_offset_unstage() (err). A commit older than a delete of the
 * same partition is never published over it. */
uint64_t group_offset_seq(void);
/* Queue o for the next flush. Returns 0 or -ENOMEM. */
int group_offset_stage(struct broker *b, struct group *g, const char *topic,
		       int32_t partition, const struct group_offset *o,
		       uint64_t seq);
/* The staged commit seq of o is durable: make it the committed offset
 * unless a newer commit or a delete came since. o->metadata is copied.
 * Returns 0 or -ENOMEM. */
int group_offset_publish(struct group *g, const char *topic, int32_t partition,
			 const struct group_offset *o, uint64_t seq);
/* The staged commit seq was not written: forget it. */
void group_offset_unstage(struct group *g, const char *topic,
			  int32_t partition, uint64_t seq);
typedef void (*group_commit_done_fn)(struct broker *b, struct req *r, int err);
/* After staging every change of one request: hold r until the batch
 * holding them is durable, then call done(b, r, 0 or -errno); if the
 * request staged nothing, done runs at once. */
void group_offset_wait(struct broker *b, struct req *r,
		       group_commit_done_fn done);
/* Delete one committed offset (staged like a commit). 0 or -errno. */
int group_offset_delete(struct broker *b, struct group *g, const char *topic,
			int32_t partition);
/* Free g's in-memory offsets and stage their deletion from the store. */
int group_offsets_drop(struct broker *b, struct group *g);

#endif
