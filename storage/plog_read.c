/* plog_read.c - fetch, timestamp lookups, tail scans, lazy indexes.
 *
 * Reads trust the sparse index only as a hint: a position that does not
 * hold a frame header, or lands past the wanted offset, restarts the walk
 * at the segment's first byte. Every returned batch is authenticated and
 * checked (tag, CRC-32C, header agreement) and must continue the previous
 * one's offsets; a failure takes the partition offline and nothing of the
 * failed read is returned (plaintext is wiped).
 */
#include "storage/plog_int.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base/log.h"
#include "base/be.h"
#include "storage/sio.h"

#define LOGC "Log"
#define TAIL_SCAN_BYTES (8u << 20)

/* --- lazy index ----------------------------------------------------------- */

static int index_rebuild(struct plog *pl, struct segment *s)
{
	struct seal_id id = plog_seal_id(pl, s);
	uint64_t file_len = s->data_len + SEAL_FOOTER_FRAME;
	struct seal_footer f;
	struct seg_scan sc;
	uint8_t digest[32];
	int rc =
	    seg_footer_read(s->log->fd, s->dek, &id, pl->dec, file_len, &f);

	if (rc)
		return plog_corrupt(
		    pl, s, s->data_len,
		    "footer failed "
		    "authentication while rebuilding the index");
	rc = plog_seg_rescan(pl, s, f.data_len, &sc);
	if (rc)
		return rc;
	seg_digest_final(s, digest);
	EVP_MD_CTX_free(s->digest);
	s->digest = NULL;
	if (sc.err)
		return plog_corrupt(pl, s, sc.good_end, sc.why);
	if (s->frames != f.frames || s->next != f.next ||
	    s->data_len != f.data_len ||
	    CRYPTO_memcmp(digest, f.digest, sizeof(digest)) != 0)
		return plog_corrupt(pl, s, s->data_len,
				    "frames do not match "
				    "the footer (count, offsets or digest)");
	if (seg_index_save(s, pl->dirfd) == 0)
		log_info(LOGC, "[%s] Rebuilt the index of segment %020" PRId64,
			 pl->name, s->base);
	return 0;
}

int plog_index_ensure(struct plog *pl, struct segment *s)
{
	if (s->ix_ready)
		return 0;
	if (seg_index_load(s, pl->dirfd) == 0) {
		s->ix_ready = true;
		return 0;
	}
	return index_rebuild(pl, s);
}

/* --- walking frame headers
 * ---------------------------------------------------- */

/* Visit frames of s from the first one whose last offset >= offset.
 * visit returns 1 to stop, 0 to go on, <0 on error. */
typedef int (*walk_fn)(struct plog *pl, struct segment *s, uint64_t pos,
		       const uint8_t *hdr, const struct seal_hdr *h, void *ctx);

static int walk_header(struct plog *pl, struct segment *s, uint64_t pos,
		       uint8_t hdr[SEAL_HDR_LEN], struct seal_hdr *h)
{
	size_t got;
	int rc;

	if (pos + SEAL_HDR_LEN > s->data_len)
		return -EBADMSG;
	rc = sio_read_full(s->log->fd, hdr, SEAL_HDR_LEN, (off_t)pos, &got);
	if (rc) {
		storage_fail(pl->st, rc, "reading", s->log->path);
		return rc;
	}
	if (got != SEAL_HDR_LEN || seal_hdr_decode(hdr, h) ||
	    h->type != SEAL_BATCH || pos + seal_frame_len(h) > s->data_len)
		return -EBADMSG;
	return 0;
}

static int seg_walk(struct plog *pl, struct segment *s, int64_t offset,
		    walk_fn visit, void *ctx)
{
	uint64_t start, pos;
	int64_t expect = -1;
	int rc = plog_index_ensure(pl, s);

	if (rc)
		return rc;
	start = pos = seg_index_lookup(s, offset);
	while (pos < s->data_len) {
		uint8_t hdr[SEAL_HDR_LEN];
		struct seal_hdr h;
		rc = walk_header(pl, s, pos, hdr, &h);
		if (expect < 0 && start &&
		    (rc == -EBADMSG || (rc == 0 && h.base_offset > offset))) {
			start = pos = 0; /* the index was wrong: rescan */
			continue;
		}
		if (rc == -EBADMSG)
			return plog_corrupt(pl, s, pos, "not a frame header");
		if (rc)
			return rc;
		if ((pos == 0 && h.base_offset != s->base) ||
		    (expect >= 0 && h.base_offset != expect))
			return plog_corrupt(pl, s, pos,
					    "offsets are not "
					    "contiguous");
		/* Header fields steer the walk before the tag is checked:
		 * bound them by what the segment is known to hold. */
		if (h.base_offset + h.last_delta >= s->next)
			return plog_corrupt(pl, s, pos,
					    "frame claims offsets "
					    "beyond the end of its segment");
		expect = h.base_offset + h.last_delta + 1;
		if (expect > offset && (rc = visit(pl, s, pos, hdr, &h, ctx)))
			return rc < 0 ? rc : 1;
		pos += seal_frame_len(&h);
	}
	return 0;
}

