/* 31_delete_acls.c - DeleteAcls.
 *
 * Versions: 0-3 (1+ pattern type; 2+ flexible).
 * State:    ready.
 * ACL:      Alter on the cluster, else CLUSTER_AUTHORIZATION_FAILED for
 *           every filter.
 * Notes:    without an authorizer every filter result is
 *           SECURITY_DISABLED ("No Authorizer is configured."). Filters
 *           are Kafka's AclBindingFilter (ANY, MATCH, exact); an unknown
 *           element gets INVALID_REQUEST "Unknown patternFilter." /
 *           "Unknown entryFilter." (AclControlManager). Each result lists
 *           the bindings its filter matched -- a binding matched by two
 *           filters is listed by both -- and all of them are deleted in
 *           one LMDB transaction, effective for every connection's next
 *           request and written to the audit log. v0 filters LITERAL
 *           patterns only. At most 10,000 bindings go per request (Kafka's
 *           MAX_RECORDS_PER_USER_OP), else INVALID_REQUEST for every
 *           filter and nothing is deleted; more than 10,000 filters
 *           (ours: each one scans every binding) likewise.
 */
#include "broker/api/api.h"

#include <string.h>

#include "auth/audit.h"
#include "auth/authz.h"
#include "base/log.h"

#define LOGC "kafka.authorizer.logger"

static void dl_fill(struct kp_delete_acls_response *resp, int16_t code,
		    const char *msg)
{
	for (int32_t i = 0; i < resp->filter_results_count; i++) {
		resp->filter_results[i].error_code = code;
		resp->filter_results[i].error_message = kp_str_of(msg);
	}
}

static bool
dl_filter(const struct kp_delete_acls_request_delete_acls_filter *in,
	  struct acl_filter *f)
{
	f->rtype = acl_rtype_from_code(in->resource_type_filter);
	f->ptype = acl_ptype_from_code(in->pattern_type_filter);
	f->op = acl_op_from_code(in->operation);
	f->perm = acl_perm_from_code(in->permission_type);
	return api_acl_str(in->resource_name_filter, &f->name) &&
	       api_acl_str(in->principal_filter, &f->principal) &&
	       api_acl_str(in->host_filter, &f->host);
}

static int
dl_result(struct arena *big, const struct authz_delete_result *res,
	  struct kp_delete_acls_response_delete_acls_filter_result *out)
{
	if (res->rc) {
		out->error_code = KERR_INVALID_REQUEST;
		out->error_message = kp_str_of(res->msg);
		return 0;
	}
	out->matching_acls =
	    arena_calloc(big, res->count + 1, sizeof(*out->matching_acls));
	if (!out->matching_acls)
		return -ENOMEM;
	out->matching_acls_count = (int32_t)res->count;
	for (size_t i = 0; i < res->count; i++) {
		const struct acl_binding *bnd = &res->acls[i];
		struct kp_delete_acls_response_delete_acls_matching_acl *m =
		    &out->matching_acls[i];
		kp_delete_acls_response_delete_acls_matching_acl_init(m);
		m->resource_type = (int8_t)bnd->rtype;
		m->resource_name = kp_str_of(bnd->name);
		m->pattern_type = (int8_t)bnd->ptype;
		m->principal = kp_str_of(bnd->principal);
		m->host = kp_str_of(bnd->host);
		m->operation = (int8_t)bnd->op;
		m->permission_type = (int8_t)bnd->perm;
	}
	return 0;
}

/* One audit record and log line per deleted binding, even when several
 * filters matched it. */
static void dl_audit(struct broker *b, struct req *r,
		     const struct authz_delete_result *res, size_t n)
{
	struct audit_ctx c;
	char text[1024];

	api_audit_ctx(b, r, &c);
	for (size_t j = 0; j < n; j++)
		for (size_t i = 0; i < res[j].count; i++) {
			const struct acl_binding *bnd = &res[j].acls[i];
			if (!res[j].first[i])
				continue;
			audit_acl(b->audit, &c, "delete", bnd, NULL);
			acl_binding_format(text, sizeof(text), bnd);
			log_info(LOGC, "Principal %s from %s deleted ACL %s",
				 r->sess->principal, r->sess->peer.addr, text);
		}
}

/* Filters with a NUL byte in a string match nothing and are left out of
 * the delete (their result stays empty). */
static int dl_delete(struct broker *b, struct req *r, struct arena *big,
		     const struct kp_delete_acls_request *req,
		     struct kp_delete_acls_response *resp)
{
	size_t n = (size_t)resp->filter_results_count, k = 0;
	struct acl_filter *f = arena_calloc(&r->arena, n + 1, sizeof(*f));
	struct authz_delete_result *res =
	    arena_calloc(&r->arena, n + 1, sizeof(*res));
	size_t *at = arena_calloc(&r->arena, n + 1, sizeof(*at));
	int rc;

	if (!f || !res || !at)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (dl_filter(&req->filters[i], &f[k]))
			at[k++] = i;
	rc = authz_acls_delete(b->authz, f, k, big, res);
	if (rc == -ENOMEM)
		return rc;
	if (rc == -E2BIG) {
		dl_fill(resp, KERR_INVALID_REQUEST,
			"Cannot remove more than 10000 acls in a single delete "
			"operation.");
		return 0;
	}
	if (rc) {
		dl_fill(resp, KERR_UNKNOWN_SERVER_ERROR,
			"Failed to store the change");
		return 0;
	}
	for (size_t j = 0; j < k; j++)
		if (dl_result(big, &res[j], &resp->filter_results[at[j]]))
			return -ENOMEM;
	dl_audit(b, r, res, k);
	return 0;
}

int api_delete_acls(struct broker *b, struct req *r)
{
	struct kp_delete_acls_request req;
	struct kp_delete_acls_response resp;
	int16_t ver = r->hdr.request_api_version;
	struct arena big; /* the deleted bindings: as many as the broker has */
	int32_t n;
	int rc = 0;

	kp_delete_acls_request_init(&req);
	if (!req_decoded(
		b, r,
		kp_delete_acls_request_decode(&r->rd, ver, &r->arena, &req)))
		return 0;
	kp_delete_acls_response_init(&resp);
	arena_init(&big, 0);
	n = req.filters_count > 0 ? req.filters_count : 0;
	resp.filter_results = arena_calloc(&r->arena, (size_t)n + 1,
					   sizeof(*resp.filter_results));
	if (!resp.filter_results) {
		arena_fini(&big);
		return -ENOMEM;
	}
	resp.filter_results_count = n;
	for (int32_t i = 0; i < n; i++) {
		kp_delete_acls_response_delete_acls_filter_result_init(
		    &resp.filter_results[i]);
		resp.filter_results[i].matching_acls_count = 0;
	}
	if (!b->authz)
		dl_fill(&resp, KERR_SECURITY_DISABLED,
			"No Authorizer is configured.");
	else if (!api_authorized_cluster(b, r, ACL_OP_ALTER))
		dl_fill(&resp, KERR_CLUSTER_AUTHORIZATION_FAILED,
			"Cluster authorization failed.");
	else if (n > AUTHZ_BATCH_MAX) /* each filter scans every binding */
		dl_fill(&resp, KERR_INVALID_REQUEST,
			"Cannot process more than 10000 filters in a single "
			"request.");
	else if (n)
		rc = dl_delete(b, r, &big, &req, &resp);
	if (!rc) {
		kp_delete_acls_response_encode(&r->w, ver, &resp);
		req_finish(b, r);
	}
	arena_fini(&big);
	return rc;
}
