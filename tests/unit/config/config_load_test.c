/* config_load_test.c - config_load() end to end: argv, temp files, the
 * environment, stdout/stderr captured around each call.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "broker/config.h"
#include "broker/conn_limits.h"
#include "net/net.h"
#include "tests/unit/check.h"

extern char **environ;

struct res {
	int rc;
	char out[8192];
	char err[8192];
};

static char tmpd[512];
static int nfiles;

static const char *write_file(const char *text)
{
	static char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/s%d.properties", tmpd, nfiles++);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

static void slurp(int fd, char *out, size_t cap)
{
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	n = read(fd, out, cap - 1);
	out[n > 0 ? n : 0] = '\0';
}

/* config_load(argv) with stdout and stderr captured into r. */
static void run(struct broker_config *cfg, struct res *r, int argc,
		char **argv)
{
	char p1[600], p2[600];
	int s1 = dup(1), s2 = dup(2), f1, f2;

	snprintf(p1, sizeof(p1), "%s/out", tmpd);
	snprintf(p2, sizeof(p2), "%s/err", tmpd);
	f1 = open(p1, O_RDWR | O_CREAT | O_TRUNC, 0600);
	f2 = open(p2, O_RDWR | O_CREAT | O_TRUNC, 0600);
	fflush(stdout);
	fflush(stderr);
	dup2(f1, 1);
	dup2(f2, 2);
	r->rc = config_load(argc, argv, cfg);
	fflush(stdout);
	fflush(stderr);
	dup2(s1, 1);
	dup2(s2, 2);
	close(s1);
	close(s2);
	slurp(f1, r->out, sizeof(r->out));
	slurp(f2, r->err, sizeof(r->err));
	close(f1);
	close(f2);
	unlink(p1);
	unlink(p2);
	log_set_level(LOG_INFO);
}

/* sealogd [file with text] args... (NULL-terminated); text NULL = no file. */
static void load(struct broker_config *cfg, struct res *r, const char *text,
		 ...)
{
	char *argv[32];
	int argc = 0;
	va_list ap;

	argv[argc++] = "sealogd";
	if (text)
		argv[argc++] = (char *)write_file(text);
	va_start(ap, text);
	for (char *a; argc < 31 && (a = va_arg(ap, char *));)
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;
	run(cfg, r, argc, argv);
}

