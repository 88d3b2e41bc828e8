/* 03_metadata.c - Metadata.
 *
 * Versions: 0-12 (9+ flexible; 10+ topic ids; 12 names nullable).
 * State:    ready.
 * ACL:      Describe on each topic: a request for all topics lists only
 *           those the principal may describe; a named topic without
 *           Describe is TOPIC_AUTHORIZATION_FAILED whether or not it exists
 *           (existence is not leaked). Auto-create needs Create on the
 *           cluster or on the topic. Authorized-operation bitfields are
 *           computed per operation, without auditing the denials.
 * Notes:    v0: an empty topic list means all topics; v1+: null means all,
 *           empty means none. Auto-creation follows
 *           auto.create.topics.enable and, from v4, the request's flag. A
 *           topic created here is answered ready at once (Kafka answers
 *           LEADER_NOT_AVAILABLE first because its leader election takes a
 *           moment; ours does not exist). Brokers are the advertised
 *           address of the listener the client connected to.
 */
#include "broker/api/api.h"

#include <string.h>

static int md_fill_partitions(struct broker *b, struct req *r,
			      struct kp_metadata_response_metadata_response_topic *out,
			      const struct topic *t)
{
	int32_t n = t->partition_count;
	int32_t *node = arena_alloc(&r->arena, sizeof(*node));

	out->partitions = arena_calloc(&r->arena, (size_t)n,
				       sizeof(*out->partitions));
	if (!out->partitions || !node)
		return -ENOMEM;
	*node = b->cfg->node_id;
	for (int32_t i = 0; i < n; i++) {
		struct kp_metadata_response_metadata_response_partition *p =
			&out->partitions[i];
		kp_metadata_response_metadata_response_partition_init(p);
		p->partition_index = i;
		p->leader_id = b->cfg->node_id;
		p->leader_epoch = 0;
		p->replica_nodes = node;
		p->replica_nodes_count = 1;
		p->isr_nodes = node;
		p->isr_nodes_count = 1;
		p->offline_replicas_count = 0;
		if (plog_status(t->partitions[i].log))
			p->error_code = KERR_KAFKA_STORAGE_ERROR;
	}
	out->partitions_count = n;
	return 0;
}

static void md_topic_found(struct broker *b, struct req *r,
			   struct kp_metadata_response_metadata_response_topic *out,
			   const struct topic *t, bool want_ops)
{
	out->name = kp_str_of(t->name);
	memcpy(out->topic_id.b, t->id, 16);
	if (want_ops)
		out->topic_authorized_operations =
			api_authorized_ops(b, r, ACL_RT_TOPIC, t->name);
	if (md_fill_partitions(b, r, out, t))
		out->error_code = KERR_UNKNOWN_SERVER_ERROR;
}

/* One requested topic: look it up, maybe auto-create it. */
static void md_topic_requested(struct broker *b, struct req *r,
			       const struct kp_metadata_request *req,
			       const struct kp_metadata_request_metadata_request_topic *rt,
			       struct kp_metadata_response_metadata_response_topic *out)
{
	int16_t ver = r->hdr.request_api_version;
	const struct topic *t;
	const char *why;
	bool auto_ok;

