/* props_test.c - Java Properties parsing, the ordered list, environment
 * variable names and props_from_env().
 *
 * Expected values follow java.util.Properties.load(): each case names
 * the rule it pins down.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/config.h"
#include "tests/unit/check.h"

static struct props *parse(const char *text, int want_rc, char *err)
{
	struct props *p = props_new();
	char e[256] = "";
	int rc;

	CHECK(p != NULL);
	rc = props_parse(p, text, strlen(text), e, sizeof(e));
	CHECK_EQ(rc, want_rc);
	if (rc != want_rc)
		fprintf(stderr, "  text: %s\n  err: %s\n", text, e);
	if (err)
		strcpy(err, e);
	return p;
}

/* text parses to exactly key=value (one entry). */
static void one(const char *text, const char *key, const char *value)
{
	struct props *p = parse(text, 0, NULL);
	const char *v = props_get(p, key);

	CHECK_EQ(props_count(p), 1);
	CHECK(v && strcmp(v, value) == 0);
	if (!v || strcmp(v, value) != 0)
		fprintf(stderr, "  text [%s]: key [%s] got [%s] want [%s]\n",
			text, key, v ? v : "(null)", value);
	props_free(p);
}

static void bad(const char *text, const char *msg_part)
{
	char err[256];
	struct props *p = parse(text, -EINVAL, err);

	CHECK(strstr(err, msg_part) != NULL);
	if (!strstr(err, msg_part))
		fprintf(stderr, "  err [%s] lacks [%s]\n", err, msg_part);
	props_free(p);
}

static void test_comments_and_blanks(void)
{
	struct props *p = parse("# comment\n! also a comment\n   # indented\n"
				"\n   \n\t\f\na=1\n#b=2\n",
				0, NULL);
	CHECK_EQ(props_count(p), 1);
	CHECK(strcmp(props_get(p, "a"), "1") == 0);
	CHECK(props_get(p, "#b") == NULL);
	props_free(p);
	/* a comment never continues, even ending in a backslash */
	p = parse("# comment \\\nx=1\n", 0, NULL);
	CHECK(props_get(p, "x") && strcmp(props_get(p, "x"), "1") == 0);
	props_free(p);
	/* # inside a value or a key is data */
	one("a=#not a comment", "a", "#not a comment");
	one("a#b=c", "a#b", "c");
}

static void test_separators(void)
{
	one("a=1", "a", "1");
	one("a:1", "a", "1");
	one("a 1", "a", "1");
	one("a\t1", "a", "1");
	one("a\f1", "a", "1");
	one("a = 1", "a", "1");
	one("a : 1", "a", "1");
	one("   a   =   1", "a", "1");
	one("a==1", "a", "=1");        /* only one separator is eaten */
	one("a = =1", "a", "=1");
	one("a :=1", "a", "=1");
	one("a b c", "a", "b c");      /* first blank ends the key */
	one("a", "a", "");             /* no separator, no value */
	one("a=", "a", "");
	one("a:", "a", "");
	one("a   ", "a", "");
	one("a=1   ", "a", "1   ");    /* trailing blanks are kept */
	one("url=http://x:9/y", "url", "http://x:9/y");
}

static void test_escaped_keys(void)
{
	one("a\\=b=c", "a=b", "c");
	one("a\\:b:c", "a:b", "c");
	one("key\\ with\\ spaces = v", "key with spaces", "v");
	one("a\\\\=b", "a\\", "b");     /* escaped backslash, then = */
	one("\\#x=1", "#x", "1");
}

static void test_continuations(void)
{
	struct props *p;

	one("a=one \\\n    two", "a", "one two");
	one("a=one\\\n\t\f  two\\\n three", "a", "onetwothree");
	one("a\\\n  b=c", "ab", "c");         /* continuation inside the key */
	one("a=x\\\\\n", "a", "x\\");          /* even backslashes: no continuation */
	one("a=x\\\\\\\n  y", "a", "x\\y");    /* odd: continuation */
	one("a=1\\\n# not a comment", "a", "1# not a comment");
	/* an empty line after a continuation ends the value */
	p = parse("x=a\\\n\ny=b\n", 0, NULL);
	CHECK(strcmp(props_get(p, "x"), "a") == 0);
	CHECK(strcmp(props_get(p, "y"), "b") == 0);
	CHECK_EQ(props_line(p, "y"), 3);
	props_free(p);
	/* a backslash at the very end of the text stands for nothing */
	one("a=b\\", "a", "b");
	p = parse("a=b\\\n", 0, NULL);
	CHECK(strcmp(props_get(p, "a"), "b") == 0);
	props_free(p);
	/* a lone backslash line is not an empty key */
	p = parse("\\\n", 0, NULL);
	CHECK_EQ(props_count(p), 0);
	props_free(p);
}

