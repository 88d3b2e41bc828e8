/* 51_alter_user_scram_credentials.c - AlterUserScramCredentials.
 *
 * Versions: 0 (flexible).
 * State:    ready.
 * ACL:      Alter on the cluster, else every user's result is
 *           CLUSTER_AUTHORIZATION_FAILED (Kafka).
 * Notes:    Kafka 3.9's ScramControlManager rules, keyed by user name:
 *           a user changed twice in one request (two deletions, a
 *           deletion and an upsertion, two upsertions -- even for two
 *           mechanisms) is DUPLICATE_RESOURCE "A user credential cannot be
 *           altered twice in the same request"; an empty name
 *           UNACCEPTABLE_CREDENTIAL "Username must not be empty"; an
 *           unknown mechanism UNSUPPORTED_SASL_MECHANISM "Unknown SCRAM
 *           mechanism"; iterations outside 4096..16384
 *           UNACCEPTABLE_CREDENTIAL "Too few iterations" / "Too many
 *           iterations"; deleting what does not exist RESOURCE_NOT_FOUND
 *           "Attempt to delete a user credential that does not exist".
 *           Ours besides: names must be UTF-8 of at most 256 bytes, the
 *           salted password as long as the mechanism's hash, the salt 1 to
 *           256 bytes (UNACCEPTABLE_CREDENTIAL). Results: deletions, then
 *           upsertions, then errors. The accepted changes are one LMDB
 *           transaction; only salt, StoredKey, ServerKey and iterations
 *           are stored (sealed, auth/credstore.h), and the salted
 *           passwords are wiped from the request buffer. Each change is
 *           audited (auth/audit.h, never a secret).
 */
#include "broker/api/api.h"

#include <string.h>

#include <openssl/crypto.h>

#include "auth/audit.h"
#include "auth/credstore.h"
#include "broker/auth.h"

enum alt_kind { ALT_DELETE, ALT_UPSERT, ALT_ERROR };

struct alt_user {
	struct hmap_node hnode;
	struct kp_str name;
	enum alt_kind kind;
	enum alt_kind want; /* what the first entry for the user asked */
	int32_t index;	    /* into deletions or upsertions */
	int16_t error;
	const char *message;
};

struct alter {
	struct broker *b;
	struct req *r;
	struct credstore *cs;
	const struct kp_alter_user_scram_credentials_request *q;
	struct hmap users;
	struct alt_user *all; /* every distinct user, first-seen order */
	int32_t count;
};

static struct alt_user *user_get(struct alter *a, struct kp_str name)
{
	uint64_t h = hmap_hash_bytes(name.ptr ? name.ptr : "",
				     name.len > 0 ? (size_t)name.len : 0);
	struct alt_user *u;

	for (struct hmap_node *n = hmap_first(&a->users, h); n;
	     n = hmap_next(n, h)) {
		u = container_of(n, struct alt_user, hnode);
		if (u->name.len == name.len &&
		    memcmp(u->name.ptr, name.ptr, (size_t)name.len) == 0)
			return u;
	}
	u = &a->all[a->count++];
	memset(u, 0, sizeof(*u));
	u->name = name;
	u->kind = ALT_ERROR;
	u->index = -1;
	hmap_insert(&a->users, &u->hnode, h);
	return u;
}

static int16_t check_name(struct kp_str name, int8_t mech, const char **msg)
{
	if (name.len <= 0) {
		*msg = "Username must not be empty";
		return KERR_UNACCEPTABLE_CREDENTIAL;
	}
	if (!scram_mech_name(mech)) {
		*msg = "Unknown SCRAM mechanism";
		return KERR_UNSUPPORTED_SASL_MECHANISM;
	}
	if (!scram_user_valid(name.ptr, (size_t)name.len) ||
	    kp_str_has_nul(name)) {
		*msg = "Username must be UTF-8 of at most 256 bytes";
		return KERR_UNACCEPTABLE_CREDENTIAL;
	}
	return KERR_NONE;
}

static int has_mech(void *ctx, const char *user, enum scram_mech m,
		    int32_t iterations)
{
	(void)user;
	(void)iterations;
	return m == *(const enum scram_mech *)ctx ? 1 : 0;
}

