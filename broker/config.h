/* config.h - broker configuration with Kafka's keys and semantics.
 *
 * Sources, later ones winning: the embedded default (single node,
 * PLAINTEXT on 127.0.0.1:9092, data in ./data) when no file is given; the
 * server.properties file (Java Properties rules); KAFKA_* environment
 * variables (apache/kafka mapping, only when SEALOG_CONFIG_FROM_ENV=1 or
 * when sealogd is PID 1, i.e. a container entrypoint); --override
 * key=value arguments. Unknown keys warn; known-but-ignored keys
 * (process.roles, controller.*, num.*.threads ...) are accepted silently;
 * an invalid value is an error naming the key. Every key: CONFIG.md.
 *
 * Topic-level configs (retention.ms, segment.bytes, cleanup.policy ...)
 * have a definition table shared by CreateTopics, DescribeConfigs and
 * AlterConfigs; a topic's effective value is its override, else the
 * broker key it falls back to (log.retention.ms ...), else Kafka's default.
 *
 * Thread: load at startup on the main thread (reads the environment and
 * sets the process log level); afterwards everything is read-only and
 * may be read from any thread.
 */
#ifndef SEALOG_BROKER_CONFIG_H
#define SEALOG_BROKER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sec_proto { SEC_PLAINTEXT = 0, SEC_SSL, SEC_SASL_PLAINTEXT, SEC_SASL_SSL };

#define CONFIG_MAX_LISTENERS 16

enum config_type {
	/* values of DescribeConfigs' ConfigType (v3+) */
	CONFIG_TYPE_BOOLEAN = 1, CONFIG_TYPE_STRING = 2, CONFIG_TYPE_INT = 3,
	CONFIG_TYPE_SHORT = 4, CONFIG_TYPE_LONG = 5, CONFIG_TYPE_DOUBLE = 6,
	CONFIG_TYPE_LIST = 7, CONFIG_TYPE_CLASS = 8, CONFIG_TYPE_PASSWORD = 9,
};

struct listener_cfg {
	char name[64];   /* upper case, e.g. PLAINTEXT, BROKER, TC-0 */
	char host[256];  /* "" = default interface; IPv6 without brackets */
	uint16_t port;   /* 0 = any free port (advertise the bound one) */
	enum sec_proto proto;
};

struct net_ip_limit; /* net/net.h */
struct props; /* ordered key/value list; see props_* below */

struct broker_config {
	struct props *props;       /* every key set (default/file/env/override) */
	struct props *topic_defaults; /* topic config name -> broker-level value */
	int32_t node_id;           /* node.id / broker.id */
	char cluster_id[32];       /* CLUSTER_ID env, else generated at first start */
	/* Served listeners; controller.listener.names are left out. */
	struct listener_cfg listeners[CONFIG_MAX_LISTENERS];
	int listener_count;
	/* advertised[i] is what clients on listeners[i] are told: never an
	 * empty or wildcard host (the empty host becomes gethostname()).
	 * Port 0 (listener on port 0, not advertised otherwise): whoever
	 * binds must store the bound port here before serving. */
	struct listener_cfg advertised[CONFIG_MAX_LISTENERS];
	char inter_broker_listener[64]; /* "" when not configured */
	char *log_dir;             /* first of log.dirs / log.dir */
	char *encryption_key_file; /* log.encryption.key.file, NULL = embedded default */
	bool sync_before_ack;      /* log.sync.before.ack (ours), default true */
	bool from_env;             /* KAFKA_* / CLUSTER_ID were read */
	int32_t num_partitions;
	int16_t default_replication_factor;
	bool auto_create_topics;
	bool delete_topic_enable;
	int32_t message_max_bytes;
	int32_t socket_request_max_bytes;
	int64_t connections_max_idle_ms; /* <= 0: never close idle ones */
	int32_t fetch_max_bytes;         /* caps a Fetch's max_bytes */
	int32_t producer_id_expiration_ms; /* idle producer state is dropped */
	int32_t producer_id_expiration_check_interval_ms;
	int32_t max_connections;         /* broker-wide (conn_limits.h) */
	int32_t max_connections_per_ip;
	int32_t max_connection_creation_rate; /* a second, broker-wide */
	struct net_ip_limit *ip_limits;  /* ...per.ip.overrides, malloc'd */
	size_t n_ip_limits;
	int64_t log_segment_bytes;
	int64_t log_roll_ms;       /* from .ms > .hours */
	int64_t log_retention_ms;  /* -1 unlimited; from .ms > .minutes > .hours */
	int64_t log_retention_bytes;
	int64_t log_retention_check_interval_ms;
	int32_t log_index_interval_bytes;
	bool log_message_timestamp_log_append; /* log.message.timestamp.type */
	int32_t group_initial_rebalance_delay_ms;
	int32_t group_min_session_timeout_ms;
	int32_t group_max_size;
	int32_t group_max_session_timeout_ms;
	int32_t offsets_retention_minutes;
	int64_t offsets_retention_check_interval_ms;
	int32_t offsets_topic_num_partitions;
};