static void test_escapes(void)
{
	one("a=\\t\\n\\r\\f\\\\", "a", "\t\n\r\f\\");
	one("a=\\q\\=\\:\\ \\#\\!", "a", "q=: #!");
	one("a=\\u0041\\u0062", "a", "Ab");
	one("a=\\u00e9", "a", "\xc3\xa9");             /* é: 2 bytes */
	one("a=\\u20AC", "a", "\xe2\x82\xac");         /* €: 3 bytes */
	one("a=\\uD83D\\uDE00", "a", "\xf0\x9f\x98\x80"); /* U+1F600 */
	one("\\u006b=v", "k", "v");                     /* also in keys */
	one("a=caf\xc3\xa9", "a", "caf\xc3\xa9");        /* raw UTF-8 kept */
	one("a=-----BEGIN X-----\\n\\\n  abc\\n\\\n  -----END X-----",
	    "a", "-----BEGIN X-----\nabc\n-----END X-----"); /* bitnami PEM */
	bad("a=\\u12G4", "malformed \\uxxxx");
	bad("a=\\u12", "malformed \\uxxxx");
	bad("a=\\u0000", "\\u0000");
	bad("a=\\uD83D", "surrogate");
	bad("a=\\uD83Dx", "surrogate");
	bad("a=\\uDE00\\uD83D", "surrogate");
	bad("ok=1\nbad=\\uZZZZ\n", "line 2");
}

static void test_last_wins_and_lines(void)
{
	struct props *p = parse("a=1\nb=2\r\n\na=3\\\n  x\nc=4", 0, NULL);
	const char *k, *v;

	CHECK_EQ(props_count(p), 3);
	props_at(p, 0, &k, &v);
	CHECK(strcmp(k, "a") == 0 && strcmp(v, "3x") == 0);
	props_at(p, 1, &k, &v);
	CHECK(strcmp(k, "b") == 0 && strcmp(v, "2") == 0);
	props_at(p, 2, &k, &v);
	CHECK(strcmp(k, "c") == 0 && strcmp(v, "4") == 0);
	props_at(p, 3, &k, &v);
	CHECK(k == NULL && v == NULL);
	CHECK_EQ(props_line(p, "a"), 4);
	CHECK_EQ(props_line(p, "b"), 2);
	CHECK_EQ(props_line(p, "c"), 6);
	CHECK_EQ(props_line(p, "zz"), 0);
	props_free(p);
}

static void test_line_endings(void)
{
	struct props *p = parse("a=1\r\nb=2\r\n", 0, NULL);

	CHECK(strcmp(props_get(p, "a"), "1") == 0);
	CHECK(strcmp(props_get(p, "b"), "2") == 0);
	props_free(p);
	p = parse("a=1\rb=2\r\rc=3", 0, NULL); /* old Mac */
	CHECK_EQ(props_count(p), 3);
	CHECK(strcmp(props_get(p, "b"), "2") == 0);
	CHECK_EQ(props_line(p, "c"), 4);
	props_free(p);
	one("a=x\\\r\n   y\r\n", "a", "xy");
	one("a=x\\\r   y\r", "a", "xy");
	one("\xef\xbb\xbf" "a=1", "a", "1"); /* UTF-8 BOM skipped */
}

static void test_nul_and_empty(void)
{
	struct props *p = props_new();
	char err[128] = "";

	CHECK_EQ(props_parse(p, "a=1\nb=\0x\n", 8, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "line 2") && strstr(err, "NUL"));
	CHECK_EQ(props_parse(p, "", 0, NULL, 0), 0);
	CHECK_EQ(props_parse(p, NULL, 0, NULL, 0), 0);
	CHECK_EQ(props_parse(NULL, "a=1", 3, NULL, 0), -EINVAL);
	/* no NUL needed at the end: len is the bound */
	CHECK_EQ(props_parse(p, "zz=1garbage", 4, NULL, 0), 0);
	CHECK(strcmp(props_get(p, "zz"), "1") == 0);
	props_free(p);
}

