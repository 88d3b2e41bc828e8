/* credstore.c - see credstore.h.
 *
 * Value layout (big-endian):
 *
 *   header  'S' 'C' version mech iterations[4] id_len key_id[id_len]
 *   v0      secret                       (clear; only without a keyring)
 *   v1      wrap_nonce[12] wrapped_dek[32] wrap_tag[16]
 *           nonce[12] AES-256-GCM(secret) tag[16]
 *   secret  salt_len[2] salt stored_key[klen] server_key[klen]
 *
 * AAD of both the DEK wrap and the GCM: "sealog.scram.v1", a NUL, the
 * record key, the header. Every buffer holding a DEK or the secret part
 * is wiped before it is freed or goes out of scope.
 */
#include "auth/credstore.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base/log.h"
#include "storage/keyring.h"
#include "storage/meta.h"

#define LOGC "sealog.credstore"
#define DB "scram"
#define KEY_MAX (SCRAM_USER_MAX + 2)
#define HDR_FIXED 9
#define HDR_MAX (HDR_FIXED + KEYRING_ID_MAX)
#define SECRET_MAX (2 + SCRAM_SALT_MAX + 2 * SCRAM_KEY_MAX)
#define SEAL_OVERHEAD (12 + 32 + 16 + 12 + 16)
#define AAD_LABEL "sealog.scram.v1"
#define AAD_MAX (sizeof(AAD_LABEL) + KEY_MAX + HDR_MAX)

struct credstore {
	struct meta *meta;
	const struct keyring *kr;
};

struct rec_key {
	uint8_t b[KEY_MAX];
	size_t len;
};

int credstore_open(struct meta *m, const struct keyring *kr,
		   struct credstore **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	(*out)->meta = m;
	(*out)->kr = kr;
	return 0;
}

void credstore_close(struct credstore *cs)
{
	free(cs);
}

static int key_make(const char *user, enum scram_mech mech, struct rec_key *k)
{
	size_t n = user ? strlen(user) : 0;

	if (!n || n > SCRAM_USER_MAX || !scram_mech_key_len(mech))
		return -EINVAL;
	memcpy(k->b, user, n);
	k->b[n] = 0;
	k->b[n + 1] = (uint8_t)mech;
	k->len = n + 2;
	return 0;
}

static size_t aad_make(const struct rec_key *k, const uint8_t *hdr,
		       size_t hdr_len, uint8_t *aad)
{
	memcpy(aad, AAD_LABEL, sizeof(AAD_LABEL)); /* with its NUL */
	memcpy(aad + sizeof(AAD_LABEL), k->b, k->len);
	memcpy(aad + sizeof(AAD_LABEL) + k->len, hdr, hdr_len);
	return sizeof(AAD_LABEL) + k->len + hdr_len;
}

/* --- AES-256-GCM ---------------------------------------------------------- */

static int gcm(bool enc, const uint8_t key[32], const uint8_t nonce[12],
	       const uint8_t *aad, size_t aad_len, const uint8_t *in,
	       size_t len, uint8_t *out, uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, ok;

	ok = c &&
	     EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, enc) ==
		 1 &&
	     EVP_CipherUpdate(c, NULL, &n, aad, (int)aad_len) == 1 &&
	     EVP_CipherUpdate(c, out, &n, in, (int)len) == 1;
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1;
	if (ok)
		ok = EVP_CipherFinal_ex(c, out + n, &n) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;
	EVP_CIPHER_CTX_free(c);
	if (!ok)
		OPENSSL_cleanse(out, len);
	return ok ? 0 : enc ? -EIO : -EBADMSG;
}

/* --- encoding ------------------------------------------------------------- */

static size_t secret_encode(const struct scram_cred *c, uint8_t *out)
{
	size_t klen = scram_mech_key_len(c->mech), n = 0;

	out[n++] = (uint8_t)(c->salt_len >> 8);
	out[n++] = (uint8_t)c->salt_len;
	memcpy(out + n, c->salt, c->salt_len);
	n += c->salt_len;
	memcpy(out + n, c->stored_key, klen);
	n += klen;
	memcpy(out + n, c->server_key, klen);
	return n + klen;
}

static int secret_decode(const uint8_t *p, size_t len, struct scram_cred *c)
{
	size_t klen = scram_mech_key_len(c->mech), salt_len;

	if (len < 2)
		return -EBADMSG;
	salt_len = (size_t)p[0] << 8 | p[1];
	if (!salt_len || salt_len > SCRAM_SALT_MAX ||
	    len != 2 + salt_len + 2 * klen)
		return -EBADMSG;
	c->salt_len = salt_len;
	memcpy(c->salt, p + 2, salt_len);
	memcpy(c->stored_key, p + 2 + salt_len, klen);
	memcpy(c->server_key, p + 2 + salt_len + klen, klen);
	return 0;
}

