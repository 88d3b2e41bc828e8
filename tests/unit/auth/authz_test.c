/* authz_test.c - table-driven test of the authorizer's decisions.
 *
 * Each case is a set of bindings (a line each: "ALLOW|DENY principal host
 * operation resource-type pattern-type name"), the authorizer settings
 * and a list of requests with the expected outcome and deciding rule.
 * The expectations are Kafka's (StandardAuthorizerData, KIP-11/290,
 * AclOperation implications) plus our host extensions (addresses compared
 * as addresses, CIDR ranges).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authz.h"
#include "tests/unit/check.h"

#define MAXB 12
#define MAXQ 24

struct query {
	const char *principal, *host;
	enum acl_op op;
	enum acl_rtype rtype;
	const char *name;
	bool allowed;
	enum authz_rule rule;
};

struct tcase {
	const char *what;
	const char *super_users;
	bool allow_everyone;
	const char *bindings[MAXB];
	struct query q[MAXQ];
};

#define A true
#define D false
#define R_ACL AUTHZ_RULE_ACL
#define R_SUPER AUTHZ_RULE_SUPER_USER
#define R_DALLOW AUTHZ_RULE_DEFAULT_ALLOW
#define R_DDENY AUTHZ_RULE_DEFAULT_DENY
#define R_NOMATCH AUTHZ_RULE_NO_MATCH
#define T ACL_RT_TOPIC
#define G ACL_RT_GROUP
#define C ACL_RT_CLUSTER
#define X ACL_RT_TRANSACTIONAL_ID
#define ALICE "User:alice"
#define BOB "User:bob"
#define H1 "10.1.2.3"

/* clang-format off */
static const struct tcase cases[] = {
	{ "no ACLs, no fallback: everything denied",
	  NULL, false, { NULL },
	  { { ALICE, H1, ACL_OP_READ, T, "t", D, R_DDENY },
	    { ALICE, H1, ACL_OP_ALTER, C, "kafka-cluster", D, R_DDENY } } },
	{ "no ACLs, allow.everyone.if.no.acl.found",
	  NULL, true, { NULL },
	  { { ALICE, H1, ACL_OP_WRITE, T, "t", A, R_DALLOW },
	    { "User:ANONYMOUS", "127.0.0.1", ACL_OP_ALTER, C, "kafka-cluster",
	      A, R_DALLOW } } },
	{ "literal allow: exact name only, other principals denied",
	  NULL, false, { "ALLOW User:alice * READ TOPIC LITERAL orders" },
	  { { ALICE, H1, ACL_OP_READ, T, "orders", A, R_ACL },
	    { ALICE, H1, ACL_OP_READ, T, "orders2", D, R_DDENY },
	    { ALICE, H1, ACL_OP_READ, T, "order", D, R_DDENY },
	    { BOB, H1, ACL_OP_READ, T, "orders", D, R_NOMATCH },
	    { ALICE, H1, ACL_OP_WRITE, T, "orders", D, R_NOMATCH },
	    { ALICE, H1, ACL_OP_READ, G, "orders", D, R_DDENY },
	    /* principal type and name are case-sensitive */
	    { "user:alice", H1, ACL_OP_READ, T, "orders", D, R_NOMATCH },
	    { "User:Alice", H1, ACL_OP_READ, T, "orders", D, R_NOMATCH } } },
	{ "an ACL for someone else removes the allow-everyone fallback",
	  NULL, true, { "ALLOW User:bob * READ TOPIC LITERAL t" },
	  { { ALICE, H1, ACL_OP_READ, T, "t", D, R_NOMATCH },
	    { BOB, H1, ACL_OP_READ, T, "t", A, R_ACL },
	    { ALICE, H1, ACL_OP_READ, T, "u", A, R_DALLOW } } },
	{ "prefixed and wildcard patterns also remove the fallback",
	  NULL, true,
	  { "DENY User:* * WRITE TOPIC PREFIXED secret-",
	    "ALLOW User:bob * READ GROUP LITERAL *" },
	  { { ALICE, H1, ACL_OP_READ, T, "secret-x", D, R_NOMATCH },
	    { ALICE, H1, ACL_OP_WRITE, T, "secret-x", D, R_ACL },
	    { ALICE, H1, ACL_OP_WRITE, T, "secret", A, R_DALLOW },
	    { ALICE, H1, ACL_OP_READ, G, "any-group", D, R_NOMATCH },
	    { BOB, H1, ACL_OP_READ, G, "any-group", A, R_ACL } } },
	{ "prefixed: the prefix itself and longer names, not shorter",
	  NULL, false, { "ALLOW User:alice * WRITE TOPIC PREFIXED logs." },
	  { { ALICE, H1, ACL_OP_WRITE, T, "logs.", A, R_ACL },
	    { ALICE, H1, ACL_OP_WRITE, T, "logs.app", A, R_ACL },
	    { ALICE, H1, ACL_OP_WRITE, T, "logs", D, R_DDENY },
	    { ALICE, H1, ACL_OP_WRITE, T, "xlogs.app", D, R_DDENY } } },
	{ "several prefix lengths", NULL, false,
	  { "ALLOW User:alice * READ TOPIC PREFIXED a",
	    "DENY User:alice * READ TOPIC PREFIXED abc",
	    "ALLOW User:bob * READ TOPIC PREFIXED abcdef" },
	  { { ALICE, H1, ACL_OP_READ, T, "ab", A, R_ACL },
	    { ALICE, H1, ACL_OP_READ, T, "abcd", D, R_ACL },
	    { BOB, H1, ACL_OP_READ, T, "abcdefg", A, R_ACL },
	    { BOB, H1, ACL_OP_READ, T, "abcde", D, R_NOMATCH } } },
	{ "wildcard resource and wildcard principal", NULL, false,
	  { "ALLOW User:* * DESCRIBE TOPIC LITERAL *" },
	  { { ALICE, H1, ACL_OP_DESCRIBE, T, "x", A, R_ACL },
	    { "User:ANONYMOUS", H1, ACL_OP_DESCRIBE, T, "y", A, R_ACL },
	    /* User:* matches any principal type, as in Kafka */
	    { "Group:ops", H1, ACL_OP_DESCRIBE, T, "y", A, R_ACL },
	    { ALICE, H1, ACL_OP_READ, T, "x", D, R_NOMATCH } } },
	{ "DENY wins over ALLOW wherever it comes from", NULL, false,
	  { "ALLOW User:alice * ALL TOPIC LITERAL t",
	    "DENY User:* * READ TOPIC LITERAL *",
	    "ALLOW User:alice * WRITE TOPIC PREFIXED t",
	    "DENY User:alice 10.1.2.3 WRITE TOPIC PREFIXED t" },
	  { { ALICE, H1, ACL_OP_READ, T, "t", D, R_ACL },
	    { ALICE, H1, ACL_OP_WRITE, T, "t", D, R_ACL },
	    { ALICE, "10.9.9.9", ACL_OP_WRITE, T, "t", A, R_ACL },
	    { ALICE, H1, ACL_OP_DELETE, T, "t", A, R_ACL },
	    { ALICE, H1, ACL_OP_DESCRIBE, T, "t", A, R_ACL } } },
	{ "implied operations (ALLOW only)", NULL, false,
	  { "ALLOW User:alice * READ TOPIC LITERAL r",
	    "ALLOW User:alice * WRITE TOPIC LITERAL w",
	    "ALLOW User:alice * DELETE TOPIC LITERAL d",
	    "ALLOW User:alice * ALTER TOPIC LITERAL a",
	    "ALLOW User:alice * ALTER_CONFIGS TOPIC LITERAL ac",
	    "ALLOW User:alice * DESCRIBE TOPIC LITERAL desc",
	    "ALLOW User:alice * CREATE TOPIC LITERAL c",
	    "ALLOW User:alice * DESCRIBE_CONFIGS TOPIC LITERAL dc" },
	  { { ALICE, H1, ACL_OP_DESCRIBE, T, "r", A, R_ACL },
	    { ALICE, H1, ACL_OP_DESCRIBE, T, "w", A, R_ACL },
	    { ALICE, H1, ACL_OP_DESCRIBE, T, "d", A, R_ACL },
	    { ALICE, H1, ACL_OP_DESCRIBE, T, "a", A, R_ACL },
	    { ALICE, H1, ACL_OP_DESCRIBE_CONFIGS, T, "ac", A, R_ACL },
	    { ALICE, H1, ACL_OP_DESCRIBE, T, "ac", D, R_NOMATCH },
	    { ALICE, H1, ACL_OP_READ, T, "desc", D, R_NOMATCH },
	    { ALICE, H1, ACL_OP_DESCRIBE, T, "c", D, R_NOMATCH },
	    { ALICE, H1, ACL_OP_ALTER_CONFIGS, T, "dc", D, R_NOMATCH },
	    { ALICE, H1, ACL_OP_DESCRIBE_CONFIGS, T, "r", D, R_NOMATCH } } },
	{ "DENY implies nothing but ALL denies all", NULL, true,
	  { "DENY User:alice * READ TOPIC LITERAL r",
	    "DENY User:alice * ALL TOPIC LITERAL all",
	    "ALLOW User:alice * ALL TOPIC LITERAL *" },
	  { { ALICE, H1, ACL_OP_DESCRIBE, T, "r", A, R_ACL },
	    { ALICE, H1, ACL_OP_READ, T, "r", D, R_ACL },
	    { ALICE, H1, ACL_OP_DESCRIBE, T, "all", D, R_ACL },
	    { ALICE, H1, ACL_OP_ALTER_CONFIGS, T, "all", D, R_ACL },
	    { ALICE, H1, ACL_OP_IDEMPOTENT_WRITE, T, "x", A, R_ACL } } },
	{ "hosts: *, exact IPv4/IPv6 (as addresses), CIDR", NULL, false,
	  { "ALLOW User:alice 10.1.2.3 READ TOPIC LITERAL v4",
	    "ALLOW User:alice ::1 READ TOPIC LITERAL v6",
	    "ALLOW User:alice 192.168.0.0/16 READ TOPIC LITERAL cidr",
	    "ALLOW User:alice fd00::/8 READ TOPIC LITERAL cidr6",
	    "ALLOW User:alice 10.0.0.0/0 READ TOPIC LITERAL all4",
	    "ALLOW User:alice broker.example.com READ TOPIC LITERAL name" },
	  { { ALICE, H1, ACL_OP_READ, T, "v4", A, R_ACL },
	    { ALICE, "10.1.2.4", ACL_OP_READ, T, "v4", D, R_NOMATCH },
	    { ALICE, "::ffff:10.1.2.3", ACL_OP_READ, T, "v4", A, R_ACL },
	    { ALICE, "0:0:0:0:0:0:0:1", ACL_OP_READ, T, "v6", A, R_ACL },
	    { ALICE, "::2", ACL_OP_READ, T, "v6", D, R_NOMATCH },
	    { ALICE, "192.168.77.1", ACL_OP_READ, T, "cidr", A, R_ACL },
	    { ALICE, "192.169.0.1", ACL_OP_READ, T, "cidr", D, R_NOMATCH },
	    { ALICE, "fdab::5", ACL_OP_READ, T, "cidr6", A, R_ACL },
	    { ALICE, "fe80::5", ACL_OP_READ, T, "cidr6", D, R_NOMATCH },
	    { ALICE, "192.168.1.1", ACL_OP_READ, T, "cidr6", D, R_NOMATCH },
	    { ALICE, "8.8.8.8", ACL_OP_READ, T, "all4", A, R_ACL },
	    { ALICE, "::1", ACL_OP_READ, T, "all4", D, R_NOMATCH },
	    /* hostnames never match an address, as in Kafka */
	    { ALICE, H1, ACL_OP_READ, T, "name", D, R_NOMATCH } } },
	{ "CIDR DENY", NULL, false,
	  { "ALLOW User:* * WRITE TOPIC LITERAL t",
	    "DENY User:* 10.0.0.0/8 WRITE TOPIC LITERAL t" },
	  { { ALICE, H1, ACL_OP_WRITE, T, "t", D, R_ACL },
	    { ALICE, "11.0.0.1", ACL_OP_WRITE, T, "t", A, R_ACL } } },
	{ "super users bypass DENY, DNs with commas", "User:admin ; User:CN=broker,O=x",
	  false,
	  { "DENY User:* * ALL TOPIC LITERAL *",
	    "DENY User:* * ALL CLUSTER LITERAL kafka-cluster" },
	  { { "User:admin", H1, ACL_OP_WRITE, T, "t", A, R_SUPER },
	    { "User:CN=broker,O=x", H1, ACL_OP_ALTER, C, "kafka-cluster", A,
	      R_SUPER },
	    { "User:CN=broker", H1, ACL_OP_ALTER, C, "kafka-cluster", D, R_ACL },
	    { "User:admin2", H1, ACL_OP_WRITE, T, "t", D, R_ACL } } },
	{ "resource types are separate; transactional ids", NULL, false,
	  { "ALLOW User:alice * WRITE TRANSACTIONAL_ID PREFIXED app-",
	    "ALLOW User:alice * READ GROUP LITERAL g" },
	  { { ALICE, H1, ACL_OP_WRITE, X, "app-1", A, R_ACL },
	    { ALICE, H1, ACL_OP_DESCRIBE, X, "app-1", A, R_ACL },
	    { ALICE, H1, ACL_OP_WRITE, T, "app-1", D, R_DDENY },
	    { ALICE, H1, ACL_OP_READ, G, "g", A, R_ACL },
	    { ALICE, H1, ACL_OP_READ, T, "g", D, R_DDENY } } },
};
/* clang-format on */

