/* offsets.c - committed offsets: in memory, retention, and their records.
 *
 * A commit or delete is queued, in order with every other change, for the
 * store writer (writer.c), which makes batches of them durable with one
 * sync each. OffsetCommit answers wait for that (group_offset_wait).
 *
 * Visibility, as Kafka's pendingOffsetCommits: a delete leaves memory at
 * once, a commit only once it is durable (group_offset_publish), so
 * OffsetFetch never shows an offset that a crash or a failed write (the
 * metadata store full or broken: COORDINATOR_NOT_AVAILABLE) takes back.
 * Each request's commits carry a sequence number from the group; an
 * entry remembers the sequence it was created with and the one it shows,
 * so a commit completing after a delete of its partition, or after a
 * newer commit became visible, changes nothing. An entry staged but not
 * yet published holds no offset: it is skipped by readers and retention.
 *
 * Store encoding ("offsets" database). A key identifies, the value
 * carries everything (loading never parses keys):
 *   key   = group_store_key(group | 0x00 | topic | 0x00 | be32 partition)
 *   value = u8 version (2) | be64 offset | be32 leader epoch |
 *           be64 commit ms | be64 expire ms | be32 partition |
 *           be16 group length | group | be16 topic length | topic |
 *           metadata (the rest)
 */
#include "broker/group/group_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "storage/meta.h"

#define OFFSET_RECORD_VERSION 2
#define OFFSET_FIXED 33 /* bytes before the group length */

struct offset_entry {
	struct hmap_node hnode;
	char *topic;
	int32_t partition;
	bool visible;	      /* o holds a durable committed offset */
	uint64_t created_seq; /* the commit that created the entry */
	uint64_t visible_seq; /* the commit o comes from; 0 when loaded */
	struct group_offset o;
};

/* --- encoding ------------------------------------------------------------- */

static void put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static uint8_t *offset_key(const char *group, const char *topic,
			   int32_t partition, size_t *klen)
{
	size_t gl = strlen(group), tl = strlen(topic), n = gl + tl + 6;
	uint8_t *natural = malloc(n), *k;

	if (!natural)
		return NULL;
	memcpy(natural, group, gl);
	natural[gl] = 0;
	memcpy(natural + gl + 1, topic, tl);
	natural[gl + 1 + tl] = 0;
	put_be(natural + gl + tl + 2, (uint32_t)partition, 4);
	k = group_store_key(natural, n, klen);
	free(natural);
	return k;
}

static uint8_t *offset_value(const char *group, const char *topic,
			     int32_t partition, const struct group_offset *o,
			     size_t *vlen)
{
	size_t gl = strlen(group), tl = strlen(topic);
	size_t ml = o->metadata ? strlen(o->metadata) : 0;
	size_t n = OFFSET_FIXED + 2 + gl + 2 + tl + ml;
	uint8_t *v = gl <= UINT16_MAX && tl <= UINT16_MAX ? malloc(n) : NULL,
		*p;

	if (!v)
		return NULL;
	v[0] = OFFSET_RECORD_VERSION;
	put_be(v + 1, (uint64_t)o->offset, 8);
	put_be(v + 9, (uint32_t)o->leader_epoch, 4);
	put_be(v + 13, (uint64_t)o->commit_ms, 8);
	put_be(v + 21, (uint64_t)o->expire_ms, 8);
	put_be(v + 29, (uint32_t)partition, 4);
	p = v + 33;
	put_be(p, gl, 2);
	memcpy(p + 2, group, gl);
	p += 2 + gl;
	put_be(p, tl, 2);
	memcpy(p + 2, topic, tl);
	p += 2 + tl;
	if (ml)
		memcpy(p, o->metadata, ml);
	*vlen = n;
	return v;
}

/* --- the in-memory map ------------------------------------------------------
 */

static uint64_t offset_hash(const char *topic, int32_t partition)
{
	return hmap_hash_bytes(topic, strlen(topic)) ^
	       hmap_hash_u64((uint64_t)(uint32_t)partition);
}

