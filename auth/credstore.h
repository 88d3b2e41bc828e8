/* credstore.h - SCRAM credentials in the LMDB metadata store (database
 * "scram" of storage/meta.h).
 *
 * One record per (user, mechanism): key = user bytes, a NUL byte, the
 * mechanism code (so a user's records are adjacent and listing is in
 * user order). The value holds only what scram.h's scram_cred holds:
 * salt, StoredKey, ServerKey, iterations -- never a password.
 *
 * With a keyring (storage/keyring.h, the log directory's operator keys)
 * the salt and keys are sealed (reliability.md R16): a fresh random
 * 256-bit data key per record, wrapped by the keyring's current key, and
 * AES-256-GCM over the secret part. Both authenticate the record's key
 * and its clear header (format version, mechanism, iterations, key id),
 * so a record cannot be moved to another user, have its iteration count
 * changed, or be swapped for a hand-made one without the key file.
 * Without a keyring (tests, tools on a directory without encryption)
 * values are stored in the clear; a store opened with a keyring refuses
 * clear records and one without refuses sealed ones (-EBADMSG / -ENOKEY),
 * so a record can never be downgraded unnoticed.
 *
 * Errors: 0; -ENOENT no such record; -EBADMSG corrupt, tampered or
 * clear-in-sealed-store record; -ENOKEY the key that sealed it is not in
 * the keyring (or there is no keyring); -EINVAL bad argument (empty or
 * over-long user, NUL in the name, unknown mechanism); -ENOSPC map full;
 * -EIO LMDB or crypto failure; -ENOMEM. Corrupt records are logged (user
 * name and mechanism, never values).
 * Thread: one thread at a time (the broker thread, or a tool's main).
 */
#ifndef SEALOG_AUTH_CREDSTORE_H
#define SEALOG_AUTH_CREDSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "auth/scram.h"

struct meta;
struct keyring;
struct credstore;

/* A handle on m's "scram" database; kr may be NULL (see above). Both
 * must outlive the store. 0 or -ENOMEM. */
int credstore_open(struct meta *m, const struct keyring *kr,
		   struct credstore **out);
void credstore_close(struct credstore *cs);

/* user's credential for mech into out (wiped on failure). */
int credstore_get(struct credstore *cs, const char *user, enum scram_mech mech,
		  struct scram_cred *out);

/* One change: cred NULL deletes user's credential for mech. */
struct credstore_change {
	const char *user;
	enum scram_mech mech;
	const struct scram_cred *cred;
};

/* Apply count changes in one write transaction: all or nothing.
 * Deleting a missing record is -ENOENT (and nothing is applied). */
int credstore_apply(struct credstore *cs, const struct credstore_change *ch,
		    size_t count);

/* Visit (user, mech, iterations) of every record, or of one user's when
 * user is not NULL, in key order. A non-zero return from fn stops the
 * walk and is returned. Values are not decrypted (iterations are in the
 * authenticated clear header). */
typedef int (*credstore_visit_fn)(void *ctx, const char *user,
				  enum scram_mech mech, int32_t iterations);
int credstore_foreach(struct credstore *cs, const char *user,
		      credstore_visit_fn fn, void *ctx);

#endif
