/* config_defs.c - what every key means: value parsers, value rules, the
 * topic-config table (Kafka 3.9's LogConfig) and the broker key table.
 *
 * One rule checker serves both tables so a broker key that is a topic
 * config's synonym (log.retention.bytes for retention.bytes) is held to
 * the same rule the topic config is, and the messages are Kafka's
 * ConfigException text: "Invalid value <v> for configuration <k>: <why>".
 *
 * Also here: the syntax of listener endpoints, CSV items, security
 * protocol names and cluster ids, which config.c builds on.
 *
 * Topic values are checked as stored: Kafka trims them before parsing,
 * but the readers of a stored override (topics.c, the produce path)
 * compare and parse the string itself, so a value with blanks around it
 * would pass here and mean something else there. We reject it instead.
 */
#include "broker/config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"

/* --- value parsers -------------------------------------------------------- */

int config_long_parse(const char *s, int64_t *out)
{
	uint64_t v = 0, lim = INT64_MAX;
	bool neg = false, over = false;

	if (!s)
		return -EINVAL;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if (neg)
		lim = (uint64_t)INT64_MAX + 1;
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (*s < '0' || *s > '9')
			return -EINVAL;
		if (v > (lim - d) / 10)
			over = true;
		else
			v = v * 10 + d;
	}
	if (over)
		return -ERANGE;
	if (neg)
		*out = v == lim ? INT64_MIN : -(int64_t)v;
	else
		*out = (int64_t)v;
	return 0;
}

int config_int_parse(const char *s, int32_t *out)
{
	int64_t v;
	int rc = config_long_parse(s, &v);

	if (rc)
		return rc;
	if (v < INT32_MIN || v > INT32_MAX)
		return -ERANGE;
	*out = (int32_t)v;
	return 0;
}

