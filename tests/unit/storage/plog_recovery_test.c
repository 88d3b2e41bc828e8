/* plog_recovery_test.c - crash recovery and tamper detection.
 *
 * Crash states are made by copying the log directory of a running
 * storage (what kill -9 leaves), then cutting or editing files. Torn
 * tails above the recovery point are truncated; everything else that
 * does not verify takes the partition offline and serves nothing. */
#include "storage/seal.h"
#include "tests/unit/storage/st_util.h"

#define FOOTER SEAL_FOOTER_FRAME

struct frame {
	long pos, len;
};

/* Frame boundaries of a segment file, from the clear headers. */
static int frames_of(const char *path, struct frame *f, int max)
{
	uint8_t *d;
	size_t n, off = 0;
	int count = 0;

	if (tu_read_file(path, &d, &n))
		return -1;
	while (off + SEAL_HDR_LEN <= n && count < max) {
		long len = (long)be_get32(d + off + 8) + SEAL_OVERHEAD;
		if (off + (size_t)len > n)
			break;
		f[count].pos = (long)off;
		f[count++].len = len;
		off += (size_t)len;
	}
	free(d);
	return count;
}

static void part_path(const char *dir, const char *topic, int p, int64_t base,
		      const char *ext, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s-%d/%020lld.%s", dir, topic, p,
		 (long long)base, ext);
}

/* Open a copy of src; return plog status, or the read error. Checks that
 * a failure returns no bytes. */
static int open_and_read(const char *src, const char *topic, int32_t part,
			 const uint8_t *id, int64_t *leo, int *batches)
{
	struct tu t;
	struct buf out;
	struct plog_offsets o;
	int64_t first, next;
	int rc;

	tu_init(&t, STORAGE_SYNC_ALWAYS);
	tu_rmrf(t.dir);
	tu_copytree(src, t.dir);
	t.topic = topic;
	t.partition = part;
	memcpy(t.id, id, 16);
	t.pc.segment_bytes = 4096;
	buf_init(&out, 0);
	rc = tu_open(&t);
	if (!rc)
		rc = plog_status(t.pl);
	if (!rc)
		rc = tu_read_all(&t, &out);
	if (rc)
		CHECK_EQ(out.len, 0);
	if (!rc && leo) {
		plog_offsets(t.pl, &o);
		*leo = o.log_end_offset;
	}
	if (!rc && batches)
		*batches = tu_count_batches(&out, &first, &next);
	buf_fini(&out);
	tu_fini(&t);
	return rc;
}

static void edit(const char *path, long pos, uint8_t xor_mask)
{
	int fd = open(path, O_RDWR);
	uint8_t c = 0;

	CHECK(fd >= 0 && pread(fd, &c, 1, pos) == 1);
	c ^= xor_mask;
	CHECK(pwrite(fd, &c, 1, pos) == 1);
	close(fd);
}

/* --- torn tails ----------------------------------------------------------- */

static void test_torn_tail(void)
{
	char src[256], work[256], log[600];
	struct frame f[16];
	struct tu t;
	int n, bad = 0;

	tu_init(&t, STORAGE_SYNC_NONE);
	CHECK_EQ(tu_open(&t), 0);
	for (int i = 0; i < 6; i++)
		tu_append(&t, 2, 100 + i, "torn", 120);
	tu_mkdtemp(src, sizeof(src));
	tu_copytree(t.dir, src); /* the crash */
	tu_fini(&t);
	part_path(src, "orders", 0, 0, "log", log, sizeof(log));
	n = frames_of(log, f, 16);
	CHECK_EQ(n, 6);
	/* Cut the last frame at every byte: back to five batches. */
	for (long c = f[5].pos; c < f[5].pos + f[5].len; c++) {
		int64_t leo = -1;
		int batches = -1;
		tu_mkdtemp(work, sizeof(work));
		tu_copytree(src, work);
		part_path(work, "orders", 0, 0, "log", log, sizeof(log));
		CHECK_EQ(truncate(log, c), 0);
		if (open_and_read(work, "orders", 0, tu_topic_id, &leo,
				  &batches) != 0 ||
		    leo != 10 || batches != 5)
			bad++;
		tu_rmrf(work);
	}
	CHECK_EQ(bad, 0);
	/* K2: a zero-filled tail (size updated, data not written). */
	tu_mkdtemp(work, sizeof(work));
	tu_copytree(src, work);
	part_path(work, "orders", 0, 0, "log", log, sizeof(log));
	{
		int fd = open(log, O_WRONLY | O_APPEND);
		uint8_t z[300] = {0};
		CHECK(write(fd, z, sizeof(z)) == (ssize_t)sizeof(z));
		close(fd);
	}
	{
		int64_t leo;
		int batches;
		CHECK_EQ(open_and_read(work, "orders", 0, tu_topic_id, &leo,
				       &batches),
			 0);
		CHECK_EQ(leo, 12);
		CHECK_EQ(batches, 6);
	}
	tu_rmrf(work);
	tu_rmrf(src);
}