/* Read, authenticate and check the frame body into dst (len + tag). */
static int frame_open(struct plog *pl, struct segment *s, uint64_t pos,
		      const uint8_t *hdr, const struct seal_hdr *h,
		      uint8_t *dst)
{
	struct seal_id id = plog_seal_id(pl, s);
	const char *why;
	size_t got;
	int rc = sio_read_full(s->log->fd, dst, h->len + SEAL_TAG_LEN,
			       (off_t)(pos + SEAL_HDR_LEN), &got);

	if (rc) {
		storage_fail(pl->st, rc, "reading", s->log->path);
		return rc;
	}
	if (got != h->len + SEAL_TAG_LEN)
		return plog_corrupt(pl, s, pos, "truncated frame");
	if (seal_frame_decrypt(pl->dec, s->dek, &id, hdr, h, dst))
		return plog_corrupt(pl, s, pos, "frame failed authentication");
	if (seal_batch_check(h, dst, &why)) {
		OPENSSL_cleanse(dst, h->len);
		return plog_corrupt(pl, s, pos, why);
	}
	return 0;
}

/* --- plog_read
 * ------------------------------------------------------------------- */

struct read_state {
	int64_t offset, max_offset;
	size_t max_bytes, total;
	bool min_one, done;
	int64_t expect;
	struct buf *out;
};

static int read_visit(struct plog *pl, struct segment *s, uint64_t pos,
		      const uint8_t *hdr, const struct seal_hdr *h, void *ctx)
{
	struct read_state *r = ctx;
	uint8_t *dst;
	int rc;

	if (r->expect >= 0 && h->base_offset != r->expect)
		return plog_corrupt(pl, s, pos, "offsets are not contiguous");
	if (h->base_offset + h->last_delta >= r->max_offset ||
	    (r->total + h->len > r->max_bytes && !(r->min_one && !r->total))) {
		r->done = true;
		return 1;
	}
	dst = buf_reserve(r->out, h->len + SEAL_TAG_LEN);
	if (!dst)
		return r->out->err ? r->out->err : -ENOMEM;
	rc = frame_open(pl, s, pos, hdr, h, dst);
	if (rc)
		return rc;
	r->out->len += h->len;
	r->total += h->len;
	r->expect = h->base_offset + h->last_delta + 1;
	return 0;
}

int plog_read(struct plog *pl, int64_t offset, int64_t max_offset,
	      size_t max_bytes, bool min_one, struct buf *out)
{
	struct read_state r = {.offset = offset,
			       .max_offset = max_offset,
			       .max_bytes = max_bytes,
			       .min_one = min_one,
			       .expect = -1,
			       .out = out};
	size_t before = out->len;
	int rc = plog_check(pl);

	if (rc)
		return rc;
	if (offset < pl->lso || offset > pl->leo)
		return -ERANGE;
	if (r.max_offset > pl->leo)
		r.max_offset = pl->leo;
	for (size_t i = plog_seg_find(pl, offset);
	     !rc && !r.done && offset < r.max_offset && i < pl->nseg; i++) {
		struct segment *s = pl->segs[i];
		if (r.expect >= 0 && s->base != r.expect)
			rc = plog_corrupt(pl, s, 0,
					  "segment does not continue "
					  "the previous one");
		else
			rc = seg_walk(pl, s, offset, read_visit, &r);
		rc = rc == 1 ? 0 : rc;
	}
	if (rc) {
		if (out->data && out->cap > before)
			OPENSSL_cleanse(out->data + before, out->cap - before);
		out->len = before;
	}
	return rc;
}

/* --- timestamps
 * ------------------------------------------------------------------- */

static int varint(const uint8_t **p, const uint8_t *end, int64_t *v)
{
	uint64_t x = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -EBADMSG;
		x |= (uint64_t)(**p & 0x7f) << shift;
		if (!(*(*p)++ & 0x80)) {
			*v = (int64_t)(x >> 1) ^ -(int64_t)(x & 1);
			return 0;
		}
	}
	return -EBADMSG;
}

/* The first record at or above min_off with timestamp >= ts. Compressed
 * batches cannot be looked into here: their base offset and max timestamp
 * stand for them. With LogAppendTime every record has the batch time. */
static void batch_find_ts(const uint8_t *b, size_t len, int64_t ts,
			  int64_t min_off, int64_t *off, int64_t *rts)
{
	int64_t base = (int64_t)be_get64(b),
		base_ts = (int64_t)be_get64(b + 27);
	uint16_t attr = be_get16(b + 21);
	const uint8_t *p = b + SEAL_BATCH_MIN, *end = b + len;
	int32_t count = (int32_t)be_get32(b + 57);

	*off = base > min_off ? base : min_off;
	*rts = (int64_t)be_get64(b + 35);
	if (attr & 0x0f)
		return;
	for (int32_t i = 0; i < count && p < end; i++) {
		int64_t rlen, tsd, offd;
		const uint8_t *rec;
		if (varint(&p, end, &rlen) || rlen < 0 || rlen > end - p)
			return;
		rec = p + 1; /* attributes */
		if (varint(&rec, p + rlen, &tsd) ||
		    varint(&rec, p + rlen, &offd))
			return;
		if (base + offd >= min_off && base_ts + tsd >= ts) {
			*off = base + offd;
			*rts = base_ts + tsd;
			return;
		}
		p += rlen;
	}
}