#define CONFIG_EXIT_DONE (-1) /* --help / --version printed: exit 0 */
#define CONFIG_EXIT_BAD 2     /* bad configuration: message on stderr */

/* Parse argv (sealogd [server.properties] [--override k=v ...]) and the
 * environment into cfg (which is overwritten, not freed). Returns 0 to
 * run the broker; CONFIG_EXIT_DONE after printing --help or --version to
 * stdout; CONFIG_EXIT_BAD after printing one message to stderr naming the
 * key (and file and line, or environment variable) or the file. On any
 * non-zero return cfg holds nothing to free. Sets the log level
 * (log.level / KAFKA_LOG4J_ROOT_LOGLEVEL) and logs one WARN per unknown
 * key. */
int config_load(int argc, char **argv, struct broker_config *cfg);
/* Free what config_load allocated; safe on a zeroed or freed cfg. */
void config_free(struct broker_config *cfg);

/* --- value parsers (Kafka's syntax, no surrounding whitespace) ---------- */

/* Decimal with optional sign; 0, -EINVAL (syntax) or -ERANGE. */
int config_long_parse(const char *s, int64_t *out);
int config_int_parse(const char *s, int32_t *out);
/* "true" / "false" in any case; 0 or -EINVAL. */
int config_bool_parse(const char *s, bool *out);
/* Finite decimal floating point (no hex, inf, nan); 0 or -EINVAL. */
int config_double_parse(const char *s, double *out);
/* Kafka's reading of a typed value as a malloc'd canonical string:
 * trimmed (Java's trim), LIST elements trimmed and joined with ",",
 * BOOLEAN lower-cased. NULL when out of memory. */
char *config_value_normalise(const char *value, enum config_type type);

/* Listener syntax: "NAME://host:port", "NAME://[v6]:port", "NAME://:port"
 * (len bytes, no blanks) into ep, name upper-cased. 0 or -EINVAL. */
int config_endpoint_parse(const char *s, size_t len, struct listener_cfg *ep);
/* PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL in any case; 0 or -EINVAL. */
int config_proto_parse(const char *s, size_t len, enum sec_proto *out);
/* Next item of the comma list at *s, trimmed, empty items skipped
 * (Kafka's Csv.parseCsvList); false at the end. Advances *s. */
bool config_csv_next(const char **s, const char **item, size_t *len);
/* CLUSTER_ID: 22 URL-safe base64 characters encoding 16 bytes. */
bool config_cluster_id_valid(const char *s);

/* --- Java-properties key/value list ------------------------------------ */

/* Parse Java Properties text (comments # !, = : or space separators,
 * continuations, \t \n \r \f \\ \uXXXX escapes, last key wins). Raw bytes
 * pass through (UTF-8 stays UTF-8); \uXXXX becomes UTF-8; a leading UTF-8
 * BOM is skipped. 0, -ENOMEM, or -EINVAL (NUL byte, malformed \u, \u0000,
 * unpaired surrogate) with err = "line N: ..." (err may be NULL). */
int props_parse(struct props *p, const char *text, size_t len, char *err,
		size_t errlen);
/* props_parse() of the file at path (at most max bytes). 0, -ENOMEM,
 * -errno of open/read (-EMSGSIZE: larger than max), or -EINVAL; err
 * names the file (and the line for a syntax error). */
int props_load_file(struct props *p, const char *path, size_t max, char *err,
		    size_t errlen);
/* Decode the escapes of one value (as props_parse does) into a malloc'd
 * string at *out. 0, -ENOMEM or -EINVAL with err = "...". */
int props_unescape(const char *s, size_t len, char **out, char *err,
		   size_t errlen);
/* The key a Kafka image derives from environment variable name (no
 * "=value"): KAFKA_* as apache/kafka and cp-kafka do (every "KAFKA_"
 * removed, lower case, _ -> ., ... -> -, .. -> _), KAFKA_CFG_* as bitnami
 * does (_ -> ., lower case, sasl.ssl -> sasl_ssl, sasl.plaintext ->
 * sasl_plaintext). 0; -ENOENT when not mapped (other prefix, the images'
 * exclusions such as KAFKA_OPTS, empty key); -ENAMETOOLONG. */
int props_env_key(const char *name, char *out, size_t cap);
/* Every key the environment envp ("NAME=value" strings, NULL-terminated)
 * sets, into out (and key -> "from environment variable X" into origin,
 * which may be NULL): KAFKA_LOG4J_ROOT_LOGLEVEL as log.level, then
 * KAFKA_*, then KAFKA_CFG_* (winning); values unescaped like a properties
 * file's, since the images write them into one; listeners derived from
 * advertised.listeners (hosts -> 0.0.0.0) when only the latter is set.
 * 0, -ENOMEM, or -EINVAL with err naming the variable (not its value). */
