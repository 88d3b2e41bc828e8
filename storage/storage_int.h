/* storage_int.h - what storage.c shares with the plog and tool code.
 *
 * Not a public header: only storage/ and its tools include it.
 *
 * sfile: an fd shared by the owner thread and the sync thread. The owner
 * holds a reference while the file is open; every pass that will sync it
 * holds another, so a segment closed (or a partition deleted) while a
 * pass is in flight keeps its fd valid until the pass is done.
 */
#ifndef SEALOG_STORAGE_STORAGE_INT_H
#define SEALOG_STORAGE_STORAGE_INT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/hmap.h"
#include "storage/keyring.h"
#include "storage/storage.h"

struct plog;

struct sfile {
	atomic_int refs;
	int fd;
	uint64_t gen; /* owner only: the pass it was last queued in */
	char path[];  /* for log lines */
};

/* openat(dirfd, name, flags, mode) wrapped in an sfile; path is
 * dir/name. NULL with *err = -errno. */
struct sfile *sfile_open(int dirfd, const char *dir, const char *name,
			 int flags, mode_t mode, int *err);
struct sfile *sfile_ref(struct sfile *f);
/* Any thread; the last reference closes the fd. NULL is a no-op. */
void sfile_unref(struct sfile *f);

/* One partition's checkpoint entry: durable log start offset and the
 * recovery point (everything below it was fdatasync'ed). */
struct storage_ckpt {
	struct hmap_node hnode;
	uint8_t topic_id[16];
	int32_t partition;
	int64_t lso;
	int64_t recovery;
	bool known; /* read from the checkpoint file, or set by an open */
};

/* --- owner thread --------------------------------------------------------- */

struct keyring *storage_keys(const struct storage *st);
int storage_dir_fd(const struct storage *st);
enum storage_sync_mode storage_mode(const struct storage *st);

/* Queue f for fdatasync (dir: fsync) in the next sync pass. */
void storage_sync_file(struct storage *st, struct sfile *f, bool dir);
/* When the next pass succeeds, plog_synced(pl, offset, epoch) runs. */
void storage_sync_target(struct storage *st, struct plog *pl, int64_t offset);

/* Take the directory offline: log once (what failed, on which file, and
 * that the directory is now offline), set storage_offline(). Any thread. */
void storage_fail(struct storage *st, int err, const char *what,
		  const char *path);

/* The entry for (topic id, partition); NULL when absent and !create (or
 * ENOMEM). */
struct storage_ckpt *storage_ckpt_get(struct storage *st,
				      const uint8_t topic_id[16],
				      int32_t partition, bool create);
void storage_ckpt_drop(struct storage *st, struct storage_ckpt *ck);
/* An entry changed: the next pass writes the checkpoint (rate limited). */
void storage_ckpt_touch(struct storage *st);
/* Write the checkpoint now, durably (DeleteRecords, retention,
 * truncation, close). 0 or -errno (and the directory is offline). */
int storage_ckpt_flush(struct storage *st);

/* Register an open plog (id assigned) / forget it. */
void storage_plog_add(struct storage *st, struct plog *pl);
void storage_plog_del(struct storage *st, struct plog *pl);

/* Implemented in plog.c, called by storage_poll(): a pass covering
 * offset (appended under truncation epoch epoch) completed. */
void plog_synced(struct plog *pl, int64_t offset, uint64_t epoch);

/* Partition directory name "<topic>-<partition>": 0 or -EINVAL (bad topic
 * name), -ENAMETOOLONG. */
int storage_part_name(const char *topic, int32_t partition, char *out,
		      size_t cap);

#endif