static int16_t check_deletion(
    struct alter *a,
    const struct
    kp_alter_user_scram_credentials_request_scram_credential_deletion *d,
    const char **msg)
{
	enum scram_mech m = (enum scram_mech)d->mechanism;
	int16_t err = check_name(d->name, d->mechanism, msg);
	int rc;

	if (err)
		return err;
	rc = credstore_foreach(a->cs, d->name.ptr, has_mech, &m);
	if (rc == 1)
		return KERR_NONE;
	*msg = rc ? "Error reading the SCRAM credential store"
		  : "Attempt to delete a user credential that does not exist";
	return rc ? KERR_UNKNOWN_SERVER_ERROR : KERR_RESOURCE_NOT_FOUND;
}

static int16_t check_upsertion(
    const struct
    kp_alter_user_scram_credentials_request_scram_credential_upsertion *u,
    const char **msg)
{
	int16_t err = check_name(u->name, u->mechanism, msg);

	if (err)
		return err;
	if (u->iterations < SCRAM_ITER_MIN) {
		*msg = "Too few iterations";
		return KERR_UNACCEPTABLE_CREDENTIAL;
	}
	if (u->iterations > SCRAM_ITER_MAX) {
		*msg = "Too many iterations";
		return KERR_UNACCEPTABLE_CREDENTIAL;
	}
	if (u->salted_password.len < 0 ||
	    (size_t)u->salted_password.len !=
		scram_mech_key_len(u->mechanism)) {
		*msg = "The salted password must be as long as the mechanism's "
		       "hash";
		return KERR_UNACCEPTABLE_CREDENTIAL;
	}
	if (u->salt.len <= 0 || u->salt.len > SCRAM_SALT_MAX) {
		*msg = "The salt must be 1 to 256 bytes";
		return KERR_UNACCEPTABLE_CREDENTIAL;
	}
	return KERR_NONE;
}

static void mark_duplicate(struct alt_user *u)
{
	u->kind = ALT_ERROR;
	u->error = KERR_DUPLICATE_RESOURCE;
	u->message =
	    "A user credential cannot be altered twice in the same request";
}

/* One entry: a user seen before with a change pending is a duplicate; a
 * user already in error keeps its first error. */
static void plan_one(struct alter *a, struct kp_str name, enum alt_kind kind,
		     int32_t index)
{
	struct alt_user *u = user_get(a, name);
	const char *msg = NULL;
	int16_t err;

	if (u->index >= 0 || u->error) {
		if (u->kind != ALT_ERROR)
			mark_duplicate(u);
		return;
	}
	u->index = index;
	u->want = kind;
	err = kind == ALT_DELETE
		  ? check_deletion(a, &a->q->deletions[index], &msg)
		  : check_upsertion(&a->q->upsertions[index], &msg);
	u->kind = err ? ALT_ERROR : kind;
	u->error = err;
	u->message = msg;
}

/* The accepted changes, one transaction. On failure they all fail. */
static void apply(struct alter *a)
{
	struct credstore_change *ch;
	struct scram_cred *creds;
	int32_t n = 0;
	int rc = 0;

	ch = arena_calloc(&a->r->arena, (size_t)a->count + 1, sizeof(*ch));
	creds =
	    arena_calloc(&a->r->arena, (size_t)a->count + 1, sizeof(*creds));
	if (!ch || !creds)
		rc = -ENOMEM;
	for (int32_t i = 0; !rc && i < a->count; i++) {
		struct alt_user *u = &a->all[i];
		if (u->kind == ALT_DELETE) {
			ch[n++] = (struct credstore_change){
			    u->name.ptr,
			    (enum scram_mech)a->q->deletions[u->index]
				.mechanism,
			    NULL};
		} else if (u->kind == ALT_UPSERT) {
			const struct
			    kp_alter_user_scram_credentials_request_scram_credential_upsertion
				*up = &a->q->upsertions[u->index];
			rc = scram_cred_from_salted(
			    up->mechanism, up->salted_password.ptr,
			    (size_t)up->salted_password.len, up->salt.ptr,
			    (size_t)up->salt.len, up->iterations, &creds[n]);
			ch[n] = (struct credstore_change){
			    u->name.ptr, (enum scram_mech)up->mechanism,
			    &creds[n]};
			n++;
		}
	}
	if (!rc && n)
		rc = credstore_apply(a->cs, ch, (size_t)n);
	for (int32_t i = 0; creds && i < n; i++)
		scram_cred_wipe(&creds[i]);
	if (!rc)
		return;
	for (int32_t i = 0; i < a->count; i++)
		if (a->all[i].kind != ALT_ERROR) {
			a->all[i].kind = ALT_ERROR;
			a->all[i].error = KERR_UNKNOWN_SERVER_ERROR;
			a->all[i].message =
			    "Cannot write the SCRAM credential store";
		}
}

