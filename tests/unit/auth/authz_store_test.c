/* authz_store_test.c - ACL changes: validation, filters (ANY, MATCH,
 * exact), delete results, persistence in LMDB across reopen, the record
 * encoding, a corrupt record, and Kafka's toString formats.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/acl_store.h"
#include "auth/authz.h"
#include "base/arena.h"
#include "base/buf.h"
#include "storage/meta.h"
#include "tests/unit/check.h"

static struct acl_binding bnd(enum acl_rtype rt, enum acl_ptype pt,
			      const char *name, const char *principal,
			      const char *host, enum acl_op op,
			      enum acl_perm perm)
{
	struct acl_binding b = {rt, pt, name, principal, host, op, perm};
	return b;
}

static struct authz *new_authz(struct meta *m)
{
	struct authz_config cfg;
	struct authz *z = NULL;
	char err[128];

	CHECK(authz_config_init(&cfg, "kafka.security.authorizer.AclAuthorizer",
				NULL, NULL, err, sizeof(err)) == 0);
	CHECK(authz_create(&cfg, m, &z) == 0);
	authz_config_fini(&cfg);
	return z;
}

struct create_case {
	struct acl_binding b;
	const char *msg; /* NULL = valid */
};

static void test_validation(void)
{
	/* clang-format off */
	static const struct create_case cc[] = {
		{ { ACL_RT_TOPIC, ACL_PT_LITERAL, "t", "User:a", "*", ACL_OP_READ, ACL_PERM_ALLOW }, NULL },
		{ { ACL_RT_CLUSTER, ACL_PT_LITERAL, "kafka-cluster", "User:a", "*", ACL_OP_ALTER, ACL_PERM_ALLOW }, NULL },
		{ { ACL_RT_CLUSTER, ACL_PT_LITERAL, "other", "User:a", "*", ACL_OP_ALTER, ACL_PERM_ALLOW },
		  "The only valid name for the CLUSTER resource is kafka-cluster" },
		{ { ACL_RT_TOPIC, ACL_PT_LITERAL, "", "User:a", "*", ACL_OP_READ, ACL_PERM_ALLOW },
		  "Invalid empty resource name specified" },
		{ { ACL_RT_ANY, ACL_PT_LITERAL, "t", "User:a", "*", ACL_OP_READ, ACL_PERM_ALLOW },
		  "Invalid resourceType ANY" },
		{ { ACL_RT_UNKNOWN, ACL_PT_LITERAL, "t", "User:a", "*", ACL_OP_READ, ACL_PERM_ALLOW },
		  "Invalid resourceType UNKNOWN" },
		{ { ACL_RT_TOPIC, ACL_PT_MATCH, "t", "User:a", "*", ACL_OP_READ, ACL_PERM_ALLOW },
		  "Invalid patternType MATCH" },
		{ { ACL_RT_TOPIC, ACL_PT_ANY, "t", "User:a", "*", ACL_OP_READ, ACL_PERM_ALLOW },
		  "Invalid patternType ANY" },
		{ { ACL_RT_TOPIC, ACL_PT_LITERAL, "t", "User:a", "*", ACL_OP_ANY, ACL_PERM_ALLOW },
		  "Invalid operation ANY" },
		{ { ACL_RT_TOPIC, ACL_PT_LITERAL, "t", "User:a", "*", ACL_OP_READ, ACL_PERM_ANY },
		  "Invalid permissionType ANY" },
		{ { ACL_RT_TOPIC, ACL_PT_LITERAL, "t", "alice", "*", ACL_OP_READ, ACL_PERM_ALLOW },
		  "Could not parse principal from `alice` (no colon is present separating the principal type from the principal name)" },
		{ { ACL_RT_TOPIC, ACL_PT_LITERAL, "t", "User:a", "10.0.0.0/33", ACL_OP_READ, ACL_PERM_DENY },
		  "Invalid host 10.0.0.0/33: expected *, an IP address or a CIDR range" },
		{ { ACL_RT_TOPIC, ACL_PT_LITERAL, "t", "User:a", "host/8", ACL_OP_READ, ACL_PERM_DENY },
		  "Invalid host host/8: expected *, an IP address or a CIDR range" },
	};
	/* clang-format on */
	struct authz *z = new_authz(NULL);
	size_t n = sizeof(cc) / sizeof(cc[0]);
	struct acl_binding b[16];
	struct authz_create_result res[16];

	for (size_t i = 0; i < n; i++)
		b[i] = cc[i].b;
	CHECK(authz_acls_create(z, b, n, res) == 0);
	for (size_t i = 0; i < n; i++) {
		if (!cc[i].msg) {
			CHECK_EQ(res[i].rc, 0);
			CHECK(res[i].created);
			continue;
		}
		CHECK_EQ(res[i].rc, -EINVAL);
		if (strcmp(res[i].msg, cc[i].msg) != 0)
			fprintf(stderr, "case %zu: %s\n", i, res[i].msg);
		CHECK(strcmp(res[i].msg, cc[i].msg) == 0);
	}
	CHECK_EQ(authz_count(z), 2);
	authz_destroy(z);
}

