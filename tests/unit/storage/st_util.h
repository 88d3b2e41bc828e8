/* st_util.h - helpers for the storage tests: temp dirs, v2 batches, a
 * storage+plog fixture, file surgery. Header-only (static functions). */
#ifndef SEALOG_TESTS_ST_UTIL_H
#define SEALOG_TESTS_ST_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/crc32c.h"
#include "base/log.h"
#include "base/be.h"
#include "storage/plog.h"
#include "storage/storage.h"
#include "tests/unit/check.h"

static const uint8_t tu_topic_id[16] = {1, 2,  3,  4,  5,  6,  7,  8,
					9, 10, 11, 12, 13, 14, 15, 16};

static inline void tu_mkdtemp(char *out, size_t cap)
{
	const char *t = getenv("TMPDIR");

	snprintf(out, cap, "%s/sealog-st-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(out)) {
		perror("mkdtemp");
		exit(2);
	}
}

static inline void tu_rmrf(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	if (!d) {
		unlink(path);
		return;
	}
	while ((e = readdir(d))) {
		char sub[4096];
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name) >=
		    (int)sizeof(sub))
			continue;
		tu_rmrf(sub);
	}
	closedir(d);
	rmdir(path);
}

static inline void tu_varint(struct buf *b, int64_t v)
{
	uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
	uint8_t x;

	while (z >= 0x80) {
		x = (uint8_t)(z | 0x80);
		buf_append(b, &x, 1);
		z >>= 7;
	}
	x = (uint8_t)z;
	buf_append(b, &x, 1);
}

/* One uncompressed v2 batch of nrec records; record i has timestamp
 * ts + i, key "k<i>" and value "<tag>-<i>" padded to vlen bytes. */
static inline void tu_batch(struct buf *b, int nrec, int64_t ts,
			    const char *tag, size_t vlen)
{
	uint8_t h[61] = {0};
	size_t start;

	buf_clear(b);
	buf_append(b, h, sizeof(h));
	for (int i = 0; i < nrec; i++) {
		struct buf r;
		char key[16], *val = malloc(vlen + 32);
		size_t n;
		snprintf(key, sizeof(key), "k%d", i);
		n = (size_t)snprintf(val, vlen + 32, "%s-%d", tag, i);
		for (; n < vlen; n++)
			val[n] = (char)('a' + n % 26);
		buf_init(&r, 0);
		buf_append(&r, "", 1); /* attributes */
		tu_varint(&r, i);      /* timestamp delta */
		tu_varint(&r, i);      /* offset delta */
		tu_varint(&r, (int64_t)strlen(key));
		buf_append(&r, key, strlen(key));
		tu_varint(&r, (int64_t)n);
		buf_append(&r, val, n);
		tu_varint(&r, 0); /* headers */
		tu_varint(b, (int64_t)r.len);
		buf_append(b, r.data, r.len);
		buf_fini(&r);
		free(val);
	}
	start = 0;
	be_put64(b->data + start, 0);
	be_put32(b->data + 8, (uint32_t)(b->len - 12));
	be_put32(b->data + 12, (uint32_t)-1);
	b->data[16] = 2;
	be_put16(b->data + 21, 0);
	be_put32(b->data + 23, (uint32_t)(nrec - 1));
	be_put64(b->data + 27, (uint64_t)ts);
	be_put64(b->data + 35, (uint64_t)(ts + nrec - 1));
	be_put64(b->data + 43, (uint64_t)-1);
	be_put16(b->data + 51, (uint16_t)-1);
	be_put32(b->data + 53, (uint32_t)-1);
	be_put32(b->data + 57, (uint32_t)nrec);
	be_put32(b->data + 17, crc32c(0, b->data + 21, b->len - 21));
}

static inline struct plog_config tu_cfg(void)
{
	struct plog_config c = {
	    .segment_bytes = 1 << 20,
	    .segment_ms = 7LL * 24 * 3600 * 1000,
	    .retention_ms = -1,
	    .retention_bytes = -1,
	    .index_interval_bytes = 4096,
	    .log_append_time = false,
	};
	return c;
}

struct tu {
	char dir[256];
	struct storage *st;
	struct plog *pl;
	struct storage_config sc;
	struct plog_config pc;
	const char *topic;
	int32_t partition;
	uint8_t id[16];
};

static inline int tu_open(struct tu *t)
{
	int rc = storage_open(&t->sc, &t->st);

	if (rc)
		return rc;
	rc = plog_open(t->st, t->topic, t->id, t->partition, &t->pc, &t->pl);
	if (rc) {
		storage_close(t->st);
		t->st = NULL;
	}
	return rc;
}

static inline void tu_init(struct tu *t, enum storage_sync_mode mode)
{
	memset(t, 0, sizeof(*t));
	tu_mkdtemp(t->dir, sizeof(t->dir));
	t->sc.dir = t->dir;
	t->sc.sync_mode = mode;
	t->pc = tu_cfg();
	t->topic = "orders";
	memcpy(t->id, tu_topic_id, 16);
}

