/* config.c - sealogd's configuration: argv, file, environment, overrides.
 *
 * config_load() builds one property list, then reads it:
 *
 *   1. args_scan()       --help / --version, the file, well-formed --override
 *   2. base layer        the file (props_parse), or the embedded default
 *   3. env_apply()       KAFKA_*, KAFKA_CFG_*, CLUSTER_ID, when enabled
 *   4. overrides_apply() --override key=value, values taken literally
 *   5. level_apply(), keys_check()  log level; warn on unknown keys, check
 *                        and normalise known ones (trimmed, lists "a,b")
 *   6. fields_fill(), listeners_fill(), topic_defaults_fill()
 *
 * Each key remembers where it was set (the origin list) so that an error
 * can say "in server.properties line 12" or "from KAFKA_NUM_PARTITIONS".
 *
 * The environment is off by default outside a container: a developer's
 * shell often carries stray KAFKA_* variables that would silently change
 * the broker. It is on when SEALOG_CONFIG_FROM_ENV=1, or when sealogd is
 * PID 1 (the container entrypoint) and SEALOG_CONFIG_FROM_ENV is unset.
 */
#include "broker/config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/log.h"
#include "broker/conn_limits.h"

#ifndef SEALOG_VERSION
#define SEALOG_VERSION "0.1.0"
#endif

#define LOGC "kafka.server.KafkaConfig"
#define FILE_MAX (16u << 20) /* no real server.properties is near this */

struct load {
	struct broker_config *cfg;
	struct props *origin; /* key -> where it was set */
	const char *file;
	char msg[1024];
};

static const char embedded_default[] =
	"# sealogd with no file: one development node on loopback.\n"
	"node.id=1\n"
	"listeners=PLAINTEXT://127.0.0.1:9092\n"
	"log.dirs=./data\n"
	"num.partitions=1\n"
	"default.replication.factor=1\n"
	"offsets.topic.replication.factor=1\n"
	"offsets.topic.num.partitions=1\n"
	"transaction.state.log.replication.factor=1\n"
	"transaction.state.log.min.isr=1\n"
	"group.initial.rebalance.delay.ms=0\n";

static int fail(struct load *l, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record the error (with the key's origin) and return -EINVAL. */
static int fail(struct load *l, const char *key, const char *fmt, ...)
{
	const char *where = key ? props_get(l->origin, key) : NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(l->msg, sizeof(l->msg), fmt, ap);
	va_end(ap);
	if (where && n >= 0 && (size_t)n < sizeof(l->msg))
		snprintf(l->msg + n, sizeof(l->msg) - (size_t)n, " (%s)", where);
	return -EINVAL;
}

static int oom(struct load *l)
{
	return fail(l, NULL, "Out of memory while reading the configuration");
}

static int set_from(struct load *l, const char *key, const char *value,
		    const char *origin)
{
	if (props_set(l->cfg->props, key, value) ||
	    props_set(l->origin, key, origin))
		return oom(l);
	return 0;
}

static void upper(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
}

/* --- 1. arguments ------------------------------------------------------- */

static void usage(void)
{
	printf("Usage: sealogd [server.properties] [--override key=value ...]\n"
	       "\n"
	       "Starts a Kafka-compatible broker. Configuration keys are Kafka's\n"
	       "(see broker/CONFIG.md). With no file, one development node runs on\n"
	       "PLAINTEXT://127.0.0.1:9092 with data in ./data.\n"
	       "\n"
	       "  --override key=value  set a key (wins over the file and environment)\n"
	       "  --help                print this and exit\n"
	       "  --version             print the version and exit\n"
	       "\n"
	       "Environment: KAFKA_* variables (apache/kafka image mapping) and\n"
	       "CLUSTER_ID are read only when SEALOG_CONFIG_FROM_ENV=1, or when\n"
	       "sealogd runs as PID 1 in a container (SEALOG_CONFIG_FROM_ENV=0 turns\n"
	       "that off).\n");
}

static int args_scan(struct load *l, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage();
			return CONFIG_EXIT_DONE;
		}
		if (strcmp(a, "--version") == 0) {
			printf("sealogd %s (Kafka protocol, 3.9 configuration keys)\n",
			       SEALOG_VERSION);
			return CONFIG_EXIT_DONE;
		}
		if (strcmp(a, "--override") == 0) {
			const char *kv = i + 1 < argc ? argv[++i] : NULL;
			if (!kv || kv[0] == '=' || !strchr(kv, '='))
				return fail(l, NULL, "--override needs an argument of the form key=value%s%s",
					    kv ? ", got: " : "", kv ? kv : "");
			continue;
		}
		if (a[0] == '-')
			return fail(l, NULL, "Unknown option %s (try --help)", a);
		if (l->file)
			return fail(l, NULL, "Only one configuration file may be given, got %s and %s",
				    l->file, a);
		l->file = a;
	}
	return 0;
}

