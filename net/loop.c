/* loop.c - the io_uring loop: ring setup, one iteration, dispatch, the
 * cross-thread channel, timers and stop.
 *
 * One iteration = one io_uring_submit_and_wait(): every SQE queued by the
 * previous iteration's handlers goes out in that one call. Completions are
 * copied and marked seen before their handler runs (so handlers may queue
 * SQEs and even submit when the SQ is full without the CQ filling up),
 * then dispatched by kind to exactly one handler. Connections closed
 * during the iteration are freed at its end, once the kernel holds no
 * reference to them (conn_reap).
 *
 * Outstanding for the loop itself: one read of the chan eventfd (NK_WAKE:
 * replies, closes and stop requests from other threads) and one
 * IORING_OP_TIMEOUT (NK_TICK, every NET_TICK_MS: idle and request
 * timeouts, accept back-off, stop grace).
 *
 * Backends: the kernel ring, or uring_emu.c's emulation of the same subset
 * over epoll when io_uring is refused (ENOSYS / EPERM / EACCES: container
 * seccomp profiles, kernel.io_uring_disabled) or SEALOG_NET_BACKEND=epoll
 * asks for it. Only setup and the loop_* wrappers below know which; the
 * SQEs, user_data and completions are the same on both.
 *
 * Stop: net_loop_stop() only sets an atomic flag and writes the eventfd,
 * so it is async-signal-safe. The loop then closes its listeners, stops
 * reading, lets queued replies and replies to frames already delivered go
 * out for up to NET_STOP_GRACE_MS, closes every connection and returns
 * once the kernel has released them.
 */
#include "net/net_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"

#define NET_RING_ENTRIES 256
#define NET_CQ_ENTRIES 4096
#define NET_NBUFS 128 /* power of two */
#define NET_BUF_SIZE (16u << 10)
#define NET_CQE_BATCH 4096

void net_config_defaults(struct net_config *cfg)
{
	cfg->max_frame_bytes = 100u << 20;
	cfg->idle_timeout_ms = 10 * 60 * 1000;
	cfg->request_timeout_ms = 30 * 1000;
	cfg->max_inflight = 100;
	cfg->max_inflight_bytes = 0;
	cfg->max_send_queue_bytes = (size_t)256 << 20;
	cfg->max_conns = INT32_MAX;
	cfg->max_conns_per_ip = INT32_MAX;
	cfg->max_conn_rate = INT32_MAX;
	cfg->ip_limits = NULL;
	cfg->n_ip_limits = 0;
}

const char *net_loop_backend(const struct net_loop *loop)
{
	return loop->emu ? "epoll" : "io_uring";
}

struct io_uring_sqe *loop_sqe(struct net_loop *loop)
{
	struct io_uring_sqe *sqe;

	if (loop->emu) {
		/* The emulated SQ grows: NULL means out of memory. */
		sqe = uring_emu_get_sqe(loop->emu);
	} else if (!(sqe = io_uring_get_sqe(&loop->ring))) {
		/* SQ full mid-iteration: push it out early, then retry. */
		io_uring_submit(&loop->ring);
		sqe = io_uring_get_sqe(&loop->ring);
	}
	if (!sqe) {
		log_error("net",
			  "%s submission queue stuck full or out of "
			  "memory",
			  net_loop_backend(loop));
		abort();
	}
	return sqe;
}

void loop_cancel(struct net_loop *loop, uint64_t ud)
{
	struct io_uring_sqe *sqe = loop_sqe(loop);

	io_uring_prep_cancel64(sqe, ud, 0);
	io_uring_sqe_set_data64(sqe, net_ud_pack(NK_CANCEL, 0, 0));
}

void loop_buf_recycle(struct net_loop *loop, unsigned bid)
{
	if (loop->emu) {
		uring_emu_buf_recycle(loop->emu, bid);
		return;
	}
	io_uring_buf_ring_add(loop->br, loop->bufs + (size_t)bid * loop->buf_size,
			      loop->buf_size, (unsigned short)bid,
			      io_uring_buf_ring_mask(loop->nbufs), 0);
	io_uring_buf_ring_advance(loop->br, 1);
}

