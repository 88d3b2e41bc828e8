/* plog_int.h - the partition log's state, shared by plog*.c and storage.c.
 *
 * Not a public header. Thread: the storage owner thread only.
 */
#ifndef SEALOG_STORAGE_PLOG_INT_H
#define SEALOG_STORAGE_PLOG_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "base/buf.h"
#include "base/hmap.h"
#include "storage/plog.h"
#include "storage/seal.h"
#include "storage/segment.h"
#include "storage/storage_int.h"

/* Encryptions per data key before a forced roll (R7: far below 2^32). */
#define PLOG_DEK_MAX_FRAMES (1u << 24)

struct plog {
	struct hmap_node hnode; /* storage's id map */
	uint64_t id;
	struct storage *st;
	char *dir;  /* <log dir>/<topic>-<partition> */
	char *name; /* <topic>-<partition> */
	int dirfd;
	struct sfile *dirf; /* the directory, for fsync in passes */
	uint8_t topic_id[16];
	int32_t partition;
	struct plog_config cfg;
	int status;	       /* 0 or -EBADMSG once corruption was seen */
	bool foreign;	       /* the directory belongs to another topic id */
	struct segment **segs; /* sorted by base offset */
	size_t nseg, segcap;
	int64_t lso, hw, leo;
	int64_t synced;	      /* everything below is fdatasync'ed */
	uint64_t trunc_epoch; /* bumped by truncate_to: stale targets */
	uint64_t target_gen;  /* storage_sync_target bookkeeping */
	size_t target_idx;
	int64_t size_bytes;
	struct storage_ckpt *ck;
	EVP_CIPHER_CTX *enc, *dec;
	struct buf wbuf; /* one sealed frame being written */
};

static inline struct segment *plog_last(const struct plog *pl)
{
	return pl->nseg ? pl->segs[pl->nseg - 1] : NULL;
}

static inline struct seal_id plog_seal_id(const struct plog *pl,
					  const struct segment *s)
{
	struct seal_id id;

	for (int i = 0; i < 16; i++)
		id.topic_id[i] = pl->topic_id[i];
	id.partition = pl->partition;
	id.seg_base = s->base;
	return id;
}

/* plog.c */
/* Mark the partition corrupt (-EBADMSG) and log file and position. */
int plog_corrupt(struct plog *pl, const struct segment *s, uint64_t pos,
		 const char *why);
/* 0, pl->status, or -EROFS when the directory is offline. */
int plog_check(const struct plog *pl);
/* Index of the segment holding offset (the last with base <= offset). */
size_t plog_seg_find(const struct plog *pl, int64_t offset);
/* Unlink a segment's files (log last kept for callers' order) and free
 * it; removes it from segs[i]. */
int plog_seg_remove(struct plog *pl, size_t i);
/* Make sure a sealed segment's index is loaded or rebuilt. */
int plog_index_ensure(struct plog *pl, struct segment *s);
/* Scan s fully (authenticating) and rebuild its in-memory state. */
int plog_seg_rescan(struct plog *pl, struct segment *s, uint64_t file_len,
		    struct seg_scan *out);

/* plog_append.c */
/* Seal the last segment if it is unsealed (footer, index files) and
 * queue its sync. 0 or -errno (directory offline). */
int plog_seal_last(struct plog *pl);
/* Write the footer of an unsealed segment at s->data_len. */
int plog_seal(struct plog *pl, struct segment *s);

#endif
