/* membership.c - JoinGroup, SyncGroup, Heartbeat, LeaveGroup and the
 * OffsetCommit group check.
 *
 * The request-level rules of Kafka's classic GroupCoordinator
 * (handleJoinGroup, doNewMemberJoinGroup, doCurrentMemberJoinGroup,
 * updateStaticMemberAndRebalance, handleSyncGroup, handleHeartbeat,
 * handleLeaveGroup, validateOffsetCommit), with its error codes in its
 * order of checks. The state machine they drive is in coordinator.c.
 *
 * A JoinGroup or SyncGroup that must wait is held (req_hold): the member
 * keeps a pointer to it and it is answered when the join phase ends, the
 * leader's assignment is durable, the group record of a replaced static
 * member is durable, or the member is removed.
 */
#include "broker/group/group_int.h"
#include "broker/api/api.h"

#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/log.h"
#include "proto/kerr.h"

static const char *cstr(struct kp_str s)
{
	return s.ptr ? s.ptr : "";
}

/* --- JoinGroup responses ------------------------------------------------- */

void group_join_fail(struct broker *b, struct req *r, int16_t err,
		     const char *member_id)
{
	struct kp_join_group_response resp;
	bool v7 = r->hdr.request_api_version >= 7;

	kp_join_group_response_init(&resp);
	resp.error_code = err;
	resp.generation_id = -1;
	resp.member_id =
	    kp_str_of(arena_strndup(&r->arena, member_id, strlen(member_id)));
	resp.protocol_type = KP_STR_NULL;
	resp.protocol_name = v7 ? KP_STR_NULL : KP_STR("");
	resp.leader = KP_STR("");
	kp_join_group_response_encode(&r->w, r->hdr.request_api_version, &resp);
	req_finish(b, r);
}

/* The leader's member list, with each member's metadata for the
 * selected protocol (Kafka's currentMemberMetadata). */
static int join_members(struct req *r, const struct group *g,
			struct kp_join_group_response *resp)
{
	int32_t i = 0;

	resp->members = arena_calloc(&r->arena, (size_t)g->member_count + 1,
				     sizeof(*resp->members));
	if (!resp->members)
		return -ENOMEM;
	for (const struct group_member *m = g->members; m; m = m->next) {
		struct kp_join_group_response_join_group_response_member *o =
		    &resp->members[i++];

		kp_join_group_response_join_group_response_member_init(o);
		o->member_id = kp_str_of(m->id);
		o->group_instance_id = kp_str_of(m->instance_id);
		o->metadata.ptr = (const uint8_t *)"";
		o->metadata.len = 0;
		for (int32_t j = 0; j < m->protocol_count; j++)
			if (g->protocol_name && strcmp(m->protocols[j].name,
						       g->protocol_name) == 0) {
				o->metadata.ptr = m->protocols[j].metadata;
				o->metadata.len = m->protocols[j].len;
			}
	}
	resp->members_count = i;
	return 0;
}

/* What one successful JoinGroup answer says besides the generation. */
struct join_view {
	const char *leader; /* the leader id the member is told */
	bool members;	    /* list the members (leaders only) */
	bool skip;	    /* v9 skip_assignment */
};

static void join_answer(struct broker *b, struct req *r, struct group *g,
			const struct group_member *m, const struct join_view *v)
{
	struct kp_join_group_response resp;

	kp_join_group_response_init(&resp);
	resp.error_code = KERR_NONE;
	resp.generation_id = g->generation;
	resp.protocol_type = kp_str_of(g->protocol_type);
	resp.protocol_name =
	    kp_str_of(g->protocol_name ? g->protocol_name : "");
	resp.leader = kp_str_of(v->leader ? v->leader : "");
	resp.member_id = kp_str_of(m->id);
	resp.skip_assignment = v->skip;
	if (v->members && join_members(r, g, &resp)) {
		req_fail_close(b, r);
		return;
	}
	kp_join_group_response_encode(&r->w, r->hdr.request_api_version, &resp);
	req_finish(b, r);
}