static struct offset_entry *offset_find(const struct group *g,
					const char *topic, int32_t partition)
{
	uint64_t h = offset_hash(topic, partition);

	for (struct hmap_node *n = hmap_first(&g->offsets, h); n;
	     n = hmap_next(n, h)) {
		struct offset_entry *e =
		    container_of(n, struct offset_entry, hnode);
		if (e->partition == partition && strcmp(e->topic, topic) == 0)
			return e;
	}
	return NULL;
}

const struct group_offset *
group_offset_get(const struct group *g, const char *topic, int32_t partition)
{
	const struct offset_entry *e = offset_find(g, topic, partition);

	return e && e->visible ? &e->o : NULL;
}

void group_offsets_foreach(const struct group *g, group_offset_fn fn, void *ctx)
{
	struct hmap_iter it;
	struct hmap_node *n;

	hmap_iter_init(&it, &g->offsets);
	while ((n = hmap_iter_next(&it))) {
		struct offset_entry *e =
		    container_of(n, struct offset_entry, hnode);
		if (e->visible)
			fn(ctx, e->topic, e->partition, &e->o);
	}
}

static void offset_entry_free(struct offset_entry *e)
{
	free(e->topic);
	free(e->o.metadata);
	free(e);
}

/* The entry for topic/partition, created (invisible, from seq) if
 * missing; NULL on ENOMEM. */
static struct offset_entry *offset_entry_get(struct group *g,
					     const char *topic,
					     int32_t partition, uint64_t seq)
{
	struct offset_entry *e = offset_find(g, topic, partition);

	if (e)
		return e;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->topic = strdup(topic))) {
		free(e);
		return NULL;
	}
	e->partition = partition;
	e->created_seq = seq;
	hmap_insert(&g->offsets, &e->hnode, offset_hash(topic, partition));
	return e;
}

/* Show o (metadata copied) as e's committed offset, from commit seq. */
static int offset_show(struct offset_entry *e, const struct group_offset *o,
		       uint64_t seq)
{
	char *md = strdup(o->metadata ? o->metadata : "");

	if (!md)
		return -ENOMEM;
	free(e->o.metadata);
	e->o = *o;
	e->o.metadata = md;
	e->visible = true;
	e->visible_seq = seq;
	return 0;
}

/* Process-wide, not per group: a group deleted and created again must
 * not hand out numbers its predecessor's pending commits still hold.
 * Broker thread only. */
static uint64_t offset_seq_last;

uint64_t group_offset_seq(void)
{
	return ++offset_seq_last;
}

int group_offset_stage(struct broker *b, struct group *g, const char *topic,
		       int32_t partition, const struct group_offset *o,
		       uint64_t seq)
{
	size_t klen, vlen;
	uint8_t *key = offset_key(g->id, topic, partition, &klen);
	uint8_t *val = offset_value(g->id, topic, partition, o, &vlen);

	if (!key || !val || !offset_entry_get(g, topic, partition, seq)) {
		free(key);
		free(val);
		return -ENOMEM;
	}
	return group_store_queue(b, true, "offsets", key, klen, val, vlen);
}

int group_offset_publish(struct group *g, const char *topic, int32_t partition,
			 const struct group_offset *o, uint64_t seq)
{
	struct offset_entry *e = offset_find(g, topic, partition);

	/* Deleted since (a later entry is newer than this commit), or a
	 * newer commit already shows. One request may name a partition
	 * twice: the same seq again wins, as the later value does in Kafka. */
	if (!e || seq < e->created_seq || (e->visible && seq < e->visible_seq))
		return 0;
	return offset_show(e, o, seq);
}

void group_offset_unstage(struct group *g, const char *topic,
			  int32_t partition, uint64_t seq)
{
	struct offset_entry *e = offset_find(g, topic, partition);

	if (e && !e->visible && e->created_seq == seq) {
		hmap_remove(&g->offsets, &e->hnode);
		offset_entry_free(e);
	}
}

