/* plog_keys_test.c - key files, wrong and missing keys (E7), rotation and
 * re-wrap with a crash in the middle (E8), data-key rotation (E9), nonce
 * uniqueness over reopen cycles and snapshot restores (E5, E6), and keys
 * kept out of the log (E10). */
#include <openssl/crypto.h>

#include "storage/keyring.h"
#include "storage/seal.h"
#include "storage/verify.h"
#include "tests/unit/storage/st_util.h"

static void write_text(const char *path, const char *text, mode_t mode)
{
	unlink(path);
	CHECK_EQ(tu_write_file(path, (const uint8_t *)text, strlen(text)), 0);
	chmod(path, mode);
}

static const char hexkey1[] =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
static const char hexkey2[] =
    "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

static void test_key_file_formats(void)
{
	char kdir[256], kf[512], text[512];
	struct keyring *kr;
	struct tu t;

	tu_mkdtemp(kdir, sizeof(kdir));
	snprintf(kf, sizeof(kf), "%s/keys", kdir);
	CHECK_EQ(keyring_load(kf, &kr), -ENOENT);
	snprintf(text, sizeof(text), "# c\n\nkey.a=%s\n", hexkey1);
	write_text(kf, text, 0644);
	CHECK_EQ(keyring_load(kf, &kr), -EACCES); /* group/other readable */
	write_text(kf, text, 0400);
	CHECK_EQ(keyring_load(kf, &kr), 0);
	CHECK(strcmp(keyring_current(kr), "a") == 0);
	keyring_free(kr);
	static const char *const bad[] = {
	    "key.a=0011\n", /* short */
	    "key.a="
	    "zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	    "\n",
	    "key.a/"
	    "b="
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	    "\n",
	    "current=b\nkey.a="
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	    "\n",
	    "key.a="
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
	    "key.a="
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	    "\n",
	    "key.a="
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"
	    "key.b="
	    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	    "\n",
	    "password=x\n",
	    "\n",
	    "garbage\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_text(kf, bad[i], 0600);
		CHECK_EQ(keyring_load(kf, &kr), -EINVAL);
	}
	snprintf(text, sizeof(text), "current = b\nkey.a = %s\r\nkey.b=%s\n",
		 hexkey1, hexkey2);
	write_text(kf, text, 0600);
	CHECK_EQ(keyring_load(kf, &kr), 0);
	CHECK(strcmp(keyring_current(kr), "b") == 0 && keyring_count(kr) == 2);
	keyring_free(kr);
	/* A configured key file that is missing refuses to start. */
	tu_init(&t, STORAGE_SYNC_NONE);
	snprintf(text, sizeof(text), "%s/nope", kdir);
	t.sc.key_file = text;
	CHECK_EQ(tu_open(&t), -ENOENT);
	tu_fini(&t);
	/* The embedded default: created 0600 in the data directory. */
	tu_init(&t, STORAGE_SYNC_NONE);
	CHECK_EQ(tu_open(&t), 0);
	{
		struct stat sb;
		char p[512];
		snprintf(p, sizeof(p), "%s/encryption.keys", t.dir);
		CHECK(stat(p, &sb) == 0 && (sb.st_mode & 0777) == 0600);
		CHECK_EQ(keyring_load(p, &kr), 0);
		CHECK(strcmp(keyring_current(kr), "k1") == 0);
		keyring_free(kr);
	}
	tu_fini(&t);
	tu_rmrf(kdir);
}

static void collect_key_ids(void *ctx, const char *sidecar, const char *kid)
{
	char *ids = ctx;

	(void)sidecar;
	if (!strstr(ids, kid)) {
		strcat(ids, kid);
		strcat(ids, ",");
	}
}

static int read_all_count(struct tu *t)
{
	struct buf out;
	int64_t first, next;
	int n;

	buf_init(&out, 0);
	n = tu_read_all(t, &out) ? -1 : tu_count_batches(&out, &first, &next);
	buf_fini(&out);
	return n;
}

