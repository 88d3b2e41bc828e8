/* topics.c - the topic registry: names, ids, partitions, configs.
 *
 * A topic lives in two places: its record in the metadata store (LMDB
 * database "topics", key = name) and its partition logs in the log
 * directory. Creation writes the record first and then opens the logs;
 * deletion removes the logs first and then the record, so a crash in
 * between leaves either a topic whose logs are (re)created empty on the
 * next start, or stray log directories that no record names (never a
 * record pointing at another topic's data: logs are bound to the topic id
 * by the storage layer's authenticated data).
 *
 * Record encoding (version 1, big-endian):
 *   u8 version | 16 topic id | i32 partitions | u32 config count |
 *   { u16 key len | key | u32 value len | value } * count
 */
#include "broker/broker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "base/be.h"
#include "base/log.h"
#include "broker/group/group.h"
#include "proto/kerr.h"
#include "storage/meta.h"

#define LOGC "ReplicaManager"
#define TOPIC_RECORD_VERSION 1
#define TOPIC_NAME_MAX 249

/* --- lookup ------------------------------------------------------------- */

struct topic *topic_find(struct broker *b, const char *name)
{
	uint64_t h = hmap_hash_bytes(name, strlen(name));

	for (struct hmap_node *n = hmap_first(&b->topics, h); n;
	     n = hmap_next(n, h)) {
		struct topic *t = container_of(n, struct topic, hnode);
		if (strcmp(t->name, name) == 0)
			return t;
	}
	return NULL;
}

struct topic *topic_find_id(struct broker *b, const uint8_t id[16])
{
	struct hmap_iter it;
	struct hmap_node *n;

	hmap_iter_init(&it, &b->topics);
	while ((n = hmap_iter_next(&it))) {
		struct topic *t = container_of(n, struct topic, hnode);
		if (memcmp(t->id, id, 16) == 0)
			return t;
	}
	return NULL;
}

struct partition *partition_find(struct broker *b, const char *topic,
				 int32_t index)
{
	struct topic *t = topic_find(b, topic);

	if (!t || index < 0 || index >= t->partition_count)
		return NULL;
	return &t->partitions[index];
}

int16_t topic_name_check(const char *name, int32_t len, const char **why)
{
	if (!name || len <= 0) {
		*why = "Topic name is illegal, it can't be empty";
		return KERR_INVALID_TOPIC_EXCEPTION;
	}
	if ((len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.')) {
		*why = "Topic name cannot be \".\" or \"..\"";
		return KERR_INVALID_TOPIC_EXCEPTION;
	}
	if (len > TOPIC_NAME_MAX) {
		*why = "Topic name is illegal, it can't be longer than 249 characters";
		return KERR_INVALID_TOPIC_EXCEPTION;
	}
	for (int32_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
			*why = "Topic name contains a character other than ASCII alphanumerics, '.', '_' and '-'";
			return KERR_INVALID_TOPIC_EXCEPTION;
		}
	}
	return KERR_NONE;
}

/* Kafka forbids names that differ only in '.' versus '_' (they collide
 * in metric names). */
static struct topic *topic_collision(struct broker *b, const char *name)
{
	struct hmap_iter it;
	struct hmap_node *n;
	size_t len = strlen(name);

	hmap_iter_init(&it, &b->topics);
	while ((n = hmap_iter_next(&it))) {
		struct topic *t = container_of(n, struct topic, hnode);
		size_t i;
		if (strlen(t->name) != len)
			continue;
		for (i = 0; i < len; i++) {
			char x = name[i] == '.' ? '_' : name[i];
			char y = t->name[i] == '.' ? '_' : t->name[i];
			if (x != y)
				break;
		}
		if (i == len)
			return t;
	}
	return NULL;
}

/* --- configs ------------------------------------------------------------ */

const char *topic_config_str(const struct broker *b, const struct topic *t,
			     const char *name)
{
	enum config_source src;
	const char *v = topic_config_value(b->cfg, t ? t->configs : NULL, name,
					   &src);

	return v ? v : "";
}

int64_t topic_config_long(const struct broker *b, const struct topic *t,
			  const char *name)
{
	int64_t v = 0;

	if (config_long_parse(topic_config_str(b, t, name), &v))
		return 0;
	return v;
}