/* --- 2. base layer ------------------------------------------------------ */

static int base_load(struct load *l)
{
	char err[600] = "", origin[600];
	int rc;

	if (l->file)
		rc = props_load_file(l->cfg->props, l->file, FILE_MAX, err,
				     sizeof(err));
	else
		rc = props_parse(l->cfg->props, embedded_default,
				 sizeof(embedded_default) - 1, err, sizeof(err));
	if (rc == -ENOMEM)
		return oom(l);
	if (rc)
		return fail(l, NULL, "%s", err);
	for (size_t i = 0; i < props_count(l->cfg->props) && !rc; i++) {
		const char *k, *v;
		props_at(l->cfg->props, i, &k, &v);
		if (l->file)
			snprintf(origin, sizeof(origin), "in %s line %d",
				 l->file, props_line(l->cfg->props, k));
		else
			snprintf(origin, sizeof(origin), "in the embedded default");
		rc = set_from(l, k, v, origin);
	}
	return rc;
}

/* --- 3. environment ----------------------------------------------------- */

extern char **environ;

static int env_enabled(struct load *l, bool *on)
{
	const char *v = getenv("SEALOG_CONFIG_FROM_ENV");

	if (!v || !*v)
		*on = getpid() == 1;
	else if (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0)
		*on = true;
	else if (strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0)
		*on = false;
	else
		return fail(l, NULL, "SEALOG_CONFIG_FROM_ENV must be 1 or 0, not '%s'", v);
	return 0;
}

static int env_merge(struct load *l)
{
	struct props *env = props_new(), *where = props_new();
	char err[640];
	int rc = env && where ? props_from_env(environ, env, where, err,
						sizeof(err))
			      : -ENOMEM;

	if (rc == -ENOMEM)
		rc = oom(l);
	else if (rc)
		rc = fail(l, NULL, "%s", err);
	for (size_t i = 0; !rc && i < props_count(env); i++) {
		const char *k, *v;
		props_at(env, i, &k, &v);
		rc = set_from(l, k, v, props_get(where, k));
	}
	props_free(env);
	props_free(where);
	return rc;
}

static int env_apply(struct load *l)
{
	const char *cid = getenv("CLUSTER_ID");
	int rc = env_enabled(l, &l->cfg->from_env);

	if (!rc && l->cfg->from_env)
		rc = env_merge(l);
	if (rc || !l->cfg->from_env || !cid || !*cid)
		return rc;
	if (!config_cluster_id_valid(cid))
		return fail(l, NULL, "Invalid CLUSTER_ID %.40s: expected 22 characters of URL-safe base64 encoding 16 bytes (e.g. from kafka-storage.sh random-uuid)",
			    cid);
	memcpy(l->cfg->cluster_id, cid, 23);
	return 0;
}

/* --- 4. overrides ------------------------------------------------------- */

static int overrides_apply(struct load *l, int argc, char **argv)
{
	for (int i = 1; i + 1 < argc; i++) {
		char *kv = argv[i + 1], *key;
		int rc;
		if (strcmp(argv[i], "--override") != 0)
			continue;
		i++;
		key = strndup(kv, strcspn(kv, "="));
		if (!key)
			return oom(l);
		rc = set_from(l, key, kv + strlen(key) + 1, "from --override");
		free(key);
		if (rc)
			return rc;
	}
	return 0;
}

