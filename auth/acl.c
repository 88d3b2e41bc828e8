/* acl.c - Kafka's ACL model (see acl.h): names, checks, matching. */
#include "auth/acl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct acl_name {
	const char *java;   /* enum name */
	const char *pascal; /* SecurityUtils' name */
};

static const struct acl_name rtype_names[] = {
    [ACL_RT_UNKNOWN] = {"UNKNOWN", "Unknown"},
    [ACL_RT_ANY] = {"ANY", "Any"},
    [ACL_RT_TOPIC] = {"TOPIC", "Topic"},
    [ACL_RT_GROUP] = {"GROUP", "Group"},
    [ACL_RT_CLUSTER] = {"CLUSTER", "Cluster"},
    [ACL_RT_TRANSACTIONAL_ID] = {"TRANSACTIONAL_ID", "TransactionalId"},
    [ACL_RT_DELEGATION_TOKEN] = {"DELEGATION_TOKEN", "DelegationToken"},
    [ACL_RT_USER] = {"USER", "User"},
};

static const char *const ptype_names[] = {
    [ACL_PT_UNKNOWN] = "UNKNOWN",   [ACL_PT_ANY] = "ANY",
    [ACL_PT_MATCH] = "MATCH",	    [ACL_PT_LITERAL] = "LITERAL",
    [ACL_PT_PREFIXED] = "PREFIXED",
};

static const struct acl_name op_names[ACL_OP_COUNT] = {
    [ACL_OP_UNKNOWN] = {"UNKNOWN", "Unknown"},
    [ACL_OP_ANY] = {"ANY", "Any"},
    [ACL_OP_ALL] = {"ALL", "All"},
    [ACL_OP_READ] = {"READ", "Read"},
    [ACL_OP_WRITE] = {"WRITE", "Write"},
    [ACL_OP_CREATE] = {"CREATE", "Create"},
    [ACL_OP_DELETE] = {"DELETE", "Delete"},
    [ACL_OP_ALTER] = {"ALTER", "Alter"},
    [ACL_OP_DESCRIBE] = {"DESCRIBE", "Describe"},
    [ACL_OP_CLUSTER_ACTION] = {"CLUSTER_ACTION", "ClusterAction"},
    [ACL_OP_DESCRIBE_CONFIGS] = {"DESCRIBE_CONFIGS", "DescribeConfigs"},
    [ACL_OP_ALTER_CONFIGS] = {"ALTER_CONFIGS", "AlterConfigs"},
    [ACL_OP_IDEMPOTENT_WRITE] = {"IDEMPOTENT_WRITE", "IdempotentWrite"},
    [ACL_OP_CREATE_TOKENS] = {"CREATE_TOKENS", "CreateTokens"},
    [ACL_OP_DESCRIBE_TOKENS] = {"DESCRIBE_TOKENS", "DescribeTokens"},
};

static const char *const perm_names[] = {
    [ACL_PERM_UNKNOWN] = "UNKNOWN",
    [ACL_PERM_ANY] = "ANY",
    [ACL_PERM_DENY] = "DENY",
    [ACL_PERM_ALLOW] = "ALLOW",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

void acl_filter_any(struct acl_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->rtype = ACL_RT_ANY;
	f->ptype = ACL_PT_ANY;
	f->op = ACL_OP_ANY;
	f->perm = ACL_PERM_ANY;
}

/* --- codes and names ------------------------------------------------------ */

enum acl_rtype acl_rtype_from_code(int code)
{
	return code > 0 && code < (int)NELEM(rtype_names) ? (enum acl_rtype)code
							  : ACL_RT_UNKNOWN;
}

enum acl_ptype acl_ptype_from_code(int code)
{
	return code > 0 && code < (int)NELEM(ptype_names) ? (enum acl_ptype)code
							  : ACL_PT_UNKNOWN;
}

enum acl_op acl_op_from_code(int code)
{
	return code > 0 && code < ACL_OP_COUNT ? (enum acl_op)code
					       : ACL_OP_UNKNOWN;
}

enum acl_perm acl_perm_from_code(int code)
{
	return code > 0 && code < (int)NELEM(perm_names) ? (enum acl_perm)code
							 : ACL_PERM_UNKNOWN;
}

const char *acl_rtype_name(enum acl_rtype t)
{
	return rtype_names[acl_rtype_from_code(t)].java;
}

const char *acl_rtype_pascal(enum acl_rtype t)
{
	return rtype_names[acl_rtype_from_code(t)].pascal;
}

const char *acl_ptype_name(enum acl_ptype t)
{
	return ptype_names[acl_ptype_from_code(t)];
}

const char *acl_op_name(enum acl_op op)
{
	return op_names[acl_op_from_code(op)].java;
}

const char *acl_op_pascal(enum acl_op op)
{
	return op_names[acl_op_from_code(op)].pascal;
}

const char *acl_perm_name(enum acl_perm p)
{
	return perm_names[acl_perm_from_code(p)];
}

/* SecurityUtils.valueFromMap(): the PascalCase name as is, else the
 * upper-cased input against the upper-cased PascalCase names. */
static int name_lookup(const struct acl_name *t, size_t n, const char *s)
{
	if (!s)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].pascal, s) == 0)
			return (int)i;
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(t[i].pascal, s) == 0)
			return (int)i;
	return 0;
}