void topic_plog_config(const struct broker *b, const struct topic *t,
		       struct plog_config *pc)
{
	pc->segment_bytes = topic_config_long(b, t, "segment.bytes");
	pc->segment_ms = topic_config_long(b, t, "segment.ms");
	pc->retention_ms = topic_config_long(b, t, "retention.ms");
	pc->retention_bytes = topic_config_long(b, t, "retention.bytes");
	pc->index_interval_bytes =
		(int32_t)topic_config_long(b, t, "index.interval.bytes");
	pc->log_append_time = strcmp(topic_config_str(b, t,
					"message.timestamp.type"),
				     "LogAppendTime") == 0;
}

/* --- the metadata record ------------------------------------------------ */

static void put_u16(struct buf *o, uint16_t v)
{
	uint8_t x[2];

	be_put16(x, v);
	buf_append(o, x, 2);
}

static void put_u32(struct buf *o, uint32_t v)
{
	uint8_t x[4];

	be_put32(x, v);
	buf_append(o, x, 4);
}

static int topic_record_encode(const struct topic *t, struct buf *o)
{
	size_t n = t->configs ? props_count(t->configs) : 0;
	uint8_t v = TOPIC_RECORD_VERSION;

	buf_append(o, &v, 1);
	buf_append(o, t->id, 16);
	put_u32(o, (uint32_t)t->partition_count);
	put_u32(o, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		const char *k, *val;
		props_at(t->configs, i, &k, &val);
		put_u16(o, (uint16_t)strlen(k));
		buf_append(o, k, strlen(k));
		put_u32(o, (uint32_t)strlen(val));
		buf_append(o, val, strlen(val));
	}
	return o->err;
}

/* Parse a record into t (name already set). -EBADMSG when malformed. */
static int topic_record_decode(struct topic *t, const uint8_t *p, size_t len)
{
	size_t off = 25;
	uint32_t n;

	if (len < 25 || p[0] != TOPIC_RECORD_VERSION)
		return -EBADMSG;
	memcpy(t->id, p + 1, 16);
	t->partition_count = (int32_t)be_get32(p + 17);
	n = be_get32(p + 21);
	t->configs = props_new();
	if (!t->configs || t->partition_count < 1)
		return -EBADMSG;
	for (uint32_t i = 0; i < n; i++) {
		char key[256], *val;
		size_t klen, vlen;
		if (len - off < 2)
			return -EBADMSG;
		klen = (size_t)p[off] << 8 | p[off + 1];
		off += 2;
		if (klen >= sizeof(key) || len - off < klen + 4)
			return -EBADMSG;
		memcpy(key, p + off, klen);
		key[klen] = '\0';
		off += klen;
		vlen = be_get32(p + off);
		off += 4;
		if (len - off < vlen)
			return -EBADMSG;
		val = strndup((const char *)p + off, vlen);
		if (!val || props_set(t->configs, key, val)) {
			free(val);
			return -ENOMEM;
		}
		free(val);
		off += vlen;
	}
	return off == len ? 0 : -EBADMSG;
}

static int topic_record_put(struct broker *b, const struct topic *t)
{
	struct meta_txn *txn;
	struct buf o;
	int rc;

	buf_init(&o, 0);
	rc = topic_record_encode(t, &o);
	if (!rc)
		rc = meta_txn_begin(b->meta, true, &txn);
	if (!rc) {
		rc = meta_put(txn, "topics", t->name, strlen(t->name), o.data,
			      o.len);
		if (rc)
			meta_txn_abort(txn);
		else
			rc = meta_txn_commit(txn);
	}
	buf_fini(&o);
	return rc;
}

static int topic_record_del(struct broker *b, const char *name)
{
	struct meta_txn *txn;
	int rc = meta_txn_begin(b->meta, true, &txn);

	if (rc)
		return rc;
	rc = meta_del(txn, "topics", name, strlen(name));
	if (rc && rc != -ENOENT) {
		meta_txn_abort(txn);
		return rc;
	}
	return meta_txn_commit(txn);
}

/* --- partitions ---------------------------------------------------------- */

static int partition_open(struct broker *b, struct topic *t, int32_t i)
{
	struct partition *p = &t->partitions[i];
	struct plog_config pc;
	int rc;

	p->topic = t;
	p->index = i;
	if (hmap_init(&p->producers))
		return -ENOMEM;
	topic_plog_config(b, t, &pc);
	rc = plog_open(b->storage, t->name, t->id, i, &pc, &p->log);
	if (rc) {
		log_error(LOGC, "Failed to open the log of %s-%d: %s", t->name,
			  i, strerror(-rc));
		return rc;
	}
	producer_recover(p);
	return 0;
}

