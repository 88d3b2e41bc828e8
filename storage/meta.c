/* meta.c - the metadata store: one LMDB environment in <dir>/meta.
 *
 * Default (durable) sync flags: a commit that returns 0 survives a crash
 * (K8: old or new state, never a mix). MDB_NOTLS lets one thread hold
 * several read transactions (a foreach callback may read again).
 */
#include "storage/meta.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <lmdb.h>

#include "base/log.h"

#define LOGC "MetadataStore"

static const char *const meta_db_names[] = {
    "cluster", "topics", "acls", "scram", "offsets", "groups", "producers",
};
#define META_NDB (sizeof(meta_db_names) / sizeof(meta_db_names[0]))

struct meta {
	MDB_env *env;
	MDB_dbi dbi[META_NDB];
	char path[4096];
};

/* The environment in which this thread has a write txn open. LMDB allows
 * one write txn at a time: another thread's begin waits on LMDB's writer
 * lock (txns are short), but a second begin on the same thread would wait
 * for itself forever, so that one is refused. */
static _Thread_local const struct meta *meta_thread_writer;

struct meta_txn {
	struct meta *m;
	MDB_txn *txn;
	bool write;
};

static int meta_err(const struct meta *m, int rc, const char *what)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_BAD_VALSIZE:
		return -EINVAL;
	case MDB_MAP_FULL:
		log_error(LOGC,
			  "%s: the metadata store %s is full "
			  "(MDB_MAP_FULL)",
			  what, m->path);
		return -ENOSPC;
	default:
		log_error(LOGC, "%s failed on %s: %s", what, m->path,
			  mdb_strerror(rc));
		return -EIO;
	}
}

static int meta_dbi(const struct meta *m, const char *db, MDB_dbi *out)
{
	for (size_t i = 0; i < META_NDB; i++)
		if (db && strcmp(db, meta_db_names[i]) == 0) {
			*out = m->dbi[i];
			return 0;
		}
	return -EINVAL;
}

static int meta_open_dbs(struct meta *m)
{
	MDB_txn *txn;
	int rc = mdb_txn_begin(m->env, NULL, 0, &txn);

	for (size_t i = 0; rc == 0 && i < META_NDB; i++)
		rc =
		    mdb_dbi_open(txn, meta_db_names[i], MDB_CREATE, &m->dbi[i]);
	if (rc == 0)
		return meta_err(m, mdb_txn_commit(txn), "creating databases");
	mdb_txn_abort(txn);
	return meta_err(m, rc, "opening databases");
}