static bool is_leader(const struct group *g, const struct group_member *m)
{
	return g->leader_id && strcmp(g->leader_id, m->id) == 0;
}

/* The answer of the current generation: members for the leader only. */
static void join_answer_current(struct broker *b, struct req *r,
				struct group *g, const struct group_member *m)
{
	struct join_view v = {.leader = g->leader_id,
			      .members = is_leader(g, m)};

	join_answer(b, r, g, m, &v);
}

void group_join_respond(struct broker *b, struct group *g,
			struct group_member *m, int16_t err)
{
	struct req *r = m->join_req;

	m->join_req = NULL;
	m->join_stored = false;
	if (!r)
		return;
	group_member_touch(b, m);
	if (err != KERR_NONE)
		group_join_fail(b, r, err, m->id);
	else
		join_answer_current(b, r, g, m);
}

/* --- JoinGroup -------------------------------------------------------------
 */

/* m waits for the join phase with r (a newer JoinGroup from another
 * connection replaces an older one, which gets REBALANCE_IN_PROGRESS). */
static void join_hold(struct broker *b, struct group *g, struct group_member *m,
		      struct req *r)
{
	if (m->join_req)
		group_join_respond(b, g, m, KERR_REBALANCE_IN_PROGRESS);
	m->join_req = r;
	req_hold(b, r);
}

/* Kafka's addMemberAndRebalance. */
static void join_add_and_rebalance(struct broker *b, struct req *r,
				   struct group *g, const char *id,
				   const struct kp_join_group_request *req)
{
	struct group_member *m = group_member_add(b, g, id, r, req);

	if (!m) {
		group_join_fail(b, r, KERR_UNKNOWN_SERVER_ERROR, "");
		return;
	}
	join_hold(b, g, m, r);
	group_maybe_prepare_rebalance(b, g, "a new member joined");
}

/* Kafka's updateMemberAndRebalance. */
static void join_update_and_rebalance(struct broker *b, struct req *r,
				      struct group *g, struct group_member *m,
				      const struct kp_join_group_request *req,
				      const char *reason)
{
	if (group_member_update(m, req)) {
		group_join_fail(b, r, KERR_UNKNOWN_SERVER_ERROR, m->id);
		return;
	}
	join_hold(b, g, m, r);
	group_maybe_prepare_rebalance(b, g, reason);
}

/* A replaced static member's answer waits for the group record. */
struct static_ctx {
	char *group_id, *member_id;
	char *old_leader; /* the leader before the replacement */
	bool skip;	  /* JoinGroup v9+ */
};

static void static_ctx_free(struct static_ctx *c)
{
	free(c->group_id);
	free(c->member_id);
	free(c->old_leader);
	free(c);
}

static void static_rejoin_durable(struct broker *b, void *arg, int err)
{
	struct static_ctx *c = arg;
	struct group *g = group_find(b, c->group_id);
	struct group_member *m = g ? group_member_find(g, c->member_id) : NULL;
	struct req *r = m && m->join_stored ? m->join_req : NULL;

	if (r && g->state == GROUP_STABLE) {
		struct join_view v = {.leader = c->old_leader};
		m->join_req = NULL;
		m->join_stored = false;
		if (c->skip) {
			/* v9: the leader learns it leads, without assigning. */
			v.leader = g->leader_id;
			v.members = v.skip = is_leader(g, m);
		}
		if (err)
			group_join_fail(b, r, KERR_COORDINATOR_NOT_AVAILABLE,
					"");
		else
			join_answer(b, r, g, m, &v);
	} else if (m) {
		/* A rebalance started meanwhile: the join phase answers. */
		m->join_stored = false;
	}
	static_ctx_free(c);
}

/* In Stable with an unchanged selected protocol: no rebalance; persist
 * the new member id, then answer (Kafka: storeGroup callback). */
