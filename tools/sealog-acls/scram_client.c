/* scram_client.c - SCRAM client (see scram_client.h). */
#include "tools/sealog-acls/scram_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "base/buf.h"

#define NONCE_BYTES 24
#define ATTR_MAX 4096 /* longest attribute value we accept from a server */

int scram_client_md(const char *mech, const EVP_MD **md)
{
	if (mech && strcasecmp(mech, "SCRAM-SHA-256") == 0)
		*md = EVP_sha256();
	else if (mech && strcasecmp(mech, "SCRAM-SHA-512") == 0)
		*md = EVP_sha512();
	else
		return -EINVAL;
	return 0;
}

/* saslname: ',' -> "=2C", '=' -> "=3D" (RFC 5802 5.1). */
static char *escape_user(const char *u)
{
	char *out = malloc(strlen(u) * 3 + 1), *p = out;

	if (!out)
		return NULL;
	for (; *u; u++) {
		if (*u == ',' || *u == '=') {
			memcpy(p, *u == ',' ? "=2C" : "=3D", 3);
			p += 3;
		} else {
			*p++ = *u;
		}
	}
	*p = '\0';
	return out;
}

static char *b64(const unsigned char *p, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	if (out)
		EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

/* Decode base64 text (len bytes) into out (cap); returns the length or
 * -1 on bad input. */
static int unb64(const char *s, size_t len, unsigned char *out, size_t cap)
{
	int n, pad = 0;

	if (len == 0 || len % 4 || len / 4 * 3 > cap)
		return -1;
	n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
	if (n < 0)
		return -1;
	pad = (s[len - 1] == '=') + (s[len - 2] == '=');
	return n - pad;
}

int scram_client_init(struct scram_client *s, const EVP_MD *md,
		      const char *user, const char *password, const char *nonce)
{
	unsigned char raw[NONCE_BYTES];

	memset(s, 0, sizeof(*s));
	s->md = md;
	s->hlen = (size_t)EVP_MD_get_size(md);
	s->user = escape_user(user);
	s->password = strdup(password);
	if (nonce) {
		s->nonce = strdup(nonce);
	} else if (RAND_bytes(raw, sizeof(raw)) == 1) {
		s->nonce = b64(raw, sizeof(raw));
	} else {
		scram_client_fini(s);
		return -EIO;
	}
	if (!s->user || !s->password || !s->nonce || s->hlen > SCRAM_HASH_MAX) {
		scram_client_fini(s);
		return -ENOMEM;
	}
	return 0;
}

void scram_client_fini(struct scram_client *s)
{
	if (s->password) {
		OPENSSL_cleanse(s->password, strlen(s->password));
		free(s->password);
	}
	free(s->user);
	free(s->nonce);
	free(s->first_bare);
	OPENSSL_cleanse(s->server_sig, sizeof(s->server_sig));
	memset(s, 0, sizeof(*s));
}

int scram_client_first(struct scram_client *s, struct buf *out)
{
	size_t n = strlen(s->user) + strlen(s->nonce) + 8;

	free(s->first_bare);
	s->first_bare = malloc(n);
	if (!s->first_bare)
		return -ENOMEM;
	snprintf(s->first_bare, n, "n=%s,r=%s", s->user, s->nonce);
	buf_append(out, "n,,", 3);
	buf_append(out, s->first_bare, strlen(s->first_bare));
	return out->err;
}

/* The value of attribute a at the start of item *p (up to ',' or end),
 * advancing *p past the comma. */
static int attr(const char **p, const char *end, char a, const char **val,
		size_t *len)
{
	const char *comma;

	if (end - *p < 2 || (*p)[0] != a || (*p)[1] != '=')
		return -EINVAL;
	*val = *p + 2;
	comma = memchr(*val, ',', (size_t)(end - *val));
	*len = (size_t)((comma ? comma : end) - *val);
	*p = comma ? comma + 1 : end;
	return *len <= ATTR_MAX ? 0 : -EINVAL;
}

struct server_first {
	const char *nonce, *salt;
	size_t nonce_len, salt_len;
	long iterations;
};

static int parse_server_first(const char *msg, size_t len,
			      struct server_first *sf, char *err, size_t errlen)
{
	const char *p = msg, *end = msg + len, *it;
	size_t itlen;
	char num[16];
	char *e;

	if (len >= 2 && msg[0] == 'm' && msg[1] == '=') {
		snprintf(err, errlen,
			 "server requires an unsupported SCRAM extension");
		return -EINVAL;
	}
	if (attr(&p, end, 'r', &sf->nonce, &sf->nonce_len) ||
	    attr(&p, end, 's', &sf->salt, &sf->salt_len) ||
	    attr(&p, end, 'i', &it, &itlen) || itlen == 0 ||
	    itlen >= sizeof(num)) {
		snprintf(err, errlen, "malformed SCRAM server-first message");
		return -EINVAL;
	}
	memcpy(num, it, itlen);
	num[itlen] = '\0';
	sf->iterations = strtol(num, &e, 10);
	if (*e || sf->iterations < SCRAM_ITER_MIN ||
	    sf->iterations > SCRAM_ITER_MAX) {
		snprintf(err, errlen, "SCRAM iterations %s outside %d..%d", num,
			 SCRAM_ITER_MIN, SCRAM_ITER_MAX);
		return -EINVAL;
	}
	return 0;
}

static int hmac(const struct scram_client *s, const unsigned char *key,
		const void *msg, size_t len, unsigned char *out)
{
	unsigned int n = 0;

	return HMAC(s->md, key, (int)s->hlen, msg, len, out, &n) ? 0 : -EIO;
}

/* Keys from the salted password, the signatures over auth message am. */
static int scram_proof(struct scram_client *s, const struct server_first *sf,
		       const char *am, unsigned char *proof)
{
	unsigned char salt[ATTR_MAX], salted[SCRAM_HASH_MAX];
	unsigned char ckey[SCRAM_HASH_MAX], skey[SCRAM_HASH_MAX];
	unsigned char stored[SCRAM_HASH_MAX], csig[SCRAM_HASH_MAX];
	int slen = unb64(sf->salt, sf->salt_len, salt, sizeof(salt));
	int rc = -EINVAL;

	if (slen <= 0)
		goto out;
	if (!PKCS5_PBKDF2_HMAC(s->password, (int)strlen(s->password), salt,
			       slen, (int)sf->iterations, s->md, (int)s->hlen,
			       salted)) {
		rc = -EIO;
		goto out;
	}
	rc = hmac(s, salted, "Client Key", 10, ckey);
	if (!rc)
		rc = EVP_Digest(ckey, s->hlen, stored, NULL, s->md, NULL)
			 ? 0
			 : -EIO;
	if (!rc)
		rc = hmac(s, stored, am, strlen(am), csig);
	if (!rc)
		rc = hmac(s, salted, "Server Key", 10, skey);
	if (!rc)
		rc = hmac(s, skey, am, strlen(am), s->server_sig);
	for (size_t i = 0; !rc && i < s->hlen; i++)
		proof[i] = ckey[i] ^ csig[i];
out:
	OPENSSL_cleanse(salted, sizeof(salted));
	OPENSSL_cleanse(ckey, sizeof(ckey));
	OPENSSL_cleanse(skey, sizeof(skey));
	OPENSSL_cleanse(stored, sizeof(stored));
	OPENSSL_cleanse(csig, sizeof(csig));
	return rc;
}

int scram_client_final(struct scram_client *s, const void *server_first,
		       size_t len, struct buf *out, char *err, size_t errlen)
{
	struct server_first sf;
	unsigned char proof[SCRAM_HASH_MAX];
	char *without = NULL, *am = NULL, *p64 = NULL;
	size_t cn = strlen(s->nonce);
	int rc = parse_server_first(server_first, len, &sf, err, errlen);

	if (rc)
		return rc;
	if (sf.nonce_len <= cn || memcmp(sf.nonce, s->nonce, cn) != 0) {
		snprintf(err, errlen,
			 "SCRAM server nonce does not extend the client nonce");
		return -EINVAL;
	}
	rc = -ENOMEM;
	if (asprintf(&without, "c=biws,r=%.*s", (int)sf.nonce_len, sf.nonce) <
	    0)
		without = NULL;
	else if (asprintf(&am, "%s,%.*s,%s", s->first_bare, (int)len,
			  (const char *)server_first, without) < 0)
		am = NULL;
	if (without && am)
		rc = scram_proof(s, &sf, am, proof);
	if (rc == -EINVAL)
		snprintf(err, errlen, "malformed SCRAM salt");
	if (!rc && !(p64 = b64(proof, s->hlen)))
		rc = -ENOMEM;
	if (!rc) {
		buf_append(out, without, strlen(without));
		buf_append(out, ",p=", 3);
		buf_append(out, p64, strlen(p64));
		rc = out->err;
	}
	OPENSSL_cleanse(proof, sizeof(proof));
	free(without);
	free(am);
	free(p64);
	return rc;
}

int scram_client_verify(struct scram_client *s, const void *server_final,
			size_t len, char *err, size_t errlen)
{
	const char *p = server_final, *end = p + len, *v;
	unsigned char sig[ATTR_MAX];
	size_t vlen;
	int n;

	if (len > 2 && p[0] == 'e' && p[1] == '=') {
		snprintf(err, errlen, "SCRAM server error: %.*s",
			 (int)(len - 2 > 200 ? 200 : len - 2), p + 2);
		return -EINVAL;
	}
	if (attr(&p, end, 'v', &v, &vlen) ||
	    (n = unb64(v, vlen, sig, sizeof(sig))) != (int)s->hlen ||
	    CRYPTO_memcmp(sig, s->server_sig, s->hlen) != 0) {
		snprintf(err, errlen, "invalid SCRAM server signature");
		return -EINVAL;
	}
	return 0;
}
