/* plog_basic_test.c - the partition log's contract: round trips, offsets
 * and the HW, read limits, timestamps, rolls, retention, DeleteRecords,
 * truncation, reopen, tail scans, deletion. */
#include <time.h>

#include "tests/unit/storage/st_util.h"

/* Append, then read the batch back at every offset it holds. */
static void test_roundtrip(void)
{
	static const size_t sizes[] = {0,    1,	    7,	   100,	  1000,
				       4000, 16000, 65000, 300000};
	struct tu t;
	struct buf b, out;

	tu_init(&t, STORAGE_SYNC_ALWAYS);
	t.pc.segment_bytes = 256 << 10;
	CHECK_EQ(tu_open(&t), 0);
	buf_init(&b, 0);
	buf_init(&out, 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int nrec = 1 + (int)(i % 4);
		int64_t base = -1;
		tu_batch(&b, nrec, 1000 + (int64_t)i, "rt", sizes[i]);
		CHECK_EQ(plog_append(t.pl, b.data, b.len, 5, 0, &base), 0);
		CHECK(tu_wait_hw(&t, base + nrec));
		for (int k = 0; k < nrec; k++) {
			buf_clear(&out);
			CHECK_EQ(plog_read(t.pl, base + k, base + nrec,
					   SIZE_MAX, true, &out),
				 0);
			CHECK_EQ(out.len, b.len);
			CHECK(out.len == b.len &&
			      memcmp(out.data, b.data, b.len) == 0);
			CHECK_EQ((int64_t)be_get64(out.data), base);
			CHECK_EQ((int32_t)be_get32(out.data + 12), 5);
		}
	}
	buf_fini(&b);
	buf_fini(&out);
	tu_fini(&t);
}

static void test_offsets(void)
{
	struct plog_offsets o;
	struct buf out;
	struct tu t;

	buf_init(&out, 0);
	tu_init(&t, STORAGE_SYNC_ALWAYS);
	CHECK_EQ(tu_open(&t), 0);
	plog_offsets(t.pl, &o);
	CHECK(o.log_start_offset == 0 && o.high_watermark == 0 &&
	      o.log_end_offset == 0);
	CHECK_EQ(tu_append(&t, 3, 100, "a", 10), 0);
	CHECK_EQ(tu_append(&t, 2, 100, "b", 10), 3);
	plog_offsets(t.pl, &o);
	/* Not durable yet: the HW waits for the group commit. */
	CHECK_EQ(o.log_end_offset, 5);
	CHECK_EQ(o.high_watermark, 0);
	CHECK_EQ(plog_read(t.pl, 0, o.high_watermark, SIZE_MAX, true, &out), 0);
	CHECK_EQ(out.len, 0);
	CHECK(tu_wait_hw(&t, 5));
	plog_offsets(t.pl, &o);
	CHECK_EQ(o.high_watermark, 5);
	CHECK(o.size_bytes > 0);
	tu_fini(&t);

	tu_init(&t, STORAGE_SYNC_NONE);
	CHECK_EQ(tu_open(&t), 0);
	CHECK_EQ(tu_append(&t, 4, 100, "a", 10), 0);
	plog_offsets(t.pl, &o);
	CHECK_EQ(o.high_watermark, 4); /* follows the LEO at once */
	tu_fini(&t);
	buf_fini(&out);
}

