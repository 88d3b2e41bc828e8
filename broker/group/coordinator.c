/* coordinator.c - the classic group state machine, its registry and timers.
 *
 * Kafka's classic GroupCoordinator (GroupMetadata states), for one node:
 *
 *                join (new member, or changed protocols)
 *      +-------+ ------------------------------> +--------------------+
 *      | Empty |                                 | PreparingRebalance |<--+
 *      +-------+ <---- join phase ends with ---- +--------------------+   |
 *        ^  |         no members left                  | every member     |
 *        |  |                                          | rejoined, or     |
 *        |  | DeleteGroups / expiry                    v join deadline    |
 *        |  v                                +----------------------+     |
 *        | Dead                              | CompletingRebalance  |-----+
 *        |                                   +----------------------+  join,
 *        | last member leaves / expires         | leader's assignment  leave,
 *        |                                      v is durable           expiry,
 *        +------------------------------- +--------+                  no sync
 *                                          | Stable |---------------------+
 *                                          +--------+
 *
 * Invariants:
 *  1. In PreparingRebalance, a member whose join_req is set waits for the
 *     join phase. The phase ends when every member waits and no member id
 *     handed out with MEMBER_ID_REQUIRED is pending, or at join_deadline
 *     (the largest rebalance timeout). Then dynamic members that did not
 *     rejoin are removed, static ones stay; if nobody rejoined at all the
 *     phase runs for another rebalance timeout (Kafka's onCompleteJoin).
 *  2. The first join of an Empty group waits group.initial.rebalance.
 *     delay.ms and never ends early; in generation 0, one more delay each
 *     time a member arrived meanwhile, up to the largest rebalance timeout
 *     in total (Kafka's InitialDelayedJoin).
 *  3. The generation grows by one each time a join phase ends.
 *  4. A member is removed when session_timeout_ms passed since its last
 *     heartbeat, commit or answer, unless a held SyncGroup, or a held
 *     JoinGroup of a member that is not new, keeps it alive (Kafka's
 *     hasSatisfiedHeartbeat); a new member's held JoinGroup keeps it at
 *     most GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS.
 *  5. In CompletingRebalance, held SyncGroups wait for the leader's. Its
 *     assignment is stored with the group record; once that is durable
 *     (assignment_stored in between) the group is Stable and every held
 *     SyncGroup gets its assignment.
 *  6. Every member answered by a join phase must send SyncGroup before
 *     sync_deadline (the largest rebalance timeout after the phase); those
 *     that did not (sync_pending) are removed and the group rebalances
 *     (Kafka 3.x pending-sync expiry).
 *  7. Every held request is answered exactly once: join_req and sync_req
 *     are cleared when answered, and a member is freed only after them.
 *
 * transition                      function
 * Empty/Stable/Completing -> Prep group_prepare_rebalance
 * Prep -> Completing / Empty      group_complete_join
 * Completing -> Stable            group_assignment_durable (after the
 *                                 leader's SyncGroup, membership.c)
 * Empty -> Dead                   group_delete (DeleteGroups, expiry)
 */
#include "broker/group/group_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "proto/kerr.h"

const char *group_state_name(enum group_state s)
{
	static const char *names[] = {
	    [GROUP_EMPTY] = "Empty",
	    [GROUP_PREPARING_REBALANCE] = "PreparingRebalance",
	    [GROUP_COMPLETING_REBALANCE] = "CompletingRebalance",
	    [GROUP_STABLE] = "Stable",
	    [GROUP_DEAD] = "Dead",
	};
	return names[s];
}

void groups_wake_at(struct broker *b, int64_t t)
{
	if (t < b->groups_next_tick)
		b->groups_next_tick = t;
}

int32_t group_max_size(const struct broker *b)
{
	return b->cfg->group_max_size;
}

bool group_id_valid(struct kp_str id, bool loose)
{
	if (id.len < 0 || (id.len > 0 && kp_str_has_nul(id)))
		return false;
	return loose || id.len > 0;
}

