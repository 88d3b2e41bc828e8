/* seal.c - AES-256-GCM frames, footers and data-key sidecars (see seal.h).
 *
 * Every EVP call's return is checked, the final decrypt call included
 * (R1): a frame whose tag does not verify is wiped and never returned.
 */
#include "storage/seal.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "base/crc32c.h"
#include "base/log.h"
#include "base/be.h"

#define LOGC "Storage"

static atomic_bool seal_null;

void seal_bench_null_cipher(bool on)
{
	atomic_store(&seal_null, on);
}

int seal_random(void *p, size_t len)
{
	if (RAND_bytes(p, (int)len) == 1)
		return 0;
	log_error(LOGC, "The random number generator failed; refusing to "
			"write with a weak key or nonce");
	return -EIO;
}

void seal_nonce_next(uint8_t nonce[12])
{
	for (int i = SEAL_NONCE_LEN - 1; i >= 0; i--)
		if (++nonce[i] != 0)
			break;
}

/* --- one-shot GCM (key wrapping, key checks, known-answer tests) ---------- */

static int gcm_run(EVP_CIPHER_CTX *c, bool enc, const uint8_t *aad,
		   size_t aad_len, const uint8_t *in, size_t len, uint8_t *out,
		   uint8_t tag[16])
{
	uint8_t fin[16]; /* GCM's final call writes nothing; never NULL */
	int n;

	if (aad_len && !EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len))
		return -EIO;
	if (len && !EVP_CipherUpdate(c, out, &n, in, (int)len))
		return -EIO;
	if (!enc && !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag))
		return -EIO;
	if (!EVP_CipherFinal_ex(c, fin, &n))
		return enc ? -EIO : -EBADMSG;
	if (enc && !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag))
		return -EIO;
	return 0;
}

int seal_gcm(bool encrypt, const uint8_t key[32], const uint8_t nonce[12],
	     const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
	     uint8_t *out, uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int rc = -EIO;

	if (!c)
		return -ENOMEM;
	if (len > SEAL_BATCH_MAX || aad_len > SEAL_BATCH_MAX)
		goto out;
	if (!EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce,
			       encrypt ? 1 : 0))
		goto out;
	rc = gcm_run(c, encrypt, aad, aad_len, in, len, out, tag);
	if (rc && len)
		OPENSSL_cleanse(out, len);
out:
	EVP_CIPHER_CTX_free(c);
	return rc;
}

/* --- frames --------------------------------------------------------------- */

void seal_hdr_encode(const struct seal_hdr *h, uint8_t out[SEAL_HDR_LEN])
{
	be_put32(out, SEAL_MAGIC);
	out[4] = SEAL_VERSION;
	out[5] = h->type;
	out[6] = 0;
	out[7] = 0;
	be_put32(out + 8, h->len);
	be_put64(out + 12, (uint64_t)h->base_offset);
	be_put32(out + 20, (uint32_t)h->last_delta);
	be_put64(out + 24, (uint64_t)h->max_ts);
	memcpy(out + 32, h->nonce, SEAL_NONCE_LEN);
}

int seal_hdr_decode(const uint8_t in[SEAL_HDR_LEN], struct seal_hdr *h)
{
	if (be_get32(in) != SEAL_MAGIC || in[4] != SEAL_VERSION || in[6] ||
	    in[7])
		return -EBADMSG;
	h->type = in[5];
	h->len = be_get32(in + 8);
	h->base_offset = (int64_t)be_get64(in + 12);
	h->last_delta = (int32_t)be_get32(in + 20);
	h->max_ts = (int64_t)be_get64(in + 24);
	memcpy(h->nonce, in + 32, SEAL_NONCE_LEN);
	if (h->base_offset < 0 || h->last_delta < 0 ||
	    h->base_offset > INT64_MAX - h->last_delta - 1)
		return -EBADMSG;
	if (h->type == SEAL_BATCH)
		return h->len >= SEAL_BATCH_MIN && h->len <= SEAL_BATCH_MAX
			   ? 0
			   : -EBADMSG;
	if (h->type == SEAL_FOOTER)
		return h->len == SEAL_FOOTER_LEN ? 0 : -EBADMSG;
	return -EBADMSG;
}

