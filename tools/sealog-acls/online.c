/* online.c - the running-broker backend: DescribeAcls, CreateAcls and
 * DeleteAcls over kclient (PLAINTEXT, SSL, SASL), as the Java admin
 * client sends them: the highest version both sides speak (at most 3).
 */
#include "tools/sealog-acls/acls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/kerr.h"
#include "proto/kp_gen.h"

struct online {
	struct kclient_config cfg;
	struct kclient *k;
};

static int fail_from(struct acls_fail *fail, const struct kclient_error *e)
{
	char exc[160];

	snprintf(exc, sizeof(exc), "%s%s",
		 strchr(e->exception, '.') ? ""
					   : "org.apache.kafka.common.errors.",
		 e->exception);
	snprintf(fail->msg, sizeof(fail->msg), "%s: %s", exc, e->msg);
	fail->exception = NULL;
	return -EPROTO;
}

static int fail_code(struct acls_fail *fail, int16_t code, struct kp_str msg)
{
	struct kclient_error e;

	kclient_error_set(&e, code, msg.ptr);
	return fail_from(fail, &e);
}

static int16_t version(struct online *on, int16_t api, struct acls_fail *fail)
{
	int16_t v = kclient_version(on->k, api, 3);
	struct kclient_error e;

	if (v < 0) {
		kclient_error_set(&e, KERR_UNSUPPORTED_VERSION,
				  "The broker does not support the ACL APIs");
		fail_from(fail, &e);
	}
	return v;
}

static int on_describe(void *ctx, const struct acl_filter *f, struct arena *a,
		       struct acls_list *out, struct acls_fail *fail)
{
	struct online *on = ctx;
	struct kp_describe_acls_request req;
	struct kp_describe_acls_response resp;
	struct kclient_error e;
	int16_t v = version(on, KP_API_DESCRIBE_ACLS, fail);
	int rc;

	if (v < 0)
		return -ENOTSUP;
	kp_describe_acls_request_init(&req);
	req.resource_type_filter = (int8_t)f->rtype;
	req.resource_name_filter = kp_str_of(f->name);
	req.pattern_type_filter = (int8_t)f->ptype;
	req.principal_filter = kp_str_of(f->principal);
	req.host_filter = kp_str_of(f->host);
	req.operation = (int8_t)f->op;
	req.permission_type = (int8_t)f->perm;
	rc = kclient_call(on->k, KP_API_DESCRIBE_ACLS, v, &req, a, &resp, &e);
	if (rc)
		return fail_from(fail, &e);
	if (resp.error_code)
		return fail_code(fail, resp.error_code, resp.error_message);
	for (int32_t i = 0; i < resp.resources_count; i++) {
		const struct kp_describe_acls_response_describe_acls_resource
		    *r = &resp.resources[i];
		for (int32_t j = 0; j < r->acls_count; j++) {
			struct acl_binding b = {
			    acl_rtype_from_code(r->resource_type),
			    v >= 1 ? acl_ptype_from_code(r->pattern_type)
				   : ACL_PT_LITERAL,
			    r->resource_name.ptr ? r->resource_name.ptr : "",
			    r->acls[j].principal.ptr ? r->acls[j].principal.ptr
						     : "",
			    r->acls[j].host.ptr ? r->acls[j].host.ptr : "",
			    acl_op_from_code(r->acls[j].operation),
			    acl_perm_from_code(r->acls[j].permission_type),
			};
			if (acls_list_add(out, a, &b))
				return -ENOMEM;
		}
	}
	return 0;
}

static int on_create(void *ctx, const struct acl_binding *b, size_t n,
		     struct acls_fail *fail)
{
	struct online *on = ctx;
	struct kp_create_acls_request req;
	struct kp_create_acls_response resp;
	struct kclient_error e;
	struct arena a;
	int16_t v = version(on, KP_API_CREATE_ACLS, fail);
	int rc = -ENOMEM;

