/* group_expiry_test.c - Kafka's offset expiry rules, with the clock moved
 * instead of waited for (group_offsets_expire takes the wall time).
 *
 * Kafka's GroupMetadata.removeExpiredOffsets (KIP-211, KIP-496):
 *  - a group without a protocol type (offsets only): each offset expires
 *    offsets.retention.minutes after its commit;
 *  - an Empty group with a protocol type: retention after it became Empty;
 *  - a Stable consumer group: offsets of topics no member subscribes to,
 *    retention after their commit; subscribed topics never;
 *  - other states, and non-consumer groups with members: never;
 *  - an explicit expire time (OffsetCommit v2-v4) replaces the clock;
 *  - "expired" is now - base >= retention (the boundary expires).
 * An Empty group left without offsets is deleted, and what went is gone
 * from the metadata store too (checked by reopening it).
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "broker/group/group_int.h"
#include "storage/meta.h"
#include "tests/unit/storage/st_util.h"

#define MIN (60 * 1000LL)

static struct broker b;
static struct broker_config cfg;

static void open_broker(const char *dir)
{
	memset(&b, 0, sizeof(b));
	b.cfg = &cfg;
	CHECK_EQ(meta_open(dir, 0, &b.meta), 0);
	CHECK_EQ(groups_init(&b), 0);
}

static void close_broker(void)
{
	groups_fini(&b);
	meta_close(b.meta);
}

static void on_durable(struct broker *bk, void *ctx, int err)
{
	(void)bk;
	*(int *)ctx = err ? -1 : 1;
}

/* Everything staged so far is in LMDB. */
static void durable(void)
{
	int done = 0;

	group_store_barrier(&b, on_durable, &done);
	groups_flush(&b);
	for (int i = 0; !done && i < 100; i++) {
		struct pollfd p = {.fd = groups_notify_fd(&b),
				   .events = POLLIN};
		poll(&p, 1, 100);
		groups_poll(&b);
	}
	CHECK_EQ(done, 1);
}

static void commit(struct group *g, const char *topic, int32_t p,
		   int64_t commit_ms, int64_t expire_ms)
{
	struct group_offset o = {.offset = 100 + p,
				 .leader_epoch = 3,
				 .commit_ms = commit_ms,
				 .expire_ms = expire_ms,
				 .metadata = "md"};
	uint64_t seq = group_offset_seq();

	/* As OffsetCommit does: stage, wait until durable, publish. */
	CHECK_EQ(group_offset_stage(&b, g, topic, p, &o, seq), 0);
	durable();
	CHECK_EQ(group_offset_publish(g, topic, p, &o, seq), 0);
}

static int64_t shown(struct group *g, const char *topic, int32_t p)
{
	const struct group_offset *o = group_offset_get(g, topic, p);

	return o ? o->offset : -1;
}

static void stage(struct group *g, int32_t p, int64_t offset, uint64_t seq,
		  struct group_offset *o)
{
	memset(o, 0, sizeof(*o));
	o->offset = offset;
	o->expire_ms = -1;
	o->metadata = "";
	CHECK_EQ(group_offset_stage(&b, g, "v", p, o, seq), 0);
}

/* Kafka's pendingOffsetCommits: a commit shows only once published
 * (durable), a failed one never, one older than a delete never. */
