// SPDX-License-Identifier: Apache-2.0
/*
 * groups_client.c - the bench's group client in raw frames: blocking
 * sockets, proto/'s generated codec (requests; JoinGroup and
 * OffsetCommit answers), and the member side of a rebalance as a client
 * does it (MEMBER_ID_REQUIRED, REBALANCE_IN_PROGRESS, the leader's
 * assignment). See groups_client.h.
 */
#include "tools/bench/groups_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "proto/kp_api.h"
#include "proto/kp_gen.h"

#define GB_ERR_REBALANCE 27
#define GB_ERR_UNKNOWN_MEMBER 25
#define GB_ERR_MEMBER_ID_REQUIRED 79
#define GB_ERR_INVALID_REQUEST 42

double gb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* --- connections ------------------------------------------------------- */

int gb_connect(const char *hostport, struct gb_conn *c)
{
	char host[256];
	const char *colon = strrchr(hostport, ':');
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int one = 1;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (!colon || (size_t)(colon - hostport) >= sizeof(host))
		return -EINVAL;
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, strcmp(host, "localhost") ? host : "127.0.0.1",
		      &sa.sin_addr) != 1)
		return -EINVAL;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -errno;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

void gb_close(struct gb_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->frame);
	c->fd = -1;
	c->frame = NULL;
}