static void test_wrong_and_missing_key(void)
{
	char kdir[256], kf[512], text[512];
	struct tu t;

	tu_mkdtemp(kdir, sizeof(kdir));
	snprintf(kf, sizeof(kf), "%s/keys", kdir);
	snprintf(text, sizeof(text), "key.k1=%s\n", hexkey1);
	write_text(kf, text, 0600);
	tu_init(&t, STORAGE_SYNC_NONE);
	t.sc.key_file = kf;
	CHECK_EQ(tu_open(&t), 0);
	tu_append(&t, 2, 5, "secret", 20);
	tu_close(&t);
	/* Same id, other bytes: refused at start (encryption.check). */
	snprintf(text, sizeof(text), "key.k1=%s\n", hexkey2);
	write_text(kf, text, 0600);
	CHECK_EQ(tu_open(&t), -EKEYREJECTED);
	/* Even without the check file, nothing is served in the clear. */
	{
		char p[512];
		snprintf(p, sizeof(p), "%s/encryption.check", t.dir);
		CHECK_EQ(unlink(p), 0);
	}
	CHECK_EQ(tu_open(&t), 0);
	CHECK_EQ(plog_status(t.pl), -EBADMSG);
	CHECK_EQ(read_all_count(&t), -1);
	tu_close(&t);
	/* A key id the data needs but the key file lacks. */
	snprintf(text, sizeof(text), "key.k2=%s\n", hexkey2);
	write_text(kf, text, 0600);
	CHECK_EQ(tu_open(&t), -ENOKEY);
	tu_fini(&t);
	tu_rmrf(kdir);
}

/* Re-wrap half of the sidecars by hand, as a crash mid-rewrap leaves. */
static int rewrap_some(const struct keyring *kr, const char *pdir, int every)
{
	DIR *d = opendir(pdir);
	struct dirent *e;
	int n = 0, k = 0;

	while (d && (e = readdir(d))) {
		char p[1024];
		uint8_t *raw, out[SEAL_DEK_MAX];
		size_t len, olen;
		bool changed;
		if (!strstr(e->d_name, ".dek") || k++ % every ||
		    snprintf(p, sizeof(p), "%s/%s", pdir, e->d_name) >=
			(int)sizeof(p))
			continue;
		if (tu_read_file(p, &raw, &len))
			continue;
		if (seal_dek_rewrap(kr, raw, len, out, &olen, &changed) == 0 &&
		    changed && tu_write_file(p, out, olen) == 0)
			n++;
		free(raw);
	}
	if (d)
		closedir(d);
	return n;
}

static void test_rotation(void)
{
	char kdir[256], kf[512], pdir[600], ids[256] = "";
	struct keyring *kr;
	size_t changed, total;
	struct tu t;

	tu_mkdtemp(kdir, sizeof(kdir));
	snprintf(kf, sizeof(kf), "%s/keys", kdir);
	CHECK_EQ(keyring_create(kf, "k1", &kr), 0);
	keyring_free(kr);
	tu_init(&t, STORAGE_SYNC_ALWAYS);
	t.sc.key_file = kf;
	t.pc.segment_bytes = 2048;
	CHECK_EQ(tu_open(&t), 0);
	for (int i = 0; i < 20; i++)
		tu_append(&t, 1, 5, "rot", 300);
	CHECK(tu_wait_hw(&t, 20));
	tu_close(&t);
	/* 1. a new current key: new segments use it, old ones still read */
	CHECK_EQ(keyring_load(kf, &kr), 0);
	CHECK_EQ(keyring_add(kr, NULL, NULL), 0);
	CHECK(strcmp(keyring_current(kr), "k2") == 0);
	CHECK_EQ(keyring_save(kr, kf), 0);
	CHECK_EQ(tu_open(&t), 0);
	for (int i = 0; i < 10; i++)
		tu_append(&t, 1, 5, "rot2", 300);
	CHECK(tu_wait_hw(&t, 30));
	CHECK_EQ(read_all_count(&t), 30);
	tu_close(&t);
	CHECK_EQ(verify_key_usage(t.dir, collect_key_ids, ids), 0);
	CHECK(strstr(ids, "k1,") && strstr(ids, "k2,"));
	/* 2. a crash mid-rewrap: some sidecars new, a torn .tmp left */
	snprintf(pdir, sizeof(pdir), "%s/orders-0", t.dir);
	CHECK(rewrap_some(kr, pdir, 2) > 0);
	{
		char p[700];
		snprintf(p, sizeof(p), "%s/00000000000000000000.dek.tmp", pdir);
		CHECK_EQ(tu_write_file(p, (const uint8_t *)"SLDK", 4), 0);
	}
	CHECK_EQ(tu_open(&t), 0);
	CHECK_EQ(read_all_count(&t), 30);
	tu_close(&t);
	/* 3. the tool's rewrap, refused while a broker holds the dir */
	CHECK_EQ(storage_open(&t.sc, &t.st), 0);
	CHECK_EQ(verify_rewrap_dir(kr, t.dir, &changed, &total), -EBUSY);
	storage_close(t.st);
	t.st = NULL;
	CHECK_EQ(verify_rewrap_dir(kr, t.dir, &changed, &total), 0);
	CHECK(changed > 0 && total > changed);
	CHECK_EQ(verify_rewrap_dir(kr, t.dir, &changed, &total), 0);
	CHECK_EQ(changed, 0);
	ids[0] = '\0';
	CHECK_EQ(verify_key_usage(t.dir, collect_key_ids, ids), 0);
	CHECK(strcmp(ids, "k2,") == 0);
	/* 4. the old key removed: everything still reads */
	CHECK_EQ(keyring_remove(kr, "k1"), 0);
	CHECK_EQ(keyring_save(kr, kf), 0);
	keyring_free(kr);
	CHECK_EQ(tu_open(&t), 0);
	CHECK_EQ(plog_status(t.pl), 0);
	CHECK_EQ(read_all_count(&t), 30);
	tu_fini(&t);
	tu_rmrf(kdir);
}