/* ---- setup ---------------------------------------------------------- */

static int loop_ring_init(struct net_loop *loop)
{
	struct io_uring_params p;
	int r;

	memset(&p, 0, sizeof(p));
	p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL |
		  IORING_SETUP_COOP_TASKRUN;
	p.cq_entries = NET_CQ_ENTRIES;
	r = io_uring_queue_init_params(NET_RING_ENTRIES, &loop->ring, &p);
	if (r == -EINVAL) {
		/* Older kernel without SUBMIT_ALL / COOP_TASKRUN. */
		memset(&p, 0, sizeof(p));
		p.flags = IORING_SETUP_CQSIZE;
		p.cq_entries = NET_CQ_ENTRIES;
		r = io_uring_queue_init_params(NET_RING_ENTRIES, &loop->ring,
					       &p);
	}
	return r;
}

/* A seccomp profile may allow io_uring_setup(2) but not io_uring_enter(2):
 * find out now, while falling back is still possible. */
static int loop_ring_probe(struct net_loop *loop)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&loop->ring);
	struct io_uring_cqe *cqe;
	int r;

	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data64(sqe, 0);
	r = io_uring_submit_and_wait(&loop->ring, 1);
	if (r < 0)
		return r;
	r = io_uring_peek_cqe(&loop->ring, &cqe);
	if (r == 0)
		io_uring_cqe_seen(&loop->ring, cqe);
	return r;
}

/* The receive buffers, shared by both backends. */
static int loop_bufs_alloc(struct net_loop *loop)
{
	loop->nbufs = NET_NBUFS;
	loop->buf_size = NET_BUF_SIZE;
	loop->bufs = malloc((size_t)loop->nbufs * loop->buf_size);
	return loop->bufs ? 0 : -ENOMEM;
}

/* Provided buffers for multishot recv: liburing 2.3 has no
 * io_uring_setup_buf_ring(), so map the ring ourselves and register it. */
