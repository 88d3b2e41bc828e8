/* verify.h - offline inspection and maintenance of a log directory.
 *
 * The engine of the tools: sealog-dump verifies partition directories or
 * single segment files (every tag, CRC-32C, offset and footer, with the
 * same scanner recovery uses), sealog-keys re-wraps data keys after a key
 * rotation. Nothing here runs inside the broker.
 *
 * Thread: one caller at a time; no shared state.
 */
#ifndef SEALOG_STORAGE_VERIFY_H
#define SEALOG_STORAGE_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/keyring.h"

struct verify_batch {
	const char *file;
	uint64_t pos; /* byte position of the frame */
	int64_t base_offset;
	int32_t last_delta;
	int64_t max_ts;
	const uint8_t *batch; /* the decrypted v2 batch, valid during the
			       * call only (wiped afterwards) */
	size_t len;
};

struct verify_ops {
	/* Each may be NULL. */
	void (*segment_begin)(void *ctx, const char *file, int64_t base,
			      const char *key_id, uint64_t size);
	void (*batch)(void *ctx, const struct verify_batch *b);
	void (*segment_end)(void *ctx, const char *file, uint32_t frames,
			    int64_t next, bool sealed);
	void (*problem)(void *ctx, const char *file, uint64_t pos,
			const char *what);
};

/* Verify path: a partition directory (<topic>-<partition>, with its
 * partition.metadata) or one <base>.log inside one. Returns the number of
 * problems found (0: everything verified), or -errno when path cannot be
 * inspected at all (also reported through ops->problem). */
int verify_path(const struct keyring *kr, const char *path,
		const struct verify_ops *ops, void *ctx);

/* Re-wrap every data key sidecar of every partition under data_dir with
 * the keyring's current key, one atomic replace (tmp, fsync, rename, fsync
 * dir) per sidecar, so a crash leaves each sidecar old or new, both
 * readable while the key file holds both keys. Records the current key in
 * data_dir/encryption.check. Holds the directory lock: -EBUSY while a
 * broker runs. *changed and *total count sidecars. Returns 0, or -errno
 * after logging which sidecar failed (others are still processed). */
int verify_rewrap_dir(const struct keyring *kr, const char *data_dir,
		      size_t *changed, size_t *total);

/* Call fn for every sidecar under data_dir with the key id it names.
 * 0 or -errno. */
int verify_key_usage(const char *data_dir,
		     void (*fn)(void *ctx, const char *sidecar,
				const char *key_id),
		     void *ctx);

#endif