static void test_read_limits(void)
{
	struct buf out;
	struct tu t;
	int64_t first, next;
	size_t blen;

	buf_init(&out, 0);
	tu_init(&t, STORAGE_SYNC_NONE);
	t.pc.segment_bytes = 6000; /* several segments */
	CHECK_EQ(tu_open(&t), 0);
	for (int i = 0; i < 10; i++)
		CHECK_EQ(tu_append(&t, 5, 1000 + i, "L", 150), i * 5);
	CHECK_EQ(plog_read(t.pl, 0, 50, 1, true, &out), 0);
	CHECK_EQ(tu_count_batches(&out, &first, &next), 1);
	blen = out.len;
	buf_clear(&out);
	CHECK_EQ(plog_read(t.pl, 0, 50, blen - 1, false, &out), 0);
	CHECK_EQ(out.len, 0);
	CHECK_EQ(plog_read(t.pl, 0, 50, blen * 5 / 2, false, &out), 0);
	CHECK_EQ(tu_count_batches(&out, &first, &next), 2);
	buf_clear(&out);
	CHECK_EQ(plog_read(t.pl, 0, 15, SIZE_MAX, false, &out), 0);
	CHECK_EQ(tu_count_batches(&out, &first, &next), 3);
	CHECK_EQ(next, 15);
	buf_clear(&out);
	CHECK_EQ(plog_read(t.pl, 0, 14, SIZE_MAX, false, &out), 0);
	CHECK_EQ(tu_count_batches(&out, &first, &next), 2);
	buf_clear(&out);
	CHECK_EQ(plog_read(t.pl, 27, 50, SIZE_MAX, false, &out), 0);
	CHECK_EQ(tu_count_batches(&out, &first, &next), 5);
	CHECK_EQ(first, 25);
	CHECK_EQ(next, 50);
	buf_clear(&out);
	CHECK_EQ(plog_read(t.pl, 50, 50, SIZE_MAX, true, &out), 0);
	CHECK_EQ(out.len, 0);
	CHECK_EQ(plog_read(t.pl, 51, 60, SIZE_MAX, true, &out), -ERANGE);
	CHECK_EQ(plog_read(t.pl, -1, 60, SIZE_MAX, true, &out), -ERANGE);
	/* Every offset, across segment boundaries. */
	for (int64_t off = 0; off < 50; off++) {
		buf_clear(&out);
		CHECK_EQ(plog_read(t.pl, off, 50, 1, true, &out), 0);
		CHECK_EQ(tu_count_batches(&out, &first, &next), 1);
		CHECK(first <= off && off < next);
	}
	tu_fini(&t);
	buf_fini(&out);
}

static void test_time(void)
{
	struct tu t;
	int64_t off, ts;
	struct buf out;

	buf_init(&out, 0);
	tu_init(&t, STORAGE_SYNC_NONE);
	t.pc.segment_bytes = 4000;
	t.pc.index_interval_bytes = 300;
	CHECK_EQ(tu_open(&t), 0);
	CHECK_EQ(plog_max_timestamp(t.pl, &off, &ts), -ENOENT);
	for (int i = 0; i < 30; i++) /* batch i: records at 1000*i + 0..3 */
		CHECK_EQ(tu_append(&t, 4, 1000 * i, "T", 100), 4 * i);
	CHECK_EQ(plog_offset_for_time(t.pl, 0, &off, &ts), 0);
	CHECK(off == 0 && ts == 0);
	CHECK_EQ(plog_offset_for_time(t.pl, 7002, &off, &ts), 0);
	CHECK_EQ(off, 4 * 7 + 2);
	CHECK_EQ(ts, 7002);
	CHECK_EQ(plog_offset_for_time(t.pl, 7004, &off, &ts), 0);
	CHECK_EQ(off, 32);
	CHECK_EQ(ts, 8000);
	CHECK_EQ(plog_offset_for_time(t.pl, 29004, &off, &ts), -ENOENT);
	CHECK_EQ(plog_max_timestamp(t.pl, &off, &ts), 0);
	CHECK_EQ(ts, 29003);
	CHECK_EQ(off, 4 * 29 + 3);
	/* An older batch later in the log does not change the maximum. */
	CHECK_EQ(tu_append(&t, 2, 5, "old", 10), 120);
	CHECK_EQ(plog_max_timestamp(t.pl, &off, &ts), 0);
	CHECK_EQ(off, 119);
	plog_close(t.pl);
	t.pl = NULL;
	CHECK_EQ(plog_open(t.st, t.topic, t.id, 0, &t.pc, &t.pl), 0);
	CHECK_EQ(plog_offset_for_time(t.pl, 15001, &off, &ts), 0);
	CHECK_EQ(off, 61);
	tu_fini(&t);

	/* LogAppendTime: the broker's clock replaces max timestamp. */
	tu_init(&t, STORAGE_SYNC_NONE);
	t.pc.log_append_time = true;
	CHECK_EQ(tu_open(&t), 0);
	{
		struct buf b;
		int64_t base;
		buf_init(&b, 0);
		tu_batch(&b, 3, 10, "lat", 5);
		CHECK_EQ(plog_append(t.pl, b.data, b.len, 0, 777777, &base), 0);
		buf_fini(&b);
	}
	CHECK_EQ(tu_read_all(&t, &out), 0);
	CHECK(out.len > 61 && (be_get16(out.data + 21) & 0x08));
	CHECK_EQ((int64_t)be_get64(out.data + 35), 777777);
	CHECK(crc32c(0, out.data + 21, out.len - 21) ==
	      be_get32(out.data + 17));
	CHECK_EQ(plog_max_timestamp(t.pl, &off, &ts), 0);
	CHECK(off == 0 && ts == 777777);
	tu_fini(&t);
	buf_fini(&out);
}

