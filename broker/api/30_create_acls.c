/* 30_create_acls.c - CreateAcls.
 *
 * Versions: 0-3 (1+ pattern type; 2+ flexible).
 * State:    ready.
 * ACL:      Alter on the cluster, else CLUSTER_AUTHORIZATION_FAILED for
 *           every creation.
 * Notes:    without an authorizer every result is SECURITY_DISABLED ("No
 *           Authorizer is configured."), as Kafka. Each binding is checked
 *           as Kafka's AclApis and AclControlManager do (INVALID_REQUEST
 *           with Kafka's message: "The only valid name for the CLUSTER
 *           resource is kafka-cluster", "Invalid empty resource name
 *           specified", "Invalid patternType MATCH", ...); an unknown code
 *           gets the same INVALID_REQUEST instead of Kafka's closed
 *           connection. Beyond Kafka, a host with a '/' must be a CIDR
 *           range. An identical existing binding is a success. More than
 *           10,000 creations (Kafka's MAX_RECORDS_PER_USER_OP) fail as a
 *           whole with INVALID_REQUEST. The new bindings of one request
 *           are stored in one LMDB transaction and apply to every
 *           connection's next request; each is written to the audit log.
 */
#include "broker/api/api.h"

#include <stdlib.h>
#include <string.h>

#include "auth/audit.h"
#include "auth/authz.h"
#include "base/log.h"

#define LOGC "kafka.authorizer.logger"

static void ca_fill(struct kp_create_acls_response *resp, int16_t code,
		    const char *msg)
{
	for (int32_t i = 0; i < resp->results_count; i++) {
		resp->results[i].error_code = code;
		resp->results[i].error_message = kp_str_of(msg);
	}
}

/* A creation as a binding; false when a string holds a NUL byte. */
static bool ca_binding(const struct kp_create_acls_request_acl_creation *c,
		       struct acl_binding *b)
{
	b->rtype = acl_rtype_from_code(c->resource_type);
	b->ptype = acl_ptype_from_code(c->resource_pattern_type);
	b->op = acl_op_from_code(c->operation);
	b->perm = acl_perm_from_code(c->permission_type);
	return api_acl_str(c->resource_name, &b->name) &&
	       api_acl_str(c->principal, &b->principal) &&
	       api_acl_str(c->host, &b->host) && b->name && b->principal &&
	       b->host;
}

static void ca_audit(struct broker *b, struct req *r,
		     const struct acl_binding *bnd, int16_t code, bool created)
{
	struct audit_ctx c;
	char text[1024];

	if (code == KERR_NONE && !created)
		return; /* it already existed: nothing changed */
	api_audit_ctx(b, r, &c);
	audit_acl(b->audit, &c, "create", bnd,
		  code == KERR_NONE ? NULL : kerr_name(code));
	if (code == KERR_NONE) {
		acl_binding_format(text, sizeof(text), bnd);
		log_info(LOGC, "Principal %s from %s created ACL %s",
			 r->sess->principal, r->sess->peer.addr, text);
	}
}

static int16_t ca_code(int rc)
{
	if (rc == 0)
		return KERR_NONE;
	return rc == -EINVAL || rc == -E2BIG ? KERR_INVALID_REQUEST
					     : KERR_UNKNOWN_SERVER_ERROR;
}

/* The per-binding results (with their message buffers) live on the heap,
 * not in the request's arena: n <= AUTHZ_BATCH_MAX, checked first. */
static void ca_results(struct broker *b, struct req *r, const bool *ok,
		       const struct acl_binding *bnd,
		       const struct authz_create_result *res, size_t n,
		       struct kp_create_acls_response *resp)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (!ok[i])
			continue;
		int16_t code = ca_code(res[k].rc);
		resp->results[i].error_code = code;
		if (code == KERR_INVALID_REQUEST && res[k].msg[0])
			resp->results[i].error_message =
			    kp_str_of(arena_strndup(&r->arena, res[k].msg,
						    strlen(res[k].msg)));
		else if (code != KERR_NONE)
			resp->results[i].error_message =
			    KP_STR("Failed to store the ACL");
		ca_audit(b, r, &bnd[k], code, res[k].created);
		k++;
	}
}

static int ca_create(struct broker *b, struct req *r,
		     const struct kp_create_acls_request *req,
		     struct kp_create_acls_response *resp)
{
	size_t n = (size_t)resp->results_count, k = 0;
	struct acl_binding *bnd = calloc(n + 1, sizeof(*bnd));
	struct authz_create_result *res = calloc(n + 1, sizeof(*res));
	bool *ok = calloc(n + 1, sizeof(*ok));
	int rc = -ENOMEM;

	if (!bnd || !res || !ok)
		goto out;
	for (size_t i = 0; i < n; i++) {
		ok[i] = ca_binding(&req->creations[i], &bnd[k]);
		if (ok[i]) {
			k++;
			continue;
		}
		resp->results[i].error_code = KERR_INVALID_REQUEST;
		resp->results[i].error_message =
		    KP_STR("ACL strings must not contain NUL bytes");
	}
	authz_acls_create(b->authz, bnd, k, res);
	ca_results(b, r, ok, bnd, res, n, resp);
	rc = 0;
out:
	free(bnd);
	free(res);
	free(ok);
	return rc;
}

int api_create_acls(struct broker *b, struct req *r)
{
	struct kp_create_acls_request req;
	struct kp_create_acls_response resp;
	int16_t ver = r->hdr.request_api_version;
	int32_t n;

	kp_create_acls_request_init(&req);
	if (!req_decoded(
		b, r,
		kp_create_acls_request_decode(&r->rd, ver, &r->arena, &req)))
		return 0;
	kp_create_acls_response_init(&resp);
	n = req.creations_count > 0 ? req.creations_count : 0;
	resp.results =
	    arena_calloc(&r->arena, (size_t)n + 1, sizeof(*resp.results));
	if (!resp.results)
		return -ENOMEM;
	resp.results_count = n;
	for (int32_t i = 0; i < n; i++)
		kp_create_acls_response_acl_creation_result_init(
		    &resp.results[i]);
	if (!b->authz)
		ca_fill(&resp, KERR_SECURITY_DISABLED,
			"No Authorizer is configured.");
	else if (!api_authorized_cluster(b, r, ACL_OP_ALTER))
		ca_fill(&resp, KERR_CLUSTER_AUTHORIZATION_FAILED,
			"Cluster authorization failed.");
	else if (n > AUTHZ_BATCH_MAX) /* before allocating per creation */
		ca_fill(
		    &resp, KERR_INVALID_REQUEST,
		    "Cannot create more than 10000 acls in a single batch.");
	else if (n && ca_create(b, r, &req, &resp))
		return -ENOMEM;
	kp_create_acls_response_encode(&r->w, ver, &resp);
	req_finish(b, r);
	return 0;
}
