/* plog.h - a partition's log: encrypted, append-only, indexed segments.
 *
 * Each partition lives in <log dir>/<topic>-<partition>/ as segment files
 * of sealed frames: every Kafka v2 record batch is encrypted and
 * authenticated with AES-256-GCM under the segment's data key before it is
 * written (see storage/README.md for the format and the threat model).
 * Reads verify and decrypt, and return the original batch bytes.
 *
 * Offsets: the log end offset (LEO) is the next offset to assign; the high
 * watermark (HW) is the end of the durable prefix that may be served to
 * consumers and acknowledged to acks=all producers; the log start offset
 * (LSO) is the first offset still readable.  LSO <= HW <= LEO.
 *
 * Errors (every int function returns 0 or one of these):
 *   -ERANGE   offset outside [LSO, LEO]           (OFFSET_OUT_OF_RANGE)
 *   -EBADMSG  a frame failed authentication or a CRC: the partition is now
 *             offline and the place is logged    (KAFKA_STORAGE_ERROR)
 *   -EROFS    the log directory is offline        (KAFKA_STORAGE_ERROR)
 *   -EIO, -ENOSPC  write failed; the directory went offline
 *   -ENOMEM
 * Thread: the owner thread of the storage (storage.h) only.
 *
 * Appends and reads pwrite/pread on the owner thread; fdatasync happens on
 * the storage's sync thread. Rare operations (segment deletion by
 * retention or DeleteRecords, truncate_to, delete, open) fsync inline.
 */
#ifndef SEALOG_STORAGE_PLOG_H
#define SEALOG_STORAGE_PLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct storage;
struct plog;

struct plog_config {
	int64_t segment_bytes;	      /* segment.bytes: roll when exceeded */
	int64_t segment_ms;	      /* segment.ms: roll an older segment */
	int64_t retention_ms;	      /* retention.ms, -1 = unlimited */
	int64_t retention_bytes;      /* retention.bytes, -1 = unlimited */
	int32_t index_interval_bytes; /* index.interval.bytes (4096) */
	bool log_append_time;	      /* message.timestamp.type=LogAppendTime */
};

/* Open (creating if missing) the log of topic/partition, bound to
 * topic_id. Recovery runs here: a torn last frame of the active segment is
 * truncated, missing or damaged indexes rebuilt. Corruption before the
 * tail does not fail the open: the plog comes back offline (every call
 * returns -EBADMSG) and the reason is logged. So does a directory that
 * belongs to another topic id, and a segment whose data key does not
 * unwrap. Returns 0, -EINVAL (topic name not [a-zA-Z0-9._-]{1,249} or
 * partition < 0), -EROFS (directory offline), -ENOMEM, or another -errno
 * the directory could not be created or read with. */
int plog_open(struct storage *st, const char *topic, const uint8_t topic_id[16],
	      int32_t partition, const struct plog_config *cfg,
	      struct plog **out);

/* Flush and close; the files stay. */
void plog_close(struct plog *pl);

/* Close and delete the partition's directory (topic deletion): renamed
 * to <topic>-<p>.<hex topic id>-delete and the parent fsynced first, so a
 * crash leaves either the whole log or a leftover that storage_open
 * removes. Frees pl even on error (returned, logged). */
int plog_delete(struct plog *pl);

/* Replace the configuration (AlterConfigs); takes effect at the next
 * append/roll/retention pass. */
void plog_set_config(struct plog *pl, const struct plog_config *cfg);

/* Append one validated v2 record batch (CRC already checked by the
 * caller). batch is modified in place: baseOffset set to the LEO,
 * partitionLeaderEpoch set to leader_epoch, and with LogAppendTime the
 * timestamp-type bit and maxTimestamp set to now_ms (CRC recomputed).
 * On success *base_offset is the first offset assigned and the LEO has
 * moved past the batch; the HW moves when the covering sync completes.
 * Also: -EINVAL (not a v2 batch of len bytes), -EMSGSIZE (above 128 MiB),
 * -EOVERFLOW (offsets exhausted). A failed append leaves the LEO alone. */
int plog_append(struct plog *pl, uint8_t *batch, size_t len,
		int32_t leader_epoch, int64_t now_ms, int64_t *base_offset);

struct plog_offsets {
	int64_t log_start_offset;
	int64_t high_watermark;
	int64_t log_end_offset;
	int64_t size_bytes; /* sum of segment file sizes */
};
void plog_offsets(const struct plog *pl, struct plog_offsets *out);

/* 0 when online, else -EBADMSG or -EROFS. */
int plog_status(const struct plog *pl);

/* Append to out the batches that hold offsets >= offset, starting with the
 * batch that contains offset, stopping before the first batch whose last
 * offset is >= max_offset (normally the HW) and before a batch that would
 * take the total past max_bytes -- except that with min_one the first
 * batch is returned whole even if larger (Kafka's KIP-74 rule).
 * offset == LEO (or >= max_offset) returns 0 with nothing appended.
 * Every batch returned was authenticated and CRC-checked; on any error
 * out->len is restored (bytes written past it are wiped). */
int plog_read(struct plog *pl, int64_t offset, int64_t max_offset,
	      size_t max_bytes, bool min_one, struct buf *out);

/* ListOffsets by time: the first record at or above the LSO with
 * timestamp >= ts (in the first batch whose max timestamp >= ts), with
 * its timestamp. Compressed batches cannot be looked into here: their
 * base offset and max timestamp stand in. -ENOENT when none qualifies. */
int plog_offset_for_time(struct plog *pl, int64_t ts, int64_t *offset,
			 int64_t *found_ts);

/* Offset and timestamp of the first record with the largest timestamp
 * (ListOffsets MAX_TIMESTAMP, KIP-734); LogAppendTime and compressed
 * batches answer their base offset. -ENOENT on an empty log. */
int plog_max_timestamp(struct plog *pl, int64_t *offset, int64_t *ts);

/* Move the log start offset up to offset (DeleteRecords); offset may not
 * exceed the HW (-ERANGE). Whole segments below it are deleted. Durable
 * (checkpointed) before returning. */
int plog_delete_records(struct plog *pl, int64_t offset);

/* Remove every batch at or above offset; LEO becomes the base offset of
 * the first removed batch (>= LSO). For replication. */
int plog_truncate_to(struct plog *pl, int64_t offset);

/* Apply retention.ms / retention.bytes and segment.ms at time now_ms:
 * delete whole expired segments (never the active one), roll an old
 * active segment. Returns the number of segments deleted or -errno. */
int plog_retention(struct plog *pl, int64_t now_ms);

/* Visit the first 61 bytes (the v2 batch header) of every batch of the
 * log's tail, oldest first, after authenticating each (used to rebuild
 * idempotent-producer state after a restart). The tail is the last
 * segment plus the segments before it up to 8 MiB in all: every open
 * starts a new segment, so "the active segment" alone could be tiny. */
typedef void (*plog_batch_fn)(void *ctx, const uint8_t *header61);
int plog_scan_tail(struct plog *pl, plog_batch_fn fn, void *ctx);

#endif