enum acl_op acl_op_parse(const char *s)
{
	return (enum acl_op)name_lookup(op_names, NELEM(op_names), s);
}

enum acl_rtype acl_rtype_parse(const char *s)
{
	return (enum acl_rtype)name_lookup(rtype_names, NELEM(rtype_names), s);
}

enum acl_ptype acl_ptype_parse(const char *s)
{
	for (size_t i = 1; s && i < NELEM(ptype_names); i++)
		if (strcasecmp(ptype_names[i], s) == 0)
			return (enum acl_ptype)i;
	return ACL_PT_UNKNOWN;
}

size_t acl_rtype_valid_ops(enum acl_rtype t, enum acl_op *ops)
{
	static const enum acl_op topic[] = {
	    ACL_OP_READ,
	    ACL_OP_WRITE,
	    ACL_OP_CREATE,
	    ACL_OP_DESCRIBE,
	    ACL_OP_DELETE,
	    ACL_OP_ALTER,
	    ACL_OP_DESCRIBE_CONFIGS,
	    ACL_OP_ALTER_CONFIGS,
	};
	static const enum acl_op group[] = {
	    ACL_OP_READ,	  ACL_OP_DESCRIBE,
	    ACL_OP_DELETE,	  ACL_OP_DESCRIBE_CONFIGS,
	    ACL_OP_ALTER_CONFIGS,
	};
	static const enum acl_op cluster[] = {
	    ACL_OP_CREATE,	     ACL_OP_CLUSTER_ACTION,
	    ACL_OP_DESCRIBE_CONFIGS, ACL_OP_ALTER_CONFIGS,
	    ACL_OP_IDEMPOTENT_WRITE, ACL_OP_ALTER,
	    ACL_OP_DESCRIBE,
	};
	static const enum acl_op txn[] = {ACL_OP_DESCRIBE, ACL_OP_WRITE};
	static const enum acl_op token[] = {ACL_OP_DESCRIBE};
	static const enum acl_op user[] = {ACL_OP_CREATE_TOKENS,
					   ACL_OP_DESCRIBE_TOKENS};
	const enum acl_op *src = NULL;
	size_t n = 0;

	switch (t) {
	case ACL_RT_TOPIC:
		src = topic;
		n = NELEM(topic);
		break;
	case ACL_RT_GROUP:
		src = group;
		n = NELEM(group);
		break;
	case ACL_RT_CLUSTER:
		src = cluster;
		n = NELEM(cluster);
		break;
	case ACL_RT_TRANSACTIONAL_ID:
		src = txn;
		n = NELEM(txn);
		break;
	case ACL_RT_DELEGATION_TOKEN:
		src = token;
		n = NELEM(token);
		break;
	case ACL_RT_USER:
		src = user;
		n = NELEM(user);
		break;
	default:
		break;
	}
	if (n)
		memcpy(ops, src, n * sizeof(*ops));
	return n;
}

/* --- validation and matching ---------------------------------------------- */

/* The order of the checks is Kafka's: AclApis.handleCreateAcls (cluster
 * name, empty name), then AclControlManager.validateNewAcl. */