/* --- 5. keys ---------------------------------------------------------------- */

static int level_apply(struct load *l)
{
	const char *v = props_get(l->cfg->props, "log.level");
	enum log_level level;
	char *t;
	int rc;

	if (!v)
		return 0;
	t = config_value_normalise(v, CONFIG_TYPE_STRING);
	if (!t)
		return oom(l);
	rc = log_level_parse(t, &level);
	free(t);
	if (rc)
		return fail(l, "log.level", "Invalid value %s for configuration log.level: String must be one of: TRACE, DEBUG, INFO, WARN, ERROR, FATAL, OFF",
			    v);
	log_set_level(level);
	return 0;
}

static int value_check(struct load *l, const char *key, const char *v,
		       const struct config_rule *rule)
{
	char err[512], *norm = config_value_normalise(v, rule->type);
	int rc = 0;

	if (!norm)
		return oom(l);
	if (config_rule_check(rule, key, norm, err, sizeof(err)))
		rc = fail(l, key, "%s", err);
	else if (strcmp(norm, v) != 0 && props_set(l->cfg->props, key, norm))
		rc = oom(l);
	free(norm);
	return rc;
}

static int keys_check(struct load *l)
{
	for (size_t i = 0; i < props_count(l->cfg->props); i++) {
		const char *k, *v;
		const struct config_key_def *kd;
		const struct topic_config_def *td = NULL;
		int rc = 0;

		props_at(l->cfg->props, i, &k, &v);
		kd = config_key_find(k);
		if (!kd || kd->prefix)
			td = topic_config_find_broker(k);
		if (td)
			rc = value_check(l, k, v, &td->rule);
		else if (kd && kd->rule.type)
			rc = value_check(l, k, v, &kd->rule);
		if (rc)
			return rc;
		if (!kd && !td)
			log_warn(LOGC, "The configuration '%s' was supplied but isn't a known config (%s).",
				 k, props_get(l->origin, k));
		else if (!td && kd->use == CONFIG_KEY_IGNORED)
			log_debug(LOGC, "The configuration '%s' is accepted but has no effect on sealog",
				  k);
	}
	return 0;
}

/* --- 6. fields ------------------------------------------------------------ */

/* The key's value, else its default (broker table, then topic synonym). */
static const char *kv(const struct load *l, const char *key)
{
	const char *v = props_get(l->cfg->props, key);
	const struct config_key_def *d;
	const struct topic_config_def *t;

	if (v)
		return v;
	d = config_key_find(key);
	if (d && !d->prefix)
		return d->default_value;
	t = topic_config_find_broker(key);
	return t ? t->default_value : NULL;
}

/* Values were checked by keys_check(), so these parse. */
static int64_t kv_long(const struct load *l, const char *key)
{
	int64_t v = 0;

	config_long_parse(kv(l, key), &v);
	return v;
}

static bool kv_bool(const struct load *l, const char *key)
{
	bool v = false;

	config_bool_parse(kv(l, key), &v);
	return v;
}

/* A LONG topic config's broker-level value from its broker key, else its
 * scaled alternatives (ms > minutes > hours). false when none is set. */
static bool broker_ms(const struct load *l, const struct topic_config_def *d,
		      int64_t *out)
{
	const struct config_synonym keys[3] = { { d->broker_key, 1 }, d->alt[0],
						d->alt[1] };

	for (int i = 0; i < 3; i++) {
		if (!keys[i].key || !props_get(l->cfg->props, keys[i].key))
			continue;
		*out = kv_long(l, keys[i].key) * keys[i].scale;
		if (strcmp(d->name, "retention.ms") == 0 && *out < 0)
			*out = -1; /* any negative means unlimited */
		return true;
	}
	return false;
}