static inline void tu_close(struct tu *t)
{
	if (t->pl)
		plog_close(t->pl);
	if (t->st)
		storage_close(t->st);
	t->pl = NULL;
	t->st = NULL;
}

static inline void tu_fini(struct tu *t)
{
	tu_close(t);
	tu_rmrf(t->dir);
}

/* Run group-commit passes until the HW reaches target (or ms). */
static inline bool tu_wait_hw_ms(struct tu *t, int64_t target, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		struct plog_offsets o;
		struct pollfd p = {.fd = storage_notify_fd(t->st),
				   .events = POLLIN};
		plog_offsets(t->pl, &o);
		if (o.high_watermark >= target)
			return true;
		storage_sync_kick(t->st);
		poll(&p, 1, 10);
		storage_poll(t->st);
	}
	return false;
}

static inline bool tu_wait_hw(struct tu *t, int64_t target)
{
	return tu_wait_hw_ms(t, target, 5000);
}

/* Append one batch of nrec records; returns its base offset or -errno. */
static inline int64_t tu_append(struct tu *t, int nrec, int64_t ts,
				const char *tag, size_t vlen)
{
	struct buf b;
	int64_t base = -1;
	int rc;

	buf_init(&b, 0);
	tu_batch(&b, nrec, ts, tag, vlen);
	rc = plog_append(t->pl, b.data, b.len, 0, ts, &base);
	buf_fini(&b);
	return rc ? rc : base;
}

static inline int tu_read_all(struct tu *t, struct buf *out)
{
	struct plog_offsets o;

	plog_offsets(t->pl, &o);
	buf_clear(out);
	return plog_read(t->pl, o.log_start_offset, o.log_end_offset, SIZE_MAX,
			 true, out);
}

/* Count batches in a buffer of concatenated v2 batches (checks CRCs). */
static inline int tu_count_batches(const struct buf *b, int64_t *first,
				   int64_t *next)
{
	size_t off = 0;
	int n = 0;

	*first = *next = -1;
	while (off + 61 <= b->len) {
		const uint8_t *p = b->data + off;
		size_t len = (size_t)be_get32(p + 8) + 12;
		if (off + len > b->len ||
		    crc32c(0, p + 21, len - 21) != be_get32(p + 17))
			return -1;
		if (*next >= 0 && (int64_t)be_get64(p) != *next)
			return -1;
		if (*first < 0)
			*first = (int64_t)be_get64(p);
		*next = (int64_t)be_get64(p) + (int32_t)be_get32(p + 23) + 1;
		off += len;
		n++;
	}
	return off == b->len ? n : -1;
}

static inline void tu_path(const struct tu *t, char *out, size_t cap,
			   int64_t base, const char *ext)
{
	snprintf(out, cap, "%s/%s-%d/%020lld.%s", t->dir, t->topic,
		 t->partition, (long long)base, ext);
}

static inline long tu_file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) ? -1 : (long)sb.st_size;
}

static inline int tu_read_file(const char *path, uint8_t **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	*data = NULL;
	*len = 0;
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	*data = malloc((size_t)n + 1);
	*len = fread(*data, 1, (size_t)n, f);
	(*data)[*len] = '\0';
	fclose(f);
	return 0;
}

static inline int tu_write_file(const char *path, const uint8_t *data,
				size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, data, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

static inline int tu_copy_file(const char *from, const char *to)
{
	uint8_t *d;
	size_t n;
	int rc;

	if (tu_read_file(from, &d, &n))
		return -1;
	rc = tu_write_file(to, d, n);
	free(d);
	return rc;
}

/* Copy a log directory (files and partition directories, not meta/ or
 * the lock): the state a crash of the running process would leave. */
static inline void tu_copytree(const char *src, const char *dst)
{
	DIR *d = opendir(src);
	struct dirent *e;

	mkdir(dst, 0700);
	while (d && (e = readdir(d))) {
		char a[4096], b[4096];
		struct stat sb;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strcmp(e->d_name, "meta") || !strcmp(e->d_name, ".lock"))
			continue;
		if (snprintf(a, sizeof(a), "%s/%s", src, e->d_name) >=
			(int)sizeof(a) ||
		    snprintf(b, sizeof(b), "%s/%s", dst, e->d_name) >=
			(int)sizeof(b) ||
		    stat(a, &sb))
			continue;
		if (S_ISDIR(sb.st_mode))
			tu_copytree(a, b);
		else
			tu_copy_file(a, b);
		chmod(b, sb.st_mode & 0777);
	}
	if (d)
		closedir(d);
}

/* Let the sync thread finish, including the checkpoint (up to ~1.5 s). */
static inline void tu_settle(struct tu *t, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		struct pollfd p = {.fd = storage_notify_fd(t->st),
				   .events = POLLIN};
		storage_sync_kick(t->st);
		poll(&p, 1, 10);
		storage_poll(t->st);
	}
}

#endif