int config_bool_parse(const char *s, bool *out)
{
	if (s && strcasecmp(s, "true") == 0)
		*out = true;
	else if (s && strcasecmp(s, "false") == 0)
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static size_t digits(const char *s)
{
	size_t n = 0;

	while (s[n] >= '0' && s[n] <= '9')
		n++;
	return n;
}

int config_double_parse(const char *s, double *out)
{
	const char *p = s;
	size_t ip, fp = 0;
	double v;

	if (!s)
		return -EINVAL;
	if (*p == '+' || *p == '-')
		p++;
	ip = digits(p);
	p += ip;
	if (*p == '.') {
		fp = digits(++p);
		p += fp;
	}
	if (ip + fp == 0)
		return -EINVAL;
	if (*p == 'e' || *p == 'E') {
		size_t ep;
		p++;
		if (*p == '+' || *p == '-')
			p++;
		ep = digits(p);
		if (!ep)
			return -EINVAL;
		p += ep;
	}
	if (*p)
		return -EINVAL;
	v = strtod(s, NULL);
	if (!isfinite(v))
		return -EINVAL;
	*out = v;
	return 0;
}

/* Java's String.trim(): everything <= ' ' at both ends, into a copy. */
static char *trim_dup(const char *s, size_t len)
{
	while (len && (unsigned char)*s <= ' ') {
		s++;
		len--;
	}
	while (len && (unsigned char)s[len - 1] <= ' ')
		len--;
	return strndup(s, len);
}

static char *normalise_list(const char *v)
{
	char *out = calloc(1, strlen(v) + 1), *w = out;

	for (const char *s = v; out;) {
		size_t len = strcspn(s, ",");
		char *e = trim_dup(s, len);
		if (!e) {
			free(out);
			return NULL;
		}
		w = stpcpy(w, e);
		free(e);
		if (!s[len])
			break;
		*w++ = ',';
		s += len + 1;
	}
	return out;
}

char *config_value_normalise(const char *value, enum config_type type)
{
	char *t = trim_dup(value, strlen(value)), *out;

	if (t && type == CONFIG_TYPE_BOOLEAN)
		for (char *w = t; *w; w++)
			*w = (char)tolower((unsigned char)*w);
	if (!t || type != CONFIG_TYPE_LIST)
		return t;
	out = normalise_list(t);
	free(t);
	return out;
}

/* --- rules ------------------------------------------------------------------ */

static int bad(char *err, size_t errlen, const char *key, const char *value,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int bad(char *err, size_t errlen, const char *key, const char *value,
	       const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (err && errlen)
		snprintf(err, errlen, "Invalid value %s for configuration %s: %s",
			 value, key, why);
	return -EINVAL;
}

static const char *type_name(enum config_type t)
{
	return t == CONFIG_TYPE_INT     ? "INT"
	       : t == CONFIG_TYPE_SHORT ? "SHORT"
	       : t == CONFIG_TYPE_LONG  ? "LONG"
				       : "DOUBLE";
}

static int check_integer(const struct config_rule *r, const char *key,
			 const char *value, char *err, size_t errlen)
{
	int64_t v, lo = INT64_MIN, hi = INT64_MAX;

	if (r->type == CONFIG_TYPE_INT) {
		lo = INT32_MIN;
		hi = INT32_MAX;
	} else if (r->type == CONFIG_TYPE_SHORT) {
		lo = INT16_MIN;
		hi = INT16_MAX;
	}
	if (config_long_parse(value, &v) || v < lo || v > hi)
		return bad(err, errlen, key, value, "Not a number of type %s",
			   type_name(r->type));
	if (r->ranged && v < r->min)
		return bad(err, errlen, key, value,
			   "Value must be at least %" PRId64, r->min);
	if (r->ranged && v > r->max)
		return bad(err, errlen, key, value,
			   "Value must be no more than %" PRId64, r->max);
	return 0;
}

static int check_double(const struct config_rule *r, const char *key,
			const char *value, char *err, size_t errlen)
{
	double v;

	if (config_double_parse(value, &v))
		return bad(err, errlen, key, value,
			   "Not a number of type DOUBLE");
	if (r->ranged && v < (double)r->min)
		return bad(err, errlen, key, value,
			   "Value must be at least %" PRId64, r->min);
	if (r->ranged && v > (double)r->max)
		return bad(err, errlen, key, value,
			   "Value must be no more than %" PRId64, r->max);
	return 0;
}

static bool one_of(const char *const *valid, const char *s, size_t len)
{
	for (; *valid; valid++)
		if (strlen(*valid) == len && memcmp(*valid, s, len) == 0)
			return true;
	return false;
}

static int not_one_of(const struct config_rule *r, const char *key,
		      const char *s, size_t len, char *err, size_t errlen)
{
	char list[192] = "", elem[128];
	size_t off = 0;

	for (const char *const *v = r->valid; *v && off < sizeof(list); v++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
					v == r->valid ? "" : ", ", *v);
	snprintf(elem, sizeof(elem), "%.*s", (int)len, s);
	return bad(err, errlen, key, elem, "String must be one of: %s", list);
}

static int check_list(const struct config_rule *r, const char *key,
		      const char *value, char *err, size_t errlen)
{
	const char *s = value;

	if (!r->valid || !*value)
		return 0; /* the empty list is valid (Kafka 3.9) */
	for (;;) {
		size_t len = strcspn(s, ",");
		if (!one_of(r->valid, s, len))
			return not_one_of(r, key, s, len, err, errlen);
		if (!s[len])
			return 0;
		s += len + 1;
	}
}

int config_rule_check(const struct config_rule *r, const char *key,
		      const char *value, char *err, size_t errlen)
{
	bool b;
	int rc = 0;

	switch (r->type) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_SHORT:
	case CONFIG_TYPE_LONG:
		rc = check_integer(r, key, value, err, errlen);
		break;
	case CONFIG_TYPE_DOUBLE:
		rc = check_double(r, key, value, err, errlen);
		break;
	case CONFIG_TYPE_BOOLEAN:
		if (config_bool_parse(value, &b))
			rc = bad(err, errlen, key, value,
				 "Expected value to be either true or false");
		break;
	case CONFIG_TYPE_STRING:
		if (r->valid && !one_of(r->valid, value, strlen(value)))
			rc = not_one_of(r, key, value, strlen(value), err,
					errlen);
		break;
	case CONFIG_TYPE_LIST:
		rc = check_list(r, key, value, err, errlen);
		break;
	default:
		break;
	}
	if (!rc && r->check)
		rc = r->check(key, value, err, errlen);
	return rc;
}

/* --- extra rules -------------------------------------------------------- */

static int check_gzip_level(const char *key, const char *value, char *err,
			    size_t errlen)
{
	int32_t v;

	if (config_int_parse(value, &v) == 0 && (v == -1 || (v >= 1 && v <= 9)))
		return 0;
	return bad(err, errlen, key, value,
		   "Value must be between 1 and 9, or -1 for the default");
}

/* "*", or partition:broker pairs ("0:1,1:1"), or empty. */
static int check_throttled(const char *key, const char *value, char *err,
			   size_t errlen)
{
	const char *s = value;

	if (!*s || strcmp(s, "*") == 0)
		return 0;
	for (;;) {
		size_t a = digits(s), b = s[a] == ':' ? digits(s + a + 1) : 0;
		if (!a || !b || (s[a + 1 + b] && s[a + 1 + b] != ','))
			break;
		s += a + 1 + b;
		if (!*s++)
			return 0;
	}
	return bad(err, errlen, key, value,
		   "Value must be the literal '*' or a list of replicas in the format [partitionId]:[brokerId],[partitionId]:[brokerId],...");
}

/* 0.8.0 ... 3.9, optionally with -IVn, like MetadataVersion's strings. */
static int check_format_version(const char *key, const char *value,
				char *err, size_t errlen)
{
	const char *s = value;
	size_t n;
	int parts = 0;

	for (;;) {
		n = digits(s);
		if (!n)
			goto bad;
		s += n;
		if (++parts == 3 || *s != '.')
			break;
		s++;
	}
	if (parts < 2 || value[0] > '3' || value[1] != '.')
		goto bad;
	if (*s && (strncmp(s, "-IV", 3) != 0 || !(n = digits(s + 3)) ||
		   s[3 + n]))
		goto bad;
	return 0;
bad:
	if (err && errlen)
		snprintf(err, errlen,
			 "Invalid value %s for configuration %s: Version %s is not a valid version",
			 value, key, value);
	return -EINVAL;
}

static int check_no_tiered(const char *key, const char *value, char *err,
			   size_t errlen)
{
	bool on = false;

	config_bool_parse(value, &on);
	if (!on)
		return 0;
	if (err && errlen)
		snprintf(err, errlen,
			 "Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.");
	return -EINVAL;
}

static int check_log_level(const char *key, const char *value, char *err,
			   size_t errlen)
{
	enum log_level l;

	if (log_level_parse(value, &l) == 0)
		return 0;
	return bad(err, errlen, key, value,
		   "String must be one of: TRACE, DEBUG, INFO, WARN, ERROR, FATAL, OFF");
}

/* --- the topic-config table --------------------------------------------- */

static const char *const cleanup_policies[] = { "compact", "delete", NULL };
static const char *const compression_types[] = {
	"uncompressed", "zstd", "lz4", "snappy", "gzip", "producer", NULL
};
static const char *const timestamp_types[] = { "CreateTime", "LogAppendTime",
					       NULL };

#define LMAX "9223372036854775807"
#define TC(n, bk, t, def) \
	.name = n, .broker_key = bk, .type = t, .default_value = def, \
	.rule.type = t
#define AT_LEAST(lo) .rule.ranged = true, .rule.min = (lo), .rule.max = INT64_MAX
#define RANGE(lo, hi) .rule.ranged = true, .rule.min = (lo), .rule.max = (hi)

const struct topic_config_def topic_config_defs[] = {
	{ TC("cleanup.policy", "log.cleanup.policy", CONFIG_TYPE_LIST, "delete"),
	  .rule.valid = cleanup_policies,
	  .doc = "delete: drop old segments by retention; compact: keep the latest record per key. Both may be given." },
	{ TC("compression.gzip.level", "compression.gzip.level", CONFIG_TYPE_INT, "-1"),
	  .rule.check = check_gzip_level,
	  .doc = "Level used when compression.type is gzip." },
	{ TC("compression.lz4.level", "compression.lz4.level", CONFIG_TYPE_INT, "9"),
	  RANGE(1, 17), .doc = "Level used when compression.type is lz4." },
	{ TC("compression.type", "compression.type", CONFIG_TYPE_STRING, "producer"),
	  .rule.valid = compression_types,
	  .doc = "Codec batches are stored with; producer keeps what the producer sent." },
	{ TC("compression.zstd.level", "compression.zstd.level", CONFIG_TYPE_INT, "3"),
	  RANGE(-131072, 22), .doc = "Level used when compression.type is zstd." },
	{ TC("delete.retention.ms", "log.cleaner.delete.retention.ms", CONFIG_TYPE_LONG, "86400000"),
	  AT_LEAST(0), .doc = "How long delete tombstones are kept on compacted topics." },
	{ TC("file.delete.delay.ms", "log.segment.delete.delay.ms", CONFIG_TYPE_LONG, "60000"),
	  AT_LEAST(0), .doc = "Delay before a deleted segment file is removed from disk." },
	{ TC("flush.messages", "log.flush.interval.messages", CONFIG_TYPE_LONG, LMAX),
	  AT_LEAST(1), .doc = "Force an fsync after this many messages (durability on sealog comes from log.sync.before.ack)." },
	{ TC("flush.ms", "log.flush.interval.ms", CONFIG_TYPE_LONG, LMAX),
	  AT_LEAST(0), .alt = { { "log.flush.scheduler.interval.ms", 1 } },
	  .doc = "Force an fsync after this much time." },
	{ TC("follower.replication.throttled.replicas", NULL, CONFIG_TYPE_LIST, ""),
	  .rule.check = check_throttled,
	  .doc = "Replicas whose follower-side replication is throttled ('*' for all)." },
	{ TC("index.interval.bytes", "log.index.interval.bytes", CONFIG_TYPE_INT, "4096"),
	  AT_LEAST(0), .doc = "Bytes of log between two offset index entries." },
	{ TC("leader.replication.throttled.replicas", NULL, CONFIG_TYPE_LIST, ""),
	  .rule.check = check_throttled,
	  .doc = "Replicas whose leader-side replication is throttled ('*' for all)." },
	{ TC("local.retention.bytes", "log.local.retention.bytes", CONFIG_TYPE_LONG, "-2"),
	  AT_LEAST(-2), .doc = "Local size limit with tiered storage; -2 means retention.bytes." },
	{ TC("local.retention.ms", "log.local.retention.ms", CONFIG_TYPE_LONG, "-2"),
	  AT_LEAST(-2), .doc = "Local time limit with tiered storage; -2 means retention.ms." },
	{ TC("max.compaction.lag.ms", "log.cleaner.max.compaction.lag.ms", CONFIG_TYPE_LONG, LMAX),
	  AT_LEAST(1), .doc = "Longest time a record may stay uncompacted." },
	{ TC("max.message.bytes", "message.max.bytes", CONFIG_TYPE_INT, "1048588"),
	  AT_LEAST(0), .doc = "Largest record batch the topic accepts." },
	{ TC("message.downconversion.enable", "log.message.downconversion.enable", CONFIG_TYPE_BOOLEAN, "true"),
	  .doc = "Whether old fetch versions may get down-converted batches." },
	{ TC("message.format.version", "log.message.format.version", CONFIG_TYPE_STRING, "3.0-IV1"),
	  .rule.check = check_format_version,
	  .doc = "Deprecated; ignored for the v2 record format every client uses." },
	{ TC("message.timestamp.after.max.ms", "log.message.timestamp.after.max.ms", CONFIG_TYPE_LONG, LMAX),
	  AT_LEAST(0), .doc = "How far in the future a CreateTime timestamp may be." },
	{ TC("message.timestamp.before.max.ms", "log.message.timestamp.before.max.ms", CONFIG_TYPE_LONG, LMAX),
	  AT_LEAST(0), .doc = "How far in the past a CreateTime timestamp may be." },
	{ TC("message.timestamp.difference.max.ms", "log.message.timestamp.difference.max.ms", CONFIG_TYPE_LONG, LMAX),
	  AT_LEAST(0), .doc = "Deprecated: the before/after limits in one." },
	{ TC("message.timestamp.type", "log.message.timestamp.type", CONFIG_TYPE_STRING, "CreateTime"),
	  .rule.valid = timestamp_types,
	  .doc = "CreateTime keeps the producer's timestamp; LogAppendTime stamps the broker's clock." },
	{ TC("min.cleanable.dirty.ratio", "log.cleaner.min.cleanable.ratio", CONFIG_TYPE_DOUBLE, "0.5"),
	  RANGE(0, 1), .doc = "Share of uncompacted log that makes a partition eligible for compaction." },
	{ TC("min.compaction.lag.ms", "log.cleaner.min.compaction.lag.ms", CONFIG_TYPE_LONG, "0"),
	  AT_LEAST(0), .doc = "Shortest time a record stays uncompacted." },
	{ TC("min.insync.replicas", "min.insync.replicas", CONFIG_TYPE_INT, "1"),
	  AT_LEAST(1), .doc = "Replicas that must have a write for acks=all to succeed." },
	{ TC("preallocate", "log.preallocate", CONFIG_TYPE_BOOLEAN, "false"),
	  .doc = "Preallocate segment files." },
	{ TC("remote.log.copy.disable", NULL, CONFIG_TYPE_BOOLEAN, "false"),
	  .doc = "Stop copying segments to tiered storage." },
	{ TC("remote.log.delete.on.disable", NULL, CONFIG_TYPE_BOOLEAN, "false"),
	  .doc = "Delete tiered data when tiered storage is turned off." },
	{ TC("remote.storage.enable", NULL, CONFIG_TYPE_BOOLEAN, "false"),
	  .rule.check = check_no_tiered,
	  .doc = "Tiered storage; not available on sealog, so only false is accepted." },
	{ TC("retention.bytes", "log.retention.bytes", CONFIG_TYPE_LONG, "-1"),
	  .doc = "Size a partition may grow to before old segments are deleted; -1 for no limit." },
	{ TC("retention.ms", "log.retention.ms", CONFIG_TYPE_LONG, "604800000"),
	  AT_LEAST(-1),
	  .alt = { { "log.retention.minutes", 60000 }, { "log.retention.hours", 3600000 } },
	  .doc = "How long records are kept before their segment is deleted; -1 for no limit." },
	{ TC("segment.bytes", "log.segment.bytes", CONFIG_TYPE_INT, "1073741824"),
	  AT_LEAST(14), .doc = "Size at which a new segment file is started." },
	{ TC("segment.index.bytes", "log.index.size.max.bytes", CONFIG_TYPE_INT, "10485760"),
	  AT_LEAST(4), .doc = "Size of a segment's offset index." },
	{ TC("segment.jitter.ms", "log.roll.jitter.ms", CONFIG_TYPE_LONG, "0"),
	  AT_LEAST(0), .alt = { { "log.roll.jitter.hours", 3600000 } },
	  .doc = "Random jitter subtracted from segment.ms." },
	{ TC("segment.ms", "log.roll.ms", CONFIG_TYPE_LONG, "604800000"),
	  AT_LEAST(1), .alt = { { "log.roll.hours", 3600000 } },
	  .doc = "Age at which a segment is rolled even if not full." },
	{ TC("unclean.leader.election.enable", "unclean.leader.election.enable", CONFIG_TYPE_BOOLEAN, "false"),
	  .doc = "Whether an out-of-sync replica may become leader (single node: no effect)." },
	{ .name = NULL },
};

#define TOPIC_CONFIG_COUNT \
	(sizeof(topic_config_defs) / sizeof(topic_config_defs[0]) - 1)

static int def_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct topic_config_def *)elem)->name);
}

