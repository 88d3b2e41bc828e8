/* 33_alter_configs.c - AlterConfigs (the non-incremental form).
 *
 * Versions: 0-2 (2 flexible).
 * State:    ready.
 * ACL:      AlterConfigs on the topic (TOPIC_AUTHORIZATION_FAILED) or on
 *           the cluster for broker resources (CLUSTER_AUTHORIZATION_FAILED),
 *           before anything else. Applied changes are audited.
 * Notes:    replaces the topic's whole override set with the one given
 *           (Kafka's semantics for this API; keys not listed revert to
 *           their defaults). Dynamic broker configs are not served: a
 *           broker resource gets INVALID_REQUEST. No config value can name
 *           a file, URL or class (our topic configs have none), so the
 *           CVE-2023-25194 class of abuse does not apply.
 */
#include "broker/api/api.h"

#include <string.h>

#define RES_TOPIC 2

static void ac_audit(struct broker *b, struct req *r, const char *topic,
		     const struct kp_alter_configs_request_alter_configs_resource *res,
		     int16_t code)
{
	struct audit_kv *kvs = arena_calloc(&r->arena,
					    (size_t)res->configs_count + 1,
					    sizeof(*kvs));

	if (!kvs)
		return;
	for (int32_t i = 0; i < res->configs_count; i++) {
		kvs[i].name = api_name(r, res->configs[i].name);
		kvs[i].value = res->configs[i].value.ptr;
		kvs[i].op = kvs[i].value ? "set" : "delete";
	}
	api_audit_config(b, r, "topic", topic, kvs, (size_t)res->configs_count,
			 code);
}

static void ac_topic(struct broker *b, struct req *r, bool validate_only,
		     const struct kp_alter_configs_request_alter_configs_resource *res,
		     struct kp_alter_configs_response_alter_configs_resource_response *out)
{
	struct topic *t = kp_str_has_nul(res->resource_name) ? NULL
			  : topic_find(b, api_name(r, res->resource_name));
	struct props *p;
	const char *msg = NULL;

	if (!t) {
		out->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
		return;
	}
	p = props_new();
	for (int32_t i = 0; p && i < res->configs_count; i++) {
		const struct kp_alter_configs_request_alterable_config *c =
			&res->configs[i];
		if (c->name.ptr && c->value.ptr && props_set(p, c->name.ptr,
							     c->value.ptr)) {
			props_free(p);
			p = NULL;
		}
	}
	if (!p) {
		out->error_code = KERR_UNKNOWN_SERVER_ERROR;
		return;
	}
	out->error_code = topic_configs_check(b, p, &msg);
	if (msg)
		out->error_message = kp_str_of(arena_strndup(&r->arena, msg,
							     strlen(msg)));
	if (out->error_code != KERR_NONE || validate_only) {
		props_free(p);
		return;
	}
	out->error_code = topic_set_configs(b, t, p);
	ac_audit(b, r, t->name, res, out->error_code);
}

int api_alter_configs(struct broker *b, struct req *r)
{
	struct kp_alter_configs_request req;
	struct kp_alter_configs_response resp;
	int16_t ver = r->hdr.request_api_version;

	kp_alter_configs_request_init(&req);
	if (!req_decoded(b, r, kp_alter_configs_request_decode(&r->rd, ver,
							       &r->arena, &req)))
		return 0;
	kp_alter_configs_response_init(&resp);
	if (!api_array(r, resp.responses, resp.responses_count,
			       req.resources_count))
		return -ENOMEM;
	for (int32_t i = 0; i < req.resources_count; i++) {
		const struct kp_alter_configs_request_alter_configs_resource *res =
			&req.resources[i];
		struct kp_alter_configs_response_alter_configs_resource_response *out =
			&resp.responses[i];
		kp_alter_configs_response_alter_configs_resource_response_init(out);
		out->resource_type = res->resource_type;
		out->resource_name = res->resource_name;
		out->error_code = api_config_denied(b, r, ACL_OP_ALTER_CONFIGS,
						    res->resource_type,
						    res->resource_name);
		if (out->error_code != KERR_NONE) {
			continue;
		} else if (res->resource_type == RES_TOPIC) {
			ac_topic(b, r, req.validate_only, res, out);
		} else {
			out->error_code = KERR_INVALID_REQUEST;
			out->error_message = KP_STR("Only topic configs can be altered on this broker");
		}
	}
	kp_alter_configs_response_encode(&r->w, ver, &resp);
	req_finish(b, r);
	return 0;
}