struct filter_case {
	struct acl_filter f;
	const char *want; /* indexes of the matching bindings below */
};

/* clang-format off */
static const struct acl_binding fbind[] = {
	{ ACL_RT_TOPIC, ACL_PT_LITERAL, "foo", "User:a", "*", ACL_OP_READ, ACL_PERM_ALLOW },	  /* 0 */
	{ ACL_RT_TOPIC, ACL_PT_LITERAL, "*", "User:b", "*", ACL_OP_WRITE, ACL_PERM_DENY },	  /* 1 */
	{ ACL_RT_TOPIC, ACL_PT_PREFIXED, "fo", "User:a", "1.2.3.4", ACL_OP_READ, ACL_PERM_ALLOW }, /* 2 */
	{ ACL_RT_TOPIC, ACL_PT_PREFIXED, "foo", "User:a", "*", ACL_OP_ALL, ACL_PERM_ALLOW },	  /* 3 */
	{ ACL_RT_TOPIC, ACL_PT_PREFIXED, "foob", "User:a", "*", ACL_OP_READ, ACL_PERM_ALLOW },  /* 4 */
	{ ACL_RT_GROUP, ACL_PT_LITERAL, "foo", "User:a", "*", ACL_OP_READ, ACL_PERM_ALLOW },	  /* 5 */
	{ ACL_RT_TOPIC, ACL_PT_LITERAL, "bar", "User:a", "*", ACL_OP_READ, ACL_PERM_ALLOW },	  /* 6 */
};
/* clang-format on */

#define F(rt, pt, name, pr, host, op, perm)                                    \
	{                                                                      \
		rt, pt, name, pr, host, op, perm                               \
	}
#define ANYF(rt, pt, name) F(rt, pt, name, NULL, NULL, ACL_OP_ANY, ACL_PERM_ANY)