/* K10: recovering an already recovered crash state changes nothing. */
static void test_recovery_idempotent(void)
{
	char src[256], again[256], log[600];
	struct frame f[16];
	struct tu t;

	tu_init(&t, STORAGE_SYNC_NONE);
	CHECK_EQ(tu_open(&t), 0);
	for (int i = 0; i < 4; i++)
		tu_append(&t, 1, 5, "idem", 50);
	tu_mkdtemp(src, sizeof(src));
	tu_copytree(t.dir, src);
	tu_fini(&t);
	part_path(src, "orders", 0, 0, "log", log, sizeof(log));
	CHECK_EQ(frames_of(log, f, 16), 4);
	CHECK_EQ(truncate(log, f[3].pos + 7), 0);
	for (int round = 0; round < 5; round++) {
		struct plog_offsets o;
		tu_init(&t, STORAGE_SYNC_NONE);
		tu_rmrf(t.dir);
		tu_copytree(src, t.dir);
		CHECK_EQ(tu_open(&t), 0);
		CHECK_EQ(plog_status(t.pl), 0);
		plog_offsets(t.pl, &o);
		CHECK_EQ(o.log_end_offset, 3);
		tu_mkdtemp(again, sizeof(again));
		tu_copytree(t.dir, again); /* crash during/after recovery */
		tu_fini(&t);
		tu_rmrf(src);
		memcpy(src, again, sizeof(src));
	}
	tu_rmrf(src);
}

/* Below the checkpointed recovery point a bad frame is corruption. */
static void test_below_recovery_point(void)
{
	char src[256], work[256], log[600];
	struct frame f[16];
	struct tu t;

	tu_init(&t, STORAGE_SYNC_ALWAYS);
	CHECK_EQ(tu_open(&t), 0);
	for (int i = 0; i < 6; i++)
		tu_append(&t, 2, 5, "rp", 100);
	CHECK(tu_wait_hw(&t, 12));
	tu_settle(&t, 1200);
	tu_mkdtemp(src, sizeof(src));
	tu_copytree(t.dir, src);
	tu_fini(&t);
	part_path(src, "orders", 0, 0, "log", log, sizeof(log));
	CHECK_EQ(frames_of(log, f, 16), 6);
	tu_mkdtemp(work, sizeof(work));
	tu_copytree(src, work);
	part_path(work, "orders", 0, 0, "log", log, sizeof(log));
	CHECK_EQ(truncate(log, f[5].pos + 20), 0); /* acknowledged: */
	CHECK_EQ(open_and_read(work, "orders", 0, tu_topic_id, NULL, NULL),
		 -EBADMSG);
	tu_rmrf(work);
	tu_mkdtemp(work, sizeof(work));
	tu_copytree(src, work);
	part_path(work, "orders", 0, 0, "log", log, sizeof(log));
	edit(log, f[2].pos + 100, 0x04);
	CHECK_EQ(open_and_read(work, "orders", 0, tu_topic_id, NULL, NULL),
		 -EBADMSG);
	tu_rmrf(work);
	tu_rmrf(src);
}