static bool has(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		return true;
	fprintf(stderr, "  [%s] not found in [%s]\n", needle, hay);
	return false;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* The text must be rejected with every given fragment in the message. */
static void bad(const char *text, const char *m1, const char *m2)
{
	struct broker_config cfg;
	struct res r;

	load(&cfg, &r, text, NULL);
	CHECK_EQ(r.rc, CONFIG_EXIT_BAD);
	CHECK(has(r.err, m1));
	if (m2)
		CHECK(has(r.err, m2));
	CHECK(cfg.props == NULL && cfg.log_dir == NULL); /* nothing left */
	config_free(&cfg);
}

static void good(const char *text, struct broker_config *cfg, struct res *r)
{
	load(cfg, r, text, NULL);
	CHECK_EQ(r->rc, 0);
	if (r->rc)
		fprintf(stderr, "  unexpected failure: %s\n", r->err);
}

static const char *hostname(void)
{
	static char h[256];

	if (gethostname(h, sizeof(h)))
		strcpy(h, "localhost");
	h[sizeof(h) - 1] = '\0';
	return h;
}

static void env_clear(void)
{
	for (bool again = true; again;) {
		again = false;
		for (char **e = environ; *e; e++) {
			char name[256];
			size_t n = strcspn(*e, "=");
			if (n >= sizeof(name) || (strncmp(*e, "KAFKA_", 6) &&
						  strncmp(*e, "CLUSTER_ID=", 11)))
				continue;
			memcpy(name, *e, n);
			name[n] = '\0';
			unsetenv(name);
			again = true;
			break;
		}
	}
	setenv("SEALOG_CONFIG_FROM_ENV", "0", 1);
}

/* --- cases ------------------------------------------------------------------ */

static void test_embedded_default(void)
{
	struct broker_config cfg;
	struct res r;

	load(&cfg, &r, NULL, NULL);
	CHECK_EQ(r.rc, 0);
	CHECK_EQ(cfg.node_id, 1);
	CHECK_EQ(cfg.listener_count, 1);
	CHECK(strcmp(cfg.listeners[0].name, "PLAINTEXT") == 0);
	CHECK(strcmp(cfg.listeners[0].host, "127.0.0.1") == 0);
	CHECK_EQ(cfg.listeners[0].port, 9092);
	CHECK_EQ(cfg.listeners[0].proto, SEC_PLAINTEXT);
	CHECK(strcmp(cfg.advertised[0].host, "127.0.0.1") == 0);
	CHECK_EQ(cfg.advertised[0].port, 9092);
	CHECK(strcmp(cfg.inter_broker_listener, "PLAINTEXT") == 0);
	CHECK(strcmp(cfg.log_dir, "./data") == 0);
	CHECK(cfg.encryption_key_file == NULL);
	CHECK(cfg.sync_before_ack);
	CHECK(cfg.auto_create_topics && cfg.delete_topic_enable);
	CHECK_EQ(cfg.num_partitions, 1);
	CHECK_EQ(cfg.default_replication_factor, 1);
	CHECK_EQ(cfg.group_initial_rebalance_delay_ms, 0);
	CHECK_EQ(cfg.group_min_session_timeout_ms, 6000);
	CHECK_EQ(cfg.group_max_session_timeout_ms, 1800000);
	CHECK_EQ(cfg.offsets_topic_num_partitions, 1);
	CHECK_EQ(cfg.offsets_retention_minutes, 10080);
	CHECK_EQ(cfg.offsets_retention_check_interval_ms, 600000);
	CHECK_EQ(cfg.message_max_bytes, 1048588);
	CHECK_EQ(cfg.socket_request_max_bytes, 104857600);
	CHECK_EQ(cfg.connections_max_idle_ms, 600000);
	CHECK_EQ(cfg.log_segment_bytes, 1073741824);
	CHECK_EQ(cfg.log_roll_ms, 604800000);
	CHECK_EQ(cfg.log_retention_ms, 604800000);
	CHECK_EQ(cfg.log_retention_bytes, -1);
	CHECK_EQ(cfg.log_retention_check_interval_ms, 300000);
	CHECK_EQ(cfg.log_index_interval_bytes, 4096);
	CHECK(!cfg.log_message_timestamp_log_append);
	CHECK(!cfg.from_env);
	CHECK(cfg.cluster_id[0] == '\0');
	CHECK(strcmp(props_get(cfg.props, "offsets.topic.replication.factor"),
		     "1") == 0);
	CHECK_EQ(props_count(cfg.topic_defaults), 0);
	CHECK(r.err[0] == '\0'); /* no warning for our own defaults */
	config_free(&cfg);
	config_free(&cfg); /* idempotent */
}

static void test_args(void)
{
	struct broker_config cfg;
	struct res r;
	char *help[] = { "sealogd", "--help", NULL };
	char *version[] = { "sealogd", "--version", NULL };

	run(&cfg, &r, 2, help);
	CHECK_EQ(r.rc, CONFIG_EXIT_DONE);
	CHECK(has(r.out, "Usage: sealogd"));
	CHECK(cfg.props == NULL);
	run(&cfg, &r, 2, version);
	CHECK_EQ(r.rc, CONFIG_EXIT_DONE);
	CHECK(has(r.out, "sealogd "));
	load(&cfg, &r, NULL, "no/such/server.properties", NULL);
	CHECK_EQ(r.rc, CONFIG_EXIT_BAD);
	CHECK(has(r.err, "no/such/server.properties"));
	load(&cfg, &r, NULL, tmpd, NULL); /* a directory */
	CHECK_EQ(r.rc, CONFIG_EXIT_BAD);
	CHECK(has(r.err, tmpd));
	load(&cfg, &r, "a=1\n", "second.properties", NULL);
	CHECK_EQ(r.rc, CONFIG_EXIT_BAD);
	CHECK(has(r.err, "Only one configuration file"));
	load(&cfg, &r, NULL, "--frobnicate", NULL);
	CHECK_EQ(r.rc, CONFIG_EXIT_BAD);
	CHECK(has(r.err, "--frobnicate"));
	load(&cfg, &r, NULL, "--override", NULL);
	CHECK_EQ(r.rc, CONFIG_EXIT_BAD);
	CHECK(has(r.err, "key=value"));
	load(&cfg, &r, NULL, "--override", "novalue", NULL);
	CHECK_EQ(r.rc, CONFIG_EXIT_BAD);
	load(&cfg, &r, NULL, "--override", "=v", NULL);
	CHECK_EQ(r.rc, CONFIG_EXIT_BAD);
	/* a syntax error names the file and the line */
	load(&cfg, &r, "a=1\nb=\\uXYZW\n", NULL);
	CHECK_EQ(r.rc, CONFIG_EXIT_BAD);
	CHECK(has(r.err, "line 2") && has(r.err, tmpd));
}

static void test_file_defaults(void)
{
	struct broker_config cfg;
	struct res r;

	good("# an almost empty file\nprocess.roles=broker,controller\n", &cfg,
	     &r);
	CHECK_EQ(cfg.node_id, 1);
	CHECK_EQ(cfg.listener_count, 1);
	CHECK(cfg.listeners[0].host[0] == '\0'); /* Kafka's PLAINTEXT://:9092 */
	CHECK_EQ(cfg.listeners[0].port, 9092);
	CHECK(strcmp(cfg.advertised[0].host, hostname()) == 0);
	CHECK(strcmp(cfg.log_dir, "/tmp/kafka-logs") == 0);
	CHECK_EQ(cfg.group_initial_rebalance_delay_ms, 3000);
	CHECK_EQ(cfg.offsets_topic_num_partitions, 50);
	CHECK(r.err[0] == '\0');
	config_free(&cfg);
}

static void test_listeners_good(void)
{
	struct broker_config cfg;
	struct res r;

	good("listeners=PLAINTEXT://:9092, BROKER://0.0.0.0:9093 ,CONTROLLER://:9094\n"
	     "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,BROKER:ssl,CONTROLLER:PLAINTEXT\n"
	     "controller.listener.names=CONTROLLER\n"
	     "inter.broker.listener.name= broker \n"
	     "advertised.listeners=PLAINTEXT://localhost:9092,BROKER://broker:9093,CONTROLLER://localhost:9094\n",
	     &cfg, &r);
	CHECK_EQ(cfg.listener_count, 2);
	CHECK(strcmp(cfg.listeners[1].name, "BROKER") == 0);
	CHECK(strcmp(cfg.listeners[1].host, "0.0.0.0") == 0);
	CHECK_EQ(cfg.listeners[1].proto, SEC_SSL);
	CHECK(strcmp(cfg.advertised[0].host, "localhost") == 0);
	CHECK(strcmp(cfg.advertised[1].host, "broker") == 0);
	CHECK_EQ(cfg.advertised[1].port, 9093);
	CHECK_EQ(cfg.advertised[1].proto, SEC_SSL);
	CHECK(strcmp(cfg.inter_broker_listener, "BROKER") == 0);
	config_free(&cfg);

	good("listeners=plaintext://[::1]:9092,SASL_SSL://127.0.0.1:9093\n", &cfg, &r);
	CHECK(strcmp(cfg.listeners[0].name, "PLAINTEXT") == 0);
	CHECK(strcmp(cfg.listeners[0].host, "::1") == 0);
	CHECK(strcmp(cfg.advertised[0].host, "::1") == 0);
	CHECK_EQ(cfg.listeners[1].proto, SEC_SASL_SSL);
	config_free(&cfg);

	/* one IPv4 and one IPv6 listener may share a port; port 0 repeats */
	good("listeners=A://127.0.0.1:9092,B://[::1]:9092,C://127.0.0.1:0,D://127.0.0.1:0\n"
	     "listener.security.protocol.map=A:PLAINTEXT,B:PLAINTEXT,C:PLAINTEXT,D:PLAINTEXT\n",
	     &cfg, &r);
	CHECK_EQ(cfg.listener_count, 4);
	CHECK(cfg.inter_broker_listener[0] == '\0'); /* none needed, none set */
	config_free(&cfg);

	/* advertised ports may repeat; listeners bound on 0.0.0.0 are fine
	 * once advertised; a listener left out is advertised as itself */
	good("listeners=A://0.0.0.0:9092,B://:9093,C://127.0.0.1:9094\n"
	     "listener.security.protocol.map=A:PLAINTEXT,B:PLAINTEXT,C:PLAINTEXT\n"
	     "advertised.listeners=A://h:9092,B://h2:9092\n",
	     &cfg, &r);
	CHECK(strcmp(cfg.advertised[1].host, "h2") == 0);
	CHECK_EQ(cfg.advertised[1].port, 9092);
	CHECK(strcmp(cfg.advertised[2].host, "127.0.0.1") == 0);
	CHECK(has(r.err, "Listener C is not in advertised.listeners"));
	config_free(&cfg);

	/* empty advertised host: the machine's name */
	good("listeners=PLAINTEXT://127.0.0.1:9092\nadvertised.listeners=PLAINTEXT://:9092\n",
	     &cfg, &r);
	CHECK(strcmp(cfg.advertised[0].host, hostname()) == 0);
	config_free(&cfg);

	/* unset map: controller listeners default to PLAINTEXT */
	good("listeners=PLAINTEXT://:9092,CONTROLLER://:9093\ncontroller.listener.names=CONTROLLER\n",
	     &cfg, &r);
	CHECK_EQ(cfg.listener_count, 1);
	config_free(&cfg);

	good("listeners=PLAINTEXT://127.0.0.1:9092\nsecurity.inter.broker.protocol=PLAINTEXT\n",
	     &cfg, &r);
	CHECK(strcmp(cfg.inter_broker_listener, "PLAINTEXT") == 0);
	config_free(&cfg);
}

static void test_listeners_bad(void)
{
	bad("listeners=INTERNAL://:9092\n", "No security protocol defined for listener INTERNAL",
	    "line 1");
	bad("listeners=PLAINTEXT://:9092,plaintext://:9093\n",
	    "Each listener must have a different name", NULL);
	bad("listeners=PLAINTEXT://:9092,SSL://:9092\n",
	    "Each listener must have a different port", NULL);
	bad("listeners=A://127.0.0.1:9092,B://127.0.0.2:9092\n"
	    "listener.security.protocol.map=A:PLAINTEXT,B:PLAINTEXT\n",
	    "different port", NULL);
	bad("listeners=PLAINTEXT://0.0.0.0:9092\n", "nonroutable meta-address 0.0.0.0",
	    NULL);
	bad("listeners=PLAINTEXT://:9092\nadvertised.listeners=PLAINTEXT://0.0.0.0:9092\n",
	    "advertised.listeners cannot use the nonroutable meta-address", "line 2");
	bad("listeners=PLAINTEXT://:9092\nadvertised.listeners=PLAINTEXT://[::]:9092\n",
	    "nonroutable", NULL);
	bad("listeners=PLAINTEXT://:9092\nadvertised.listeners=SSL://h:9093\n",
	    "must be equal to or a subset of the ones defined in listeners", "SSL");
	bad("listeners=PLAINTEXT://localhost\n", "Unable to parse PLAINTEXT://localhost to a broker endpoint",
	    "listeners");
	bad("listeners=PLAINTEXT://:70000\n", "Unable to parse", NULL);
	bad("listeners=PLAINTEXT://:-1\n", "Unable to parse", NULL);
	bad("listeners=://:9092\n", "Unable to parse", NULL);
	bad("listeners=PLAINTEXT:9092\n", "Unable to parse", NULL);
	bad("listeners=PLAINTEXT://ho st:9092\n", "Unable to parse", NULL);
	bad("listeners=PLAINTEXT://[::1:9092\n", "Unable to parse", NULL);
	bad("listeners=\n", "at least one listener", NULL);
	bad("listeners=CONTROLLER://:9093\ncontroller.listener.names=CONTROLLER\n",
	    "at least one listener", NULL);
	/* with SSL in use the unset map gives CONTROLLER no protocol */
	bad("listeners=SSL://:9092,CONTROLLER://:9093\ncontroller.listener.names=CONTROLLER\n",
	    "No security protocol defined for listener CONTROLLER", NULL);
	bad("listener.security.protocol.map=A:NOPE\nlisteners=A://:1\n",
	    "unknown security protocol NOPE", "listener.security.protocol.map");
	bad("listener.security.protocol.map=PLAINTEXT\n", "NAME:PROTOCOL", NULL);
	bad("inter.broker.listener.name=PLAINTEXT\nsecurity.inter.broker.protocol=PLAINTEXT\n",
	    "Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.",
	    NULL);
	bad("inter.broker.listener.name=NOPE\n",
	    "inter.broker.listener.name must be a listener name defined in advertised.listeners",
	    "PLAINTEXT");
	bad("listeners=PLAINTEXT://:9092,SSL://:9093\nadvertised.listeners=SSL://h:9093\n"
	    "inter.broker.listener.name=PLAINTEXT\n",
	    "must be a listener name defined in advertised.listeners", NULL);
	bad("security.inter.broker.protocol=SSL\n", "must be a listener name", NULL);
	bad("security.inter.broker.protocol=TLS\n",
	    "Invalid value TLS for configuration security.inter.broker.protocol", NULL);
	bad("listeners=A://:1,B://:2,C://:3,D://:4,E://:5,F://:6,G://:7,H://:8,"
	    "I://:9,J://:10,K://:11,L://:12,M://:13,N://:14,O://:15,P://:16,Q://:17\n",
	    "at most 16 listeners", NULL);
}

static void test_node_id(void)
{
	struct broker_config cfg;
	struct res r;

	good("broker.id=5\n", &cfg, &r);
	CHECK_EQ(cfg.node_id, 5);
	config_free(&cfg);
	good("node.id=7\n", &cfg, &r);
	CHECK_EQ(cfg.node_id, 7);
	config_free(&cfg);
	good("node.id=7\nbroker.id=7\n", &cfg, &r);
	CHECK_EQ(cfg.node_id, 7);
	config_free(&cfg);
	bad("node.id=1\nbroker.id=2\n",
	    "You must set `node.id` to the same value as `broker.id`.", NULL);
	bad("node.id=abc\n",
	    "Invalid value abc for configuration node.id: Not a number of type INT",
	    "line 1");
	bad("# x\nnode.id=-1\n", "Value must be at least 0", "line 2");
}

static void test_retention(void)
{
	static const struct {
		const char *text;
		int64_t ms;
		const char *topic; /* retention.ms broker value, NULL = none */
	} cases[] = {
		{ "", 604800000, NULL },
		{ "log.retention.hours=24\n", 86400000, "86400000" },
		{ "log.retention.hours=24\nlog.retention.minutes=30\n", 1800000, "1800000" },
		{ "log.retention.minutes=30\nlog.retention.ms=1000\nlog.retention.hours=2\n", 1000, "1000" },
		{ "log.retention.ms=-1\n", -1, "-1" },
		{ "log.retention.ms=-5\n", -1, "-1" },
		{ "log.retention.hours=-1\n", -1, "-1" },
		{ "log.retention.minutes=-1\nlog.retention.hours=5\n", -1, "-1" },
	};
	struct broker_config cfg;
	enum config_source src;
	struct res r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *v;
		good(cases[i].text, &cfg, &r);
		CHECK_EQ(cfg.log_retention_ms, cases[i].ms);
		v = topic_config_value(&cfg, NULL, "retention.ms", &src);
		if (cases[i].topic) {
			CHECK(v && strcmp(v, cases[i].topic) == 0);
			CHECK_EQ(src, CONFIG_SOURCE_STATIC_BROKER);
		} else {
			CHECK(v && strcmp(v, "604800000") == 0);
			CHECK_EQ(src, CONFIG_SOURCE_DEFAULT);
		}
		config_free(&cfg);
	}
	bad("log.retention.ms=0\n",
	    "log.retention.ms must be unlimited (-1) or, equal or greater than 1.",
	    "line 1");
	bad("log.retention.hours=1.5\n", "Not a number of type INT", NULL);
	good("log.roll.hours=1\n", &cfg, &r);
	CHECK_EQ(cfg.log_roll_ms, 3600000);
	CHECK(strcmp(topic_config_value(&cfg, NULL, "segment.ms", &src), "3600000") == 0);
	config_free(&cfg);
	good("log.roll.hours=1\nlog.roll.ms=5000\n", &cfg, &r);
	CHECK_EQ(cfg.log_roll_ms, 5000);
	config_free(&cfg);
	bad("log.roll.hours=0\n", "Value must be at least 1", NULL);
}