static int node_id_fill(struct load *l)
{
	const char *n = props_get(l->cfg->props, "node.id");
	const char *b = props_get(l->cfg->props, "broker.id");

	if (n && b && kv_long(l, "node.id") != kv_long(l, "broker.id"))
		return fail(l, "broker.id",
			    "You must set `node.id` to the same value as `broker.id`.");
	l->cfg->node_id = n || b ? (int32_t)kv_long(l, n ? "node.id" : "broker.id")
				 : 1;
	return 0;
}

static int log_dir_fill(struct load *l)
{
	const char *key = props_get(l->cfg->props, "log.dirs") ? "log.dirs"
								: "log.dir";
	const char *v = kv(l, key), *s = v;
	size_t len = 0;
	int more = 0;

	while (*s == ',')
		s++;
	len = strcspn(s, ",");
	for (const char *p = s + len; *p; p++)
		more += p[0] == ',' && p[1] && p[1] != ',';
	if (!len)
		return fail(l, key, "Invalid value %s for configuration %s: at least one log directory is required",
			    v, key);
	if (more)
		log_warn(LOGC, "sealog uses one log directory: using %.*s and ignoring %d more in %s",
			 (int)len, s, more, key);
	l->cfg->log_dir = strndup(s, len);
	if (!l->cfg->log_dir)
		return oom(l);
	return 0;
}

static int retention_fill(struct load *l)
{
	struct broker_config *c = l->cfg;
	const char *key = props_get(c->props, "log.retention.ms") ? "log.retention.ms"
			  : props_get(c->props, "log.retention.minutes")
				  ? "log.retention.minutes"
				  : "log.retention.hours";

	if (!broker_ms(l, topic_config_find("retention.ms"), &c->log_retention_ms))
		c->log_retention_ms = 604800000;
	if (!broker_ms(l, topic_config_find("segment.ms"), &c->log_roll_ms))
		c->log_roll_ms = 604800000;
	if (c->log_retention_ms == 0)
		return fail(l, key, "log.retention.ms must be unlimited (-1) or, equal or greater than 1.");
	return 0;
}

/* max.connections, max.connections.per.ip and the overrides, with
 * Kafka's rule that a per-IP cap of 0 needs overrides. */
static int conn_limits_fill(struct load *l)
{
	struct broker_config *c = l->cfg;
	char err[512];
	int rc;

	c->max_connections = (int32_t)kv_long(l, "max.connections");
	c->max_connections_per_ip = (int32_t)kv_long(l, "max.connections.per.ip");
	c->max_connection_creation_rate =
		(int32_t)kv_long(l, "max.connection.creation.rate");
	rc = conn_limits_parse_overrides(kv(l, "max.connections.per.ip.overrides"),
					 &c->ip_limits, &c->n_ip_limits, err,
					 sizeof(err));
	if (rc == -ENOMEM)
		return oom(l);
	if (rc)
		return fail(l, "max.connections.per.ip.overrides", "%s", err);
	if (c->max_connections_per_ip == 0 && c->n_ip_limits == 0)
		return fail(l, "max.connections.per.ip",
			    "If max.connections.per.ip is set to 0, max.connections.per.ip.overrides must be set");
	return 0;
}

