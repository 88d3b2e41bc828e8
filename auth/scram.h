/* scram.h - SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677) over
 * OpenSSL: credentials, and the server side of an exchange.
 *
 * Our own code rather than Cyrus's SCRAM plugin because of one client
 * bug we must accept: librdkafka before 2.6.1 (Debian 12's 2.0.2, so kcat
 * and confluent-kafka here) sends cnonce + (cnonce + snonce) as the
 * client-final nonce. Kafka 3.8.1-3.9 accept a final nonce that ends with
 * the full server-first nonce; Cyrus and Kafka 4.x reject it. We accept
 * exactly two forms, the RFC's (r == cnonce+snonce) and that bug's (r ==
 * cnonce + cnonce+snonce), so the server nonce is always verified.
 *
 * Credentials hold what Kafka stores and nothing more: salt, iterations,
 * StoredKey = H(HMAC(SaltedPassword, "Client Key")) and ServerKey =
 * HMAC(SaltedPassword, "Server Key"). Never the password or the salted
 * password (they are wiped as soon as the keys are derived).
 *
 * Exchange rules enforced (Kafka's ScramSaslServer plus the RFC):
 *  - gs2 header "n," only: no channel binding ("p=" and "y" refused),
 *    authzid allowed only when it equals the user name (CVE-2017-12610);
 *  - saslname with "=2C" / "=3D" decoding, anything else after '=' is a
 *    malformed message; the decoded name must be valid UTF-8, 1 to
 *    SCRAM_USER_MAX bytes, no NUL; "m=" (mandatory extension) refused;
 *    the extension "tokenauth=true" (Kafka delegation tokens) refused;
 *  - nonces printable ASCII without ','; c= must be the base64 of the
 *    client-first gs2 header; the proof verifies in constant time
 *    (CRYPTO_memcmp of H(ClientKey) with StoredKey);
 *  - an unknown user gets a salt derived from the name with a
 *    per-process secret and Kafka's default 4096 iterations, and the
 *    exchange fails only at the proof, as for a wrong password, so the
 *    answer never says whether the user exists.
 *
 * Thread: a scram_server belongs to one thread; the functions without a
 * server argument may run on any thread.
 */
#ifndef SEALOG_AUTH_SCRAM_H
#define SEALOG_AUTH_SCRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

/* Kafka's ScramMechanism type codes (AlterUserScramCredentials). */
enum scram_mech { SCRAM_SHA_256 = 1, SCRAM_SHA_512 = 2 };

#define SCRAM_ITER_MIN 4096  /* Kafka's minimum for both mechanisms */
#define SCRAM_ITER_MAX 16384 /* Kafka's ScramControlManager maximum */
#define SCRAM_ITER_DEFAULT 4096
#define SCRAM_KEY_MAX 64 /* SHA-512 output */
#define SCRAM_SALT_MAX 256
#define SCRAM_USER_MAX 256 /* bytes; LMDB keys must stay short */
#define SCRAM_MSG_MAX 8192 /* longest client message accepted */

struct scram_cred {
	enum scram_mech mech;
	int32_t iterations;
	size_t salt_len;
	uint8_t salt[SCRAM_SALT_MAX];
	uint8_t stored_key[SCRAM_KEY_MAX];
	uint8_t server_key[SCRAM_KEY_MAX];
};

/* "SCRAM-SHA-256" / "SCRAM-SHA-512"; NULL for anything else. */
const char *scram_mech_name(int mech);
/* Exact (case-sensitive) mechanism name to code; 0 or -ENOENT. */
int scram_mech_parse(const char *name, enum scram_mech *out);
/* 32 or 64; 0 for an unknown code. */
size_t scram_mech_key_len(int mech);

/* PBKDF2-HMAC-H(password, salt, iterations) into out (key_len bytes).
 * 0, -EINVAL (unknown mech, iterations < 1, salt empty) or -EIO. */
int scram_salted_password(enum scram_mech m, const void *pw, size_t pw_len,
			  const uint8_t *salt, size_t salt_len,
			  int32_t iterations, uint8_t *out);