static void test_invalid_values(void)
{
	bad("num.partitions=0\n",
	    "Invalid value 0 for configuration num.partitions: Value must be at least 1",
	    "line 1");
	bad("num.partitions=x\n", "Not a number of type INT", NULL);
	bad("auto.create.topics.enable=yes\n",
	    "Invalid value yes for configuration auto.create.topics.enable: Expected value to be either true or false",
	    NULL);
	bad("log.message.timestamp.type=Foo\n",
	    "String must be one of: CreateTime, LogAppendTime", NULL);
	bad("log.cleanup.policy=delete,foo\n",
	    "Invalid value foo for configuration log.cleanup.policy", NULL);
	bad("message.max.bytes=99999999999\n", "Not a number of type INT", NULL);
	bad("log.segment.bytes=13\n", "Value must be at least 14", NULL);
	bad("default.replication.factor=40000\n", "no more than 32767", NULL);
	bad("log.retention.check.interval.ms=0\n", "at least 1", NULL);
	bad("compression.type=brotli\n", "compression.type", NULL);
	bad("log.cleaner.min.cleanable.ratio=2\n", "no more than 1", NULL);
	bad("min.insync.replicas=0\n", "at least 1", NULL);
	bad("process.roles=broker,zookeeper\n",
	    "Invalid value zookeeper for configuration process.roles", NULL);
	bad("num.io.threads=many\n", "num.io.threads", NULL);
	bad("log.level=LOUD\n", "log.level", NULL);
	bad("group.min.session.timeout.ms=5000\ngroup.max.session.timeout.ms=4000\n",
	    "group.max.session.timeout.ms must be greater than", NULL);
	bad("log.dirs=\n", "at least one log directory", NULL);
	bad("offsets.retention.check.interval.ms=0\n", "at least 1", NULL);
	bad("log.dirs= , ,\n", "at least one log directory", NULL);
}

