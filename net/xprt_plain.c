/* xprt_plain.c - the plain TCP transport: bytes pass through unchanged.
 *
 * encode is NULL so the loop sends reply buffers directly (no copy), and
 * feed hands the receive buffer to framing directly.
 */
#include "net/xprt.h"

#include <errno.h>

static int plain_open(struct xprt_factory *f, int fd, void **state)
{
	*state = NULL;
	return 0;
}

static int plain_feed(void *state, const uint8_t *in, size_t len,
		      int (*sink)(void *arg, const uint8_t *p, size_t n),
		      void *arg, struct buf *out)
{
	return sink(arg, in, len);
}

static int plain_peer_identity(void *state, char *out, size_t cap)
{
	return -ENOENT;
}

const struct xprt_ops xprt_plain_ops = {
	.name = "plain",
	.open = plain_open,
	.feed = plain_feed,
	.encode = NULL,
	.shutdown = NULL,
	.close = NULL,
	.peer_identity = plain_peer_identity,
};

void xprt_plain_factory_init(struct xprt_factory *f)
{
	f->ops = &xprt_plain_ops;
	f->priv = NULL;
	f->handshake_timeout_ms = 0;
}