static void test_list_api(void)
{
	struct props *p = props_new();
	const char *k, *v;
	char key[32];

	CHECK_EQ(props_set(p, "a", "1"), 0);
	CHECK_EQ(props_set(p, "b", "2"), 0);
	CHECK_EQ(props_set(p, "a", "3"), 0);
	CHECK_EQ(props_count(p), 2);
	props_at(p, 0, &k, &v);
	CHECK(strcmp(k, "a") == 0 && strcmp(v, "3") == 0);
	CHECK_EQ(props_set(p, NULL, "x"), -EINVAL);
	CHECK_EQ(props_set(p, "x", NULL), -EINVAL);
	CHECK_EQ(props_set(NULL, "x", "y"), -EINVAL);
	CHECK(props_get(p, NULL) == NULL);
	CHECK(props_get(NULL, "a") == NULL);
	CHECK_EQ(props_count(NULL), 0);
	for (int i = 0; i < 1000; i++) { /* growth and hashing */
		snprintf(key, sizeof(key), "k%d", i);
		CHECK_EQ(props_set(p, key, key), 0);
	}
	CHECK_EQ(props_count(p), 1002);
	CHECK(strcmp(props_get(p, "k777"), "k777") == 0);
	props_at(p, 1001, &k, &v);
	CHECK(strcmp(k, "k999") == 0);
	props_free(p);
	props_free(NULL);
}

static void test_unescape(void)
{
	char *out = NULL, err[64] = "";

	CHECK_EQ(props_unescape("a\\tb\\u00e9", 10, &out, err, sizeof(err)), 0);
	CHECK(out && strcmp(out, "a\tb\xc3\xa9") == 0);
	free(out);
	CHECK_EQ(props_unescape("x\\", 2, &out, NULL, 0), 0);
	CHECK(out && strcmp(out, "x") == 0);
	free(out);
	CHECK_EQ(props_unescape("\\uXYZW", 6, &out, err, sizeof(err)), -EINVAL);
	CHECK(out == NULL && strstr(err, "malformed"));
}

static void env_key_is(const char *name, const char *want)
{
	char out[256] = "";
	int rc = props_env_key(name, out, sizeof(out));

	CHECK_EQ(rc, 0);
	CHECK(strcmp(out, want) == 0);
	if (rc || strcmp(out, want) != 0)
		fprintf(stderr, "  %s -> [%s], want [%s]\n", name, out, want);
}

static void test_env_key(void)
{
	char out[16];

	/* the worked examples of the apache/kafka image */
	env_key_is("KAFKA_NODE_ID", "node.id");
	env_key_is("KAFKA_LISTENER_NAME_SASL__SSL_PLAIN_SASL_JAAS_CONFIG",
		   "listener.name.sasl_ssl.plain.sasl.jaas.config");
	env_key_is("KAFKA_LISTENER_NAME_SASL__SSL_SCRAM___SHA___256_SASL_JAAS_CONFIG",
		   "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config");
	env_key_is("KAFKA_ADVERTISED_LISTENERS", "advertised.listeners");
	/* a literal - passes through (testcontainers-node) */
	env_key_is("KAFKA_LISTENER_NAME_SECURE_SCRAM-SHA-256_SASL_JAAS_CONFIG",
		   "listener.name.secure.scram-sha-256.sasl.jaas.config");
	/* the image removes every KAFKA_, not just the prefix */
	env_key_is("KAFKA_FOO_KAFKA_BAR", "foo.bar");
	/* bitnami */
	env_key_is("KAFKA_CFG_AUTO_CREATE_TOPICS_ENABLE",
		   "auto.create.topics.enable");
	env_key_is("KAFKA_CFG_LISTENER_NAME_SASL_SSL_PLAIN_SASL_JAAS_CONFIG",
		   "listener.name.sasl_ssl.plain.sasl.jaas.config");
	env_key_is("KAFKA_CFG_LISTENER_NAME_SASL_PLAINTEXT_SSL_CLIENT_AUTH",
		   "listener.name.sasl_plaintext.ssl.client.auth");
	/* not mapped */
	CHECK_EQ(props_env_key("KAFKA_OPTS", out, sizeof(out)), -ENOENT);
	CHECK_EQ(props_env_key("KAFKA_HEAP_OPTS", out, sizeof(out)), -ENOENT);
	CHECK_EQ(props_env_key("KAFKA_LOG4J_ROOT_LOGLEVEL", out, sizeof(out)),
		 -ENOENT);
	CHECK_EQ(props_env_key("KAFKA_JMX_HOSTNAME", out, sizeof(out)), -ENOENT);
	CHECK_EQ(props_env_key("KAFKA_VERSION", out, sizeof(out)), -ENOENT);
	CHECK_EQ(props_env_key("KAFKA_", out, sizeof(out)), -ENOENT);
	CHECK_EQ(props_env_key("PATH", out, sizeof(out)), -ENOENT);
	CHECK_EQ(props_env_key("kafka_node_id", out, sizeof(out)), -ENOENT);
	CHECK_EQ(props_env_key("KAFKA_A_VERY_LONG_NAME_HERE", out, sizeof(out)),
		 -ENAMETOOLONG);
}