const struct topic_config_def *topic_config_find(const char *name)
{
	if (!name)
		return NULL;
	return bsearch(name, topic_config_defs, TOPIC_CONFIG_COUNT,
		       sizeof(topic_config_defs[0]), def_cmp);
}

const struct topic_config_def *topic_config_find_broker(const char *key)
{
	for (const struct topic_config_def *d = topic_config_defs; d->name; d++)
		if (d->broker_key && key && strcmp(d->broker_key, key) == 0)
			return d;
	return NULL;
}

const char *topic_config_default(const char *name)
{
	const struct topic_config_def *d = topic_config_find(name);

	return d ? d->default_value : NULL;
}

/* Blanks around a value, or anywhere in a list (see the top). */
static bool canonical(const struct topic_config_def *d, const char *value)
{
	size_t len = strlen(value);

	if (d->type == CONFIG_TYPE_LIST)
		return !strpbrk(value, " \t\r\n\f\v");
	return !len || (!isspace((unsigned char)value[0]) &&
			!isspace((unsigned char)value[len - 1]));
}

int topic_config_validate(const char *name, const char *value, char *err,
			  size_t errlen)
{
	const struct topic_config_def *d = topic_config_find(name);

	if (!d) {
		if (err && errlen)
			snprintf(err, errlen, "Unknown topic config name: %s",
				 name ? name : "(null)");
		return -ENOENT;
	}
	if (!value)
		return bad(err, errlen, name, "null", "A value is required");
	if (!canonical(d, value))
		return bad(err, errlen, name, value,
			   "Leading, trailing or embedded list whitespace is not allowed");
	return config_rule_check(&d->rule, name, value, err, errlen);
}

