/* meta_test.c - the LMDB metadata store: every named database, put / get /
 * del / foreach with prefixes, persistence across reopen, aborts, the
 * one-writer rule, bad arguments, MDB_MAP_FULL -> -ENOSPC. */
#include "storage/meta.h"
#include "tests/unit/storage/st_util.h"

static const char *const dbs[] = {"cluster", "topics", "acls",	   "scram",
				  "offsets", "groups", "producers"};

struct walk {
	int count;
	char keys[64][32];
};

static int collect(void *ctx, const void *key, size_t klen, const void *val,
		   size_t vlen)
{
	struct walk *w = ctx;

	(void)val;
	(void)vlen;
	if (w->count < 64 && klen < 32) {
		memcpy(w->keys[w->count], key, klen);
		w->keys[w->count][klen] = '\0';
	}
	w->count++;
	return 0;
}

static int stop_at_two(void *ctx, const void *key, size_t klen, const void *val,
		       size_t vlen)
{
	int *n = ctx;

	(void)key;
	(void)klen;
	(void)val;
	(void)vlen;
	return ++*n == 2 ? 42 : 0;
}

static void put(struct meta *m, const char *db, const char *k, const char *v)
{
	struct meta_txn *t;

	CHECK_EQ(meta_txn_begin(m, true, &t), 0);
	CHECK_EQ(meta_put(t, db, k, strlen(k), v, strlen(v)), 0);
	CHECK_EQ(meta_txn_commit(t), 0);
}

static void test_basic(const char *dir)
{
	struct meta *m;
	struct meta_txn *t, *t2;
	const void *val;
	size_t vlen;
	struct walk w = {0};
	int n = 0;

	CHECK_EQ(meta_open(dir, 0, &m), 0);
	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++)
		put(m, dbs[i], "k", dbs[i]);
	put(m, "topics", "orders", "v1");
	put(m, "topics", "orders-eu", "v2");
	put(m, "topics", "payments", "v3");
	put(m, "topics", "orders", "v1b"); /* overwrite */
	CHECK_EQ(meta_txn_begin(m, false, &t), 0);
	CHECK_EQ(meta_get(t, "topics", "orders", 6, &val, &vlen), 0);
	CHECK(vlen == 3 && memcmp(val, "v1b", 3) == 0);
	CHECK_EQ(meta_get(t, "topics", "nope", 4, &val, &vlen), -ENOENT);
	CHECK_EQ(meta_get(t, "nosuchdb", "k", 1, &val, &vlen), -EINVAL);
	CHECK_EQ(meta_get(t, "topics", "", 0, &val, &vlen), -EINVAL);
	CHECK_EQ(meta_put(t, "topics", "x", 1, "y", 1), -EINVAL); /* read txn */
	/* A second read txn on the same thread is fine (MDB_NOTLS). */
	CHECK_EQ(meta_txn_begin(m, false, &t2), 0);
	meta_txn_abort(t2);
	CHECK_EQ(meta_foreach(t, "topics", "orders", 6, collect, &w), 0);
	CHECK_EQ(w.count, 2);
	CHECK(!strcmp(w.keys[0], "orders") && !strcmp(w.keys[1], "orders-eu"));
	w.count = 0;
	CHECK_EQ(meta_foreach(t, "topics", NULL, 0, collect, &w), 0);
	CHECK_EQ(w.count, 4); /* k, orders, orders-eu, payments */
	CHECK_EQ(meta_foreach(t, "topics", NULL, 0, stop_at_two, &n), 42);
	w.count = 0;
	CHECK_EQ(meta_foreach(t, "acls", "zzz", 3, collect, &w), 0);
	CHECK_EQ(w.count, 0);
	meta_txn_abort(t);
	/* Aborted writes vanish; one writer at a time. */
	CHECK_EQ(meta_txn_begin(m, true, &t), 0);
	CHECK_EQ(meta_txn_begin(m, true, &t2), -EBUSY);
	CHECK_EQ(meta_put(t, "offsets", "g1", 2, "1", 1), 0);
	CHECK_EQ(meta_del(t, "topics", "payments", 8), 0);
	CHECK_EQ(meta_del(t, "topics", "absent", 6), -ENOENT);
	meta_txn_abort(t);
	CHECK_EQ(meta_txn_begin(m, true, &t), 0);
	CHECK_EQ(meta_get(t, "offsets", "g1", 2, &val, &vlen), -ENOENT);
	CHECK_EQ(meta_del(t, "topics", "payments", 8), 0);
	CHECK_EQ(meta_txn_commit(t), 0);
	meta_close(m);
}

static void test_reopen(const char *dir)
{
	struct meta *m;
	struct meta_txn *t;
	const void *val;
	size_t vlen;

	CHECK_EQ(meta_open(dir, 0, &m), 0);
	CHECK_EQ(meta_txn_begin(m, false, &t), 0);
	CHECK_EQ(meta_get(t, "topics", "orders-eu", 9, &val, &vlen), 0);
	CHECK(vlen == 2 && memcmp(val, "v2", 2) == 0);
	CHECK_EQ(meta_get(t, "topics", "payments", 8, &val, &vlen), -ENOENT);
	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		CHECK_EQ(meta_get(t, dbs[i], "k", 1, &val, &vlen), 0);
		CHECK(vlen == strlen(dbs[i]) && memcmp(val, dbs[i], vlen) == 0);
	}
	meta_txn_abort(t);
	meta_close(m);
}

static void test_map_full(const char *dir)
{
	static uint8_t big[64 << 10];
	struct meta *m;
	struct meta_txn *t;
	int rc = 0;

	CHECK_EQ(meta_open(dir, 1 << 20, &m), 0);
	CHECK_EQ(meta_txn_begin(m, true, &t), 0);
	for (int i = 0; i < 64 && !rc; i++) {
		char k[16];
		snprintf(k, sizeof(k), "big%d", i);
		rc = meta_put(t, "groups", k, strlen(k), big, sizeof(big));
	}
	CHECK_EQ(rc, -ENOSPC);
	meta_txn_abort(t);
	/* The store still works after a failed transaction. */
	put(m, "groups", "small", "1");
	meta_close(m);
}

int main(void)
{
	char dir[256], dir2[256];

	log_set_level(LOG_OFF);
	tu_mkdtemp(dir, sizeof(dir));
	tu_mkdtemp(dir2, sizeof(dir2));
	test_basic(dir);
	test_reopen(dir);
	test_map_full(dir2);
	tu_rmrf(dir);
	tu_rmrf(dir2);
	return check_finish();
}
