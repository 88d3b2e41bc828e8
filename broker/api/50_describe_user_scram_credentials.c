/* 50_describe_user_scram_credentials.c - DescribeUserScramCredentials.
 *
 * Versions: 0 (flexible).
 * State:    ready.
 * ACL:      Describe on the cluster, else CLUSTER_AUTHORIZATION_FAILED
 *           for the whole request (Kafka).
 * Notes:    null or empty users = every user with a credential, in name
 *           order. A named user without one gets RESOURCE_NOT_FOUND
 *           "Attempt to describe a user credential that does not exist:
 *           <user>", a user named twice DUPLICATE_RESOURCE "Cannot
 *           describe SCRAM credentials for the same user twice in a
 *           single request: <user>" (Kafka's ScramImage), answered in
 *           request order (Kafka's order is a hash map's). Only the
 *           mechanism and iteration count are ever returned; the store
 *           (auth/credstore.h) has no password to return anyway.
 */
#include "broker/api/api.h"

#include <string.h>

#include "auth/credstore.h"
#include "broker/auth.h"

/* Collects one user's records (or every user's, grouped). */
struct desc_walk {
	struct req *r;
	struct
	    kp_describe_user_scram_credentials_response_describe_user_scram_credentials_result
		*results;
	int32_t count, cap;
	bool all;
	int err;
};

static int desc_visit(void *ctx, const char *user, enum scram_mech m,
		      int32_t iterations)
{
	struct desc_walk *w = ctx;
	struct
	    kp_describe_user_scram_credentials_response_describe_user_scram_credentials_result
		*res;
	struct kp_describe_user_scram_credentials_response_credential_info
	    *infos;

	if (w->all && (w->count == 0 ||
		       strcmp(w->results[w->count - 1].user.ptr, user) != 0)) {
		if (w->count == w->cap)
			return -ENOSPC;
		res = &w->results[w->count++];
		kp_describe_user_scram_credentials_response_describe_user_scram_credentials_result_init(
		    res);
		res->user.ptr = arena_strndup(&w->r->arena, user, strlen(user));
		res->user.len = (int32_t)strlen(user);
		res->credential_infos_count = 0;
		if (!res->user.ptr)
			return -ENOMEM;
	}
	res = &w->results[w->count - 1];
	infos = arena_alloc(&w->r->arena,
			    ((size_t)res->credential_infos_count + 1) *
				sizeof(*infos));
	if (!infos)
		return -ENOMEM;
	if (res->credential_infos_count > 0)
		memcpy(infos, res->credential_infos,
		       (size_t)res->credential_infos_count * sizeof(*infos));
	infos[res->credential_infos_count].mechanism = (int8_t)m;
	infos[res->credential_infos_count].iterations = iterations;
	res->credential_infos = infos;
	res->credential_infos_count++;
	res->error_code = KERR_NONE;
	res->error_message = KP_STR_NULL;
	return 0;
}

static int count_visit(void *ctx, const char *user, enum scram_mech m,
		       int32_t iterations)
{
	(void)user;
	(void)m;
	(void)iterations;
	(*(int32_t *)ctx)++;
	return 0;
}

static int desc_all(struct broker *b, struct credstore *cs,
		    struct kp_describe_user_scram_credentials_response *resp,
		    struct req *r)
{
	struct desc_walk w = {.r = r, .all = true};
	int rc = credstore_foreach(cs, NULL, count_visit, &w.cap);

	if (rc)
		return rc;
	w.results =
	    arena_calloc(&r->arena, (size_t)w.cap + 1, sizeof(*w.results));
	if (!w.results)
		return -ENOMEM;
	rc = credstore_foreach(cs, NULL, desc_visit, &w);
	resp->results = w.results;
	resp->results_count = w.count;
	(void)b;
	return rc;
}

static bool
named_twice(const struct kp_describe_user_scram_credentials_request *q,
	    int32_t i)
{
	for (int32_t k = 0; k < q->users_count; k++)
		if (k != i && q->users[k].name.len == q->users[i].name.len &&
		    memcmp(q->users[k].name.ptr, q->users[i].name.ptr,
			   (size_t)q->users[i].name.len) == 0)
			return true;
	return false;
}

static int desc_one(
    struct credstore *cs, struct req *r, struct kp_str name, bool dup,
    struct
    kp_describe_user_scram_credentials_response_describe_user_scram_credentials_result
	*res)
{
	struct desc_walk w = {.r = r, .results = res, .count = 1, .cap = 1};
	int rc = 0;

	kp_describe_user_scram_credentials_response_describe_user_scram_credentials_result_init(
	    res);
	res->user = name;
	res->credential_infos_count = 0;
	res->error_code =
	    dup ? KERR_DUPLICATE_RESOURCE : KERR_RESOURCE_NOT_FOUND;
	if (!dup && name.ptr && name.len > 0 && name.len <= SCRAM_USER_MAX &&
	    !kp_str_has_nul(name))
		rc = credstore_foreach(cs, name.ptr, desc_visit, &w);
	if (rc)
		return rc;
	if (res->error_code != KERR_NONE)
		res->error_message = kp_str_of(
		    arena_printf(&r->arena, "%s: %s",
				 dup ? "Cannot describe SCRAM credentials for "
				       "the same user twice in a single request"
				     : "Attempt to describe a user credential "
				       "that does not exist",
				 name.ptr ? name.ptr : ""));
	return 0;
}

/* The request is bounded by its frame, so the O(n^2) duplicate scan is
 * bounded too; it runs only for named users. */
static int
desc_named(struct credstore *cs,
	   const struct kp_describe_user_scram_credentials_request *q,
	   struct kp_describe_user_scram_credentials_response *resp,
	   struct req *r)
{
	int rc = 0;

	if (q->users_count > 4096)
		return -E2BIG;
	resp->results = arena_calloc(&r->arena, (size_t)q->users_count,
				     sizeof(*resp->results));
	if (!resp->results)
		return -ENOMEM;
	for (int32_t i = 0; !rc && i < q->users_count; i++)
		rc = desc_one(cs, r, q->users[i].name, named_twice(q, i),
			      &resp->results[i]);
	resp->results_count = q->users_count;
	return rc;
}

int api_describe_user_scram_credentials(struct broker *b, struct req *r)
{
	struct kp_describe_user_scram_credentials_request req;
	struct kp_describe_user_scram_credentials_response resp;
	struct credstore *cs = b->auth ? b->auth->store : NULL;
	int rc = 0;

	kp_describe_user_scram_credentials_request_init(&req);
	if (!req_decoded(b, r,
			 kp_describe_user_scram_credentials_request_decode(
			     &r->rd, 0, &r->arena, &req)))
		return 0;
	kp_describe_user_scram_credentials_response_init(&resp);
	resp.results_count = 0;
	if (!api_authorized_cluster(b, r, ACL_OP_DESCRIBE)) {
		resp.error_code = KERR_CLUSTER_AUTHORIZATION_FAILED;
	} else if (!cs) {
		resp.error_code = KERR_UNKNOWN_SERVER_ERROR;
	} else {
		rc = req.users_count > 0 ? desc_named(cs, &req, &resp, r)
					 : desc_all(b, cs, &resp, r);
		if (rc) {
			resp.results_count = 0;
			resp.error_code = rc == -E2BIG
					      ? KERR_INVALID_REQUEST
					      : KERR_UNKNOWN_SERVER_ERROR;
			resp.error_message =
			    KP_STR("Error processing describe user SCRAM "
				   "credential configs request");
		}
	}
	kp_describe_user_scram_credentials_response_encode(&r->w, 0, &resp);
	req_finish(b, r);
	return 0;
}
