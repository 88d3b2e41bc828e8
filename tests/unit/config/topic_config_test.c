/* topic_config_test.c - the topic-config table, value rules and parsers,
 * effective values and their sources, the broker key table and the
 * listener/cluster-id syntax helpers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "broker/config.h"
#include "tests/unit/check.h"

static void test_table_shape(void)
{
	const struct topic_config_def *prev = NULL;
	char err[256];
	int n = 0;

	for (const struct topic_config_def *d = topic_config_defs; d->name;
	     d++, n++) {
		CHECK(!prev || strcmp(prev->name, d->name) < 0); /* sorted */
		CHECK(d->doc && d->doc[0]);
		CHECK(d->default_value != NULL);
		CHECK_EQ(d->type, d->rule.type);
		CHECK(topic_config_find(d->name) == d);
		/* Kafka's default passes Kafka's rule */
		CHECK_EQ(topic_config_validate(d->name, d->default_value, err,
					       sizeof(err)), 0);
		if (d->broker_key)
			CHECK(topic_config_find_broker(d->broker_key) == d);
		prev = d;
	}
	CHECK(n >= 30);
	CHECK(topic_config_find("no.such.config") == NULL);
	CHECK(topic_config_find(NULL) == NULL);
	CHECK(topic_config_find_broker("log.retention.bytes") ==
	      topic_config_find("retention.bytes"));
	CHECK(topic_config_find_broker("num.partitions") == NULL);
	CHECK(strcmp(topic_config_default("segment.bytes"), "1073741824") == 0);
	CHECK(strcmp(topic_config_default("cleanup.policy"), "delete") == 0);
	CHECK(strcmp(topic_config_default("max.message.bytes"), "1048588") == 0);
	CHECK(strcmp(topic_config_default("retention.ms"), "604800000") == 0);
	CHECK(topic_config_default("nope") == NULL);
}

struct vcase {
	const char *name, *value;
	int rc;
	const char *msg; /* substring of err when rc != 0 */
};