static int gb_io(int fd, void *p, size_t len, bool out)
{
	uint8_t *b = p;

	while (len) {
		ssize_t n = out ? write(fd, b, len) : read(fd, b, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Start a request (header v1: every version used here is non-flexible)
 * in out; the caller encodes the body, then gb_send(). */
static size_t gb_begin(struct gb_conn *c, struct kp_writer *w, int16_t key,
		       int16_t ver)
{
	struct kp_request_header h = {
	    .request_api_key = key,
	    .request_api_version = ver,
	    .correlation_id = ++c->corr,
	    .client_id = KP_STR("sealog-groups-bench"),
	};
	size_t mark = kp_frame_begin(w);

	kp_request_header_encode(w, &h);
	return mark;
}

static int gb_send(struct gb_conn *c, struct buf *out, size_t mark)
{
	struct kp_writer w = {.b = out};
	int rc;

	kp_frame_end(&w, mark);
	rc = out->err ? out->err : gb_io(c->fd, out->data, out->len, true);
	buf_fini(out);
	return rc;
}

/* Read one response; rd is left at its body (header v0). */
static int gb_recv(struct gb_conn *c, struct kp_reader *rd)
{
	uint8_t size[4];
	uint32_t n;
	int rc = gb_io(c->fd, size, 4, false);

	if (rc)
		return rc;
	n = (uint32_t)size[0] << 24 | (uint32_t)size[1] << 16 |
	    (uint32_t)size[2] << 8 | size[3];
	if (n < 4 || n > GB_FRAME_MAX)
		return -EBADMSG;
	free(c->frame);
	c->frame = malloc(n);
	if (!c->frame)
		return -ENOMEM;
	rc = gb_io(c->fd, c->frame, n, false);
	if (rc)
		return rc;
	kp_reader_init(rd, c->frame, n);
	return kp_read_i32(rd) == c->corr ? 0 : -EBADMSG;
}

/* --- requests ------------------------------------------------------------ */

/* ConsumerProtocolSubscription v0: the topic, and the round as user data
 * (a changed subscription makes every join a rebalance). */
static size_t gb_subscription(uint8_t *out, int round)
{
	size_t tl = strlen(GB_TOPIC), n = 0;

	memcpy(out, "\x00\x00\x00\x00\x00\x01", 6);
	n = 6;
	out[n++] = (uint8_t)(tl >> 8);
	out[n++] = (uint8_t)tl;
	memcpy(out + n, GB_TOPIC, tl);
	n += tl;
	memcpy(out + n, "\x00\x00\x00\x04", 4);
	n += 4;
	for (int i = 3; i >= 0; i--)
		out[n++] = (uint8_t)((uint32_t)round >> (8 * i));
	return n;
}

static int gb_join_send(struct gb_member *m, const char *group, int round,
			int session_ms)
{
	uint8_t md[128];
	struct kp_join_group_request_join_group_request_protocol p = {
	    .name = KP_STR("range"),
	    .metadata = {md, (int32_t)gb_subscription(md, round)},
	};
	struct kp_join_group_request req;
	struct buf out;
	struct kp_writer w = {.b = &out};
	size_t mark;

	buf_init(&out, 0);
	kp_join_group_request_init(&req);
	req.group_id = kp_str_of(group);
	req.session_timeout_ms = session_ms;
	req.rebalance_timeout_ms = 30000;
	req.member_id = kp_str_of(m->id);
	req.protocol_type = KP_STR("consumer");
	req.protocols = &p;
	req.protocols_count = 1;
	mark = gb_begin(&m->c, &w, KP_API_JOIN_GROUP, 5);
	kp_join_group_request_encode(&w, 5, &req);
	m->step = GB_JOINING;
	return gb_send(&m->c, &out, mark);
}

static void gb_peers_free(struct gb_member *m)
{
	for (int32_t i = 0; i < m->peer_count; i++)
		free(m->peers[i]);
	free(m->peers);
	m->peers = NULL;
	m->peer_count = 0;
}

/* ConsumerProtocolAssignment v0: one topic, one partition. */
static size_t gb_assignment(uint8_t *b, int32_t part)
{
	size_t tl = strlen(GB_TOPIC), n = 6;

	memcpy(b, "\x00\x00\x00\x00\x00\x01", 6);
	b[n++] = (uint8_t)(tl >> 8);
	b[n++] = (uint8_t)tl;
	memcpy(b + n, GB_TOPIC, tl);
	n += tl;
	memcpy(b + n, "\x00\x00\x00\x01", 4);
	n += 4;
	for (int k = 3; k >= 0; k--)
		b[n++] = (uint8_t)((uint32_t)part >> (8 * k));
	memcpy(b + n, "\xff\xff\xff\xff", 4);
	return n + 4;
}

#define GB_ASSIGN_MAX 64 /* bytes of one gb_assignment() */

/* The leader assigns partition i % P to member i. */
static int gb_sync_send(struct gb_member *m, const char *group, int parts)
{
	struct kp_sync_group_request req;
	struct kp_sync_group_request_sync_group_request_assignment *as = NULL;
	uint8_t *blobs = NULL;
	struct buf out;
	struct kp_writer w = {.b = &out};
	size_t mark;
	int rc;

	kp_sync_group_request_init(&req);
	if (m->leader && m->peer_count) {
		as = calloc((size_t)m->peer_count, sizeof(*as));
		blobs = malloc((size_t)m->peer_count * GB_ASSIGN_MAX);
		if (!as || !blobs) {
			free(as);
			free(blobs);
			return -ENOMEM;
		}
	}
	for (int32_t i = 0; as && i < m->peer_count; i++) {
		uint8_t *b = blobs + (size_t)i * GB_ASSIGN_MAX;
		as[i].member_id = kp_str_of(m->peers[i]);
		as[i].assignment.ptr = b;
		as[i].assignment.len = (int32_t)gb_assignment(b, i % parts);
	}
	req.group_id = kp_str_of(group);
	req.generation_id = m->gen;
	req.member_id = kp_str_of(m->id);
	req.assignments = as;
	req.assignments_count = as ? m->peer_count : 0;
	buf_init(&out, 0);
	mark = gb_begin(&m->c, &w, KP_API_SYNC_GROUP, 3);
	kp_sync_group_request_encode(&w, 3, &req);
	m->step = GB_SYNCING;
	rc = gb_send(&m->c, &out, mark);
	free(as);
	free(blobs);
	return rc;
}

static int gb_keep_peers(struct gb_member *m,
			 const struct kp_join_group_response *resp)
{
	gb_peers_free(m);
	if (resp->members_count <= 0)
		return 0;
	m->peers = calloc((size_t)resp->members_count, sizeof(*m->peers));
	if (!m->peers)
		return -ENOMEM;
	for (int32_t i = 0; i < resp->members_count; i++) {
		m->peers[i] = strndup(resp->members[i].member_id.ptr,
				      (size_t)resp->members[i].member_id.len);
		if (!m->peers[i])
			return -ENOMEM;
		m->peer_count++;
	}
	return 0;
}

/* A JoinGroup answer: sync, or join again. */
static int gb_on_join(struct gb_member *m, struct kp_reader *rd,
		      const char *group, int round, int session_ms, int parts)
{
	struct kp_join_group_response resp;
	struct arena a;
	int rc;

	arena_init(&a, GB_FRAME_MAX * 4);
	kp_join_group_response_init(&resp);
	rc = kp_join_group_response_decode(rd, 5, &a, &resp);
	if (!rc && resp.member_id.len > 0 &&
	    (size_t)resp.member_id.len < sizeof(m->id)) {
		memcpy(m->id, resp.member_id.ptr, (size_t)resp.member_id.len);
		m->id[resp.member_id.len] = '\0';
	}
	if (rc) {
		/* decode failed: rc stays */
	} else if (resp.error_code == GB_ERR_MEMBER_ID_REQUIRED ||
		   resp.error_code == GB_ERR_REBALANCE) {
		rc = gb_join_send(m, group, round, session_ms);
	} else if (resp.error_code == GB_ERR_UNKNOWN_MEMBER) {
		m->id[0] = '\0';
		rc = gb_join_send(m, group, round, session_ms);
	} else if (resp.error_code) {
		fprintf(stderr, "sealog-groups-bench: JoinGroup: error %d\n",
			resp.error_code);
		rc = -EPROTO;
	} else {
		m->gen = resp.generation_id;
		m->leader = kp_str_eq(resp.leader, m->id);
		rc = gb_keep_peers(m, &resp);
		/* The leader syncs once the others did (gb_leader_sync). */
		if (!rc && m->leader)
			m->step = GB_LEADER_WAIT;
		else if (!rc)
			rc = gb_sync_send(m, group, parts);
	}
	arena_fini(&a);
	return rc;
}

/* A SyncGroup answer. Only throttle time and error are read: the mock
 * sends a null assignment with errors, which the (strict) generated
 * decoder rightly refuses -- the field is not nullable. The mock also
 * answers INVALID_REQUEST to a SyncGroup that arrives after the leader's
 * (its group is "Up" by then); with lenient, that counts as done. */
static int gb_on_sync(struct gb_member *m, struct kp_reader *rd,
		      const char *group, int round, int session_ms,
		      bool lenient)
{
	int16_t err;

	kp_read_i32(rd);
	err = kp_read_i16(rd);
	if (rd->err)
		return -EBADMSG;
	if (err == GB_ERR_REBALANCE)
		return gb_join_send(m, group, round, session_ms);
	if (err == GB_ERR_INVALID_REQUEST && lenient)
		err = 0;
	if (err) {
		fprintf(stderr, "sealog-groups-bench: SyncGroup: error %d\n",
			err);
		return -EPROTO;
	}
	m->step = GB_DONE;
	return 0;
}

static bool gb_all_done(const struct gb_member *ms, int n)
{
	for (int i = 0; i < n; i++)
		if (ms[i].step != GB_DONE)
			return false;
	return true;
}

/* Everyone DONE in one generation; a member left behind rejoins. */
static bool gb_round_done(struct gb_member *ms, int n, const char *group,
			  int round, int session_ms, int *rc)
{
	int32_t gen = -1;

	if (!gb_all_done(ms, n))
		return false;
	for (int i = 0; i < n; i++)
		if (ms[i].gen > gen)
			gen = ms[i].gen;
	for (int i = 0; i < n && !*rc; i++)
		if (ms[i].gen != gen)
			*rc = gb_join_send(&ms[i], group, round, session_ms);
	return !*rc && gb_all_done(ms, n);
}

/* The leader's SyncGroup goes out once every other member of its
 * generation sent its own, or when one is joining again (then the
 * leader learns of the new rebalance from its answer). */
static int gb_leader_sync(struct gb_member *ms, int n, const char *group,
			  int parts)
{
	for (int i = 0; i < n; i++) {
		struct gb_member *l = &ms[i];
		bool ready = true;

		if (l->step != GB_LEADER_WAIT)
			continue;
		for (int j = 0; j < n && ready; j++)
			ready = j == i || ms[j].step == GB_JOINING ||
				(ms[j].step != GB_LEADER_WAIT &&
				 ms[j].gen == l->gen);
		if (ready)
			return gb_sync_send(l, group, parts);
	}
	return 0;
}

/* One rebalance: every member joins, syncs; ms. */
int gb_round(struct gb_member *ms, int n, const struct gb_round_cfg *cfg,
	     int round, double *took)
{
	const char *group = cfg->group;
	int session_ms = cfg->session_ms;
	struct pollfd pfd[GB_MAX_CONNS];
	double start = gb_now_ms(), deadline = start + 60000;
	int rc = 0;

	for (int i = 0; i < n && !rc; i++)
		rc = gb_join_send(&ms[i], group, round, session_ms);
	while (!rc && !gb_round_done(ms, n, group, round, session_ms, &rc)) {
		int left = (int)(deadline - gb_now_ms());
		if (left <= 0)
			return -ETIMEDOUT;
		for (int i = 0; i < n; i++)
			pfd[i] = (struct pollfd){
			    .fd = ms[i].step == GB_DONE ||
					  ms[i].step == GB_LEADER_WAIT
				      ? -1
				      : ms[i].c.fd,
			    .events = POLLIN};
		if (poll(pfd, (nfds_t)n, left) < 0 && errno != EINTR)
			return -errno;
		for (int i = 0; i < n && !rc; i++) {
			struct kp_reader rd;
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			rc = gb_recv(&ms[i].c, &rd);
			if (!rc && ms[i].step == GB_JOINING)
				rc = gb_on_join(&ms[i], &rd, group, round,
						session_ms, cfg->partitions);
			else if (!rc)
				rc = gb_on_sync(&ms[i], &rd, group, round,
						session_ms, cfg->lenient);
		}
		if (!rc)
			rc = gb_leader_sync(ms, n, group, cfg->partitions);
	}
	*took = gb_now_ms() - start;
	return rc;
}

int gb_members_open(struct gb_member *ms, int n, const char *bootstrap)
{
	for (int i = 0; i < n; i++) {
		memset(&ms[i], 0, sizeof(ms[i]));
		if (gb_connect(bootstrap, &ms[i].c))
			return -ECONNREFUSED;
	}
	return 0;
}

void gb_members_close(struct gb_member *ms, int n)
{
	for (int i = 0; i < n; i++) {
		gb_close(&ms[i].c);
		gb_peers_free(&ms[i]);
	}
}

/* --- commit throughput -----------------------------------------------------
 */

int gb_commit_send(struct gb_member *m, const char *group, int parts,
		   int64_t offset)
{
	struct kp_offset_commit_request_offset_commit_request_partition ps[64];
	struct kp_offset_commit_request_offset_commit_request_topic t;
	struct kp_offset_commit_request req;
	struct buf out;
	struct kp_writer w = {.b = &out};
	size_t mark;

	kp_offset_commit_request_init(&req);
	kp_offset_commit_request_offset_commit_request_topic_init(&t);
	for (int i = 0; i < parts; i++) {
		kp_offset_commit_request_offset_commit_request_partition_init(
		    &ps[i]);
		ps[i].partition_index = i;
		ps[i].committed_offset = offset;
		ps[i].committed_leader_epoch = -1;
		ps[i].committed_metadata = KP_STR("");
	}
	t.name = KP_STR(GB_TOPIC);
	t.partitions = ps;
	t.partitions_count = parts;
	req.group_id = kp_str_of(group);
	req.generation_id_or_member_epoch = m->gen;
	req.member_id = kp_str_of(m->id);
	req.topics = &t;
	req.topics_count = 1;
	buf_init(&out, 0);
	mark = gb_begin(&m->c, &w, KP_API_OFFSET_COMMIT, 7);
	kp_offset_commit_request_encode(&w, 7, &req);
	return gb_send(&m->c, &out, mark);
}

int gb_commit_check(struct gb_member *m)
{
	struct kp_offset_commit_response resp;
	struct kp_reader rd;
	struct arena a;
	int rc = gb_recv(&m->c, &rd);

	arena_init(&a, GB_FRAME_MAX * 4);
	kp_offset_commit_response_init(&resp);
	if (!rc)
		rc = kp_offset_commit_response_decode(&rd, 7, &a, &resp);
	for (int32_t i = 0; !rc && i < resp.topics_count; i++)
		for (int32_t j = 0; j < resp.topics[i].partitions_count; j++)
			if (resp.topics[i].partitions[j].error_code && !rc) {
				fprintf(
				    stderr,
				    "sealog-groups-bench: OffsetCommit: error "
				    "%d\n",
				    resp.topics[i].partitions[j].error_code);
				rc = -EPROTO;
			}
	arena_fini(&a);
	return rc;
}

/* Every member commits in a loop, one request in flight each. */

/* Auto-create the topic (the spawned broker has num.partitions=P). */
int gb_topic_create(const char *bootstrap)
{
	struct kp_metadata_request_metadata_request_topic t;
	struct kp_metadata_request req;
	struct gb_conn c;
	struct kp_reader rd;
	struct buf out;
	struct kp_writer w = {.b = &out};
	size_t mark;
	int rc = gb_connect(bootstrap, &c);

	kp_metadata_request_init(&req);
	kp_metadata_request_metadata_request_topic_init(&t);
	t.name = KP_STR(GB_TOPIC);
	req.topics = &t;
	req.topics_count = 1;
	req.allow_auto_topic_creation = true;
	buf_init(&out, 0);
	mark = gb_begin(&c, &w, KP_API_METADATA, 4);
	kp_metadata_request_encode(&w, 4, &req);
	if (!rc)
		rc = gb_send(&c, &out, mark);
	else
		buf_fini(&out);
	if (!rc)
		rc = gb_recv(&c, &rd);
	gb_close(&c);
	return rc;
}
