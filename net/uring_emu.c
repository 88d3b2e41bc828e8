/* uring_emu.c - the io_uring subset net/ uses, emulated over epoll(7).
 *
 * Why: the default seccomp profiles of Docker (>= 25) and podman refuse
 * io_uring_setup(2), and kernel.io_uring_disabled may too, yet sealogd's
 * main use is a container started with default options. Instead of a
 * second event loop, loop.c keeps its shape and this file stands in for
 * the ring: it hands out SQEs, interprets them at submit and posts the
 * completions the kernel would post, so conn.c and listener.c, their
 * user_data and their completion handling stay the same on both backends.
 *
 * Emulated, as loop.c, conn.c and listener.c use them (else -EINVAL):
 *   RECV          IOSQE_BUFFER_SELECT, group 0; multishot (len 0) or not.
 *                 Each CQE: res bytes, IORING_CQE_F_BUFFER with the bid,
 *                 F_MORE while a multishot continues. Ends: res 0 (EOF),
 *                 -ENOBUFS (no free buffer when data is ready), -errno.
 *   ACCEPT        multishot or not; accept_flags NONBLOCK / CLOEXEC. Each
 *                 CQE: the new fd, F_MORE while it continues; an error
 *                 ends a multishot, as in the kernel.
 *   SENDMSG       tried at once with MSG_DONTWAIT (the socket may be
 *                 blocking: the loop never blocks), retried on EPOLLOUT
 *                 while it would block. One attempt, so the result may be
 *                 partial, as the kernel's is without MSG_WAITALL.
 *   READ          a non-seekable fd (the chan eventfd), after EPOLLIN.
 *   TIMEOUT       relative, count 0, no flags: -ETIME at the deadline.
 *   ASYNC_CANCEL  by user_data, flags 0: the target completes -ECANCELED
 *                 (no F_MORE), then the cancel itself 0, or -ENOENT.
 * Not emulated: links, fixed files, IORING_CQE_F_SOCK_NONEMPTY.
 *
 * Invariants:
 *  1. An fd has state (struct emu_fd) exactly while it has an operation;
 *     the state is registered with epoll (level-triggered) for the union
 *     of its operations' interests, and EPOLL_CTL_DEL'd before it is
 *     freed. conn.c closes a socket only after its ops ended, so state
 *     never outlives the socket it describes; should an fd be closed with
 *     operations outstanding anyway, accept4() handing its number out
 *     again fails those operations with -EBADF (emu_fd_forget).
 *  2. epoll events carry fd | generation << 32, never a pointer: an event
 *     for state since freed or re-created is recognised and dropped.
 *  3. Every operation is in e->ops (by user_data, for cancels) and in one
 *     list: its fd's (FIFO, so a second send waits behind the first) or
 *     e->timers (sorted by deadline).
 *  4. A provided buffer is free (on e->free_bids) or out in a posted CQE
 *     until uring_emu_buf_recycle(); a second recycle is refused.
 *  5. Work per readiness is bounded (EMU_RECV_BURST buffers,
 *     EMU_ACCEPT_BURST accepts, one sendmsg, one read): one busy peer
 *     cannot starve the others; epoll reports what is left next time.
 */
#include "net/uring_emu.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/hmap.h"
#include "base/log.h"

#define EMU_SQ_BLOCK 64 /* SQEs per block; blocks never move */
#define EMU_CQ_MIN 256
#define EMU_RECV_BURST 4
#define EMU_ACCEPT_BURST 16
#define EMU_EVENTS 64 /* epoll events taken per wait */
#define EMU_NS 1000000000LL

struct emu_fd;

struct emu_op {
	struct hmap_node hnode; /* in e->ops, keyed by user_data */
	struct emu_op *next;	/* in its fd's list, or in e->timers */
	struct emu_fd *f;	/* NULL for a timeout */
	uint64_t user_data;
	uint8_t opcode;
	bool multishot;
	uint32_t flags;	     /* msg_flags or accept_flags */
	uint64_t addr;	     /* msghdr, read buffer or accept sockaddr */
	uint64_t addr2;	     /* accept: socklen_t * */
	uint32_t len;	     /* read length; recv length per buffer */
	int64_t deadline_ns; /* timeout */
};

struct emu_fd {
	int fd;
	uint32_t gen;
	uint32_t events;    /* registered interest; 0 = not registered */
	struct emu_op *ops; /* FIFO */
};

