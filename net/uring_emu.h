/* uring_emu.h - internal to net/: the io_uring subset the loop uses,
 * emulated over epoll(7), for when the kernel refuses io_uring (container
 * seccomp profiles, kernel.io_uring_disabled). Not a public header.
 *
 * The calls mirror the liburing ones loop.c makes (io_uring_get_sqe,
 * io_uring_submit, io_uring_submit_and_wait, io_uring_peek_cqe,
 * io_uring_cqe_seen, the provided-buffer ring), so conn.c and listener.c
 * fill SQEs with liburing's inline io_uring_prep_* helpers and read CQEs
 * exactly as they do with the kernel ring. The opcodes, flags and results
 * emulated are listed at the top of uring_emu.c; any other SQE completes
 * with -EINVAL.
 *
 * Threads: one loop thread; none of these functions may be called
 * concurrently with another on the same emulator.
 */
#ifndef SEALOG_NET_URING_EMU_H
#define SEALOG_NET_URING_EMU_H

#include <liburing.h>
#include <stdint.h>

struct uring_emu;

/* Create an emulator recycling nbufs provided buffers of buf_size bytes
 * at bufs (buffer id i at bufs + i * buf_size; group 0). bufs stays the
 * caller's and must outlive the emulator. Returns 0 and *out, or -EINVAL
 * (no buffers, nbufs > 65536), -ENOMEM, or epoll_create1()'s -errno. */
int uring_emu_create(struct uring_emu **out, uint8_t *bufs, unsigned nbufs,
		     unsigned buf_size);

/* Like io_uring_queue_exit(): every outstanding operation is dropped
 * without a completion; an accepted fd still in an unreaped CQE is closed.
 * The caller's fds are not closed. NULL is allowed. */
void uring_emu_destroy(struct uring_emu *e);

/* A zeroed SQE, valid until the next submit. The queue grows instead of
 * filling up, so NULL means out of memory only. */
struct io_uring_sqe *uring_emu_get_sqe(struct uring_emu *e);

/* Interpret every queued SQE in order: sendmsg is attempted at once
 * (MSG_DONTWAIT), cancels take effect at once, the rest wait for
 * readiness or their deadline. Returns the number of SQEs consumed. */
int uring_emu_submit(struct uring_emu *e);

/* Submit, then wait until at least wait_nr completions are queued. When
 * enough are queued already it still polls once without blocking, so
 * readiness and timeouts are never starved by inline completions.
 * Returns the number submitted, -EINTR (a signal; completions may have
 * been queued), or epoll_wait()'s -errno. */
int uring_emu_submit_and_wait(struct uring_emu *e, unsigned wait_nr);

/* The oldest unseen completion: 0 and *cqe, or -EAGAIN when none. *cqe
 * stays valid until uring_emu_cqe_seen() or the next submit. */
int uring_emu_peek_cqe(struct uring_emu *e, struct io_uring_cqe **cqe);

/* Consume the completion the last peek returned. */
void uring_emu_cqe_seen(struct uring_emu *e, struct io_uring_cqe *cqe);

/* Give back the buffer a recv completion carried (its bid). A bid that
 * is out of range or not out is refused with an ERROR line. */
void uring_emu_buf_recycle(struct uring_emu *e, unsigned bid);

/* Counters for tests and assertions. */
struct uring_emu_stats {
	unsigned ops;	    /* outstanding operations, timeouts included */
	unsigned fds;	    /* fds with per-fd state (= registered) */
	unsigned bufs_free; /* provided buffers not out in a completion */
	unsigned cqes;	    /* completions not yet seen */
};
void uring_emu_stats(const struct uring_emu *e, struct uring_emu_stats *st);

#endif
