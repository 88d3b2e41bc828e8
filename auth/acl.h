/* acl.h - Kafka's ACL model: resource patterns, entries, bindings and
 * binding filters, with Kafka's codes, names, validation and matching.
 *
 * A binding is "principal P is ALLOWed/DENYed operation O from host H on
 * every resource matching pattern (resource type, name, pattern type)"
 * (KIP-11, KIP-290). The enum values are Kafka's wire codes (the byte in
 * CreateAcls / DescribeAcls / DeleteAcls), so a decoded int8 converts
 * with the acl_*_from_code() functions, which map codes Kafka does not
 * know to UNKNOWN as Kafka's fromCode() does.
 *
 * Hosts: Kafka compares a binding's host with the client's IP address as
 * text ("*" matches every host). We compare IP literals as addresses
 * (so "::1" and "0:0:0:0:0:0:0:1" are the same host, and an IPv4-mapped
 * IPv6 peer matches its IPv4 binding) and, beyond Kafka, accept CIDR
 * ranges ("10.0.0.0/8", "fd00::/8"). Any other string matches only a
 * client whose address text is exactly that string (in practice never,
 * like a hostname in Kafka).
 *
 * Strings are NUL-terminated; the caller keeps them alive. Nothing here
 * allocates or keeps state. Thread: any.
 */
#ifndef SEALOG_AUTH_ACL_H
#define SEALOG_AUTH_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum acl_rtype {
	ACL_RT_UNKNOWN = 0,
	ACL_RT_ANY = 1,
	ACL_RT_TOPIC = 2,
	ACL_RT_GROUP = 3,
	ACL_RT_CLUSTER = 4,
	ACL_RT_TRANSACTIONAL_ID = 5,
	ACL_RT_DELEGATION_TOKEN = 6,
	ACL_RT_USER = 7,
};

enum acl_ptype {
	ACL_PT_UNKNOWN = 0,
	ACL_PT_ANY = 1,	  /* filters only: any pattern type, exact name */
	ACL_PT_MATCH = 2, /* filters only: every pattern affecting the name */
	ACL_PT_LITERAL = 3,
	ACL_PT_PREFIXED = 4,
};

enum acl_op {
	ACL_OP_UNKNOWN = 0,
	ACL_OP_ANY = 1, /* filters only */
	ACL_OP_ALL = 2,
	ACL_OP_READ = 3,
	ACL_OP_WRITE = 4,
	ACL_OP_CREATE = 5,
	ACL_OP_DELETE = 6,
	ACL_OP_ALTER = 7,
	ACL_OP_DESCRIBE = 8,
	ACL_OP_CLUSTER_ACTION = 9,
	ACL_OP_DESCRIBE_CONFIGS = 10,
	ACL_OP_ALTER_CONFIGS = 11,
	ACL_OP_IDEMPOTENT_WRITE = 12,
	ACL_OP_CREATE_TOKENS = 13,
	ACL_OP_DESCRIBE_TOKENS = 14,
};
#define ACL_OP_COUNT 15

enum acl_perm {
	ACL_PERM_UNKNOWN = 0,
	ACL_PERM_ANY = 1, /* filters only */
	ACL_PERM_DENY = 2,
	ACL_PERM_ALLOW = 3,
};

#define ACL_WILDCARD "*"		/* literal resource name, host */
#define ACL_WILDCARD_PRINCIPAL "User:*" /* every principal of type User */
#define ACL_CLUSTER_NAME "kafka-cluster"

/* One binding. All four strings are required (non-NULL). */
struct acl_binding {
	enum acl_rtype rtype;
	enum acl_ptype ptype;
	const char *name;
	const char *principal; /* "Type:name", e.g. "User:alice" */
	const char *host;      /* "*", an IP address, or a CIDR range */
	enum acl_op op;
	enum acl_perm perm;
};

/* A filter: a NULL string matches any value; ANY enums match any value;
 * ptype MATCH matches every pattern that affects name (see
 * acl_filter_matches). */
struct acl_filter {
	enum acl_rtype rtype;
	enum acl_ptype ptype;
	const char *name;
	const char *principal;
	const char *host;
	enum acl_op op;
	enum acl_perm perm;
};

/* The filter that matches everything (AclBindingFilter.ANY). */
void acl_filter_any(struct acl_filter *f);

/* --- codes and names ------------------------------------------------------ */

/* Kafka's fromCode(): a code outside the enum is UNKNOWN. */
enum acl_rtype acl_rtype_from_code(int code);
enum acl_ptype acl_ptype_from_code(int code);
enum acl_op acl_op_from_code(int code);
enum acl_perm acl_perm_from_code(int code);

/* Java enum names, as toString() prints them: "TOPIC", "PREFIXED",
 * "IDEMPOTENT_WRITE", "ALLOW". Never NULL. */
const char *acl_rtype_name(enum acl_rtype t);
const char *acl_ptype_name(enum acl_ptype t);
const char *acl_op_name(enum acl_op op);
const char *acl_perm_name(enum acl_perm p);
/* PascalCase names (SecurityUtils.operationName / resourceTypeName):
 * "IdempotentWrite", "TransactionalId". Never NULL. */
