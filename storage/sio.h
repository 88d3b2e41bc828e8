/* sio.h - the storage I/O seam: every data-path syscall goes through here.
 *
 * Segment, sidecar and checkpoint writes, reads, syncs and truncations call
 * the functions of the current struct sio_ops, so a unit test can replace
 * them to inject ENOSPC, EIO on fdatasync or short writes (SQLite's fault
 * tests, done at a seam rather than with test-only config keys).
 *
 * Thread: the table pointer is read atomically by the owner and the sync
 * thread; swap it only while no storage is busy (tests do it between
 * operations, never from production code).
 */
#ifndef SEALOG_STORAGE_SIO_H
#define SEALOG_STORAGE_SIO_H

#include <stddef.h>
#include <sys/types.h>

struct sio_ops {
	ssize_t (*pwrite)(int fd, const void *buf, size_t len, off_t off);
	ssize_t (*pread)(int fd, void *buf, size_t len, off_t off);
	int (*fdatasync)(int fd);
	int (*fsync)(int fd);
	int (*ftruncate)(int fd, off_t len);
};

/* The libc implementation. */
extern const struct sio_ops sio_libc;

/* Install ops (NULL restores sio_libc). Tests only. */
void sio_set_ops(const struct sio_ops *ops);
const struct sio_ops *sio_get_ops(void);

/* Write all len bytes at off, continuing after short writes. Returns 0 or
 * -errno; a write that makes no progress is -EIO. Never retries a failed
 * call. */
int sio_write_all(int fd, const void *buf, size_t len, off_t off);

/* Read up to len bytes at off, continuing after short reads, stopping at
 * end of file. *got is the count read. 0 or -errno. */
int sio_read_full(int fd, void *buf, size_t len, off_t off, size_t *got);

/* 0 or -errno (errno of the call). */
int sio_fdatasync(int fd);
int sio_fsync(int fd);
int sio_ftruncate(int fd, off_t len);

#endif