static void check_visibility(void)
{
	struct group *g = group_get(&b, "visibility");
	struct group_offset a, bb, c, d, e, f;
	uint64_t s1 = group_offset_seq(), s2, s3, s4, s5, s6;

	stage(g, 0, 100, s1, &a);
	CHECK_EQ(shown(g, "v", 0), -1); /* staged, not durable */
	CHECK_EQ(group_offset_publish(g, "v", 0, &a, s1), 0);
	CHECK_EQ(shown(g, "v", 0), 100);
	s2 = group_offset_seq();
	stage(g, 0, 200, s2, &bb);
	CHECK_EQ(shown(g, "v", 0), 100); /* the durable one still shows */
	group_offset_unstage(g, "v", 0, s2); /* its write failed */
	CHECK_EQ(shown(g, "v", 0), 100);
	/* A commit completing after a delete of its partition. */
	s3 = group_offset_seq();
	stage(g, 0, 300, s3, &c);
	CHECK_EQ(group_offset_delete(&b, g, "v", 0), 0);
	CHECK_EQ(shown(g, "v", 0), -1);
	s4 = group_offset_seq();
	stage(g, 0, 400, s4, &d); /* a new commit after the delete */
	CHECK_EQ(group_offset_publish(g, "v", 0, &c, s3), 0);
	CHECK_EQ(shown(g, "v", 0), -1); /* the old one is not resurrected */
	CHECK_EQ(group_offset_publish(g, "v", 0, &d, s4), 0);
	CHECK_EQ(shown(g, "v", 0), 400);
	/* Completions out of order: the newer commit wins. */
	s5 = group_offset_seq();
	s6 = group_offset_seq();
	stage(g, 0, 500, s5, &e);
	stage(g, 0, 600, s6, &f);
	CHECK_EQ(group_offset_publish(g, "v", 0, &f, s6), 0);
	CHECK_EQ(group_offset_publish(g, "v", 0, &e, s5), 0);
	CHECK_EQ(shown(g, "v", 0), 600);
	/* A failed first commit leaves nothing behind. */
	s1 = group_offset_seq();
	stage(g, 1, 7, s1, &a);
	group_offset_unstage(g, "v", 1, s1);
	CHECK_EQ(shown(g, "v", 1), -1);
	durable();
}

static bool has(const char *group, const char *topic, int32_t p)
{
	struct group *g = group_find(&b, group);

	return g && group_offset_get(g, topic, p);
}

/* ConsumerProtocolSubscription v0 for one topic. */
static size_t subscription(uint8_t *out, const char *topic)
{
	size_t tl = strlen(topic);

	memcpy(out, "\x00\x00\x00\x00\x00\x01", 6);
	out[6] = (uint8_t)(tl >> 8);
	out[7] = (uint8_t)tl;
	memcpy(out + 8, topic, tl);
	memcpy(out + 8 + tl, "\xff\xff\xff\xff", 4);
	return 12 + tl;
}

/* A group in state st with protocol type/name and one member whose
 * subscription (for name) lists topic. */
static struct group *group_with_member(const char *id, enum group_state st,
				       const char *type, const char *name,
				       const char *topic)
{
	struct group *g = group_get(&b, id);
	struct group_member *m = calloc(1, sizeof(*m));
	uint8_t md[64] = {0};

	m->id = strdup("member-1");
	m->client_id = strdup("c");
	m->client_host = strdup("/127.0.0.1");
	m->session_timeout_ms = m->rebalance_timeout_ms = 600000;
	m->heartbeat_deadline = clock_mono_ms() + 600000;
	m->protocols = calloc(1, sizeof(*m->protocols));
	m->protocol_count = 1;
	m->protocols[0].name = strdup(name);
	m->protocols[0].len = (int32_t)subscription(md, topic);
	m->protocols[0].metadata = malloc(sizeof(md));
	memcpy(m->protocols[0].metadata, md, sizeof(md));
	g->members = m;
	g->member_count = 1;
	g->state = st;
	g->protocol_type = strdup(type);
	g->protocol_name = strdup(name);
	g->leader_id = strdup(m->id);
	return g;
}