static int count_files(const struct tu *t, const char *ext)
{
	char dir[512];
	DIR *d;
	struct dirent *e;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/%s-%d", t->dir, t->topic, t->partition);
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		size_t l = strlen(e->d_name), x = strlen(ext);
		n += l > x && !strcmp(e->d_name + l - x, ext);
	}
	if (d)
		closedir(d);
	return n;
}

static void test_roll(void)
{
	struct tu t;
	struct buf out;
	int64_t first, next;

	buf_init(&out, 0);
	tu_init(&t, STORAGE_SYNC_ALWAYS);
	t.pc.segment_bytes = 8192;
	CHECK_EQ(tu_open(&t), 0);
	for (int i = 0; i < 100; i++)
		CHECK_EQ(tu_append(&t, 2, i, "roll", 900), 2 * i);
	CHECK(tu_wait_hw(&t, 200));
	CHECK(count_files(&t, ".log") >= 20);
	CHECK_EQ(count_files(&t, ".log"), count_files(&t, ".dek"));
	{
		char p[512];
		tu_path(&t, p, sizeof(p), 0, "log");
		CHECK(tu_file_size(p) <= 8192);
	}
	CHECK_EQ(tu_read_all(&t, &out), 0);
	CHECK_EQ(tu_count_batches(&out, &first, &next), 100);
	tu_close(&t);
	CHECK_EQ(tu_open(&t), 0);
	buf_clear(&out);
	CHECK_EQ(tu_read_all(&t, &out), 0);
	CHECK_EQ(tu_count_batches(&out, &first, &next), 100);
	tu_fini(&t);

	/* segment.ms: a batch after the deadline opens a new segment, and
	 * retention seals an idle old one. */
	tu_init(&t, STORAGE_SYNC_NONE);
	t.pc.segment_ms = 1000;
	CHECK_EQ(tu_open(&t), 0);
	{
		struct buf b;
		int64_t base;
		buf_init(&b, 0);
		tu_batch(&b, 1, 0, "ms", 10);
		CHECK_EQ(plog_append(t.pl, b.data, b.len, 0, 10000, &base), 0);
		tu_batch(&b, 1, 0, "ms", 10);
		CHECK_EQ(plog_append(t.pl, b.data, b.len, 0, 10500, &base), 0);
		CHECK_EQ(count_files(&t, ".log"), 1);
		tu_batch(&b, 1, 0, "ms", 10);
		CHECK_EQ(plog_append(t.pl, b.data, b.len, 0, 11000, &base), 0);
		CHECK_EQ(count_files(&t, ".log"), 2);
		CHECK_EQ(plog_retention(t.pl, 12500), 0);
		tu_batch(&b, 1, 0, "ms", 10);
		CHECK_EQ(plog_append(t.pl, b.data, b.len, 0, 12600, &base), 0);
		CHECK_EQ(count_files(&t, ".log"), 3);
		buf_fini(&b);
	}
	tu_fini(&t);
	buf_fini(&out);
}