static size_t header_encode(uint8_t version, const struct scram_cred *c,
			    const char *key_id, uint8_t *h)
{
	size_t id_len = key_id ? strlen(key_id) : 0;
	uint32_t it = (uint32_t)c->iterations;

	h[0] = 'S';
	h[1] = 'C';
	h[2] = version;
	h[3] = (uint8_t)c->mech;
	h[4] = (uint8_t)(it >> 24);
	h[5] = (uint8_t)(it >> 16);
	h[6] = (uint8_t)(it >> 8);
	h[7] = (uint8_t)it;
	h[8] = (uint8_t)id_len;
	if (id_len)
		memcpy(h + HDR_FIXED, key_id, id_len);
	return HDR_FIXED + id_len;
}

struct rec_hdr {
	uint8_t version;
	enum scram_mech mech;
	int32_t iterations;
	char key_id[KEYRING_ID_MAX + 1];
	size_t len;
};

static int header_decode(const uint8_t *v, size_t len, struct rec_hdr *h)
{
	uint32_t it;

	if (len < HDR_FIXED || v[0] != 'S' || v[1] != 'C' || v[2] > 1 ||
	    !scram_mech_key_len(v[3]) || v[8] > KEYRING_ID_MAX ||
	    len < HDR_FIXED + (size_t)v[8] || (v[2] == 1) != (v[8] > 0))
		return -EBADMSG;
	it = (uint32_t)v[4] << 24 | (uint32_t)v[5] << 16 | (uint32_t)v[6] << 8 |
	     v[7];
	if (it < 1 || it > INT32_MAX)
		return -EBADMSG;
	h->version = v[2];
	h->mech = (enum scram_mech)v[3];
	h->iterations = (int32_t)it;
	memcpy(h->key_id, v + HDR_FIXED, v[8]);
	h->key_id[v[8]] = '\0';
	h->len = HDR_FIXED + v[8];
	return 0;
}

/* --- seal / open ---------------------------------------------------------- */

/* The record value for c into out (cap >= HDR_MAX + SEAL_OVERHEAD +
 * SECRET_MAX); returns its length or -errno. */
static int rec_seal(const struct credstore *cs, const struct rec_key *k,
		    const struct scram_cred *c, uint8_t *out)
{
	uint8_t secret[SECRET_MAX], dek[32], aad[AAD_MAX];
	const char *id = NULL;
	size_t hlen, slen = secret_encode(c, secret), alen;
	uint8_t *p;
	int rc = 0;

	if (!cs->kr) {
		hlen = header_encode(0, c, NULL, out);
		memcpy(out + hlen, secret, slen);
		OPENSSL_cleanse(secret, sizeof(secret));
		return (int)(hlen + slen);
	}
	hlen = header_encode(1, c, keyring_current(cs->kr), out);
	alen = aad_make(k, out, hlen, aad);
	p = out + hlen;
	if (RAND_bytes(dek, sizeof(dek)) != 1 || RAND_bytes(p + 60, 12) != 1)
		rc = -EIO;
	if (!rc)
		rc = keyring_wrap(cs->kr, NULL, aad, alen, dek, p, p + 12,
				  p + 44, &id);
	if (!rc)
		rc = gcm(true, dek, p + 60, aad, alen, secret, slen, p + 72,
			 p + 72 + slen);
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(dek, sizeof(dek));
	return rc ? rc : (int)(hlen + SEAL_OVERHEAD + slen);
}

static int rec_open(const struct credstore *cs, const struct rec_key *k,
		    const uint8_t *v, size_t len, struct scram_cred *c)
{
	uint8_t secret[SECRET_MAX], dek[32], aad[AAD_MAX], tag[16];
	struct rec_hdr h;
	const uint8_t *p;
	size_t slen, alen;
	int rc = header_decode(v, len, &h);

	if (rc)
		return rc;
	c->mech = h.mech;
	c->iterations = h.iterations;
	if (h.version == 0)
		return cs->kr ? -EBADMSG
			      : secret_decode(v + h.len, len - h.len, c);
	if (!cs->kr)
		return -ENOKEY;
	if (len < h.len + SEAL_OVERHEAD ||
	    len - h.len - SEAL_OVERHEAD > SECRET_MAX)
		return -EBADMSG;
	slen = len - h.len - SEAL_OVERHEAD;
	p = v + h.len;
	alen = aad_make(k, v, h.len, aad);
	memcpy(tag, p + 72 + slen, 16);
	rc =
	    keyring_unwrap(cs->kr, h.key_id, aad, alen, p, p + 12, p + 44, dek);
	if (!rc)
		rc = gcm(false, dek, p + 60, aad, alen, p + 72, slen, secret,
			 tag);
	if (!rc)
		rc = secret_decode(secret, slen, c);
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(dek, sizeof(dek));
	return rc;
}