static void test_normalise_and_misc(void)
{
	struct broker_config cfg;
	enum config_source src;
	struct res r;

	good("num.partitions = 3   \nauto.create.topics.enable=TRUE\n"
	     "log.cleanup.policy = delete , compact\nmessage.max.bytes=2000000\n"
	     "log.dirs=/a, /b\nlog.dir=/c\nlog.encryption.key.file= keys/k.bin \n"
	     "log.sync.before.ack=false\nlog.message.timestamp.type=LogAppendTime\n",
	     &cfg, &r);
	CHECK_EQ(cfg.num_partitions, 3);
	CHECK(strcmp(props_get(cfg.props, "num.partitions"), "3") == 0);
	CHECK(cfg.auto_create_topics);
	CHECK(strcmp(props_get(cfg.props, "auto.create.topics.enable"), "true") == 0);
	CHECK(strcmp(topic_config_value(&cfg, NULL, "cleanup.policy", &src),
		     "delete,compact") == 0);
	CHECK_EQ(src, CONFIG_SOURCE_STATIC_BROKER);
	CHECK(strcmp(topic_config_value(&cfg, NULL, "max.message.bytes", &src),
		     "2000000") == 0);
	CHECK_EQ(cfg.message_max_bytes, 2000000);
	CHECK(strcmp(cfg.log_dir, "/a") == 0);
	CHECK(has(r.err, "ignoring 1 more in log.dirs"));
	CHECK(strcmp(cfg.encryption_key_file, "keys/k.bin") == 0);
	CHECK(!cfg.sync_before_ack);
	CHECK(cfg.log_message_timestamp_log_append);
	config_free(&cfg);
	good("log.dir=/c\n", &cfg, &r);
	CHECK(strcmp(cfg.log_dir, "/c") == 0);
	config_free(&cfg);
}

