/* conn.c - one connection: framing, backpressure, send queue, close.
 *
 *   frame delivered, inflight == max_inflight or inflight_bytes >= max
 *   +------+ ------------------------------------------> +--------+
 *   | OPEN |                                             | PAUSED |
 *   +------+ <------------------------------------------ +--------+
 *      |      a reply frees an in-flight slot                |
 *      | reply with NET_REPLY_CLOSE                          |
 *      v                                                     |
 *   +----------+  all sent (+ transport shutdown output)     |
 *   | DRAINING | ------------------+                         |
 *   +----------+                   v                         |
 *      any error, EOF, timeout,  +---------+  <--------------+
 *      net_loop_close, stop ---> | CLOSING | --(no op outstanding)--> freed
 *                                +---------+
 *
 * Invariants:
 *  1. While recv_armed or send_armed is true the kernel may still write
 *     into the buffer ring for us or read c->mh, c->iov and the queued reply
 *     bytes, so a connection is freed only by conn_reap() once both are
 *     false. conn_close() never frees; callers may touch c after it.
 *  2. on_close is called exactly once, when CLOSING is entered; after it
 *     conn_by_id() no longer finds the connection, so late replies drop.
 *  3. pend holds unparsed plaintext only while PAUSED; it is bounded by
 *     what the kernel had already received before the recv cancel took
 *     effect (at most the buffer ring), capped at NET_PEND_MAX anyway.
 *  4. A frame body buffer never exceeds twice the bytes received for it
 *     (geometric growth capped at the claimed size), so a peer claiming a
 *     huge frame and sending little costs little.
 *
 *  5. A transport with an established() op is not ready until it says
 *     so; until then xprt_deadline_ms (accept + handshake timeout) bounds
 *     the connection's life whatever the peer sends. A transport that
 *     fails with output pending (a TLS alert) enters DRAINING with only
 *     that output to send (conn_fail), bounded by NET_FAIL_FLUSH_MS.
 *
 * Transitions: OPEN->PAUSED conn_frame_deliver/conn_pause; PAUSED->OPEN
 * conn_resume; ->DRAINING conn_on_msg, conn_fail; DRAINING->CLOSING
 * conn_finish; ->CLOSING conn_close, conn_tick; CLOSING->freed conn_reap.
 */
#include "net/net_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"

#define NET_PEND_MAX (8u << 20)
#define NET_FRAME_MIN_ALLOC 256

/* The one process-wide object in net/: connection ids must never repeat
 * within a process, even across several loops (see net.h). */
static _Atomic uint64_t conn_seq = 1;

static void conn_flush(struct net_conn *c);

static uint32_t conn_gen(const struct net_conn *c)
{
	return (uint32_t)(c->id >> NET_SLOT_BITS);
}

static uint64_t conn_ud(const struct net_conn *c, enum net_kind kind)
{
	return net_ud_pack(kind, conn_gen(c), c->slot);
}

static bool conn_paused(const struct net_conn *c)
{
	return c->inflight >= c->loop->cfg.max_inflight ||
	       c->inflight_bytes >= c->loop->cfg.max_inflight_bytes;
}

static bool conn_wants_recv(const struct net_conn *c)
{
	return !c->closing && !c->read_stop && !c->loop->stopping &&
	       !conn_paused(c) && c->pend.len == 0;
}

struct net_conn *conn_by_id(struct net_loop *loop, uint64_t id)
{
	uint32_t slot = (uint32_t)(id & NET_SLOT_MASK);
	struct net_conn *c;

	if (slot >= loop->conn_cap)
		return NULL;
	c = loop->conns[slot];
	if (!c || c->id != id || c->closing)
		return NULL;
	return c;
}

struct net_conn *conn_by_ud(struct net_loop *loop, uint64_t ud)
{
	uint32_t slot = net_ud_slot(ud);
	struct net_conn *c;

	if (slot >= loop->conn_cap)
		return NULL;
	c = loop->conns[slot];
	if (!c || conn_gen(c) != net_ud_gen(ud))
		return NULL;
	return c;
}

/* ---- slots ---------------------------------------------------------- */

