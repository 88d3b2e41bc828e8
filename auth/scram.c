/* scram.c - SCRAM credentials and encodings (see scram.h); the exchange
 * itself is scram_server.c.
 *
 * Every intermediate key (SaltedPassword, ClientKey) lives on the stack
 * and is wiped with OPENSSL_cleanse before the function returns, on
 * every path.
 */
#include "auth/scram.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "auth/scram_int.h"

static const char *const mech_names[] = {
    [SCRAM_SHA_256] = "SCRAM-SHA-256",
    [SCRAM_SHA_512] = "SCRAM-SHA-512",
};

const char *scram_mech_name(int mech)
{
	if (mech != SCRAM_SHA_256 && mech != SCRAM_SHA_512)
		return NULL;
	return mech_names[mech];
}

int scram_mech_parse(const char *name, enum scram_mech *out)
{
	if (name && strcmp(name, mech_names[SCRAM_SHA_256]) == 0) {
		*out = SCRAM_SHA_256;
		return 0;
	}
	if (name && strcmp(name, mech_names[SCRAM_SHA_512]) == 0) {
		*out = SCRAM_SHA_512;
		return 0;
	}
	return -ENOENT;
}

size_t scram_mech_key_len(int mech)
{
	if (mech == SCRAM_SHA_256)
		return 32;
	if (mech == SCRAM_SHA_512)
		return 64;
	return 0;
}

const EVP_MD *scram_md(int mech)
{
	if (mech == SCRAM_SHA_256)
		return EVP_sha256();
	if (mech == SCRAM_SHA_512)
		return EVP_sha512();
	return NULL;
}

int scram_hmac(int mech, const uint8_t *key, size_t key_len, const void *data,
	       size_t len, uint8_t *out)
{
	unsigned out_len = 0;

	if (key_len > INT_MAX ||
	    !HMAC(scram_md(mech), key, (int)key_len, data, len, out,
		  &out_len) ||
	    out_len != scram_mech_key_len(mech))
		return -EIO;
	return 0;
}

int scram_hash(int mech, const uint8_t *data, size_t len, uint8_t *out)
{
	unsigned out_len = 0;

	if (EVP_Digest(data, len, out, &out_len, scram_md(mech), NULL) != 1 ||
	    out_len != scram_mech_key_len(mech))
		return -EIO;
	return 0;
}

int scram_salted_password(enum scram_mech m, const void *pw, size_t pw_len,
			  const uint8_t *salt, size_t salt_len,
			  int32_t iterations, uint8_t *out)
{
	size_t klen = scram_mech_key_len(m);

	if (!klen || iterations < 1 || !salt_len || salt_len > INT_MAX ||
	    pw_len > INT_MAX)
		return -EINVAL;
	if (PKCS5_PBKDF2_HMAC(pw_len ? pw : "", (int)pw_len, salt,
			      (int)salt_len, iterations, scram_md(m), (int)klen,
			      out) != 1)
		return -EIO;
	return 0;
}

/* StoredKey and ServerKey from SaltedPassword (RFC 5802 section 3). */
static int cred_keys(enum scram_mech m, const uint8_t *salted, uint8_t *stored,
		     uint8_t *server)
{
	size_t klen = scram_mech_key_len(m);
	uint8_t client_key[SCRAM_KEY_MAX];
	int rc;

	rc = scram_hmac(m, salted, klen, "Client Key", 10, client_key);
	if (!rc)
		rc = scram_hash(m, client_key, klen, stored);
	if (!rc && server)
		rc = scram_hmac(m, salted, klen, "Server Key", 10, server);
	OPENSSL_cleanse(client_key, sizeof(client_key));
	return rc;
}

int scram_cred_from_salted(enum scram_mech m, const uint8_t *salted,
			   size_t salted_len, const uint8_t *salt,
			   size_t salt_len, int32_t iterations,
			   struct scram_cred *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (!scram_mech_key_len(m) || salted_len != scram_mech_key_len(m) ||
	    !salt_len || salt_len > SCRAM_SALT_MAX || iterations < 1)
		return -EINVAL;
	out->mech = m;
	out->iterations = iterations;
	out->salt_len = salt_len;
	memcpy(out->salt, salt, salt_len);
	rc = cred_keys(m, salted, out->stored_key, out->server_key);
	if (rc)
		scram_cred_wipe(out);
	return rc;
}

int scram_cred_from_password(enum scram_mech m, const void *pw, size_t pw_len,
			     const uint8_t *salt, size_t salt_len,
			     int32_t iterations, struct scram_cred *out)
{
	uint8_t salted[SCRAM_KEY_MAX], fresh[32];
	int rc;

	if (!salt) {
		if (RAND_bytes(fresh, sizeof(fresh)) != 1)
			return -EIO;
		salt = fresh;
		salt_len = sizeof(fresh);
	}
	rc = scram_salted_password(m, pw, pw_len, salt, salt_len, iterations,
				   salted);
	if (!rc)
		rc = scram_cred_from_salted(m, salted, scram_mech_key_len(m),
					    salt, salt_len, iterations, out);
	OPENSSL_cleanse(salted, sizeof(salted));
	return rc;
}

