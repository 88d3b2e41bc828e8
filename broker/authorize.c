/* authorize.c - the broker's side of the authorizer and the audit log:
 * configuration (Kafka's keys and our audit.* keys), the checks handlers
 * call, and the audit context of a request.
 *
 * Every check runs on the broker thread. Each session gets a decision
 * cache on its first check (auth/authz.h): a change to the ACLs bumps the
 * authorizer's version and every cache empties itself on its next use,
 * so a revocation applies to open connections at once. Denials are
 * written to the audit log with the rule that decided; the quiet variant
 * is for filtering lists (Metadata of all topics, ListGroups), where
 * Kafka does not log a denial either (logIfDenied=false).
 */
#include "broker/api/api.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/audit.h"
#include "auth/authz.h"
#include "base/log.h"

#define LOGC "kafka.authorizer.logger"

#define AUDIT_MAX_BYTES_DEFAULT (100ull << 20)
#define AUDIT_MAX_FILES_DEFAULT 5

/* --- configuration -------------------------------------------------------- */

static const char *prop(const struct broker_config *cfg, const char *key)
{
	return props_get(cfg->props, key);
}

int broker_authz_config(const struct broker_config *cfg,
			struct authz_config *out, char *err, size_t errlen)
{
	return authz_config_init(
	    out, prop(cfg, "authorizer.class.name"), prop(cfg, "super.users"),
	    prop(cfg, "allow.everyone.if.no.acl.found"), err, errlen);
}

static int audit_bool(const struct broker_config *cfg, const char *key,
		      bool def, bool *out, char *err, size_t errlen)
{
	const char *v = prop(cfg, key);

	*out = def;
	if (!v || config_bool_parse(v, out) == 0)
		return 0;
	snprintf(err, errlen,
		 "Invalid value %s for configuration %s: Expected value to be "
		 "either true or false",
		 v, key);
	return -EINVAL;
}

static int audit_long(const struct broker_config *cfg, const char *key,
		      int64_t def, int64_t *out, char *err, size_t errlen)
{
	const char *v = prop(cfg, key);

	*out = def;
	if (!v || (config_long_parse(v, out) == 0 && *out >= 0))
		return 0;
	snprintf(err, errlen,
		 "Invalid value %s for configuration %s: must be a number >= 0",
		 v, key);
	return -EINVAL;
}

/* audit.log.enable (default true), audit.log.path (default
 * <log dir>/audit.log), audit.log.max.bytes (100 MiB, 0 = no rotation),
 * audit.log.max.files (5), audit.log.authorization.allows (false). With
 * the log off, out->path is NULL. */
static int audit_settings(const struct broker_config *cfg,
			  struct audit_config *out, char *err, size_t errlen)
{
	int64_t max_bytes, max_files;
	const char *path = prop(cfg, "audit.log.path");
	char *p = NULL;
	bool on;

	memset(out, 0, sizeof(*out));
	if (audit_bool(cfg, "audit.log.enable", true, &on, err, errlen) ||
	    audit_bool(cfg, "audit.log.authorization.allows", false,
		       &out->log_allows, err, errlen) ||
	    audit_long(cfg, "audit.log.max.bytes", AUDIT_MAX_BYTES_DEFAULT,
		       &max_bytes, err, errlen) ||
	    audit_long(cfg, "audit.log.max.files", AUDIT_MAX_FILES_DEFAULT,
		       &max_files, err, errlen))
		return -EINVAL;
	if (path && !path[0]) {
		snprintf(err, errlen,
			 "Invalid value for configuration audit.log.path: must "
			 "not be empty (set audit.log.enable=false to turn the "
			 "audit log off)");
		return -EINVAL;
	}
	if (!on)
		return 0;
	if (path)
		p = strdup(path);
	else if (asprintf(&p, "%s/audit.log", cfg->log_dir) < 0)
		p = NULL;
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	out->path = p;
	out->max_bytes = (uint64_t)max_bytes;
	out->max_files = max_files > 1000 ? 1000 : (unsigned)max_files;
	return 0;
}

int broker_authz_check(const struct broker_config *cfg, char *err,
		       size_t errlen)
{
	struct authz_config ac;
	struct audit_config au;
	int rc = broker_authz_config(cfg, &ac, err, errlen);

	if (rc)
		return rc;
	authz_config_fini(&ac);
	rc = audit_settings(cfg, &au, err, errlen);
	free((char *)au.path);
	return rc;
}