struct ts_state {
	int64_t ts, min_off;
	int64_t off, found_ts;
	bool found;
	uint8_t *scratch;
	size_t cap;
};

static int ts_visit(struct plog *pl, struct segment *s, uint64_t pos,
		    const uint8_t *hdr, const struct seal_hdr *h, void *ctx)
{
	struct ts_state *t = ctx;
	int rc;

	if (h->max_ts < t->ts)
		return 0;
	if (t->cap < h->len + SEAL_TAG_LEN) {
		uint8_t *n = OPENSSL_realloc(t->scratch, h->len + SEAL_TAG_LEN);
		if (!n)
			return -ENOMEM;
		t->scratch = n;
		t->cap = h->len + SEAL_TAG_LEN;
	}
	rc = frame_open(pl, s, pos, hdr, h, t->scratch);
	if (rc)
		return rc;
	batch_find_ts(t->scratch, h->len, t->ts, t->min_off, &t->off,
		      &t->found_ts);
	OPENSSL_cleanse(t->scratch, h->len);
	t->found = true;
	return 1;
}

/* Search segments from first for the first batch with max ts >= ts. */
static int ts_search(struct plog *pl, size_t first, size_t last,
		     struct ts_state *t, int64_t *offset, int64_t *found_ts)
{
	int rc = 0;

	for (size_t i = first; i <= last && i < pl->nseg && !t->found && !rc;
	     i++) {
		struct segment *s = pl->segs[i];
		int64_t from;
		if (s->max_ts < t->ts || s->next <= pl->lso)
			continue;
		rc = plog_index_ensure(pl, s);
		from = seg_time_lookup(s, t->ts);
		if (!rc)
			rc = seg_walk(pl, s,
				      from > t->min_off ? from : t->min_off,
				      ts_visit, t);
		rc = rc == 1 ? 0 : rc;
	}
	OPENSSL_free(t->scratch);
	if (!rc && !t->found)
		rc = -ENOENT;
	if (!rc) {
		*offset = t->off;
		*found_ts = t->found_ts;
	}
	return rc;
}

int plog_offset_for_time(struct plog *pl, int64_t ts, int64_t *offset,
			 int64_t *found_ts)
{
	struct ts_state t = {.ts = ts, .min_off = pl->lso};
	int rc = plog_check(pl);

	if (rc)
		return rc;
	return ts_search(pl, plog_seg_find(pl, pl->lso), SIZE_MAX, &t, offset,
			 found_ts);
}

int plog_max_timestamp(struct plog *pl, int64_t *offset, int64_t *ts)
{
	struct ts_state t = {.min_off = pl->lso};
	size_t best = SIZE_MAX;
	int rc = plog_check(pl);

	if (rc)
		return rc;
	for (size_t i = 0; i < pl->nseg; i++)
		if (pl->segs[i]->frames && pl->segs[i]->next > pl->lso &&
		    (best == SIZE_MAX ||
		     pl->segs[i]->max_ts > pl->segs[best]->max_ts))
			best = i;
	if (best == SIZE_MAX)
		return -ENOENT;
	t.ts = pl->segs[best]->max_ts;
	return ts_search(pl, best, best, &t, offset, ts);
}

/* --- tail scan
 * ------------------------------------------------------------------- */

struct tail_ctx {
	plog_batch_fn fn;
	void *ctx;
};

static int tail_frame(void *ctx, uint64_t pos, const struct seal_hdr *h,
		      const uint8_t *pt, const uint8_t *tag)
{
	struct tail_ctx *t = ctx;

	(void)pos;
	(void)h;
	(void)tag;
	t->fn(t->ctx, pt);
	return 0;
}

int plog_scan_tail(struct plog *pl, plog_batch_fn fn, void *ctx)
{
	struct tail_ctx t = {fn, ctx};
	uint64_t bytes = 0;
	size_t first = pl->nseg;
	int rc = plog_check(pl);

	while (!rc && first > 0 &&
	       (first == pl->nseg || bytes < TAIL_SCAN_BYTES))
		bytes += pl->segs[--first]->data_len;
	for (size_t i = first; !rc && i < pl->nseg; i++) {
		struct segment *s = pl->segs[i];
		struct seg_scan sc = {.fd = s->log->fd,
				      .dek = s->dek,
				      .id = plog_seal_id(pl, s),
				      .dec = pl->dec,
				      .end = s->data_len,
				      .fn = tail_frame,
				      .ctx = &t};
		if (seg_scan_run(&sc) == -EBADMSG)
			rc = plog_corrupt(pl, s, sc.good_end, sc.why);
		else if (sc.err)
			rc = sc.err;
	}
	return rc;
}