struct uring_emu {
	int epfd;
	struct hmap ops;
	unsigned nops;
	struct emu_fd **fds; /* by fd number */
	unsigned fd_cap, nfds;
	uint32_t gen;
	struct emu_op *timers;

	struct io_uring_sqe **sq_blk;
	unsigned sq_nblk, sq_len;

	struct io_uring_cqe *cq;
	uint8_t *cq_op; /* opcode of each CQE, to close unreaped accepts */
	size_t cq_head, cq_tail, cq_cap;

	uint8_t *bufs;
	unsigned nbufs, buf_size;
	uint16_t *free_bids; /* a stack: the warmest buffer goes out next */
	unsigned nfree;
	bool *buf_out;

	struct epoll_event ev[EMU_EVENTS];
};

static int64_t emu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * EMU_NS + ts.tv_nsec;
}

/* ---- completion queue ----------------------------------------------- */

static int emu_cq_reserve(struct uring_emu *e, size_t n)
{
	size_t live = e->cq_tail - e->cq_head, cap;
	struct io_uring_cqe *cq;
	uint8_t *op;

	if (e->cq_tail + n <= e->cq_cap)
		return 0;
	if (e->cq_head) {
		memmove(e->cq, e->cq + e->cq_head, live * sizeof(*e->cq));
		memmove(e->cq_op, e->cq_op + e->cq_head, live);
		e->cq_head = 0;
		e->cq_tail = live;
		if (live + n <= e->cq_cap)
			return 0;
	}
	cap = e->cq_cap ? e->cq_cap * 2 : EMU_CQ_MIN;
	while (cap < live + n)
		cap *= 2;
	cq = realloc(e->cq, cap * sizeof(*cq));
	if (!cq)
		return -ENOMEM;
	e->cq = cq;
	op = realloc(e->cq_op, cap);
	if (!op)
		return -ENOMEM;
	e->cq_op = op;
	e->cq_cap = cap;
	return 0;
}

static void emu_post(struct uring_emu *e, uint64_t ud, int res, uint32_t flags,
		     uint8_t opcode)
{
	struct io_uring_cqe *cqe;

	/* A lost completion would leave its owner waiting forever (a
	 * connection never reaped); the ring has the same rule. */
	if (emu_cq_reserve(e, 1) < 0) {
		log_error("net", "epoll fallback: out of memory for a "
				 "completion");
		abort();
	}
	cqe = &e->cq[e->cq_tail];
	cqe->user_data = ud;
	cqe->res = res;
	cqe->flags = flags;
	e->cq_op[e->cq_tail++] = opcode;
}

static void emu_op_post(struct uring_emu *e, const struct emu_op *op, int res,
			uint32_t flags)
{
	emu_post(e, op->user_data, res, flags, op->opcode);
}

static size_t emu_cq_len(const struct uring_emu *e)
{
	return e->cq_tail - e->cq_head;
}

int uring_emu_peek_cqe(struct uring_emu *e, struct io_uring_cqe **cqe)
{
	if (e->cq_head == e->cq_tail)
		return -EAGAIN;
	*cqe = &e->cq[e->cq_head];
	return 0;
}

void uring_emu_cqe_seen(struct uring_emu *e, struct io_uring_cqe *cqe)
{
	(void)cqe;
	if (e->cq_head < e->cq_tail && ++e->cq_head == e->cq_tail)
		e->cq_head = e->cq_tail = 0;
}

/* ---- provided buffers ----------------------------------------------- */

void uring_emu_buf_recycle(struct uring_emu *e, unsigned bid)
{
	if (bid >= e->nbufs || !e->buf_out[bid]) {
		log_error("net",
			  "epoll fallback: buffer %u recycled while not "
			  "in use: ignored",
			  bid);
		return;
	}
	e->buf_out[bid] = false;
	e->free_bids[e->nfree++] = (uint16_t)bid;
}

/* ---- operations and per-fd state ------------------------------------ */

static struct emu_fd *emu_fd_find(const struct uring_emu *e, int fd)
{
	return fd >= 0 && (unsigned)fd < e->fd_cap ? e->fds[fd] : NULL;
}

static struct emu_fd *emu_fd_by_key(const struct uring_emu *e, uint64_t key)
{
	struct emu_fd *f = emu_fd_find(e, (int)(uint32_t)key);