static void partition_close(struct partition *p, bool remove)
{
	producer_free_all(p);
	hmap_fini(&p->producers);
	if (!p->log)
		return;
	if (remove)
		plog_delete(p->log);
	else
		plog_close(p->log);
	p->log = NULL;
}

static void topic_free(struct topic *t, bool remove)
{
	for (int32_t i = 0; i < t->partition_count; i++)
		if (t->partitions)
			partition_close(&t->partitions[i], remove);
	free(t->partitions);
	if (t->configs)
		props_free(t->configs);
	free(t->name);
	free(t);
}

/* Open every partition of a topic just read or created; registers it. */
/* The effective configs the produce path needs, from the overrides. */
static void topic_cache_configs(struct broker *b, struct topic *t)
{
	t->max_message_bytes = topic_config_long(b, t, "max.message.bytes");
	t->log_append_time = strcmp(topic_config_str(b, t,
						     "message.timestamp.type"),
				    "LogAppendTime") == 0;
}

static int topic_open(struct broker *b, struct topic *t)
{
	topic_cache_configs(b, t);
	t->partitions = calloc((size_t)t->partition_count,
			       sizeof(*t->partitions));
	if (!t->partitions)
		return -ENOMEM;
	for (int32_t i = 0; i < t->partition_count; i++) {
		int rc = partition_open(b, t, i);
		if (rc) {
			t->partition_count = i + 1;
			return rc;
		}
	}
	hmap_insert(&b->topics, &t->hnode, hmap_hash_bytes(t->name,
							   strlen(t->name)));
	return 0;
}

/* --- create / delete / alter --------------------------------------------- */

int16_t topic_configs_check(const struct broker *b, struct props *configs,
			    const char **msg)
{
	static __thread char err[256];
	size_t n = configs ? props_count(configs) : 0;

	for (size_t i = 0; i < n; i++) {
		const char *k, *v;
		props_at(configs, i, &k, &v);
		if (topic_config_validate(k, v, err, sizeof(err))) {
			*msg = err;
			return KERR_INVALID_CONFIG;
		}
	}
	if (topic_config_validate_set(b->cfg, configs, err, sizeof(err))) {
		*msg = err;
		return KERR_INVALID_CONFIG;
	}
	return KERR_NONE;
}

int16_t topic_create(struct broker *b, const char *name, int32_t partitions,
		     struct props *configs, bool validate_only,
		     const char **msg)
{
	struct topic *t;
	int16_t err = topic_name_check(name, (int32_t)strlen(name), msg);

	if (err)
		return err;
	if (topic_find(b, name)) {
		*msg = "Topic already exists.";
		return KERR_TOPIC_ALREADY_EXISTS;
	}
	if (topic_collision(b, name)) {
		*msg = "Topic collides with an existing topic ('.' and '_' are equivalent)";
		return KERR_INVALID_TOPIC_EXCEPTION;
	}
	if (partitions < 1) {
		*msg = "Number of partitions must be larger than 0.";
		return KERR_INVALID_PARTITIONS;
	}
	err = topic_configs_check(b, configs, msg);
	if (err || validate_only)
		return err;
	t = calloc(1, sizeof(*t));
	if (!t || !(t->name = strdup(name))) {
		free(t);
		return KERR_UNKNOWN_SERVER_ERROR;
	}
	t->partition_count = partitions;
	t->configs = configs ? configs : props_new();
	if (RAND_bytes(t->id, 16) != 1 || !t->configs ||
	    topic_record_put(b, t) != 0) {
		t->partition_count = 0;
		topic_free(t, false);
		*msg = "Failed to persist the topic";
		return KERR_KAFKA_STORAGE_ERROR;
	}
	if (topic_open(b, t)) {
		topic_free(t, true);
		topic_record_del(b, name);
		*msg = "Failed to create the partition logs";
		return KERR_KAFKA_STORAGE_ERROR;
	}
	log_info(LOGC, "Created topic %s with %d partitions", name, partitions);
	return KERR_NONE;
}

int16_t topic_delete(struct broker *b, struct topic *t)
{
	char *name = strdup(t->name);

	if (!name)
		return KERR_UNKNOWN_SERVER_ERROR;
	hmap_remove(&b->topics, &t->hnode);
	topic_free(t, true);
	if (topic_record_del(b, name)) {
		free(name);
		return KERR_KAFKA_STORAGE_ERROR;
	}
	groups_topic_deleted(b, name);
	log_info(LOGC, "Deleted topic %s", name);
	free(name);
	return KERR_NONE;
}