static void test_unknown_and_ignored(void)
{
	struct broker_config cfg;
	struct res r;

	good("no.such.key=1\nprocess.roles=broker,controller\n"
	     "controller.quorum.voters=1@localhost:9093\nconfluent.support.metrics.enable=false\n"
	     "ssl.keystore.location=/x\nlistener.name.sasl_ssl.plain.sasl.jaas.config=x\n"
	     "super.users=User:admin;User:CN=x,O=y\nnum.network.threads=3\n"
	     "transaction.state.log.min.isr=1\nshare.coordinator.state.topic.replication.factor=1\n"
	     "log.flush.interval.messages=9223372036854775807\naudit.log.dir=x\n",
	     &cfg, &r);
	CHECK(has(r.err, "WARN"));
	CHECK(has(r.err, "'no.such.key'"));
	CHECK(has(r.err, "line 1"));
	CHECK(strstr(r.err, "process.roles") == NULL);
	CHECK(strstr(r.err, "ssl.keystore") == NULL);
	CHECK(strstr(r.err, "super.users") == NULL);
	CHECK_EQ(count(r.err, " WARN "), 1); /* one line, for the one key */
	CHECK(strcmp(props_get(cfg.props, "super.users"), "User:admin;User:CN=x,O=y") == 0);
	config_free(&cfg);
	/* log.level applies before the warnings are written */
	good("log.level=ERROR\nno.such.key=1\n", &cfg, &r);
	CHECK(strstr(r.err, "no.such.key") == NULL);
	config_free(&cfg);
}

