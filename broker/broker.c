/* broker.c - the broker thread: inbox, sessions, timers, storage events.
 *
 * The loop waits in poll(2) on three descriptors -- the inbox eventfd
 * (frames and connection events from the net loop), the storage notify fd
 * (a group-commit sync finished) and a stop eventfd -- with a timeout set
 * by the earliest parked-request deadline and the retention timer. This
 * thread is not a network loop: it may block briefly on disk or LMDB,
 * never on a socket or an fsync.
 */
#include "broker/broker.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "auth/authz.h"
#include "base/clock.h"
#include "base/log.h"
#include "broker/auth.h"
#include "broker/group/group.h"
#include "storage/meta.h"
#include "storage/storage.h"

#define LOGC "KafkaServer"

enum bev_kind { BEV_OPEN, BEV_FRAME, BEV_CLOSE };

/* Connection events and frames travel through the inbox in one stream, so
 * the broker sees open, frames and close of a connection in order. */
struct bev {
	struct chan_node node;
	enum bev_kind kind;
	uint64_t conn_id;
	int listener_id;
	struct net_peer peer;
	uint8_t *frame;
	size_t len;
	/* First frame of a TLS connection: the peer's certificate DN. */
	char *ident;
	int ident_rc;
	bool have_ident;
};

/* --- net callbacks (net loop thread) ------------------------------------ */

static struct bev *bev_push(struct broker *b, enum bev_kind kind,
			     uint64_t conn_id, int listener_id,
			     const struct net_peer *peer, uint8_t *frame,
			     size_t len)
{
	struct bev *e = calloc(1, sizeof(*e));

	if (!e) {
		/* Out of memory: drop the connection rather than lose track
		 * of a request or of the connection itself. */
		free(frame);
		net_loop_close(b->net, conn_id);
		return NULL;
	}
	e->kind = kind;
	e->conn_id = conn_id;
	e->listener_id = listener_id;
	if (peer)
		e->peer = *peer;
	e->frame = frame;
	e->len = len;
	return e;
}

static void net_on_open(void *ctx, uint64_t conn_id, int listener_id,
			const struct net_peer *peer)
{
	struct bev *e = bev_push(ctx, BEV_OPEN, conn_id, listener_id, peer,
				 NULL, 0);

	if (e) {
		auth_net_open(ctx, conn_id, listener_id);
		chan_push(&((struct broker *)ctx)->inbox, &e->node);
	}
}

/* The peer identity is read here: net allows it on its own thread only. */
static void net_on_frame(void *ctx, uint64_t conn_id, uint8_t *frame,
			 size_t len)
{
	struct bev *e = bev_push(ctx, BEV_FRAME, conn_id, -1, NULL, frame, len);

	if (e) {
		auth_net_frame(ctx, conn_id, &e->ident, &e->ident_rc,
			       &e->have_ident);
		chan_push(&((struct broker *)ctx)->inbox, &e->node);
	}
}

static void net_on_close(void *ctx, uint64_t conn_id)
{
	struct bev *e = bev_push(ctx, BEV_CLOSE, conn_id, -1, NULL, NULL, 0);

	auth_net_close(ctx, conn_id);
	if (e)
		chan_push(&((struct broker *)ctx)->inbox, &e->node);
}

const struct net_callbacks broker_net_callbacks = {
	.on_open = net_on_open,
	.on_frame = net_on_frame,
	.on_close = net_on_close,
};

/* --- sessions (broker thread) ------------------------------------------- */

static struct session *session_find(struct broker *b, uint64_t conn_id)
{
	uint64_t h = hmap_hash_u64(conn_id);

	for (struct hmap_node *n = hmap_first(&b->sessions, h); n;
	     n = hmap_next(n, h)) {
		struct session *s = container_of(n, struct session, hnode);
		if (s->conn_id == conn_id)
			return s;
	}
	return NULL;
}

static void session_open(struct broker *b, const struct bev *e)
{
	struct session *s = calloc(1, sizeof(*s));

	if (!s) {
		net_loop_close(b->net, e->conn_id);
		return;
	}
	s->conn_id = e->conn_id;
	s->listener_id = e->listener_id;
	s->peer = e->peer;
	s->refs = 1;
	if (auth_session_open(b, s)) {
		auth_session_close(b, s);
		session_unref(s);
		net_loop_close(b->net, e->conn_id);
		return;
	}
	hmap_insert(&b->sessions, &s->hnode, hmap_hash_u64(s->conn_id));
}

void session_unref(struct session *s)
{
	if (--s->refs == 0) {
		authz_cache_destroy(s->authz_cache);
		free(s->principal);
		free(s);
	}
}