/* --- sealed segments ------------------------------------------------------ */

/* A clean log of sealed segments (two batches each) in src. */
static void make_sealed_n(char *src, size_t cap, const char *topic, int part,
			  const uint8_t *id, int64_t seg_bytes, size_t vlen)
{
	struct tu t;

	tu_init(&t, STORAGE_SYNC_ALWAYS);
	t.pc.segment_bytes = seg_bytes;
	t.pc.index_interval_bytes = 300;
	t.topic = topic;
	t.partition = part;
	memcpy(t.id, id, 16);
	CHECK_EQ(tu_open(&t), 0);
	for (int i = 0; i < 30; i++)
		CHECK_EQ(tu_append(&t, 2, 1000 + i, "seal", vlen), 2 * i);
	CHECK(tu_wait_hw(&t, 60));
	tu_close(&t);
	snprintf(src, cap, "%s", t.dir);
}

static void make_sealed(char *src, size_t cap, const char *topic, int part,
			const uint8_t *id)
{
	make_sealed_n(src, cap, topic, part, id, 4096, 600);
}

static void copy_fresh(const char *src, char *work, size_t cap)
{
	tu_mkdtemp(work, cap);
	tu_copytree(src, work);
}

static int bases_of(const char *dir, int64_t *out, int max)
{
	char pd[512];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(pd, sizeof(pd), "%s/orders-0", dir);
	d = opendir(pd);
	while (d && (e = readdir(d)) && n < max) {
		size_t l = strlen(e->d_name);
		if (l == 24 && !strcmp(e->d_name + 20, ".log"))
			out[n++] = strtoll(e->d_name, NULL, 10);
	}
	if (d)
		closedir(d);
	for (int i = 0; i < n; i++) /* sort */
		for (int j = i + 1; j < n; j++)
			if (out[j] < out[i]) {
				int64_t x = out[i];
				out[i] = out[j];
				out[j] = x;
			}
	return n;
}

/* E2: small batches (two per segment) keep the copy count down. */
static void test_flip_every_byte(void)
{
	char src[256], work[256], log[600];
	struct frame f[8];
	int64_t b[64];
	int missed = 0, n;

	make_sealed_n(src, sizeof(src), "orders", 0, tu_topic_id, 600, 20);
	CHECK(bases_of(src, b, 64) >= 3);

	part_path(src, "orders", 0, b[0], "log", log, sizeof(log));
	n = frames_of(log, f, 8);
	CHECK_EQ(n, 3);		       /* two batches and the footer */
	for (int fr = 1; fr < 3; fr++) /* a batch frame, then the footer */
		for (long i = f[fr].pos; i < f[fr].pos + f[fr].len; i++) {
			copy_fresh(src, work, sizeof(work));
			part_path(work, "orders", 0, b[0], "log", log,
				  sizeof(log));
			edit(log, i, 0x01);
			if (open_and_read(work, "orders", 0, tu_topic_id, NULL,
					  NULL) != -EBADMSG) {
				missed++;
				fprintf(stderr,
					"flip at byte %ld of frame %d "
					"(at %ld) not detected\n",
					i - f[fr].pos, fr, f[fr].pos);
			}
			tu_rmrf(work);
		}
	CHECK_EQ(missed, 0);
	tu_rmrf(src);
}

