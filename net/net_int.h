/* net_int.h - internal to net/: the loop, listener and connection structs
 * shared by loop.c, listener.c and conn.c. Not a public header.
 *
 * user_data packing (64 bits) for every SQE the loop submits:
 *
 *   63      56 55                    24 23                 0
 *   +---------+------------------------+-------------------+
 *   |  kind   |  generation (32 bits)  |  slot (24 bits)   |
 *   +---------+------------------------+-------------------+
 *
 * slot indexes loop->conns or loop->listeners; generation is the low 32
 * bits of the connection's sequence number (or the listener's), so a
 * completion for a slot that has since been reused is recognised as stale.
 * A connection id is (sequence << 24 | slot); sequences come from one
 * process-wide counter so ids are never reused, even across loops.
 */
#ifndef SEALOG_NET_NET_INT_H
#define SEALOG_NET_NET_INT_H

#include <liburing.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "base/buf.h"
#include "base/chan.h"
#include "base/hmap.h"
#include "net/net.h"
#include "net/uring_emu.h"
#include "net/xprt.h"

#define NET_SLOT_BITS 24
#define NET_SLOT_MASK ((1u << NET_SLOT_BITS) - 1)
#define NET_MAX_CONNS (1u << 20) /* per loop; slots stay below the mask */
#define NET_IOV_MAX 64		 /* replies coalesced into one sendmsg */
#define NET_TICK_MS 100		 /* timer granularity */
#define NET_STOP_GRACE_MS 2000
#define NET_ACCEPT_BACKOFF_MS 100
#define NET_FAIL_FLUSH_MS 1000 /* to send a transport's last words (alert) */

enum net_kind {
	NK_ACCEPT = 1, /* multishot accept on a listener */
	NK_RECV,       /* multishot recv on a connection */
	NK_SEND,       /* sendmsg of queued bytes */
	NK_WAKE,       /* read of the chan eventfd */
	NK_TICK,       /* the periodic timeout */
	NK_CANCEL,     /* async cancel; result ignored */
};

static inline uint64_t net_ud_pack(enum net_kind kind, uint32_t gen,
				   uint32_t slot)
{
	return (uint64_t)kind << 56 | (uint64_t)gen << NET_SLOT_BITS |
	       (slot & NET_SLOT_MASK);
}

static inline enum net_kind net_ud_kind(uint64_t ud)
{
	return (enum net_kind)(ud >> 56);
}

static inline uint32_t net_ud_gen(uint64_t ud)
{
	return (uint32_t)(ud >> NET_SLOT_BITS);
}

static inline uint32_t net_ud_slot(uint64_t ud)
{
	return (uint32_t)(ud & NET_SLOT_MASK);
}

/* A message from another thread to the loop. */
enum net_msg_kind { NM_REPLY, NM_CLOSE };

struct net_msg {
	struct chan_node node; /* first: chan nodes cast back to net_msg */
	enum net_msg_kind kind;
	uint64_t conn_id;
	uint8_t *data; /* malloc'd reply frame, owned by the msg */
	size_t len;
	size_t off; /* bytes already sent */
	unsigned flags;
	struct net_msg *next; /* in a connection's send queue */
};

struct net_listener {
	int fd; /* -1 once closed */
	int id;
	uint32_t gen;
	bool armed;		 /* an accept is outstanding */
	bool single;		 /* ... a single-shot one (connection caps) */
	bool cancelled;		 /* cancel requested for the armed accept */
	int64_t retry_at_ms;	 /* accept back-off (EMFILE ...), 0 = none */
	struct xprt_factory plain; /* used when the caller passed NULL */
	struct xprt_factory *xprt; /* caller's, or NULL: use plain */
};

struct net_conn {
	uint64_t id;
	uint32_t slot;
	int fd;
	int listener_id;
	struct net_loop *loop;
	const struct xprt_ops *xo;
	void *xst;

	/* framing: header bytes, then the body growing as bytes arrive */
	uint8_t hdr[4];
	unsigned hdr_len;
	uint8_t *frame;
	size_t frame_len, frame_got, frame_cap;
	int64_t frame_start_ms;
	size_t max_frame;
	struct buf pend; /* plaintext received while paused, unparsed */
	unsigned inflight;
	uint32_t *inflight_len; /* sizes of the frames in flight, a ring of
				 * cfg.max_inflight from inflight_head */
	unsigned inflight_head;
	size_t inflight_bytes;