static void test_filters(void)
{
	/* clang-format off */
	static const struct filter_case fc[] = {
		{ ANYF(ACL_RT_ANY, ACL_PT_ANY, NULL), "0123456" },
		{ ANYF(ACL_RT_TOPIC, ACL_PT_ANY, NULL), "012346" },
		{ ANYF(ACL_RT_TOPIC, ACL_PT_ANY, "foo"), "03" },
		{ ANYF(ACL_RT_ANY, ACL_PT_ANY, "foo"), "035" },
		{ ANYF(ACL_RT_TOPIC, ACL_PT_LITERAL, "foo"), "0" },
		{ ANYF(ACL_RT_TOPIC, ACL_PT_LITERAL, NULL), "016" },
		{ ANYF(ACL_RT_TOPIC, ACL_PT_PREFIXED, "foo"), "3" },
		{ ANYF(ACL_RT_TOPIC, ACL_PT_PREFIXED, NULL), "234" },
		/* MATCH: literal exact + literal "*" + prefixes of the name */
		{ ANYF(ACL_RT_TOPIC, ACL_PT_MATCH, "foo"), "0123" },
		{ ANYF(ACL_RT_TOPIC, ACL_PT_MATCH, "foobar"), "1234" },
		{ ANYF(ACL_RT_TOPIC, ACL_PT_MATCH, "f"), "1" },
		{ ANYF(ACL_RT_ANY, ACL_PT_MATCH, "foo"), "01235" },
		{ ANYF(ACL_RT_TOPIC, ACL_PT_MATCH, NULL), "012346" },
		{ F(ACL_RT_ANY, ACL_PT_ANY, NULL, "User:b", NULL, ACL_OP_ANY, ACL_PERM_ANY), "1" },
		{ F(ACL_RT_ANY, ACL_PT_ANY, NULL, NULL, "1.2.3.4", ACL_OP_ANY, ACL_PERM_ANY), "2" },
		{ F(ACL_RT_ANY, ACL_PT_ANY, NULL, NULL, NULL, ACL_OP_READ, ACL_PERM_ANY), "02456" },
		/* an operation filter matches exactly: READ does not match ALL */
		{ F(ACL_RT_ANY, ACL_PT_ANY, NULL, NULL, NULL, ACL_OP_ALL, ACL_PERM_ANY), "3" },
		{ F(ACL_RT_ANY, ACL_PT_ANY, NULL, NULL, NULL, ACL_OP_ANY, ACL_PERM_DENY), "1" },
		{ F(ACL_RT_TOPIC, ACL_PT_MATCH, "foo", "User:a", "*", ACL_OP_READ, ACL_PERM_ALLOW), "0" },
	};
	/* clang-format on */

	for (size_t i = 0; i < sizeof(fc) / sizeof(fc[0]); i++) {
		char got[16] = "";
		size_t n = 0;
		for (size_t j = 0; j < sizeof(fbind) / sizeof(fbind[0]); j++)
			if (acl_filter_matches(&fc[i].f, &fbind[j]))
				got[n++] = (char)('0' + j);
		got[n] = '\0';
		if (strcmp(got, fc[i].want) != 0)
			fprintf(stderr, "filter %zu: got %s want %s\n", i, got,
				fc[i].want);
		CHECK(strcmp(got, fc[i].want) == 0);
	}
}

/* Kafka's "Unknown patternFilter." / "Unknown entryFilter." */
static void test_filter_check(void)
{
	struct acl_filter f;
	const char *msg;

	acl_filter_any(&f);
	CHECK(acl_filter_check(&f, &msg) == 0);
	f.ptype = acl_ptype_from_code(77);
	CHECK(acl_filter_check(&f, &msg) == -EINVAL &&
	      strcmp(msg, "Unknown patternFilter.") == 0);
	acl_filter_any(&f);
	f.op = acl_op_from_code(0);
	CHECK(acl_filter_check(&f, &msg) == -EINVAL &&
	      strcmp(msg, "Unknown entryFilter.") == 0);
}

static int count_visit(void *ctx, uint64_t id, const struct acl_binding *b)
{
	(void)id;
	(void)b;
	(*(int *)ctx)++;
	return 0;
}

static void create_fbind(struct authz *z)
{
	size_t n = sizeof(fbind) / sizeof(fbind[0]);
	struct authz_create_result res[8];

	CHECK(authz_acls_create(z, fbind, n, res) == 0);
	for (size_t i = 0; i < n; i++)
		CHECK(res[i].rc == 0 && res[i].created);
}

static void test_delete(void)
{
	struct authz *z = new_authz(NULL);
	struct acl_filter f[3];
	struct authz_delete_result res[3];
	struct arena a;
	int n = 0;

	arena_init(&a, 0);
	create_fbind(z);
	f[0] = (struct acl_filter)ANYF(ACL_RT_TOPIC, ACL_PT_MATCH, "foo");
	f[1] = (struct acl_filter)ANYF(ACL_RT_TOPIC, ACL_PT_LITERAL, "foo");
	f[2] = (struct acl_filter)ANYF(ACL_RT_TOPIC, acl_ptype_from_code(99),
				       NULL);
	uint64_t v = authz_version(z);
	CHECK(authz_acls_delete(z, f, 3, &a, res) == 0);
	CHECK(res[0].rc == 0 && res[0].count == 4);
	/* matched by both filters: listed by both, deleted once */
	CHECK(res[1].rc == 0 && res[1].count == 1);
	CHECK(res[1].count == 1 && strcmp(res[1].acls[0].name, "foo") == 0 &&
	      res[1].acls[0].ptype == ACL_PT_LITERAL);
	CHECK(res[2].rc == -EINVAL && res[2].count == 0);
	CHECK(authz_version(z) > v);
	CHECK_EQ(authz_count(z), 3);
	CHECK(authz_acls_visit(z, NULL, count_visit, &n) == 0);
	CHECK_EQ(n, 3);
	/* nothing matches any more: no change, no new version */
	v = authz_version(z);
	CHECK(authz_acls_delete(z, f, 1, &a, res) == 0 && res[0].count == 0);
	CHECK_EQ(authz_version(z), v);
	/* the deleted prefixed patterns no longer decide anything */
	struct authz_subject s;
	authz_subject_init(&s, "User:a", "1.2.3.4");
	CHECK(!authz_authorize(z, NULL, &s, ACL_OP_READ, ACL_RT_TOPIC, "fooz",
			       NULL));
	arena_fini(&a);
	authz_destroy(z);
}

