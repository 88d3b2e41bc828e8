/* net.h - the network loop: listeners, connections, framing.
 *
 * net/ knows nothing of Kafka beyond the 4-byte big-endian size prefix that
 * frames every request and response. It accepts connections, splits the
 * byte stream into frames, hands each frame to the upper layer, and sends
 * the replies it is given, in the order given.
 *
 * Threads: net_loop_run() runs the loop on the calling thread. All
 * callbacks run on that thread. net_loop_reply(), net_loop_close() and
 * net_loop_stop() may be called from any thread; everything else only
 * from the thread that created the loop, before net_loop_run().
 *
 * Connections are named by a 64-bit id that is never reused within a
 * process, so a reply for a connection that has since closed is dropped
 * safely.
 */
#ifndef SEALOG_NET_NET_H
#define SEALOG_NET_NET_H

#include <stddef.h>
#include <stdint.h>

struct net_loop;
struct xprt_factory; /* net/xprt.h: plain or TLS; NULL means plain TCP */

struct net_peer {
	char addr[46];  /* numeric IPv4 or IPv6 text, no brackets */
	uint16_t port;
};

struct net_callbacks {
	/* A connection was accepted on listener listener_id. */
	void (*on_open)(void *ctx, uint64_t conn_id, int listener_id,
			const struct net_peer *peer);
	/* One complete request frame, without its size prefix. Ownership of
	 * frame (malloc'd, len bytes) passes to the callee, who must free().
	 * len >= 8 is guaranteed (api key, version, correlation id). */
	void (*on_frame)(void *ctx, uint64_t conn_id, uint8_t *frame,
			 size_t len);
	/* The connection is gone (peer close, error, timeout, net_loop_close).
	 * Called exactly once per on_open. Replies queued later are dropped. */
	void (*on_close)(void *ctx, uint64_t conn_id);
};

/* A per-address connection cap (max.connections.per.ip.overrides). addr
 * is numeric, as net_peer.addr prints it (inet_ntop form). */
struct net_ip_limit {
	char addr[46];
	uint32_t max;
};

struct net_config {
	size_t max_frame_bytes;     /* socket.request.max.bytes: larger -> close */
	int64_t idle_timeout_ms;    /* connections.max.idle.ms; <= 0 disables */
	int64_t request_timeout_ms; /* a frame started but not finished within
				     * this is closed (slow-loris); <= 0 off */
	unsigned max_inflight;      /* frames delivered but not yet replied;
				     * reading pauses at this many (>= 1) */
	size_t max_inflight_bytes;  /* ... or at this many of their bytes, so
				     * a connection holds about one maximal
				     * request at a time, as Kafka mutes a
				     * channel per request; 0 = max_frame_bytes */
	size_t max_send_queue_bytes;/* replies queued but unsent; beyond it
				     * the connection is closed (reader stalled) */
	/* max.connections: with this many open (closing ones included) the
	 * loop stops accepting until one is gone; new connections wait in
	 * the listen backlog, as Kafka's acceptor blocks. */
	uint32_t max_conns;
	/* max.connections.per.ip: a connection from an address that already
	 * has this many is closed at accept, before any byte is read. */
	uint32_t max_conns_per_ip;
	/* max.connection.creation.rate: connections accepted a second
	 * across listeners (a bucket of one second's worth); beyond it
	 * accepting pauses, as Kafka throttles its acceptor (KIP-612). */
	uint32_t max_conn_rate;
	const struct net_ip_limit *ip_limits; /* per-address caps instead of
					       * max_conns_per_ip; copied */
	size_t n_ip_limits;
};

/* Defaults matching Kafka's: 100 MiB frames, 10 min idle, 30 s request,
 * 100 in flight, 256 MiB send queue, connection caps INT32_MAX. */
void net_config_defaults(struct net_config *cfg);

