/* seal_test.c - the crypto format: AES-256-GCM known answers (E1), frame
 * and footer codecs, nonce counter, data-key sidecars and their AAD. */
#include <openssl/crypto.h>

#include "storage/keyring.h"
#include "storage/seal.h"
#include "tests/unit/storage/st_util.h"

static void unhex(const char *s, uint8_t *out, size_t *len)
{
	size_t n = strlen(s) / 2;

	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(s + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
	*len = n;
}

struct kat {
	const char *key, *iv, *pt, *aad, *ct, *tag;
};

/* The AES-256 cases (13-16) of McGrew & Viega, "The Galois/Counter Mode
 * of Operation", the vectors NIST's GCM validation builds on. */
static const struct kat kats[] = {
    {"0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "", "", "",
     "530f8afbc74536b9a963b4f1c4cb738b"},
    {"0000000000000000000000000000000000000000000000000000000000000000",
     "000000000000000000000000", "00000000000000000000000000000000", "",
     "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
     "",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
     "b094dac5d93471bdec1a502270e3cc6c"},
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
     "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
     "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
     "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
     "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
     "76fc6ece0f4e1768cddf8853bb2d551b"},
};

static void test_kat(void)
{
	for (size_t i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
		uint8_t key[32], iv[12], pt[64], aad[32], ct[64], tag[16];
		uint8_t out[64], t[16];
		size_t kl, il, pl, al, cl, tl;
		unhex(kats[i].key, key, &kl);
		unhex(kats[i].iv, iv, &il);
		unhex(kats[i].pt, pt, &pl);
		unhex(kats[i].aad, aad, &al);
		unhex(kats[i].ct, ct, &cl);
		unhex(kats[i].tag, tag, &tl);
		CHECK_EQ(seal_gcm(true, key, iv, aad, al, pt, pl, out, t), 0);
		CHECK(cl == pl && memcmp(out, ct, cl) == 0);
		CHECK_MEM(t, tag, 16);
		CHECK_EQ(seal_gcm(false, key, iv, aad, al, ct, cl, out, tag),
			 0);
		CHECK(memcmp(out, pt, pl) == 0);
		/* Any flipped tag bit fails and wipes the output. */
		tag[i % 16] ^= 0x01;
		memset(out, 0x5a, sizeof(out));
		CHECK_EQ(seal_gcm(false, key, iv, aad, al, ct, cl, out, tag),
			 -EBADMSG);
		for (size_t j = 0; j < cl; j++)
			CHECK(out[j] == 0);
	}
}

static void test_nonce(void)
{
	uint8_t n[12] = {0}, m[12];

	memset(n + 8, 0xff, 4);
	seal_nonce_next(n);
	CHECK(n[7] == 1 && n[8] == 0 && n[11] == 0);
	memset(m, 0xff, 12);
	seal_nonce_next(m);
	for (int i = 0; i < 12; i++)
		CHECK(m[i] == 0);
}

static void test_hdr(void)
{
	struct seal_hdr h = {.type = SEAL_BATCH,
			     .len = 100,
			     .base_offset = 1234567890123LL,
			     .last_delta = 7,
			     .max_ts = 1700000000000LL},
			g;
	uint8_t raw[SEAL_HDR_LEN];

	memset(h.nonce, 0xab, 12);
	seal_hdr_encode(&h, raw);
	CHECK_EQ(seal_hdr_decode(raw, &g), 0);
	CHECK(g.len == 100 && g.base_offset == h.base_offset &&
	      g.last_delta == 7 && g.max_ts == h.max_ts &&
	      memcmp(g.nonce, h.nonce, 12) == 0);
	raw[0] ^= 1;
	CHECK_EQ(seal_hdr_decode(raw, &g), -EBADMSG);
	raw[0] ^= 1;
	raw[6] = 1; /* reserved */
	CHECK_EQ(seal_hdr_decode(raw, &g), -EBADMSG);
	raw[6] = 0;
	be_put32(raw + 8, SEAL_BATCH_MAX + 1); /* hostile length */
	CHECK_EQ(seal_hdr_decode(raw, &g), -EBADMSG);
	be_put32(raw + 8, 10); /* shorter than a batch header */
	CHECK_EQ(seal_hdr_decode(raw, &g), -EBADMSG);
	be_put32(raw + 8, 100);
	be_put32(raw + 20, (uint32_t)-5);
	CHECK_EQ(seal_hdr_decode(raw, &g), -EBADMSG);
	be_put32(raw + 20, 7);
	raw[5] = 9;
	CHECK_EQ(seal_hdr_decode(raw, &g), -EBADMSG);
}