/* max.connections* keys and the overrides' forms. */
static void test_conn_limits(void)
{
	struct broker_config cfg;
	struct net_ip_limit *lim;
	char err[256];
	size_t n;
	struct res r;
	bool v4 = false;

	good("", &cfg, &r);
	CHECK_EQ(cfg.max_connections, INT32_MAX);
	CHECK_EQ(cfg.max_connections_per_ip, INT32_MAX);
	CHECK_EQ(cfg.max_connection_creation_rate, INT32_MAX);
	CHECK_EQ(cfg.n_ip_limits, 0);
	config_free(&cfg);
	good("max.connections=50\nmax.connections.per.ip=0\n"
	     "max.connection.creation.rate=7\n"
	     "max.connections.per.ip.overrides=127.0.0.2:3, ::1:4\n",
	     &cfg, &r);
	CHECK_EQ(cfg.max_connections, 50);
	CHECK_EQ(cfg.max_connection_creation_rate, 7);
	CHECK_EQ(cfg.max_connections_per_ip, 0);
	CHECK_EQ(cfg.n_ip_limits, 2);
	CHECK(strcmp(cfg.ip_limits[0].addr, "127.0.0.2") == 0);
	CHECK_EQ(cfg.ip_limits[0].max, 3);
	CHECK(strcmp(cfg.ip_limits[1].addr, "::1") == 0); /* last ':' split */
	CHECK_EQ(cfg.ip_limits[1].max, 4);
	config_free(&cfg);
	/* Canonical forms, the later entry winning, names resolved. */
	CHECK_EQ(conn_limits_parse_overrides("0:0:0:0:0:0:0:1:7,::1:8,"
					     "localhost:9",
					     &lim, &n, err, sizeof(err)),
		 0);
	CHECK(n >= 2);
	CHECK(strcmp(lim[0].addr, "::1") == 0);
	for (size_t i = 0; i < n; i++)
		if (strcmp(lim[i].addr, "127.0.0.1") == 0)
			v4 = lim[i].max == 9;
	CHECK(v4);
	CHECK(lim[0].max == 8 || lim[0].max == 9); /* localhost may be ::1 */
	free(lim);
	CHECK_EQ(conn_limits_parse_overrides("127.0.0.1:x", &lim, &n, err,
					     sizeof(err)),
		 -EINVAL);
	CHECK(has(err, "'127.0.0.1:x'"));
	CHECK(lim == NULL && n == 0);
	CHECK_EQ(conn_limits_parse_overrides(":5", &lim, &n, err, sizeof(err)),
		 -EINVAL);
	CHECK_EQ(conn_limits_parse_overrides("", &lim, &n, err, sizeof(err)), 0);
	CHECK(lim == NULL && n == 0);
}

