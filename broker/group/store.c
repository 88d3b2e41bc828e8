/* store.c - group records in the metadata store (LMDB "groups").
 *
 * A group is saved when it becomes Stable (with every member's
 * subscription and assignment) or Empty, and at shutdown, so a clean
 * restart brings it back as it was: its members keep heartbeating with
 * the same generation and no rebalance happens. After a crash the saved
 * state may be older than the members' view; they then get
 * ILLEGAL_GENERATION or UNKNOWN_MEMBER_ID, rejoin, and resume from their
 * committed offsets, as with Kafka.
 *
 * Key: group_store_key(group id). Record (big-endian): u8 version (2) |
 * str group id | i32 generation | str protocol type
 * | str protocol name | str leader | i64 empty since ms | u32 members |
 * per member: str id | str instance id | str client id | str client host |
 * i32 session timeout | i32 rebalance timeout | u32 protocols | per
 * protocol: str name | bytes metadata | bytes assignment.
 * str = u16 length (0xffff = null) + bytes; bytes = u32 length + bytes.
 */
#include "broker/group/group_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "storage/meta.h"

#define GROUP_RECORD_VERSION 2
#define STR_NULL 0xffff

static void put_u16(struct buf *o, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	buf_append(o, x, 2);
}

static void put_u32(struct buf *o, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16),
			(uint8_t)(v >> 8), (uint8_t)v};
	buf_append(o, x, 4);
}

static void put_u64(struct buf *o, uint64_t v)
{
	put_u32(o, (uint32_t)(v >> 32));
	put_u32(o, (uint32_t)v);
}

static void put_str(struct buf *o, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (!s || n >= STR_NULL) {
		put_u16(o, STR_NULL);
		return;
	}
	put_u16(o, (uint16_t)n);
	buf_append(o, s, n);
}

static void put_bytes(struct buf *o, const uint8_t *p, int32_t len)
{
	put_u32(o, (uint32_t)(len > 0 ? len : 0));
	if (len > 0)
		buf_append(o, p, (size_t)len);
}

static void group_encode(const struct group *g, struct buf *o)
{
	uint8_t v = GROUP_RECORD_VERSION;

	buf_append(o, &v, 1);
	put_str(o, g->id);
	put_u32(o, (uint32_t)g->generation);
	put_str(o, g->protocol_type);
	put_str(o, g->protocol_name);
	put_str(o, g->leader_id);
	put_u64(o, (uint64_t)g->empty_since_ms);
	put_u32(o, (uint32_t)g->member_count);
	for (const struct group_member *m = g->members; m; m = m->next) {
		put_str(o, m->id);
		put_str(o, m->instance_id);
		put_str(o, m->client_id);
		put_str(o, m->client_host);
		put_u32(o, (uint32_t)m->session_timeout_ms);
		put_u32(o, (uint32_t)m->rebalance_timeout_ms);
		put_u32(o, (uint32_t)m->protocol_count);
		for (int32_t i = 0; i < m->protocol_count; i++) {
			put_str(o, m->protocols[i].name);
			put_bytes(o, m->protocols[i].metadata,
				  m->protocols[i].len);
		}
		put_bytes(o, m->assignment, m->assignment_len);
	}
}

int group_store_save(struct broker *b, const struct group *g)
{
	struct buf o;
	size_t klen, len;
	uint8_t *key = group_store_key(g->id, strlen(g->id), &klen), *val;

	buf_init(&o, 0);
	group_encode(g, &o);
	if (o.err || !key) {
		buf_fini(&o);
		free(key);
		return -ENOMEM;
	}
	val = buf_steal(&o, &len);
	return group_store_queue(b, true, "groups", key, klen, val, len);
}

int group_store_delete(struct broker *b, const char *group_id)
{
	size_t klen;
	uint8_t *key = group_store_key(group_id, strlen(group_id), &klen);

	return group_store_queue(b, false, "groups", key, klen, NULL, 0);
}

/* --- decoding (the record comes from our own store, but is still checked
 * byte by byte: a damaged record must not crash the broker) ------------- */

struct rd {
	const uint8_t *p;
	size_t len, off;
	bool bad;
};