static void join_static_store(struct broker *b, struct req *r, struct group *g,
			      struct group_member *m, const char *old_leader)
{
	struct static_ctx *c = calloc(1, sizeof(*c));

	if (c) {
		c->group_id = strdup(g->id);
		c->member_id = strdup(m->id);
		c->old_leader = old_leader ? strdup(old_leader) : NULL;
		c->skip = r->hdr.request_api_version >= 9;
	}
	if (!c || !c->group_id || !c->member_id ||
	    (old_leader && !c->old_leader)) {
		if (c)
			static_ctx_free(c);
		group_join_respond(b, g, m, KERR_UNKNOWN_SERVER_ERROR);
		return;
	}
	log_info(GROUP_LOGC,
		 "Static member %s of group %s rejoined during Stable and "
		 "keeps its assignment: no rebalance",
		 m->instance_id, g->id);
	m->join_stored = true;
	group_store_save(b, g);
	group_store_barrier(b, static_rejoin_durable, c);
}

/* Swap m's member id for id; held requests of the old id are fenced. */
static int static_replace_id(struct broker *b, struct group *g,
			     struct group_member *m, char *id)
{
	char *leader = NULL;

	if (is_leader(g, m) && !(leader = strdup(id)))
		return -ENOMEM;
	if (m->join_req)
		group_join_respond(b, g, m, KERR_FENCED_INSTANCE_ID);
	if (m->sync_req)
		group_sync_respond(b, g, m, KERR_FENCED_INSTANCE_ID);
	if (leader) {
		free(g->leader_id);
		g->leader_id = leader;
	}
	free(m->id);
	m->id = id;
	return 0;
}

/* Kafka's updateStaticMemberAndRebalance: a static member rejoined with
 * an empty member id and takes over its instance under a new id. */
static void join_static_replace(struct broker *b, struct req *r,
				struct group *g, struct group_member *m,
				char *id,
				const struct kp_join_group_request *req)
{
	char *old_leader = g->leader_id ? strdup(g->leader_id) : NULL;
	const char *sel;

	log_info(GROUP_LOGC,
		 "Static member %s of group %s with unknown member id joins in "
		 "state %s; replacing member %s with %s",
		 m->instance_id, g->id, group_state_name(g->state), m->id, id);
	if ((g->leader_id && !old_leader) || static_replace_id(b, g, m, id)) {
		free(id);
		free(old_leader);
		group_join_fail(b, r, KERR_UNKNOWN_SERVER_ERROR, "");
		return;
	}
	group_member_touch(b, m);
	if (group_member_update(m, req)) {
		free(old_leader);
		group_join_fail(b, r, KERR_UNKNOWN_SERVER_ERROR, "");
		return;
	}
	join_hold(b, g, m, r);
	sel = g->state == GROUP_STABLE ? group_select_protocol(g) : NULL;
	if (g->state == GROUP_STABLE && sel && g->protocol_name &&
	    strcmp(sel, g->protocol_name) == 0)
		join_static_store(b, r, g, m, old_leader);
	else if (g->state == GROUP_STABLE)
		group_maybe_prepare_rebalance(
		    b, g, "a static member rejoined with another protocol");
	else if (g->state == GROUP_COMPLETING_REBALANCE)
		group_prepare_rebalance(
		    b, g, "a static member rejoined during the sync phase");
	free(old_leader);
}

