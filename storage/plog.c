/* plog.c - partition log: open and recovery, close, delete, accessors.
 *
 * The partition log and its durability invariants:
 *
 *   segs[0] .. segs[n-2]  sealed: authenticated footer, read-only
 *   segs[n-1]             the last segment: sealed, or "open" (no footer:
 *                         being written by this process (writer), or
 *                         recovered from a previous one and never
 *                         written again)
 *
 *   I1  A segment is written only by the process that created it, under a
 *       data key generated for that creation (R6): after open, appends go
 *       to a new segment at the LEO; the recovered last segment is sealed
 *       when that happens (plog_append.c).
 *   I2  LSO <= HW <= LEO; HW <= synced in STORAGE_SYNC_ALWAYS mode.
 *   I3  Every segment but the last has a valid footer; offsets are
 *       contiguous across frames and segments (checked on every scan and
 *       read).
 *   I4  Only an unsealed last segment may end in a torn frame, and only
 *       above the checkpointed recovery point; anything else that fails
 *       a check is corruption: status = -EBADMSG, logged with file and
 *       byte, nothing served (plog_corrupt).
 *
 * Recovery at open (plog_recover), in order:
 *   1. list the directory; delete *.tmp and orphan index files
 *   2. delete segments wholly below the checkpointed LSO (retention that
 *      crashed after its checkpoint)
 *   3. while the last segment is incomplete (no .log, empty .log, no or
 *      zero-filled .dek: a crash while creating it) and nothing at or
 *      above its base was durable: delete it
 *   4. check every other segment's sidecar and footer; a missing footer on
 *      the second-to-last segment with a removable last segment is a crash
 *      mid-roll: drop the last, recover the former as open
 *   5. scan the open last segment: truncate a torn tail, rebuild its index
 *   6. LEO >= recovery point and first base <= LSO, else corruption
 *
 * Transitions: open -> plog_recover; append/roll -> plog_append.c;
 * read -> plog_read.c; retention/delete_records/truncate -> plog_trim.c.
 */
#include "storage/plog_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/log.h"
#include "storage/futil.h"
#include "storage/sio.h"

#define LOGC "Log"
#define META_FILE "partition.metadata"

enum { HAS_LOG = 1, HAS_DEK = 2 };

/* --- small helpers -------------------------------------------------------- */

int plog_check(const struct plog *pl)
{
	if (pl->status)
		return pl->status;
	return storage_offline(pl->st) ? -EROFS : 0;
}

int plog_status(const struct plog *pl)
{
	return plog_check(pl);
}

int plog_corrupt(struct plog *pl, const struct segment *s, uint64_t pos,
		 const char *why)
{
	if (!pl->status)
		log_error(LOGC,
			  "[%s] Corruption in %s/%020" PRId64 ".log at "
			  "byte %" PRIu64 ": %s. The partition is offline "
			  "(KAFKA_STORAGE_ERROR); nothing of it is served",
			  pl->name, pl->dir, s ? s->base : pl->leo, pos, why);
	pl->status = -EBADMSG;
	return -EBADMSG;
}