const char *topic_config_value(const struct broker_config *cfg,
			       const struct props *overrides, const char *name,
			       enum config_source *source)
{
	const struct topic_config_def *d = topic_config_find(name);
	enum config_source unused;
	const char *v;

	if (!source)
		source = &unused;
	*source = CONFIG_SOURCE_DEFAULT;
	if (!d)
		return NULL;
	v = overrides ? props_get(overrides, d->name) : NULL;
	if (v) {
		*source = CONFIG_SOURCE_DYNAMIC_TOPIC;
		return v;
	}
	v = cfg ? props_get(cfg->topic_defaults, d->name) : NULL;
	if (v) {
		*source = CONFIG_SOURCE_STATIC_BROKER;
		return v;
	}
	return d->default_value;
}

int topic_config_validate_set(const struct broker_config *cfg,
			      const struct props *overrides, char *err,
			      size_t errlen)
{
	enum config_source src;
	int64_t lo = 0, hi = 0;

	if (config_long_parse(topic_config_value(cfg, overrides,
						 "min.compaction.lag.ms", &src),
			      &lo) ||
	    config_long_parse(topic_config_value(cfg, overrides,
						 "max.compaction.lag.ms", &src),
			      &hi))
		return 0; /* per-key validation reports those */
	if (lo <= hi)
		return 0;
	if (err && errlen)
		snprintf(err, errlen,
			 "conflict topic config setting min.compaction.lag.ms (%" PRId64 ") > max.compaction.lag.ms (%" PRId64 ")",
			 lo, hi);
	return -EINVAL;
}

