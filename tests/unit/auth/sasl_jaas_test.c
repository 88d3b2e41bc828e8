/* sasl_jaas_test.c - the JAAS parser (auth/sasl_jaas.h): Kafka's property
 * form, the file form with sections and comments, StreamTokenizer
 * quoting, KAFKA_OPTS, and errors that name the line but never a value. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/sasl_jaas.h"
#include "tests/unit/check.h"

/* A fresh directory/file template under $TMPDIR (default /tmp). */
static void tmp_template(char *out, size_t cap, const char *name)
{
	const char *t = getenv("TMPDIR");

	snprintf(out, cap, "%s/%s-XXXXXX", t && *t ? t : "/tmp", name);
}

static struct jaas_config *prop(const char *text, int want_rc, char *err)
{
	struct jaas_config *c = NULL;
	char e[300] = "";

	CHECK_EQ(jaas_parse_property(text, strlen(text), &c, e, sizeof(e)),
		 want_rc);
	if (err)
		strcpy(err, e);
	return c;
}

static void test_property(void)
{
	struct jaas_config *c;
	const struct jaas_section *s;
	char err[300];

	c = prop(
	    "org.apache.kafka.common.security.plain.PlainLoginModule required\n"
	    "  username=\"admin\" password=\"admin-secret\"\n"
	    "  user_admin=\"admin-secret\" user_alice=\"alice \\\"q\\\" \\\\ "
	    "secret\";",
	    0, NULL);
	s = jaas_section_find(c, NULL);
	CHECK(s && s->count == 1);
	CHECK(strcmp(s->entries[0].flag, "required") == 0);
	CHECK(strcmp(jaas_option(s, JAAS_PLAIN_MODULE, "user_admin"),
		     "admin-secret") == 0);
	CHECK(strcmp(jaas_option(s, JAAS_PLAIN_MODULE, "user_alice"),
		     "alice \"q\" \\ secret") == 0);
	CHECK(jaas_option(s, JAAS_PLAIN_MODULE, "user_bob") == NULL);
	CHECK(jaas_option(s, "other.Module", "user_admin") == NULL);
	jaas_free(c);
	/* Words as values, single quotes, flags in any case, escapes. */
	c = prop(
	    "x.y.Z OPTIONAL a=plainword b='single' c=\"tab\\tnl\\n\\101\";", 0,
	    NULL);
	s = jaas_section_find(c, NULL);
	CHECK(strcmp(s->entries[0].flag, "optional") == 0);
	CHECK(strcmp(jaas_option(s, "x.y.Z", "a"), "plainword") == 0);
	CHECK(strcmp(jaas_option(s, "x.y.Z", "b"), "single") == 0);
	CHECK(strcmp(jaas_option(s, "x.y.Z", "c"), "tab\tnl\nA") == 0);
	jaas_free(c);
	c = prop(
	    "org.apache.kafka.common.security.scram.ScramLoginModule required;",
	    0, NULL);
	CHECK(c && jaas_section_find(c, NULL)->entries[0].count == 0);
	jaas_free(c);
	c = prop("M required a=\"\";", 0, NULL);
	CHECK(strcmp(jaas_option(jaas_section_find(c, NULL), "M", "a"), "") ==
	      0);
	jaas_free(c);
	/* Errors: they name the line, never a value. */
	prop("M required user_a=\"topsecret\"", -EINVAL, err);
	CHECK(strstr(err, "line 1") && !strstr(err, "topsecret"));
	prop("M maybe a=b;", -EINVAL, err);
	CHECK(strstr(err, "invalid control flag"));
	prop("M required a=\"open;", -EINVAL, NULL);
	prop("M required a=\"line\nbreak\";", -EINVAL, NULL);
	prop("M required a;", -EINVAL, NULL);
	prop("M required a=;", -EINVAL, NULL);
	prop("", -EINVAL, err);
	CHECK(strstr(err, "0 login modules"));
	prop("M required; N required;", -EINVAL, err);
	CHECK(strstr(err, "2 login modules"));
	prop("M required; /* unterminated", -EINVAL, NULL);
}

