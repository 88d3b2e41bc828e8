/* storage.c - a log directory: keyring, group commit, checkpoints.
 *
 * Group commit, as a state machine per sync pass:
 *
 *   owner: append ──▶ pending pass (files to sync, HW targets) ──kick──┐
 *                                                                      ▼
 *   sync thread:                 queued ──▶ fdatasync every file ──▶ done
 *                                                                      │
 *   owner: storage_poll() ◀── notify fd (chan eventfd) ◀────────────────┘
 *          targets applied (HW), next pending pass submitted
 *
 * Invariants:
 *   1. At most one pass is queued or running (st->busy); appends made
 *      meanwhile gather in st->pending, so one fdatasync per file covers
 *      every batch appended while the previous sync ran.
 *   2. A target (plog, offset) is applied only when every file of its
 *      pass synced successfully; offsets were written before the pass was
 *      queued, so the fdatasync is ordered after the pwrite.
 *   3. The first failed sync or write takes the directory offline:
 *      st->offline is set, logged once, never cleared; later passes sync
 *      nothing and report -EROFS. Nothing is retried (fsyncgate).
 *   4. The checkpoint file holds, per partition, a recovery point at or
 *      below what is durable, and the durable log start offset. Writes are
 *      serialised by ckpt_mu and ordered by generation, so an older
 *      snapshot never overwrites a newer one.
 */
#include "storage/storage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/chan.h"
#include "base/clock.h"
#include "base/crc32c.h"
#include "base/log.h"
#include "storage/futil.h"
#include "storage/plog_int.h"
#include "storage/seal.h"
#include "storage/sio.h"
#include "storage/storage_int.h"

#define LOGC "LogManager"
#define CKPT_FILE "sealog-checkpoint"
#define CKPT_INTERVAL_MS 1000
#define CKPT_MAX (64u << 20)

struct sync_item {
	struct sfile *f;
	bool dir;
};

struct sync_target {
	uint64_t plog_id;
	uint64_t epoch;
	int64_t offset;
};

struct sync_pass {
	struct chan_node node;
	struct sync_item *items;
	size_t count, cap;
	struct sync_target *targets;
	size_t tcount, tcap;
	struct buf ckpt; /* checkpoint bytes to write after the syncs */
	uint64_t ckpt_gen;
	int err;
};

struct storage {
	char *dir;
	int dirfd;
	int lockfd;
	enum storage_sync_mode mode;
	struct keyring *keys;
	atomic_bool offline;
	/* sync thread */
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sync_pass *queued; /* under mu */
	bool stop;		  /* under mu */
	struct chan done;	  /* finished passes; its fd is the notify fd */
	bool chan_ready;
	/* owner thread */
	bool busy;
	struct sync_pass *pending;
	uint64_t pass_gen;
	struct hmap plogs; /* id -> plog */
	uint64_t next_plog_id;
	/* checkpoint */
	struct hmap ckpts; /* (topic id, partition) -> storage_ckpt */
	bool ckpt_dirty;
	int64_t ckpt_next_ms;
	uint64_t ckpt_gen;
	pthread_mutex_t ckpt_mu;
	uint64_t ckpt_written; /* under ckpt_mu */
};

/* --- sfile ---------------------------------------------------------------- */

struct sfile *sfile_open(int dirfd, const char *dir, const char *name,
			 int flags, mode_t mode, int *err)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	struct sfile *f = malloc(sizeof(*f) + n);

	if (!f) {
		*err = -ENOMEM;
		return NULL;
	}
	f->fd = openat(dirfd, name, flags | O_CLOEXEC, mode);
	if (f->fd < 0) {
		*err = -errno;
		free(f);
		return NULL;
	}
	atomic_init(&f->refs, 1);
	f->gen = 0;
	snprintf(f->path, n, "%s/%s", dir, name);
	return f;
}

struct sfile *sfile_ref(struct sfile *f)
{
	atomic_fetch_add(&f->refs, 1);
	return f;
}

void sfile_unref(struct sfile *f)
{
	if (f && atomic_fetch_sub(&f->refs, 1) == 1) {
		close(f->fd);
		free(f);
	}
}

/* --- small accessors ------------------------------------------------------ */

struct keyring *storage_keys(const struct storage *st)
{
	return st->keys;
}
int storage_dir_fd(const struct storage *st)
{
	return st->dirfd;
}
enum storage_sync_mode storage_mode(const struct storage *st)
{
	return st->mode;
}
bool storage_offline(const struct storage *st)
{
	return atomic_load(&((struct storage *)st)->offline);
}
const char *storage_dir(const struct storage *st)
{
	return st->dir;
}
int storage_notify_fd(const struct storage *st)
{
	return chan_fd(&st->done);
}