/* --- the broker key table ----------------------------------------------- */

static const char *const roles[] = { "broker", "controller", NULL };
static const char *const protocols[] = { "PLAINTEXT", "SSL", "SASL_PLAINTEXT",
					 "SASL_SSL", NULL };

#define USED(n, t, def) \
	.name = n, .use = CONFIG_KEY_USED, .rule.type = t, .default_value = def
#define IGN(n, t) .name = n, .use = CONFIG_KEY_IGNORED, .rule.type = t
#define LATER(n) .name = n, .use = CONFIG_KEY_LATER
#define PREFIX(n, u) .name = n, .prefix = true, .use = CONFIG_KEY_##u

const struct config_key_def config_key_defs[] = {
	/* identity and listeners (custom checks in config.c) */
	{ USED("node.id", CONFIG_TYPE_INT, NULL), RANGE(0, INT32_MAX) },
	{ USED("broker.id", CONFIG_TYPE_INT, NULL), RANGE(0, INT32_MAX) },
	{ USED("listeners", 0, "PLAINTEXT://:9092") },
	{ USED("advertised.listeners", 0, NULL) },
	{ USED("listener.security.protocol.map", 0,
	     "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL") },
	{ USED("inter.broker.listener.name", CONFIG_TYPE_STRING, NULL) },
	{ USED("security.inter.broker.protocol", CONFIG_TYPE_STRING, "PLAINTEXT"),
	     .rule.valid = protocols },
	{ USED("controller.listener.names", CONFIG_TYPE_LIST, NULL) },
	/* storage and topics */
	{ USED("log.dirs", CONFIG_TYPE_LIST, NULL) },
	{ USED("log.dir", CONFIG_TYPE_LIST, "/tmp/kafka-logs") },
	{ USED("num.partitions", CONFIG_TYPE_INT, "1"), AT_LEAST(1) },
	{ USED("default.replication.factor", CONFIG_TYPE_INT, "1"), RANGE(1, INT16_MAX) },
	{ USED("auto.create.topics.enable", CONFIG_TYPE_BOOLEAN, "true") },
	{ USED("delete.topic.enable", CONFIG_TYPE_BOOLEAN, "true") },
	{ USED("log.roll.ms", CONFIG_TYPE_LONG, NULL), AT_LEAST(1) },
	{ USED("log.roll.hours", CONFIG_TYPE_INT, "168"), AT_LEAST(1) },
	{ IGN("log.roll.jitter.ms", CONFIG_TYPE_LONG), AT_LEAST(0) },
	{ IGN("log.roll.jitter.hours", CONFIG_TYPE_INT), AT_LEAST(0) },
	{ USED("log.retention.ms", CONFIG_TYPE_LONG, NULL) },
	{ USED("log.retention.minutes", CONFIG_TYPE_INT, NULL) },
	{ USED("log.retention.hours", CONFIG_TYPE_INT, "168") },
	{ USED("log.retention.check.interval.ms", CONFIG_TYPE_LONG, "300000"), AT_LEAST(1) },
	{ IGN("log.flush.scheduler.interval.ms", CONFIG_TYPE_LONG), AT_LEAST(0) },
	/* network */
	{ USED("socket.request.max.bytes", CONFIG_TYPE_INT, "104857600"), AT_LEAST(1) },
	{ USED("connections.max.idle.ms", CONFIG_TYPE_LONG, "600000") },
	{ USED("fetch.max.bytes", CONFIG_TYPE_INT, "57671680"), AT_LEAST(1024) },
	{ USED("producer.id.expiration.ms", CONFIG_TYPE_INT, "86400000"), AT_LEAST(1) },
	{ USED("producer.id.expiration.check.interval.ms", CONFIG_TYPE_INT, "600000"), AT_LEAST(1) },
	{ USED("max.connections", CONFIG_TYPE_INT, "2147483647"), AT_LEAST(0) },
	{ USED("max.connections.per.ip", CONFIG_TYPE_INT, "2147483647"), AT_LEAST(0) },
	{ USED("max.connection.creation.rate", CONFIG_TYPE_INT, "2147483647"), AT_LEAST(0) },
	{ USED("max.connections.per.ip.overrides", 0, "") },
	/* groups and offsets */
	{ USED("group.initial.rebalance.delay.ms", CONFIG_TYPE_INT, "3000"), AT_LEAST(0) },
	{ USED("group.min.session.timeout.ms", CONFIG_TYPE_INT, "6000"), AT_LEAST(0) },
	{ USED("group.max.session.timeout.ms", CONFIG_TYPE_INT, "1800000"), AT_LEAST(0) },
	{ USED("offsets.retention.minutes", CONFIG_TYPE_INT, "10080"), AT_LEAST(1) },
	{ USED("offsets.topic.num.partitions", CONFIG_TYPE_INT, "50"), AT_LEAST(1) },
	{ USED("offsets.retention.check.interval.ms", CONFIG_TYPE_LONG, "600000"), AT_LEAST(1) },
	/* ours */
	{ USED("log.encryption.key.file", CONFIG_TYPE_STRING, NULL) },
	{ USED("log.sync.before.ack", CONFIG_TYPE_BOOLEAN, "true") },
	{ USED("log.level", CONFIG_TYPE_STRING, "INFO"), .rule.check = check_log_level },
	/* set by every image and fixture; no effect on one sealog node */
	{ IGN("process.roles", CONFIG_TYPE_LIST), .rule.valid = roles },
	{ PREFIX("controller.", IGNORED) },
	{ IGN("early.start.listeners", CONFIG_TYPE_LIST) },
	{ IGN("num.network.threads", CONFIG_TYPE_INT), AT_LEAST(1) },
	{ IGN("num.io.threads", CONFIG_TYPE_INT), AT_LEAST(1) },
	{ IGN("num.replica.fetchers", CONFIG_TYPE_INT) },
	{ IGN("num.recovery.threads.per.data.dir", CONFIG_TYPE_INT) },
	{ IGN("num.replica.alter.log.dirs.threads", CONFIG_TYPE_INT) },
	{ IGN("background.threads", CONFIG_TYPE_INT) },
	{ IGN("queued.max.requests", CONFIG_TYPE_INT) },
	{ IGN("queued.max.request.bytes", CONFIG_TYPE_LONG) },
	{ IGN("offsets.topic.replication.factor", CONFIG_TYPE_SHORT), AT_LEAST(1) },
	{ IGN("offsets.topic.segment.bytes", CONFIG_TYPE_INT) },
	{ IGN("offsets.topic.compression.codec", CONFIG_TYPE_INT) },
	{ IGN("offsets.load.buffer.size", CONFIG_TYPE_INT) },
	{ IGN("offsets.commit.timeout.ms", CONFIG_TYPE_INT) },
	{ IGN("offsets.commit.required.acks", CONFIG_TYPE_SHORT) },
	{ PREFIX("transaction.", IGNORED) },
	{ IGN("transactional.id.expiration.ms", CONFIG_TYPE_INT) },
	{ PREFIX("share.", IGNORED) },
	{ USED("group.max.size", CONFIG_TYPE_INT, "2147483647"), AT_LEAST(1) },
	{ PREFIX("group.coordinator.", IGNORED) },
	{ PREFIX("group.consumer.", IGNORED) },
	{ PREFIX("group.share.", IGNORED) },
	{ PREFIX("group.classic.", IGNORED) },
	{ PREFIX("confluent.", IGNORED) },
	{ IGN("socket.send.buffer.bytes", CONFIG_TYPE_INT) },
	{ IGN("socket.receive.buffer.bytes", CONFIG_TYPE_INT) },
	{ IGN("socket.listen.backlog.size", CONFIG_TYPE_INT) },
	{ IGN("socket.connection.setup.timeout.ms", CONFIG_TYPE_LONG) },
	{ IGN("socket.connection.setup.timeout.max.ms", CONFIG_TYPE_LONG) },
	{ PREFIX("replica.", IGNORED) },
	{ PREFIX("zookeeper.", IGNORED) },
	{ PREFIX("log.cleaner.", IGNORED) },
	{ PREFIX("log.flush.", IGNORED) },
	{ IGN("log.dir.failure.timeout.ms", CONFIG_TYPE_LONG) },
	{ IGN("log.initial.task.delay.ms", CONFIG_TYPE_LONG) },
	{ IGN("inter.broker.protocol.version", CONFIG_TYPE_STRING) },
	{ PREFIX("metadata.", IGNORED) },
	{ IGN("auto.leader.rebalance.enable", CONFIG_TYPE_BOOLEAN) },
	{ PREFIX("leader.imbalance.", IGNORED) },
	{ PREFIX("controlled.shutdown.", IGNORED) },
	{ IGN("max.incremental.fetch.session.cache.slots", CONFIG_TYPE_INT) },
	{ IGN("fetch.purgatory.purge.interval.requests", CONFIG_TYPE_INT) },
	{ IGN("producer.purgatory.purge.interval.requests", CONFIG_TYPE_INT) },
	{ IGN("delete.records.purgatory.purge.interval.requests", CONFIG_TYPE_INT) },
	{ IGN("request.timeout.ms", CONFIG_TYPE_INT) },
	{ PREFIX("quota.", IGNORED) },
	{ PREFIX("replication.quota.", IGNORED) },
	{ IGN("client.quota.callback.class", 0) },
	{ IGN("alter.config.policy.class.name", 0) },
	{ IGN("create.topic.policy.class.name", 0) },
	{ PREFIX("kafka.metrics.", IGNORED) },
	{ PREFIX("metrics.", IGNORED) },
	{ IGN("metric.reporters", 0) },
	{ IGN("jmx.port", 0) },
	{ IGN("reserved.broker.max.id", CONFIG_TYPE_INT) },
	{ IGN("broker.id.generation.enable", CONFIG_TYPE_BOOLEAN) },
	{ IGN("broker.rack", 0) },
	{ IGN("broker.heartbeat.interval.ms", CONFIG_TYPE_INT) },
	{ IGN("broker.session.timeout.ms", CONFIG_TYPE_INT) },
	{ IGN("initial.broker.registration.timeout.ms", CONFIG_TYPE_INT) },
	{ IGN("server.max.startup.time.ms", CONFIG_TYPE_LONG) },
	{ PREFIX("remote.log.", IGNORED) },
	{ PREFIX("unstable.", IGNORED) },
	{ IGN("eligible.leader.replicas.enable", CONFIG_TYPE_BOOLEAN) },
	{ IGN("telemetry.max.bytes", CONFIG_TYPE_INT) },
	{ PREFIX("password.encoder.", IGNORED) },
	{ IGN("config.providers", 0) },
	{ PREFIX("config.providers.", IGNORED) },
	{ PREFIX("log4j.", IGNORED) },
	/* read by broker/auth_config.c, tls_config.c, authorize.c (the
	 * authorizer and the audit log): documented in CONFIG.md 8 */
	{ PREFIX("ssl.", LATER) },
	{ PREFIX("sasl.", LATER) },
	{ PREFIX("listener.name.", LATER) },
	{ LATER("authorizer.class.name") },
	{ LATER("super.users") },
	{ LATER("allow.everyone.if.no.acl.found") },
	{ LATER("connections.max.reauth.ms") },
	{ LATER("connection.failed.authentication.delay.ms") },
	{ LATER("principal.builder.class") },
	{ LATER("security.providers") },
	{ PREFIX("delegation.token.", LATER) },
	{ PREFIX("audit.", LATER) },
	{ .name = NULL },
};