static int rm_entry(const char *p, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

struct ids {
	uint64_t id[16];
	int n;
};

static int collect(void *ctx, uint64_t id, const struct acl_binding *b)
{
	struct ids *ids = ctx;
	(void)b;
	if (ids->n < 16)
		ids->id[ids->n++] = id;
	return 0;
}

static void test_persistence(void)
{
	char dir[] = "/tmp/sealog-authz-XXXXXX";
	struct meta *m = NULL;
	struct authz *z;
	struct acl_filter f;
	struct authz_delete_result dr;
	struct arena a;
	struct ids before = {{0}, 0}, after = {{0}, 0};

	arena_init(&a, 0);
	CHECK(mkdtemp(dir) != NULL);
	CHECK(meta_open(dir, 0, &m) == 0);
	z = new_authz(m);
	create_fbind(z);
	f = (struct acl_filter)ANYF(ACL_RT_GROUP, ACL_PT_ANY, NULL);
	CHECK(authz_acls_delete(z, &f, 1, &a, &dr) == 0 && dr.count == 1);
	authz_acls_visit(z, NULL, collect, &before);
	authz_destroy(z);
	/* reopen: same bindings, same ids, same order */
	z = new_authz(m);
	CHECK_EQ(authz_count(z), 6);
	authz_acls_visit(z, NULL, collect, &after);
	CHECK_EQ(before.n, after.n);
	CHECK(memcmp(before.id, after.id, sizeof(before.id)) == 0);
	struct authz_subject s;
	authz_subject_init(&s, "User:b", "9.9.9.9");
	CHECK(!authz_authorize(z, NULL, &s, ACL_OP_WRITE, ACL_RT_TOPIC, "x",
			       NULL));
	/* new ids never reuse old ones */
	struct acl_binding nb = bnd(ACL_RT_GROUP, ACL_PT_LITERAL, "g", "User:c",
				    "*", ACL_OP_READ, ACL_PERM_ALLOW);
	struct authz_create_result cr;
	CHECK(authz_acls_create(z, &nb, 1, &cr) == 0 && cr.created);
	struct ids third = {{0}, 0};
	authz_acls_visit(z, NULL, collect, &third);
	CHECK(third.n == 7 && third.id[6] > 7);
	authz_destroy(z);
	/* a corrupt record: the authorizer refuses to start */
	struct meta_txn *t;
	uint8_t key[9] = {'b', 0, 0, 0, 0, 0, 0, 0, 99};
	CHECK(meta_txn_begin(m, true, &t) == 0);
	CHECK(meta_put(t, ACL_STORE_DB, key, 9, "\1\2\3", 3) == 0);
	CHECK(meta_txn_commit(t) == 0);
	struct authz_config cfg = {0};
	cfg.enabled = true;
	z = NULL;
	CHECK(authz_create(&cfg, m, &z) == -EINVAL);
	CHECK(z == NULL);
	meta_close(m);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	arena_fini(&a);
}

static void test_encoding(void)
{
	struct acl_binding b = bnd(ACL_RT_TOPIC, ACL_PT_PREFIXED, "app.",
				   "User:CN=x,O=y", "10.0.0.0/8", ACL_OP_WRITE,
				   ACL_PERM_DENY),
			   d;
	struct buf o;
	char strs[128];

	buf_init(&o, 0);
	CHECK(acl_store_encode(&b, &o) == 0);
	CHECK(acl_store_decode(o.data, o.len, &d, strs) == 0);
	CHECK(acl_binding_equal(&b, &d));
	/* every truncation and a trailing byte are rejected */
	for (size_t n = 0; n < o.len; n++)
		CHECK(acl_store_decode(o.data, n, &d, strs) == -EINVAL);
	buf_append(&o, "x", 1);
	CHECK(acl_store_decode(o.data, o.len, &d, strs) == -EINVAL);
	o.data[0] = 2; /* unknown record version */
	CHECK(acl_store_decode(o.data, o.len - 1, &d, strs) == -EINVAL);
	o.data[0] = 1;
	o.data[4] = 1; /* permission ANY is not a stored binding */
	CHECK(acl_store_decode(o.data, o.len - 1, &d, strs) == -EINVAL);
	buf_fini(&o);
}

static void test_format(void)
{
	char out[256];
	struct acl_binding b =
	    bnd(ACL_RT_TRANSACTIONAL_ID, ACL_PT_LITERAL, "tx", "User:alice",
		"*", ACL_OP_IDEMPOTENT_WRITE, ACL_PERM_ALLOW);

	acl_pattern_format(out, sizeof(out), ACL_RT_TOPIC, "orders",
			   ACL_PT_LITERAL);
	CHECK(strcmp(out, "ResourcePattern(resourceType=TOPIC, name=orders, "
			  "patternType=LITERAL)") == 0);
	acl_pattern_format(out, sizeof(out), ACL_RT_ANY, NULL, ACL_PT_MATCH);
	CHECK(strcmp(out, "ResourcePattern(resourceType=ANY, name=<any>, "
			  "patternType=MATCH)") == 0);
	acl_entry_format(out, sizeof(out), "User:alice", "*", ACL_OP_READ,
			 ACL_PERM_ALLOW);
	CHECK(strcmp(out, "(principal=User:alice, host=*, operation=READ, "
			  "permissionType=ALLOW)") == 0);
	int n = acl_binding_format(out, sizeof(out), &b);
	CHECK(
	    strcmp(
		out,
		"(pattern=ResourcePattern(resourceType=TRANSACTIONAL_ID, "
		"name=tx, patternType=LITERAL), entry=(principal=User:alice, "
		"host=*, operation=IDEMPOTENT_WRITE, permissionType=ALLOW))") ==
	    0);
	CHECK_EQ(n, (int)strlen(out));
	/* truncated: same length reported, still NUL-terminated */
	CHECK_EQ(acl_binding_format(out, 10, &b), n);
	CHECK_EQ(strlen(out), 9);
}

static void test_names(void)
{
	enum acl_op ops[ACL_OP_COUNT];

	CHECK(acl_op_parse("IdempotentWrite") == ACL_OP_IDEMPOTENT_WRITE);
	CHECK(acl_op_parse("IDEMPOTENTWRITE") == ACL_OP_IDEMPOTENT_WRITE);
	CHECK(acl_op_parse("idempotentwrite") == ACL_OP_IDEMPOTENT_WRITE);
	CHECK(acl_op_parse("IDEMPOTENT_WRITE") == ACL_OP_UNKNOWN);
	CHECK(acl_op_parse("All") == ACL_OP_ALL);
	CHECK(acl_op_parse("Any") == ACL_OP_ANY);
	CHECK(acl_op_parse("") == ACL_OP_UNKNOWN);
	CHECK(acl_rtype_parse("TransactionalId") == ACL_RT_TRANSACTIONAL_ID);
	CHECK(acl_ptype_parse("prefixed") == ACL_PT_PREFIXED);
	CHECK(acl_ptype_parse("Match") == ACL_PT_MATCH);
	CHECK(acl_ptype_parse("bogus") == ACL_PT_UNKNOWN);
	CHECK(acl_op_from_code(15) == ACL_OP_UNKNOWN);
	CHECK(acl_op_from_code(-1) == ACL_OP_UNKNOWN);
	CHECK(acl_rtype_from_code(8) == ACL_RT_UNKNOWN);
	CHECK(strcmp(acl_op_name(ACL_OP_DESCRIBE_CONFIGS),
		     "DESCRIBE_CONFIGS") == 0);
	CHECK(strcmp(acl_op_pascal(ACL_OP_CLUSTER_ACTION), "ClusterAction") ==
	      0);
	CHECK_EQ(acl_rtype_valid_ops(ACL_RT_TOPIC, ops), 8);
	CHECK_EQ(acl_rtype_valid_ops(ACL_RT_CLUSTER, ops), 7);
	CHECK(ops[4] == ACL_OP_IDEMPOTENT_WRITE);
	CHECK_EQ(acl_rtype_valid_ops(ACL_RT_USER, ops), 2);
	CHECK_EQ(acl_rtype_valid_ops(ACL_RT_ANY, ops), 0);
}

/* More than Kafka's MAX_RECORDS_PER_USER_OP in one call: refused whole. */
static void test_batch_cap(void)
{
	size_t n = AUTHZ_BATCH_MAX + 1;
	struct acl_binding *b = calloc(n, sizeof(*b));
	struct authz_create_result *res = calloc(n, sizeof(*res));
	char(*names)[16] = calloc(n, 16);
	struct authz *z = new_authz(NULL);
	struct authz_delete_result dr;
	struct acl_filter f;
	struct arena a;

	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], 16, "t%zu", i);
		b[i] = bnd(ACL_RT_TOPIC, ACL_PT_LITERAL, names[i], "User:a",
			   "*", ACL_OP_READ, ACL_PERM_ALLOW);
	}
	CHECK(authz_acls_create(z, b, n, res) == -E2BIG);
	CHECK(res[0].rc == -E2BIG && strstr(res[0].msg, "10000") != NULL);
	CHECK_EQ(authz_count(z), 0);
	/* 10,000 is fine; one more, then deleting all 10,001 at once is not */
	CHECK(authz_acls_create(z, b, n - 1, res) == 0);
	CHECK(authz_acls_create(z, b + n - 1, 1, res) == 0);
	CHECK_EQ(authz_count(z), n);
	arena_init(&a, 0);
	acl_filter_any(&f);
	uint64_t v = authz_version(z);
	CHECK(authz_acls_delete(z, &f, 1, &a, &dr) == -E2BIG);
	CHECK_EQ(authz_count(z), n);
	CHECK_EQ(authz_version(z), v);
	f.name = "t7";
	CHECK(authz_acls_delete(z, &f, 1, &a, &dr) == 0 && dr.count == 1);
	CHECK_EQ(authz_count(z), n - 1);
	arena_fini(&a);
	authz_destroy(z);
	free(b);
	free(res);
	free(names);
}