	if (v < 0)
		return -ENOTSUP;
	arena_init(&a, 0);
	kp_create_acls_request_init(&req);
	req.creations = arena_calloc(&a, n + 1, sizeof(*req.creations));
	if (!req.creations)
		goto out;
	req.creations_count = (int32_t)n;
	for (size_t i = 0; i < n; i++) {
		struct kp_create_acls_request_acl_creation *c =
		    &req.creations[i];
		kp_create_acls_request_acl_creation_init(c);
		c->resource_type = (int8_t)b[i].rtype;
		c->resource_name = kp_str_of(b[i].name);
		c->resource_pattern_type = (int8_t)b[i].ptype;
		c->principal = kp_str_of(b[i].principal);
		c->host = kp_str_of(b[i].host);
		c->operation = (int8_t)b[i].op;
		c->permission_type = (int8_t)b[i].perm;
	}
	rc = kclient_call(on->k, KP_API_CREATE_ACLS, v, &req, &a, &resp, &e);
	if (rc) {
		rc = fail_from(fail, &e);
		goto out;
	}
	for (int32_t i = 0; i < resp.results_count && !rc; i++)
		if (resp.results[i].error_code)
			rc = fail_code(fail, resp.results[i].error_code,
				       resp.results[i].error_message);
out:
	arena_fini(&a);
	return rc;
}

static int on_remove(void *ctx, const struct acl_filter *f, size_t n,
		     struct acls_fail *fail)
{
	struct online *on = ctx;
	struct kp_delete_acls_request req;
	struct kp_delete_acls_response resp;
	struct kclient_error e;
	struct arena a;
	int16_t v = version(on, KP_API_DELETE_ACLS, fail);
	int rc = -ENOMEM;

	if (v < 0)
		return -ENOTSUP;
	arena_init(&a, 0);
	kp_delete_acls_request_init(&req);
	req.filters = arena_calloc(&a, n + 1, sizeof(*req.filters));
	if (!req.filters)
		goto out;
	req.filters_count = (int32_t)n;
	for (size_t i = 0; i < n; i++) {
		struct kp_delete_acls_request_delete_acls_filter *d =
		    &req.filters[i];
		kp_delete_acls_request_delete_acls_filter_init(d);
		d->resource_type_filter = (int8_t)f[i].rtype;
		d->resource_name_filter = kp_str_of(f[i].name);
		d->pattern_type_filter = (int8_t)f[i].ptype;
		d->principal_filter = kp_str_of(f[i].principal);
		d->host_filter = kp_str_of(f[i].host);
		d->operation = (int8_t)f[i].op;
		d->permission_type = (int8_t)f[i].perm;
	}
	rc = kclient_call(on->k, KP_API_DELETE_ACLS, v, &req, &a, &resp, &e);
	if (rc) {
		rc = fail_from(fail, &e);
		goto out;
	}
	for (int32_t i = 0; i < resp.filter_results_count && !rc; i++)
		if (resp.filter_results[i].error_code)
			rc = fail_code(fail, resp.filter_results[i].error_code,
				       resp.filter_results[i].error_message);
out:
	arena_fini(&a);
	return rc;
}

static void on_close(void *ctx)
{
	struct online *on = ctx;

	kclient_close(on->k);
	kclient_config_fini(&on->cfg);
	free(on);
}

int acls_online_open(const struct acls_opts *o, struct acls_backend *be,
		     struct acls_fail *fail)
{
	struct online *on = calloc(1, sizeof(*on));
	const char *bs = acls_opt(o, OPT_BOOTSTRAP_SERVER,
				  acls_opt(o, OPT_BOOTSTRAP_CONTROLLER, NULL));
	struct kclient_error e;
	int rc;

	if (!on)
		return -ENOMEM;
	rc = kclient_config_init(&on->cfg, bs,
				 acls_opt(o, OPT_COMMAND_CONFIG, NULL),
				 fail->msg, sizeof(fail->msg));
	if (rc) {
		fail->exception =
		    "org.apache.kafka.common.config.ConfigException";
		free(on);
		return rc;
	}
	rc = kclient_open(&on->cfg, &on->k, &e);
	if (rc) {
		fail_from(fail, &e);
		kclient_config_fini(&on->cfg);
		free(on);
		return rc;
	}
	*be = (struct acls_backend){on, on_describe, on_create, on_remove,
				    on_close};
	return 0;
}