static void audit_all(struct alter *a)
{
	struct audit_ctx c;

	if (!a->b->audit)
		return;
	api_audit_ctx(a->b, a->r, &c);
	for (int32_t i = 0; i < a->count; i++) {
		const struct alt_user *u = &a->all[i];
		int8_t m = u->want == ALT_DELETE
			       ? a->q->deletions[u->index].mechanism
			       : a->q->upsertions[u->index].mechanism;
		audit_user(a->b->audit, &c,
			   u->want == ALT_DELETE ? "delete" : "upsert",
			   u->name.ptr, scram_mech_name(m),
			   u->error ? kerr_name(u->error) : NULL);
	}
}

/* Deletions that succeeded, upsertions that succeeded, then the errors. */
static void results(struct alter *a,
		    struct kp_alter_user_scram_credentials_response *resp)
{
	static const enum alt_kind order[] = {ALT_DELETE, ALT_UPSERT,
					      ALT_ERROR};
	int32_t n = 0;

	resp->results = arena_calloc(&a->r->arena, (size_t)a->count + 1,
				     sizeof(*resp->results));
	if (!resp->results)
		return;
	for (int k = 0; k < 3; k++)
		for (int32_t i = 0; i < a->count; i++) {
			const struct alt_user *u = &a->all[i];
			if (u->kind != order[k])
				continue;
			kp_alter_user_scram_credentials_response_alter_user_scram_credentials_result_init(
			    &resp->results[n]);
			resp->results[n].user = u->name;
			resp->results[n].error_code = u->error;
			resp->results[n].error_message =
			    u->message ? kp_str_of(u->message) : KP_STR_NULL;
			n++;
		}
	resp->results_count = n;
}

static void plan_all(struct alter *a, bool allowed)
{
	for (int32_t i = 0; i < a->q->deletions_count; i++)
		plan_one(a, a->q->deletions[i].name, ALT_DELETE, i);
	for (int32_t i = 0; i < a->q->upsertions_count; i++)
		plan_one(a, a->q->upsertions[i].name, ALT_UPSERT, i);
	for (int32_t i = 0; !allowed && i < a->count; i++) {
		a->all[i].kind = ALT_ERROR;
		a->all[i].error = KERR_CLUSTER_AUTHORIZATION_FAILED;
		a->all[i].message = NULL;
	}
}

/* The salted passwords point into the request frame: wipe them. */
static void
wipe_request(const struct kp_alter_user_scram_credentials_request *q)
{
	for (int32_t i = 0; i < q->upsertions_count; i++)
		if (q->upsertions[i].salted_password.len > 0)
			OPENSSL_cleanse(
			    (void *)q->upsertions[i].salted_password.ptr,
			    (size_t)q->upsertions[i].salted_password.len);
}

int api_alter_user_scram_credentials(struct broker *b, struct req *r)
{
	struct kp_alter_user_scram_credentials_request req;
	struct kp_alter_user_scram_credentials_response resp;
	struct alter a = {.b = b, .r = r, .q = &req};
	int32_t total;

	kp_alter_user_scram_credentials_request_init(&req);
	if (!req_decoded(b, r,
			 kp_alter_user_scram_credentials_request_decode(
			     &r->rd, 0, &r->arena, &req))) {
		return 0;
	}
	kp_alter_user_scram_credentials_response_init(&resp);
	resp.results_count = 0;
	a.cs = b->auth ? b->auth->store : NULL;
	total = (req.deletions_count > 0 ? req.deletions_count : 0) +
		(req.upsertions_count > 0 ? req.upsertions_count : 0);
	a.all = arena_calloc(&r->arena, (size_t)total + 1, sizeof(*a.all));
	if (!a.all || hmap_init(&a.users)) {
		wipe_request(&req);
		return -ENOMEM;
	}
	if (a.cs) {
		plan_all(&a, api_authorized_cluster(b, r, ACL_OP_ALTER));
		apply(&a);
		audit_all(&a);
	}
	results(&a, &resp);
	hmap_fini(&a.users);
	wipe_request(&req);
	kp_alter_user_scram_credentials_response_encode(&r->w, 0, &resp);
	req_finish(b, r);
	return 0;
}