/* Many principals on one pattern: each decision sees its own bindings and
 * User:*'s; deleting from the middle of a group keeps the rest. */
static void test_principal_groups(void)
{
	struct authz *z = new_authz(NULL);
	struct authz_create_result res;
	struct authz_delete_result dr[2];
	struct authz_subject s;
	struct acl_filter f[2];
	struct arena a;
	char pr[32];

	for (int i = 0; i < 500; i++) {
		snprintf(pr, sizeof(pr), "User:u%d", i);
		struct acl_binding b =
		    bnd(ACL_RT_TOPIC, ACL_PT_LITERAL, "*", pr, "*",
			i % 2 ? ACL_OP_READ : ACL_OP_WRITE, ACL_PERM_ALLOW);
		CHECK(authz_acls_create(z, &b, 1, &res) == 0 && res.created);
		b.host = "10.0.0.1";
		CHECK(authz_acls_create(z, &b, 1, &res) == 0 && res.created);
	}
	struct acl_binding any =
	    bnd(ACL_RT_TOPIC, ACL_PT_LITERAL, "*", "User:*", "*",
		ACL_OP_DESCRIBE, ACL_PERM_ALLOW);
	CHECK(authz_acls_create(z, &any, 1, &res) == 0);
	authz_subject_init(&s, "User:u7", "10.0.0.2");
	CHECK(
	    authz_authorize(z, NULL, &s, ACL_OP_READ, ACL_RT_TOPIC, "x", NULL));
	CHECK(!authz_authorize(z, NULL, &s, ACL_OP_WRITE, ACL_RT_TOPIC, "x",
			       NULL));
	authz_subject_init(&s, "User:nobody", "10.0.0.2");
	CHECK(authz_authorize(z, NULL, &s, ACL_OP_DESCRIBE, ACL_RT_TOPIC, "x",
			      NULL));
	CHECK(!authz_authorize(z, NULL, &s, ACL_OP_READ, ACL_RT_TOPIC, "x",
			       NULL));
	/* delete u7's "*"-host binding: its 10.0.0.1 one still decides */
	acl_filter_any(&f[0]);
	f[0].principal = "User:u7";
	f[0].host = "*";
	acl_filter_any(&f[1]);
	f[1].principal = "User:u7";
	arena_init(&a, 0);
	CHECK(authz_acls_delete(z, f, 1, &a, dr) == 0 && dr[0].count == 1);
	authz_subject_init(&s, "User:u7", "10.0.0.2");
	CHECK(!authz_authorize(z, NULL, &s, ACL_OP_READ, ACL_RT_TOPIC, "x",
			       NULL));
	authz_subject_init(&s, "User:u7", "10.0.0.1");
	CHECK(
	    authz_authorize(z, NULL, &s, ACL_OP_READ, ACL_RT_TOPIC, "x", NULL));
	/* two filters over the same binding: listed twice, first once */
	CHECK(authz_acls_delete(z, (struct acl_filter[]){f[1], f[1]}, 2, &a,
				dr) == 0);
	CHECK(dr[0].count == 1 && dr[1].count == 1);
	CHECK(dr[0].first[0] && !dr[1].first[0]);
	CHECK(!authz_authorize(z, NULL, &s, ACL_OP_READ, ACL_RT_TOPIC, "x",
			       NULL));
	CHECK_EQ(authz_count(z), 999);
	arena_fini(&a);
	authz_destroy(z);
}