	/* sending: transport output first, then queued replies */
	struct net_msg *sq_head, *sq_tail;
	size_t sq_bytes;
	struct buf wire_tx, wire_out; /* tx is frozen while a send is out */
	size_t tx_off;
	struct iovec iov[NET_IOV_MAX];
	struct msghdr mh;

	int64_t last_active_ms;
	bool recv_armed;
	bool recv_cancelled; /* cancel requested for the armed recv */
	bool send_armed;
	bool read_stop;	 /* never read again (close reply, stopping) */
	bool close_after_send;
	bool xprt_shut;	 /* transport shutdown output produced */
	bool xprt_ready; /* transport established (TLS handshake done) */
	bool xprt_failed; /* transport failed: only its output goes out */
	int64_t xprt_deadline_ms; /* close if still not ready / not flushed
				   * by then; 0 = none */
	struct net_ip_count *ipc; /* its address's count (quota.c) */
	bool closing;	 /* on_close called; waiting for ops to drain */
	struct net_conn *reap_next; /* on loop->reap while closing */
};

struct net_loop {
	struct io_uring ring;  /* unused when emu is set */
	struct uring_emu *emu; /* the epoll fallback (uring_emu.h), or NULL */
	struct net_config cfg;
	struct net_callbacks cb;
	void *ctx;

	struct chan chan;
	uint64_t wake_val;
	atomic_int stop_req;
	bool stopping, closing_all;
	int64_t stop_deadline_ms;
	int64_t now_ms;
	struct __kernel_timespec tick_ts;

	/* provided-buffer ring for multishot recv */
	struct io_uring_buf_ring *br;
	size_t br_bytes;
	uint8_t *bufs;
	unsigned nbufs, buf_size;

	struct net_conn **conns; /* by slot */
	uint32_t conn_cap;
	uint32_t *free_slots;
	uint32_t nfree;
	uint32_t nconns; /* allocated, including closing ones */
	struct net_conn *reap; /* closing, freed once no op is outstanding */

	struct net_listener *listeners;
	int nlisteners;
	unsigned accepts_armed; /* single-shot accepts outstanding */
	bool at_cap_logged;	/* max_conns reached and said so */
	double rate_tokens;	    /* max_conn_rate bucket (quota.c) */
	int64_t rate_ms;	    /* its last refill; 0 = never */
	int64_t rate_until_ms;	    /* accepting pauses until then */
	int64_t rate_log_ms;

	struct hmap ip_counts;	   /* struct net_ip_count by address */
	int64_t quota_log_ms;	   /* last rejection logged */
	uint64_t quota_suppressed; /* rejections not logged since */
};

/* loop.c */
struct io_uring_sqe *loop_sqe(struct net_loop *loop);
void loop_cancel(struct net_loop *loop, uint64_t ud);
void loop_buf_recycle(struct net_loop *loop, unsigned bid);

/* listener.c */
void listener_arm(struct net_loop *loop, struct net_listener *l);
void listener_on_accept(struct net_loop *loop, struct io_uring_cqe *cqe);
void listener_tick(struct net_loop *loop);
void listener_close_all(struct net_loop *loop);
void listener_arm_all(struct net_loop *loop);

/* quota.c */
struct net_ip_count;
int quota_init(struct net_loop *loop, const struct net_config *cfg);
void quota_fini(struct net_loop *loop);
/* Count one more connection from addr into *out; -EUSERS (logged) when
 * addr is at its cap, -ENOMEM. */
int quota_acquire(struct net_loop *loop, const char *addr,
		  struct net_ip_count **out);
/* The connection counted in e is gone (NULL: nothing counted). */
void quota_release(struct net_loop *loop, struct net_ip_count *e);
/* A connection was created: take its max_conn_rate token, setting
 * rate_until_ms when the bucket is empty. */
void quota_rate_take(struct net_loop *loop);

/* conn.c */
int conn_create(struct net_loop *loop, int fd, struct net_listener *l);
struct net_conn *conn_by_id(struct net_loop *loop, uint64_t id);
struct net_conn *conn_by_ud(struct net_loop *loop, uint64_t ud);
void conn_on_recv(struct net_conn *c, struct io_uring_cqe *cqe);
void conn_on_send(struct net_conn *c, int res);
void conn_on_msg(struct net_loop *loop, struct net_msg *m);
void conn_close(struct net_conn *c, const char *why);
void conn_stop_reading(struct net_conn *c);
bool conn_quiet(const struct net_conn *c);
void conn_tick(struct net_conn *c);
void conn_close_all(struct net_loop *loop, const char *why);
void conn_reap(struct net_loop *loop);
void conn_free_all(struct net_loop *loop);

#endif
