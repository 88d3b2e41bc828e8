/* sio.c - the I/O seam (see sio.h). */
#include "storage/sio.h"

#include <errno.h>
#include <stdatomic.h>
#include <unistd.h>

static ssize_t libc_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	return pwrite(fd, buf, len, off);
}

static ssize_t libc_pread(int fd, void *buf, size_t len, off_t off)
{
	return pread(fd, buf, len, off);
}

const struct sio_ops sio_libc = {
    .pwrite = libc_pwrite,
    .pread = libc_pread,
    .fdatasync = fdatasync,
    .fsync = fsync,
    .ftruncate = ftruncate,
};

static _Atomic(const struct sio_ops *) sio_cur = &sio_libc;

void sio_set_ops(const struct sio_ops *ops)
{
	atomic_store(&sio_cur, ops ? ops : &sio_libc);
}

const struct sio_ops *sio_get_ops(void)
{
	return atomic_load(&sio_cur);
}

int sio_write_all(int fd, const void *buf, size_t len, off_t off)
{
	const struct sio_ops *ops = sio_get_ops();
	const char *p = buf;

	while (len > 0) {
		ssize_t n = ops->pwrite(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

int sio_read_full(int fd, void *buf, size_t len, off_t off, size_t *got)
{
	const struct sio_ops *ops = sio_get_ops();
	char *p = buf;

	*got = 0;
	while (len > 0) {
		ssize_t n = ops->pread(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		p += n;
		len -= (size_t)n;
		off += n;
		*got += (size_t)n;
	}
	return 0;
}

int sio_fdatasync(int fd)
{
	return sio_get_ops()->fdatasync(fd) ? -errno : 0;
}

int sio_fsync(int fd)
{
	return sio_get_ops()->fsync(fd) ? -errno : 0;
}

int sio_ftruncate(int fd, off_t len)
{
	return sio_get_ops()->ftruncate(fd, len) ? -errno : 0;
}