int props_from_env(char *const *envp, struct props *out, struct props *origin,
		   char *err, size_t errlen);
/* NULL when out of memory. */
struct props *props_new(void);
void props_free(struct props *p);
/* The value or NULL; the pointer lives until the key is set again. */
const char *props_get(const struct props *p, const char *key);
/* Copies key and value. 0, -EINVAL (NULL argument) or -ENOMEM. */
int props_set(struct props *p, const char *key, const char *value);
/* Line where props_parse last set key; 0 if unknown or set otherwise. */
int props_line(const struct props *p, const char *key);
size_t props_count(const struct props *p);
/* i-th entry in insertion order (a re-set key keeps its first place);
 * NULLs when i is out of range. */
void props_at(const struct props *p, size_t i, const char **key,
	      const char **value);

/* --- topic-level configs ------------------------------------------------ */


/* DescribeConfigs' ConfigSource values. */
enum config_source {
	CONFIG_SOURCE_DYNAMIC_TOPIC = 1,
	CONFIG_SOURCE_DYNAMIC_BROKER = 2,
	CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER = 3,
	CONFIG_SOURCE_STATIC_BROKER = 4,
	CONFIG_SOURCE_DEFAULT = 5,
};

/* A lower-priority broker key and the factor to milliseconds
 * (log.retention.hours, 3600000). */
struct config_synonym {
	const char *key;
	int64_t scale;
};

/* Value rule shared by topic and broker keys: the type's syntax, then
 * [min, max] when ranged, then membership in valid (STRING: the value;
 * LIST: each element), then check (extra rule, fills err). */
struct config_rule {
	enum config_type type;
	bool ranged;
	int64_t min, max;
	const char *const *valid; /* NULL-terminated */
	int (*check)(const char *key, const char *value, char *err,
		     size_t errlen);
};

struct topic_config_def {
	const char *name;          /* retention.ms */
	const char *broker_key;    /* log.retention.ms, or NULL */
	enum config_type type;
	const char *doc;
	const char *default_value; /* Kafka's default, as DescribeConfigs shows it */
	struct config_rule rule;
	struct config_synonym alt[2]; /* after broker_key, e.g. .minutes, .hours */
};

/* The table, sorted by name, terminated by an entry with name NULL. */
extern const struct topic_config_def topic_config_defs[];
const struct topic_config_def *topic_config_find(const char *name);
/* The topic config whose broker_key is key, or NULL. */
const struct topic_config_def *topic_config_find_broker(const char *key);

/* Check a value against a rule: 0, or -EINVAL with err filled with
 * Kafka's style of message naming key ("Invalid value x for configuration
 * retention.ms: Not a number of type LONG"). */
int config_rule_check(const struct config_rule *r, const char *key,
		      const char *value, char *err, size_t errlen);

/* Check a value for a topic config: 0, or -EINVAL with err filled with
 * Kafka's style of message; -ENOENT for an unknown name ("Unknown topic
 * config name: x"). Values must be canonical: no surrounding whitespace,
 * lists without blanks around commas (Kafka would trim; we reject so that
 * every reader of the stored string sees the value that was checked). */
int topic_config_validate(const char *name, const char *value, char *err,
			  size_t errlen);

/* Rules across keys of one override set (min.compaction.lag.ms <=
 * max.compaction.lag.ms, both taken from overrides, then cfg, then
 * defaults). Call after topic_config_validate() on each key. 0 or -EINVAL
 * with err. cfg may be NULL. */
int topic_config_validate_set(const struct broker_config *cfg,
			      const struct props *overrides, char *err,
			      size_t errlen);

/* Effective value of a topic config for a topic whose overrides are
 * overrides (may be NULL; cfg may be NULL for Kafka's defaults): returns
 * the value (static storage or owned by cfg/overrides) and its source, or
 * NULL (source DEFAULT) for an unknown name. */
const char *topic_config_value(const struct broker_config *cfg,
			       const struct props *overrides, const char *name,
			       enum config_source *source);
/* Kafka's default for a topic config (static), or NULL if unknown. */
const char *topic_config_default(const char *name);

/* --- broker keys ----------------------------------------------------------- */

enum config_key_use {
	CONFIG_KEY_USED = 0, /* read into struct broker_config */
	CONFIG_KEY_IGNORED,  /* accepted silently, no effect */
	CONFIG_KEY_LATER,    /* kept in props for auth/TLS/audit to read */
};

struct config_key_def {
	const char *name;   /* the key, or a prefix ending in '.' */
	bool prefix;
	enum config_key_use use;
	const char *default_value; /* Kafka's (or ours), NULL = none */
	struct config_rule rule;   /* type 0 = not checked */
};

extern const struct config_key_def config_key_defs[];
/* Exact match first, then the longest matching prefix; NULL if unknown
 * (topic synonyms such as log.cleanup.policy: topic_config_find_broker). */
const struct config_key_def *config_key_find(const char *key);

#endif