static bool parse_binding(char *line, struct acl_binding *b)
{
	char *f[7], *save = NULL;
	int n = 0;

	for (char *t = strtok_r(line, " ", &save); t && n < 7;
	     t = strtok_r(NULL, " ", &save))
		f[n++] = t;
	if (n != 7)
		return false;
	b->perm = strcmp(f[0], "ALLOW") == 0 ? ACL_PERM_ALLOW : ACL_PERM_DENY;
	b->principal = f[1];
	b->host = f[2];
	b->op = ACL_OP_UNKNOWN;
	for (int op = 0; op < ACL_OP_COUNT; op++)
		if (strcmp(acl_op_name((enum acl_op)op), f[3]) == 0)
			b->op = (enum acl_op)op;
	b->rtype = ACL_RT_UNKNOWN;
	for (int t = 0; t < 8; t++)
		if (strcmp(acl_rtype_name((enum acl_rtype)t), f[4]) == 0)
			b->rtype = (enum acl_rtype)t;
	b->ptype =
	    strcmp(f[5], "PREFIXED") == 0 ? ACL_PT_PREFIXED : ACL_PT_LITERAL;
	b->name = f[6];
	return true;
}

static struct authz *build(const struct tcase *tc)
{
	struct authz_config cfg;
	struct authz *z = NULL;
	char err[256];