int acl_binding_check(const struct acl_binding *b, char *msg, size_t cap)
{
	struct acl_host h;

	if (b->rtype == ACL_RT_CLUSTER &&
	    (!b->name || strcmp(b->name, ACL_CLUSTER_NAME) != 0))
		snprintf(msg, cap,
			 "The only valid name for the CLUSTER resource is %s",
			 ACL_CLUSTER_NAME);
	else if (!b->name || !b->name[0])
		snprintf(msg, cap, "Invalid empty resource name specified");
	else if (b->rtype == ACL_RT_UNKNOWN || b->rtype == ACL_RT_ANY)
		snprintf(msg, cap, "Invalid resourceType %s",
			 acl_rtype_name(b->rtype));
	else if (b->ptype != ACL_PT_LITERAL && b->ptype != ACL_PT_PREFIXED)
		snprintf(msg, cap, "Invalid patternType %s",
			 acl_ptype_name(b->ptype));
	else if (b->op == ACL_OP_UNKNOWN || b->op == ACL_OP_ANY)
		snprintf(msg, cap, "Invalid operation %s", acl_op_name(b->op));
	else if (b->perm != ACL_PERM_DENY && b->perm != ACL_PERM_ALLOW)
		snprintf(msg, cap, "Invalid permissionType %s",
			 acl_perm_name(b->perm));
	else if (!b->principal || !strchr(b->principal, ':'))
		snprintf(
		    msg, cap,
		    "Could not parse principal from `%s` (no colon is present "
		    "separating the principal type from the principal name)",
		    b->principal ? b->principal : "");
	else if (!b->host || acl_host_parse(b->host, &h) != 0)
		snprintf(msg, cap,
			 "Invalid host %s: expected *, an IP address or a CIDR "
			 "range",
			 b->host ? b->host : "");
	else
		return 0;
	return -EINVAL;
}

int acl_filter_check(const struct acl_filter *f, const char **msg)
{
	*msg = NULL;
	if (f->rtype == ACL_RT_UNKNOWN || f->ptype == ACL_PT_UNKNOWN)
		*msg = "Unknown patternFilter.";
	else if (f->op == ACL_OP_UNKNOWN || f->perm == ACL_PERM_UNKNOWN)
		*msg = "Unknown entryFilter.";
	return *msg ? -EINVAL : 0;
}

static bool str_match(const char *filter, const char *value)
{
	return !filter || strcmp(filter, value) == 0;
}

static bool pattern_matches(const struct acl_filter *f,
			    const struct acl_binding *b)
{
	if (f->rtype != ACL_RT_ANY && f->rtype != b->rtype)
		return false;
	if (f->ptype != ACL_PT_ANY && f->ptype != ACL_PT_MATCH &&
	    f->ptype != b->ptype)
		return false;
	if (!f->name)
		return true;
	if (f->ptype == ACL_PT_ANY || f->ptype == b->ptype)
		return strcmp(f->name, b->name) == 0;
	/* MATCH: every pattern that affects the named resource. */
	if (b->ptype == ACL_PT_LITERAL)
		return strcmp(f->name, b->name) == 0 ||
		       strcmp(b->name, ACL_WILDCARD) == 0;
	if (b->ptype == ACL_PT_PREFIXED)
		return strncmp(f->name, b->name, strlen(b->name)) == 0;
	return false;
}

bool acl_filter_matches(const struct acl_filter *f, const struct acl_binding *b)
{
	if (!pattern_matches(f, b))
		return false;
	if (!str_match(f->principal, b->principal) ||
	    !str_match(f->host, b->host))
		return false;
	if (f->op != ACL_OP_ANY && f->op != b->op)
		return false;
	return f->perm == ACL_PERM_ANY || f->perm == b->perm;
}

bool acl_op_covers(enum acl_perm perm, enum acl_op acl_op, enum acl_op op)
{
	if (acl_op == ACL_OP_ALL || acl_op == op)
		return true;
	if (perm != ACL_PERM_ALLOW)
		return false;
	if (op == ACL_OP_DESCRIBE)
		return acl_op == ACL_OP_READ || acl_op == ACL_OP_WRITE ||
		       acl_op == ACL_OP_DELETE || acl_op == ACL_OP_ALTER;
	if (op == ACL_OP_DESCRIBE_CONFIGS)
		return acl_op == ACL_OP_ALTER_CONFIGS;
	return false;
}

