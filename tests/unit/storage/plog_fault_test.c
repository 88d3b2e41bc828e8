/* plog_fault_test.c - write and sync failures through the I/O seam:
 * ENOSPC, EIO and short writes on append, EIO on fdatasync (data, sidecar,
 * directory, checkpoint). Each takes the log directory offline for good;
 * the HW never passes data whose sync did not succeed; nothing is
 * retried; the next start recovers what was durable. */
#include <stdatomic.h>

#include "storage/sio.h"
#include "tests/unit/storage/st_util.h"

static atomic_int write_fail_at = -1; /* fail the Nth pwrite from now */
static atomic_int write_short;	      /* that write: half, then fails */
static atomic_int write_errno = ENOSPC;
static atomic_int writes;
static atomic_int sync_fail; /* fdatasync/fsync fail with EIO */
static atomic_int syncs, syncs_after_fail;

static ssize_t f_pwrite(int fd, const void *b, size_t len, off_t off)
{
	int n = atomic_fetch_add(&writes, 1);

	if (n == atomic_load(&write_fail_at)) {
		if (atomic_load(&write_short) && len > 1) {
			atomic_store(&write_short, 0);
			atomic_store(&write_fail_at, n + 1);
			return pwrite(fd, b, len / 2, off);
		}
		errno = atomic_load(&write_errno);
		return -1;
	}
	return pwrite(fd, b, len, off);
}

static int f_sync(int fd, int (*real)(int))
{
	atomic_fetch_add(&syncs, 1);
	if (atomic_load(&sync_fail)) {
		atomic_fetch_add(&syncs_after_fail, 1);
		errno = EIO;
		return -1;
	}
	return real(fd);
}

static int f_fdatasync(int fd)
{
	return f_sync(fd, fdatasync);
}
static int f_fsync(int fd)
{
	return f_sync(fd, fsync);
}

static const struct sio_ops faulty = {
    .pwrite = f_pwrite,
    .pread = pread,
    .fdatasync = f_fdatasync,
    .fsync = f_fsync,
    .ftruncate = ftruncate,
};

static void faults_reset(void)
{
	atomic_store(&write_fail_at, -1);
	atomic_store(&write_short, 0);
	atomic_store(&write_errno, ENOSPC);
	atomic_store(&writes, 0);
	atomic_store(&sync_fail, 0);
	atomic_store(&syncs, 0);
	atomic_store(&syncs_after_fail, 0);
}

static void check_offline(struct tu *t, int64_t hw)
{
	struct plog_offsets o;
	struct buf out;

	buf_init(&out, 0);
	CHECK(storage_offline(t->st));
	CHECK_EQ(plog_status(t->pl), -EROFS);
	CHECK_EQ(tu_append(t, 1, 5, "more", 10), -EROFS);
	CHECK_EQ(plog_read(t->pl, 0, 100, SIZE_MAX, true, &out), -EROFS);
	CHECK_EQ(plog_delete_records(t->pl, 0), -EROFS);
	plog_offsets(t->pl, &o);
	CHECK_EQ(o.high_watermark, hw);
	buf_fini(&out);
}

/* After a restart without faults: exactly `batches` batches. */
static void check_recovered(struct tu *t, int batches)
{
	struct buf out;
	int64_t first, next;

	tu_close(t);
	sio_set_ops(NULL);
	buf_init(&out, 0);
	CHECK_EQ(tu_open(t), 0);
	CHECK_EQ(plog_status(t->pl), 0);
	CHECK_EQ(tu_read_all(t, &out), 0);
	CHECK_EQ(tu_count_batches(&out, &first, &next), batches);
	buf_fini(&out);
}

static void test_write_fault(bool short_write, enum storage_sync_mode mode,
			     int err)
{
	struct plog_offsets o;
	struct tu t;

	faults_reset();
	atomic_store(&write_errno, err);
	tu_init(&t, mode);
	CHECK_EQ(tu_open(&t), 0);
	for (int i = 0; i < 3; i++)
		tu_append(&t, 1, 5, "ok", 100);
	CHECK(tu_wait_hw(&t, 3));
	sio_set_ops(&faulty);
	atomic_store(&write_short, short_write);
	atomic_store(&write_fail_at, atomic_load(&writes));
	CHECK_EQ(tu_append(&t, 1, 5, "full", 100), -err);
	plog_offsets(t.pl, &o);
	CHECK_EQ(o.log_end_offset, 3); /* the failed batch is not visible */
	check_offline(&t, 3);
	tu_settle(&t, 50);
	check_recovered(&t, 3);
	tu_fini(&t);
}

