/* listener.c - listening sockets and multishot accept.
 *
 * One multishot accept per listener. It is re-armed when a completion
 * arrives without IORING_CQE_F_MORE. Resource errors (EMFILE, ENFILE,
 * ENOMEM, ENOBUFS) would otherwise complete again at once and spin the
 * loop, so on those the accept is cancelled and re-armed by the tick after
 * NET_ACCEPT_BACKOFF_MS; the warning is logged once per back-off.
 *
 * max.connections and max.connection.creation.rate: when either is set,
 * accepts are single-shot, one per listener at a time, and one is armed
 * only while it may complete: open connections plus armed accepts below
 * the cap, and the rate's bucket not empty (listener_may_accept; checked
 * again when a connection is freed and at every tick by
 * listener_arm_all). So the cap is
 * never exceeded and nothing accepted is closed for it; the rate may run
 * over by at most one connection per listener. Waiting connections stay
 * in the kernel's backlog, as behind Kafka's blocked acceptor.
 */
#include "net/net_int.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"

static int listener_resolve(const char *host, uint16_t port,
			    struct addrinfo **res)
{
	struct addrinfo hints;
	char portstr[8];
	int r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	if (!host || !*host)
		host = "0.0.0.0";
	r = getaddrinfo(host, portstr, &hints, res);
	if (r == 0)
		return 0;
	if (r == EAI_SYSTEM)
		return -errno;
	return r == EAI_MEMORY ? -ENOMEM : -EADDRNOTAVAIL;
}

static int listener_socket(const struct addrinfo *ai, uint16_t *bound_port)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int one = 1;
	int fd, r;

	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	/* Restart without waiting for TIME_WAIT; "::" means IPv6 only so
	 * it can coexist with a 0.0.0.0 listener on the same port. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (ai->ai_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(fd, SOMAXCONN) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (bound_port)
		*bound_port = ntohs(ss.ss_family == AF_INET6
					    ? ((struct sockaddr_in6 *)&ss)->sin6_port
					    : ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

int net_loop_listen(struct net_loop *loop, const char *host, uint16_t port,
		    int listener_id, struct xprt_factory *xprt,
		    uint16_t *bound_port)
{
	struct net_listener *ls, *l;
	struct addrinfo *res;
	int fd, r;

	r = listener_resolve(host, port, &res);
	if (r < 0)
		return r;
	fd = listener_socket(res, bound_port);
	freeaddrinfo(res);
	if (fd < 0)
		return fd;
	ls = realloc(loop->listeners, (size_t)(loop->nlisteners + 1) * sizeof(*ls));
	if (!ls) {
		close(fd);
		return -ENOMEM;
	}
	loop->listeners = ls;
	l = &ls[loop->nlisteners++];
	memset(l, 0, sizeof(*l));
	l->fd = fd;
	l->id = listener_id;
	/* Not &l->plain here: the array moves when listeners are added. */
	xprt_plain_factory_init(&l->plain);
	l->xprt = xprt;
	return 0;
}

static bool listener_limited(const struct net_loop *loop)
{
	return loop->cfg.max_conns < INT32_MAX ||
	       loop->cfg.max_conn_rate < INT32_MAX;
}

/* May one more accept be armed now? */
static bool listener_may_accept(const struct net_loop *loop)
{
	if (!listener_limited(loop))
		return true;
	return loop->nconns + loop->accepts_armed < loop->cfg.max_conns &&
	       loop->cfg.max_conn_rate > 0 &&
	       loop->now_ms >= loop->rate_until_ms;
}

void listener_arm(struct net_loop *loop, struct net_listener *l)
{
	struct io_uring_sqe *sqe;

	if (l->fd < 0 || l->armed || loop->stopping || l->retry_at_ms ||
	    !listener_may_accept(loop))
		return;
	sqe = loop_sqe(loop);
	l->single = listener_limited(loop);
	if (l->single) {
		io_uring_prep_accept(sqe, l->fd, NULL, NULL,
				     SOCK_NONBLOCK | SOCK_CLOEXEC);
		loop->accepts_armed++;
	} else {
		io_uring_prep_multishot_accept(sqe, l->fd, NULL, NULL,
					       SOCK_NONBLOCK | SOCK_CLOEXEC);
	}
	io_uring_sqe_set_data64(sqe, net_ud_pack(NK_ACCEPT, 0,
						 (uint32_t)(l - loop->listeners)));
	l->armed = true;
	l->cancelled = false;
}

