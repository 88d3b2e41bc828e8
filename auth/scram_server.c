/* scram_server.c - the server side of one SCRAM exchange (RFC 5802).
 *
 *   +------------+ client-first ok  +-------------+ client-final ok  +----+
 *   | WANT_FIRST | ---------------> | WANT_FINAL  | ---------------> | OK |
 *   +------------+  (server-first)  +-------------+  (server-final)  +----+
 *         |                                |
 *         +--- malformed / refused --------+------> FAILED (every later
 *                                                   step is -EPROTO)
 *
 * Invariants:
 *  1. A step either advances the state or ends in FAILED; nothing is
 *     retried within one exchange (a client starts a new handshake).
 *  2. An unknown user is indistinguishable from a wrong password until
 *     the proof: same message shapes, a stable salt derived from the name
 *     with a per-process secret, Kafka's default iterations; the fake
 *     StoredKey is random, so no proof can match it.
 *  3. Keys, nonces and the messages that embed them are wiped on destroy.
 *
 * Transitions: WANT_FIRST -> WANT_FINAL server_first(); WANT_FINAL -> OK
 * server_final(); any -> FAILED fail().
 */
#include "auth/scram.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auth/scram_int.h"
#include "base/buf.h"
#include "base/log.h"

#define SNONCE_BYTES 24 /* 32 base64 characters, no padding */

enum scram_state { ST_WANT_FIRST, ST_WANT_FINAL, ST_OK, ST_FAILED };

struct scram_server {
	enum scram_mech mech;
	enum scram_state state;
	scram_lookup_fn lookup;
	void *ctx;
	bool known; /* cred came from the store */
	struct scram_cred cred;
	char user[SCRAM_USER_MAX + 1];
	char *gs2; /* "n,," or "n,a=...,": what c= must encode */
	size_t gs2_len;
	char *bare; /* client-first-message-bare */
	size_t bare_len;
	size_t cnonce_len; /* the client nonce is the start of nonce */
	char *nonce;	   /* cnonce + snonce, NUL-terminated */
	char *sfirst;	   /* server-first-message */
	size_t sfirst_len;
	char reason[160];
};

/* --- the per-process secret behind fake salts ----------------------------- */

static pthread_once_t secret_once = PTHREAD_ONCE_INIT;
static uint8_t secret[32];
static int secret_rc;

static void secret_init(void)
{
	secret_rc = RAND_bytes(secret, sizeof(secret)) == 1 ? 0 : -EIO;
}

/* --- helpers -------------------------------------------------------------- */

static int fail(struct scram_server *s, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct scram_server *s, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->reason, sizeof(s->reason), fmt, ap);
	va_end(ap);
	s->state = ST_FAILED;
	return rc;
}

static char *dup_mem(const void *p, size_t len)
{
	char *d = malloc(len + 1);

	if (d) {
		memcpy(d, p, len);
		d[len] = '\0';
	}
	return d;
}

static void free_secret(char *p, size_t len)
{
	if (p)
		OPENSSL_clear_free(p, len + 1);
}

/* The end of the attribute value starting at p: the next ',' or end. */
static size_t attr_len(const char *p, const char *end)
{
	const char *c = memchr(p, ',', (size_t)(end - p));

	return (size_t)((c ? c : end) - p);
}

static bool nonce_valid(const char *p, size_t len)
{
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (p[i] < 0x21 || p[i] > 0x7E || p[i] == ',')
			return false;
	return true;
}

/* Extensions ",key=value" from p to end: key [A-Za-z]+, value bytes
 * 0x01-0x7F except '=' and ',' (Kafka's grammar). Kafka's delegation
 * tokens (tokenauth=true) are not served. */
static int extensions_check(struct scram_server *s, const char *p,
			    const char *end)
{
	while (p < end) {
		size_t n, k = 0;

		if (*p++ != ',')
			return fail(s, -EBADMSG, "malformed extension");
		n = attr_len(p, end);
		while (k < n && ((p[k] | 0x20) >= 'a' && (p[k] | 0x20) <= 'z'))
			k++;
		if (!k || k == n || p[k] != '=' || k + 1 == n)
			return fail(s, -EBADMSG, "malformed extension");
		for (size_t i = k + 1; i < n; i++)
			if ((unsigned char)p[i] > 0x7F || p[i] == '=')
				return fail(s, -EBADMSG, "malformed extension");
		if (k == 9 && memcmp(p, "tokenauth", 9) == 0)
			return fail(s, -EACCES,
				    "delegation tokens are not supported");
		p += n;
	}
	return 0;
}

/* --- client-first --------------------------------------------------------- */

