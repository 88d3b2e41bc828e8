/* config.h - broker configuration with Kafka's keys and semantics.
 *
 * Sources, later ones winning: the embedded default (single node,
 * PLAINTEXT on 127.0.0.1:9092, data in ./data) when no file is given; the
 * server.properties file (Java Properties rules); KAFKA_* environment
 * variables (apache/kafka mapping); --override key=value arguments.
 * Unknown keys warn; known-but-ignored keys (process.roles, controller.*,
 * num.*.threads ...) are accepted silently; an invalid value is an error
 * naming the key.
 *
 * Topic-level configs (retention.ms, segment.bytes, cleanup.policy ...)
 * have a definition table shared by CreateTopics, DescribeConfigs and
 * AlterConfigs; a topic's effective value is its override, else the
 * broker key it falls back to (log.retention.ms ...), else Kafka's default.
 *
 * Thread: load at startup on the main thread; afterwards read-only.
 */
#ifndef SEALOG_BROKER_CONFIG_H
#define SEALOG_BROKER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sec_proto { SEC_PLAINTEXT = 0, SEC_SSL, SEC_SASL_PLAINTEXT, SEC_SASL_SSL };

#define CONFIG_MAX_LISTENERS 16

struct listener_cfg {
	char name[64];   /* upper case, e.g. PLAINTEXT, BROKER, TC-0 */
	char host[256];  /* "" = default interface */
	uint16_t port;
	enum sec_proto proto;
};

struct props; /* ordered key/value list; see props_* below */

struct broker_config {
	struct props *props;       /* every effective key, for DescribeConfigs */
	int32_t node_id;           /* node.id / broker.id */
	char cluster_id[32];       /* CLUSTER_ID env, else generated at first start */
	struct listener_cfg listeners[CONFIG_MAX_LISTENERS];
	int listener_count;
	struct listener_cfg advertised[CONFIG_MAX_LISTENERS]; /* by index of listeners[] */
	char inter_broker_listener[64];
	char *log_dir;             /* first of log.dirs / log.dir */
	char *encryption_key_file; /* log.encryption.key.file, NULL = embedded default */
	bool sync_before_ack;      /* log.sync.before.ack (ours), default true */
	int32_t num_partitions;
	int16_t default_replication_factor;
	bool auto_create_topics;
	bool delete_topic_enable;
	int32_t message_max_bytes;
	int32_t socket_request_max_bytes;
	int64_t connections_max_idle_ms;
	int64_t log_segment_bytes;
	int64_t log_roll_ms;
	int64_t log_retention_ms;  /* -1 unlimited; from .ms > .minutes > .hours */
	int64_t log_retention_bytes;
	int64_t log_retention_check_interval_ms;
	int32_t log_index_interval_bytes;
	bool log_message_timestamp_log_append; /* log.message.timestamp.type */
	int32_t group_initial_rebalance_delay_ms;
	int32_t group_min_session_timeout_ms;
	int32_t group_max_session_timeout_ms;
	int32_t offsets_retention_minutes;
	int32_t offsets_topic_num_partitions;
};

/* Parse argv (sealogd [server.properties] [--override k=v ...]) and the
 * environment into cfg. Returns 0 on success; otherwise it has printed a
 * message naming the key or file to stderr and returns the exit status to
 * use (2 for bad configuration, 0 for --help/--version). */
int config_load(int argc, char **argv, struct broker_config *cfg);
void config_free(struct broker_config *cfg);

/* --- Java-properties key/value list ------------------------------------ */

/* Parse Java Properties text (comments # !, = : or space separators,
 * continuations, \n \t \uXXXX escapes, last key wins). 0 or -errno;
 * on syntax trouble err gets "line N: ...". */
int props_parse(struct props *p, const char *text, size_t len, char *err,
		size_t errlen);
struct props *props_new(void);
void props_free(struct props *p);
const char *props_get(const struct props *p, const char *key);
int props_set(struct props *p, const char *key, const char *value);
size_t props_count(const struct props *p);
/* i-th entry in insertion order (a re-set key keeps its first place). */
void props_at(const struct props *p, size_t i, const char **key,
	      const char **value);

/* --- topic-level configs ------------------------------------------------ */

enum config_type {
	/* values of DescribeConfigs' ConfigType (v3+) */
	CONFIG_TYPE_BOOLEAN = 1, CONFIG_TYPE_STRING = 2, CONFIG_TYPE_INT = 3,
	CONFIG_TYPE_SHORT = 4, CONFIG_TYPE_LONG = 5, CONFIG_TYPE_DOUBLE = 6,
	CONFIG_TYPE_LIST = 7, CONFIG_TYPE_CLASS = 8, CONFIG_TYPE_PASSWORD = 9,
};

/* DescribeConfigs' ConfigSource values. */
enum config_source {
	CONFIG_SOURCE_DYNAMIC_TOPIC = 1,
	CONFIG_SOURCE_DYNAMIC_BROKER = 2,
	CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER = 3,
	CONFIG_SOURCE_STATIC_BROKER = 4,
	CONFIG_SOURCE_DEFAULT = 5,
};

struct topic_config_def {
	const char *name;        /* retention.ms */
	const char *broker_key;  /* log.retention.ms, or NULL */
	enum config_type type;
	const char *doc;
};

/* The table, terminated by an entry with name NULL. */
extern const struct topic_config_def topic_config_defs[];
const struct topic_config_def *topic_config_find(const char *name);

/* Check a value for a topic config: 0, or -EINVAL with err filled with
 * Kafka's style of message ("Invalid value x for configuration
 * retention.ms: Not a number of type LONG"); -ENOENT for an unknown name. */
int topic_config_validate(const char *name, const char *value, char *err,
			  size_t errlen);

/* Effective value of a topic config for a topic whose overrides are
 * overrides (may be NULL): returns the value (static storage or owned by
 * cfg/overrides) and its source. */
const char *topic_config_value(const struct broker_config *cfg,
			       const struct props *overrides, const char *name,
			       enum config_source *source);

#endif