static const struct vcase vcases[] = {
	{ "retention.ms", "-1", 0, NULL },
	{ "retention.ms", "0", 0, NULL },
	{ "retention.ms", "604800000", 0, NULL },
	{ "retention.ms", "9223372036854775807", 0, NULL },
	{ "retention.ms", "-2", -EINVAL,
	  "Invalid value -2 for configuration retention.ms: Value must be at least -1" },
	{ "retention.ms", "abc", -EINVAL,
	  "Invalid value abc for configuration retention.ms: Not a number of type LONG" },
	{ "retention.ms", "9223372036854775808", -EINVAL, "Not a number of type LONG" },
	{ "retention.ms", "", -EINVAL, "Not a number of type LONG" },
	{ "retention.ms", "1e3", -EINVAL, "Not a number of type LONG" },
	{ "retention.ms", " 5", -EINVAL, "whitespace" },
	{ "retention.ms", "5 ", -EINVAL, "whitespace" },
	{ "retention.bytes", "-1", 0, NULL },
	{ "retention.bytes", "-100", 0, NULL }, /* Kafka: no lower bound */
	{ "segment.bytes", "14", 0, NULL },
	{ "segment.bytes", "13", -EINVAL, "Value must be at least 14" },
	{ "segment.bytes", "2147483647", 0, NULL },
	{ "segment.bytes", "2147483648", -EINVAL, "Not a number of type INT" },
	{ "segment.ms", "0", -EINVAL, "at least 1" },
	{ "segment.index.bytes", "3", -EINVAL, "at least 4" },
	{ "max.message.bytes", "-1", -EINVAL, "at least 0" },
	{ "max.message.bytes", "200000000", 0, NULL },
	{ "flush.messages", "0", -EINVAL, "at least 1" },
	{ "max.compaction.lag.ms", "0", -EINVAL, "at least 1" },
	{ "local.retention.ms", "-2", 0, NULL },
	{ "local.retention.ms", "-3", -EINVAL, "at least -2" },
	{ "min.insync.replicas", "1", 0, NULL },
	{ "min.insync.replicas", "0", -EINVAL, "at least 1" },
	{ "cleanup.policy", "delete", 0, NULL },
	{ "cleanup.policy", "compact", 0, NULL },
	{ "cleanup.policy", "compact,delete", 0, NULL },
	{ "cleanup.policy", "delete,compact", 0, NULL },
	{ "cleanup.policy", "", 0, NULL },
	{ "cleanup.policy", "foo", -EINVAL,
	  "Invalid value foo for configuration cleanup.policy: String must be one of: compact, delete" },
	{ "cleanup.policy", "delete,foo", -EINVAL, "Invalid value foo for configuration" },
	{ "cleanup.policy", "delete,", -EINVAL, "Invalid value  for configuration" },
	{ "cleanup.policy", "Delete", -EINVAL, "String must be one of" },
	{ "cleanup.policy", "delete, compact", -EINVAL, "whitespace" },
	{ "compression.type", "producer", 0, NULL },
	{ "compression.type", "uncompressed", 0, NULL },
	{ "compression.type", "zstd", 0, NULL },
	{ "compression.type", "lz4", 0, NULL },
	{ "compression.type", "snappy", 0, NULL },
	{ "compression.type", "gzip", 0, NULL },
	{ "compression.type", "GZIP", -EINVAL,
	  "String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer" },
	{ "compression.type", "none", -EINVAL, "String must be one of" },
	{ "compression.gzip.level", "-1", 0, NULL },
	{ "compression.gzip.level", "1", 0, NULL },
	{ "compression.gzip.level", "9", 0, NULL },
	{ "compression.gzip.level", "0", -EINVAL, "between 1 and 9" },
	{ "compression.gzip.level", "10", -EINVAL, "between 1 and 9" },
	{ "compression.lz4.level", "17", 0, NULL },
	{ "compression.lz4.level", "18", -EINVAL, "no more than 17" },
	{ "compression.zstd.level", "-131072", 0, NULL },
	{ "compression.zstd.level", "23", -EINVAL, "no more than 22" },
	{ "message.timestamp.type", "CreateTime", 0, NULL },
	{ "message.timestamp.type", "LogAppendTime", 0, NULL },
	{ "message.timestamp.type", "createtime", -EINVAL,
	  "String must be one of: CreateTime, LogAppendTime" },
	{ "min.cleanable.dirty.ratio", "0", 0, NULL },
	{ "min.cleanable.dirty.ratio", "1", 0, NULL },
	{ "min.cleanable.dirty.ratio", "0.5", 0, NULL },
	{ "min.cleanable.dirty.ratio", "1e-1", 0, NULL },
	{ "min.cleanable.dirty.ratio", ".25", 0, NULL },
	{ "min.cleanable.dirty.ratio", "1.5", -EINVAL, "Value must be no more than 1" },
	{ "min.cleanable.dirty.ratio", "-0.1", -EINVAL, "Value must be at least 0" },
	{ "min.cleanable.dirty.ratio", "nan", -EINVAL, "Not a number of type DOUBLE" },
	{ "min.cleanable.dirty.ratio", "inf", -EINVAL, "Not a number of type DOUBLE" },
	{ "min.cleanable.dirty.ratio", "0x1p-1", -EINVAL, "Not a number of type DOUBLE" },
	{ "min.cleanable.dirty.ratio", "1e999", -EINVAL, "Not a number of type DOUBLE" },
	{ "preallocate", "true", 0, NULL },
	{ "preallocate", "FALSE", 0, NULL },
	{ "preallocate", "yes", -EINVAL,
	  "Invalid value yes for configuration preallocate: Expected value to be either true or false" },
	{ "unclean.leader.election.enable", "1", -EINVAL, "true or false" },
	{ "remote.storage.enable", "false", 0, NULL },
	{ "remote.storage.enable", "true", -EINVAL, "Tiered Storage functionality is disabled" },
	{ "leader.replication.throttled.replicas", "", 0, NULL },
	{ "leader.replication.throttled.replicas", "*", 0, NULL },
	{ "leader.replication.throttled.replicas", "0:1,1:2", 0, NULL },
	{ "leader.replication.throttled.replicas", "0:", -EINVAL, "literal '*'" },
	{ "follower.replication.throttled.replicas", "a:b", -EINVAL, "literal '*'" },
	{ "follower.replication.throttled.replicas", "0:1,", -EINVAL, "literal '*'" },
	{ "message.format.version", "3.0-IV1", 0, NULL },
	{ "message.format.version", "2.8", 0, NULL },
	{ "message.format.version", "0.10.0", 0, NULL },
	{ "message.format.version", "0.10.0-IV1", 0, NULL },
	{ "message.format.version", "4.0", -EINVAL, "Version 4.0 is not a valid version" },
	{ "message.format.version", "3.0-IV", -EINVAL, "not a valid version" },
	{ "message.format.version", "abc", -EINVAL, "not a valid version" },
	{ "message.format.version", "3", -EINVAL, "not a valid version" },
	{ "no.such.config", "1", -ENOENT, "Unknown topic config name: no.such.config" },
	{ "retention.ms", NULL, -EINVAL, "retention.ms" },
};