/* gs2-header: "n," [ "a=" saslname ] ",". Sets *bare to what follows. */
static int parse_gs2(struct scram_server *s, const char *p, const char *end,
		     const char **bare, char *authzid, size_t cap)
{
	size_t n;

	authzid[0] = '\0';
	if (end - p >= 1 && (*p == 'p' || *p == 'y'))
		return fail(s, -EBADMSG, "channel binding is not supported");
	if (end - p < 3 || p[0] != 'n' || p[1] != ',')
		return fail(s, -EBADMSG, "malformed gs2 header");
	p += 2;
	if (end - p >= 2 && p[0] == 'a' && p[1] == '=') {
		n = attr_len(p + 2, end);
		if (!n || scram_saslname_decode(p + 2, n, authzid, cap) < 0)
			return fail(s, -EBADMSG, "malformed authzid");
		p += 2 + n;
	}
	if (p == end || *p != ',')
		return fail(s, -EBADMSG, "malformed gs2 header");
	*bare = p + 1;
	return 0;
}

/* client-first-message-bare: "n=" saslname ",r=" nonce [extensions] */
static int parse_bare(struct scram_server *s, const char *p, const char *end)
{
	size_t n;
	int ulen;

	if (end - p >= 2 && p[0] == 'm' && p[1] == '=')
		return fail(s, -EBADMSG,
			    "mandatory extensions are not supported");
	if (end - p < 2 || p[0] != 'n' || p[1] != '=')
		return fail(s, -EBADMSG, "malformed client-first message");
	p += 2;
	n = attr_len(p, end);
	ulen = scram_saslname_decode(p, n, s->user, sizeof(s->user));
	if (ulen <= 0 ||
	    !scram_utf8_valid((const uint8_t *)s->user, (size_t)ulen))
		return fail(s, -EBADMSG, "malformed user name");
	p += n;
	if (end - p < 3 || memcmp(p, ",r=", 3) != 0)
		return fail(s, -EBADMSG, "malformed client-first message");
	p += 3;
	n = attr_len(p, end);
	if (!nonce_valid(p, n))
		return fail(s, -EBADMSG, "malformed client nonce");
	s->cnonce_len = n;
	s->nonce = malloc(n + 4 * ((SNONCE_BYTES + 2) / 3) + 1);
	if (!s->nonce)
		return fail(s, -ENOMEM, "out of memory");
	memcpy(s->nonce, p, n);
	s->nonce[n] = '\0';
	return extensions_check(s, p + n, end);
}

/* The credential, or a fake one for an unknown user (invariant 2). */
static int cred_load(struct scram_server *s)
{
	uint8_t in[1 + SCRAM_USER_MAX];
	size_t ulen = strlen(s->user);
	int rc = s->lookup(s->ctx, s->mech, s->user, &s->cred);

	if (rc == 0 && s->cred.mech == s->mech && s->cred.salt_len &&
	    s->cred.iterations > 0) {
		s->known = true;
		return 0;
	}
	scram_cred_wipe(&s->cred);
	pthread_once(&secret_once, secret_init);
	if (secret_rc)
		return fail(s, -EIO, "random generator failed");
	in[0] = (uint8_t)s->mech;
	memcpy(in + 1, s->user, ulen);
	s->cred.mech = s->mech;
	s->cred.iterations = SCRAM_ITER_DEFAULT;
	s->cred.salt_len = 32;
	if (scram_hmac(SCRAM_SHA_256, secret, sizeof(secret), in, ulen + 1,
		       s->cred.salt) ||
	    RAND_bytes(s->cred.stored_key, SCRAM_KEY_MAX) != 1 ||
	    RAND_bytes(s->cred.server_key, SCRAM_KEY_MAX) != 1)
		return fail(s, -EIO, "random generator failed");
	return 0;
}

/* server-first-message: r=cnonce+snonce,s=salt,i=iterations */
static int server_first(struct scram_server *s, struct buf *out)
{
	uint8_t raw[SNONCE_BYTES];
	char salt64[4 * ((SCRAM_SALT_MAX + 2) / 3) + 1];
	char iters[16];
	int n;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return fail(s, -EIO, "random generator failed");
	n = scram_b64_encode(raw, sizeof(raw), s->nonce + s->cnonce_len,
			     4 * ((SNONCE_BYTES + 2) / 3) + 1);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (n < 0 || scram_b64_encode(s->cred.salt, s->cred.salt_len, salt64,
				      sizeof(salt64)) < 0)
		return fail(s, -EIO, "encoding failed");
	snprintf(iters, sizeof(iters), "%d", s->cred.iterations);
	s->sfirst_len =
	    2 + strlen(s->nonce) + 3 + strlen(salt64) + 3 + strlen(iters);
	s->sfirst = malloc(s->sfirst_len + 1);
	if (!s->sfirst)
		return fail(s, -ENOMEM, "out of memory");
	snprintf(s->sfirst, s->sfirst_len + 1, "r=%s,s=%s,i=%s", s->nonce,
		 salt64, iters);
	buf_append(out, s->sfirst, s->sfirst_len);
	if (out->err)
		return fail(s, out->err, "out of memory");
	s->state = ST_WANT_FINAL;
	return 1;
}