static int offset_remove(struct broker *b, struct group *g,
			 struct offset_entry *e)
{
	size_t klen;
	uint8_t *key = offset_key(g->id, e->topic, e->partition, &klen);

	hmap_remove(&g->offsets, &e->hnode);
	offset_entry_free(e);
	return group_store_queue(b, false, "offsets", key, klen, NULL, 0);
}

int group_offset_delete(struct broker *b, struct group *g, const char *topic,
			int32_t partition)
{
	struct offset_entry *e = offset_find(g, topic, partition);

	return e ? offset_remove(b, g, e) : 0;
}

int group_offsets_drop(struct broker *b, struct group *g)
{
	struct hmap_iter it;
	struct hmap_node *n;
	int rc = 0;

	hmap_iter_init(&it, &g->offsets);
	while ((n = hmap_iter_next(&it))) {
		int r = offset_remove(
		    b, g, container_of(n, struct offset_entry, hnode));
		rc = rc ? rc : r;
	}
	return rc;
}

void group_offsets_free(struct group *g)
{
	struct hmap_iter it;
	struct hmap_node *n;

	if (!g->offsets.buckets)
		return;
	hmap_iter_init(&it, &g->offsets);
	while ((n = hmap_iter_next(&it))) {
		hmap_remove(&g->offsets, n);
		offset_entry_free(container_of(n, struct offset_entry, hnode));
	}
}

void groups_topic_deleted(struct broker *b, const char *topic)
{
	struct hmap_iter it, jt;
	struct hmap_node *n, *m;

	hmap_iter_init(&it, &b->groups);
	while ((n = hmap_iter_next(&it))) {
		struct group *g = container_of(n, struct group, hnode);
		hmap_iter_init(&jt, &g->offsets);
		while ((m = hmap_iter_next(&jt))) {
			struct offset_entry *e =
			    container_of(m, struct offset_entry, hnode);
			if (strcmp(e->topic, topic) == 0)
				offset_remove(b, g, e);
		}
	}
}

/* --- retention (offsets.retention.minutes)
 * ------------------------------------ */

/* Kafka's GroupMetadata.removeExpiredOffsets: which clock an offset of g
 * runs on, if any. */
enum expiry_rule {
	EXPIRE_NEVER,	     /* members of a non-consumer group, rebalancing */
	EXPIRE_SINCE_EMPTY,  /* KIP-211: retention runs once the group is Empty
			      */
	EXPIRE_SINCE_COMMIT, /* no protocol: a group that only stores offsets */
	EXPIRE_UNSUBSCRIBED, /* KIP-496: Stable consumer group, topics nobody
			      * subscribes to, since their commit */
};

static enum expiry_rule group_expiry_rule(const struct group *g)
{
	if (!g->protocol_type)
		return EXPIRE_SINCE_COMMIT;
	if (g->state == GROUP_EMPTY)
		return EXPIRE_SINCE_EMPTY;
	if (g->state == GROUP_STABLE && g->protocol_name &&
	    strcmp(g->protocol_type, "consumer") == 0)
		return EXPIRE_UNSUBSCRIBED;
	return EXPIRE_NEVER;
}

static bool offset_expired(const struct group *g, enum expiry_rule rule,
			   const struct offset_entry *e, int64_t retention_ms,
			   int64_t now)
{
	int64_t base;

	if (rule == EXPIRE_NEVER ||
	    (rule == EXPIRE_UNSUBSCRIBED && group_subscribes_to(g, e->topic)))
		return false;
	/* An explicit retention (OffsetCommit v2-v4) keeps its own clock. */
	if (e->o.expire_ms >= 0)
		return now >= e->o.expire_ms;
	base = rule == EXPIRE_SINCE_EMPTY ? g->empty_since_ms : e->o.commit_ms;
	return now - base >= retention_ms;
}

