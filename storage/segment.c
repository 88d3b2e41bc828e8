/* segment.c - segment bookkeeping, sparse indexes and the frame scanner.
 *
 * The scanner is the one place that walks a segment frame by frame with
 * full checks; recovery, index rebuilds, producer-state rebuilds and
 * sealog-dump all use it, so they agree on what "valid" means.
 */
#include "storage/segment.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/crc32c.h"
#include "base/be.h"
#include "storage/futil.h"
#include "storage/sio.h"
#include "storage/storage_int.h"

#define IX_MAGIC 0x534c4958u /* "SLIX" */
#define TX_MAGIC 0x534c5458u /* "SLTX" */
#define IX_HDR 32
#define RD_CHUNK (1u << 20)

void seg_name(char out[32], int64_t base, const char *ext)
{
	snprintf(out, 32, "%020" PRId64 ".%s", base, ext);
}

const char *seg_name_parse(const char *name, int64_t *base)
{
	int64_t v = 0;

	for (int i = 0; i < 20; i++) {
		if (name[i] < '0' || name[i] > '9')
			return NULL;
		if (v > (INT64_MAX - 9) / 10)
			return NULL;
		v = v * 10 + (name[i] - '0');
	}
	if (name[20] != '.')
		return NULL;
	*base = v;
	return name + 21;
}

struct segment *seg_new(int64_t base)
{
	struct segment *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base = s->next = base;
	s->max_ts = -1;
	s->max_ts_offset = -1;
	s->ix_ts = INT64_MIN;
	return s;
}

void seg_free(struct segment *s)
{
	if (!s)
		return;
	if (s->dek)
		CRYPTO_secure_clear_free(s->dek, SEAL_KEY_LEN, __FILE__,
					 __LINE__);
	sfile_unref(s->log);
	sfile_unref(s->dekf);
	EVP_MD_CTX_free(s->digest);
	free(s->oi);
	free(s->ti);
	OPENSSL_cleanse(s->nonce, sizeof(s->nonce));
	free(s);
}

int seg_digest_begin(struct segment *s)
{
	if (!s->digest && !(s->digest = EVP_MD_CTX_new()))
		return -ENOMEM;
	return EVP_DigestInit_ex(s->digest, EVP_sha256(), NULL) ? 0 : -EIO;
}

void seg_digest_add(struct segment *s, const uint8_t tag[SEAL_TAG_LEN])
{
	if (s->digest)
		EVP_DigestUpdate(s->digest, tag, SEAL_TAG_LEN);
}

void seg_digest_final(struct segment *s, uint8_t out[32])
{
	unsigned n = 32;

	memset(out, 0, 32);
	if (s->digest)
		EVP_DigestFinal_ex(s->digest, out, &n);
}

/* --- index ---------------------------------------------------------------- */

static bool ix_grow(void **arr, size_t *cap, size_t count, size_t size)
{
	size_t c;
	void *n;

	if (count < *cap)
		return true;
	c = *cap ? *cap * 2 : 64;
	n = realloc(*arr, c * size);
	if (!n)
		return false;
	*arr = n;
	*cap = c;
	return true;
}

void seg_account(struct segment *s, const struct seal_hdr *h, uint64_t pos,
		 int32_t interval)
{
	uint32_t rel = (uint32_t)(h->base_offset - s->base);

	if (h->max_ts > s->max_ts) {
		s->max_ts = h->max_ts;
		s->max_ts_offset = h->base_offset;
	}
	if (s->ix_since >= (uint64_t)(interval > 0 ? interval : 1)) {
		if (ix_grow((void **)&s->oi, &s->oi_cap, s->oi_count,
			    sizeof(*s->oi)))
			s->oi[s->oi_count++] =
			    (struct seg_ient){rel, (uint32_t)pos};
		if (s->max_ts > s->ix_ts &&
		    ix_grow((void **)&s->ti, &s->ti_cap, s->ti_count,
			    sizeof(*s->ti))) {
			s->ti[s->ti_count++] =
			    (struct seg_tent){s->max_ts, rel};
			s->ix_ts = s->max_ts;
		}
		s->ix_since = 0;
	}
	s->ix_since += seal_frame_len(h);
	s->frames++;
	s->next = h->base_offset + h->last_delta + 1;
	s->data_len = pos + seal_frame_len(h);
}

void seg_index_reset(struct segment *s)
{
	s->oi_count = s->ti_count = 0;
	s->ix_since = 0;
	s->ix_ts = INT64_MIN;
	s->frames = 0;
	s->next = s->base;
	s->data_len = 0;
	s->max_ts = s->max_ts_offset = -1;
}

