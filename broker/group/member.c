/* member.c - member records, their protocols and subscriptions.
 *
 * The data side of a group member: creating, updating, comparing and
 * freeing members (Kafka's MemberMetadata), protocol votes and selection
 * (GroupMetadata.supportsProtocols / selectProtocol), member ids, and
 * reading the topics out of a consumer-protocol subscription. No state
 * transitions happen here (coordinator.c).
 */
#include "broker/group/group_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "base/clock.h"
#include "proto/kerr.h"

char *group_new_member_id(const char *prefix)
{
	uint8_t u[16];
	size_t len = strlen(prefix) + 38;
	char *out;

	if (RAND_bytes(u, sizeof(u)) != 1)
		return NULL;
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* version 4 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* IETF variant */
	out = malloc(len);
	if (!out)
		return NULL;
	snprintf(out, len,
		 "%s-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 prefix, u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8],
		 u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
	return out;
}

/* --- lookups ---------------------------------------------------------------
 */

struct group_member *group_member_find(const struct group *g,
				       const char *member_id)
{
	for (struct group_member *m = g->members; m; m = m->next)
		if (strcmp(m->id, member_id) == 0)
			return m;
	return NULL;
}

struct group_member *group_member_by_instance(const struct group *g,
					      const char *instance_id)
{
	for (struct group_member *m = g->members; m; m = m->next)
		if (m->instance_id && strcmp(m->instance_id, instance_id) == 0)
			return m;
	return NULL;
}

int16_t group_validate_member(const struct group *g, const char *member_id,
			      const char *instance_id)
{
	if (instance_id) {
		const struct group_member *m =
		    group_member_by_instance(g, instance_id);
		if (!m)
			return KERR_UNKNOWN_MEMBER_ID;
		if (strcmp(m->id, member_id) != 0)
			return KERR_FENCED_INSTANCE_ID;
	}
	return group_member_find(g, member_id) ? KERR_NONE
					       : KERR_UNKNOWN_MEMBER_ID;
}

/* --- life of a member --------------------------------------------------------
 */

static void protocols_free(struct group_protocol *p, int32_t count)
{
	for (int32_t i = 0; p && i < count; i++) {
		free(p[i].name);
		free(p[i].metadata);
	}
	free(p);
}

void group_member_free(struct group_member *m)
{
	protocols_free(m->protocols, m->protocol_count);
	free(m->assignment);
	free(m->id);
	free(m->instance_id);
	free(m->client_id);
	free(m->client_host);
	free(m);
}

/* Copies of a JoinGroup's protocols; NULL when out of memory. */
static struct group_protocol *
protocols_copy(const struct kp_join_group_request *req)
{
	int32_t n = req->protocols_count > 0 ? req->protocols_count : 0;
	struct group_protocol *p = calloc((size_t)n + 1, sizeof(*p));

	for (int32_t i = 0; p && i < n; i++) {
		const struct kp_bytes *md = &req->protocols[i].metadata;
		int32_t len = md->len > 0 ? md->len : 0;
		const char *name = req->protocols[i].name.ptr;

		p[i].name = strdup(name ? name : "");
		p[i].metadata = malloc((size_t)len + 1);
		p[i].len = len;
		if (!p[i].name || !p[i].metadata) {
			protocols_free(p, i + 1);
			return NULL;
		}
		if (len)
			memcpy(p[i].metadata, md->ptr, (size_t)len);
	}
	return p;
}

int group_member_update(struct group_member *m,
			const struct kp_join_group_request *req)
{
	struct group_protocol *p = protocols_copy(req);

	if (!p)
		return -ENOMEM;
	protocols_free(m->protocols, m->protocol_count);
	m->protocols = p;
	m->protocol_count = req->protocols_count > 0 ? req->protocols_count : 0;
	m->session_timeout_ms = req->session_timeout_ms;
	/* v0 has no rebalance timeout: Kafka uses the session timeout. */
	m->rebalance_timeout_ms = req->rebalance_timeout_ms > 0
				      ? req->rebalance_timeout_ms
				      : req->session_timeout_ms;
	return 0;
}

bool group_member_same_protocols(const struct group_member *m,
				 const struct kp_join_group_request *req)
{
	if (m->protocol_count !=
	    (req->protocols_count > 0 ? req->protocols_count : 0))
		return false;
	for (int32_t i = 0; i < m->protocol_count; i++) {
		const struct kp_join_group_request_join_group_request_protocol
		    *p = &req->protocols[i];
		int32_t len = p->metadata.len > 0 ? p->metadata.len : 0;

		if (!kp_str_eq(p->name, m->protocols[i].name) ||
		    len != m->protocols[i].len ||
		    (len && memcmp(p->metadata.ptr, m->protocols[i].metadata,
				   (size_t)len) != 0))
			return false;
	}
	return true;
}

static struct group_member *member_new(const char *id, struct req *r,
				       const struct kp_join_group_request *req)
{
	struct group_member *m = calloc(1, sizeof(*m));
	const char *inst = req->group_instance_id.ptr;
	char host[64];

	if (!m)
		return NULL;
	snprintf(host, sizeof(host), "/%s", r->sess->peer.addr);
	m->id = strdup(id);
	m->client_id = strdup(r->hdr.client_id.ptr ? r->hdr.client_id.ptr : "");
	m->client_host = strdup(host);
	m->instance_id = inst ? strdup(inst) : NULL;
	if (!m->id || !m->client_id || !m->client_host ||
	    (inst && !m->instance_id) || group_member_update(m, req)) {
		group_member_free(m);
		return NULL;
	}
	return m;
}

struct group_member *group_member_add(struct broker *b, struct group *g,
				      const char *id, struct req *r,
				      const struct kp_join_group_request *req)
{
	struct group_member *m = member_new(id, r, req), **tail;
	char *type = NULL, *leader = NULL;

	if (!m)
		return NULL;
	if (!g->members &&
	    !(type =
		  strdup(req->protocol_type.ptr ? req->protocol_type.ptr : "")))
		goto fail;
	if (!g->leader_id && !(leader = strdup(id)))
		goto fail;
	if (type) {
		free(g->protocol_type);
		g->protocol_type = type;
	}
	if (leader)
		g->leader_id = leader;
	m->is_new = true;
	/* New members cannot heartbeat before their first answer; their
	 * held JoinGroup keeps them at most this long (Kafka). */
	m->heartbeat_deadline =
	    clock_mono_ms() + GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS;
	groups_wake_at(b, m->heartbeat_deadline);
	for (tail = &g->members; *tail; tail = &(*tail)->next)
		;
	*tail = m;
	g->member_count++;
	if (g->state == GROUP_PREPARING_REBALANCE && g->generation == 0)
		g->new_member_added = true;
	return m;
fail:
	free(type);
	group_member_free(m);
	return NULL;
}

void group_member_unlink(struct group *g, struct group_member *m)
{
	struct group_member **pp;

	for (pp = &g->members; *pp != m; pp = &(*pp)->next)
		;
	*pp = m->next;
	g->member_count--;
	if (g->leader_id && strcmp(g->leader_id, m->id) == 0) {
		free(g->leader_id);
		g->leader_id = g->members ? strdup(g->members->id) : NULL;
	}
	group_member_free(m);
}

void group_member_touch(struct broker *b, struct group_member *m)
{
	m->heartbeat_deadline = clock_mono_ms() + m->session_timeout_ms;
	groups_wake_at(b, m->heartbeat_deadline);
}

/* --- protocols -------------------------------------------------------------
 */

static bool member_supports(const struct group_member *m, const char *name)
{
	for (int32_t i = 0; i < m->protocol_count; i++)
		if (strcmp(m->protocols[i].name, name) == 0)
			return true;
	return false;
}

/* Every member supports protocol name. */
static bool group_all_support(const struct group *g, const char *name)
{
	for (const struct group_member *m = g->members; m; m = m->next)
		if (!member_supports(m, name))
			return false;
	return true;
}

bool group_supports_protocols(const struct group *g, const char *type,
			      const struct kp_join_group_request *req)
{
	if (g->state == GROUP_EMPTY)
		return type[0] && req->protocols_count > 0;
	if (!g->protocol_type || strcmp(g->protocol_type, type) != 0)
		return false;
	for (int32_t i = 0; i < req->protocols_count; i++)
		if (req->protocols[i].name.ptr &&
		    group_all_support(g, req->protocols[i].name.ptr))
			return true;
	return false;
}

/* Member m's vote: its first protocol that every member supports. */
static const char *member_vote(const struct group *g,
			       const struct group_member *m)
{
	for (int32_t i = 0; i < m->protocol_count; i++)
		if (group_all_support(g, m->protocols[i].name))
			return m->protocols[i].name;
	return NULL;
}

/* Kafka's selectProtocol: each member votes for its most preferred
 * protocol among those every member supports; the most votes win (ties:
 * the first member's candidate order, where Kafka's is unspecified). */
const char *group_select_protocol(const struct group *g)
{
	const struct group_member *first = g->members;
	const char *best = NULL;
	int32_t best_votes = 0;

	for (int32_t i = 0; first && i < first->protocol_count; i++) {
		const char *cand = first->protocols[i].name;
		int32_t votes = 0;

		if (!group_all_support(g, cand))
			continue;
		for (const struct group_member *m = g->members; m;
		     m = m->next) {
			const char *v = member_vote(g, m);
			votes += v && strcmp(v, cand) == 0;
		}
		if (votes > best_votes) {
			best = cand;
			best_votes = votes;
		}
	}
	return best;
}

/* --- consumer-protocol subscriptions -----------------------------------------
 */

static bool subscription_has(const uint8_t *p, int32_t len, const char *topic)
{
	size_t tl = strlen(topic), off = 6;
	int32_t n;

	/* ConsumerProtocolSubscription: i16 version, [string] topics, ...;
	 * the topic array is non-flexible in every version. The bytes come
	 * from a client: every length is checked against what is left. */
	if (len < 6)
		return false;
	n = (int32_t)((uint32_t)p[2] << 24 | (uint32_t)p[3] << 16 |
		      (uint32_t)p[4] << 8 | p[5]);
	for (int32_t i = 0; i < n; i++) {
		size_t sl;

		if ((size_t)len - off < 2)
			return false;
		sl = (size_t)p[off] << 8 | p[off + 1];
		off += 2;
		if ((size_t)len - off < sl)
			return false;
		if (sl == tl && memcmp(p + off, topic, tl) == 0)
			return true;
		off += sl;
	}
	return false;
}

bool group_subscribes_to(const struct group *g, const char *topic)
{
	if (!g->protocol_type || strcmp(g->protocol_type, "consumer") != 0 ||
	    !g->protocol_name)
		return false;
	for (const struct group_member *m = g->members; m; m = m->next)
		for (int32_t i = 0; i < m->protocol_count; i++)
			if (strcmp(m->protocols[i].name, g->protocol_name) ==
				0 &&
			    subscription_has(m->protocols[i].metadata,
					     m->protocols[i].len, topic))
				return true;
	return false;
}

bool group_is_foreign_nonempty(const struct group *g)
{
	return g->members &&
	       (!g->protocol_type || strcmp(g->protocol_type, "consumer") != 0);
}
