/* futil.h - small-file helpers for storage/: atomic replace, bounded read.
 *
 * Checkpoints, sidecars, key files and partition.metadata are replaced the
 * crash-safe way: write <name>.tmp, fdatasync it, rename over <name>,
 * fsync the directory. A crash leaves the old or the new file, never a mix;
 * a leftover .tmp is garbage that open paths delete.
 *
 * Errors: 0 or -errno. Thread: any (no shared state).
 */
#ifndef SEALOG_STORAGE_FUTIL_H
#define SEALOG_STORAGE_FUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Atomically replace dirfd/name with len bytes (created with mode).
 * Durable when it returns 0. Writes and syncs go through sio.h. */
int futil_replace(int dirfd, const char *name, const void *data, size_t len,
		  mode_t mode);

/* Read all of dirfd/name into a malloc'd buffer (*data, *len; NUL
 * terminated, not counted). -ENOENT when missing, -EFBIG above max bytes.
 * Caller frees (OPENSSL_clear_free when it holds secrets). */
int futil_read(int dirfd, const char *name, size_t max, uint8_t **data,
	       size_t *len);

/* Remove dirfd/name: a file, or a directory with its files (one level,
 * which is all a partition directory has). -ENOENT when missing. */
int futil_remove_tree(int dirfd, const char *name);

/* fsync a directory by fd (through sio.h). */
int futil_sync_dir(int dirfd);

#endif
