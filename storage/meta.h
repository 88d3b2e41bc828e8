/* meta.h - the broker's metadata store: one LMDB environment.
 *
 * Topics and their configs, later ACLs, SCRAM credentials, committed
 * offsets and producer ids, each in a named database ("topics", "acls",
 * "scram", "offsets", "cluster" ...) of one environment in
 * <data dir>/meta/. Values are opaque bytes; their encoding belongs to the
 * module that owns the database.
 *
 * Errors: 0, -ENOENT (no such key), -ENOSPC (MDB_MAP_FULL), -EIO (any
 * other LMDB failure, logged with mdb_strerror), -EINVAL.
 * Thread: one write transaction at a time per process (LMDB's rule); a
 * txn is used by the thread that began it.
 */
#ifndef SEALOG_STORAGE_META_H
#define SEALOG_STORAGE_META_H

#include <stdbool.h>
#include <stddef.h>

struct meta;
struct meta_txn;

/* Open or create <dir>/meta. map_size 0 = 1 GiB. */
int meta_open(const char *dir, size_t map_size, struct meta **out);
void meta_close(struct meta *m);

int meta_txn_begin(struct meta *m, bool write, struct meta_txn **out);
/* Commit (durable when it returns 0) and free the txn. */
int meta_txn_commit(struct meta_txn *t);
void meta_txn_abort(struct meta_txn *t);

int meta_put(struct meta_txn *t, const char *db, const void *key, size_t klen,
	     const void *val, size_t vlen);
/* *val stays valid until the txn ends. */
int meta_get(struct meta_txn *t, const char *db, const void *key, size_t klen,
	     const void **val, size_t *vlen);
int meta_del(struct meta_txn *t, const char *db, const void *key, size_t klen);

/* Visit keys starting with prefix (plen 0 = all) in key order; a non-zero
 * return from fn stops the walk and is returned. */
typedef int (*meta_visit_fn)(void *ctx, const void *key, size_t klen,
			     const void *val, size_t vlen);
int meta_foreach(struct meta_txn *t, const char *db, const void *prefix,
		 size_t plen, meta_visit_fn fn, void *ctx);

#endif