static void test_retention(void)
{
	struct plog_offsets o;
	struct buf out;
	struct tu t;
	int rc;

	buf_init(&out, 0);
	tu_init(&t, STORAGE_SYNC_ALWAYS);
	t.pc.segment_bytes = 4096;
	t.pc.retention_ms = 10000;
	CHECK_EQ(tu_open(&t), 0);
	for (int i = 0; i < 40; i++) /* timestamps 1000..40000 */
		CHECK_EQ(tu_append(&t, 1, 1000 * (i + 1), "ret", 700), i);
	CHECK(tu_wait_hw(&t, 40));
	rc = plog_retention(t.pl, 30500);
	CHECK(rc > 0);
	plog_offsets(t.pl, &o);
	CHECK(o.log_start_offset > 0 && o.log_start_offset <= 20);
	CHECK_EQ(
	    plog_read(t.pl, o.log_start_offset - 1, 40, SIZE_MAX, true, &out),
	    -ERANGE);
	CHECK_EQ(plog_read(t.pl, o.log_start_offset, 40, SIZE_MAX, true, &out),
		 0);
	/* Never the last segment, even when everything expired. */
	CHECK(plog_retention(t.pl, 1000000) > 0);
	plog_offsets(t.pl, &o);
	CHECK(o.log_start_offset < 40 && count_files(&t, ".log") == 1);
	tu_close(&t);
	CHECK_EQ(tu_open(&t), 0); /* the new LSO was checkpointed */
	plog_offsets(t.pl, &o);
	CHECK(o.log_start_offset > 20 && o.log_end_offset == 40);
	tu_fini(&t);

	tu_init(&t, STORAGE_SYNC_NONE);
	t.pc.segment_bytes = 4096;
	t.pc.retention_bytes = 3 * 4096;
	CHECK_EQ(tu_open(&t), 0);
	for (int i = 0; i < 40; i++)
		tu_append(&t, 1, 5, "rb", 700);
	CHECK(plog_retention(t.pl, 0) > 0);
	plog_offsets(t.pl, &o);
	CHECK(o.size_bytes <= 4 * 4096 && o.size_bytes > 2 * 4096);
	tu_fini(&t);
	buf_fini(&out);
}

static void test_delete_records(void)
{
	struct plog_offsets o;
	struct buf out;
	struct tu t;
	int64_t first, next;

	buf_init(&out, 0);
	tu_init(&t, STORAGE_SYNC_ALWAYS);
	t.pc.segment_bytes = 4096;
	CHECK_EQ(tu_open(&t), 0);
	for (int i = 0; i < 30; i++)
		tu_append(&t, 3, 5, "dr", 400);
	CHECK_EQ(plog_delete_records(t.pl, 10), -ERANGE); /* above HW */
	CHECK(tu_wait_hw(&t, 90));
	CHECK_EQ(plog_delete_records(t.pl, 91), -ERANGE);
	CHECK_EQ(plog_delete_records(t.pl, 40), 0);
	plog_offsets(t.pl, &o);
	CHECK_EQ(o.log_start_offset, 40);
	CHECK_EQ(plog_read(t.pl, 39, 90, SIZE_MAX, true, &out), -ERANGE);
	CHECK_EQ(plog_read(t.pl, 40, 90, 1, true, &out), 0);
	CHECK_EQ(tu_count_batches(&out, &first, &next), 1);
	CHECK_EQ(first, 39); /* the batch holding offset 40 */
	CHECK_EQ(plog_delete_records(t.pl, 20), 0); /* below: no-op */
	tu_close(&t);
	CHECK_EQ(tu_open(&t), 0);
	plog_offsets(t.pl, &o);
	CHECK_EQ(o.log_start_offset, 40);
	tu_fini(&t);
	buf_fini(&out);
}