/* --- operations ----------------------------------------------------------- */

int credstore_get(struct credstore *cs, const char *user, enum scram_mech mech,
		  struct scram_cred *out)
{
	struct meta_txn *t;
	struct rec_key k;
	const void *v;
	size_t vlen;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = key_make(user, mech, &k);
	if (rc)
		return rc;
	rc = meta_txn_begin(cs->meta, false, &t);
	if (rc)
		return rc;
	rc = meta_get(t, DB, k.b, k.len, &v, &vlen);
	if (!rc)
		rc = rec_open(cs, &k, v, vlen, out);
	meta_txn_abort(t);
	if (rc && rc != -ENOENT)
		log_error(
		    LOGC,
		    "SCRAM credential of user %s for %s cannot be read: %s",
		    user, scram_mech_name(mech), strerror(-rc));
	if (!rc && out->mech != mech)
		rc = -EBADMSG;
	if (rc)
		scram_cred_wipe(out);
	return rc;
}

static int change_apply(struct credstore *cs, struct meta_txn *t,
			const struct credstore_change *ch)
{
	uint8_t val[HDR_MAX + SEAL_OVERHEAD + SECRET_MAX];
	struct rec_key k;
	int n, rc = key_make(ch->user, ch->mech, &k);

	if (rc)
		return rc;
	if (!ch->cred)
		return meta_del(t, DB, k.b, k.len);
	if (ch->cred->mech != ch->mech || !ch->cred->salt_len ||
	    ch->cred->salt_len > SCRAM_SALT_MAX || ch->cred->iterations < 1)
		return -EINVAL;
	n = rec_seal(cs, &k, ch->cred, val);
	if (n < 0)
		return n;
	rc = meta_put(t, DB, k.b, k.len, val, (size_t)n);
	OPENSSL_cleanse(val, sizeof(val));
	return rc;
}

int credstore_apply(struct credstore *cs, const struct credstore_change *ch,
		    size_t count)
{
	struct meta_txn *t;
	int rc = meta_txn_begin(cs->meta, true, &t);

	if (rc)
		return rc;
	for (size_t i = 0; !rc && i < count; i++)
		rc = change_apply(cs, t, &ch[i]);
	if (rc) {
		meta_txn_abort(t);
		return rc;
	}
	return meta_txn_commit(t);
}

struct visit {
	credstore_visit_fn fn;
	void *ctx;
};

static int visit_one(void *ctx, const void *key, size_t klen, const void *val,
		     size_t vlen)
{
	const struct visit *vis = ctx;
	const uint8_t *kb = key;
	char user[SCRAM_USER_MAX + 1];
	struct rec_hdr h;

	/* A key that is not ours, or a header that does not parse: skip it
	 * (logged) rather than hide every other user. */
	if (klen < 3 || klen > KEY_MAX || kb[klen - 2] != 0 ||
	    memchr(kb, 0, klen - 2) || header_decode(val, vlen, &h) ||
	    h.mech != kb[klen - 1]) {
		log_warn(LOGC,
			 "skipping a malformed record in the SCRAM store");
		return 0;
	}
	memcpy(user, kb, klen - 2);
	user[klen - 2] = '\0';
	return vis->fn(vis->ctx, user, h.mech, h.iterations);
}

int credstore_foreach(struct credstore *cs, const char *user,
		      credstore_visit_fn fn, void *ctx)
{
	struct visit vis = {fn, ctx};
	struct meta_txn *t;
	size_t plen = user ? strlen(user) + 1 : 0; /* the name and its NUL */
	int rc;

	if (user && (plen < 2 || plen > SCRAM_USER_MAX + 1))
		return -EINVAL;
	rc = meta_txn_begin(cs->meta, false, &t);
	if (rc)
		return rc;
	rc = meta_foreach(t, DB, user, plen, visit_one, &vis);
	meta_txn_abort(t);
	return rc;
}