static void test_frame(void)
{
	uint8_t key[32] = {7}, frame[4096];
	struct seal_id id = {.partition = 3, .seg_base = 100};
	struct seal_hdr h = {.type = SEAL_BATCH, .base_offset = 100};
	EVP_CIPHER_CTX *e = seal_ctx_new(true), *d = seal_ctx_new(false);
	struct buf b;
	const char *why;

	memcpy(id.topic_id, tu_topic_id, 16);
	buf_init(&b, 0);
	tu_batch(&b, 3, 1000, "x", 20);
	be_put64(b.data, 100);
	h.len = (uint32_t)b.len;
	h.last_delta = 2;
	h.max_ts = 1002;
	CHECK_EQ(seal_ctx_key(e, key), 0);
	CHECK_EQ(seal_frame_encrypt(e, &id, &h, b.data, frame), 0);
	CHECK(memcmp(frame + SEAL_HDR_LEN, b.data, b.len) != 0);
	{
		uint8_t copy[4096];
		struct seal_hdr g;
		memcpy(copy, frame, seal_frame_len(&h));
		CHECK_EQ(seal_hdr_decode(copy, &g), 0);
		CHECK_EQ(seal_frame_decrypt(d, key, &id, copy, &g,
					    copy + SEAL_HDR_LEN),
			 0);
		CHECK_MEM(copy + SEAL_HDR_LEN, b.data, b.len);
		CHECK_EQ(seal_batch_check(&g, copy + SEAL_HDR_LEN, &why), 0);
	}
	/* The same bytes in another place (AAD) never authenticate. */
	for (int k = 0; k < 3; k++) {
		struct seal_id o = id;
		uint8_t copy[4096];
		struct seal_hdr g;
		if (k == 0)
			o.partition = 4;
		else if (k == 1)
			o.seg_base = 0;
		else
			o.topic_id[5] ^= 1;
		memcpy(copy, frame, seal_frame_len(&h));
		seal_hdr_decode(copy, &g);
		CHECK_EQ(seal_frame_decrypt(d, key, &o, copy, &g,
					    copy + SEAL_HDR_LEN),
			 -EBADMSG);
	}
	EVP_CIPHER_CTX_free(e);
	EVP_CIPHER_CTX_free(d);
	buf_fini(&b);
}

static void test_footer(void)
{
	struct seal_footer f = {.frames = 3,
				.base = 10,
				.next = 40,
				.data_len = 3 * 200,
				.max_ts = 5,
				.max_ts_offset = 20},
			   g;
	uint8_t raw[SEAL_FOOTER_LEN];

	memset(f.digest, 0x11, 32);
	seal_footer_encode(&f, raw);
	CHECK_EQ(seal_footer_decode(raw, &g), 0);
	CHECK(g.frames == 3 && g.next == 40 && g.data_len == 600 &&
	      g.max_ts_offset == 20 && memcmp(g.digest, f.digest, 32) == 0);
	be_put64(raw + 16, 5); /* next before base */
	CHECK_EQ(seal_footer_decode(raw, &g), -EBADMSG);
}

static void test_dek(const char *dir)
{
	char path[512];
	struct keyring *kr = NULL;
	struct seal_id id = {.partition = 1, .seg_base = 500}, other;
	uint8_t dek[32], got[32], raw[SEAL_DEK_MAX], raw2[SEAL_DEK_MAX];
	char kid[KEYRING_ID_MAX + 1];
	size_t len, len2;
	bool changed;

	snprintf(path, sizeof(path), "%s/keys", dir);
	CHECK_EQ(keyring_create(path, "a1", &kr), 0);
	memcpy(id.topic_id, tu_topic_id, 16);
	memset(dek, 0x42, 32);
	CHECK_EQ(seal_dek_wrap(kr, &id, dek, raw, &len), 0);
	CHECK_EQ(seal_dek_unwrap(kr, &id, raw, len, got, kid), 0);
	CHECK_MEM(got, dek, 32);
	CHECK(strcmp(kid, "a1") == 0);
	other = id;
	other.seg_base = 501;
	CHECK_EQ(seal_dek_unwrap(kr, &other, raw, len, got, kid), -EBADMSG);
	/* Editing the identity in the file itself breaks the wrap's AAD. */
	memcpy(raw2, raw, len);
	raw2[len - 61] ^= 1;
	CHECK_EQ(seal_dek_unwrap(kr, &other, raw2, len, got, kid), -EBADMSG);
	for (size_t i = 0; i < len; i++) {
		int rc;
		memcpy(raw2, raw, len);
		raw2[i] ^= 0x80;
		rc = seal_dek_unwrap(kr, &id, raw2, len, got, kid);
		CHECK(rc == -EBADMSG || rc == -ENODATA || rc == -ENOKEY);
	}
	memset(raw2, 0, sizeof(raw2));
	CHECK_EQ(seal_dek_unwrap(kr, &id, raw2, len, got, kid), -ENODATA);
	CHECK_EQ(seal_dek_unwrap(kr, &id, raw, 10, got, kid), -ENODATA);
	/* Rotation: a new current key re-wraps; the old one still reads. */
	CHECK_EQ(keyring_add(kr, NULL, NULL), 0);
	CHECK(strcmp(keyring_current(kr), "k1") == 0);
	CHECK_EQ(seal_dek_rewrap(kr, raw, len, raw2, &len2, &changed), 0);
	CHECK(changed);
	CHECK_EQ(seal_dek_unwrap(kr, &id, raw2, len2, got, kid), 0);
	CHECK(strcmp(kid, "k1") == 0 && memcmp(got, dek, 32) == 0);
	CHECK_EQ(keyring_remove(kr, "k1"), -EBUSY);
	CHECK_EQ(keyring_remove(kr, "a1"), 0);
	CHECK_EQ(seal_dek_unwrap(kr, &id, raw, len, got, kid), -ENOKEY);
	CHECK_EQ(seal_dek_unwrap(kr, &id, raw2, len2, got, kid), 0);
	keyring_free(kr);
}

int main(void)
{
	char dir[256];

	log_set_level(LOG_ERROR);
	tu_mkdtemp(dir, sizeof(dir));
	test_kat();
	test_nonce();
	test_hdr();
	test_frame();
	test_footer();
	test_dek(dir);
	tu_rmrf(dir);
	return check_finish();
}