static void check_rules(int64_t now)
{
	struct group *plain = group_get(&b, "plain");
	struct group *empty = group_get(&b, "empty-consumer");
	struct group *stable, *prep, *connect;

	commit(plain, "t", 0, now - 50 * MIN, -1);
	commit(plain, "t", 1, now - 10 * MIN, -1);
	commit(plain, "t", 2, now - 200 * 24 * 60 * MIN, now + 5 * MIN);
	commit(plain, "t", 3, now - 60 * MIN, -1); /* exactly the retention */
	empty->protocol_type = strdup("consumer");
	empty->empty_since_ms = now - 30 * MIN;
	commit(empty, "t", 0, now - 300 * MIN, -1);
	stable = group_with_member("stable-consumer", GROUP_STABLE, "consumer",
				   "range", "a");
	commit(stable, "a", 0, now - 300 * MIN, -1);
	commit(stable, "b", 0, now - 300 * MIN, -1);
	commit(stable, "b", 1, now - 10 * MIN, -1);
	prep = group_with_member("prep-consumer", GROUP_PREPARING_REBALANCE,
				 "consumer", "range", "a");
	commit(prep, "c", 0, now - 300 * MIN, -1);
	connect = group_with_member("stable-connect", GROUP_STABLE, "connect",
				    "x", "a");
	commit(connect, "d", 0, now - 300 * MIN, -1);
	CHECK(group_get(&b, "empty-nothing") != NULL);

	group_offsets_expire(&b, now);
	CHECK(has("plain", "t", 0) && has("plain", "t", 1) &&
	      has("plain", "t", 2));
	CHECK(!has("plain", "t", 3));
	CHECK(has("empty-consumer", "t", 0));
	CHECK(has("stable-consumer", "a", 0));	/* subscribed */
	CHECK(!has("stable-consumer", "b", 0)); /* KIP-496 */
	CHECK(has("stable-consumer", "b", 1));
	CHECK(has("prep-consumer", "c", 0));
	CHECK(has("stable-connect", "d", 0));
	CHECK(group_find(&b, "empty-nothing") == NULL);

	group_offsets_expire(&b, now + 11 * MIN);
	CHECK(!has("plain", "t", 0) && has("plain", "t", 1));
	CHECK(!has("plain", "t", 2));	      /* its own expire time */
	CHECK(has("empty-consumer", "t", 0)); /* Empty for 41 minutes */

	group_offsets_expire(&b, now + 31 * MIN);
	CHECK(group_find(&b, "empty-consumer") == NULL);
	CHECK(has("plain", "t", 1) && has("stable-consumer", "b", 1));

	group_offsets_expire(&b, now + 51 * MIN);
	CHECK(group_find(&b, "plain") == NULL); /* Empty, no offsets left */
	CHECK(has("stable-consumer", "a", 0) &&
	      !has("stable-consumer", "b", 1));
	CHECK(has("prep-consumer", "c", 0) && has("stable-connect", "d", 0));
}

/* What expired was deleted from the store; the rest is still there with
 * its values. */
static void check_store(void)
{
	const struct group_offset *o;

	CHECK(group_find(&b, "plain") == NULL);
	CHECK(group_find(&b, "empty-consumer") == NULL);
	CHECK(group_find(&b, "empty-nothing") == NULL);
	CHECK(!has("stable-consumer", "b", 0) &&
	      !has("stable-consumer", "b", 1));
	CHECK(has("prep-consumer", "c", 0) && has("stable-connect", "d", 0));
	o = group_offset_get(group_find(&b, "stable-consumer"), "a", 0);
	CHECK(o && o->offset == 100 && o->leader_epoch == 3 &&
	      strcmp(o->metadata, "md") == 0);
	CHECK(group_find(&b, "stable-consumer")->state == GROUP_STABLE);
	CHECK(group_find(&b, "stable-consumer")->member_count == 1);
}

/* Ids the store cannot take as keys (empty, longer than LMDB allows) are
 * stored under a digest and come back whole. */
static void check_odd_ids(void)
{
	char *big = malloc(3000);
	struct group *g;

	memset(big, 'x', 2999);
	big[2999] = '\0';
	commit(group_get(&b, ""), "t", 0, clock_wall_ms(), -1);
	g = group_get(&b, big);
	commit(g, big, 0, clock_wall_ms(), -1);
	durable();
	close_broker();
	open_broker(getenv("GROUP_TEST_DIR"));
	CHECK(has("", "t", 0));
	CHECK(has(big, big, 0));
	free(big);
}

int main(void)
{
	char dir[512];
	int64_t now = clock_wall_ms();

	log_set_level(LOG_WARN);
	tu_mkdtemp(dir, sizeof(dir));
	setenv("GROUP_TEST_DIR", dir, 1);
	cfg.props = props_new();
	cfg.offsets_retention_minutes = 60;
	cfg.group_max_size = INT32_MAX;
	cfg.offsets_retention_check_interval_ms = 600000;
	open_broker(dir);
	check_rules(now);
	check_visibility();
	durable();
	close_broker();
	open_broker(dir);
	check_store();
	check_odd_ids();
	close_broker();
	props_free(cfg.props);
	tu_rmrf(dir);
	return check_finish();
}
