/* verify.c - offline verification and re-wrapping (see verify.h). */
#include "storage/verify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/log.h"
#include "storage/futil.h"
#include "storage/seal.h"
#include "storage/segment.h"

struct vctx {
	const struct keyring *kr;
	const struct verify_ops *ops;
	void *ctx;
	const char *dir;
	int dirfd;
	uint8_t topic_id[16];
	int32_t partition;
	int problems;
	EVP_CIPHER_CTX *dec;
	EVP_MD_CTX *md;
	char file[4200];
};

static void v_problem(struct vctx *v, uint64_t pos, const char *what)
{
	v->problems++;
	if (v->ops->problem)
		v->ops->problem(v->ctx, v->file, pos, what);
}

/* --- partition identity
 * ------------------------------------------------------- */

static int b64val(char c)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *p = c ? strchr(a, c) : NULL;

	return p ? (int)(p - a) : -1;
}

static int uuid_decode(const char *s, uint8_t out[16])
{
	uint32_t acc = 0;
	int bits = 0, n = 0;

	for (int i = 0; i < 22; i++) {
		int v = b64val(s[i]);
		if (v < 0)
			return -EINVAL;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8 && n < 16) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n == 16 ? 0 : -EINVAL;
}

static int v_identity(struct vctx *v, const char *dirpath)
{
	char *copy = strdup(dirpath), *base, *dash;
	uint8_t *text = NULL;
	size_t len;
	char *p;
	int rc;

	if (!copy)
		return -ENOMEM;
	base = basename(copy);
	dash = strrchr(base, '-');
	rc = dash && dash[1] ? 0 : -EINVAL;
	v->partition = rc ? -1 : (int32_t)strtol(dash + 1, &p, 10);
	if (!rc && (*p || v->partition < 0))
		rc = -EINVAL;
	free(copy);
	if (rc) {
		snprintf(v->file, sizeof(v->file), "%s", dirpath);
		v_problem(v, 0,
			  "not a partition directory (<topic>-<partition>)");
		return rc;
	}
	rc = futil_read(v->dirfd, "partition.metadata", 4096, &text, &len);
	p = rc ? NULL : strstr((char *)text, "topic_id: ");
	if (!p || strlen(p) < 32 || uuid_decode(p + 10, v->topic_id))
		rc = -EINVAL;
	free(text);
	if (rc) {
		snprintf(v->file, sizeof(v->file), "%s/partition.metadata",
			 dirpath);
		v_problem(v, 0, "missing or unreadable topic id");
	}
	return rc;
}

/* --- one segment ---------------------------------------------------------- */

static int v_frame(void *ctx, uint64_t pos, const struct seal_hdr *h,
		   const uint8_t *pt, const uint8_t *tag)
{
	struct vctx *v = ctx;
	struct verify_batch b = {v->file,   pos, h->base_offset, h->last_delta,
				 h->max_ts, pt,	 h->len};

	EVP_DigestUpdate(v->md, tag, SEAL_TAG_LEN);
	if (v->ops->batch)
		v->ops->batch(v->ctx, &b);
	return 0;
}

static int v_dek(struct vctx *v, int64_t base, uint8_t *dek, char *key_id)
{
	struct seal_id id = {.partition = v->partition, .seg_base = base};
	uint8_t *raw = NULL;
	char name[32];
	size_t len;
	int rc;

	memcpy(id.topic_id, v->topic_id, 16);
	seg_name(name, base, "dek");
	rc = futil_read(v->dirfd, name, SEAL_DEK_MAX, &raw, &len);
	if (!rc)
		rc = seal_dek_unwrap(v->kr, &id, raw, len, dek, key_id);
	free(raw);
	if (rc)
		v_problem(v, 0,
			  rc == -ENOKEY	  ? "data key wrapped with a key id "
					    "the key file does not hold"
			  : rc == -ENOENT ? "no .dek sidecar"
					  : "the .dek sidecar failed "
					    "authentication (wrong key, "
					    "tampered or moved)");
	return rc;
}

static void v_footer(struct vctx *v, const struct seg_scan *sc)
{
	uint8_t d[32];
	unsigned n = 32;

	EVP_DigestFinal_ex(v->md, d, &n);
	if (CRYPTO_memcmp(d, sc->f.digest, 32) != 0)
		v_problem(v, sc->good_end,
			  "footer digest does not match "
			  "the frames");
}