size_t plog_seg_find(const struct plog *pl, int64_t offset)
{
	size_t lo = 0, hi = pl->nseg;

	while (lo < hi) { /* first segment with base > offset */
		size_t mid = lo + (hi - lo) / 2;
		if (pl->segs[mid]->base <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : 0;
}

static uint64_t seg_file_len(const struct segment *s)
{
	return s->data_len + (s->sealed ? SEAL_FOOTER_FRAME : 0);
}

static void seg_unlink(struct plog *pl, int64_t base)
{
	static const char *const exts[] = {"log", "dek", "index", "timeindex"};
	char name[32];

	for (size_t i = 0; i < 4; i++) {
		seg_name(name, base, exts[i]);
		unlinkat(pl->dirfd, name, 0);
	}
}

int plog_seg_remove(struct plog *pl, size_t i)
{
	struct segment *s = pl->segs[i];

	seg_unlink(pl, s->base);
	pl->size_bytes -= (int64_t)seg_file_len(s);
	memmove(&pl->segs[i], &pl->segs[i + 1],
		(pl->nseg - i - 1) * sizeof(*pl->segs));
	pl->nseg--;
	seg_free(s);
	return 0;
}

static int plog_seg_push(struct plog *pl, struct segment *s)
{
	if (pl->nseg == pl->segcap) {
		size_t cap = pl->segcap ? pl->segcap * 2 : 8;
		struct segment **n = realloc(pl->segs, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		pl->segs = n;
		pl->segcap = cap;
	}
	pl->segs[pl->nseg++] = s;
	return 0;
}

static void plog_config_apply(struct plog *pl, const struct plog_config *cfg)
{
	pl->cfg = *cfg;
	if (pl->cfg.segment_bytes <= 0 || pl->cfg.segment_bytes > INT32_MAX)
		pl->cfg.segment_bytes =
		    pl->cfg.segment_bytes <= 0 ? (int64_t)1 << 30 : INT32_MAX;
	if (pl->cfg.index_interval_bytes <= 0)
		pl->cfg.index_interval_bytes = 4096;
}

void plog_set_config(struct plog *pl, const struct plog_config *cfg)
{
	plog_config_apply(pl, cfg);
}

void plog_offsets(const struct plog *pl, struct plog_offsets *out)
{
	out->log_start_offset = pl->lso;
	out->high_watermark = pl->hw;
	out->log_end_offset = pl->leo;
	out->size_bytes = pl->size_bytes;
}

void plog_synced(struct plog *pl, int64_t offset, uint64_t epoch)
{
	if (epoch != pl->trunc_epoch)
		return;
	if (offset > pl->leo)
		offset = pl->leo;
	if (offset <= pl->synced)
		return;
	pl->synced = offset;
	pl->ck->recovery = offset;
	storage_ckpt_touch(pl->st);
	if (storage_mode(pl->st) == STORAGE_SYNC_ALWAYS && offset > pl->hw)
		pl->hw = offset;
}

/* --- partition.metadata (Kafka's format: version, topic_id base64url) ----- */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void uuid_encode(const uint8_t id[16], char out[23])
{
	for (int i = 0; i < 22; i++) {
		int bit = i * 6, byte = bit / 8, shift = bit % 8;
		unsigned v = (unsigned)id[byte] << 8 |
			     (byte + 1 < 16 ? id[byte + 1] : 0);
		out[i] = b64[(v >> (10 - shift)) & 63];
	}
	out[22] = '\0';
}

static int meta_write(struct plog *pl)
{
	char text[80], uuid[23];

	uuid_encode(pl->topic_id, uuid);
	snprintf(text, sizeof(text), "version: 0\ntopic_id: %s\n", uuid);
	return futil_replace(pl->dirfd, META_FILE, text, strlen(text), 0600);
}

/* 0 when the file names our topic id, -ENOENT, -EBADMSG otherwise. */
static int meta_check(struct plog *pl)
{
	char uuid[23], *p;
	uint8_t *text = NULL;
	size_t len;
	int rc = futil_read(pl->dirfd, META_FILE, 4096, &text, &len);

	if (rc)
		return rc == -ENOENT ? rc : -EBADMSG;
	uuid_encode(pl->topic_id, uuid);
	p = strstr((char *)text, "topic_id: ");
	rc = p && strncmp(p + 10, uuid, 22) == 0 &&
		     (p[32] == '\n' || p[32] == '\0')
		 ? 0
		 : -EBADMSG;
	if (rc)
		log_error(LOGC,
			  "[%s] %s/%s names another topic id than %s: the "
			  "directory belongs to another topic; not served",
			  pl->name, pl->dir, META_FILE, uuid);
	free(text);
	return rc;
}

/* Open or create the directory. Returns 0, -EBADMSG (not ours), -errno. */
static int plog_dir_open(struct plog *pl)
{
	int sfd = storage_dir_fd(pl->st), rc = 0;

	pl->dirfd = openat(sfd, pl->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pl->dirfd < 0 && errno == ENOENT) {
		if (pl->ck->recovery > 0 || pl->ck->lso > 0)
			rc = -EBADMSG;
		if (mkdirat(sfd, pl->name, 0700) < 0 && errno != EEXIST)
			return -errno;
		pl->dirfd =
		    openat(sfd, pl->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pl->dirfd < 0)
			return -errno;
		if (!rc)
			rc = meta_write(pl);
		if (!rc)
			rc = futil_sync_dir(sfd);
		if (rc == -EBADMSG)
			plog_corrupt(pl, NULL, 0,
				     "the partition directory is "
				     "missing but the checkpoint says data was "
				     "durable");
		return rc;
	}
	if (pl->dirfd < 0)
		return -errno;
	rc = meta_check(pl);
	if (rc == -ENOENT) {
		log_warn(LOGC, "[%s] %s had no %s; writing it", pl->name,
			 pl->dir, META_FILE);
		rc = meta_write(pl);
	}
	if (rc == -EBADMSG) {
		pl->status = -EBADMSG;
		pl->foreign = true;
	}
	return rc;
}

/* --- recovery ------------------------------------------------------------- */

struct cand {
	int64_t base;
	unsigned has;
};

static int cand_cmp(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	return x->base < y->base ? -1 : x->base > y->base;
}

static int cand_add(struct cand **c, size_t *n, size_t *cap, int64_t base,
		    unsigned bit)
{
	for (size_t i = 0; i < *n; i++)
		if ((*c)[i].base == base) {
			(*c)[i].has |= bit;
			return 0;
		}
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct cand *p = realloc(*c, nc * sizeof(*p));
		if (!p)
			return -ENOMEM;
		*c = p;
		*cap = nc;
	}
	(*c)[(*n)++] = (struct cand){base, bit};
	return 0;
}

/* List segment files; delete leftovers (.tmp). Sorted by base. */
static int plog_list(struct plog *pl, struct cand **out, size_t *count)
{
	int fd = dup(pl->dirfd), rc = 0;
	size_t cap = 0;
	struct dirent *e;
	DIR *d;

	*out = NULL;
	*count = 0;
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while (!rc && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		int64_t base;
		const char *ext = seg_name_parse(e->d_name, &base);
		if (n > 4 && !strcmp(e->d_name + n - 4, ".tmp"))
			unlinkat(pl->dirfd, e->d_name, 0);
		else if (ext && !strcmp(ext, "log"))
			rc = cand_add(out, count, &cap, base, HAS_LOG);
		else if (ext && !strcmp(ext, "dek"))
			rc = cand_add(out, count, &cap, base, HAS_DEK);
	}
	closedir(d);
	if (!rc && *count)
		qsort(*out, *count, sizeof(**out), cand_cmp);
	return rc;
}

static int plog_build(struct plog *pl, const struct cand *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct segment *s = seg_new(c[i].base);
		int rc = s ? plog_seg_push(pl, s) : -ENOMEM;
		if (rc) {
			seg_free(s);
			return rc;
		}
		s->sealed = false;
		s->frames = c[i].has; /* scratch: HAS_* until loaded */
	}
	return 0;
}

/* Open the .log and unwrap the .dek. -ENODATA when either is absent,
 * empty or zero-filled (what a crash while creating leaves), -EBADMSG /
 * -ENOKEY otherwise (corruption, or a key the key file lacks). */
static int seg_load(struct plog *pl, struct segment *s, uint64_t *file_len)
{
	struct seal_id id = plog_seal_id(pl, s);
	unsigned has = s->frames;
	uint8_t *raw = NULL;
	char name[32];
	struct stat sb;
	size_t len;
	int rc;

	s->frames = 0;
	if (!(has & HAS_LOG) || !(has & HAS_DEK))
		return -ENODATA;
	seg_name(name, s->base, "log");
	s->log = sfile_open(pl->dirfd, pl->dir, name, O_RDWR, 0, &rc);
	if (!s->log)
		return rc;
	if (fstat(s->log->fd, &sb) < 0)
		return -errno;
	*file_len = (uint64_t)sb.st_size;
	if (sb.st_size == 0)
		return -ENODATA;
	seg_name(name, s->base, "dek");
	rc = futil_read(pl->dirfd, name, SEAL_DEK_MAX, &raw, &len);
	if (rc)
		return rc == -ENOENT ? -ENODATA : rc == -EFBIG ? -EBADMSG : rc;
	s->dek = CRYPTO_secure_malloc(SEAL_KEY_LEN, __FILE__, __LINE__);
	rc = s->dek ? seal_dek_unwrap(storage_keys(pl->st), &id, raw, len,
				      s->dek, s->key_id)
		    : -ENOMEM;
	free(raw);
	return rc;
}

static int seg_load_fail(struct plog *pl, struct segment *s, int rc)
{
	char why[160];

	if (rc == -ENOMEM)
		return rc;
	if (rc == -ENOKEY)
		snprintf(why, sizeof(why),
			 "data key wrapped with key id %s, "
			 "which %s does not hold",
			 s->key_id, keyring_path(storage_keys(pl->st)));
	else
		snprintf(why, sizeof(why), "%s",
			 rc == -ENODATA	  ? "the .log or its .dek sidecar is "
					    "missing or empty"
			 : rc == -EBADMSG ? "the .dek sidecar failed "
					    "authentication (wrong key, "
					    "tampered, or moved from another "
					    "segment)"
					  : strerror(-rc));
	return plog_corrupt(pl, s, 0, why);
}

/* Nothing at or above s's base was durable: a crash may have left it. */
static bool seg_removable(const struct plog *pl, const struct segment *s)
{
	return pl->ck->recovery <= s->base;
}

static int plog_drop_last(struct plog *pl, const char *why)
{
	struct segment *s = plog_last(pl);

	log_warn(LOGC,
		 "[%s] Removing segment %020" PRId64 " (%s); it held "
		 "nothing acknowledged",
		 pl->name, s->base, why);
	return plog_seg_remove(pl, pl->nseg - 1);
}

/* Step 3: incomplete last segments left by a crash. */
static int plog_trim_incomplete(struct plog *pl, uint64_t *last_len,
				bool *removed)
{
	while (pl->nseg) {
		struct segment *s = plog_last(pl);
		int rc = seg_load(pl, s, last_len);
		if (rc != -ENODATA)
			return rc ? seg_load_fail(pl, s, rc) : 0;
		if (!seg_removable(pl, s))
			return seg_load_fail(pl, s, rc);
		plog_drop_last(pl, "left incomplete by a crash");
		*removed = true;
	}
	return 0;
}

static void seg_from_footer(struct segment *s, const struct seal_footer *f)
{
	s->sealed = true;
	s->next = f->next;
	s->frames = f->frames;
	s->data_len = f->data_len;
	s->max_ts = f->max_ts;
	s->max_ts_offset = f->max_ts_offset;
}

/* Step 4 for segs[i], i < nseg - 1. Returns 1 when the last segment was
 * dropped as a crash mid-roll (segs[i] is now the last, unsealed). */
static int plog_check_sealed(struct plog *pl, size_t i, uint64_t *last_len)
{
	struct segment *s = pl->segs[i];
	struct seal_id id = plog_seal_id(pl, s);
	struct seal_footer f;
	uint64_t len = 0;
	int rc = seg_load(pl, s, &len);

	if (rc)
		return seg_load_fail(pl, s, rc);
	rc = seg_footer_read(s->log->fd, s->dek, &id, pl->dec, len, &f);
	if (rc && i == pl->nseg - 2 && seg_removable(pl, plog_last(pl))) {
		plog_drop_last(pl, "a roll interrupted by a crash");
		*last_len = len;
		return 1;
	}
	if (rc)
		return plog_corrupt(pl, s, len,
				    rc == -EBADMSG
					? "footer failed authentication "
					  "or does not match the file"
					: "sealed segment has no footer "
					  "(truncated or cut)");
	if (f.next != pl->segs[i + 1]->base)
		return plog_corrupt(pl, s, len,
				    "the next segment does not "
				    "start where this one ends");
	seg_from_footer(s, &f);
	pl->size_bytes += (int64_t)len;
	return 0;
}

struct rescan_ctx {
	struct plog *pl;
	struct segment *s;
};

static int rescan_frame(void *ctx, uint64_t pos, const struct seal_hdr *h,
			const uint8_t *pt, const uint8_t *tag)
{
	struct rescan_ctx *c = ctx;

	(void)pt;
	seg_account(c->s, h, pos, c->pl->cfg.index_interval_bytes);
	seg_digest_add(c->s, tag);
	return 0;
}

int plog_seg_rescan(struct plog *pl, struct segment *s, uint64_t file_len,
		    struct seg_scan *sc)
{
	struct rescan_ctx c = {pl, s};
	int rc;

	seg_index_reset(s);
	rc = seg_digest_begin(s);
	if (rc)
		return rc;
	*sc = (struct seg_scan){.fd = s->log->fd,
				.dek = s->dek,
				.id = plog_seal_id(pl, s),
				.dec = pl->dec,
				.end = file_len,
				.fn = rescan_frame,
				.ctx = &c};
	seg_scan_run(sc);
	s->ix_ready = true;
	return sc->err == -EBADMSG ? 0 : sc->err;
}

/* Step 5: the unsealed last segment. */
static int plog_recover_open(struct plog *pl, struct segment *s, uint64_t len)
{
	struct seg_scan sc;
	int rc = plog_seg_rescan(pl, s, len, &sc);

	if (rc)
		return rc;
	if (sc.footer) {
		s->sealed = true;
		EVP_MD_CTX_free(s->digest);
		s->digest = NULL;
	} else if (sc.err) {
		if (sc.next < pl->ck->recovery)
			return plog_corrupt(pl, s, sc.good_end, sc.why);
		log_warn(LOGC,
			 "[%s] Truncating the torn tail of %s/%020" PRId64
			 ".log at byte %" PRIu64 " (%" PRIu64 " bytes: %s)",
			 pl->name, pl->dir, s->base, sc.good_end,
			 len - sc.good_end, sc.why);
		rc = sio_ftruncate(s->log->fd, (off_t)sc.good_end);
	}
	if (!rc && !s->sealed)
		rc = sio_fdatasync(s->log->fd);
	if (rc)
		storage_fail(pl->st, rc, "recovering", s->log->path);
	pl->size_bytes += (int64_t)seg_file_len(s);
	return rc;
}

static int plog_recover_last(struct plog *pl, uint64_t len, bool *removed)
{
	struct segment *s = plog_last(pl);
	struct seal_id id = plog_seal_id(pl, s);
	struct seal_footer f;
	int rc = seg_footer_read(s->log->fd, s->dek, &id, pl->dec, len, &f);

	if (rc == 0) {
		seg_from_footer(s, &f);
		pl->size_bytes += (int64_t)len;
		return 0;
	}
	rc = plog_recover_open(pl, s, len);
	if (rc || pl->status || s->frames || !seg_removable(pl, s))
		return rc;
	plog_drop_last(pl, "no complete frame");
	*removed = true;
	return 0;
}

static int plog_check_bounds(struct plog *pl)
{
	struct segment *first = pl->nseg ? pl->segs[0] : NULL;
	char why[160];

	pl->leo = pl->nseg ? plog_last(pl)->next : pl->ck->lso;
	if (first && pl->ck->known && first->base > pl->ck->lso) {
		snprintf(why, sizeof(why),
			 "the log starts at %" PRId64
			 " but its start offset is %" PRId64 ": segments are "
			 "missing",
			 first->base, pl->ck->lso);
		return plog_corrupt(pl, first, 0, why);
	}
	if (pl->leo < pl->ck->recovery) {
		snprintf(why, sizeof(why),
			 "the log ends at %" PRId64 " below "
			 "its recovery point %" PRId64 ": acknowledged data is "
			 "missing",
			 pl->leo, pl->ck->recovery);
		return plog_corrupt(pl, plog_last(pl), 0, why);
	}
	pl->lso = pl->ck->lso;
	if (first && first->base > pl->lso)
		pl->lso = first->base;
	if (pl->lso > pl->leo)
		pl->lso = pl->leo;
	pl->hw = pl->synced = pl->leo;
	if (pl->ck->lso != pl->lso || pl->ck->recovery != pl->leo ||
	    !pl->ck->known)
		storage_ckpt_touch(pl->st);
	pl->ck->lso = pl->lso;
	pl->ck->recovery = pl->leo;
	pl->ck->known = true;
	return 0;
}

/* Step 2: segments wholly below the checkpointed LSO. */
static void plog_drop_below_lso(struct plog *pl, bool *removed)
{
	while (pl->nseg >= 2 && pl->segs[1]->base <= pl->ck->lso) {
		log_info(LOGC,
			 "[%s] Deleting segment %020" PRId64 " below the "
			 "log start offset %" PRId64,
			 pl->name, pl->segs[0]->base, pl->ck->lso);
		plog_seg_remove(pl, 0);
		*removed = true;
	}
}

static int plog_recover(struct plog *pl)
{
	struct cand *c;
	size_t n;
	uint64_t last_len = 0;
	bool removed = false;
	int rc = plog_list(pl, &c, &n);

	if (!rc)
		rc = plog_build(pl, c, n);
	free(c);
	if (!rc)
		plog_drop_below_lso(pl, &removed);
	if (!rc)
		rc = plog_trim_incomplete(pl, &last_len, &removed);
	for (size_t i = 0; !rc && !pl->status && i + 1 < pl->nseg; i++) {
		int r = plog_check_sealed(pl, i, &last_len);
		if (r == 1) {
			removed = true;
			break;
		}
		rc = r;
	}
	if (!rc && !pl->status && pl->nseg)
		rc = plog_recover_last(pl, last_len, &removed);
	if (!rc && removed)
		rc = futil_sync_dir(pl->dirfd);
	if (!rc && !pl->status)
		rc = plog_check_bounds(pl);
	return rc == -EBADMSG ? 0 : rc;
}

/* --- open / close / delete ------------------------------------------------ */

static struct plog *plog_alloc(struct storage *st, const char *name,
			       const uint8_t topic_id[16], int32_t partition,
			       const struct plog_config *cfg)
{
	struct plog *pl = calloc(1, sizeof(*pl));
	size_t n = strlen(storage_dir(st)) + strlen(name) + 2;

	if (!pl)
		return NULL;
	pl->st = st;
	pl->dirfd = -1;
	pl->partition = partition;
	memcpy(pl->topic_id, topic_id, 16);
	plog_config_apply(pl, cfg);
	buf_init(&pl->wbuf, 0);
	pl->name = strdup(name);
	pl->dir = malloc(n);
	pl->enc = seal_ctx_new(true);
	pl->dec = seal_ctx_new(false);
	if (pl->dir)
		snprintf(pl->dir, n, "%s/%s", storage_dir(st), name);
	return pl;
}

static void plog_free(struct plog *pl)
{
	for (size_t i = 0; i < pl->nseg; i++)
		seg_free(pl->segs[i]);
	free(pl->segs);
	sfile_unref(pl->dirf);
	if (pl->dirfd >= 0)
		close(pl->dirfd);
	EVP_CIPHER_CTX_free(pl->enc);
	EVP_CIPHER_CTX_free(pl->dec);
	if (pl->wbuf.data)
		OPENSSL_cleanse(pl->wbuf.data, pl->wbuf.cap);
	buf_fini(&pl->wbuf);
	free(pl->name);
	free(pl->dir);
	free(pl);
}

static int plog_start(struct plog *pl)
{
	int rc;

	if (!pl->name || !pl->dir || !pl->enc || !pl->dec)
		return -ENOMEM;
	pl->ck = storage_ckpt_get(pl->st, pl->topic_id, pl->partition, true);
	if (!pl->ck)
		return -ENOMEM;
	rc = plog_dir_open(pl);
	if (rc)
		return rc == -EBADMSG ? 0 : rc;
	pl->dirf =
	    sfile_open(pl->dirfd, pl->dir, ".", O_RDONLY | O_DIRECTORY, 0, &rc);
	if (!pl->dirf)
		return rc;
	return plog_recover(pl);
}

int plog_open(struct storage *st, const char *topic, const uint8_t topic_id[16],
	      int32_t partition, const struct plog_config *cfg,
	      struct plog **out)
{
	char name[300];
	struct plog *pl;
	int rc = storage_part_name(topic, partition, name, sizeof(name));

	if (rc)
		return rc;
	if (storage_offline(st))
		return -EROFS;
	pl = plog_alloc(st, name, topic_id, partition, cfg);
	if (!pl)
		return -ENOMEM;
	rc = plog_start(pl);
	if (rc == -EIO || rc == -ENOSPC) {
		storage_fail(st, rc, "recovering", pl->dir);
		rc = 0;
	}
	if (rc) {
		log_error(LOGC, "[%s] Cannot open %s: %s", name,
			  pl->dir ? pl->dir : name, strerror(-rc));
		plog_free(pl);
		return rc;
	}
	storage_plog_add(st, pl);
	if (!pl->status)
		log_info(LOGC,
			 "[%s] Loaded %zu segments, log start offset %" PRId64
			 ", log end offset %" PRId64,
			 name, pl->nseg, pl->lso, pl->leo);
	*out = pl;
	return 0;
}

/* A clean close seals what this process wrote, so the next open needs no
 * scan and a later cut of the last segment is caught by its footer. */
static void plog_close_flush(struct plog *pl)
{
	struct segment *s = plog_last(pl);
	int rc = 0;

	if (plog_check(pl) || !s || !s->writer || s->sealed)
		return;
	rc = plog_seal(pl, s);
	if (!rc && (rc = sio_fdatasync(s->log->fd)))
		storage_fail(pl->st, rc, "fdatasyncing", s->log->path);
	if (!rc && s->dekf && (rc = sio_fdatasync(s->dekf->fd)))
		storage_fail(pl->st, rc, "fdatasyncing", s->dekf->path);
	if (!rc && (rc = futil_sync_dir(pl->dirfd)))
		storage_fail(pl->st, rc, "fsyncing directory", pl->dir);
	if (!rc)
		plog_synced(pl, pl->leo, pl->trunc_epoch);
}

void plog_close(struct plog *pl)
{
	if (!pl)
		return;
	plog_close_flush(pl);
	storage_plog_del(pl->st, pl);
	plog_free(pl);
}

int plog_delete(struct plog *pl)
{
	struct storage *st = pl->st;
	int sfd = storage_dir_fd(st), rc;
	char del[400], hex[33];

	if (pl->foreign) { /* never delete another topic's data */
		log_warn(LOGC,
			 "[%s] Not deleting %s: it belongs to another "
			 "topic id",
			 pl->name, pl->dir);
		storage_plog_del(st, pl);
		plog_free(pl);
		return 0;
	}
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", pl->topic_id[i]);
	snprintf(del, sizeof(del), "%s.%s-delete", pl->name, hex);
	rc = renameat(sfd, pl->name, sfd, del) < 0 ? -errno : 0;
	if (!rc)
		rc = futil_sync_dir(sfd);
	if (!rc)
		rc = futil_remove_tree(sfd, del);
	if (rc)
		log_error(LOGC,
			  "[%s] Deleting %s failed: %s (leftovers are "
			  "removed at the next start)",
			  pl->name, pl->dir, strerror(-rc));
	storage_ckpt_drop(st, pl->ck);
	storage_plog_del(st, pl);
	plog_free(pl);
	return rc;
}