static void test_truncate(void)
{
	struct plog_offsets o;
	struct buf out;
	struct tu t;
	int64_t first, next;

	buf_init(&out, 0);
	tu_init(&t, STORAGE_SYNC_ALWAYS);
	t.pc.segment_bytes = 4096;
	CHECK_EQ(tu_open(&t), 0);
	for (int i = 0; i < 40; i++)
		CHECK_EQ(tu_append(&t, 2, 5, "tr", 600), 2 * i);
	CHECK(tu_wait_hw(&t, 80));
	CHECK_EQ(plog_truncate_to(t.pl, 61), 0); /* mid batch 30 */
	plog_offsets(t.pl, &o);
	CHECK_EQ(o.log_end_offset, 60);
	CHECK_EQ(o.high_watermark, 60);
	CHECK_EQ(tu_read_all(&t, &out), 0);
	CHECK_EQ(tu_count_batches(&out, &first, &next), 30);
	CHECK_EQ(tu_append(&t, 2, 5, "new", 600), 60);
	CHECK(tu_wait_hw(&t, 62));
	CHECK_EQ(plog_truncate_to(t.pl, 7), 0); /* into the first segments */
	plog_offsets(t.pl, &o);
	CHECK_EQ(o.log_end_offset, 6);
	CHECK_EQ(tu_append(&t, 1, 5, "again", 600), 6);
	CHECK(tu_wait_hw(&t, 7));
	tu_close(&t);
	CHECK_EQ(tu_open(&t), 0);
	CHECK_EQ(plog_status(t.pl), 0);
	plog_offsets(t.pl, &o);
	CHECK_EQ(o.log_end_offset, 7);
	buf_clear(&out);
	CHECK_EQ(tu_read_all(&t, &out), 0);
	CHECK_EQ(tu_count_batches(&out, &first, &next), 4);
	CHECK_EQ(plog_truncate_to(t.pl, 0), 0);
	plog_offsets(t.pl, &o);
	CHECK(o.log_end_offset == 0 && o.log_start_offset == 0);
	CHECK_EQ(tu_append(&t, 1, 5, "z", 6), 0);
	tu_fini(&t);
	buf_fini(&out);
}

static void test_reopen(void)
{
	struct plog_offsets o, p;
	struct buf a, b;
	struct tu t;

	buf_init(&a, 0);
	buf_init(&b, 0);
	tu_init(&t, STORAGE_SYNC_ALWAYS);
	CHECK_EQ(tu_open(&t), 0);
	for (int i = 0; i < 10; i++)
		tu_append(&t, 3, 100 + i, "re", 50);
	CHECK(tu_wait_hw(&t, 30));
	CHECK_EQ(tu_read_all(&t, &a), 0);
	plog_offsets(t.pl, &o);
	tu_close(&t);
	CHECK_EQ(tu_open(&t), 0);
	plog_offsets(t.pl, &p);
	CHECK(p.log_end_offset == o.log_end_offset &&
	      p.high_watermark == o.log_end_offset && p.log_start_offset == 0);
	CHECK_EQ(tu_read_all(&t, &b), 0);
	CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	CHECK_EQ(count_files(&t, ".log"), 1);
	/* Never appended to again: the next batch opens a new segment. */
	CHECK_EQ(tu_append(&t, 1, 5, "n", 5), 30);
	CHECK_EQ(count_files(&t, ".log"), 2);
	tu_fini(&t);
	buf_fini(&a);
	buf_fini(&b);
}

static int scanned;
static int64_t scanned_next;

static void on_batch(void *ctx, const uint8_t *h)
{
	(void)ctx;
	if ((int64_t)be_get64(h) == scanned_next)
		scanned++;
	scanned_next = (int64_t)be_get64(h) + (int32_t)be_get32(h + 23) + 1;
}

static void test_scan_tail(void)
{
	struct tu t;

	tu_init(&t, STORAGE_SYNC_NONE);
	CHECK_EQ(tu_open(&t), 0);
	for (int i = 0; i < 12; i++)
		tu_append(&t, 2, 5, "s", 30);
	tu_close(&t);
	CHECK_EQ(tu_open(&t), 0);
	scanned = 0;
	scanned_next = 0;
	CHECK_EQ(plog_scan_tail(t.pl, on_batch, NULL), 0);
	CHECK_EQ(scanned, 12);
	tu_fini(&t);
}