	return f && f->gen == (uint32_t)(key >> 32) ? f : NULL;
}

/* Index by fd number: grown only up to an fd that is open, so its size is
 * bounded by RLIMIT_NOFILE whatever number an SQE names. */
static int emu_fds_grow(struct uring_emu *e, int fd)
{
	unsigned cap = e->fd_cap ? e->fd_cap : 64;
	struct emu_fd **v;

	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	while (cap <= (unsigned)fd)
		cap *= 2;
	v = realloc(e->fds, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	memset(v + e->fd_cap, 0, (cap - e->fd_cap) * sizeof(*v));
	e->fds = v;
	e->fd_cap = cap;
	return 0;
}

static int emu_fd_get(struct uring_emu *e, int fd, struct emu_fd **out)
{
	struct emu_fd *f = emu_fd_find(e, fd);
	int r;

	if (!f && (fd < 0 || (unsigned)fd >= e->fd_cap) &&
	    (r = emu_fds_grow(e, fd)) < 0)
		return r;
	if (!f) {
		f = calloc(1, sizeof(*f));
		if (!f)
			return -ENOMEM;
		f->fd = fd;
		f->gen = ++e->gen;
		e->fds[fd] = f;
		e->nfds++;
	}
	*out = f;
	return 0;
}

static void emu_fd_drop(struct uring_emu *e, struct emu_fd *f)
{
	/* Fails harmlessly when the fd was closed under us (a listener is
	 * closed before its accept's cancel is submitted). */
	if (f->events)
		(void)epoll_ctl(e->epfd, EPOLL_CTL_DEL, f->fd, NULL);
	e->fds[f->fd] = NULL;
	e->nfds--;
	free(f);
}

static uint64_t emu_op_hash(uint64_t ud)
{
	return hmap_hash_u64(ud);
}

static void emu_op_free(struct uring_emu *e, struct emu_op *op)
{
	hmap_remove(&e->ops, &op->hnode);
	e->nops--;
	free(op);
}

static struct emu_op *emu_op_find(const struct uring_emu *e, uint64_t ud)
{
	uint64_t h = emu_op_hash(ud);

	for (struct hmap_node *n = hmap_first(&e->ops, h); n;
	     n = hmap_next(n, h)) {
		struct emu_op *op = container_of(n, struct emu_op, hnode);

		if (op->user_data == ud)
			return op;
	}
	return NULL;
}

/* Every operation on f completes with err; the state goes. */
static void emu_fd_fail(struct uring_emu *e, struct emu_fd *f, int err)
{
	struct emu_op *op;

	while ((op = f->ops)) {
		f->ops = op->next;
		emu_op_post(e, op, err, 0);
		emu_op_free(e, op);
	}
	emu_fd_drop(e, f);
}

static uint32_t emu_fd_interest(const struct emu_fd *f)
{
	uint32_t ev = 0;

	for (const struct emu_op *op = f->ops; op; op = op->next)
		ev |= op->opcode == IORING_OP_SENDMSG ? EPOLLOUT : EPOLLIN;
	return ev;
}

/* After f's operations changed: drop the state with the last one, or
 * bring the epoll registration in line with what is left. */
static void emu_fd_sync(struct uring_emu *e, struct emu_fd *f)
{
	uint32_t want = emu_fd_interest(f);
	struct epoll_event ev;

	if (!f->ops) {
		emu_fd_drop(e, f);
		return;
	}
	if (want == f->events)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.u64 = (uint64_t)f->gen << 32 | (uint32_t)f->fd;
	if (epoll_ctl(e->epfd, f->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, f->fd,
		      &ev) == 0) {
		f->events = want;
		return;
	}
	/* EBADF, EPERM (not pollable), ENOMEM ...: the kernel would fail
	 * the request; never leave an op waiting for an event. */
	emu_fd_fail(e, f, -errno);
}

/* accept4() just returned fd: any state under that number describes a
 * file already closed, whose epoll registration went with it. */
static void emu_fd_forget(struct uring_emu *e, int fd)
{
	struct emu_fd *f = emu_fd_find(e, fd);

	if (!f)
		return;
	log_warn("net",
		 "epoll fallback: fd %d was closed with operations "
		 "outstanding; failing them",
		 fd);
	f->events = 0;
	emu_fd_fail(e, f, -EBADF);
}

static struct emu_op *emu_op_new(const struct io_uring_sqe *sqe)
{
	struct emu_op *op = calloc(1, sizeof(*op));

	if (op) {
		op->user_data = sqe->user_data;
		op->opcode = sqe->opcode;
	}
	return op;
}

static void emu_op_index(struct uring_emu *e, struct emu_op *op)
{
	hmap_insert(&e->ops, &op->hnode, emu_op_hash(op->user_data));
	e->nops++;
}

/* Queue op on fd (after the ones already there). Returns 0 (op owned
 * here from now on, failed with a CQE if epoll refuses the fd) or
 * -errno (op freed; the caller posts the error). */
static int emu_op_queue(struct uring_emu *e, struct emu_op *op, int fd)
{
	struct emu_fd *f;
	struct emu_op **pp;
	int r = emu_fd_get(e, fd, &f);

	if (r < 0) {
		free(op);
		return r;
	}
	op->f = f;
	for (pp = &f->ops; *pp; pp = &(*pp)->next)
		;
	*pp = op;
	emu_op_index(e, op);
	emu_fd_sync(e, f);
	return 0;
}

/* Unlink op from its list, free it, then settle its fd. */
static void emu_op_end(struct uring_emu *e, struct emu_op *op)
{
	struct emu_fd *f = op->f;
	struct emu_op **pp = f ? &f->ops : &e->timers;

	while (*pp != op)
		pp = &(*pp)->next;
	*pp = op->next;
	emu_op_free(e, op);
	if (f)
		emu_fd_sync(e, f);
}

static bool emu_fd_has_send(const struct emu_fd *f)
{
	for (const struct emu_op *op = f ? f->ops : NULL; op; op = op->next)
		if (op->opcode == IORING_OP_SENDMSG)
			return true;
	return false;
}

/* ---- readiness: one operation --------------------------------------- */

static bool emu_would_block(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

/* Returns true when the operation ended (its last CQE posted). */
static bool emu_recv_ready(struct uring_emu *e, struct emu_op *op)
{
	uint32_t more = op->multishot ? IORING_CQE_F_MORE : 0;

	for (int i = 0; i < EMU_RECV_BURST; i++) {
		unsigned bid;
		ssize_t n;

		if (!e->nfree) {
			emu_op_post(e, op, -ENOBUFS, 0);
			return true;
		}
		bid = e->free_bids[e->nfree - 1];
		n = recv(op->f->fd, e->bufs + (size_t)bid * e->buf_size,
			 op->len, (int)op->flags | MSG_DONTWAIT);
		if (n < 0 && emu_would_block(errno))
			return false;
		if (n <= 0) {
			/* EOF or error: no buffer, no F_MORE, as the kernel
			 * puts the selected buffer back. */
			emu_op_post(e, op, n < 0 ? -errno : 0, 0);
			return true;
		}
		e->nfree--;
		e->buf_out[bid] = true;
		emu_op_post(e, op, (int)n,
			    IORING_CQE_F_BUFFER |
				(uint32_t)bid << IORING_CQE_BUFFER_SHIFT |
				more);
		if (!more)
			return true;
		/* A short read most likely drained the socket: another
		 * recv would only say EAGAIN. */
		if ((size_t)n < op->len)
			return false;
	}
	return false;
}

static bool emu_accept_ready(struct uring_emu *e, struct emu_op *op)
{
	uint32_t more = op->multishot ? IORING_CQE_F_MORE : 0;

	for (int i = 0; i < EMU_ACCEPT_BURST; i++) {
		int fd =
		    accept4(op->f->fd, (struct sockaddr *)(uintptr_t)op->addr,
			    (socklen_t *)(uintptr_t)op->addr2, (int)op->flags);

		if (fd < 0 && emu_would_block(errno))
			return false;
		if (fd < 0) {
			emu_op_post(e, op, -errno, 0);
			return true;
		}
		emu_fd_forget(e, fd);
		emu_op_post(e, op, fd, more);
		if (!more)
			return true;
	}
	return false;
}

static bool emu_read_ready(struct uring_emu *e, struct emu_op *op)
{
	ssize_t n = read(op->f->fd, (void *)(uintptr_t)op->addr, op->len);

	if (n < 0 && emu_would_block(errno))
		return false;
	emu_op_post(e, op, n < 0 ? -errno : (int)n, 0);
	return true;
}

/* One sendmsg that never blocks: bytes sent, -EAGAIN or -errno. */
static int emu_sendmsg(int fd, uint64_t msg, uint32_t flags)
{
	ssize_t n;

	do
		n = sendmsg(fd, (const struct msghdr *)(uintptr_t)msg,
			    (int)flags | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n > INT_MAX ? INT_MAX : (int)n;
}

static bool emu_send_ready(struct uring_emu *e, struct emu_op *op)
{
	int r = emu_sendmsg(op->f->fd, op->addr, op->flags);

	if (r == -EAGAIN)
		return false;
	emu_op_post(e, op, r, 0);
	return true;
}

static bool emu_in_ready(struct uring_emu *e, struct emu_op *op)
{
	switch (op->opcode) {
	case IORING_OP_RECV:
		return emu_recv_ready(e, op);
	case IORING_OP_ACCEPT:
		return emu_accept_ready(e, op);
	default:
		return emu_read_ready(e, op);
	}
}

/* An fd's readiness: serve its operations in order, then settle it. */
static void emu_fd_ready(struct uring_emu *e, struct emu_fd *f, uint32_t rev)
{
	bool in = rev & (EPOLLIN | EPOLLERR | EPOLLHUP);
	bool out = rev & (EPOLLOUT | EPOLLERR | EPOLLHUP);
	struct emu_op **pp = &f->ops;

	while (*pp) {
		struct emu_op *op = *pp;
		bool done = false;

		if (op->opcode == IORING_OP_SENDMSG) {
			done = out && emu_send_ready(e, op);
			out = done; /* later sends queue behind this one */
		} else if (in) {
			done = emu_in_ready(e, op);
		}
		if (done) {
			*pp = op->next;
			emu_op_free(e, op);
		} else {
			pp = &op->next;
		}
	}
	emu_fd_sync(e, f);
}

/* ---- submission ------------------------------------------------------ */

static bool emu_sqe_plain(const struct io_uring_sqe *sqe)
{
	return !sqe->personality && !sqe->file_index && !sqe->buf_index;
}

static int emu_prep_recv(struct uring_emu *e, const struct io_uring_sqe *sqe)
{
	bool ms = sqe->ioprio & IORING_RECV_MULTISHOT;
	struct emu_op *op;

	/* buf_index is buf_group here: not emu_sqe_plain(). */
	if (sqe->flags != IOSQE_BUFFER_SELECT || sqe->personality ||
	    sqe->file_index || (sqe->ioprio & ~IORING_RECV_MULTISHOT) ||
	    (ms && sqe->len) || (sqe->msg_flags & MSG_WAITALL))
		return -EINVAL;
	if (sqe->buf_group != 0)
		return -ENOBUFS; /* the only group there is */
	op = emu_op_new(sqe);
	if (!op)
		return -ENOMEM;
	op->multishot = ms;
	op->flags = sqe->msg_flags;
	op->len = sqe->len && sqe->len < e->buf_size ? sqe->len : e->buf_size;
	return emu_op_queue(e, op, sqe->fd);
}

static int emu_prep_accept(struct uring_emu *e, const struct io_uring_sqe *sqe)
{
	struct emu_op *op;

	if (sqe->flags || !emu_sqe_plain(sqe) ||
	    (sqe->ioprio & ~IORING_ACCEPT_MULTISHOT) ||
	    (sqe->accept_flags & ~(unsigned)(SOCK_NONBLOCK | SOCK_CLOEXEC)))
		return -EINVAL;
	op = emu_op_new(sqe);
	if (!op)
		return -ENOMEM;
	op->multishot = sqe->ioprio & IORING_ACCEPT_MULTISHOT;
	op->flags = sqe->accept_flags;
	op->addr = sqe->addr;
	op->addr2 = sqe->off;
	return emu_op_queue(e, op, sqe->fd);
}

static int emu_prep_sendmsg(struct uring_emu *e, const struct io_uring_sqe *sqe)
{
	struct emu_op *op;
	int r;

	if (sqe->flags || sqe->ioprio || !emu_sqe_plain(sqe) || !sqe->addr)
		return -EINVAL;
	/* Inline unless an earlier send on this fd still waits. */
	if (!emu_fd_has_send(emu_fd_find(e, sqe->fd))) {
		r = emu_sendmsg(sqe->fd, sqe->addr, sqe->msg_flags);
		if (r != -EAGAIN) {
			emu_post(e, sqe->user_data, r, 0, sqe->opcode);
			return 0;
		}
	}
	op = emu_op_new(sqe);
	if (!op)
		return -ENOMEM;
	op->addr = sqe->addr;
	op->flags = sqe->msg_flags;
	return emu_op_queue(e, op, sqe->fd);
}

static int emu_prep_read(struct uring_emu *e, const struct io_uring_sqe *sqe)
{
	struct emu_op *op;

	/* No file position: offset 0 or -1 ("current") only. */
	if (sqe->flags || sqe->ioprio || !emu_sqe_plain(sqe) || sqe->rw_flags ||
	    (sqe->off != 0 && sqe->off != UINT64_MAX))
		return -EINVAL;
	op = emu_op_new(sqe);
	if (!op)
		return -ENOMEM;
	op->addr = sqe->addr;
	op->len = sqe->len;
	return emu_op_queue(e, op, sqe->fd);
}

static int emu_prep_timeout(struct uring_emu *e, const struct io_uring_sqe *sqe)
{
	struct __kernel_timespec ts;
	struct emu_op *op, **pp;
	int64_t now = emu_now_ns();

	if (sqe->flags || sqe->ioprio || !emu_sqe_plain(sqe) || sqe->len != 1 ||
	    sqe->off || sqe->timeout_flags || !sqe->addr)
		return -EINVAL;
	/* Read at submit, as the kernel copies it at prep. */
	memcpy(&ts, (const void *)(uintptr_t)sqe->addr, sizeof(ts));
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= EMU_NS)
		return -EINVAL;
	op = emu_op_new(sqe);
	if (!op)
		return -ENOMEM;
	if (ts.tv_sec >= (INT64_MAX - now) / EMU_NS - 1)
		op->deadline_ns = INT64_MAX;
	else
		op->deadline_ns = now + ts.tv_sec * EMU_NS + ts.tv_nsec;
	for (pp = &e->timers; *pp && (*pp)->deadline_ns <= op->deadline_ns;
	     pp = &(*pp)->next)
		;
	op->next = *pp;
	*pp = op;
	emu_op_index(e, op);
	return 0;
}

static int emu_cancel(struct uring_emu *e, const struct io_uring_sqe *sqe)
{
	struct emu_op *op;

	if (sqe->flags || sqe->ioprio || !emu_sqe_plain(sqe) ||
	    sqe->cancel_flags)
		return -EINVAL;
	op = emu_op_find(e, sqe->addr);
	if (!op)
		return -ENOENT;
	emu_op_post(e, op, -ECANCELED, 0);
	emu_op_end(e, op);
	emu_post(e, sqe->user_data, 0, 0, sqe->opcode);
	return 0;
}

static void emu_submit_one(struct uring_emu *e, const struct io_uring_sqe *sqe)
{
	int r;

	switch (sqe->opcode) {
	case IORING_OP_RECV:
		r = emu_prep_recv(e, sqe);
		break;
	case IORING_OP_ACCEPT:
		r = emu_prep_accept(e, sqe);
		break;
	case IORING_OP_SENDMSG:
		r = emu_prep_sendmsg(e, sqe);
		break;
	case IORING_OP_READ:
		r = emu_prep_read(e, sqe);
		break;
	case IORING_OP_TIMEOUT:
		r = emu_prep_timeout(e, sqe);
		break;
	case IORING_OP_ASYNC_CANCEL:
		r = emu_cancel(e, sqe);
		break;
	default:
		r = -EINVAL;
	}
	if (r < 0)
		emu_post(e, sqe->user_data, r, 0, sqe->opcode);
}

struct io_uring_sqe *uring_emu_get_sqe(struct uring_emu *e)
{
	unsigned blk = e->sq_len / EMU_SQ_BLOCK;
	struct io_uring_sqe **v, *sqe;

	if (blk == e->sq_nblk) {
		v = realloc(e->sq_blk, (blk + 1) * sizeof(*v));
		if (!v)
			return NULL;
		e->sq_blk = v;
		v[blk] = malloc(EMU_SQ_BLOCK * sizeof(**v));
		if (!v[blk])
			return NULL;
		e->sq_nblk++;
	}
	sqe = &e->sq_blk[blk][e->sq_len % EMU_SQ_BLOCK];
	e->sq_len++;
	memset(sqe, 0, sizeof(*sqe));
	return sqe;
}

int uring_emu_submit(struct uring_emu *e)
{
	unsigned n = e->sq_len;

	for (unsigned i = 0; i < n; i++)
		emu_submit_one(e,
			       &e->sq_blk[i / EMU_SQ_BLOCK][i % EMU_SQ_BLOCK]);
	e->sq_len = 0;
	return (int)n;
}

/* ---- waiting --------------------------------------------------------- */

static void emu_timers_expire(struct uring_emu *e)
{
	int64_t now = emu_now_ns();
	struct emu_op *op;

	while ((op = e->timers) && op->deadline_ns <= now) {
		e->timers = op->next;
		emu_op_post(e, op, -ETIME, 0);
		emu_op_free(e, op);
	}
}

/* Until the earliest deadline, rounded up: waking early would spin. */
static int emu_wait_ms(const struct uring_emu *e)
{
	int64_t d;

	if (!e->timers)
		return -1;
	d = e->timers->deadline_ns - emu_now_ns();
	if (d <= 0)
		return 0;
	d = (d + 999999) / 1000000;
	return d > INT_MAX ? INT_MAX : (int)d;
}

static int emu_poll(struct uring_emu *e, int timeout_ms)
{
	int n = epoll_wait(e->epfd, e->ev, EMU_EVENTS, timeout_ms);

	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		struct emu_fd *f = emu_fd_by_key(e, e->ev[i].data.u64);

		if (f)
			emu_fd_ready(e, f, e->ev[i].events);
	}
	emu_timers_expire(e);
	return 0;
}

int uring_emu_submit_and_wait(struct uring_emu *e, unsigned wait_nr)
{
	int submitted = uring_emu_submit(e), r;

	do {
		r = emu_poll(e, emu_cq_len(e) >= wait_nr ? 0 : emu_wait_ms(e));
		if (r < 0)
			return r;
	} while (emu_cq_len(e) < wait_nr);
	return submitted;
}

/* ---- lifetime -------------------------------------------------------- */

int uring_emu_create(struct uring_emu **out, uint8_t *bufs, unsigned nbufs,
		     unsigned buf_size)
{
	struct uring_emu *e;
	int r = -ENOMEM;

	*out = NULL;
	if (!bufs || !nbufs || nbufs > 65536 || !buf_size)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->epfd = -1;
	e->bufs = bufs;
	e->nbufs = nbufs;
	e->buf_size = buf_size;
	e->free_bids = malloc(nbufs * sizeof(*e->free_bids));
	e->buf_out = calloc(nbufs, sizeof(*e->buf_out));
	if (!e->free_bids || !e->buf_out || hmap_init(&e->ops) < 0)
		goto err;
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (e->epfd < 0) {
		r = -errno;
		goto err;
	}
	for (unsigned i = nbufs; i > 0; i--)
		e->free_bids[e->nfree++] = (uint16_t)(i - 1);
	*out = e;
	return 0;

err:
	uring_emu_destroy(e);
	return r;
}

static void emu_free_list(struct emu_op *op)
{
	while (op) {
		struct emu_op *next = op->next;

		free(op);
		op = next;
	}
}

void uring_emu_destroy(struct uring_emu *e)
{
	if (!e)
		return;
	for (size_t i = e->cq_head; i < e->cq_tail; i++)
		if (e->cq_op[i] == IORING_OP_ACCEPT && e->cq[i].res >= 0)
			close(e->cq[i].res);
	for (unsigned fd = 0; fd < e->fd_cap; fd++) {
		if (e->fds[fd]) {
			emu_free_list(e->fds[fd]->ops);
			free(e->fds[fd]);
		}
	}
	emu_free_list(e->timers);
	hmap_fini(&e->ops);
	if (e->epfd >= 0)
		close(e->epfd); /* drops every registration */
	for (unsigned i = 0; i < e->sq_nblk; i++)
		free(e->sq_blk[i]);
	free(e->sq_blk);
	free(e->cq);
	free(e->cq_op);
	free(e->fds);
	free(e->free_bids);
	free(e->buf_out);
	free(e);
}

void uring_emu_stats(const struct uring_emu *e, struct uring_emu_stats *st)
{
	st->ops = e->nops;
	st->fds = e->nfds;
	st->bufs_free = e->nfree;
	st->cqes = (unsigned)emu_cq_len(e);
}