/* A credential from a salted password (AlterUserScramCredentials sends
 * exactly that). salted_len must be the mechanism's key length. 0,
 * -EINVAL or -EIO. out is wiped on failure. */
int scram_cred_from_salted(enum scram_mech m, const uint8_t *salted,
			   size_t salted_len, const uint8_t *salt,
			   size_t salt_len, int32_t iterations,
			   struct scram_cred *out);

/* A credential from a password; salt NULL picks 32 random bytes. The
 * salted password is wiped before returning. 0, -EINVAL or -EIO. */
int scram_cred_from_password(enum scram_mech m, const void *pw, size_t pw_len,
			     const uint8_t *salt, size_t salt_len,
			     int32_t iterations, struct scram_cred *out);

/* Does pw match c (PLAIN against the SCRAM store)? Derives StoredKey
 * with c's salt and iterations and compares in constant time. */
bool scram_cred_check_password(const struct scram_cred *c, const void *pw,
			       size_t pw_len);

/* The work of one check against no credential, for a PLAIN login of an
 * unknown user to cost what a known one costs. Always false. */
bool scram_check_password_dummy(const void *pw, size_t pw_len);

void scram_cred_wipe(struct scram_cred *c);

/* A user name we can store and authenticate: 1..SCRAM_USER_MAX bytes of
 * well-formed UTF-8 without NUL. */
bool scram_user_valid(const char *name, size_t len);

/* --- encodings (exported for tests and the tools) ----------------------- */

/* Standard base64 with padding, NUL-terminated into out (cap >=
 * 4 * ceil(len / 3) + 1). Returns the length or -ENOSPC. */
int scram_b64_encode(const uint8_t *in, size_t len, char *out, size_t cap);
/* Strict base64 (alphabet, padding, no whitespace, canonical trailing
 * bits not required). Returns the decoded length, -EBADMSG or -ENOSPC. */
int scram_b64_decode(const char *in, size_t len, uint8_t *out, size_t cap);
/* RFC 5802 saslname: "=2C" -> ',', "=3D" -> '='; any other '=' sequence
 * or a raw ',' is -EBADMSG. Output NUL-terminated; returns its length,
 * -EBADMSG or -ENOSPC. */
int scram_saslname_decode(const char *in, size_t len, char *out, size_t cap);
/* The inverse, for clients (tests, tools). Length or -ENOSPC. */
int scram_saslname_encode(const char *in, size_t len, char *out, size_t cap);

/* --- the server side of one exchange ------------------------------------ */

/* Fetch user's credential for mechanism m into out. 0, -ENOENT (no such
 * user or no credential for m), or another -errno (store failure: the
 * exchange then fails like a wrong password, and the caller logged it). */
typedef int (*scram_lookup_fn)(void *ctx, enum scram_mech m, const char *user,
			       struct scram_cred *out);

struct scram_server;

/* 0 and *out, -EINVAL (unknown mechanism) or -ENOMEM. */
int scram_server_create(enum scram_mech m, scram_lookup_fn lookup, void *ctx,
			struct scram_server **out);

/* Feed one client message; the server's answer is appended to out.
 *   1        client-first accepted, out holds server-first: call again
 *            with the client-final message;
 *   0        authenticated; out holds server-final ("v=...");
 *   -EACCES  wrong proof, unknown user, authzid or nonce mismatch: fail
 *            the login (out is empty);
 *   -EBADMSG malformed message (too long, bad syntax, refused gs2
 *            header or extension): fail the login;
 *   -EPROTO  called again after the exchange ended;
 *   -ENOMEM / -EIO.
 * scram_server_reason() then says why, for logs (never a secret). */
int scram_server_step(struct scram_server *s, const uint8_t *in, size_t len,
		      struct buf *out);

/* The authenticated user (after step returned 0), else NULL. */
const char *scram_server_user(const struct scram_server *s);
/* The user name the client claimed (after client-first), for logs. */
const char *scram_server_claimed_user(const struct scram_server *s);
/* Why the last step failed ("" when it did not). */
const char *scram_server_reason(const struct scram_server *s);

/* Wipe the keys and nonces, free. NULL is a no-op. */
void scram_server_destroy(struct scram_server *s);

#endif