static void test_swap_and_cut(const char *src, const int64_t *b)
{
	char work[256], log[600];
	struct frame f[8];
	uint8_t *d;
	size_t n;

	part_path(src, "orders", 0, b[0], "log", log, sizeof(log));
	CHECK_EQ(frames_of(log, f, 8), 3);
	/* Swap the two batch frames (equal sizes). */
	copy_fresh(src, work, sizeof(work));
	part_path(work, "orders", 0, b[0], "log", log, sizeof(log));
	CHECK_EQ(tu_read_file(log, &d, &n), 0);
	CHECK_EQ(f[0].len, f[1].len);
	{
		uint8_t *tmp = malloc((size_t)f[0].len);
		memcpy(tmp, d, (size_t)f[0].len);
		memmove(d, d + f[1].pos, (size_t)f[1].len);
		memcpy(d + f[1].pos, tmp, (size_t)f[0].len);
		free(tmp);
	}
	tu_write_file(log, d, n);
	CHECK_EQ(open_and_read(work, "orders", 0, tu_topic_id, NULL, NULL),
		 -EBADMSG);
	tu_rmrf(work);
	/* E4: cut out the last batch frame, keep the footer. */
	copy_fresh(src, work, sizeof(work));
	part_path(work, "orders", 0, b[0], "log", log, sizeof(log));
	memmove(d + f[1].pos, d + f[2].pos, (size_t)f[2].len);
	tu_write_file(log, d, n - (size_t)f[1].len);
	CHECK_EQ(open_and_read(work, "orders", 0, tu_topic_id, NULL, NULL),
		 -EBADMSG);
	tu_rmrf(work);
	free(d);
	/* K4: a sealed segment cut mid-way. */
	copy_fresh(src, work, sizeof(work));
	part_path(work, "orders", 0, b[1], "log", log, sizeof(log));
	CHECK_EQ(truncate(log, tu_file_size(log) / 2), 0);
	CHECK_EQ(open_and_read(work, "orders", 0, tu_topic_id, NULL, NULL),
		 -EBADMSG);
	tu_rmrf(work);
}

static void test_missing_pieces(const char *src, const int64_t *b, int nb)
{
	char work[256], p[600];

	/* A sealed segment without its data key. */
	copy_fresh(src, work, sizeof(work));
	part_path(work, "orders", 0, b[1], "dek", p, sizeof(p));
	CHECK_EQ(unlink(p), 0);
	CHECK_EQ(open_and_read(work, "orders", 0, tu_topic_id, NULL, NULL),
		 -EBADMSG);
	tu_rmrf(work);
	/* ... or with a zero-filled one. */
	copy_fresh(src, work, sizeof(work));
	part_path(work, "orders", 0, b[1], "dek", p, sizeof(p));
	{
		uint8_t z[128] = {0};
		tu_write_file(p, z, 100);
	}
	CHECK_EQ(open_and_read(work, "orders", 0, tu_topic_id, NULL, NULL),
		 -EBADMSG);
	tu_rmrf(work);
	/* The last segment's data key, after a clean close. */
	copy_fresh(src, work, sizeof(work));
	part_path(work, "orders", 0, b[nb - 1], "dek", p, sizeof(p));
	CHECK_EQ(unlink(p), 0);
	CHECK_EQ(open_and_read(work, "orders", 0, tu_topic_id, NULL, NULL),
		 -EBADMSG);
	tu_rmrf(work);
	/* The last segment cut below its footer: the checkpoint knows. */
	copy_fresh(src, work, sizeof(work));
	part_path(work, "orders", 0, b[nb - 1], "log", p, sizeof(p));
	CHECK_EQ(truncate(p, tu_file_size(p) - FOOTER - 30), 0);
	CHECK_EQ(open_and_read(work, "orders", 0, tu_topic_id, NULL, NULL),
		 -EBADMSG);
	tu_rmrf(work);
	/* The whole last segment gone. */
	copy_fresh(src, work, sizeof(work));
	part_path(work, "orders", 0, b[nb - 1], "log", p, sizeof(p));
	unlink(p);
	part_path(work, "orders", 0, b[nb - 1], "dek", p, sizeof(p));
	unlink(p);
	CHECK_EQ(open_and_read(work, "orders", 0, tu_topic_id, NULL, NULL),
		 -EBADMSG);
	tu_rmrf(work);
	/* The first segment, and a middle one. */
	for (int k = 0; k < 2; k++) {
		int64_t base = k ? b[3] : b[0];
		copy_fresh(src, work, sizeof(work));
		part_path(work, "orders", 0, base, "log", p, sizeof(p));
		unlink(p);
		part_path(work, "orders", 0, base, "dek", p, sizeof(p));
		unlink(p);
		CHECK_EQ(
		    open_and_read(work, "orders", 0, tu_topic_id, NULL, NULL),
		    -EBADMSG);
		tu_rmrf(work);
	}
	/* A segment replaced by its neighbour (both files renamed). */
	copy_fresh(src, work, sizeof(work));
	{
		char a[600], c[600];
		part_path(work, "orders", 0, b[1], "log", a, sizeof(a));
		part_path(work, "orders", 0, b[2], "log", c, sizeof(c));
		tu_copy_file(a, c);
		part_path(work, "orders", 0, b[1], "dek", a, sizeof(a));
		part_path(work, "orders", 0, b[2], "dek", c, sizeof(c));
		tu_copy_file(a, c);
	}
	CHECK_EQ(open_and_read(work, "orders", 0, tu_topic_id, NULL, NULL),
		 -EBADMSG);
	tu_rmrf(work);
}

