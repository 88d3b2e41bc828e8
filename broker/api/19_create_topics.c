/* 19_create_topics.c - CreateTopics.
 *
 * Versions: 2-7 (5+ flexible and return the topic's configs; 7 topic id).
 * State:    ready.
 * ACL:      Create on the cluster or the topic, else
 *           TOPIC_AUTHORIZATION_FAILED; DescribeConfigs on the topic to see
 *           its configs in the v5+ reply (else the configs error code is
 *           TOPIC_AUTHORIZATION_FAILED, as Kafka). Every creation (not a
 *           validate_only one) is audited.
 * Notes:    num_partitions -1 means num.partitions; replication_factor -1
 *           means default.replication.factor; one node means anything above
 *           1 is INVALID_REPLICATION_FACTOR, and a manual assignment may
 *           only name this node. Configs are validated against the topic
 *           config table (unknown or bad -> INVALID_CONFIG). A topic named
 *           twice in one request gets INVALID_REQUEST for each occurrence.
 */
#include "broker/api/api.h"

#include <string.h>


static int16_t ct_check_rf(struct broker *b, const struct kp_create_topics_request_creatable_topic *ct, const char **msg)
{
	int16_t rf = ct->replication_factor;

	if (rf == -1)
		rf = b->cfg->default_replication_factor;
	if (rf < 1 || rf > 1) {
		*msg = "Replication factor must be larger than 0 and not larger than the number of brokers (1).";
		return KERR_INVALID_REPLICATION_FACTOR;
	}
	for (int32_t i = 0; i < ct->assignments_count; i++) {
		const struct kp_create_topics_request_creatable_replica_assignment *a =
			&ct->assignments[i];
		if (a->broker_ids_count != 1 || a->broker_ids[0] != b->cfg->node_id) {
			*msg = "Replica assignment must name only this broker, once.";
			return KERR_INVALID_REPLICA_ASSIGNMENT;
		}
	}
	return KERR_NONE;
}

static struct props *ct_configs(const struct kp_create_topics_request_creatable_topic *ct)
{
	struct props *p = props_new();

	for (int32_t i = 0; p && i < ct->configs_count; i++) {
		const struct kp_create_topics_request_creatable_topic_config *c =
			&ct->configs[i];
		if (!c->name.ptr || !c->value.ptr)
			continue; /* null value: use the default */
		if (props_set(p, c->name.ptr, c->value.ptr)) {
			props_free(p);
			return NULL;
		}
	}
	return p;
}

/* v5+ replies carry the created topic's effective configs. */
static void ct_describe(struct broker *b, struct req *r, const char *name,
			struct kp_create_topics_response_creatable_topic_result *out)
{
	const struct topic *t = topic_find(b, name);
	int32_t n = 0;

	for (const struct topic_config_def *d = topic_config_defs; d->name; d++)
		n++;
	out->configs = arena_calloc(&r->arena, (size_t)n, sizeof(*out->configs));
	if (!out->configs)
		return;
	n = 0;
	for (const struct topic_config_def *d = topic_config_defs; d->name; d++) {
		struct kp_create_topics_response_creatable_topic_configs *c =
			&out->configs[n++];
		enum config_source src;
		kp_create_topics_response_creatable_topic_configs_init(c);
		c->name = kp_str_of(d->name);
		c->value = kp_str_of(topic_config_value(b->cfg,
			t ? t->configs : NULL, d->name, &src));
		c->config_source = (int8_t)src;
	}
	out->configs_count = n;
}

static void ct_one(struct broker *b, struct req *r, bool cluster_create,
		   const struct kp_create_topics_request *req, const struct kp_create_topics_request_creatable_topic *ct,
		   struct kp_create_topics_response_creatable_topic_result *out)
{
	const char *msg = NULL;
	const char *name = api_name(r, ct->name);
	int32_t parts = ct->num_partitions;
	struct props *configs;

	kp_create_topics_response_creatable_topic_result_init(out);
	out->name = ct->name;
	if (parts == -1)
		parts = ct->assignments_count > 0 ? ct->assignments_count
						  : b->cfg->num_partitions;
	if (kp_str_has_nul(ct->name))
		out->error_code = KERR_INVALID_TOPIC_EXCEPTION;
	else if (!cluster_create &&
		 !api_authorized(b, r, ACL_OP_CREATE, ACL_RT_TOPIC, name))
		out->error_code = KERR_TOPIC_AUTHORIZATION_FAILED;
	else
		out->error_code = ct_check_rf(b, ct, &msg);
	if (out->error_code == KERR_NONE) {
		configs = ct_configs(ct);
		if (!configs) {
			out->error_code = KERR_UNKNOWN_SERVER_ERROR;
			return;
		}
		out->error_code = topic_create(b, name, parts, configs,
					       req->validate_only, &msg);
		if (out->error_code != KERR_NONE || req->validate_only)
			props_free(configs);
		if (!req->validate_only)
			api_audit_topic(b, r, "create", name, NULL,
					out->error_code);
	}
	if (msg)
		out->error_message = kp_str_of(arena_strndup(&r->arena, msg,
							     strlen(msg)));
	if (out->error_code != KERR_NONE)
		return;
	out->num_partitions = parts;
	out->replication_factor = 1;
	if (!req->validate_only) {
		const struct topic *t = topic_find(b, name);
		if (t)
			memcpy(out->topic_id.b, t->id, 16);
	}
	if (!api_authorized(b, r, ACL_OP_DESCRIBE_CONFIGS, ACL_RT_TOPIC, name))
		out->topic_config_error_code = KERR_TOPIC_AUTHORIZATION_FAILED;
	else
		ct_describe(b, r, name, out);
}

/* Kafka rejects every occurrence of a name listed twice. */
static bool ct_duplicate(const struct kp_create_topics_request *req, int32_t i)
{
	for (int32_t j = 0; j < req->topics_count; j++)
		if (j != i && req->topics[j].name.len == req->topics[i].name.len &&
		    req->topics[i].name.ptr && req->topics[j].name.ptr &&
		    memcmp(req->topics[j].name.ptr, req->topics[i].name.ptr,
			   (size_t)req->topics[i].name.len) == 0)
			return true;
	return false;
}

int api_create_topics(struct broker *b, struct req *r)
{
	struct kp_create_topics_request req;
	struct kp_create_topics_response resp;
	int16_t ver = r->hdr.request_api_version;
	bool cluster_create;

	kp_create_topics_request_init(&req);
	if (!req_decoded(b, r, kp_create_topics_request_decode(&r->rd, ver,
							       &r->arena, &req)))
		return 0;
	kp_create_topics_response_init(&resp);
	cluster_create = api_authorized_quiet(b, r, ACL_OP_CREATE,
					      ACL_RT_CLUSTER, ACL_CLUSTER_NAME);
	if (!api_array(r, resp.topics, resp.topics_count, req.topics_count))
		return -ENOMEM;
	for (int32_t i = 0; i < req.topics_count; i++) {
		if (ct_duplicate(&req, i)) {
			kp_create_topics_response_creatable_topic_result_init(
				&resp.topics[i]);
			resp.topics[i].name = req.topics[i].name;
			resp.topics[i].error_code = KERR_INVALID_REQUEST;
			resp.topics[i].error_message =
				KP_STR("Create topics request from client contains duplicate topic names");
			continue;
		}
		ct_one(b, r, cluster_create, &req, &req.topics[i],
		       &resp.topics[i]);
	}
	kp_create_topics_response_encode(&r->w, ver, &resp);
	req_finish(b, r);
	return 0;
}