static int conn_slots_grow(struct net_loop *loop)
{
	uint32_t cap = loop->conn_cap ? loop->conn_cap * 2 : 64;
	struct net_conn **conns;
	uint32_t *free_slots;

	if (cap > NET_MAX_CONNS)
		cap = NET_MAX_CONNS;
	if (cap <= loop->conn_cap)
		return -EMFILE;
	conns = realloc(loop->conns, cap * sizeof(*conns));
	if (!conns)
		return -ENOMEM;
	loop->conns = conns;
	free_slots = realloc(loop->free_slots, cap * sizeof(*free_slots));
	if (!free_slots)
		return -ENOMEM;
	loop->free_slots = free_slots;
	/* Push new slots highest first so the lowest is handed out next. */
	for (uint32_t s = cap; s > loop->conn_cap; s--) {
		loop->conns[s - 1] = NULL;
		loop->free_slots[loop->nfree++] = s - 1;
	}
	loop->conn_cap = cap;
	return 0;
}

static int conn_slot_alloc(struct net_loop *loop, uint32_t *slot)
{
	int r;

	if (loop->nfree == 0) {
		r = conn_slots_grow(loop);
		if (r < 0)
			return r;
	}
	*slot = loop->free_slots[--loop->nfree];
	return 0;
}

/* ---- open ----------------------------------------------------------- */

static void conn_peer(int fd, struct net_peer *peer)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	memset(peer, 0, sizeof(*peer));
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &sin->sin_addr, peer->addr,
			  sizeof(peer->addr));
		peer->port = ntohs(sin->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, peer->addr,
			  sizeof(peer->addr));
		peer->port = ntohs(sin6->sin6_port);
	}
}

static void conn_arm_recv(struct net_conn *c)
{
	struct io_uring_sqe *sqe = loop_sqe(c->loop);

	io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 0;
	io_uring_sqe_set_data64(sqe, conn_ud(c, NK_RECV));
	c->recv_armed = true;
	c->recv_cancelled = false;
}