static void session_close(struct broker *b, uint64_t conn_id)
{
	struct session *s = session_find(b, conn_id);

	if (!s)
		return;
	hmap_remove(&b->sessions, &s->hnode);
	s->closed = true;
	auth_session_close(b, s);
	/* Requests queued behind a held one will never be handled. */
	for (struct req *r = s->head; r; r = r->next)
		if (r->state == REQ_QUEUED) {
			r->state = REQ_DONE;
			r->no_reply = true;
		}
	s->queued = 0;
	/* Finished requests waiting behind a parked one can go now; parked
	 * ones are freed when they complete or expire. */
	while (s->head && s->head->state == REQ_DONE) {
		struct req *r = s->head;
		s->head = r->next;
		if (!s->head)
			s->tail = NULL;
		req_free(b, r);
	}
	session_unref(s);
}

/* Requests hold their session; their arena is bounded so a hostile frame
 * cannot make decoding allocate more than a small multiple of its size. */
static void session_frame(struct broker *b, struct bev *e)
{
	struct session *s = session_find(b, e->conn_id);
	struct req *r;

	if (!s || s->closed) {
		free(e->frame);
		free(e->ident);
		return;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		free(e->frame);
		free(e->ident);
		net_loop_close(b->net, e->conn_id);
		return;
	}
	r->frame = e->frame;
	r->len = e->len;
	r->sess = s;
	s->refs++;
	arena_init(&r->arena, 8 * r->len + (1u << 20));
	buf_init(&r->out, 0);
	r->w.b = &r->out;
	if (s->tail)
		s->tail->next = r;
	else
		s->head = r;
	s->tail = r;
	/* Raw v0 SASL tokens, failed logins, the mTLS principal, the
	 * pre-auth size cap: before anything is queued or decoded. */
	if (auth_session_frame(b, r, e->ident, e->ident_rc, e->have_ident))
		return;
	if (s->held || s->queued) {
		r->state = REQ_QUEUED;
		s->queued++;
		return;
	}
	dispatch_request(b, r);
}

static void inbox_process(struct broker *b)
{
	struct chan_node *n = chan_drain(&b->inbox);

	while (n) {
		struct bev *e = container_of(n, struct bev, node);
		n = n->next;
		switch (e->kind) {
		case BEV_OPEN:
			session_open(b, e);
			break;
		case BEV_FRAME:
			session_frame(b, e);
			break;
		case BEV_CLOSE:
			session_close(b, e->conn_id);
			break;
		}
		free(e);
	}
}

/* --- the loop ----------------------------------------------------------- */

static int broker_poll_timeout(struct broker *b, int64_t now)
{
	int64_t until = req_expire_parked(b, now);

	if (b->next_retention_ms < until)
		until = b->next_retention_ms;
	if (b->next_producer_expiry_ms < until)
		until = b->next_producer_expiry_ms;
	int64_t g = groups_tick(b, now);
	if (g < until)
		until = g;
	g = auth_sessions_tick(b, now);
	if (g < until)
		until = g;
	g = auth_logins_run(b, now);
	if (g < until)
		until = g;
	if (until == INT64_MAX)
		return 1000;
	if (until <= now)
		return 0;
	return until - now > 1000 ? 1000 : (int)(until - now);
}

static void broker_after_appends(struct broker *b)
{
	if (!b->appended)
		return;
	b->appended = false;
	/* One kick per burst of requests: the sync thread then covers every
	 * append of the burst with one fdatasync per file. */
	storage_sync_kick(b->storage);
	/* With log.sync.before.ack=false the HW already moved. */
	req_wake_parked(b);
}

/* End of a burst: everything staged by the burst goes out together. */
static void broker_after_burst(struct broker *b)
{
	broker_after_appends(b);
	groups_flush(b);
}

void broker_run(struct broker *b)
{
	while (!b->stopping) {
		int64_t now = clock_mono_ms();
		struct pollfd fds[4] = {
			{ .fd = chan_fd(&b->inbox), .events = POLLIN },
			{ .fd = storage_notify_fd(b->storage), .events = POLLIN },
			{ .fd = b->stop_efd, .events = POLLIN },
			{ .fd = groups_notify_fd(b), .events = POLLIN },
		};

		if (now >= b->next_retention_ms) {
			topics_retention(b, clock_wall_ms());
			b->next_retention_ms =
				now + b->cfg->log_retention_check_interval_ms;
		}
		if (now >= b->next_producer_expiry_ms) {
			producers_expire(b, now);
			b->next_producer_expiry_ms =
			    now +
			    b->cfg->producer_id_expiration_check_interval_ms;
		}
		if (poll(fds, 4, broker_poll_timeout(b, now)) < 0 &&
		    errno != EINTR) {
			log_error(LOGC, "poll failed: %s", strerror(errno));
			break;
		}
		if (fds[1].revents) {
			storage_poll(b->storage);
			req_wake_parked(b);
		}
		if (fds[3].revents)
			groups_poll(b);
		if (fds[0].revents)
			inbox_process(b);
		broker_after_burst(b);
		if (fds[2].revents)
			b->stopping = true;
	}
}

