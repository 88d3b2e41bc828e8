/* plog_trim.c - retention, DeleteRecords and truncation.
 *
 * Each of these first makes the new bounds durable in the checkpoint
 * (storage_ckpt_flush: tmp, fsync, rename, fsync dir) and only then
 * deletes or cuts files, so a crash in between leaves extra data that the
 * next open drops (below the LSO) or that the checkpoint already
 * disowns (above the recovery point) - never a gap recovery would
 * mistake for corruption. These run on the owner thread and do their
 * fsyncs inline: they are rare (a segment deletion, a DeleteRecords call,
 * a replica truncation), unlike appends.
 */
#include "storage/plog_int.h"

#include <errno.h>
#include <inttypes.h>
#include <unistd.h>

#include "base/log.h"
#include "storage/futil.h"
#include "storage/sio.h"

#define LOGC "Log"

static uint64_t seg_bytes(const struct segment *s)
{
	return s->data_len + (s->sealed ? SEAL_FOOTER_FRAME : 0);
}

static bool seg_expired(const struct plog *pl, const struct segment *s,
			int64_t now_ms, int64_t total)
{
	if (s->next > pl->hw) /* never delete what is not yet durable */
		return false;
	if (s->next <= pl->lso)
		return true;
	if (pl->cfg.retention_ms >= 0 && s->max_ts >= 0 &&
	    now_ms - s->max_ts > pl->cfg.retention_ms)
		return true;
	return pl->cfg.retention_bytes >= 0 &&
	       total - (int64_t)seg_bytes(s) >= pl->cfg.retention_bytes;
}

/* Delete segs[0..n) after checkpointing the new log start offset. */
static int plog_drop_front(struct plog *pl, size_t n, const char *why)
{
	int64_t lso = pl->segs[n]->base;
	int rc;

	if (lso > pl->lso) {
		pl->lso = lso;
		pl->ck->lso = lso;
	}
	rc = storage_ckpt_flush(pl->st);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		log_info(LOGC, "[%s] Deleting segment %020" PRId64 " (%s)",
			 pl->name, pl->segs[0]->base, why);
		plog_seg_remove(pl, 0);
	}
	storage_sync_file(pl->st, pl->dirf, true);
	return 0;
}

int plog_retention(struct plog *pl, int64_t now_ms)
{
	struct segment *last = plog_last(pl);
	int64_t total = pl->size_bytes;
	size_t n = 0;
	int rc = plog_check(pl);

	if (rc)
		return rc;
	if (last && last->writer && !last->sealed && last->frames &&
	    pl->cfg.segment_ms > 0 &&
	    now_ms - last->created_ms >= pl->cfg.segment_ms) {
		rc = plog_seal_last(pl); /* the next append opens a new one */
		if (rc)
			return rc;
	}
	while (n + 1 < pl->nseg && seg_expired(pl, pl->segs[n], now_ms, total))
		total -= (int64_t)seg_bytes(pl->segs[n++]);
	if (n == 0)
		return 0;
	rc = plog_drop_front(pl, n, "retention");
	return rc ? rc : (int)n;
}

int plog_delete_records(struct plog *pl, int64_t offset)
{
	size_t n = 0;
	int rc = plog_check(pl);

	if (rc)
		return rc;
	if (offset < 0 || offset > pl->hw)
		return -ERANGE;
	if (offset <= pl->lso)
		return 0;
	pl->lso = offset;
	pl->ck->lso = offset;
	while (n + 1 < pl->nseg && pl->segs[n]->next <= offset)
		n++;
	if (n)
		return plog_drop_front(pl, n, "below the log start offset");
	return storage_ckpt_flush(pl->st);
}

/* Where the batch holding offset starts in s: *pos and its base offset. */
struct cut_state {
	int64_t offset;
	uint64_t pos;
	int64_t base;
};

static int cut_find(struct plog *pl, struct segment *s, struct cut_state *c)
{
	uint64_t pos = 0;
	int64_t next = s->base;

	/* Walk from the start (no index trust needed; truncation is rare). */
	while (pos < s->data_len) {
		uint8_t hdr[SEAL_HDR_LEN];
		struct seal_hdr h;
		size_t got;
		int rc = sio_read_full(s->log->fd, hdr, sizeof(hdr), (off_t)pos,
				       &got);
		if (rc)
			return rc;
		if (got != sizeof(hdr) || seal_hdr_decode(hdr, &h) ||
		    h.type != SEAL_BATCH || h.base_offset != next)
			return plog_corrupt(pl, s, pos,
					    "bad frame while "
					    "truncating");
		next = h.base_offset + h.last_delta + 1;
		if (next > c->offset) {
			c->pos = pos;
			c->base = h.base_offset;
			return 0;
		}
		pos += seal_frame_len(&h);
	}
	c->pos = s->data_len;
	c->base = next;
	return 0;
}

/* Cut s at c->pos; it becomes an unsealed, non-writer last segment. */
static int seg_cut(struct plog *pl, struct segment *s, uint64_t pos)
{
	struct seg_scan sc;
	char name[32];
	int rc;

	pl->size_bytes -= (int64_t)seg_bytes(s);
	rc = sio_ftruncate(s->log->fd, (off_t)pos);
	if (!rc)
		rc = sio_fdatasync(s->log->fd);
	if (rc) {
		storage_fail(pl->st, rc, "truncating", s->log->path);
		return rc;
	}
	seg_name(name, s->base, "index");
	unlinkat(pl->dirfd, name, 0);
	seg_name(name, s->base, "timeindex");
	unlinkat(pl->dirfd, name, 0);
	s->sealed = false;
	s->writer = false; /* I1: a fresh segment takes the next append */
	rc = plog_seg_rescan(pl, s, pos, &sc);
	pl->size_bytes += (int64_t)s->data_len;
	if (!rc && sc.err)
		rc = plog_corrupt(pl, s, sc.good_end, sc.why);
	return rc;
}

static void plog_lower_bounds(struct plog *pl, int64_t leo)
{
	if (pl->lso > leo)
		pl->lso = leo;
	if (pl->hw > leo)
		pl->hw = leo;
	if (pl->synced > leo)
		pl->synced = leo;
	pl->ck->lso = pl->lso;
	if (pl->ck->recovery > leo)
		pl->ck->recovery = leo;
	pl->trunc_epoch++; /* passes in flight no longer move the HW */
	pl->leo = leo;
}

int plog_truncate_to(struct plog *pl, int64_t offset)
{
	struct cut_state c = {.offset = offset};
	size_t i;
	int rc = plog_check(pl);

	if (rc)
		return rc;
	if (offset < pl->lso)
		return -ERANGE;
	if (offset >= pl->leo || !pl->nseg)
		return 0;
	i = plog_seg_find(pl, offset);
	rc = cut_find(pl, pl->segs[i], &c);
	if (!rc) {
		plog_lower_bounds(pl, c.base);
		rc = storage_ckpt_flush(pl->st);
	}
	while (!rc && pl->nseg > i + 1) {
		plog_seg_remove(pl, pl->nseg - 1);
		rc = futil_sync_dir(pl->dirfd);
	}
	if (!rc && c.pos == 0) {
		plog_seg_remove(pl, i);
		rc = futil_sync_dir(pl->dirfd);
	} else if (!rc) {
		rc = seg_cut(pl, pl->segs[i], c.pos);
	}
	if (rc && rc != -EBADMSG && !storage_offline(pl->st))
		storage_fail(pl->st, rc, "truncating", pl->dir);
	log_info(LOGC, "[%s] Truncated to offset %" PRId64, pl->name, pl->leo);
	return rc;
}