	CHECK(authz_config_init(&cfg, "kafka.security.authorizer.AclAuthorizer",
				tc->super_users,
				tc->allow_everyone ? "true" : "false", err,
				sizeof(err)) == 0);
	CHECK(authz_create(&cfg, NULL, &z) == 0);
	authz_config_fini(&cfg);
	for (int i = 0; z && i < MAXB && tc->bindings[i]; i++) {
		char line[256];
		struct acl_binding b;
		struct authz_create_result res;
		snprintf(line, sizeof(line), "%s", tc->bindings[i]);
		CHECK(parse_binding(line, &b));
		CHECK(authz_acls_create(z, &b, 1, &res) == 0);
		if (res.rc)
			fprintf(stderr, "%s: %s\n", tc->bindings[i], res.msg);
		CHECK_EQ(res.rc, 0);
	}
	return z;
}

static void run_case(const struct tcase *tc)
{
	struct authz *z = build(tc);
	struct authz_cache *cache = authz_cache_create();

	for (int i = 0; z && i < MAXQ && tc->q[i].principal; i++) {
		const struct query *q = &tc->q[i];
		struct authz_subject s;
		struct authz_decision d;
		authz_subject_init(&s, q->principal, q->host);
		bool got =
		    authz_authorize(z, NULL, &s, q->op, q->rtype, q->name, &d);
		if (got != q->allowed || d.rule != q->rule)
			fprintf(stderr,
				"case \"%s\" query %d (%s %s %s %s): "
				"got %d rule %d, want %d rule %d\n",
				tc->what, i, q->principal, q->host,
				acl_op_name(q->op), q->name, got, d.rule,
				q->allowed, q->rule);
		CHECK(got == q->allowed);
		CHECK_EQ(d.rule, q->rule);
		/* the cached path agrees, on a miss and on a hit */
		CHECK(authz_authorize(z, cache, &s, q->op, q->rtype, q->name,
				      NULL) == q->allowed);
		CHECK(authz_authorize(z, cache, &s, q->op, q->rtype, q->name,
				      NULL) == q->allowed);
		authz_cache_reset(cache);
	}
	authz_cache_destroy(cache);
	authz_destroy(z);
}