static int audit_init(struct broker *b)
{
	struct audit_config ac;
	char err[512];
	int rc = audit_settings(b->cfg, &ac, err, sizeof(err));

	if (rc) {
		log_error(LOGC, "%s", err);
		return rc;
	}
	if (!ac.path)
		return 0;
	rc = audit_open(&ac, &b->audit);
	if (!rc)
		log_info(LOGC,
			 "Audit log: %s (rotated at %llu bytes, %u files kept)",
			 ac.path, (unsigned long long)ac.max_bytes,
			 ac.max_files);
	free((char *)ac.path);
	return rc;
}

int broker_authz_init(struct broker *b)
{
	struct authz_config ac;
	char err[512];
	int rc = broker_authz_config(b->cfg, &ac, err, sizeof(err));

	if (rc) {
		log_error(LOGC, "%s", err);
		return rc;
	}
	if (ac.enabled) {
		rc = authz_create(&ac, b->meta, &b->authz);
		if (rc)
			log_error(
			    LOGC,
			    "Cannot load the ACLs from the metadata store: %s",
			    strerror(-rc));
		else
			log_info(
			    LOGC,
			    "ACL authorizer enabled: %zu ACL bindings, %zu "
			    "super users, allow.everyone.if.no.acl.found=%s",
			    authz_count(b->authz), ac.super_count,
			    ac.allow_if_no_acl ? "true" : "false");
	}
	authz_config_fini(&ac);
	if (!rc)
		rc = audit_init(b);
	return rc;
}

void broker_authz_fini(struct broker *b)
{
	authz_destroy(b->authz);
	b->authz = NULL;
	audit_close(b->audit);
	b->audit = NULL;
}

void broker_authz_principal_changed(struct session *s)
{
	if (s->authz_cache)
		authz_cache_reset(s->authz_cache);
}

void broker_audit_authn(struct broker *b, const struct session *s,
			const char *mechanism, bool ok, const char *reason)
{
	struct audit_ctx c = {0};

	if (!b->audit)
		return;
	c.principal = ok ? s->principal : NULL;
	c.client = s->peer.addr;
	c.client_port = s->peer.port;
	if (s->listener_id >= 0 && s->listener_id < b->cfg->listener_count)
		c.listener = b->cfg->listeners[s->listener_id].name;
	audit_authn(b->audit, &c, mechanism, ok, reason);
}

/* --- checks --------------------------------------------------------------- */

void api_audit_ctx(const struct broker *b, const struct req *r,
		   struct audit_ctx *out)
{
	const struct session *s = r->sess;
	const struct kp_api_info *api = kp_api_find(r->hdr.request_api_key);

	memset(out, 0, sizeof(*out));
	out->principal = s->principal;
	out->client = s->peer.addr;
	out->client_port = s->peer.port;
	if (s->listener_id >= 0 && s->listener_id < b->cfg->listener_count)
		out->listener = b->cfg->listeners[s->listener_id].name;
	out->api = api ? api->name : NULL;
	out->client_id = r->hdr.client_id.ptr;
}

static struct authz_cache *session_cache(struct session *s)
{
	if (!s->authz_cache)
		s->authz_cache = authz_cache_create();
	return s->authz_cache; /* NULL: decide uncached */
}

static void audit_decision(struct broker *b, struct req *r,
			   const struct authz_subject *subj, enum acl_op op,
			   enum acl_rtype rtype, const char *name)
{
	struct authz_decision d;
	struct audit_ctx c;
	char rule[1024];

	authz_authorize(b->authz, NULL, subj, op, rtype, name, &d);
	authz_decision_format(rule, sizeof(rule), &d);
	api_audit_ctx(b, r, &c);
	audit_authz(b->audit, &c, op, rtype, name, d.allowed, rule);
	if (!d.allowed)
		log_debug(
		    LOGC,
		    "Principal = %s is Denied operation = %s from host = %s on "
		    "resource = %s:%s for request = %s based on rule %s",
		    r->sess->principal, acl_op_name(op), r->sess->peer.addr,
		    acl_rtype_pascal(rtype), name, c.api ? c.api : "?", rule);
}

static bool authorized(struct broker *b, struct req *r, enum acl_op op,
		       enum acl_rtype rtype, const char *name, bool log_denied)
{
	struct authz_subject subj;
	bool ok;

	if (!b->authz)
		return true;
	authz_subject_init(&subj, r->sess->principal, r->sess->peer.addr);
	ok = authz_authorize(b->authz, session_cache(r->sess), &subj, op, rtype,
			     name, NULL);
	if ((!ok && log_denied) || (ok && audit_wants_allows(b->audit)))
		audit_decision(b, r, &subj, op, rtype, name);
	return ok;
}