void seg_index_cut(struct segment *s, uint64_t pos)
{
	uint32_t last_rel;

	while (s->oi_count && s->oi[s->oi_count - 1].pos >= pos)
		s->oi_count--;
	last_rel = s->oi_count ? s->oi[s->oi_count - 1].rel : 0;
	while (s->ti_count && s->ti[s->ti_count - 1].rel > last_rel)
		s->ti_count--;
	if (!s->oi_count)
		s->ti_count = 0;
	s->ix_ts = s->ti_count ? s->ti[s->ti_count - 1].ts : INT64_MIN;
}

uint64_t seg_index_lookup(const struct segment *s, int64_t offset)
{
	size_t lo = 0, hi = s->oi_count;
	uint64_t rel;

	if (offset <= s->base)
		return 0;
	rel = (uint64_t)(offset - s->base);
	while (lo < hi) { /* first entry with rel > target */
		size_t mid = lo + (hi - lo) / 2;
		if (s->oi[mid].rel <= rel)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? s->oi[lo - 1].pos : 0;
}

int64_t seg_time_lookup(const struct segment *s, int64_t ts)
{
	size_t lo = 0, hi = s->ti_count;

	while (lo < hi) { /* first entry with ts >= target */
		size_t mid = lo + (hi - lo) / 2;
		if (s->ti[mid].ts < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? s->base + s->ti[lo - 1].rel : s->base;
}

static void ix_header(uint8_t *h, uint32_t magic, const struct segment *s,
		      uint32_t count)
{
	be_put32(h, magic);
	be_put32(h + 4, 1);
	be_put64(h + 8, (uint64_t)s->base);
	be_put64(h + 16, s->data_len);
	be_put32(h + 24, count);
}

static int ix_write(int dirfd, const char *name, uint8_t *data, size_t len)
{
	int fd =
	    openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc;

	if (fd < 0)
		return -errno;
	be_put32(data + 28,
		 crc32c(crc32c(0, data, 28), data + IX_HDR, len - IX_HDR));
	rc = sio_write_all(fd, data, len, 0);
	close(fd);
	return rc;
}

int seg_index_save(const struct segment *s, int dirfd)
{
	size_t on = IX_HDR + s->oi_count * 8, tn = IX_HDR + s->ti_count * 12;
	uint8_t *buf = malloc(on > tn ? on : tn);
	char name[32];
	int rc;

	if (!buf)
		return -ENOMEM;
	ix_header(buf, IX_MAGIC, s, (uint32_t)s->oi_count);
	for (size_t i = 0; i < s->oi_count; i++) {
		be_put32(buf + IX_HDR + 8 * i, s->oi[i].rel);
		be_put32(buf + IX_HDR + 8 * i + 4, s->oi[i].pos);
	}
	seg_name(name, s->base, "index");
	rc = ix_write(dirfd, name, buf, on);
	ix_header(buf, TX_MAGIC, s, (uint32_t)s->ti_count);
	for (size_t i = 0; i < s->ti_count && !rc; i++) {
		be_put64(buf + IX_HDR + 12 * i, (uint64_t)s->ti[i].ts);
		be_put32(buf + IX_HDR + 12 * i + 8, s->ti[i].rel);
	}
	seg_name(name, s->base, "timeindex");
	if (!rc)
		rc = ix_write(dirfd, name, buf, tn);
	free(buf);
	return rc;
}

/* Read and check one index file; returns entry count or -errno. */
static int ix_read(const struct segment *s, int dirfd, const char *ext,
		   uint32_t magic, size_t esize, uint8_t **out)
{
	char name[32];
	uint8_t *p = NULL;
	size_t len, max = IX_HDR + ((size_t)s->frames + 1) * esize;
	uint32_t count;
	int rc;

	seg_name(name, s->base, ext);
	rc = futil_read(dirfd, name, max, &p, &len);
	if (rc)
		return rc == -EFBIG ? -EBADMSG : rc;
	count = len >= IX_HDR ? be_get32(p + 24) : 0;
	if (len < IX_HDR || be_get32(p) != magic || be_get32(p + 4) != 1 ||
	    (int64_t)be_get64(p + 8) != s->base ||
	    be_get64(p + 16) != s->data_len || len != IX_HDR + count * esize ||
	    be_get32(p + 28) !=
		crc32c(crc32c(0, p, 28), p + IX_HDR, len - IX_HDR)) {
		free(p);
		return -EBADMSG;
	}
	*out = p;
	return (int)count;
}

static int ix_check(const struct segment *s)
{
	for (size_t i = 0; i < s->oi_count; i++)
		if (s->oi[i].pos >= s->data_len ||
		    (i && (s->oi[i].rel <= s->oi[i - 1].rel ||
			   s->oi[i].pos <= s->oi[i - 1].pos)) ||
		    s->base + (int64_t)s->oi[i].rel >= s->next)
			return -EBADMSG;
	for (size_t i = 0; i < s->ti_count; i++)
		if (s->base + (int64_t)s->ti[i].rel >= s->next ||
		    (i && (s->ti[i].ts < s->ti[i - 1].ts ||
			   s->ti[i].rel < s->ti[i - 1].rel)))
			return -EBADMSG;
	return 0;
}

static int ix_fill(struct segment *s, const uint8_t *o, int on,
		   const uint8_t *t, int tn)
{
	s->oi = malloc(((size_t)on + 1) * sizeof(*s->oi));
	s->ti = malloc(((size_t)tn + 1) * sizeof(*s->ti));
	if (!s->oi || !s->ti)
		return -ENOMEM;
	s->oi_cap = (size_t)on + 1;
	s->ti_cap = (size_t)tn + 1;
	for (int i = 0; i < on; i++)
		s->oi[i] = (struct seg_ient){be_get32(o + IX_HDR + 8 * i),
					     be_get32(o + IX_HDR + 8 * i + 4)};
	for (int i = 0; i < tn; i++)
		s->ti[i] =
		    (struct seg_tent){(int64_t)be_get64(t + IX_HDR + 12 * i),
				      be_get32(t + IX_HDR + 12 * i + 8)};
	s->oi_count = (size_t)on;
	s->ti_count = (size_t)tn;
	return ix_check(s);
}

int seg_index_load(struct segment *s, int dirfd)
{
	uint8_t *o = NULL, *t = NULL;
	int on, tn = 0, rc;

	on = ix_read(s, dirfd, "index", IX_MAGIC, 8, &o);
	if (on >= 0)
		tn = ix_read(s, dirfd, "timeindex", TX_MAGIC, 12, &t);
	rc = on < 0 ? on : tn < 0 ? tn : 0;
	free(s->oi);
	free(s->ti);
	s->oi = NULL;
	s->ti = NULL;
	s->oi_count = s->oi_cap = s->ti_count = s->ti_cap = 0;
	if (!rc)
		rc = ix_fill(s, o, on, t, tn);
	if (rc)
		s->oi_count = s->ti_count = 0;
	free(o);
	free(t);
	return rc;
}

/* --- reading frames
 * ------------------------------------------------------------ */

struct seg_rd {
	int fd;
	uint8_t *buf;
	size_t cap;
	uint64_t off;
	size_t len;
	uint64_t end;
};

/* Make [pos, pos + n) readable in the window; *p points at it. */
static int rd_need(struct seg_rd *r, uint64_t pos, size_t n, uint8_t **p)
{
	size_t want = n > RD_CHUNK ? n : RD_CHUNK, got;
	int rc;

	if (pos >= r->off && pos + n <= r->off + r->len) {
		*p = r->buf + (pos - r->off);
		return 0;
	}
	if (want > r->end - pos)
		want = (size_t)(r->end - pos);
	if (want > r->cap) {
		uint8_t *nb = realloc(r->buf, want);
		if (!nb)
			return -ENOMEM;
		r->buf = nb;
		r->cap = want;
	}
	rc = sio_read_full(r->fd, r->buf, want, (off_t)pos, &got);
	if (rc)
		return rc;
	r->off = pos;
	r->len = got;
	if (got < n)
		return -ENODATA;
	*p = r->buf;
	return 0;
}

static int scan_bad(struct seg_scan *s, const char *why)
{
	s->why = why;
	s->err = -EBADMSG;
	return s->err;
}

static int scan_footer(struct seg_scan *s, struct seg_rd *r, uint64_t pos,
		       uint8_t *hdr, const struct seal_hdr *h)
{
	uint8_t *body;
	int rc = rd_need(r, pos + SEAL_HDR_LEN, SEAL_FOOTER_LEN + SEAL_TAG_LEN,
			 &body);

	if (rc)
		return rc == -ENODATA ? scan_bad(s, "truncated footer") : rc;
	if (seal_frame_decrypt(s->dec, s->dek, &s->id, hdr, h, body) ||
	    seal_footer_decode(body, &s->f))
		return scan_bad(s, "footer failed authentication");
	if (pos + SEAL_FOOTER_FRAME != s->end)
		return scan_bad(s, "bytes after the footer");
	if (s->f.base != s->id.seg_base || s->f.next != s->next ||
	    s->f.frames != s->frames || s->f.data_len != pos)
		return scan_bad(s,
				"footer does not match the segment's frames");
	s->footer = true;
	return 0;
}

/* One batch frame at pos; returns 0 and advances, or stops the scan. */
static int scan_batch(struct seg_scan *s, struct seg_rd *r, uint64_t pos,
		      const struct seal_hdr *h)
{
	uint8_t *frame, *body;
	const char *why;
	int rc;

	if (h->base_offset != s->next)
		return scan_bad(
		    s, h->base_offset > s->next
			   ? "offsets skip ahead (a batch is missing)"
			   : "offsets go back (batches reordered or replayed)");
	rc = rd_need(r, pos, (size_t)seal_frame_len(h), &frame);
	if (rc)
		return rc == -ENODATA ? scan_bad(s, "truncated frame") : rc;
	body = frame + SEAL_HDR_LEN;
	if (seal_frame_decrypt(s->dec, s->dek, &s->id, frame, h, body))
		return scan_bad(s, "frame failed authentication");
	if (seal_batch_check(h, body, &why))
		return scan_bad(s, why);
	if (s->fn && (rc = s->fn(s->ctx, pos, h, body, body + h->len))) {
		OPENSSL_cleanse(body, h->len);
		s->err = rc;
		return rc;
	}
	OPENSSL_cleanse(body, h->len);
	if (h->max_ts > s->max_ts) {
		s->max_ts = h->max_ts;
		s->max_ts_offset = h->base_offset;
	}
	s->frames++;
	s->next = h->base_offset + h->last_delta + 1;
	s->good_end = pos + seal_frame_len(h);
	return 0;
}

int seg_scan_run(struct seg_scan *s)
{
	struct seg_rd r = {.fd = s->fd, .end = s->end};
	uint64_t pos = 0;

	s->good_end = 0;
	s->next = s->id.seg_base;
	s->frames = 0;
	s->max_ts = s->max_ts_offset = -1;
	s->footer = false;
	s->err = 0;
	s->why = NULL;
	while (pos < s->end && !s->err && !s->footer) {
		struct seal_hdr h;
		uint8_t *hdr;
		int rc = rd_need(&r, pos, SEAL_HDR_LEN, &hdr);
		if (rc) {
			if (rc == -ENODATA)
				scan_bad(s, "truncated frame header");
			else
				s->err = rc;
			break;
		}
		if (seal_hdr_decode(hdr, &h)) {
			scan_bad(s, "not a frame header");
			break;
		}
		if (seal_frame_len(&h) > s->end - pos) {
			scan_bad(s, "frame runs past the end of the file");
			break;
		}
		if (h.type == SEAL_FOOTER)
			scan_footer(s, &r, pos, hdr, &h);
		else
			scan_batch(s, &r, pos, &h);
		pos = s->good_end;
	}
	if (r.buf)
		OPENSSL_cleanse(r.buf, r.cap);
	free(r.buf);
	return s->err;
}

int seg_footer_read(int fd, const uint8_t *dek, const struct seal_id *id,
		    EVP_CIPHER_CTX *dec, uint64_t file_len,
		    struct seal_footer *f)
{
	uint8_t frame[SEAL_FOOTER_FRAME];
	struct seal_hdr h;
	size_t got;
	int rc;

	if (file_len < SEAL_FOOTER_FRAME)
		return -ENODATA;
	rc = sio_read_full(fd, frame, sizeof(frame),
			   (off_t)(file_len - SEAL_FOOTER_FRAME), &got);
	if (rc)
		return rc;
	if (got != sizeof(frame) || seal_hdr_decode(frame, &h) ||
	    h.type != SEAL_FOOTER)
		return -ENODATA;
	if (h.base_offset != id->seg_base ||
	    seal_frame_decrypt(dec, dek, id, frame, &h, frame + SEAL_HDR_LEN) ||
	    seal_footer_decode(frame + SEAL_HDR_LEN, f) ||
	    f->base != id->seg_base ||
	    f->data_len + SEAL_FOOTER_FRAME != file_len)
		return -EBADMSG;
	return 0;
}