/* Verify one segment; *next (in: expected base or -1; out: its end). */
static int v_segment(struct vctx *v, int64_t base, bool must_seal,
		     int64_t *next)
{
	char key_id[KEYRING_ID_MAX + 1] = "?", name[32];
	uint8_t *dek = CRYPTO_secure_malloc(SEAL_KEY_LEN, __FILE__, __LINE__);
	struct seg_scan sc = {0};
	struct stat sb;
	int fd = -1, rc;

	seg_name(name, base, "log");
	snprintf(v->file, sizeof(v->file), "%s/%s", v->dir, name);
	if (!dek)
		return -ENOMEM;
	if (*next >= 0 && base != *next)
		v_problem(v, 0,
			  "segment does not start where the previous "
			  "one ends (a segment is missing)");
	rc = v_dek(v, base, dek, key_id);
	fd = rc ? -1 : openat(v->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (!rc && (fd < 0 || fstat(fd, &sb) < 0)) {
		rc = -errno;
		v_problem(v, 0, strerror(-rc));
	}
	if (rc)
		goto out;
	if (v->ops->segment_begin)
		v->ops->segment_begin(v->ctx, v->file, base, key_id,
				      (uint64_t)sb.st_size);
	EVP_DigestInit_ex(v->md, EVP_sha256(), NULL);
	sc = (struct seg_scan){.fd = fd,
			       .dek = dek,
			       .dec = v->dec,
			       .end = (uint64_t)sb.st_size,
			       .fn = v_frame,
			       .ctx = v};
	memcpy(sc.id.topic_id, v->topic_id, 16);
	sc.id.partition = v->partition;
	sc.id.seg_base = base;
	seg_scan_run(&sc);
	if (sc.err)
		v_problem(v, sc.good_end, sc.why ? sc.why : strerror(-sc.err));
	else if (sc.footer)
		v_footer(v, &sc);
	else if (must_seal)
		v_problem(v, sc.good_end,
			  "sealed segment has no footer "
			  "(truncated or cut)");
	if (v->ops->segment_end)
		v->ops->segment_end(v->ctx, v->file, sc.frames, sc.next,
				    sc.footer);
	*next = sc.next;
out:
	if (fd >= 0)
		close(fd);
	CRYPTO_secure_clear_free(dek, SEAL_KEY_LEN, __FILE__, __LINE__);
	return rc;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorted base offsets of every .log / .dek in the directory. */
static int v_list(struct vctx *v, int64_t **out, size_t *count)
{
	int fd = dup(v->dirfd);
	size_t cap = 0;
	struct dirent *e;
	DIR *d;

	*out = NULL;
	*count = 0;
	if (fd < 0 || !(d = fdopendir(fd)))
		return fd < 0 ? -errno : (close(fd), -errno);
	while ((e = readdir(d))) {
		int64_t base;
		const char *ext = seg_name_parse(e->d_name, &base);
		bool dup_base = false;
		if (!ext || (strcmp(ext, "log") && strcmp(ext, "dek")))
			continue;
		for (size_t i = 0; i < *count; i++)
			dup_base |= (*out)[i] == base;
		if (dup_base)
			continue;
		if (*count == cap) {
			int64_t *n = realloc(*out, (cap = cap ? 2 * cap : 16) *
						       sizeof(*n));
			if (!n) {
				closedir(d);
				return -ENOMEM;
			}
			*out = n;
		}
		(*out)[(*count)++] = base;
	}
	closedir(d);
	if (*count)
		qsort(*out, *count, sizeof(**out), cmp_i64);
	return 0;
}

static int v_dir(struct vctx *v)
{
	int64_t *bases, next = -1;
	size_t n;
	int rc = v_identity(v, v->dir);

	if (!rc)
		rc = v_list(v, &bases, &n);
	if (rc)
		return rc;
	for (size_t i = 0; i < n && rc != -ENOMEM; i++)
		rc = v_segment(v, bases[i], i + 1 < n, &next);
	free(bases);
	return rc == -ENOMEM ? rc : 0;
}

static int v_file(struct vctx *v, const char *path)
{
	char *copy = strdup(path);
	int64_t b, next = -1;
	const char *ext;
	bool is_log;
	int rc;

	if (!copy)
		return -ENOMEM;
	ext = seg_name_parse(basename(copy), &b);
	is_log = ext && !strcmp(ext, "log");
	free(copy);
	if (!is_log) {
		snprintf(v->file, sizeof(v->file), "%s", path);
		v_problem(v, 0, "not a segment file (<20 digits>.log)");
		return -EINVAL;
	}
	rc = v_identity(v, v->dir);
	return rc ? rc : v_segment(v, b, false, &next);
}

int verify_path(const struct keyring *kr, const char *path,
		const struct verify_ops *ops, void *ctx)
{
	struct vctx v = {.kr = kr, .ops = ops, .ctx = ctx, .dirfd = -1};
	char *dcopy = NULL;
	struct stat sb;
	int rc;

	if (stat(path, &sb) < 0) {
		rc = -errno;
		snprintf(v.file, sizeof(v.file), "%s", path);
		v_problem(&v, 0, strerror(-rc));
		return rc;
	}
	dcopy = strdup(path);
	v.dec = seal_ctx_new(false);
	v.md = EVP_MD_CTX_new();
	if (!dcopy || !v.dec || !v.md) {
		rc = -ENOMEM;
		goto out;
	}
	v.dir = S_ISDIR(sb.st_mode) ? path : dirname(dcopy);
	v.dirfd = open(v.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (v.dirfd < 0) {
		rc = -errno;
		goto out;
	}
	rc = S_ISDIR(sb.st_mode) ? v_dir(&v) : v_file(&v, path);
out:
	if (v.dirfd >= 0)
		close(v.dirfd);
	EVP_CIPHER_CTX_free(v.dec);
	EVP_MD_CTX_free(v.md);
	free(dcopy);
	return rc == -ENOMEM ? rc : v.problems;
}

/* --- key maintenance
 * ------------------------------------------------------------ */

typedef int (*dek_fn)(void *ctx, int pfd, const char *pdir, const char *name,
		      const uint8_t *raw, size_t len);

static int walk_part(int pfd, const char *pdir, dek_fn fn, void *ctx)
{
	DIR *d = fdopendir(pfd);
	struct dirent *e;
	int rc = 0;

	if (!d) {
		close(pfd);
		return -errno;
	}
	while ((e = readdir(d))) {
		uint8_t *raw = NULL;
		size_t len, n = strlen(e->d_name);
		int r;
		if (n < 5 || strcmp(e->d_name + n - 4, ".dek"))
			continue;
		r = futil_read(dirfd(d), e->d_name, SEAL_DEK_MAX, &raw, &len);
		if (!r)
			r = fn(ctx, dirfd(d), pdir, e->d_name, raw, len);
		if (r && !rc)
			rc = r;
		free(raw);
	}
	closedir(d);
	return rc;
}

static int walk_deks(const char *data_dir, dek_fn fn, void *ctx)
{
	DIR *d = opendir(data_dir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char pdir[4200];
		size_t n = strlen(e->d_name);
		int pfd, r;
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "meta") ||
		    (n > 7 && !strcmp(e->d_name + n - 7, "-delete")))
			continue;
		pfd = openat(dirfd(d), e->d_name,
			     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pfd < 0)
			continue;
		snprintf(pdir, sizeof(pdir), "%s/%s", data_dir, e->d_name);
		r = walk_part(pfd, pdir, fn, ctx);
		if (r && !rc)
			rc = r;
	}
	closedir(d);
	return rc;
}

struct rewrap_ctx {
	const struct keyring *kr;
	size_t changed, total;
};

static int rewrap_one(void *ctx, int pfd, const char *pdir, const char *name,
		      const uint8_t *raw, size_t len)
{
	struct rewrap_ctx *r = ctx;
	uint8_t out[SEAL_DEK_MAX];
	size_t olen;
	bool changed;
	int rc = seal_dek_rewrap(r->kr, raw, len, out, &olen, &changed);

	r->total++;
	if (!rc && changed)
		rc = futil_replace(pfd, name, out, olen, 0600);
	if (rc)
		log_error("sealog-keys", "Cannot re-wrap %s/%s: %s", pdir, name,
			  rc == -ENOKEY	   ? "its key id is not in the key file"
			  : rc == -EBADMSG ? "it failed authentication"
					   : strerror(-rc));
	r->changed += !rc && changed;
	return rc;
}

int verify_rewrap_dir(const struct keyring *kr, const char *data_dir,
		      size_t *changed, size_t *total)
{
	struct rewrap_ctx r = {.kr = kr};
	int dfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int lfd =
	    dfd < 0 ? -1
		    : openat(dfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	int rc = 0;

	if (dfd < 0 || lfd < 0)
		rc = -errno;
	else if (flock(lfd, LOCK_EX | LOCK_NB) < 0)
		rc = -EBUSY;
	if (!rc)
		rc = keyring_check_dir(kr, dfd, data_dir);
	if (!rc)
		rc = walk_deks(data_dir, rewrap_one, &r);
	*changed = r.changed;
	*total = r.total;
	if (lfd >= 0)
		close(lfd);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

struct usage_ctx {
	void (*fn)(void *ctx, const char *sidecar, const char *key_id);
	void *ctx;
};

static int usage_one(void *ctx, int pfd, const char *pdir, const char *name,
		     const uint8_t *raw, size_t len)
{
	struct usage_ctx *u = ctx;
	char kid[KEYRING_ID_MAX + 1], path[4300];
	struct seal_id id;

	(void)pfd;
	snprintf(path, sizeof(path), "%s/%s", pdir, name);
	u->fn(u->ctx, path, seal_dek_parse(raw, len, kid, &id) ? "?" : kid);
	return 0;
}

int verify_key_usage(const char *data_dir,
		     void (*fn)(void *ctx, const char *sidecar,
				const char *key_id),
		     void *ctx)
{
	struct usage_ctx u = {fn, ctx};

	return walk_deks(data_dir, usage_one, &u);
}
