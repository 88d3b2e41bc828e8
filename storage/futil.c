/* futil.c - small-file helpers (see futil.h). */
#include "storage/futil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/sio.h"

int futil_sync_dir(int dirfd)
{
	return sio_fsync(dirfd);
}

int futil_replace(int dirfd, const char *name, const void *data, size_t len,
		  mode_t mode)
{
	char tmp[512];
	int fd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	rc = sio_write_all(fd, data, len, 0);
	if (!rc)
		rc = sio_fdatasync(fd);
	close(fd);
	if (!rc && renameat(dirfd, tmp, dirfd, name) < 0)
		rc = -errno;
	if (!rc)
		rc = futil_sync_dir(dirfd);
	if (rc)
		unlinkat(dirfd, tmp, 0);
	return rc;
}

int futil_read(int dirfd, const char *name, size_t max, uint8_t **data,
	       size_t *len)
{
	struct stat sb;
	uint8_t *p = NULL;
	size_t got = 0;
	int fd, rc = 0;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &sb) < 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > max) {
		rc = S_ISREG(sb.st_mode) ? -EFBIG : -EINVAL;
		goto out;
	}
	p = malloc((size_t)sb.st_size + 1);
	if (!p) {
		rc = -ENOMEM;
		goto out;
	}
	rc = sio_read_full(fd, p, (size_t)sb.st_size, 0, &got);
	if (rc) {
		free(p);
		goto out;
	}
	p[got] = '\0';
	*data = p;
	*len = got;
out:
	close(fd);
	return rc;
}

static int futil_empty_dir(int fd)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;
	int rc = 0;

	if (!d) {
		close(fd);
		return -errno;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT)
			rc = -errno;
	}
	closedir(d);
	return rc;
}

int futil_remove_tree(int dirfd, const char *name)
{
	int fd, rc;

	if (unlinkat(dirfd, name, 0) == 0)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = futil_empty_dir(fd);
	if (!rc && unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
		rc = -errno;
	return rc;
}