/* Kafka's doNewMemberJoinGroup. */
static void join_new_member(struct broker *b, struct req *r, struct group *g,
			    const struct kp_join_group_request *req)
{
	const char *inst = req->group_instance_id.ptr;
	struct group_member *m;
	char *id;

	if (g->state == GROUP_DEAD) {
		group_join_fail(b, r, KERR_COORDINATOR_NOT_AVAILABLE, "");
		return;
	}
	if (!group_supports_protocols(g, cstr(req->protocol_type), req)) {
		group_join_fail(b, r, KERR_INCONSISTENT_GROUP_PROTOCOL, "");
		return;
	}
	id = group_new_member_id(inst ? inst : cstr(r->hdr.client_id));
	if (!id) {
		group_join_fail(b, r, KERR_UNKNOWN_SERVER_ERROR, "");
		return;
	}
	m = inst ? group_member_by_instance(g, inst) : NULL;
	if (m) {
		join_static_replace(b, r, g, m, id, req); /* takes id */
		return;
	}
	if (!inst && r->hdr.request_api_version >= 4) {
		/* KIP-394: the member must come back with this id. */
		if (group_pending_add(
			b, g, id, clock_mono_ms() + req->session_timeout_ms))
			group_join_fail(b, r, KERR_UNKNOWN_SERVER_ERROR, "");
		else
			group_join_fail(b, r, KERR_MEMBER_ID_REQUIRED, id);
	} else {
		join_add_and_rebalance(b, r, g, id, req);
	}
	free(id);
}

/* Kafka's doCurrentMemberJoinGroup, once the member is known valid. */
static void join_known_member(struct broker *b, struct req *r, struct group *g,
			      struct group_member *m,
			      const struct kp_join_group_request *req)
{
	bool same = group_member_same_protocols(m, req);

	switch (g->state) {
	case GROUP_COMPLETING_REBALANCE:
		if (same) {
			/* A retried join: the same answer again. */
			join_answer_current(b, r, g, m);
			return;
		}
		break;
	case GROUP_STABLE:
		if (!is_leader(g, m) && same) {
			struct join_view v = {.leader = g->leader_id};
			join_answer(b, r, g, m, &v);
			return;
		}
		break;
	case GROUP_EMPTY:
	case GROUP_DEAD:
		group_join_fail(b, r, KERR_UNKNOWN_MEMBER_ID, m->id);
		return;
	default:
		break;
	}
	join_update_and_rebalance(b, r, g, m, req,
				  is_leader(g, m) && g->state == GROUP_STABLE
				      ? "the leader rejoined"
				  : same ? "a member rejoined"
					 : "a member's protocols changed");
}

static void join_current_member(struct broker *b, struct req *r,
				struct group *g,
				const struct kp_join_group_request *req)
{
	const char *id = cstr(req->member_id);
	const char *inst = req->group_instance_id.ptr;
	int16_t err;

	if (g->state == GROUP_DEAD) {
		group_join_fail(b, r, KERR_COORDINATOR_NOT_AVAILABLE, id);
		return;
	}
	if (!group_supports_protocols(g, cstr(req->protocol_type), req)) {
		group_join_fail(b, r, KERR_INCONSISTENT_GROUP_PROTOCOL, id);
		return;
	}
	if (group_pending_has(g, id)) {
		/* Pending ids are only handed to dynamic members (Kafka
		 * treats an instance id here as a broken client). */
		if (inst) {
			group_join_fail(b, r, KERR_UNKNOWN_SERVER_ERROR, id);
			return;
		}
		group_pending_take(g, id);
		join_add_and_rebalance(b, r, g, id, req);
		return;
	}
	err = group_validate_member(g, id, inst);
	if (err != KERR_NONE)
		group_join_fail(b, r, err, id);
	else
		join_known_member(b, r, g, group_member_find(g, id), req);
}

/* Kafka's acceptJoiningMember (group.max.size). */
static bool join_accept(const struct broker *b, const struct group *g,
			const char *member_id)
{
	const struct group_member *m =
	    member_id[0] ? group_member_find(g, member_id) : NULL;
	int32_t max = group_max_size(b), awaiting = 0;

	switch (g->state) {
	case GROUP_PREPARING_REBALANCE:
		for (const struct group_member *x = g->members; x; x = x->next)
			awaiting += x->join_req != NULL;
		return (m && m->join_req) || awaiting < max;
	case GROUP_COMPLETING_REBALANCE:
	case GROUP_STABLE:
		return m || g->member_count < max;
	default:
		return true;
	}
}

