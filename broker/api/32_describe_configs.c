/* 32_describe_configs.c - DescribeConfigs.
 *
 * Versions: 1-4 (4 flexible; 1+ synonyms and sources; 3+ types and docs).
 * State:    ready.
 * ACL:      DescribeConfigs on the topic (TOPIC_AUTHORIZATION_FAILED), or
 *           on the cluster for broker resources
 *           (CLUSTER_AUTHORIZATION_FAILED), checked first.
 * Notes:    topics: every topic config with its effective value and where
 *           it comes from (topic override, broker key, default).
 *           Brokers (name = our node id, or "" for the cluster default):
 *           the keys the broker was configured with; secrets (passwords,
 *           JAAS, inline private keys) come back as null with is_sensitive
 *           set, never their value. Broker loggers: an empty list.
 */
#include "broker/api/api.h"

#include <stdio.h>
#include <string.h>

#define RES_TOPIC 2
#define RES_BROKER 4
#define RES_BROKER_LOGGER 8

static bool dc_wanted(const struct kp_describe_configs_request_describe_configs_resource *res,
		      const char *name)
{
	if (res->configuration_keys_count < 0)
		return true;
	for (int32_t i = 0; i < res->configuration_keys_count; i++)
		if (kp_str_eq(res->configuration_keys[i], name))
			return true;
	return false;
}

/* Keys whose values must never leave the broker: the audit log's rule,
 * so both hide the same keys. */
static bool dc_sensitive(const char *key)
{
	return audit_config_is_secret(key);
}

static void dc_synonyms(struct broker *b, struct req *r, const struct topic *t,
			const struct topic_config_def *d,
			struct kp_describe_configs_response_describe_configs_resource_result *c)
{
	const char *tv = t->configs ? props_get(t->configs, d->name) : NULL;
	const char *bv = d->broker_key ? props_get(b->cfg->props, d->broker_key)
				       : NULL;
	int32_t n = 0;

	c->synonyms = arena_calloc(&r->arena, 3, sizeof(*c->synonyms));
	if (!c->synonyms)
		return;
	if (tv) {
		kp_describe_configs_response_describe_configs_synonym_init(&c->synonyms[n]);
		c->synonyms[n].name = kp_str_of(d->name);
		c->synonyms[n].value = kp_str_of(tv);
		c->synonyms[n++].source = CONFIG_SOURCE_DYNAMIC_TOPIC;
	}
	if (bv) {
		kp_describe_configs_response_describe_configs_synonym_init(&c->synonyms[n]);
		c->synonyms[n].name = kp_str_of(d->broker_key);
		c->synonyms[n].value = kp_str_of(bv);
		c->synonyms[n++].source = CONFIG_SOURCE_STATIC_BROKER;
	}
	kp_describe_configs_response_describe_configs_synonym_init(&c->synonyms[n]);
	c->synonyms[n].name = kp_str_of(d->broker_key ? d->broker_key : d->name);
	c->synonyms[n].value = kp_str_of(topic_config_default(d->name));
	c->synonyms[n++].source = CONFIG_SOURCE_DEFAULT;
	c->synonyms_count = n;
}

static int dc_topic(struct broker *b, struct req *r,
		    const struct kp_describe_configs_request *req,
		    const struct kp_describe_configs_request_describe_configs_resource *res,
		    struct kp_describe_configs_response_describe_configs_result *out)
{
	const struct topic *t = kp_str_has_nul(res->resource_name) ? NULL
				: topic_find(b, api_name(r, res->resource_name));
	int32_t n = 0;