void storage_fail(struct storage *st, int err, const char *what,
		  const char *path)
{
	if (atomic_exchange(&st->offline, true))
		return;
	log_error(LOGC,
		  "Error while %s %s: %s. Taking log directory %s "
		  "offline: every partition in it now fails with "
		  "KAFKA_STORAGE_ERROR until the broker is restarted",
		  what, path, strerror(err < 0 ? -err : err), st->dir);
}

int storage_part_name(const char *topic, int32_t partition, char *out,
		      size_t cap)
{
	size_t n = strlen(topic);

	if (n == 0 || n > 249 || !strcmp(topic, ".") || !strcmp(topic, "..") ||
	    partition < 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = topic[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return -EINVAL;
	}
	if (snprintf(out, cap, "%s-%d", topic, partition) >= (int)cap)
		return -ENAMETOOLONG;
	return 0;
}

/* --- passes (owner side) -------------------------------------------------- */

static struct sync_pass *pass_get(struct storage *st)
{
	if (!st->pending) {
		st->pending = calloc(1, sizeof(*st->pending));
		if (st->pending)
			buf_init(&st->pending->ckpt, CKPT_MAX);
	}
	return st->pending;
}

static void pass_free(struct sync_pass *p)
{
	for (size_t i = 0; i < p->count; i++)
		sfile_unref(p->items[i].f);
	free(p->items);
	free(p->targets);
	buf_fini(&p->ckpt);
	free(p);
}

static bool grow(void **arr, size_t *cap, size_t count, size_t size)
{
	void *n;
	size_t c;

	if (count < *cap)
		return true;
	c = *cap ? *cap * 2 : 16;
	n = realloc(*arr, c * size);
	if (!n)
		return false;
	*arr = n;
	*cap = c;
	return true;
}

void storage_sync_file(struct storage *st, struct sfile *f, bool dir)
{
	struct sync_pass *p = pass_get(st);

	if (f->gen == st->pass_gen + 1 && p && p->count)
		return; /* already in this pass */
	if (!p ||
	    !grow((void **)&p->items, &p->cap, p->count, sizeof(*p->items))) {
		storage_fail(st, -ENOMEM, "queueing a sync of", f->path);
		return;
	}
	f->gen = st->pass_gen + 1;
	p->items[p->count].f = sfile_ref(f);
	p->items[p->count].dir = dir;
	p->count++;
}

void storage_sync_target(struct storage *st, struct plog *pl, int64_t offset)
{
	struct sync_pass *p = pass_get(st);
	struct sync_target *t;

	if (pl->target_gen == st->pass_gen + 1 && p && p->tcount) {
		t = &p->targets[pl->target_idx];
		if (t->plog_id == pl->id && t->epoch == pl->trunc_epoch) {
			t->offset = offset;
			return;
		}
	}
	if (!p || !grow((void **)&p->targets, &p->tcap, p->tcount,
			sizeof(*p->targets))) {
		storage_fail(st, -ENOMEM, "queueing a sync for", pl->dir);
		return;
	}
	pl->target_gen = st->pass_gen + 1;
	pl->target_idx = p->tcount;
	p->targets[p->tcount++] =
	    (struct sync_target){pl->id, pl->trunc_epoch, offset};
}

/* --- checkpoint ----------------------------------------------------------- */

static uint64_t ckpt_hash(const uint8_t id[16], int32_t partition)
{
	return hmap_hash_bytes(id, 16) ^ hmap_hash_u64((uint64_t)partition);
}

struct storage_ckpt *storage_ckpt_get(struct storage *st,
				      const uint8_t topic_id[16],
				      int32_t partition, bool create)
{
	uint64_t h = ckpt_hash(topic_id, partition);
	struct storage_ckpt *ck;

	for (struct hmap_node *n = hmap_first(&st->ckpts, h); n;
	     n = hmap_next(n, h)) {
		ck = container_of(n, struct storage_ckpt, hnode);
		if (ck->partition == partition &&
		    memcmp(ck->topic_id, topic_id, 16) == 0)
			return ck;
	}
	if (!create || !(ck = calloc(1, sizeof(*ck))))
		return NULL;
	memcpy(ck->topic_id, topic_id, 16);
	ck->partition = partition;
	hmap_insert(&st->ckpts, &ck->hnode, h);
	return ck;
}

void storage_ckpt_drop(struct storage *st, struct storage_ckpt *ck)
{
	hmap_remove(&st->ckpts, &ck->hnode);
	free(ck);
	storage_ckpt_touch(st);
}

void storage_ckpt_touch(struct storage *st)
{
	st->ckpt_dirty = true;
}

static void ckpt_hex(const uint8_t *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int ckpt_format(struct storage *st, struct buf *b)
{
	struct hmap_iter it;
	struct hmap_node *n;
	char line[160], hex[33];

	snprintf(line, sizeof(line), "sealog-checkpoint 1\n%zu\n",
		 st->ckpts.count);
	buf_append(b, line, strlen(line));
	hmap_iter_init(&it, &st->ckpts);
	while ((n = hmap_iter_next(&it))) {
		struct storage_ckpt *ck =
		    container_of(n, struct storage_ckpt, hnode);
		ckpt_hex(ck->topic_id, 16, hex);
		snprintf(line, sizeof(line), "%s %d %lld %lld\n", hex,
			 ck->partition, (long long)ck->lso,
			 (long long)ck->recovery);
		buf_append(b, line, strlen(line));
	}
	if (b->err)
		return b->err;
	snprintf(line, sizeof(line), "crc %08x\n", crc32c(0, b->data, b->len));
	buf_append(b, line, strlen(line));
	return b->err;
}

/* Either thread. Skips snapshots older than the last one written. */
static int ckpt_write(struct storage *st, const struct buf *b, uint64_t gen)
{
	int rc = 0;

	pthread_mutex_lock(&st->ckpt_mu);
	if (gen > st->ckpt_written) {
		rc = futil_replace(st->dirfd, CKPT_FILE, b->data, b->len, 0600);
		if (rc)
			storage_fail(st, rc, "writing the checkpoint", st->dir);
		else
			st->ckpt_written = gen;
	}
	pthread_mutex_unlock(&st->ckpt_mu);
	return rc;
}

int storage_ckpt_flush(struct storage *st)
{
	struct buf b;
	int rc;

	if (storage_offline(st))
		return -EROFS;
	buf_init(&b, CKPT_MAX);
	rc = ckpt_format(st, &b);
	if (!rc) {
		st->ckpt_dirty = false;
		rc = ckpt_write(st, &b, ++st->ckpt_gen);
	}
	buf_fini(&b);
	return rc;
}

static int ckpt_parse_line(struct storage *st, const char *line)
{
	char hex[33];
	long long lso, rec;
	int part;
	uint8_t id[16];
	struct storage_ckpt *ck;

	if (sscanf(line, "%32s %d %lld %lld", hex, &part, &lso, &rec) != 4 ||
	    strlen(hex) != 32 || part < 0 || lso < 0 || rec < 0)
		return -EBADMSG;
	for (int i = 0; i < 16; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -EBADMSG;
		id[i] = (uint8_t)v;
	}
	ck = storage_ckpt_get(st, id, part, true);
	if (!ck)
		return -ENOMEM;
	ck->lso = lso;
	ck->recovery = rec;
	ck->known = true;
	return 0;
}

static int ckpt_parse(struct storage *st, char *text, size_t len)
{
	char *crc_line = NULL, *save = NULL, *line;
	unsigned long count, seen = 0, crc;
	int rc = 0;

	for (char *c = strstr(text, "\ncrc "); c; c = strstr(c + 1, "\ncrc "))
		crc_line = c + 1;
	(void)len;
	if (!crc_line || sscanf(crc_line, "crc %lx", &crc) != 1 ||
	    crc != crc32c(0, text, (size_t)(crc_line - text)))
		return -EBADMSG;
	*crc_line = '\0';
	line = strtok_r(text, "\n", &save);
	if (!line || strcmp(line, "sealog-checkpoint 1"))
		return -EBADMSG;
	line = strtok_r(NULL, "\n", &save);
	if (!line || sscanf(line, "%lu", &count) != 1)
		return -EBADMSG;
	while (!rc && (line = strtok_r(NULL, "\n", &save)) && ++seen)
		rc = ckpt_parse_line(st, line);
	return rc ? rc : seen == count ? 0 : -EBADMSG;
}

/* A missing checkpoint is a fresh directory; a damaged one is warned
 * about and ignored: recovery then scans conservatively but cannot tell a
 * cut tail from a torn one (see README). */
static int ckpt_load(struct storage *st)
{
	uint8_t *text = NULL;
	size_t len;
	int rc = futil_read(st->dirfd, CKPT_FILE, CKPT_MAX, &text, &len);

	unlinkat(st->dirfd, CKPT_FILE ".tmp", 0);
	if (rc == -ENOENT)
		return 0;
	if (!rc)
		rc = ckpt_parse(st, (char *)text, len);
	free(text);
	if (rc == -ENOMEM)
		return rc;
	if (rc)
		log_warn(LOGC,
			 "Ignoring the damaged checkpoint %s/%s: %s; "
			 "recovery points and log start offsets are "
			 "rebuilt from the segments",
			 st->dir, CKPT_FILE, strerror(-rc));
	return 0;
}

/* --- the sync thread ------------------------------------------------------ */

static void pass_run(struct storage *st, struct sync_pass *p)
{
	if (storage_offline(st)) {
		p->err = -EROFS;
		return;
	}
	for (size_t i = 0; i < p->count && !p->err; i++) {
		struct sfile *f = p->items[i].f;
		p->err =
		    p->items[i].dir ? sio_fsync(f->fd) : sio_fdatasync(f->fd);
		if (p->err)
			storage_fail(st, p->err,
				     p->items[i].dir ? "fsyncing directory"
						     : "fdatasyncing",
				     f->path);
	}
	if (!p->err && p->ckpt.len)
		p->err = ckpt_write(st, &p->ckpt, p->ckpt_gen);
}

static void *sync_main(void *arg)
{
	struct storage *st = arg;

	for (;;) {
		struct sync_pass *p;
		pthread_mutex_lock(&st->mu);
		while (!st->queued && !st->stop)
			pthread_cond_wait(&st->cv, &st->mu);
		p = st->queued;
		st->queued = NULL;
		pthread_mutex_unlock(&st->mu);
		if (!p)
			return NULL;
		pass_run(st, p);
		chan_push(&st->done, &p->node);
	}
}

/* --- owner: submit and collect -------------------------------------------- */

static void ckpt_attach(struct storage *st, bool force)
{
	int64_t now = clock_mono_ms();
	struct sync_pass *p;

	if (!st->ckpt_dirty || (!force && now < st->ckpt_next_ms))
		return;
	p = pass_get(st);
	if (!p)
		return;
	buf_clear(&p->ckpt);
	if (ckpt_format(st, &p->ckpt) == 0) {
		p->ckpt_gen = ++st->ckpt_gen;
		st->ckpt_dirty = false;
		st->ckpt_next_ms = now + CKPT_INTERVAL_MS;
	}
}

static void storage_submit(struct storage *st)
{
	struct sync_pass *p = st->pending;

	if (st->busy || !p)
		return;
	ckpt_attach(st, false);
	if (!p->count && !p->tcount && !p->ckpt.len)
		return;
	st->pending = NULL;
	st->pass_gen++;
	st->busy = true;
	pthread_mutex_lock(&st->mu);
	st->queued = p;
	pthread_cond_signal(&st->cv);
	pthread_mutex_unlock(&st->mu);
}

void storage_sync_kick(struct storage *st)
{
	if (st->ckpt_dirty && !st->busy)
		pass_get(st);
	storage_submit(st);
}

static struct plog *plog_by_id(struct storage *st, uint64_t id)
{
	uint64_t h = hmap_hash_u64(id);

	for (struct hmap_node *n = hmap_first(&st->plogs, h); n;
	     n = hmap_next(n, h)) {
		struct plog *pl = container_of(n, struct plog, hnode);
		if (pl->id == id)
			return pl;
	}
	return NULL;
}

/* Apply every finished pass. */
static void storage_collect(struct storage *st)
{
	struct chan_node *n = chan_drain(&st->done);

	while (n) {
		struct sync_pass *p = container_of(n, struct sync_pass, node);
		n = n->next;
		st->busy = false;
		for (size_t i = 0; i < p->tcount && !p->err; i++) {
			struct plog *pl = plog_by_id(st, p->targets[i].plog_id);
			if (pl)
				plog_synced(pl, p->targets[i].offset,
					    p->targets[i].epoch);
		}
		pass_free(p);
	}
}

void storage_poll(struct storage *st)
{
	storage_collect(st);
	storage_sync_kick(st);
}

void storage_plog_add(struct storage *st, struct plog *pl)
{
	pl->id = ++st->next_plog_id;
	hmap_insert(&st->plogs, &pl->hnode, hmap_hash_u64(pl->id));
}

void storage_plog_del(struct storage *st, struct plog *pl)
{
	hmap_remove(&st->plogs, &pl->hnode);
}

/* Wait until every queued and pending pass has run. */
static void storage_drain(struct storage *st)
{
	while (st->busy ||
	       (st->pending && (st->pending->count || st->pending->tcount))) {
		struct pollfd pfd = {.fd = chan_fd(&st->done),
				     .events = POLLIN};
		storage_submit(st);
		if (st->busy && poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			break;
		storage_poll(st);
	}
}

/* --- open / close
 * ------------------------------------------------------------- */

static int mkdir_p(const char *dir)
{
	char *p = strdup(dir);
	int rc = 0;

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s && !rc; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			rc = -errno;
		*s = '/';
	}
	if (!rc && mkdir(p, 0700) < 0 && errno != EEXIST)
		rc = -errno;
	free(p);
	return rc;
}

/* K8: a remote file system gives none of the guarantees recovery needs. */
static int storage_check_fs(struct storage *st)
{
	struct statfs sf;

	if (fstatfs(st->dirfd, &sf) < 0)
		return -errno;
	switch ((unsigned long)sf.f_type) {
	case 0x6969:	 /* NFS */
	case 0xff534d42: /* CIFS */
	case 0xfe534d42: /* SMB2 */
	case 0x517b:	 /* SMB */
		log_error(LOGC,
			  "Log directory %s is on a network file system; "
			  "sealog needs a local one",
			  st->dir);
		return -EINVAL;
	}
	return 0;
}

static int storage_lock(struct storage *st)
{
	st->lockfd =
	    openat(st->dirfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (st->lockfd < 0)
		return -errno;
	if (flock(st->lockfd, LOCK_EX | LOCK_NB) < 0) {
		log_error(LOGC,
			  "Log directory %s is in use by another process "
			  "(lock %s/.lock)",
			  st->dir, st->dir);
		return -EBUSY;
	}
	return 0;
}

static int storage_keys_open(struct storage *st, const char *key_file)
{
	char path[4096];
	int rc;

	if (key_file)
		return keyring_load(key_file, &st->keys);
	snprintf(path, sizeof(path), "%s/%s", st->dir, KEYRING_DEFAULT_FILE);
	if (faccessat(st->dirfd, KEYRING_DEFAULT_FILE, F_OK, 0) == 0) {
		rc = keyring_load(path, &st->keys);
	} else {
		rc = keyring_create(path, "k1", &st->keys);
		if (!rc)
			log_info(LOGC, "Created encryption key file %s", path);
	}
	if (!rc)
		log_warn(LOGC,
			 "Using the embedded default key file %s inside "
			 "the data directory: anyone who copies the "
			 "directory can read the data. Production keeps "
			 "it elsewhere (log.encryption.key.file)",
			 path);
	return rc;
}

/* Every sidecar in the directory must name a key the keyring holds
 * (E7): refusing to start beats partitions going offline one by one. */
static int storage_scan_part(struct storage *st, int pfd, const char *pname)
{
	DIR *d = fdopendir(pfd);
	struct dirent *e;
	int rc = 0;

	if (!d) {
		close(pfd);
		return -errno;
	}
	while (!rc && (e = readdir(d))) {
		uint8_t *raw = NULL;
		char kid[KEYRING_ID_MAX + 1];
		struct seal_id id;
		size_t len, n = strlen(e->d_name);
		if (n < 5 || strcmp(e->d_name + n - 4, ".dek"))
			continue;
		if (futil_read(dirfd(d), e->d_name, SEAL_DEK_MAX, &raw, &len) ==
			0 &&
		    seal_dek_parse(raw, len, kid, &id) == 0 &&
		    !keyring_has(st->keys, kid)) {
			log_error(LOGC,
				  "Segment %s/%s/%s needs key id %s, which "
				  "the key file %s does not hold; refusing "
				  "to start",
				  st->dir, pname, e->d_name, kid,
				  keyring_path(st->keys));
			rc = -ENOKEY;
		}
		free(raw);
	}
	closedir(d);
	return rc;
}

static bool is_deleted_dir(const char *name)
{
	size_t n = strlen(name);

	return n > 7 && strcmp(name + n - 7, "-delete") == 0;
}

static int storage_scan(struct storage *st)
{
	DIR *d;
	struct dirent *e;
	bool removed = false;
	int rc = 0, fd = dup(st->dirfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	while (!rc && (e = readdir(d))) {
		int pfd;
		size_t n = strlen(e->d_name);
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "meta"))
			continue;
		if (n > 4 && !strcmp(e->d_name + n - 4, ".tmp")) {
			unlinkat(st->dirfd, e->d_name, 0);
			continue;
		}
		if (is_deleted_dir(e->d_name)) {
			log_info(LOGC,
				 "Removing %s/%s left by a topic deletion",
				 st->dir, e->d_name);
			futil_remove_tree(st->dirfd, e->d_name);
			removed = true;
			continue;
		}
		pfd = openat(st->dirfd, e->d_name,
			     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pfd >= 0)
			rc = storage_scan_part(st, pfd, e->d_name);
	}
	closedir(d);
	if (!rc && removed)
		rc = futil_sync_dir(st->dirfd);
	return rc;
}

static int storage_init(struct storage *st, const struct storage_config *cfg)
{
	int rc;

	st->mode = cfg->sync_mode;
	st->dir = strdup(cfg->dir);
	if (!st->dir || hmap_init(&st->plogs) || hmap_init(&st->ckpts))
		return -ENOMEM;
	rc = chan_init(&st->done);
	st->chan_ready = rc == 0;
	if (rc)
		return rc;
	rc = mkdir_p(st->dir);
	if (rc)
		return rc;
	st->dirfd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->dirfd < 0)
		return -errno;
	rc = storage_check_fs(st);
	if (!rc)
		rc = storage_lock(st);
	if (!rc)
		rc = storage_keys_open(st, cfg->key_file);
	if (!rc)
		rc = keyring_check_dir(st->keys, st->dirfd, st->dir);
	if (!rc)
		rc = storage_scan(st);
	if (!rc)
		rc = ckpt_load(st);
	return rc;
}

int storage_open(const struct storage_config *cfg, struct storage **out)
{
	struct storage *st;
	int rc;

	if (!cfg->dir)
		return -EINVAL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->dirfd = st->lockfd = -1;
	atomic_init(&st->offline, false);
	pthread_mutex_init(&st->mu, NULL);
	pthread_mutex_init(&st->ckpt_mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	rc = storage_init(st, cfg);
	if (!rc) {
		rc = -pthread_create(&st->thread, NULL, sync_main, st);
		st->thread_started = rc == 0;
	}
	if (rc) {
		if (rc != -EBUSY && rc != -EKEYREJECTED && rc != -ENOKEY)
			log_error(LOGC, "Cannot open log directory %s: %s",
				  cfg->dir, strerror(-rc));
		storage_close(st);
		return rc;
	}
	log_info(LOGC, "Opened log directory %s (sync %s, key %s)", st->dir,
		 st->mode == STORAGE_SYNC_ALWAYS ? "before ack" : "lazy",
		 keyring_current(st->keys));
	*out = st;
	return 0;
}

static void storage_free_ckpts(struct storage *st)
{
	struct hmap_iter it;
	struct hmap_node *n;

	if (!st->ckpts.buckets)
		return;
	hmap_iter_init(&it, &st->ckpts);
	while ((n = hmap_iter_next(&it))) {
		hmap_remove(&st->ckpts, n);
		free(container_of(n, struct storage_ckpt, hnode));
	}
	hmap_fini(&st->ckpts);
}

void storage_close(struct storage *st)
{
	if (!st)
		return;
	if (st->thread_started) {
		storage_drain(st);
		pthread_mutex_lock(&st->mu);
		st->stop = true;
		pthread_cond_signal(&st->cv);
		pthread_mutex_unlock(&st->mu);
		pthread_join(st->thread, NULL);
		storage_collect(st);
		if (st->queued)
			pass_free(st->queued);
		if (st->ckpt_dirty)
			storage_ckpt_flush(st);
	}
	if (st->pending)
		pass_free(st->pending);
	storage_free_ckpts(st);
	if (st->plogs.buckets)
		hmap_fini(&st->plogs);
	keyring_free(st->keys);
	if (st->chan_ready)
		chan_fini(&st->done);
	if (st->lockfd >= 0)
		close(st->lockfd);
	if (st->dirfd >= 0)
		close(st->dirfd);
	pthread_cond_destroy(&st->cv);
	pthread_mutex_destroy(&st->mu);
	pthread_mutex_destroy(&st->ckpt_mu);
	free(st->dir);
	free(st);
}
