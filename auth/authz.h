/* authz.h - the ACL authorizer: Kafka's StandardAuthorizer semantics over
 * bindings kept in memory (indexed for fast decisions) and in the LMDB
 * metadata store (acl_store.h).
 *
 * Decision (StandardAuthorizerData.authorize), for principal P at host H
 * asking for operation O on resource (type T, name N):
 *   1. P is a super user (super.users, exact "Type:name") -> ALLOWED;
 *   2. the bindings on patterns that match (T, N) are LITERAL N, LITERAL
 *      "*" and every PREFIXED prefix of N; of those, the ones for P or
 *      User:*, whose host matches H (acl.h: "*", address, CIDR) and whose
 *      operation covers O (acl_op_covers: ALL, implied DESCRIBE and
 *      DESCRIBE_CONFIGS for ALLOW only) decide: any DENY -> DENIED, else
 *      any ALLOW -> ALLOWED;
 *   3. no binding on a matching pattern at all (for anyone) -> ALLOWED if
 *      allow.everyone.if.no.acl.found, else DENIED; bindings on the
 *      resource but none for P/H/O -> DENIED.
 *
 * Changes (create/delete) are one LMDB write transaction each and take
 * effect for every later decision at once: each change increments the
 * version, and a per-connection cache (struct authz_cache) keyed by that
 * version empties itself when it sees a newer one.
 *
 * Thread: an authz and its caches belong to one thread (the broker
 * thread; the tools' main thread). Pointers into an authz (decision
 * bindings, visited bindings) stay valid until its next change.
 */
#ifndef SEALOG_AUTH_AUTHZ_H
#define SEALOG_AUTH_AUTHZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/acl.h"

struct arena;
struct meta;
struct authz_cache;

/* --- configuration -------------------------------------------------------- */

struct authz_config {
	bool enabled; /* authorizer.class.name names Kafka's authorizer */
	bool allow_if_no_acl; /* allow.everyone.if.no.acl.found */
	char **super_users;   /* "User:admin", ... (malloc'd) */
	size_t super_count;
};

/* Kafka's authorizer keys (values as given, NULL = unset):
 * authorizer.class.name empty/unset = no authorizer; StandardAuthorizer,
 * AclAuthorizer or SimpleAclAuthorizer (full class names) = ours; any
 * other value is an error. super.users is split on ';', entries trimmed,
 * empty ones skipped, each must be Type:name. allow.everyone.if.no.acl.
 * found is true/false (any case, trimmed). 0, -ENOMEM, or -EINVAL with err
 * naming the key ("Invalid value x for configuration super.users: ...").
 * On failure c holds nothing to free. */
int authz_config_init(struct authz_config *c, const char *class_name,
		      const char *super_users, const char *allow_everyone,
		      char *err, size_t errlen);
void authz_config_fini(struct authz_config *c);
/* Deep copy of src into dst: 0, or -ENOMEM (then authz_config_fini(dst)
 * frees what was copied). */
int authz_config_copy(struct authz_config *dst, const struct authz_config *src);

/* --- lifecycle ------------------------------------------------------------ */

struct authz;

/* An authorizer with cfg's settings (copied). With m, the bindings are
 * loaded from m and every change is written to it; with m NULL it lives
 * in memory only (tests, explain over fetched bindings). 0, -ENOMEM, or
 * acl_store_load()'s errors (a corrupt store fails: logged). */
int authz_create(const struct authz_config *cfg, struct meta *m,
		 struct authz **out);
void authz_destroy(struct authz *z);

/* Incremented by every change (starts at 1). */
uint64_t authz_version(const struct authz *z);
/* Number of bindings. */
size_t authz_count(const struct authz *z);

/* --- decisions ------------------------------------------------------------ */

/* Who asks: principal "Type:name" and client address text. The strings
 * must outlive the subject. */
struct authz_subject {
	const char *principal;
	const char *host;
	struct acl_addr addr;
};
void authz_subject_init(struct authz_subject *s, const char *principal,
			const char *host);

enum authz_rule {
	AUTHZ_RULE_SUPER_USER,	  /* principal is in super.users */
	AUTHZ_RULE_ACL,		  /* the binding in decision.binding */
	AUTHZ_RULE_DEFAULT_ALLOW, /* no binding on the resource, allow.everyone
				   */
	AUTHZ_RULE_DEFAULT_DENY,  /* no binding on the resource */
	AUTHZ_RULE_NO_MATCH,	  /* bindings on it, none for this request */
};