	if (!t) {
		out->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
		return 0;
	}
	for (const struct topic_config_def *d = topic_config_defs; d->name; d++)
		n++;
	out->configs = arena_calloc(&r->arena, (size_t)n, sizeof(*out->configs));
	if (!out->configs)
		return -ENOMEM;
	n = 0;
	for (const struct topic_config_def *d = topic_config_defs; d->name; d++) {
		struct kp_describe_configs_response_describe_configs_resource_result *c;
		enum config_source src;
		if (!dc_wanted(res, d->name))
			continue;
		c = &out->configs[n++];
		kp_describe_configs_response_describe_configs_resource_result_init(c);
		c->name = kp_str_of(d->name);
		c->value = kp_str_of(topic_config_value(b->cfg, t->configs,
							d->name, &src));
		c->config_source = (int8_t)src;
		c->config_type = (int8_t)d->type;
		if (req->include_documentation && d->doc)
			c->documentation = kp_str_of(d->doc);
		if (req->include_synonyms)
			dc_synonyms(b, r, t, d, c);
	}
	out->configs_count = n;
	return 0;
}

static int dc_broker(struct broker *b, struct req *r,
		     const struct kp_describe_configs_request_describe_configs_resource *res,
		     struct kp_describe_configs_response_describe_configs_result *out)
{
	char id[16];
	size_t total = props_count(b->cfg->props);
	int32_t n = 0;

	snprintf(id, sizeof(id), "%d", b->cfg->node_id);
	if (res->resource_name.len > 0 && !kp_str_eq(res->resource_name, id)) {
		out->error_code = KERR_INVALID_REQUEST;
		out->error_message = KP_STR("Unexpected broker id");
		return 0;
	}
	out->configs = arena_calloc(&r->arena, total + 1, sizeof(*out->configs));
	if (!out->configs)
		return -ENOMEM;
	for (size_t i = 0; i < total; i++) {
		struct kp_describe_configs_response_describe_configs_resource_result *c;
		const char *k, *v;
		props_at(b->cfg->props, i, &k, &v);
		if (!dc_wanted(res, k))
			continue;
		c = &out->configs[n++];
		kp_describe_configs_response_describe_configs_resource_result_init(c);
		c->name = kp_str_of(k);
		c->is_sensitive = dc_sensitive(k);
		c->value = c->is_sensitive ? (struct kp_str){ NULL, -1 }
					   : kp_str_of(v);
		c->read_only = true;
		c->config_source = CONFIG_SOURCE_STATIC_BROKER;
		c->config_type = c->is_sensitive ? CONFIG_TYPE_PASSWORD
						 : CONFIG_TYPE_STRING;
	}
	out->configs_count = n;
	return 0;
}

int api_describe_configs(struct broker *b, struct req *r)
{
	struct kp_describe_configs_request req;
	struct kp_describe_configs_response resp;
	int16_t ver = r->hdr.request_api_version;
	int rc = 0;

	kp_describe_configs_request_init(&req);
	if (!req_decoded(b, r, kp_describe_configs_request_decode(&r->rd, ver,
								  &r->arena, &req)))
		return 0;
	kp_describe_configs_response_init(&resp);
	if (!api_array(r, resp.results, resp.results_count,
			       req.resources_count))
		return -ENOMEM;
	for (int32_t i = 0; i < req.resources_count && !rc; i++) {
		const struct kp_describe_configs_request_describe_configs_resource *res =
			&req.resources[i];
		struct kp_describe_configs_response_describe_configs_result *out =
			&resp.results[i];
		kp_describe_configs_response_describe_configs_result_init(out);
		out->resource_type = res->resource_type;
		out->resource_name = res->resource_name;
		out->error_code = api_config_denied(b, r, ACL_OP_DESCRIBE_CONFIGS,
						    res->resource_type,
						    res->resource_name);
		if (out->error_code != KERR_NONE)
			continue;
		if (res->resource_type == RES_TOPIC)
			rc = dc_topic(b, r, &req, res, out);
		else if (res->resource_type == RES_BROKER)
			rc = dc_broker(b, r, res, out);
		else if (res->resource_type != RES_BROKER_LOGGER)
			out->error_code = KERR_INVALID_REQUEST;
	}
	if (rc)
		return rc;
	kp_describe_configs_response_encode(&r->w, ver, &resp);
	req_finish(b, r);
	return 0;
}