/* Read on the group, Kafka's check for JoinGroup, SyncGroup, Heartbeat
 * and LeaveGroup, made before anything else (an id with a NUL byte
 * names nothing: the validity check refuses it next). */
bool group_read_allowed(struct broker *b, struct req *r, struct kp_str id)
{
	return kp_str_has_nul(id) ||
	       api_authorized(b, r, ACL_OP_READ, ACL_RT_GROUP, cstr(id));
}

void group_join(struct broker *b, struct req *r,
		const struct kp_join_group_request *req)
{
	const char *mid = cstr(req->member_id);
	int32_t st = req->session_timeout_ms;
	struct group *g;

	if (!group_read_allowed(b, r, req->group_id)) {
		group_join_fail(b, r, KERR_GROUP_AUTHORIZATION_FAILED, mid);
		return;
	}
	if (!group_id_valid(req->group_id, false)) {
		group_join_fail(b, r, KERR_INVALID_GROUP_ID, mid);
		return;
	}
	if (!group_ids_ok(req->member_id, req->group_instance_id)) {
		group_join_fail(b, r, KERR_UNKNOWN_MEMBER_ID, "");
		return;
	}
	if (st < b->cfg->group_min_session_timeout_ms ||
	    st > b->cfg->group_max_session_timeout_ms) {
		group_join_fail(b, r, KERR_INVALID_SESSION_TIMEOUT, mid);
		return;
	}
	g = mid[0] ? group_find(b, req->group_id.ptr)
		   : group_get(b, cstr(req->group_id));
	if (!g) {
		group_join_fail(b, r,
				mid[0] ? KERR_UNKNOWN_MEMBER_ID
				       : KERR_UNKNOWN_SERVER_ERROR,
				mid);
		return;
	}
	if (!join_accept(b, g, mid)) {
		struct group_member *m =
		    mid[0] ? group_member_find(g, mid) : NULL;
		/* Kafka sheds an over-capacity member that did not rejoin. */
		if (m)
			group_remove_member(b, g, m,
					    KERR_GROUP_MAX_SIZE_REACHED,
					    "the group is at group.max.size");
		group_join_fail(b, r, KERR_GROUP_MAX_SIZE_REACHED, "");
		return;
	}
	if (mid[0])
		join_current_member(b, r, g, req);
	else
		join_new_member(b, r, g, req);
	group_try_complete_join(b, g);
}

/* --- SyncGroup -------------------------------------------------------------
 */

static void sync_answer(struct broker *b, struct req *r, const struct group *g,
			const struct group_member *m, int16_t err)
{
	struct kp_sync_group_response resp;

	kp_sync_group_response_init(&resp);
	resp.error_code = err;
	resp.protocol_type = KP_STR_NULL;
	resp.protocol_name = KP_STR_NULL;
	resp.assignment.ptr = (const uint8_t *)"";
	resp.assignment.len = 0;
	if (err == KERR_NONE) {
		resp.protocol_type = kp_str_of(g->protocol_type);
		resp.protocol_name = kp_str_of(g->protocol_name);
		if (m->assignment) {
			resp.assignment.ptr = m->assignment;
			resp.assignment.len = m->assignment_len;
		}
	}
	kp_sync_group_response_encode(&r->w, r->hdr.request_api_version, &resp);
	req_finish(b, r);
}

void group_sync_respond(struct broker *b, struct group *g,
			struct group_member *m, int16_t err)
{
	struct req *r = m->sync_req;

	m->sync_req = NULL;
	if (!r)
		return;
	group_member_touch(b, m);
	sync_answer(b, r, g, m, err);
}

/* m's entry of the leader's assignments (the last one if repeated);
 * *out stays NULL (empty) when m has none. 0 or -ENOMEM. */
