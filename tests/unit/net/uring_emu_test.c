/* uring_emu_test.c - the epoll emulation of io_uring (net/uring_emu.c),
 * driven directly with liburing's prep helpers over loopback TCP: the
 * completions the kernel would give (F_MORE, F_BUFFER and bid, EOF,
 * -ENOBUFS, -ECANCELED plus the cancel's own 0 / -ENOENT, -ETIME, partial
 * sends that never block), and the emulator's own rules (state dropped
 * with the last op, bounded work per readiness, sends kept in order,
 * stale fds, invalid SQEs refused).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "net/uring_emu.h"
#include "tests/unit/check.h"

#define NB 4	/* provided buffers */
#define BS 1024 /* bytes each */

static uint8_t bufs[64 * BS];
static struct uring_emu *e;
static int lfd = -1; /* a listening socket on 127.0.0.1 */
static struct sockaddr_in laddr;

/* ---- helpers ---------------------------------------------------------- */

static struct io_uring_sqe *sqe_get(void)
{
	struct io_uring_sqe *s = uring_emu_get_sqe(e);

	if (!s)
		abort();
	return s;
}

static void arm_recv(int fd, uint64_t ud)
{
	struct io_uring_sqe *s = sqe_get();

	io_uring_prep_recv_multishot(s, fd, NULL, 0, 0);
	s->flags |= IOSQE_BUFFER_SELECT;
	s->buf_group = 0;
	io_uring_sqe_set_data64(s, ud);
}

static void arm_cancel(uint64_t target, uint64_t ud)
{
	struct io_uring_sqe *s = sqe_get();

	io_uring_prep_cancel64(s, target, 0);
	io_uring_sqe_set_data64(s, ud);
}

static void arm_sendmsg(int fd, struct msghdr *mh, uint64_t ud)
{
	struct io_uring_sqe *s = sqe_get();

	io_uring_prep_sendmsg(s, fd, mh, MSG_NOSIGNAL);
	io_uring_sqe_set_data64(s, ud);
}

static void arm_timeout(struct __kernel_timespec *ts, uint64_t ud)
{
	struct io_uring_sqe *s = sqe_get();

	io_uring_prep_timeout(s, ts, 0, 0);
	io_uring_sqe_set_data64(s, ud);
}

static void arm_accept(int fd, uint64_t ud)
{
	struct io_uring_sqe *s = sqe_get();

	io_uring_prep_multishot_accept(s, fd, NULL, NULL,
				       SOCK_NONBLOCK | SOCK_CLOEXEC);
	io_uring_sqe_set_data64(s, ud);
}

/* Submit and poll without blocking until a completion or timeout_ms. */
static bool next_cqe(struct io_uring_cqe *out, int timeout_ms)
{
	int64_t end = clock_mono_ms() + timeout_ms;
	struct io_uring_cqe *c;

	for (;;) {
		if (uring_emu_submit_and_wait(e, 0) < 0)
			return false;
		if (uring_emu_peek_cqe(e, &c) == 0) {
			*out = *c;
			uring_emu_cqe_seen(e, c);
			return true;
		}
		if (clock_mono_ms() >= end)
			return false;
		usleep(1000);
	}
}

static bool quiet_for(int ms)
{
	struct io_uring_cqe c;

	return !next_cqe(&c, ms);
}

static unsigned bid_of(const struct io_uring_cqe *c)
{
	return c->flags >> IORING_CQE_BUFFER_SHIFT;
}

static struct uring_emu_stats stats(void)
{
	struct uring_emu_stats st;

	uring_emu_stats(e, &st);
	return st;
}

/* A connected pair: *cli from socket(), *srv from accept() (blocking). */
static void tcp_pair(int *cli, int *srv)
{
	*cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (connect(*cli, (struct sockaddr *)&laddr, sizeof(laddr)) < 0)
		abort();
	*srv = -1;
	for (int i = 0; i < 1000 && *srv < 0; i++) {
		*srv = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (*srv < 0)
			usleep(1000);
	}
	if (*srv < 0)
		abort();
}

static void fill(uint8_t *p, size_t n, size_t start)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((start + i) * 131 + 7);
}