/* E3: the same bytes in another partition or topic never verify. */
static void test_moved_segment(void)
{
	static const uint8_t other_id[16] = {0xaa, 0xbb};
	char a[256], b2[256], c[256], work[256], from[600], to[600];

	make_sealed(a, sizeof(a), "orders", 0, tu_topic_id);
	make_sealed(b2, sizeof(b2), "orders", 1, tu_topic_id);
	make_sealed(c, sizeof(c), "other", 0, other_id);
	for (int k = 0; k < 3; k++) {
		const char *dst = k == 2 ? c : b2,
			   *topic = k == 2 ? "other" : "orders";
		int part = k == 2 ? 0 : 1;
		const uint8_t *id = k == 2 ? other_id : tu_topic_id;
		copy_fresh(dst, work, sizeof(work));
		part_path(a, "orders", 0, 0, "log", from, sizeof(from));
		part_path(work, topic, part, 0, "log", to, sizeof(to));
		tu_copy_file(from, to);
		if (k != 1) { /* k == 1: the .log alone, keep the dek */
			part_path(a, "orders", 0, 0, "dek", from, sizeof(from));
			part_path(work, topic, part, 0, "dek", to, sizeof(to));
			tu_copy_file(from, to);
		}
		CHECK_EQ(open_and_read(work, topic, part, id, NULL, NULL),
			 -EBADMSG);
		tu_rmrf(work);
	}
	tu_rmrf(a);
	tu_rmrf(b2);
	tu_rmrf(c);
}

/* --- indexes -------------------------------------------------------------- */

static void read_every_offset(const char *work, int *wrong)
{
	struct tu t;
	struct buf out;

	tu_init(&t, STORAGE_SYNC_ALWAYS);
	tu_rmrf(t.dir);
	tu_copytree(work, t.dir);
	t.pc.index_interval_bytes = 300;
	buf_init(&out, 0);
	CHECK_EQ(tu_open(&t), 0);
	for (int64_t off = 0; off < 60; off++) {
		int64_t first, next;
		buf_clear(&out);
		if (plog_read(t.pl, off, 60, 1, true, &out) ||
		    tu_count_batches(&out, &first, &next) != 1 || first > off ||
		    next <= off)
			(*wrong)++;
	}
	CHECK_EQ(plog_status(t.pl), 0);
	snprintf(t.dir + strlen(t.dir), 1, "%s", "");
	tu_copytree(t.dir, work); /* keep the rebuilt index files */
	buf_fini(&out);
	tu_fini(&t);
}

static void forge_index(const char *path)
{
	uint8_t *d;
	size_t n;

	if (tu_read_file(path, &d, &n) || n < 32)
		return;
	for (size_t off = 32; off + 8 <= n; off += 8) /* positions + 1 */
		be_put32(d + off + 4, be_get32(d + off + 4) + 1);
	be_put32(d + 28, crc32c(crc32c(0, d, 28), d + 32, n - 32));
	tu_write_file(path, d, n);
	free(d);
}