/* Expire g's offsets; returns how many went. */
static size_t group_expire(struct broker *b, struct group *g,
			   int64_t retention_ms, int64_t now)
{
	enum expiry_rule rule = group_expiry_rule(g);
	struct hmap_iter it;
	struct hmap_node *n;
	size_t expired = 0;

	hmap_iter_init(&it, &g->offsets);
	while ((n = hmap_iter_next(&it))) {
		struct offset_entry *e =
		    container_of(n, struct offset_entry, hnode);
		if (e->visible &&
		    offset_expired(g, rule, e, retention_ms, now)) {
			offset_remove(b, g, e);
			expired++;
		}
	}
	return expired;
}

void group_offsets_expire(struct broker *b, int64_t now_wall_ms)
{
	int64_t retention = (int64_t)b->cfg->offsets_retention_minutes * 60000;
	struct hmap_iter it;
	struct hmap_node *n;
	size_t expired = 0;

	hmap_iter_init(&it, &b->groups);
	while ((n = hmap_iter_next(&it))) {
		struct group *g = container_of(n, struct group, hnode);

		expired += group_expire(b, g, retention, now_wall_ms);
		/* Kafka: an Empty group without offsets is removed (Dead).
		 * One with member ids still pending stays until they lapse. */
		if (g->state == GROUP_EMPTY && !g->members && !g->pending &&
		    g->offsets.count == 0)
			group_delete(b, g);
	}
	if (expired)
		log_info(GROUP_LOGC, "Removed %zu expired offsets", expired);
}

/* --- loading
 * -------------------------------------------------------------------- */

/* A bounded view of one stored value. */
struct val_rd {
	const uint8_t *p;
	size_t len, off;
};

/* A u16-length string as a malloc'd C string; NULL when short, holding a
 * NUL, or out of memory. */
static char *val_str(struct val_rd *r)
{
	size_t n;
	char *s;

	if (r->len - r->off < 2)
		return NULL;
	n = (size_t)get_be(r->p + r->off, 2);
	r->off += 2;
	if (r->len - r->off < n || memchr(r->p + r->off, 0, n))
		return NULL;
	s = strndup((const char *)r->p + r->off, n);
	r->off += n;
	return s;
}

static int offsets_load_one(void *ctx, const void *key, size_t klen,
			    const void *val, size_t vlen)
{
	struct val_rd r = {.p = val, .len = vlen, .off = OFFSET_FIXED};
	char *group = NULL, *topic = NULL, *md = NULL;
	const uint8_t *v = val;
	struct group_offset o;
	struct offset_entry *e;
	struct group *g;
	int rc = 0;

	(void)key;
	(void)klen;
	if (vlen >= OFFSET_FIXED && v[0] == OFFSET_RECORD_VERSION &&
	    (group = val_str(&r)) && (topic = val_str(&r)))
		md = strndup((const char *)v + r.off, vlen - r.off);
	if (!md) {
		log_warn(GROUP_LOGC,
			 "Skipping a malformed committed offset record");
		goto out;
	}
	g = group_get((struct broker *)ctx, group);
	o.offset = (int64_t)get_be(v + 1, 8);
	o.leader_epoch = (int32_t)get_be(v + 9, 4);
	o.commit_ms = (int64_t)get_be(v + 13, 8);
	o.expire_ms = (int64_t)get_be(v + 21, 8);
	o.metadata = md;
	e = g ? offset_entry_get(g, topic, (int32_t)get_be(v + 29, 4), 0)
	      : NULL;
	rc = e ? offset_show(e, &o, 0) : -ENOMEM;
out:
	free(group);
	free(topic);
	free(md);
	return rc;
}

int group_offsets_load(struct broker *b)
{
	struct meta_txn *t;
	int rc = meta_txn_begin(b->meta, false, &t);

	if (rc)
		return rc;
	rc = meta_foreach(t, "offsets", NULL, 0, offsets_load_one, b);
	meta_txn_abort(t);
	return rc == -ENOENT ? 0 : rc;
}