static int loop_ring_bufs(struct net_loop *loop)
{
	struct io_uring_buf_reg reg;
	void *br;
	int r;

	loop->br_bytes = loop->nbufs * sizeof(struct io_uring_buf);
	br = mmap(NULL, loop->br_bytes, PROT_READ | PROT_WRITE,
		  MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (br == MAP_FAILED)
		return -errno;
	loop->br = br;
	memset(&reg, 0, sizeof(reg));
	reg.ring_addr = (unsigned long)(uintptr_t)br;
	reg.ring_entries = loop->nbufs;
	reg.bgid = 0;
	r = io_uring_register_buf_ring(&loop->ring, &reg, 0);
	if (r < 0)
		return r;
	io_uring_buf_ring_init(loop->br);
	for (unsigned i = 0; i < loop->nbufs; i++)
		io_uring_buf_ring_add(loop->br,
				      loop->bufs + (size_t)i * loop->buf_size,
				      loop->buf_size, (unsigned short)i,
				      io_uring_buf_ring_mask(loop->nbufs),
				      (int)i);
	io_uring_buf_ring_advance(loop->br, (int)loop->nbufs);
	return 0;
}

static void loop_config(struct net_loop *loop, const struct net_config *cfg)
{
	loop->cfg = *cfg;
	loop->cfg.ip_limits = NULL; /* the loop's own copy: quota_init() */
	loop->cfg.n_ip_limits = 0;
	if (loop->cfg.max_inflight < 1)
		loop->cfg.max_inflight = 1;
	if (loop->cfg.max_frame_bytes > INT32_MAX)
		loop->cfg.max_frame_bytes = INT32_MAX;
	if (!loop->cfg.max_inflight_bytes)
		loop->cfg.max_inflight_bytes = loop->cfg.max_frame_bytes;
	loop->tick_ts.tv_sec = 0;
	loop->tick_ts.tv_nsec = NET_TICK_MS * 1000000LL;
}

static void loop_uring_fini(struct net_loop *loop)
{
	io_uring_queue_exit(&loop->ring);
	if (loop->br)
		munmap(loop->br, loop->br_bytes);
	loop->br = NULL;
}

/* The kernel ring, probed and with its buffer ring; *what names the call
 * that failed. Nothing is left behind on failure. */
static int loop_uring_init(struct net_loop *loop, const char **what)
{
	int r;

	*what = "io_uring_queue_init";
	r = loop_ring_init(loop);
	if (r < 0)
		return r;
	*what = "io_uring_enter";
	r = loop_ring_probe(loop);
	if (r == 0) {
		*what = "io_uring_register_buf_ring";
		r = loop_ring_bufs(loop);
	}
	if (r < 0)
		loop_uring_fini(loop);
	return r;
}

enum loop_backend { LB_AUTO, LB_URING, LB_EPOLL };

static atomic_bool loop_fallback_warned;

static int loop_backend_wanted(enum loop_backend *out)
{
	const char *v = getenv("SEALOG_NET_BACKEND");

	*out = LB_AUTO;
	if (!v || !*v || strcmp(v, "auto") == 0)
		return 0;
	if (strcmp(v, "io_uring") == 0) {
		*out = LB_URING;
	} else if (strcmp(v, "epoll") == 0) {
		*out = LB_EPOLL;
	} else {
		log_error("net",
			  "SEALOG_NET_BACKEND=%.64s: expected io_uring, "
			  "epoll or auto",
			  v);
		return -EINVAL;
	}
	return 0;
}

/* What a container's seccomp profile or kernel.io_uring_disabled says;
 * anything else (EINVAL from an old kernel, ENOMEM) stays an error. */
static bool loop_uring_refused(int r)
{
	return r == -ENOSYS || r == -EPERM || r == -EACCES;
}

static int loop_emu_init(struct net_loop *loop)
{
	return uring_emu_create(&loop->emu, loop->bufs, loop->nbufs,
				loop->buf_size);
}

static int loop_backend_init(struct net_loop *loop, enum loop_backend want)
{
	enum log_level level;
	const char *what;
	int r;

	if (want == LB_EPOLL) {
		log_info("net", "network backend: epoll (SEALOG_NET_BACKEND="
				"epoll)");
		return loop_emu_init(loop);
	}
	r = loop_uring_init(loop, &what);
	if (r == 0)
		return 0;
	if (want == LB_URING) {
		log_error("net",
			  "%s failed: %s (io_uring unavailable; "
			  "SEALOG_NET_BACKEND=io_uring rules out the "
			  "epoll fallback)",
			  what, strerror(-r));
		return r;
	}
	if (!loop_uring_refused(r)) {
		log_error("net",
			  "%s failed: %s (io_uring unavailable, and not "
			  "refused by policy; SEALOG_NET_BACKEND=epoll "
			  "uses the epoll fallback)",
			  what, strerror(-r));
		return r;
	}
	/* Once per process: a loop per core would say the same N times. */
	level =
	    atomic_exchange(&loop_fallback_warned, true) ? LOG_DEBUG : LOG_WARN;
	log_msg(level, "net",
		"io_uring unavailable (%s: %s), probably blocked by the "
		"container's seccomp profile or by kernel.io_uring_disabled: "
		"using the epoll fallback (SEALOG_NET_BACKEND=epoll chooses "
		"it without this warning)",
		what, strerror(-r));
	return loop_emu_init(loop);
}

struct net_loop *net_loop_create(const struct net_config *cfg,
				 const struct net_callbacks *cb, void *ctx)
{
	struct net_loop *loop = calloc(1, sizeof(*loop));
	enum loop_backend want;
	int r;

	if (!loop) {
		errno = ENOMEM;
		return NULL;
	}
	loop_config(loop, cfg);
	loop->cb = *cb;
	loop->ctx = ctx;
	atomic_init(&loop->stop_req, 0);
	r = loop_backend_wanted(&want);
	if (r < 0)
		goto err_free;
	r = quota_init(loop, cfg);
	if (r < 0)
		goto err_free;
	r = chan_init(&loop->chan);
	if (r < 0)
		goto err_free;
	r = loop_bufs_alloc(loop);
	if (r < 0)
		goto err_chan;
	r = loop_backend_init(loop, want);
	if (r < 0)
		goto err_bufs;
	return loop;

err_bufs:
	free(loop->bufs);
err_chan:
	chan_fini(&loop->chan);
err_free:
	quota_fini(loop);
	free(loop);
	errno = -r;
	return NULL;
}

/* ---- the loop's own completions ------------------------------------- */

static void loop_arm_wake(struct net_loop *loop)
{
	struct io_uring_sqe *sqe = loop_sqe(loop);

	io_uring_prep_read(sqe, chan_fd(&loop->chan), &loop->wake_val,
			   sizeof(loop->wake_val), 0);
	io_uring_sqe_set_data64(sqe, net_ud_pack(NK_WAKE, 0, 0));
}

static void loop_arm_tick(struct net_loop *loop)
{
	struct io_uring_sqe *sqe = loop_sqe(loop);

	io_uring_prep_timeout(sqe, &loop->tick_ts, 0, 0);
	io_uring_sqe_set_data64(sqe, net_ud_pack(NK_TICK, 0, 0));
}

static void loop_on_wake(struct net_loop *loop, int res)
{
	struct chan_node *n = chan_drain(&loop->chan);

	if (res < 0 && res != -EAGAIN && res != -EINTR)
		log_warn("net", "eventfd read failed: %s", strerror(-res));
	while (n) {
		struct chan_node *next = n->next;

		conn_on_msg(loop, (struct net_msg *)n);
		n = next;
	}
	loop_arm_wake(loop);
}

static void loop_on_tick(struct net_loop *loop)
{
	listener_tick(loop);
	for (uint32_t s = 0; s < loop->conn_cap; s++)
		if (loop->conns[s])
			conn_tick(loop->conns[s]);
	loop_arm_tick(loop);
}

static void loop_dispatch(struct net_loop *loop, struct io_uring_cqe *cqe)
{
	uint64_t ud = cqe->user_data;
	struct net_conn *c;

	switch (net_ud_kind(ud)) {
	case NK_ACCEPT:
		listener_on_accept(loop, cqe);
		break;
	case NK_RECV:
		c = conn_by_ud(loop, ud);
		if (c)
			conn_on_recv(c, cqe);
		else if (cqe->flags & IORING_CQE_F_BUFFER)
			loop_buf_recycle(loop, cqe->flags >>
						       IORING_CQE_BUFFER_SHIFT);
		break;
	case NK_SEND:
		c = conn_by_ud(loop, ud);
		if (c)
			conn_on_send(c, cqe->res);
		break;
	case NK_WAKE:
		loop_on_wake(loop, cqe->res);
		break;
	case NK_TICK:
		loop_on_tick(loop);
		break;
	case NK_CANCEL:
		break;
	}
}

/* ---- the backend's queues ------------------------------------------ */

static int loop_submit(struct net_loop *loop)
{
	return loop->emu ? uring_emu_submit(loop->emu)
			 : io_uring_submit(&loop->ring);
}

static int loop_submit_and_wait(struct net_loop *loop)
{
	return loop->emu ? uring_emu_submit_and_wait(loop->emu, 1)
			 : io_uring_submit_and_wait(&loop->ring, 1);
}

/* Copies the oldest completion into *out and consumes it. */
static bool loop_next_cqe(struct net_loop *loop, struct io_uring_cqe *out)
{
	struct io_uring_cqe *cqe;

	if (loop->emu) {
		if (uring_emu_peek_cqe(loop->emu, &cqe) < 0)
			return false;
		*out = *cqe;
		uring_emu_cqe_seen(loop->emu, cqe);
		return true;
	}
	if (io_uring_peek_cqe(&loop->ring, &cqe) < 0)
		return false;
	*out = *cqe;
	io_uring_cqe_seen(&loop->ring, cqe);
	return true;
}

static void loop_process(struct net_loop *loop)
{
	struct io_uring_cqe copy;
	unsigned n = 0;

	loop->now_ms = clock_mono_ms();
	while (n++ < NET_CQE_BATCH && loop_next_cqe(loop, &copy))
		loop_dispatch(loop, &copy);
	conn_reap(loop);
}

/* ---- stop ----------------------------------------------------------- */

static void loop_begin_stop(struct net_loop *loop)
{
	loop->stopping = true;
	loop->stop_deadline_ms = loop->now_ms + NET_STOP_GRACE_MS;
	listener_close_all(loop);
	for (uint32_t s = 0; s < loop->conn_cap; s++) {
		struct net_conn *c = loop->conns[s];

		if (c && !c->closing)
			conn_stop_reading(c);
	}
}

static bool loop_all_quiet(struct net_loop *loop)
{
	for (uint32_t s = 0; s < loop->conn_cap; s++) {
		struct net_conn *c = loop->conns[s];

		if (c && !c->closing && (c->inflight || !conn_quiet(c)))
			return false;
	}
	return true;
}

/* Returns true once net_loop_run() may return. */
static bool loop_stop_progress(struct net_loop *loop)
{
	if (!loop->stopping) {
		if (!atomic_load(&loop->stop_req))
			return false;
		loop->now_ms = clock_mono_ms();
		loop_begin_stop(loop);
	}
	if (!loop->closing_all &&
	    (loop_all_quiet(loop) || loop->now_ms >= loop->stop_deadline_ms)) {
		loop->closing_all = true;
		conn_close_all(loop, "loop stopping");
	}
	conn_reap(loop);
	if (loop->closing_all && loop->nconns == 0)
		return true;
	/* Cancels always complete; this is only a guard against a hang. */
	return loop->now_ms >= loop->stop_deadline_ms + 1000;
}

int net_loop_run(struct net_loop *loop)
{
	int r;

	loop->now_ms = clock_mono_ms();
	loop_arm_wake(loop);
	loop_arm_tick(loop);
	listener_arm_all(loop); /* gated: max.connections=0 arms none */
	while (!loop_stop_progress(loop)) {
		r = loop_submit_and_wait(loop);
		if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY &&
		    r != -ETIME) {
			log_error("net", "%s submit and wait: %s",
				  net_loop_backend(loop), strerror(-r));
			return r;
		}
		loop_process(loop);
	}
	/* Push out the last cancels so destroy finds nothing surprising. */
	loop_submit(loop);
	return 0;
}