/* --- nonces
 * ---------------------------------------------------------------------- */

struct pair {
	uint8_t dek[32];
	uint8_t nonce[12];
};

struct pairs {
	struct pair *p;
	size_t count, cap;
	size_t deks;
};

static void pairs_add(struct pairs *ps, const uint8_t *dek,
		      const uint8_t *nonce)
{
	if (ps->count == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 1024;
		ps->p = realloc(ps->p, ps->cap * sizeof(*ps->p));
	}
	memcpy(ps->p[ps->count].dek, dek, 32);
	memcpy(ps->p[ps->count].nonce, nonce, 12);
	ps->count++;
}

static int pair_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct pair));
}

/* A segment copied unchanged from `orig` (same sidecar bytes). */
static bool same_in(const char *orig, const char *name, const uint8_t *raw,
		    size_t len)
{
	char p[1024];
	uint8_t *o;
	size_t n;
	bool same;

	if (!orig)
		return false;
	snprintf(p, sizeof(p), "%s/orders-0/%s", orig, name);
	if (tu_read_file(p, &o, &n))
		return false;
	same = n == len && memcmp(o, raw, n) == 0;
	free(o);
	return same;
}

/* Every (DEK, nonce) used in dir: frames' nonces under unwrapped DEKs;
 * segments that are plain copies of orig's are not new uses. */
static void collect_pairs(const char *dir, const char *orig,
			  const struct keyring *kr, struct pairs *ps)
{
	char pdir[600];
	DIR *d;
	struct dirent *e;

	snprintf(pdir, sizeof(pdir), "%s/orders-0", dir);
	d = opendir(pdir);
	while (d && (e = readdir(d))) {
		char p[1024], kid[KEYRING_ID_MAX + 1];
		struct seal_id id = {.partition = 0};
		uint8_t *raw = NULL, *log = NULL, dek[32];
		size_t len = 0, llen = 0, off = 0;
		if (strlen(e->d_name) != 24 || strcmp(e->d_name + 20, ".dek"))
			continue;
		snprintf(p, sizeof(p), "%s/%s", pdir, e->d_name);
		memcpy(id.topic_id, tu_topic_id, 16);
		id.seg_base = strtoll(e->d_name, NULL, 10);
		CHECK_EQ(tu_read_file(p, &raw, &len), 0);
		if (same_in(orig, e->d_name, raw, len)) {
			free(raw);
			continue;
		}
		CHECK_EQ(seal_dek_unwrap(kr, &id, raw, len, dek, kid), 0);
		free(raw);
		memcpy(p + strlen(p) - 3, "log", 3);
		CHECK_EQ(tu_read_file(p, &log, &llen), 0);
		while (off + SEAL_HDR_LEN <= llen) {
			pairs_add(ps, dek, log + off + 32);
			off += be_get32(log + off + 8) + SEAL_OVERHEAD;
		}
		ps->deks++;
		free(log);
	}
	if (d)
		closedir(d);
}