/* Create a loop. Returns NULL and sets errno on failure (the logged
 * message names the call that failed).
 *
 * Backend: io_uring, or an emulation of the same operations over epoll
 * when io_uring is refused with ENOSYS, EPERM or EACCES (the default
 * seccomp profiles of Docker >= 25 and podman, kernel.io_uring_disabled);
 * the fallback logs one WARN line. Same behaviour, callbacks and limits
 * either way. net/ has no configuration module, so the environment
 * variable SEALOG_NET_BACKEND, read here, chooses: unset, "" or "auto" as
 * above; "epoll" the fallback without trying io_uring (an INFO line);
 * "io_uring" refuses to fall back (errno from io_uring). Any other value:
 * NULL with errno EINVAL. */
struct net_loop *net_loop_create(const struct net_config *cfg,
				 const struct net_callbacks *cb, void *ctx);

/* "io_uring" or "epoll": the backend the loop runs on (static string).
 * Any thread. */
const char *net_loop_backend(const struct net_loop *loop);

/* Bind and listen on host:port (host "" or "0.0.0.0" = any IPv4, "::" any
 * IPv6, otherwise a numeric address or a name resolved once). Port 0 picks
 * a free port, written to *bound_port when non-NULL. xprt NULL = plain;
 * TLS: xprt_tls_factory() of net/tls.h (frames are then delivered only
 * after the handshake, and connections that do not finish it within the
 * factory's handshake timeout are closed).
 * Returns 0 or -errno; the caller logs which listener failed. */
int net_loop_listen(struct net_loop *loop, const char *host, uint16_t port,
		    int listener_id, struct xprt_factory *xprt,
		    uint16_t *bound_port);

/* Per-connection frame cap (e.g. 512 KiB before SASL authentication).
 * Loop thread only. */
void net_conn_set_max_frame(struct net_loop *loop, uint64_t conn_id,
			    size_t max_frame_bytes);

/* The transport's authenticated peer identity into out, NUL-terminated:
 * for TLS the client certificate's subject DN in RFC 2253 form as Java
 * prints it (tls_dn_rfc2253()), only when the client sent a certificate
 * and its chain verified. Available from the first on_frame (not yet in
 * on_open: the handshake runs after accept). Returns 0, -ENOENT (no such
 * open connection, plain TCP, no or unverified certificate, handshake not
 * done), -ENOSPC (cap too small), -EINVAL / -ENOMEM. Loop thread only. */
int net_conn_peer_identity(struct net_loop *loop, uint64_t conn_id,
			   char *out, size_t cap);

/* Run until net_loop_stop(). Returns 0, or -errno on a fatal ring error. */
int net_loop_run(struct net_loop *loop);

/* Any thread. Stop accepting; the loop then sends what is queued (bounded
 * by a short grace period), closes every connection (on_close for each)
 * and net_loop_run() returns. */
void net_loop_stop(struct net_loop *loop);

/* Any thread. Queue one complete response frame (including its 4-byte
 * size prefix) for conn_id; ownership of data (malloc'd) passes to the
 * loop. data may be NULL with len 0: the request finished without a
 * response (acks=0), which frees its in-flight slot. flags: NET_REPLY_CLOSE
 * closes the connection once this reply is sent. Every on_frame must be
 * answered by exactly one net_loop_reply(). */
#define NET_REPLY_CLOSE 0x1u
/* NET_REPLY_RESET_MAX_FRAME: once this reply is taken, the connection's
 * frame cap returns to the loop's max_frame_bytes (the end of a smaller
 * pre-authentication cap set with net_conn_set_max_frame). */
#define NET_REPLY_RESET_MAX_FRAME 0x2u
void net_loop_reply(struct net_loop *loop, uint64_t conn_id, uint8_t *data,
		    size_t len, unsigned flags);

/* Any thread. Close conn_id now, discarding unsent replies. */
void net_loop_close(struct net_loop *loop, uint64_t conn_id);

/* After net_loop_run() returned. Closes listeners and frees the loop. */
void net_loop_destroy(struct net_loop *loop);

#endif