void broker_stop(struct broker *b)
{
	uint64_t one = 1;

	(void)!write(b->stop_efd, &one, sizeof(one));
}

/* --- init --------------------------------------------------------------- */

static void cluster_id_generate(char out[32])
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint8_t raw[16] = { 0 };

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		log_warn(LOGC, "RAND_bytes failed; cluster id is not random");
	/* 128 bits as 22 URL-safe base64 characters, like Kafka's Uuid. */
	for (int i = 0; i < 22; i++) {
		int bit = i * 6, byte = bit / 8, shift = bit % 8;
		unsigned v = raw[byte] << 8 | (byte + 1 < 16 ? raw[byte + 1] : 0);
		out[i] = b64[(v >> (10 - shift)) & 63];
	}
	out[22] = '\0';
}

/* The cluster id is fixed at first start and checked at every start
 * after, like Kafka's meta.properties. */
static int cluster_id_load(struct broker *b)
{
	struct meta_txn *t;
	const void *val;
	size_t vlen;
	int rc = meta_txn_begin(b->meta, true, &t);

	if (rc)
		return rc;
	rc = meta_get(t, "cluster", "cluster.id", 10, &val, &vlen);
	if (rc == 0) {
		if (b->cfg->cluster_id[0] &&
		    (strlen(b->cfg->cluster_id) != vlen ||
		     memcmp(b->cfg->cluster_id, val, vlen) != 0)) {
			log_error(LOGC, "The Cluster ID %s doesn't match stored clusterId %.*s in %s",
				  b->cfg->cluster_id, (int)vlen, (const char *)val,
				  b->cfg->log_dir);
			meta_txn_abort(t);
			return -EINVAL;
		}
		if (vlen >= sizeof(b->cfg->cluster_id))
			vlen = sizeof(b->cfg->cluster_id) - 1;
		memcpy(b->cfg->cluster_id, val, vlen);
		b->cfg->cluster_id[vlen] = '\0';
		meta_txn_abort(t);
		return 0;
	}
	if (!b->cfg->cluster_id[0])
		cluster_id_generate(b->cfg->cluster_id);
	rc = meta_put(t, "cluster", "cluster.id", 10, b->cfg->cluster_id,
		      strlen(b->cfg->cluster_id));
	if (rc) {
		meta_txn_abort(t);
		return rc;
	}
	return meta_txn_commit(t);
}

int broker_init(struct broker *b, struct broker_config *cfg)
{
	struct storage_config sc = {
		.dir = cfg->log_dir,
		.key_file = cfg->encryption_key_file,
		.sync_mode = cfg->sync_before_ack ? STORAGE_SYNC_ALWAYS
						  : STORAGE_SYNC_NONE,
	};
	int rc;

	memset(b, 0, sizeof(*b));
	b->cfg = cfg;
	b->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->stop_efd < 0 || chan_init(&b->inbox) ||
	    hmap_init(&b->sessions) || hmap_init(&b->topics))
		return -ENOMEM;
	rc = storage_open(&sc, &b->storage);
	if (rc)
		return rc;
	rc = meta_open(cfg->log_dir, 0, &b->meta);
	if (rc) {
		log_error(LOGC, "Failed to open the metadata store in %s: %s",
			  cfg->log_dir, strerror(-rc));
		return rc;
	}
	rc = cluster_id_load(b);
	if (rc)
		return rc;
	rc = broker_authz_init(b);
	if (rc)
		return rc;
	b->next_retention_ms = clock_mono_ms() +
			       cfg->log_retention_check_interval_ms;
	b->next_producer_expiry_ms =
	    clock_mono_ms() + cfg->producer_id_expiration_check_interval_ms;
	rc = topics_load(b);
	if (rc)
		return rc;
	return groups_init(b);
}

void broker_fini(struct broker *b)
{
	struct hmap_iter it;
	struct hmap_node *n;

	/* Whatever is still parked will never be answered; finishing it
	 * silently frees it (its connection is gone or going). */
	while (b->parked) {
		struct req *r = b->parked;
		b->parked = r->park_next;
		req_finish_silent(b, r);
	}
	hmap_iter_init(&it, &b->sessions);
	while ((n = hmap_iter_next(&it)))
		session_close(b, container_of(n, struct session, hnode)->conn_id);
	inbox_process(b); /* frees late events */
	groups_fini(b);
	auth_logins_fini(b);
	topics_close_all(b);
	broker_authz_fini(b);
	if (b->meta)
		meta_close(b->meta);
	if (b->storage)
		storage_close(b->storage);
	hmap_fini(&b->sessions);
	hmap_fini(&b->topics);
	chan_fini(&b->inbox);
	if (b->stop_efd >= 0)
		close(b->stop_efd);
}
