/* 44_incremental_alter_configs.c - IncrementalAlterConfigs.
 *
 * Versions: 0-1 (1 flexible).
 * State:    ready.
 * ACL:      AlterConfigs on the topic (TOPIC_AUTHORIZATION_FAILED) or on
 *           the cluster for broker resources (CLUSTER_AUTHORIZATION_FAILED),
 *           before anything else. Applied changes are audited.
 * Notes:    operations SET (0), DELETE (1), APPEND (2) and SUBTRACT (3) on
 *           the topic's current overrides; APPEND/SUBTRACT only apply to
 *           list-typed configs (cleanup.policy), else INVALID_CONFIG. A key
 *           named twice in one resource is INVALID_REQUEST, as in Kafka.
 *           Dynamic broker configs are not served (INVALID_REQUEST).
 */
#include "broker/api/api.h"

#include <stdio.h>
#include <string.h>

#define RES_TOPIC 2
enum { OP_SET = 0, OP_DELETE = 1, OP_APPEND = 2, OP_SUBTRACT = 3 };

/* A copy of src without key (NULL keeps everything). */
static struct props *iac_copy(const struct props *src, const char *skip)
{
	struct props *p = props_new();
	size_t n = src ? props_count(src) : 0;

	for (size_t i = 0; p && i < n; i++) {
		const char *k, *v;
		props_at(src, i, &k, &v);
		if (skip && strcmp(k, skip) == 0)
			continue;
		if (props_set(p, k, v)) {
			props_free(p);
			return NULL;
		}
	}
	return p;
}

/* value with item appended to / removed from the comma list cur. */
static char *iac_list_edit(struct req *r, const char *cur, const char *item,
			   bool add)
{
	size_t cap = strlen(cur) + strlen(item) + 2;
	char *out = arena_alloc(&r->arena, cap), *tok, *save = NULL;
	char *copy = arena_strndup(&r->arena, cur, strlen(cur));
	bool present = false;

	if (!out || !copy)
		return NULL;
	out[0] = '\0';
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, item) == 0) {
			present = true;
			if (!add)
				continue;
		}
		if (out[0])
			strcat(out, ",");
		strcat(out, tok);
	}
	if (add && !present) {
		if (out[0])
			strcat(out, ",");
		strcat(out, item);
	}
	return out;
}

static int16_t iac_apply(struct broker *b, struct req *r, struct topic *t,
			 struct props **p,
			 const struct kp_incremental_alter_configs_request_alterable_config *c,
			 const char **msg)
{
	const struct topic_config_def *d = topic_config_find(c->name.ptr ? c->name.ptr : "");
	const char *cur;
	struct props *np;

	if (!d) {
		*msg = "Unknown topic config name";
		return KERR_INVALID_CONFIG;
	}
	switch (c->config_operation) {
	case OP_SET:
		if (!c->value.ptr)
			return KERR_INVALID_REQUEST;
		return props_set(*p, d->name, c->value.ptr) ? KERR_UNKNOWN_SERVER_ERROR
							     : KERR_NONE;
	case OP_DELETE:
		np = iac_copy(*p, d->name);
		if (!np)
			return KERR_UNKNOWN_SERVER_ERROR;
		props_free(*p);
		*p = np;
		return KERR_NONE;
	case OP_APPEND:
	case OP_SUBTRACT:
		if (d->type != CONFIG_TYPE_LIST || !c->value.ptr) {
			*msg = "APPEND and SUBTRACT apply only to list-type configs";
			return KERR_INVALID_CONFIG;
		}
		cur = props_get(*p, d->name);
		if (!cur)
			cur = topic_config_str(b, t, d->name);
		cur = iac_list_edit(r, cur, c->value.ptr,
				    c->config_operation == OP_APPEND);
		if (!cur || props_set(*p, d->name, cur))
			return KERR_UNKNOWN_SERVER_ERROR;
		return KERR_NONE;
	default:
		return KERR_INVALID_REQUEST;
	}
}

static bool iac_duplicate_keys(const struct kp_incremental_alter_configs_request_alter_configs_resource *res)
{
	for (int32_t i = 0; i < res->configs_count; i++)
		for (int32_t j = i + 1; j < res->configs_count; j++)
			if (res->configs[i].name.ptr && res->configs[j].name.ptr &&
			    strcmp(res->configs[i].name.ptr, res->configs[j].name.ptr) == 0)
				return true;
	return false;
}