static void listener_cancel(struct net_loop *loop, struct net_listener *l)
{
	if (!l->armed || l->cancelled)
		return;
	loop_cancel(loop, net_ud_pack(NK_ACCEPT, 0,
				      (uint32_t)(l - loop->listeners)));
	l->cancelled = true;
}

static bool listener_resource_error(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOMEM ||
	       err == ENOBUFS;
}

static void listener_on_error(struct net_loop *loop, struct net_listener *l,
			      int err)
{
	if (listener_resource_error(err)) {
		if (!l->retry_at_ms)
			log_warn("net",
				 "listener %d: accept failed: %s; retrying in "
				 "%d ms",
				 l->id, strerror(err), NET_ACCEPT_BACKOFF_MS);
		l->retry_at_ms = loop->now_ms + NET_ACCEPT_BACKOFF_MS;
		listener_cancel(loop, l);
	} else if (err != ECANCELED) {
		log_debug("net", "listener %d: accept: %s", l->id,
			  strerror(err));
	}
}

void listener_on_accept(struct net_loop *loop, struct io_uring_cqe *cqe)
{
	uint32_t idx = net_ud_slot(cqe->user_data);
	struct net_listener *l;
	int r;

	if (idx >= (uint32_t)loop->nlisteners) {
		if (cqe->res >= 0)
			close(cqe->res);
		return;
	}
	l = &loop->listeners[idx];
	if (!(cqe->flags & IORING_CQE_F_MORE)) {
		l->armed = false;
		if (l->single)
			loop->accepts_armed--;
	}
	if (cqe->res >= 0) {
		if (l->fd < 0 || loop->stopping) {
			close(cqe->res); /* raced with stop */
		} else if ((r = conn_create(loop, cqe->res, l)) < 0) {
			if (r != -EUSERS) /* over its address's cap: logged */
				log_warn("net",
					 "listener %d: dropping connection: %s",
					 l->id, strerror(-r));
			close(cqe->res);
		}
	} else {
		listener_on_error(loop, l, -cqe->res);
	}
	if (!l->armed)
		listener_arm(loop, l);
}

/* Arm every listener that may accept again (a connection was freed,
 * the rate's bucket refilled); log reaching max.connections once. */
void listener_arm_all(struct net_loop *loop)
{
	bool at_cap = loop->nconns >= loop->cfg.max_conns;

	if (loop->stopping)
		return;
	if (at_cap && !loop->at_cap_logged)
		log_info("net",
			 "%u connections open, the configured "
			 "max.connections: new ones wait until one closes",
			 loop->nconns);
	loop->at_cap_logged = at_cap;
	for (int i = 0; i < loop->nlisteners; i++)
		listener_arm(loop, &loop->listeners[i]);
}

void listener_tick(struct net_loop *loop)
{
	for (int i = 0; i < loop->nlisteners; i++) {
		struct net_listener *l = &loop->listeners[i];

		if (l->retry_at_ms && loop->now_ms >= l->retry_at_ms)
			l->retry_at_ms = 0;
	}
	listener_arm_all(loop); /* back-offs over, the rate's pause too */
}

/* The armed accept holds its own reference to the socket, so it keeps
 * listening until the cancel is processed; a connection accepted in that
 * window is closed in listener_on_accept(). */
void listener_close_all(struct net_loop *loop)
{
	for (int i = 0; i < loop->nlisteners; i++) {
		struct net_listener *l = &loop->listeners[i];

		listener_cancel(loop, l);
		if (l->fd >= 0)
			close(l->fd);
		l->fd = -1;
	}
}