/* A change reaches a cache that already holds the old answer. */
static void test_revocation(void)
{
	struct tcase tc = {"revocation", NULL, true, {NULL}, {{0}}};
	struct authz *z = build(&tc);
	struct authz_cache *c = authz_cache_create();
	struct acl_binding deny = {
	    ACL_RT_TOPIC, ACL_PT_LITERAL, "t",		"User:*",
	    "*",	  ACL_OP_WRITE,	  ACL_PERM_DENY};
	struct authz_create_result res;
	struct authz_subject s;
	uint64_t v = authz_version(z);

	authz_subject_init(&s, ALICE, H1);
	CHECK(authz_authorize(z, c, &s, ACL_OP_WRITE, T, "t", NULL));
	CHECK(authz_authorize(z, c, &s, ACL_OP_WRITE, T, "t", NULL));
	CHECK(authz_acls_create(z, &deny, 1, &res) == 0 && res.created);
	CHECK(authz_version(z) > v);
	CHECK(!authz_authorize(z, c, &s, ACL_OP_WRITE, T, "t", NULL));
	/* creating it again is a success that changes nothing */
	v = authz_version(z);
	CHECK(authz_acls_create(z, &deny, 1, &res) == 0 && !res.created);
	CHECK_EQ(res.rc, 0);
	CHECK_EQ(authz_version(z), v);
	CHECK_EQ(authz_count(z), 1);
	authz_cache_destroy(c);
	authz_destroy(z);
}