static uint64_t rd_be(struct rd *r, size_t n)
{
	uint64_t v = 0;

	if (r->bad || r->len - r->off < n) {
		r->bad = true;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		v = v << 8 | r->p[r->off + i];
	r->off += n;
	return v;
}

static char *rd_str(struct rd *r)
{
	uint16_t n = (uint16_t)rd_be(r, 2);
	char *s;

	if (r->bad || n == STR_NULL)
		return NULL;
	if (r->len - r->off < n) {
		r->bad = true;
		return NULL;
	}
	s = strndup((const char *)r->p + r->off, n);
	r->off += n;
	r->bad |= !s;
	return s;
}

static uint8_t *rd_bytes(struct rd *r, int32_t *len)
{
	uint32_t n = (uint32_t)rd_be(r, 4);
	uint8_t *p;

	*len = 0;
	if (r->bad || r->len - r->off < n) {
		r->bad = true;
		return NULL;
	}
	p = malloc((size_t)n + 1);
	if (!p) {
		r->bad = true;
		return NULL;
	}
	memcpy(p, r->p + r->off, n);
	r->off += n;
	*len = (int32_t)n;
	return p;
}

static struct group_member *member_decode(struct rd *r, int64_t now)
{
	struct group_member *m = calloc(1, sizeof(*m));
	uint32_t np;

	if (!m) {
		r->bad = true;
		return NULL;
	}
	m->id = rd_str(r);
	m->instance_id = rd_str(r);
	m->client_id = rd_str(r);
	m->client_host = rd_str(r);
	m->session_timeout_ms = (int32_t)rd_be(r, 4);
	m->rebalance_timeout_ms = (int32_t)rd_be(r, 4);
	np = (uint32_t)rd_be(r, 4);
	if (!r->bad && np <= r->len - r->off)
		m->protocols = calloc((size_t)np + 1, sizeof(*m->protocols));
	r->bad |= !m->protocols;
	for (uint32_t i = 0; i < np && !r->bad; i++) {
		m->protocols[i].name = rd_str(r);
		m->protocols[i].metadata = rd_bytes(r, &m->protocols[i].len);
		m->protocol_count++;
		r->bad |= !m->protocols[i].name;
	}
	m->assignment = rd_bytes(r, &m->assignment_len);
	r->bad |= !m->id || !m->client_id || !m->client_host;
	m->heartbeat_deadline = now + m->session_timeout_ms;
	return m;
}

static void group_fields_free(struct group *g)
{
	while (g->members) {
		struct group_member *m = g->members;
		g->members = m->next;
		group_member_free(m);
	}
	free(g->protocol_type);
	free(g->protocol_name);
	free(g->leader_id);
}

/* One record into tmp (not registered) and *id. 0 or -EBADMSG, after
 * which the caller frees what tmp and *id hold. */
static int group_decode(const uint8_t *p, size_t len, struct group *tmp,
			char **id)
{
	struct rd r = {.p = p, .len = len, .off = 1};
	struct group_member **tail = &tmp->members;
	int64_t now = clock_mono_ms();
	uint32_t n;

	*id = NULL;
	if (len < 1 || p[0] != GROUP_RECORD_VERSION)
		return -EBADMSG;
	*id = rd_str(&r);
	tmp->generation = (int32_t)rd_be(&r, 4);
	tmp->protocol_type = rd_str(&r);
	tmp->protocol_name = rd_str(&r);
	tmp->leader_id = rd_str(&r);
	tmp->empty_since_ms = (int64_t)rd_be(&r, 8);
	n = (uint32_t)rd_be(&r, 4);
	for (uint32_t i = 0; i < n && !r.bad; i++) {
		struct group_member *m = member_decode(&r, now);
		if (!m)
			break;
		*tail = m;
		tail = &m->next;
		tmp->member_count++;
	}
	return r.bad || r.off != len || !*id ? -EBADMSG : 0;
}

static int groups_load_one(void *ctx, const void *key, size_t klen,
			   const void *val, size_t vlen)
{
	struct broker *b = ctx;
	struct group tmp = {0}, *g = NULL;
	char *id;
	int rc = 0;

	(void)key;
	(void)klen;
	if (group_decode(val, vlen, &tmp, &id)) {
		log_warn(GROUP_LOGC, "Skipping a malformed saved group record");
		goto out;
	}
	g = group_get(b, id);
	if (!g) {
		rc = -ENOMEM;
		goto out;
	}
	g->generation = tmp.generation;
	g->protocol_type = tmp.protocol_type;
	g->protocol_name = tmp.protocol_name;
	g->leader_id = tmp.leader_id;
	g->empty_since_ms = tmp.empty_since_ms;
	g->members = tmp.members;
	g->member_count = tmp.member_count;
	g->state = g->members ? GROUP_STABLE : GROUP_EMPTY;
	memset(&tmp, 0, sizeof(tmp));
	for (struct group_member *m = g->members; m; m = m->next)
		groups_wake_at(b, m->heartbeat_deadline);
out:
	group_fields_free(&tmp);
	free(id);
	return rc;
}

int group_store_load(struct broker *b)
{
	struct meta_txn *t;
	int rc = meta_txn_begin(b->meta, false, &t);

	if (rc)
		return rc;
	rc = meta_foreach(t, "groups", NULL, 0, groups_load_one, b);
	meta_txn_abort(t);
	return rc == -ENOENT ? 0 : rc;
}
