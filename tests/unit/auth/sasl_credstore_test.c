/* sasl_credstore_test.c - the SCRAM credential store (auth/credstore.h):
 * round trips in the clear and sealed with a keyring, all-or-nothing
 * batches, listing, and every tampering the AEAD must catch (a flipped
 * byte, a record moved to another user, a changed iteration count, a
 * downgrade to a clear record, the wrong key file, a missing key). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/credstore.h"
#include "storage/keyring.h"
#include "storage/meta.h"
#include "tests/unit/check.h"

static char dir[256];

/* A fresh directory/file template under $TMPDIR (default /tmp). */
static void tmp_template(char *out, size_t cap, const char *name)
{
	const char *t = getenv("TMPDIR");

	snprintf(out, cap, "%s/%s-XXXXXX", t && *t ? t : "/tmp", name);
}

static void mk(struct scram_cred *c, enum scram_mech m, const char *pw,
	       int iters)
{
	CHECK_EQ(scram_cred_from_password(m, pw, strlen(pw), NULL, 0, iters, c),
		 0);
}

static int put(struct credstore *cs, const char *user, enum scram_mech m,
	       const struct scram_cred *c)
{
	struct credstore_change ch = {user, m, c};
	return credstore_apply(cs, &ch, 1);
}

struct seen {
	char text[512];
};

static int visit(void *ctx, const char *user, enum scram_mech m, int32_t it)
{
	struct seen *s = ctx;
	size_t n = strlen(s->text);

	snprintf(s->text + n, sizeof(s->text) - n, "%s/%s/%d;", user,
		 scram_mech_name(m), it);
	return 0;
}

static void raw_get(struct meta *m, const char *user, enum scram_mech mech,
		    uint8_t *out, size_t *len)
{
	uint8_t key[300];
	size_t klen = strlen(user) + 2;
	struct meta_txn *t;
	const void *v;

	memcpy(key, user, klen - 2);
	key[klen - 2] = 0;
	key[klen - 1] = (uint8_t)mech;
	CHECK_EQ(meta_txn_begin(m, false, &t), 0);
	CHECK_EQ(meta_get(t, "scram", key, klen, &v, len), 0);
	memcpy(out, v, *len);
	meta_txn_abort(t);
}

static void raw_put(struct meta *m, const char *user, enum scram_mech mech,
		    const uint8_t *val, size_t len)
{
	uint8_t key[300];
	size_t klen = strlen(user) + 2;
	struct meta_txn *t;

	memcpy(key, user, klen - 2);
	key[klen - 2] = 0;
	key[klen - 1] = (uint8_t)mech;
	CHECK_EQ(meta_txn_begin(m, true, &t), 0);
	CHECK_EQ(meta_put(t, "scram", key, klen, val, len), 0);
	CHECK_EQ(meta_txn_commit(t), 0);
}

static bool contains(const uint8_t *hay, size_t n, const uint8_t *needle,
		     size_t k)
{
	return memmem(hay, n, needle, k) != NULL;
}