bool group_ids_ok(struct kp_str member_id, struct kp_str instance_id)
{
	return (member_id.len <= 0 || !kp_str_has_nul(member_id)) &&
	       (instance_id.len <= 0 || !kp_str_has_nul(instance_id));
}

/* --- registry ---------------------------------------------------------- */

struct group *group_find(struct broker *b, const char *id)
{
	uint64_t h = hmap_hash_bytes(id, strlen(id));

	for (struct hmap_node *n = hmap_first(&b->groups, h); n;
	     n = hmap_next(n, h)) {
		struct group *g = container_of(n, struct group, hnode);
		if (strcmp(g->id, id) == 0)
			return g;
	}
	return NULL;
}

struct group *group_get(struct broker *b, const char *id)
{
	struct group *g = group_find(b, id);

	if (g)
		return g;
	g = calloc(1, sizeof(*g));
	if (!g || !(g->id = strdup(id)) || hmap_init(&g->offsets)) {
		if (g)
			free(g->id);
		free(g);
		return NULL;
	}
	g->state = GROUP_EMPTY;
	g->empty_since_ms = clock_wall_ms();
	hmap_insert(&b->groups, &g->hnode, hmap_hash_bytes(id, strlen(id)));
	return g;
}

static void group_free(struct group *g)
{
	while (g->members) {
		struct group_member *m = g->members;
		g->members = m->next;
		group_member_free(m);
	}
	while (g->pending) {
		struct group_pending *p = g->pending;
		g->pending = p->next;
		free(p->id);
		free(p);
	}
	group_offsets_free(g);
	hmap_fini(&g->offsets);
	free(g->protocol_type);
	free(g->protocol_name);
	free(g->leader_id);
	free(g->id);
	free(g);
}

void group_delete(struct broker *b, struct group *g)
{
	log_info(GROUP_LOGC, "Group %s transitioned to Dead in generation %d",
		 g->id, g->generation);
	g->state = GROUP_DEAD;
	group_offsets_drop(b, g);
	group_store_delete(b, g->id);
	hmap_remove(&b->groups, &g->hnode);
	group_free(g);
}

/* --- pending member ids (KIP-394) --------------------------------------- */

bool group_pending_has(const struct group *g, const char *member_id)
{
	for (const struct group_pending *p = g->pending; p; p = p->next)
		if (strcmp(p->id, member_id) == 0)
			return true;
	return false;
}

bool group_pending_take(struct group *g, const char *member_id)
{
	for (struct group_pending **pp = &g->pending; *pp; pp = &(*pp)->next) {
		struct group_pending *p = *pp;
		if (strcmp(p->id, member_id) == 0) {
			*pp = p->next;
			free(p->id);
			free(p);
			return true;
		}
	}
	return false;
}

int group_pending_add(struct broker *b, struct group *g, const char *id,
		      int64_t deadline)
{
	struct group_pending *p = calloc(1, sizeof(*p));

	if (!p || !(p->id = strdup(id))) {
		free(p);
		return -ENOMEM;
	}
	p->deadline = deadline;
	p->next = g->pending;
	g->pending = p;
	groups_wake_at(b, deadline);
	return 0;
}

/* --- transitions -------------------------------------------------------- */

/* Kafka's GroupMetadata.rebalanceTimeoutMs: the largest of the members'. */
static int32_t group_rebalance_timeout(const struct group *g)
{
	int32_t t = 0;

	for (const struct group_member *m = g->members; m; m = m->next)
		if (m->rebalance_timeout_ms > t)
			t = m->rebalance_timeout_ms;
	return t;
}

/* Kafka's resetAndPropagateAssignmentError. */
static void group_reset_assignment(struct broker *b, struct group *g,
				   int16_t err)
{
	for (struct group_member *m = g->members; m; m = m->next) {
		free(m->assignment);
		m->assignment = NULL;
		m->assignment_len = 0;
		if (m->sync_req)
			group_sync_respond(b, g, m, err);
	}
}