static void seal_aad(uint8_t aad[SEAL_AAD_LEN], const uint8_t *hdr,
		     const struct seal_id *id)
{
	memcpy(aad, hdr, SEAL_HDR_LEN);
	memcpy(aad + SEAL_HDR_LEN, id->topic_id, 16);
	be_put32(aad + SEAL_HDR_LEN + 16, (uint32_t)id->partition);
	be_put64(aad + SEAL_HDR_LEN + 20, (uint64_t)id->seg_base);
}

EVP_CIPHER_CTX *seal_ctx_new(bool encrypt)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

	if (c && !EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL,
				    encrypt ? 1 : 0)) {
		EVP_CIPHER_CTX_free(c);
		c = NULL;
	}
	return c;
}

int seal_ctx_key(EVP_CIPHER_CTX *c, const uint8_t key[32])
{
	return EVP_CipherInit_ex(c, NULL, NULL, key, NULL, -1) ? 0 : -EIO;
}

int seal_frame_encrypt(EVP_CIPHER_CTX *c, const struct seal_id *id,
		       const struct seal_hdr *h, const uint8_t *pt,
		       uint8_t *frame)
{
	uint8_t aad[SEAL_AAD_LEN];
	uint8_t *tag = frame + SEAL_HDR_LEN + h->len;

	seal_hdr_encode(h, frame);
	if (atomic_load_explicit(&seal_null, memory_order_relaxed)) {
		memcpy(frame + SEAL_HDR_LEN, pt, h->len);
		memset(tag, 0, SEAL_TAG_LEN);
		return 0;
	}
	seal_aad(aad, frame, id);
	if (!EVP_CipherInit_ex(c, NULL, NULL, NULL, h->nonce, 1))
		return -EIO;
	return gcm_run(c, true, aad, sizeof(aad), pt, h->len,
		       frame + SEAL_HDR_LEN, tag);
}

int seal_frame_decrypt(EVP_CIPHER_CTX *c, const uint8_t key[32],
		       const struct seal_id *id, const uint8_t *hdr,
		       const struct seal_hdr *h, uint8_t *body)
{
	uint8_t aad[SEAL_AAD_LEN];
	int rc;

	seal_aad(aad, hdr, id);
	if (!EVP_CipherInit_ex(c, NULL, NULL, key, h->nonce, 0))
		return -EIO;
	rc = gcm_run(c, false, aad, sizeof(aad), body, h->len, body,
		     body + h->len);
	if (rc) {
		OPENSSL_cleanse(body, h->len);
		return -EBADMSG;
	}
	return 0;
}

int seal_batch_check(const struct seal_hdr *h, const uint8_t *pt,
		     const char **why)
{
	uint32_t len = h->len;

	*why = NULL;
	if ((int64_t)be_get64(pt) != h->base_offset)
		*why = "batch base offset differs from the frame header";
	else if ((uint64_t)(int32_t)be_get32(pt + 8) + 12 != len)
		*why = "batch length differs from the frame length";
	else if (pt[16] != 2)
		*why = "not a v2 record batch";
	else if ((int32_t)be_get32(pt + 23) != h->last_delta)
		*why = "last offset delta differs from the frame header";
	else if ((int64_t)be_get64(pt + 35) != h->max_ts)
		*why = "max timestamp differs from the frame header";
	else if (crc32c(0, pt + 21, len - 21) != be_get32(pt + 17))
		*why = "CRC-32C mismatch";
	return *why ? -EBADMSG : 0;
}

void seal_footer_encode(const struct seal_footer *f,
			uint8_t out[SEAL_FOOTER_LEN])
{
	be_put32(out, 1);
	be_put32(out + 4, f->frames);
	be_put64(out + 8, (uint64_t)f->base);
	be_put64(out + 16, (uint64_t)f->next);
	be_put64(out + 24, f->data_len);
	be_put64(out + 32, (uint64_t)f->max_ts);
	be_put64(out + 40, (uint64_t)f->max_ts_offset);
	memcpy(out + 48, f->digest, 32);
}