static int sync_copy_assignment(const struct group_member *m,
				const struct kp_sync_group_request *req,
				uint8_t **out, int32_t *len)
{
	for (int32_t i = 0; i < req->assignments_count; i++) {
		const struct kp_bytes *a = &req->assignments[i].assignment;

		if (!kp_str_eq(req->assignments[i].member_id, m->id))
			continue;
		free(*out);
		*len = a->len > 0 ? a->len : 0;
		*out = malloc((size_t)*len + 1);
		if (!*out)
			return -ENOMEM;
		if (*len)
			memcpy(*out, a->ptr, (size_t)*len);
	}
	return 0;
}

/* The leader's assignments into the members; members it left out get an
 * empty one, as in Kafka. 0 or -ENOMEM (nothing changed). */
static int sync_store_assignments(struct group *g,
				  const struct kp_sync_group_request *req)
{
	size_t n = (size_t)g->member_count + 1;
	uint8_t **copies = calloc(n, sizeof(*copies));
	int32_t *lens = calloc(n, sizeof(*lens));
	struct group_member *m;
	int32_t k = 0;
	int rc = -ENOMEM;

	if (!copies || !lens)
		goto out;
	for (m = g->members; m; m = m->next, k++)
		if (sync_copy_assignment(m, req, &copies[k], &lens[k]))
			goto out;
	for (m = g->members, k = 0; m; m = m->next, k++) {
		free(m->assignment);
		m->assignment = copies[k];
		m->assignment_len = lens[k];
		copies[k] = NULL;
	}
	rc = 0;
out:
	for (size_t i = 0; copies && i < n; i++)
		free(copies[i]);
	free(copies);
	free(lens);
	return rc;
}

/* Kafka's validateSyncGroup and the state rule of doSyncGroup. */
static int16_t sync_check(const struct group *g,
			  const struct kp_sync_group_request *req)
{
	int16_t err;

	if (g->state == GROUP_DEAD)
		return KERR_COORDINATOR_NOT_AVAILABLE;
	err = group_validate_member(g, cstr(req->member_id),
				    req->group_instance_id.ptr);
	if (err != KERR_NONE)
		return err;
	if (req->generation_id != g->generation)
		return KERR_ILLEGAL_GENERATION;
	if ((req->protocol_type.ptr &&
	     !kp_str_eq(req->protocol_type, g->protocol_type)) ||
	    (req->protocol_name.ptr &&
	     !kp_str_eq(req->protocol_name, g->protocol_name)))
		return KERR_INCONSISTENT_GROUP_PROTOCOL;
	if (g->state == GROUP_EMPTY)
		return KERR_UNKNOWN_MEMBER_ID;
	if (g->state == GROUP_PREPARING_REBALANCE)
		return KERR_REBALANCE_IN_PROGRESS;
	return KERR_NONE;
}

/* CompletingRebalance: wait for the leader's assignment to be durable. */
static void sync_wait(struct broker *b, struct req *r, struct group *g,
		      struct group_member *m,
		      const struct kp_sync_group_request *req)
{
	if (m->sync_req)
		group_sync_respond(b, g, m, KERR_REBALANCE_IN_PROGRESS);
	m->sync_req = r;
	m->sync_pending = false;
	req_hold(b, r);
	if (!is_leader(g, m) || g->assignment_stored)
		return;
	log_info(GROUP_LOGC,
		 "Assignment received from leader %s for group %s for "
		 "generation %d. The group has %d members.",
		 m->id, g->id, g->generation, g->member_count);
	if (sync_store_assignments(g, req) || group_assignment_store(b, g)) {
		group_prepare_rebalance(b, g,
					"out of memory storing the assignment");
		group_try_complete_join(b, g);
	}
}

