/* audit.h - the audit log: one JSON object per line, size-based rotation.
 *
 * Records (field "event"):
 *   authentication  SASL/TLS success or failure (mechanism, reason)
 *   authorization   a denial (and, with log_allows, every allow): the
 *                   operation, the resource and the rule that decided
 *   acl             a binding created or deleted
 *   user            a SCRAM credential created, changed or deleted
 *   topic           a topic created or deleted, partitions added, records
 *                   deleted
 *   config          topic or broker configs changed (name, op, value)
 * Every record has "time" (UTC, ms), "event", "result" ("SUCCESS", an
 * error name such as "CLUSTER_AUTHORIZATION_FAILED", or for authorization
 * "ALLOWED"/"DENIED") and the context: principal, client (address:port),
 * listener, api, client_id -- whatever the caller knows (NULL fields are
 * left out). Strings are escaped as JSON; bytes that are not UTF-8 become
 * U+FFFD, so every line is valid JSON whatever a peer sent.
 *
 * Never secrets: no function takes a password, token or key material.
 * Config values whose key names a secret (password, secret, ".key",
 * jaas.config, credentials -- and any the caller flags) are written as
 * "****".
 *
 * Rotation: before a line would take the file past max_bytes, path is
 * renamed to path.1 (path.1 to path.2 ... keeping max_files) and a new
 * file is started; max_files 0 truncates instead. Files are 0600. Lines
 * are written with one write(2) on an O_APPEND descriptor and not synced
 * (the log is for people, not for recovery). A failed write is logged
 * (at most once a minute) and dropped; it never fails the request.
 *
 * Thread: any; calls are serialised inside.
 */
#ifndef SEALOG_AUTH_AUDIT_H
#define SEALOG_AUTH_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/acl.h"

struct audit;

struct audit_config {
	const char *path;   /* the log file; NULL or "" = no audit log */
	uint64_t max_bytes; /* rotate before passing it; 0 = never */
	unsigned max_files; /* rotated files kept (path.1 .. path.N) */
	bool log_allows;    /* authorization allows too, not only denials */
};

/* Open (create, 0600) cfg->path for appending. With no path *out is
 * NULL and every audit_* call below is a no-op. 0 or -errno (logged,
 * naming the file). */
int audit_open(const struct audit_config *cfg, struct audit **out);
void audit_close(struct audit *a);

/* Who and where; any field may be NULL / 0. */
struct audit_ctx {
	const char *principal; /* "User:alice"; NULL before authentication */
	const char *client;    /* client address text */
	uint16_t client_port;
	const char *listener; /* "PLAINTEXT", "SASL_SSL", ... */
	const char *api;      /* "CreateAcls", ...; NULL for authentication */
	const char *client_id;
};

/* Authentication: ok, with the mechanism ("PLAIN", "SCRAM-SHA-256",
 * "SSL") and, on failure, a reason that must not contain secrets. */
void audit_authn(struct audit *a, const struct audit_ctx *c,
		 const char *mechanism, bool ok, const char *reason);

/* Authorization of op on (rtype, name); rule says what decided (the
 * binding, "super user", ...). Allows are written only when log_allows. */
void audit_authz(struct audit *a, const struct audit_ctx *c, enum acl_op op,
		 enum acl_rtype rtype, const char *name, bool allowed,
		 const char *rule);
/* Does a want allows? (lets callers skip building the rule text). */
bool audit_wants_allows(const struct audit *a);

/* A binding created ("create") or deleted ("delete"); result NULL =
 * SUCCESS, else the error name. */
void audit_acl(struct audit *a, const struct audit_ctx *c, const char *action,
	       const struct acl_binding *b, const char *result);

/* A SCRAM credential: action "upsert" or "delete". */
void audit_user(struct audit *a, const struct audit_ctx *c, const char *action,
		const char *user, const char *mechanism, const char *result);

/* A topic: action "create", "delete", "create_partitions",
 * "delete_records"; detail (may be NULL) e.g. "partitions=3". */
void audit_topic(struct audit *a, const struct audit_ctx *c, const char *action,
		 const char *topic, const char *detail, const char *result);

/* One changed config; op "set", "delete", "append", "subtract";
 * value NULL for delete. */
struct audit_kv {
	const char *name;
	const char *op;
	const char *value;
	bool sensitive; /* write "****" whatever the name */
};

/* Configs of a resource ("topic" or "broker", its name) changed. */
void audit_config(struct audit *a, const struct audit_ctx *c,
		  const char *resource_type, const char *resource_name,
		  const struct audit_kv *kvs, size_t count, const char *result);

/* Would a value of config name be written as "****"? */
bool audit_config_is_secret(const char *name);

#endif
