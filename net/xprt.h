/* xprt.h - transports: a byte transformer between the socket and framing.
 *
 * The loop owns the socket and does all I/O through io_uring; a transport
 * never touches the fd. It only transforms bytes:
 *
 *   socket bytes --feed()--> plaintext (to framing, through a sink)
 *                        \-> transport output (handshake, alerts) to send
 *   plaintext reply --encode()--> wire bytes to send
 *
 * This is the shape a TLS transport driven by OpenSSL memory BIOs needs
 * (BIO_write the received bytes, SSL_read plaintext, BIO_read what
 * OpenSSL wants sent), so TLS can be added as xprt_tls.c without touching
 * loop.c or conn.c. The plain transport is the identity (encode == NULL).
 *
 * Threads: every op runs on the loop thread that owns the connection.
 * Errors: 0 or a negative errno; -EAGAIN means "call again after more
 * input has been fed" (e.g. a TLS handshake still in progress).
 *
 * Handshakes: a transport with an established() op is "not ready" until
 * it returns true; the loop closes a connection that is not ready within
 * the factory's handshake_timeout_ms (counted from accept, independent of
 * the idle timeout, so a client dripping bytes cannot hold it open).
 */
#ifndef SEALOG_NET_XPRT_H
#define SEALOG_NET_XPRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct xprt_factory;

struct xprt_ops {
	const char *name; /* "plain", "tls": for logs */

	/* Create per-connection state for an accepted socket fd (the fd is
	 * informative only, e.g. for logs; never read or write it). *state
	 * may be set to NULL by stateless transports. 0 or -errno. */
	int (*open)(struct xprt_factory *f, int fd, void **state);

	/* Bytes received from the socket. Plaintext is handed to
	 * sink(arg, p, n) in order, as often as needed; a negative sink
	 * return stops feeding and is returned. Bytes the transport itself
	 * must send (handshake, alerts) are appended to out. 0 or -errno
	 * (fatal: the loop stops reading, sends what was appended to out,
	 * e.g. a TLS alert, then closes; bounded by a short deadline). in
	 * is only valid during the call. */
	int (*feed)(void *state, const uint8_t *in, size_t len,
		    int (*sink)(void *arg, const uint8_t *p, size_t n),
		    void *arg, struct buf *out);

	/* Encode one whole plaintext reply, appending wire bytes to out.
	 * All or nothing: 0 (consumed), -EAGAIN (nothing consumed: not ready
	 * yet, e.g. handshake in progress; retried after the next feed), or
	 * another -errno (fatal). NULL means identity: the loop sends the
	 * plaintext bytes as they are, without a copy. */
	int (*encode)(void *state, const uint8_t *plain, size_t len,
		      struct buf *out);

	/* Orderly shutdown before close (TLS close_notify): append what must
	 * be sent to out. May be NULL. 0 or -errno. */
	int (*shutdown)(void *state, struct buf *out);

	/* Free per-connection state. Never fails. May be NULL. */
	void (*close)(void *state);

	/* Authenticated peer identity (e.g. certificate subject DN) into out
	 * (NUL-terminated). 0, -ENOENT (none: plain, or no client cert),
	 * -ENOSPC (cap too small). May be NULL (= -ENOENT). */
	int (*peer_identity)(void *state, char *out, size_t cap);

	/* True once the transport may carry data (TLS: handshake done).
	 * May be NULL: ready from accept. */
	bool (*established)(void *state);
};

/* Per listener: creates transport state for each accepted connection.
 * Owned by the caller of net_loop_listen(); must outlive the loop. */
struct xprt_factory {
	const struct xprt_ops *ops;
	void *priv; /* transport-specific (e.g. the SSL_CTX) */
	/* A connection whose established() is still false this long after
	 * accept is closed. <= 0: no deadline. Ignored without established. */
	int64_t handshake_timeout_ms;
};

/* The plain TCP transport (identity). Immutable, shared by all loops. */
extern const struct xprt_ops xprt_plain_ops;

/* Fill f with the plain transport. Never fails. */
void xprt_plain_factory_init(struct xprt_factory *f);

#endif