void group_sync(struct broker *b, struct req *r,
		const struct kp_sync_group_request *req)
{
	struct group *g = group_id_valid(req->group_id, false)
			      ? group_find(b, req->group_id.ptr)
			      : NULL;
	struct group_member *m;
	int16_t err;

	if (!group_read_allowed(b, r, req->group_id)) {
		sync_answer(b, r, NULL, NULL, KERR_GROUP_AUTHORIZATION_FAILED);
		return;
	}
	if (!g || !group_ids_ok(req->member_id, req->group_instance_id)) {
		sync_answer(b, r, NULL, NULL,
			    group_id_valid(req->group_id, false)
				? KERR_UNKNOWN_MEMBER_ID
				: KERR_INVALID_GROUP_ID);
		return;
	}
	err = sync_check(g, req);
	if (err != KERR_NONE) {
		sync_answer(b, r, g, NULL, err);
		return;
	}
	m = group_member_find(g, cstr(req->member_id));
	if (g->state == GROUP_COMPLETING_REBALANCE) {
		sync_wait(b, r, g, m, req);
		return;
	}
	/* Stable: the current assignment. */
	m->sync_pending = false;
	group_member_touch(b, m);
	sync_answer(b, r, g, m, KERR_NONE);
}

/* --- Heartbeat, LeaveGroup, OffsetCommit ------------------------------------
 */

int16_t group_heartbeat(struct broker *b, const char *group_id,
			const char *member_id, const char *instance_id,
			int32_t generation)
{
	struct group *g = group_id[0] ? group_find(b, group_id) : NULL;
	int16_t err;

	if (!group_id[0])
		return KERR_INVALID_GROUP_ID;
	if (!g)
		return KERR_UNKNOWN_MEMBER_ID;
	if (g->state == GROUP_DEAD)
		return KERR_COORDINATOR_NOT_AVAILABLE;
	err = group_validate_member(g, member_id, instance_id);
	if (err != KERR_NONE)
		return err;
	if (generation != g->generation)
		return KERR_ILLEGAL_GENERATION;
	if (g->state == GROUP_EMPTY)
		return KERR_UNKNOWN_MEMBER_ID;
	group_member_touch(b, group_member_find(g, member_id));
	return g->state == GROUP_PREPARING_REBALANCE
		   ? KERR_REBALANCE_IN_PROGRESS
		   : KERR_NONE;
}

int16_t group_leave(struct broker *b, struct group *g, const char *member_id,
		    const char *instance_id)
{
	struct group_member *m;
	int16_t err;

	if (g->state == GROUP_DEAD)
		return KERR_COORDINATOR_NOT_AVAILABLE;
	if (!member_id[0]) {
		/* Administrative removal by group.instance.id (KIP-345). */
		m = instance_id ? group_member_by_instance(g, instance_id)
				: NULL;
		if (!m)
			return KERR_UNKNOWN_MEMBER_ID;
	} else if (group_pending_take(g, member_id)) {
		group_try_complete_join(b, g);
		return KERR_NONE;
	} else {
		err = group_validate_member(g, member_id, instance_id);
		if (err != KERR_NONE)
			return err;
		m = group_member_find(g, member_id);
	}
	group_remove_member(b, g, m, KERR_UNKNOWN_MEMBER_ID,
			    "the member left the group");
	return KERR_NONE;
}

int16_t group_commit_check(struct broker *b, struct group *g,
			   int32_t generation, const char *member_id,
			   const char *instance_id)
{
	int16_t err;

	if (g->state == GROUP_DEAD)
		return KERR_COORDINATOR_NOT_AVAILABLE;
	if (generation < 0 && g->state == GROUP_EMPTY)
		return KERR_NONE; /* the group only stores offsets */
	if (generation < 0 && !member_id[0] && !instance_id)
		return KERR_UNKNOWN_MEMBER_ID; /* only members may commit */
	err = group_validate_member(g, member_id, instance_id);
	if (err != KERR_NONE)
		return err;
	if (generation != g->generation)
		return KERR_ILLEGAL_GENERATION;
	if (g->state == GROUP_COMPLETING_REBALANCE)
		return KERR_REBALANCE_IN_PROGRESS;
	/* Stable, and PreparingRebalance (the heartbeat tells the member
	 * to rejoin): the commit counts as a sign of life. */
	group_member_touch(b, group_member_find(g, member_id));
	return KERR_NONE;
}
