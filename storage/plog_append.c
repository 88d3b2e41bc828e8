/* plog_append.c - appends, segment creation and sealing.
 *
 * Append path (owner thread, no fsync): patch the batch, seal it under the
 * writer segment's data key with the next nonce, pwrite the frame at the
 * segment's end, account it, and queue the file and a HW target for the
 * next group-commit pass (storage.c).
 *
 * Roll (no fsync either): write the footer of the last segment, then
 * create the next segment: a fresh random DEK and nonce start, its .dek
 * sidecar and an empty .log. The sidecar, the old and the new .log and the
 * directory are all synced by the pass that covers the first batch of the
 * new segment, so an acknowledged batch always sits in a segment whose
 * sidecar, directory entry and predecessor's footer are durable. A crash
 * before that pass leaves states recovery recognises (plog.c, steps 3-4).
 */
#include "storage/plog_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/crc32c.h"
#include "base/log.h"
#include "base/be.h"
#include "storage/sio.h"

#define LOGC "Log"

/* Check the v2 header fields storage relies on (the caller validated the
 * batch, but storage trusts nobody with its file format). */
static int batch_parse(const uint8_t *b, size_t len, struct seal_hdr *h)
{
	if (len > SEAL_BATCH_MAX)
		return -EMSGSIZE;
	if (len < SEAL_BATCH_MIN ||
	    (uint64_t)(int32_t)be_get32(b + 8) + 12 != len || b[16] != 2 ||
	    (int32_t)be_get32(b + 23) < 0)
		return -EINVAL;
	h->type = SEAL_BATCH;
	h->len = (uint32_t)len;
	h->last_delta = (int32_t)be_get32(b + 23);
	return 0;
}

static void batch_patch(uint8_t *b, size_t len, int64_t base, int32_t epoch,
			bool log_append_time, int64_t now_ms)
{
	be_put64(b, (uint64_t)base);
	be_put32(b + 12, (uint32_t)epoch);
	if (!log_append_time)
		return;
	be_put16(b + 21, (uint16_t)(be_get16(b + 21) | 0x08));
	be_put64(b + 35, (uint64_t)now_ms);
	be_put32(b + 17, crc32c(0, b + 21, len - 21));
}

/* Write the footer of an unsealed segment. The writer's counter supplies
 * the nonce; a recovered segment (no counter any more) gets a random one:
 * at most a few such frames per key, so the collision chance against the
 * counter range is below 2^-70. */
int plog_seal(struct plog *pl, struct segment *s)
{
	uint8_t pt[SEAL_FOOTER_LEN], frame[SEAL_FOOTER_FRAME];
	struct seal_id id = plog_seal_id(pl, s);
	struct seal_footer f = {.frames = s->frames,
				.base = s->base,
				.next = s->next,
				.data_len = s->data_len,
				.max_ts = s->max_ts,
				.max_ts_offset = s->max_ts_offset};
	struct seal_hdr h = {.type = SEAL_FOOTER,
			     .len = SEAL_FOOTER_LEN,
			     .base_offset = s->base,
			     .max_ts = s->max_ts};
	int rc = 0;

	seg_digest_final(s, f.digest);
	seal_footer_encode(&f, pt);
	if (s->writer) {
		memcpy(h.nonce, s->nonce, SEAL_NONCE_LEN);
		seal_nonce_next(s->nonce);
	} else {
		rc = seal_random(h.nonce, SEAL_NONCE_LEN);
	}
	if (!rc)
		rc = seal_ctx_key(pl->enc, s->dek);
	if (!rc)
		rc = seal_frame_encrypt(pl->enc, &id, &h, pt, frame);
	if (!rc)
		rc = sio_write_all(s->log->fd, frame, sizeof(frame),
				   (off_t)s->data_len);
	if (rc) {
		storage_fail(pl->st, rc, "writing the footer of", s->log->path);
		return rc;
	}
	s->sealed = true;
	EVP_MD_CTX_free(s->digest);
	s->digest = NULL;
	pl->size_bytes += SEAL_FOOTER_FRAME;
	if (seg_index_save(s, pl->dirfd))
		log_warn(LOGC,
			 "[%s] Could not write the index of segment %020" PRId64
			 " (it is rebuilt when needed)",
			 pl->name, s->base);
	storage_sync_file(pl->st, s->log, false);
	storage_sync_target(pl->st, pl, pl->leo);
	return 0;
}

int plog_seal_last(struct plog *pl)
{
	struct segment *s = plog_last(pl);

	if (!s || s->sealed || s->frames == 0)
		return 0;
	return plog_seal(pl, s);
}

static int seg_write_dek(struct plog *pl, struct segment *s)
{
	struct seal_id id = plog_seal_id(pl, s);
	uint8_t raw[SEAL_DEK_MAX];
	char name[32];
	size_t len;
	int rc = seal_dek_wrap(storage_keys(pl->st), &id, s->dek, raw, &len);

	if (rc)
		return rc;
	seg_name(name, s->base, "dek");
	s->dekf = sfile_open(pl->dirfd, pl->dir, name,
			     O_WRONLY | O_CREAT | O_TRUNC, 0600, &rc);
	if (!s->dekf)
		return rc;
	rc = sio_write_all(s->dekf->fd, raw, len, 0);
	if (rc)
		storage_fail(pl->st, rc, "writing", s->dekf->path);
	return rc;
}