static int client_first(struct scram_server *s, const char *msg, size_t len,
			struct buf *out)
{
	const char *end = msg + len, *bare = NULL;
	char authzid[SCRAM_USER_MAX + 1];
	int rc = parse_gs2(s, msg, end, &bare, authzid, sizeof(authzid));

	if (!rc)
		rc = parse_bare(s, bare, end);
	if (rc)
		return rc;
	if (authzid[0] && strcmp(authzid, s->user) != 0)
		return fail(s, -EACCES,
			    "authorization id differs from user name");
	s->gs2_len = (size_t)(bare - msg);
	s->gs2 = dup_mem(msg, s->gs2_len);
	s->bare_len = (size_t)(end - bare);
	s->bare = dup_mem(bare, s->bare_len);
	if (!s->gs2 || !s->bare)
		return fail(s, -ENOMEM, "out of memory");
	rc = cred_load(s);
	return rc ? rc : server_first(s, out);
}

/* --- client-final --------------------------------------------------------- */

/* r= must be the full nonce, or cnonce + the full nonce (librdkafka <
 * 2.6.1, see scram.h). Nonces are public: a plain compare is fine. */
static bool final_nonce_ok(const struct scram_server *s, const char *r,
			   size_t n)
{
	size_t full = strlen(s->nonce);

	if (n == full)
		return memcmp(r, s->nonce, full) == 0;
	if (n != s->cnonce_len + full || memcmp(r, s->nonce, s->cnonce_len) ||
	    memcmp(r + s->cnonce_len, s->nonce, full))
		return false;
	log_debug("sealog.scram",
		  "client-final nonce repeats the client nonce (librdkafka "
		  "before 2.6.1): accepted, the server nonce matches");
	return true;
}

/* client-final-message-without-proof: c=...,r=...[,extensions] */
static int parse_final_wo_proof(struct scram_server *s, const char *p,
				const char *end)
{
	uint8_t cb[3 * SCRAM_USER_MAX + 8]; /* "n,a=" + escaped authzid + "," */
	size_t n;
	int cb_len;

	if (end - p < 2 || p[0] != 'c' || p[1] != '=')
		return fail(s, -EBADMSG, "malformed client-final message");
	n = attr_len(p + 2, end);
	cb_len = scram_b64_decode(p + 2, n, cb, sizeof(cb));
	if (cb_len < 0 || (size_t)cb_len != s->gs2_len ||
	    memcmp(cb, s->gs2, s->gs2_len) != 0)
		return fail(
		    s, -EBADMSG,
		    "channel binding data does not match the gs2 header");
	p += 2 + n;
	if (end - p < 3 || memcmp(p, ",r=", 3) != 0)
		return fail(s, -EBADMSG, "malformed client-final message");
	p += 3;
	n = attr_len(p, end);
	if (!final_nonce_ok(s, p, n))
		return fail(s, -EACCES,
			    "invalid client nonce in the final client message");
	return extensions_check(s, p + n, end);
}

/* AuthMessage = client-first-bare "," server-first "," final-wo-proof */
static char *auth_message(const struct scram_server *s, const char *wo,
			  size_t wo_len, size_t *len)
{
	char *m;

	*len = s->bare_len + 1 + s->sfirst_len + 1 + wo_len;
	m = malloc(*len);
	if (!m)
		return NULL;
	memcpy(m, s->bare, s->bare_len);
	m[s->bare_len] = ',';
	memcpy(m + s->bare_len + 1, s->sfirst, s->sfirst_len);
	m[s->bare_len + 1 + s->sfirst_len] = ',';
	memcpy(m + s->bare_len + 2 + s->sfirst_len, wo, wo_len);
	return m;
}

/* ClientKey = proof XOR HMAC(StoredKey, AuthMessage); H(ClientKey) must
 * be StoredKey; then ServerSignature = HMAC(ServerKey, AuthMessage). */
