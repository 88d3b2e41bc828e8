/* authz_audit_test.c - the audit log: record fields, JSON escaping of
 * hostile strings, secret redaction, allows only when asked, rotation.
 * (tests/interop/test_acls.py parses real broker audit lines as JSON.)
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/audit.h"
#include "tests/unit/check.h"

static char dir[] = "/tmp/sealog-audit-XXXXXX";
static char path[256];

static char *slurp(const char *p)
{
	FILE *f = fopen(p, "rb");
	char *s;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	s = calloc(1, (size_t)n + 1);
	if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	fclose(f);
	return s;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

static const struct audit_ctx ctx = {
    .principal = "User:alice",
    .client = "127.0.0.1",
    .client_port = 4242,
    .listener = "PLAINTEXT",
    .api = "CreateAcls",
    .client_id = "cli\"ent\n\x01",
};

static void test_records(void)
{
	struct audit_config cfg = {path, 0, 3, false};
	struct audit *a;
	struct acl_binding b = {
	    ACL_RT_TOPIC, ACL_PT_PREFIXED, "t\\x",	 "User:bob",
	    "*",	  ACL_OP_READ,	   ACL_PERM_DENY};
	struct audit_kv kv[] = {
	    {"retention.ms", "set", "1000", false},
	    {"ssl.key.password", "set", "hunter2", false},
	    {"listener.name.x.plain.sasl.jaas.config", "set", "user_a=\"pw\"",
	     false},
	    {"ssl.keystore.key", "set", "-----BEGIN", false},
	    {"custom", "set", "opaque", true},
	    {"cleanup.policy", "delete", NULL, false},
	};
	char *s;

	CHECK(audit_open(&cfg, &a) == 0 && a);
	audit_acl(a, &ctx, "create", &b, NULL);
	audit_authz(a, &ctx, ACL_OP_ALTER, ACL_RT_CLUSTER, "kafka-cluster",
		    false, "no ACL");
	audit_authz(a, &ctx, ACL_OP_DESCRIBE, ACL_RT_TOPIC, "t", true, "x");
	audit_authn(a, &ctx, "SCRAM-SHA-256", false, "bad \xff\xfe proof");
	audit_config(a, &ctx, "topic", "t", kv, 6, NULL);
	audit_user(a, NULL, "upsert", "carol", "SCRAM-SHA-512",
		   "CLUSTER_AUTHORIZATION_FAILED");
	audit_topic(a, &ctx, "create", "t", "partitions=3", NULL);
	audit_close(a);
	s = slurp(path);
	CHECK(s != NULL);
	CHECK_EQ(count_lines(s), 6); /* the allow was not written */
	CHECK(strstr(s,
		     "\"event\":\"acl\",\"result\":\"SUCCESS\",\"principal\":"
		     "\"User:alice\",\"client\":\"127.0.0.1:4242\","
		     "\"listener\":\"PLAINTEXT\",\"api\":\"CreateAcls\","
		     "\"client_id\":\"cli\\\"ent\\u000a\\u0001\",\"action\":"
		     "\"create\",\"resource\":{\"type\":\"TOPIC\",\"name\":"
		     "\"t\\\\x\",\"pattern_type\":\"PREFIXED\"},\"entry\":{"
		     "\"principal\":\"User:bob\",\"host\":\"*\",\"operation\":"
		     "\"READ\",\"permission\":\"DENY\"}}\n") != NULL);
	CHECK(strstr(s, "\"event\":\"authorization\",\"result\":\"DENIED\"") !=
	      NULL);
	CHECK(
	    strstr(s,
		   "\"operation\":\"ALTER\",\"resource\":{\"type\":\"CLUSTER\","
		   "\"name\":\"kafka-cluster\"},\"rule\":\"no ACL\"}") != NULL);
	CHECK(strstr(s, "\"ALLOWED\"") == NULL);
	CHECK(strstr(s, "\"reason\":\"bad \\ufffd\\ufffd proof\"") != NULL);
	CHECK(strstr(s, "\"result\":\"FAILED\"") != NULL);
	CHECK(strstr(s, "{\"name\":\"retention.ms\",\"op\":\"set\",\"value\":"
			"\"1000\"}") != NULL);
	CHECK(strstr(s, "hunter2") == NULL && strstr(s, "user_a") == NULL &&
	      strstr(s, "BEGIN") == NULL && strstr(s, "opaque") == NULL);
	CHECK(strstr(s, "{\"name\":\"ssl.key.password\",\"op\":\"set\","
			"\"value\":\"****\"}") != NULL);
	CHECK(strstr(s, "{\"name\":\"cleanup.policy\",\"op\":\"delete\"}") !=
	      NULL);
	CHECK(strstr(s, "\"event\":\"user\",\"result\":\"CLUSTER_AUTHORIZATION_"
			"FAILED\",\"action\":\"upsert\",\"user\":\"carol\"") !=
	      NULL);
	CHECK(strstr(s, "\"event\":\"topic\",\"result\":\"SUCCESS\"") != NULL);
	CHECK(strncmp(s, "{\"time\":\"20", 11) == 0);
	CHECK(strstr(s, "Z\",\"event\"") != NULL);
	free(s);
	struct stat st;
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	unlink(path);
}

