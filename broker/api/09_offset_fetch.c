/* 09_offset_fetch.c - OffsetFetch.
 *
 * Versions: 0-9 (6+ flexible; 2+ null topics = every committed offset and
 *           a top-level error; 5+ leader epoch; 7 require_stable; 8+ many
 *           groups per request).
 * State:    ready.
 * ACL:      Describe on the group, else GROUP_AUTHORIZATION_FAILED (the
 *           top-level or group error from v2, every partition's before);
 *           Describe on each named topic, else TOPIC_AUTHORIZATION_FAILED
 *           for its partitions; with null topics, the topics the principal
 *           may not describe are left out, as Kafka.
 * Notes:    a partition without a committed offset, of an unknown group
 *           or topic, answers offset -1, metadata "" and NONE, as Kafka;
 *           "" is a valid group id. A commit is visible once queued,
 *           before it is durable (broker/group/offsets.c). require_stable
 *           needs no wait: there are no transactions.
 *
 * Both request shapes (one group in v0-7, many in v8+) are read into the
 * same neutral form, answered by of_collect(), and copied into the
 * version's response structs.
 */
#include "broker/api/api.h"

#include <string.h>

#include "broker/group/group.h"

/* One requested topic (v0-7 and v8+ request structs alike). */
struct of_want {
	struct kp_str name;
	const int32_t *parts;
	int32_t count;
};

struct of_part {
	int32_t partition_index;
	int64_t committed_offset;
	int32_t committed_leader_epoch;
	struct kp_str metadata;
	int16_t error_code;
};

struct of_topic {
	struct kp_str name;
	struct of_part *parts;
	int32_t count;
};

/* The answer for one group. */
struct of_answer {
	struct of_topic *topics;
	int32_t count;
	int16_t error_code; /* group-level */
};

static void of_part_set(struct of_part *o, int32_t p,
			const struct group_offset *c, int16_t err)
{
	o->partition_index = p;
	o->committed_offset = c ? c->offset : -1;
	o->committed_leader_epoch = c ? c->leader_epoch : -1;
	o->metadata = kp_str_of(c && c->metadata ? c->metadata : "");
	o->error_code = err;
}

/* Named topics: each requested partition, or TOPIC_AUTHORIZATION_FAILED
 * (group_err, when set, for every partition instead). */
static int of_named(struct broker *b, struct req *r, const struct group *g,
		    const struct of_want *w, int32_t n, int16_t group_err,
		    struct of_answer *a)
{
	a->topics = arena_calloc(&r->arena, (size_t)n + 1, sizeof(*a->topics));
	if (!a->topics)
		return -ENOMEM;
	for (int32_t i = 0; i < n; i++) {
		struct of_topic *t = &a->topics[i];
		const char *name = api_name(r, w[i].name);
		int16_t err = group_err;
		if (!err && !api_authorized(b, r, ACL_OP_DESCRIBE, ACL_RT_TOPIC,
					    name))
			err = KERR_TOPIC_AUTHORIZATION_FAILED;
		t->name = w[i].name;
		t->count = w[i].count > 0 ? w[i].count : 0;
		t->parts = arena_calloc(&r->arena, (size_t)t->count + 1,
					sizeof(*t->parts));
		if (!t->parts)
			return -ENOMEM;
		for (int32_t j = 0; j < t->count; j++)
			of_part_set(&t->parts[j], w[i].parts[j],
				    g && !err ? group_offset_get(g, name,
								 w[i].parts[j])
					      : NULL,
				    err);
	}
	a->count = n;
	return 0;
}

/* Null topics: every committed offset of g, grouped by topic, leaving out
 * the topics the principal may not describe. */
struct of_all {
	struct broker *b;
	struct req *r;
	struct of_answer *a;
	size_t cap;
	int err;
};

static struct of_topic *of_all_topic(struct of_all *x, const char *topic)
{
	struct of_answer *a = x->a;

	for (int32_t i = 0; i < a->count; i++)
		if (strcmp(a->topics[i].name.ptr, topic) == 0)
			return &a->topics[i];
	if (!api_authorized_quiet(x->b, x->r, ACL_OP_DESCRIBE, ACL_RT_TOPIC,
				  topic))
		return NULL;
	a->topics[a->count].name = kp_str_of(topic);
	a->topics[a->count].parts = arena_calloc(&x->r->arena, x->cap + 1,
						 sizeof(struct of_part));
	if (!a->topics[a->count].parts) {
		x->err = -ENOMEM;
		return NULL;
	}
	return &a->topics[a->count++];
}

static void of_all_visit(void *ctx, const char *topic, int32_t partition,
			 const struct group_offset *o)
{
	struct of_all *x = ctx;
	struct of_topic *t = x->err ? NULL : of_all_topic(x, topic);

	if (t)
		of_part_set(&t->parts[t->count++], partition, o, KERR_NONE);
}

static int of_all(struct broker *b, struct req *r, const struct group *g,
		  struct of_answer *a)
{
	struct of_all x = { b, r, a, g ? g->offsets.count : 0, 0 };

	a->topics = arena_calloc(&r->arena, x.cap + 1, sizeof(*a->topics));
	if (!a->topics)
		return -ENOMEM;
	if (g)
		group_offsets_foreach(g, of_all_visit, &x);
	return x.err;
}