struct authz_decision {
	bool allowed;
	enum authz_rule rule;
	uint64_t id;		    /* AUTHZ_RULE_ACL: the binding's id */
	struct acl_binding binding; /* AUTHZ_RULE_ACL: owned by z */
};

/* Authorize op on (rtype, name). c (may be NULL) caches results per
 * connection; d (may be NULL) receives why -- asking for it bypasses the
 * cache. Returns d->allowed. */
bool authz_authorize(struct authz *z, struct authz_cache *c,
		     const struct authz_subject *s, enum acl_op op,
		     enum acl_rtype rtype, const char *name,
		     struct authz_decision *d);

/* Authorizer.authorizeByResourceType(): may s do op on SOME resource of
 * rtype? (KIP-679: InitProducerId asks for WRITE on any topic.) ALLOWED
 * when a LITERAL "hardcode" resource would be allowed (super user, or no
 * binding there and allow.everyone), or an ALLOW binding for s exists
 * that no DENY binding for s dominates (a wildcard DENY, the same
 * LITERAL name, or a PREFIXED prefix of its name). c may be NULL. */
bool authz_authorize_any(struct authz *z, struct authz_cache *c,
			 const struct authz_subject *s, enum acl_op op,
			 enum acl_rtype rtype);

/* Text for logs and sealog-acls --explain: "super user", the binding as
 * acl_binding_format() prints it, ... (snprintf semantics). */
int authz_decision_format(char *out, size_t cap,
			  const struct authz_decision *d);

/* --- the per-connection decision cache ------------------------------------ */

struct authz_cache;

/* NULL when out of memory (callers then decide without a cache). */
struct authz_cache *authz_cache_create(void);
void authz_cache_destroy(struct authz_cache *c);
/* Forget everything (call when the connection's principal changes). */
void authz_cache_reset(struct authz_cache *c);

/* --- changes -------------------------------------------------------------- */

/* Kafka's limit on the records of one change (AclControlManager's
 * MAX_RECORDS_PER_USER_OP): at most this many bindings created, or
 * deleted, by one call. */
#define AUTHZ_BATCH_MAX 10000

struct authz_create_result {
	int rc;	       /* 0 created or already there; -EINVAL; store error */
	bool created;  /* false: an identical binding existed */
	char msg[256]; /* when rc == -EINVAL: Kafka's message */
};

/* Create count bindings (AclControlManager.createAcls): each is checked
 * (acl_binding_check), identical ones are not stored twice, and the new
 * ones are stored in one transaction. Returns 0, -E2BIG (more than
 * AUTHZ_BATCH_MAX bindings: nothing created, every rc -E2BIG with Kafka's
 * message), -ENOMEM or the store's -errno (then nothing was created and
 * every valid binding's rc is that error); per-binding outcomes in
 * res[i]. */
int authz_acls_create(struct authz *z, const struct acl_binding *b,
		      size_t count, struct authz_create_result *res);

struct authz_delete_result {
	int rc;			  /* 0 or -EINVAL (bad filter) */
	const char *msg;	  /* when -EINVAL (static) */
	struct acl_binding *acls; /* the deleted bindings (arena copies) */
	bool *first;		  /* acls[i] not listed by an earlier filter */
	size_t count;
};

/* Delete every binding matching any of count filters (AclControlManager.
 * deleteAcls): res[i] lists what filters[i] matched (a binding matched by
 * two filters is listed by both), all of it deleted in one transaction.
 * Copies come from a. Returns 0, -E2BIG (more than AUTHZ_BATCH_MAX
 * bindings would go), -ENOMEM, or the store's -errno; on any error
 * nothing was deleted. */
int authz_acls_delete(struct authz *z, const struct acl_filter *filters,
		      size_t count, struct arena *a,
		      struct authz_delete_result *res);

/* Visit every binding matching f (NULL = all), grouped by resource pattern
 * in the order the patterns were created, bindings in creation order.
 * fn's non-zero return stops the walk and is returned. */
typedef int (*authz_visit_fn)(void *ctx, uint64_t id,
			      const struct acl_binding *b);
int authz_acls_visit(const struct authz *z, const struct acl_filter *f,
		     authz_visit_fn fn, void *ctx);

#endif