static int proof_verify(struct scram_server *s, const uint8_t *proof,
			const char *am, size_t am_len, uint8_t *server_sig)
{
	size_t klen = scram_mech_key_len(s->mech);
	uint8_t sig[SCRAM_KEY_MAX], key[SCRAM_KEY_MAX], stored[SCRAM_KEY_MAX];
	int rc = scram_hmac(s->mech, s->cred.stored_key, klen, am, am_len, sig);
	bool match = false;

	for (size_t i = 0; !rc && i < klen; i++)
		key[i] = proof[i] ^ sig[i];
	if (!rc)
		rc = scram_hash(s->mech, key, klen, stored);
	if (!rc)
		match = CRYPTO_memcmp(stored, s->cred.stored_key, klen) == 0;
	if (!rc) /* also for a fake credential: the same work either way */
		rc = scram_hmac(s->mech, s->cred.server_key, klen, am, am_len,
				server_sig);
	OPENSSL_cleanse(sig, sizeof(sig));
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(stored, sizeof(stored));
	if (rc)
		return fail(s, rc, "crypto failure");
	if (!match || !s->known)
		return fail(s, -EACCES, "invalid client credentials");
	return 0;
}

static int server_final(struct scram_server *s, const uint8_t *sig,
			struct buf *out)
{
	char b64[4 * ((SCRAM_KEY_MAX + 2) / 3) + 1];
	int n = scram_b64_encode(sig, scram_mech_key_len(s->mech), b64,
				 sizeof(b64));

	if (n < 0)
		return fail(s, -EIO, "encoding failed");
	buf_append(out, "v=", 2);
	buf_append(out, b64, (size_t)n);
	if (out->err)
		return fail(s, out->err, "out of memory");
	s->state = ST_OK;
	scram_cred_wipe(&s->cred);
	return 0;
}

static int client_final(struct scram_server *s, const char *msg, size_t len,
			struct buf *out)
{
	const char *end = msg + len, *comma = NULL;
	uint8_t proof[SCRAM_KEY_MAX], sig[SCRAM_KEY_MAX];
	size_t am_len;
	char *am;
	int n, rc;

	for (const char *p = msg; p < end; p++)
		if (*p == ',')
			comma = p;
	if (!comma || end - comma < 4 || comma[1] != 'p' || comma[2] != '=')
		return fail(s, -EBADMSG, "malformed client-final message");
	n = scram_b64_decode(comma + 3, (size_t)(end - comma - 3), proof,
			     sizeof(proof));
	if (n < 0 || (size_t)n != scram_mech_key_len(s->mech))
		return fail(s, -EBADMSG, "malformed client proof");
	rc = parse_final_wo_proof(s, msg, comma);
	if (rc)
		return rc;
	am = auth_message(s, msg, (size_t)(comma - msg), &am_len);
	if (!am)
		return fail(s, -ENOMEM, "out of memory");
	rc = proof_verify(s, proof, am, am_len, sig);
	OPENSSL_clear_free(am, am_len);
	if (!rc)
		rc = server_final(s, sig, out);
	OPENSSL_cleanse(sig, sizeof(sig));
	return rc;
}

/* --- public --------------------------------------------------------------- */

int scram_server_create(enum scram_mech m, scram_lookup_fn lookup, void *ctx,
			struct scram_server **out)
{
	struct scram_server *s;

	*out = NULL;
	if (!scram_mech_key_len(m) || !lookup)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->mech = m;
	s->lookup = lookup;
	s->ctx = ctx;
	*out = s;
	return 0;
}

int scram_server_step(struct scram_server *s, const uint8_t *in, size_t len,
		      struct buf *out)
{
	const char *msg = (const char *)in;

	s->reason[0] = '\0';
	if (s->state == ST_OK || s->state == ST_FAILED)
		return fail(s, -EPROTO, "exchange already finished");
	if (len > SCRAM_MSG_MAX)
		return fail(s, -EBADMSG, "message longer than %d bytes",
			    SCRAM_MSG_MAX);
	if (len && memchr(in, '\0', len))
		return fail(s, -EBADMSG, "NUL byte in message");
	if (s->state == ST_WANT_FIRST)
		return client_first(s, msg, len, out);
	return client_final(s, msg, len, out);
}

const char *scram_server_user(const struct scram_server *s)
{
	return s->state == ST_OK ? s->user : NULL;
}

const char *scram_server_claimed_user(const struct scram_server *s)
{
	return s->user;
}

const char *scram_server_reason(const struct scram_server *s)
{
	return s->reason;
}

void scram_server_destroy(struct scram_server *s)
{
	if (!s)
		return;
	scram_cred_wipe(&s->cred);
	free_secret(s->gs2, s->gs2_len);
	free_secret(s->bare, s->bare_len);
	if (s->nonce)
		OPENSSL_clear_free(s->nonce, strlen(s->nonce) + 1);
	free_secret(s->sfirst, s->sfirst_len);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}
