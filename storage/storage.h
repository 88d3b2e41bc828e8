/* storage.h - one log directory: its keyring, its sync thread, its health.
 *
 * A struct storage owns everything shared by the partition logs (plog.h)
 * in one log directory: the operator keys that wrap segment data keys,
 * the group-commit sync thread, and the directory's online/offline state.
 *
 * Threads: every function here and in plog.h is called from one owner
 * thread (the broker thread). The sync thread is internal: it fdatasyncs
 * segment files written since its last pass and then makes
 * storage_notify_fd() readable; the owner then calls storage_poll(), which
 * advances the high watermark of every partition the pass covered.
 *
 * Durability invariant: a plog's high watermark never passes data whose
 * fdatasync has not completed successfully (in STORAGE_SYNC_ALWAYS mode).
 * An fdatasync or write error is never retried: the directory goes
 * offline, storage_offline() turns true, and every later append and read
 * fails with -EROFS.
 *
 * Files of a log directory (storage/README.md has the formats):
 *   .lock                 flock'ed by the open storage (one process)
 *   encryption.keys       the embedded default key file (keyring.h)
 *   encryption.check      binds key ids to this directory (wrong key ->
 *                         refuse to start)
 *   sealog-checkpoint     per partition: log start offset, recovery point
 *   <topic>-<partition>/  one partition log (plog.h)
 *   meta/                 the LMDB environment (meta.h), not ours here
 */
#ifndef SEALOG_STORAGE_STORAGE_H
#define SEALOG_STORAGE_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct storage;

enum storage_sync_mode {
	/* acks=all waits for the group-commit fdatasync covering it. */
	STORAGE_SYNC_ALWAYS = 0,
	/* No fdatasync before acknowledging; the high watermark follows the
	 * log end offset at once. Faster; a crash may lose acknowledged data.
	 */
	STORAGE_SYNC_NONE = 1,
};

struct storage_config {
	const char *dir; /* the log directory; created (0700) if missing */
	const char
	    *key_file; /* log.encryption.key.file; NULL = the embedded
			* default <dir>/encryption.keys, created 0600 with
			* a warning that production keeps it elsewhere */
	enum storage_sync_mode sync_mode;
};

/* Open the directory: lock it, load (or create) the keyring, check it
 * against encryption.check and every segment's key id, remove leftovers
 * of interrupted topic deletions, load the checkpoint, start the sync
 * thread. Sets up OpenSSL's secure heap for key material if nobody has.
 * Returns 0 or -errno; on failure it has logged a line naming the file
 * and the reason:
 *   -ENOENT, -EACCES, -EINVAL  key file missing, bad mode, bad format
 *   -EKEYREJECTED              a key id's bytes differ from the ones this
 *                              directory was written with (wrong key)
 *   -ENOKEY                    a segment needs a key id the file lacks
 *   -EBUSY                     another process holds the directory
 *   -EINVAL                    the directory is on a network file system
 */
int storage_open(const struct storage_config *cfg, struct storage **out);

/* Run the queued syncs, stop the sync thread, write the checkpoint, wipe
 * keys, free. Every plog of this storage must be closed first. */
void storage_close(struct storage *st);

/* Readable when sync passes have completed; then call storage_poll(). */
int storage_notify_fd(const struct storage *st);

/* Owner thread: collect finished sync passes, advance high watermarks,
 * and start the next pass with whatever was appended meanwhile (group
 * commit). Cheap when idle. */
void storage_poll(struct storage *st);

/* Owner thread: wake the sync thread now (called after a burst of
 * appends; appends alone do not wake it, so a burst costs one pass). */
void storage_sync_kick(struct storage *st);

/* True once a write or sync error took the directory offline. */
bool storage_offline(const struct storage *st);

/* Path of the directory (as configured). */
const char *storage_dir(const struct storage *st);

#endif
