/* keyring.h - operator key-encryption keys (KEKs) of a log directory.
 *
 * A KEK never encrypts data: it wraps the random per-segment data keys
 * (seal.h). The key file (log.encryption.key.file) is text, one entry a
 * line, '#' comments and blank lines ignored:
 *
 *     key.<id>=<64 hex digits>     one AES-256 key
 *     current=<id>                 the key that wraps new data keys
 *
 * ids are 1..64 of [A-Za-z0-9._-]; `current` may be omitted when the file
 * holds one key. The file must be a regular file without group/other
 * permission bits (0600 or 0400); anything else is refused with a line
 * naming the file.
 *
 * Memory: keys live in OpenSSL's secure heap (mlock'd and MADV_DONTDUMP
 * where the system allows; see storage/README.md) and are wiped by
 * keyring_free(). Parsing buffers are wiped too. Keys are never logged.
 * Thread: a loaded keyring is read-only; wrap/unwrap/check may run on any
 * thread concurrently. keyring_add/remove/save: one thread (the tool).
 */
#ifndef SEALOG_STORAGE_KEYRING_H
#define SEALOG_STORAGE_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYRING_ID_MAX 64
#define KEYRING_KEY_LEN 32
#define KEYRING_DEFAULT_FILE "encryption.keys"

struct keyring;

/* Load path. -ENOENT missing, -EACCES bad mode or type, -EINVAL bad
 * format (duplicate id, unknown current, bad hex...), -ENOMEM. Every
 * failure is logged with the file name (and line). */
int keyring_load(const char *path, struct keyring **out);

/* Create path (O_EXCL, mode 0600, durable) holding one fresh random key
 * with id `id`, and return it loaded. -EEXIST when the file exists. */
int keyring_create(const char *path, const char *id, struct keyring **out);

/* Wipe and free; NULL is a no-op. */
void keyring_free(struct keyring *kr);

const char *keyring_path(const struct keyring *kr);
const char *keyring_current(const struct keyring *kr);
size_t keyring_count(const struct keyring *kr);
const char *keyring_id_at(const struct keyring *kr, size_t i);
bool keyring_has(const struct keyring *kr, const char *id);
/* True when id is a valid key id (charset and length). */
bool keyring_id_valid(const char *id);

/* Add a fresh random key and make it current. id NULL picks "k<N>" with
 * N one above the largest such number in use. *new_id (may be NULL)
 * points into the keyring. -EEXIST, -EINVAL (bad id), -ENOMEM, -EIO
 * (random generator failed: fails closed). */
int keyring_add(struct keyring *kr, const char *id, const char **new_id);

/* Forget key id. -ENOENT unknown, -EBUSY when it is the current key. */
int keyring_remove(struct keyring *kr, const char *id);

/* Write the keyring to path atomically (tmp, fsync, rename, fsync dir),
 * mode 0600. 0 or -errno. */
int keyring_save(const struct keyring *kr, const char *path);

/* Wrap a 32-byte data key with key `id` (NULL = current): AES-256-GCM
 * with a fresh random nonce, aad authenticated. Writes nonce[12],
 * wrapped[32], tag[16]; *used_id (may be NULL) is the key id used.
 * -ENOKEY unknown id, -EIO crypto or RNG failure. */
int keyring_wrap(const struct keyring *kr, const char *id, const uint8_t *aad,
		 size_t aad_len, const uint8_t dek[32], uint8_t nonce[12],
		 uint8_t wrapped[32], uint8_t tag[16], const char **used_id);

/* Unwrap into dek[32] (wiped on failure). -ENOKEY unknown id, -EBADMSG
 * authentication failed (wrong key, tampered or misplaced sidecar). */
int keyring_unwrap(const struct keyring *kr, const char *id, const uint8_t *aad,
		   size_t aad_len, const uint8_t nonce[12],
		   const uint8_t wrapped[32], const uint8_t tag[16],
		   uint8_t dek[32]);

/* Bind the keyring to a log directory through <dir>/encryption.check: one
 * GCM tag per key id ever used there. A key whose id is recorded but
 * whose bytes differ is refused (-EKEYREJECTED, logged): a wrong key file
 * must stop the broker, never start it on fresh keys. Keys not yet
 * recorded are added (file replaced atomically). 0 or -errno. */
int keyring_check_dir(const struct keyring *kr, int dirfd, const char *dir);

#endif