static void test_allows(void)
{
	struct audit_config cfg = {path, 0, 0, true};
	struct audit *a;
	char *s;

	CHECK(audit_open(&cfg, &a) == 0);
	CHECK(audit_wants_allows(a));
	audit_authz(a, NULL, ACL_OP_READ, ACL_RT_GROUP, "g", true,
		    "super user");
	audit_close(a);
	s = slurp(path);
	CHECK(
	    s &&
	    strstr(
		s,
		"\"result\":\"ALLOWED\",\"operation\":\"READ\",\"resource\":{"
		"\"type\":\"GROUP\",\"name\":\"g\"},\"rule\":\"super user\"}"));
	free(s);
	unlink(path);
}

static void test_rotation(void)
{
	struct audit_config cfg = {path, 1000, 2, false};
	struct audit *a;
	char p1[300], p2[300], p3[300];
	struct stat st;

	snprintf(p1, sizeof(p1), "%s.1", path);
	snprintf(p2, sizeof(p2), "%s.2", path);
	snprintf(p3, sizeof(p3), "%s.3", path);
	CHECK(audit_open(&cfg, &a) == 0);
	for (int i = 0; i < 100; i++)
		audit_topic(a, &ctx, "delete", "some-topic-name", NULL, NULL);
	audit_close(a);
	CHECK(stat(path, &st) == 0 && st.st_size <= 1000 && st.st_size > 0);
	CHECK(stat(p1, &st) == 0 && st.st_size <= 1000);
	CHECK(stat(p2, &st) == 0 && st.st_size <= 1000);
	CHECK(stat(p3, &st) < 0 && errno == ENOENT);
	char *s = slurp(p1);
	CHECK(s && s[strlen(s) - 1] == '\n' && strncmp(s, "{\"time\"", 7) == 0);
	free(s);
	/* reopening continues the current file's size accounting */
	CHECK(audit_open(&cfg, &a) == 0);
	audit_topic(a, &ctx, "delete", "x", NULL, NULL);
	audit_close(a);
	CHECK(stat(path, &st) == 0 && st.st_size <= 1000);
	unlink(path);
	unlink(p1);
	unlink(p2);
	/* max_files 0: truncate in place */
	cfg.max_files = 0;
	CHECK(audit_open(&cfg, &a) == 0);
	for (int i = 0; i < 50; i++)
		audit_topic(a, &ctx, "delete", "some-topic-name", NULL, NULL);
	audit_close(a);
	CHECK(stat(path, &st) == 0 && st.st_size <= 1000);
	CHECK(stat(p1, &st) < 0);
	unlink(path);
}

static void test_disabled(void)
{
	struct audit_config cfg = {NULL, 0, 0, false};
	struct audit *a = (struct audit *)&cfg;

	CHECK(audit_open(&cfg, &a) == 0 && a == NULL);
	audit_topic(a, &ctx, "create", "t", NULL, NULL); /* no-op */
	audit_close(a);
	cfg.path = "/nonexistent-dir/audit.log";
	CHECK(audit_open(&cfg, &a) == -ENOENT);
}

int main(void)
{
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/audit.log", dir);
	test_records();
	test_allows();
	test_rotation();
	test_disabled();
	rmdir(dir);
	return check_finish();
}