static void test_log_level(void)
{
	struct broker_config cfg;
	char *argv[] = { "sealogd", "--override", "log.level=warn", NULL };

	CHECK_EQ(config_load(3, argv, &cfg), 0);
	CHECK_EQ(log_get_level(), LOG_WARN);
	log_set_level(LOG_INFO);
	config_free(&cfg);
}

static void test_overrides(void)
{
	struct broker_config cfg;
	struct res r;

	load(&cfg, &r, "num.partitions=2\n", "--override", "num.partitions=4",
	     "--override", "log.encryption.key.file=a\\nb", NULL);
	CHECK_EQ(r.rc, 0);
	CHECK_EQ(cfg.num_partitions, 4);
	CHECK(strcmp(cfg.encryption_key_file, "a\\nb") == 0); /* literal */
	config_free(&cfg);
	load(&cfg, &r, NULL, "--override", "listeners=PLAINTEXT://127.0.0.1:0",
	     "--override", "log.dirs=d=e", NULL);
	CHECK_EQ(r.rc, 0);
	CHECK_EQ(cfg.listeners[0].port, 0);
	CHECK(strcmp(cfg.log_dir, "d=e") == 0); /* split at the first = */
	config_free(&cfg);
	load(&cfg, &r, NULL, "--override", "num.partitions=-3", NULL);
	CHECK_EQ(r.rc, CONFIG_EXIT_BAD);
	CHECK(has(r.err, "num.partitions") && has(r.err, "from --override"));
}