static void group_clear_sync_pending(struct group *g)
{
	for (struct group_member *m = g->members; m; m = m->next)
		m->sync_pending = false;
	g->sync_deadline = 0;
}

void group_prepare_rebalance(struct broker *b, struct group *g,
			     const char *reason)
{
	int32_t timeout = group_rebalance_timeout(g);
	int32_t delay = b->cfg->group_initial_rebalance_delay_ms;
	int64_t now = clock_mono_ms();

	if (g->state == GROUP_COMPLETING_REBALANCE)
		group_reset_assignment(b, g, KERR_REBALANCE_IN_PROGRESS);
	group_clear_sync_pending(g);
	g->assignment_stored = false;
	g->new_member_added = false;
	g->initial_join = g->state == GROUP_EMPTY;
	if (g->initial_join) {
		g->initial_delay_ms = delay;
		g->initial_remaining_ms = timeout > delay ? timeout - delay : 0;
		g->join_deadline = now + delay;
	} else {
		g->join_deadline = now + timeout;
	}
	log_info(GROUP_LOGC,
		 "Preparing to rebalance group %s in state %s with old "
		 "generation %d (reason: %s)",
		 g->id, group_state_name(g->state), g->generation, reason);
	g->state = GROUP_PREPARING_REBALANCE;
	groups_wake_at(b, g->join_deadline);
}

void group_maybe_prepare_rebalance(struct broker *b, struct group *g,
				   const char *reason)
{
	if (g->state == GROUP_STABLE || g->state == GROUP_EMPTY ||
	    g->state == GROUP_COMPLETING_REBALANCE)
		group_prepare_rebalance(b, g, reason);
}

static bool group_all_joined(const struct group *g)
{
	if (g->pending)
		return false;
	for (const struct group_member *m = g->members; m; m = m->next)
		if (!m->join_req)
			return false;
	return true;
}

/* Answer what m still holds, then unlink and free it (no rebalance). */
static void group_member_release(struct broker *b, struct group *g,
				 struct group_member *m, int16_t err)
{
	if (m->join_req)
		group_join_fail(b, m->join_req, err, "");
	m->join_req = NULL;
	if (m->sync_req)
		group_sync_respond(b, g, m, err);
	group_member_unlink(g, m);
}

/* End of a join phase: dynamic members that did not rejoin leave. */
static void group_drop_unjoined(struct broker *b, struct group *g)
{
	struct group_member *m = g->members, *next;

	for (; m; m = next) {
		next = m->next;
		if (m->join_req || m->instance_id)
			continue;
		log_info(
		    GROUP_LOGC,
		    "Group %s removed dynamic member %s, which did not rejoin",
		    g->id, m->id);
		group_member_release(b, g, m, KERR_UNKNOWN_MEMBER_ID);
	}
}

/* Kafka's maybeElectNewJoinedLeader: a leader that did not rejoin hands
 * over to any member that did; false when none did. */
static bool group_elect_joined_leader(struct group *g)
{
	struct group_member *l =
	    g->leader_id ? group_member_find(g, g->leader_id) : NULL;
	char *id;

	if (l && l->join_req)
		return true;
	for (struct group_member *m = g->members; m; m = m->next) {
		if (!m->join_req || !(id = strdup(m->id)))
			continue;
		log_info(GROUP_LOGC,
			 "Group %s leader %s failed to join before the "
			 "rebalance timeout; %s is the new leader",
			 g->id, g->leader_id ? g->leader_id : "(none)", id);
		free(g->leader_id);
		g->leader_id = id;
		return true;
	}
	return false;
}