/* want NULL with count -1: every topic. */
static int of_collect(struct broker *b, struct req *r, struct kp_str gid,
		      const struct of_want *want, int32_t count,
		      bool named_group_err, struct of_answer *a)
{
	const struct group *g = NULL;
	int16_t gerr = KERR_NONE;

	memset(a, 0, sizeof(*a));
	if (!kp_str_has_nul(gid) &&
	    !api_authorized(b, r, ACL_OP_DESCRIBE, ACL_RT_GROUP,
			    api_name(r, gid)))
		gerr = KERR_GROUP_AUTHORIZATION_FAILED;
	else if (group_id_valid(gid, true))
		g = group_find(b, api_name(r, gid));
	a->error_code = gerr;
	if (gerr && (count < 0 || !named_group_err))
		return 0; /* a group-level error, nothing else */
	return count < 0 ? of_all(b, r, g, a)
			 : of_named(b, r, g, want, count, gerr, a);
}

/* --- v0-7 ------------------------------------------------------------------ */

static int of_v0(struct broker *b, struct req *r,
		 const struct kp_offset_fetch_request *req,
		 struct kp_offset_fetch_response *resp)
{
	int32_t n = req->topics_count;
	struct of_want *w = arena_calloc(&r->arena, (size_t)(n > 0 ? n : 0) + 1,
					 sizeof(*w));
	struct of_answer a;
	int rc;

	if (!w)
		return -ENOMEM;
	for (int32_t i = 0; i < n; i++)
		w[i] = (struct of_want){ req->topics[i].name,
					 req->topics[i].partition_indexes,
					 req->topics[i].partition_indexes_count };
	/* v0-1 have no top-level error: the group's goes to every partition. */
	rc = of_collect(b, r, req->group_id, w, n < 0 ? -1 : n,
			r->hdr.request_api_version < 2, &a);
	if (rc)
		return rc;
	resp->error_code = a.error_code;
	if (!api_array(r, resp->topics, resp->topics_count, a.count))
		return -ENOMEM;
	for (int32_t i = 0; i < a.count; i++) {
		struct kp_offset_fetch_response_offset_fetch_response_topic *t =
			&resp->topics[i];
		kp_offset_fetch_response_offset_fetch_response_topic_init(t);
		t->name = a.topics[i].name;
		if (!api_array(r, t->partitions, t->partitions_count,
				       a.topics[i].count))
			return -ENOMEM;
		for (int32_t j = 0; j < a.topics[i].count; j++) {
			const struct of_part *o = &a.topics[i].parts[j];
			kp_offset_fetch_response_offset_fetch_response_partition_init(&t->partitions[j]);
			t->partitions[j].partition_index = o->partition_index;
			t->partitions[j].committed_offset = o->committed_offset;
			t->partitions[j].committed_leader_epoch = o->committed_leader_epoch;
			t->partitions[j].metadata = o->metadata;
			t->partitions[j].error_code = o->error_code;
		}
	}
	return 0;
}

/* --- v8+ ---------------------------------------------------------------------- */

static int of_v8_group(struct broker *b, struct req *r,
		       const struct kp_offset_fetch_request_offset_fetch_request_group *rg,
		       struct kp_offset_fetch_response_offset_fetch_response_group *out)
{
	int32_t n = rg->topics_count;
	struct of_want *w = arena_calloc(&r->arena, (size_t)(n > 0 ? n : 0) + 1,
					 sizeof(*w));
	struct of_answer a;
	int rc;

	if (!w)
		return -ENOMEM;
	for (int32_t i = 0; i < n; i++)
		w[i] = (struct of_want){ rg->topics[i].name,
					 rg->topics[i].partition_indexes,
					 rg->topics[i].partition_indexes_count };
	rc = of_collect(b, r, rg->group_id, w, n < 0 ? -1 : n, false, &a);
	if (rc)
		return rc;
	kp_offset_fetch_response_offset_fetch_response_group_init(out);
	out->group_id = rg->group_id;
	out->error_code = a.error_code;
	if (!api_array(r, out->topics, out->topics_count, a.count))
		return -ENOMEM;
	for (int32_t i = 0; i < a.count; i++) {
		struct kp_offset_fetch_response_offset_fetch_response_topics *t =
			&out->topics[i];
		kp_offset_fetch_response_offset_fetch_response_topics_init(t);
		t->name = a.topics[i].name;
		if (!api_array(r, t->partitions, t->partitions_count,
				       a.topics[i].count))
			return -ENOMEM;
		for (int32_t j = 0; j < a.topics[i].count; j++) {
			const struct of_part *o = &a.topics[i].parts[j];
			kp_offset_fetch_response_offset_fetch_response_partitions_init(&t->partitions[j]);
			t->partitions[j].partition_index = o->partition_index;
			t->partitions[j].committed_offset = o->committed_offset;
			t->partitions[j].committed_leader_epoch = o->committed_leader_epoch;
			t->partitions[j].metadata = o->metadata;
			t->partitions[j].error_code = o->error_code;
		}
	}
	return 0;
}

int api_offset_fetch(struct broker *b, struct req *r)
{
	struct kp_offset_fetch_request req;
	struct kp_offset_fetch_response resp;
	int16_t ver = r->hdr.request_api_version;
	int rc = 0;

	kp_offset_fetch_request_init(&req);
	if (!req_decoded(b, r, kp_offset_fetch_request_decode(&r->rd, ver,
							      &r->arena, &req)))
		return 0;
	kp_offset_fetch_response_init(&resp);
	if (ver < 8) {
		rc = of_v0(b, r, &req, &resp);
	} else {
		int32_t n = req.groups_count > 0 ? req.groups_count : 0;
		if (!api_array(r, resp.groups, resp.groups_count, n))
			return -ENOMEM;
		for (int32_t i = 0; i < n && !rc; i++)
			rc = of_v8_group(b, r, &req.groups[i], &resp.groups[i]);
	}
	if (rc)
		return rc;
	kp_offset_fetch_response_encode(&r->w, ver, &resp);
	req_finish(b, r);
	return 0;
}