struct any_case {
	const char *bindings[4];
	bool allow_everyone;
	bool want;
};

/* authorizeByResourceType (KIP-679), as InitProducerId asks it. */
static void test_authorize_any(void)
{
	static const struct any_case ac[] = {
	    {{NULL}, false, false},
	    {{NULL}, true, true},
	    {{"ALLOW User:alice * WRITE TOPIC LITERAL t"}, false, true},
	    {{"ALLOW User:bob * WRITE TOPIC LITERAL t"}, false, false},
	    {{"ALLOW User:alice * READ TOPIC LITERAL t"}, false, false},
	    {{"ALLOW User:alice * ALL TOPIC PREFIXED p"}, false, true},
	    {{"ALLOW User:alice * WRITE TOPIC LITERAL t",
	      "DENY User:alice * WRITE TOPIC LITERAL t"},
	     false,
	     false},
	    {{"ALLOW User:alice * WRITE TOPIC LITERAL tx",
	      "DENY User:alice * WRITE TOPIC PREFIXED t"},
	     false,
	     false},
	    {{"ALLOW User:alice * WRITE TOPIC PREFIXED tx",
	      "DENY User:alice * WRITE TOPIC LITERAL tx"},
	     false,
	     true},
	    {{"ALLOW User:* * WRITE TOPIC LITERAL *"}, false, true},
	    {{"ALLOW User:alice * WRITE TOPIC LITERAL t",
	      "DENY User:* * WRITE TOPIC LITERAL *"},
	     true,
	     false},
	    {{"ALLOW User:alice * WRITE TOPIC LITERAL a",
	      "ALLOW User:alice * WRITE TOPIC LITERAL b",
	      "DENY User:alice * WRITE TOPIC LITERAL a"},
	     false,
	     true},
	};

	for (size_t i = 0; i < sizeof(ac) / sizeof(ac[0]); i++) {
		struct tcase tc = {
		    "any", NULL, ac[i].allow_everyone, {NULL}, {{0}}};
		struct authz_subject s;
		struct authz *z;
		memcpy(tc.bindings, ac[i].bindings, sizeof(ac[i].bindings));
		z = build(&tc);
		authz_subject_init(&s, ALICE, H1);
		bool got = authz_authorize_any(z, NULL, &s, ACL_OP_WRITE, T);
		if (got != ac[i].want)
			fprintf(stderr, "authorize_any case %zu: got %d\n", i,
				got);
		CHECK(got == ac[i].want);
		authz_destroy(z);
	}
}