static void group_become_empty(struct broker *b, struct group *g)
{
	free(g->protocol_name);
	g->protocol_name = NULL;
	free(g->leader_id);
	g->leader_id = NULL;
	g->state = GROUP_EMPTY;
	g->empty_since_ms = clock_wall_ms();
	log_info(GROUP_LOGC, "Group %s with generation %d is now empty", g->id,
		 g->generation);
	group_store_save(b, g);
}

/* Kafka's initNextGeneration for a group with members, then every held
 * JoinGroup is answered and every member must SyncGroup in time. */
static void group_start_generation(struct broker *b, struct group *g)
{
	const char *proto = group_select_protocol(g);

	free(g->protocol_name);
	g->protocol_name = proto ? strdup(proto) : NULL;
	g->state = GROUP_COMPLETING_REBALANCE;
	log_info(GROUP_LOGC,
		 "Stabilized group %s generation %d (%s) with %d members",
		 g->id, g->generation, g->protocol_name ? g->protocol_name : "",
		 g->member_count);
	for (struct group_member *m = g->members; m; m = m->next) {
		group_join_respond(b, g, m, KERR_NONE);
		group_member_touch(b, m);
		m->is_new = false;
		m->sync_pending = true;
	}
	g->sync_deadline = clock_mono_ms() + group_rebalance_timeout(g);
	groups_wake_at(b, g->sync_deadline);
}

static void group_complete_join(struct broker *b, struct group *g)
{
	group_drop_unjoined(b, g);
	if (g->members && !group_elect_joined_leader(g)) {
		log_error(GROUP_LOGC,
			  "Group %s could not complete rebalance because no "
			  "members rejoined",
			  g->id);
		g->join_deadline = clock_mono_ms() + group_rebalance_timeout(g);
		groups_wake_at(b, g->join_deadline);
		return;
	}
	g->generation++;
	if (g->members)
		group_start_generation(b, g);
	else
		group_become_empty(b, g);
}

void group_try_complete_join(struct broker *b, struct group *g)
{
	if (g->state == GROUP_PREPARING_REBALANCE && !g->initial_join &&
	    group_all_joined(g))
		group_complete_join(b, g);
}

void group_remove_member(struct broker *b, struct group *g,
			 struct group_member *m, int16_t err,
			 const char *reason)
{
	log_info(GROUP_LOGC, "Removing member %s from group %s (%s)", m->id,
		 g->id, reason);
	group_member_release(b, g, m, err);
	if (g->state == GROUP_STABLE || g->state == GROUP_COMPLETING_REBALANCE)
		group_prepare_rebalance(b, g, reason);
	/* In PreparingRebalance the others may all be waiting now; the last
	 * member leaving ends the phase at once (Empty). */
	group_try_complete_join(b, g);
}

/* --- durable assignments (invariant 5) --------------------------------- */

struct assign_ctx {
	char *group_id;
	int32_t generation;
};

static void group_assignment_durable(struct broker *b, void *arg, int err)
{
	struct assign_ctx *c = arg;
	struct group *g = group_find(b, c->group_id);

	/* A rebalance since the leader's SyncGroup makes this moot, as in
	 * Kafka's storeGroup callback. */
	if (g && g->assignment_stored && g->generation == c->generation &&
	    g->state == GROUP_COMPLETING_REBALANCE) {
		g->assignment_stored = false;
		if (err) {
			log_warn(
			    GROUP_LOGC,
			    "Failed to store the assignment of group %s: %s",
			    g->id, strerror(-err));
			group_reset_assignment(b, g,
					       KERR_COORDINATOR_NOT_AVAILABLE);
			group_prepare_rebalance(
			    b, g, "the assignment could not be stored");
		} else {
			g->state = GROUP_STABLE;
			for (struct group_member *m = g->members; m;
			     m = m->next)
				if (m->sync_req)
					group_sync_respond(b, g, m, KERR_NONE);
		}
	}
	free(c->group_id);
	free(c);
}