int16_t topic_add_partitions(struct broker *b, struct topic *t,
			     int32_t new_count, bool validate_only,
			     const char **msg)
{
	static __thread char why[160];
	struct partition *np;
	int32_t old = t->partition_count;

	if (new_count <= old) {
		snprintf(why, sizeof(why),
			 "Topic currently has %d partitions, which is higher than the requested %d.",
			 old, new_count);
		*msg = why;
		return KERR_INVALID_PARTITIONS;
	}
	if (validate_only)
		return KERR_NONE;
	np = realloc(t->partitions, (size_t)new_count * sizeof(*np));
	if (!np)
		return KERR_UNKNOWN_SERVER_ERROR;
	t->partitions = np;
	memset(np + old, 0, (size_t)(new_count - old) * sizeof(*np));
	t->partition_count = new_count;
	if (topic_record_put(b, t)) {
		t->partition_count = old;
		return KERR_KAFKA_STORAGE_ERROR;
	}
	for (int32_t i = old; i < new_count; i++) {
		if (partition_open(b, t, i)) {
			/* Serve what opened; the record says more and the
			 * next start retries the rest. */
			t->partition_count = i;
			return KERR_KAFKA_STORAGE_ERROR;
		}
	}
	return KERR_NONE;
}

int16_t topic_set_configs(struct broker *b, struct topic *t,
			  struct props *configs)
{
	struct props *old = t->configs;
	struct plog_config pc;

	t->configs = configs;
	if (topic_record_put(b, t)) {
		t->configs = old;
		props_free(configs);
		return KERR_KAFKA_STORAGE_ERROR;
	}
	props_free(old);
	topic_cache_configs(b, t);
	topic_plog_config(b, t, &pc);
	for (int32_t i = 0; i < t->partition_count; i++)
		plog_set_config(t->partitions[i].log, &pc);
	return KERR_NONE;
}

/* --- startup / shutdown -------------------------------------------------- */

static int topics_load_one(void *ctx, const void *key, size_t klen,
			   const void *val, size_t vlen)
{
	struct broker *b = ctx;
	struct topic *t = calloc(1, sizeof(*t));

	if (!t || !(t->name = strndup(key, klen))) {
		free(t);
		return -ENOMEM;
	}
	if (topic_record_decode(t, val, vlen)) {
		log_error(LOGC, "Topic record for %s in the metadata store is malformed; topic not loaded",
			  t->name);
		t->partition_count = 0;
		topic_free(t, false);
		return 0;
	}
	if (topic_open(b, t)) {
		/* Partition logs stay registered offline where possible; a
		 * topic that cannot be opened at all is not served. */
		topic_free(t, false);
		return 0;
	}
	return 0;
}

int topics_load(struct broker *b)
{
	struct meta_txn *txn;
	int rc = meta_txn_begin(b->meta, false, &txn);

	if (rc)
		return rc;
	rc = meta_foreach(txn, "topics", NULL, 0, topics_load_one, b);
	meta_txn_abort(txn);
	if (rc == -ENOENT)
		rc = 0;
	if (!rc)
		log_info(LOGC, "Loaded %zu topics from %s", b->topics.count,
			 b->cfg->log_dir);
	return rc;
}

void topics_close_all(struct broker *b)
{
	struct hmap_iter it;
	struct hmap_node *n;

	hmap_iter_init(&it, &b->topics);
	while ((n = hmap_iter_next(&it))) {
		struct topic *t = container_of(n, struct topic, hnode);
		hmap_remove(&b->topics, n);
		topic_free(t, false);
	}
}

void topics_retention(struct broker *b, int64_t now_ms)
{
	struct hmap_iter it;
	struct hmap_node *n;

	hmap_iter_init(&it, &b->topics);
	while ((n = hmap_iter_next(&it))) {
		struct topic *t = container_of(n, struct topic, hnode);
		for (int32_t i = 0; i < t->partition_count; i++)
			if (t->partitions[i].log)
				plog_retention(t->partitions[i].log, now_ms);
	}
}

int16_t kerr_from_storage(int rc)
{
	switch (rc) {
	case 0:
		return KERR_NONE;
	case -ERANGE:
		return KERR_OFFSET_OUT_OF_RANGE;
	case -ENOMEM:
		return KERR_UNKNOWN_SERVER_ERROR;
	case -EINVAL:
		return KERR_CORRUPT_MESSAGE;
	case -EMSGSIZE:
		return KERR_MESSAGE_TOO_LARGE;
	default:
		/* -EBADMSG, -EROFS, -EIO, -ENOSPC: the log is offline. */
		return KERR_KAFKA_STORAGE_ERROR;
	}
}