static void test_nonces(void)
{
	char kdir[256], kf[512], snap[256];
	struct pairs ps = {0};
	struct keyring *kr;
	struct tu t, r;
	size_t dups = 0, dek_dups = 0;

	tu_mkdtemp(kdir, sizeof(kdir));
	snprintf(kf, sizeof(kf), "%s/keys", kdir);
	CHECK_EQ(keyring_create(kf, "k1", &kr), 0);
	tu_init(&t, STORAGE_SYNC_NONE);
	t.sc.key_file = kf;
	t.pc.segment_bytes = 1500;
	snap[0] = '\0';
	for (int cycle = 0; cycle < 300; cycle++) {
		CHECK_EQ(tu_open(&t), 0);
		for (int i = 0; i < 3; i++)
			tu_append(&t, 1, 5, "nonce", 200);
		if (cycle % 7 == 3) /* a truncation now and then */
			CHECK_EQ(plog_truncate_to(t.pl, 3 * cycle + 1), 0);
		if (cycle == 100) {
			tu_mkdtemp(snap, sizeof(snap));
			tu_copytree(t.dir, snap); /* a crash snapshot */
		}
		tu_close(&t);
	}
	/* E6: restore the old snapshot and write: fresh keys again. */
	tu_init(&r, STORAGE_SYNC_NONE);
	tu_rmrf(r.dir);
	snprintf(r.dir, sizeof(r.dir), "%s", snap);
	r.sc.dir = r.dir;
	r.sc.key_file = kf;
	r.pc = t.pc;
	for (int cycle = 0; cycle < 20; cycle++) {
		CHECK_EQ(tu_open(&r), 0);
		for (int i = 0; i < 3; i++)
			tu_append(&r, 1, 5, "again", 200);
		tu_close(&r);
	}
	collect_pairs(t.dir, NULL, kr, &ps);
	collect_pairs(r.dir, t.dir, kr, &ps);
	CHECK(ps.count > 900 && ps.deks > 300);
	qsort(ps.p, ps.count, sizeof(*ps.p), pair_cmp);
	for (size_t i = 1; i < ps.count; i++)
		dups += memcmp(&ps.p[i - 1], &ps.p[i], sizeof(*ps.p)) == 0;
	CHECK_EQ(dups, 0);
	/* and data keys repeat nowhere (segments that share a base offset
	 * across the restored copy included) */
	for (size_t i = 1; i < ps.count; i++)
		if (memcmp(ps.p[i - 1].dek, ps.p[i].dek, 32) != 0)
			dek_dups++;
	CHECK_EQ(dek_dups + 1, ps.deks);
	free(ps.p);
	keyring_free(kr);
	tu_fini(&r);
	tu_fini(&t);
	tu_rmrf(kdir);
}

/* E10: no key material in the log, at any level. */
static void test_no_keys_in_log(void)
{
	char kdir[256], kf[512], logf[512], hex[65];
	uint8_t *text = NULL;
	size_t len = 0;
	struct tu t;
	int fd;

	tu_mkdtemp(kdir, sizeof(kdir));
	snprintf(kf, sizeof(kf), "%s/keys", kdir);
	snprintf(logf, sizeof(logf), "%s/log", kdir);
	fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	log_set_fd(fd);
	log_set_level(LOG_DEBUG);
	tu_init(&t, STORAGE_SYNC_ALWAYS);
	t.sc.key_file = kf;
	write_text(kf,
		   "key.x="
		   "00112233445566778899aabbccddeeff00112233445566778899aabbccd"
		   "deeff\n",
		   0644);
	CHECK_EQ(tu_open(&t), -EACCES);
	write_text(kf,
		   "key.x="
		   "00112233445566778899aabbccddeeff00112233445566778899aabbccd"
		   "deeff\nkey.x=1\n",
		   0600);
	CHECK_EQ(tu_open(&t), -EINVAL);
	write_text(kf,
		   "key.x="
		   "00112233445566778899aabbccddeeff00112233445566778899aabbccd"
		   "deeff\n",
		   0600);
	CHECK_EQ(tu_open(&t), 0);
	tu_append(&t, 1, 5, "x", 5);
	CHECK(tu_wait_hw(&t, 1));
	tu_fini(&t);
	log_set_fd(2);
	log_set_level(LOG_OFF);
	close(fd);
	CHECK_EQ(tu_read_file(logf, &text, &len), 0);
	memcpy(hex, hexkey1, sizeof(hex));
	CHECK(len > 0 && !strstr((char *)text, hex) &&
	      !strstr((char *)text, "0011223344556677"));
	free(text);
	tu_rmrf(kdir);
}

int main(void)
{
	log_set_level(LOG_OFF);
	test_key_file_formats();
	test_wrong_and_missing_key();
	test_rotation();
	test_nonces();
	test_no_keys_in_log();
	return check_finish();
}