int group_assignment_store(struct broker *b, struct group *g)
{
	struct assign_ctx *c = calloc(1, sizeof(*c));

	if (!c || !(c->group_id = strdup(g->id))) {
		free(c);
		return -ENOMEM;
	}
	c->generation = g->generation;
	g->assignment_stored = true;
	/* The record has no state: a group with members loads as Stable,
	 * which is what this one becomes. */
	group_store_save(b, g);
	group_store_barrier(b, group_assignment_durable, c);
	return 0;
}

/* --- timers --------------------------------------------------------------- */

/* Kafka's InitialDelayedJoin.onComplete. */
static void group_initial_delay_expired(struct broker *b, struct group *g,
					int64_t now)
{
	int32_t cfg = b->cfg->group_initial_rebalance_delay_ms;

	if (g->new_member_added && g->initial_remaining_ms != 0) {
		int32_t delay = cfg < g->initial_remaining_ms
				    ? cfg
				    : g->initial_remaining_ms;
		int32_t left = g->initial_remaining_ms - g->initial_delay_ms;

		g->new_member_added = false;
		g->initial_remaining_ms = left > 0 ? left : 0;
		g->initial_delay_ms = delay;
		g->join_deadline = now + delay;
		groups_wake_at(b, g->join_deadline);
		return;
	}
	g->initial_join = false;
	group_complete_join(b, g);
}

/* Kafka's onExpirePendingSync. */
static void group_sync_expired(struct broker *b, struct group *g)
{
	struct group_member *m = g->members, *next;

	g->sync_deadline = 0;
	for (; m; m = next) {
		next = m->next;
		if (!m->sync_pending)
			continue;
		log_info(GROUP_LOGC,
			 "Group %s removed member %s, which did not send "
			 "SyncGroup in time",
			 g->id, m->id);
		group_member_release(b, g, m, KERR_UNKNOWN_MEMBER_ID);
		next = g->members; /* the list changed: rescan */
	}
	group_prepare_rebalance(
	    b, g, "members did not sync before the rebalance timeout");
	group_try_complete_join(b, g);
}

static bool member_kept_alive(const struct group_member *m)
{
	if (m->is_new)
		return false;
	return m->join_req || m->sync_req;
}

static struct group_member *group_first_expired(const struct group *g,
						int64_t now)
{
	for (struct group_member *m = g->members; m; m = m->next)
		if (!member_kept_alive(m) && m->heartbeat_deadline <= now)
			return m;
	return NULL;
}

static bool group_any_sync_pending(const struct group *g)
{
	for (const struct group_member *m = g->members; m; m = m->next)
		if (m->sync_pending)
			return true;
	return false;
}

static void group_expire_pending(struct broker *b, struct group *g, int64_t now)
{
	struct group_pending **pp = &g->pending;

	while (*pp) {
		struct group_pending *p = *pp;
		if (p->deadline > now) {
			pp = &p->next;
			continue;
		}
		log_info(GROUP_LOGC,
			 "Pending member %s in group %s has been removed after "
			 "session timeout expiration",
			 p->id, g->id);
		*pp = p->next;
		free(p->id);
		free(p);
	}
	group_try_complete_join(b, g);
}

static void group_tick(struct broker *b, struct group *g, int64_t now)
{
	struct group_member *m;

	group_expire_pending(b, g, now);
	while ((m = group_first_expired(g, now)))
		group_remove_member(b, g, m, KERR_UNKNOWN_MEMBER_ID,
				    "session timeout expired");
	if (g->state == GROUP_PREPARING_REBALANCE && g->join_deadline <= now) {
		if (g->initial_join)
			group_initial_delay_expired(b, g, now);
		else
			group_complete_join(b, g);
	}
	if ((g->state == GROUP_COMPLETING_REBALANCE ||
	     g->state == GROUP_STABLE) &&
	    g->sync_deadline && g->sync_deadline <= now) {
		if (group_any_sync_pending(g))
			group_sync_expired(b, g);
		else
			g->sync_deadline = 0;
	}
}