static bool check_pattern(const uint8_t *p, size_t n, size_t start)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)((start + i) * 131 + 7))
			return false;
	return true;
}

static bool write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Read what a recv CQE carries, check it continues the pattern at *got,
 * give the buffer back. */
static bool take_recv(const struct io_uring_cqe *c, size_t *got)
{
	bool ok =
	    c->res > 0 && (c->flags & IORING_CQE_F_BUFFER) && bid_of(c) < NB &&
	    check_pattern(bufs + (size_t)bid_of(c) * BS, (size_t)c->res, *got);

	if (c->flags & IORING_CQE_F_BUFFER)
		uring_emu_buf_recycle(e, bid_of(c));
	if (c->res > 0)
		*got += (size_t)c->res;
	return ok;
}

/* ---- tests ------------------------------------------------------------ */

static void t_recv_multishot_and_eof(void)
{
	static uint8_t data[3000];
	struct io_uring_cqe c;
	size_t got = 0;
	int cli, srv;
	bool ok = true;

	tcp_pair(&cli, &srv);
	arm_recv(srv, 1);
	CHECK(quiet_for(20)); /* nothing to read: no completion */
	CHECK_EQ(stats().ops, 1);
	CHECK_EQ(stats().fds, 1);
	fill(data, sizeof(data), 0);
	CHECK(write_all(cli, data, sizeof(data)));
	while (got < sizeof(data) && ok && next_cqe(&c, 2000)) {
		ok = c.user_data == 1 && (c.flags & IORING_CQE_F_MORE) &&
		     take_recv(&c, &got);
	}
	CHECK(ok);
	CHECK_EQ(got, sizeof(data));
	CHECK_EQ(stats().bufs_free, NB);
	/* EOF: res 0, no buffer, no F_MORE; the fd's state is gone. */
	shutdown(cli, SHUT_WR);
	CHECK(next_cqe(&c, 2000));
	CHECK_EQ(c.user_data, 1);
	CHECK_EQ(c.res, 0);
	CHECK_EQ(c.flags, 0);
	CHECK_EQ(stats().ops, 0);
	CHECK_EQ(stats().fds, 0);
	close(cli);
	close(srv);
}