static void test_validate(void)
{
	for (size_t i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++) {
		const struct vcase *c = &vcases[i];
		char err[512] = "";
		int rc = topic_config_validate(c->name, c->value, err, sizeof(err));
		CHECK_EQ(rc, c->rc);
		if (c->msg)
			CHECK(strstr(err, c->msg) != NULL);
		if (rc != c->rc || (c->msg && !strstr(err, c->msg)))
			fprintf(stderr, "  case %s=%s: rc %d err [%s]\n", c->name,
				c->value ? c->value : "(null)", rc, err);
	}
	/* err may be NULL */
	CHECK_EQ(topic_config_validate("retention.ms", "x", NULL, 0), -EINVAL);
}

static void test_validate_set(void)
{
	struct props *o = props_new();
	char err[256] = "";

	CHECK_EQ(topic_config_validate_set(NULL, o, err, sizeof(err)), 0);
	props_set(o, "min.compaction.lag.ms", "10");
	props_set(o, "max.compaction.lag.ms", "5");
	CHECK_EQ(topic_config_validate_set(NULL, o, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)") != NULL);
	props_set(o, "max.compaction.lag.ms", "10");
	CHECK_EQ(topic_config_validate_set(NULL, o, err, sizeof(err)), 0);
	props_free(o);
}

static void test_values_and_sources(void)
{
	struct broker_config cfg = { 0 };
	struct props *o = props_new();
	enum config_source src;
	const char *v;

	v = topic_config_value(NULL, NULL, "segment.bytes", &src);
	CHECK(v && strcmp(v, "1073741824") == 0);
	CHECK_EQ(src, CONFIG_SOURCE_DEFAULT);
	v = topic_config_value(NULL, NULL, "nope", &src);
	CHECK(v == NULL);
	CHECK_EQ(src, CONFIG_SOURCE_DEFAULT);
	cfg.topic_defaults = props_new();
	props_set(cfg.topic_defaults, "retention.ms", "3600000");
	v = topic_config_value(&cfg, NULL, "retention.ms", &src);
	CHECK(v && strcmp(v, "3600000") == 0);
	CHECK_EQ(src, CONFIG_SOURCE_STATIC_BROKER);
	props_set(o, "retention.ms", "1000");
	v = topic_config_value(&cfg, o, "retention.ms", &src);
	CHECK(v && strcmp(v, "1000") == 0);
	CHECK_EQ(src, CONFIG_SOURCE_DYNAMIC_TOPIC);
	v = topic_config_value(&cfg, o, "cleanup.policy", NULL); /* no source */
	CHECK(v && strcmp(v, "delete") == 0);
	/* with no topic_defaults at all (a zeroed cfg) */
	props_free(cfg.topic_defaults);
	cfg.topic_defaults = NULL;
	v = topic_config_value(&cfg, NULL, "retention.ms", &src);
	CHECK(v && strcmp(v, "604800000") == 0 && src == CONFIG_SOURCE_DEFAULT);
	props_free(o);
}

static void test_parsers(void)
{
	static const struct {
		const char *s;
		int rc;
		int64_t v;
	} longs[] = {
		{ "0", 0, 0 },
		{ "-0", 0, 0 },
		{ "+5", 0, 5 },
		{ "007", 0, 7 },
		{ "9223372036854775807", 0, INT64_MAX },
		{ "-9223372036854775808", 0, INT64_MIN },
		{ "9223372036854775808", -ERANGE, 0 },
		{ "-9223372036854775809", -ERANGE, 0 },
		{ "99999999999999999999", -ERANGE, 0 },
		{ "99999999999999999999x", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "-", -EINVAL, 0 },
		{ "+", -EINVAL, 0 },
		{ " 1", -EINVAL, 0 },
		{ "1 ", -EINVAL, 0 },
		{ "1.0", -EINVAL, 0 },
		{ "0x10", -EINVAL, 0 },
		{ "1e3", -EINVAL, 0 },
		{ "--1", -EINVAL, 0 },
	};
	int64_t v;
	int32_t i;
	double d;
	bool b;

	for (size_t k = 0; k < sizeof(longs) / sizeof(longs[0]); k++) {
		v = 12345;
		CHECK_EQ(config_long_parse(longs[k].s, &v), longs[k].rc);
		CHECK_EQ(v, longs[k].rc ? 12345 : longs[k].v);
	}
	CHECK_EQ(config_long_parse(NULL, &v), -EINVAL);
	CHECK_EQ(config_int_parse("2147483647", &i), 0);
	CHECK_EQ(i, INT32_MAX);
	CHECK_EQ(config_int_parse("-2147483648", &i), 0);
	CHECK_EQ(i, INT32_MIN);
	CHECK_EQ(config_int_parse("2147483648", &i), -ERANGE);
	CHECK_EQ(config_int_parse("x", &i), -EINVAL);
	CHECK_EQ(config_bool_parse("TrUe", &b), 0);
	CHECK(b);
	CHECK_EQ(config_bool_parse("false", &b), 0);
	CHECK(!b);
	CHECK_EQ(config_bool_parse("1", &b), -EINVAL);
	CHECK_EQ(config_bool_parse(NULL, &b), -EINVAL);
	CHECK_EQ(config_double_parse("0.5", &d), 0);
	CHECK(d == 0.5);
	CHECK_EQ(config_double_parse("-2.5e+2", &d), 0);
	CHECK(d == -250.0);
	CHECK_EQ(config_double_parse("5.", &d), 0);
	CHECK_EQ(config_double_parse(".", &d), -EINVAL);
	CHECK_EQ(config_double_parse("1e", &d), -EINVAL);
	CHECK_EQ(config_double_parse("1.5d", &d), -EINVAL);
	CHECK_EQ(config_double_parse("Infinity", &d), -EINVAL);
}

static void norm_is(const char *in, enum config_type t, const char *want)
{
	char *out = config_value_normalise(in, t);

	CHECK(out && strcmp(out, want) == 0);
	if (out && strcmp(out, want) != 0)
		fprintf(stderr, "  normalise [%s] -> [%s], want [%s]\n", in, out,
			want);
	free(out);
}

static void test_rules(void)
{
	static const struct config_rule shrt = { .type = CONFIG_TYPE_SHORT };
	char err[256];

	CHECK_EQ(config_rule_check(&shrt, "k", "32767", err, sizeof(err)), 0);
	CHECK_EQ(config_rule_check(&shrt, "k", "32768", err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "Not a number of type SHORT") != NULL);
	norm_is("  5 \t", CONFIG_TYPE_INT, "5");
	norm_is(" TRUE ", CONFIG_TYPE_BOOLEAN, "true");
	norm_is(" a , b,,c ", CONFIG_TYPE_LIST, "a,b,,c");
	norm_is("", CONFIG_TYPE_LIST, "");
	norm_is(" Mixed Case ", CONFIG_TYPE_STRING, "Mixed Case");
}

static void test_key_table(void)
{
	const struct config_key_def *d;

	d = config_key_find("num.partitions");
	CHECK(d && !d->prefix && d->use == CONFIG_KEY_USED);
	CHECK(d && strcmp(d->default_value, "1") == 0);
	d = config_key_find("controller.listener.names");
	CHECK(d && !d->prefix && d->use == CONFIG_KEY_USED);
	d = config_key_find("controller.quorum.voters");
	CHECK(d && d->prefix && d->use == CONFIG_KEY_IGNORED);
	d = config_key_find("ssl.keystore.location");
	CHECK(d && d->prefix && d->use == CONFIG_KEY_LATER);
	d = config_key_find("listener.name.internal.ssl.client.auth");
	CHECK(d && d->use == CONFIG_KEY_LATER);
	d = config_key_find("group.consumer.session.timeout.ms");
	CHECK(d && d->use == CONFIG_KEY_IGNORED);
	CHECK(config_key_find("group.initial.rebalance.delay.ms")->use ==
	      CONFIG_KEY_USED);
	CHECK(config_key_find("no.such.key") == NULL);
	CHECK(config_key_find("ssl") == NULL); /* a prefix needs its dot */
	CHECK(config_key_find(NULL) == NULL);
	/* no key is both in the broker table and a topic synonym, except
	 * the ones whose broker semantics differ on purpose */
	for (d = config_key_defs; d->name; d++) {
		const struct topic_config_def *t;
		CHECK(!d->prefix || d->name[strlen(d->name) - 1] == '.');
		t = d->prefix ? NULL : topic_config_find_broker(d->name);
		CHECK(!t || strcmp(d->name, "log.retention.ms") == 0 ||
		      strcmp(d->name, "log.roll.ms") == 0 ||
		      strcmp(d->name, "log.roll.jitter.ms") == 0);
	}
}

static void ep_ok(const char *s, const char *name, const char *host, int port)
{
	struct listener_cfg ep;

	CHECK_EQ(config_endpoint_parse(s, strlen(s), &ep), 0);
	CHECK(strcmp(ep.name, name) == 0 && strcmp(ep.host, host) == 0);
	CHECK_EQ(ep.port, port);
}

static void ep_bad(const char *s)
{
	struct listener_cfg ep;

	CHECK_EQ(config_endpoint_parse(s, strlen(s), &ep), -EINVAL);
}

static void test_syntax_helpers(void)
{
	const char *s = " a , ,b,, c ", *item;
	enum sec_proto p;
	size_t len;

	ep_ok("PLAINTEXT://:9092", "PLAINTEXT", "", 9092);
	ep_ok("tc-0://host.example:0", "TC-0", "host.example", 0);
	ep_ok("SSL://[::1]:9093", "SSL", "::1", 9093);
	ep_ok("SSL://[fe80::1%eth0]:9093", "SSL", "fe80::1%eth0", 9093);
	ep_ok("X_Y://10.0.0.1:65535", "X_Y", "10.0.0.1", 65535);
	ep_bad("PLAINTEXT://:65536");
	ep_bad("PLAINTEXT://h:");
	ep_bad("PLAINTEXT://h");
	ep_bad("PLAINTEXT//h:1");
	ep_bad("://h:1");
	ep_bad("A:B://h:1");
	ep_bad("A://h/x:1");
	ep_bad("A://[::1]9092");
	ep_bad("A://h:12a");
	ep_bad("A://h:123456");
	CHECK(config_csv_next(&s, &item, &len) && len == 1 && *item == 'a');
	CHECK(config_csv_next(&s, &item, &len) && len == 1 && *item == 'b');
	CHECK(config_csv_next(&s, &item, &len) && len == 1 && *item == 'c');
	CHECK(!config_csv_next(&s, &item, &len));
	CHECK_EQ(config_proto_parse("sasl_ssl", 8, &p), 0);
	CHECK_EQ(p, SEC_SASL_SSL);
	CHECK_EQ(config_proto_parse("SASL", 4, &p), -EINVAL);
	CHECK(config_cluster_id_valid("5L6g3nShT-eMCtK--X86sw"));
	CHECK(config_cluster_id_valid("4L6g3nShT-eMCtK--X86sw"));
	CHECK(!config_cluster_id_valid("4L6g3nShT-eMCtK--X86s"));
	CHECK(!config_cluster_id_valid("4L6g3nShT-eMCtK--X86swA"));
	CHECK(!config_cluster_id_valid("4L6g3nShT-eMCtK--X86sx")); /* stray bits */
	CHECK(!config_cluster_id_valid("4L6g3nShT+eMCtK--X86sw"));
	CHECK(!config_cluster_id_valid(NULL));
}

int main(void)
{
	test_table_shape();
	test_validate();
	test_validate_set();
	test_values_and_sources();
	test_parsers();
	test_rules();
	test_key_table();
	test_syntax_helpers();
	return check_finish();
}