static void test_from_env(void)
{
	char *envp[] = {
		"PATH=/bin",
		"KAFKA_NODE_ID=3",
		"KAFKA_CFG_NODE_ID=4",          /* bitnami's wins */
		"KAFKA_OPTS=-Xmx1g",            /* excluded */
		"KAFKA_LOG4J_ROOT_LOGLEVEL=WARN",
		"KAFKA_SSL_KEYSTORE_KEY=  -----BEGIN-----\\nabc",
		"KAFKA_ADVERTISED_LISTENERS=PLAINTEXT://localhost:19092, BROKER://[::1]:9093",
		NULL,
	};
	char *badenv[] = { "KAFKA_X=\\uZZZZ", NULL };
	struct props *p = props_new(), *o = props_new();
	char err[256] = "";

	CHECK_EQ(props_from_env(envp, p, o, err, sizeof(err)), 0);
	CHECK(strcmp(props_get(p, "node.id"), "4") == 0);
	CHECK(strcmp(props_get(o, "node.id"),
		     "from environment variable KAFKA_CFG_NODE_ID") == 0);
	CHECK(props_get(p, "opts") == NULL);
	CHECK(strcmp(props_get(p, "log.level"), "WARN") == 0);
	CHECK(strcmp(props_get(p, "ssl.keystore.key"), "-----BEGIN-----\nabc") == 0);
	CHECK(strcmp(props_get(p, "listeners"),
		     "PLAINTEXT://0.0.0.0:19092, BROKER://0.0.0.0:9093") == 0);
	CHECK(strstr(props_get(o, "listeners"), "derived") != NULL);
	CHECK(props_get(p, "path") == NULL);
	props_free(p);
	props_free(o);
	p = props_new();
	CHECK_EQ(props_from_env(badenv, p, NULL, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "KAFKA_X") && !strstr(err, "ZZZZ"));
	props_free(p);
}

static void test_load_file(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[512], path[600], err[1024];
	struct props *p = props_new();
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/props_test_XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/s.properties", dir);
	CHECK_EQ(props_load_file(p, path, 1024, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, path) != NULL);
	CHECK_EQ(props_load_file(p, dir, 1024, err, sizeof(err)), -EISDIR);
	f = fopen(path, "w");
	fputs("a=1\nb=\\u00\n", f);
	fclose(f);
	CHECK_EQ(props_load_file(p, path, 1024, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, path) && strstr(err, "line 2"));
	CHECK_EQ(props_load_file(p, path, 4, err, sizeof(err)), -EMSGSIZE);
	f = fopen(path, "w");
	fputs("a=1\nb=2\n", f);
	fclose(f);
	CHECK_EQ(props_load_file(p, path, 1024, err, sizeof(err)), 0);
	CHECK(strcmp(props_get(p, "b"), "2") == 0);
	unlink(path);
	rmdir(dir);
	props_free(p);
}

/* Random text built from the characters that matter: never a crash or a
 * leak (ASan), only 0 or -EINVAL, and every key and value a C string. */
static void test_random_text(void)
{
	static const char alphabet[] = "ab=: \t\\\r\n#!u0D8E\x00\xc3\xa9";
	uint32_t seed = 12345;
	char text[256];

	for (int iter = 0; iter < 5000; iter++) {
		struct props *p = props_new();
		size_t len = (seed >> 8) % sizeof(text);
		int rc;
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			text[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		seed = seed * 1103515245u + 12345u;
		rc = props_parse(p, text, len, NULL, 0);
		CHECK(rc == 0 || rc == -EINVAL);
		for (size_t i = 0; i < props_count(p); i++) {
			const char *k, *v;
			props_at(p, i, &k, &v);
			CHECK(k && v && props_get(p, k) == v);
		}
		props_free(p);
	}
}

int main(void)
{
	test_comments_and_blanks();
	test_separators();
	test_escaped_keys();
	test_continuations();
	test_escapes();
	test_last_wins_and_lines();
	test_line_endings();
	test_nul_and_empty();
	test_list_api();
	test_unescape();
	test_env_key();
	test_from_env();
	test_load_file();
	test_random_text();
	return check_finish();
}