static int64_t group_next_deadline(const struct group *g)
{
	int64_t next = INT64_MAX;

	for (const struct group_pending *p = g->pending; p; p = p->next)
		if (p->deadline < next)
			next = p->deadline;
	for (const struct group_member *m = g->members; m; m = m->next)
		if (!member_kept_alive(m) && m->heartbeat_deadline < next)
			next = m->heartbeat_deadline;
	if (g->state == GROUP_PREPARING_REBALANCE && g->join_deadline < next)
		next = g->join_deadline;
	if (g->sync_deadline && g->sync_deadline < next)
		next = g->sync_deadline;
	return next;
}

int64_t groups_tick(struct broker *b, int64_t now_ms)
{
	if (now_ms >= b->groups_next_expire) {
		group_offsets_expire(b, clock_wall_ms());
		b->groups_next_expire =
		    now_ms + b->cfg->offsets_retention_check_interval_ms;
	}
	if (now_ms >= b->groups_next_tick) {
		struct hmap_iter it;
		struct hmap_node *n;
		int64_t next = INT64_MAX;

		hmap_iter_init(&it, &b->groups);
		while ((n = hmap_iter_next(&it))) {
			struct group *g = container_of(n, struct group, hnode);
			int64_t t;

			group_tick(b, g, now_ms);
			t = group_next_deadline(g);
			if (t < next)
				next = t;
		}
		b->groups_next_tick = next > now_ms ? next : now_ms + 1;
	}
	return b->groups_next_tick < b->groups_next_expire
		   ? b->groups_next_tick
		   : b->groups_next_expire;
}

/* --- lifecycle ------------------------------------------------------------ */

/* Kafka's onGroupLoaded: an over-capacity group rebalances at once. */
static void groups_loaded(struct broker *b)
{
	int32_t max = group_max_size(b);
	struct hmap_iter it;
	struct hmap_node *n;

	hmap_iter_init(&it, &b->groups);
	while ((n = hmap_iter_next(&it))) {
		struct group *g = container_of(n, struct group, hnode);
		if (g->member_count > max)
			group_prepare_rebalance(
			    b, g, "the loaded group is over group.max.size");
	}
}

int groups_init(struct broker *b)
{
	int rc;

	if (hmap_init(&b->groups))
		return -ENOMEM;
	b->groups_next_tick = clock_mono_ms();
	b->groups_next_expire =
	    clock_mono_ms() + b->cfg->offsets_retention_check_interval_ms;
	rc = group_store_load(b);
	if (!rc)
		rc = group_offsets_load(b);
	if (!rc)
		rc = group_writer_open(b);
	if (rc)
		return rc;
	groups_loaded(b);
	log_info(GROUP_LOGC, "Loaded %zu consumer groups", b->groups.count);
	return 0;
}

void groups_fini(struct broker *b)
{
	struct hmap_iter it;
	struct hmap_node *n;

	if (!b->groups.buckets)
		return;
	/* Held requests will never be answered: their connections are
	 * gone. Save what a clean restart needs, then stop the writer. */
	hmap_iter_init(&it, &b->groups);
	while ((n = hmap_iter_next(&it))) {
		struct group *g = container_of(n, struct group, hnode);
		for (struct group_member *m = g->members; m; m = m->next) {
			if (m->join_req)
				req_finish_silent(b, m->join_req);
			if (m->sync_req)
				req_finish_silent(b, m->sync_req);
			m->join_req = m->sync_req = NULL;
		}
		if (g->state == GROUP_STABLE || g->state == GROUP_EMPTY)
			group_store_save(b, g);
	}
	group_writer_close(b);
	hmap_iter_init(&it, &b->groups);
	while ((n = hmap_iter_next(&it))) {
		hmap_remove(&b->groups, n);
		group_free(container_of(n, struct group, hnode));
	}
	hmap_fini(&b->groups);
}