static int fields_fill(struct load *l)
{
	struct broker_config *c = l->cfg;
	const char *ekf = props_get(c->props, "log.encryption.key.file");
	int rc = node_id_fill(l);

	if (!rc)
		rc = log_dir_fill(l);
	if (!rc)
		rc = retention_fill(l);
	if (rc)
		return rc;
	c->num_partitions = (int32_t)kv_long(l, "num.partitions");
	c->default_replication_factor = (int16_t)kv_long(l, "default.replication.factor");
	c->auto_create_topics = kv_bool(l, "auto.create.topics.enable");
	c->delete_topic_enable = kv_bool(l, "delete.topic.enable");
	c->message_max_bytes = (int32_t)kv_long(l, "message.max.bytes");
	c->socket_request_max_bytes = (int32_t)kv_long(l, "socket.request.max.bytes");
	c->connections_max_idle_ms = kv_long(l, "connections.max.idle.ms");
	c->fetch_max_bytes = (int32_t)kv_long(l, "fetch.max.bytes");
	c->producer_id_expiration_ms = (int32_t)kv_long(l, "producer.id.expiration.ms");
	c->producer_id_expiration_check_interval_ms =
		(int32_t)kv_long(l, "producer.id.expiration.check.interval.ms");
	rc = conn_limits_fill(l);
	if (rc)
		return rc;
	c->log_segment_bytes = kv_long(l, "log.segment.bytes");
	c->log_retention_bytes = kv_long(l, "log.retention.bytes");
	c->log_retention_check_interval_ms = kv_long(l, "log.retention.check.interval.ms");
	c->log_index_interval_bytes = (int32_t)kv_long(l, "log.index.interval.bytes");
	c->log_message_timestamp_log_append =
		strcmp(kv(l, "log.message.timestamp.type"), "LogAppendTime") == 0;
	c->group_initial_rebalance_delay_ms = (int32_t)kv_long(l, "group.initial.rebalance.delay.ms");
	c->group_min_session_timeout_ms = (int32_t)kv_long(l, "group.min.session.timeout.ms");
	c->group_max_size = (int32_t)kv_long(l, "group.max.size");
	c->group_max_session_timeout_ms = (int32_t)kv_long(l, "group.max.session.timeout.ms");
	c->offsets_retention_minutes = (int32_t)kv_long(l, "offsets.retention.minutes");
	c->offsets_topic_num_partitions = (int32_t)kv_long(l, "offsets.topic.num.partitions");
	c->offsets_retention_check_interval_ms = kv_long(l, "offsets.retention.check.interval.ms");
	c->sync_before_ack = kv_bool(l, "log.sync.before.ack");
	if (c->group_max_session_timeout_ms < c->group_min_session_timeout_ms)
		return fail(l, "group.max.session.timeout.ms",
			    "group.max.session.timeout.ms must be greater than or equal to group.min.session.timeout.ms");
	if (ekf && *ekf && !(c->encryption_key_file = strdup(ekf)))
		return oom(l);
	return 0;
}

/* The broker-level value of every topic config whose broker key is set. */
static int topic_defaults_fill(struct load *l)
{
	struct broker_config *c = l->cfg;
	char num[24];

	for (const struct topic_config_def *d = topic_config_defs; d->name; d++) {
		const char *v = d->broker_key ? props_get(c->props, d->broker_key)
					      : NULL;
		int64_t ms;
		if (d->alt[0].key && broker_ms(l, d, &ms)) {
			snprintf(num, sizeof(num), "%" PRId64, ms);
			v = num;
		}
		if (v && props_set(c->topic_defaults, d->name, v))
			return oom(l);
	}
	return 0;
}

/* --- listeners ------------------------------------------------------------- */

struct proto_map {
	int count;
	bool implicit; /* the key was not set */
	struct {
		char name[64];
		enum sec_proto proto;
	} e[32];
};

struct names {
	int count;
	char name[CONFIG_MAX_LISTENERS][64];
};

static bool names_has(const struct names *n, const char *name)
{
	for (int i = 0; i < n->count; i++)
		if (strcmp(n->name[i], name) == 0)
			return true;
	return false;
}

static void names_join(const struct names *n, char *out, size_t cap)
{
	size_t off = 0;

	out[0] = '\0';
	for (int i = 0; i < n->count && off < cap; i++)
		off += (size_t)snprintf(out + off, cap - off, "%s%s",
					i ? "," : "", n->name[i]);
}

static int names_parse(struct load *l, const char *key, struct names *n)
{
	const char *s = props_get(l->cfg->props, key), *item;
	size_t len;

	n->count = 0;
	while (config_csv_next(&s, &item, &len)) {
		if (n->count == CONFIG_MAX_LISTENERS || len >= sizeof(n->name[0]))
			return fail(l, key, "Invalid value %s for configuration %s: too many or too long names",
				    props_get(l->cfg->props, key), key);
		memcpy(n->name[n->count], item, len);
		n->name[n->count][len] = '\0';
		upper(n->name[n->count++]);
	}
	return 0;
}