const char *acl_op_pascal(enum acl_op op);
const char *acl_rtype_pascal(enum acl_rtype t);

/* SecurityUtils.operation(): the PascalCase name, or that name in any
 * case, without underscores ("IdempotentWrite", "IDEMPOTENTWRITE");
 * anything else (including "IDEMPOTENT_WRITE") is UNKNOWN. Same rule for
 * resource types ("Topic", "TransactionalId"). */
enum acl_op acl_op_parse(const char *s);
enum acl_rtype acl_rtype_parse(const char *s);
/* PatternType by enum name, any case ("literal", "Prefixed"); UNKNOWN
 * when no name matches. */
enum acl_ptype acl_ptype_parse(const char *s);

/* Operations kafka-acls accepts on a resource type (AclEntry.
 * supportedOperations), without ALL: fills ops (ACL_OP_COUNT entries
 * suffice) in a fixed order and returns the count. */
size_t acl_rtype_valid_ops(enum acl_rtype t, enum acl_op *ops);

/* --- validation and matching ---------------------------------------------- */

/* Kafka's checks on a binding to create (AclControlManager.validateNewAcl
 * and AclApis): resource type, pattern type LITERAL or PREFIXED, operation
 * and permission known and not ANY, a non-empty name, CLUSTER named
 * kafka-cluster, a principal with a ':' -- plus ours: a host with a '/'
 * must be a valid CIDR range. 0, or -EINVAL with Kafka's message in msg
 * (cap bytes, truncated). */
int acl_binding_check(const struct acl_binding *b, char *msg, size_t cap);

/* A filter with an UNKNOWN element (AclBindingFilter.isUnknown): 0 or
 * -EINVAL with *msg ("Unknown patternFilter." / "Unknown entryFilter."). */
int acl_filter_check(const struct acl_filter *f, const char **msg);

/* AclBindingFilter.matches(binding): ResourcePatternFilter.matches (MATCH:
 * a LITERAL pattern equal to the name or "*", or a PREFIXED pattern the
 * name starts with; ANY or the same pattern type: the exact name) and
 * AccessControlEntryFilter.matches (exact strings, ANY enums). */
bool acl_filter_matches(const struct acl_filter *f,
			const struct acl_binding *b);

/* Does an ALLOW (or DENY) binding for acl_op cover a request for op?
 * ALL covers everything; ALLOW of READ, WRITE, DELETE or ALTER covers
 * DESCRIBE; ALLOW of ALTER_CONFIGS covers DESCRIBE_CONFIGS; DENY covers
 * only its own operation (StandardAuthorizerData.findResult). */
bool acl_op_covers(enum acl_perm perm, enum acl_op acl_op, enum acl_op op);

/* Two bindings are the same binding (every field equal). */
bool acl_binding_equal(const struct acl_binding *a,
		       const struct acl_binding *b);

/* --- hosts ---------------------------------------------------------------- */

/* A client address; family 0 when the text is not an IP address. */
struct acl_addr {
	int family; /* 0, 4 or 6 */
	uint8_t b[16];
};

/* Parse an IPv4 or IPv6 literal (no brackets, no zone). An IPv4-mapped
 * IPv6 address becomes IPv4. Never fails: family 0 if not an address. */
void acl_addr_parse(const char *s, struct acl_addr *out);

enum acl_host_kind {
	ACL_HOST_ANY,
	ACL_HOST_ADDR,
	ACL_HOST_CIDR,
	ACL_HOST_TEXT
};

/* A binding's host, pre-parsed for matching. */
struct acl_host {
	enum acl_host_kind kind;
	struct acl_addr addr;
	int bits; /* CIDR prefix length */
};

/* 0, or -EINVAL for a string with a '/' that is not a CIDR range
 * (address/bits with bits within the family's width). */
int acl_host_parse(const char *s, struct acl_host *out);

/* Does binding host h (text htext) match a client at peer (text ptext)? */
bool acl_host_matches(const struct acl_host *h, const char *htext,
		      const struct acl_addr *peer, const char *ptext);

/* --- Kafka's toString() --------------------------------------------------- */

/* These write like snprintf (NUL-terminated, truncated to cap) and return
 * the length the full text needs. name NULL prints "<any>". */
/* ResourcePattern(resourceType=TOPIC, name=orders, patternType=LITERAL) */
int acl_pattern_format(char *out, size_t cap, enum acl_rtype rtype,
		       const char *name, enum acl_ptype ptype);
/* (principal=User:alice, host=*, operation=READ, permissionType=ALLOW) */
int acl_entry_format(char *out, size_t cap, const char *principal,
		     const char *host, enum acl_op op, enum acl_perm perm);
/* (pattern=<pattern>, entry=<entry>) as AclBinding.toString() */
int acl_binding_format(char *out, size_t cap, const struct acl_binding *b);

#endif