const struct config_key_def *config_key_find(const char *key)
{
	const struct config_key_def *best = NULL;
	size_t best_len = 0;

	if (!key)
		return NULL;
	for (const struct config_key_def *d = config_key_defs; d->name; d++) {
		size_t n = strlen(d->name);
		if (!d->prefix && strcmp(d->name, key) == 0)
			return d;
		if (d->prefix && n > best_len && strncmp(d->name, key, n) == 0) {
			best = d;
			best_len = n;
		}
	}
	return best;
}

/* --- listener syntax ------------------------------------------------------ */

static const char *const proto_names[] = { "PLAINTEXT", "SSL", "SASL_PLAINTEXT",
					   "SASL_SSL" };

int config_proto_parse(const char *s, size_t len, enum sec_proto *out)
{
	for (int i = 0; i < 4; i++) {
		if (strlen(proto_names[i]) == len &&
		    strncasecmp(proto_names[i], s, len) == 0) {
			*out = (enum sec_proto)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool config_csv_next(const char **s, const char **item, size_t *len)
{
	for (;;) {
		const char *p = *s;
		size_t n;
		if (!p || !*p)
			return false;
		n = strcspn(p, ",");
		*s = p[n] ? p + n + 1 : p + n;
		while (n && (unsigned char)*p <= ' ') {
			p++;
			n--;
		}
		while (n && (unsigned char)p[n - 1] <= ' ')
			n--;
		if (n) {
			*item = p;
			*len = n;
			return true;
		}
	}
}

/* Kafka's EndPoint regex allows these in a host. */
static bool host_char_ok(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c == '-' || c == '%' || c == '.' ||
	       c == '_' || c == ':';
}

static int endpoint_name(const char *s, size_t len, struct listener_cfg *ep)
{
	if (len == 0 || len >= sizeof(ep->name))
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!host_char_ok(c) || c == ':' || c == '%')
			return -EINVAL;
		ep->name[i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
	}
	ep->name[len] = '\0';
	return 0;
}

static int endpoint_port(const char *p, size_t len, uint16_t *port)
{
	uint32_t v = 0;

	if (len == 0 || len > 5)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -EINVAL;
		v = v * 10 + (uint32_t)(p[i] - '0');
	}
	if (v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

int config_endpoint_parse(const char *s, size_t len, struct listener_cfg *ep)
{
	const char *end = s + len, *sep = memmem(s, len, "://", 3), *h, *he, *p;

	memset(ep, 0, sizeof(*ep));
	if (!sep || endpoint_name(s, (size_t)(sep - s), ep))
		return -EINVAL;
	h = sep + 3;
	if (h < end && *h == '[') {
		he = memchr(h, ']', (size_t)(end - h));
		if (!he || he + 1 >= end || he[1] != ':')
			return -EINVAL;
		h++;
		p = he + 2;
	} else {
		he = memrchr(h, ':', (size_t)(end - h));
		if (!he)
			return -EINVAL;
		p = he + 1;
	}
	if ((size_t)(he - h) >= sizeof(ep->host))
		return -EINVAL;
	for (const char *c = h; c < he; c++)
		if (!host_char_ok(*c))
			return -EINVAL;
	memcpy(ep->host, h, (size_t)(he - h));
	return endpoint_port(p, (size_t)(end - p), &ep->port);
}

bool config_cluster_id_valid(const char *s)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *last;

	if (!s || strlen(s) != 22 || strspn(s, b64) != 22)
		return false;
	last = strchr(b64, s[21]);
	return ((last - b64) & 0xf) == 0; /* the 4 unused bits are zero */
}
