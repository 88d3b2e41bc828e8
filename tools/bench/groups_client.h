/* groups_client.h - the raw-frame group client of sealog-groups-bench.
 *
 * Members of one group, each on its own blocking TCP connection, driven
 * through rebalances the way a client drives them: JoinGroup v5 (a
 * MEMBER_ID_REQUIRED answer is followed by a rejoin with the id), the
 * leader's SyncGroup v3 with an assignment sent once the followers sent
 * theirs, REBALANCE_IN_PROGRESS and UNKNOWN_MEMBER_ID answered by a
 * rejoin; then OffsetCommit v7 from the members. Requests are encoded by
 * proto/'s generated codec. Errors: 0 or a negative errno (-EPROTO: the
 * broker answered an error the bench does not expect, printed to
 * stderr). Thread: the caller's; nothing is shared.
 */
#ifndef SEALOG_TOOLS_BENCH_GROUPS_CLIENT_H
#define SEALOG_TOOLS_BENCH_GROUPS_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#define GB_TOPIC "sealog-groups-bench"
#define GB_FRAME_MAX (16u << 20) /* larger answers close the case */
#define GB_MAX_CONNS 256

struct gb_conn {
	int fd;
	int32_t corr;
	uint8_t *frame; /* the last response read; owned */
};

/* Where a member is in a rebalance. */
enum gb_step { GB_JOINING, GB_LEADER_WAIT, GB_SYNCING, GB_DONE };

struct gb_member {
	struct gb_conn c;
	char id[256];
	int32_t gen;
	enum gb_step step;
	bool leader;
	char **peers; /* leader: the member ids of its join */
	int32_t peer_count;
};

/* What a rebalance round needs. lenient: accept the mock cluster's
 * INVALID_REQUEST to a follower's SyncGroup processed after the
 * leader's (its group is "Up" by then) as a finished sync. */
struct gb_round_cfg {
	const char *group;
	int session_ms;
	int partitions; /* the leader assigns i % partitions */
	bool lenient;
};

double gb_now_ms(void); /* CLOCK_MONOTONIC */

/* host:port (IPv4 literal or localhost). */
int gb_connect(const char *hostport, struct gb_conn *c);
void gb_close(struct gb_conn *c);

/* n members, each connected to bootstrap; on error the caller still
 * closes them with gb_members_close(). */
int gb_members_open(struct gb_member *ms, int n, const char *bootstrap);
void gb_members_close(struct gb_member *ms, int n);

/* One rebalance of ms[0..n): every member joins with a subscription
 * naming round (a changed subscription rebalances a Stable group in any
 * order of arrival), then syncs, until all are in one generation. *took
 * is the time from the first JoinGroup sent to the last SyncGroup
 * answer, in ms. -ETIMEDOUT after 60 s. */
int gb_round(struct gb_member *ms, int n, const struct gb_round_cfg *cfg,
	     int round, double *took);

/* OffsetCommit v7 of partitions 0..parts-1 (parts <= 64) of GB_TOPIC at
 * offset, as member m; then read its answer (every partition must be
 * NONE). */
int gb_commit_send(struct gb_member *m, const char *group, int parts,
		   int64_t offset);
int gb_commit_check(struct gb_member *m);

/* Metadata v4 with allow_auto_topic_creation for GB_TOPIC. */
int gb_topic_create(const char *bootstrap);

#endif