/* Fresh key material: DEK and nonce start from the CSPRNG (R6, R13). */
static int seg_keys(struct plog *pl, struct segment *s)
{
	int rc;

	s->dek = CRYPTO_secure_malloc(SEAL_KEY_LEN, __FILE__, __LINE__);
	if (!s->dek)
		return -ENOMEM;
	rc = seal_random(s->dek, SEAL_KEY_LEN);
	if (!rc)
		rc = seal_random(s->nonce, SEAL_NONCE_LEN);
	if (!rc)
		rc = seal_ctx_key(pl->enc, s->dek);
	snprintf(s->key_id, sizeof(s->key_id), "%s",
		 keyring_current(storage_keys(pl->st)));
	return rc;
}

static int plog_seg_create(struct plog *pl, int64_t now_ms)
{
	struct segment *s = seg_new(pl->leo);
	char name[32];
	int rc;

	if (!s)
		return -ENOMEM;
	rc = seg_keys(pl, s);
	if (!rc)
		rc = seg_digest_begin(s);
	if (!rc)
		rc = seg_write_dek(pl, s);
	seg_name(name, s->base, "log");
	if (!rc &&
	    !(s->log = sfile_open(pl->dirfd, pl->dir, name,
				  O_RDWR | O_CREAT | O_TRUNC, 0600, &rc)))
		storage_fail(pl->st, rc, "creating", name);
	if (!rc && pl->nseg == pl->segcap) {
		size_t cap = pl->segcap ? pl->segcap * 2 : 8;
		struct segment **n = realloc(pl->segs, cap * sizeof(*n));
		rc = n ? 0 : -ENOMEM;
		if (n) {
			pl->segs = n;
			pl->segcap = cap;
		}
	}
	if (rc) {
		seg_free(s);
		return rc;
	}
	s->writer = true;
	s->ix_ready = true;
	s->created_ms = now_ms;
	pl->segs[pl->nseg++] = s;
	storage_sync_file(pl->st, s->dekf, false);
	storage_sync_file(pl->st, pl->dirf, true);
	return 0;
}

static bool plog_need_roll(const struct plog *pl, const struct seal_hdr *h,
			   int64_t now_ms)
{
	const struct segment *s = plog_last(pl);

	if (!s || !s->writer || s->sealed)
		return true;
	if (s->frames == 0)
		return false;
	return s->data_len + seal_frame_len(h) + SEAL_FOOTER_FRAME >
		   (uint64_t)pl->cfg.segment_bytes ||
	       (pl->cfg.segment_ms > 0 &&
		now_ms - s->created_ms >= pl->cfg.segment_ms) ||
	       s->enc_count >= PLOG_DEK_MAX_FRAMES ||
	       pl->leo + h->last_delta - s->base > INT32_MAX;
}

static int plog_write_frame(struct plog *pl, struct segment *s,
			    struct seal_hdr *h, const uint8_t *batch)
{
	struct seal_id id = plog_seal_id(pl, s);
	uint64_t flen = seal_frame_len(h), pos = s->data_len;
	uint8_t *f;
	int rc;

	buf_clear(&pl->wbuf);
	f = buf_reserve(&pl->wbuf, flen);
	if (!f)
		return -ENOMEM;
	memcpy(h->nonce, s->nonce, SEAL_NONCE_LEN);
	seal_nonce_next(s->nonce);
	s->enc_count++;
	rc = seal_frame_encrypt(pl->enc, &id, h, batch, f);
	if (!rc)
		rc = sio_write_all(s->log->fd, f, flen, (off_t)pos);
	if (rc) {
		storage_fail(pl->st, rc, "appending to", s->log->path);
		return rc;
	}
	seg_account(s, h, pos, pl->cfg.index_interval_bytes);
	seg_digest_add(s, f + SEAL_HDR_LEN + h->len);
	pl->size_bytes += (int64_t)flen;
	return 0;
}

int plog_append(struct plog *pl, uint8_t *batch, size_t len,
		int32_t leader_epoch, int64_t now_ms, int64_t *base_offset)
{
	struct seal_hdr h;
	int rc = plog_check(pl);

	if (rc)
		return rc;
	rc = batch_parse(batch, len, &h);
	if (rc)
		return rc;
	if (pl->leo > INT64_MAX - h.last_delta - 1)
		return -EOVERFLOW;
	h.base_offset = pl->leo;
	if (plog_need_roll(pl, &h, now_ms)) {
		rc = plog_seal_last(pl);
		if (!rc)
			rc = plog_seg_create(pl, now_ms);
		if (rc)
			return rc;
	}
	batch_patch(batch, len, pl->leo, leader_epoch, pl->cfg.log_append_time,
		    now_ms);
	h.max_ts = (int64_t)be_get64(batch + 35);
	rc = plog_write_frame(pl, plog_last(pl), &h, batch);
	if (rc)
		return rc;
	*base_offset = pl->leo;
	pl->leo = plog_last(pl)->next;
	if (storage_mode(pl->st) == STORAGE_SYNC_ALWAYS) {
		storage_sync_file(pl->st, plog_last(pl)->log, false);
		storage_sync_target(pl->st, pl, pl->leo);
	} else {
		pl->hw = pl->leo;
	}
	return 0;
}