static void test_env(void)
{
	struct broker_config cfg;
	struct res r;

	/* off: a stray developer variable changes nothing */
	setenv("KAFKA_NODE_ID", "3", 1);
	setenv("CLUSTER_ID", "not-valid", 1);
	load(&cfg, &r, NULL, NULL);
	CHECK_EQ(r.rc, 0);
	CHECK_EQ(cfg.node_id, 1);
	CHECK(!cfg.from_env && cfg.cluster_id[0] == '\0');
	config_free(&cfg);
	setenv("SEALOG_CONFIG_FROM_ENV", "maybe", 1);
	load(&cfg, &r, NULL, NULL);
	CHECK_EQ(r.rc, CONFIG_EXIT_BAD);
	CHECK(has(r.err, "SEALOG_CONFIG_FROM_ENV"));
	setenv("SEALOG_CONFIG_FROM_ENV", "1", 1);
	load(&cfg, &r, NULL, NULL);
	CHECK_EQ(r.rc, CONFIG_EXIT_BAD);
	CHECK(has(r.err, "CLUSTER_ID"));
	/* what Testcontainers' apache/kafka module sends */
	setenv("CLUSTER_ID", "4L6g3nShT-eMCtK--X86sw", 1);
	setenv("KAFKA_NODE_ID", "1", 1);
	setenv("KAFKA_LISTENERS", "PLAINTEXT://0.0.0.0:9092,BROKER://0.0.0.0:9093,CONTROLLER://0.0.0.0:9094", 1);
	setenv("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://localhost:32768,BROKER://c0ffee:9093", 1);
	setenv("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "BROKER:PLAINTEXT,PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT", 1);
	setenv("KAFKA_INTER_BROKER_LISTENER_NAME", "BROKER", 1);
	setenv("KAFKA_PROCESS_ROLES", "broker,controller", 1);
	setenv("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER", 1);
	setenv("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9094", 1);
	setenv("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1", 1);
	setenv("KAFKA_OFFSETS_TOPIC_NUM_PARTITIONS", "1", 1);
	setenv("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1", 1);
	setenv("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1", 1);
	setenv("KAFKA_LOG_FLUSH_INTERVAL_MESSAGES", "9223372036854775807", 1);
	setenv("KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS", "0", 1);
	setenv("KAFKA_OPTS", "-Djava.security.auth.login.config=/x", 1);
	setenv("KAFKA_HEAP_OPTS", "-Xmx1G", 1);
	setenv("KAFKA_LISTENER_NAME_SASL__SSL_SCRAM___SHA___256_SASL_JAAS_CONFIG", "x required;", 1);
	load(&cfg, &r, "num.partitions=2\n", NULL);
	CHECK_EQ(r.rc, 0);
	if (r.rc)
		fprintf(stderr, "  %s\n", r.err);
	CHECK(cfg.from_env);
	CHECK(strcmp(cfg.cluster_id, "4L6g3nShT-eMCtK--X86sw") == 0);
	CHECK_EQ(cfg.listener_count, 2);
	CHECK(strcmp(cfg.advertised[0].host, "localhost") == 0);
	CHECK_EQ(cfg.advertised[0].port, 32768);
	CHECK(strcmp(cfg.advertised[1].host, "c0ffee") == 0);
	CHECK(strcmp(cfg.inter_broker_listener, "BROKER") == 0);
	CHECK_EQ(cfg.group_initial_rebalance_delay_ms, 0);
	CHECK_EQ(cfg.num_partitions, 2);
	CHECK(props_get(cfg.props, "opts") == NULL && props_get(cfg.props, "heap.opts") == NULL);
	CHECK(props_get(cfg.props, "listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config") != NULL);
	CHECK(strstr(r.err, "WARN") == NULL);
	config_free(&cfg);
	/* precedence: file < env < --override */
	setenv("KAFKA_NUM_PARTITIONS", "3", 1);
	load(&cfg, &r, "num.partitions=2\n", NULL);
	CHECK_EQ(cfg.num_partitions, 3);
	config_free(&cfg);
	load(&cfg, &r, "num.partitions=2\n", "--override", "num.partitions=4", NULL);
	CHECK_EQ(cfg.num_partitions, 4);
	config_free(&cfg);
	setenv("KAFKA_NUM_PARTITIONS", "zero", 1);
	load(&cfg, &r, NULL, NULL);
	CHECK_EQ(r.rc, CONFIG_EXIT_BAD);
	CHECK(has(r.err, "from environment variable KAFKA_NUM_PARTITIONS"));
	env_clear();
	/* listeners derived from advertised.listeners alone; log4j level */
	setenv("SEALOG_CONFIG_FROM_ENV", "1", 1);
	setenv("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://localhost:19092", 1);
	setenv("KAFKA_LOG4J_ROOT_LOGLEVEL", "ERROR", 1);
	setenv("KAFKA_CFG_NUM_PARTITIONS", "6", 1);
	load(&cfg, &r, NULL, NULL);
	CHECK_EQ(r.rc, 0);
	CHECK(strcmp(cfg.listeners[0].host, "0.0.0.0") == 0);
	CHECK_EQ(cfg.listeners[0].port, 19092);
	CHECK(strcmp(cfg.advertised[0].host, "localhost") == 0);
	CHECK_EQ(cfg.num_partitions, 6);
	CHECK(strcmp(props_get(cfg.props, "log.level"), "ERROR") == 0);
	config_free(&cfg);
	env_clear();
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(tmpd, sizeof(tmpd), "%s/config_load_test_XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpd)) {
		perror("mkdtemp");
		return 1;
	}
	env_clear();
	test_embedded_default();
	test_args();
	test_file_defaults();
	test_listeners_good();
	test_listeners_bad();
	test_node_id();
	test_retention();
	test_invalid_values();
	test_normalise_and_misc();
	test_unknown_and_ignored();
	test_conn_limits();
	test_log_level();
	test_overrides();
	test_env();
	for (int i = 0; i < nfiles; i++) {
		char p[600];
		snprintf(p, sizeof(p), "%s/s%d.properties", tmpd, i);
		unlink(p);
	}
	rmdir(tmpd);
	return check_finish();
}