void net_loop_stop(struct net_loop *loop)
{
	uint64_t one = 1;

	/* Async-signal-safe: a lock-free atomic store and write(2). */
	atomic_store(&loop->stop_req, 1);
	(void)!write(chan_fd(&loop->chan), &one, sizeof(one));
}

static void loop_post(struct net_loop *loop, enum net_msg_kind kind,
		      uint64_t conn_id, uint8_t *data, size_t len,
		      unsigned flags)
{
	struct net_msg *m = calloc(1, sizeof(*m));

	if (!m) {
		log_error("net", "out of memory queueing a message for "
				 "connection %llu: dropped",
			  (unsigned long long)conn_id);
		free(data);
		return;
	}
	m->kind = kind;
	m->conn_id = conn_id;
	m->data = data;
	m->len = data ? len : 0;
	m->flags = flags;
	chan_push(&loop->chan, &m->node);
}

void net_loop_reply(struct net_loop *loop, uint64_t conn_id, uint8_t *data,
		    size_t len, unsigned flags)
{
	loop_post(loop, NM_REPLY, conn_id, data, len, flags);
}

void net_loop_close(struct net_loop *loop, uint64_t conn_id)
{
	loop_post(loop, NM_CLOSE, conn_id, NULL, 0, 0);
}

void net_loop_destroy(struct net_loop *loop)
{
	struct chan_node *n;

	if (!loop)
		return;
	listener_close_all(loop);
	conn_close_all(loop, "loop destroyed");
	/* Cancels every outstanding request and waits for it. */
	if (loop->emu)
		uring_emu_destroy(loop->emu);
	else
		loop_uring_fini(loop);
	conn_free_all(loop);
	n = chan_drain(&loop->chan);
	while (n) {
		struct net_msg *m = (struct net_msg *)n;

		n = n->next;
		free(m->data);
		free(m);
	}
	chan_fini(&loop->chan);
	free(loop->bufs);
	free(loop->conns);
	free(loop->free_slots);
	free(loop->listeners);
	quota_fini(loop);
	free(loop);
}