int seal_footer_decode(const uint8_t in[SEAL_FOOTER_LEN], struct seal_footer *f)
{
	if (be_get32(in) != 1)
		return -EBADMSG;
	f->frames = be_get32(in + 4);
	f->base = (int64_t)be_get64(in + 8);
	f->next = (int64_t)be_get64(in + 16);
	f->data_len = be_get64(in + 24);
	f->max_ts = (int64_t)be_get64(in + 32);
	f->max_ts_offset = (int64_t)be_get64(in + 40);
	memcpy(f->digest, in + 48, 32);
	if (f->base < 0 || f->next <= f->base || f->frames == 0 ||
	    f->data_len <
		(uint64_t)f->frames * (SEAL_OVERHEAD + SEAL_BATCH_MIN))
		return -EBADMSG;
	return 0;
}

/* --- data key sidecars ---------------------------------------------------- */

static size_t dek_aad_len(size_t id_len)
{
	return 8 + id_len + 28;
}

static size_t dek_encode_head(uint8_t *out, const char *key_id,
			      const struct seal_id *id)
{
	size_t n = strlen(key_id);

	be_put32(out, SEAL_DEK_MAGIC);
	out[4] = 1;
	out[5] = (uint8_t)n;
	out[6] = 0;
	out[7] = 0;
	memcpy(out + 8, key_id, n);
	memcpy(out + 8 + n, id->topic_id, 16);
	be_put32(out + 8 + n + 16, (uint32_t)id->partition);
	be_put64(out + 8 + n + 20, (uint64_t)id->seg_base);
	return dek_aad_len(n);
}

int seal_dek_wrap(const struct keyring *kr, const struct seal_id *id,
		  const uint8_t dek[32], uint8_t *out, size_t *len)
{
	const char *cur = keyring_current(kr);
	size_t head = dek_encode_head(out, cur, id);

	*len = head + 60;
	return keyring_wrap(kr, cur, out, head, dek, out + head,
			    out + head + 12, out + head + 44, NULL);
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

int seal_dek_parse(const uint8_t *in, size_t len,
		   char key_id[KEYRING_ID_MAX + 1], struct seal_id *id)
{
	size_t n;

	if (len < 8 || all_zero(in, 8))
		return -ENODATA;
	if (be_get32(in) != SEAL_DEK_MAGIC)
		return len < 8 + 28 + 60 ? -ENODATA : -EBADMSG;
	n = in[5];
	if (len < dek_aad_len(n) + 60)
		return -ENODATA;
	if (in[4] != 1 || in[6] || in[7] || n == 0 || n > KEYRING_ID_MAX ||
	    len != dek_aad_len(n) + 60)
		return -EBADMSG;
	memcpy(key_id, in + 8, n);
	key_id[n] = '\0';
	if (!keyring_id_valid(key_id))
		return -EBADMSG;
	memcpy(id->topic_id, in + 8 + n, 16);
	id->partition = (int32_t)be_get32(in + 8 + n + 16);
	id->seg_base = (int64_t)be_get64(in + 8 + n + 20);
	return 0;
}

int seal_dek_unwrap(const struct keyring *kr, const struct seal_id *want,
		    const uint8_t *in, size_t len, uint8_t dek[32],
		    char key_id[KEYRING_ID_MAX + 1])
{
	struct seal_id got;
	size_t head;
	int rc = seal_dek_parse(in, len, key_id, &got);

	if (rc)
		return rc;
	if (memcmp(got.topic_id, want->topic_id, 16) != 0 ||
	    got.partition != want->partition || got.seg_base != want->seg_base)
		return -EBADMSG;
	head = dek_aad_len(strlen(key_id));
	return keyring_unwrap(kr, key_id, in, head, in + head, in + head + 12,
			      in + head + 44, dek);
}

int seal_dek_rewrap(const struct keyring *kr, const uint8_t *in, size_t len,
		    uint8_t *out, size_t *out_len, bool *changed)
{
	char key_id[KEYRING_ID_MAX + 1];
	uint8_t dek[SEAL_KEY_LEN];
	struct seal_id id;
	int rc = seal_dek_parse(in, len, key_id, &id);

	*changed = false;
	if (rc)
		return rc;
	if (strcmp(key_id, keyring_current(kr)) == 0) {
		memcpy(out, in, len);
		*out_len = len;
		return 0;
	}
	rc = seal_dek_unwrap(kr, &id, in, len, dek, key_id);
	if (!rc)
		rc = seal_dek_wrap(kr, &id, dek, out, out_len);
	OPENSSL_cleanse(dek, sizeof(dek));
	*changed = rc == 0;
	return rc;
}