static int map_parse(struct load *l, struct proto_map *m)
{
	const char *key = "listener.security.protocol.map";
	const char *v = kv(l, key), *s = v, *item;
	size_t len;

	m->implicit = !props_get(l->cfg->props, key);
	m->count = 0;
	while (config_csv_next(&s, &item, &len)) {
		const char *colon = memrchr(item, ':', len);
		size_t nlen = colon ? (size_t)(colon - item) : 0;
		while (nlen && (unsigned char)item[nlen - 1] <= ' ')
			nlen--;
		if (!colon || !nlen || nlen >= sizeof(m->e[0].name) ||
		    m->count == 32)
			return fail(l, key, "Invalid value %s for configuration %s: entries must be of the form NAME:PROTOCOL",
				    v, key);
		memcpy(m->e[m->count].name, item, nlen);
		m->e[m->count].name[nlen] = '\0';
		upper(m->e[m->count].name);
		colon++;
		while ((unsigned char)*colon <= ' ' && colon < item + len)
			colon++;
		if (config_proto_parse(colon, (size_t)(item + len - colon),
				&m->e[m->count].proto))
			return fail(l, key, "Invalid value %s for configuration %s: unknown security protocol %.*s (one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)",
				    v, key, (int)(item + len - colon), colon);
		m->count++;
	}
	return 0;
}

static int endpoints_parse(struct load *l, const char *key,
			   struct listener_cfg *out, int *count)
{
	const char *v = kv(l, key), *s = v, *item;
	size_t len;

	*count = 0;
	while (config_csv_next(&s, &item, &len)) {
		if (*count == CONFIG_MAX_LISTENERS)
			return fail(l, key, "Invalid value %s for configuration %s: at most %d listeners are supported",
				    v, key, CONFIG_MAX_LISTENERS);
		if (config_endpoint_parse(item, len, &out[*count]))
			return fail(l, key, "Invalid value %s for configuration %s: Unable to parse %.*s to a broker endpoint",
				    v, key, (int)len, item);
		for (int i = 0; i < *count; i++)
			if (strcmp(out[i].name, out[*count].name) == 0)
				return fail(l, key, "Each listener must have a different name, %s: %s",
					    key, v);
		(*count)++;
	}
	return 0;
}

static bool is_ssl_or_sasl(const char *name)
{
	return strcmp(name, "SSL") == 0 || strcmp(name, "SASL_SSL") == 0 ||
	       strcmp(name, "SASL_PLAINTEXT") == 0;
}

/* Kafka: with the map unset, controller listeners default to PLAINTEXT
 * as long as no listener or controller name is SSL or SASL_*. */
static void map_add_controllers(struct proto_map *m, const struct names *ctrl,
				const struct listener_cfg *eps, int count)
{
	for (int i = 0; i < ctrl->count; i++)
		if (is_ssl_or_sasl(ctrl->name[i]))
			return;
	for (int i = 0; i < count; i++)
		if (is_ssl_or_sasl(eps[i].name))
			return;
	for (int i = 0; i < ctrl->count && m->count < 32; i++) {
		memcpy(m->e[m->count].name, ctrl->name[i], sizeof(ctrl->name[i]));
		m->e[m->count++].proto = SEC_PLAINTEXT;
	}
}

/* The map's protocol for a listener; a protocol's own name also works. */
static int proto_assign(struct load *l, const struct proto_map *m,
			struct listener_cfg *ep)
{
	for (int i = m->count - 1; i >= 0; i--) {
		if (strcmp(m->e[i].name, ep->name) == 0) {
			ep->proto = m->e[i].proto;
			return 0;
		}
	}
	if (config_proto_parse(ep->name, strlen(ep->name), &ep->proto) == 0)
		return 0;
	return fail(l, "listeners", "No security protocol defined for listener %s: add it to listener.security.protocol.map",
		    ep->name);
}