static void test_delete_and_foreign_dir(void)
{
	struct tu t;
	char p[600];
	struct stat sb;
	uint8_t other[16] = {9};

	tu_init(&t, STORAGE_SYNC_ALWAYS);
	CHECK_EQ(tu_open(&t), 0);
	tu_append(&t, 1, 5, "d", 5);
	CHECK_EQ(plog_delete(t.pl), 0);
	t.pl = NULL;
	snprintf(p, sizeof(p), "%s/orders-0", t.dir);
	CHECK(stat(p, &sb) != 0);
	/* A leftover of a deletion interrupted by a crash goes at open. */
	snprintf(p, sizeof(p), "%s/orders-1.0102-delete", t.dir);
	CHECK_EQ(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/orders-1.0102-delete/x.log", t.dir);
	CHECK_EQ(tu_write_file(p, (const uint8_t *)"x", 1), 0);
	storage_close(t.st);
	t.st = NULL;
	CHECK_EQ(tu_open(&t), 0);
	snprintf(p, sizeof(p), "%s/orders-1.0102-delete", t.dir);
	CHECK(stat(p, &sb) != 0);
	tu_append(&t, 1, 5, "d", 5);
	tu_close(&t);
	/* Same name, another topic id: the directory is not ours. */
	memcpy(t.id, other, 16);
	CHECK_EQ(tu_open(&t), 0);
	CHECK_EQ(plog_status(t.pl), -EBADMSG);
	{
		struct buf out;
		buf_init(&out, 0);
		CHECK_EQ(plog_read(t.pl, 0, 1, SIZE_MAX, true, &out), -EBADMSG);
		CHECK_EQ(tu_append(&t, 1, 5, "x", 5), -EBADMSG);
		buf_fini(&out);
	}
	/* Deleting the impostor leaves the real owner's data alone. */
	CHECK_EQ(plog_delete(t.pl), 0);
	t.pl = NULL;
	tu_close(&t);
	memcpy(t.id, tu_topic_id, 16);
	CHECK_EQ(tu_open(&t), 0);
	CHECK_EQ(plog_status(t.pl), 0);
	{
		struct plog_offsets o;
		plog_offsets(t.pl, &o);
		CHECK_EQ(o.log_end_offset, 1);
	}
	tu_fini(&t);
}

static void test_bad_input(void)
{
	struct tu t;
	struct buf b;
	int64_t base;

	buf_init(&b, 0);
	tu_init(&t, STORAGE_SYNC_NONE);
	CHECK_EQ(tu_open(&t), 0);
	tu_batch(&b, 2, 5, "bad", 10);
	CHECK_EQ(plog_append(t.pl, b.data, 60, 0, 0, &base), -EINVAL);
	CHECK_EQ(plog_append(t.pl, b.data, b.len - 1, 0, 0, &base), -EINVAL);
	b.data[16] = 1;
	CHECK_EQ(plog_append(t.pl, b.data, b.len, 0, 0, &base), -EINVAL);
	tu_close(&t);
	{
		struct plog *pl;
		CHECK_EQ(storage_open(&t.sc, &t.st), 0);
		CHECK_EQ(plog_open(t.st, "../etc", t.id, 0, &t.pc, &pl),
			 -EINVAL);
		CHECK_EQ(plog_open(t.st, "a/b", t.id, 0, &t.pc, &pl), -EINVAL);
		CHECK_EQ(plog_open(t.st, "ok", t.id, -1, &t.pc, &pl), -EINVAL);
	}
	/* A second process (or storage) on the same directory is refused. */
	{
		struct storage *st2;
		CHECK_EQ(storage_open(&t.sc, &st2), -EBUSY);
	}
	tu_fini(&t);
	buf_fini(&b);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	test_roundtrip();
	test_offsets();
	test_read_limits();
	test_time();
	test_roll();
	test_retention();
	test_delete_records();
	test_truncate();
	test_reopen();
	test_scan_tail();
	test_delete_and_foreign_dir();
	test_bad_input();
	return check_finish();
}