static void t_reset(void)
{
	struct linger lg = {1, 0};
	struct io_uring_cqe c;
	int cli, srv;

	tcp_pair(&cli, &srv);
	arm_recv(srv, 2);
	CHECK(quiet_for(10));
	setsockopt(cli, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(cli); /* RST */
	CHECK(next_cqe(&c, 2000));
	CHECK_EQ(c.res, -ECONNRESET);
	CHECK(!(c.flags & IORING_CQE_F_MORE));
	CHECK_EQ(stats().fds, 0);
	close(srv);
}

/* Buffers held by the application: the multishot ends with -ENOBUFS once
 * all NB are out, nothing is lost, and a re-arm continues the stream. */
static void t_enobufs(void)
{
	static uint8_t data[NB * BS * 2 + 100];
	struct io_uring_cqe c, held[NB];
	unsigned nheld = 0;
	size_t got = 0;
	int cli, srv;
	bool ended = false;

	tcp_pair(&cli, &srv);
	fill(data, sizeof(data), 0);
	CHECK(write_all(cli, data, sizeof(data)));
	usleep(20000);
	arm_recv(srv, 3);
	while (!ended && next_cqe(&c, 2000)) {
		if (c.flags & IORING_CQE_F_MORE) {
			CHECK(nheld < NB);
			if (nheld < NB)
				held[nheld++] = c;
		} else {
			ended = true;
		}
	}
	CHECK(ended);
	CHECK_EQ(c.res, -ENOBUFS);
	CHECK_EQ(c.flags, 0);
	CHECK_EQ(nheld, NB);
	CHECK_EQ(stats().bufs_free, 0);
	CHECK_EQ(stats().fds, 0);
	for (unsigned i = 0; i < nheld; i++)
		CHECK(take_recv(&held[i], &got));
	CHECK_EQ(got, NB * BS);
	/* A second recycle of the same buffer is refused. */
	log_set_level(LOG_OFF);
	uring_emu_buf_recycle(e, bid_of(&held[0]));
	uring_emu_buf_recycle(e, 99999);
	log_set_level(LOG_WARN);
	CHECK_EQ(stats().bufs_free, NB);
	arm_recv(srv, 3);
	while (got < sizeof(data) && next_cqe(&c, 2000))
		CHECK(take_recv(&c, &got));
	CHECK_EQ(got, sizeof(data));
	arm_cancel(3, 4);
	CHECK(next_cqe(&c, 100) && c.user_data == 3 && c.res == -ECANCELED);
	CHECK(next_cqe(&c, 100) && c.user_data == 4 && c.res == 0);
	close(cli);
	close(srv);
}

static void t_cancel(void)
{
	struct __kernel_timespec ts = {10, 0};
	struct io_uring_cqe c;
	int cli, srv;

	tcp_pair(&cli, &srv);
	arm_recv(srv, 10);
	CHECK(quiet_for(10));
	arm_cancel(10, 11);
	CHECK(next_cqe(&c, 100));
	CHECK(c.user_data == 10 && c.res == -ECANCELED && c.flags == 0);
	CHECK(next_cqe(&c, 100));
	CHECK(c.user_data == 11 && c.res == 0);
	CHECK_EQ(stats().ops, 0);
	CHECK_EQ(stats().fds, 0);
	/* Nothing left to cancel. */
	arm_cancel(10, 12);
	CHECK(next_cqe(&c, 100));
	CHECK(c.user_data == 12 && c.res == -ENOENT);
	/* A timeout, and a cancel in the same batch as its target. */
	arm_timeout(&ts, 13);
	arm_cancel(13, 14);
	CHECK(next_cqe(&c, 100));
	CHECK(c.user_data == 13 && c.res == -ECANCELED);
	CHECK(next_cqe(&c, 100));
	CHECK(c.user_data == 14 && c.res == 0);
	/* A multishot accept. */
	arm_accept(lfd, 15);
	CHECK(quiet_for(10));
	CHECK_EQ(stats().fds, 1);
	arm_cancel(15, 16);
	CHECK(next_cqe(&c, 100) && c.user_data == 15 && c.res == -ECANCELED);
	CHECK(next_cqe(&c, 100) && c.user_data == 16 && c.res == 0);
	CHECK_EQ(stats().ops, 0);
	CHECK_EQ(stats().fds, 0);
	close(cli);
	close(srv);
}

/* One emulated sendmsg of big[0..len) in two iovecs: its result, which
 * must come at once (*took_ms) even though srv is a blocking socket. */
static size_t send_partial(int srv, uint8_t *big, size_t len, struct msghdr *mh,
			   struct iovec *iov, int64_t *took_ms)
{
	struct io_uring_cqe c;
	int64_t t0 = clock_mono_ms();

	iov[0].iov_base = big;
	iov[0].iov_len = len / 2;
	iov[1].iov_base = big + len / 2;
	iov[1].iov_len = len - len / 2;
	memset(mh, 0, sizeof(*mh));
	mh->msg_iov = iov;
	mh->msg_iovlen = 2;
	arm_sendmsg(srv, mh, 20);
	if (!next_cqe(&c, 2000) || c.user_data != 20)
		return 0;
	*took_ms = clock_mono_ms() - t0;
	return c.res > 0 ? (size_t)c.res : 0;
}

/* Send big[off..len) directly until the socket stays full (loopback may
 * free room a little after a send said EAGAIN). Returns the new off. */
static size_t fill_until_blocked(int srv, const uint8_t *big, size_t len,
				 size_t off)
{
	bool blocked_at_once = false;

	while (!blocked_at_once && off < len) {
		ssize_t w = send(srv, big + off, len - off, MSG_DONTWAIT);

		blocked_at_once = w < 0;
		while (w > 0) {
			off += (size_t)w;
			w = send(srv, big + off, len - off, MSG_DONTWAIT);
		}
		usleep(20000);
		if (!blocked_at_once)
			continue;
		w = send(srv, big + off, len - off, MSG_DONTWAIT);
		blocked_at_once = w < 0;
		if (w > 0)
			off += (size_t)w;
	}
	return off;
}

/* Reads n bytes on a blocking socket; checks the pattern from start. */
static bool drain(int fd, size_t n, size_t start)
{
	static uint8_t tmp[65536];

	while (n) {
		size_t k = n < sizeof(tmp) ? n : sizeof(tmp);
		ssize_t r = read(fd, tmp, k);

		if (r <= 0 || !check_pattern(tmp, (size_t)r, start))
			return false;
		start += (size_t)r;
		n -= (size_t)r;
	}
	return true;
}

static void small_buffers(int cli, int srv)
{
	int small = 16384;

	setsockopt(srv, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(cli, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
}

/* A blocking socket and a send bigger than the socket takes: one partial
 * result at once (the loop never blocks); once the socket is full, a send
 * waits for room and a second one queued behind it keeps its order. */
static void t_partial_and_ordered_sends(void)
{
	size_t len = 8u << 20, first, off, second;
	uint8_t *big = malloc(len);
	struct msghdr mh, mh2;
	struct iovec iov[2], iov2[1];
	struct io_uring_cqe c;
	int cli, srv;
	int64_t took = -1;

	fill(big, len, 0);
	tcp_pair(&cli, &srv);
	small_buffers(cli, srv);
	first = send_partial(srv, big, len, &mh, iov, &took);
	CHECK(first > 0 && first < len);
	CHECK(took >= 0 && took < 1000);
	off = fill_until_blocked(srv, big, len - 10, first);
	CHECK(off < len - 10);
	iov[0].iov_base = big + off; /* the rest: it waits for EPOLLOUT */
	iov[0].iov_len = len - 10 - off;
	mh.msg_iovlen = 1;
	arm_sendmsg(srv, &mh, 21);
	iov2[0].iov_base = big + len - 10;
	iov2[0].iov_len = 10;
	memset(&mh2, 0, sizeof(mh2));
	mh2.msg_iov = iov2;
	mh2.msg_iovlen = 1;
	arm_sendmsg(srv, &mh2, 22);
	CHECK(quiet_for(30));
	CHECK_EQ(stats().ops, 2);
	CHECK(drain(cli, off, 0));
	/* Room again: 21 completes first (maybe partially), then 22. */
	CHECK(next_cqe(&c, 2000));
	CHECK_EQ(c.user_data, 21);
	CHECK(c.res > 0);
	second = c.res > 0 ? (size_t)c.res : 0;
	CHECK(drain(cli, second, off));
	CHECK(next_cqe(&c, 2000));
	CHECK_EQ(c.user_data, 22);
	CHECK_EQ(c.res, 10);
	CHECK(drain(cli, c.res == 10 ? 10 : 0, len - 10));
	CHECK_EQ(stats().ops, 0);
	CHECK_EQ(stats().fds, 0);
	close(cli);
	close(srv);
	free(big);
}

/* A send that waits can be cancelled; the recv on the same fd stays. */
static void t_cancel_waiting_send(void)
{
	size_t len = 8u << 20, off;
	uint8_t *big = malloc(len);
	struct msghdr mh;
	struct iovec iov[1];
	struct io_uring_cqe c;
	int cli, srv;

	fill(big, len, 0);
	tcp_pair(&cli, &srv);
	small_buffers(cli, srv);
	arm_recv(srv, 30);
	CHECK(quiet_for(10));
	off = fill_until_blocked(srv, big, len, 0);
	iov[0].iov_base = big + off;
	iov[0].iov_len = len - off;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 1;
	arm_sendmsg(srv, &mh, 31);
	CHECK(quiet_for(20));
	CHECK_EQ(stats().ops, 2);
	arm_cancel(31, 32);
	CHECK(next_cqe(&c, 100) && c.user_data == 31 && c.res == -ECANCELED);
	CHECK(next_cqe(&c, 100) && c.user_data == 32 && c.res == 0);
	CHECK_EQ(stats().ops, 1);
	CHECK_EQ(stats().fds, 1);
	CHECK(write_all(cli, (const uint8_t *)"x", 1));
	CHECK(next_cqe(&c, 2000) && c.user_data == 30 && c.res == 1);
	if (c.flags & IORING_CQE_F_BUFFER)
		uring_emu_buf_recycle(e, bid_of(&c));
	arm_cancel(30, 33);
	CHECK(next_cqe(&c, 100) && c.user_data == 30 && c.res == -ECANCELED);
	CHECK(next_cqe(&c, 100) && c.user_data == 33 && c.res == 0);
	CHECK_EQ(stats().fds, 0);
	close(cli);
	close(srv);
	free(big);
}

static void t_accept_multishot(void)
{
	struct io_uring_cqe c;
	int cli[3], got[3], n = 0;

	arm_accept(lfd, 40);
	for (int i = 0; i < 3; i++) {
		cli[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		CHECK(connect(cli[i], (struct sockaddr *)&laddr,
			      sizeof(laddr)) == 0);
	}
	while (n < 3 && next_cqe(&c, 2000)) {
		CHECK_EQ(c.user_data, 40);
		CHECK(c.flags & IORING_CQE_F_MORE);
		CHECK(c.res >= 0);
		if (c.res >= 0)
			got[n++] = c.res;
	}
	CHECK_EQ(n, 3);
	for (int i = 0; i < n; i++) {
		CHECK(fcntl(got[i], F_GETFL) & O_NONBLOCK);
		CHECK(fcntl(got[i], F_GETFD) & FD_CLOEXEC);
		close(got[i]);
	}
	for (int i = 0; i < 3; i++)
		close(cli[i]);
	arm_cancel(40, 41);
	CHECK(next_cqe(&c, 100) && c.user_data == 40 && c.res == -ECANCELED);
	CHECK(next_cqe(&c, 100) && c.user_data == 41 && c.res == 0);
}

static void t_read_eventfd(void)
{
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	uint64_t val = 0, five = 5;
	struct io_uring_sqe *s = sqe_get();
	struct io_uring_cqe c;

	io_uring_prep_read(s, efd, &val, sizeof(val), 0);
	io_uring_sqe_set_data64(s, 50);
	CHECK(quiet_for(20));
	CHECK(write(efd, &five, sizeof(five)) == sizeof(five));
	CHECK(next_cqe(&c, 2000));
	CHECK(c.user_data == 50 && c.res == 8 && val == 5);
	CHECK_EQ(stats().fds, 0);
	close(efd);
}

/* Two timeouts: the blocking wait sleeps until the earlier one. */
static void t_timeouts(void)
{
	struct __kernel_timespec late = {0, 60 * 1000000},
				 early = {0, 20000000};
	struct io_uring_cqe *c;
	int64_t t0 = clock_mono_ms();

	arm_timeout(&late, 60);
	arm_timeout(&early, 61);
	CHECK(uring_emu_submit_and_wait(e, 1) == 2);
	CHECK(clock_mono_ms() - t0 >= 20);
	CHECK(uring_emu_peek_cqe(e, &c) == 0);
	CHECK(c->user_data == 61 && c->res == -ETIME && c->flags == 0);
	uring_emu_cqe_seen(e, c);
	CHECK(uring_emu_submit_and_wait(e, 1) == 0);
	CHECK(clock_mono_ms() - t0 >= 60);
	CHECK(uring_emu_peek_cqe(e, &c) == 0);
	CHECK(c->user_data == 60 && c->res == -ETIME);
	uring_emu_cqe_seen(e, c);
	CHECK(uring_emu_peek_cqe(e, &c) == -EAGAIN);
	CHECK_EQ(stats().ops, 0);
}

static void expect_res(uint64_t ud, int res)
{
	struct io_uring_cqe c;

	CHECK(next_cqe(&c, 100));
	CHECK_EQ(c.user_data, ud);
	CHECK_EQ(c.res, res);
}

/* Outside the subset: refused the way the kernel refuses, never queued. */
static void t_invalid(void)
{
	struct __kernel_timespec ts = {1, 0};
	struct io_uring_sqe *s;
	int cli, srv, dev = open("/dev/null", O_RDONLY | O_CLOEXEC);
	uint64_t v;

	tcp_pair(&cli, &srv);
	io_uring_prep_nop(sqe_get()); /* not in the subset */
	expect_res(0, -EINVAL);
	s = sqe_get(); /* recv without a provided buffer */
	io_uring_prep_recv(s, srv, &v, sizeof(v), 0);
	io_uring_sqe_set_data64(s, 70);
	expect_res(70, -EINVAL);
	s = sqe_get(); /* multishot with a length */
	io_uring_prep_recv_multishot(s, srv, NULL, 64, 0);
	s->flags |= IOSQE_BUFFER_SELECT;
	io_uring_sqe_set_data64(s, 71);
	expect_res(71, -EINVAL);
	s = sqe_get(); /* another buffer group */
	io_uring_prep_recv_multishot(s, srv, NULL, 0, 0);
	s->flags |= IOSQE_BUFFER_SELECT;
	s->buf_group = 1;
	io_uring_sqe_set_data64(s, 72);
	expect_res(72, -ENOBUFS);
	arm_recv(9999, 73); /* not an open fd */
	expect_res(73, -EBADF);
	arm_recv(1 << 30, 73); /* nor this: no index grown to it */
	expect_res(73, -EBADF);
	arm_recv(-1, 73);
	expect_res(73, -EBADF);
	arm_recv(dev, 74); /* not pollable */
	expect_res(74, -EPERM);
	s = sqe_get();
	io_uring_prep_timeout(s, &ts, 0, IORING_TIMEOUT_ABS);
	io_uring_sqe_set_data64(s, 75);
	expect_res(75, -EINVAL);
	s = sqe_get();
	io_uring_prep_cancel64(s, 1, IORING_ASYNC_CANCEL_ALL);
	io_uring_sqe_set_data64(s, 76);
	expect_res(76, -EINVAL);
	s = sqe_get(); /* a link */
	io_uring_prep_timeout(s, &ts, 0, 0);
	s->flags |= IOSQE_IO_LINK;
	io_uring_sqe_set_data64(s, 77);
	expect_res(77, -EINVAL);
	s = sqe_get(); /* an accept flag outside NONBLOCK | CLOEXEC */
	io_uring_prep_multishot_accept(s, lfd, NULL, NULL, 1);
	io_uring_sqe_set_data64(s, 78);
	expect_res(78, -EINVAL);
	CHECK(quiet_for(10));
	CHECK_EQ(stats().ops, 0);
	CHECK_EQ(stats().fds, 0);
	close(dev);
	close(cli);
	close(srv);
}

/* One peer with lots to read cannot take every buffer of one round. */
static void t_fairness(void)
{
	static uint8_t data[64 * 1024];
	struct uring_emu *saved = e;
	struct io_uring_cqe *c;
	size_t a_bytes = 0, b_bytes = 0;
	int ca, sa, cb, sb;

	CHECK(uring_emu_create(&e, bufs + NB * BS, 60, BS) == 0);
	tcp_pair(&ca, &sa);
	tcp_pair(&cb, &sb);
	fill(data, sizeof(data), 0);
	CHECK(write_all(ca, data, sizeof(data)));
	CHECK(write_all(cb, data, 10));
	usleep(20000);
	arm_recv(sa, 90);
	arm_recv(sb, 91);
	CHECK(uring_emu_submit_and_wait(e, 0) == 2);
	while (uring_emu_peek_cqe(e, &c) == 0) {
		if (c->user_data == 90 && c->res > 0)
			a_bytes += (size_t)c->res;
		if (c->user_data == 91 && c->res > 0)
			b_bytes += (size_t)c->res;
		CHECK(c->res > 0);
		if (c->flags & IORING_CQE_F_BUFFER)
			uring_emu_buf_recycle(e, bid_of(c));
		uring_emu_cqe_seen(e, c);
	}
	CHECK(a_bytes > 0 && a_bytes <= 16 * BS);
	CHECK_EQ(b_bytes, 10);
	uring_emu_destroy(e);
	e = saved;
	close(ca);
	close(sa);
	close(cb);
	close(sb);
}

/* An fd closed with an op outstanding (a caller bug): when accept hands
 * the number out again, the old op fails with -EBADF and the new socket
 * starts clean. */
static void t_stale_fd(void)
{
	struct io_uring_cqe c;
	int cli, srv, cli2, fd;
	size_t got = 0;
	uint8_t one = 0;

	tcp_pair(&cli, &srv);
	cli2 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	arm_recv(srv, 100);
	CHECK(quiet_for(10));
	close(srv); /* the bug: its recv is still outstanding */
	arm_accept(lfd, 101);
	CHECK(connect(cli2, (struct sockaddr *)&laddr, sizeof(laddr)) == 0);
	log_set_level(LOG_OFF);
	CHECK(next_cqe(&c, 2000));
	log_set_level(LOG_WARN);
	if (c.user_data == 101) {
		fprintf(stderr, "fd number not reused: stale case skipped\n");
		fd = c.res;
		arm_cancel(100, 102);
		expect_res(100, -ECANCELED);
		expect_res(102, 0);
	} else {
		CHECK(c.user_data == 100 && c.res == -EBADF && c.flags == 0);
		CHECK(next_cqe(&c, 100) && c.user_data == 101);
		fd = c.res;
		CHECK_EQ(fd, srv);
	}
	arm_recv(fd, 103);
	fill(&one, 1, 0);
	CHECK(write_all(cli2, &one, 1));
	CHECK(next_cqe(&c, 2000) && c.user_data == 103 && take_recv(&c, &got));
	arm_cancel(103, 104);
	expect_res(103, -ECANCELED);
	expect_res(104, 0);
	arm_cancel(101, 105);
	expect_res(101, -ECANCELED);
	expect_res(105, 0);
	CHECK_EQ(stats().fds, 0);
	close(fd);
	close(cli);
	close(cli2);
}

/* Destroy drops outstanding ops and closes accepted fds nobody reaped. */
static void t_destroy(void)
{
	struct __kernel_timespec ts = {10, 0};
	struct uring_emu *saved = e;
	struct io_uring_cqe *c;
	int cli, srv, fd = -1;

	CHECK(uring_emu_create(&e, bufs + NB * BS, NB, BS) == 0);
	tcp_pair(&cli, &srv);
	arm_recv(srv, 110);
	arm_timeout(&ts, 111);
	arm_accept(lfd, 112);
	CHECK(uring_emu_submit(e) == 3);
	close(cli);
	cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(connect(cli, (struct sockaddr *)&laddr, sizeof(laddr)) == 0);
	for (int i = 0; i < 2000 && fd < 0; i++) {
		uring_emu_submit_and_wait(e, 0);
		while (uring_emu_peek_cqe(e, &c) == 0 && c->user_data != 112)
			uring_emu_cqe_seen(e, c); /* the EOF of 110 */
		if (uring_emu_peek_cqe(e, &c) == 0)
			fd = c->res;
		else
			usleep(1000);
	}
	CHECK(fd >= 0);
	CHECK(fcntl(fd, F_GETFD) >= 0);
	uring_emu_destroy(e); /* the accept CQE is still unseen */
	CHECK(fcntl(fd, F_GETFD) < 0 && errno == EBADF);
	e = saved;
	close(cli);
	close(srv);
}

int main(void)
{
	socklen_t sl = sizeof(laddr);

	log_set_level(LOG_WARN);
	CHECK(uring_emu_create(&e, bufs, 0, BS) == -EINVAL);
	CHECK(uring_emu_create(&e, bufs, NB, BS) == 0);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	memset(&laddr, 0, sizeof(laddr));
	laddr.sin_family = AF_INET;
	laddr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&laddr, sizeof(laddr)) < 0 ||
	    listen(lfd, 64) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&laddr, &sl) < 0) {
		perror("loopback listener");
		return 1;
	}
	t_recv_multishot_and_eof();
	t_reset();
	t_enobufs();
	t_cancel();
	t_partial_and_ordered_sends();
	t_cancel_waiting_send();
	t_accept_multishot();
	t_read_eventfd();
	t_timeouts();
	t_invalid();
	t_fairness();
	t_stale_fd();
	t_destroy();
	CHECK_EQ(stats().ops, 0);
	CHECK_EQ(stats().fds, 0);
	CHECK_EQ(stats().bufs_free, NB);
	uring_emu_destroy(e);
	close(lfd);
	return check_finish();
}