static bool is_ipv6(const char *h)
{
	return strchr(h, ':') != NULL;
}

static bool is_ipv4(const char *h)
{
	return *h && strspn(h, "0123456789.") == strlen(h);
}

/* Ports are unique (0 excepted), except for exactly one IPv4 and one
 * IPv6 listener sharing one (KIP-797). */
static int ports_check(struct load *l, const struct listener_cfg *eps,
		       int count)
{
	for (int i = 0; i < count; i++) {
		int same = 0, v4 = 0, v6 = 0;
		for (int j = 0; j < count; j++) {
			if (eps[j].port != eps[i].port)
				continue;
			same++;
			v4 += is_ipv4(eps[j].host);
			v6 += is_ipv6(eps[j].host);
		}
		if (eps[i].port && same > 1 && !(same == 2 && v4 == 1 && v6 == 1))
			return fail(l, "listeners", "Each listener must have a different port unless exactly one listener has an IPv4 address and the other IPv6 address, listeners: %s, port: %u",
				    kv(l, "listeners"), eps[i].port);
	}
	return 0;
}

static void host_default(struct listener_cfg *a)
{
	if (a->host[0])
		return;
	if (gethostname(a->host, sizeof(a->host)) != 0)
		snprintf(a->host, sizeof(a->host), "localhost");
	a->host[sizeof(a->host) - 1] = '\0';
}

static bool host_wildcard(const char *h)
{
	return strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0;
}

static int advertised_explicit(struct load *l, const struct names *all,
			       struct names *named)
{
	const char *key = "advertised.listeners";
	struct listener_cfg adv[CONFIG_MAX_LISTENERS];
	struct broker_config *c = l->cfg;
	char valid[CONFIG_MAX_LISTENERS * 65];
	int count, rc = endpoints_parse(l, key, adv, &count);

	named->count = 0;
	names_join(all, valid, sizeof(valid));
	for (int i = 0; !rc && i < count; i++) {
		if (!names_has(all, adv[i].name))
			return fail(l, key, "advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found %s. The valid options based on currently configured listeners are %s",
				    adv[i].name, valid);
		if (host_wildcard(adv[i].host))
			return fail(l, key, "advertised.listeners cannot use the nonroutable meta-address %s. Use a routable IP address.",
				    adv[i].host);
		for (int j = 0; j < c->listener_count; j++) {
			if (strcmp(c->listeners[j].name, adv[i].name) != 0)
				continue;
			c->advertised[j] = adv[i];
			c->advertised[j].proto = c->listeners[j].proto;
			memcpy(named->name[named->count++], adv[i].name,
			       sizeof(adv[i].name));
		}
	}
	return rc;
}

/* advertised[i] for every served listener: advertised.listeners' entry,
 * else (not Kafka, which would not advertise it) the listener itself. */
static int advertised_fill(struct load *l, const struct names *all,
			   struct names *named)
{
	struct broker_config *c = l->cfg;
	bool explicit = props_get(c->props, "advertised.listeners") != NULL;
	int rc = 0;

	memset(c->advertised, 0, sizeof(c->advertised));
	if (explicit)
		rc = advertised_explicit(l, all, named);
	for (int i = 0; !rc && i < c->listener_count; i++) {
		struct listener_cfg *a = &c->advertised[i];
		if (explicit && a->name[0]) {
			host_default(a);
			continue;
		}
		*a = c->listeners[i];
		if (!explicit && host_wildcard(a->host))
			return fail(l, "listeners", "advertised.listeners cannot use the nonroutable meta-address %s. Use a routable IP address (set advertised.listeners).",
				    a->host);
		if (host_wildcard(a->host))
			a->host[0] = '\0';
		host_default(a);
		if (explicit)
			log_warn(LOGC, "Listener %s is not in advertised.listeners; advertising %s:%u to its clients",
				 a->name, a->host, a->port);
		else
			memcpy(named->name[named->count++], a->name,
			       sizeof(a->name));
	}
	return rc;
}