static void test_config(void)
{
	struct authz_config c;
	char err[512];

	CHECK(authz_config_init(&c, NULL, NULL, NULL, err, sizeof(err)) == 0);
	CHECK(!c.enabled && !c.allow_if_no_acl && c.super_count == 0);
	authz_config_fini(&c);
	CHECK(authz_config_init(&c, " ", "", " TRUE ", err, sizeof(err)) == 0);
	CHECK(!c.enabled && c.allow_if_no_acl);
	authz_config_fini(&c);
	for (int i = 0; i < 3; i++) {
		static const char *const names[] = {
		    "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		    "kafka.security.authorizer.AclAuthorizer",
		    " kafka.security.auth.SimpleAclAuthorizer ",
		};
		CHECK(authz_config_init(&c, names[i], NULL, NULL, err,
					sizeof(err)) == 0);
		CHECK(c.enabled);
		authz_config_fini(&c);
	}
	CHECK(authz_config_init(&c, "com.example.MyAuthorizer", NULL, NULL, err,
				sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "authorizer.class.name") != NULL);
	CHECK(authz_config_init(&c, NULL, "User:a;admin", NULL, err,
				sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "super.users") && strstr(err, "admin"));
	CHECK(authz_config_init(&c, NULL, NULL, "yes", err, sizeof(err)) ==
	      -EINVAL);
	CHECK(strstr(err, "allow.everyone.if.no.acl.found") != NULL);
	CHECK(authz_config_init(&c, NULL, ";User:a; ;User:CN=x,O=y;", NULL, err,
				sizeof(err)) == 0);
	CHECK_EQ(c.super_count, 2);
	CHECK(c.super_count == 2 &&
	      strcmp(c.super_users[1], "User:CN=x,O=y") == 0);
	authz_config_fini(&c);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_revocation();
	test_authorize_any();
	test_config();
	return check_finish();
}