static void test_sync_fault(void)
{
	struct plog_offsets o;
	struct tu t;
	int after;

	faults_reset();
	tu_init(&t, STORAGE_SYNC_ALWAYS);
	CHECK_EQ(tu_open(&t), 0);
	sio_set_ops(&faulty);
	CHECK_EQ(tu_append(&t, 2, 5, "a", 100), 0);
	CHECK(tu_wait_hw(&t, 2));
	atomic_store(&sync_fail, 1);
	CHECK_EQ(tu_append(&t, 2, 5, "b", 100), 2);
	CHECK(!tu_wait_hw_ms(&t, 4, 300)); /* never acknowledged */
	plog_offsets(t.pl, &o);
	CHECK_EQ(o.high_watermark, 2);
	CHECK_EQ(o.log_end_offset, 4);
	check_offline(&t, 2);
	/* fsyncgate: no retry, however often the owner kicks. */
	after = atomic_load(&syncs_after_fail);
	CHECK_EQ(after, 1);
	tu_settle(&t, 100);
	CHECK_EQ(atomic_load(&syncs_after_fail), after);
	/* The unsynced batch survives a process crash (page cache) or not;
	 * either way the acknowledged one is there. */
	tu_close(&t);
	sio_set_ops(NULL);
	CHECK_EQ(tu_open(&t), 0);
	{
		struct buf out;
		int64_t first, next;
		buf_init(&out, 0);
		CHECK_EQ(tu_read_all(&t, &out), 0);
		CHECK(tu_count_batches(&out, &first, &next) >= 1 && first == 0);
		buf_fini(&out);
	}
	tu_fini(&t);
}

/* The sidecar and directory syncs of a new segment guard the HW too. */
static void test_roll_sync_fault(void)
{
	struct plog_offsets o;
	struct tu t;

	faults_reset();
	tu_init(&t, STORAGE_SYNC_ALWAYS);
	t.pc.segment_bytes = 2048;
	CHECK_EQ(tu_open(&t), 0);
	CHECK_EQ(tu_append(&t, 1, 5, "a", 800), 0);
	CHECK_EQ(tu_append(&t, 1, 5, "b", 800), 1);
	CHECK(tu_wait_hw(&t, 2));
	sio_set_ops(&faulty);
	atomic_store(&sync_fail, 1);
	CHECK_EQ(tu_append(&t, 1, 5, "c", 800), 2); /* rolls */
	CHECK(!tu_wait_hw_ms(&t, 3, 300));
	plog_offsets(t.pl, &o);
	CHECK_EQ(o.high_watermark, 2);
	check_offline(&t, 2);
	check_recovered(&t, 3);
	tu_fini(&t);
}

/* A write error while creating the next segment (the .dek sidecar). */
static void test_create_fault(void)
{
	struct tu t;

	faults_reset();
	tu_init(&t, STORAGE_SYNC_ALWAYS);
	t.pc.segment_bytes = 2048;
	CHECK_EQ(tu_open(&t), 0);
	CHECK_EQ(tu_append(&t, 1, 5, "a", 800), 0);
	CHECK_EQ(tu_append(&t, 1, 5, "b", 800), 1);
	CHECK(tu_wait_hw(&t, 2));
	sio_set_ops(&faulty);
	/* next writes: the footer of the full segment, its two index files
	 * (best effort), then the new segment's sidecar */
	atomic_store(&write_fail_at, atomic_load(&writes) + 3);
	CHECK_EQ(tu_append(&t, 1, 5, "c", 800), -ENOSPC);
	check_offline(&t, 2);
	check_recovered(&t, 2);
	tu_fini(&t);
}

/* DeleteRecords must be durable: a failed checkpoint is an error. */
static void test_checkpoint_fault(void)
{
	struct plog_offsets o;
	struct tu t;

	faults_reset();
	tu_init(&t, STORAGE_SYNC_ALWAYS);
	CHECK_EQ(tu_open(&t), 0);
	for (int i = 0; i < 4; i++)
		tu_append(&t, 1, 5, "a", 100);
	CHECK(tu_wait_hw(&t, 4));
	sio_set_ops(&faulty);
	atomic_store(&sync_fail, 1);
	CHECK(plog_delete_records(t.pl, 2) < 0);
	CHECK(storage_offline(t.st));
	plog_offsets(t.pl, &o);
	tu_close(&t);
	sio_set_ops(NULL);
	CHECK_EQ(tu_open(&t), 0);
	plog_offsets(t.pl, &o);
	CHECK_EQ(o.log_start_offset, 0); /* not durable, so not applied */
	CHECK_EQ(o.log_end_offset, 4);
	tu_fini(&t);
}

int main(void)
{
	log_set_level(LOG_OFF);
	test_write_fault(false, STORAGE_SYNC_ALWAYS, ENOSPC);
	test_write_fault(true, STORAGE_SYNC_ALWAYS, ENOSPC);
	test_write_fault(false, STORAGE_SYNC_ALWAYS, EIO);
	test_write_fault(true, STORAGE_SYNC_NONE, EIO);
	test_write_fault(false, STORAGE_SYNC_NONE, ENOSPC);
	test_sync_fault();
	test_roll_sync_fault();
	test_create_fault();
	test_checkpoint_fault();
	sio_set_ops(NULL);
	return check_finish();
}