bool acl_binding_equal(const struct acl_binding *a, const struct acl_binding *b)
{
	return a->rtype == b->rtype && a->ptype == b->ptype && a->op == b->op &&
	       a->perm == b->perm && strcmp(a->name, b->name) == 0 &&
	       strcmp(a->principal, b->principal) == 0 &&
	       strcmp(a->host, b->host) == 0;
}

/* --- hosts ---------------------------------------------------------------- */

void acl_addr_parse(const char *s, struct acl_addr *out)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
					   0, 0, 0, 0, 0xff, 0xff};

	memset(out, 0, sizeof(*out));
	if (!s)
		return;
	if (inet_pton(AF_INET, s, out->b) == 1) {
		out->family = 4;
	} else if (inet_pton(AF_INET6, s, out->b) == 1) {
		out->family = 6;
		if (memcmp(out->b, mapped, 12) == 0) {
			memmove(out->b, out->b + 12, 4);
			memset(out->b + 4, 0, 12);
			out->family = 4;
		}
	}
}

int acl_host_parse(const char *s, struct acl_host *out)
{
	const char *slash = strchr(s, '/');
	char addr[64], *end;
	long bits;

	memset(out, 0, sizeof(*out));
	if (strcmp(s, ACL_WILDCARD) == 0) {
		out->kind = ACL_HOST_ANY;
		return 0;
	}
	if (!slash) {
		acl_addr_parse(s, &out->addr);
		out->kind = out->addr.family ? ACL_HOST_ADDR : ACL_HOST_TEXT;
		return 0;
	}
	if ((size_t)(slash - s) >= sizeof(addr) || slash[1] < '0' ||
	    slash[1] > '9')
		return -EINVAL;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	acl_addr_parse(addr, &out->addr);
	bits = strtol(slash + 1, &end, 10);
	if (!out->addr.family || *end || bits < 0 ||
	    bits > (out->addr.family == 4 ? 32 : 128))
		return -EINVAL;
	out->kind = ACL_HOST_CIDR;
	out->bits = (int)bits;
	return 0;
}

static bool prefix_equal(const uint8_t *a, const uint8_t *b, int bits)
{
	int whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)whole) != 0)
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (a[whole] & mask) == (b[whole] & mask);
}

bool acl_host_matches(const struct acl_host *h, const char *htext,
		      const struct acl_addr *peer, const char *ptext)
{
	switch (h->kind) {
	case ACL_HOST_ANY:
		return true;
	case ACL_HOST_ADDR:
		return peer->family == h->addr.family &&
		       memcmp(peer->b, h->addr.b, 16) == 0;
	case ACL_HOST_CIDR:
		return peer->family == h->addr.family &&
		       prefix_equal(peer->b, h->addr.b, h->bits);
	case ACL_HOST_TEXT:
		return ptext && strcmp(htext, ptext) == 0;
	}
	return false;
}

/* --- toString ------------------------------------------------------------- */

int acl_pattern_format(char *out, size_t cap, enum acl_rtype rtype,
		       const char *name, enum acl_ptype ptype)
{
	return snprintf(
	    out, cap,
	    "ResourcePattern(resourceType=%s, name=%s, patternType=%s)",
	    acl_rtype_name(rtype), name ? name : "<any>",
	    acl_ptype_name(ptype));
}

int acl_entry_format(char *out, size_t cap, const char *principal,
		     const char *host, enum acl_op op, enum acl_perm perm)
{
	return snprintf(
	    out, cap,
	    "(principal=%s, host=%s, operation=%s, permissionType=%s)",
	    principal ? principal : "<any>", host ? host : "<any>",
	    acl_op_name(op), acl_perm_name(perm));
}

int acl_binding_format(char *out, size_t cap, const struct acl_binding *b)
{
	int n = snprintf(out, cap, "(pattern=");
	size_t used = (size_t)n;

	n = acl_pattern_format(used < cap ? out + used : NULL,
			       used < cap ? cap - used : 0, b->rtype, b->name,
			       b->ptype);
	used += (size_t)n;
	n = snprintf(used < cap ? out + used : NULL,
		     used < cap ? cap - used : 0, ", entry=");
	used += (size_t)n;
	n = acl_entry_format(used < cap ? out + used : NULL,
			     used < cap ? cap - used : 0, b->principal, b->host,
			     b->op, b->perm);
	used += (size_t)n;
	n = snprintf(used < cap ? out + used : NULL,
		     used < cap ? cap - used : 0, ")");
	return (int)(used + (size_t)n);
}