static int meta_env(struct meta *m, size_t map_size)
{
	struct statfs sf;
	int rc;

	if (mkdir(m->path, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (statfs(m->path, &sf) == 0 && (unsigned long)sf.f_type == 0x6969) {
		log_error(LOGC, "%s is on NFS; LMDB needs a local file system",
			  m->path);
		return -EINVAL;
	}
	rc = mdb_env_create(&m->env);
	if (!rc)
		rc = mdb_env_set_maxdbs(m->env, 16);
	if (!rc)
		rc = mdb_env_set_mapsize(m->env,
					 map_size ? map_size : (size_t)1 << 30);
	if (!rc)
		rc = mdb_env_open(m->env, m->path, MDB_NOTLS, 0600);
	return meta_err(m, rc, "opening the environment");
}

int meta_open(const char *dir, size_t map_size, struct meta **out)
{
	struct meta *m = calloc(1, sizeof(*m));
	int rc;

	if (!m)
		return -ENOMEM;
	if (snprintf(m->path, sizeof(m->path), "%s/meta", dir) >=
	    (int)sizeof(m->path)) {
		free(m);
		return -ENAMETOOLONG;
	}
	rc = meta_env(m, map_size);
	if (!rc)
		rc = meta_open_dbs(m);
	if (rc) {
		meta_close(m);
		return rc;
	}
	*out = m;
	return 0;
}

void meta_close(struct meta *m)
{
	if (!m)
		return;
	if (m->env)
		mdb_env_close(m->env);
	free(m);
}

int meta_txn_begin(struct meta *m, bool write, struct meta_txn **out)
{
	struct meta_txn *t;
	int rc;

	if (write && meta_thread_writer == m)
		return -EBUSY; /* LMDB would block this thread forever */
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	rc = meta_err(
	    m, mdb_txn_begin(m->env, NULL, write ? 0 : MDB_RDONLY, &t->txn),
	    "beginning a transaction");
	if (rc) {
		free(t);
		return rc;
	}
	t->m = m;
	t->write = write;
	if (write)
		meta_thread_writer = m;
	*out = t;
	return 0;
}

static void meta_txn_end(struct meta_txn *t)
{
	if (t->write)
		meta_thread_writer = NULL;
	free(t);
}

int meta_txn_commit(struct meta_txn *t)
{
	int rc = meta_err(t->m, mdb_txn_commit(t->txn), "committing");

	meta_txn_end(t);
	return rc;
}

void meta_txn_abort(struct meta_txn *t)
{
	mdb_txn_abort(t->txn);
	meta_txn_end(t);
}

static int meta_key(const struct meta_txn *t, const void *key, size_t klen,
		    MDB_val *k)
{
	if (!key || klen == 0 ||
	    klen > (size_t)mdb_env_get_maxkeysize(t->m->env))
		return -EINVAL;
	k->mv_data = (void *)key;
	k->mv_size = klen;
	return 0;
}

int meta_put(struct meta_txn *t, const char *db, const void *key, size_t klen,
	     const void *val, size_t vlen)
{
	MDB_val k, v = {.mv_size = vlen, .mv_data = (void *)val};
	MDB_dbi dbi;
	int rc = meta_dbi(t->m, db, &dbi);

	if (!rc && !t->write)
		rc = -EINVAL;
	if (!rc)
		rc = meta_key(t, key, klen, &k);
	if (!rc && vlen && !val)
		rc = -EINVAL;
	return rc ? rc : meta_err(t->m, mdb_put(t->txn, dbi, &k, &v, 0), "put");
}

int meta_get(struct meta_txn *t, const char *db, const void *key, size_t klen,
	     const void **val, size_t *vlen)
{
	MDB_val k, v;
	MDB_dbi dbi;
	int rc = meta_dbi(t->m, db, &dbi);

	if (!rc)
		rc = meta_key(t, key, klen, &k);
	if (!rc)
		rc = meta_err(t->m, mdb_get(t->txn, dbi, &k, &v), "get");
	if (!rc) {
		*val = v.mv_data;
		*vlen = v.mv_size;
	}
	return rc;
}

int meta_del(struct meta_txn *t, const char *db, const void *key, size_t klen)
{
	MDB_val k;
	MDB_dbi dbi;
	int rc = meta_dbi(t->m, db, &dbi);

	if (!rc && !t->write)
		rc = -EINVAL;
	if (!rc)
		rc = meta_key(t, key, klen, &k);
	return rc ? rc : meta_err(t->m, mdb_del(t->txn, dbi, &k, NULL), "del");
}

int meta_foreach(struct meta_txn *t, const char *db, const void *prefix,
		 size_t plen, meta_visit_fn fn, void *ctx)
{
	MDB_val k = {.mv_size = plen, .mv_data = (void *)prefix}, v;
	MDB_cursor *c;
	MDB_dbi dbi;
	int rc = meta_dbi(t->m, db, &dbi), mrc;

	if (rc)
		return rc;
	if (plen && !prefix)
		return -EINVAL;
	rc = meta_err(t->m, mdb_cursor_open(t->txn, dbi, &c), "cursor");
	if (rc)
		return rc;
	mrc = mdb_cursor_get(c, &k, &v, plen ? MDB_SET_RANGE : MDB_FIRST);
	while (mrc == 0 && !rc) {
		if (plen &&
		    (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0))
			break;
		rc = fn(ctx, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
		if (!rc)
			mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	if (!rc && mrc != 0 && mrc != MDB_NOTFOUND)
		rc = meta_err(t->m, mrc, "walking");
	mdb_cursor_close(c);
	return rc;
}