int conn_create(struct net_loop *loop, int fd, struct net_listener *l)
{
	struct xprt_factory *xf = l->xprt ? l->xprt : &l->plain;
	struct net_peer peer;
	struct net_conn *c;
	uint32_t slot;
	int one = 1;
	int r;

	conn_peer(fd, &peer);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->inflight_len = calloc(loop->cfg.max_inflight, sizeof(uint32_t));
	if (!c->inflight_len) {
		free(c);
		return -ENOMEM;
	}
	r = quota_acquire(loop, peer.addr, &c->ipc);
	if (r < 0)
		goto err_free;
	r = xf->ops->open(xf, fd, &c->xst);
	if (r < 0)
		goto err_quota;
	r = conn_slot_alloc(loop, &slot);
	if (r < 0)
		goto err_xprt;
	c->id = atomic_fetch_add(&conn_seq, 1) << NET_SLOT_BITS | slot;
	c->slot = slot;
	c->fd = fd;
	c->listener_id = l->id;
	c->loop = loop;
	c->xo = xf->ops;
	c->max_frame = loop->cfg.max_frame_bytes;
	c->last_active_ms = loop->now_ms;
	c->xprt_ready = !xf->ops->established;
	if (!c->xprt_ready && xf->handshake_timeout_ms > 0)
		c->xprt_deadline_ms = loop->now_ms + xf->handshake_timeout_ms;
	buf_init(&c->pend, NET_PEND_MAX);
	buf_init(&c->wire_tx, 0);
	buf_init(&c->wire_out, 0);
	loop->conns[slot] = c;
	loop->nconns++;
	/* Replies are whole frames already: send them as soon as queued. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	quota_rate_take(loop);
	loop->cb.on_open(loop->ctx, c->id, l->id, &peer);
	if (!c->closing)
		conn_arm_recv(c);
	return 0;

err_xprt:
	if (xf->ops->close)
		xf->ops->close(c->xst);
err_quota:
	quota_release(loop, c->ipc);
err_free:
	free(c->inflight_len);
	free(c);
	return r;
}

/* ---- close ---------------------------------------------------------- */

void conn_close(struct net_conn *c, const char *why)
{
	if (c->closing)
		return;
	c->closing = true;
	log_debug("net", "connection %llu closed: %s",
		  (unsigned long long)c->id, why);
	if (c->recv_armed && !c->recv_cancelled) {
		loop_cancel(c->loop, conn_ud(c, NK_RECV));
		c->recv_cancelled = true;
	}
	if (c->send_armed)
		loop_cancel(c->loop, conn_ud(c, NK_SEND));
	c->reap_next = c->loop->reap;
	c->loop->reap = c;
	c->loop->cb.on_close(c->loop->ctx, c->id);
}

static void conn_free(struct net_conn *c)
{
	struct net_loop *loop = c->loop;
	struct net_msg *m;

	while ((m = c->sq_head)) {
		c->sq_head = m->next;
		free(m->data);
		free(m);
	}
	if (c->xo->close)
		c->xo->close(c->xst);
	close(c->fd);
	free(c->frame);
	buf_fini(&c->pend);
	buf_fini(&c->wire_tx);
	buf_fini(&c->wire_out);
	loop->conns[c->slot] = NULL;
	loop->free_slots[loop->nfree++] = c->slot;
	loop->nconns--;
	quota_release(loop, c->ipc);
	free(c->inflight_len);
	free(c);
}

void conn_reap(struct net_loop *loop)
{
	struct net_conn **pp = &loop->reap;
	bool freed = false;

	while (*pp) {
		struct net_conn *c = *pp;

		if (c->recv_armed || c->send_armed) {
			pp = &c->reap_next;
			continue;
		}
		*pp = c->reap_next;
		conn_free(c);
		freed = true;
	}
	if (freed)
		listener_arm_all(loop); /* below a cap again, perhaps */
}

void conn_close_all(struct net_loop *loop, const char *why)
{
	for (uint32_t s = 0; s < loop->conn_cap; s++)
		if (loop->conns[s])
			conn_close(loop->conns[s], why);
}

/* Only after io_uring_queue_exit(): no op can be outstanding any more, so
 * the armed flags are stale and every connection can go. */
void conn_free_all(struct net_loop *loop)
{
	for (uint32_t s = 0; s < loop->conn_cap; s++) {
		struct net_conn *c = loop->conns[s];

		if (c)
			c->recv_armed = c->send_armed = false;
	}
	conn_reap(loop);
}

/* Everything queued went out after a NET_REPLY_CLOSE reply: give the
 * transport its orderly shutdown (TLS close_notify), then close. */
static void conn_finish(struct net_conn *c)
{
	if (c->xo->shutdown && !c->xprt_shut) {
		c->xprt_shut = true;
		if (c->xo->shutdown(c->xst, &c->wire_out) == 0 &&
		    c->wire_out.len) {
			conn_flush(c);
			return;
		}
	}
	conn_close(c, c->xprt_failed ? "transport error (output sent)"
				     : "closed after final reply");
}

/* ---- framing -------------------------------------------------------- */

static void conn_pause(struct net_conn *c)
{
	if (c->recv_armed && !c->recv_cancelled) {
		loop_cancel(c->loop, conn_ud(c, NK_RECV));
		c->recv_cancelled = true;
	}
}

static int conn_frame_begin(struct net_conn *c)
{
	uint32_t u = (uint32_t)c->hdr[0] << 24 | (uint32_t)c->hdr[1] << 16 |
		     (uint32_t)c->hdr[2] << 8 | c->hdr[3];
	int32_t size = (int32_t)u;

	/* 8 = api key + api version + correlation id: anything shorter is
	 * not a request. Never allocate here: the size is only a claim. */
	if (size < 8 || (uint64_t)size > c->max_frame) {
		log_warn("net",
			 "connection %llu: invalid frame size %d (max %zu), "
			 "closing",
			 (unsigned long long)c->id, size, c->max_frame);
		return -EMSGSIZE;
	}
	c->frame_len = (size_t)size;
	c->frame_got = 0;
	return 0;
}

static int conn_frame_grow(struct net_conn *c, size_t need)
{
	size_t cap = c->frame_cap ? c->frame_cap : NET_FRAME_MIN_ALLOC;
	uint8_t *p;

	if (need <= c->frame_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > c->frame_len)
		cap = c->frame_len;
	p = realloc(c->frame, cap);
	if (!p)
		return -ENOMEM;
	c->frame = p;
	c->frame_cap = cap;
	return 0;
}

static void conn_frame_deliver(struct net_conn *c)
{
	uint8_t *frame = c->frame;
	size_t len = c->frame_len;

	c->frame = NULL;
	c->frame_len = c->frame_got = c->frame_cap = 0;
	c->hdr_len = 0;
	c->inflight_len[(c->inflight_head + c->inflight) %
			c->loop->cfg.max_inflight] = (uint32_t)len;
	c->inflight_bytes += len;
	c->inflight++;
	c->loop->cb.on_frame(c->loop->ctx, c->id, frame, len);
	if (conn_paused(c))
		conn_pause(c);
}

/* Parse plaintext into frames until it is used up or the connection
 * pauses. Returns the bytes consumed or -errno (close the connection). */
static ssize_t conn_parse(struct net_conn *c, const uint8_t *p, size_t n)
{
	size_t off = 0, take;
	int r;

	while (off < n && !conn_paused(c) && !c->closing && !c->read_stop) {
		if (c->hdr_len < 4) {
			if (c->hdr_len == 0)
				c->frame_start_ms = c->loop->now_ms;
			take = 4 - c->hdr_len;
			take = take < n - off ? take : n - off;
			memcpy(c->hdr + c->hdr_len, p + off, take);
			c->hdr_len += (unsigned)take;
			off += take;
			if (c->hdr_len == 4 && (r = conn_frame_begin(c)) < 0)
				return r;
			continue;
		}
		take = c->frame_len - c->frame_got;
		take = take < n - off ? take : n - off;
		r = conn_frame_grow(c, c->frame_got + take);
		if (r < 0)
			return r;
		memcpy(c->frame + c->frame_got, p + off, take);
		c->frame_got += take;
		off += take;
		if (c->frame_got == c->frame_len)
			conn_frame_deliver(c);
	}
	return (ssize_t)off;
}

static int conn_stash(struct net_conn *c, const uint8_t *p, size_t n)
{
	buf_append(&c->pend, p, n);
	if (c->pend.err) {
		log_warn("net", "connection %llu: input backlog over %u bytes",
			 (unsigned long long)c->id, NET_PEND_MAX);
		return -ENOBUFS;
	}
	return 0;
}

/* Transport sink: plaintext in arrival order. */
static int conn_sink(void *arg, const uint8_t *p, size_t n)
{
	struct net_conn *c = arg;
	ssize_t used;

	if (c->closing)
		return -ECONNRESET;
	if (c->read_stop)
		return 0; /* after a closing reply: input is irrelevant */
	if (c->pend.len || conn_paused(c))
		return conn_stash(c, p, n);
	used = conn_parse(c, p, n);
	if (used < 0)
		return (int)used;
	if ((size_t)used < n && !c->closing && !c->read_stop)
		return conn_stash(c, p + used, n - (size_t)used);
	return 0;
}

/* A slot was freed: parse what was stashed, then read again. */
static void conn_resume(struct net_conn *c)
{
	ssize_t used;

	if (c->closing || c->read_stop || conn_paused(c))
		return;
	if (c->pend.len) {
		used = conn_parse(c, c->pend.data, c->pend.len);
		if (used < 0) {
			conn_close(c, strerror((int)-used));
			return;
		}
		memmove(c->pend.data, c->pend.data + used,
			c->pend.len - (size_t)used);
		c->pend.len -= (size_t)used;
	}
	/* With a cancel still in flight, the recv's last CQE re-arms. */
	if (conn_wants_recv(c) && !c->recv_armed)
		conn_arm_recv(c);
}

void conn_stop_reading(struct net_conn *c)
{
	c->read_stop = true;
	buf_fini(&c->pend);
	free(c->frame);
	c->frame = NULL;
	c->frame_len = c->frame_got = c->frame_cap = 0;
	c->hdr_len = 0;
	conn_pause(c);
}

static void conn_sq_drop(struct net_conn *c);

/* The transport failed. If it produced last words (a TLS alert saying
 * why), send only those, then close; otherwise close now. */
static void conn_fail(struct net_conn *c, int err)
{
	if (c->closing)
		return;
	if (!c->wire_out.len || c->wire_out.err) {
		conn_close(c, strerror(-err));
		return;
	}
	log_debug("net", "connection %llu: transport error: %s",
		  (unsigned long long)c->id, strerror(-err));
	conn_stop_reading(c);
	conn_sq_drop(c);
	c->close_after_send = true;
	c->xprt_shut = true;
	c->xprt_failed = true;
	c->xprt_deadline_ms = c->loop->now_ms + NET_FAIL_FLUSH_MS;
	conn_flush(c);
}

static void conn_input(struct net_conn *c, const uint8_t *p, size_t n)
{
	int r;

	c->last_active_ms = c->loop->now_ms;
	r = c->xo->feed(c->xst, p, n, conn_sink, c, &c->wire_out);
	if (r < 0) {
		conn_fail(c, r);
		return;
	}
	if (!c->xprt_ready && c->xo->established(c->xst)) {
		c->xprt_ready = true;
		c->xprt_deadline_ms = 0;
	}
	if (c->wire_out.len || (c->xo->encode && c->sq_head))
		conn_flush(c);
}

void conn_on_recv(struct net_conn *c, struct io_uring_cqe *cqe)
{
	struct net_loop *loop = c->loop;
	int res = cqe->res;

	if (!(cqe->flags & IORING_CQE_F_MORE))
		c->recv_armed = false;
	if (cqe->flags & IORING_CQE_F_BUFFER) {
		unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;

		/* After read_stop (closing reply, transport failure) input
		 * is irrelevant: a failed transport must not run again. */
		if (res > 0 && !c->closing && !c->read_stop)
			conn_input(c, loop->bufs + (size_t)bid * loop->buf_size,
				   (size_t)res);
		loop_buf_recycle(loop, bid);
	}
	if (res == 0)
		conn_close(c, "peer closed");
	else if (res < 0 && res != -ENOBUFS && res != -ECANCELED)
		conn_close(c, strerror(-res));
	/* ENOBUFS ended the multishot: buffers are back by now, re-arm. */
	if (!c->recv_armed && conn_wants_recv(c))
		conn_arm_recv(c);
}

/* ---- sending -------------------------------------------------------- */

static void conn_sq_pop(struct net_conn *c)
{
	struct net_msg *m = c->sq_head;

	c->sq_head = m->next;
	if (!c->sq_head)
		c->sq_tail = NULL;
	c->sq_bytes -= m->len;
	free(m->data);
	free(m);
}

static void conn_sq_drop(struct net_conn *c)
{
	while (c->sq_head)
		conn_sq_pop(c);
}

/* Transformer transports: turn queued plaintext into wire bytes. */
static int conn_encode(struct net_conn *c)
{
	int r;

	while (c->sq_head) {
		r = c->xo->encode(c->xst, c->sq_head->data, c->sq_head->len,
				  &c->wire_out);
		if (r == -EAGAIN)
			return 0;
		if (r < 0)
			return r;
		conn_sq_pop(c);
	}
	return 0;
}

static int conn_fill_iov(struct net_conn *c)
{
	int n = 0;

	if (c->tx_off == c->wire_tx.len && c->wire_out.len) {
		struct buf t = c->wire_tx;

		c->wire_tx = c->wire_out;
		c->wire_out = t;
		buf_clear(&c->wire_out);
		c->tx_off = 0;
	}
	if (c->tx_off < c->wire_tx.len) {
		c->iov[n].iov_base = c->wire_tx.data + c->tx_off;
		c->iov[n++].iov_len = c->wire_tx.len - c->tx_off;
	}
	if (c->xo->encode)
		return n;
	for (struct net_msg *m = c->sq_head; m && n < NET_IOV_MAX;
	     m = m->next) {
		c->iov[n].iov_base = m->data + m->off;
		c->iov[n++].iov_len = m->len - m->off;
	}
	return n;
}

/* Submit one sendmsg covering the transport output and as many queued
 * replies as fit in the iovec array (coalescing small replies). */
static void conn_flush(struct net_conn *c)
{
	struct io_uring_sqe *sqe;
	int n, r;

	if (c->closing || c->send_armed)
		return;
	if (c->xo->encode && !c->xprt_failed && (r = conn_encode(c)) < 0) {
		conn_close(c, strerror(-r));
		return;
	}
	n = conn_fill_iov(c);
	if (n == 0) {
		if (c->close_after_send && !c->sq_head)
			conn_finish(c);
		return;
	}
	memset(&c->mh, 0, sizeof(c->mh));
	c->mh.msg_iov = c->iov;
	c->mh.msg_iovlen = (size_t)n;
	sqe = loop_sqe(c->loop);
	io_uring_prep_sendmsg(sqe, c->fd, &c->mh, MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, conn_ud(c, NK_SEND));
	c->send_armed = true;
}

static void conn_sent(struct net_conn *c, size_t left)
{
	size_t k = c->wire_tx.len - c->tx_off;

	k = k < left ? k : left;
	c->tx_off += k;
	left -= k;
	if (c->tx_off == c->wire_tx.len) {
		buf_clear(&c->wire_tx);
		c->tx_off = 0;
	}
	while (left && c->sq_head && !c->xo->encode) {
		struct net_msg *m = c->sq_head;

		k = m->len - m->off;
		k = k < left ? k : left;
		m->off += k;
		left -= k;
		if (m->off == m->len)
			conn_sq_pop(c);
	}
}

void conn_on_send(struct net_conn *c, int res)
{
	c->send_armed = false;
	if (c->closing)
		return;
	if (res <= 0) {
		conn_close(c, res ? strerror(-res) : "send returned 0");
		return;
	}
	c->last_active_ms = c->loop->now_ms;
	conn_sent(c, (size_t)res);
	conn_flush(c);
}

static size_t conn_queued(const struct net_conn *c)
{
	return c->sq_bytes + (c->wire_tx.len - c->tx_off) + c->wire_out.len;
}

static void conn_on_reply(struct net_conn *c, struct net_msg *m)
{
	if (c->inflight) { /* replies come in frame order */
		c->inflight_bytes -= c->inflight_len[c->inflight_head];
		c->inflight_head =
		    (c->inflight_head + 1) % c->loop->cfg.max_inflight;
		c->inflight--;
	}
	if (c->close_after_send || !m->data || !m->len) {
		/* After a closing reply nothing more goes out. */
		free(m->data);
		free(m);
	} else {
		m->next = NULL;
		if (c->sq_tail)
			c->sq_tail->next = m;
		else
			c->sq_head = m;
		c->sq_tail = m;
		c->sq_bytes += m->len;
	}
	if (conn_queued(c) > c->loop->cfg.max_send_queue_bytes) {
		conn_close(c, "send queue over max_send_queue_bytes");
		return;
	}
	conn_flush(c);
	conn_resume(c);
}

void conn_on_msg(struct net_loop *loop, struct net_msg *m)
{
	struct net_conn *c = conn_by_id(loop, m->conn_id);
	unsigned flags = m->flags;

	if (!c || m->kind == NM_CLOSE) {
		free(m->data);
		free(m);
		if (c)
			conn_close(c, "closed by the broker");
		return;
	}
	if (flags & NET_REPLY_RESET_MAX_FRAME)
		c->max_frame = loop->cfg.max_frame_bytes;
	if ((flags & NET_REPLY_CLOSE) && !c->close_after_send) {
		conn_stop_reading(c);
		conn_on_reply(c, m);
		c->close_after_send = true;
		conn_flush(c);
		return;
	}
	conn_on_reply(c, m);
}

/* ---- timers --------------------------------------------------------- */

bool conn_quiet(const struct net_conn *c)
{
	return !c->send_armed && conn_queued(c) == 0;
}

void conn_tick(struct net_conn *c)
{
	const struct net_config *cfg = &c->loop->cfg;
	int64_t now = c->loop->now_ms;

	if (c->closing)
		return;
	if (c->xprt_deadline_ms && now >= c->xprt_deadline_ms) {
		conn_close(c, c->xprt_failed
				  ? "transport error output not sent in time"
				  : "handshake not completed within "
				    "handshake timeout");
		return;
	}
	if (cfg->request_timeout_ms > 0 && c->hdr_len > 0 &&
	    now - c->frame_start_ms >= cfg->request_timeout_ms) {
		conn_close(c, "request not received within request timeout");
		return;
	}
	if (cfg->idle_timeout_ms > 0 && c->inflight == 0 && conn_quiet(c) &&
	    now - c->last_active_ms >= cfg->idle_timeout_ms)
		conn_close(c, "idle timeout");
}

int net_conn_peer_identity(struct net_loop *loop, uint64_t conn_id,
			   char *out, size_t cap)
{
	struct net_conn *c = conn_by_id(loop, conn_id);

	if (!c)
		return -ENOENT;
	if (!c->xo->peer_identity)
		return -ENOENT;
	return c->xo->peer_identity(c->xst, out, cap);
}

void net_conn_set_max_frame(struct net_loop *loop, uint64_t conn_id,
			    size_t max_frame_bytes)
{
	struct net_conn *c = conn_by_id(loop, conn_id);

	if (c)
		c->max_frame = max_frame_bytes;
}