/* MDB_MAP_FULL in the middle of a create: nothing changes, in memory or
 * on disk, and the authorizer keeps deciding as before. */
static void test_store_full(void)
{
	char dir[] = "/tmp/sealog-authz-full-XXXXXX";
	struct meta *m = NULL;
	struct authz *z;
	struct authz_create_result *res = calloc(200, sizeof(*res));
	struct acl_binding *b = calloc(200, sizeof(*b));
	char(*names)[300] = calloc(200, 300);
	int rc = 0, rounds = 0;

	CHECK(mkdtemp(dir) != NULL);
	CHECK(meta_open(dir, 256 << 10, &m) == 0);
	z = new_authz(m);
	while (rc == 0 && rounds < 100) {
		for (int i = 0; i < 200; i++) {
			snprintf(names[i], 300, "%0250d-%d-%d", 0, rounds, i);
			b[i] = bnd(ACL_RT_TOPIC, ACL_PT_PREFIXED, names[i],
				   "User:a", "*", ACL_OP_READ, ACL_PERM_DENY);
		}
		size_t before = authz_count(z);
		uint64_t v = authz_version(z);
		rc = authz_acls_create(z, b, 200, res);
		if (rc) {
			CHECK_EQ(rc, -ENOSPC);
			CHECK_EQ(authz_count(z), before);
			CHECK_EQ(authz_version(z), v);
			CHECK_EQ(res[0].rc, -ENOSPC);
			CHECK(!res[0].created);
		}
		rounds++;
	}
	CHECK_EQ(rc, -ENOSPC);
	size_t kept = authz_count(z);
	struct acl_filter f;
	int n = 0;
	CHECK(rounds > 1 && kept == (size_t)(rounds - 1) * 200);
	acl_filter_any(&f);
	f.name = names[1]; /* from the failed round: not in the index */
	authz_acls_visit(z, &f, count_visit, &n);
	CHECK_EQ(n, 0);
	snprintf(names[1], 300, "%0250d-%d-%d", 0, 0, 1); /* committed */
	authz_acls_visit(z, &f, count_visit, &n);
	CHECK_EQ(n, 1);
	struct authz_subject s;
	authz_subject_init(&s, "User:a", "1.1.1.1");
	CHECK(!authz_authorize(z, NULL, &s, ACL_OP_READ, ACL_RT_TOPIC, names[1],
			       NULL)); /* the DENY decides */
	authz_destroy(z);
	z = new_authz(m); /* the store agrees with what memory had */
	CHECK_EQ(authz_count(z), kept);
	authz_destroy(z);
	meta_close(m);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(res);
	free(b);
	free(names);
}

int main(void)
{
	test_batch_cap();
	test_principal_groups();
	test_store_full();
	test_validation();
	test_filters();
	test_filter_check();
	test_delete();
	test_persistence();
	test_encoding();
	test_format();
	test_names();
	return check_finish();
}
