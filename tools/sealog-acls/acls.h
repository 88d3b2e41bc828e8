/* acls.h - internal to sealog-acls: options, the ACL sets they describe,
 * and the two backends (a running broker over the Kafka protocol, or a
 * stopped broker's data directory).
 *
 * The command follows Kafka 3.x's kafka.admin.AclCommand: the same
 * options, the same validation order and messages (printed with the usage
 * to stderr, exit 1), the same output on stdout, and runtime failures as
 * "Error while executing ACL command: <exception>: <message>" (exit 1).
 */
#ifndef SEALOG_TOOLS_ACLS_H
#define SEALOG_TOOLS_ACLS_H

#include <stdbool.h>
#include <stddef.h>

#include "auth/acl.h"
#include "base/arena.h"
#include "tools/sealog-acls/kclient.h"

enum acls_opt {
	OPT_BOOTSTRAP_SERVER,
	OPT_BOOTSTRAP_CONTROLLER,
	OPT_COMMAND_CONFIG,
	OPT_AUTHORIZER,
	OPT_AUTHORIZER_PROPERTIES,
	OPT_ZK_TLS_CONFIG_FILE,
	OPT_TOPIC,
	OPT_CLUSTER,
	OPT_GROUP,
	OPT_TRANSACTIONAL_ID,
	OPT_IDEMPOTENT,
	OPT_DELEGATION_TOKEN,
	OPT_USER_PRINCIPAL,
	OPT_RESOURCE_PATTERN_TYPE,
	OPT_ADD,
	OPT_REMOVE,
	OPT_LIST,
	OPT_OPERATION,
	OPT_ALLOW_PRINCIPAL,
	OPT_DENY_PRINCIPAL,
	OPT_PRINCIPAL,
	OPT_ALLOW_HOST,
	OPT_DENY_HOST,
	OPT_PRODUCER,
	OPT_CONSUMER,
	OPT_FORCE,
	OPT_HELP,
	OPT_VERSION,
	/* ours */
	OPT_DATA_DIR,
	OPT_EXPLAIN,
	OPT_HOST,
	OPT_SUPER_USERS,
	OPT_ALLOW_EVERYONE,
	OPT_BROKER_CONFIG,
	OPT_COUNT
};

struct acls_opts {
	bool has[OPT_COUNT];
	const char **val[OPT_COUNT]; /* values in order (pointers into argv) */
	size_t count[OPT_COUNT];
	int argc;
};

/* Parse argv; 0, or -EINVAL / -ENOMEM after printing joptsimple's
 * message and the usage (then o holds nothing to free). */
int acls_opts_parse(struct acls_opts *o, int argc, char **argv);
void acls_opts_fini(struct acls_opts *o);
/* The usage (option table) to stderr, after message (may be NULL). */
void acls_usage(const char *message);
/* Kafka's checkArgs (and ours for --data-dir, --explain): 0, or -EINVAL
 * after printing the message and the usage. */
int acls_opts_check(const struct acls_opts *o);
/* The last value of a single-valued option, or def. */
const char *acls_opt(const struct acls_opts *o, enum acls_opt id,
		     const char *def);

/* --- the ACL sets the options describe ------------------------------------ */

struct acls_entry {
	const char *principal, *host;
	enum acl_op op;
	enum acl_perm perm;
};

/* A resource pattern (filter) and its entries. */
struct acls_res {
	struct acl_filter f; /* rtype, ptype, name; entry fields ANY */
	struct acls_entry *e;
	size_t ne;
};

struct acls_set {
	struct acls_res *r;
	size_t nr;
};

/* A runtime failure (before or while talking to the broker). */
struct acls_fail {
	const char *exception; /* NULL: the message is the whole text */
	char msg[1024];
};

/* getResourceFilter(): the resource filters of the options; dies with
 * the usage when none and die_if_none. Returns 0, -EINVAL (usage printed)
 * or -EBADMSG (fail filled: bad --resource-pattern-type). */
int acls_filters(const struct acls_opts *o, struct arena *a, bool die_if_none,
		 struct acls_set *out, struct acls_fail *fail);
/* getResourceFilterToAcls() / getResourceToAcls(for_add): resources with
 * their entries (--producer / --consumer expanded), operations validated.
 * 0, -EINVAL (usage printed) or -EBADMSG (fail filled). */
int acls_resource_acls(const struct acls_opts *o, struct arena *a, bool for_add,
		       struct acls_set *out, struct acls_fail *fail);
/* SecurityUtils.parseKafkaPrincipal(): "Type:name", split at the first
 * ':'. 0 or -EBADMSG with fail filled. */
int acls_principal_check(const char *s, struct acls_fail *fail);

/* --- backends ------------------------------------------------------------- */

struct acls_list {
	struct acl_binding *b;
	size_t n, cap;
};

struct acls_backend {
	void *ctx;
	/* Every binding matching f, appended to out (strings in a). */
	int (*describe)(void *ctx, const struct acl_filter *f, struct arena *a,
			struct acls_list *out, struct acls_fail *fail);
	/* All or nothing, as Admin.createAcls(...).all().get(). */
	int (*create)(void *ctx, const struct acl_binding *b, size_t n,
		      struct acls_fail *fail);
	int (*remove)(void *ctx, const struct acl_filter *f, size_t n,
		      struct acls_fail *fail);
	void (*close)(void *ctx);
};

/* A running broker (--bootstrap-server, --command-config). */
int acls_online_open(const struct acls_opts *o, struct acls_backend *be,
		     struct acls_fail *fail);
/* A stopped broker's data directory (--data-dir); create_dir for --add. */
int acls_offline_open(const struct acls_opts *o, bool create_dir,
		      struct acls_backend *be, struct acls_fail *fail);

/* Append a copy of b (strings into a) to l. 0 or -ENOMEM. */
int acls_list_add(struct acls_list *l, struct arena *a,
		  const struct acl_binding *b);
void acls_list_fini(struct acls_list *l);

/* --- explain -------------------------------------------------------------- */

/* --explain: 0 allowed, 3 denied, 1 error (printed). */
int acls_explain(const struct acls_opts *o, struct acls_backend *be,
		 struct arena *a);

#endif