static const char file_text[] =
    "// the broker's sections\n"
    "KafkaServer {\n"
    "   org.apache.kafka.common.security.plain.PlainLoginModule required\n"
    "   username=\"admin\"\n"
    "   password=\"admin-secret\"\n"
    "   user_admin=\"admin-secret\"   /* inline comment */\n"
    "   user_alice=\"alice-secret\";\n"
    "   org.apache.kafka.common.security.scram.ScramLoginModule required;\n"
    "};\n"
    "sasl_ssl.KafkaServer {\n"
    "   org.apache.kafka.common.security.plain.PlainLoginModule required\n"
    "   user_bob=\"bob-secret\";\n"
    "};\n"
    "Client { org.apache.zookeeper.server.auth.DigestLoginModule required\n"
    "  username=\"zk\" password=\"zk\"; };\n"
    "Empty { };\n";

static void test_file(void)
{
	struct jaas_config *c = NULL;
	const struct jaas_section *s;
	char err[300], path[256];
	int fd;

	CHECK_EQ(jaas_parse_file_text(file_text, strlen(file_text), &c, err,
				      sizeof(err)),
		 0);
	CHECK_EQ(c->count, 4);
	s = jaas_section_find(c, "KafkaServer");
	CHECK(s && s->count == 2);
	CHECK(strcmp(jaas_option(s, JAAS_PLAIN_MODULE, "user_alice"),
		     "alice-secret") == 0);
	s = jaas_section_find(c, "sasl_ssl.KafkaServer");
	CHECK(strcmp(jaas_option(s, JAAS_PLAIN_MODULE, "user_bob"),
		     "bob-secret") == 0);
	CHECK(jaas_section_find(c, "kafkaserver") == NULL);
	CHECK(jaas_section_find(c, "Empty")->count == 0);
	jaas_free(c);
	CHECK_EQ(jaas_parse_file_text("KafkaServer { M required; }", 27, &c,
				      err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "expected ';' after section KafkaServer") != NULL);
	CHECK_EQ(jaas_parse_file_text("KafkaServer M required; };", 26, &c, err,
				      sizeof(err)),
		 -EINVAL);
	CHECK_EQ(jaas_parse_file_text("A {\n\n M required x=\"s\n\";};", 26, &c,
				      err, sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "line 3") != NULL);
	/* From a file; a missing one names the file. */
	tmp_template(path, sizeof(path), "sealog-jaas");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, file_text, strlen(file_text)),
		 (long long)strlen(file_text));
	close(fd);
	CHECK_EQ(jaas_load_file(path, &c, err, sizeof(err)), 0);
	CHECK(jaas_section_find(c, "KafkaServer") != NULL);
	jaas_free(c);
	unlink(path);
	CHECK_EQ(jaas_load_file(path, &c, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, path) != NULL);
}

static void test_kafka_opts(void)
{
	char out[256];

	CHECK_EQ(jaas_path_from_kafka_opts(
		     "-Djava.security.auth.login.config=/etc/k/jaas.conf", out,
		     sizeof(out)),
		 0);
	CHECK(strcmp(out, "/etc/k/jaas.conf") == 0);
	CHECK_EQ(jaas_path_from_kafka_opts(
		     "-Xmx1G -Djava.security.auth.login.config=\"/a b/j.conf\" "
		     "-Dx=y",
		     out, sizeof(out)),
		 0);
	CHECK(strcmp(out, "/a b/j.conf") == 0);
	CHECK_EQ(
	    jaas_path_from_kafka_opts("-Djava.security.auth.login.config=/one "
				      "-Djava.security.auth.login.config=/two",
				      out, sizeof(out)),
	    0);
	CHECK(strcmp(out, "/two") == 0);
	CHECK_EQ(jaas_path_from_kafka_opts("-Dfoo=bar", out, sizeof(out)),
		 -ENOENT);
	CHECK_EQ(jaas_path_from_kafka_opts(
		     "-Xjava.security.auth.login.config=/x", out, sizeof(out)),
		 -ENOENT);
	CHECK_EQ(jaas_path_from_kafka_opts(
		     "-Djava.security.auth.login.config=", out, sizeof(out)),
		 -ENOENT);
	CHECK_EQ(jaas_path_from_kafka_opts(
		     "-Djava.security.auth.login.config=/long/path", out, 5),
		 -ENAMETOOLONG);
}

int main(void)
{
	test_property();
	test_file();
	test_kafka_opts();
	return check_finish();
}
