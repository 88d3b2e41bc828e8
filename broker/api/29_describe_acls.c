/* 29_describe_acls.c - DescribeAcls.
 *
 * Versions: 0-3 (1+ pattern type filter and result; 2+ flexible).
 * State:    ready.
 * ACL:      Describe on the cluster, else CLUSTER_AUTHORIZATION_FAILED.
 * Notes:    without an authorizer SECURITY_DISABLED ("No Authorizer is
 *           configured on the broker"), as Kafka. The filter is Kafka's
 *           AclBindingFilter (acl_filter_matches: ANY, MATCH, exact); v0
 *           has no pattern type and filters LITERAL patterns only. A
 *           filter with an unknown element gets INVALID_REQUEST (Kafka
 *           fails the request parse and closes the connection). Resources
 *           come in the order their first binding was created, each with
 *           its bindings in creation order (Kafka: hash order).
 */
#include "broker/api/api.h"

#include <string.h>

#include "auth/authz.h"

struct da_build {
	struct req *r;
	struct kp_describe_acls_response *resp;
	struct kp_describe_acls_response_acl_description *acls; /* flat */
	size_t nacls;
};

static bool
da_same(const struct kp_describe_acls_response_describe_acls_resource *res,
	const struct acl_binding *b)
{
	return res->resource_type == (int8_t)b->rtype &&
	       res->pattern_type == (int8_t)b->ptype &&
	       strcmp(res->resource_name.ptr, b->name) == 0;
}

static int da_count(void *ctx, uint64_t id, const struct acl_binding *b)
{
	(void)id;
	(void)b;
	(*(size_t *)ctx)++;
	return 0;
}

/* Bindings arrive grouped by pattern (authz_acls_visit), so a resource's
 * entries are consecutive in the flat array. */
static int da_add(void *ctx, uint64_t id, const struct acl_binding *b)
{
	struct da_build *db = ctx;
	struct kp_describe_acls_response *resp = db->resp;
	struct kp_describe_acls_response_describe_acls_resource *res =
	    resp->resources_count ? &resp->resources[resp->resources_count - 1]
				  : NULL;
	struct kp_describe_acls_response_acl_description *a =
	    &db->acls[db->nacls++];

	(void)id;
	if (!res || !da_same(res, b)) {
		res = &resp->resources[resp->resources_count++];
		kp_describe_acls_response_describe_acls_resource_init(res);
		res->resource_type = (int8_t)b->rtype;
		res->pattern_type = (int8_t)b->ptype;
		res->resource_name = kp_str_of(b->name);
		res->acls = a;
		res->acls_count = 0;
	}
	kp_describe_acls_response_acl_description_init(a);
	a->principal = kp_str_of(b->principal);
	a->host = kp_str_of(b->host);
	a->operation = (int8_t)b->op;
	a->permission_type = (int8_t)b->perm;
	res->acls_count++;
	return 0;
}

/* The request's filter; false when a string holds a NUL (matches
 * nothing stored). */
static bool da_filter(const struct kp_describe_acls_request *req,
		      struct acl_filter *f)
{
	f->rtype = acl_rtype_from_code(req->resource_type_filter);
	f->ptype = acl_ptype_from_code(req->pattern_type_filter);
	f->op = acl_op_from_code(req->operation);
	f->perm = acl_perm_from_code(req->permission_type);
	return api_acl_str(req->resource_name_filter, &f->name) &&
	       api_acl_str(req->principal_filter, &f->principal) &&
	       api_acl_str(req->host_filter, &f->host);
}

/* The arrays grow with the broker's ACLs, not with the request: they come
 * from big (unlimited), not from the request's bounded arena. */
static int da_list(struct broker *b, struct req *r, struct arena *big,
		   const struct acl_filter *f,
		   struct kp_describe_acls_response *resp)
{
	struct da_build db = {r, resp, NULL, 0};
	size_t n = 0;

	authz_acls_visit(b->authz, f, da_count, &n);
	resp->resources = arena_calloc(big, n + 1, sizeof(*resp->resources));
	db.acls = arena_calloc(big, n + 1, sizeof(*db.acls));
	if (!resp->resources || !db.acls)
		return -ENOMEM;
	resp->resources_count = 0;
	return authz_acls_visit(b->authz, f, da_add, &db);
}

int api_describe_acls(struct broker *b, struct req *r)
{
	struct kp_describe_acls_request req;
	struct kp_describe_acls_response resp;
	int16_t ver = r->hdr.request_api_version;
	struct acl_filter f;
	struct arena big;
	const char *msg;
	int rc = 0;

	kp_describe_acls_request_init(&req);
	if (!req_decoded(
		b, r,
		kp_describe_acls_request_decode(&r->rd, ver, &r->arena, &req)))
		return 0;
	kp_describe_acls_response_init(&resp);
	resp.resources_count = 0;
	arena_init(&big, 0);
	if (!b->authz) {
		resp.error_code = KERR_SECURITY_DISABLED;
		resp.error_message =
		    KP_STR("No Authorizer is configured on the broker");
	} else if (!api_authorized_cluster(b, r, ACL_OP_DESCRIBE)) {
		resp.error_code = KERR_CLUSTER_AUTHORIZATION_FAILED;
		resp.error_message = KP_STR("Cluster authorization failed.");
	} else if (!da_filter(&req, &f)) {
		/* a name with a NUL byte: nothing stored matches */
	} else if (acl_filter_check(&f, &msg)) {
		resp.error_code = KERR_INVALID_REQUEST;
		resp.error_message = kp_str_of(msg);
	} else {
		rc = da_list(b, r, &big, &f, &resp);
	}
	if (!rc) {
		kp_describe_acls_response_encode(&r->w, ver, &resp);
		req_finish(b, r);
	}
	arena_fini(&big);
	return rc;
}