static void test_clear(struct meta *m)
{
	struct credstore *cs;
	struct scram_cred a, b, got;
	struct seen s = {""};

	CHECK_EQ(credstore_open(m, NULL, &cs), 0);
	mk(&a, SCRAM_SHA_256, "alice-secret", 4096);
	mk(&b, SCRAM_SHA_512, "alice-secret", 8192);
	CHECK_EQ(credstore_get(cs, "alice", SCRAM_SHA_256, &got), -ENOENT);
	CHECK_EQ(put(cs, "alice", SCRAM_SHA_256, &a), 0);
	CHECK_EQ(put(cs, "alice", SCRAM_SHA_512, &b), 0);
	CHECK_EQ(put(cs, "alice2", SCRAM_SHA_256, &a), 0);
	CHECK_EQ(credstore_get(cs, "alice", SCRAM_SHA_512, &got), 0);
	CHECK_EQ(got.iterations, 8192);
	CHECK_EQ(got.salt_len, b.salt_len);
	CHECK_MEM(got.stored_key, b.stored_key, 64);
	CHECK_MEM(got.server_key, b.server_key, 64);
	CHECK(scram_cred_check_password(&got, "alice-secret", 12));
	CHECK_EQ(credstore_foreach(cs, NULL, visit, &s), 0);
	CHECK(strcmp(s.text,
		     "alice/SCRAM-SHA-256/4096;alice/SCRAM-SHA-512/8192;"
		     "alice2/SCRAM-SHA-256/4096;") == 0);
	s.text[0] = '\0';
	CHECK_EQ(credstore_foreach(cs, "alice", visit, &s), 0);
	CHECK(strcmp(s.text,
		     "alice/SCRAM-SHA-256/4096;alice/SCRAM-SHA-512/8192;") ==
	      0);
	/* A batch whose last change fails applies nothing. */
	{
		struct credstore_change ch[2] = {
		    {"carol", SCRAM_SHA_256, &a},
		    {"nobody", SCRAM_SHA_256, NULL},
		};
		CHECK_EQ(credstore_apply(cs, ch, 2), -ENOENT);
		CHECK_EQ(credstore_get(cs, "carol", SCRAM_SHA_256, &got),
			 -ENOENT);
	}
	CHECK_EQ(put(cs, "alice2", SCRAM_SHA_256, NULL), 0);
	CHECK_EQ(credstore_get(cs, "alice2", SCRAM_SHA_256, &got), -ENOENT);
	/* Bad arguments. */
	{
		char longname[SCRAM_USER_MAX + 2];
		memset(longname, 'x', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		CHECK_EQ(put(cs, longname, SCRAM_SHA_256, &a), -EINVAL);
		CHECK_EQ(put(cs, "", SCRAM_SHA_256, &a), -EINVAL);
		CHECK_EQ(put(cs, "alice", SCRAM_SHA_512, &a), -EINVAL);
		CHECK_EQ(credstore_get(cs, "alice", 3, &got), -EINVAL);
	}
	credstore_close(cs);
}

static void test_sealed(struct meta *m)
{
	struct credstore *cs, *clear;
	struct keyring *kr, *other;
	struct scram_cred a, got;
	uint8_t val[1024], bad[1024];
	size_t len;
	char path[300], path2[300];

	snprintf(path, sizeof(path), "%s/keys", dir);
	snprintf(path2, sizeof(path2), "%s/keys2", dir);
	CHECK_EQ(keyring_create(path, "k1", &kr), 0);
	CHECK_EQ(keyring_create(path2, "k1", &other), 0);
	CHECK_EQ(credstore_open(m, kr, &cs), 0);
	mk(&a, SCRAM_SHA_256, "bob-secret", 4096);
	CHECK_EQ(put(cs, "bob", SCRAM_SHA_256, &a), 0);
	CHECK_EQ(credstore_get(cs, "bob", SCRAM_SHA_256, &got), 0);
	CHECK_MEM(got.stored_key, a.stored_key, 32);
	CHECK_MEM(got.salt, a.salt, a.salt_len);
	raw_get(m, "bob", SCRAM_SHA_256, val, &len);
	CHECK(!contains(val, len, a.stored_key, 16));
	CHECK(!contains(val, len, a.server_key, 16));
	CHECK(!contains(val, len, a.salt, 16));
	/* Every byte of the record is covered. */
	for (size_t i = 0; i < len; i++) {
		memcpy(bad, val, len);
		bad[i] ^= 0x01;
		raw_put(m, "bob", SCRAM_SHA_256, bad, len);
		CHECK(credstore_get(cs, "bob", SCRAM_SHA_256, &got) < 0);
	}
	raw_put(m, "bob", SCRAM_SHA_256, val, len - 1);
	CHECK_EQ(credstore_get(cs, "bob", SCRAM_SHA_256, &got), -EBADMSG);
	/* Moved to another user: refused. */
	raw_put(m, "mallory", SCRAM_SHA_256, val, len);
	CHECK_EQ(credstore_get(cs, "mallory", SCRAM_SHA_256, &got), -EBADMSG);
	raw_put(m, "bob", SCRAM_SHA_256, val, len);
	CHECK_EQ(credstore_get(cs, "bob", SCRAM_SHA_256, &got), 0);
	/* The wrong key file with the same key id. */
	{
		struct credstore *wrong;
		CHECK_EQ(credstore_open(m, other, &wrong), 0);
		CHECK_EQ(credstore_get(wrong, "bob", SCRAM_SHA_256, &got),
			 -EBADMSG);
		credstore_close(wrong);
	}
	/* No keyring: a sealed record cannot be read; a clear record is
	 * refused by a sealed store (no downgrade). */
	CHECK_EQ(credstore_open(m, NULL, &clear), 0);
	CHECK_EQ(credstore_get(clear, "bob", SCRAM_SHA_256, &got), -ENOKEY);
	CHECK_EQ(put(clear, "eve", SCRAM_SHA_256, &a), 0);
	CHECK_EQ(credstore_get(cs, "eve", SCRAM_SHA_256, &got), -EBADMSG);
	credstore_close(clear);
	/* Rotation: new records use the new key, old ones stay readable;
	 * once the old key is gone they are -ENOKEY. */
	{
		const char *id;
		CHECK_EQ(keyring_add(kr, "k2", &id), 0);
		CHECK_EQ(put(cs, "carol", SCRAM_SHA_256, &a), 0);
		CHECK_EQ(credstore_get(cs, "bob", SCRAM_SHA_256, &got), 0);
		CHECK_EQ(credstore_get(cs, "carol", SCRAM_SHA_256, &got), 0);
		raw_get(m, "carol", SCRAM_SHA_256, val, &len);
		CHECK(contains(val, len, (const uint8_t *)"k2", 2));
		CHECK_EQ(keyring_remove(kr, "k1"), 0);
		CHECK_EQ(credstore_get(cs, "bob", SCRAM_SHA_256, &got),
			 -ENOKEY);
	}
	credstore_close(cs);
	keyring_free(kr);
	keyring_free(other);
}

int main(void)
{
	struct meta *m;
	char cmd[300];

	tmp_template(dir, sizeof(dir), "sealog-credstore");
	if (!mkdtemp(dir))
		return 77;
	CHECK_EQ(meta_open(dir, 0, &m), 0);
	test_clear(m);
	test_sealed(m);
	meta_close(m);
	/* Persistence: a reopened store has the records. */
	CHECK_EQ(meta_open(dir, 0, &m), 0);
	{
		struct credstore *cs;
		struct scram_cred got;
		CHECK_EQ(credstore_open(m, NULL, &cs), 0);
		CHECK_EQ(credstore_get(cs, "alice", SCRAM_SHA_256, &got), 0);
		credstore_close(cs);
	}
	meta_close(m);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_finish();
}