static int inter_broker_fill(struct load *l, const struct names *advertised)
{
	struct broker_config *c = l->cfg;
	const char *ibl = props_get(c->props, "inter.broker.listener.name");
	const char *sibp = props_get(c->props, "security.inter.broker.protocol");
	const char *key = ibl ? "inter.broker.listener.name"
			      : "security.inter.broker.protocol";
	char name[64], valid[CONFIG_MAX_LISTENERS * 65];

	if (ibl && sibp)
		return fail(l, key, "Only one of inter.broker.listener.name and security.inter.broker.protocol should be set.");
	snprintf(name, sizeof(name), "%s", ibl ? ibl : sibp ? sibp : "PLAINTEXT");
	upper(name);
	if (names_has(advertised, name)) {
		memcpy(c->inter_broker_listener, name, sizeof(name));
		return 0;
	}
	if (!ibl && !sibp)
		return 0; /* one node needs none: not an error here */
	names_join(advertised, valid, sizeof(valid));
	return fail(l, key, "inter.broker.listener.name must be a listener name defined in advertised.listeners. The valid options based on currently configured listeners are %s",
		    valid);
}

static int listeners_fill(struct load *l)
{
	struct listener_cfg eps[CONFIG_MAX_LISTENERS];
	struct broker_config *c = l->cfg;
	struct names ctrl, all = { 0 }, advertised = { 0 };
	struct proto_map map;
	int count, rc = names_parse(l, "controller.listener.names", &ctrl);

	if (!rc)
		rc = map_parse(l, &map);
	if (!rc)
		rc = endpoints_parse(l, "listeners", eps, &count);
	if (rc)
		return rc;
	if (map.implicit)
		map_add_controllers(&map, &ctrl, eps, count);
	for (int i = 0; i < count && !rc; i++) {
		rc = proto_assign(l, &map, &eps[i]);
		memcpy(all.name[all.count++], eps[i].name, sizeof(eps[i].name));
		if (!rc && !names_has(&ctrl, eps[i].name))
			c->listeners[c->listener_count++] = eps[i];
	}
	if (!rc)
		rc = ports_check(l, eps, count);
	if (!rc && c->listener_count == 0)
		return fail(l, "listeners", "listeners must name at least one listener that is not in controller.listener.names (sealog serves no controller listener)");
	if (!rc)
		rc = advertised_fill(l, &all, &advertised);
	return rc ? rc : inter_broker_fill(l, &advertised);
}

/* --- entry points ----------------------------------------------------------- */

static int load_all(struct load *l, int argc, char **argv)
{
	int rc = args_scan(l, argc, argv);

	if (rc)
		return rc;
	l->cfg->props = props_new();
	l->cfg->topic_defaults = props_new();
	l->origin = props_new();
	if (!l->cfg->props || !l->cfg->topic_defaults || !l->origin)
		return oom(l);
	rc = base_load(l);
	if (!rc)
		rc = env_apply(l);
	if (!rc)
		rc = overrides_apply(l, argc, argv);
	if (!rc)
		rc = level_apply(l);
	if (!rc)
		rc = keys_check(l);
	if (!rc)
		rc = fields_fill(l);
	if (!rc)
		rc = listeners_fill(l);
	return rc ? rc : topic_defaults_fill(l);
}

int config_load(int argc, char **argv, struct broker_config *cfg)
{
	struct load l = { .cfg = cfg };
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	rc = load_all(&l, argc, argv);
	props_free(l.origin);
	if (rc == 0)
		return 0;
	config_free(cfg);
	if (rc == CONFIG_EXIT_DONE)
		return CONFIG_EXIT_DONE;
	fprintf(stderr, "sealogd: configuration error: %s\n", l.msg);
	return CONFIG_EXIT_BAD;
}

void config_free(struct broker_config *cfg)
{
	if (!cfg)
		return;
	props_free(cfg->props);
	props_free(cfg->topic_defaults);
	free(cfg->log_dir);
	free(cfg->encryption_key_file);
	free(cfg->ip_limits);
	memset(cfg, 0, sizeof(*cfg));
}