static void test_index(const char *src, const int64_t *b, int nb)
{
	char work[256], p[600];
	int wrong = 0;

	/* K5: missing indexes are rebuilt (and written again). */
	copy_fresh(src, work, sizeof(work));
	for (int i = 0; i < nb; i++) {
		part_path(work, "orders", 0, b[i], "index", p, sizeof(p));
		unlink(p);
		part_path(work, "orders", 0, b[i], "timeindex", p, sizeof(p));
		unlink(p);
	}
	read_every_offset(work, &wrong);
	part_path(work, "orders", 0, b[1], "index", p, sizeof(p));
	CHECK(tu_file_size(p) >= 32);
	tu_rmrf(work);
	/* Damaged (CRC fails) and forged (CRC fine, positions wrong). */
	copy_fresh(src, work, sizeof(work));
	for (int i = 0; i < nb; i++) {
		part_path(work, "orders", 0, b[i], "index", p, sizeof(p));
		if (i % 2)
			edit(p, 10, 0xff);
		else
			forge_index(p);
	}
	read_every_offset(work, &wrong);
	tu_rmrf(work);
	CHECK_EQ(wrong, 0);
}

/* --- interrupted rolls
 * ---------------------------------------------------------- */

static void test_interrupted_roll(bool acked)
{
	char src[256], work[256], p[600];
	int64_t b[8], leo;
	struct tu t;
	int nb, batches, rc;

	tu_init(&t, acked ? STORAGE_SYNC_ALWAYS : STORAGE_SYNC_NONE);
	t.pc.segment_bytes = 4096;
	CHECK_EQ(tu_open(&t), 0);
	for (int i = 0; i < 3; i++) /* two in segment A, one in B */
		tu_append(&t, 2, 5, "roll", 600);
	if (acked) {
		CHECK(tu_wait_hw(&t, 6));
		tu_settle(&t, 1200);
	}
	tu_mkdtemp(src, sizeof(src));
	tu_copytree(t.dir, src);
	tu_fini(&t);
	nb = bases_of(src, b, 8);
	CHECK_EQ(nb, 2);
	for (int k = 0; k < 3; k++) {
		copy_fresh(src, work, sizeof(work));
		if (k == 0) { /* A's footer never reached the disk */
			part_path(work, "orders", 0, b[0], "log", p, sizeof(p));
			CHECK_EQ(truncate(p, tu_file_size(p) - FOOTER), 0);
		} else if (k == 1) { /* B's sidecar zero-filled */
			uint8_t z[120] = {0};
			part_path(work, "orders", 0, b[1], "dek", p, sizeof(p));
			tu_write_file(p, z, sizeof(z));
		} else { /* B's log empty */
			part_path(work, "orders", 0, b[1], "log", p, sizeof(p));
			CHECK_EQ(truncate(p, 0), 0);
		}
		leo = -1;
		batches = -1;
		rc = open_and_read(work, "orders", 0, tu_topic_id, &leo,
				   &batches);
		if (acked) {
			CHECK_EQ(rc, -EBADMSG);
		} else {
			CHECK_EQ(rc, 0);
			CHECK_EQ(leo, 4);
			CHECK_EQ(batches, 2);
		}
		tu_rmrf(work);
	}
	tu_rmrf(src);
}

int main(void)
{
	char src[256];
	int64_t b[64];
	int nb;

	log_set_level(LOG_OFF);
	test_torn_tail();
	test_recovery_idempotent();
	test_below_recovery_point();
	make_sealed(src, sizeof(src), "orders", 0, tu_topic_id);
	nb = bases_of(src, b, 64);
	CHECK(nb >= 10);
	CHECK_EQ(open_and_read(src, "orders", 0, tu_topic_id, NULL, NULL), 0);
	test_flip_every_byte();
	test_swap_and_cut(src, b);
	test_missing_pieces(src, b, nb);
	test_index(src, b, nb);
	tu_rmrf(src);
	test_moved_segment();
	test_interrupted_roll(false);
	test_interrupted_roll(true);
	return check_finish();
}