bool scram_cred_check_password(const struct scram_cred *c, const void *pw,
			       size_t pw_len)
{
	uint8_t salted[SCRAM_KEY_MAX], stored[SCRAM_KEY_MAX];
	size_t klen = scram_mech_key_len(c->mech);
	bool ok = false;

	if (klen &&
	    scram_salted_password(c->mech, pw, pw_len, c->salt, c->salt_len,
				  c->iterations, salted) == 0 &&
	    cred_keys(c->mech, salted, stored, NULL) == 0)
		ok = CRYPTO_memcmp(stored, c->stored_key, klen) == 0;
	OPENSSL_cleanse(salted, sizeof(salted));
	OPENSSL_cleanse(stored, sizeof(stored));
	return ok;
}

bool scram_check_password_dummy(const void *pw, size_t pw_len)
{
	static const uint8_t salt[] = "sealog: no such user";
	uint8_t salted[SCRAM_KEY_MAX], stored[SCRAM_KEY_MAX];

	if (scram_salted_password(SCRAM_SHA_256, pw, pw_len, salt,
				  sizeof(salt) - 1, SCRAM_ITER_DEFAULT,
				  salted) == 0)
		(void)cred_keys(SCRAM_SHA_256, salted, stored, NULL);
	OPENSSL_cleanse(salted, sizeof(salted));
	OPENSSL_cleanse(stored, sizeof(stored));
	return false;
}

void scram_cred_wipe(struct scram_cred *c)
{
	OPENSSL_cleanse(c, sizeof(*c));
}

bool scram_user_valid(const char *name, size_t len)
{
	return name && len && len <= SCRAM_USER_MAX &&
	       scram_utf8_valid((const uint8_t *)name, len);
}

/* --- encodings ------------------------------------------------------------ */

int scram_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
	size_t need = 4 * ((len + 2) / 3) + 1;

	if (cap < need || len > INT_MAX / 2)
		return -ENOSPC;
	return EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* One quantum of 4 characters; the last may carry '=' padding. */
static int b64_quantum(const char *q, bool last, uint8_t *out)
{
	int v[4], n = 4;

	for (int i = 0; i < 4; i++) {
		v[i] = b64_val(q[i]);
		if (v[i] >= 0)
			continue;
		if (!last || q[i] != '=' || i < 2)
			return -EBADMSG;
		if (i == 2 && q[3] != '=')
			return -EBADMSG;
		n = i;
		break;
	}
	out[0] = (uint8_t)(v[0] << 2 | v[1] >> 4);
	if (n > 2)
		out[1] = (uint8_t)((v[1] & 15) << 4 | v[2] >> 2);
	if (n > 3)
		out[2] = (uint8_t)((v[2] & 3) << 6 | v[3]);
	return n - 1;
}

int scram_b64_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
	size_t n = 0;
	uint8_t tmp[3];

	if (len % 4)
		return -EBADMSG;
	if (len / 4 * 3 > INT_MAX)
		return -ENOSPC;
	for (size_t i = 0; i < len; i += 4) {
		int got = b64_quantum(in + i, i + 4 == len, tmp);
		if (got < 0)
			return got;
		if (n + (size_t)got > cap) {
			OPENSSL_cleanse(tmp, sizeof(tmp));
			return -ENOSPC;
		}
		memcpy(out + n, tmp, (size_t)got);
		n += (size_t)got;
	}
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return (int)n;
}

int scram_saslname_decode(const char *in, size_t len, char *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if (c == ',')
			return -EBADMSG;
		if (c == '=') {
			if (i + 2 >= len)
				return -EBADMSG;
			if (in[i + 1] == '2' && in[i + 2] == 'C')
				c = ',';
			else if (in[i + 1] == '3' && in[i + 2] == 'D')
				c = '=';
			else
				return -EBADMSG;
			i += 2;
		}
		if (n + 1 >= cap)
			return -ENOSPC;
		out[n++] = c;
	}
	if (n >= cap)
		return -ENOSPC;
	out[n] = '\0';
	return (int)n;
}

int scram_saslname_encode(const char *in, size_t len, char *out, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		const char *rep = in[i] == ','	 ? "=2C"
				  : in[i] == '=' ? "=3D"
						 : NULL;
		size_t add = rep ? 3 : 1;
		if (n + add >= cap)
			return -ENOSPC;
		if (rep)
			memcpy(out + n, rep, 3);
		else
			out[n] = in[i];
		n += add;
	}
	if (n >= cap)
		return -ENOSPC;
	out[n] = '\0';
	return (int)n;
}

bool scram_utf8_valid(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t c = p[i];
		size_t n = c < 0x80		? 1
			   : (c & 0xE0) == 0xC0 ? 2
			   : (c & 0xF0) == 0xE0 ? 3
			   : (c & 0xF8) == 0xF0 ? 4
						: 0;
		uint32_t cp;

		if (!n || i + n > len || c == 0)
			return false;
		cp = n == 1 ? c : (uint32_t)(c & (0x7F >> n));
		for (size_t k = 1; k < n; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3F);
		}
		/* Overlong forms, surrogates and values past U+10FFFF. */
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		    (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n;
	}
	return true;
}