static void iac_audit(struct broker *b, struct req *r, const char *topic,
		      const struct kp_incremental_alter_configs_request_alter_configs_resource *res,
		      int16_t code)
{
	static const char *const ops[] = { "set", "delete", "append", "subtract" };
	struct audit_kv *kvs = arena_calloc(&r->arena,
					    (size_t)res->configs_count + 1,
					    sizeof(*kvs));

	if (!kvs)
		return;
	for (int32_t i = 0; i < res->configs_count; i++) {
		int8_t op = res->configs[i].config_operation;
		kvs[i].name = api_name(r, res->configs[i].name);
		kvs[i].op = op >= 0 && op <= 3 ? ops[op] : "?";
		kvs[i].value = op == OP_DELETE ? NULL : res->configs[i].value.ptr;
	}
	api_audit_config(b, r, "topic", topic, kvs, (size_t)res->configs_count,
			 code);
}

static void iac_topic(struct broker *b, struct req *r, bool validate_only,
		      const struct kp_incremental_alter_configs_request_alter_configs_resource *res,
		      struct kp_incremental_alter_configs_response_alter_configs_resource_response *out)
{
	struct topic *t = kp_str_has_nul(res->resource_name) ? NULL
			  : topic_find(b, api_name(r, res->resource_name));
	const char *msg = NULL;
	struct props *p;

	if (!t) {
		out->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
		return;
	}
	if (iac_duplicate_keys(res)) {
		out->error_code = KERR_INVALID_REQUEST;
		out->error_message = KP_STR("Error due to duplicate config keys");
		return;
	}
	p = iac_copy(t->configs, NULL);
	if (!p) {
		out->error_code = KERR_UNKNOWN_SERVER_ERROR;
		return;
	}
	for (int32_t i = 0; i < res->configs_count && !out->error_code; i++)
		out->error_code = iac_apply(b, r, t, &p, &res->configs[i], &msg);
	if (!out->error_code)
		out->error_code = topic_configs_check(b, p, &msg);
	if (msg)
		out->error_message = kp_str_of(arena_strndup(&r->arena, msg,
							     strlen(msg)));
	if (out->error_code || validate_only) {
		props_free(p);
		return;
	}
	out->error_code = topic_set_configs(b, t, p);
	iac_audit(b, r, t->name, res, out->error_code);
}

int api_incremental_alter_configs(struct broker *b, struct req *r)
{
	struct kp_incremental_alter_configs_request req;
	struct kp_incremental_alter_configs_response resp;
	int16_t ver = r->hdr.request_api_version;

	kp_incremental_alter_configs_request_init(&req);
	if (!req_decoded(b, r, kp_incremental_alter_configs_request_decode(&r->rd,
			 ver, &r->arena, &req)))
		return 0;
	kp_incremental_alter_configs_response_init(&resp);
	if (!api_array(r, resp.responses, resp.responses_count,
			       req.resources_count))
		return -ENOMEM;
	for (int32_t i = 0; i < req.resources_count; i++) {
		const struct kp_incremental_alter_configs_request_alter_configs_resource *res =
			&req.resources[i];
		struct kp_incremental_alter_configs_response_alter_configs_resource_response *out =
			&resp.responses[i];
		kp_incremental_alter_configs_response_alter_configs_resource_response_init(out);
		out->resource_type = res->resource_type;
		out->resource_name = res->resource_name;
		out->error_code = api_config_denied(b, r, ACL_OP_ALTER_CONFIGS,
						    res->resource_type,
						    res->resource_name);
		if (out->error_code != KERR_NONE) {
			continue;
		} else if (res->resource_type == RES_TOPIC) {
			iac_topic(b, r, req.validate_only, res, out);
		} else {
			out->error_code = KERR_INVALID_REQUEST;
			out->error_message = KP_STR("Only topic configs can be altered on this broker");
		}
	}
	kp_incremental_alter_configs_response_encode(&r->w, ver, &resp);
	req_finish(b, r);
	return 0;
}