	kp_metadata_response_metadata_response_topic_init(out);
	if (!rt->name.ptr) {
		t = topic_find_id(b, rt->topic_id.b);
		out->topic_id = rt->topic_id;
		if (t)
			md_topic_found(b, r, out, t,
				       req->include_topic_authorized_operations);
		else
			out->error_code = KERR_UNKNOWN_TOPIC_ID;
		return;
	}
	out->name = rt->name;
	if (!kp_str_has_nul(rt->name) &&
	    !api_authorized(b, r, ACL_OP_DESCRIBE, ACL_RT_TOPIC, rt->name.ptr)) {
		out->error_code = KERR_TOPIC_AUTHORIZATION_FAILED;
		return;
	}
	t = topic_find(b, rt->name.ptr);
	if (t && !kp_str_has_nul(rt->name)) {
		md_topic_found(b, r, out, t,
			       req->include_topic_authorized_operations);
		return;
	}
	out->error_code = topic_name_check(rt->name.ptr, rt->name.len, &why);
	if (out->error_code != KERR_NONE)
		return;
	auto_ok = b->cfg->auto_create_topics &&
		  (ver < 4 || req->allow_auto_topic_creation);
	if (!auto_ok) {
		out->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
		return;
	}
	if (!api_authorized_quiet(b, r, ACL_OP_CREATE, ACL_RT_CLUSTER,
				  ACL_CLUSTER_NAME) &&
	    !api_authorized(b, r, ACL_OP_CREATE, ACL_RT_TOPIC, rt->name.ptr)) {
		out->error_code = KERR_TOPIC_AUTHORIZATION_FAILED;
		return;
	}
	out->error_code = topic_create(b, rt->name.ptr, b->cfg->num_partitions,
				       NULL, false, &why);
	t = out->error_code == KERR_NONE ? topic_find(b, rt->name.ptr) : NULL;
	if (t)
		md_topic_found(b, r, out, t,
			       req->include_topic_authorized_operations);
}

static int md_all_topics(struct broker *b, struct req *r,
			 const struct kp_metadata_request *req,
			 struct kp_metadata_response *resp)
{
	struct hmap_iter it;
	struct hmap_node *n;
	int32_t i = 0;

	resp->topics = arena_calloc(&r->arena, b->topics.count + 1,
				    sizeof(*resp->topics));
	if (!resp->topics)
		return -ENOMEM;
	hmap_iter_init(&it, &b->topics);
	while ((n = hmap_iter_next(&it))) {
		struct topic *t = container_of(n, struct topic, hnode);
		if (!api_authorized_quiet(b, r, ACL_OP_DESCRIBE, ACL_RT_TOPIC,
					  t->name))
			continue;
		kp_metadata_response_metadata_response_topic_init(&resp->topics[i]);
		md_topic_found(b, r, &resp->topics[i], t,
			       req->include_topic_authorized_operations);
		i++;
	}
	resp->topics_count = i;
	return 0;
}

static int md_brokers(struct broker *b, struct req *r,
		      struct kp_metadata_response *resp)
{
	const struct listener_cfg *adv = api_advertised(b, r);

	resp->brokers = arena_calloc(&r->arena, 1, sizeof(*resp->brokers));
	if (!resp->brokers)
		return -ENOMEM;
	kp_metadata_response_metadata_response_broker_init(resp->brokers);
	resp->brokers[0].node_id = b->cfg->node_id;
	resp->brokers[0].host = kp_str_of(adv->host);
	resp->brokers[0].port = adv->port;
	resp->brokers_count = 1;
	resp->cluster_id = kp_str_of(b->cfg->cluster_id);
	resp->controller_id = b->cfg->node_id;
	return 0;
}

int api_metadata(struct broker *b, struct req *r)
{
	struct kp_metadata_request req;
	struct kp_metadata_response resp;
	int16_t ver = r->hdr.request_api_version;
	bool all;
	int rc;

	kp_metadata_request_init(&req);
	if (!req_decoded(b, r, kp_metadata_request_decode(&r->rd, ver,
							  &r->arena, &req)))
		return 0;
	kp_metadata_response_init(&resp);
	rc = md_brokers(b, r, &resp);
	all = req.topics_count < 0 || (ver == 0 && req.topics_count == 0);
	if (!rc && all) {
		rc = md_all_topics(b, r, &req, &resp);
	} else if (!rc && req.topics_count > 0) {
		resp.topics = arena_calloc(&r->arena, (size_t)req.topics_count,
					   sizeof(*resp.topics));
		if (!resp.topics)
			return -ENOMEM;
		for (int32_t i = 0; i < req.topics_count; i++)
			md_topic_requested(b, r, &req, &req.topics[i],
					   &resp.topics[i]);
		resp.topics_count = req.topics_count;
	}
	if (rc)
		return rc;
	if (req.include_cluster_authorized_operations)
		resp.cluster_authorized_operations =
			api_authorized_ops(b, r, ACL_RT_CLUSTER,
					   ACL_CLUSTER_NAME);
	kp_metadata_response_encode(&r->w, ver, &resp);
	req_finish(b, r);
	return 0;
}