bool api_authorized(struct broker *b, struct req *r, enum acl_op op,
		    enum acl_rtype rtype, const char *name)
{
	return authorized(b, r, op, rtype, name, true);
}

bool api_authorized_quiet(struct broker *b, struct req *r, enum acl_op op,
			  enum acl_rtype rtype, const char *name)
{
	return authorized(b, r, op, rtype, name, false);
}

bool api_authorized_cluster(struct broker *b, struct req *r, enum acl_op op)
{
	return authorized(b, r, op, ACL_RT_CLUSTER, ACL_CLUSTER_NAME, true);
}

bool api_authorized_any(struct broker *b, struct req *r, enum acl_op op,
			enum acl_rtype rtype)
{
	struct authz_subject subj;

	if (!b->authz)
		return true;
	authz_subject_init(&subj, r->sess->principal, r->sess->peer.addr);
	return authz_authorize_any(b->authz, session_cache(r->sess), &subj, op,
				   rtype);
}

void api_audit_topic(struct broker *b, struct req *r, const char *action,
		     const char *topic, const char *detail, int16_t code)
{
	struct audit_ctx c;

	if (!b->audit)
		return;
	api_audit_ctx(b, r, &c);
	audit_topic(b->audit, &c, action, topic, detail,
		    code == KERR_NONE ? NULL : kerr_name(code));
}

void api_audit_config(struct broker *b, struct req *r, const char *type,
		      const char *name, const struct audit_kv *kvs,
		      size_t count, int16_t code)
{
	struct audit_ctx c;

	if (!b->audit)
		return;
	api_audit_ctx(b, r, &c);
	audit_config(b->audit, &c, type, name, kvs, count,
		     code == KERR_NONE ? NULL : kerr_name(code));
}

int16_t api_config_denied(struct broker *b, struct req *r, enum acl_op op,
			  int8_t resource_type, struct kp_str name)
{
	if (kp_str_has_nul(name))
		return KERR_INVALID_REQUEST;
	if (resource_type == 2) /* TOPIC */
		return api_authorized(b, r, op, ACL_RT_TOPIC, api_name(r, name))
			? KERR_NONE : KERR_TOPIC_AUTHORIZATION_FAILED;
	/* BROKER (4) and BROKER_LOGGER (8) are cluster resources. */
	return api_authorized_cluster(b, r, op)
		? KERR_NONE : KERR_CLUSTER_AUTHORIZATION_FAILED;
}

/* The operations each resource type supports (kafka-acls's table). */
static const enum acl_op ops_topic[] = {
	ACL_OP_READ, ACL_OP_WRITE, ACL_OP_CREATE, ACL_OP_DELETE, ACL_OP_ALTER,
	ACL_OP_DESCRIBE, ACL_OP_DESCRIBE_CONFIGS, ACL_OP_ALTER_CONFIGS,
};
static const enum acl_op ops_group[] = {
	ACL_OP_READ, ACL_OP_DESCRIBE, ACL_OP_DELETE, ACL_OP_DESCRIBE_CONFIGS,
	ACL_OP_ALTER_CONFIGS,
};
static const enum acl_op ops_cluster[] = {
	ACL_OP_CREATE, ACL_OP_ALTER, ACL_OP_DESCRIBE, ACL_OP_CLUSTER_ACTION,
	ACL_OP_DESCRIBE_CONFIGS, ACL_OP_ALTER_CONFIGS, ACL_OP_IDEMPOTENT_WRITE,
};

int32_t api_authorized_ops(struct broker *b, struct req *r,
			   enum acl_rtype rtype, const char *name)
{
	const enum acl_op *ops = rtype == ACL_RT_TOPIC ? ops_topic
		: rtype == ACL_RT_GROUP ? ops_group : ops_cluster;
	size_t n = rtype == ACL_RT_TOPIC ? sizeof(ops_topic) / sizeof(*ops)
		: rtype == ACL_RT_GROUP ? sizeof(ops_group) / sizeof(*ops)
		: sizeof(ops_cluster) / sizeof(*ops);
	int32_t bits = 0;

	for (size_t i = 0; i < n; i++)
		if (authorized(b, r, ops[i], rtype, name, false))
			bits |= (int32_t)1 << ops[i];
	return bits;
}

bool api_acl_str(struct kp_str s, const char **out)
{
	*out = s.ptr;
	return !s.ptr || !kp_str_has_nul(s);
}
